#include "audit/merkle.h"

#include <openssl/evp.h>

#include <bit>
#include <cstring>
#include <mutex>
#include <vector>

namespace pqmcp::audit {

namespace {

// SHA-256 contexts kept for reuse: verifying a million-entry log hashes two million times, and
// EVP's per-call fetch and allocation would dominate. The pool is never destroyed (it stays
// reachable until the process ends): libpqhsm's C_Finalize signs a last checkpoint, applications
// may call it from an atexit handler, and those run after thread_local destructors, so a
// per-thread context would be used after its destruction or created and never freed.
class CtxPool {
 public:
  EVP_MD_CTX* get() {
    std::lock_guard l(mu_);
    if (free_.empty()) return EVP_MD_CTX_new();
    EVP_MD_CTX* c = free_.back();
    free_.pop_back();
    return c;
  }
  void put(EVP_MD_CTX* c) {
    std::lock_guard l(mu_);
    free_.push_back(c);
  }
  const EVP_MD* md() const { return md_; }

 private:
  std::mutex mu_;
  std::vector<EVP_MD_CTX*> free_;
  EVP_MD* md_ = EVP_MD_fetch(nullptr, "SHA256", nullptr);
};

CtxPool& pool() {
  static CtxPool* p = new CtxPool;  // never deleted, see above
  return *p;
}

Hash digest(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {},
            std::span<const std::uint8_t> c = {}) {
  CtxPool& p = pool();
  EVP_MD_CTX* ctx = p.get();
  Hash h{};
  unsigned len = 0;
  // SHA-256 over caller-sized inputs cannot fail short of memory exhaustion; a failure would
  // leave h zero, which never matches a real root, so verification fails closed.
  if (ctx && EVP_DigestInit_ex(ctx, p.md(), nullptr) == 1 && EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
      (b.empty() || EVP_DigestUpdate(ctx, b.data(), b.size()) == 1) &&
      (c.empty() || EVP_DigestUpdate(ctx, c.data(), c.size()) == 1))
    EVP_DigestFinal_ex(ctx, h.data(), &len);
  if (ctx) p.put(ctx);
  return h;
}

constexpr std::uint8_t kLeafPrefix[1] = {0x00};
constexpr std::uint8_t kNodePrefix[1] = {0x01};

// k = the largest power of two smaller than n, for n > 1 (RFC 9162 §2.1.1).
std::uint64_t split_point(std::uint64_t n) { return std::bit_floor(n - 1); }

void path(std::span<const Hash> d, std::uint64_t m, std::vector<Hash>& out) {
  const std::uint64_t n = d.size();
  if (n <= 1) return;
  const std::uint64_t k = split_point(n);
  if (m < k) {
    path(d.subspan(0, k), m, out);
    out.push_back(root_of(d.subspan(k)));
  } else {
    path(d.subspan(k), m - k, out);
    out.push_back(root_of(d.subspan(0, k)));
  }
}

void subproof(std::uint64_t m, std::span<const Hash> d, bool b, std::vector<Hash>& out) {
  const std::uint64_t n = d.size();
  if (m == n) {
    if (!b) out.push_back(root_of(d));
    return;
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    subproof(m, d.subspan(0, k), b, out);
    out.push_back(root_of(d.subspan(k)));
  } else {
    subproof(m - k, d.subspan(k), false, out);
    out.push_back(root_of(d.subspan(0, k)));
  }
}

}  // namespace

Hash sha256(std::span<const std::uint8_t> data) { return digest(data); }
Hash leaf_hash(std::span<const std::uint8_t> data) { return digest(kLeafPrefix, data); }
Hash leaf_hash(std::string_view data) {
  return leaf_hash(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}
Hash node_hash(const Hash& l, const Hash& r) { return digest(kNodePrefix, l, r); }
Hash empty_root() { return digest({}); }

Hash root_of(std::span<const Hash> leaves) {
  CompactRange cr;
  for (const Hash& h : leaves) cr.append(h);
  return cr.root();
}

std::vector<Hash> inclusion_proof(std::span<const Hash> leaves, std::uint64_t m) {
  std::vector<Hash> out;
  if (m < leaves.size()) path(leaves, m, out);
  return out;
}

std::vector<Hash> consistency_proof(std::span<const Hash> leaves, std::uint64_t m) {
  std::vector<Hash> out;
  if (m > 0 && m <= leaves.size()) subproof(m, leaves, true, out);
  return out;
}

// RFC 9162 §2.1.3.2, numbered as in the RFC.
bool verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size, std::span<const Hash> proof,
                      const Hash& root) {
  if (index >= size) return false;                   // 1
  std::uint64_t fn = index, sn = size - 1;           // 2
  Hash r = leaf;                                     // 3
  for (const Hash& p : proof) {                      // 4
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = node_hash(p, r);
      if (!(fn & 1))
        while (!(fn & 1) && fn != 0) fn >>= 1, sn >>= 1;
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1, sn >>= 1;
  }
  return sn == 0 && r == root;                       // 5
}

// RFC 9162 §2.1.4.2, numbered as in the RFC.
bool verify_consistency(std::uint64_t first, std::uint64_t second, const Hash& first_root, const Hash& second_root,
                        std::span<const Hash> proof) {
  // RFC 9162 §2.1.4 defines proofs for 0 < first only; a "proof" from the empty tree proves
  // nothing, so it is refused rather than accepted vacuously (as transparency-dev/merkle does).
  if (first == 0 || first > second) return false;
  if (first == second) return proof.empty() && first_root == second_root;
  if (proof.empty()) return false;                                     // 1
  std::vector<Hash> path;
  if (std::has_single_bit(first)) path.push_back(first_root);          // 2
  path.insert(path.end(), proof.begin(), proof.end());
  std::uint64_t fn = first - 1, sn = second - 1;                       // 3
  while (fn & 1) fn >>= 1, sn >>= 1;                                   // 4
  Hash fr = path[0], sr = path[0];                                     // 5
  for (std::size_t i = 1; i < path.size(); ++i) {                      // 6
    const Hash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if (!(fn & 1))
        while (!(fn & 1) && fn != 0) fn >>= 1, sn >>= 1;
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1, sn >>= 1;
  }
  return fr == first_root && sr == second_root && sn == 0;             // 7
}

// RFC 9162 §2.1.2: push the leaf, then merge once per trailing one bit of its index.
void CompactRange::append(const Hash& leaf) {
  stack_.push_back(leaf);
  for (std::uint64_t i = size_; i & 1; i >>= 1) {
    Hash right = stack_.back();
    stack_.pop_back();
    stack_.back() = node_hash(stack_.back(), right);
  }
  ++size_;
}

Hash CompactRange::root() const {
  if (stack_.empty()) return empty_root();
  Hash r = stack_.back();
  for (std::size_t i = stack_.size() - 1; i-- > 0;) r = node_hash(stack_[i], r);
  return r;
}

std::string CompactRange::serialize() const {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(size_ >> (56 - 8 * i));
  for (const Hash& h : stack_) out.append(reinterpret_cast<const char*>(h.data()), h.size());
  return out;
}

bool CompactRange::parse(std::string_view b, CompactRange& out) {
  if (b.size() < 8) return false;
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = (n << 8) | static_cast<std::uint8_t>(b[i]);
  const std::size_t count = static_cast<std::size_t>(std::popcount(n));
  if (b.size() != 8 + 32 * count) return false;
  out.size_ = n;
  out.stack_.assign(count, Hash{});
  for (std::size_t i = 0; i < count; ++i) std::memcpy(out.stack_[i].data(), b.data() + 8 + 32 * i, 32);
  return true;
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
int b64val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string to_base64(std::span<const std::uint8_t> b) {
  std::string out;
  out.reserve((b.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < b.size(); i += 3) {
    std::uint32_t v = std::uint32_t(b[i]) << 16;
    if (i + 1 < b.size()) v |= std::uint32_t(b[i + 1]) << 8;
    if (i + 2 < b.size()) v |= b[i + 2];
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < b.size() ? kB64[(v >> 6) & 63] : '=';
    out += i + 2 < b.size() ? kB64[v & 63] : '=';
  }
  return out;
}

// RFC 4648 §4 with padding, rejecting anything else (C2SP notes and checkpoints use this form).
bool from_base64(std::string_view s, std::vector<std::uint8_t>& out) {
  out.clear();
  if (s.size() % 4) return false;
  for (std::size_t i = 0; i < s.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = s[i + j];
      if (c == '=' && i + 4 == s.size() && j >= 2) {
        v[j] = 0;
        ++pad;
      } else if (pad || (v[j] = b64val(c)) < 0) {
        return false;
      }
    }
    const std::uint32_t x = (std::uint32_t(v[0]) << 18) | (std::uint32_t(v[1]) << 12) | (std::uint32_t(v[2]) << 6) | std::uint32_t(v[3]);
    // Non-canonical encodings (stray bits under the padding) are rejected.
    if ((pad == 1 && (x & 0xff)) || (pad == 2 && (x & 0xffff))) return false;
    out.push_back(std::uint8_t(x >> 16));
    if (pad < 2) out.push_back(std::uint8_t(x >> 8));
    if (pad < 1) out.push_back(std::uint8_t(x));
  }
  return true;
}

std::string to_hex(std::span<const std::uint8_t> b) {
  static constexpr char d[] = "0123456789abcdef";
  std::string out;
  for (auto c : b) out += d[c >> 4], out += d[c & 15];
  return out;
}

}  // namespace pqmcp::audit
