/* ghostdrop client command lines: the one-line error convention ("PROG: message" on stderr),
 * and the process set-up both programs share. */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <wchar.h>

#include "i18n.h"

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

/* Write msg's len bytes as lines of at most room display columns, cut between words (a word
 * wider than room alone on its line, cut), continuation lines indented by indent; a newline
 * after the last unless nl is 0. Widths are display columns (a translation's accents take one,
 * CJK two), never bytes. */
static void wrap(FILE *f, size_t room, size_t indent, const char *msg, size_t len, int nl)
{
	for (size_t ind = 0; len > 0; ind = indent) {
		/* the most that fits (at least one character), then back to the last space */
		size_t cut = 0, space = 0, used = ind;
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
		size_t rest = cut;
		while (rest < len && msg[rest] == ' ')
			rest++;
		fprintf(f, "%*s%.*s%s", (int)ind, "", (int)cut, msg, rest < len || nl ? "\n" : "");
		msg += rest;
		len -= rest;
	}
}

/* The columns of the terminal f is, or 0 when f is not a terminal (a file, a pipe). */
static int term_columns(FILE *f)
{
	struct winsize ws;
	int fd = fileno(f);
	if (fd < 0 || !isatty(fd))
		return 0;
	return ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
}

/* On a terminal, a message wider than it is wrapped between words (continuation lines indented
 * by two spaces), so no word is cut at the edge; to a file or a pipe it stays one line. */
static void say_wrapped(const char *msg)
{
	int cols = term_columns(stderr);
	wrap(stderr, cols > 20 ? (size_t)cols - 1 : (size_t)-1, 2, msg, strlen(msg), 1);
}

void cli_say(FILE *f, const char *text)
{
	int cols = term_columns(f);
	if (cols <= 20) {
		fputs(text, f);
		return;
	}
	while (*text != '\0') {
		const char *eol = strchr(text, '\n');
		size_t n = eol != NULL ? (size_t)(eol - text) : strlen(text);
		if (n == 0)
			fputc('\n', f);
		else
			wrap(f, (size_t)cols - 1, 0, text, n, eol != NULL);
		text += n + (eol != NULL);
	}
}

void cli_say_para(FILE *f, const char *text)
{
	int cols = term_columns(f);
	if (cols <= 20) {
		fputs(text, f);
		return;
	}
	size_t room = cols > 81 ? 80 : (size_t)cols - 1;
	char *para = malloc(strlen(text) + 1); /* the text joined: never longer, NUL-ended */
	if (para == NULL) {
		fputs(text, f);
		return;
	}
	while (*text != '\0') {
		if (*text == '\n') { /* a blank line */
			fputc('\n', f);
			text++;
			continue;
		}
		/* the paragraph's lines joined by spaces, up to a blank line or the end */
		size_t n = 0;
		int nl = 0;
		while (*text != '\0') {
			size_t k = strcspn(text, "\n");
			if (n > 0)
				para[n++] = ' ';
			memcpy(para + n, text, k);
			n += k;
			text += k;
			nl = *text == '\n';
			text += nl;
			if (!nl || *text == '\n')
				break;
		}
		/* char_at may look past a cut-short last character: it stops here */
		para[n] = '\0';
		wrap(f, room, 0, para, n, nl);
	}
	free(para);
}

void cli_sayf(FILE *f, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cli_say(f, msg);
	sodium_memzero(msg, sizeof msg); /* it may name a file the worker sends */
}

const char *cli_strerror(int e)
{
	switch (e) {
	case ENOENT:
		/* TRANSLATORS: this and the next eleven: the system's reasons a file could not be
		   read or written, after its name ("hakuna.jpg: No such file or directory"). */
		return _("No such file or directory");
	case EACCES:
		return _("Permission denied");
	case EISDIR:
		return _("Is a directory");
	case ENOTDIR:
		return _("Not a directory");
	case ELOOP:
		return _("Too many levels of symbolic links");
	case ENAMETOOLONG:
		return _("File name too long");
	case EFBIG:
		return _("File too large");
	case ENOSPC:
		return _("No space left on device");
	case EROFS:
		return _("Read-only file system");
	case EMFILE:
		return _("Too many open files");
	case ENFILE:
		return _("Too many open files in system");
	case EIO:
		return _("Input/output error");
	default:
		return strerror(e);
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
