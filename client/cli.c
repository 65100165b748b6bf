/* ghostdrop client command lines: the one-line error convention ("PROG: message" on stderr),
 * and the process set-up both programs share. */
#include "cli.h"

#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>

const char *cli_name = "ghostdrop";

int cli_die(int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cli_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
