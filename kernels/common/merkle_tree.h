/* Bitcoin-shaped Merkle tree driver shared by merkle_btc and merkle_sm3. */
#ifndef MERKLE_TREE_H
#define MERKLE_TREE_H

#include <stdint.h>

/* Parent of two children; nodes are the 8 big-endian words of their bytes. */
typedef void (*merkle_node_fn)(const uint32_t left[8], const uint32_t right[8], uint32_t out[8]);

/* Reads `count (u32 LE) || count x 32-byte nodes` from the input block (or
 * the default leaves), pairs nodes level by level, duplicating the last node
 * of an odd level, and prints the root's 32 bytes in hex and a newline.
 * Returns 0, or 1 after a one-line error for malformed input. */
int merkle_main(merkle_node_fn parent);

#endif
