/* Whole-SoC smoke program: arithmetic, M extension, memory, calls, a crypto
 * instruction, UART output and a non-zero exit code through the finisher. */
#include <stdint.h>
#include "chainrv.h"
#include "chainrv_crypto.h"

static uint32_t table[16];

static uint32_t mix(uint32_t x, uint32_t y)
{
	return (x * 2654435761u) ^ (y / 7u) ^ (uint32_t)((int32_t)x % -13);
}

int main(void)
{
	uint32_t acc = 0x12345678u;
	for (int i = 0; i < 16; i++)
		table[i] = mix(acc + (uint32_t)i, acc >> i);
	for (int i = 0; i < 16; i++)
		acc = (acc << 5 | acc >> 27) + table[15 - i];
#ifdef __riscv_zknh
	acc ^= crv_sha256sig0(acc);
#endif
	uint8_t bytes[4] = {(uint8_t)acc, (uint8_t)(acc >> 8), (uint8_t)(acc >> 16), (uint8_t)(acc >> 24)};
	crv_puts("smoke ");
	crv_print_hex(bytes, 4);
	crv_puts(" ");
	crv_print_u32(acc % 1000u);
	crv_puts("\n");
	crv_exit(3);
}
