/* ECDSA verification over NIST P-256 (SEC 1 v2, 4.1.4; FIPS 186-4) for each
 * signature of the input block (default: default_vector.h); prints valid or
 * invalid. */
#include "../bignum/ecdsa_verify.h"
#include "../bignum/sig_batch.h"
#include "default_vector.h"

static int ecdsa_verify(const uint8_t z[32], const uint8_t pub[64], const uint8_t sig[64])
{
	return ecdsa_verify_on(&ec_p256, z, pub, sig);
}

int main(void)
{
	return sig_batch_main(ecdsa_verify, default_vector, sizeof default_vector);
}
