// Shared plumbing for the interop scripts: loading @noble/post-quantum with a clear failure when
// it is not installed, the JSON-lines client for interop_driver, a reproducible byte stream,
// and a tally that turns every comparison into a count or a recorded mismatch.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import readline from 'node:readline';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const NOBLE_VERSION = '0.7.1';

// Resolves @noble/post-quantum from the repository root's node_modules (where `npm ci` puts
// it), whatever the working directory. A missing or wrong version is a hard failure: an
// interop test that cannot find its peer must never pass.
export async function loadNoble(subpath) {
  const dir = path.join(REPO_ROOT, 'node_modules', '@noble', 'post-quantum');
  const pkgJson = path.join(dir, 'package.json');
  if (!existsSync(pkgJson)) {
    failSetup(
      `@noble/post-quantum is not installed (no ${pkgJson}).\n` +
        `Run \`npm ci\` in ${REPO_ROOT} (the project's install script does this) and re-run the tests.`,
    );
  }
  const { version } = JSON.parse(readFileSync(pkgJson, 'utf8'));
  if (version !== NOBLE_VERSION) {
    failSetup(
      `@noble/post-quantum ${version} is installed but package-lock.json pins ${NOBLE_VERSION}.\n` +
        `Run \`npm ci\` in ${REPO_ROOT}.`,
    );
  }
  return import(pathToFileURL(path.join(dir, subpath)).href);
}

export function failSetup(message) {
  console.error(`INTEROP SETUP FAILURE: ${message}`);
  process.exit(2);
}

export function driverPathFromArgs() {
  const p = process.argv[2] ?? process.env.PQMCP_INTEROP_DRIVER;
  if (!p) failSetup('usage: node <script> <path to interop_driver> (or set PQMCP_INTEROP_DRIVER)');
  if (!existsSync(p)) failSetup(`driver not found at ${p}; build the target pqmcp_interop_driver first`);
  return p;
}

export const hex = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Describes how two byte strings differ, for mismatch reports.
export function diffBytes(a, b) {
  if (a.length !== b.length) return `lengths differ: ${a.length} vs ${b.length}`;
  let first = -1;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  return first < 0 ? 'equal' : `${count} of ${a.length} bytes differ, first at offset ${first}`;
}

export const shake256 = (data, outputLength) =>
  new Uint8Array(createHash('shake256', { outputLength }).update(data).digest());

export const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};

// Reproducible inputs: every byte string comes from SHAKE256(master ‖ label ‖ counter), so a run
// is replayed exactly by setting PQMCP_INTEROP_SEED to the printed master seed.
export class Stream {
  constructor(label) {
    const env = process.env.PQMCP_INTEROP_SEED;
    this.master = env ? unhex(env) : new Uint8Array(randomBytes(32));
    this.label = label;
    this.counter = 0;
  }
  bytes(n) {
    const h = createHash('shake256', { outputLength: Math.max(n, 1) });
    h.update(this.master).update(this.label).update(String(this.counter++));
    return new Uint8Array(h.digest()).subarray(0, n);
  }
  // Uniform in [0, n) (n ≤ 2^32), by rejection so that lengths are unbiased.
  int(n) {
    const limit = Math.floor(0x100000000 / n) * n;
    for (;;) {
      const b = this.bytes(4);
      const v = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
      if (v < limit) return v % n;
    }
  }
}

export function iterations() {
  const n = Number(process.env.PQMCP_INTEROP_ITERATIONS ?? 200);
  if (!Number.isInteger(n) || n < 1) failSetup(`bad PQMCP_INTEROP_ITERATIONS=${process.env.PQMCP_INTEROP_ITERATIONS}`);
  return n;
}

// One long-lived driver process; requests are pipelined and answered in order.
export class Driver {
  constructor(file) {
    this.file = file;
    // A .mjs stand-in driver runs under this node, so it needs no executable bit.
    const [cmd, args] = /\.m?js$/.test(file) ? [process.execPath, [file]] : [file, []];
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    this.pending = new Map();
    this.nextId = 1;
    this.calls = 0;
    this.exited = null;
    this.proc.on('error', (err) => this.#failAll(`cannot start driver ${file}: ${err.message}`));
    this.proc.on('exit', (code, signal) => {
      this.exited = { code, signal };
      this.#failAll(`driver exited (code ${code}, signal ${signal}) with requests outstanding`);
    });
    this.proc.stdin.on('error', () => {}); // reported through 'exit'
    const rl = readline.createInterface({ input: this.proc.stdout, crlfDelay: Infinity });
    rl.on('line', (line) => {
      let resp;
      try {
        resp = JSON.parse(line);
      } catch {
        this.#failAll(`driver wrote a non-JSON line: ${line.slice(0, 200)}`);
        return;
      }
      const entry = this.pending.get(resp.id);
      if (!entry) {
        this.#failAll(`driver answered unknown id ${resp.id}`);
        return;
      }
      this.pending.delete(resp.id);
      if (resp.error === 'bad-request' || resp.error === 'driver-exception') {
        entry.reject(new Error(`driver ${resp.error} for ${entry.op}: ${resp.detail}`));
      } else {
        entry.resolve(resp);
      }
    });
  }

  #failAll(msg) {
    for (const [, e] of this.pending) e.reject(new Error(msg));
    this.pending.clear();
  }

  // Sends {op, ...fields}; Uint8Array fields are hex-encoded. Resolves to the raw response:
  // operation errors arrive as {error: status_name}, harness errors reject.
  call(op, fields = {}) {
    if (this.exited) return Promise.reject(new Error(`driver already exited: ${JSON.stringify(this.exited)}`));
    const id = this.nextId++;
    const req = { id, op };
    for (const [k, v] of Object.entries(fields)) req[k] = v instanceof Uint8Array ? hex(v) : v;
    this.calls++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, op });
      this.proc.stdin.write(JSON.stringify(req) + '\n');
    });
  }

  async close() {
    if (this.exited) return this.exited;
    const done = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    this.proc.stdin.end();
    return done;
  }
}

// Counts each named check per parameter set and keeps the first mismatches with everything
// needed to reproduce them.
export class Tally {
  constructor() {
    this.counts = new Map(); // ps -> Map(check -> n)
    this.mismatches = [];
    this.maxReported = 20;
    this.totalMismatches = 0;
    this.notes = new Map(); // ps -> Map(observation -> n): reported, not counted as checks
  }
  note(ps, what) {
    if (!this.notes.has(ps)) this.notes.set(ps, new Map());
    const m = this.notes.get(ps);
    m.set(what, (m.get(what) ?? 0) + 1);
  }
  pass(ps, check) {
    if (!this.counts.has(ps)) this.counts.set(ps, new Map());
    const m = this.counts.get(ps);
    m.set(check, (m.get(check) ?? 0) + 1);
  }
  fail(ps, check, detail) {
    this.totalMismatches++;
    if (this.mismatches.length < this.maxReported) this.mismatches.push({ ps, check, ...detail });
  }
  // Records pass or fail; returns cond.
  expect(cond, ps, check, detail) {
    if (cond) this.pass(ps, check);
    else this.fail(ps, check, typeof detail === 'function' ? detail() : detail);
    return cond;
  }
  count(ps) {
    let n = 0;
    for (const v of (this.counts.get(ps) ?? new Map()).values()) n += v;
    return n;
  }
  report(title, master, extra = '') {
    const lines = [`${title}: master seed ${hex(master)} (replay with PQMCP_INTEROP_SEED=${hex(master)})`];
    for (const [ps, m] of this.counts) {
      lines.push(`  ${ps}: ${this.count(ps)} checks passed`);
      for (const [check, n] of m) lines.push(`    ${check.padEnd(44)} ${n}`);
      for (const [what, n] of this.notes.get(ps) ?? new Map()) lines.push(`    (observed) ${what.padEnd(33)} ${n}`);
    }
    if (extra) lines.push(extra);
    lines.push(`  mismatches: ${this.totalMismatches}`);
    for (const mm of this.mismatches) lines.push(`  MISMATCH ${JSON.stringify(mm)}`);
    return lines.join('\n');
  }
}

// Runs fn on noble and converts a thrown exception into {thrown: message}.
export function tryNoble(fn) {
  try {
    return { value: fn() };
  } catch (e) {
    return { thrown: String(e?.message ?? e) };
  }
}
