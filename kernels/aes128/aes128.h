/* AES-128 encryption (FIPS-197): key schedule and ECB over whole blocks. */
#ifndef AES128_H
#define AES128_H

#include <stdint.h>

#define AES128_RK_WORDS 44

/* Round keys as little-endian words of the FIPS-197 key schedule. */
void aes128_key_schedule(uint32_t rk[AES128_RK_WORDS], const uint8_t key[16]);

/* Encrypts nblocks 16-byte blocks; in and out must be 4-byte aligned. */
void aes128_ecb_encrypt(const uint32_t rk[AES128_RK_WORDS], const uint8_t *in, uint8_t *out,
                        uint32_t nblocks);

#endif
