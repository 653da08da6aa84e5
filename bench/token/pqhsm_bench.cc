// pqhsm-bench: the figures of issue 4, measured in one run.
//   1. ML-DSA-65 C_Sign ops/s through libpqhsm ÷ the raw library's sign (goal ≥ 0.9), same key;
//   2. ECDSA-P256 C_Sign ops/s, libpqhsm ÷ SoftHSM2 (Debian's libsofthsm2.so, goal ≥ 1.0);
//   3. ML-DSA-65 signing with 1 thread vs 2 threads, each thread in its own session.
// Each token operation is a full C_SignInit + C_Sign, as a client signing one message does.
//   pqhsm-bench [--seconds S] [--module path] [--softhsm path] [--keyops-log relaxed|on|off] [--json]
#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/mldsa.h"
#include "pkcs11/pkcs11.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace mldsa = pqmcp::crypto::mldsa;

double g_seconds = 2.0;

// Runs op repeatedly for g_seconds; returns operations per second.
template <typename F>
double rate(F&& op) {
  op();  // warm-up
  auto start = Clock::now();
  long n = 0;
  double el = 0;
  do {
    for (int i = 0; i < 4; ++i) op();
    n += 4;
    el = std::chrono::duration<double>(Clock::now() - start).count();
  } while (el < g_seconds);
  return n / el;
}

void die(const char* what, CK_RV rv) {
  std::fprintf(stderr, "pqhsm-bench: %s failed (rv 0x%lx)\n", what, rv);
  std::exit(1);
}

struct Module {
  void* handle = nullptr;
  CK_FUNCTION_LIST* f = nullptr;
  CK_SESSION_HANDLE session = 0;

  // Loads the module, initialises slot 0 with fresh PINs and logs the user in.
  void open(const std::string& path) {
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      std::fprintf(stderr, "pqhsm-bench: cannot load %s: %s\n", path.c_str(), dlerror());
      std::exit(1);
    }
    auto gfl = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
    if (!gfl || gfl(&f) != CKR_OK) die("C_GetFunctionList", 0);
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = f->C_Initialize(&args);
    if (rv != CKR_OK) die("C_Initialize", rv);
    CK_ULONG n = 0;
    f->C_GetSlotList(CK_TRUE, nullptr, &n);
    std::vector<CK_SLOT_ID> slots(n);
    f->C_GetSlotList(CK_TRUE, slots.data(), &n);
    if (n == 0) die("C_GetSlotList (no slot)", 0);
    CK_UTF8CHAR label[32];
    std::memset(label, ' ', 32);
    std::memcpy(label, "bench", 5);
    CK_UTF8CHAR so[] = "bench-so-pin", user[] = "bench-pin";
    if ((rv = f->C_InitToken(slots[0], so, 12, label)) != CKR_OK) die("C_InitToken", rv);
    // SoftHSM moves an initialised token to a new slot id; search by label again.
    f->C_GetSlotList(CK_TRUE, nullptr, &n);
    slots.resize(n);
    f->C_GetSlotList(CK_TRUE, slots.data(), &n);
    CK_SLOT_ID slot = slots[0];
    for (CK_SLOT_ID s : slots) {
      CK_TOKEN_INFO ti;
      if (f->C_GetTokenInfo(s, &ti) == CKR_OK && std::memcmp(ti.label, "bench", 5) == 0) slot = s;
    }
    this->slot = slot;
    if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session)) != CKR_OK)
      die("C_OpenSession", rv);
    if ((rv = f->C_Login(session, CKU_SO, so, 12)) != CKR_OK) die("C_Login SO", rv);
    if ((rv = f->C_InitPIN(session, user, 9)) != CKR_OK) die("C_InitPIN", rv);
    f->C_Logout(session);
    if ((rv = f->C_Login(session, CKU_USER, user, 9)) != CKR_OK) die("C_Login", rv);
  }

  CK_SESSION_HANDLE new_session() {
    CK_SESSION_HANDLE s = 0;
    CK_RV rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s);
    if (rv != CKR_OK) die("C_OpenSession", rv);
    return s;
  }

  void sign(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE mech, CK_OBJECT_HANDLE key, const std::vector<std::uint8_t>& msg,
            std::vector<std::uint8_t>& sig) {
    CK_MECHANISM m{mech, nullptr, 0};
    CK_RV rv = f->C_SignInit(s, &m, key);
    if (rv != CKR_OK) die("C_SignInit", rv);
    CK_ULONG n = sig.size();
    rv = f->C_Sign(s, const_cast<CK_BYTE_PTR>(msg.data()), msg.size(), sig.data(), &n);
    if (rv != CKR_OK) die("C_Sign", rv);
  }

  CK_OBJECT_HANDLE ec_key() {
    CK_BYTE p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, p256, sizeof p256}, {CKA_VERIFY, &yes, 1}, {CKA_TOKEN, &no, 1}};
    CK_ATTRIBUTE priv[] = {{CKA_SIGN, &yes, 1}, {CKA_TOKEN, &no, 1}, {CKA_PRIVATE, &yes, 1}};
    CK_MECHANISM m{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    CK_OBJECT_HANDLE hp, hk;
    CK_RV rv = f->C_GenerateKeyPair(session, &m, pub, 3, priv, 3, &hp, &hk);
    if (rv != CKR_OK) die("C_GenerateKeyPair (EC)", rv);
    return hk;
  }

  CK_SLOT_ID slot = 0;
};

std::string temp_dir(const char* prefix) {
  std::string t = std::string("/tmp/") + prefix + "-XXXXXX";
  if (!mkdtemp(t.data())) std::exit(1);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  std::string module = PQHSM_MODULE_PATH, softhsm = "/usr/lib/softhsm/libsofthsm2.so", keyops_log;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) g_seconds = std::atof(argv[++i]);
    else if (a == "--module" && i + 1 < argc) module = argv[++i];
    else if (a == "--softhsm" && i + 1 < argc) softhsm = argv[++i];
    else if (a == "--keyops-log" && i + 1 < argc) keyops_log = argv[++i];
    else if (a == "--json") json = true;
    else {
      std::fprintf(stderr, "usage: pqhsm-bench [--seconds S] [--module path] [--softhsm path] [--keyops-log relaxed|on|off] [--json]\n");
      return 2;
    }
  }
  // Private token directories and configurations for both modules.
  std::string pq = temp_dir("pqhsm-bench"), sh = temp_dir("softhsm-bench");
  std::ofstream(pq + "/pqhsm.conf") << "token_dir = " << pq << "/tokens\nslots = 1\nkdf_iterations = 1000\n"
                                    << (keyops_log.empty() ? "" : "keyops_log = " + keyops_log + "\n");
  std::filesystem::create_directories(sh + "/tokens");
  std::ofstream(sh + "/softhsm2.conf") << "directories.tokendir = " << sh << "/tokens\nobjectstore.backend = file\n";
  setenv("PQHSM_CONF", (pq + "/pqhsm.conf").c_str(), 1);
  setenv("SOFTHSM2_CONF", (sh + "/softhsm2.conf").c_str(), 1);

  Module token;
  token.open(module);

  // 1. ML-DSA-65: the same key in the raw library and (imported) in the token.
  std::vector<std::uint8_t> pk;
  pqmcp::crypto::SecureBuffer sk;
  mldsa::Seed seed;
  if (!pqmcp::crypto::is_ok(mldsa::keygen(mldsa::ParamSet::kMlDsa65, pk, sk, &seed))) return 1;
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  CK_KEY_TYPE kt = CKK_ML_DSA;
  CK_ULONG ps = CKP_ML_DSA_65;
  CK_ATTRIBUTE imp[] = {{CKA_CLASS, &cls, sizeof cls},
                        {CKA_KEY_TYPE, &kt, sizeof kt},
                        {CKA_PARAMETER_SET, &ps, sizeof ps},
                        {CKA_SEED, seed.data(), seed.size()},
                        {CKA_VALUE, sk.data(), sk.size()}};
  CK_OBJECT_HANDLE mldsa_key;
  CK_RV rv = token.f->C_CreateObject(token.session, imp, 5, &mldsa_key);
  if (rv != CKR_OK) die("C_CreateObject (ML-DSA-65)", rv);
  std::vector<std::uint8_t> msg(64, 0x5a), sig(5000), raw_sig;
  double raw = rate([&] {
    if (!pqmcp::crypto::is_ok(mldsa::sign(mldsa::ParamSet::kMlDsa65, sk.span(), msg, {}, raw_sig))) std::exit(1);
  });
  double via_token = rate([&] { token.sign(token.session, CKM_ML_DSA, mldsa_key, msg, sig); });

  // 2. ECDSA-P256 over a 32-byte digest (CKM_ECDSA), in both modules.
  std::vector<std::uint8_t> digest(32, 0x11);
  CK_OBJECT_HANDLE ec = token.ec_key();
  double ec_pq = rate([&] { token.sign(token.session, CKM_ECDSA, ec, digest, sig); });
  Module soft;
  soft.open(softhsm);
  CK_OBJECT_HANDLE sec = soft.ec_key();
  double ec_soft = rate([&] { soft.sign(soft.session, CKM_ECDSA, sec, digest, sig); });

  // 3. ML-DSA-65 with 1 and 2 threads, one session each.
  auto threaded = [&](int threads) {
    std::atomic<long> total{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&] {
        CK_SESSION_HANDLE s = token.new_session();
        std::vector<std::uint8_t> out(5000);
        long n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          token.sign(s, CKM_ML_DSA, mldsa_key, msg, out);
          ++n;
        }
        total += n;
        token.f->C_CloseSession(s);
      });
    auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(g_seconds));
    stop = true;
    for (auto& t : ts) t.join();
    return total / std::chrono::duration<double>(Clock::now() - start).count();
  };
  double t1 = threaded(1), t2 = threaded(2);

  token.f->C_Finalize(nullptr);
  soft.f->C_Finalize(nullptr);
  std::filesystem::remove_all(pq);
  std::filesystem::remove_all(sh);

  if (json) {
    std::printf(
        "{\"mldsa65_raw_ops\": %.1f, \"mldsa65_token_ops\": %.1f, \"mldsa65_ratio\": %.3f,\n"
        " \"ecdsa_p256_pqhsm_ops\": %.1f, \"ecdsa_p256_softhsm_ops\": %.1f, \"ecdsa_ratio\": %.3f,\n"
        " \"mldsa65_1thread_ops\": %.1f, \"mldsa65_2threads_ops\": %.1f, \"thread_scaling\": %.3f,\n"
        " \"cpus\": %u}\n",
        raw, via_token, via_token / raw, ec_pq, ec_soft, ec_pq / ec_soft, t1, t2, t2 / t1,
        std::thread::hardware_concurrency());
  } else {
    std::printf("ML-DSA-65 sign      raw library %9.1f ops/s   libpqhsm C_Sign %9.1f ops/s   ratio %.3f (goal >= 0.9)\n",
                raw, via_token, via_token / raw);
    std::printf("ECDSA-P256 sign     libpqhsm    %9.1f ops/s   SoftHSM2 C_Sign %9.1f ops/s   ratio %.3f (goal >= 1.0)\n",
                ec_pq, ec_soft, ec_pq / ec_soft);
    std::printf("ML-DSA-65 threads   1 thread    %9.1f ops/s   2 threads       %9.1f ops/s   scaling %.2fx (%u CPUs)\n",
                t1, t2, t2 / t1, std::thread::hardware_concurrency());
  }
  return 0;
}
