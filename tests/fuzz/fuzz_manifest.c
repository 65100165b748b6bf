/* Fuzz: the manifest JSON at the head of a decrypted envelope. What decodes must encode and
 * decode again to the same fields. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gd_manifest m, again;
	if (gd_manifest_decode(&m, data, size) != GD_OK)
		return 0;
	uint8_t *out;
	size_t len;
	if (gd_manifest_encode(&out, &len, &m) != GD_OK)
		abort();
	if (gd_manifest_decode(&again, out, len) != GD_OK || again.text_len != m.text_len ||
	    again.n_attachments != m.n_attachments || again.has_source != m.has_source ||
	    memcmp(again.submission_id, m.submission_id, 16) != 0)
		abort();
	free(out);
	gd_manifest_clear(&again);
	gd_manifest_clear(&m);
	return 0;
}
