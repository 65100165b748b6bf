/* ghostdrop integration-test helpers: a throwaway drop (real ghostdropd on 127.0.0.1), a tiny
 * blocking HTTP client, and the requests and CLI runs the integration tests share. */
#include "daemon.h"

#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gdcrypto.h"
#include "testutil.h"

#ifndef GHOSTDROPD
#error GHOSTDROPD must name the daemon binary
#endif

int drop_cli(const drop *d, char *out, size_t cap, const char *fmt, ...)
{
	char args[1024], cmd[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "%s %s 2>>%s/cli.log", GHOSTDROPD, args, d->dir);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = out ? fread(out, 1, cap - 1, p) : 0;
	if (out)
		out[n] = '\0';
	else
		while (fgetc(p) != EOF)
			;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void drop_create(drop *d, const char *extra)
{
	char ks[GD_KEYSTRING_LEN + 1], path[256];
	memset(d, 0, sizeof *d);
	snprintf(d->dir, sizeof d->dir, "/tmp/gd-drop-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->dir));
	crypto_sign_keypair(d->root_pk, d->root_sk);
	crypto_box_keypair(d->jpk, d->jsk);
	gd_keystring_encode(ks, d->root_pk);
	ck_assert_int_eq(drop_cli(d, NULL, 0,
				  "init --data %s/data --newsroom %s --listen 127.0.0.1:0", d->dir,
				  ks),
			 0);
	/* test settings: cheap PoW, short deadlines */
	snprintf(path, sizeof path, "%s/data/ghostdropd.conf", d->dir);
	FILE *f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
		"pow_min_bits = 4\npow_max_bits = 8\nchunk_size_kb = 64\nmax_submit_kb = 64\n%s\n",
		extra ? extra : "");
	fclose(f);
	gd_bundle *b = calloc(1, sizeof *b);
	int64_t now = (int64_t)time(NULL);
	b->version = 1;
	b->created = now - 60;
	b->expires = now + 30 * 86400;
	b->n_servers = 1;
	snprintf(b->servers[0], sizeof b->servers[0], "http://127.0.0.1:8080");
	b->n_journalists = 1;
	snprintf(b->journalists[0].name, sizeof b->journalists[0].name, "Ana");
	memcpy(b->journalists[0].pk, d->jpk, 32);
	b->journalists[0].not_before = now - 60;
	b->journalists[0].not_after = now + 29 * 86400;
	ck_assert_int_eq(gd_bundle_sign(&d->bundle, &d->bundle_len, b, d->root_sk), GD_OK);
	free(b);
	snprintf(path, sizeof path, "%s/bundle.gdkb", d->dir);
	f = fopen(path, "wb");
	fwrite(d->bundle, 1, d->bundle_len, f);
	fclose(f);
	ck_assert_int_eq(drop_cli(d, NULL, 0, "keys publish --data %s/data %s", d->dir, path), 0);
	ck_assert_int_eq(drop_cli(d, d->token, sizeof d->token,
				  "token add --data %s/data --name courier", d->dir),
			 0);
	d->token[strcspn(d->token, "\n")] = '\0';
	ck_assert_uint_eq(strlen(d->token), 43);
}

/* The seccomp sandbox, except under AddressSanitizer, whose runtime makes system calls of its
 * own (LeakSanitizer stops the world with ptrace at exit). */
#if defined(__SANITIZE_ADDRESS__)
#define DROP_SECCOMP 0
#else
#define DROP_SECCOMP 1
#endif

void drop_start(drop *d)
{
	char portfile[256], log[256];
	snprintf(portfile, sizeof portfile, "%s/port", d->dir);
	snprintf(log, sizeof log, "%s/daemon.log", d->dir);
	unlink(portfile);
	if (geteuid() == 0) { /* the unprivileged user the drop becomes must own its files */
		char cmd[400];
		snprintf(cmd, sizeof cmd, "chown -R nobody:nogroup %s", d->dir);
		ck_assert_int_eq(system(cmd), 0);
	}
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char data[256];
		snprintf(data, sizeof data, "%s/data", d->dir);
		FILE *f = freopen(log, "a", stderr);
		(void)f;
		if (d->preload != NULL) {
			/* a sanitizer runtime wants to be first; the shim is a test helper */
			char asan[512];
			const char *old = getenv("ASAN_OPTIONS");
			snprintf(asan, sizeof asan, "%s%sverify_asan_link_order=0", old ? old : "",
				 old ? ":" : "");
			setenv("ASAN_OPTIONS", asan, 1);
			setenv("LD_PRELOAD", d->preload, 1);
		}
		for (int i = 0; i < 4 && d->env[i] != NULL; i++)
			putenv((char *)d->env[i]);
		const char *argv[12] = {"ghostdropd", "serve",       "--data",
					data,         "--port-file", portfile};
		int n = 6;
		if (geteuid() ==
		    0) { /* ghostdropd refuses to serve as root: as an operator would */
			argv[n++] = "--user";
			argv[n++] = "nobody";
		}
		if (DROP_SECCOMP) /* every daemon test also proves the sandbox's list complete */
			argv[n++] = "--seccomp";
		argv[n] = NULL;
		execv(GHOSTDROPD, (char *const *)argv);
		_exit(127);
	}
	d->pid = pid;
	for (int i = 0; i < 3000; i++) { /* up to 30 s: tests may slow every fsync down */
		FILE *f = fopen(portfile, "r");
		unsigned p = 0;
		if (f != NULL && fscanf(f, "%u", &p) == 1 && p > 0) {
			fclose(f);
			d->port = (uint16_t)p;
			return;
		}
		if (f)
			fclose(f);
		usleep(10000);
	}
	ck_abort_msg("ghostdropd did not start (see %s)", log);
}

void drop_stop(drop *d, int sig)
{
	int st;
	if (d->pid <= 0)
		return;
	kill(d->pid, sig);
	ck_assert_int_eq(waitpid(d->pid, &st, 0), d->pid);
	if (sig == SIGTERM)
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			      "ghostdropd did not stop cleanly");
	d->pid = 0;
}

void drop_destroy(drop *d)
{
	char cmd[256];
	drop_stop(d, SIGKILL);
	free(d->bundle);
	snprintf(cmd, sizeof cmd, "rm -rf %s", d->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", d->dir);
}

static int dial(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {20, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int http_do(uint16_t port, const char *method, const char *path, const char *headers,
	    const void *body, size_t len, resp *r)
{
	char head[4096];
	memset(r, 0, sizeof *r);
	int fd = dial(port);
	if (fd < 0)
		return -1;
	int n = snprintf(head, sizeof head,
			 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			 "Content-Length: %zu\r\n%s\r\n",
			 method, path, len, headers ? headers : "");
	if (send(fd, head, (size_t)n, MSG_NOSIGNAL) != n ||
	    (len > 0 && send(fd, body, len, MSG_NOSIGNAL) != (ssize_t)len)) {
		/* the server may answer early and close: read what it said */
	}
	size_t cap = 1 << 16, got = 0;
	uint8_t *buf = malloc(cap);
	ssize_t k;
	while ((k = recv(fd, buf + got, cap - got, 0)) > 0) {
		got += (size_t)k;
		if (got == cap)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	uint8_t *end = NULL;
	for (size_t i = 0; i + 4 <= got; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i + 4;
			break;
		}
	if (end == NULL || sscanf((char *)buf, "HTTP/1.1 %d", &r->status) != 1) {
		free(buf);
		return -1;
	}
	r->len = got - (size_t)(end - buf);
	r->body = malloc(r->len + 1);
	memcpy(r->body, end, r->len);
	r->body[r->len] = '\0';
	free(buf);
	json_t *o = json_loadb((char *)r->body, r->len, 0, NULL);
	const char *e = json_string_value(json_object_get(o, "error"));
	if (e != NULL)
		snprintf(r->error, sizeof r->error, "%s", e);
	json_decref(o);
	return 0;
}

void resp_free(resp *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

int pow_try(uint16_t port, const char *purpose, uint64_t size, char *out, size_t cap)
{
	char path[128];
	resp r;
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	size_t n;
	uint64_t ctr;
	snprintf(path, sizeof path, "/v1/pow?purpose=%s&size=%llu", purpose,
		 (unsigned long long)size);
	if (http_do(port, "POST", path, NULL, NULL, 0, &r) != 0)
		return -1;
	json_t *o = r.status == 200 ? json_loadb((char *)r.body, r.len, 0, NULL) : NULL;
	const char *c = json_string_value(json_object_get(o, "challenge"));
	int rc = c != NULL && gd_b64_decode(ch, sizeof ch, &n, c, strlen(c)) == GD_OK &&
				 n == sizeof ch && gd_pow_solve(&ctr, ch) == GD_OK
			 ? 0
			 : -1;
	if (rc == 0)
		snprintf(out, cap, "%s.%llu", c, (unsigned long long)ctr);
	json_decref(o);
	resp_free(&r);
	return rc;
}

void pow_header(uint16_t port, const char *purpose, uint64_t size, char *out, size_t cap)
{
	ck_assert_int_eq(pow_try(port, purpose, size, out, cap), 0);
}

int64_t drop_now(const drop *d)
{
	resp r;
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	gd_pow_challenge c;
	ck_assert_int_eq(http_do(d->port, "POST", "/v1/pow?purpose=submit", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
	const char *s = json_string_value(json_object_get(o, "challenge"));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(gd_b64_decode_exact(ch, sizeof ch, s), GD_OK);
	ck_assert_int_eq(gd_pow_parse(&c, ch), GD_OK);
	int64_t now = c.expires - json_integer_value(json_object_get(o, "expires_in"));
	json_decref(o);
	resp_free(&r);
	return now;
}

/* Wait until the daemon's time() reaches `t` (a few seconds of real time at most). */
static void now_reaches(const drop *d, int64_t t)
{
	for (int i = 0; drop_now(d) < t; i++) {
		ck_assert_msg(i < 3000, "the daemon's clock did not move (timeshift shim?)");
		usleep(2000);
	}
}

void drop_jump(const drop *d, int steps)
{
	for (int i = 0; i < steps; i++) {
		int64_t t = drop_now(d);
		ck_assert_int_eq(kill(d->pid, SIGUSR1), 0); /* standard signals do not queue */
		now_reaches(d, t + 600);
	}
}

void drop_advance(const drop *d, unsigned seconds)
{
	int64_t t = drop_now(d);
	for (unsigned i = 0; i < seconds; i++)
		ck_assert_int_eq(kill(d->pid, SIGRTMIN), 0);
	now_reaches(d, t + seconds);
	(void)drop_now(d); /* one more wake-up: the timers due by then have run before it answers */
}

unsigned pow_bits(uint16_t port, const char *query)
{
	resp r;
	char path[128];
	snprintf(path, sizeof path, "/v1/pow?%s", query);
	ck_assert_int_eq(http_do(port, "POST", path, NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
	unsigned bits = (unsigned)json_integer_value(json_object_get(o, "bits"));
	json_decref(o);
	resp_free(&r);
	return bits;
}

void drop_publish_for_port(drop *d)
{
	char path[256];
	gd_bundle *b = calloc(1, sizeof *b);
	ck_assert_int_eq(gd_bundle_verify(b, d->bundle, d->bundle_len, d->root_pk, time(NULL), 0),
			 GD_OK);
	b->version = 2;
	snprintf(b->servers[0], sizeof b->servers[0], "http://127.0.0.1:%u", d->port);
	free(d->bundle);
	ck_assert_int_eq(gd_bundle_sign(&d->bundle, &d->bundle_len, b, d->root_sk), GD_OK);
	free(b);
	snprintf(path, sizeof path, "%s/bundle2.gdkb", d->dir);
	FILE *f = fopen(path, "wb");
	fwrite(d->bundle, 1, d->bundle_len, f);
	fclose(f);
	ck_assert_int_eq(drop_cli(d, NULL, 0, "keys publish --data %s/data %s", d->dir, path), 0);
}

void drop_fetch_all(const drop *d, drop_stored *st)
{
	resp r;
	memset(st, 0, sizeof *st);
	ck_assert_int_eq(
		http_do(d->port, "GET", "/v1/courier/submissions", drop_auth(d), NULL, 0, &r), 0);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL), *v;
	resp_free(&r);
	size_t i;
	json_array_foreach (json_object_get(o, "submissions"), i, v) {
		char path[128];
		snprintf(path, sizeof path, "/v1/courier/submissions/%s",
			 json_string_value(json_object_get(v, "id")));
		ck_assert_int_eq(http_do(d->port, "GET", path, drop_auth(d), NULL, 0, &r), 0);
		ck_assert_int_eq(r.status, 200);
		membuf env = {.buf = r.body, .len = r.len};
		boxkey k;
		memcpy(k.pk, d->jpk, 32);
		memcpy(k.sk, d->jsk, 32);
		gd_open_result res;
		ck_assert_uint_lt(st->n, 40);
		ck_assert_int_eq(open_from(&env, &k, 1, &st->s[st->n], &res), GD_OK);
		st->n++;
		resp_free(&r);
	}
	json_decref(o);
}

void drop_stored_free(drop_stored *st)
{
	for (size_t i = 0; i < st->n; i++)
		sink_free(&st->s[i]);
}

void drop_courier_copy_is(const drop *d, const uint8_t id[16], const membuf *env)
{
	char idb[32], path[128];
	resp r;
	test_b64(idb, sizeof idb, id, 16);
	snprintf(path, sizeof path, "/v1/courier/submissions/%s", idb);
	ck_assert_int_eq(http_do(d->port, "GET", path, drop_auth(d), NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert(r.len == env->len && memcmp(r.body, env->buf, r.len) == 0);
	resp_free(&r);
}

size_t drop_count_stored(const drop *d)
{
	resp r;
	ck_assert_int_eq(
		http_do(d->port, "GET", "/v1/courier/submissions", drop_auth(d), NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	json_t *o = json_loadb((const char *)r.body, r.len, 0, NULL);
	ck_assert_ptr_nonnull(o);
	size_t n = json_array_size(json_object_get(o, "submissions"));
	json_decref(o);
	resp_free(&r);
	return n;
}

const char *drop_auth(const drop *d)
{
	static char h[128];
	snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", d->token);
	return h;
}

void test_b64(char *out, size_t cap, const uint8_t *b, size_t n)
{
	ck_assert_int_eq(gd_b64_encode(out, cap, b, n), GD_OK);
}

void drop_envelope(const drop *d, const gd_source_keys *src, const char *text, size_t att_len,
		   membuf *out, uint8_t ack[32])
{
	gd_manifest m;
	gd_attachment a = {"notes.bin", "application/octet-stream", att_len};
	uint8_t *data = malloc(att_len + 1);
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < att_len; i++)
		data[i] = (uint8_t)(i * 13);
	test_manifest(&m, text, src);
	m.attachments = &a;
	m.n_attachments = att_len > 0;
	memset(out, 0, sizeof *out);
	ck_assert_int_eq(seal_to(out, (const uint8_t(*)[32])d->jpk, 1, &m, src, data, att_len, ack),
			 GD_OK);
	free(data);
}

void post_submission(const drop *d, const uint8_t id[16], const membuf *env, const char *pow,
		     const char *ctype, resp *r)
{
	char hdr[1024], p[256], idb[32], hb[64];
	uint8_t h[32];
	if (pow == NULL) {
		pow_header(d->port, "submit", 0, p, sizeof p);
		pow = p;
	}
	crypto_generichash(h, 32, env->buf, env->len, NULL, 0);
	test_b64(idb, sizeof idb, id, 16);
	test_b64(hb, sizeof hb, h, 32);
	snprintf(hdr, sizeof hdr,
		 "Content-Type: %s\r\nX-Ghostdrop-Id: %s\r\nX-Ghostdrop-Hash: %s\r\n"
		 "X-Ghostdrop-PoW: %s\r\n",
		 ctype ? ctype : "application/octet-stream", idb, hb, pow);
	ck_assert_int_eq(http_do(d->port, "POST", "/v1/submissions", hdr, env->buf, env->len, r),
			 0);
}

void drop_up(drop *d, const char *extra, char keystring[GD_KEYSTRING_LEN + 1])
{
	drop_create(d, extra);
	drop_start(d);
	drop_publish_for_port(d);
	gd_keystring_encode(keystring, d->root_pk);
}

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

int drop_vrun(const drop *d, const char *bin, const char *in, char *out, char *err, size_t cap,
	      const char *fmt, va_list ap)
{
	char args[2048], cmd[4096], pin[256], pout[256], perr[256];
	vsnprintf(args, sizeof args, fmt, ap);
	snprintf(pin, sizeof pin, "%s/in", d->dir);
	snprintf(pout, sizeof pout, "%s/out", d->dir);
	snprintf(perr, sizeof perr, "%s/err", d->dir);
	FILE *f = fopen(pin, "w");
	ck_assert_ptr_nonnull(f);
	fputs(in ? in : "", f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "setsid %s %s <%s >%s 2>%s", bin, args, pin, pout, perr);
	int st = system(cmd);
	slurp(pout, out, cap);
	slurp(perr, err, cap);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int drop_run(const drop *d, const char *bin, const char *in, char *out, char *err, size_t cap,
	     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = drop_vrun(d, bin, in, out, err, cap, fmt, ap);
	va_end(ap);
	return rc;
}

gd_source_keys *source_of_codename_file(const drop *d, const char *path)
{
	char line[256], canon[GD_CODENAME_MAX];
	int bad;
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	fclose(f);
	ck_assert_int_eq(gd_codename_normalise(canon, sizeof canon, line, strlen(line), &bad),
			 GD_OK);
	return test_source(canon, d->root_pk);
}
