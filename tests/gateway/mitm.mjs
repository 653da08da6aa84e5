// A man in the middle between `pqmcp connect` and `pqmcp wrap`: relays lines both ways and
// tampers with the first tools/call (or its response) according to MODE.
// Usage: node mitm.mjs MODE -- COMMAND ARGS…   (MODE below; stderr is inherited)
//   flip-request   flip one byte of the first tools/call's arguments  → wrap: bad-signature
//   strip-request  remove the envelope from the first tools/call      → wrap: missing-signature
//   replay-request send the first tools/call a second time, verbatim  → wrap: replayed-nonce
//   flip-response  flip one byte of the first tools/call's result     → connect: bad-signature
//   swap-response  give the second tools/call the first one's result  → connect: request-mismatch
//   strip-response remove the envelope from the first tools/call's result → connect: missing-signature
//   copy-request   send a copy of the first tools/call with a byte flipped ahead of it
//                  → wrap: bad-signature; the genuine request still runs and is answered
//   forge-response send a copy of the first tools/call's result with a byte flipped ahead of it
//                  → connect: bad-signature; the genuine result still reaches the client
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const mode = process.argv[2];
const cmd = process.argv.slice(process.argv.indexOf('--') + 1);
const child = spawn(cmd[0], cmd.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
const callIds = [];
let done = false, firstResult = null;

function tamperUp(line) {
  const m = JSON.parse(line);
  if (m.method !== 'tools/call') return [line];
  callIds.push(JSON.stringify(m.id));
  if (done) return [line];
  if (mode === 'flip-request' || mode === 'copy-request') {
    done = true;
    const i = line.indexOf('"message":"') + 11;
    const c = line[i] === 'A' ? 'B' : 'A';
    const flipped = line.slice(0, i) + c + line.slice(i + 1);
    return mode === 'flip-request' ? [flipped] : [flipped, line];
  }
  if (mode === 'strip-request') {
    done = true;
    delete m.params._meta['io.pqmcp/sig'];
    return [JSON.stringify(m)];
  }
  if (mode === 'replay-request') {
    done = true;
    return [line, line];
  }
  return [line];
}

function tamperDown(line) {
  const m = JSON.parse(line);
  if (!('result' in m) || !callIds.includes(JSON.stringify(m.id))) return line;
  if ((mode === 'flip-response' || mode === 'forge-response') && !done) {
    done = true;
    const i = line.indexOf('"text":"') + 8;
    const c = line[i] === 'X' ? 'Y' : 'X';
    const flipped = line.slice(0, i) + c + line.slice(i + 1);
    return mode === 'flip-response' ? flipped : [flipped, line];
  }
  if (mode === 'strip-response' && !done) {
    done = true;
    delete m.result._meta['io.pqmcp/sig'];
    return JSON.stringify(m);
  }
  if (mode === 'swap-response') {
    if (!firstResult) { firstResult = m.result; return line; }
    if (!done) { done = true; m.result = firstResult; return JSON.stringify(m); }
  }
  return line;
}

createInterface({ input: process.stdin }).on('line', (l) => {
  for (const out of tamperUp(l)) child.stdin.write(out + '\n');
}).on('close', () => child.stdin.end());
// A forged line goes first and the genuine one 100 ms later, so that connect handles them in
// separate turns of its loop (a notification written meanwhile passes it, as it may anyway).
createInterface({ input: child.stdout }).on('line', (l) => {
  const out = tamperDown(l);
  if (!Array.isArray(out)) return process.stdout.write(out + '\n');
  process.stdout.write(out[0] + '\n');
  setTimeout(() => process.stdout.write(out[1] + '\n'), 100);
});
child.on('exit', (code) => process.exit(code ?? 1));
process.on('SIGTERM', () => { child.kill('SIGTERM'); });
