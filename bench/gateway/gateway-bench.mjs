#!/usr/bin/env node
// gateway-bench: sequential `tools/call echo` round trips to server-everything over stdio,
// directly and through `pqmcp connect` + `pqmcp wrap` (composite ML-DSA-65+Ed25519 signing on
// both sides with keys in libpqhsm, verification on both sides, audit files written), in the
// same run. Prints p50/p99 latency of each path, the latency added, and calls/s.
// Usage: node gateway-bench.mjs PQMCP [--calls N] [--warmup N] [--module LIBPQHSM] [--json]
// (--module: the token module to initialise, e.g. another build's libpqhsm.so, to compare builds
// of pqmcp against the same token.)
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
const e = makeEnv(pqmcp, { module: modIdx >= 0 ? resolve(args[modIdx + 1]) : '' });

async function measure(argv) {
  const { rpc, close } = await jsonlSession(argv, e.env);
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

try {
  const direct = await measure([process.execPath, everything, 'stdio']);
  const gw = await measure(e.chain([process.execPath, everything, 'stdio']));
  const out = {
    calls, warmup, direct, gateway: gw,
    added: { p50: gw.p50 - direct.p50, p99: gw.p99 - direct.p99 },
    goal_p50_added_ms: 0.5,
  };
  if (args.includes('--json')) console.log(JSON.stringify(out, null, 1));
  else {
    const f = (x) => x.toFixed(3);
    console.log(`sequential echo round trips: ${calls} (after ${warmup} warm-up)`);
    console.log(`path                          p50 ms   p90 ms   p99 ms   calls/s`);
    console.log(`direct stdio                  ${f(direct.p50)}    ${f(direct.p90)}    ${f(direct.p99)}    ${direct.callsPerSec.toFixed(0)}`);
    console.log(`connect + wrap (libpqhsm)     ${f(gw.p50)}    ${f(gw.p90)}    ${f(gw.p99)}    ${gw.callsPerSec.toFixed(0)}`);
    console.log(`added by pqmcp                ${f(out.added.p50)}             ${f(out.added.p99)}`);
    console.log(`goal: <= 0.5 ms added at p50: ${out.added.p50 <= 0.5 ? 'met' : 'NOT met'}`);
  }
} finally {
  e.cleanup();
}
