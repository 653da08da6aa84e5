// A 2026-07-28 session over stdio through `pqmcp connect` + `pqmcp wrap`, between real peers: the
// v2 TypeScript SDK client pinned to 2026-07-28 (`server/discover`, per-request _meta envelope,
// no initialize) and a v2 SDK server (`serveStdio`, dual-era). Checks the negotiated version, that
// the protocol's own _meta members travel untouched next to pqmcp's signature (request envelope
// to the server, serverInfo back to the client), that both ends verified every message, and that
// a 2025-era client (SDK 1.x, initialize) still works against the same server through pqmcp.
// Usage: node era2026_test.mjs PQMCP
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { join, resolve } from 'node:path';
import { makeEnv, here, timeout, check, done } from './env.mjs';

const pqmcp = resolve(process.argv[2]);
const e = makeEnv(pqmcp);
const server = [process.execPath, join(here, 'era2026_server.mjs')];
try {
  const argv = e.chain(server);
  {
    const client = new Client({ name: 'era-2026-client', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const t = new StdioClientTransport({ command: argv[0], args: argv.slice(1), env: e.env, stderr: 'pipe' });
    let stderr = '';
    t.stderr?.on('data', (d) => { stderr += d; });
    await timeout(client.connect(t), 30000, 'connect (server/discover)');
    check(client.getNegotiatedProtocolVersion() === '2026-07-28', 'negotiated 2026-07-28 through pqmcp',
      `got ${client.getNegotiatedProtocolVersion()}`);
    const tools = await timeout(client.listTools(), 15000, 'tools/list');
    check(tools.tools.some((x) => x.name === 'echo'), 'tools/list in the 2026 era');
    const r = await timeout(client.callTool({ name: 'echo', arguments: { message: 'hi' } }), 15000, 'tools/call');
    const text = r.content?.[0]?.text ?? '';
    check(text === 'Echo: hi (protocol 2026-07-28)', 'the request reached the server with its 2026-07-28 _meta envelope', text);
    check(r._meta?.['io.modelcontextprotocol/serverInfo']?.name === 'era-2026-test',
      "the result's own _meta (serverInfo) came back next to the stripped signature", JSON.stringify(r._meta));
    check(!JSON.stringify(r).includes('io.pqmcp/'), 'no pqmcp member reached the client');
    await client.close();
    check(!/rejected|would be rejected/.test(stderr), 'no rejection on either side', stderr);
  }
  const wrap = e.audit('wrap'), conn = e.audit('connect');
  const c2s = wrap.filter((a) => a.dir === 'c2s');
  check(c2s.some((a) => a.method === 'server/discover' && a.verification === 'ok' && a.decision === 'allow'),
    'wrap verified the server/discover probe');
  check(c2s.some((a) => a.method === 'tools/call' && a.target === 'echo' && a.verification === 'ok'),
    'wrap verified the 2026 tools/call');
  check(!c2s.some((a) => a.method === 'initialize'), 'no initialize in the 2026 session');
  check(conn.filter((a) => a.dir === 's2c').every((a) => a.verification === 'ok' && a.decision === 'allow'),
    'connect verified every server message', JSON.stringify(conn.filter((a) => a.verification !== 'ok')));
  check(![...wrap, ...conn].some((a) => a.decision === 'deny'), 'no denial recorded');

  // The same server and gateway with a 2025-era client (initialize handshake).
  const legacy = new LegacyClient({ name: 'legacy-client', version: '1.0.0' });
  await timeout(legacy.connect(new LegacyStdio({ command: argv[0], args: argv.slice(1), env: e.env, stderr: 'ignore' })),
    30000, 'legacy connect');
  const lr = await timeout(legacy.callTool({ name: 'echo', arguments: { message: 'old' } }), 15000, 'legacy tools/call');
  check(/^Echo: old \(protocol (none|2025-)/.test(lr.content?.[0]?.text ?? ''), 'a 2025-era client still works through pqmcp',
    lr.content?.[0]?.text);
  await legacy.close();
} catch (err) {
  check(false, 'session', String(err?.stack ?? err));
} finally {
  e.cleanup();
}
done();
