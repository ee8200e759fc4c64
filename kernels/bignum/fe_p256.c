/* The NIST P-256 field (FIPS 186-4, D.1.2.3), p = 2^256 - 2^224 + 2^192 +
 * 2^96 - 1.  Solinas reduction: 2^256 = 2^224 - 2^192 - 2^96 + 1 (mod p), so
 * the high words t[8..15] fold into the low ones as the sums s1 + 2 s2 +
 * 2 s3 + s4 + s5 - d1 - d2 - d3 - d4 of FIPS 186-4, D.2.3.  Per output word:
 *   r0 = t0 + t8 + t9 - t11 - t12 - t13 - t14
 *   r1 = t1 + t9 + t10 - t12 - t13 - t14 - t15
 *   r2 = t2 + t10 + t11 - t13 - t14 - t15
 *   r3 = t3 + 2 (t11 + t12) + t13 - t15 - t8 - t9
 *   r4 = t4 + 2 (t12 + t13) + t14 - t9 - t10
 *   r5 = t5 + 2 (t13 + t14) + t15 - t10 - t11
 *   r6 = t6 + 3 t14 + 2 t15 + t13 - t8 - t9
 *   r7 = t7 + 3 t15 + t8 - t10 - t11 - t12 - t13
 * added word by word with a signed carry, then the carry folded again. */
#include "bn.h"
#include "fe.h"

/* program order keeps the pair sums in registers (pre-RA scheduling spills) */
#pragma GCC optimize("no-schedule-insns")

const uint32_t fe_p[8] = {
	0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0x00000000,
	0x00000000, 0x00000000, 0x00000001, 0xFFFFFFFF,
};

/* A word and its signed carry, summed in 32-bit registers (GCC's 64-bit
 * sums of this table spill on rv32). */
typedef struct {
	uint32_t lo;
	int32_t hi;
} acc32;

static inline void add(acc32 *a, uint32_t x)
{
	a->lo += x;
	a->hi += a->lo < x;
}

static inline void sub(acc32 *a, uint32_t x)
{
	a->hi -= a->lo < x;
	a->lo -= x;
}

/* a 33-bit sum x + y */
static inline acc32 pair(uint32_t x, uint32_t y)
{
	acc32 p = {x + y, 0};
	p.hi = p.lo < x;
	return p;
}

static inline acc32 twice(acc32 p)
{
	acc32 d = {p.lo << 1, (p.hi << 1) | (int32_t)(p.lo >> 31)};
	return d;
}

/* 3 x in two words (mul and mulhu take a cycle each, three adds take nine) */
static inline acc32 times3(uint32_t x)
{
	acc32 p = {x * 3, (int32_t)(((uint64_t)x * 3) >> 32)};
	return p;
}

static inline void addp(acc32 *a, acc32 p)
{
	a->lo += p.lo;
	a->hi += (a->lo < p.lo) + p.hi;
}

static inline void subp(acc32 *a, acc32 p)
{
	a->hi -= (a->lo < p.lo) + p.hi;
	a->lo -= p.lo;
}

/* a small signed v */
static inline void adds(acc32 *a, int32_t v)
{
	a->hi += v >> 31;
	add(a, (uint32_t)v);
}

/* the word w plus the carry of the word below */
static inline acc32 start(uint32_t w, int32_t c)
{
	acc32 a = {w, 0};
	adds(&a, c);
	return a;
}

void fe_reduce(uint32_t r[8], const uint32_t t[16])
{
	/* the table in sums of neighbouring words, each used two or three times:
	 * r0 = t0 + A - D - F, r1 = t1 + B - E - H, r2 = t2 + C - F - t15,
	 * r3 = t3 + 2 D + t13 - t15 - A, r4 = t4 + 2 E + t14 - B,
	 * r5 = t5 + 2 F + t15 - C, r6 = t6 + 2 H + F - A, r7 = t7 + 3 t15 + t8 - C - E */
	acc32 A = pair(t[8], t[9]), B = pair(t[9], t[10]), C = pair(t[10], t[11]);
	acc32 D = pair(t[11], t[12]), E = pair(t[12], t[13]), F = pair(t[13], t[14]);
	acc32 H = pair(t[14], t[15]);
	acc32 a = {t[0], 0};
	int32_t c;

	addp(&a, A);
	subp(&a, D);
	subp(&a, F);
	r[0] = a.lo;
	a = start(t[1], a.hi);
	addp(&a, B);
	subp(&a, E);
	subp(&a, H);
	r[1] = a.lo;
	a = start(t[2], a.hi);
	addp(&a, C);
	subp(&a, F);
	sub(&a, t[15]);
	r[2] = a.lo;
	a = start(t[3], a.hi);
	addp(&a, twice(D));
	add(&a, t[13]);
	sub(&a, t[15]);
	subp(&a, A);
	r[3] = a.lo;
	a = start(t[4], a.hi);
	addp(&a, twice(E));
	add(&a, t[14]);
	subp(&a, B);
	r[4] = a.lo;
	a = start(t[5], a.hi);
	addp(&a, twice(F));
	add(&a, t[15]);
	subp(&a, C);
	r[5] = a.lo;
	a = start(t[6], a.hi);
	addp(&a, twice(H));
	addp(&a, F);
	subp(&a, A);
	r[6] = a.lo;
	a = start(t[7], a.hi);
	addp(&a, times3(t[15]));
	add(&a, t[8]);
	subp(&a, C);
	subp(&a, E);
	r[7] = a.lo;
	c = a.hi;
	/* c is now a small signed multiple of 2^256: fold it the same way.  It
	 * moves words 0, 3, 6 and 7; a carry into the others is rare, so they
	 * are touched only then.  Each pass adds or subtracts about p, so a
	 * second one is rare too. */
	if (__builtin_expect(c != 0, 1)) do {
		int32_t k = c;
		a = start(r[0], k);
		r[0] = a.lo;
		for (int i = 1; i < 3 && __builtin_expect(a.hi != 0, 0); i++) {
			a = start(r[i], a.hi);
			r[i] = a.lo;
		}
		a = start(r[3], a.hi);
		adds(&a, -k);
		r[3] = a.lo;
		for (int i = 4; i < 6 && __builtin_expect(a.hi != 0, 0); i++) {
			a = start(r[i], a.hi);
			r[i] = a.lo;
		}
		a = start(r[6], a.hi);
		adds(&a, -k);
		r[6] = a.lo;
		a = start(r[7], a.hi);
		adds(&a, k);
		r[7] = a.lo;
		c = a.hi;
	} while (__builtin_expect(c != 0, 0));
	if (r[7] == 0xFFFFFFFF && bn_cmp(r, fe_p) >= 0) {
		uint32_t d[8];
		bn_sub(d, r, fe_p);
		bn_copy(r, d);
	}
}
