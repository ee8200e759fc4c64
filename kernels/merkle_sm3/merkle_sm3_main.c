/* Merkle root with SM3: parent = SM3(left || right), a single SM3 of the
 * 64-byte concatenation; tree shape as Bitcoin's (the last node of an odd
 * level is paired with itself). See ../common/merkle_tree.h for the I/O. */
#include "../common/merkle_tree.h"
#include "../common/sm3_core.h"

/* The 64-byte message's padding block: 0x80, zeros, length 512 bits. */
static const uint32_t pad64[16] = {0x80000000u, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 512};

static void sm3_pair(const uint32_t left[8], const uint32_t right[8], uint32_t out[8])
{
    uint32_t w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++) {
        w[i] = left[i];
        w[8 + i] = right[i];
        out[i] = sm3_iv[i];
    }
    sm3_compress_words(out, w);
    sm3_compress_words(out, pad64);
}

int main(void)
{
    return merkle_main(sm3_pair);
}
