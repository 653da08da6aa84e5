// Rug pull and bad input through connect + wrap, with fake_server.mjs behind them:
// - a tool whose description changes mid-session is withheld from tools/list and refused
//   (-32013) until `pqmcp tools approve`, then works again;
// - a non-JSON line on the server's stdout is dropped with a clear message, the session goes on;
// - a 100 MB line is answered with -32014, memory stays bounded, the session goes on;
// - a crashing server: the pending call gets -32015, everything exits;
// - a server that ignores stdin EOF and SIGTERM is killed; the client disconnecting mid-request
//   ends everything; no process is left (zombie or orphan) in any case.
// Usage: node fake_server_test.mjs PQMCP
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { makeEnv, here, timeout, alive, descendants, check, done } from './env.mjs';

const pqmcp = resolve(process.argv[2]);
const e = makeEnv(pqmcp);
const fake = [process.execPath, join(here, 'fake_server.mjs')];

async function open(extraEnv = {}) {
  const argv = e.chain(fake);
  const transport = new StdioClientTransport({ command: argv[0], args: argv.slice(1), env: { ...e.env, ...extraEnv }, stderr: 'pipe' });
  const s = { transport, stderr: '' };
  transport.stderr?.on('data', (d) => { s.stderr += d; });
  s.client = new Client({ name: 'fake-test', version: '1.0.0' }, { capabilities: {} });
  await timeout(s.client.connect(transport), 20000, 'initialize');
  s.tree = () => [transport.pid, ...descendants(transport.pid)];
  s.pids = s.tree();
  return s;
}
const call = (s, name, args = {}, ms = 20000) =>
  timeout(s.client.callTool({ name, arguments: args }), ms, name).then((ok) => ({ ok }), (err) => ({ err }));
async function closeAndCheck(s, what, waitMs = 4000) {
  const pids = [...new Set([...s.pids, ...s.tree()])];
  const t0 = Date.now();
  await timeout(s.client.close(), 10000, `${what}: close`);
  while (pids.some(alive) && Date.now() - t0 < waitMs) await new Promise((r) => setTimeout(r, 100));
  const left = pids.filter(alive);
  check(left.length === 0, `${what}: no process left (zombie or orphan) within ${waitMs} ms`, `left: ${left}`);
}

try {
  // Rug pull.
  let s = await open();
  let names = (await s.client.listTools()).tools.map((t) => t.name);
  check(names.includes('calc'), 'first tools/list shows calc (pinned on first use)');
  check((await call(s, 'calc', { a: 1, b: 2 })).ok?.content[0].text === '3', 'calc works');
  await call(s, 'mutate');
  await new Promise((r) => setTimeout(r, 200));
  names = (await s.client.listTools()).tools.map((t) => t.name);
  check(!names.includes('calc') && names.includes('mutate'), 'changed calc is withheld from tools/list', String(names));
  const refused = await call(s, 'calc', { a: 1, b: 2 });
  check(refused.err?.code === -32013 && /pin-mismatch/.test(refused.err.message), 'a call to the changed tool is refused (-32013)',
    String(refused.err?.message));
  const pinDenied = (rs) => rs.some((x) => x.target === 'calc' && x.reason === 'pin-mismatch' && x.decision === 'deny');
  check(pinDenied(e.audit('connect', pinDenied)),
    'audit records the pin mismatch');
  check(s.stderr.includes('pin-mismatch'), 'stderr names the pin mismatch');
  const pending = JSON.parse(readFileSync(e.pins, 'utf8')).servers.server.calc.pending;
  check(/^sha3-256:[0-9a-f]{64}$/.test(pending ?? ''), 'the pin store holds the pending digest');
  e.run('tools', 'approve', 'server', 'calc', pending);
  names = (await s.client.listTools()).tools.map((t) => t.name);
  check(names.includes('calc'), 'after `pqmcp tools approve` calc is listed again');
  check((await call(s, 'calc', { a: 2, b: 3 })).ok?.content[0].text === '5', 'and calls to it work again');

  // Non-JSON on the server's stdout.
  const g = await call(s, 'garbage');
  check(g.ok?.content[0].text === 'after garbage', 'a non-JSON line from the server is dropped; the answer after it arrives');
  // wrap's stderr is a separate pipe from the answer: give it a moment to arrive.
  for (let i = 0; i < 100 && !/not JSON/.test(s.stderr); i++) await new Promise((r) => setTimeout(r, 50));
  check(/not JSON/.test(s.stderr), 'stderr says the server wrote a non-JSON line');
  const garbageDropped = (rs) => rs.some((x) => x.dir === 's2c' && x.decision === 'drop' && x.reason === 'malformed-json');
  check(garbageDropped(e.audit('wrap', garbageDropped)),
    'audit records the dropped line');

  // A 100 MB line.
  const t0 = Date.now();
  const big = await call(s, 'big', {}, 60000);
  check(big.err?.code === -32014 && /exceeds the limit/.test(big.err.message), `a 100 MB response becomes error -32014 (${Date.now() - t0} ms)`,
    String(big.err?.message ?? JSON.stringify(big.ok)?.slice(0, 100)));
  for (const pid of s.tree()) {
    let st = '';
    try { st = readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { continue; }
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmd.includes('wrap') || !cmd.startsWith(pqmcp)) continue;
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(st)?.[1] ?? 0);
    check(hwm > 0 && hwm < 80 * 1024, `wrap's peak memory stays bounded (${hwm} kB)`);
  }
  check((await call(s, 'calc', { a: 20, b: 22 })).ok?.content[0].text === '42', 'the session goes on after the 100 MB line');

  // A crashing server.
  const crash = await call(s, 'crash');
  check(crash.err?.code === -32015, 'the pending call gets -32015 when the server crashes', String(crash.err?.message));
  await closeAndCheck(s, 'crash');

  // A server that ignores stdin EOF and SIGTERM, and a client that leaves mid-request.
  s = await open({ FAKE_IGNORE_SIGNALS: '1' });
  const hang = call(s, 'hang-forever', {}, 2000);
  check((await hang).err !== undefined, 'a hanging call times out on the client side');
  const tq = Date.now();
  await closeAndCheck(s, 'stubborn server', 8000);
  check(Date.now() - tq < 8000, `a server ignoring EOF and SIGTERM is killed in bounded time (${Date.now() - tq} ms)`);
  check(/SIGKILL/.test(s.stderr), 'stderr says the server was killed');

  s = await open();
  call(s, 'hang-forever', {}, 60000);
  await new Promise((r) => setTimeout(r, 200));
  await closeAndCheck(s, 'client disconnect mid-request');
} catch (err) {
  check(false, err.stack);
} finally {
  e.cleanup();
}
done();
