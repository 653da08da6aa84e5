#!/usr/bin/env node
// gateway-bench: sequential `tools/call echo` round trips to server-everything over stdio,
// directly and through `pqmcp connect` + `pqmcp wrap` (composite ML-DSA-65+Ed25519 signing on
// both sides with keys in libpqhsm, verification on both sides, audit files written), in the
// same run. Prints p50/p99 latency of each path, the latency added, and calls/s.
// Usage: node gateway-bench.mjs PQMCP [--calls N] [--warmup N] [--module LIBPQHSM] [--alg A]… [--json]
// (--module: the token module to initialise, e.g. another build's libpqhsm.so, to compare builds
// of pqmcp against the same token. --alg: the identities' algorithm, as `pqmcp identity create
// --alg` takes it; repeat it to measure several in one run; default: pqmcp's default,
// mldsa65-ed25519.)
// A raw JSON-lines client (no SDK) keeps the client's own cost out of the comparison.
import { resolve, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { makeEnv, everything } = await import(join(here, '../../tests/gateway/env.mjs'));
const { jsonlSession } = await import(join(here, '../lib/jsonl-session.mjs'));
const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? Number(args[i + 1]) : d; };
const pqmcp = resolve(args[0]);
const calls = opt('--calls', 2000), warmup = opt('--warmup', 200);
const modIdx = args.indexOf('--module');
const module = modIdx >= 0 ? resolve(args[modIdx + 1]) : '';
const algs = args.flatMap((a, i) => (a === '--alg' ? [args[i + 1]] : []));
if (algs.length === 0) algs.push('mldsa65-ed25519');

async function measure(argv, env) {
  const { rpc, close } = await jsonlSession(argv, env);
  const lat = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < warmup + calls; i++) {
    const s = process.hrtime.bigint();
    const r = await rpc('tools/call', { name: 'echo', arguments: { message: `m${i}` } });
    if (!r.result) throw new Error(`call failed: ${JSON.stringify(r)}`);
    if (i >= warmup) lat.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e9;
  await close();
  lat.sort((a, b) => a - b);
  const q = (x) => lat[Math.min(lat.length - 1, Math.floor(x * lat.length))];
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), callsPerSec: (warmup + calls) / total };
}

// One direct session and one through the gateway per algorithm, each in a fresh installation.
const runs = [];
for (const alg of algs) {
  const e = makeEnv(pqmcp, { module, alg });
  try {
    const direct = await measure([process.execPath, everything, 'stdio'], e.env);
    const gw = await measure(e.chain([process.execPath, everything, 'stdio']), e.env);
    runs.push({ alg, direct, gateway: gw, added: { p50: gw.p50 - direct.p50, p99: gw.p99 - direct.p99 } });
  } finally {
    e.cleanup();
  }
}
if (args.includes('--json')) console.log(JSON.stringify({ calls, warmup, runs, goal_p50_added_ms: 0.5 }, null, 1));
else {
  const f = (x) => x.toFixed(3);
  console.log(`sequential echo round trips: ${calls} (after ${warmup} warm-up), keys in ${module || 'libpqhsm'}`);
  console.log(`identities        path                p50 ms   p90 ms   p99 ms   calls/s`);
  for (const r of runs) {
    const a = r.alg.padEnd(17);
    console.log(`${a} direct stdio        ${f(r.direct.p50)}    ${f(r.direct.p90)}    ${f(r.direct.p99)}    ${r.direct.callsPerSec.toFixed(0)}`);
    console.log(`${a} connect + wrap      ${f(r.gateway.p50)}    ${f(r.gateway.p90)}    ${f(r.gateway.p99)}    ${r.gateway.callsPerSec.toFixed(0)}`);
    console.log(`${a} added by pqmcp      ${f(r.added.p50)}             ${f(r.added.p99)}`);
  }
  for (const r of runs)
    console.log(`goal: <= 0.5 ms added at p50 with ${r.alg} identities: ${r.added.p50 <= 0.5 ? 'met' : 'NOT met'} (${f(r.added.p50)} ms)`);
}
