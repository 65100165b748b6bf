/* Issue 18 (a new-user review at 40 and 80 columns): on a terminal the worker CLI's messages are
 * wrapped between words at its width in every language, the new codename is shown one word a
 * line, numbered, never cut (the words read off the screen derive the keys the testimony was
 * sent with), and the system's reasons for a file error are in the worker's language. */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include <locale.h>
#include <poll.h>
#include <pty.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "check_main.h"
#include "daemon.h"
#include "testutil.h"

#ifndef GHOSTDROP
#error GHOSTDROP must name the worker binary
#endif
#ifndef PO_DIR
#error PO_DIR must name the catalogues of the build tree
#endif
#ifndef PO_SRC
#error PO_SRC must name the po/ directory of the sources
#endif

static const char *const langs[] = {"en", "es", "pt_BR", "fil", "sw", "fr"};
#define N_LANGS (sizeof langs / sizeof *langs)

static char pout[65536];

/* Run ghostdrop on a pseudo-terminal of cols columns (its controlling terminal), with an Enter
 * already typed (read only where it asks for one); everything shown into pout. The exit code,
 * -1 on a timeout. */
static int on_pty(const drop *d, unsigned short cols, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int on_pty(const drop *d, unsigned short cols, const char *fmt, ...)
{
	char args[4096], cmd[4608];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "exec %s %s", GHOSTDROP, args);
	int fd;
	size_t len = 0;
	struct winsize ws = {.ws_row = 24, .ws_col = cols};
	pid_t pid = forkpty(&fd, NULL, NULL, &ws);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (chdir(d->dir) != 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(write(fd, "\r", 1), 1);
	pout[0] = '\0';
	time_t end = time(NULL) + 60;
	while (time(NULL) < end) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 500) <= 0)
			continue;
		ssize_t k = read(fd, pout + len, sizeof pout - 1 - len);
		if (k <= 0)
			break; /* EIO: the child closed the terminal */
		len += (size_t)k;
		pout[len] = '\0';
	}
	close(fd);
	int st;
	if (time(NULL) >= end)
		kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) && time(NULL) < end ? WEXITSTATUS(st) : -1;
}

/* The display columns of s's n bytes (UTF-8), escape sequences (CSI) left out. */
static size_t columns_of(const char *s, size_t n)
{
	size_t cols = 0;
	mbstate_t st;
	memset(&st, 0, sizeof st);
	for (size_t i = 0; i < n;) {
		if (s[i] == '\033' && i + 1 < n && s[i + 1] == '[') {
			for (i += 2; i < n && !(s[i] >= '@' && s[i] <= '~'); i++)
				;
			i++;
			continue;
		}
		wchar_t wc;
		size_t k = mbrtowc(&wc, s + i, n - i, &st);
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof st);
			cols++;
			i++;
			continue;
		}
		int w = wcwidth(wc);
		cols += w > 0 ? (size_t)w : 0;
		i += k;
	}
	return cols;
}

/* Every line of pout (cut at \r and \n) within cols columns; else the first too wide. */
static void assert_fits(const char *what, unsigned short cols)
{
	for (const char *l = pout; *l != '\0';) {
		size_t n = strcspn(l, "\r\n");
		ck_assert_msg(columns_of(l, n) <= cols,
			      "%s: a line wider than %u columns: '%.*s'\n%s", what, cols, (int)n, l,
			      pout);
		l += n + (l[n] != '\0');
	}
}

/* The numbered codename lines of pout ("1. word" to "8. word", in order): the codename, its
 * words joined by spaces, into out; 0, or -1 when they are not all there. */
static int codename_shown(char *out, size_t cap)
{
	int next = 1;
	out[0] = '\0';
	for (const char *l = pout; *l != '\0' && next <= 8;) {
		size_t n = strcspn(l, "\r\n");
		char line[256], word[64];
		int num;
		char end;
		snprintf(line, sizeof line, "%.*s", (int)(n < 255 ? n : 255), l);
		if (sscanf(line, " %d. %63[a-z-]%c", &num, word, &end) == 2 && num == next) {
			if (next > 1)
				strncat(out, " ", cap - strlen(out) - 1);
			strncat(out, word, cap - strlen(out) - 1);
			next++;
		}
		l += n + (l[n] != '\0');
	}
	return next == 9 ? 0 : -1;
}

static void use_lang(void)
{
	setenv("LANG", "C.UTF-8", 1);
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	unsetenv("LANGUAGE");
	setenv("GHOSTDROP_LOCALEDIR", PO_DIR, 1);
	ck_assert_ptr_nonnull(setlocale(LC_CTYPE, "C.UTF-8")); /* columns_of's wcwidth */
}

/* At 40 and 80 columns, in English and Spanish: the codename one word a line, numbered, each word
 * whole (the eight read off the screen are the codename the testimony was sent under), and
 * every line of the screen within its width. */
START_TEST(codename_never_cut_on_a_narrow_terminal)
{
	static const unsigned short widths[] = {40, 80};
	static const char *const codename_langs[] = {"en", "es"};
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], msg[512], code[256], what[64];
	drop_up(&d, NULL, ks);
	use_lang();
	snprintf(msg, sizeof msg, "%s/message.txt", d.dir);
	write_bytes(msg, "the queue\n", 10);
	size_t sent = 0;
	for (size_t w = 0; w < 2; w++)
		for (size_t l = 0; l < 2; l++) {
			snprintf(what, sizeof what, "%s at %u columns", codename_langs[l],
				 widths[w]);
			int rc = on_pty(&d, widths[w],
					"submit --server http://127.0.0.1:%u --newsroom %s "
					"--clearnet --message-file %s --yes --lang %s",
					d.port, ks, msg, codename_langs[l]);
			ck_assert_msg(rc == 0, "%s: exit %d: %s", what, rc, pout);
			sent++;
			ck_assert_msg(codename_shown(code, sizeof code) == 0,
				      "%s: the codename is not shown one numbered word a line: %s",
				      what, pout);
			assert_fits(what, widths[w]);
			drop_stored st;
			drop_fetch_all(&d, &st);
			ck_assert_uint_eq(st.n, sent);
			gd_source_keys *k = test_source(code, d.root_pk);
			int found = 0;
			for (size_t i = 0; i < st.n; i++)
				found |= memcmp(st.s[i].m.reply_pk, k->reply_pk, 32) == 0;
			ck_assert_msg(found, "%s: the words shown (%s) are not the codename", what,
				      code);
			sodium_free(k);
			drop_stored_free(&st);
		}
	drop_destroy(&d);
}
END_TEST

/* At 80 columns in every language, a submit's result and a replies run's footer stay within
 * the terminal (the worker's messages wrap between words, as its errors do). */
START_TEST(messages_fit_80_columns_in_every_language)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], msg[512], codefile[512], what[64];
	drop_up(&d, NULL, ks);
	use_lang();
	snprintf(msg, sizeof msg, "%s/message.txt", d.dir);
	write_bytes(msg, "the queue\n", 10);
	for (size_t l = 0; l < N_LANGS; l++) {
		snprintf(codefile, sizeof codefile, "%s/code-%s.txt", d.dir, langs[l]);
		snprintf(what, sizeof what, "submit --lang %s", langs[l]);
		int rc = on_pty(&d, 80,
				"submit --server http://127.0.0.1:%u --newsroom %s --clearnet "
				"--message-file %s --yes --codename-out %s --lang %s",
				d.port, ks, msg, codefile, langs[l]);
		ck_assert_msg(rc == 0, "%s: exit %d: %s", what, rc, pout);
		assert_fits(what, 80);
		snprintf(what, sizeof what, "replies --lang %s", langs[l]);
		rc = on_pty(&d, 80,
			    "replies --server http://127.0.0.1:%u --newsroom %s --clearnet "
			    "--codename-file %s --lang %s",
			    d.port, ks, codefile, langs[l]);
		ck_assert_msg(rc == 0, "%s: exit %d: %s", what, rc, pout);
		assert_fits(what, 80);
	}
	drop_destroy(&d);
}
END_TEST

/* The msgstr of msgid in PO_SRC/LANG.po (a one-line entry), or NULL. */
static char *po_msgstr(const char *lang, const char *msgid)
{
	char path[512], line[1024], want[512];
	snprintf(path, sizeof path, "%s/%s.po", PO_SRC, lang);
	snprintf(want, sizeof want, "msgid \"%s\"\n", msgid);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	char *found = NULL;
	while (fgets(line, sizeof line, f) != NULL)
		if (strcmp(line, want) == 0 && fgets(line, sizeof line, f) != NULL &&
		    strncmp(line, "msgstr \"", 8) == 0 && line[8] != '"') {
			line[strcspn(line + 8, "\"") + 8] = '\0';
			found = strdup(line + 8);
			break;
		}
	fclose(f);
	return found;
}

/* A missing attachment under --lang sw and --lang fil: the system's reason in that language. */
START_TEST(file_errors_in_the_workers_language)
{
	static const char *const tr[] = {"sw", "fil", "es", "pt_BR", "fr"};
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], msg[512];
	static char out[65536], err[65536];
	drop_up(&d, NULL, ks);
	use_lang();
	snprintf(msg, sizeof msg, "%s/message.txt", d.dir);
	write_bytes(msg, "the queue\n", 10);
	for (size_t l = 0; l < sizeof tr / sizeof *tr; l++) {
		char *want = po_msgstr(tr[l], "No such file or directory");
		ck_assert_msg(want != NULL, "%s.po does not translate 'No such file or directory'",
			      tr[l]);
		int rc = drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "submit --server http://127.0.0.1:%u --newsroom %s --clearnet "
				  "--no-reply --yes --lang %s --message-file %s hakuna.jpg",
				  d.port, ks, tr[l], msg);
		ck_assert_msg(rc == 6, "%s: exit %d: %s", tr[l], rc, err);
		ck_assert_msg(strstr(err, "hakuna.jpg") != NULL && strstr(err, want) != NULL &&
				      strstr(err, "No such file") == NULL,
			      "%s: not '%s': %s", tr[l], want, err);
		free(want);
	}
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	drop_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("i18n_wrap");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, codename_never_cut_on_a_narrow_terminal);
	tcase_add_test(tc, messages_fit_80_columns_in_every_language);
	tcase_add_test(tc, file_errors_in_the_workers_language);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
