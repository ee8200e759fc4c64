/* Ed25519 verification (RFC 8032) of each signature of the input block
 * (default: default_vector.h); prints valid or invalid per signature.
 * Input: u32 count (little-endian), then per signature public key[32] ||
 * signature R || S [64] || u32 message length (little-endian) || message. */
#include "../common/kernel_input.h"
#include "../curve25519/ed25519.h"
#include "default_vector.h"

#define RECORD_HEAD 100   /* key, signature, length */

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}

int main(void)
{
	uint32_t len;
	const uint8_t *p = kernel_input(&len, default_vector, sizeof default_vector);

	/* the framing must add up to the block before anything is verified */
	uint32_t count = len >= 4 ? le32(p) : 0, off = 4;
	int ok = len >= 4;
	for (uint32_t i = 0; ok && i < count; i++) {
		if (len - off < RECORD_HEAD) {
			ok = 0;
			break;
		}
		uint32_t mlen = le32(p + off + 96);
		off += RECORD_HEAD;
		if (mlen > len - off)
			ok = 0;
		else
			off += mlen;
	}
	if (!ok || off != len) {
		crv_puts("error: input must be a u32 count, then count records of key[32], signature[64], "
			 "u32 length and message\n");
		return 1;
	}
	p += 4;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t mlen = le32(p + 96);
		int valid = ed25519_verify(p, p + 32, p + RECORD_HEAD, mlen);
		crv_puts(valid ? "valid\n" : "invalid\n");
		p += RECORD_HEAD + mlen;
	}
	return 0;
}
