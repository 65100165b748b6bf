/* ghostdrop benchmark: the proof of work's hash rate on one core and on every core (the
 * worker's solver, client/powsolve.c), solve times, and what the drop's difficulty policy
 * (PROTOCOL.md §11.3) costs a worker against the time the file takes through Tor. Prints
 * figures; asserts nothing.
 * Usage: bench/pow [runs] [seconds per run] [JS Mhash/s] [JS no-JIT Mhash/s]
 * The two JavaScript rates are what `node bench/pow.js` and `node --jitless bench/pow.js`
 * print (one thread); they default to the figures of BENCHMARKS.md. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "gdcrypto.h"
#include "powsolve.h"

static double limit_s;

static int until(const powsolve_stats *st, unsigned bits, void *arg)
{
	(void)bits;
	(void)arg;
	return st->seconds >= limit_s;
}

static void challenge(uint8_t ch[GD_POW_CHALLENGE_BYTES], const uint8_t key[32], unsigned bits)
{
	gd_pow_challenge c = {
		.purpose = GD_POW_UPLOAD, .bits = (uint8_t)bits, .expires = 4000000000LL};
	randombytes_buf(c.id, sizeof c.id);
	gd_pow_issue(ch, &c, key);
}

/* The drop's policy at its defaults (server/api.c pow_bits, idle): 18 bits, plus for an
 * upload one bit per doubling of its size from 8 MiB. */
static unsigned policy_bits(uint64_t size)
{
	unsigned b = 18;
	for (uint64_t steps = size >> 23; steps > 0; steps >>= 1)
		b++;
	return b;
}

/* The same before issue 16: one bit per doubling from 1 MiB. */
static unsigned old_bits(uint64_t size)
{
	unsigned b = 18;
	for (uint64_t mib = size >> 20; mib > 0; mib >>= 1)
		b++;
	return b;
}

int main(int argc, char **argv)
{
	long runs = bench_arg(argc, argv, 1, 5), secs = bench_arg(argc, argv, 2, 3);
	double js = argc > 3 ? atof(argv[3]) * 1e6 : 0.274e6;
	double nojit = argc > 4 ? atof(argv[4]) * 1e6 : 0.008e6;
	if (runs < 1 || secs < 1 || js <= 0 || nojit <= 0 || sodium_init() < 0) {
		fprintf(stderr, "usage: bench/pow [runs] [seconds per run] [JS Mhash/s] [no-JIT "
				"Mhash/s]\n");
		return 2;
	}
	uint8_t key[32], ch[GD_POW_CHALLENGE_BYTES];
	randombytes_buf(key, sizeof key);
	unsigned all = powsolve_threads(), counts[2] = {1, all};
	double rate[2], *r = calloc((size_t)runs, sizeof *r);
	limit_s = (double)secs;
	for (int k = 0; k < 2; k++) {
		for (long i = 0; i < runs; i++) {
			powsolve_stats st;
			uint64_t ctr;
			challenge(ch, key, 40); /* never solved in a few seconds */
			powsolve_run(&ctr, ch, counts[k], NULL, &st, until, NULL);
			r[i] = (double)st.hashes / st.seconds;
		}
		rate[k] = median(r, (int)runs);
		printf("hash rate on %u thread%s (median of %ld runs of %ld s)   %8.2f Mhash/s\n",
		       counts[k], counts[k] > 1 ? "s" : " ", runs, secs, rate[k] / 1e6);
	}
	printf("all cores / one core                                  %8.2f x\n",
	       rate[1] / rate[0]);
	int n = (int)runs * 5; /* solve times vary a lot: more samples */
	double *t = calloc((size_t)n, sizeof *t);
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < n; i++) {
			uint64_t ctr;
			challenge(ch, key, 22);
			double t0 = now_s();
			powsolve_run(&ctr, ch, counts[k], NULL, NULL, NULL, NULL);
			t[i] = now_s() - t0;
		}
		printf("solve at 22 bits on %u thread%s (median of %d)           %8.0f ms "
		       "(expected %.0f ms)\n",
		       counts[k], counts[k] > 1 ? "s" : " ", n, median(t, n) * 1e3,
		       (double)(1u << 22) / rate[k] * 1e3);
	}

	static const uint64_t mib[] = {1, 8, 16, 100, 200, 1024, 4096};
	printf("\nexpected seconds of work for an upload (idle drop, default floor 18 bits), and\n"
	       "its share of the time the file takes through Tor at 2 / 5 Mbit/s:\n"
	       "| size | bits | before | 1 core | %u cores | JS, 2 workers | JS no JIT, 2 workers "
	       "| Tor 2 Mbit/s | %u cores / Tor 2 / 5 Mbit/s | JS / Tor 2 / 5 Mbit/s |\n"
	       "|---|---|---|---|---|---|---|---|---|---|\n",
	       all, all);
	for (size_t i = 0; i < sizeof mib / sizeof *mib; i++) {
		uint64_t size = mib[i] << 20;
		unsigned b = policy_bits(size);
		double h = (double)(1ULL << b), tor2 = (double)size * 8 / 2e6,
		       tor5 = (double)size * 8 / 5e6;
		double one = h / rate[0], many = h / rate[1], web = h / (2 * js),
		       slow = h / (2 * nojit);
		printf("| %llu MiB | %u | %u | %.2f | %.2f | %.1f | %.0f | %.0f | %.1f%% / %.1f%% "
		       "| "
		       "%.1f%% / %.1f%% |\n",
		       (unsigned long long)mib[i], b, old_bits(size), one, many, web, slow, tor2,
		       100 * many / tor2, 100 * many / tor5, 100 * web / tor2, 100 * web / tor5);
	}
	free(r);
	free(t);
	return 0;
}
