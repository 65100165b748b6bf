/* ghostdrop batch files. PROTOCOL.md §13. */
#include "batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"

static const uint8_t MAGIC[4] = {'G', 'D', 'B', 'T'}, REC[4] = {'G', 'D', 'B', 'R'},
		     END[4] = {'G', 'D', 'B', 'E'};

void batch_header(uint8_t out[BATCH_HEADER_BYTES])
{
	memset(out, 0, BATCH_HEADER_BYTES);
	memcpy(out, MAGIC, 4);
	out[4] = 1;
}

void batch_record(uint8_t out[BATCH_RECORD_BYTES], const uint8_t id[16], uint32_t day, uint64_t len)
{
	memcpy(out, REC, 4);
	memcpy(out + 4, id, 16);
	gd_put_u32(out + 20, day);
	gd_put_u64(out + 24, len);
}

void batch_end(uint8_t out[BATCH_RECORD_BYTES], uint64_t count)
{
	memset(out, 0, BATCH_RECORD_BYTES);
	memcpy(out, END, 4);
	gd_put_u64(out + 4, count);
}

static int read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

void batch_index_free(batch_index *ix)
{
	free(ix->e);
	memset(ix, 0, sizeof *ix);
}

int batch_scan(int fd, batch_index *ix, char *err, size_t cap)
{
	struct stat st;
	uint8_t h[BATCH_RECORD_BYTES];
	size_t alloc = 0;
	memset(ix, 0, sizeof *ix);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, cap, "not a regular file");
		return -1;
	}
	uint64_t size = (uint64_t)st.st_size, off = BATCH_HEADER_BYTES;
	if (size < BATCH_HEADER_BYTES || read_at(fd, h, BATCH_HEADER_BYTES, 0) != 0 ||
	    memcmp(h, MAGIC, 4) != 0) {
		snprintf(err, cap, "not a ghostdrop batch file");
		return -1;
	}
	if (h[4] != 1 || h[5] || h[6] || h[7]) {
		snprintf(err, cap, "a batch file of an unknown version (%u)", h[4]);
		return -1;
	}
	ix->good_end = off;
	while (off < size) {
		if (size - off < BATCH_RECORD_BYTES)
			return 0; /* cut inside a record header: incomplete */
		if (read_at(fd, h, BATCH_RECORD_BYTES, off) != 0) {
			snprintf(ix->error, sizeof ix->error, "read error at byte %llu",
				 (unsigned long long)off);
			goto corrupt;
		}
		if (memcmp(h, END, 4) == 0) {
			static const uint8_t zero[20];
			if (gd_get_u64(h + 4) != ix->n || memcmp(h + 12, zero, 20) != 0) {
				snprintf(ix->error, sizeof ix->error,
					 "the end mark counts %llu submissions, the file holds %zu",
					 (unsigned long long)gd_get_u64(h + 4), ix->n);
				goto corrupt;
			}
			if (off + BATCH_RECORD_BYTES != size) {
				snprintf(ix->error, sizeof ix->error,
					 "%llu bytes after the end mark",
					 (unsigned long long)(size - off - BATCH_RECORD_BYTES));
				goto corrupt;
			}
			ix->complete = 1;
			return 0;
		}
		if (memcmp(h, REC, 4) != 0) {
			snprintf(ix->error, sizeof ix->error,
				 "corrupt at byte %llu (no record starts there)",
				 (unsigned long long)off);
			goto corrupt;
		}
		batch_entry e;
		memcpy(e.id, h + 4, 16);
		e.day = gd_get_u32(h + 20);
		e.len = gd_get_u64(h + 24);
		e.offset = off + BATCH_RECORD_BYTES;
		if (e.len == 0 || e.len > BATCH_MAX_ENVELOPE || ix->n == BATCH_MAX_RECORDS) {
			snprintf(ix->error, sizeof ix->error,
				 "corrupt at byte %llu (impossible record)",
				 (unsigned long long)off);
			goto corrupt;
		}
		if (size - e.offset < e.len) {
			ix->partial = 1;
			ix->last = e;
			ix->have = size - e.offset;
			return 0;
		}
		if (ix->n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			batch_entry *ne = realloc(ix->e, alloc * sizeof *ne);
			if (ne == NULL) {
				snprintf(err, cap, "out of memory");
				batch_index_free(ix);
				return -1;
			}
			ix->e = ne;
		}
		ix->e[ix->n++] = e;
		off = e.offset + e.len;
		ix->good_end = off;
	}
	return 0;
corrupt:
	ix->corrupt = 1;
	return 0;
}
