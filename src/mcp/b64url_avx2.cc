// base64url (RFC 4648 §5, no padding) encoding of whole 24-byte blocks with AVX2: a signed
// message carries its ~3.3 KB signature as ~4.4 KB of base64url, encoded once per message on the
// relay's path. Each 256-bit step turns 24 bytes into 32 characters: a byte shuffle puts each
// 3-byte group big-endian into a 32-bit word, two 16-bit multiplications move the four 6-bit
// fields into the four bytes (W. Muła and D. Lemire, "Faster Base64 Encoding and Decoding Using
// AVX2 Instructions", ACM TOW 2018, §3), and a 16-entry table adds each field's ASCII offset,
// chosen by its range (A-Z, a-z, 0-9, '-', '_'). Compiled without -mavx2: the function carries
// target("avx2") and is called only where the CPU has AVX2 (message.cc).
#include "mcp/b64url_avx2.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace pqmcp::mcp::detail {

__attribute__((target("avx2"))) std::size_t b64url_encode_avx2(const std::uint8_t* in, std::size_t n, char* out) noexcept {
  // Within each 128-bit lane, 3-byte group g (bytes 3g..3g+2 = a, b, c) becomes the 32-bit word
  // with bytes b, a, c, b: a big-endian view that the multiplications below can split.
  const __m256i shuffle = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,  //
                                           1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
  // ASCII minus the 6-bit value, by range: 0-25 'A', 26-51 'a' - 26, 52-61 '0' - 52, 62 '-', 63 '_'.
  const __m256i offsets = _mm256_setr_epi8(65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -17, 32, 0, 0,  //
                                           65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -17, 32, 0, 0);
  std::size_t i = 0, o = 0;
  // Each lane loads 16 bytes and uses 12: the upper lane's load ends 28 bytes after i.
  for (; i + 28 <= n; i += 24, o += 32) {
    const __m256i raw = _mm256_setr_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)),
                                          _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i + 12)));
    const __m256i v = _mm256_shuffle_epi8(raw, shuffle);
    const __m256i t0 = _mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00));
    const __m256i t1 = _mm256_mulhi_epu16(t0, _mm256_set1_epi32(0x04000040));
    const __m256i t2 = _mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0));
    const __m256i t3 = _mm256_mullo_epi16(t2, _mm256_set1_epi32(0x01000010));
    const __m256i idx = _mm256_or_si256(t1, t3);  // one 6-bit value per byte, in output order
    __m256i range = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));  // 52-63 → 1-12, else 0
    range = _mm256_sub_epi8(range, _mm256_cmpgt_epi8(idx, _mm256_set1_epi8(25)));  // +1 above 25
    const __m256i chars = _mm256_add_epi8(idx, _mm256_shuffle_epi8(offsets, range));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + o), chars);
  }
  return i;
}

}  // namespace pqmcp::mcp::detail
#endif
