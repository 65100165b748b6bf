/* ghostdrop client prompts: secrets typed on the terminal without echo, or read from a file. */
#ifndef GD_PROMPT_H
#define GD_PROMPT_H

#include <stddef.h>

/* Both read a line as gd_passphrase_len says: the bytes before the first CR, LF or NUL, untrimmed.
 * One line from /dev/tty with echo off (at most cap - 1 bytes). 0, or -1 without a terminal.
 * Ctrl-C (SIGINT, SIGTERM, SIGHUP, SIGQUIT) at the prompt puts echo back on at once, then does
 * what the signal did before: by default the program stops, killed by it (130 in a shell); if a
 * handler of the program returns instead, -2 (interrupted; nothing kept in out). */
int gd_prompt_secret(const char *prompt, char *out, size_t cap);
/* The first line of a file of at most cap - 1 bytes (for scripts). 0, or -1 with errno. */
int gd_secret_from_file(const char *path, char *out, size_t cap);

#endif
