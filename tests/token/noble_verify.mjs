// Independent check: a signature made inside libpqhsm (by pykcs11_test.py) verifies with
// @noble/post-quantum's ML-DSA-65, and a flipped bit does not.
//   node noble_verify.mjs <dir with mldsa65.pk, mldsa65.msg, mldsa65.sig>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dir = process.argv[2];
const require = createRequire(join(process.cwd(), 'package.json'));
const { ml_dsa65 } = await import(require.resolve('@noble/post-quantum/ml-dsa.js'));
const pk = new Uint8Array(readFileSync(join(dir, 'mldsa65.pk')));
const msg = new Uint8Array(readFileSync(join(dir, 'mldsa65.msg')));
const sig = new Uint8Array(readFileSync(join(dir, 'mldsa65.sig')));
if (!ml_dsa65.verify(sig, msg, pk)) {
  console.error('noble rejected the token signature');
  process.exit(1);
}
sig[100] ^= 1;
if (ml_dsa65.verify(sig, msg, pk)) {
  console.error('noble accepted a corrupted signature');
  process.exit(1);
}
console.log('noble: token ML-DSA-65 signature verified');
