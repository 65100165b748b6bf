/* Issue 18: the worker's CLI in each language against a real ghostdropd on 127.0.0.1. A
 * testimony with accented and CJK text, and an attachment with such a name (--keep-names),
 * sent under each language's locale, arrive at the desk byte for byte as typed; sizes keep their
 * decimal point (LC_NUMERIC stays C: fr_FR writes 1,5) and --json its numbers. A locale that is
 * not installed fails the test (scripts/test generates them), never skips it. */
#include <jansson.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "daemon.h"
#include "testutil.h"

#ifndef GHOSTDROP
#error GHOSTDROP must name the worker binary
#endif
#ifndef PO_DIR
#error PO_DIR must name the catalogues of the build tree
#endif

static char out[65536], err[65536];

/* The locales of the languages (po/LINGUAS), and C.UTF-8 for English. */
static const char *const locales[] = {"C.UTF-8",      "es_ES.UTF-8", "pt_BR.UTF-8",
				      "fil_PH.UTF-8", "sw_KE.UTF-8", "fr_FR.UTF-8"};
#define N_LOCALES (sizeof locales / sizeof *locales)

static const char TEXT[] = "Testimonio: el año pasado, acción y canción; São Paulo, ação; "
			   "Kiswahili: ŋombe; Français : « déjà vu » ; 会议记录，第三页。\n"
			   "Zeile 2: Grüße, naïve café — ✓\n";
static const char NAME[] = "informe_año_会议_ação.txt";
static const char BODY[] = "Nombres y turnos: María, José, Zoë; 夜班 22:00-06:00\n";

/* Run the worker's CLI under LANG=loc (and nothing else of the locale's variables). */
static void use_locale(const char *loc)
{
	/* the locale must exist here, or the CLI would quietly run in English */
	ck_assert_msg(setlocale(LC_ALL, loc) != NULL,
		      "the locale %s is not installed: scripts/test generates it (localedef -i "
		      "LANG_TERRITORY -f UTF-8 %s)",
		      loc, loc);
	setlocale(LC_ALL, "C");
	setenv("LANG", loc, 1);
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	unsetenv("LC_NUMERIC");
	unsetenv("LC_CTYPE");
	unsetenv("LANGUAGE");
	setenv("GHOSTDROP_LOCALEDIR", PO_DIR, 1);
}

/* The size in "(1.2 KiB, ..." of the confirmation: digits, a '.', a digit, " KiB". */
static int size_has_point(const char *s)
{
	const char *k = strstr(s, " KiB");
	if (k == NULL)
		return 0;
	const char *p = k;
	while (p > s && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return p < k && p - 2 >= s && p[-1] == '.' && p[-2] >= '0' && p[-2] <= '9';
}

START_TEST(non_ascii_arrives_in_every_locale)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], path[512];
	drop_up(&d, NULL, ks);
	snprintf(path, sizeof path, "%s/%s", d.dir, NAME);
	write_bytes(path, BODY, strlen(BODY));
	for (size_t i = 0; i < N_LOCALES; i++) {
		use_locale(locales[i]);
		int json = i % 2; /* half with --json: its numbers are JSON's */
		int rc = drop_run(&d, GHOSTDROP, TEXT, out, err, sizeof out,
				  "submit --server http://127.0.0.1:%u --newsroom %s --clearnet "
				  "--no-reply --keep-names --yes%s '%s'",
				  d.port, ks, json ? " --json" : "", path);
		ck_assert_msg(rc == 0, "%s: exit %d: %s", locales[i], rc, err);
		if (json) {
			json_error_t je;
			json_t *o = json_loads(out, 0, &je);
			ck_assert_msg(o != NULL, "%s: --json is not JSON: %s", locales[i], out);
			ck_assert_msg(json_is_integer(json_object_get(o, "bytes")), "%s: %s",
				      locales[i], out);
			json_decref(o);
		} else {
			ck_assert_msg(size_has_point(err),
				      "%s: the size is not written 1.2 KiB: %s", locales[i], err);
		}
	}
	drop_stored st;
	drop_fetch_all(&d, &st);
	ck_assert_uint_eq(st.n, N_LOCALES);
	for (size_t i = 0; i < st.n; i++) {
		ck_assert_str_eq(st.s[i].m.text, TEXT);
		ck_assert_uint_eq(st.s[i].m.n_attachments, 1);
		ck_assert_str_eq(st.s[i].m.attachments[0].name, NAME);
		ck_assert_uint_eq(st.s[i].data.len, strlen(BODY));
		ck_assert(memcmp(st.s[i].data.buf, BODY, strlen(BODY)) == 0);
	}
	drop_stored_free(&st);
	drop_destroy(&d);
}
END_TEST

/* The same under a language's locale that a --lang of another overrides, and a typed message
 * of another encoding refused in the worker's language with the same exit code. */
START_TEST(lang_overrides_and_exit_codes_stay)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], path[512];
	drop_up(&d, NULL, ks);
	snprintf(path, sizeof path, "%s/latin1.txt", d.dir);
	write_bytes(path, "a\xf1o\xff\xfe", 5); /* not UTF-8, not UTF-16 */
	for (size_t i = 0; i < N_LOCALES; i++) {
		use_locale(locales[i]);
		int rc = drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "submit --server http://127.0.0.1:%u --newsroom %s --clearnet "
				  "--no-reply --lang %s --message-file %s",
				  d.port, ks, i % 2 ? "fr" : "es", path);
		ck_assert_msg(rc == 6, "%s: exit %d: %s", locales[i], rc, err);
		ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "%s: not one line: %s",
			      locales[i], err);
		static char said[sizeof err];
		memcpy(said, err, sizeof err);
		rc = drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
			      "submit --server http://127.0.0.1:%u --newsroom %s --clearnet "
			      "--no-reply --lang=en --message-file %s",
			      d.port, ks, path);
		ck_assert_msg(rc == 6 && strcmp(said, err) != 0 && strstr(err, "UTF-8") != NULL,
			      "%s: --lang en said the same as --lang es/fr: %s", locales[i], err);
	}
	/* a bad --server URL (transport.c's check): exit 2, in the locale's language */
	static char english[sizeof err];
	use_locale("C.UTF-8");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, english, sizeof out,
				  "submit --server ftp://127.0.0.1:%u --newsroom %s --no-reply",
				  d.port, ks),
			 2);
	ck_assert_msg(strstr(english, "http://") != NULL, "%s", english);
	for (size_t i = 1; i < N_LOCALES; i++) {
		use_locale(locales[i]);
		int rc = drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "submit --server ftp://127.0.0.1:%u --newsroom %s --no-reply",
				  d.port, ks);
		ck_assert_msg(rc == 2 && strcmp(err, english) != 0 && strstr(err, "http://"),
			      "%s: exit %d, %s", locales[i], rc, err);
	}
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	drop_destroy(&d);
}
END_TEST

/* The codename stays English words in every language, and the typo hint too: each misspelt
 * word is named by its position with the nearest list word, never the typed one. */
START_TEST(typo_hint_in_every_language)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], path[512];
	static char english[sizeof err];
	drop_up(&d, NULL, ks);
	snprintf(path, sizeof path, "%s/code.txt", d.dir);
	const char *code = "zoologst zoom abacus yo-yo able ablaz abide felt-tip\n";
	write_bytes(path, code, strlen(code));
	for (size_t i = 0; i < N_LOCALES; i++) {
		use_locale(locales[i]);
		int rc = drop_run(&d, GHOSTDROP, "x", out, err, sizeof out,
				  "submit --server http://127.0.0.1:%u --newsroom %s --clearnet "
				  "--codename-file %s",
				  d.port, ks, path);
		ck_assert_msg(rc == 2, "%s: exit %d: %s", locales[i], rc, err);
		ck_assert_msg(strstr(err, "zoologist") != NULL && strstr(err, "ablaze") != NULL,
			      "%s: the hint lost its English words: %s", locales[i], err);
		ck_assert_msg(strstr(err, "zoologst") == NULL && strstr(err, "ablaz ") == NULL,
			      "%s: the typed words repeated: %s", locales[i], err);
		if (i == 0)
			memcpy(english, err, sizeof err);
		else
			ck_assert_msg(strcmp(err, english) != 0, "%s: in English: %s", locales[i],
				      err);
	}
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	drop_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("i18n_flow");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, non_ascii_arrives_in_every_locale);
	tcase_add_test(tc, lang_overrides_and_exit_codes_stay);
	tcase_add_test(tc, typo_hint_in_every_language);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
