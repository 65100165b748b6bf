/* ghostdropd: the operator's command line (init, keys, token, serve, stats, purge, backup,
 * torrc). Exit codes: docs/ghostdropd.8. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "config.h"
#include "gdcrypto.h"
#include "http.h"
#include "log.h"
#include "sandbox.h"
#include "store.h"

/* EX_SOON: stats, the published bundle expires within --warn-days (monitoring: act now). */
enum { EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2, EX_VERIFY = 3, EX_EXISTS = 4, EX_SOON = 5 };
#define WARN_DAYS 7 /* stats: a bundle expiring within this many days exits EX_SOON */

static const char *prog = "ghostdropd";

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static void print_usage(FILE *f); /* from the command table, at the end */

static int usage(const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "%s: %s\n", prog, msg);
	print_usage(stderr);
	return EX_USAGE;
}

typedef struct {
	const char *data, *newsroom, *listen, *name, *port_file, *id, *user;
	int seccomp;
	long older_than, warn_days;
	int all, help, yes, json, version;
	int argc;
	char **argv; /* operands */
} opts;

/* One option parser for every subcommand; each checks what it needs. */
static int parse(int argc, char **argv, opts *o)
{
	static const struct option lo[] = {{"data", required_argument, NULL, 'd'},
					   {"newsroom", required_argument, NULL, 'n'},
					   {"listen", required_argument, NULL, 'l'},
					   {"name", required_argument, NULL, 'N'},
					   {"port-file", required_argument, NULL, 'p'},
					   {"id", required_argument, NULL, 'i'},
					   {"older-than", required_argument, NULL, 'o'},
					   {"all", no_argument, NULL, 'a'},
					   {"help", no_argument, NULL, 'h'},
					   {"user", required_argument, NULL, 'u'},
					   {"seccomp", no_argument, NULL, 'S'},
					   {"yes", no_argument, NULL, 'y'},
					   {"json", no_argument, NULL, 'J'},
					   {"warn-days", required_argument, NULL, 'w'},
					   {"version", no_argument, NULL, 'V'},
					   {NULL, 0, NULL, 0}};
	int c;
	char *end;
	memset(o, 0, sizeof *o);
	o->older_than = -1;
	o->warn_days = WARN_DAYS;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->data = optarg;
			break;
		case 'n':
			o->newsroom = optarg;
			break;
		case 'l':
			o->listen = optarg;
			break;
		case 'N':
			o->name = optarg;
			break;
		case 'p':
			o->port_file = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'S':
			o->seccomp = 1;
			break;
		case 'i':
			o->id = optarg;
			break;
		case 'a':
			o->all = 1;
			break;
		case 'h':
			o->help = 1;
			break;
		case 'y':
			o->yes = 1;
			break;
		case 'J':
			o->json = 1;
			break;
		case 'V':
			o->version = 1;
			break;
		case 'w':
			errno = 0;
			o->warn_days = strtol(optarg, &end, 10);
			if (errno || *end != '\0' || end == optarg || o->warn_days < 0 ||
			    o->warn_days > 365) {
				fprintf(stderr, "%s: --warn-days is a number of days, 0..365\n",
					prog);
				return -1;
			}
			break;
		case 'o':
			errno = 0;
			o->older_than = strtol(optarg, &end, 10);
			if (errno || *end != '\0' || o->older_than < 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	o->argc = argc - optind;
	o->argv = argv + optind;
	return 0;
}

static void path_in(char *out, size_t cap, const char *dir, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static int load(const opts *o, gd_config *cfg, uint8_t pk[32])
{
	char path[PATH_MAX], err[512];
	struct stat sb;
	if (o->data == NULL)
		return usage("--data DIR is required");
	path_in(path, sizeof path, o->data, "ghostdropd.conf");
	if (stat(path, &sb) != 0 && errno == ENOENT)
		return fail(EX_FAIL, "%s: not a drop: run ghostdropd init --data %s --newsroom KEY",
			    o->data, o->data);
	if (config_load(cfg, path, err, sizeof err) != 0)
		return fail(EX_FAIL, "%s", err);
	if (gd_keystring_decode(pk, cfg->newsroom) != GD_OK)
		return fail(EX_FAIL, "%s: newsroom key is invalid", path);
	return EX_OK;
}

static int open_store(const opts *o, const gd_config *cfg, store **st)
{
	char path[PATH_MAX];
	path_in(path, sizeof path, o->data, "db");
	if (store_open(st, path, cfg->map_size, cfg->high_water_percent) != STORE_OK)
		return fail(EX_FAIL, "cannot open the database in %s", path);
	return EX_OK;
}

static int sync_op(store *st, store_op *op)
{
	if (op == NULL)
		return STORE_ERROR;
	int rc = store_apply_sync(st, op);
	store_op_free(op);
	return rc;
}

/* What init leaves to do (OPERATOR.md, sections 3 to 5). Run through sudo as another user
 * (SUDO_USER set, not root: `sudo -u ghostdrop ghostdropd init ...`), each line is written as
 * that user with this program's full path, so that it works when copied by the operator, whose
 * PATH may lack /usr/sbin and who must not run them as root. */
static void print_next(const char *data)
{
	char exe[PATH_MAX], pre[128] = "";
	const char *self = "ghostdropd";
	const struct passwd *pw;
	if (getenv("SUDO_USER") != NULL && geteuid() != 0 && (pw = getpwuid(geteuid())) != NULL) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (n > 0) {
			exe[n] = '\0';
			self = exe;
		}
		snprintf(pre, sizeof pre, "sudo -u %s ", pw->pw_name);
	}
	printf("Next (OPERATOR.md, sections 3 to 5): a courier token; the onion service, whose\n"
	       "address goes to the newsroom; the bundle it signs for that address; the start:\n"
	       "  %s%s token add --data %s --name NAME\n"
	       "  %s%s torrc --data %s\n"
	       "  %s%s keys publish --data %s BUNDLE\n"
	       "  sudo systemctl start ghostdropd    (the package's service)\n",
	       pre, self, data, pre, self, data, pre, self, data);
}

static int cmd_init(const opts *o)
{
	gd_config cfg;
	uint8_t pk[32];
	char path[PATH_MAX];
	struct stat sb;
	if (o->help || o->data == NULL || o->newsroom == NULL || o->argc != 0)
		return usage(o->help ? NULL : "init needs --data DIR and --newsroom KEY");
	if (gd_keystring_decode(pk, o->newsroom) != GD_OK)
		return fail(EX_USAGE, "--newsroom: not a valid newsroom key (typo?)");
	config_defaults(&cfg);
	snprintf(cfg.newsroom, sizeof cfg.newsroom, "%s", o->newsroom);
	if (o->listen != NULL && config_set_listen(&cfg, o->listen) != 0)
		return fail(EX_USAGE, "--listen must be HOST:PORT");
	if (mkdir(o->data, 0700) != 0 && errno != EEXIST)
		return fail(EX_FAIL, "%s: %s", o->data, strerror(errno));
	path_in(path, sizeof path, o->data, "ghostdropd.conf");
	if (lstat(path, &sb) == 0)
		return fail(EX_EXISTS, "%s exists: this drop is initialised already", path);
	if (chmod(o->data, 0700) != 0)
		return fail(EX_FAIL, "%s: %s", o->data, strerror(errno));
	path_in(path, sizeof path, o->data, "db");
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return fail(EX_FAIL, "%s: %s", path, strerror(errno));
	store *st;
	if (open_store(o, &cfg, &st) != EX_OK)
		return EX_FAIL;
	uint8_t *copy = malloc(sizeof pk);
	if (copy == NULL) {
		store_close(st);
		return fail(EX_FAIL, "out of memory");
	}
	memcpy(copy, pk, sizeof pk);
	int rc = sync_op(st, store_op_meta_put("newsroom_pk", copy, sizeof pk));
	store_close(st);
	if (rc != STORE_OK)
		return fail(EX_FAIL, "cannot write the database");
	char *text = config_render(&cfg);
	if (text == NULL)
		return fail(EX_FAIL, "out of memory");
	path_in(path, sizeof path, o->data, "ghostdropd.conf");
	FILE *f = fopen(path, "wx");
	if (f == NULL || fputs(text, f) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0 ||
	    fchmod(fileno(f), 0600) != 0) {
		free(text);
		if (f)
			fclose(f);
		return fail(EX_FAIL, "%s: %s", path, strerror(errno));
	}
	fclose(f);
	free(text);
	printf("initialised %s (listen %s:%u).\n", o->data, cfg.listen_host, cfg.listen_port);
	print_next(o->data);
	return EX_OK;
}

static int cmd_keys(const opts *o)
{
	gd_config cfg;
	uint8_t pk[32];
	if (o->help || o->argc != 2 || strcmp(o->argv[0], "publish") != 0)
		return usage(o->help ? NULL : "usage: keys publish --data DIR BUNDLE");
	int rc = load(o, &cfg, pk);
	if (rc != EX_OK)
		return rc;
	FILE *f = fopen(o->argv[1], "rb");
	if (f == NULL)
		return fail(EX_FAIL, "%s: %s", o->argv[1], strerror(errno));
	uint8_t *buf = malloc(GD_BUNDLE_MAX_JSON + 1024);
	if (buf == NULL) {
		fclose(f);
		return fail(EX_FAIL, "out of memory");
	}
	size_t len = fread(buf, 1, GD_BUNDLE_MAX_JSON + 1024, f);
	fclose(f);
	store *st;
	if (open_store(o, &cfg, &st) != EX_OK) {
		free(buf);
		return EX_FAIL;
	}
	uint8_t *cur = NULL;
	size_t cur_len = 0;
	uint64_t min = 0;
	gd_bundle *b = calloc(1, sizeof *b), *old = calloc(1, sizeof *old);
	if (b == NULL || old == NULL) {
		store_close(st);
		free(buf);
		free(b);
		free(old);
		return fail(EX_FAIL, "out of memory");
	}
	if (store_get_meta(st, "bundle", &cur, &cur_len) == STORE_OK &&
	    gd_bundle_verify(old, cur, cur_len, pk, 0, 0) != GD_ERR_SIGNATURE && old->version > 0)
		min = old->version;
	rc = gd_bundle_verify(b, buf, len, pk, (int64_t)time(NULL), min);
	if (rc == GD_OK && b->version == min && (cur_len != len || memcmp(cur, buf, len) != 0))
		rc = GD_ERR_ROLLBACK; /* the same version with other contents */
	if (rc != GD_OK) {
		store_close(st);
		free(buf);
		free(cur);
		free(b);
		free(old);
		if (rc == GD_ERR_FORMAT || rc == GD_ERR_VERSION)
			return fail(
				EX_VERIFY,
				"%s is not a key bundle (ghostdrop-desk bundle sign makes one); "
				"nothing was published",
				o->argv[1]);
		return fail(EX_VERIFY, "%s: refused: %s%s", o->argv[1], gd_strerror(rc),
			    rc == GD_ERR_SIGNATURE ? " (not signed by this drop's newsroom key)"
						   : "");
	}
	rc = sync_op(st, store_op_meta_put("bundle", buf, len));
	store_close(st);
	free(cur);
	if (rc != STORE_OK) {
		free(b);
		free(old);
		return fail(EX_FAIL, "cannot write the database");
	}
	char day[32];
	time_t exp = (time_t)b->expires;
	strftime(day, sizeof day, "%Y-%m-%d", gmtime(&exp));
	size_t valid = 0;
	for (size_t i = 0; i < b->n_journalists; i++)
		valid += (size_t)b->valid[i];
	printf("published key bundle v%llu: %zu encryption key(s), expires %s\n",
	       (unsigned long long)b->version, valid, day);
	free(b);
	free(old);
	return EX_OK;
}

static int print_name(void *arg, const char *name)
{
	(void)arg;
	printf("%s\n", name);
	return 0;
}

static int cmd_token(const opts *o)
{
	gd_config cfg;
	uint8_t pk[32];
	store *st;
	if (o->help || o->argc < 1)
		return usage(o->help ? NULL : "usage: token add|list|revoke --data DIR ...");
	const char *sub = o->argv[0];
	int add = strcmp(sub, "add") == 0, list = strcmp(sub, "list") == 0,
	    revoke = strcmp(sub, "revoke") == 0;
	if ((add && (o->name == NULL || o->argc != 1)) || (list && o->argc != 1) ||
	    (revoke && o->argc != 2) || (!add && !list && !revoke))
		return usage("usage: token add --name NAME | token list | token revoke NAME");
	const char *name = add ? o->name : revoke ? o->argv[1] : NULL;
	if (name != NULL && !gd_name_valid(name))
		return fail(EX_USAGE, "a token name is 1-64 of [A-Za-z0-9 ._-]");
	int rc = load(o, &cfg, pk);
	if (rc != EX_OK || (rc = open_store(o, &cfg, &st)) != EX_OK)
		return rc;
	if (list) {
		store_token_list(st, print_name, NULL);
		store_close(st);
		return EX_OK;
	}
	uint8_t *token = sodium_malloc(GD_COURIER_TOKEN_BYTES), hash[crypto_generichash_BYTES];
	if (token == NULL) {
		store_close(st);
		return fail(EX_FAIL, "out of memory");
	}
	randombytes_buf(token, GD_COURIER_TOKEN_BYTES);
	gd_courier_token_hash(hash, token);
	rc = sync_op(st, add ? store_op_token_put(name, hash) : store_op_token_del(name));
	store_close(st);
	if (rc == STORE_EXISTS || rc == STORE_NOT_FOUND) {
		sodium_free(token);
		return fail(rc == STORE_EXISTS ? EX_EXISTS : EX_FAIL, "token '%s' %s", name,
			    rc == STORE_EXISTS ? "exists already" : "does not exist");
	}
	if (rc != STORE_OK) {
		sodium_free(token);
		return fail(EX_FAIL, "cannot write the database");
	}
	if (add) {
		char b64[64];
		gd_b64_encode(b64, sizeof b64, token, GD_COURIER_TOKEN_BYTES);
		printf("%s\n", b64);
		fprintf(stderr, "%s: courier token '%s' created; it is shown only this once\n",
			prog, name);
		sodium_memzero(b64, sizeof b64);
	} else {
		fprintf(stderr, "%s: courier token '%s' revoked\n", prog, name);
	}
	sodium_free(token);
	return EX_OK;
}

static void no_core_dumps(void)
{
	/* Nothing of a running drop should ever land in a core file. */
	struct rlimit rl = {0, 0};
	if (setrlimit(RLIMIT_CORE, &rl) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		log_msg(LOG_WARN, "could not disable core dumps");
}

/* Freed memory stays in the heap for reuse while uploads go on: a stored chunk's body and
 * LMDB's dirty pages for it (malloc'd afresh in every transaction) are freed after each commit,
 * and glibc gave them back to the kernel as soon as about 2 MiB lay free at the heap's top, so
 * with a few uploads at once every stored MiB was faulted in afresh: 40-150 page faults and,
 * with four uploads at once, 5.0-6.6 ms of the drop's CPU per MiB instead of 2.9-3.1
 * (BENCHMARKS.md, issue 20). The heap's free top is kept up to `bytes`, the body memory budget,
 * which the drop may fill anyway. glibc applies that threshold to each heap (arena) apart, and
 * the bodies are freed on the event loop's thread, LMDB's pages on the writer's: with a heap
 * each, twice the budget stayed after a burst (27-30 MiB at 16), and malloc_trim does not
 * shrink a thread's heap, only the main one. So both threads share the main heap (a few
 * mallocs per chunk: no contention seen, bench/server uploads 4). Allocations up to 32 MiB
 * (glibc's most) come from the heap, larger ones are mapped. trim_when_quiet gives it all back
 * once uploads pause. */
static void keep_freed_memory(size_t bytes)
{
#if defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD) && defined(M_ARENA_MAX)
	if (bytes > INT_MAX)
		bytes = INT_MAX;
	if (mallopt(M_ARENA_MAX, 1) != 1 || mallopt(M_MMAP_THRESHOLD, 32 << 20) != 1 ||
	    mallopt(M_TRIM_THRESHOLD, (int)bytes) != 1)
		log_msg(LOG_WARN, "could not set the heap's trim threshold");
#else
	(void)bytes;
#endif
}

#define TRIM_QUIET 2 /* seconds without a new request body before the heap is trimmed */

typedef struct {
	http_server *srv;
	api *a;
	unsigned long long bodies; /* http_bodies at the last tick */
	int quiet;                 /* seconds since a body last came; -1: trimmed since */
} heap_trim;

/* Every second: once no request body has come for TRIM_QUIET seconds and the writer has
 * committed everything, the heap's free memory goes back to the kernel (malloc_trim also
 * releases free blocks between live ones, which the trim threshold never does: 5-24 MiB of
 * them stayed after a burst at a 16 MiB budget). A burst keeps its memory for as long as it
 * lasts; an idle drop holds none of it. */
static void trim_when_quiet(void *arg)
{
	heap_trim *t = arg;
	unsigned long long n = http_bodies(t->srv);
	if (n != t->bodies) {
		t->bodies = n;
		t->quiet = 0;
	} else if (t->quiet >= 0 && ++t->quiet >= TRIM_QUIET && api_idle(t->a)) {
#if defined(__GLIBC__)
		malloc_trim(0);
#endif
		t->quiet = -1;
	}
}

/* Become `user` for good: supplementary groups, group, user, and no way back. */
static int drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);
	if (pw == NULL)
		return fail(EX_USAGE, "--user %s: no such user", user);
	if (pw->pw_uid == 0)
		return fail(EX_USAGE, "--user must name an unprivileged user, not %s", user);
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0 ||
	    getuid() != pw->pw_uid || geteuid() != pw->pw_uid || getegid() != pw->pw_gid ||
	    setuid(0) == 0)
		return fail(EX_FAIL, "could not drop privileges to %s", user);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		log_msg(LOG_WARN, "could not set no_new_privs");
	return EX_OK;
}

/* The published bundle as a source meets it now: what stats and serve say of it. */
typedef struct {
	const char *state; /* ok, expires_soon, expired, missing, invalid */
	int rc;            /* gd_bundle_verify's */
	unsigned long long version;
	long days; /* whole days left; negative once expired */
	char day[16];
} bundle_view;

static void bundle_look(store *st, const uint8_t pk[32], long warn_days, bundle_view *v)
{
	uint8_t *raw = NULL;
	size_t len;
	int64_t now = (int64_t)time(NULL);
	memset(v, 0, sizeof *v);
	v->state = "missing";
	if (store_get_meta(st, "bundle", &raw, &len) != STORE_OK)
		return;
	gd_bundle *b = calloc(1, sizeof *b);
	v->rc = b != NULL ? gd_bundle_verify(b, raw, len, pk, now, 0) : GD_ERR_NOMEM;
	free(raw);
	if (b == NULL) {
		v->state = "invalid";
		return;
	}
	time_t t = (time_t)b->expires;
	strftime(v->day, sizeof v->day, "%Y-%m-%d", gmtime(&t));
	v->version = (unsigned long long)b->version;
	v->days = (long)((b->expires - now) / 86400);
	free(b);
	v->state = v->rc == GD_ERR_EXPIRED || v->days < 0 ? "expired"
		   : v->rc != GD_OK                       ? "invalid"
		   : v->days < warn_days                  ? "expires_soon"
							  : "ok";
}

/* serve's first words, on stdout: where it listens, and until when sources can submit (the
 * log, stderr, never holds an address; it gets the bundle's warning). */
/* The submission page: "on", "off" (web_page = off) or "not_built" (meson -Dweb). */
static const char *web_state(const gd_config *cfg)
{
	return !api_web_built() ? "not_built" : cfg->web_page ? "on" : "off";
}

static void say_start(const gd_config *cfg, uint16_t port, store *st, const uint8_t pk[32])
{
	bundle_view v;
	char what[200];
	bundle_look(st, pk, WARN_DAYS, &v);
	if (strcmp(v.state, "missing") == 0 || strcmp(v.state, "invalid") == 0)
		snprintf(what, sizeof what,
			 "no valid key bundle published: sources cannot submit (ghostdropd keys "
			 "publish)");
	else
		snprintf(what, sizeof what, "key bundle v%llu expires %s%s", v.version, v.day,
			 strcmp(v.state, "expired") == 0 ? ": EXPIRED, sources cannot submit"
			 : strcmp(v.state, "expires_soon") == 0
				 ? " (soon: the newsroom signs a new one, ghostdrop-desk bundle "
				   "sign)"
				 : "");
	printf("%s: listening on http://%s:%u; %s\n", prog, cfg->listen_host, port, what);
	fflush(stdout);
	if (strcmp(v.state, "ok") != 0)
		log_msg(LOG_WARN, "%s", what);
}

static int cmd_serve(const opts *o)
{
	gd_config cfg;
	uint8_t pk[32];
	store *st;
	uint16_t port;
	if (o->help || o->argc != 0)
		return usage(
			o->help ? NULL
				: "usage: serve --data DIR [--listen HOST:PORT] [--user NAME]");
	/* A drop parses what anonymous strangers send: never as root. */
	if (geteuid() == 0 && o->user == NULL)
		return fail(EX_USAGE,
			    "refusing to serve as root: give --user NAME (an unprivileged user "
			    "that owns --data; the drop switches to it right after binding)");
	if (geteuid() != 0 && o->user != NULL)
		return fail(EX_USAGE,
			    "--user needs root to switch users; run without it as the user itself");
	int rc = load(o, &cfg, pk);
	if (rc != EX_OK)
		return rc;
	if (o->listen != NULL && config_set_listen(&cfg, o->listen) != 0)
		return fail(EX_USAGE, "--listen must be HOST:PORT");
	no_core_dumps();
	signal(SIGPIPE, SIG_IGN);
	int lfd = http_bind(cfg.listen_host, cfg.listen_port, &port);
	if (lfd < 0)
		return EX_FAIL; /* http_bind said why (the port in use, ...) */
	if (o->user != NULL) {
		if ((rc = drop_privileges(o->user)) != EX_OK) {
			close(lfd);
			return rc;
		}
		no_core_dumps(); /* changing users resets the dumpable flag */
	}
	if ((rc = open_store(o, &cfg, &st)) != EX_OK) {
		close(lfd);
		return rc;
	}
	/* the largest body a route accepts (a courier reply is at most 256 KiB) */
	size_t body_max = cfg.chunk_size > cfg.max_submit ? cfg.chunk_size : cfg.max_submit;
	if (body_max < (256u << 10))
		body_max = 256u << 10;
	http_limits lim = {cfg.max_connections, cfg.header_timeout, cfg.body_timeout, 60, 16384,
			   cfg.first_byte_timeout,
			   /* a refused chunk or submission can still be sent whole */
			   (cfg.chunk_size > cfg.max_submit ? cfg.chunk_size : cfg.max_submit) +
				   65536,
			   /* one body of any route always fits */
			   cfg.body_memory > body_max ? (size_t)cfg.body_memory : body_max};
	keep_freed_memory(lim.body_memory);
	api *a = api_new(st, &cfg, pk);
	http_handler h = api_handler(a);
	http_server *srv = a ? http_server_new(&lim, &h) : NULL;
	heap_trim trim = {srv, a, 0, 0};
	if (srv == NULL || http_listen_fd(srv, lfd) != 0 || api_attach(a, srv) != 0 ||
	    http_every(srv, 1, trim_when_quiet, &trim) != 0) {
		if (srv == NULL)
			close(lfd);
		http_server_free(srv);
		api_free(a);
		store_close(st);
		return fail(EX_FAIL, "cannot start serving");
	}
	say_start(&cfg, port, st, pk); /* before the sandbox, and before the port file says "up" */
	if (o->port_file != NULL) {
		FILE *f = fopen(o->port_file, "w");
		if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0)
			log_msg(LOG_WARN, "cannot write %s", o->port_file);
	}
	/* Jansson seeds its hash function from /dev/urandom on first use: before the sandbox. */
	json_object_seed(0);
	if (o->seccomp && sandbox_enter() != 0) {
		store_close(st);
		http_server_free(srv);
		api_free(a);
		return fail(EX_FAIL, "cannot enter the system-call sandbox (--seccomp)");
	}
	log_msg(LOG_INFO, "serving (port %u)%s; web page %s", port, o->seccomp ? ", sandboxed" : "",
		strcmp(web_state(&cfg), "not_built") == 0 ? "not built" : web_state(&cfg));
	rc = http_run(srv, api_idle, a);
	/* The writer commits what is queued before store_close returns. */
	store_close(st);
	http_server_free(srv);
	api_free(a);
	log_msg(LOG_INFO, "stopped");
	return rc == 0 ? EX_OK : EX_FAIL;
}

typedef struct {
	uint32_t today, oldest_unfetched;
	uint64_t n, unfetched, bytes;
	uint32_t days[8];
	uint64_t per_day[8];
	size_t n_days;
} stats;

static int count_one(void *arg, const store_submission *s)
{
	stats *t = arg;
	t->n++;
	t->bytes += s->size;
	if (s->fetched_day == 0) {
		t->unfetched++;
		if (t->oldest_unfetched == 0 || s->received_day < t->oldest_unfetched)
			t->oldest_unfetched = s->received_day;
	}
	if (s->received_day + 7 >= t->today) {
		size_t i;
		for (i = 0; i < t->n_days && t->days[i] != s->received_day; i++)
			;
		if (i == t->n_days && t->n_days < 8)
			t->days[t->n_days++] = s->received_day;
		if (i < 8)
			t->per_day[i]++;
	}
	return 0;
}

static void stats_text(const opts *o, const stats *t, const uint64_t use[3], const bundle_view *v)
{
	printf("submissions: %llu (%llu not yet fetched by a courier)\n", (unsigned long long)t->n,
	       (unsigned long long)t->unfetched);
	for (size_t i = 0; i < t->n_days; i++)
		printf("  received %u day(s) ago: %llu\n", t->today - t->days[i],
		       (unsigned long long)t->per_day[i]);
	if (t->unfetched > 0)
		printf("oldest unfetched submission: %u day(s) old\n",
		       t->today - t->oldest_unfetched);
	printf("storage: %.1f MiB used of %.1f MiB (new data refused past %.1f MiB)\n",
	       (double)use[0] / 1048576, (double)use[1] / 1048576, (double)use[2] / 1048576);
	/* the operator cannot sign a bundle: the newsroom does (ghostdrop-desk bundle sign) */
	if (strcmp(v->state, "missing") == 0)
		printf("WARNING: no key bundle published: sources cannot submit\n");
	else if (strcmp(v->state, "expired") == 0)
		printf("WARNING: the key bundle v%llu has EXPIRED: sources cannot submit; ask the "
		       "newsroom for a new signed bundle, then: ghostdropd keys publish --data %s "
		       "FILE\n",
		       v->version, o->data);
	else if (strcmp(v->state, "invalid") == 0)
		printf("WARNING: the key bundle does not verify: %s\n", gd_strerror(v->rc));
	else if (strcmp(v->state, "expires_soon") == 0)
		printf("key bundle v%llu expires in %ld day(s) (within %ld days: exit 5): WARNING: "
		       "the newsroom signs a new one (ghostdrop-desk bundle sign), then: "
		       "ghostdropd "
		       "keys publish --data %s FILE\n",
		       v->version, v->days, o->warn_days, o->data);
	else
		printf("key bundle v%llu expires in %ld day(s)\n", v->version, v->days);
}

static int stats_json(const opts *o, const stats *t, const uint64_t use[3], const bundle_view *v,
		      const char *web)
{
	json_t *days = json_array(), *bundle;
	for (size_t i = 0; i < t->n_days; i++)
		json_array_append_new(days, json_pack("{s:I, s:I}", "days_ago",
						      (json_int_t)(t->today - t->days[i]), "count",
						      (json_int_t)t->per_day[i]));
	int have = strcmp(v->state, "missing") != 0 && strcmp(v->state, "invalid") != 0;
	bundle = have ? json_pack("{s:s, s:I, s:s, s:I, s:I}", "state", v->state, "version",
				  (json_int_t)v->version, "expires", v->day, "days_left",
				  (json_int_t)v->days, "warn_days", (json_int_t)o->warn_days)
		      : json_pack("{s:s, s:I}", "state", v->state, "warn_days",
				  (json_int_t)o->warn_days);
	json_t *doc = json_pack(
		"{s:I, s:I, s:o, s:o, s:{s:I, s:I, s:I}, s:o}", "submissions", (json_int_t)t->n,
		"unfetched", (json_int_t)t->unfetched, "oldest_unfetched_days",
		t->unfetched ? json_integer(t->today - t->oldest_unfetched) : json_null(),
		"received_per_day", days, "storage", "used_bytes", (json_int_t)use[0], "map_bytes",
		(json_int_t)use[1], "high_water_bytes", (json_int_t)use[2], "bundle", bundle);
	if (doc != NULL)
		json_object_set_new(doc, "web_page", json_string(web));
	char *txt = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (txt == NULL)
		return fail(EX_FAIL, "out of memory");
	printf("%s\n", txt);
	free(txt);
	return EX_OK;
}

/* Counts only, and the bundle's state; the exit code is for a script or monitor: EX_VERIFY
 * when sources cannot submit, EX_SOON when the bundle expires within --warn-days. */
static int cmd_stats(const opts *o)
{
	gd_config cfg;
	uint8_t pk[32];
	store *st;
	bundle_view v;
	if (o->help || o->argc != 0)
		return usage(o->help ? NULL : "usage: stats --data DIR [--json] [--warn-days N]");
	int rc = load(o, &cfg, pk);
	if (rc != EX_OK || (rc = open_store(o, &cfg, &st)) != EX_OK)
		return rc;
	stats t = {.today = gd_day((int64_t)time(NULL))};
	uint64_t use[3];
	store_submission_list(st, count_one, &t);
	store_usage(st, &use[0], &use[1], &use[2]);
	bundle_look(st, pk, o->warn_days, &v);
	store_close(st);
	if (o->json) {
		if ((rc = stats_json(o, &t, use, &v, web_state(&cfg))) != EX_OK)
			return rc;
	} else {
		stats_text(o, &t, use, &v);
		printf("web page: %s\n", !api_web_built()
						 ? "not built (scripts/web-deps, then rebuild)"
					 : cfg.web_page ? "served at /"
							: "off (web_page = off)");
	}
	return strcmp(v.state, "ok") == 0             ? EX_OK
	       : strcmp(v.state, "expires_soon") == 0 ? EX_SOON
						      : EX_VERIFY;
}

/* purge --all on a terminal: the count, and "yes" typed (nothing to ask when it is empty). */
static int purge_confirmed(store *st)
{
	stats t = {.today = gd_day((int64_t)time(NULL))};
	char line[32];
	store_submission_list(st, count_one, &t);
	if (t.n == 0)
		return 1;
	fprintf(stderr,
		"Delete all %llu submission(s) (%llu not yet fetched)? This cannot be undone.\n"
		"Type yes to delete them: ",
		(unsigned long long)t.n, (unsigned long long)t.unfetched);
	fflush(stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "yes") == 0;
}

static int cmd_purge(const opts *o)
{
	gd_config cfg;
	uint8_t pk[32];
	store *st;
	int modes = (o->id != NULL) + (o->older_than >= 0) + o->all;
	if (o->help || o->argc != 0 || modes != 1)
		return usage(o->help ? NULL
				     : "purge needs exactly one of --id, --older-than, --all");
	store_op *op;
	if (o->id != NULL) {
		uint8_t id[STORE_ID];
		if (gd_b64_decode_exact(id, sizeof id, o->id) != GD_OK)
			return fail(EX_USAGE, "--id: a submission id is 16 bytes, base64url");
		op = store_op_purge_one(id);
	} else if (o->older_than >= 0) {
		uint32_t today = gd_day((int64_t)time(NULL)), days = (uint32_t)o->older_than;
		op = store_op_purge_before(days >= today ? 1 : today - days);
	} else {
		op = store_op_purge_before(0); /* --all */
	}
	if (op == NULL)
		return fail(EX_FAIL, "out of memory");
	if (o->all && !o->yes && !isatty(STDIN_FILENO)) {
		store_op_free(op);
		return fail(EX_USAGE, "purge --all deletes every submission: run it on a terminal "
				      "to confirm, or add --yes; nothing was deleted");
	}
	int rc = load(o, &cfg, pk);
	if (rc != EX_OK || (rc = open_store(o, &cfg, &st)) != EX_OK) {
		store_op_free(op);
		return rc;
	}
	if (o->all && !o->yes && !purge_confirmed(st)) {
		store_op_free(op);
		store_close(st);
		return fail(EX_FAIL, "not confirmed: nothing was deleted");
	}
	rc = store_apply_sync(st, op);
	uint64_t n = op->count;
	store_op_free(op);
	store_close(st);
	if (rc != STORE_OK && !(rc == STORE_NOT_FOUND && o->id != NULL))
		return fail(EX_FAIL, "purge failed: %s", store_strerror(rc));
	if (rc == STORE_NOT_FOUND)
		return fail(EX_FAIL, "no submission with that id");
	printf("purged %llu submission(s)\n", (unsigned long long)n);
	return EX_OK;
}

static int cmd_backup(const opts *o)
{
	gd_config cfg;
	uint8_t pk[32];
	store *st;
	if (o->help || o->argc != 1)
		return usage(o->help ? NULL : "usage: backup --data DIR OUT");
	int rc = load(o, &cfg, pk);
	if (rc != EX_OK)
		return rc;
	if (mkdir(o->argv[0], 0700) != 0)
		return fail(errno == EEXIST ? EX_EXISTS : EX_FAIL, "%s: %s", o->argv[0],
			    strerror(errno));
	if ((rc = open_store(o, &cfg, &st)) != EX_OK)
		return rc;
	rc = store_backup(st, o->argv[0]);
	store_close(st);
	if (rc != STORE_OK)
		return fail(EX_FAIL, "backup failed");
	printf("backup written to %s/data.mdb (ciphertext only; keep it as safe as the drop)\n",
	       o->argv[0]);
	return EX_OK;
}

static int cmd_torrc(const opts *o)
{
	gd_config cfg;
	uint8_t pk[32];
	if (o->help || o->argc != 0)
		return usage(o->help ? NULL : "usage: torrc --data DIR");
	int rc = load(o, &cfg, pk);
	if (rc != EX_OK)
		return rc;
	printf("# ghostdrop onion service: add to /etc/tor/torrc, then reload tor.\n"
	       "HiddenServiceDir /var/lib/tor/ghostdrop/\n"
	       "HiddenServicePort 80 %s:%u\n"
	       "# At most this many streams per rendezvous circuit; close circuits that ask for "
	       "more.\n"
	       "HiddenServiceMaxStreams 32\n"
	       "HiddenServiceMaxStreamsCloseCircuit 1\n"
	       "# Tor's own proof-of-work defence in front of the drop (tor >= 0.4.8).\n"
	       "HiddenServicePoWDefensesEnabled 1\n",
	       cfg.listen_host, cfg.listen_port);
	return EX_OK;
}

/* Every command: its name, what runs it, and its line (or lines) of the usage text. */
static const struct command {
	const char *name;
	int (*run)(const opts *);
	const char *help;
} commands[] = {
	{"init", cmd_init,
	 "  init --data DIR --newsroom KEY [--listen HOST:PORT]\n"
	 "        create a drop\n"},
	{"keys", cmd_keys,
	 "  keys publish --data DIR BUNDLE\n"
	 "        publish a key bundle signed by the newsroom\n"},
	{"token", cmd_token,
	 "  token add --data DIR --name NAME\n"
	 "        make a courier token (shown once)\n"
	 "  token list --data DIR\n"
	 "        list courier token names\n"
	 "  token revoke --data DIR NAME\n"
	 "        revoke a courier token\n"},
	{"serve", cmd_serve,
	 "  serve --data DIR [--listen HOST:PORT] [--port-file F] [--user NAME]\n"
	 "        [--seccomp]: run the drop in the foreground\n"},
	{"stats", cmd_stats,
	 "  stats --data DIR [--json] [--warn-days N]\n"
	 "        counts, space, the key bundle's expiry (exit 3 or 5: act)\n"},
	{"purge", cmd_purge,
	 "  purge --data DIR (--id ID | --older-than DAYS | --all [--yes])\n"
	 "        delete submissions (--all asks on a terminal)\n"},
	{"backup", cmd_backup,
	 "  backup --data DIR OUT\n"
	 "        compacting copy of the database\n"},
	{"torrc", cmd_torrc,
	 "  torrc --data DIR\n"
	 "        the Tor onion-service lines\n"},
};

static void print_usage(FILE *f)
{
	fputs("usage: ghostdropd COMMAND [OPTIONS]\n", f);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fputs(commands[i].help, f);
	fputs("Every command takes --help; --version prints the version.\n"
	      "Exit codes: 0 ok, 1 failure, 2 usage, 3 verification failed (stats: sources\n"
	      "cannot submit), 4 already exists, 5 stats: the key bundle expires within\n"
	      "--warn-days (default 7).\n",
	      f);
}

int main(int argc, char **argv)
{
	opts o;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", prog, GD_VERSION);
		return EX_OK;
	}
	if (gd_init() != GD_OK)
		return fail(EX_FAIL, "libsodium failed to initialise");
	const char *cmd = argv[1];
	if (parse(argc - 1, argv + 1, &o) != 0)
		return usage("bad option");
	if (o.version) {
		printf("%s %s\n", prog, GD_VERSION);
		return EX_OK;
	}
	if (o.help) {
		print_usage(stdout);
		return EX_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(&o);
	return usage("unknown command");
}
