/* ghostdrop client: the drop's /v1 API (PROTOCOL.md §11) as typed calls, for ghostdrop,
 * ghostdrop-desk's courier commands and bench/. One retry policy, one error shape, one
 * mapping from what went wrong to the exit codes of ghostdrop(1) and ghostdrop-desk(1).
 * Request bodies are built with Jansson; the upload protocol is in upload.h. */
#ifndef GD_DROP_H
#define GD_DROP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gdcrypto.h"
#include "transport.h"

/* What a call ended in. */
enum {
	DROP_OK = 0,
	DROP_NET,       /* the drop or the proxy could not be reached, or the connection broke */
	DROP_REFUSED,   /* the drop answered with an error: http_status, code and message */
	DROP_MALFORMED, /* the drop's answer is not what the protocol says */
	DROP_LOCAL,     /* this side failed: out of memory, a sink that refused the bytes */
};

typedef struct {
	int kind;
	int http_status; /* DROP_REFUSED: the answer's status */
	int transport;   /* the transport's TR_* code of the last attempt */
	char code[48];   /* DROP_REFUSED: the drop's error code (PROTOCOL.md §11.2) */
	char message[256];
} drop_err;

/* The exit codes both programs document for a call that failed (0 for DROP_OK). */
enum { DROP_EX_FAIL = 1, DROP_EX_NET = 4, DROP_EX_REFUSED = 5 };
int drop_exit_code(const drop_err *e);
/* Say e on stderr as the one line of a failed command; returns drop_exit_code(e). */
int drop_die(const drop_err *e);
/* A refusal with this error code. */
int drop_refused_with(const drop_err *e, const char *code);

/* Attempts per call, and the wait before attempt i (i >= 1): backoff_ms << i. */
#define DROP_ATTEMPTS 4
#define DROP_BACKOFF_MS 1000

typedef struct {
	gd_url url;
	gd_transport tr;
	char *auth;        /* a courier's "Authorization: Bearer T\r\n" (sodium_malloc), or NULL */
	unsigned attempts; /* DROP_ATTEMPTS */
	unsigned backoff_ms; /* DROP_BACKOFF_MS */
	int reached;         /* the drop answered once in this run (set by the calls) */
	int *keep;           /* a kept connection for the calls that bring none, or NULL (one
				connection per request); only for a drop_conn used by one thread */
} drop_conn;

/* server: http://host[:port]; proxy and clearnet as gd_transport_init. 0, or -1 with a
 * message in err. */
int drop_open(drop_conn *d, const char *server, const char *proxy, int clearnet, char *err,
	      size_t cap);
/* A courier token goes with every request (Authorization: Bearer). 0, or -1 out of memory. */
int drop_set_token(drop_conn *d, const char *token);
void drop_close(drop_conn *d);

/* One request. The retry policy (drop_send, the only loop): an attempt is made again, after
 * backoff_ms << i, when the connection broke or timed out (once the drop answered in this run:
 * a drop or a proxy that cannot be reached at all is said at once), when the drop refused
 * the proof of work as outdated (403 pow_outdated: a new challenge is solved) and when a
 * chunk is still arriving on another connection (503 chunk_pending); never when the proxy
 * refused (its answer will not change) nor when the answer was malformed or too large. */
typedef struct drop_req {
	const char *method;
	char path[192];
	const char *headers; /* more header lines ("Name: value\r\n"), or NULL */
	const uint8_t *body;
	size_t len;
	size_t max_body;   /* the largest answer body taken (0: 64 KiB) */
	const char *pow;   /* each attempt carries a proof of work for this purpose, or NULL */
	uint64_t pow_size; /* its size (uploads) */
	int *keep;         /* a kept connection (gd_request_keep), or NULL */
	int ok[2];         /* the statuses that mean success, as §11 answers them ({0}: 200
			      only); another 2xx is a malformed answer */
	gd_body_fn sink;   /* a streamed GET: its 2xx body goes here */
	void *arg;         /* for sink and prepare */
	/* Before each attempt, with the proof of work's challenge (NULL without one): a mailbox
	 * request signs it into its body, a streamed fetch sets the offset to resume at. */
	int (*prepare)(struct drop_req *q, const uint8_t *challenge, drop_err *e);
} drop_req;

/* body (not taken) as q's JSON body: its text in *text (NULL at first; free it after the call). */
int drop_json_body(drop_req *q, const json_t *body, char **text, drop_err *e);
/* drop_call with body (taken; NULL when it could not be built: out of memory) as JSON. */
int drop_call_json(drop_conn *d, drop_req *q, json_t *body, json_t **out, drop_err *e);
/* A failure of this side, or of the answer's shape, in e; returns kind. */
int drop_fail(drop_err *e, int kind, const char *message);
/* DROP_OK with an answer of one of q->ok's statuses in r (to be freed), or the failure in e
 * (r freed). */
int drop_send(drop_conn *d, drop_req *q, gd_response *r, drop_err *e);
/* The same with a JSON answer parsed into *out (NULL if the answer has no body). */
int drop_call(drop_conn *d, drop_req *q, json_t **out, drop_err *e);

/* ---- the worker's calls ---- */

/* GET /v1/bundle: the signed bundle's bytes in r (verified by the caller). */
int drop_get_bundle(drop_conn *d, gd_response *r, drop_err *e);
/* GET /v1/limits; checks: the upload chunk checks the drop takes, a bit (1 << gd_check) each
 * (blake2b alone from a drop that does not list them). */
int drop_get_limits(drop_conn *d, uint64_t *max_submit, uint64_t *max_envelope, unsigned *checks,
		    drop_err *e);
/* POST /v1/pow: a challenge for purpose (and size), solved on every core (powsolve_worker: a
 * line in plain words on a terminal; Ctrl-C stops it): "X-Ghostdrop-PoW: C.N\r\n" in hdr; the
 * challenge's bytes in ch. */
int drop_pow(drop_conn *d, const char *purpose, uint64_t size, char *hdr, size_t cap,
	     uint8_t ch[GD_POW_CHALLENGE_BYTES], drop_err *e);
/* POST /v1/submissions, the whole envelope in one request. A lost answer is retried under
 * the same id: *already tells that the drop had stored it before (200). */
int drop_submit(drop_conn *d, const uint8_t id[16], const uint8_t *env, size_t len, int *already,
		drop_err *e);
/* POST /v1/mailbox/fetch: one page from cursor (NULL: the first); the answer in *out. */
int drop_mailbox_fetch(drop_conn *d, const gd_source_keys *k, const char *cursor, json_t **out,
		       drop_err *e);
/* POST /v1/mailbox/ack: n drop reply ids (at most 100, the drop's limit). */
int drop_mailbox_ack(drop_conn *d, const gd_source_keys *k, const uint8_t (*ids)[16], size_t n,
		     drop_err *e);

/* ---- the courier's calls (a token set) ---- */

/* GET /v1/courier/submissions: the listing's bytes in r (max_body at most). */
int drop_courier_list(drop_conn *d, size_t max_body, gd_response *r, drop_err *e);
/* GET /v1/courier/submissions/ID?offset=N, streamed to sink. Before each attempt, offset(arg)
 * gives where to resume (and resets the sink's count). r is the answer the sink may look at
 * (its content_length); on DROP_OK its status is 200. */
int drop_courier_fetch(drop_conn *d, const uint8_t id[16], uint64_t (*offset)(void *arg),
		       gd_body_fn sink, void *arg, gd_response *r, drop_err *e);
/* POST /v1/courier/submissions/ID/ack. A refusal says 404 (gone) or 403 (wrong key). */
int drop_courier_ack(drop_conn *d, const char *id_b64, const char *ack_key_b64, drop_err *e);
/* POST /v1/courier/replies: a reply file's JSON as it is. */
int drop_courier_push(drop_conn *d, const uint8_t *body, size_t len, drop_err *e);

#endif
