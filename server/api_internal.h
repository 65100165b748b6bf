/* Inside ghostdropd's /v1 API: what the shared core (api.c: context, gates, load control, the
 * spent-id set, replies, routing) and the resources' handlers (api_pow.c, api_submit.c,
 * api_upload.c, api_mailbox.c, api_courier.c) share. No other file includes it. */
#ifndef GD_SERVER_API_INTERNAL_H
#define GD_SERVER_API_INTERNAL_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "api.h"
#include "api_parse.h"
#include "gdcrypto.h"
#include "webassets.h"

#define JSON_SMALL 16384 /* the cap of every JSON body but a courier's reply */

/* A fixed-size open-addressing set of 16-byte random ids with expiry, rebuilt every minute:
 * spent PoW ids (submissions, uploads and mailbox requests alike). RAM only, gone with a
 * restart. Full: new entries are refused (503), never a replay let in. */
typedef struct {
	uint8_t (*val)[GD_ID_BYTES];
	uint32_t *exp; /* unix seconds; 0 empty, 1 a tombstone */
	size_t cap, n;
} idset;

/* An open upload holds one of max_uploads slots and its space reservation. Committed, it
 * gives both back at once and stays only as a small record (id, digest) so that a retried
 * commit is answered; gone (dropped while a request still held it), it waits for that request
 * to end. PROTOCOL.md §11.3. */
typedef struct upload {
	uint8_t id[STORE_ID];        /* the upload id (a capability) and the id of its chunk blob */
	uint8_t sub_id[GD_ID_BYTES]; /* the submission it becomes */
	uint64_t size;
	uint32_t n_chunks, chunk_size, received;
	gd_check check;                  /* how its chunks are checked (§11.3) */
	uint8_t key[GD_CHUNK_KEY_BYTES]; /* poly1305: the worker's chunk key K (secret: never shown
					  * or logged; wiped when freed or committed) */
	uint8_t (*hash)[HASH_BYTES]; /* each chunk's check (gd_chunk_check); NULL once committed */
	uint8_t *state; /* per chunk: 0 missing, 1 being committed, 2 stored, 3 its body arriving;
			 * NULL once committed */
	uint8_t ack_hash[GD_ACK_HASH_BYTES];
	uint8_t env_id[HASH_BYTES]; /* once chunk 0 is in: the envelope id E (§12.2) */
	uint8_t digest[HASH_BYTES]; /* once committed: the §11.3 digest it was committed with */
	uint64_t reserved; /* its space reservation not yet handed to a write (store_reserve) */
	unsigned bits;     /* the proof of work it was created with */
	int have_header, committing, committed, gone;
	unsigned pending;         /* chunk writes in flight */
	unsigned users;           /* requests holding a pointer to it: never freed while > 0 */
	unsigned arriving;        /* chunk bodies being received, at most UPLOAD_BODIES */
	int body_lost;            /* a chunk body ended unstored since the last chunk stored */
	time_t created, progress; /* progress: the last chunk stored, or the commit */
	time_t body_since;        /* when the bodies arriving now began to arrive */
	struct upload *next;
} upload;

typedef struct web web; /* the submission page (api_web.c) */

struct api {
	store *st;
	gd_config cfg;
	uint8_t newsroom_pk[GD_SIGN_PK_BYTES];
	uint8_t *pow_key; /* sodium_malloc'ed, new at every start */
	idset spent;
	upload *uploads;
	unsigned n_uploads, n_done; /* open ones (the slots), committed ones remembered */
	unsigned writes_window, load_bonus;
	int wake_fd;
	unsigned ticks;
	web *web; /* NULL: no page (web_page = off, or not built) */
};

typedef struct route route;

typedef struct {
	api *a;
	http_req *r;
	const route *route; /* the endpoint, once its head passed */
	uint8_t id[GD_ID_BYTES];
	char seg_n[SEG_BYTES]; /* the path's "{n}" segment */
	uint32_t idx;
	gd_pow_challenge pow;
	int arriving;                            /* its chunk body is counted in up->arriving */
	uint8_t pow_raw[GD_POW_CHALLENGE_BYTES]; /* mailbox requests sign these bytes (§7.3) */
	upload *up;
	const gd_web_asset *asset; /* a request for the page or an asset (api_web.c) */
} rctx;

static inline time_t now_s(void)
{
	return time(NULL);
}

static inline uint32_t today(void)
{
	return gd_day((int64_t)now_s());
}

/* ---- the core (api.c) ---- */

/* Replies: a JSON object (taken), a store result that refuses. */
void reply_json(http_req *r, int status, json_t *o);
json_t *b64j(const uint8_t *b, size_t n);
void store_error(http_req *r, int rc);

/* A store result a route answers in its own words. Lists of them end with {0}. */
typedef struct {
	int result, status;
	const char *code, *message;
} refusal;

extern const refusal id_conflict[]; /* STORE_CONFLICT: another envelope under this id */

/* Every write's answer, whichever resource made it: when the store is through with it (its
 * *_done callback), or at once when the request needs no write. result >= 0 (STORE_OK,
 * STORE_EXISTS): `ok` (taken), 201 if it `created` something new and the result is STORE_OK,
 * else 200; result < 0: the route's own refusal for it (`own`), else store_error's. */
void reply_write(http_req *r, int result, int created, json_t *ok, const refusal *own);
json_t *stored_json(const uint8_t id[GD_ID_BYTES], int result);
/* Hand a write to the store's writer: done(op, arg) answers when it is through. -1 if the
 * queue refused it (answered, op freed). */
int enqueue(api *a, http_req *r, store_op *op, void (*done)(store_op *, void *), void *arg);
/* The request's body as a JSON object, or NULL (answered: bad_json). */
json_t *body_json(http_req *r);
/* Proof of work (§9.3): the difficulty in force; spending a checked challenge. */
unsigned pow_bits(api *a, uint8_t purpose, uint64_t size, int with_load);
int pow_spend(api *a, http_req *r, const gd_pow_challenge *c);

/* ---- the resources: a route's head hook runs before its body, its handler after ---- */

void on_pow(api *a, rctx *x); /* api_pow.c */

/* api_submit.c */
long long submit_head(api *a, rctx *x);
void on_submit(api *a, rctx *x);

/* api_upload.c */
upload *upload_find(api *a, const uint8_t id[STORE_ID]);
void upload_free(api *a, upload *u);
int room_for(api *a, unsigned bits, uint64_t bytes, int reserve);
void upload_gone(http_req *r);
void uploads_expire(api *a);
/* The request holding x->up ends: its chunk body (if it had one) no longer arrives, and the
 * upload goes if it was dropped meanwhile. */
void upload_release(rctx *x);
long long chunk_head(api *a, rctx *x);
void on_upload_new(api *a, rctx *x);
void on_chunk(api *a, rctx *x);
void on_commit(api *a, rctx *x);
void on_upload_get(api *a, rctx *x);

/* api_mailbox.c */
void on_mb_fetch(api *a, rctx *x);
void on_mb_ack(api *a, rctx *x);

/* api_courier.c */
int courier_auth(api *a, http_req *r); /* a courier token's gate: 0, or -1 answered (401) */
void on_c_list(api *a, rctx *x);
void on_c_get(api *a, rctx *x);
void on_c_ack(api *a, rctx *x);
void on_c_reply(api *a, rctx *x);

/* api_web.c: the submission page. web_new: the page with the newsroom key string in it, NULL
 * when built without it (api_web_built() 0) or out of memory. web_head: a GET of / or of an asset
 * (x->asset set) 1, another method 405 -1 (answered), any other path 0 (not the page's). */
web *web_new(const char *newsroom);
void web_free(web *w);
int web_head(web *w, rctx *x);
void web_reply(web *w, rctx *x);

#endif
