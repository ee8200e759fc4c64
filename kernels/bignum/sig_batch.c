#include "sig_batch.h"

#include "../common/kernel_input.h"

#ifdef SIG_COUNT_INSTRET
#include <stdio.h>
#endif

int sig_batch_main(sig_verify_fn verify, const uint8_t *dflt, uint32_t dflt_len)
{
	uint32_t len, count;
	const uint8_t *p = kernel_input(&len, dflt, dflt_len);

	if (len == SIG_RECORD_BYTES) {
		count = 1;
	} else {
		count = len >= 4 ? p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24) : 0;
		p += 4;
		if (len < 4 || count > (len - 4) / SIG_RECORD_BYTES || len - 4 != count * SIG_RECORD_BYTES) {
			crv_puts("error: input must be one 160-byte record or a u32 count and count records\n");
			return 1;
		}
	}
	for (uint32_t i = 0; i < count; i++, p += SIG_RECORD_BYTES) {
#ifdef SIG_COUNT_INSTRET
		/* measurement builds only: instructions retired by one verification */
		uint32_t t0 = crv_rdinstret();
		int ok = verify(p, p + 32, p + 96);
		uint32_t t1 = crv_rdinstret();
		printf("instret %lu\n", (unsigned long)(t1 - t0));
#else
		int ok = verify(p, p + 32, p + 96);
#endif
		crv_puts(ok ? "valid\n" : "invalid\n");
	}
	return 0;
}
