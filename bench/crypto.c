/* bench/crypto: medians of libghostdrop's costs (envelope throughput, one testimony, codename
 * derivation, PoW solving). Prints figures; asserts nothing. Usage: bench/crypto [runs] */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "gdcrypto.h"

#define BIG (100u << 20)

typedef struct {
	uint8_t *buf;
	size_t len, cap, pos;
} mem;

static int discard(void *arg, const uint8_t *b, size_t n)
{
	(void)arg;
	(void)b;
	(void)n;
	return 0;
}

static int mem_write(void *arg, const uint8_t *b, size_t n)
{
	mem *m = arg;
	if (m->len + n > m->cap)
		return -1;
	memcpy(m->buf + m->len, b, n);
	m->len += n;
	return 0;
}

static ssize_t mem_read(void *arg, uint8_t *b, size_t n)
{
	mem *m = arg;
	if (n > m->len - m->pos)
		n = m->len - m->pos;
	memcpy(b, m->buf + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static gd_source_keys *src;
static uint8_t jpk[1][32], jsk[1][32];

static void manifest(gd_manifest *m, gd_attachment *a, uint64_t size, const char *text)
{
	memset(m, 0, sizeof *m);
	m->kind = GD_KIND_TESTIMONY;
	randombytes_buf(m->submission_id, 16);
	m->text = (char *)text;
	m->text_len = strlen(text);
	gd_manifest_set_source(m, src);
	if (a != NULL) {
		snprintf(a->name, sizeof a->name, "data.bin");
		snprintf(a->type, sizeof a->type, "application/octet-stream");
		a->size = size;
		m->attachments = a;
		m->n_attachments = 1;
	}
}

static int seal(gd_write_fn out, void *arg, const uint8_t *data, uint64_t size, const char *text)
{
	gd_manifest m;
	gd_attachment a;
	gd_seal *s;
	manifest(&m, size ? &a : NULL, size, text);
	int rc = gd_seal_new(&s, (const uint8_t(*)[32])jpk, 1, &m, src, out, arg);
	for (uint64_t off = 0; rc == GD_OK && off < size; off += 65536)
		rc = gd_seal_write(s, data + off, size - off < 65536 ? size - off : 65536);
	if (rc == GD_OK)
		rc = gd_seal_finish(s);
	gd_seal_free(s);
	return rc;
}

static int open_mem(mem *m)
{
	gd_open_result res;
	m->pos = 0;
	return gd_envelope_open(mem_read, m, (const uint8_t(*)[32])jsk, (const uint8_t(*)[32])jpk,
				1, NULL, &res);
}

int main(int argc, char **argv)
{
	int runs = (int)bench_arg(argc, argv, 1, 5);
	if (runs < 1 || runs > 100 || gd_init() != GD_OK) {
		fprintf(stderr, "usage: crypto [runs 1..100]\n");
		return 2;
	}
	double *t = calloc((size_t)runs, sizeof *t);
	uint8_t nr[32] = {1};
	src = sodium_malloc(sizeof *src);
	crypto_box_keypair(jpk[0], jsk[0]);
	printf("libghostdrop benchmarks, median of %d runs (libsodium %s)\n\n", runs,
	       sodium_version_string());

	for (int i = 0; i < runs; i++) {
		double t0 = now_s();
		if (gd_codename_derive(src,
				       "zoom abacus yo-yo able ablaze abide zoologist felt-tip",
				       nr) != GD_OK)
			return 1;
		t[i] = now_s() - t0;
	}
	printf("codename derivation (Argon2id, 256 MiB, 3 passes)   %8.0f ms\n",
	       median(t, runs) * 1e3);

	uint8_t *data = malloc(BIG);
	randombytes_buf(data, BIG);
	for (int i = 0; i < runs; i++) {
		double t0 = now_s();
		if (seal(discard, NULL, data, BIG, "bench") != GD_OK)
			return 1;
		t[i] = BIG / (now_s() - t0) / 1048576.0;
	}
	printf("envelope encrypt, 100 MiB, 64 KiB chunks           %8.0f MiB/s\n", median(t, runs));

	mem m = {.cap = (size_t)gd_envelope_size(1, gd_pad_envelope(BIG + 1024)) + 4096};
	m.buf = malloc(m.cap);
	if (seal(mem_write, &m, data, BIG, "bench") != GD_OK)
		return 1;
	for (int i = 0; i < runs; i++) {
		double t0 = now_s();
		if (open_mem(&m) != GD_OK)
			return 1;
		t[i] = BIG / (now_s() - t0) / 1048576.0;
	}
	printf("envelope decrypt, 100 MiB, 64 KiB chunks           %8.0f MiB/s\n", median(t, runs));

	char text[8000];
	memset(text, 'w', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	mem one = {.cap = 1 << 20};
	one.buf = malloc(one.cap);
	double *o = calloc((size_t)runs, sizeof *o);
	for (int i = 0; i < runs; i++) {
		int n = 0;
		double t0 = now_s(), el;
		do {
			one.len = 0;
			if (seal(mem_write, &one, NULL, 0, text) != GD_OK)
				return 1;
			n++;
		} while ((el = now_s() - t0) < 0.5);
		t[i] = n / el;
		n = 0;
		t0 = now_s();
		do {
			if (open_mem(&one) != GD_OK)
				return 1;
			n++;
		} while ((el = now_s() - t0) < 0.5);
		o[i] = n / el;
	}
	printf("seal one testimony (16 KiB envelope, signed)       %8.0f /s   (%zu bytes)\n",
	       median(t, runs), one.len);
	printf("open one testimony (verify + decrypt)              %8.0f /s\n", median(o, runs));

	uint8_t key[32], ch[GD_POW_CHALLENGE_BYTES];
	randombytes_buf(key, sizeof key);
	static const unsigned bits[] = {16, 20};
	for (size_t b = 0; b < 2; b++) {
		int n = runs * 3; /* solve times vary a lot: more samples */
		double *p = calloc((size_t)n, sizeof *p), hashes = 0, total = 0;
		for (int i = 0; i < n; i++) {
			gd_pow_challenge c = {.purpose = GD_POW_SUBMIT,
					      .bits = (uint8_t)bits[b],
					      .expires = 4000000000LL};
			uint64_t ctr;
			randombytes_buf(c.id, sizeof c.id);
			gd_pow_issue(ch, &c, key);
			double t0 = now_s();
			gd_pow_solve(&ctr, ch);
			p[i] = now_s() - t0;
			hashes += (double)ctr + 1;
			total += p[i];
		}
		printf("PoW solve at %u bits (median of %d challenges)     %8.1f ms   (%.2f "
		       "Mhash/s, "
		       "expected %.0f ms)\n",
		       bits[b], n, median(p, n) * 1e3, hashes / total / 1e6,
		       (double)(1u << bits[b]) / (hashes / total) * 1e3);
		free(p);
	}
	free(o);
	free(one.buf);
	free(m.buf);
	free(data);
	free(t);
	sodium_free(src);
	return 0;
}
