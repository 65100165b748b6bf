/* ghostdrop benchmark: `ghostdrop-desk open` of whole batches, with -j 1 and -j (all cores).
 * Batches are made here (sealed with libghostdrop to a journalist key the real desk made);
 * each run opens into an empty folder; medians over the runs. The time to unlock the key
 * (Argon2id, once per run) is measured with an empty batch and shown apart.
 * Usage: bench/desk [RUNS] [TEXTS] [BIG_COUNT] [BIG_MIB]   (defaults 3 1000 10 100)
 * `bench/desk growth [RUNS]`: 1,000 texts opened into a folder already holding 0, 10,000 and
 * 100,000 opened testimonies (does the desk slow down as its folder fills?). */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "bench.h"
#include "gdcrypto.h"

static char T[64];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench/desk: failed: %s\n", cmd);
		exit(1);
	}
}

static int to_file(void *arg, const uint8_t *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -1;
}

/* One record: header with the length patched in once the envelope is written. */
static void add(FILE *f, const uint8_t pk[32], const char *text, uint64_t att_size,
		const uint8_t *fill, size_t fill_len)
{
	gd_manifest m;
	gd_attachment a = {"data.bin", "application/octet-stream", att_size};
	memset(&m, 0, sizeof m);
	m.kind = GD_KIND_TESTIMONY;
	randombytes_buf(m.submission_id, 16);
	m.text = (char *)text;
	m.text_len = strlen(text);
	m.attachments = att_size ? &a : NULL;
	m.n_attachments = att_size ? 1 : 0;
	uint8_t rec[BATCH_RECORD_BYTES];
	long start = ftell(f);
	fwrite(rec, 1, sizeof rec, f);
	gd_seal *s;
	if (gd_seal_new(&s, (const uint8_t(*)[32])pk, 1, &m, NULL, to_file, f) != GD_OK)
		exit(1);
	for (uint64_t done = 0; done < att_size;) {
		size_t k = att_size - done < fill_len ? (size_t)(att_size - done) : fill_len;
		if (gd_seal_write(s, fill, k) != GD_OK)
			exit(1);
		done += k;
	}
	if (gd_seal_finish(s) != GD_OK)
		exit(1);
	gd_seal_free(s);
	long end = ftell(f);
	batch_record(rec, m.submission_id, gd_day(time(NULL)),
		     (uint64_t)(end - start) - sizeof rec);
	fseek(f, start, SEEK_SET);
	fwrite(rec, 1, sizeof rec, f);
	fseek(f, end, SEEK_SET);
}

static uint64_t make_batch(const char *name, const uint8_t pk[32], long n, uint64_t att,
			   const char *text)
{
	char p[256];
	uint8_t h[BATCH_RECORD_BYTES], *fill = malloc(1 << 20);
	randombytes_buf(fill, 1 << 20);
	snprintf(p, sizeof p, "%s/%s", T, name);
	FILE *f = fopen(p, "wb");
	batch_header(h);
	fwrite(h, 1, BATCH_HEADER_BYTES, f);
	for (long i = 0; i < n; i++)
		add(f, pk, text, att, fill, 1 << 20);
	batch_end(h, (uint64_t)n);
	fwrite(h, 1, sizeof h, f);
	uint64_t size = (uint64_t)ftell(f);
	fclose(f);
	free(fill);
	return size;
}

/* Into T/out, which keeps what was opened there before. */
static double open_into(const char *batch, const char *out, int jobs)
{
	double t0 = now_s();
	sh("%s open --dir %s/desk %s/%s --out %s/%s --passphrase-file %s/pass -j %d 2>/dev/null",
	   DESK_BIN, T, T, batch, T, out, T, jobs);
	return now_s() - t0;
}

/* Each run into a new folder, all removed at the end: ext4 slows down creating files right
 * after deleting thousands (it scans for recently deleted inodes), which would be measured
 * here instead of the desk. */
static double open_once(const char *batch, int jobs)
{
	static int run;
	char out[32];
	snprintf(out, sizeof out, "out-%d", run++);
	return open_into(batch, out, jobs);
}

static double open_median(const char *batch, int jobs, int runs)
{
	double v[32];
	for (int i = 0; i < runs; i++)
		v[i] = open_once(batch, jobs);
	return median(v, runs);
}

static const char text[] =
	"We label images for a self-driving car project. 900 an hour, paid for 6 hours of a "
	"9-hour shift: the rest is 'idle time' when the queue is empty. We were never told "
	"the client's name, and the NDA says we cannot say we do this work at all.";

/* A desk with one journalist, in a new T; her public key in j. */
static int setup(gd_journalist *j)
{
	snprintf(T, sizeof T, "/tmp/gd-bench-desk-XXXXXX");
	if (mkdtemp(T) == NULL)
		return -1;
	sh("printf 'correct horse battery staple\\n' > %s/pass", T);
	sh("%s newsroom init --dir %s/desk --name Bench --passphrase-file %s/pass >/dev/null 2>&1",
	   DESK_BIN, T, T);
	sh("%s journalist add --dir %s/desk Ana --passphrase-file %s/pass 2>/dev/null", DESK_BIN, T,
	   T);
	char p[256];
	snprintf(p, sizeof p, "%s/desk/journalists/Ana/key-1.pub", T);
	FILE *f = fopen(p, "r");
	char pub[4096];
	size_t pl = fread(pub, 1, sizeof pub, f);
	fclose(f);
	return gd_pubfile_decode(j, pub, pl) == GD_OK ? 0 : -1;
}

static int growth(long runs)
{
	static const long levels[] = {0, 10000, 100000};
	gd_journalist j;
	if (setup(&j) != 0)
		return 1;
	int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	long held = 0;
	printf("bench/desk growth: 1000 texts opened with -j %d into a folder already holding N "
	       "opened testimonies; %ld run(s), median (key unlock included)\n",
	       cores, runs);
	for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
		while (held < levels[l]) { /* new testimonies: an opened one is not opened again */
			long n = levels[l] - held < 10000 ? levels[l] - held : 10000;
			make_batch("fill", j.pk, n, 0, text);
			open_into("fill", "grow", cores);
			held += n;
		}
		long at = held;
		double v[32];
		for (long r = 0; r < runs; r++) {
			make_batch("probe", j.pk, 1000, 0, text);
			v[r] = open_into("probe", "grow", cores);
			held += 1000;
		}
		printf("holding %7ld: open 1000 texts %6.2f s\n", at, median(v, (int)runs));
		fflush(stdout);
	}
	sh("rm -rf %s", T);
	return 0;
}

int main(int argc, char **argv)
{
	if (gd_init() != GD_OK)
		return 1;
	if (argc > 1 && strcmp(argv[1], "growth") == 0) {
		long runs = bench_arg(argc, argv, 2, 3);
		if (runs < 1 || runs > 31) {
			fprintf(stderr, "usage: bench/desk growth [RUNS<=31]\n");
			return 2;
		}
		return growth(runs);
	}
	long runs = bench_arg(argc, argv, 1, 3), texts = bench_arg(argc, argv, 2, 1000),
	     bigs = bench_arg(argc, argv, 3, 10), mib = bench_arg(argc, argv, 4, 100);
	if (runs < 1 || runs > 31 || texts < 0 || bigs < 0 || mib < 0) {
		fprintf(stderr, "usage: bench/desk [RUNS<=31] [TEXTS] [BIG_COUNT] [BIG_MIB]\n");
		return 2;
	}
	gd_journalist j;
	if (setup(&j) != 0)
		return 1;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	printf("bench/desk: %ld run(s), median; %ld core(s)\n", runs, cores);
	make_batch("empty", j.pk, 0, 0, text);
	uint64_t tsz = make_batch("texts", j.pk, texts, 0, text);
	uint64_t bsz = make_batch("big", j.pk, bigs, (uint64_t)mib << 20, text);
	double unlock = open_median("empty", 1, runs);
	printf("key unlock (Argon2id, once per open): %.2f s\n", unlock);
	struct {
		const char *name;
		long n;
		uint64_t size;
	} b[2] = {{"texts", texts, tsz}, {"big", bigs, bsz}};
	for (int i = 0; i < 2; i++) {
		if (b[i].n == 0)
			continue;
		int js[2] = {1, (int)cores};
		for (int k = 0; k < (cores > 1 ? 2 : 1); k++) {
			double t = open_median(b[i].name, js[k], runs), work = t - unlock;
			char what[64];
			if (i == 0)
				snprintf(what, sizeof what, "%ld texts (16 KiB)", b[i].n);
			else
				snprintf(what, sizeof what, "%ld x %ld MiB", b[i].n, mib);
			printf("open %-18s -j %-2d %7.2f s (%.2f s after unlock)  %8.1f MB/s  "
			       "%8.1f "
			       "submissions/s\n",
			       what, js[k], t, work, (double)b[i].size / 1e6 / work,
			       (double)b[i].n / work);
		}
	}
	sh("rm -rf %s", T);
	return 0;
}
