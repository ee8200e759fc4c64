/* The secp256k1 field, p = 2^256 - 2^32 - 977.  Since 2^256 = 2^32 + 977
 * (mod p), the high half H of a product folds into the low half L as
 * L + 977 H + (H << 32); the few bits that spill over 2^256 fold once more. */
#include "bn.h"
#include "fe.h"

#ifdef CHAINRV_XCHAIN
#include "chainrv_xchain.h"
/* as in bn.c: program order keeps the carry chains in few registers */
#pragma GCC optimize("no-schedule-insns")
#endif

const uint32_t fe_p[8] = {
	0xFFFFFC2F, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFF,
	0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF,
};

void fe_reduce(uint32_t r[8], const uint32_t t[16])
{
	uint64_t acc = 0;
	uint32_t hprev = 0;
#ifdef CHAINRV_XCHAIN
	/* r[i] + 2^32 c = 977 h_i + t_i + h_(i-1) + c, c < 979 */
	uint32_t c = 0;
#pragma GCC unroll 8
	for (int i = 0; i < 8; i++) {
		uint32_t h = t[8 + i];
		uint32_t lo = crv_maddlu(h, 977u, t[i]), hi = crv_maddhu(h, 977u, t[i]);
		r[i] = crv_addc(lo, hprev, c);
		c = crv_addco(lo, hprev, c) + hi;
		hprev = h;
	}
	acc = c;
#else
	for (int i = 0; i < 8; i++) {
		uint32_t h = t[8 + i];
		acc += (uint64_t)h * 977u + t[i] + hprev;
		r[i] = (uint32_t)acc;
		acc >>= 32;
		hprev = h;
	}
#endif
	/* top < 2^34: the part at 2^256, folded again the same way */
	uint64_t top = acc + hprev;
	acc = (uint64_t)r[0] + top * 977u;
	r[0] = (uint32_t)acc;
	acc = (acc >> 32) + r[1] + top;
	r[1] = (uint32_t)acc;
	acc >>= 32;
	for (int i = 2; i < 8 && acc; i++) {
		acc += r[i];
		r[i] = (uint32_t)acc;
		acc >>= 32;
	}
	if (acc) {
		/* wrapped past 2^256 once more: the value left is tiny, add 2^32 + 977 */
		acc = (uint64_t)r[0] + 977u;
		r[0] = (uint32_t)acc;
		acc = (acc >> 32) + r[1] + 1u;
		r[1] = (uint32_t)acc;
		for (int i = 2; i < 8 && (acc >> 32); i++) {
			acc = (acc >> 32) + r[i];
			r[i] = (uint32_t)acc;
		}
	}
	/* r >= p only if limbs 2..7 are all ones: then r - p = r + 2^32 + 977 - 2^256 */
	if ((r[7] & r[6] & r[5] & r[4] & r[3] & r[2]) == 0xFFFFFFFF) {
		if (r[1] == 0xFFFFFFFF || (r[1] == 0xFFFFFFFE && r[0] >= 0xFFFFFC2F)) {
			uint32_t d[8];
			bn_sub(d, r, fe_p);
			bn_copy(r, d);
		}
	}
}
