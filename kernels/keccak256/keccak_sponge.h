/* The Keccak-256 sponge (rate 136 bytes, Keccak's own padding as Ethereum uses
 * it), written once for every permutation. The including file defines first:
 *   keccak_f1600(s)          the permutation on its state layout,
 *   xor_lane(s, p)           absorb 8 message bytes (4-byte aligned) into lane s[0..1],
 *   read_lane(&lo, &hi, s)   a lane in the standard layout (low, high word).
 * Included once per kernel variant, so the hooks inline as if written in place. */
#ifndef KECCAK_SPONGE_H
#define KECCAK_SPONGE_H

static void absorb(uint32_t s[50], const uint8_t *block)
{
    for (int i = 0; i < KECCAK256_RATE / 8; i++)
        xor_lane(&s[2 * i], block + 8 * i);
    keccak_f1600(s);
}

void keccak256(const uint8_t *msg, uint32_t len, uint8_t out[32])
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
    /* pad10*1 with domain bits 0x01; SHA3-256 would put 0x06 here */
    __builtin_memcpy(b, msg, len);
    for (uint32_t i = len; i < KECCAK256_RATE; i++)
        b[i] = 0;
    b[len] = 0x01;
    b[KECCAK256_RATE - 1] |= 0x80;
    absorb(s, b);
    for (int i = 0; i < 4; i++) {
        uint32_t lo, hi;
        read_lane(&lo, &hi, &s[2 * i]);
        store_le32(out + 8 * i, lo);
        store_le32(out + 8 * i + 4, hi);
    }
}

#endif
