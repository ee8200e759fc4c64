/* SM3 (GB/T 32905-2016) core shared by the sm3 and merkle_sm3 kernels.
 * States and message words are the big-endian words of the standard. */
#ifndef SM3_CORE_H
#define SM3_CORE_H

#include <stdint.h>

extern const uint32_t sm3_iv[8];

/* Compress `nblocks` 64-byte blocks at a 4-byte aligned address. */
void sm3_blocks(uint32_t state[8], const uint8_t *data, uint32_t nblocks);

/* Compress one block given as 16 already-decoded message words. */
void sm3_compress_words(uint32_t state[8], const uint32_t w[16]);

/* One-shot SM3 of any length at any alignment. */
void sm3(const uint8_t *msg, uint32_t len, uint8_t digest[32]);

#endif
