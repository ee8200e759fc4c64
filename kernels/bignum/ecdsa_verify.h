/* ECDSA verification (SEC 1 v2, 4.1.4; FIPS 186-4), written once for every
 * curve: each kernel's main wraps it with its curve, a constant, so the body
 * compiles as if written there. High-S is valid, as ECDSA itself says. */
#ifndef ECDSA_VERIFY_H
#define ECDSA_VERIFY_H

#include "ec.h"
#include "fe.h"

static inline __attribute__((always_inline)) int ecdsa_verify_on(const ec_curve *c, const uint8_t z[32],
                                                                 const uint8_t pub[64], const uint8_t sig[64])
{
	const uint32_t *n = c->n.m;
	uint32_t r[8], s[8], e[8], w[8], u1[8], u2[8];
	ec_aff q;
	ec_jac pt;

	bn_from_be(r, sig);
	bn_from_be(s, sig + 32);
	if (bn_is_zero(r) || bn_is_zero(s) || bn_cmp(r, n) >= 0 || bn_cmp(s, n) >= 0)
		return 0;
	bn_from_be(q.x, pub);
	bn_from_be(q.y, pub + 32);
	if (!ec_on_curve(&q, c))
		return 0;
	/* e = z mod n (z < 2^256 < 2n) */
	bn_from_be(e, z);
	if (bn_cmp(e, n) >= 0)
		bn_sub(e, e, n);
	bn_modinv(w, s, n);
	bn_modmul(u1, e, w, &c->n);
	bn_modmul(u2, r, w, &c->n);
	ec_mul2(&pt, u1, u2, &q, c);
	return ec_x_equals_mod_n(&pt, r, c);
}

#endif
