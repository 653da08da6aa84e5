// Interop driver: exposes pqmcp's ML-KEM and ML-DSA to an outside test harness (the node
// scripts next to this file, which compare against @noble/post-quantum).
//
// Protocol: one JSON object per line on stdin, one JSON object per line on stdout, in order.
// Byte strings are lower-case hex. Every response echoes the request's "id". A failed
// operation answers {"id":..,"error":"<status_name>"}; a malformed request answers
// {"id":..,"error":"bad-request","detail":"..."} and the driver keeps going, so one bad line
// never hides the results of the others. The driver is test code: it holds secrets in plain
// JSON strings, which is fine for random test keys and nothing else.
//
// Operations (field "op"; "ps" names the parameter set, e.g. "ML-KEM-768", "ML-DSA-65"):
//   hello                                       -> {"driver":"pqmcp-interop","version":1}
//   mlkem.keygen        seed(64)                -> ek, dk
//   mlkem.encaps        ek, m(32)               -> ct, ss        (encaps_derand)
//   mlkem.decaps        dk, ct                  -> ss
//   mlkem.check_ek      ek                      -> {}            (FIPS 203 §7.2)
//   mlkem.check_dk      dk                      -> {}            (FIPS 203 §7.3)
//   mldsa.keygen        seed(32)                -> pk, sk
//   mldsa.sign          sk, msg, ctx, det(bool) -> sig           (pure ML-DSA.Sign)
//   mldsa.sign_internal sk, mprime, rnd(32)     -> sig
//   mldsa.sign_mu       sk, mu(64), det(bool)   -> sig
//   mldsa.compute_mu    pk, msg, ctx            -> mu
//   mldsa.verify        pk, msg, ctx, sig       -> {}            (error "verify-failed" etc.)
//   mldsa.verify_internal pk, mprime, sig       -> {}
//   mldsa.verify_mu     pk, mu(64), sig         -> {}
//   mldsa.public_from_private sk                -> pk
//   composite.public_from_private alg, sk       -> pk   (alg e.g. "id-MLDSA65-Ed25519-SHA512")
//   composite.sign      alg, sk, msg, ctx, det  -> sig
//   composite.verify    alg, pk, msg, ctx, sig  -> {}
#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <iostream>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/composite.h"
#include "crypto/mldsa.h"
#include "crypto/mlkem.h"
#include "crypto/secure.h"
#include "crypto/status.h"

namespace {

namespace crypto = pqmcp::crypto;
namespace mlkem = pqmcp::crypto::mlkem;
namespace mldsa = pqmcp::crypto::mldsa;
namespace composite = pqmcp::crypto::composite;
using Json = nlohmann::json;
using Bytes = std::vector<std::uint8_t>;

// A request the driver cannot interpret (as opposed to an operation that fails).
struct BadRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Bytes from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) throw BadRequest("odd-length hex");
  Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit(hex[2 * i]);
    const int lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) throw BadRequest("bad hex digit");
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    s[2 * i] = kDigits[bytes[i] >> 4];
    s[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return s;
}

Bytes field_bytes(const Json& req, const char* name) {
  const auto it = req.find(name);
  if (it == req.end() || !it->is_string()) throw BadRequest(std::string("missing hex field ") + name);
  return from_hex(it->get_ref<const std::string&>());
}

// A fixed-size field; a wrong size is the harness's mistake, not an input the API would see.
template <std::size_t N>
std::array<std::uint8_t, N> field_array(const Json& req, const char* name) {
  const Bytes b = field_bytes(req, name);
  if (b.size() != N) throw BadRequest(std::string("field ") + name + " must be " + std::to_string(N) + " bytes");
  std::array<std::uint8_t, N> a{};
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

bool field_bool(const Json& req, const char* name) {
  const auto it = req.find(name);
  if (it == req.end() || !it->is_boolean()) throw BadRequest(std::string("missing bool field ") + name);
  return it->get<bool>();
}

mlkem::ParamSet kem_params(const Json& req) {
  const std::string ps = req.value("ps", "");
  for (auto p : {mlkem::ParamSet::kMlKem512, mlkem::ParamSet::kMlKem768, mlkem::ParamSet::kMlKem1024}) {
    if (ps == mlkem::name(p)) return p;
  }
  throw BadRequest("unknown ML-KEM parameter set '" + ps + "'");
}

mldsa::ParamSet dsa_params(const Json& req) {
  const std::string ps = req.value("ps", "");
  for (auto p : {mldsa::ParamSet::kMlDsa44, mldsa::ParamSet::kMlDsa65, mldsa::ParamSet::kMlDsa87}) {
    if (ps == mldsa::name(p)) return p;
  }
  throw BadRequest("unknown ML-DSA parameter set '" + ps + "'");
}

mldsa::Randomness randomness(const Json& req) {
  return field_bool(req, "det") ? mldsa::Randomness::kDeterministic : mldsa::Randomness::kHedged;
}

composite::Algorithm composite_alg(const Json& req) {
  const std::string name = req.value("alg", "");
  for (auto a : {composite::Algorithm::kMlDsa44Ed25519, composite::Algorithm::kMlDsa65Ed25519,
                 composite::Algorithm::kMlDsa87Ed448}) {
    if (name == composite::info(a).name) return a;
  }
  throw BadRequest("unknown composite algorithm '" + name + "'");
}

// Fills `resp` with the status as "error" unless it is kOk. Returns true on kOk.
bool ok(crypto::Status s, Json& resp) {
  if (crypto::is_ok(s)) return true;
  resp["error"] = crypto::status_name(s);
  return false;
}

void handle(const std::string& op, const Json& req, Json& resp) {
  if (op == "hello") {
    resp["driver"] = "pqmcp-interop";
    resp["version"] = 1;
    resp["mlkem"] = true;
    resp["mldsa"] = true;
    resp["composite"] = true;
    return;
  }

  // ---- ML-KEM (FIPS 203) ----
  if (op == "mlkem.keygen") {
    const auto p = kem_params(req);
    const auto seed = field_array<mlkem::kSeedBytes>(req, "seed");
    std::vector<std::uint8_t> ek;
    crypto::SecureBuffer dk;
    if (ok(mlkem::keygen_from_seed(p, seed, ek, dk), resp)) {
      resp["ek"] = to_hex(ek);
      resp["dk"] = to_hex(dk.span());
    }
    return;
  }
  if (op == "mlkem.encaps") {
    const auto p = kem_params(req);
    const Bytes ek = field_bytes(req, "ek");
    const auto m = field_array<mlkem::kMessageBytes>(req, "m");
    std::vector<std::uint8_t> ct;
    mlkem::SharedSecret ss;
    if (ok(mlkem::encaps_derand(p, ek, m, ct, ss), resp)) {
      resp["ct"] = to_hex(ct);
      resp["ss"] = to_hex(ss.span());
    }
    return;
  }
  if (op == "mlkem.decaps") {
    const auto p = kem_params(req);
    const Bytes dk = field_bytes(req, "dk");
    const Bytes ct = field_bytes(req, "ct");
    mlkem::SharedSecret ss;
    if (ok(mlkem::decaps(p, dk, ct, ss), resp)) resp["ss"] = to_hex(ss.span());
    return;
  }
  if (op == "mlkem.check_ek") {
    const auto p = kem_params(req);
    (void)ok(mlkem::check_encaps_key(p, field_bytes(req, "ek")), resp);
    return;
  }
  if (op == "mlkem.check_dk") {
    const auto p = kem_params(req);
    (void)ok(mlkem::check_decaps_key(p, field_bytes(req, "dk")), resp);
    return;
  }

  // ---- ML-DSA (FIPS 204) ----
  if (op == "mldsa.keygen") {
    const auto p = dsa_params(req);
    const auto seed = field_array<mldsa::kSeedBytes>(req, "seed");
    std::vector<std::uint8_t> pk;
    crypto::SecureBuffer sk;
    if (ok(mldsa::keygen_from_seed(p, seed, pk, sk), resp)) {
      resp["pk"] = to_hex(pk);
      resp["sk"] = to_hex(sk.span());
    }
    return;
  }
  if (op == "mldsa.sign") {
    const auto p = dsa_params(req);
    const Bytes sk = field_bytes(req, "sk");
    const Bytes msg = field_bytes(req, "msg");
    const Bytes ctx = field_bytes(req, "ctx");
    std::vector<std::uint8_t> sig;
    if (ok(mldsa::sign(p, sk, msg, ctx, sig, randomness(req)), resp)) resp["sig"] = to_hex(sig);
    return;
  }
  if (op == "mldsa.sign_internal") {
    const auto p = dsa_params(req);
    const Bytes sk = field_bytes(req, "sk");
    const Bytes mprime = field_bytes(req, "mprime");
    const auto rnd = field_array<mldsa::kRndBytes>(req, "rnd");
    std::vector<std::uint8_t> sig;
    if (ok(mldsa::sign_internal(p, sk, mprime, rnd, sig), resp)) resp["sig"] = to_hex(sig);
    return;
  }
  if (op == "mldsa.sign_mu") {
    const auto p = dsa_params(req);
    const Bytes sk = field_bytes(req, "sk");
    const auto mu = field_array<mldsa::kMuBytes>(req, "mu");
    std::vector<std::uint8_t> sig;
    if (ok(mldsa::sign_mu(p, sk, mu, sig, randomness(req)), resp)) resp["sig"] = to_hex(sig);
    return;
  }
  if (op == "mldsa.compute_mu") {
    const auto p = dsa_params(req);
    const Bytes pk = field_bytes(req, "pk");
    const Bytes msg = field_bytes(req, "msg");
    const Bytes ctx = field_bytes(req, "ctx");
    std::array<std::uint8_t, mldsa::kMuBytes> mu{};
    if (ok(mldsa::compute_mu(p, pk, msg, ctx, mu), resp)) resp["mu"] = to_hex(mu);
    return;
  }
  if (op == "mldsa.verify") {
    const auto p = dsa_params(req);
    (void)ok(mldsa::verify(p, field_bytes(req, "pk"), field_bytes(req, "msg"), field_bytes(req, "ctx"),
                           field_bytes(req, "sig")),
             resp);
    return;
  }
  if (op == "mldsa.verify_internal") {
    const auto p = dsa_params(req);
    (void)ok(mldsa::verify_internal(p, field_bytes(req, "pk"), field_bytes(req, "mprime"),
                                    field_bytes(req, "sig")),
             resp);
    return;
  }
  if (op == "mldsa.verify_mu") {
    const auto p = dsa_params(req);
    const auto mu = field_array<mldsa::kMuBytes>(req, "mu");
    (void)ok(mldsa::verify_mu(p, field_bytes(req, "pk"), mu, field_bytes(req, "sig")), resp);
    return;
  }
  if (op == "mldsa.public_from_private") {
    const auto p = dsa_params(req);
    std::vector<std::uint8_t> pk;
    if (ok(mldsa::public_from_private(p, field_bytes(req, "sk"), pk), resp)) resp["pk"] = to_hex(pk);
    return;
  }

  // ---- composite ML-DSA + EdDSA (draft-ietf-lamps-pq-composite-sigs) ----
  if (op == "composite.public_from_private") {
    std::vector<std::uint8_t> pk;
    if (ok(composite::public_from_private(composite_alg(req), field_bytes(req, "sk"), pk), resp))
      resp["pk"] = to_hex(pk);
    return;
  }
  if (op == "composite.sign") {
    std::vector<std::uint8_t> sig;
    if (ok(composite::sign(composite_alg(req), field_bytes(req, "sk"), field_bytes(req, "msg"),
                           field_bytes(req, "ctx"), sig, randomness(req)),
           resp))
      resp["sig"] = to_hex(sig);
    return;
  }
  if (op == "composite.verify") {
    (void)ok(composite::verify(composite_alg(req), field_bytes(req, "pk"), field_bytes(req, "msg"),
                               field_bytes(req, "ctx"), field_bytes(req, "sig")),
             resp);
    return;
  }
  throw BadRequest("unknown op '" + op + "'");
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    Json resp = Json::object();
    try {
      const Json req = Json::parse(line);
      if (!req.is_object()) throw BadRequest("request is not a JSON object");
      if (req.contains("id")) resp["id"] = req["id"];
      const std::string op = req.value("op", "");
      handle(op, req, resp);
    } catch (const BadRequest& e) {
      resp["error"] = "bad-request";
      resp["detail"] = e.what();
    } catch (const Json::exception& e) {
      resp["error"] = "bad-request";
      resp["detail"] = e.what();
    } catch (const std::exception& e) {
      // Only allocation failure can get here; report it instead of dying mid-run.
      resp["error"] = "driver-exception";
      resp["detail"] = e.what();
    }
    std::cout << resp.dump() << '\n' << std::flush;
  }
  return 0;
}
