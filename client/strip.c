/* ghostdrop metadata stripping for JPEG and PNG attachments, on the worker's machine, before
 * encryption: streaming, constant memory. */
#include "strip.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	int fd;
	uint8_t buf[65536];
	uint8_t seg[65536]; /* one JPEG segment */
	size_t pos, len;
	int (*out)(void *, const uint8_t *, size_t);
	void *arg;
	uint64_t emitted;
	int failed;
} strip_ctx;

static int next_byte(strip_ctx *c)
{
	if (c->pos == c->len) {
		ssize_t n = read(c->fd, c->buf, sizeof c->buf);
		if (n <= 0)
			return -1;
		c->len = (size_t)n;
		c->pos = 0;
	}
	return c->buf[c->pos++];
}

static int take(strip_ctx *c, uint8_t *dst, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int b = next_byte(c);
		if (b < 0)
			return -1;
		if (dst != NULL)
			dst[i] = (uint8_t)b;
	}
	return 0;
}

static void emit(strip_ctx *c, const uint8_t *b, size_t n)
{
	c->emitted += n;
	if (c->out != NULL && !c->failed && c->out(c->arg, b, n) != 0)
		c->failed = 1;
}

strip_kind strip_detect(int fd)
{
	uint8_t m[8];
	ssize_t n = pread(fd, m, sizeof m, 0);
	if (n >= 3 && m[0] == 0xff && m[1] == 0xd8 && m[2] == 0xff)
		return STRIP_JPEG;
	if (n == 8 && memcmp(m, "\x89PNG\r\n\x1a\n", 8) == 0)
		return STRIP_PNG;
	return STRIP_OTHER;
}

/* ---- JPEG ---- */

static int jpeg_keep(int m, const uint8_t *p, size_t n)
{
	if (m >= 0xc0 && m <= 0xcf && m != 0xc8)
		return 1; /* frames, Huffman and arithmetic tables */
	if (m == 0xdb || m == 0xdd || m == 0xdc || m == 0xda || m == 0xdf)
		return 1; /* quantisation, restart interval, lines, scan, expand */
	if (m == 0xe0)
		return n >= 5 && memcmp(p, "JFIF\0", 5) == 0; /* rewritten without thumbnail */
	if (m == 0xee)
		return n == 12 && memcmp(p, "Adobe", 5) == 0; /* colour transform only */
	return 0; /* APP1 EXIF/XMP, APP2 ICC/FlashPix, APP13 IPTC, COM, everything else */
}

static void emit_segment(strip_ctx *c, int m, const uint8_t *p, size_t n)
{
	uint8_t h[4] = {0xff, (uint8_t)m, (uint8_t)((n + 2) >> 8), (uint8_t)(n + 2)};
	emit(c, h, 4);
	emit(c, p, n);
}

static int strip_jpeg(strip_ctx *c)
{
	static const uint8_t soi[2] = {0xff, 0xd8};
	uint8_t *seg = c->seg;
	int b, m = -1;
	if (next_byte(c) != 0xff || next_byte(c) != 0xd8)
		return -1;
	emit(c, soi, 2);
	for (;;) {
		if (m < 0) { /* expect a marker */
			if (next_byte(c) != 0xff)
				return -1;
			while ((m = next_byte(c)) == 0xff)
				; /* fill bytes */
			if (m < 0)
				return -1;
		}
		if (m == 0xd9) { /* EOI: anything after it (trailers, appended data) is dropped */
			uint8_t eoi[2] = {0xff, 0xd9};
			emit(c, eoi, 2);
			return 0;
		}
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7) || m == 0x00 || m == 0xd8)
			return -1; /* not where a segment belongs */
		uint8_t lb[2];
		if (take(c, lb, 2) != 0)
			return -1;
		size_t len = (size_t)(lb[0] << 8 | lb[1]);
		if (len < 2 || take(c, seg, len - 2) != 0)
			return -1;
		size_t n = len - 2;
		if (jpeg_keep(m, seg, n)) {
			if (m == 0xe0 && n >= 14) {
				seg[12] = seg[13] = 0; /* JFIF: no thumbnail */
				n = 14;
			}
			emit_segment(c, m, seg, n);
		}
		int cur = m;
		m = -1;
		if (cur != 0xda)
			continue;
		/* Entropy-coded data: copied as is, up to the next real marker. */
		for (;;) {
			if ((b = next_byte(c)) < 0)
				return -1;
			if (b != 0xff) {
				uint8_t x = (uint8_t)b;
				emit(c, &x, 1);
				continue;
			}
			while ((b = next_byte(c)) == 0xff)
				;
			if (b < 0)
				return -1;
			if (b == 0x00 || (b >= 0xd0 && b <= 0xd7)) {
				uint8_t x[2] = {0xff, (uint8_t)b};
				emit(c, x, 2);
				continue;
			}
			m = b; /* a marker: back to segments (progressive scans, EOI) */
			break;
		}
	}
}

/* ---- PNG ---- */

static int png_keep(const uint8_t t[4])
{
	static const char *const keep[] = {"IHDR", "PLTE", "IDAT", "IEND", "tRNS",
					   "gAMA", "cHRM", "sRGB", "sBIT", "bKGD",
					   "pHYs", "hIST", "acTL", "fcTL", "fdAT"};
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (memcmp(t, keep[i], 4) == 0)
			return 1;
	/* unknown critical chunks (upper-case first letter) are needed to draw; unknown
	 * ancillary ones (tEXt, zTXt, iTXt, tIME, eXIf, vendor chunks) are not */
	return t[0] >= 'A' && t[0] <= 'Z';
}

static int strip_png(strip_ctx *c)
{
	uint8_t sig[8], h[8], piece[4096];
	if (take(c, sig, 8) != 0 || memcmp(sig, "\x89PNG\r\n\x1a\n", 8) != 0)
		return -1;
	emit(c, sig, 8);
	for (;;) {
		if (take(c, h, 8) != 0)
			return -1;
		uint32_t len =
			(uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
		if (len > 0x7fffffffu)
			return -1;
		for (int i = 4; i < 8; i++)
			if (!((h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= 'a' && h[i] <= 'z')))
				return -1;
		int keep = png_keep(h + 4);
		if (keep)
			emit(c, h, 8);
		for (uint64_t left = (uint64_t)len + 4; left > 0;) { /* data and CRC */
			size_t n = left < sizeof piece ? (size_t)left : sizeof piece;
			if (take(c, piece, n) != 0)
				return -1;
			if (keep)
				emit(c, piece, n);
			left -= n;
		}
		if (memcmp(h + 4, "IEND", 4) == 0)
			return 0; /* data after IEND is dropped */
	}
}

int strip_run(int fd, strip_kind kind, int (*out)(void *, const uint8_t *, size_t), void *arg,
	      uint64_t *size)
{
	strip_ctx *c = calloc(1, sizeof *c);
	if (c == NULL || lseek(fd, 0, SEEK_SET) != 0) {
		free(c);
		return -1;
	}
	c->fd = fd;
	c->out = out;
	c->arg = arg;
	int rc = kind == STRIP_JPEG ? strip_jpeg(c) : kind == STRIP_PNG ? strip_png(c) : -1;
	*size = c->emitted;
	rc = rc == 0 && !c->failed ? 0 : -1;
	free(c);
	return rc;
}
