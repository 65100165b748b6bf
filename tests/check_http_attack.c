/* Integration tests: the real ghostdropd's HTTP layer under cheap attacks on 127.0.0.1 (issue 14):
 * memory stays bounded whatever a client sends, idle connections cannot lock sources out, early
 * refusals reach the client whole, and the parser's remaining gaps are closed. */
#include <arpa/inet.h>
#include <errno.h>
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

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	ck_assert_int_gt(kib, 0);
	return kib;
}

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
		 "X-Ghostdrop-Hash: %s\r\nX-Ghostdrop-PoW: %s\r\n", idb, hb, pow);
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
	http_limits lim = {16, 20, 20, 60, 16384, 10, 1 << 20};
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
		ck_assert_msg(pushed < (4u << 20), "n=%d: %zu bytes taken from a client that does not read",
			      n_get, pushed);
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
	long before = rss_kib(d.pid);
	size_t most = 0, total = 0;
	int rounds = 0;
	double end = now_s() + 5.0;
	for (; rounds < 300 && now_s() < end && most < cap; rounds++) {
		/* answers of two sizes, so that their sum meets the buffer's end at every offset */
		int n_get = rounds / 3, n_bundle = rounds % 3;
		int fd = dial(d.port, 4096);
		size_t plen = strlen(get) * (size_t)(n_get + n_bundle) + 16, o = 0;
		char *p = malloc(plen);
		for (int i = 0; i < n_bundle; i++)
			o += (size_t)sprintf(p + o, "%s", bundle);
		for (int i = 0; i < n_get; i++)
			o += (size_t)sprintf(p + o, "%s", get);
		o += (size_t)sprintf(p + o, "BAD\x01\r\n\r\n");
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
	long after = rss_kib(d.pid);
	fprintf(stderr, "unread pipelining: %d rounds, at most %zu MiB pushed on one connection, "
			"%zu MiB in all; drop RSS %ld -> %ld KiB\n", rounds, most >> 20, total >> 20,
		before, after);
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

/* Item 14: the 503 at the cap (every connection past its headers, nothing to evict) is whole:
 * Content-Length says what arrives. */
START_TEST(cap_503_is_whole)
{
	drop d;
	int busy[2];
	drop_create(&d, "max_connections = 2\n");
	drop_start(&d);
	char head[256];
	snprintf(head, sizeof head, "POST /v1/courier/replies HTTP/1.1\r\nAuthorization: Bearer %s\r\n"
		 "Content-Length: 100\r\n\r\n{", d.token);
	for (int i = 0; i < 2; i++) {
		busy[i] = dial(d.port, 0);
		ck_assert_uint_eq(send_all(busy[i], head, strlen(head)), strlen(head));
	}
	usleep(200000);
	int fd = dial(d.port, 0);
	answer a;
	ck_assert_int_eq(read_answer(fd, &a), 0);
	close(fd);
	ck_assert_int_eq(a.status, 503);
	ck_assert(strstr(a.body, "\"overloaded\"") != NULL);
	ck_assert_msg(a.declared == (long)a.got, "Content-Length %ld, %zu bytes sent", a.declared,
		      a.got);
	for (int i = 0; i < 2; i++)
		close(busy[i]);
	drop_destroy(&d);
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
		int n = snprintf(head, sizeof head,
				 "PUT /v1/uploads/AAAAAAAAAAAAAAAAAAAAAA/chunks/0 HTTP/1.1\r\n"
				 "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n\r\n",
				 blen);
		ck_assert_uint_eq(send_all(fd, head, (size_t)n), (size_t)n);
		size_t sent = send_all(fd, body, blen);
		answer a;
		ck_assert_msg(read_answer(fd, &a) == 0, "round %d: no answer (%zu body bytes sent)", i,
			      sent);
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
		ck_assert_msg(read_answer(fd, &a) == 0, "no answer to a %s header block of %d bytes",
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
		"GET /v1/limits HTTP/1.1\r\nX-A: a\x7f" "b\r\n\r\n",
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
		ck_assert_msg(strstr(from, quoted) != NULL, "%s is not in PROTOCOL.md §11.2", quoted);
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
	tcase_add_test(tc, http_error_codes_documented);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
