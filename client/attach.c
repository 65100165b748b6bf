/* ghostdrop: a submission's attachments made ready to seal: checked, cleaned of metadata
 * (strip.c for JPEG and PNG, mat2 on a private copy in RAM-backed storage for the rest) and
 * measured, before anything is sent. Offline: no network. */
#define _GNU_SOURCE /* getdents64, pipe2 */
#include "attach.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bytes.h"
#include "cli.h"
#include "i18n.h"
#include "progress.h"

/* ghostdrop's exit codes (ghostdrop.c, docs/ghostdrop.1) */
enum { EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2, EX_FILE = 6 };

static const char *media_type(const char *name)
{
	static const char *const map[][2] = {{".jpg", "image/jpeg"},
					     {".jpeg", "image/jpeg"},
					     {".png", "image/png"},
					     {".pdf", "application/pdf"},
					     {".txt", "text/plain"},
					     {".csv", "text/csv"},
					     {".tsv", "text/tab-separated-values"},
					     {".md", "text/markdown"},
					     {".json", "application/json"},
					     {".log", "text/plain"},
					     {".mp3", "audio/mpeg"},
					     {".wav", "audio/wav"},
					     {".mp4", "video/mp4"},
					     {".zip", "application/zip"}};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot != NULL && i < sizeof map / sizeof map[0]; i++)
		if (gd_ascii_casecmp(dot, map[i][0]) == 0)
			return map[i][1];
	return "application/octet-stream";
}

/* ---- other file types: mat2, on a private copy in RAM-backed storage ---- */

#define TMPFS_MAGIC 0x01021994

/* BASE/ghostdrop-PID-XXXXXX, mode 0700, locked (flock) by this run while it exists: a run
 * killed before it could remove it (kill -9, a power cut) is recognised by the next one
 * (attach_sweep) by its dead PID and its free lock. */
static char scratch_dir[256];
static int scratch_lock = -1;
static char scratch[ATTACH_MAX][512];
static int n_scratch;

/* The running mat2's process group (its pid), 0 when none runs. */
static volatile pid_t mat2_group;

/* Everything inside the directory dir (an open descriptor), at any depth up to 32: files and
 * links are unlinked (never followed), directories emptied the same way and removed. mat2's
 * temporaries (tmpXXXXXXXX/word/document.xml) are such trees. Async-signal-safe: system calls
 * only (getdents64, not readdir, which allocates). */
static void remove_inside(int dir, int depth)
{
	char buf[2048] __attribute__((aligned(8)));
	ssize_t n;
	int removed;
	do { /* again from the start while something went: removing shifts what is listed */
		removed = 0;
		if (lseek(dir, 0, SEEK_SET) != 0)
			return;
		while ((n = getdents64(dir, buf, sizeof buf)) > 0)
			for (ssize_t at = 0; at < n;) {
				const struct dirent64 *e = (const struct dirent64 *)(buf + at);
				const char *name = e->d_name;
				at += e->d_reclen;
				if (name[0] == '.' &&
				    (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
					continue;
				if (unlinkat(dir, name, 0) == 0) {
					removed = 1;
					continue;
				}
				if (errno != EISDIR || depth >= 32)
					continue;
				int sub = openat(dir, name,
						 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub < 0)
					continue;
				remove_inside(sub, depth + 1);
				close(sub);
				removed |= unlinkat(dir, name, AT_REMOVEDIR) == 0;
			}
	} while (removed);
}

/* Stop the running mat2, if any: SIGKILL to its whole process group (what it started too),
 * then wait for every one of them (ghostdrop is their subreaper), so that none writes in the
 * scratch directory as it is removed, nor outlives this run. Async-signal-safe. */
static void mat2_stop(void)
{
	pid_t g = mat2_group;
	if (g <= 0)
		return;
	kill(-g, SIGKILL);
	while (waitpid(-g, NULL, 0) > 0 || errno == EINTR) /* mat2 itself, then the rest */
		;
	mat2_group = 0;
}

/* Async-signal-safe: kill, waitpid, unlink, rmdir and close only, on paths made beforehand. */
static void scratch_cleanup(void)
{
	mat2_stop();
	for (int i = 0; i < n_scratch; i++)
		unlink(scratch[i]);
	n_scratch = 0;
	if (scratch_lock >= 0)
		remove_inside(scratch_lock, 0); /* what mat2 left in it as its TMPDIR */
	if (scratch_dir[0] != '\0')
		rmdir(scratch_dir);
	scratch_dir[0] = '\0';
	if (scratch_lock >= 0)
		close(scratch_lock); /* after rmdir: the lock is held while the directory exists */
	scratch_lock = -1;
}

static void scratch_signal(int sig)
{
	scratch_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int is_ram_backed(const char *dir)
{
	struct statfs fs;
	return dir != NULL && dir[0] == '/' && statfs(dir, &fs) == 0 &&
	       (unsigned long)fs.f_type == TMPFS_MAGIC;
}

/* mat2_clean's answers besides an exit code: the file cannot be cleaned here (*why says why). */
#define MAT2_CANNOT (-1)
/* TRANSLATORS: mat2 is the name of a program */
static const char *const mat2_missing =
	N_("mat2 is not installed (install mat2 to have it cleaned)");
static const char *const mat2_refused =
	N_("mat2 could not clean it (a format it does not know, or a damaged file)");

/* The mat2 that runs: found on PATH as execvp would find it (glibc's default path when PATH is
 * unset), looked for once, before any copy is made. "" when there is none. */
static char mat2_path[4096];
static int mat2_looked;

static const char *mat2_find(void)
{
	char dir[4096];
	if (mat2_looked)
		return mat2_path;
	mat2_looked = 1;
	const char *p = getenv("PATH");
	if (p == NULL) {
		size_t n = confstr(_CS_PATH, dir, sizeof dir);
		p = n > 0 && n <= sizeof dir ? dir : "/bin:/usr/bin";
	}
	while (mat2_path[0] == '\0') {
		size_t len = strcspn(p, ":");
		struct stat st;
		/* an empty element is the current directory, as for execvp */
		if (snprintf(mat2_path, sizeof mat2_path, "%.*s%smat2", (int)len, p,
			     len == 0 ? "" : "/") >= (int)sizeof mat2_path ||
		    stat(mat2_path, &st) != 0 || !S_ISREG(st.st_mode) ||
		    access(mat2_path, X_OK) != 0)
			mat2_path[0] = '\0';
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	return mat2_path;
}

/* Start `mat2 ARG -- path` (path NULL: `mat2 ARG`), its output to out (-1: /dev/null), in a
 * process group of its own (a Ctrl-C reaches ghostdrop, which stops it: mat2_stop) that dies
 * with ghostdrop (even by kill -9), with TMPDIR, TMP and TEMP set to tmpdir, RAM-backed: mat2
 * unpacks a document into its temporary directory, /tmp by default, which is on disk on most
 * laptops. Its pid, or -1. */
static pid_t mat2_start(const char *arg, const char *path, int out, const char *tmpdir)
{
	extern char **environ;
	static char tmp[3][sizeof scratch_dir + 8];
	static const char *const names[] = {"TMPDIR=", "TMP=", "TEMP="};
	size_t n = 0, k = 0;
	while (environ[n] != NULL)
		n++;
	char **env = malloc((n + 4) * sizeof *env);
	if (env == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "TMPDIR=", 7) != 0 && strncmp(environ[i], "TMP=", 4) != 0 &&
		    strncmp(environ[i], "TEMP=", 5) != 0)
			env[k++] = environ[i];
	for (int i = 0; i < 3; i++) {
		snprintf(tmp[i], sizeof tmp[i], "%s%s", names[i], tmpdir);
		env[k++] = tmp[i];
	}
	env[k] = NULL;
	/* descendants left when mat2 ends or is stopped come back to ghostdrop to be waited for */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old); /* until mat2_group names it */
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL); /* not scratch_signal: the child removes nothing */
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127); /* ghostdrop died before PDEATHSIG was set */
		sigprocmask(SIG_SETMASK, &old, NULL);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(out >= 0 ? out : null, 1);
		dup2(null, 2);
		environ = env;
		if (path != NULL)
			execl(mat2_path, "mat2", arg, "--", path, (char *)NULL);
		else
			execl(mat2_path, "mat2", arg, (char *)NULL);
		_exit(127);
	}
	if (pid > 0) {
		setpgid(pid, pid); /* also here: either may run first */
		mat2_group = pid;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(env);
	return pid;
}

/* Wait for mat2 (pid) to end, its status into *st; then stop what it may have left running.
 * pid, or -1. */
static pid_t mat2_wait(pid_t pid, int *st)
{
	siginfo_t info;
	pid_t r;
	/* ended, not yet waited for: its pid, the group's id, cannot be another's while the
	 * rest of its group is killed */
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL);
	while ((r = waitpid(pid, st, 0)) < 0 && errno == EINTR)
		;
	while (waitpid(-pid, NULL, 0) > 0 || errno == EINTR)
		;
	mat2_group = 0;
	return r;
}

/* What mat2 --show lists for path: the metadata's names (never their values), ", " between. */
static void mat2_show(const char *path, char *out, size_t cap)
{
	int p[2];
	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) != 0)
		return;
	pid_t pid = mat2_start("--show", path, p[1], scratch_dir);
	close(p[1]);
	FILE *f = pid > 0 ? fdopen(p[0], "r") : NULL;
	char line[1024];
	size_t o = 0;
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		char *k = line, *colon;
		while (*k == ' ' || *k == '\t')
			k++;
		if (*k == '[' || (colon = strstr(k, ": ")) == NULL || colon == k)
			continue; /* "[+] Metadata for F:", or not "name: value" */
		*colon = '\0';
		for (char *c = k; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
				*c = '?';
		size_t kl = strlen(k);
		int seen = 0; /* each name once */
		for (const char *q = out; (q = strstr(q, k)) != NULL; q += kl)
			if ((q == out || q[-1] == ' ') && (q[kl] == ',' || q[kl] == '\0'))
				seen = 1;
		if (!seen && o + kl + 3 < cap)
			o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? ", " : "", k);
	}
	if (f != NULL)
		fclose(f);
	else
		close(p[0]);
	if (pid > 0)
		mat2_wait(pid, NULL);
}

/* The extensions mat2 --list gives, lower case, each as " .ext " (run once, only when a file
 * goes to mat2); "" when it did not answer, or not in the form known, or a line or the whole
 * was too long to read. */
static char mat2_exts[8192];
static int mat2_listed;

static void mat2_list(const char *tmpdir)
{
	int p[2];
	mat2_listed = 1;
	if (pipe2(p, O_CLOEXEC) != 0)
		return;
	pid_t pid = mat2_start("--list", NULL, p[1], tmpdir);
	close(p[1]);
	FILE *f = pid > 0 ? fdopen(p[0], "r") : NULL;
	char line[1024];
	size_t o = 0;
	int full = 0;
	/* "  - application/pdf (.pdf)", "  - image/tiff (.tiff, .tif)" */
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		char *lp = strstr(line, " ("), *rp = strrchr(line, ')');
		if (strchr(line, '\n') == NULL && !feof(f))
			full = 1; /* a line cut short: its extensions unread, the list unreadable */
		if (strncmp(line, "  - ", 4) != 0 || lp == NULL || rp == NULL || rp < lp)
			continue;
		*rp = '\0';
		for (char *e = lp + 2; *e != '\0'; e += strspn(e, ", ")) {
			size_t n = strcspn(e, ", ");
			if (o + n + 3 > sizeof mat2_exts)
				full = 1;
			else if (e[0] == '.' && n > 1)
				o += (size_t)snprintf(mat2_exts + o, sizeof mat2_exts - o,
						      "%s%.*s ", o ? "" : " ", (int)n, e);
			e += n;
		}
	}
	if (f != NULL)
		fclose(f);
	else
		close(p[0]);
	int st = 0;
	if (pid <= 0 || mat2_wait(pid, &st) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
	    full)
		o = 0;
	mat2_exts[o] = '\0';
	for (size_t i = 0; i < o; i++)
		mat2_exts[i] = gd_ascii_lower(mat2_exts[i]);
}

/* Whether mat2 may know the format of a file named name: it goes by the extension (Python's
 * mimetypes, any case), which must be one mat2 --list gives. A compressed one (.gz, .tgz...)
 * is looked through by mimetypes, and a list that could not be read proves nothing: mat2 is
 * tried on those, as on the others before. */
static int mat2_may_know(const char *name, const char *tmpdir)
{
	static const char *const through[] = {".gz",  ".z",  ".bz2",  ".xz",  ".br",  ".tgz",
					      ".taz", ".tz", ".tbz2", ".txz", ".svgz"};
	char ext[64] = " ";
	const char *dot = strrchr(name, '.');
	size_t n = dot != NULL ? strlen(dot) : 0;
	if (!mat2_listed)
		mat2_list(tmpdir);
	if (mat2_exts[0] == '\0')
		return 1;
	if (n < 2 || n + 3 > sizeof ext)
		return 0; /* no extension: no type; or none mat2 lists */
	for (size_t i = 0; i < n; i++)
		ext[1 + i] = gd_ascii_lower(dot[i]);
	ext[n + 1] = ' ';
	ext[n + 2] = '\0';
	for (size_t i = 0; i < sizeof through / sizeof through[0]; i++)
		if (strncmp(ext + 1, through[i], n) == 0 && through[i][n] == '\0')
			return 1;
	return strstr(mat2_exts, ext) != NULL;
}

/* Copy src into a 0700 directory on tmpfs (keeping its name: mat2 goes by the extension),
 * list its metadata and clean it there with mat2 --inplace, that directory being mat2's TMPDIR
 * too. The copy never reaches a disk, nor does what mat2 unpacks of it.
 * EX_OK, an exit code (said), or MAT2_CANNOT with *why. */
static int mat2_clean(const char *src, int in, const char *name, char *out, size_t cap,
		      uint64_t *size, char *shown, size_t shown_cap, const char **why)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	if (!is_ram_backed(base))
		base = "/dev/shm";
	if (!is_ram_backed(base)) {
		/* TRANSLATORS: XDG_RUNTIME_DIR and /dev/shm stay as they are */
		*why = N_("there is no RAM-backed directory (XDG_RUNTIME_DIR or /dev/shm) to clean "
			  "it in");
		return MAT2_CANNOT;
	}
	/* no copy of a file mat2 cannot clean: not installed, or a format it does not know */
	if (mat2_find()[0] == '\0') {
		*why = mat2_missing;
		return MAT2_CANNOT;
	}
	/* the private directory first: mat2 --list runs in it too, as every mat2 run (not in
	 * the shared XDG_RUNTIME_DIR or /dev/shm); a name cut short would be another place */
	if (scratch_dir[0] == '\0') {
		if (snprintf(scratch_dir, sizeof scratch_dir, "%s/ghostdrop-%ld-XXXXXX", base,
			     (long)getpid()) >= (int)sizeof scratch_dir) {
			scratch_dir[0] = '\0';
			return cli_die(EX_FILE, "%s: %s", base, cli_strerror(ENAMETOOLONG));
		}
		if (mkdtemp(scratch_dir) == NULL) { /* mode 0700 */
			scratch_dir[0] = '\0';
			return cli_die(EX_FILE, "%s: %s", base, cli_strerror(errno));
		}
		scratch_lock = open(scratch_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (scratch_lock < 0 || flock(scratch_lock, LOCK_EX | LOCK_NB) != 0)
			return cli_die(EX_FILE, "%s: %s", scratch_dir, cli_strerror(errno));
	}
	if (!mat2_may_know(name, scratch_dir)) {
		*why = mat2_refused;
		return MAT2_CANNOT;
	}
	if (n_scratch == ATTACH_MAX ||
	    snprintf(out, cap, "%s/%d-%s", scratch_dir, n_scratch, name) >= (int)cap)
		return cli_die(EX_FILE, _("%s: name too long"), src);
	snprintf(scratch[n_scratch++], sizeof scratch[0], "%s", out);
	/* from the file as checked (its descriptor), not opened again by its name */
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	uint8_t buf[65536];
	ssize_t k = 0;
	off_t at = 0;
	while (fd >= 0 && (k = pread(in, buf, sizeof buf, at)) > 0) {
		if (write(fd, buf, (size_t)k) != k) {
			k = -1;
			break;
		}
		at += k;
	}
	sodium_memzero(buf, sizeof buf);
	if (fd < 0 || close(fd) != 0 || k < 0)
		return cli_die(EX_FILE, _("%s: cannot make a private copy to clean"), src);
	mat2_show(out, shown, shown_cap);
	pid_t pid = mat2_start("--inplace", out, -1, scratch_dir);
	int st = 0;
	if (pid < 0 || mat2_wait(pid, &st) != pid || !WIFEXITED(st) || WEXITSTATUS(st) == 127) {
		*why = mat2_missing;
		return MAT2_CANNOT;
	}
	struct stat sb;
	if (WEXITSTATUS(st) != 0 || stat(out, &sb) != 0) {
		*why = mat2_refused;
		return MAT2_CANNOT;
	}
	*size = (uint64_t)sb.st_size;
	return EX_OK;
}

/* ---- plain text: nothing hidden, when it really is text ---- */

static int text_name(const char *name)
{
	static const char *const ext[] = {"txt",      "text", "csv",   "tsv",    "md",
					  "markdown", "json", "jsonl", "ndjson", "log",
					  "yaml",     "yml",  "srt",   "vtt"};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot != NULL && i < sizeof ext / sizeof ext[0]; i++)
		if (gd_ascii_casecmp(dot + 1, ext[i]) == 0)
			return 1;
	return 0;
}

/* What text_content finds: text, or why not. */
enum { TEXT_OK = 0, TEXT_NOT, TEXT_RTF, TEXT_CONTROL, TEXT_INVISIBLE };

/* Characters that show as nothing and can mark who copied a text (canary traps): zero-width
 * spaces and joiners, direction marks, word joiner and invisible operators, a byte order mark
 * past the start, Unicode tags. */
static int invisible(uint32_t cp, int at_start)
{
	return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x2064) ||
	       (cp == 0xfeff && !at_start) || (cp >= 0xe0000 && cp <= 0xe007f);
}

/* The 8 bytes at p are printable ASCII (0x20 to 0x7e): no byte with its high bit set, none
 * below 0x20 ("less than" without borrows across bytes, as the high bits are clear), no DEL. */
static int printable8(const uint8_t *p)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t v, del;
	memcpy(&v, p, 8);
	del = v ^ (0x7f * ones);
	return ((v | ((v - 0x20 * ones) & ~v) | ((del - ones) & ~del)) & highs) == 0;
}

/* UTF-8 (ASCII included) without control characters other than tab and line ends: what a
 * text editor or a spreadsheet export writes (TEXT_OK). A document, an archive or a picture
 * renamed .txt is not (TEXT_NOT), nor an RTF document (TEXT_RTF: it holds its author);
 * escapes (ESC, C1) would reach the desk's terminal (TEXT_CONTROL); invisible characters
 * (TEXT_INVISIBLE) are watermarks. Bytes that are not text anywhere make it TEXT_NOT (a
 * renamed archive); else the first other reason found. */
static int text_content(int fd)
{
	uint8_t buf[65536];
	unsigned need = 0;            /* continuation bytes still expected */
	uint8_t lo = 0x80, hi = 0xbf; /* the next continuation byte's range */
	uint32_t cp = 0;
	uint64_t at = 0; /* bytes before buf */
	ssize_t k;
	int found = TEXT_OK, other = TEXT_OK; /* other: control or invisible, the first */
	if (lseek(fd, 0, SEEK_SET) != 0)
		return TEXT_NOT;
	while (found == TEXT_OK && (k = read(fd, buf, sizeof buf)) > 0) {
		if (at == 0) {
			size_t b = k >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
			if ((size_t)k >= b + 5 && memcmp(buf + b, "{\\rtf", 5) == 0)
				found = TEXT_RTF;
		}
		for (ssize_t i = 0; found == TEXT_OK && i < k; i++) {
			while (need == 0 && i + 8 <= k && printable8(buf + i))
				i += 8; /* nothing to see: most of a text */
			if (i == k)
				break;
			uint8_t b = buf[i];
			if (need > 0) {
				if (b < lo || b > hi)
					found = TEXT_NOT;
				lo = 0x80;
				hi = 0xbf;
				cp = cp << 6 | (b & 0x3f);
				if (--need == 0 && found == TEXT_OK && other == TEXT_OK) {
					if (cp >= 0x80 && cp <= 0x9f)
						other = TEXT_CONTROL;
					else if (invisible(cp, at + (uint64_t)i == 2))
						other = TEXT_INVISIBLE;
				}
				continue;
			}
			if (b == 0)
				found = TEXT_NOT;
			else if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7f)
				other = other == TEXT_OK ? TEXT_CONTROL : other;
			else if (b < 0x80)
				continue;
			else if (b >= 0xc2 && b <= 0xdf) {
				need = 1;
				cp = b & 0x1f;
			} else if (b >= 0xe0 && b <= 0xef) {
				need = 2;
				cp = b & 0x0f;
				lo = b == 0xe0 ? 0xa0 : 0x80; /* no overlong form */
				hi = b == 0xed ? 0x9f : 0xbf; /* no surrogate */
			} else if (b >= 0xf0 && b <= 0xf4) {
				need = 3;
				cp = b & 0x07;
				lo = b == 0xf0 ? 0x90 : 0x80;
				hi = b == 0xf4 ? 0x8f : 0xbf; /* at most U+10FFFF */
			} else
				found = TEXT_NOT;
		}
		at += (uint64_t)k;
	}
	sodium_memzero(buf, sizeof buf);
	if (found == TEXT_OK && (k != 0 || need != 0))
		found = TEXT_NOT;
	return found != TEXT_OK ? found : other;
}

/* ---- names ---- */

/* Extensions a neutral name keeps: common formats only, so that an extension cannot carry a
 * name or a date ("x.JaneDoe", "scan.20261130"). */
static int known_extension(const char *ext)
{
	static const char *const known[] = {
		"jpg",    "jpeg", "png",  "gif", "webp", "heic", "heif",     "tif",  "tiff",
		"bmp",    "svg",  "mp4",  "mov", "m4v",  "mkv",  "webm",     "avi",  "mp3",
		"m4a",    "wav",  "ogg",  "oga", "opus", "flac", "aac",      "pdf",  "odt",
		"ods",    "odp",  "odg",  "doc", "docx", "xls",  "xlsx",     "ppt",  "pptx",
		"epub",   "txt",  "text", "csv", "tsv",  "md",   "markdown", "json", "jsonl",
		"ndjson", "log",  "yaml", "yml", "srt",  "vtt",  "html",     "htm",  "xml",
		"zip",    "tar",  "gz",   "tgz", "bz2",  "xz",   "7z",       "eml",  "mbox"};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(ext, known[i]) == 0)
			return 1;
	return 0;
}

/* "attachment-N.ext": the extension lower-cased when it is a known one, else the detected
 * type's (JPEG, PNG), else none. */
static void neutral_name(char *out, size_t cap, const char *base, int i, strip_kind kind)
{
	const char *dot = strrchr(base, '.');
	char ext[16] = "";
	size_t n = dot != NULL && dot != base ? strlen(dot + 1) : 0;
	int ok = n >= 1 && n <= 8;
	for (size_t j = 0; ok && j < n; j++) {
		char c = dot[1 + j];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		ext[j] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	ext[ok ? n : 0] = '\0';
	if (!known_extension(ext))
		ext[0] = '\0';
	if (kind == STRIP_JPEG && strcmp(ext, "jpeg") != 0)
		snprintf(ext, sizeof ext, "jpg");
	else if (kind == STRIP_PNG)
		snprintf(ext, sizeof ext, "png");
	snprintf(out, cap, "attachment-%d%s%s", i + 1, ext[0] ? "." : "", ext);
}

/* A file's name as shown (the preview, the messages): control characters (C0, DEL, C1), the
 * bidirectional controls (U+202A-U+202E, U+2066-U+2069) and bytes that are not UTF-8 become
 * '?', so that a name cannot move the cursor, retitle the terminal or reorder what is shown. */
const char *attach_safe_name(const char *name, char *out, size_t cap)
{
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)name;
	while (*p != '\0' && o + 5 < cap) {
		unsigned n = *p < 0x80                  ? 1
			     : *p >= 0xc2 && *p <= 0xdf ? 2
			     : *p >= 0xe0 && *p <= 0xef ? 3
			     : *p >= 0xf0 && *p <= 0xf4 ? 4
							: 0;
		uint32_t cp = n == 1 ? *p : n == 2 ? *p & 0x1fu : n == 3 ? *p & 0x0fu : *p & 0x07u;
		for (unsigned j = 1; j < n; j++) {
			if ((p[j] & 0xc0) != 0x80) {
				n = 0;
				break;
			}
			cp = cp << 6 | (p[j] & 0x3fu);
		}
		if (n == 0 || (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || cp < 0x20 ||
		    (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069)) {
			out[o++] = '?';
			p += n == 0 ? 1 : n;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return out;
}

/* ---- one file ---- */

static int kept_by_name(const attach_opts *ao, const struct stat *st)
{
	for (int j = 0; j < ao->n_keep; j++) {
		struct stat k;
		if (stat(ao->keep[j], &k) == 0 && k.st_dev == st->st_dev && k.st_ino == st->st_ino)
			return 1;
	}
	return ao->keep_any;
}

/* It cannot be cleaned: as it is if the worker named it, else refused with what to do. */
static int cannot_clean(attach_set *as, int i, const attach_opts *ao, const struct stat *st,
			const char *why)
{
	attach_info *f = &as->info[i];
	char shown[1024];
	if (!kept_by_name(ao, st))
		return cli_die(
			EX_FILE,
			/* TRANSLATORS: after "ghostdrop: "; the first and last %s are a file
			 * name, the second is why (a reason translated apart); --keep-metadata
			 * stays */
			_("cannot check %s for hidden data that may identify you "
			  "(author, software, device): %s. Send it only if you made it yourself "
			  "or are sure it holds nothing about you: then add --keep-metadata %s"),
			attach_safe_name(f->file, shown, sizeof shown), _(why), shown);
	f->how = ATTACH_AS_IS;
	f->why = why;
	as->kinds[i] = STRIP_OTHER;
	as->sources[i] = f->file;
	as->atts[i].size = (uint64_t)st->st_size;
	return EX_OK;
}

/* Attachment i's cleaned copy (mat2's, private, in RAM), held open from now on. 0, or -1. */
static int hold(attach_set *as, int i)
{
	int fd = open(as->cleaned[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &as->st[i]) != 0 || (uint64_t)as->st[i].st_size != as->atts[i].size) {
		close(fd);
		errno = EIO;
		return -1;
	}
	as->fds[i] = fd;
	return 0;
}

/* A file named like text: sent as it is when it is plain text; else refused, or sent as it is
 * when named by --keep-metadata (cannot_clean). Invisible characters have their own words. */
static int text_checked(attach_set *as, int i, const attach_opts *ao, const struct stat *st, int fd)
{
	char shown[1024];
	switch (text_content(fd)) {
	case TEXT_OK:
		return EX_OK;
	case TEXT_RTF:
		return cannot_clean(as, i, ao, st,
				    N_("it is an RTF document named like text (RTF holds its "
				       "author, company and dates): it may be a document renamed"));
	case TEXT_CONTROL:
		return cannot_clean(as, i, ao, st,
				    N_("it holds control characters (such as ESC) that plain text "
				       "does not: they would act on the journalist's terminal"));
	case TEXT_INVISIBLE:
		if (kept_by_name(ao, st))
			return cannot_clean(as, i, ao, st,
					    N_("it holds invisible characters that can mark who "
					       "copied it"));
		return cli_die(
			EX_FILE,
			/* TRANSLATORS: both %s are a file name; --keep-metadata stays */
			_("%s holds invisible characters that can mark who copied it (a "
			  "watermark in text copied from your employer). Remove them, or pass "
			  "--keep-metadata %s to send it as it is"),
			attach_safe_name(as->info[i].file, shown, sizeof shown), shown);
	default:
		return cannot_clean(as, i, ao, st,
				    N_("it is named like text but is not plain text (UTF-8 "
				       "without NUL bytes): it may be a document renamed"));
	}
}

/* Attachment i: checked, its kind found and its cleaned size measured (mat2 cleans a copy). */
static int attach_one(attach_set *as, char **files, int i, const attach_opts *ao)
{
	gd_attachment *a = &as->atts[i];
	attach_info *f = &as->info[i];
	struct stat st;
	f->file = files[i];
	int fd = open(files[i], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int rc = cli_die(EX_FILE, "%s: %s", files[i],
				 fd < 0 ? cli_strerror(errno) : _("not a regular file"));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	const char *slash = strrchr(files[i], '/');
	const char *base = slash != NULL ? slash + 1 : files[i];
	a->size = (uint64_t)st.st_size;
	as->sources[i] = files[i];
	as->kinds[i] = strip_detect(fd); /* by content: whatever the name or the flags */
	int rc = EX_OK;
	if (as->kinds[i] != STRIP_OTHER) {
		f->how = ATTACH_STRIPPED;
		if (strip_run_found(fd, as->kinds[i], NULL, NULL, &a->size, &f->found) != 0)
			rc = cannot_clean(as, i, ao, &st,
					  as->kinds[i] == STRIP_JPEG
						  ? N_("it looks like a JPEG but is damaged")
						  : N_("it looks like a PNG but is damaged"));
	} else if (text_name(base)) {
		f->how = ATTACH_TEXT;
		rc = text_checked(as, i, ao, &st, fd);
	} else {
		const char *why = NULL;
		f->how = ATTACH_MAT2;
		rc = mat2_clean(files[i], fd, base, as->cleaned[i], sizeof as->cleaned[i], &a->size,
				f->mat2, sizeof f->mat2, &why);
		if (rc == EX_OK && hold(as, i) != 0)
			rc = cli_die(EX_FILE, "%s: %s", as->cleaned[i], cli_strerror(errno));
		if (rc == EX_OK) {
			as->sources[i] = as->cleaned[i];
			if (strcmp(media_type(base), "application/pdf") == 0)
				f->why = N_("pages are now images, text is no longer "
					    "selectable");
		} else if (rc == MAT2_CANNOT)
			rc = cannot_clean(as, i, ao, &st, why);
	}
	if (rc == EX_OK && as->fds[i] < 0) { /* the file as checked is what is sealed */
		as->fds[i] = fd;
		as->st[i] = st;
	} else
		close(fd);
	if (rc != EX_OK)
		return rc;
	if (as->keep_names)
		snprintf(a->name, sizeof a->name, "%s", base);
	else
		neutral_name(a->name, sizeof a->name, base, i, as->kinds[i]);
	snprintf(a->type, sizeof a->type, "%s",
		 as->kinds[i] == STRIP_JPEG  ? "image/jpeg"
		 : as->kinds[i] == STRIP_PNG ? "image/png"
					     : media_type(base));
	as->total += a->size;
	return EX_OK;
}

/* ---- before anything: what a killed run left, and a file named twice ---- */

/* base/name if it is a killed run's scratch directory: named ghostdrop-PID-XXXXXX with no
 * process PID, a directory (not a symbolic link) of this user's, mode 0700, its lock free.
 * What is inside goes (unlinkat: a link inside is removed, never followed), then the
 * directory. 1 if it is gone. */
static int sweep_one(int base, const char *name)
{
	const char *p = name + strlen("ghostdrop-");
	char *end;
	struct stat st;
	int fd, gone = 0;
	if (strncmp(name, "ghostdrop-", strlen("ghostdrop-")) != 0 || *p < '1' || *p > '9')
		return 0;
	errno = 0;
	long pid = strtol(p, &end, 10);
	if (errno != 0 || *end != '-' || strlen(end + 1) != 6 || pid <= 0 || pid == getpid() ||
	    (pid_t)pid != pid)
		return 0;
	if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
		return 0; /* its run may be alive (or it is another user's) */
	fd = openat(base, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
	    (st.st_mode & 07777) == 0700 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
		remove_inside(fd, 0); /* the copies, and what its mat2 unpacked there */
		gone = unlinkat(base, name, AT_REMOVEDIR) == 0;
	}
	close(fd);
	return gone;
}

static int sweep_dir(const char *path)
{
	int base = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
	DIR *d = base >= 0 ? fdopendir(dup(base)) : NULL;
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL)
		n += (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) && sweep_one(base, e->d_name);
	if (d != NULL)
		closedir(d);
	if (base >= 0)
		close(base);
	return n;
}

void attach_sweep(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n = 0;
	if (is_ram_backed(xdg) && strcmp(xdg, "/dev/shm") != 0)
		n += sweep_dir(xdg);
	n += sweep_dir("/dev/shm");
	if (n > 0)
		cli_sayf(stderr,
			 _("%s: removed the cleaned files an interrupted run left in RAM\n"),
			 cli_name);
}

int attach_unique(char **files, int n, const attach_opts *ao)
{
	struct stat *st = calloc((size_t)n + 1, sizeof *st);
	int *ok = calloc((size_t)n + 1, sizeof *ok), k = 0;
	if (st == NULL || ok == NULL) {
		free(st);
		free(ok);
		return n; /* each file is still checked, and sent, as given */
	}
	for (int i = 0; i < n; i++) {
		int same = -1;
		ok[k] = stat(files[i], &st[k]) == 0;
		for (int j = 0; ok[k] && j < k && same < 0; j++)
			if (ok[j] && st[j].st_dev == st[k].st_dev && st[j].st_ino == st[k].st_ino)
				same = j;
		if (same < 0) {
			files[k++] = files[i];
			continue;
		}
		/* "--keep-metadata F F": F's second naming is the documented spelling */
		int spelling = 0;
		for (int j = 0; j < ao->n_keep; j++)
			spelling |= ao->keep[j] == files[same] || ao->keep[j] == files[i];
		if (!spelling)
			cli_sayf(stderr, _("%s: %s is the same file as %s: it is sent once\n"),
				 cli_name, files[i], files[same]);
	}
	free(st);
	free(ok);
	return k;
}

int attach_prepare(attach_set *as, char **files, int n_files, const attach_opts *ao)
{
	size_t n = (size_t)n_files + 1;
	int rc = EX_OK;
	memset(as, 0, sizeof *as);
	as->n = n_files;
	as->keep_names = ao->keep_names;
	as->atts = calloc(n, sizeof *as->atts);
	as->kinds = calloc(n, sizeof *as->kinds);
	as->sources = calloc(n, sizeof *as->sources);
	as->cleaned = calloc(n, sizeof *as->cleaned);
	as->info = calloc(n, sizeof *as->info);
	as->fds = malloc(n * sizeof *as->fds);
	as->st = calloc(n, sizeof *as->st);
	if (as->atts == NULL || as->kinds == NULL || as->sources == NULL || as->cleaned == NULL ||
	    as->info == NULL || as->fds == NULL || as->st == NULL)
		return cli_die(EX_FAIL, _("out of memory"));
	for (size_t i = 0; i < n; i++)
		as->fds[i] = -1;
	/* --keep-metadata FILE names a file that is attached */
	for (int j = 0; j < ao->n_keep; j++) {
		struct stat k, st;
		int found = 0;
		if (stat(ao->keep[j], &k) != 0)
			return cli_die(EX_FILE, "--keep-metadata %s: %s", ao->keep[j],
				       cli_strerror(errno));
		for (int i = 0; i < n_files && !found; i++)
			found = stat(files[i], &st) == 0 && st.st_dev == k.st_dev &&
				st.st_ino == k.st_ino;
		if (!found)
			return cli_die(
				EX_USAGE,
				/* TRANSLATORS: --keep-metadata stays; %s is a file name */
				_("--keep-metadata %s: not one of the files to send (name it "
				  "among the files too)"),
				ao->keep[j]);
	}
	signal(SIGINT, scratch_signal); /* a cleaned copy never outlives this run */
	signal(SIGTERM, scratch_signal);
	signal(SIGHUP, scratch_signal);
	for (int i = 0; i < n_files && rc == EX_OK; i++)
		rc = attach_one(as, files, i, ao);
	return rc;
}

/* ---- what the worker sees ---- */

const char *attach_human_size(uint64_t n, char *out, size_t cap)
{
	static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
	if (n < 1024) {
		snprintf(out, cap, P_("%llu byte", "%llu bytes", (unsigned long)n),
			 (unsigned long long)n);
		return out;
	}
	double v = (double)n / 1024;
	int u = 0;
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(out, cap, "%.1f %s", v, unit[u]);
	return out;
}

/* One file's "what was done", for the preview. */
static void describe(const attach_info *f, char *out, size_t cap)
{
	char list[768];
	size_t o = 0;
	out[0] = list[0] = '\0';
	switch (f->how) {
	case ATTACH_STRIPPED:
		for (unsigned b = 1; b != 0 && b <= STRIP_F_LAST; b <<= 1)
			if ((f->found & b) && o + 2 < sizeof list)
				o += (size_t)snprintf(list + o, sizeof list - o, "%s%s",
						      o ? ", " : "", _(strip_found_name(b)));
		if (o == 0)
			snprintf(out, cap, "%s", _("no metadata found"));
		else
			/* TRANSLATORS: %s lists kinds of metadata, e.g. "GPS position, author" */
			snprintf(out, cap, _("%s removed"), list);
		break;
	case ATTACH_MAT2:
		/* TRANSLATORS: mat2 is a program; after "removed:", mat2's own names of the
		 * fields (untranslated); the last %s says what the cleaning changed */
		if (f->mat2[0] && f->why)
			snprintf(out, cap, _("cleaned by mat2 (removed: %s), %s"), f->mat2,
				 _(f->why));
		else if (f->mat2[0])
			snprintf(out, cap, _("cleaned by mat2 (removed: %s)"), f->mat2);
		else if (f->why)
			snprintf(out, cap, _("cleaned by mat2, %s"), _(f->why));
		else
			snprintf(out, cap, "%s", _("cleaned by mat2"));
		break;
	case ATTACH_TEXT:
		snprintf(out, cap, "%s",
			 _("plain text: no hidden metadata; read it once for names"));
		break;
	case ATTACH_AS_IS:
		/* TRANSLATORS: --keep-metadata stays; %s is why it could not be cleaned */
		snprintf(out, cap,
			 _("SENT AS IT IS, with any metadata it carries (--keep-metadata): %s"),
			 _(f->why));
		break;
	}
}

/* words, wrapped to the terminal (at most 78 columns, as on 80): the first line indented by
 * `first`, the next ones by `next` */
static void wrapped(FILE *tty, int first, int next, const char *words)
{
	const char *p = words;
	int cols = progress_columns();
	cols = cols > 80 ? 80 : cols < 32 ? 32 : cols;
	for (int indent = first; *p; indent = next) {
		size_t room = (size_t)(cols - 2 - indent), len = strlen(p);
		size_t cut = len;
		if (len > room) {
			cut = room;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0) /* one long word: cut it, between characters */
				for (cut = room; cut > 1 && ((unsigned char)p[cut] & 0xc0) == 0x80;)
					cut--;
		}
		fprintf(tty, "%*s%.*s\n", indent, "", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

/* The answer at "Send these? [y/N]" says yes: y or yes, or one of the words the worker's
 * language gives for yes (its catalogue's "y,yes"), without regard to ASCII case. A word that
 * is a "no" in English (n, no) is never taken for a yes, whatever a catalogue says. */
static int said_yes(const char *line)
{
	size_t n = strcspn(line, "\r\n");
	/* TRANSLATORS: the answers that mean yes at "Send these? [y/N]", lower case, separated by
	 * commas, no spaces. Keep y,yes and add your language's words (e.g. y,yes,s,sí,si); never
	 * a word or letter that could mean no */
	const char *words[] = {"y,yes", _("y,yes")};
	for (size_t w = 0; w < 2; w++)
		for (const char *p = words[w]; *p != '\0';) {
			size_t len = strcspn(p, ",");
			if (len == n && n > 0 && gd_ascii_ncasecmp(p, line, n) == 0 &&
			    gd_ascii_ncasecmp(p, "n", n) != 0 && gd_ascii_ncasecmp(p, "no", n) != 0)
				return 1;
			p += len + (p[len] == ',');
		}
	return 0;
}

int attach_confirm(const attach_set *as, size_t text_len, int yes)
{
	char size[32], what[1024], line[600], shown[600];
	if (as->n == 0)
		return EX_OK;
	FILE *tty = fopen("/dev/tty", "r+");
	if (tty == NULL)
		return EX_OK; /* a script: as before, nothing asked */
	/* TRANSLATORS: %s is a size, e.g. "1.2 KiB"; keep the two leading spaces */
	fprintf(tty, _("\nTo be sent, encrypted to the newsroom:\n  the message, %s\n"),
		attach_human_size(text_len, size, sizeof size));
	for (int i = 0; i < as->n; i++) {
		const attach_info *f = &as->info[i];
		const char *slash = strrchr(f->file, '/');
		int n = snprintf(line, sizeof line, "%s, %s", as->atts[i].name,
				 attach_human_size(as->atts[i].size, size, sizeof size));
		if (!as->keep_names && n > 0 && (size_t)n < sizeof line)
			/* TRANSLATORS: after an attachment's name and size: %s is the worker's own
			 * file name it was given in place of; keep the leading space */
			snprintf(line + n, sizeof line - (size_t)n, _(" (your %s)"),
				 slash != NULL ? slash + 1 : f->file);
		/* a name's control characters stay inert */
		wrapped(tty, 2, 4, attach_safe_name(line, shown, sizeof shown));
		describe(f, what, sizeof what);
		wrapped(tty, 6, 6, what);
	}
	wrapped(tty, 0, 0,
		as->keep_names ? _("The files travel under their real names.")
			       : _("The files travel under the names shown (--keep-names sends "
				   "their real names)."));
	if (yes) {
		fputc('\n', tty);
		fclose(tty);
		return EX_OK;
	}
	/* TRANSLATORS: keep "[y/N]" and the trailing space: y or yes is a yes in every
	 * language, and so are the words of your "y,yes" entry */
	fputs(_("Send these? [y/N] "), tty);
	fflush(tty);
	int ok = fgets(line, sizeof line, tty) != NULL && said_yes(line);
	fclose(tty);
	if (!ok)
		return cli_die(ATTACH_CANCELLED, _("cancelled: nothing was sent"));
	return EX_OK;
}

json_t *attach_json(const attach_set *as)
{
	static const char *const kinds[] = {"", "jpeg", "png"};
	json_t *arr = json_array();
	for (int i = 0; arr != NULL && i < as->n; i++) {
		const attach_info *f = &as->info[i];
		const char *kind = f->how == ATTACH_STRIPPED ? kinds[as->kinds[i]]
				   : f->how == ATTACH_MAT2   ? "mat2"
				   : f->how == ATTACH_TEXT   ? "text"
							     : "as_is";
		json_t *removed = json_array(), *o;
		if (f->how == ATTACH_STRIPPED)
			for (unsigned b = 1; removed != NULL && b != 0 && b <= STRIP_F_LAST;
			     b <<= 1)
				if (f->found & b)
					json_array_append_new(removed,
							      json_string(strip_found_name(b)));
		char *m = f->how == ATTACH_MAT2 ? strdup(f->mat2) : NULL, *save = NULL;
		for (char *t = m != NULL ? strtok_r(m, ",", &save) : NULL; removed != NULL && t;
		     t = strtok_r(NULL, ",", &save))
			json_array_append_new(removed, json_string(t[0] == ' ' ? t + 1 : t));
		free(m);
		o = json_pack("{s:s, s:I, s:s, s:o}", "name", as->atts[i].name, "size",
			      (json_int_t)as->atts[i].size, "kind", kind, "removed",
			      removed != NULL ? removed : json_array());
		const char *slash = strrchr(f->file, '/');
		if (o != NULL && f->why != NULL)
			json_object_set_new(o, "note", json_string(f->why));
		if (o != NULL && as->keep_names)
			json_object_set_new(o, "original",
					    json_string(slash != NULL ? slash + 1 : f->file));
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* The file as it was checked: the same size, modification and change times. */
static int unchanged(const attach_set *as, int i)
{
	struct stat now;
	const struct stat *then = &as->st[i];
	return fstat(as->fds[i], &now) == 0 && now.st_size == then->st_size &&
	       now.st_mtim.tv_sec == then->st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == then->st_mtim.tv_nsec &&
	       now.st_ctim.tv_sec == then->st_ctim.tv_sec &&
	       now.st_ctim.tv_nsec == then->st_ctim.tv_nsec;
}

int attach_stream(const attach_set *as, int i, int (*out)(void *arg, const uint8_t *b, size_t n),
		  void *arg)
{
	uint64_t size = as->atts[i].size, got = 0;
	int fd = as->fds[i], sunk = 0, ok = fd >= 0 && unchanged(as, i);
	if (ok && as->kinds[i] != STRIP_OTHER) { /* cleaned here, again: the same bytes */
		int r = lseek(fd, 0, SEEK_SET) == 0 ? strip_run(fd, as->kinds[i], out, arg, &got)
						    : -1;
		ok = r == 0 && got == size;
		sunk = r != 0 && got < size && unchanged(as, i); /* strip.c's sink said no */
	} else if (ok) { /* as it is: exactly size bytes, then the end of the file */
		uint8_t *buf = malloc(65536);
		ssize_t k = 0;
		while (buf != NULL && got < size &&
		       (k = pread(fd, buf, size - got < 65536 ? (size_t)(size - got) : 65536,
				  (off_t)got)) > 0) {
			if (out(arg, buf, (size_t)k) != 0) {
				sunk = 1;
				break;
			}
			got += (uint64_t)k;
		}
		ok = !sunk && buf != NULL && got == size && pread(fd, buf, 1, (off_t)size) == 0;
		if (buf != NULL)
			sodium_memzero(buf, 65536);
		free(buf);
	}
	if (sunk)
		return -1;
	if (!ok || !unchanged(as, i))
		return cli_die(EX_FILE,
			       _("%s changed after it was checked: nothing more was sent; run the "
				 "command again"),
			       as->info[i].file);
	return EX_OK;
}

/* Whether the text in path holds limit or more of the codename's words: 1, 0, or -1 when it
 * cannot be read. Read in 256 KiB pieces, searched as one text (gd_codename_scan carries the
 * last letters and the window from one piece to the next: words far apart across a piece's
 * end count as in one search), wiped after: the search takes 18 bytes of memory a letter,
 * which malloc keeps and gives again from one piece to the next at this size (at 1 MiB it was
 * 18 MiB, kept too). */
static int text_codename(const char *path, const char *codename, int limit)
{
	enum { PIECE = 1 << 18 };
	char *buf = malloc(PIECE);
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;
	ssize_t k = 0;
	gd_codename_scan scan;
	if (buf == NULL || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	gd_codename_scan_init(&scan);
	do {
		size_t have = 0;
		while (have < PIECE && (k = read(fd, buf + have, PIECE - have)) > 0)
			have += (size_t)k;
		if (k < 0)
			break;
		int w = gd_codename_scan_text(&scan, codename, buf, have, k == 0);
		found = w < 0 || w >= limit;
	} while (!found && k > 0);
	close(fd);
	gd_codename_scan_wipe(&scan);
	sodium_memzero(buf, PIECE);
	free(buf);
	return k < 0 ? -1 : found;
}

int attach_codename_check(const attach_set *as, const char *codename, int limit)
{
	char shown[1024];
	for (int i = 0; i < as->n; i++) {
		const attach_info *f = &as->info[i];
		const char *slash = strrchr(f->file, '/');
		if (f->how != ATTACH_TEXT &&
		    !(f->how == ATTACH_AS_IS && text_name(slash != NULL ? slash + 1 : f->file)))
			continue;
		int r = text_codename(as->sources[i], codename, limit);
		attach_safe_name(f->file, shown, sizeof shown);
		if (r < 0)
			return cli_die(EX_FILE, _("%s: cannot be read again to check it"), shown);
		if (r > 0)
			return cli_die(
				EX_FILE,
				/* TRANSLATORS: %s is a file name, %d a number of words */
				P_("%s holds your codename (%d or more of its words, however "
				   "written): whoever reads it could read the newsroom's replies "
				   "to "
				   "you and write as you. Take the codename out of it; nothing was "
				   "sent",
				   "%s holds your codename (%d or more of its words, however "
				   "written): whoever reads it could read the newsroom's replies "
				   "to "
				   "you and write as you. Take the codename out of it; nothing was "
				   "sent",
				   (unsigned long)limit),
				shown, limit);
	}
	return EX_OK;
}

void attach_free(attach_set *as)
{
	for (int i = 0; as->fds != NULL && i <= as->n; i++)
		if (as->fds[i] >= 0)
			close(as->fds[i]);
	free(as->fds);
	free(as->st);
	scratch_cleanup();
	free(as->atts);
	free(as->kinds);
	free(as->sources);
	free(as->cleaned);
	free(as->info);
	memset(as, 0, sizeof *as);
}
