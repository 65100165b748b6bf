/* ghostdropd /v1 API, uploads: an envelope in chunks, resumable, committed whole (§11.3, §12.3). */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

/* Chunk bodies of one upload received at once: the worker sends 3 (client/upload.c), one more
 * leaves room for a retry while the drop has not yet seen a broken connection go. */
#define UPLOAD_BODIES 4

#define DONE_MAX 4096 /* committed uploads remembered, for retried commits */

upload *upload_find(api *a, const uint8_t id[STORE_ID])
{
	for (upload *u = a->uploads; u != NULL; u = u->next)
		if (!u->gone && sodium_memcmp(u->id, id, sizeof u->id) == 0)
			return u;
	return NULL;
}

/* Memory and list only: the slot, the space and the chunks are upload_drop's. */
void upload_free(api *a, upload *u)
{
	upload **pp = &a->uploads;
	while (*pp != u)
		pp = &(*pp)->next;
	*pp = u->next;
	if (u->committed)
		a->n_done--;
	else if (!u->gone)
		a->n_uploads--;
	free(u->hash);
	free(u->state);
	sodium_memzero(u->key, sizeof u->key);
	free(u);
}

/* An open upload is abandoned (deadline, no progress, or its slot given to a newcomer): its
 * chunks go, its reservation and its slot come back now, its memory when no request holds it.
 * -1 if the write queue cannot take the deletion now (tried again later). */
static int upload_drop(api *a, upload *u)
{
	store_op *del = store_op_blob_del(u->id); /* after its chunk writes: the queue is FIFO */
	if (del == NULL)
		return -1;
	if (store_enqueue(a->st, del) != STORE_OK) {
		store_op_free(del);
		return -1;
	}
	store_unreserve(a->st, u->reserved);
	u->reserved = 0;
	a->n_uploads--;
	u->gone = 1;
	if (u->users == 0)
		upload_free(a, u);
	return 0;
}

/* Committed (stored now, or stored before): the slot and the space go back at once; what a
 * retried commit needs stays, the oldest such record going first past DONE_MAX. */
static void upload_done(api *a, upload *u)
{
	store_unreserve(a->st, u->reserved);
	u->reserved = 0;
	free(u->hash);
	free(u->state);
	u->hash = NULL;
	u->state = NULL;
	sodium_memzero(u->key, sizeof u->key); /* no chunk is checked after the commit */
	u->committed = 1;
	u->progress = now_s();
	a->n_uploads--;
	a->n_done++;
	while (a->n_done > DONE_MAX) {
		upload *old = NULL;
		for (upload *v = a->uploads; v != NULL; v = v->next)
			if (v->committed && v->users == 0 &&
			    (old == NULL || v->progress <= old->progress))
				old = v;
		if (old == NULL)
			break;
		upload_free(a, old);
	}
}

static uint64_t chunk_len(const upload *u, uint32_t i)
{
	return i + 1 < u->n_chunks ? u->chunk_size : u->size - (uint64_t)i * u->chunk_size;
}

static json_t *upload_json(const upload *u)
{
	json_t *o = json_object(), *rec = json_array();
	json_object_set_new(o, "upload", b64j(u->id, sizeof u->id));
	json_object_set_new(o, "size", json_integer((json_int_t)u->size));
	json_object_set_new(o, "chunk_size", json_integer(u->chunk_size));
	json_object_set_new(o, "chunks", json_integer(u->n_chunks));
	for (uint32_t i = 0; i < u->n_chunks; i++)
		if (u->state == NULL || u->state[i] == 2) /* committed: every chunk */
			json_array_append_new(rec, json_integer(i));
	json_object_set_new(o, "received", rec);
	json_object_set_new(o, "committed", json_boolean(u->committed));
	json_object_set_new(o, "check", json_string(gd_check_name(u->check)));
	return o;
}

/* Idle for `grace` seconds: stored no chunk for that long, and no chunk body is arriving. A
 * body arriving counts as activity (§11.3) for upload_idle_seconds from when it began (or from
 * the last chunk stored, with several arriving in turn), and only until one is lost unstored:
 * storing a chunk is what keeps an upload, receiving is its pause. */
static int upload_idle_for(const api *a, const upload *u, time_t now, time_t grace)
{
	if (u->arriving > 0 && !u->body_lost &&
	    now < u->body_since + (time_t)a->cfg.upload_idle_seconds)
		return 0;
	return now >= u->progress + grace;
}

static int upload_idle(const api *a, const upload *u, time_t now)
{
	return upload_idle_for(a, u, now, (time_t)a->cfg.upload_idle_seconds);
}

/* The least an idle upload's grace against a newcomer can be, however much more work the
 * newcomer did: the worker's client waits up to 100 s for a lost Tor connection to come back
 * (GD_UPLOAD_PATIENCE, client/upload.c), trying every 5 s at most, then builds a circuit and
 * sends its next chunk, which counts as activity as soon as its body begins (§11.3). 120 s
 * covers that; upload_idle_seconds set lower is the operator's choice and is the floor then. */
#define EVICT_GRACE_FLOOR 120

/* What an upload has stored, in bytes (its last chunk counted whole). */
static uint64_t upload_stored(const upload *u)
{
	uint64_t b = (uint64_t)u->received * u->chunk_size;
	return b < u->size ? b : u->size;
}

/* A newcomer whose proof of work has `bits` finds every slot, or the room below the mark,
 * taken: an open upload that stored nothing for upload_idle_seconds, or for half that per bit
 * of work less than the newcomer's (down to 1/16) but never under EVICT_GRACE_FLOOR, may give
 * its slot and its reservation. Holding a slot or space thus takes a stored chunk that often;
 * an upload has only as many chunks as its size, which its proof of work paid for (§11.3). */
static int evictable(const api *a, const upload *u, unsigned bits, time_t now)
{
	unsigned less = bits > u->bits ? bits - u->bits : 0;
	time_t full = (time_t)a->cfg.upload_idle_seconds;
	time_t floor = full < EVICT_GRACE_FLOOR ? full : EVICT_GRACE_FLOOR;
	time_t grace = full >> (less < 4 ? less : 4);
	return !u->committed && !u->gone && u->pending == 0 && !u->committing &&
	       upload_idle_for(a, u, now, grace > floor ? grace : floor);
}

/* Which of two idle uploads gives way first to a newcomer declaring `size`: one that stored no
 * more than the newcomer brings, before one that did (a fresh small upload does not destroy a
 * worker's larger progress while anything else gives room); then the one idle longest; then the
 * one with less work. The list is newest first: on a full tie, the older one (later in it). */
static int yields_before(const upload *u, const upload *v, uint64_t size)
{
	int uk = upload_stored(u) > size, vk = upload_stored(v) > size;
	if (uk != vk)
		return uk < vk;
	if (u->progress != v->progress)
		return u->progress < v->progress;
	return u->bits <= v->bits;
}

static int fits_after(api *a, uint64_t bytes, uint64_t freed, int reserve)
{
	return store_fits_after(a->st, bytes, freed, reserve);
}

/* Make room for a newcomer (proof of work `bits`, declaring `size`): a slot if `slot`, and
 * `bytes` below the mark (reserved or only checked, as `reserve`). Only idle uploads give way,
 * and only as few as needed: one that alone makes the room left fit, else the first to yield,
 * until it fits; if even every idle one would not make room, none is evicted. 0 once the room
 * is made (the reservation then still to take), -1 if not. */
static int make_room(api *a, unsigned bits, uint64_t size, int slot, uint64_t bytes, int reserve)
{
	time_t now = now_s();
	size_t n = 0, k = 0;
	uint64_t freed = 0;
	for (upload *u = a->uploads; u != NULL; u = u->next)
		n += evictable(a, u, bits, now);
	if (n == 0)
		return slot || !fits_after(a, bytes, 0, reserve) ? -1 : 0;
	upload **c = calloc(n, sizeof *c);
	if (c == NULL)
		return -1;
	for (upload *u = a->uploads; u != NULL; u = u->next)
		if (evictable(a, u, bits, now))
			c[k++] = u;
	size_t chosen = 0; /* c[0 .. chosen) are to go */
	while ((slot && chosen == 0) || !fits_after(a, bytes, freed, reserve)) {
		size_t best = n, alone = n;
		for (size_t i = chosen; i < n; i++) {
			if (best == n || yields_before(c[i], c[best], size))
				best = i;
			if (fits_after(a, bytes, freed + c[i]->reserved, reserve) &&
			    (alone == n || yields_before(c[i], c[alone], size)))
				alone = i;
		}
		if (best == n) {
			free(c);
			return -1; /* not even all of them: evict none */
		}
		size_t pick = alone < n ? alone : best;
		upload *t = c[chosen];
		c[chosen] = c[pick];
		c[pick] = t;
		freed += c[chosen++]->reserved;
	}
	int rc = 0;
	for (size_t i = 0; i < chosen; i++)
		if (upload_drop(a, c[i]) != 0)
			rc = -1; /* the write queue is full: tried again by the next newcomer */
	free(c);
	return rc;
}

/* Room below the mark for `bytes` (reserved if `reserve`, for an upload; only checked for a
 * one-request submission), evicting idle uploads for it as for a slot: a refusal for space is
 * contention too (§12.3). STORE_OK or STORE_FULL. */
int room_for(api *a, unsigned bits, uint64_t bytes, int reserve)
{
	int rc = reserve ? store_reserve(a->st, bytes) : store_fits(a->st, bytes);
	if (rc == STORE_OK || make_room(a, bits, bytes, 0, bytes, reserve) != 0)
		return rc;
	return reserve ? store_reserve(a->st, bytes) : store_fits(a->st, bytes);
}

/* The create, its body read: sub_id, size n, mode and (poly1305) K. */
static void upload_new(api *a, rctx *x, const uint8_t sub_id[GD_ID_BYTES], uint64_t n,
		       gd_check check, const uint8_t key[GD_CHUNK_KEY_BYTES])
{
	http_req *r = x->r;
	if (n > a->cfg.max_envelope) {
		http_reply_error(r, 413, "envelope_too_large",
				 "envelope larger than this drop takes");
		return;
	}
	if (n != x->pow.declared_size) {
		http_reply_error(r, 403, "pow_size", "proof of work was made for another size");
		return;
	}
	/* A slot taken from an idle upload only if the newcomer's reservation then fits too. */
	if (a->n_uploads >= a->cfg.max_uploads &&
	    make_room(a, x->pow.bits, n, 1, store_upload_growth(n, (uint32_t)a->cfg.chunk_size),
		      1) != 0) {
		http_reply_error(r, 503, "too_many_uploads", "too many uploads open; retry later");
		return;
	}
	upload *u = calloc(1, sizeof *u);
	if (u == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	randombytes_buf(u->id, sizeof u->id);
	memcpy(u->sub_id, sub_id, sizeof u->sub_id);
	u->size = n;
	u->check = check;
	if (check == GD_CHECK_POLY1305)
		memcpy(u->key, key, sizeof u->key);
	u->chunk_size = (uint32_t)a->cfg.chunk_size;
	u->n_chunks = (uint32_t)((n + u->chunk_size - 1) / u->chunk_size);
	u->hash = calloc(u->n_chunks, HASH_BYTES);
	u->state = calloc(u->n_chunks, 1);
	u->created = u->progress = now_s();
	u->bits = x->pow.bits;
	/* The whole upload must fit below the mark now, so every chunk and the commit will. */
	u->reserved = store_upload_growth(n, u->chunk_size);
	int rc = u->hash == NULL || u->state == NULL ? STORE_ERROR
						     : room_for(a, x->pow.bits, u->reserved, 1);
	if (rc != STORE_OK) {
		free(u->hash);
		free(u->state);
		sodium_memzero(u->key, sizeof u->key);
		free(u);
		store_error(r, rc);
		return;
	}
	u->next = a->uploads;
	a->uploads = u;
	a->n_uploads++;
	reply_json(r, 201, upload_json(u));
}

void on_upload_new(api *a, rctx *x)
{
	json_t *o = body_json(x->r);
	uint8_t sub_id[GD_ID_BYTES];
	uint64_t n;
	gd_check check;
	uint8_t key[GD_CHUNK_KEY_BYTES] = {0};
	body_why why;
	if (o == NULL)
		return;
	int bad = upload_new_fields(o, sub_id, &n, &check, key, &why);
	json_decref(o);
	if (bad)
		http_reply_error(x->r, 400, "bad_request", why.text);
	else
		upload_new(a, x, sub_id, n, check, key);
	sodium_memzero(key, sizeof key);
}

/* A write that used a share of an upload's reservation did not happen: the share goes back to
 * the upload, or to the store if the upload is gone. */
static void share_back(api *a, upload *u, uint64_t share)
{
	if (u->gone || u->committed)
		store_unreserve(a->st, share);
	else
		u->reserved += share;
}

void upload_gone(http_req *r)
{
	http_reply_error(r, 404, "upload_not_found", "no such upload (expired?)");
}

static void chunk_done(store_op *op, void *arg)
{
	rctx *x = arg;
	upload *u = x->up;
	u->pending--;
	if (op->result != STORE_OK)
		share_back(x->a, u, op->reserved);
	if (u->gone) {
		upload_gone(x->r); /* its chunks are deleted after this write */
	} else {
		json_t *o = NULL;
		if (op->result == STORE_OK) {
			u->state[op->u.chunk_put.idx] = 2;
			u->received++;
			u->progress = now_s();
			u->body_lost = 0;
			u->body_since =
				u->progress; /* bodies still arriving count anew from here */
			o = json_object();
			json_object_set_new(o, "status", json_string("stored"));
			json_object_set_new(o, "received", json_integer(u->received));
		} else {
			u->state[op->u.chunk_put.idx] = 0;
		}
		reply_write(x->r, op->result, 1, o, NULL);
	}
	store_op_free(op);
}

/* A chunk body no longer arriving (handled, or its request ended without it): its index is free
 * for another copy. `lost`: it ended unstored, as a broken or abandoned connection does. */
static void chunk_arrived(rctx *x, int lost)
{
	upload *u = x->up;
	if (!x->arriving)
		return;
	x->arriving = 0;
	u->arriving--;
	if (u->state != NULL && u->state[x->idx] == 3)
		u->state[x->idx] = 0;
	if (lost)
		u->body_lost = 1;
}

void upload_release(rctx *x)
{
	chunk_arrived(x, 1); /* its body never came whole */
	if (--x->up->users == 0 && x->up->gone)
		upload_free(x->a, x->up); /* dropped while this request held it */
}

void on_chunk(api *a, rctx *x)
{
	http_req *r = x->r;
	upload *u = x->up;
	uint8_t h[HASH_BYTES], want[HASH_BYTES];
	size_t len;
	const uint8_t *body = http_body(r, &len);
	chunk_arrived(x, 0);
	if (u->committed) {
		http_reply_error(r, 409, "upload_committed", "this upload is committed already");
		return;
	}
	/* the chunk's check in its upload's mode, and the header of that mode only (§11.3) */
	int poly = u->check == GD_CHECK_POLY1305;
	const char *hh = http_header(r, poly ? "x-ghostdrop-mac" : "x-ghostdrop-hash");
	if (http_header(r, poly ? "x-ghostdrop-hash" : "x-ghostdrop-mac") != NULL) {
		http_reply_error(
			r, 400, "bad_request",
			/* an older worker continuing an upload a newer one began says
			 * this to a person: what to do, in plain words */
			poly ? "this upload was started by a newer version of ghostdrop, which "
			       "checks its chunks with Poly1305 (X-Ghostdrop-Mac): continue it "
			       "with that version, or remove the --state-dir folder to send "
			       "from the beginning"
			     : "this upload was created without \"check\": \"poly1305\": its "
			       "chunks are checked with X-Ghostdrop-Hash (BLAKE2b)");
		return;
	}
	size_t hn = gd_chunk_check(h, u->check, body, len, u->key, u->id, x->idx);
	if (hh != NULL && (b64_exact(hh, want, hn) != 0 || sodium_memcmp(want, h, hn) != 0)) {
		http_reply_error(r, 400, "hash_mismatch",
				 poly ? "chunk does not match X-Ghostdrop-Mac"
				      : "chunk does not match X-Ghostdrop-Hash");
		return;
	}
	if (u->state[x->idx] != 0) {
		if (sodium_memcmp(u->hash[x->idx], h, sizeof h) != 0) {
			http_reply_error(r, 409, "chunk_conflict",
					 "this chunk was stored with other bytes");
			return;
		}
		if (u->state[x->idx] == 1) {
			http_reply_error(r, 503, "chunk_pending",
					 "this chunk is being stored; retry");
			return;
		}
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string("already_stored"));
		json_object_set_new(o, "received", json_integer(u->received));
		reply_json(r, 200, o);
		return;
	}
	if (x->idx == 0) {
		unsigned n;
		uint64_t total;
		if (gd_envelope_peek(body, len, &n, &total, u->ack_hash) != GD_OK ||
		    total != u->size || gd_envelope_id(u->env_id, u->size, body, len) != GD_OK) {
			http_reply_error(r, 400, "bad_envelope",
					 "chunk 0 must start an envelope of the declared size");
			return;
		}
		u->have_header = 1;
	}
	uint8_t *owned = http_take_body(r, &len);
	uint64_t share = store_chunk_growth(len);
	share = share < u->reserved ? share : u->reserved;
	store_op *op = store_op_chunk_put(u->id, x->idx, share, owned, len);
	if (op == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	u->reserved -= share;
	memcpy(u->hash[x->idx], h, sizeof h);
	u->state[x->idx] = 1;
	u->pending++;
	if (enqueue(a, r, op, chunk_done, x) != 0) {
		u->state[x->idx] = 0;
		u->pending--;
		u->reserved += share;
	}
}

static void commit_done(store_op *op, void *arg)
{
	rctx *x = arg;
	upload *u = x->up;
	api *a = x->a;
	u->committing = 0;
	if (op->result != STORE_OK)
		share_back(a, u, op->reserved);
	if (u->gone) {
		upload_gone(x->r);
	} else {
		if (op->result == STORE_EXISTS) {
			/* stored before, in one request or through another upload: not needed */
			store_op *del = store_op_blob_del(u->id);
			if (del != NULL && store_enqueue(a->st, del) != STORE_OK)
				store_op_free(del); /* the next start's GC takes them */
		}
		if (op->result >= 0)
			upload_done(a, u);
		reply_write(x->r, op->result, 1, stored_json(u->sub_id, op->result), id_conflict);
	}
	store_op_free(op);
}

void on_commit(api *a, rctx *x)
{
	http_req *r = x->r;
	upload *u = x->up;
	uint8_t digest[HASH_BYTES], want[HASH_BYTES];
	json_t *o = body_json(r);
	body_why why;
	if (o == NULL)
		return;
	int bad = commit_fields(o, want, &why);
	json_decref(o);
	if (bad) {
		http_reply_error(r, 400, "bad_request", why.text);
		return;
	}
	if (u->committed) { /* a retried commit, its answer lost: the record answers */
		if (sodium_memcmp(u->digest, want, sizeof want) != 0) {
			http_reply_error(r, 400, "hash_mismatch",
					 "the chunks do not make this envelope");
			return;
		}
		reply_write(r, STORE_EXISTS, 1, stored_json(u->sub_id, STORE_EXISTS), NULL);
		return;
	}
	if (u->received != u->n_chunks || u->pending > 0) {
		http_reply_error(r, 409, "upload_incomplete", "not every chunk has been stored");
		return;
	}
	gd_upload_digest_check(digest, u->check, u->size, (const uint8_t(*)[HASH_BYTES])u->hash,
			       u->n_chunks);
	if (sodium_memcmp(digest, want, sizeof want) != 0) {
		http_reply_error(r, 400, "hash_mismatch", "the chunks do not make this envelope");
		return;
	}
	if (u->committing) {
		http_reply_error(r, 503, "commit_pending", "this upload is being committed; retry");
		return;
	}
	store_submission rec = {0};
	memcpy(rec.id, u->sub_id, sizeof rec.id);
	memcpy(rec.blob, u->id, sizeof rec.blob);
	memcpy(rec.ack_hash, u->ack_hash, sizeof rec.ack_hash);
	/* the envelope hash of §12.2: D, as for one-request ones; a poly1305 upload's D is over
	 * tags, not the bytes, so its record holds its envelope id E instead */
	int poly = u->check == GD_CHECK_POLY1305;
	memcpy(rec.env_hash, poly ? u->env_id : digest, sizeof rec.env_hash);
	memcpy(rec.env_id, u->env_id, sizeof rec.env_id);
	rec.digest_unknown = poly;
	rec.received_day = today();
	rec.size = u->size;
	rec.n_chunks = u->n_chunks;
	rec.chunk_size = u->chunk_size;
	uint64_t share = store_chunk_growth(0);
	share = share < u->reserved ? share : u->reserved;
	store_op *op = store_op_commit(&rec, share);
	if (op == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	u->reserved -= share;
	u->committing = 1;
	memcpy(u->digest, digest, sizeof u->digest); /* for a retried commit, once committed */
	if (enqueue(a, r, op, commit_done, x) != 0) {
		u->committing = 0;
		u->reserved += share;
	}
}

/* Abandoned uploads: past their deadline, without a chunk stored for upload_stall_minutes while
 * chunks arrive, or idle for upload_keep_idle_minutes (an interrupted worker comes back within
 * it; until then only a newcomer short of room takes its slot and space, upload_evict_idle).
 * With upload_keep_idle_minutes 0, idle for upload_idle_seconds, or stalled whatever arrives.
 * Committed records go at the upload's deadline. */
void uploads_expire(api *a)
{
	time_t now = now_s();
	for (upload *u = a->uploads, *next; u != NULL; u = next) {
		next = u->next;
		if (u->gone || u->pending > 0 || u->committing)
			continue;
		int late = now > u->created + (time_t)a->cfg.upload_hours * 3600;
		if (u->committed) {
			if (late && u->users == 0)
				upload_free(a, u);
			continue;
		}
		/* A slow body is its connection's matter (body_timeout, the slowest transfer giving
		 * way): the upload it belongs to is not dropped for it while it is kept, and the
		 * body counts as activity against a newcomer only for upload_idle_seconds. */
		time_t keep = (time_t)a->cfg.upload_keep_idle_minutes * 60;
		int stalled = (u->arriving > 0 || keep == 0) &&
			      now > u->progress + (time_t)a->cfg.upload_stall_minutes * 60;
		int idle = keep > 0 ? upload_idle_for(a, u, now, keep) : upload_idle(a, u, now);
		if (late || stalled || idle)
			upload_drop(a, u);
	}
}

void on_upload_get(api *a, rctx *x)
{
	(void)a;
	reply_json(x->r, 200, upload_json(x->up));
}

/* PUT /v1/uploads/ID/chunks/N, before its body: an index of this upload, the size of that
 * chunk, and one body per chunk index, a few per upload, before any is buffered (§11.3). */
long long chunk_head(api *a, rctx *x)
{
	http_req *r = x->r;
	upload *u = x->up;
	(void)a;
	if (chunk_index(x->seg_n, u->n_chunks, &x->idx) != 0) {
		http_reply_error(r, 400, "bad_chunk_index", "no such chunk in this upload");
		return HTTP_REFUSED;
	}
	const char *cl = http_header(r, "content-length");
	if (cl == NULL || strtoull(cl, NULL, 10) != chunk_len(u, x->idx)) {
		http_reply_error(r, 400, "bad_chunk_size", "chunk has the wrong size");
		return HTTP_REFUSED;
	}
	if ((u->state != NULL && u->state[x->idx] == 3) || u->arriving >= UPLOAD_BODIES) {
		http_reply_error(r, 503, "chunk_pending",
				 u->arriving >= UPLOAD_BODIES
					 ? "too many chunks of this upload arriving; retry"
					 : "this chunk is arriving on another connection; retry");
		return HTTP_REFUSED;
	}
	if (u->state != NULL && u->state[x->idx] == 0)
		u->state[x->idx] = 3;
	if (u->arriving++ == 0)
		u->body_since = now_s();
	x->arriving = 1;
	return (long long)chunk_len(u, x->idx);
}
