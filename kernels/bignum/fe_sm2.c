/* The SM2 field (GB/T 32918.5), p = 2^256 - 2^224 - 2^96 + 2^64 - 1.
 * Solinas reduction: 2^256 = 2^224 + 2^96 - 2^64 + 1 (mod p), so each high
 * word t[j] (j = 8..15) equals a small signed combination of the words
 * 2^(32k), k = 0..7.  Summed per output word:
 *   r0 = t0 + t8 + t9 + t10 + t11 + t12 + 2 (t13 + t14 + t15)
 *   r1 = t1 + t9 + t10 + t11 + t12 + t13 + 2 (t14 + t15)
 *   r2 = t2 - t8 - t9 - t13 - t14
 *   r3 = t3 + t8 + t11 + t12 + 2 t13 + t14 + t15
 *   r4 = t4 + t9 + t12 + t13 + 2 t14 + t15
 *   r5 = t5 + t10 + t13 + t14 + 2 t15
 *   r6 = t6 + t11 + t14 + t15
 *   r7 = t7 + t8 + t9 + t10 + t11 + 2 t12 + 2 t13 + 2 t14 + 3 t15
 * added word by word with a signed carry, then the carry folded again. */
#include "bn.h"
#include "fe.h"

const uint32_t fe_p[8] = {
	0xFFFFFFFF, 0xFFFFFFFF, 0x00000000, 0xFFFFFFFF,
	0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFE,
};

void fe_reduce(uint32_t r[8], const uint32_t t[16])
{
	uint32_t t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7];
	uint32_t t8 = t[8], t9 = t[9], t10 = t[10], t11 = t[11];
	uint32_t t12 = t[12], t13 = t[13], t14 = t[14], t15 = t[15];
	/* shared partial sums of the table */
	uint64_t d = (uint64_t)t14 + t15;
	uint64_t tt = d + t13;
	uint64_t x = (uint64_t)t9 + t10 + t11 + t12;
	int64_t acc;

	acc = (int64_t)((uint64_t)t0 + t8 + x + 2 * tt);
	r[0] = (uint32_t)acc;
	acc >>= 32;
	acc += (int64_t)((uint64_t)t1 + x + t13 + 2 * d);
	r[1] = (uint32_t)acc;
	acc >>= 32;
	acc += (int64_t)t2 - (int64_t)((uint64_t)t8 + t9 + t13 + t14);
	r[2] = (uint32_t)acc;
	acc >>= 32;
	acc += (int64_t)((uint64_t)t3 + t8 + t11 + t12 + t13 + tt);
	r[3] = (uint32_t)acc;
	acc >>= 32;
	acc += (int64_t)((uint64_t)t4 + t9 + t12 + t13 + t14 + d);
	r[4] = (uint32_t)acc;
	acc >>= 32;
	acc += (int64_t)((uint64_t)t5 + t10 + t13 + t15 + d);
	r[5] = (uint32_t)acc;
	acc >>= 32;
	acc += (int64_t)((uint64_t)t6 + t11 + d);
	r[6] = (uint32_t)acc;
	acc >>= 32;
	acc += (int64_t)((uint64_t)t7 + t8 + x + t12 + t15 + 2 * tt);
	r[7] = (uint32_t)acc;
	acc >>= 32;
	/* acc is now a small signed multiple of 2^256: fold it the same way */
	while (acc != 0) {
		int64_t c = acc;
		acc += r[0];
		r[0] = (uint32_t)acc;
		acc >>= 32;
		acc += r[1];
		r[1] = (uint32_t)acc;
		acc >>= 32;
		acc += (int64_t)r[2] - c;
		r[2] = (uint32_t)acc;
		acc >>= 32;
		acc += (int64_t)r[3] + c;
		r[3] = (uint32_t)acc;
		acc >>= 32;
		for (int i = 4; i < 7; i++) {
			acc += r[i];
			r[i] = (uint32_t)acc;
			acc >>= 32;
		}
		acc += (int64_t)r[7] + c;
		r[7] = (uint32_t)acc;
		acc >>= 32;
	}
	if (r[7] >= 0xFFFFFFFE && bn_cmp(r, fe_p) >= 0) {
		uint32_t d[8];
		bn_sub(d, r, fe_p);
		bn_copy(r, d);
	}
}
