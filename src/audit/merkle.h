// RFC 9162 §2.1 Merkle tree over SHA-256: tree hashes, inclusion and consistency proofs
// (generation and verification), and the compact range (right edge) an appender keeps.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pqmcp::audit {

using Hash = std::array<std::uint8_t, 32>;

Hash sha256(std::span<const std::uint8_t> data);
// RFC 9162 §2.1.1: leaf hash HASH(0x00 || d), node hash HASH(0x01 || left || right).
Hash leaf_hash(std::span<const std::uint8_t> data);
Hash leaf_hash(std::string_view data);
Hash node_hash(const Hash& left, const Hash& right);
// MTH({}) = HASH() (RFC 9162 §2.1.1).
Hash empty_root();

// MTH over already-hashed leaves (RFC 9162 §2.1.1, computed with the §2.1.2 stack).
Hash root_of(std::span<const Hash> leaves);

// RFC 9162 §2.1.3.1 PATH(m, D_n); requires m < leaves.size().
std::vector<Hash> inclusion_proof(std::span<const Hash> leaves, std::uint64_t m);
// RFC 9162 §2.1.4.1 PROOF(m, D_n); requires 0 < m <= n (m == n gives an empty proof).
std::vector<Hash> consistency_proof(std::span<const Hash> leaves, std::uint64_t m);

// RFC 9162 §2.1.3.2, step by step.
bool verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size,
                      std::span<const Hash> proof, const Hash& root);
// RFC 9162 §2.1.4.2 for 0 < first < second; also accepts first == second with an empty proof
// and equal roots. first == 0 is always refused (the RFC defines no such proof).
bool verify_consistency(std::uint64_t first, std::uint64_t second, const Hash& first_root,
                        const Hash& second_root, std::span<const Hash> proof);

// The right edge of a tree: one hash per set bit of size, largest subtree first. This is the
// RFC 9162 §2.1.2 stack after the merges; appending is O(log n) and the root needs no other
// state, so a writer (or a database row) can hold a whole tree in at most 64 hashes.
class CompactRange {
 public:
  std::uint64_t size() const { return size_; }
  void append(const Hash& leaf);
  Hash root() const;
  // size as 8 bytes big-endian followed by the hashes: the form stored by the backends.
  std::string serialize() const;
  static bool parse(std::string_view bytes, CompactRange& out);

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> stack_;
};

std::string to_base64(std::span<const std::uint8_t> b);
bool from_base64(std::string_view s, std::vector<std::uint8_t>& out);  // strict standard base64
std::string to_hex(std::span<const std::uint8_t> b);

}  // namespace pqmcp::audit
