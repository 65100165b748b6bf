/* ghostdrop: a submission's attachments made ready to seal, on the worker's machine, before
 * anything is sent: each file checked, its metadata removed (JPEG and PNG by strip.c, other
 * formats by mat2 on a private copy in RAM-backed storage) and its size as sent measured. */
#ifndef GD_ATTACH_H
#define GD_ATTACH_H

#include <stdint.h>

#include "gdcrypto.h"
#include "strip.h"

#define ATTACH_MAX 64 /* attachments in one submission */

typedef struct {
	int n;
	gd_attachment *atts;  /* the manifest's entries (name, type, size as sent), n + 1 */
	strip_kind *kinds;    /* STRIP_OTHER: sealed from sources[i] as it is */
	const char **sources; /* what is sealed: the file, or its cleaned copy */
	char (*cleaned)[512]; /* the cleaned copies' paths */
	uint64_t total;       /* the attachments' bytes as sent */
} attach_set;

/* Check files[0..n-1], find each one's kind, clean and measure it. An exit code of ghostdrop
 * (0, or 1, 6 with the message said on stderr). Installs a SIGINT/SIGTERM/SIGHUP handler that
 * removes the cleaned copies. */
int attach_prepare(attach_set *as, char **files, int n, int keep_metadata);
/* Remove the cleaned copies and free the set (a zeroed set is fine). */
void attach_free(attach_set *as);

#endif
