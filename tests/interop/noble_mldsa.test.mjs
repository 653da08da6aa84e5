// ML-DSA (FIPS 204) interoperability: pqmcp (through interop_driver) against @noble/post-quantum.
//
//   node tests/interop/noble_mldsa.test.mjs <path to interop_driver>
//
// Per parameter set and per random seed ξ, message (0..3000 bytes) and context (0..255 bytes):
//   - keygen: identical pk and sk from the same ξ (and our public_from_private(sk) = pk);
//   - deterministic signatures (rnd = 0³²) byte-identical: ML-DSA.Sign with context, external μ
//     (μ computed by both sides and here), and Sign_internal on M' with an explicit random rnd;
//   - noble verifies our hedged signatures, we verify noble's hedged signatures (pure, on M'
//     and on μ);
//   - a signature with one flipped bit, a different context and a different message are
//     rejected by both sides.
// Environment: PQMCP_INTEROP_ITERATIONS (default 200), PQMCP_INTEROP_SEED (replay a run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Driver, Stream, Tally, concat, diffBytes, driverPathFromArgs, equalBytes, failSetup, hex, iterations,
  loadNoble, shake256, tryNoble, unhex,
} from './lib/harness.mjs';

const driverPath = driverPathFromArgs();
const { ml_dsa44, ml_dsa65, ml_dsa87 } = await loadNoble('ml-dsa.js');

const PARAMS = [
  { ps: 'ML-DSA-44', noble: ml_dsa44, sizes: { pk: 1312, sk: 2560, sig: 2420 } },
  { ps: 'ML-DSA-65', noble: ml_dsa65, sizes: { pk: 1952, sk: 4032, sig: 3309 } },
  { ps: 'ML-DSA-87', noble: ml_dsa87, sizes: { pk: 2592, sk: 4896, sig: 4627 } },
];
const MAX_MSG = 3000;

const N = iterations();
const stream = new Stream('pqmcp-interop-mldsa');
const tally = new Tally();
const drv = new Driver(driverPath);
const started = performance.now();
const hello = await drv.call('hello').catch((e) => failSetup(`driver ${driverPath} does not answer: ${e.message}`));
if (hello.mldsa !== true) {
  failSetup(`the driver was built without ML-DSA: src/crypto/mldsa/ is missing or not yet in pqmcp_crypto`);
}

const flipBit = (bytes, bit) => {
  const out = bytes.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
};
// FIPS 204 Algorithm 2 line 10: M' = IntegerToBytes(0, 1) ‖ IntegerToBytes(|ctx|, 1) ‖ ctx ‖ M.
const formatPure = (msg, ctx) => concat(new Uint8Array([0, ctx.length]), ctx, msg);
// FIPS 204 Algorithm 7 lines 6-7: μ = H(H(pk, 64) ‖ M', 64).
const muOf = (pk, mprime) => shake256(concat(shake256(pk, 64), mprime), 64);
// A context that differs from ctx but is still valid (≤ 255 bytes).
function otherContext(ctx) {
  if (ctx.length === 0) return new Uint8Array([stream.int(256)]);
  const pick = stream.int(3);
  if (pick === 0) return flipBit(ctx, stream.int(ctx.length * 8));
  if (pick === 1 || ctx.length === 255) return ctx.slice(0, ctx.length - 1);
  return concat(ctx, new Uint8Array([0]));
}
const nobleAccepts = (r) => r.value === true;
const nobleRejects = (r) => r.value === false || r.thrown !== undefined;
const oursRejects = (r) => r.error === 'verify-failed' || r.error === 'bad-encoding';
const describe = (r) => (r.thrown !== undefined ? `threw: ${r.thrown}` : String(r.value));

async function runCase(P, i) {
  const { ps, noble, sizes } = P;
  const seed = stream.bytes(32);
  const msg = stream.bytes(i === 0 ? 0 : i === 1 ? MAX_MSG : stream.int(MAX_MSG + 1));
  const ctx = stream.bytes(i === 0 ? 0 : i === 1 ? 255 : stream.int(256));
  const rnd = stream.bytes(32);
  const base = { i, seed: hex(seed), msgLen: msg.length, msg: hex(msg), ctx: hex(ctx) };
  const mprime = formatPure(msg, ctx);

  // 1. Key generation from ξ.
  const kgP = drv.call('mldsa.keygen', { ps, seed });
  const nk = noble.keygen(seed.slice());
  const kg = await kgP;
  if (kg.error) {
    tally.fail(ps, 'keygen', { ...base, error: kg.error });
    return;
  }
  const pk = unhex(kg.pk);
  const sk = unhex(kg.sk);
  tally.expect(equalBytes(pk, nk.publicKey), ps, 'keygen pk identical', () => ({ ...base, diff: diffBytes(pk, nk.publicKey) }));
  tally.expect(equalBytes(sk, nk.secretKey), ps, 'keygen sk identical', () => ({ ...base, diff: diffBytes(sk, nk.secretKey) }));
  tally.expect(pk.length === sizes.pk && sk.length === sizes.sk, ps, 'key sizes', { ...base, pk: pk.length, sk: sk.length });

  // Fire the driver requests that depend only on noble's keys, then compute noble's side.
  const [NPK, NSK] = [nk.publicKey, nk.secretKey];
  const pending = {
    pfp: drv.call('mldsa.public_from_private', { ps, sk: NSK }),
    det: drv.call('mldsa.sign', { ps, sk: NSK, msg, ctx, det: true }),
    hedged: drv.call('mldsa.sign', { ps, sk: NSK, msg, ctx, det: false }),
    internal: drv.call('mldsa.sign_internal', { ps, sk: NSK, mprime, rnd }),
    mu: drv.call('mldsa.compute_mu', { ps, pk: NPK, msg, ctx }),
  };
  const nDet = noble.sign(msg.slice(), NSK.slice(), { context: ctx.slice(), extraEntropy: false });
  const nRnd = noble.sign(msg.slice(), NSK.slice(), { context: ctx.slice(), extraEntropy: rnd.slice() });
  const nHedged = noble.sign(msg.slice(), NSK.slice(), { context: ctx.slice() });
  const mu = muOf(NPK, mprime);
  const nMu = noble.internal.sign(mu.slice(), NSK.slice(), { externalMu: true, extraEntropy: false });

  const pfp = await pending.pfp;
  tally.expect(pfp.pk === hex(NPK), ps, 'public_from_private(sk) = pk', () => ({ ...base, ours: pfp.error ?? pfp.pk }));

  // 2. Deterministic signatures.
  const det = await pending.det;
  const detSig = det.error ? null : unhex(det.sig);
  tally.expect(detSig && equalBytes(detSig, nDet), ps, 'sign deterministic identical', () => ({ ...base, ours: det.error ?? diffBytes(detSig, nDet) }));
  const internal = await pending.internal;
  tally.expect(internal.sig === hex(nRnd), ps, 'sign_internal(M\', rnd) identical', () => ({ ...base, rnd: hex(rnd), ours: internal.error ?? diffBytes(unhex(internal.sig), nRnd) }));
  const ourMu = await pending.mu;
  tally.expect(ourMu.mu === hex(mu), ps, 'compute_mu identical', () => ({ ...base, ours: ourMu.error ?? ourMu.mu, expected: hex(mu) }));
  const sm = await drv.call('mldsa.sign_mu', { ps, sk: NSK, mu, det: true });
  tally.expect(sm.sig === hex(nMu) && equalBytes(nMu, nDet), ps, 'sign_mu deterministic identical', () => ({ ...base, mu: hex(mu), ours: sm.error ?? diffBytes(unhex(sm.sig), nMu), nobleMuVsPure: diffBytes(nMu, nDet) }));

  // 3. Our hedged signature: noble verifies it.
  const hedged = await pending.hedged;
  if (hedged.error) {
    tally.fail(ps, 'sign hedged', { ...base, error: hedged.error });
    return;
  }
  const ourSig = unhex(hedged.sig);
  tally.expect(ourSig.length === sizes.sig, ps, 'signature size', { ...base, len: ourSig.length });
  tally.expect(!equalBytes(ourSig, nDet), ps, 'hedged sig differs from deterministic', base);
  const nv = tryNoble(() => noble.verify(ourSig.slice(), msg.slice(), NPK.slice(), { context: ctx.slice() }));
  tally.expect(nobleAccepts(nv), ps, 'noble verifies our hedged sig', () => ({ ...base, sig: hedged.sig, noble: describe(nv) }));
  const selfV = await drv.call('mldsa.verify', { ps, pk: NPK, msg, ctx, sig: ourSig });
  tally.expect(!selfV.error, ps, 'we verify our hedged sig', () => ({ ...base, sig: hedged.sig, ours: selfV.error }));

  // 4. noble's hedged signatures (its own randomness, and our rnd): we verify them.
  const [v1, v2, v3, v4] = await Promise.all([
    drv.call('mldsa.verify', { ps, pk: NPK, msg, ctx, sig: nHedged }),
    drv.call('mldsa.verify', { ps, pk: NPK, msg, ctx, sig: nRnd }),
    drv.call('mldsa.verify_internal', { ps, pk: NPK, mprime, sig: nHedged }),
    drv.call('mldsa.verify_mu', { ps, pk: NPK, mu, sig: nHedged }),
  ]);
  const nsDetail = () => ({ ...base, sig: hex(nHedged), ours: [v1.error, v2.error, v3.error, v4.error] });
  tally.expect(!v1.error, ps, 'we verify noble hedged sig', nsDetail);
  tally.expect(!v2.error, ps, 'we verify noble sig with rnd', nsDetail);
  tally.expect(!v3.error, ps, 'we verify_internal(M\') noble sig', nsDetail);
  tally.expect(!v4.error, ps, 'we verify_mu(μ) noble sig', nsDetail);

  // 5. One flipped bit, in our signature and in noble's: both sides reject.
  for (const [who, sig] of [['our', ourSig], ['noble', nHedged]]) {
    const bit = stream.int(sizes.sig * 8);
    const bad = flipBit(sig, bit);
    const o = await drv.call('mldsa.verify', { ps, pk: NPK, msg, ctx, sig: bad });
    const n = tryNoble(() => noble.verify(bad.slice(), msg.slice(), NPK.slice(), { context: ctx.slice() }));
    const d = () => ({ ...base, sig: hex(sig), flippedBit: bit, ours: o.error ?? 'accepted', noble: describe(n) });
    tally.expect(oursRejects(o), ps, `flipped bit in ${who} sig: we reject`, d);
    tally.expect(nobleRejects(n), ps, `flipped bit in ${who} sig: noble rejects`, d);
    tally.note(ps, `flipped bit: our verdict ${o.error ?? 'accepted'}`);
  }

  // 6. A different (valid) context: both reject, and ours says verify-failed.
  const ctx2 = otherContext(ctx);
  const oc = await drv.call('mldsa.verify', { ps, pk: NPK, msg, ctx: ctx2, sig: ourSig });
  const nc = tryNoble(() => noble.verify(ourSig.slice(), msg.slice(), NPK.slice(), { context: ctx2.slice() }));
  const cd = () => ({ ...base, sig: hex(ourSig), wrongCtx: hex(ctx2), ours: oc.error ?? 'accepted', noble: describe(nc) });
  tally.expect(oc.error === 'verify-failed', ps, 'wrong context: we reject (verify-failed)', cd);
  tally.expect(nobleRejects(nc), ps, 'wrong context: noble rejects', cd);

  // 7. A different message: both reject noble's signature.
  const msg2 = msg.length === 0 ? new Uint8Array([0]) : flipBit(msg, stream.int(msg.length * 8));
  const om = await drv.call('mldsa.verify', { ps, pk: NPK, msg: msg2, ctx, sig: nHedged });
  const nm = tryNoble(() => noble.verify(nHedged.slice(), msg2.slice(), NPK.slice(), { context: ctx.slice() }));
  const md = () => ({ ...base, sig: hex(nHedged), wrongMsg: hex(msg2), ours: om.error ?? 'accepted', noble: describe(nm) });
  tally.expect(om.error === 'verify-failed', ps, 'wrong message: we reject (verify-failed)', md);
  tally.expect(nobleRejects(nm), ps, 'wrong message: noble rejects', md);
}

// Malformed inputs, once per parameter set.
async function runEdgeCases(P) {
  const { ps, noble, sizes } = P;
  const nk = noble.keygen(stream.bytes(32));
  const msg = stream.bytes(100);
  const ctx256 = stream.bytes(256);
  const sig = noble.sign(msg, nk.secretKey, { extraEntropy: false });

  const s = await drv.call('mldsa.sign', { ps, sk: nk.secretKey, msg, ctx: ctx256, det: true });
  const ns = tryNoble(() => noble.sign(msg.slice(), nk.secretKey.slice(), { context: ctx256.slice() }));
  tally.expect(s.error === 'bad-context', ps, '256-byte context: our sign bad-context', { ours: s.error ?? 'signed' });
  tally.expect(ns.thrown !== undefined, ps, '256-byte context: noble sign throws', { noble: describe(ns) });

  const v = await drv.call('mldsa.verify', { ps, pk: nk.publicKey, msg, ctx: ctx256, sig });
  const nv = tryNoble(() => noble.verify(sig.slice(), msg.slice(), nk.publicKey.slice(), { context: ctx256.slice() }));
  tally.expect(v.error === 'bad-context', ps, '256-byte context: our verify bad-context', { ours: v.error ?? 'accepted' });
  tally.expect(nobleRejects(nv), ps, '256-byte context: noble rejects', { noble: describe(nv) });

  for (const [name, bad] of [['sig one byte short', sig.subarray(0, sizes.sig - 1)], ['sig one byte long', concat(sig, new Uint8Array(1))]]) {
    const o = await drv.call('mldsa.verify', { ps, pk: nk.publicKey, msg, ctx: new Uint8Array(0), sig: bad });
    const n = tryNoble(() => noble.verify(bad.slice(), msg.slice(), nk.publicKey.slice()));
    tally.expect(o.error === 'bad-length', ps, `${name}: ours bad-length`, { ours: o.error ?? 'accepted' });
    tally.expect(nobleRejects(n), ps, `${name}: noble rejects`, { noble: describe(n) });
  }
  const o = await drv.call('mldsa.verify', { ps, pk: nk.publicKey.subarray(0, sizes.pk - 1), msg, ctx: new Uint8Array(0), sig });
  tally.expect(o.error === 'bad-length', ps, 'pk one byte short: ours bad-length', { ours: o.error ?? 'accepted' });
  const so = await drv.call('mldsa.sign', { ps, sk: nk.secretKey.subarray(0, sizes.sk - 1), msg, ctx: new Uint8Array(0), det: true });
  tally.expect(so.error === 'bad-length', ps, 'sk one byte short: ours bad-length', { ours: so.error ?? 'signed' });
}

test('driver answers', () => {
  assert.equal(hello.driver, 'pqmcp-interop');
});

for (const P of PARAMS) {
  test(`${P.ps}: ${N} seeds/messages/contexts against @noble/post-quantum`, async (t) => {
    const before = tally.totalMismatches;
    for (let i = 0; i < N; i++) await runCase(P, i);
    await runEdgeCases(P);
    t.diagnostic(`${P.ps}: ${tally.count(P.ps)} checks passed over ${N} seeds`);
    assert.equal(tally.totalMismatches - before, 0, `${P.ps}: ${tally.totalMismatches - before} mismatches (see summary)`);
    assert.ok(tally.count(P.ps) >= N * 24, `${P.ps}: too few checks ran (${tally.count(P.ps)})`);
  });
}

test('summary', async (t) => {
  const exit = await drv.close();
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const report = tally.report('ML-DSA interop vs @noble/post-quantum', stream.master, `  driver calls: ${drv.calls}, time: ${secs} s`);
  for (const line of report.split('\n')) t.diagnostic(line);
  assert.deepEqual(exit, { code: 0, signal: null }, 'driver must exit cleanly');
  assert.equal(tally.totalMismatches, 0, 'mismatches found');
});
