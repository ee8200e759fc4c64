/* RIPEMD-160 of the input block (default: the 4 KiB message of
 * default_msg4k.h); prints the 40-hex-digit digest and a newline. */
#include "../common/default_msg4k.h"
#include "../common/kernel_input.h"
#include "ripemd160.h"

int main(void)
{
    uint32_t len;
    const uint8_t *msg = kernel_input(&len, default_msg4k, DEFAULT_MSG4K_LEN);
    uint8_t digest[20];
    ripemd160(msg, len, digest);
    crv_print_hex(digest, 20);
    crv_putc('\n');
    return 0;
}
