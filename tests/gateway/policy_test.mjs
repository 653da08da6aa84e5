// The gateway-side policy check in `pqmcp wrap --policy`: an allowed tool works, a tool outside
// the agent's rules is refused with -32011 naming the rule, a rate limit gives -32012, each
// decision is in the audit file with its rule; in observe mode the same request passes with a
// warning and an "observe" record.
// Usage: node policy_test.mjs PQMCP
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { makeEnv, everything, timeout, check, done } from './env.mjs';

const pqmcp = resolve(process.argv[2]);
const e = makeEnv(pqmcp);
const policy = join(e.root, 'policy.toml');
writeFileSync(policy, `version = 1
[agents.agent]
methods = ["logging/setLevel"]
[[agents.agent.tools]]
name = "echo"
rate = { per_minute = 3, burst = 3 }
args.message = { max_length = 20 }
`);

async function session(mode) {
  const argv = e.chain([process.execPath, everything, 'stdio'], { wrapArgs: ['--policy', policy, '--mode', mode] });
  const transport = new StdioClientTransport({ command: argv[0], args: argv.slice(1), env: e.env, stderr: 'pipe' });
  const s = { stderr: '' };
  transport.stderr?.on('data', (d) => { s.stderr += d; });
  s.client = new Client({ name: 'policy-test', version: '1.0.0' }, { capabilities: {} });
  await timeout(s.client.connect(transport), 20000, 'initialize');
  s.call = (name, args) => timeout(s.client.callTool({ name, arguments: args }), 10000, name).then((ok) => ({ ok }), (err) => ({ err }));
  return s;
}

try {
  let s = await session('require');
  check((await s.call('echo', { message: 'allowed' })).ok?.content[0].text === 'Echo: allowed', 'an allowed tool works');
  const sum = await s.call('get-sum', { a: 1, b: 2 });
  check(sum.err?.code === -32011 && sum.err.data?.pqmcp?.rule, `a tool outside the policy is refused with -32011 (rule ${sum.err?.data?.pqmcp?.rule})`,
    String(sum.err?.message));
  const long = await s.call('echo', { message: 'this message is far longer than twenty characters' });
  check(long.err?.code === -32011, 'an argument constraint is enforced (-32011)', String(long.err?.message));
  let limited = null;
  for (let i = 0; i < 5 && !limited; i++) {
    const r = await s.call('echo', { message: `n${i}` });
    if (r.err) limited = r.err;
  }
  check(limited?.code === -32012, 'the rate limit gives -32012', String(limited?.message));
  const sumDenied = (rs) => rs.some((x) => x.dir === 'c2s' && x.decision === 'deny' && x.target === 'get-sum' && x.rule && x.agent === 'agent');
  const recs = e.audit('wrap', sumDenied).filter((x) => x.dir === 'c2s' && x.decision === 'deny');
  check(sumDenied(recs), 'the denial is audited with agent, tool and rule',
    JSON.stringify(recs));
  check(/policy denied/.test(s.stderr), 'stderr reports the denial');
  await timeout(s.client.close(), 10000, 'close');

  s = await session('observe');
  const o = await s.call('get-sum', { a: 1, b: 2 });
  check(/3/.test(o.ok?.content?.[0]?.text ?? ''), 'observe mode: the request passes');
  check(/observe mode: policy would deny/.test(s.stderr), 'observe mode: stderr warns');
  const observed = (rs) => rs.some((x) => x.target === 'get-sum' && x.decision === 'observe');
  check(observed(e.audit('wrap', observed)), 'observe mode: recorded as observe');
  await timeout(s.client.close(), 10000, 'close');
} catch (err) {
  check(false, err.stack);
} finally {
  e.cleanup();
}
done();
