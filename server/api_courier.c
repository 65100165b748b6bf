/* ghostdropd /v1 API, couriers: the desk lists, fetches and acknowledges submissions and pushes
 * replies (§11.4). */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

int courier_auth(api *a, http_req *r)
{
	const char *h = http_header(r, "authorization");
	uint8_t token[GD_COURIER_TOKEN_BYTES], hash[HASH_BYTES];
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || b64_exact(h + 7, token, sizeof token)) {
		http_reply_error(r, 401, "unauthorized", "a courier token is required");
		return -1;
	}
	gd_courier_token_hash(hash, token);
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
	json_object_set_new(o, "id", b64j(s->id, sizeof s->id));
	json_object_set_new(o, "size", json_integer((json_int_t)s->size));
	json_object_set_new(o, "day", json_integer(s->received_day));
	json_object_set_new(o, "fetched", json_boolean(s->fetched_day != 0));
	json_array_append_new(arg, o);
	return 0;
}

void on_c_list(api *a, rctx *x)
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

void on_c_get(api *a, rctx *x)
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
			http_reply_error(r, 400, "bad_offset",
					 "offset is a byte count within the submission");
			return;
		}
		offset = v;
		d->next = (uint32_t)(offset / d->sub.chunk_size);
		d->skip = (size_t)(offset % d->sub.chunk_size);
	}
	if (d->sub.fetched_day == 0) {
		/* The retention clock starts at the first fetch; nobody waits for this commit. */
		store_op *op = store_op_fetched(x->id, today());
		if (op != NULL && store_enqueue(a->st, op) != STORE_OK)
			store_op_free(op);
	}
	http_reply_stream(r, 200, "application/octet-stream", d->sub.size - offset, download_pull,
			  download_done, d);
}

static void ack_done(store_op *op, void *arg)
{
	static const refusal own[] = {
		{STORE_BAD_KEY, 403, "bad_ack_key", "this ack key does not open this submission"},
		{0, 0, NULL, NULL},
	};
	rctx *x = arg;
	json_t *o = NULL;
	if (op->result >= 0) {
		o = json_object();
		json_object_set_new(o, "status", json_string("deleted"));
	}
	reply_write(x->r, op->result, 0, o, own);
	store_op_free(op);
}

void on_c_ack(api *a, rctx *x)
{
	http_req *r = x->r;
	json_t *o = body_json(r);
	uint8_t key[GD_ACK_KEY_BYTES];
	body_why why;
	if (o == NULL)
		return;
	int bad = ack_fields(o, key, &why) != 0;
	json_decref(o);
	if (bad) {
		http_reply_error(r, 400, "bad_request", why.text);
		return;
	}
	store_op *op = store_op_ack(x->id, key);
	sodium_memzero(key, sizeof key);
	if (op == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	enqueue(a, r, op, ack_done, x);
}

static void reply_put_done(store_op *op, void *arg)
{
	static const refusal own[] = {
		{STORE_CONFLICT, 409, "reply_acknowledged",
		 "the source acknowledged this reply already; it is not shown again"},
		{STORE_LIMIT, 409, "mailbox_full",
		 "this mailbox holds its most replies until its source reads them"},
		{0, 0, NULL, NULL},
	};
	rctx *x = arg;
	reply_write(x->r, op->result, 1, stored_json(op->u.reply_put.reply_id, op->result), own);
	store_op_free(op);
}

void on_c_reply(api *a, rctx *x)
{
	http_req *r = x->r;
	json_t *o = body_json(r);
	uint8_t mb[GD_MAILBOX_ID_BYTES];
	if (o == NULL)
		return;
	const char *blob = json_string_value(json_object_get(o, "reply"));
	size_t cap = blob ? strlen(blob) : 0, len = 0;
	uint8_t *data = malloc(cap + 1), rid[GD_REPLY_ID_BYTES];
	if (data == NULL) {
		json_decref(o);
		store_error(r, STORE_ERROR);
		return;
	}
	body_why why;
	int bad = reply_fields(o, mb, data, cap, &len, &why);
	json_decref(o);
	if (bad) {
		free(data);
		http_reply_error(r, 400, bad == -2 ? "bad_reply" : "bad_request", why.text);
		return;
	}
	/* Its id is a hash of its bytes (§11.4): the same reply pushed twice is one, and an
	 * acknowledged one is recognised when it comes back. */
	gd_reply_id(rid, data, len);
	store_op *op = store_op_reply_put(mb, rid, today() + a->cfg.reply_days,
					  a->cfg.max_mailbox_replies, data, len);
	if (op == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	enqueue(a, r, op, reply_put_done, x);
}
