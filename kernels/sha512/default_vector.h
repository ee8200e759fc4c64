/* Default message of the sha512 kernel: 4 KiB whose byte i is i mod 256
 * (in Python: bytes(i % 256 for i in range(4096))). */
#ifndef SHA512_DEFAULT_VECTOR_H
#define SHA512_DEFAULT_VECTOR_H

#include <stdint.h>

#define DV_B4(n) (n), (n) + 1, (n) + 2, (n) + 3
#define DV_B16(n) DV_B4(n), DV_B4((n) + 4), DV_B4((n) + 8), DV_B4((n) + 12)
#define DV_B64(n) DV_B16(n), DV_B16((n) + 16), DV_B16((n) + 32), DV_B16((n) + 48)
#define DV_B256 DV_B64(0), DV_B64(64), DV_B64(128), DV_B64(192)
#define DV_B1K DV_B256, DV_B256, DV_B256, DV_B256

static const uint8_t default_input[4096] __attribute__((aligned(4))) = {
    DV_B1K, DV_B1K, DV_B1K, DV_B1K,
};

#endif
