/* Ethereum's ecrecover precompile (address 0x01) for each 128-byte item of
 * the input block (default: default_vector.h): hash || v || r || s, all
 * 32-byte big-endian words.  Prints the signer's 20-byte address in hex, or
 * "invalid" where the precompile returns nothing.  As the precompile (not
 * transaction validation): high s is accepted, R.x is r itself (never
 * r + n), and v's word must be exactly 27 or 28. */
#include "../bignum/ecrecover.h"
#include "../common/kernel_input.h"
#include "default_vector.h"

#define ITEM_BYTES 128

int main(void)
{
	uint32_t len, count;
	const uint8_t *p = kernel_input(&len, default_vector, sizeof default_vector);

	count = len >= 4 ? p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24) : 0;
	if (len < 4 || count > (len - 4) / ITEM_BYTES || len - 4 != count * ITEM_BYTES) {
		crv_puts("error: input must be a u32 count and count 128-byte items\n");
		return 1;
	}
	p += 4;
	for (uint32_t i = 0; i < count; i++, p += ITEM_BYTES) {
		uint8_t addr[20];
		if (ecrecover(addr, p)) {
			crv_print_hex(addr, 20);
			crv_putc('\n');
		} else {
			crv_puts("invalid\n");
		}
	}
	return 0;
}
