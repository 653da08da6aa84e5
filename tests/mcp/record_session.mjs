// Records a real MCP session between the TypeScript SDK client and server-everything over
// stdio: every JSON-RPC message in both directions, one JSON text per line, as
// {"dir":"c2s"|"s2c","msg":{...}}. The output is committed (tests/mcp/data/session-2025-11-25.jsonl)
// so that the unit tests need neither node nor the network.
// Usage: node tests/mcp/record_session.mjs > tests/mcp/data/session-2025-11-25.jsonl
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const require = createRequire(import.meta.url);
const serverEntry = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

const transport = new StdioClientTransport({
  command: process.execPath, args: [serverEntry, 'stdio'], stderr: 'ignore',
});
const lines = [];
const origSend = transport.send.bind(transport);
transport.send = async (msg, opts) => { lines.push({ dir: 'c2s', msg }); return origSend(msg, opts); };
let clientOnMessage;
Object.defineProperty(transport, 'onmessage', {
  get() { return clientOnMessage && ((m, extra) => { lines.push({ dir: 's2c', msg: m }); clientOnMessage(m, extra); }); },
  set(fn) { clientOnMessage = fn; },
});

const client = new Client({ name: 'pqmcp-recorder', version: '0.1.0' }, { capabilities: {} });
await client.connect(transport);
await client.ping();
const tools = await client.listTools();
await client.callTool({ name: 'echo', arguments: { message: 'hello from pqmcp' } });
await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3.5 } });
if (tools.tools.some((t) => t.name === 'get-structured-content')) {
  await client.callTool({ name: 'get-structured-content', arguments: { location: 'New York' } });
}
await client.callTool({ name: 'get-tiny-image', arguments: {} });
await client.callTool({ name: 'get-annotated-message', arguments: { messageType: 'error', includeImage: false } });
await client.listPrompts();
const prompts = await client.listPrompts();
if (prompts.prompts.length) {
  const p = prompts.prompts.find((x) => !x.arguments?.some((a) => a.required)) ?? prompts.prompts[0];
  const args = Object.fromEntries((p.arguments ?? []).map((a) => [a.name, a.name === 'city' ? 'Paris' : 'x']));
  await client.getPrompt({ name: p.name, arguments: args }).catch(() => {});
}
const resources = await client.listResources();
await client.listResourceTemplates();
if (resources.resources.length) await client.readResource({ uri: resources.resources[0].uri });
await client.setLoggingLevel('debug').catch(() => {});
// An error response: a method the server does not implement (JSON-RPC 2.0 §5.1, -32601).
await client.request({ method: 'pqmcp/no-such-method', params: {} }, (await import('zod')).z.any())
  .catch(() => {});
// A tool error reported as a result (MCP tools: isError), and a bad-arguments call.
await client.callTool({ name: 'no-such-tool', arguments: {} }).catch(() => {});
await client.callTool({ name: 'get-sum', arguments: { a: 'x' } }).catch(() => {});
await new Promise((r) => setTimeout(r, 200));  // let trailing notifications arrive
await client.close();
for (const l of lines) process.stdout.write(JSON.stringify(l) + '\n');
