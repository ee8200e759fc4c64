/* The field of Curve25519 and Ed25519, p = 2^255 - 19, in 8 little-endian
 * 32-bit limbs.  Products come from the shared Comba code of kernels/bignum
 * (bn_mul, bn_sqr; with CHAINRV_XCHAIN its maddlu/maddhu paths).  Since
 * 2^256 = 38 (mod p), the high half H of a product folds into the low half L
 * as L + 38 H, and what is left at and above 2^255 folds once more as 19 per
 * unit of 2^255.
 *
 * Elements are kept only partly reduced: any 256-bit value stands for its
 * residue.  A sum's carry out of 2^256 adds 38, a difference's borrow
 * subtracts 38, so a sum costs one carry chain and no comparison with p;
 * fe25519_canon() gives the unique representative below p where the value
 * itself matters (comparisons, parity, the encoding). */
#include "fe25519.h"

#ifdef CHAINRV_XCHAIN
#include "chainrv_xchain.h"
/* as in bn.c: program order keeps the carry chains in few registers */
#pragma GCC optimize("no-schedule-insns")
#endif

const uint32_t fe25519_p[8] = {
	0xFFFFFFED, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF,
	0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0x7FFFFFFF,
};

/* r = r + 38 for a carry c of 1 out of a sum (c = 0: r unchanged). */
static inline void fold_carry(uint32_t r[8], uint32_t c)
{
	if (c) {
		/* r + 38 wraps past 2^256 only when r > 2^256 - 39; then r < 38
		 * after the wrap, and the second 38 cannot carry */
		uint32_t k = 38;
		for (int i = 0; i < 8; i++) {
			uint32_t x = r[i] + k;
			r[i] = x;
			if (x >= k)
				return;
			k = 1;
		}
		r[0] += 38;
	}
}

/* r = r - 38 for a borrow b of 1 out of a difference (b = 0: r unchanged). */
static inline void fold_borrow(uint32_t r[8], uint32_t b)
{
	if (b) {
		/* r - 38 wraps below 0 only when r < 38; then r >= 2^256 - 38 after
		 * the wrap, and the second 38 cannot borrow */
		uint32_t k = 38;
		for (int i = 0; i < 8; i++) {
			uint32_t x = r[i];
			r[i] = x - k;
			if (x >= k)
				return;
			k = 1;
		}
		r[0] -= 38;
	}
}

/* With Xchain this file keeps program order (no-schedule-insns), so the
 * carry chains load limb i + 1 before working on limb i: a load right
 * before the addc/subc/maddlu that reads it would stall a cycle. */
void fe25519_add(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
	uint32_t c = 0;
#ifdef CHAINRV_XCHAIN
	uint32_t x = a[0], y = b[0];
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t nx = i < 7 ? a[i + 1] : 0, ny = i < 7 ? b[i + 1] : 0;
		r[i] = crv_addc(x, y, c);
		c = crv_addco(x, y, c);
		x = nx;
		y = ny;
	}
#else
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t x = a[i], y = b[i];
		uint32_t s = x + y;
		uint32_t c1 = s < x;
		s += c;
		c = c1 | (s < c);
		r[i] = s;
	}
#endif
	fold_carry(r, c);
}

void fe25519_dbl(uint32_t r[8], const uint32_t a[8])
{
	uint32_t c = 0;
#ifdef CHAINRV_XCHAIN
	uint32_t x = a[0];
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t nx = i < 7 ? a[i + 1] : 0;
		r[i] = crv_addc(x, x, c);
		c = crv_addco(x, x, c);
		x = nx;
	}
#else
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t x = a[i];
		r[i] = (x << 1) | c;
		c = x >> 31;
	}
#endif
	fold_carry(r, c);
}

void fe25519_sub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
	uint32_t br = 0;
#ifdef CHAINRV_XCHAIN
	uint32_t x = a[0], y = b[0];
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t nx = i < 7 ? a[i + 1] : 0, ny = i < 7 ? b[i + 1] : 0;
		r[i] = crv_subc(x, y, br);
		br = crv_subco(x, y, br);
		x = nx;
		y = ny;
	}
#else
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t x = a[i], y = b[i];
		uint32_t d = x - y;
		uint32_t b1 = x < y;
		r[i] = d - br;
		br = b1 | (d < br);
	}
#endif
	fold_borrow(r, br);
}

void fe25519_neg(uint32_t r[8], const uint32_t a[8])
{
	static const uint32_t zero[8];
	fe25519_sub(r, zero, a);
}

/* r = t mod p, partly reduced (below 2^255 + 2^11), for a 512-bit t. */
static inline __attribute__((always_inline)) void reduce(uint32_t r[8], const uint32_t t[16])
{
	uint32_t c;
#ifdef CHAINRV_XCHAIN
	/* r[i] + 2^32 c = 38 h_i + t_i + c, c < 39 */
	c = 0;
	uint32_t h = t[8], l = t[0];
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t lo = crv_maddlu(h, 38u, l), hi = crv_maddhu(h, 38u, l);
		if (i < 7) {
			h = t[9 + i];
			l = t[1 + i];
		}
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
	uint32_t x = r[0] + top * 19u;
	if (x < r[0]) {
		for (int i = 1; i < 8; i++) {
			if (++r[i] != 0)
				break;  /* r[7] < 2^31 before: no carry out of 2^256 */
		}
	}
	r[0] = x;
}

void fe25519_mul(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
	uint32_t t[16];
	bn_mul(t, a, b);
	reduce(r, t);
}

void fe25519_sqr(uint32_t r[8], const uint32_t a[8])
{
	uint32_t t[16];
	bn_sqr(t, a);
	reduce(r, t);
}

void fe25519_canon(uint32_t r[8])
{
	/* r < 2^256 < 3p: subtract p while r >= p, as r + 19 - 2^255 */
	for (int n = 0; n < 2; n++) {
		uint32_t t[8];
		uint64_t s = (uint64_t)r[0] + 19u;
		t[0] = (uint32_t)s;
		for (int i = 1; i < 8; i++) {
			s = (s >> 32) + r[i];
			t[i] = (uint32_t)s;
		}
		uint32_t c = (uint32_t)(s >> 32);  /* r + 19 = 2^256 c + t */
		if (!c && !(t[7] >> 31))
			return;     /* r + 19 < 2^255: r < p */
		/* r - p = t - 2^255 (c = 0, bit 255 set) or t + 2^255 (c = 1, t < 19) */
		t[7] ^= 0x80000000;
		bn_copy(r, t);
	}
}

int fe25519_eq(const uint32_t a[8], const uint32_t b[8])
{
	uint32_t x[8], y[8];
	bn_copy(x, a);
	bn_copy(y, b);
	fe25519_canon(x);
	fe25519_canon(y);
	return bn_eq(x, y);
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
	fe25519_sqr(r, a);
	while (--n > 0)
		fe25519_sqr(r, r);
}

/* r = a^(2^252 - 3) = a^((p - 5) / 8): 250 squarings and 11 products (ref10's chain). */
void fe25519_pow22523(uint32_t r[8], const uint32_t a[8])
{
	uint32_t t0[8], t1[8], t2[8];

	fe25519_sqr(t0, a);                 /* 2 */
	sqr_n(t1, t0, 2);                   /* 8 */
	fe25519_mul(t1, a, t1);             /* 9 */
	fe25519_mul(t0, t0, t1);            /* 11 */
	fe25519_sqr(t0, t0);                /* 22 */
	fe25519_mul(t0, t1, t0);            /* 31 = 2^5 - 1 */
	sqr_n(t1, t0, 5);
	fe25519_mul(t0, t1, t0);            /* 2^10 - 1 */
	sqr_n(t1, t0, 10);
	fe25519_mul(t1, t1, t0);            /* 2^20 - 1 */
	sqr_n(t2, t1, 20);
	fe25519_mul(t1, t2, t1);            /* 2^40 - 1 */
	sqr_n(t1, t1, 10);
	fe25519_mul(t0, t1, t0);            /* 2^50 - 1 */
	sqr_n(t1, t0, 50);
	fe25519_mul(t1, t1, t0);            /* 2^100 - 1 */
	sqr_n(t2, t1, 100);
	fe25519_mul(t1, t2, t1);            /* 2^200 - 1 */
	sqr_n(t1, t1, 50);
	fe25519_mul(t0, t1, t0);            /* 2^250 - 1 */
	sqr_n(t0, t0, 2);                   /* 2^252 - 4 */
	fe25519_mul(r, t0, a);              /* 2^252 - 3 */
}
