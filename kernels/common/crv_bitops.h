/* Word operations shared by the hash kernels, one spelling for every ISA.
 *
 * GCC 12 does not emit Zbkb instructions from plain C (rotates become
 * shift/shift/or, byte swaps call libgcc), so with Zbkb the intrinsics of
 * chainrv_crypto.h are used; without it the portable C forms. Rotate amounts
 * must be compile-time constants in 1..31.
 */
#ifndef CRV_BITOPS_H
#define CRV_BITOPS_H

#include <stdint.h>

#include "chainrv_crypto.h"

#if defined(__riscv_zbkb)
#define ROR32(x, n) crv_rori((uint32_t)(x), (n))
#define ROL32(x, n) crv_rori((uint32_t)(x), 32 - (n))
#define ANDN(a, b) crv_andn((a), (b)) /* a & ~b */
#define BSWAP32(x) crv_rev8(x)
#else
#define ROR32(x, n) ((uint32_t)(((uint32_t)(x) >> (n)) | ((uint32_t)(x) << (32 - (n)))))
#define ROL32(x, n) ((uint32_t)(((uint32_t)(x) << (n)) | ((uint32_t)(x) >> (32 - (n)))))
#define ANDN(a, b) ((a) & ~(b))
static inline uint32_t crv_bswap32_c(uint32_t x)
{
    /* Two mask steps: cheaper on rv32im than four byte extracts. */
    x = ((x & 0x00FF00FFu) << 8) | ((x >> 8) & 0x00FF00FFu);
    return (x << 16) | (x >> 16);
}
#define BSWAP32(x) crv_bswap32_c(x)
#endif

/* Big-endian word at a 4-byte aligned address (little-endian core). */
static inline uint32_t load_be32_aligned(const uint8_t *p)
{
    uint32_t w;
    __builtin_memcpy(&w, __builtin_assume_aligned(p, 4), 4);
    return BSWAP32(w);
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void store_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif
