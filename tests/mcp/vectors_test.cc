// Recomputes the published vectors (docs/protocol-vectors.json) and verifies each signed
// message with an independent Verifier built only from the file's public keys.
#include <fstream>
#include <sstream>

#include "mcp/vectors.h"

namespace pqmcp::mcp {
namespace {

Value load_published() {
  std::ifstream in(PQMCP_VECTORS_FILE);
  std::stringstream ss;
  ss << in.rdbuf();
  auto v = json::parse(ss.str(), json::Limits{16 << 20, 64});
  EXPECT_TRUE(v.ok()) << PQMCP_VECTORS_FILE;
  return v.ok() ? *v : Value();
}

std::vector<std::uint8_t> unhex(const std::string& s) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(std::stoi(s.substr(i, 2), nullptr, 16));
  return out;
}

TEST(Vectors, RecomputedExactly) {
  const Value published = load_published();
  const Value computed = testing::make_vectors();
  ASSERT_EQ(published["vectors"].size(), computed["vectors"].size());
  for (std::size_t i = 0; i < computed["vectors"].size(); ++i) {
    EXPECT_EQ(published["vectors"][i], computed["vectors"][i]) << "vector " << i;
  }
}

TEST(Vectors, PublishedMessagesVerify) {
  const Value published = load_published();
  std::optional<std::array<std::uint8_t, 32>> req0;
  for (const Value& v : published["vectors"]) {
    const Algorithm a = *algorithm_from_id(v["algorithm"].get<std::string>());
    StaticKeyResolver keys;
    keys.add("vector-" + v["algorithm"].get<std::string>(), a, unhex(v["public_key_hex"]), "vector");
    VerifierConfig cfg;
    cfg.allowed = {a};
    cfg.audiences = {"server:example"};
    Verifier ver(cfg, keys);
    const Value& m = v["signed"];
    const Kind kind = classify(m)->kind;
    if (kind == Kind::kRequest && m["id"] == 7) req0 = request_digest(m).value();
    const bool response = kind == Kind::kResult || kind == Kind::kError;
    auto r = ver.verify(m, testing::kNow, response ? req0 : std::nullopt);
    ASSERT_TRUE(r.ok()) << v["algorithm"] << " " << r.error().detail;
    Value want = v["unsigned"];
    EXPECT_EQ(r->message, want);
    EXPECT_EQ(json::canonicalize(signed_view(m, kind)).value(), v["signed_view_jcs"].get<std::string>());
  }
}

}  // namespace
}  // namespace pqmcp::mcp
