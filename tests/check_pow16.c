/* Issue 16, section 4: the proof of work a worker waits for. The solver on several threads
 * (its answers verify as any other, with N threads and with one), stopped on request and by
 * Ctrl-C; the worker's line in plain words on a terminal; the drop's difficulty for a set of
 * upload sizes against the table of docs/PROTOCOL.md; a replayed proof of work still refused. */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "powsolve.h"
#include "testutil.h"

#ifndef GHOSTDROP
#error GHOSTDROP must name the worker binary
#endif
#ifndef PROTOCOL_MD
#error PROTOCOL_MD must name docs/PROTOCOL.md
#endif

static uint8_t key[GD_POW_KEY_BYTES];

static void challenge(uint8_t ch[GD_POW_CHALLENGE_BYTES], unsigned bits)
{
	gd_pow_challenge c = {
		.purpose = GD_POW_SUBMIT, .bits = (uint8_t)bits, .expires = 4000000000LL};
	randombytes_buf(c.id, sizeof c.id);
	ck_assert_int_eq(gd_pow_issue(ch, &c, key), GD_OK);
}

static void verifies(const uint8_t ch[GD_POW_CHALLENGE_BYTES], uint64_t ctr, unsigned bits)
{
	gd_pow_challenge c;
	ck_assert_int_eq(gd_pow_check(&c, ch, ctr, key, GD_POW_SUBMIT, bits, 1000), GD_OK);
	ck_assert_uint_ge(gd_pow_leading_zeros(ch, ctr), bits);
}

START_TEST(threads_and_one_thread_verify)
{
	randombytes_buf(key, sizeof key);
	ck_assert_uint_ge(powsolve_threads(), 1);
	for (int i = 0; i < 6; i++) {
		uint8_t ch[GD_POW_CHALLENGE_BYTES];
		uint64_t many = 0, one = 0, ref = 0;
		powsolve_stats st;
		unsigned bits = 12 + (unsigned)i % 3;
		challenge(ch, bits);
		ck_assert_int_eq(powsolve_run(&many, ch, 4, NULL, &st, NULL, NULL), POWSOLVE_OK);
		/* a solution among the first POWSOLVE_INLINE counters is found without threads */
		ck_assert_uint_eq(st.threads, many < POWSOLVE_INLINE ? 0 : 4);
		ck_assert_uint_ge(st.hashes, 1);
		verifies(ch, many, bits);
		ck_assert_int_eq(powsolve_run(&one, ch, 1, NULL, &st, NULL, NULL), POWSOLVE_OK);
		ck_assert_uint_eq(st.threads, one < POWSOLVE_INLINE ? 0 : 1);
		verifies(ch, one, bits);
		/* one thread searches in order: the smallest counter, as the single solver finds */
		ck_assert_int_eq(gd_pow_solve(&ref, ch), GD_OK);
		ck_assert_uint_eq(one, ref);
		ck_assert_int_eq(powsolve_run(&many, ch, 0, NULL, &st, NULL, NULL), POWSOLVE_OK);
		ck_assert_uint_eq(st.threads, many < POWSOLVE_INLINE ? 0 : powsolve_threads());
		verifies(ch, many, bits);
	}
}
END_TEST

static int ticked;

static int count_tick(const powsolve_stats *st, unsigned bits, void *arg)
{
	(void)st;
	(void)bits;
	(void)arg;
	ticked++;
	return 0;
}

/* Small work (what a drop at rest asks for) is solved on the calling thread at once: no thread
 * started, no tick, no nap. It used to start a thread per core and sleep a whole 50 ms tick
 * before its first look: every request of a worker then took 50 ms or more, however little work
 * the drop asked for (bench/server: 12 text submissions a second with one client). */
START_TEST(small_work_starts_no_thread)
{
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	uint64_t ctr = 99, ref;
	powsolve_stats st;
	randombytes_buf(key, sizeof key);
	challenge(ch, 0);
	ticked = 0;
	ck_assert_int_eq(powsolve_run(&ctr, ch, 4, NULL, &st, count_tick, NULL), POWSOLVE_OK);
	ck_assert_uint_eq(ctr, 0);
	ck_assert_uint_eq(st.threads, 0);
	ck_assert_uint_eq(st.hashes, 1);
	ck_assert_int_eq(ticked, 0);
	verifies(ch, ctr, 0);
	/* work whose first solution lies past the inline range goes to the threads, which go on
	 * from there: the single thread still finds the smallest counter */
	do {
		challenge(ch, 12);
		ck_assert_int_eq(gd_pow_solve(&ref, ch), GD_OK);
	} while (ref < POWSOLVE_INLINE);
	ck_assert_int_eq(powsolve_run(&ctr, ch, 1, NULL, &st, NULL, NULL), POWSOLVE_OK);
	ck_assert_uint_eq(st.threads, 1);
	ck_assert_uint_eq(ctr, ref);
	ck_assert_uint_ge(st.hashes, ref + 1);
	ck_assert_int_eq(powsolve_run(&ctr, ch, 3, NULL, &st, NULL, NULL), POWSOLVE_OK);
	ck_assert_uint_eq(st.threads, 3);
	ck_assert_uint_ge(ctr, POWSOLVE_INLINE);
	verifies(ch, ctr, 12);
}
END_TEST

START_TEST(search_ranges)
{
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	uint64_t ref, got = 0;
	randombytes_buf(key, sizeof key);
	challenge(ch, 10);
	ck_assert_int_eq(gd_pow_solve(&ref, ch), GD_OK);
	ck_assert_int_eq(gd_pow_search(&got, ch, 0, ref + 1), GD_OK);
	ck_assert_uint_eq(got, ref);
	if (ref > 0)
		ck_assert_int_eq(gd_pow_search(&got, ch, 0, ref), GD_ERR_POW);
	ck_assert_int_eq(gd_pow_search(&got, ch, ref, 1), GD_OK);
	ck_assert_int_eq(gd_pow_search(&got, ch, ref + 1, 0), GD_ERR_POW);
	ch[0] = 9; /* another version */
	ck_assert_int_eq(gd_pow_search(&got, ch, 0, 1), GD_ERR_INVAL);
	ck_assert_int_eq(powsolve_run(&got, ch, 2, NULL, NULL, NULL, NULL), POWSOLVE_INVALID);
}
END_TEST

static int stop_flag;

static void *stop_later(void *arg)
{
	(void)arg;
	struct timespec t = {0, 300000000L};
	nanosleep(&t, NULL);
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
	return NULL;
}

static int ticks;

static int stop_at_third_tick(const powsolve_stats *st, unsigned bits, void *arg)
{
	(void)st;
	ck_assert_uint_eq(bits, 40);
	ck_assert_ptr_eq(arg, &ticks);
	return ++ticks >= 3;
}

START_TEST(stopped_on_request)
{
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	uint64_t ctr = 7;
	powsolve_stats st;
	pthread_t t;
	randombytes_buf(key, sizeof key);
	challenge(ch, 40); /* days of work: only a stop ends it */
	time_t t0 = time(NULL);
	stop_flag = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, stop_later, NULL), 0);
	ck_assert_int_eq(powsolve_run(&ctr, ch, 3, &stop_flag, &st, NULL, NULL), POWSOLVE_STOPPED);
	pthread_join(t, NULL);
	ck_assert_uint_eq(ctr, 7); /* untouched */
	ck_assert_uint_eq(st.threads, 3);
	ck_assert_uint_gt(st.hashes, 0);
	ck_assert(st.expected_s > 3600); /* 2^40 hashes: hours on any computer */
	ticks = 0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(powsolve_run(&ctr, ch, 2, NULL, NULL, stop_at_third_tick, &ticks),
			 POWSOLVE_STOPPED);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_int_eq(ticks, 3);
	/* the calling thread looks early and often, but ticks stay about 50 ms apart */
	ck_assert((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9 >= 0.14);
	ck_assert_int_le(time(NULL) - t0, 20); /* generous: about half a second of work */
}
END_TEST

START_TEST(line_in_plain_words)
{
	char l[160];
	powsolve_line(l, sizeof l, 80, 20.3, 12.7);
	ck_assert_str_eq(l, "An anti-spam check the drop asks for: about 20 seconds (12 s so far)");
	powsolve_line(l, sizeof l, 80, 0.8, 0.6);
	ck_assert_str_eq(l, "An anti-spam check the drop asks for: about a second (0 s so far)");
	powsolve_line(l, sizeof l, 80, 7.4, 25);
	ck_assert_str_eq(l, "An anti-spam check the drop asks for: about 7 seconds "
			    "(25 s so far, it varies)");
	powsolve_line(l, sizeof l, 80, 130, 65);
	ck_assert_str_eq(l, "An anti-spam check the drop asks for: about 2 minutes (1:05 so far)");
	/* the longest it says still fits an 80-column terminal */
	powsolve_line(l, sizeof l, 80, 3600 * 99.0, 3600 * 99.0 * 2);
	ck_assert_msg(strlen(l) < 80, "%s", l);
	ck_assert_ptr_null(strstr(l, "bits"));
	/* a narrower terminal gets a shorter line, never one as wide as itself (no wrap) */
	powsolve_line(l, sizeof l, 60, 20.3, 12.7);
	ck_assert_str_eq(l, "Anti-spam check: about 20 seconds (12 s so far)");
	powsolve_line(l, sizeof l, 30, 20.3, 12.7);
	ck_assert_str_eq(l, "Anti-spam check: about 20 sec"); /* 29 characters */
	powsolve_line(l, sizeof l, 1, 20.3, 12.7);
	ck_assert_str_eq(l, "");
}
END_TEST

/* ---- the worker's line on a pseudo-terminal ---- */

/* Run ghostdrop with args on a new pty (its controlling terminal); once `wait_for` was shown,
 * type Ctrl-C. What it showed into seen; returns the wait status, -1 when it outlived 60 s. */
static int on_a_pty(const drop *d, const char *args, const char *wait_for, char *seen, size_t cap)
{
	char cmd[4096];
	int fd, st;
	size_t len = 0;
	int typed = 0;
	snprintf(cmd, sizeof cmd, "exec %s %s", GHOSTDROP, args);
	pid_t pid = forkpty(&fd, NULL, NULL, NULL);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (chdir(d->dir) != 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	seen[0] = '\0';
	time_t end = time(NULL) + 60;
	while (time(NULL) <= end) {
		if (!typed && strstr(seen, wait_for) != NULL) {
			ck_assert_int_eq(write(fd, "\003", 1), 1); /* Ctrl-C */
			typed = 1;
		}
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 200) <= 0)
			continue;
		ssize_t n = read(fd, seen + len, cap - 1 - len);
		if (n <= 0)
			break; /* EIO: the terminal was closed by its last user */
		len += (size_t)n;
		seen[len] = '\0';
	}
	close(fd);
	if (time(NULL) > end)
		kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return time(NULL) > end ? -1 : st;
}

START_TEST(line_on_a_terminal_and_ctrl_c)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1], path[256], words[256], seen[16384];
	/* 2^30 hashes: minutes on 2 cores; the line shows within a second */
	drop_up(&d, "pow_min_bits = 30\npow_max_bits = 30\n", ks);
	ck_assert_int_eq(gd_codename_generate(words, sizeof words), GD_OK);
	snprintf(path, sizeof path, "%s/codename.txt", d.dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s\n", words);
	fclose(f);
	char args[1024];
	snprintf(args, sizeof args,
		 "replies --server http://127.0.0.1:%u --newsroom %s --clearnet --codename-file %s",
		 d.port, ks, path);
	time_t t0 = time(NULL);
	int st = on_a_pty(&d, args, "so far)", seen, sizeof seen);
	ck_assert_msg(st != -1, "still running after 60 s: %s", seen);
	ck_assert_msg(strstr(seen, "\rAn anti-spam check the drop asks for: about ") != NULL, "%s",
		      seen);
	ck_assert_msg(strstr(seen, "bits") == NULL, "%s", seen);
	/* Ctrl-C ended the line, and the program, at once (as Ctrl-C did before) */
	ck_assert_msg(strstr(seen, "An anti-spam check the drop asks for: stopped after ") != NULL,
		      "%s", seen);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT, "status %d: %s", st, seen);
	ck_assert_int_le(time(NULL) - t0, 30);
	/* every line fits 80 columns: the redraws went in place */
	for (const char *p = seen, *q; *p != '\0'; p = q + (*q != '\0')) {
		q = p + strcspn(p, "\r\n");
		ck_assert_msg(q - p < 80, "%.*s", (int)(q - p), p);
	}
	drop_destroy(&d);
}
END_TEST

/* ---- the drop's difficulty ---- */

static const struct {
	const char *label; /* as the table of PROTOCOL.md §11.3 writes it */
	uint64_t size;
	unsigned bits; /* at the defaults (pow_min_bits 18, pow_max_bits 28), idle */
} table[] = {
	{"1 MiB", 1 << 20, 18},        {"8 MiB - 1 byte", (8 << 20) - 1, 18},
	{"8 MiB", 8 << 20, 19},        {"16 MiB", 16 << 20, 20},
	{"100 MiB", 100ULL << 20, 22}, {"200 MiB", 200ULL << 20, 23},
	{"1 GiB", 1ULL << 30, 26},     {"4 GiB", 4ULL << 30, 28},
};

START_TEST(difficulty_as_documented)
{
	drop d;
	char q[96], row[96], *doc;
	FILE *f = fopen(PROTOCOL_MD, "r");
	ck_assert_ptr_nonnull(f);
	doc = calloc(1, 1 << 20);
	ck_assert_uint_gt(fread(doc, 1, (1 << 20) - 1, f), 0);
	fclose(f);
	drop_create(&d, "pow_min_bits = 18\npow_max_bits = 28\nmax_envelope_mb = 4096\n");
	drop_start(&d);
	ck_assert_uint_eq(pow_bits(d.port, "purpose=submit"), 18);
	ck_assert_uint_eq(pow_bits(d.port, "purpose=mailbox"), 18);
	for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
		snprintf(q, sizeof q, "purpose=upload&size=%llu",
			 (unsigned long long)table[i].size);
		unsigned got = pow_bits(d.port, q);
		ck_assert_msg(got == table[i].bits, "%s: %u bits, not %u", table[i].label, got,
			      table[i].bits);
		snprintf(row, sizeof row, "| %s | %u |", table[i].label, got);
		ck_assert_msg(strstr(doc, row) != NULL, "PROTOCOL.md has no row \"%s\"", row);
	}
	free(doc);
	drop_destroy(&d);
}
END_TEST

START_TEST(replayed_pow_refused)
{
	drop d;
	resp r;
	membuf env;
	uint8_t id[16], nr[32] = {4};
	char pow[256];
	gd_source_keys *src =
		test_source("zoom abacus yo-yo able ablaze abide zoologist felt-tip", nr);
	drop_create(&d, NULL);
	drop_start(&d);
	drop_envelope(&d, src, "once", 0, &env, NULL);
	pow_header(d.port, "submit", 0, pow, sizeof pow);
	randombytes_buf(id, sizeof id);
	post_submission(&d, id, &env, pow, NULL, &r);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	randombytes_buf(id, sizeof id);
	post_submission(&d, id, &env, pow, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_replayed");
	resp_free(&r);
	membuf_free(&env);
	sodium_free(src);
	drop_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pow16");
	TCase *t = tcase_create("solver");
	tcase_add_test(t, threads_and_one_thread_verify);
	tcase_add_test(t, small_work_starts_no_thread);
	tcase_add_test(t, search_ranges);
	tcase_add_test(t, stopped_on_request);
	tcase_add_test(t, line_in_plain_words);
	suite_add_tcase(s, t);
	t = tcase_create("worker");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, line_on_a_terminal_and_ctrl_c);
	tcase_add_test(t, difficulty_as_documented);
	tcase_add_test(t, replayed_pow_refused);
	suite_add_tcase(s, t);
	return s;
}

GD_CHECK_MAIN(suite)
