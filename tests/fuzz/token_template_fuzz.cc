// libFuzzer harness for libpqhsm: random templates and mechanism parameters go to
// C_CreateObject, C_GenerateKey(Pair), C_SetAttributeValue, C_CopyObject, C_FindObjectsInit,
// C_SignInit/C_Sign, C_EncryptInit/C_Encrypt, C_EncapsulateKey and C_UnwrapKey (of private
// keys: the PKCS#8 parser) of the real module. Any crash, sanitizer report or hang is a bug:
// bad input must only produce a CK_RV.
//
// The module is dlopen'ed: from $PQHSM_FUZZ_MODULE, else from the build tree beside this
// binary (<build>/src/token/libpqhsm.so), so tests/fuzz/CMakeLists.txt needs no change.
// The token lives in /tmp/pqhsm-fuzz-<pid>-XXXXXX and is removed when the run exits.
// Mechanism parameters that contain pointers are built as well-formed structs whose pointers
// stay inside the fuzz input, since a wild pointer is the caller's fault by the standard.
#include <dlfcn.h>
#include <openssl/evp.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "pkcs11/pkcs11.h"

namespace {

CK_FUNCTION_LIST_3_2* f = nullptr;
CK_SESSION_HANDLE session = 0;
CK_OBJECT_HANDLE keys[4] = {};  // ML-DSA priv, ML-KEM pub, AES, EC priv
CK_OBJECT_HANDLE unwrap_key = 0;  // AES-256 with kKek as value, CKA_UNWRAP
const std::uint8_t kKek[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                               17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
char token_dir[64] = {};          // /tmp/pqhsm-fuzz-<pid>-XXXXXX, removed at exit

// libFuzzer ends a -max_total_time / -runs run with exit(), so an atexit handler removes this
// run's token directory. A run killed by a crash or a signal cannot clean up; the next run
// removes directories whose owning process no longer exists (the pid is in the name).
void remove_token_dir() {
  if (f) f->C_Finalize(nullptr);  // close the SQLite handles before the files go
  f = nullptr;
  std::error_code ec;
  if (token_dir[0]) std::filesystem::remove_all(token_dir, ec);
}

void remove_stale_token_dirs() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/tmp", ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("pqhsm-fuzz-", 0) != 0) continue;
    char* end = nullptr;
    long pid = strtol(name.c_str() + 11, &end, 10);
    if (pid <= 0 || *end != '-') continue;  // not ours (or an old-style name)
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // still running
    std::error_code rm;
    std::filesystem::remove_all(e.path(), rm);
  }
}

struct Reader {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t byte() { return n ? (--n, *p++) : 0; }
  CK_ULONG ulong() {
    CK_ULONG v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | byte();
    return v;
  }
  const std::uint8_t* take(std::size_t k, std::size_t& got) {
    got = k < n ? k : n;
    const std::uint8_t* r = p;
    p += got;
    n -= got;
    return r;
  }
};

const CK_ATTRIBUTE_TYPE kTypes[] = {
    CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_UNIQUE_ID, CKA_VALUE, CKA_KEY_TYPE, CKA_ID, CKA_SENSITIVE,
    CKA_ENCRYPT, CKA_DECRYPT, CKA_SIGN, CKA_VERIFY, CKA_WRAP, CKA_UNWRAP, CKA_EXTRACTABLE, CKA_LOCAL,
    CKA_VALUE_LEN, CKA_MODIFIABLE, CKA_COPYABLE, CKA_DESTROYABLE, CKA_EC_PARAMS, CKA_EC_POINT,
    CKA_ALLOWED_MECHANISMS, CKA_PARAMETER_SET, CKA_SEED, CKA_ENCAPSULATE, CKA_DECAPSULATE, CKA_START_DATE,
    CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_APPLICATION, 0x7fffffff};
const CK_MECHANISM_TYPE kMechs[] = {
    CKM_ML_DSA_KEY_PAIR_GEN, CKM_ML_DSA, CKM_HASH_ML_DSA, CKM_HASH_ML_DSA_SHA256, CKM_HASH_ML_DSA_SHA512,
    CKM_ML_KEM_KEY_PAIR_GEN, CKM_ML_KEM, CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, CKM_ECDSA_SHA256,
    CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, CKM_AES_KEY_GEN, CKM_AES_GCM, CKM_AES_KEY_WRAP_KWP, CKM_SHA256,
    CKM_SHA3_256, CKM_SHA256_HMAC, CKM_GENERIC_SECRET_KEY_GEN, 0x12345};

// Storage for one iteration's templates and parameters.
struct Input {
  std::vector<CK_ATTRIBUTE> tmpl;
  std::vector<std::vector<std::uint8_t>> values;
  CK_MECHANISM mech{};
  CK_SIGN_ADDITIONAL_CONTEXT sac{};
  CK_HASH_SIGN_ADDITIONAL_CONTEXT hsac{};
  CK_GCM_PARAMS gcm{};
  CK_EDDSA_PARAMS ed{};
  std::vector<std::uint8_t> raw;
};

void read_template(Reader& r, Input& in) {
  std::size_t count = r.byte() % 8;
  in.values.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint8_t sel = r.byte();
    CK_ATTRIBUTE_TYPE t = sel < 200 ? kTypes[sel % (sizeof kTypes / sizeof kTypes[0])] : r.ulong();
    std::size_t want = r.byte(), got = 0;
    if (want == 255) want = sizeof(CK_ULONG);
    const std::uint8_t* v = r.take(want % 80, got);
    in.values.emplace_back(v, v + got);
    if (t == CKA_TOKEN) in.values.back().assign(1, CK_FALSE);  // keep the database small
    auto& b = in.values.back();
    in.tmpl.push_back({t, b.empty() && (sel & 1) ? nullptr : b.data(), static_cast<CK_ULONG>(b.size())});
  }
}

void read_mechanism(Reader& r, Input& in) {
  in.mech.mechanism = kMechs[r.byte() % (sizeof kMechs / sizeof kMechs[0])];
  std::size_t got = 0;
  const std::uint8_t* blob = r.take(r.byte() % 300, got);
  in.raw.assign(blob, blob + got);
  std::uint8_t* data = in.raw.empty() ? nullptr : in.raw.data();
  CK_ULONG dl = in.raw.size();
  switch (r.byte() % 6) {
    case 0: break;  // no parameter
    case 1:
      in.sac = {r.ulong() % 4, data, dl};
      in.mech.pParameter = &in.sac;
      in.mech.ulParameterLen = sizeof in.sac;
      return;
    case 2:
      in.hsac = {r.ulong() % 4, data, dl % 64, kMechs[r.byte() % 20] == CKM_SHA256 ? CKM_SHA256 : r.ulong()};
      in.mech.pParameter = &in.hsac;
      in.mech.ulParameterLen = sizeof in.hsac;
      return;
    case 3:
      in.gcm = {data, dl / 2, r.ulong(), data, dl - dl / 2, r.byte()};
      in.mech.pParameter = &in.gcm;
      in.mech.ulParameterLen = sizeof in.gcm;
      return;
    case 4:
      in.ed = {r.byte(), dl, data};
      in.mech.pParameter = &in.ed;
      in.mech.ulParameterLen = sizeof in.ed;
      return;
    default:  // raw bytes with an arbitrary declared length no larger than the buffer
      in.mech.pParameter = data;
      in.mech.ulParameterLen = data ? r.byte() % (dl + 1) : 0;
      return;
  }
}

std::string module_path() {
  if (const char* e = getenv("PQHSM_FUZZ_MODULE")) return e;
  char exe[PATH_MAX] = {};
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  std::string dir(exe, n > 0 ? static_cast<std::size_t>(n) : 0);
  dir = dir.substr(0, dir.find_last_of('/'));  // <build>/tests/fuzz
  return dir + "/../../src/token/libpqhsm.so";
}

// RFC 5649 under kKek, so that fuzz bytes pass the KWP integrity check and reach the token's
// PrivateKeyInfo parser (mechanisms/key_encoding.cc) in C_UnwrapKey.
std::vector<std::uint8_t> kwp_wrap(const std::vector<std::uint8_t>& in) {
  std::vector<std::uint8_t> out(in.size() + 16);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  int n = 0, fin = 0;
  bool ok = c && EVP_CipherInit_ex(c, EVP_aes_256_wrap_pad(), nullptr, kKek, nullptr, 1) == 1 &&
            EVP_CipherUpdate(c, out.data(), &n, in.data(), static_cast<int>(in.size())) == 1 &&
            EVP_CipherFinal_ex(c, out.data() + n, &fin) == 1;
  EVP_CIPHER_CTX_free(c);
  out.resize(ok ? static_cast<std::size_t>(n + fin) : 0);
  return out;
}

void setup_keys() {
  CK_BBOOL yes = CK_TRUE;
  CK_OBJECT_CLASS sk = CKO_SECRET_KEY;
  CK_KEY_TYPE aes_type = CKK_AES;
  CK_ATTRIBUTE kek[] = {{CKA_CLASS, &sk, sizeof sk}, {CKA_KEY_TYPE, &aes_type, sizeof aes_type},
                        {CKA_VALUE, const_cast<std::uint8_t*>(kKek), sizeof kKek}, {CKA_UNWRAP, &yes, 1}};
  f->C_CreateObject(session, kek, 4, &unwrap_key);
  CK_ULONG ps = CKP_ML_DSA_44, kps = CKP_ML_KEM_512, len = 32;
  CK_OBJECT_HANDLE pub;
  CK_ATTRIBUTE dsa[] = {{CKA_PARAMETER_SET, &ps, sizeof ps}};
  CK_MECHANISM m{CKM_ML_DSA_KEY_PAIR_GEN, nullptr, 0};
  f->C_GenerateKeyPair(session, &m, dsa, 1, nullptr, 0, &pub, &keys[0]);
  CK_ATTRIBUTE kem[] = {{CKA_PARAMETER_SET, &kps, sizeof kps}};
  CK_OBJECT_HANDLE kpriv;
  m.mechanism = CKM_ML_KEM_KEY_PAIR_GEN;
  f->C_GenerateKeyPair(session, &m, kem, 1, nullptr, 0, &keys[1], &kpriv);
  CK_ATTRIBUTE aes[] = {{CKA_VALUE_LEN, &len, sizeof len}, {CKA_WRAP, &yes, 1}, {CKA_SIGN, &yes, 1}};
  m.mechanism = CKM_AES_KEY_GEN;
  f->C_GenerateKey(session, &m, aes, 3, &keys[2]);
  std::uint8_t p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
  CK_ATTRIBUTE ec[] = {{CKA_EC_PARAMS, p256, sizeof p256}};
  m.mechanism = CKM_EC_KEY_PAIR_GEN;
  f->C_GenerateKeyPair(session, &m, ec, 1, nullptr, 0, &pub, &keys[3]);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  void* h = dlopen(module_path().c_str(), RTLD_NOW);
  if (!h) {
    fprintf(stderr, "cannot load libpqhsm: %s (set PQHSM_FUZZ_MODULE)\n", dlerror());
    abort();
  }
  auto get = reinterpret_cast<CK_C_GetInterface>(dlsym(h, "C_GetInterface"));
  CK_INTERFACE* i = nullptr;
  if (!get || get(nullptr, nullptr, &i, 0) != CKR_OK) abort();
  f = static_cast<CK_FUNCTION_LIST_3_2*>(i->pFunctionList);
  remove_stale_token_dirs();
  snprintf(token_dir, sizeof token_dir, "/tmp/pqhsm-fuzz-%ld-XXXXXX", static_cast<long>(getpid()));
  if (!mkdtemp(token_dir)) abort();
  const char* dir = token_dir;
  std::string conf = std::string(dir) + "/pqhsm.conf";
  FILE* c = fopen(conf.c_str(), "w");
  fprintf(c, "token_dir = %s/tokens\nkdf_iterations = 1\nmax_pin_failures = 1000\n", dir);
  fclose(c);
  setenv("PQHSM_CONF", conf.c_str(), 1);
  if (f->C_Initialize(nullptr) != CKR_OK) abort();
  // Registered after C_Initialize, which initialises OpenSSL and registers its own exit cleanup:
  // exit handlers run in reverse order, so C_Finalize (which signs the key-operation log's last
  // checkpoint) runs while OpenSSL is still usable.
  atexit(remove_token_dir);
  CK_UTF8CHAR label[32];
  memset(label, ' ', 32);
  CK_UTF8CHAR so[] = "fuzz-so-pin", user[] = "fuzz-pin";
  f->C_InitToken(0, so, 11, label);
  f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
  f->C_Login(session, CKU_SO, so, 11);
  f->C_InitPIN(session, user, 8);
  f->C_Logout(session);
  f->C_Login(session, CKU_USER, user, 8);
  setup_keys();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r{data, size};
  Input in;
  std::uint8_t op = r.byte();
  read_template(r, in);
  read_mechanism(r, in);
  CK_ATTRIBUTE* t = in.tmpl.empty() ? nullptr : in.tmpl.data();
  CK_ULONG n = in.tmpl.size();
  CK_SESSION_HANDLE s = 0;
  // A fresh session per input: its session objects and operations die with it.
  f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s);
  CK_OBJECT_HANDLE h = 0, h2 = 0, key = keys[r.byte() % 4];
  std::uint8_t out[5000];
  CK_ULONG out_len = r.byte() & 1 ? sizeof out : r.byte();
  switch (op % 10) {
    case 0: f->C_CreateObject(s, t, n, &h); break;
    case 1: f->C_GenerateKey(s, &in.mech, t, n, &h); break;
    case 2: f->C_GenerateKeyPair(s, &in.mech, t, n, t, n / 2, &h, &h2); break;
    case 3:
      if (f->C_CreateObject(s, t, n / 2, &h) == CKR_OK) {
        f->C_SetAttributeValue(s, h, t + n / 2, n - n / 2);
        f->C_CopyObject(s, h, t, n, &h2);
        f->C_GetAttributeValue(s, h, t, n);
      }
      break;
    case 4:
      if (f->C_FindObjectsInit(s, t, n) == CKR_OK) {
        CK_OBJECT_HANDLE found[8];
        CK_ULONG got = 0;
        f->C_FindObjects(s, found, 8, &got);
        f->C_FindObjectsFinal(s);
      }
      break;
    case 5:
      if (f->C_SignInit(s, &in.mech, key) == CKR_OK) f->C_Sign(s, in.raw.data(), in.raw.size(), out, &out_len);
      break;
    case 6:
      if (f->C_EncryptInit(s, &in.mech, key) == CKR_OK) f->C_Encrypt(s, in.raw.data(), in.raw.size(), out, &out_len);
      break;
    case 7: f->C_EncapsulateKey(s, &in.mech, key, t, n, out, &out_len, &h); break;
    case 8: {
      // A private-key unwrap of fuzz bytes: class and key type first, then the fuzz template.
      static const CK_KEY_TYPE kTypes4[] = {CKK_ML_DSA, CKK_ML_KEM, CKK_EC, CKK_EC_EDWARDS};
      CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
      CK_KEY_TYPE kt = kTypes4[r.byte() % 4];
      std::vector<CK_ATTRIBUTE> ut{{CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &kt, sizeof kt}};
      ut.insert(ut.end(), in.tmpl.begin(), in.tmpl.end());
      std::vector<std::uint8_t> blob = kwp_wrap(in.raw);
      CK_MECHANISM kwp{CKM_AES_KEY_WRAP_KWP, nullptr, 0};
      f->C_UnwrapKey(s, &kwp, unwrap_key, blob.data(), blob.size(), ut.data(), ut.size(), &h);
      break;
    }
    default: f->C_GetAttributeValue(s, key, t, n); break;
  }
  f->C_CloseSession(s);
  return 0;
}
