/* SHA-512 of the input block (default: 4 KiB, default_vector.h); prints the
 * 128-hex-digit digest and a newline. */
#include "chainrv.h"
#include "default_vector.h"
#include "sha512.h"

int main(void)
{
    uint32_t len;
    const uint8_t *msg = crv_input(&len);
    if (!msg) {
        msg = default_input;
        len = sizeof default_input;
    }
    uint8_t digest[64];
    sha512(msg, len, digest);
    crv_print_hex(digest, sizeof digest);
    crv_putc('\n');
    return 0;
}
