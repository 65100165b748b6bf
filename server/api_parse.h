/* The pure parsers of ghostdropd's /v1 API: request paths and JSON bodies, from untrusted
 * bytes to checked values, with no state and no I/O (tests/fuzz/fuzz_api.c runs them on
 * anything). PROTOCOL.md §11.3. */
#ifndef GD_SERVER_API_PARSE_H
#define GD_SERVER_API_PARSE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gdcrypto.h"

#define MAX_LIST 100  /* replies per fetch page, ids per ack */
#define HASH_BYTES 32 /* BLAKE2b-256 (crypto_generichash_BYTES): a body's, a chunk's, a digest */
#define SEG_MAX 6     /* segments of a request path, "v1" first */
#define SEG_BYTES 64  /* the longest segment, NUL included */

/* Why a request body was refused: the message of its 400 bad_request, naming the field. */
typedef struct {
	char text[96];
} body_why;

/* The fields a JSON body may hold (PROTOCOL.md §1): every one of `required`, any of
 * `optional`, nothing else. Each list ends with NULL. */
typedef struct {
	const char *required[4], *optional[3];
} body_fields;

/* Whether o holds exactly the fields f allows: 0, or -1 with why naming the first unknown
 * field, else the first missing one. Every body parser below starts with it. */
int body_check(json_t *o, const body_fields *f, body_why *why);

/* Exactly n bytes of unpadded base64url in s (NULL refused): 0, or -1. */
int b64_exact(const char *s, uint8_t *out, size_t n);
/* A strict JSON object (no duplicate keys), or NULL. */
json_t *parse_object(const uint8_t *b, size_t len);
/* The same, with why it is not one (for 400 bad_json): a duplicate field is named. */
#define BAD_JSON_WHY 96
json_t *parse_object_why(const uint8_t *b, size_t len, char *why, size_t cap);

/* The bodies (§11.3, §11.4). Each returns 0, or -1 with why set (400 bad_request). */
/* POST /v1/uploads: {"id": 16 bytes, "size": N >= 1, optionally "check": "blake2b" or
 * "poly1305" (absent: blake2b), and with "poly1305" (only) "key": the chunk key K, 32 bytes,
 * into key}. */
int upload_new_fields(json_t *o, uint8_t id[GD_ID_BYTES], uint64_t *size, gd_check *check,
		      uint8_t key[GD_CHUNK_KEY_BYTES], body_why *why);
/* POST /v1/uploads/ID/commit: {"hash": 32 bytes}. */
int commit_fields(json_t *o, uint8_t hash[HASH_BYTES], body_why *why);
/* POST /v1/courier/submissions/ID/ack: {"ack_key": 32 bytes}. */
int ack_fields(json_t *o, uint8_t key[GD_ACK_KEY_BYTES], body_why *why);

/* POST /v1/mailbox/fetch and /ack: the mailbox key and its signature over the request's
 * proof-of-work challenge; a fetch may add "cursor" (a reply id: start after it) and "limit"
 * (1..MAX_LIST), an ack must add "ids" (at most MAX_LIST reply ids). */
typedef struct {
	uint8_t pk[GD_SIGN_PK_BYTES], sig[GD_SIG_BYTES], cursor[GD_REPLY_ID_BYTES];
	int has_cursor;
	unsigned limit;
	uint8_t ids[GD_REPLY_ID_BYTES * MAX_LIST]; /* an ack's */
	size_t n_ids;
} mailbox_req;
int mailbox_fields(json_t *o, int ack, mailbox_req *m, body_why *why);

/* POST /v1/courier/replies: {"mailbox_id": 16 bytes, "reply": a §8 blob}. The drop cannot read
 * a reply, but it checks that it is shaped like one: -2 (bad_reply) if not, or if the mailbox id
 * is not 16 bytes. out holds at least strlen(reply) bytes. */
int reply_fields(json_t *o, uint8_t mb[GD_MAILBOX_ID_BYTES], uint8_t *out, size_t cap, size_t *len,
		 body_why *why);

/* A chunk index in a path: decimal, below n_chunks. 0 or -1. */
int chunk_index(const char *s, uint32_t n_chunks, uint32_t *idx);
/* Split "/v1/a/b/c" into at most SEG_MAX segments: their number, or -1. */
int segments(const char *path, char seg[SEG_MAX][SEG_BYTES]);

#endif
