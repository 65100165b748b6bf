/* Tests for the crypto moved into crypto/ by issue 15: each function computes exactly what the
 * code it replaces computed (nothing changes on the wire or on disk). */
#define _GNU_SOURCE /* memmem */
#include <jansson.h>
#include <stdio.h>

#include "check_main.h"
#include "testutil.h"

/* BLAKE2b(ctx NUL || data), written out independently of the library. */
static void ctx_hash(uint8_t *out, size_t out_len, const char *ctx, const uint8_t *d, size_t len)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, out_len);
	crypto_generichash_update(&st, (const uint8_t *)ctx, strlen(ctx) + 1);
	crypto_generichash_update(&st, d, len);
	crypto_generichash_final(&st, out, out_len);
}

START_TEST(courier_token_hash)
{
	uint8_t tok[GD_COURIER_TOKEN_BYTES], got[32], want[32];
	for (int i = 0; i < 4; i++) {
		randombytes_buf(tok, sizeof tok);
		gd_courier_token_hash(got, tok);
		ctx_hash(want, 32, "ghostdrop/v1/courier-token", tok, sizeof tok);
		ck_assert_mem_eq(got, want, 32);
	}
	/* Known answer for the all-zero token: what a drop's existing token store holds. */
	memset(tok, 0, sizeof tok);
	gd_courier_token_hash(got, tok);
	char *hex = hex_of(got, 32);
	ck_assert_str_eq(hex, "736756216fb0c9ab71cc261aa796638ff148e3f7dfb867b251fe4ce1a769a84b");
	free(hex);
}
END_TEST

START_TEST(reply_id)
{
	uint8_t blob[3000], got[GD_REPLY_ID_BYTES], want[16];
	ck_assert_int_eq(GD_REPLY_ID_BYTES, 16);
	randombytes_buf(blob, sizeof blob);
	for (size_t len = 0; len < sizeof blob; len += 999) {
		gd_reply_id(got, blob, len);
		ctx_hash(want, 16, "ghostdrop/v1/reply-id", blob, len);
		ck_assert_mem_eq(got, want, 16);
	}
}
END_TEST

/* The label desk_open.c computed before issue 15, copied as it was. */
static void old_source_label(char *out, size_t cap, const uint8_t identity_pk[GD_SIGN_PK_BYTES])
{
	static const char ctx[] = "ghostdrop/v1/source-label";
	uint8_t h[32];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof ctx);
	crypto_generichash_update(&st, identity_pk, GD_SIGN_PK_BYTES);
	crypto_generichash_final(&st, h, sizeof h);
	unsigned w[3];
	for (int i = 0; i < 3; i++)
		w[i] = (unsigned)(((uint32_t)h[4 * i] | (uint32_t)h[4 * i + 1] << 8 |
				   (uint32_t)h[4 * i + 2] << 16 | (uint32_t)h[4 * i + 3] << 24) %
				  GD_WORDLIST_SIZE);
	snprintf(out, cap, "%s-%s-%s", gd_wordlist_word(w[0]), gd_wordlist_word(w[1]),
		 gd_wordlist_word(w[2]));
}

START_TEST(source_label)
{
	uint8_t pk[GD_SIGN_PK_BYTES];
	char got[64], want[64];
	for (int i = 0; i < 50; i++) {
		randombytes_buf(pk, sizeof pk);
		gd_source_label(got, sizeof got, pk);
		old_source_label(want, sizeof want, pk);
		ck_assert_str_eq(got, want); /* (list words may hold a '-' themselves) */
	}
	gd_source_label(got, 5, pk); /* truncated, terminated */
	ck_assert_uint_eq(strlen(got), 4);
	ck_assert(strncmp(got, want, 4) == 0);
}
END_TEST

START_TEST(reply_peek)
{
	uint8_t nr[32], mb[16] = {1};
	memset(nr, 9, 32);
	gd_source_keys *src = test_source("zoom zoom zoom zoom zoom zoom zoom zoom", nr);
	boxkey j;
	boxkey_new(&j);
	uint8_t *blob;
	size_t len;
	ck_assert_int_eq(gd_reply_seal(&blob, &len, "", 0, mb, 1, j.sk, src->reply_pk), GD_OK);
	size_t smallest = 5 + 24 + 16 + GD_REPLY_PAD_FLOOR;
	ck_assert_uint_eq(len, smallest); /* an empty reply is the smallest sealed one */
	ck_assert_int_eq(gd_reply_peek(blob, len), GD_OK);
	ck_assert_int_eq(gd_reply_peek(blob, len - 1), GD_ERR_FORMAT);
	ck_assert_int_eq(gd_reply_peek(blob, 0), GD_ERR_FORMAT);
	ck_assert_int_eq(gd_reply_peek(NULL, 0), GD_ERR_FORMAT);
	const char *magic = "GDRP\x01";
	for (int i = 0; i < 5; i++) {
		blob[i] ^= 0x20;
		ck_assert_int_eq(gd_reply_peek(blob, len), GD_ERR_FORMAT);
		blob[i] ^= 0x20;
		ck_assert_int_eq(blob[i], (uint8_t)magic[i]);
	}
	blob[4] = 2;
	ck_assert_int_eq(gd_reply_peek(blob, len), GD_ERR_FORMAT);
	blob[4] = 1;
	/* Opens nothing: random bytes behind a good prefix pass. */
	randombytes_buf(blob + 5, len - 5);
	ck_assert_int_eq(gd_reply_peek(blob, len), GD_OK);
	free(blob);
	sodium_free(src);
}
END_TEST

START_TEST(upload_digest_buf)
{
	static uint8_t buf[200001];
	randombytes_buf(buf, sizeof buf);
	const uint32_t sizes[] = {1, 4096, 65536, 100000, 200001, 1u << 20};
	const size_t lens[] = {0, 1, 65536, 65537, 200001};
	for (size_t a = 0; a < sizeof lens / sizeof lens[0]; a++)
		for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
			size_t len = lens[a];
			uint32_t cs = sizes[c];
			if (cs == 1 && len > 70000)
				continue; /* a quarter million chunk hashes: slow under ASan */
			size_t n = (len + cs - 1) / cs;
			uint8_t(*hs)[32] = malloc((n ? n : 1) * 32), got[32], want[32];
			for (size_t i = 0; i < n; i++) {
				size_t k = len - i * cs < cs ? len - i * cs : cs;
				crypto_generichash(hs[i], 32, buf + i * cs, k, NULL, 0);
			}
			gd_upload_digest(want, len, (const uint8_t(*)[32])hs, n);
			ck_assert_int_eq(gd_upload_digest_buf(got, buf, len, cs), GD_OK);
			ck_assert_mem_eq(got, want, 32);
			free(hs);
		}
	uint8_t out[32];
	ck_assert_int_eq(gd_upload_digest_buf(out, buf, 10, 0), GD_ERR_INVAL);
}
END_TEST

/* gd_envelope_size_for against what gd_seal really writes. */
START_TEST(envelope_size_for)
{
	uint8_t nr[32];
	memset(nr, 9, 32);
	gd_source_keys *src = test_source("zoom zoom zoom zoom zoom zoom zoom zoom", nr);
	boxkey k[3];
	uint8_t pks[3][32];
	for (int i = 0; i < 3; i++) {
		boxkey_new(&k[i]);
		memcpy(pks[i], k[i].pk, 32);
	}
	static uint8_t att[300000];
	const size_t att_sizes[][2] = {{0, 0},     {1, 0},         {16000, 0},
				       {20000, 3}, {65536, 65536}, {131000, 140000}};
	for (size_t t = 0; t < sizeof att_sizes / sizeof att_sizes[0]; t++)
		for (unsigned n = 1; n <= 3; n++) {
			gd_manifest m;
			gd_attachment a[2];
			memset(a, 0, sizeof a);
			test_manifest(&m,
				      n == 2 ? "a longer testimony text, to move the manifest size"
					     : "text",
				      n == 3 ? NULL : src);
			uint64_t total = 0;
			for (int i = 0; i < 2; i++) {
				snprintf(a[i].name, sizeof a[i].name, "f%d.bin", i);
				snprintf(a[i].type, sizeof a[i].type, "application/octet-stream");
				a[i].size = att_sizes[t][i];
				total += a[i].size;
			}
			m.attachments = a;
			m.n_attachments = att_sizes[t][1] ? 2 : att_sizes[t][0] ? 1 : 0;
			uint8_t *mj;
			size_t mlen;
			ck_assert_int_eq(gd_manifest_encode(&mj, &mlen, &m), GD_OK);
			free(mj);
			membuf env = {0};
			ck_assert_int_eq(seal_to(&env, (const uint8_t(*)[32])pks, n, &m,
						 n == 3 ? NULL : src, att, (size_t)total, NULL),
					 GD_OK);
			ck_assert_uint_eq(gd_envelope_size_for(n, mlen, total), env.len);
			ck_assert_uint_eq(
				gd_envelope_size_for(n, mlen, total),
				gd_envelope_size(n,
						 gd_pad_envelope(4 + mlen + GD_SIG_BYTES + total)));
			membuf_free(&env);
		}
	/* Over the plaintext limit the size is still computed (for the message); no overflow. */
	ck_assert_uint_gt(gd_envelope_size_for(1, 100, GD_ENV_MAX_PLAINTEXT * 2),
			  GD_ENV_MAX_PLAINTEXT);
	ck_assert_uint_eq(gd_envelope_size_for(1, 100, UINT64_MAX), UINT64_MAX);
	ck_assert_uint_eq(gd_envelope_size_for(1, 100, UINT64_MAX - 200), UINT64_MAX);
	sodium_free(src);
}
END_TEST

/* Issue 15, manifests: what the encoder writes, the desk's decoder takes. A manifest without
 * `attachments` used to be "stored" by the drop and refused by the desk. */
static uint8_t *encode(const gd_manifest *m, size_t *len)
{
	uint8_t *out = NULL;
	ck_assert_int_eq(gd_manifest_encode(&out, len, m), GD_OK);
	return out;
}

/* The encoded manifest with one edit of its JSON: key removed (value NULL) or set. */
static int decode_edited(const uint8_t *mj, size_t len, const char *key, json_t *value)
{
	json_t *o = json_loadb((const char *)mj, len, 0, NULL);
	ck_assert_ptr_nonnull(o);
	if (value == NULL)
		ck_assert_int_eq(json_object_del(o, key), 0);
	else
		json_object_set_new(o, key, value);
	char *t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	gd_manifest back;
	int rc = gd_manifest_decode(&back, (const uint8_t *)t, strlen(t));
	gd_manifest_clear(&back);
	free(t);
	json_decref(o);
	return rc;
}

START_TEST(manifest_required_fields)
{
	uint8_t nr[32];
	memset(nr, 9, 32);
	gd_source_keys *src = test_source("zoom zoom zoom zoom zoom zoom zoom zoom", nr);
	gd_manifest m, back;
	test_manifest(&m, "", NULL); /* no text, no attachments, no source */
	size_t len;
	uint8_t *mj = encode(&m, &len);
	ck_assert_ptr_nonnull(memmem(mj, len, "\"attachments\":[]", 16));
	ck_assert_ptr_nonnull(memmem(mj, len, "\"text\":\"\"", 9));
	ck_assert_int_eq(gd_manifest_decode(&back, mj, len), GD_OK);
	ck_assert_uint_eq(back.n_attachments, 0);
	gd_manifest_clear(&back);
	/* each required field, removed: format */
	static const char *const required[] = {"v", "kind", "id", "text", "attachments"};
	for (size_t i = 0; i < 5; i++)
		ck_assert_msg(decode_edited(mj, len, required[i], NULL) == GD_ERR_FORMAT, "%s",
			      required[i]);
	/* the version: an integer 0..1000 other than 1 is `version`, anything else `format` */
	ck_assert_int_eq(decode_edited(mj, len, "v", json_integer(2)), GD_ERR_VERSION);
	ck_assert_int_eq(decode_edited(mj, len, "v", json_integer(0)), GD_ERR_VERSION);
	ck_assert_int_eq(decode_edited(mj, len, "v", json_integer(1000)), GD_ERR_VERSION);
	ck_assert_int_eq(decode_edited(mj, len, "v", json_integer(1001)), GD_ERR_FORMAT);
	ck_assert_int_eq(decode_edited(mj, len, "v", json_integer(-1)), GD_ERR_FORMAT);
	ck_assert_int_eq(decode_edited(mj, len, "v", json_string("1")), GD_ERR_FORMAT);
	ck_assert_int_eq(decode_edited(mj, len, "v", json_real(1.0)), GD_ERR_FORMAT);
	ck_assert_int_eq(decode_edited(mj, len, "v", json_null()), GD_ERR_FORMAT);
	ck_assert_int_eq(decode_edited(mj, len, "v", json_integer(1)), GD_OK);
	/* unknown fields are checked first: a v2 manifest with a new field is `format` */
	json_t *o = json_loadb((const char *)mj, len, 0, NULL);
	json_object_set_new(o, "v", json_integer(2));
	ck_assert_int_eq(decode_edited(mj, len, "extra", json_true()), GD_ERR_FORMAT);
	char *t = json_dumps(o, JSON_COMPACT);
	json_object_set_new(o, "extra", json_true());
	char *t2 = json_dumps(o, JSON_COMPACT);
	ck_assert_int_eq(gd_manifest_decode(&back, (uint8_t *)t, strlen(t)), GD_ERR_VERSION);
	ck_assert_int_eq(gd_manifest_decode(&back, (uint8_t *)t2, strlen(t2)), GD_ERR_FORMAT);
	free(t);
	free(t2);
	json_decref(o);
	free(mj);
	/* the source fields: all three or none */
	gd_manifest_set_source(&m, src);
	m.kind = GD_KIND_FOLLOWUP;
	mj = encode(&m, &len);
	ck_assert_int_eq(gd_manifest_decode(&back, mj, len), GD_OK);
	gd_manifest_clear(&back);
	static const char *const trio[] = {"reply_pk", "identity_pk", "mailbox_id"};
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(decode_edited(mj, len, trio[i], NULL) == GD_ERR_FORMAT, "%s",
			      trio[i]);
	free(mj);
	/* and the encoder refuses what the decoder would refuse, never writing it */
	gd_attachment a[2];
	memset(a, 0, sizeof a);
	m.attachments = a;
	m.n_attachments = 1;
	uint8_t *none = NULL;
	ck_assert_int_eq(gd_manifest_encode(&none, &len, &m), GD_ERR_FORMAT); /* empty name */
	memset(a[0].name, 'n', sizeof a[0].name); /* 256 bytes, no room for the NUL */
	ck_assert_int_eq(gd_manifest_encode(&none, &len, &m), GD_ERR_FORMAT);
	a[0].name[255] = '\0';
	a[0].name[0] = '\xff'; /* not UTF-8 */
	ck_assert_int_eq(gd_manifest_encode(&none, &len, &m), GD_ERR_FORMAT);
	a[0].name[0] = 'n';
	mj = encode(&m, &len); /* 255 bytes is the longest name */
	ck_assert_int_eq(gd_manifest_decode(&back, mj, len), GD_OK);
	ck_assert_uint_eq(strlen(back.attachments[0].name), 255);
	gd_manifest_clear(&back);
	free(mj);
	a[0].size = GD_ENV_MAX_PLAINTEXT;
	a[1] = a[0];
	a[1].size = 1;
	m.n_attachments = 2;
	ck_assert_int_eq(gd_manifest_encode(&none, &len, &m), GD_ERR_TOO_LARGE);
	m.n_attachments = 0;
	m.has_source = 0; /* a follow-up without a source */
	ck_assert_int_eq(gd_manifest_encode(&none, &len, &m), GD_ERR_FORMAT);
	ck_assert_ptr_null(none);
	sodium_free(src);
}
END_TEST

/* The desk's content MAC, written out by hand as PROTOCOL.md §13.2 says and as desk_open.c
 * computed it before the move: the MACs in the manifest.json of folders already opened keep
 * matching. A different key, index order or size gives another MAC. */
static void content_mac_by_hand(uint8_t out[32], const uint8_t key[GD_ACK_KEY_BYTES],
				const uint8_t *const *files, const size_t *sizes, size_t n)
{
	static const char ctx[] = "ghostdrop/v1/desk-content";
	crypto_generichash_state st;
	uint8_t le[8];
	crypto_generichash_init(&st, key, GD_ACK_KEY_BYTES, 32);
	crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof ctx);
	for (size_t i = 0; i < n; i++) {
		for (int b = 0; b < 8; b++)
			le[b] = (uint8_t)((uint64_t)i >> (8 * b));
		crypto_generichash_update(&st, le, 8);
		for (int b = 0; b < 8; b++)
			le[b] = (uint8_t)((uint64_t)sizes[i] >> (8 * b));
		crypto_generichash_update(&st, le, 8);
		crypto_generichash_update(&st, files[i], sizes[i]);
	}
	crypto_generichash_final(&st, out, 32);
}

static void content_mac_lib(uint8_t out[32], const uint8_t key[GD_ACK_KEY_BYTES],
			    const uint8_t *const *files, const size_t *sizes, size_t n)
{
	gd_content_mac *m = gd_content_mac_new(key);
	ck_assert_ptr_nonnull(m);
	for (size_t i = 0; i < n; i++) {
		gd_content_mac_file(m, i, sizes[i]);
		for (size_t off = 0; off < sizes[i];
		     off += 1000) /* in pieces, as read() gives them */
			gd_content_mac_update(m, files[i] + off,
					      sizes[i] - off < 1000 ? sizes[i] - off : 1000);
	}
	gd_content_mac_final(m, out);
	gd_content_mac_free(m);
}

START_TEST(content_mac)
{
	uint8_t key[GD_ACK_KEY_BYTES], a[2500], b[7], got[32], want[32], other[32];
	randombytes_buf(key, sizeof key);
	randombytes_buf(a, sizeof a);
	randombytes_buf(b, sizeof b);
	const uint8_t *files[] = {a, b, a};
	size_t sizes[] = {sizeof a, sizeof b, 0};
	content_mac_lib(got, key, files, sizes, 3);
	content_mac_by_hand(want, key, files, sizes, 3);
	ck_assert_mem_eq(got, want, 32);
	const uint8_t *swapped[] = {b, a, a};
	size_t swapped_sizes[] = {sizeof b, sizeof a, 0};
	content_mac_lib(other, key, swapped, swapped_sizes, 3);
	ck_assert(memcmp(other, got, 32) != 0);
	key[0] ^= 1;
	content_mac_lib(other, key, files, sizes, 3);
	ck_assert(memcmp(other, got, 32) != 0);
	gd_content_mac_free(NULL);
}
END_TEST

static int discard(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)buf;
	(void)len;
	return 0;
}

/* A sealer never starts an envelope that no reader would open: content (manifest framing,
 * signature and attachments) over 2^36 bytes pads past the largest bucket (PROTOCOL.md §6.4),
 * which every reader refuses as format. */
START_TEST(seal_refuses_past_largest_bucket)
{
	uint8_t pk[1][32];
	memset(pk, 7, sizeof pk);
	gd_attachment a;
	memset(&a, 0, sizeof a);
	snprintf(a.name, sizeof a.name, "big.bin");
	snprintf(a.type, sizeof a.type, "application/octet-stream");
	const uint64_t sizes[] = {GD_ENV_MAX_PLAINTEXT, GD_ENV_MAX_PLAINTEXT - 100, 1ULL << 35};
	const int want[] = {GD_ERR_TOO_LARGE, GD_ERR_TOO_LARGE, GD_OK};
	for (int i = 0; i < 3; i++) {
		gd_manifest m;
		gd_seal *s = NULL;
		test_manifest(&m, "text", NULL);
		a.size = sizes[i];
		m.attachments = &a;
		m.n_attachments = 1;
		ck_assert_int_eq(
			gd_seal_new(&s, (const uint8_t(*)[32])pk, 1, &m, NULL, discard, NULL),
			want[i]);
		ck_assert(want[i] == GD_OK ? s != NULL : s == NULL);
		gd_seal_free(s);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("crypto15");
	TCase *tc = tcase_create("api");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, courier_token_hash);
	tcase_add_test(tc, reply_id);
	tcase_add_test(tc, source_label);
	tcase_add_test(tc, reply_peek);
	tcase_add_test(tc, upload_digest_buf);
	tcase_add_test(tc, envelope_size_for);
	tcase_add_test(tc, manifest_required_fields);
	tcase_add_test(tc, content_mac);
	tcase_add_test(tc, seal_refuses_past_largest_bucket);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
