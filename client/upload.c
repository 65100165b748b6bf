/* ghostdrop client: the resumable upload. See upload.h. */
#include "upload.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdcrypto.h"
#include "progress.h"

#define MAX_SENDERS 8

/* ---- the calls ---- */

int drop_upload_create(drop_conn *d, const uint8_t id[16], uint64_t total, char *up,
		       size_t *chunk_size, drop_err *e)
{
	char idb[32];
	json_t *o;
	drop_req q = {.method = "POST",
		      .path = "/v1/uploads",
		      .pow = "upload",
		      .pow_size = total,
		      .ok = {201, 200}};
	gd_b64_encode(idb, sizeof idb, id, 16);
	if (drop_call_json(d, &q, json_pack("{s:s, s:I}", "id", idb, "size", (json_int_t)total), &o,
			   e) != DROP_OK)
		return e->kind;
	const char *u = json_string_value(json_object_get(o, "upload"));
	json_int_t cs = json_integer_value(json_object_get(o, "chunk_size"));
	uint8_t raw[16];
	/* U goes into request lines: only what §11.3 says it is (16 bytes in base64url) */
	if (u == NULL || gd_b64_decode_exact(raw, sizeof raw, u) != GD_OK || cs < 1024 ||
	    cs > (64 << 20)) {
		json_decref(o);
		return drop_fail(e, DROP_MALFORMED, "the drop's upload answer is malformed");
	}
	snprintf(up, 64, "%s", u);
	*chunk_size = (size_t)cs;
	json_decref(o);
	return DROP_OK;
}

int drop_upload_chunk(drop_conn *d, int *keep, const char *up, uint32_t idx, const uint8_t *buf,
		      size_t len, const uint8_t hash[32], drop_err *e)
{
	char hdr[160], hb[64];
	gd_response r;
	gd_b64_encode(hb, sizeof hb, hash, 32);
	snprintf(hdr, sizeof hdr,
		 "Content-Type: application/octet-stream\r\nX-Ghostdrop-Hash: %s\r\n", hb);
	/* retried after a broken connection: the drop keeps what it has, and the same bytes
	 * under the same index are answered "already stored"; a 503 chunk_pending (the drop
	 * still receives this chunk on a connection that broke on our side) is retried too */
	drop_req q = {.method = "PUT",
		      .headers = hdr,
		      .body = buf,
		      .len = len,
		      .max_body = 4096,
		      .keep = keep,
		      .ok = {201, 200}};
	snprintf(q.path, sizeof q.path, "/v1/uploads/%.64s/chunks/%u", up, idx);
	if (drop_send(d, &q, &r, e) != DROP_OK)
		return e->kind;
	gd_response_free(&r);
	return DROP_OK;
}

int drop_upload_status(drop_conn *d, const char *up, json_t **out, drop_err *e)
{
	drop_req q = {.method = "GET", .max_body = 1 << 20};
	snprintf(q.path, sizeof q.path, "/v1/uploads/%.64s", up);
	return drop_call(d, &q, out, e);
}

int drop_upload_commit(drop_conn *d, const char *up, const uint8_t digest[32], int *already,
		       drop_err *e)
{
	char db[64];
	json_t *o;
	drop_req q = {.method = "POST", .ok = {201, 200}};
	snprintf(q.path, sizeof q.path, "/v1/uploads/%.64s/commit", up);
	gd_b64_encode(db, sizeof db, digest, 32);
	if (drop_call_json(d, &q, json_pack("{s:s}", "hash", db), &o, e) != DROP_OK)
		return e->kind;
	const char *st = json_string_value(json_object_get(o, "status"));
	*already = st != NULL && strcmp(st, "already_stored") == 0;
	json_decref(o);
	return DROP_OK;
}

/* ---- the pipeline ---- */

enum { B_FREE, B_FILLING, B_READY, B_SENDING };

typedef struct {
	uint8_t *buf;
	size_t len;
	uint32_t idx;
	int state;
} slot;

struct gd_uploader {
	drop_conn *d;
	char up[64];
	size_t chunk_size;
	uint64_t total;
	uint32_t n_chunks, next_idx;
	uint8_t (*hashes)[32]; /* per chunk, in order: the digest is made of them at the end */
	slot slots[MAX_SENDERS + 1];
	unsigned n_slots;
	pthread_t threads[MAX_SENDERS];
	unsigned n_threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping, failed;
	drop_err failure;
};

static void *sender_main(void *arg)
{
	gd_uploader *g = arg;
	int keep = -1;
	pthread_mutex_lock(&g->mu);
	for (;;) {
		slot *s = NULL;
		for (unsigned i = 0; i < g->n_slots && s == NULL; i++)
			if (g->slots[i].state == B_READY)
				s = &g->slots[i];
		if (s == NULL) {
			if (g->stopping)
				break;
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		s->state = B_SENDING;
		int ok = g->failed; /* after a failure, nothing more is sent */
		pthread_mutex_unlock(&g->mu);
		drop_err e;
		if (!ok) {
			/* hashed by the sender, so that it overlaps with the sealing of the next
			 * chunk */
			crypto_generichash(g->hashes[s->idx], 32, s->buf, s->len, NULL, 0);
			ok = drop_upload_chunk(g->d, &keep, g->up, s->idx, s->buf, s->len,
					       g->hashes[s->idx], &e) == DROP_OK;
			if (ok)
				progress_add(s->len);
		}
		pthread_mutex_lock(&g->mu);
		if (!ok && !g->failed) {
			g->failed = 1;
			g->failure = e;
		}
		s->state = B_FREE;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	gd_keep_close(&keep);
	return NULL;
}

static gd_uploader *uploader_new(drop_conn *d, const char *up, size_t chunk_size, uint64_t total,
				 unsigned senders)
{
	if (senders < 1 || senders > MAX_SENDERS || chunk_size == 0 || strlen(up) >= 64)
		return NULL;
	gd_uploader *g = calloc(1, sizeof *g);
	if (g == NULL)
		return NULL;
	g->d = d;
	snprintf(g->up, sizeof g->up, "%s", up);
	g->chunk_size = chunk_size;
	g->total = total;
	g->n_chunks = (uint32_t)((total + chunk_size - 1) / chunk_size);
	g->n_slots = senders + 1; /* one being filled while the others travel */
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->hashes = calloc(g->n_chunks ? g->n_chunks : 1, 32);
	int bad = g->hashes == NULL;
	for (unsigned i = 0; i < g->n_slots && !bad; i++)
		bad = (g->slots[i].buf = malloc(chunk_size)) == NULL;
	for (unsigned i = 0; i < senders && !bad; i++) {
		bad = pthread_create(&g->threads[i], NULL, sender_main, g) != 0;
		g->n_threads += !bad;
	}
	if (bad) {
		gd_uploader_free(g);
		return NULL;
	}
	return g;
}

int gd_uploader_begin(drop_conn *d, const uint8_t id[16], uint64_t total, unsigned senders,
		      gd_uploader **out, drop_err *e)
{
	char up[64];
	size_t chunk_size;
	*out = NULL;
	if (drop_upload_create(d, id, total, up, &chunk_size, e) != DROP_OK)
		return e->kind;
	if ((*out = uploader_new(d, up, chunk_size, total, senders)) == NULL)
		return drop_fail(e, DROP_LOCAL, "out of memory");
	progress_start("upload", total);
	return DROP_OK;
}

size_t gd_uploader_chunk_size(const gd_uploader *g)
{
	return g->chunk_size;
}

uint8_t *gd_uploader_buffer(gd_uploader *g)
{
	uint8_t *buf = NULL;
	pthread_mutex_lock(&g->mu);
	while (!g->failed && buf == NULL) {
		for (unsigned i = 0; i < g->n_slots && buf == NULL; i++)
			if (g->slots[i].state == B_FREE) {
				g->slots[i].state = B_FILLING;
				buf = g->slots[i].buf;
			}
		if (buf == NULL)
			pthread_cond_wait(&g->cv, &g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return buf;
}

void gd_uploader_send(gd_uploader *g, uint8_t *buf, size_t len)
{
	slot *s = NULL;
	for (unsigned i = 0; i < g->n_slots && s == NULL; i++)
		if (g->slots[i].buf == buf)
			s = &g->slots[i];
	if (s == NULL || g->next_idx >= g->n_chunks) {
		pthread_mutex_lock(&g->mu);
		if (s != NULL)
			s->state = B_FREE;
		if (!g->failed) { /* more chunks than the declared size allows: a caller's bug */
			g->failed = 1;
			drop_fail(&g->failure, DROP_LOCAL, "the envelope is longer than announced");
		}
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
		return;
	}
	pthread_mutex_lock(&g->mu);
	s->len = len;
	s->idx = g->next_idx++;
	s->state = B_READY;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* Wait for every chunk: the upload's digest (over the chunks' hashes in order), or the first
 * failure. */
static int uploader_finish(gd_uploader *g, uint8_t digest[32], drop_err *e)
{
	pthread_mutex_lock(&g->mu);
	for (;;) {
		int busy = 0;
		for (unsigned i = 0; i < g->n_slots; i++)
			busy |= g->slots[i].state == B_READY || g->slots[i].state == B_SENDING;
		if (!busy)
			break;
		pthread_cond_wait(&g->cv, &g->mu);
	}
	int failed = g->failed;
	if (!failed && g->next_idx != g->n_chunks) {
		failed = g->failed = 1;
		drop_fail(&g->failure, DROP_LOCAL, "the envelope is shorter than announced");
	}
	if (failed)
		*e = g->failure;
	pthread_mutex_unlock(&g->mu);
	if (failed)
		return e->kind;
	gd_upload_hasher *h = gd_upload_hasher_new(g->total);
	if (h == NULL)
		return drop_fail(e, DROP_LOCAL, "out of memory");
	for (uint32_t i = 0; i < g->n_chunks; i++)
		gd_upload_hasher_chunk(h, g->hashes[i]);
	gd_upload_hasher_final(h, digest);
	gd_upload_hasher_free(h);
	return DROP_OK;
}

int gd_uploader_wait(gd_uploader *g, drop_err *e)
{
	uint8_t digest[32];
	int rc = uploader_finish(g, digest, e);
	progress_end(); /* an error goes on a line of its own */
	return rc;
}

int gd_uploader_end(gd_uploader *g, int *already, drop_err *e)
{
	uint8_t digest[32];
	int rc = uploader_finish(g, digest, e);
	progress_end();
	return rc != DROP_OK ? rc : drop_upload_commit(g->d, g->up, digest, already, e);
}

void gd_uploader_free(gd_uploader *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	for (unsigned i = 0; i < g->n_threads; i++)
		pthread_join(g->threads[i], NULL);
	for (unsigned i = 0; i < g->n_slots; i++)
		free(g->slots[i].buf);
	free(g->hashes);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g);
}
