/* Fuzz: reply blobs as a worker's client opens them, with the fuzz source's keys and a bundle
 * holding the fuzz journalist (the seeds are replies from it). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gd_source_keys *src;
	static gd_bundle *b;
	if (src == NULL) {
		uint8_t root_pk[32], root_sk[64];
		if (gd_init() != GD_OK)
			abort();
		fuzz_sign_key(FUZZ_ROOT, root_pk, root_sk);
		src = sodium_malloc(sizeof *src);
		if (gd_codename_derive(src, FUZZ_CODENAME, root_pk) != GD_OK)
			abort();
		b = calloc(1, sizeof *b);
		b->n_journalists = 1;
		b->valid[0] = 1;
		b->in_window[0] = 1;
		uint8_t sk[32];
		fuzz_box_key(FUZZ_JOURNALIST, b->journalists[0].pk, sk);
		snprintf(b->journalists[0].name, sizeof b->journalists[0].name, "Ana");
	}
	gd_reply r;
	if (gd_reply_open(&r, data, size, src, b) == GD_OK) {
		if (memcmp(r.mailbox_id, src->mailbox_id, 16) != 0 ||
		    r.text_len > GD_REPLY_MAX_TEXT)
			abort();
		gd_reply_clear(&r);
	}
	return 0;
}
