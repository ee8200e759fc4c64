/* RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996), the outer hash of
 * Bitcoin's hash160. */
#ifndef RIPEMD160_H
#define RIPEMD160_H

#include <stdint.h>

/* Compress `nblocks` 64-byte blocks at a 4-byte aligned address. */
void ripemd160_blocks(uint32_t state[5], const uint8_t *data, uint32_t nblocks);

/* One-shot RIPEMD-160 of any length at any alignment. */
void ripemd160(const uint8_t *msg, uint32_t len, uint8_t digest[20]);

#endif
