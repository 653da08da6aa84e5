// The internal ML-DSA algorithms of FIPS 204 §6 (KeyGen_internal, Sign_internal from μ on,
// Verify_internal from μ on) and the key codecs they need. The public API in mldsa.cc checks
// lengths, builds M' and μ, and owns the output buffers; everything here works on buffers of
// exactly the parameter set's sizes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "crypto/mldsa/arith.h"
#include "crypto/mldsa/sign_pipe.h"
#include "crypto/status.h"

namespace pqmcp::crypto::mldsa::internal {

// skDecode (FIPS 204 Algorithm 25). Holds secrets; lives inside a workspace that wipes it.
struct DecodedKey {
  std::uint8_t rho[32];
  std::uint8_t key[32];
  std::uint8_t tr[kTrBytes];
  PolyVecL s1;
  PolyVecK s2;
  PolyVecK t0;
};

// The working memory of one operation and the prepared keys live on the heap (an operation
// allocates its workspace once, never inside the rejection loop; a signer reuses its thread's,
// thread_sign_workspace() below) and only small buffers and
// Keccak states stay on the stack, so ML-DSA runs in threads with small stacks: libpqhsm signs
// in its callers' threads, where 64 KB is common, and the whole working set is up to ~120 KB.
// Members are left uninitialised (no zeroing pass; every member is written before it is read,
// and memcheck in the constant-time test would report a branch on an unwritten byte). Each
// destructor wipes the secret part (the signing workspace is also wiped after each signature);
// the verifier's values are public and are not wiped.
struct KeyWorkspace {  // KeyGen_internal and public_from_private
  struct Secret {
    DecodedKey key;  // s1, s2, t0 (and ρ, K, tr) of the key being made or checked
    PolyVecL s1hat;
    PolyVecK t, t0;
  } s;
  PolyVecK t1;  // the public key
  Matrix a;
  ~KeyWorkspace();
};

// A private key prepared for signing many messages: skDecode (FIPS 204 Algorithm 25), ŝ1, ŝ2,
// t̂0 (Algorithm 7 lines 2-4) and ExpandA (line 5) done once. Sign_internal then forms cs1, cs2
// and ct0 as NTT^-1(ĉ ∘ ŝ) (poly_mul_ntt_centred). Read-only after prepare_private_key, so one
// instance may sign from several threads at once. The destructor wipes the secret part (the
// key and its NTT forms); Â is public but is wiped with it (it sits in the same allocation).
struct PreparedSign {
  DecodedKey key;
  PolyVecL s1hat;
  PolyVecK s2hat, t0hat;
  Matrix a;
  ~PreparedSign();
};

// A public key prepared for verifying many signatures: ExpandA (Algorithm 8 line 5),
// t̂1 = NTT(t1·2^d) (pkDecode, Algorithm 23, and line 9's NTT(t1·2^d)) and tr = H(pk, 64)
// (line 6). Public; read-only once prepared.
struct PreparedVerify {
  std::uint8_t tr[kTrBytes];
  PolyVecK t1hat;
  Matrix a;
};

struct SignWorkspace {  // the rejection loop of Sign_internal
  struct Secret {
    std::uint8_t rho2[64];  // ρ''
    std::uint8_t w1_packed[kMaxK * 192];
    PolyVecL y, z;
    PolyVecK w1, w0, h;
    Poly c, chat;  // the challenge and NTT(c)
    SignPipe pipe;  // the loop's hashing on the four-way Keccak (mask polynomials hashed ahead)
  } s;
  ~SignWorkspace();
  void wipe() noexcept;  // zeroes s
};

// Wipes a workspace when the operation that uses it ends, whichever way it ends.
class WipeOnExit {
 public:
  explicit WipeOnExit(SignWorkspace& ws) noexcept : ws_(ws) {}
  ~WipeOnExit() { ws_.wipe(); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  SignWorkspace& ws_;
};

struct VerifyWorkspace {  // Verify_internal; everything is public
  PolyVecL z;
  PolyVecK h, w;
  Poly c, ct1;  // c, then ĉ ∘ t̂1 row by row
  std::uint8_t w1_packed[kMaxK * 192];
};

// nullptr if the allocation fails (callers report Status::kInternal; nothing here throws).
std::unique_ptr<KeyWorkspace> new_key_workspace() noexcept;
// The calling thread's signing workspace, allocated on its first signature and kept for the
// thread's life: allocating and freeing its ~60 KB per signature makes glibc hand the heap's top
// back to the kernel and fault it in again, a dozen page faults per signature. It holds nothing
// between signatures: the signer wipes it when done (WipeOnExit). nullptr if it cannot be
// allocated.
SignWorkspace* thread_sign_workspace() noexcept;
std::unique_ptr<PreparedSign> new_prepared_sign() noexcept;
std::unique_ptr<PreparedVerify> new_prepared_verify() noexcept;

// kBadKey if an s1/s2 coefficient lies outside [-η, η]. ρ and tr come out declassified.
Status decode_private_key(const Params& p, const std::uint8_t* sk, DecodedKey& out) noexcept;

// FIPS 204 Algorithm 6 (ML-DSA.KeyGen_internal); pk and sk have the parameter set's sizes.
// kInternal only if the workspace cannot be allocated.
Status keygen_internal(const Params& p, std::span<const std::uint8_t, 32> xi, std::uint8_t* pk,
                       std::uint8_t* sk) noexcept;

// Algorithm 6 lines 5-9 on the decoded key in ws.s.key: writes the public key and returns
// whether the key's t0 equals the one KeyGen would have produced (only that yes/no answer is
// declassified).
bool recompute_public_key(const Params& p, KeyWorkspace& ws, std::uint8_t* pk) noexcept;

// skDecode into key.key (kBadKey for an s1/s2 coefficient outside [-η, η]), the NTTs of s1,
// s2 and t0, and ExpandA(ρ).
Status prepare_private_key(const Params& p, const std::uint8_t* sk, PreparedSign& key) noexcept;

// pkDecode (Algorithm 23), ExpandA(ρ), NTT(t1·2^d) and tr = H(pk, 64); pk has the set's size.
void prepare_public_key(const Params& p, const std::uint8_t* pk, PreparedVerify& key) noexcept;

// FIPS 204 Algorithm 7 (ML-DSA.Sign_internal) from line 7 on, given μ, with the prepared key.
// ws is scratch memory for this call only. sig has the parameter set's size.
void sign_from_mu(const Params& p, const PreparedSign& key, SignWorkspace& ws,
                  std::span<const std::uint8_t, 64> mu, std::span<const std::uint8_t, 32> rnd,
                  std::uint8_t* sig) noexcept;

// FIPS 204 Algorithm 8 (ML-DSA.Verify_internal) given μ: kOk, kVerifyFailed, kBadEncoding for
// a malformed hint encoding, or kInternal if the workspace cannot be allocated.
Status verify_from_mu(const Params& p, const PreparedVerify& key, std::span<const std::uint8_t, 64> mu,
                      const std::uint8_t* sig) noexcept;

}  // namespace pqmcp::crypto::mldsa::internal
