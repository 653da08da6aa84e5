// The agent side over Streamable HTTP, end to end with peers nobody here wrote:
//   TypeScript SDK client ─stdio─ pqmcp connect --url ─HTTPS, X25519MLKEM768─ pqmcp serve ─stdio─ server-everything
// against a direct SDK → server-everything session in the same run: initialize, tools (echo,
// get-sum, a long-running tool with progress, sampling), resources, prompts, logging and ping must
// give identical results (pqmcp's _meta aside), every message must be signed and verified on both
// sides (audit files), the TLS group must be X25519MLKEM768, and:
//  - a man in the middle on the HTTP leg (serve --no-tls) that flips, strips or swaps a response,
//    or flips a request, is refused with the right reason and the session goes on;
//  - a server whose certificate does not match --tls-fingerprint is refused before any message;
//  - --tls-binding pins the certificate the server identity signed for, and refuses a statement
//    altered or signed by another identity;
//  - --require-pq refuses a server that only does classical key exchange;
//  - `pqmcp connect --url` in observe mode works against mcp-proxy (plain HTTP, unsigned).
// Usage: node connect_http_test.mjs PQMCP
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { resolve, join } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { makeEnv, everything, timeout, alive, descendants, check, done } from '../../gateway/env.mjs';
import { startMitm } from './http_mitm.mjs';

const require = createRequire(import.meta.url);
const pqmcp = resolve(process.argv[2]);
const e = makeEnv(pqmcp);
const trust = ['--bundle', e.bundle, '--admin-key', e.admin];
const children = [];

function noMeta(v) {
  if (Array.isArray(v)) return v.map(noMeta);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) if (k !== '_meta') o[k] = noMeta(x);
    return o;
  }
  return v;
}

// Starts `pqmcp serve` on an ephemeral loopback port; resolves with its URL and fingerprint.
function startServe(extra = [], upstream = ['--upstream', '--', process.execPath, everything, 'stdio'], listen = '127.0.0.1:0') {
  const argv = ['serve', '--listen', listen, '--identity', 'server', ...trust, '--audit', e.auditWrap,
    '--shutdown-timeout', '1000', ...extra, ...upstream];
  const p = spawn(pqmcp, argv, { env: e.env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(p);
  let err = '';
  return timeout(new Promise((res, rej) => {
    p.stderr.on('data', (d) => {
      err += d;
      const u = err.match(/listening on (\S+)/);
      const f = err.match(/certificate (SHA256:[0-9A-Fa-f:]{64,})/);
      if (u && (f || u[1].startsWith('http:'))) res({ url: u[1], fp: f?.[1], proc: p, stderr: () => err });
    });
    p.on('exit', (c) => rej(new Error(`serve exited ${c}: ${err}`)));
  }), 20000, 'serve start');
}

// A port nothing listens on right now (for a peer that cannot report the one it got).
export function freePort() {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
  });
}
export async function waitListening(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((res) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); res(true); });
      c.on('error', () => res(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

// Writes msgs as JSON lines to argv's stdin and collects the answers by id (bounded wait).
async function jsonLines(argv, msgs, ms = 15000) {
  const p = spawn(argv[0], argv.slice(1), { env: e.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const got = {};
  let buf = '';
  p.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { const m = JSON.parse(l); if (m.id !== undefined) got[m.id] = m; } catch { /* not ours */ }
    }
  });
  for (const m of msgs) p.stdin.write(JSON.stringify(m) + '\n');
  const end = Date.now() + ms;
  while (Object.keys(got).length < msgs.filter((m) => m.id !== undefined).length && Date.now() < end)
    await new Promise((r) => setTimeout(r, 50));
  p.stdin.end();
  await timeout(new Promise((r) => p.on('exit', r)), 10000, 'connect exit').catch(() => p.kill('SIGKILL'));
  return got;
}

// Usage errors: exit code 2 and a sentence naming the problem, before any key is touched.
function usage(args, pattern, what) {
  const r = spawnSync(pqmcp, ['connect', '--identity', 'agent', ...args], { env: e.env, encoding: 'utf8' });
  check(r.status === 2 && pattern.test(r.stderr), `usage: ${what}`, `${r.status} ${r.stderr}`);
}

function connectArgv(url, extra = []) {
  return [pqmcp, 'connect', '--identity', 'agent', '--server-identity', 'server', ...trust, '--audit', e.auditConnect,
    '--shutdown-timeout', '1000', '--url', url, ...extra];
}

async function session(argv) {
  const transport = new StdioClientTransport({ command: argv[0], args: argv.slice(1), env: e.env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'pqmcp-http-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
    model: 'test-model', role: 'assistant', content: { type: 'text', text: `sampled: ${req.params.messages[0].content.text}` },
  }));
  const r = {};
  await timeout(client.connect(transport), 20000, 'initialize');
  const pid = transport.pid;
  r.server = client.getServerVersion();
  r.caps = client.getServerCapabilities();
  r.instructions = client.getInstructions();
  r.tools = (await client.listTools()).tools.map((t) => t.name).sort();
  r.echo = await client.callTool({ name: 'echo', arguments: { message: 'hello through pqmcp over https' } });
  r.sum = await client.callTool({ name: 'get-sum', arguments: { a: 40, b: 2 } });
  const progress = [];
  r.long = await timeout(client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
    undefined, { onprogress: (p) => progress.push(p.progress) }), 20000, 'long-running tool');
  r.progress = progress;
  if (r.tools.includes('trigger-sampling-request'))
    r.sampling = await timeout(client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } }),
      20000, 'sampling');
  const res = await client.listResources();
  r.resources = res.resources.map((x) => x.uri).slice(0, 5);
  r.read = await client.readResource({ uri: res.resources[0].uri });
  r.templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
  r.prompts = (await client.listPrompts()).prompts.map((p) => p.name).sort();
  r.prompt = await client.getPrompt({ name: 'simple-prompt', arguments: {} });
  r.setLevel = await client.setLoggingLevel('debug');
  r.ping = await client.ping();
  const tree = [pid, ...descendants(pid)];
  await timeout(client.close(), 10000, 'close');
  await new Promise((res2) => setTimeout(res2, 1200));
  r.leftover = tree.filter(alive);
  return { r, stderr };
}

// One SDK session that calls echo three times (running between() after the first); returns each
// call's outcome and connect's stderr.
async function threeCalls(argv, between = null) {
  const transport = new StdioClientTransport({ command: argv[0], args: argv.slice(1), env: e.env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'pqmcp-http-mitm', version: '1.0.0' }, { capabilities: {} });
  const results = [];
  try {
    await timeout(client.connect(transport), 20000, 'initialize');
    for (const msg of ['first', 'second', 'third']) {
      if (msg === 'second' && between) await between();
      try {
        results.push({ ok: await timeout(client.callTool({ name: 'echo', arguments: { message: msg } }), 10000, 'call') });
      } catch (err) {
        results.push({ err });
      }
    }
  } catch (err) {
    results.push({ err });
  }
  await timeout(client.close(), 10000, 'close').catch(() => {});
  await new Promise((r) => setTimeout(r, 300));
  return { results, stderr };
}

try {
  usage([], /after -- \(or --url\)/, 'neither --url nor a command');
  usage(['--url', 'ftp://h/'], /https:\/\/ or http:\/\//, 'a URL of another scheme');
  usage(['--url', 'https://u:p@h/mcp'], /user information/, 'credentials in the URL');
  usage(['--url', 'https://h/mcp', '--', 'true'], /not both/, '--url and a command');
  usage(['--tls-ca', 'x.pem', '--', 'true'], /need --url/, 'TLS options without --url');
  usage(['--url', 'http://127.0.0.1:1/mcp', '--require-pq'], /https:\/\/ URL/, 'TLS options with http://');
  usage(['--url', 'https://127.0.0.1:1/mcp', '--tls-fingerprint', 'abcd'], /64 hex digits/, 'a short fingerprint');
  usage(['--url', 'https://127.0.0.1:1/mcp', '--tls-ca', '/nonexistent.pem'], /CA file/, 'a missing CA file');

  // 1. Direct against through pqmcp over PQ TLS.
  const serve = await startServe(['--require-pq']);
  check(serve.url.startsWith('https://127.0.0.1:'), 'serve listens on https loopback', serve.url);
  const direct = await session([process.execPath, everything, 'stdio']);
  const viaHttp = await session(connectArgv(serve.url, ['--tls-fingerprint', serve.fp, '--require-pq']));
  const a = noMeta(direct.r), b = noMeta(viaHttp.r);
  for (const k of Object.keys(a)) {
    // How many progress notifications precede the result depends on timing (the last one may
    // race the result on either path); they are checked below for order instead.
    if (k === 'leftover' || k === 'progress') continue;
    check(isDeepStrictEqual(a[k], b[k]), `same ${k} through pqmcp connect --url as directly`,
      `direct: ${JSON.stringify(a[k]).slice(0, 300)}\n  https: ${JSON.stringify(b[k]).slice(0, 300)}\n  stderr: ${viaHttp.stderr.slice(-800)}`);
  }
  check(b.progress.length >= 2 && b.progress.every((p, i) => i === 0 || p > b.progress[i - 1]),
    'progress notifications arrived over SSE, in order', JSON.stringify(b.progress));
  check(viaHttp.r.leftover.length === 0, 'no process of the connect side is left', JSON.stringify(viaHttp.r.leftover));
  check(/X25519MLKEM768/.test(viaHttp.stderr), 'connect reports the X25519MLKEM768 key exchange', viaHttp.stderr.slice(-400));
  const ac = e.audit('connect'), aw = e.audit('wrap');
  const signed = ac.filter((x) => x.dir === 'c2s' && x.verification === 'signed');
  const verified = ac.filter((x) => x.dir === 's2c' && x.verification === 'ok');
  check(signed.length >= 10 && signed.every((x) => x.decision === 'allow'), `connect signed every client message (${signed.length})`);
  check(verified.length >= 10, `connect verified the server's messages (${verified.length})`);
  // Messages of one session travel on several HTTP streams (the GET stream, each POST's SSE
  // answer), so they can arrive in another order than the server side signed them; HTTP sessions
  // verify with a sequence window, so nothing valid may be refused.
  const denied = ac.filter((x) => x.decision === 'deny');
  check(denied.length === 0, 'connect denied nothing', JSON.stringify(denied).slice(0, 500));
  check(aw.filter((x) => x.dir === 'c2s' && x.verification === 'ok').length >= 10, 'serve verified the agent\'s messages');

  // 2. A different server certificate than the pinned one: refused before any message.
  const other = await startServe();
  const pinned = await threeCalls(connectArgv(other.url, ['--tls-fingerprint', serve.fp]));
  check(pinned.results.length >= 1 && pinned.results.every((x) => x.err), 'a server with another certificate gets no request through');
  check(/certificate not accepted|fingerprint/.test(pinned.stderr), 'connect names the certificate mismatch', pinned.stderr.slice(-400));

  // 2b. --tls-binding: the certificate the server identity signed for (serve --tls-binding) is
  // pinned by connect itself; a statement altered, signed by another identity, or naming another
  // server's certificate gets nothing through.
  const { readFileSync, writeFileSync, copyFileSync, existsSync } = await import('node:fs');
  const bfile = join(e.root, 'binding.json');
  const bound = await startServe(['--tls-binding', bfile]);
  for (let i = 0; i < 100 && !existsSync(`${bfile}.sig`); i++) await new Promise((r) => setTimeout(r, 100));
  const viaBinding = await threeCalls(connectArgv(bound.url, ['--tls-binding', bfile]));
  check(viaBinding.results.length === 3 && viaBinding.results.every((x) => x.ok?.content?.[0]?.text?.startsWith('Echo: ')),
    '--tls-binding: calls go through to the server whose certificate the server identity signed for',
    viaBinding.stderr.slice(-600));
  const elsewhere = await threeCalls(connectArgv(other.url, ['--tls-binding', bfile]));
  check(elsewhere.results.length >= 1 && elsewhere.results.every((x) => x.err) && /certificate not accepted|fingerprint/.test(elsewhere.stderr),
    '--tls-binding: a server with another certificate gets no request through', elsewhere.stderr.slice(-400));
  const bindingRefused = (file, pattern, what, code = 1) => {
    const r = spawnSync(connectArgv(bound.url, ['--tls-binding', file])[0], connectArgv(bound.url, ['--tls-binding', file]).slice(1),
      { env: e.env, encoding: 'utf8', input: '', timeout: 20000 });
    check(r.status === code && pattern.test(r.stderr), `--tls-binding: ${what} is refused before any message`, `${r.status} ${r.stderr}`);
  };
  const altered = join(e.root, 'altered.json');
  writeFileSync(altered, readFileSync(bfile, 'utf8').replace(/"cert_sha256": "[^"]*"/, `"cert_sha256": "${other.fp}"`));
  copyFileSync(`${bfile}.sig`, `${altered}.sig`);
  bindingRefused(altered, /signature does not match/, 'a statement naming another certificate');
  const byAgent = join(e.root, 'by-agent.json');
  copyFileSync(bfile, byAgent);
  execFileSync(pqmcp, ['sign', byAgent, '--identity', 'agent'], { env: e.env, stdio: 'ignore' });
  bindingRefused(byAgent, /not by the server identity 'server'/, 'a statement signed by the agent, not the server');
  // Re-signed by the server identity itself, so only the statement's own checks can refuse them.
  const resigned = (name, edit) => {
    const f = join(e.root, name);
    writeFileSync(f, edit(readFileSync(bfile, 'utf8')));
    execFileSync(pqmcp, ['sign', f, '--identity', 'server'], { env: e.env, stdio: 'ignore' });
    return f;
  };
  bindingRefused(resigned('expired.json', (t) => t.replace(/"exp": \d+/, '"exp": 1000')), /expired/, 'an expired statement');
  bindingRefused(resigned('future.json', (t) => t.replace(/"iat": \d+/, `"iat": ${Math.floor(Date.now() / 1000) + 3600}`)),
    /in the future/, 'a statement issued in the future');
  bindingRefused(resigned('typ.json', (t) => t.replace('pqmcp-tls-binding', 'pqmcp-something-else')), /not a version-1/,
    'a statement of another type');
  bindingRefused(resigned('no-exp.json', (t) => t.replace(/,\s*"exp": \d+/, '')), /no exp/, 'a statement without exp');
  bindingRefused(resigned('huge-iat.json', (t) => t.replace(/"iat": \d+/, '"iat": 18446744073709551615')), /in the future/,
    'a statement whose iat does not fit in 64 signed bits');
  // Two cert_sha256 members: one reader would pin the first, another the last.
  bindingRefused(resigned('dup.json', (t) => t.replace(/("cert_sha256": "[^"]*")/, `"cert_sha256": "${other.fp}", $1`)),
    /not a JSON object/, 'a statement with a duplicate member');
  // A key of an algorithm the gateway does not accept for messages (gateway.algorithms: the
  // default composite only) cannot vouch for a certificate either: an Ed25519-only server
  // identity, known from the local registry (no --bundle).
  execFileSync(pqmcp, ['identity', 'create', 'server-ed', '--role', 'server', '--alg', 'ed25519'], { env: e.env, stdio: 'ignore' });
  const edStatement = join(e.root, 'ed.json');
  // Signed once to learn the key's kid, then with the kid in the statement.
  writeFileSync(edStatement, readFileSync(bfile, 'utf8').replace('"identity": "server"', '"identity": "server-ed"'));
  execFileSync(pqmcp, ['sign', edStatement, '--identity', 'server-ed'], { env: e.env, stdio: 'ignore' });
  const edKid = JSON.parse(readFileSync(`${edStatement}.sig`, 'utf8')).kid;
  writeFileSync(edStatement, readFileSync(edStatement, 'utf8').replace(/"kid": "[^"]*"/, `"kid": "${edKid}"`));
  execFileSync(pqmcp, ['sign', edStatement, '--identity', 'server-ed'], { env: e.env, stdio: 'ignore' });
  {
    const argv = [pqmcp, 'connect', '--identity', 'agent', '--server-identity', 'server-ed', '--audit', e.auditConnect,
      '--url', bound.url, '--tls-binding', edStatement];
    const r = spawnSync(argv[0], argv.slice(1), { env: e.env, encoding: 'utf8', input: '', timeout: 20000 });
    check(r.status === 1 && /gateway\.algorithms does not accept/.test(r.stderr),
      '--tls-binding: a statement signed with Ed25519 alone is refused before any message', `${r.status} ${r.stderr}`);
  }
  bindingRefused(join(e.root, 'missing.json'), /missing\.json/, 'a missing binding file');
  usage(['--tls-binding', bfile, '--', 'true'], /need --url/, '--tls-binding without --url');
  usage(['--url', 'https://127.0.0.1:1/mcp', '--tls-binding', bfile, '--tls-fingerprint', serve.fp], /without --tls-ca or --tls-fingerprint/,
    '--tls-binding with --tls-fingerprint');

  // 3. --require-pq against a classical-only TLS server (Node's OpenSSL has no ML-KEM groups).
  const key = join(e.root, 'k.pem'), crt = join(e.root, 'c.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key,
    '-out', crt, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  // A binding for a certificate from files ends with that certificate (exp = its notAfter).
  {
    const cfile = join(e.root, 'binding-cert.json');
    const fromFiles = await startServe(['--tls-cert', crt, '--tls-key', key, '--tls-binding', cfile]);
    for (let i = 0; i < 100 && !existsSync(`${cfile}.sig`); i++) await new Promise((r) => setTimeout(r, 100));
    const end = execFileSync('openssl', ['x509', '-noout', '-enddate', '-in', crt], { encoding: 'utf8' }).trim().replace('notAfter=', '');
    const exp = JSON.parse(readFileSync(cfile, 'utf8')).exp;
    check(exp === Math.floor(Date.parse(end) / 1000), '--tls-binding: exp is the certificate\'s notAfter', `${exp} vs ${end}`);
    const viaFiles = await threeCalls(connectArgv(fromFiles.url, ['--tls-binding', cfile]));
    check(viaFiles.results.length === 3 && viaFiles.results.every((x) => x.ok), '--tls-binding: works for a certificate from files',
      viaFiles.stderr.slice(-400));
  }
  const classical = https.createServer({ key: readFileSync(key), cert: readFileSync(crt), ecdhCurve: 'X25519:P-256' }, (q, s) => s.end('{}'));
  await new Promise((r) => classical.listen(0, '127.0.0.1', r));
  const curl = `https://127.0.0.1:${classical.address().port}/mcp`;
  const pq = await threeCalls(connectArgv(curl, ['--tls-ca', crt, '--require-pq']));
  check(pq.results.every((x) => x.err), '--require-pq: nothing goes through a classical server');
  check(/handshake|classical/.test(pq.stderr), 'connect names the failed post-quantum handshake', pq.stderr.slice(-400));
  const cl = await threeCalls(connectArgv(curl, ['--tls-ca', crt]));
  check(/certificate not accepted|HTTP|answer|JSON/i.test(cl.stderr) && !/handshake with/.test(cl.stderr),
    'without --require-pq the classical server is reached (CA file and IP name verified)', cl.stderr.slice(-400));
  classical.close();

  // 4. A man in the middle on the HTTP leg.
  const plain = await startServe(['--no-tls']);
  const port = Number(new URL(plain.url).port);
  const cases = [
    ['flip-response', 'connect', 'bad-signature', -32010],
    ['strip-response', 'connect', 'missing-signature', -32010],
    ['swap-response', 'connect', 'request-mismatch', -32010],
    ['flip-request', 'wrap', 'bad-signature', -32010],
  ];
  for (const [mode, side, reason, code] of cases) {
    const before = e.audit(side).length;
    const mitm = await startMitm(port, mode);
    const out = await threeCalls(connectArgv(`http://127.0.0.1:${mitm.port}/mcp`));
    mitm.close();
    const recs = e.audit(side).slice(before).filter((x) => x.decision === 'deny');
    check(recs.some((x) => x.reason === reason || x.verification === reason), `${mode}: ${side} records ${reason}`,
      JSON.stringify(recs).slice(0, 400));
    const failed = out.results.filter((r) => r.err);
    const f = failed[0]?.err;
    check(failed.length === 1 && f.code === code && (f.message.includes(reason) || f.data?.pqmcp?.reason === reason),
      `${mode}: the client gets ${code} naming ${reason}`, f ? `${f.code} ${f.message}` : `no error; ${out.stderr.slice(-300)}`);
    check(out.results[2]?.ok?.content?.[0]?.text === 'Echo: third', `${mode}: the session goes on`);
  }

  // 4a. A request held for a verified answer (docs/gateway.md "A rejected answer") when the
  //     client closes its end: connect still answers it, with the rejection, before it exits.
  //     The server answers unsigned, so the answer is rejected and the request held.
  const unsigned = http.createServer((q, s) => {
    let b = '';
    q.on('data', (c) => { b += c; });
    q.on('end', () => {
      s.writeHead(200, { 'content-type': 'application/json' });
      s.end(JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(b).id, result: { tools: [] } }));
    });
  });
  await new Promise((r) => unsigned.listen(0, '127.0.0.1', r));
  const heldArgv = connectArgv(`http://127.0.0.1:${unsigned.address().port}/mcp`);
  const held = spawn(heldArgv[0], heldArgv.slice(1), { env: e.env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(held);
  let heldOut = '', heldErr = '';
  held.stdout.on('data', (d) => { heldOut += d; });
  held.stderr.on('data', (d) => { heldErr += d; });
  held.stdin.end('{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}\n');
  const heldCode = await timeout(new Promise((r) => held.on('exit', r)), 15000, 'connect exits after EOF');
  unsigned.close();
  const heldAnswer = heldOut.trim() ? JSON.parse(heldOut.trim().split('\n').pop()) : null;
  check(/stays open/.test(heldErr), 'the rejected answer held the request', heldErr.slice(-300));
  check(heldAnswer?.id === 1 && heldAnswer?.error?.data?.pqmcp?.reason === 'missing-signature',
    'a held request is answered with its rejection when the client closes its end', `${heldCode} ${heldOut} ${heldErr.slice(-300)}`);

  // 4b. The server forgets the session (restarted on the same port: the next request gets 404):
  //     connect opens a new one by itself (replaying the client's initialize, signed afresh) and
  //     the client's session goes on.
  const rport = await freePort();
  const first = await startServe(['--no-tls'], undefined, `127.0.0.1:${rport}`);
  const re = await threeCalls(connectArgv(first.url), async () => {
    first.proc.kill('SIGTERM');
    await new Promise((r) => first.proc.on('exit', r));
    await startServe(['--no-tls'], undefined, `127.0.0.1:${rport}`);
  });
  check(re.results[0]?.ok?.content?.[0]?.text === 'Echo: first', 'before the idle timeout: the call succeeds');
  check(/opening a new one/.test(re.stderr), 'connect reopens the session after the 404', re.stderr.slice(-400));
  check(re.results[2]?.ok?.content?.[0]?.text === 'Echo: third', 'after the 404: calls succeed in the new session',
    JSON.stringify(re.results.map((x) => x.err ? String(x.err.message) : x.ok?.content?.[0]?.text)) + re.stderr.slice(-400));
  check(!/session-ended/.test(re.stderr) && !/could not be initialised/.test(re.stderr), 'connect did not give up');

  // 5. Observe mode against mcp-proxy (plain HTTP, unsigned answers passed with a warning).
  const proxyBin = require.resolve('mcp-proxy/dist/bin/mcp-proxy.mjs');
  const pport = await freePort();
  const proxy = spawn(process.execPath, [proxyBin, '--host', '127.0.0.1', '--port', String(pport), '--server', 'stream', '--',
    process.execPath, everything, 'stdio'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(proxy);
  let plog = '';
  proxy.stderr.on('data', (d) => { plog += d; });
  const up = await waitListening(pport, 20000);
  check(up, 'mcp-proxy started', plog.slice(-300));
  if (up) {
    const obs = await threeCalls(connectArgv(`http://127.0.0.1:${pport}/mcp`, ['--mode', 'observe']));
    check(obs.results.length === 3 && obs.results.every((x) => x.ok), 'observe mode: calls through mcp-proxy succeed',
      obs.stderr.slice(-400));
    check(/observe mode/.test(obs.stderr), 'observe mode: the unsigned answers are reported');

    // 2026-07-28 (stateless) through mcp-proxy, which checks the mirrored headers against the
    // body (SEP-2243): server/discover and tools/call without initialize or session.
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' } };
    const modern = await jsonLines(connectArgv(`http://127.0.0.1:${pport}/mcp`, ['--mode', 'observe']), [
      { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: meta } },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'modern' }, _meta: meta } },
    ]);
    check(modern[1]?.result?.supportedVersions?.includes('2026-07-28'), '2026-07-28: server/discover answered', JSON.stringify(modern).slice(0, 300));
    check(modern[2]?.result?.content?.[0]?.text === 'Echo: modern' && modern[2]?.result?.resultType === 'complete',
      '2026-07-28: tools/call answered with mirrored headers', JSON.stringify(modern[2]).slice(0, 300));

    // 6. serve in front of an HTTP MCP server: SDK → connect --url → PQ TLS → serve --upstream
    //    http://mcp-proxy → server-everything, signed and verified end to end.
    const front = await startServe(['--require-pq'], ['--upstream', `http://127.0.0.1:${pport}/mcp`]);
    const before = e.audit('connect').length;
    const chain = await threeCalls(connectArgv(front.url, ['--tls-fingerprint', front.fp, '--require-pq']));
    check(chain.results.length === 3 && chain.results.map((x) => x.ok?.content?.[0]?.text).join() === 'Echo: first,Echo: second,Echo: third',
      'serve --upstream http://… (mcp-proxy): calls succeed', chain.stderr.slice(-400));
    const recs = e.audit('connect').slice(before);
    check(recs.filter((x) => x.dir === 's2c' && x.verification === 'ok').length >= 4 && !recs.some((x) => x.decision === 'deny'),
      'serve --upstream http://…: every answer was signed by serve and verified by connect');
  } else {
  }
} catch (err) {
  check(false, err.stack);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  e.cleanup();
}
done();
