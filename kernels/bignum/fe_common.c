/* Field operations shared by every prime: products go through the
 * prime-specific fe_reduce, sums through the generic modular helpers. */
#include "bn.h"
#include "fe.h"

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

void fe_add(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
	bn_modadd(r, a, b, fe_p);
}

void fe_sub(uint32_t r[8], const uint32_t a[8], const uint32_t b[8])
{
	bn_modsub(r, a, b, fe_p);
}

void fe_dbl(uint32_t r[8], const uint32_t a[8])
{
	bn_modadd(r, a, a, fe_p);
}

void fe_neg(uint32_t r[8], const uint32_t a[8])
{
	if (bn_is_zero(a))
		bn_set_u32(r, 0);
	else
		bn_sub(r, fe_p, a);
}
