// The AVX2 part of base64url encoding (internal to mcp/message.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pqmcp::mcp::detail {

// Encodes whole 24-byte blocks of in[0..n) into out (32 characters each) while at least 28 bytes
// remain from the block's start (the loads read 4 bytes past it); returns the bytes consumed, a
// multiple of 24. The caller encodes the rest. x86-64 with AVX2 only.
std::size_t b64url_encode_avx2(const std::uint8_t* in, std::size_t n, char* out) noexcept;

// Decodes whole 32-character blocks of in[0..n) into out (24 bytes each); returns the characters
// consumed, a multiple of 32, or SIZE_MAX when a block holds a character outside the base64url
// alphabet. The caller decodes the rest (and checks the final group's unused bits).
std::size_t b64url_decode_avx2(const char* in, std::size_t n, std::uint8_t* out) noexcept;

}  // namespace pqmcp::mcp::detail
