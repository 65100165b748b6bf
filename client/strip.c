/* ghostdrop metadata stripping for JPEG and PNG attachments, on the worker's machine, before
 * encryption: streaming, constant memory. */
#include "strip.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"

typedef struct {
	int fd;
	uint8_t buf[65536];
	uint8_t seg[65536]; /* one JPEG segment */
	size_t pos, len;
	int (*out)(void *, const uint8_t *, size_t);
	void *arg;
	uint64_t emitted;
	int failed;
	unsigned found; /* STRIP_F_ bits of what was left out */
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

/* ---- what is left out, named for the worker ---- */

/* Marked only: JSON output keeps the English, the preview translates them. */
/* TRANSLATORS: kinds of metadata removed from a picture, listed one after another */
static const char *const found_names[] = {
	N_("GPS position"), N_("camera serial"), N_("author"), N_("copyright"),
	N_("camera make and model"), N_("maker notes"), N_("dates and times"), N_("software"),
	N_("thumbnail"), "XMP", "IPTC", N_("comment"), N_("text chunks"),
	/* TRANSLATORS: EXIF stays as it is */
	N_("other EXIF data"), N_("colour profile"), N_("other metadata"),
	N_("data after the image")};

const char *strip_found_name(unsigned bit)
{
	for (unsigned i = 0; i < sizeof found_names / sizeof found_names[0]; i++)
		if (bit == 1u << i)
			return found_names[i];
	return NULL;
}

static int has(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return 1;
	return 0;
}

typedef struct {
	const uint8_t *t;
	size_t n;
	int be; /* "MM": big-endian */
} tiff;

static uint32_t rd(const tiff *x, size_t at, int bytes)
{
	if (at + (size_t)bytes > x->n || at + (size_t)bytes < at)
		return 0;
	uint32_t v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint32_t)x->t[at + (size_t)i] << (x->be ? 8 * (bytes - 1 - i) : 8 * i);
	return v;
}

/* One IFD's tags; depth 0 is IFD0 (which points to the EXIF and GPS IFDs and to IFD1). */
static unsigned exif_ifd(const tiff *x, uint32_t off, int depth)
{
	unsigned f = 0, count = rd(x, off, 2);
	if (off == 0 || off + 2 > x->n || count == 0)
		return 0;
	for (unsigned i = 0; i < count && off + 2 + 12 * (size_t)(i + 1) <= x->n; i++) {
		size_t e = off + 2 + 12 * (size_t)i;
		unsigned tag = rd(x, e, 2);
		uint32_t val = rd(x, e + 8, 4);
		if (tag == 0x010f || tag == 0x0110 || tag == 0xa434 || tag == 0xa433)
			f |= STRIP_F_CAMERA;
		else if (tag == 0x0131)
			f |= STRIP_F_SOFTWARE;
		else if (tag == 0x0132 || tag == 0x9003 || tag == 0x9004 || tag == 0x9010 ||
			 tag == 0x9011 || tag == 0x9012)
			f |= STRIP_F_DATES;
		else if (tag == 0x013b || tag == 0x9c9d || tag == 0xa430)
			f |= STRIP_F_AUTHOR;
		else if (tag == 0x8298)
			f |= STRIP_F_COPYRIGHT;
		else if (tag == 0xa431 || tag == 0xa435)
			f |= STRIP_F_SERIAL;
		else if (tag == 0x927c)
			f |= STRIP_F_MAKERNOTE;
		else if (tag == 0x8825 && depth == 0)
			f |= rd(x, val, 2) > 0 ? STRIP_F_GPS : 0;
		else if (tag == 0x8769 && depth == 0)
			f |= exif_ifd(x, val, 1);
	}
	if (depth == 0 && rd(x, off + 2 + 12 * (size_t)count, 4) != 0)
		f |= STRIP_F_THUMBNAIL; /* IFD1: the thumbnail's */
	return f;
}

/* A TIFF structure (after JPEG's "Exif\0\0", or a PNG eXIf chunk). */
static unsigned exif_scan(const uint8_t *t, size_t n)
{
	tiff x = {t, n, n >= 2 && t[0] == 'M' && t[1] == 'M'};
	if (n < 8 || !((t[0] == 'I' && t[1] == 'I') || (t[0] == 'M' && t[1] == 'M')))
		return STRIP_F_EXIF;
	unsigned f = exif_ifd(&x, rd(&x, 4, 4), 0);
	return f != 0 ? f : STRIP_F_EXIF;
}

static unsigned xmp_scan(const uint8_t *p, size_t n)
{
	unsigned f = STRIP_F_XMP;
	if (has(p, n, "dc:creator") || has(p, n, "Iptc4xmpCore:Creator") || has(p, n, "Artist"))
		f |= STRIP_F_AUTHOR;
	if (has(p, n, "exif:GPS"))
		f |= STRIP_F_GPS;
	if (has(p, n, "SerialNumber"))
		f |= STRIP_F_SERIAL;
	if (has(p, n, "CreatorTool"))
		f |= STRIP_F_SOFTWARE;
	if (has(p, n, "CreateDate") || has(p, n, "ModifyDate") || has(p, n, "DateCreated"))
		f |= STRIP_F_DATES;
	if (has(p, n, "dc:rights"))
		f |= STRIP_F_COPYRIGHT;
	return f;
}

/* A JPEG segment left out (or a JFIF header whose thumbnail is). */
static unsigned jpeg_found(int m, const uint8_t *p, size_t n)
{
	if (m == 0xe1 && n >= 6 && memcmp(p, "Exif\0\0", 6) == 0)
		return exif_scan(p + 6, n - 6);
	if (m == 0xe1 && n >= 29 && memcmp(p, "http://ns.adobe.com/xap/1.0/", 28) == 0)
		return xmp_scan(p, n);
	if (m == 0xed) /* Photoshop IRB, IPTC in it: 2:80 by-line, 2:116 copyright */
		return STRIP_F_IPTC | (has(p, n, "\x1c\x02\x50") ? STRIP_F_AUTHOR : 0) |
		       (has(p, n, "\x1c\x02\x74") ? STRIP_F_COPYRIGHT : 0);
	if (m == 0xe2 && n >= 12 && memcmp(p, "ICC_PROFILE", 11) == 0)
		return STRIP_F_PROFILE;
	if (m == 0xfe)
		return STRIP_F_COMMENT;
	if (m == 0xe0 && n >= 14 && memcmp(p, "JFIF\0", 5) == 0)
		return p[12] != 0 && p[13] != 0 ? STRIP_F_THUMBNAIL : 0;
	if (m == 0xe0 && n >= 5 && memcmp(p, "JFXX", 4) == 0)
		return STRIP_F_THUMBNAIL;
	return STRIP_F_OTHER;
}

/* A PNG chunk left out: its type, and its data when it fitted in memory (else NULL). */
static unsigned png_found(const uint8_t t[4], const uint8_t *p, size_t n)
{
	if (memcmp(t, "tIME", 4) == 0)
		return STRIP_F_DATES;
	if (memcmp(t, "eXIf", 4) == 0)
		return p != NULL ? exif_scan(p, n) : STRIP_F_EXIF;
	if (memcmp(t, "iCCP", 4) == 0)
		return STRIP_F_PROFILE;
	if (memcmp(t, "tEXt", 4) != 0 && memcmp(t, "zTXt", 4) != 0 && memcmp(t, "iTXt", 4) != 0)
		return STRIP_F_OTHER;
	if (p == NULL)
		return STRIP_F_TEXT;
	static const struct {
		const char *key;
		unsigned f;
	} keys[] = {{"Author", STRIP_F_AUTHOR},
		    {"Comment", STRIP_F_COMMENT},
		    {"Description", STRIP_F_COMMENT},
		    {"Title", STRIP_F_COMMENT},
		    {"Copyright", STRIP_F_COPYRIGHT},
		    {"Creation Time", STRIP_F_DATES},
		    {"date:create", STRIP_F_DATES},
		    {"date:modify", STRIP_F_DATES},
		    {"date:timestamp", STRIP_F_DATES},
		    {"Software", STRIP_F_SOFTWARE},
		    {"Source", STRIP_F_CAMERA},
		    {"Raw profile type exif", STRIP_F_EXIF},
		    {"Raw profile type APP1", STRIP_F_EXIF}};
	size_t kl = strnlen((const char *)p, n < 80 ? n : 80);
	if (kl == 17 && memcmp(p, "XML:com.adobe.xmp", 17) == 0)
		return xmp_scan(p, n); /* iTXt, uncompressed as XMP asks */
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (kl == strlen(keys[i].key) && memcmp(p, keys[i].key, kl) == 0)
			return keys[i].f;
	return STRIP_F_TEXT;
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
			if (next_byte(c) >= 0)
				c->found |= STRIP_F_TRAILER;
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
		if (!jpeg_keep(m, seg, n) || m == 0xe0)
			c->found |= jpeg_found(m, seg, n);
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
		if (!keep && len <= sizeof c->seg) { /* left out: looked at, to say what it was */
			if (take(c, c->seg, len) != 0 || take(c, piece, 4) != 0)
				return -1;
			c->found |= png_found(h + 4, c->seg, len);
			continue;
		}
		if (!keep)
			c->found |= png_found(h + 4, NULL, 0);
		for (uint64_t left = (uint64_t)len + 4; left > 0;) { /* data and CRC */
			size_t n = left < sizeof piece ? (size_t)left : sizeof piece;
			if (take(c, piece, n) != 0)
				return -1;
			if (keep)
				emit(c, piece, n);
			left -= n;
		}
		if (memcmp(h + 4, "IEND", 4) == 0) {
			if (next_byte(c) >= 0)
				c->found |= STRIP_F_TRAILER;
			return 0; /* data after IEND is dropped */
		}
	}
}

int strip_run(int fd, strip_kind kind, int (*out)(void *, const uint8_t *, size_t), void *arg,
	      uint64_t *size)
{
	unsigned found;
	return strip_run_found(fd, kind, out, arg, size, &found);
}

int strip_run_found(int fd, strip_kind kind, int (*out)(void *, const uint8_t *, size_t), void *arg,
		    uint64_t *size, unsigned *found)
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
	*found = c->found;
	rc = rc == 0 && !c->failed ? 0 : -1;
	free(c);
	return rc;
}
