/* ghostdropd HTTP/1.1 server on libevent bufferevents: strict parsing, a connection cap,
 * absolute header and body deadlines, headers seen before the body, bounded input, lingering
 * close. The only place that includes libevent. PROTOCOL.md §11.1 says why not evhttp. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_parse.h"
#include "log.h"

#define STREAM_LOW_WATER (256 * 1024)
#define STOP_GRACE_TICKS 100 /* x 100 ms */
#define LINGER_SECONDS 5     /* after a closing reply, input is discarded this long at most */
/* A body or reply's byte rate is measured over at least this long, so that a transfer that has
 * just begun is judged by the bytes it moved, not by a tiny elapsed time. */
#define RATE_MIN_SECONDS 2.0

/* C_LINGER: the reply was sent and the write side shut; the client's remaining input is read
 * and discarded (bounded in time and bytes) so that closing with unread input does not reset
 * the connection before the client has read the reply. */
enum conn_state { C_HEAD, C_BODY, C_WAIT, C_WRITE, C_LINGER };

typedef struct conn conn;

struct http_req {
	conn *c; /* NULL once the connection is gone (the reply then just frees) */
	http_server *srv;
	size_t charged; /* body bytes counted in srv->body_in_mem */
	char *head;     /* the header block, NUL-separated in place */
	http_head h;    /* parsed from it, pointing into it */
	uint8_t *body;
	size_t body_len;
	int complete; /* the whole request, body included, was read and handed to the handler */
	void *user;
	void (*user_free)(void *);
	/* streaming */
	int (*pull)(void *, http_req *);
	void (*done)(void *);
	void *stream_arg;
	int streaming, stream_finished;
};

struct conn {
	http_server *srv;
	struct bufferevent *bev;
	struct event *deadline;
	enum conn_state state;
	http_req *req;
	int close_after;
	int got_byte;       /* a byte of the current request arrived (the first-byte deadline) */
	time_t wait_since;  /* monotonic seconds when it began waiting for this request */
	size_t lingered;    /* bytes discarded in C_LINGER */
	double phase_since; /* monotonic: when the body (C_BODY) or the reply (C_WRITE) began */
	size_t queued;      /* bytes of the current reply handed to the bufferevent */
	conn *prev, *next;  /* oldest waiting first: a conn moves to the tail when it waits anew */
};

struct http_server {
	struct event_base *base;
	struct evconnlistener *listener;
	http_limits lim;
	http_handler h;
	unsigned n_conns;
	conn *conns, *tail;
	size_t body_in_mem;        /* request bodies allocated now, all connections */
	unsigned long long bodies; /* request bodies allocated so far */
	struct event *sigint, *sigterm, *stop_timer, *wake;
	int wake_fds[2];
	void (*wake_cb)(void *);
	void *wake_arg;
	int stopping, stop_ticks;
	int (*idle)(void *);
	void *idle_arg;
	struct event *timers[8];
	int n_timers;
};

typedef struct {
	void (*cb)(void *);
	void *arg;
} timer_ctx;

static void conn_free(conn *c);
static void conn_read_cb(struct bufferevent *bev, void *arg);

static time_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static double mono_precise(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 507:
		return "Insufficient Storage";
	default:
		return "Unknown";
	}
}

/* ---- request accessors ---- */

const char *http_method(const http_req *r)
{
	return r->h.method;
}
const char *http_path(const http_req *r)
{
	return r->h.path;
}
const uint8_t *http_body(const http_req *r, size_t *len)
{
	*len = r->body_len;
	return r->body;
}
uint8_t *http_take_body(http_req *r, size_t *len)
{
	uint8_t *b = r->body;
	*len = r->body_len;
	r->body = NULL;
	r->body_len = 0;
	return b;
}
void http_set_user(http_req *r, void *p, void (*free_fn)(void *))
{
	r->user = p;
	r->user_free = free_fn;
}
void *http_user(const http_req *r)
{
	return r->user;
}
unsigned http_connections(const http_server *s)
{
	return s->n_conns;
}

unsigned long long http_bodies(const http_server *s)
{
	return s->bodies;
}

size_t http_buffered_max(const http_server *s)
{
	size_t most = 0;
	for (const conn *c = s->conns; c != NULL; c = c->next) {
		size_t n = evbuffer_get_length(bufferevent_get_input(c->bev));
		if (c->req != NULL && c->req->body != NULL)
			n += (size_t)c->req->h.content_length;
		if (n > most)
			most = n;
	}
	return most;
}

void http_fire_deadline(http_server *s)
{
	if (s->conns != NULL)
		event_active(s->conns->deadline, EV_TIMEOUT, 1);
}

int http_first_conn_state(const http_server *s)
{
	if (s->conns == NULL)
		return HTTP_CONN_NONE;
	return s->conns->state == C_HEAD   ? HTTP_CONN_HEAD
	       : s->conns->state == C_BODY ? HTTP_CONN_BODY
					   : HTTP_CONN_OTHER;
}

const char *http_header(const http_req *r, const char *name)
{
	return http_head_field(&r->h, name);
}

int http_query(const http_req *r, const char *name, char *out, size_t cap)
{
	return http_head_query(&r->h, name, out, cap);
}

const char *http_header_nth(const http_req *r, const char *name, int n)
{
	for (int i = 0; i < r->h.n_headers; i++)
		if (strcasecmp(r->h.names[i], name) == 0 && n-- == 0)
			return r->h.values[i];
	return NULL;
}

int http_has_query(const http_req *r)
{
	/* the parser cuts the target at '?' in place: a query, even empty, follows the path */
	return r->h.path != NULL && r->h.query == r->h.path + strlen(r->h.path) + 1;
}

/* The body is no longer needed once the reply begins: its memory goes back to the budget. */
static void body_release(http_req *r)
{
	if (r->charged > 0)
		r->srv->body_in_mem -= r->charged;
	r->charged = 0;
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

static void req_free(http_req *r)
{
	if (r == NULL)
		return;
	if (r->streaming && r->done != NULL) {
		r->done(r->stream_arg);
		r->done = NULL;
	}
	if (r->user_free != NULL)
		r->user_free(r->user);
	body_release(r);
	free(r->head);
	free(r);
}

/* ---- deadlines ---- */

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	conn *c = arg;
	(void)fd;
	(void)what;
	if (c->state == C_HEAD && evbuffer_get_length(bufferevent_get_input(c->bev)) == 0) {
		conn_free(c); /* no byte yet, or an idle keep-alive connection: just close */
		return;
	}
	if (c->state == C_HEAD || c->state == C_BODY) {
		/* Too slow, whatever the byte rate: answer and close. */
		c->state = C_WAIT;
		http_req *r = c->req;
		if (r == NULL) {
			r = calloc(1, sizeof *r);
			if (r == NULL) {
				conn_free(c);
				return;
			}
			r->c = c;
			c->req = r;
		}
		r->h.keepalive = 0;
		http_reply_error(r, 408, "timeout", "request not received in time");
		return;
	}
	conn_free(c);
}

static void arm(conn *c, unsigned seconds)
{
	struct timeval tv = {(time_t)seconds, 0};
	evtimer_add(c->deadline, &tv);
}

/* ---- connections ---- */

static void list_unlink(conn *c)
{
	http_server *s = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->tail = c->prev;
	c->prev = c->next = NULL;
}

static void list_append(conn *c)
{
	http_server *s = c->srv;
	c->prev = s->tail;
	c->next = NULL;
	if (s->tail)
		s->tail->next = c;
	else
		s->conns = c;
	s->tail = c;
}

/* Waiting for a request from now: the first-byte deadline (if shorter than the header one). */
static void wait_request(conn *c)
{
	const http_limits *l = &c->srv->lim;
	c->state = C_HEAD;
	c->got_byte = 0;
	c->wait_since = mono_now();
	list_unlink(c);
	list_append(c);
	event_del(c->deadline);
	arm(c, l->first_byte_timeout > 0 && l->first_byte_timeout < l->header_timeout
		       ? l->first_byte_timeout
		       : l->header_timeout);
}

/* Bytes per second that a body (C_BODY) or a reply (C_WRITE) has moved since it began: the body
 * bytes received, or the reply bytes the kernel took. */
static double conn_rate(const conn *c, double now)
{
	double age = now - c->phase_since;
	size_t moved = 0;
	if (c->state == C_BODY) {
		moved = c->req->body_len;
	} else {
		size_t left = evbuffer_get_length(bufferevent_get_output(c->bev));
		moved = c->queued > left ? c->queued - left : 0;
	}
	return (double)moved / (age > RATE_MIN_SECONDS ? age : RATE_MIN_SECONDS);
}

/* Of the transfers under way (bodies arriving, replies going out; with only_bodies, bodies
 * arriving), the one moving slowest, other than keep; the older on a tie. A connection whose
 * handler is working (C_WAIT) is never chosen. NULL if none. */
static conn *slowest(http_server *s, const conn *keep, int only_bodies)
{
	double now = mono_precise(), least = 0;
	conn *pick = NULL;
	for (conn *c = s->conns; c != NULL; c = c->next) {
		if (c == keep || (c->state != C_BODY && c->state != C_WRITE))
			continue;
		if (only_bodies && c->state != C_BODY)
			continue;
		double r = conn_rate(c, now);
		if (pick == NULL || r < least ||
		    (r == least && c->phase_since < pick->phase_since)) {
			pick = c;
			least = r;
		}
	}
	return pick;
}

/* At the cap, the connection a newcomer replaces: one lingering after its reply, else the
 * one that has waited longest for its headers (it holds a slot without having proved
 * anything), else the body or reply moving slowest (a client that finished its headers
 * and then stalls, or reads its answers at a trickle, holds a slot as cheaply). NULL only if
 * every connection's handler is working. */
static conn *evictable(http_server *s)
{
	conn *oldest_head = NULL;
	for (conn *c = s->conns; c != NULL; c = c->next) {
		if (c->state == C_LINGER)
			return c;
		if (c->state == C_HEAD && oldest_head == NULL)
			oldest_head = c;
	}
	return oldest_head != NULL ? oldest_head : slowest(s, NULL, 0);
}

/* Room for a body of len bytes within the body memory budget: the slowest bodies in memory
 * (not c's) give way. 0 if it fits now, -1 if it cannot. */
static int body_room(http_server *s, const conn *c, size_t len)
{
	if (s->lim.body_memory == 0)
		return 0;
	if (len > s->lim.body_memory)
		return -1;
	while (s->body_in_mem > s->lim.body_memory - len) {
		conn *v = slowest(s, c, 1);
		if (v == NULL)
			return -1;
		conn_free(v);
	}
	return 0;
}

static void conn_free(conn *c)
{
	http_server *s = c->srv;
	if (c->req != NULL) {
		if (c->state == C_WAIT && c->req->c == c) {
			c->req->c =
				NULL; /* the handler still owns it and will reply into the void */
			/* and the server may be gone by then: its body is no longer counted */
			s->body_in_mem -= c->req->charged;
			c->req->charged = 0;
		} else {
			req_free(c->req);
		}
	}
	event_free(c->deadline);
	bufferevent_free(c->bev);
	list_unlink(c);
	s->n_conns--;
	free(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	conn *c = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(c);
}

/* The reply is out and the connection closes: shut the write side (the client sees the end of
 * the reply), then read and discard what the client still sends, until it closes, for
 * LINGER_SECONDS and linger_bytes at most. */
static void linger(conn *c)
{
	if (c->srv->stopping) {
		conn_free(c);
		return;
	}
	c->state = C_LINGER;
	c->lingered = 0;
	bufferevent_disable(c->bev, EV_WRITE);
	if (shutdown(bufferevent_getfd(c->bev), SHUT_WR) != 0) {
		conn_free(c);
		return;
	}
	event_del(c->deadline);
	arm(c, LINGER_SECONDS);
	bufferevent_enable(c->bev, EV_READ);
	conn_read_cb(c->bev, c); /* what is buffered already */
}

static void next_request(conn *c)
{
	req_free(c->req);
	c->req = NULL;
	if (c->close_after || c->srv->stopping) {
		linger(c);
		return;
	}
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_enable(c->bev, EV_READ);
	wait_request(c);
	/* a pipelined request may already be buffered */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		conn_read_cb(c->bev, c);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	conn *c = arg;
	(void)bev;
	if (c->state != C_WRITE)
		return;
	http_req *r = c->req;
	if (r != NULL && r->streaming && !r->stream_finished) {
		int rc = r->pull(r->stream_arg, r);
		if (rc < 0) {
			conn_free(c); /* cannot finish the promised length: cut the connection */
			return;
		}
		if (rc == 1) {
			r->stream_finished = 1;
			bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
		}
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
			return;
	}
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		next_request(c);
}

static void start_body(conn *c)
{
	http_req *r = c->req;
	c->state = C_BODY;
	c->phase_since = mono_precise();
	event_del(c->deadline);
	arm(c, c->srv->lim.body_timeout);
	const char *expect = http_header(r, "expect");
	if (expect != NULL && strcasecmp(expect, "100-continue") == 0)
		bufferevent_write(c->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
}

static void dispatch(conn *c)
{
	c->state = C_WAIT;
	event_del(c->deadline);
	bufferevent_disable(c->bev, EV_READ);
	c->req->complete = 1;
	c->srv->h.handle(c->req, c->srv->h.arg);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	http_server *s = c->srv;
	if (c->state == C_LINGER) {
		size_t n = evbuffer_get_length(in);
		c->lingered += n;
		if (evbuffer_drain(in, n) != 0 || c->lingered > s->lim.linger_bytes)
			conn_free(c);
		return;
	}
	if (c->state == C_HEAD) {
		if (!c->got_byte && evbuffer_get_length(in) > 0) {
			/* the rest of the header deadline, counted from when the wait began */
			time_t spent = mono_now() - c->wait_since;
			c->got_byte = 1;
			event_del(c->deadline);
			arm(c, spent < (time_t)s->lim.header_timeout
				       ? s->lim.header_timeout - (unsigned)spent
				       : 0);
		}
		struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		size_t hlen = end.pos < 0 ? 0 : (size_t)end.pos + 4;
		/* The input never holds more than max_header (the read watermark): a head that
		 * has not ended there is too large. */
		if ((end.pos < 0 && evbuffer_get_length(in) >= s->lim.max_header) ||
		    hlen > s->lim.max_header) {
			c->req = calloc(1, sizeof *c->req);
			if (c->req == NULL) {
				conn_free(c);
				return;
			}
			c->req->c = c;
			c->state = C_WAIT;
			http_reply_error(c->req, 431, "header_too_large",
					 "request header too large");
			return;
		}
		if (end.pos < 0)
			return;
		http_req *r = calloc(1, sizeof *r);
		if (r == NULL || (r->head = malloc(hlen + 1)) == NULL) {
			free(r);
			conn_free(c);
			return;
		}
		r->c = c;
		r->srv = s;
		c->req = r;
		evbuffer_remove(in, r->head, hlen);
		r->head[hlen] = '\0';
		const char *code;
		int st = http_parse_head(&r->h, r->head, hlen, &code);
		c->state = C_WAIT;
		if (st != 0) {
			r->h.keepalive = 0;
			http_reply_error(r, st, code, "malformed request");
			return;
		}
		event_del(c->deadline);
		bufferevent_disable(bev, EV_READ);
		long long max = s->h.head(r, s->h.arg);
		if (max == HTTP_REFUSED)
			return; /* replied already; the unread body goes with the connection */
		if (r->h.content_length > (uint64_t)max) {
			r->h.keepalive = 0;
			http_reply_error(r, 413, "body_too_large", "request body too large");
			return;
		}
		bufferevent_enable(bev, EV_READ);
		if (r->h.content_length == 0) {
			dispatch(c);
			return;
		}
		if (body_room(s, c, (size_t)r->h.content_length) != 0) {
			r->h.keepalive = 0;
			http_reply_error(r, 503, "overloaded",
					 "too many request bodies at once, retry");
			return;
		}
		if ((r->body = malloc((size_t)r->h.content_length)) == NULL) {
			r->h.keepalive = 0;
			http_reply_error(r, 503, "overloaded", "out of memory");
			return;
		}
		r->charged = (size_t)r->h.content_length;
		s->body_in_mem += r->charged;
		s->bodies++;
		start_body(c);
	}
	if (c->state == C_BODY) {
		http_req *r = c->req;
		size_t want = (size_t)r->h.content_length - r->body_len;
		size_t n = evbuffer_remove(in, r->body + r->body_len, want);
		r->body_len += n;
		/* libevent 2.1 reads at most 4 KiB per wakeup (EVBUFFER_MAX_READ), a poll, an
		 * ioctl and a readv for every 4 KiB of an upload chunk: read the rest of the body
		 * straight into place instead, never past its end (the next request stays). */
		while (r->body_len < r->h.content_length) {
			ssize_t k = recv(bufferevent_getfd(bev), r->body + r->body_len,
					 (size_t)r->h.content_length - r->body_len, MSG_DONTWAIT);
			if (k <= 0)
				break; /* EAGAIN: wait; EOF and errors: the bufferevent sees them
					  too */
			r->body_len += (size_t)k;
		}
		if (r->body_len == r->h.content_length)
			dispatch(c);
	}
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
		      void *arg)
{
	http_server *s = arg;
	(void)l;
	(void)sa; /* the peer's address is never looked at */
	(void)salen;
	conn *victim;
	if (s->n_conns >= s->lim.max_connections && !s->stopping && (victim = evictable(s)) != NULL)
		conn_free(victim); /* see evictable(): it yields to a newcomer */
	if (s->n_conns >= s->lim.max_connections || s->stopping) {
#define FULL_HEAD                                                                                  \
	"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"                   \
	"Content-Length: %zu\r\nConnection: close\r\n\r\n"
#define FULL_BODY "{\"error\":\"overloaded\",\"message\":\"too many connections, retry\"}\n"
		char msg[sizeof FULL_HEAD FULL_BODY + 16], junk[4096];
		int n = snprintf(msg, sizeof msg, FULL_HEAD FULL_BODY, sizeof FULL_BODY - 1);
#undef FULL_HEAD
#undef FULL_BODY
		if (send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			(void)0; /* best effort */
		/* a request already here would make close() reset the connection: discard it */
		shutdown(fd, SHUT_WR);
		for (int i = 0; i < 16 && recv(fd, junk, sizeof junk, MSG_DONTWAIT) > 0; i++)
			;
		close(fd);
		return;
	}
	conn *c = calloc(1, sizeof *c);
	if (c == NULL) {
		close(fd);
		return;
	}
	c->srv = s;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(s->base, deadline_cb, c);
	if (c->bev == NULL || c->deadline == NULL) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->deadline)
			event_free(c->deadline);
		free(c);
		return;
	}
	list_append(c);
	s->n_conns++;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	struct timeval wt = {(time_t)s->lim.write_timeout, 0};
	bufferevent_set_timeouts(c->bev, NULL, &wt);
	/* Input held per connection never exceeds max_header, whatever the state: a body is
	 * read straight into place, and past the mark libevent stops reading the socket. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, s->lim.max_header);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	wait_request(c);
}

int http_adopt(http_server *s, int fd)
{
	if (evutil_make_socket_nonblocking(fd) != 0)
		return -1;
	accept_cb(NULL, fd, NULL, 0, s);
	return 0;
}

int http_run_pending(http_server *s)
{
	return event_base_loop(s->base, EVLOOP_NONBLOCK) < 0 ? -1 : 0;
}

/* ---- replies ---- */

/* extra: more header lines, each ending "\r\n" (NULL: none). */
static void write_head(http_req *r, int status, const char *ctype, uint64_t len, const char *extra)
{
	conn *c = r->c;
	char h[512];
	size_t x = extra != NULL ? strlen(extra) : 0;
	int n = snprintf(h, sizeof h,
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %llu\r\n"
			 "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
			 "Referrer-Policy: no-referrer\r\nConnection: %s\r\n%s",
			 status, reason(status), ctype, (unsigned long long)len,
			 r->h.keepalive ? "keep-alive" : "close", x > 0 ? "" : "\r\n");
	c->close_after = !r->h.keepalive;
	c->phase_since = mono_precise();
	c->queued = (size_t)n;
	bufferevent_write(c->bev, h, (size_t)n);
	if (x > 0) {
		bufferevent_write(c->bev, extra, x);
		bufferevent_write(c->bev, "\r\n", 2);
		c->queued += x + 2;
	}
}

/* body_ref: the body is referenced, not copied (it outlives the server); 2: a HEAD's reply, the
 * headers of a body of len bytes but not the body. */
static void reply(http_req *r, int status, const char *ctype, const char *extra, const void *body,
		  size_t len, int body_ref)
{
	conn *c = r->c;
	if (c == NULL) { /* the client left while we worked: nobody to tell */
		req_free(r);
		return;
	}
	/* A reply before the whole request was read (a refusal from the headers, a deadline)
	 * must close: the unread bytes would otherwise be taken for the next request. */
	if (c->srv->stopping || !r->complete)
		r->h.keepalive = 0;
	/* Nothing more is read while the reply goes out (pipelined requests wait in the kernel);
	 * after a closing reply the rest is only discarded (linger). */
	bufferevent_disable(c->bev, EV_READ);
	event_del(c->deadline);
	write_head(r, status, ctype, len, extra);
	if (body_ref == 2)
		len = 0;
	else if (len > 0 && body_ref)
		evbuffer_add_reference(bufferevent_get_output(c->bev), body, len, NULL, NULL);
	else if (len > 0)
		bufferevent_write(c->bev, body, len);
	c->queued += len;
	body_release(r);
	c->state = C_WRITE;
	bufferevent_enable(c->bev, EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		next_request(c);
}

void http_reply(http_req *r, int status, const char *ctype, const void *body, size_t len)
{
	reply(r, status, ctype, NULL, body, len, 0);
}

void http_reply_static(http_req *r, int status, const char *ctype, const char *extra,
		       const void *body, size_t len)
{
	reply(r, status, ctype, extra, body, len, 1);
}

void http_reply_static_head(http_req *r, int status, const char *ctype, const char *extra,
			    const void *body, size_t len)
{
	reply(r, status, ctype, extra, body, len, 2);
}

/* JSON string escaping for the fixed texts of error replies. */
static size_t json_escape(char *out, size_t cap, const char *in)
{
	size_t o = 0;
	for (; *in != '\0' && o + 7 < cap; in++) {
		unsigned char ch = (unsigned char)*in;
		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20) {
			o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
	return o;
}

void http_reply_error(http_req *r, int status, const char *code, const char *message)
{
	char body[600], c[128], m[400];
	json_escape(c, sizeof c, code);
	json_escape(m, sizeof m, message);
	int n = snprintf(body, sizeof body, "{\"error\":\"%s\",\"message\":\"%s\"}\n", c, m);
	http_reply(r, status, "application/json", body, (size_t)n);
}

void http_reply_stream(http_req *r, int status, const char *ctype, uint64_t len,
		       int (*pull)(void *, http_req *), void (*done)(void *), void *arg)
{
	conn *c = r->c;
	r->pull = pull;
	r->done = done;
	r->stream_arg = arg;
	r->streaming = 1;
	if (c == NULL) {
		req_free(r); /* calls done */
		return;
	}
	bufferevent_disable(c->bev, EV_READ);
	event_del(c->deadline);
	body_release(r);
	write_head(r, status, ctype, len, NULL);
	c->state = C_WRITE;
	bufferevent_setwatermark(c->bev, EV_WRITE, STREAM_LOW_WATER, 0);
	conn_write_cb(c->bev, c); /* the first piece now */
}

int http_stream_write(http_req *r, const void *buf, size_t len)
{
	if (r->c == NULL)
		return -1;
	r->c->queued += len;
	return bufferevent_write(r->c->bev, buf, len) == 0 ? 0 : -1;
}

/* ---- server ---- */

http_server *http_server_new(const http_limits *lim, const http_handler *h)
{
	http_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->lim = *lim;
	s->h = *h;
	s->wake_fds[0] = s->wake_fds[1] = -1;
	if ((s->base = event_base_new()) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void http_server_free(http_server *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL)
		conn_free(s->conns);
	if (s->listener)
		evconnlistener_free(s->listener);
	for (int i = 0; i < s->n_timers; i++) {
		free(event_get_callback_arg(s->timers[i]));
		event_free(s->timers[i]);
	}
	if (s->sigint)
		event_free(s->sigint);
	if (s->sigterm)
		event_free(s->sigterm);
	if (s->stop_timer)
		event_free(s->stop_timer);
	if (s->wake)
		event_free(s->wake);
	if (s->wake_fds[0] >= 0) {
		close(s->wake_fds[0]);
		close(s->wake_fds[1]);
	}
	event_base_free(s->base);
	free(s);
}

int http_bind(const char *host, uint16_t port, uint16_t *bound)
{
	struct sockaddr_in sin;
	int one = 1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		log_msg(LOG_ERR, "listen address must be an IPv4 address: %s", host);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(fd, 128) != 0) {
		log_msg(LOG_ERR, "cannot listen on %s:%u: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	socklen_t sl = sizeof sin;
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	*bound = ntohs(sin.sin_port);
	return fd;
}

int http_listen_fd(http_server *s, int fd)
{
	evutil_make_socket_nonblocking(fd);
	s->listener = evconnlistener_new(s->base, accept_cb, s, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (s->listener == NULL) {
		log_msg(LOG_ERR, "cannot accept connections");
		return -1;
	}
	return 0;
}

int http_listen(http_server *s, const char *host, uint16_t port, uint16_t *bound)
{
	int fd = http_bind(host, port, bound);
	if (fd < 0)
		return -1;
	if (http_listen_fd(s, fd) != 0) {
		close(fd);
		return -1;
	}
	return 0;
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
	http_server *s = arg;
	char buf[256];
	(void)what;
	while (read(fd, buf, sizeof buf) > 0)
		;
	s->wake_cb(s->wake_arg);
}

int http_wakeup_fd(http_server *s, void (*cb)(void *), void *arg)
{
	if (pipe(s->wake_fds) != 0)
		return -1;
	evutil_make_socket_nonblocking(s->wake_fds[0]);
	evutil_make_socket_nonblocking(s->wake_fds[1]);
	s->wake_cb = cb;
	s->wake_arg = arg;
	s->wake = event_new(s->base, s->wake_fds[0], EV_READ | EV_PERSIST, wake_cb, s);
	if (s->wake == NULL || event_add(s->wake, NULL) != 0)
		return -1;
	return s->wake_fds[1];
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	timer_ctx *t = arg;
	(void)fd;
	(void)what;
	t->cb(t->arg);
}

int http_every(http_server *s, unsigned seconds, void (*cb)(void *), void *arg)
{
	timer_ctx *t = malloc(sizeof *t);
	struct timeval tv = {(time_t)seconds, 0};
	if (t == NULL || s->n_timers == 8)
		return -1;
	t->cb = cb;
	t->arg = arg;
	struct event *ev = event_new(s->base, -1, EV_PERSIST, timer_cb, t);
	if (ev == NULL || event_add(ev, &tv) != 0)
		return -1;
	s->timers[s->n_timers++] = ev;
	return 0;
}

static void stop_tick(evutil_socket_t fd, short what, void *arg)
{
	http_server *s = arg;
	(void)fd;
	(void)what;
	int busy = 0;
	for (conn *c = s->conns; c != NULL; c = c->next)
		busy |= c->state == C_WAIT || c->state == C_WRITE;
	if ((!busy && (s->idle == NULL || s->idle(s->idle_arg))) ||
	    ++s->stop_ticks > STOP_GRACE_TICKS)
		event_base_loopbreak(s->base);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	http_server *s = arg;
	(void)what;
	if (s->stopping)
		return;
	log_msg(LOG_INFO, "%s: finishing what is in flight, then stopping",
		sig == SIGINT ? "SIGINT" : "SIGTERM");
	s->stopping = 1;
	evconnlistener_disable(s->listener);
	/* Idle keep-alive connections go now; busy ones finish their reply first. */
	for (conn *c = s->conns, *next; c != NULL; c = next) {
		next = c->next;
		if (c->state == C_HEAD || c->state == C_BODY || c->state == C_LINGER)
			conn_free(c);
	}
	struct timeval tv = {0, 100000};
	s->stop_timer = event_new(s->base, -1, EV_PERSIST, stop_tick, s);
	event_add(s->stop_timer, &tv);
}

int http_run(http_server *s, int (*idle)(void *), void *arg)
{
	s->idle = idle;
	s->idle_arg = arg;
	s->sigint = evsignal_new(s->base, SIGINT, signal_cb, s);
	s->sigterm = evsignal_new(s->base, SIGTERM, signal_cb, s);
	if (s->sigint == NULL || s->sigterm == NULL || event_add(s->sigint, NULL) != 0 ||
	    event_add(s->sigterm, NULL) != 0)
		return -1;
	return event_base_dispatch(s->base) < 0 ? -1 : 0;
}
