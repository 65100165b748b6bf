/* ghostdropd /v1 API, submissions in one request (§11.3). */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

static void submit_done(store_op *op, void *arg)
{
	rctx *x = arg;
	reply_write(x->r, op->result, 1, stored_json(op->u.submit.id, op->result), id_conflict);
	store_op_free(op);
}

/* The §11.3 upload digest of a body cut in pieces of chunk_size (§12.2). `whole` is the
 * BLAKE2b of the whole body (its X-Ghostdrop-Hash, checked): when the body fits in one piece,
 * as a text testimony does, that is the one piece's hash, and the body is not hashed again. */
static int body_digest(uint8_t digest[HASH_BYTES], const uint8_t *body, size_t len,
		       uint32_t chunk_size, const uint8_t whole[HASH_BYTES])
{
	if (len == 0 || len > chunk_size)
		return gd_upload_digest_buf(digest, body, len, chunk_size);
	gd_upload_hasher *h = gd_upload_hasher_new(len);
	if (h == NULL)
		return GD_ERR_NOMEM;
	gd_upload_hasher_chunk(h, whole);
	gd_upload_hasher_final(h, digest);
	gd_upload_hasher_free(h);
	return GD_OK;
}

void on_submit(api *a, rctx *x)
{
	http_req *r = x->r;
	uint8_t want[HASH_BYTES], got[HASH_BYTES], ack[GD_ACK_HASH_BYTES], digest[HASH_BYTES];
	size_t len;
	unsigned n;
	uint64_t total;
	if (b64_exact(http_header(r, "x-ghostdrop-hash"), want, sizeof want) != 0) {
		http_reply_error(r, 400, "bad_request",
				 "X-Ghostdrop-Hash must be 32 bytes, base64url");
		return;
	}
	const uint8_t *body = http_body(r, &len);
	crypto_generichash(got, sizeof got, body, len, NULL, 0);
	if (sodium_memcmp(got, want, sizeof got) != 0) {
		http_reply_error(r, 400, "hash_mismatch", "body does not match X-Ghostdrop-Hash");
		return;
	}
	if (gd_envelope_peek(body, len, &n, &total, ack) != GD_OK || total != len) {
		http_reply_error(r, 400, "bad_envelope", "not a complete ghostdrop envelope");
		return;
	}
	uint8_t env_id[HASH_BYTES]; /* its envelope id E (§12.2) */
	if (gd_envelope_id(env_id, len, body, len) != GD_OK) {
		store_error(r, STORE_ERROR);
		return;
	}
	store_submission old;
	int rc = store_submission_get(a->st, x->id, &old);
	int by_id = 0;        /* only E matches: the writer compares the bytes */
	if (rc == STORE_OK) { /* stored before, in one request or as an upload (§11.3) */
		/* the stored envelope hash is its D, or its whole hash (a record of an older drop):
		 * byte-exact. Or the E of a poly1305 upload's record: E covers the header alone,
		 * which is no proof of the bytes (§12.2), so the writer, which has the transaction,
		 * compares them (sub_idempotent). */
		int same = old.size == len && old.chunk_size > 0 &&
			   body_digest(digest, body, len, old.chunk_size, got) == GD_OK &&
			   (sodium_memcmp(digest, old.env_hash, sizeof digest) == 0 ||
			    sodium_memcmp(got, old.env_hash, sizeof got) == 0);
		by_id = !same && old.size == len &&
			sodium_memcmp(env_id, old.env_hash, sizeof env_id) == 0;
		if (!by_id) {
			int result = same ? STORE_EXISTS : STORE_CONFLICT;
			reply_write(r, result, 1, stored_json(x->id, result), id_conflict);
			return;
		}
	}
	/* The envelope hash it is stored with (§12.2), whichever way it arrived: the §11.3 upload
	 * digest of its bytes cut in pieces of chunk_size. */
	if (body_digest(digest, body, len, (uint32_t)a->cfg.chunk_size, got) != GD_OK) {
		store_error(r, STORE_ERROR);
		return;
	}
	/* No room below the mark: idle uploads give theirs (the write itself decides); not for
	 * an id stored already, which the writer answers without storing anything. */
	if (!by_id)
		(void)room_for(a, x->pow.bits,
			       store_upload_growth(len, (uint32_t)a->cfg.chunk_size), 0);
	store_submission rec = {0};
	memcpy(rec.id, x->id, sizeof rec.id);
	randombytes_buf(rec.blob, sizeof rec.blob);
	memcpy(rec.ack_hash, ack, sizeof rec.ack_hash);
	memcpy(rec.env_hash, digest, sizeof rec.env_hash);
	memcpy(rec.env_id, env_id, sizeof rec.env_id);
	rec.received_day = today();
	rec.chunk_size = (uint32_t)a->cfg.chunk_size;
	uint8_t *owned = http_take_body(r, &len); /* owned by the op: the client may vanish */
	store_op *op = store_op_submit(&rec, owned, len);
	if (op == NULL) {
		store_error(r, STORE_ERROR);
		return;
	}
	enqueue(a, r, op, submit_done, x);
}

/* POST /v1/submissions, before its body: the id it is stored under. */
long long submit_head(api *a, rctx *x)
{
	(void)a;
	if (b64_exact(http_header(x->r, "x-ghostdrop-id"), x->id, sizeof x->id) != 0) {
		http_reply_error(x->r, 400, "bad_request",
				 "X-Ghostdrop-Id must be 16 bytes, base64url");
		return HTTP_REFUSED;
	}
	return 0;
}
