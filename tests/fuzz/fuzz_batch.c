/* Fuzz: batch files as ghostdrop-desk open and fetch read them (batch_scan over a file). */
#define _GNU_SOURCE /* memfd_create */
#include <sys/mman.h>
#include <unistd.h>

#include "batch.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("batch", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	batch_index ix;
	char err[160];
	if (batch_scan(fd, &ix, err, sizeof err) == 0) {
		uint64_t end = BATCH_HEADER_BYTES;
		for (size_t i = 0; i < ix.n; i++) {
			if (ix.e[i].offset != end + BATCH_RECORD_BYTES ||
			    ix.e[i].offset + ix.e[i].len > size)
				abort(); /* records must tile the file */
			end = ix.e[i].offset + ix.e[i].len;
		}
		if (ix.good_end != end || (ix.complete && end + BATCH_RECORD_BYTES != size))
			abort();
		batch_index_free(&ix);
	}
	close(fd);
	return 0;
}
