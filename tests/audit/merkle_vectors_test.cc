// Every RFC 9162 inclusion and consistency probe of transparency-dev/merkle's testdata (in
// ../shared/vectors/merkle): valid proofs must verify, corrupted ones (wantErr) must not.
// The subtree* folders hold MTC subtree proofs, a different construction; see docs/audit-log.md.
#include <gtest/gtest.h>

#include "audit/merkle.h"
#include "support/vectors.h"

using namespace pqmcp::audit;
namespace fs = std::filesystem;

namespace {

// Decodes a base64 hash; a wrong length (empty root, garbage) is a malformed input that the
// proof layer never sees, which counts as rejection.
bool hash_of(const pqmcp::test::Json& j, Hash& h) {
  if (!j.is_string()) return false;
  auto b = pqmcp::test::from_base64(j.get<std::string>());
  if (b.size() != 32) return false;
  std::copy(b.begin(), b.end(), h.begin());
  return true;
}
bool path_of(const pqmcp::test::Json& j, std::vector<Hash>& p) {
  if (j.is_null()) return true;
  for (auto& e : j) {
    Hash h;
    if (!hash_of(e, h)) return false;
    p.push_back(h);
  }
  return true;
}

bool check_inclusion(const pqmcp::test::Json& v) {
  Hash leaf, root;
  std::vector<Hash> p;
  if (!hash_of(v["leafHash"], leaf) || !hash_of(v["root"], root) || !path_of(v["proof"], p)) return false;
  return verify_inclusion(leaf, v["leafIdx"].get<std::uint64_t>(), v["treeSize"].get<std::uint64_t>(), p, root);
}

bool check_consistency(const pqmcp::test::Json& v) {
  // Equal sizes need no hashing: the verifier only compares the two roots and wants an empty
  // proof, whatever the roots' length (the vectors use placeholder roots here).
  if (v["size1"] == v["size2"] && v["size1"] != 0 && v["root1"].is_string() && v["root2"].is_string())
    return v["root1"] == v["root2"] && (v["proof"].is_null() || v["proof"].empty());
  Hash r1, r2;
  std::vector<Hash> p;
  if (!hash_of(v["root1"], r1) || !hash_of(v["root2"], r2) || !path_of(v["proof"], p)) return false;
  return verify_consistency(v["size1"].get<std::uint64_t>(), v["size2"].get<std::uint64_t>(), r1, r2, p);
}

std::size_t run(const fs::path& dir, bool (*check)(const pqmcp::test::Json&), std::size_t& valid) {
  std::size_t n = 0;
  for (auto& f : fs::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file() || f.path().extension() != ".json") continue;
    auto v = pqmcp::test::load_json(f.path());
    const bool want_err = v["wantErr"].get<bool>();
    EXPECT_EQ(check(v), !want_err) << f.path() << ": " << v["desc"];
    valid += !want_err;
    ++n;
  }
  return n;
}

}  // namespace

TEST(MerkleVectors, Inclusion) {
  PQMCP_REQUIRE_VECTORS(dir);
  std::size_t valid = 0;
  const std::size_t n = run(dir / "merkle" / "inclusion", check_inclusion, valid);
  EXPECT_GE(n, 80u);
  EXPECT_GE(valid, 5u);
  std::printf("inclusion: %zu probes, %zu valid\n", n, valid);
}

TEST(MerkleVectors, Consistency) {
  PQMCP_REQUIRE_VECTORS(dir);
  std::size_t valid = 0;
  const std::size_t n = run(dir / "merkle" / "consistency", check_consistency, valid);
  EXPECT_GE(n, 80u);
  EXPECT_GE(valid, 5u);
  std::printf("consistency: %zu probes, %zu valid\n", n, valid);
}
