/* ghostdrop benchmarks: the clock and medians shared by bench/ programs. */
#ifndef GD_BENCH_H
#define GD_BENCH_H

#include <stdlib.h>
#include <time.h>

static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A positive integer argument, or fallback when absent; -1 when malformed. */
static inline long bench_arg(int argc, char **argv, int i, long fallback)
{
	char *end;
	if (argc <= i)
		return fallback;
	long v = strtol(argv[i], &end, 10);
	return *end == '\0' && v > 0 ? v : -1;
}

#endif
