/* Ed25519 verification: decoding of A, k = SHA-512(R || A || M) mod L, then
 * [S]B + [k](-A) by Straus' method over two wNAF expansions (window 8 from a
 * generated table of B's odd multiples, window 5 from eight odd multiples of
 * -A computed here), and the encoding of the result against R. */
#include "ed25519.h"

#include "../sha512/sha512.h"
#include "fe25519.h"

#define AWIN 5

typedef struct {
	uint32_t X[8], Y[8], Z[8];
} ge_p2;

typedef struct {
	uint32_t X[8], Y[8], Z[8], T[8];
} ge_p3;

/* The completed point ((X : Z), (Y : T)) that doubling and addition produce. */
typedef struct {
	uint32_t X[8], Y[8], Z[8], T[8];
} ge_p1p1;

/* Y + X, Y - X, Z, 2 d T: the addend form of a projective point. */
typedef struct {
	uint32_t ypx[8], ymx[8], Z[8], T2d[8];
} ge_cached;

static const uint32_t fe_one[8] = {1};

static void p1p1_to_p2(ge_p2 *r, const ge_p1p1 *p)
{
	fe25519_mul(r->X, p->X, p->T);
	fe25519_mul(r->Y, p->Y, p->Z);
	fe25519_mul(r->Z, p->Z, p->T);
}

static void p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p)
{
	fe25519_mul(r->X, p->X, p->T);
	fe25519_mul(r->Y, p->Y, p->Z);
	fe25519_mul(r->Z, p->Z, p->T);
	fe25519_mul(r->T, p->X, p->Y);
}

static void p3_to_cached(ge_cached *r, const ge_p3 *p)
{
	fe25519_add(r->ypx, p->Y, p->X);
	fe25519_sub(r->ymx, p->Y, p->X);
	bn_copy(r->Z, p->Z);
	fe25519_mul(r->T2d, p->T, ed25519_d2);
}

/* r = 2 (X : Y : Z) (dbl-2008-hwcd with a = -1; T is not needed). */
static void ge_dbl(ge_p1p1 *r, const uint32_t X[8], const uint32_t Y[8], const uint32_t Z[8])
{
	uint32_t t0[8];
	fe25519_sqr(r->X, X);
	fe25519_sqr(r->Z, Y);
	fe25519_sqr(r->T, Z);
	fe25519_dbl(r->T, r->T);
	fe25519_add(r->Y, X, Y);
	fe25519_sqr(t0, r->Y);
	fe25519_add(r->Y, r->Z, r->X);
	fe25519_sub(r->Z, r->Z, r->X);
	fe25519_sub(r->X, t0, r->Y);
	fe25519_sub(r->T, r->T, r->Z);
}

/* r = p + q (neg = 0) or p - q (neg = 1). */
static void ge_add(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q, int neg)
{
	uint32_t t0[8];
	fe25519_add(r->X, p->Y, p->X);
	fe25519_sub(r->Y, p->Y, p->X);
	fe25519_mul(r->Z, r->X, neg ? q->ymx : q->ypx);
	fe25519_mul(r->Y, r->Y, neg ? q->ypx : q->ymx);
	fe25519_mul(r->T, q->T2d, p->T);
	fe25519_mul(r->X, p->Z, q->Z);
	fe25519_dbl(t0, r->X);
	fe25519_sub(r->X, r->Z, r->Y);
	fe25519_add(r->Y, r->Z, r->Y);
	if (neg) {
		fe25519_sub(r->Z, t0, r->T);
		fe25519_add(r->T, t0, r->T);
	} else {
		fe25519_add(r->Z, t0, r->T);
		fe25519_sub(r->T, t0, r->T);
	}
}

/* r = p + q (neg = 0) or p - q (neg = 1) for an affine q. */
static void ge_madd(ge_p1p1 *r, const ge_p3 *p, const ge25519_niels *q, int neg)
{
	uint32_t t0[8];
	fe25519_add(r->X, p->Y, p->X);
	fe25519_sub(r->Y, p->Y, p->X);
	fe25519_mul(r->Z, r->X, neg ? q->ymx : q->ypx);
	fe25519_mul(r->Y, r->Y, neg ? q->ypx : q->ymx);
	fe25519_mul(r->T, q->xy2d, p->T);
	fe25519_dbl(t0, p->Z);
	fe25519_sub(r->X, r->Z, r->Y);
	fe25519_add(r->Y, r->Z, r->Y);
	if (neg) {
		fe25519_sub(r->Z, t0, r->T);
		fe25519_add(r->T, t0, r->T);
	} else {
		fe25519_add(r->Z, t0, r->T);
		fe25519_sub(r->T, t0, r->T);
	}
}

/* Decodes a point (RFC 8032, 5.1.3) and negates it: h = -(x, y).  Returns 0
 * for y >= p, for no square root, and for x = 0 with the sign bit set. */
static int decode_neg(ge_p3 *h, const uint8_t s[32])
{
	uint32_t u[8], v[8], v3[8], vxx[8];
	fe25519_from_le(h->Y, s);
	uint32_t sign = h->Y[7] >> 31;
	h->Y[7] &= 0x7FFFFFFF;
	if (bn_cmp(h->Y, fe25519_p) >= 0)
		return 0;
	bn_copy(h->Z, fe_one);
	fe25519_sqr(u, h->Y);
	fe25519_mul(v, u, ed25519_d);
	fe25519_sub(u, u, fe_one);          /* u = y^2 - 1 */
	fe25519_add(v, v, fe_one);          /* v = d y^2 + 1, never 0 (d is not a square) */
	fe25519_sqr(v3, v);
	fe25519_mul(v3, v3, v);             /* v^3 */
	fe25519_sqr(h->X, v3);
	fe25519_mul(h->X, h->X, v);
	fe25519_mul(h->X, h->X, u);         /* u v^7 */
	fe25519_pow22523(h->X, h->X);
	fe25519_mul(h->X, h->X, v3);
	fe25519_mul(h->X, h->X, u);         /* x = u v^3 (u v^7)^((p - 5) / 8) */
	fe25519_sqr(vxx, h->X);
	fe25519_mul(vxx, vxx, v);
	if (!fe25519_eq(vxx, u)) {
		fe25519_neg(vxx, vxx);
		if (!fe25519_eq(vxx, u))
			return 0;      /* v x^2 is neither u nor -u: u / v is not a square */
		fe25519_mul(h->X, h->X, ed25519_sqrtm1);
	}
	fe25519_canon(h->X);           /* the sign is that of the value below p */
	if (bn_is_zero(h->X) && sign)
		return 0;
	if ((h->X[0] & 1) == sign)     /* x has the sign bit: -x is wanted */
		fe25519_neg(h->X, h->X);
	fe25519_mul(h->T, h->X, h->Y);
	return 1;
}

/* Bits [bit, bit + n) of k (n <= 8); bits past 255 read as 0. */
static uint32_t get_bits(const uint32_t k[8], int bit, int n)
{
	int w = bit >> 5, s = bit & 31;
	uint32_t v = w < 8 ? k[w] >> s : 0;
	if (s + n > 32 && w + 1 < 8)
		v |= k[w + 1] << (32 - s);
	return v & ((1u << n) - 1);
}

/* wNAF digits of k (least significant first, odd or zero, |d| < 2^(w-1)),
 * libsecp256k1's carry form; returns how many (at most NAF_LEN). */
#define NAF_LEN 264
static int wnaf(int8_t out[NAF_LEN], const uint32_t k[8], int w)
{
	int bit = 0, carry = 0, len = 0;
	for (int i = 0; i < NAF_LEN; i++)
		out[i] = 0;
	while (bit < NAF_LEN) {
		if (get_bits(k, bit, 1) == (uint32_t)carry) {
			bit++;
			continue;
		}
		int word = (int)get_bits(k, bit, w) + carry;
		carry = (word >> (w - 1)) & 1;
		word -= carry << w;
		out[bit] = (int8_t)word;
		len = bit + 1;
		bit += w;
	}
	return len;
}

/* r = a P + b B, from the wNAF digits of a and b. */
static void double_scalarmult(ge_p2 *r, const uint32_t a[8], const ge_p3 *p, const uint32_t b[8])
{
	int8_t anaf[NAF_LEN], bnaf[NAF_LEN];
	ge_cached ptab[1 << (AWIN - 2)];  /* P, 3P, 5P, ..., 15P */
	ge_p1p1 t;
	ge_p3 u, p2;

	int alen = wnaf(anaf, a, AWIN);
	int blen = wnaf(bnaf, b, ED25519_BWIN);

	p3_to_cached(&ptab[0], p);
	ge_dbl(&t, p->X, p->Y, p->Z);
	p1p1_to_p3(&p2, &t);
	for (int i = 1; i < (1 << (AWIN - 2)); i++) {
		ge_add(&t, &p2, &ptab[i - 1], 0);
		p1p1_to_p3(&u, &t);
		p3_to_cached(&ptab[i], &u);
	}

	bn_set_u32(r->X, 0);
	bn_set_u32(r->Y, 1);
	bn_set_u32(r->Z, 1);
	int i = (alen > blen ? alen : blen) - 1;
	for (; i >= 0; i--) {
		int da = anaf[i], db = bnaf[i];
		ge_dbl(&t, r->X, r->Y, r->Z);
		if (da) {
			p1p1_to_p3(&u, &t);
			ge_add(&t, &u, &ptab[(da < 0 ? -da : da) >> 1], da < 0);
		}
		if (db) {
			p1p1_to_p3(&u, &t);
			ge_madd(&t, &u, &ed25519_btab[(db < 0 ? -db : db) >> 1], db < 0);
		}
		p1p1_to_p2(r, &t);
	}
}

/* k = h mod L for a 512-bit little-endian h, as h_hi (2^256 mod L) + h_lo. */
static void reduce_mod_l(uint32_t k[8], const uint8_t h[64])
{
	uint32_t lo[8], hi[8];
	fe25519_from_le(lo, h);
	fe25519_from_le(hi, h + 32);
	bn_modmul(hi, hi, ed25519_r_mod_l, &ed25519_l);
	bn_modmul(lo, lo, fe_one, &ed25519_l);
	bn_modadd(k, hi, lo, ed25519_l.m);
}

int ed25519_verify(const uint8_t pk[32], const uint8_t sig[64], const uint8_t *msg, uint32_t len)
{
	uint32_t s[8], k[8], zi[8], x[8], y[8];
	uint8_t h[64], enc[32];
	ge_p3 a;
	ge_p2 r;
	sha512_ctx ctx;

	fe25519_from_le(s, sig + 32);
	if (bn_cmp(s, ed25519_l.m) >= 0)
		return 0;
	if (!decode_neg(&a, pk))
		return 0;
	sha512_init(&ctx);
	sha512_update(&ctx, sig, 32);
	sha512_update(&ctx, pk, 32);
	sha512_update(&ctx, msg, len);
	sha512_final(&ctx, h);
	reduce_mod_l(k, h);

	double_scalarmult(&r, k, &a, s);   /* [k](-A) + [S]B */
	/* Z != 0 for every point the formulas produce; the binary inversion
	 * is about 50k cycles cheaper than Fermat's a^(p - 2) here */
	fe25519_canon(r.Z);
	bn_modinv(zi, r.Z, fe25519_p);
	fe25519_mul(x, r.X, zi);
	fe25519_mul(y, r.Y, zi);
	fe25519_canon(x);
	fe25519_canon(y);
	y[7] |= (x[0] & 1) << 31;
	fe25519_to_le(enc, y);
	uint32_t diff = 0;
	for (int i = 0; i < 32; i++)
		diff |= enc[i] ^ sig[i];
	return diff == 0;
}
