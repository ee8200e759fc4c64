/* ECDSA verification over NIST P-256 (SEC 1 v2, 4.1.4; FIPS 186-4) for each
 * signature of the input block (default: default_vector.h); prints valid or
 * invalid. */
#include "../bignum/ec.h"
#include "../bignum/fe.h"
#include "../bignum/sig_batch.h"
#include "default_vector.h"

static int ecdsa_verify(const uint8_t z[32], const uint8_t pub[64], const uint8_t sig[64])
{
	const ec_curve *c = &ec_p256;
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
	/* e = z mod n (z < 2^256 < 2n); high-S is valid, as in FIPS 186-4 */
	bn_from_be(e, z);
	if (bn_cmp(e, n) >= 0)
		bn_sub(e, e, n);
	bn_modinv(w, s, n);
	bn_modmul(u1, e, w, &c->n);
	bn_modmul(u2, r, w, &c->n);
	ec_mul2(&pt, u1, u2, &q, c);
	return ec_x_equals_mod_n(&pt, r, c);
}

int main(void)
{
	return sig_batch_main(ecdsa_verify, default_vector, sizeof default_vector);
}
