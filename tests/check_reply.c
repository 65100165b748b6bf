/* Tests for crypto/reply.c: authenticated, padded replies from the newsroom. */
#include <stdio.h>

#include "check_main.h"
#include "testutil.h"

static gd_source_keys *src, *other_src;
static gd_bundle b;
static boxkey j[3]; /* Ana (current), Ana (older key, verify_only), outsider */

static void setup(void)
{
	uint8_t nr[32];
	memset(nr, 9, 32);
	src = test_source("zoom zoom zoom zoom zoom zoom zoom zoom", nr);
	other_src = test_source("zoom zoom zoom zoom zoom zoom zoom zoology", nr);
	memset(&b, 0, sizeof b);
	b.n_journalists = 2;
	for (int i = 0; i < 3; i++)
		boxkey_new(&j[i]);
	for (int i = 0; i < 2; i++) {
		snprintf(b.journalists[i].name, sizeof b.journalists[i].name, "Ana");
		memcpy(b.journalists[i].pk, j[i].pk, 32);
		b.journalists[i].verify_only = i == 1;
		b.in_window[i] = 1; /* as gd_bundle_verify marks keys inside their window */
	}
}

static uint8_t *seal(size_t *len, const char *text, const boxkey *from, const gd_source_keys *to,
		     const uint8_t *mailbox)
{
	uint8_t *out;
	ck_assert_int_eq(gd_reply_seal(&out, len, text, strlen(text), mailbox, 20000, from->sk,
				       to->reply_pk),
			 GD_OK);
	return out;
}

START_TEST(roundtrip)
{
	size_t len;
	uint8_t *r = seal(&len, "Thank you. Can you tell us which platform?", &j[0], src,
			  src->mailbox_id);
	gd_reply rep;
	ck_assert_int_eq(gd_reply_open(&rep, r, len, src, &b), GD_OK);
	ck_assert_str_eq(rep.text, "Thank you. Can you tell us which platform?");
	ck_assert_uint_eq(rep.journalist, 0);
	ck_assert(!rep.older_key);
	ck_assert_uint_eq(rep.day, 20000);
	gd_reply second;
	uint8_t *r2 = seal(&len, "Thank you. Can you tell us which platform?", &j[0], src,
			   src->mailbox_id);
	ck_assert_int_eq(gd_reply_open(&second, r2, len, src, &b), GD_OK);
	ck_assert(memcmp(rep.reply_id, second.reply_id, 16) != 0); /* fresh ids for dedup */
	gd_reply_clear(&rep);
	gd_reply_clear(&second);
	free(r);
	free(r2);
}
END_TEST

START_TEST(older_key)
{
	size_t len;
	uint8_t *r = seal(&len, "from my previous key", &j[1], src, src->mailbox_id);
	gd_reply rep;
	ck_assert_int_eq(gd_reply_open(&rep, r, len, src, &b), GD_OK);
	ck_assert_uint_eq(rep.journalist, 1);
	ck_assert(rep.older_key);
	gd_reply_clear(&rep);
	free(r);
}
END_TEST

/* Issue 15, for the spec: the journalist entries inside their window are tried, in bundle
 * order; the first whose box opens answers. A key outside its window does not speak for the
 * newsroom, even while the bundle still lists it (a newsroom that ends a compromised key's
 * window must not find it still writing replies). */
START_TEST(keys_tried)
{
	gd_bundle b2 = b;
	b2.n_journalists = 3;
	b2.journalists[2] = b.journalists[0];
	memcpy(b2.journalists[2].pk, j[2].pk, 32);
	b2.journalists[2].not_before = 1;
	b2.journalists[2].not_after = 2; /* long expired */
	b2.journalists[2].verify_only = 0;
	b2.valid[2] = 0;
	b2.in_window[2] = 0;
	size_t len;
	uint8_t *r = seal(&len, "from a key whose window is over", &j[2], src, src->mailbox_id);
	gd_reply rep;
	ck_assert_int_eq(gd_reply_open(&rep, r, len, src, &b2), GD_ERR_FORGED);
	b2.in_window[2] = 1; /* the same entry inside its window opens it */
	ck_assert_int_eq(gd_reply_open(&rep, r, len, src, &b2), GD_OK);
	ck_assert_uint_eq(rep.journalist, 2);
	ck_assert(!rep.older_key);
	gd_reply_clear(&rep);
	/* the same key listed twice: the first entry answers */
	b2.journalists[0] = b2.journalists[2];
	ck_assert_int_eq(gd_reply_open(&rep, r, len, src, &b2), GD_OK);
	ck_assert_uint_eq(rep.journalist, 0);
	gd_reply_clear(&rep);
	/* an older (verify_only) key outside its window is not tried either */
	free(r);
	r = seal(&len, "from my previous key, after its 30 days", &j[1], src, src->mailbox_id);
	b2 = b;
	b2.in_window[1] = 0;
	ck_assert_int_eq(gd_reply_open(&rep, r, len, src, &b2), GD_ERR_FORGED);
	free(r);
}
END_TEST

START_TEST(forged)
{
	size_t len;
	gd_reply rep;
	/* A valid box, from a key that is not in the bundle (a server or stolen courier token). */
	uint8_t *r = seal(&len, "send us your badge photo", &j[2], src, src->mailbox_id);
	ck_assert_int_eq(gd_reply_open(&rep, r, len, src, &b), GD_ERR_FORGED);
	for (size_t pos = 5; pos < len; pos += 13) {
		r[pos] ^= 2;
		ck_assert_int_eq(gd_reply_open(&rep, r, len, src, &b), GD_ERR_FORGED);
		r[pos] ^= 2;
	}
	free(r);
	/* Meant for another source: cannot open with our key at all. */
	r = seal(&len, "hello", &j[0], other_src, other_src->mailbox_id);
	ck_assert_int_eq(gd_reply_open(&rep, r, len, src, &b), GD_ERR_FORGED);
	free(r);
	/* Boxed to us but naming another mailbox. */
	r = seal(&len, "hello", &j[0], src, other_src->mailbox_id);
	ck_assert_int_eq(gd_reply_open(&rep, r, len, src, &b), GD_ERR_FORMAT);
	free(r);
}
END_TEST

START_TEST(framing)
{
	size_t l1, l2, l3;
	uint8_t *a = seal(&l1, "ok", &j[0], src, src->mailbox_id);
	uint8_t *c = seal(&l2, "a somewhat longer reply, still short", &j[0], src, src->mailbox_id);
	ck_assert_uint_eq(l1, l2); /* same bucket: sizes do not tell short from long */
	char big[5000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	uint8_t *d = seal(&l3, big, &j[0], src, src->mailbox_id);
	ck_assert_uint_eq(l3, 5 + 24 + 16 + gd_padme(40 + 4999));
	gd_reply rep;
	ck_assert_int_eq(gd_reply_open(&rep, a, l1 - 1, src, &b), GD_ERR_TRUNCATED); /* < bucket */
	ck_assert_int_eq(gd_reply_open(&rep, d, l3 - 1, src, &b),
			 GD_ERR_FORGED); /* cut MAC'd box */
	ck_assert_int_eq(gd_reply_open(&rep, d, l3, src, &b), GD_OK);
	ck_assert_str_eq(rep.text, big);
	gd_reply_clear(&rep);
	ck_assert_int_eq(gd_reply_open(&rep, a, 20, src, &b), GD_ERR_TRUNCATED);
	a[4] = 9;
	ck_assert_int_eq(gd_reply_open(&rep, a, l1, src, &b), GD_ERR_VERSION);
	a[0] = 'X';
	ck_assert_int_eq(gd_reply_open(&rep, a, l1, src, &b), GD_ERR_FORMAT);
	uint8_t *out;
	size_t len;
	char *huge = malloc(GD_REPLY_MAX_TEXT + 2);
	memset(huge, 'y', GD_REPLY_MAX_TEXT + 1);
	ck_assert_int_eq(gd_reply_seal(&out, &len, huge, GD_REPLY_MAX_TEXT + 1, src->mailbox_id, 1,
				       j[0].sk, src->reply_pk),
			 GD_ERR_TOO_LARGE);
	free(huge);
	free(a);
	free(c);
	free(d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, older_key);
	tcase_add_test(tc, keys_tried);
	tcase_add_test(tc, forged);
	tcase_add_test(tc, framing);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
