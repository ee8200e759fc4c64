/* Keccak-f[1600], Ethereum's Keccak-256 and SHA3-256 on RV32. */
#ifndef KECCAK_F1600_H
#define KECCAK_F1600_H

#include <stdint.h>

#define KECCAK256_RATE 136 /* bytes: 1600 - 2 x 256 bits of capacity */

/* The permutation; lane x + 5y is s[2(x+5y)], s[2(x+5y)+1] in this build's
 * representation (low/high halves, or even/odd bits with Zbkb). */
void keccak_f1600(uint32_t s[50]);

/* Keccak-256 as Ethereum defines it (original 0x01 padding). */
void keccak256(const uint8_t *msg, uint32_t len, uint8_t out[32]);

/* SHA3-256 (FIPS 202: the same sponge with domain bits 0x06). */
void sha3_256(const uint8_t *msg, uint32_t len, uint8_t out[32]);

#endif
