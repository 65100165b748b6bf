/* ghostdrop-desk, offline part: open a batch into folders per source and per submission, and
 * write replies. These commands read secret keys and never open a network connection.
 * docs/ghostdrop-desk.1, PROTOCOL.md §13. */
#define _GNU_SOURCE /* syncfs */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "bytes.h"
#include "cli.h"
#include "desk.h"
#include "fileio.h"
#include "names.h"
#include "progress.h"

#define MAX_JOBS 64
#define BOOK ".desk" /* OUTDIR's bookkeeping: temporary folders, what was opened */

/* Make name unique in the folder: "x.pdf", "x (2).pdf", ... */
static int unique_name(int dirfd, char *name, size_t cap)
{
	char base[NAMES_MAX_BYTES + 32];
	snprintf(base, sizeof base, "%s", name);
	char *dot = strrchr(base, '.');
	const char *ext = "";
	if (dot != NULL && dot != base) {
		*dot = '\0';
		ext = dot + 1;
	}
	for (int i = 2; faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0; i++) {
		if (i > 1000)
			return -1;
		int w = snprintf(name, cap, "%s (%d)%s%s", base, i, *ext ? "." : "", ext);
		if (w < 0 || (size_t)w >= cap)
			return -1;
	}
	return 0;
}

/* ---- keys ---- */

typedef struct {
	uint8_t (*sk)[GD_BOX_SK_BYTES]; /* sodium_malloc'ed */
	uint8_t (*pk)[GD_BOX_PK_BYTES];
	jkey *info;
	unsigned n;
} keyring;

static void keyring_free(keyring *k)
{
	if (k->sk != NULL)
		sodium_free(k->sk);
	free(k->pk);
	free(k->info);
	memset(k, 0, sizeof *k);
}

/* The secret keys of this directory (only NAME's with --as), one passphrase per journalist. */
static int keyring_load(const opts *o, keyring *kr)
{
	jkey *all = calloc(DESK_MAX_KEYS, sizeof *all);
	int n = 0, rc;
	memset(kr, 0, sizeof *kr);
	if (all == NULL)
		return cli_die(EX_FAIL, "out of memory");
	if ((rc = desk_load_keys(o, all, &n)) != EX_OK) {
		free(all);
		return rc;
	}
	kr->sk = sodium_malloc(DESK_MAX_KEYS * sizeof *kr->sk);
	kr->pk = calloc(DESK_MAX_KEYS, sizeof *kr->pk);
	kr->info = calloc(DESK_MAX_KEYS, sizeof *kr->info);
	if (kr->sk == NULL || kr->pk == NULL || kr->info == NULL) {
		free(all);
		keyring_free(kr);
		return cli_die(EX_FAIL, "out of memory");
	}
	char *pass = NULL;
	const char *pass_for = "";
	rc = EX_OK;
	int known = o->as == NULL;
	for (int i = 0; i < n && !known; i++)
		known = strcmp(all[i].j.name, o->as) == 0;
	if (!known)
		rc = desk_no_journalist(o, o->as, all, n);
	for (int i = 0; i < n && rc == EX_OK; i++) {
		char file[4096];
		if (o->as != NULL && strcmp(all[i].j.name, o->as) != 0)
			continue;
		desk_path(file, sizeof file, o->dir, "journalists/%s/key-%d.key", all[i].j.name,
			  all[i].number);
		if (access(file, F_OK) != 0)
			continue; /* a public key from elsewhere */
		char todo[256];
		snprintf(todo, sizeof todo,
			 "put %s's own key file there (see ghostdrop-desk journalist list)",
			 all[i].j.name);
		if ((rc = desk_key_kind_check(file, GD_KEY_JOURNALIST, todo)) != EX_OK)
			break;
		uint8_t *sk;
		size_t len;
		if (pass == NULL || (o->passfile == NULL && strcmp(pass_for, all[i].j.name) != 0)) {
			/* a journalist's first key: asked for (three tries on a terminal) */
			char what[128];
			if (pass != NULL)
				sodium_free(pass);
			pass = NULL;
			snprintf(what, sizeof what, "%s's keys", all[i].j.name);
			if ((rc = desk_unlock(o, file, GD_KEY_JOURNALIST, what, &pass, &sk,
					      &len)) != EX_OK)
				break;
			pass_for = all[i].j.name;
		} else if ((rc = desk_open_key_with(file, GD_KEY_JOURNALIST, pass, &sk, &len)) !=
			   EX_OK) {
			break;
		}
		if (len != GD_BOX_SK_BYTES) {
			sodium_free(sk);
			rc = cli_die(EX_FILE, "%s: not a journalist key", file);
			break;
		}
		memcpy(kr->sk[kr->n], sk, GD_BOX_SK_BYTES);
		sodium_free(sk);
		crypto_scalarmult_base(kr->pk[kr->n], kr->sk[kr->n]);
		if (sodium_memcmp(kr->pk[kr->n], all[i].j.pk, GD_BOX_PK_BYTES) != 0) {
			rc = cli_die(EX_FILE, "%s does not match its public key file", file);
			break;
		}
		kr->info[kr->n++] = all[i];
	}
	if (pass != NULL)
		sodium_free(pass);
	free(all);
	if (rc == EX_OK && kr->n == 0)
		rc = cli_die(EX_USAGE,
			     o->as ? "%s/journalists/%s has no secret key"
				   : "%s/journalists holds no secret key%s",
			     o->dir, o->as ? o->as : "");
	if (rc != EX_OK)
		keyring_free(kr);
	return rc;
}

/* ---- sources ---- */

static void day_string(char *out, size_t cap, uint32_t day)
{
	time_t t = (time_t)day * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d", &tm);
}

static json_t *b64j(const uint8_t *b, size_t n)
{
	char s[96];
	gd_b64_encode(s, sizeof s, b, n);
	return json_string(s);
}

static int b64_field(json_t *o, const char *key, uint8_t *out, size_t n)
{
	return gd_b64_decode_exact(out, n, json_string_value(json_object_get(o, key))) == GD_OK
		       ? 0
		       : -1;
}

/* Find or record the source that signed m, in D/sources/LABEL.json. *changed: it showed a
 * reply key or mailbox other than the first time (replies still go to the first). */
static int source_register(const opts *o, const gd_manifest *m, uint32_t day, char *label,
			   size_t cap, int *changed)
{
	char dir[4096], file[4096], base[64];
	*changed = 0;
	desk_path(dir, sizeof dir, o->dir, "sources");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	/* Three list words from the identity key: stable across batches, not the codename. */
	gd_source_label(base, sizeof base, m->identity_pk);
	for (int i = 1; i < 100; i++) {
		if (i == 1)
			snprintf(label, cap, "%s", base);
		else
			snprintf(label, cap, "%s-%d", base, i);
		desk_path(file, sizeof file, o->dir, "sources/%s.json", label);
		json_error_t jerr;
		json_t *s = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
		if (s == NULL) {
			if (access(file, F_OK) == 0)
				return -1; /* unreadable: never silently replace a source's keys */
			char d[16];
			day_string(d, sizeof d, day);
			s = json_pack("{s:s, s:o, s:o, s:o, s:s}", "source", label, "identity_pk",
				      b64j(m->identity_pk, 32), "reply_pk", b64j(m->reply_pk, 32),
				      "mailbox_id", b64j(m->mailbox_id, 16), "first_seen", d);
			char *txt = json_dumps(s, JSON_INDENT(2) | JSON_SORT_KEYS);
			json_decref(s);
			int rc = txt == NULL ? -1
					     : gd_file_write_atomic(file, (const uint8_t *)txt,
								    strlen(txt), 0600, 1);
			free(txt);
			return rc;
		}
		uint8_t id[32], rk[32], mb[16];
		int bad = b64_field(s, "identity_pk", id, 32) || b64_field(s, "reply_pk", rk, 32) ||
			  b64_field(s, "mailbox_id", mb, 16);
		json_decref(s);
		if (bad)
			return -1;
		if (sodium_memcmp(id, m->identity_pk, 32) != 0)
			continue; /* another source whose words collide */
		*changed = sodium_memcmp(rk, m->reply_pk, 32) != 0 ||
			   sodium_memcmp(mb, m->mailbox_id, 16) != 0;
		return 0;
	}
	return -1;
}

/* ---- opening one submission ---- */

typedef enum { R_FAILED = 0, R_NEW, R_EARLIER } result_kind;

typedef struct {
	result_kind kind;
	char error[200];
	char folder[256]; /* relative to OUTDIR */
	uint8_t ack_key[GD_ACK_KEY_BYTES];
	int reply_key_changed;
	int cleaned; /* message.txt had characters replaced; message-unsafe.txt is the original */
} result;

typedef struct {
	const opts *o;
	const keyring *kr;
	int batch_fd, out_fd, book_fd;
	int index_fd;        /* BOOK/opened, appended to */
	struct opened *seen; /* what it held at the start, sorted by drop id */
	size_t n_seen;
	atomic_size_t index_lost;
	const batch_index *ix;
	result *res;
	atomic_size_t next;
	pthread_mutex_t lock; /* sources and renames into OUTDIR */
} job;

typedef struct {
	int fd;
	uint64_t off, end;
	crypto_generichash_state *hash; /* of every byte read, or NULL */
	int quiet;                      /* not counted in the progress bar */
} slice;

static ssize_t read_slice(void *arg, uint8_t *buf, size_t len)
{
	slice *s = arg;
	if (s->off >= s->end)
		return 0;
	if (len > s->end - s->off)
		len = (size_t)(s->end - s->off);
	ssize_t n;
	do
		n = pread(s->fd, buf, len, (off_t)s->off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	s->off += (uint64_t)n;
	if (s->hash != NULL)
		crypto_generichash_update(s->hash, buf, (size_t)n);
	if (!s->quiet)
		progress_add((uint64_t)n);
	return n;
}

/* The envelope's BLAKE2b-256, the desk's own (PROTOCOL.md §13.2): read what the slice has
 * left into the hash. 0, or -1 on a read error or a short file. */
static int slice_hash_rest(slice *in, uint8_t out[32])
{
	uint8_t buf[65536];
	ssize_t n;
	while ((n = read_slice(in, buf, sizeof buf)) > 0)
		;
	if (n < 0 || in->off != in->end)
		return -1;
	crypto_generichash_final(in->hash, out, 32);
	return 0;
}

typedef struct {
	int dirfd; /* the temporary folder */
	gd_manifest m;
	char (*names)[NAMES_MAX_BYTES + 32];
	size_t cur; /* attachment whose file is open */
	int fd;
	int failed;
	size_t text_replaced; /* characters of message.txt replaced for the terminal */
} sink_state;

/* message.txt: the testimony, safe to show in a terminal. If that replaced anything (escape
 * sequences, bidi overrides, malformed UTF-8), message-unsafe.txt keeps the exact bytes. */
static int write_message(sink_state *s, const gd_manifest *m)
{
	size_t clen = 0;
	char *clean =
		names_clean_text((const uint8_t *)m->text, m->text_len, &clen, &s->text_replaced);
	if (clean == NULL)
		return -1;
	int fd = openat(s->dirfd, "message.txt",
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = fd >= 0 && gd_write_all(fd, (const uint8_t *)clean, clen) == 0 ? 0 : -1;
	if (fd >= 0 && close(fd) != 0)
		rc = -1;
	sodium_memzero(clean, clen);
	free(clean);
	if (rc != 0 || s->text_replaced == 0)
		return rc;
	fd = openat(s->dirfd, "message-unsafe.txt",
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	rc = fd >= 0 && gd_write_all(fd, (const uint8_t *)m->text, m->text_len) == 0 ? 0 : -1;
	if (fd >= 0 && close(fd) != 0)
		rc = -1;
	return rc;
}

static int on_manifest(void *arg, const gd_manifest *m)
{
	sink_state *s = arg;
	s->m = *m; /* shallow: valid during gd_envelope_open; the text is copied below */
	s->m.text = NULL;
	s->m.attachments = NULL;
	s->names = calloc(m->n_attachments + 1, sizeof *s->names);
	if (s->names == NULL)
		return -1;
	if (write_message(s, m) != 0)
		return -1;
	int fd;
	for (size_t i = 0; i < m->n_attachments; i++) {
		names_safe(s->names[i], sizeof s->names[i], m->attachments[i].name, i);
		if (unique_name(s->dirfd, s->names[i], sizeof s->names[i]) != 0)
			return -1;
		fd = openat(s->dirfd, s->names[i],
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || close(fd) != 0)
			return -1;
	}
	/* the manifest's own copy, kept for manifest.json */
	s->m.attachments =
		m->n_attachments ? calloc(m->n_attachments, sizeof *m->attachments) : NULL;
	if (m->n_attachments && s->m.attachments == NULL)
		return -1;
	if (m->n_attachments)
		memcpy(s->m.attachments, m->attachments, m->n_attachments * sizeof *m->attachments);
	s->fd = -1;
	return 0;
}

static int on_data(void *arg, size_t att, const uint8_t *buf, size_t len)
{
	sink_state *s = arg;
	if (s->fd < 0 || s->cur != att) {
		if (s->fd >= 0 && close(s->fd) != 0)
			return -1;
		s->cur = att;
		s->fd = openat(s->dirfd, s->names[att],
			       O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
		if (s->fd < 0)
			return -1;
	}
	return gd_write_all(s->fd, buf, len);
}

/* Remove a temporary folder of ours (flat: files only). */
static void remove_tmp(int parent, const char *name)
{
	int d = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d >= 0) {
		DIR *dp = fdopendir(d);
		struct dirent *e;
		while (dp != NULL && (e = readdir(dp)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(d, e->d_name, 0);
		if (dp != NULL)
			closedir(dp);
		else
			close(d);
	}
	unlinkat(parent, name, AT_REMOVEDIR);
}

/* Temporary folders an interrupted open left behind. */
static void clean_book(int book_fd)
{
	int d = dup(book_fd);
	DIR *dp = d >= 0 ? fdopendir(d) : NULL;
	struct dirent *e;
	if (dp == NULL) {
		if (d >= 0)
			close(d);
		return;
	}
	while ((e = readdir(dp)) != NULL)
		if (strncmp(e->d_name, "tmp-", 4) == 0)
			remove_tmp(book_fd, e->d_name);
	closedir(dp);
}

static const char *why(int rc)
{
	switch (rc) {
	case GD_ERR_NOT_RECIPIENT:
		return "not addressed to any key here (another newsroom, or a key this machine "
		       "does not hold)";
	case GD_ERR_HEADER:
	case GD_ERR_PAYLOAD:
		return "tampered with or corrupt (authentication failed)";
	case GD_ERR_SIGNATURE:
		return "the source's signature does not verify (tampered with)";
	case GD_ERR_TRUNCATED:
		return "cut short";
	case GD_ERR_TRAILING:
		return "bytes after the end of the envelope";
	case GD_ERR_IO:
		return "could not write the decrypted files (disk full?)";
	default:
		return gd_strerror(rc);
	}
}

/* manifest.json: what the source sent and how it was saved. Names and text in it are the
 * source's, so anything a terminal would act on is written as a \u escape. */
static int write_manifest_json(int dirfd, const job *j, size_t idx, const sink_state *s,
			       const char *label, const gd_open_result *res, int changed,
			       const uint8_t hash[32], const uint8_t mac[32])
{
	const batch_entry *e = &j->ix->e[idx];
	const jkey *k = &j->kr->info[res->key_index];
	char d[16];
	day_string(d, sizeof d, e->day);
	json_t *atts = json_array();
	for (size_t i = 0; i < s->m.n_attachments; i++)
		json_array_append_new(
			atts, json_pack("{s:s, s:s, s:s, s:I}", "name", s->m.attachments[i].name,
					"saved_as", s->names[i], "type", s->m.attachments[i].type,
					"size", (json_int_t)s->m.attachments[i].size));
	json_t *o = json_pack(
		"{s:o, s:o, s:s, s:s, s:s?, s:b, s:{s:s, s:i}, s:s, s:o}", "submission",
		b64j(s->m.submission_id, 16), "drop_id", b64j(e->id, 16), "kind",
		s->m.kind == GD_KIND_FOLLOWUP ? "followup" : "testimony", "received", d, "source",
		label, "signed_by_source", s->m.has_source, "opened_with", "journalist", k->j.name,
		"key", k->number, "message", "message.txt", "attachments", atts);
	if (o == NULL)
		return -1;
	json_object_set_new(o, "envelope_hash", b64j(hash, 32));
	json_object_set_new(o, "content_mac", b64j(mac, 32));
	if (s->text_replaced)
		json_object_set_new(o, "message_unsafe", json_string("message-unsafe.txt"));
	if (changed)
		json_object_set_new(
			o, "warning",
			json_string("this source showed a reply key or mailbox other than "
				    "the first time; replies still go to the first"));
	char *raw = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	char *txt = raw != NULL ? names_escape_json(raw) : NULL;
	if (raw != NULL) /* the source's names and message details: wiped, like the rest */
		sodium_memzero(raw, strlen(raw));
	free(raw);
	if (txt == NULL)
		return -1;
	int fd = openat(dirfd, "manifest.json",
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = fd >= 0 && gd_write_all(fd, (const uint8_t *)txt, strlen(txt)) == 0 ? 0 : -1;
	if (fd >= 0 && close(fd) != 0)
		rc = -1;
	sodium_memzero(txt, strlen(txt));
	free(txt);
	return rc;
}

static int mkdirat_p(int dirfd, const char *name)
{
	return mkdirat(dirfd, name, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* A folder or file of ours: owned by this user, writable by nobody else, one name only.
 * Another user who could write in OUTDIR could plant a folder, swap one in before a rename,
 * or write the index. */
static int only_mine(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 022) == 0 &&
	       (S_ISDIR(st.st_mode) || st.st_nlink == 1);
}

/* BOOK/opened: one line per submission opened,
 * "DROPID<TAB>FOLDER<TAB>ACKKEY<TAB>ENVELOPEHASH\n" (base64url ids, keys and hashes; folders
 * are words, digits, '-' and '_'), appended as each one lands, so opening again skips what is
 * there. One file, not one per submission: 1,000 fewer inodes a batch. Lines of an older desk
 * (no hash) are ignored: those submissions are decrypted again. */
struct opened {
	uint8_t id[16];
	uint8_t hash[32];
	uint8_t ack[GD_ACK_KEY_BYTES];
	char folder[128];
};

static int opened_cmp(const void *a, const void *b)
{
	const struct opened *x = a, *y = b;
	int c = memcmp(x->id, y->id, 16);
	return c != 0 ? c : memcmp(x->hash, y->hash, 32);
}

static int b64_exact(uint8_t *out, size_t n, const char *s, size_t len)
{
	size_t got;
	return gd_b64_decode(out, n, &got, s, len) == GD_OK && got == n ? 0 : -1;
}

/* LABEL/NAME of the characters open uses ([A-Za-z0-9_-], one '/'): nothing else from the
 * index reaches a path or the terminal. */
static int index_folder_ok(const char *f, size_t len)
{
	size_t slashes = 0;
	for (size_t i = 0; i < len; i++) {
		if (f[i] == '/')
			slashes++;
		else if (!(f[i] >= 'a' && f[i] <= 'z') && !(f[i] >= 'A' && f[i] <= 'Z') &&
			 !(f[i] >= '0' && f[i] <= '9') && f[i] != '-' && f[i] != '_')
			return 0;
	}
	return slashes == 1 && len > 2 && f[0] != '/' && f[len - 1] != '/';
}

/* Read the index; a malformed line (a write cut by a crash) is ignored. */
static int index_load(job *j)
{
	struct stat st;
	if (fstat(j->index_fd, &st) != 0 || st.st_size > (256 << 20))
		return -1;
	char *buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return -1;
	size_t len = 0;
	while (len < (size_t)st.st_size) {
		ssize_t n = pread(j->index_fd, buf + len, (size_t)st.st_size - len, (off_t)len);
		if (n <= 0) {
			free(buf);
			return -1;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	j->seen = calloc(lines + 1, sizeof *j->seen);
	if (j->seen == NULL) {
		free(buf);
		return -1;
	}
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		char *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;
		struct opened *o = &j->seen[j->n_seen];
		if (t3 == NULL || (size_t)(t2 - t1 - 1) >= sizeof o->folder ||
		    !index_folder_ok(t1 + 1, (size_t)(t2 - t1 - 1)) ||
		    b64_exact(o->id, 16, line, (size_t)(t1 - line)) != 0 ||
		    b64_exact(o->ack, sizeof o->ack, t2 + 1, (size_t)(t3 - t2 - 1)) != 0 ||
		    b64_exact(o->hash, 32, t3 + 1, strlen(t3 + 1)) != 0)
			continue;
		memcpy(o->folder, t1 + 1, (size_t)(t2 - t1 - 1));
		o->folder[t2 - t1 - 1] = '\0';
		j->n_seen++;
	}
	free(buf);
	qsort(j->seen, j->n_seen, sizeof *j->seen, opened_cmp);
	return 0;
}

/* The index has a line for this drop id (under any envelope hash). */
static int index_has_id(const job *j, const uint8_t id[16])
{
	size_t lo = 0, hi = j->n_seen;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(j->seen[mid].id, id, 16);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* FOLDER ("LABEL/NAME") opened without following a symbolic link at either level. */
static int open_folder(int out_fd, const char *folder)
{
	char label[128];
	const char *slash = strchr(folder, '/');
	if (slash == NULL || (size_t)(slash - folder) >= sizeof label ||
	    strchr(slash + 1, '/') != NULL || slash == folder || slash[1] == '\0' ||
	    folder[0] == '.' || slash[1] == '.')
		return -1;
	memcpy(label, folder, (size_t)(slash - folder));
	label[slash - folder] = '\0';
	int lfd = openat(out_fd, label, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lfd < 0)
		return -1;
	int dfd = openat(lfd, slash + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(lfd);
	return dfd;
}

/* A file name open wrote: one component, no dot first, nothing to escape. */
static int plain_name(const char *name)
{
	return name != NULL && name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL &&
	       strlen(name) < NAMES_MAX_BYTES + 32;
}

/* What proves a folder holds what open wrote there: BLAKE2b-256 keyed with the submission's
 * ack key (which only a holder of a journalist key can compute, and which the envelope's header
 * commits to) over each file's index, length and bytes, in order. Someone who can write OUTDIR
 * but never opened the envelope cannot make a folder that passes. 0, or -1 when a file is
 * missing, not a regular file, or unreadable. */
static int content_mac(int dfd, const char *const *files, size_t n,
		       const uint8_t ack_key[GD_ACK_KEY_BYTES], uint8_t out[32])
{
	uint8_t buf[65536];
	int rc = 0;
	gd_content_mac *m = gd_content_mac_new(ack_key);
	if (m == NULL)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct stat sb;
		int fd = plain_name(files[i])
				 ? openat(dfd, files[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
				 : -1;
		if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			rc = -1;
		} else {
			gd_content_mac_file(m, (uint64_t)i, (uint64_t)sb.st_size);
			uint64_t left = (uint64_t)sb.st_size;
			ssize_t r = 0;
			while (left > 0 && (r = read(fd, buf, sizeof buf)) > 0) {
				size_t k = (uint64_t)r < left ? (size_t)r : (size_t)left;
				gd_content_mac_update(m, buf, k);
				left -= k;
			}
			if (left != 0 || r < 0)
				rc = -1;
		}
		if (fd >= 0)
			close(fd);
	}
	gd_content_mac_final(m, out);
	gd_content_mac_free(m);
	sodium_memzero(buf, sizeof buf);
	return rc;
}

/* The files of a submission folder, in content_mac's order, as manifest.json lists them:
 * the message, the exact message if any, the attachments. At most cap; the count, or -1. */
static int manifest_files(json_t *mj, const char **files, size_t cap)
{
	size_t n = 0, i;
	json_t *a, *exact = json_object_get(mj, "message_unsafe");
	files[n++] = json_string_value(json_object_get(mj, "message"));
	if (exact != NULL)
		files[n++] = json_string_value(exact);
	json_array_foreach (json_object_get(mj, "attachments"), i, a) {
		if (n == cap)
			return -1;
		files[n++] = json_string_value(json_object_get(a, "saved_as"));
	}
	for (i = 0; i < n; i++)
		if (!plain_name(files[i]))
			return -1;
	return (int)n;
}

/* FOLDER holds the submission whose envelope hash is `hash`, whole and unchanged: its
 * manifest.json names that hash, and its content MAC under the submission's (authentic) ack
 * key matches the files there. Nothing else makes a submission "opened before": not its
 * drop id, not its folder's name, not a manifest someone wrote. */
static int folder_holds(int out_fd, const char *folder, const uint8_t hash[32],
			const uint8_t ack_key[GD_ACK_KEY_BYTES])
{
	int dfd = open_folder(out_fd, folder), ok = 0;
	if (dfd < 0)
		return 0;
	int fd = openat(dfd, "manifest.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char *txt = NULL;
	const char **files = calloc(GD_ENV_MAX_ATTACHMENTS + 2, sizeof *files);
	if (files != NULL && fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < (4 << 20) && (txt = malloc((size_t)st.st_size + 1)) != NULL &&
	    read(fd, txt, (size_t)st.st_size) == (ssize_t)st.st_size) {
		json_t *mj = json_loadb(txt, (size_t)st.st_size, JSON_REJECT_DUPLICATES, NULL);
		uint8_t h[32], want[32], got[32];
		int n = mj != NULL ? manifest_files(mj, files, GD_ENV_MAX_ATTACHMENTS + 2) : -1;
		ok = n > 0 && b64_field(mj, "envelope_hash", h, 32) == 0 &&
		     sodium_memcmp(h, hash, 32) == 0 &&
		     b64_field(mj, "content_mac", want, 32) == 0 &&
		     content_mac(dfd, files, (size_t)n, ack_key, got) == 0 &&
		     sodium_memcmp(got, want, 32) == 0;
		json_decref(mj);
	}
	free(files);
	free(txt);
	if (fd >= 0)
		close(fd);
	close(dfd);
	return ok;
}

/* The ack key is the one this envelope's header commits to (gd_ack_hash): an index line
 * cannot bring a key of its own. */
static int ack_key_fits(const job *j, const batch_entry *e, const uint8_t ack_key[GD_ACK_KEY_BYTES])
{
	uint8_t head[4096], want[GD_ACK_HASH_BYTES], got[GD_ACK_HASH_BYTES];
	size_t len = gd_envelope_header_size(GD_ENV_MAX_RECIPIENTS);
	unsigned n;
	uint64_t total;
	if (len > sizeof head)
		return 0;
	if (len > e->len)
		len = (size_t)e->len;
	if (pread(j->batch_fd, head, len, (off_t)e->offset) != (ssize_t)len ||
	    gd_envelope_peek(head, len, &n, &total, want) != GD_OK)
		return 0;
	gd_ack_hash(got, ack_key);
	return sodium_memcmp(got, want, sizeof got) == 0;
}

/* Opened before: the index names this very envelope with its true ack key, and its folder
 * still holds it whole (moved away or changed: open it again). */
static int opened_before(job *j, const batch_entry *e, const uint8_t hash[32], result *r)
{
	struct opened key;
	memcpy(key.id, e->id, 16);
	memcpy(key.hash, hash, 32);
	const struct opened *o = bsearch(&key, j->seen, j->n_seen, sizeof *j->seen, opened_cmp);
	if (o == NULL || !ack_key_fits(j, e, o->ack) ||
	    !folder_holds(j->out_fd, o->folder, hash, o->ack))
		return -1;
	memcpy(r->ack_key, o->ack, sizeof r->ack_key);
	snprintf(r->folder, sizeof r->folder, "%s", o->folder);
	return 0;
}

/* Move the verified temporary folder into LABEL/: under its own name, or under the next free
 * one when another submission holds that name. R_EARLIER only when the folder found holds this
 * very envelope. 0, or -1 with r->error set. */
static int place(job *j, const char *tmp, const char *label, uint32_t day, const uint8_t hash[32],
		 result *r)
{
	if (mkdirat_p(j->out_fd, label) != 0) {
		snprintf(r->error, sizeof r->error, "cannot create %s: %s", label, strerror(errno));
		return -1;
	}
	int lfd = openat(j->out_fd, label, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lfd >= 0 && !only_mine(lfd)) {
		close(lfd);
		snprintf(r->error, sizeof r->error,
			 "%s in the output folder belongs to another user or "
			 "others can write it: nothing was written there; remove or rename it, "
			 "then run "
			 "open again",
			 label);
		return -1;
	}
	if (lfd < 0) {
		snprintf(r->error, sizeof r->error,
			 "%s in the output folder is not a folder of the desk (%s): "
			 "nothing was written through it; remove or rename it, then run open again",
			 label,
			 errno == ELOOP || errno == ENOTDIR ? "a symbolic link or a file"
							    : strerror(errno));
		return -1;
	}
	int rc = -1;
	for (unsigned attempt = 1; attempt <= 100; attempt++) {
		char folder[sizeof r->folder];
		if (names_folder(folder, sizeof folder, label, day, hash, attempt) != 0)
			break;
		const char *name = folder + strlen(label) + 1;
		/* renameat never replaces a folder that has files */
		if (renameat(j->book_fd, tmp, lfd, name) == 0) {
			r->kind = R_NEW;
		} else if (errno == EEXIST || errno == ENOTEMPTY || errno == ENOTDIR) {
			if (!folder_holds(j->out_fd, folder, hash, r->ack_key))
				continue; /* not this envelope, whole: never "opened before" */
			r->kind = R_EARLIER;
		} else {
			snprintf(r->error, sizeof r->error, "cannot create %.100s: %s", folder,
				 strerror(errno));
			break;
		}
		snprintf(r->folder, sizeof r->folder, "%s", folder);
		rc = 0;
		break;
	}
	if (rc != 0 && r->error[0] == '\0')
		snprintf(r->error, sizeof r->error, "no free folder name in %s", label);
	close(lfd);
	return rc;
}

static void open_one(job *j, size_t idx)
{
	const batch_entry *e = &j->ix->e[idx];
	result *r = &j->res[idx];
	char idb[32], tmp[64];
	uint8_t hash[32];
	crypto_generichash_state hs;
	gd_b64_encode(idb, sizeof idb, e->id, 16);
	if (index_has_id(j, e->id)) {
		slice h = {j->batch_fd, e->offset, e->offset + e->len, &hs, 1};
		crypto_generichash_init(&hs, NULL, 0, 32);
		if (slice_hash_rest(&h, hash) == 0 && opened_before(j, e, hash, r) == 0) {
			r->kind = R_EARLIER;
			progress_add(e->len);
			return;
		}
	}
	snprintf(tmp, sizeof tmp, "tmp-%s", idb);
	sink_state s;
	memset(&s, 0, sizeof s);
	s.fd = -1;
	if (mkdirat(j->book_fd, tmp, 0700) != 0 ||
	    (s.dirfd = openat(j->book_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
		    0) {
		snprintf(r->error, sizeof r->error, "cannot create a folder: %s", strerror(errno));
		progress_add(e->len);
		return;
	}
	crypto_generichash_init(&hs, NULL, 0, 32);
	slice in = {j->batch_fd, e->offset, e->offset + e->len, &hs, 0};
	gd_open_sink sink = {on_manifest, on_data, &s};
	gd_open_result res;
	int rc = gd_envelope_open(read_slice, &in, (const uint8_t(*)[32])j->kr->sk,
				  (const uint8_t(*)[32])j->kr->pk, j->kr->n, &sink, &res);
	if (rc == GD_OK && slice_hash_rest(&in, hash) != 0)
		rc = GD_ERR_IO;
	progress_add(in.end - in.off); /* what was not read (a failure) */
	if (s.fd >= 0 && close(s.fd) != 0 && rc == GD_OK)
		rc = GD_ERR_IO;
	if (rc == GD_OK) {
		char label[80] = "no-reply";
		int changed = 0;
		/* only the sources' registry is shared; the rest runs in parallel */
		if (s.m.has_source) {
			pthread_mutex_lock(&j->lock);
			if (source_register(j->o, &s.m, e->day, label, sizeof label, &changed) !=
			    0) {
				snprintf(r->error, sizeof r->error,
					 "cannot record the source in %s/sources: %s", j->o->dir,
					 strerror(errno));
				rc = GD_ERR_IO;
			}
			pthread_mutex_unlock(&j->lock);
		}
		/* what was written, as written: the proof that a folder holds this submission */
		uint8_t mac[32];
		const char **files = calloc(s.m.n_attachments + 2, sizeof *files);
		size_t nf = 0;
		if (files != NULL) {
			files[nf++] = "message.txt";
			if (s.text_replaced)
				files[nf++] = "message-unsafe.txt";
			for (size_t i = 0; i < s.m.n_attachments; i++)
				files[nf++] = s.names[i];
		}
		if (rc == GD_OK &&
		    (files == NULL || content_mac(s.dirfd, files, nf, res.ack_key, mac) != 0)) {
			snprintf(r->error, sizeof r->error,
				 "cannot read back the decrypted files: %s", strerror(errno));
			rc = GD_ERR_IO;
		}
		free(files);
		if (rc == GD_OK &&
		    write_manifest_json(s.dirfd, j, idx, &s, s.m.has_source ? label : NULL, &res,
					changed, hash, mac) != 0) {
			snprintf(r->error, sizeof r->error, "cannot write manifest.json: %s",
				 strerror(errno));
			rc = GD_ERR_IO;
		}
		if (rc == GD_OK) {
			memcpy(r->ack_key, res.ack_key, sizeof r->ack_key);
			r->reply_key_changed = changed;
			r->cleaned = s.text_replaced > 0;
			if (place(j, tmp, label, e->day, hash, r) != 0)
				rc = GD_ERR_IO;
		}
		if (rc == GD_OK) {
			/* one write() with O_APPEND: lines from several threads never mix */
			char line[400], kb[64], hb[64];
			gd_b64_encode(kb, sizeof kb, r->ack_key, sizeof r->ack_key);
			gd_b64_encode(hb, sizeof hb, hash, sizeof hash);
			int n = snprintf(line, sizeof line, "%s\t%s\t%s\t%s\n", idb, r->folder, kb,
					 hb);
			if (write(j->index_fd, line, (size_t)n) != n)
				atomic_fetch_add(&j->index_lost,
						 1); /* the next open decrypts it again */
		}
		if (rc != GD_OK)
			r->kind = R_FAILED;
	} else {
		snprintf(r->error, sizeof r->error, "%s", why(rc));
	}
	close(s.dirfd);
	if (r->kind != R_NEW)
		remove_tmp(j->book_fd, tmp);
	free(s.names);
	if (s.m.attachments != NULL) {
		sodium_memzero(s.m.attachments, s.m.n_attachments * sizeof *s.m.attachments);
		free(s.m.attachments);
	}
	sodium_memzero(&s.m, sizeof s.m);
	sodium_memzero(&res, sizeof res);
	sodium_memzero(&hs, sizeof hs);
}

static void *worker(void *arg)
{
	job *j = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);
		if (i >= j->ix->n)
			return NULL;
		open_one(j, i);
	}
}

static int write_ack_file(const char *file, const batch_index *ix, const result *res)
{
	json_t *acks = json_array();
	for (size_t i = 0; i < ix->n; i++)
		if (res[i].kind != R_FAILED)
			json_array_append_new(acks,
					      json_pack("{s:o, s:o}", "id", b64j(ix->e[i].id, 16),
							"ack_key", b64j(res[i].ack_key, 32)));
	json_t *doc = json_pack("{s:i, s:o}", "ghostdrop_ack", 1, "acks", acks);
	char *txt = json_dumps(doc, JSON_INDENT(1));
	json_decref(doc);
	int rc = txt == NULL
			 ? -1
			 : gd_file_write_atomic(file, (const uint8_t *)txt, strlen(txt), 0600, 0);
	free(txt);
	return rc;
}

/* Where decrypted testimony may go, checked before any passphrase is asked: a folder of this
 * user's that nobody else can write (or, if it does not exist yet, the folder it will be made
 * in), and never a USB stick's filesystem: FAT has no permissions, and a stick travels to the
 * online machine. The checks on the open descriptors later are the ones that hold. */
static int outdir_preflight(const char *out)
{
	int fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC), existed = fd >= 0;
	if (fd < 0 && errno == ENOENT) {
		char *copy = strdup(out);
		if (copy != NULL)
			fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(copy);
	}
	if (fd < 0)
		return cli_die(EX_FILE, "%s: %s", out, strerror(errno));
	struct stat st;
	int rc = EX_OK;
	if (gd_fs_is_fat(fd))
		rc = cli_die(
			EX_FILE,
			"%s is on a USB stick's filesystem (FAT): decrypted testimony must stay "
			"on this offline machine; choose a folder on its own disk, e.g. "
			"~/Persistent/testimonies",
			out);
	else if (existed && fstat(fd, &st) == 0 && st.st_uid != geteuid())
		rc = cli_die(EX_FILE,
			     "%s belongs to another user (uid %u): choose a folder of your own",
			     out, (unsigned)st.st_uid);
	else if (existed && fstat(fd, &st) == 0 && (st.st_mode & 022) != 0)
		rc = cli_die(
			EX_FILE,
			"others can write %s (mode %03o): run chmod 700 %s, or choose a folder "
			"only you can write",
			out, (unsigned)(st.st_mode & 0777), out);
	close(fd);
	return rc;
}

/* OUTDIR, its bookkeeping folder and index, made or opened, checked as ours; what was opened
 * before read; temporary folders of an interrupted open removed. */
static int open_outdir(const opts *o, job *j)
{
	j->out_fd = j->book_fd = j->index_fd = -1;
	if ((mkdir(o->out, 0700) != 0 && errno != EEXIST) ||
	    (j->out_fd = open(o->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    mkdirat_p(j->out_fd, BOOK) != 0 ||
	    (j->book_fd = openat(j->out_fd, BOOK,
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (j->index_fd = openat(j->book_fd, "opened",
				  O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return cli_die(EX_FILE, "%s: %s", o->out, strerror(errno));
	if (!only_mine(j->out_fd) || !only_mine(j->book_fd) || !only_mine(j->index_fd))
		return cli_die(EX_FILE,
			       "%s: it (or its %s folder) belongs to another user or others can "
			       "write it; open into a folder only you can write",
			       o->out, BOOK);
	if (index_load(j) != 0)
		return cli_die(EX_FILE, "%s/%s/opened: %s", o->out, BOOK, strerror(errno));
	clean_book(j->book_fd);
	return EX_OK;
}

/* Every submission opened, on -j threads (all cores by default). */
static int open_all(const opts *o, job *j)
{
	const batch_index *ix = j->ix;
	j->res = calloc(ix->n + 1, sizeof *j->res);
	if (j->res == NULL)
		return cli_die(EX_FAIL, "out of memory");
	pthread_mutex_init(&j->lock, NULL);
	atomic_init(&j->next, 0);
	atomic_init(&j->index_lost, 0);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t jobs = o->jobs > 0 ? (size_t)o->jobs : cores > 0 ? (size_t)cores : 1;
	if (jobs > MAX_JOBS)
		jobs = MAX_JOBS;
	if (jobs > ix->n)
		jobs = ix->n ? ix->n : 1;
	uint64_t total = 0;
	for (size_t i = 0; i < ix->n; i++)
		total += ix->e[i].len;
	progress_start("open", total);
	pthread_t th[MAX_JOBS];
	size_t started = 0;
	for (; started < jobs; started++)
		if (pthread_create(&th[started], NULL, worker, j) != 0)
			break;
	if (started == 0 && ix->n > 0)
		worker(j); /* no thread could start: do it here */
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	progress_end();
	pthread_mutex_destroy(&j->lock);
	return EX_OK;
}

/* What open found, counted for its summary. */
typedef struct {
	size_t fresh, earlier, failed, cleaned;
	char batch_problem[240];
	json_t *list; /* the submissions, for --json */
} open_tally;

/* Every failure named, never skipped silently; the batch's own state; warnings. */
static void open_report(const opts *o, const job *j, open_tally *t)
{
	const batch_index *ix = j->ix;
	t->list = json_array();
	for (size_t i = 0; i < ix->n; i++) {
		const result *r = &j->res[i];
		char idb[32];
		gd_b64_encode(idb, sizeof idb, ix->e[i].id, 16);
		t->fresh += r->kind == R_NEW;
		t->earlier += r->kind == R_EARLIER;
		t->failed += r->kind == R_FAILED;
		if (r->kind == R_FAILED)
			fprintf(stderr, "%s: submission %zu (%s): %s\n", cli_name, i + 1, idb,
				r->error);
		t->cleaned += r->kind == R_NEW && r->cleaned;
		if (r->reply_key_changed)
			fprintf(stderr,
				"%s: warning: %s: this source showed another reply key than the "
				"first time; replies still go to the first one\n",
				cli_name, r->folder);
		json_array_append_new(t->list,
				      json_pack("{s:s, s:s, s:s?, s:s?}", "drop_id", idb, "result",
						r->kind == R_NEW       ? "opened"
						: r->kind == R_EARLIER ? "opened_before"
								       : "failed",
						"folder", r->kind != R_FAILED ? r->folder : NULL,
						"error", r->kind == R_FAILED ? r->error : NULL));
	}
	if (ix->corrupt)
		snprintf(t->batch_problem, sizeof t->batch_problem,
			 "the batch is corrupt after submission %zu: %s", ix->n, ix->error);
	else if (ix->partial)
		snprintf(t->batch_problem, sizeof t->batch_problem,
			 "the batch is cut short inside submission %zu (fetch it again)",
			 ix->n + 1);
	else if (!ix->complete)
		snprintf(t->batch_problem, sizeof t->batch_problem,
			 "the batch has no end mark: it was cut short after submission %zu (fetch "
			 "it again)",
			 ix->n);
	if (t->batch_problem[0] != '\0')
		fprintf(stderr, "%s: %s\n", cli_name, t->batch_problem);
	if (t->cleaned > 0)
		fprintf(stderr,
			"%s: %zu message(s) held terminal control or invisible characters: read "
			"message.txt (cleaned); message-unsafe.txt keeps the exact text: never "
			"print it in a terminal\n",
			cli_name, t->cleaned);
	if (atomic_load(&j->index_lost) > 0)
		fprintf(stderr,
			"%s: warning: %zu submission(s) could not be noted in %s/%s/opened (disk "
			"full?): the next open decrypts them again\n",
			cli_name, atomic_load(&j->index_lost), o->out, BOOK);
}

#define NEW_FOLDERS_SHOWN 20

/* The summary: counts, the ack file, and the folders opened now (where to read). */
static void open_summary(const opts *o, const job *j, const open_tally *t, const char *ackfile)
{
	fprintf(stderr,
		"%s: %zu submission(s) in %s: %zu opened now, %zu opened before, %zu failed. "
		"Ack file: %s\n",
		cli_name, j->ix->n, o->out, t->fresh, t->earlier, t->failed, ackfile);
	size_t shown = 0;
	for (size_t i = 0; i < j->ix->n; i++) {
		if (j->res[i].kind != R_NEW)
			continue;
		if (shown++ < NEW_FOLDERS_SHOWN)
			fprintf(stderr, "  new: %s/%s\n", o->out, j->res[i].folder);
	}
	if (shown > NEW_FOLDERS_SHOWN)
		fprintf(stderr, "  and %zu more new folder(s) (--json lists them all)\n",
			shown - NEW_FOLDERS_SHOWN);
}

/* What was written is on disk before the ack file lets the drop delete its copy; then the
 * summary (and --json). */
static int open_finish(const opts *o, job *j, open_tally *t)
{
	char ackfile[4096];
	if (syncfs(j->out_fd) != 0)
		return cli_die(EX_FILE, "%s: %s", o->out, strerror(errno));
	if (o->ack_out != NULL)
		snprintf(ackfile, sizeof ackfile, "%s", o->ack_out);
	else
		desk_path(ackfile, sizeof ackfile, o->out, "ack");
	if (write_ack_file(ackfile, j->ix, j->res) != 0)
		return cli_die(EX_FILE, "%s: %s", ackfile, strerror(errno));
	open_summary(o, j, t, ackfile);
	int problem = t->batch_problem[0] != '\0';
	if (o->json) {
		json_t *rep =
			json_pack("{s:I, s:I, s:I, s:s?, s:s, s:O}", "opened", (json_int_t)t->fresh,
				  "opened_before", (json_int_t)t->earlier, "failed",
				  (json_int_t)(t->failed + (size_t)problem), "batch_problem",
				  problem ? t->batch_problem : NULL, "ack_file", ackfile,
				  "submissions", t->list);
		char *txt = json_dumps(rep, JSON_COMPACT);
		printf("%s\n", txt);
		free(txt);
		json_decref(rep);
	}
	return t->failed || problem ? EX_PARTIAL : EX_OK;
}

int cmd_open(const opts *o)
{
	char err[256];
	batch_index ix;
	keyring kr;
	job j;
	open_tally t;
	int rc;
	if (o->n_args != 1 || o->out == NULL)
		return cli_die(EX_USAGE,
			       "usage: open --dir D BATCH --out OUTDIR [-j N] [--as NAME] "
			       "[--ack-out FILE]");
	if (o->jobs < 0 || o->jobs > MAX_JOBS)
		return cli_die(EX_USAGE, "-j is 1..%d", MAX_JOBS);
	memset(&j, 0, sizeof j);
	memset(&t, 0, sizeof t);
	j.batch_fd = open(o->args[0], O_RDONLY | O_CLOEXEC);
	if (j.batch_fd < 0)
		return cli_die(EX_FILE, "%s: %s", o->args[0], strerror(errno));
	if (batch_scan(j.batch_fd, &ix, err, sizeof err) != 0) {
		close(j.batch_fd);
		return cli_die(EX_FILE, "%s: %s", o->args[0], err);
	}
	if ((rc = outdir_preflight(o->out)) != EX_OK || (rc = keyring_load(o, &kr)) != EX_OK) {
		close(j.batch_fd);
		batch_index_free(&ix);
		return rc;
	}
	j.o = o;
	j.kr = &kr;
	j.ix = &ix;
	if ((rc = open_outdir(o, &j)) == EX_OK && (rc = open_all(o, &j)) == EX_OK) {
		open_report(o, &j, &t);
		rc = open_finish(o, &j, &t);
	}
	json_decref(t.list);
	free(j.res);
	if (j.index_fd >= 0)
		close(j.index_fd);
	free(j.seen);
	if (j.book_fd >= 0)
		close(j.book_fd);
	if (j.out_fd >= 0)
		close(j.out_fd);
	close(j.batch_fd);
	batch_index_free(&ix);
	keyring_free(&kr);
	return rc;
}

/* ---- reply ---- */

/* The source names in DIR/sources, for the nearest to a mistyped one: up to cap of them in
 * names (each malloc'ed); their count. */
static size_t source_names(const opts *o, char **names, size_t cap)
{
	char dpath[4096];
	size_t n = 0;
	desk_path(dpath, sizeof dpath, o->dir, "sources");
	DIR *d = opendir(dpath);
	struct dirent *e;
	while (d != NULL && n < cap && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] != '.' && len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
			names[n++] = strndup(e->d_name, len - 5);
		if (n > 0 && names[n - 1] == NULL)
			n--;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/* The source's reply key and mailbox, from DIR/sources/SOURCE.json; an unknown name gets the
 * nearest known one. */
static int reply_source(const opts *o, uint8_t rk[32], uint8_t mb[16])
{
	char file[4096];
	json_error_t jerr;
	if (!gd_name_valid(o->source) || strchr(o->source, '/') != NULL)
		return cli_die(EX_USAGE, "SOURCE is a source's folder name from open");
	desk_path(file, sizeof file, o->dir, "sources/%s.json", o->source);
	json_t *s = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (s == NULL) {
		char *names[256];
		size_t n = source_names(o, names, sizeof names / sizeof names[0]);
		const char *near = desk_nearest(o->source, (const char *const *)names, n);
		int rc = near != NULL
				 ? cli_die(EX_FILE, "no source %s in %s/sources; did you mean %s?",
					   o->source, o->dir, near)
				 : cli_die(EX_FILE,
					   "no source %s in %s/sources (open a batch from it "
					   "first)",
					   o->source, o->dir);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		return rc;
	}
	int bad = b64_field(s, "reply_pk", rk, 32) || b64_field(s, "mailbox_id", mb, 16);
	json_decref(s);
	return bad ? cli_die(EX_FILE, "%s is damaged", file) : EX_OK;
}

/* Standard input, at most max bytes, into one malloc'ed buffer (no copies left behind by a
 * realloc). 0, or -1 with errno (EFBIG when longer). */
static int read_stdin(size_t max, uint8_t **out, size_t *len)
{
	uint8_t *buf = malloc(max + 2);
	size_t n = 0;
	int e = 0;
	if (buf == NULL)
		return -1;
	while (n <= max) {
		ssize_t r = read(STDIN_FILENO, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			e = errno;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (e != 0 || n > max) {
		sodium_memzero(buf, n);
		free(buf);
		errno = e != 0 ? e : EFBIG;
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* The reply's text: --message-file F, or standard input (also with F "-"). */
static int reply_text(const opts *o, uint8_t **msg, size_t *mlen)
{
	int from_stdin = o->message_file == NULL || strcmp(o->message_file, "-") == 0;
	const char *name = from_stdin ? "standard input" : o->message_file;
	if (from_stdin && isatty(STDIN_FILENO))
		fprintf(stderr, "%s: type the reply, then Ctrl-D on a line of its own\n", cli_name);
	int r = from_stdin ? read_stdin(GD_REPLY_MAX_TEXT, msg, mlen)
			   : gd_file_read(o->message_file, GD_REPLY_MAX_TEXT, msg, mlen);
	if (r != 0)
		return cli_die(EX_FILE, "%s: %s", name,
			       errno == EFBIG ? "a reply is at most 64 KiB of text"
					      : strerror(errno));
	if (*mlen == 0 || memchr(*msg, '\0', *mlen) != NULL)
		return cli_die(EX_USAGE, "%s: a reply is 1 to 65536 bytes of text", name);
	return EX_OK;
}

/* The journalist's current key (the newest, not retired, inside its window), unlocked. */
static int reply_key(const opts *o, uint8_t **sk)
{
	char file[4096], what[128], todo[256];
	jkey *keys = calloc(DESK_MAX_KEYS, sizeof *keys);
	const jkey *cur = NULL;
	int n = 0, rc, known = 0;
	size_t sklen;
	if (keys == NULL)
		return cli_die(EX_FAIL, "out of memory");
	if ((rc = desk_load_keys(o, keys, &n)) != EX_OK)
		goto out;
	for (int i = 0; i < n; i++) {
		known |= strcmp(keys[i].j.name, o->as) == 0;
		if (strcmp(keys[i].j.name, o->as) == 0 && !keys[i].retired &&
		    !keys[i].j.verify_only)
			cur = &keys[i];
	}
	/* names are identities, kept exact: say which spelling exists */
	if (cur == NULL) {
		rc = known ? cli_die(EX_USAGE, "%s has no current key in %s", o->as, o->dir)
			   : desk_no_journalist(o, o->as, keys, n);
		goto out;
	}
	if ((int64_t)time(NULL) > cur->j.not_after) {
		rc = cli_die(
			EX_VERIFY,
			"%s's key expired: journalist rotate %s, sign and publish a new bundle",
			o->as, o->as);
		goto out;
	}
	snprintf(what, sizeof what, "%s's key", o->as);
	desk_path(file, sizeof file, o->dir, "journalists/%s/key-%d.key", o->as, cur->number);
	snprintf(todo, sizeof todo,
		 "put %s's own key file there (see ghostdrop-desk journalist list)", o->as);
	if ((rc = desk_key_kind_check(file, GD_KEY_JOURNALIST, todo)) != EX_OK ||
	    (rc = desk_unlock(o, file, GD_KEY_JOURNALIST, what, NULL, sk, &sklen)) != EX_OK)
		goto out;
	if (sklen != GD_BOX_SK_BYTES) {
		sodium_free(*sk);
		*sk = NULL;
		rc = cli_die(EX_FILE, "%s: not a journalist key", file);
	}
out:
	free(keys);
	return rc;
}

/* The reply file: {"mailbox_id", "reply"} as push sends it. */
static int reply_write(const opts *o, const uint8_t mb[16], const uint8_t *blob, size_t blen)
{
	json_t *doc = json_pack("{s:o, s:o}", "mailbox_id", b64j(mb, 16), "reply", json_null());
	char *b = malloc(blen * 4 / 3 + 8);
	if (doc == NULL || b == NULL || gd_b64_encode(b, blen * 4 / 3 + 8, blob, blen) != GD_OK) {
		json_decref(doc);
		free(b);
		return cli_die(EX_FAIL, "out of memory");
	}
	json_object_set_new(doc, "reply", json_string(b));
	free(b);
	char *txt = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	if (txt == NULL ||
	    gd_file_write_atomic(o->out, (const uint8_t *)txt, strlen(txt), 0600, 1) != 0) {
		int rc = cli_die(EX_FILE, "%s: %s", o->out,
				 txt == NULL ? "out of memory" : strerror(errno));
		free(txt);
		return rc;
	}
	free(txt);
	fprintf(stderr,
		"%s: reply to %s written to %s (encrypted, padded to %zu bytes). Carry it to "
		"the online machine: ghostdrop-desk push\n",
		cli_name, o->source, o->out, blen);
	return EX_OK;
}

int cmd_reply(const opts *o)
{
	uint8_t rk[32], mb[16], *msg = NULL, *blob = NULL, *sk = NULL;
	size_t mlen = 0, blen;
	int rc;
	if (o->n_args != 0 || o->as == NULL || o->source == NULL || o->out == NULL)
		return cli_die(EX_USAGE,
			       "usage: reply --dir D --as NAME --source SOURCE --out FILE "
			       "[--message-file F] (else the text on standard input)");
	if ((rc = reply_source(o, rk, mb)) != EX_OK || (rc = reply_text(o, &msg, &mlen)) != EX_OK ||
	    (rc = reply_key(o, &sk)) != EX_OK)
		goto out;
	int r = gd_reply_seal(&blob, &blen, (const char *)msg, mlen, mb, gd_day(time(NULL)), sk,
			      rk);
	if (r != GD_OK)
		rc = cli_die(r == GD_ERR_FORMAT ? EX_USAGE : EX_FAIL, "cannot write this reply: %s",
			     gd_strerror(r));
	else
		rc = reply_write(o, mb, blob, blen);
out:
	if (sk != NULL)
		sodium_free(sk);
	if (msg != NULL) {
		sodium_memzero(msg, mlen);
		free(msg);
	}
	free(blob);
	return rc;
}
