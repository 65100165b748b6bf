/* ghostdropd HTTP/1.1 server on libevent bufferevents: strict parsing, a connection cap,
 * absolute header and body deadlines, headers seen before the body, bounded input, lingering
 * close. The only place that includes libevent. PROTOCOL.md §11.1 says why not evhttp. */
#ifndef GD_SERVER_HTTP_H
#define GD_SERVER_HTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct http_server http_server;
typedef struct http_req http_req;

typedef struct {
	unsigned max_connections;
	unsigned header_timeout; /* seconds from accept (or the previous reply) to full headers */
	unsigned body_timeout;   /* seconds from full headers to full body */
	unsigned write_timeout;  /* seconds without progress while sending a reply */
	size_t max_header;       /* bytes of request line and headers; also the most input held */
	unsigned first_byte_timeout; /* seconds from accept (or the previous reply) to a first byte
				      */
	size_t linger_bytes;         /* input read and discarded after a closing reply, at most */
	size_t body_memory; /* request bodies held in memory at once, all connections (0: no
			     * bound); past it the slowest body gives way, else 503 */
} http_limits;

#define HTTP_REFUSED (-1LL)

typedef struct {
	/* Headers are in. Return the largest body the request may carry (0: none), or reply
	 * and return HTTP_REFUSED: the body is then never read and the connection closes. */
	long long (*head)(http_req *r, void *arg);
	/* The body is in. Reply exactly once, now or later (after a commit). */
	void (*handle)(http_req *r, void *arg);
	void *arg;
} http_handler;

http_server *http_server_new(const http_limits *lim, const http_handler *h);
void http_server_free(http_server *s);
/* Bind; port 0 picks a free port, written to *bound. */
int http_listen(http_server *s, const char *host, uint16_t port, uint16_t *bound);
/* The two halves of http_listen, for a daemon that binds before dropping privileges: a
 * listening socket (fd, or -1), then serving on it (the server owns fd from then on). */
int http_bind(const char *host, uint16_t port, uint16_t *bound);
int http_listen_fd(http_server *s, int fd);
/* A descriptor another thread writes one byte to; cb then runs on the event loop. */
int http_wakeup_fd(http_server *s, void (*cb)(void *arg), void *arg);
int http_every(http_server *s, unsigned seconds, void (*cb)(void *arg), void *arg);
/* Serve until SIGINT/SIGTERM; then stop accepting and return once idle(arg) says nothing is
 * pending (or after a grace period). */
int http_run(http_server *s, int (*idle)(void *arg), void *arg);
unsigned http_connections(const http_server *s);
/* Request bodies read into memory so far: the drop gives freed memory back when it stays. */
unsigned long long http_bodies(const http_server *s);
/* The most input one connection holds now: buffered bytes plus a body being read (tests). */
size_t http_buffered_max(const http_server *s);
/* For tests and fuzzing, without a listener: serve a connected socket (a socketpair's end) as
 * if just accepted (the cap applies), and run what is ready on the event loop, without
 * waiting. */
int http_adopt(http_server *s, int fd);
int http_run_pending(http_server *s);
/* For the connection fuzz target: fire the first connection's deadline now; and where that
 * connection is: none, waiting for a request's head, reading a body, or anything else. */
enum { HTTP_CONN_NONE, HTTP_CONN_HEAD, HTTP_CONN_BODY, HTTP_CONN_OTHER };
void http_fire_deadline(http_server *s);
int http_first_conn_state(const http_server *s);

const char *http_method(const http_req *r);
const char *http_path(const http_req *r);
/* Raw query value (no percent-decoding: values are numbers and base64url) into out;
 * 0 if present and it fits, -1 otherwise. */
/* 0 with the value in out, -1 if absent, -2 if longer than cap allows. */
int http_query(const http_req *r, const char *name, char *out, size_t cap);
/* Whether the target had a '?' (a query, even an empty one). */
int http_has_query(const http_req *r);
const char *http_header(const http_req *r, const char *name); /* case-insensitive */
/* The field named name after n others of that name (0: the first), or NULL: a list field sent
 * on several lines is their values joined by commas. */
const char *http_header_nth(const http_req *r, const char *name, int n);
const uint8_t *http_body(const http_req *r, size_t *len);
uint8_t *http_take_body(http_req *r, size_t *len); /* the caller owns it (malloc'ed) */
/* Per-request data, freed with free_fn when the request ends, however it ends. */
void http_set_user(http_req *r, void *p, void (*free_fn)(void *));
void *http_user(const http_req *r);

void http_reply(http_req *r, int status, const char *ctype, const void *body, size_t len);
/* A reply whose body lives as long as the server (static bytes: never copied per request),
 * with more header lines in extra, each ending "\r\n" (NULL: none). */
void http_reply_static(http_req *r, int status, const char *ctype, const char *extra,
		       const void *body, size_t len);
/* The same reply to a HEAD: its headers (Content-Length len), not its body. */
void http_reply_static_head(http_req *r, int status, const char *ctype, const char *extra,
			    const void *body, size_t len);
void http_reply_error(http_req *r, int status, const char *code, const char *message);
/* Stream a reply of exactly len bytes. pull() is called whenever the socket wants more: it
 * writes with http_stream_write and returns 0 (more later), 1 (all written) or -1 (abort).
 * done() runs exactly once, when the stream ends for any reason. */
void http_reply_stream(http_req *r, int status, const char *ctype, uint64_t len,
		       int (*pull)(void *arg, http_req *r), void (*done)(void *arg), void *arg);
int http_stream_write(http_req *r, const void *buf, size_t len);

#endif
