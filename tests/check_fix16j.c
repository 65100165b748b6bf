/* Issue 16, attacker review (helper J): the codename found however it is written, in the
 * testimony and in text attachments; codename words on the command line refused without being
 * echoed; watermarks, RTF and control characters in "plain text"; neutral names keep only known
 * extensions; file names shown with every control character masked. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "daemon.h"
#include "testutil.h"

#ifndef GHOSTDROP
#error GHOSTDROP must name the worker binary
#endif

static char out[65536], err[65536];
static char keystring[GD_KEYSTRING_LEN + 1];

#define SERVER "--server http://127.0.0.1:%u --newsroom %s --clearnet"

static int gd(const drop *d, const char *in, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int gd(const drop *d, const char *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = drop_vrun(d, GHOSTDROP, in, out, err, sizeof out, fmt, ap);
	va_end(ap);
	return rc;
}

static int words(const char *c, const char *t)
{
	return gd_codename_words_in_text(c, t, strlen(t));
}

/* Reproduced (/tmp/atk16-poc/cw): the codename with hyphens, underscores or no separator at
 * all scored 0 and went to the newsroom inside the testimony. */
START_TEST(codename_however_written)
{
	const char *c = "zoom abacus yo-yo able ablaze abide zoologist felt-tip";
	ck_assert_int_eq(words(c, "zoom-abacus-yo-yo-able-ablaze-abide-zoologist-felt-tip"), 8);
	ck_assert_int_eq(words(c, "zoom_abacus_yo-yo_able_ablaze_abide_zoologist_felt-tip"), 8);
	ck_assert_int_eq(words(c, "ZoomAbacusYoyoAbleAblazeAbideZoologistFelttip"), 8);
	ck_assert_int_eq(words(c, "codename:zoomabacusyoyoable, the rest later"), 4);
	ck_assert_int_eq(words(c, "zoom\tabacus  yo-yo\n\nable/ablaze.abide"), 6);
	ck_assert_int_eq(words(c, "zoom-abacus able_ablaze"), 4);
	ck_assert_int_eq(words(c, "1zoom2abacus3able4abide"), 4);
	/* ordinary words holding the codename's words are not the codename */
	ck_assert_int_lt(words(c, "the zoomed abacuses were capable, unstable; tablazed, abided "
				  "by zoologists with felt tips: a zoom lens"),
			 2);
	/* random codenames, run together or hyphenated */
	for (int r = 0; r < 50; r++) {
		char cn[GD_CODENAME_MAX], j[GD_CODENAME_MAX], h[GD_CODENAME_MAX];
		ck_assert_int_eq(gd_codename_generate(cn, sizeof cn), GD_OK);
		size_t o = 0;
		for (const char *p = cn; *p; p++)
			if (*p != ' ')
				j[o++] = *p;
		j[o] = '\0';
		snprintf(h, sizeof h, "%s", cn);
		for (char *p = h; *p; p++)
			if (*p == ' ')
				*p = '-';
		ck_assert_int_eq(words(cn, j), 8);
		ck_assert_int_eq(words(cn, h), 8);
	}
}
END_TEST

static void codename_file(const drop *d, char *path, size_t cap, const char *c)
{
	snprintf(path, cap, "%s/codename", d->dir);
	write_bytes(path, c, strlen(c));
}

/* A notes file holding the codename went to the newsroom: now refused, named, nothing sent. */
START_TEST(text_attachment_with_codename)
{
	drop d;
	char cf[512], notes[512], md[512], fine[512];
	const char *c = "zoom abacus yo-yo able ablaze abide zoologist felt-tip";
	drop_up(&d, NULL, keystring);
	codename_file(&d, cf, sizeof cf, c);
	snprintf(notes, sizeof notes, "%s/notes.txt", d.dir);
	snprintf(md, sizeof md, "%s/todo.md", d.dir);
	snprintf(fine, sizeof fine, "%s/fine.csv", d.dir);
	const char *n1 = "remember: zoom-abacus-yo-yo-able-ablaze-abide-zoologist-felt-tip\n";
	write_bytes(notes, n1, strlen(n1));
	write_bytes(md, "# todo\nZoomAbacusYoyoAble\n", 26);
	write_bytes(fine, "a,b\nzoom,1\n", 11);
	int rc = gd(&d, "the queue", "submit " SERVER " --codename-file %s %s %s", d.port,
		    keystring, cf, fine, notes);
	ck_assert_msg(rc == 6, "exit %d: %s", rc, err);
	ck_assert_msg(strstr(err, "notes.txt") != NULL &&
			      (strstr(err, "codename") != NULL ||
			       strstr(err, "--codename takes no value") != NULL),
		      "%s", err);
	ck_assert_ptr_null(strstr(err, "abacus"));
	rc = gd(&d, "the queue", "submit " SERVER " --codename-file %s %s", d.port, keystring, cf,
		md);
	ck_assert_msg(rc == 6 && strstr(err, "todo.md") != NULL, "exit %d: %s", rc, err);
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	rc = gd(&d, "the queue", "submit " SERVER " --codename-file %s %s", d.port, keystring, cf,
		fine);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	drop_destroy(&d);
}
END_TEST

/* Reproduced: with a file named like the codename's first word, "--codename w1 w2 ..." sent
 * nothing but printed "w2: No such file or directory", the codename on the screen. */
START_TEST(codename_words_as_arguments)
{
	drop d;
	char first[512];
	drop_up(&d, NULL, keystring);
	snprintf(first, sizeof first, "%s/zoom.txt", d.dir);
	write_bytes(first, "x\n", 2);
	static const char *const how[] = {"--codename", "--codename-file /nonexistent",
					  "--no-reply"};
	for (int i = 0; i < 3; i++) {
		int rc = gd(&d, "x", "submit " SERVER " %s %s abacus yo-yo able ablaze", d.port,
			    keystring, how[i], first);
		ck_assert_msg(rc == 2, "%s: exit %d: %s", how[i], rc, err);
		ck_assert_msg(strstr(err, "abacus") == NULL && strstr(err, "ablaze") == NULL &&
				      (strstr(err, "codename") != NULL ||
				       strstr(err, "--codename takes no value") != NULL),
			      "%s", err);
		rc = gd(&d, "", "replies " SERVER " %s %s abacus yo-yo able ablaze", d.port,
			keystring, how[i], first);
		ck_assert_msg(rc == 2 && strstr(err, "abacus") == NULL, "%d %s", rc, err);
	}
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	drop_destroy(&d);
}
END_TEST

/* "Plain text" carrying watermarks, an RTF document, terminal escapes: refused, named. */
START_TEST(text_that_is_not_plain)
{
	drop d;
	char p[512];
	drop_up(&d, NULL, keystring);
	static const struct {
		const char *name, *body, *says;
	} bad[] = {
		{"memo.txt", "the plan\xe2\x80\x8b is final\n", "invisible"},
		{"memo2.md", "the plan\xe2\x81\xa0 is final\n", "invisible"},
		{"memo3.csv",
		 "a,b\n\xef\xbb\xbf"
		 "1,2\n",
		 "invisible"},
		{"memo4.txt", "tag\xf3\xa0\x81\x81\xf3\xa0\x81\xbf here\n", "invisible"},
		{"memo5.txt", "{\\rtf1\\ansi{\\info{\\author Jane Worker}} hello}\n", "RTF"},
		{"memo6.log", "ok \x1b]2;pwned\x07 \x1b[2J\n", "control"},
		{"memo7.txt", "form\ffeed\n", "control"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", d.dir, bad[i].name);
		write_bytes(p, bad[i].body, strlen(bad[i].body));
		int rc = gd(&d, "x", "submit " SERVER " --no-reply %s", d.port, keystring, p);
		ck_assert_msg(rc == 6, "%s: exit %d: %s", bad[i].name, rc, err);
		ck_assert_msg(strstr(err, bad[i].name) != NULL && strstr(err, bad[i].says) != NULL,
			      "%s: %s", bad[i].name, err);
	}
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	/* named with --keep-metadata: sent as it is, as documented */
	snprintf(p, sizeof p, "%s/memo.txt", d.dir);
	int rc = gd(&d, "x", "submit " SERVER " --no-reply --keep-metadata %s %s", d.port,
		    keystring, p, p);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
	/* a byte order mark at the start is not a watermark */
	snprintf(p, sizeof p, "%s/bom.txt", d.dir);
	write_bytes(p, "\xef\xbb\xbfhello\tthere\r\n", 15);
	rc = gd(&d, "x", "submit " SERVER " --no-reply %s", d.port, keystring, p);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
	ck_assert_uint_eq(drop_count_stored(&d), 2);
	drop_destroy(&d);
}
END_TEST

/* Neutral names keep only known extensions; file names in messages are masked. */
START_TEST(names_known_extensions_and_masked)
{
	drop d;
	char p[512];
	drop_up(&d, NULL, keystring);
	static const char *const names[][2] = {
		{"x.JaneDoe", "attachment-1"},
		{"scan.20261130", "attachment-1"},
		{"Report.PDF", "attachment-1.pdf"},
		{"notes.md", "attachment-1.md"},
	};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s/%s", d.dir, names[i][0]);
		write_bytes(p, "plain\n", 6);
		int rc = gd(&d, "x", "submit " SERVER " --no-reply --json --keep-metadata %s %s",
			    d.port, keystring, p, p);
		ck_assert_msg(rc == 0, "%s: exit %d: %s", names[i][0], rc, err);
		json_t *o = json_loads(out, 0, NULL);
		ck_assert_ptr_nonnull(o);
		const char *sent = json_string_value(json_object_get(
			json_array_get(json_object_get(o, "attachments"), 0), "name"));
		ck_assert_msg(sent != NULL && strcmp(sent, names[i][1]) == 0, "%s: %s", names[i][0],
			      sent ? sent : "(none)");
		json_decref(o);
	}
	/* C1 (CSI), bidi override and invalid UTF-8 in a refused file's name: masked */
	static const char *const odd[] = {"a\xc2\x9b"
					  "2J.txt",
					  "b\xe2\x80\xaetxt.exe.txt", "c\xff.txt",
					  "d\xe2\x81\xa6x.txt"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s/%s", d.dir, odd[i]);
		write_bytes(p, "nul\0byte", 8);
		int rc = gd(&d, "x", "submit " SERVER " --no-reply '%s'", d.port, keystring, p);
		ck_assert_int_eq(rc, 6);
		ck_assert_msg(
			strstr(err, "\xc2\x9b") == NULL && strstr(err, "\xe2\x80\xae") == NULL &&
				strstr(err, "\xff") == NULL &&
				strstr(err, "\xe2\x81\xa6") == NULL && strchr(err, '?') != NULL,
			"%zu: %s", i, err);
	}
	drop_destroy(&d);
}
END_TEST

static Suite *fix_suite(void)
{
	Suite *s = suite_create("fix16j");
	TCase *tc = tcase_create("fix16j");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, codename_however_written);
	tcase_add_test(tc, text_attachment_with_codename);
	tcase_add_test(tc, codename_words_as_arguments);
	tcase_add_test(tc, text_that_is_not_plain);
	tcase_add_test(tc, names_known_extensions_and_masked);
	suite_add_tcase(s, tc);
	return s;
}

GD_CHECK_MAIN(fix_suite)
