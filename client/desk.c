/* ghostdrop-desk: the newsroom's side. This part holds the keys and signs bundles: the newsroom
 * root key, journalists' encryption keys with validity windows and rotation, and signed key
 * bundles. None of these commands opens a network connection. docs/ghostdrop-desk.1. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "desk.h"
#include "fileio.h"
#include "gdcrypto.h"
#include "prompt.h"

#define DAY 86400
#define REPLY_DAYS 30 /* how long a retired key stays in bundles to verify its replies */
#define MAX_SERVERS DESK_MAX_SERVERS
#define MAX_PUBS DESK_MAX_PUBS
#define MAX_KEYS DESK_MAX_KEYS
#define PASS_MAX 1024
#define PASS_MIN 12

static const char USAGE[] =
	"ghostdrop-desk: the newsroom's keys, and the journalists' side of a drop.\n"
	"usage: ghostdrop-desk newsroom init --dir D --name NAME\n"
	"       ghostdrop-desk journalist add --dir D NAME [--days N]\n"
	"       ghostdrop-desk journalist rotate --dir D NAME [--days N]\n"
	"       ghostdrop-desk journalist list --dir D [--json]\n"
	"       ghostdrop-desk bundle sign --dir D --server URL... --out FILE\n"
	"                                  [--expires-days N] [--pub FILE...]\n"
	"online (no secret key is read):\n"
	"       ghostdrop-desk fetch --server URL --token-file F --out BATCH\n"
	"       ghostdrop-desk ack --server URL --token-file F ACKFILE\n"
	"       ghostdrop-desk push --server URL --token-file F REPLYFILE...\n"
	"       (with --proxy HOST:PORT, or --clearnet, as in ghostdrop(1))\n"
	"offline (no network connection is made):\n"
	"       ghostdrop-desk open --dir D BATCH --out OUTDIR [-j N] [--as NAME]\n"
	"                           [--ack-out FILE]\n"
	"       ghostdrop-desk reply --dir D --as NAME --source SOURCE --out FILE\n"
	"                            [--message-file F] (else the text on standard input)\n"
	"--dir defaults to $GHOSTDROP_DESK_DIR. Passphrases are typed (not shown; three\n"
	"tries) or read with --passphrase-file F; never from the command line or the\n"
	"environment. --version prints the version.\n"
	"exit: 0 ok, 1 failure, 2 usage, 3 wrong passphrase or a key/bundle that does not\n"
	"      verify, 4 network, 5 refused by the drop, 6 a file problem, 7 some\n"
	"      submissions did not open, 8 the drop's answers contradicted its listing\n"
	"      (fetch: the rest was fetched).\n"
	"See ghostdrop-desk(1).\n";

void desk_path(char *out, size_t cap, const char *dir, const char *fmt, ...)
{
	char rest[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rest, sizeof rest, fmt, ap);
	va_end(ap);
	snprintf(out, cap, "%s/%s", dir, rest);
}

/* One passphrase typed at the terminal into p: for a new key, its length is checked at once
 * and it is typed twice. 0; 1 when it may be typed again (said why); -1 with *rc set. */
static int type_passphrase(const char *what, int is_new, char *p, int *rc)
{
	char prompt[160];
	snprintf(prompt, sizeof prompt, "Passphrase for %s (not shown): ", what);
	if (gd_prompt_secret(prompt, p, PASS_MAX) != 0) {
		*rc = cli_die(EX_USAGE,
			      "no terminal to type the passphrase on: use --passphrase-file");
		return -1;
	}
	if (!is_new)
		return 0;
	if (strlen(p) < PASS_MIN) {
		fprintf(stderr,
			"%s: a passphrase for a key is at least %d characters (several words)\n",
			cli_name, PASS_MIN);
		return 1;
	}
	char *again = sodium_malloc(PASS_MAX);
	int same = again != NULL && gd_prompt_secret("The same again: ", again, PASS_MAX) == 0 &&
		   strcmp(p, again) == 0;
	if (again != NULL)
		sodium_free(again);
	if (!same)
		fprintf(stderr, "%s: the two passphrases differ\n", cli_name);
	return same ? 0 : 1;
}

/* A passphrase into sodium_malloc'ed memory: from --passphrase-file, or typed (a new key's:
 * long enough, and twice; three tries on a terminal). */
char *desk_passphrase(const opts *o, const char *what, int is_new, int *rc)
{
	char *p = sodium_malloc(PASS_MAX);
	*rc = EX_OK;
	if (p == NULL) {
		*rc = cli_die(EX_FAIL, "out of memory");
		return NULL;
	}
	if (o->passfile != NULL) {
		if (gd_secret_from_file(o->passfile, p, PASS_MAX) != 0)
			*rc = cli_die(EX_FILE, "%s: %s", o->passfile, strerror(errno));
		else if (is_new && strlen(p) < PASS_MIN)
			*rc = cli_die(EX_USAGE,
				      "a passphrase for a key is at least %d characters (several "
				      "words)",
				      PASS_MIN);
	} else {
		int t = 1, tries = is_new ? DESK_TRIES : 1;
		for (int k = 0; k < tries && t == 1; k++)
			t = type_passphrase(what, is_new, p, rc);
		if (t == 1)
			*rc = cli_die(EX_USAGE,
				      "no usable passphrase in %d tries; nothing was written",
				      DESK_TRIES);
	}
	if (*rc == EX_OK)
		return p;
	sodium_free(p);
	return NULL;
}

static int seal_to_file(const opts *o, const char *file, gd_key_kind kind, const uint8_t *secret,
			size_t len, const char *what)
{
	int rc;
	char *pass = desk_passphrase(o, what, 1, &rc);
	if (pass == NULL)
		return rc;
	uint8_t sealed[512];
	size_t n;
	rc = gd_keyfile_seal(sealed, sizeof sealed, &n, kind, secret, len, pass, strlen(pass),
			     NULL);
	sodium_free(pass);
	if (rc != GD_OK)
		return cli_die(EX_FAIL, "sealing the key failed: %s", gd_strerror(rc));
	if (gd_file_write_atomic(file, sealed, n, 0600, 1) != 0)
		return cli_die(EX_FILE, "%s: %s", file, strerror(errno));
	return EX_OK;
}

/* Open a sealed key file with a passphrase: a gd_ code; GD_ERR_IO with *eno when the file
 * cannot be read. */
static int open_key_quiet(const char *file, gd_key_kind want, const char *pass, uint8_t **out,
			  size_t *len, int *eno)
{
	uint8_t *raw;
	size_t rlen;
	*out = NULL;
	if (gd_file_read(file, 4096, &raw, &rlen) != 0) {
		*eno = errno;
		return GD_ERR_IO;
	}
	*out = sodium_malloc(GD_KEYFILE_MAX_SECRET);
	if (*out == NULL) {
		free(raw);
		return GD_ERR_NOMEM;
	}
	/* another kind of key is format, found before Argon2id runs (not "wrong passphrase") */
	int rc = gd_keyfile_open_kind(*out, GD_KEYFILE_MAX_SECRET, len, want, raw, rlen, pass,
				      strlen(pass));
	free(raw);
	if (rc != GD_OK) {
		sodium_free(*out);
		*out = NULL;
	}
	return rc;
}

static int key_error(const char *file, int rc, int eno)
{
	if (rc == GD_ERR_IO)
		return cli_die(EX_FILE, "%s: %s", file, strerror(eno));
	if (rc == GD_ERR_NOMEM)
		return cli_die(EX_FAIL, "out of memory");
	return cli_die(rc == GD_ERR_DECRYPT ? EX_VERIFY : EX_FILE, "%s: %s", file,
		       rc == GD_ERR_CHECKSUM ? "the file is corrupt" : gd_strerror(rc));
}

int desk_open_key_with(const char *file, gd_key_kind want, const char *pass, uint8_t **out,
		       size_t *len)
{
	int eno = 0, rc = open_key_quiet(file, want, pass, out, len, &eno);
	return rc == GD_OK ? EX_OK : key_error(file, rc, eno);
}

int desk_unlock(const opts *o, const char *file, gd_key_kind want, const char *what,
		char **pass_out, uint8_t **out, size_t *len)
{
	int tries = o->passfile != NULL ? 1 : DESK_TRIES, rc = GD_ERR_DECRYPT, eno = 0;
	for (int k = 1; k <= tries && rc == GD_ERR_DECRYPT; k++) {
		int erc;
		char *pass = desk_passphrase(o, what, 0, &erc);
		if (pass == NULL)
			return erc;
		rc = open_key_quiet(file, want, pass, out, len, &eno);
		if (rc == GD_OK && pass_out != NULL)
			*pass_out = pass;
		else
			sodium_free(pass);
		if (rc == GD_ERR_DECRYPT && k < tries)
			fprintf(stderr, "%s: wrong passphrase; try again (%d tr%s left)\n",
				cli_name, tries - k, tries - k == 1 ? "y" : "ies");
	}
	if (rc == GD_ERR_DECRYPT && tries > 1)
		return cli_die(EX_VERIFY, "%s: wrong passphrase (%d tries)", file, tries);
	return rc == GD_OK ? EX_OK : key_error(file, rc, eno);
}

static const char *kind_name(gd_key_kind k)
{
	return k == GD_KEY_NEWSROOM_ROOT ? "the newsroom's root key"
	       : k == GD_KEY_JOURNALIST  ? "a journalist key"
					 : "a courier key";
}

int desk_key_kind_check(const char *file, gd_key_kind want, const char *what_to_do)
{
	uint8_t *raw;
	size_t rlen;
	gd_key_kind kind;
	if (gd_file_read(file, 4096, &raw, &rlen) != 0)
		return EX_OK;
	int rc = gd_keyfile_kind(raw, rlen, &kind);
	free(raw);
	if (rc != GD_OK || kind == want)
		return EX_OK;
	return cli_die(EX_FILE, "%s is %s, not %s: %s", file, kind_name(kind),
		       want == GD_KEY_NEWSROOM_ROOT ? "the newsroom's root key"
						    : "a journalist key",
		       what_to_do);
}

/* Open a sealed key, asking for its passphrase; *out is sodium_malloc'ed. */
static int open_key(const opts *o, const char *file, gd_key_kind want, const char *what,
		    uint8_t **out, size_t *len)
{
	int rc;
	if (access(file, R_OK) != 0)
		return cli_die(EX_FILE, "%s: %s", file, strerror(errno));
	if ((rc = desk_key_kind_check(file, want,
				      "put the root key that newsroom init made there")) != EX_OK)
		return rc;
	return desk_unlock(o, file, want, what, NULL, out, len);
}

/* What is wrong with a --server URL that gd_server_url_check (the grammar every worker
 * enforces) refuses, in words: 0 if nothing is. */
static int server_url_problem(const char *u, char *why, size_t cap)
{
	if (gd_server_url_check(u) == GD_OK)
		return 0;
	size_t len = strlen(u), start = 0, end;
	for (size_t i = 0; i < len; i++)
		if (u[i] >= 'A' && u[i] <= 'Z') {
			char low[GD_SERVER_MAX + 1];
			for (size_t k = 0; k <= len; k++)
				low[k] = (u[k] >= 'A' && u[k] <= 'Z') ? (char)(u[k] - 'A' + 'a')
								      : u[k];
			snprintf(why, cap, "lower case only (%s)", low);
			return 1;
		}
	if (strncmp(u, "http://", 7) == 0)
		start = 7;
	else if (strncmp(u, "https://", 8) == 0)
		start = 8;
	else {
		snprintf(why, cap, "it starts with http:// or https://");
		return 1;
	}
	if (strchr(u + start, '@') != NULL) {
		snprintf(why, cap, "no user name or password in it");
		return 1;
	}
	const char *close = u[start] == '[' ? strchr(u + start, ']') : NULL;
	end = close != NULL ? (size_t)(close - u) + 1 : start + strcspn(u + start, ":/?#");
	if (u[end] == ':') {
		size_t p = end + 1, d = strspn(u + p, "0123456789");
		unsigned long port = d > 0 && d <= 5 ? strtoul(u + p, NULL, 10) : 0;
		if (d == 0 || port < 1 || port > 65535 ||
		    (u[p + d] != '\0' && strchr("/?#", u[p + d]) == NULL)) {
			snprintf(why, cap, "port must be 1..65535");
			return 1;
		}
		end = p + d;
	}
	if (u[end] == '/' || u[end] == '?' || u[end] == '#')
		snprintf(why, cap, "no path, query or fragment: http://host[:port] only");
	else
		snprintf(why, cap, "not a host name or [IPv6 address]: http://host[:port]");
	return 1;
}

/* ---- names ---- */

/* Edit distance of two short names, case ignored (names of at most 64 bytes). */
static size_t name_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[66];
	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			int same = tolower((unsigned char)a[i - 1]) ==
				   tolower((unsigned char)b[j - 1]);
			size_t best = diag + !same;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *desk_nearest(const char *name, const char *const *known, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, len = strlen(name);
	/* a typo, not another name: at most 2 edits, and at most a third of the name */
	size_t limit = len / 3 < 2 ? (len / 3 > 0 ? len / 3 : 1) : 2;
	for (size_t i = 0; i < n; i++) {
		size_t dist = name_distance(name, known[i]);
		if (dist < best_d && strcmp(name, known[i]) != 0) {
			best_d = dist;
			best = known[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

int desk_no_journalist(const opts *o, const char *name, const jkey *keys, int n)
{
	const char *names[DESK_MAX_KEYS];
	for (int i = 0; i < n && i < DESK_MAX_KEYS; i++)
		names[i] = keys[i].j.name;
	const char *near =
		desk_nearest(name, names, (size_t)(n < DESK_MAX_KEYS ? n : DESK_MAX_KEYS));
	if (near != NULL)
		return cli_die(EX_USAGE,
			       "no journalist '%s'; did you mean '%s'? (names are case-sensitive)",
			       name, near);
	return cli_die(EX_USAGE, "no journalist '%s' in %s (see journalist list)", name, o->dir);
}

/* ---- newsroom ---- */

static int cmd_newsroom(const opts *o)
{
	char file[4096], ks[GD_KEYSTRING_LEN + 1];
	if (o->n_args != 1 || strcmp(o->args[0], "init") != 0 || o->name == NULL)
		return cli_die(EX_USAGE, "usage: newsroom init --dir D --name NAME");
	if (!gd_name_valid(o->name))
		return cli_die(EX_USAGE, "a newsroom name is 1-64 of [A-Za-z0-9 ._-]");
	if (mkdir(o->dir, 0700) != 0 && errno != EEXIST)
		return cli_die(EX_FILE, "%s: %s", o->dir, strerror(errno));
	desk_path(file, sizeof file, o->dir, "newsroom.key");
	if (access(file, F_OK) == 0)
		return cli_die(EX_FILE, "%s exists: this directory has a newsroom key already",
			       file);
	uint8_t pk[32], *sk = sodium_malloc(64);
	crypto_sign_keypair(pk, sk);
	int rc = seal_to_file(o, file, GD_KEY_NEWSROOM_ROOT, sk, 64, "the newsroom root key");
	sodium_free(sk);
	if (rc != EX_OK)
		return rc;
	gd_keystring_encode(ks, pk);
	char line[128];
	int n = snprintf(line, sizeof line, "%s\n", ks);
	desk_path(file, sizeof file, o->dir, "newsroom.pub");
	if (gd_file_write_atomic(file, (const uint8_t *)line, (size_t)n, 0644, 1) != 0)
		return cli_die(EX_FILE, "%s: %s", file, strerror(errno));
	desk_path(file, sizeof file, o->dir, "newsroom.name");
	if (gd_file_write_atomic(file, (const uint8_t *)o->name, strlen(o->name), 0644, 1) != 0)
		return cli_die(EX_FILE, "%s: %s", file, strerror(errno));
	printf("%s\n", ks);
	fprintf(stderr,
		"The newsroom key of \"%s\" is above (also in %s/newsroom.pub). Publish it where "
		"workers can check it: your website, print. Keep %s/newsroom.key offline.\n",
		o->name, o->dir, o->dir);
	return EX_OK;
}

/* ---- journalists ---- */

static int key_cmp(const void *a, const void *b)
{
	const jkey *x = a, *y = b;
	int c = strcmp(x->j.name, y->j.name);
	return c ? c : x->number - y->number;
}

int desk_load_keys(const opts *o, jkey *keys, int *n)
{
	char dpath[4096];
	*n = 0;
	desk_path(dpath, sizeof dpath, o->dir, "journalists");
	DIR *jd = opendir(dpath);
	if (jd == NULL)
		return errno == ENOENT ? EX_OK : cli_die(EX_FILE, "%s: %s", dpath, strerror(errno));
	struct dirent *e;
	while ((e = readdir(jd)) != NULL) {
		if (e->d_name[0] == '.' || !gd_name_valid(e->d_name))
			continue;
		for (int k = 1; k < 1000 && *n < MAX_KEYS; k++) {
			char f[4096];
			uint8_t *text;
			size_t len;
			desk_path(f, sizeof f, o->dir, "journalists/%s/key-%d.pub", e->d_name, k);
			if (gd_file_read(f, 4096, &text, &len) != 0)
				break;
			jkey *jk = &keys[*n];
			memset(jk, 0, sizeof *jk);
			int rc = gd_pubfile_decode(&jk->j, (const char *)text, len);
			free(text);
			if (rc != GD_OK) {
				closedir(jd);
				return cli_die(EX_FILE, "%s: %s", f, gd_strerror(rc));
			}
			jk->number = k;
			desk_path(f, sizeof f, o->dir, "journalists/%s/key-%d.retired", e->d_name,
				  k);
			if (gd_file_read(f, 64, &text, &len) == 0) {
				jk->retired = strtoll((char *)text, NULL, 10);
				free(text);
			}
			(*n)++;
		}
	}
	closedir(jd);
	qsort(keys, (size_t)*n, sizeof *keys, key_cmp);
	return EX_OK;
}

static int new_journalist_key(const opts *o, const char *name, int number)
{
	char file[4096];
	gd_journalist j;
	memset(&j, 0, sizeof j);
	snprintf(j.name, sizeof j.name, "%s", name);
	j.not_before = (int64_t)time(NULL);
	j.not_after = j.not_before + o->days * DAY;
	uint8_t *sk = sodium_malloc(32);
	crypto_box_keypair(j.pk, sk);
	char what[128];
	snprintf(what, sizeof what, "%s's key", name);
	desk_path(file, sizeof file, o->dir, "journalists/%s/key-%d.key", name, number);
	int rc = seal_to_file(o, file, GD_KEY_JOURNALIST, sk, 32, what);
	sodium_free(sk);
	if (rc != EX_OK)
		return rc;
	char *pub = gd_pubfile_encode(&j);
	desk_path(file, sizeof file, o->dir, "journalists/%s/key-%d.pub", name, number);
	if (pub == NULL ||
	    gd_file_write_atomic(file, (const uint8_t *)pub, strlen(pub), 0644, 1) != 0) {
		free(pub);
		return cli_die(EX_FILE, "%s: %s", file, strerror(errno));
	}
	free(pub);
	char day[16];
	time_t t = (time_t)j.not_after;
	strftime(day, sizeof day, "%Y-%m-%d", gmtime(&t));
	fprintf(stderr, "%s: key %d, valid until %s; public part in %s\n", name, number, day, file);
	return EX_OK;
}

static void print_day(char *out, size_t cap, int64_t t)
{
	time_t tt = (time_t)t;
	strftime(out, cap, "%Y-%m-%d", gmtime(&tt));
}

static int cmd_journalist(const opts *o)
{
	jkey *keys = calloc(MAX_KEYS, sizeof *keys);
	int n = 0, rc;
	const char *sub = o->n_args > 0 ? o->args[0] : "";
	if (keys == NULL)
		return cli_die(EX_FAIL, "out of memory");
	if ((rc = desk_load_keys(o, keys, &n)) != EX_OK)
		goto out;
	if (strcmp(sub, "list") == 0 && o->n_args == 1) {
		int64_t now = (int64_t)time(NULL);
		json_t *arr = json_array();
		for (int i = 0; i < n; i++) {
			char b[16], a[16];
			print_day(b, sizeof b, keys[i].j.not_before);
			print_day(a, sizeof a, keys[i].j.not_after);
			const char *st = keys[i].retired ? (now < keys[i].retired + REPLY_DAYS * DAY
								    ? "retired (verifies replies)"
								    : "retired")
					 : now > keys[i].j.not_after ? "expired"
								     : "current";
			if (o->json)
				json_array_append_new(arr,
						      json_pack("{s:s, s:i, s:s, s:s, s:s}", "name",
								keys[i].j.name, "key",
								keys[i].number, "not_before", b,
								"not_after", a, "state", st));
			else
				printf("%-24s key %-3d %s .. %s  %s\n", keys[i].j.name,
				       keys[i].number, b, a, st);
		}
		if (o->json) {
			char *s = json_dumps(arr, JSON_COMPACT);
			printf("%s\n", s);
			free(s);
		}
		json_decref(arr);
		rc = EX_OK;
		goto out;
	}
	if ((strcmp(sub, "add") != 0 && strcmp(sub, "rotate") != 0) || o->n_args != 2) {
		rc = cli_die(
			EX_USAGE,
			"usage: journalist add|rotate --dir D NAME [--days N] | journalist list");
		goto out;
	}
	const char *name = o->args[1];
	if (!gd_name_valid(name)) {
		rc = cli_die(EX_USAGE, "a journalist name is 1-64 of [A-Za-z0-9 ._-]");
		goto out;
	}
	if (o->days < 1 || o->days > 3650) {
		rc = cli_die(EX_USAGE, "--days is 1..3650");
		goto out;
	}
	int last = 0;
	for (int i = 0; i < n; i++)
		if (strcmp(keys[i].j.name, name) == 0)
			last = keys[i].number;
	char d[4096];
	if (strcmp(sub, "add") == 0) {
		if (last > 0) {
			rc = cli_die(EX_FILE, "%s has a key already: use journalist rotate", name);
			goto out;
		}
		/* also on a journalist's own machine, where the directory holds no newsroom key */
		desk_path(d, sizeof d, o->dir, "journalists");
		if ((mkdir(o->dir, 0700) != 0 && errno != EEXIST) ||
		    (mkdir(d, 0700) != 0 && errno != EEXIST)) {
			rc = cli_die(EX_FILE, "%s: %s", d, strerror(errno));
			goto out;
		}
		desk_path(d, sizeof d, o->dir, "journalists/%s", name);
		if (mkdir(d, 0700) != 0 && errno != EEXIST) {
			rc = cli_die(EX_FILE, "%s: %s", d, strerror(errno));
			goto out;
		}
		rc = new_journalist_key(o, name, 1);
		goto out;
	}
	if (last == 0) {
		rc = cli_die(EX_USAGE, "%s has no key to rotate: use journalist add", name);
		goto out;
	}
	/* The old secret stays, so old submissions stay readable; the old public key stays in
	 * bundles as verify-only while replies written with it may still be waiting. */
	if ((rc = new_journalist_key(o, name, last + 1)) != EX_OK)
		goto out;
	char stamp[32];
	int64_t now = (int64_t)time(NULL);
	int sl = snprintf(stamp, sizeof stamp, "%lld\n", (long long)now);
	desk_path(d, sizeof d, o->dir, "journalists/%s/key-%d.retired", name, last);
	if (gd_file_write_atomic(d, (const uint8_t *)stamp, (size_t)sl, 0644, 1) != 0) {
		rc = cli_die(EX_FILE, "%s: %s", d, strerror(errno));
		goto out;
	}
	/* The old public file says so itself, for a root-key holder on another machine:
	 * verify-only, and only while its replies may still be waiting. */
	for (int i = 0; i < n; i++) {
		if (strcmp(keys[i].j.name, name) != 0 || keys[i].number != last)
			continue;
		gd_journalist old = keys[i].j;
		old.verify_only = 1;
		if (old.not_after > now + REPLY_DAYS * DAY)
			old.not_after = now + REPLY_DAYS * DAY;
		char *pub = gd_pubfile_encode(&old);
		desk_path(d, sizeof d, o->dir, "journalists/%s/key-%d.pub", name, last);
		if (pub == NULL ||
		    gd_file_write_atomic(d, (const uint8_t *)pub, strlen(pub), 0644, 0) != 0)
			rc = cli_die(EX_FILE, "%s: %s", d, strerror(errno));
		free(pub);
	}
out:
	free(keys);
	return rc;
}

/* ---- bundles ---- */

static int add_key(gd_bundle *b, const gd_journalist *j, int64_t now, int verify_only,
		   int64_t until)
{
	if (b->n_journalists == GD_BUNDLE_MAX_JOURNALISTS)
		return -1;
	for (size_t i = 0; i < b->n_journalists; i++)
		if (memcmp(b->journalists[i].pk, j->pk, 32) == 0)
			return 0; /* the same key twice (a --pub of our own): once is enough */
	gd_journalist k = *j;
	k.verify_only = verify_only;
	if (until < k.not_after)
		k.not_after = until; /* no key outlives the signature that vouches for it */
	if (k.not_after > b->expires)
		k.not_after = b->expires;
	if (k.not_after <= k.not_before || k.not_after < now)
		return 0; /* nothing left of its window */
	b->journalists[b->n_journalists++] = k;
	return 0;
}

static int cmd_bundle(const opts *o)
{
	char file[4096], ks[GD_KEYSTRING_LEN + 8];
	jkey *keys = NULL;
	uint8_t *sk = NULL, *out = NULL, pk[32];
	size_t sklen, olen;
	int n = 0, rc;
	if (o->n_args != 1 || strcmp(o->args[0], "sign") != 0 || o->out == NULL ||
	    o->n_servers == 0)
		return cli_die(EX_USAGE, "usage: bundle sign --dir D --server URL... --out FILE");
	/* workers refuse a bundle older than GD_BUNDLE_MAX_AGE whatever its expiry (§5.3) */
	if (o->expires_days < 1 || o->expires_days > GD_BUNDLE_MAX_AGE / DAY)
		return cli_die(EX_USAGE,
			       "--expires-days is 1..%d (the expiry is how long a revoked key "
			       "can still be used: keep it short)",
			       GD_BUNDLE_MAX_AGE / DAY);
	gd_bundle *b = calloc(1, sizeof *b);
	keys = calloc(MAX_KEYS, sizeof *keys);
	int64_t now = (int64_t)time(NULL);
	b->created = now;
	b->expires = now + o->expires_days * DAY;
	uint8_t *text;
	size_t len;
	desk_path(file, sizeof file, o->dir, "newsroom.name");
	if (gd_file_read(file, 64, &text, &len) == 0) {
		snprintf(b->newsroom, sizeof b->newsroom, "%s", (char *)text);
		free(text);
	}
	desk_path(file, sizeof file, o->dir, "bundle.version");
	if (gd_file_read(file, 32, &text, &len) == 0) {
		b->version = strtoull((char *)text, NULL, 10);
		free(text);
	}
	b->version++;
	for (int i = 0; i < o->n_servers; i++) {
		size_t l = strlen(o->servers[i]);
		while (l > 0 && o->servers[i][l - 1] == '/')
			l--;
		if (l > GD_SERVER_MAX) {
			rc = cli_die(EX_USAGE, "--server: too long");
			goto out;
		}
		memcpy(b->servers[b->n_servers], o->servers[i], l);
		b->servers[b->n_servers][l] = '\0';
		char why[GD_SERVER_MAX + 64];
		if (server_url_problem(b->servers[b->n_servers], why, sizeof why)) {
			rc = cli_die(EX_USAGE, "--server %s: %s", b->servers[b->n_servers], why);
			goto out;
		}
		b->n_servers++;
	}
	if ((rc = desk_load_keys(o, keys, &n)) != EX_OK)
		goto out;
	for (int i = 0; i < n; i++) {
		int64_t until = keys[i].retired ? keys[i].retired + REPLY_DAYS * DAY : INT64_MAX;
		add_key(b, &keys[i].j, now, keys[i].retired != 0, until);
	}
	for (int i = 0; i < o->n_pubs; i++) {
		gd_journalist j;
		if (gd_file_read(o->pubs[i], 4096, &text, &len) != 0) {
			rc = cli_die(EX_FILE, "%s: %s", o->pubs[i], strerror(errno));
			goto out;
		}
		int r = gd_pubfile_decode(&j, (const char *)text, len);
		free(text);
		if (r != GD_OK) {
			rc = cli_die(EX_VERIFY, "%s: not a journalist public-key file: %s",
				     o->pubs[i], gd_strerror(r));
			goto out;
		}
		if (j.not_after < now) {
			rc = cli_die(EX_VERIFY, "%s: %s's key expired", o->pubs[i], j.name);
			goto out;
		}
		if (add_key(b, &j, now, j.verify_only, INT64_MAX) != 0) {
			rc = cli_die(EX_USAGE, "too many journalist keys for one bundle");
			goto out;
		}
	}
	int usable = 0;
	for (size_t i = 0; i < b->n_journalists; i++)
		usable += !b->journalists[i].verify_only &&
			  b->journalists[i].not_before <= now + GD_CLOCK_SKEW;
	if (usable == 0) {
		rc = cli_die(EX_USAGE,
			     "no current journalist key to encrypt to: journalist add, or --pub");
		goto out;
	}
	desk_path(file, sizeof file, o->dir, "newsroom.key");
	if ((rc = open_key(o, file, GD_KEY_NEWSROOM_ROOT, "the newsroom root key", &sk, &sklen)) !=
	    EX_OK)
		goto out;
	if ((rc = gd_bundle_sign(&out, &olen, b, sk)) != GD_OK) {
		rc = cli_die(
			EX_USAGE,
			"cannot sign this bundle: %s (check --server: http://host[:port], no path)",
			gd_strerror(rc));
		goto out;
	}
	/* Check what we made the way a worker will. */
	memcpy(pk, sk + 32, 32);
	gd_bundle *check = calloc(1, sizeof *check);
	rc = gd_bundle_verify(check, out, olen, pk, now, b->version);
	free(check);
	if (rc != GD_OK) {
		rc = cli_die(EX_FAIL, "the signed bundle does not verify: %s", gd_strerror(rc));
		goto out;
	}
	if (gd_file_write_atomic(o->out, out, olen, 0644, 0) != 0) {
		rc = cli_die(EX_FILE, "%s: %s", o->out, strerror(errno));
		goto out;
	}
	int vl = snprintf(ks, sizeof ks, "%llu\n", (unsigned long long)b->version);
	desk_path(file, sizeof file, o->dir, "bundle.version");
	if (gd_file_write_atomic(file, (const uint8_t *)ks, (size_t)vl, 0644, 0) != 0) {
		rc = cli_die(EX_FILE, "%s: %s", file, strerror(errno));
		goto out;
	}
	char day[16];
	print_day(day, sizeof day, b->expires);
	fprintf(stderr,
		"signed key bundle v%llu: %d current key(s), %zu in all, %zu server(s), "
		"expires %s. Publish it: ghostdropd keys publish --data DIR %s\n",
		(unsigned long long)b->version, usable, b->n_journalists, b->n_servers, day,
		o->out);
	rc = EX_OK;
out:
	if (sk != NULL)
		sodium_free(sk);
	free(out);
	free(keys);
	free(b);
	return rc;
}

static const struct option OPTIONS[] = {{"dir", required_argument, NULL, 'd'},
					{"name", required_argument, NULL, 'n'},
					{"days", required_argument, NULL, 'D'},
					{"server", required_argument, NULL, 's'},
					{"out", required_argument, NULL, 'o'},
					{"expires-days", required_argument, NULL, 'e'},
					{"pub", required_argument, NULL, 'p'},
					{"passphrase-file", required_argument, NULL, 'P'},
					{"json", no_argument, NULL, 'J'},
					{"help", no_argument, NULL, 'h'},
					{"token-file", required_argument, NULL, 't'},
					{"proxy", required_argument, NULL, 'x'},
					{"clearnet", no_argument, NULL, 'c'},
					{"ack-out", required_argument, NULL, 'a'},
					{"as", required_argument, NULL, 'A'},
					{"source", required_argument, NULL, 'S'},
					{"message-file", required_argument, NULL, 'm'},
					{"jobs", required_argument, NULL, 'j'},
					{"version", no_argument, NULL, 'V'},
					{NULL, 0, NULL, 0}};

/* The options each online command takes (their codes in OPTIONS), and its usage words. */
static const struct {
	const char *name;
	int (*fn)(const opts *);
	const char *takes, *words;
} ONLINE[] = {
	{"fetch", cmd_fetch, "stxcoJ",
	 "--server, --token-file, --proxy or --clearnet, --out, --json"},
	{"ack", cmd_ack, "stxcJ", "--server, --token-file, --proxy or --clearnet, --json"},
	{"push", cmd_push, "stxcJ", "--server, --token-file, --proxy or --clearnet, --json"},
};

static const char *option_name(int c)
{
	for (size_t i = 0; OPTIONS[i].name != NULL; i++)
		if (OPTIONS[i].val == c)
			return OPTIONS[i].name;
	return "?";
}

/* One option into o; *given records it. EX_OK, or the exit code (help and version: -1). */
static int take_option(opts *o, int c, char *given)
{
	char *end;
	size_t g = strlen(given);
	if (c != '?' && strchr(given, c) == NULL && g < 31) {
		given[g] = (char)c;
		given[g + 1] = '\0';
	}
	switch (c) {
	case 'd':
		o->dir = optarg;
		break;
	case 'n':
		o->name = optarg;
		break;
	case 'o':
		o->out = optarg;
		break;
	case 'P':
		o->passfile = optarg;
		break;
	case 'J':
		o->json = 1;
		break;
	case 't':
		o->token_file = optarg;
		break;
	case 'x':
		o->proxy = optarg;
		break;
	case 'c':
		o->clearnet = 1;
		break;
	case 'a':
		o->ack_out = optarg;
		break;
	case 'A':
		o->as = optarg;
		break;
	case 'S':
		o->source = optarg;
		break;
	case 'm':
		o->message_file = optarg;
		break;
	case 's':
		if (o->n_servers == MAX_SERVERS)
			return cli_die(EX_USAGE, "at most %d --server", MAX_SERVERS);
		o->servers[o->n_servers++] = optarg;
		break;
	case 'p':
		if (o->n_pubs == MAX_PUBS)
			return cli_die(EX_USAGE, "at most %d --pub", MAX_PUBS);
		o->pubs[o->n_pubs++] = optarg;
		break;
	case 'D':
	case 'e':
	case 'j': {
		errno = 0;
		long v = strtol(optarg, &end, 10);
		if (errno || *end != '\0' || end == optarg)
			return cli_die(EX_USAGE, "--%s takes a number", option_name(c));
		*(c == 'D' ? &o->days : c == 'e' ? &o->expires_days : &o->jobs) = v;
		break;
	}
	case 'h':
		fputs(USAGE, stdout);
		return -1;
	case 'V':
		printf("ghostdrop-desk %s\n", GD_VERSION);
		return -1;
	default:
		fputs(USAGE, stderr);
		return EX_USAGE;
	}
	return EX_OK;
}

/* The options after the command into o; given: the codes of those on the command line. */
static int parse_options(int argc, char **argv, opts *o, char *given)
{
	int c, rc;
	/* getopt_long takes abbreviations: "--passphrase SECRET" would be read as a file name and
	 * end up in an error message. Only the whole option name is accepted. */
	for (int i = 2; i < argc; i++)
		if (strncmp(argv[i], "--pass", 6) == 0 &&
		    strcmp(argv[i], "--passphrase-file") != 0 &&
		    strncmp(argv[i], "--passphrase-file=", 18) != 0)
			return cli_die(
				EX_USAGE,
				"passphrases are never read from the command line: type it at "
				"the prompt, or use --passphrase-file F");
	optind = 2;
	while ((c = getopt_long(argc, argv, "hj:", OPTIONS, NULL)) != -1)
		if ((rc = take_option(o, c, given)) != EX_OK)
			return rc;
	o->args = argv + optind;
	o->n_args = argc - optind;
	return EX_OK;
}

/* Run the command: an online one takes only its own options, an offline one nothing of the
 * network. */
static int dispatch(const char *cmd, const opts *o, const char *given)
{
	static const struct {
		const char *name;
		int (*fn)(const opts *);
	} offline[] = {{"newsroom", cmd_newsroom},
		       {"journalist", cmd_journalist},
		       {"bundle", cmd_bundle},
		       {"open", cmd_open},
		       {"reply", cmd_reply}};
	for (size_t i = 0; i < sizeof ONLINE / sizeof ONLINE[0]; i++) {
		if (strcmp(cmd, ONLINE[i].name) != 0)
			continue;
		for (const char *g = given; *g != '\0'; g++)
			if (strchr(ONLINE[i].takes, *g) == NULL)
				return cli_die(
					EX_USAGE,
					"%s does not take --%s (%s takes %s; it works online "
					"and never reads a key directory)",
					cmd, option_name(*g), cmd, ONLINE[i].words);
		return ONLINE[i].fn(o);
	}
	for (size_t i = 0; i < sizeof offline / sizeof offline[0]; i++) {
		if (strcmp(cmd, offline[i].name) != 0)
			continue;
		if (o->dir == NULL)
			return cli_die(EX_USAGE, "--dir D (or GHOSTDROP_DESK_DIR) is required");
		/* (bundle sign's --server only names the addresses it signs) */
		if (o->token_file != NULL || o->proxy != NULL || o->clearnet ||
		    (o->n_servers > 0 && (offline[i].fn == cmd_open || offline[i].fn == cmd_reply)))
			return cli_die(EX_USAGE,
				       "%s works offline: it takes no --server, --token-file, "
				       "--proxy or --clearnet",
				       cmd);
		return offline[i].fn(o);
	}
	return cli_die(EX_USAGE,
		       "unknown command %s (newsroom, journalist, bundle, fetch, open, reply, "
		       "push, ack)",
		       cmd);
}

int main(int argc, char **argv)
{
	opts o;
	char given[32] = "";
	memset(&o, 0, sizeof o);
	o.days = 365;
	o.expires_days = 30;
	cli_name = "ghostdrop-desk";
	if (cli_harden() != 0)
		return cli_die(EX_FAIL, "cannot turn core dumps off: %s", strerror(errno));
	o.dir = getenv("GHOSTDROP_DESK_DIR"); /* a path, not a secret */
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ghostdrop-desk %s\n", GD_VERSION);
		return EX_OK;
	}
	int rc = parse_options(argc, argv, &o, given);
	if (rc != EX_OK)
		return rc < 0 ? EX_OK : rc;
	if (gd_init() != GD_OK)
		return cli_die(EX_FAIL, "libsodium failed to initialise");
	return dispatch(argv[1], &o, given);
}
