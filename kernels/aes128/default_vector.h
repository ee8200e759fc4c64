/* Default input of the aes128 kernel: the FIPS-197 appendix C.1 key
 * 000102...0f followed by 1 KiB (64 distinct blocks) of plaintext whose
 * byte i is (i + i // 256) mod 256, in Python:
 *   bytes(range(16)) + bytes((i + i // 256) % 256 for i in range(1024)) */
#ifndef AES128_DEFAULT_VECTOR_H
#define AES128_DEFAULT_VECTOR_H

#include <stdint.h>

#define DV_B4(n) ((n) & 255), (((n) + 1) & 255), (((n) + 2) & 255), (((n) + 3) & 255)
#define DV_B16(n) DV_B4(n), DV_B4((n) + 4), DV_B4((n) + 8), DV_B4((n) + 12)
#define DV_B64(n) DV_B16(n), DV_B16((n) + 16), DV_B16((n) + 32), DV_B16((n) + 48)
#define DV_B256(n) DV_B64(n), DV_B64((n) + 64), DV_B64((n) + 128), DV_B64((n) + 192)

static const uint8_t default_input[16 + 1024] __attribute__((aligned(4))) = {
    DV_B16(0),                                        /* key */
    DV_B256(0), DV_B256(1), DV_B256(2), DV_B256(3),   /* plaintext */
};

#endif
