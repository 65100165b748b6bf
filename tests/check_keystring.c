/* Tests for crypto/keystring.c: the newsroom key string catches typos. */
#include <ctype.h>
#include <stdio.h>

#include "check_main.h"
#include "testutil.h"

START_TEST(roundtrip)
{
	for (int i = 0; i < 200; i++) {
		uint8_t pk[32], sk[64], back[32];
		char s[GD_KEYSTRING_LEN + 1];
		crypto_sign_keypair(pk, sk);
		ck_assert_int_eq(gd_keystring_encode(s, pk), GD_OK);
		ck_assert_uint_eq(strlen(s), GD_KEYSTRING_LEN);
		ck_assert(strncmp(s, "gdnk1", 5) == 0);
		ck_assert_int_eq(gd_keystring_decode(back, s), GD_OK);
		ck_assert(memcmp(back, pk, 32) == 0);
	}
}
END_TEST

START_TEST(every_typo_rejected)
{
	uint8_t pk[32], sk[64], back[32];
	char s[GD_KEYSTRING_LEN + 1], t[GD_KEYSTRING_LEN + 1];
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	crypto_sign_keypair(pk, sk);
	gd_keystring_encode(s, pk);
	/* Every single-character substitution in the body. */
	for (size_t i = 5; i < GD_KEYSTRING_LEN; i++) {
		for (size_t c = 0; c < 32; c++) {
			memcpy(t, s, sizeof t);
			if (t[i] == alphabet[c])
				continue;
			t[i] = alphabet[c];
			ck_assert_msg(gd_keystring_decode(back, t) != GD_OK, "accepted %s", t);
		}
	}
	/* Every adjacent transposition. */
	for (size_t i = 5; i + 1 < GD_KEYSTRING_LEN; i++) {
		memcpy(t, s, sizeof t);
		if (t[i] == t[i + 1])
			continue;
		char x = t[i];
		t[i] = t[i + 1];
		t[i + 1] = x;
		ck_assert(gd_keystring_decode(back, t) != GD_OK);
	}
}
END_TEST

START_TEST(copy_paste_and_errors)
{
	uint8_t pk[32], sk[64], back[32];
	char s[GD_KEYSTRING_LEN + 1], t[GD_KEYSTRING_LEN + 8];
	crypto_sign_keypair(pk, sk);
	gd_keystring_encode(s, pk);
	snprintf(t, sizeof t, "  %s\n", s);
	ck_assert_int_eq(gd_keystring_decode(back, t), GD_OK);
	for (size_t i = 0; i < strlen(s); i++)
		t[i] = (char)toupper((unsigned char)s[i]);
	t[strlen(s)] = '\0';
	ck_assert_int_eq(gd_keystring_decode(back, t), GD_OK); /* printed in capitals */
	ck_assert(memcmp(back, pk, 32) == 0);
	memcpy(t, s, sizeof s);
	t[0] = 'x';
	ck_assert_int_eq(gd_keystring_decode(back, t), GD_ERR_FORMAT); /* prefix */
	memcpy(t, s, sizeof s);
	t[GD_KEYSTRING_LEN - 1] = '\0';
	ck_assert_int_eq(gd_keystring_decode(back, t), GD_ERR_FORMAT); /* short */
	memcpy(t, s, sizeof s);
	t[10] = '1'; /* not in the base32 alphabet */
	ck_assert_int_eq(gd_keystring_decode(back, t), GD_ERR_FORMAT);
	ck_assert_int_eq(gd_keystring_decode(back, ""), GD_ERR_FORMAT);
	/* A typo that stays in the alphabet fails the checksum specifically. */
	memcpy(t, s, sizeof s);
	t[20] = t[20] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(gd_keystring_decode(back, t), GD_ERR_CHECKSUM);
}
END_TEST

/* The base64url of ids and keys in the protocol's JSON: exactly the expected length, canonical. */
START_TEST(b64_exact_lengths)
{
	uint8_t id[16], in[16];
	char s[32];
	randombytes_buf(in, sizeof in);
	ck_assert_int_eq(gd_b64_encode(s, sizeof s, in, sizeof in), GD_OK);
	ck_assert_int_eq(gd_b64_decode_exact(id, 16, s), GD_OK);
	ck_assert(memcmp(id, in, 16) == 0);
	ck_assert_int_eq(gd_b64_decode_exact(id, 15, s), GD_ERR_FORMAT); /* longer than asked */
	s[strlen(s) - 2] = '\0';
	ck_assert_int_eq(gd_b64_decode_exact(id, 16, s), GD_ERR_FORMAT); /* shorter */
	ck_assert_int_eq(gd_b64_decode_exact(id, 16, NULL), GD_ERR_FORMAT);
	ck_assert_int_eq(gd_b64_decode_exact(id, 16, "AAAAAAAAAAAAAAAAAAAAAB"),
			 GD_ERR_FORMAT); /* non-canonical */
	ck_assert_int_eq(gd_b64_decode_exact(id, 16, "AAAAAAAAAAAAAAAAAAAAA+"),
			 GD_ERR_FORMAT); /* not url-safe */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("keystring");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, every_typo_rejected);
	tcase_add_test(tc, copy_paste_and_errors);
	tcase_add_test(tc, b64_exact_lengths);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
