/* ghostdrop client: the resumable upload. See upload.h. */
#include "upload.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "gdcrypto.h"
#include "i18n.h"
#include "progress.h"

#define MAX_SENDERS 8

/* ---- the calls ---- */

/* An upload object's "check" (§11.3): absent from an older drop, blake2b. 0, or -1. */
static int upload_check_of(json_t *o, gd_check *check)
{
	json_t *c = json_object_get(o, "check");
	*check = GD_CHECK_BLAKE2B;
	return c == NULL ? 0 : gd_check_parse(json_string_value(c), check);
}

int drop_upload_create(drop_conn *d, const uint8_t id[16], uint64_t total, gd_check want,
		       const uint8_t key[GD_CHUNK_KEY_BYTES], char *up, size_t *chunk_size,
		       gd_check *check, drop_err *e)
{
	char idb[32], kb[64];
	json_t *o, *body;
	drop_req q = {.method = "POST",
		      .path = "/v1/uploads",
		      .pow = "upload",
		      .pow_size = total,
		      .ok = {201, 200}};
	gd_b64_encode(idb, sizeof idb, id, 16);
	/* an older drop refuses a "check" field: only the new mode is asked for by name, with
	 * its chunk key K (§11.3) */
	gd_b64_encode(kb, sizeof kb, key, GD_CHUNK_KEY_BYTES);
	body = want == GD_CHECK_POLY1305
		       ? json_pack("{s:s, s:I, s:s, s:s}", "id", idb, "size", (json_int_t)total,
				   "check", gd_check_name(want), "key", kb)
		       : json_pack("{s:s, s:I}", "id", idb, "size", (json_int_t)total);
	sodium_memzero(kb, sizeof kb);
	int rc = drop_call_json(d, &q, body, &o, e);
	if (rc != DROP_OK)
		return e->kind;
	if (want != GD_CHECK_POLY1305 && json_object_get(o, "check") != NULL &&
	    upload_check_of(o, check) == 0 && *check == GD_CHECK_POLY1305) {
		/* a poly1305 upload whose key this client never sent: it cannot check its chunks */
		json_decref(o);
		return drop_fail(e, DROP_MALFORMED, _("the drop's upload answer is malformed"));
	}
	if (upload_check_of(o, check) != 0) {
		json_decref(o);
		return drop_fail(e, DROP_MALFORMED, _("the drop's upload answer is malformed"));
	}
	const char *u = json_string_value(json_object_get(o, "upload"));
	json_int_t cs = json_integer_value(json_object_get(o, "chunk_size"));
	uint8_t raw[16];
	/* U goes into request lines: only what §11.3 says it is (16 bytes in base64url) */
	if (u == NULL || gd_b64_decode_exact(raw, sizeof raw, u) != GD_OK || cs < 1024 ||
	    cs > (64 << 20)) {
		json_decref(o);
		return drop_fail(e, DROP_MALFORMED, _("the drop's upload answer is malformed"));
	}
	snprintf(up, 64, "%s", u);
	*chunk_size = (size_t)cs;
	json_decref(o);
	return DROP_OK;
}

int drop_upload_chunk(drop_conn *d, int *keep, const char *up, uint32_t idx, const uint8_t *buf,
		      size_t len, gd_check c, const uint8_t hash[32], drop_err *e)
{
	char hdr[160], hb[64];
	gd_response r;
	int poly = c == GD_CHECK_POLY1305;
	gd_b64_encode(hb, sizeof hb, hash, poly ? GD_CHUNK_TAG_BYTES : 32);
	snprintf(hdr, sizeof hdr,
		 "Content-Type: application/octet-stream\r\nX-Ghostdrop-%s: %s\r\n",
		 poly ? "Mac" : "Hash", hb);
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
	gd_check check; /* the upload's chunk check (§11.3) */
	uint8_t *key;   /* poly1305: the chunk key K (sodium_malloc, GD_CHUNK_KEY_BYTES) */
	uint8_t up_raw[16];
	uint64_t total;
	uint32_t n_chunks, next_idx;
	uint8_t (*hashes)[32]; /* per chunk, in order: the digest is made of them at the end */
	uint8_t *held;         /* per chunk: the drop holds it already (a resumed upload) */
	uint64_t acked;        /* bytes the drop holds (atomic: read by a signal handler) */
	unsigned patience;     /* seconds a chunk is tried again after the connection is lost */
	int waiting;           /* a sender waits for the connection to come back (said once) */
	slot slots[MAX_SENDERS + 1];
	unsigned n_slots;
	pthread_t threads[MAX_SENDERS];
	unsigned n_threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping, failed;
	drop_err failure;
};

static void sleep_s(unsigned s)
{
	struct timespec ts = {(time_t)s, 0};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* One chunk, the same bytes again after a lost connection (a lost circuit, a restarted Tor, a
 * laptop that slept) for up to g->patience seconds past drop_send's own attempts: the drop
 * keeps what it has, and answers "already stored" for the same bytes under the same index. */
static int send_chunk(gd_uploader *g, int *keep, const slot *s, drop_err *e)
{
	time_t until = time(NULL) + (time_t)g->patience;
	/* this loop is the retry policy of the chunks: one attempt per call, so that the first
	 * loss is said at once */
	drop_conn d = *g->d;
	d.attempts = 1;
	d.keep = NULL;
	for (unsigned wait = 1;; wait = wait < 4 ? wait * 2 : 5) {
		int rc = drop_upload_chunk(&d, keep, g->up, s->idx, s->buf, s->len, g->check,
					   g->hashes[s->idx], e);
		if (rc == DROP_REFUSED && e->http_status == 503 &&
		    drop_refused_with(e, "chunk_pending") && time(NULL) < until) {
			sleep_s(1); /* the drop still receives this chunk on a lost connection */
			continue;
		}
		if (rc != DROP_NET || time(NULL) >= until) {
			if (rc == DROP_OK && wait > 1) {
				pthread_mutex_lock(&g->mu);
				if (g->waiting) {
					g->waiting = 0;
					progress_end();
					cli_sayf(stderr, _("%s: connected again: continuing.\n"),
						 cli_name);
				}
				pthread_mutex_unlock(&g->mu);
			}
			return rc;
		}
		pthread_mutex_lock(&g->mu);
		int stop = g->failed || g->stopping, say = !stop && !g->waiting;
		if (say) {
			g->waiting = 1;
			uint64_t a = __atomic_load_n(&g->acked, __ATOMIC_RELAXED);
			progress_end();
			/* TRANSLATORS: the first %s is "ghostdrop", %u seconds, then MiB sent of
			 * MiB in all (with a decimal point) */
			cli_sayf(
				stderr,
				d.tr.use_proxy
					? _("%s: the connection to Tor was lost; waiting for it to "
					    "come back (up to %u s) to continue from %.1f of %.1f "
					    "MiB. Ctrl-C stops.\n")
					: _("%s: the connection to the drop was lost; waiting for "
					    "it "
					    "to come back (up to %u s) to continue from %.1f of "
					    "%.1f "
					    "MiB. Ctrl-C stops.\n"),
				cli_name, g->patience, (double)a / 1048576.0,
				(double)g->total / 1048576.0);
		}
		pthread_mutex_unlock(&g->mu);
		if (stop)
			return rc;
		sleep_s(wait);
	}
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
		int ok = g->failed; /* after a failure, nothing more is sent */
		pthread_mutex_unlock(&g->mu);
		drop_err e;
		if (!ok) {
			/* checked by the sender, so that it overlaps with the sealing of the next
			 * chunk */
			gd_chunk_check(g->hashes[s->idx], g->check, s->buf, s->len, g->key,
				       g->up_raw, s->idx);
			ok = g->held != NULL && g->held[s->idx]; /* resumed: the drop has it */
			if (!ok && (ok = send_chunk(g, &keep, s, &e) == DROP_OK))
				progress_add(s->len);
			if (ok)
				__atomic_add_fetch(&g->acked, s->len, __ATOMIC_RELAXED);
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

static gd_uploader *uploader_new(drop_conn *d, const char *up, gd_check check,
				 const uint8_t key[GD_CHUNK_KEY_BYTES], size_t chunk_size,
				 uint64_t total, unsigned senders)
{
	if (senders < 1 || senders > MAX_SENDERS || chunk_size == 0 || strlen(up) >= 64)
		return NULL;
	gd_uploader *g = calloc(1, sizeof *g);
	if (g == NULL)
		return NULL;
	g->d = d;
	g->check = check;
	if (gd_b64_decode_exact(g->up_raw, sizeof g->up_raw, up) != GD_OK ||
	    (g->key = sodium_malloc(GD_CHUNK_KEY_BYTES)) == NULL) {
		free(g);
		return NULL;
	}
	memcpy(g->key, key, GD_CHUNK_KEY_BYTES);
	snprintf(g->up, sizeof g->up, "%s", up);
	g->chunk_size = chunk_size;
	g->total = total;
	g->n_chunks = (uint32_t)((total + chunk_size - 1) / chunk_size);
	g->n_slots = senders + 1; /* one being filled while the others travel */
	g->patience = GD_UPLOAD_PATIENCE;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->hashes = calloc(g->n_chunks ? g->n_chunks : 1, 32);
	g->held = calloc(g->n_chunks ? g->n_chunks : 1, 1);
	int bad = g->hashes == NULL || g->held == NULL;
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

int gd_uploader_begin(drop_conn *d, const uint8_t id[16], uint64_t total, gd_check want,
		      const uint8_t key[GD_CHUNK_KEY_BYTES], unsigned senders, gd_uploader **out,
		      drop_err *e)
{
	char up[64];
	size_t chunk_size;
	gd_check check;
	*out = NULL;
	if (drop_upload_create(d, id, total, want, key, up, &chunk_size, &check, e) != DROP_OK)
		return e->kind;
	if ((*out = uploader_new(d, up, check, key, chunk_size, total, senders)) == NULL)
		return drop_fail(e, DROP_LOCAL, _("out of memory"));
	/* TRANSLATORS: the progress bar's label while sending, one short word */
	progress_start(_("upload"), total);
	return DROP_OK;
}

int gd_uploader_resume(drop_conn *d, const char *up, uint64_t total,
		       const uint8_t key[GD_CHUNK_KEY_BYTES], unsigned senders, gd_uploader **out,
		       uint64_t *held, drop_err *e)
{
	json_t *o;
	*out = NULL;
	*held = 0;
	if (drop_upload_status(d, up, &o, e) != DROP_OK)
		return e->kind;
	json_int_t size = json_integer_value(json_object_get(o, "size")),
		   cs = json_integer_value(json_object_get(o, "chunk_size"));
	json_t *rec = json_object_get(o, "received");
	int committed = json_is_true(json_object_get(o, "committed"));
	gd_check check; /* the mode it was created with, whoever created it */
	if (size < 0 || (uint64_t)size != total || cs < 1024 || cs > (64 << 20) ||
	    !json_is_array(rec) || upload_check_of(o, &check) != 0) {
		json_decref(o);
		return drop_fail(e, DROP_MALFORMED, _("the drop's upload status is malformed"));
	}
	if ((*out = uploader_new(d, up, check, key, (size_t)cs, total, senders)) == NULL) {
		json_decref(o);
		return drop_fail(e, DROP_LOCAL, _("out of memory"));
	}
	gd_uploader *g = *out;
	size_t i;
	json_t *v;
	json_array_foreach (rec, i, v) {
		json_int_t k = json_integer_value(v);
		if (k >= 0 && k < (json_int_t)g->n_chunks)
			g->held[k] = 1;
	}
	for (uint32_t k = 0; k < g->n_chunks; k++)
		if (committed || g->held[k]) {
			g->held[k] = 1;
			*held += k + 1 < g->n_chunks ? (uint64_t)cs
						     : total - (uint64_t)k * (uint64_t)cs;
		}
	json_decref(o);
	progress_start(_("upload"), total);
	progress_skip(*held); /* sent by an earlier run: not this run's rate */
	return DROP_OK;
}

const char *gd_uploader_id(const gd_uploader *g)
{
	return g->up;
}

gd_check gd_uploader_check(const gd_uploader *g)
{
	return g->check;
}

uint64_t gd_uploader_acked(const gd_uploader *g)
{
	return __atomic_load_n(&g->acked, __ATOMIC_RELAXED);
}

uint64_t gd_uploader_total(const gd_uploader *g)
{
	return g->total;
}

void gd_uploader_set_patience(gd_uploader *g, unsigned seconds)
{
	g->patience = seconds;
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
			drop_fail(&g->failure, DROP_LOCAL,
				  _("the envelope is longer than announced"));
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
		drop_fail(&g->failure, DROP_LOCAL, _("the envelope is shorter than announced"));
	}
	if (failed)
		*e = g->failure;
	pthread_mutex_unlock(&g->mu);
	if (failed)
		return e->kind;
	gd_upload_hasher *h = gd_upload_hasher_new_check(g->total, g->check);
	if (h == NULL)
		return drop_fail(e, DROP_LOCAL, _("out of memory"));
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
	free(g->held);
	sodium_free(g->key); /* NULL is fine */
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g);
}
