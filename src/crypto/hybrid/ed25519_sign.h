// Ed25519 signing (internal to crypto/eddsa): RFC 8032 §5.1.6, byte for byte what libsodium's
// crypto_sign_ed25519_detached produces for the same key and message (the scheme is
// deterministic), with the fixed-base multiplication R = [r]B on the comb for B that
// verification shares (ed25519_fixed.cc) and, where the CPU has AVX-512 IFMA, four field
// multiplications at a time.
//
// Constant time in the private key and the nonce: every comb entry of a row is read for every
// digit and the wanted one kept by masks, negation is a masked select, and the field, point and
// scalar arithmetic (libsodium's SHA-512 and scalar mod L) is branch-free. The portable path is
// checked under valgrind with the key marked secret (tests/ct/ed25519_ct.cc); the IFMA path runs
// the same digit walk with straight-line vector selects (valgrind cannot execute AVX-512).
#pragma once

#include <cstdint>
#include <span>

#include "crypto/status.h"

namespace pqmcp::crypto::eddsa::ed25519_sign {

// Builds the shared comb for B (~0.4 ms, once per process; throws std::bad_alloc). sign() uses it
// and would otherwise build it on its first call, where an allocation failure cannot be reported.
void prepare_tables();

// `expanded` is libsodium's secret key form: the 32-byte private key (RFC 8032's seed) ‖ A.
// kInternal only if libsodium cannot initialise.
Status sign(std::span<const std::uint8_t, 64> expanded, std::span<const std::uint8_t> msg,
            std::span<std::uint8_t, 64> sig) noexcept;

}  // namespace pqmcp::crypto::eddsa::ed25519_sign
