// The TypeScript SDK client and server-everything accept messages carrying pqmcp's `_meta`
// signatures unchanged: every message in both directions is signed (and verified) by
// sign_relay_tool before the other side sees it, and the session must still work.
// Usage: node sdk_acceptance.mjs <sign_relay_tool>
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const relay = spawn(process.argv[2], [], { stdio: ['pipe', 'pipe', 'inherit'] });
const replies = [];
const waiters = [];
createInterface({ input: relay.stdout }).on('line', (l) => {
  const w = waiters.shift();
  if (w) w(JSON.parse(l)); else replies.push(JSON.parse(l));
});
let chain = Promise.resolve();
let signedCount = 0;
function sign(dir, msg) {
  // One request in flight at a time keeps replies in order.
  const p = chain.then(() => new Promise((resolve) => {
    waiters.push(resolve);
    relay.stdin.write(JSON.stringify({ dir, msg }) + '\n');
  })).then((r) => {
    if (r.error) throw new Error(`pqmcp ${dir}: ${r.error} on ${JSON.stringify(msg).slice(0, 200)}`);
    const env = r.msg.params?._meta?.['io.pqmcp/sig'] ?? r.msg.result?._meta?.['io.pqmcp/sig'] ??
                r.msg.error?.data?.['io.pqmcp/sig'];
    assert.ok(env && env.sig.length > 4000, 'signed with a composite signature');
    signedCount++;
    return r.msg;
  });
  chain = p.catch(() => {});
  return p;
}

const require = createRequire(import.meta.url);
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [require.resolve('@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
  stderr: 'ignore',
});
const origSend = transport.send.bind(transport);
transport.send = async (msg, opts) => origSend(await sign('c2s', msg), opts);
let deliver;
let errors = [];
Object.defineProperty(transport, 'onmessage', {
  get() { return deliver && ((m, extra) => sign('s2c', m).then((s) => deliver(s, extra), (e) => errors.push(e))); },
  set(fn) { deliver = fn; },
});

const client = new Client({ name: 'pqmcp-acceptance', version: '0.1.0' }, { capabilities: {} });
await client.connect(transport);
await client.ping();
const tools = await client.listTools();
assert.ok(tools.tools.some((t) => t.name === 'echo'));
// The signed result's _meta reaches the application untouched.
const echo = await client.callTool({ name: 'echo', arguments: { message: 'signed hello' } });
assert.equal(echo.content[0].text, 'Echo: signed hello');
assert.ok(echo._meta?.['io.pqmcp/sig']?.alg === 'mldsa65-ed25519');
const sum = await client.callTool({ name: 'get-sum', arguments: { a: 40, b: 2 } });
assert.match(sum.content[0].text, /42/);
const res = await client.listResources();
await client.readResource({ uri: res.resources[0].uri });
const prompts = await client.listPrompts();
await client.getPrompt({ name: prompts.prompts.find((p) => p.name === 'simple-prompt').name, arguments: {} });
// A signed error response (error.data carries the envelope) still rejects as an MCP error.
await assert.rejects(client.request({ method: 'pqmcp/no-such-method', params: {} },
                                    (await import('zod')).z.any()), /-32601|not found/i);
await new Promise((r) => setTimeout(r, 200));
await client.close();
relay.stdin.end();
assert.deepEqual(errors, []);
console.log(`SDK client and server-everything completed a session with ${signedCount} signed messages`);
process.exit(0);
