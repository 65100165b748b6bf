/* Loose ends of issue 16 on the worker's path: the same file named twice is sent once; the
 * cleaned copies a killed run leaves in RAM-backed storage are removed by the next run (never
 * a live run's, never through a symbolic link); ghostdrop --help and ghostdrop(1) list the
 * same exit codes as the program has. The real ghostdrop against a real ghostdropd on
 * 127.0.0.1. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "testutil.h"

#ifndef GHOSTDROP
#error GHOSTDROP must name the worker binary
#endif

static char out[65536], err[65536];
static char keystring[GD_KEYSTRING_LEN + 1];

#define SERVER "--server http://127.0.0.1:%u --newsroom %s --clearnet"

static int gd(const drop *d, const char *in, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int gd(const drop *d, const char *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = drop_vrun(d, GHOSTDROP, in, out, err, sizeof out, fmt, ap);
	va_end(ap);
	return rc;
}

/* The attachments' names of every stored submission, in the order the drop lists them. */
static size_t stored_attachments(const drop *d, size_t per[8])
{
	resp r;
	size_t n = 0, i;
	ck_assert_int_eq(
		http_do(d->port, "GET", "/v1/courier/submissions", drop_auth(d), NULL, 0, &r), 0);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL), *v;
	resp_free(&r);
	json_array_foreach (json_object_get(o, "submissions"), i, v) {
		char path[128];
		snprintf(path, sizeof path, "/v1/courier/submissions/%s",
			 json_string_value(json_object_get(v, "id")));
		ck_assert_int_eq(http_do(d->port, "GET", path, drop_auth(d), NULL, 0, &r), 0);
		ck_assert_int_eq(r.status, 200);
		membuf env = {.buf = r.body, .len = r.len};
		boxkey k;
		sink_state s;
		gd_open_result res;
		memcpy(k.pk, d->jpk, 32);
		memcpy(k.sk, d->jsk, 32);
		ck_assert_int_eq(open_from(&env, &k, 1, &s, &res), GD_OK);
		ck_assert_uint_lt(n, 8);
		per[n++] = s.m.n_attachments;
		sink_free(&s);
		resp_free(&r);
	}
	json_decref(o);
	return n;
}

/* err without the line of a run that removed what another test's killed run left in /dev/shm */
static const char *own_err(void)
{
	return strncmp(err, "ghostdrop: removed", 18) == 0 ? strchr(err, '\n') + 1 : err;
}

/* A fake mat2 first on PATH: --list lists .wav; --show lists nothing; --inplace leaves the
 * file as it is and, as TIDY_MAT2 says, fails (cannot clean), or writes its pid to $TIDY_MARK
 * and waits (at most 30 s) for $TIDY_MARK.go to exist. */
static void fake_mat2(const drop *d)
{
	char bin[256], path[4096];
	snprintf(bin, sizeof bin, "%s/bin", d->dir);
	ck_assert_int_eq(mkdir(bin, 0700), 0);
	snprintf(path, sizeof path, "%s/mat2", bin);
	write_file_mode(path,
			"#!/bin/sh\n"
			"[ \"$1\" = --list ] && echo '  - audio/x-wav (.wav)' && exit 0\n"
			"[ \"$1\" = --show ] && exit 0\n"
			"[ \"$TIDY_MAT2\" = fail ] && exit 1\n"
			"echo $$ > \"$TIDY_MARK.tmp\" && mv \"$TIDY_MARK.tmp\" \"$TIDY_MARK\"\n"
			"i=0\n"
			"while [ ! -e \"$TIDY_MARK.go\" ] && [ $i -lt 300 ]; do\n"
			"  sleep 0.1; i=$((i+1))\n"
			"done\n"
			"exit 0\n",
			0700);
	snprintf(path, sizeof path, "%s:%s", bin, getenv("PATH"));
	setenv("PATH", path, 1);
}

/* ---- 1. the same file twice ---- */

/* `--keep-metadata rec.wav rec.wav` (which ghostdrop(1) says is fine) sent the recording twice,
 * attachment-1 and attachment-2; so did any file named twice, under two names or one. */
START_TEST(same_file_sent_once)
{
	drop d;
	char wav[512], csv[512], csv2[512], hard[512], copy[512];
	drop_up(&d, NULL, keystring);
	fake_mat2(&d);
	setenv("TIDY_MAT2", "fail", 1); /* a recording mat2 cannot clean: only by name */
	snprintf(wav, sizeof wav, "%s/rec.wav", d.dir);
	write_file_mode(wav, "RIFF....WAVEfmt a recording", 0600);
	int rc =
		gd(&d, "the recording", "submit " SERVER " --no-reply --json --keep-metadata %s %s",
		   d.port, keystring, wav, wav);
	ck_assert_msg(rc == 0, "%d: %s", rc, err);
	json_t *j = json_loads(out, 0, NULL);
	ck_assert_msg(j != NULL, "%s%s", out, err);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "attachments")), 1);
	json_decref(j);
	ck_assert_msg(own_err()[0] == '\0', "the documented spelling is not remarked on: %s", err);
	/* the same file under three names (a hard link among them): once, and said, once */
	snprintf(csv, sizeof csv, "%s/rates.csv", d.dir);
	snprintf(hard, sizeof hard, "%s/rates-link.csv", d.dir);
	snprintf(copy, sizeof copy, "%s/copy.csv", d.dir);
	snprintf(csv2, sizeof csv2, "%s/./rates.csv", d.dir);
	write_file_mode(csv, "day,items\n2026-11-30,412\n", 0600);
	write_file_mode(copy, "day,items\n2026-11-30,412\n", 0600); /* same bytes, another file */
	ck_assert_int_eq(link(csv, hard), 0);
	ck_assert_int_eq(gd(&d, "the rates", "submit " SERVER " --no-reply --json %s %s %s %s",
			    d.port, keystring, csv, csv2, hard, copy),
			 0);
	j = json_loads(out, 0, NULL);
	ck_assert_msg(j != NULL, "%s", out);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "attachments")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(j, "attachments"), 1), "name")),
			 "attachment-2.csv"); /* copy.csv: numbered as sent */
	json_decref(j);
	char said[4096];
	snprintf(said, sizeof said,
		 "ghostdrop: %s is the same file as %s: it is sent once\n"
		 "ghostdrop: %s is the same file as %s: it is sent once\n",
		 csv2, csv, hard, csv);
	ck_assert_str_eq(own_err(), said);
	size_t per[8];
	ck_assert_uint_eq(stored_attachments(&d, per), 2);
	ck_assert_uint_eq(per[0] + per[1], 3); /* 1 and 2, in whatever order the drop lists */
	ck_assert(per[0] == 1 || per[0] == 2);
	drop_destroy(&d);
}
END_TEST

/* ---- 2. cleaned copies a killed run left behind ---- */

/* ghostdrop ARGS in dir, in its own session, with TIDY_MARK=mark; stdin from /dev/null. */
static pid_t spawn_gd(const drop *d, const char *mark, const char *wav)
{
	char server[64], msg[256];
	snprintf(server, sizeof server, "http://127.0.0.1:%u", d->port);
	snprintf(msg, sizeof msg, "%s/message", d->dir);
	write_file_mode(msg, "the recording of the meeting", 0600);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		setsid();
		if (chdir(d->dir) != 0 || null < 0)
			_exit(127);
		char errpath[600];
		snprintf(errpath, sizeof errpath, "%s.err", mark);
		int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(null, 0);
		dup2(null, 1);
		dup2(e >= 0 ? e : null, 2);
		setenv("TIDY_MARK", mark, 1);
		execl(GHOSTDROP, GHOSTDROP, "submit", "--server", server, "--newsroom", keystring,
		      "--clearnet", "--no-reply", "--message-file", msg, wav, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void wait_for(const char *path)
{
	for (int i = 0; i < 300 && access(path, F_OK) != 0; i++)
		usleep(100000);
	ck_assert_msg(access(path, F_OK) == 0, "%s never appeared", path);
}

/* How many names in base start with prefix; the last one's path into found. */
static int find_dir(const char *base, const char *prefix, char *found, size_t cap)
{
	DIR *dir = opendir(base);
	struct dirent *e;
	int n = 0;
	ck_assert_ptr_nonnull(dir);
	found[0] = '\0';
	while ((e = readdir(dir)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(found, cap, "%s/%s", base, e->d_name);
			n++;
		}
	closedir(dir);
	return n;
}

static size_t entries(const char *path)
{
	DIR *dir = opendir(path);
	size_t n = 0;
	if (dir == NULL)
		return 0;
	for (struct dirent *e; (e = readdir(dir)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* A pid no process has (one that has just exited). */
static pid_t dead_pid(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return pid;
}

/* kill -9 while mat2 cleans the copy (or at the confirmation, or in the upload) left the
 * cleaned copy in RAM until reboot. The next run removes it, and nothing else: not a live
 * run's directory (both runs work), not one with another mode, not through a symbolic link. */
START_TEST(killed_runs_copies_removed_by_next_run)
{
	drop d;
	char run[256], wav[512], mark[512], go[520], a_dir[1024], b_dir[1024], path[1024], odd[512],
		link[512], target[512];
	drop_up(&d, NULL, keystring);
	fake_mat2(&d);
	unsetenv("TIDY_MAT2"); /* the waiting kind */
	/* a private RAM-backed directory of this test's as XDG_RUNTIME_DIR */
	snprintf(run, sizeof run, "/dev/shm/gd-tidy-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(run));
	setenv("XDG_RUNTIME_DIR", run, 1);
	snprintf(wav, sizeof wav, "%s/rec.wav", d.dir);
	write_file_mode(wav, "RIFF....WAVEfmt the worker's voice", 0600);

	/* B: alive, in mat2 */
	snprintf(mark, sizeof mark, "%s/mark-b", d.dir);
	pid_t b = spawn_gd(&d, mark, wav);
	wait_for(mark);
	ck_assert_int_eq(find_dir(run, "ghostdrop-", b_dir, sizeof b_dir), 1);
	ck_assert_uint_eq(entries(b_dir), 1); /* the copy */

	/* A: started while B runs, killed (with its mat2) while mat2 works on its copy */
	snprintf(path, sizeof path, "%s/mark-a", d.dir);
	pid_t a = spawn_gd(&d, path, wav);
	wait_for(path);
	ck_assert_int_eq(kill(-a, SIGKILL), 0);
	ck_assert_int_eq(waitpid(a, NULL, 0), a);
	ck_assert_int_eq(find_dir(run, "ghostdrop-", path, sizeof path), 2);
	DIR *dir = opendir(run);
	for (struct dirent *e; (e = readdir(dir)) != NULL;) {
		snprintf(path, sizeof path, "%s/%s", run, e->d_name);
		if (strncmp(e->d_name, "ghostdrop-", 10) == 0 && strcmp(path, b_dir) != 0)
			snprintf(a_dir, sizeof a_dir, "%s", path);
	}
	closedir(dir);
	ck_assert_uint_eq(entries(a_dir), 1);

	/* not ghostdrop's to remove: a dead pid's directory of another mode, and a symbolic link
	 * named as a dead run's directory to a directory with a file */
	pid_t dead = dead_pid();
	snprintf(odd, sizeof odd, "%s/ghostdrop-%ld-aaaaaa", run, (long)dead);
	ck_assert_int_eq(mkdir(odd, 0750), 0);
	ck_assert_int_eq(chmod(odd, 0750), 0);
	snprintf(path, sizeof path, "%s/kept", odd);
	write_file_mode(path, "kept", 0600);
	snprintf(target, sizeof target, "%s/target", d.dir);
	ck_assert_int_eq(mkdir(target, 0700), 0);
	snprintf(path, sizeof path, "%s/kept", target);
	write_file_mode(path, "kept", 0600);
	snprintf(link, sizeof link, "%s/ghostdrop-%ld-bbbbbb", run, (long)dead);
	ck_assert_int_eq(symlink(target, link), 0);

	/* C: any later run (here a testimony without files) */
	ck_assert_int_eq(gd(&d, "later", "submit " SERVER " --no-reply", d.port, keystring), 0);
	struct stat st;
	ck_assert_msg(lstat(a_dir, &st) != 0 && errno == ENOENT, "%s is still there", a_dir);
	ck_assert_msg(strstr(err, "removed") != NULL && strstr(err, "interrupted") != NULL, "%s",
		      err);
	ck_assert_msg(strncmp(err, "ghostdrop: removed", 18) == 0, "%s", err); /* one line */
	ck_assert_uint_le((size_t)(strchr(err, '\n') - err), 80);
	ck_assert_msg(strstr(strchr(err, '\n'), "removed") == NULL, "%s", err);
	ck_assert_uint_eq(entries(b_dir), 1); /* the live run's copy */
	ck_assert_uint_eq(entries(odd), 1);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_uint_eq(entries(target), 1);
	/* a run with nothing to remove says nothing of it */
	ck_assert_int_eq(gd(&d, "later again", "submit " SERVER " --no-reply", d.port, keystring),
			 0);
	ck_assert_msg(strstr(err, "removed") == NULL, "%s", err);

	/* B goes on and sends its file; its directory goes with it */
	snprintf(go, sizeof go, "%s.go", mark);
	write_file_mode(go, "", 0600);
	int status = 0;
	for (int i = 0; i < 600 && waitpid(b, &status, WNOHANG) == 0; i++)
		usleep(100000);
	snprintf(path, sizeof path, "%s.err", mark);
	int fd = open(path, O_RDONLY);
	ssize_t got = fd >= 0 ? read(fd, err, sizeof err - 1) : 0;
	err[got > 0 ? got : 0] = '\0';
	if (fd >= 0)
		close(fd);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "B: status %d: %s", status,
		      err);
	ck_assert_msg(lstat(b_dir, &st) != 0, "%s is still there", b_dir);
	size_t per[8];
	ck_assert_uint_eq(stored_attachments(&d, per), 3); /* B, C and C again */
	ck_assert_uint_eq(per[0] + per[1] + per[2], 1);

	unlink(link);
	snprintf(path, sizeof path, "%s/kept", odd);
	unlink(path);
	rmdir(odd);
	rmdir(run);
	drop_destroy(&d);
}
END_TEST

/* ---- 3. exit codes: the program, its help and its manual agree ---- */

/* Add n to the set (a bit per code 0..7, bit 8 for 130); 0 if it is no code of ghostdrop's. */
static int code_bit(long n, unsigned *set)
{
	if (n >= 0 && n <= 7)
		*set |= 1u << n;
	else if (n == 130)
		*set |= 1u << 8;
	else
		return 0;
	return 1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	char *b = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(b);
	size_t n = fread(b, 1, (1 << 20) - 1, f);
	b[n] = '\0';
	fclose(f);
	return b;
}

/* Every match of pattern's last group (the first or the second) in s, as codes. */
static unsigned codes_of(const char *s, const char *pattern, const char *what)
{
	regex_t re;
	regmatch_t m[3];
	unsigned set = 0;
	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE), 0);
	for (const char *p = s; regexec(&re, p, 3, m, p == s ? 0 : REG_NOTBOL) == 0;
	     p += m[0].rm_eo) {
		long n = strtol(p + m[m[2].rm_so >= 0 ? 2 : 1].rm_so, NULL, 10);
		ck_assert_msg(code_bit(n, &set), "%s: %ld is not an exit code of ghostdrop's", what,
			      n);
	}
	regfree(&re);
	return set;
}

START_TEST(exit_codes_listed_alike)
{
	drop d;
	memset(&d, 0, sizeof d);
	snprintf(d.dir, sizeof d.dir, "/tmp/gd-tidy-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d.dir));
	/* the program's own: ghostdrop.c's EX_ codes, attach.h's "no", and Ctrl-C's SIGINT */
	char *src = slurp(GHOSTDROP_C), *ah = slurp(ATTACH_H);
	unsigned program = codes_of(src, "^\tEX_[A-Z]+ = ([0-9]+)", "ghostdrop.c") |
			   codes_of(ah, "^#define ATTACH_CANCELLED ([0-9]+)", "attach.h");
	code_bit(130, &program);
	ck_assert_uint_eq(program, 0x1ff);
	/* the help's list: "exit: 0 ok, 1 failure, ..." up to "See ghostdrop(1)." */
	ck_assert_int_eq(drop_run(&d, GHOSTDROP, NULL, out, err, sizeof out, "--help"), 0);
	char *from = strstr(out, "\nexit: "), *to = from ? strstr(from, "See ghostdrop(1)") : NULL;
	ck_assert_msg(from != NULL && to != NULL, "%s", out);
	*to = '\0';
	/* each code begins an item: after "exit: ", an indent, or ", " or "; " */
	unsigned help = codes_of(from + 1, "(^exit: |^ +|[,;] )([0-9]+) [a-zA-Z]", "--help");
	ck_assert_msg(help == program, "--help lists %#x, the program has %#x:\n%s", help, program,
		      from + 1);
	/* the manual's EXIT STATUS: ".TP" then ".B CODE" for each */
	char *man = slurp(GHOSTDROP_1), *sec = strstr(man, "\n.SH EXIT STATUS\n");
	ck_assert_ptr_nonnull(sec);
	char *end = strstr(sec + 1, "\n.SH ");
	if (end != NULL)
		end[1] = '\0';
	unsigned manual = codes_of(sec, "^\\.TP\n\\.B ([0-9]+)$", "ghostdrop(1)");
	ck_assert_msg(manual == program, "ghostdrop(1) lists %#x, the program has %#x", manual,
		      program);
	free(src);
	free(ah);
	free(man);
	rmdir(d.dir);
}
END_TEST

static Suite *tidy_suite(void)
{
	Suite *s = suite_create("tidy16");
	TCase *tc = tcase_create("tidy16");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, exit_codes_listed_alike);
	tcase_add_test(tc, same_file_sent_once);
	tcase_add_test(tc, killed_runs_copies_removed_by_next_run);
	suite_add_tcase(s, tc);
	return s;
}

GD_CHECK_MAIN(tidy_suite)
