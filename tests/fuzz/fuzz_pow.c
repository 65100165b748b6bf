/* Fuzz: proof-of-work solutions as the drop checks them: a challenge (72 bytes) and a counter
 * (8 bytes) as sent, and, past the MAC, the challenge fields MAC'd with the drop's key. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t key[32];
	static int ready;
	if (!ready) {
		if (gd_init() != GD_OK)
			abort();
		crypto_generichash(key, 32, (const uint8_t *)FUZZ_POW_KEY, strlen(FUZZ_POW_KEY),
				   NULL, 0);
		ready = 1;
	}
	if (size < GD_POW_CHALLENGE_BYTES + 8)
		return 0;
	uint64_t ctr = 0;
	for (int i = 0; i < 8; i++)
		ctr |= (uint64_t)data[GD_POW_CHALLENGE_BYTES + i] << (8 * i);
	gd_pow_challenge c;
	gd_pow_parse(&c, data);
	for (uint8_t purpose = 1; purpose <= 3; purpose++) {
		int rc = gd_pow_check(&c, data, ctr, key, purpose, 0, FUZZ_NOW);
		if (rc == GD_OK &&
		    (c.purpose != purpose || gd_pow_leading_zeros(data, ctr) < c.bits))
			abort(); /* accepted for another purpose, or without the work */
	}
	/* the fields, properly MAC'd: the rest of the check */
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	if (gd_pow_parse(&c, data) == GD_OK && gd_pow_issue(ch, &c, key) == GD_OK) {
		int rc = gd_pow_check(&c, ch, ctr, key, data[1], data[2], FUZZ_NOW);
		if (rc == GD_OK && gd_pow_leading_zeros(ch, ctr) < c.bits)
			abort();
	}
	return 0;
}
