/* ghostdrop client command lines: the one-line error convention ("PROG: message" on stderr),
 * and the process set-up both programs share. */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "cli.h"

#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <wchar.h>

#include "progress.h"

const char *cli_name = "ghostdrop";

/* The bytes of the UTF-8 character at s (1 for a stray byte), and the terminal columns it
 * takes: wcwidth's (LC_CTYPE, which ghostdrop takes from the locale), 1 where it cannot tell. */
static size_t char_at(const char *s, int *cols)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = u[0] < 0x80 ? 1 : u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc0 ? 2 : 1;
	uint32_t cp = n == 1 ? u[0] : u[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80) { /* cut short: one stray byte */
			*cols = 1;
			return 1;
		}
		cp = cp << 6 | (u[i] & 0x3f);
	}
	int w = wcwidth((wchar_t)cp);
	*cols = w >= 0 ? w : 1;
	return n;
}

/* On a terminal, a message wider than it is wrapped between words (continuation lines indented
 * by two spaces), so no word is cut at the edge; to a file or a pipe it stays one line. Widths
 * are display columns (a translation's accents take one, CJK two), never bytes. */
static void say_wrapped(const char *msg)
{
	int cols = isatty(STDERR_FILENO) ? progress_columns() : 0;
	size_t len = strlen(msg), room = cols > 20 ? (size_t)cols - 1 : (size_t)-1;
	for (size_t indent = 0; len > 0; indent = 2) {
		/* the most that fits (at least one character), then back to the last space */
		size_t cut = 0, space = 0, used = indent;
		int w;
		while (cut < len) {
			size_t k = char_at(msg + cut, &w);
			if (cut + k > len || (used + (size_t)w > room && cut > 0))
				break;
			if (msg[cut] == ' ')
				space = cut;
			used += (size_t)w;
			cut += k;
		}
		if (cut < len && msg[cut] != ' ' && space > 0)
			cut = space;
		fprintf(stderr, "%*s%.*s\n", (int)indent, "", (int)cut, msg);
		msg += cut;
		len -= cut;
		while (*msg == ' ') {
			msg++;
			len--;
		}
	}
}

int cli_die(int code, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;
	int n = snprintf(msg, sizeof msg, "%s: ", cli_name);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof msg)
		vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	say_wrapped(msg);
	sodium_memzero(msg, sizeof msg); /* it may name a file the worker sends */
	return code;
}

size_t cli_wipe(void *p)
{
	if (p == NULL)
		return 0;
	size_t n = malloc_usable_size(p);
	sodium_memzero(p, n);
	return n;
}

void cli_wipe_free(void *p)
{
	cli_wipe(p);
	free(p);
}

int cli_harden(void)
{
	const struct rlimit none = {0, 0};
	/* Blocks come from malloc itself, so a json_dumps result that a caller frees with free()
	 * stays valid (it is then not wiped: callers wipe what holds a secret first). */
	json_set_alloc_funcs(malloc, cli_wipe_free);
	if (setrlimit(RLIMIT_CORE, &none) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -1;
	return 0;
}
