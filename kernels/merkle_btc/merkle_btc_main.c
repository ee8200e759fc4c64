/* Bitcoin Merkle root: parent = SHA-256d(left || right), nodes in internal
 * byte order; see ../common/merkle_tree.h for input and output. */
#include "../common/merkle_tree.h"
#include "../common/sha256_core.h"

/* The 64-byte message's padding block: 0x80, zeros, length 512 bits. */
static const uint32_t pad64[16] = {0x80000000u, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 512};

static void sha256d_pair(const uint32_t left[8], const uint32_t right[8], uint32_t out[8])
{
    uint32_t w[16], st[8];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++) {
        w[i] = left[i];
        w[8 + i] = right[i];
        st[i] = sha256_iv[i];
    }
    sha256_compress_words(st, w);
    sha256_compress_words(st, pad64);
    sha256_of_digest_words(st, out);
}

int main(void)
{
    return merkle_main(sha256d_pair);
}
