/* ghostdrop batch files: what `ghostdrop-desk fetch` writes on the online machine and `open`
 * reads on the offline one. A header, one record per submission (the drop's id, the day it
 * was received, the envelope), an end mark. PROTOCOL.md §13. */
#ifndef GD_BATCH_H
#define GD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#define BATCH_HEADER_BYTES 8
#define BATCH_RECORD_BYTES 32
#define BATCH_MAX_RECORDS 1000000
#define BATCH_MAX_ENVELOPE (1ULL << 40)

typedef struct {
	uint8_t id[16];  /* the drop's submission id (what an ack names) */
	uint32_t day;    /* received, days since 1970-01-01 */
	uint64_t len;    /* envelope bytes */
	uint64_t offset; /* where the envelope starts in the file */
} batch_entry;

typedef struct {
	batch_entry *e; /* malloc'ed */
	size_t n;
	int complete;      /* the end mark was read, and nothing after it */
	uint64_t good_end; /* the byte after the last complete record (or the header) */
	int partial;       /* the file ends inside a record's envelope */
	batch_entry last;  /* that record; last.offset + have = end of file */
	uint64_t have;
	int corrupt; /* framing broken after the records in e: error says where */
	char error[160];
} batch_index;

void batch_header(uint8_t out[BATCH_HEADER_BYTES]);
void batch_record(uint8_t out[BATCH_RECORD_BYTES], const uint8_t id[16], uint32_t day,
		  uint64_t len);
void batch_end(uint8_t out[BATCH_RECORD_BYTES], uint64_t count);

/* Read every record header of an open batch file (no envelope byte is read). -1 with a
 * message in err if it is no batch file at all; otherwise 0, and complete/partial/corrupt
 * tell how it ends (the records before a corrupt spot are in e). */
int batch_scan(int fd, batch_index *ix, char *err, size_t cap);
void batch_index_free(batch_index *ix);

#endif
