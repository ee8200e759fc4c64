/* Shared frame of the block-cipher kernels: the input block holds a 16-byte
 * key and whole 16-byte plaintext blocks; the ciphertext goes to RAM and the
 * kernel prints the XOR of all ciphertext blocks (the ciphertext itself for a
 * single block), so that UART output stays small next to the measured work. */
#ifndef ECB_KERNEL_H
#define ECB_KERNEL_H

#include <stdint.h>

#include "kernel_input.h"

/* The key and plaintext (from the input block, else the default vector);
 * NULL after printing an error line when the length is not 16 + 16k. */
static inline const uint8_t *ecb_input(const uint8_t *dflt, uint32_t dflt_len, uint32_t *nblocks)
{
    uint32_t len;
    const uint8_t *in = kernel_input(&len, dflt, dflt_len);
    if (len < 16 || (len - 16) % 16 != 0) {
        crv_puts("error: input must be a 16-byte key and whole 16-byte blocks\n");
        return 0;
    }
    *nblocks = (len - 16) / 16;
    return in;
}

static inline void ecb_print_fold(const uint8_t *ciphertext, uint32_t nblocks)
{
    uint32_t fold[4] = {0, 0, 0, 0};
    const uint32_t *c = (const uint32_t *)ciphertext;
    for (uint32_t i = 0; i < nblocks * 4; i += 4)
        for (int j = 0; j < 4; j++)
            fold[j] ^= c[i + j];
    crv_print_hex(fold, 16);
    crv_putc('\n');
}

#endif
