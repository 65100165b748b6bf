/* ghostdropd routes: the /v1 HTTP API in ghostdrop terms (bundle, proof of work, submissions,
 * uploads, mailboxes, couriers). PROTOCOL.md §11. This file is the shared core: the context,
 * the routes and the gates that run before a body, load control, the spent-id set, replies. */
#include "api.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_internal.h"
#include "log.h"

#define SPENT_CAP (1 << 19) /* slots: 10 MiB; half of them usable */
#define REPLY_BODY_MAX (256 * 1024)
#define LOAD_WINDOW 10 /* seconds */

/* ---- idset ---- */

static int idset_init(idset *s, size_t cap)
{
	s->val = calloc(cap, sizeof *s->val);
	s->exp = calloc(cap, sizeof *s->exp);
	s->cap = cap;
	s->n = 0;
	return s->val && s->exp ? 0 : -1;
}

static size_t idset_slot(const idset *s, const uint8_t v[GD_ID_BYTES])
{
	uint64_t h = 0;
	memcpy(&h, v, sizeof h); /* ids are random (or MAC'd): their bytes are a hash */
	return (size_t)(h & (s->cap - 1));
}

/* 1 present (and live), 0 absent */
static int idset_has(idset *s, const uint8_t v[GD_ID_BYTES], int remove)
{
	uint32_t now = (uint32_t)now_s();
	for (size_t i = idset_slot(s, v), k = 0; k < s->cap; i = (i + 1) & (s->cap - 1), k++) {
		if (s->exp[i] == 0)
			return 0;
		if (s->exp[i] >= now && sodium_memcmp(s->val[i], v, GD_ID_BYTES) == 0) {
			if (remove)
				s->exp[i] = 1; /* a tombstone, cleared at the next rebuild */
			return 1;
		}
	}
	return 0;
}

static int idset_add(idset *s, const uint8_t v[GD_ID_BYTES], time_t exp)
{
	if (s->n >= s->cap / 2)
		return -1;
	size_t i = idset_slot(s, v);
	while (s->exp[i] != 0)
		i = (i + 1) & (s->cap - 1);
	memcpy(s->val[i], v, GD_ID_BYTES);
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

void reply_json(http_req *r, int status, json_t *o)
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

json_t *b64j(const uint8_t *b, size_t n)
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

const refusal id_conflict[] = {
	{STORE_CONFLICT, 409, "id_conflict", "another envelope was stored under this id"},
	{0, 0, NULL, NULL},
};

/* A write's answer when it went through: {"id", "status": "stored" | "already_stored"}; NULL
 * if it did not (result < 0). */
json_t *stored_json(const uint8_t id[GD_ID_BYTES], int result)
{
	if (result < 0)
		return NULL;
	json_t *o = json_object();
	json_object_set_new(o, "id", b64j(id, GD_ID_BYTES));
	json_object_set_new(o, "status",
			    json_string(result == STORE_OK ? "stored" : "already_stored"));
	return o;
}

void reply_write(http_req *r, int result, int created, json_t *ok, const refusal *own)
{
	if (result >= 0 && ok != NULL) {
		reply_json(r, created && result == STORE_OK ? 201 : 200, ok);
		return;
	}
	json_decref(ok);
	for (; own != NULL && own->status != 0; own++)
		if (own->result == result) {
			http_reply_error(r, own->status, own->code, own->message);
			return;
		}
	store_error(r, result < 0 ? result : STORE_ERROR);
}

void store_error(http_req *r, int rc)
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

/* An upload's size bits: one per doubling from 8 MiB (none below 8 MiB, 1 from 8 MiB, 2 from
 * 16 MiB, ... 10 at 4 GiB), so its work grows in proportion to its size, 2^(floor-3) to
 * 2^(floor-2) hashes per MiB (the floor is pow_min_bits): at the default 18 bits, a few ms of
 * a core per MiB against seconds through Tor (PROTOCOL.md §9.4 has the policy, BENCHMARKS.md
 * its figures). */
#define POW_SIZE_STEP_SHIFT 23 /* 8 MiB */
static unsigned size_bonus(uint64_t size)
{
	unsigned b = 0;
	for (uint64_t steps = size >> POW_SIZE_STEP_SHIFT; steps > 0; steps >>= 1)
		b++;
	return b;
}

/* What a challenge is issued with: the floor, more under load, more for large uploads. Load
 * stops at pow_max_bits; size does not (up to GD_POW_MAX_BITS), so the work an upload's
 * reservation costs keeps growing with the space it holds (§12.3). */
unsigned pow_bits(api *a, uint8_t purpose, uint64_t size, int with_load)
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
	if (dot == NULL ||
	    gd_b64_decode(ch, GD_POW_CHALLENGE_BYTES, &got, h, (size_t)(dot - h)) != GD_OK ||
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
		http_reply_error(r, 403, "pow_expired",
				 "proof of work expired; get a new challenge");
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

int pow_spend(api *a, http_req *r, const gd_pow_challenge *c)
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

/* ---- limits: what a client needs to choose one request or an upload ---- */

static void on_limits(api *a, rctx *x)
{
	http_req *r = x->r;
	json_t *o = json_object();
	json_object_set_new(o, "max_submit", json_integer((json_int_t)a->cfg.max_submit));
	json_object_set_new(o, "max_envelope", json_integer((json_int_t)a->cfg.max_envelope));
	json_object_set_new(o, "chunk_size", json_integer((json_int_t)a->cfg.chunk_size));
	json_object_set_new(o, "checks",
			    json_pack("[s, s]", gd_check_name(GD_CHECK_BLAKE2B),
				      gd_check_name(GD_CHECK_POLY1305)));
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

int enqueue(api *a, http_req *r, store_op *op, void (*done)(store_op *, void *), void *arg)
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

json_t *body_json(http_req *r)
{
	size_t len;
	const uint8_t *b = http_body(r, &len);
	char why[BAD_JSON_WHY];
	json_t *o = parse_object_why(b, len, why, sizeof why);
	if (o == NULL)
		http_reply_error(r, 400, "bad_json", why);
	return o;
}

/* ---- routing ---- */

static void rctx_free(void *p)
{
	rctx *x = p;
	if (x->up != NULL)
		upload_release(x);
	free(x);
}

/* The gates a route's request passes before one byte of its body is read, in this order: */
enum {
	G_COURIER = 1 << 0,  /* a courier token (401), before anything else under /v1/courier */
	G_OCTETS = 1 << 1,   /* Content-Type: application/octet-stream (415), after the method */
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

static void on_web(api *a, rctx *x)
{
	web_reply(a->web, x);
}

/* The page and its assets (api_web.c): outside /v1, no body, no proof of work. */
static const route web_route = {"GET", "", 0, 0, 0, NULL, on_web};

/* How much of a path (n segments, "v1" first) a route's pattern names: 2 all of it; 1 its
 * resource (the first segment after "v1"), both going on beyond it; 0 not even that. */
static int route_match(const route *rt, char seg[SEG_MAX][SEG_BYTES], int n)
{
	char pat[SEG_BYTES];
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
static long long path_gates(api *a, rctx *x, const route *rt, char seg[SEG_MAX][SEG_BYTES], int n,
			    int whole)
{
	http_req *r = x->r;
	if ((rt->gates & G_COURIER) && courier_auth(a, r) != 0)
		return HTTP_REFUSED;
	const char *p = rt->pattern;
	for (int k = 1; *p != '\0' && k < n; k++) {
		size_t l = strcspn(p, "/");
		if (strncmp(p, "{upload}", l) == 0 && l == 8) {
			uint8_t id[STORE_ID];
			if (b64_exact(seg[k], id, sizeof id) != 0 ||
			    (x->up = upload_find(a, id)) == NULL) {
				upload_gone(r);
				return HTTP_REFUSED;
			}
			x->up->users++; /* until this request ends, however it ends (rctx_free) */
		} else if (whole && strncmp(p, "{id}", l) == 0 && l == 4) {
			if (b64_exact(seg[k], x->id, sizeof x->id) != 0)
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
	char seg[SEG_MAX][SEG_BYTES];
	int n = segments(http_path(r), seg);
	rctx *x = calloc(1, sizeof *x);
	if (x == NULL) {
		http_reply_error(r, 503, "overloaded", "out of memory");
		return HTTP_REFUSED;
	}
	x->a = a;
	x->r = r;
	http_set_user(r, x, rctx_free);
	int page = web_head(a->web, x); /* GET / and the page's assets, before /v1 */
	if (page != 0) {
		x->route = &web_route;
		return page > 0 ? 0 : HTTP_REFUSED;
	}
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
	store_op *op =
		store_op_expire(today(), a->cfg.retention_days, a->cfg.unfetched_retention_days);
	if (op == NULL)
		return;
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
		log_msg(LOG_INFO, "proof-of-work difficulty now %u bits",
			a->cfg.pow_min_bits + bonus);
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

api *api_new(store *st, const gd_config *cfg, const uint8_t newsroom_pk[GD_SIGN_PK_BYTES])
{
	api *a = calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	a->st = st;
	a->cfg = *cfg;
	memcpy(a->newsroom_pk, newsroom_pk, sizeof a->newsroom_pk);
	/* The PoW key lives in locked memory and is new at every start. */
	if ((a->pow_key = sodium_malloc(GD_POW_KEY_BYTES)) == NULL ||
	    idset_init(&a->spent, SPENT_CAP) != 0) {
		api_free(a);
		return NULL;
	}
	randombytes_buf(a->pow_key, GD_POW_KEY_BYTES);
	if (cfg->web_page && api_web_built() && (a->web = web_new(cfg->newsroom)) == NULL) {
		api_free(a);
		return NULL;
	}
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
	web_free(a->web);
	free(a);
}

int api_attach(api *a, http_server *srv)
{
	if ((a->wake_fd = http_wakeup_fd(srv, wake, a)) < 0 ||
	    store_writer_start(a->st, notify, a) != STORE_OK ||
	    http_every(srv, LOAD_WINDOW, tick, a) != 0)
		return -1;
	/* Chunks of uploads that died with the previous process are useless now. */
	store_op *gc = store_op_gc();
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
