/* SM4 encryption, variants chosen by the ISA:
 *  - Zksed: sm4ed/sm4ks apply S-box and L (or L') to one byte each, four
 *    per round;
 *  - otherwise four 1 KiB tables T_k[x] = rol(L(SBOX[x]), 8k);
 *  - Zbkb (without Zksed) only changes the byte swaps (rev8).
 * The standard's words are big-endian.  The table variants byte-swap every
 * loaded and stored word; sm4ed/sm4ks are defined on byte-reversed words
 * (they compute bswap(L(bswap(.))), so the Zksed variant keeps state and
 * round keys exactly as a little-endian load gives them and never swaps. */
#include "sm4.h"

#include "chainrv_crypto.h"

#ifdef __riscv_zbkb
#define BSWAP32(x) crv_rev8(x)
#else
static inline uint32_t bswap32(uint32_t x)
{
    x = ((x & 0x00FF00FFu) << 8) | ((x >> 8) & 0x00FF00FFu);
    return (x << 16) | (x >> 16);
}
#define BSWAP32(x) bswap32(x)
#endif

static const uint32_t FK[4] = {0xa3b1bac6u, 0x56aa3350u, 0x677d9197u, 0xb27022dcu};

/* CK[i] byte j = (4i + j) * 7 mod 256 (GB/T 32907 section 7.3). */
static const uint32_t CK[SM4_ROUNDS] = {
    0x00070e15u, 0x1c232a31u, 0x383f464du, 0x545b6269u, 0x70777e85u, 0x8c939aa1u, 0xa8afb6bdu, 0xc4cbd2d9u,
    0xe0e7eef5u, 0xfc030a11u, 0x181f262du, 0x343b4249u, 0x50575e65u, 0x6c737a81u, 0x888f969du, 0xa4abb2b9u,
    0xc0c7ced5u, 0xdce3eaf1u, 0xf8ff060du, 0x141b2229u, 0x30373e45u, 0x4c535a61u, 0x686f767du, 0x848b9299u,
    0xa0a7aeb5u, 0xbcc3cad1u, 0xd8dfe6edu, 0xf4fb0209u, 0x10171e25u, 0x2c333a41u, 0x484f565du, 0x646b7279u,
};

#ifdef __riscv_zksed

/* A standard (big-endian) word in the kernel's representation, and the
 * representation of a little-endian loaded word. */
#define FROM_BE(x) BSWAP32(x)
#define FROM_LE(x) (x)

/* x ^ L(tau(w)), resp. x ^ L'(tau(w)): one instruction per byte. */
#define T_ROUND(x, w) crv_sm4ed(crv_sm4ed(crv_sm4ed(crv_sm4ed((x), (w), 0), (w), 1), (w), 2), (w), 3)
#define T_KEY(x, w) crv_sm4ks(crv_sm4ks(crv_sm4ks(crv_sm4ks((x), (w), 0), (w), 1), (w), 2), (w), 3)

#else

#include "sm4_tables.h"

#define FROM_BE(x) (x)
#define FROM_LE(x) BSWAP32(x)

#define T_ROUND(x, w) \
    ((x) ^ SM4_T0[(w) & 255] ^ SM4_T1[((w) >> 8) & 255] ^ SM4_T2[((w) >> 16) & 255] ^ SM4_T3[(w) >> 24])

#define ROL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static inline uint32_t key_t(uint32_t x, uint32_t w)
{
    uint32_t b = (uint32_t)SM4_SBOX[w & 255] | (uint32_t)SM4_SBOX[(w >> 8) & 255] << 8 |
                 (uint32_t)SM4_SBOX[(w >> 16) & 255] << 16 | (uint32_t)SM4_SBOX[w >> 24] << 24;
    return x ^ b ^ ROL32(b, 13) ^ ROL32(b, 23);
}
#define T_KEY(x, w) key_t((x), (w))

#endif

void sm4_key_schedule(uint32_t rk[SM4_ROUNDS], const uint8_t key[16])
{
    uint32_t k[4];
    for (int i = 0; i < 4; i++)
        k[i] = FROM_BE((uint32_t)key[4 * i] << 24 | (uint32_t)key[4 * i + 1] << 16 |
                       (uint32_t)key[4 * i + 2] << 8 | key[4 * i + 3]) ^ FROM_BE(FK[i]);
    for (int i = 0; i < SM4_ROUNDS; i++) {
        uint32_t n = T_KEY(k[0], k[1] ^ k[2] ^ k[3] ^ FROM_BE(CK[i]));
        k[0] = k[1]; k[1] = k[2]; k[2] = k[3]; k[3] = n;
        rk[i] = n;
    }
}

void sm4_ecb_encrypt(const uint32_t rk[SM4_ROUNDS], const uint8_t *in, uint8_t *out, uint32_t nblocks)
{
    const uint32_t *src = (const uint32_t *)__builtin_assume_aligned(in, 4);
    uint32_t *dst = (uint32_t *)__builtin_assume_aligned(out, 4);
    for (; nblocks; nblocks--, src += 4, dst += 4) {
        uint32_t x0 = FROM_LE(src[0]), x1 = FROM_LE(src[1]);
        uint32_t x2 = FROM_LE(src[2]), x3 = FROM_LE(src[3]);
        /* four rounds per iteration: no register shuffling */
        for (int i = 0; i < SM4_ROUNDS; i += 4) {
            x0 = T_ROUND(x0, x1 ^ x2 ^ x3 ^ rk[i]);
            x1 = T_ROUND(x1, x2 ^ x3 ^ x0 ^ rk[i + 1]);
            x2 = T_ROUND(x2, x3 ^ x0 ^ x1 ^ rk[i + 2]);
            x3 = T_ROUND(x3, x0 ^ x1 ^ x2 ^ rk[i + 3]);
        }
        /* output is the reversed word order R(X32..X35) = (X35, X34, X33, X32) */
        dst[0] = FROM_LE(x3); /* FROM_LE is its own inverse */
        dst[1] = FROM_LE(x2);
        dst[2] = FROM_LE(x1);
        dst[3] = FROM_LE(x0);
    }
}
