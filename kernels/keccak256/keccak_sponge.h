/* The Keccak[c=512] sponge (rate 136 bytes) behind Ethereum's Keccak-256
 * (domain byte 0x01, Keccak's original padding) and FIPS 202 SHA3-256
 * (0x06), written once for every permutation. The including file defines first:
 *   keccak_f1600(s)          the permutation on its state layout,
 *   xor_lane(s, p)           absorb 8 message bytes (4-byte aligned) into lane s[0..1],
 *   read_lane(&lo, &hi, s)   a lane in the standard layout (low, high word).
 * Included once per kernel variant, so the hooks inline as if written in place;
 * each hash is its own section, so a kernel links only the one it calls. */
#ifndef KECCAK_SPONGE_H
#define KECCAK_SPONGE_H

static void absorb(uint32_t s[50], const uint8_t *block)
{
    for (int i = 0; i < KECCAK256_RATE / 8; i++)
        xor_lane(&s[2 * i], block + 8 * i);
    keccak_f1600(s);
}

/* Inlined into each hash with its domain byte a constant. */
static inline __attribute__((always_inline)) void keccak_sponge256(const uint8_t *msg, uint32_t len,
                                                                   uint8_t out[32], const uint8_t domain)
{
    uint32_t s[50] = {0};
    uint32_t buf[KECCAK256_RATE / 4];
    uint8_t *b = (uint8_t *)buf;
    int aligned = ((uintptr_t)msg & 3) == 0;
    for (; len >= KECCAK256_RATE; len -= KECCAK256_RATE, msg += KECCAK256_RATE) {
        if (aligned) {
            absorb(s, msg);
        } else {
            __builtin_memcpy(b, msg, KECCAK256_RATE);
            absorb(s, b);
        }
    }
    /* domain bits, then pad10*1 (both land in one byte when len = rate - 1) */
    __builtin_memcpy(b, msg, len);
    for (uint32_t i = len; i < KECCAK256_RATE; i++)
        b[i] = 0;
    b[len] = domain;
    b[KECCAK256_RATE - 1] |= 0x80;
    absorb(s, b);
    for (int i = 0; i < 4; i++) {
        uint32_t lo, hi;
        read_lane(&lo, &hi, &s[2 * i]);
        store_le32(out + 8 * i, lo);
        store_le32(out + 8 * i + 4, hi);
    }
}

void keccak256(const uint8_t *msg, uint32_t len, uint8_t out[32])
{
    keccak_sponge256(msg, len, out, 0x01);
}

void sha3_256(const uint8_t *msg, uint32_t len, uint8_t out[32])
{
    keccak_sponge256(msg, len, out, 0x06);
}

#endif
