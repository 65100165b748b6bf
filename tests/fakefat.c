/* Test shim (LD_PRELOAD): everything under $FAKEFAT_DIR behaves as on a FAT USB stick, as far
 * as the desk and the worker can tell: statfs says FAT, link() and fchmod() fail with EPERM
 * (vfat mounted without "quiet"). Rename, with or without RENAME_NOREPLACE, works as FAT's. */
#undef _FILE_OFFSET_BITS /* define fstatfs and fstatfs64 both, by their own names */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define MSDOS_MAGIC 0x4d44

static int under(const char *path)
{
	const char *d = getenv("FAKEFAT_DIR");
	char abs[8192];
	if (d == NULL || path == NULL)
		return 0;
	if (path[0] != '/') {
		if (getcwd(abs, 4096) == NULL)
			return 0;
		snprintf(abs + strlen(abs), sizeof abs - strlen(abs), "/%s", path);
		path = abs;
	}
	return strncmp(path, d, strlen(d)) == 0;
}

static int fd_under(int fd)
{
	char l[64], p[4096];
	snprintf(l, sizeof l, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(l, p, sizeof p - 1);
	if (n < 0)
		return 0;
	p[n] = '\0';
	return under(p);
}

int link(const char *from, const char *to)
{
	if (under(to)) {
		errno = EPERM;
		return -1;
	}
	int (*real)(const char *, const char *) =
		(int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");
	return real(from, to);
}

int fchmod(int fd, mode_t mode)
{
	if (fd_under(fd)) {
		errno = EPERM;
		return -1;
	}
	int (*real)(int, mode_t) = (int (*)(int, mode_t))dlsym(RTLD_NEXT, "fchmod");
	return real(fd, mode);
}

int fstatfs(int fd, struct statfs *sf)
{
	int (*real)(int, struct statfs *) =
		(int (*)(int, struct statfs *))dlsym(RTLD_NEXT, "fstatfs");
	int rc = real(fd, sf);
	if (rc == 0 && fd_under(fd))
		sf->f_type = MSDOS_MAGIC;
	return rc;
}

int fstatfs64(int fd, struct statfs64 *sf)
{
	int (*real)(int, struct statfs64 *) =
		(int (*)(int, struct statfs64 *))dlsym(RTLD_NEXT, "fstatfs64");
	int rc = real(fd, sf);
	if (rc == 0 && fd_under(fd))
		sf->f_type = MSDOS_MAGIC;
	return rc;
}
