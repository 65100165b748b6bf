/* ghostdrop client: pipelined chunk uploads. See upload.h. */
#include "upload.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdcrypto.h"
#include "progress.h"

#define MAX_SENDERS 8

enum { B_FREE, B_FILLING, B_READY, B_SENDING };

typedef struct {
	uint8_t *buf;
	size_t len;
	uint32_t idx;
	int state;
} slot;

struct gd_uploader {
	gd_transport *t;
	const gd_url *u;
	char up[64];
	size_t chunk_size;
	uint64_t total;
	uint32_t n_chunks, next_idx;
	unsigned retries;
	uint8_t (*hashes)[32]; /* per chunk, in order: the digest is made of them at the end */
	slot slots[MAX_SENDERS + 1];
	unsigned n_slots;
	pthread_t threads[MAX_SENDERS];
	unsigned n_threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping, failed;
	gd_upload_failure failure;
};

/* A failure of the client's own (not the drop's, not the network's). */
static void local_failure(gd_upload_failure *f, const char *message)
{
	memset(f, 0, sizeof *f);
	f->rc = TR_ERR_SINK;
	snprintf(f->r.message, sizeof f->r.message, "%s", message);
}

/* One chunk, with retries after a broken connection: the drop keeps what it has, and the
 * same bytes under the same index are answered "already stored". A 503 chunk_pending (the
 * drop still receives this chunk on a connection that broke on our side) is retried too. */
static int put_one(gd_uploader *g, int *keep, const slot *s, gd_response *r)
{
	char path[160], hdr[160], hb[64];
	/* hashed by the sender, so that it overlaps with the sealing of the next chunk */
	crypto_generichash(g->hashes[s->idx], 32, s->buf, s->len, NULL, 0);
	gd_b64_encode(hb, sizeof hb, g->hashes[s->idx], 32);
	snprintf(path, sizeof path, "/v1/uploads/%s/chunks/%u", g->up, s->idx);
	snprintf(hdr, sizeof hdr,
	         "Content-Type: application/octet-stream\r\nX-Ghostdrop-Hash: %s\r\n", hb);
	int rc = TR_ERR_CONNECT, again = 1;
	for (unsigned i = 0; i < g->retries && again; i++) {
		if (i > 0) {
			gd_response_free(r);
			sleep(1u << i);
		}
		rc = gd_request_keep(g->t, g->u, keep, "PUT", path, hdr, s->buf, s->len, 4096, r);
		if (rc == TR_ERR_SOCKS)
			break; /* the proxy's answer will not change by asking again */
		again = rc != TR_OK || (r->status == 503 && strcmp(r->error, "chunk_pending") == 0);
	}
	return rc;
}

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
		int skip = g->failed; /* after a failure, nothing more is sent */
		pthread_mutex_unlock(&g->mu);
		gd_response r;
		memset(&r, 0, sizeof r);
		int rc = skip ? TR_OK : put_one(g, &keep, s, &r);
		int ok = skip || (rc == TR_OK && (r.status == 201 || r.status == 200));
		if (ok && !skip)
			progress_add(s->len);
		pthread_mutex_lock(&g->mu);
		if (!ok && !g->failed) {
			g->failed = 1;
			g->failure.rc = rc;
			g->failure.r = r; /* its body, if any, goes with it */
		} else {
			gd_response_free(&r);
		}
		s->state = B_FREE;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	gd_keep_close(&keep);
	return NULL;
}

gd_uploader *gd_uploader_new(gd_transport *t, const gd_url *u, const char *up, size_t chunk_size,
                             uint64_t total, unsigned senders, unsigned retries)
{
	if (senders < 1 || senders > MAX_SENDERS || chunk_size == 0 || strlen(up) >= 64)
		return NULL;
	gd_uploader *g = calloc(1, sizeof *g);
	if (g == NULL)
		return NULL;
	g->t = t;
	g->u = u;
	snprintf(g->up, sizeof g->up, "%s", up);
	g->chunk_size = chunk_size;
	g->total = total;
	g->n_chunks = (uint32_t)((total + chunk_size - 1) / chunk_size);
	g->retries = retries;
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
			local_failure(&g->failure, "the envelope is longer than announced");
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

int gd_uploader_finish(gd_uploader *g, uint8_t digest[32], gd_upload_failure *f)
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
		local_failure(&g->failure, "the envelope is shorter than announced");
	}
	if (failed) {
		*f = g->failure;
		memset(&g->failure, 0, sizeof g->failure); /* the caller frees its body */
	}
	pthread_mutex_unlock(&g->mu);
	if (failed)
		return -1;
	gd_upload_hasher *h = gd_upload_hasher_new(g->total);
	if (h == NULL) {
		local_failure(f, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < g->n_chunks; i++)
		gd_upload_hasher_chunk(h, g->hashes[i]);
	gd_upload_hasher_final(h, digest);
	gd_upload_hasher_free(h);
	return 0;
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
	gd_response_free(&g->failure.r);
	free(g->hashes);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g);
}
