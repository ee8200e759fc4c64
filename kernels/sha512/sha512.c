/* SHA-512 (FIPS 180-4) on RV32, variants chosen by the ISA:
 *  - Zknh: each 64-bit Sigma/sigma is two instructions (sha512sum0r/sum1r
 *    give either half from (own half, other half); sig0l/sig0h and
 *    sig1l/sig1h the low and high half);
 *  - otherwise 64-bit rotates in C, which GCC splits into 32-bit shifts;
 *  - Zbkb (without Zknh) only changes the byte swaps of the loads (rev8).
 * 64-bit words live in register pairs; additions are GCC's add/sltu/add. */
#include "sha512.h"

#include "../common/crv_bitops.h"

#define HI(x) ((uint32_t)((x) >> 32))
#define LO(x) ((uint32_t)(x))
#define PAIR(h, l) ((uint64_t)(h) << 32 | (uint32_t)(l))

#ifdef __riscv_zknh
static inline uint64_t big_sigma0(uint64_t x)
{
    return PAIR(crv_sha512sum0r(HI(x), LO(x)), crv_sha512sum0r(LO(x), HI(x)));
}
static inline uint64_t big_sigma1(uint64_t x)
{
    return PAIR(crv_sha512sum1r(HI(x), LO(x)), crv_sha512sum1r(LO(x), HI(x)));
}
static inline uint64_t small_sigma0(uint64_t x)
{
    return PAIR(crv_sha512sig0h(HI(x), LO(x)), crv_sha512sig0l(LO(x), HI(x)));
}
static inline uint64_t small_sigma1(uint64_t x)
{
    return PAIR(crv_sha512sig1h(HI(x), LO(x)), crv_sha512sig1l(LO(x), HI(x)));
}
#else
#define ROTR64(x, n) (((x) >> (n)) | ((x) << (64 - (n))))
static inline uint64_t big_sigma0(uint64_t x) { return ROTR64(x, 28) ^ ROTR64(x, 34) ^ ROTR64(x, 39); }
static inline uint64_t big_sigma1(uint64_t x) { return ROTR64(x, 14) ^ ROTR64(x, 18) ^ ROTR64(x, 41); }
static inline uint64_t small_sigma0(uint64_t x) { return ROTR64(x, 1) ^ ROTR64(x, 8) ^ (x >> 7); }
static inline uint64_t small_sigma1(uint64_t x) { return ROTR64(x, 19) ^ ROTR64(x, 61) ^ (x >> 6); }
#endif

#define CH(e, f, g) ((((f) ^ (g)) & (e)) ^ (g))
#define MAJ(a, b, c) (((a) & (b)) | (((a) | (b)) & (c)))

/* First 64 bits of the fractional parts of the cube roots of the first 80 primes. */
static const uint64_t K[80] = {
    0x428a2f98d728ae22ull, 0x7137449123ef65cdull, 0xb5c0fbcfec4d3b2full, 0xe9b5dba58189dbbcull,
    0x3956c25bf348b538ull, 0x59f111f1b605d019ull, 0x923f82a4af194f9bull, 0xab1c5ed5da6d8118ull,
    0xd807aa98a3030242ull, 0x12835b0145706fbeull, 0x243185be4ee4b28cull, 0x550c7dc3d5ffb4e2ull,
    0x72be5d74f27b896full, 0x80deb1fe3b1696b1ull, 0x9bdc06a725c71235ull, 0xc19bf174cf692694ull,
    0xe49b69c19ef14ad2ull, 0xefbe4786384f25e3ull, 0x0fc19dc68b8cd5b5ull, 0x240ca1cc77ac9c65ull,
    0x2de92c6f592b0275ull, 0x4a7484aa6ea6e483ull, 0x5cb0a9dcbd41fbd4ull, 0x76f988da831153b5ull,
    0x983e5152ee66dfabull, 0xa831c66d2db43210ull, 0xb00327c898fb213full, 0xbf597fc7beef0ee4ull,
    0xc6e00bf33da88fc2ull, 0xd5a79147930aa725ull, 0x06ca6351e003826full, 0x142929670a0e6e70ull,
    0x27b70a8546d22ffcull, 0x2e1b21385c26c926ull, 0x4d2c6dfc5ac42aedull, 0x53380d139d95b3dfull,
    0x650a73548baf63deull, 0x766a0abb3c77b2a8ull, 0x81c2c92e47edaee6ull, 0x92722c851482353bull,
    0xa2bfe8a14cf10364ull, 0xa81a664bbc423001ull, 0xc24b8b70d0f89791ull, 0xc76c51a30654be30ull,
    0xd192e819d6ef5218ull, 0xd69906245565a910ull, 0xf40e35855771202aull, 0x106aa07032bbd1b8ull,
    0x19a4c116b8d2d0c8ull, 0x1e376c085141ab53ull, 0x2748774cdf8eeb99ull, 0x34b0bcb5e19b48a8ull,
    0x391c0cb3c5c95a63ull, 0x4ed8aa4ae3418acbull, 0x5b9cca4f7763e373ull, 0x682e6ff3d6b2b8a3ull,
    0x748f82ee5defb2fcull, 0x78a5636f43172f60ull, 0x84c87814a1f0ab72ull, 0x8cc702081a6439ecull,
    0x90befffa23631e28ull, 0xa4506cebde82bde9ull, 0xbef9a3f7b2c67915ull, 0xc67178f2e372532bull,
    0xca273eceea26619cull, 0xd186b8c721c0c207ull, 0xeada7dd6cde0eb1eull, 0xf57d4f7fee6ed178ull,
    0x06f067aa72176fbaull, 0x0a637dc5a2c898a6ull, 0x113f9804bef90daeull, 0x1b710b35131c471bull,
    0x28db77f523047d84ull, 0x32caab7b40c72493ull, 0x3c9ebe0a15c9bebcull, 0x431d67c49c100d4cull,
    0x4cc5d4becb3e42b6ull, 0x597f299cfc657e2aull, 0x5fcb6fab3ad6faecull, 0x6c44198c4a475817ull
};

/* First 64 bits of the fractional parts of the square roots of the first 8 primes. */
static const uint64_t IV[8] = {
    0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
    0x510e527fade682d1ull, 0x9b05688c2b3e6c1full, 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull
};

static inline uint64_t load_be64(const uint32_t *p)
{
    return PAIR(BSWAP32(p[0]), BSWAP32(p[1]));
}

#define ROUND(a, b, c, d, e, f, g, h, j)                                              \
    do {                                                                           \
        uint64_t t1 = h + big_sigma1(e) + CH(e, f, g) + K[i + (j)] + w[j];          \
        d += t1;                                                                   \
        h = t1 + big_sigma0(a) + MAJ(a, b, c);                                     \
    } while (0)

/* w[j] for round i + j >= 16, from the previous 16 words kept in w[]. */
#define SCHEDULE(j) \
    (w[j] += small_sigma1(w[((j) + 14) & 15]) + w[((j) + 9) & 15] + small_sigma0(w[((j) + 1) & 15]))

static void compress(uint64_t state[8], const uint32_t *block)
{
    uint64_t w[16];
    for (int j = 0; j < 16; j++)
        w[j] = load_be64(block + 2 * j);
    uint64_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint64_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 80; i += 16) {
        if (i) {
            for (int j = 0; j < 16; j++)
                SCHEDULE(j);
        }
        for (int j = 0; j < 16; j += 8) {
            ROUND(a, b, c, d, e, f, g, h, j);
            ROUND(h, a, b, c, d, e, f, g, j + 1);
            ROUND(g, h, a, b, c, d, e, f, j + 2);
            ROUND(f, g, h, a, b, c, d, e, j + 3);
            ROUND(e, f, g, h, a, b, c, d, j + 4);
            ROUND(d, e, f, g, h, a, b, c, j + 5);
            ROUND(c, d, e, f, g, h, a, b, j + 6);
            ROUND(b, c, d, e, f, g, h, a, j + 7);
        }
    }
    state[0] += a; state[1] += b; state[2] += c; state[3] += d;
    state[4] += e; state[5] += f; state[6] += g; state[7] += h;
}

void sha512(const uint8_t *msg, uint32_t len, uint8_t digest[64])
{
    uint64_t state[8];
    for (int i = 0; i < 8; i++)
        state[i] = IV[i];
    const uint32_t *p = (const uint32_t *)__builtin_assume_aligned(msg, 4);
    uint32_t full = len / 128;
    for (uint32_t n = 0; n < full; n++, p += 32)
        compress(state, p);

    /* Padding: 0x80, zeros, then the 128-bit big-endian bit length. */
    static uint32_t tail32[64];
    uint8_t *tail = (uint8_t *)tail32;
    uint32_t rest = len % 128;
    const uint8_t *src = (const uint8_t *)p;
    for (uint32_t k = 0; k < rest; k++)
        tail[k] = src[k];
    tail[rest] = 0x80;
    uint32_t blocks = rest < 112 ? 1 : 2;
    uint32_t end = 128 * blocks;
    for (uint32_t k = rest + 1; k < end; k++)
        tail[k] = 0;
    uint64_t bits = (uint64_t)len << 3;
    for (int k = 0; k < 8; k++)
        tail[end - 1 - k] = (uint8_t)(bits >> (8 * k));
    for (uint32_t n = 0; n < blocks; n++)
        compress(state, tail32 + 32 * n);

    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 8; k++)
            digest[8 * i + k] = (uint8_t)(state[i] >> (56 - 8 * k));
}

void sha512_init(sha512_ctx *c)
{
    for (int i = 0; i < 8; i++)
        c->state[i] = IV[i];
    c->fill = 0;
    c->total = 0;
}

void sha512_update(sha512_ctx *c, const uint8_t *data, uint32_t len)
{
    uint8_t *buf = (uint8_t *)c->buf;
    c->total += len;
    while (len) {
        uint32_t n = 128 - c->fill;
        if (n > len)
            n = len;
        if (((c->fill | (uint32_t)data | n) & 3) == 0) {
            /* word copies when both sides are aligned */
            const uint32_t *src = (const uint32_t *)__builtin_assume_aligned(data, 4);
            uint32_t *dst = c->buf + c->fill / 4;
            for (uint32_t k = 0; k < n / 4; k++)
                dst[k] = src[k];
        } else {
            for (uint32_t k = 0; k < n; k++)
                buf[c->fill + k] = data[k];
        }
        c->fill += n;
        data += n;
        len -= n;
        if (c->fill == 128) {
            compress(c->state, c->buf);
            c->fill = 0;
        }
    }
}

void sha512_final(sha512_ctx *c, uint8_t digest[64])
{
    uint8_t *buf = (uint8_t *)c->buf;
    uint32_t rest = c->fill;
    buf[rest++] = 0x80;
    if (rest > 112) {
        while (rest < 128)
            buf[rest++] = 0;
        compress(c->state, c->buf);
        rest = 0;
    }
    while (rest < 120)
        buf[rest++] = 0;
    /* the 128-bit bit length; the top 61 bits are zero for lengths below 2^32 */
    uint64_t bits = (uint64_t)c->total << 3;
    for (int k = 0; k < 8; k++)
        buf[127 - k] = (uint8_t)(bits >> (8 * k));
    compress(c->state, c->buf);
    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 8; k++)
            digest[8 * i + k] = (uint8_t)(c->state[i] >> (56 - 8 * k));
}
