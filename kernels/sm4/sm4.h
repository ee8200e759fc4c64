/* SM4 block encryption (GB/T 32907-2016): key schedule and ECB. */
#ifndef SM4_H
#define SM4_H

#include <stdint.h>

#define SM4_ROUNDS 32

/* The 32 round keys rk[i], in the word representation of the variant
 * (big-endian values, or byte-reversed ones with Zksed; see sm4.c). */
void sm4_key_schedule(uint32_t rk[SM4_ROUNDS], const uint8_t key[16]);

/* Encrypts nblocks 16-byte blocks; in and out must be 4-byte aligned. */
void sm4_ecb_encrypt(const uint32_t rk[SM4_ROUNDS], const uint8_t *in, uint8_t *out, uint32_t nblocks);

#endif
