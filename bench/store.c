/* bench/store: what LMDB itself can do on this disk, without ghostdrop around it: the limits
 * the drop's text-testimony figures are measured against. Each record is what the drop
 * stores per text testimony: a 16,583-byte envelope in one database and a 96-byte record in
 * another, under random ids, in an environment opened as the drop opens its own
 * (MDB_NOTLS, never MDB_WRITEMAP, every commit synced). Prints, for 0, 10,000 and 100,000
 * records already stored:
 *   - commits per second with one record each (the ceiling for one client at a time);
 *   - records per second in commits of 64 (the ceiling with many clients: group commit);
 *   - for the commits of 64: the time in mdb_put (CPU work in the B-trees) and in the commit
 *     (writing the dirty pages, fdatasync, the meta page), and the B-tree depth.
 *   - what an upload chunk costs: 1 MiB values, one per commit, in MiB/s (the ceiling of the
 *     drop's upload path on this disk), and the ms of such a commit.
 *   - records per second in commits of 16: the most a drop serving 16 clients can put in one
 *     commit (bench/server growth measures the drop at 16 clients), and the ms of such a commit.
 * Each run is 300 single commits, 40 commits of 64 and 40 of 16, so the levels move on a
 * little as they are measured; the table says how many were stored when a level began.
 * Usage: bench/store [RUNS]   (default 3; medians over the runs)
 *        bench/store writemap [RUNS]   (issue 20's experiment, below) */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define ENVELOPE 16583
#define RECORD 96

static MDB_env *env;
static MDB_dbi chunks, subs;
static uint8_t envelope[ENVELOPE], record[RECORD];
static long stored;
static double put_s, commit_s; /* time spent in mdb_put and in mdb_txn_commit */

static void check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "bench/store: %s: %s\n", what, mdb_strerror(rc));
		exit(1);
	}
}

/* One transaction of n records; the commit (and its fsync) included. */
static void commit_records(int n)
{
	MDB_txn *txn;
	double t0 = now_s();
	check(mdb_txn_begin(env, NULL, 0, &txn), "begin");
	for (int i = 0; i < n; i++) {
		uint8_t key[20];
		randombytes_buf(key, sizeof key);
		MDB_val k = {sizeof key, key}, v = {ENVELOPE, envelope};
		check(mdb_put(txn, chunks, &k, &v, 0), "put envelope");
		MDB_val k2 = {16, key}, v2 = {RECORD, record};
		check(mdb_put(txn, subs, &k2, &v2, 0), "put record");
	}
	double t1 = now_s();
	check(mdb_txn_commit(txn), "commit");
	put_s += t1 - t0;
	commit_s += now_s() - t1;
	stored += n;
}

/* MiB/s storing 1 MiB values (random keys), one per commit, `n` commits; ms per commit. */
static double chunk_rate(int n, double *put_ms, double *commit_ms)
{
	size_t len = 1 << 20;
	uint8_t *buf = malloc(len);
	if (buf == NULL)
		exit(1);
	randombytes_buf(buf, len);
	put_s = commit_s = 0;
	double t0 = now_s();
	for (int i = 0; i < n; i++) {
		MDB_txn *txn;
		uint8_t key[20];
		randombytes_buf(key, sizeof key);
		double a = now_s();
		check(mdb_txn_begin(env, NULL, 0, &txn), "begin");
		MDB_val k = {sizeof key, key}, v = {len, buf};
		check(mdb_put(txn, chunks, &k, &v, 0), "put chunk");
		double b = now_s();
		check(mdb_txn_commit(txn), "commit");
		put_s += b - a;
		commit_s += now_s() - b;
	}
	double t = now_s() - t0;
	free(buf);
	*put_ms = put_s * 1000 / n;
	*commit_ms = commit_s * 1000 / n;
	return n / t;
}

/* Records per second in `commits` commits of `batch`; ms per commit in mdb_put and in the
 * commit itself. */
static double rate(int batch, int commits, double *put_ms, double *commit_ms)
{
	put_s = commit_s = 0;
	double t0 = now_s();
	for (int i = 0; i < commits; i++)
		commit_records(batch);
	double t = now_s() - t0;
	*put_ms = put_s * 1000 / commits;
	*commit_ms = commit_s * 1000 / commits;
	return (double)batch * commits / t;
}

/* `bench/store writemap`: the experiment of issue 20 (BENCHMARKS.md). CPU time and minor page
 * faults per stored MiB of 1 MiB values, one and four per synced commit, stored as the drop
 * stores them (mdb_put copies into LMDB's dirty pages, the commit pwrite()s them) and with
 * MDB_WRITEMAP + MDB_RESERVE (the value copied straight into the map: one copy fewer), the
 * space reserved ahead with posix_fallocate as a drop would have to (a write into a hole of a
 * full disk is SIGBUS, not ENOSPC). Freed memory is kept as ghostdropd keeps it (mallopt). */
static void writemap_run(int writemap, int per, int commits, double *ms, double *faults)
{
	char dir[] = "/tmp/gd-bench-store-XXXXXX", cmd[64];
	size_t len = 1 << 20;
	uint8_t *buf = malloc(len);
	MDB_env *e;
	MDB_dbi dbi;
	MDB_txn *txn;
	int fd;
	off_t reserved = 0;
	struct rusage r0, r1;
	if (buf == NULL || mkdtemp(dir) == NULL)
		exit(1);
	randombytes_buf(buf, len);
	check(mdb_env_create(&e), "env");
	check(mdb_env_set_mapsize(e, (size_t)16 << 30), "mapsize");
	check(mdb_env_open(e, dir, MDB_NOTLS | (writemap ? MDB_WRITEMAP : 0), 0600), "open");
	check(mdb_txn_begin(e, NULL, 0, &txn), "begin");
	check(mdb_dbi_open(txn, NULL, 0, &dbi), "dbi");
	check(mdb_txn_commit(txn), "commit");
	check(mdb_env_get_fd(e, &fd), "fd");
	getrusage(RUSAGE_SELF, &r0);
	for (int i = 0; i < commits; i++) {
		MDB_envinfo info;
		mdb_env_info(e, &info);
		/* the pages this commit may write: its values, their B-tree pages, the meta */
		off_t need = (off_t)(info.me_last_pgno + 1 + (size_t)per * 260) * 4096;
		if (writemap && need > reserved) {
			if (posix_fallocate(fd, reserved, need + (64 << 20) - reserved) != 0)
				exit(1);
			reserved = need + (64 << 20);
		}
		check(mdb_txn_begin(e, NULL, 0, &txn), "begin");
		for (int j = 0; j < per; j++) {
			uint8_t key[20];
			randombytes_buf(key, sizeof key);
			MDB_val k = {sizeof key, key}, v = {len, buf};
			check(mdb_put(txn, dbi, &k, &v, writemap ? MDB_RESERVE : 0), "put");
			if (writemap)
				memcpy(v.mv_data, buf, len);
		}
		check(mdb_txn_commit(txn), "commit");
	}
	getrusage(RUSAGE_SELF, &r1);
	double mib = (double)commits * per;
	*ms = ((double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
	       (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
	       (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
	       (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6) *
	      1000 / mib;
	*faults = (double)(r1.ru_minflt - r0.ru_minflt) / mib;
	mdb_env_close(e);
	free(buf);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		exit(1);
}

static int writemap_experiment(int runs)
{
	static const char *const how[] = {"copy (the drop)", "WRITEMAP+RESERVE+fallocate"};
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	printf("1 MiB values, 256 MiB per run, every commit synced, %d runs, medians: CPU ms and "
	       "minor faults per MiB\n",
	       runs);
	for (int per = 1; per <= 4; per *= 4)
		for (int w = 0; w < 2; w++) {
			double ms[32], flt[32];
			for (int r = 0; r < runs; r++)
				writemap_run(w, per, 256 / per, &ms[r], &flt[r]);
			printf("%-28s %d per commit: %6.2f ms/MiB %6.0f faults/MiB\n", how[w], per,
			       median(ms, runs), median(flt, runs));
			fflush(stdout);
		}
	return 0;
}

/* CPU seconds this process has used so far (user + system). */
static double cpu_now(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return (double)r.ru_utime.tv_sec + (double)r.ru_stime.tv_sec +
	       ((double)r.ru_utime.tv_usec + (double)r.ru_stime.tv_usec) / 1e6;
}

/* What the page cache costs per MiB written on this machine, the three ways a writer can meet
 * it (issue 20): MiB pwritten into a new file (every page fresh memory: on a VM whose host
 * takes freed memory back, each one faults in on the host as well), the same MiB again over
 * pages already cached, and a new file whose pages leave the cache (POSIX_FADV_DONTNEED) once
 * written and synced, so that the next MiB reuses them (what ghostdropd does with stored
 * chunks). CPU ms per MiB, medians. In /tmp: on a tmpfs /tmp the figures mean nothing. */
static int pagecache(int runs, int mib)
{
	static uint8_t buf[1 << 20];
	double fresh[32], again[32], reused[32];
	randombytes_buf(buf, sizeof buf);
	for (int r = 0; r < runs; r++) {
		char path[] = "/tmp/gd-bench-pagecache-XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0)
			return 1;
		for (int pass = 0; pass < 3; pass++) {
			if (pass == 2) { /* a new file whose written pages are given back */
				if (ftruncate(fd, 0) != 0)
					goto fail;
				posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			}
			double c0 = cpu_now();
			for (int i = 0; i < mib; i++) {
				off_t off = (off_t)i << 20;
				if (pwrite(fd, buf, sizeof buf, off) != (ssize_t)sizeof buf)
					goto fail;
				if (pass == 2 &&
				    (fdatasync(fd) != 0 ||
				     posix_fadvise(fd, off, sizeof buf, POSIX_FADV_DONTNEED) != 0))
					goto fail;
			}
			double ms = (cpu_now() - c0) * 1000 / mib;
			*(pass == 0 ? &fresh[r] : pass == 1 ? &again[r] : &reused[r]) = ms;
			if (pass == 0 && fdatasync(fd) != 0)
				goto fail;
		}
		close(fd);
		unlink(path);
		continue;
	fail:
		perror("bench/store pagecache");
		close(fd);
		unlink(path);
		return 1;
	}
	printf("page cache, CPU ms per MiB written (%d MiB, %d runs, medians): a new file %.2f, "
	       "the same pages again %.2f, a new file whose pages leave the cache once synced "
	       "%.2f\n",
	       mib, runs, median(fresh, runs), median(again, runs), median(reused, runs));
	return 0;
}

int main(int argc, char **argv)
{
	static const long levels[] = {0, 10000, 100000};
	if (argc > 1 && strcmp(argv[1], "writemap") == 0) {
		int n = (int)bench_arg(argc, argv, 2, 3);
		return n < 1 || n > 32 || sodium_init() < 0 ? 2 : writemap_experiment(n);
	}
	if (argc > 1 && strcmp(argv[1], "pagecache") == 0) {
		int n = (int)bench_arg(argc, argv, 2, 3), mib = (int)bench_arg(argc, argv, 3, 1024);
		return n < 1 || n > 32 || mib < 1 || mib > 65536 || sodium_init() < 0
			       ? 2
			       : pagecache(n, mib);
	}
	int runs = (int)bench_arg(argc, argv, 1, 3);
	char dir[] = "/tmp/gd-bench-store-XXXXXX";
	if (runs < 1 || runs > 32 || sodium_init() < 0) {
		fprintf(stderr, "usage: store [runs] | store writemap [runs] | store pagecache "
				"[runs] [MiB]\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL) {
		perror("bench/store: mkdtemp");
		return 1;
	}
	randombytes_buf(envelope, sizeof envelope);
	randombytes_buf(record, sizeof record);
	check(mdb_env_create(&env), "env");
	check(mdb_env_set_maxdbs(env, 4), "maxdbs");
	check(mdb_env_set_mapsize(env, (size_t)16 << 30), "mapsize");
	check(mdb_env_open(env, dir, MDB_NOTLS, 0600), "open");
	MDB_txn *txn;
	check(mdb_txn_begin(env, NULL, 0, &txn), "begin");
	check(mdb_dbi_open(txn, "chunks", MDB_CREATE, &chunks), "dbi");
	check(mdb_dbi_open(txn, "submissions", MDB_CREATE, &subs), "dbi");
	check(mdb_txn_commit(txn), "commit");
	printf("LMDB on this disk (%s), one record = a %d-byte envelope + a %d-byte record,\n"
	       "%d runs, medians\n\n",
	       dir, ENVELOPE, RECORD, runs);
	printf("%-8s %14s %15s %24s %9s %17s %9s %15s %9s\n", "stored", "commits/s (1)",
	       "records/s (64)", "per commit of 64: put", "commit", "1 MiB values", "commit",
	       "records/s (16)", "commit");
	for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
		while (stored < levels[l])
			commit_records(1000);
		long at = stored;
		double one[32], many[32], pm[32], cm[32], big[32], bc[32], few[32], fc[32], unused;
		for (int r = 0; r < runs; r++) {
			one[r] = rate(1, 300, &unused, &unused);
			many[r] = rate(64, 40, &pm[r], &cm[r]);
			big[r] = chunk_rate(64, &unused, &bc[r]);
			few[r] = rate(16, 40, &unused, &fc[r]);
		}
		printf("%-8ld %14.0f %15.0f %21.2f ms %6.2f ms %11.0f MiB/s %6.2f ms %15.0f %6.2f "
		       "ms\n",
		       at, median(one, runs), median(many, runs), median(pm, runs),
		       median(cm, runs), median(big, runs), median(bc, runs), median(few, runs),
		       median(fc, runs));
		fflush(stdout);
	}
	struct stat st;
	char path[128];
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	if (stat(path, &st) == 0)
		printf("\ndata.mdb: %lld MiB for %ld records\n", (long long)st.st_size >> 20,
		       stored);
	mdb_env_close(env);
	snprintf(path, sizeof path, "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	return 0;
}
