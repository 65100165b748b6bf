/* Test shim (LD_PRELOAD) for ghostdropd: every accepted connection gets a small, fixed send
 * buffer, so that a client that does not read fills it after a few answers (the kernel would
 * otherwise grow it to megabytes, and where a test's request meets a full buffer would be luck). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>

static int small(int fd)
{
	int v = 4096;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
	return fd;
}

int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	int (*real)(int, struct sockaddr *, socklen_t *, int) =
		(int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	return small(real(fd, sa, len, flags));
}

int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	int (*real)(int, struct sockaddr *, socklen_t *) =
		(int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	return small(real(fd, sa, len));
}
