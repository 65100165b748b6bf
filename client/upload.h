/* ghostdrop client: the chunks of a resumable upload (PROTOCOL.md §11.3), sent by a few
 * threads at once, each on a connection of its own that stays open for the whole upload.
 * While one chunk travels and the drop commits it, the caller seals the next: the worker's
 * machine, the network and the drop's disk work at the same time instead of in turn. */
#ifndef GD_UPLOAD_H
#define GD_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "transport.h"

typedef struct gd_uploader gd_uploader;

/* The first chunk that could not be stored: rc is the transport's (TR_OK when the drop
 * answered, with a refusal in r). */
typedef struct {
	int rc;
	gd_response r;
} gd_upload_failure;

/* up: the upload's id from POST /v1/uploads; senders: chunks in flight at once (1-8);
 * retries: attempts per chunk after a broken connection. NULL when out of memory. */
gd_uploader *gd_uploader_new(gd_transport *t, const gd_url *u, const char *up, size_t chunk_size,
                             uint64_t total, unsigned senders, unsigned retries);
/* A buffer of chunk_size bytes to fill with the next chunk; waits while every buffer is in
 * flight. NULL once a chunk has failed. */
uint8_t *gd_uploader_buffer(gd_uploader *g);
/* Queue the buffer just filled (len bytes; only the last chunk may be short). */
void gd_uploader_send(gd_uploader *g, uint8_t *buf, size_t len);
/* Wait for every chunk. 0 with the upload's digest (gd_upload_hasher over the chunks in
 * order), or -1 with the first failure in *f (its response to be freed by the caller). */
int gd_uploader_finish(gd_uploader *g, uint8_t digest[32], gd_upload_failure *f);
/* Stops the senders (waiting for the chunks in flight) and frees everything. */
void gd_uploader_free(gd_uploader *g);

#endif
