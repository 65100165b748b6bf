/* Replays the known-answer vectors in tests/vectors/ (made once by gen_vectors.c): a change to
 * any byte format, context string or KDF parameter makes these fail. */
#include <jansson.h>
#include <stdio.h>

#include <signal.h>
#include <strings.h>
#include <time.h>

#include "batch.h"
#include "check_main.h"
#include "daemon.h"
#include "fileio.h"
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
	      {"version", GD_ERR_VERSION},
	      {"weak", GD_ERR_WEAK},
	      {"too_large", GD_ERR_TOO_LARGE},
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
#define STR(v, k) json_string_value(json_object_get(v, k))
#define INT(v, k) json_integer_value(json_object_get(v, k))

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

START_TEST(envelope)
{
	json_t *vs = load("envelope"), *v;
	size_t i;
	json_array_foreach (vs, i, v) {
		membuf env = {0};
		json_t *base = json_object_get(v, "base");
		if (base != NULL) { /* an earlier case's envelope, edited */
			json_t *b;
			size_t bi;
			json_array_foreach (vs, bi, b) {
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
		json_array_foreach (keys, j, k) {
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
			crypto_hash_sha256(h, s.data.buf ? s.data.buf : (const uint8_t *)"",
					   s.data.len);
			hexeq(v, "data_sha256", h, 32);
			hexeq(v, "ack_key", res.ack_key, 32);
			ck_assert_str_eq(s.m.text, json_string_value(json_object_get(v, "text")));
			ck_assert_int_eq(res.key_index,
					 json_integer_value(json_object_get(v, "key_index")));
			ck_assert_int_eq(s.m.has_source,
					 json_is_true(json_object_get(v, "has_source")));
		}
		json_t *seal = json_object_get(v, "seal");
		if (seal != NULL) { /* gd_seal_new_seeded from these inputs gives these bytes */
			membuf again = {0};
			ck_assert_int_eq(vec_seal_seeded(&again, seal), GD_OK);
			ck_assert_msg(again.len == env.len &&
					      memcmp(again.buf, env.buf, env.len) == 0,
				      "%s: sealed again, other bytes", NAME(v));
			membuf_free(&again);
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
	json_array_foreach (vs, i, v) {
		uint8_t *pk = hexfield(v, "root_pk", NULL), *b = hexfield(v, "bundle", &len);
		gd_bundle out;
		int rc = gd_bundle_verify(
			&out, b, len, pk, json_integer_value(json_object_get(v, "now")),
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
	json_array_foreach (vs, i, v) {
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
	json_array_foreach (vs, i, v) {
		uint8_t *f = hexfield(v, "file", &len), *out = sodium_malloc(64);
		const char *pass = json_string_value(json_object_get(v, "passphrase"));
		char line[256];
		if (pass == NULL) { /* a line as the programs read it (§4.1) */
			const char *l = json_string_value(json_object_get(v, "passphrase_line"));
			size_t pl = gd_passphrase_len(l, strlen(l));
			ck_assert_uint_lt(pl, sizeof line);
			memcpy(line, l, pl);
			line[pl] = '\0';
			pass = line;
		}
		gd_key_kind kind;
		json_t *want = json_object_get(v, "want_kind"), *k = json_object_get(v, "kind");
		int rc = want != NULL
				 ? gd_keyfile_open_kind(out, 64, &n,
							(gd_key_kind)json_integer_value(want), f,
							len, pass, strlen(pass))
				 : gd_keyfile_open(out, 64, &n, &kind, f, len, pass, strlen(pass));
		ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
		if (rc == GD_OK) {
			hexeq(v, "secret", out, n);
			if (want == NULL)
				ck_assert_int_eq(kind,
						 k ? json_integer_value(k) : GD_KEY_JOURNALIST);
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
	json_array_foreach (vs, i, v) {
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
				ck_assert_str_eq(gd_wordlist_nearest(p, wl),
						 json_string_value(sug));
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
	json_array_foreach (vs, i, v) {
		if (k == NULL) {
			uint8_t *nr = hexfield(v, "newsroom_pk", NULL);
			k = test_source(json_string_value(json_object_get(v, "codename")), nr);
			free(nr);
		}
		gd_bundle b;
		memset(&b, 0, sizeof b);
		json_t *js = json_object_get(v, "journalists"), *j;
		size_t n;
		json_array_foreach (js, n, j) {
			uint8_t *pk = hexfield(j, "pk", NULL);
			memcpy(b.journalists[n].pk, pk, 32);
			b.journalists[n].verify_only =
				json_is_true(json_object_get(j, "verify_only"));
			b.journalists[n].not_before = INT(j, "not_before");
			b.journalists[n].not_after = INT(j, "not_after");
			/* what gd_bundle_verify would say at the vector's `now` */
			int64_t now = INT(v, "now");
			b.in_window[n] = now >= b.journalists[n].not_before - GD_CLOCK_SKEW &&
					 now <= b.journalists[n].not_after + GD_CLOCK_SKEW;
			free(pk);
		}
		b.n_journalists = json_array_size(js);
		uint8_t *r = hexfield(v, "reply", &len);
		gd_reply rep;
		int rc = gd_reply_open(&rep, r, len, k, &b);
		ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
		if (rc == GD_OK) {
			ck_assert_str_eq(rep.text, json_string_value(json_object_get(v, "text")));
			ck_assert_int_eq(rep.journalist,
					 json_integer_value(json_object_get(v, "journalist")));
			ck_assert_int_eq(rep.older_key, b.journalists[rep.journalist].verify_only);
			ck_assert_uint_eq(rep.day, json_integer_value(json_object_get(v, "day")));
			hexeq(v, "reply_id", rep.reply_id, 16);
			hexeq(v, "mailbox_id", rep.mailbox_id, 16);
			/* the whole plaintext of §8, rebuilt from its fields */
			size_t plen;
			uint8_t *pt = hexfield(v, "plaintext", &plen);
			size_t t = strlen(rep.text),
			       bucket = 40 + t <= 1024 ? 1024 : (size_t)gd_padme(40 + t);
			ck_assert_uint_eq(plen, bucket);
			ck_assert_uint_eq(len, 5 + 24 + 16 + plen);
			ck_assert(memcmp(pt, rep.reply_id, 16) == 0 && le32(pt + 16) == rep.day);
			ck_assert(memcmp(pt + 20, rep.mailbox_id, 16) == 0);
			ck_assert(le32(pt + 36) == t && memcmp(pt + 40, rep.text, t) == 0);
			for (size_t z = 40 + t; z < plen; z++)
				ck_assert_uint_eq(pt[z], 0);
			free(pt);
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
	json_array_foreach (vs, i, v) {
		uint8_t *key = hexfield(v, "key", NULL), *ch = hexfield(v, "challenge", &len);
		ck_assert_uint_eq(len, GD_POW_CHALLENGE_BYTES);
		gd_pow_challenge c;
		int rc = gd_pow_check(
			&c, ch, (uint64_t)json_integer_value(json_object_get(v, "counter")), key,
			(uint8_t)json_integer_value(json_object_get(v, "purpose")),
			(unsigned)json_integer_value(json_object_get(v, "min_bits")),
			json_integer_value(json_object_get(v, "now")));
		ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
		free(key);
		free(ch);
	}
	json_decref(vs);
}
END_TEST

/* upload.json (§11.3, §12.2): each chunk's key and tag, by the library and from the spec's
 * words with raw libsodium, its hash, both commit digests; envelope ids of headers. */
START_TEST(upload_checks)
{
	json_t *vs = load("upload"), *v;
	size_t i;
	json_array_foreach (vs, i, v) {
		if (strcmp(STR(v, "kind"), "envelope_id") == 0) {
			membuf h = {0};
			json_t *b = v, *w;
			size_t bi;
			if (STR(v, "base") != NULL)
				json_array_foreach (vs, bi, w)
					if (bi < i && strcmp(NAME(w), STR(v, "base")) == 0)
						b = w;
			h.buf = hexfield(b, "header", &h.len);
			h.cap = h.len;
			if (b != v)
				vec_apply_edits(&h, json_object_get(v, "edits"));
			uint8_t e[32];
			int rc = gd_envelope_id(e, (uint64_t)INT(b, "size"), h.buf, h.len);
			ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
			if (rc == GD_OK) {
				/* E from §12.2's words: the header is all of "header" */
				uint8_t e2[32], sz[8];
				for (int k = 0; k < 8; k++)
					sz[k] = (uint8_t)((uint64_t)INT(v, "size") >> (8 * k));
				crypto_generichash_state st;
				crypto_generichash_init(&st, NULL, 0, 32);
				crypto_generichash_update(
					&st, (const uint8_t *)"ghostdrop/v1/envelope-id",
					sizeof "ghostdrop/v1/envelope-id");
				crypto_generichash_update(&st, sz, 8);
				crypto_generichash_update(&st, h.buf, h.len);
				crypto_generichash_final(&st, e2, 32);
				ck_assert(memcmp(e, e2, 32) == 0);
				hexeq(v, "envelope_id", e, 32);
			}
			free(h.buf);
			continue;
		}
		size_t len, off = 0, ulen;
		size_t klen;
		uint8_t *data = hexfield(v, "data", &len), *u = hexfield(v, "upload_id", &ulen),
			*K = hexfield(v, "chunk_key", &klen);
		ck_assert_uint_eq(klen, 32);
		json_t *cs = json_object_get(v, "chunk_sizes");
		size_t n = json_array_size(cs);
		ck_assert_uint_eq(ulen, 16);
		uint8_t(*tags)[32] = calloc(n, 32), (*hashes)[32] = calloc(n, 32);
		for (size_t c = 0; c < n; c++) {
			size_t sz = (size_t)json_integer_value(json_array_get(cs, c));
			uint8_t k[32], k2[32], t2[16],
				ib[4] = {(uint8_t)c, (uint8_t)(c >> 8), (uint8_t)(c >> 16),
					 (uint8_t)(c >> 24)};
			json_t *one =
				json_pack("{s:O, s:O, s:O}", "k",
					  json_array_get(json_object_get(v, "chunk_keys"), c), "t",
					  json_array_get(json_object_get(v, "chunk_tags"), c), "h",
					  json_array_get(json_object_get(v, "chunk_hashes"), c));
			gd_chunk_mac_key(k, K, u, (uint32_t)c);
			hexeq(one, "k", k, 32);
			/* k_i = BLAKE2b-256(key = K, "ghostdrop/v1/chunk-mac" || 0x00 || U || u32
			 * i) */
			crypto_generichash_state st;
			crypto_generichash_init(&st, K, 32, 32);
			crypto_generichash_update(&st, (const uint8_t *)"ghostdrop/v1/chunk-mac",
						  sizeof "ghostdrop/v1/chunk-mac");
			crypto_generichash_update(&st, u, 16);
			crypto_generichash_update(&st, ib, 4);
			crypto_generichash_final(&st, k2, 32);
			ck_assert(memcmp(k, k2, 32) == 0);
			crypto_onetimeauth(t2, data + off, sz, k2);
			ck_assert_uint_eq(gd_chunk_check(tags[c], GD_CHECK_POLY1305, data + off, sz,
							 K, u, (uint32_t)c),
					  16);
			ck_assert(memcmp(tags[c], t2, 16) == 0);
			hexeq(one, "t", tags[c], 16);
			ck_assert_uint_eq(gd_chunk_check(hashes[c], GD_CHECK_BLAKE2B, data + off,
							 sz, NULL, u, (uint32_t)c),
					  32);
			hexeq(one, "h", hashes[c], 32);
			json_decref(one);
			off += sz;
		}
		ck_assert_uint_eq(off, len);
		uint8_t d[32];
		gd_upload_digest_check(d, GD_CHECK_POLY1305, len, (const uint8_t(*)[32])tags, n);
		hexeq(v, "digest_poly1305", d, 32);
		gd_upload_digest_check(d, GD_CHECK_BLAKE2B, len, (const uint8_t(*)[32])hashes, n);
		hexeq(v, "digest_blake2b", d, 32);
		ck_assert_int_eq(
			gd_upload_digest_buf(d, data, len,
					     (uint32_t)json_integer_value(json_array_get(cs, 0))),
			GD_OK);
		hexeq(v, "digest_blake2b", d, 32);
		free(tags);
		free(hashes);
		free(data);
		free(u);
		free(K);
	}
	json_decref(vs);
}
END_TEST

/* §4.2: each valid file decodes to its fields and is exactly what the encoder writes. */
START_TEST(pubfile)
{
	json_t *vs = load("pubfile"), *v;
	size_t i;
	json_array_foreach (vs, i, v) {
		const char *f = STR(v, "file");
		gd_journalist j;
		int rc = gd_pubfile_decode(&j, f, strlen(f));
		ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
		if (rc != GD_OK)
			continue;
		ck_assert_str_eq(j.name, STR(v, "journalist"));
		hexeq(v, "x25519", j.pk, 32);
		ck_assert_int_eq(j.not_before, INT(v, "not_before"));
		ck_assert_int_eq(j.not_after, INT(v, "not_after"));
		ck_assert_int_eq(j.verify_only, json_is_true(json_object_get(v, "verify_only")));
		if (strcmp(NAME(v), "verify_only_absent") != 0) { /* one serialisation per key */
			char *again = gd_pubfile_encode(&j);
			ck_assert_str_eq(again, f);
			free(again);
		}
	}
	json_decref(vs);
}
END_TEST

static json_t *find_case(json_t *vs, const char *name)
{
	json_t *v;
	size_t i;
	json_array_foreach (vs, i, v) {
		if (strcmp(NAME(v), name) == 0)
			return v;
	}
	ck_abort_msg("no vector %s", name);
	return NULL;
}

/* §13.1 read from the text of the spec: how the batch ends, and its records. */
static const char *scan_batch(const membuf *b, json_t *records, size_t *good)
{
	static const uint8_t zero[20];
	size_t off = 8, n = 0;
	if (b->len < 8 || memcmp(b->buf, "GDBT\x01\0\0\0", 8) != 0)
		return "not_a_batch";
	for (;;) {
		if (b->len - off < 32) { /* on a boundary, or inside a record's 32-byte header */
			*good = n;
			return "cut_short";
		}
		const uint8_t *h = b->buf + off;
		if (memcmp(h, "GDBE", 4) == 0) {
			*good = n;
			return le64(h + 4) == n && memcmp(h + 12, zero, 20) == 0 &&
					       off + 32 == b->len
				       ? "complete"
				       : "corrupt";
		}
		uint64_t len = le64(h + 24);
		if (memcmp(h, "GDBR", 4) != 0 || len < 1 || len > (1ULL << 40)) {
			*good = n;
			return "corrupt";
		}
		if (b->len - off - 32 < len) {
			*good = n;
			return "partial";
		}
		if (records != NULL) {
			json_t *r = json_array_get(records, n);
			uint8_t sha[32];
			ck_assert_ptr_nonnull(r);
			hexeq(r, "id", h + 4, 16);
			ck_assert_uint_eq(le32(h + 20), INT(r, "day"));
			ck_assert_uint_eq(len, INT(r, "len"));
			crypto_hash_sha256(sha, h + 32, len);
			hexeq(r, "envelope_sha256", sha, 32);
		}
		off += 32 + len;
		n++;
	}
}

START_TEST(desk_files)
{
	json_t *vs = load("desk"), *v;
	size_t i;
	json_array_foreach (vs, i, v) {
		const char *kind = STR(v, "kind"), *base = STR(v, "base");
		if (strcmp(kind, "batch") == 0) {
			json_t *bv = base ? find_case(vs, base) : v;
			membuf b = {0};
			b.buf = hexfield(bv, "batch", &b.len);
			b.cap = b.len;
			if (base)
				vec_apply_edits(&b, json_object_get(v, "edits"));
			size_t good = 0;
			const char *how =
				scan_batch(&b, base ? NULL : json_object_get(v, "records"), &good);
			ck_assert_msg(strcmp(how, STR(v, "expect")) == 0, "%s: %s", NAME(v), how);
			/* and client/batch.c, which ghostdrop-desk uses, agrees */
			FILE *f = tmpfile();
			batch_index ix;
			char err[160];
			ck_assert_uint_eq(fwrite(b.buf, 1, b.len, f), b.len);
			fflush(f);
			int rc = batch_scan(fileno(f), &ix, err, sizeof err);
			fclose(f);
			if (strcmp(how, "not_a_batch") == 0) {
				ck_assert_int_eq(rc, -1);
			} else {
				ck_assert_int_eq(rc, 0);
				ck_assert_uint_eq(ix.n,
						  base ? (size_t)INT(v, "good_records") : good);
				ck_assert_int_eq(ix.complete, strcmp(how, "complete") == 0);
				ck_assert_int_eq(ix.partial, strcmp(how, "partial") == 0);
				ck_assert_int_eq(ix.corrupt, strcmp(how, "corrupt") == 0);
				batch_index_free(&ix);
			}
			if (base)
				ck_assert_uint_eq(good, INT(v, "good_records"));
			else { /* every envelope opens with the keys, to the recorded ack key */
				json_t *keys = json_object_get(v, "keys"), *r;
				boxkey kr;
				uint8_t *sk = hexfield(json_array_get(keys, 0), "sk", NULL);
				uint8_t *pk = hexfield(json_array_get(keys, 0), "pk", NULL);
				memcpy(kr.sk, sk, 32);
				memcpy(kr.pk, pk, 32);
				free(sk);
				free(pk);
				size_t off = 8, n;
				json_array_foreach (json_object_get(v, "records"), n, r) {
					membuf e = {.buf = b.buf + off + 32,
						    .len = (size_t)INT(r, "len")};
					sink_state s;
					gd_open_result res;
					ck_assert_int_eq(open_from(&e, &kr, 1, &s, &res), GD_OK);
					hexeq(r, "ack_key", res.ack_key, 32);
					ck_assert_str_eq(s.m.text, STR(r, "text"));
					sink_free(&s);
					off += 32 + e.len;
				}
			}
			free(b.buf);
		} else if (strcmp(kind, "ack") == 0) {
			/* §13.3: exactly {ghostdrop_ack: 1, acks: [{id, ack_key}]}, one entry per
			 * record opened, each key hashing to its envelope's ack hash (§6.7) */
			json_t *bv = find_case(vs, STR(v, "batch")),
			       *recs = json_object_get(bv, "records");
			json_error_t err;
			json_t *doc = json_loads(STR(v, "text"), JSON_REJECT_DUPLICATES, &err), *a;
			ck_assert_ptr_nonnull(doc);
			ck_assert_uint_eq(json_object_size(doc), 2);
			ck_assert(json_is_integer(json_object_get(doc, "ghostdrop_ack")) &&
				  INT(doc, "ghostdrop_ack") == 1);
			json_t *acks = json_object_get(doc, "acks");
			ck_assert_uint_eq(json_array_size(acks), json_array_size(recs));
			membuf b = {0};
			b.buf = hexfield(bv, "batch", &b.len);
			size_t n, off = 8;
			json_array_foreach (acks, n, a) {
				uint8_t id[16], key[32], hash[32], peek[32];
				unsigned nr;
				uint64_t total;
				ck_assert_uint_eq(json_object_size(a), 2);
				ck_assert_int_eq(gd_b64_decode_exact(id, 16, STR(a, "id")), GD_OK);
				ck_assert_int_eq(gd_b64_decode_exact(key, 32, STR(a, "ack_key")),
						 GD_OK);
				json_t *r = json_array_get(recs, n);
				hexeq(r, "id", id, 16);
				hexeq(r, "ack_key", key, 32);
				ck_assert_int_eq(gd_envelope_peek(b.buf + off + 32,
								  (size_t)INT(r, "len"), &nr,
								  &total, peek),
						 GD_OK);
				gd_ack_hash(hash, key);
				ck_assert(memcmp(hash, peek, 32) == 0);
				off += 32 + (size_t)INT(r, "len");
			}
			free(b.buf);
			json_decref(doc);
		} else {
			/* §13.4: exactly {mailbox_id, reply}, to the mailbox of the source of the
			 * codename, opening with a key of the batch's journalist to the recorded
			 * text */
			json_error_t err;
			json_t *doc = json_loads(STR(v, "text"), JSON_REJECT_DUPLICATES, &err);
			ck_assert_ptr_nonnull(doc);
			ck_assert_uint_eq(json_object_size(doc), 2);
			uint8_t mb[16], *nr = hexfield(v, "newsroom_pk", NULL), blob[4096];
			size_t blen;
			gd_source_keys *k = test_source(STR(v, "codename"), nr);
			ck_assert_int_eq(gd_b64_decode_exact(mb, 16, STR(doc, "mailbox_id")),
					 GD_OK);
			ck_assert(memcmp(mb, k->mailbox_id, 16) == 0);
			const char *rb = STR(doc, "reply");
			ck_assert_int_eq(gd_b64_decode(blob, sizeof blob, &blen, rb, strlen(rb)),
					 GD_OK);
			gd_bundle bun;
			memset(&bun, 0, sizeof bun);
			uint8_t *jpk = hexfield(v, "journalist_pk", NULL);
			memcpy(bun.journalists[0].pk, jpk, 32);
			bun.n_journalists = 1;
			bun.in_window[0] = 1; /* the batch's journalist writes with a current key */
			gd_reply rep;
			ck_assert_int_eq(gd_reply_open(&rep, blob, blen, k, &bun), GD_OK);
			ck_assert_str_eq(rep.text, STR(v, "reply_text"));
			ck_assert_uint_eq(rep.day, INT(v, "day"));
			gd_reply_clear(&rep);
			sodium_free(k);
			free(nr);
			free(jpk);
			json_decref(doc);
		}
	}
	json_decref(vs);
}
END_TEST

/* §11.1: a header name is a token. */
static int is_token(const char *s)
{
	return *s != '\0' &&
	       strspn(s, "!#$%&'*+-.^_`|~"
			 "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
		       strlen(s);
}

static const char *req_header(json_t *req, const char *name)
{
	json_t *h;
	size_t i;
	const char *found = NULL;
	json_array_foreach (json_object_get(req, "headers"), i, h) {
		if (strcasecmp(json_string_value(json_array_get(h, 0)), name) == 0) {
			ck_assert_msg(found == NULL, "%s twice", name);
			found = json_string_value(json_array_get(h, 1));
		}
	}
	return found;
}

static uint8_t *req_body(json_t *req, size_t *len)
{
	const char *t = STR(req, "body_text");
	if (t != NULL) {
		*len = strlen(t);
		return (uint8_t *)strdup(t);
	}
	if (json_object_get(req, "body_hex") != NULL)
		return hexfield(req, "body_hex", len);
	*len = 0;
	return NULL;
}

/* The stable part of a response: its status, and the JSON fields §11 names (an error is
 * exactly {"error", "message"}; only the code is stable). */
static void check_response_shape(json_t *v, json_t *rsp)
{
	json_t *j = json_object_get(rsp, "json");
	int status = (int)INT(rsp, "status");
	if (status >= 400) {
		ck_assert_uint_eq(json_object_size(j), 2);
		ck_assert(json_is_string(json_object_get(j, "error")) &&
			  json_is_string(json_object_get(j, "message")));
	} else if (json_object_get(j, "challenge") != NULL) { /* §11.3 pow */
		uint8_t ch[GD_POW_CHALLENGE_BYTES];
		ck_assert_uint_eq(json_object_size(j), 3);
		ck_assert_int_eq(gd_b64_decode_exact(ch, sizeof ch, STR(j, "challenge")), GD_OK);
		ck_assert_int_eq(ch[0], 1);
		ck_assert_int_eq(ch[2], INT(j, "bits"));
		ck_assert_int_eq(INT(j, "expires_in"), 300);
	} else if (j != NULL) { /* a stored submission */
		ck_assert_uint_eq(json_object_size(j), 2);
		ck_assert_str_eq(STR(j, "status"), "stored");
		ck_assert_str_eq(STR(j, "id"),
				 req_header(json_object_get(v, "request"), "X-Ghostdrop-Id"));
	}
}

START_TEST(http_requests)
{
	json_t *vs = load("http"), *v;
	size_t i;
	json_array_foreach (vs, i, v) {
		json_t *req = json_object_get(v, "request"), *h,
		       *rsp = json_object_get(v, "response");
		size_t k, len;
		const char *m = STR(req, "method"), *t = STR(req, "target");
		ck_assert(strcmp(m, "GET") == 0 || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0);
		ck_assert_msg(strncmp(t, "/v1/", 4) == 0, "%s", NAME(v));
		json_array_foreach (json_object_get(req, "headers"), k, h) {
			ck_assert(is_token(json_string_value(json_array_get(h, 0))));
			for (const char *c = json_string_value(json_array_get(h, 1)); *c; c++)
				ck_assert((unsigned char)*c >= 0x20 && *c != 0x7f);
		}
		uint8_t *body = req_body(req, &len);
		const char *cl = req_header(req, "Content-Length"), *hash, *id, *pow;
		ck_assert_uint_eq(cl ? strtoull(cl, NULL, 10) : 0, len);
		if ((id = req_header(req, "X-Ghostdrop-Id")) != NULL) {
			uint8_t b[16];
			ck_assert_int_eq(gd_b64_decode_exact(b, 16, id), GD_OK);
		}
		if ((hash = req_header(req, "X-Ghostdrop-Hash")) != NULL) {
			uint8_t want[32], got[32];
			ck_assert_int_eq(gd_b64_decode_exact(want, 32, hash), GD_OK);
			crypto_generichash(got, 32, body, len, NULL, 0);
			/* the body matches its hash unless the answer says it does not */
			int same = memcmp(want, got, 32) == 0;
			const char *err = STR(json_object_get(rsp, "json"), "error");
			ck_assert_msg(same == !(err && strcmp(err, "hash_mismatch") == 0), "%s",
				      NAME(v));
		}
		if (strcmp(t, "/v1/submissions") == 0 && INT(rsp, "status") < 300) {
			unsigned n;
			uint64_t total;
			uint8_t ack[32];
			ck_assert_int_eq(gd_envelope_peek(body, len, &n, &total, ack), GD_OK);
			ck_assert_uint_eq(total, len);
		}
		json_t *pv = json_object_get(v, "pow");
		if ((pow = req_header(req, "X-Ghostdrop-PoW")) != NULL ||
		    json_object_get(json_object_get(rsp, "json"), "challenge") != NULL) {
			ck_assert_ptr_nonnull(pv);
			uint8_t ch[GD_POW_CHALLENGE_BYTES], *key = hexfield(pv, "key", NULL);
			uint64_t ctr = 0;
			const char *b64 =
				pow ? pow : STR(json_object_get(rsp, "json"), "challenge");
			size_t cl64 = pow ? (size_t)(strchr(pow, '.') - pow) : strlen(b64), got;
			ck_assert_int_eq(gd_b64_decode(ch, sizeof ch, &got, b64, cl64), GD_OK);
			ck_assert_uint_eq(got, sizeof ch);
			if (pow)
				ctr = strtoull(strchr(pow, '.') + 1, NULL, 10);
			else
				ck_assert_int_eq(gd_pow_solve(&ctr, ch), GD_OK);
			gd_pow_challenge c;
			int rc = gd_pow_check(&c, ch, ctr, key, (uint8_t)INT(pv, "purpose"),
					      (unsigned)INT(pv, "min_bits"), INT(pv, "now"));
			const char *e = STR(pv, "expect");
			ck_assert_msg(rc == (e ? expected(pv) : GD_OK), "%s: pow %d", NAME(v), rc);
			free(key);
		}
		if (STR(req, "body_text") != NULL && strcmp(STR(req, "body_text"), "{}") != 0) {
			json_error_t err;
			json_t *o = json_loads(STR(req, "body_text"), JSON_REJECT_DUPLICATES, &err);
			ck_assert(json_is_object(o));
			json_decref(o);
		}
		if (json_object_get(rsp, "body_hex") != NULL) { /* the bundle: verifies as §5 */
			size_t bl;
			uint8_t *bb = hexfield(rsp, "body_hex", &bl),
				*pk = hexfield(v, "root_pk", NULL);
			gd_bundle out;
			ck_assert_int_eq(gd_bundle_verify(&out, bb, bl, pk, INT(v, "now"), 0),
					 GD_OK);
			free(bb);
			free(pk);
		} else {
			check_response_shape(v, rsp);
		}
		free(body);
	}
	json_decref(vs);
}
END_TEST

/* PROTOCOL.md §11.6 quotes submit_stored: its headers there are the vector's, byte for byte. */
START_TEST(http_spec_example)
{
	json_t *vs = load("http"), *h;
	size_t i, len;
	uint8_t *doc;
	ck_assert_int_eq(gd_file_read(VECTORS_DIR "/../../docs/PROTOCOL.md", 1 << 20, &doc, &len),
			 0);
	json_t *req = json_object_get(find_case(vs, "submit_stored"), "request");
	json_array_foreach (json_object_get(req, "headers"), i, h) {
		char line[512];
		snprintf(line, sizeof line, "\n%s: %s\n", json_string_value(json_array_get(h, 0)),
			 json_string_value(json_array_get(h, 1)));
		ck_assert_msg(strstr((char *)doc, line) != NULL, "PROTOCOL.md lacks %s", line + 1);
	}
	free(doc);
	json_decref(vs);
}
END_TEST

/* The same requests sent to a real ghostdropd (tests/daemon.c): a recorded proof of work is
 * replaced by a fresh one of the purpose in "replay_pow", the bundle is the drop's own. */
START_TEST(http_replay)
{
	json_t *vs = load("http"), *v;
	size_t i;
	drop d;
	drop_create(&d, NULL);
	drop_start(&d);
	json_array_foreach (vs, i, v) {
		json_t *req = json_object_get(v, "request"), *h,
		       *rsp = json_object_get(v, "response");
		char hdrs[2048] = "", pow[256];
		size_t k, len, o = 0;
		json_array_foreach (json_object_get(req, "headers"), k, h) {
			const char *n = json_string_value(json_array_get(h, 0)),
				   *val = json_string_value(json_array_get(h, 1));
			/* http_do sends Host, Connection and Content-Length itself */
			if (strcasecmp(n, "Host") == 0 || strcasecmp(n, "Connection") == 0 ||
			    strcasecmp(n, "Content-Length") == 0)
				continue;
			if (strcasecmp(n, "X-Ghostdrop-PoW") == 0 && STR(v, "replay_pow") != NULL) {
				pow_header(d.port, STR(v, "replay_pow"), 0, pow, sizeof pow);
				val = pow;
			}
			o += (size_t)snprintf(hdrs + o, sizeof hdrs - o, "%s: %s\r\n", n, val);
			ck_assert_uint_lt(o, sizeof hdrs);
		}
		uint8_t *body = req_body(req, &len);
		resp r;
		ck_assert_int_eq(http_do(d.port, STR(req, "method"), STR(req, "target"), hdrs, body,
					 len, &r),
				 0);
		ck_assert_msg(r.status == INT(rsp, "status"), "%s: %d %s", NAME(v), r.status,
			      r.error);
		json_t *want = json_object_get(rsp, "json");
		if (want != NULL) {
			json_error_t err;
			json_t *got = json_loadb((const char *)r.body, r.len,
						 JSON_REJECT_DUPLICATES, &err);
			ck_assert_ptr_nonnull(got);
			json_t *copy = json_deep_copy(rsp);
			json_object_set_new(copy, "json", got);
			check_response_shape(v, copy);
			if (STR(want, "error") != NULL)
				ck_assert_str_eq(r.error, STR(want, "error"));
			json_decref(copy);
		} else {
			gd_bundle out;
			ck_assert_int_eq(
				gd_bundle_verify(&out, r.body, r.len, d.root_pk, time(NULL), 0),
				GD_OK);
		}
		resp_free(&r);
		free(body);
	}
	drop_stop(&d, SIGTERM);
	drop_destroy(&d);
	json_decref(vs);
}
END_TEST

/* §5.2: each URL passes or fails the grammar, and a bundle listing it is signed
 * only if it passes; "given" is what a client compares with a listed URL. */
START_TEST(server_url)
{
	json_t *vs = load("server_url"), *v;
	size_t i;
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	json_array_foreach (vs, i, v) {
		const char *url = STR(v, "url");
		int rc = gd_server_url_check(url);
		ck_assert_msg(rc == expected(v), "%s: %s got %d", NAME(v), url, rc);
		gd_bundle b = {.version = 1,
			       .created = 1800000000,
			       .expires = 1800086400,
			       .n_servers = 1,
			       .n_journalists = 1};
		snprintf(b.journalists[0].name, sizeof b.journalists[0].name, "Ana");
		b.journalists[0].not_before = 1800000000;
		b.journalists[0].not_after = 1800086400;
		ck_assert_uint_lt(strlen(url), sizeof b.servers[0]);
		snprintf(b.servers[0], sizeof b.servers[0], "%s", url);
		uint8_t *out = NULL;
		size_t len;
		ck_assert_int_eq(gd_bundle_sign(&out, &len, &b, sk), rc);
		free(out);
		if (json_object_get(v, "given") != NULL)
			ck_assert_msg(gd_bundle_lists_server(&b, STR(v, "given")) ==
					      json_is_true(json_object_get(v, "listed")),
				      "%s", NAME(v));
	}
	json_decref(vs);
}
END_TEST

/* §6.2: each manifest decodes as expected; a valid one is exactly what the encoder writes. */
START_TEST(manifest)
{
	json_t *vs = load("manifest"), *v;
	size_t i;
	json_array_foreach (vs, i, v) {
		const char *j = STR(v, "json");
		gd_manifest m;
		int rc = gd_manifest_decode(&m, (const uint8_t *)j, strlen(j));
		ck_assert_msg(rc == expected(v), "%s: got %d", NAME(v), rc);
		if (rc != GD_OK)
			continue;
		ck_assert_str_eq(m.kind == GD_KIND_FOLLOWUP ? "followup" : "testimony",
				 STR(v, "kind"));
		ck_assert_uint_eq(m.n_attachments, INT(v, "attachments"));
		ck_assert_int_eq(m.has_source, json_is_true(json_object_get(v, "has_source")));
		uint8_t *enc;
		size_t len;
		ck_assert_int_eq(gd_manifest_encode(&enc, &len, &m), GD_OK);
		ck_assert_uint_eq(len, strlen(j));
		ck_assert(memcmp(enc, j, len) == 0);
		free(enc);
		gd_manifest_clear(&m);
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
	tcase_add_test(tc, upload_checks);
	tcase_add_test(tc, pubfile);
	tcase_add_test(tc, server_url);
	tcase_add_test(tc, manifest);
	tcase_add_test(tc, desk_files);
	tcase_add_test(tc, http_requests);
	tcase_add_test(tc, http_spec_example);
	tcase_add_test(tc, http_replay);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
