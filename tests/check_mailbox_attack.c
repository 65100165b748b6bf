/* Integration tests: the mailbox, proof of work and replies under the cheap attacks of issue 14
 * (items 5, 6, 10, 16, 17), against the real ghostdropd and the worker's ghostdrop on 127.0.0.1. */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "testutil.h"

#ifndef GHOSTDROP
#error GHOSTDROP must name the worker binary
#endif

static char out[65536], err[65536];
static char keystring[GD_KEYSTRING_LEN + 1];

/* Run ghostdrop with "testimony" on stdin; stdout/stderr into out/err; returns the exit code. */
static int gd(const drop *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int gd(const drop *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = drop_vrun(d, GHOSTDROP, "testimony\n", out, err, sizeof out, fmt, ap);
	va_end(ap);
	return rc;
}

#define SERVER "--server http://127.0.0.1:%u --newsroom %s --clearnet"

/* A source: the codename the CLI made at its first submission, and its keys. */
static gd_source_keys *new_source(const drop *d, char code[256])
{
	snprintf(code, 256, "%s/code.txt", d->dir);
	ck_assert_int_eq(gd(d, "submit " SERVER " --codename-out %s", d->port, keystring, code), 0);
	return source_of_codename_file(d, code);
}

/* ---- mailbox requests, by hand ---- */

/* A fresh mailbox challenge: "X-Ghostdrop-PoW: ...\r\n" into hdr and the bytes to sign. */
static size_t mb_challenge(const drop *d, char *hdr, size_t cap, uint8_t ch[72])
{
	char pow[256];
	size_t n = 0;
	pow_header(d->port, "mailbox", 0, pow, sizeof pow);
	snprintf(hdr, cap, "X-Ghostdrop-PoW: %s\r\n", pow);
	ck_assert_int_eq(gd_b64_decode(ch, 72, &n, pow, (size_t)(strchr(pow, '.') - pow)), GD_OK);
	return n;
}

/* The body of a mailbox request signed by sk (the mailbox key, or another to forge). */
static void mb_body(char *o, size_t cap, const gd_source_keys *s, const uint8_t *ch, size_t n,
		    const uint8_t *sk, const char *extra)
{
	uint8_t sig[64];
	char pk[64], sigb[128];
	gd_mailbox_sign(sig, ch, n, sk);
	test_b64(pk, sizeof pk, s->mailbox_pk, 32);
	test_b64(sigb, sizeof sigb, sig, 64);
	snprintf(o, cap, "{\"mailbox_pk\":\"%s\",\"signature\":\"%s\"%s}", pk, sigb,
		 extra ? extra : "");
}

/* A whole request: new challenge, signed by the mailbox key. */
static void mb_request(const drop *d, const gd_source_keys *s, const char *path, const char *extra,
		       resp *r)
{
	char hdr[512], body[8192];
	uint8_t ch[72];
	size_t n = mb_challenge(d, hdr, sizeof hdr, ch);
	mb_body(body, sizeof body, s, ch, n, s->mailbox_sk, extra);
	ck_assert_int_eq(http_do(d->port, "POST", path, hdr, body, strlen(body), r), 0);
}

/* POST /v1/courier/replies; returns the status, the body's error into e. */
static int push(const drop *d, const uint8_t mailbox_id[16], const uint8_t *blob, size_t len,
		char e[64])
{
	resp r;
	char mb[32], *bb = malloc(len * 2 + 8), *body = malloc(len * 2 + 128);
	test_b64(bb, len * 2 + 8, blob, len);
	test_b64(mb, sizeof mb, mailbox_id, 16);
	snprintf(body, len * 2 + 128, "{\"mailbox_id\":\"%s\",\"reply\":\"%s\"}", mb, bb);
	ck_assert_int_eq(http_do(d->port, "POST", "/v1/courier/replies", drop_auth(d), body,
				 strlen(body), &r),
			 0);
	int st = r.status;
	if (e != NULL)
		snprintf(e, 64, "%s", r.error);
	resp_free(&r);
	free(bb);
	free(body);
	return st;
}

/* Junk shaped like a reply (magic, version, size), which no journalist wrote. */
static uint8_t *junk(size_t len)
{
	uint8_t *b = malloc(len);
	randombytes_buf(b, len);
	memcpy(b, "GDRP\x01", 5);
	return b;
}

/* ---- item 5: mailbox challenges cost what they protect; a bad signature spends nothing ---- */

/* The attack of issue 14 item 5 on one kept connection: a challenge, then a fetch with a
 * signature that does not verify, 33,000 times (the old RAM set of used challenges held 32,768),
 * then the honest source fetches. */
static int kc_dial(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return fd;
}

/* One request on a kept connection; the status, the answer's body into buf. */
static int kc_do(int *fdp, uint16_t port, const char *method, const char *path, const char *hdrs,
		 const char *body, char *buf, size_t cap)
{
	int fd = *fdp;
	char head[4096]; /* one send: no Nagle delay between head and body */
	size_t blen = body ? strlen(body) : 0, got = 0;
	int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nContent-Length: %zu\r\n%s\r\n%s",
			 method, path, blen, hdrs ? hdrs : "", body ? body : "");
	ck_assert_int_lt(n, (int)sizeof head);
	ck_assert_int_eq(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
	char *end = NULL;
	while (end == NULL) {
		ssize_t k = recv(fd, buf + got, cap - 1 - got, 0);
		ck_assert_int_gt(k, 0);
		got += (size_t)k;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	int status = 0;
	size_t clen = 0;
	ck_assert_int_eq(sscanf(buf, "HTTP/1.1 %d", &status), 1);
	const char *cl = strcasestr(buf, "content-length:");
	ck_assert_ptr_nonnull(cl);
	clen = strtoul(cl + 15, NULL, 10);
	size_t hl = (size_t)(end + 4 - buf);
	while (got < hl + clen) {
		ssize_t k = recv(fd, buf + got, cap - 1 - got, 0);
		ck_assert_int_gt(k, 0);
		got += (size_t)k;
	}
	char keep = buf[hl];
	buf[hl] = '\0';
	if (strcasestr(buf, "connection: close") != NULL) { /* the drop ends some answers so */
		close(fd);
		*fdp = kc_dial(port);
	}
	buf[hl] = keep;
	memmove(buf, buf + hl, clen);
	buf[clen] = '\0';
	return status;
}

START_TEST(flood_of_junk_fetches)
{
	drop d;
	resp r;
	char code[256], buf[8192], hdr[512], body[1024];
	drop_up(&d, NULL, keystring);
	gd_source_keys *s = new_source(&d, code);
	gd_source_keys *junk_src =
		test_source("zoom abacus yo-yo able ablaze abide zoologist felt-tip", d.root_pk);
	int fd = kc_dial(d.port);
	time_t t0 = time(NULL);
	int refused = 0;
	for (int i = 0; i < 33000; i++) {
		uint8_t ch[72];
		uint64_t ctr;
		/* The challenge the attacker needs: free before the fix, a proof of work now. */
		int st = kc_do(&fd, d.port, "POST", "/v1/mailbox/challenge", NULL, NULL, buf,
			       sizeof buf);
		size_t n = 0;
		if (st == 200) {
			json_t *o = json_loads(buf, 0, NULL);
			const char *c = json_string_value(json_object_get(o, "challenge"));
			ck_assert_int_eq(gd_b64_decode(ch, sizeof ch, &n, c, strlen(c)), GD_OK);
			json_decref(o);
			hdr[0] = '\0';
			char chb[128], pk[64], sigb[128];
			uint8_t sig[64] = {0};
			test_b64(chb, sizeof chb, ch, n);
			test_b64(pk, sizeof pk, junk_src->mailbox_pk, 32);
			test_b64(sigb, sizeof sigb, sig, 64);
			snprintf(
				body, sizeof body,
				"{\"mailbox_pk\":\"%s\",\"challenge\":\"%s\",\"signature\":\"%s\"}",
				pk, chb, sigb);
		} else {
			ck_assert_int_eq(st,
					 404); /* gone: mailbox requests carry a proof of work */
			st = kc_do(&fd, d.port, "POST", "/v1/pow?purpose=mailbox", NULL, NULL, buf,
				   sizeof buf);
			ck_assert_int_eq(st, 200);
			json_t *o = json_loads(buf, 0, NULL);
			const char *c = json_string_value(json_object_get(o, "challenge"));
			ck_assert_int_eq(gd_b64_decode(ch, sizeof ch, &n, c, strlen(c)), GD_OK);
			ck_assert_int_eq(gd_pow_solve(&ctr, ch), GD_OK);
			snprintf(hdr, sizeof hdr, "X-Ghostdrop-PoW: %s.%llu\r\n", c,
				 (unsigned long long)ctr);
			json_decref(o);
			/* signed by another mailbox key than the one named: does not verify */
			mb_body(body, sizeof body, s, ch, n, junk_src->mailbox_sk, NULL);
		}
		st = kc_do(&fd, d.port, "POST", "/v1/mailbox/fetch", hdr, body, buf, sizeof buf);
		ck_assert_msg(st == 403 || st == 503, "junk fetch %d answered %d", i, st);
		refused += st == 503;
	}
	close(fd);
	fprintf(stderr, "flood: 33000 junk fetches in %lld s, %d answered 503\n",
		(long long)(time(NULL) - t0), refused);
	ck_assert_msg(refused == 0, "the flood filled the drop's RAM: %d fetches got 503", refused);
	/* The honest source still reads its mailbox. */
	mb_request(&d, s, "/v1/mailbox/fetch", NULL, &r);
	ck_assert_msg(r.status == 200, "honest fetch after the flood: %d %s", r.status, r.error);
	resp_free(&r);
	ck_assert_int_eq(gd(&d, "replies " SERVER " --codename-file %s", d.port, keystring, code),
			 0);
	ck_assert(strstr(err, "No replies are waiting") != NULL);
	sodium_free(s);
	sodium_free(junk_src);
	drop_destroy(&d);
}
END_TEST

START_TEST(signature_before_spending)
{
	drop d;
	resp r;
	char hdr[512], body[2048];
	uint8_t ch[72];
	uint8_t nr[32] = {7};
	drop_up(&d, NULL, keystring);
	gd_source_keys *s =
		test_source("zoom abacus yo-yo able ablaze abide zoologist felt-tip", nr);
	/* no free challenges any more, and no mailbox request without a proof of work */
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/mailbox/challenge", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	mb_body(body, sizeof body, s, ch, sizeof ch, s->mailbox_sk, NULL);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/mailbox/fetch", NULL, body, strlen(body), &r),
			 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_required");
	resp_free(&r);
	/* a challenge for submissions is not one for mailboxes */
	char pow[256];
	pow_header(d.port, "submit", 0, pow, sizeof pow);
	snprintf(hdr, sizeof hdr, "X-Ghostdrop-PoW: %s\r\n", pow);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/mailbox/fetch", hdr, body, strlen(body), &r),
			 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_purpose");
	resp_free(&r);
	/* signed by the wrong key: refused, and the challenge is not spent... */
	size_t n = mb_challenge(&d, hdr, sizeof hdr, ch);
	mb_body(body, sizeof body, s, ch, n, s->identity_sk, NULL);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/mailbox/fetch", hdr, body, strlen(body), &r),
			 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "bad_signature");
	resp_free(&r);
	/* ...so the same challenge, rightly signed, works */
	mb_body(body, sizeof body, s, ch, n, s->mailbox_sk, NULL);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/mailbox/fetch", hdr, body, strlen(body), &r),
			 0);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.error);
	ck_assert_str_eq((char *)r.body, "{\"replies\":[]}\n");
	resp_free(&r);
	/* and once only */
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/mailbox/fetch", hdr, body, strlen(body), &r),
			 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_replayed");
	resp_free(&r);
	sodium_free(s);
	drop_destroy(&d);
}
END_TEST

/* ---- item 6: difficulty is checked when a challenge is spent ---- */

/* A relay between the worker and the drop that holds the first submission until released:
 * the drop gets busier while the worker's solved challenge is on its way. */
typedef struct {
	int lfd;
	uint16_t port, drop_port;
	atomic_int hold, held, stop;
} relay;

typedef struct {
	int c, u;
	relay *rl;
} relay_pair;

static void *relay_conn(void *arg)
{
	relay_pair *pr = arg;
	struct pollfd p[2] = {{pr->c, POLLIN, 0}, {pr->u, POLLIN, 0}};
	char buf[65536];
	int first = 1;
	while (poll(p, 2, 30000) > 0) {
		int from = (p[0].revents & (POLLIN | POLLHUP)) ? 0 : 1;
		ssize_t k = recv(p[from].fd, buf, sizeof buf, 0);
		if (k <= 0)
			break;
		if (from == 0 && first && k > 21 && memcmp(buf, "POST /v1/submissions ", 21) == 0 &&
		    atomic_exchange(&pr->rl->hold, 0)) {
			atomic_store(&pr->rl->held, 1);
			while (atomic_load(&pr->rl->held) == 1)
				usleep(10000);
		}
		if (from == 0)
			first = 0;
		if (send(p[1 - from].fd, buf, (size_t)k, MSG_NOSIGNAL) != k)
			break;
	}
	close(pr->c);
	close(pr->u);
	free(pr);
	return NULL;
}

static void *relay_main(void *arg)
{
	relay *rl = arg;
	while (!atomic_load(&rl->stop)) {
		struct pollfd p = {rl->lfd, POLLIN, 0};
		if (poll(&p, 1, 100) != 1)
			continue;
		int c = accept(rl->lfd, NULL, NULL);
		if (c < 0)
			continue;
		relay_pair *pr = malloc(sizeof *pr);
		pr->c = c;
		pr->u = kc_dial(rl->drop_port);
		pr->rl = rl;
		pthread_t th;
		pthread_create(&th, NULL, relay_conn, pr);
		pthread_detach(th);
	}
	return NULL;
}

/* A small envelope under a fresh id; its status. */
static int submit_one(const drop *d, const membuf *env, const char *pow, char e[64])
{
	uint8_t id[16];
	resp r;
	randombytes_buf(id, 16);
	post_submission(d, id, env, pow, NULL, &r);
	int st = r.status;
	if (e != NULL)
		snprintf(e, 64, "%s", r.error);
	resp_free(&r);
	return st;
}

START_TEST(stockpiled_challenges_refused)
{
	drop d;
	resp r;
	membuf env;
	char cheap[256], e[64], mhdr[512], body[2048];
	uint8_t ch[72];
	uint8_t nr[32] = {7};
	drop_up(&d, "pow_max_bits = 12\n", keystring);
	gd_source_keys *s =
		test_source("zoom abacus yo-yo able ablaze abide zoologist felt-tip", nr);
	drop_envelope(&d, s, "load", 0, &env, NULL);
	/* while the drop is quiet: cheap challenges, solved and kept */
	ck_assert_uint_eq(pow_bits(d.port, "purpose=submit"), 4);
	pow_header(d.port, "submit", 0, cheap, sizeof cheap);
	size_t n = mb_challenge(&d, mhdr, sizeof mhdr, ch);
	/* the worker's submission is held on its way, its challenge solved at 4 bits */
	relay rl = {.drop_port = d.port};
	rl.lfd = test_listen(&rl.port, 16);
	atomic_store(&rl.hold, 1);
	pthread_t th;
	pthread_create(&th, NULL, relay_main, &rl);
	pid_t pid = fork();
	if (pid == 0) {
		char cmd[2048];
		snprintf(cmd, sizeof cmd,
			 "echo held | %s submit --server http://127.0.0.1:%u --newsroom %s "
			 "--clearnet "
			 "--unlisted-server --no-reply >%s/relay.out 2>%s/relay.err",
			 GHOSTDROP, rl.port, keystring, d.dir, d.dir);
		int st = system(cmd);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 99);
	}
	for (int i = 0; i < 3000 && !atomic_load(&rl.held); i++)
		usleep(10000);
	ck_assert(atomic_load(&rl.held));
	/* then the drop gets busy: over 40 writes in one 10-second window */
	for (int i = 0; i < 45; i++)
		ck_assert_int_eq(submit_one(&d, &env, NULL, NULL), 201);
	unsigned bits = 4;
	for (int i = 0; i < 150 && bits == 4; i++) {
		usleep(100000);
		bits = pow_bits(d.port, "purpose=submit");
	}
	ck_assert_uint_gt(bits, 4);
	/* the stockpiled solutions are refused: a submission... */
	ck_assert_int_eq(submit_one(&d, &env, cheap, e), 403);
	ck_assert_str_eq(e, "pow_outdated");
	/* ...and a mailbox fetch */
	mb_body(body, sizeof body, s, ch, n, s->mailbox_sk, NULL);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/mailbox/fetch", mhdr, body, strlen(body), &r),
			 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_outdated");
	resp_free(&r);
	/* the worker's held submission is refused too; it solves a new challenge and succeeds */
	atomic_store(&rl.held, 2);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	char path[256];
	snprintf(path, sizeof path, "%s/relay.err", d.dir);
	FILE *f = fopen(path, "r");
	size_t k = fread(err, 1, sizeof err - 1, f);
	err[k] = '\0';
	fclose(f);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker exit %d: %s", WEXITSTATUS(st),
		      err);
	atomic_store(&rl.stop, 1);
	pthread_join(th, NULL);
	close(rl.lfd);
	membuf_free(&env);
	sodium_free(s);
	drop_destroy(&d);
}
END_TEST

/* ---- item 10: a mailbox stuffed with junk ---- */

START_TEST(stuffed_mailbox)
{
	drop d;
	resp r;
	char code[256], e[64];
	drop_up(&d, "max_mailbox_replies = 16\n", keystring);
	gd_source_keys *s = new_source(&d, code);
	uint8_t *blob;
	size_t blen;
	ck_assert_int_eq(gd_reply_seal(&blob, &blen, "The real answer.", 16, s->mailbox_id,
				       gd_day(time(NULL)), d.jsk, s->reply_pk),
			 GD_OK);
	ck_assert_int_eq(push(&d, s->mailbox_id, blob, blen, NULL), 201);
	/* a stolen token pushes junk of the largest size a push takes: 15 x 190 kB is far past the
	 * worker's 1 MiB answer, and fills the mailbox */
	int pushed = 0, st;
	do {
		uint8_t *j = junk(190000);
		st = push(&d, s->mailbox_id, j, 190000, e);
		free(j);
	} while (st == 201 && ++pushed < 40);
	ck_assert_int_eq(st, 409);
	ck_assert_str_eq(e, "mailbox_full");
	ck_assert_int_eq(pushed, 15);
	/* pages: at most `limit` replies, then a cursor */
	mb_request(&d, s, "/v1/mailbox/fetch", ",\"limit\":1", &r);
	ck_assert_int_eq(r.status, 200);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
	ck_assert_uint_eq(json_array_size(json_object_get(o, "replies")), 1);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(o, "next")));
	json_decref(o);
	resp_free(&r);
	/* the worker pages through everything, shows the genuine reply, counts the junk */
	ck_assert_int_eq(gd(&d, "replies " SERVER " --codename-file %s", d.port, keystring, code),
			 0);
	ck_assert_msg(strstr(out, "The real answer.") != NULL, "out: %s err: %s", out, err);
	ck_assert_msg(strstr(err, "15 replies could not be read") != NULL, "%s", err);
	/* --ack clears the junk with the rest: the mailbox takes replies again */
	ck_assert_int_eq(
		gd(&d, "replies " SERVER " --codename-file %s --ack", d.port, keystring, code), 0);
	uint8_t *j = junk(2000);
	ck_assert_int_eq(push(&d, s->mailbox_id, j, 2000, NULL), 201);
	free(j);
	free(blob);
	sodium_free(s);
	drop_destroy(&d);
}
END_TEST

/* ---- item 16: an acknowledged reply pushed again ---- */

START_TEST(acked_reply_pushed_again)
{
	drop d;
	char code[256], e[64];
	drop_up(&d, NULL, keystring);
	gd_source_keys *s = new_source(&d, code);
	uint8_t *blob;
	size_t blen;
	ck_assert_int_eq(gd_reply_seal(&blob, &blen, "Only once, please.", 18, s->mailbox_id,
				       gd_day(time(NULL)), d.jsk, s->reply_pk),
			 GD_OK);
	ck_assert_int_eq(push(&d, s->mailbox_id, blob, blen, NULL), 201);
	ck_assert_int_eq(push(&d, s->mailbox_id, blob, blen, e),
			 200); /* a retried push: one copy */
	ck_assert_int_eq(gd(&d, "replies " SERVER " --codename-file %s --json --ack", d.port,
			    keystring, code),
			 0);
	json_t *o = json_loads(out, 0, NULL);
	ck_assert_uint_eq(json_array_size(json_object_get(o, "replies")), 1);
	json_decref(o);
	/* pushed again after the source acknowledged it: refused, and not shown */
	ck_assert_int_eq(push(&d, s->mailbox_id, blob, blen, e), 409);
	ck_assert_str_eq(e, "reply_acknowledged");
	ck_assert_int_eq(gd(&d, "replies " SERVER " --codename-file %s", d.port, keystring, code),
			 0);
	ck_assert_msg(strstr(out, "Only once") == NULL, "shown again: %s", out);
	ck_assert(strstr(err, "No replies are waiting") != NULL);
	/* the same text sealed anew is a new reply (a journalist who writes again) */
	free(blob);
	ck_assert_int_eq(gd_reply_seal(&blob, &blen, "Only once, please.", 18, s->mailbox_id,
				       gd_day(time(NULL)), d.jsk, s->reply_pk),
			 GD_OK);
	ck_assert_int_eq(push(&d, s->mailbox_id, blob, blen, NULL), 201);
	free(blob);
	sodium_free(s);
	drop_destroy(&d);
}
END_TEST

/* ---- item 17: strict bodies ---- */

START_TEST(strict_bodies)
{
	drop d;
	resp r;
	uint8_t nr[32] = {7};
	drop_up(&d, NULL, keystring);
	gd_source_keys *s =
		test_source("zoom abacus yo-yo able ablaze abide zoologist felt-tip", nr);
	/* courier ack: one field, no other */
	const char *ack =
		"{\"ack_key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"also\":1}";
	ck_assert_int_eq(http_do(d.port, "POST",
				 "/v1/courier/submissions/AAAAAAAAAAAAAAAAAAAAAA/ack",
				 drop_auth(&d), ack, strlen(ack), &r),
			 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.error, "bad_request");
	resp_free(&r);
	/* mailbox fetch and ack: an unknown field, a limit out of range */
	static const char *const extra[] = {",\"also\":1", ",\"limit\":0", ",\"limit\":101",
					    ",\"cursor\":\"!\"", ",\"ids\":[]"};
	for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
		mb_request(&d, s, "/v1/mailbox/fetch", extra[i], &r);
		ck_assert_msg(r.status == 400, "fetch %s: %d", extra[i], r.status);
		ck_assert_str_eq(r.error, "bad_request");
		resp_free(&r);
	}
	mb_request(&d, s, "/v1/mailbox/ack", ",\"ids\":[],\"also\":1", &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.error, "bad_request");
	resp_free(&r);
	mb_request(&d, s, "/v1/mailbox/ack", ",\"ids\":[]", &r);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	/* a courier's reply push: two fields */
	uint8_t *b = junk(2000);
	char *bb = malloc(4000), mb[32], body[4200];
	test_b64(bb, 4000, b, 2000);
	test_b64(mb, sizeof mb, s->mailbox_id, 16);
	snprintf(body, sizeof body, "{\"mailbox_id\":\"%s\",\"reply\":\"%s\",\"day\":1}", mb, bb);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/courier/replies", drop_auth(&d), body,
				 strlen(body), &r),
			 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.error, "bad_request");
	resp_free(&r);
	free(bb);
	free(b);
	sodium_free(s);
	drop_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mailbox_attack");
	TCase *tc = tcase_create("attacks");
	const char *only = getenv("MB_ONLY"); /* MB_ONLY=stuffed_mailbox: that test alone */
	tcase_set_timeout(tc, 240);
#define ADD(t)                                                                                     \
	if (only == NULL || strcmp(only, #t) == 0)                                                 \
	tcase_add_test(tc, t)
	ADD(signature_before_spending);
	ADD(strict_bodies);
	ADD(acked_reply_pushed_again);
	ADD(stuffed_mailbox);
	ADD(stockpiled_challenges_refused);
	ADD(flood_of_junk_fetches);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
