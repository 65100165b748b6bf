/* Test shim (LD_PRELOAD) for ghostdropd: makes fsync/fdatasync slow (GD_SLOW_SYNC_MS) and
 * counts them, writing the count to GD_SYNC_COUNT_FILE at exit. Lets tests see that the
 * event loop never waits on a commit and that commits are shared (group commit). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_ulong syncs;

static void slow(void)
{
	const char *ms = getenv("GD_SLOW_SYNC_MS");
	atomic_fetch_add(&syncs, 1);
	if (ms != NULL) {
		long v = atol(ms);
		struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
}

int fdatasync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	slow();
	return real(fd);
}

int fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	slow();
	return real(fd);
}

/* Opened at start: the drop's seccomp sandbox refuses to open files once it serves. */
static int report_fd = -1;

__attribute__((constructor)) static void open_report(void)
{
	const char *path = getenv("GD_SYNC_COUNT_FILE");
	if (path != NULL)
		report_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
}

__attribute__((destructor)) static void report(void)
{
	if (report_fd >= 0) {
		dprintf(report_fd, "%lu\n", (unsigned long)atomic_load(&syncs));
		close(report_fd);
	}
}
