/* ghostdrop client file helpers: whole-file reads with a size cap, atomic 0600 writes. */
#define _GNU_SOURCE /* renameat2 */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define MSDOS_MAGIC 0x4d44 /* FAT: what most USB sticks carry */
#define EXFAT_MAGIC 0x2011BAB0

int gd_fs_is_fat(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 &&
	       (sf.f_type == MSDOS_MAGIC || (unsigned long)sf.f_type == EXFAT_MAGIC);
}

int gd_publish_noreplace(const char *from, const char *to)
{
	if (link(from, to) == 0) {
		unlink(from); /* published; a leftover name would only be untidy */
		return 0;
	}
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
	/* no hard links (FAT, exFAT): a rename that refuses to replace does the same */
	return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return -1;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int gd_file_write_atomic(const char *path, const uint8_t *data, size_t len, int mode, int exclusive)
{
	char tmp[4096];
	struct stat st;
	int fd = -1, saved;
	if (exclusive && lstat(path, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* mkstemp opens with O_EXCL and 0600; narrow or widen to mode afterwards. */
	if ((fd = mkstemp(tmp)) < 0)
		return -1;
	/* FAT has no permission bits (a stick mounted without "quiet" refuses the chmod): the file
	 * gets the mount's, like every file on that stick. What goes there is ciphertext, ack keys
	 * (PROTOCOL.md §13) or what the user chose to carry (a codename); open never decrypts
	 * onto FAT (desk_open.c) */
	if (fchmod(fd, (mode_t)mode) != 0 && !gd_fs_is_fat(fd))
		goto fail;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (exclusive ? gd_publish_noreplace(tmp, path) != 0 : rename(tmp, path) != 0)
		goto fail;
	return fsync_dir_of(path);
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int gd_file_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	uint8_t *buf = NULL;
	size_t n = 0;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((uint64_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break; /* shrank under us: return what is there */
		n += (size_t)r;
	}
	buf[n] = '\0';
	close(fd);
	*out = buf;
	*len = n;
	return 0;
fail:
	n = (size_t)errno;
	free(buf);
	close(fd);
	errno = (int)n;
	return -1;
}

int gd_write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}
