/* ghostdrop client command lines: the one-line error convention ("PROG: message" on stderr),
 * and the process set-up both programs share. */
#ifndef GD_CLI_H
#define GD_CLI_H

#include <stddef.h>
#include <stdio.h>

extern const char *cli_name;
/* Print "cli_name: message" on stderr and return code (for `return cli_die(...)`). */
int cli_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write text to f as it is, but on a terminal each of its lines wider than the terminal is
 * wrapped between words (display columns), so no word is cut at the edge. cli_sayf: the same
 * for a printf format. */
void cli_say(FILE *f, const char *text);
void cli_sayf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* On a terminal, text's paragraphs (parted by blank lines; their line breaks are spaces)
 * wrapped to its width, at most 80 columns, between words; elsewhere text as it is. */
void cli_say_para(FILE *f, const char *text);
/* strerror(e) in the worker's language: the worker CLI's own texts for the errors a file gives
 * (ENOENT, EACCES, ...), which glibc has no catalogue of in every language; strerror's else. */
const char *cli_strerror(int e);

/* First thing in main: no core file (RLIMIT_CORE 0), not dumpable (no ptrace or /proc reading
 * of its memory by the same user), and Jansson's blocks wiped when freed, so the copies it
 * makes (a testimony's text in json_string, json_dumps's buffers, parsed replies) do not stay
 * in freed heap. 0, or -1 if the kernel refused a step (errno set). */
int cli_harden(void);
/* Jansson's free function under cli_harden: cli_wipe, then free. */
void cli_wipe_free(void *p);
/* Zero the whole heap block p (as malloc_usable_size tells) without freeing it; its size. */
size_t cli_wipe(void *p);

#endif
