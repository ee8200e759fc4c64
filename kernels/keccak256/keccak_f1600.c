/* Keccak-f[1600] on 32-bit words and Ethereum's Keccak-256 sponge.
 *
 * A lane is two 32-bit words. Base rv32im: (low half, high half), so a
 * 64-bit rotate costs four shifts and two ors. Zbkb: bit-interleaved
 * (even bits, odd bits), so a 64-bit rotate is two 32-bit rori and chi uses
 * andn; lanes are converted with unzip/pack on the way in and pack/zip on
 * the way out.
 *
 * A round reads state `a` and writes `e` (theta, rho and pi fused into the
 * loads of each output row, then chi and iota); rounds alternate between
 * the two buffers.
 */
#include "keccak_f1600.h"

#include "../common/crv_bitops.h"

#if defined(__riscv_zbkb)
#define INTERLEAVED 1
/* Round constants, each as (even bits, odd bits). */
static const uint32_t keccak_rc[48] = {
    0x00000001, 0x00000000, 0x00000000, 0x00000089, 0x00000000, 0x8000008b, 0x00000000, 0x80008080,
    0x00000001, 0x0000008b, 0x00000001, 0x00008000, 0x00000001, 0x80008088, 0x00000001, 0x80000082,
    0x00000000, 0x0000000b, 0x00000000, 0x0000000a, 0x00000001, 0x00008082, 0x00000000, 0x00008003,
    0x00000001, 0x0000808b, 0x00000001, 0x8000000b, 0x00000001, 0x8000008a, 0x00000001, 0x80000081,
    0x00000000, 0x80000081, 0x00000000, 0x80000008, 0x00000000, 0x00000083, 0x00000000, 0x80008003,
    0x00000001, 0x80008088, 0x00000000, 0x80000088, 0x00000001, 0x00008000, 0x00000000, 0x80008082,
};
#else
#define INTERLEAVED 0
/* Round constants, each as (low half, high half). */
static const uint32_t keccak_rc[48] = {
    0x00000001, 0x00000000, 0x00008082, 0x00000000, 0x0000808a, 0x80000000, 0x80008000, 0x80000000,
    0x0000808b, 0x00000000, 0x80000001, 0x00000000, 0x80008081, 0x80000000, 0x00008009, 0x80000000,
    0x0000008a, 0x00000000, 0x00000088, 0x00000000, 0x80008009, 0x00000000, 0x8000000a, 0x00000000,
    0x8000808b, 0x00000000, 0x0000008b, 0x80000000, 0x00008089, 0x80000000, 0x00008003, 0x80000000,
    0x00008002, 0x80000000, 0x00000080, 0x80000000, 0x0000800a, 0x00000000, 0x8000000a, 0x80000000,
    0x80008081, 0x80000000, 0x00008080, 0x80000000, 0x80000001, 0x00000000, 0x80008008, 0x80000000,
};
#endif

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* rol32 by a constant k in 0..32 (0 and 32 leave x unchanged). */
ALWAYS_INLINE uint32_t rol32k(uint32_t x, const unsigned k)
{
    if ((k & 31) == 0)
        return x;
    return ROL32(x, k & 31);
}

/* (*p0, *p1) = lane (x0, x1) rotated left by the constant n in 0..63. */
ALWAYS_INLINE void rotl_lane(uint32_t *p0, uint32_t *p1, uint32_t x0, uint32_t x1, const unsigned n)
{
#if INTERLEAVED
    if (n & 1) {
        *p0 = rol32k(x1, (n + 1) / 2);
        *p1 = rol32k(x0, n / 2);
    } else {
        *p0 = rol32k(x0, n / 2);
        *p1 = rol32k(x1, n / 2);
    }
#else
    if (n >= 32) {
        uint32_t t = x0;
        x0 = x1;
        x1 = t;
    }
    const unsigned m = n & 31;
    if (m == 0) {
        *p0 = x0;
        *p1 = x1;
    } else {
        *p0 = (x0 << (m & 31)) | (x1 >> ((32 - m) & 31));
        *p1 = (x1 << (m & 31)) | (x0 >> ((32 - m) & 31));
    }
#endif
}

/* Rotation offset (rho) of lane x + 5y. */
static const unsigned char RHO_TABLE[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                                            25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

ALWAYS_INLINE void keccak_round(const uint32_t *a, uint32_t *e, const uint32_t *rc)
{
    uint32_t c[10], d[10];
#pragma GCC unroll 5
    for (unsigned x = 0; x < 5; x++) {
        c[2 * x] = a[2 * x] ^ a[2 * x + 10] ^ a[2 * x + 20] ^ a[2 * x + 30] ^ a[2 * x + 40];
        c[2 * x + 1] = a[2 * x + 1] ^ a[2 * x + 11] ^ a[2 * x + 21] ^ a[2 * x + 31] ^ a[2 * x + 41];
    }
#pragma GCC unroll 5
    for (unsigned x = 0; x < 5; x++) {
        unsigned xm = (x + 4) % 5, xp = (x + 1) % 5;
        uint32_t r0, r1;
        rotl_lane(&r0, &r1, c[2 * xp], c[2 * xp + 1], 1);
        d[2 * x] = c[2 * xm] ^ r0;
        d[2 * x + 1] = c[2 * xm + 1] ^ r1;
    }
#pragma GCC unroll 5
    for (unsigned y = 0; y < 5; y++) {
        uint32_t b[10];
#pragma GCC unroll 5
        for (unsigned x = 0; x < 5; x++) {
            unsigned sx = (x + 3 * y) % 5, si = sx + 5 * x;
            rotl_lane(&b[2 * x], &b[2 * x + 1], a[2 * si] ^ d[2 * sx], a[2 * si + 1] ^ d[2 * sx + 1],
                      RHO_TABLE[si]);
        }
#pragma GCC unroll 5
        for (unsigned x = 0; x < 5; x++) {
            unsigned x1 = (x + 1) % 5, x2 = (x + 2) % 5;
            e[10 * y + 2 * x] = b[2 * x] ^ ANDN(b[2 * x2], b[2 * x1]);
            e[10 * y + 2 * x + 1] = b[2 * x + 1] ^ ANDN(b[2 * x2 + 1], b[2 * x1 + 1]);
        }
    }
    e[0] ^= rc[0];
    e[1] ^= rc[1];
}

void keccak_f1600(uint32_t s[50])
{
    uint32_t t[50];
    const uint32_t *rc = keccak_rc;
    for (int r = 0; r < 24; r += 2, rc += 4) {
        keccak_round(s, t, rc);
        keccak_round(t, s, rc + 2);
    }
}

/* Lane from 8 little-endian bytes at a 4-byte aligned address, XORed into
 * the state in its representation. */
ALWAYS_INLINE void xor_lane(uint32_t *s, const uint8_t *p)
{
    uint32_t lo, hi;
    __builtin_memcpy(&lo, __builtin_assume_aligned(p, 4), 4);
    __builtin_memcpy(&hi, __builtin_assume_aligned(p + 4, 4), 4);
#if INTERLEAVED
    lo = crv_unzip(lo); /* even bits low, odd bits high */
    hi = crv_unzip(hi);
    s[0] ^= crv_pack(lo, hi);
    s[1] ^= crv_pack(lo >> 16, hi >> 16);
#else
    s[0] ^= lo;
    s[1] ^= hi;
#endif
}

static inline void read_lane(uint32_t *lo, uint32_t *hi, const uint32_t s[2])
{
#if INTERLEAVED
    *lo = crv_zip(crv_pack(s[0], s[1]));
    *hi = crv_zip(crv_pack(s[0] >> 16, s[1] >> 16));
#else
    *lo = s[0];
    *hi = s[1];
#endif
}

#include "keccak_sponge.h"
