/* ghostdrop client: the resumable upload (PROTOCOL.md §11.3), the whole protocol: create (with
 * its proof of work), the chunks, sent by a few threads at once, each on a connection of its
 * own that stays open for the whole upload, the status and the commit. While one chunk
 * travels and the drop commits it, the caller seals the next: the worker's machine, the
 * network and the drop's disk work at the same time instead of in turn. */
#ifndef GD_UPLOAD_H
#define GD_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "drop.h"

/* POST /v1/uploads for an envelope of total bytes, asking for chunk check `want` (poly1305 only
 * to a drop that lists it, with the secret chunk key K, `key`; not sent for blake2b): its
 * upload id (up, 64 bytes), chunk size and check (the drop's answer; blake2b from a drop that
 * does not say). */
int drop_upload_create(drop_conn *d, const uint8_t id[16], uint64_t total, gd_check want,
		       const uint8_t key[GD_CHUNK_KEY_BYTES], char *up, size_t *chunk_size,
		       gd_check *check, drop_err *e);
/* PUT /v1/uploads/U/chunks/I on a kept connection (*keep, -1 to open one), with the chunk's
 * check in mode c (gd_chunk_check): X-Ghostdrop-Hash or X-Ghostdrop-Mac. */
int drop_upload_chunk(drop_conn *d, int *keep, const char *up, uint32_t idx, const uint8_t *buf,
		      size_t len, gd_check c, const uint8_t check[32], drop_err *e);
/* GET /v1/uploads/U: the upload's object (with "received") in *out. */
int drop_upload_status(drop_conn *d, const char *up, json_t **out, drop_err *e);
/* POST /v1/uploads/U/commit with the upload digest (§12); *already: stored before. */
int drop_upload_commit(drop_conn *d, const char *up, const uint8_t digest[32], int *already,
		       drop_err *e);

/* The pipeline: create, then chunks as the caller fills them, then the commit. */
typedef struct gd_uploader gd_uploader;

/* Creates the upload (chunk check `want` and chunk key `key`, as drop_upload_create; the
 * uploader keeps a copy of K in locked memory) and starts senders (1-8) threads: *out, or the
 * failure in e. */
int gd_uploader_begin(drop_conn *d, const uint8_t id[16], uint64_t total, gd_check want,
		      const uint8_t key[GD_CHUNK_KEY_BYTES], unsigned senders, gd_uploader **out,
		      drop_err *e);
/* Resume upload up (an id from an earlier run) of total bytes: its status from the drop (and
 * its chunk check: the one it was created with); the chunks the drop holds are sealed again
 * (for the digest) but not sent, their bytes in *held.
 * A drop that no longer knows it answers 404 upload_not_found (DROP_REFUSED in e). */
/* key: the chunk key K the upload was created with (poly1305; the same run's, or the one a
 * later run derives from the resume record, gd_resume_chunk_key). */
int gd_uploader_resume(drop_conn *d, const char *up, uint64_t total,
		       const uint8_t key[GD_CHUNK_KEY_BYTES], unsigned senders, gd_uploader **out,
		       uint64_t *held, drop_err *e);
/* The upload id (the capability, PROTOCOL.md §11.3), for a resume record. */
const char *gd_uploader_id(const gd_uploader *g);
/* The chunk check the upload goes on with. */
gd_check gd_uploader_check(const gd_uploader *g);
/* Bytes the drop holds now, and the envelope's size; the first is a single atomic load, so a
 * signal handler may read it. */
uint64_t gd_uploader_acked(const gd_uploader *g);
uint64_t gd_uploader_total(const gd_uploader *g);
/* Seconds a chunk is tried again while the connection is lost (GD_UPLOAD_PATIENCE): a line on
 * stderr says so once; the drop drops an upload idle for upload_idle_seconds (120 by
 * default), so waiting longer than that would only find it gone. */
#define GD_UPLOAD_PATIENCE 100
void gd_uploader_set_patience(gd_uploader *g, unsigned seconds);
size_t gd_uploader_chunk_size(const gd_uploader *g);
/* A buffer of chunk_size bytes to fill with the next chunk; waits while every buffer is in
 * flight. NULL once a chunk has failed. */
uint8_t *gd_uploader_buffer(gd_uploader *g);
/* Queue the buffer just filled (len bytes; only the last chunk may be short). */
void gd_uploader_send(gd_uploader *g, uint8_t *buf, size_t len);
/* Wait for every chunk (the first failure in e), then commit. */
int gd_uploader_end(gd_uploader *g, int *already, drop_err *e);
/* Wait for every chunk: DROP_OK, or the first failure in e (for a caller that stops early). */
int gd_uploader_wait(gd_uploader *g, drop_err *e);
/* Stops the senders (waiting for the chunks in flight) and frees everything. */
void gd_uploader_free(gd_uploader *g);

#endif
