/* Test shim (LD_PRELOAD) for ghostdropd: each SIGUSR1 moves the daemon's wall clock (time())
 * ten minutes ahead, so a test can let a proof-of-work challenge expire inside one daemon run
 * (a restart would void it anyway). The monotonic clock, which libevent uses, is untouched. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <time.h>

static volatile sig_atomic_t shift;

time_t time(time_t *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_t now = ts.tv_sec + (time_t)shift * 600;
	if (t != NULL)
		*t = now;
	return now;
}

static void later(int sig)
{
	(void)sig;
	shift++;
}

__attribute__((constructor)) static void arm(void)
{
	struct sigaction sa = {.sa_handler = later};
	sigaction(SIGUSR1, &sa, NULL);
}
