// Policy inside the token (docs/token.md "Policy inside the token"): the puppet attack. A process
// that holds the retail agent's user PIN tries to (a) get a healthcare tool call signed through
// the MCP mechanism, (b) sign arbitrary bytes with CKM_ML_DSA using the restricted key, (c) replace
// the policy object. The token refuses each and logs it; an allowed retail call is signed and
// verifies as an ordinary envelope signature. Everything goes through the dlopen'ed module.
#include <chrono>
#include <fstream>
#include <set>

#include "crypto/composite.h"
#include "json/json.h"
#include "mcp/envelope.h"
#include "mcp/verifier.h"
#include "pkcs11/pqmcp_vendor.h"
#include "p11_fixture.h"

namespace pqmcp::token::test {
namespace {

const char* kPolicy = R"(version = 1
[[agents.retail-bot.tools]]
name = "retail_*"
args.path = { path_prefix = "/data/retail" }
[[agents.healthcare-assistant.tools]]
name = "patient_*"
)";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json::Value tool_call(const std::string& name, json::Value args) {
  return {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"}, {"params", {{"name", name}, {"arguments", std::move(args)}}}};
}

// An mcp::Signer backed by the token: the ML-DSA half signs through the MCP mechanism; for the
// composite algorithm the Ed25519 half signs M' with CKM_EDDSA (the token builds M' itself for the
// ML-DSA half, the test builds the same M' for the classical half).
class TokenSigner final : public mcp::Signer {
 public:
  TokenSigner(CK_FUNCTION_LIST_3_2* f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE mldsa, std::string kid,
              CK_OBJECT_HANDLE ed = CK_INVALID_HANDLE)
      : f_(f), s_(s), mldsa_(mldsa), ed_(ed), kid_(std::move(kid)) {}
  mcp::Algorithm algorithm() const override {
    return ed_ == CK_INVALID_HANDLE ? mcp::Algorithm::kMlDsa65 : mcp::Algorithm::kMlDsa65Ed25519;
  }
  const std::string& kid() const override { return kid_; }
  Result<std::vector<std::uint8_t>, mcp::SignError> sign(std::span<const std::uint8_t> in) const override {
    CK_ULONG comp = CKP_PQMCP_COMPOSITE_MLDSA65_ED25519;
    CK_MECHANISM m = ed_ == CK_INVALID_HANDLE ? CK_MECHANISM{CKM_PQMCP_MCP_SIGN_MLDSA, nullptr, 0}
                                              : CK_MECHANISM{CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA, &comp, sizeof comp};
    auto sig = raw(m, mldsa_, in);
    if (!sig) return unexpected(mcp::SignError{"token refused"});
    if (ed_ != CK_INVALID_HANDLE) {
      std::vector<std::uint8_t> mprime;
      if (crypto::composite::message_representative(crypto::composite::Algorithm::kMlDsa65Ed25519, in, {}, mprime) !=
          crypto::Status::kOk)
        return unexpected(mcp::SignError{"M'"});
      auto ed = raw({CKM_EDDSA, nullptr, 0}, ed_, mprime);
      if (!ed) return unexpected(mcp::SignError{"eddsa"});
      sig->insert(sig->end(), ed->begin(), ed->end());
    }
    return std::move(*sig);
  }
  mutable CK_RV last_rv = CKR_OK;

 private:
  std::optional<Bytes> raw(CK_MECHANISM m, CK_OBJECT_HANDLE k, std::span<const std::uint8_t> in) const {
    if ((last_rv = f_->C_SignInit(s_, &m, k)) != CKR_OK) return std::nullopt;
    CK_ULONG n = 0;
    auto* d = const_cast<CK_BYTE_PTR>(in.data());
    if ((last_rv = f_->C_Sign(s_, d, in.size(), nullptr, &n)) != CKR_OK) return std::nullopt;
    Bytes sig(n);
    if ((last_rv = f_->C_Sign(s_, d, in.size(), sig.data(), &n)) != CKR_OK) return std::nullopt;
    sig.resize(n);
    return sig;
  }
  CK_FUNCTION_LIST_3_2* f_;
  CK_SESSION_HANDLE s_;
  CK_OBJECT_HANDLE mldsa_, ed_;
  std::string kid_;
};

class TokenPolicy : public TokenTest {
 protected:
  // Token with the policy installed by the SO, then the retail agent's user logged in.
  void SetUp() override {
    TokenTest::SetUp();
    init_token();
    s_ = open();
    ASSERT_RV(CKR_OK, f_->C_Login(s_, CKU_SO, pin(kSoPin), len(kSoPin)));
    ASSERT_RV(CKR_OK, f_->C_InitPIN(s_, pin(kUserPin), len(kUserPin)));
    policy_ = install(kPolicy);
    ASSERT_RV(CKR_OK, f_->C_Logout(s_));
    ASSERT_RV(CKR_OK, f_->C_Login(s_, CKU_USER, pin(kUserPin), len(kUserPin)));
    key_ = bound_key("retail-bot", pub_);
  }

  CK_OBJECT_HANDLE install(const std::string& text, CK_RV expect = CKR_OK) {
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    auto t = TemplateBuilder()
                 .ulong(CKA_CLASS, CKO_DATA)
                 .boolean(CKA_TOKEN, true)
                 .boolean(CKA_PRIVATE, false)
                 .boolean(CKA_PQMCP_MCP_POLICY, true)
                 .bytes(CKA_VALUE, Bytes(text.begin(), text.end()))
                 .build();
    EXPECT_RV(expect, f_->C_CreateObject(s_, t.data(), t.size(), &h));
    return h;
  }

  // An ML-DSA-65 key pair owned by `agent`, restricted to the MCP mechanisms.
  CK_OBJECT_HANDLE bound_key(const std::string& agent, Bytes& pk, bool restrict = true) {
    CK_OBJECT_HANDLE pub, priv;
    CK_MECHANISM_TYPE allowed[] = {CKM_PQMCP_MCP_SIGN_MLDSA, CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA};
    auto priv_t = TemplateBuilder().boolean(CKA_TOKEN, true).bytes(CKA_PQMCP_OWNER, Bytes(agent.begin(), agent.end()));
    if (restrict)
      priv_t.bytes(CKA_ALLOWED_MECHANISMS, Bytes(reinterpret_cast<std::uint8_t*>(allowed),
                                                 reinterpret_cast<std::uint8_t*>(allowed) + sizeof allowed));
    keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().boolean(CKA_TOKEN, true).ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65),
            priv_t, pub, priv);
    pk = attr(s_, pub, CKA_VALUE);
    return priv;
  }

  std::vector<json::Value> decisions() {
    std::ifstream f(dir_ + "/tokens/slot-0/policy-decisions.jsonl");
    std::vector<json::Value> out;
    for (std::string line; std::getline(f, line);) {
      auto j = json::parse(line);
      EXPECT_TRUE(j.ok()) << line;
      if (j) out.push_back(*j);
    }
    return out;
  }

  // Signs msg as the retail agent through the token; returns the wire text or "" if refused.
  std::string sign_msg(TokenSigner& signer, json::Value msg, std::int64_t iat) {
    std::array<std::uint8_t, mcp::kNonceBytes> nonce{};
    nonce[0] = static_cast<std::uint8_t>(seq_);
    const mcp::EnvelopeFields ef{std::string("retail-server"), std::string("s1"), seq_++, iat, nonce, std::nullopt};
    auto k = mcp::sign_message(msg, signer, ef);
    return k ? msg.dump() : "";
  }

  CK_SESSION_HANDLE s_ = 0;
  CK_OBJECT_HANDLE policy_ = CK_INVALID_HANDLE, key_ = CK_INVALID_HANDLE;
  Bytes pub_;
  std::uint64_t seq_ = 1;
};

TEST_F(TokenPolicy, AllowedRetailCallIsSignedAndVerifiesAsAnEnvelope) {
  TokenSigner signer(f_, s_, key_, "kid-retail");
  const std::int64_t now = now_ms();
  const std::string wire = sign_msg(signer, tool_call("retail_lookup", {{"path", "/data/retail/q3.csv"}}), now);
  ASSERT_FALSE(wire.empty()) << pkcs11::rv_name(signer.last_rv);
  mcp::StaticKeyResolver keys;
  keys.add("kid-retail", mcp::Algorithm::kMlDsa65, pub_, "retail-bot");
  mcp::VerifierConfig vc;
  vc.allowed = {mcp::Algorithm::kMlDsa65};
  vc.audiences = {"retail-server"};
  mcp::Verifier v(vc, keys);
  auto r = v.verify_text(wire, now);
  ASSERT_TRUE(r.ok()) << mcp::reason_name(r.error().reason) << " " << r.error().detail;
  EXPECT_EQ(r->identity, "retail-bot");
  // A flipped argument no longer verifies: the signature covers what the token checked.
  std::string tampered = wire;
  tampered.replace(tampered.find("q3.csv"), 6, "q4.csv");
  EXPECT_FALSE(mcp::Verifier(vc, keys).verify_text(tampered, now).ok());
  auto d = decisions();
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d.back()["event"], "mcp-sign");
  EXPECT_EQ(d.back()["decision"], "allow");
  EXPECT_EQ(d.back()["agent"], "retail-bot");
  EXPECT_EQ(d.back()["rule"], "agents.retail-bot.tools[0]");
  EXPECT_EQ(d.back()["target"], "retail_lookup");
}

TEST_F(TokenPolicy, PuppetA_HealthcareCallIsRefusedByTheToken) {
  TokenSigner signer(f_, s_, key_, "kid-retail");
  // Claiming the healthcare agent's kid changes nothing: the agent is the key's owner.
  TokenSigner liar(f_, s_, key_, "kid-healthcare");
  for (TokenSigner* sg : {&signer, &liar}) {
    EXPECT_TRUE(sign_msg(*sg, tool_call("patient_records_read", {{"patient_id", "P0042"}}), now_ms()).empty());
    EXPECT_RV(CKR_FUNCTION_REJECTED, sg->last_rv);
  }
  // Argument constraints are enforced inside the token too.
  EXPECT_TRUE(sign_msg(signer, tool_call("retail_lookup", {{"path", "/data/retail/../health/x"}}), now_ms()).empty());
  EXPECT_RV(CKR_FUNCTION_REJECTED, signer.last_rv);
  auto d = decisions();
  ASSERT_GE(d.size(), 3u);
  const auto& a = d[d.size() - 3];
  EXPECT_EQ(a["decision"], "deny");
  EXPECT_EQ(a["agent"], "retail-bot");
  EXPECT_EQ(a["target"], "patient_records_read");
  EXPECT_EQ(a["rule"], "default-deny");
  EXPECT_EQ(d[d.size() - 2]["kid"], "kid-healthcare");
  EXPECT_EQ(d.back()["rule"], "agents.retail-bot.tools[0]");
  EXPECT_EQ(d.back()["decision"], "deny");
  EXPECT_EQ(a["message_sha3_256"].get<std::string>().size(), 64u);
}

// Every decision-log line, whoever wrote it (the policy object's install, an allowed and a refused
// signature, a refused mechanism), is one JSON object with the token's slot and the time added.
TEST_F(TokenPolicy, EveryDecisionLineCarriesSlotAndTime) {
  TokenSigner signer(f_, s_, key_, "kid-retail");
  EXPECT_FALSE(sign_msg(signer, tool_call("retail_lookup", {{"path", "/data/retail/a"}}), now_ms()).empty());
  EXPECT_TRUE(sign_msg(signer, tool_call("patient_records_read", json::Value::object()), now_ms()).empty());
  CK_MECHANISM m{CKM_ML_DSA, nullptr, 0};
  EXPECT_RV(CKR_MECHANISM_INVALID, f_->C_SignInit(s_, &m, key_));
  auto d = decisions();
  ASSERT_GE(d.size(), 4u);
  std::set<std::string> events;
  for (const auto& line : d) {
    ASSERT_TRUE(line.is_object());
    events.insert(line["event"].get<std::string>());
    ASSERT_TRUE(line.contains("slot") && line["slot"].is_number_integer()) << line.dump();
    EXPECT_EQ(line["slot"].get<std::int64_t>(), 0);
    ASSERT_TRUE(line.contains("ts") && line["ts"].is_number_integer()) << line.dump();
    EXPECT_LT(std::llabs(line["ts"].get<std::int64_t>() - now_ms()), 60'000);
  }
  EXPECT_EQ(events, (std::set<std::string>{"policy-object", "mcp-sign", "mechanism-refused"}));
}

TEST_F(TokenPolicy, PuppetB_PlainMlDsaWithTheBoundKeyIsRefused) {
  CK_MECHANISM m{CKM_ML_DSA, nullptr, 0};
  EXPECT_RV(CKR_MECHANISM_INVALID, f_->C_SignInit(s_, &m, key_));
  CK_MECHANISM hm{CKM_HASH_ML_DSA_SHA256, nullptr, 0};
  EXPECT_RV(CKR_MECHANISM_INVALID, f_->C_SignInit(s_, &hm, key_));
  // The restriction and the owner cannot be changed or copied away.
  CK_MECHANISM_TYPE any[] = {CKM_ML_DSA};
  auto t1 = TemplateBuilder().bytes(CKA_ALLOWED_MECHANISMS, Bytes(reinterpret_cast<std::uint8_t*>(any),
                                                                  reinterpret_cast<std::uint8_t*>(any) + sizeof any)).build();
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_SetAttributeValue(s_, key_, t1.data(), t1.size()));
  CK_OBJECT_HANDLE copy;
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_CopyObject(s_, key_, t1.data(), t1.size(), &copy));
  auto t2 = TemplateBuilder().bytes(CKA_PQMCP_OWNER, bytes("healthcare-assistant")).build();
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_SetAttributeValue(s_, key_, t2.data(), t2.size()));
  // Arbitrary bytes through the MCP mechanism are not an MCP message.
  CK_MECHANISM mm{CKM_PQMCP_MCP_SIGN_MLDSA, nullptr, 0};
  ASSERT_RV(CKR_OK, f_->C_SignInit(s_, &mm, key_));
  Bytes junk = bytes("transfer $1M to mallory"), sig(4000);
  CK_ULONG n = sig.size();
  EXPECT_RV(CKR_FUNCTION_REJECTED, f_->C_Sign(s_, junk.data(), junk.size(), sig.data(), &n));
  auto d = decisions();
  ASSERT_GE(d.size(), 3u);
  EXPECT_EQ(d[d.size() - 3]["event"], "mechanism-refused");
  EXPECT_EQ(d[d.size() - 3]["agent"], "retail-bot");
  EXPECT_EQ(d[d.size() - 3]["rule"], "allowed-mechanisms");
  EXPECT_EQ(d.back()["rule"], "malformed-input");
}

TEST_F(TokenPolicy, PuppetC_UserCannotReplaceThePolicy) {
  const std::string open_all = "version = 1\n[[agents.retail-bot.tools]]\nname = \"**\"\n";
  auto t = TemplateBuilder().bytes(CKA_VALUE, Bytes(open_all.begin(), open_all.end())).build();
  EXPECT_RV(CKR_USER_NOT_LOGGED_IN, f_->C_SetAttributeValue(s_, policy_, t.data(), t.size()));
  EXPECT_RV(CKR_USER_NOT_LOGGED_IN, f_->C_DestroyObject(s_, policy_));
  install(open_all, CKR_USER_NOT_LOGGED_IN);
  CK_OBJECT_HANDLE copy;
  EXPECT_RV(CKR_USER_NOT_LOGGED_IN, f_->C_CopyObject(s_, policy_, t.data(), t.size(), &copy));
  // A session object carrying the marker is refused as well.
  CK_OBJECT_HANDLE h;
  auto st = TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).boolean(CKA_PQMCP_MCP_POLICY, true)
                .bytes(CKA_VALUE, Bytes(open_all.begin(), open_all.end())).build();
  EXPECT_RV(CKR_USER_NOT_LOGGED_IN, f_->C_CreateObject(s_, st.data(), st.size(), &h));
  // An ordinary data object cannot be turned into the policy.
  auto plain = TemplateBuilder().ulong(CKA_CLASS, CKO_DATA).boolean(CKA_TOKEN, true).build();
  ASSERT_RV(CKR_OK, f_->C_CreateObject(s_, plain.data(), plain.size(), &h));
  auto mark = TemplateBuilder().boolean(CKA_PQMCP_MCP_POLICY, true).build();
  EXPECT_RV(CKR_ATTRIBUTE_READ_ONLY, f_->C_SetAttributeValue(s_, h, mark.data(), mark.size()));
  // The policy in force is unchanged: the healthcare call is still refused.
  TokenSigner signer(f_, s_, key_, "kid-retail");
  EXPECT_TRUE(sign_msg(signer, tool_call("patient_read", json::Value::object()), now_ms()).empty());
  int refused = 0;
  for (const auto& j : decisions())
    if (j["event"] == "policy-object" && j["decision"] == "deny") ++refused;
  EXPECT_EQ(refused, 5);
}

TEST_F(TokenPolicy, SoChangesThePolicyAndTheTokenFollows) {
  TokenSigner signer(f_, s_, key_, "kid-retail");
  EXPECT_TRUE(sign_msg(signer, tool_call("patient_read", json::Value::object()), now_ms()).empty());
  ASSERT_RV(CKR_OK, f_->C_Logout(s_));
  ASSERT_RV(CKR_OK, f_->C_Login(s_, CKU_SO, pin(kSoPin), len(kSoPin)));
  const std::string bad = "version = 1\n[[agents.x.tools]]\nname = \"[\"\n";
  auto tb = TemplateBuilder().bytes(CKA_VALUE, Bytes(bad.begin(), bad.end())).build();
  EXPECT_RV(CKR_ATTRIBUTE_VALUE_INVALID, f_->C_SetAttributeValue(s_, policy_, tb.data(), tb.size()));
  install(kPolicy, CKR_ACTION_PROHIBITED);  // one policy object per token
  const std::string wide = std::string(kPolicy) + "[[agents.retail-bot.tools]]\nname = \"patient_read\"\n";
  auto tw = TemplateBuilder().bytes(CKA_VALUE, Bytes(wide.begin(), wide.end())).build();
  ASSERT_RV(CKR_OK, f_->C_SetAttributeValue(s_, policy_, tw.data(), tw.size()));
  ASSERT_RV(CKR_OK, f_->C_Logout(s_));
  ASSERT_RV(CKR_OK, f_->C_Login(s_, CKU_USER, pin(kUserPin), len(kUserPin)));
  EXPECT_FALSE(sign_msg(signer, tool_call("patient_read", json::Value::object()), now_ms()).empty())
      << pkcs11::rv_name(signer.last_rv);
  // Without any policy object the token refuses everything.
  ASSERT_RV(CKR_OK, f_->C_Logout(s_));
  ASSERT_RV(CKR_OK, f_->C_Login(s_, CKU_SO, pin(kSoPin), len(kSoPin)));
  ASSERT_RV(CKR_OK, f_->C_DestroyObject(s_, policy_));
  ASSERT_RV(CKR_OK, f_->C_Logout(s_));
  ASSERT_RV(CKR_OK, f_->C_Login(s_, CKU_USER, pin(kUserPin), len(kUserPin)));
  EXPECT_TRUE(sign_msg(signer, tool_call("retail_lookup", json::Value::object()), now_ms()).empty());
  EXPECT_EQ(decisions().back()["rule"], "no-policy");
}

TEST_F(TokenPolicy, StaleOrNonCanonicalInputAndOwnerlessKeysAreRefused) {
  TokenSigner signer(f_, s_, key_, "kid-retail");
  EXPECT_TRUE(sign_msg(signer, tool_call("retail_lookup", json::Value::object()), now_ms() - 3'600'000).empty());
  EXPECT_EQ(decisions().back()["rule"], "stale");
  // Non-canonical message bytes (whitespace) under a valid prefix.
  std::string in = std::string("io.pqmcp/sig/v1") + '\0' + R"({"iat":)" + std::to_string(now_ms()) +
                   R"(,"kid":"k"})" + '\0' + R"({ "jsonrpc":"2.0","method":"ping"})";
  CK_MECHANISM mm{CKM_PQMCP_MCP_SIGN_MLDSA, nullptr, 0};
  ASSERT_RV(CKR_OK, f_->C_SignInit(s_, &mm, key_));
  Bytes sig(4000);
  CK_ULONG n = sig.size();
  EXPECT_RV(CKR_FUNCTION_REJECTED, f_->C_Sign(s_, reinterpret_cast<CK_BYTE_PTR>(in.data()), in.size(), sig.data(), &n));
  EXPECT_EQ(decisions().back()["rule"], "malformed-input");
  // A key without an owner cannot use the mechanism at all.
  Bytes pk;
  CK_OBJECT_HANDLE pub, anon;
  keypair(s_, CKM_ML_DSA_KEY_PAIR_GEN, TemplateBuilder().ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65), TemplateBuilder(), pub, anon);
  EXPECT_RV(CKR_KEY_FUNCTION_NOT_PERMITTED, f_->C_SignInit(s_, &mm, anon));
}

TEST_F(TokenPolicy, CompositeHalfSignsMPrimeAndVerifiesAsMlDsa65Ed25519) {
  CK_OBJECT_HANDLE epub, epriv;
  keypair(s_, CKM_EC_EDWARDS_KEY_PAIR_GEN,
          TemplateBuilder().bytes(CKA_EC_PARAMS, Bytes{0x06, 0x03, 0x2b, 0x65, 0x70}), TemplateBuilder(), epub, epriv);
  Bytes ep = attr(s_, epub, CKA_EC_POINT);
  ASSERT_EQ(ep.size(), 34u);  // DER OCTET STRING around the 32-byte key
  Bytes pk = pub_;
  pk.insert(pk.end(), ep.begin() + 2, ep.end());
  TokenSigner signer(f_, s_, key_, "kid-retail-c", epriv);
  const std::int64_t now = now_ms();
  const std::string wire = sign_msg(signer, tool_call("retail_list", json::Value::object()), now);
  ASSERT_FALSE(wire.empty()) << pkcs11::rv_name(signer.last_rv);
  mcp::StaticKeyResolver keys;
  keys.add("kid-retail-c", mcp::Algorithm::kMlDsa65Ed25519, pk, "retail-bot");
  mcp::VerifierConfig vc;
  vc.audiences = {"retail-server"};
  auto r = mcp::Verifier(vc, keys).verify_text(wire, now);
  ASSERT_TRUE(r.ok()) << mcp::reason_name(r.error().reason) << " " << r.error().detail;
  // The composite mechanism refuses a parameter that does not match the key.
  CK_ULONG wrong = CKP_PQMCP_COMPOSITE_MLDSA44_ED25519;
  CK_MECHANISM m{CKM_PQMCP_MCP_SIGN_COMPOSITE_MLDSA, &wrong, sizeof wrong};
  EXPECT_RV(CKR_MECHANISM_PARAM_INVALID, f_->C_SignInit(s_, &m, key_));
  EXPECT_TRUE(sign_msg(signer, tool_call("patient_read", json::Value::object()), now).empty());
}

}  // namespace
}  // namespace pqmcp::token::test
