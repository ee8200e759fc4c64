/* AES-128 encryption, two implementations chosen by the ISA:
 *  - Zkne (aes32esmi/aes32esi): four instructions per output column;
 *  - otherwise four 1 KiB T-tables (rv32im has no rotate, so one table per
 *    row is cheaper than rotating one table).
 * State and round keys are little-endian column words: byte r = row r. */
#include "aes128.h"

#include "chainrv_crypto.h"

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static const uint8_t RCON[10] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36};

#ifdef __riscv_zkne

/* SubWord(RotWord(w)): RotWord of a little-endian word is ror 8, and
 * aes32esi substitutes byte bs in place. */
static inline uint32_t sub_rot_word(uint32_t w, uint32_t rcon)
{
    uint32_t t = ROR32(w, 8), r = rcon;
    r = crv_aes32esi(r, t, 0);
    r = crv_aes32esi(r, t, 1);
    r = crv_aes32esi(r, t, 2);
    r = crv_aes32esi(r, t, 3);
    return r;
}

/* One output column: rk ^ MixColumn(SubBytes(ShiftRows(state)))[col]. */
#define COLUMN(op, rk, a, b, c, d)                                         \
    op(op(op(op((rk), (a), 0), (b), 1), (c), 2), (d), 3)

void aes128_ecb_encrypt(const uint32_t rk[AES128_RK_WORDS], const uint8_t *in, uint8_t *out,
                        uint32_t nblocks)
{
    const uint32_t *src = (const uint32_t *)__builtin_assume_aligned(in, 4);
    uint32_t *dst = (uint32_t *)__builtin_assume_aligned(out, 4);
    for (; nblocks; nblocks--, src += 4, dst += 4) {
        uint32_t s0 = src[0] ^ rk[0], s1 = src[1] ^ rk[1];
        uint32_t s2 = src[2] ^ rk[2], s3 = src[3] ^ rk[3];
        const uint32_t *k = rk + 4;
        uint32_t t0, t1, t2, t3;
        /* rounds 1..9: two per iteration (s -> t -> s) so no copies are needed */
        for (int round = 1; ; round += 2, k += 8) {
            t0 = COLUMN(crv_aes32esmi, k[0], s0, s1, s2, s3);
            t1 = COLUMN(crv_aes32esmi, k[1], s1, s2, s3, s0);
            t2 = COLUMN(crv_aes32esmi, k[2], s2, s3, s0, s1);
            t3 = COLUMN(crv_aes32esmi, k[3], s3, s0, s1, s2);
            if (round == 9)
                break;
            s0 = COLUMN(crv_aes32esmi, k[4], t0, t1, t2, t3);
            s1 = COLUMN(crv_aes32esmi, k[5], t1, t2, t3, t0);
            s2 = COLUMN(crv_aes32esmi, k[6], t2, t3, t0, t1);
            s3 = COLUMN(crv_aes32esmi, k[7], t3, t0, t1, t2);
        }
        k += 4;
        dst[0] = COLUMN(crv_aes32esi, k[0], t0, t1, t2, t3);
        dst[1] = COLUMN(crv_aes32esi, k[1], t1, t2, t3, t0);
        dst[2] = COLUMN(crv_aes32esi, k[2], t2, t3, t0, t1);
        dst[3] = COLUMN(crv_aes32esi, k[3], t3, t0, t1, t2);
    }
}

#else /* T-tables */

#include "aes128_tables.h"

static inline uint32_t sub_rot_word(uint32_t w, uint32_t rcon)
{
    /* byte i of RotWord(w) is byte i+1 of w */
    return rcon ^ (uint32_t)AES_SBOX[(w >> 8) & 255] ^ (uint32_t)AES_SBOX[(w >> 16) & 255] << 8 ^
           (uint32_t)AES_SBOX[w >> 24] << 16 ^ (uint32_t)AES_SBOX[w & 255] << 24;
}

#define TCOL(rk, a, b, c, d)                                                           \
    ((rk) ^ AES_TE0[(a) & 255] ^ AES_TE1[((b) >> 8) & 255] ^ AES_TE2[((c) >> 16) & 255] ^ \
     AES_TE3[(d) >> 24])
#define SCOL(rk, a, b, c, d)                                                           \
    ((rk) ^ (uint32_t)AES_SBOX[(a) & 255] ^ (uint32_t)AES_SBOX[((b) >> 8) & 255] << 8 ^  \
     (uint32_t)AES_SBOX[((c) >> 16) & 255] << 16 ^ (uint32_t)AES_SBOX[(d) >> 24] << 24)

void aes128_ecb_encrypt(const uint32_t rk[AES128_RK_WORDS], const uint8_t *in, uint8_t *out,
                        uint32_t nblocks)
{
    const uint32_t *src = (const uint32_t *)__builtin_assume_aligned(in, 4);
    uint32_t *dst = (uint32_t *)__builtin_assume_aligned(out, 4);
    for (; nblocks; nblocks--, src += 4, dst += 4) {
        uint32_t s0 = src[0] ^ rk[0], s1 = src[1] ^ rk[1];
        uint32_t s2 = src[2] ^ rk[2], s3 = src[3] ^ rk[3];
        const uint32_t *k = rk + 4;
        for (int round = 1; round < 10; round++, k += 4) {
            uint32_t t0 = TCOL(k[0], s0, s1, s2, s3);
            uint32_t t1 = TCOL(k[1], s1, s2, s3, s0);
            uint32_t t2 = TCOL(k[2], s2, s3, s0, s1);
            uint32_t t3 = TCOL(k[3], s3, s0, s1, s2);
            s0 = t0; s1 = t1; s2 = t2; s3 = t3;
        }
        dst[0] = SCOL(k[0], s0, s1, s2, s3);
        dst[1] = SCOL(k[1], s1, s2, s3, s0);
        dst[2] = SCOL(k[2], s2, s3, s0, s1);
        dst[3] = SCOL(k[3], s3, s0, s1, s2);
    }
}

#endif

void aes128_key_schedule(uint32_t rk[AES128_RK_WORDS], const uint8_t key[16])
{
    for (int i = 0; i < 4; i++)
        rk[i] = load_le32(key + 4 * i);
    for (int i = 4; i < AES128_RK_WORDS; i += 4) {
        rk[i] = rk[i - 4] ^ sub_rot_word(rk[i - 1], RCON[i / 4 - 1]);
        rk[i + 1] = rk[i - 3] ^ rk[i];
        rk[i + 2] = rk[i - 2] ^ rk[i + 1];
        rk[i + 3] = rk[i - 1] ^ rk[i + 2];
    }
}
