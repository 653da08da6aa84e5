#include "support/vectors.h"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <openssl/evp.h>

namespace pqmcp::test {

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Bytes from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd-length hex");
  Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) throw std::invalid_argument("bad hex digit");
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    s.push_back(d[b >> 4]);
    s.push_back(d[b & 15]);
  }
  return s;
}

Bytes from_base64(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  Bytes out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    int v = val(c);
    if (v < 0) throw std::invalid_argument("bad base64");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  return out;
}

bool ci_mode() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

std::optional<std::filesystem::path> vectors_dir() {
  if (const char* env = std::getenv("PQMCP_VECTORS_DIR")) {
    if (std::filesystem::is_directory(env)) return std::filesystem::path(env);
  }
  std::filesystem::path p(PQMCP_VECTORS_DIR);
  if (std::filesystem::is_directory(p)) return p;
  return std::nullopt;
}

std::string read_file(const std::filesystem::path& p) {
  if (p.extension() == ".gz") {
    gzFile f = gzopen(p.c_str(), "rb");
    if (f == nullptr) throw std::runtime_error("cannot open " + p.string());
    std::string out;
    char buf[65536];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    gzclose(f);
    if (n < 0) throw std::runtime_error("gzip error in " + p.string());
    return out;
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Json load_json(const std::filesystem::path& p) { return Json::parse(read_file(p)); }

// ACVP files are either one object or the live server's [{"acvVersion"}, {...}] pair.
static const Json& acvp_body(const Json& j) { return j.is_array() ? j.back() : j; }

std::size_t for_each_acvp_case(const std::filesystem::path& folder,
                               const std::function<void(const Json&, const Json&)>& fn) {
  const Json prompt = load_json(folder / "prompt.json");
  const Json expected = load_json(folder / "expectedResults.json");
  std::map<std::pair<int, int>, const Json*> answers;
  for (const auto& g : acvp_body(expected).at("testGroups"))
    for (const auto& t : g.at("tests")) answers[{g.at("tgId").get<int>(), t.at("tcId").get<int>()}] = &t;
  std::size_t n = 0;
  for (const auto& g : acvp_body(prompt).at("testGroups")) {
    for (const auto& t : g.at("tests")) {
      Json merged = t;
      auto it = answers.find({g.at("tgId").get<int>(), t.at("tcId").get<int>()});
      if (it == answers.end()) throw std::runtime_error("ACVP case without expected result");
      for (auto& [k, v] : it->second->items()) merged[k] = v;
      fn(g, merged);
      ++n;
    }
  }
  return n;
}

std::size_t for_each_wycheproof_test(const std::filesystem::path& file,
                                     const std::function<void(const Json&, const Json&)>& fn) {
  const Json j = load_json(file);
  std::size_t n = 0;
  for (const auto& g : j.at("testGroups")) {
    for (const auto& t : g.at("tests")) {
      fn(g, t);
      ++n;
    }
  }
  return n;
}

Bytes test_bytes(std::string_view label, std::size_t n) {
  // OpenSSL's SHAKE128, so that test data does not depend on the code under test.
  Bytes out(n);
  if (n == 0) return out;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_shake128(), nullptr);
  EVP_DigestUpdate(ctx, label.data(), label.size());
  EVP_DigestFinalXOF(ctx, out.data(), out.size());
  EVP_MD_CTX_free(ctx);
  return out;
}

}  // namespace pqmcp::test
