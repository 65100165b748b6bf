/* Test shim (LD_PRELOAD) for ghostdropd: each SIGUSR1 moves the daemon's wall clock (time())
 * ten minutes ahead, so a test can let a proof-of-work challenge expire inside one daemon run
 * (a restart would void it anyway); the monotonic clock, which libevent uses, is untouched by it.
 * Each SIGRTMIN moves every clock the daemon reads (time(), clock_gettime's wall and monotonic
 * clocks, gettimeofday) one second ahead: its timers (the expiry tick, body_timeout) then fire
 * as they would a second later, so a test need not wait real seconds for them. Real-time
 * signals queue, so a test may send several at once (drop_advance, daemon.c). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t shift, ahead;
static int (*real_clock_gettime)(clockid_t, struct timespec *);

static int now_real(clockid_t id, struct timespec *ts)
{
	if (real_clock_gettime == NULL)
		real_clock_gettime =
			(int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	return real_clock_gettime(id, ts);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = now_real(id, ts);
	if (rc == 0 && id != CLOCK_PROCESS_CPUTIME_ID && id != CLOCK_THREAD_CPUTIME_ID)
		ts->tv_sec += ahead;
	return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;
	(void)tz;
	now_real(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec + ahead;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t time(time_t *t)
{
	struct timespec ts;
	now_real(CLOCK_REALTIME, &ts);
	time_t now = ts.tv_sec + (time_t)shift * 600 + ahead;
	if (t != NULL)
		*t = now;
	return now;
}

static void later(int sig)
{
	(void)sig;
	shift++;
}

static void second(int sig)
{
	(void)sig;
	ahead++;
}

__attribute__((constructor)) static void arm(void)
{
	struct sigaction sa = {.sa_handler = later},
			 sb = {.sa_handler = second, .sa_flags = SA_RESTART};
	now_real(CLOCK_REALTIME, &(struct timespec){0});
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGRTMIN, &sb, NULL);
}
