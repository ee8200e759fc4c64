/* Field operations shared by every prime: products go through the
 * prime-specific fe_reduce; sums are unrolled here, since a point doubling
 * or addition spends a good part of its time in them. */
#include "bn.h"
#include "fe.h"

#ifdef CHAINRV_XCHAIN
#include "chainrv_xchain.h"
/* as in bn.c: program order keeps the carry chains in few registers */
#pragma GCC optimize("no-schedule-insns")
#endif

void fe_mul(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
	uint32_t t[16];
	bn_mul(t, a, b);
	fe_reduce(r, t);
}

void fe_sqr(uint32_t r[8], const uint32_t a[8])
{
	uint32_t t[16];
	bn_sqr(t, a);
	fe_reduce(r, t);
}

/* r = t - p when t (with carry c above it) is at least p.  Both primes have
 * a top limb of 0xFFFFFFFE or more, so the full compare is rarely needed. */
static inline void sub_p_if_needed(uint32_t r[8], const uint32_t t[8], uint32_t c)
{
	if (c || (t[7] >= fe_p[7] && bn_cmp(t, fe_p) >= 0)) {
		uint32_t br = 0;
#pragma GCC unroll 8
		for (int i = 0; i < 8; i++) {
			uint32_t x = t[i], y = fe_p[i];
#ifdef CHAINRV_XCHAIN
			r[i] = crv_subc(x, y, br);
			br = crv_subco(x, y, br);
#else
			uint32_t d = x - y;
			uint32_t b1 = x < y;
			r[i] = d - br;
			br = b1 | (d < br);
#endif
		}
	} else {
#pragma GCC unroll 8
		for (int i = 0; i < 8; i++)
			r[i] = t[i];
	}
}

void fe_add(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
	uint32_t t[8], c = 0;
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
#ifdef CHAINRV_XCHAIN
		uint32_t x = a[i], y = b[i];
		t[i] = crv_addc(x, y, c);
		c = crv_addco(x, y, c);
#else
		uint32_t s = a[i] + b[i];
		uint32_t c1 = s < a[i];
		t[i] = s + c;
		c = c1 | (t[i] < c);
#endif
	}
	sub_p_if_needed(r, t, c);
}

void fe_dbl(uint32_t r[8], const uint32_t a[8])
{
	uint32_t t[8], c = 0;
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t x = a[i];
#ifdef CHAINRV_XCHAIN
		t[i] = crv_addc(x, x, c);
		c = crv_addco(x, x, c);
#else
		t[i] = (x << 1) | c;
		c = x >> 31;
#endif
	}
	sub_p_if_needed(r, t, c);
}

void fe_sub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
	uint32_t t[8], br = 0;
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t x = a[i], y = b[i];
#ifdef CHAINRV_XCHAIN
		t[i] = crv_subc(x, y, br);
		br = crv_subco(x, y, br);
#else
		uint32_t d = x - y;
		uint32_t b1 = x < y;
		t[i] = d - br;
		br = b1 | (d < br);
#endif
	}
	if (br) {
		uint32_t c = 0;
#pragma GCC unroll 8
		for (int i = 0; i < 8; i++) {
#ifdef CHAINRV_XCHAIN
			uint32_t x = t[i], y = fe_p[i];
			r[i] = crv_addc(x, y, c);
			c = crv_addco(x, y, c);
#else
			uint32_t s = t[i] + fe_p[i];
			uint32_t c1 = s < t[i];
			r[i] = s + c;
			c = c1 | (r[i] < c);
#endif
		}
	} else {
#pragma GCC unroll 8
		for (int i = 0; i < 8; i++)
			r[i] = t[i];
	}
}

void fe_neg(uint32_t r[8], const uint32_t a[8])
{
	if (bn_is_zero(a))
		bn_set_u32(r, 0);
	else
		bn_sub(r, fe_p, a);
}
