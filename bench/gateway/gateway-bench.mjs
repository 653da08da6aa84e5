#!/usr/bin/env node
// gateway-bench: sequential `tools/call echo` round trips to server-everything over stdio,
// directly and through `pqmcp connect` + `pqmcp wrap` (composite ML-DSA-65+Ed25519 signing on
// both sides with keys in libpqhsm, verification on both sides, audit files written), in the
// same run. Prints p50/p99 latency of each path, the latency added, calls/s, and the CPU time
// the two gateway processes took per round trip (main threads, all threads; Linux /proc).
// Usage: node gateway-bench.mjs PQMCP [--calls N] [--warmup N] [--block N] [--module LIBPQHSM]
//        [--alg A]… [--against PQMCP2 [--against-module LIBPQHSM2]] [--placement P] [--json]
// --placement: where the processes may run. `free` (the CPUs this command was given, placed by
// the scheduler), `one-cpu` (the whole run, client and chain, on one CPU: the bench re-runs
// itself under `taskset -c`, as the project's other benchmarks are pinned), or `both` (default:
// free, then one CPU). A sequential chain needs one CPU at a time; spread over several it pays
// for every hop to a halted CPU (docs/gateway.md "Where the chain runs").
// --module: the token module to initialise, e.g. another build's libpqhsm.so. --alg: the
// identities' algorithm, as `pqmcp identity create --alg` takes it; repeat it to measure several
// in one run; default: pqmcp's default, mldsa65-ed25519. --against: a second pqmcp build (with
// its own token module, default: the libpqhsm.so beside it) measured as a third path in the same
// interleaving, for a before/after comparison of two builds that the host's drift cannot bias.
//
// The paths' sessions are all open at once and take turns in blocks of --block calls (default
// 100): the host's speed drifts by tens of percent over minutes, and measuring one path after
// the other would put that drift into the difference. Within a block each path runs
// back-to-back, so its processes stay as warm as in a real session.
// A raw JSON-lines client (no SDK) keeps the client's own cost out of the comparison.
import { resolve, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { makeEnv, everything, descendants } = await import(join(here, '../../tests/gateway/env.mjs'));
const { readFileSync, readdirSync } = await import('node:fs');
const { execFileSync } = await import('node:child_process');
const { jsonlSession } = await import(join(here, '../lib/jsonl-session.mjs'));

const args = process.argv.slice(2);
const str = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const num = (n, d) => Number(str(n, d));
const pqmcp = resolve(args[0]);
const calls = num('--calls', 2000), warmup = num('--warmup', 200), block = Math.max(1, num('--block', 100));
const module = str('--module', '') && resolve(str('--module'));
const against = str('--against', '') && resolve(str('--against'));
const againstModule = against ? resolve(str('--against-module', join(dirname(against), '../token/libpqhsm.so'))) : '';
const algs = args.flatMap((a, i) => (a === '--alg' ? [args[i + 1]] : []));
if (algs.length === 0) algs.push('mldsa65-ed25519');
const placementMode = str('--placement', 'both');
if (!['free', 'one-cpu', 'both', 'here'].includes(placementMode)) {
  console.error(`gateway-bench: --placement must be free, one-cpu or both, not ${placementMode}`);
  process.exit(2);
}

const echo = async (s, i) => {
  const r = await s.rpc('tools/call', { name: 'echo', arguments: { message: `m${i}` } });
  if (!r.result) throw new Error(`call failed: ${JSON.stringify(r)}`);
};

// CPU time (ns) the kernel has charged to a process: its main thread and all its threads
// (/proc/PID/task/*/schedstat, first field). It drifts with the host's load as well (400-530 µs
// per round trip for one build within an hour here), but without the wake-up latencies' scatter,
// so two builds in the same interleaved run show a saving that p50 drowns in noise.
function cpuNs(pid) {
  const run = (t) => Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
  try {
    let all = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) all += run(t);
    return { main: run(pid), all };
  } catch { return null; }  // no /proc (not Linux) or the process is gone
}
// The CPUs this process (and every process it starts) may use, as numbers ("0-1,4" → [0, 1, 4]),
// and as text beside the machine's: where the chain may run changes the figures
// (docs/gateway.md "Where the chain runs"). An empty list when unknown (not Linux).
function cpuLists() {
  const parse = (list) => list.split(',').flatMap((r) => {
    const [a, b = a] = r.split('-').map(Number);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
  try {
    const allowed = readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(\S+)/m)[1];
    const online = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    return { allowed: parse(allowed), text: allowed === online ? `${online} (all)` : `${allowed} of ${online}` };
  } catch { return { allowed: [], text: 'unknown' }; }
}
// This benchmark again, under `taskset -c CPU` (the last CPU it may use: the first ones tend to
// take more of the machine's interrupts), with the same options; its JSON result.
function runOnOneCpu() {
  const cpus = cpuLists().allowed;
  if (cpus.length === 0) throw new Error('cannot tell which CPUs this process may use (not Linux?)');
  const own = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--json') continue;
    if (args[i] === '--placement') { i++; continue; }
    own.push(args[i]);
  }
  const out = execFileSync('taskset', ['-c', String(cpus[cpus.length - 1]), process.execPath, fileURLToPath(import.meta.url),
    ...own, '--placement', 'here', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  return JSON.parse(out);
}
// The gateway processes of a session: `pqmcp connect` (the session's child) and the `pqmcp wrap`
// it started (the server below wrap is not ours).
function gatewayPids(session) {
  const pids = [session.pid, ...descendants(session.pid)];
  return pids.filter((pid) => {
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => a === 'connect' || a === 'wrap'); } catch { return false; }
  });
}
function cpuSum(pids) {
  let main = 0, all = 0;
  for (const pid of pids) { const c = cpuNs(pid); if (!c) return null; main += c.main; all += c.all; }
  return { main, all };
}

// paths: [{ name, session }]. Returns per path { p50, p90, p99, callsPerSec, cpu }, where cpu is
// the gateways' CPU per round trip in µs ({ main, all } threads; null for the direct path).
async function measure(paths) {
  for (const p of paths) for (let i = 0; i < warmup; i++) await echo(p.session, i);
  const lat = paths.map(() => []);
  const pids = paths.map((p) => gatewayPids(p.session));
  const cpu = paths.map((p, j) => (pids[j].length ? { main: 0, all: 0 } : null));
  for (let done = 0, turn = 0; done < calls; done += block, turn++) {
    const n = Math.min(block, calls - done);
    for (let k = 0; k < paths.length; k++) {
      const j = (k + turn) % paths.length;  // rotate who goes first
      const before = cpu[j] && cpuSum(pids[j]);
      for (let i = 0; i < n; i++) {
        const s = process.hrtime.bigint();
        await echo(paths[j].session, done + i);
        lat[j].push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      const after = before && cpuSum(pids[j]);
      if (after) cpu[j].main += after.main - before.main, cpu[j].all += after.all - before.all;
      else cpu[j] = null;
    }
  }
  return lat.map((l, j) => {
    const sum = l.reduce((a, b) => a + b, 0);
    const per = (ns) => ns / l.length / 1000;
    l.sort((a, b) => a - b);
    const q = (x) => l[Math.min(l.length - 1, Math.floor(x * l.length))];
    return { p50: q(0.5), p90: q(0.9), p99: q(0.99), callsPerSec: l.length / (sum / 1000),
             cpu: cpu[j] && { main: per(cpu[j].main), all: per(cpu[j].all) } };
  });
}

// One fresh installation per build and algorithm, measured where this process may run.
async function measureHere() {
  const runs = [];
  for (const alg of algs) {
    const envs = [makeEnv(pqmcp, { module, alg })];
    if (against) envs.push(makeEnv(against, { module: againstModule, alg }));
    const sessions = [];
    try {
      const server = [process.execPath, everything, 'stdio'];
      sessions.push(await jsonlSession(server, envs[0].env));
      for (const e of envs) sessions.push(await jsonlSession(e.chain(server), e.env));
      const [direct, gateway, other] = await measure(sessions.map((session) => ({ session })));
      const run = { alg, direct, gateway, added: { p50: gateway.p50 - direct.p50, p99: gateway.p99 - direct.p99 } };
      if (other) run.against = { gateway: other, added: { p50: other.p50 - direct.p50, p99: other.p99 - direct.p99 } };
      runs.push(run);
    } finally {
      for (const s of sessions) await s.close();
      for (const e of envs) e.cleanup();
    }
  }
  return { cpus: cpuLists().text, runs };
}

// How each placement is named in the output.
const labels = { free: 'free placement', 'one-cpu': 'one CPU for the client and the chain', here: 'as given' };
const json = args.includes('--json');
const results = {};  // placement → { cpus, runs }
if (!json) {
  console.log(`sequential echo round trips: ${calls} per path (after ${warmup} warm-up), paths interleaved in ` +
              `blocks of ${block}, keys in ${module || 'libpqhsm'}`);
  if (placementMode === 'both')
    console.log('the two placements are measured one after the other: the host\'s drift between them is not cancelled');
}
// Each placement printed as soon as it is measured, so that a later one failing loses nothing.
const done = (where, r) => {
  results[where] = r;
  if (!json) print(where, r);
};
if (placementMode === 'here') done('here', await measureHere());
if (placementMode === 'free' || placementMode === 'both') {
  const r = await measureHere();
  const { allowed } = cpuLists();
  done(allowed.length === 1 ? 'one-cpu' : 'free', r);  // a command already on one CPU is not free
}
if ((placementMode === 'one-cpu' || placementMode === 'both') && !results['one-cpu']) {
  try {
    done('one-cpu', runOnOneCpu().results.here);
  } catch (e) {
    console.error(`gateway-bench: the one-CPU measurement failed: ${e.message}`);
    process.exitCode = 1;
  }
}
if (json) console.log(JSON.stringify({ calls, warmup, block, against, results, goal_p50_added_ms: 0.5 }, null, 1));
else {
  for (const alg of algs) {
    const verdicts = Object.entries(results).map(([where, { runs }]) => {
      const a = runs.find((r) => r.alg === alg).added.p50;
      return `${labels[where]} ${a <= 0.5 ? 'met' : 'NOT met'} (${a.toFixed(3)} ms)`;
    });
    console.log(`goal: <= 0.5 ms added at p50 with ${alg} identities: ${verdicts.join('; ')}`);
  }
}

function print(where, { cpus, runs }) {
  const f = (x) => x.toFixed(3);
  const row = (a, what, r) =>
    console.log(`${a} ${what.padEnd(19)} ${f(r.p50)}    ${f(r.p90)}    ${f(r.p99)}    ${r.callsPerSec.toFixed(0)}`);
  console.log(`\nplacement: ${labels[where]}, CPUs ${cpus}`);
  console.log(`identities        path                p50 ms   p90 ms   p99 ms   calls/s`);
  for (const r of runs) {
    const a = r.alg.padEnd(17);
    row(a, 'direct stdio', r.direct);
    row(a, 'connect + wrap', r.gateway);
    console.log(`${a} added by pqmcp      ${f(r.added.p50)}             ${f(r.added.p99)}`);
    if (r.against) {
      row(a, 'against: c + w', r.against.gateway);
      console.log(`${a} against: added      ${f(r.against.added.p50)}             ${f(r.against.added.p99)}`);
      console.log(`${a} this - against      ${f(r.added.p50 - r.against.added.p50)} ms at p50`);
    }
  }
  const cpuRow = (a, what, c) =>
    c && console.log(`${a} ${what.padEnd(19)} ${c.main.toFixed(0).padStart(6)} µs ${c.all.toFixed(0).padStart(6)} µs`);
  if (runs.some((r) => r.gateway.cpu)) {
    console.log(`gateway CPU per round trip (connect + wrap)   main threads   all threads`);
    for (const r of runs) {
      const a = r.alg.padEnd(17);
      cpuRow(a, 'connect + wrap', r.gateway.cpu);
      if (r.against) cpuRow(a, 'against: c + w', r.against.gateway.cpu);
    }
  }
}
