// A raw JSON-lines MCP client over a child's stdin/stdout (no SDK, so the client's own cost stays
// out of the benchmarks): starts argv, initializes (MCP 2025-11-25), and returns rpc(method,
// params) resolving with the response to each request, the child's pid, and close().
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export async function jsonlSession(argv, env) {
  const p = spawn(argv[0], argv.slice(1), { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const waiting = new Map();
  createInterface({ input: p.stdout }).on('line', (l) => {
    const m = JSON.parse(l);
    const w = waiting.get(m.id);
    if (w) { waiting.delete(m.id); w(m); }
  });
  let id = 0;
  const rpc = (method, params) => new Promise((res) => {
    const i = ++id;
    waiting.set(i, res);
    p.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: i, method, params }) + '\n');
  });
  await rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } });
  p.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
  return {
    rpc,
    pid: p.pid,
    close: async () => { p.stdin.end(); await new Promise((r) => p.on('exit', r)); },
  };
}
