/* ghostdrop client progress bar: one line on stderr, redrawn at most 5 times a second, and
 * only when stderr is a terminal. Safe to feed from several threads. */
#ifndef GD_PROGRESS_H
#define GD_PROGRESS_H

#include <stdint.h>

void progress_start(const char *label, uint64_t total);
void progress_add(uint64_t n);
/* Ends the line if one was drawn (also when the work stopped early). */
void progress_end(void);

#endif
