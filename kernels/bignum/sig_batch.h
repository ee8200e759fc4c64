/* The input handling shared by the signature kernels: a batch of 160-byte
 * records (32-byte digest, 64-byte public key x || y, 64-byte r || s, all
 * big-endian), one output line "valid" or "invalid" per record. */
#ifndef SIG_BATCH_H
#define SIG_BATCH_H

#include <stdint.h>

#define SIG_RECORD_BYTES 160

typedef int (*sig_verify_fn)(const uint8_t digest[32], const uint8_t pub[64], const uint8_t sig[64]);

/* Verifies the records of the input block, or of dflt when no block is
 * loaded.  The data is a u32 little-endian count followed by count records,
 * or exactly one record without a count.  Returns main's exit status: 0, or
 * 1 after a one-line error for data of any other length. */
int sig_batch_main(sig_verify_fn verify, const uint8_t *dflt, uint32_t dflt_len);

#endif
