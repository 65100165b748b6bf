/* Issue 16, section 5 and the progress bar of section 6: the worker's messages name the right
 * thing (an expired bundle, another newsroom's key, Tor not running, a message file in another
 * encoding, a file name given as the key) and the progress bar fits the terminal. The real
 * ghostdrop against a real ghostdropd; the bar through a pseudo-terminal of a set width. */
#define _XOPEN_SOURCE 700 /* posix_openpt */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "store.h"
#include "testutil.h"
#include "progress.h"
#include "textenc.h"
#include "transport.h"

#if !defined(GHOSTDROP) || !defined(GHOSTDROP_DESK)
#error GHOSTDROP and GHOSTDROP_DESK must name the worker's and the desk's binaries
#endif

#define SERVER "--server http://127.0.0.1:%u --newsroom %s"
#define ONION "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"

static char out[16384], err[16384];
static char keystring[GD_KEYSTRING_LEN + 1];

static int gd(const drop *d, const char *in, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int gd(const drop *d, const char *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = drop_vrun(d, GHOSTDROP, in, out, err, sizeof out, fmt, ap);
	va_end(ap);
	return rc;
}

/* Serve a given bundle: written straight into the stopped drop's database. */
static void serve_bundle(drop *d, gd_bundle *b)
{
	uint8_t *raw;
	size_t len;
	char path[256];
	ck_assert_int_eq(gd_bundle_sign(&raw, &len, b, d->root_sk), GD_OK);
	drop_stop(d, SIGTERM);
	store *st;
	snprintf(path, sizeof path, "%s/data/db", d->dir);
	ck_assert_int_eq(store_open(&st, path, 16ULL << 30, 90), STORE_OK);
	store_op *op = store_op_meta_put("bundle", raw, len);
	ck_assert_ptr_nonnull(op);
	ck_assert_int_eq(store_apply_sync(st, op), STORE_OK);
	store_op_free(op);
	store_close(st); /* raw went with op */
	drop_start(d);
}

static gd_bundle *current_bundle(const drop *d)
{
	gd_bundle *b = calloc(1, sizeof *b);
	ck_assert_int_eq(gd_bundle_verify(b, d->bundle, d->bundle_len, d->root_pk, time(NULL), 0),
			 GD_OK);
	return b;
}

static void ymd(char *buf, size_t cap, int64_t t)
{
	time_t tt = (time_t)t;
	strftime(buf, cap, "%Y-%m-%d", gmtime(&tt));
}

/* 1. An expired bundle: its date and this computer's clock, both ways out, the key is fine;
 * replies are not read with it either, and say why. */
START_TEST(expired_bundle)
{
	drop d;
	char code[256], date[16], today[16];
	drop_up(&d, NULL, keystring);
	snprintf(code, sizeof code, "%s/code.txt", d.dir);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --codename-out %s", d.port,
			    keystring, code),
			 0);
	int64_t now = (int64_t)time(NULL);
	gd_bundle *b = current_bundle(&d);
	b->version = 3;
	b->created = now - 60 * 86400;
	b->expires = now - 3 * 86400;
	b->journalists[0].not_before = now - 59 * 86400;
	b->journalists[0].not_after = now - 4 * 86400;
	serve_bundle(&d, b);
	ymd(date, sizeof date, b->expires);
	ymd(today, sizeof today, now);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply", d.port, keystring),
			 3);
	ck_assert_msg(strstr(err, date) != NULL && strstr(err, "expired on") != NULL &&
			      strstr(err, "this computer's clock says") != NULL &&
			      strstr(err, today) != NULL && strstr(err, "UTC") != NULL &&
			      strstr(err, "clock is wrong") != NULL &&
			      strstr(err, "publish a new bundle") != NULL &&
			      strstr(err, "nothing was sent") != NULL,
		      "%s", err);
	/* replies: refused too (an old bundle may list a withdrawn journalist key that could sign
	 * a forged reply), in words about replies */
	ck_assert_int_eq(gd(&d, NULL, "replies " SERVER " --clearnet --codename-file %s", d.port,
			    keystring, code),
			 3);
	ck_assert_msg(strstr(err, "expired on") != NULL && strstr(err, date) != NULL &&
			      strstr(err, "replies are not read with an expired") != NULL &&
			      strstr(err, "withdrawn") != NULL &&
			      strstr(err, "nothing was sent") == NULL,
		      "%s", err);
	free(b);
	drop_destroy(&d);
}
END_TEST

/* 2. A bundle signed by another key: the first thing to check is the key the worker copied. */
START_TEST(another_newsroom_key)
{
	drop d;
	uint8_t pk[32], sk[64];
	char other[GD_KEYSTRING_LEN + 1];
	drop_up(&d, NULL, keystring);
	crypto_sign_keypair(pk, sk);
	ck_assert_int_eq(gd_keystring_encode(other, pk), GD_OK);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply", d.port, other), 3);
	ck_assert_msg(strstr(err, "check that you copied the newsroom key correctly") != NULL &&
			      strstr(err, "do not send anything") != NULL,
		      "%s", err);
	drop_destroy(&d);
}
END_TEST

static uint16_t closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	socklen_t al = sizeof a;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* 3. Nothing listening on the proxy port: Tor is not running, and Tor Browser's port. */
START_TEST(tor_not_running)
{
	drop d;
	drop_up(&d, NULL, keystring);
	uint16_t p = closed_port();
	char where[32];
	snprintf(where, sizeof where, "127.0.0.1:%u", p);
	ck_assert_int_eq(gd(&d, "x",
			    "submit --server http://" ONION " --newsroom %s --no-reply "
			    "--proxy %s",
			    keystring, where),
			 4);
	ck_assert_msg(strstr(err, where) != NULL &&
			      strstr(err, "Tor does not seem to be running") != NULL &&
			      strstr(err, "--proxy 127.0.0.1:9150") != NULL,
		      "%s", err);
	/* a server that is not an onion address, without a proxy: the way out offered is the
	 * newsroom's onion address or Tor, never connecting without Tor (a tired worker follows
	 * the advice given, and --clearnet shows their address to the drop) */
	ck_assert_int_eq(gd(&d, "x", "submit --server http://127.0.0.1:%u --newsroom %s --no-reply",
			    d.port, keystring),
			 2);
	ck_assert_msg(strstr(err, "only through Tor") != NULL &&
			      strstr(err, "onion address") != NULL &&
			      strstr(err, "--proxy 127.0.0.1:9050") != NULL &&
			      strstr(err, "--clearnet") == NULL,
		      "%s", err);
	/* the desk's courier says the same (and takes a bare NAME.onion too) */
	char tok[256];
	snprintf(tok, sizeof tok, "%s/token", d.dir);
	write_bytes(tok, d.token, strlen(d.token));
	ck_assert_int_eq(drop_run(&d, GHOSTDROP_DESK, NULL, out, err, sizeof out,
				  "fetch --server " ONION
				  " --token-file %s --out %s/batch --proxy %s",
				  tok, d.dir, where),
			 4);
	ck_assert_msg(strstr(err, "Tor does not seem to be running") != NULL &&
			      strstr(err, "--proxy 127.0.0.1:9150") != NULL,
		      "%s", err);
	/* at Tor Browser's port already (when nothing listens there on this machine): keep Tor
	 * Browser open, or the system's Tor */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(9150),
				.sin_addr.s_addr = htonl(0x7f000001)};
	int busy = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	if (!busy) {
		ck_assert_int_eq(gd(&d, "x",
				    "submit --server " ONION " --newsroom %s --no-reply --proxy "
				    "127.0.0.1:9150",
				    keystring),
				 4);
		ck_assert_msg(strstr(err, "Tor does not seem to be running") != NULL &&
				      strstr(err, "open Tor Browser") != NULL &&
				      strstr(err, "--proxy 127.0.0.1:9050") != NULL,
			      "%s", err);
	}
	drop_destroy(&d);
}
END_TEST

/* 4a. The conversion itself, byte for byte. */
static void conv_ok(const void *in, size_t len, const char *want)
{
	uint8_t *o;
	size_t n;
	const char *why;
	ck_assert_int_eq(gd_text_to_utf8(in, len, &o, &n, &why), 0);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert(memcmp(o, want, n) == 0 && o[n] == '\0');
	free(o);
}

static const char *conv_bad(const void *in, size_t len)
{
	uint8_t *o = (uint8_t *)"untouched";
	size_t n;
	const char *why;
	ck_assert_int_eq(gd_text_to_utf8(in, len, &o, &n, &why), -1);
	ck_assert_ptr_null(o);
	ck_assert_ptr_nonnull(why);
	return why;
}

/* "héllo €𝄞\n" in UTF-8 */
static const char HELLO[] = "h\xc3\xa9llo \xe2\x82\xac\xf0\x9d\x84\x9e\n";
static const uint8_t HELLO16LE[] = {0xff, 0xfe, 'h', 0,    0xe9, 0,    'l',  0,    'l',  0,    'o',
				    0,    ' ',  0,   0xac, 0x20, 0x34, 0xd8, 0x1e, 0xdd, '\n', 0};
static const uint8_t HELLO16BE[] = {0xfe, 0xff, 0,   'h',  0,    0xe9, 0,    'l',  0,    'l', 0,
				    'o',  0,    ' ', 0x20, 0xac, 0xd8, 0x34, 0xdd, 0x1e, 0,   '\n'};

START_TEST(text_conversion)
{
	conv_ok(HELLO, strlen(HELLO), HELLO);
	conv_ok("\xef\xbb\xbfhi", 5, "hi"); /* a UTF-8 byte-order mark is dropped */
	conv_ok(HELLO16LE, sizeof HELLO16LE, HELLO);
	conv_ok(HELLO16BE, sizeof HELLO16BE, HELLO);
	conv_ok("", 0, "");
	conv_ok("\xff\xfe", 2, ""); /* only the mark */
	/* unpaired surrogates: a lone high one (at the end, or before a non-low unit) and a lone
	 * low one */
	ck_assert(strstr(conv_bad("\xff\xfe\x34\xd8", 4), "unpaired surrogate") != NULL);
	ck_assert(strstr(conv_bad("\xff\xfe\x34\xd8h\0", 6), "unpaired surrogate") != NULL);
	ck_assert(strstr(conv_bad("\xfe\xff\xdd\x1e", 4), "unpaired surrogate") != NULL);
	ck_assert(strstr(conv_bad("\xff\xfeh", 3), "cut in the middle") != NULL);
	ck_assert(strstr(conv_bad("\xff\xfeh\0\0\0", 6), "NUL") != NULL);
	/* Latin-1 / Windows-1252, overlong, surrogate in UTF-8, past U+10FFFF, truncated */
	ck_assert(strstr(conv_bad("caf\xe9", 4), "Latin-1") != NULL);
	conv_bad("\xc0\xaf", 2);
	conv_bad("\xed\xa0\x80", 3);
	conv_bad("\xf4\x90\x80\x80", 4);
	conv_bad("\xe2\x82", 2);
	/* UTF-16 without a mark */
	ck_assert(strstr(conv_bad("h\0i\0", 4), "byte-order mark") != NULL);
}
END_TEST

/* 4b. Through the worker's command: UTF-16 files are sent, other encodings named. */
START_TEST(message_file_encodings)
{
	drop d;
	char path[256];
	drop_up(&d, NULL, keystring);
	snprintf(path, sizeof path, "%s/msg.txt", d.dir);
	write_bytes(path, HELLO16LE, sizeof HELLO16LE);
	ck_assert_int_eq(gd(&d, NULL, "submit " SERVER " --clearnet --no-reply --message-file %s",
			    d.port, keystring, path),
			 0);
	write_bytes(path, HELLO16BE, sizeof HELLO16BE);
	ck_assert_int_eq(gd(&d, NULL, "submit " SERVER " --clearnet --no-reply --message-file %s",
			    d.port, keystring, path),
			 0);
	/* Latin-1: the file is named and the way out said */
	write_bytes(path, "caf\xe9\n", 5);
	ck_assert_int_eq(gd(&d, NULL, "submit " SERVER " --clearnet --no-reply --message-file %s",
			    d.port, keystring, path),
			 6);
	ck_assert_msg(strstr(err, path) != NULL && strstr(err, "not UTF-8") != NULL &&
			      strstr(err, "save it as UTF-8") != NULL &&
			      strstr(err, "nothing was sent") != NULL,
		      "%s", err);
	/* the same on standard input */
	ck_assert_int_eq(
		gd(&d, "caf\xe9\n", "submit " SERVER " --clearnet --no-reply", d.port, keystring),
		6);
	ck_assert_msg(strstr(err, "standard input") != NULL && strstr(err, "not UTF-8") != NULL,
		      "%s", err);
	/* an unpaired surrogate */
	write_bytes(path, "\xff\xfe\x34\xd8h\0", 6);
	ck_assert_int_eq(gd(&d, NULL, "submit " SERVER " --clearnet --no-reply --message-file %s",
			    d.port, keystring, path),
			 6);
	ck_assert_msg(strstr(err, path) != NULL && strstr(err, "unpaired surrogate") != NULL, "%s",
		      err);
	drop_destroy(&d);
}
END_TEST

/* A SOCKS5 proxy that sends every stream to one local port, and remembers the host asked. */
typedef struct {
	int lfd;
	uint16_t port, to;
	char host[256];
	unsigned requested_port;
} fwd;

typedef struct {
	fwd *f;
	int fd;
} fwd_conn;

static int read_n(int fd, uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t k = read(fd, b, n);
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static void *fwd_one(void *arg)
{
	fwd_conn *c = arg;
	uint8_t b[65536];
	int fd = c->fd, up = -1;
	if (read_n(fd, b, 3) != 0 || write(fd, "\x05\x02", 2) != 2 || read_n(fd, b, 2) != 0 ||
	    read_n(fd, b + 2, b[1] + 1u) != 0 || read_n(fd, b + 3 + b[1], b[2 + b[1]]) != 0 ||
	    write(fd, "\x01\x00", 2) != 2 || read_n(fd, b, 5) != 0 || b[3] != 3 ||
	    read_n(fd, b + 5, b[4] + 2u) != 0)
		goto out;
	memcpy(c->f->host, b + 5, b[4]);
	c->f->host[b[4]] = '\0';
	c->f->requested_port = (unsigned)(b[5 + b[4]] << 8 | b[6 + b[4]]);
	up = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(c->f->to),
				.sin_addr.s_addr = htonl(0x7f000001)};
	if (connect(up, (struct sockaddr *)&a, sizeof a) != 0 ||
	    write(fd, "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10) != 10)
		goto out;
	for (;;) {
		struct pollfd p[2] = {{fd, POLLIN, 0}, {up, POLLIN, 0}};
		if (poll(p, 2, 30000) <= 0)
			break;
		int from = p[0].revents ? fd : up, to = from == fd ? up : fd;
		ssize_t k = read(from, b, sizeof b);
		if (k <= 0 || write(to, b, (size_t)k) != k)
			break;
	}
out:
	if (up >= 0)
		close(up);
	close(fd);
	free(c);
	return NULL;
}

static void *fwd_loop(void *arg)
{
	fwd *f = arg;
	int fd;
	while ((fd = accept(f->lfd, NULL, NULL)) >= 0) {
		fwd_conn *c = malloc(sizeof *c);
		c->f = f;
		c->fd = fd;
		pthread_t t;
		pthread_create(&t, NULL, fwd_one, c);
		pthread_detach(t);
	}
	return NULL;
}

/* 5. --newsroom given a file name; --newsroom-file; a bare NAME.onion for --server, which the
 * bundle's server list still matches. */
START_TEST(newsroom_file_and_bare_onion)
{
	drop d;
	char path[256];
	drop_up(&d, NULL, keystring);
	snprintf(path, sizeof path, "%s/newsroom.pub", d.dir);
	/* not there yet, but named like a file */
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply", d.port, path), 2);
	ck_assert_msg(strstr(err, "looks like a file name") != NULL &&
			      strstr(err, "--newsroom-file") != NULL,
		      "%s", err);
	char kl[128];
	int n = snprintf(kl, sizeof kl, "  %s\r\n", keystring);
	write_bytes(path, kl, (size_t)n);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply", d.port, "code"), 2);
	ck_assert_msg(strstr(err, "not a valid newsroom key") != NULL, "%s", err);
	/* an existing file without a telling extension */
	char bare[256];
	snprintf(bare, sizeof bare, "%s/key", d.dir);
	write_bytes(bare, kl, (size_t)n);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply", d.port, bare), 2);
	ck_assert_msg(strstr(err, "looks like a file name") != NULL, "%s", err);
	/* --newsroom-file takes it (spaces and CR LF around the key) */
	ck_assert_int_eq(gd(&d, "x",
			    "submit --server http://127.0.0.1:%u --newsroom-file %s --clearnet "
			    "--no-reply",
			    d.port, path),
			 0);
	ck_assert_int_eq(gd(&d, "x",
			    "submit --server http://127.0.0.1:%u --newsroom-file %s/none "
			    "--clearnet --no-reply",
			    d.port, d.dir),
			 6);
	ck_assert_msg(strstr(err, "/none") != NULL, "%s", err);
	write_bytes(path, "hello\n", 6);
	ck_assert_int_eq(gd(&d, "x",
			    "submit --server http://127.0.0.1:%u --newsroom-file %s --clearnet "
			    "--no-reply",
			    d.port, path),
			 2);
	ck_assert_msg(strstr(err, path) != NULL && strstr(err, "newsroom key") != NULL, "%s", err);

	/* A bare NAME.onion, through Tor (here a forwarding proxy), matched against the bundle's
	 * http://NAME.onion */
	gd_bundle *b = current_bundle(&d);
	snprintf(b->servers[0], sizeof b->servers[0], "http://%s", ONION);
	b->n_servers = 1;
	b->version = 3;
	serve_bundle(&d, b);
	fwd f = {.to = d.port};
	f.lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	socklen_t al = sizeof a;
	ck_assert_int_eq(bind(f.lfd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(f.lfd, 8), 0);
	ck_assert_int_eq(getsockname(f.lfd, (struct sockaddr *)&a, &al), 0);
	f.port = ntohs(a.sin_port);
	pthread_t t;
	pthread_create(&t, NULL, fwd_loop, &f);
	ck_assert_int_eq(gd(&d, "x",
			    "submit --server %s --newsroom %s --no-reply --proxy 127.0.0.1:%u",
			    ONION, keystring, f.port),
			 0);
	ck_assert_str_eq(f.host, ONION);
	ck_assert_uint_eq(f.requested_port, 80);
	/* with a trailing slash and in capitals, as people copy it */
	ck_assert_int_eq(
		gd(&d, "x",
		   "submit --server ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwx"
		   ".ONION/ --newsroom %s --no-reply --proxy 127.0.0.1:%u",
		   keystring, f.port),
		0);
	shutdown(f.lfd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(f.lfd);
	free(b);
	drop_destroy(&d);
}
END_TEST

/* 5b. The URL grammar: a bare NAME.onion[:PORT] is http://NAME.onion; nothing else bare. */
START_TEST(bare_onion_urls)
{
	gd_url u;
	char e[256];
	ck_assert_int_eq(gd_url_parse(&u, ONION, e, sizeof e), 0);
	ck_assert_str_eq(u.host, ONION);
	ck_assert_uint_eq(u.port, 80);
	ck_assert(u.onion);
	ck_assert_int_eq(gd_url_parse(&u, "ABC.onion:8080/", e, sizeof e), 0);
	ck_assert_str_eq(u.host, "abc.onion");
	ck_assert_uint_eq(u.port, 8080);
	ck_assert_int_eq(gd_url_parse(&u, "abc.onion/path", e, sizeof e), -1);
	ck_assert_int_eq(gd_url_parse(&u, "abc.onion:0", e, sizeof e), -1);
	ck_assert_int_eq(gd_url_parse(&u, "example.com", e, sizeof e), -1);
	ck_assert(strstr(e, "http://") != NULL);
	ck_assert_int_eq(gd_url_parse(&u, "127.0.0.1:8080", e, sizeof e), -1);
	ck_assert_int_eq(gd_url_parse(&u, "onion", e, sizeof e), -1);
	ck_assert_int_eq(gd_url_parse(&u, "https://abc.onion", e, sizeof e), -1);
	ck_assert_int_eq(gd_url_parse(&u, "ftp://abc.onion", e, sizeof e), -1);
}
END_TEST

/* 6. The progress bar, through a pseudo-terminal of the given width: PROGRESS_DEMO draws a
 * bar (a fetch resumed at half of 256 MiB, then 4 MiB more in this run). Returns what the
 * terminal received. */
static size_t run_bar(unsigned short cols, char *buf, size_t cap)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(m, 0);
	ck_assert_int_eq(grantpt(m), 0);
	ck_assert_int_eq(unlockpt(m), 0);
	const char *sname = ptsname(m);
	ck_assert_ptr_nonnull(sname);
	int s = open(sname, O_RDWR | O_NOCTTY);
	ck_assert_int_ge(s, 0);
	struct winsize ws = {.ws_row = 24, .ws_col = cols};
	ck_assert_int_eq(ioctl(s, TIOCSWINSZ, &ws), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setsid();
		ioctl(s, TIOCSCTTY, 0);
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		close(m);
		close(s);
		execl(PROGRESS_DEMO, PROGRESS_DEMO, (char *)NULL);
		_exit(127);
	}
	close(s);
	size_t n = 0;
	for (;;) {
		struct pollfd p = {m, POLLIN, 0};
		if (poll(&p, 1, 20000) <= 0)
			break;
		ssize_t k = read(m, buf + n, cap - 1 - n);
		if (k <= 0)
			break; /* EIO once the child is gone */
		n += (size_t)k;
	}
	buf[n] = '\0';
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(m);
	return n;
}

/* The longest stretch the cursor travels on one row: text between \r and \n, escape sequences
 * not counted. Also the number of lines and of draws. */
static void measure(const char *b, size_t n, size_t *widest, int *lines, int *draws)
{
	size_t col = 0;
	*widest = 0;
	*lines = 0;
	*draws = 0;
	for (size_t i = 0; i < n; i++) {
		if (b[i] == '\033') { /* CSI: ESC [ params final */
			for (i += 2; i < n && !(b[i] >= 0x40 && b[i] <= 0x7e); i++)
				;
			continue;
		}
		if (b[i] == '\r') {
			col = 0;
			(*draws)++;
		} else if (b[i] == '\n') {
			col = 0;
			(*lines)++;
		} else {
			col++;
		}
		if (col > *widest)
			*widest = col;
	}
}

START_TEST(progress_fits_and_rates_this_run)
{
	static char buf[1 << 16];
	static const unsigned short widths[] = {80, 60, 40};
	for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
		size_t n = run_bar(widths[w], buf, sizeof buf), widest;
		int lines, draws;
		measure(buf, n, &widest, &lines, &draws);
		/* never as wide as the terminal: no wrap, so every redraw stays on its row */
		ck_assert_msg(widest < widths[w], "%zu columns on %u: %s", widest, widths[w], buf);
		ck_assert_msg(lines == 1 && draws >= 2, "%d lines, %d draws: %s", lines, draws,
			      buf);
		ck_assert_msg(strstr(buf, "fetch") != NULL, "%s", buf); /* the label */
		/* a clear to the end of the line after each draw */
		ck_assert_msg(strstr(buf, "\033[K") != NULL, "%s", buf);
		/* human sizes, and the final position */
		ck_assert_msg(strstr(buf, "MiB") != NULL, "%s", buf);
		if (widths[w] >= 60)
			ck_assert_msg(strstr(buf, "132.0") != NULL, "%s", buf);
		/* this run's rate: 4 MiB in about 0.8 s, not the 128 MiB resumed from
		 * (which showed as 255.98 MiB/s) */
		const char *r = strstr(buf, "/s");
		while (r != NULL && strstr(r + 1, "/s") != NULL)
			r = strstr(r + 1, "/s");
		if (widths[w] >= 60) {
			ck_assert_ptr_nonnull(r);
			const char *num = r;
			while (num > buf && num[-1] != ' ')
				num--;
			while (num > buf && num[-1] == ' ')
				num--;
			while (num > buf && num[-1] != ' ')
				num--;
			double rate = strtod(num, NULL);
			int mib = strncmp(r - 3, "MiB", 3) == 0,
			    gib = strncmp(r - 3, "GiB", 3) == 0;
			ck_assert_msg(!gib && (!mib || rate < 40), "rate %.2f at %.40s", rate, num);
		}
	}
}
END_TEST

/* The line itself, at every width from 2 to 200: never as wide as the terminal. */
START_TEST(progress_line_widths)
{
	char line[512], sz[32];
	static const uint64_t totals[] = {0, 500, 1 << 20, 204ULL << 20, 3ULL << 40};
	for (int w = 2; w <= 200; w++)
		for (size_t t = 0; t < sizeof totals / sizeof *totals; t++) {
			progress_format(line, sizeof line, w, "a long label for a fetch ",
					totals[t] / 2, totals[t], 123456.0, 3.0);
			ck_assert_msg(strlen(line) < (size_t)w, "%d: %s", w, line);
			progress_format(line, sizeof line, w, "", totals[t], totals[t], 0, 0);
			ck_assert_msg(strlen(line) < (size_t)w || w == 1, "%d: %s", w, line);
		}
	progress_format(line, sizeof line, 80, "upload", 91ULL << 20, 204ULL << 20, 2.5 * 1048576,
			10);
	ck_assert_msg(strstr(line, "upload [") == line && strstr(line, "44%") != NULL &&
			      strstr(line, "91.0/204.0 MiB") != NULL &&
			      strstr(line, "2.5 MiB/s") != NULL &&
			      strstr(line, "0:45 left") != NULL,
		      "%s", line);
	progress_size(sz, sizeof sz, 512);
	ck_assert_str_eq(sz, "512 B");
	progress_size(sz, sizeof sz, 1536);
	ck_assert_str_eq(sz, "1.5 KiB");
	progress_size(sz, sizeof sz, 3.0 * (1 << 30));
	ck_assert_str_eq(sz, "3.0 GiB");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("words");
	TCase *tc = tcase_create("messages");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, expired_bundle);
	tcase_add_test(tc, another_newsroom_key);
	tcase_add_test(tc, tor_not_running);
	tcase_add_test(tc, text_conversion);
	tcase_add_test(tc, message_file_encodings);
	tcase_add_test(tc, newsroom_file_and_bare_onion);
	tcase_add_test(tc, bare_onion_urls);
	tcase_add_test(tc, progress_fits_and_rates_this_run);
	tcase_add_test(tc, progress_line_widths);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
