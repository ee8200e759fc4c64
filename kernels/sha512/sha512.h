/* SHA-512 (FIPS 180-4). */
#ifndef SHA512_H
#define SHA512_H

#include <stdint.h>

/* digest = SHA-512(msg[0..len)); msg must be 4-byte aligned. */
void sha512(const uint8_t *msg, uint32_t len, uint8_t digest[64]);

#endif
