/* Tests for crypto/envelope.c and crypto/manifest.c: round trips, forgeries, truncation,
 * constant memory. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "testutil.h"

static uint8_t newsroom_pk[32];
static gd_source_keys *src;

/* Runs once in the parent: the Argon2id derivation is shared by every forked test. */
static void setup(void)
{
	ck_assert_int_eq(gd_init(), GD_OK);
	memset(newsroom_pk, 7, sizeof newsroom_pk);
	if (src == NULL)
		src = test_source("abacus abdomen abdominal abide abiding ability ablaze able",
				  newsroom_pk);
}

static uint8_t *pattern(size_t n, uint8_t seed)
{
	uint8_t *b = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 31 + seed + (i >> 9));
	return b;
}

/* One envelope to keys k (n of them) with attachments of the given sizes. */
static void make(membuf *env, boxkey *k, unsigned n, const size_t *sizes, size_t n_att,
		 uint8_t **data, size_t *dlen, uint8_t ack[32])
{
	gd_manifest m;
	gd_attachment att[8];
	uint8_t pks[8][32];
	size_t total = 0;
	test_manifest(&m, "We label 400 images an hour for $1.80.", src);
	for (size_t i = 0; i < n_att; i++) {
		snprintf(att[i].name, sizeof att[i].name, "file-%zu.bin", i);
		snprintf(att[i].type, sizeof att[i].type, "application/octet-stream");
		att[i].size = sizes[i];
		total += sizes[i];
	}
	m.attachments = att;
	m.n_attachments = n_att;
	for (unsigned i = 0; i < n; i++)
		memcpy(pks[i], k[i].pk, 32);
	*data = pattern(total, (uint8_t)total);
	*dlen = total;
	memset(env, 0, sizeof *env);
	ck_assert_int_eq(seal_to(env, (const uint8_t(*)[32])pks, n, &m, src, *data, total, ack),
			 GD_OK);
}

START_TEST(roundtrip_sizes)
{
	/* Sizes around the 16 KiB floor and the 64 KiB chunk boundaries. */
	static const size_t sizes[][2] = {{0, 0},          {1, 0},         {16000, 0},
					  {65536, 0},      {65536 - 4, 1}, {131072, 3},
					  {200000, 77777}, {0, 300000}};
	for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
		boxkey k[3];
		for (int i = 0; i < 3; i++)
			boxkey_new(&k[i]);
		membuf env;
		uint8_t *data, ack[32];
		size_t dlen;
		make(&env, k, 3, sizes[t], 2, &data, &dlen, ack);
		uint64_t content = 0;
		{
			/* envelope size is a function of the bucket only */
			sink_state s;
			gd_open_result res;
			ck_assert_int_eq(open_from(&env, &k[0], 1, &s, &res), GD_OK);
			uint8_t *mj;
			size_t mlen;
			ck_assert_int_eq(gd_manifest_encode(&mj, &mlen, &s.m), GD_OK);
			content = 4 + mlen + 64 + dlen;
			free(mj);
			sink_free(&s);
		}
		ck_assert_uint_eq(env.len, gd_envelope_size(3, gd_pad_envelope(content)));
		for (int r = 0; r < 3; r++) {
			sink_state s;
			gd_open_result res;
			ck_assert_int_eq(open_from(&env, &k[r], 1, &s, &res), GD_OK);
			ck_assert(s.got_manifest);
			ck_assert_str_eq(s.m.text, "We label 400 images an hour for $1.80.");
			ck_assert_uint_eq(s.m.n_attachments, 2);
			ck_assert_uint_eq(s.m.attachments[0].size, sizes[t][0]);
			ck_assert_uint_eq(s.data.len, dlen);
			ck_assert(dlen == 0 || memcmp(s.data.buf, data, dlen) == 0);
			ck_assert(memcmp(res.ack_key, ack, 32) == 0);
			uint8_t h[32];
			gd_ack_hash(h, ack);
			ck_assert(memcmp(res.ack_hash, h, 32) == 0);
			ck_assert_uint_eq(res.envelope_size, env.len);
			ck_assert(memcmp(s.m.identity_pk, src->identity_pk, 32) == 0);
			sink_free(&s);
		}
		unsigned nr;
		uint64_t total;
		uint8_t peek_hash[32], h[32];
		ck_assert_int_eq(gd_envelope_peek(env.buf, env.len, &nr, &total, peek_hash), GD_OK);
		ck_assert_uint_eq(total, env.len);
		gd_ack_hash(h, ack);
		ck_assert_uint_eq(nr, 3);
		ck_assert(memcmp(peek_hash, h, 32) == 0);
		free(data);
		membuf_free(&env);
	}
}
END_TEST

START_TEST(short_reads)
{
	boxkey k;
	boxkey_new(&k);
	membuf env;
	uint8_t *data, ack[32], sk[1][32], pk[1][32];
	size_t dlen, sizes[1] = {150000};
	make(&env, &k, 1, sizes, 1, &data, &dlen, ack);
	memcpy(sk[0], k.sk, 32);
	memcpy(pk[0], k.pk, 32);
	env.max_read = 1013;
	env.pos = 0;
	gd_open_result res;
	sink_state s;
	ck_assert_int_eq(gd_envelope_open(membuf_read, &env, (const uint8_t(*)[32])sk,
					  (const uint8_t(*)[32])pk, 1, sink_for(&s), &res),
			 GD_OK);
	ck_assert_uint_eq(s.data.len, dlen);
	ck_assert(memcmp(s.data.buf, data, dlen) == 0);
	sink_free(&s);
	free(data);
	membuf_free(&env);
}
END_TEST

START_TEST(old_and_new_keys)
{
	boxkey keys[2]; /* a journalist's keyring: old, new */
	boxkey_new(&keys[0]);
	boxkey_new(&keys[1]);
	for (int which = 0; which < 2; which++) {
		membuf env;
		uint8_t *data, ack[32];
		size_t dlen, sizes[1] = {10};
		make(&env, &keys[which], 1, sizes, 1, &data, &dlen, ack);
		gd_open_result res;
		ck_assert_int_eq(open_from(&env, keys, 2, NULL, &res), GD_OK);
		ck_assert_uint_eq(res.key_index, (unsigned)which);
		ck_assert(memcmp(res.ack_key, ack, 32) == 0);
		free(data);
		membuf_free(&env);
	}
}
END_TEST

START_TEST(wrong_recipient)
{
	boxkey k, other;
	boxkey_new(&k);
	boxkey_new(&other);
	membuf env;
	uint8_t *data, ack[32];
	size_t dlen, sizes[1] = {100};
	make(&env, &k, 1, sizes, 1, &data, &dlen, ack);
	gd_open_result res;
	sink_state s;
	ck_assert_int_eq(open_from(&env, &other, 1, &s, &res), GD_ERR_NOT_RECIPIENT);
	ck_assert(!s.got_manifest);
	static const uint8_t zero[32];
	ck_assert(memcmp(res.ack_key, zero, 32) == 0);
	free(data);
	membuf_free(&env);
}
END_TEST

/* Every single-bit flip anywhere is refused; each region with its own error. */
START_TEST(bitflips)
{
	boxkey k[2];
	boxkey_new(&k[0]);
	boxkey_new(&k[1]);
	membuf env;
	uint8_t *data, ack[32];
	size_t dlen, sizes[1] = {140000}; /* three chunks */
	make(&env, k, 2, sizes, 1, &data, &dlen, ack);
	size_t hlen = gd_envelope_header_size(2);
	for (size_t pos = 0; pos < env.len; pos += (pos < hlen ? 1 : 997)) {
		env.buf[pos] ^= 0x10;
		gd_open_result res;
		int rc = open_from(&env, &k[0], 1, NULL, &res);
		ck_assert_msg(rc != GD_OK, "flip at %zu accepted", pos);
		/* padded length, other stanza, stream header, ack hash, MAC */
		if ((pos >= 6 && pos < 14) || (pos >= 14 + 80 && pos < hlen))
			ck_assert_msg(rc == GD_ERR_HEADER, "flip at %zu gave %d", pos, rc);
		if (pos >= 14 && pos < 14 + 80) /* our own stanza no longer opens */
			ck_assert_int_eq(rc, GD_ERR_NOT_RECIPIENT);
		if (pos >= hlen)
			ck_assert_msg(rc == GD_ERR_PAYLOAD, "flip at %zu gave %d", pos, rc);
		env.buf[pos] ^= 0x10;
	}
	gd_open_result res;
	ck_assert_int_eq(open_from(&env, &k[0], 1, NULL, &res), GD_OK); /* all flips undone */
	free(data);
	membuf_free(&env);
}
END_TEST

START_TEST(truncation)
{
	boxkey k;
	boxkey_new(&k);
	membuf env;
	uint8_t *data, ack[32];
	size_t dlen, sizes[1] = {200000}; /* four chunks */
	make(&env, &k, 1, sizes, 1, &data, &dlen, ack);
	size_t full = env.len, hlen = gd_envelope_header_size(1);
	gd_open_result res;
	/* At every chunk boundary: a stream that ends cleanly but without its FINAL chunk. */
	for (size_t cut = hlen; cut < full; cut += 65536 + 17) {
		env.len = cut;
		ck_assert_int_eq(open_from(&env, &k, 1, NULL, &res), GD_ERR_TRUNCATED);
	}
	/* Inside the header, inside chunks: never accepted. */
	for (size_t cut = 0; cut < full; cut += (cut < hlen ? 1 : 4099)) {
		env.len = cut;
		ck_assert_msg(open_from(&env, &k, 1, NULL, &res) != GD_OK, "cut at %zu", cut);
	}
	env.len = full - 1;
	ck_assert_int_eq(open_from(&env, &k, 1, NULL, &res), GD_ERR_PAYLOAD);
	env.len = full;
	ck_assert_int_eq(open_from(&env, &k, 1, NULL, &res), GD_OK);
	uint8_t extra = 0;
	membuf_write(&env, &extra, 1);
	ck_assert_int_eq(open_from(&env, &k, 1, NULL, &res), GD_ERR_TRAILING);
	free(data);
	membuf_free(&env);
}
END_TEST

START_TEST(reorder_and_drop_chunks)
{
	boxkey k;
	boxkey_new(&k);
	membuf env;
	uint8_t *data, ack[32];
	size_t dlen, sizes[1] = {200000};
	make(&env, &k, 1, sizes, 1, &data, &dlen, ack);
	size_t hlen = gd_envelope_header_size(1), c = 65536 + 17;
	uint8_t *tmp = malloc(c);
	gd_open_result res;
	/* swap chunks 1 and 2 */
	memcpy(tmp, env.buf + hlen + c, c);
	memcpy(env.buf + hlen + c, env.buf + hlen + 2 * c, c);
	memcpy(env.buf + hlen + 2 * c, tmp, c);
	ck_assert_int_eq(open_from(&env, &k, 1, NULL, &res), GD_ERR_PAYLOAD);
	memcpy(env.buf + hlen + 2 * c, env.buf + hlen + c, c);
	memcpy(env.buf + hlen + c, tmp, c);
	ck_assert_int_eq(open_from(&env, &k, 1, NULL, &res), GD_OK);
	/* drop chunk 1 */
	memmove(env.buf + hlen + c, env.buf + hlen + 2 * c, env.len - hlen - 2 * c);
	env.len -= c;
	ck_assert_int_eq(open_from(&env, &k, 1, NULL, &res), GD_ERR_PAYLOAD);
	free(tmp);
	free(data);
	membuf_free(&env);
}
END_TEST

START_TEST(stanza_removed)
{
	boxkey k[2];
	boxkey_new(&k[0]);
	boxkey_new(&k[1]);
	membuf env;
	uint8_t *data, ack[32];
	size_t dlen, sizes[1] = {100};
	make(&env, k, 2, sizes, 1, &data, &dlen, ack);
	/* Drop the second journalist's stanza and fix the count: the MAC must catch it. */
	memmove(env.buf + 14 + 80, env.buf + 14 + 160, env.len - 14 - 160);
	env.len -= 80;
	env.buf[5] = 1;
	gd_open_result res;
	ck_assert_int_eq(open_from(&env, &k[0], 1, NULL, &res), GD_ERR_HEADER);
	free(data);
	membuf_free(&env);
}
END_TEST

/* Reference-built envelopes: the spec in PROTOCOL.md and the code must agree. */
static void ref_envelope(envref *e, const uint8_t (*pks)[32], unsigned n,
			 const uint8_t (*stanza_keys)[32], const gd_manifest *m,
			 const uint8_t *sig_override, int sign_with_mailbox, size_t padded,
			 int corrupt_ack, int dirty_padding)
{
	uint8_t file_key[32], sig[64] = {0}, *mj;
	size_t mlen, plen;
	randombytes_buf(file_key, 32);
	ck_assert_int_eq(gd_manifest_encode(&mj, &mlen, m), GD_OK);
	uint8_t *pt = envref_frame(&plen, mj, mlen, sig, NULL, 0, padded);
	envref_header(e, file_key, stanza_keys, pks, n, corrupt_ack, plen);
	if (sig_override != NULL) {
		memcpy(sig, sig_override, 64);
	} else if (sign_with_mailbox) {
		uint8_t *msg = malloc(36 + mlen);
		memcpy(msg, e->mac, 32);
		msg[32] = (uint8_t)mlen;
		msg[33] = (uint8_t)(mlen >> 8);
		msg[34] = (uint8_t)(mlen >> 16);
		msg[35] = (uint8_t)(mlen >> 24);
		memcpy(msg + 36, mj, mlen);
		gd_mailbox_sign(sig, msg, 36 + mlen, src->mailbox_sk);
		free(msg);
	} else if (m->has_source) {
		gd_submission_sign(sig, e->mac, mj, mlen, src->identity_sk);
	}
	memcpy(pt + 4 + mlen, sig, 64);
	if (dirty_padding)
		pt[plen - 1] = 1;
	envref_body(e, pt, plen);
	free(pt);
	free(mj);
}

START_TEST(reference_builder_agrees)
{
	boxkey k;
	boxkey_new(&k);
	gd_manifest m;
	test_manifest(&m, "reference", src);
	envref e;
	ref_envelope(&e, (const uint8_t(*)[32]) & k.pk, 1, NULL, &m, NULL, 0, 0, 0, 0);
	gd_open_result res;
	sink_state s;
	ck_assert_int_eq(open_from(&e.out, &k, 1, &s, &res), GD_OK);
	ck_assert_str_eq(s.m.text, "reference");
	ck_assert(memcmp(res.ack_key, e.ack, 32) == 0);
	sink_free(&s);
	membuf_free(&e.out);
}
END_TEST

START_TEST(two_file_keys)
{
	boxkey k[2];
	boxkey_new(&k[0]);
	boxkey_new(&k[1]);
	uint8_t pks[2][32], fk[2][32];
	memcpy(pks[0], k[0].pk, 32);
	memcpy(pks[1], k[1].pk, 32);
	randombytes_buf(fk[0], 32);
	randombytes_buf(fk[1], 32);
	/* Stanza 0 carries the key the header is MAC'd under, stanza 1 another one: the second
	 * journalist must not be shown a different message. */
	envref e;
	gd_manifest m;
	test_manifest(&m, "x", src);
	uint8_t *mj, sig[64], *pt;
	size_t mlen, plen;
	ck_assert_int_eq(gd_manifest_encode(&mj, &mlen, &m), GD_OK);
	pt = envref_frame(&plen, mj, mlen, sig, NULL, 0, 0);
	envref_header(&e, fk[0], (const uint8_t(*)[32])fk, (const uint8_t(*)[32])pks, 2, 0, plen);
	gd_submission_sign(pt + 4 + mlen, e.mac, mj, mlen, src->identity_sk);
	envref_body(&e, pt, plen);
	gd_open_result res;
	ck_assert_int_eq(open_from(&e.out, &k[0], 1, NULL, &res), GD_OK);
	ck_assert_int_eq(open_from(&e.out, &k[1], 1, NULL, &res), GD_ERR_HEADER);
	free(pt);
	free(mj);
	membuf_free(&e.out);
}
END_TEST

START_TEST(signature_lifted)
{
	boxkey k;
	boxkey_new(&k);
	gd_manifest m;
	test_manifest(&m, "lifted", src);
	envref a, b;
	ref_envelope(&a, (const uint8_t(*)[32]) & k.pk, 1, NULL, &m, NULL, 0, 0, 0, 0);
	/* Recover A's signature the way a journalist could: open it. */
	uint8_t *mj, sig_a[64];
	size_t mlen;
	ck_assert_int_eq(gd_manifest_encode(&mj, &mlen, &m), GD_OK);
	ck_assert_int_eq(gd_submission_sign(sig_a, a.mac, mj, mlen, src->identity_sk), GD_OK);
	/* B: same manifest, A's signature, another header. */
	ref_envelope(&b, (const uint8_t(*)[32]) & k.pk, 1, NULL, &m, sig_a, 0, 0, 0, 0);
	gd_open_result res;
	sink_state s;
	ck_assert_int_eq(open_from(&b.out, &k, 1, &s, &res), GD_ERR_SIGNATURE);
	ck_assert(!s.got_manifest);
	free(mj);
	membuf_free(&a.out);
	membuf_free(&b.out);
}
END_TEST

START_TEST(mailbox_signature_as_submission)
{
	boxkey k;
	boxkey_new(&k);
	gd_manifest m;
	test_manifest(&m, "mailbox", src);
	/* Claim the mailbox key as identity and sign the exact submission bytes with it, in the
	 * mailbox context: still refused. */
	memcpy(m.identity_pk, src->mailbox_pk, 32);
	envref e;
	ref_envelope(&e, (const uint8_t(*)[32]) & k.pk, 1, NULL, &m, NULL, 1, 0, 0, 0);
	gd_open_result res;
	ck_assert_int_eq(open_from(&e.out, &k, 1, NULL, &res), GD_ERR_SIGNATURE);
	membuf_free(&e.out);
}
END_TEST

START_TEST(padding_rules)
{
	boxkey k;
	boxkey_new(&k);
	gd_manifest m;
	test_manifest(&m, "pad", src);
	gd_open_result res;
	envref e;
	ref_envelope(&e, (const uint8_t(*)[32]) & k.pk, 1, NULL, &m, NULL, 0, 0, 0, 1);
	ck_assert_int_eq(open_from(&e.out, &k, 1, NULL, &res), GD_ERR_FORMAT); /* not zeros */
	membuf_free(&e.out);
	ref_envelope(&e, (const uint8_t(*)[32]) & k.pk, 1, NULL, &m, NULL, 0, 20000, 0, 0);
	ck_assert_int_eq(open_from(&e.out, &k, 1, NULL, &res), GD_ERR_FORMAT); /* not a bucket */
	membuf_free(&e.out);
	ref_envelope(&e, (const uint8_t(*)[32]) & k.pk, 1, NULL, &m, NULL, 0, 300, 0, 0);
	ck_assert_int_eq(open_from(&e.out, &k, 1, NULL, &res), GD_ERR_FORMAT); /* unpadded */
	membuf_free(&e.out);
	/* a real bucket, but not the content's: refused before any attachment byte */
	ref_envelope(&e, (const uint8_t(*)[32]) & k.pk, 1, NULL, &m, NULL, 0, 32768, 0, 0);
	sink_state s;
	ck_assert_int_eq(open_from(&e.out, &k, 1, &s, &res), GD_ERR_FORMAT);
	ck_assert(!s.got_manifest);
	membuf_free(&e.out);
	ref_envelope(&e, (const uint8_t(*)[32]) & k.pk, 1, NULL, &m, NULL, 0, 0, 1, 0);
	ck_assert_int_eq(open_from(&e.out, &k, 1, NULL, &res), GD_ERR_HEADER); /* ack hash lie */
	membuf_free(&e.out);
}
END_TEST

START_TEST(no_reply_submissions)
{
	boxkey k;
	boxkey_new(&k);
	gd_manifest m;
	test_manifest(&m, "anonymous, no codename", NULL);
	membuf env = {0};
	ck_assert_int_eq(seal_to(&env, (const uint8_t(*)[32]) & k.pk, 1, &m, NULL, NULL, 0, NULL),
			 GD_OK);
	gd_open_result res;
	sink_state s;
	ck_assert_int_eq(open_from(&env, &k, 1, &s, &res), GD_OK);
	ck_assert(!s.m.has_source);
	sink_free(&s);
	membuf_free(&env);
	/* A no-reply manifest with a non-zero signature slot is malformed. */
	uint8_t junk[64];
	memset(junk, 0xAA, sizeof junk);
	envref e;
	ref_envelope(&e, (const uint8_t(*)[32]) & k.pk, 1, NULL, &m, junk, 0, 0, 0, 0);
	ck_assert_int_eq(open_from(&e.out, &k, 1, NULL, &res), GD_ERR_FORMAT);
	membuf_free(&e.out);
	/* Follow-ups need a source. */
	m.kind = GD_KIND_FOLLOWUP;
	gd_seal *sl;
	ck_assert_int_eq(
		gd_seal_new(&sl, (const uint8_t(*)[32]) & k.pk, 1, &m, NULL, membuf_write, &env),
		GD_ERR_FORMAT);
}
END_TEST

START_TEST(seal_api_misuse)
{
	boxkey k;
	boxkey_new(&k);
	gd_manifest m;
	gd_attachment a = {"a.txt", "text/plain", 10};
	test_manifest(&m, "misuse", src);
	m.attachments = &a;
	m.n_attachments = 1;
	membuf env = {0};
	gd_seal *s;
	uint8_t buf[11] = {0};
	ck_assert_int_eq(
		gd_seal_new(&s, (const uint8_t(*)[32]) & k.pk, 0, &m, src, membuf_write, &env),
		GD_ERR_INVAL);
	ck_assert_int_eq(
		gd_seal_new(&s, (const uint8_t(*)[32]) & k.pk, 1, &m, src, membuf_write, &env),
		GD_OK);
	ck_assert_int_eq(gd_seal_write(s, buf, 11), GD_ERR_INVAL); /* more than declared */
	ck_assert_int_eq(gd_seal_write(s, buf, 5), GD_OK);
	ck_assert_int_eq(gd_seal_finish(s), GD_ERR_INVAL); /* less than declared */
	ck_assert_int_eq(gd_seal_write(s, buf, 5), GD_OK);
	ck_assert_int_eq(gd_seal_finish(s), GD_OK);
	ck_assert_int_eq(gd_seal_write(s, buf, 0), GD_ERR_INVAL); /* after finish */
	gd_seal_free(s);
	gd_seal_free(NULL);
	/* Identity keys must match the manifest. */
	gd_source_keys *other = sodium_malloc(sizeof *other);
	memcpy(other, src, sizeof *other);
	other->identity_pk[0] ^= 1;
	ck_assert_int_eq(
		gd_seal_new(&s, (const uint8_t(*)[32]) & k.pk, 1, &m, other, membuf_write, &env),
		GD_ERR_INVAL);
	sodium_free(other);
	membuf_free(&env);
}
END_TEST

START_TEST(manifest_strict)
{
	static const char *bad[] = {
		"",
		"[]",
		"{}",
		"{\"v\":1}",
		/* duplicate key */
		"{\"v\":1,\"kind\":\"testimony\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"text\":\"a\","
		"\"text\":\"b\",\"attachments\":[]}",
		/* unknown key */
		"{\"v\":1,\"kind\":\"testimony\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"text\":\"a\","
		"\"attachments\":[],\"ip\":\"1.2.3.4\"}",
		/* reply key without identity key */
		"{\"v\":1,\"kind\":\"testimony\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"text\":\"a\","
		"\"attachments\":[],\"reply_pk\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
		/* reply and identity keys without a mailbox id */
		"{\"v\":1,\"kind\":\"testimony\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"text\":\"a\","
		"\"attachments\":[],\"reply_pk\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
		"\"identity_pk\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
		/* id not 16 bytes */
		"{\"v\":1,\"kind\":\"testimony\",\"id\":\"AAAA\",\"text\":\"a\",\"attachments\":[]"
		"}",
		/* negative size */
		"{\"v\":1,\"kind\":\"testimony\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"text\":\"a\","
		"\"attachments\":[{\"name\":\"x\",\"type\":\"t\",\"size\":-1}]}",
		/* NUL in text */
		"{\"v\":1,\"kind\":\"testimony\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"text\":"
		"\"a\\u0000b\","
		"\"attachments\":[]}",
		/* follow-up without a source */
		"{\"v\":1,\"kind\":\"followup\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"text\":\"a\","
		"\"attachments\":[]}",
		"{\"v\":1,\"kind\":\"gossip\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"text\":\"a\","
		"\"attachments\":[]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		gd_manifest m;
		ck_assert_msg(gd_manifest_decode(&m, (const uint8_t *)bad[i], strlen(bad[i])) !=
				      GD_OK,
			      "accepted: %s", bad[i]);
	}
	gd_manifest m;
	const char *v2 = "{\"v\":2,\"kind\":\"testimony\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\","
			 "\"text\":\"a\",\"attachments\":[]}";
	ck_assert_int_eq(gd_manifest_decode(&m, (const uint8_t *)v2, strlen(v2)), GD_ERR_VERSION);
	const char *ok = "{\"v\":1,\"kind\":\"testimony\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\","
			 "\"text\":\"a\",\"attachments\":[]}";
	ck_assert_int_eq(gd_manifest_decode(&m, (const uint8_t *)ok, strlen(ok)), GD_OK);
	gd_manifest_clear(&m);
}
END_TEST

/* ---- 200 MiB through seal and open at once, in constant memory ---- */

#define BIG (200ULL << 20)

typedef struct {
	int fd;
	uint8_t key[32];
	uint8_t digest[32];
	const uint8_t (*pks)[32];
	int rc;
} producer;

static void keystream(uint8_t *buf, size_t len, uint64_t off, const uint8_t key[32])
{
	/* deterministic, position-addressable test data: ChaCha20 block counter = off/64 */
	uint8_t nonce[8] = {0};
	crypto_stream_chacha20_xor_ic(buf, buf, len, nonce, off / 64, key);
}

static int fd_write(void *arg, const uint8_t *buf, size_t len)
{
	int fd = *(int *)arg;
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t fd_read(void *arg, uint8_t *buf, size_t len)
{
	return read(*(int *)arg, buf, len);
}

static void *produce(void *arg)
{
	producer *p = arg;
	gd_manifest m;
	gd_attachment a = {"recording.wav", "audio/wav", BIG};
	gd_seal *s;
	static uint8_t buf[1 << 16];
	crypto_generichash_state h;
	test_manifest(&m, "big", src);
	m.attachments = &a;
	m.n_attachments = 1;
	crypto_generichash_init(&h, NULL, 0, 32);
	p->rc = gd_seal_new(&s, p->pks, 1, &m, src, fd_write, &p->fd);
	for (uint64_t off = 0; p->rc == GD_OK && off < BIG; off += sizeof buf) {
		memset(buf, 0, sizeof buf);
		keystream(buf, sizeof buf, off, p->key);
		crypto_generichash_update(&h, buf, sizeof buf);
		p->rc = gd_seal_write(s, buf, sizeof buf);
	}
	if (p->rc == GD_OK)
		p->rc = gd_seal_finish(s);
	gd_seal_free(s);
	crypto_generichash_final(&h, p->digest, 32);
	close(p->fd);
	return NULL;
}

static crypto_generichash_state sink_hash;
static uint64_t sink_bytes;
static int hash_data(void *arg, size_t att, const uint8_t *buf, size_t len)
{
	sink_bytes += len;
	return crypto_generichash_update(&sink_hash, buf, len);
}

static long peak_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

START_TEST(constant_memory_200mib)
{
	boxkey k;
	boxkey_new(&k);
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	/* Reset the peak-RSS counter so only this stream counts. */
	FILE *cr = fopen("/proc/self/clear_refs", "w");
	ck_assert_ptr_nonnull(cr);
	fputs("5", cr);
	fclose(cr);
	long before = peak_rss_kib();
	producer p = {.fd = fds[1], .pks = (const uint8_t(*)[32]) & k.pk};
	randombytes_buf(p.key, 32);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, produce, &p), 0);
	gd_open_sink sink = {.on_data = hash_data};
	gd_open_result res;
	crypto_generichash_init(&sink_hash, NULL, 0, 32);
	int rc = gd_envelope_open(fd_read, &fds[0], (const uint8_t(*)[32]) & k.sk,
				  (const uint8_t(*)[32]) & k.pk, 1, &sink, &res);
	pthread_join(t, NULL);
	close(fds[0]);
	ck_assert_int_eq(p.rc, GD_OK);
	ck_assert_int_eq(rc, GD_OK);
	ck_assert_uint_eq(sink_bytes, BIG);
	uint8_t got[32];
	crypto_generichash_final(&sink_hash, got, 32);
	ck_assert(memcmp(got, p.digest, 32) == 0);
	long grew = peak_rss_kib() - before;
	fprintf(stderr, "constant_memory_200mib: peak RSS grew by %ld KiB for 200 MiB\n", grew);
	/* Buffers are a few 64 KiB chunks; 16 MiB leaves room for the allocator and threads. */
	ck_assert_int_lt(grew, 16 * 1024);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("envelope");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, roundtrip_sizes);
	tcase_add_test(tc, short_reads);
	tcase_add_test(tc, old_and_new_keys);
	tcase_add_test(tc, wrong_recipient);
	tcase_add_test(tc, bitflips);
	tcase_add_test(tc, truncation);
	tcase_add_test(tc, reorder_and_drop_chunks);
	tcase_add_test(tc, stanza_removed);
	tcase_add_test(tc, reference_builder_agrees);
	tcase_add_test(tc, two_file_keys);
	tcase_add_test(tc, signature_lifted);
	tcase_add_test(tc, mailbox_signature_as_submission);
	tcase_add_test(tc, padding_rules);
	tcase_add_test(tc, no_reply_submissions);
	tcase_add_test(tc, seal_api_misuse);
	tcase_add_test(tc, manifest_strict);
	tcase_add_test(tc, constant_memory_200mib);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
