/* Fuzz: key bundles. The input as a whole bundle (the signature check comes first), and the
 * input as the JSON of a bundle signed with the fuzz root key, which reaches the strict parser. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[32], sk[64];
	static int ready;
	if (!ready) {
		if (gd_init() != GD_OK)
			abort();
		fuzz_sign_key(FUZZ_ROOT, pk, sk);
		ready = 1;
	}
	gd_bundle *b = malloc(sizeof *b);
	gd_bundle_verify(b, data, size, pk, FUZZ_NOW, 0);
	if (size <= GD_BUNDLE_MAX_JSON) {
		/* PROTOCOL.md §5.1: "GDKB" | version | u32 J | json | Ed25519(ctx || 0 || bytes) */
		size_t blen = 9 + size + 64;
		uint8_t *buf = malloc(blen);
		static const char ctx[] = "ghostdrop/v1/bundle";
		memcpy(buf, "GDKB", 4);
		buf[4] = 1;
		for (int i = 0; i < 4; i++)
			buf[5 + i] = (uint8_t)(size >> (8 * i));
		memcpy(buf + 9, data, size);
		uint8_t *msg = malloc(sizeof ctx + 9 + size);
		memcpy(msg, ctx, sizeof ctx);
		memcpy(msg + sizeof ctx, buf, 9 + size);
		crypto_sign_detached(buf + 9 + size, NULL, msg, sizeof ctx + 9 + size, sk);
		int rc = gd_bundle_verify(b, buf, blen, pk, FUZZ_NOW, 0);
		if (rc == GD_OK && (b->n_journalists == 0 || b->n_servers == 0))
			abort(); /* a verified bundle always has keys and servers */
		free(msg);
		free(buf);
	}
	free(b);
	return 0;
}
