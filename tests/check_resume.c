/* Resume after any interruption (issue 16, section 3): the seeded seal is reproducible, and the
 * worker's ghostdrop, run against a real ghostdropd on 127.0.0.1 through a SOCKS5 proxy of the
 * test's own (which counts the bytes it carries, stalls, dies and comes back), continues an
 * upload after Ctrl-C, kill -9 and a lost proxy; the resumed testimony opens byte-identical. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "testutil.h"

#ifndef GHOSTDROP
#error GHOSTDROP must name the worker binary
#endif

/* ---- the seeded seal ---- */

static void seal_seeded(membuf *out, const uint8_t pks[2][32], const gd_manifest *m,
			const gd_source_keys *src, const uint8_t *att, size_t len,
			const uint8_t seed[32])
{
	gd_seal *s;
	memset(out, 0, sizeof *out);
	ck_assert_int_eq(gd_seal_new_seeded(&s, (const uint8_t(*)[32])pks, 2, m, src, membuf_write,
					    out, seed),
			 GD_OK);
	ck_assert_int_eq(gd_seal_write(s, att, len), GD_OK);
	ck_assert_int_eq(gd_seal_finish(s), GD_OK);
	gd_seal_free(s);
}

START_TEST(seeded_seal_is_reproducible)
{
	boxkey k[2];
	uint8_t pks[2][32], seed[32], att[100000];
	boxkey_new(&k[0]);
	boxkey_new(&k[1]);
	memcpy(pks[0], k[0].pk, 32);
	memcpy(pks[1], k[1].pk, 32);
	randombytes_buf(seed, sizeof seed);
	randombytes_buf(att, sizeof att);
	gd_source_keys *src =
		test_source("zoom abacus yo-yo able ablaze abide felt-tip zoologist", pks[0]);
	gd_manifest m;
	gd_attachment a = {.size = sizeof att};
	snprintf(a.name, sizeof a.name, "attachment-1.bin");
	test_manifest(&m, "the same testimony", src);
	m.attachments = &a;
	m.n_attachments = 1;
	membuf x, y, z, r;
	seal_seeded(&x, pks, &m, src, att, sizeof att, seed);
	seal_seeded(&y, pks, &m, src, att, sizeof att, seed);
	ck_assert_uint_eq(x.len, y.len);
	ck_assert(memcmp(x.buf, y.buf, x.len) == 0); /* the same bytes again */
	seed[31] ^= 1;
	seal_seeded(&z, pks, &m, src, att, sizeof att, seed);
	ck_assert_uint_eq(z.len, x.len);
	/* another seed: every stanza, the stream header, the MAC and the payload differ */
	size_t same = 0;
	for (size_t i = 14; i < x.len; i++)
		same += x.buf[i] == z.buf[i];
	ck_assert_uint_lt(same, x.len / 100);
	/* the unseeded path stays random */
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(seal_to(&r, (const uint8_t(*)[32])pks, 2, &m, src, att, sizeof att, NULL),
			 GD_OK);
	ck_assert(r.len == x.len && memcmp(r.buf + 14, x.buf + 14, 80) != 0);
	/* a seeded envelope is an ordinary one: each journalist opens it (crypto_box_seal's
	 * construction, the stream header given to init_pull), byte-identical */
	for (int j = 0; j < 2; j++) {
		sink_state st;
		gd_open_result res;
		ck_assert_int_eq(open_from(&x, &k[j], 1, &st, &res), GD_OK);
		ck_assert_uint_eq(st.data.len, sizeof att);
		ck_assert(memcmp(st.data.buf, att, sizeof att) == 0);
		sink_free(&st);
	}
	ck_assert_int_eq(gd_seal_new_seeded(&(gd_seal *){NULL}, (const uint8_t(*)[32])pks, 2, &m,
					    src, membuf_write, &r, NULL),
			 GD_ERR_INVAL);
	membuf_free(&x);
	membuf_free(&y);
	membuf_free(&z);
	membuf_free(&r);
	sodium_free(src);
}
END_TEST

/* ---- a SOCKS5 proxy that counts, stalls, dies and comes back ---- */

typedef struct {
	int lfd;
	uint16_t port;
	pthread_t thread;
	pthread_mutex_t mu;
	int dead;           /* every relay ends at once; no new connection */
	int active;         /* connection threads running */
	int conns;          /* connections accepted */
	int stall_at;       /* from this chunk request on, nothing more is relayed (0: never) */
	int puts;           /* chunk requests seen */
	int limits;         /* GET /v1/limits requests seen */
	uint64_t up_bytes;  /* bytes from the worker to the drop, after the handshakes */
	uint64_t put_bytes; /* of them, in chunk requests */
	char upload[64];    /* the upload id of the last chunk request */
} proxy;

typedef struct {
	proxy *px;
	int fd;
} pconn;

static int rd(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = recv(fd, b + got, n - got, 0);
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static int px_dead(proxy *px)
{
	pthread_mutex_lock(&px->mu);
	int d = px->dead;
	pthread_mutex_unlock(&px->mu);
	return d;
}

static void relay(proxy *px, int a, int b)
{
	uint8_t buf[65536];
	struct pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
	int in_put = 0;
	while (!px_dead(px)) {
		if (poll(p, 2, 100) < 0)
			return;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			pthread_mutex_lock(&px->mu);
			int stalled = px->stall_at > 0 && px->puts >= px->stall_at;
			pthread_mutex_unlock(&px->mu);
			if (stalled) { /* a circuit that carries nothing more */
				usleep(50000);
				continue;
			}
			ssize_t k = recv(p[i].fd, buf, sizeof buf, 0);
			if (k <= 0)
				return;
			pthread_mutex_lock(&px->mu);
			if (i == 0) {
				if (memmem(buf, (size_t)k, "PUT /v1/uploads/", 16) == buf) {
					px->puts++;
					sscanf((char *)buf + 16, "%63[A-Za-z0-9_-]", px->upload);
					in_put = 1;
				} else if (k >= 14 && memcmp(buf, "GET /v1/limits", 14) == 0) {
					px->limits++;
					in_put = 0;
				} else if (k >= 4 && (memcmp(buf, "GET ", 4) == 0 ||
						      memcmp(buf, "POST", 4) == 0)) {
					in_put = 0;
				}
				px->up_bytes += (uint64_t)k;
				if (in_put)
					px->put_bytes += (uint64_t)k;
			}
			pthread_mutex_unlock(&px->mu);
			if (send(p[1 - i].fd, buf, (size_t)k, MSG_NOSIGNAL) != k)
				return;
		}
	}
}

static void serve(proxy *px, int c)
{
	uint8_t b[600];
	if (rd(c, b, 3) != 0)
		return;
	send(c, "\x05\x02", 2, MSG_NOSIGNAL);
	if (rd(c, b, 2) != 0 || rd(c, b + 2, b[1] + 1u) != 0)
		return;
	size_t ul = b[1];
	if (rd(c, b + 3 + ul, b[2 + ul]) != 0)
		return;
	send(c, "\x01\x00", 2, MSG_NOSIGNAL);
	if (rd(c, b, 5) != 0 || b[3] != 3)
		return;
	size_t hl = b[4];
	if (rd(c, b + 5, hl + 2) != 0)
		return;
	char host[256];
	memcpy(host, b + 5, hl);
	host[hl] = '\0';
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)(b[5 + hl] << 8 | b[6 + hl]))};
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(s, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(s);
		return;
	}
	send(c, "\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00", 10, MSG_NOSIGNAL);
	relay(px, c, s);
	close(s);
}

static void *conn_main(void *arg)
{
	pconn *pc = arg;
	proxy *px = pc->px;
	serve(px, pc->fd);
	close(pc->fd);
	free(pc);
	pthread_mutex_lock(&px->mu);
	px->active--;
	pthread_mutex_unlock(&px->mu);
	return NULL;
}

static void *accept_main(void *arg)
{
	proxy *px = arg;
	while (!px_dead(px)) {
		struct pollfd p = {px->lfd, POLLIN, 0};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept4(px->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		pconn *pc = malloc(sizeof *pc);
		pthread_t t;
		pc->px = px;
		pc->fd = c;
		pthread_mutex_lock(&px->mu);
		px->active++;
		px->conns++;
		pthread_mutex_unlock(&px->mu);
		ck_assert_int_eq(pthread_create(&t, NULL, conn_main, pc), 0);
		pthread_detach(t);
	}
	return NULL;
}

/* Listen on port (0: any free one) and serve. */
static void proxy_up(proxy *px, uint16_t port)
{
	int one = 1;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t sl = sizeof sin;
	if (port == 0) {
		memset(px, 0, sizeof *px);
		pthread_mutex_init(&px->mu, NULL);
	}
	/* SO_REUSEADDR: the same port again at once */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	px->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); /* not the worker's */
	setsockopt(px->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	ck_assert_int_eq(bind(px->lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(px->lfd, 16), 0);
	ck_assert_int_eq(getsockname(px->lfd, (struct sockaddr *)&sin, &sl), 0);
	px->port = ntohs(sin.sin_port);
	px->dead = 0;
	ck_assert_int_eq(pthread_create(&px->thread, NULL, accept_main, px), 0);
}

/* Tor stops: the listener closes and every stream through it breaks. */
static void proxy_down(proxy *px)
{
	pthread_mutex_lock(&px->mu);
	px->dead = 1;
	pthread_mutex_unlock(&px->mu);
	pthread_join(px->thread, NULL);
	close(px->lfd);
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&px->mu);
		int active = px->active;
		pthread_mutex_unlock(&px->mu);
		if (active == 0)
			break;
		usleep(10000);
	}
	ck_assert_int_eq(px->active, 0);
}

static int px_get(proxy *px, const int *field)
{
	pthread_mutex_lock(&px->mu);
	int v = *field;
	pthread_mutex_unlock(&px->mu);
	return v;
}

static uint64_t px_put_bytes(proxy *px)
{
	pthread_mutex_lock(&px->mu);
	uint64_t v = px->put_bytes;
	pthread_mutex_unlock(&px->mu);
	return v;
}

/* ---- the worker's runs ---- */

static char err[65536];
static char keystring[GD_KEYSTRING_LEN + 1];

typedef struct {
	drop d;
	proxy px;
	char work[200], home[200], tmp[200], state[200], file[256];
	char shm[64]; /* the run's XDG_RUNTIME_DIR, on tmpfs: a copy mat2 cleans goes there */
	uint8_t *data;
	size_t len;
	const char *scheme; /* how --server is spelt: "http" (NULL) or another case */
} rig;

static void mkdir_in(char *out_path, size_t cap, const char *dir, const char *name)
{
	snprintf(out_path, cap, "%s/%s", dir, name);
	ck_assert_int_eq(mkdir(out_path, 0700), 0);
}

static int test_read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	*out = malloc(4096);
	*len = fread(*out, 1, 4096, f);
	fclose(f);
	return 0;
}

/* A drop, a proxy, a working directory with a text attachment of len bytes (text formats
 * are sent as they are: the bytes are the same in every run), HOME and TMPDIR of the run's
 * own, and an empty state directory. */
static void rig_up(rig *g, size_t len, const char *config)
{
	g->scheme = NULL;
	drop_up(&g->d, config, keystring);
	proxy_up(&g->px, 0);
	mkdir_in(g->work, sizeof g->work, g->d.dir, "work");
	mkdir_in(g->home, sizeof g->home, g->d.dir, "home");
	mkdir_in(g->tmp, sizeof g->tmp, g->d.dir, "tmp");
	snprintf(g->state, sizeof g->state, "%s/state", g->d.dir);
	/* a kill -9 leaves a cleaned copy behind: in a directory of this test's own, never in
	 * the /dev/shm/ghostdrop-* that other tests check */
	snprintf(g->shm, sizeof g->shm, "/dev/shm/gd-resume-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(g->shm));
	snprintf(g->file, sizeof g->file, "%s/notes.txt", g->work);
	g->len = len;
	g->data = malloc(len);
	for (size_t i = 0; i < len; i++) /* printable text, random */
		g->data[i] = (uint8_t)('a' + randombytes_uniform(26));
	for (size_t i = 80; i < len; i += 81)
		g->data[i] = '\n';
	write_bytes(g->file, g->data, len);
}

static void rig_down(rig *g)
{
	char cmd[128];
	proxy_down(&g->px);
	pthread_mutex_destroy(&g->px.mu);
	snprintf(cmd, sizeof cmd, "rm -rf %s", g->shm);
	ck_assert_int_eq(system(cmd), 0);
	free(g->data);
	drop_destroy(&g->d);
}

/* Start `ghostdrop submit` (its stdin the testimony) in g->work, stderr into a file. */
static pid_t spawn(rig *g, const char *extra)
{
	char cmd[2048], errp[300];
	snprintf(errp, sizeof errp, "%s/err", g->d.dir);
	snprintf(cmd, sizeof cmd,
		 "exec %s submit --server %s://127.0.0.1:%u --newsroom %s "
		 "--proxy 127.0.0.1:%u %s %s <%s/in 2>%s >%s/out",
		 GHOSTDROP, g->scheme != NULL ? g->scheme : "http", g->d.port, keystring,
		 g->px.port, extra, g->file, g->d.dir, errp, g->d.dir);
	char in[300];
	struct stat sb;
	snprintf(in, sizeof in, "%s/in", g->d.dir);
	if (lstat(in, &sb) != 0 || !S_ISFIFO(sb.st_mode)) /* a FIFO: the test writes it */
		write_bytes(in, (const uint8_t *)"An interrupted testimony.", 25);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char h[300], t[300], x[100];
		snprintf(h, sizeof h, "HOME=%s", g->home);
		snprintf(t, sizeof t, "TMPDIR=%s", g->tmp);
		snprintf(x, sizeof x, "XDG_RUNTIME_DIR=%s", g->shm);
		putenv(h);
		putenv(t);
		putenv(x);
		signal(SIGINT, SIG_DFL);
		if (chdir(g->work) != 0)
			_exit(126);
		setsid();
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Wait for the run: its exit code, or 128 + the signal that ended it; stderr into err. */
static int reap(rig *g, pid_t pid)
{
	int st;
	char path[300];
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	snprintf(path, sizeof path, "%s/err", g->d.dir);
	FILE *f = fopen(path, "r");
	size_t n = f != NULL ? fread(err, 1, sizeof err - 1, f) : 0;
	err[n] = '\0';
	if (f != NULL)
		fclose(f);
	if (getenv("RESUME_SHOW") != NULL) /* to read the worker's words */
		fprintf(stderr, "---\n%s", err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run(rig *g, const char *extra)
{
	return reap(g, spawn(g, extra));
}

/* Wait (at most 30 s) until the proxy saw n chunk requests. */
static void wait_puts(rig *g, int n)
{
	for (int i = 0; i < 3000 && px_get(&g->px, &g->px.puts) < n; i++)
		usleep(10000);
	ck_assert_int_ge(px_get(&g->px, &g->px.puts), n);
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;
	struct dirent *e;
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Files named resume-* in the state directory. */
static int count_records(const rig *g)
{
	DIR *d = opendir(g->state);
	int n = 0;
	struct dirent *e;
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "resume-", 7) == 0;
	closedir(d);
	return n;
}

static void record_path(const rig *g, char *path, size_t cap)
{
	DIR *d = opendir(g->state);
	struct dirent *e;
	path[0] = '\0';
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "resume-", 7) == 0)
			snprintf(path, cap, "%s/%s", g->state, e->d_name);
	closedir(d);
	ck_assert(path[0] != '\0');
}

/* The drop holds exactly one submission, and it opens to the rig's file, byte-identical. */
static void assert_stored_once(rig *g)
{
	resp r;
	ck_assert_int_eq(
		http_do(g->d.port, "GET", "/v1/courier/submissions", drop_auth(&g->d), NULL, 0, &r),
		0);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
	resp_free(&r);
	json_t *list = json_object_get(o, "submissions");
	ck_assert_uint_eq(json_array_size(list), 1);
	char path[128];
	snprintf(path, sizeof path, "/v1/courier/submissions/%s",
		 json_string_value(json_object_get(json_array_get(list, 0), "id")));
	json_decref(o);
	ck_assert_int_eq(http_do(g->d.port, "GET", path, drop_auth(&g->d), NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	membuf env = {.buf = r.body, .len = r.len};
	boxkey k;
	memcpy(k.pk, g->d.jpk, 32);
	memcpy(k.sk, g->d.jsk, 32);
	sink_state st;
	gd_open_result res;
	ck_assert_int_eq(open_from(&env, &k, 1, &st, &res), GD_OK);
	ck_assert_uint_eq(st.data.len, g->len);
	ck_assert(memcmp(st.data.buf, g->data, g->len) == 0);
	ck_assert_uint_eq(st.m.text_len, 25);
	sink_free(&st);
	resp_free(&r);
}

/* 1 MiB: 17 chunks of 64 KiB (drop_create's chunk_size_kb), 3 in flight at a time. */
#define LEN (1u << 20)

/* The chunk check of the upload the proxy saw last (§11.3), as the drop shows it. */
static void upload_check_is(rig *g, const char *want)
{
	char path[128];
	resp r;
	pthread_mutex_lock(&g->px.mu);
	snprintf(path, sizeof path, "/v1/uploads/%s", g->px.upload);
	pthread_mutex_unlock(&g->px.mu);
	ck_assert_int_eq(http_do(g->d.port, "GET", path, NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(o, "check")), want);
	json_decref(o);
	resp_free(&r);
}

START_TEST(sigint_then_resume_with_state_dir)
{
	rig g;
	char extra[400];
	rig_up(&g, LEN, NULL);
	snprintf(extra, sizeof extra, "--no-reply --state-dir %s", g.state);
	g.px.stall_at = 10; /* the circuit stops carrying anything at the 10th chunk */
	pid_t pid = spawn(&g, extra);
	wait_puts(&g, 10);
	usleep(300000);
	ck_assert_int_eq(count_records(&g), 1); /* written before the first chunk */
	kill(pid, SIGINT);
	ck_assert_int_eq(reap(&g, pid), 128 + SIGINT);
	ck_assert_msg(strstr(err, "interrupted at ") != NULL &&
			      strstr(err, "nothing was stored yet; run the same command again "
					  "to continue") != NULL,
		      "%s", err);
	uint64_t first = px_put_bytes(&g.px);
	ck_assert_uint_lt(first, LEN);
	ck_assert_int_eq(count_records(&g), 1); /* kept for the next run */
	upload_check_is(&g, "poly1305");        /* the drop lists it: the worker's client uses it */
	/* the same command again: it continues from what the drop holds */
	pthread_mutex_lock(&g.px.mu);
	g.px.stall_at = 0;
	g.px.put_bytes = 0;
	pthread_mutex_unlock(&g.px.mu);
	ck_assert_int_eq(run(&g, extra), 0);
	ck_assert_msg(strstr(err, "continuing the interrupted upload") != NULL, "%s", err);
	uint64_t second = px_put_bytes(&g.px);
	ck_assert_uint_lt(second, LEN - 4 * 65536); /* at least the chunks it held */
	assert_stored_once(&g);
	ck_assert_int_eq(count_records(&g), 0); /* removed once stored */
	rig_down(&g);
}
END_TEST

START_TEST(kill9_then_resume)
{
	rig g;
	char extra[400];
	rig_up(&g, LEN, NULL);
	snprintf(extra, sizeof extra, "--no-reply --state-dir %s", g.state);
	g.px.stall_at = 12;
	pid_t pid = spawn(&g, extra);
	wait_puts(&g, 12);
	usleep(300000);
	kill(pid, SIGKILL);
	ck_assert_int_eq(reap(&g, pid), 128 + SIGKILL);
	/* the record is all that is left, 0600, and it names nothing */
	char rec[600];
	record_path(&g, rec, sizeof rec);
	struct stat sb;
	ck_assert_int_eq(stat(rec, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	uint8_t *raw;
	size_t rl;
	ck_assert_int_eq(test_read_file(rec, &raw, &rl), 0);
	ck_assert(memmem(raw, rl, "127.0.0.1", 9) == NULL);
	free(raw);
	pthread_mutex_lock(&g.px.mu);
	g.px.stall_at = 0;
	g.px.put_bytes = 0;
	pthread_mutex_unlock(&g.px.mu);
	g.scheme = "HTTP"; /* the same server, spelt otherwise */
	ck_assert_int_eq(run(&g, extra), 0);
	ck_assert_msg(strstr(err, "continuing the interrupted upload") != NULL, "%s", err);
	ck_assert_uint_lt(px_put_bytes(&g.px), LEN - 6 * 65536);
	assert_stored_once(&g);
	ck_assert_int_eq(count_records(&g), 0);
	/* and again: a new testimony (the record is gone), not a resumed one */
	rig_down(&g);
}
END_TEST

/* Tor restarts in the middle of the upload: the same process waits, says so, and continues. */
START_TEST(proxy_dies_and_comes_back)
{
	rig g;
	rig_up(&g, LEN, NULL);
	g.px.stall_at = 10;
	pid_t pid = spawn(&g, "--no-reply");
	wait_puts(&g, 10);
	uint16_t port = g.px.port;
	proxy_down(&g.px);
	sleep(3);
	g.px.stall_at = 0;
	proxy_up(&g.px, port);
	ck_assert_int_eq(reap(&g, pid), 0);
	ck_assert_msg(strstr(err, "the connection to Tor was lost; waiting for it to come back") !=
			      NULL,
		      "%s", err);
	ck_assert_msg(strstr(err, "connected again: continuing") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "SOCKS5") == NULL, "%s", err);
	/* continued, not started again: no more chunk bytes than the envelope plus the few
	 * chunks that were in flight */
	ck_assert_uint_lt(px_put_bytes(&g.px), LEN + 6 * 66000);
	assert_stored_once(&g);
	rig_down(&g);
}
END_TEST

/* Review F3: the drop loses the upload during the run (here: idle while Tor was away; also a
 * new circuit reaching another server behind the onion, maybe an older drop): the new upload
 * is made after reading the limits again, so its chunk check is what that drop takes. */
START_TEST(upload_lost_in_the_run_reads_limits_again)
{
	rig g;
	rig_up(&g, LEN, "upload_idle_seconds = 1\nupload_keep_idle_minutes = 0\n");
	g.px.stall_at = 6;
	pid_t pid = spawn(&g, "--no-reply");
	wait_puts(&g, 6);
	ck_assert_int_eq(px_get(&g.px, &g.px.limits), 1);
	uint16_t port = g.px.port;
	proxy_down(&g.px);
	char path[128];
	snprintf(path, sizeof path, "/v1/uploads/%s", g.px.upload);
	int gone = 0;
	for (int i = 0; i < 150 && !gone; i++) { /* idle: the drop drops it at its next tick */
		resp r;
		ck_assert_int_eq(http_do(g.d.port, "GET", path, NULL, NULL, 0, &r), 0);
		gone = r.status == 404;
		resp_free(&r);
		if (!gone)
			usleep(100000);
	}
	ck_assert(gone);
	g.px.stall_at = 0;
	proxy_up(&g.px, port);
	ck_assert_int_eq(reap(&g, pid), 0);
	ck_assert_msg(strstr(err, "no longer knows this upload") != NULL, "%s", err);
	ck_assert_int_eq(px_get(&g.px, &g.px.limits), 2);
	assert_stored_once(&g);
	rig_down(&g);
}
END_TEST

/* Without --state-dir nothing is written anywhere; Ctrl-C says the next run starts over. */
START_TEST(no_state_dir_leaves_nothing)
{
	rig g;
	rig_up(&g, LEN, NULL);
	g.px.stall_at = 8;
	pid_t pid = spawn(&g, "--no-reply");
	wait_puts(&g, 8);
	usleep(200000);
	kill(pid, SIGINT);
	ck_assert_int_eq(reap(&g, pid), 128 + SIGINT);
	ck_assert_msg(strstr(err, "start again from the beginning (with --state-dir DIR") != NULL,
		      "%s", err);
	ck_assert_int_eq(count_dir(g.shm), 0); /* Ctrl-C still removes a cleaned copy */
	pthread_mutex_lock(&g.px.mu);
	g.px.stall_at = 0;
	pthread_mutex_unlock(&g.px.mu);
	ck_assert_int_eq(run(&g, "--no-reply"), 0);
	assert_stored_once(&g);
	ck_assert_int_eq(count_dir(g.home), 0);
	ck_assert_int_eq(count_dir(g.tmp), 0);
	ck_assert_int_eq(count_dir(g.shm), 0);
	ck_assert_int_eq(count_dir(g.work), 1); /* the attachment, nothing else */
	ck_assert_int_eq(access(g.state, F_OK), -1);
	rig_down(&g);
}
END_TEST

/* A record that does not open is not used: said, removed, and the upload starts over. A changed
 * attachment is another testimony: a new upload, and the old record is not touched. */
START_TEST(bad_record_and_changed_file)
{
	rig g;
	char extra[400], rec[600];
	rig_up(&g, LEN, NULL);
	snprintf(extra, sizeof extra, "--no-reply --state-dir %s", g.state);
	g.px.stall_at = 6;
	pid_t pid = spawn(&g, extra);
	wait_puts(&g, 6);
	usleep(200000);
	kill(pid, SIGKILL);
	reap(&g, pid);
	record_path(&g, rec, sizeof rec);
	/* one flipped bit */
	uint8_t *raw;
	size_t rl;
	ck_assert_int_eq(test_read_file(rec, &raw, &rl), 0);
	raw[rl / 2] ^= 4;
	write_bytes(rec, raw, rl);
	pthread_mutex_lock(&g.px.mu);
	g.px.stall_at = 8; /* interrupt the new upload too */
	g.px.puts = 0;
	pthread_mutex_unlock(&g.px.mu);
	pid = spawn(&g, extra);
	wait_puts(&g, 8);
	usleep(200000);
	kill(pid, SIGKILL);
	reap(&g, pid);
	ck_assert_msg(strstr(err, "does not open") != NULL && strstr(err, "not used") != NULL, "%s",
		      err);
	ck_assert_int_eq(count_records(&g), 1); /* the new upload's */
	/* garbage of another size */
	write_bytes(rec, (const uint8_t *)"garbage", 7);
	/* and a record abandoned 8 days ago: swept by any run with this state directory */
	char old[300];
	snprintf(old, sizeof old, "%s/resume-00000000000000000000000000000000", g.state);
	write_bytes(old, (const uint8_t *)"abandoned", 9);
	struct timespec ts[2] = {{time(NULL) - 8 * 86400, 0}, {time(NULL) - 8 * 86400, 0}};
	ck_assert_int_eq(utimensat(AT_FDCWD, old, ts, 0), 0);
	/* the attachment changes: another testimony, another record */
	g.data[100] ^= 1;
	write_bytes(g.file, g.data, g.len);
	pthread_mutex_lock(&g.px.mu);
	g.px.stall_at = 0;
	pthread_mutex_unlock(&g.px.mu);
	ck_assert_int_eq(run(&g, extra), 0);
	ck_assert_msg(strstr(err, "continuing") == NULL, "%s", err);
	assert_stored_once(&g);
	ck_assert_int_eq(count_records(&g), 1); /* the garbage one, not this testimony's */
	ck_assert_int_eq(access(old, F_OK), -1);
	free(raw);
	rig_down(&g);
}
END_TEST

/* A new codename: the resumed run sends under the same one (the record carries it), and
 * --codename-out's file from the killed run is the same codename, kept, not refused. */
START_TEST(new_codename_is_kept_across_resume)
{
	rig g;
	char extra[600], code[300], first[256], second[256];
	rig_up(&g, LEN, NULL);
	snprintf(code, sizeof code, "%s/code.txt", g.d.dir);
	snprintf(extra, sizeof extra, "--codename-out %s --state-dir %s", code, g.state);
	g.px.stall_at = 10;
	pid_t pid = spawn(&g, extra);
	wait_puts(&g, 10);
	usleep(200000);
	kill(pid, SIGKILL);
	reap(&g, pid);
	FILE *f = fopen(code, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(first, sizeof first, f));
	fclose(f);
	pthread_mutex_lock(&g.px.mu);
	g.px.stall_at = 0;
	pthread_mutex_unlock(&g.px.mu);
	ck_assert_int_eq(run(&g, extra), 0);
	ck_assert_msg(strstr(err, "continuing the interrupted upload") != NULL, "%s", err);
	f = fopen(code, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(second, sizeof second, f));
	fclose(f);
	ck_assert_str_eq(first, second);
	assert_stored_once(&g);
	/* the stored testimony is signed by that codename's identity */
	gd_source_keys *src = source_of_codename_file(&g.d, code);
	resp r;
	ck_assert_int_eq(
		http_do(g.d.port, "GET", "/v1/courier/submissions", drop_auth(&g.d), NULL, 0, &r),
		0);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
	resp_free(&r);
	char path[128];
	snprintf(path, sizeof path, "/v1/courier/submissions/%s",
		 json_string_value(json_object_get(
			 json_array_get(json_object_get(o, "submissions"), 0), "id")));
	json_decref(o);
	ck_assert_int_eq(http_do(g.d.port, "GET", path, drop_auth(&g.d), NULL, 0, &r), 0);
	membuf env = {.buf = r.body, .len = r.len};
	boxkey k;
	memcpy(k.pk, g.d.jpk, 32);
	memcpy(k.sk, g.d.jsk, 32);
	sink_state st;
	gd_open_result res;
	ck_assert_int_eq(open_from(&env, &k, 1, &st, &res), GD_OK);
	ck_assert(st.m.has_source);
	ck_assert(memcmp(st.m.identity_pk, src->identity_pk, 32) == 0);
	sink_free(&st);
	resp_free(&r);
	sodium_free(src);
	/* a codename file of another testimony is never overwritten */
	g.data[0] ^= 1;
	write_bytes(g.file, g.data, g.len);
	ck_assert_int_eq(run(&g, extra), 6);
	ck_assert_msg(strstr(err, "never overwrites a codename") != NULL, "%s", err);
	rig_down(&g);
}
END_TEST

/* The drop dropped the interrupted upload (idle too long: a keep time of 0 drops it after
 * upload_idle_seconds): the record's upload is gone, the run says so and sends from the
 * beginning, once. */
START_TEST(upload_gone_at_the_drop)
{
	rig g;
	char extra[400];
	rig_up(&g, LEN, "upload_idle_seconds = 1\nupload_keep_idle_minutes = 0\n");
	snprintf(extra, sizeof extra, "--no-reply --state-dir %s", g.state);
	g.px.stall_at = 6;
	pid_t pid = spawn(&g, extra);
	wait_puts(&g, 6);
	usleep(200000);
	kill(pid, SIGKILL);
	reap(&g, pid);
	pthread_mutex_lock(&g.px.mu);
	g.px.stall_at = 0;
	pthread_mutex_unlock(&g.px.mu);
	char path[128];
	snprintf(path, sizeof path, "/v1/uploads/%s", g.px.upload);
	int gone = 0;
	for (int i = 0; i < 150 && !gone; i++) { /* idle: the drop drops it at its next tick */
		resp r;
		ck_assert_int_eq(http_do(g.d.port, "GET", path, NULL, NULL, 0, &r), 0);
		gone = r.status == 404;
		resp_free(&r);
		if (!gone)
			usleep(100000);
	}
	ck_assert(gone);
	ck_assert_int_eq(run(&g, extra), 0);
	ck_assert_msg(strstr(err, "no longer holds the interrupted upload") != NULL, "%s", err);
	assert_stored_once(&g);
	ck_assert_int_eq(count_records(&g), 0);
	rig_down(&g);
}
END_TEST

/* The newsroom replaced its journalist key between the runs: the recipients are part of what
 * the record is named and keyed by, so the interrupted run's record (and its seed) is not
 * found: a new upload, which the new key opens. */
START_TEST(other_bytes_start_a_new_upload)
{
	rig g;
	char extra[400], path[256];
	rig_up(&g, LEN, NULL);
	snprintf(extra, sizeof extra, "--no-reply --state-dir %s", g.state);
	g.px.stall_at = 10;
	pid_t pid = spawn(&g, extra);
	wait_puts(&g, 10);
	usleep(200000);
	kill(pid, SIGKILL);
	reap(&g, pid);
	/* bundle version 3: the same one journalist slot, another key */
	gd_bundle *b = calloc(1, sizeof *b);
	ck_assert_int_eq(
		gd_bundle_verify(b, g.d.bundle, g.d.bundle_len, g.d.root_pk, time(NULL), 0), GD_OK);
	b->version = 3;
	crypto_box_keypair(g.d.jpk, g.d.jsk);
	memcpy(b->journalists[0].pk, g.d.jpk, 32);
	free(g.d.bundle);
	ck_assert_int_eq(gd_bundle_sign(&g.d.bundle, &g.d.bundle_len, b, g.d.root_sk), GD_OK);
	free(b);
	snprintf(path, sizeof path, "%s/bundle3.gdkb", g.d.dir);
	write_bytes(path, g.d.bundle, g.d.bundle_len);
	ck_assert_int_eq(drop_cli(&g.d, NULL, 0, "keys publish --data %s/data %s", g.d.dir, path),
			 0);
	pthread_mutex_lock(&g.px.mu);
	g.px.stall_at = 0;
	pthread_mutex_unlock(&g.px.mu);
	ck_assert_int_eq(run(&g, extra), 0);
	/* issue 16 attack review, B2: the record (its seed: the file key, the stream's header)
	 * was the old recipients'; other recipients are another testimony, a new upload under
	 * a new seed, never the old file key sealing again to the new key */
	ck_assert_msg(strstr(err, "continuing the interrupted upload") == NULL, "%s", err);
	assert_stored_once(&g);                 /* with the new key */
	ck_assert_int_eq(count_records(&g), 1); /* the old record, not used, left to age */
	rig_down(&g);
}
END_TEST

/* Issue 16 attack review, B1: the worker's notes.txt is checked (plain text), then, while the
 * testimony is still being typed, replaced (a photo renamed over it), or written over in place.
 * ghostdrop seals from the file it checked, held open, and refuses it changed: nothing is sent,
 * never the photo as attachment-1.txt. The testimony comes through a FIFO the test holds. */
static pid_t spawn_typing(rig *g, const char *extra, int *w)
{
	char in[300];
	snprintf(in, sizeof in, "%s/in", g->d.dir);
	unlink(in);
	ck_assert_int_eq(mkfifo(in, 0600), 0);
	int before = px_get(&g->px, &g->px.conns);
	pid_t pid = spawn(g, extra);
	*w = open(in, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(*w, 0);
	ck_assert_int_eq(write(*w, "An interrupted testimony.", 25), 25);
	/* the files are checked before the drop is asked for its bundle through Tor */
	for (int i = 0; i < 3000 && px_get(&g->px, &g->px.conns) == before; i++)
		usleep(10000);
	ck_assert_int_gt(px_get(&g->px, &g->px.conns), before);
	usleep(300000);
	return pid;
}

/* a photo's first bytes (EXIF with GPS and an owner), as long as the notes */
static uint8_t photo[4000];
static const uint8_t exif[] = "\xff\xd8\xff\xe1\x00\x40"
			      "Exif\0\0 GPS 51.5N 0.1W Jane Worker";

static void photo_make(void)
{
	memset(photo, 0x55, sizeof photo);
	memcpy(photo, exif, sizeof exif - 1);
}

static int stored_count(rig *g)
{
	resp r;
	ck_assert_int_eq(
		http_do(g->d.port, "GET", "/v1/courier/submissions", drop_auth(&g->d), NULL, 0, &r),
		0);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
	resp_free(&r);
	int n = (int)json_array_size(json_object_get(o, "submissions"));
	json_decref(o);
	return n;
}

START_TEST(file_swapped_after_its_check)
{
	rig g;
	int w;
	char tmp[300];
	photo_make();
	for (int inplace = 0; inplace < 2; inplace++) {
		rig_up(&g, sizeof photo, NULL);
		pid_t pid = spawn_typing(&g, "--no-reply", &w);
		if (!inplace) { /* a photo renamed over it (its checked inode is unlinked) */
			snprintf(tmp, sizeof tmp, "%s.new", g.file);
			write_bytes(tmp, photo, sizeof photo);
			ck_assert_int_eq(rename(tmp, g.file), 0);
		} else { /* written over in place: the same size, other bytes */
			int f = open(g.file, O_WRONLY | O_CLOEXEC);
			ck_assert_int_ge(f, 0);
			ck_assert_int_eq(pwrite(f, photo, sizeof photo, 0), (ssize_t)sizeof photo);
			close(f);
		}
		close(w);
		ck_assert_int_eq(reap(&g, pid), 6);
		ck_assert_msg(strstr(err, "changed after it was checked: nothing more was sent") !=
				      NULL,
			      "%s", err);
		ck_assert_int_eq(stored_count(&g), 0); /* never the photo as attachment-1.txt */
		rig_down(&g);
	}
}
END_TEST

/* B2 (c): a codename typed at --codename's prompt (a terminal: script(1)) is another source
 * when it is another codename, so its record (and seed) is another one: the second run,
 * typing another codename, does not continue the first one's upload. */
static pid_t spawn_typed_codename(rig *g, const char *codename)
{
	char cmd[3000], msg[300];
	snprintf(msg, sizeof msg, "%s/msg", g->d.dir);
	write_bytes(msg, (const uint8_t *)"A follow-up.", 12);
	snprintf(cmd, sizeof cmd,
		 "(sleep 2; printf '%%s\\n' '%s') | exec script -qec \"%s submit --server "
		 "http://127.0.0.1:%u --newsroom %s --proxy 127.0.0.1:%u --codename "
		 "--message-file %s --yes --state-dir %s %s\" /dev/null >%s/err 2>&1",
		 codename, GHOSTDROP, g->d.port, keystring, g->px.port, msg, g->state, g->file,
		 g->d.dir);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char h[300], t[300], x[100];
		snprintf(h, sizeof h, "HOME=%s", g->home);
		snprintf(t, sizeof t, "TMPDIR=%s", g->tmp);
		snprintf(x, sizeof x, "XDG_RUNTIME_DIR=%s", g->shm);
		putenv(h);
		putenv(t);
		putenv(x);
		if (chdir(g->work) != 0)
			_exit(126);
		setsid();
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

START_TEST(typed_codename_names_the_record)
{
	rig g;
	char a[GD_CODENAME_MAX], b[GD_CODENAME_MAX];
	gd_codename_generate(a, sizeof a);
	gd_codename_generate(b, sizeof b);
	rig_up(&g, LEN, NULL);
	g.px.stall_at = 6;
	pid_t pid = spawn_typed_codename(&g, a);
	wait_puts(&g, 6);
	usleep(200000);
	kill(-pid, SIGKILL); /* the terminal goes: ghostdrop is hung up on */
	reap(&g, pid);
	for (int i = 0; i < 500 && count_records(&g) == 0; i++)
		usleep(10000);
	ck_assert_int_eq(count_records(&g), 1);
	pthread_mutex_lock(&g.px.mu);
	g.px.stall_at = 0;
	pthread_mutex_unlock(&g.px.mu);
	ck_assert_int_eq(reap(&g, spawn_typed_codename(&g, b)), 0);
	ck_assert_msg(strstr(err, "continuing the interrupted upload") == NULL, "%s", err);
	ck_assert_int_eq(count_records(&g), 1); /* codename a's, not used */
	sodium_memzero(a, sizeof a);
	sodium_memzero(b, sizeof b);
	rig_down(&g);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("resume");
	TCase *tc = tcase_create("seal");
	tcase_add_test(tc, seeded_seal_is_reproducible);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sigint_then_resume_with_state_dir);
	tcase_add_test(tc, kill9_then_resume);
	tcase_add_test(tc, proxy_dies_and_comes_back);
	tcase_add_test(tc, upload_lost_in_the_run_reads_limits_again);
	tcase_add_test(tc, no_state_dir_leaves_nothing);
	tcase_add_test(tc, bad_record_and_changed_file);
	tcase_add_test(tc, new_codename_is_kept_across_resume);
	tcase_add_test(tc, upload_gone_at_the_drop);
	tcase_add_test(tc, other_bytes_start_a_new_upload);
	suite_add_tcase(s, tc);
	tc = tcase_create("fix16"); /* the attack review of issue 16 */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, file_swapped_after_its_check);
	tcase_add_test(tc, typed_codename_names_the_record);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
