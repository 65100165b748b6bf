/* ghostdrop client file helpers: whole-file reads with a size cap, atomic 0600 writes. */
#ifndef GD_FILEIO_H
#define GD_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* Write data to path via a temporary file in the same directory: O_CREAT|O_EXCL|O_NOFOLLOW
 * with mode, fsync, rename, fsync of the directory. With exclusive, refuse to replace an
 * existing path. Returns 0, or -1 with errno set. */
int gd_file_write_atomic(const char *path, const uint8_t *data, size_t len, int mode,
			 int exclusive);
/* Read a whole regular file of at most max bytes into a malloc'ed buffer (NUL-terminated
 * for convenience, the NUL not counted). Returns 0, or -1 with errno (EFBIG when larger). */
int gd_file_read(const char *path, size_t max, uint8_t **out, size_t *len);

/* Make `from` appear as `to`, never replacing a file already there, and `from` go: link and
 * unlink, or on a filesystem without hard links (FAT) a rename with RENAME_NOREPLACE.
 * 0, or -1 with errno (EEXIST when `to` exists). */
int gd_publish_noreplace(const char *from, const char *to);

/* fd is on FAT or exFAT (a USB stick, usually): no owners, no permissions, no hard links. */
int gd_fs_is_fat(int fd);

/* Write all len bytes to fd (retrying short writes and EINTR). 0, or -1 with errno. */
int gd_write_all(int fd, const uint8_t *buf, size_t len);

#endif
