// ML-KEM (FIPS 203) interoperability: pqmcp (through interop_driver) against @noble/post-quantum.
//
//   node tests/interop/noble_mlkem.test.mjs <path to interop_driver>
//
// Per parameter set and per random 64-byte seed d‖z:
//   - keygen: identical ek and dk from the same seed;
//   - encaps with the same m: byte-identical ciphertext and shared secret;
//   - noble decapsulates our ciphertext to our shared secret, and we decapsulate noble's
//     (noble-randomised) ciphertext to noble's shared secret;
//   - a ciphertext with one flipped bit gives the same implicit-rejection key on both sides,
//     equal to J(z‖c) = SHAKE256(z‖c, 32) computed here from the bytes (FIPS 203 Alg. 18 l. 7);
//   - an ek with a coefficient ≥ q fails the §7.2 modulus check on both sides, and a dk whose
//     H(ek) is wrong fails the §7.3 hash check on both sides.
// Environment: PQMCP_INTEROP_ITERATIONS (default 200), PQMCP_INTEROP_SEED (replay a run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Driver, Stream, Tally, concat, diffBytes, driverPathFromArgs, equalBytes, failSetup, hex, iterations,
  loadNoble, shake256, tryNoble, unhex,
} from './lib/harness.mjs';

const driverPath = driverPathFromArgs();
const { ml_kem512, ml_kem768, ml_kem1024 } = await loadNoble('ml-kem.js');

const PARAMS = [
  { ps: 'ML-KEM-512', k: 2, noble: ml_kem512, sizes: { ek: 800, dk: 1632, ct: 768 } },
  { ps: 'ML-KEM-768', k: 3, noble: ml_kem768, sizes: { ek: 1184, dk: 2400, ct: 1088 } },
  { ps: 'ML-KEM-1024', k: 4, noble: ml_kem1024, sizes: { ek: 1568, dk: 3168, ct: 1568 } },
];

const N = iterations();
const stream = new Stream('pqmcp-interop-mlkem');
const tally = new Tally();
const drv = new Driver(driverPath);
const started = performance.now();
const hello = await drv.call('hello').catch((e) => failSetup(`driver ${driverPath} does not answer: ${e.message}`));
if (hello.mlkem !== true) {
  failSetup(`the driver was built without ML-KEM: src/crypto/mlkem/ is missing or not yet in pqmcp_crypto`);
}

// Makes coefficient `idx` of the first polynomial of ek's t̂ equal to `value` (12-bit packing,
// FIPS 203 Algorithm 5): two coefficients share three bytes.
function withCoefficient(ek, idx, value) {
  const out = ek.slice();
  const off = Math.floor(idx / 2) * 3;
  if (idx % 2 === 0) {
    out[off] = value & 0xff;
    out[off + 1] = (out[off + 1] & 0xf0) | (value >> 8);
  } else {
    out[off + 1] = (out[off + 1] & 0x0f) | ((value & 0x0f) << 4);
    out[off + 2] = value >> 4;
  }
  return out;
}

function flipBit(bytes, bit) {
  const out = bytes.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

async function runCase(P, i) {
  const { ps, noble, sizes } = P;
  const seed = stream.bytes(64);
  const m = stream.bytes(32);
  const ctx = { i, seed: hex(seed) };

  // 1. Key generation from the same seed.
  const oursKg = drv.call('mlkem.keygen', { ps, seed });
  const nk = noble.keygen(seed.slice());
  const kg = await oursKg;
  if (kg.error) {
    tally.fail(ps, 'keygen', { ...ctx, error: kg.error });
    return;
  }
  const ek = unhex(kg.ek);
  const dk = unhex(kg.dk);
  tally.expect(equalBytes(ek, nk.publicKey), ps, 'keygen ek identical', () => ({ ...ctx, diff: diffBytes(ek, nk.publicKey) }));
  tally.expect(equalBytes(dk, nk.secretKey), ps, 'keygen dk identical', () => ({ ...ctx, diff: diffBytes(dk, nk.secretKey) }));
  tally.expect(ek.length === sizes.ek && dk.length === sizes.dk, ps, 'key sizes', { ...ctx, ek: ek.length, dk: dk.length });

  // 2. Derandomised encapsulation to noble's ek with the same m.
  const enc = await drv.call('mlkem.encaps', { ps, ek: nk.publicKey, m });
  const ne = noble.encapsulate(nk.publicKey.slice(), m.slice());
  if (enc.error) {
    tally.fail(ps, 'encaps_derand', { ...ctx, m: hex(m), error: enc.error });
    return;
  }
  const ct = unhex(enc.ct);
  const ss = unhex(enc.ss);
  tally.expect(equalBytes(ct, ne.cipherText), ps, 'encaps(m) ciphertext identical', () => ({ ...ctx, m: hex(m), diff: diffBytes(ct, ne.cipherText) }));
  tally.expect(equalBytes(ss, ne.sharedSecret), ps, 'encaps(m) shared secret identical', () => ({ ...ctx, m: hex(m), ours: enc.ss, noble: hex(ne.sharedSecret) }));

  // 3. noble decapsulates our ciphertext.
  const nd = tryNoble(() => noble.decapsulate(ct.slice(), nk.secretKey.slice()));
  tally.expect(nd.value && equalBytes(nd.value, ss), ps, 'noble decaps(our ct) = our K', () => ({ ...ctx, m: hex(m), noble: nd.thrown ?? hex(nd.value), ours: enc.ss }));

  // 4. We decapsulate a ciphertext noble made with its own randomness.
  const nr = noble.encapsulate(nk.publicKey.slice());
  const od = await drv.call('mlkem.decaps', { ps, dk: nk.secretKey, ct: nr.cipherText });
  tally.expect(!od.error && od.ss === hex(nr.sharedSecret), ps, 'our decaps(noble ct) = noble K', () => ({ ...ctx, ct: hex(nr.cipherText), ours: od.error ?? od.ss, noble: hex(nr.sharedSecret) }));

  // 5. Implicit rejection on a one-bit-tampered ciphertext.
  const bit = stream.int(sizes.ct * 8);
  const bad = flipBit(nr.cipherText, bit);
  const z = nk.secretKey.subarray(sizes.dk - 32);
  const expectJ = shake256(concat(z, bad), 32);
  const [orj, nrj] = [await drv.call('mlkem.decaps', { ps, dk: nk.secretKey, ct: bad }), tryNoble(() => noble.decapsulate(bad.slice(), nk.secretKey.slice()))];
  const rejDetail = () => ({ ...ctx, flippedBit: bit, ct: hex(nr.cipherText), ours: orj.error ?? orj.ss, noble: nrj.thrown ?? hex(nrj.value), expected: hex(expectJ) });
  tally.expect(!orj.error && orj.ss === hex(expectJ), ps, 'tampered ct: our K = J(z‖c)', rejDetail);
  tally.expect(nrj.value && equalBytes(nrj.value, expectJ), ps, 'tampered ct: noble K = J(z‖c)', rejDetail);
  tally.expect(!orj.error && orj.ss !== hex(nr.sharedSecret), ps, 'tampered ct: K differs from real K', rejDetail);

  // 6. FIPS 203 §7.2 modulus check: one coefficient of t̂ set to a value in [q, 4095].
  const coeff = stream.int(256 * P.k);
  const value = 3329 + stream.int(4096 - 3329);
  const badEk = withCoefficient(nk.publicKey, coeff, value);
  const [oe, ce] = [await drv.call('mlkem.encaps', { ps, ek: badEk, m }), await drv.call('mlkem.check_ek', { ps, ek: badEk })];
  const ne2 = tryNoble(() => noble.encapsulate(badEk.slice(), m.slice()));
  const ekDetail = () => ({ ...ctx, coefficient: coeff, value, ours: oe.error ?? 'accepted', check: ce.error ?? 'accepted', noble: ne2.thrown ?? 'accepted' });
  tally.expect(oe.error === 'bad-encoding' && ce.error === 'bad-encoding', ps, 'ek coefficient >= q: ours bad-encoding', ekDetail);
  tally.expect(ne2.thrown !== undefined, ps, 'ek coefficient >= q: noble rejects', ekDetail);

  // 7. FIPS 203 §7.3 hash check: flip one bit of the stored H(ek).
  const hbit = stream.int(256);
  const badDk = dk.slice();
  badDk[sizes.dk - 64 + (hbit >> 3)] ^= 1 << (hbit & 7);
  const [odk, cdk] = [await drv.call('mlkem.decaps', { ps, dk: badDk, ct: nr.cipherText }), await drv.call('mlkem.check_dk', { ps, dk: badDk })];
  const ndk = tryNoble(() => noble.decapsulate(nr.cipherText.slice(), badDk.slice()));
  const dkDetail = () => ({ ...ctx, hashBit: hbit, ours: odk.error ?? 'accepted', check: cdk.error ?? 'accepted', noble: ndk.thrown ?? 'accepted' });
  tally.expect(odk.error === 'bad-key' && cdk.error === 'bad-key', ps, 'dk with wrong H(ek): ours bad-key', dkDetail);
  tally.expect(ndk.thrown !== undefined, ps, 'dk with wrong H(ek): noble rejects', dkDetail);
}

// Wrong lengths, once per parameter set: both sides refuse, and we say bad-length.
async function runLengthCases(P) {
  const { ps, noble, sizes } = P;
  const nk = noble.keygen(stream.bytes(64));
  const ct = noble.encapsulate(nk.publicKey).cipherText;
  const cases = [
    ['ct one byte short', 'mlkem.decaps', { dk: nk.secretKey, ct: ct.subarray(0, sizes.ct - 1) }, () => noble.decapsulate(ct.slice(0, sizes.ct - 1), nk.secretKey.slice())],
    ['ct one byte long', 'mlkem.decaps', { dk: nk.secretKey, ct: concat(ct, new Uint8Array(1)) }, () => noble.decapsulate(concat(ct, new Uint8Array(1)), nk.secretKey.slice())],
    ['ek one byte short', 'mlkem.encaps', { ek: nk.publicKey.subarray(0, sizes.ek - 1), m: new Uint8Array(32) }, () => noble.encapsulate(nk.publicKey.slice(0, sizes.ek - 1), new Uint8Array(32))],
    ['dk one byte short', 'mlkem.decaps', { dk: nk.secretKey.subarray(0, sizes.dk - 1), ct }, () => noble.decapsulate(ct.slice(), nk.secretKey.slice(0, sizes.dk - 1))],
  ];
  for (const [name, op, fields, nobleFn] of cases) {
    const r = await drv.call(op, { ps, ...fields });
    const n = tryNoble(nobleFn);
    tally.expect(r.error === 'bad-length', ps, `${name}: ours bad-length`, { case: name, ours: r.error ?? 'accepted' });
    tally.expect(n.thrown !== undefined, ps, `${name}: noble rejects`, { case: name });
  }
}

test('driver answers', () => {
  assert.equal(hello.driver, 'pqmcp-interop');
});

for (const P of PARAMS) {
  test(`${P.ps}: ${N} seeds against @noble/post-quantum`, async (t) => {
    const before = tally.totalMismatches;
    for (let i = 0; i < N; i++) await runCase(P, i);
    await runLengthCases(P);
    t.diagnostic(`${P.ps}: ${tally.count(P.ps)} checks passed over ${N} seeds`);
    assert.equal(tally.totalMismatches - before, 0, `${P.ps}: ${tally.totalMismatches - before} mismatches (see report below)`);
    assert.ok(tally.count(P.ps) >= N * 14, `${P.ps}: too few checks ran (${tally.count(P.ps)})`);
  });
}

test('summary', async (t) => {
  const exit = await drv.close();
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  for (const line of tally.report(`ML-KEM interop vs @noble/post-quantum`, stream.master, `  driver calls: ${drv.calls}, time: ${secs} s`).split('\n')) t.diagnostic(line);
  assert.deepEqual(exit, { code: 0, signal: null }, 'driver must exit cleanly');
  assert.equal(tally.totalMismatches, 0, 'mismatches found');
});
