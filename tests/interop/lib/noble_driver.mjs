#!/usr/bin/env node
// A stand-in for interop_driver built on @noble/post-quantum itself. It speaks the same JSON-lines
// protocol, so the interop scripts can be checked noble ↔ noble (every check must pass), and it
// can be told to misbehave (PQMCP_FAKE_DRIVER_BREAK=<op>) to check that the scripts notice:
//
//   node tests/interop/noble_mlkem.test.mjs tests/interop/lib/noble_driver.mjs
//   PQMCP_FAKE_DRIVER_BREAK=mldsa.sign node tests/interop/noble_mldsa.test.mjs tests/interop/lib/noble_driver.mjs
//
// Error names imitate pqmcp's status names closely enough for the scripts' expectations.
import { createHash } from 'node:crypto';
import readline from 'node:readline';
import { concat, hex, loadNoble, shake256, unhex } from './harness.mjs';

const kem = await loadNoble('ml-kem.js');
const dsa = await loadNoble('ml-dsa.js');
const KEM = { 'ML-KEM-512': kem.ml_kem512, 'ML-KEM-768': kem.ml_kem768, 'ML-KEM-1024': kem.ml_kem1024 };
const DSA = { 'ML-DSA-44': dsa.ml_dsa44, 'ML-DSA-65': dsa.ml_dsa65, 'ML-DSA-87': dsa.ml_dsa87 };
const BREAK = process.env.PQMCP_FAKE_DRIVER_BREAK ?? '';

class OpError extends Error {}
const fail = (name) => {
  throw new OpError(name);
};
const b = (req, k) => unhex(req[k]);

function kemOp(req) {
  const a = KEM[req.ps] ?? fail('bad-request');
  const L = a.lengths;
  const checkEk = (ek) => {
    if (ek.length !== L.publicKey) fail('bad-length');
    try {
      a.encapsulate(ek.slice(), new Uint8Array(32));
    } catch {
      fail('bad-encoding');
    }
  };
  const checkDk = (dk) => {
    if (dk.length !== L.secretKey) fail('bad-length');
    // dk = dk_PKE (384k) ‖ ek (384k + 32) ‖ H(ek) ‖ z
    const ek = dk.subarray(L.publicKey - 32, dk.length - 64);
    const h = dk.subarray(dk.length - 64, dk.length - 32);
    if (hex(createSha3(ek)) !== hex(h)) fail('bad-key');
    checkEk(ek);
  };
  switch (req.op) {
    case 'mlkem.keygen': {
      const k = a.keygen(b(req, 'seed'));
      return { ek: hex(k.publicKey), dk: hex(k.secretKey) };
    }
    case 'mlkem.encaps': {
      const ek = b(req, 'ek');
      checkEk(ek);
      const r = a.encapsulate(ek, b(req, 'm'));
      return { ct: hex(r.cipherText), ss: hex(r.sharedSecret) };
    }
    case 'mlkem.decaps': {
      const dk = b(req, 'dk');
      const ct = b(req, 'ct');
      checkDk(dk);
      if (ct.length !== L.cipherText) fail('bad-length');
      return { ss: hex(a.decapsulate(ct, dk)) };
    }
    case 'mlkem.check_ek':
      checkEk(b(req, 'ek'));
      return {};
    case 'mlkem.check_dk':
      checkDk(b(req, 'dk'));
      return {};
  }
  fail('bad-request');
}

const createSha3 = (data) => createHash('sha3-256').update(data).digest();

function dsaOp(req) {
  const a = DSA[req.ps] ?? fail('bad-request');
  const entropy = (det) => (det ? false : undefined);
  const ctxOf = (req) => {
    const c = b(req, 'ctx');
    if (c.length > 255) fail('bad-context');
    return c;
  };
  const verdict = (ok) => (ok ? {} : fail('verify-failed'));
  switch (req.op) {
    case 'mldsa.keygen': {
      const k = a.keygen(b(req, 'seed'));
      return { pk: hex(k.publicKey), sk: hex(k.secretKey) };
    }
    case 'mldsa.public_from_private':
      return { pk: hex(a.getPublicKey(b(req, 'sk'))) };
    case 'mldsa.sign':
      if (b(req, 'sk').length !== a.lengths.secretKey) fail('bad-length');
      return { sig: hex(a.sign(b(req, 'msg'), b(req, 'sk'), { context: ctxOf(req), extraEntropy: entropy(req.det) })) };
    case 'mldsa.sign_internal':
      return { sig: hex(a.internal.sign(b(req, 'mprime'), b(req, 'sk'), { extraEntropy: b(req, 'rnd') })) };
    case 'mldsa.sign_mu':
      return { sig: hex(a.internal.sign(b(req, 'mu'), b(req, 'sk'), { externalMu: true, extraEntropy: entropy(req.det) })) };
    case 'mldsa.compute_mu': {
      const ctx = ctxOf(req);
      const tr = shake256(b(req, 'pk'), 64);
      return { mu: hex(shake256(concat(tr, new Uint8Array([0, ctx.length]), ctx, b(req, 'msg')), 64)) };
    }
    case 'mldsa.verify':
      if (b(req, 'sig').length !== a.lengths.signature || b(req, 'pk').length !== a.lengths.publicKey) {
        ctxOf(req);
        fail('bad-length');
      }
      return verdict(a.verify(b(req, 'sig'), b(req, 'msg'), b(req, 'pk'), { context: ctxOf(req) }));
    case 'mldsa.verify_internal':
      return verdict(a.internal.verify(b(req, 'sig'), b(req, 'mprime'), b(req, 'pk')));
    case 'mldsa.verify_mu':
      return verdict(a.internal.verify(b(req, 'sig'), b(req, 'mu'), b(req, 'pk'), { externalMu: true }));
  }
  fail('bad-request');
}

function handle(req) {
  if (req.op === 'hello') return { driver: 'pqmcp-interop', version: 1, mlkem: true, mldsa: true, fake: 'noble' };
  const out = req.op.startsWith('mlkem.') ? kemOp(req) : dsaOp(req);
  // Deliberate breakage for checking the scripts: corrupt the first output byte string.
  if (BREAK === req.op) {
    for (const k of Object.keys(out)) {
      if (typeof out[k] === 'string' && out[k].length >= 2) {
        out[k] = ((parseInt(out[k].slice(0, 2), 16) ^ 1).toString(16).padStart(2, '0')) + out[k].slice(2);
        break;
      }
    }
    if (Object.keys(out).length === 0) return { error: 'verify-failed' };
  }
  return out;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line) continue;
  const req = JSON.parse(line);
  let resp;
  try {
    resp = { id: req.id, ...handle(req) };
  } catch (e) {
    resp = e instanceof OpError ? { id: req.id, error: e.message } : { id: req.id, error: 'bad-request', detail: String(e) };
  }
  process.stdout.write(JSON.stringify(resp) + '\n');
}
