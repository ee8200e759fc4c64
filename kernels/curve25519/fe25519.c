/* The field of Curve25519 and Ed25519, p = 2^255 - 19, on the shared 256-bit
 * code of kernels/bignum (8 little-endian 32-bit limbs, products by bn_mul /
 * bn_sqr, sums by fe_common.c).  Since 2^256 = 38 (mod p), the high half H
 * of a product folds into the low half L as L + 38 H; what is left at and
 * above 2^255 folds once more as 19 per unit of 2^255. */
#include "../bignum/bn.h"
#include "../bignum/fe.h"
#include "fe25519.h"

#ifdef CHAINRV_XCHAIN
#include "chainrv_xchain.h"
/* as in bn.c: program order keeps the carry chains in few registers */
#pragma GCC optimize("no-schedule-insns")
#endif

const uint32_t fe_p[8] = {
	0xFFFFFFED, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF,
	0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0x7FFFFFFF,
};

void fe_reduce(uint32_t r[8], const uint32_t t[16])
{
	uint32_t c;
#ifdef CHAINRV_XCHAIN
	/* r[i] + 2^32 c = 38 h_i + t_i + c, c < 39 */
	c = 0;
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t h = t[8 + i];
		uint32_t lo = crv_maddlu(h, 38u, t[i]), hi = crv_maddhu(h, 38u, t[i]);
		r[i] = lo + c;
		c = crv_cadd(lo, c, hi);
	}
#else
	uint64_t acc = 0;
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		acc += (uint64_t)t[8 + i] * 38u + t[i];
		r[i] = (uint32_t)acc;
		acc >>= 32;
	}
	c = (uint32_t)acc;
#endif
	/* value = r + 2^256 c with c < 39: fold bit 255 and c (2 units of 2^255 each) */
	uint32_t top = (c << 1) | (r[7] >> 31);
	r[7] &= 0x7FFFFFFF;
	uint64_t s = (uint64_t)r[0] + top * 19u;
	r[0] = (uint32_t)s;
	if (s >> 32) {
		for (int i = 1; i < 8; i++) {
			if (++r[i] != 0)
				break;
		}
	}
	/* now r < 2^255 + 19 * 79 < 2p; r >= p only if limb 7 is 0x7FFFFFFF or more */
	if (r[7] >= 0x7FFFFFFF)
		fe25519_canon(r);
}

void fe25519_canon(uint32_t r[8])
{
	/* r < 2^256: subtract p while r >= p, as r + 19 - 2^255 (at most twice) */
	for (int n = 0; n < 2; n++) {
		uint32_t t[8];
		uint64_t s = (uint64_t)r[0] + 19u;
		t[0] = (uint32_t)s;
		for (int i = 1; i < 8; i++) {
			s = (s >> 32) + r[i];
			t[i] = (uint32_t)s;
		}
		if (!(t[7] >> 31))
			return;     /* r + 19 < 2^255: r < p */
		t[7] &= 0x7FFFFFFF;
		bn_copy(r, t);
	}
}

void fe25519_from_le(uint32_t r[8], const uint8_t b[32])
{
	for (int i = 0; i < 8; i++) {
		const uint8_t *q = b + 4 * i;
		r[i] = q[0] | ((uint32_t)q[1] << 8) | ((uint32_t)q[2] << 16) | ((uint32_t)q[3] << 24);
	}
}

void fe25519_to_le(uint8_t b[32], const uint32_t a[8])
{
	for (int i = 0; i < 8; i++) {
		uint32_t w = a[i];
		b[4 * i] = (uint8_t)w;
		b[4 * i + 1] = (uint8_t)(w >> 8);
		b[4 * i + 2] = (uint8_t)(w >> 16);
		b[4 * i + 3] = (uint8_t)(w >> 24);
	}
}

/* r = a^(2^n) */
static void sqr_n(uint32_t r[8], const uint32_t a[8], int n)
{
	fe_sqr(r, a);
	while (--n > 0)
		fe_sqr(r, r);
}

/* r = a^(2^252 - 3) = a^((p - 5) / 8): 250 squarings and 11 products (ref10's chain). */
void fe25519_pow22523(uint32_t r[8], const uint32_t a[8])
{
	uint32_t t0[8], t1[8], t2[8], z11[8];

	fe_sqr(t0, a);                 /* 2 */
	sqr_n(t1, t0, 2);              /* 8 */
	fe_mul(t1, a, t1);             /* 9 */
	fe_mul(z11, t0, t1);           /* 11 */
	fe_sqr(t0, z11);               /* 22 */
	fe_mul(t0, t1, t0);            /* 31 = 2^5 - 1 */
	sqr_n(t1, t0, 5);
	fe_mul(t0, t1, t0);            /* 2^10 - 1 */
	sqr_n(t1, t0, 10);
	fe_mul(t1, t1, t0);            /* 2^20 - 1 */
	sqr_n(t2, t1, 20);
	fe_mul(t1, t2, t1);            /* 2^40 - 1 */
	sqr_n(t1, t1, 10);
	fe_mul(t0, t1, t0);            /* 2^50 - 1 */
	sqr_n(t1, t0, 50);
	fe_mul(t1, t1, t0);            /* 2^100 - 1 */
	sqr_n(t2, t1, 100);
	fe_mul(t1, t2, t1);            /* 2^200 - 1 */
	sqr_n(t1, t1, 50);
	fe_mul(t0, t1, t0);            /* 2^250 - 1 */
	sqr_n(t0, t0, 2);              /* 2^252 - 4 */
	fe_mul(r, t0, a);              /* 2^252 - 3 */
}
