/* secp256k1 public key recovery as Ethereum's ecrecover precompile (0x01),
 * shared by eth_ecrecover and eth_tx.  A header of static functions: each
 * kernel compiles it into its own unit, so the recovery inlines as if
 * written in place.  High s is accepted here; callers that need EIP-2's low
 * s check it before. */
#ifndef ECRECOVER_H
#define ECRECOVER_H

#include "bn.h"
#include "ec.h"
#include "fe.h"
#include "../keccak256/keccak_f1600.h"

/* r = a^(2^k) */
static void sqr_n(uint32_t r[8], const uint32_t a[8], int k)
{
	fe_sqr(r, a);
	while (--k > 0)
		fe_sqr(r, r);
}

/* r = a^((p + 1) / 4), the square root of a when a has one (p = 3 mod 4);
 * the addition chain of libsecp256k1: 253 squarings, 13 multiplications. */
static void fe_sqrt_candidate(uint32_t r[8], const uint32_t a[8])
{
	uint32_t x2[8], x3[8], x6[8], x11[8], x22[8], x44[8], t[8];

	fe_sqr(x2, a);
	fe_mul(x2, x2, a);
	fe_sqr(x3, x2);
	fe_mul(x3, x3, a);
	sqr_n(x6, x3, 3);
	fe_mul(x6, x6, x3);
	sqr_n(t, x6, 3);
	fe_mul(t, t, x3);             /* x9 */
	sqr_n(x11, t, 2);
	fe_mul(x11, x11, x2);
	sqr_n(x22, x11, 11);
	fe_mul(x22, x22, x11);
	sqr_n(x44, x22, 22);
	fe_mul(x44, x44, x22);
	sqr_n(t, x44, 44);
	fe_mul(t, t, x44);            /* x88 */
	sqr_n(x6, t, 88);
	fe_mul(x6, x6, t);            /* x176 */
	sqr_n(t, x6, 44);
	fe_mul(t, t, x44);            /* x220 */
	sqr_n(t, t, 3);
	fe_mul(t, t, x3);             /* x223 */
	sqr_n(t, t, 23);
	fe_mul(t, t, x22);
	sqr_n(t, t, 6);
	fe_mul(t, t, x2);
	sqr_n(r, t, 2);
}

static void bn_to_be(uint8_t b[32], const uint32_t a[8])
{
	for (int i = 0; i < 8; i++) {
		uint32_t w = a[7 - i];
		b[4 * i] = w >> 24;
		b[4 * i + 1] = w >> 16;
		b[4 * i + 2] = w >> 8;
		b[4 * i + 3] = w;
	}
}

/* The signer's address of one 128-byte item hash || v || r || s (32-byte
 * big-endian words, v = 27 or 28); 0 when the precompile rejects it. */
static int ecrecover(uint8_t addr[20], const uint8_t in[128])
{
	const ec_curve *c = &ec_secp256k1;
	const uint32_t *n = c->n.m;
	uint32_t r[8], s[8], e[8], rinv[8], u1[8], u2[8], rhs[8], y2[8], zero[8];
	uint8_t xy[64], h[32];
	ec_aff rp;
	ec_jac q;

	for (int i = 32; i < 63; i++)
		if (in[i])
			return 0;
	if (in[63] != 27 && in[63] != 28)
		return 0;
	bn_from_be(r, in + 64);
	bn_from_be(s, in + 96);
	if (bn_is_zero(r) || bn_is_zero(s) || bn_cmp(r, n) >= 0 || bn_cmp(s, n) >= 0)
		return 0;
	/* R = (r, y) with y^2 = r^3 + 7 and y's parity from v (r < n < p) */
	bn_copy(rp.x, r);
	fe_sqr(rhs, r);
	fe_mul(rhs, rhs, r);
	fe_add(rhs, rhs, c->b);
	fe_sqrt_candidate(rp.y, rhs);
	fe_sqr(y2, rp.y);
	if (!bn_eq(y2, rhs))
		return 0;
	if ((rp.y[0] & 1) != (uint32_t)(in[63] - 27))
		fe_neg(rp.y, rp.y);
	/* Q = r^-1 (s R - e G) = u1 G + u2 R, u1 = -e r^-1, u2 = s r^-1 (mod n) */
	bn_from_be(e, in);
	if (bn_cmp(e, n) >= 0)
		bn_sub(e, e, n);
	bn_modinv(rinv, r, n);
	bn_modmul(u1, e, rinv, &c->n);
	bn_set_u32(zero, 0);
	bn_modsub(u1, zero, u1, n);
	bn_modmul(u2, s, rinv, &c->n);
	ec_mul2(&q, u1, u2, &rp, c);
	if (bn_is_zero(q.z))
		return 0;
	/* affine (X / Z^2, Y / Z^3) */
	bn_modinv(rinv, q.z, fe_p);
	fe_sqr(y2, rinv);
	fe_mul(q.x, q.x, y2);
	fe_mul(y2, y2, rinv);
	fe_mul(q.y, q.y, y2);
	bn_to_be(xy, q.x);
	bn_to_be(xy + 32, q.y);
	keccak256(xy, 64, h);
	for (int i = 0; i < 20; i++)
		addr[i] = h[12 + i];
	return 1;
}

#endif
