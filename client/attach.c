/* ghostdrop: a submission's attachments made ready to seal: checked, cleaned of metadata
 * (strip.c for JPEG and PNG, mat2 on a private copy in RAM-backed storage for the rest) and
 * measured, before anything is sent. Offline: no network. */
#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

enum { EX_OK = 0, EX_FAIL = 1, EX_FILE = 6 }; /* ghostdrop's exit codes (ghostdrop.c) */

static const char *media_type(const char *name)
{
	static const char *const map[][2] = {{".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
					     {".png", "image/png"},  {".pdf", "application/pdf"},
					     {".txt", "text/plain"}, {".csv", "text/csv"},
					     {".mp3", "audio/mpeg"}, {".wav", "audio/wav"},
					     {".mp4", "video/mp4"},  {".zip", "application/zip"}};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot != NULL && i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(dot, map[i][0]) == 0)
			return map[i][1];
	return "application/octet-stream";
}

/* ---- other file types: mat2, on a private copy in RAM-backed storage ---- */

#define TMPFS_MAGIC 0x01021994

static char scratch_dir[256];
static char scratch[ATTACH_MAX][512];
static int n_scratch;

/* Async-signal-safe: unlink and rmdir only, on paths made beforehand. */
static void scratch_cleanup(void)
{
	for (int i = 0; i < n_scratch; i++)
		unlink(scratch[i]);
	n_scratch = 0;
	if (scratch_dir[0] != '\0')
		rmdir(scratch_dir);
	scratch_dir[0] = '\0';
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

/* Copy src into a 0700 directory on tmpfs (keeping its name: mat2 goes by the extension),
 * clean it there with mat2 --inplace. The copy never reaches a disk. */
static int mat2_clean(const char *src, const char *name, char *out, size_t cap, uint64_t *size)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	if (!is_ram_backed(base))
		base = "/dev/shm";
	if (!is_ram_backed(base))
		return cli_die(
			EX_FILE,
			"no RAM-backed directory (XDG_RUNTIME_DIR or /dev/shm) to clean %s in; "
			"remove its metadata yourself and pass --keep-metadata",
			src);
	if (scratch_dir[0] == '\0') {
		snprintf(scratch_dir, sizeof scratch_dir, "%s/ghostdrop-XXXXXX", base);
		if (mkdtemp(scratch_dir) == NULL) { /* mode 0700 */
			scratch_dir[0] = '\0';
			return cli_die(EX_FILE, "%s: %s", base, strerror(errno));
		}
	}
	if (n_scratch == ATTACH_MAX ||
	    snprintf(out, cap, "%s/%d-%s", scratch_dir, n_scratch, name) >= (int)cap)
		return cli_die(EX_FILE, "%s: name too long", src);
	snprintf(scratch[n_scratch++], sizeof scratch[0], "%s", out);
	int in = open(src, O_RDONLY | O_CLOEXEC),
	    fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	uint8_t buf[65536];
	ssize_t k = 0;
	while (in >= 0 && fd >= 0 && (k = read(in, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)k) != k) {
			k = -1;
			break;
		}
	sodium_memzero(buf, sizeof buf);
	if (in >= 0)
		close(in);
	if (fd < 0 || close(fd) != 0 || in < 0 || k < 0)
		return cli_die(EX_FILE, "%s: cannot make a private copy to clean", src);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("mat2", "mat2", "--inplace", "--", out, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) == 127)
		return cli_die(
			EX_FILE,
			"%s may carry metadata that identifies you (author, software, device) and "
			"mat2, which would remove it, is not installed: install mat2, or remove it "
			"yourself and pass --keep-metadata",
			src);
	struct stat sb;
	if (WEXITSTATUS(st) != 0 || stat(out, &sb) != 0)
		return cli_die(
			EX_FILE,
			"mat2 could not clean %s (a format it does not know, or a damaged file); "
			"remove its metadata yourself and pass --keep-metadata",
			src);
	*size = (uint64_t)sb.st_size;
	return EX_OK;
}

/* Attachment i: checked, its kind found and its cleaned size measured (mat2 cleans a copy). */
static int attach_one(attach_set *as, char **files, int i, int keep_metadata)
{
	gd_attachment *a = &as->atts[i];
	struct stat st;
	int fd = open(files[i], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int rc = cli_die(EX_FILE, "%s: %s", files[i],
				 fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return rc;
	}
	a->size = (uint64_t)st.st_size;
	as->kinds[i] = keep_metadata ? STRIP_OTHER : strip_detect(fd);
	if (as->kinds[i] != STRIP_OTHER &&
	    strip_run(fd, as->kinds[i], NULL, NULL, &a->size) != 0) {
		close(fd);
		return cli_die(
			EX_FILE,
			"%s looks like a %s but is damaged, so its metadata cannot be removed; "
			"--keep-metadata sends it as it is",
			files[i], as->kinds[i] == STRIP_JPEG ? "JPEG" : "PNG");
	}
	close(fd);
	const char *slash = strrchr(files[i], '/');
	snprintf(a->name, sizeof a->name, "%s", slash != NULL ? slash + 1 : files[i]);
	as->sources[i] = files[i];
	if (as->kinds[i] == STRIP_OTHER && !keep_metadata) {
		int rc = mat2_clean(files[i], a->name, as->cleaned[i], sizeof as->cleaned[i],
				    &a->size);
		if (rc != EX_OK)
			return rc;
		as->sources[i] = as->cleaned[i];
	}
	snprintf(a->type, sizeof a->type, "%s",
		 as->kinds[i] == STRIP_JPEG  ? "image/jpeg"
		 : as->kinds[i] == STRIP_PNG ? "image/png"
					      : media_type(a->name));
	as->total += a->size;
	return EX_OK;
}

int attach_prepare(attach_set *as, char **files, int n_files, int keep_metadata)
{
	size_t n = (size_t)n_files + 1;
	int rc = EX_OK;
	memset(as, 0, sizeof *as);
	as->n = n_files;
	as->atts = calloc(n, sizeof *as->atts);
	as->kinds = calloc(n, sizeof *as->kinds);
	as->sources = calloc(n, sizeof *as->sources);
	as->cleaned = calloc(n, sizeof *as->cleaned);
	if (as->atts == NULL || as->kinds == NULL || as->sources == NULL || as->cleaned == NULL)
		return cli_die(EX_FAIL, "out of memory");
	signal(SIGINT, scratch_signal); /* a cleaned copy never outlives this run */
	signal(SIGTERM, scratch_signal);
	signal(SIGHUP, scratch_signal);
	for (int i = 0; i < n_files && rc == EX_OK; i++)
		rc = attach_one(as, files, i, keep_metadata);
	return rc;
}

void attach_free(attach_set *as)
{
	scratch_cleanup();
	free(as->atts);
	free(as->kinds);
	free(as->sources);
	free(as->cleaned);
	memset(as, 0, sizeof *as);
}

