/* SM4-ECB over the input block (see ../common/ecb_kernel.h for the format
 * and the printed fold); default: default_vector.h. */
#include "../common/ecb_kernel.h"
#include "sm4.h"
#include "default_vector.h"

/* .noinit: crt0 need not spend 32 Ki stores clearing it */
static uint8_t ciphertext[CRV_INPUT_MAX] __attribute__((aligned(4), section(".noinit")));

int main(void)
{
    uint32_t nblocks;
    const uint8_t *in = ecb_input(default_input, sizeof default_input, &nblocks);
    if (!in)
        return 1;
    uint32_t rk[SM4_ROUNDS];
    sm4_key_schedule(rk, in);
    sm4_ecb_encrypt(rk, in + 16, ciphertext, nblocks);
    ecb_print_fold(ciphertext, nblocks);
    return 0;
}
