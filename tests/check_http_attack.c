/* Integration tests: the real ghostdropd's HTTP layer under cheap attacks on 127.0.0.1 (issue 14):
 * memory stays bounded whatever a client sends, idle connections cannot lock sources out, early
 * refusals reach the client whole, and the parser's remaining gaps are closed. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "http.h"
#include "testutil.h"

static gd_source_keys *src;

static void setup(void)
{
	uint8_t nr[32] = {4};
	src = test_source("zoom abacus yo-yo able ablaze abide zoologist felt-tip", nr);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A connection to the drop; rcvbuf > 0 shrinks the receive buffer (set before connect, so
 * the window stays small). */
static int dial(uint16_t port, int rcvbuf)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {10, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return fd;
}

/* What the drop's RSS may grow by under attack: a few MiB of buffers and allocator caches.
 * Under AddressSanitizer freed memory waits in its quarantine (up to 256 MiB) first; the
 * unbounded case is gigabytes all the same. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_SLACK_KIB (160 * 1024)
#else
#define RSS_SLACK_KIB (32 * 1024)
#endif

/* One answer read to EOF: its status, its declared Content-Length and the body bytes that
 * arrived; the body (NUL-terminated) in body. 0, or -1 if no complete head arrived. */
typedef struct {
	int status;
	long declared;
	size_t got;
	char body[4096];
	int reset; /* the read ended with an error (a reset) rather than EOF */
} answer;

static int read_answer(int fd, answer *a)
{
	static char buf[1 << 16];
	size_t n = 0;
	ssize_t k;
	memset(a, 0, sizeof *a);
	a->declared = -1;
	while (n < sizeof buf - 1 && (k = recv(fd, buf + n, sizeof buf - 1 - n, 0)) > 0)
		n += (size_t)k;
	if (k < 0)
		a->reset = 1;
	buf[n] = '\0';
	char *end = strstr(buf, "\r\n\r\n"), *cl;
	if (end == NULL || sscanf(buf, "HTTP/1.1 %d", &a->status) != 1)
		return -1;
	*end = '\0';
	if ((cl = strstr(buf, "Content-Length: ")) != NULL)
		a->declared = strtol(cl + 16, NULL, 10);
	a->got = n - (size_t)(end + 4 - buf);
	memcpy(a->body, end + 4, a->got < sizeof a->body - 1 ? a->got : sizeof a->body - 1);
	return 0;
}

/* Send all of buf (blocking); the count that went out. */
/* Appends s (without its NUL) at p + o, within cap; the new length. */
static size_t put(char *p, size_t o, size_t cap, const char *s)
{
	size_t n = strlen(s);
	ck_assert_uint_le(o + n, cap);
	memcpy(p + o, s, n);
	return o + n;
}

static size_t send_all(int fd, const void *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t k = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	return off;
}

/* A submission on a fresh connection, with a fresh proof of work: its status (or -1). */
static int submit_one(const drop *d)
{
	gd_manifest m;
	membuf env = {0};
	uint8_t id[16], h[32];
	char pow[256], idb[32], hb[64], hdr[1024];
	resp r;
	test_manifest(&m, "a real testimony", src);
	ck_assert_int_eq(seal_to(&env, (const uint8_t(*)[32])d->jpk, 1, &m, src, NULL, 0, NULL),
			 GD_OK);
	randombytes_buf(id, 16);
	crypto_generichash(h, 32, env.buf, env.len, NULL, 0);
	ck_assert_int_eq(gd_b64_encode(idb, sizeof idb, id, 16), GD_OK);
	ck_assert_int_eq(gd_b64_encode(hb, sizeof hb, h, 32), GD_OK);
	if (pow_try(d->port, "submit", 0, pow, sizeof pow) != 0) {
		membuf_free(&env);
		return -1;
	}
	snprintf(hdr, sizeof hdr,
		 "Content-Type: application/octet-stream\r\nX-Ghostdrop-Id: %s\r\n"
		 "X-Ghostdrop-Hash: %s\r\nX-Ghostdrop-PoW: %s\r\n",
		 idb, hb, pow);
	int st = http_do(d->port, "POST", "/v1/submissions", hdr, env.buf, env.len, &r) == 0
			 ? r.status
			 : -1;
	resp_free(&r);
	membuf_free(&env);
	return st;
}

/* ---- in process: server/http.c on a socketpair, where buffer sizes are exact ---- */

static long long unit_head(http_req *r, void *arg)
{
	(void)arg;
	return strcmp(http_method(r), "POST") == 0 ? 64 : 0;
}

static void unit_handle(http_req *r, void *arg)
{
	(void)arg;
	http_reply(r, 200, "text/plain", "ok\n", 3);
}

/* Item 2, deterministically: the drop's end of a socketpair has a small send buffer; the client
 * pipelines n requests (n = 0, 1, 2...) without reading, then a malformed one, then garbage.
 * For some n the refusal finds the send buffer full. Whatever n, the server holds at most
 * max_header bytes of input and stops reading: the client cannot push more than the socket
 * buffers take. */
START_TEST(refusal_stops_reading)
{
	http_limits lim = {16, 20, 20, 60, 16384, 10, 1 << 20, 1 << 20};
	http_handler h = {unit_head, unit_handle, NULL};
	static char garbage[1 << 16];
	const char *get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
	signal(SIGPIPE, SIG_IGN); /* as ghostdropd does */
	memset(garbage, 'x', sizeof garbage);
	for (int n_get = 0; n_get < 24; n_get++) {
		http_server *s = http_server_new(&lim, &h);
		int sv[2], small = 4096;
		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		ck_assert_int_eq(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
		ck_assert_int_eq(http_adopt(s, sv[1]), 0);
		fcntl(sv[0], F_SETFL, O_NONBLOCK);
		char prefix[4096];
		size_t o = 0, sent = 0, pushed = 0;
		for (int i = 0; i < n_get; i++)
			o += (size_t)snprintf(prefix + o, sizeof prefix - o, "%s", get);
		o += (size_t)snprintf(prefix + o, sizeof prefix - o, "BAD\x01\r\n\r\n");
		for (int idle = 0; idle < 20 && pushed < (64u << 20);) {
			const char *b = sent < o ? prefix + sent : garbage;
			size_t len = sent < o ? o - sent : sizeof garbage;
			ssize_t k = send(sv[0], b, len, MSG_NOSIGNAL);
			if (k > 0 && sent < o)
				sent += (size_t)k;
			else if (k > 0)
				pushed += (size_t)k;
			else
				idle++;
			ck_assert_int_eq(http_run_pending(s), 0);
			ck_assert_msg(http_buffered_max(s) <= lim.max_header,
				      "n=%d: %zu bytes of input held", n_get, http_buffered_max(s));
		}
		ck_assert_msg(pushed < (4u << 20),
			      "n=%d: %zu bytes taken from a client that does not read", n_get,
			      pushed);
		close(sv[0]);
		http_run_pending(s);
		http_server_free(s);
	}
}
END_TEST

/* Item 2: a client that pipelines requests without reading the answers, then sends one the
 * drop refuses and goes on sending, must not make the drop buffer what it sends. The drop's
 * send buffer is made small (a preloaded shim), and each round pipelines one more request
 * before the malformed one, so that refusals meet a send buffer at every degree of fullness. */
START_TEST(memory_bounded_under_unread_pipelining)
{
	drop d;
	enum { BLOCK = 1 << 16 };
	const size_t cap = 256u << 20; /* far more than every socket buffer on the path */
	static char garbage[BLOCK];
	const char *get = "GET /v1/limits HTTP/1.1\r\nHost: x\r\n\r\n",
		   *bundle = "GET /v1/bundle HTTP/1.1\r\nHost: x\r\n\r\n";
	drop_create(&d, NULL);
	d.preload = SMALLSNDBUF;
	drop_start(&d);
	memset(garbage, 'x', sizeof garbage);
	long before = proc_rss_kib(d.pid);
	size_t most = 0, total = 0;
	int rounds = 0;
	double end = now_s() + 5.0;
	for (; rounds < 300 && now_s() < end && most < cap; rounds++) {
		/* answers of two sizes, so that their sum meets the buffer's end at every offset */
		int n_get = rounds / 3, n_bundle = rounds % 3;
		int fd = dial(d.port, 4096);
		static const char bad[] = "BAD\x01\r\n\r\n";
		size_t plen = strlen(bundle) * (size_t)n_bundle + strlen(get) * (size_t)n_get +
			      sizeof bad,
		       o = 0;
		char *p = malloc(plen);
		ck_assert_ptr_nonnull(p);
		for (int i = 0; i < n_bundle; i++)
			o = put(p, o, plen, bundle);
		for (int i = 0; i < n_get; i++)
			o = put(p, o, plen, get);
		o = put(p, o, plen, bad);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		size_t sent = 0, pushed = 0;
		while (now_s() < end && pushed < cap) {
			const char *b = sent < o ? p + sent : garbage;
			size_t len = sent < o ? o - sent : sizeof garbage;
			ssize_t k = send(fd, b, len, MSG_NOSIGNAL);
			if (k > 0) {
				if (sent < o)
					sent += (size_t)k;
				else
					pushed += (size_t)k;
				continue;
			}
			struct pollfd pf = {fd, POLLOUT, 0};
			if ((k < 0 && errno != EAGAIN) || poll(&pf, 1, 30) != 1)
				break; /* closed, or the drop stopped reading: this round is over */
		}
		free(p);
		close(fd);
		total += pushed;
		if (pushed > most)
			most = pushed;
	}
	usleep(200000);
	long after = proc_rss_kib(d.pid);
	fprintf(stderr,
		"unread pipelining: %d rounds, at most %zu MiB pushed on one connection, "
		"%zu MiB in all; drop RSS %ld -> %ld KiB\n",
		rounds, most >> 20, total >> 20, before, after);
	ck_assert_msg(after - before < RSS_SLACK_KIB, "RSS grew by %ld KiB", after - before);
	ck_assert_uint_lt(most, 32u << 20); /* the drop stopped reading */
	resp r;
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/limits", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	drop_destroy(&d);
}
END_TEST

/* Item 4: the cap full of connections that never send a byte; real submissions still go in. */
START_TEST(idle_connections_yield)
{
	enum { CAP = 8 };
	drop d;
	int idle[CAP];
	drop_create(&d, "max_connections = 8\nheader_timeout = 30\n");
	drop_start(&d);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < CAP; i++)
			idle[i] = dial(d.port, 0);
		usleep(100000);
		ck_assert_int_eq(submit_one(&d), 201);
		for (int i = 0; i < CAP; i++)
			close(idle[i]);
	}
	drop_destroy(&d);
}
END_TEST

/* Item 4: a connection that sends nothing is closed after first_byte_timeout; one that sends
 * a byte in time has the whole header_timeout for the rest. */
START_TEST(first_byte_deadline)
{
	drop d;
	drop_create(&d, "first_byte_timeout = 1\nheader_timeout = 30\n");
	drop_start(&d);
	int quiet = dial(d.port, 0), slow = dial(d.port, 0);
	ck_assert_int_eq(send(slow, "G", 1, 0), 1);
	double t0 = now_s();
	struct pollfd pf = {quiet, POLLIN, 0};
	ck_assert_int_eq(poll(&pf, 1, 8000), 1);
	char b[64];
	ck_assert_int_eq(recv(quiet, b, sizeof b, 0), 0); /* closed, nothing said */
	ck_assert(now_s() - t0 < 7.0);
	close(quiet);
	usleep(1500000); /* past the first-byte deadline: the slow one is still served */
	const char *rest = "ET /v1/limits HTTP/1.1\r\nConnection: close\r\n\r\n";
	ck_assert_uint_eq(send_all(slow, rest, strlen(rest)), strlen(rest));
	answer a;
	ck_assert_int_eq(read_answer(slow, &a), 0);
	ck_assert_int_eq(a.status, 200);
	close(slow);
	drop_destroy(&d);
}
END_TEST

/* Requests the unit handler keeps unanswered (C_WAIT: the handler is working). */
static http_req *held[4];
static int n_held;

static void hold_handle(http_req *r, void *arg)
{
	(void)arg;
	held[n_held++] = r;
}

/* Item 14: the 503 at the cap (every connection waiting for its handler, nothing to evict) is
 * whole: Content-Length says what arrives. In process: a connection whose handler is working
 * is the one state no newcomer may take over. */
START_TEST(cap_503_is_whole)
{
	http_limits lim = {2, 20, 20, 60, 16384, 10, 1 << 20, 1 << 20};
	http_handler h = {unit_head, hold_handle, NULL};
	const char *get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
	int sv[3][2];
	signal(SIGPIPE, SIG_IGN);
	http_server *s = http_server_new(&lim, &h);
	ck_assert_ptr_nonnull(s);
	n_held = 0;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
		ck_assert_int_eq(http_adopt(s, sv[i][1]), 0);
		if (i < 2) {
			ck_assert_uint_eq(send_all(sv[i][0], get, strlen(get)), strlen(get));
			ck_assert_int_eq(http_run_pending(s), 0);
		}
	}
	ck_assert_int_eq(n_held, 2);
	ck_assert_uint_eq(http_connections(s), 2);
	answer a;
	ck_assert_int_eq(read_answer(sv[2][0], &a), 0);
	ck_assert_int_eq(a.status, 503);
	ck_assert(strstr(a.body, "\"overloaded\"") != NULL);
	ck_assert_msg(a.declared == (long)a.got, "Content-Length %ld, %zu bytes sent", a.declared,
		      a.got);
	for (int i = 0; i < 2; i++)
		http_reply(held[i], 200, "text/plain", "ok\n", 3);
	ck_assert_int_eq(http_run_pending(s), 0);
	for (int i = 0; i < 3; i++)
		close(sv[i][0]);
	http_run_pending(s);
	http_server_free(s);
}
END_TEST

/* Item 17: a request refused from its headers while its large body is still coming: the client
 * sends the whole body, then reads the whole error answer (no reset destroys it). */
START_TEST(early_refusal_reaches_client)
{
	drop d;
	drop_create(&d, NULL);
	drop_start(&d);
	size_t blen = 100u << 10; /* within what the drop discards after its answer (a chunk) */
	char *body = malloc(blen);
	memset(body, 'z', blen);
	for (int i = 0; i < 5; i++) {
		char head[256];
		int fd = dial(d.port, 0);
		int n = snprintf(
			head, sizeof head,
			"PUT /v1/uploads/AAAAAAAAAAAAAAAAAAAAAA/chunks/0 HTTP/1.1\r\n"
			"Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n\r\n",
			blen);
		ck_assert_uint_eq(send_all(fd, head, (size_t)n), (size_t)n);
		size_t sent = send_all(fd, body, blen);
		answer a;
		ck_assert_msg(read_answer(fd, &a) == 0, "round %d: no answer (%zu body bytes sent)",
			      i, sent);
		close(fd);
		ck_assert_int_eq(a.status, 404);
		ck_assert_msg(a.declared == (long)a.got && !a.reset,
			      "round %d: %zu of %ld bytes, then %s", i, a.got, a.declared,
			      a.reset ? "a reset" : "EOF");
		ck_assert(strstr(a.body, "\"upload_not_found\"") != NULL);
	}
	free(body);
	drop_destroy(&d);
}
END_TEST

/* Item 17: a header block over 16 KiB gets 431 header_too_large (with or without its blank
 * line), and DEL in a header value gets 400. */
START_TEST(header_limits)
{
	drop d;
	drop_create(&d, NULL);
	drop_start(&d);
	for (int ended = 0; ended < 2; ended++) {
		size_t pad = 17000, cap = pad + 256;
		char *req = malloc(cap);
		int n = snprintf(req, cap, "GET /v1/limits HTTP/1.1\r\nX-Pad: ");
		memset(req + n, 'a', pad);
		n += (int)pad;
		n += snprintf(req + n, cap - (size_t)n, ended ? "\r\n\r\n" : "\r\n");
		int fd = dial(d.port, 0);
		ck_assert_uint_eq(send_all(fd, req, (size_t)n), (size_t)n);
		answer a;
		ck_assert_msg(read_answer(fd, &a) == 0,
			      "no answer to a %s header block of %d bytes",
			      ended ? "complete" : "endless", n);
		close(fd);
		ck_assert_int_eq(a.status, 431);
		ck_assert(strstr(a.body, "\"header_too_large\"") != NULL);
		free(req);
	}
	/* just under the limit is fine */
	{
		char req[16384];
		int n = snprintf(req, sizeof req, "GET /v1/limits HTTP/1.1\r\nX-Pad: ");
		size_t pad = sizeof req - (size_t)n - 4;
		memset(req + n, 'a', pad);
		memcpy(req + n + pad, "\r\n\r\n", 4);
		int fd = dial(d.port, 0);
		ck_assert_uint_eq(send_all(fd, req, sizeof req), sizeof req);
		shutdown(fd, SHUT_WR);
		answer a;
		ck_assert_int_eq(read_answer(fd, &a), 0);
		close(fd);
		ck_assert_int_eq(a.status, 200);
	}
	static const char *const bad[] = {
		"GET /v1/limits HTTP/1.1\r\nX-A: a\x7f"
		"b\r\n\r\n",
		"GET /v1/limits HTTP/1.1\r\nX-A: \x7f\r\n\r\n",
		"GET /v1/limits HTTP/1.1\r\nX-A\x7f: b\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int fd = dial(d.port, 0);
		ck_assert_uint_eq(send_all(fd, bad[i], strlen(bad[i])), strlen(bad[i]));
		answer a;
		ck_assert_int_eq(read_answer(fd, &a), 0);
		close(fd);
		ck_assert_msg(a.status == 400, "case %zu: %d", i, a.status);
		ck_assert(strstr(a.body, "\"bad_request\"") != NULL);
	}
	drop_destroy(&d);
}
END_TEST

/* A real worker's request on a fresh connection: the status of GET /v1/limits (-1: none). */
static int probe(const drop *d)
{
	resp r;
	if (http_do(d->port, "GET", "/v1/limits", NULL, NULL, 0, &r) != 0)
		return -1;
	int st = r.status;
	resp_free(&r);
	return st;
}

/* Headers whose route checks pass (here a courier token's; a route that needs no proof is the
 * same to the HTTP layer), then a body that never comes: the slot is held, the body read never
 * progresses. */
static int stalled_body(const drop *d, size_t declared)
{
	char head[256];
	int fd = dial(d->port, 0);
	int n = snprintf(head, sizeof head,
			 "POST /v1/courier/replies HTTP/1.1\r\nAuthorization: Bearer %s\r\n"
			 "Content-Length: %zu\r\n\r\n{",
			 d->token, declared);
	ck_assert_uint_eq(send_all(fd, head, (size_t)n), (size_t)n);
	return fd;
}

/* Issue 14 item 4, review finding 1: the cap full of connections past their headers whose body
 * never comes. A newcomer takes the place of the one whose body moves slowest. */
START_TEST(stalled_bodies_yield)
{
	enum { CAP = 8 };
	drop d;
	int fd[CAP];
	drop_create(&d, "max_connections = 8\nbody_timeout = 120\n");
	drop_start(&d);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < CAP; i++)
			fd[i] = stalled_body(&d, 200000);
		usleep(300000);
		ck_assert_int_eq(probe(&d), 200);
		ck_assert_int_eq(submit_one(&d), 201);
		for (int i = 0; i < CAP; i++)
			close(fd[i]);
	}
	drop_destroy(&d);
}
END_TEST

/* What yields at the cap is the slowest body, not any body: a worker's submission sent slowly
 * (as over Tor) while the cap is full of stalled bodies and newcomers keep arriving is whole. */
START_TEST(slow_body_survives_newcomers)
{
	enum { CAP = 4, ATT = 4096 * 11 };
	drop d;
	gd_manifest m;
	gd_attachment att = {"notes.bin", "application/octet-stream", ATT};
	static uint8_t data[ATT];
	membuf env = {0};
	uint8_t id[16], hsh[32];
	char pow[256], idb[32], hb[64], head[1024];
	int att_fd[CAP], n_att = 0;
	drop_create(&d, "max_connections = 4\n");
	drop_start(&d);
	randombytes_buf(data, sizeof data); /* incompressible: the envelope is as large */
	test_manifest(&m, "a slow testimony", src);
	m.attachments = &att;
	m.n_attachments = 1;
	ck_assert_int_eq(seal_to(&env, (const uint8_t(*)[32])d.jpk, 1, &m, src, data, ATT, NULL),
			 GD_OK);
	randombytes_buf(id, 16);
	crypto_generichash(hsh, 32, env.buf, env.len, NULL, 0);
	ck_assert_int_eq(gd_b64_encode(idb, sizeof idb, id, 16), GD_OK);
	ck_assert_int_eq(gd_b64_encode(hb, sizeof hb, hsh, 32), GD_OK);
	ck_assert_int_eq(pow_try(d.port, "submit", 0, pow, sizeof pow), 0);
	int n = snprintf(
		head, sizeof head,
		"POST /v1/submissions HTTP/1.1\r\nContent-Type: application/octet-stream\r\n"
		"X-Ghostdrop-Id: %s\r\nX-Ghostdrop-Hash: %s\r\nX-Ghostdrop-PoW: %s\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n",
		idb, hb, pow, env.len);
	int fd = dial(d.port, 0);
	ck_assert_uint_eq(send_all(fd, head, (size_t)n), (size_t)n);
	/* about 20 KB/s; each step a newcomer with a stalled body arrives at the full cap */
	for (size_t off = 0; off < env.len; off += 4096) {
		size_t k = env.len - off < 4096 ? env.len - off : 4096;
		ck_assert_uint_eq(send_all(fd, env.buf + off, k), k);
		if (n_att == CAP) {
			close(att_fd[0]);
			memmove(att_fd, att_fd + 1, sizeof att_fd[0] * (CAP - 1));
			n_att--;
		}
		att_fd[n_att++] = stalled_body(&d, 200000);
		usleep(200000);
	}
	answer a;
	ck_assert_msg(read_answer(fd, &a) == 0, "the slow submission got no answer");
	close(fd);
	ck_assert_msg(a.status == 201, "the slow submission: %d %s", a.status, a.body);
	for (int i = 0; i < n_att; i++)
		close(att_fd[i]);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

/* Issue 14 item 4, review finding 2: clients that pipeline requests and read their answers
 * at a trickle (a 1 KiB receive window) hold the cap with replies stuck in the send buffer. A
 * newcomer takes the place of the reply that moves slowest. */
START_TEST(slow_readers_yield)
{
	enum { CAP = 8, PER = 3000 };
	drop d;
	int fd[CAP];
	static const char req[] = "GET /v1/bundle HTTP/1.1\r\n\r\n";
	drop_create(&d, "max_connections = 8\n");
	drop_start(&d);
	char *buf = malloc(PER * (sizeof req - 1));
	for (size_t i = 0; i < PER; i++)
		memcpy(buf + i * (sizeof req - 1), req, sizeof req - 1);
	for (int i = 0; i < CAP; i++) {
		fd[i] = dial(d.port, 1024);
		fcntl(fd[i], F_SETFL, O_NONBLOCK);
		ssize_t w = send(fd[i], buf, PER * (sizeof req - 1), MSG_NOSIGNAL);
		ck_assert_int_gt(w, 0);
	}
	free(buf);
	sleep(2);
	for (int round = 0; round < 3; round++) {
		char sink[1024];
		for (int i = 0; i < CAP; i++) /* a trickle: the replies move, barely */
			if (recv(fd[i], sink, sizeof sink, MSG_DONTWAIT) < 0)
				(void)0;
		ck_assert_int_eq(probe(&d), 200);
	}
	ck_assert_int_eq(submit_one(&d), 201);
	for (int i = 0; i < CAP; i++)
		close(fd[i]);
	drop_destroy(&d);
}
END_TEST

/* POST /v1/uploads (one proof of work): the upload id into up. */
static void upload_new(const drop *d, uint64_t size, char up[32])
{
	char pow[256], hdr[512], body[128], idb[32];
	uint8_t id[16];
	resp r;
	randombytes_buf(id, 16);
	pow_header(d->port, "upload", size, pow, sizeof pow);
	snprintf(hdr, sizeof hdr, "X-Ghostdrop-PoW: %s\r\n", pow);
	ck_assert_int_eq(gd_b64_encode(idb, sizeof idb, id, 16), GD_OK);
	snprintf(body, sizeof body, "{\"id\":\"%s\",\"size\":%llu}", idb, (unsigned long long)size);
	ck_assert_int_eq(http_do(d->port, "POST", "/v1/uploads", hdr, body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 201);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
	snprintf(up, 32, "%s", json_string_value(json_object_get(o, "upload")));
	json_decref(o);
	resp_free(&r);
}

/* Issue 14 item 2, review finding 3: many connections each sending all but the last byte of a
 * 4 MiB chunk of one cheap upload. The bodies in memory stay within body_memory_mb (the slowest
 * gives way to a newcomer), and real work still goes in. */
START_TEST(body_memory_bounded)
{
	enum { N = 24, CSZ = 4 << 20, BUDGET_MIB = 12 };
	drop d;
	char up[3][32];
	drop_create(&d, "max_connections = 64\nchunk_size_kb = 4096\nmax_envelope_mb = 64\n"
			"body_memory_mb = 12\n");
	drop_start(&d);
	for (int i = 0; i < 3; i++) /* distinct chunks: each could be a real one in flight */
		upload_new(&d, 32ULL << 20, up[i]);
	long before = proc_rss_kib(d.pid), most = 0;
	uint8_t *junk = malloc(CSZ);
	memset(junk, 'B', CSZ);
	int fd[N], cut = 0;
	for (int i = 0; i < N; i++) {
		char h[256];
		int n = snprintf(
			h, sizeof h,
			"PUT /v1/uploads/%s/chunks/%d HTTP/1.1\r\n"
			"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n",
			up[i / 8], i % 8, CSZ);
		fd[i] = dial(d.port, 0);
		ck_assert_uint_eq(send_all(fd[i], h, (size_t)n), (size_t)n);
		fcntl(fd[i], F_SETFL, O_NONBLOCK);
		size_t off = 0;
		double end = now_s() + 2.0; /* a refused or evicted body stops being read */
		while (off < CSZ - 1 && now_s() < end) {
			ssize_t w = send(fd[i], junk + off, CSZ - 1 - off, MSG_NOSIGNAL);
			if (w > 0) {
				off += (size_t)w;
				continue;
			}
			struct pollfd pf = {fd[i], POLLOUT, 0};
			if ((w < 0 && errno != EAGAIN) || poll(&pf, 1, 100) != 1)
				break;
		}
		long now = proc_rss_kib(d.pid);
		if (now > most)
			most = now;
	}
	usleep(300000);
	long after = proc_rss_kib(d.pid);
	if (after > most)
		most = after;
	char fate[N + 1]; /* per connection: c closed, r reset, 5 a 503, a still open, ? else */
	for (int i = 0; i < N; i++) {
		char b[256] = "";
		ssize_t k = recv(fd[i], b, sizeof b - 1, MSG_DONTWAIT);
		fate[i] = k == 0                       ? 'c'
			  : k < 0                      ? (errno == EAGAIN ? 'a' : 'r')
			  : strstr(b, " 503 ") != NULL ? '5'
						       : '?';
		cut += fate[i] == 'c' || fate[i] == 'r' || fate[i] == '5';
	}
	fate[N] = '\0';
	fprintf(stderr,
		"body memory: %d connections x %d MiB chunk: drop RSS %ld -> at most %ld KiB, "
		"%d connections refused or cut (%s)\n",
		N, CSZ >> 20, before, most, cut, fate);
	ck_assert_msg(most - before < (long)BUDGET_MIB * 1024 + RSS_SLACK_KIB,
		      "RSS grew by %ld KiB", most - before);
	ck_assert_int_ge(cut, N - BUDGET_MIB / 4 - 1);
	ck_assert_int_eq(probe(&d), 200);
	ck_assert_int_eq(submit_one(&d), 201);
	for (int i = 0; i < N; i++)
		close(fd[i]);
	free(junk);
	drop_destroy(&d);
}
END_TEST

/* Review finding 4: every error code the HTTP layer answers with is in PROTOCOL.md's table of
 * stable codes (§11.2); unsupported_version (the answer to HTTP/2.0) was missing. */
START_TEST(http_error_codes_documented)
{
	drop d;
	static char big[17000];
	static const char *const reqs[] = {
		"GET /v1/limits HTTP/2.0\r\n\r\n",
		"GET /v1/limits HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"BAD\x01\r\n\r\n",
		"GET /v1/limits HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
		"GET /v1/limits HTTP/1.1\r\nX-A: b", /* never ends: 408 */
		big,
	};
	char codes[8][64], doc[1 << 17];
	int n_codes = 0;
	memcpy(big, "GET /v1/limits HTTP/1.1\r\nX-Pad: ", 32);
	memset(big + 32, 'a', sizeof big - 33);
	drop_create(&d, "header_timeout = 1\n");
	drop_start(&d);
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		int fd = dial(d.port, 0);
		ck_assert_uint_eq(send_all(fd, reqs[i], strlen(reqs[i])), strlen(reqs[i]));
		answer a;
		ck_assert_msg(read_answer(fd, &a) == 0, "request %zu: no answer", i);
		close(fd);
		ck_assert_msg(sscanf(a.body, "{\"error\":\"%63[^\"]\"", codes[n_codes]) == 1,
			      "request %zu: %d %s", i, a.status, a.body);
		n_codes++;
	}
	snprintf(codes[n_codes++], sizeof codes[0], "overloaded"); /* the cap: cap_503_is_whole */
	drop_destroy(&d);
	FILE *f = fopen(PROTOCOL_MD, "r");
	ck_assert_ptr_nonnull(f);
	size_t len = fread(doc, 1, sizeof doc - 1, f);
	fclose(f);
	doc[len] = '\0';
	char *from = strstr(doc, "### 11.2"), *to = from ? strstr(from, "### 11.3") : NULL;
	ck_assert(from != NULL && to != NULL);
	*to = '\0';
	for (int i = 0; i < n_codes; i++) {
		char quoted[80];
		snprintf(quoted, sizeof quoted, "`%.63s`", codes[i]);
		ck_assert_msg(strstr(from, quoted) != NULL, "%s is not in PROTOCOL.md §11.2",
			      quoted);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("http_attack");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, refusal_stops_reading);
	tcase_add_test(tc, header_limits);
	tcase_add_test(tc, cap_503_is_whole);
	tcase_add_test(tc, early_refusal_reaches_client);
	tcase_add_test(tc, idle_connections_yield);
	tcase_add_test(tc, first_byte_deadline);
	tcase_add_test(tc, memory_bounded_under_unread_pipelining);
	tcase_add_test(tc, stalled_bodies_yield);
	tcase_add_test(tc, slow_body_survives_newcomers);
	tcase_add_test(tc, slow_readers_yield);
	tcase_add_test(tc, body_memory_bounded);
	tcase_add_test(tc, http_error_codes_documented);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
