/* SHA-256 compression, fully unrolled with the state in registers.
 *
 * Zknh: sha256sum0/sum1/sig0/sig1 replace the rotate-xor chains; Zbkb: rori
 * and rev8; base rv32im: shifts. Maj reuses a^b of the previous round
 * (b^c of this one), so it costs two logic ops; the round constants come
 * from a table through an opaque pointer so that GCC loads each with one lw
 * instead of building it with lui+addi.
 */
#include "sha256_core.h"

#include "crv_bitops.h"
#include "md_pad.h"

const uint32_t sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#if defined(__riscv_zknh)
#define BS0(x) crv_sha256sum0(x)
#define BS1(x) crv_sha256sum1(x)
#define SS0(x) crv_sha256sig0(x)
#define SS1(x) crv_sha256sig1(x)
#else
#define BS0(x) (ROR32(x, 2) ^ ROR32(x, 13) ^ ROR32(x, 22))
#define BS1(x) (ROR32(x, 6) ^ ROR32(x, 11) ^ ROR32(x, 25))
#define SS0(x) (ROR32(x, 7) ^ ROR32(x, 18) ^ ((x) >> 3))
#define SS1(x) (ROR32(x, 17) ^ ROR32(x, 19) ^ ((x) >> 10))
#endif

/* Round t; from t = 16 on the message word w[t & 15] is first replaced by
 * the schedule W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]. */
#define RND(a, b, c, d, e, f, g, h, t)                                                  \
    do {                                                                              \
        if ((t) >= 16)                                                                \
            w[(t)&15] += SS1(w[((t) + 14) & 15]) + w[((t) + 9) & 15] + SS0(w[((t) + 1) & 15]); \
        uint32_t t1 = h + BS1(e) + (g ^ (e & (f ^ g))) + k[t] + w[(t)&15];           \
        uint32_t x = a ^ b;                                                           \
        d += t1;                                                                      \
        h = t1 + BS0(a) + (b ^ (x & y));                                              \
        y = x;                                                                        \
    } while (0)

#define R8(t)                                \
    RND(a, b, c, d, e, f, g, h, (t) + 0);    \
    RND(h, a, b, c, d, e, f, g, (t) + 1);    \
    RND(g, h, a, b, c, d, e, f, (t) + 2);    \
    RND(f, g, h, a, b, c, d, e, (t) + 3);    \
    RND(e, f, g, h, a, b, c, d, (t) + 4);    \
    RND(d, e, f, g, h, a, b, c, (t) + 5);    \
    RND(c, d, e, f, g, h, a, b, (t) + 6);    \
    RND(b, c, d, e, f, g, h, a, (t) + 7)

static inline __attribute__((always_inline)) void compress(uint32_t *st, const void *in, int from_bytes)
{
    const uint32_t *k = K256;
    __asm__("" : "+r"(k)); /* opaque: keep the constants as table loads */
    uint32_t w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        w[i] = from_bytes ? load_be32_aligned((const uint8_t *)in + 4 * i) : ((const uint32_t *)in)[i];
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
    uint32_t y = b ^ c;
    R8(0);
    R8(8);
    R8(16);
    R8(24);
    R8(32);
    R8(40);
    R8(48);
    R8(56);
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += h;
}

void sha256_blocks(uint32_t state[8], const uint8_t *data, uint32_t nblocks)
{
    for (; nblocks; nblocks--, data += 64)
        compress(state, data, 1);
}

void sha256_compress_words(uint32_t state[8], const uint32_t w[16])
{
    compress(state, w, 0);
}

void sha256_state_to_bytes(const uint32_t state[8], uint8_t out[32])
{
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, state[i]);
}

void sha256(const uint8_t *msg, uint32_t len, uint8_t digest[32])
{
    uint32_t st[8];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++)
        st[i] = sha256_iv[i];
    md_hash(msg, len, st, sha256_blocks);
    sha256_state_to_bytes(st, digest);
}

void sha256_of_digest_words(const uint32_t in[8], uint32_t out[8])
{
    uint32_t w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++) {
        w[i] = in[i];
        out[i] = sha256_iv[i];
    }
    w[8] = 0x80000000u;
#pragma GCC unroll 16
    for (int i = 9; i < 15; i++)
        w[i] = 0;
    w[15] = 256;
    sha256_compress_words(out, w);
}

void sha256d_state(const uint8_t *msg, uint32_t len, uint32_t out[8])
{
    uint32_t st[8];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++)
        st[i] = sha256_iv[i];
    md_hash(msg, len, st, sha256_blocks);
    sha256_of_digest_words(st, out);
}
