/* Integration tests (issue 16, section 2 and 6): the worker's ghostdrop driven as a person
 * drives it, through a pseudo-terminal against a real ghostdropd on 127.0.0.1: the codename is
 * asked for before the testimony, three tries naming every bad word, a testimony holding the
 * codename refused, Ctrl-C at the hidden prompt, the command-line conventions (--version,
 * help, unknown command or option first), and replies' ISO days and wording after --ack. */
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "prompt.h"
#include "testutil.h"

#ifndef GHOSTDROP
#error GHOSTDROP must name the worker binary
#endif

#define SERVER "--server http://127.0.0.1:%u --newsroom %s"

static char out[65536], err[65536];

/* ---- a ghostdrop run on a pseudo-terminal ---- */

typedef struct {
	pid_t pid;
	int master, slave; /* the slave stays open here, to read its modes after the exit */
	char seen[65536];  /* everything the program wrote to the terminal */
	size_t len;
	int status;
} term;

static void term_start(term *t, const drop *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void term_start(term *t, const drop *d, const char *fmt, ...)
{
	char args[2048], cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "exec %s %s", GHOSTDROP, args);
	memset(t, 0, sizeof *t);
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	ck_assert_int_eq(openpty(&t->master, &t->slave, NULL, NULL, &ws), 0);
	t->pid = fork();
	ck_assert_int_ge(t->pid, 0);
	if (t->pid == 0) {
		setsid();
		ioctl(t->slave, TIOCSCTTY, 0);
		dup2(t->slave, 0);
		dup2(t->slave, 1);
		dup2(t->slave, 2);
		close(t->master);
		if (t->slave > 2)
			close(t->slave);
		if (chdir(d->dir) != 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
}

/* Read what the program writes until `want` has been written (1), or timeout_ms passed or the
 * terminal closed (0). */
static int term_expect(term *t, const char *want, int timeout_ms)
{
	for (int waited = 0; strstr(t->seen, want) == NULL; waited += 50) {
		struct pollfd p = {.fd = t->master, .events = POLLIN};
		if (waited >= timeout_ms)
			return 0;
		if (poll(&p, 1, 50) == 1) {
			ssize_t k = read(t->master, t->seen + t->len, sizeof t->seen - 1 - t->len);
			if (k <= 0)
				return strstr(t->seen, want) != NULL;
			t->len += (size_t)k;
			t->seen[t->len] = '\0';
		}
	}
	return 1;
}

static void term_type(term *t, const char *s)
{
	ck_assert_int_eq(write(t->master, s, strlen(s)), (ssize_t)strlen(s));
}

/* The process's end within timeout_ms (1, status in t->status), else 0 (it is killed). */
static int term_exit(term *t, int timeout_ms)
{
	for (int waited = 0;; waited += 20) {
		term_expect(t, "\x01never\x01", 0); /* drain, so the program never blocks writing */
		pid_t w = waitpid(t->pid, &t->status, WNOHANG);
		if (w == t->pid) {
			term_expect(t, "\x01never\x01", 100);
			return 1;
		}
		if (waited >= timeout_ms) {
			kill(t->pid, SIGKILL);
			waitpid(t->pid, &t->status, 0);
			return 0;
		}
		usleep(20000);
	}
}

static int term_echo(const term *t)
{
	struct termios tio;
	ck_assert_int_eq(tcgetattr(t->slave, &tio), 0);
	return (tio.c_lflag & ECHO) != 0;
}

/* Echo turned off within a few seconds (the prompt is written just before): 1, else 0. */
static int term_quiet(const term *t)
{
	for (int waited = 0; waited < 5000; waited += 10) {
		if (!term_echo(t))
			return 1;
		usleep(10000);
	}
	return 0;
}

static void term_close(term *t)
{
	close(t->master);
	close(t->slave);
}

/* ---- the drop's side ---- */

static void push_reply(const drop *d, const gd_source_keys *src, const char *text)
{
	uint8_t *blob;
	size_t blen;
	resp r;
	ck_assert_int_eq(gd_reply_seal(&blob, &blen, text, strlen(text), src->mailbox_id,
				       gd_day(time(NULL)), d->jsk, src->reply_pk),
			 GD_OK);
	char *bb = malloc(blen * 2), mb[32], *body = malloc(blen * 2 + 128);
	gd_b64_encode(bb, blen * 2, blob, blen);
	gd_b64_encode(mb, sizeof mb, src->mailbox_id, 16);
	snprintf(body, blen * 2 + 128, "{\"mailbox_id\":\"%s\",\"reply\":\"%s\"}", mb, bb);
	ck_assert_int_eq(http_do(d->port, "POST", "/v1/courier/replies", drop_auth(d), body,
				 strlen(body), &r),
			 0);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	free(bb);
	free(body);
	free(blob);
}

static void write_file(const drop *d, const char *name, const char *text, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%s", d->dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* A fresh codename and, in bad, the same with words 2 and 7 (from 1) misspelt. */
static void codenames(char *good, char *bad)
{
	char w[GD_CODENAME_WORDS][16];
	ck_assert_int_eq(gd_codename_generate(good, GD_CODENAME_MAX), GD_OK);
	ck_assert_int_eq(sscanf(good, "%15s %15s %15s %15s %15s %15s %15s %15s", w[0], w[1], w[2],
				w[3], w[4], w[5], w[6], w[7]),
			 8);
	snprintf(bad, GD_CODENAME_MAX, "%s %sqx %s %s %s %s %szq %s", w[0], w[1], w[2], w[3], w[4],
		 w[5], w[6], w[7]);
}

/* No line of s is wider than 80 columns. */
static void fits_80(const char *s)
{
	for (const char *l = s; *l != '\0';) {
		const char *e = strchr(l, '\n');
		size_t n = e != NULL ? (size_t)(e - l) : strlen(l);
		ck_assert_msg(n <= 80, "%zu columns: %.*s", n, (int)n, l);
		l += n + (e != NULL);
	}
}

/* ---- 1. the codename first, three tries, never in the testimony ---- */

/* An error on a terminal is wrapped to its width between words (a tired reader does not piece
 * words cut at the edge together); to a file or a pipe it stays one line. */
START_TEST(errors_wrap_on_a_terminal)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1];
	term t;
	drop_up(&d, NULL, ks);
	const char *words = "127.0.0.1 is not an onion address, and ghostdrop connects only "
			    "through Tor: use the newsroom's onion address, or --proxy "
			    "127.0.0.1:9050 to reach this one through Tor";
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, "x", out, err, sizeof out,
				  "submit " SERVER " --no-reply", d.port, ks),
			 2);
	ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "%s", err); /* one line */
	ck_assert_msg(strstr(err, words) != NULL, "%s", err);
	term_start(&t, &d, "submit " SERVER " --no-reply", d.port, ks);
	ck_assert_msg(term_exit(&t, 20000), "still running: %s", t.seen);
	ck_assert_msg(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 2, "%s", t.seen);
	char joined[4096];
	size_t n = 0, lines = 0;
	for (const char *l = t.seen; *l;) {
		size_t w = strcspn(l, "\r\n");
		ck_assert_msg(w < 80, "%zu columns: %.*s", w, (int)w, l);
		const char *p = l;
		size_t k = w;
		if (lines > 0 && w >= 2 && p[0] == ' ' && p[1] == ' ') { /* a continuation */
			p += 2;
			k -= 2;
		}
		if (w > 0) {
			if (lines > 0)
				joined[n++] = ' ';
			ck_assert_uint_lt(n + k, sizeof joined);
			memcpy(joined + n, p, k);
			n += k;
			lines++;
		}
		l += w;
		while (*l == '\r' || *l == '\n')
			l++;
	}
	joined[n] = '\0';
	ck_assert_msg(lines >= 2, "%s", t.seen);
	ck_assert_msg(strstr(joined, words) != NULL, "%s", joined);
	term_close(&t);
	drop_destroy(&d);
}
END_TEST

/* A new codename on a terminal: shown once, then the screen is cleared when the worker says it is
 * written down, so it does not stay on a shared computer's screen or in its scrollback. */
START_TEST(new_codename_cleared_from_the_screen)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], msg[512];
	term t;
	drop_up(&d, NULL, ks);
	write_file(&d, "msg.txt", "The queue pays 1.40 an hour.\n", msg, sizeof msg);
	term_start(&t, &d, "submit " SERVER " --clearnet --message-file %s", d.port, ks, msg);
	ck_assert_msg(term_expect(&t, "Press Enter", 60000), "%s", t.seen);
	ck_assert_msg(strstr(t.seen, "Your codename (shown only this once)") != NULL, "%s", t.seen);
	/* it waits: nothing cleared yet, still running */
	ck_assert(strstr(t.seen, "\033[2J") == NULL);
	term_expect(&t, "\x01never\x01", 300);
	ck_assert_msg(waitpid(t.pid, &t.status, WNOHANG) == 0, "did not wait: %s", t.seen);
	term_type(&t, "\n");
	ck_assert_msg(term_exit(&t, 10000), "still running: %s", t.seen);
	ck_assert_msg(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0, "%d %s", t.status, t.seen);
	const char *clear = strstr(t.seen, "\033[H\033[2J\033[3J");
	ck_assert_msg(clear != NULL, "%s", t.seen);
	ck_assert_msg(strstr(t.seen, "Press Enter") < clear, "%s", t.seen);
	/* the cleared screen still says that it worked (it was left empty) */
	ck_assert_msg(strstr(clear, "Your testimony reached the drop") != NULL, "%s", clear);
	ck_assert_msg(strstr(clear, "Your codename (shown") == NULL, "%s", clear);
	ck_assert_int_eq(drop_count_stored(&d), 1);
	term_close(&t);
	drop_destroy(&d);
}
END_TEST

START_TEST(codename_asked_first_three_tries)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], good[GD_CODENAME_MAX], bad[GD_CODENAME_MAX], line[256];
	term t;
	drop_up(&d, NULL, ks);
	codenames(good, bad);
	term_start(&t, &d, "submit " SERVER " --clearnet --codename", d.port, ks);
	ck_assert_msg(term_expect(&t, "Codename", 10000), "no codename prompt: %s", t.seen);
	/* asked before the testimony, with echo off */
	ck_assert_msg(strstr(t.seen, "testimony") == NULL, "testimony asked first: %s", t.seen);
	ck_assert(term_quiet(&t));
	snprintf(line, sizeof line, "%s\n", bad);
	term_type(&t, line);
	/* every bad word named by its position, with the nearest list word; never the typed one */
	ck_assert_msg(term_expect(&t, "2 tries left", 10000), "%s", t.seen);
	ck_assert_msg(strstr(t.seen, "codename word 2 is not in the word list") != NULL &&
			      strstr(t.seen, "codename word 7 is not in the word list") != NULL,
		      "%s", t.seen);
	ck_assert_msg(strstr(t.seen, "did you mean \"") != NULL, "%s", t.seen);
	ck_assert_msg(strstr(t.seen, "qx") == NULL && strstr(t.seen, "zq") == NULL, "%s", t.seen);
	ck_assert(term_expect(&t, "Codename", 5000) && term_quiet(&t));
	snprintf(line, sizeof line, "%s\n", good);
	term_type(&t, line);
	ck_assert_msg(term_expect(&t, "Type your testimony", 20000), "%s", t.seen);
	ck_assert(term_echo(&t));
	term_type(&t, "The night shift labels faces for a client we may not name.\n\x04");
	ck_assert_msg(term_exit(&t, 60000), "still running: %s", t.seen);
	ck_assert_msg(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0, "%d %s", t.status, t.seen);
	ck_assert_msg(strstr(t.seen, "reached the drop") != NULL, "%s", t.seen);
	ck_assert(strstr(t.seen, good) == NULL);
	term_close(&t);
	ck_assert_uint_eq(drop_count_stored(&d), 1);

	/* three bad tries: stop, nothing asked after, nothing sent */
	term_start(&t, &d, "submit " SERVER " --clearnet --codename", d.port, ks);
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(term_expect(&t, "Codename", 10000), "%s", t.seen);
		ck_assert(term_quiet(&t));
		t.seen[0] = '\0';
		t.len = 0;
		term_type(&t, i == 1 ? "zoom abacus\n"
				     : "zoologst zoom abacus yo-yo able ablaze abide felt-tip\n");
		if (i == 1)
			ck_assert_msg(term_expect(&t, "a codename is exactly 8 words; this has 2",
						  5000) &&
					      term_expect(&t, "try again (1 try left)", 5000),
				      "%s", t.seen);
	}
	ck_assert_msg(term_exit(&t, 30000), "still running: %s", t.seen);
	ck_assert_msg(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 2, "%d %s", t.status, t.seen);
	ck_assert_msg(strstr(t.seen, "codename word 1 is not in the word list; did you mean "
				     "\"zoologist\"?") != NULL,
		      "%s", t.seen);
	ck_assert_msg(strstr(t.seen, "not accepted after 3 tries; nothing was sent") != NULL, "%s",
		      t.seen);
	ck_assert(strstr(t.seen, "zoologst") == NULL && strstr(t.seen, "testimony") == NULL);
	fits_80(t.seen);
	term_close(&t);
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	drop_destroy(&d);
}
END_TEST

START_TEST(wrong_count_said)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], path[256];
	drop_up(&d, NULL, ks);
	write_file(&d, "code.txt", "zoom abacus\n", path, sizeof path);
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, "x", out, err, sizeof out,
				  "submit " SERVER " --clearnet --codename-file %s", d.port, ks,
				  path),
			 2);
	ck_assert_msg(strstr(err, "a codename is exactly 8 words; this has 2") != NULL, "%s", err);
	/* a file with two bad words: both named, each with its nearest word */
	write_file(&d, "code.txt", "zoologst zoom abacus yo-yo able ablaz abide felt-tip\n", path,
		   sizeof path);
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, "x", out, err, sizeof out,
				  "submit " SERVER " --clearnet --codename-file %s", d.port, ks,
				  path),
			 2);
	ck_assert_msg(strstr(err, "codename word 1 is not in the word list; did you mean "
				  "\"zoologist\"?") != NULL &&
			      strstr(err, "codename word 6 is not in the word list; did you mean "
					  "\"ablaze\"?") != NULL,
		      "%s", err);
	ck_assert_msg(strstr(err, "zoologst") == NULL && strstr(err, "ablaz ") == NULL, "%s", err);
	ck_assert_msg(strstr(err, "ghostdrop: check the codename in ") != NULL &&
			      strstr(err, "code.txt; nothing was sent\n") != NULL,
		      "%s", err);
	fits_80(err);
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	drop_destroy(&d);
}
END_TEST

START_TEST(testimony_with_the_codename_refused)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], good[GD_CODENAME_MAX], bad[GD_CODENAME_MAX], code[256],
		msg[256], text[1024];
	drop_up(&d, NULL, ks);
	codenames(good, bad);
	write_file(&d, "code.txt", good, code, sizeof code);
	/* the codename pasted into the testimony, in capitals and with punctuation */
	char up[GD_CODENAME_MAX];
	snprintf(up, sizeof up, "%s", good);
	for (char *p = up; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	snprintf(text, sizeof text, "My codename is: %s.\nWe label faces at night.\n", up);
	write_file(&d, "msg.txt", text, msg, sizeof msg);
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "submit " SERVER
				  " --clearnet --codename-file %s --message-file %s",
				  d.port, ks, code, msg),
			 2);
	ck_assert_msg(strstr(err, "the testimony contains 8 of your codename's words") != NULL,
		      "%s", err);
	ck_assert_msg(strstr(err, "ghostdrop: take the codename out of the testimony; nothing was "
				  "sent\n") != NULL,
		      "%s", err);
	fits_80(err);
	/* from standard input too */
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, text, out, err, sizeof out,
				  "submit " SERVER " --clearnet --codename-file %s", d.port, ks,
				  code),
			 2);
	ck_assert_msg(strstr(err, "the testimony contains 8 of your codename's words") != NULL,
		      "%s", err);
	ck_assert_uint_eq(drop_count_stored(&d), 0);

	/* typed on a terminal: said why, and typed again without it */
	term t;
	term_start(&t, &d, "submit " SERVER " --clearnet --codename", d.port, ks);
	ck_assert_msg(term_expect(&t, "Codename", 10000) && term_quiet(&t), "%s", t.seen);
	snprintf(text, sizeof text, "%s\n", good);
	term_type(&t, text);
	ck_assert_msg(term_expect(&t, "Type your testimony", 20000), "%s", t.seen);
	snprintf(text, sizeof text, "%s\n\x04", good);
	term_type(&t, text);
	ck_assert_msg(term_expect(&t,
				  "Type it again without them (Ctrl-C stops; nothing was "
				  "sent).",
				  10000),
		      "%s", t.seen);
	ck_assert_msg(strstr(t.seen, "the testimony contains 8 of your codename's words") != NULL,
		      "%s", t.seen);
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	term_type(&t, "Only the facts this time.\n\x04");
	ck_assert_msg(term_exit(&t, 60000), "still running: %s", t.seen);
	ck_assert_msg(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0, "%d %s", t.status, t.seen);
	term_close(&t);
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	drop_destroy(&d);
}
END_TEST

/* ---- 3. Ctrl-C at the hidden prompt ---- */

START_TEST(ctrl_c_at_hidden_prompt)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1];
	term t;
	drop_up(&d, NULL, ks);
	term_start(&t, &d, "replies " SERVER " --clearnet --codename", d.port, ks);
	ck_assert_msg(term_expect(&t, "Codename", 10000), "%s", t.seen);
	ck_assert(term_quiet(&t));
	term_type(&t, "zoom aba");
	term_type(&t, "\x03");
	/* stops at once (killed by SIGINT, 130 in a shell), the terminal echoes again */
	ck_assert_msg(term_exit(&t, 3000), "still waiting after Ctrl-C: %s", t.seen);
	ck_assert_msg(WIFSIGNALED(t.status) && WTERMSIG(t.status) == SIGINT, "status %d", t.status);
	ck_assert(term_echo(&t));
	term_close(&t);
	drop_destroy(&d);
}
END_TEST

/* A handler of the program that returns (it does not stop the program): the prompt ends with
 * -2, echo back on, nothing kept of what was typed. */
static volatile sig_atomic_t caught;
static void note_signal(int sig)
{
	caught = sig;
}

START_TEST(prompt_interrupted_by_a_returning_handler)
{
	term t;
	memset(&t, 0, sizeof t);
	ck_assert_int_eq(openpty(&t.master, &t.slave, NULL, NULL, NULL), 0);
	t.pid = fork();
	ck_assert_int_ge(t.pid, 0);
	if (t.pid == 0) {
		setsid();
		ioctl(t.slave, TIOCSCTTY, 0);
		dup2(t.slave, 0);
		dup2(t.slave, 1);
		dup2(t.slave, 2);
		close(t.master);
		signal(SIGINT, note_signal);
		char buf[64];
		memset(buf, 'x', sizeof buf);
		int rc = gd_prompt_secret("Secret: ", buf, sizeof buf);
		int wiped = buf[0] == '\0' && buf[3] == '\0';
		/* the program's handler ran, and is in place again */
		struct sigaction now;
		sigaction(SIGINT, NULL, &now);
		_exit(rc == -2 && caught == SIGINT && wiped && now.sa_handler == note_signal ? 0
											     : 1);
	}
	ck_assert_msg(term_expect(&t, "Secret: ", 10000), "%s", t.seen);
	ck_assert(term_quiet(&t));
	term_type(&t, "abc");
	term_type(&t, "\x03");
	ck_assert_msg(term_exit(&t, 3000), "still waiting after Ctrl-C");
	ck_assert_msg(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0, "status %d", t.status);
	ck_assert(term_echo(&t));
	term_close(&t);
}
END_TEST

/* ---- 4. conventions ---- */

START_TEST(version_help_and_mistakes_first)
{
	drop d;
	memset(&d, 0, sizeof d);
	snprintf(d.dir, sizeof d.dir, "/tmp/gd-flow-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d.dir));
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "--version"), 0);
	ck_assert_str_eq(out, "ghostdrop " GD_VERSION "\n");
	/* help: a one-line description first, the commands, all within 80 columns */
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "help"), 0);
	ck_assert_msg(strncmp(out, "ghostdrop: send a testimony", 27) == 0, "%s", out);
	ck_assert(strstr(out, "ghostdrop help COMMAND") != NULL);
	fits_80(out);
	char general[sizeof out];
	memcpy(general, out, sizeof out);
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "--help"), 0);
	ck_assert_str_eq(out, general);
	/* per-command help, however asked */
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "help submit"), 0);
	ck_assert_msg(strncmp(out, "usage: ghostdrop submit", 23) == 0, "%s", out);
	ck_assert(strstr(out, "--codename-out") != NULL && strstr(out, "--ack") == NULL);
	/* what --state-dir is for, as the worker's guide says: continuing an interrupted upload */
	ck_assert_msg(strstr(out, "interrupted upload is kept to continue") != NULL, "%s", out);
	fits_80(out);
	char sub[sizeof out];
	memcpy(sub, out, sizeof out);
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "submit --help"), 0);
	ck_assert_str_eq(out, sub);
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "submit --server http://x.onion -h"),
			 0);
	ck_assert_str_eq(out, sub);
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "help replies"), 0);
	ck_assert_msg(strncmp(out, "usage: ghostdrop replies", 24) == 0, "%s", out);
	ck_assert(strstr(out, "--ack") != NULL && strstr(out, "--codename-out") == NULL);
	fits_80(out);
	/* no command: the usage on stderr, exit 2 */
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, " "), 2);
	ck_assert_msg(strstr(err, "ghostdrop help") != NULL, "%s", err);
	fits_80(err);
	/* the command and the options are checked before the required options */
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "sumbit"), 2);
	ck_assert_str_eq(err, "ghostdrop: unknown command; did you mean \"submit\"? "
			      "(see ghostdrop help)\n");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "frobnicate"), 2);
	ck_assert_str_eq(err, "ghostdrop: unknown command: the commands are submit, replies "
			      "and help\n");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "help sumbit"), 2);
	ck_assert_msg(strstr(err, "did you mean \"submit\"") != NULL, "%s", err);
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "submit --frob=zoom"),
			 2);
	ck_assert_str_eq(err, "ghostdrop: unknown option --frob (see ghostdrop help submit)\n");
	/* a mistyped option gets the nearest one */
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "submit --newsrom gdnk1x --server x.onion"),
			 2);
	ck_assert_str_eq(err, "ghostdrop: unknown option --newsrom; did you mean --newsroom? (see "
			      "ghostdrop help submit)\n");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "replies -x"), 2);
	ck_assert_str_eq(err, "ghostdrop: unknown option -x (see ghostdrop help replies)\n");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "submit --server"), 2);
	ck_assert_str_eq(err, "ghostdrop: --server needs a value (see ghostdrop help submit)\n");
	ck_assert_int_eq(
		drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "replies --message-file m"), 2);
	ck_assert_str_eq(err, "ghostdrop: --message-file is for submit, not replies\n");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "submit --json=yes"),
			 2);
	ck_assert_str_eq(err, "ghostdrop: --json takes no value (see ghostdrop help submit)\n");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "--server http://x.onion submit"),
			 2);
	ck_assert_str_eq(err, "ghostdrop: the command comes first: ghostdrop submit ... or "
			      "ghostdrop replies ... (see ghostdrop help)\n");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "submit --ack"), 2);
	ck_assert_str_eq(err, "ghostdrop: --ack is for replies, not submit\n");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "submit"), 2);
	ck_assert_msg(strstr(err, "--server URL and --newsroom KEY are required") != NULL, "%s",
		      err);
	/* 2. the codename on replies' command line: recognised, never repeated */
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "replies --server http://x.onion --newsroom k --codename zoom "
				  "abacus yo-yo able ablaze abide zoologist felt-tip"),
			 2);
	ck_assert_str_eq(err, "ghostdrop: --codename takes no value: type the codename at its "
			      "prompt. If it was your codename, it is now in this terminal's "
			      "history: run history -c and close the terminal\n");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "replies --codename='zoom abacus yo-yo able ablaze abide "
				  "zoologist felt-tip'"),
			 2);
	ck_assert_str_eq(err, "ghostdrop: --codename takes no value: type the codename at its "
			      "prompt. If it was your codename, it is now in this terminal's "
			      "history: run history -c and close the terminal\n");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "replies --server http://x.onion --newsroom k f.txt"),
			 2);
	ck_assert_str_eq(err, "ghostdrop: replies takes no files\n");
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf %s", d.dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- 5. replies: ISO days, and the wording once acknowledged ---- */

START_TEST(replies_iso_days_and_after_ack)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], code[256];
	drop_up(&d, NULL, ks);
	snprintf(code, sizeof code, "%s/code.txt", d.dir);
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, "hello", out, err, sizeof out,
				  "submit " SERVER " --clearnet --codename-out %s", d.port, ks,
				  code),
			 0);
	gd_source_keys *src = source_of_codename_file(&d, code);
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "replies " SERVER " --clearnet --codename-file %s", d.port, ks,
				  code),
			 0);
	ck_assert_msg(strstr(err, "No replies are waiting") != NULL, "%s", err);
	/* read on a screen: how to answer is said; with --ack, that the replies were deleted */
	push_reply(&d, src, "Did they change the rates?");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "replies " SERVER " --clearnet --codename-file %s", d.port, ks,
				  code),
			 0);
	ck_assert_msg(strstr(out, "Did they change the rates?") != NULL, "%s", out);
	ck_assert_msg(strstr(err, "To answer, send a follow-up: ghostdrop submit") != NULL &&
			      strstr(err, "with --codename") != NULL &&
			      strstr(err, "deleted") == NULL,
		      "%s", err);
	fits_80(err);
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "replies " SERVER " --clearnet --codename-file %s --ack", d.port,
				  ks, code),
			 0);
	ck_assert_msg(strstr(err, "1 reply was deleted from the drop (--ack)") != NULL, "%s", err);
	fits_80(err);
	push_reply(&d, src, "Thank you. Which platform?");
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "replies " SERVER " --clearnet --codename-file %s --json --ack",
				  d.port, ks, code),
			 0);
	json_t *o = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(o);
	json_t *r0 = json_array_get(json_object_get(o, "replies"), 0);
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	ck_assert_msg(json_is_string(json_object_get(r0, "day")), "%s", out);
	ck_assert_str_eq(json_string_value(json_object_get(r0, "day")), today);
	json_decref(o);
	/* acknowledged replies are deleted from the drop: the empty case must not say "yet" */
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out,
				  "replies " SERVER " --clearnet --codename-file %s", d.port, ks,
				  code),
			 0);
	ck_assert_msg(strstr(err, "No replies yet") == NULL, "%s", err);
	ck_assert_msg(strstr(err, "No replies are waiting. Acknowledged replies (--ack) are "
				  "deleted from the drop.") != NULL,
		      "%s", err);
	fits_80(err);
	sodium_free(src);
	drop_destroy(&d);
}
END_TEST

/* ---- the codename helpers behind the messages (crypto/codename.c) ---- */

START_TEST(bad_words_all_named)
{
	int n;
	const char *s = "zoologst zoom abacus yo-yo able ablaz abide felt-tip";
	ck_assert_uint_eq(gd_codename_bad_words(s, strlen(s), &n), (1u << 0) | (1u << 5));
	ck_assert_int_eq(n, 8);
	s = "ZOOM abacus";
	ck_assert_uint_eq(gd_codename_bad_words(s, strlen(s), &n), 0);
	ck_assert_int_eq(n, 2);
	/* only in_len bytes are read; words past the eighth are counted, not looked up */
	s = "zoom qqq abacus";
	ck_assert_uint_eq(gd_codename_bad_words(s, 4, &n), 0);
	ck_assert_int_eq(n, 1);
	s = "a b c d e f g h zzzz";
	ck_assert_uint_eq(gd_codename_bad_words(s, strlen(s), &n), 0xff);
	ck_assert_int_eq(n, 9);
}
END_TEST

START_TEST(codename_words_in_text)
{
	const char *c = "zoom abacus yo-yo able ablaze abide zoologist felt-tip";
	const char *t = "My code: Zoom, ABACUS; yo-yo (able) ablaze abide zoologist felt-tip!";
	ck_assert_int_eq(gd_codename_words_in_text(c, t, strlen(t)), 8);
	t = "zoom abacus yo-yo";
	ck_assert_int_eq(gd_codename_words_in_text(c, t, strlen(t)), 3);
	t = "--zoom-- and then abacus, a yo-yo, able";
	ck_assert_int_eq(gd_codename_words_in_text(c, t, strlen(t)), 4);
	/* the same word many times is one word */
	t = "able able able able able able";
	ck_assert_int_eq(gd_codename_words_in_text(c, t, strlen(t)), 1);
	/* parts of longer words are not the words ("yoyo" is "yo-yo" written without its '-') */
	t = "zoomed abacuses yoyo capable";
	ck_assert_int_eq(gd_codename_words_in_text(c, t, strlen(t)), 1);
	/* common words far apart in a long text are not the codename */
	char longt[4096];
	size_t ln = 0;
	ln += (size_t)snprintf(longt + ln, sizeof longt - ln, "zoom ");
	for (int i = 0; i < 40; i++)
		ln += (size_t)snprintf(longt + ln, sizeof longt - ln, "word ");
	ln += (size_t)snprintf(longt + ln, sizeof longt - ln, "abacus ");
	for (int i = 0; i < 40; i++)
		ln += (size_t)snprintf(longt + ln, sizeof longt - ln, "word ");
	ln += (size_t)snprintf(longt + ln, sizeof longt - ln, "able ablaze");
	ck_assert_uint_lt(ln, sizeof longt);
	ck_assert_int_eq(gd_codename_words_in_text(c, longt, strlen(longt)), 2);
	/* only len bytes are read */
	t = "zoom abacus yo-yo able";
	ck_assert_int_eq(gd_codename_words_in_text(c, t, 11), 2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow");
	TCase *unit = tcase_create("codename");
	tcase_add_test(unit, bad_words_all_named);
	tcase_add_test(unit, codename_words_in_text);
	suite_add_tcase(s, unit);
	TCase *tc = tcase_create("cli");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, version_help_and_mistakes_first);
	tcase_add_test(tc, ctrl_c_at_hidden_prompt);
	tcase_add_test(tc, prompt_interrupted_by_a_returning_handler);
	tcase_add_test(tc, codename_asked_first_three_tries);
	tcase_add_test(tc, wrong_count_said);
	tcase_add_test(tc, testimony_with_the_codename_refused);
	tcase_add_test(tc, replies_iso_days_and_after_ack);
	tcase_add_test(tc, new_codename_cleared_from_the_screen);
	tcase_add_test(tc, errors_wrap_on_a_terminal);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
