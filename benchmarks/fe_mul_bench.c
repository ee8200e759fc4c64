/* Micro-benchmark of one 256-bit modular multiplication (fe_mul of the field
 * linked with it): FE_MUL_N chained products, then the result in hex, so the
 * difference of two runs with different FE_MUL_N is the cost of the
 * products alone.  Built by xchain_cycles.py; not a kernel of the catalogue. */
#include "chainrv.h"
#include "../kernels/bignum/fe.h"

#ifndef FE_MUL_N
#define FE_MUL_N 1000
#endif

int main(void)
{
	uint32_t a[8] = {0x16F81798, 0x59F2815B, 0x2DCE28D9, 0x029BFCDB,
			 0xCE870B07, 0x55A06295, 0xF9DCBBAC, 0x79BE667E};
	uint32_t b[8] = {0xFB10D4B8, 0x9C47D08F, 0xA6855419, 0xFD17B448,
			 0x0E1108A8, 0x5DA4FBFC, 0x26A3C465, 0x483ADA77};
	for (volatile int i = 0; i < FE_MUL_N; i++)
		fe_mul(a, a, b);
	crv_print_hex(a, 32);
	crv_putc('\n');
	return 0;
}
