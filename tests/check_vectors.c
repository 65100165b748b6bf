/* Replays the known-answer vectors in tests/vectors/ (made once by gen_vectors.c): a change to
 * any byte format, context string or KDF parameter makes these fail. */
#include <jansson.h>
#include <stdio.h>

#include "check_main.h"
#include "testutil.h"

#ifndef VECTORS_DIR
#error VECTORS_DIR must be defined by the build
#endif

static const struct {
	const char *name;
	int rc;
} EXPECT[] = {{"success", GD_OK},
	      {"header_failure", GD_ERR_HEADER},
	      {"payload_failure", GD_ERR_PAYLOAD},
	      {"not_recipient", GD_ERR_NOT_RECIPIENT},
	      {"truncated", GD_ERR_TRUNCATED},
	      {"trailing", GD_ERR_TRAILING},
	      {"signature_failure", GD_ERR_SIGNATURE},
	      {"format_failure", GD_ERR_FORMAT},
	      {"checksum_failure", GD_ERR_CHECKSUM},
	      {"wrong_passphrase", GD_ERR_DECRYPT},
	      {"corrupt", GD_ERR_CHECKSUM},
	      {"expired", GD_ERR_EXPIRED},
	      {"rollback", GD_ERR_ROLLBACK},
	      {"no_key", GD_ERR_NO_KEY},
	      {"forged", GD_ERR_FORGED},
	      {"unknown_word", GD_ERR_WORD},
	      {"pow_failure", GD_ERR_POW},
	      {"purpose_failure", GD_ERR_PURPOSE}};

static int expected(json_t *v)
{
	const char *e = json_string_value(json_object_get(v, "expect"));
	ck_assert_ptr_nonnull(e);
	for (size_t i = 0; i < sizeof EXPECT / sizeof EXPECT[0]; i++)
		if (strcmp(e, EXPECT[i].name) == 0)
			return EXPECT[i].rc;
	ck_abort_msg("unknown expect %s", e);
	return 0;
}

static json_t *load(const char *module)
{
	char path[512];
	json_error_t err;
	snprintf(path, sizeof path, "%s/%s.json", VECTORS_DIR, module);
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	ck_assert_msg(doc != NULL, "%s: %s", path, err.text);
	json_t *vs = json_object_get(doc, "vectors");
	ck_assert(json_array_size(vs) > 0);
	json_incref(vs);
	json_decref(doc);
	return vs;
}

static uint8_t *hexfield(json_t *v, const char *key, size_t *n)
{
	size_t dummy;
	const char *s = json_string_value(json_object_get(v, key));
	ck_assert_msg(s != NULL, "missing %s", key);
	uint8_t *b = unhex(s, n ? n : &dummy);
	ck_assert_ptr_nonnull(b);
	return b;
}

static void hexeq(json_t *v, const char *key, const uint8_t *got, size_t n)
{
	size_t len;
	uint8_t *want = hexfield(v, key, &len);
	ck_assert_uint_eq(len, n);
	ck_assert_msg(memcmp(want, got, n) == 0, "%s differs", key);
	free(want);
}

#define NAME(v) json_string_value(json_object_get(v, "name"))

START_TEST(envelope)
{
	json_t *vs = load("envelope"), *v;
	size_t i;
	json_array_foreach(vs, i, v)
	{
		membuf env = {0};
		json_t *base = json_object_get(v, "base");
		if (base != NULL) { /* an earlier case's envelope, edited */
			json_t *b;
			size_t bi;
			json_array_foreach(vs, bi, b)
			{
				if (bi < i && strcmp(NAME(b), json_string_value(base)) == 0)
					env.buf = hexfield(b, "envelope", &env.len);
			}
			ck_assert_msg(env.buf != NULL, "%s: no base", NAME(v));
			env.cap = env.len;
			vec_apply_edits(&env, json_object_get(v, "edits"));
		} else {
			env.buf = hexfield(v, "envelope", &env.len);
		}
		json_t *keys = json_object_get(v, "keys"), *k;
		boxkey kr[4];
		size_t j;
		json_array_foreach(keys, j, k)
		{
			uint8_t *sk = hexfield(k, "sk", NULL), *pk = hexfield(k, "pk", NULL);
			memcpy(kr[j].sk, sk, 32);
			memcpy(kr[j].pk, pk, 32);
			free(sk);
			free(pk);
		}
		sink_state s;
		gd_open_result res;
		int rc = open_from(&env, kr, (unsigned)json_array_size(keys), &s, &res);
		ck_assert_msg(rc == expected(v), "%s: got %d (%s)", NAME(v), rc, gd_strerror(rc));
		if (rc == GD_OK) {
			uint8_t h[32];
			crypto_hash_sha256(h, s.data.buf ? s.data.buf : (const uint8_t *)"", s.data.len);
			hexeq(v, "data_sha256", h, 32);
			hexeq(v, "ack_key", res.ack_key, 32);
			ck_assert_str_eq(s.m.text, json_string_value(json_object_get(v, "text")));
			ck_assert_int_eq(res.key_index,
					 json_integer_value(json_object_get(v, "key_index")));
			ck_assert_int_eq(s.m.has_source,
					 json_is_true(json_object_get(v, "has_source")));
		}
		sink_free(&s);
		free(env.buf);
	}
	json_decref(vs);
}
END_TEST

START_TEST(bundle)
{
	json_t *vs = load("bundle"), *v;
	size_t i, len;
	json_array_foreach(vs, i, v)
	{
		uint8_t *pk = hexfield(v, "root_pk", NULL), *b = hexfield(v, "bundle", &len);
		gd_bundle out;
		int rc = gd_bundle_verify(&out, b, len, pk,
					  json_integer_value(json_object_get(v, "now")),
					  (uint64_t)json_integer_value(json_object_get(v, "min_version")));
		ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
		if (rc == GD_OK)
			ck_assert_str_eq(out.newsroom, "The Daily Ledger");
		free(pk);
		free(b);
	}
	json_decref(vs);
}
END_TEST

START_TEST(keystring)
{
	json_t *vs = load("keystring"), *v;
	size_t i;
	json_array_foreach(vs, i, v)
	{
		uint8_t pk[32];
		int rc = gd_keystring_decode(pk, json_string_value(json_object_get(v, "string")));
		ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
		if (rc == GD_OK)
			hexeq(v, "pk", pk, 32);
	}
	json_decref(vs);
}
END_TEST

START_TEST(keyfile)
{
	json_t *vs = load("keyfile"), *v;
	size_t i, len, n;
	json_array_foreach(vs, i, v)
	{
		uint8_t *f = hexfield(v, "file", &len), *out = sodium_malloc(64);
		const char *pass = json_string_value(json_object_get(v, "passphrase"));
		gd_key_kind kind;
		int rc = gd_keyfile_open(out, 64, &n, &kind, f, len, pass, strlen(pass));
		ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
		if (rc == GD_OK) {
			hexeq(v, "secret", out, n);
			ck_assert_int_eq(kind, GD_KEY_JOURNALIST);
		}
		sodium_free(out);
		free(f);
	}
	json_decref(vs);
}
END_TEST

START_TEST(codename)
{
	json_t *vs = load("codename"), *v;
	size_t i;
	json_array_foreach(vs, i, v)
	{
		const char *in = json_string_value(json_object_get(v, "input"));
		char canon[GD_CODENAME_MAX];
		int bad;
		int rc = gd_codename_normalise(canon, sizeof canon, in, strlen(in), &bad);
		ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
		if (rc != GD_OK) {
			ck_assert_int_eq(bad, json_integer_value(json_object_get(v, "bad_word")));
			json_t *sug = json_object_get(v, "suggestion");
			if (sug != NULL) {
				const char *p = in;
				for (int w = 0; w < bad; w++) /* find the bad word */
					p = strchr(p, ' ') + 1;
				size_t wl = strcspn(p, " ");
				ck_assert_str_eq(gd_wordlist_nearest(p, wl), json_string_value(sug));
			}
			continue;
		}
		ck_assert_str_eq(canon, json_string_value(json_object_get(v, "canonical")));
		uint8_t *nr = hexfield(v, "newsroom_pk", NULL);
		gd_source_keys *k = test_source(canon, nr);
		hexeq(v, "reply_pk", k->reply_pk, 32);
		hexeq(v, "identity_pk", k->identity_pk, 32);
		hexeq(v, "mailbox_pk", k->mailbox_pk, 32);
		hexeq(v, "mailbox_id", k->mailbox_id, 16);
		sodium_free(k);
		free(nr);
	}
	json_decref(vs);
}
END_TEST

START_TEST(reply)
{
	json_t *vs = load("reply"), *v;
	size_t i, len;
	gd_source_keys *k = NULL;
	json_array_foreach(vs, i, v)
	{
		if (k == NULL) {
			uint8_t *nr = hexfield(v, "newsroom_pk", NULL);
			k = test_source(json_string_value(json_object_get(v, "codename")), nr);
			free(nr);
		}
		gd_bundle b;
		memset(&b, 0, sizeof b);
		json_t *js = json_object_get(v, "journalists"), *j;
		size_t n;
		json_array_foreach(js, n, j)
		{
			uint8_t *pk = hexfield(j, "pk", NULL);
			memcpy(b.journalists[n].pk, pk, 32);
			b.journalists[n].verify_only = json_is_true(json_object_get(j, "verify_only"));
			free(pk);
		}
		b.n_journalists = json_array_size(js);
		uint8_t *r = hexfield(v, "reply", &len);
		gd_reply rep;
		int rc = gd_reply_open(&rep, r, len, k, &b);
		ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
		if (rc == GD_OK) {
			ck_assert_str_eq(rep.text, "Thank you. Please use a personal device only.");
			ck_assert_int_eq(rep.journalist,
					 json_integer_value(json_object_get(v, "journalist")));
			ck_assert_int_eq(rep.older_key, rep.journalist == 1);
			gd_reply_clear(&rep);
		}
		free(r);
	}
	sodium_free(k);
	json_decref(vs);
}
END_TEST

START_TEST(pow_challenges)
{
	json_t *vs = load("pow"), *v;
	size_t i, len;
	json_array_foreach(vs, i, v)
	{
		uint8_t *key = hexfield(v, "key", NULL), *ch = hexfield(v, "challenge", &len);
		ck_assert_uint_eq(len, GD_POW_CHALLENGE_BYTES);
		gd_pow_challenge c;
		int rc = gd_pow_check(&c, ch, (uint64_t)json_integer_value(json_object_get(v, "counter")),
				      key, (uint8_t)json_integer_value(json_object_get(v, "purpose")),
				      (unsigned)json_integer_value(json_object_get(v, "min_bits")),
				      json_integer_value(json_object_get(v, "now")));
		ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
		free(key);
		free(ch);
	}
	json_decref(vs);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vectors");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, envelope);
	tcase_add_test(tc, bundle);
	tcase_add_test(tc, keystring);
	tcase_add_test(tc, keyfile);
	tcase_add_test(tc, codename);
	tcase_add_test(tc, reply);
	tcase_add_test(tc, pow_challenges);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
