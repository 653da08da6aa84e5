// The published test vectors of docs/protocol.md §10, computed from stated inputs. The test
// compares this with docs/protocol-vectors.json; vectors_tool regenerates that file.
#pragma once

#include "crypto/sha3.h"
#include "mcp/common.h"

namespace pqmcp::mcp::testing {

inline std::string hex(std::span<const std::uint8_t> b) {
  static constexpr char k[] = "0123456789abcdef";
  std::string s;
  for (auto x : b) {
    s += k[x >> 4];
    s += k[x & 15];
  }
  return s;
}

inline Value vector_messages() {
  return Value::array({
      json::parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_weather","arguments":{"city":"Zürich","days":1.5e0}}})").value(),
      json::parse(R"({"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"21.5 °C, clear"}],"isError":false}})").value(),
      json::parse(R"({"jsonrpc":"2.0","id":8,"error":{"code":-32602,"message":"Resource not found","data":"file:///nonexistent"}})").value(),
      json::parse(R"({"jsonrpc":"2.0","id":"r-9","method":"tools/call","params":{"name":"echo","arguments":{"message":"😀 \u2028"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})").value(),
      json::parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})").value(),
  });
}

inline Value make_vectors() {
  Value out = Value::object();
  out["description"] =
      "pqmcp signed-message test vectors (docs/protocol.md section 10). Private keys are the "
      "bytes 00 01 02 ... of the algorithm's private-key length; ML-DSA signing is "
      "deterministic (rnd = 32 zero bytes). Responses answer the request of vector 0.";
  out["vectors"] = Value::array();
  const Value msgs = vector_messages();
  for (Algorithm a : {Algorithm::kMlDsa65, Algorithm::kMlDsa65Ed25519, Algorithm::kEd25519}) {
    const std::string kid = "vector-" + std::string(algorithm_id(a));
    auto signer = make_signer(a, kid, 0, /*deterministic=*/true);
    std::optional<std::array<std::uint8_t, 32>> req0;
    for (std::size_t i = 0; i < msgs.size(); ++i) {
      Value m = msgs[i];
      const Kind kind = classify(m)->kind;
      const bool response = kind == Kind::kResult || kind == Kind::kError;
      EnvelopeFields f;
      f.aud = "server:example";
      f.sid = "vector-session";
      f.seq = i;
      f.iat_ms = kNow;
      for (std::size_t j = 0; j < f.nonce.size(); ++j) f.nonce[j] = static_cast<std::uint8_t>(16 * i + j);
      if (response) f.req = req0;
      if (!sign_message(m, *signer, f).ok()) return Value();
      if (i == 0) req0 = request_digest(m).value();
      Value hdr = *(kind == Kind::kError ? &m["error"]["data"] : &m[kind == Kind::kResult ? "result" : "params"]["_meta"]);
      hdr = hdr["io.pqmcp/sig"];
      hdr.erase("sig");
      auto input = signing_input(hdr, signed_view(m, kind)).value();
      std::array<std::uint8_t, 32> input_hash{};
      crypto::sha3_256(input, input_hash);
      out["vectors"].push_back({
          {"algorithm", algorithm_id(a)},
          {"private_key_hex", hex(testing::fixed_key(a, 0))},
          {"public_key_hex", hex(signer->public_key())},
          {"unsigned", msgs[i]},
          {"header_jcs", json::canonicalize(hdr).value()},
          {"signed_view_jcs", json::canonicalize(signed_view(m, kind)).value()},
          {"signing_input_sha3_256", hex(input_hash)},
          {"signed", m},
      });
    }
  }
  return out;
}

}  // namespace pqmcp::mcp::testing
