/* SHA-512 (FIPS 180-4). */
#ifndef SHA512_H
#define SHA512_H

#include <stdint.h>

/* digest = SHA-512(msg[0..len)); msg must be 4-byte aligned. */
void sha512(const uint8_t *msg, uint32_t len, uint8_t digest[64]);

/* The same digest over a message given in pieces of any length and alignment
 * (Ed25519 hashes R || A || M, which are not contiguous in its input). */
typedef struct {
    uint64_t state[8];
    uint32_t buf[32];   /* the partial block */
    uint32_t fill;      /* bytes in buf */
    uint32_t total;     /* bytes hashed so far */
} sha512_ctx;

void sha512_init(sha512_ctx *c);
void sha512_update(sha512_ctx *c, const uint8_t *data, uint32_t len);
void sha512_final(sha512_ctx *c, uint8_t digest[64]);

#endif
