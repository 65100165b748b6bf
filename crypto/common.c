/* libghostdrop common ground: errors, init, base64url, days, context signatures, strict JSON. */
#include <stdlib.h>

#include "internal.h"

/* The library never translates (the daemon and the desk link it too): its error texts are only
 * marked, so xgettext extracts them into the worker CLI's catalogue, which translates them
 * where it prints them (_(gd_strerror(rc))). */
#define N_(s) (s)

const char *gd_strerror(int err)
{
	switch (err) {
	case GD_OK:
		return N_("success");
	case GD_ERR_INVAL:
		return N_("invalid argument");
	case GD_ERR_NOMEM:
		return N_("out of memory");
	case GD_ERR_CRYPTO:
		return N_("cryptographic library failure");
	case GD_ERR_FORMAT:
		return N_("malformed input");
	case GD_ERR_VERSION:
		return N_("unsupported format version");
	case GD_ERR_CHECKSUM:
		return N_("checksum mismatch (typo or corrupt file)");
	case GD_ERR_DECRYPT:
		return N_("wrong passphrase or tampered file");
	case GD_ERR_SIGNATURE:
		return N_("signature verification failed");
	case GD_ERR_EXPIRED:
		return N_("expired or not yet valid");
	case GD_ERR_ROLLBACK:
		return N_("version older than the minimum known");
	case GD_ERR_NO_KEY:
		return N_("no valid encryption key");
	case GD_ERR_NOT_RECIPIENT:
		return N_("not addressed to any of these keys");
	case GD_ERR_HEADER:
		return N_("envelope header authentication failed");
	case GD_ERR_PAYLOAD:
		return N_("envelope payload authentication failed");
	case GD_ERR_TRUNCATED:
		return N_("input truncated");
	case GD_ERR_TRAILING:
		return N_("trailing data after the end");
	case GD_ERR_TOO_LARGE:
		return N_("input too large");
	case GD_ERR_IO:
		return N_("read or write failed");
	case GD_ERR_WORD:
		return N_("codename word not in the word list");
	case GD_ERR_POW:
		return N_("proof of work invalid");
	case GD_ERR_PURPOSE:
		return N_("made for another purpose");
	case GD_ERR_FORGED:
		return N_("not written with any journalist key of the bundle (forged)");
	case GD_ERR_WEAK:
		return N_("key derivation parameters outside the accepted range");
	}
	return N_("unknown error");
}

int gd_init(void)
{
	return sodium_init() < 0 ? GD_ERR_CRYPTO : GD_OK;
}

uint32_t gd_day(int64_t t)
{
	if (t < 0)
		return 0;
	return (uint32_t)(t / 86400);
}

int gd_b64_encode(char *out, size_t out_cap, const uint8_t *in, size_t in_len)
{
	size_t need = sodium_base64_encoded_len(in_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (out_cap < need)
		return GD_ERR_INVAL;
	sodium_bin2base64(out, out_cap, in, in_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return GD_OK;
}

int gd_b64_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t in_len)
{
	const char *end = NULL;
	size_t n = 0;
	if (sodium_base642bin(out, out_cap, in, in_len, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != in + in_len)
		return GD_ERR_FORMAT;
	/* Reject non-canonical encodings (unused low bits set): re-encode and compare. */
	char check[128];
	if (n <= 90) {
		sodium_bin2base64(check, sizeof check, out, n,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		if (strlen(check) != in_len || memcmp(check, in, in_len) != 0)
			return GD_ERR_FORMAT;
	}
	*out_len = n;
	return GD_OK;
}

int gd_b64_decode_exact(uint8_t *out, size_t n, const char *in)
{
	size_t got = 0;
	if (in == NULL || gd_b64_decode(out, n, &got, in, strlen(in)) != GD_OK || got != n)
		return GD_ERR_FORMAT;
	return GD_OK;
}

/* ctx || 0x00 || a || b in one malloc'ed buffer (PROTOCOL.md §1). */
static uint8_t *ctx_message(const char *ctx, const uint8_t *a, size_t alen, const uint8_t *b,
			    size_t blen, size_t *len)
{
	size_t clen = strlen(ctx) + 1;
	uint8_t *m = malloc(clen + alen + blen);
	if (m == NULL)
		return NULL;
	memcpy(m, ctx, clen);
	if (alen)
		memcpy(m + clen, a, alen);
	if (blen)
		memcpy(m + clen + alen, b, blen);
	*len = clen + alen + blen;
	return m;
}

int gd_sign_ctx(uint8_t sig[GD_SIG_BYTES], const char *ctx, const uint8_t *a, size_t alen,
		const uint8_t *b, size_t blen, const uint8_t sk[GD_SIGN_SK_BYTES])
{
	size_t len;
	uint8_t *m = ctx_message(ctx, a, alen, b, blen, &len);
	if (m == NULL)
		return GD_ERR_NOMEM;
	int rc = crypto_sign_detached(sig, NULL, m, len, sk) == 0 ? GD_OK : GD_ERR_CRYPTO;
	free(m);
	return rc;
}

int gd_verify_ctx(const uint8_t sig[GD_SIG_BYTES], const char *ctx, const uint8_t *a, size_t alen,
		  const uint8_t *b, size_t blen, const uint8_t pk[GD_SIGN_PK_BYTES])
{
	size_t len;
	uint8_t *m = ctx_message(ctx, a, alen, b, blen, &len);
	if (m == NULL)
		return GD_ERR_NOMEM;
	int rc = crypto_sign_verify_detached(sig, m, len, pk) == 0 ? GD_OK : GD_ERR_SIGNATURE;
	free(m);
	return rc;
}

void gd_hash_ctx(uint8_t *out, size_t out_len, const char *ctx, const uint8_t *data, size_t len)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, out_len);
	crypto_generichash_update(&st, (const uint8_t *)ctx, strlen(ctx) + 1);
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, out, out_len);
}

json_t *gd_json_parse(const uint8_t *in, size_t len)
{
	json_error_t err;
	/* Duplicate keys are an error: two parsers must never disagree on a value. */
	json_t *j = json_loadb((const char *)in, len, JSON_REJECT_DUPLICATES, &err);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int gd_json_only_keys(json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach (obj, key, v) {
		int ok = 0;
		for (size_t i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				ok = 1;
		if (!ok)
			return GD_ERR_FORMAT;
	}
	return GD_OK;
}

int gd_json_get_b64(json_t *obj, const char *key, uint8_t *out, size_t want)
{
	json_t *v = json_object_get(obj, key);
	size_t n = 0;
	if (!json_is_string(v))
		return GD_ERR_FORMAT;
	if (gd_b64_decode(out, want, &n, json_string_value(v), json_string_length(v)) != GD_OK ||
	    n != want)
		return GD_ERR_FORMAT;
	return GD_OK;
}

int gd_json_get_int(json_t *obj, const char *key, int64_t *out, int64_t min, int64_t max)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		return GD_ERR_FORMAT;
	json_int_t x = json_integer_value(v);
	if (x < min || x > max)
		return GD_ERR_FORMAT;
	*out = (int64_t)x;
	return GD_OK;
}

int gd_json_set_b64(json_t *obj, const char *key, const uint8_t *in, size_t len)
{
	char buf[256];
	if (gd_b64_encode(buf, sizeof buf, in, len) != GD_OK)
		return GD_ERR_INVAL;
	return json_object_set_new(obj, key, json_string(buf)) == 0 ? GD_OK : GD_ERR_NOMEM;
}

int gd_json_dump(json_t *obj, uint8_t **out, size_t *out_len)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (s == NULL)
		return GD_ERR_NOMEM;
	*out = (uint8_t *)s;
	*out_len = strlen(s);
	return GD_OK;
}
