/* Integration tests (issue 15): the worker's ghostdrop binary given a codename file it cannot
 * use says which word is wrong and suggests the right list word, whatever the file's shape. */
#include <stdarg.h>
#include <stdio.h>

#include "check_main.h"
#include "daemon.h"
#include "testutil.h"

#ifndef GHOSTDROP
#error GHOSTDROP must name the worker binary
#endif

#define SERVER "--server http://127.0.0.1:%u --newsroom %s"

static char out[16384], err[16384];

/* ghostdrop submit with the codename file holding exactly len bytes of text: its exit code. */
static int submit_with(const drop *d, const char *ks, const char *text, size_t len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/code.txt", d->dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	return drop_run(d, GHOSTDROP, "x", out, err, sizeof out,
			"submit " SERVER " --clearnet --codename-file %s", d->port, ks, path);
}

START_TEST(hint_in_bounds_and_right_word)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1];
	drop_up(&d, NULL, ks);
	/* No final newline, last word not in the list: the hint used to read past the file's bytes
	 * (SIGSEGV at sodium_malloc's guard page). */
	const char *s = "zoom abacus yo-yo able ablaze abide felt-tip zoologst";
	ck_assert_int_eq(submit_with(&d, ks, s, strlen(s)), 2);
	ck_assert_msg(strstr(err, "word 8") != NULL && strstr(err, "\"zoologist\"") != NULL, "%s",
		      err);
	/* The same with nothing but the 8 words, the last one over the longest list word. */
	s = "zoom abacus yo-yo able ablaze abide felt-tip zoologistzoologistzoologistzoologist";
	ck_assert_int_eq(submit_with(&d, ks, s, strlen(s)), 2);
	ck_assert_msg(strstr(err, "word 8") != NULL, "%s", err);
	/* Vertical tab and form feed separate words as they do for the codename itself: the hint
	 * names the word the worker typed (it used to show the nearest to "ablaze"). */
	s = "zoom\vabacus\fyo-yo zoologst able ablaze abide felt-tip\n";
	ck_assert_int_eq(submit_with(&d, ks, s, strlen(s)), 2);
	ck_assert_msg(strstr(err, "word 4") != NULL && strstr(err, "\"zoologist\"") != NULL, "%s",
		      err);
	/* A NUL inside the file: that word is not a list word, and the hint stays in bounds. */
	static const char nul[] = "zoom abacus yo-yo able ablaze abide felt-tip zoo\0logist";
	ck_assert_int_eq(submit_with(&d, ks, nul, sizeof nul - 1), 2);
	ck_assert_msg(strstr(err, "word 8") != NULL, "%s", err);
	/* The typed word itself is never echoed. */
	ck_assert(strstr(err, "zoologst") == NULL);
	drop_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("codename_cli");
	TCase *tc = tcase_create("hint");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, hint_in_bounds_and_right_word);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
