/* mat2 cleans documents (PDF, office files) by unpacking them into its temporary directory:
 * $TMPDIR, /tmp by default, which is on disk on a borrowed laptop. ghostdrop runs it with
 * TMPDIR (TMP, TEMP) set to its own RAM-backed directory, in a process group of its own that
 * it kills and waits for before removing that directory: after a run, a refusal, Ctrl-C,
 * SIGTERM or kill -9 (then the next run), nothing of the document is left in $TMPDIR or in
 * RAM, and no mat2 is left running. The real ghostdrop against a real ghostdropd on 127.0.0.1,
 * with the real mat2 and with a fake one first on PATH. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static size_t entries(const char *path)
{
	DIR *dir = opendir(path);
	size_t n = 0;
	if (dir == NULL)
		return 0;
	for (struct dirent *e; (e = readdir(dir)) != NULL;)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(dir);
	return n;
}

/* The test's own places: a drop, an empty directory on disk as TMPDIR (watched: inotify sees
 * anything made in it, even if removed afterwards) and a private RAM-backed XDG_RUNTIME_DIR
 * for ghostdrop's directory. */
typedef struct {
	drop d;
	char tmp[256], run[64];
	int watch;
} place;

static void place_up(place *p)
{
	drop_up(&p->d, NULL, keystring);
	snprintf(p->tmp, sizeof p->tmp, "%s/tmp", p->d.dir);
	ck_assert_int_eq(mkdir(p->tmp, 0700), 0);
	snprintf(p->run, sizeof p->run, "/dev/shm/gd-m2tmp-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(p->run));
	p->watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ck_assert_int_ge(p->watch, 0);
	ck_assert_int_ge(inotify_add_watch(p->watch, p->tmp, IN_CREATE | IN_MOVED_TO), 0);
	setenv("TMPDIR", p->tmp, 1);
	setenv("TMP", p->tmp, 1);
	setenv("TEMP", p->tmp, 1);
	setenv("XDG_RUNTIME_DIR", p->run, 1);
}

/* Nothing was ever made in TMPDIR, nothing is left of ghostdrop's directory. */
static void assert_nothing_left(const place *p, const char *when)
{
	char ev[4096];
	ssize_t n = read(p->watch, ev, sizeof ev);
	const struct inotify_event *e = (const struct inotify_event *)ev;
	ck_assert_msg(n < 0 && errno == EAGAIN, "%s: %s was written in TMPDIR %s", when,
		      n > 0 && e->len > 0 ? e->name : "something", p->tmp);
	ck_assert_msg(entries(p->tmp) == 0, "%s: left in TMPDIR", when);
	ck_assert_msg(entries(p->run) == 0, "%s: ghostdrop's directory is left in %s", when,
		      p->run);
}

static void place_down(place *p)
{
	close(p->watch);
	rmdir(p->run);
	unsetenv("TMPDIR");
	unsetenv("TMP");
	unsetenv("TEMP");
	unsetenv("XDG_RUNTIME_DIR");
	drop_destroy(&p->d);
}

/* The real mat2 cleans an OpenDocument, an Office Open XML document and a PDF, unpacking each
 * where TMPDIR says: before, in the worker's /tmp (inotify saw tmpXXXXXXXX made there). */
START_TEST(real_mat2_unpacks_in_ram_only)
{
	place p;
	char odt[512], docx[512], pdf[512];
	place_up(&p);
	snprintf(odt, sizeof odt, "%s/author.odt", SAMPLES);
	snprintf(docx, sizeof docx, "%s/author.docx", SAMPLES);
	snprintf(pdf, sizeof pdf, "%s/author.pdf", SAMPLES);
	int rc = drop_run(&p.d, GHOSTDROP, "the memo", out, err, sizeof out,
			  "submit " SERVER " --no-reply %s %s %s", p.d.port, keystring, odt, docx,
			  pdf);
	ck_assert_msg(rc == 0, "%d: %s", rc, err);
	ck_assert_uint_eq(drop_count_stored(&p.d), 1);
	assert_nothing_left(&p, "after a run");
	place_down(&p);
}
END_TEST

/* A fake mat2 first on PATH. Each run appends its first argument to $M2_MARK.args; --list
 * writes its TMPDIR, TMP and TEMP to $M2_MARK.listenv and lists .docx only (with M2_LONG set:
 * .pdf, and .docx last of 201 extensions on one line of 1,600 bytes). Else it writes its TMPDIR,
 * TMP and TEMP to $M2_MARK.env (--show lists $TMPDIR, its copies, into $M2_MARK.ls), unpacks "the
 * document" into $TMPDIR/tmpfake/word/, ignores SIGINT, SIGTERM and SIGHUP (as a mat2 busy in a
 * large file did: it outlived ghostdrop); then --show ends, --inplace writes its pid to $M2_MARK
 * and, as M2_MODE says, fails leaving its files, or waits (at most 30 s) for $M2_MARK.go. */
static void fake_mat2(const place *p)
{
	char bin[256], path[4096];
	snprintf(bin, sizeof bin, "%s/bin", p->d.dir);
	ck_assert_int_eq(mkdir(bin, 0700), 0);
	snprintf(path, sizeof path, "%s/mat2", bin);
	write_file_mode(
		path,
		"#!/bin/sh\n"
		"echo \"$1\" >> \"$M2_MARK.args\"\n"
		"if [ \"$1\" = --list ]; then\n"
		"  [ -n \"$M2_MARK\" ] && echo \"$TMPDIR|$TMP|$TEMP\" > \"$M2_MARK.listenv\"\n"
		"  echo '[+] Supported formats:'\n"
		"  if [ -z \"$M2_LONG\" ]; then\n"
		"    echo '  - application/vnd.openxmlformats-officedocument."
		"wordprocessingml.document (.docx)'\n"
		"    exit 0\n"
		"  fi\n"
		"  echo '  - application/pdf (.pdf)'\n"
		"  printf '  - application/x-long ('\n"
		"  i=0; while [ $i -lt 200 ]; do printf '.ext%d, ' $i; i=$((i+1)); done\n"
		"  echo '.docx)'\n"
		"  exit 0\n"
		"fi\n"
		"trap '' INT TERM HUP\n"
		"echo \"$TMPDIR|$TMP|$TEMP\" > \"$M2_MARK.env\"\n"
		"[ \"$1\" = --show ] && ls -A \"$TMPDIR\" > \"$M2_MARK.ls\"\n"
		"mkdir -p \"$TMPDIR/tmpfake/word\" || exit 1\n"
		"echo 'SECRET quota memo' > \"$TMPDIR/tmpfake/word/document.xml\"\n"
		"[ \"$1\" = --show ] && rm -r \"$TMPDIR/tmpfake\" && exit 0\n"
		"echo $$ > \"$M2_MARK.tmp\" && mv \"$M2_MARK.tmp\" \"$M2_MARK\"\n"
		"[ \"$M2_MODE\" = fail ] && exit 1\n"
		"i=0\n"
		"while [ ! -e \"$M2_MARK.go\" ] && [ $i -lt 300 ]; do\n"
		"  sleep 0.1; i=$((i+1))\n"
		"done\n"
		"exit 0\n",
		0700);
	snprintf(path, sizeof path, "%s:%s", bin, getenv("PATH"));
	setenv("PATH", path, 1);
}

/* ghostdrop submit with a document, in its own session (as in a terminal of its own: a
 * signal to -pid is Ctrl-C), stdin from /dev/null, stderr into mark.err. */
static pid_t spawn_gd(const place *p, const char *mark, const char *doc)
{
	char server[64], msg[256];
	snprintf(server, sizeof server, "http://127.0.0.1:%u", p->d.port);
	snprintf(msg, sizeof msg, "%s/message", p->d.dir);
	write_file_mode(msg, "the memo", 0600);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		setsid();
		if (chdir(p->d.dir) != 0 || null < 0)
			_exit(127);
		char errpath[600];
		snprintf(errpath, sizeof errpath, "%s.err", mark);
		int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(null, 0);
		dup2(null, 1);
		dup2(e >= 0 ? e : null, 2);
		setenv("M2_MARK", mark, 1);
		execl(GHOSTDROP, GHOSTDROP, "submit", "--server", server, "--newsroom", keystring,
		      "--clearnet", "--no-reply", "--message-file", msg, doc, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The pid in path, once it is there (at most 30 s). */
static pid_t pid_in(const char *path)
{
	for (int i = 0; i < 300 && access(path, F_OK) != 0; i++)
		usleep(100000);
	FILE *f = fopen(path, "r");
	long pid = 0;
	ck_assert_msg(f != NULL, "%s never appeared", path);
	ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	return (pid_t)pid;
}

/* A process (not a zombie) has this pid. */
static int alive(pid_t pid)
{
	char path[64], stat[256] = "";
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	size_t n = fread(stat, 1, sizeof stat - 1, f);
	fclose(f);
	stat[n] = '\0';
	const char *st = strrchr(stat, ')');
	return st != NULL && st[1] == ' ' && st[2] != 'Z' && st[2] != 'X';
}

/* mat2 got TMPDIR, TMP and TEMP = ghostdrop's directory in XDG_RUNTIME_DIR. */
static void assert_env(const place *p, const char *mark)
{
	char path[600], line[1024] = "", want[128];
	snprintf(path, sizeof path, "%s.env", mark);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "mat2 never ran");
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(want, sizeof want, "%s/ghostdrop-", p->run);
	ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "mat2's TMPDIR|TMP|TEMP: %s", line);
	char *bar = strchr(line, '|');
	ck_assert_ptr_nonnull(bar);
	size_t len = (size_t)(bar - line);
	ck_assert_msg(strlen(line) == 3 * len + 2 && strncmp(bar + 1, line, len) == 0 &&
			      strncmp(bar + 2 + len, line, len) == 0,
		      "TMPDIR, TMP and TEMP differ: %s", line);
}

/* mat2 fails after unpacking: the document is refused, and its unpacked files go with
 * ghostdrop's directory (before: left in TMPDIR). */
START_TEST(refused_leaves_nothing)
{
	place p;
	char mark[512], docx[512];
	place_up(&p);
	fake_mat2(&p);
	setenv("M2_MODE", "fail", 1);
	snprintf(mark, sizeof mark, "%s/mark", p.d.dir);
	setenv("M2_MARK", mark, 1);
	snprintf(docx, sizeof docx, "%s/author.docx", SAMPLES);
	int rc = drop_run(&p.d, GHOSTDROP, "the memo", out, err, sizeof out,
			  "submit " SERVER " --no-reply %s", p.d.port, keystring, docx);
	ck_assert_msg(rc == 6 && strstr(err, "mat2 could not clean it") != NULL, "%d: %s", rc, err);
	assert_env(&p, mark);
	assert_nothing_left(&p, "after a refusal");
	ck_assert_uint_eq(drop_count_stored(&p.d), 0);
	unsetenv("M2_MODE");
	unsetenv("M2_MARK");
	place_down(&p);
}
END_TEST

/* Ctrl-C (SIGINT to the terminal's process group), SIGTERM to ghostdrop alone, and kill -9
 * while mat2 works: ghostdrop's mat2 is gone when ghostdrop is (before: it ran on, PPID 1,
 * with the unpacked document in TMPDIR), and so are its files (kill -9: by the next run). */
START_TEST(interrupted_leaves_nothing)
{
	static const struct {
		int sig, group;
		const char *what;
	} how[] = {{SIGINT, 1, "Ctrl-C"}, {SIGTERM, 0, "SIGTERM"}, {SIGKILL, 0, "kill -9"}};
	place p;
	char docx[512];
	place_up(&p);
	fake_mat2(&p);
	unsetenv("M2_MODE"); /* the waiting kind */
	snprintf(docx, sizeof docx, "%s/author.docx", SAMPLES);
	for (size_t k = 0; k < sizeof how / sizeof how[0]; k++) {
		char mark[512], path[600];
		snprintf(mark, sizeof mark, "%s/mark-%zu", p.d.dir, k);
		pid_t gd = spawn_gd(&p, mark, docx);
		pid_t m2 = pid_in(mark);
		assert_env(&p, mark);
		ck_assert_int_eq(kill(how[k].group ? -gd : gd, how[k].sig), 0);
		int status = 0;
		ck_assert_int_eq(waitpid(gd, &status, 0), gd);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == how[k].sig,
			      "%s: status %#x", how[k].what, status);
		if (how[k].sig == SIGKILL) /* mat2 goes with it; the next run removes the files */
			for (int i = 0; i < 50 && alive(m2); i++)
				usleep(100000);
		int left = alive(m2);
		if (left) { /* let it end, not to disturb what follows */
			snprintf(path, sizeof path, "%s.go", mark);
			write_file_mode(path, "", 0600);
		}
		ck_assert_msg(!left, "%s: mat2 (pid %ld) still runs", how[k].what, (long)m2);
		if (how[k].sig == SIGKILL) {
			ck_assert_uint_eq(entries(p.run), 1);
			int rc = drop_run(&p.d, GHOSTDROP, "later", out, err, sizeof out,
					  "submit " SERVER " --no-reply", p.d.port, keystring);
			ck_assert_msg(rc == 0 && strstr(err, "removed") != NULL, "%d: %s", rc, err);
		}
		assert_nothing_left(&p, how[k].what);
	}
	ck_assert_uint_eq(drop_count_stored(&p.d), 1); /* the later run's */
	place_down(&p);
}
END_TEST

/* Watches the RAM-backed XDG_RUNTIME_DIR: anything made there (ghostdrop's directory for the
 * copies) is seen by ram_untouched, even if removed again. */
static int ram_watch(const place *p)
{
	int w = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ck_assert_int_ge(w, 0);
	ck_assert_int_ge(inotify_add_watch(w, p->run, IN_CREATE | IN_MOVED_TO), 0);
	return w;
}

static void ram_untouched(int w, const char *when)
{
	char ev[4096];
	ssize_t n = read(w, ev, sizeof ev);
	const struct inotify_event *e = (const struct inotify_event *)ev;
	ck_assert_msg(n < 0 && errno == EAGAIN, "%s: %s was made in RAM for a copy", when,
		      n > 0 && e->len > 0 ? e->name : "something");
	close(w);
}

/* Only ghostdrop's own directory (for mat2 --list, which runs in it) was made in RAM, and at
 * most once a run: runs times. Whether a copy was made in it, the fake's arguments say (a
 * copy is always shown, --show, before it is cleaned). */
static void ram_only_dirs(int w, int runs, const char *when)
{
	char ev[4096] __attribute__((aligned(8)));
	ssize_t n = read(w, ev, sizeof ev);
	int dirs = 0;
	for (ssize_t o = 0; n > 0 && o < n;) {
		const struct inotify_event *e = (const struct inotify_event *)(ev + o);
		ck_assert_msg((e->mask & IN_ISDIR) && e->len > 0 &&
				      strncmp(e->name, "ghostdrop-", 10) == 0,
			      "%s: %s was made in RAM", when, e->len > 0 ? e->name : "something");
		dirs++;
		o += (ssize_t)(sizeof *e + e->len);
	}
	ck_assert_msg(dirs <= runs, "%s: %d directories made in RAM", when, dirs);
	close(w);
}

/* The whole of path (small) must be want. */
static void assert_file_is(const char *path, const char *want)
{
	char got[1024] = "";
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s is missing", path);
	size_t n = fread(got, 1, sizeof got - 1, f);
	fclose(f);
	got[n] = '\0';
	ck_assert_msg(strcmp(got, want) == 0, "%s: \"%s\", not \"%s\"", path, got, want);
}

/* A file of a format mat2 does not know (a recording.bin, as bench/server sends) was copied
 * whole into RAM (1 GiB for a 1 GiB file) before mat2 refused it: now mat2 --list (once per
 * run, before any copy) says so, and nothing is copied; the refusal and --keep-metadata are as
 * before, and a .docx in the same run is still cleaned, its copy the only one. */
START_TEST(unknown_format_never_copied)
{
	place p;
	char mark[512], path[600], bin[512], docx[512];
	static const uint8_t rec[] = {0x52, 0x00, 0xff, 0x10, 0x00, 0x7f, 0x80, 0x01};
	place_up(&p);
	fake_mat2(&p);
	snprintf(mark, sizeof mark, "%s/mark", p.d.dir);
	setenv("M2_MARK", mark, 1);
	snprintf(bin, sizeof bin, "%s/recording.bin", p.d.dir);
	write_bytes(bin, rec, sizeof rec);
	snprintf(docx, sizeof docx, "%s/author.docx", SAMPLES);
	int w = ram_watch(&p);
	int rc = drop_run(&p.d, GHOSTDROP, "the memo", out, err, sizeof out,
			  "submit " SERVER " --no-reply %s", p.d.port, keystring, bin);
	ck_assert_msg(rc == 6 && strstr(err, "mat2 could not clean it") != NULL &&
			      strstr(err, "--keep-metadata") != NULL,
		      "%d: %s", rc, err);
	rc = drop_run(&p.d, GHOSTDROP, "the memo", out, err, sizeof out,
		      "submit " SERVER " --no-reply --keep-metadata %s", p.d.port, keystring, bin);
	ck_assert_msg(rc == 0, "%d: %s", rc, err);
	ram_only_dirs(w, 2, "an unknown format");
	snprintf(path, sizeof path, "%s.args", mark);
	assert_file_is(path, "--list\n--list\n");
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof path, "%s.go", mark); /* the fake's --inplace ends at once */
	write_file_mode(path, "", 0600);
	rc = drop_run(&p.d, GHOSTDROP, "the memo", out, err, sizeof out,
		      "submit " SERVER " --no-reply --json --keep-metadata %s %s %s", p.d.port,
		      keystring, bin, bin, docx);
	ck_assert_msg(rc == 0 && strstr(out, "\"as_is\"") != NULL &&
			      strstr(out, "\"mat2\"") != NULL,
		      "%d: %s %s", rc, out, err);
	snprintf(path, sizeof path, "%s.ls", mark);
	assert_file_is(path, "0-author.docx\n");
	snprintf(path, sizeof path, "%s.args", mark);
	assert_file_is(path, "--list\n--show\n--inplace\n");
	ck_assert_uint_eq(drop_count_stored(&p.d), 2);
	assert_nothing_left(&p, "after an unknown format");
	unsetenv("M2_MARK");
	place_down(&p);
}
END_TEST

/* The real mat2: a .bin is never copied, and an extension in capitals (AUTHOR.DOCX) is still
 * one mat2 knows, and cleans. */
START_TEST(real_mat2_unknown_never_copied)
{
	place p;
	char bin[512], docx[512], cmd[1200];
	place_up(&p);
	snprintf(bin, sizeof bin, "%s/recording.bin", p.d.dir);
	write_bytes(bin, (const uint8_t *)"\x52\x00\xff\x10", 4);
	int w = ram_watch(&p);
	int rc = drop_run(&p.d, GHOSTDROP, "the memo", out, err, sizeof out,
			  "submit " SERVER " --no-reply --keep-metadata %s", p.d.port, keystring,
			  bin);
	ck_assert_msg(rc == 0, "%d: %s", rc, err);
	ram_only_dirs(w, 1, "an unknown format, the real mat2");
	snprintf(docx, sizeof docx, "%s/AUTHOR.DOCX", p.d.dir);
	snprintf(cmd, sizeof cmd, "cp %s/author.docx %s", SAMPLES, docx);
	ck_assert_int_eq(system(cmd), 0);
	rc = drop_run(&p.d, GHOSTDROP, "the memo", out, err, sizeof out,
		      "submit " SERVER " --no-reply --json %s", p.d.port, keystring, docx);
	ck_assert_msg(rc == 0 && strstr(out, "\"mat2\"") != NULL, "%d: %s %s", rc, out, err);
	ck_assert_uint_eq(drop_count_stored(&p.d), 2);
	assert_nothing_left(&p, "the real mat2");
	place_down(&p);
}
END_TEST

/* No mat2 (a borrowed laptop): the refusal is one line that names ghostdrop once (it said
 * "ghostdrop: ghostdrop cannot check"), and nothing was copied into RAM first (it was). */
START_TEST(no_mat2_said_once)
{
	place p;
	char docx[512], bin[256];
	place_up(&p);
	char link[300];
	snprintf(bin, sizeof bin, "%s/no-mat2", p.d.dir);
	ck_assert_int_eq(mkdir(bin, 0700), 0);
	snprintf(link, sizeof link, "%s/setsid", bin); /* drop_run's */
	ck_assert_int_eq(symlink("/usr/bin/setsid", link), 0);
	setenv("PATH", bin, 1);
	snprintf(docx, sizeof docx, "%s/author.docx", SAMPLES);
	int w = ram_watch(&p);
	int rc = drop_run(&p.d, GHOSTDROP, "the memo", out, err, sizeof out,
			  "submit " SERVER " --no-reply %s", p.d.port, keystring, docx);
	ck_assert_msg(rc == 6 && strstr(err, "mat2 is not installed") != NULL, "%d: %s", rc, err);
	ram_untouched(w, "without mat2");
	ck_assert_msg(strncmp(err, "ghostdrop: cannot check ", 24) == 0, "%s", err);
	ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
	assert_nothing_left(&p, "without mat2");
	place_down(&p);
}
END_TEST

/* mat2 --list, the first mat2 run, ran with TMPDIR = XDG_RUNTIME_DIR itself (shared, or
 * /dev/shm, world-writable), not ghostdrop's private 0700 directory, which was not made yet:
 * now it runs there, as every other mat2 run. */
START_TEST(list_runs_in_private_dir)
{
	place p;
	char mark[512], path[600], docx[512];
	place_up(&p);
	fake_mat2(&p);
	snprintf(mark, sizeof mark, "%s/mark", p.d.dir);
	setenv("M2_MARK", mark, 1);
	snprintf(path, sizeof path, "%s.go", mark);
	write_file_mode(path, "", 0600);
	snprintf(docx, sizeof docx, "%s/author.docx", SAMPLES);
	int rc = drop_run(&p.d, GHOSTDROP, "the memo", out, err, sizeof out,
			  "submit " SERVER " --no-reply --json %s", p.d.port, keystring, docx);
	ck_assert_msg(rc == 0 && strstr(out, "\"mat2\"") != NULL, "%d: %s %s", rc, out, err);
	snprintf(path, sizeof path, "%s.args", mark);
	assert_file_is(path, "--list\n--show\n--inplace\n");
	snprintf(path, sizeof path, "%s.listenv", mark);
	char env[1024] = "", mine[1024] = "";
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "mat2 --list never ran");
	ck_assert_ptr_nonnull(fgets(env, sizeof env, f));
	fclose(f);
	snprintf(path, sizeof path, "%s.env", mark); /* --show's, in the private directory */
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(mine, sizeof mine, f));
	fclose(f);
	ck_assert_msg(strcmp(env, mine) == 0, "mat2 --list ran with %s, --show with %s", env, mine);
	assert_env(&p, mark);
	assert_nothing_left(&p, "after --list");
	unsetenv("M2_MARK");
	place_down(&p);
}
END_TEST

/* An XDG_RUNTIME_DIR too long for ghostdrop's directory name was cut short: mat2 --list got
 * a TMPDIR that was a prefix of it (a path that may be on disk). Now refused before mat2
 * runs. */
START_TEST(long_runtime_dir_refused)
{
	place p;
	char mark[512], path[600], docx[512], run[400];
	place_up(&p);
	fake_mat2(&p);
	snprintf(mark, sizeof mark, "%s/mark", p.d.dir);
	setenv("M2_MARK", mark, 1);
	snprintf(run, sizeof run, "%s/%0230d", p.run, 0);
	ck_assert_int_eq(mkdir(run, 0700), 0);
	ck_assert_int_eq(chmod(run, 0700), 0);
	setenv("XDG_RUNTIME_DIR", run, 1);
	snprintf(docx, sizeof docx, "%s/author.docx", SAMPLES);
	int rc = drop_run(&p.d, GHOSTDROP, "the memo", out, err, sizeof out,
			  "submit " SERVER " --no-reply %s", p.d.port, keystring, docx);
	ck_assert_msg(rc == 6 && strstr(err, "name too long") != NULL, "%d: %s", rc, err);
	snprintf(path, sizeof path, "%s.listenv", mark);
	ck_assert_msg(access(path, F_OK) != 0, "mat2 --list ran");
	ck_assert_uint_eq(entries(run), 0);
	ck_assert_int_eq(rmdir(run), 0);
	assert_nothing_left(&p, "a long XDG_RUNTIME_DIR");
	unsetenv("M2_MARK");
	place_down(&p);
}
END_TEST

/* A mat2 --list line over 1,023 bytes (a type with many extensions in a local mime.types) was
 * dropped while the other lines were read: its extensions, .docx here, counted as unknown and
 * the document was refused (or sent as is). A list that cannot be read whole proves nothing:
 * mat2 is tried, and cleans it. */
START_TEST(long_list_line_tries_mat2)
{
	place p;
	char mark[512], path[600], docx[512];
	place_up(&p);
	fake_mat2(&p);
	snprintf(mark, sizeof mark, "%s/mark", p.d.dir);
	setenv("M2_MARK", mark, 1);
	setenv("M2_LONG", "1", 1);
	snprintf(path, sizeof path, "%s.go", mark);
	write_file_mode(path, "", 0600);
	snprintf(docx, sizeof docx, "%s/author.docx", SAMPLES);
	int rc = drop_run(&p.d, GHOSTDROP, "the memo", out, err, sizeof out,
			  "submit " SERVER " --no-reply --json %s", p.d.port, keystring, docx);
	ck_assert_msg(rc == 0 && strstr(out, "\"mat2\"") != NULL, "%d: %s %s", rc, out, err);
	snprintf(path, sizeof path, "%s.args", mark);
	assert_file_is(path, "--list\n--show\n--inplace\n");
	assert_nothing_left(&p, "a long --list line");
	unsetenv("M2_LONG");
	unsetenv("M2_MARK");
	place_down(&p);
}
END_TEST

static Suite *mat2tmp_suite(void)
{
	Suite *s = suite_create("mat2tmp");
	TCase *tc = tcase_create("mat2tmp");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, real_mat2_unpacks_in_ram_only);
	tcase_add_test(tc, refused_leaves_nothing);
	tcase_add_test(tc, interrupted_leaves_nothing);
	tcase_add_test(tc, no_mat2_said_once);
	tcase_add_test(tc, unknown_format_never_copied);
	tcase_add_test(tc, real_mat2_unknown_never_copied);
	tcase_add_test(tc, list_runs_in_private_dir);
	tcase_add_test(tc, long_runtime_dir_refused);
	tcase_add_test(tc, long_list_line_tries_mat2);
	suite_add_tcase(s, tc);
	return s;
}

GD_CHECK_MAIN(mat2tmp_suite)
