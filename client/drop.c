/* ghostdrop client: the drop's /v1 API. See drop.h. */
#include "drop.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "powsolve.h"

#define TOKEN_MAX 128
#define HEADERS_MAX 1024
#define ANSWER_MAX 65536

/* ---- errors ---- */

int drop_exit_code(const drop_err *e)
{
	switch (e->kind) {
	case DROP_OK:
		return 0;
	case DROP_NET:
		return DROP_EX_NET;
	case DROP_REFUSED:
		return DROP_EX_REFUSED;
	default:
		return DROP_EX_FAIL;
	}
}

int drop_die(const drop_err *e)
{
	if (e->kind == DROP_REFUSED && e->message[0] == '\0')
		/* TRANSLATORS: %d is an HTTP status, %s the drop's error code (stays as it is,
		 * e.g. pow_invalid) */
		return cli_die(drop_exit_code(e), _("the drop refused (HTTP %d): %s"),
			       e->http_status, e->code);
	if (e->kind == DROP_REFUSED)
		/* TRANSLATORS: %d is an HTTP status, the first %s the drop's error code (stays as
		 * it is), the second the drop's own words (in English) */
		return cli_die(drop_exit_code(e), _("the drop refused (HTTP %d): %s: %s"),
			       e->http_status, e->code, e->message);
	if (e->kind == DROP_NET && e->transport == TR_ERR_SOCKS) /* Tor is there, the drop not */
		/* TRANSLATORS: %s is why (translated apart), e.g. "the Tor proxy could not
		 * connect to ADDRESS: host unreachable" */
		return cli_die(drop_exit_code(e),
			       _("%s. Nothing was sent: the drop may be offline, or Tor still "
				 "connecting. Try again in a few minutes"),
			       e->message);
	return cli_die(drop_exit_code(e), "%s", e->message);
}

int drop_refused_with(const drop_err *e, const char *code)
{
	return e->kind == DROP_REFUSED && strcmp(e->code, code) == 0;
}

int drop_fail(drop_err *e, int kind, const char *message)
{
	memset(e, 0, sizeof *e);
	e->kind = kind;
	snprintf(e->message, sizeof e->message, "%s", message);
	return kind;
}

/* What one attempt ended in, from the transport's code and the answer: success is only a
 * status the call expects (a 202 with no body is not "stored"). */
static int outcome(const drop_conn *d, int rc, const drop_req *q, const gd_response *r, drop_err *e)
{
	int ok = q->ok[0] == 0 ? r->status == 200 : r->status == q->ok[0] || r->status == q->ok[1];
	memset(e, 0, sizeof *e);
	e->transport = rc;
	if (rc == TR_OK && ok)
		return DROP_OK;
	if (rc == TR_OK && r->status / 100 == 2) {
		e->kind = DROP_MALFORMED;
		snprintf(e->message, sizeof e->message,
			 _("the drop's answer is malformed (HTTP %d where %d was expected)"),
			 r->status, q->ok[0] ? q->ok[0] : 200);
		return e->kind;
	}
	if (rc == TR_OK) {
		e->kind = DROP_REFUSED;
		e->http_status = r->status;
		snprintf(e->code, sizeof e->code, "%.47s", r->error);
		snprintf(e->message, sizeof e->message, "%s", r->message);
		return e->kind;
	}
	e->kind = rc == TR_ERR_HTTP ? DROP_MALFORMED : rc == TR_ERR_SINK ? DROP_LOCAL : DROP_NET;
	snprintf(e->message, sizeof e->message, "%s",
		 r->message[0]          ? r->message
		 : rc == TR_ERR_TIMEOUT ? _("the drop did not answer in time")
		 : rc == TR_ERR_HTTP    ? _("the drop's answer is malformed")
		 : d->tr.use_proxy && __atomic_load_n(&d->reached, __ATOMIC_RELAXED)
			 ? _("the connection through Tor was lost") /* a circuit or Tor itself */
			 : _("the drop could not be reached"));
	return e->kind;
}

/* The retry policy of drop.h, in one place. */
static int worth_again(const drop_conn *d, const drop_err *e)
{
	if (e->kind == DROP_NET)
		return __atomic_load_n(&d->reached, __ATOMIC_RELAXED) &&
		       e->transport != TR_ERR_SOCKS;
	return (e->http_status == 403 && strcmp(e->code, "pow_outdated") == 0) ||
	       (e->http_status == 503 && strcmp(e->code, "chunk_pending") == 0);
}

static void backoff(const drop_conn *d, unsigned attempt)
{
	uint64_t ms = (uint64_t)d->backoff_ms << attempt;
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* ---- the connection ---- */

int drop_open(drop_conn *d, const char *server, const char *proxy, int clearnet, char *err,
	      size_t cap)
{
	memset(d, 0, sizeof *d);
	d->attempts = DROP_ATTEMPTS;
	d->backoff_ms = DROP_BACKOFF_MS;
	if (gd_url_parse(&d->url, server, err, cap) != 0 ||
	    gd_transport_init(&d->tr, &d->url, proxy, clearnet, err, cap) != 0)
		return -1;
	return 0;
}

int drop_set_token(drop_conn *d, const char *token)
{
	if (d->auth == NULL && (d->auth = sodium_malloc(TOKEN_MAX + 64)) == NULL)
		return -1;
	snprintf(d->auth, TOKEN_MAX + 64, "Authorization: Bearer %.*s\r\n", TOKEN_MAX, token);
	return 0;
}

void drop_close(drop_conn *d)
{
	if (d->auth != NULL)
		sodium_free(d->auth);
	d->auth = NULL;
}

/* ---- one request, under the retry policy ---- */

static int attempt(drop_conn *d, drop_req *q, const char *pow, gd_response *r)
{
	char hdr[HEADERS_MAX];
	int *keep = q->keep != NULL ? q->keep : d->keep;
	int n = snprintf(
		hdr, sizeof hdr, "%s%s%s%s", d->auth ? d->auth : "",
		q->body != NULL && q->headers == NULL ? "Content-Type: application/json\r\n" : "",
		q->headers ? q->headers : "", pow);
	int rc;
	if (n < 0 || n >= (int)sizeof hdr) {
		memset(r, 0, sizeof *r);
		snprintf(r->message, sizeof r->message, "%s",
			 _("the request's headers are too long"));
		rc = TR_ERR_SINK;
	} else if (q->sink != NULL) {
		rc = gd_request_stream(&d->tr, &d->url, q->path, hdr, q->sink, q->arg, r);
	} else if (keep != NULL) {
		rc = gd_request_keep(&d->tr, &d->url, keep, q->method, q->path, hdr, q->body,
				     q->len, q->max_body ? q->max_body : ANSWER_MAX, r);
	} else {
		rc = gd_request(&d->tr, &d->url, q->method, q->path, hdr, q->body, q->len,
				q->max_body ? q->max_body : ANSWER_MAX, r);
	}
	sodium_memzero(hdr, sizeof hdr); /* the courier token */
	if (rc == TR_OK || rc == TR_ERR_SINK)
		__atomic_store_n(&d->reached, 1, __ATOMIC_RELAXED);
	return rc;
}

int drop_send(drop_conn *d, drop_req *q, gd_response *r, drop_err *e)
{
	char pow[256] = "";
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	memset(r, 0, sizeof *r);
	for (unsigned i = 0;; i++) {
		if (i > 0)
			backoff(d, i);
		if (q->pow != NULL &&
		    drop_pow(d, q->pow, q->pow_size, pow, sizeof pow, ch, e) != DROP_OK)
			return e->kind;
		if (q->prepare != NULL && q->prepare(q, q->pow != NULL ? ch : NULL, e) != DROP_OK)
			return e->kind;
		int rc = attempt(d, q, pow, r);
		if (outcome(d, rc, q, r, e) == DROP_OK)
			return DROP_OK;
		if (rc == TR_OK)
			gd_response_free(r);
		if (!worth_again(d, e) || i + 1 >= d->attempts)
			break;
	}
	if (drop_refused_with(e, "pow_outdated"))
		snprintf(e->message, sizeof e->message, "%s",
			 _("it keeps getting busier; try again later"));
	return e->kind;
}

int drop_call(drop_conn *d, drop_req *q, json_t **out, drop_err *e)
{
	gd_response r;
	*out = NULL;
	if (drop_send(d, q, &r, e) != DROP_OK)
		return e->kind;
	if (r.len > 0 && (*out = json_loadb((const char *)r.body, r.len, 0, NULL)) == NULL) {
		gd_response_free(&r);
		return drop_fail(e, DROP_MALFORMED, _("the drop's answer is not JSON"));
	}
	gd_response_free(&r);
	return DROP_OK;
}

int drop_json_body(drop_req *q, const json_t *body, char **text, drop_err *e)
{
	free(*text);
	*text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	if (*text == NULL)
		return drop_fail(e, DROP_LOCAL, _("out of memory"));
	q->body = (const uint8_t *)*text;
	q->len = strlen(*text);
	return DROP_OK;
}

int drop_call_json(drop_conn *d, drop_req *q, json_t *body, json_t **out, drop_err *e)
{
	char *text = NULL;
	int rc = body == NULL ? drop_fail(e, DROP_LOCAL, _("out of memory"))
			      : drop_json_body(q, body, &text, e);
	if (rc == DROP_OK)
		rc = drop_call(d, q, out, e);
	json_decref(body);
	free(text);
	return rc;
}

/* ---- the worker's calls ---- */

int drop_get_bundle(drop_conn *d, gd_response *r, drop_err *e)
{
	drop_req q = {.method = "GET", .path = "/v1/bundle", .max_body = GD_BUNDLE_MAX_JSON + 1024};
	return drop_send(d, &q, r, e);
}

int drop_get_limits(drop_conn *d, uint64_t *max_submit, uint64_t *max_envelope, unsigned *checks,
		    drop_err *e)
{
	*checks = 1u << GD_CHECK_BLAKE2B;
	drop_req q = {.method = "GET", .path = "/v1/limits"};
	json_t *o;
	if (drop_call(d, &q, &o, e) != DROP_OK)
		return e->kind;
	json_t *s = json_object_get(o, "max_submit"), *v = json_object_get(o, "max_envelope");
	json_t *ch = json_object_get(o, "checks"), *c;
	size_t i;
	gd_check k;
	int ok = json_is_integer(s) && json_is_integer(v) && json_integer_value(s) >= 0 &&
		 json_integer_value(v) >= 0;
	/* "checks" only ever adds a mode: not an array, or names this client does not know, are
	 * as if absent (blake2b), never a reason to refuse the drop's limits */
	json_array_foreach (json_is_array(ch) ? ch : NULL, i, c)
		if (gd_check_parse(json_string_value(c), &k) == 0)
			*checks |= 1u << k;
	*max_submit = ok ? (uint64_t)json_integer_value(s) : 0;
	*max_envelope = ok ? (uint64_t)json_integer_value(v) : 0;
	json_decref(o);
	return ok ? DROP_OK : drop_fail(e, DROP_MALFORMED, _("the drop's limits are malformed"));
}

int drop_pow(drop_conn *d, const char *purpose, uint64_t size, char *hdr, size_t cap,
	     uint8_t ch[GD_POW_CHALLENGE_BYTES], drop_err *e)
{
	drop_req q = {.method = "POST"};
	json_t *o;
	uint64_t ctr;
	snprintf(q.path, sizeof q.path, "/v1/pow?purpose=%s&size=%llu", purpose,
		 (unsigned long long)size);
	if (drop_call(d, &q, &o, e) != DROP_OK)
		return e->kind;
	const char *c = json_string_value(json_object_get(o, "challenge"));
	/* every core, and a line in plain words on a terminal */
	int rc = gd_b64_decode_exact(ch, GD_POW_CHALLENGE_BYTES, c) != GD_OK
			 ? POWSOLVE_INVALID
			 : powsolve_worker(&ctr, ch, NULL);
	if (rc != POWSOLVE_OK) {
		json_decref(o);
		if (rc == POWSOLVE_INVALID)
			return drop_fail(e, DROP_MALFORMED,
					 _("the drop sent a malformed challenge"));
		return drop_fail(e, DROP_LOCAL,
				 rc == POWSOLVE_STOPPED ? _("interrupted")
							: _("could not start a thread"));
	}
	snprintf(hdr, cap, "X-Ghostdrop-PoW: %s.%llu\r\n", c, (unsigned long long)ctr);
	json_decref(o);
	return DROP_OK;
}

int drop_submit(drop_conn *d, const uint8_t id[16], const uint8_t *env, size_t len, int *already,
		drop_err *e)
{
	char hdr[256], idb[32], hb[64];
	uint8_t h[32];
	gd_response r;
	crypto_generichash(h, sizeof h, env, len, NULL, 0);
	gd_b64_encode(idb, sizeof idb, id, 16);
	gd_b64_encode(hb, sizeof hb, h, sizeof h);
	snprintf(hdr, sizeof hdr,
		 "Content-Type: application/octet-stream\r\nX-Ghostdrop-Id: %s\r\n"
		 "X-Ghostdrop-Hash: %s\r\n",
		 idb, hb);
	/* A lost answer is retried with the same id: the drop answers "already stored". */
	drop_req q = {.method = "POST",
		      .path = "/v1/submissions",
		      .headers = hdr,
		      .body = env,
		      .len = len,
		      .max_body = 4096,
		      .pow = "submit",
		      .ok = {201, 200}};
	if (drop_send(d, &q, &r, e) != DROP_OK)
		return e->kind;
	*already = r.status == 200;
	gd_response_free(&r);
	return DROP_OK;
}

/* A mailbox request (PROTOCOL.md §11.3): the mailbox key signs each attempt's challenge. */
typedef struct {
	const gd_source_keys *k;
	json_t *body; /* the request's other fields */
	char *text;
} mailbox_req;

static int mailbox_prepare(drop_req *q, const uint8_t *challenge, drop_err *e)
{
	mailbox_req *m = q->arg;
	uint8_t sig[GD_SIG_BYTES];
	char pk[64], sigb[128];
	gd_mailbox_sign(sig, challenge, GD_POW_CHALLENGE_BYTES, m->k->mailbox_sk);
	gd_b64_encode(pk, sizeof pk, m->k->mailbox_pk, 32);
	gd_b64_encode(sigb, sizeof sigb, sig, sizeof sig);
	if (json_object_set_new(m->body, "mailbox_pk", json_string(pk)) != 0 ||
	    json_object_set_new(m->body, "signature", json_string(sigb)) != 0)
		return drop_fail(e, DROP_LOCAL, _("out of memory"));
	return drop_json_body(q, m->body, &m->text, e);
}

static int mailbox_call(drop_conn *d, const gd_source_keys *k, const char *path, json_t *body,
			json_t **out, drop_err *e)
{
	mailbox_req m = {k, body, NULL};
	drop_req q = {.method = "POST",
		      .pow = "mailbox",
		      .max_body = 1 << 20,
		      .arg = &m,
		      .prepare = mailbox_prepare};
	snprintf(q.path, sizeof q.path, "%s", path);
	int rc = body == NULL ? drop_fail(e, DROP_LOCAL, _("out of memory"))
			      : drop_call(d, &q, out, e);
	json_decref(body);
	free(m.text);
	return rc;
}

int drop_mailbox_fetch(drop_conn *d, const gd_source_keys *k, const char *cursor, json_t **out,
		       drop_err *e)
{
	json_t *body = cursor != NULL ? json_pack("{s:s}", "cursor", cursor) : json_object();
	return mailbox_call(d, k, "/v1/mailbox/fetch", body, out, e);
}

int drop_mailbox_ack(drop_conn *d, const gd_source_keys *k, const uint8_t (*ids)[16], size_t n,
		     drop_err *e)
{
	json_t *list = json_array(), *res;
	for (size_t i = 0; list != NULL && i < n; i++) {
		char idb[32];
		gd_b64_encode(idb, sizeof idb, ids[i], 16);
		if (json_array_append_new(list, json_string(idb)) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	json_t *body = list != NULL ? json_pack("{s:o}", "ids", list) : NULL;
	if (mailbox_call(d, k, "/v1/mailbox/ack", body, &res, e) != DROP_OK)
		return e->kind;
	json_decref(res);
	return DROP_OK;
}

/* ---- the courier's calls ---- */

int drop_courier_list(drop_conn *d, size_t max_body, gd_response *r, drop_err *e)
{
	drop_req q = {.method = "GET", .path = "/v1/courier/submissions", .max_body = max_body};
	return drop_send(d, &q, r, e);
}

/* A streamed fetch: each attempt resumes where the sink got to. */
typedef struct {
	const uint8_t *id;
	uint64_t (*offset)(void *arg);
	gd_body_fn sink;
	void *arg;
} fetch_state;

static int fetch_sink(void *arg, const uint8_t *buf, size_t len)
{
	fetch_state *s = arg;
	return s->sink(s->arg, buf, len);
}

static int fetch_prepare(drop_req *q, const uint8_t *challenge, drop_err *e)
{
	fetch_state *s = q->arg;
	char idb[32];
	(void)challenge;
	(void)e;
	gd_b64_encode(idb, sizeof idb, s->id, 16);
	snprintf(q->path, sizeof q->path, "/v1/courier/submissions/%s?offset=%llu", idb,
		 (unsigned long long)s->offset(s->arg));
	return DROP_OK;
}

int drop_courier_fetch(drop_conn *d, const uint8_t id[16], uint64_t (*offset)(void *arg),
		       gd_body_fn sink, void *arg, gd_response *r, drop_err *e)
{
	fetch_state s = {id, offset, sink, arg};
	drop_req q = {.method = "GET", .sink = fetch_sink, .arg = &s, .prepare = fetch_prepare};
	int rc = drop_send(d, &q, r, e);
	if (rc == DROP_OK && r->status != 200) { /* 206 and the like: not what §11.4 answers */
		gd_response_free(r);
		return drop_fail(e, DROP_MALFORMED, _("the drop's answer is malformed"));
	}
	return rc;
}

int drop_courier_ack(drop_conn *d, const char *id_b64, const char *ack_key_b64, drop_err *e)
{
	json_t *res;
	drop_req q = {.method = "POST", .max_body = 4096};
	snprintf(q.path, sizeof q.path, "/v1/courier/submissions/%.64s/ack", id_b64);
	if (drop_call_json(d, &q, json_pack("{s:s}", "ack_key", ack_key_b64), &res, e) != DROP_OK)
		return e->kind;
	json_decref(res);
	return DROP_OK;
}

int drop_courier_push(drop_conn *d, const uint8_t *body, size_t len, drop_err *e)
{
	gd_response r;
	/* retried after a broken connection: if the first one was stored after all, the worker
	 * shows it once (duplicates share the reply id inside the box); 200: stored before */
	drop_req q = {.method = "POST",
		      .path = "/v1/courier/replies",
		      .body = body,
		      .len = len,
		      .max_body = 4096,
		      .ok = {201, 200}};
	if (drop_send(d, &q, &r, e) != DROP_OK)
		return e->kind;
	gd_response_free(&r);
	return DROP_OK;
}
