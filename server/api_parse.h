/* The pure parsers of ghostdropd's /v1 API: request paths and JSON bodies, from untrusted
 * bytes to checked values, with no state and no I/O (tests/fuzz/fuzz_api.c runs them on
 * anything). PROTOCOL.md §11.3. */
#ifndef GD_SERVER_API_PARSE_H
#define GD_SERVER_API_PARSE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gdcrypto.h"

#define MAX_LIST 100 /* replies per fetch page, ids per ack */
#define HASH_BYTES 32 /* BLAKE2b-256 (crypto_generichash_BYTES): a body's, a chunk's, a digest */
#define SEG_MAX 6     /* segments of a request path, "v1" first */
#define SEG_BYTES 64  /* the longest segment, NUL included */

/* POST /v1/mailbox/fetch and /ack (§11.3): the mailbox key and its signature over the request's
 * proof-of-work challenge; a fetch may add "cursor" (a reply id: start after it) and "limit"
 * (1..MAX_LIST), an ack must add "ids" (mailbox_ids). Nothing else. */
typedef struct {
	uint8_t pk[GD_SIGN_PK_BYTES], sig[GD_SIG_BYTES], cursor[GD_REPLY_ID_BYTES];
	int has_cursor;
	unsigned limit;
} mailbox_req;

/* Exactly n bytes of unpadded base64url in s (NULL refused): 0, or -1. */
int b64_exact(const char *s, uint8_t *out, size_t n);
json_t *parse_object(const uint8_t *b, size_t len);
int upload_new_fields(json_t *o, uint8_t id[GD_ID_BYTES], uint64_t *size);
int commit_fields(json_t *o, uint8_t hash[HASH_BYTES]);
int ack_fields(json_t *o, uint8_t key[GD_ACK_KEY_BYTES]);
int mailbox_fields(json_t *o, int ack, mailbox_req *m);
int mailbox_ids(json_t *o, uint8_t *out, size_t *n);
int reply_fields(json_t *o, uint8_t mb[GD_MAILBOX_ID_BYTES], uint8_t *out, size_t cap, size_t *len);
int chunk_index(const char *s, uint32_t n_chunks, uint32_t *idx);
int segments(const char *path, char seg[SEG_MAX][SEG_BYTES]);

#endif
