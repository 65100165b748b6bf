/* ghostdrop-desk, online part: fetch ciphertext into a batch file, acknowledge what was
 * opened, push replies. These commands hold a courier token and never read a secret key:
 * they cannot decrypt anything, and an ack needs the ack keys that only `open` produces.
 * docs/ghostdrop-desk.1, PROTOCOL.md §11.4 and §13. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "desk.h"
#include "fileio.h"
#include "progress.h"
#include "prompt.h"
#include "drop.h"

#define TOKEN_MAX 128
/* The listing's answer: at most 96 bytes per record a batch can hold (an entry takes 85 at
 * most), and at most 8 JSON values per record, counted before Jansson builds anything, so a
 * drop cannot make the desk allocate more than a real listing would (PROTOCOL.md §13.1). */
#define LIST_MAX ((size_t)BATCH_MAX_RECORDS * 96)
#define LIST_MAX_VALUES ((size_t)BATCH_MAX_RECORDS * 8)

static const char *token_file; /* --token-file, for courier_die */

/* A refusal of the drop in words: the courier token (401, whether malformed, unknown or
 * revoked) names the file and what to do; anything else as drop_die says it. */
static int courier_die(const drop_err *e)
{
	if (e->kind == DROP_REFUSED && e->http_status == 401)
		return cli_die(
			EX_REFUSED,
			"the drop refused the courier token in %s: it is wrong or was "
			"revoked; ask the drop's operator for a new one (ghostdropd token add)",
			token_file);
	return drop_die(e);
}

/* The drop, with the courier token read from --token-file. */
static int courier_open(drop_conn *c, const opts *o)
{
	char err[256];
	memset(c, 0, sizeof *c);
	if (o->n_servers != 1 || o->token_file == NULL)
		return cli_die(EX_USAGE, "needs --server URL (once) and --token-file F");
	token_file = o->token_file;
	if (drop_open(c, o->servers[0], o->proxy, o->clearnet, err, sizeof err) != 0)
		return cli_die(EX_USAGE, "%s", err);
	char *tok = sodium_malloc(TOKEN_MAX);
	if (tok == NULL)
		return cli_die(EX_FAIL, "out of memory");
	static const char NOT_A_TOKEN[] =
		"%s does not hold a courier token (one line, as printed by ghostdropd token add)";
	if (gd_secret_from_file(o->token_file, tok, TOKEN_MAX) != 0) {
		int e = errno;
		sodium_free(tok);
		/* longer than any token: another file (a .pub, a batch), not a damaged one */
		if (e == EFBIG)
			return cli_die(EX_USAGE, NOT_A_TOKEN, o->token_file);
		return cli_die(EX_FILE, "%s: %s", o->token_file, strerror(e));
	}
	size_t tl = strlen(tok);
	for (size_t i = 0; i < tl; i++)
		if (!(tok[i] >= 'A' && tok[i] <= 'Z') && !(tok[i] >= 'a' && tok[i] <= 'z') &&
		    !(tok[i] >= '0' && tok[i] <= '9') && tok[i] != '-' && tok[i] != '_') {
			sodium_free(tok);
			return cli_die(EX_USAGE, NOT_A_TOKEN, o->token_file);
		}
	int rc = drop_set_token(c, tok);
	sodium_free(tok);
	return rc == 0 ? EX_OK : cli_die(EX_FAIL, "out of memory");
}

/* ---- fetch ---- */

/* Every byte written to the batch is bounded by what the listing declared: an answer whose
 * Content-Length is not the listed size (minus the offset), or whose envelope header (§6.1)
 * announces another size, is cut off before it is written; the transport never reads past
 * Content-Length. */
typedef struct {
	int fd;
	uint64_t written; /* by this request */
	uint64_t want;    /* what this request may write: the listed size minus the offset */
	uint64_t pos;     /* envelope offset of the next byte */
	uint64_t size;    /* the listed size */
	const gd_response *r;
	int length_ok, head_ok;
	uint8_t head[102 + GD_ENV_STANZA_BYTES * GD_ENV_MAX_RECIPIENTS]; /* §6.1 header */
	size_t head_len;
	char why[160];   /* set when the answer contradicts the listing */
	int write_errno; /* set when the batch could not be written */
} file_out;

static int check_head(file_out *f)
{
	unsigned n;
	uint64_t total;
	uint8_t ack[GD_ACK_HASH_BYTES];
	int rc = gd_envelope_peek(f->head, f->head_len, &n, &total, ack);
	if (rc == GD_ERR_TRUNCATED && f->head_len < sizeof f->head)
		return 0; /* not all of it yet */
	if (rc != GD_OK)
		snprintf(f->why, sizeof f->why, "it is not an envelope (%s)", gd_strerror(rc));
	else if (total != f->size)
		snprintf(f->why, sizeof f->why, "its envelope header announces %llu bytes",
			 (unsigned long long)total);
	else
		f->head_ok = 1;
	return f->why[0] ? -1 : 0;
}

static int to_batch(void *arg, const uint8_t *buf, size_t len)
{
	file_out *f = arg;
	if (!f->length_ok) { /* r->content_length is known before the first byte */
		if (f->r->content_length != f->want) {
			snprintf(f->why, sizeof f->why, "the drop announced %llu bytes",
				 (unsigned long long)(f->pos + f->r->content_length));
			return -1;
		}
		f->length_ok = 1;
	}
	if (len > f->want - f->written) {
		snprintf(f->why, sizeof f->why, "the drop sent more bytes than it announced");
		return -1;
	}
	if (!f->head_ok && f->pos < sizeof f->head) {
		size_t k = sizeof f->head - (size_t)f->pos < len ? sizeof f->head - (size_t)f->pos
								 : len;
		memcpy(f->head + f->pos, buf, k);
		f->head_len = (size_t)f->pos + k;
		if (check_head(f) != 0)
			return -1;
	}
	if (gd_write_all(f->fd, buf, len) != 0) {
		f->write_errno = errno;
		return -1;
	}
	f->written += len;
	f->pos += len;
	progress_add(len);
	return 0;
}

typedef struct {
	uint8_t id[16];
	uint32_t day;
	uint64_t size;
	int have; /* already complete in the .part file */
} listed;

enum { GOT = 0, GONE = 1, SKIPPED = 2 };

/* Before each attempt: resume where the last one got to. */
static uint64_t resume_at(void *arg)
{
	file_out *f = arg;
	f->written = 0;
	f->want = f->size - f->pos;
	f->length_ok = 0;
	return f->pos;
}

/* Stream one envelope to the end of the file, resuming at `have` bytes after a broken
 * connection. env_at: where the envelope starts in the file (its first bytes are read back
 * from there when resuming, to check its header). *outcome: GOT, GONE (acknowledged by
 * another courier meanwhile) or SKIPPED (the answer contradicted the listing: named on
 * stderr; the caller drops what was written of it). */
static int fetch_one(drop_conn *c, int fd, const listed *s, uint64_t have, off_t env_at,
		     int *outcome)
{
	char idb[32];
	gd_response r;
	drop_err e;
	file_out *f = calloc(1, sizeof *f);
	int rc = EX_OK;
	gd_b64_encode(idb, sizeof idb, s->id, 16);
	*outcome = GOT;
	if (f == NULL)
		return cli_die(EX_FAIL, "out of memory");
	f->fd = fd;
	f->size = s->size;
	f->pos = have;
	f->r = &r;
	f->head_len = have < sizeof f->head ? (size_t)have : sizeof f->head;
	if (have > 0 && pread(fd, f->head, f->head_len, env_at) != (ssize_t)f->head_len) {
		free(f);
		return cli_die(EX_FILE, "reading the batch back failed: %s", strerror(errno));
	}
	/* what an earlier run wrote of the header must announce the listed size too */
	int lied = have > 0 && check_head(f) != 0;
	if (!lied && have < s->size) {
		if (drop_courier_fetch(c, s->id, resume_at, to_batch, f, &r, &e) == DROP_OK) {
			if (r.content_length != f->want && f->why[0] == '\0')
				snprintf(f->why, sizeof f->why, "the drop announced %llu bytes",
					 (unsigned long long)(f->pos - f->written +
							      r.content_length));
			gd_response_free(&r);
		} else if (f->why[0] != '\0') {
			/* the answer contradicted the listing: said below */
		} else if (e.transport == TR_ERR_SINK) {
			progress_end();
			rc = cli_die(EX_FILE, "writing the batch failed: %s",
				     strerror(f->write_errno));
		} else if (e.kind == DROP_MALFORMED) {
			snprintf(f->why, sizeof f->why, "%.150s", e.message);
		} else if (e.kind == DROP_REFUSED && e.http_status == 404) {
			*outcome = GONE;
		} else {
			progress_end();
			rc = courier_die(&e);
		}
	}
	if (rc == EX_OK && f->why[0] != '\0') {
		progress_end();
		fprintf(stderr,
			"%s: submission %s: listed at %llu bytes, but %s; skipped (it stays on "
			"the drop)\n",
			cli_name, idb, (unsigned long long)s->size, f->why);
		*outcome = SKIPPED;
	}
	free(f);
	return rc;
}

/* size(n, P) of §6.5 for some 1 <= n <= 32 and a bucket P (§6.4): the only sizes an envelope
 * can have. */
static int envelope_size_possible(uint64_t size)
{
	for (unsigned n = 1; n <= GD_ENV_MAX_RECIPIENTS; n++) {
		uint64_t h = gd_envelope_header_size(n);
		if (size <= h)
			return 0;
		uint64_t rest = size - h, chunks = (rest + GD_ENV_CHUNK + 16) / (GD_ENV_CHUNK + 17);
		if (rest <= 17 * chunks)
			continue;
		uint64_t p = rest - 17 * chunks;
		if (p <= gd_pad_envelope(GD_ENV_MAX_PLAINTEXT) && gd_pad_envelope(p) == p &&
		    gd_envelope_size(n, p) == size)
			return 1;
	}
	return 0;
}

/* JSON values (objects, arrays, members, elements) in text, counted without building them. */
static size_t json_values(const char *p, size_t len)
{
	size_t n = 0;
	int in_str = 0;
	for (size_t i = 0; i < len; i++) {
		if (in_str) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				in_str = 0;
		} else if (p[i] == '"') {
			in_str = 1;
		} else if (p[i] == '{' || p[i] == '[' || p[i] == ',') {
			n++;
		}
	}
	return n;
}

static int by_id(const void *a, const void *b)
{
	return memcmp(((const listed *)a)->id, ((const listed *)b)->id, 16);
}

static int bad_listing(json_t *o, listed **out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad_listing(json_t *o, listed **out, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	json_decref(o);
	free(*out);
	*out = NULL;
	return cli_die(EX_MISMATCH,
		       "the drop's submission list is refused: %s; nothing was fetched "
		       "(try again later; if it happens again, tell the drop's operator: the drop "
		       "may be faulty or tampered with)",
		       why);
}

static int list_submissions(drop_conn *c, listed **out, size_t *n)
{
	gd_response r;
	drop_err e;
	json_error_t jerr;
	int rc = drop_courier_list(c, LIST_MAX, &r, &e);
	*out = NULL;
	*n = 0;
	if (rc == DROP_MALFORMED)
		return bad_listing(NULL, out, "a malformed answer, or larger than %zu MiB",
				   LIST_MAX >> 20);
	if (rc != DROP_OK)
		return courier_die(&e);
	if (json_values((const char *)r.body, r.len) > LIST_MAX_VALUES) {
		gd_response_free(&r);
		return bad_listing(NULL, out, "more values than %d submissions can have",
				   BATCH_MAX_RECORDS);
	}
	json_t *o = json_loadb((const char *)r.body, r.len, JSON_REJECT_DUPLICATES, &jerr), *v;
	gd_response_free(&r);
	json_t *arr = json_object_get(o, "submissions");
	size_t i;
	if (o == NULL)
		return bad_listing(NULL, out, "not JSON (%s)", jerr.text);
	if (!json_is_array(arr) || json_object_size(o) != 1)
		return bad_listing(o, out, "not {\"submissions\": [...]}");
	if (json_array_size(arr) > BATCH_MAX_RECORDS)
		return bad_listing(o, out, "%zu submissions, more than a batch holds (%d)",
				   json_array_size(arr), BATCH_MAX_RECORDS);
	*out = calloc(json_array_size(arr) + 1, sizeof **out);
	if (*out == NULL) {
		json_decref(o);
		return cli_die(EX_FAIL, "out of memory");
	}
	json_array_foreach (arr, i, v) {
		listed *s = &(*out)[i];
		const char *id = json_string_value(json_object_get(v, "id"));
		json_t *sz = json_object_get(v, "size"), *day = json_object_get(v, "day"),
		       *fetched = json_object_get(v, "fetched");
		char name[40];
		snprintf(name, sizeof name, "%.24s", id != NULL ? id : "(no id)");
		if (gd_b64_decode_exact(s->id, 16, id) != GD_OK)
			return bad_listing(o, out, "entry %zu has no valid id", i + 1);
		if (!json_is_integer(sz))
			return bad_listing(o, out, "submission %s: no size", name);
		if (json_integer_value(sz) <= 0 ||
		    (uint64_t)json_integer_value(sz) > BATCH_MAX_ENVELOPE ||
		    !envelope_size_possible((uint64_t)json_integer_value(sz)))
			return bad_listing(o, out,
					   "submission %s: %lld bytes, a size no envelope has",
					   name, (long long)json_integer_value(sz));
		if (!json_is_integer(day) || json_integer_value(day) < 0 ||
		    json_integer_value(day) > UINT32_MAX)
			return bad_listing(o, out, "submission %s: not a day", name);
		if (json_object_size(v) != 3u + (fetched != NULL) ||
		    (fetched != NULL && !json_is_boolean(fetched)))
			return bad_listing(o, out, "submission %s: unknown fields", name);
		s->size = (uint64_t)json_integer_value(sz);
		s->day = (uint32_t)json_integer_value(day);
	}
	*n = json_array_size(arr);
	json_decref(o);
	/* the same id twice would put one submission twice in the batch */
	listed *sorted = malloc((*n + 1) * sizeof *sorted);
	if (sorted == NULL) {
		free(*out);
		*out = NULL;
		*n = 0;
		return cli_die(EX_FAIL, "out of memory");
	}
	memcpy(sorted, *out, *n * sizeof *sorted);
	qsort(sorted, *n, sizeof *sorted, by_id);
	for (i = 1; i < *n; i++)
		if (memcmp(sorted[i].id, sorted[i - 1].id, 16) == 0) {
			char idb[32];
			gd_b64_encode(idb, sizeof idb, sorted[i].id, 16);
			free(sorted);
			*n = 0;
			return bad_listing(NULL, out, "submission %s is listed twice", idb);
		}
	free(sorted);
	return EX_OK;
}

/* One fetch run: what cmd_fetch's steps share. */
typedef struct {
	const opts *o;
	drop_conn c;
	char part[4096]; /* BATCH.part, until it is complete */
	int fd;
	batch_index ix; /* what an interrupted run left in BATCH.part */
	listed *subs;   /* the drop's listing */
	size_t n;
	int resumed;
	listed *resume; /* the record an interrupted run cut, if the drop still lists it */
	uint64_t resume_have, count;
	size_t fetched, gone, skipped;
} fetch_run;

/* An interrupted fetch left BATCH.part: keep its complete records, resume the last one. */
static int fetch_open_part(fetch_run *f)
{
	char err[256];
	struct stat st;
	uint8_t rec[BATCH_RECORD_BYTES];
	f->fd = open(f->part, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (f->fd < 0)
		return cli_die(EX_FILE, "%s: %s", f->part, strerror(errno));
	if (fstat(f->fd, &st) == 0 && st.st_size > 0) {
		if (batch_scan(f->fd, &f->ix, err, sizeof err) != 0 || f->ix.complete ||
		    f->ix.corrupt)
			return f->ix.complete
				       ? cli_die(EX_FILE,
						 "%s is a complete batch: rename it to %s and "
						 "carry it to the offline machine",
						 f->part, f->o->out)
				       : cli_die(EX_FILE, "%s: %s; move it away to start again",
						 f->part, f->ix.corrupt ? f->ix.error : err);
		f->resumed = 1;
		return EX_OK;
	}
	batch_header(rec);
	if (gd_write_all(f->fd, rec, BATCH_HEADER_BYTES) != 0)
		return cli_die(EX_FILE, "%s: %s", f->part, strerror(errno));
	f->ix.good_end = BATCH_HEADER_BYTES;
	return EX_OK;
}

/* What is in BATCH.part already, what to resume, what is left to fetch. */
static int fetch_plan(fetch_run *f)
{
	const batch_index *ix = &f->ix;
	uint64_t total = 0;
	f->count = ix->n;
	for (size_t i = 0; i < f->n; i++) {
		listed *s = &f->subs[i];
		for (size_t k = 0; k < ix->n && !s->have; k++)
			s->have = sodium_memcmp(ix->e[k].id, s->id, 16) == 0;
		if (ix->partial && f->resume == NULL && ix->last.len == s->size &&
		    sodium_memcmp(ix->last.id, s->id, 16) == 0) {
			f->resume = s;
			f->resume_have = ix->have;
		}
		if (!s->have)
			total += s->size;
	}
	/* the cut record: continue it if the drop still has it, else drop it */
	uint64_t keep = f->resume != NULL ? ix->last.offset + ix->have : ix->good_end;
	if (ftruncate(f->fd, (off_t)keep) != 0 || lseek(f->fd, (off_t)keep, SEEK_SET) < 0)
		return cli_die(EX_FILE, "%s: %s", f->part, strerror(errno));
	if (f->resumed)
		fprintf(stderr, "%s: resuming %s: %zu submission(s) already complete\n", cli_name,
			f->part, ix->n);
	progress_start("fetch", total);
	progress_skip(f->resume_have); /* fetched by an earlier run: not this run's rate */
	return EX_OK;
}

static void fetch_count(fetch_run *f, int outcome)
{
	if (outcome == GOT) {
		f->count++;
		f->fetched++;
	} else {
		*(outcome == GONE ? &f->gone : &f->skipped) += 1;
	}
}

/* The record an interrupted run cut: continued, or dropped (acknowledged meanwhile, or a lie). */
static int fetch_resumed(fetch_run *f)
{
	int g, rc = fetch_one(&f->c, f->fd, f->resume, f->resume_have, (off_t)f->ix.last.offset,
			      &g);
	if (rc != EX_OK)
		return rc;
	if (g != GOT && (ftruncate(f->fd, (off_t)f->ix.last.offset - BATCH_RECORD_BYTES) != 0 ||
			 lseek(f->fd, 0, SEEK_END) < 0))
		return cli_die(EX_FILE, "%s: %s", f->part, strerror(errno));
	fetch_count(f, g);
	f->resume->have = 1;
	return EX_OK;
}

/* A new record: its header, then the envelope; dropped again if it did not come whole. */
static int fetch_record(fetch_run *f, const listed *s)
{
	uint8_t rec[BATCH_RECORD_BYTES];
	off_t start = lseek(f->fd, 0, SEEK_CUR);
	int g, rc;
	batch_record(rec, s->id, s->day, s->size);
	if (start < 0 || gd_write_all(f->fd, rec, sizeof rec) != 0) {
		progress_end();
		return cli_die(EX_FILE, "%s: %s", f->part, strerror(errno));
	}
	if ((rc = fetch_one(&f->c, f->fd, s, 0, start + BATCH_RECORD_BYTES, &g)) != EX_OK)
		return rc;
	if (g != GOT) {
		off_t end = lseek(f->fd, 0, SEEK_CUR);
		if (end < 0 || ftruncate(f->fd, start) != 0 || lseek(f->fd, start, SEEK_SET) < 0)
			return cli_die(EX_FILE, "%s: %s", f->part, strerror(errno));
		progress_add(s->size - (uint64_t)(end - start - BATCH_RECORD_BYTES));
	}
	fetch_count(f, g);
	return EX_OK;
}

/* The end record, then BATCH.part becomes BATCH; what was done, on stderr (and stdout). */
static int fetch_publish(fetch_run *f)
{
	const opts *o = f->o;
	uint8_t rec[BATCH_RECORD_BYTES];
	batch_end(rec, f->count);
	if (gd_write_all(f->fd, rec, sizeof rec) != 0 || fsync(f->fd) != 0)
		return cli_die(EX_FILE, "%s: %s", f->part, strerror(errno));
	if (gd_publish_noreplace(f->part, o->out) !=
	    0) /* never replaces a file that appeared meanwhile */
		return cli_die(EX_FILE, "%s: %s (the batch is complete in %s: rename it to %s)",
			       o->out, strerror(errno), f->part, o->out);
	fprintf(stderr,
		"%s: %s: %llu submission(s) (%zu fetched now%s%zu acknowledged meanwhile). "
		"Carry it to the offline machine: ghostdrop-desk open\n",
		cli_name, o->out, (unsigned long long)f->count, f->fetched,
		f->resumed ? ", the rest earlier; " : "; ", f->gone);
	if (f->skipped > 0)
		fprintf(stderr,
			"%s: %zu submission(s) skipped: the drop's answers contradicted its own "
			"listing (named above; they stay on the drop). Open this batch as usual; "
			"fetch "
			"again later, and if it happens again, tell the drop's operator: the drop "
			"may be "
			"faulty or tampered with\n",
			cli_name, f->skipped);
	if (o->json) {
		json_t *j = json_pack("{s:s, s:I, s:I, s:I}", "batch", o->out, "submissions",
				      (json_int_t)f->count, "acknowledged_meanwhile",
				      (json_int_t)f->gone, "skipped", (json_int_t)f->skipped);
		char *txt = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (txt == NULL)
			return cli_die(EX_FAIL, "out of memory (the batch is complete: %s)",
				       o->out);
		printf("%s\n", txt);
		free(txt);
	}
	return f->skipped > 0 ? EX_MISMATCH : EX_OK;
}

/* The folder the batch goes in exists and is one, said before the drop is asked anything. */
static int out_folder_check(const char *out)
{
	struct stat st;
	char *copy = strdup(out);
	if (copy == NULL)
		return cli_die(EX_FAIL, "out of memory");
	const char *dir = dirname(copy);
	int rc = EX_OK;
	if (stat(dir, &st) != 0 && errno == ENOENT)
		rc = cli_die(EX_FILE,
			     "--out %s: the folder %s does not exist: make it first (mkdir -p %s), "
			     "or choose another --out",
			     out, dir, dir);
	else if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		rc = cli_die(EX_FILE, "--out %s: %s is not a folder", out, dir);
	free(copy);
	return rc;
}

int cmd_fetch(const opts *o)
{
	fetch_run f = {.o = o, .fd = -1};
	int rc;
	if (o->out == NULL || o->n_args != 0)
		return cli_die(EX_USAGE, "usage: fetch --server URL --token-file F --out BATCH");
	if (access(o->out, F_OK) == 0)
		return cli_die(EX_FILE, "%s exists: fetch writes a new batch (open that one first)",
			       o->out);
	if ((rc = out_folder_check(o->out)) != EX_OK)
		return rc;
	if ((rc = courier_open(&f.c, o)) != EX_OK)
		return rc;
	if ((rc = list_submissions(&f.c, &f.subs, &f.n)) != EX_OK)
		goto out;
	snprintf(f.part, sizeof f.part, "%s.part", o->out);
	if (f.n == 0 && access(f.part, F_OK) != 0) {
		fprintf(stderr, "%s: the drop holds no submissions; no batch written\n", cli_name);
		if (o->json)
			printf("{\"batch\":null,\"submissions\":0}\n");
		goto out;
	}
	if ((rc = fetch_open_part(&f)) != EX_OK || (rc = fetch_plan(&f)) != EX_OK)
		goto out;
	if (f.resume != NULL && (rc = fetch_resumed(&f)) != EX_OK)
		goto out;
	for (size_t i = 0; i < f.n && rc == EX_OK; i++)
		if (!f.subs[i].have)
			rc = fetch_record(&f, &f.subs[i]);
	progress_end();
	if (rc == EX_OK)
		rc = fetch_publish(&f);
out:
	if (f.fd >= 0)
		close(f.fd);
	batch_index_free(&f.ix);
	free(f.subs);
	drop_close(&f.c);
	return rc;
}

/* ---- ack ---- */

int cmd_ack(const opts *o)
{
	drop_conn c;
	json_error_t jerr;
	json_t *doc, *v;
	size_t i;
	int rc;
	if (o->n_args != 1)
		return cli_die(EX_USAGE, "usage: ack --server URL --token-file F ACKFILE");
	doc = json_load_file(o->args[0], JSON_REJECT_DUPLICATES, &jerr);
	json_t *acks = json_object_get(doc, "acks");
	if (doc == NULL || json_integer_value(json_object_get(doc, "ghostdrop_ack")) != 1 ||
	    !json_is_array(acks)) {
		json_decref(doc);
		return cli_die(EX_FILE, "%s: not an ack file written by ghostdrop-desk open",
			       o->args[0]);
	}
	json_array_foreach (acks, i, v) {
		uint8_t id[16], key[GD_ACK_KEY_BYTES];
		if (gd_b64_decode_exact(id, 16, json_string_value(json_object_get(v, "id"))) !=
			    GD_OK ||
		    gd_b64_decode_exact(key, sizeof key,
					json_string_value(json_object_get(v, "ack_key"))) !=
			    GD_OK) {
			json_decref(doc);
			return cli_die(EX_FILE, "%s: entry %zu is malformed; nothing was sent",
				       o->args[0], i + 1);
		}
	}
	if ((rc = courier_open(&c, o)) != EX_OK) {
		json_decref(doc);
		return rc;
	}
	size_t deleted = 0, absent = 0, bad = 0;
	rc = EX_OK;
	json_array_foreach (acks, i, v) {
		drop_err e;
		const char *id = json_string_value(json_object_get(v, "id"));
		if (drop_courier_ack(&c, id, json_string_value(json_object_get(v, "ack_key")),
				     &e) == DROP_OK) {
			deleted++;
		} else if (e.kind == DROP_REFUSED && e.http_status == 404) {
			absent++; /* acknowledged before (another ack file, another courier) */
		} else if (e.kind == DROP_REFUSED && e.http_status == 403) {
			bad++;
			fprintf(stderr,
				"%s: %s: the drop refused this ack key; the submission stays\n",
				cli_name, id);
		} else {
			rc = courier_die(&e);
			break;
		}
	}
	json_decref(doc);
	drop_close(&c);
	/* after a failure before any answer, the failure is all there is to say */
	if (rc != EX_OK && deleted + absent + bad == 0)
		return rc;
	if (o->json)
		printf("{\"deleted\":%zu,\"already_gone\":%zu,\"refused\":%zu}\n", deleted, absent,
		       bad);
	fprintf(stderr, "%s: %zu deleted from the drop, %zu already gone, %zu refused%s\n",
		cli_name, deleted, absent, bad, rc != EX_OK ? " before the failure above" : "");
	return rc != EX_OK ? rc : bad > 0 ? EX_REFUSED : EX_OK;
}

/* ---- push ---- */

int cmd_push(const opts *o)
{
	drop_conn c;
	int rc;
	if (o->n_args < 1)
		return cli_die(EX_USAGE, "usage: push --server URL --token-file F REPLYFILE...");
	/* check every file before sending any */
	for (int i = 0; i < o->n_args; i++) {
		json_error_t jerr;
		json_t *d = json_load_file(o->args[i], JSON_REJECT_DUPLICATES, &jerr);
		uint8_t mb[16];
		int ok = d != NULL && json_object_size(d) == 2 &&
			 gd_b64_decode_exact(mb, 16,
					     json_string_value(json_object_get(d, "mailbox_id"))) ==
				 GD_OK &&
			 json_is_string(json_object_get(d, "reply"));
		json_decref(d);
		if (!ok)
			return cli_die(EX_FILE,
				       "%s: not a reply file written by ghostdrop-desk reply; "
				       "nothing was sent",
				       o->args[i]);
	}
	if ((rc = courier_open(&c, o)) != EX_OK)
		return rc;
	int sent = 0;
	for (int i = 0; i < o->n_args && rc == EX_OK; i++) {
		uint8_t *body;
		size_t len;
		drop_err e;
		if (gd_file_read(o->args[i], 1 << 20, &body, &len) != 0) {
			rc = cli_die(EX_FILE, "%s: %s", o->args[i], strerror(errno));
			break;
		}
		if (drop_courier_push(&c, body, len, &e) ==
		    DROP_OK) /* 201, or 200: stored before */
			sent++;
		else
			rc = courier_die(&e);
		free(body);
	}
	drop_close(&c);
	fprintf(stderr, "%s: %d of %d repl%s delivered to the drop\n", cli_name, sent, o->n_args,
		o->n_args == 1 ? "y" : "ies");
	return rc;
}
