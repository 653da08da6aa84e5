#include "tls/hybrid.h"

#include <cstring>

namespace pqmcp::tls::prov {
namespace mlkem = crypto::mlkem;
namespace {

// Splits a hybrid buffer into its ML-KEM and classical parts in the algorithm's wire order.
template <typename T>
struct Parts {
  std::span<T> pq;
  std::span<T> classical;
};

template <typename T>
Parts<T> split(const AlgInfo& alg, std::span<T> buf, std::size_t pq_len) {
  const std::size_t cl_len = buf.size() - pq_len;
  if (alg.classical_first) return {buf.subspan(cl_len, pq_len), buf.first(cl_len)};
  return {buf.first(pq_len), buf.subspan(pq_len, cl_len)};
}

void wipe(std::span<std::uint8_t> s) noexcept {
  if (!s.empty()) crypto::secure_wipe(s.data(), s.size());
}

}  // namespace

bool generate(Key& key) noexcept {
  key.ek.clear();
  key.dk.clear();
  key.ecdh.reset();
  key.has_private = false;
  if (!crypto::is_ok(mlkem::keygen(key.alg->ps, key.ek, key.dk))) return false;
  if (key.alg->classical != Classical::kNone) {
    key.ecdh.reset(ecdh_generate(key.libctx, key.alg->classical));
    if (!key.ecdh) {
      key.ek.clear();
      key.dk.clear();
      return false;
    }
  }
  key.has_private = true;
  return true;
}

bool encoded_public(const Key& key, std::vector<std::uint8_t>& out) noexcept {
  const AlgInfo& alg = *key.alg;
  if (!key.has_public()) return false;
  try {
    out.assign(alg.encoded_pub_bytes(), 0);
  } catch (...) {
    return false;
  }
  auto parts = split<std::uint8_t>(alg, out, key.ek.size());
  std::memcpy(parts.pq.data(), key.ek.data(), key.ek.size());
  if (alg.classical != Classical::kNone && !ecdh_public(key.ecdh.get(), alg.classical, parts.classical)) {
    out.clear();
    return false;
  }
  return true;
}

bool set_encoded_public(Key& key, std::span<const std::uint8_t> enc) noexcept {
  const AlgInfo& alg = *key.alg;
  key.ek.clear();
  key.dk.clear();
  key.ecdh.reset();
  key.has_private = false;
  if (enc.size() != alg.encoded_pub_bytes()) return false;
  auto parts = split<const std::uint8_t>(alg, enc, mlkem::sizes(alg.ps).encaps_key);
  if (!crypto::is_ok(mlkem::check_encaps_key(alg.ps, parts.pq))) return false;
  if (alg.classical != Classical::kNone) {
    key.ecdh.reset(ecdh_peer(key.libctx, alg.classical, parts.classical));
    if (!key.ecdh) return false;
  }
  try {
    key.ek.assign(parts.pq.begin(), parts.pq.end());
  } catch (...) {
    key.ecdh.reset();
    return false;
  }
  return true;
}

bool set_mlkem_private(Key& key, std::span<const std::uint8_t> dk) noexcept {
  const AlgInfo& alg = *key.alg;
  key.ek.clear();
  key.dk.clear();
  key.ecdh.reset();
  key.has_private = false;
  if (alg.classical != Classical::kNone) return false;
  if (!crypto::is_ok(mlkem::check_decaps_key(alg.ps, dk))) return false;
  // FIPS 203 Algorithm 16: dk = dk_PKE (384k bytes) ‖ ek ‖ H(ek) ‖ z.
  const auto sz = mlkem::sizes(alg.ps);
  const std::size_t off = sz.encaps_key - 32;  // 384k
  try {
    key.ek.assign(dk.begin() + off, dk.begin() + off + sz.encaps_key);
    key.dk = crypto::SecureBuffer(dk);
  } catch (...) {
    key.ek.clear();
    key.dk.clear();
    return false;
  }
  key.has_private = true;
  return true;
}

bool encapsulate(const Key& peer, std::span<std::uint8_t> ct, std::span<std::uint8_t> ss) noexcept {
  const AlgInfo& alg = *peer.alg;
  const auto fail = [&] {
    wipe(ct);
    wipe(ss);
    return false;
  };
  if (!peer.has_public() || ct.size() != alg.ciphertext_bytes() || ss.size() != alg.secret_bytes())
    return fail();
  auto ct_parts = split<std::uint8_t>(alg, ct, mlkem::sizes(alg.ps).ciphertext);
  auto ss_parts = split<std::uint8_t>(alg, ss, mlkem::kSharedSecretBytes);

  std::vector<std::uint8_t> mlkem_ct;
  mlkem::SharedSecret k;  // wiped on scope exit
  if (!crypto::is_ok(mlkem::encaps(alg.ps, peer.ek, mlkem_ct, k))) return fail();
  std::memcpy(ct_parts.pq.data(), mlkem_ct.data(), mlkem_ct.size());
  std::memcpy(ss_parts.pq.data(), k.data(), k.size());

  if (alg.classical != Classical::kNone) {
    // The server's ECDHE half: an ephemeral key pair whose public key is the "ciphertext".
    std::unique_ptr<EVP_PKEY, PkeyDeleter> eph(ecdh_generate(peer.libctx, alg.classical));
    if (!eph || !ecdh_public(eph.get(), alg.classical, ct_parts.classical) ||
        !ecdh_derive(peer.libctx, eph.get(), peer.ecdh.get(),
                     ss_parts.classical.template first<kEcdhSecretBytes>()))
      return fail();
  }
  return true;
}

bool decapsulate(const Key& own, std::span<const std::uint8_t> ct, std::span<std::uint8_t> ss) noexcept {
  const AlgInfo& alg = *own.alg;
  const auto fail = [&] {
    wipe(ss);
    return false;
  };
  if (!own.has_private || ct.size() != alg.ciphertext_bytes() || ss.size() != alg.secret_bytes())
    return fail();
  auto ct_parts = split<const std::uint8_t>(alg, ct, mlkem::sizes(alg.ps).ciphertext);
  auto ss_parts = split<std::uint8_t>(alg, ss, mlkem::kSharedSecretBytes);

  mlkem::SharedSecret k;
  if (!crypto::is_ok(mlkem::decaps(alg.ps, own.dk, ct_parts.pq, k))) return fail();
  std::memcpy(ss_parts.pq.data(), k.data(), k.size());

  if (alg.classical != Classical::kNone) {
    std::unique_ptr<EVP_PKEY, PkeyDeleter> peer(ecdh_peer(own.libctx, alg.classical, ct_parts.classical));
    if (!peer || !ecdh_derive(own.libctx, own.ecdh.get(), peer.get(),
                              ss_parts.classical.template first<kEcdhSecretBytes>()))
      return fail();
  }
  return true;
}

}  // namespace pqmcp::tls::prov
