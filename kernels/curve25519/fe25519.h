/* GF(2^255 - 19) in 8 little-endian 32-bit limbs (fe25519.c).  Values are
 * partly reduced: any 256-bit number stands for its residue mod p, and every
 * operation accepts and returns such values.  fe25519_canon gives the
 * representative below p, which the little-endian encoding of RFC 8032 is. */
#ifndef FE25519_H
#define FE25519_H

#include <stdint.h>

#include "../bignum/bn.h"

extern const uint32_t fe25519_p[8];

void fe25519_mul(uint32_t r[8], const uint32_t a[8], const uint32_t b[8]);
void fe25519_sqr(uint32_t r[8], const uint32_t a[8]);
void fe25519_add(uint32_t r[8], const uint32_t a[8], const uint32_t b[8]);
void fe25519_sub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8]);
void fe25519_dbl(uint32_t r[8], const uint32_t a[8]);   /* 2a */
void fe25519_neg(uint32_t r[8], const uint32_t a[8]);   /* -a */
/* r mod p, in place. */
void fe25519_canon(uint32_t r[8]);
/* 1 when a = b (mod p). */
int fe25519_eq(const uint32_t a[8], const uint32_t b[8]);
/* The 32 bytes as a little-endian integer (all 256 bits, not reduced). */
void fe25519_from_le(uint32_t r[8], const uint8_t b[32]);
void fe25519_to_le(uint8_t b[32], const uint32_t a[8]);
/* r = a^((p - 5) / 8), the exponent of the square root of RFC 8032 5.1.3. */
void fe25519_pow22523(uint32_t r[8], const uint32_t a[8]);

#endif
