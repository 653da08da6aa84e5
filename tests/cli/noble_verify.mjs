// Verifies a `pqmcp sign` ML-DSA-65 signature with @noble/post-quantum, using the public key
// exported by `pqmcp identity export` (JWK "AKP" and SPKI PEM must carry the same key).
// usage: node noble_verify.mjs FILE SIG JWK PEM
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/');
const root = process.env.PQMCP_REPO_ROOT;
const { ml_dsa65 } = await import(root + '/node_modules/@noble/post-quantum/ml-dsa.js');
const [file, sigFile, jwkFile, pemFile] = process.argv.slice(2);
const b64u = (s) => new Uint8Array(Buffer.from(s, 'base64url'));
const sig = JSON.parse(readFileSync(sigFile, 'utf8'));
const jwk = JSON.parse(readFileSync(jwkFile, 'utf8'));
if (sig.alg !== 'ML-DSA-65' || jwk.kty !== 'AKP' || jwk.alg !== 'ML-DSA-65') throw new Error('unexpected alg/kty');
const pub = b64u(jwk.pub);
const der = Buffer.from(readFileSync(pemFile, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
// SPKI = SEQ { SEQ { OID 2.16.840.1.101.3.4.3.18 } BIT STRING 00 ‖ pk }: the last 1952 bytes.
if (der.length !== 1974 || !Buffer.from(der.subarray(der.length - 1952)).equals(Buffer.from(pub))) throw new Error('PEM and JWK disagree');
const msg = new Uint8Array(readFileSync(file));
const ok = ml_dsa65.verify(b64u(sig.sig), msg, pub, { context: new TextEncoder().encode(sig.ctx) });
const tampered = ml_dsa65.verify(b64u(sig.sig), new Uint8Array([...msg, 1]), pub, { context: new TextEncoder().encode(sig.ctx) });
console.log(`noble: valid=${ok} tampered=${tampered}`);
process.exit(ok && !tampered ? 0 : 1);
