// End to end: an SDK client session through `pqmcp connect` → a man in the middle → `pqmcp wrap
// --policy` → server-everything, with the [audit] log configured, so both gateway processes
// append their decisions to the same SQLite Merkle log. One call is tampered with in transit (bad
// signature), one is allowed, one is denied by the policy. Afterwards `pqmcp audit verify` passes,
// `pqmcp audit search --decision deny` lists exactly the policy denial (with its rule) and the bad
// signature (with its reason), and tampering with the log file is detected.
// Usage: node gateway_audit_test.mjs PQMCP
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { appendFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve, join } from 'node:path';
import { makeEnv, everything, here, timeout, check, done } from '../gateway/env.mjs';

const pqmcp = resolve(process.argv[2]);
const e = makeEnv(pqmcp);
const cfg = join(e.root, 'config', 'pqmcp', 'config.toml');
const db = join(e.root, 'data', 'pqmcp', 'audit.db');
const policy = join(e.root, 'policy.toml');

function pq(...args) {
  const r = spawnSync(pqmcp, args, { env: e.env, cwd: e.root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

try {
  e.run('identity', 'create', 'audit-log', '--alg', 'mldsa65');
  appendFileSync(cfg, `
[audit]
origin = "pqmcp.test/gateway-audit"
checkpoint_every = 1000
checkpoint_seconds = 3600
identity = "audit-log"
`);
  writeFileSync(policy, `version = 1
[agents.agent]
methods = ["logging/setLevel"]
[[agents.agent.tools]]
name = "echo"
`);
  const trust = ['--bundle', e.bundle, '--admin-key', e.admin];
  // No --audit: with an [audit] table the gateways log into the Merkle log by default.
  const argv = [pqmcp, 'connect', '--identity', 'agent', '--server-identity', 'server', ...trust, '--shutdown-timeout', '1000', '--',
    process.execPath, join(here, 'mitm.mjs'), 'flip-request', '--',
    pqmcp, 'wrap', '--identity', 'server', ...trust, '--policy', policy, '--shutdown-timeout', '1000', '--',
    process.execPath, everything, 'stdio'];
  const transport = new StdioClientTransport({ command: argv[0], args: argv.slice(1), env: e.env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'audit-e2e', version: '1.0.0' }, { capabilities: {} });
  await timeout(client.connect(transport), 20000, 'initialize');
  const call = (name, args) => timeout(client.callTool({ name, arguments: args }), 10000, name).then((ok) => ({ ok }), (err) => ({ err }));
  const tampered = await call('echo', { message: 'first' });   // the man in the middle flips a byte
  const allowed = await call('echo', { message: 'second' });
  const denied = await call('get-sum', { a: 1, b: 2 });
  check(tampered.err?.code === -32010, 'the tampered call is refused (-32010)', String(tampered.err?.message));
  check(allowed.ok?.content?.[0]?.text === 'Echo: second', 'the allowed call works');
  check(denied.err?.code === -32011, 'the call outside the policy is refused (-32011)', String(denied.err?.message));
  await timeout(client.close(), 10000, 'close');
  // Both gateways commit their queue and sign a final checkpoint on exit; wait (bounded) until the
  // newest checkpoint covers the whole log.
  let r;
  for (let i = 0; i < 60; i++) {
    await new Promise((res) => setTimeout(res, 500));
    r = pq('audit', 'verify');
    if (r.code === 0 && !/not yet signed/.test(r.out)) break;
  }
  check(!/NOT written|audit log:/.test(stderr), 'no audit failures reported', stderr.slice(-800));
  check(!existsSync(e.auditConnect) && !existsSync(e.auditWrap), 'no JSON-lines file was written');

  check(r.code === 0 && /^OK: \d+ entries, \d+ checkpoints verified/.test(r.out), 'pqmcp audit verify passes', r.out + r.err);
  check(!/not yet signed/.test(r.out), 'every entry is covered by a checkpoint', r.out);

  r = pq('--json', 'audit', 'search');
  const all = r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l).entry);
  const sources = new Set(all.map((x) => x.source));
  check(sources.has('connect') && sources.has('wrap'), 'both gateway processes wrote into the one log', [...sources].join(','));
  check(all.every((x) => x.v === 1 && /^[0-9a-f]{64}$|^$/.test(x.msg_sha256) && !('params' in x)), 'entries carry digests, no payloads');
  check(all.some((x) => x.source === 'wrap' && x.name === 'echo' && x.decision === 'allow' && x.verify === 'ok' && x.agent === 'agent'),
    'the allowed call is logged by wrap (agent, tool, verify ok)');
  check(all.some((x) => x.source === 'connect' && x.name === 'echo' && x.decision === 'allow' && x.verify === 'signed'),
    'connect logged what it signed');

  r = pq('--json', 'audit', 'search', '--decision', 'deny');
  const deny = r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l).entry);
  // wrap decides: exactly the policy denial and the bad signature. connect records the server
  // side's refusal of the altered request once more (an error bound to another request: verify
  // request-mismatch, rule = the server side's reason); nothing else is denied.
  const wrapDeny = deny.filter((x) => x.source === 'wrap');
  const connectDeny = deny.filter((x) => x.source === 'connect');
  const policyDeny = wrapDeny.filter((x) => x.name === 'get-sum');
  const badSig = wrapDeny.filter((x) => x.verify === 'bad-signature');
  check(wrapDeny.length === 2, `exactly two denials by wrap (found ${wrapDeny.length})`, JSON.stringify(deny));
  check(connectDeny.length === 1 && connectDeny[0].rule === 'bad-signature' && connectDeny[0].verify === 'request-mismatch'
    && connectDeny[0].direction === 'response', 'connect records the relayed refusal of the tampered call, nothing else', JSON.stringify(connectDeny));
  check(policyDeny.length === 1 && policyDeny[0].rule && policyDeny[0].agent === 'agent' && policyDeny[0].source === 'wrap'
    && policyDeny[0].verify === 'ok' && policyDeny[0].method === 'tools/call',
    `the policy denial is there with its rule (${policyDeny[0]?.rule})`, JSON.stringify(policyDeny));
  check(badSig.length === 1 && badSig[0].rule === 'bad-signature' && badSig[0].source === 'wrap' && badSig[0].name === 'echo',
    'the bad signature is there with its reason', JSON.stringify(badSig));
  r = pq('audit', 'search', '--decision', 'deny');
  check(/get-sum/.test(r.out) && /bad-signature/.test(r.out), 'the table shows both', r.out);

  // Change one stored entry (the denial becomes an allow): verification must fail and say which.
  const idx = JSON.parse(pq('--json', 'audit', 'search', '--decision', 'deny').out.split('\n')[0]).index;
  execFileSync('sqlite3', [db, `UPDATE entries SET data = replace(data, '"decision":"deny"', '"decision":"allow"') WHERE idx = ${idx}`]);
  r = pq('audit', 'verify');
  check(r.code === 1 && /FAILED/.test(r.err) && r.err.includes(`#${idx}`), `a changed entry #${idx} is detected`, r.out + r.err);
} catch (err) {
  check(false, err.stack);
} finally {
  e.cleanup();
}
done();
