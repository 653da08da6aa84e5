// A throw-away pqmcp installation for one gateway test: config + libpqhsm token (low PIN KDF
// cost), identities for an agent and a server, an admin, a signed trust bundle, and helpers to
// build the `pqmcp connect -- pqmcp wrap -- <server>` command line and read the audit files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, appendFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
export const everything = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

// module: a PKCS#11 module for `pqmcp init --module` (default: the libpqhsm pqmcp was built with).
// alg: the signature algorithm of the agent and server identities (default: pqmcp's default).
export function makeEnv(pqmcp, { keep = false, module = '', alg = '' } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'pqmcp-gw-'));
  const env = { ...process.env, XDG_CONFIG_HOME: join(root, 'config'), XDG_DATA_HOME: join(root, 'data') };
  delete env.PQMCP_CONFIG;
  delete env.PQMCP_NOW;
  delete env.PQHSM_CONF;
  const run = (...args) => execFileSync(pqmcp, args, { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  run('init', '--kdf-iterations', '10', ...(module ? ['--module', module] : []));
  const algArgs = alg ? ['--alg', alg] : [];
  // Both verifiers accept only their allow-list (gateway.algorithms, docs/gateway.md).
  if (alg) appendFileSync(join(root, 'config', 'pqmcp', 'config.toml'), `\n[gateway]\nalgorithms = ["${alg}"]\n`);
  run('identity', 'create', 'agent', '--role', 'agent', ...algArgs);
  run('identity', 'create', 'server', '--role', 'server', ...algArgs);
  run('identity', 'create', 'admin', '--role', 'admin', '--alg', 'mldsa65');
  const bundle = join(root, 'bundle.json');
  const admin = join(root, 'admin.pem');
  run('trust', 'export', '--admin', 'admin', '-o', bundle);
  run('identity', 'export', 'admin', '-o', admin);
  const auditConnect = join(root, 'connect-audit.jsonl');
  const auditWrap = join(root, 'wrap-audit.jsonl');
  const trust = ['--bundle', bundle, '--admin-key', admin];
  return {
    root, env, run, bundle, admin, auditConnect, auditWrap,
    pins: join(root, 'data', 'pqmcp', 'tool-pins.json'),
    // argv for the gateway pair in front of `server` (an argv array); `middle` goes between the
    // two ends (the man-in-the-middle relay).
    chain(server, { middle = [], connectArgs = [], wrapArgs = [] } = {}) {
      return [pqmcp, 'connect', '--identity', 'agent', '--server-identity', 'server', ...trust,
        '--audit', auditConnect, '--shutdown-timeout', '1000', ...connectArgs, '--',
        ...middle,
        pqmcp, 'wrap', '--identity', 'server', ...trust, '--audit', auditWrap,
        '--shutdown-timeout', '1000', ...wrapArgs, '--', ...server];
    },
    // The gateways' records, parsed. A gateway hands its records to a writer thread that writes
    // them a few milliseconds later (docs/gateway.md "Audit"), so this reads once the file has
    // stopped growing for 100 ms, or — with `until` — as soon as until(records) holds (each wait at
    // most 5 s; the last read is returned either way and the caller's check reports it).
    audit(which, until = null) {
      const f = which === 'wrap' ? auditWrap : auditConnect;
      // Whole lines only: the gateway may be writing the last one.
      const read = () => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(0, -1).filter(Boolean).map((l) => JSON.parse(l)) : []);
      const size = () => (existsSync(f) ? statSync(f).size : -1);
      const nap = new Int32Array(new SharedArrayBuffer(4));
      let last = size(), still = 0;
      for (let waited = 0; waited < 5000; waited += 10) {
        if (until && until(read())) break;
        if (!until && still >= 100) break;
        Atomics.wait(nap, 0, 0, 10);  // a synchronous sleep: this helper is called synchronously
        const now = size();
        still = now === last ? still + 10 : 0;
        last = now;
      }
      return read();
    },
    cleanup() { if (!keep) rmSync(root, { recursive: true, force: true }); },
  };
}

// Rejects after ms: every wait in these tests is bounded.
export function timeout(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timeout: ${what}`)), ms); })])
    .finally(() => clearTimeout(t));
}

// True while a process with this pid exists; a zombie counts (it has not been reaped).
export function alive(pid) { return existsSync(`/proc/${pid}`); }

// Pids of every descendant of pid (via /proc), for zombie and orphan checks.
export function descendants(pid) {
  const out = [];
  const kids = (p) => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch { return []; }
  };
  const walk = (p) => { for (const c of kids(p)) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

let fails = 0;
export function check(cond, what, extra = '') {
  if (cond) console.log(`ok - ${what}`);
  else { fails++; console.log(`not ok - ${what}${extra ? `\n  ${extra}` : ''}`); }
}
export function done() {
  console.log(`# ${fails} failure(s)`);
  process.exit(fails ? 1 : 0);
}
