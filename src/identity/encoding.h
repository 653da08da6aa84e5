// Byte encodings used by identity files: base64url without padding (RFC 4648 §5, as JOSE uses
// it), standard base64 (PEM bodies), hex (CKA_ID in the registry) and RFC 3339 UTC times.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pqmcp::identity {

using Bytes = std::vector<std::uint8_t>;

std::string base64url(std::span<const std::uint8_t> b);
std::optional<Bytes> from_base64url(std::string_view s);
std::string base64(std::span<const std::uint8_t> b);
std::optional<Bytes> from_base64(std::string_view s);  // ignores whitespace
std::string hex(std::span<const std::uint8_t> b);
std::optional<Bytes> from_hex(std::string_view s);

// Seconds since the Unix epoch <-> "2026-01-31T12:00:00Z". 0 means "none" in the registry.
std::string rfc3339(std::int64_t t);
std::optional<std::int64_t> parse_rfc3339(std::string_view s);
// "7d", "12h", "30m", "90s" → seconds.
std::optional<std::int64_t> parse_duration(std::string_view s);

// The current time; PQMCP_NOW (RFC 3339 or Unix seconds) overrides it. Test-only: it lets the
// rotation tests move past a not-after date without sleeping.
std::int64_t now();

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace pqmcp::identity
