/* 256-bit unsigned integers as 8 little-endian 32-bit limbs (limb 0 least
 * significant), with the few operations signature verification needs.
 * Verification handles public data only, so nothing here is constant time. */
#ifndef BN_H
#define BN_H

#include <stdint.h>

#define BN_LIMBS 8

void bn_from_be(uint32_t r[8], const uint8_t b[32]);
void bn_copy(uint32_t r[8], const uint32_t a[8]);
void bn_set_u32(uint32_t r[8], uint32_t v);
int bn_is_zero(const uint32_t a[8]);
int bn_is_one(const uint32_t a[8]);
int bn_eq(const uint32_t a[8], const uint32_t b[8]);
int bn_cmp(const uint32_t a[8], const uint32_t b[8]); /* -1, 0 or 1 */
uint32_t bn_add(uint32_t r[8], const uint32_t a[8], const uint32_t b[8]); /* carry out */
uint32_t bn_sub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8]); /* borrow out */

/* r = a * b and r = a * a as 512-bit products (16 limbs). */
void bn_mul(uint32_t r[16], const uint32_t a[8], const uint32_t b[8]);
void bn_sqr(uint32_t r[16], const uint32_t a[8]);

/* Arithmetic modulo an odd m; inputs must already be below m. */
void bn_modadd(uint32_t r[8], const uint32_t a[8], const uint32_t b[8], const uint32_t m[8]);
void bn_modsub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8], const uint32_t m[8]);
/* r = a^-1 mod m by a binary (Kaliski) inversion (m odd, 0 < a < m,
 * gcd(a, m) = 1).  Returns 0 when a is zero, 1 otherwise. */
int bn_modinv(uint32_t r[8], const uint32_t a[8], const uint32_t m[8]);

/* Montgomery arithmetic modulo an odd m with R = 2^256. */
typedef struct {
	uint32_t m[8];
	uint32_t minv;   /* -m^-1 mod 2^32 */
	uint32_t r2[8];  /* R^2 mod m */
} bn_mont;

/* r = t * R^-1 mod m for t < m * R (t is 16 limbs and is clobbered). */
void bn_redc(uint32_t r[8], uint32_t t[16], const bn_mont *mt);
/* r = a * b mod m for any a, b < 2^256 with a * b < m * R. */
void bn_modmul(uint32_t r[8], const uint32_t a[8], const uint32_t b[8], const bn_mont *mt);

#endif
