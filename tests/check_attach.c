/* Integration tests of issue 16 section 1: the worker's attachments. A file the built-in
 * cleaner or mat2 can clean is always cleaned, whatever the flags; plain text goes as it is
 * when it really is text; neutral names; what was removed, shown and asked about on a
 * terminal, and in --json. The real ghostdrop against a real ghostdropd on 127.0.0.1. */
#define _GNU_SOURCE /* memmem */
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "attach.h"
#include "names.h"
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

static uint8_t *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	uint8_t *b = malloc(1 << 20);
	*n = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

/* The identifying strings of the samples (tests/samples/README.md). */
static const char *const leaks[] = {"Jane Worker", "GhostCam",      "SN-1234567",  "Exif",
				    "tEXt",        "jane's laptop", "label queue", NULL};

static void assert_no_leak(const membuf *data, const char *what)
{
	for (int i = 0; leaks[i]; i++)
		ck_assert_msg(memmem(data->buf, data->len, leaks[i], strlen(leaks[i])) == NULL,
			      "%s: %s arrived", what, leaks[i]);
}

static const char csv[] = "day,queue,items,rate\n2026-11-30,7,412,0.31\n";

/* Reproduced: a photo with GPS and a CSV; the CSV was refused with "pass --keep-metadata",
 * and following that advice sent the photo with its GPS position, serial and author. Now
 * every spelling of the opt-out, with every other flag of this section, sends both, the photo
 * cleaned. */
START_TEST(cleanable_always_cleaned)
{
	drop d;
	char jpg[512], png[512], rates[512];
	drop_up(&d, NULL, keystring);
	snprintf(jpg, sizeof jpg, "%s/exif-gps.jpg", SAMPLES);
	snprintf(png, sizeof png, "%s/text-exif.png", SAMPLES);
	snprintf(rates, sizeof rates, "%s/rates.csv", d.dir);
	write_bytes(rates, csv, strlen(csv));
	/* J the photo, P the PNG, C the CSV */
	static const char *const keeps[] = {
		"--keep-metadata J P C", /* the old advice: names the photo */
		"J P C",
		"J P C --keep-metadata",            /* the old bare spelling */
		"--keep-metadata --no-reply J P C", /* bare, before another option */
		"--keep-metadata=J J P C",          /* names the photo */
		"--keep-metadata J --keep-metadata P --keep-metadata C",
	};
	static const char *const extra[] = {"", "--keep-names", "--yes", "--keep-names --yes",
					    "--json"};
	size_t runs = 0;
	for (size_t k = 0; k < sizeof keeps / sizeof keeps[0]; k++)
		for (size_t e = 0; e < sizeof extra / sizeof extra[0]; e++) {
			char files[2048] = "", args[4096];
			for (const char *t = keeps[k]; *t; t++) {
				const char *put = *t == 'J'   ? jpg
						  : *t == 'P' ? png
						  : *t == 'C' ? rates
							      : NULL;
				size_t at = strlen(files);
				if (put != NULL)
					snprintf(files + at, sizeof files - at, "%s", put);
				else
					snprintf(files + at, sizeof files - at, "%c", *t);
			}
			snprintf(args, sizeof args, "submit " SERVER " --no-reply %s %s", d.port,
				 keystring, extra[e], files);
			int rc = gd(&d, "the queue", "%s", args);
			ck_assert_msg(rc == 0, "%s: exit %d: %s", args, rc, err);
			runs++;
			drop_stored st;
			drop_fetch_all(&d, &st);
			ck_assert_uint_eq(st.n, runs);
			for (size_t i = 0; i < st.n; i++)
				assert_no_leak(&st.s[i].data, args);
			drop_stored_free(&st);
		}
	drop_stored st;
	drop_fetch_all(&d, &st);
	for (size_t i = 0; i < st.n; i++) {
		ck_assert_uint_eq(st.s[i].m.n_attachments, 3);
		uint64_t jl = st.s[i].m.attachments[0].size, pl = st.s[i].m.attachments[1].size;
		const uint8_t *b = st.s[i].data.buf;
		ck_assert(b[0] == 0xff && b[1] == 0xd8 && b[jl - 1] == 0xd9);
		ck_assert(memcmp(b + jl, "\x89PNG", 4) == 0);
		ck_assert_uint_eq(st.s[i].m.attachments[2].size, strlen(csv));
		ck_assert(memcmp(b + jl + pl, csv, strlen(csv)) == 0);
	}
	drop_stored_free(&st);
	drop_destroy(&d);
}
END_TEST

static int has_item(json_t *removed, const char *what)
{
	size_t i;
	json_t *v;
	json_array_foreach (removed, i, v)
		if (strcmp(json_string_value(v), what) == 0)
			return 1;
	return 0;
}

/* What was removed is found and reported: --json's per-file information. */
START_TEST(removed_reported_in_json)
{
	drop d;
	char jpg[512], png[512], rates[512], odt[512];
	drop_up(&d, NULL, keystring);
	snprintf(jpg, sizeof jpg, "%s/exif-gps.jpg", SAMPLES);
	snprintf(png, sizeof png, "%s/text-exif.png", SAMPLES);
	snprintf(odt, sizeof odt, "%s/author.odt", SAMPLES);
	snprintf(rates, sizeof rates, "%s/Rates Nov.CSV", d.dir);
	write_bytes(rates, csv, strlen(csv));
	ck_assert_int_eq(gd(&d, "the queue", "submit " SERVER " --no-reply --json %s %s '%s' %s",
			    d.port, keystring, jpg, png, rates, odt),
			 0);
	json_t *j = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	json_t *a = json_object_get(j, "attachments");
	ck_assert_uint_eq(json_array_size(a), 4);
	drop_stored st;
	drop_fetch_all(&d, &st);
	ck_assert_uint_eq(st.n, 1);
	static const char *const names[] = {"attachment-1.jpg", "attachment-2.png",
					    "attachment-3.csv", "attachment-4.odt"};
	static const char *const kinds[] = {"jpeg", "png", "text", "mat2"};
	for (size_t i = 0; i < 4; i++) {
		json_t *f = json_array_get(a, i);
		ck_assert_str_eq(json_string_value(json_object_get(f, "name")), names[i]);
		ck_assert_str_eq(st.s[0].m.attachments[i].name, names[i]);
		ck_assert_str_eq(json_string_value(json_object_get(f, "kind")), kinds[i]);
		ck_assert_uint_eq(json_integer_value(json_object_get(f, "size")),
				  st.s[0].m.attachments[i].size);
		ck_assert_ptr_null(json_object_get(f, "original")); /* names not kept */
		ck_assert(json_is_array(json_object_get(f, "removed")));
	}
	json_t *r0 = json_object_get(json_array_get(a, 0), "removed");
	ck_assert(has_item(r0, "GPS position") && has_item(r0, "camera serial") &&
		  has_item(r0, "author") && has_item(r0, "camera make and model") &&
		  has_item(r0, "comment") && has_item(r0, "thumbnail"));
	json_t *r1 = json_object_get(json_array_get(a, 1), "removed");
	ck_assert(has_item(r1, "author") && has_item(r1, "GPS position") &&
		  has_item(r1, "comment") && has_item(r1, "XMP"));
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(a, 2), "removed")), 0);
	ck_assert_uint_gt(json_array_size(json_object_get(json_array_get(a, 3), "removed")), 0);
	json_decref(j);
	drop_stored_free(&st);
	/* --keep-names: the real names travel, and --json says so */
	ck_assert_int_eq(gd(&d, "again", "submit " SERVER " --no-reply --json --keep-names '%s'",
			    d.port, keystring, rates),
			 0);
	j = json_loads(out, 0, NULL);
	json_t *f = json_array_get(json_object_get(j, "attachments"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(f, "name")), "Rates Nov.CSV");
	ck_assert_str_eq(json_string_value(json_object_get(f, "original")), "Rates Nov.CSV");
	json_decref(j);
	drop_destroy(&d);
}
END_TEST

/* Plain-text formats go without a refusal; a file only named like text is refused. */
START_TEST(plain_text_accepted_fake_text_refused)
{
	drop d;
	char p[6][512], odt[512], fake[512], nul[512], latin[512];
	drop_up(&d, NULL, keystring);
	static const char *const ext[] = {"csv", "tsv", "txt", "md", "json", "log"};
	static const char *const body[] = {csv,
					   "a\tb\n1\t2\n",
					   "plain words\n",
					   "# Notes\n\n* café ünïcode\n",
					   "{\"k\": [1, 2]}\n",
					   "2026-11-30 09:12 queue 7 stalled\r\n"};
	char args[4096] = "";
	size_t an = 0;
	for (int i = 0; i < 6; i++) {
		snprintf(p[i], sizeof p[i], "%s/file%d.%s", d.dir, i, ext[i]);
		write_bytes(p[i], body[i], strlen(body[i]));
		int k = snprintf(args + an, sizeof args - an, " %s", p[i]);
		ck_assert(k > 0 && (size_t)k < sizeof args - an);
		an += (size_t)k;
	}
	ck_assert_int_eq(gd(&d, "notes", "submit " SERVER " --no-reply%s", d.port, keystring, args),
			 0);
	drop_stored st;
	drop_fetch_all(&d, &st);
	ck_assert_uint_eq(st.n, 1);
	size_t at = 0;
	for (int i = 0; i < 6; i++) {
		ck_assert_uint_eq(st.s[0].m.attachments[i].size, strlen(body[i]));
		ck_assert(memcmp(st.s[0].data.buf + at, body[i], strlen(body[i])) == 0);
		at += strlen(body[i]);
	}
	drop_stored_free(&st);
	/* a document renamed .txt; a CSV with a NUL byte; Latin-1 text: refused, nothing sent */
	snprintf(odt, sizeof odt, "%s/author.odt", SAMPLES);
	snprintf(fake, sizeof fake, "%s/notes.txt", d.dir);
	size_t n;
	uint8_t *b = read_all(odt, &n);
	write_bytes(fake, b, n);
	free(b);
	snprintf(nul, sizeof nul, "%s/nul.csv", d.dir);
	write_bytes(nul, "a,b\n1,\0\n", 8);
	snprintf(latin, sizeof latin, "%s/latin.txt", d.dir);
	write_bytes(latin, "caf\xe9\n", 5);
	const char *bad[] = {fake, nul, latin};
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --no-reply %s %s", d.port,
				    keystring, p[0], bad[i]),
				 6);
		ck_assert_msg(strstr(err, "not plain text") != NULL, "%s", err);
		ck_assert(strstr(err, strrchr(bad[i], '/') + 1) != NULL);
		ck_assert_msg(strstr(err, "--keep-metadata") != NULL, "%s", err);
		/* what to do in words a worker can act on: no "remove it yourself" (how?) */
		ck_assert_msg(strstr(err, "cannot check") != NULL &&
				      strstr(err, "Send it only if you made it yourself") != NULL &&
				      strstr(err, "yourself, then") == NULL,
			      "%s", err);
		/* whatever the bare opt-out says */
		ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --no-reply --keep-names %s %s",
				    d.port, keystring, p[0], bad[i]),
				 6);
	}
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	/* named, it goes as it is (it cannot be cleaned: not the format its name says) */
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --no-reply --keep-metadata %s", d.port,
			    keystring, fake),
			 0);
	ck_assert_uint_eq(drop_count_stored(&d), 2);
	drop_destroy(&d);
}
END_TEST

/* A control character, a NUL or a byte that is not UTF-8 is found wherever it sits in a text,
 * which is read 8 printable bytes at a time where it can be: refused at each offset around
 * and across those 8 bytes, and at the end. */
START_TEST(odd_byte_anywhere_in_text_refused)
{
	drop d;
	char txt[512];
	static const struct {
		char byte;
		const char *said;
	} odd[] = {{'\033', "control characters"},
		   {'\177', "control characters"},
		   {'\0', "not plain text"},
		   {'\351', "not plain text"}};
	static const size_t at[] = {0, 5, 7, 8, 13, 15, 16, 38};
	drop_up(&d, NULL, keystring);
	snprintf(txt, sizeof txt, "%s/notes.txt", d.dir);
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
		for (size_t j = 0; j < sizeof at / sizeof at[0]; j++) {
			char text[] = "queue 7 stalled at 09:12, labels lost!\n"; /* 39 + 1 */
			text[at[j]] = odd[i].byte;
			write_bytes(txt, text, sizeof text - 1);
			int rc = gd(&d, "x", "submit " SERVER " --no-reply %s", d.port, keystring,
				    txt);
			ck_assert_msg(rc == 6 && strstr(err, odd[i].said) != NULL,
				      "byte %#x at %zu: %d: %s", (unsigned char)odd[i].byte, at[j],
				      rc, err);
		}
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	drop_destroy(&d);
}
END_TEST

/* A damaged photo cannot be cleaned: refused unless named; a cleanable one next to it is
 * still cleaned. */
START_TEST(damaged_photo_only_when_named)
{
	drop d;
	char jpg[512], broken[512];
	drop_up(&d, NULL, keystring);
	snprintf(jpg, sizeof jpg, "%s/exif-gps.jpg", SAMPLES);
	snprintf(broken, sizeof broken, "%s/broken.jpg", d.dir);
	size_t n;
	uint8_t *b = read_all(jpg, &n);
	write_bytes(broken, b, n / 2);
	free(b);
	ck_assert_int_eq(
		gd(&d, "x", "submit " SERVER " --no-reply %s %s", d.port, keystring, jpg, broken),
		6);
	ck_assert(strstr(err, "damaged") != NULL && strstr(err, "--keep-metadata") != NULL);
	/* --keep-metadata=FILE names a file that must be attached; a missing one is said */
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --no-reply --keep-metadata=%s %s", d.port,
			    keystring, broken, jpg),
			 2);
	ck_assert(strstr(err, "not one of the files to send") != NULL);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --no-reply --keep-metadata=%s/gone %s",
			    d.port, keystring, d.dir, jpg),
			 6);
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --no-reply --json %s --keep-metadata %s",
			    d.port, keystring, jpg, broken),
			 0);
	json_t *j = json_loads(out, 0, NULL);
	json_t *f = json_array_get(json_object_get(j, "attachments"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(f, "kind")), "as_is");
	json_decref(j);
	drop_stored st;
	drop_fetch_all(&d, &st);
	ck_assert_uint_eq(st.n, 1);
	ck_assert_uint_eq(st.s[0].m.attachments[1].size, n / 2);
	/* the first file, the cleanable one, was cleaned; the named broken one went as is */
	membuf first = {.buf = st.s[0].data.buf, .len = st.s[0].m.attachments[0].size};
	assert_no_leak(&first, "photo");
	drop_stored_free(&st);
	drop_destroy(&d);
}
END_TEST

/* Neutral names by default, the extension kept (lower-cased); the desk saves them as such. */
START_TEST(neutral_names)
{
	drop d;
	char shot[512], noext[512];
	drop_up(&d, NULL, keystring);
	snprintf(shot, sizeof shot, "%s/Captura de pantalla 2026-11-30 a las 9.12 (señal).PNG",
		 d.dir);
	size_t n;
	char png[512];
	snprintf(png, sizeof png, "%s/text-exif.png", SAMPLES);
	uint8_t *b = read_all(png, &n);
	write_bytes(shot, b, n);
	free(b);
	snprintf(noext, sizeof noext, "%s/README", d.dir);
	write_bytes(noext, "plain\n", 6);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --no-reply '%s' %s --keep-metadata", d.port,
			    keystring, shot, noext),
			 0);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --no-reply --keep-names '%s'", d.port,
			    keystring, shot),
			 0);
	drop_stored st;
	drop_fetch_all(&d, &st);
	ck_assert_uint_eq(st.n, 2);
	int neutral = st.s[0].m.n_attachments == 2 ? 0 : 1;
	ck_assert_str_eq(st.s[neutral].m.attachments[0].name, "attachment-1.png");
	ck_assert_str_eq(st.s[neutral].m.attachments[0].type, "image/png");
	ck_assert_str_eq(st.s[neutral].m.attachments[1].name, "attachment-2");
	ck_assert_str_eq(st.s[1 - neutral].m.attachments[0].name,
			 "Captura de pantalla 2026-11-30 a las 9.12 (señal).PNG");
	/* the desk's file names (names_safe) keep the neutral names as they are */
	char saved[256];
	names_safe(saved, sizeof saved, st.s[neutral].m.attachments[0].name, 0);
	ck_assert_str_eq(saved, "attachment-1.png");
	names_safe(saved, sizeof saved, st.s[neutral].m.attachments[1].name, 1);
	ck_assert_str_eq(saved, "attachment-2");
	drop_stored_free(&st);
	drop_destroy(&d);
}
END_TEST

/* Run ghostdrop on a pseudo-terminal; answer `say` once `wait` has appeared (wait NULL: no
 * answer). Everything shown into pout. The exit code, -1 on a timeout. */
static char pout[65536];
static unsigned short pty_cols; /* the terminal's width, 0: the pty's default */
static int on_pty(const drop *d, const char *wait, const char *say, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int on_pty(const drop *d, const char *wait, const char *say, const char *fmt, ...)
{
	char args[4096], cmd[4608];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "exec %s %s", GHOSTDROP, args);
	int fd;
	size_t len = 0;
	struct winsize ws = {.ws_row = 24, .ws_col = pty_cols};
	pid_t pid = forkpty(&fd, NULL, NULL, pty_cols != 0 ? &ws : NULL);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (chdir(d->dir) != 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	pout[0] = '\0';
	time_t end = time(NULL) + 60;
	while (time(NULL) < end) {
		if (wait != NULL && strstr(pout, wait) != NULL) {
			ck_assert_int_eq(write(fd, say, strlen(say)), (ssize_t)strlen(say));
			wait = NULL;
		}
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

/* On a terminal: the preview names what will be sent and what was removed, then asks; a "no"
 * sends nothing and removes the codename file; --yes does not ask. */
START_TEST(preview_and_confirm_on_a_terminal)
{
	drop d;
	char jpg[512], rates[512], msg[512], code[512];
	drop_up(&d, NULL, keystring);
	snprintf(jpg, sizeof jpg, "%s/exif-gps.jpg", SAMPLES);
	snprintf(rates, sizeof rates, "%s/rates.csv", d.dir);
	write_bytes(rates, csv, strlen(csv));
	snprintf(msg, sizeof msg, "%s/message.txt", d.dir);
	write_bytes(msg, "the queue\n", 10);
	snprintf(code, sizeof code, "%s/codename.txt", d.dir);
	char esc[512]; /* a name that would retitle the terminal */
	snprintf(esc, sizeof esc, "%s/x\033]0;owned\007.txt", d.dir);
	write_bytes(esc, "x\n", 2);
	int rc = on_pty(&d, "[y/N]", "n\r",
			"submit " SERVER " --message-file %s --codename-out %s %s %s 'x'*.txt",
			d.port, keystring, msg, code, jpg, rates);
	ck_assert_msg(rc == 7, "exit %d: %s", rc, pout);
	ck_assert_msg(strstr(pout, "attachment-1.jpg") && strstr(pout, "attachment-2.csv") &&
			      strstr(pout, "GPS position") && strstr(pout, "camera serial") &&
			      strstr(pout, "author") && strstr(pout, "(your exif-gps.jpg)") &&
			      strstr(pout, "43 bytes") && strstr(pout, "Send these? [y/N]") &&
			      strstr(pout, "nothing was sent"),
		      "%s", pout);
	ck_assert(strstr(pout, "attachment-3.txt") && !strstr(pout, "\033]0;"));
	ck_assert_int_ne(access(code, F_OK), 0); /* no codename left for a testimony not sent */
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	/* a yes sends */
	rc = on_pty(&d, "[y/N]", "y\r",
		    "submit " SERVER " --message-file %s --codename-out %s --keep-names %s", d.port,
		    keystring, msg, code, rates);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, pout);
	ck_assert(strstr(pout, "rates.csv") != NULL);
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	ck_assert_int_eq(access(code, F_OK), 0);
	unlink(code);
	/* --yes: the preview, no question */
	rc = on_pty(&d, NULL, NULL, "submit " SERVER " --message-file %s --no-reply --yes %s",
		    d.port, keystring, msg, jpg);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, pout);
	ck_assert(strstr(pout, "GPS position") != NULL && strstr(pout, "[y/N]") == NULL);
	ck_assert_uint_eq(drop_count_stored(&d), 2);
	/* on a 60-column terminal the list wraps at its width, between words */
	pty_cols = 60;
	rc = on_pty(&d, NULL, NULL, "submit " SERVER " --message-file %s --no-reply --yes %s",
		    d.port, keystring, msg, jpg);
	pty_cols = 0;
	ck_assert_msg(rc == 0, "exit %d: %s", rc, pout);
	ck_assert(strstr(pout, "GPS position") != NULL);
	const char *from = strstr(pout, "attachment-1");
	ck_assert_ptr_nonnull(from);
	const char *to = strstr(from, "Your testimony"); /* the list, up to the result */
	ck_assert_ptr_nonnull(to);
	for (const char *l = from; l < to;) {
		size_t w = strcspn(l, "\r\n");
		ck_assert_msg(w < 60, "%zu columns: %.*s", w, (int)w, l);
		l += w + 1;
	}
	drop_destroy(&d);
}
END_TEST

/* strip.c's report on the samples, and on thousands of damaged copies of them (bytes
 * changed, cut short): never a read outside the file's bytes (ASan), the same answer twice. */
START_TEST(strip_reports_and_survives_damage)
{
	static const char *const sample[] = {"exif-gps.jpg", "text-exif.png"};
	static const unsigned want[] = {
		STRIP_F_GPS | STRIP_F_SERIAL | STRIP_F_AUTHOR | STRIP_F_CAMERA | STRIP_F_THUMBNAIL |
			STRIP_F_XMP | STRIP_F_IPTC | STRIP_F_COMMENT,
		STRIP_F_GPS | STRIP_F_AUTHOR | STRIP_F_XMP | STRIP_F_COMMENT | STRIP_F_DATES};
	char path[512], tmp[] = "/tmp/gd-attach-XXXXXX";
	int fd = mkstemp(tmp);
	ck_assert_int_ge(fd, 0);
	unlink(tmp);
	for (int k = 0; k < 2; k++) {
		size_t n;
		snprintf(path, sizeof path, "%s/%s", SAMPLES, sample[k]);
		uint8_t *orig = read_all(path, &n), *b = malloc(n);
		uint64_t size;
		unsigned found = 0;
		ck_assert_int_eq(pwrite(fd, orig, n, 0), (ssize_t)n);
		ck_assert_int_eq(
			strip_run_found(fd, k ? STRIP_PNG : STRIP_JPEG, NULL, NULL, &size, &found),
			0);
		ck_assert_msg((found & want[k]) == want[k], "%s: %#x", sample[k], found);
		for (int round = 0; round < 3000; round++) {
			memcpy(b, orig, n);
			size_t len = round % 4 == 0 ? randombytes_uniform((uint32_t)n) : n;
			for (uint32_t j = 1 + randombytes_uniform(6); j > 0; j--)
				b[randombytes_uniform((uint32_t)n)] =
					(uint8_t)randombytes_uniform(256);
			ck_assert_int_eq(ftruncate(fd, 0), 0);
			ck_assert_int_eq(pwrite(fd, b, len, 0), (ssize_t)len);
			unsigned f1 = 0, f2 = 0;
			uint64_t s1 = 0, s2 = 0;
			int r1 = strip_run_found(fd, k ? STRIP_PNG : STRIP_JPEG, NULL, NULL, &s1,
						 &f1);
			int r2 = strip_run_found(fd, k ? STRIP_PNG : STRIP_JPEG, NULL, NULL, &s2,
						 &f2);
			ck_assert(r1 == r2 && s1 == s2 && f1 == f2);
		}
		free(orig);
		free(b);
	}
	close(fd);
}
END_TEST

/* Sizes as people read them, in the preview. */
START_TEST(human_sizes)
{
	char b[32];
	ck_assert_str_eq(attach_human_size(0, b, sizeof b), "0 bytes");
	ck_assert_str_eq(attach_human_size(1, b, sizeof b), "1 byte");
	ck_assert_str_eq(attach_human_size(1023, b, sizeof b), "1023 bytes");
	ck_assert_str_eq(attach_human_size(1024, b, sizeof b), "1.0 KiB");
	ck_assert_str_eq(attach_human_size(14540, b, sizeof b), "14.2 KiB");
	ck_assert_str_eq(attach_human_size(214010675, b, sizeof b), "204.1 MiB");
	ck_assert_str_eq(attach_human_size(3ull << 30, b, sizeof b), "3.0 GiB");
}
END_TEST

/* "Send these? [y/N]" in the worker's language takes its own word for yes (sí, oui, ndiyo...)
 * as well as y or yes; a word of another language is not a yes, and neither is n, even in
 * Swahili, whose yes (ndiyo) starts with it. */
START_TEST(yes_in_the_workers_language)
{
	static const struct {
		const char *lang, *say;
		int rc;
	} cases[] = {{"es", "s\xc3\xad\r", 0},     {"es", "Si\r", 0},        {"pt_BR", "sim\r", 0},
		     {"fr", "OUI\r", 0},           {"fil", "oo\r", 0},       {"sw", "ndiyo\r", 0},
		     {"sw", "yes\r", 0},           {"sw", "n\r", 7},         {"sw", "no\r", 7},
		     {"fr", "non\r", 7},           {"en", "s\xc3\xad\r", 7}, {"es", "oui\r", 7},
		     {"pt_BR", "\r", 7},           {"sw", "hapana\r", 7},    {"fil", "hindi\r", 7},
		     {"pt_BR", "n\xc3\xa3o\r", 7}, {"es", "no\r", 7}};
	drop d;
	char msg[512], rates[512];
	drop_up(&d, NULL, keystring);
	ck_assert_int_eq(setenv("GHOSTDROP_LOCALEDIR", PO_DIR, 1), 0);
	snprintf(msg, sizeof msg, "%s/message.txt", d.dir);
	write_bytes(msg, "the queue\n", 10);
	snprintf(rates, sizeof rates, "%s/rates.csv", d.dir);
	write_bytes(rates, csv, strlen(csv));
	size_t stored = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = on_pty(&d, "[y/N]", cases[i].say,
				"submit " SERVER " --lang %s --message-file %s --no-reply %s",
				d.port, keystring, cases[i].lang, msg, rates);
		ck_assert_msg(rc == cases[i].rc, "--lang %s, answer %s: exit %d: %s", cases[i].lang,
			      cases[i].say, rc, pout);
		stored += cases[i].rc == 0;
		ck_assert_uint_eq(drop_count_stored(&d), stored);
	}
	unsetenv("GHOSTDROP_LOCALEDIR");
	drop_destroy(&d);
}
END_TEST

/* A long text attachment is searched for the codename in pieces that overlap: found where it
 * straddles the end of the first piece, and in a later one; a text without it is sent. */
START_TEST(codename_found_in_a_long_text)
{
	drop d;
	char code[512], msg[512], txt[512], words[GD_CODENAME_MAX];
	static const char line[] = "the queue at night, faces and labels\n"; /* 37 bytes */
	const size_t len = 700 * 1024, at[] = {256 * 1024 + 4096 - 20, 600 * 1024, 0};
	char *text = malloc(len);
	ck_assert_ptr_nonnull(text);
	drop_up(&d, NULL, keystring);
	ck_assert_int_eq(gd_codename_generate(words, sizeof words), GD_OK);
	snprintf(code, sizeof code, "%s/codename.txt", d.dir);
	write_bytes(code, words, strlen(words));
	snprintf(msg, sizeof msg, "%s/message.txt", d.dir);
	write_bytes(msg, "the queue\n", 10);
	snprintf(txt, sizeof txt, "%s/notes.txt", d.dir);
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		for (size_t o = 0; o < len; o++)
			text[o] = line[o % (sizeof line - 1)];
		if (at[i] > 0) /* the codename, a line of its own */
			memcpy(text + at[i], words, strlen(words));
		write_bytes(txt, text, len);
		int rc = gd(&d, "", "submit " SERVER " --codename-file %s --message-file %s %s",
			    d.port, keystring, code, msg, txt);
		if (at[i] > 0)
			ck_assert_msg(rc == 6 && strstr(err, "holds your codename") != NULL,
				      "at %zu: %d: %s", at[i], rc, err);
		else
			ck_assert_msg(rc == 0, "%d: %s", rc, err);
	}
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	free(text);
	drop_destroy(&d);
}
END_TEST

/* A codename whose words are far apart (halves 5,000 bytes of digits apart, newlines every
 * 100 bytes) counts as it does in one search of the whole text: within 16 runs of letters,
 * whatever lies between them. Pieces of 256 KiB overlapping by 4 KiB missed it when a piece's
 * end fell between the halves (the text was sent), and found it when it did not. */
START_TEST(codename_far_apart_across_pieces)
{
	drop d;
	char code[512], msg[512], txt[512], words[GD_CODENAME_MAX];
	const size_t len = 400 * 1000, at[] = {100 * 1000, 256 * 1024 - 200, 256 * 1024 - 900};
	char *text = malloc(len);
	ck_assert_ptr_nonnull(text);
	drop_up(&d, NULL, keystring);
	ck_assert_int_eq(gd_codename_generate(words, sizeof words), GD_OK);
	snprintf(code, sizeof code, "%s/codename.txt", d.dir);
	write_bytes(code, words, strlen(words));
	snprintf(msg, sizeof msg, "%s/message.txt", d.dir);
	write_bytes(msg, "the queue\n", 10);
	snprintf(txt, sizeof txt, "%s/figures.csv", d.dir); /* each half alone is sent */
	char *sp = strchr(words, ' ');
	sp = strchr(sp + 1, ' '); /* the first two words, then the next two: 4 together */
	ck_assert_ptr_nonnull(sp);
	char *end = strchr(strchr(sp + 1, ' ') + 1, ' ');
	ck_assert_ptr_nonnull(end);
	*end = '\0';
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		for (size_t o = 0; o < len; o++)
			text[o] = o % 100 == 99 ? '\n' : (char)('0' + o % 10);
		text[at[i] - 1] = ' ';
		memcpy(text + at[i], words, (size_t)(sp - words));
		text[at[i] + (size_t)(sp - words)] = ' ';
		size_t b = at[i] + 5000;
		text[b - 1] = ' ';
		memcpy(text + b, sp + 1, strlen(sp + 1));
		text[b + strlen(sp + 1)] = ' ';
		write_bytes(txt, text, len);
		int rc = gd(&d, "", "submit " SERVER " --codename-file %s --message-file %s %s",
			    d.port, keystring, code, msg, txt);
		ck_assert_msg(rc == 6 && strstr(err, "holds your codename") != NULL,
			      "at %zu: %d: %s", at[i], rc, err);
	}
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	free(text);
	drop_destroy(&d);
}
END_TEST

static Suite *attach_suite(void)
{
	Suite *s = suite_create("attach");
	TCase *tc = tcase_create("attach");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, human_sizes);
	tcase_add_test(tc, strip_reports_and_survives_damage);
	tcase_add_test(tc, cleanable_always_cleaned);
	tcase_add_test(tc, removed_reported_in_json);
	tcase_add_test(tc, plain_text_accepted_fake_text_refused);
	tcase_add_test(tc, damaged_photo_only_when_named);
	tcase_add_test(tc, neutral_names);
	tcase_add_test(tc, preview_and_confirm_on_a_terminal);
	tcase_add_test(tc, yes_in_the_workers_language);
	tcase_add_test(tc, codename_found_in_a_long_text);
	tcase_add_test(tc, codename_far_apart_across_pieces);
	tcase_add_test(tc, odd_byte_anywhere_in_text_refused);
	suite_add_tcase(s, tc);
	return s;
}

GD_CHECK_MAIN(attach_suite)
