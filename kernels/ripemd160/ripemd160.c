/* RIPEMD-160 compression, fully unrolled: the left and right lines advance
 * step by step side by side with their ten chaining words in registers.
 *
 * Zbkb: rori for the rotates and orn for F3/F5's (x | ~y); base rv32im:
 * shifts. F2 and F4 use the xor-and-xor form (three operations, no not).
 * The message and padding are little-endian, unlike SHA-256's.
 */
#include "ripemd160.h"

#include "../common/crv_bitops.h"
#include "../common/md_pad.h"

#if defined(__riscv_zbkb)
#define ORN(a, b) crv_orn((a), (b)) /* a | ~b */
#else
#define ORN(a, b) ((a) | ~(b))
#endif

#define F1(x, y, z) ((x) ^ (y) ^ (z))
#define F2(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define F3(x, y, z) (ORN(x, y) ^ (z))
#define F4(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define F5(x, y, z) ((x) ^ ORN(y, z))

/* One step: a = rol(a + f(b, c, d) + X[i] + K, s) + e; c = rol(c, 10).
 * The caller rotates the names (a, b, c, d, e) -> (e, a, b, c, d). */
#define STEP(f, k, a, b, c, d, e, i, s)                       \
    do {                                                      \
        a = ROL32(a + f(b, c, d) + w[i] + (k), s) + e;        \
        c = ROL32(c, 10);                                     \
    } while (0)

#define RL1(a, b, c, d, e, i, s) STEP(F1, 0x00000000u, a, b, c, d, e, i, s)
#define RL2(a, b, c, d, e, i, s) STEP(F2, 0x5a827999u, a, b, c, d, e, i, s)
#define RL3(a, b, c, d, e, i, s) STEP(F3, 0x6ed9eba1u, a, b, c, d, e, i, s)
#define RL4(a, b, c, d, e, i, s) STEP(F4, 0x8f1bbcdcu, a, b, c, d, e, i, s)
#define RL5(a, b, c, d, e, i, s) STEP(F5, 0xa953fd4eu, a, b, c, d, e, i, s)
#define RR1(a, b, c, d, e, i, s) STEP(F5, 0x50a28be6u, a, b, c, d, e, i, s)
#define RR2(a, b, c, d, e, i, s) STEP(F4, 0x5c4dd124u, a, b, c, d, e, i, s)
#define RR3(a, b, c, d, e, i, s) STEP(F3, 0x6d703ef3u, a, b, c, d, e, i, s)
#define RR4(a, b, c, d, e, i, s) STEP(F2, 0x7a6d76e9u, a, b, c, d, e, i, s)
#define RR5(a, b, c, d, e, i, s) STEP(F1, 0x00000000u, a, b, c, d, e, i, s)

static void compress(uint32_t st[5], const uint8_t *p)
{
    uint32_t w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        __builtin_memcpy(&w[i], __builtin_assume_aligned(p + 4 * i, 4), 4);
    uint32_t a1 = st[0], b1 = st[1], c1 = st[2], d1 = st[3], e1 = st[4];
    uint32_t a2 = a1, b2 = b1, c2 = c1, d2 = d1, e2 = e1;
    /* round 1: left F1, right F5 */
    RL1(a1,b1,c1,d1,e1,  0, 11); RR1(a2,b2,c2,d2,e2,  5,  8);
    RL1(e1,a1,b1,c1,d1,  1, 14); RR1(e2,a2,b2,c2,d2, 14,  9);
    RL1(d1,e1,a1,b1,c1,  2, 15); RR1(d2,e2,a2,b2,c2,  7,  9);
    RL1(c1,d1,e1,a1,b1,  3, 12); RR1(c2,d2,e2,a2,b2,  0, 11);
    RL1(b1,c1,d1,e1,a1,  4,  5); RR1(b2,c2,d2,e2,a2,  9, 13);
    RL1(a1,b1,c1,d1,e1,  5,  8); RR1(a2,b2,c2,d2,e2,  2, 15);
    RL1(e1,a1,b1,c1,d1,  6,  7); RR1(e2,a2,b2,c2,d2, 11, 15);
    RL1(d1,e1,a1,b1,c1,  7,  9); RR1(d2,e2,a2,b2,c2,  4,  5);
    RL1(c1,d1,e1,a1,b1,  8, 11); RR1(c2,d2,e2,a2,b2, 13,  7);
    RL1(b1,c1,d1,e1,a1,  9, 13); RR1(b2,c2,d2,e2,a2,  6,  7);
    RL1(a1,b1,c1,d1,e1, 10, 14); RR1(a2,b2,c2,d2,e2, 15,  8);
    RL1(e1,a1,b1,c1,d1, 11, 15); RR1(e2,a2,b2,c2,d2,  8, 11);
    RL1(d1,e1,a1,b1,c1, 12,  6); RR1(d2,e2,a2,b2,c2,  1, 14);
    RL1(c1,d1,e1,a1,b1, 13,  7); RR1(c2,d2,e2,a2,b2, 10, 14);
    RL1(b1,c1,d1,e1,a1, 14,  9); RR1(b2,c2,d2,e2,a2,  3, 12);
    RL1(a1,b1,c1,d1,e1, 15,  8); RR1(a2,b2,c2,d2,e2, 12,  6);
    /* round 2: left F2, right F4 */
    RL2(e1,a1,b1,c1,d1,  7,  7); RR2(e2,a2,b2,c2,d2,  6,  9);
    RL2(d1,e1,a1,b1,c1,  4,  6); RR2(d2,e2,a2,b2,c2, 11, 13);
    RL2(c1,d1,e1,a1,b1, 13,  8); RR2(c2,d2,e2,a2,b2,  3, 15);
    RL2(b1,c1,d1,e1,a1,  1, 13); RR2(b2,c2,d2,e2,a2,  7,  7);
    RL2(a1,b1,c1,d1,e1, 10, 11); RR2(a2,b2,c2,d2,e2,  0, 12);
    RL2(e1,a1,b1,c1,d1,  6,  9); RR2(e2,a2,b2,c2,d2, 13,  8);
    RL2(d1,e1,a1,b1,c1, 15,  7); RR2(d2,e2,a2,b2,c2,  5,  9);
    RL2(c1,d1,e1,a1,b1,  3, 15); RR2(c2,d2,e2,a2,b2, 10, 11);
    RL2(b1,c1,d1,e1,a1, 12,  7); RR2(b2,c2,d2,e2,a2, 14,  7);
    RL2(a1,b1,c1,d1,e1,  0, 12); RR2(a2,b2,c2,d2,e2, 15,  7);
    RL2(e1,a1,b1,c1,d1,  9, 15); RR2(e2,a2,b2,c2,d2,  8, 12);
    RL2(d1,e1,a1,b1,c1,  5,  9); RR2(d2,e2,a2,b2,c2, 12,  7);
    RL2(c1,d1,e1,a1,b1,  2, 11); RR2(c2,d2,e2,a2,b2,  4,  6);
    RL2(b1,c1,d1,e1,a1, 14,  7); RR2(b2,c2,d2,e2,a2,  9, 15);
    RL2(a1,b1,c1,d1,e1, 11, 13); RR2(a2,b2,c2,d2,e2,  1, 13);
    RL2(e1,a1,b1,c1,d1,  8, 12); RR2(e2,a2,b2,c2,d2,  2, 11);
    /* round 3: left F3, right F3 */
    RL3(d1,e1,a1,b1,c1,  3, 11); RR3(d2,e2,a2,b2,c2, 15,  9);
    RL3(c1,d1,e1,a1,b1, 10, 13); RR3(c2,d2,e2,a2,b2,  5,  7);
    RL3(b1,c1,d1,e1,a1, 14,  6); RR3(b2,c2,d2,e2,a2,  1, 15);
    RL3(a1,b1,c1,d1,e1,  4,  7); RR3(a2,b2,c2,d2,e2,  3, 11);
    RL3(e1,a1,b1,c1,d1,  9, 14); RR3(e2,a2,b2,c2,d2,  7,  8);
    RL3(d1,e1,a1,b1,c1, 15,  9); RR3(d2,e2,a2,b2,c2, 14,  6);
    RL3(c1,d1,e1,a1,b1,  8, 13); RR3(c2,d2,e2,a2,b2,  6,  6);
    RL3(b1,c1,d1,e1,a1,  1, 15); RR3(b2,c2,d2,e2,a2,  9, 14);
    RL3(a1,b1,c1,d1,e1,  2, 14); RR3(a2,b2,c2,d2,e2, 11, 12);
    RL3(e1,a1,b1,c1,d1,  7,  8); RR3(e2,a2,b2,c2,d2,  8, 13);
    RL3(d1,e1,a1,b1,c1,  0, 13); RR3(d2,e2,a2,b2,c2, 12,  5);
    RL3(c1,d1,e1,a1,b1,  6,  6); RR3(c2,d2,e2,a2,b2,  2, 14);
    RL3(b1,c1,d1,e1,a1, 13,  5); RR3(b2,c2,d2,e2,a2, 10, 13);
    RL3(a1,b1,c1,d1,e1, 11, 12); RR3(a2,b2,c2,d2,e2,  0, 13);
    RL3(e1,a1,b1,c1,d1,  5,  7); RR3(e2,a2,b2,c2,d2,  4,  7);
    RL3(d1,e1,a1,b1,c1, 12,  5); RR3(d2,e2,a2,b2,c2, 13,  5);
    /* round 4: left F4, right F2 */
    RL4(c1,d1,e1,a1,b1,  1, 11); RR4(c2,d2,e2,a2,b2,  8, 15);
    RL4(b1,c1,d1,e1,a1,  9, 12); RR4(b2,c2,d2,e2,a2,  6,  5);
    RL4(a1,b1,c1,d1,e1, 11, 14); RR4(a2,b2,c2,d2,e2,  4,  8);
    RL4(e1,a1,b1,c1,d1, 10, 15); RR4(e2,a2,b2,c2,d2,  1, 11);
    RL4(d1,e1,a1,b1,c1,  0, 14); RR4(d2,e2,a2,b2,c2,  3, 14);
    RL4(c1,d1,e1,a1,b1,  8, 15); RR4(c2,d2,e2,a2,b2, 11, 14);
    RL4(b1,c1,d1,e1,a1, 12,  9); RR4(b2,c2,d2,e2,a2, 15,  6);
    RL4(a1,b1,c1,d1,e1,  4,  8); RR4(a2,b2,c2,d2,e2,  0, 14);
    RL4(e1,a1,b1,c1,d1, 13,  9); RR4(e2,a2,b2,c2,d2,  5,  6);
    RL4(d1,e1,a1,b1,c1,  3, 14); RR4(d2,e2,a2,b2,c2, 12,  9);
    RL4(c1,d1,e1,a1,b1,  7,  5); RR4(c2,d2,e2,a2,b2,  2, 12);
    RL4(b1,c1,d1,e1,a1, 15,  6); RR4(b2,c2,d2,e2,a2, 13,  9);
    RL4(a1,b1,c1,d1,e1, 14,  8); RR4(a2,b2,c2,d2,e2,  9, 12);
    RL4(e1,a1,b1,c1,d1,  5,  6); RR4(e2,a2,b2,c2,d2,  7,  5);
    RL4(d1,e1,a1,b1,c1,  6,  5); RR4(d2,e2,a2,b2,c2, 10, 15);
    RL4(c1,d1,e1,a1,b1,  2, 12); RR4(c2,d2,e2,a2,b2, 14,  8);
    /* round 5: left F5, right F1 */
    RL5(b1,c1,d1,e1,a1,  4,  9); RR5(b2,c2,d2,e2,a2, 12,  8);
    RL5(a1,b1,c1,d1,e1,  0, 15); RR5(a2,b2,c2,d2,e2, 15,  5);
    RL5(e1,a1,b1,c1,d1,  5,  5); RR5(e2,a2,b2,c2,d2, 10, 12);
    RL5(d1,e1,a1,b1,c1,  9, 11); RR5(d2,e2,a2,b2,c2,  4,  9);
    RL5(c1,d1,e1,a1,b1,  7,  6); RR5(c2,d2,e2,a2,b2,  1, 12);
    RL5(b1,c1,d1,e1,a1, 12,  8); RR5(b2,c2,d2,e2,a2,  5,  5);
    RL5(a1,b1,c1,d1,e1,  2, 13); RR5(a2,b2,c2,d2,e2,  8, 14);
    RL5(e1,a1,b1,c1,d1, 10, 12); RR5(e2,a2,b2,c2,d2,  7,  6);
    RL5(d1,e1,a1,b1,c1, 14,  5); RR5(d2,e2,a2,b2,c2,  6,  8);
    RL5(c1,d1,e1,a1,b1,  1, 12); RR5(c2,d2,e2,a2,b2,  2, 13);
    RL5(b1,c1,d1,e1,a1,  3, 13); RR5(b2,c2,d2,e2,a2, 13,  6);
    RL5(a1,b1,c1,d1,e1,  8, 14); RR5(a2,b2,c2,d2,e2, 14,  5);
    RL5(e1,a1,b1,c1,d1, 11, 11); RR5(e2,a2,b2,c2,d2,  0, 15);
    RL5(d1,e1,a1,b1,c1,  6,  8); RR5(d2,e2,a2,b2,c2,  3, 13);
    RL5(c1,d1,e1,a1,b1, 15,  5); RR5(c2,d2,e2,a2,b2,  9, 11);
    RL5(b1,c1,d1,e1,a1, 13,  6); RR5(b2,c2,d2,e2,a2, 11, 11);
    uint32_t t = st[0];
    st[0] = st[1] + c1 + d2;
    st[1] = st[2] + d1 + e2;
    st[2] = st[3] + e1 + a2;
    st[3] = st[4] + a1 + b2;
    st[4] = t + b1 + c2;
}

void ripemd160_blocks(uint32_t state[5], const uint8_t *data, uint32_t nblocks)
{
    for (; nblocks; nblocks--, data += 64)
        compress(state, data);
}

void ripemd160(const uint8_t *msg, uint32_t len, uint8_t digest[20])
{
    uint32_t st[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    md_hash_endian(msg, len, st, ripemd160_blocks, 1);
    for (int i = 0; i < 5; i++)
        store_le32(digest + 4 * i, st[i]);
}
