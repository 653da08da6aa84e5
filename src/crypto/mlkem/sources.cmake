# ML-KEM (FIPS 203). arith_portable.cc is the portable backend of the arithmetic interface in
# arith.h; a SIMD backend would be added here beside it.
list(APPEND PQMCP_CRYPTO_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/arith_portable.cc
  ${CMAKE_CURRENT_LIST_DIR}/kpke.cc
  ${CMAKE_CURRENT_LIST_DIR}/mlkem.cc
)
