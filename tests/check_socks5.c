/* Tests for client/socks5.c: what we send, and every way a proxy's answer can be wrong. */
#include "check_main.h"
#include "socks5.h"
#include "testutil.h"

START_TEST(requests)
{
	uint8_t b[600];
	ck_assert_uint_eq(socks5_greeting(b), 3);
	ck_assert(memcmp(b, "\x05\x01\x02", 3) == 0); /* username/password only */
	size_t n = socks5_auth(b, sizeof b, "ab", "xyz");
	ck_assert_uint_eq(n, 8);
	ck_assert(memcmp(b,
			 "\x01\x02"
			 "ab"
			 "\x03"
			 "xyz",
			 8) == 0);
	ck_assert_uint_eq(socks5_auth(b, sizeof b, "", "x"), 0);
	n = socks5_connect(b, sizeof b, "abc.onion", 80);
	ck_assert_uint_eq(n, 7 + 9);
	/* ATYP 3: the proxy resolves the name; we never do */
	ck_assert(memcmp(b,
			 "\x05\x01\x00\x03\x09"
			 "abc.onion"
			 "\x00\x50",
			 n) == 0);
	char longname[300];
	memset(longname, 'a', 299);
	longname[299] = '\0';
	ck_assert_uint_eq(socks5_connect(b, sizeof b, longname, 80), 0);
}
END_TEST

START_TEST(method_and_auth_replies)
{
	ck_assert_int_eq(socks5_parse_method((const uint8_t *)"", 0), SOCKS_MORE);
	ck_assert_int_eq(socks5_parse_method((const uint8_t *)"\x05", 1), SOCKS_MORE);
	ck_assert_int_eq(socks5_parse_method((const uint8_t *)"\x05\x02", 2), SOCKS_OK);
	ck_assert_int_eq(socks5_parse_method((const uint8_t *)"\x05\xff", 2), SOCKS_ERR_AUTH);
	/* a method we did not offer (no auth): refused, or Tor's isolation is lost */
	ck_assert_int_eq(socks5_parse_method((const uint8_t *)"\x05\x00", 2), SOCKS_ERR_PROTOCOL);
	ck_assert_int_eq(socks5_parse_method((const uint8_t *)"\x04\x02", 2), SOCKS_ERR_PROTOCOL);
	ck_assert_int_eq(socks5_parse_method((const uint8_t *)"H", 1),
			 SOCKS_ERR_PROTOCOL); /* HTTP */
	ck_assert_int_eq(socks5_parse_auth((const uint8_t *)"\x01\x00", 2), SOCKS_OK);
	ck_assert_int_eq(socks5_parse_auth((const uint8_t *)"\x01\x01", 2), SOCKS_ERR_AUTH);
	ck_assert_int_eq(socks5_parse_auth((const uint8_t *)"\x05\x00", 2), SOCKS_ERR_PROTOCOL);
}
END_TEST

START_TEST(connect_replies)
{
	size_t used = 0;
	uint8_t code = 0;
	const uint8_t ok4[] = {5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90};
	for (size_t i = 0; i < sizeof ok4; i++) /* every prefix asks for more */
		ck_assert_int_eq(socks5_parse_connect(ok4, i, &used, &code), SOCKS_MORE);
	ck_assert_int_eq(socks5_parse_connect(ok4, sizeof ok4, &used, &code), SOCKS_OK);
	ck_assert_uint_eq(used, 10);
	const uint8_t ok6[22] = {5, 0, 0, 4};
	ck_assert_int_eq(socks5_parse_connect(ok6, 21, &used, &code), SOCKS_MORE);
	ck_assert_int_eq(socks5_parse_connect(ok6, 22, &used, &code), SOCKS_OK);
	const uint8_t okd[] = {5, 0, 0, 3, 3, 'a', 'b', 'c', 0, 80};
	ck_assert_int_eq(socks5_parse_connect(okd, sizeof okd, &used, &code), SOCKS_OK);
	ck_assert_uint_eq(used, 10);
	/* Tor's extended error for an onion service that cannot be found */
	const uint8_t f0[] = {5, 0xf0, 0, 1, 0, 0, 0, 0, 0, 0};
	ck_assert_int_eq(socks5_parse_connect(f0, sizeof f0, &used, &code), SOCKS_ERR_REFUSED);
	ck_assert_uint_eq(code, 0xf0);
	ck_assert(strstr(socks5_reply_text(code), "descriptor not found") != NULL);
	const uint8_t badver[] = {4, 0, 0, 1};
	ck_assert_int_eq(socks5_parse_connect(badver, 4, &used, &code), SOCKS_ERR_PROTOCOL);
	const uint8_t badrsv[] = {5, 0, 7, 1};
	ck_assert_int_eq(socks5_parse_connect(badrsv, 4, &used, &code), SOCKS_ERR_PROTOCOL);
	const uint8_t badatyp[] = {5, 0, 0, 9, 0};
	ck_assert_int_eq(socks5_parse_connect(badatyp, 5, &used, &code), SOCKS_ERR_PROTOCOL);
	ck_assert_str_eq(socks5_reply_text(0x05), "connection refused");
	ck_assert_str_eq(socks5_reply_text(0x42), "unknown SOCKS error");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("socks5");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, requests);
	tcase_add_test(tc, method_and_auth_replies);
	tcase_add_test(tc, connect_replies);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
