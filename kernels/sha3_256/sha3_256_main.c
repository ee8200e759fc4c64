/* SHA3-256 (FIPS 202) of the input block (default: the 4 KiB message of
 * default_msg4k.h); prints the 64-hex-digit digest and a newline. */
#include "../common/default_msg4k.h"
#include "../common/kernel_input.h"
#include "../keccak256/keccak_f1600.h"

int main(void)
{
    uint32_t len;
    const uint8_t *msg = kernel_input(&len, default_msg4k, DEFAULT_MSG4K_LEN);
    uint8_t digest[32];
    sha3_256(msg, len, digest);
    crv_print_hex(digest, 32);
    crv_putc('\n');
    return 0;
}
