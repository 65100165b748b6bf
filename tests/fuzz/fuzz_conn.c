/* Fuzz: the drop's whole HTTP connection state machine (server/http.c, linked), not only its
 * head parser. The input is a script of events on one connection, served on a socketpair whose
 * server end has a small send buffer: bytes from the client, event-loop turns, the deadline
 * firing, a deferred reply completing, the client reading (or not) and closing its side. A toy
 * route table answers at once, refuses from the headers, takes a small body, defers its reply
 * or streams one. Asserted: no connection ever holds more input than max_header plus the body
 * its route allowed; the answers are well-formed HTTP/1.1 with exact Content-Length; nothing
 * follows an answer that says "Connection: close"; at most one answer per request, and exactly
 * one for every request of a connection still open at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BODY_MAX 256
#define STREAM_LEN 3000
#define MAX_PENDING 4

static int heads, handles;
static http_req *pending[MAX_PENDING];
static int n_pending;

typedef struct {
	size_t sent;
} stream_state;

static long long toy_head(http_req *r, void *arg)
{
	(void)arg;
	heads++;
	const char *p = http_path(r);
	if (strcmp(p, "/refuse") == 0) {
		http_reply_error(r, 403, "refused", "refused from its headers");
		return HTTP_REFUSED;
	}
	return strcmp(http_method(r), "POST") == 0 ? BODY_MAX : 0;
}

static int toy_pull(void *arg, http_req *r)
{
	stream_state *st = arg;
	char buf[1000];
	memset(buf, 's', sizeof buf);
	size_t n = STREAM_LEN - st->sent < sizeof buf ? STREAM_LEN - st->sent : sizeof buf;
	if (http_stream_write(r, buf, n) != 0)
		return -1;
	st->sent += n;
	return st->sent == STREAM_LEN ? 1 : 0;
}

static void toy_done(void *arg)
{
	free(arg);
}

static void toy_handle(http_req *r, void *arg)
{
	(void)arg;
	handles++;
	const char *p = http_path(r);
	size_t len;
	free(http_take_body(r, &len));
	if (strcmp(p, "/defer") == 0 && n_pending < MAX_PENDING) {
		pending[n_pending++] = r;
		return;
	}
	if (strcmp(p, "/stream") == 0) {
		http_reply_stream(r, 200, "text/plain", STREAM_LEN, toy_pull, toy_done,
				  calloc(1, sizeof(stream_state)));
		return;
	}
	http_reply(r, 200, "text/plain", "fz\n", 3);
}

static void finish_one(void)
{
	if (n_pending > 0) {
		http_req *r = pending[0];
		memmove(pending, pending + 1, (size_t)--n_pending * sizeof pending[0]);
		http_reply(r, 200, "text/plain", "fz\n", 3);
	}
}

typedef struct {
	uint8_t *buf;
	size_t len, cap;
	int eof;
} capture;

static void client_read(int fd, capture *cap)
{
	for (;;) {
		if (cap->cap - cap->len < 4096) {
			cap->cap = cap->cap * 2 + 8192;
			cap->buf = realloc(cap->buf, cap->cap);
		}
		ssize_t k = recv(fd, cap->buf + cap->len, cap->cap - cap->len, MSG_DONTWAIT);
		if (k <= 0) {
			if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				cap->eof = 1;
			return;
		}
		cap->len += (size_t)k;
	}
}

static void check_bound(const http_server *s, const http_limits *lim)
{
	if (http_buffered_max(s) > lim->max_header + BODY_MAX)
		abort(); /* more input held than the bound */
}

/* The answers in order: each well-formed, its body exactly Content-Length; none after one that
 * closes. Returns the count of final (non-1xx) answers. */
static int parse_answers(const capture *cap)
{
	size_t pos = 0;
	int finals = 0, closed = 0;
	while (pos < cap->len) {
		if (closed)
			abort(); /* bytes after an answer that closed the connection */
		const uint8_t *p = cap->buf + pos;
		size_t rest = cap->len - pos;
		const uint8_t *end = memmem(p, rest, "\r\n\r\n", 4);
		if (end == NULL || rest < 12 || memcmp(p, "HTTP/1.1 ", 9) != 0)
			abort();
		size_t hlen = (size_t)(end - p) + 4;
		char *head = strndup((const char *)p, hlen);
		int status = atoi(head + 9);
		if (status < 100 || status > 599)
			abort();
		pos += hlen;
		if (status == 100) {
			free(head);
			continue;
		}
		const char *cl = strstr(head, "\r\nContent-Length: ");
		if (cl == NULL)
			abort();
		unsigned long long n = strtoull(cl + 18, NULL, 10);
		closed = strstr(head, "\r\nConnection: close\r\n") != NULL;
		free(head);
		if (n > cap->len - pos) {
			/* cut short: only a streamed answer may be, when its connection was cut */
			if (n != STREAM_LEN)
				abort();
			return finals + 1;
		}
		pos += n;
		finals++;
	}
	return finals;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		signal(SIGPIPE, SIG_IGN);
		init = 1;
	}
	if (size > 1 << 16)
		return 0;
	http_limits lim = {4, 20, 20, 60, 2048, 10, 8192, BODY_MAX};
	http_handler h = {toy_head, toy_handle, NULL};
	http_server *s = http_server_new(&lim, &h);
	int sv[2], small = 4096;
	if (s == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	heads = handles = n_pending = 0;
	if (http_adopt(s, sv[1]) != 0)
		abort();
	capture cap = {0};
	int shut = 0;
	size_t i = 0;
	while (i < size) {
		uint8_t op = data[i++];
		switch (op % 8) {
		case 0:
		case 1:
		case 2:
		case 3: { /* client bytes */
			size_t n = (size_t)(op >> 3) * 16 + 1;
			if (n > size - i)
				n = size - i;
			if (!shut && n > 0 &&
			    send(sv[0], data + i, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				(void)0; /* full, or closed by the server: the client just tries */
			i += n;
			break;
		}
		case 4:
			break; /* one more turn of the loop */
		case 5:        /* the connection's deadline fires */
			http_fire_deadline(s);
			break;
		case 6:
			finish_one();
			break;
		case 7:
			if (op & 0x80) {
				if (!shut)
					shutdown(sv[0], SHUT_WR);
				shut = 1;
			} else {
				client_read(sv[0], &cap);
			}
			break;
		}
		http_run_pending(s);
		check_bound(s, &lim);
	}
	/* the end: every deferred reply is given (also to requests read only now, pipelined
	 * behind one that was waiting), the client reads all there is */
	for (int k = 0; k < 64; k++) {
		while (n_pending > 0)
			finish_one();
		http_run_pending(s);
		check_bound(s, &lim);
		client_read(sv[0], &cap);
	}
	int finals = parse_answers(&cap);
	int state = http_first_conn_state(s);
	if (finals > heads + 1 || handles > heads)
		abort(); /* more answers than requests */
	if (state == HTTP_CONN_HEAD && !shut && !cap.eof && finals != heads)
		abort(); /* an open connection waiting for a request left one unanswered */
	if (state == HTTP_CONN_BODY && !shut && !cap.eof && finals != heads - 1)
		abort();
	close(sv[0]);
	http_run_pending(s);
	http_server_free(s);
	/* as a handler does when its work ends after the client left: the reply goes nowhere and
	 * frees the request */
	while (n_pending > 0)
		finish_one();
	free(cap.buf);
	return 0;
}
