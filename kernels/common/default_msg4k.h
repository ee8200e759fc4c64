/* The 4 KiB default message of the sha256, keccak256 and sm3 kernels:
 * byte i is i mod 256 (in Python: bytes(i % 256 for i in range(4096))). */
#ifndef DEFAULT_MSG4K_H
#define DEFAULT_MSG4K_H

#include <stdint.h>

#define DEFAULT_MSG4K_LEN 4096u

#define CRV_B4(n) (n), (n) + 1, (n) + 2, (n) + 3
#define CRV_B16(n) CRV_B4(n), CRV_B4((n) + 4), CRV_B4((n) + 8), CRV_B4((n) + 12)
#define CRV_B64(n) CRV_B16(n), CRV_B16((n) + 16), CRV_B16((n) + 32), CRV_B16((n) + 48)
#define CRV_B256 CRV_B64(0), CRV_B64(64), CRV_B64(128), CRV_B64(192)
#define CRV_B1K CRV_B256, CRV_B256, CRV_B256, CRV_B256

static const uint8_t default_msg4k[DEFAULT_MSG4K_LEN] __attribute__((aligned(4))) = {
    CRV_B1K, CRV_B1K, CRV_B1K, CRV_B1K,
};

#endif
