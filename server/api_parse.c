/* The pure parsers of ghostdropd's /v1 API (api_parse.h). */
#include "api_parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gdcrypto.h"

int b64_exact(const char *s, uint8_t *out, size_t n)
{
	return gd_b64_decode_exact(out, n, s) == GD_OK ? 0 : -1;
}

/* A strict JSON object (no duplicate keys), or NULL. */
json_t *parse_object(const uint8_t *b, size_t len)
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
int upload_new_fields(json_t *o, uint8_t id[GD_ID_BYTES], uint64_t *size)
{
	json_t *sz = json_object_get(o, "size");
	if (b64_exact(json_string_value(json_object_get(o, "id")), id, GD_ID_BYTES) != 0 ||
	    !json_is_integer(sz) || json_integer_value(sz) < 1 || json_object_size(o) != 2)
		return -1;
	*size = (uint64_t)json_integer_value(sz);
	return 0;
}

/* POST /v1/uploads/ID/commit: {"hash": 32 bytes} and nothing else. */
int commit_fields(json_t *o, uint8_t hash[HASH_BYTES])
{
	return b64_exact(json_string_value(json_object_get(o, "hash")), hash, HASH_BYTES) != 0 ||
			       json_object_size(o) != 1
		       ? -1
		       : 0;
}

/* POST /v1/courier/submissions/ID/ack: {"ack_key": 32 bytes} and nothing else. */
int ack_fields(json_t *o, uint8_t key[GD_ACK_KEY_BYTES])
{
	return json_object_size(o) != 1 ? -1
					 : b64_exact(json_string_value(json_object_get(o, "ack_key")), key, GD_ACK_KEY_BYTES);
}

int mailbox_fields(json_t *o, int ack, mailbox_req *m)
{
	json_t *cur = json_object_get(o, "cursor"), *lim = json_object_get(o, "limit");
	size_t want = 2;
	m->has_cursor = cur != NULL;
	m->limit = MAX_LIST;
	if (b64_exact(json_string_value(json_object_get(o, "mailbox_pk")), m->pk, sizeof m->pk) != 0 ||
	    b64_exact(json_string_value(json_object_get(o, "signature")), m->sig, sizeof m->sig) != 0)
		return -1;
	if (ack)
		return json_object_get(o, "ids") != NULL && json_object_size(o) == 3 ? 0 : -1;
	if (cur != NULL && (want++, b64_exact(json_string_value(cur), m->cursor, sizeof m->cursor) != 0))
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

/* POST /v1/mailbox/ack's "ids": at most MAX_LIST ids of 16 bytes into out (GD_REPLY_ID_BYTES * MAX_LIST).
 * -1: not an array or too long; -2: an id that is not 16 bytes of base64url. */
int mailbox_ids(json_t *o, uint8_t *out, size_t *n)
{
	json_t *ids = json_object_get(o, "ids"), *v;
	size_t i;
	if (!json_is_array(ids) || json_array_size(ids) > MAX_LIST)
		return -1;
	json_array_foreach(ids, i, v)
	{
		if (b64_exact(json_string_value(v), out + GD_REPLY_ID_BYTES * i, GD_REPLY_ID_BYTES) != 0)
			return -2;
	}
	*n = json_array_size(ids);
	return 0;
}

/* POST /v1/courier/replies: {"mailbox_id": 16 bytes, "reply": a §8 blob}. The drop cannot read
 * a reply, but it checks that it is shaped like one. out holds at least strlen(reply) bytes. */
int reply_fields(json_t *o, uint8_t mb[GD_MAILBOX_ID_BYTES], uint8_t *out, size_t cap, size_t *len)
{
	const char *blob = json_string_value(json_object_get(o, "reply"));
	*len = 0;
	return json_object_size(o) != 2 ||
			       b64_exact(json_string_value(json_object_get(o, "mailbox_id")), mb, GD_MAILBOX_ID_BYTES) != 0 ||
			       blob == NULL || gd_b64_decode(out, cap, len, blob, strlen(blob)) != GD_OK ||
			       gd_reply_peek(out, *len) != GD_OK
		       ? -1
		       : 0;
}

/* A chunk index in a path: decimal, below n_chunks. */
int chunk_index(const char *s, uint32_t n_chunks, uint32_t *idx)
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

/* Split "/v1/a/b/c" into at most 6 segments. */
int segments(const char *path, char seg[SEG_MAX][SEG_BYTES])
{
	int n = 0;
	const char *p = path;
	while (*p == '/' && n < SEG_MAX) {
		const char *e = strchr(p + 1, '/');
		size_t l = e ? (size_t)(e - p - 1) : strlen(p + 1);
		if (l == 0 || l >= SEG_BYTES)
			return -1;
		memcpy(seg[n], p + 1, l);
		seg[n][l] = '\0';
		n++;
		p += l + 1;
	}
	return *p == '\0' ? n : -1;
}

