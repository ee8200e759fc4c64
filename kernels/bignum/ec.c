/* Jacobian point arithmetic and the double-scalar multiplication used by
 * ECDSA and SM2 verification.  Formulas from the Explicit-Formulas Database:
 * dbl-2009-l (a = 0), dbl-2001-b (a = -3), madd-2007-bl, add-2007-bl. */
#include "ec.h"

#include "fe.h"

#define QWIN 5 /* wNAF window for the public key: 8 precomputed multiples */

static void set_inf(ec_jac *r)
{
	bn_set_u32(r->x, 1);
	bn_set_u32(r->y, 1);
	bn_set_u32(r->z, 0);
}

void ec_double(ec_jac *r, const ec_jac *p, const ec_curve *c)
{
	uint32_t t0[8], t1[8], t2[8], t3[8], x3[8];

	if (!c->a_minus3) {
		/* A = X^2, B = Y^2, C = B^2, D = 2((X + B)^2 - A - C), E = 3A */
		fe_mul(r->z, p->y, p->z);  /* Z3 = 2 Y Z (before Y is overwritten) */
		fe_sqr(t0, p->x);          /* A */
		fe_sqr(t1, p->y);          /* B */
		fe_add(t2, p->x, t1);
		fe_sqr(t1, t1);            /* C */
		fe_sqr(t2, t2);
		fe_sub(t2, t2, t0);
		fe_sub(t2, t2, t1);
		fe_dbl(t2, t2);            /* D */
		fe_dbl(t3, t0);
		fe_add(t0, t3, t0);        /* E */
		fe_sqr(t3, t0);            /* F = E^2 */
		fe_dbl(x3, t2);
		fe_sub(x3, t3, x3);        /* X3 = F - 2D */
		fe_dbl(r->z, r->z);
		fe_sub(t2, t2, x3);
		fe_mul(t2, t0, t2);        /* E (D - X3) */
		fe_dbl(t1, t1);
		fe_dbl(t1, t1);
		fe_dbl(t1, t1);            /* 8C */
		fe_sub(r->y, t2, t1);
		bn_copy(r->x, x3);
		return;
	}
	/* delta = Z^2, gamma = Y^2, beta = X gamma, alpha = 3 (X - delta)(X + delta) */
	fe_sqr(t0, p->z);              /* delta */
	fe_sqr(t1, p->y);              /* gamma */
	fe_mul(t2, p->x, t1);          /* beta */
	fe_sub(t3, p->x, t0);
	fe_add(x3, p->x, t0);
	fe_mul(t3, t3, x3);
	fe_dbl(x3, t3);
	fe_add(t3, x3, t3);            /* alpha */
	fe_add(r->z, p->y, p->z);
	fe_sqr(r->z, r->z);
	fe_sub(r->z, r->z, t1);
	fe_sub(r->z, r->z, t0);        /* Z3 = (Y + Z)^2 - gamma - delta */
	fe_dbl(t2, t2);
	fe_dbl(t2, t2);                /* 4 beta */
	fe_sqr(x3, t3);
	fe_sub(x3, x3, t2);
	fe_sub(x3, x3, t2);            /* X3 = alpha^2 - 8 beta */
	fe_sub(t2, t2, x3);
	fe_mul(t2, t3, t2);            /* alpha (4 beta - X3) */
	fe_sqr(t1, t1);
	fe_dbl(t1, t1);
	fe_dbl(t1, t1);
	fe_dbl(t1, t1);                /* 8 gamma^2 */
	fe_sub(r->y, t2, t1);
	bn_copy(r->x, x3);
}

void ec_add_affine(ec_jac *r, const ec_jac *p, const uint32_t x[8], const uint32_t y[8],
		   const ec_curve *c)
{
	uint32_t z1z1[8], u2[8], s2[8], h[8], hh[8], i4[8], j[8], rr[8], v[8], t[8];

	if (bn_is_zero(p->z)) {
		bn_copy(r->x, x);
		bn_copy(r->y, y);
		bn_set_u32(r->z, 1);
		return;
	}
	fe_sqr(z1z1, p->z);
	fe_mul(u2, x, z1z1);
	fe_mul(s2, y, p->z);
	fe_mul(s2, s2, z1z1);
	fe_sub(h, u2, p->x);
	fe_sub(rr, s2, p->y);
	if (bn_is_zero(h)) {
		if (bn_is_zero(rr))
			ec_double(r, p, c);   /* same point */
		else
			set_inf(r);           /* p = -(x, y) */
		return;
	}
	fe_dbl(rr, rr);                /* r = 2 (S2 - Y1) */
	fe_sqr(hh, h);
	fe_dbl(i4, hh);
	fe_dbl(i4, i4);                /* I = 4 HH */
	fe_mul(j, h, i4);              /* J = H I */
	fe_mul(v, p->x, i4);           /* V = X1 I */
	fe_add(t, p->z, h);
	fe_sqr(t, t);
	fe_sub(t, t, z1z1);
	fe_sub(r->z, t, hh);           /* Z3 = (Z1 + H)^2 - Z1Z1 - HH */
	fe_mul(t, p->y, j);
	fe_dbl(t, t);                  /* 2 Y1 J */
	fe_sqr(u2, rr);
	fe_sub(u2, u2, j);
	fe_sub(u2, u2, v);
	fe_sub(u2, u2, v);             /* X3 = r^2 - J - 2V */
	fe_sub(v, v, u2);
	fe_mul(v, rr, v);
	fe_sub(r->y, v, t);            /* Y3 = r (V - X3) - 2 Y1 J */
	bn_copy(r->x, u2);
}

void ec_add(ec_jac *r, const ec_jac *p, const ec_jac *q, const uint32_t qy[8], const ec_curve *c)
{
	uint32_t z1z1[8], z2z2[8], u1[8], u2[8], s1[8], s2[8], h[8], i[8], j[8], rr[8], v[8];

	if (bn_is_zero(q->z)) {
		if (r != p)
			*r = *p;
		return;
	}
	if (bn_is_zero(p->z)) {
		bn_copy(r->x, q->x);
		bn_copy(r->y, qy);
		bn_copy(r->z, q->z);
		return;
	}
	fe_sqr(z1z1, p->z);
	fe_sqr(z2z2, q->z);
	fe_mul(u1, p->x, z2z2);
	fe_mul(u2, q->x, z1z1);
	fe_mul(s1, p->y, q->z);
	fe_mul(s1, s1, z2z2);
	fe_mul(s2, qy, p->z);
	fe_mul(s2, s2, z1z1);
	fe_sub(h, u2, u1);
	fe_sub(rr, s2, s1);
	if (bn_is_zero(h)) {
		if (bn_is_zero(rr))
			ec_double(r, p, c);
		else
			set_inf(r);
		return;
	}
	fe_dbl(rr, rr);                /* r = 2 (S2 - S1) */
	fe_dbl(i, h);
	fe_sqr(i, i);                  /* I = (2H)^2 */
	fe_mul(j, h, i);               /* J = H I */
	fe_mul(v, u1, i);              /* V = U1 I */
	fe_add(u2, p->z, q->z);
	fe_sqr(u2, u2);
	fe_sub(u2, u2, z1z1);
	fe_sub(u2, u2, z2z2);
	fe_mul(r->z, u2, h);           /* Z3 = ((Z1 + Z2)^2 - Z1Z1 - Z2Z2) H */
	fe_sqr(u2, rr);
	fe_sub(u2, u2, j);
	fe_sub(u2, u2, v);
	fe_sub(u2, u2, v);             /* X3 = r^2 - J - 2V */
	fe_mul(s1, s1, j);
	fe_dbl(s1, s1);                /* 2 S1 J */
	fe_sub(v, v, u2);
	fe_mul(v, rr, v);
	fe_sub(r->y, v, s1);           /* Y3 = r (V - X3) - 2 S1 J */
	bn_copy(r->x, u2);
}

int ec_on_curve(const ec_aff *q, const ec_curve *c)
{
	uint32_t lhs[8], rhs[8], t[8];

	if (bn_cmp(q->x, fe_p) >= 0 || bn_cmp(q->y, fe_p) >= 0)
		return 0;
	fe_sqr(lhs, q->y);
	fe_sqr(rhs, q->x);
	fe_mul(rhs, rhs, q->x);
	if (c->a_minus3) {
		fe_dbl(t, q->x);
		fe_add(t, t, q->x);
		fe_sub(rhs, rhs, t);
	}
	fe_add(rhs, rhs, c->b);
	return bn_eq(lhs, rhs);
}

/* d = d >> s over 9 limbs, 0 < s < 32. */
static void shr9(uint32_t d[9], int s)
{
	for (int i = 0; i < 8; i++)
		d[i] = (d[i] >> s) | (d[i + 1] << (32 - s));
	d[8] >>= s;
}

static int ctz32(uint32_t x)
{
	int n = 0;
	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
}

int ec_wnaf(int8_t out[257], const uint32_t k[8], int w)
{
	uint32_t d[9];
	int i = 0, last = 0;

	for (int j = 0; j < 257; j++)
		out[j] = 0;
	bn_copy(d, k);
	d[8] = 0;
	for (;;) {
		int nz = 0;
		for (int j = 0; j < 9; j++)
			nz |= d[j] != 0;
		if (!nz)
			break;
		if (d[0] == 0) {   /* skip a whole zero limb */
			for (int j = 0; j < 8; j++)
				d[j] = d[j + 1];
			d[8] = 0;
			i += 32;
			continue;
		}
		if (!(d[0] & 1)) {
			int s = ctz32(d[0]);
			shr9(d, s);
			i += s;
		}
		/* d is odd: digit = d mods 2^w, then d - digit is divisible by 2^w */
		int32_t v = (int32_t)(d[0] & ((1u << w) - 1));
		if (v >= (1 << (w - 1)))
			v -= 1 << w;
		out[i] = (int8_t)v;
		last = i;
		if (v > 0) {
			uint32_t b = (uint32_t)v;
			for (int j = 0; j < 9 && b; j++) {
				uint32_t x = d[j];
				d[j] = x - b;
				b = x < b;
			}
		} else {
			uint32_t cy = (uint32_t)(-v);
			for (int j = 0; j < 9 && cy; j++) {
				d[j] += cy;
				cy = d[j] < cy;
			}
		}
		shr9(d, w);
		i += w;
	}
	return i == 0 ? 0 : last + 1;
}

void ec_mul2(ec_jac *r, const uint32_t u1[8], const uint32_t u2[8], const ec_aff *q, const ec_curve *c)
{
	int8_t n1[257], n2[257];
	ec_jac qtab[1 << (QWIN - 2)], q2;
	uint32_t ny[8];

	/* Q, 3Q, 5Q, ..., 15Q */
	bn_copy(qtab[0].x, q->x);
	bn_copy(qtab[0].y, q->y);
	bn_set_u32(qtab[0].z, 1);
	ec_double(&q2, &qtab[0], c);
	for (int i = 1; i < (1 << (QWIN - 2)); i++) {
		qtab[i] = qtab[i - 1];
		ec_add(&qtab[i], &qtab[i], &q2, q2.y, c);
	}

	int l1 = ec_wnaf(n1, u1, c->gwin);
	int l2 = ec_wnaf(n2, u2, QWIN);
	int len = l1 > l2 ? l1 : l2;
	set_inf(r);
	for (int i = len - 1; i >= 0; i--) {
		if (!bn_is_zero(r->z))
			ec_double(r, r, c);
		int d = n1[i];
		if (d > 0) {
			const ec_aff *g = &c->gtab[d >> 1];
			ec_add_affine(r, r, g->x, g->y, c);
		} else if (d < 0) {
			const ec_aff *g = &c->gtab[(-d) >> 1];
			fe_neg(ny, g->y);
			ec_add_affine(r, r, g->x, ny, c);
		}
		d = n2[i];
		if (d > 0) {
			const ec_jac *t = &qtab[d >> 1];
			ec_add(r, r, t, t->y, c);
		} else if (d < 0) {
			const ec_jac *t = &qtab[(-d) >> 1];
			fe_neg(ny, t->y);
			ec_add(r, r, t, ny, c);
		}
	}
}

int ec_x_equals_mod_n(const ec_jac *r, const uint32_t t[8], const ec_curve *c)
{
	uint32_t z2[8], x[8], tn[8];

	if (bn_is_zero(r->z))
		return 0;
	fe_sqr(z2, r->z);
	fe_mul(x, t, z2);
	if (bn_eq(x, r->x))
		return 1;
	/* x(R) lies in [0, p) and p < 2n, so x(R) mod n = t also when x(R) = t + n */
	if (bn_add(tn, t, c->n.m) || bn_cmp(tn, fe_p) >= 0)
		return 0;
	fe_mul(x, tn, z2);
	return bn_eq(x, r->x);
}
