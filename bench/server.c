/* bench/server: ghostdropd under load on 127.0.0.1. Acknowledged 16 KiB submissions per second
 * with 1, 16 and 64 concurrent clients (each submission fetches and solves its own challenge,
 * at difficulty 0), a 1 GiB envelope through the resumable upload, and the daemon's peak RSS.
 * Prints medians; asserts nothing. Usage: bench/server [runs] [seconds] [upload MiB]
 * `bench/server growth [runs] [tenths of a second]`: the same submissions/s at 16 clients with
 * 0, 10,000 and 100,000 stored (default 3 runs of 0.5 s).
 * `bench/server idle [starts]`: start-up time and RSS of an idle drop, empty and holding
 * 100,000 (default 11 starts each).
 * `bench/server uploads K [runs] [MiB]`: K uploads at once, MiB in all (default 3 runs, 512). */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/select.h> /* struct timeval */
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "drop.h"
#include "gdcrypto.h"
#include "upload.h"

#ifndef GHOSTDROPD
#error GHOSTDROPD must name the daemon binary
#endif

static char dir[64];
static uint16_t port;
static pid_t daemon_pid;
static uint8_t jpk[1][32];
static atomic_int stop_flag;

static void die(const char *m)
{
	fprintf(stderr, "bench/server: %s\n", m);
	if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	exit(1);
}

/* ---- the client: the worker's own library, on a kept connection per thread ---- */

static void conn_open(drop_conn *c, int *keep)
{
	char url[64], err[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
	if (drop_open(c, url, NULL, 1, err, sizeof err) != 0)
		die(err);
	*keep = -1;
	c->keep = keep;
}

/* ---- envelopes ---- */

typedef struct {
	uint8_t *buf;
	size_t len, cap;
} mem;

static int mem_write(void *arg, const uint8_t *b, size_t n)
{
	mem *m = arg;
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		m->buf = realloc(m->buf, m->cap);
	}
	memcpy(m->buf + m->len, b, n);
	m->len += n;
	return 0;
}

static void testimony(mem *m)
{
	gd_manifest man = {.kind = GD_KIND_TESTIMONY, .text = "bench", .text_len = 5};
	gd_seal *s;
	randombytes_buf(man.submission_id, 16);
	memset(m, 0, sizeof *m);
	if (gd_seal_new(&s, (const uint8_t(*)[32])jpk, 1, &man, NULL, mem_write, m) != GD_OK ||
	    gd_seal_finish(s) != GD_OK)
		die("seal");
	gd_seal_free(s);
}

/* ---- submissions per second ---- */

#define POOL 256
static mem pool[POOL];

typedef struct {
	long done;
} worker;

static void *submit_worker(void *arg)
{
	worker *w = arg;
	drop_conn c;
	drop_err e;
	int keep, already;
	conn_open(&c, &keep);
	for (unsigned i = (unsigned)randombytes_uniform(POOL); !atomic_load(&stop_flag); i++) {
		mem *m = &pool[i % POOL];
		uint8_t id[16];
		randombytes_buf(id, 16);
		if (drop_submit(&c, id, m->buf, m->len, &already, &e) != DROP_OK || already)
			die("submission not acknowledged");
		w->done++;
	}
	gd_keep_close(&keep);
	return NULL;
}

static long stored_total; /* submissions acknowledged by this drop so far */

static double submissions_per_second(int clients, double seconds)
{
	pthread_t t[64];
	worker w[64] = {{0}};
	atomic_store(&stop_flag, 0);
	double t0 = now_s();
	for (int i = 0; i < clients; i++)
		pthread_create(&t[i], NULL, submit_worker, &w[i]);
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop_flag, 1);
	long total = 0;
	for (int i = 0; i < clients; i++) {
		pthread_join(t[i], NULL);
		total += w[i].done;
	}
	stored_total += total;
	return (double)total / (now_s() - t0);
}

/* ---- a large upload, sealed and sent chunk by chunk ---- */

typedef struct {
	drop_conn c;
	int keep;
	char up[64];
	uint8_t up_raw[16];
	gd_check check; /* poly1305 when the drop takes it, as the worker's client */
	uint8_t key[GD_CHUNK_KEY_BYTES]; /* its chunk key K, random as the worker's without a record
					  */
	uint8_t *chunk;
	size_t fill, chunk_size;
	uint32_t idx;
	gd_upload_hasher *digest;
} uploader;

static void put_chunk(uploader *u)
{
	uint8_t h[32];
	drop_err e;
	gd_chunk_check(h, u->check, u->chunk, u->fill, u->key, u->up_raw, u->idx);
	gd_upload_hasher_chunk(u->digest, h);
	if (drop_upload_chunk(&u->c, &u->keep, u->up, u->idx++, u->chunk, u->fill, u->check, h,
			      &e) != DROP_OK)
		die("chunk refused");
	u->fill = 0;
}

static int up_write(void *arg, const uint8_t *b, size_t n)
{
	uploader *u = arg;
	while (n > 0) {
		size_t k = u->chunk_size - u->fill < n ? u->chunk_size - u->fill : n;
		memcpy(u->chunk + u->fill, b, k);
		u->fill += k;
		b += k;
		n -= k;
		if (u->fill == u->chunk_size)
			put_chunk(u);
	}
	return 0;
}

static long rss_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = atol(line + strlen(field) + 1);
	if (f)
		fclose(f);
	return v;
}

static double upload_mib_s(uint64_t data_len, long *daemon_peak)
{
	uploader u = {0};
	gd_manifest man = {.kind = GD_KIND_TESTIMONY, .text = "a long recording", .text_len = 16};
	gd_attachment a = {"recording.wav", "audio/wav", data_len};
	man.attachments = &a;
	man.n_attachments = 1;
	randombytes_buf(man.submission_id, 16);
	/* the size is known before sealing: it is a function of the manifest */
	uint8_t *mj;
	size_t mlen;
	gd_manifest_encode(&mj, &mlen, &man);
	free(mj);
	uint64_t total = gd_envelope_size_for(1, mlen, data_len);
	uint8_t id[16];
	drop_err e;
	conn_open(&u.c, &u.keep);
	double t0 = now_s();
	randombytes_buf(id, 16);
	randombytes_buf(u.key, sizeof u.key);
	if (drop_upload_create(&u.c, id, total, GD_CHECK_POLY1305, u.key, u.up, &u.chunk_size,
			       &u.check, &e) != DROP_OK ||
	    gd_b64_decode_exact(u.up_raw, sizeof u.up_raw, u.up) != GD_OK)
		die("upload refused");
	u.chunk = malloc(u.chunk_size);
	u.digest = gd_upload_hasher_new_check(total, u.check);
	gd_seal *s;
	uint8_t *data = malloc(1 << 20);
	randombytes_buf(data, 1 << 20);
	if (gd_seal_new(&s, (const uint8_t(*)[32])jpk, 1, &man, NULL, up_write, &u) != GD_OK)
		die("seal");
	*daemon_peak = 0;
	for (uint64_t off = 0; off < data_len; off += 1 << 20) {
		size_t n = data_len - off < (1 << 20) ? (size_t)(data_len - off) : (1 << 20);
		if (gd_seal_write(s, data, n) != GD_OK)
			die("seal write");
		long r = rss_kib(daemon_pid, "VmRSS:");
		if (r > *daemon_peak)
			*daemon_peak = r;
	}
	if (gd_seal_finish(s) != GD_OK)
		die("seal finish");
	if (u.fill > 0)
		put_chunk(&u);
	gd_seal_free(s);
	uint8_t d[32];
	int already;
	gd_upload_hasher_final(u.digest, d);
	gd_upload_hasher_free(u.digest);
	if (drop_upload_commit(&u.c, u.up, d, &already, &e) != DROP_OK || already)
		die("commit refused");
	double el = now_s() - t0;
	gd_keep_close(&u.keep);
	free(u.chunk);
	free(data);
	return (double)total / el / 1048576.0;
}

/* ---- the drop ---- */

/* ---- the worker's CLI: ghostdrop submit of a large file, its time and peak RSS ---- */

static char bundle_key[GD_KEYSTRING_LEN + 1];

/* /proc/PID/stat from its state field on (past the name, which may hold spaces), or NULL. */
static const char *proc_stat(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' ? p + 2 : NULL;
}

/* CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
static double cpu_s(pid_t pid)
{
	char buf[1024];
	const char *p = proc_stat(pid, buf, sizeof buf);
	unsigned long long ut = 0, st = 0;
	if (p == NULL ||
	    sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Minor page faults a process has taken so far (/proc/PID/stat). */
static double minflt(pid_t pid)
{
	char buf[1024];
	const char *p = proc_stat(pid, buf, sizeof buf);
	unsigned long long mf = 0;
	if (p == NULL || sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %llu", &mf) != 1)
		return 0;
	return (double)mf;
}

/* CPU seconds of a process itself and of the children it waited for (/proc/PID/stat; a
 * zombie not yet reaped still has them). */
static void cpu_own_children(pid_t pid, double *own, double *children)
{
	char buf[1024];
	const char *p = proc_stat(pid, buf, sizeof buf);
	unsigned long long ut = 0, st = 0;
	long long cut = 0, cst = 0;
	*own = *children = 0;
	if (p == NULL ||
	    sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &ut, &st,
		   &cut, &cst) != 4)
		return;
	*own = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	*children = (double)(cut + cst) / (double)sysconf(_SC_CLK_TCK);
}

/* The worker's CLI uploads a file: MiB/s, its own peak RSS (VmHWM, sampled every 5 ms: its
 * children, such as `mat2 --list`, are not in it), the CPU time per MiB it and the daemon spent
 * (the machine's cores are shared between them on loopback), and its children's CPU seconds. */
static double client_upload(const char *file, uint64_t len, long *maxrss_kib, double *client_ms,
			    double *daemon_ms, double *children_s)
{
	double d0 = cpu_s(daemon_pid);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
	double t0 = now_s();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		char log[128];
		snprintf(log, sizeof log, "%s/client.log", dir);
		if (freopen("/dev/null", "r", stdin) == NULL || freopen(log, "w", stderr) == NULL)
			_exit(126);
		execl(GHOSTDROP, "ghostdrop", "submit", "--server", url, "--newsroom", bundle_key,
		      "--clearnet", "--unlisted-server", "--no-reply", "--keep-metadata", file,
		      (char *)NULL);
		_exit(127);
	}
	siginfo_t si;
	long hwm = 0;
	for (;;) {
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT | WNOHANG) != 0)
			die("waitid");
		if (si.si_pid == pid)
			break;
		long h = rss_kib(pid, "VmHWM:");
		hwm = h > hwm ? h : hwm;
		usleep(5000);
	}
	double own, children;
	cpu_own_children(pid, &own, &children); /* exited, not reaped yet */
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char cmd[256];
		snprintf(cmd, sizeof cmd, "tail -3 %s/client.log >&2", dir);
		if (system(cmd) != 0)
			(void)0;
		die("ghostdrop submit failed");
	}
	double el = now_s() - t0, mib = (double)len / 1048576.0;
	*maxrss_kib = hwm;
	*client_ms = own * 1000 / mib;
	*children_s = children;
	*daemon_ms = (cpu_s(daemon_pid) - d0) * 1000 / mib;
	return mib / el;
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		die(cmd);
}

/* A new drop in a new directory: init, the bench's settings, a signed key bundle published. */
static void make_drop(void)
{
	char cmd[1024], ks[GD_KEYSTRING_LEN + 1], path[128];
	uint8_t rpk[32], rsk[64], jsk[32];
	snprintf(dir, sizeof dir, "/tmp/gd-bench-XXXXXX");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	crypto_sign_keypair(rpk, rsk);
	crypto_box_keypair(jpk[0], jsk);
	gd_keystring_encode(ks, rpk);
	memcpy(bundle_key, ks, sizeof ks);
	snprintf(cmd, sizeof cmd,
		 "%s init --data %s/d --newsroom %s --listen 127.0.0.1:0 >/dev/null", GHOSTDROPD,
		 dir, ks);
	sh(cmd);
	snprintf(cmd, sizeof cmd,
		 "printf 'pow_min_bits = 0\\npow_max_bits = 0\\nmap_size_mb = 16384\\n"
		 "max_connections = 1024\\n' >> %s/d/ghostdropd.conf",
		 dir);
	sh(cmd);
	gd_bundle *b = calloc(1, sizeof *b);
	int64_t now = (int64_t)time(NULL);
	*b = (gd_bundle){.version = 1,
			 .created = now - 60,
			 .expires = now + 86400,
			 .n_servers = 1,
			 .n_journalists = 1};
	snprintf(b->servers[0], sizeof b->servers[0], "http://127.0.0.1:8080");
	snprintf(b->journalists[0].name, sizeof b->journalists[0].name, "bench");
	memcpy(b->journalists[0].pk, jpk[0], 32);
	b->journalists[0].not_before = now - 60;
	b->journalists[0].not_after = now + 3600;
	uint8_t *bundle;
	size_t blen;
	gd_bundle_sign(&bundle, &blen, b, rsk);
	snprintf(path, sizeof path, "%s/bundle", dir);
	FILE *f = fopen(path, "wb");
	fwrite(bundle, 1, blen, f);
	fclose(f);
	free(bundle);
	free(b);
	snprintf(cmd, sizeof cmd, "%s keys publish --data %s/d %s >/dev/null", GHOSTDROPD, dir,
		 path);
	sh(cmd);
	if (geteuid() == 0) { /* ghostdropd never serves as root: it runs as nobody here */
		snprintf(cmd, sizeof cmd, "chown -R nobody:nogroup %s", dir);
		sh(cmd);
	}
}

/* The port in the port file, once ghostdropd has written it whole; 0 before. */
static uint16_t read_port(const char *path)
{
	unsigned p = 0;
	FILE *f = fopen(path, "r");
	if (f && fscanf(f, "%u\n", &p) != 1)
		p = 0;
	if (f)
		fclose(f);
	return (uint16_t)p;
}

/* Does a request on a new connection get an answer (the first bytes of one)? */
static int answered(void)
{
	char req[] = "GET /v1/limits HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	char buf[16];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 0;
	struct timeval tv = {2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1))
		ok = recv(fd, buf, sizeof buf, 0) > 0 && memcmp(buf, "HTTP/1.1", 8) == 0;
	close(fd);
	return ok;
}

/* ghostdropd serve on the drop made; the seconds from fork to the port file written and to
 * the first request answered (polled every 0.2 ms; either may be NULL). */
static void launch_drop(double *to_port, double *to_answer)
{
	char path[128];
	snprintf(path, sizeof path, "%s/port", dir);
	unlink(path);
	port = 0;
	fflush(NULL); /* the child's freopen would write what stdout holds again */
	double t0 = now_s();
	if ((daemon_pid = fork()) == 0) {
		char data[128], log[128];
		snprintf(data, sizeof data, "%s/d", dir);
		snprintf(log, sizeof log, "%s/log", dir);
		if (freopen("/dev/null", "w", stdout) == NULL || freopen(log, "a", stderr) == NULL)
			_exit(126);
		if (geteuid() == 0)
			execl(GHOSTDROPD, "ghostdropd", "serve", "--data", data, "--port-file",
			      path, "--user", "nobody", (char *)NULL);
		else
			execl(GHOSTDROPD, "ghostdropd", "serve", "--data", data, "--port-file",
			      path, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 50000 && port == 0; i++) {
		if ((port = read_port(path)) == 0)
			usleep(200);
	}
	if (port == 0)
		die("ghostdropd did not start");
	if (to_port)
		*to_port = now_s() - t0;
	for (int i = 0; i < 50000 && !answered(); i++)
		usleep(200);
	if (to_answer)
		*to_answer = now_s() - t0;
}

static void stop_drop(void)
{
	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, NULL, 0);
	daemon_pid = 0;
}

static void start_drop(void)
{
	make_drop();
	launch_drop(NULL, NULL);
}

/* Seconds from the fork (`answered_at` after it) to a first testimony acknowledged: the
 * writer runs the start-up GC and retention first. */
static double first_stored(double answered_at)
{
	drop_conn c;
	drop_err e;
	int keep, already;
	uint8_t id[16];
	double t0 = now_s();
	conn_open(&c, &keep);
	randombytes_buf(id, 16);
	if (drop_submit(&c, id, pool[0].buf, pool[0].len, &already, &e) != DROP_OK || already)
		die("submission not acknowledged");
	gd_keep_close(&keep);
	stored_total++;
	return answered_at + now_s() - t0;
}

/* The idle drop: start-up time (fork to the port file written, and to the first request
 * answered) and RSS once started, over `starts` starts, with an empty drop and with
 * 100,000 testimonies stored (filled at 64 clients, then the drop restarted). */
static int idle(int starts)
{
	static const long levels[] = {0, 100000};
	double tp[100], ta[100], ts[100], rss[100], anon[100], file[100], flt[100], rss0[100];
	make_drop();
	for (int i = 0; i < POOL; i++)
		testimony(&pool[i]);
	printf("idle ghostdropd: %d starts per level, medians (min-max); RSS 0.5 s after the "
	       "first testimony stored\n",
	       starts);
	for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
		if (stored_total < levels[l]) {
			launch_drop(NULL, NULL);
			while (stored_total < levels[l])
				submissions_per_second(64, 1.0);
			stop_drop();
		}
		long at = stored_total;
		for (int r = 0; r < starts; r++) {
			launch_drop(&tp[r], &ta[r]);
			rss0[r] = (double)rss_kib(daemon_pid, "VmRSS:");
			ts[r] = first_stored(ta[r]);
			usleep(500000);
			flt[r] = minflt(daemon_pid);
			rss[r] = (double)rss_kib(daemon_pid, "VmRSS:");
			anon[r] = (double)rss_kib(daemon_pid, "RssAnon:");
			file[r] = (double)rss_kib(daemon_pid, "RssFile:");
			stop_drop();
		}
		/* median() sorts: then [0] is the least, [starts - 1] the most */
		double mp = median(tp, starts), ma = median(ta, starts), mr = median(rss, starts);
		double man = median(anon, starts), mf = median(file, starts);
		double m0 = median(rss0, starts), mflt = median(flt, starts);
		double ms = median(ts, starts);
		printf("with %7ld stored: start-up to the port file %6.1f ms (%.1f-%.1f), to the "
		       "first answer %6.1f ms (%.1f-%.1f)\n",
		       at, mp * 1e3, tp[0] * 1e3, tp[starts - 1] * 1e3, ma * 1e3, ta[0] * 1e3,
		       ta[starts - 1] * 1e3);
		printf("                   to the first testimony stored (after the start-up GC "
		       "and retention) %6.1f ms (%.1f-%.1f)\n",
		       ms * 1e3, ts[0] * 1e3, ts[starts - 1] * 1e3);
		printf("                   RSS %6.0f KiB (%.0f-%.0f): anonymous %.0f KiB, "
		       "file-backed %.0f KiB; at the first answer %.0f KiB; minor faults %.0f\n",
		       mr, rss[0], rss[starts - 1], man, mf, m0, mflt);
		fflush(stdout);
	}
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	sh(cmd);
	return 0;
}

/* Does the cost grow with what the drop holds? Submissions/s (16 clients) with 0, 10,000
 * and 100,000 testimonies stored, and the size of the database. */
static int growth(double seconds, int runs)
{
	static const long levels[] = {0, 10000, 100000};
	double v[32];
	start_drop();
	for (int i = 0; i < POOL; i++)
		testimony(&pool[i]);
	printf("cost growth: acknowledged submissions/s at 16 clients, %d runs of %.1f s, "
	       "medians\n",
	       runs, seconds);
	for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
		while (stored_total < levels[l])
			submissions_per_second(64, 1.0);
		long before = stored_total;
		for (int r = 0; r < runs; r++)
			v[r] = submissions_per_second(16, seconds);
		char path[256];
		struct stat st;
		snprintf(path, sizeof path, "%s/d/db/data.mdb", dir);
		stat(path, &st);
		printf("with %7ld stored: %8.0f submissions/s   (data.mdb %lld MiB)\n", before,
		       median(v, runs), (long long)st.st_size >> 20);
	}
	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, NULL, 0);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	sh(cmd);
	return 0;
}

/* Several uploads at once (issue 20): the drop's writer then commits several chunks per
 * transaction. MiB/s for all of them together, the drop's CPU time and minor page faults per
 * MiB, medians. */
static long uploads_mib;

static void *upload_thread(void *arg)
{
	long peak;
	(void)arg;
	upload_mib_s((uint64_t)uploads_mib << 20, &peak);
	return NULL;
}

static int uploads(int k, int runs, long mib)
{
	double v[32], ms[32], flt[32];
	pthread_t t[16];
	start_drop();
	uploads_mib = mib / k;
	double total = (double)(uploads_mib * k);
	for (int r = 0; r < runs; r++) {
		double c0 = cpu_s(daemon_pid), f0 = minflt(daemon_pid), t0 = now_s();
		for (int i = 0; i < k; i++)
			if (pthread_create(&t[i], NULL, upload_thread, NULL) != 0)
				die("pthread_create");
		for (int i = 0; i < k; i++)
			pthread_join(t[i], NULL);
		v[r] = total / (now_s() - t0);
		ms[r] = (cpu_s(daemon_pid) - c0) * 1000 / total;
		flt[r] = (minflt(daemon_pid) - f0) / total;
	}
	printf("%d uploads of %ld MiB at once, %d runs, medians: %.0f MiB/s; ghostdropd per MiB: "
	       "%.2f ms CPU, %.0f minor faults; VmHWM %ld KiB\n",
	       k, uploads_mib, runs, median(v, runs), median(ms, runs), median(flt, runs),
	       rss_kib(daemon_pid, "VmHWM:"));
	stop_drop();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	sh(cmd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "idle") == 0) {
		long starts = bench_arg(argc, argv, 2, 11);
		if (starts < 1 || starts > 100 || gd_init() != GD_OK) {
			fprintf(stderr, "usage: server idle [starts, at most 100]\n");
			return 2;
		}
		signal(SIGPIPE, SIG_IGN);
		return idle((int)starts);
	}
	if (argc > 2 && strcmp(argv[1], "uploads") == 0) {
		long k = bench_arg(argc, argv, 2, 4), runs = bench_arg(argc, argv, 3, 3),
		     mib = bench_arg(argc, argv, 4, 512);
		if (k < 1 || k > 16 || runs < 1 || runs > 32 || mib < k || gd_init() != GD_OK) {
			fprintf(stderr, "usage: server uploads K (1-16) [runs] [MiB in all]\n");
			return 2;
		}
		signal(SIGPIPE, SIG_IGN);
		return uploads((int)k, (int)runs, mib);
	}
	if (argc > 1 && strcmp(argv[1], "growth") == 0) {
		if (gd_init() != GD_OK)
			return 1;
		signal(SIGPIPE, SIG_IGN);
		long runs = bench_arg(argc, argv, 2, 3), tenths = bench_arg(argc, argv, 3, 5);
		if (runs < 1 || runs > 32 || tenths < 1) {
			fprintf(stderr,
				"usage: server growth [runs] [tenths of a second per run]\n");
			return 2;
		}
		return growth((double)tenths / 10, (int)runs);
	}
	int runs = (int)bench_arg(argc, argv, 1, 3);
	double seconds = (double)bench_arg(argc, argv, 2, 3);
	long mib = bench_arg(argc, argv, 3, 1024);
	uint64_t up_mib = (uint64_t)mib;
	if (runs < 1 || runs > 100 || seconds <= 0 || mib < 1 || gd_init() != GD_OK) {
		fprintf(stderr,
			"usage: server [runs] [seconds per run] [upload MiB] | server growth\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	start_drop();
	for (int i = 0; i < POOL; i++)
		testimony(&pool[i]);
	printf("ghostdropd on 127.0.0.1, %d runs of %.0f s each, medians; one envelope = %zu "
	       "bytes\n",
	       runs, seconds, pool[0].len);
	printf("(each submission: a challenge request, PoW at 0 bits, the POST, fsync'd "
	       "commit)\n\n");
	static const int conc[] = {1, 16, 64};
	double *v = calloc((size_t)runs, sizeof *v);
	double *cpu = calloc((size_t)runs, sizeof *cpu);
	for (size_t k = 0; k < 3; k++) {
		for (int r = 0; r < runs; r++) {
			long n0 = stored_total;
			double c0 = cpu_s(daemon_pid);
			v[r] = submissions_per_second(conc[k], seconds);
			cpu[r] = (cpu_s(daemon_pid) - c0) * 1e6 / (double)(stored_total - n0);
		}
		printf("acknowledged submissions/s, %2d concurrent clients: %8.0f   "
		       "(ghostdropd CPU per submission: %.0f us)\n",
		       conc[k], median(v, runs), median(cpu, runs));
	}
	free(cpu);
	long peak = 0;
	for (int r = 0; r < runs; r++) {
		long p;
		v[r] = upload_mib_s(up_mib << 20, &p);
		if (p > peak)
			peak = p;
	}
	printf("upload of a %llu MiB envelope (sealed + sent in 1 MiB chunks, one at a time): "
	       "%6.0f MiB/s\n",
	       (unsigned long long)up_mib, median(v, runs));
	printf("ghostdropd RSS: peak sampled during uploads %ld KiB, VmHWM %ld KiB\n", peak,
	       rss_kib(daemon_pid, "VmHWM:"));
	printf("  of which now: anonymous (heap) %ld KiB, file-backed (LMDB map pages) %ld KiB\n",
	       rss_kib(daemon_pid, "RssAnon:"), rss_kib(daemon_pid, "RssFile:"));
	/* the worker's own binary: read, seal, upload a file of the same size */
	char file[128], cmd[256];
	snprintf(file, sizeof file, "%s/testimony.bin", dir);
	snprintf(cmd, sizeof cmd, "head -c %llu /dev/urandom > %s",
		 (unsigned long long)(up_mib << 20), file);
	sh(cmd);
	long crss = 0;
	double *cc = calloc((size_t)runs, sizeof *cc), *dc = calloc((size_t)runs, sizeof *dc);
	double *kc = calloc((size_t)runs, sizeof *kc);
	for (int r = 0; r < runs; r++) {
		long m;
		v[r] = client_upload(file, up_mib << 20, &m, &cc[r], &dc[r], &kc[r]);
		crss = m > crss ? m : crss;
	}
	printf("ghostdrop submit of a %llu MiB file (read, seal, upload; PoW included): %6.0f "
	       "MiB/s, "
	       "peak RSS %ld KiB\n",
	       (unsigned long long)up_mib, median(v, runs), crss);
	printf("  CPU time per MiB: ghostdrop %.2f ms, ghostdropd %.2f ms (on %ld cores); "
	       "ghostdrop's children (mat2 --list) %.0f ms in all\n",
	       median(cc, runs), median(dc, runs), sysconf(_SC_NPROCESSORS_ONLN),
	       median(kc, runs) * 1000);
	free(kc);
	free(cc);
	free(dc);
	unlink(file);
	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, NULL, 0);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	sh(cmd);
	free(v);
	return 0;
}
