/* Tests for client/strip.c with real sample files (tests/samples, made with exiftool): the
 * metadata is gone, the image data is byte-identical, and bad files are refused. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "check_main.h"
#include "strip.h"
#include "testutil.h"

#ifndef SAMPLES
#error SAMPLES must name tests/samples
#endif

static int strip_file(const char *name, membuf *out, uint8_t **orig, size_t *olen)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", SAMPLES, name);
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	off_t n = lseek(fd, 0, SEEK_END);
	*orig = malloc((size_t)n);
	ck_assert_int_eq(pread(fd, *orig, (size_t)n, 0), n);
	*olen = (size_t)n;
	strip_kind k = strip_detect(fd);
	uint64_t counted, streamed;
	memset(out, 0, sizeof *out);
	int rc = strip_run(fd, k, NULL, NULL, &counted);
	if (rc == 0) {
		ck_assert_int_eq(strip_run(fd, k, membuf_write, out, &streamed), 0);
		ck_assert_uint_eq(counted, streamed); /* pass 1 predicts pass 2 exactly */
		ck_assert_uint_eq(out->len, streamed);
	}
	close(fd);
	return rc;
}

static int contains(const membuf *m, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i + n <= m->len; i++)
		if (memcmp(m->buf + i, s, n) == 0)
			return 1;
	return 0;
}

static const char *const SECRETS[] = {
	"Jane Worker", "GhostCam", "SN-1234567",          "jane's laptop",
	"label queue", "Exif",     "http://ns.adobe.com", "Photoshop",
	"Model X",     NULL};

START_TEST(jpeg)
{
	membuf out;
	uint8_t *orig;
	size_t olen;
	ck_assert_int_eq(strip_file("exif-gps.jpg", &out, &orig, &olen), 0);
	membuf o = {.buf = orig, .len = olen};
	ck_assert(contains(&o, "Jane Worker") &&
		  contains(&o, "GhostCam")); /* the sample has them */
	for (int i = 0; SECRETS[i]; i++)
		ck_assert_msg(!contains(&out, SECRETS[i]), "%s survived", SECRETS[i]);
	ck_assert_uint_lt(out.len, olen);
	/* still a JPEG: SOI, EOI, and the scan (SOS to EOI) byte for byte */
	ck_assert(out.buf[0] == 0xff && out.buf[1] == 0xd8);
	ck_assert(out.buf[out.len - 2] == 0xff && out.buf[out.len - 1] == 0xd9);
	size_t so = 0, ss = 0;
	for (size_t i = 0; i + 1 < olen; i++)
		if (orig[i] == 0xff && orig[i + 1] == 0xda) {
			so = i; /* the thumbnail has its own SOS inside EXIF: take the last */
		}
	for (size_t i = 0; i + 1 < out.len; i++)
		if (out.buf[i] == 0xff && out.buf[i + 1] == 0xda)
			ss = i;
	ck_assert_uint_gt(so, 0);
	ck_assert_uint_eq(olen - so, out.len - ss);
	ck_assert(memcmp(orig + so, out.buf + ss, olen - so) == 0);
	/* the only thumbnail (inside EXIF) is gone: one SOI left */
	int sois = 0;
	for (size_t i = 0; i + 1 < out.len; i++)
		sois += out.buf[i] == 0xff && out.buf[i + 1] == 0xd8;
	ck_assert_int_eq(sois, 1);
	free(orig);
	membuf_free(&out);
}
END_TEST

START_TEST(png)
{
	membuf out;
	uint8_t *orig;
	size_t olen;
	ck_assert_int_eq(strip_file("text-exif.png", &out, &orig, &olen), 0);
	membuf o = {.buf = orig, .len = olen};
	ck_assert(contains(&o, "Jane Worker") && contains(&o, "tEXt"));
	for (int i = 0; SECRETS[i]; i++)
		ck_assert_msg(!contains(&out, SECRETS[i]), "%s survived", SECRETS[i]);
	ck_assert(!contains(&out, "tEXt") && !contains(&out, "iTXt") && !contains(&out, "zTXt") &&
		  !contains(&out, "tIME") && !contains(&out, "eXIf"));
	/* chunk walk: every IDAT of the original is there, unchanged, CRC and all */
	ck_assert(memcmp(out.buf, "\x89PNG\r\n\x1a\n", 8) == 0);
	ck_assert(contains(&out, "IHDR") && contains(&out, "IDAT") && contains(&out, "IEND"));
	for (size_t i = 8; i + 8 <= olen;) {
		uint32_t len = (uint32_t)orig[i] << 24 | (uint32_t)orig[i + 1] << 16 |
			       (uint32_t)orig[i + 2] << 8 | orig[i + 3];
		if (memcmp(orig + i + 4, "IDAT", 4) == 0) {
			membuf chunk = {.buf = orig + i, .len = 12 + len};
			int found = 0;
			for (size_t j = 0; j + chunk.len <= out.len && !found; j++)
				found = memcmp(out.buf + j, chunk.buf, chunk.len) == 0;
			ck_assert(found);
		}
		i += 12 + len;
	}
	free(orig);
	membuf_free(&out);
}
END_TEST

START_TEST(bad_files_refused)
{
	char path[] = "/tmp/gd-strip-XXXXXX";
	int fd = mkstemp(path);
	uint64_t n;
	/* a truncated JPEG, a JPEG with a garbage segment, a truncated PNG, not an image */
	static const struct {
		const char *bytes;
		size_t len;
		strip_kind kind;
	} bad[] = {
		{"\xff\xd8\xff\xe1\x00\x10"
		 "Exif",
		 10, STRIP_JPEG},
		{"\xff\xd8\xff\xc0\x00\x01", 6, STRIP_JPEG},
		{"\xff\xd8\xff\xda\x00\x02\x12\x34", 8, STRIP_JPEG}, /* scan never ends */
		{"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", 16, STRIP_PNG},
		{"\x89PNG\r\n\x1a\n\x00\x00\x00\x00\x01\x02\x03\x04", 16, STRIP_PNG},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(ftruncate(fd, 0), 0);
		ck_assert_int_eq(pwrite(fd, bad[i].bytes, bad[i].len, 0), (ssize_t)bad[i].len);
		ck_assert_int_eq(strip_detect(fd), bad[i].kind);
		ck_assert_msg(strip_run(fd, bad[i].kind, NULL, NULL, &n) == -1, "case %zu", i);
	}
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(pwrite(fd, "%PDF-1.7", 8, 0), 8);
	ck_assert_int_eq(strip_detect(fd), STRIP_OTHER);
	close(fd);
	unlink(path);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("strip");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, jpeg);
	tcase_add_test(tc, png);
	tcase_add_test(tc, bad_files_refused);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
