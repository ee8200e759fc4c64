/* SM3 (GB/T 32905-2016) compression, fully unrolled with the state in
 * registers and the expanded message in a 16-word ring.
 *
 * Zksh: sm3p0/sm3p1 for the permutations; Zbkb: rori for the rotates;
 * base rv32im: shifts. The registers are renamed every round instead of
 * moved (the macro arguments rotate), and the round constants
 * rol(T_j, j mod 32) come from a table through an opaque pointer.
 */
#include "sm3_core.h"

#include "crv_bitops.h"
#include "md_pad.h"

const uint32_t sm3_iv[8] = {
    0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e,
};

/* rol(T_j, j mod 32): T_j = 0x79cc4519 for j < 16, 0x7a879d8a after. */
static const uint32_t sm3_t[64] = {
    0x79cc4519, 0xf3988a32, 0xe7311465, 0xce6228cb, 0x9cc45197, 0x3988a32f, 0x7311465e, 0xe6228cbc,
    0xcc451979, 0x988a32f3, 0x311465e7, 0x6228cbce, 0xc451979c, 0x88a32f39, 0x11465e73, 0x228cbce6,
    0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c, 0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
    0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec, 0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5,
    0x7a879d8a, 0xf50f3b14, 0xea1e7629, 0xd43cec53, 0xa879d8a7, 0x50f3b14f, 0xa1e7629e, 0x43cec53d,
    0x879d8a7a, 0x0f3b14f5, 0x1e7629ea, 0x3cec53d4, 0x79d8a7a8, 0xf3b14f50, 0xe7629ea1, 0xcec53d43,
    0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c, 0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
    0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec, 0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5,
};

#if defined(__riscv_zksh)
#define P0(x) crv_sm3p0(x)
#define P1(x) crv_sm3p1(x)
#else
#define P0(x) ((x) ^ ROL32(x, 9) ^ ROL32(x, 17))
#define P1(x) ((x) ^ ROL32(x, 15) ^ ROL32(x, 23))
#endif

/* W[t] = P1(W[t-16] ^ W[t-9] ^ rol(W[t-3], 15)) ^ rol(W[t-13], 7) ^ W[t-6],
 * into the ring slot of W[t-16]. */
#define EXPAND(t)                                                                        \
    do {                                                                                 \
        uint32_t x_ = w[(t)&15] ^ w[((t) - 9) & 15] ^ ROL32(w[((t) - 3) & 15], 15);      \
        w[(t)&15] = P1(x_) ^ ROL32(w[((t) - 13) & 15], 7) ^ w[((t) - 6) & 15];           \
    } while (0)

/* Round j. The new state is (D, A, B, C, H, E, F, G) in argument order:
 * D receives TT1, H receives P0(TT2), B and F are rotated in place. */
#define RND(A, B, C, D, E, F, G, H, j)                                                   \
    do {                                                                                 \
        if ((j) + 4 >= 16)                                                               \
            EXPAND((j) + 4);                                                             \
        uint32_t a12 = ROL32(A, 12);                                                     \
        uint32_t ss1 = ROL32(a12 + E + tj[j], 7);                                        \
        uint32_t wj = w[(j)&15];                                                         \
        uint32_t ff, gg;                                                                 \
        if ((j) < 16) {                                                                  \
            ff = A ^ B ^ C;                                                              \
            gg = E ^ F ^ G;                                                              \
        } else {                                                                         \
            ff = (A & B) | (C & (A | B));                                                \
            gg = G ^ (E & (F ^ G));                                                      \
        }                                                                                \
        D = ff + D + (ss1 ^ a12) + (wj ^ w[((j) + 4) & 15]);                             \
        H = gg + H + ss1 + wj;                                                           \
        H = P0(H);                                                                       \
        B = ROL32(B, 9);                                                                 \
        F = ROL32(F, 19);                                                                \
    } while (0)

#define R4(j)                                \
    RND(a, b, c, d, e, f, g, h, (j) + 0);    \
    RND(d, a, b, c, h, e, f, g, (j) + 1);    \
    RND(c, d, a, b, g, h, e, f, (j) + 2);    \
    RND(b, c, d, a, f, g, h, e, (j) + 3)

static inline __attribute__((always_inline)) void compress(uint32_t *st, const void *in, int from_bytes)
{
    const uint32_t *tj = sm3_t;
    __asm__("" : "+r"(tj)); /* opaque: keep the constants as table loads */
    uint32_t w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        w[i] = from_bytes ? load_be32_aligned((const uint8_t *)in + 4 * i) : ((const uint32_t *)in)[i];
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
    R4(0);
    R4(4);
    R4(8);
    R4(12);
    R4(16);
    R4(20);
    R4(24);
    R4(28);
    R4(32);
    R4(36);
    R4(40);
    R4(44);
    R4(48);
    R4(52);
    R4(56);
    R4(60);
    st[0] ^= a;
    st[1] ^= b;
    st[2] ^= c;
    st[3] ^= d;
    st[4] ^= e;
    st[5] ^= f;
    st[6] ^= g;
    st[7] ^= h;
}

void sm3_blocks(uint32_t state[8], const uint8_t *data, uint32_t nblocks)
{
    for (; nblocks; nblocks--, data += 64)
        compress(state, data, 1);
}

void sm3_compress_words(uint32_t state[8], const uint32_t w[16])
{
    compress(state, w, 0);
}

void sm3(const uint8_t *msg, uint32_t len, uint8_t digest[32])
{
    uint32_t st[8];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++)
        st[i] = sm3_iv[i];
    md_hash(msg, len, st, sm3_blocks);
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++)
        store_be32(digest + 4 * i, st[i]);
}
