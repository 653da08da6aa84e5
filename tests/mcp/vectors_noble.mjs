// Second implementation of docs/protocol-vectors.json: recomputes every vector from the spec
// (docs/protocol.md §3-§5, §10) with independent code — JCS from the npm `canonicalize` package,
// ML-DSA from @noble/post-quantum, Ed25519, SHA-512 and SHA3-256 from node:crypto — and
//   - checks the envelope sits where §3 puts it, with the §4.1 members and stated inputs;
//   - rebuilds JCS(H), JCS(S) and SHA3-256 of the signing input;
//   - checks a response's "req" is the request digest (§4.4) of message 0 as signed;
//   - verifies the signature (composite: ML-DSA half with noble over M' with the Label as
//     context, Ed25519 half with node:crypto), and that a one-bit change fails;
//   - re-derives the public key from the stated private key and re-signs deterministically
//     (ML-DSA rnd = 0; Ed25519 is deterministic) to byte equality.
// A mismatch is a bug in pqmcp until proven otherwise.
// usage: node tests/mcp/vectors_noble.mjs [docs/protocol-vectors.json]
import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import canonicalize from 'canonicalize';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';

const file = process.argv[2] ?? fileURLToPath(new URL('../../docs/protocol-vectors.json', import.meta.url));
const { vectors } = JSON.parse(readFileSync(file, 'utf8'));

const enc = new TextEncoder();
const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));
const b64u = (s) => {
  // RFC 4648 §5 without padding, strict (§4.1): re-encoding must give the same text.
  const b = Buffer.from(s, 'base64url');
  if (b.toString('base64url') !== s) throw new Error(`non-canonical base64url ${s.slice(0, 16)}…`);
  return new Uint8Array(b);
};
const concat = (...parts) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));
const sha3 = (b) => new Uint8Array(createHash('sha3-256').update(b).digest());
const deepEqual = (a, b) => canonicalize(a) === canonicalize(b);

// §5: mldsa65-ed25519 is id-MLDSA65-Ed25519-SHA512 of draft-ietf-lamps-pq-composite-sigs.
const COMPOSITE_PREFIX = enc.encode('CompositeAlgorithmSignatures2025');
const COMPOSITE_LABEL = enc.encode('COMPSIG-MLDSA65-Ed25519-SHA512');
const ALGS = {
  mldsa44: { dsa: ml_dsa44, pk: 1312, sig: 2420 },
  mldsa65: { dsa: ml_dsa65, pk: 1952, sig: 3309 },
  mldsa87: { dsa: ml_dsa87, pk: 2592, sig: 4627 },
  'mldsa65-ed25519': { dsa: ml_dsa65, pk: 1984, sig: 3373, ed: true },
  ed25519: { pk: 32, sig: 64, ed: true },
};

// Raw Ed25519 keys as node:crypto KeyObjects (RFC 8410 DER prefixes).
const edPublic = (raw) =>
  createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(raw)]), format: 'der', type: 'spki' });
const edPrivate = (seed) =>
  createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]), format: 'der', type: 'pkcs8' });

// M' = Prefix ‖ Label ‖ len(ctx) ‖ ctx ‖ SHA-512(M), with the envelope's empty context.
const compositeMPrime = (m) =>
  concat(COMPOSITE_PREFIX, COMPOSITE_LABEL, [0], createHash('sha512').update(m).digest());

// §3: where the envelope sits, per message kind; §3.3 unwrapping of error.data.
function kindOf(m) {
  if ('method' in m) return 'id' in m ? 'request' : 'notification';
  if ('result' in m) return 'result';
  if ('error' in m) return 'error';
  throw new Error('not a JSON-RPC message');
}
function holder(m, kind) {
  if (kind === 'request' || kind === 'notification') return m.params?._meta;
  if (kind === 'result') return m.result?._meta;
  return m.error?.data;
}
// §4.2 S: error.data unwrapped, then every io.pqmcp/ member removed at every depth.
function stripPqmcp(v) {
  if (Array.isArray(v)) return v.map(stripPqmcp);
  if (v === null || typeof v !== 'object') return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('io.pqmcp/')) out[k] = stripPqmcp(x);
  return out;
}
function signedView(m, kind) {
  const c = structuredClone(m);
  if (kind === 'error' && c.error.data && typeof c.error.data === 'object' && 'io.pqmcp/data' in c.error.data)
    c.error.data = c.error.data['io.pqmcp/data'];
  return stripPqmcp(c);
}
// What an application gets (§3.1, §3.3): the signed view minus containers pqmcp created.
function delivered(m, kind) {
  const c = signedView(m, kind);
  const key = kind === 'result' ? 'result' : 'params';
  if (kind !== 'error' && c[key] && c[key]._meta && Object.keys(c[key]._meta).length === 0) delete c[key]._meta;
  if (kind === 'notification' || kind === 'request')
    if (c.params && Object.keys(c.params).length === 0) delete c.params;
  if (kind === 'error' && c.error.data && typeof c.error.data === 'object' && !Array.isArray(c.error.data) &&
      Object.keys(c.error.data).length === 0)
    delete c.error.data;
  return c;
}
// §4.4: over the request's signing input (envelope header without sig, signed view); a request
// without an envelope object over its JCS form.
function requestDigest(req) {
  const kind = kindOf(req);
  const env = holder(req, kind)?.['io.pqmcp/sig'];
  const label = concat(enc.encode('io.pqmcp/req/v2'), [0]);
  if (!env || typeof env !== 'object' || Array.isArray(env)) return sha3(concat(label, enc.encode(canonicalize(req))));
  const { sig, ...header } = env;
  const input = concat(enc.encode('io.pqmcp/sig/v1'), [0], enc.encode(canonicalize(header)), [0],
                       enc.encode(canonicalize(signedView(req, kind))));
  return sha3(concat(label, input));
}

let failures = 0, checks = 0;
const check = (cond, what) => {
  ++checks;
  if (!cond) {
    ++failures;
    console.error(`FAIL ${what}`);
  }
};

const req0 = {};  // per algorithm: the digest of message 0 as signed
vectors.forEach((v, idx) => {
  const name = `vector ${idx} (${v.algorithm})`;
  const A = ALGS[v.algorithm];
  if (!A) return check(false, `${name}: unknown algorithm`);
  const i = idx % 5;  // five messages per algorithm, in order (§10)
  const m = v.signed, kind = kindOf(m);
  const env = holder(m, kind)?.['io.pqmcp/sig'];
  check(env && typeof env === 'object', `${name}: envelope at its §3 position for a ${kind}`);
  if (!env) return;
  const response = kind === 'result' || kind === 'error';
  const members = ['v', 'alg', 'kid', 'iat', 'nonce', 'aud', 'sid', 'seq', ...(response ? ['req'] : []), 'sig'];
  check(deepEqual(Object.keys(env).sort(), members.sort()), `${name}: envelope members ${Object.keys(env)}`);
  check(env.v === 1 && env.alg === v.algorithm && env.kid === `vector-${v.algorithm}`, `${name}: v/alg/kid`);
  check(env.aud === 'server:example' && env.sid === 'vector-session' && env.seq === i && env.iat === 1790000000000,
        `${name}: aud/sid/seq/iat as stated in §10`);
  check(hex(b64u(env.nonce)) === hex(Array.from({ length: 16 }, (_, j) => 16 * i + j)), `${name}: nonce`);
  check(deepEqual(delivered(m, kind), v.unsigned), `${name}: signed message minus envelope is the unsigned message`);

  // Signing input (§4.2).
  const { sig: sigText, ...header } = env;
  const hJcs = canonicalize(header), sJcs = canonicalize(signedView(m, kind));
  check(hJcs === v.header_jcs, `${name}: JCS(H)\n  ours:   ${v.header_jcs}\n  theirs: ${hJcs}`);
  check(sJcs === v.signed_view_jcs, `${name}: JCS(S)\n  ours:   ${v.signed_view_jcs}\n  theirs: ${sJcs}`);
  const input = concat(enc.encode('io.pqmcp/sig/v1'), [0], enc.encode(hJcs), [0], enc.encode(sJcs));
  check(hex(sha3(input)) === v.signing_input_sha3_256, `${name}: SHA3-256(signing input)`);
  if (i === 0) req0[v.algorithm] = requestDigest(m);
  if (response) check(hex(b64u(env.req)) === hex(req0[v.algorithm]), `${name}: req = request digest of message 0`);

  // Signature: verify, reject a flipped bit, re-derive keys and re-sign to byte equality.
  const pk = unhex(v.public_key_hex), sk = unhex(v.private_key_hex), sig = b64u(sigText);
  check(pk.length === A.pk && sig.length === A.sig, `${name}: public key / signature sizes`);
  const bad = concat(input, [1]);
  if (v.algorithm === 'ed25519') {
    check(edVerify(null, input, edPublic(pk), sig), `${name}: Ed25519 verifies (node:crypto)`);
    check(!edVerify(null, bad, edPublic(pk), sig), `${name}: Ed25519 rejects a changed input`);
    check(hex(edSign(null, input, edPrivate(sk))) === hex(sig), `${name}: Ed25519 re-signed to byte equality`);
    check(hex(edPublic(pk).export({ format: 'der', type: 'spki' }).subarray(12)) ===
              hex(createPublicKey(edPrivate(sk)).export({ format: 'der', type: 'spki' }).subarray(12)),
          `${name}: public key derives from the private key`);
  } else if (A.ed) {
    const mp = compositeMPrime(input), mpBad = compositeMPrime(bad);
    const pqPk = pk.subarray(0, 1952), edPk = pk.subarray(1952), pqSig = sig.subarray(0, 3309), edSig = sig.subarray(3309);
    const ctx = { context: COMPOSITE_LABEL };
    check(A.dsa.verify(pqSig, mp, pqPk, ctx), `${name}: ML-DSA-65 half verifies (noble, ctx = Label)`);
    check(!A.dsa.verify(pqSig, mpBad, pqPk, ctx), `${name}: ML-DSA-65 half rejects a changed input`);
    check(edVerify(null, mp, edPublic(edPk), edSig), `${name}: Ed25519 half verifies (node:crypto)`);
    check(!edVerify(null, mpBad, edPublic(edPk), edSig), `${name}: Ed25519 half rejects a changed input`);
    const keys = A.dsa.keygen(sk.subarray(0, 32));
    check(hex(keys.publicKey) === hex(pqPk), `${name}: ML-DSA-65 public key derives from ξ`);
    check(hex(A.dsa.sign(mp, keys.secretKey, { ...ctx, extraEntropy: false })) === hex(pqSig),
          `${name}: ML-DSA-65 half re-signed deterministically to byte equality`);
    check(hex(edSign(null, mp, edPrivate(sk.subarray(32)))) === hex(edSig), `${name}: Ed25519 half re-signed to byte equality`);
  } else {
    check(A.dsa.verify(sig, input, pk), `${name}: ML-DSA verifies (noble, empty context)`);
    check(!A.dsa.verify(sig, bad, pk), `${name}: ML-DSA rejects a changed input`);
    const keys = A.dsa.keygen(sk);
    check(hex(keys.publicKey) === hex(pk), `${name}: public key derives from ξ`);
    check(hex(A.dsa.sign(input, keys.secretKey, { extraEntropy: false })) === hex(sig),
          `${name}: re-signed deterministically to byte equality`);
  }
});
check(vectors.length === 15, `15 vectors (§10), found ${vectors.length}`);
console.log(`vectors_noble: ${vectors.length} vectors, ${checks} checks, ${failures} failures`);
process.exit(failures ? 1 : 0);
