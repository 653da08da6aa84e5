// Cross-checks pqmcp's RFC 8785 implementation (jcs_tool) against the npm `canonicalize`
// package on thousands of random JSON documents: edge-case doubles written in many literal
// forms, strings mixing controls, BMP characters above the surrogate block and astral
// characters (the UTF-16 vs UTF-8 ordering trap), escaped and raw, and deep nesting.
// Usage: node jcs_crosscheck.mjs <jcs_tool> [count]
import { spawnSync } from 'node:child_process';
import canonicalize from 'canonicalize';

const tool = process.argv[2];
const COUNT = Number(process.argv[3] ?? process.env.PQMCP_JCS_DOCS ?? 5000);
if (!tool) throw new Error('usage: jcs_crosscheck.mjs <jcs_tool> [count]');

// Deterministic PRNG (xorshift128+) so a failure is reproducible from the seed.
let s0 = 0x9e3779b97f4a7c15n, s1 = 0xbf58476d1ce4e5b9n;
const M64 = (1n << 64n) - 1n;
function next64() {
  let x = s0; const y = s1; s0 = y;
  x ^= (x << 23n) & M64; x ^= x >> 17n; x ^= y ^ (y >> 26n); s1 = x;
  return (s0 + s1) & M64;
}
const rnd = () => Number(next64() >> 11n) / 2 ** 53;
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];

const dv = new DataView(new ArrayBuffer(8));
function edgeDouble() {
  switch (ri(9)) {
    case 0: { // any finite bit pattern, including subnormals
      for (;;) { dv.setBigUint64(0, next64()); const d = dv.getFloat64(0); if (Number.isFinite(d)) return d; }
    }
    case 1: return pick([0, -0, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** 53, 2 ** 53 + 2,
                         -(2 ** 53), 1e21, 1e21 - 65536, 999999999999999900000, 1e-6, 9.999999999999997e-7,
                         1e-7, 0.1, 0.2, 0.30000000000000004, 1e23, 9.999999999999997e+22, 2 ** -1074 * 3]);
    case 2: { // a power of ten, nudged by a few ulps
      const base = 10 ** (ri(640) - 320); if (!Number.isFinite(base) || base === 0) return 1;
      dv.setFloat64(0, base); dv.setBigUint64(0, dv.getBigUint64(0) + BigInt(ri(5) - 2)); return dv.getFloat64(0);
    }
    case 3: return (ri(2) ? -1 : 1) * ri(2 ** 31) / 10 ** ri(12);
    case 4: return (ri(2) ? -1 : 1) * Math.floor(rnd() * 2 ** 64);
    case 5: return ri(1000);
    default: return (rnd() - 0.5) * 10 ** (ri(60) - 30);
  }
}
function numberLiteral(d) {
  const lit = numberLiteralForm(d);
  // A shortened form of a number near the top of the range may round up to Infinity.
  return Number.isFinite(Number(lit)) ? lit : String(d);
}
function numberLiteralForm(d) {
  if (Object.is(d, -0)) return pick(['-0', '-0.0', '-0e5']);
  switch (ri(6)) {
    case 0: return d.toExponential(ri(21)).replace('e', pick(['e', 'E']));
    case 1: return d.toPrecision(1 + ri(21));
    case 2: return Number.isInteger(d) && Math.abs(d) < 1e300 ? BigInt(d).toString() : String(d);
    default: return String(d);
  }
}
function codePoint() {
  switch (ri(8)) {
    case 0: return ri(0x20);
    case 1: return pick([0x22, 0x5c, 0x2f, 0x7f, 0x2028, 0x2029, 0xfeff, 0xfffd, 0xffff]);
    case 2: return 0x80 + ri(0x780);
    case 3: return 0x800 + ri(0xd800 - 0x800);
    case 4: return 0xe000 + ri(0x2000);
    case 5: return 0x10000 + ri(0x100000);
    default: return 0x20 + ri(0x5f);
  }
}
function randomString(maxLen) {
  let s = '';
  const n = ri(maxLen + 1);
  for (let i = 0; i < n; i++) s += String.fromCodePoint(codePoint());
  return s;
}
// Writes a string literal either as JSON.stringify does or with every UTF-16 unit \u-escaped.
function stringLiteral(s) {
  if (ri(4)) return JSON.stringify(s);
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    out += ri(2) ? '\\u' + u.toString(16).padStart(4, '0')[ri(2) ? 'toUpperCase' : 'toLowerCase']()
                 : JSON.stringify(s[i] + (u >= 0xd800 && u < 0xdc00 ? s[++i] : '')).slice(1, -1);
  }
  return out + '"';
}
function value(depth) {
  const r = ri(depth > 40 ? 6 : 10);
  if (r < 2) return numberLiteral(edgeDouble());
  if (r < 4) return stringLiteral(randomString(12));
  if (r < 6) return pick(['null', 'true', 'false', '0', '""']);
  if (r < 8) {
    const n = ri(6), items = [];
    for (let i = 0; i < n; i++) items.push(value(depth + 1));
    return '[' + items.join(pick([',', ' , ', ',\t '])) + ']';
  }
  const n = ri(7), seen = new Set(), members = [];
  for (let i = 0; i < n; i++) {
    const k = ri(3) ? randomString(4) : pick(['a', 'b', '\ufb33', '\u{1f600}', '\u20ac', '\r', '1', '\u0080']);
    if (seen.has(k)) continue;
    seen.add(k);
    members.push(stringLiteral(k) + ':' + value(depth + 1));
  }
  return '{' + members.join(',') + '}';
}
function deep(n) {
  let t = numberLiteral(edgeDouble());
  for (let i = 0; i < n; i++) t = ri(2) ? `[${t}]` : `{${stringLiteral(randomString(3))}:${t}}`;
  return t;
}

const docs = [];
for (let i = 0; i < COUNT; i++) docs.push(i % 50 === 49 ? deep(100 + ri(400)) : value(0));
const expected = docs.map((t) => canonicalize(JSON.parse(t)));
const run = spawnSync(tool, { input: docs.join('\n') + '\n', maxBuffer: 1 << 30 });
if (run.status !== 0) throw new Error(`jcs_tool exited ${run.status}: ${run.stderr}`);
const got = run.stdout.toString('utf8').split('\n');
let bad = 0;
for (let i = 0; i < docs.length; i++) {
  if (got[i] !== expected[i]) {
    if (bad++ < 5) console.error(`MISMATCH doc ${i}\n in : ${docs[i].slice(0, 400)}\n npm: ${expected[i].slice(0, 400)}\n ours: ${(got[i] ?? "").slice(0, 400)}`);
  }
}

// Strictness: inputs JSON.parse accepts but JCS must refuse (RFC 8785 §3.1, I-JSON).
const strict = [['{"a":1,"a":2}', 'ERROR duplicate-key'], ['["\\ud800"]', 'ERROR syntax'],
                ['{"x":"\\udc00"}', 'ERROR syntax'], ['[1e400]', 'ERROR non-finite-number']];
const srun = spawnSync(tool, { input: strict.map((s) => s[0]).join('\n') + '\n' });
const sgot = srun.stdout.toString('utf8').split('\n');
strict.forEach(([doc, want], i) => {
  if (sgot[i] !== want) { bad++; console.error(`STRICT ${doc}: want ${want}, got ${sgot[i]}`); }
});

console.log(`${docs.length} random documents, ${strict.length} strictness cases, ${bad} mismatches`);
process.exit(bad ? 1 : 0);
