/* Tests for client/fileio.c: atomic, exclusive, 0600 writes and capped reads. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "fileio.h"
#include "testutil.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/gd-fileio-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

START_TEST(write_read)
{
	char p[128];
	struct stat st;
	uint8_t *buf;
	size_t len;
	snprintf(p, sizeof p, "%s/secret.key", dir);
	ck_assert_int_eq(gd_file_write_atomic(p, (const uint8_t *)"abc", 3, 0600, 1), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* exclusive: an existing file is never replaced */
	errno = 0;
	ck_assert_int_eq(gd_file_write_atomic(p, (const uint8_t *)"xyz", 3, 0600, 1), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(gd_file_read(p, 100, &buf, &len), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert(memcmp(buf, "abc", 3) == 0);
	free(buf);
	/* non-exclusive replaces atomically, with the requested mode */
	ck_assert_int_eq(gd_file_write_atomic(p, (const uint8_t *)"wxyz", 4, 0644, 0), 0);
	ck_assert_int_eq(gd_file_read(p, 100, &buf, &len), 0);
	ck_assert_uint_eq(len, 4);
	free(buf);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	/* the size cap */
	errno = 0;
	ck_assert_int_eq(gd_file_read(p, 3, &buf, &len), -1);
	ck_assert_int_eq(errno, EFBIG);
	/* a symlink is not followed when reading secrets */
	char l[128];
	snprintf(l, sizeof l, "%s/link", dir);
	ck_assert_int_eq(symlink(p, l), 0);
	ck_assert_int_eq(gd_file_read(l, 100, &buf, &len), -1);
	ck_assert_int_eq(gd_file_write_atomic(l, (const uint8_t *)"q", 1, 0600, 1), -1);
	/* no temporary files are left behind */
	char cmd[200];
	snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 2", dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fileio");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, write_read);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
