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

/* What cleaning removed, for the worker to see before sending: bits, most identifying first. */
enum {
	STRIP_F_GPS = 1u << 0,       /* EXIF GPS IFD, XMP GPS */
	STRIP_F_SERIAL = 1u << 1,    /* body or lens serial number */
	STRIP_F_AUTHOR = 1u << 2,    /* Artist, owner, XMP dc:creator, IPTC by-line, PNG Author */
	STRIP_F_COPYRIGHT = 1u << 3, /* EXIF, IPTC or PNG copyright */
	STRIP_F_CAMERA = 1u << 4,    /* Make, Model, lens model */
	STRIP_F_MAKERNOTE = 1u << 5, /* the maker's private block (often serials) */
	STRIP_F_DATES = 1u << 6,     /* EXIF dates, PNG tIME and date chunks */
	STRIP_F_SOFTWARE = 1u << 7,  /* Software, XMP CreatorTool */
	STRIP_F_THUMBNAIL =
		1u << 8, /* EXIF IFD1 or JFIF thumbnail (may show the uncropped image) */
	STRIP_F_XMP = 1u << 9,
	STRIP_F_IPTC = 1u << 10,
	STRIP_F_COMMENT = 1u << 11, /* JPEG COM, PNG Comment/Description/Title */
	STRIP_F_TEXT = 1u << 12,    /* other PNG text chunks */
	STRIP_F_EXIF = 1u << 13,    /* other EXIF data */
	STRIP_F_PROFILE = 1u << 14, /* ICC colour profile */
	STRIP_F_OTHER = 1u << 15,   /* other metadata segments or chunks */
	STRIP_F_TRAILER = 1u << 16, /* data after the image's end */
	STRIP_F_LAST = STRIP_F_TRAILER
};
/* As strip_run, also saying what was removed (*found: STRIP_F_ bits). */
int strip_run_found(int fd, strip_kind kind, int (*out)(void *arg, const uint8_t *b, size_t n),
		    void *arg, uint64_t *size, unsigned *found);
/* A bit's words for the worker ("GPS position"), or NULL. */
const char *strip_found_name(unsigned bit);

#endif
