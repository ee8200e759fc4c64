/* Bitcoin mining loop with a midstate.
 *
 * Input (116 bytes): the 76-byte header prefix (version .. bits), the start
 * nonce (u32 LE), the nonce count N (u32 LE), and the 256-bit target
 * (32 bytes, little-endian, like a hash in internal byte order). The first
 * 64 header bytes are compressed once; per nonce only the second block of
 * the first SHA-256 and the single block of the second one remain.
 *
 * Output line: the nonce (8 hex digits of its value) whose SHA-256d is the
 * smallest of the N, a space, that hash byte-reversed (display order), a
 * space, the number of nonces whose hash (as a little-endian number) is
 * <= the target, in decimal. Default: the genesis header around its nonce.
 */
#include "../common/crv_bitops.h"
#include "../common/genesis_header.h"
#include "../common/kernel_input.h"
#include "../common/sha256_core.h"

#define JOB_LEN 116u
#define DEFAULT_START 2083236793u /* genesis nonce 2083236893 - 100 */
#define DEFAULT_COUNT 128u

/* a < b for 256-bit numbers given as 8 words, least significant first. */
static int less256(const uint32_t *a, const uint32_t *b)
{
    for (int i = 7; i >= 0; i--)
        if (a[i] != b[i])
            return a[i] < b[i];
    return 0;
}

static void default_job(uint8_t *job)
{
    for (unsigned i = 0; i < 76; i++)
        job[i] = genesis_header[i];
    store_le32(job + 76, DEFAULT_START);
    store_le32(job + 80, DEFAULT_COUNT);
    for (unsigned i = 84; i < JOB_LEN; i++)
        job[i] = 0;
    job[84 + 26] = 0xff; /* bits 0x1d00ffff: 0xffff << 208 */
    job[84 + 27] = 0xff;
}

int main(void)
{
    uint32_t buf[JOB_LEN / 4];
    uint32_t len;
    const uint8_t *job = crv_input(&len);
    if (job == 0) {
        default_job((uint8_t *)buf);
        job = (const uint8_t *)buf;
        len = JOB_LEN;
    }
    if (len != JOB_LEN) {
        crv_puts("error: mining input must be 116 bytes\n");
        return 1;
    }
    uint32_t nonce = load_le32(job + 76), count = load_le32(job + 80);
    if (count == 0) {
        crv_puts("error: nonce count is 0\n");
        return 1;
    }
    uint32_t target[8];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++)
        target[i] = load_le32(job + 84 + 4 * i);

    uint32_t mid[8];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++)
        mid[i] = sha256_iv[i];
    sha256_blocks(mid, job, 1);

    uint32_t w[16];
#pragma GCC unroll 16
    for (int i = 0; i < 3; i++)
        w[i] = load_be32_aligned(job + 64 + 4 * i);
    w[4] = 0x80000000u;
#pragma GCC unroll 16
    for (int i = 5; i < 15; i++)
        w[i] = 0;
    w[15] = 640; /* 80 bytes in bits */

    uint32_t best[8], best_nonce = nonce, wins = 0;
    for (uint32_t n = 0; n < count; n++, nonce++) {
        uint32_t st[8], h[8], v[8];
#pragma GCC unroll 16
        for (int i = 0; i < 8; i++)
            st[i] = mid[i];
        w[3] = BSWAP32(nonce); /* the header stores it little-endian */
        sha256_compress_words(st, w);
        sha256_of_digest_words(st, h);
#pragma GCC unroll 16
        for (int i = 0; i < 8; i++)
            v[i] = BSWAP32(h[i]); /* hash as a little-endian number */
        if (!less256(target, v))
            wins++;
        if (n == 0 || less256(v, best)) {
            best_nonce = nonce;
#pragma GCC unroll 16
            for (int i = 0; i < 8; i++)
                best[i] = v[i];
        }
    }

    uint8_t out[32];
    store_be32(out, best_nonce);
    crv_print_hex(out, 4);
    crv_putc(' ');
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, best[7 - i]);
    crv_print_hex(out, 32);
    crv_putc(' ');
    crv_print_u32(wins);
    crv_putc('\n');
    return 0;
}
