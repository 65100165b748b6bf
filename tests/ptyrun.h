/* Integration-test helper: run a program on a pseudo-terminal (its controlling terminal, as a
 * person at a shell), answer its prompts, and collect what it showed. */
#ifndef GD_TEST_PTYRUN_H
#define GD_TEST_PTYRUN_H

#include <stddef.h>

/* Run argv[0] (a path) with argv on a new pty, in dir (or NULL). script: pairs of strings, "text
 * to wait for" then "what to type", ended by NULL; what to type is sent once the text has
 * appeared and, for a hidden prompt, echo is off. Everything shown goes into out (cap bytes,
 * terminated). Stops after 60 s. Returns the exit code, or -1 if killed or timed out. */
int pty_run(const char *const argv[], const char *dir, const char *const script[], char *out,
	    size_t cap);

#endif
