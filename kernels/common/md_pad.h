/* Merkle-Damgard message feeding shared by SHA-256, SM3 and RIPEMD-160: all
 * pad with 0x80, zeros and the 64-bit bit length (big-endian for SHA-256 and
 * SM3, little-endian for RIPEMD-160). */
#ifndef MD_PAD_H
#define MD_PAD_H

#include <stdint.h>

#include "crv_bitops.h"

/* Compresses `nblocks` 64-byte blocks at a 4-byte aligned address. */
typedef void (*md_blocks_fn)(uint32_t state[], const uint8_t *data, uint32_t nblocks);

/* Hash `msg` into `st` (initialised by the caller). Whole blocks of an
 * aligned message are compressed in place; those of a misaligned one, and
 * the tail with the padding, go through an aligned buffer. */
static inline __attribute__((always_inline)) void md_hash_endian(const uint8_t *msg, uint32_t len,
                                                                 uint32_t st[], md_blocks_fn blocks,
                                                                 int little_endian_length)
{
    uint32_t buf[32];
    uint8_t *b = (uint8_t *)buf;
    uint32_t full = len / 64;
    if (((uintptr_t)msg & 3) == 0) {
        blocks(st, msg, full);
    } else {
        for (uint32_t i = 0; i < full; i++) {
            __builtin_memcpy(b, msg + 64 * i, 64);
            blocks(st, b, 1);
        }
    }
    uint32_t rem = len % 64;
    __builtin_memcpy(b, msg + 64 * full, rem);
    b[rem] = 0x80;
    uint32_t tail = rem < 56 ? 64 : 128;
    for (uint32_t i = rem + 1; i < tail - 8; i++)
        b[i] = 0;
    if (little_endian_length) {   /* a constant: one branch is compiled */
        store_le32(b + tail - 8, len << 3);
        store_le32(b + tail - 4, len >> 29);
    } else {
        store_be32(b + tail - 8, len >> 29);
        store_be32(b + tail - 4, len << 3);
    }
    blocks(st, b, tail / 64);
}

static inline __attribute__((always_inline)) void md_hash(const uint8_t *msg, uint32_t len, uint32_t st[],
                                                          md_blocks_fn blocks)
{
    md_hash_endian(msg, len, st, blocks, 0);
}

#endif
