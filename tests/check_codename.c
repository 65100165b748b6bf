/* Tests for crypto/codename.c: word list, normalisation, typo suggestions, key derivation. */
#include "check_main.h"
#include "testutil.h"

static const char *CODE = "abacus abdomen abdominal abide abiding ability ablaze able";
static uint8_t nr1[32], nr2[32];
static gd_source_keys *k1, *k1again, *k2;

static void setup(void)
{
	memset(nr1, 1, 32);
	memset(nr2, 2, 32);
	k1 = test_source(CODE, nr1);
	k1again = test_source(CODE, nr1);
	k2 = test_source(CODE, nr2);
}

START_TEST(wordlist)
{
	ck_assert_str_eq(gd_wordlist_word(0), "abacus");
	ck_assert_str_eq(gd_wordlist_word(7775), "zoom");
	ck_assert_ptr_null(gd_wordlist_word(7776));
	for (unsigned i = 0; i < GD_WORDLIST_SIZE; i++)
		ck_assert_int_eq(gd_wordlist_find(gd_wordlist_word(i), strlen(gd_wordlist_word(i))),
				 (int)i);
	ck_assert_int_eq(gd_wordlist_find("yo-yo", 5) >= 0, 1);
	ck_assert_int_eq(gd_wordlist_find("yoyo", 4) >= 0, 1); /* both are list words */
	ck_assert_int_eq(gd_wordlist_find("zzz", 3), -1);
	ck_assert_int_eq(gd_wordlist_find("", 0), -1);
	ck_assert_str_eq(gd_wordlist_nearest("abdomin", 7), "abdomen");
	ck_assert_str_eq(gd_wordlist_nearest("zoologst", 8), "zoologist");
	ck_assert_str_eq(gd_wordlist_nearest("ABACSU", 6), "abacus"); /* transposition */
}
END_TEST

START_TEST(generate)
{
	char *c = sodium_malloc(GD_CODENAME_MAX), *n = sodium_malloc(GD_CODENAME_MAX);
	char *prev = sodium_malloc(GD_CODENAME_MAX);
	prev[0] = '\0';
	for (int i = 0; i < 50; i++) {
		int bad;
		ck_assert_int_eq(gd_codename_generate(c, GD_CODENAME_MAX), GD_OK);
		ck_assert_int_eq(gd_codename_normalise(n, GD_CODENAME_MAX, c, strlen(c), &bad),
				 GD_OK);
		ck_assert_str_eq(n, c); /* generated codenames are canonical */
		int spaces = 0;
		for (char *p = c; *p; p++)
			spaces += *p == ' ';
		ck_assert_int_eq(spaces, 7);
		ck_assert_str_ne(c, prev);
		memcpy(prev, c, GD_CODENAME_MAX);
	}
	sodium_free(c);
	sodium_free(n);
	sodium_free(prev);
}
END_TEST

START_TEST(normalise)
{
	char out[GD_CODENAME_MAX];
	int bad;
	const char *in = "  Abacus\tABDOMEN abdominal\n\nabide  abiding ability ablaze able \n";
	ck_assert_int_eq(gd_codename_normalise(out, sizeof out, in, strlen(in), &bad), GD_OK);
	ck_assert_str_eq(out, CODE);
	/* a typo names the word, and is never silently a new identity */
	in = "abacus abdomen abdominal abide abidng ability ablaze able";
	ck_assert_int_eq(gd_codename_normalise(out, sizeof out, in, strlen(in), &bad), GD_ERR_WORD);
	ck_assert_int_eq(bad, 4);
	ck_assert_str_eq(gd_wordlist_nearest("abidng", 6), "abiding");
	in = "abacus abdomen abdominal abide abiding ability ablaze";
	ck_assert_int_eq(gd_codename_normalise(out, sizeof out, in, strlen(in), &bad), GD_ERR_WORD);
	ck_assert_int_eq(bad, -1); /* seven words */
	in = "abacus abdomen abdominal abide abiding ability ablaze able able";
	ck_assert_int_eq(gd_codename_normalise(out, sizeof out, in, strlen(in), &bad), GD_ERR_WORD);
	ck_assert_int_eq(bad, -1); /* nine words */
	in = "abacus-abdomen abdominal abide abiding ability ablaze able zoom";
	ck_assert_int_eq(gd_codename_normalise(out, sizeof out, in, strlen(in), &bad), GD_ERR_WORD);
	ck_assert_int_eq(bad, 0); /* hyphens join, they do not separate */
	in = "yo-yo t-shirt drop-down felt-tip yoyo zoom zoom zoom";
	ck_assert_int_eq(gd_codename_normalise(out, sizeof out, in, strlen(in), &bad), GD_OK);
	ck_assert_str_eq(out, in);
	in = "abacus abdomen abdominal abide abiding ability ablaze \xc3\xa1"
	     "ble";
	ck_assert_int_eq(gd_codename_normalise(out, sizeof out, in, strlen(in), &bad), GD_ERR_WORD);
	ck_assert_int_eq(bad, 7);
}
END_TEST

/* The hint names the word normalise rejected, split the same way, reading only in_len bytes. */
START_TEST(suggest)
{
	char out[GD_CODENAME_MAX];
	int bad;
	const char *in = "abacus\vabdomen\fabdominal\r abidng ability ablaze able zoom";
	ck_assert_int_eq(gd_codename_normalise(out, sizeof out, in, strlen(in), &bad), GD_ERR_WORD);
	ck_assert_int_eq(bad, 3);
	ck_assert_str_eq(gd_codename_suggest(in, strlen(in), bad), "abiding");
	/* not NUL-terminated: a heap copy of exactly the bytes, last word unknown (ASan sees past)
	 */
	in = "abacus abdomen abdominal abide abiding ability ablaze zoologst";
	size_t n = strlen(in);
	char *exact = malloc(n);
	memcpy(exact, in, n);
	ck_assert_int_eq(gd_codename_normalise(out, sizeof out, exact, n, &bad), GD_ERR_WORD);
	ck_assert_int_eq(bad, 7);
	ck_assert_str_eq(gd_codename_suggest(exact, n, bad), "zoologist");
	ck_assert_str_eq(gd_codename_suggest(exact, n, 0), "abacus");
	ck_assert_ptr_null(gd_codename_suggest(exact, n, 8)); /* no ninth word */
	ck_assert_ptr_null(gd_codename_suggest(exact, n, -1));
	ck_assert_ptr_null(gd_codename_suggest(exact, 0, 0));
	free(exact);
	/* a NUL is part of a word, never its end */
	static const char nul[] =
		"abacus abdomen abdominal abide abiding ability ablaze zoo\0logist";
	ck_assert_int_eq(gd_codename_normalise(out, sizeof out, nul, sizeof nul - 1, &bad),
			 GD_ERR_WORD);
	ck_assert_int_eq(bad, 7);
	ck_assert_ptr_nonnull(gd_codename_suggest(nul, sizeof nul - 1, bad));
	/* a word longer than any list word still gets a suggestion */
	in = "abacus abdomen abdominal abide abiding ability ablaze "
	     "zoologistzoologistzoologistzoologistzoologist";
	ck_assert_int_eq(gd_codename_normalise(out, sizeof out, in, strlen(in), &bad), GD_ERR_WORD);
	ck_assert_int_eq(bad, 7);
	ck_assert_ptr_nonnull(gd_codename_suggest(in, strlen(in), bad));
}
END_TEST

START_TEST(derive)
{
	ck_assert(memcmp(k1, k1again, sizeof *k1) == 0);              /* deterministic */
	ck_assert(memcmp(k1->identity_pk, k2->identity_pk, 32) != 0); /* newsroom-bound */
	ck_assert(memcmp(k1->mailbox_pk, k2->mailbox_pk, 32) != 0);
	ck_assert(memcmp(k1->identity_pk, k1->mailbox_pk, 32) != 0); /* separate purposes */
	uint8_t derived_pk[32], id[16];
	crypto_scalarmult_base(derived_pk, k1->reply_sk);
	ck_assert(memcmp(derived_pk, k1->reply_pk, 32) == 0);
	gd_mailbox_id(id, k1->mailbox_pk);
	ck_assert(memcmp(id, k1->mailbox_id, 16) == 0);
}
END_TEST

START_TEST(mailbox_signatures)
{
	uint8_t ch[48], sig[64];
	randombytes_buf(ch, sizeof ch);
	ck_assert_int_eq(gd_mailbox_sign(sig, ch, sizeof ch, k1->mailbox_sk), GD_OK);
	ck_assert_int_eq(gd_mailbox_verify(sig, ch, sizeof ch, k1->mailbox_pk), GD_OK);
	ck_assert_int_eq(gd_mailbox_verify(sig, ch, sizeof ch, k1->identity_pk), GD_ERR_SIGNATURE);
	ch[0] ^= 1;
	ck_assert_int_eq(gd_mailbox_verify(sig, ch, sizeof ch, k1->mailbox_pk), GD_ERR_SIGNATURE);
	/* A plain Ed25519 signature of the challenge (no context) is not a mailbox signature. */
	crypto_sign_detached(sig, NULL, ch, sizeof ch, k1->mailbox_sk);
	ck_assert_int_eq(gd_mailbox_verify(sig, ch, sizeof ch, k1->mailbox_pk), GD_ERR_SIGNATURE);
}
END_TEST

/* The codename search over a text given in parts gives what one search of the whole text
 * gives, wherever the parts end (1 to 300 bytes, some empty): random texts of codename words,
 * their prefixes and run-ons, capitals, separators (space, newline, -, _, none, digits), and
 * gaps of up to 6,000 non-letters. Pieces overlapping by bytes (attach.c's before) missed
 * words far apart across a piece's end. Also each part's answer never exceeds the whole's. */
START_TEST(scan_in_parts_as_whole)
{
	static const char *const code = "zoom abacus cider delta echo fable gamma yo-yo";
	static const char *const bits[] = {"zoom",  "abacus", "cider",  "delta", "echo", "fable",
					   "gamma", "yoyo",   "yo",     "zoo",   "ab",   "x",
					   "Zoom",  "ABACUS", "zoomed", "the",   "q"};
	static const char *const seps[] = {" ", "\n", "-", "_", "", "7", ".", "\t"};
	enum { CAP = 40000 };
	char *t = malloc(CAP);
	ck_assert_ptr_nonnull(t);
	for (int round = 0; round < 3000; round++) {
		size_t len = 0;
		int items = 1 + (int)(randombytes_uniform(40));
		for (int i = 0; i < items && len + 7000 < CAP; i++) {
			uint32_t r = randombytes_uniform(100);
			if (r < 8) { /* a long gap of non-letters, with or without white space */
				size_t g = 1 + randombytes_uniform(6000);
				int sp = randombytes_uniform(2);
				for (size_t k = 0; k < g; k++)
					t[len++] =
						sp && k % 100 == 99 ? '\n' : (char)('0' + k % 10);
			} else {
				const char *b =
					bits[randombytes_uniform(sizeof bits / sizeof bits[0])];
				memcpy(t + len, b, strlen(b));
				len += strlen(b);
			}
			const char *sp = seps[randombytes_uniform(sizeof seps / sizeof seps[0])];
			memcpy(t + len, sp, strlen(sp));
			len += strlen(sp);
		}
		int whole = gd_codename_words_in_text(code, t, len);
		gd_codename_scan sc;
		gd_codename_scan_init(&sc);
		size_t at = 0;
		int got = 0;
		while (at < len) {
			size_t part =
				randombytes_uniform(4) == 0 ? 0 : 1 + randombytes_uniform(300);
			if (part > len - at)
				part = len - at;
			got = gd_codename_scan_text(&sc, code, t + at, part, 0);
			ck_assert_int_le(got, whole);
			at += part;
		}
		got = gd_codename_scan_text(&sc, code, "", 0, 1);
		gd_codename_scan_wipe(&sc);
		ck_assert_msg(got == whole, "round %d: parts %d, whole %d, %zu bytes", round, got,
			      whole, len);
	}
	/* the reviewer's case: two words, 5,000 bytes of digits, two words; cut in the gap */
	size_t len = 0;
	len += (size_t)snprintf(t, CAP, " zoom abacus ");
	for (int k = 0; k < 5000; k++)
		t[len++] = k % 100 == 99 ? '\n' : '5';
	len += (size_t)snprintf(t + len, CAP - len, " cider delta ");
	ck_assert_int_eq(gd_codename_words_in_text(code, t, len), 4);
	gd_codename_scan sc;
	gd_codename_scan_init(&sc);
	ck_assert_int_le(gd_codename_scan_text(&sc, code, t, 2500, 0), 2);
	ck_assert_int_eq(gd_codename_scan_text(&sc, code, t + 2500, len - 2500, 1), 4);
	gd_codename_scan_wipe(&sc);
	free(t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("codename");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, wordlist);
	tcase_add_test(tc, generate);
	tcase_add_test(tc, normalise);
	tcase_add_test(tc, suggest);
	tcase_add_test(tc, derive);
	tcase_add_test(tc, mailbox_signatures);
	tcase_add_test(tc, scan_in_parts_as_whole);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
