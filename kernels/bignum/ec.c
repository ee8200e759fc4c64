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

/* r = c1 = round(k g / 2^384) for a 256-bit g: bits 384.. of k g, rounded. */
static void mul_shift384(uint32_t r[8], const uint32_t k[8], const uint32_t g[8])
{
	uint32_t t[16];
	bn_mul(t, k, g);
	uint32_t c = t[11] >> 31;
	for (int i = 0; i < 4; i++) {
		r[i] = t[12 + i] + c;
		c = r[i] < c;
	}
	for (int i = 4; i < 8; i++)
		r[i] = 0;
}

/* lo = a b mod 2^256 */
static void mul_lo(uint32_t lo[8], const uint32_t a[8], const uint32_t b[8])
{
	uint32_t t[16];
	bn_mul(t, a, b);
	bn_copy(lo, t);
}

/* Two's complement value x (mod 2^256) to magnitude and sign. */
static int abs_signed(uint32_t x[8])
{
	uint32_t zero[8] = {0};
	if (!(x[7] >> 31))
		return 0;
	bn_sub(x, zero, x);
	return 1;
}

void ec_glv_split(uint32_t k1[8], int *neg1, uint32_t k2[8], int *neg2, const uint32_t k[8],
		  const ec_curve *c)
{
	uint32_t c1[8], c2[8], t[8];

	/* The results are small, so they are exact when computed mod 2^256. */
	mul_shift384(c1, k, c->g1);
	mul_shift384(c2, k, c->g2);
	mul_lo(t, c1, c->a1);
	bn_sub(k1, k, t);
	mul_lo(t, c2, c->a2);
	bn_sub(k1, k1, t);           /* k1 = k - c1 a1 - c2 a2 */
	mul_lo(k2, c1, c->mb1);
	mul_lo(t, c2, c->a1);
	bn_sub(k2, k2, t);           /* k2 = -c1 b1 - c2 b2 */
	*neg1 = abs_signed(k1);
	*neg2 = abs_signed(k2);
}

/* One term of the joint scalar multiplication: wNAF digits over a table of
 * odd multiples, either affine (from flash) or Jacobian (the public key). */
typedef struct {
	int8_t naf[257];
	int len;
	int neg;               /* the scalar is negative: use -digit */
	const ec_aff *aff;
	const ec_jac *jac;
} ec_term;

static void add_term(ec_jac *r, const ec_term *t, int i, const ec_curve *c)
{
	uint32_t ny[8];
	int d = t->naf[i];
	if (d == 0)
		return;
	int neg = (d < 0) ^ t->neg;
	int idx = (d < 0 ? -d : d) >> 1;
	if (t->aff) {
		const ec_aff *g = &t->aff[idx];
		if (neg) {
			fe_neg(ny, g->y);
			ec_add_affine(r, r, g->x, ny, c);
		} else {
			ec_add_affine(r, r, g->x, g->y, c);
		}
	} else {
		const ec_jac *q = &t->jac[idx];
		if (neg) {
			fe_neg(ny, q->y);
			ec_add(r, r, q, ny, c);
		} else {
			ec_add(r, r, q, q->y, c);
		}
	}
}

#define QTAB (1 << (QWIN - 2))

void ec_mul2(ec_jac *r, const uint32_t u1[8], const uint32_t u2[8], const ec_aff *q, const ec_curve *c)
{
	ec_term terms[4];
	ec_jac qtab[QTAB], lqtab[QTAB], q2;
	int nterms;

	/* Q, 3Q, 5Q, ..., 15Q */
	bn_copy(qtab[0].x, q->x);
	bn_copy(qtab[0].y, q->y);
	bn_set_u32(qtab[0].z, 1);
	ec_double(&q2, &qtab[0], c);
	for (int i = 1; i < QTAB; i++) {
		qtab[i] = qtab[i - 1];
		ec_add(&qtab[i], &qtab[i], &q2, q2.y, c);
	}
	for (int i = 0; i < 4; i++) {
		terms[i].aff = 0;
		terms[i].jac = 0;
		terms[i].neg = 0;
	}
	if (c->glv_gtab) {
		uint32_t k1[8], k2[8];
		/* lambda (X, Y, Z) = (beta X, Y, Z) */
		for (int i = 0; i < QTAB; i++) {
			fe_mul(lqtab[i].x, qtab[i].x, c->beta);
			bn_copy(lqtab[i].y, qtab[i].y);
			bn_copy(lqtab[i].z, qtab[i].z);
		}
		ec_glv_split(k1, &terms[0].neg, k2, &terms[1].neg, u1, c);
		terms[0].len = ec_wnaf(terms[0].naf, k1, c->gwin);
		terms[0].aff = c->gtab;
		terms[1].len = ec_wnaf(terms[1].naf, k2, c->gwin);
		terms[1].aff = c->glv_gtab;
		ec_glv_split(k1, &terms[2].neg, k2, &terms[3].neg, u2, c);
		terms[2].len = ec_wnaf(terms[2].naf, k1, QWIN);
		terms[2].jac = qtab;
		terms[3].len = ec_wnaf(terms[3].naf, k2, QWIN);
		terms[3].jac = lqtab;
		nterms = 4;
	} else {
		terms[0].len = ec_wnaf(terms[0].naf, u1, c->gwin);
		terms[0].aff = c->gtab;
		terms[1].len = ec_wnaf(terms[1].naf, u2, QWIN);
		terms[1].jac = qtab;
		nterms = 2;
	}
	int len = 0;
	for (int j = 0; j < nterms; j++)
		if (terms[j].len > len)
			len = terms[j].len;
	set_inf(r);
	for (int i = len - 1; i >= 0; i--) {
		if (!bn_is_zero(r->z))
			ec_double(r, r, c);
		for (int j = 0; j < nterms; j++)
			add_term(r, &terms[j], i, c);
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
