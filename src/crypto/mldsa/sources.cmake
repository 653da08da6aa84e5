# ML-DSA (FIPS 204). arith_portable.cc, sample.cc and pack.cc form the arithmetic backend
# behind arith.h; sign_pipe.cc runs the signing loop's hashes on the four-way Keccak;
# mldsa_core.cc and mldsa.cc hold the algorithms and the public API.
list(APPEND PQMCP_CRYPTO_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/arith_portable.cc
  ${CMAKE_CURRENT_LIST_DIR}/sample.cc
  ${CMAKE_CURRENT_LIST_DIR}/sign_pipe.cc
  ${CMAKE_CURRENT_LIST_DIR}/pack.cc
  ${CMAKE_CURRENT_LIST_DIR}/mldsa_core.cc
  ${CMAKE_CURRENT_LIST_DIR}/mldsa.cc
)
# AVX2 versions of the hot arithmetic and of the two per-iteration packers, chosen at run time
# by arith_portable.cc and pack.cc (compiled with per-function target attributes, not -mavx2).
list(APPEND PQMCP_CRYPTO_SOURCES ${CMAKE_CURRENT_LIST_DIR}/arith_avx2.cc
  ${CMAKE_CURRENT_LIST_DIR}/arith_avx2_pack.cc)
