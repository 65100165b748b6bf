/* The pure parsers of ghostdropd's /v1 API (api_parse.h). */
#include "api_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdcrypto.h"

int b64_exact(const char *s, uint8_t *out, size_t n)
{
	return gd_b64_decode_exact(out, n, s) == GD_OK ? 0 : -1;
}

json_t *parse_object(const uint8_t *b, size_t len)
{
	char why[BAD_JSON_WHY];
	return parse_object_why(b, len, why, sizeof why);
}

json_t *parse_object_why(const uint8_t *b, size_t len, char *why, size_t cap)
{
	json_error_t err;
	json_t *o = json_loadb((const char *)b, len, JSON_REJECT_DUPLICATES, &err);
	if (o != NULL && json_is_object(o))
		return o;
	json_decref(o);
	snprintf(why, cap, "body must be a JSON object");
	if (o != NULL || json_error_code(&err) != json_error_duplicate_key)
		return NULL;
	/* Jansson shows the key as it was written: `duplicate object key near '"NAME"'`. Only a
	 * plain name is repeated back; anything else gets the general words. */
	const char *q = strstr(err.text, "near '\""), *name = q != NULL ? q + 7 : NULL;
	size_t n = name != NULL ? strspn(name, "abcdefghijklmnopqrstuvwxyz"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
				: 0;
	if (n > 0 && strcmp(name + n, "\"'") == 0)
		snprintf(why, cap, "body must be a JSON object: duplicate field \"%.*s\"", (int)n,
			 name);
	else
		snprintf(why, cap, "body must be a JSON object without duplicate fields");
	return NULL;
}

static int listed(const char *const *names, const char *key)
{
	for (; *names != NULL; names++)
		if (strcmp(*names, key) == 0)
			return 1;
	return 0;
}

int body_check(json_t *o, const body_fields *f, body_why *why)
{
	const char *key;
	json_t *v;
	json_object_foreach (o, key, v) {
		if (listed(f->required, key) || listed(f->optional, key))
			continue;
		char name[41];
		size_t i = 0;
		for (; key[i] != '\0' && i < sizeof name - 1; i++) /* what a message can carry */
			name[i] = key[i] >= 0x20 && key[i] < 0x7f && key[i] != '"' && key[i] != '\\'
					  ? key[i]
					  : '?';
		name[i] = '\0';
		snprintf(why->text, sizeof why->text, "unknown field \"%s\"%s", name,
			 key[i] != '\0' ? " (cut)" : "");
		return -1;
	}
	for (const char *const *p = f->required; *p != NULL; p++)
		if (json_object_get(o, *p) == NULL) {
			snprintf(why->text, sizeof why->text, "missing field \"%s\"", *p);
			return -1;
		}
	return 0;
}

/* A field of n bytes in base64url: 0, or -1 with why saying so. */
static int field_bytes(json_t *o, const char *name, uint8_t *out, size_t n, body_why *why)
{
	if (b64_exact(json_string_value(json_object_get(o, name)), out, n) == 0)
		return 0;
	snprintf(why->text, sizeof why->text, "\"%s\" must be %zu bytes, base64url", name, n);
	return -1;
}

int upload_new_fields(json_t *o, uint8_t id[GD_ID_BYTES], uint64_t *size, gd_check *check,
		      uint8_t key[GD_CHUNK_KEY_BYTES], body_why *why)
{
	static const body_fields f = {{"id", "size", NULL}, {"check", "key", NULL}};
	json_t *sz = json_object_get(o, "size"), *ch = json_object_get(o, "check");
	if (body_check(o, &f, why) != 0 || field_bytes(o, "id", id, GD_ID_BYTES, why) != 0)
		return -1;
	*check = GD_CHECK_BLAKE2B;
	if (ch != NULL && gd_check_parse(json_string_value(ch), check) != 0) {
		snprintf(why->text, sizeof why->text,
			 "\"check\" must be \"blake2b\" or \"poly1305\"");
		return -1;
	}
	/* poly1305's chunk key K, chosen by the worker: with poly1305 only, and then required */
	if (*check != GD_CHECK_POLY1305 && json_object_get(o, "key") != NULL) {
		snprintf(why->text, sizeof why->text,
			 "\"key\" goes only with \"check\": \"poly1305\"");
		return -1;
	}
	if (*check == GD_CHECK_POLY1305 && field_bytes(o, "key", key, GD_CHUNK_KEY_BYTES, why) != 0)
		return -1;
	if (!json_is_integer(sz) || json_integer_value(sz) < 1) {
		snprintf(why->text, sizeof why->text, "\"size\" must be an integer >= 1");
		return -1;
	}
	*size = (uint64_t)json_integer_value(sz);
	return 0;
}

int commit_fields(json_t *o, uint8_t hash[HASH_BYTES], body_why *why)
{
	static const body_fields f = {{"hash", NULL}, {NULL}};
	return body_check(o, &f, why) != 0 ? -1 : field_bytes(o, "hash", hash, HASH_BYTES, why);
}

int ack_fields(json_t *o, uint8_t key[GD_ACK_KEY_BYTES], body_why *why)
{
	static const body_fields f = {{"ack_key", NULL}, {NULL}};
	return body_check(o, &f, why) != 0 ? -1
					   : field_bytes(o, "ack_key", key, GD_ACK_KEY_BYTES, why);
}

int mailbox_fields(json_t *o, int ack, mailbox_req *m, body_why *why)
{
	static const body_fields fetch = {{"mailbox_pk", "signature", NULL},
					  {"cursor", "limit", NULL}};
	static const body_fields acks = {{"mailbox_pk", "signature", "ids", NULL}, {NULL}};
	json_t *cur = json_object_get(o, "cursor"), *lim = json_object_get(o, "limit");
	m->has_cursor = cur != NULL;
	m->limit = MAX_LIST;
	m->n_ids = 0;
	if (body_check(o, ack ? &acks : &fetch, why) != 0 ||
	    field_bytes(o, "mailbox_pk", m->pk, sizeof m->pk, why) != 0 ||
	    field_bytes(o, "signature", m->sig, sizeof m->sig, why) != 0)
		return -1;
	if (ack) {
		json_t *ids = json_object_get(o, "ids"), *v;
		size_t i;
		if (!json_is_array(ids) || json_array_size(ids) > MAX_LIST) {
			snprintf(why->text, sizeof why->text,
				 "\"ids\" must be an array of at most %d ids", MAX_LIST);
			return -1;
		}
		json_array_foreach (ids, i, v) {
			if (b64_exact(json_string_value(v), m->ids + GD_REPLY_ID_BYTES * i,
				      GD_REPLY_ID_BYTES) != 0) {
				snprintf(why->text, sizeof why->text,
					 "each of \"ids\" is %d bytes, base64url",
					 GD_REPLY_ID_BYTES);
				return -1;
			}
		}
		m->n_ids = json_array_size(ids);
		return 0;
	}
	if (cur != NULL && field_bytes(o, "cursor", m->cursor, sizeof m->cursor, why) != 0)
		return -1;
	if (lim != NULL) {
		if (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
		    json_integer_value(lim) > MAX_LIST) {
			snprintf(why->text, sizeof why->text, "\"limit\" must be 1..%d", MAX_LIST);
			return -1;
		}
		m->limit = (unsigned)json_integer_value(lim);
	}
	return 0;
}

int reply_fields(json_t *o, uint8_t mb[GD_MAILBOX_ID_BYTES], uint8_t *out, size_t cap, size_t *len,
		 body_why *why)
{
	static const body_fields f = {{"mailbox_id", "reply", NULL}, {NULL}};
	const char *blob = json_string_value(json_object_get(o, "reply"));
	*len = 0;
	if (body_check(o, &f, why) != 0)
		return -1;
	if (field_bytes(o, "mailbox_id", mb, GD_MAILBOX_ID_BYTES, why) != 0)
		return -2; /* its two fields, one not shaped as §11.4 says: bad_reply too */
	snprintf(why->text, sizeof why->text, "\"reply\" must be a reply (section 8), base64url");
	return blob == NULL || gd_b64_decode(out, cap, len, blob, strlen(blob)) != GD_OK ||
			       gd_reply_peek(out, *len) != GD_OK
		       ? -2
		       : 0;
}

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
