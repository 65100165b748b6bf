/* Tests for client/transport.c's rules: URLs, and when Tor is used (no connection is made). */
#include <fcntl.h>
#include <stdio.h>
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
	ck_assert_int_eq(gd_url_parse(&u, "http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion", err, sizeof err), 0);
	ck_assert(u.onion && !u.literal && u.port == 80);
	ck_assert_int_eq(gd_url_parse(&u, "http://127.0.0.1:8080/", err, sizeof err), 0);
	ck_assert(u.loopback && u.literal && !u.onion && u.port == 8080);
	ck_assert_int_eq(gd_url_parse(&u, "http://[::1]:9000", err, sizeof err), 0);
	ck_assert(u.loopback && u.literal && u.port == 9000);
	ck_assert_int_eq(gd_url_parse(&u, "HTTP://Example.ONION", err, sizeof err), -1); /* scheme case */
	ck_assert_int_eq(gd_url_parse(&u, "https://x.onion", err, sizeof err), -1);
	ck_assert_int_eq(gd_url_parse(&u, "http://x.onion/path", err, sizeof err), -1);
	ck_assert_int_eq(gd_url_parse(&u, "http://user@x.onion", err, sizeof err), -1);
	ck_assert_int_eq(gd_url_parse(&u, "http://x.onion:0", err, sizeof err), -1);
	ck_assert_int_eq(gd_url_parse(&u, "http://x.onion:99999", err, sizeof err), -1);
	ck_assert_int_eq(gd_url_parse(&u, "http://", err, sizeof err), -1);
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
	ck_assert(strstr(err, "without Tor") != NULL);
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

static Suite *suite(void)
{
	Suite *s = suite_create("transport");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, urls);
	tcase_add_test(tc, tor_rules);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
