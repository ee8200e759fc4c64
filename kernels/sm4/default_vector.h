/* Default input of the sm4 kernel: the GB/T 32907 appendix A key
 * 0123456789abcdeffedcba9876543210 followed by 1 KiB (64 distinct blocks)
 * of plaintext whose byte i is (i + i // 256) mod 256, in Python:
 *   bytes.fromhex("0123456789abcdeffedcba9876543210")
 *   + bytes((i + i // 256) % 256 for i in range(1024)) */
#ifndef SM4_DEFAULT_VECTOR_H
#define SM4_DEFAULT_VECTOR_H

#include <stdint.h>

#define DV_B4(n) ((n) & 255), (((n) + 1) & 255), (((n) + 2) & 255), (((n) + 3) & 255)
#define DV_B16(n) DV_B4(n), DV_B4((n) + 4), DV_B4((n) + 8), DV_B4((n) + 12)
#define DV_B64(n) DV_B16(n), DV_B16((n) + 16), DV_B16((n) + 32), DV_B16((n) + 48)
#define DV_B256(n) DV_B64(n), DV_B64((n) + 64), DV_B64((n) + 128), DV_B64((n) + 192)

static const uint8_t default_input[16 + 1024] __attribute__((aligned(4))) = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,   /* key */
    0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
    DV_B256(0), DV_B256(1), DV_B256(2), DV_B256(3),   /* plaintext */
};

#endif
