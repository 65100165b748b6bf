/* ghostdrop client command lines: the one-line error convention ("PROG: message" on stderr),
 * and the process set-up both programs share. */
#include "cli.h"

#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "progress.h"

const char *cli_name = "ghostdrop";

/* On a terminal, a message longer than it is wrapped between words (continuation lines indented
 * by two spaces), so no word is cut at the edge; to a file or a pipe it stays one line. */
static void say_wrapped(const char *msg)
{
	int cols = isatty(STDERR_FILENO) ? progress_columns() : 0;
	size_t len = strlen(msg), room = cols > 20 ? (size_t)cols - 1 : len;
	for (size_t indent = 0; len > 0; indent = 2) {
		size_t cut = len;
		if (indent + len > room) {
			cut = room - indent;
			while (cut > 0 && msg[cut] != ' ')
				cut--;
			if (cut == 0) /* one word wider than the terminal: cut between characters */
				for (cut = room - indent;
				     cut > 1 && ((unsigned char)msg[cut] & 0xc0) == 0x80;)
					cut--;
		}
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
