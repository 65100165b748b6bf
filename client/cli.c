/* ghostdrop client command lines: the one-line error convention ("PROG: message" on stderr). */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

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
