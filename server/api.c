/* ghostdropd routes: the /v1 HTTP API in ghostdrop terms (bundle, proof of work, submissions,
 * uploads, mailboxes, couriers). PROTOCOL.md §11. */
#include "api.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gdcrypto.h"
#include "log.h"

#define POW_TTL 300         /* seconds a challenge is valid */
#define SPENT_CAP (1 << 19)     /* slots: 10 MiB; half of them usable */
#define JSON_SMALL 16384
#define REPLY_BODY_MAX (256 * 1024)
#define MAX_LIST 100        /* replies per fetch page, ids per ack */
#define PAGE_BYTES (384 * 1024) /* reply bytes per fetch page: 512 KiB in base64 (§11.3) */
#define PAGE_SCAN 1000      /* stored entries one fetch looks at, at most */
#define LOAD_WINDOW 10      /* seconds */

/* A fixed-size open-addressing set of 16-byte random ids with expiry, rebuilt every minute:
 * spent PoW ids (submissions, uploads and mailbox requests alike). RAM only, gone with a
 * restart. Full: new entries are refused (503), never a replay let in. */
typedef struct {
	uint8_t (*val)[16];
	uint32_t *exp; /* unix seconds; 0 empty, 1 a tombstone */
	size_t cap, n;
} idset;

/* An open upload holds one of max_uploads slots and its space reservation. Committed, it
 * gives both back at once and stays only as a small record (id, digest) so that a retried
 * commit is answered; gone (dropped while a request still held it), it waits for that request
 * to end. PROTOCOL.md §11.3. */
typedef struct upload {
	uint8_t id[16];     /* the upload id (a capability) and the id of its chunk blob */
	uint8_t sub_id[16]; /* the submission it becomes */
	uint64_t size;
	uint32_t n_chunks, chunk_size, received;
	uint8_t (*hash)[32]; /* NULL once committed */
	uint8_t *state; /* per chunk: 0 missing, 1 being committed, 2 stored, 3 its body arriving;
			 * NULL once committed */
	uint8_t ack_hash[32];
	uint8_t digest[32]; /* once committed: the §11.3 digest it was committed with */
	uint64_t reserved;  /* its space reservation not yet handed to a write (store_reserve) */
	unsigned bits;      /* the proof of work it was created with */
	int have_header, committing, committed, gone;
	unsigned pending; /* chunk writes in flight */
	unsigned users;   /* requests holding a pointer to it: never freed while > 0 */
	unsigned arriving; /* chunk bodies being received, at most UPLOAD_BODIES */
	int body_lost;    /* a chunk body ended unstored since the last chunk stored */
	time_t created, progress; /* progress: the last chunk stored, or the commit */
	time_t body_since; /* when the bodies arriving now began to arrive */
	struct upload *next;
} upload;

/* Chunk bodies of one upload received at once: the worker sends 3 (client/upload.c), one more
 * leaves room for a retry while the drop has not yet seen a broken connection go. */
#define UPLOAD_BODIES 4

#define DONE_MAX 4096 /* committed uploads remembered, for retried commits */

struct api {
	store *st;
	gd_config cfg;
	uint8_t newsroom_pk[32];
	uint8_t *pow_key; /* sodium_malloc'ed, new at every start */
	idset spent;
	upload *uploads;
	unsigned n_uploads, n_done; /* open ones (the slots), committed ones remembered */
	unsigned writes_window, load_bonus;
	int wake_fd;
	unsigned ticks;
};

typedef struct route route;

typedef struct {
	api *a;
	http_req *r;
	const route *route; /* the endpoint, once its head passed */
	uint8_t id[16];
	char seg_n[64]; /* the path's "{n}" segment */
	uint32_t idx;
	gd_pow_challenge pow;
	int arriving; /* its chunk body is counted in up->arriving */
	uint8_t pow_raw[GD_POW_CHALLENGE_BYTES]; /* mailbox requests sign these bytes (§7.3) */
	upload *up;
} rctx;

static time_t now_s(void)
{
	return time(NULL);
}

static uint32_t today(void)
{
	return gd_day((int64_t)now_s());
}

/* ---- idset ---- */

static int idset_init(idset *s, size_t cap)
{
	s->val = calloc(cap, sizeof *s->val);
	s->exp = calloc(cap, sizeof *s->exp);
	s->cap = cap;
	s->n = 0;
	return s->val && s->exp ? 0 : -1;
}

static size_t idset_slot(const idset *s, const uint8_t v[16])
{
	uint64_t h = 0;
	memcpy(&h, v, sizeof h); /* ids are random (or MAC'd): their bytes are a hash */
	return (size_t)(h & (s->cap - 1));
}

/* 1 present (and live), 0 absent */
static int idset_has(idset *s, const uint8_t v[16], int remove)
{
	uint32_t now = (uint32_t)now_s();
	for (size_t i = idset_slot(s, v), k = 0; k < s->cap; i = (i + 1) & (s->cap - 1), k++) {
		if (s->exp[i] == 0)
			return 0;
		if (s->exp[i] >= now && sodium_memcmp(s->val[i], v, 16) == 0) {
			if (remove)
				s->exp[i] = 1; /* a tombstone, cleared at the next rebuild */
			return 1;
		}
	}
	return 0;
}

static int idset_add(idset *s, const uint8_t v[16], time_t exp)
{
	if (s->n >= s->cap / 2)
		return -1;
	size_t i = idset_slot(s, v);
	while (s->exp[i] != 0)
		i = (i + 1) & (s->cap - 1);
	memcpy(s->val[i], v, 16);
	s->exp[i] = (uint32_t)exp;
	s->n++;
	return 0;
}

static void idset_rebuild(idset *s)
{
	idset old = *s;
	if (idset_init(s, old.cap) != 0) {
		*s = old;
		return;
	}
	for (size_t i = 0; i < old.cap; i++)
		if (old.exp[i] >= (uint32_t)now_s())
			idset_add(s, old.val[i], old.exp[i]);
	free(old.val);
	free(old.exp);
}

/* ---- replies ---- */

static void reply_json(http_req *r, int status, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (s == NULL) {
		http_reply_error(r, 500, "internal_error", "out of memory");
		return;
	}
	size_t n = strlen(s);
	s[n] = '\n';
	http_reply(r, status, "application/json", s, n + 1);
	free(s);
}

static json_t *b64j(const uint8_t *b, size_t n)
{
	size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = malloc(cap);
	if (s == NULL)
		return NULL;
	gd_b64_encode(s, cap, b, n);
	json_t *j = json_string(s);
	free(s);
	return j;
}

static int b64_exact(const char *s, uint8_t *out, size_t n)
{
	return gd_b64_decode_exact(out, n, s) == GD_OK ? 0 : -1;
}

static void store_error(http_req *r, int rc)
{
	switch (rc) {
	case STORE_FULL:
		http_reply_error(r, 507, "storage_full", "the drop is full; try again later");
		break;
	case STORE_BUSY:
		http_reply_error(r, 503, "overloaded", "too many writes in flight; retry");
		break;
	case STORE_NOT_FOUND:
		http_reply_error(r, 404, "not_found", "no such item");
		break;
	default:
		http_reply_error(r, 500, "internal_error", "storage failed");
	}
}

/* ---- proof of work ---- */

static unsigned size_bonus(uint64_t size)
{
	unsigned b = 0;
	for (uint64_t mib = size >> 20; mib > 0; mib >>= 1)
		b++;
	return b;
}

/* What a challenge is issued with: the floor, more under load, more for large uploads. Load
 * stops at pow_max_bits; size does not (up to GD_POW_MAX_BITS), so the work an upload's
 * reservation costs keeps growing with the space it holds (§12.3). */
static unsigned pow_bits(api *a, uint8_t purpose, uint64_t size, int with_load)
{
	unsigned bits = a->cfg.pow_min_bits + (with_load ? a->load_bonus : 0), sized = 0;
	if (purpose == GD_POW_UPLOAD) {
		bits += size_bonus(size);
		sized = a->cfg.pow_min_bits + size_bonus(size);
		sized = sized > GD_POW_MAX_BITS ? GD_POW_MAX_BITS : sized;
	}
	bits = bits > a->cfg.pow_max_bits ? a->cfg.pow_max_bits : bits;
	return bits > sized ? bits : sized;
}

/* Every check of §9.3 but the spending: a mailbox request spends its challenge only once its
 * signature verified (on_mailbox), the others at once (pow_verify). */
static int pow_check_header(api *a, http_req *r, uint8_t purpose, gd_pow_challenge *c,
			    uint8_t ch[GD_POW_CHALLENGE_BYTES])
{
	const char *h = http_header(r, "x-ghostdrop-pow"), *dot;
	char *end;
	if (h == NULL) {
		http_reply_error(r, 403, "pow_required", "this request needs a proof of work");
		return -1;
	}
	dot = strchr(h, '.');
	size_t got = 0;
	if (dot == NULL || gd_b64_decode(ch, GD_POW_CHALLENGE_BYTES, &got, h, (size_t)(dot - h)) != GD_OK ||
	    got != GD_POW_CHALLENGE_BYTES || dot[1] == '\0' ||
	    strspn(dot + 1, "0123456789") != strlen(dot + 1) || strlen(dot + 1) > 20) {
		http_reply_error(r, 400, "bad_pow", "X-Ghostdrop-PoW must be CHALLENGE.COUNTER");
		return -1;
	}
	errno = 0;
	uint64_t counter = strtoull(dot + 1, &end, 10);
	if (errno != 0) {
		http_reply_error(r, 400, "bad_pow", "counter out of range");
		return -1;
	}
	int rc = gd_pow_check(c, ch, counter, a->pow_key, purpose, a->cfg.pow_min_bits,
			      (int64_t)now_s());
	if (rc == GD_ERR_PURPOSE) {
		http_reply_error(r, 403, "pow_purpose", "proof of work made for another request");
		return -1;
	}
	if (rc == GD_ERR_EXPIRED) {
		http_reply_error(r, 403, "pow_expired", "proof of work expired; get a new challenge");
		return -1;
	}
	if (rc != GD_OK) {
		http_reply_error(r, 403, "pow_invalid", "proof of work does not verify");
		return -1;
	}
	if (idset_has(&a->spent, c->id, 0)) {
		http_reply_error(r, 403, "pow_replayed", "this proof of work was used already");
		return -1;
	}
	/* The difficulty in force now, not when the challenge was issued: challenges stockpiled
	 * while the drop was quiet do not stay cheap under load (§9.3). */
	if (c->bits < pow_bits(a, purpose, c->declared_size, 1)) {
		http_reply_error(r, 403, "pow_outdated",
				 "the drop is busier now: get a new challenge and solve it");
		return -1;
	}
	return 0;
}

static int pow_spend(api *a, http_req *r, const gd_pow_challenge *c)
{
	if (idset_has(&a->spent, c->id, 0)) {
		http_reply_error(r, 403, "pow_replayed", "this proof of work was used already");
		return -1;
	}
	if (idset_add(&a->spent, c->id, (time_t)c->expires) != 0) {
		http_reply_error(r, 503, "overloaded", "too many challenges in flight; retry");
		return -1;
	}
	a->writes_window++;
	return 0;
}

static int pow_verify(api *a, http_req *r, uint8_t purpose, gd_pow_challenge *c)
{
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	return pow_check_header(a, r, purpose, c, ch) != 0 ? -1 : pow_spend(a, r, c);
}

static void on_pow(api *a, rctx *x)
{
	http_req *r = x->r;
	char p[16] = "", sz[32];
	gd_pow_challenge c = {0};
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	http_query(r, "purpose", p, sizeof p);
	if (strcmp(p, "submit") == 0)
		c.purpose = GD_POW_SUBMIT;
	else if (strcmp(p, "upload") == 0)
		c.purpose = GD_POW_UPLOAD;
	else if (strcmp(p, "mailbox") == 0)
		c.purpose = GD_POW_MAILBOX;
	else {
		http_reply_error(r, 400, "bad_request", "purpose must be submit, upload or mailbox");
		return;
	}
	int have_size = http_query(r, "size", sz, sizeof sz) == 0;
	if (c.purpose == GD_POW_UPLOAD) {
		char *end = sz;
		errno = 0;
		c.declared_size = have_size ? strtoull(sz, &end, 10) : 0;
		if (!have_size || errno || *end != '\0' || sz[0] == '-' || c.declared_size == 0 ||
		    c.declared_size > a->cfg.max_envelope) {
			http_reply_error(r, 400, "bad_size", "size must be 1..max envelope size");
			return;
		}
	}
	c.bits = (uint8_t)pow_bits(a, c.purpose, c.declared_size, 1);
	c.backend = (uint16_t)a->cfg.backend_id;
	c.expires = (int64_t)now_s() + POW_TTL;
	randombytes_buf(c.id, sizeof c.id);
	gd_pow_issue(ch, &c, a->pow_key);
	json_t *o = json_object();
	json_object_set_new(o, "challenge", b64j(ch, sizeof ch));
	json_object_set_new(o, "bits", json_integer(c.bits));
	json_object_set_new(o, "expires_in", json_integer(POW_TTL));
	reply_json(r, 200, o);
}

/* ---- limits: what a client needs to choose one request or an upload ---- */

static void on_limits(api *a, rctx *x)
{
	http_req *r = x->r;
	json_t *o = json_object();
	json_object_set_new(o, "max_submit", json_integer((json_int_t)a->cfg.max_submit));
	json_object_set_new(o, "max_envelope", json_integer((json_int_t)a->cfg.max_envelope));
	json_object_set_new(o, "chunk_size", json_integer((json_int_t)a->cfg.chunk_size));
	reply_json(r, 200, o);
}

/* ---- bundle ---- */

static void on_bundle(api *a, rctx *x)
{
	http_req *r = x->r;
	uint8_t *b;
	size_t len;
	int rc = store_get_meta(a->st, "bundle", &b, &len);
	if (rc == STORE_NOT_FOUND) {
		http_reply_error(r, 404, "no_bundle", "no key bundle has been published");
		return;
	}
	if (rc != STORE_OK) {
		store_error(r, rc);
		return;
	}
	http_reply(r, 200, "application/octet-stream", b, len);
	free(b);
}

/* ---- submissions ---- */

static void submit_done(store_op *op, void *arg)
{
	rctx *x = arg;
	http_req *r = x->r;
	json_t *o;
	switch (op->result) {
	case STORE_OK:
	case STORE_EXISTS:
		o = json_object();
		json_object_set_new(o, "id", b64j(op->id, 16));
		json_object_set_new(o, "status",
				    json_string(op->result == STORE_OK ? "stored" : "already_stored"));
		reply_json(r, op->result == STORE_OK ? 201 : 200, o);
		break;
	case STORE_CONFLICT:
		http_reply_error(r, 409, "id_conflict", "another envelope was stored under this id");
		break;
	default:
		store_error(r, op->result);
	}
	store_op_free(op);
}

static int enqueue(api *a, http_req *r, store_op *op, void (*done)(store_op *, void *), void *arg)
{
	op->done = done;
	op->arg = arg;
	int rc = store_enqueue(a->st, op);
	if (rc != STORE_OK) {
		store_op_free(op);
		store_error(r, rc);
		return -1;
	}
	return 0;
}

/* The envelope hash a submission is stored with (§12.2), whichever way it arrived: the §11.3
 * upload digest of its bytes cut in pieces of chunk_size. -1: out of memory. */
static int envelope_digest(uint8_t out[32], const uint8_t *b, size_t len, uint32_t chunk_size)
{
	gd_upload_hasher *h = gd_upload_hasher_new(len);
	if (h == NULL)
		return -1;
	for (size_t off = 0; off < len; off += chunk_size) {
		uint8_t ch[32];
		crypto_generichash(ch, 32, b + off, len - off < chunk_size ? len - off : chunk_size,
				   NULL, 0);
		gd_upload_hasher_chunk(h, ch);
	}
	gd_upload_hasher_final(h, out);
	gd_upload_hasher_free(h);
	return 0;
}

static int room_for(api *a, unsigned bits, uint64_t bytes, int reserve); /* uploads */

static void on_submit(api *a, rctx *x)
{
	http_req *r = x->r;
	uint8_t want[32], got[32], ack[32], digest[32];
	size_t len;
	unsigned n;
	uint64_t total;
	if (b64_exact(http_header(r, "x-ghostdrop-hash"), want, 32) != 0) {
		http_reply_error(r, 400, "bad_request", "X-Ghostdrop-Hash must be 32 bytes, base64url");
		return;
	}
	const uint8_t *body = http_body(r, &len);
	crypto_generichash(got, 32, body, len, NULL, 0);
	if (sodium_memcmp(got, want, 32) != 0) {
		http_reply_error(r, 400, "hash_mismatch", "body does not match X-Ghostdrop-Hash");
		return;
	}
	if (gd_envelope_peek(body, len, &n, &total, ack) != GD_OK || total != len) {
		http_reply_error(r, 400, "bad_envelope", "not a complete ghostdrop envelope");
		return;
	}
	store_submission old;
	int rc = store_submission_get(a->st, x->id, &old);
	if (rc == STORE_OK) { /* stored before, in one request or as an upload (§11.3) */
		int same = old.size == len && old.chunk_size > 0 &&
			   envelope_digest(digest, body, len, old.chunk_size) == 0 &&
			   (sodium_memcmp(digest, old.env_hash, 32) == 0 ||
			    sodium_memcmp(got, old.env_hash, 32) == 0); /* a record of an older drop */
		if (!same) {
			http_reply_error(r, 409, "id_conflict", "another envelope was stored under this id");
			return;
		}
		json_t *o = json_object();
		json_object_set_new(o, "id", b64j(x->id, 16));
		json_object_set_new(o, "status", json_string("already_stored"));
		reply_json(r, 200, o);
		return;
	}
	if (envelope_digest(digest, body, len, (uint32_t)a->cfg.chunk_size) != 0) {
		store_error(r, STORE_ERROR);
		return;
	}
	/* No room below the mark: idle uploads give theirs (the write itself decides). */
	(void)room_for(a, x->pow.bits, store_upload_growth(len, (uint32_t)a->cfg.chunk_size), 0);
	store_op *op = store_op_new(OP_SUBMIT);
	if (op == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	memcpy(op->id, x->id, 16);
	randombytes_buf(op->blob, 16);
	memcpy(op->hash, ack, 32);
	memcpy(op->hash2, digest, 32);
	op->day = today();
	op->chunk_size = (uint32_t)a->cfg.chunk_size;
	op->data = http_take_body(r, &op->len); /* owned by the op: the client may vanish */
	op->size = op->len;
	op->n = (uint32_t)((op->len + op->chunk_size - 1) / op->chunk_size);
	enqueue(a, r, op, submit_done, x);
}

/* ---- uploads ---- */

static upload *upload_find(api *a, const uint8_t id[16])
{
	for (upload *u = a->uploads; u != NULL; u = u->next)
		if (!u->gone && sodium_memcmp(u->id, id, 16) == 0)
			return u;
	return NULL;
}

/* Memory and list only: the slot, the space and the chunks are upload_drop's. */
static void upload_free(api *a, upload *u)
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
	free(u);
}

/* An open upload is abandoned (deadline, no progress, or its slot given to a newcomer): its
 * chunks go, its reservation and its slot come back now, its memory when no request holds it.
 * -1 if the write queue cannot take the deletion now (tried again later). */
static int upload_drop(api *a, upload *u)
{
	store_op *del = store_op_new(OP_BLOB_DEL); /* after its chunk writes: the queue is FIFO */
	if (del == NULL)
		return -1;
	memcpy(del->blob, u->id, 16);
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
static void upload_done(api *a, upload *u, const uint8_t digest[32])
{
	store_unreserve(a->st, u->reserved);
	u->reserved = 0;
	memcpy(u->digest, digest, 32);
	free(u->hash);
	free(u->state);
	u->hash = NULL;
	u->state = NULL;
	u->committed = 1;
	u->progress = now_s();
	a->n_uploads--;
	a->n_done++;
	while (a->n_done > DONE_MAX) {
		upload *old = NULL;
		for (upload *v = a->uploads; v != NULL; v = v->next)
			if (v->committed && v->users == 0 && (old == NULL || v->progress <= old->progress))
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
	json_object_set_new(o, "upload", b64j(u->id, 16));
	json_object_set_new(o, "size", json_integer((json_int_t)u->size));
	json_object_set_new(o, "chunk_size", json_integer(u->chunk_size));
	json_object_set_new(o, "chunks", json_integer(u->n_chunks));
	for (uint32_t i = 0; i < u->n_chunks; i++)
		if (u->state == NULL || u->state[i] == 2) /* committed: every chunk */
			json_array_append_new(rec, json_integer(i));
	json_object_set_new(o, "received", rec);
	json_object_set_new(o, "committed", json_boolean(u->committed));
	return o;
}

/* ---- request bodies: pure parsers (tests/fuzz/fuzz_api.c runs them on anything) ---- */

/* A strict JSON object (no duplicate keys), or NULL. */
static json_t *parse_object(const uint8_t *b, size_t len)
{
	json_error_t err;
	json_t *o = json_loadb((const char *)b, len, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* POST /v1/uploads: {"id": 16 bytes, "size": N >= 1} and nothing else. */
static int upload_new_fields(json_t *o, uint8_t id[16], uint64_t *size)
{
	json_t *sz = json_object_get(o, "size");
	if (b64_exact(json_string_value(json_object_get(o, "id")), id, 16) != 0 ||
	    !json_is_integer(sz) || json_integer_value(sz) < 1 || json_object_size(o) != 2)
		return -1;
	*size = (uint64_t)json_integer_value(sz);
	return 0;
}

/* POST /v1/uploads/ID/commit: {"hash": 32 bytes} and nothing else. */
static int commit_fields(json_t *o, uint8_t hash[32])
{
	return b64_exact(json_string_value(json_object_get(o, "hash")), hash, 32) != 0 ||
			       json_object_size(o) != 1
		       ? -1
		       : 0;
}

/* POST /v1/courier/submissions/ID/ack: {"ack_key": 32 bytes} and nothing else. */
static int ack_fields(json_t *o, uint8_t key[32])
{
	return json_object_size(o) != 1 ? -1
					 : b64_exact(json_string_value(json_object_get(o, "ack_key")), key, 32);
}

/* POST /v1/mailbox/fetch and /ack (§11.3): the mailbox key and its signature over the request's
 * proof-of-work challenge; a fetch may add "cursor" (a reply id: start after it) and "limit"
 * (1..MAX_LIST), an ack must add "ids" (mailbox_ids). Nothing else. */
typedef struct {
	uint8_t pk[32], sig[64], cursor[16];
	int has_cursor;
	unsigned limit;
} mailbox_req;

static int mailbox_fields(json_t *o, int ack, mailbox_req *m)
{
	json_t *cur = json_object_get(o, "cursor"), *lim = json_object_get(o, "limit");
	size_t want = 2;
	m->has_cursor = cur != NULL;
	m->limit = MAX_LIST;
	if (b64_exact(json_string_value(json_object_get(o, "mailbox_pk")), m->pk, 32) != 0 ||
	    b64_exact(json_string_value(json_object_get(o, "signature")), m->sig, 64) != 0)
		return -1;
	if (ack)
		return json_object_get(o, "ids") != NULL && json_object_size(o) == 3 ? 0 : -1;
	if (cur != NULL && (want++, b64_exact(json_string_value(cur), m->cursor, 16) != 0))
		return -1;
	if (lim != NULL) {
		want++;
		if (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
		    json_integer_value(lim) > MAX_LIST)
			return -1;
		m->limit = (unsigned)json_integer_value(lim);
	}
	return json_object_size(o) == want ? 0 : -1;
}

/* POST /v1/mailbox/ack's "ids": at most MAX_LIST ids of 16 bytes into out (16 * MAX_LIST).
 * -1: not an array or too long; -2: an id that is not 16 bytes of base64url. */
static int mailbox_ids(json_t *o, uint8_t *out, size_t *n)
{
	json_t *ids = json_object_get(o, "ids"), *v;
	size_t i;
	if (!json_is_array(ids) || json_array_size(ids) > MAX_LIST)
		return -1;
	json_array_foreach(ids, i, v)
	{
		if (b64_exact(json_string_value(v), out + 16 * i, 16) != 0)
			return -2;
	}
	*n = json_array_size(ids);
	return 0;
}

/* POST /v1/courier/replies: {"mailbox_id": 16 bytes, "reply": a §8 blob}. The drop cannot read
 * a reply, but it checks that it is shaped like one. out holds at least strlen(reply) bytes. */
static int reply_fields(json_t *o, uint8_t mb[16], uint8_t *out, size_t cap, size_t *len)
{
	const char *blob = json_string_value(json_object_get(o, "reply"));
	*len = 0;
	return json_object_size(o) != 2 ||
			       b64_exact(json_string_value(json_object_get(o, "mailbox_id")), mb, 16) != 0 ||
			       blob == NULL || gd_b64_decode(out, cap, len, blob, strlen(blob)) != GD_OK ||
			       *len < 5 + 24 + 16 + GD_REPLY_PAD_FLOOR || memcmp(out, "GDRP\x01", 5) != 0
		       ? -1
		       : 0;
}

/* A chunk index in a path: decimal, below n_chunks. */
static int chunk_index(const char *s, uint32_t n_chunks, uint32_t *idx)
{
	char *end;
	errno = 0;
	unsigned long i = strtoul(s, &end, 10);
	if (errno || end == s || *end != '\0' || s[0] == '-' || s[0] == '+' || s[0] == ' ' ||
	    i >= n_chunks)
		return -1;
	*idx = (uint32_t)i;
	return 0;
}

static json_t *body_json(http_req *r)
{
	size_t len;
	const uint8_t *b = http_body(r, &len);
	json_t *o = parse_object(b, len);
	if (o == NULL)
		http_reply_error(r, 400, "bad_json", "body must be a JSON object");
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

/* A newcomer whose proof of work has `bits` finds every slot, or the room below the mark,
 * taken: the open upload that stored nothing for longest gives its slot and its reservation, if
 * it has been idle for upload_idle_seconds, or for half that per bit of work less than the
 * newcomer's (down to 1/16). Holding a slot or space thus takes a stored chunk that often; an
 * upload has only as many chunks as its size, which its proof of work paid for, and a cheap
 * one keeps a costly one out only briefly (§11.3). 0 if an upload was evicted. */
static int upload_evict_idle(api *a, unsigned bits)
{
	time_t now = now_s();
	upload *old = NULL;
	for (upload *u = a->uploads; u != NULL; u = u->next) {
		unsigned less = bits > u->bits ? bits - u->bits : 0;
		time_t grace = (time_t)(a->cfg.upload_idle_seconds >> (less < 4 ? less : 4));
		if (!u->committed && !u->gone && u->pending == 0 && !u->committing &&
		    upload_idle_for(a, u, now, grace) && (old == NULL || u->progress <= old->progress))
			old = u; /* the list is newest first: on a tie, the older one */
	}
	return old != NULL ? upload_drop(a, old) : -1;
}

/* Room below the mark for `bytes` (reserved if `reserve`, for an upload; only checked for a
 * one-request submission), evicting idle uploads for it as for a slot: a refusal for space is
 * contention too (§12.3). STORE_OK or STORE_FULL. */
static int room_for(api *a, unsigned bits, uint64_t bytes, int reserve)
{
	for (;;) {
		int rc = reserve ? store_reserve(a->st, bytes) : store_fits(a->st, bytes);
		if (rc == STORE_OK || upload_evict_idle(a, bits) != 0)
			return rc;
	}
}

static void on_upload_new(api *a, rctx *x)
{
	http_req *r = x->r;
	json_t *o = body_json(r);
	uint8_t sub_id[16];
	uint64_t n;
	if (o == NULL)
		return;
	int bad = upload_new_fields(o, sub_id, &n);
	json_decref(o);
	if (bad) {
		http_reply_error(r, 400, "bad_request", "need {\"id\": 16 bytes base64url, \"size\": N}");
		return;
	}
	if (n > a->cfg.max_envelope) {
		http_reply_error(r, 413, "envelope_too_large", "envelope larger than this drop takes");
		return;
	}
	if (n != x->pow.declared_size) {
		http_reply_error(r, 403, "pow_size", "proof of work was made for another size");
		return;
	}
	if (a->n_uploads >= a->cfg.max_uploads && upload_evict_idle(a, x->pow.bits) != 0) {
		http_reply_error(r, 503, "too_many_uploads", "too many uploads open; retry later");
		return;
	}
	upload *u = calloc(1, sizeof *u);
	if (u == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	randombytes_buf(u->id, 16);
	memcpy(u->sub_id, sub_id, 16);
	u->size = n;
	u->chunk_size = (uint32_t)a->cfg.chunk_size;
	u->n_chunks = (uint32_t)((n + u->chunk_size - 1) / u->chunk_size);
	u->hash = calloc(u->n_chunks, 32);
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
		free(u);
		store_error(r, rc);
		return;
	}
	u->next = a->uploads;
	a->uploads = u;
	a->n_uploads++;
	reply_json(r, 201, upload_json(u));
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

static void upload_gone(http_req *r)
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
	} else if (op->result == STORE_OK) {
		u->state[op->idx] = 2;
		u->received++;
		u->progress = now_s();
		u->body_lost = 0;
		u->body_since = u->progress; /* bodies still arriving count anew from here */
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string("stored"));
		json_object_set_new(o, "received", json_integer(u->received));
		reply_json(x->r, 201, o);
	} else {
		u->state[op->idx] = 0;
		store_error(x->r, op->result);
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

static void on_chunk(api *a, rctx *x)
{
	http_req *r = x->r;
	upload *u = x->up;
	uint8_t h[32], want[32];
	size_t len;
	const uint8_t *body = http_body(r, &len);
	chunk_arrived(x, 0);
	if (u->committed) {
		http_reply_error(r, 409, "upload_committed", "this upload is committed already");
		return;
	}
	crypto_generichash(h, 32, body, len, NULL, 0);
	const char *hh = http_header(r, "x-ghostdrop-hash");
	if (hh != NULL && (b64_exact(hh, want, 32) != 0 || sodium_memcmp(want, h, 32) != 0)) {
		http_reply_error(r, 400, "hash_mismatch", "chunk does not match X-Ghostdrop-Hash");
		return;
	}
	if (u->state[x->idx] != 0) {
		if (sodium_memcmp(u->hash[x->idx], h, 32) != 0) {
			http_reply_error(r, 409, "chunk_conflict", "this chunk was stored with other bytes");
			return;
		}
		if (u->state[x->idx] == 1) {
			http_reply_error(r, 503, "chunk_pending", "this chunk is being stored; retry");
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
		if (gd_envelope_peek(body, len, &n, &total, u->ack_hash) != GD_OK || total != u->size) {
			http_reply_error(r, 400, "bad_envelope", "chunk 0 must start an envelope of the declared size");
			return;
		}
		u->have_header = 1;
	}
	store_op *op = store_op_new(OP_CHUNK_PUT);
	if (op == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	memcpy(op->blob, u->id, 16);
	op->idx = x->idx;
	op->data = http_take_body(r, &op->len);
	uint64_t share = store_chunk_growth(op->len);
	op->reserved = share < u->reserved ? share : u->reserved;
	share = op->reserved;
	u->reserved -= share;
	memcpy(u->hash[x->idx], h, 32);
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
	} else if (op->result == STORE_OK || op->result == STORE_EXISTS) {
		if (op->result == STORE_EXISTS) {
			/* stored before, in one request or through another upload: not needed */
			store_op *del = store_op_new(OP_BLOB_DEL);
			if (del != NULL) {
				memcpy(del->blob, u->id, 16);
				if (store_enqueue(a->st, del) != STORE_OK)
					store_op_free(del); /* the next start's GC takes them */
			}
		}
		upload_done(a, u, op->hash2);
		json_t *o = json_object();
		json_object_set_new(o, "id", b64j(u->sub_id, 16));
		json_object_set_new(o, "status",
				    json_string(op->result == STORE_OK ? "stored" : "already_stored"));
		reply_json(x->r, op->result == STORE_OK ? 201 : 200, o);
	} else if (op->result == STORE_CONFLICT) {
		http_reply_error(x->r, 409, "id_conflict", "another envelope was stored under this id");
	} else {
		store_error(x->r, op->result);
	}
	store_op_free(op);
}

static void on_commit(api *a, rctx *x)
{
	http_req *r = x->r;
	upload *u = x->up;
	uint8_t digest[32], want[32];
	json_t *o = body_json(r);
	if (o == NULL)
		return;
	int bad = commit_fields(o, want);
	json_decref(o);
	if (bad) {
		http_reply_error(r, 400, "bad_request", "need {\"hash\": 32 bytes base64url}");
		return;
	}
	if (u->committed) { /* a retried commit, its answer lost: the record answers */
		if (sodium_memcmp(u->digest, want, 32) != 0) {
			http_reply_error(r, 400, "hash_mismatch", "the chunks do not make this envelope");
			return;
		}
		json_t *done = json_object();
		json_object_set_new(done, "id", b64j(u->sub_id, 16));
		json_object_set_new(done, "status", json_string("already_stored"));
		reply_json(r, 200, done);
		return;
	}
	if (u->received != u->n_chunks || u->pending > 0) {
		http_reply_error(r, 409, "upload_incomplete", "not every chunk has been stored");
		return;
	}
	gd_upload_digest(digest, u->size, (const uint8_t(*)[32])u->hash, u->n_chunks);
	if (sodium_memcmp(digest, want, 32) != 0) {
		http_reply_error(r, 400, "hash_mismatch", "the chunks do not make this envelope");
		return;
	}
	if (u->committing) {
		http_reply_error(r, 503, "commit_pending", "this upload is being committed; retry");
		return;
	}
	store_op *op = store_op_new(OP_COMMIT);
	if (op == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	memcpy(op->id, u->sub_id, 16);
	memcpy(op->blob, u->id, 16);
	memcpy(op->hash, u->ack_hash, 32);
	memcpy(op->hash2, digest, 32); /* the envelope hash of §12.2, as for one-request ones */
	op->day = today();
	op->size = u->size;
	op->n = u->n_chunks;
	op->chunk_size = u->chunk_size;
	uint64_t share = store_chunk_growth(0);
	op->reserved = share < u->reserved ? share : u->reserved;
	share = op->reserved;
	u->reserved -= share;
	u->committing = 1;
	if (enqueue(a, r, op, commit_done, x) != 0) {
		u->committing = 0;
		u->reserved += share;
	}
}

/* Abandoned uploads: past their deadline, without a chunk for upload_stall_minutes, or idle
 * with nothing left to wait for (no chunk yet, or every chunk and no commit). Committed
 * records go at the upload's deadline. */
static void uploads_expire(api *a)
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
		/* The minimum rate: a chunk stored every upload_idle_seconds (a chunk still arriving
		 * extends it), and every upload_stall_minutes whatever arrives. */
		int stalled = now > u->progress + (time_t)a->cfg.upload_stall_minutes * 60;
		int idle = upload_idle(a, u, now);
		if (late || stalled || idle)
			upload_drop(a, u);
	}
}

/* ---- mailboxes ---- */

/* A mailbox request (§11.3): its proof of work (purpose mailbox) was checked with the headers
 * but not spent; the body names the mailbox key and signs that challenge with it. The challenge
 * is spent only once the signature verified, so a bad one does not use up a source's work. */
static int mailbox_auth(api *a, rctx *x, int ack, json_t *o, mailbox_req *m, uint8_t mailbox_id[16])
{
	http_req *r = x->r;
	if (mailbox_fields(o, ack, m) != 0) {
		http_reply_error(r, 400, "bad_request",
				 ack ? "need exactly mailbox_pk (32), signature (64) and ids"
				     : "need mailbox_pk (32), signature (64), optional cursor and limit");
		return -1;
	}
	if ((int64_t)now_s() > x->pow.expires) { /* the body came late */
		http_reply_error(r, 403, "pow_expired", "proof of work expired; get a new challenge");
		return -1;
	}
	if (gd_mailbox_verify(m->sig, x->pow_raw, sizeof x->pow_raw, m->pk) != GD_OK) {
		http_reply_error(r, 403, "bad_signature", "the signature does not verify");
		return -1;
	}
	if (pow_spend(a, r, &x->pow) != 0)
		return -1;
	gd_mailbox_id(mailbox_id, m->pk);
	return 0;
}

typedef struct {
	json_t *list;
	size_t n, bytes, limit;
} reply_page;

/* A page holds at most `limit` replies and PAGE_BYTES of them (one, whatever its size). */
static int page_reply(void *arg, const uint8_t *id, const uint8_t *blob, size_t len)
{
	reply_page *p = arg;
	if (p->n > 0 && p->bytes + len > PAGE_BYTES)
		return -1;
	json_t *o = json_object();
	json_object_set_new(o, "id", b64j(id, 16));
	json_object_set_new(o, "reply", b64j(blob, len));
	json_array_append_new(p->list, o);
	p->bytes += len;
	return ++p->n >= p->limit ? 1 : 0;
}

static void on_mb_fetch(api *a, rctx *x)
{
	http_req *r = x->r;
	uint8_t mb[16], last[16];
	mailbox_req m;
	int more = 0;
	json_t *o = body_json(r);
	if (o == NULL)
		return;
	int rc = mailbox_auth(a, x, 0, o, &m, mb);
	json_decref(o);
	if (rc != 0)
		return;
	/* A missing mailbox and an empty one answer alike. */
	reply_page p = {json_array(), 0, 0, m.limit};
	rc = store_mailbox_page(a->st, mb, m.has_cursor ? m.cursor : NULL, PAGE_SCAN, page_reply, &p,
				last, &more);
	if (rc != STORE_OK) {
		json_decref(p.list);
		store_error(r, rc);
		return;
	}
	json_t *out = json_object();
	json_object_set_new(out, "replies", p.list);
	if (more)
		json_object_set_new(out, "next", b64j(last, 16));
	reply_json(r, 200, out);
}

static void del_done(store_op *op, void *arg)
{
	rctx *x = arg;
	if (op->result >= 0) {
		json_t *o = json_object();
		json_object_set_new(o, "deleted", json_integer((json_int_t)op->count));
		reply_json(x->r, 200, o);
	} else {
		store_error(x->r, op->result);
	}
	store_op_free(op);
}

static void on_mb_ack(api *a, rctx *x)
{
	http_req *r = x->r;
	uint8_t mb[16];
	mailbox_req m;
	json_t *o = body_json(r);
	size_t n_ids = 0;
	if (o == NULL)
		return;
	store_op *op = store_op_new(OP_REPLY_DEL);
	if (op == NULL || (op->data = malloc(16 * MAX_LIST + 1)) == NULL) {
		store_op_free(op);
		json_decref(o);
		store_error(r, STORE_ERROR);
		return;
	}
	int bad = mailbox_ids(o, op->data, &n_ids);
	if (bad != 0) {
		store_op_free(op);
		json_decref(o);
		http_reply_error(r, 400, "bad_request", bad == -1 ? "ids must be an array of at most 100 ids"
								  : "each id is 16 bytes, base64url");
		return;
	}
	op->len = 16 * n_ids;
	int rc = mailbox_auth(a, x, 1, o, &m, mb);
	json_decref(o);
	if (rc != 0) {
		store_op_free(op);
		return;
	}
	memcpy(op->id, mb, 16);
	enqueue(a, r, op, del_done, x);
}

/* ---- couriers ---- */

void api_token_hash(uint8_t hash[32], const uint8_t token[TOKEN_BYTES])
{
	static const char ctx[] = "ghostdrop/v1/courier-token";
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof ctx);
	crypto_generichash_update(&st, token, TOKEN_BYTES);
	crypto_generichash_final(&st, hash, 32);
}

static int courier_auth(api *a, http_req *r)
{
	const char *h = http_header(r, "authorization");
	uint8_t token[TOKEN_BYTES], hash[32];
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || b64_exact(h + 7, token, sizeof token)) {
		http_reply_error(r, 401, "unauthorized", "a courier token is required");
		return -1;
	}
	api_token_hash(hash, token);
	sodium_memzero(token, sizeof token);
	if (store_token_check(a->st, hash, NULL, 0) != STORE_OK) {
		http_reply_error(r, 401, "unauthorized", "unknown or revoked courier token");
		return -1;
	}
	return 0;
}

static int list_one(void *arg, const store_submission *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", b64j(s->id, 16));
	json_object_set_new(o, "size", json_integer((json_int_t)s->size));
	json_object_set_new(o, "day", json_integer(s->received_day));
	json_object_set_new(o, "fetched", json_boolean(s->fetched_day != 0));
	json_array_append_new(arg, o);
	return 0;
}

static void on_c_list(api *a, rctx *x)
{
	http_req *r = x->r;
	json_t *list = json_array();
	int rc = store_submission_list(a->st, list_one, list);
	if (rc != STORE_OK) {
		json_decref(list);
		store_error(r, rc);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "submissions", list);
	reply_json(r, 200, o);
}

typedef struct {
	api *a;
	store_submission sub;
	uint32_t next;
	size_t skip; /* bytes of the first chunk before ?offset= */
	uint8_t *buf;
} download;

/* One chunk per call, copied out of a short read transaction. */
static int download_pull(void *arg, http_req *r)
{
	download *d = arg;
	size_t len;
	if (d->next >= d->sub.n_chunks)
		return 1;
	if (store_chunk_read(d->a->st, d->sub.blob, d->next, d->buf, d->sub.chunk_size, &len) !=
		    STORE_OK ||
	    d->skip > len || http_stream_write(r, d->buf + d->skip, len - d->skip) != 0)
		return -1;
	d->skip = 0;
	d->next++;
	return d->next >= d->sub.n_chunks;
}

static void download_done(void *arg)
{
	download *d = arg;
	free(d->buf);
	free(d);
}

static void on_c_get(api *a, rctx *x)
{
	http_req *r = x->r;
	download *d = calloc(1, sizeof *d);
	if (d == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	d->a = a;
	int rc = store_submission_get(a->st, x->id, &d->sub);
	if (rc != STORE_OK || (d->buf = malloc(d->sub.chunk_size)) == NULL) {
		free(d);
		store_error(r, rc == STORE_OK ? STORE_ERROR : rc);
		return;
	}
	/* ?offset=N resumes an interrupted download (ghostdrop-desk fetch) */
	char q[24], *end;
	uint64_t offset = 0;
	int qr = http_query(r, "offset", q, sizeof q);
	if (qr == -2)
		q[0] = '-'; /* too long: refused below */
	if (qr != -1) {
		errno = 0;
		unsigned long long v = strtoull(q, &end, 10);
		if (errno != 0 || end == q || *end != '\0' || q[0] == '-' || v > d->sub.size) {
			free(d->buf);
			free(d);
			http_reply_error(r, 400, "bad_offset", "offset is a byte count within the submission");
			return;
		}
		offset = v;
		d->next = (uint32_t)(offset / d->sub.chunk_size);
		d->skip = (size_t)(offset % d->sub.chunk_size);
	}
	if (d->sub.fetched_day == 0) {
		/* The retention clock starts at the first fetch; nobody waits for this commit. */
		store_op *op = store_op_new(OP_FETCHED);
		if (op != NULL) {
			memcpy(op->id, x->id, 16);
			op->day = today();
			if (store_enqueue(a->st, op) != STORE_OK)
				store_op_free(op);
		}
	}
	http_reply_stream(r, 200, "application/octet-stream", d->sub.size - offset, download_pull,
			  download_done, d);
}

static void ack_done(store_op *op, void *arg)
{
	rctx *x = arg;
	if (op->result == STORE_OK) {
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string("deleted"));
		reply_json(x->r, 200, o);
	} else if (op->result == STORE_BAD_KEY) {
		http_reply_error(x->r, 403, "bad_ack_key", "this ack key does not open this submission");
	} else {
		store_error(x->r, op->result);
	}
	store_op_free(op);
}

static void on_c_ack(api *a, rctx *x)
{
	http_req *r = x->r;
	json_t *o = body_json(r);
	uint8_t key[32];
	if (o == NULL)
		return;
	int bad = ack_fields(o, key) != 0;
	json_decref(o);
	if (bad) {
		http_reply_error(r, 400, "bad_request", "need {\"ack_key\": 32 bytes base64url}");
		return;
	}
	store_op *op = store_op_new(OP_ACK);
	if (op == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	memcpy(op->id, x->id, 16);
	memcpy(op->hash, key, 32);
	sodium_memzero(key, sizeof key);
	enqueue(a, r, op, ack_done, x);
}

static void reply_put_done(store_op *op, void *arg)
{
	rctx *x = arg;
	if (op->result == STORE_OK || op->result == STORE_EXISTS) {
		json_t *o = json_object();
		json_object_set_new(o, "id", b64j(op->blob, 16));
		json_object_set_new(o, "status", json_string(op->result == STORE_OK ? "stored"
										    : "already_stored"));
		reply_json(x->r, op->result == STORE_OK ? 201 : 200, o);
	} else if (op->result == STORE_CONFLICT) {
		http_reply_error(x->r, 409, "reply_acknowledged",
				 "the source acknowledged this reply already; it is not shown again");
	} else if (op->result == STORE_LIMIT) {
		http_reply_error(x->r, 409, "mailbox_full",
				 "this mailbox holds its most replies until its source reads them");
	} else {
		store_error(x->r, op->result);
	}
	store_op_free(op);
}

/* A reply's id at the drop is a hash of its bytes (§11.4): the same reply pushed twice is one,
 * and an acknowledged one is recognised when it comes back. */
static void reply_id(uint8_t id[16], const uint8_t *blob, size_t len)
{
	static const char ctx[] = "ghostdrop/v1/reply-id";
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 16);
	crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof ctx);
	crypto_generichash_update(&st, blob, len);
	crypto_generichash_final(&st, id, 16);
}

static void on_c_reply(api *a, rctx *x)
{
	http_req *r = x->r;
	json_t *o = body_json(r);
	uint8_t mb[16];
	if (o == NULL)
		return;
	const char *blob = json_string_value(json_object_get(o, "reply"));
	store_op *op = store_op_new(OP_REPLY_PUT);
	size_t cap = blob ? strlen(blob) : 0, len = 0;
	if (op == NULL || (op->data = malloc(cap + 1)) == NULL) {
		store_op_free(op);
		json_decref(o);
		store_error(r, STORE_ERROR);
		return;
	}
	int bad = reply_fields(o, mb, op->data, cap, &len), extra = json_object_size(o) != 2;
	json_decref(o);
	if (bad) {
		store_op_free(op);
		if (extra)
			http_reply_error(r, 400, "bad_request", "need exactly mailbox_id and reply");
		else
			http_reply_error(r, 400, "bad_reply",
					 "need {\"mailbox_id\": 16 bytes, \"reply\": a reply}");
		return;
	}
	op->len = len;
	memcpy(op->id, mb, 16);
	reply_id(op->blob, op->data, len);
	op->day = today() + a->cfg.reply_days;
	op->n = a->cfg.max_mailbox_replies;
	enqueue(a, r, op, reply_put_done, x);
}

/* ---- routing ---- */

static void rctx_free(void *p)
{
	rctx *x = p;
	if (x->up != NULL)
		chunk_arrived(x, 1); /* its body never came whole */
	if (x->up != NULL && --x->up->users == 0 && x->up->gone)
		upload_free(x->a, x->up); /* dropped while this request held it */
	free(x);
}

/* Split "/v1/a/b/c" into at most 6 segments. */
static int segments(const char *path, char seg[6][64])
{
	int n = 0;
	const char *p = path;
	while (*p == '/' && n < 6) {
		const char *e = strchr(p + 1, '/');
		size_t l = e ? (size_t)(e - p - 1) : strlen(p + 1);
		if (l == 0 || l >= 64)
			return -1;
		memcpy(seg[n], p + 1, l);
		seg[n][l] = '\0';
		n++;
		p += l + 1;
	}
	return *p == '\0' ? n : -1;
}

static void on_upload_get(api *a, rctx *x)
{
	(void)a;
	reply_json(x->r, 200, upload_json(x->up));
}

/* POST /v1/submissions, before its body: the id it is stored under. */
static long long submit_head(api *a, rctx *x)
{
	(void)a;
	if (b64_exact(http_header(x->r, "x-ghostdrop-id"), x->id, 16) != 0) {
		http_reply_error(x->r, 400, "bad_request", "X-Ghostdrop-Id must be 16 bytes, base64url");
		return HTTP_REFUSED;
	}
	return 0;
}

/* PUT /v1/uploads/ID/chunks/N, before its body: an index of this upload, the size of that
 * chunk, and one body per chunk index, a few per upload, before any is buffered (§11.3). */
static long long chunk_head(api *a, rctx *x)
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

/* The gates a route's request passes before one byte of its body is read, in this order: */
enum {
	G_COURIER = 1 << 0, /* a courier token (401), before anything else under /v1/courier */
	G_OCTETS = 1 << 1,  /* Content-Type: application/octet-stream (415), after the method */
	G_POW_HOLD = 1 << 2, /* the proof of work is checked, not spent: the body's signature
			      * spends it (mailbox_auth) */
};

/* Body caps that depend on the drop's configuration or on the request. */
#define BODY_SUBMIT (-2LL) /* max_submit */

/* One row per endpoint (PROTOCOL.md §11). A pattern's segments after "/v1" are literals or
 * placeholders: "{id}" a 16-byte id (404 not_found otherwise), "{upload}" an open upload
 * (404 upload_not_found otherwise), "{n}" a segment the head hook reads. The checks run in
 * this order: courier token, placeholders, method (405), content type (415), the head hook
 * (which may set the body cap), the proof of work (purpose `pow`, 0 none); then the body, at
 * most `body` bytes, then the handler. */
typedef struct route {
	const char *method;
	const char *pattern;
	long long body;
	uint8_t pow;
	unsigned gates;
	long long (*head)(api *, rctx *);
	void (*handle)(api *, rctx *);
} route;

static const route routes[] = {
	{"GET", "limits", 0, 0, 0, NULL, on_limits},
	{"GET", "bundle", 0, 0, 0, NULL, on_bundle},
	{"POST", "pow", 0, 0, 0, NULL, on_pow},
	{"POST", "submissions", BODY_SUBMIT, GD_POW_SUBMIT, G_OCTETS, submit_head, on_submit},
	{"POST", "uploads", JSON_SMALL, GD_POW_UPLOAD, 0, NULL, on_upload_new},
	{"GET", "uploads/{upload}", 0, 0, 0, NULL, on_upload_get},
	{"POST", "uploads/{upload}/commit", JSON_SMALL, 0, 0, NULL, on_commit},
	{"PUT", "uploads/{upload}/chunks/{n}", 0, 0, G_OCTETS, chunk_head, on_chunk},
	{"POST", "mailbox/fetch", JSON_SMALL, GD_POW_MAILBOX, G_POW_HOLD, NULL, on_mb_fetch},
	{"POST", "mailbox/ack", JSON_SMALL, GD_POW_MAILBOX, G_POW_HOLD, NULL, on_mb_ack},
	{"GET", "courier/submissions", 0, 0, G_COURIER, NULL, on_c_list},
	{"GET", "courier/submissions/{id}", 0, 0, G_COURIER, NULL, on_c_get},
	{"POST", "courier/submissions/{id}/ack", JSON_SMALL, 0, G_COURIER, NULL, on_c_ack},
	{"POST", "courier/replies", REPLY_BODY_MAX, 0, G_COURIER, NULL, on_c_reply},
};

/* How much of a path (n segments, "v1" first) a route's pattern names: 2 all of it; 1 its
 * resource (the first segment after "v1"), both going on beyond it; 0 not even that. */
static int route_match(const route *rt, char seg[6][64], int n)
{
	char pat[64];
	int k = 1, whole = 1;
	for (const char *p = rt->pattern; *p != '\0'; k++) {
		size_t l = strcspn(p, "/");
		snprintf(pat, sizeof pat, "%.*s", (int)l, p);
		p += l + (p[l] == '/');
		if (k >= n || (pat[0] != '{' && strcmp(pat, seg[k]) != 0)) {
			if (k == 1)
				return 0;
			whole = 0;
		}
	}
	if (whole && k == n)
		return 2;
	return n >= 3 && k >= 3 ? 1 : 0;
}

/* The gates a path passes for being under a resource: a courier token, an open upload, an
 * id. 0 or HTTP_REFUSED (answered). */
static long long path_gates(api *a, rctx *x, const route *rt, char seg[6][64], int n, int whole)
{
	http_req *r = x->r;
	if ((rt->gates & G_COURIER) && courier_auth(a, r) != 0)
		return HTTP_REFUSED;
	const char *p = rt->pattern;
	for (int k = 1; *p != '\0' && k < n; k++) {
		size_t l = strcspn(p, "/");
		if (strncmp(p, "{upload}", l) == 0 && l == 8) {
			uint8_t id[16];
			if (b64_exact(seg[k], id, 16) != 0 || (x->up = upload_find(a, id)) == NULL) {
				upload_gone(r);
				return HTTP_REFUSED;
			}
			x->up->users++; /* until this request ends, however it ends (rctx_free) */
		} else if (whole && strncmp(p, "{id}", l) == 0 && l == 4) {
			if (b64_exact(seg[k], x->id, 16) != 0)
				return 1;
		} else if (whole && strncmp(p, "{n}", l) == 0 && l == 3) {
			snprintf(x->seg_n, sizeof x->seg_n, "%s", seg[k]);
		}
		p += l + (p[l] == '/');
	}
	return 0;
}

static long long api_head(http_req *r, void *arg)
{
	api *a = arg;
	char seg[6][64];
	int n = segments(http_path(r), seg);
	rctx *x = calloc(1, sizeof *x);
	if (x == NULL) {
		http_reply_error(r, 503, "overloaded", "out of memory");
		return HTTP_REFUSED;
	}
	x->a = a;
	x->r = r;
	http_set_user(r, x, rctx_free);
	if (n < 2 || strcmp(seg[0], "v1") != 0)
		goto not_found;
	const route *rt = NULL, *near = NULL;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0] && rt == NULL; i++) {
		int m = route_match(&routes[i], seg, n);
		if (m == 2)
			rt = &routes[i];
		else if (m == 1 && near == NULL)
			near = &routes[i];
	}
	if (rt == NULL) {
		/* No such endpoint; under a resource its path gates answer first, as they would for
		 * an endpoint under it. */
		if (near != NULL && path_gates(a, x, near, seg, n, 0) != 0)
			return HTTP_REFUSED;
		goto not_found;
	}
	long long rc = path_gates(a, x, rt, seg, n, 1);
	if (rc == 1)
		goto not_found;
	if (rc != 0)
		return HTTP_REFUSED;
	if (strcmp(http_method(r), rt->method) != 0) {
		http_reply_error(r, 405, "method_not_allowed", "method not allowed here");
		return HTTP_REFUSED;
	}
	if (rt->gates & G_OCTETS) {
		const char *ct = http_header(r, "content-type");
		if (ct == NULL || strcmp(ct, "application/octet-stream") != 0) {
			http_reply_error(r, 415, "bad_content_type",
					 "body must be application/octet-stream");
			return HTTP_REFUSED;
		}
	}
	long long cap = rt->body == BODY_SUBMIT ? (long long)a->cfg.max_submit : rt->body;
	if (rt->head != NULL) {
		long long h = rt->head(a, x);
		if (h == HTTP_REFUSED)
			return HTTP_REFUSED;
		cap = h > 0 ? h : cap;
	}
	if (rt->pow != 0) {
		/* A mailbox request's is checked now, spent once the body's signature verified. */
		int bad = (rt->gates & G_POW_HOLD)
				  ? pow_check_header(a, r, rt->pow, &x->pow, x->pow_raw)
				  : pow_verify(a, r, rt->pow, &x->pow);
		if (bad != 0)
			return HTTP_REFUSED;
	}
	x->route = rt;
	return cap;
not_found:
	http_reply_error(r, 404, "not_found", "no such endpoint");
	return HTTP_REFUSED;
}

static void api_handle(http_req *r, void *arg)
{
	api *a = arg;
	rctx *x = http_user(r);
	if (x->up != NULL && x->up->gone) { /* dropped while its body arrived */
		upload_gone(r);
		return;
	}
	x->route->handle(a, x);
}

/* ---- lifecycle ---- */

static void wake(void *arg)
{
	api *a = arg;
	store_drain(a->st);
}

static void notify(void *arg)
{
	api *a = arg;
	ssize_t n = write(a->wake_fd, "x", 1); /* a full pipe already means "wake up" */
	(void)n;
}

static void expire_now(api *a)
{
	store_op *op = store_op_new(OP_EXPIRE);
	if (op == NULL)
		return;
	op->day = today();
	op->idx = a->cfg.retention_days;
	op->n = a->cfg.unfetched_retention_days;
	if (store_enqueue(a->st, op) != STORE_OK)
		store_op_free(op);
}

/* Every LOAD_WINDOW seconds: difficulty follows the write rate up and back down, abandoned
 * uploads go; once a minute, spent ids go; once an hour, retention runs. */
static void tick(void *arg)
{
	api *a = arg;
	unsigned rate = a->writes_window, bonus = 0;
	for (unsigned w = rate / 20; w > 0; w >>= 1)
		bonus++;
	if (bonus != a->load_bonus)
		log_msg(LOG_INFO, "proof-of-work difficulty now %u bits", a->cfg.pow_min_bits + bonus);
	a->load_bonus = bonus;
	a->writes_window = 0;
	a->ticks++;
	uploads_expire(a); /* upload_idle_seconds is short */
	if (a->ticks % (60 / LOAD_WINDOW) == 0) {
		idset_rebuild(&a->spent);
	}
	if (a->ticks % (3600 / LOAD_WINDOW) == 0)
		expire_now(a);
}

api *api_new(store *st, const gd_config *cfg, const uint8_t newsroom_pk[32])
{
	api *a = calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	a->st = st;
	a->cfg = *cfg;
	memcpy(a->newsroom_pk, newsroom_pk, 32);
	/* The PoW key lives in locked memory and is new at every start. */
	if ((a->pow_key = sodium_malloc(GD_POW_KEY_BYTES)) == NULL ||
	    idset_init(&a->spent, SPENT_CAP) != 0) {
		api_free(a);
		return NULL;
	}
	randombytes_buf(a->pow_key, GD_POW_KEY_BYTES);
	return a;
}

void api_free(api *a)
{
	if (a == NULL)
		return;
	while (a->uploads != NULL)
		upload_free(a, a->uploads);
	if (a->pow_key != NULL)
		sodium_free(a->pow_key);
	free(a->spent.val);
	free(a->spent.exp);
	free(a);
}

int api_attach(api *a, http_server *srv)
{
	if ((a->wake_fd = http_wakeup_fd(srv, wake, a)) < 0 ||
	    store_writer_start(a->st, notify, a) != STORE_OK ||
	    http_every(srv, LOAD_WINDOW, tick, a) != 0)
		return -1;
	/* Chunks of uploads that died with the previous process are useless now. */
	store_op *gc = store_op_new(OP_GC);
	if (gc != NULL && store_enqueue(a->st, gc) != STORE_OK)
		store_op_free(gc);
	expire_now(a);
	return 0;
}

int api_idle(void *arg)
{
	api *a = arg;
	return store_pending(a->st) == 0;
}

http_handler api_handler(api *a)
{
	http_handler h = {api_head, api_handle, a};
	return h;
}
