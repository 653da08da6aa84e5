// The quickstart's MCP session: the TypeScript SDK client talks to server-everything through
// `pqmcp connect` (signs as the agent) and `pqmcp wrap` (verifies, checks policy, signs as the
// server). Usage: node demo-session.mjs PQMCP AGENT SERVER POLICY BUNDLE ADMIN_KEY ALLOWED_TOOL [FORBIDDEN_TOOL]
// Calls ALLOWED_TOOL (must succeed) and, if given, FORBIDDEN_TOOL (must be refused: with a
// policy-bound agent key the token itself refuses to sign it). Exit 0 only if both hold.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createRequire } from 'node:module';

const [pqmcp, agent, server, policy, bundle, adminKey, allowed, forbidden] = process.argv.slice(2);
const everything = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/dist/index.js');
const trust = ['--bundle', bundle, '--admin-key', adminKey];
const args = ['connect', '--identity', agent, '--server-identity', server, ...trust, '--shutdown-timeout', '1000', '--',
  pqmcp, 'wrap', '--identity', server, '--policy', policy, ...trust, '--shutdown-timeout', '1000', '--',
  process.execPath, everything, 'stdio'];
const argsFor = { echo: { message: 'hello from the quickstart' }, 'get-sum': { a: 40, b: 2 }, 'get-env': {} };

const bounded = (p, ms, what) => {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timeout: ${what}`)), ms); })])
    .finally(() => clearTimeout(t));
};
const text = (r) => (r.content ?? []).map((c) => (c.type === 'text' ? c.text : `[${c.type} ${c.mimeType ?? ''}]`)).join(' ').slice(0, 300);

const transport = new StdioClientTransport({ command: pqmcp, args, env: process.env, stderr: 'pipe' });
let stderr = '';
transport.stderr?.on('data', (d) => { stderr += d; });
const client = new Client({ name: 'pqmcp-quickstart', version: '1.0.0' }, { capabilities: {} });
let ok = true;
try {
  await bounded(client.connect(transport), 20000, 'initialize');
  console.log(`  [${agent}] connected to ${client.getServerVersion()?.name} through pqmcp connect + wrap`);
  const tools = (await bounded(client.listTools(), 10000, 'tools/list')).tools.map((t) => t.name);
  console.log(`  [${agent}] tools/list: ${tools.length} tools`);
  const r = await bounded(client.callTool({ name: allowed, arguments: argsFor[allowed] ?? {} }), 10000, allowed);
  if (r.isError) { ok = false; console.log(`  [${agent}] ${allowed}: FAILED: ${text(r)}`); }
  else console.log(`  [${agent}] ${allowed} (allowed) -> ${text(r)}`);
  if (forbidden) {
    try {
      const f = await bounded(client.callTool({ name: forbidden, arguments: argsFor[forbidden] ?? {} }), 10000, forbidden);
      ok = false;
      console.log(`  [${agent}] ${forbidden}: NOT refused: ${JSON.stringify(f).slice(0, 200)}`);
    } catch (e) {
      const reason = e.data?.pqmcp?.reason ?? '';
      console.log(`  [${agent}] ${forbidden} (forbidden) -> refused (${e.code} ${reason}): ${e.message}`);
      if (!/CKR_FUNCTION_REJECTED|policy-denied/.test(e.message + reason)) ok = false;
    }
  }
} catch (e) {
  ok = false;
  console.log(`  [${agent}] session failed: ${e.message}`);
} finally {
  await bounded(client.close(), 10000, 'close').catch(() => {});
}
if (!ok && stderr) console.log(`  gateway stderr:\n${stderr.replace(/^/gm, '    ')}`);
process.exit(ok ? 0 : 1);
