/* ghostdrop client prompts: secrets typed on the terminal without echo, or read from a file. */
#ifndef GD_PROMPT_H
#define GD_PROMPT_H

#include <stddef.h>

/* One line from /dev/tty with echo off (the newline dropped). 0, or -1 without a terminal. */
int gd_prompt_secret(const char *prompt, char *out, size_t cap);
/* The first line of a file (for scripts). 0, or -1 with errno. */
int gd_secret_from_file(const char *path, char *out, size_t cap);

#endif
