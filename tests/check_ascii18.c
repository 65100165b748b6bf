/* Tests for ASCII-only text handling (crypto/bytes.h): the worker CLI sets LC_CTYPE from the
 * user's locale (issue 18), and canonical forms (key strings, codenames, server URLs, names in a
 * bundle) must not change with it. The locale cases run under tr_TR.ISO-8859-9, made with
 * localedef into a temporary LOCPATH: there tolower('I') is 0xFD and isalnum(0xC9) is true. */
#include <ctype.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bytes.h"
#include "check_main.h"
#include "testutil.h"
#include "transport.h"

START_TEST(helpers_every_byte)
{
	for (int c = 0; c < 256; c++) {
		char ch = (char)c;
		int upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z';
		int digit = c >= '0' && c <= '9';
		ck_assert_int_eq((unsigned char)gd_ascii_lower(ch), upper ? c + 32 : c);
		ck_assert_int_eq(gd_ascii_isalnum(ch), upper || lower || digit);
		ck_assert_int_eq(gd_ascii_isspace(ch), c == ' ' || (c >= '\t' && c <= '\r'));
	}
	ck_assert_int_eq(gd_ascii_ncasecmp("GDNK1x", "gdnk1y", 5), 0);
	ck_assert_int_ne(gd_ascii_ncasecmp("gdnk\xfd", "gdnki", 5), 0);
	ck_assert_int_ne(gd_ascii_ncasecmp("gd", "gdnk1", 5), 0);
	ck_assert_int_eq(gd_ascii_casecmp(".ZIP", ".zip"), 0);
	ck_assert_int_ne(gd_ascii_casecmp(".zip", ".zipx"), 0);
	ck_assert_int_ne(gd_ascii_casecmp(".\xc9", ".\xe9"), 0);
}
END_TEST

/* tr_TR.ISO-8859-9 as LC_CTYPE, 1 when in force; 0 (and a note) where localedef cannot make it. */
static int turkish_latin(void)
{
	char dir[] = "/tmp/gd-ascii18-XXXXXX", cmd[256], made_dir[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "localedef -i tr_TR -f ISO-8859-9 %s/tr >/dev/null 2>&1", dir);
	int made = system(cmd) == 0; /* 1 with warnings only: then the locale is there too */
	snprintf(made_dir, sizeof made_dir, "%s/tr", dir);
	made = made || access(made_dir, F_OK) == 0;
	setenv("LOCPATH", dir, 1);
	int ok = made && setlocale(LC_CTYPE, "tr") != NULL && tolower('I') == 0xfd;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	if (!ok)
		fprintf(stderr, "ascii18: no tr_TR.ISO-8859-9 locale (localedef): case skipped\n");
	return ok;
}

/* The capital of an ASCII letter (toupper('i') is 0xDD in this locale). */
static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

START_TEST(canonical_forms_in_latin_locale)
{
	if (!turkish_latin())
		return;
	/* a key string typed in capitals: I is a base32 letter */
	uint8_t pk[32], sk[64], back[32];
	char ks[GD_KEYSTRING_LEN + 1];
	int with_i = 0;
	for (int t = 0; t < 1000 && !with_i; t++) {
		crypto_sign_keypair(pk, sk);
		ck_assert_int_eq(gd_keystring_encode(ks, pk), GD_OK);
		with_i = strchr(ks + 5, 'i') != NULL;
	}
	ck_assert(with_i);
	for (char *p = ks; *p; p++)
		*p = ascii_upper(*p);
	ck_assert_int_eq(gd_keystring_decode(back, ks), GD_OK);
	ck_assert(memcmp(back, pk, 32) == 0);

	/* a codename in capitals normalises to the same words */
	char *cn = sodium_malloc(GD_CODENAME_MAX), *up = sodium_malloc(GD_CODENAME_MAX);
	char *out = sodium_malloc(GD_CODENAME_MAX);
	do
		ck_assert_int_eq(gd_codename_generate(cn, GD_CODENAME_MAX), GD_OK);
	while (strchr(cn, 'i') == NULL);
	size_t n = strlen(cn);
	for (size_t i = 0; i <= n; i++)
		up[i] = ascii_upper(cn[i]);
	int bad = -1;
	ck_assert_int_eq(gd_codename_normalise(out, GD_CODENAME_MAX, up, n, &bad), GD_OK);
	ck_assert_str_eq(out, cn);
	sodium_free(out);
	sodium_free(up);
	sodium_free(cn);

	/* a server URL in capitals is the listed one; a name in a bundle stays ASCII */
	gd_url u;
	char err[200];
	ck_assert_int_eq(gd_url_parse(&u, "HTTP://MIRROR-IN.EXAMPLE:8080/", err, sizeof err), 0);
	ck_assert_str_eq(u.host, "mirror-in.example");
	ck_assert_int_eq(gd_name_valid("Caf\xc9 Desk"), 0);
	ck_assert_int_eq(gd_name_valid("Cafe Desk"), 1);
}
END_TEST

static Suite *ascii_suite(void)
{
	Suite *s = suite_create("ascii18");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, helpers_every_byte);
	tcase_add_test(tc, canonical_forms_in_latin_locale);
	suite_add_tcase(s, tc);
	return s;
}

GD_CHECK_MAIN(ascii_suite)
