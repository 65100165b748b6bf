/* ghostdrop-desk fetch against a hostile drop: a fake drop on 127.0.0.1 (a thread) that lies in
 * its listing, its Content-Length and its envelope headers, driving the real binary. The batch
 * never holds more than the listing declares, and the exit code says what happened. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch.h"
#include "check_main.h"
#include "testutil.h"

#ifndef DESK_BIN
#error DESK_BIN must name the ghostdrop-desk binary
#endif

#define EX_MISMATCH 8 /* docs/ghostdrop-desk.1 */

enum { M_OK, M_BIG_LENGTH, M_SHORT_LENGTH, M_EXTRA };

typedef struct {
	char id[32];
	uint8_t *body;
	size_t len;
	uint64_t listed;
	int mode;
} fake_sub;

typedef struct {
	int lfd;
	uint16_t port;
	volatile int stop;
	pthread_t t;
	fake_sub subs[8];
	int n;
	const char *listing;      /* the listing's body as is, or NULL to list subs */
	uint64_t listing_claim;   /* a Content-Length to claim for the listing (0: the truth) */
	int silent;               /* accept, read, never answer */
	volatile int connections; /* accepted so far */
} fake_drop;

static char T[64], err[16384];

static void send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
		if (k <= 0)
			return;
		b += k;
		n -= (size_t)k;
	}
}

static void answer(fake_drop *d, int fd, const char *path)
{
	char head[256];
	if (strcmp(path, "/v1/courier/submissions") == 0) {
		char *gen = NULL;
		const char *body = d->listing;
		if (body == NULL) {
			size_t cap = 128 + 128 * (size_t)d->n, o = 0;
			gen = malloc(cap);
			o += (size_t)snprintf(gen + o, cap - o, "{\"submissions\":[");
			for (int i = 0; i < d->n; i++)
				o += (size_t)snprintf(gen + o, cap - o,
						      "%s{\"id\":\"%s\",\"size\":%llu,\"day\":"
						      "20000,\"fetched\":false}",
						      i ? "," : "", d->subs[i].id,
						      (unsigned long long)d->subs[i].listed);
			snprintf(gen + o, cap - o, "]}");
			body = gen;
		}
		size_t len = strlen(body);
		snprintf(head, sizeof head,
			 "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\nConnection: close\r\n\r\n",
			 (unsigned long long)(d->listing_claim ? d->listing_claim : len));
		send_all(fd, head, strlen(head));
		send_all(fd, body, len);
		free(gen);
		return;
	}
	const char *q = strchr(path, '?');
	unsigned long long off =
		q != NULL && strncmp(q, "?offset=", 8) == 0 ? strtoull(q + 8, NULL, 10) : 0;
	const char *idp = path + strlen("/v1/courier/submissions/");
	for (int i = 0; i < d->n; i++) {
		fake_sub *s = &d->subs[i];
		if (strncmp(idp, s->id, strlen(s->id)) != 0 || off > s->len)
			continue;
		uint64_t claim = s->len - off;
		if (s->mode == M_BIG_LENGTH)
			claim = 4ULL << 30;
		else if (s->mode == M_SHORT_LENGTH)
			claim = 1000;
		snprintf(head, sizeof head,
			 "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\nConnection: close\r\n\r\n",
			 (unsigned long long)claim);
		send_all(fd, head, strlen(head));
		if (s->mode == M_SHORT_LENGTH) {
			send_all(fd, s->body + off, 1000);
		} else if (s->mode == M_BIG_LENGTH) { /* up to 8 MiB, then it gives up */
			static uint8_t zeros[65536];
			for (int k = 0; k < 128; k++)
				send_all(fd, zeros, sizeof zeros);
		} else {
			send_all(fd, s->body + off, s->len - off);
			if (s->mode == M_EXTRA) { /* a body longer than declared */
				static uint8_t junk[65536];
				memset(junk, 'J', sizeof junk);
				for (int k = 0; k < 16; k++)
					send_all(fd, junk, sizeof junk);
			}
		}
		return;
	}
	const char *nf = "{\"error\":\"not_found\",\"message\":\"no such submission\"}";
	snprintf(head, sizeof head,
		 "HTTP/1.1 404 Not Found\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		 strlen(nf));
	send_all(fd, head, strlen(head));
	send_all(fd, nf, strlen(nf));
}

static void *serve(void *arg)
{
	fake_drop *d = arg;
	while (!d->stop) {
		struct pollfd p = {d->lfd, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		int fd = accept(d->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		d->connections++;
		char req[4096];
		size_t got = 0;
		ssize_t k;
		while (got < sizeof req - 1 &&
		       (k = recv(fd, req + got, sizeof req - 1 - got, 0)) > 0) {
			got += (size_t)k;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		req[got] = '\0';
		char path[512] = "";
		if (sscanf(req, "GET %511s HTTP/1.1", path) == 1 && !d->silent)
			answer(d, fd, path);
		while (d->silent && !d->stop)
			usleep(20000);
		shutdown(fd, SHUT_WR);
		close(fd);
	}
	return NULL;
}

static void drop_up(fake_drop *d)
{
	d->lfd = test_listen(&d->port, 16);
	d->stop = 0;
	ck_assert_int_eq(pthread_create(&d->t, NULL, serve, d), 0);
}

static void drop_down(fake_drop *d)
{
	d->stop = 1;
	pthread_join(d->t, NULL);
	close(d->lfd);
	for (int i = 0; i < d->n; i++)
		free(d->subs[i].body);
	memset(d, 0, sizeof *d);
}

/* A real envelope (to a throwaway key) with `extra` junk bytes after it. */
static void add_sub(fake_drop *d, int mode, size_t extra, uint64_t listed)
{
	fake_sub *s = &d->subs[d->n++];
	boxkey k;
	gd_manifest m;
	membuf env = {0};
	uint8_t id[16];
	boxkey_new(&k);
	test_manifest(&m, "a testimony", NULL);
	ck_assert_int_eq(seal_to(&env, (const uint8_t(*)[32])k.pk, 1, &m, NULL, NULL, 0, NULL),
			 GD_OK);
	s->len = env.len + extra;
	s->body = calloc(1, s->len);
	memcpy(s->body, env.buf, env.len);
	membuf_free(&env);
	s->listed = listed ? listed : s->len;
	s->mode = mode;
	randombytes_buf(id, sizeof id);
	gd_b64_encode(s->id, sizeof s->id, id, 16);
}

static int fetch(const fake_drop *d, const char *out)
{
	char cmd[2048], tok[128], pe[128];
	snprintf(tok, sizeof tok, "%s/token", T);
	FILE *f = fopen(tok, "w");
	fputs("c2VjcmV0LXRva2VuLWZvci10ZXN0cw\n", f);
	fclose(f);
	snprintf(pe, sizeof pe, "%s/err", T);
	snprintf(cmd, sizeof cmd,
		 "setsid %s fetch --server http://127.0.0.1:%u --clearnet --token-file %s --out %s "
		 "</dev/null >/dev/null 2>%s",
		 DESK_BIN, d->port, tok, out, pe);
	int st = system(cmd);
	f = fopen(pe, "r");
	err[fread(err, 1, sizeof err - 1, f)] = '\0';
	fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long long file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static void setup(void)
{
	snprintf(T, sizeof T, "/tmp/gd-hostile-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", T);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(lying_answers_are_bounded)
{
	fake_drop d = {0};
	char batch[128], part[160];
	add_sub(&d, M_OK, 0, 0);           /* a good one */
	add_sub(&d, M_BIG_LENGTH, 0, 0);   /* Content-Length 4 GiB for a 16,583-byte listing */
	add_sub(&d, M_SHORT_LENGTH, 0, 0); /* Content-Length 1000 */
	add_sub(&d, M_OK, 1024, 0);        /* listed 17,607, the envelope header says 16,583 */
	add_sub(&d, M_EXTRA, 0, 0);        /* 1 MiB more than Content-Length */
	ck_assert_uint_eq(d.subs[0].listed, 16583);
	ck_assert_uint_eq(d.subs[3].listed, 17607);
	drop_up(&d);
	snprintf(batch, sizeof batch, "%s/batch", T);
	snprintf(part, sizeof part, "%s.part", batch);
	int rc = fetch(&d, batch);
	/* never more than the declared bytes, whatever the outcome */
	long long bound = BATCH_HEADER_BYTES + BATCH_RECORD_BYTES;
	for (int i = 0; i < d.n; i++)
		bound += BATCH_RECORD_BYTES + (long long)d.subs[i].listed;
	ck_assert_int_le(file_size(batch), bound);
	ck_assert_int_le(file_size(part), bound);
	ck_assert_msg(rc == EX_MISMATCH, "exit %d: %s", rc, err);
	/* each lie named, on a line of its own */
	for (int i = 1; i <= 3; i++)
		ck_assert_msg(strstr(err, d.subs[i].id) != NULL, "%s not named: %s", d.subs[i].id,
			      err);
	ck_assert(strstr(err, d.subs[0].id) == NULL && strstr(err, d.subs[4].id) == NULL);
	ck_assert_msg(strstr(err, "tell the drop's operator") != NULL, "no next step: %s", err);
	/* the rest of the batch is there, exactly */
	ck_assert_int_eq(file_size(batch), BATCH_HEADER_BYTES + 2 * (BATCH_RECORD_BYTES + 16583) +
						   BATCH_RECORD_BYTES);
	ck_assert_int_eq(file_size(part), -1);
	int fd = open(batch, O_RDONLY);
	batch_index ix;
	char e[160];
	ck_assert_int_eq(batch_scan(fd, &ix, e, sizeof e), 0);
	close(fd);
	ck_assert(ix.complete && !ix.corrupt && ix.n == 2);
	uint8_t id0[16], id4[16];
	gd_b64_decode_exact(id0, 16, d.subs[0].id);
	gd_b64_decode_exact(id4, 16, d.subs[4].id);
	ck_assert(memcmp(ix.e[0].id, id0, 16) == 0 && memcmp(ix.e[1].id, id4, 16) == 0);
	batch_index_free(&ix);
	drop_down(&d);
}
END_TEST

/* A fetch cut in the middle of an envelope resumes with ?offset=; the drop then lies about the
 * rest (its Content-Length, or an envelope header read back from BATCH.part that announces
 * another size): the cut record is dropped, the others are fetched, exit 8. */
START_TEST(resumed_fetch_still_bounded)
{
	for (int lie = 0; lie < 2; lie++) {
		fake_drop d = {0};
		char batch[128], part[160];
		add_sub(&d, lie == 0 ? M_BIG_LENGTH : M_OK, lie == 0 ? 0 : 1024, 0);
		add_sub(&d, M_OK, 0, 0);
		fake_sub *cut = &d.subs[0];
		snprintf(batch, sizeof batch, "%s/batch%d", T, lie);
		snprintf(part, sizeof part, "%s.part", batch);
		/* BATCH.part: the header, and 5000 bytes of the first envelope */
		uint8_t h[BATCH_HEADER_BYTES], rec[BATCH_RECORD_BYTES], id[16];
		batch_header(h);
		gd_b64_decode_exact(id, 16, cut->id);
		batch_record(rec, id, 20000, cut->listed);
		FILE *f = fopen(part, "wb");
		fwrite(h, 1, sizeof h, f);
		fwrite(rec, 1, sizeof rec, f);
		fwrite(cut->body, 1, 5000, f);
		fclose(f);
		drop_up(&d);
		int rc = fetch(&d, batch);
		ck_assert_msg(rc == EX_MISMATCH, "exit %d: %s", rc, err);
		ck_assert_msg(strstr(err, cut->id) != NULL, "%s", err);
		ck_assert_int_eq(file_size(batch), BATCH_HEADER_BYTES + BATCH_RECORD_BYTES + 16583 +
							   BATCH_RECORD_BYTES);
		int fd = open(batch, O_RDONLY);
		batch_index ix;
		char e[160];
		ck_assert_int_eq(batch_scan(fd, &ix, e, sizeof e), 0);
		close(fd);
		ck_assert(ix.complete && ix.n == 1);
		batch_index_free(&ix);
		drop_down(&d);
	}
}
END_TEST

/* One listing that must be refused as a whole: exit 8, nothing written, the entry named. */
static void refuse_listing(const char *listing, uint64_t claim, const char *named)
{
	fake_drop d = {0};
	char batch[128], part[160];
	add_sub(&d, M_OK, 0, 0);
	d.listing = listing;
	d.listing_claim = claim;
	drop_up(&d);
	snprintf(batch, sizeof batch, "%s/batch", T);
	snprintf(part, sizeof part, "%s.part", batch);
	int rc = fetch(&d, batch);
	ck_assert_msg(rc == EX_MISMATCH, "exit %d for %.60s: %s", rc, listing, err);
	ck_assert_int_eq(file_size(batch), -1);
	ck_assert_int_eq(file_size(part), -1);
	ck_assert_msg(strchr(err, '\n') == strrchr(err, '\n'), "one line: %s", err);
	ck_assert_msg(strstr(err, "tell the drop's operator") != NULL, "no next step: %s", err);
	if (named != NULL)
		ck_assert_msg(strstr(err, named) != NULL, "%s not named: %s", named, err);
	drop_down(&d);
}

START_TEST(absurd_listings_refused)
{
	const char *A = "AAAAAAAAAAAAAAAAAAAAAA", *B = "BBBBBBBBBBBBBBBBBBBBBA";
	char buf[1024];
	refuse_listing("this is not JSON", 0, NULL);
	refuse_listing("{\"submissions\":{}}", 0, NULL);
	snprintf(buf, sizeof buf,
		 "{\"submissions\":[{\"id\":\"%s\",\"size\":16583,\"day\":1},"
		 "{\"id\":\"%s\",\"size\":16583,\"day\":1},{\"id\":\"%s\",\"size\":16583,\"day\":1}"
		 "]}",
		 A, B, A);
	refuse_listing(buf, 0, A); /* the same id twice */
	snprintf(buf, sizeof buf, "{\"submissions\":[{\"id\":\"%s\",\"size\":5000,\"day\":1}]}", A);
	refuse_listing(buf, 0, A); /* smaller than any envelope */
	snprintf(buf, sizeof buf, "{\"submissions\":[{\"id\":\"%s\",\"size\":16584,\"day\":1}]}",
		 A);
	refuse_listing(buf, 0, A); /* no envelope has this size */
	snprintf(buf, sizeof buf,
		 "{\"submissions\":[{\"id\":\"%s\",\"size\":2199023255552,\"day\":1}]}", A);
	refuse_listing(buf, 0, A); /* 2 TiB: over the batch's 2^40 per record */
	snprintf(buf, sizeof buf, "{\"submissions\":[{\"id\":\"%s\",\"size\":16583,\"day\":-1}]}",
		 A);
	refuse_listing(buf, 0, A);
	/* a listing that claims 1 GiB: refused before it is read */
	refuse_listing("{\"submissions\":[]}", 1ULL << 30, NULL);
	/* more entries than a batch can hold, however small each one is */
	size_t n = 1000001, len = 16 + 3 * n + 2;
	char *many = malloc(len + 1);
	size_t o = (size_t)snprintf(many, len + 1, "{\"submissions\":[");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(many + o, len + 1 - o, "%s{}", i ? "," : "");
	snprintf(many + o, len + 1 - o, "]}");
	refuse_listing(many, 0, NULL);
	free(many);
}
END_TEST

/* The desk's process cannot dump core and cannot be read through /proc or ptrace by its user:
 * seen from outside while it waits on a drop that never answers. */
START_TEST(desk_process_not_dumpable)
{
	fake_drop d = {0};
	char tok[128], batch[128];
	d.silent = 1;
	drop_up(&d);
	snprintf(tok, sizeof tok, "%s/token", T);
	FILE *f = fopen(tok, "w");
	fputs("c2VjcmV0LXRva2VuLWZvci10ZXN0cw\n", f);
	fclose(f);
	chmod(T, 0755);
	chmod(tok, 0644);
	snprintf(batch, sizeof batch, "%s/batch", T);
	char port[16], server[64];
	snprintf(port, sizeof port, "%u", d.port);
	snprintf(server, sizeof server, "http://127.0.0.1:%u", d.port);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		/* as root, run it as nobody: a dumpable process's /proc files belong to its user */
		if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(99);
		execl(DESK_BIN, DESK_BIN, "fetch", "--server", server, "--clearnet", "--token-file",
		      tok, "--out", batch, (char *)NULL);
		_exit(98);
	}
	ck_assert_int_gt(pid, 0);
	for (int i = 0; i < 500 && d.connections == 0; i++)
		usleep(10000);
	ck_assert_int_gt(d.connections, 0); /* it is running, waiting for the answer */
	assert_not_dumpable(pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	drop_down(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hostile_drop");
	TCase *tc = tcase_create("fetch");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, lying_answers_are_bounded);
	tcase_add_test(tc, resumed_fetch_still_bounded);
	tcase_add_test(tc, absurd_listings_refused);
	tcase_add_test(tc, desk_process_not_dumpable);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
