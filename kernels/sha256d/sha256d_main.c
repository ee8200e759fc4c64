/* SHA-256d (SHA-256 applied twice) of the input block, by default the
 * Bitcoin genesis block header. Prints the hash byte-reversed, the order
 * block explorers display, and a newline. */
#include "../common/genesis_header.h"
#include "../common/kernel_input.h"
#include "../common/sha256_core.h"

int main(void)
{
    uint32_t len;
    const uint8_t *msg = kernel_input(&len, genesis_header, GENESIS_HEADER_LEN);
    uint32_t st[8];
    uint8_t digest[32], shown[32];
    sha256d_state(msg, len, st);
    sha256_state_to_bytes(st, digest);
    for (int i = 0; i < 32; i++)
        shown[i] = digest[31 - i];
    crv_print_hex(shown, 32);
    crv_putc('\n');
    return 0;
}
