/* Tests (issue 15): how a passphrase (or a typed codename, a token file) becomes bytes. Typed on a
 * terminal and read from a file, the same line gives the same bytes: everything before the first
 * CR, LF or NUL, nothing trimmed, nothing normalised. */
#define _XOPEN_SOURCE 600 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "prompt.h"
#include "testutil.h"

static char dir[] = "/tmp/gd-pass-XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* What gd_secret_from_file reads from a file holding exactly these len bytes. */
static const char *from_file(const char *bytes, size_t len)
{
	static char out[1024];
	char path[64];
	snprintf(path, sizeof path, "%s/pass", dir);
	FILE *f = fopen(path, "w");
	ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
	fclose(f);
	ck_assert_int_eq(gd_secret_from_file(path, out, sizeof out), 0);
	return out;
}

/* What gd_prompt_secret reads when `typed` is typed on a terminal (a pty); icrnl: whether the
 * terminal turns CR into LF (the default; off, CR arrives as it is). */
static const char *typed(const char *keys, int icrnl)
{
	static char out[1024];
	int m = posix_openpt(O_RDWR | O_NOCTTY), p[2];
	ck_assert_int_ge(m, 0);
	ck_assert(grantpt(m) == 0 && unlockpt(m) == 0 && pipe(p) == 0);
	const char *slave = ptsname(m);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) { /* a session whose terminal is the pty, as a worker's shell */
		setsid();
		int s = open(slave, O_RDWR);
		struct termios t;
		if (s < 0 || tcgetattr(s, &t) != 0)
			_exit(1);
		if (icrnl)
			t.c_iflag |= ICRNL;
		else
			t.c_iflag &= ~(tcflag_t)ICRNL;
		tcsetattr(s, TCSANOW, &t);
		char buf[1024];
		int rc = gd_prompt_secret("Passphrase: ", buf, sizeof buf);
		if (rc == 0 && write(p[1], buf, strlen(buf) + 1) < 0)
			_exit(1);
		_exit(rc == 0 ? 0 : 1);
	}
	close(p[1]);
	/* type only once echo is off: the prompt flushes what was typed before */
	struct termios t;
	for (int i = 0; i < 500; i++) {
		char junk[256];
		struct pollfd pf = {m, POLLIN, 0};
		while (poll(&pf, 1, 0) == 1 && read(m, junk, sizeof junk) > 0)
			;
		if (tcgetattr(m, &t) == 0 && !(t.c_lflag & ECHO))
			break;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	ck_assert(!(t.c_lflag & ECHO));
	ck_assert_int_eq(write(m, keys, strlen(keys)), (ssize_t)strlen(keys));
	size_t n = 0;
	ssize_t r;
	while (n < sizeof out && (r = read(p[0], out + n, sizeof out - n)) > 0)
		n += (size_t)r;
	int st;
	waitpid(pid, &st, 0);
	close(p[0]);
	close(m);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n > 0 && out[n - 1] == '\0');
	return out;
}

START_TEST(file_first_line)
{
	ck_assert_str_eq(from_file("correct horse\n", 14), "correct horse");
	ck_assert_str_eq(from_file("correct horse\r\n", 15), "correct horse"); /* Windows editor */
	ck_assert_str_eq(from_file("correct horse", 13), "correct horse"); /* no final newline */
	ck_assert_str_eq(from_file("correct horse\rold line\n", 23), "correct horse");
	ck_assert_str_eq(from_file("correct horse\0tail\n", 19), "correct horse");
	/* nothing trimmed: spaces and tabs are passphrase bytes */
	ck_assert_str_eq(from_file(" correct horse \t\n", 17), " correct horse \t");
	/* nothing normalised: NFC "é" and NFD "é" stay different bytes */
	ck_assert_str_eq(from_file("caf\xc3\xa9\n", 6), "caf\xc3\xa9");
	ck_assert_str_eq(from_file("cafe\xcc\x81\n", 7), "cafe\xcc\x81");
	ck_assert_str_eq(from_file("\n", 1), "");
}
END_TEST

START_TEST(typed_same_as_file)
{
	ck_assert_str_eq(typed("correct horse\r", 1),
			 "correct horse"); /* Enter, as a terminal sends */
	ck_assert_str_eq(typed("correct horse\n", 0), "correct horse");
	/* a terminal that passes CR through: CR ends the line too, as in a file */
	ck_assert_str_eq(typed("correct horse\r\n", 0), from_file("correct horse\r\n", 15));
	ck_assert_str_eq(typed(" correct horse \t\n", 1), from_file(" correct horse \t\n", 17));
	ck_assert_str_eq(typed("caf\xc3\xa9\n", 1), from_file("caf\xc3\xa9\n", 6));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("passphrase");
	TCase *tc = tcase_create("bytes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, file_first_line);
	tcase_add_test(tc, typed_same_as_file);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
