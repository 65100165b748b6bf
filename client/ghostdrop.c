/* ghostdrop: the worker's command line. Sends a testimony to a newsroom's drop, end-to-end
 * encrypted to the journalists of a bundle checked against the pinned newsroom key, and reads
 * the newsroom's replies. Writes nothing to disk it was not asked to write. docs/ghostdrop.1. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "progress.h"
#include "prompt.h"
#include "strip.h"
#include "gdcrypto.h"
#include "transport.h"
#include "upload.h"

enum { EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2, EX_VERIFY = 3, EX_NET = 4, EX_REFUSED = 5, EX_FILE = 6 };

#define MAX_MESSAGE GD_ENV_MAX_TEXT
#define MAX_FILES 64
#define RETRIES 4

typedef struct {
	const char *server, *newsroom, *message_file, *codename_out, *codename_file, *proxy,
		*state_dir;
	int codename_prompt, no_reply, clearnet, unlisted, json, ack, keep_metadata;
	uint64_t min_version;
	char **files;
	int n_files;
} opts;

static gd_url url;
static gd_transport tr;
static uint8_t newsroom_pk[32];
static gd_bundle *bundle;

static const char USAGE[] =
	"usage: ghostdrop submit --server URL --newsroom KEY [--message-file F] [FILE...]\n"
	"                        [--codename-out F | --codename-file F | --codename | --no-reply]\n"
	"       ghostdrop replies --server URL --newsroom KEY (--codename-file F | --codename) [--ack]\n"
	"options: --proxy IP:PORT (default Tor, 127.0.0.1:9050)  --clearnet  --unlisted-server\n"
	"         --min-bundle-version N  --state-dir D  --keep-metadata  --json  --help\n"
	"exit: 0 ok, 1 failure, 2 usage, 3 newsroom key or bundle did not verify, 4 Tor or network\n"
	"      unreachable, 5 the drop refused, 6 a local file problem. See ghostdrop(1).\n";

/* ---- talking to the drop ---- */

static int net_error(int rc, gd_response *r)
{
	(void)rc;
	return cli_die(EX_NET, "%s", r->message[0] ? r->message : "the drop could not be reached");
}

/* Not an exit code: the drop no longer knows an upload (it restarted, or a new circuit reached
 * another daemon behind the same onion address); cmd_submit sends the testimony again. */
#define LOST_UPLOAD 100
/* Not an exit code either: the drop got busier since it issued the proof-of-work challenge
 * (PROTOCOL.md §9.3, pow_outdated); the request goes again with a new challenge. */
#define POW_OUTDATED 101

static int refused(gd_response *r)
{
	if (r->status == 404 && strcmp(r->error, "upload_not_found") == 0)
		return LOST_UPLOAD;
	if (r->status == 403 && strcmp(r->error, "pow_outdated") == 0)
		return POW_OUTDATED;
	return cli_die(EX_REFUSED, "the drop refused: %s%s%s", r->error, r->message[0] ? ": " : "",
		   r->message);
}

/* GET/POST returning JSON; a network failure is retried (requests here are idempotent). */
static int call_json(const char *method, const char *path, const char *hdrs, const uint8_t *body,
		     size_t len, json_t **out, int expect)
{
	gd_response r;
	int rc = TR_ERR_CONNECT;
	for (int i = 0; i < RETRIES && rc != TR_OK; i++) {
		if (i > 0)
			sleep(1u << i);
		rc = gd_request(&tr, &url, method, path, hdrs, body, len, 1 << 20, &r);
		if (rc == TR_ERR_SOCKS)
			break; /* the proxy's answer will not change by asking again */
	}
	if (rc != TR_OK)
		return net_error(rc, &r);
	if (r.status != expect && !(expect == 201 && r.status == 200)) {
		int e = refused(&r);
		gd_response_free(&r);
		return e;
	}
	*out = json_loadb((const char *)r.body, r.len, 0, NULL);
	gd_response_free(&r);
	if (*out == NULL)
		return cli_die(EX_FAIL, "the drop's answer is not JSON");
	return EX_OK;
}

static int pow_outdated_die(void)
{
	return cli_die(EX_REFUSED, "the drop refused: pow_outdated: it keeps getting busier; "
				   "try again later");
}

static int solve_pow(const char *purpose, uint64_t size, char *out, size_t cap)
{
	char path[128];
	json_t *o;
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	uint64_t ctr;
	snprintf(path, sizeof path, "/v1/pow?purpose=%s&size=%llu", purpose, (unsigned long long)size);
	int rc = call_json("POST", path, NULL, NULL, 0, &o, 200);
	if (rc != EX_OK)
		return rc;
	const char *c = json_string_value(json_object_get(o, "challenge"));
	json_int_t bits = json_integer_value(json_object_get(o, "bits"));
	if (bits >= 22 && isatty(2))
		fprintf(stderr, "Solving a proof of work (%d bits: the drop is busy or the file large); "
				"this can take a minute...\n", (int)bits);
	if (gd_b64_decode_exact(ch, sizeof ch, c) != GD_OK || gd_pow_solve(&ctr, ch) != GD_OK) {
		json_decref(o);
		return cli_die(EX_FAIL, "the drop sent a malformed challenge");
	}
	snprintf(out, cap, "X-Ghostdrop-PoW: %s.%llu\r\n", c, (unsigned long long)ctr);
	json_decref(o);
	return EX_OK;
}

static int state_path(const opts *o, char *out, size_t cap)
{
	char hex[17];
	uint8_t h[8];
	crypto_generichash(h, sizeof h, newsroom_pk, 32, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	return snprintf(out, cap, "%s/bundle-version-%s", o->state_dir, hex) >= (int)cap ? -1 : 0;
}

/* Fetch the bundle, verify it against the pinned key, check the server is one of its own. */
static int verify_drop(const opts *o)
{
	gd_response r;
	char err[256];
	uint64_t min = o->min_version;
	if (gd_keystring_decode(newsroom_pk, o->newsroom) != GD_OK)
		return cli_die(EX_USAGE, "--newsroom: not a valid newsroom key (check it for typos)");
	if (gd_url_parse(&url, o->server, err, sizeof err) != 0 ||
	    gd_transport_init(&tr, &url, o->proxy, o->clearnet, err, sizeof err) != 0)
		return cli_die(EX_USAGE, "%s", err);
	char spath[4096];
	if (o->state_dir != NULL) {
		uint8_t *v;
		size_t vl;
		if (state_path(o, spath, sizeof spath) != 0)
			return cli_die(EX_USAGE, "--state-dir: path too long");
		if (gd_file_read(spath, 64, &v, &vl) == 0) {
			uint64_t known = strtoull((char *)v, NULL, 10);
			min = known > min ? known : min;
			free(v);
		}
	}
	int rc = gd_request(&tr, &url, "GET", "/v1/bundle", NULL, NULL, 0, GD_BUNDLE_MAX_JSON + 1024, &r);
	if (rc != TR_OK)
		return net_error(rc, &r);
	if (r.status != 200) {
		int e = refused(&r);
		gd_response_free(&r);
		return e;
	}
	bundle = calloc(1, sizeof *bundle);
	int64_t now = (int64_t)time(NULL);
	rc = gd_bundle_verify(bundle, r.body, r.len, newsroom_pk, now, min);
	gd_response_free(&r);
	if (rc == GD_ERR_EXPIRED) {
		/* signed by the newsroom (checked first), only out of its dates: not an attack on
		 * this worker, and the way out is to wait or fix the clock, never another key */
		char signed_on[16], until[16], today[16];
		time_t c = (time_t)bundle->created, e = (time_t)bundle->expires, t = (time_t)now;
		strftime(signed_on, sizeof signed_on, "%Y-%m-%d", gmtime(&c));
		strftime(until, sizeof until, "%Y-%m-%d", gmtime(&e));
		strftime(today, sizeof today, "%Y-%m-%d", gmtime(&t));
		if (now < bundle->created - GD_CLOCK_SKEW)
			return cli_die(EX_VERIFY, "the newsroom's key bundle was signed on %s, after today's "
						  "date on this computer (%s): correct this computer's date and "
						  "time, then try again. Nothing was sent",
				       signed_on, today);
		return cli_die(EX_VERIFY, "the newsroom's key bundle on this drop is too old (signed on %s, "
					  "%s %s; refused after %d days): your newsroom key is fine and "
					  "nothing was sent. Try again in a few days, when the newsroom has "
					  "published a new one; if this computer's date (%s) is wrong, correct "
					  "it. Do not use another key or server found elsewhere",
			       signed_on, now > bundle->expires + GD_CLOCK_SKEW ? "expired on" : "valid until",
			       until, GD_BUNDLE_MAX_AGE / 86400, today);
	}
	if (rc != GD_OK)
		return cli_die(EX_VERIFY, "the drop's key bundle does not verify against the newsroom key: %s%s",
			   gd_strerror(rc),
			   rc == GD_ERR_SIGNATURE ? " (another key signed it: do not send anything)" : "");
	char self[300];
	snprintf(self, sizeof self, strchr(url.host, ':') ? "http://[%s]:%u" : "http://%s:%u", url.host,
		 url.port);
	if (!gd_bundle_lists_server(bundle, self) && !(url.port == 80 && gd_bundle_lists_server(bundle, o->server)) &&
	    !o->unlisted)
		return cli_die(EX_VERIFY, "%s is not one of the newsroom's servers in its signed bundle; "
				      "use --unlisted-server only if the newsroom told you so",
			   o->server);
	if (o->state_dir != NULL) {
		char v[32];
		int n = snprintf(v, sizeof v, "%llu\n", (unsigned long long)bundle->version);
		if (mkdir(o->state_dir, 0700) != 0 && errno != EEXIST)
			return cli_die(EX_FILE, "%s: %s", o->state_dir, strerror(errno));
		if (gd_file_write_atomic(spath, (const uint8_t *)v, (size_t)n, 0600, 0) != 0)
			return cli_die(EX_FILE, "%s: %s", spath, strerror(errno));
	}
	return EX_OK;
}

/* ---- codenames ---- */

static int load_codename(const opts *o, char *canon)
{
	char *raw = sodium_malloc(1024);
	size_t len = 0;
	int bad, rc = EX_OK;
	if (raw == NULL)
		return cli_die(EX_FAIL, "out of memory");
	if (o->codename_file != NULL) {
		uint8_t *f;
		if (gd_file_read(o->codename_file, 1000, &f, &len) != 0) {
			sodium_free(raw);
			return cli_die(EX_FILE, "%s: %s", o->codename_file, strerror(errno));
		}
		memcpy(raw, f, len);
		sodium_memzero(f, len);
		free(f);
	} else if (gd_prompt_secret("Codename (not shown as you type): ", raw, 1024) != 0) {
		sodium_free(raw);
		return cli_die(EX_USAGE, "--codename needs a terminal to type it on");
	} else {
		len = strlen(raw);
	}
	if (gd_codename_normalise(canon, GD_CODENAME_MAX, raw, len, &bad) != GD_OK) {
		if (bad < 0) {
			rc = cli_die(EX_USAGE, "a codename is exactly %d words", GD_CODENAME_WORDS);
		} else {
			/* name the position and the nearest word, never the typed word itself */
			const char *p = raw;
			for (int w = 0; w <= bad; w++) {
				while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
					p++;
				if (w < bad)
					p += strcspn(p, " \t\r\n");
			}
			rc = cli_die(EX_USAGE, "word %d of the codename is not in the word list; did you mean "
					   "\"%s\"? (nothing was sent)",
				 bad + 1, gd_wordlist_nearest(p, strcspn(p, " \t\r\n")));
		}
	}
	sodium_free(raw);
	return rc;
}

/* ---- the testimony ---- */

static char *read_message(const opts *o, size_t *len)
{
	uint8_t *buf;
	if (o->message_file != NULL) {
		if (gd_file_read(o->message_file, MAX_MESSAGE, &buf, len) != 0) {
			cli_die(EX_FILE, "%s: %s", o->message_file,
			    errno == EFBIG ? "longer than 128 KiB: send it as an attachment" : strerror(errno));
			return NULL;
		}
	} else {
		if (isatty(0))
			fprintf(stderr, "Type your testimony; end it with Ctrl-D on a line of its own.\n");
		size_t cap = MAX_MESSAGE + 1, n = 0;
		ssize_t k;
		buf = malloc(cap + 1);
		while (buf != NULL && n < cap && (k = read(0, buf + n, cap - n)) > 0)
			n += (size_t)k;
		if (buf == NULL || n > MAX_MESSAGE) {
			if (buf) {
				sodium_memzero(buf, n);
				free(buf);
			}
			cli_die(EX_FILE, "the message is longer than 128 KiB: send it as an attachment");
			return NULL;
		}
		buf[n] = '\0';
		*len = n;
	}
	char *text = sodium_malloc(*len + 1);
	if (text != NULL)
		memcpy(text, buf, *len + 1);
	sodium_memzero(buf, *len);
	free(buf);
	return text;
}

static const char *media_type(const char *name)
{
	static const char *const map[][2] = {
		{".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".png", "image/png"},
		{".pdf", "application/pdf"}, {".txt", "text/plain"}, {".csv", "text/csv"},
		{".mp3", "audio/mpeg"}, {".wav", "audio/wav"}, {".mp4", "video/mp4"},
		{".zip", "application/zip"}};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot != NULL && i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(dot, map[i][0]) == 0)
			return map[i][1];
	return "application/octet-stream";
}

typedef struct {
	/* one-request submissions: the whole envelope */
	uint8_t *buf;
	size_t len, cap;
	/* uploads: the chunk being filled, handed to the senders as soon as it is full */
	int upload;
	char up[32];
	size_t chunk_size;
	gd_uploader *upl;
	int failed;
} outbox;

/* Chunks in flight at once, each on a kept connection: while the drop stores one, the next
 * travels and the one after is sealed (docs/BENCHMARKS.md measures 1 to 4). */
#define SENDERS 3

/* Wait for every chunk sent: EX_OK with the upload's digest, or the first chunk that failed,
 * said once (an exit code, or LOST_UPLOAD). */
static int upload_wait(outbox *ob, uint8_t digest[32])
{
	gd_upload_failure f;
	int ok = gd_uploader_finish(ob->upl, digest, &f) == 0;
	progress_end(); /* an error goes on a line of its own */
	if (ok)
		return EX_OK;
	int rc = f.rc != TR_OK ? net_error(f.rc, &f.r) : refused(&f.r);
	gd_response_free(&f.r);
	return rc;
}

static int put_chunk(outbox *ob)
{
	gd_uploader_send(ob->upl, ob->buf, ob->len);
	ob->buf = NULL;
	ob->len = 0;
	return 0;
}

static int outbox_write(void *arg, const uint8_t *b, size_t n)
{
	outbox *ob = arg;
	while (n > 0) {
		if (ob->upload && ob->buf == NULL && (ob->buf = gd_uploader_buffer(ob->upl)) == NULL) {
			uint8_t d[32];
			int rc = upload_wait(ob, d);
			ob->failed = rc != EX_OK ? rc : EX_FAIL;
			return -1;
		}
		size_t room = ob->upload ? ob->chunk_size - ob->len : n;
		if (!ob->upload && ob->len + n > ob->cap) {
			size_t cap = (ob->len + n) * 2;
			uint8_t *nb = realloc(ob->buf, cap);
			if (nb == NULL)
				return -1;
			ob->buf = nb;
			ob->cap = cap;
		}
		size_t k = room < n ? room : n;
		memcpy(ob->buf + ob->len, b, k);
		ob->len += k;
		b += k;
		n -= k;
		if (ob->upload && ob->len == ob->chunk_size && put_chunk(ob) != 0)
			return -1;
	}
	return 0;
}

static void b64(char *out, size_t cap, const uint8_t *b, size_t n)
{
	gd_b64_encode(out, cap, b, n);
}

static int send_small(outbox *ob, const uint8_t id[16], int *already)
{
	char hdr[1024], pow[256], idb[32], hb[64];
	uint8_t h[32];
	crypto_generichash(h, 32, ob->buf, ob->len, NULL, 0);
	b64(idb, sizeof idb, id, 16);
	b64(hb, sizeof hb, h, 32);
	/* A lost answer is retried with the same id: the drop answers "already stored". */
	for (int i = 0; i < RETRIES; i++) {
		gd_response r;
		if (i > 0)
			sleep(1u << i);
		int rc = solve_pow("submit", 0, pow, sizeof pow);
		if (rc != EX_OK)
			return rc;
		snprintf(hdr, sizeof hdr,
			 "Content-Type: application/octet-stream\r\nX-Ghostdrop-Id: %s\r\n"
			 "X-Ghostdrop-Hash: %s\r\n%s", idb, hb, pow);
		rc = gd_request(&tr, &url, "POST", "/v1/submissions", hdr, ob->buf, ob->len, 4096, &r);
		if (rc == TR_ERR_SOCKS || (rc != TR_OK && i == RETRIES - 1))
			return net_error(rc, &r);
		if (rc != TR_OK)
			continue;
		if (r.status == 201 || r.status == 200) {
			*already = r.status == 200;
			gd_response_free(&r);
			return EX_OK;
		}
		int e = refused(&r);
		gd_response_free(&r);
		if (e == POW_OUTDATED && i < RETRIES - 1)
			continue; /* a new challenge, at today's difficulty */
		return e == POW_OUTDATED ? pow_outdated_die() : e;
	}
	return EX_NET;
}

static int begin_upload(outbox *ob, const uint8_t id[16], uint64_t total)
{
	char hdr[512], pow[256], idb[32], body[128];
	json_t *o;
	int rc = POW_OUTDATED;
	b64(idb, sizeof idb, id, 16);
	snprintf(body, sizeof body, "{\"id\":\"%s\",\"size\":%llu}", idb, (unsigned long long)total);
	for (int i = 0; i < RETRIES && rc == POW_OUTDATED; i++) {
		if ((rc = solve_pow("upload", total, pow, sizeof pow)) != EX_OK)
			return rc;
		snprintf(hdr, sizeof hdr, "%s", pow);
		rc = call_json("POST", "/v1/uploads", hdr, (const uint8_t *)body, strlen(body), &o, 201);
	}
	if (rc != EX_OK)
		return rc == POW_OUTDATED ? pow_outdated_die() : rc;
	const char *up = json_string_value(json_object_get(o, "upload"));
	json_int_t cs = json_integer_value(json_object_get(o, "chunk_size"));
	if (up == NULL || strlen(up) >= sizeof ob->up || cs < 1024 || cs > (64 << 20)) {
		json_decref(o);
		return cli_die(EX_FAIL, "the drop's upload answer is malformed");
	}
	snprintf(ob->up, sizeof ob->up, "%s", up);
	json_decref(o);
	ob->upload = 1;
	progress_start("", total);
	ob->chunk_size = (size_t)cs;
	if ((ob->upl = gd_uploader_new(&tr, &url, ob->up, ob->chunk_size, total, SENDERS, RETRIES)) ==
	    NULL)
		return cli_die(EX_FAIL, "out of memory");
	return EX_OK;
}

static int finish_upload(outbox *ob, int *already)
{
	char path[128], body[128], db[64];
	uint8_t d[32];
	json_t *o;
	if (ob->len > 0)
		put_chunk(ob);
	int rc = upload_wait(ob, d);
	if (rc != EX_OK)
		return rc;
	b64(db, sizeof db, d, 32);
	snprintf(body, sizeof body, "{\"hash\":\"%s\"}", db);
	snprintf(path, sizeof path, "/v1/uploads/%s/commit", ob->up);
	rc = call_json("POST", path, NULL, (const uint8_t *)body, strlen(body), &o, 201);
	if (rc != EX_OK)
		return rc;
	const char *st = json_string_value(json_object_get(o, "status"));
	*already = st != NULL && strcmp(st, "already_stored") == 0;
	json_decref(o);
	return EX_OK;
}

/* ---- other file types: mat2, on a private copy in RAM-backed storage ---- */

#define TMPFS_MAGIC 0x01021994

static char scratch_dir[256];
static char scratch[MAX_FILES][512];
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
		return cli_die(EX_FILE, "no RAM-backed directory (XDG_RUNTIME_DIR or /dev/shm) to clean %s in; "
				    "remove its metadata yourself and pass --keep-metadata", src);
	if (scratch_dir[0] == '\0') {
		snprintf(scratch_dir, sizeof scratch_dir, "%s/ghostdrop-XXXXXX", base);
		if (mkdtemp(scratch_dir) == NULL) { /* mode 0700 */
			scratch_dir[0] = '\0';
			return cli_die(EX_FILE, "%s: %s", base, strerror(errno));
		}
	}
	if (n_scratch == MAX_FILES ||
	    snprintf(out, cap, "%s/%d-%s", scratch_dir, n_scratch, name) >= (int)cap)
		return cli_die(EX_FILE, "%s: name too long", src);
	snprintf(scratch[n_scratch++], sizeof scratch[0], "%s", out);
	int in = open(src, O_RDONLY | O_CLOEXEC), fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
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
		return cli_die(EX_FILE, "%s may carry metadata that identifies you (author, software, device) and "
				    "mat2, which would remove it, is not installed: install mat2, or remove it "
				    "yourself and pass --keep-metadata",
			   src);
	struct stat sb;
	if (WEXITSTATUS(st) != 0 || stat(out, &sb) != 0)
		return cli_die(EX_FILE, "mat2 could not clean %s (a format it does not know, or a damaged file); "
				    "remove its metadata yourself and pass --keep-metadata",
			   src);
	*size = (uint64_t)sb.st_size;
	return EX_OK;
}

static int seal_sink(void *arg, const uint8_t *b, size_t n)
{
	return gd_seal_write(arg, b, n) == GD_OK ? 0 : -1;
}

static int show_codename_once(const char *codename)
{
	FILE *tty = fopen("/dev/tty", "w");
	if (tty == NULL)
		return -1;
	fprintf(tty, "\nYour codename (shown only this once):\n\n    %s\n\n"
		     "Write it down on paper and keep it where nobody at work can find it. With it\n"
		     "you can read the newsroom's replies and send more; anyone who finds it can read\n"
		     "those replies too. Do not keep it on a work device or in a cloud notes app.\n\n",
		codename);
	fclose(tty);
	return 0;
}

/* Seal the testimony and send it: in one request, or as a resumable upload. */
static int seal_and_send(const opts *o, outbox *ob, const gd_manifest *m,
			 const uint8_t (*pks)[32], unsigned n, const gd_source_keys *keys,
			 const char **sources, const strip_kind *kinds, uint64_t total,
			 uint64_t max_submit, int *already)
{
	int rc;
	if (total > max_submit && (rc = begin_upload(ob, m->submission_id, total)) != EX_OK)
		return rc;
	gd_seal *s;
	if ((rc = gd_seal_new(&s, pks, n, m, keys, outbox_write, ob)) != GD_OK)
		return ob->failed ? ob->failed : cli_die(EX_FAIL, "sealing failed: %s", gd_strerror(rc));
	uint8_t *piece = malloc(65536);
	if (piece == NULL) {
		gd_seal_free(s);
		return cli_die(EX_FAIL, "out of memory");
	}
	for (int i = 0; i < o->n_files && rc == GD_OK; i++) {
		int fd = open(sources[i], O_RDONLY | O_CLOEXEC);
		uint64_t left = m->attachments[i].size;
		if (fd >= 0 && kinds[i] != STRIP_OTHER) {
			/* the cleaned bytes, streamed; the same count as measured, or the file changed */
			uint64_t sent = 0;
			if (strip_run(fd, kinds[i], seal_sink, s, &sent) == 0 && sent == m->attachments[i].size)
				left = 0;
		} else {
			ssize_t k;
			while (fd >= 0 && left > 0 &&
			       (k = read(fd, piece, left < 65536 ? (size_t)left : 65536)) > 0) {
				if ((rc = gd_seal_write(s, piece, (size_t)k)) != GD_OK)
					break;
				left -= (uint64_t)k;
			}
		}
		if (fd >= 0)
			close(fd);
		if (rc == GD_OK && left != 0) {
			rc = GD_ERR_IO;
			ob->failed = ob->failed ? ob->failed
						: cli_die(EX_FILE, "%s changed or could not be read while it was "
							     "being sent", o->files[i]);
		}
	}
	sodium_memzero(piece, 65536);
	free(piece);
	if (rc == GD_OK)
		rc = gd_seal_finish(s);
	gd_seal_free(s);
	if (rc != GD_OK)
		return ob->failed ? ob->failed : cli_die(EX_FAIL, "sealing failed: %s", gd_strerror(rc));
	return ob->upload ? finish_upload(ob, already) : send_small(ob, m->submission_id, already);
}

static void outbox_reset(outbox *ob)
{
	if (ob->upl != NULL)
		gd_uploader_free(ob->upl); /* owns the chunk buffers */
	else
		free(ob->buf);
	memset(ob, 0, sizeof *ob);
}

static int cmd_submit(opts *o)
{
	char *codename = NULL, *text = NULL;
	gd_source_keys *keys = NULL;
	gd_attachment *atts = NULL;
	strip_kind *kinds = NULL;
	const char **sources = NULL;
	char(*cleaned)[512] = NULL;
	int rc, already = 0, fresh = 0, wrote_codename = 0;
	size_t text_len = 0;
	outbox ob;
	memset(&ob, 0, sizeof ob);
	if (o->no_reply + (o->codename_file != NULL) + o->codename_prompt + (o->codename_out != NULL) > 1)
		return cli_die(EX_USAGE, "choose one of --no-reply, --codename-file, --codename, --codename-out");
	fresh = !o->no_reply && o->codename_file == NULL && !o->codename_prompt;
	if (fresh && o->codename_out == NULL) {
		int tty = open("/dev/tty", O_WRONLY | O_CLOEXEC);
		if (tty < 0)
			return cli_die(EX_USAGE, "no terminal to show the new codename on: use --codename-out F "
					     "or --no-reply");
		close(tty);
		if (o->json)
			return cli_die(EX_USAGE, "--json with a new codename needs --codename-out F");
	}
	if (o->codename_out != NULL && access(o->codename_out, F_OK) == 0)
		return cli_die(EX_FILE, "%s exists: ghostdrop never overwrites a codename", o->codename_out);
	if (o->n_files > MAX_FILES)
		return cli_die(EX_USAGE, "at most %d attachments", MAX_FILES);
	if (o->codename_prompt && o->n_files > 0 && access(o->files[0], F_OK) != 0)
		/* "--codename WORDS": never echo what may be the codename */
		return cli_die(EX_USAGE, "--codename takes no value: type the codename at its prompt");
	/* Attachments: checked (and their cleaned sizes measured) before anything is sent. */
	atts = calloc((size_t)o->n_files + 1, sizeof *atts);
	kinds = calloc((size_t)o->n_files + 1, sizeof *kinds);
	sources = calloc((size_t)o->n_files + 1, sizeof *sources);
	cleaned = calloc((size_t)o->n_files + 1, sizeof *cleaned);
	signal(SIGINT, scratch_signal); /* a cleaned copy never outlives this run */
	signal(SIGTERM, scratch_signal);
	signal(SIGHUP, scratch_signal);
	uint64_t att_total = 0;
	for (int i = 0; i < o->n_files; i++) {
		struct stat st;
		int fd = open(o->files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			rc = cli_die(EX_FILE, "%s: %s", o->files[i], fd < 0 ? strerror(errno) : "not a regular file");
			if (fd >= 0)
				close(fd);
			goto out;
		}
		atts[i].size = (uint64_t)st.st_size;
		kinds[i] = o->keep_metadata ? STRIP_OTHER : strip_detect(fd);
		if (kinds[i] != STRIP_OTHER && strip_run(fd, kinds[i], NULL, NULL, &atts[i].size) != 0) {
			close(fd);
			rc = cli_die(EX_FILE, "%s looks like a %s but is damaged, so its metadata cannot be removed; "
					  "--keep-metadata sends it as it is",
				 o->files[i], kinds[i] == STRIP_JPEG ? "JPEG" : "PNG");
			goto out;
		}
		close(fd);
		char *copy = strdup(o->files[i]);
		snprintf(atts[i].name, sizeof atts[i].name, "%s", basename(copy));
		free(copy);
		sources[i] = o->files[i];
		if (kinds[i] == STRIP_OTHER && !o->keep_metadata) {
			if ((rc = mat2_clean(o->files[i], atts[i].name, cleaned[i], sizeof cleaned[i],
					     &atts[i].size)) != EX_OK)
				goto out;
			sources[i] = cleaned[i];
		}
		snprintf(atts[i].type, sizeof atts[i].type, "%s",
			 kinds[i] == STRIP_JPEG ? "image/jpeg" : kinds[i] == STRIP_PNG ? "image/png"
										 : media_type(atts[i].name));
		att_total += atts[i].size;
	}
	if ((rc = verify_drop(o)) != EX_OK)
		goto out;
	if ((text = read_message(o, &text_len)) == NULL) {
		rc = EX_FILE;
		goto out;
	}
	if (text_len == 0 && o->n_files == 0) {
		rc = cli_die(EX_USAGE, "nothing to send: the message is empty and there are no files");
		goto out;
	}
	gd_manifest m;
	memset(&m, 0, sizeof m);
	m.kind = fresh || o->no_reply ? GD_KIND_TESTIMONY : GD_KIND_FOLLOWUP;
	m.text = text;
	m.text_len = text_len;
	m.attachments = atts;
	m.n_attachments = (size_t)o->n_files;
	randombytes_buf(m.submission_id, sizeof m.submission_id);
	if (!o->no_reply) {
		codename = sodium_malloc(GD_CODENAME_MAX);
		keys = sodium_malloc(sizeof *keys);
		if (codename == NULL || keys == NULL) {
			rc = cli_die(EX_FAIL, "out of memory");
			goto out;
		}
		if (fresh)
			gd_codename_generate(codename, GD_CODENAME_MAX);
		else if ((rc = load_codename(o, codename)) != EX_OK)
			goto out;
		if (gd_codename_derive(keys, codename, newsroom_pk) != GD_OK) {
			rc = cli_die(EX_FAIL, "could not derive the keys (out of memory?)");
			goto out;
		}
		gd_manifest_set_source(&m, keys);
	}
	uint8_t *mj;
	size_t mlen;
	if (gd_manifest_encode(&mj, &mlen, &m) != GD_OK) {
		rc = cli_die(EX_FILE, "the message must be UTF-8 text without NUL bytes");
		goto out;
	}
	sodium_memzero(mj, mlen);
	free(mj);
	/* Recipients: every valid encryption key of the verified bundle. */
	uint8_t(*pks)[32] = calloc(bundle->n_journalists, 32);
	unsigned n = 0;
	for (size_t i = 0; i < bundle->n_journalists; i++)
		if (bundle->valid[i])
			memcpy(pks[n++], bundle->journalists[i].pk, 32);
	uint64_t total = gd_envelope_size(n, gd_pad_envelope(4 + mlen + GD_SIG_BYTES + att_total));
	json_t *lim;
	if ((rc = call_json("GET", "/v1/limits", NULL, NULL, 0, &lim, 200)) != EX_OK) {
		free(pks);
		goto out;
	}
	uint64_t max_submit = (uint64_t)json_integer_value(json_object_get(lim, "max_submit"));
	uint64_t max_env = (uint64_t)json_integer_value(json_object_get(lim, "max_envelope"));
	json_decref(lim);
	if (total > max_env) {
		free(pks);
		rc = cli_die(EX_REFUSED, "this drop takes at most %llu MiB; the testimony is %llu MiB",
			 (unsigned long long)(max_env >> 20), (unsigned long long)(total >> 20));
		goto out;
	}
	if (o->codename_out != NULL) {
		/* Written before anything is sent, so a crash cannot lose it. */
		char line[GD_CODENAME_MAX + 2];
		int ln = snprintf(line, sizeof line, "%s\n", codename);
		if (gd_file_write_atomic(o->codename_out, (const uint8_t *)line, (size_t)ln, 0600, 1) != 0) {
			sodium_memzero(line, sizeof line);
			free(pks);
			rc = cli_die(EX_FILE, "%s: %s", o->codename_out, strerror(errno));
			goto out;
		}
		sodium_memzero(line, sizeof line);
		wrote_codename = 1;
	}
	for (int attempt = 1;; attempt++) {
		rc = seal_and_send(o, &ob, &m, (const uint8_t(*)[32])pks, n, keys, sources, kinds, total,
				   max_submit, &already);
		if (rc != LOST_UPLOAD)
			break;
		progress_end();
		outbox_reset(&ob);
		if (attempt == 3) {
			rc = cli_die(EX_REFUSED, "the drop lost the upload three times; try again later");
			break;
		}
		fprintf(stderr, "%s: the drop no longer knows this upload (it restarted, or the connection "
				"reached another of its servers): sending it again\n",
			cli_name);
	}
	free(pks);
	if (rc != EX_OK)
		goto out;
	if (o->json) {
		char idb[32];
		b64(idb, sizeof idb, m.submission_id, 16);
		json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:b}", "status",
				      already ? "already_stored" : "stored", "kind",
				      m.kind == GD_KIND_FOLLOWUP ? "followup" : "testimony", "id", idb,
				      "bytes", (json_int_t)total, "replies_possible", !o->no_reply);
		if (wrote_codename)
			json_object_set_new(j, "codename_file", json_string(o->codename_out));
		char *js = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", js);
		free(js);
		json_decref(j);
	} else {
		fprintf(stderr, "Your %s reached the drop (%llu bytes, encrypted to %u journalist key%s).\n",
			m.kind == GD_KIND_FOLLOWUP ? "follow-up" : "testimony", (unsigned long long)total,
			n, n == 1 ? "" : "s");
		if (fresh && !wrote_codename)
			show_codename_once(codename);
		else if (wrote_codename)
			fprintf(stderr, "Your codename is in %s: move it somewhere safe.\n", o->codename_out);
	}
	rc = EX_OK;
out:
	if (rc != EX_OK && wrote_codename)
		unlink(o->codename_out); /* nothing was sent under it */
	if (text != NULL)
		sodium_free(text);
	if (codename != NULL)
		sodium_free(codename);
	if (keys != NULL)
		sodium_free(keys);
	outbox_reset(&ob);
	scratch_cleanup();
	free(atts);
	free(kinds);
	free(sources);
	free(cleaned);
	return rc;
}

/* ---- replies ---- */

#define REPLY_PAGES 256 /* fetch pages read at most (the drop holds max_mailbox_replies) */
#define REPLY_KEEP 100  /* authentic replies shown at most: the newest by their signed day */
#define ACK_MAX 10000   /* drop reply ids remembered for --ack */

/* One mailbox request (PROTOCOL.md §11.3): a proof of work for purpose mailbox, whose challenge
 * the mailbox key signs; extra holds the request's other fields (",\"k\":v..." or ""). */
static int mailbox_call(const gd_source_keys *k, const char *path, const char *extra,
			json_t **res)
{
	char pow[512], pk[64], sigb[128], *body;
	uint8_t ch[GD_POW_CHALLENGE_BYTES], sig[64];
	size_t cap = strlen(extra) + 256;
	int rc = POW_OUTDATED;
	if ((body = malloc(cap)) == NULL)
		return cli_die(EX_FAIL, "out of memory");
	for (int i = 0; i < RETRIES && rc == POW_OUTDATED; i++) {
		if ((rc = solve_pow("mailbox", 0, pow, sizeof pow)) != EX_OK)
			break;
		/* "X-Ghostdrop-PoW: CHALLENGE.COUNTER\r\n": the mailbox key signs the challenge bytes. */
		const char *c = pow + strlen("X-Ghostdrop-PoW: "), *dot = strchr(c, '.');
		size_t n = 0;
		if (dot == NULL || gd_b64_decode(ch, sizeof ch, &n, c, (size_t)(dot - c)) != GD_OK ||
		    n != sizeof ch) {
			rc = cli_die(EX_FAIL, "the drop sent a malformed challenge");
			break;
		}
		gd_mailbox_sign(sig, ch, sizeof ch, k->mailbox_sk);
		b64(pk, sizeof pk, k->mailbox_pk, 32);
		b64(sigb, sizeof sigb, sig, 64);
		snprintf(body, cap, "{\"mailbox_pk\":\"%s\",\"signature\":\"%s\"%s}", pk, sigb, extra);
		rc = call_json("POST", path, pow, (const uint8_t *)body, strlen(body), res, 200);
	}
	free(body);
	return rc == POW_OUTDATED ? pow_outdated_die() : rc;
}

typedef struct {
	uint8_t id[16];
	uint32_t day;
	size_t journalist;
	int older_key;
	char *text;
} shown_reply;

typedef struct {
	shown_reply keep[REPLY_KEEP];
	size_t n_keep;
	uint8_t (*ack)[16]; /* drop ids of everything read, junk included: --ack clears junk too */
	size_t n_ack;
	int forged, malformed, dropped;
} reply_reader;

/* Keep an opened reply if it is new and among the REPLY_KEEP newest; takes rep's text. */
static void reply_keep(reply_reader *rr, gd_reply *rep)
{
	size_t oldest = 0;
	for (size_t i = 0; i < rr->n_keep; i++) {
		if (sodium_memcmp(rr->keep[i].id, rep->reply_id, 16) == 0)
			return; /* the same reply twice (several backends, or pushed twice) */
		if (rr->keep[i].day < rr->keep[oldest].day)
			oldest = i;
	}
	shown_reply *s = &rr->keep[rr->n_keep];
	if (rr->n_keep == REPLY_KEEP) {
		rr->dropped++;
		if (rr->keep[oldest].day >= rep->day)
			return;
		s = &rr->keep[oldest];
		sodium_memzero(s->text, strlen(s->text));
		free(s->text);
	} else {
		rr->n_keep++;
	}
	memcpy(s->id, rep->reply_id, 16);
	s->day = rep->day;
	s->journalist = rep->journalist;
	s->older_key = rep->older_key;
	s->text = rep->text;
	rep->text = NULL;
}

/* One page of the fetch answer: every entry is verified; junk is counted, never kept. */
static void reply_page_read(reply_reader *rr, json_t *list, const gd_source_keys *keys)
{
	json_t *v;
	size_t i;
	json_array_foreach(list, i, v)
	{
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *bl = json_string_value(json_object_get(v, "reply"));
		if (id != NULL && rr->n_ack < ACK_MAX &&
		    gd_b64_decode_exact(rr->ack[rr->n_ack], 16, id) == GD_OK)
			rr->n_ack++;
		size_t cap = bl ? strlen(bl) : 0, len = 0;
		uint8_t *blob = malloc(cap + 1);
		gd_reply rep;
		if (blob == NULL || bl == NULL || gd_b64_decode(blob, cap, &len, bl, cap) != GD_OK) {
			rr->malformed++;
			free(blob);
			continue;
		}
		int r = gd_reply_open(&rep, blob, len, keys, bundle);
		free(blob);
		if (r == GD_ERR_FORGED) {
			rr->forged++;
			continue;
		}
		if (r != GD_OK) {
			rr->malformed++;
			continue;
		}
		reply_keep(rr, &rep);
		gd_reply_clear(&rep);
	}
}

static int by_day(const void *a, const void *b)
{
	const shown_reply *x = a, *y = b;
	return x->day < y->day ? -1 : x->day > y->day;
}

/* --ack: every id read, 100 per request (the drop's limit). */
static int reply_ack_all(const reply_reader *rr, const gd_source_keys *keys)
{
	char *extra = malloc(100 * 30 + 16);
	int rc = EX_OK;
	if (extra == NULL)
		return cli_die(EX_FAIL, "out of memory");
	for (size_t i = 0; i < rr->n_ack && rc == EX_OK; i += 100) {
		size_t len = (size_t)snprintf(extra, 16, ",\"ids\":[");
		for (size_t k = i; k < rr->n_ack && k < i + 100; k++) {
			char idb[32];
			b64(idb, sizeof idb, rr->ack[k], 16);
			len += (size_t)snprintf(extra + len, 100 * 30 + 16 - len, "%s\"%s\"",
						k > i ? "," : "", idb);
		}
		snprintf(extra + len, 100 * 30 + 16 - len, "]");
		json_t *res;
		if ((rc = mailbox_call(keys, "/v1/mailbox/ack", extra, &res)) == EX_OK)
			json_decref(res);
	}
	free(extra);
	return rc;
}

static int cmd_replies(opts *o)
{
	char *codename = NULL;
	gd_source_keys *keys = NULL;
	json_t *res = NULL, *shown = json_array();
	reply_reader *rr = calloc(1, sizeof *rr);
	int rc, pages = 0, acked = 0;
	if (o->codename_file == NULL && !o->codename_prompt) {
		free(rr);
		json_decref(shown);
		return cli_die(EX_USAGE, "replies need your codename: --codename-file F or --codename");
	}
	if (rr == NULL || (rr->ack = malloc(ACK_MAX * sizeof *rr->ack)) == NULL) {
		rc = cli_die(EX_FAIL, "out of memory");
		goto out;
	}
	if ((rc = verify_drop(o)) != EX_OK)
		goto out;
	codename = sodium_malloc(GD_CODENAME_MAX);
	keys = sodium_malloc(sizeof *keys);
	if ((rc = load_codename(o, codename)) != EX_OK)
		goto out;
	if (gd_codename_derive(keys, codename, newsroom_pk) != GD_OK) {
		rc = cli_die(EX_FAIL, "could not derive the keys (out of memory?)");
		goto out;
	}
	/* Page through the whole mailbox (§11.3): junk pushed with a stolen courier token can
	 * neither hide the newsroom's replies nor make one answer too large to read. */
	char extra[64] = "";
	for (;;) {
		if ((rc = mailbox_call(keys, "/v1/mailbox/fetch", extra, &res)) != EX_OK)
			goto out;
		reply_page_read(rr, json_object_get(res, "replies"), keys);
		const char *next = json_string_value(json_object_get(res, "next"));
		if (next == NULL || strlen(next) > 24)
			break;
		if (++pages == REPLY_PAGES) {
			fprintf(stderr, "ghostdrop: warning: the mailbox holds more than could be read\n");
			break;
		}
		snprintf(extra, sizeof extra, ",\"cursor\":\"%s\"", next);
		json_decref(res);
		res = NULL;
	}
	qsort(rr->keep, rr->n_keep, sizeof rr->keep[0], by_day);
	for (size_t i = 0; i < rr->n_keep; i++) {
		const shown_reply *sr = &rr->keep[i];
		const gd_journalist *j = &bundle->journalists[sr->journalist];
		json_array_append_new(shown, json_pack("{s:s, s:b, s:i, s:s}", "journalist", j->name,
						       "older_key", sr->older_key, "day", (int)sr->day,
						       "text", sr->text));
		if (!o->json) {
			time_t t = (time_t)sr->day * 86400;
			char day[16];
			strftime(day, sizeof day, "%Y-%m-%d", gmtime(&t));
			printf("--- from %s%s, %s\n%s\n", j->name, sr->older_key ? " (older key)" : "", day,
			       sr->text);
		}
	}
	if (!o->json) {
		if (rr->n_keep == 0)
			fprintf(stderr, "No replies yet.\n");
		if (rr->dropped > 0)
			fprintf(stderr, "ghostdrop: warning: only the %d newest replies are shown\n",
				REPLY_KEEP);
		if (rr->forged > 0)
			fprintf(stderr, "ghostdrop: warning: %d repl%s did not come from a journalist of the "
					"newsroom's bundle and %s not shown (forged?)\n",
				rr->forged, rr->forged == 1 ? "y" : "ies", rr->forged == 1 ? "was" : "were");
		if (rr->malformed > 0)
			fprintf(stderr, "ghostdrop: warning: %d repl%s could not be read (damaged or junk) "
					"and %s not shown\n",
				rr->malformed, rr->malformed == 1 ? "y" : "ies",
				rr->malformed == 1 ? "was" : "were");
	}
	if (o->ack && rr->n_ack > 0) {
		if ((rc = reply_ack_all(rr, keys)) != EX_OK)
			goto out;
		acked = 1;
	}
	if (o->json) {
		json_t *j = json_pack("{s:O, s:i, s:i, s:b}", "replies", shown, "forged", rr->forged,
				      "malformed", rr->malformed, "acknowledged", acked);
		char *js = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", js);
		free(js);
		json_decref(j);
	}
	rc = EX_OK;
out:
	json_decref(res);
	json_decref(shown);
	if (rr != NULL) {
		for (size_t i = 0; i < rr->n_keep; i++) {
			sodium_memzero(rr->keep[i].text, strlen(rr->keep[i].text));
			free(rr->keep[i].text);
		}
		free(rr->ack);
		free(rr);
	}
	if (codename != NULL)
		sodium_free(codename);
	if (keys != NULL)
		sodium_free(keys);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"server", required_argument, NULL, 's'},       {"newsroom", required_argument, NULL, 'n'},
		{"message-file", required_argument, NULL, 'm'}, {"codename-out", required_argument, NULL, 'O'},
		{"codename-file", required_argument, NULL, 'C'}, {"codename", no_argument, NULL, 'c'},
		{"no-reply", no_argument, NULL, 'R'},           {"proxy", required_argument, NULL, 'p'},
		{"clearnet", no_argument, NULL, 'K'},           {"unlisted-server", no_argument, NULL, 'U'},
		{"min-bundle-version", required_argument, NULL, 'V'},
		{"state-dir", required_argument, NULL, 'S'},    {"json", no_argument, NULL, 'j'},
		{"ack", no_argument, NULL, 'a'},                {"keep-metadata", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},               {NULL, 0, NULL, 0}};
	opts o;
	int c;
	char *end;
	if (cli_harden() != 0)
		return cli_die(EX_FAIL, "cannot turn core dumps off: %s", strerror(errno));
	memset(&o, 0, sizeof o);
	if (argc < 2) {
		fputs(USAGE, stderr);
		return EX_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(USAGE, stdout);
		return EX_OK;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.server = optarg; break;
		case 'n': o.newsroom = optarg; break;
		case 'm': o.message_file = optarg; break;
		case 'O': o.codename_out = optarg; break;
		case 'C': o.codename_file = optarg; break;
		case 'c': o.codename_prompt = 1; break;
		case 'R': o.no_reply = 1; break;
		case 'p': o.proxy = optarg; break;
		case 'K': o.clearnet = 1; break;
		case 'U': o.unlisted = 1; break;
		case 'S': o.state_dir = optarg; break;
		case 'j': o.json = 1; break;
		case 'a': o.ack = 1; break;
		case 'k': o.keep_metadata = 1; break;
		case 'V':
			errno = 0;
			o.min_version = strtoull(optarg, &end, 10);
			if (errno || *end != '\0' || optarg[0] == '-')
				return cli_die(EX_USAGE, "--min-bundle-version takes a number");
			break;
		case 'h': fputs(USAGE, stdout); return EX_OK;
		default: fputs(USAGE, stderr); return EX_USAGE;
		}
	}
	o.files = argv + optind;
	o.n_files = argc - optind;
	if (gd_init() != GD_OK)
		return cli_die(EX_FAIL, "libsodium failed to initialise");
	if (o.server == NULL || o.newsroom == NULL)
		return cli_die(EX_USAGE, "--server URL and --newsroom KEY are required");
	if (strcmp(cmd, "submit") == 0)
		return cmd_submit(&o);
	if (strcmp(cmd, "replies") == 0) {
		if (o.n_files > 0)
			return cli_die(EX_USAGE, "replies takes no files");
		return cmd_replies(&o);
	}
	return cli_die(EX_USAGE, "unknown command %s (submit, replies)", cmd);
}
