// A man in the middle on plain HTTP between `pqmcp connect --url` and `pqmcp serve --no-tls`:
// forwards every request to the target and tampers with the answer to the first (or second)
// tools/call, in whatever form it travels (application/json or text/event-stream).
//   flip-response  flip one byte of the first tools/call's result text   → connect: bad-signature
//   swap-response  give the second tools/call the first one's result     → connect: request-mismatch
//   strip-response remove the envelope from the first tools/call's result → connect: missing-signature
//   flip-request   flip one byte of the first tools/call's arguments      → serve: bad-signature
import http from 'node:http';

export function startMitm(targetPort, mode) {
  let done = false, firstResult = null;
  const tamperMessage = (json) => {
    const m = JSON.parse(json);
    if (!('result' in m)) return json;
    if (mode === 'flip-response' && !done) {
      done = true;
      const i = json.indexOf('"text":"') + 8;
      return json.slice(0, i) + (json[i] === 'X' ? 'Y' : 'X') + json.slice(i + 1);
    }
    if (mode === 'strip-response' && !done) {
      done = true;
      delete m.result._meta['io.pqmcp/sig'];
      return JSON.stringify(m);
    }
    if (mode === 'swap-response') {
      if (!firstResult) { firstResult = m.result; return json; }
      if (!done) { done = true; m.result = firstResult; return JSON.stringify(m); }
    }
    return json;
  };
  const tamperBody = (body, sse) => {
    if (!sse) return body.trim() ? tamperMessage(body) : body;
    return body.split('\n').map((l) => (l.startsWith('data: {') ? 'data: ' + tamperMessage(l.slice(6)) : l)).join('\n');
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks).toString();
      const isCall = req.method === 'POST' && body.includes('"method":"tools/call"');
      if (isCall && mode === 'flip-request' && !done) {
        done = true;
        const i = body.indexOf('"message":"') + 11;
        body = body.slice(0, i) + (body[i] === 'A' ? 'B' : 'A') + body.slice(i + 1);
      }
      const headers = { ...req.headers };
      delete headers['content-length'];
      const up = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers }, (ur) => {
        const h = { ...ur.headers };
        const sse = (h['content-type'] || '').startsWith('text/event-stream');
        if (!isCall || mode === 'flip-request') {
          res.writeHead(ur.statusCode, h);
          ur.pipe(res);
          return;
        }
        // Hold the whole answer of a tools/call, tamper, then deliver it.
        delete h['content-length'];
        const parts = [];
        ur.on('data', (c) => parts.push(c));
        ur.on('end', () => {
          res.writeHead(ur.statusCode, h);
          res.end(tamperBody(Buffer.concat(parts).toString(), sse));
        });
      });
      up.on('error', () => { res.writeHead(502); res.end(); });
      up.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    close: () => { server.closeAllConnections?.(); server.close(); },
  })));
}
