/* ghostdrop fuzz targets (libFuzzer): fixed keys shared by the targets and the seed maker, so
 * that seeds are envelopes, replies and bundles the targets can really open. */
#ifndef GD_FUZZ_H
#define GD_FUZZ_H

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gdcrypto.h"

#define FUZZ_NOW 1800000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A key pair from a label: the same bytes in every process. */
static inline void fuzz_box_key(const char *label, uint8_t pk[32], uint8_t sk[32])
{
	uint8_t seed[32];
	crypto_generichash(seed, sizeof seed, (const uint8_t *)label, strlen(label), NULL, 0);
	crypto_box_seed_keypair(pk, sk, seed);
}

static inline void fuzz_sign_key(const char *label, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];
	crypto_generichash(seed, sizeof seed, (const uint8_t *)label, strlen(label), NULL, 0);
	crypto_sign_seed_keypair(pk, sk, seed);
}

#define FUZZ_JOURNALIST "ghostdrop fuzz journalist"
#define FUZZ_ROOT "ghostdrop fuzz newsroom root"
#define FUZZ_POW_KEY "ghostdrop fuzz pow key"
#define FUZZ_CODENAME "abacus abdomen abdominal abide abiding ability ablaze able"

/* A reader over a buffer, in pieces of varying size. */
typedef struct {
	const uint8_t *p;
	size_t len, pos;
} fuzz_in;

static inline ssize_t fuzz_read(void *arg, uint8_t *buf, size_t len)
{
	fuzz_in *in = arg;
	size_t n = in->len - in->pos;
	if (n > len)
		n = len;
	if (n > 4093)
		n = 4093; /* odd pieces: chunk boundaries inside reads */
	memcpy(buf, in->p + in->pos, n);
	in->pos += n;
	return (ssize_t)n;
}

#endif
