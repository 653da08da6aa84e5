// Test client for libpqhsm: dlopens the built module (path from PQHSM_MODULE_PATH, a compile
// definition) and reaches it only through C_GetInterface, as any PKCS#11 client does. Each
// test gets its own temporary token directory and configuration with a low KDF cost.
#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pkcs11/attributes.h"
#include "pkcs11/pkcs11.h"
#include "pkcs11/rv_names.h"

namespace pqmcp::token::test {

using pkcs11::TemplateBuilder;
using Bytes = std::vector<std::uint8_t>;

// A readable CK_RV comparison: failures print CKR_ names.
#define EXPECT_RV(expected, expr)                                                        \
  do {                                                                                   \
    CK_RV rv_ = (expr);                                                                  \
    EXPECT_EQ(std::string(::pqmcp::pkcs11::rv_name(expected)),                           \
              std::string(::pqmcp::pkcs11::rv_name(rv_)))                                \
        << #expr;                                                                        \
  } while (0)
#define ASSERT_RV(expected, expr)                                                        \
  do {                                                                                   \
    CK_RV rv_ = (expr);                                                                  \
    ASSERT_EQ(std::string(::pqmcp::pkcs11::rv_name(expected)),                           \
              std::string(::pqmcp::pkcs11::rv_name(rv_)))                                \
        << #expr;                                                                        \
  } while (0)

inline void* module_handle() {
  static void* h = [] {
    void* p = dlopen(PQHSM_MODULE_PATH, RTLD_NOW | RTLD_LOCAL);
    if (!p) ADD_FAILURE() << "dlopen: " << dlerror();
    return p;
  }();
  return h;
}

inline CK_FUNCTION_LIST_3_2* functions() {
  auto get = reinterpret_cast<CK_C_GetInterface>(dlsym(module_handle(), "C_GetInterface"));
  if (!get) return nullptr;
  CK_INTERFACE* i = nullptr;
  CK_VERSION v{3, 2};
  if (get(reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>("PKCS 11")), &v, &i, 0) != CKR_OK) return nullptr;
  return static_cast<CK_FUNCTION_LIST_3_2*>(i->pFunctionList);
}

inline const char* kSoPin = "so-pin-1234";
inline const char* kUserPin = "user-pin-5678";

inline CK_UTF8CHAR_PTR pin(const char* p) { return reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(p)); }
inline CK_ULONG len(const char* p) { return std::strlen(p); }

class TokenTest : public ::testing::Test {
 protected:
  // Creates a fresh token directory and config file; max_failures and slots configurable.
  void write_config(unsigned slots = 2, unsigned max_failures = 3) {
    std::ofstream f(dir_ + "/pqhsm.conf");
    f << "# test configuration\n"
      << "token_dir = " << dir_ << "/tokens\n"
      << "slots = " << slots << "\n"
      << "max_pin_failures = " << max_failures << "\n"
      << "kdf_iterations = 10\n";
  }

  void SetUp() override {
    char tmpl[] = "/tmp/pqhsm-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    write_config();
    setenv("PQHSM_CONF", (dir_ + "/pqhsm.conf").c_str(), 1);
    f_ = functions();
    ASSERT_NE(f_, nullptr);
    ASSERT_RV(CKR_OK, f_->C_Initialize(nullptr));
  }

  void TearDown() override {
    if (f_) f_->C_Finalize(nullptr);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void init_token(CK_SLOT_ID slot = 0, const char* label = "test token") {
    CK_UTF8CHAR lbl[32];
    std::memset(lbl, ' ', 32);
    std::memcpy(lbl, label, std::strlen(label));
    ASSERT_RV(CKR_OK, f_->C_InitToken(slot, pin(kSoPin), len(kSoPin), lbl));
  }

  CK_SESSION_HANDLE open(CK_SLOT_ID slot = 0, bool rw = true) {
    CK_SESSION_HANDLE h = 0;
    EXPECT_RV(CKR_OK, f_->C_OpenSession(slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), nullptr,
                                        nullptr, &h));
    return h;
  }

  // Initialised token, user PIN set, user logged in on a RW session.
  CK_SESSION_HANDLE ready_session(CK_SLOT_ID slot = 0) {
    init_token(slot);
    CK_SESSION_HANDLE s = open(slot);
    EXPECT_RV(CKR_OK, f_->C_Login(s, CKU_SO, pin(kSoPin), len(kSoPin)));
    EXPECT_RV(CKR_OK, f_->C_InitPIN(s, pin(kUserPin), len(kUserPin)));
    EXPECT_RV(CKR_OK, f_->C_Logout(s));
    EXPECT_RV(CKR_OK, f_->C_Login(s, CKU_USER, pin(kUserPin), len(kUserPin)));
    return s;
  }

  CK_TOKEN_INFO token_info(CK_SLOT_ID slot = 0) {
    CK_TOKEN_INFO ti{};
    EXPECT_RV(CKR_OK, f_->C_GetTokenInfo(slot, &ti));
    return ti;
  }

  Bytes attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t) {
    CK_ATTRIBUTE a{t, nullptr, 0};
    EXPECT_RV(CKR_OK, f_->C_GetAttributeValue(s, o, &a, 1));
    Bytes v(a.ulValueLen);
    a.pValue = v.data();
    EXPECT_RV(CKR_OK, f_->C_GetAttributeValue(s, o, &a, 1));
    return v;
  }

  CK_ULONG attr_ulong(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t) {
    CK_ULONG v = 0;
    CK_ATTRIBUTE a{t, &v, sizeof v};
    EXPECT_RV(CKR_OK, f_->C_GetAttributeValue(s, o, &a, 1));
    return v;
  }

  // Generates a key pair with the given mechanism and extra attributes.
  void keypair(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE mech, TemplateBuilder pub, TemplateBuilder priv,
               CK_OBJECT_HANDLE& hpub, CK_OBJECT_HANDLE& hpriv, CK_RV expect = CKR_OK) {
    CK_MECHANISM m{mech, nullptr, 0};
    auto tp = pub.build();
    auto tk = priv.build();
    EXPECT_RV(expect, f_->C_GenerateKeyPair(s, &m, tp.data(), tp.size(), tk.data(), tk.size(), &hpub, &hpriv));
  }

  Bytes sign(CK_SESSION_HANDLE s, CK_MECHANISM m, CK_OBJECT_HANDLE key, const Bytes& msg) {
    EXPECT_RV(CKR_OK, f_->C_SignInit(s, &m, key));
    CK_ULONG n = 0;
    EXPECT_RV(CKR_OK, f_->C_Sign(s, const_cast<CK_BYTE_PTR>(msg.data()), msg.size(), nullptr, &n));
    Bytes sig(n);
    EXPECT_RV(CKR_OK, f_->C_Sign(s, const_cast<CK_BYTE_PTR>(msg.data()), msg.size(), sig.data(), &n));
    sig.resize(n);
    return sig;
  }

  CK_RV verify(CK_SESSION_HANDLE s, CK_MECHANISM m, CK_OBJECT_HANDLE key, const Bytes& msg, const Bytes& sig) {
    CK_RV rv = f_->C_VerifyInit(s, &m, key);
    if (rv != CKR_OK) return rv;
    return f_->C_Verify(s, const_cast<CK_BYTE_PTR>(msg.data()), msg.size(), const_cast<CK_BYTE_PTR>(sig.data()),
                        sig.size());
  }

  std::string dir_;
  CK_FUNCTION_LIST_3_2* f_ = nullptr;
};

inline Bytes bytes(const char* s) { return Bytes(s, s + std::strlen(s)); }

}  // namespace pqmcp::token::test
