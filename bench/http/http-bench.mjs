#!/usr/bin/env node
// http-bench: `tools/call echo` round trips to server-everything over Streamable HTTP, in one run:
//   pqmcp      raw JSON-lines driver ─stdio─ pqmcp connect --url ─HTTPS, X25519MLKEM768─ pqmcp serve
//              ─stdio─ server-everything   (composite ML-DSA-65+Ed25519 signatures with keys in
//              libpqhsm on both ends, verification on both ends, audit files, --require-pq)
//   mcp-proxy  raw HTTP driver (keep-alive) ─plain HTTP─ mcp-proxy ─stdio─ server-everything
//              (no TLS, no signatures, no policy)
// each with 1 and with 16 concurrent clients (one MCP session per client, calls sequential
// within a session). Prints calls/s and p50/p99 latency per path, the ratio, then the TLS
// handshake cost from tls-bench (X25519MLKEM768 against X25519). Prints figures; never fails on one.
// Usage: node http-bench.mjs PQMCP [TLS_BENCH] [--calls N] [--warmup N] [--clients 1,16] [--json]
// --calls: calls per client in the 1-client run; each of 16 clients makes calls/8 (at least 20).
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import net from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { makeEnv, everything } = await import(join(here, '../../tests/gateway/env.mjs'));
const { jsonlSession } = await import(join(here, '../lib/jsonl-session.mjs'));
const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--') && args[i - 1] !== '--json'));
const pqmcp = resolve(positional[0]);
const tlsBench = positional[1] ? resolve(positional[1]) : null;
const calls = Number(opt('--calls', 600)), warmup = Number(opt('--warmup', 50));
const clientCounts = String(opt('--clients', '1,16')).split(',').map(Number);
const e = makeEnv(pqmcp);
const trust = ['--bundle', e.bundle, '--admin-key', e.admin];
const procs = [];

const freePort = () => new Promise((res) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
});
async function waitListening(port, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await new Promise((res) => { const c = net.connect(port, '127.0.0.1', () => { c.destroy(); res(true); }); c.on('error', () => res(false)); }))
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

// ---- pqmcp: a JSON-lines driver over `pqmcp connect --url` ----
async function startServe() {
  const p = spawn(pqmcp, ['serve', '--listen', '127.0.0.1:0', '--identity', 'server', ...trust, '--audit', e.auditWrap,
    '--require-pq', '--quiet', '--max-sessions', '64', '--upstream', '--', process.execPath, everything, 'stdio'],
  { env: e.env, stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(p);
  let err = '';
  return new Promise((res, rej) => {
    p.stderr.on('data', (d) => {
      err += d;
      const u = err.match(/listening on (\S+)/), f = err.match(/certificate (SHA256:[0-9A-Fa-f:]+)/);
      if (u && f) res({ url: u[1], fp: f[1] });
    });
    p.on('exit', (c) => rej(new Error(`serve exited ${c}: ${err}`)));
  });
}

async function pqmcpSession(serve) {
  const { rpc, close } = await jsonlSession([pqmcp, 'connect', '--identity', 'agent', '--server-identity', 'server', ...trust,
    '--audit', e.auditConnect, '--url', serve.url, '--tls-fingerprint', serve.fp, '--require-pq'], e.env);
  return {
    call: (i) => rpc('tools/call', { name: 'echo', arguments: { message: `m${i}` } }),
    close,
  };
}

// ---- mcp-proxy: a raw Streamable HTTP driver with a keep-alive agent ----
async function startProxy() {
  const port = await freePort();
  const p = spawn(process.execPath, [require.resolve('mcp-proxy/dist/bin/mcp-proxy.mjs'), '--host', '127.0.0.1', '--port',
    String(port), '--server', 'stream', '--', process.execPath, everything, 'stdio'], { stdio: ['ignore', 'ignore', 'ignore'] });
  procs.push(p);
  await waitListening(port);
  return { url: `http://127.0.0.1:${port}/mcp`, port };
}

async function proxySession(proxy) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let session = null, version = null, id = 0;
  const post = (msg) => new Promise((res, rej) => {
    const body = JSON.stringify(msg);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(body) };
    if (session) headers['mcp-session-id'] = session;
    if (version) headers['mcp-protocol-version'] = version;
    const req = http.request({ host: '127.0.0.1', port: proxy.port, path: '/mcp', method: 'POST', headers, agent }, (r) => {
      if (r.headers['mcp-session-id']) session = r.headers['mcp-session-id'];
      const parts = [];
      r.on('data', (c) => parts.push(c));
      r.on('end', () => {
        const text = Buffer.concat(parts).toString();
        if (!('id' in msg)) return res(null);
        const jsons = (r.headers['content-type'] || '').startsWith('text/event-stream')
          ? text.split('\n').filter((l) => l.startsWith('data:') && l.length > 6).map((l) => JSON.parse(l.slice(5)))
          : text ? [JSON.parse(text)] : [];
        const m = jsons.find((x) => x.id === msg.id);
        m ? res(m) : rej(new Error(`no answer to ${msg.id}: ${r.statusCode} ${text.slice(0, 200)}`));
      });
    });
    req.on('error', rej);
    req.end(body);
  });
  const init = await post({ jsonrpc: '2.0', id: ++id, method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
  version = init.result.protocolVersion;
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return {
    call: (i) => post({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name: 'echo', arguments: { message: `m${i}` } } }),
    close: async () => {
      await new Promise((res) => {
        const req = http.request({ host: '127.0.0.1', port: proxy.port, path: '/mcp', method: 'DELETE',
          headers: { 'mcp-session-id': session, 'mcp-protocol-version': version }, agent }, (r) => { r.resume(); r.on('end', res); });
        req.on('error', res);
        req.end();
      });
      agent.destroy();
    },
  };
}

// n concurrent sessions, each making `per` sequential calls after `warm` warm-up calls.
async function run(open, n, per, warm) {
  const sessions = await Promise.all(Array.from({ length: n }, () => open()));
  await Promise.all(sessions.map(async (s) => { for (let i = 0; i < warm; i++) await s.call(i); }));
  const lat = [];
  let failed = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(sessions.map(async (s) => {
    for (let i = 0; i < per; i++) {
      const st = process.hrtime.bigint();
      const r = await s.call(i);
      if (!r?.result) failed++;
      lat.push(Number(process.hrtime.bigint() - st) / 1e6);
    }
  }));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  await Promise.all(sessions.map((s) => s.close()));
  lat.sort((a, b) => a - b);
  const q = (x) => lat[Math.min(lat.length - 1, Math.floor(x * lat.length))];
  return { clients: n, calls: n * per, failed, p50: q(0.5), p99: q(0.99), callsPerSec: (n * per) / wall };
}

const f2 = (x) => x.toFixed(2).padStart(9);
try {
  const serve = await startServe();
  const proxy = await startProxy();
  const rows = [];
  for (const n of clientCounts) {
    const per = n === 1 ? calls : Math.max(20, Math.floor(calls / 8));
    const warm = n === 1 ? warmup : Math.max(5, Math.floor(warmup / 5));
    const a = await run(() => pqmcpSession(serve), n, per, warm);
    const b = await run(() => proxySession(proxy), n, per, warm);
    rows.push({ path: 'pqmcp', ...a }, { path: 'mcp-proxy', ...b });
  }
  if (args.includes('--json')) {
    console.log(JSON.stringify({ rows }, null, 2));
  } else {
    console.log('http-bench: tools/call echo → server-everything; pqmcp = JSON-lines driver → pqmcp connect --url →');
    console.log('  HTTPS (X25519MLKEM768, --require-pq) → pqmcp serve → stdio, ML-DSA-65+Ed25519 signed and verified both ways;');
    console.log('  mcp-proxy = HTTP driver (keep-alive) → mcp-proxy 6.7.19 (plain HTTP, no signatures) → stdio');
    console.log(`${'path'.padEnd(10)} ${'clients'.padStart(7)} ${'calls'.padStart(7)} ${'failed'.padStart(6)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'calls/s'.padStart(9)}`);
    for (const r of rows)
      console.log(`${r.path.padEnd(10)} ${String(r.clients).padStart(7)} ${String(r.calls).padStart(7)} ${String(r.failed).padStart(6)} ${f2(r.p50)} ${f2(r.p99)} ${f2(r.callsPerSec)}`);
    for (const n of clientCounts) {
      const a = rows.find((r) => r.path === 'pqmcp' && r.clients === n), b = rows.find((r) => r.path === 'mcp-proxy' && r.clients === n);
      console.log(`${n} client(s): pqmcp calls/s = ${(a.callsPerSec / b.callsPerSec).toFixed(2)} × mcp-proxy's (goal ≥ 5×)`);
    }
  }
} catch (err) {
  console.error(`http-bench: ${err.stack}`);
} finally {
  for (const p of procs) p.kill('SIGTERM');
  e.cleanup();
}
if (tlsBench) {
  // The TLS handshake cost is measured by tls-bench (bench/tls); shown here, not re-measured.
  try {
    console.log(execFileSync(tlsBench, ['--handshakes', '200']).toString().trimEnd());
  } catch (err) {
    console.error(`http-bench: tls-bench failed: ${err.message}`);
  }
}
