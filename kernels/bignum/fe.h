/* Arithmetic in the prime field of one curve.  Each kernel links exactly one
 * field (fe_secp256k1.c or fe_sm2.c), which defines fe_p and the reduction;
 * fe_common.c builds the remaining operations on top.  Elements are kept
 * fully reduced (0 <= x < p), so equality is limb equality. */
#ifndef FE_H
#define FE_H

#include <stdint.h>

extern const uint32_t fe_p[8];

/* r = t mod p for a 512-bit t (16 limbs). */
void fe_reduce(uint32_t r[8], const uint32_t t[16]);

void fe_mul(uint32_t r[8], const uint32_t a[8], const uint32_t b[8]);
void fe_sqr(uint32_t r[8], const uint32_t a[8]);
void fe_add(uint32_t r[8], const uint32_t a[8], const uint32_t b[8]);
void fe_sub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8]);
void fe_dbl(uint32_t r[8], const uint32_t a[8]);   /* 2a */
void fe_neg(uint32_t r[8], const uint32_t a[8]);   /* -a */

#endif
