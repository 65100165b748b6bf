/* ghostdrop client progress bar. */
#include "progress.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static struct {
	int on, drawn;
	const char *label;
	uint64_t total, done;
	struct timespec start, last;
} prog;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

void progress_start(const char *label, uint64_t total)
{
	pthread_mutex_lock(&lock);
	prog.on = isatty(2);
	prog.drawn = 0;
	prog.label = label;
	prog.total = total;
	prog.done = 0;
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	prog.last = prog.start;
	pthread_mutex_unlock(&lock);
}

static void draw(void)
{
	double el = since(&prog.start), rate = el > 0 ? (double)prog.done / el : 0;
	int width = 30,
	    fill = prog.total ? (int)((double)width * (double)prog.done / (double)prog.total)
			      : width;
	char bar[32];
	if (fill > width)
		fill = width;
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[width] = '\0';
	double eta =
		rate > 0 && prog.total > prog.done ? (double)(prog.total - prog.done) / rate : 0;
	double unit = prog.total < 1048576 ? 1024 : 1048576;
	const char *un = prog.total < 1048576 ? "KiB" : "MiB";
	fprintf(stderr, "\r%s[%s] %7.1f/%.1f %s  %6.2f MiB/s  ETA %d:%02d ", prog.label, bar,
		(double)prog.done / unit, (double)prog.total / unit, un, rate / 1048576,
		(int)eta / 60, (int)eta % 60);
	prog.drawn = 1;
}

void progress_add(uint64_t n)
{
	pthread_mutex_lock(&lock);
	prog.done += n;
	if (prog.on && prog.total > 0 && (since(&prog.last) >= 0.2 || prog.done >= prog.total)) {
		clock_gettime(CLOCK_MONOTONIC, &prog.last);
		draw();
	}
	pthread_mutex_unlock(&lock);
}

void progress_end(void)
{
	pthread_mutex_lock(&lock);
	if (prog.on && prog.drawn) {
		draw();
		fputc('\n', stderr);
	}
	prog.on = 0;
	prog.drawn = 0;
	pthread_mutex_unlock(&lock);
}
