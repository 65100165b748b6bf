/* ghostdrop client progress bar: one line on stderr, redrawn in place at most 5 times a second
 * and only when stderr is a terminal, never as wide as the terminal (no wrap). Safe to feed
 * from several threads. */
#ifndef GD_PROGRESS_H
#define GD_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/* label: what is moving ("upload", "fetch"), shown first. */
void progress_start(const char *label, uint64_t total);
/* Bytes an earlier run already moved (a resumed transfer): they count towards the position,
 * not towards this run's rate and time left. */
void progress_skip(uint64_t n);
void progress_add(uint64_t n);
/* Ends the line if one was drawn (also when the work stopped early). */
void progress_end(void);

/* The line for a terminal of width columns: at most width - 1 characters. Exposed for tests. */
void progress_format(char *out, size_t cap, int width, const char *label, uint64_t done,
		     uint64_t total, double rate, double elapsed);
/* The width of the terminal on stderr (80 when it cannot be told): for other one-line
 * displays (the proof of work's, powsolve.c). */
int progress_columns(void);
/* "1.5 MiB", "512 B": a size in binary units. */
void progress_size(char *out, size_t cap, double bytes);

#endif
