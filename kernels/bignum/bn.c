/* 256-bit integer arithmetic shared by the signature kernels.  With
 * CHAINRV_XCHAIN (the Xchain custom extension, docs/xchain.md) the carry
 * chains and the multiply-accumulate use its instructions. */
#include "bn.h"

#ifdef CHAINRV_XCHAIN
#include "chainrv_xchain.h"
/* GCC's pre-allocation scheduler interleaves the independent MAC chains of
 * a column and runs out of registers; program order needs no spills. */
#pragma GCC optimize("no-schedule-insns")
#endif

void bn_from_be(uint32_t r[8], const uint8_t b[32])
{
	for (int i = 0; i < 8; i++) {
		const uint8_t *q = b + 28 - 4 * i;
		r[i] = ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3];
	}
}

void bn_copy(uint32_t r[8], const uint32_t a[8])
{
	for (int i = 0; i < 8; i++)
		r[i] = a[i];
}

void bn_set_u32(uint32_t r[8], uint32_t v)
{
	r[0] = v;
	for (int i = 1; i < 8; i++)
		r[i] = 0;
}

int bn_is_zero(const uint32_t a[8])
{
	uint32_t x = 0;
	for (int i = 0; i < 8; i++)
		x |= a[i];
	return x == 0;
}

int bn_is_one(const uint32_t a[8])
{
	uint32_t x = a[0] ^ 1;
	for (int i = 1; i < 8; i++)
		x |= a[i];
	return x == 0;
}

int bn_eq(const uint32_t a[8], const uint32_t b[8])
{
	uint32_t x = 0;
	for (int i = 0; i < 8; i++)
		x |= a[i] ^ b[i];
	return x == 0;
}

int bn_cmp(const uint32_t a[8], const uint32_t b[8])
{
	for (int i = 7; i >= 0; i--) {
		if (a[i] != b[i])
			return a[i] > b[i] ? 1 : -1;
	}
	return 0;
}

uint32_t bn_add(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
	uint32_t c = 0;
#ifdef CHAINRV_XCHAIN
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t x = a[i], y = b[i];
		r[i] = crv_addc(x, y, c);
		c = crv_addco(x, y, c);
	}
#else
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t s = a[i] + c;
		c = s < c;
		s += b[i];
		c += s < b[i];
		r[i] = s;
	}
#endif
	return c;
}

uint32_t bn_sub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
	uint32_t br = 0;
#ifdef CHAINRV_XCHAIN
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t x = a[i], y = b[i];
		r[i] = crv_subc(x, y, br);
		br = crv_subco(x, y, br);
	}
#else
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t x = a[i], y = b[i];
		uint32_t d = x - y;
		uint32_t b1 = x < y;
		uint32_t d2 = d - br;
		br = b1 | (d < br);
		r[i] = d2;
	}
#endif
	return br;
}

#ifdef CHAINRV_XCHAIN
/* c2:c1:c0 += x * y in four instructions: h:c0 = x y + c0 (exact in 64
 * bits), then c1 += h with its carry into c2. */
#define MAC(x, y)                                                   \
	do {                                                        \
		uint32_t h_ = crv_maddhu((x), (y), c0);             \
		c0 = crv_maddlu((x), (y), c0);                      \
		c2 = crv_cadd(c1, h_, c2);                          \
		c1 += h_;                                           \
	} while (0)
#else
/* c2:c1:c0 += x * y.  The high half of a 32x32 product is at most 2^32 - 2,
 * so adding the carry of the low half to it cannot overflow. */
#define MAC(x, y)                                                   \
	do {                                                        \
		uint64_t p_ = (uint64_t)(x) * (y);                  \
		uint32_t l_ = (uint32_t)p_, h_ = (uint32_t)(p_ >> 32); \
		c0 += l_;                                           \
		h_ += c0 < l_;                                      \
		c1 += h_;                                           \
		c2 += c1 < h_;                                      \
	} while (0)
#endif

#define COL_OUT(k)                                                  \
	do {                                                        \
		r[k] = c0;                                          \
		c0 = c1;                                            \
		c1 = c2;                                            \
		c2 = 0;                                             \
	} while (0)

void bn_mul(uint32_t r[16], const uint32_t a[8], const uint32_t b[8])
{
	uint32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
	uint32_t b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6], b7 = b[7];
	uint32_t c0 = 0, c1 = 0, c2 = 0;
/* product scanning (Comba): column k sums a[i]*b[k-i] into c2:c1:c0 */
	MAC(a0, b0);
	COL_OUT(0);
	MAC(a0, b1);
	MAC(a1, b0);
	COL_OUT(1);
	MAC(a0, b2);
	MAC(a1, b1);
	MAC(a2, b0);
	COL_OUT(2);
	MAC(a0, b3);
	MAC(a1, b2);
	MAC(a2, b1);
	MAC(a3, b0);
	COL_OUT(3);
	MAC(a0, b4);
	MAC(a1, b3);
	MAC(a2, b2);
	MAC(a3, b1);
	MAC(a4, b0);
	COL_OUT(4);
	MAC(a0, b5);
	MAC(a1, b4);
	MAC(a2, b3);
	MAC(a3, b2);
	MAC(a4, b1);
	MAC(a5, b0);
	COL_OUT(5);
	MAC(a0, b6);
	MAC(a1, b5);
	MAC(a2, b4);
	MAC(a3, b3);
	MAC(a4, b2);
	MAC(a5, b1);
	MAC(a6, b0);
	COL_OUT(6);
	MAC(a0, b7);
	MAC(a1, b6);
	MAC(a2, b5);
	MAC(a3, b4);
	MAC(a4, b3);
	MAC(a5, b2);
	MAC(a6, b1);
	MAC(a7, b0);
	COL_OUT(7);
	MAC(a1, b7);
	MAC(a2, b6);
	MAC(a3, b5);
	MAC(a4, b4);
	MAC(a5, b3);
	MAC(a6, b2);
	MAC(a7, b1);
	COL_OUT(8);
	MAC(a2, b7);
	MAC(a3, b6);
	MAC(a4, b5);
	MAC(a5, b4);
	MAC(a6, b3);
	MAC(a7, b2);
	COL_OUT(9);
	MAC(a3, b7);
	MAC(a4, b6);
	MAC(a5, b5);
	MAC(a6, b4);
	MAC(a7, b3);
	COL_OUT(10);
	MAC(a4, b7);
	MAC(a5, b6);
	MAC(a6, b5);
	MAC(a7, b4);
	COL_OUT(11);
	MAC(a5, b7);
	MAC(a6, b6);
	MAC(a7, b5);
	COL_OUT(12);
	MAC(a6, b7);
	MAC(a7, b6);
	COL_OUT(13);
	MAC(a7, b7);
	COL_OUT(14);
	r[15] = c0;
}

/* Squaring: the cross products a[i]*a[j] (i < j) are summed once by product
 * scanning into X; the result is 2*X + sum a[i]^2 * 2^(64 i), formed word by
 * word as each column of X comes out (shift in the top bit of the previous
 * column, add the matching half of the diagonal square with a carry). */
#ifdef CHAINRV_XCHAIN
#define SQ_OUT(k, d)                                                \
	do {                                                        \
		uint32_t x_ = c0, w_ = (x_ << 1) | (xprev >> 31);   \
		uint32_t dd_ = (d);                                 \
		xprev = x_;                                         \
		c0 = c1;                                            \
		c1 = c2;                                            \
		c2 = 0;                                             \
		r[k] = crv_addc(w_, dd_, cy);                       \
		cy = crv_addco(w_, dd_, cy);                        \
	} while (0)
#else
#define SQ_OUT(k, d)                                                \
	do {                                                        \
		uint32_t x_ = c0, w_ = (x_ << 1) | (xprev >> 31);   \
		uint32_t dd_ = (d);                                 \
		xprev = x_;                                         \
		c0 = c1;                                            \
		c1 = c2;                                            \
		c2 = 0;                                             \
		w_ += cy;                                           \
		cy = w_ < cy;                                       \
		w_ += dd_;                                          \
		cy += w_ < dd_;                                     \
		r[k] = w_;                                          \
	} while (0)
#endif

void bn_sqr(uint32_t r[16], const uint32_t a[8])
{
	uint32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
	uint64_t d0 = (uint64_t)a0 * a0, d1 = (uint64_t)a1 * a1, d2 = (uint64_t)a2 * a2;
	uint64_t d3 = (uint64_t)a3 * a3, d4 = (uint64_t)a4 * a4, d5 = (uint64_t)a5 * a5;
	uint64_t d6 = (uint64_t)a6 * a6, d7 = (uint64_t)a7 * a7;
	uint32_t c0 = 0, c1 = 0, c2 = 0, xprev = 0, cy = 0;
	SQ_OUT(0, (uint32_t)d0);
	MAC(a0, a1);
	SQ_OUT(1, (uint32_t)(d0 >> 32));
	MAC(a0, a2);
	SQ_OUT(2, (uint32_t)d1);
	MAC(a0, a3);
	MAC(a1, a2);
	SQ_OUT(3, (uint32_t)(d1 >> 32));
	MAC(a0, a4);
	MAC(a1, a3);
	SQ_OUT(4, (uint32_t)d2);
	MAC(a0, a5);
	MAC(a1, a4);
	MAC(a2, a3);
	SQ_OUT(5, (uint32_t)(d2 >> 32));
	MAC(a0, a6);
	MAC(a1, a5);
	MAC(a2, a4);
	SQ_OUT(6, (uint32_t)d3);
	MAC(a0, a7);
	MAC(a1, a6);
	MAC(a2, a5);
	MAC(a3, a4);
	SQ_OUT(7, (uint32_t)(d3 >> 32));
	MAC(a1, a7);
	MAC(a2, a6);
	MAC(a3, a5);
	SQ_OUT(8, (uint32_t)d4);
	MAC(a2, a7);
	MAC(a3, a6);
	MAC(a4, a5);
	SQ_OUT(9, (uint32_t)(d4 >> 32));
	MAC(a3, a7);
	MAC(a4, a6);
	SQ_OUT(10, (uint32_t)d5);
	MAC(a4, a7);
	MAC(a5, a6);
	SQ_OUT(11, (uint32_t)(d5 >> 32));
	MAC(a5, a7);
	SQ_OUT(12, (uint32_t)d6);
	MAC(a6, a7);
	SQ_OUT(13, (uint32_t)(d6 >> 32));
	SQ_OUT(14, (uint32_t)d7);
	SQ_OUT(15, (uint32_t)(d7 >> 32));
}

void bn_modadd(uint32_t r[8], const uint32_t a[8], const uint32_t b[8], const uint32_t m[8])
{
	uint32_t t[8];
	uint32_t c = bn_add(r, a, b);
	uint32_t br = bn_sub(t, r, m);
	if (c || !br)
		bn_copy(r, t);
}

void bn_modsub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8], const uint32_t m[8])
{
	if (bn_sub(r, a, b))
		bn_add(r, r, m);
}

/* Removes the trailing zero bits of a (a != 0); returns how many. */
static int strip_twos(uint32_t a[8])
{
	int n = 0;
	while (a[0] == 0) {
		for (int i = 0; i < 7; i++)
			a[i] = a[i + 1];
		a[7] = 0;
		n += 32;
	}
	int t = 0;
	uint32_t w = a[0];
	while (!(w & 1)) {
		w >>= 1;
		t++;
	}
	if (t) {
		for (int i = 0; i < 7; i++)
			a[i] = (a[i] >> t) | (a[i + 1] << (32 - t));
		a[7] >>= t;
	}
	return n + t;
}

/* a <<= n over 9 limbs. */
static void shl9(uint32_t a[9], int n)
{
	for (; n >= 32; n -= 32) {
		for (int i = 8; i > 0; i--)
			a[i] = a[i - 1];
		a[0] = 0;
	}
	if (n) {
		for (int i = 8; i > 0; i--)
			a[i] = (a[i] << n) | (a[i - 1] >> (32 - n));
		a[0] <<= n;
	}
}

static void add9(uint32_t r[9], const uint32_t a[9])
{
	uint32_t c = 0;
#pragma GCC unroll 9
	for (int i = 0; i < 9; i++) {
		uint32_t s = r[i] + a[i];
		uint32_t c1 = s < a[i];
		r[i] = s + c;
		c = c1 | (r[i] < c);
	}
}

/* x = x / 2^j mod m for x < m, 1 <= j <= 32: one Montgomery step, adding the
 * multiple q m (q < 2^j) that clears the low j bits; minv = -m^-1 mod 2^32. */
static void div_pow2(uint32_t x[8], int j, const uint32_t m[8], uint32_t minv)
{
	uint32_t t[9], c = 0;
	uint32_t q = x[0] * minv;
	if (j < 32)
		q &= (1u << j) - 1;
	for (int i = 0; i < 8; i++) {
		uint64_t s = (uint64_t)q * m[i] + x[i] + c;
		t[i] = (uint32_t)s;
		c = (uint32_t)(s >> 32);
	}
	t[8] = c;
	if (j == 32) {
		for (int i = 0; i < 8; i++)
			x[i] = t[i + 1];
	} else {
		for (int i = 0; i < 8; i++)
			x[i] = (t[i] >> j) | (t[i + 1] << (32 - j));
	}
	if (bn_cmp(x, m) >= 0)
		bn_sub(x, x, m);
}

/* Kaliski's almost Montgomery inverse: the binary GCD of (m, a) gives
 * x = a^-1 2^k mod m with 256 <= k <= 512 using only shifts, subtractions and
 * additions (runs of zero bits are shifted out at once); then x is divided by
 * 2^k in steps of up to 32 bits. */
int bn_modinv(uint32_t r[8], const uint32_t a[8], const uint32_t m[8])
{
	uint32_t u[8], v[8], x[9] = {0}, y[9] = {0};
	int k = 0;

	if (bn_is_zero(a))
		return 0;
	bn_copy(u, m);
	bn_copy(v, a);
	y[0] = 1;
	/* Invariants: m = u y + v x and a x = -u 2^k, a y = v 2^k (mod m). */
	k += strip_twos(v);
	for (;;) {
		if (bn_cmp(u, v) > 0) {
			bn_sub(u, u, v);
			int t = strip_twos(u);
			add9(x, y);
			shl9(y, t);
			k += t;
		} else {
			bn_sub(v, v, u);
			if (bn_is_zero(v)) {   /* u = v = 1 */
				add9(y, x);
				shl9(x, 1);
				k++;
				break;
			}
			int t = strip_twos(v);
			add9(y, x);
			shl9(x, t);
			k += t;
		}
	}
	/* x < 2m: bring it below m, then a^-1 2^k = m - x */
	if (x[8] || bn_cmp(x, m) >= 0)
		bn_sub(x, x, m);
	bn_sub(x, m, x);
	/* minv = -m^-1 mod 2^32 by Newton's iteration (m odd) */
	uint32_t inv = m[0];
	for (int i = 0; i < 4; i++)
		inv *= 2 - m[0] * inv;
	for (; k > 0; k -= 32)
		div_pow2(x, k < 32 ? k : 32, m, -inv);
	bn_copy(r, x);
	return 1;
}

void bn_redc(uint32_t r[8], uint32_t t[16], const bn_mont *mt)
{
	uint32_t top = 0; /* limb 16 of the running sum */
	for (int i = 0; i < 8; i++) {
		uint32_t q = t[i] * mt->minv;
		uint32_t c = 0;
		for (int j = 0; j < 8; j++) {
#ifdef CHAINRV_XCHAIN
			uint32_t m = mt->m[j], x = t[i + j];
			uint32_t lo = crv_maddlu(q, m, x), hi = crv_maddhu(q, m, x);
			t[i + j] = lo + c;
			c = crv_cadd(lo, c, hi);
#else
			uint64_t s = (uint64_t)q * mt->m[j] + t[i + j] + c;
			t[i + j] = (uint32_t)s;
			c = (uint32_t)(s >> 32);
#endif
		}
		for (int j = i + 8; j < 16 && c; j++) {
			t[j] += c;
			c = t[j] < c;
		}
		top += c;
	}
	uint32_t d[8];
	uint32_t br = bn_sub(d, t + 8, mt->m);
	bn_copy(r, (top || !br) ? d : t + 8);
}

void bn_modmul(uint32_t r[8], const uint32_t a[8], const uint32_t b[8], const bn_mont *mt)
{
	uint32_t t[16];
	bn_mul(t, a, b);
	bn_redc(r, t, mt);   /* a b R^-1 */
	bn_mul(t, r, mt->r2);
	bn_redc(r, t, mt);   /* a b */
}
