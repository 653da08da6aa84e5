// base64url (RFC 4648 §5, no padding) encoding and decoding of whole blocks with AVX2: a signed
// message carries its ~3.3 KB signature as ~4.4 KB of base64url, encoded once per message on the
// relay's path. Each 256-bit step turns 24 bytes into 32 characters: a byte shuffle puts each
// 3-byte group big-endian into a 32-bit word, two 16-bit multiplications move the four 6-bit
// fields into the four bytes (W. Muła and D. Lemire, "Faster Base64 Encoding and Decoding Using
// AVX2 Instructions", ACM TOW 2018, §3), and a 16-entry table adds each field's ASCII offset,
// chosen by its range (A-Z, a-z, 0-9, '-', '_'). Decoding is the reverse: range compares find
// each character's class (anything else fails the block) and its offset, and two multiply-adds
// gather four 6-bit values into 24 bits (the same paper, §4). Compiled without -mavx2: the
// functions carry target("avx2") and are called only where the CPU has AVX2 (message.cc).
#include "mcp/b64url_avx2.h"

#include <cstdint>

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

namespace {
// All ones in the bytes of c within [lo, hi] (lo, hi < 0x80; bytes >= 0x80 are negative as signed
// bytes and fall outside every range).
__attribute__((target("avx2"))) inline __m256i in_range(__m256i c, char lo, char hi) {
  return _mm256_and_si256(_mm256_cmpgt_epi8(c, _mm256_set1_epi8(static_cast<char>(lo - 1))),
                          _mm256_cmpgt_epi8(_mm256_set1_epi8(static_cast<char>(hi + 1)), c));
}
}  // namespace

__attribute__((target("avx2"))) std::size_t b64url_decode_avx2(const char* in, std::size_t n, std::uint8_t* out) noexcept {
  // Within each 128-bit lane, bytes 2, 1, 0 of each 32-bit word (its 24 bits, high byte first).
  const __m256i pack = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,  //
                                        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  std::size_t i = 0, o = 0;
  for (; i + 32 <= n; i += 32, o += 24) {
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    const __m256i upper = in_range(c, 'A', 'Z'), lower = in_range(c, 'a', 'z'), digit = in_range(c, '0', '9');
    const __m256i minus = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('-'));
    const __m256i under = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('_'));
    const __m256i valid = _mm256_or_si256(_mm256_or_si256(upper, lower), _mm256_or_si256(digit, _mm256_or_si256(minus, under)));
    if (_mm256_movemask_epi8(valid) != -1) return SIZE_MAX;
    // value = c + offset: 'A' → 0, 'a' → 26, '0' → 52, '-' → 62, '_' → 63.
    __m256i off = _mm256_and_si256(upper, _mm256_set1_epi8(-65));
    off = _mm256_or_si256(off, _mm256_and_si256(lower, _mm256_set1_epi8(-71)));
    off = _mm256_or_si256(off, _mm256_and_si256(digit, _mm256_set1_epi8(4)));
    off = _mm256_or_si256(off, _mm256_and_si256(minus, _mm256_set1_epi8(17)));
    off = _mm256_or_si256(off, _mm256_and_si256(under, _mm256_set1_epi8(-32)));
    const __m256i v = _mm256_add_epi8(c, off);
    const __m256i pairs = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));   // v0·64 + v1
    const __m256i words = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00011000));  // (v0v1)·4096 + v2v3
    const __m256i bytes = _mm256_shuffle_epi8(words, pack);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + o), _mm256_castsi256_si128(bytes));  // 16 bytes, 12 used
    std::uint8_t hi[16];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(hi), _mm256_extracti128_si256(bytes, 1));
    for (int k = 0; k < 12; ++k) out[o + 12 + k] = hi[k];
  }
  return i;
}

}  // namespace pqmcp::mcp::detail
#endif
