/* ghostdropd logging: one line per event on stderr (systemd-friendly). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static int max_level = LOG_INFO;

void log_set_level(int level)
{
	max_level = level;
}

void log_msg(int level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char line[512];
	va_list ap;
	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* No timestamps: journald adds its own, and the drop keeps no precise times. */
	fprintf(stderr, "ghostdropd: %s: %s\n", names[level], line);
}
