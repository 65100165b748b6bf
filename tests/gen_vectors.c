/* ghostdrop vector generator: writes the JSON files of tests/vectors once; check_vectors replays
 * them so a change to any byte format is caught. Run: build/tests/gen_vectors tests/vectors */
#include <jansson.h>
#include <stdio.h>

#include "testutil.h"

#define NOW 1800000000LL
#define DAY 86400LL

static const char *outdir;

/* source() asserts with Check, which only works inside a test run. */
static gd_source_keys *source(const char *codename, const uint8_t nr[32])
{
	gd_source_keys *k = sodium_malloc(sizeof *k);
	if (k == NULL || gd_codename_derive(k, codename, nr) != GD_OK) {
		fprintf(stderr, "gen_vectors: derivation failed\n");
		exit(1);
	}
	return k;
}

static json_t *hexj(const uint8_t *b, size_t n)
{
	char *h = hex_of(b, n);
	json_t *j = json_string(h);
	free(h);
	return j;
}

static void save(const char *name, json_t *cases)
{
	char path[512];
	json_t *doc = json_pack("{s:s, s:s, s:o}", "module", name, "generated_by",
				"tests/gen_vectors.c", "vectors", cases);
	snprintf(path, sizeof path, "%s/%s.json", outdir, name);
	if (json_dump_file(doc, path, JSON_INDENT(1) | JSON_SORT_KEYS) != 0) {
		fprintf(stderr, "gen_vectors: cannot write %s\n", path);
		exit(1);
	}
	json_decref(doc);
}

static json_t *keys_json(const boxkey *k, unsigned n)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o}", "sk", hexj(k[i].sk, 32), "pk",
						   hexj(k[i].pk, 32)));
	return a;
}

static gd_source_keys *src;
#define SRC_CODENAME "abacus abdomen abdominal abide abiding ability ablaze able"
static const uint8_t SRC_NEWSROOM[32] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
					 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};

static void env_case(json_t *cases, const char *name, const char *expect, const membuf *env,
		     const boxkey *keys, unsigned n)
{
	json_t *c = json_pack("{s:s, s:s, s:o, s:o}", "name", name, "expect", expect, "keys",
			      keys_json(keys, n), "envelope", hexj(env->buf, env->len));
	if (strcmp(expect, "success") == 0) {
		sink_state s;
		gd_open_result res;
		if (open_from(env, keys, n, &s, &res) != GD_OK) {
			fprintf(stderr, "gen_vectors: %s does not open\n", name);
			exit(1);
		}
		uint8_t h[32];
		crypto_hash_sha256(h, s.data.buf ? s.data.buf : (const uint8_t *)"", s.data.len);
		json_object_set_new(c, "text", json_string(s.m.text));
		json_object_set_new(c, "data_sha256", hexj(h, 32));
		json_object_set_new(c, "ack_key", hexj(res.ack_key, 32));
		json_object_set_new(c, "key_index", json_integer(res.key_index));
		json_object_set_new(c, "has_source", json_boolean(s.m.has_source));
		sink_free(&s);
	}
	json_array_append_new(cases, c);
}

static void seal_case(membuf *env, const boxkey *to, unsigned n, size_t data_len, int anon)
{
	gd_manifest m;
	gd_attachment a = {"timesheet.csv", "text/csv", data_len};
	uint8_t pks[4][32], *data = malloc(data_len + 1);
	for (size_t i = 0; i < data_len; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	test_manifest(&m, "Paid per task; tasks timed to the second; no breaks.",
		      anon ? NULL : src);
	m.attachments = &a;
	m.n_attachments = 1;
	for (unsigned i = 0; i < n; i++)
		memcpy(pks[i], to[i].pk, 32);
	memset(env, 0, sizeof *env);
	if (seal_to(env, (const uint8_t(*)[32])pks, n, &m, anon ? NULL : src, data, data_len,
		    NULL) != GD_OK)
		exit(1);
	free(data);
}

static json_t *edit(const char *op, long a, long b, long len)
{
	json_t *e = json_pack("{s:s}", "op", op);
	if (strcmp(op, "truncate") == 0)
		json_object_set_new(e, "len", json_integer(a));
	else if (strcmp(op, "swap") == 0)
		json_object_set_new(e, "a", json_integer(a)),
			json_object_set_new(e, "b", json_integer(b)),
			json_object_set_new(e, "len", json_integer(len));
	else if (strcmp(op, "delete") == 0)
		json_object_set_new(e, "at", json_integer(a)),
			json_object_set_new(e, "len", json_integer(len));
	else if (strcmp(op, "append") == 0)
		json_object_set_new(e, "hex", json_string("00"));
	else /* xor, set */
		json_object_set_new(e, "at", json_integer(a)),
			json_object_set_new(e, "value", json_integer(b));
	return e;
}

/* A case that edits the envelope of an earlier base case. */
static void edited_case(json_t *cases, const char *name, const char *expect, const char *base,
			json_t *edits, const boxkey *keys, unsigned n)
{
	json_array_append_new(cases,
			      json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", name, "expect", expect,
					"base", base, "edits", edits, "keys", keys_json(keys, n)));
}

/* §11.3's seeded sealing (gd_seal_new_seeded), from fixed inputs only: the case's "seal" object
 * holds them, so another implementation seals it again and must get the same bytes. */
static void seeded_seal_case(json_t *cases)
{
	uint8_t seed[32], b[32], ipk[32], isk[64];
	boxkey k[2];
	membuf env = {0};
	size_t dlen = 65536 + 100;
	uint8_t *data = malloc(dlen);
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(0x40 + i);
	for (int i = 0; i < 2; i++) {
		memset(b, 0x21 + i, sizeof b);
		crypto_box_seed_keypair(k[i].pk, k[i].sk, b);
	}
	for (size_t i = 0; i < dlen; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	memset(b, 0x32, sizeof b);
	crypto_box_seed_keypair(ipk, isk, b); /* the source's reply key */
	memset(b, 0x31, sizeof b);
	json_t *atts = json_pack("[{s:s, s:s, s:o}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]", "name",
				 "timesheet.csv", "type", "text/csv", "data", hexj(data, dlen),
				 "name", "empty", "type", "", "data", "", "name", "note.txt",
				 "type", "text/plain", "data", "6f6b0a");
	json_t *seal = json_pack(
		"{s:o, s:[o,o], s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "seed", hexj(seed, 32),
		"recipients", hexj(k[0].pk, 32), hexj(k[1].pk, 32), "kind", "followup", "id",
		hexj((const uint8_t *)"UUUUUUUUUUUUUUUU", 16), "text",
		"Sealed again from the same seed: the same bytes (\u00a7 11.3).", "attachments",
		atts, "identity_seed", hexj(b, 32), "reply_pk", hexj(ipk, 32), "mailbox_id",
		hexj((const uint8_t *)"3333333333333333", 16));
	free(data);
	if (seal == NULL || vec_seal_seeded(&env, seal) != GD_OK) {
		fprintf(stderr, "gen_vectors: seeded seal failed\n");
		exit(1);
	}
	env_case(cases, "seeded_seal", "success", &env, &k[1], 1); /* the second stanza opens */
	json_object_set_new(json_array_get(cases, json_array_size(cases) - 1), "seal", seal);
	membuf_free(&env);
	sodium_memzero(isk, sizeof isk);
}

/* Only the seeded case, added to (or replaced in) the existing envelope.json: the other cases
 * keep their bytes (`gen_vectors tests/vectors envelope_seeded`). */
static void envelope_seeded(void)
{
	char path[512];
	json_error_t err;
	snprintf(path, sizeof path, "%s/envelope.json", outdir);
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err), *cases = json_array(), *v;
	size_t i;
	if (doc == NULL) {
		fprintf(stderr, "gen_vectors: %s: %s\n", path, err.text);
		exit(1);
	}
	json_array_foreach (json_object_get(doc, "vectors"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "name")), "seeded_seal") != 0)
			json_array_append(cases, v);
	json_decref(doc);
	seeded_seal_case(cases);
	save("envelope", cases);
}

static void envelopes(void)
{
	json_t *cases = json_array();
	boxkey k[3];
	membuf env;
	for (int i = 0; i < 3; i++)
		boxkey_new(&k[i]);
	size_t c = 65536 + 17, h2 = gd_envelope_header_size(2);

	seal_case(&env, k, 1, 300, 0);
	env_case(cases, "small", "success", &env, k, 1);
	edited_case(cases, "small_wrong_recipient", "not_recipient", "small", json_array(), &k[2],
		    1);
	edited_case(cases, "small_trailing_byte", "trailing", "small",
		    json_pack("[o]", edit("append", 0, 0, 0)), k, 1);
	edited_case(cases, "small_truncated_in_header", "truncated", "small",
		    json_pack("[o]", edit("truncate", 64, 0, 0)), k, 1);
	edited_case(cases, "small_truncated_after_header", "truncated", "small",
		    json_pack("[o]", edit("truncate", (long)gd_envelope_header_size(1), 0, 0)), k,
		    1);
	membuf_free(&env);

	seal_case(&env, k, 1, 10, 1);
	env_case(cases, "no_reply", "success", &env, k, 1);
	membuf_free(&env);

	seal_case(&env, k, 1, 10, 0); /* keyring: [old, new], sealed to old */
	env_case(cases, "old_key_in_keyring", "success", &env, (boxkey[]){k[1], k[0]}, 2);
	membuf_free(&env);

	seal_case(&env, k, 2, 140000, 0); /* 3 chunks, 2 recipients */
	env_case(cases, "multichunk", "success", &env, &k[1], 1);
	static const struct {
		const char *name, *expect;
		long at;
	} flips[] = {{"flip_padded_length", "header_failure", 7},
		     {"flip_other_stanza", "header_failure", 14 + 80 + 5},
		     {"flip_stream_header", "header_failure", 14 + 160 + 1},
		     {"flip_ack_hash", "header_failure", 14 + 160 + 24 + 3},
		     {"flip_mac", "header_failure", 14 + 160 + 24 + 32 + 31},
		     {"flip_chunk0", "payload_failure", -1},
		     {"flip_chunk1", "payload_failure", -2},
		     {"flip_last_chunk", "payload_failure", -3}};
	for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
		long at = flips[i].at >= 0 ? flips[i].at
					   : (long)(h2 + (size_t)(-flips[i].at - 1) * c + 100);
		edited_case(cases, flips[i].name, flips[i].expect, "multichunk",
			    json_pack("[o]", edit("xor", at, 0x40, 0)), k, 1);
	}
	for (int b = 0; b < 3; b++) {
		char name[64];
		snprintf(name, sizeof name, "truncated_at_chunk_boundary_%d", b);
		edited_case(cases, name, "truncated", "multichunk",
			    json_pack("[o]", edit("truncate", (long)(h2 + (size_t)b * c), 0, 0)), k,
			    1);
	}
	edited_case(cases, "truncated_mid_chunk", "payload_failure", "multichunk",
		    json_pack("[o]", edit("truncate", (long)(env.len - 7), 0, 0)), k, 1);
	edited_case(cases, "chunks_reordered", "payload_failure", "multichunk",
		    json_pack("[o]", edit("swap", (long)h2, (long)(h2 + c), (long)c)), k, 1);
	edited_case(cases, "chunk_dropped", "payload_failure", "multichunk",
		    json_pack("[o]", edit("delete", (long)(h2 + c), 0, (long)c)), k, 1);
	/* drop the second stanza and fix the count */
	edited_case(cases, "stanza_removed", "header_failure", "multichunk",
		    json_pack("[o,o]", edit("delete", 14 + 80, 0, 80), edit("set", 5, 1, 0)), k, 1);
	membuf_free(&env);

	/* Reference-built forgeries. */
	uint8_t pks[2][32], fk[2][32], *mj, sig[64], *pt;
	size_t mlen, plen;
	gd_manifest m;
	envref e, a;
	memcpy(pks[0], k[0].pk, 32);
	memcpy(pks[1], k[1].pk, 32);
	randombytes_buf(fk, sizeof fk);
	test_manifest(&m, "forged", src);
	gd_manifest_encode(&mj, &mlen, &m);
	pt = envref_frame(&plen, mj, mlen, sig, NULL, 0, 0);
	envref_header(&e, fk[0], (const uint8_t(*)[32])fk, (const uint8_t(*)[32])pks, 2, 0, plen);
	gd_submission_sign(pt + 4 + mlen, e.mac, mj, mlen, src->identity_sk);
	envref_body(&e, pt, plen);
	env_case(cases, "two_file_keys_first", "success", &e.out, &k[0], 1);
	env_case(cases, "two_file_keys_second", "header_failure", &e.out, &k[1], 1);
	membuf_free(&e.out);
	free(pt);

	pt = envref_frame(&plen, mj, mlen, sig, NULL, 0, 0);
	envref_header(&a, fk[0], NULL, (const uint8_t(*)[32])pks, 1, 0, plen);
	gd_submission_sign(pt + 4 + mlen, a.mac, mj, mlen, src->identity_sk); /* A's signature */
	envref_header(&e, fk[1], NULL, (const uint8_t(*)[32])pks, 1, 0, plen);
	envref_body(&e, pt, plen);
	env_case(cases, "signature_lifted", "signature_failure", &e.out, &k[0], 1);
	membuf_free(&e.out);
	membuf_free(&a.out);
	free(pt);

	pt = envref_frame(&plen, mj, mlen, sig, NULL, 0, 0);
	pt[plen - 1] = 1;
	envref_header(&e, fk[1], NULL, (const uint8_t(*)[32])pks, 1, 0, plen);
	gd_submission_sign(sig, e.mac, mj, mlen, src->identity_sk);
	memcpy(pt + 4 + mlen, sig, 64);
	envref_body(&e, pt, plen);
	env_case(cases, "nonzero_padding", "format_failure", &e.out, &k[0], 1);
	membuf_free(&e.out);
	free(pt);
	free(mj);

	memcpy(m.identity_pk, src->mailbox_pk, 32);
	gd_manifest_encode(&mj, &mlen, &m);
	pt = envref_frame(&plen, mj, mlen, sig, NULL, 0, 0);
	envref_header(&e, fk[1], NULL, (const uint8_t(*)[32])pks, 1, 0, plen);
	uint8_t *msg = malloc(36 + mlen);
	memcpy(msg, e.mac, 32);
	msg[32] = (uint8_t)mlen;
	msg[33] = (uint8_t)(mlen >> 8);
	msg[34] = msg[35] = 0;
	memcpy(msg + 36, mj, mlen);
	gd_mailbox_sign(pt + 4 + mlen, msg, 36 + mlen, src->mailbox_sk);
	envref_body(&e, pt, plen);
	env_case(cases, "mailbox_signature_as_submission", "signature_failure", &e.out, &k[0], 1);
	membuf_free(&e.out);
	free(pt);
	free(msg);
	free(mj);
	seeded_seal_case(cases);
	save("envelope", cases);
}

static void bundles(void)
{
	json_t *cases = json_array();
	uint8_t root_pk[32], root_sk[64], other_pk[32], other_sk[64], *out;
	size_t len;
	crypto_sign_keypair(root_pk, root_sk);
	crypto_sign_keypair(other_pk, other_sk);
	gd_bundle b = {.version = 7,
		       .created = NOW - DAY,
		       .expires = NOW + 29 * DAY,
		       .n_servers = 1,
		       .n_journalists = 2};
	snprintf(b.newsroom, sizeof b.newsroom, "The Daily Ledger");
	snprintf(b.servers[0], sizeof b.servers[0], "http://127.0.0.1:8080");
	for (int i = 0; i < 2; i++) {
		snprintf(b.journalists[i].name, sizeof b.journalists[i].name, "Ana");
		randombytes_buf(b.journalists[i].pk, 32);
		b.journalists[i].not_before = NOW - DAY;
		b.journalists[i].not_after = NOW + 20 * DAY;
		b.journalists[i].verify_only = i == 1;
	}
	gd_bundle_sign(&out, &len, &b, root_sk);
	static const struct {
		const char *name, *expect;
		int other_root;
		int64_t now;
		uint64_t min;
	} v[] = {{"valid", "success", 0, NOW, 7},
		 {"signed_by_another_root", "signature_failure", 1, NOW, 0},
		 {"below_minimum_version", "rollback", 0, NOW, 8},
		 {"expired", "expired", 0, NOW + 31 * DAY, 0},
		 {"keys_all_outside_window", "no_key", 0, NOW + 29 * DAY, 0}};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		json_array_append_new(cases,
				      json_pack("{s:s, s:s, s:o, s:I, s:I, s:o}", "name", v[i].name,
						"expect", v[i].expect, "root_pk",
						hexj(v[i].other_root ? other_pk : root_pk, 32),
						"now", (json_int_t)v[i].now, "min_version",
						(json_int_t)v[i].min, "bundle", hexj(out, len)));
	free(out);
	/* signed, duplicate key */
	const char *dup =
		"{\"bundle_version\":3,\"bundle_version\":9,\"created\":1799900000,"
		"\"expires\":1801000000,\"newsroom\":\"x\",\"servers\":[\"http://a.onion\"],"
		"\"journalists\":[]}";
	size_t jl = strlen(dup);
	uint8_t *raw = malloc(9 + jl + 64), *msg = malloc(20 + 9 + jl);
	memcpy(raw, "GDKB\x01", 5);
	raw[5] = (uint8_t)jl;
	raw[6] = (uint8_t)(jl >> 8);
	raw[7] = raw[8] = 0;
	memcpy(raw + 9, dup, jl);
	memcpy(msg, "ghostdrop/v1/bundle", 20);
	memcpy(msg + 20, raw, 9 + jl);
	crypto_sign_detached(raw + 9 + jl, NULL, msg, 29 + jl, root_sk);
	json_array_append_new(cases,
			      json_pack("{s:s, s:s, s:o, s:I, s:I, s:o}", "name",
					"duplicate_json_key", "expect", "format_failure", "root_pk",
					hexj(root_pk, 32), "now", (json_int_t)NOW, "min_version",
					(json_int_t)0, "bundle", hexj(raw, 9 + jl + 64)));
	free(raw);
	free(msg);
	save("bundle", cases);
}

static void keystrings(void)
{
	json_t *cases = json_array();
	uint8_t pk[32], sk[64];
	char s[GD_KEYSTRING_LEN + 1];
	crypto_sign_keypair(pk, sk);
	gd_keystring_encode(s, pk);
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s, s:o}", "name", "valid", "expect",
					       "success", "string", s, "pk", hexj(pk, 32)));
	s[30] = s[30] == 'q' ? 'r' : 'q';
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s}", "name", "one_typo", "expect",
					       "checksum_failure", "string", s));
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s}", "name", "bad_prefix", "expect",
					       "format_failure", "string", "gdnk2aaaa"));
	save("keystring", cases);
}

static void keyfiles(void)
{
	json_t *cases = json_array();
	uint8_t secret[32], f[256];
	size_t n;
	randombytes_buf(secret, 32);
	gd_keyfile_seal(f, sizeof f, &n, GD_KEY_JOURNALIST, secret, 32, "staple battery", 14, NULL);
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", "valid",
					       "expect", "success", "passphrase", "staple battery",
					       "file", hexj(f, n), "secret", hexj(secret, 32)));
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s, s:o}", "name", "wrong_passphrase",
					       "expect", "wrong_passphrase", "passphrase",
					       "staple batterY", "file", hexj(f, n)));
	/* §4.1 passphrase bytes: a line as read from a file or a terminal */
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s, s:o, s:o}", "name",
					       "passphrase_line_crlf", "expect", "success",
					       "passphrase_line", "staple battery\r\nsecond line",
					       "file", hexj(f, n), "secret", hexj(secret, 32)));
	json_array_append_new(cases,
			      json_pack("{s:s, s:s, s:s, s:o}", "name", "passphrase_not_trimmed",
					"expect", "wrong_passphrase", "passphrase_line",
					"staple battery \n", "file", hexj(f, n)));
	json_array_append_new(cases,
			      json_pack("{s:s, s:s, s:s, s:o}", "name", "passphrase_not_normalised",
					"expect", "wrong_passphrase", "passphrase",
					"Staple battery", "file", hexj(f, n)));
	f[70] ^= 1;
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s, s:o}", "name", "corrupt", "expect",
					       "corrupt", "passphrase", "staple battery", "file",
					       hexj(f, n)));
	/* A root key, then files refused before Argon2id: each with the wrong passphrase, so
	 * that an answer other than wrong_passphrase shows the order of §4.1. The checksum is
	 * recomputed after each edit (it is unkeyed). */
	uint8_t root[64];
	randombytes_buf(root, 64);
	gd_keyfile_seal(f, sizeof f, &n, GD_KEY_NEWSROOM_ROOT, root, 64, "staple battery", 14,
			NULL);
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s, s:o, s:o, s:i, s:i}", "name",
					       "root_key", "expect", "success", "passphrase",
					       "staple battery", "file", hexj(f, n), "secret",
					       hexj(root, 64), "kind", 1, "want_kind", 1));
	json_array_append_new(cases,
			      json_pack("{s:s, s:s, s:s, s:o, s:i}", "name",
					"root_key_asked_as_journalist", "expect", "format_failure",
					"passphrase", "wrong", "file", hexj(f, n), "want_kind", 2));
	static const struct {
		const char *name, *expect;
		size_t at;
		uint8_t value;
	} ed[] = {{"journalist_kind_with_64_bytes", "format_failure", 5, 2},
		  {"unknown_kind", "format_failure", 5, 4},
		  {"version_2", "version", 4, 2},
		  {"opslimit_2", "weak", 8, 2}};
	for (size_t i = 0; i < sizeof ed / sizeof ed[0]; i++) {
		uint8_t g[256];
		memcpy(g, f, n);
		g[ed[i].at] = ed[i].value;
		crypto_generichash(g + n - 16, 16, g, n - 16, NULL, 0);
		json_array_append_new(cases, json_pack("{s:s, s:s, s:s, s:o}", "name", ed[i].name,
						       "expect", ed[i].expect, "passphrase",
						       "wrong", "file", hexj(g, n)));
	}
	save("keyfile", cases);
}

static void codenames(void)
{
	json_t *cases = json_array();
	uint8_t nr[32];
	for (int i = 0; i < 32; i++)
		nr[i] = (uint8_t)i;
	const char *in = "  Zoom yo-yo ABACUS\tfelt-tip zoologist  able ablaze abide ";
	char canon[GD_CODENAME_MAX];
	int bad;
	gd_codename_normalise(canon, sizeof canon, in, strlen(in), &bad);
	gd_source_keys *k = source(canon, nr);
	json_array_append_new(
		cases, json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "name", "valid",
				 "expect", "success", "input", in, "newsroom_pk", hexj(nr, 32),
				 "canonical", canon, "reply_pk", hexj(k->reply_pk, 32),
				 "identity_pk", hexj(k->identity_pk, 32), "mailbox_pk",
				 hexj(k->mailbox_pk, 32), "mailbox_id", hexj(k->mailbox_id, 16)));
	json_array_append_new(cases,
			      json_pack("{s:s, s:s, s:s, s:o, s:i, s:s}", "name", "typo", "expect",
					"unknown_word", "input",
					"zoom yoyo abacus felt-tip zoologst able ablaze abide",
					"newsroom_pk", hexj(nr, 32), "bad_word", 4, "suggestion",
					"zoologist"));
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s, s:o, s:i}", "name", "seven_words",
					       "expect", "unknown_word", "input",
					       "zoom yoyo abacus felt-tip zoologist able ablaze",
					       "newsroom_pk", hexj(nr, 32), "bad_word", -1));
	sodium_free(k);
	save("codename", cases);
}

static void replies(void)
{
	json_t *cases = json_array();
	uint8_t nr[32], *r;
	size_t len;
	memset(nr, 5, 32);
	const char *code = "zoom zoom zoom zoom zoom zoom zoom zoom";
	gd_source_keys *k = source(code, nr);
	boxkey j[4];
	for (int i = 0; i < 4; i++)
		boxkey_new(&j[i]);
	/* the bundle's journalists: current, verify_only, and one whose window ended (§8 tries
	 * only keys inside their window at `now`: that one is not tried); j[3] is nobody's */
	json_t *pks = json_array();
	for (int i = 0; i < 3; i++)
		json_array_append_new(
			pks,
			json_pack("{s:o, s:b, s:I, s:I}", "pk", hexj(j[i].pk, 32), "verify_only",
				  i == 1, "not_before",
				  (json_int_t)(i == 2 ? NOW - 60 * DAY : NOW - DAY), "not_after",
				  (json_int_t)(i == 2 ? NOW - 30 * DAY : NOW + 20 * DAY)));
	static const struct {
		const char *name, *expect;
		int from;
	} v[] = {{"from_current_key", "success", 0},
		 {"from_older_key", "success", 1},
		 {"from_key_outside_its_window", "forged", 2},
		 {"not_from_a_bundle_journalist", "forged", 3}};
	const char *text = "Thank you. Please use a personal device only.";
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		gd_reply_seal(&r, &len, text, strlen(text), k->mailbox_id, 20800, j[v[i].from].sk,
			      k->reply_pk);
		json_t *c = json_pack("{s:s, s:s, s:s, s:o, s:O, s:o, s:i}", "name", v[i].name,
				      "expect", v[i].expect, "codename", code, "newsroom_pk",
				      hexj(nr, 32), "journalists", pks, "reply", hexj(r, len),
				      "journalist", v[i].from);
		json_object_set_new(c, "now", json_integer(NOW));
		if (strcmp(v[i].expect, "success") == 0) { /* what opening it must give (§8) */
			uint8_t pt[2048];
			size_t plen = len - 29 - crypto_box_MACBYTES;
			if (plen > sizeof pt ||
			    crypto_box_open_easy(pt, r + 29, len - 29, r + 5, j[v[i].from].pk,
						 k->reply_sk) != 0)
				exit(1);
			json_object_set_new(c, "text", json_string(text));
			json_object_set_new(c, "day", json_integer(20800));
			json_object_set_new(c, "reply_id", hexj(pt, 16));
			json_object_set_new(c, "mailbox_id", hexj(k->mailbox_id, 16));
			json_object_set_new(c, "plaintext", hexj(pt, plen));
		}
		json_array_append_new(cases, c);
		free(r);
	}
	json_decref(pks);
	sodium_free(k);
	save("reply", cases);
}

static void pows(void)
{
	json_t *cases = json_array();
	uint8_t key[32], ch[GD_POW_CHALLENGE_BYTES];
	uint64_t ctr;
	randombytes_buf(key, 32);
	gd_pow_challenge c = {.purpose = GD_POW_SUBMIT, .bits = 12, .expires = NOW + 300};
	randombytes_buf(c.id, 16);
	gd_pow_issue(ch, &c, key);
	gd_pow_solve(&ctr, ch);
	uint64_t bad = ctr + 1;
	while (gd_pow_leading_zeros(ch, bad) >= 12)
		bad++;
	static const struct {
		const char *name, *expect;
		int purpose, other_key, wrong_ctr;
		unsigned min_bits;
		int64_t now;
	} v[] = {{"valid", "success", GD_POW_SUBMIT, 0, 0, 12, NOW},
		 {"wrong_mac", "pow_failure", GD_POW_SUBMIT, 1, 0, 12, NOW},
		 {"other_purpose", "purpose_failure", GD_POW_UPLOAD, 0, 0, 12, NOW},
		 {"expired", "expired", GD_POW_SUBMIT, 0, 0, 12, NOW + 301},
		 {"too_few_bits", "pow_failure", GD_POW_SUBMIT, 0, 0, 13, NOW},
		 {"wrong_solution", "pow_failure", GD_POW_SUBMIT, 0, 1, 12, NOW}};
	uint8_t other[32];
	randombytes_buf(other, 32);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		json_array_append_new(cases,
				      json_pack("{s:s, s:s, s:o, s:o, s:I, s:i, s:i, s:I}", "name",
						v[i].name, "expect", v[i].expect, "key",
						hexj(v[i].other_key ? other : key, 32), "challenge",
						hexj(ch, sizeof ch), "counter",
						(json_int_t)(v[i].wrong_ctr ? bad : ctr), "purpose",
						v[i].purpose, "min_bits", v[i].min_bits, "now",
						(json_int_t)v[i].now));
	save("pow", cases);
}

/* §4.2: journalist public-key files, as ghostdrop-desk writes them and as it refuses them. */
static void pubfiles(void)
{
	json_t *cases = json_array();
	gd_journalist j = {.not_before = NOW - DAY, .not_after = NOW + 90 * DAY};
	snprintf(j.name, sizeof j.name, "Ana Lima");
	randombytes_buf(j.pk, 32);
	for (int vo = 0; vo < 2; vo++) {
		j.verify_only = vo;
		char *f = gd_pubfile_encode(&j);
		if (f == NULL)
			exit(1);
		json_array_append_new(
			cases, json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:b}", "name",
					 vo ? "verify_only" : "valid", "expect", "success", "file",
					 f, "journalist", j.name, "x25519", hexj(j.pk, 32),
					 "not_before", (json_int_t)j.not_before, "not_after",
					 (json_int_t)j.not_after, "verify_only", vo));
		free(f);
	}
	char b[64], t[512];
	gd_b64_encode(b, sizeof b, j.pk, 32);
	static const struct {
		const char *name, *expect, *fmt;
	} bad[] = {
		{"verify_only_absent", "success",
		 "{\"format\":\"ghostdrop-journalist-key\",\"name\":\"Ana "
		 "Lima\",\"not_after\":1807776000,"
		 "\"not_before\":1799913600,\"version\":1,\"x25519\":\"%s\"}"},
		{"unknown_field", "format_failure",
		 "{\"format\":\"ghostdrop-journalist-key\",\"name\":\"Ana "
		 "Lima\",\"not_after\":1807776000,"
		 "\"not_before\":1799913600,\"version\":1,\"x25519\":\"%s\",\"email\":\"a@b\"}"},
		{"name_starts_with_dot", "format_failure",
		 "{\"format\":\"ghostdrop-journalist-key\",\"name\":\".Ana\",\"not_after\":"
		 "1807776000,"
		 "\"not_before\":1799913600,\"version\":1,\"x25519\":\"%s\"}"},
		{"window_empty", "format_failure",
		 "{\"format\":\"ghostdrop-journalist-key\",\"name\":\"Ana "
		 "Lima\",\"not_after\":1799913600,"
		 "\"not_before\":1799913600,\"version\":1,\"x25519\":\"%s\"}"},
		{"other_format", "format_failure",
		 "{\"format\":\"ghostdrop-newsroom-key\",\"name\":\"Ana "
		 "Lima\",\"not_after\":1807776000,"
		 "\"not_before\":1799913600,\"version\":1,\"x25519\":\"%s\"}"},
		{"version_2", "version",
		 "{\"format\":\"ghostdrop-journalist-key\",\"name\":\"Ana "
		 "Lima\",\"not_after\":1807776000,"
		 "\"not_before\":1799913600,\"version\":2,\"x25519\":\"%s\"}"},
		{"duplicate_key", "format_failure",
		 "{\"format\":\"ghostdrop-journalist-key\",\"name\":\"Ana Lima\",\"name\":\"Bo\","
		 "\"not_after\":1807776000,\"not_before\":1799913600,\"version\":1,\"x25519\":\"%"
		 "s\"}"}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *x = strstr(bad[i].fmt, "%s"); /* the key goes where the template says */
		snprintf(t, sizeof t, "%.*s%s%s", (int)(x - bad[i].fmt), bad[i].fmt, b, x + 2);
		json_t *c = json_pack("{s:s, s:s, s:s}", "name", bad[i].name, "expect",
				      bad[i].expect, "file", t);
		if (strcmp(bad[i].expect, "success") == 0) {
			json_object_set_new(c, "journalist", json_string("Ana Lima"));
			json_object_set_new(c, "x25519", hexj(j.pk, 32));
			json_object_set_new(c, "not_before", json_integer(1799913600));
			json_object_set_new(c, "not_after", json_integer(1807776000));
			json_object_set_new(c, "verify_only", json_false());
		}
		json_array_append_new(cases, c);
	}
	save("pubfile", cases);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* §13: a batch file of two envelopes, the ack file and a reply file the desk makes from it. The
 * framing is written here from the text of §13.1, not with client/batch.c. */
static void desk_files(void)
{
	json_t *cases = json_array(), *records = json_array(), *acks = json_array();
	boxkey k;
	membuf batch = {0}, env[2];
	uint8_t head[32], ids[2][16];
	uint32_t days[2] = {20800, 20801};
	boxkey_new(&k);
	seal_case(&env[0], &k, 1, 300, 0);
	seal_case(&env[1], &k, 1, 10, 1);
	memcpy(head, "GDBT\x01\0\0\0", 8);
	membuf_write(&batch, head, 8);
	for (int i = 0; i < 2; i++) {
		sink_state s;
		gd_open_result res;
		uint8_t h[32];
		randombytes_buf(ids[i], 16);
		memset(head, 0, sizeof head);
		memcpy(head, "GDBR", 4);
		memcpy(head + 4, ids[i], 16);
		put_u32le(head + 20, days[i]);
		put_u64le(head + 24, env[i].len);
		membuf_write(&batch, head, 32);
		membuf_write(&batch, env[i].buf, env[i].len);
		if (open_from(&env[i], &k, 1, &s, &res) != GD_OK)
			exit(1);
		crypto_hash_sha256(h, env[i].buf, env[i].len);
		json_array_append_new(records, json_pack("{s:o, s:i, s:I, s:o, s:o, s:s}", "id",
							 hexj(ids[i], 16), "day", (int)days[i],
							 "len", (json_int_t)env[i].len,
							 "envelope_sha256", hexj(h, 32), "ack_key",
							 hexj(res.ack_key, 32), "text", s.m.text));
		char ib[32], kb[64];
		gd_b64_encode(ib, sizeof ib, ids[i], 16);
		gd_b64_encode(kb, sizeof kb, res.ack_key, 32);
		json_array_append_new(acks, json_pack("{s:s, s:s}", "id", ib, "ack_key", kb));
		sink_free(&s);
	}
	memset(head, 0, sizeof head);
	memcpy(head, "GDBE", 4);
	put_u64le(head + 4, 2);
	membuf_write(&batch, head, 32);
	size_t rec1 = 8 + 32 + env[0].len; /* where the second record starts */
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "name",
					       "batch_two_records", "expect", "complete", "kind",
					       "batch", "keys", keys_json(&k, 1), "records",
					       records, "batch", hexj(batch.buf, batch.len)));
	static const struct {
		const char *name, *expect;
		long op_at, len, n_good;
		const char *op;
	} ed[] = {{"batch_cut_inside_record", "partial", 0, -100, 1, "truncate"},
		  {"batch_cut_between_records", "cut_short", 0, -32, 2, "truncate"},
		  {"batch_cut_in_record_header", "cut_short", 0, -1, 1, "truncate"},
		  {"batch_end_count_wrong", "corrupt", -28, 0, 2, "xor"},
		  {"batch_record_magic_wrong", "corrupt", -1, 0, 1, "xor"},
		  {"batch_bytes_after_end", "corrupt", 0, 0, 2, "append"},
		  {"batch_not_a_batch", "not_a_batch", 0, 0, 0, "xor"},
		  {"batch_version_2", "not_a_batch", 4, 0, 0, "set"}};
	for (size_t i = 0; i < sizeof ed / sizeof ed[0]; i++) {
		json_t *e;
		if (strcmp(ed[i].op, "truncate") == 0)
			e = edit("truncate",
				 ed[i].len == -1 ? (long)rec1 + 10 : (long)batch.len + ed[i].len, 0,
				 0);
		else if (strcmp(ed[i].op, "append") == 0)
			e = edit("append", 0, 0, 0);
		else if (strcmp(ed[i].op, "set") == 0)
			e = edit("set", ed[i].op_at, 2, 0);
		else
			e = edit("xor",
				 ed[i].op_at == -1 ? (long)rec1
				 : ed[i].op_at < 0 ? (long)batch.len + ed[i].op_at
						   : ed[i].op_at,
				 1, 0);
		json_array_append_new(cases,
				      json_pack("{s:s, s:s, s:s, s:s, s:[o], s:i}", "name",
						ed[i].name, "expect", ed[i].expect, "kind", "batch",
						"base", "batch_two_records", "edits", e,
						"good_records", (int)ed[i].n_good));
	}
	/* the ack file `open` writes for that batch (§13.3), serialised as desk_open.c does */
	json_t *doc = json_pack("{s:i, s:o}", "ghostdrop_ack", 1, "acks", acks);
	char *txt = json_dumps(doc, JSON_INDENT(1));
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "ack_file",
					       "expect", "success", "kind", "ack", "batch",
					       "batch_two_records", "text", txt));
	free(txt);
	json_decref(doc);
	/* a reply file (§13.4) to the source of the first record */
	uint8_t *r;
	size_t rlen;
	char mb[32], *rb = malloc(4096);
	gd_reply_seal(&r, &rlen, "We read it. Can you send the rota?", 34, src->mailbox_id, 20802,
		      k.sk, src->reply_pk);
	gd_b64_encode(mb, sizeof mb, src->mailbox_id, 16);
	gd_b64_encode(rb, 4096, r, rlen);
	doc = json_pack("{s:s, s:s}", "mailbox_id", mb, "reply", rb);
	txt = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_array_append_new(
		cases, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:i}", "name",
				 "reply_file", "expect", "success", "kind", "reply", "text", txt,
				 "codename", SRC_CODENAME, "newsroom_pk", hexj(SRC_NEWSROOM, 32),
				 "batch", "batch_two_records", "journalist_pk", hexj(k.pk, 32),
				 "reply_text", "We read it. Can you send the rota?", "day", 20802));
	free(txt);
	json_decref(doc);
	free(rb);
	free(r);
	membuf_free(&env[0]);
	membuf_free(&env[1]);
	membuf_free(&batch);
	save("desk", cases);
}

/* §11: example HTTP exchanges. Requests are complete (a reader can check every header
 * against the body); a recorded proof of work carries the server key it was made with. */
static json_t *header(const char *n, const char *v)
{
	return json_pack("[s, s]", n, v);
}

static json_t *exchange(const char *name, const char *section, const char *method,
			const char *target, json_t *headers, json_t *resp_json, int status)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:o}, s:{s:i, s:s, s:o}}", "name", name,
			 "section", section, "request", "method", method, "target", target,
			 "headers", headers, "response", "status", status, "content_type",
			 "application/json", "json", resp_json);
}

static void http_exchanges(void)
{
	json_t *cases = json_array(), *c;
	uint8_t key[32], ch[GD_POW_CHALLENGE_BYTES], root_pk[32], root_sk[64], *bun, h[32];
	size_t blen;
	char chb[128], powv[160], idb[32], hb[64], cl[32];
	uint64_t ctr;
	membuf env;
	boxkey k;
	memset(key, 7, 32);

	/* GET /v1/bundle */
	crypto_sign_keypair(root_pk, root_sk);
	gd_bundle b = {.version = 3,
		       .created = NOW - DAY,
		       .expires = NOW + 29 * DAY,
		       .n_servers = 1,
		       .n_journalists = 1};
	snprintf(b.newsroom, sizeof b.newsroom, "The Daily Ledger");
	snprintf(b.servers[0], sizeof b.servers[0], "http://127.0.0.1:8080");
	snprintf(b.journalists[0].name, sizeof b.journalists[0].name, "Ana");
	boxkey_new(&k);
	memcpy(b.journalists[0].pk, k.pk, 32);
	b.journalists[0].not_before = NOW - DAY;
	b.journalists[0].not_after = NOW + 20 * DAY;
	gd_bundle_sign(&bun, &blen, &b, root_sk);
	c = json_pack("{s:s, s:s, s:{s:s, s:s, s:[o,o]}, s:{s:i, s:s, s:o}, s:o, s:I}", "name",
		      "bundle_get", "section", "11.3", "request", "method", "GET", "target",
		      "/v1/bundle", "headers", header("Host", "127.0.0.1"),
		      header("Connection", "close"), "response", "status", 200, "content_type",
		      "application/octet-stream", "body_hex", hexj(bun, blen), "root_pk",
		      hexj(root_pk, 32), "now", (json_int_t)NOW);
	json_array_append_new(cases, c);
	free(bun);

	/* POST /v1/pow?purpose=submit, and the challenge it answers with */
	gd_pow_challenge pc = {.purpose = GD_POW_SUBMIT, .bits = 8, .expires = NOW + 300};
	memset(pc.id, 0x11, 16);
	gd_pow_issue(ch, &pc, key);
	gd_b64_encode(chb, sizeof chb, ch, sizeof ch);
	c = exchange("pow_challenge_submit", "11.3", "POST", "/v1/pow?purpose=submit",
		     json_pack("[o,o,o]", header("Host", "127.0.0.1"),
			       header("Connection", "close"), header("Content-Length", "0")),
		     json_pack("{s:s, s:i, s:i}", "challenge", chb, "bits", 8, "expires_in", 300),
		     200);
	json_object_set_new(c, "pow",
			    json_pack("{s:o, s:I, s:i, s:i}", "key", hexj(key, 32), "now",
				      (json_int_t)NOW, "purpose", GD_POW_SUBMIT, "min_bits", 8));
	json_array_append_new(cases, c);

	/* POST /v1/submissions: stored (201), with every header a client sends */
	gd_pow_solve(&ctr, ch);
	snprintf(powv, sizeof powv, "%s.%llu", chb, (unsigned long long)ctr);
	seal_case(&env, &k, 1, 100, 0);
	uint8_t id[16];
	memset(id, 0x22, 16);
	gd_b64_encode(idb, sizeof idb, id, 16);
	crypto_generichash(h, 32, env.buf, env.len, NULL, 0);
	gd_b64_encode(hb, sizeof hb, h, 32);
	snprintf(cl, sizeof cl, "%zu", env.len);
	json_t *hs = json_pack("[o,o,o,o,o,o,o]", header("Host", "127.0.0.1"),
			       header("Connection", "close"),
			       header("Content-Type", "application/octet-stream"),
			       header("X-Ghostdrop-Id", idb), header("X-Ghostdrop-Hash", hb),
			       header("X-Ghostdrop-PoW", powv), header("Content-Length", cl));
	c = exchange("submit_stored", "11.3", "POST", "/v1/submissions", hs,
		     json_pack("{s:s, s:s}", "id", idb, "status", "stored"), 201);
	json_object_set_new(json_object_get(c, "request"), "body_hex", hexj(env.buf, env.len));
	json_object_set_new(c, "pow",
			    json_pack("{s:o, s:I, s:i, s:i}", "key", hexj(key, 32), "now",
				      (json_int_t)NOW, "purpose", GD_POW_SUBMIT, "min_bits", 8));
	json_object_set_new(c, "replay_pow", json_string("submit"));
	json_array_append_new(cases, c);

	/* the same, one byte of the body changed: refused, nothing stored */
	hs = json_deep_copy(hs);
	c = exchange("submit_hash_mismatch", "11.3", "POST", "/v1/submissions", hs,
		     json_pack("{s:s, s:s}", "error", "hash_mismatch", "message",
			       "body does not match X-Ghostdrop-Hash"),
		     400);
	env.buf[env.len - 1] ^= 1;
	json_object_set_new(json_object_get(c, "request"), "body_hex", hexj(env.buf, env.len));
	json_object_set_new(c, "pow",
			    json_pack("{s:o, s:I, s:i, s:i}", "key", hexj(key, 32), "now",
				      (json_int_t)NOW, "purpose", GD_POW_SUBMIT, "min_bits", 8));
	json_object_set_new(c, "replay_pow", json_string("submit"));
	json_array_append_new(cases, c);

	env.buf[env.len - 1] ^= 1;
	/* without a proof of work: refused with the headers, before the body is read */
	c = exchange("submit_without_pow", "11.3", "POST", "/v1/submissions",
		     json_pack("[o,o,o,o,o,o]", header("Host", "127.0.0.1"),
			       header("Connection", "close"),
			       header("Content-Type", "application/octet-stream"),
			       header("X-Ghostdrop-Id", idb), header("X-Ghostdrop-Hash", hb),
			       header("Content-Length", cl)),
		     json_pack("{s:s, s:s}", "error", "pow_required", "message",
			       "this request needs a proof of work"),
		     403);
	json_object_set_new(json_object_get(c, "request"), "body_hex", hexj(env.buf, env.len));
	json_array_append_new(cases, c);
	membuf_free(&env);

	/* a mailbox request with a proof of work made for submissions */
	c = exchange("mailbox_fetch_with_submit_pow", "11.3", "POST", "/v1/mailbox/fetch",
		     json_pack("[o,o,o,o,o]", header("Host", "127.0.0.1"),
			       header("Connection", "close"),
			       header("Content-Type", "application/json"),
			       header("X-Ghostdrop-PoW", powv), header("Content-Length", "2")),
		     json_pack("{s:s, s:s}", "error", "pow_purpose", "message",
			       "proof of work made for another request"),
		     403);
	json_object_set_new(json_object_get(c, "request"), "body_text", json_string("{}"));
	json_object_set_new(c, "pow",
			    json_pack("{s:o, s:I, s:i, s:i, s:s}", "key", hexj(key, 32), "now",
				      (json_int_t)NOW, "purpose", GD_POW_MAILBOX, "min_bits", 8,
				      "expect", "purpose_failure"));
	json_object_set_new(c, "replay_pow", json_string("submit"));
	json_array_append_new(cases, c);

	/* an unknown purpose */
	c = exchange("pow_unknown_purpose", "11.3", "POST", "/v1/pow?purpose=reply",
		     json_pack("[o,o,o]", header("Host", "127.0.0.1"),
			       header("Connection", "close"), header("Content-Length", "0")),
		     json_pack("{s:s, s:s}", "error", "bad_request", "message",
			       "purpose must be submit, upload or mailbox"),
		     400);
	json_array_append_new(cases, c);

	/* the courier listing without a token */
	c = exchange("courier_list_without_token", "11.4", "GET", "/v1/courier/submissions",
		     json_pack("[o,o]", header("Host", "127.0.0.1"), header("Connection", "close")),
		     json_pack("{s:s, s:s}", "error", "unauthorized", "message",
			       "a courier token is required"),
		     401);
	json_array_append_new(cases, c);
	save("http", cases);
}

/* §5.2: the server URL grammar, and what the listed-server check takes for a listed URL. */
static void server_urls(void)
{
	json_t *cases = json_array();
	static const char *const ok[] = {
		"http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion",
		"http://127.0.0.1:8080",
		"https://drop.example.org",
		"http://[::1]:8080",
		"http://[2001:db8::7]",
		"http://[::ffff:192.0.2.1]:80",
		"http://a-b.c:65535",
		"http://x.onion:1",
		"http://999.1.1.1"};
	static const struct {
		const char *name, *url;
	} bad[] = {
		{"empty_host", "http://:8080"},
		{"no_host", "http://"},
		{"port_0", "http://x.onion:0"},
		{"port_65536", "http://x.onion:65536"},
		{"port_empty", "http://x.onion:"},
		{"port_leading_zero", "http://x.onion:080"},
		{"upper_case", "http://X.onion"},
		{"path_slash", "http://x.onion/"},
		{"path", "http://x.onion/drop"},
		{"user_info", "http://u@x.onion"},
		{"empty_label", "http://a..onion"},
		{"trailing_dot", "http://x.onion."},
		{"label_64",
		 "http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion"},
		{"ipv6_unbracketed", "http://::1"},
		{"ipv6_unclosed", "http://[::1"},
		{"ipv6_two_gaps", "http://[1::2::3]"},
		{"ipv6_nine_groups", "http://[1:2:3:4:5:6:7:8:9]"},
		{"ipv6_upper_hex", "http://[FE80::1]"},
		{"ipv6_zone", "http://[fe80::1%eth0]"},
		{"ipv6_port_without_colon", "http://[::1]8080"},
		{"other_scheme", "ftp://x.onion"},
		{"underscore", "http://a_b.onion"}};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "valid_%zu", i);
		json_array_append_new(cases, json_pack("{s:s, s:s, s:s}", "name", name, "expect",
						       "success", "url", ok[i]));
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		json_array_append_new(cases,
				      json_pack("{s:s, s:s, s:s}", "name", bad[i].name, "expect",
						"format_failure", "url", bad[i].url));
	/* the listed-server check: the client's URL against a bundle listing `url` */
	static const struct {
		const char *name, *listed, *given;
		int yes;
	} lists[] = {
		{"listed_upper_case_and_slash", "http://x.onion:8080", "HTTP://X.Onion:8080//", 1},
		{"listed_port_80_not_implied", "http://x.onion", "http://x.onion:80", 0},
		{"listed_ipv6", "http://[::1]:8080", "http://[::1]:8080/", 1},
		{"listed_other_server", "http://x.onion", "http://y.onion", 0}};
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		json_array_append_new(cases,
				      json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", lists[i].name,
						"expect", "success", "url", lists[i].listed,
						"given", lists[i].given, "listed", lists[i].yes));
	save("server_url", cases);
}

/* §6.2: manifests as JSON text, decoded alone (inside an envelope they are also signed). */
static void manifests(void)
{
	json_t *cases = json_array();
	gd_manifest m;
	uint8_t *enc;
	size_t len;
	char id[32], t[1024];
	gd_attachment a = {"rota.pdf", "application/pdf", 123456};
	test_manifest(&m, "", NULL);
	memset(m.submission_id, 0x33, 16);
	gd_b64_encode(id, sizeof id, m.submission_id, 16);
	gd_manifest_encode(&enc, &len,
			   &m); /* what a conforming sealer writes, no files, no source */
	json_array_append_new(cases, json_pack("{s:s, s:s, s:s%, s:s, s:i, s:b}", "name", "minimal",
					       "expect", "success", "json", enc, len, "kind",
					       "testimony", "attachments", 0, "has_source", 0));
	free(enc);
	test_manifest(&m, "Paid per task.", src);
	m.kind = GD_KIND_FOLLOWUP;
	memset(m.submission_id, 0x33, 16);
	m.attachments = &a;
	m.n_attachments = 1;
	gd_manifest_encode(&enc, &len, &m);
	json_array_append_new(cases,
			      json_pack("{s:s, s:s, s:s%, s:s, s:i, s:b}", "name",
					"followup_with_file", "expect", "success", "json", enc, len,
					"kind", "followup", "attachments", 1, "has_source", 1));
	free(enc);
	static const struct {
		const char *name, *expect, *fmt;
	} bad[] = {
		{"no_attachments_field", "format_failure",
		 "{\"id\":\"%s\",\"kind\":\"testimony\",\"text\":\"hi\",\"v\":1}"},
		{"no_text_field", "format_failure",
		 "{\"attachments\":[],\"id\":\"%s\",\"kind\":\"testimony\",\"v\":1}"},
		{"v_2", "version",
		 "{\"attachments\":[],\"id\":\"%s\",\"kind\":\"testimony\",\"text\":\"\",\"v\":2}"},
		{"v_0", "version",
		 "{\"attachments\":[],\"id\":\"%s\",\"kind\":\"testimony\",\"text\":\"\",\"v\":0}"},
		{"v_1001", "format_failure",
		 "{\"attachments\":[],\"id\":\"%s\",\"kind\":\"testimony\",\"text\":\"\",\"v\":"
		 "1001}"},
		{"v_string", "format_failure",
		 "{\"attachments\":[],\"id\":\"%s\",\"kind\":\"testimony\",\"text\":\"\",\"v\":"
		 "\"1\"}"},
		{"no_v", "format_failure",
		 "{\"attachments\":[],\"id\":\"%s\",\"kind\":\"testimony\",\"text\":\"\"}"},
		{"followup_without_source", "format_failure",
		 "{\"attachments\":[],\"id\":\"%s\",\"kind\":\"followup\",\"text\":\"\",\"v\":1}"},
		{"unknown_field", "format_failure",
		 "{\"attachments\":[],\"id\":\"%s\",\"kind\":\"testimony\",\"lang\":\"en\","
		 "\"text\":"
		 "\"\","
		 "\"v\":1}"},
		{"attachment_without_type", "format_failure",
		 "{\"attachments\":[{\"name\":\"a\",\"size\":1}],\"id\":\"%s\",\"kind\":"
		 "\"testimony\","
		 "\"text\":\"\",\"v\":1}"},
		{"attachment_empty_name", "format_failure",
		 "{\"attachments\":[{\"name\":\"\",\"size\":1,\"type\":\"\"}],\"id\":\"%s\","
		 "\"kind\":\"testimony\",\"text\":\"\",\"v\":1}"},
		{"attachments_over_64_gib", "too_large",
		 "{\"attachments\":[{\"name\":\"a\",\"size\":68719476736,\"type\":\"\"},{\"name\":"
		 "\"b\","
		 "\"size\":1,\"type\":\"\"}],\"id\":\"%s\",\"kind\":\"testimony\",\"text\":\"\","
		 "\"v\":"
		 "1}"},
		{"reply_pk_alone", "format_failure",
		 "{\"attachments\":[],\"id\":\"%s\",\"kind\":\"testimony\",\"reply_pk\":"
		 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"text\":\"\",\"v\":1}"},
		{"text_with_nul", "format_failure",
		 "{\"attachments\":[],\"id\":\"%s\",\"kind\":\"testimony\",\"text\":\"a\\u0000b\","
		 "\"v\":1}"}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *x = strstr(bad[i].fmt, "%s");
		snprintf(t, sizeof t, "%.*s%s%s", (int)(x - bad[i].fmt), bad[i].fmt, id, x + 2);
		json_array_append_new(cases, json_pack("{s:s, s:s, s:s}", "name", bad[i].name,
						       "expect", bad[i].expect, "json", t));
	}
	save("manifest", cases);
}

/* §11.3 upload chunk checks and §12.2 envelope ids: chunks of an upload in both modes (the
 * Poly1305 key and tag of each, its BLAKE2b-256, both commit digests), and envelope ids. */
static void uploads(void)
{
	json_t *cases = json_array();
	static const uint32_t sizes[][3] = {{1000, 1000, 17}, {64, 0, 0}};
	for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
		uint8_t u[16], K[32], data[2017], (*checks)[32] = calloc(3, 32),
						  (*tags)[32] = calloc(3, 32);
		size_t total = 0, n = 0;
		json_t *cs = json_array(), *keys = json_array(), *ts = json_array(),
		       *hs = json_array();
		randombytes_buf(u, sizeof u);
		randombytes_buf(K, sizeof K);
		for (; n < 3 && sizes[c][n] > 0; n++) {
			uint8_t k[32];
			randombytes_buf(data + total, sizes[c][n]);
			gd_chunk_mac_key(k, K, u, (uint32_t)n);
			gd_chunk_check(tags[n], GD_CHECK_POLY1305, data + total, sizes[c][n], K, u,
				       (uint32_t)n);
			gd_chunk_check(checks[n], GD_CHECK_BLAKE2B, data + total, sizes[c][n], NULL,
				       u, (uint32_t)n);
			json_array_append_new(cs, json_integer(sizes[c][n]));
			json_array_append_new(keys, hexj(k, 32));
			json_array_append_new(ts, hexj(tags[n], GD_CHUNK_TAG_BYTES));
			json_array_append_new(hs, hexj(checks[n], 32));
			total += sizes[c][n];
		}
		uint8_t dp[32], db[32];
		gd_upload_digest_check(dp, GD_CHECK_POLY1305, total, (const uint8_t(*)[32])tags, n);
		gd_upload_digest_check(db, GD_CHECK_BLAKE2B, total, (const uint8_t(*)[32])checks,
				       n);
		json_array_append_new(
			cases,
			json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
				  "name", c == 0 ? "three_chunks" : "one_chunk", "expect",
				  "success", "kind", "chunks", "upload_id", hexj(u, 16),
				  "chunk_key", hexj(K, 32), "data", hexj(data, total),
				  "chunk_sizes", cs, "chunk_keys", keys, "chunk_tags", ts,
				  "chunk_hashes", hs, "digest_poly1305", hexj(dp, 32),
				  "digest_blake2b", hexj(db, 32)));
		free(checks);
		free(tags);
	}
	boxkey to[2];
	boxkey_new(&to[0]);
	boxkey_new(&to[1]);
	for (unsigned n = 1; n <= 2; n++) {
		membuf env;
		uint8_t e[32];
		seal_case(&env, to, n, 100, 1);
		size_t hl = gd_envelope_header_size(n);
		if (gd_envelope_id(e, env.len, env.buf, hl) != GD_OK)
			exit(1);
		json_array_append_new(cases,
				      json_pack("{s:s, s:s, s:s, s:o, s:I, s:o}", "name",
						n == 1 ? "envelope_id_1" : "envelope_id_2",
						"expect", "success", "kind", "envelope_id",
						"header", hexj(env.buf, hl), "size",
						(json_int_t)env.len, "envelope_id", hexj(e, 32)));
		if (n == 2) {
			json_array_append_new(
				cases,
				json_pack("{s:s, s:s, s:s, s:s, s:o}", "name",
					  "envelope_id_truncated", "expect", "truncated", "kind",
					  "envelope_id", "base", "envelope_id_2", "edits",
					  json_pack("[o]", edit("truncate", (long)hl - 1, 0, 0))));
			json_array_append_new(cases,
					      json_pack("{s:s, s:s, s:s, s:s, s:o}", "name",
							"envelope_id_bad_magic", "expect",
							"format_failure", "kind", "envelope_id",
							"base", "envelope_id_2", "edits",
							json_pack("[o]", edit("xor", 0, 0x20, 0))));
		}
		membuf_free(&env);
	}
	save("upload", cases);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*make)(void);
	} modules[] = {{"envelope", envelopes},
		       {"bundle", bundles},
		       {"keystring", keystrings},
		       {"keyfile", keyfiles},
		       {"codename", codenames},
		       {"reply", replies},
		       {"pow", pows},
		       {"pubfile", pubfiles},
		       {"desk", desk_files},
		       {"http", http_exchanges},
		       {"server_url", server_urls},
		       {"manifest", manifests},
		       {"upload", uploads},
		       {"envelope_seeded", envelope_seeded}};
	if (argc < 2 || gd_init() != GD_OK) {
		fprintf(stderr, "usage: gen_vectors OUTDIR [MODULE...]\n");
		return 2;
	}
	outdir = argv[1];
	src = source(SRC_CODENAME, SRC_NEWSROOM);
	/* Each file is made once: name the modules to remake, so the others keep their bytes. */
	for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
		int want = argc == 2 && modules[i].make != envelope_seeded; /* in envelope */
		for (int a = 2; a < argc; a++)
			want |= strcmp(argv[a], modules[i].name) == 0;
		if (want)
			modules[i].make();
	}
	return 0;
}
