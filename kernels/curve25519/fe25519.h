/* GF(2^255 - 19) on top of kernels/bignum/fe.h: fe25519.c supplies fe_p and
 * fe_reduce, fe_common.c the sums.  Elements are fully reduced (0 <= x < p),
 * 8 little-endian 32-bit limbs, so the little-endian encoding of RFC 8032 is
 * the limbs themselves. */
#ifndef FE25519_H
#define FE25519_H

#include <stdint.h>

#include "../bignum/fe.h"

/* r mod p for any r < 2^256, in place. */
void fe25519_canon(uint32_t r[8]);
/* The 32 bytes as a little-endian integer (all 256 bits, not reduced). */
void fe25519_from_le(uint32_t r[8], const uint8_t b[32]);
void fe25519_to_le(uint8_t b[32], const uint32_t a[8]);
/* r = a^((p - 5) / 8), the exponent of the square root of RFC 8032 5.1.3. */
void fe25519_pow22523(uint32_t r[8], const uint32_t a[8]);

#endif
