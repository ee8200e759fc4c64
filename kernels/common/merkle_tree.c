#include "merkle_tree.h"

#include "crv_bitops.h"
#include "default_leaves.h"
#include "kernel_input.h"

int merkle_main(merkle_node_fn parent)
{
    uint32_t len;
    /* The input block is RAM: the levels are reduced in place over it. */
    uint8_t *in = (uint8_t *)kernel_input(&len, default_leaves, DEFAULT_LEAVES_LEN);
    if (len < 4) {
        crv_puts("error: merkle input shorter than its 4-byte count\n");
        return 1;
    }
    uint32_t n = load_le32(in);
    if (n == 0 || n > (len - 4) / 32) {
        crv_puts("error: merkle leaf count is 0 or exceeds the input\n");
        return 1;
    }
    uint32_t(*node)[8] = (uint32_t(*)[8])(void *)(in + 4);
    for (uint32_t i = 0; i < n; i++)
        for (int j = 0; j < 8; j++)
            node[i][j] = load_be32_aligned((const uint8_t *)&node[i][j]);
    while (n > 1) {
        uint32_t m = (n + 1) / 2;
        for (uint32_t i = 0; i < m; i++) {
            const uint32_t *r = 2 * i + 1 < n ? node[2 * i + 1] : node[2 * i];
            parent(node[2 * i], r, node[i]);
        }
        n = m;
    }
    uint8_t root[32];
    for (int j = 0; j < 8; j++)
        store_be32(root + 4 * j, node[0][j]);
    crv_print_hex(root, 32);
    crv_putc('\n');
    return 0;
}
