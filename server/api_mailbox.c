/* ghostdropd /v1 API, mailboxes: a source fetches and acknowledges its replies (§11.3). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

#define PAGE_BYTES (384 * 1024) /* reply bytes per fetch page: 512 KiB in base64 (§11.3) */
#define PAGE_SCAN 1000          /* stored entries one fetch looks at, at most */
/* A mailbox request (§11.3): its proof of work (purpose mailbox) was checked with the headers
 * but not spent; the body names the mailbox key and signs that challenge with it. The challenge
 * is spent only once the signature verified, so a bad one does not use up a source's work. */
static int mailbox_auth(api *a, rctx *x, int ack, json_t *o, mailbox_req *m,
			uint8_t mailbox_id[GD_MAILBOX_ID_BYTES])
{
	http_req *r = x->r;
	body_why why;
	if (mailbox_fields(o, ack, m, &why) != 0) {
		http_reply_error(r, 400, "bad_request", why.text);
		return -1;
	}
	if ((int64_t)now_s() > x->pow.expires) { /* the body came late */
		http_reply_error(r, 403, "pow_expired",
				 "proof of work expired; get a new challenge");
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
	json_object_set_new(o, "id", b64j(id, GD_REPLY_ID_BYTES));
	json_object_set_new(o, "reply", b64j(blob, len));
	json_array_append_new(p->list, o);
	p->bytes += len;
	return ++p->n >= p->limit ? 1 : 0;
}

void on_mb_fetch(api *a, rctx *x)
{
	http_req *r = x->r;
	uint8_t mb[GD_MAILBOX_ID_BYTES], last[GD_REPLY_ID_BYTES];
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
	rc = store_mailbox_page(a->st, mb, m.has_cursor ? m.cursor : NULL, PAGE_SCAN, page_reply,
				&p, last, &more);
	if (rc != STORE_OK) {
		json_decref(p.list);
		store_error(r, rc);
		return;
	}
	json_t *out = json_object();
	json_object_set_new(out, "replies", p.list);
	if (more)
		json_object_set_new(out, "next", b64j(last, sizeof last));
	reply_json(r, 200, out);
}

static void del_done(store_op *op, void *arg)
{
	rctx *x = arg;
	json_t *o = NULL;
	if (op->result >= 0) {
		o = json_object();
		json_object_set_new(o, "deleted", json_integer((json_int_t)op->count));
	}
	reply_write(x->r, op->result, 0, o, NULL);
	store_op_free(op);
}

void on_mb_ack(api *a, rctx *x)
{
	http_req *r = x->r;
	uint8_t mb[GD_MAILBOX_ID_BYTES];
	mailbox_req m;
	json_t *o = body_json(r);
	if (o == NULL)
		return;
	int rc = mailbox_auth(a, x, 1, o, &m, mb);
	json_decref(o);
	if (rc != 0)
		return;
	store_op *op = store_op_reply_del(mb, m.ids, m.n_ids);
	if (op == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	enqueue(a, r, op, del_done, x);
}
