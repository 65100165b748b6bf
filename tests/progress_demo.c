/* For check_words: a desk fetch's progress bar, resumed at half of 256 MiB, then 4 MiB more in
 * about half a second, drawn on whatever terminal stderr is. */
#include <stdint.h>
#include <time.h>

#include "progress.h"

int main(void)
{
	struct timespec ts = {0, 25 * 1000 * 1000};
	progress_start("fetch ", 256ULL << 20);
	progress_skip(128ULL << 20); /* what an earlier run already fetched */
	for (int i = 0; i < 32; i++) {
		nanosleep(&ts, NULL);
		progress_add(128 << 10);
	}
	progress_end();
	return 0;
}
