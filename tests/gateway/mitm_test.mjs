// A man in the middle between connect and wrap (mitm.mjs) flips a byte, strips a signature,
// replays a request, swaps a response, or sends a tampered copy ahead of a genuine request or
// response. Each must be rejected with the right reason: in the audit records and stderr of the
// side that detects it, and in the JSON-RPC error the SDK client gets when its call cannot be
// answered (a copy ahead of the genuine message must not fail the call); the session must go on
// afterwards (the next call succeeds).
// Usage: node mitm_test.mjs PQMCP
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { resolve, join } from 'node:path';
import { makeEnv, everything, here, timeout, check, done } from './env.mjs';

const pqmcp = resolve(process.argv[2]);
const e = makeEnv(pqmcp);

const cases = [
  // mode, side that detects it, reason, the client's error code and reason (null: client unaffected)
  ['flip-request', 'wrap', 'bad-signature', -32010, 'bad-signature'],
  ['strip-request', 'wrap', 'missing-signature', -32010, 'missing-signature'],
  ['replay-request', 'wrap', 'replayed-nonce', null, null],
  ['flip-response', 'connect', 'bad-signature', -32010, 'bad-signature'],
  ['strip-response', 'connect', 'missing-signature', -32010, 'missing-signature'],
  ['swap-response', 'connect', 'request-mismatch', -32010, 'request-mismatch'],
  // A tampered copy ahead of the genuine message: detected, and the genuine call still succeeds
  // (connect keeps the request open for a verified answer instead of reporting it failed).
  ['copy-request', 'wrap', 'bad-signature', null, null],
  ['forge-response', 'connect', 'bad-signature', null, null],
];

async function run([mode, side, reason, code, clientReason]) {
  const before = e.audit(side).length;
  const argv = e.chain([process.execPath, everything, 'stdio'], { middle: [process.execPath, join(here, 'mitm.mjs'), mode, '--'] });
  const transport = new StdioClientTransport({ command: argv[0], args: argv.slice(1), env: e.env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'mitm-test', version: '1.0.0' }, { capabilities: {} });
  await timeout(client.connect(transport), 20000, `${mode}: initialize`);
  const results = [];
  for (const msg of ['first', 'second', 'third']) {
    try {
      results.push({ ok: await timeout(client.callTool({ name: 'echo', arguments: { message: msg } }), 10000, `${mode}: call`) });
    } catch (err) {
      results.push({ err });
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  await timeout(client.close(), 10000, `${mode}: close`);
  const recs = e.audit(side).slice(before).filter((x) => x.decision === 'deny');
  check(recs.some((x) => x.reason === reason || x.verification === reason),
    `${mode}: ${side} audit records ${reason}`, JSON.stringify(recs));
  check(stderr.includes(reason), `${mode}: stderr names ${reason}`, stderr.slice(-600));
  const failed = results.filter((r) => r.err);
  if (code === null) {
    check(failed.length === 0, `${mode}: the client is unaffected`, failed.map((f) => f.err.message).join('; '));
  } else {
    const f = failed[0]?.err;
    check(failed.length === 1 && f.code === code && (f.message.includes(clientReason) || f.data?.pqmcp?.reason === clientReason),
      `${mode}: the client gets error ${code} naming ${clientReason}`, f ? `${f.code} ${f.message} ${JSON.stringify(f.data)}` : 'no error');
  }
  check(results[2].ok?.content?.[0]?.text === 'Echo: third', `${mode}: the session goes on after the attack`);
}

try {
  for (const c of cases) await run(c);
} catch (err) {
  check(false, err.stack);
} finally {
  e.cleanup();
}
done();
