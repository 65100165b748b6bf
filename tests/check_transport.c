/* Tests for client/transport.c: URLs, when Tor is used (no connection is made), and kept
 * connections against a scripted server on 127.0.0.1. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "testutil.h"
#include "transport.h"

static char warning[1024];

/* gd_transport_init with stderr captured. */
static int init(gd_transport *t, const char *url, const char *proxy, int clearnet, char *err)
{
	gd_url u;
	char tmp[] = "/tmp/gd-tr-XXXXXX";
	ck_assert_int_eq(gd_url_parse(&u, url, err, 256), 0);
	int fd = mkstemp(tmp), saved = dup(2);
	fflush(stderr);
	dup2(fd, 2);
	int rc = gd_transport_init(t, &u, proxy, clearnet, err, 256);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ssize_t n = pread(fd, warning, sizeof warning - 1, 0);
	warning[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(tmp);
	return rc;
}

START_TEST(urls)
{
	gd_url u;
	char err[256];
	ck_assert_int_eq(
		gd_url_parse(
			&u, "http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion",
			err, sizeof err),
		0);
	ck_assert(u.onion && !u.literal && u.port == 80);
	ck_assert_int_eq(gd_url_parse(&u, "http://127.0.0.1:8080/", err, sizeof err), 0);
	ck_assert(u.loopback && u.literal && !u.onion && u.port == 8080);
	ck_assert_int_eq(gd_url_parse(&u, "http://[::1]:9000", err, sizeof err), 0);
	ck_assert(u.loopback && u.literal && u.port == 9000);
	/* lower-cased first, as §5.2 says the client does */
	ck_assert_int_eq(gd_url_parse(&u, "HTTP://Example.ONION", err, sizeof err), 0);
	ck_assert_str_eq(u.host, "example.onion");
	ck_assert_int_eq(gd_url_parse(&u, "https://x.onion", err, sizeof err), -1);
	ck_assert_int_eq(gd_url_parse(&u, "http://x.onion/path", err, sizeof err), -1);
	ck_assert_int_eq(gd_url_parse(&u, "http://user@x.onion", err, sizeof err), -1);
	ck_assert_int_eq(gd_url_parse(&u, "http://x.onion:0", err, sizeof err), -1);
	ck_assert_int_eq(gd_url_parse(&u, "http://x.onion:99999", err, sizeof err), -1);
	ck_assert_int_eq(gd_url_parse(&u, "http://", err, sizeof err), -1);
}
END_TEST

/* The worker reads --server with the bundle's grammar (PROTOCOL.md §5.2): a port is 1..65535
 * in decimal with no sign, space or leading zero; the host has no empty label; upper case is
 * lower-cased first. */
START_TEST(urls_in_the_bundles_grammar)
{
	static const char *const bad[] = {
		"http://127.0.0.1:018431", "http://127.0.0.1:+18431",
		"http://127.0.0.1: 18431", "http://127.0.0.1:-1",
		"http://127.0.0.1:18431 ", "http://127.0.0.1:",
		"http://a..onion",         "http://:8080",
		"http://x_y.onion",        "http://a.onion.",
	};
	gd_url u;
	char err[256];
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(gd_url_parse(&u, bad[i], err, sizeof err) == -1, "taken: %s", bad[i]);
	ck_assert_int_eq(gd_url_parse(&u, "HTTP://127.0.0.1:18431", err, sizeof err), 0);
	ck_assert(u.loopback && u.port == 18431 && strcmp(u.host, "127.0.0.1") == 0);
	ck_assert_int_eq(gd_url_parse(&u, "http://[::1]:65535", err, sizeof err), 0);
	ck_assert(u.loopback && u.port == 65535);
}
END_TEST

START_TEST(tor_rules)
{
	gd_transport t;
	char err[256];
	const char *onion = "http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion";
	/* .onion: always the proxy, even with --clearnet */
	ck_assert_int_eq(init(&t, onion, NULL, 1, err), 0);
	ck_assert(t.use_proxy);
	ck_assert_str_eq(t.proxy_ip, "127.0.0.1");
	ck_assert_uint_eq(t.proxy_port, 9050);
	ck_assert_uint_eq(strlen(t.user), 12);
	gd_transport t2;
	ck_assert_int_eq(init(&t2, onion, "127.0.0.1:9150", 0, err), 0);
	ck_assert_uint_eq(t2.proxy_port, 9150);
	ck_assert_str_ne(t.user, t2.user); /* fresh credentials each run: fresh circuits */
	/* anything else: a proxy, or --clearnet */
	ck_assert_int_eq(init(&t, "http://10.0.0.1:80", NULL, 0, err), -1);
	ck_assert(strstr(err, "only through Tor") != NULL);
	ck_assert_int_eq(init(&t, "http://10.0.0.1:80", "127.0.0.1:9050", 0, err), 0);
	ck_assert(t.use_proxy);
	ck_assert_str_eq(warning, "");
	/* --clearnet to a non-loopback address: allowed, with a warning before any connection */
	ck_assert_int_eq(init(&t, "http://10.0.0.1:80", NULL, 1, err), 0);
	ck_assert(!t.use_proxy);
	ck_assert(strstr(warning, "your network can see") != NULL);
	ck_assert_int_eq(init(&t, "http://127.0.0.1:80", NULL, 1, err), 0);
	ck_assert_str_eq(warning, ""); /* loopback: nobody to see it */
	/* never a name lookup of our own */
	ck_assert_int_eq(init(&t, "http://drop.example.org", NULL, 1, err), -1);
	ck_assert(strstr(err, "never looks up names") != NULL);
	ck_assert_int_eq(init(&t, onion, "localhost:9050", 0, err), -1);
	ck_assert_int_eq(init(&t, onion, "127.0.0.1", 0, err), -1);
}
END_TEST

/* ---- kept connections ---- */

/* What the scripted server does after reading a request. */
enum { A_KEEP, A_CLOSE_HEADER, A_ANSWER_THEN_DROP, A_DROP_UNANSWERED };

typedef struct {
	int lfd;
	uint16_t port;
	const int *script; /* one action per request, in order */
	int n;
	int conn_of[16];    /* the connection (1, 2, ...) each request came on */
	int said_close[16]; /* its head had Connection: close */
	char body[16][32];
} script_server;

/* Read one request (head and Content-Length body) into s; -1 at EOF. */
static int read_request(int fd, script_server *s, int i)
{
	char buf[4096];
	size_t got = 0;
	char *end = NULL;
	while (end == NULL) {
		ssize_t k = recv(fd, buf + got, sizeof buf - 1 - got, 0);
		if (k <= 0)
			return -1;
		got += (size_t)k;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	s->said_close[i] = strstr(buf, "Connection: close") != NULL;
	const char *cl = strstr(buf, "Content-Length: ");
	size_t len = cl ? strtoul(cl + 16, NULL, 10) : 0, have = got - (size_t)(end + 4 - buf);
	ck_assert_uint_lt(len, sizeof s->body[i]);
	memcpy(s->body[i], end + 4, have);
	if (have < len &&
	    recv(fd, s->body[i] + have, len - have, MSG_WAITALL) != (ssize_t)(len - have))
		return -1;
	s->body[i][len] = '\0';
	return 0;
}

static void *script_main(void *arg)
{
	script_server *s = arg;
	int fd = -1, conn = 0;
	for (int i = 0; i < s->n; i++) {
		if (fd < 0) {
			fd = accept(s->lfd, NULL, NULL);
			conn++;
		}
		if (read_request(fd, s, i) != 0) { /* the client left: the same request, anew */
			close(fd);
			fd = -1;
			i--;
			continue;
		}
		s->conn_of[i] = conn;
		char ans[256];
		int n = snprintf(
			ans, sizeof ans, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n%s\r\n%s",
			strlen(s->body[i]),
			s->script[i] == A_CLOSE_HEADER ? "Connection: close\r\n" : "", s->body[i]);
		if (s->script[i] != A_DROP_UNANSWERED)
			ck_assert_int_eq(send(fd, ans, (size_t)n, MSG_NOSIGNAL), n);
		if (s->script[i] != A_KEEP) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* The server, and a transport (--clearnet) to it in t and u. */
static pthread_t script_start(script_server *s, const int *script, int n, gd_transport *t,
			      gd_url *u)
{
	char err[256], url[64];
	pthread_t th;
	memset(s, 0, sizeof *s);
	s->script = script;
	s->n = n;
	s->lfd = test_listen(&s->port, 4);
	ck_assert_int_eq(pthread_create(&th, NULL, script_main, s), 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%u", s->port);
	ck_assert_int_eq(gd_url_parse(u, url, err, sizeof err), 0);
	ck_assert_int_eq(gd_transport_init(t, u, NULL, 1, err, sizeof err), 0);
	return th;
}

/* One request with the body "name"; the answer's body must echo it. */
static int ask(gd_transport *t, const gd_url *u, int *keep, const char *name)
{
	gd_response r;
	int rc = keep ? gd_request_keep(t, u, keep, "POST", "/x", NULL, (const uint8_t *)name,
					strlen(name), 64, &r)
		      : gd_request(t, u, "POST", "/x", NULL, (const uint8_t *)name, strlen(name),
				   64, &r);
	if (rc == TR_OK) {
		ck_assert_int_eq(r.status, 200);
		ck_assert_str_eq((const char *)r.body, name);
		gd_response_free(&r);
	}
	return rc;
}

START_TEST(kept_connections)
{
	static const int script[] = {
		A_KEEP, A_KEEP, A_CLOSE_HEADER, A_ANSWER_THEN_DROP, A_CLOSE_HEADER, A_CLOSE_HEADER};
	script_server s;
	gd_transport t;
	gd_url u;
	pthread_t th = script_start(&s, script, 6, &t, &u);
	int keep = -1;
	ck_assert_int_eq(ask(&t, &u, &keep, "one"), TR_OK);
	ck_assert_int_ge(keep, 0); /* kept for the next request */
	ck_assert_int_eq(ask(&t, &u, &keep, "two"), TR_OK);
	ck_assert_int_eq(ask(&t, &u, &keep, "three"), TR_OK);
	ck_assert_int_eq(keep, -1); /* the drop said Connection: close */
	ck_assert_int_eq(ask(&t, &u, &keep, "four"), TR_OK);
	ck_assert_int_ge(keep, 0); /* answered without a close, then dropped while idle */
	usleep(100000);
	ck_assert_int_eq(ask(&t, &u, &keep, "five"),
			 TR_OK); /* replaced once, on a new connection */
	ck_assert_int_eq(keep, -1);
	ck_assert_int_eq(ask(&t, &u, NULL, "six"), TR_OK); /* one-shot: a connection of its own */
	pthread_join(th, NULL);
	gd_keep_close(&keep);
	ck_assert_int_eq(keep, -1);
	close(s.lfd);
	static const int conn[] = {1, 1, 1, 2, 3, 4};
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(s.conn_of[i], conn[i]);
		ck_assert_int_eq(s.said_close[i],
				 i == 5); /* only a one-shot request asks to close */
	}
}
END_TEST

/* A fresh connection the drop drops without an answer is not sent again by the transport:
 * the caller decides (it may have acted on it). */
START_TEST(unanswered_fresh_connection)
{
	static const int script[] = {A_DROP_UNANSWERED, A_KEEP};
	script_server s;
	gd_transport t;
	gd_url u;
	pthread_t th = script_start(&s, script, 2, &t, &u);
	int keep = -1;
	ck_assert_int_eq(ask(&t, &u, &keep, "lost"), TR_ERR_CONNECT);
	ck_assert_int_eq(keep, -1);
	ck_assert_int_eq(ask(&t, &u, &keep, "next"), TR_OK);
	pthread_join(th, NULL);
	gd_keep_close(&keep);
	close(s.lfd);
	ck_assert_int_eq(s.conn_of[0], 1);
	ck_assert_int_eq(s.conn_of[1], 2);
	ck_assert_str_eq(s.body[1], "next");
}
END_TEST

/* ---- a request's head and body leave together ---- */

typedef struct {
	int lfd;
	int whole[3]; /* the first read of request i held all of it */
} together_server;

static void *together_main(void *arg)
{
	together_server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);
	for (int i = 0; i < 3 && fd >= 0; i++) {
		static char buf[65536];
		struct pollfd p = {fd, POLLIN, 0};
		ck_assert_int_eq(poll(&p, 1, 10000), 1);
		ssize_t n = recv(fd, buf, sizeof buf - 1, 0), got = n;
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		char *end = strstr(buf, "\r\n\r\n"), *cl = strstr(buf, "Content-Length:");
		ck_assert(end != NULL && cl != NULL);
		ssize_t total = (end + 4 - buf) + strtol(cl + 15, NULL, 10);
		s->whole[i] = got >= total;
		while (got < total && (n = recv(fd, buf, sizeof buf, 0)) > 0)
			got += n;
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
		ck_assert_int_eq(send(fd, ok, sizeof ok - 1, MSG_NOSIGNAL), (ssize_t)sizeof ok - 1);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* The head and the body of a request go in one send: in two, Nagle's algorithm held the body
 * back until the drop acknowledged the head, which a kept connection does only after its
 * delayed-ACK timer (40 ms): every submission took 40 ms more (bench/server: 24 a second with
 * one client). On a kept connection each request must reach the server in one piece. */
START_TEST(head_and_body_together)
{
	together_server s = {0};
	uint16_t port;
	char err[256], url[64];
	static uint8_t body[16583]; /* a text testimony's envelope */
	gd_transport t;
	gd_url u;
	gd_response r;
	pthread_t th;
	memset(body, 'x', sizeof body);
	s.lfd = test_listen(&port, 4);
	ck_assert_int_eq(pthread_create(&th, NULL, together_main, &s), 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
	ck_assert_int_eq(gd_url_parse(&u, url, err, sizeof err), 0);
	ck_assert_int_eq(gd_transport_init(&t, &u, NULL, 1, err, sizeof err), 0);
	int keep = -1;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(gd_request_keep(&t, &u, &keep, "POST", "/x", NULL, body,
						 sizeof body, 64, &r),
				 TR_OK);
		ck_assert_int_eq(r.status, 200);
		gd_response_free(&r);
	}
	pthread_join(th, NULL);
	gd_keep_close(&keep);
	close(s.lfd);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(s.whole[i], "request %d reached the server in pieces", i);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("transport");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, urls);
	tcase_add_test(tc, urls_in_the_bundles_grammar);
	tcase_add_test(tc, tor_rules);
	tcase_add_test(tc, kept_connections);
	tcase_add_test(tc, unanswered_fresh_connection);
	tcase_add_test(tc, head_and_body_together);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
