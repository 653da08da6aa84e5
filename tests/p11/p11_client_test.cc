// The PKCS#11 client against both modules in one process: SoftHSM2 for the classical
// algorithms (and as the module that lacks ML-DSA) and libpqhsm for everything.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "crypto/composite.h"
#include "crypto/eddsa.h"
#include "crypto/mldsa.h"
#include "module_env.h"
#include "p11/errors.h"

namespace pqmcp::p11::test {
namespace {

const char* kSo = "so-secret-1";
const char* kUser = "user-secret-1";

class ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new std::string(make_temp_root());
    configure_modules(*root_);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*root_);
    delete root_;
  }
  // A fresh, logged-in token with a unique label on the given module.
  std::shared_ptr<Token> fresh(const std::string& module_path, const std::string& label) {
    auto m = Module::load(module_path);
    EXPECT_TRUE(m) << m.error().to_string();
    if (!m) return nullptr;
    auto ti = (*m)->init_token(label, bytes_of(kSo), bytes_of(kUser));
    EXPECT_TRUE(ti) << ti.error().to_string();
    auto t = Token::open(*m, label, "", 2);
    EXPECT_TRUE(t) << t.error().to_string();
    if (!t) return nullptr;
    auto st = (*t)->login(bytes_of(kUser));
    EXPECT_TRUE(st) << st.error().to_string();
    return *t;
  }
  static std::string* root_;
};
std::string* ClientTest::root_ = nullptr;

TEST_F(ClientTest, LoadsBothModulesThroughTheirBestInterface) {
  auto soft = Module::load(kSoftHsm);
  ASSERT_TRUE(soft) << soft.error().to_string();
  EXPECT_EQ((*soft)->f32(), nullptr) << "Debian's SoftHSM2 has no C_GetInterface";
  EXPECT_EQ((*soft)->interface_version().major, 2);
  auto pq = Module::load(PQHSM_MODULE_PATH);
  ASSERT_TRUE(pq) << pq.error().to_string();
  ASSERT_NE((*pq)->f32(), nullptr);
  EXPECT_EQ((*pq)->interface_version().major, 3);
  EXPECT_EQ((*pq)->interface_version().minor, 2);
  // Loading again shares the module: one C_Initialize per process.
  auto again = Module::load(PQHSM_MODULE_PATH);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->get(), pq->get());
}

TEST_F(ClientTest, MissingModuleIsAClearError) {
  auto m = Module::load("/nonexistent/libnothing.so");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind, Error::Kind::kModule);
  EXPECT_NE(m.error().to_string().find("/nonexistent/libnothing.so"), std::string::npos);
  auto notp11 = Module::load("libz.so.1");
  ASSERT_FALSE(notp11);
  EXPECT_NE(notp11.error().message.find("not a PKCS#11 module"), std::string::npos) << notp11.error().to_string();
}

TEST_F(ClientTest, FindsTokensByLabelAndSerialAndListsTheOthers) {
  auto t = fresh(kSoftHsm, "find-me");
  ASSERT_TRUE(t);
  auto by_serial = Module::load(kSoftHsm).value()->find_token("", t->info().serial);
  ASSERT_TRUE(by_serial);
  EXPECT_EQ(by_serial->label, "find-me");
  auto missing = Module::load(kSoftHsm).value()->find_token("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, Error::Kind::kNotFound);
  EXPECT_NE(missing.error().message.find("'find-me'"), std::string::npos) << missing.error().to_string();
  // Re-initialising an existing label is refused.
  auto dup = Module::load(kSoftHsm).value()->init_token("find-me", bytes_of(kSo), bytes_of(kUser));
  EXPECT_FALSE(dup);
}

TEST_F(ClientTest, WrongPinNamesTokenAndCountsDown) {
  auto pq = Module::load(PQHSM_MODULE_PATH).value();
  ASSERT_TRUE(pq->init_token("agents", bytes_of(kSo), bytes_of(kUser)));
  auto t = Token::open(pq, "agents").value();
  auto st = t->login(bytes_of("wrong-pin"));
  ASSERT_FALSE(st);
  const std::string msg = st.error().to_string();
  EXPECT_EQ(st.error().kind, Error::Kind::kPin);
  EXPECT_EQ(st.error().rv, CKR_PIN_INCORRECT);
  EXPECT_NE(msg.find("token 'agents'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("wrong user PIN"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("wrong-pin"), std::string::npos) << "a PIN never appears in an error";
  (void)t->login(bytes_of("wrong-pin"));
  auto third = t->login(bytes_of("wrong-pin"));
  ASSERT_FALSE(third);
  auto locked = t->login(bytes_of(kUser));  // max_pin_failures = 3 in module_env.h
  ASSERT_FALSE(locked);
  EXPECT_NE(locked.error().to_string().find("locked"), std::string::npos) << locked.error().to_string();
}

TEST_F(ClientTest, PinSources) {
  setenv("PQMCP_TEST_PIN", "from-env", 1);
  auto e = read_pin(PinSource::env("PQMCP_TEST_PIN"));
  ASSERT_TRUE(e);
  EXPECT_EQ(std::string(e->data(), e->data() + e->size()), "from-env");
  EXPECT_FALSE(read_pin(PinSource::env("PQMCP_TEST_PIN_UNSET")));

  const std::string f = *root_ + "/pin";
  ASSERT_TRUE(write_pin_file(f, bytes_of("from-file")));
  auto p = read_pin(PinSource::file(f));
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(std::string(p->data(), p->data() + p->size()), "from-file");
  EXPECT_FALSE(write_pin_file(f, bytes_of("again"))) << "never overwrites";
  chmod(f.c_str(), 0644);
  auto open_perm = read_pin(PinSource::file(f));
  ASSERT_FALSE(open_perm);
  EXPECT_NE(open_perm.error().message.find("chmod 600"), std::string::npos);
  chmod(f.c_str(), 0000);
  if (geteuid() != 0) {
    EXPECT_FALSE(read_pin(PinSource::file(f)));
  }
  auto missing = read_pin(PinSource::file(*root_ + "/absent"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, Error::Kind::kPin);
  auto rp = random_pin(24);
  ASSERT_TRUE(rp);
  EXPECT_EQ(rp->size(), 24u);
}

TEST_F(ClientTest, SoftHsmHasNoMlDsaAndSaysWhatToDo) {
  auto t = fresh(kSoftHsm, "classic-only");
  ASSERT_TRUE(t);
  auto kp = generate_key_pair(*t, KeyType::kMlDsa65, {{1}, "x"});
  ASSERT_FALSE(kp);
  EXPECT_EQ(kp.error().kind, Error::Kind::kMechanism);
  EXPECT_NE(kp.error().message.find("libpqhsm"), std::string::npos) << kp.error().to_string();
  EXPECT_NE(kp.error().message.find("CKM_ML_DSA_KEY_PAIR_GEN"), std::string::npos);
}

// Ed25519 and P-256 on both modules: generate, sign on the token, verify on the token and (for
// Ed25519) in process with pqmcp's own EdDSA.
TEST_F(ClientTest, ClassicalOnBothModules) {
  for (const char* path : {kSoftHsm, static_cast<const char*>(PQHSM_MODULE_PATH)}) {
    SCOPED_TRACE(path);
    auto t = fresh(path, std::string("classic-") + (path == kSoftHsm ? "soft" : "pq"));
    ASSERT_TRUE(t);
    for (KeyType k : {KeyType::kEd25519, KeyType::kP256}) {
      SCOPED_TRACE(key_type_name(k));
      auto kp = generate_key_pair(*t, k, {{7, static_cast<std::uint8_t>(k)}, "c"});
      ASSERT_TRUE(kp) << kp.error().to_string();
      const auto msg = bytes_of("message");
      auto sig = sign(*t, k, kp->priv, msg);
      ASSERT_TRUE(sig) << sig.error().to_string();
      EXPECT_EQ(sig->size(), 64u);
      auto ok = verify(*t, k, kp->pub, msg, *sig);
      ASSERT_TRUE(ok) << ok.error().to_string();
      EXPECT_TRUE(*ok);
      (*sig)[3] ^= 1;
      EXPECT_FALSE(verify(*t, k, kp->pub, msg, *sig).value());
      if (k == KeyType::kEd25519) {
        (*sig)[3] ^= 1;
        EXPECT_EQ(crypto::eddsa::verify(crypto::eddsa::Curve::kEd25519, kp->public_key, msg, *sig), crypto::Status::kOk);
      }
      auto found = find_key(*t, CKO_PRIVATE_KEY, k, std::vector<std::uint8_t>{7, static_cast<std::uint8_t>(k)});
      ASSERT_TRUE(found);
      EXPECT_EQ(*found, kp->priv);
    }
  }
}

TEST_F(ClientTest, MlDsaOnPqhsmVerifiesInProcess) {
  auto t = fresh(PQHSM_MODULE_PATH, "mldsa");
  ASSERT_TRUE(t);
  const std::pair<KeyType, crypto::mldsa::ParamSet> sets[] = {{KeyType::kMlDsa44, crypto::mldsa::ParamSet::kMlDsa44},
                                                              {KeyType::kMlDsa65, crypto::mldsa::ParamSet::kMlDsa65},
                                                              {KeyType::kMlDsa87, crypto::mldsa::ParamSet::kMlDsa87}};
  for (auto [k, p] : sets) {
    auto kp = generate_key_pair(*t, k, {{9, static_cast<std::uint8_t>(k)}, "m"});
    ASSERT_TRUE(kp) << kp.error().to_string();
    const auto msg = bytes_of("hello"), ctx = bytes_of("pqmcp-test");
    auto sig = sign(*t, k, kp->priv, msg, ctx);
    ASSERT_TRUE(sig) << sig.error().to_string();
    EXPECT_EQ(crypto::mldsa::verify(p, kp->public_key, msg, ctx, *sig), crypto::Status::kOk);
    EXPECT_NE(crypto::mldsa::verify(p, kp->public_key, msg, bytes_of("other"), *sig), crypto::Status::kOk);
  }
}

// The HSM path equals the draft: a composite signature assembled from two PKCS#11 signatures
// verifies with pqmcp's in-process composite::verify, with both halves on libpqhsm and with
// the Ed25519 half on SoftHSM2.
TEST_F(ClientTest, CompositeThroughPkcs11VerifiesWithCompositeVerify) {
  namespace cs = crypto::composite;
  auto pq = fresh(PQHSM_MODULE_PATH, "composite-pq");
  auto soft = fresh(kSoftHsm, "composite-ed");
  ASSERT_TRUE(pq && soft);
  for (auto alg : {cs::Algorithm::kMlDsa65Ed25519, cs::Algorithm::kMlDsa44Ed25519}) {
    for (Token* trad : {pq.get(), soft.get()}) {
      SCOPED_TRACE(std::string(cs::info(alg).name) + " ed25519 on " + trad->label());
      const std::vector<std::uint8_t> id = {0xC0, static_cast<std::uint8_t>(alg), trad == pq.get() ? std::uint8_t{1} : std::uint8_t{2}};
      auto m = generate_key_pair(*pq, composite_mldsa_half(alg), {id, "c"});
      auto e = generate_key_pair(*trad, KeyType::kEd25519, {id, "c"});
      ASSERT_TRUE(m && e);
      std::vector<std::uint8_t> pk = m->public_key;
      pk.insert(pk.end(), e->public_key.begin(), e->public_key.end());
      ASSERT_EQ(pk.size(), cs::info(alg).public_key);
      CompositeKey key{alg, pq.get(), m->priv, trad, e->priv};
      const auto msg = bytes_of("tools/call"), ctx = bytes_of("pqmcp");
      auto sig = sign_composite(key, msg, ctx);
      ASSERT_TRUE(sig) << sig.error().to_string();
      ASSERT_EQ(sig->size(), cs::info(alg).signature);
      EXPECT_EQ(cs::verify(alg, pk, msg, ctx, *sig), crypto::Status::kOk);
      EXPECT_EQ(cs::verify(alg, pk, msg, bytes_of("other"), *sig), crypto::Status::kVerifyFailed);
      (*sig)[sig->size() - 1] ^= 1;  // the Ed25519 half alone fails the composite
      EXPECT_EQ(cs::verify(alg, pk, msg, ctx, *sig), crypto::Status::kVerifyFailed);
    }
  }
}

// The CKM_PQMCP_* vendor numbers are trusted only on libpqhsm's tokens (manufacturer "pqmcp"),
// never on another module's, where the same CKM_VENDOR_DEFINED values could mean anything.
TEST_F(ClientTest, VendorMechanismsOnlyOnPqhsmTokens) {
  auto pq = fresh(PQHSM_MODULE_PATH, "vendor-pq");
  auto soft = fresh(kSoftHsm, "vendor-soft");
  ASSERT_TRUE(pq && soft);
  EXPECT_TRUE(offers_pqmcp_mechanisms(*pq));
  EXPECT_FALSE(offers_pqmcp_mechanisms(*soft));
  auto e = generate_key_pair(*soft, KeyType::kEd25519, {{0xC4}, "v"});
  ASSERT_TRUE(e);
  auto sig = sign_mcp(*soft, KeyType::kMlDsa65, e->priv, bytes_of("io.pqmcp/sig/v1"));
  ASSERT_FALSE(sig);
  EXPECT_EQ(sig.error().kind, Error::Kind::kMechanism);
}

// Both halves on libpqhsm: one CKM_PQMCP_COMPOSITE_SIGN operation makes the same (verifiable)
// signature. Keys whose CKA_ALLOWED_MECHANISMS leave it out make the token refuse it; the client
// then signs in two operations, and stops asking for these keys.
TEST_F(ClientTest, CompositeInOneOperationAndTheFallbackWhenRefused) {
  namespace cs = crypto::composite;
  auto pq = fresh(PQHSM_MODULE_PATH, "composite-one");
  ASSERT_TRUE(pq);
  for (auto alg : {cs::Algorithm::kMlDsa65Ed25519, cs::Algorithm::kMlDsa44Ed25519}) {
    for (bool restricted : {false, true}) {
      SCOPED_TRACE(std::string(cs::info(alg).name) + (restricted ? " (ML-DSA key bound to CKM_ML_DSA)" : ""));
      const std::vector<std::uint8_t> id = {0xC3, static_cast<std::uint8_t>(alg), static_cast<std::uint8_t>(restricted)};
      GenerateOptions mo{id, "one"};
      if (restricted) mo.allowed_mechanisms = {CKM_ML_DSA};
      auto m = generate_key_pair(*pq, composite_mldsa_half(alg), mo);
      auto e = generate_key_pair(*pq, KeyType::kEd25519, {id, "one"});
      ASSERT_TRUE(m && e) << (m ? e.error().to_string() : m.error().to_string());
      std::vector<std::uint8_t> pk = m->public_key;
      pk.insert(pk.end(), e->public_key.begin(), e->public_key.end());
      std::atomic<bool> one{true};
      CompositeKey key{alg, pq.get(), m->priv, pq.get(), e->priv};
      key.one_operation = &one;
      for (int i = 0; i < 2; ++i) {
        const std::string text = "tools/call " + std::to_string(i);
        const auto msg = bytes_of(text.c_str()), ctx = bytes_of("pqmcp");
        auto sig = sign_composite(key, msg, ctx);
        ASSERT_TRUE(sig) << sig.error().to_string();
        EXPECT_EQ(cs::verify(alg, pk, msg, ctx, *sig), crypto::Status::kOk);
        EXPECT_EQ(cs::verify(alg, pk, msg, {}, *sig), crypto::Status::kVerifyFailed);
      }
      EXPECT_EQ(one.load(), !restricted);
    }
  }
}

// Several threads signing with composite keys at once: the Ed25519 halves run beside the ML-DSA
// ones when the helper thread is free and inline when it is not; every signature must verify.
TEST_F(ClientTest, ConcurrentCompositeSignaturesAllVerify) {
  namespace cs = crypto::composite;
  auto pq = fresh(PQHSM_MODULE_PATH, "composite-mt");
  ASSERT_TRUE(pq);
  const auto alg = cs::Algorithm::kMlDsa65Ed25519;
  auto m = generate_key_pair(*pq, composite_mldsa_half(alg), {{0xC1}, "mt"});
  auto e = generate_key_pair(*pq, KeyType::kEd25519, {{0xC1}, "mt"});
  ASSERT_TRUE(m && e);
  std::vector<std::uint8_t> pk = m->public_key;
  pk.insert(pk.end(), e->public_key.begin(), e->public_key.end());
  CompositeKey key{alg, pq.get(), m->priv, pq.get(), e->priv};
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&, i] {
      for (int j = 0; j < 8; ++j) {
        const std::string text = "call " + std::to_string(i) + "/" + std::to_string(j);
        const std::vector<std::uint8_t> msg(text.begin(), text.end());
        auto sig = sign_composite(key, msg, {});
        if (sig && cs::verify(alg, pk, msg, {}, *sig) == crypto::Status::kOk) ++good;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 24);
}

TEST_F(ClientTest, SessionPoolServesConcurrentSigners) {
  auto t = fresh(kSoftHsm, "pool");
  ASSERT_TRUE(t);
  auto kp = generate_key_pair(*t, KeyType::kEd25519, {{5}, "p"});
  ASSERT_TRUE(kp);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        auto sig = sign(*t, KeyType::kEd25519, kp->priv, bytes_of("concurrent"));
        if (sig && crypto::eddsa::verify(crypto::eddsa::Curve::kEd25519, kp->public_key, bytes_of("concurrent"), *sig) ==
                       crypto::Status::kOk)
          ++good;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 40);
}

TEST_F(ClientTest, MlKemEncapsulateDecapsulateAgree) {
  auto t = fresh(PQHSM_MODULE_PATH, "kem");
  ASSERT_TRUE(t);
  for (KeyType k : {KeyType::kMlKem512, KeyType::kMlKem768, KeyType::kMlKem1024}) {
    auto kp = generate_key_pair(*t, k, {{3, static_cast<std::uint8_t>(k)}, "k"});
    ASSERT_TRUE(kp) << kp.error().to_string();
    auto enc = encapsulate(*t, k, kp->pub, true);
    ASSERT_TRUE(enc) << enc.error().to_string();
    auto dec = decapsulate(*t, k, kp->priv, enc->ciphertext, true);
    ASSERT_TRUE(dec) << dec.error().to_string();
    auto a = read_secret_value(*t, enc->secret), b = read_secret_value(*t, *dec);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->size(), 32u);
    EXPECT_EQ(*a, *b);
  }
  auto soft = fresh(kSoftHsm, "kem-soft");
  ASSERT_TRUE(soft);
  auto none = encapsulate(*soft, KeyType::kMlKem768, 1);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, Error::Kind::kMechanism);
}

TEST_F(ClientTest, ErrorsAreActionable) {
  EXPECT_NE(rv_advice(CKR_PIN_INCORRECT, CKF_USER_PIN_FINAL_TRY, false).find("1 try left"), std::string::npos);
  EXPECT_NE(rv_advice(CKR_PIN_INCORRECT, CKF_USER_PIN_COUNT_LOW, false).find("2 tries left"), std::string::npos);
  EXPECT_NE(rv_advice(CKR_PIN_INCORRECT, CKF_USER_PIN_LOCKED, false).find("locked"), std::string::npos);
  Error e = rv_error(CKR_PIN_INCORRECT, "C_Login", "agents", CKF_USER_PIN_COUNT_LOW);
  EXPECT_EQ(e.to_string(), "C_Login on token 'agents': wrong user PIN: 2 tries left or fewer before the PIN locks (CKR_PIN_INCORRECT)");
}

}  // namespace
}  // namespace pqmcp::p11::test
