/* Fuzz: an envelope as it reaches the drop (gd_envelope_peek: unauthenticated header) and the
 * desk (gd_envelope_open with a journalist key the seeds are sealed to). */
#include "fuzz.h"

static int on_manifest(void *arg, const gd_manifest *m)
{
	(void)arg;
	return m->text_len > GD_ENV_MAX_TEXT ? -1 : 0;
}

static int on_data(void *arg, size_t att, const uint8_t *buf, size_t len)
{
	(void)att;
	(void)buf;
	*(size_t *)arg += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[1][32], sk[1][32];
	static int ready;
	if (!ready) {
		if (gd_init() != GD_OK)
			abort();
		fuzz_box_key(FUZZ_JOURNALIST, pk[0], sk[0]);
		ready = 1;
	}
	unsigned n;
	uint64_t total;
	uint8_t ack[32];
	if (gd_envelope_peek(data, size, &n, &total, ack) == GD_OK &&
	    (n < 1 || n > GD_ENV_MAX_RECIPIENTS || total < gd_envelope_header_size(n)))
		abort(); /* peek accepted a header it should not have */
	size_t got = 0;
	fuzz_in in = {data, size, 0};
	gd_open_sink sink = {on_manifest, on_data, &got};
	gd_open_result res;
	int rc = gd_envelope_open(fuzz_read, &in, (const uint8_t(*)[32])sk,
				  (const uint8_t(*)[32])pk, 1, &sink, &res);
	if (rc == GD_OK && res.envelope_size != size)
		abort(); /* success must consume exactly the envelope */
	return 0;
}
