// Composite ML-DSA + EdDSA interoperability: pqmcp (through interop_driver) against an
// independent composite built here from @noble/post-quantum's ML-DSA and Node's Ed25519/Ed448.
//
//   node tests/interop/composite.test.mjs <path to interop_driver>
//
// Per algorithm and per random ξ, EdDSA key, message and context:
//   - our public_from_private(ξ ‖ edSK) equals noble's ML-DSA pk ‖ Node's EdDSA pk;
//   - our deterministic signature equals noble ML-DSA.Sign(M', ctx = Label, rnd = 0) ‖ EdDSA(M'),
//     with M' = Prefix ‖ Label ‖ len(ctx) ‖ ctx ‖ PH(M) built here from the draft's text;
//   - our hedged signature verifies with noble + Node; the composite made here verifies with ours;
//   - corrupting either half, or changing the context, is rejected by our verify.
// Environment: PQMCP_INTEROP_ITERATIONS (default 200; this test runs a quarter of that per
// algorithm), PQMCP_INTEROP_SEED (replay a run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  Driver, Stream, Tally, concat, driverPathFromArgs, equalBytes, failSetup, iterations, loadNoble, shake256, unhex,
} from './lib/harness.mjs';

const driverPath = driverPathFromArgs();
const { ml_dsa44, ml_dsa65, ml_dsa87 } = await loadNoble('ml-dsa.js');

const PREFIX = new TextEncoder().encode('CompositeAlgorithmSignatures2025');
const ALGS = [
  { alg: 'id-MLDSA44-Ed25519-SHA512', label: 'COMPSIG-MLDSA44-Ed25519-SHA512', noble: ml_dsa44, ed: 'ed25519', edLen: 32, ph: 'sha512' },
  { alg: 'id-MLDSA65-Ed25519-SHA512', label: 'COMPSIG-MLDSA65-Ed25519-SHA512', noble: ml_dsa65, ed: 'ed25519', edLen: 32, ph: 'sha512' },
  { alg: 'id-MLDSA87-Ed448-SHAKE256', label: 'COMPSIG-MLDSA87-Ed448-SHAKE256', noble: ml_dsa87, ed: 'ed448', edLen: 57, ph: 'shake256' },
];

const N = Math.max(1, Math.floor(iterations() / 4));
const stream = new Stream('pqmcp-interop-composite');
const tally = new Tally();
const drv = new Driver(driverPath);
const hello = await drv.call('hello').catch((e) => failSetup(`driver ${driverPath} does not answer: ${e.message}`));
if (hello.composite !== true) failSetup('the driver was built without composite signatures');

const preHash = (A, msg) =>
  A.ph === 'sha512' ? new Uint8Array(crypto.createHash('sha512').update(msg).digest()) : shake256(msg, 64);
const messageRepresentative = (A, msg, ctx) =>
  concat(PREFIX, new TextEncoder().encode(A.label), new Uint8Array([ctx.length]), ctx, preHash(A, msg));

// An EdDSA key from raw private bytes, through PKCS#8 so that Node (OpenSSL) does the maths.
function edKeys(A, raw) {
  const der = Buffer.concat([
    Buffer.from(A.ed === 'ed25519' ? '302e020100300506032b657004220420' : '3047020100300506032b6571043b0439', 'hex'),
    Buffer.from(raw),
  ]);
  const priv = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const pub = crypto.createPublicKey(priv);
  const rawPub = new Uint8Array(pub.export({ format: 'der', type: 'spki' })).subarray(-A.edLen);
  return { priv, pub, rawPub };
}

async function runCase(A, i) {
  const xi = stream.bytes(32);
  const edRaw = stream.bytes(A.edLen);
  const msg = stream.bytes(stream.int(2000));
  const ctx = stream.bytes(i === 0 ? 0 : i === 1 ? 255 : stream.int(256));
  const base = { i, alg: A.alg };
  const sk = concat(xi, edRaw);
  const nk = A.noble.keygen(xi.slice());
  const ed = edKeys(A, edRaw);
  const pkExpected = concat(nk.publicKey, ed.rawPub);
  const mp = messageRepresentative(A, msg, ctx);
  const label = new TextEncoder().encode(A.label);
  const mlLen = A.noble.lengths.signature;

  const pkr = await drv.call('composite.public_from_private', { alg: A.alg, sk });
  tally.expect(pkr.pk && equalBytes(unhex(pkr.pk), pkExpected), A.alg, 'public key = noble pk ‖ node EdDSA pk', base);

  const det = await drv.call('composite.sign', { alg: A.alg, sk, msg, ctx, det: true });
  const expectedDet = concat(
    A.noble.sign(mp.slice(), nk.secretKey.slice(), { context: label, extraEntropy: false }),
    new Uint8Array(crypto.sign(null, mp, ed.priv)),
  );
  tally.expect(det.sig && equalBytes(unhex(det.sig), expectedDet), A.alg, 'deterministic signature identical', base);

  const hedged = await drv.call('composite.sign', { alg: A.alg, sk, msg, ctx, det: false });
  if (!tally.expect(hedged.sig !== undefined, A.alg, 'hedged sign succeeds', { ...base, error: hedged.error })) return;
  const sig = unhex(hedged.sig);
  const mlOk = A.noble.verify(sig.subarray(0, mlLen), mp.slice(), nk.publicKey.slice(), { context: label });
  const edOk = crypto.verify(null, mp, ed.pub, sig.subarray(mlLen));
  tally.expect(mlOk && edOk, A.alg, 'noble + node verify our hedged signature', { ...base, mlOk, edOk });

  const theirs = concat(A.noble.sign(mp.slice(), nk.secretKey.slice(), { context: label }), new Uint8Array(crypto.sign(null, mp, ed.priv)));
  const v = await drv.call('composite.verify', { alg: A.alg, pk: pkExpected, msg, ctx, sig: theirs });
  tally.expect(v.error === undefined, A.alg, 'our verify accepts the independent composite', { ...base, error: v.error });

  for (const [name, pos] of [['ML-DSA half corrupted', stream.int(mlLen)], ['EdDSA half corrupted', mlLen + stream.int(theirs.length - mlLen)]]) {
    const bad = theirs.slice();
    bad[pos] ^= 1 << stream.int(8);
    const r = await drv.call('composite.verify', { alg: A.alg, pk: pkExpected, msg, ctx, sig: bad });
    tally.expect(r.error !== undefined, A.alg, `${name}: rejected`, base);
  }
  const other = ctx.length === 0 ? new Uint8Array([1]) : ctx.subarray(1);
  const r = await drv.call('composite.verify', { alg: A.alg, pk: pkExpected, msg, ctx: other, sig: theirs });
  tally.expect(r.error === 'verify-failed', A.alg, 'other context: rejected', { ...base, error: r.error });
}

for (const A of ALGS) {
  test(`${A.alg}: ${N} keys/messages/contexts against noble ML-DSA + node EdDSA`, async (t) => {
    const before = tally.totalMismatches;
    for (let i = 0; i < N; i++) await runCase(A, i);
    t.diagnostic(`${A.alg}: ${tally.count(A.alg)} checks passed`);
    assert.equal(tally.totalMismatches - before, 0, `${A.alg}: mismatches (see summary)`);
    assert.ok(tally.count(A.alg) >= N * 8, `${A.alg}: too few checks ran (${tally.count(A.alg)})`);
  });
}

test('summary', async (t) => {
  const exit = await drv.close();
  for (const line of tally.report('composite interop', stream.master).split('\n')) t.diagnostic(line);
  assert.deepEqual(exit, { code: 0, signal: null }, 'driver must exit cleanly');
  assert.equal(tally.totalMismatches, 0, 'mismatches found');
});
