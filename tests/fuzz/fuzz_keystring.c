/* Fuzz: the newsroom key string a worker types or pastes. What decodes re-encodes to a string
 * that decodes to the same key. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	uint8_t pk[32], again[32];
	char enc[GD_KEYSTRING_LEN + 1];
	if (gd_keystring_decode(pk, s) == GD_OK &&
	    (gd_keystring_encode(enc, pk) != GD_OK || gd_keystring_decode(again, enc) != GD_OK ||
	     memcmp(pk, again, 32) != 0))
		abort();
	free(s);
	return 0;
}
