/* SM2 signature verification (GB/T 32918.2-2016, 7.1 steps B3-B7) for each
 * signature of the input block (default: default_vector.h).  The digest is
 * e = SM3(ZA || M), computed by the caller; prints valid or invalid. */
#include "../bignum/ec.h"
#include "../bignum/fe.h"
#include "../bignum/sig_batch.h"
#include "default_vector.h"

static int sm2_verify(const uint8_t digest[32], const uint8_t pub[64], const uint8_t sig[64])
{
	const ec_curve *c = &ec_sm2;
	const uint32_t *n = c->n.m;
	uint32_t r[8], s[8], e[8], t[8], target[8];
	ec_aff q;
	ec_jac pt;

	bn_from_be(r, sig);
	bn_from_be(s, sig + 32);
	if (bn_is_zero(r) || bn_is_zero(s) || bn_cmp(r, n) >= 0 || bn_cmp(s, n) >= 0)
		return 0;
	bn_modadd(t, r, s, n);          /* B5: t = (r + s) mod n, t != 0 */
	if (bn_is_zero(t))
		return 0;
	bn_from_be(q.x, pub);
	bn_from_be(q.y, pub + 32);
	if (!ec_on_curve(&q, c))
		return 0;
	ec_mul2(&pt, s, t, &q, c);      /* B6: (x1, y1) = s G + t P */
	/* B7: (e + x1) mod n == r  <=>  x1 mod n == (r - e) mod n */
	bn_from_be(e, digest);
	if (bn_cmp(e, n) >= 0)
		bn_sub(e, e, n);
	bn_modsub(target, r, e, n);
	return ec_x_equals_mod_n(&pt, target, c);
}

int main(void)
{
	return sig_batch_main(sm2_verify, default_vector, sizeof default_vector);
}
