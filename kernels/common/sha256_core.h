/* SHA-256 (FIPS 180-4) core shared by the sha256, sha256d, mining and
 * merkle_btc kernels. States and message words are host (little-endian)
 * integers holding the big-endian words of the standard. */
#ifndef SHA256_CORE_H
#define SHA256_CORE_H

#include <stdint.h>

extern const uint32_t sha256_iv[8];

/* Compress `nblocks` 64-byte blocks at a 4-byte aligned address. */
void sha256_blocks(uint32_t state[8], const uint8_t *data, uint32_t nblocks);

/* Compress one block given as 16 already-decoded message words. */
void sha256_compress_words(uint32_t state[8], const uint32_t w[16]);

/* Serialize a state as the 32-byte big-endian digest. */
void sha256_state_to_bytes(const uint32_t state[8], uint8_t out[32]);

/* One-shot SHA-256 of any length at any alignment. */
void sha256(const uint8_t *msg, uint32_t len, uint8_t digest[32]);

/* SHA-256(SHA-256(msg)) as a state (the digest's big-endian words). */
void sha256d_state(const uint8_t *msg, uint32_t len, uint32_t out[8]);

/* Second hash of SHA-256d: SHA-256 of a 32-byte digest given as its words. */
void sha256_of_digest_words(const uint32_t in[8], uint32_t out[8]);

#endif
