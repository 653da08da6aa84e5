// Stack use: libpqhsm runs ML-DSA in its callers' threads, some of which have small stacks
// (64-128 KB is common). Every operation keeps its working set (Â, the decoded key, the signing
// loop's vectors: ~120 KB) in one heap allocation, so each must run in a thread with a 64 KB
// stack. Before that change signing used ~125 KB of stack and this test died with SIGSEGV on
// the thread's guard page.
#include <gtest/gtest.h>
#include <pthread.h>

#include <cstring>

#include "mldsa_test_util.h"

namespace pqmcp::crypto::mldsa {
namespace {

using namespace testutil;

constexpr std::size_t kSmallStack = 64 * 1024;

struct Job {
  ParamSet ps = ParamSet::kMlDsa44;
  int failures = 0;
  std::string first_failure;
};

void expect(Job& j, bool ok, const char* what) {
  if (!ok && j.failures++ == 0) j.first_failure = what;
}

void* run_all(void* arg) {
  Job& j = *static_cast<Job*>(arg);
  const ParamSet ps = j.ps;
  std::uint8_t xi[32];
  std::memset(xi, 0x5C, sizeof xi);
  std::vector<std::uint8_t> pk, pk2, sig;
  SecureBuffer sk, sk2;
  expect(j, keygen_from_seed(ps, xi, pk, sk) == Status::kOk, "keygen_from_seed");
  expect(j, keygen(ps, pk2, sk2) == Status::kOk, "keygen");
  const std::uint8_t msg[] = {'s', 't', 'a', 'c', 'k'};
  const std::uint8_t ctx[] = {7};
  for (Randomness r : {Randomness::kDeterministic, Randomness::kHedged}) {
    expect(j, sign(ps, sk, msg, ctx, sig, r) == Status::kOk, "sign");
    expect(j, verify(ps, pk, msg, ctx, sig) == Status::kOk, "verify");
  }
  expect(j, sign_prehash(ps, sk, msg, ctx, PreHash::kSha512, sig) == Status::kOk, "sign_prehash");
  expect(j, verify_prehash(ps, pk, msg, ctx, PreHash::kSha512, sig) == Status::kOk, "verify_prehash");
  std::uint8_t mu[kMuBytes];
  expect(j, compute_mu(ps, pk, msg, ctx, mu) == Status::kOk, "compute_mu");
  expect(j, sign_mu(ps, sk, mu, sig) == Status::kOk, "sign_mu");
  expect(j, verify_mu(ps, pk, mu, sig) == Status::kOk, "verify_mu");
  sig[sig.size() / 2] ^= 1;
  expect(j, verify_mu(ps, pk, mu, sig) == Status::kVerifyFailed, "verify_mu (tampered)");
  expect(j, public_from_private(ps, sk, pk2) == Status::kOk && pk2 == pk, "public_from_private");
  return nullptr;
}

TEST(MlDsaStack, EveryOperationRunsOnA64KiBStack) {
  for (ParamSet ps : kAllSets) {
    Job job;
    job.ps = ps;
    pthread_attr_t attr;
    ASSERT_EQ(pthread_attr_init(&attr), 0);
    ASSERT_EQ(pthread_attr_setstacksize(&attr, kSmallStack), 0);
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, &attr, run_all, &job), 0);
    ASSERT_EQ(pthread_join(t, nullptr), 0);
    pthread_attr_destroy(&attr);
    EXPECT_EQ(job.failures, 0) << name(ps) << ": first failure in " << job.first_failure;
  }
}

}  // namespace
}  // namespace pqmcp::crypto::mldsa
