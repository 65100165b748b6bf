/* ghostdrop metadata stripping for JPEG and PNG attachments, on the worker's machine, before
 * encryption: streaming, constant memory. */
#ifndef GD_STRIP_H
#define GD_STRIP_H

#include <stdint.h>
#include <stddef.h>

typedef enum { STRIP_OTHER = 0, STRIP_JPEG = 1, STRIP_PNG = 2 } strip_kind;

/* By content (magic bytes), never by file name. */
strip_kind strip_detect(int fd);
/* Stream the file without its metadata to out (out NULL: only count). *size: bytes out.
 * JPEG keeps only what decoding needs (frame, tables, scans, a thumbnail-less JFIF header,
 * Adobe's colour transform) and stops at EOI; PNG keeps the chunks that draw the image and
 * stops at IEND. Returns 0, or -1 if the file is not well-formed enough to clean. */
int strip_run(int fd, strip_kind kind, int (*out)(void *arg, const uint8_t *b, size_t n), void *arg,
	      uint64_t *size);

#endif
