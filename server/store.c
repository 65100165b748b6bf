/* ghostdropd storage: every LMDB call, and the one writer thread that owns write transactions
 * (group commit). Speaks in submissions, chunks, mailboxes and tokens. PROTOCOL.md §12. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "gdcrypto.h"
#include "log.h"

_Static_assert(STORE_ID == GD_ID_BYTES && STORE_HASH == GD_ACK_HASH_BYTES &&
		       STORE_ACK_KEY == GD_ACK_KEY_BYTES,
	       "the store's sizes are the protocol's");

#define SCHEMA_VERSION 1
#define QUEUE_MAX 4096 /* operations waiting for the writer */
#define BATCH_MAX 512  /* operations in one transaction */
#define SUB_RECORD 104

struct store {
	MDB_env *env;
	MDB_dbi meta, subs, blobs, mail, tokens;
	uint64_t map_size, high_water;
	/* Space (§12.3), under mu: bytes in use at the last measure, growth accepted since, and
	 * growth promised to open uploads. Every check against the mark counts all three. */
	uint64_t used, pending, reserved;
	pthread_t writer;
	int writer_running, stopping;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	store_op *queue, *queue_tail, *done, *done_tail;
	size_t queued, in_flight;
	void (*notify)(void *);
	void *notify_arg;
	/* LMDB's read-only mapping of data.mdb (found in /proc/self/maps at open; NULL: not
	 * found) and the file, to let stored chunks leave the page cache (release_now) */
	const uint8_t *map;
	uint64_t map_len;
	int fd;
};

const char *store_strerror(int rc)
{
	switch (rc) {
	case STORE_OK:
		return "ok";
	case STORE_EXISTS:
		return "already stored";
	case STORE_CONFLICT:
		return "conflict";
	case STORE_NOT_FOUND:
		return "not found";
	case STORE_FULL:
		return "storage full";
	case STORE_BAD_KEY:
		return "key does not match";
	case STORE_BUSY:
		return "write queue full";
	case STORE_LIMIT:
		return "mailbox full";
	default:
		return "storage error";
	}
}

static int lmdb_fail(const char *what, int rc)
{
	log_msg(LOG_ERR, "lmdb %s: %s", what, mdb_strerror(rc));
	return rc == MDB_MAP_FULL ? STORE_FULL : STORE_ERROR;
}

/* ---- constructors (store.h says who owns what) ---- */

static store_op *store_op_new(store_op_kind kind)
{
	store_op *op = calloc(1, sizeof *op);
	if (op != NULL)
		op->kind = kind;
	return op;
}

void store_op_free(store_op *op)
{
	if (op == NULL)
		return;
	free(op->data);
	if (op->kind == OP_REPLY_DEL)
		free(op->u.reply_del.ids);
	sodium_memzero(op, sizeof *op); /* an ack key, among others */
	free(op);
}

/* A new op that holds data, or NULL (data freed) if data is missing or memory is. */
static store_op *op_with(store_op_kind kind, uint8_t *data, size_t len)
{
	store_op *op = data != NULL || len == 0 ? store_op_new(kind) : NULL;
	if (op == NULL) {
		free(data);
		return NULL;
	}
	op->data = data;
	op->len = len;
	return op;
}

store_op *store_op_submit(const store_submission *rec, uint8_t *data, size_t len)
{
	if (rec->chunk_size == 0) {
		free(data);
		return NULL;
	}
	store_op *op = op_with(OP_SUBMIT, data, len);
	if (op != NULL) {
		op->u.submit = *rec;
		op->u.submit.fetched_day = 0;
		op->u.submit.size = len;
		op->u.submit.n_chunks = (uint32_t)((len + rec->chunk_size - 1) / rec->chunk_size);
	}
	return op;
}

store_op *store_op_commit(const store_submission *rec, uint64_t reserved)
{
	store_op *op = store_op_new(OP_COMMIT);
	if (op != NULL) {
		op->u.commit = *rec;
		op->u.commit.fetched_day = 0;
		op->reserved = reserved;
	}
	return op;
}

store_op *store_op_chunk_put(const uint8_t blob[STORE_ID], uint32_t idx, uint64_t reserved,
			     uint8_t *data, size_t len)
{
	store_op *op = op_with(OP_CHUNK_PUT, data, len);
	if (op != NULL) {
		memcpy(op->u.chunk_put.blob, blob, STORE_ID);
		op->u.chunk_put.idx = idx;
		op->reserved = reserved;
	}
	return op;
}

store_op *store_op_blob_del(const uint8_t blob[STORE_ID])
{
	store_op *op = store_op_new(OP_BLOB_DEL);
	if (op != NULL)
		memcpy(op->u.blob_del.blob, blob, STORE_ID);
	return op;
}

store_op *store_op_fetched(const uint8_t id[STORE_ID], uint32_t day)
{
	store_op *op = store_op_new(OP_FETCHED);
	if (op != NULL) {
		memcpy(op->u.fetched.id, id, STORE_ID);
		op->u.fetched.day = day;
	}
	return op;
}

store_op *store_op_ack(const uint8_t id[STORE_ID], const uint8_t ack_key[STORE_ACK_KEY])
{
	store_op *op = store_op_new(OP_ACK);
	if (op != NULL) {
		memcpy(op->u.ack.id, id, STORE_ID);
		memcpy(op->u.ack.ack_key, ack_key, STORE_ACK_KEY);
	}
	return op;
}

store_op *store_op_reply_put(const uint8_t mailbox[STORE_ID], const uint8_t reply_id[STORE_ID],
			     uint32_t expiry_day, uint32_t max_live, uint8_t *data, size_t len)
{
	store_op *op = op_with(OP_REPLY_PUT, data, len);
	if (op != NULL) {
		memcpy(op->u.reply_put.mailbox, mailbox, STORE_ID);
		memcpy(op->u.reply_put.reply_id, reply_id, STORE_ID);
		op->u.reply_put.expiry_day = expiry_day;
		op->u.reply_put.max_live = max_live;
	}
	return op;
}

store_op *store_op_reply_del(const uint8_t mailbox[STORE_ID], const uint8_t *ids, size_t n)
{
	if ((ids == NULL && n > 0) || n > SIZE_MAX / STORE_ID)
		return NULL;
	store_op *op = store_op_new(OP_REPLY_DEL);
	if (op == NULL || (op->u.reply_del.ids = malloc(n > 0 ? n * STORE_ID : 1)) == NULL) {
		store_op_free(op);
		return NULL;
	}
	if (n > 0)
		memcpy(op->u.reply_del.ids, ids, n * STORE_ID);
	op->u.reply_del.n = n;
	memcpy(op->u.reply_del.mailbox, mailbox, STORE_ID);
	return op;
}

store_op *store_op_expire(uint32_t today, uint32_t days_after_fetch, uint32_t days_unfetched)
{
	store_op *op = store_op_new(OP_EXPIRE);
	if (op != NULL) {
		op->u.expire.today = today;
		op->u.expire.days_after_fetch = days_after_fetch;
		op->u.expire.days_unfetched = days_unfetched;
	}
	return op;
}

store_op *store_op_purge_one(const uint8_t id[STORE_ID])
{
	store_op *op = store_op_new(OP_PURGE);
	if (op != NULL) {
		op->u.purge.one = 1;
		memcpy(op->u.purge.id, id, STORE_ID);
	}
	return op;
}

store_op *store_op_purge_before(uint32_t day)
{
	store_op *op = store_op_new(OP_PURGE);
	if (op != NULL)
		op->u.purge.before_day = day;
	return op;
}

/* The length of a key or name of 1..max bytes, or 0. */
static size_t name_len(const char *name, size_t max)
{
	size_t n = name != NULL ? strnlen(name, max + 1) : 0;
	return n <= max ? n : 0;
}

store_op *store_op_meta_put(const char *key, uint8_t *data, size_t len)
{
	size_t n = name_len(key, STORE_META_KEY_MAX);
	store_op *op = n > 0 ? op_with(OP_META_PUT, data, len) : NULL;
	if (n == 0)
		free(data);
	if (op != NULL)
		memcpy(op->u.meta_put.key, key, n + 1);
	return op;
}

static store_op *op_token(store_op_kind kind, const char *name)
{
	size_t n = name_len(name, STORE_TOKEN_NAME_MAX);
	store_op *op = n > 0 ? store_op_new(kind) : NULL;
	if (op != NULL)
		memcpy(op->u.token.name, name, n + 1);
	return op;
}

store_op *store_op_token_put(const char *name, const uint8_t hash[STORE_HASH])
{
	store_op *op = op_token(OP_TOKEN_PUT, name);
	if (op != NULL)
		memcpy(op->u.token.hash, hash, STORE_HASH);
	return op;
}

store_op *store_op_token_del(const char *name)
{
	return op_token(OP_TOKEN_DEL, name);
}

store_op *store_op_gc(void)
{
	return store_op_new(OP_GC);
}

/* ---- records (PROTOCOL.md §12.2) ---- */

static void sub_encode(uint8_t r[SUB_RECORD], const store_submission *s)
{
	gd_put_u32(r, s->received_day);
	gd_put_u32(r + 4, s->fetched_day);
	gd_put_u64(r + 8, s->size);
	gd_put_u32(r + 16, s->n_chunks);
	gd_put_u32(r + 20, s->chunk_size);
	memcpy(r + 24, s->blob, STORE_ID);
	memcpy(r + 40, s->ack_hash, STORE_HASH);
	memcpy(r + 72, s->env_hash, STORE_HASH);
}

static int sub_decode(store_submission *s, const uint8_t id[STORE_ID], const MDB_val *v)
{
	const uint8_t *r = v->mv_data;
	if (v->mv_size != SUB_RECORD)
		return STORE_ERROR;
	memcpy(s->id, id, STORE_ID);
	s->received_day = gd_get_u32(r);
	s->fetched_day = gd_get_u32(r + 4);
	s->size = gd_get_u64(r + 8);
	s->n_chunks = gd_get_u32(r + 16);
	s->chunk_size = gd_get_u32(r + 20);
	memcpy(s->blob, r + 24, STORE_ID);
	memcpy(s->ack_hash, r + 40, STORE_HASH);
	memcpy(s->env_hash, r + 72, STORE_HASH);
	return STORE_OK;
}

/* Chunk keys sort by blob, then index (big-endian). */
static void chunk_key(uint8_t k[STORE_ID + 4], const uint8_t blob[STORE_ID], uint32_t idx)
{
	memcpy(k, blob, STORE_ID);
	k[16] = (uint8_t)(idx >> 24);
	k[17] = (uint8_t)(idx >> 16);
	k[18] = (uint8_t)(idx >> 8);
	k[19] = (uint8_t)idx;
}

static void space_measure(store *s);

/* ---- opening ---- */

/* Where LMDB mapped data.mdb: the shared read-only mapping of this file from offset 0 in
 * /proc/self/maps, confirmed by a value LMDB hands out lying inside it. NULL if not found
 * (the chunks then stay in the page cache, as before). */
static const uint8_t *find_map(store *s, const void *inside)
{
	struct stat st;
	if (mdb_env_get_fd(s->env, &s->fd) != 0 || fstat(s->fd, &st) != 0)
		return NULL;
	FILE *f = fopen("/proc/self/maps", "re");
	if (f == NULL)
		return NULL;
	char line[512];
	const uint8_t *found = NULL;
	while (found == NULL && fgets(line, sizeof line, f) != NULL) {
		unsigned long long start, end, off, ino;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu", &start, &end, perms, &off,
			   &ino) == 5 &&
		    off == 0 && ino == (unsigned long long)st.st_ino && perms[3] == 's' &&
		    (uintptr_t)inside >= start && (uintptr_t)inside < end)
			found = (const uint8_t *)(uintptr_t)start;
	}
	fclose(f);
	MDB_envinfo info;
	if (found != NULL && mdb_env_info(s->env, &info) == 0)
		s->map_len = info.me_mapsize;
	return s->map_len > 0 ? found : NULL;
}

/* Stored values at least this large (a text testimony: 16 KiB) may lie in overflow pages of
 * their own, which nothing but a courier's fetch reads again. LMDB's page header: a page
 * number (size_t), two 16-bit fields and a 32-bit one; 16 bytes on 64-bit systems. */
enum { RELEASE_MIN = 8 * 1024, PAGE_HEADER = sizeof(size_t) + 8 };

/* The chunks of committed writes whose pages are to leave the page cache, kept by the writer
 * until it has woken the loop (the ops themselves belong to the loop by then). */
typedef struct {
	uint8_t (*key)[STORE_ID + 4];
	size_t n, cap;
} released;

static void release_note_one(released *r, const uint8_t blob[STORE_ID], uint32_t idx)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		void *k = realloc(r->key, cap * sizeof *r->key);
		if (k == NULL)
			return; /* the pages stay cached: costs memory, loses nothing */
		r->key = k;
		r->cap = cap;
	}
	chunk_key(r->key[r->n++], blob, idx);
}

/* The chunks a committed op wrote: an upload's chunk, a one-request submission's. */
static void release_note(released *r, const store_op *op)
{
	if (op->result != STORE_OK || op->len < RELEASE_MIN)
		return;
	if (op->kind == OP_CHUNK_PUT)
		release_note_one(r, op->u.chunk_put.blob, op->u.chunk_put.idx);
	else if (op->kind == OP_SUBMIT)
		for (uint32_t i = 0; i < op->u.submit.n_chunks; i++)
			release_note_one(r, op->u.submit.blob, i);
}

/* The noted chunks leave the page cache. A value in overflow pages begins right after the
 * header of its first LMDB page, and those pages are its alone: the range is whole LMDB pages
 * (the kernel drops only the whole system pages inside it, so with system pages larger than
 * LMDB's nothing else is touched). A value in a shared leaf page (possible only where LMDB's
 * page is small against RELEASE_MIN) does not begin there and is left alone. mdb_get gives
 * the address without reading the pages. */
static void release_now(store *s, released *r)
{
	MDB_txn *txn;
	MDB_stat st;
	if (r->n == 0 || s->map == NULL || mdb_env_stat(s->env, &st) != 0 ||
	    mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0) {
		r->n = 0;
		return;
	}
	off_t page = (off_t)st.ms_psize;
	for (size_t i = 0; i < r->n; i++) {
		MDB_val k = {sizeof r->key[i], r->key[i]}, v;
		if (mdb_get(txn, s->blobs, &k, &v) != 0 || (const uint8_t *)v.mv_data < s->map ||
		    (uint64_t)((const uint8_t *)v.mv_data - s->map) + v.mv_size > s->map_len)
			continue;
		off_t off = (off_t)((const uint8_t *)v.mv_data - s->map);
		if (off % page != PAGE_HEADER || (off_t)v.mv_size <= page / 2)
			continue;
		off_t start = off - PAGE_HEADER, end = off + (off_t)v.mv_size;
		end += (page - end % page) % page;
		(void)posix_fadvise(s->fd, start, end - start, POSIX_FADV_DONTNEED);
	}
	mdb_txn_abort(txn);
	r->n = 0;
}

int store_open(store **sp, const char *dir, uint64_t map_size, unsigned hw_percent)
{
	store *s = calloc(1, sizeof *s);
	MDB_txn *txn = NULL;
	int rc;
	*sp = NULL;
	if (s == NULL)
		return STORE_ERROR;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->map_size = map_size;
	s->high_water = map_size / 100 * hw_percent;
	if ((rc = mdb_env_create(&s->env)) != 0 || (rc = mdb_env_set_maxdbs(s->env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, (size_t)map_size)) != 0 ||
	    (rc = mdb_env_set_maxreaders(s->env, 126)) != 0) {
		lmdb_fail("setup", rc);
		goto fail;
	}
	/* Never MDB_WRITEMAP: a stray write must not reach the file; MDB_NOTLS: read
	 * transactions are not tied to threads. Default durability: commit fsyncs. */
	if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600)) != 0) {
		lmdb_fail("open", rc);
		goto fail;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "submissions", MDB_CREATE, &s->subs)) != 0 ||
	    (rc = mdb_dbi_open(txn, "chunks", MDB_CREATE, &s->blobs)) != 0 ||
	    (rc = mdb_dbi_open(txn, "mailboxes", MDB_CREATE, &s->mail)) != 0 ||
	    (rc = mdb_dbi_open(txn, "tokens", MDB_CREATE, &s->tokens)) != 0) {
		lmdb_fail("create databases", rc);
		goto fail;
	}
	MDB_val k = {6, "schema"}, v;
	if ((rc = mdb_get(txn, s->meta, &k, &v)) == MDB_NOTFOUND) {
		uint8_t ver[4];
		gd_put_u32(ver, SCHEMA_VERSION);
		v.mv_size = 4;
		v.mv_data = ver;
		rc = mdb_put(txn, s->meta, &k, &v, 0);
	} else if (rc == 0 && (v.mv_size != 4 || gd_get_u32(v.mv_data) != SCHEMA_VERSION)) {
		log_msg(LOG_ERR, "database schema version is not %d", SCHEMA_VERSION);
		goto fail;
	}
	if (rc != 0 || (rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		lmdb_fail("schema", rc);
		goto fail;
	}
	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) == 0) {
		if (mdb_get(txn, s->meta, &k, &v) == 0)
			s->map = find_map(s, v.mv_data);
		if (s->map == NULL)
			log_msg(LOG_INFO, "stored chunks stay in the page cache: the database's "
					  "mapping is not in /proc/self/maps");
		mdb_txn_abort(txn);
		txn = NULL;
	}
	*sp = s;
	space_measure(s);
	return STORE_OK;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s);
	return STORE_ERROR;
}

/* ---- usage ---- */

static int usage_in(store *s, MDB_txn *txn, uint64_t *used)
{
	MDB_envinfo info;
	MDB_stat st;
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t free_pages = 0;
	int rc;
	mdb_env_info(s->env, &info);
	mdb_env_stat(s->env, &st);
	/* The freelist (dbi 0): each value is a page-number list whose first word is its length. */
	if ((rc = mdb_cursor_open(txn, 0, &c)) != 0)
		return lmdb_fail("freelist", rc);
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0)
		if (v.mv_size >= sizeof(size_t))
			free_pages += *(const size_t *)v.mv_data;
	mdb_cursor_close(c);
	uint64_t pages = (uint64_t)info.me_last_pgno + 1;
	*used = (pages > free_pages ? pages - free_pages : 0) * st.ms_psize;
	return STORE_OK;
}

int store_usage(store *s, uint64_t *used, uint64_t *map, uint64_t *high_water)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0)
		return lmdb_fail("read", rc);
	rc = usage_in(s, txn, used);
	mdb_txn_abort(txn);
	*map = s->map_size;
	*high_water = s->high_water;
	return rc;
}

/* After a commit, or before a batch: what is in use now replaces the estimates. */
static void space_measure(store *s)
{
	uint64_t used, map, hw;
	if (store_usage(s, &used, &map, &hw) != STORE_OK)
		return; /* the estimates stay: they only ever overstate */
	pthread_mutex_lock(&s->mu);
	s->used = used;
	s->pending = 0;
	pthread_mutex_unlock(&s->mu);
}

uint64_t store_chunk_growth(size_t len)
{
	return (uint64_t)len + len / 32 + 4096; /* overflow pages round up; a B-tree entry */
}

uint64_t store_upload_growth(uint64_t size, uint32_t chunk_size)
{
	uint64_t n = (size + chunk_size - 1) / chunk_size, last = size - (n - 1) * chunk_size;
	return (n - 1) * store_chunk_growth(chunk_size) + store_chunk_growth((size_t)last) +
	       store_chunk_growth(0); /* the chunks, then the submission record of the commit */
}

/* Uploads together leave this much below the mark to one-request submissions. */
static uint64_t upload_headroom(const store *s)
{
	return s->high_water / 8;
}

int store_reserve(store *s, uint64_t bytes)
{
	pthread_mutex_lock(&s->mu);
	int ok = s->used + s->pending + s->reserved + bytes + upload_headroom(s) <= s->high_water;
	if (ok)
		s->reserved += bytes;
	pthread_mutex_unlock(&s->mu);
	return ok ? STORE_OK : STORE_FULL;
}

int store_fits(store *s, uint64_t bytes)
{
	pthread_mutex_lock(&s->mu);
	int ok = s->used + s->pending + s->reserved + bytes <= s->high_water;
	pthread_mutex_unlock(&s->mu);
	return ok ? STORE_OK : STORE_FULL;
}

int store_fits_after(store *s, uint64_t bytes, uint64_t freed, int reserve)
{
	pthread_mutex_lock(&s->mu);
	uint64_t held = s->reserved > freed ? s->reserved - freed : 0;
	int ok = s->used + s->pending + held + bytes + (reserve ? upload_headroom(s) : 0) <=
		 s->high_water;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

void store_unreserve(store *s, uint64_t bytes)
{
	pthread_mutex_lock(&s->mu);
	s->reserved -= bytes < s->reserved ? bytes : s->reserved;
	pthread_mutex_unlock(&s->mu);
}

/* An operation's growth: from its upload's reservation (op->reserved), else it must fit under
 * the mark with everything in use, accepted and promised. -1: it does not. */
static int space_take(store *s, store_op *op, uint64_t growth)
{
	int ok = 1;
	pthread_mutex_lock(&s->mu);
	if (op->reserved > 0) {
		op->drawn = op->reserved < s->reserved ? op->reserved : s->reserved;
		s->reserved -= op->drawn;
		growth = op->reserved;
	} else {
		ok = s->used + s->pending + s->reserved + growth <= s->high_water;
	}
	if (ok) {
		s->pending += growth;
		op->charged = growth;
	}
	pthread_mutex_unlock(&s->mu);
	return ok ? 0 : -1;
}

/* The operation was rolled back: what it took goes back where it came from. */
static void space_undo(store *s, store_op *op)
{
	pthread_mutex_lock(&s->mu);
	s->pending -= op->charged < s->pending ? op->charged : s->pending;
	s->reserved += op->drawn;
	pthread_mutex_unlock(&s->mu);
	op->charged = op->drawn = 0;
}

/* ---- applying operations (inside a write transaction) ---- */

static int blob_delete(store *s, MDB_txn *txn, const uint8_t blob[STORE_ID])
{
	MDB_cursor *c;
	uint8_t kb[STORE_ID + 4];
	MDB_val k = {sizeof kb, kb}, v;
	int rc;
	chunk_key(kb, blob, 0);
	if ((rc = mdb_cursor_open(txn, s->blobs, &c)) != 0)
		return lmdb_fail("cursor", rc);
	/* After a delete LMDB leaves the cursor on the next record, which MDB_NEXT returns. */
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == STORE_ID + 4 && memcmp(k.mv_data, blob, STORE_ID) == 0) {
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK : lmdb_fail("delete chunks", rc);
}

static int sub_delete(store *s, MDB_txn *txn, const store_submission *sub)
{
	MDB_val k = {STORE_ID, (void *)sub->id};
	int rc = blob_delete(s, txn, sub->blob);
	if (rc != STORE_OK)
		return rc;
	if ((rc = mdb_del(txn, s->subs, &k, NULL)) != 0)
		return lmdb_fail("delete submission", rc);
	return STORE_OK;
}

static int sub_get(store *s, MDB_txn *txn, const uint8_t id[STORE_ID], store_submission *out)
{
	MDB_val k = {STORE_ID, (void *)id}, v;
	int rc = mdb_get(txn, s->subs, &k, &v);
	if (rc == MDB_NOTFOUND)
		return STORE_NOT_FOUND;
	if (rc != 0)
		return lmdb_fail("get submission", rc);
	return sub_decode(out, id, &v);
}

static int sub_put(store *s, MDB_txn *txn, const store_submission *rec)
{
	uint8_t r[SUB_RECORD];
	sub_encode(r, rec);
	MDB_val k = {STORE_ID, (void *)rec->id}, v = {sizeof r, r};
	int rc = mdb_put(txn, s->subs, &k, &v, MDB_NOOVERWRITE);
	return rc == 0 ? STORE_OK : lmdb_fail("put submission", rc);
}

/* The envelope id E (§12.2) of a stored submission, from the header in its chunk 0: 0, or -1. */
static int sub_env_id(store *s, MDB_txn *txn, const store_submission *sub, uint8_t e[STORE_HASH])
{
	uint8_t kb[STORE_ID + 4];
	chunk_key(kb, sub->blob, 0);
	MDB_val k = {sizeof kb, kb}, v;
	if (mdb_get(txn, s->blobs, &k, &v) != 0)
		return -1;
	return gd_envelope_id(e, sub->size, v.mv_data, v.mv_size) == GD_OK ? 0 : -1;
}

/* One side of a byte comparison: an envelope in memory (mem), or the chunks stored under blob,
 * read one after the other. p, left: the rest of the current piece. */
typedef struct {
	const uint8_t *mem;
	size_t len;
	const uint8_t *blob;
	uint32_t idx;
	const uint8_t *p;
	size_t left;
} byte_stream;

/* The next piece, when the current one is used up: 0, or -1 at the end (a chunk missing). The
 * pointers LMDB returns stay valid: the transaction writes nothing while they are compared. */
static int stream_fill(store *s, MDB_txn *txn, byte_stream *b)
{
	if (b->left > 0)
		return 0;
	if (b->mem != NULL) {
		if (b->idx++ > 0 || b->len == 0)
			return -1;
		b->p = b->mem;
		b->left = b->len;
		return 0;
	}
	uint8_t kb[STORE_ID + 4];
	chunk_key(kb, b->blob, b->idx++);
	MDB_val k = {sizeof kb, kb}, v;
	if (mdb_get(txn, s->blobs, &k, &v) != 0 || v.mv_size == 0)
		return -1;
	b->p = v.mv_data;
	b->left = v.mv_size;
	return 0;
}

/* Whether both streams hold the same `size` bytes and nothing more in their pieces, whatever
 * their chunk sizes. Each side is read once; it stops at the first differing piece. */
static int same_bytes(store *s, MDB_txn *txn, byte_stream *a, byte_stream *b, uint64_t size)
{
	uint64_t done = 0;
	while (done < size) {
		if (stream_fill(s, txn, a) != 0 || stream_fill(s, txn, b) != 0)
			return 0;
		size_t n = a->left < b->left ? a->left : b->left;
		n = size - done < n ? (size_t)(size - done) : n;
		if (sodium_memcmp(a->p, b->p, n) != 0)
			return 0;
		a->p += n;
		a->left -= n;
		b->p += n;
		b->left -= n;
		done += n;
	}
	return a->left == 0 && b->left == 0;
}

/* Same id again: the same envelope is "already stored", another one a conflict (§12.2). Both
 * digests D known (the stored envelope hash a D, the newcomer's too): D decides, byte-exact.
 * The envelope ids E equal (the record came through a poly1305 upload and holds its E, or the
 * newcomer did and the record's E is read from its chunk 0) only say that the bytes may be the
 * same: E covers the header alone, which whoever saw the first request knows (review F2), so
 * the bytes decide: the stored chunks against the newcomer's, in memory (data: a one-request
 * body) or stored under its upload id (data NULL: rec->blob). Only a reused id with the same
 * header pays for this read. */
static int sub_idempotent(store *s, MDB_txn *txn, const store_submission *rec, const uint8_t *data,
			  size_t len)
{
	store_submission old;
	uint8_t e[STORE_HASH];
	int rc = sub_get(s, txn, rec->id, &old);
	if (rc != STORE_OK)
		return rc;
	if (!rec->digest_unknown && sodium_memcmp(old.env_hash, rec->env_hash, STORE_HASH) == 0)
		return STORE_EXISTS;
	int maybe = sodium_memcmp(old.env_hash, rec->env_id, STORE_HASH) == 0 ||
		    (rec->digest_unknown && sub_env_id(s, txn, &old, e) == 0 &&
		     sodium_memcmp(e, rec->env_id, STORE_HASH) == 0);
	if (!maybe || old.size != rec->size)
		return STORE_CONFLICT;
	byte_stream was = {.blob = old.blob}, now = {.mem = data, .len = len, .blob = rec->blob};
	return same_bytes(s, txn, &was, &now, old.size) ? STORE_EXISTS : STORE_CONFLICT;
}

static int chunk_put(store *s, MDB_txn *txn, const uint8_t blob[STORE_ID], uint32_t idx,
		     const uint8_t *data, size_t len)
{
	uint8_t kb[STORE_ID + 4];
	chunk_key(kb, blob, idx);
	MDB_val k = {sizeof kb, kb}, v = {len, (void *)data};
	int rc = mdb_put(txn, s->blobs, &k, &v, 0);
	return rc == 0 ? STORE_OK : lmdb_fail("put chunk", rc);
}

/* Whether an EXPIRE, or a PURGE of all received before a day, takes this submission. */
static int sub_doomed(const store_op *op, const store_submission *sub)
{
	if (op->kind == OP_PURGE)
		return op->u.purge.before_day == 0 || sub->received_day < op->u.purge.before_day;
	uint32_t today = op->u.expire.today;
	if (sub->fetched_day != 0)
		return today >= sub->fetched_day + op->u.expire.days_after_fetch;
	return op->u.expire.days_unfetched != 0 &&
	       today >= sub->received_day + op->u.expire.days_unfetched;
}

/* Deletes the submissions sub_doomed takes. limit 0: all of them. Else at most limit, from the
 * id after *from on when *left is set; *left then says whether more may follow, *from where to
 * go on. */
static int subs_expire(store *s, MDB_txn *txn, store_op *op, size_t limit, uint8_t *from, int *left)
{
	MDB_cursor *c;
	MDB_val k, v;
	MDB_cursor_op how = MDB_NEXT;
	int rc;
	if ((rc = mdb_cursor_open(txn, s->subs, &c)) != 0)
		return lmdb_fail("cursor", rc);
	if (limit != 0 && *left) {
		k = (MDB_val){STORE_ID, from}; /* deleted already: lands on the next one */
		how = MDB_SET_RANGE;
	}
	if (limit != 0)
		*left = 0;
	/* Collect first: deleting chunks moves other cursors. */
	size_t n = 0, cap = 64;
	store_submission *doomed = malloc(cap * sizeof *doomed);
	while (doomed != NULL && (rc = mdb_cursor_get(c, &k, &v, how)) == 0) {
		store_submission sub;
		how = MDB_NEXT;
		if (k.mv_size != STORE_ID || sub_decode(&sub, k.mv_data, &v) != STORE_OK ||
		    !sub_doomed(op, &sub))
			continue;
		if (limit != 0 && n == limit) {
			*left = 1;
			break;
		}
		if (n == cap) {
			store_submission *more = realloc(doomed, 2 * cap * sizeof *doomed);
			if (more == NULL)
				break;
			doomed = more;
			cap *= 2;
		}
		doomed[n++] = sub;
	}
	mdb_cursor_close(c);
	if (doomed == NULL)
		return STORE_ERROR;
	rc = STORE_OK;
	for (size_t i = 0; i < n && rc == STORE_OK; i++)
		rc = sub_delete(s, txn, &doomed[i]);
	if (limit != 0 && n > 0)
		memcpy(from, doomed[n - 1].id, STORE_ID);
	free(doomed);
	op->count += n;
	return rc;
}

/* Replies whose expiry day has come (value = expiry day (u32) || blob; a tombstone too). */
static int replies_expire(store *s, MDB_txn *txn, uint32_t today, uint64_t *count)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc;
	if ((rc = mdb_cursor_open(txn, s->mail, &c)) != 0)
		return lmdb_fail("cursor", rc);
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
		if (v.mv_size >= 4 && gd_get_u32(v.mv_data) <= today) {
			if ((rc = mdb_cursor_del(c, 0)) != 0)
				break;
			(*count)++;
		}
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND || rc == 0 ? STORE_OK : lmdb_fail("expire replies", rc);
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, STORE_ID);
}

static int apply_gc(store *s, MDB_txn *txn, store_op *op)
{
	MDB_cursor *c;
	MDB_val k, v;
	size_t n = 0, cap = 256;
	uint8_t(*ids)[STORE_ID] = malloc(cap * STORE_ID);
	int rc;
	if (ids == NULL || (rc = mdb_cursor_open(txn, s->subs, &c)) != 0) {
		free(ids);
		return STORE_ERROR;
	}
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
		store_submission sub;
		if (k.mv_size != STORE_ID || sub_decode(&sub, k.mv_data, &v) != STORE_OK)
			continue;
		if (n == cap) {
			void *more = realloc(ids, 2 * cap * STORE_ID);
			if (more == NULL) {
				mdb_cursor_close(c);
				free(ids);
				return STORE_ERROR; /* keep everything rather than guess */
			}
			ids = more;
			cap *= 2;
		}
		memcpy(ids[n++], sub.blob, STORE_ID);
	}
	mdb_cursor_close(c);
	qsort(ids, n, STORE_ID, cmp_id);
	if ((rc = mdb_cursor_open(txn, s->blobs, &c)) != 0) {
		free(ids);
		return STORE_ERROR;
	}
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0) {
		if (bsearch(k.mv_data, ids, n, STORE_ID, cmp_id) == NULL) {
			if ((rc = mdb_cursor_del(c, 0)) != 0)
				break;
			op->count++;
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	free(ids);
	return rc == MDB_NOTFOUND || rc == 0 ? STORE_OK : lmdb_fail("gc", rc);
}

/* A reply key (mailbox id || reply id): STORE_EXISTS stored, STORE_CONFLICT acknowledged (a
 * tombstone: its expiry day only), STORE_NOT_FOUND. */
static int reply_present(store *s, MDB_txn *txn, uint8_t kb[2 * STORE_ID])
{
	MDB_val k = {2 * STORE_ID, kb}, v;
	int rc = mdb_get(txn, s->mail, &k, &v);
	if (rc == MDB_NOTFOUND)
		return STORE_NOT_FOUND;
	if (rc != 0)
		return lmdb_fail("reply", rc);
	return v.mv_size > 4 ? STORE_EXISTS : STORE_CONFLICT;
}

/* STORE_LIMIT when the mailbox holds `most` replies (tombstones not counted) already. */
static int mailbox_live(store *s, MDB_txn *txn, const uint8_t mailbox[STORE_ID], uint32_t most)
{
	MDB_cursor *c;
	uint8_t kb[2 * STORE_ID] = {0};
	memcpy(kb, mailbox, STORE_ID);
	MDB_val k = {sizeof kb, kb}, v;
	uint32_t n = 0;
	int rc = mdb_cursor_open(txn, s->mail, &c);
	if (rc != 0)
		return lmdb_fail("cursor", rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && n < most && k.mv_size == 2 * STORE_ID &&
	       memcmp(k.mv_data, mailbox, STORE_ID) == 0) {
		n += v.mv_size > 4;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return lmdb_fail("mailbox", rc);
	return most > 0 && n >= most ? STORE_LIMIT : STORE_OK;
}

/* Bytes an operation adds, roughly: its data, plus B-tree overhead. */
static uint64_t op_growth(const store_op *op)
{
	return op->len + op->len / 32 + 4096;
}

static int op_adds_data(const store_op *op)
{
	return op->kind == OP_SUBMIT || op->kind == OP_REPLY_PUT || op->kind == OP_COMMIT ||
	       op->kind == OP_CHUNK_PUT;
}

/* What a batch may still add to the disk (pages free inside the data file, plus the
 * filesystem's free space, minus a reserve so that deletions and the database's own
 * bookkeeping always fit). Below the high-water mark: space_take. */
typedef struct {
	uint64_t disk;
} budget;

#define DISK_RESERVE (8ULL << 20)
#define PURGE_GROW (1 << 20) /* purge_in_steps: room to start deleting on a map full to its end */

/* Before a write that adds data: room on the disk and below the mark, or STORE_FULL. A
 * submission stored already is still an answer, even when full. */
static int space_gate(store *s, MDB_txn *txn, store_op *op, const budget *b)
{
	int rc;
	if (!op_adds_data(op))
		return STORE_OK;
	if (op_growth(op) > b->disk) {
		if (op->kind == OP_SUBMIT && (rc = sub_idempotent(s, txn, &op->u.submit, op->data,
								  op->len)) != STORE_NOT_FOUND)
			return rc;
		static time_t said; /* once a minute, not once a request */
		if (time(NULL) - said >= 60) {
			said = time(NULL);
			log_msg(LOG_WARN,
				"the disk is almost full: new data refused until space is freed");
		}
		return STORE_FULL;
	}
	if (space_take(s, op, op_growth(op)) != 0) {
		if (op->kind == OP_SUBMIT && (rc = sub_idempotent(s, txn, &op->u.submit, op->data,
								  op->len)) != STORE_NOT_FOUND)
			return rc;
		return STORE_FULL;
	}
	return STORE_OK;
}

static int apply_submit(store *s, MDB_txn *txn, store_op *op)
{
	const store_submission *rec = &op->u.submit;
	int rc = sub_idempotent(s, txn, rec, op->data, op->len);
	if (rc != STORE_NOT_FOUND)
		return rc;
	rc = STORE_OK;
	for (uint32_t i = 0; i < rec->n_chunks && rc == STORE_OK; i++) {
		size_t off = (size_t)i * rec->chunk_size;
		size_t n = op->len - off < rec->chunk_size ? op->len - off : rec->chunk_size;
		rc = chunk_put(s, txn, rec->blob, i, op->data + off, n);
	}
	return rc == STORE_OK ? sub_put(s, txn, rec) : rc;
}

static int apply_commit(store *s, MDB_txn *txn, store_op *op)
{
	int rc = sub_idempotent(s, txn, &op->u.commit, NULL, 0);
	return rc != STORE_NOT_FOUND ? rc : sub_put(s, txn, &op->u.commit);
}

static int apply_chunk_put(store *s, MDB_txn *txn, store_op *op)
{
	return chunk_put(s, txn, op->u.chunk_put.blob, op->u.chunk_put.idx, op->data, op->len);
}

static int apply_blob_del(store *s, MDB_txn *txn, store_op *op)
{
	return blob_delete(s, txn, op->u.blob_del.blob);
}

static int apply_fetched(store *s, MDB_txn *txn, store_op *op)
{
	store_submission sub;
	uint8_t rec[SUB_RECORD];
	int rc = sub_get(s, txn, op->u.fetched.id, &sub);
	if (rc != STORE_OK || sub.fetched_day != 0)
		return rc;
	sub.fetched_day = op->u.fetched.day;
	sub_encode(rec, &sub);
	MDB_val k = {STORE_ID, sub.id}, v = {sizeof rec, rec};
	return mdb_put(txn, s->subs, &k, &v, 0) == 0 ? STORE_OK : STORE_ERROR;
}

static int apply_ack(store *s, MDB_txn *txn, store_op *op)
{
	store_submission sub;
	uint8_t h[STORE_HASH];
	int rc = sub_get(s, txn, op->u.ack.id, &sub);
	if (rc != STORE_OK)
		return rc;
	gd_ack_hash(h, op->u.ack.ack_key);
	if (sodium_memcmp(h, sub.ack_hash, STORE_HASH) != 0)
		return STORE_BAD_KEY; /* only a journalist who opened it can delete it */
	return sub_delete(s, txn, &sub);
}

static int apply_reply_put(store *s, MDB_txn *txn, store_op *op)
{
	uint8_t kb[2 * STORE_ID], *val;
	int rc;
	memcpy(kb, op->u.reply_put.mailbox, STORE_ID);
	memcpy(kb + STORE_ID, op->u.reply_put.reply_id, STORE_ID);
	/* The reply id is a hash of the blob (§11.4): stored, or acknowledged (a tombstone). */
	if ((rc = reply_present(s, txn, kb)) != STORE_NOT_FOUND)
		return rc;
	if ((rc = mailbox_live(s, txn, op->u.reply_put.mailbox, op->u.reply_put.max_live)) !=
	    STORE_OK)
		return rc;
	if ((val = malloc(4 + op->len)) == NULL)
		return STORE_ERROR;
	gd_put_u32(val, op->u.reply_put.expiry_day);
	memcpy(val + 4, op->data, op->len);
	MDB_val k = {sizeof kb, kb}, v = {4 + op->len, val};
	rc = mdb_put(txn, s->mail, &k, &v, MDB_NOOVERWRITE);
	free(val);
	return rc == 0 ? STORE_OK : rc == MDB_KEYEXIST ? STORE_EXISTS : lmdb_fail("reply", rc);
}

static int apply_reply_del(store *s, MDB_txn *txn, store_op *op)
{
	for (size_t i = 0; i < op->u.reply_del.n; i++) {
		uint8_t kb[2 * STORE_ID], day[4];
		memcpy(kb, op->u.reply_del.mailbox, STORE_ID);
		memcpy(kb + STORE_ID, op->u.reply_del.ids[i], STORE_ID);
		MDB_val k = {sizeof kb, kb}, v;
		int r = mdb_get(txn, s->mail, &k, &v);
		if (r == MDB_NOTFOUND || (r == 0 && v.mv_size <= 4))
			continue; /* unknown, or acknowledged already */
		if (r != 0)
			return lmdb_fail("delete reply", r);
		/* The blob goes; its expiry day stays, so a re-push is refused until then. */
		memcpy(day, v.mv_data, 4);
		v = (MDB_val){sizeof day, day};
		if ((r = mdb_put(txn, s->mail, &k, &v, 0)) != 0)
			return lmdb_fail("delete reply", r);
		op->count++;
	}
	return STORE_OK;
}

static int apply_expire(store *s, MDB_txn *txn, store_op *op)
{
	int rc = subs_expire(s, txn, op, 0, NULL, NULL);
	return rc == STORE_OK ? replies_expire(s, txn, op->u.expire.today, &op->count) : rc;
}

static int apply_purge(store *s, MDB_txn *txn, store_op *op)
{
	store_submission sub;
	int rc;
	if (!op->u.purge.one)
		return subs_expire(s, txn, op, 0, NULL, NULL);
	if ((rc = sub_get(s, txn, op->u.purge.id, &sub)) == STORE_OK &&
	    (rc = sub_delete(s, txn, &sub)) == STORE_OK)
		op->count = 1;
	return rc;
}

static int apply_meta_put(store *s, MDB_txn *txn, store_op *op)
{
	MDB_val k = {strlen(op->u.meta_put.key), op->u.meta_put.key}, v = {op->len, op->data};
	return mdb_put(txn, s->meta, &k, &v, 0) == 0 ? STORE_OK : STORE_ERROR;
}

static int apply_token_put(store *s, MDB_txn *txn, store_op *op)
{
	MDB_val k = {strlen(op->u.token.name), op->u.token.name},
		v = {STORE_HASH, op->u.token.hash};
	int rc = mdb_put(txn, s->tokens, &k, &v, MDB_NOOVERWRITE);
	return rc == 0 ? STORE_OK : rc == MDB_KEYEXIST ? STORE_EXISTS : STORE_ERROR;
}

static int apply_token_del(store *s, MDB_txn *txn, store_op *op)
{
	MDB_val k = {strlen(op->u.token.name), op->u.token.name};
	int rc = mdb_del(txn, s->tokens, &k, NULL);
	return rc == 0 ? STORE_OK : rc == MDB_NOTFOUND ? STORE_NOT_FOUND : STORE_ERROR;
}

static int (*const appliers[])(store *, MDB_txn *, store_op *) = {
	[OP_SUBMIT] = apply_submit,
	[OP_FETCHED] = apply_fetched,
	[OP_ACK] = apply_ack,
	[OP_REPLY_PUT] = apply_reply_put,
	[OP_REPLY_DEL] = apply_reply_del,
	[OP_CHUNK_PUT] = apply_chunk_put,
	[OP_COMMIT] = apply_commit,
	[OP_BLOB_DEL] = apply_blob_del,
	[OP_EXPIRE] = apply_expire,
	[OP_PURGE] = apply_purge,
	[OP_META_PUT] = apply_meta_put,
	[OP_TOKEN_PUT] = apply_token_put,
	[OP_TOKEN_DEL] = apply_token_del,
	[OP_GC] = apply_gc,
};

/* One operation, in a transaction of the caller's; what it takes from the budget and the
 * space estimates goes back if it did not store (stored before, conflict, full, failed). */
static int apply(store *s, MDB_txn *txn, store_op *op, budget *b)
{
	op->charged = op->drawn = 0;
	int rc = space_gate(s, txn, op, b);
	if (rc == STORE_OK)
		rc = appliers[op->kind](s, txn, op);
	if (rc == STORE_OK && op_adds_data(op))
		b->disk -= op_growth(op) < b->disk ? op_growth(op) : b->disk;
	if (rc != STORE_OK)
		space_undo(s, op);
	return rc;
}

/* The freelist can only be read in a read-only transaction: measure before writing. */
static budget budget_now(store *s)
{
	uint64_t used, map, hw;
	budget b = {0}; /* unknown: refuse growth, allow deletes */
	int fd;
	struct stat st;
	struct statvfs vfs;
	if (store_usage(s, &used, &map, &hw) != STORE_OK || mdb_env_get_fd(s->env, &fd) != 0 ||
	    fstat(fd, &st) != 0 || fstatvfs(fd, &vfs) != 0)
		return b;
	pthread_mutex_lock(&s->mu);
	s->used = used;
	s->pending = 0;
	pthread_mutex_unlock(&s->mu);
	uint64_t inside = (uint64_t)st.st_size > used ? (uint64_t)st.st_size - used : 0;
	uint64_t room = inside + (uint64_t)vfs.f_bavail * vfs.f_frsize;
	b.disk = room > DISK_RESERVE ? room - DISK_RESERVE : 0;
	return b;
}

/* A failed commit: a full disk (ENOSPC, or a short write LMDB reports as EIO when the
 * filesystem has no room left) is "full" (507, retry later), anything else an error. */
static int commit_fail(store *s, int rc)
{
	log_msg(LOG_ERR, "lmdb commit: %s", mdb_strerror(rc));
	if (rc == MDB_MAP_FULL || rc == ENOSPC || rc == EDQUOT)
		return STORE_FULL;
	int fd;
	struct statvfs vfs;
	if (rc == EIO && mdb_env_get_fd(s->env, &fd) == 0 && fstatvfs(fd, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < DISK_RESERVE)
		return STORE_FULL;
	return STORE_ERROR;
}

/* The operator's purge of many submissions: in transactions of at most 1024 submissions, each
 * of which needs few free pages and frees pages for the next; a step that finds the map full is
 * tried again with one submission, and the steps grow back. If not even one fits (a map filled to
 * its very end, with no free page: left so by a drop whose mark did not hold), the map is grown by
 * a little, once: LMDB allows it between transactions, and the file grows only by the pages the
 * deletions use. So even such a map empties (§12.3). */
static int purge_in_steps(store *s, store_op *op)
{
	uint8_t from[STORE_ID] = {0}, from0[STORE_ID];
	size_t step = 1024;
	int left = 0, left0, rc, grown = 0;
	do {
		MDB_txn *txn;
		uint64_t count0 = op->count;
		memcpy(from0, from, STORE_ID);
		left0 = left;
		if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
			return op->result = lmdb_fail("begin", rc);
		rc = subs_expire(s, txn, op, step, from, &left);
		if (rc != STORE_OK)
			mdb_txn_abort(txn);
		else if ((rc = mdb_txn_commit(txn)) != 0)
			rc = commit_fail(s, rc);
		if (rc == STORE_FULL && (step > 1 || !grown)) {
			MDB_envinfo info;
			if (step > 1) {
				step = 1;
			} else if (mdb_env_info(s->env, &info) != 0 ||
				   mdb_env_set_mapsize(s->env, info.me_mapsize + PURGE_GROW) != 0) {
				return op->result = rc;
			} else {
				grown = 1;
				log_msg(LOG_WARN,
					"the map was full to its end: grown by %d MiB to delete "
					"(restart ghostdropd if it is running)",
					PURGE_GROW >> 20);
			}
			op->count = count0;
			memcpy(from, from0, STORE_ID);
			left = left0;
			left0 = -1; /* go round again */
		} else if (rc != STORE_OK) {
			return op->result = rc;
		} else if (step < 1024) {
			step *= 2;
		}
	} while (left || left0 == -1);
	return op->result = STORE_OK;
}

int store_apply_sync(store *s, store_op *op)
{
	MDB_txn *txn;
	if (op->kind == OP_PURGE && !op->u.purge.one)
		return purge_in_steps(s, op);
	budget b = budget_now(s);
	int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc != 0)
		return op->result = lmdb_fail("begin", rc);
	rc = apply(s, txn, op, &b);
	if (rc < 0) {
		mdb_txn_abort(txn);
		return op->result = rc;
	}
	int c = mdb_txn_commit(txn);
	if (c != 0) {
		rc = commit_fail(s, c);
		space_undo(s, op);
	}
	op->result = rc;
	if (c == 0) {
		released r = {0};
		release_note(&r, op);
		release_now(s, &r);
		free(r.key);
	}
	return rc;
}

/* One transaction for the whole batch, a nested one per operation: a member that fails
 * (full, conflict, bad key) is rolled back alone. If the final commit hits MDB_MAP_FULL,
 * the members are retried one by one, so one large write does not fail the others. */
static void run_batch(store *s, store_op *batch, released *rel)
{
	MDB_txn *txn, *child;
	budget b = budget_now(s);
	int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc != 0) {
		rc = lmdb_fail("begin", rc);
		for (store_op *op = batch; op; op = op->next)
			op->result = rc;
		return;
	}
	for (store_op *op = batch; op; op = op->next) {
		if ((rc = mdb_txn_begin(s->env, txn, 0, &child)) != 0) {
			op->result = lmdb_fail("nested begin", rc);
			continue;
		}
		op->result = apply(s, child, op, &b);
		if (op->result < 0) {
			mdb_txn_abort(child);
		} else if ((rc = mdb_txn_commit(child)) != 0) {
			op->result = lmdb_fail("nested commit", rc);
			space_undo(s, op);
		}
	}
	rc = mdb_txn_commit(txn);
	if (rc == 0) {
		space_measure(s); /* deletions free room, estimates become bytes */
		for (store_op *op = batch; op; op = op->next)
			release_note(rel, op);
		return;
	}
	commit_fail(s, rc);
	for (store_op *op = batch; op; op = op->next)
		space_undo(s, op);
	for (store_op *op = batch; op; op = op->next)
		if (op->result >= 0) {
			op->count = 0;
			store_apply_sync(s, op);
		}
}

static void *writer_main(void *arg)
{
	store *s = arg;
	released rel = {0};
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (s->queue == NULL && !s->stopping)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->queue == NULL && s->stopping) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		store_op *batch = s->queue, *last = batch;
		size_t n = 1;
		while (last->next != NULL && n < BATCH_MAX) {
			last = last->next;
			n++;
		}
		s->queue = last->next;
		if (s->queue == NULL)
			s->queue_tail = NULL;
		last->next = NULL;
		s->queued -= n;
		pthread_mutex_unlock(&s->mu);

		run_batch(s, batch, &rel); /* the commit (fsync) happens here, off the loop */

		pthread_mutex_lock(&s->mu);
		if (s->done_tail != NULL)
			s->done_tail->next = batch;
		else
			s->done = batch;
		s->done_tail = last;
		pthread_mutex_unlock(&s->mu);
		if (s->notify != NULL)
			s->notify(s->notify_arg);
		release_now(s, &rel); /* after the answers: it is memory, not durability */
	}
	free(rel.key);
	return NULL;
}

int store_writer_start(store *s, void (*notify)(void *), void *arg)
{
	s->notify = notify;
	s->notify_arg = arg;
	if (pthread_create(&s->writer, NULL, writer_main, s) != 0)
		return STORE_ERROR;
	s->writer_running = 1;
	return STORE_OK;
}

int store_enqueue(store *s, store_op *op)
{
	pthread_mutex_lock(&s->mu);
	if (s->queued >= QUEUE_MAX || s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return STORE_BUSY;
	}
	op->next = NULL;
	if (s->queue_tail != NULL)
		s->queue_tail->next = op;
	else
		s->queue = op;
	s->queue_tail = op;
	s->queued++;
	s->in_flight++;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return STORE_OK;
}

void store_drain(store *s)
{
	pthread_mutex_lock(&s->mu);
	store_op *done = s->done;
	s->done = s->done_tail = NULL;
	pthread_mutex_unlock(&s->mu);
	while (done != NULL) {
		store_op *next = done->next;
		pthread_mutex_lock(&s->mu);
		s->in_flight--;
		pthread_mutex_unlock(&s->mu);
		if (done->done != NULL)
			done->done(done, done->arg); /* owns op from here */
		else
			store_op_free(done);
		done = next;
	}
}

size_t store_pending(store *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->in_flight;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void store_close(store *s)
{
	if (s == NULL)
		return;
	if (s->writer_running) {
		pthread_mutex_lock(&s->mu);
		s->stopping = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->writer, NULL);
		s->notify = NULL;
		store_drain(s);
	}
	mdb_env_close(s->env);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

/* ---- reads ---- */

static int read_begin(store *s, MDB_txn **txn)
{
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	return rc == 0 ? STORE_OK : lmdb_fail("read", rc);
}

/* A read transaction with a cursor on one database; cursor_end closes both. */
static int cursor_begin(store *s, MDB_dbi dbi, MDB_txn **txn, MDB_cursor **c)
{
	int rc = read_begin(s, txn);
	if (rc != STORE_OK)
		return rc;
	if ((rc = mdb_cursor_open(*txn, dbi, c)) != 0) {
		mdb_txn_abort(*txn);
		return lmdb_fail("cursor", rc);
	}
	return STORE_OK;
}

static void cursor_end(MDB_txn *txn, MDB_cursor *c)
{
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
}

int store_get_meta(store *s, const char *key, uint8_t **val, size_t *len)
{
	MDB_txn *txn;
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc = read_begin(s, &txn);
	if (rc != STORE_OK)
		return rc;
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == 0) {
		*val = malloc(v.mv_size ? v.mv_size : 1);
		if (*val != NULL) {
			memcpy(*val, v.mv_data, v.mv_size);
			*len = v.mv_size;
		}
		rc = *val != NULL ? STORE_OK : STORE_ERROR;
	} else {
		rc = rc == MDB_NOTFOUND ? STORE_NOT_FOUND : lmdb_fail("get", rc);
	}
	mdb_txn_abort(txn);
	return rc;
}

int store_submission_get(store *s, const uint8_t id[STORE_ID], store_submission *out)
{
	MDB_txn *txn;
	int rc = read_begin(s, &txn);
	if (rc != STORE_OK)
		return rc;
	rc = sub_get(s, txn, id, out);
	mdb_txn_abort(txn);
	return rc;
}

int store_submission_list(store *s, int (*cb)(void *, const store_submission *), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	int rc = cursor_begin(s, s->subs, &txn, &c);
	if (rc != STORE_OK)
		return rc;
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
		store_submission sub;
		if (k.mv_size == STORE_ID && sub_decode(&sub, k.mv_data, &v) == STORE_OK &&
		    cb(arg, &sub) != 0)
			break;
	}
	cursor_end(txn, c);
	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK : lmdb_fail("list", rc);
}

int store_chunk_read(store *s, const uint8_t blob[STORE_ID], uint32_t idx, uint8_t *buf, size_t cap,
		     size_t *len)
{
	MDB_txn *txn;
	uint8_t kb[STORE_ID + 4];
	chunk_key(kb, blob, idx);
	MDB_val k = {sizeof kb, kb}, v;
	int rc = read_begin(s, &txn);
	if (rc != STORE_OK)
		return rc;
	rc = mdb_get(txn, s->blobs, &k, &v);
	if (rc == 0 && v.mv_size <= cap) {
		memcpy(buf, v.mv_data, v.mv_size); /* copied out: the transaction ends now */
		*len = v.mv_size;
		rc = STORE_OK;
	} else {
		rc = rc == MDB_NOTFOUND ? STORE_NOT_FOUND
		     : rc == 0          ? STORE_ERROR
					: lmdb_fail("chunk", rc);
	}
	mdb_txn_abort(txn);
	return rc;
}

int store_mailbox_list(store *s, const uint8_t mailbox[STORE_ID],
		       int (*cb)(void *, const uint8_t *, const uint8_t *, size_t), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *c;
	uint8_t kb[2 * STORE_ID] = {0};
	memcpy(kb, mailbox, STORE_ID);
	MDB_val k = {sizeof kb, kb}, v;
	int rc = cursor_begin(s, s->mail, &txn, &c);
	if (rc != STORE_OK)
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == 2 * STORE_ID && memcmp(k.mv_data, mailbox, STORE_ID) == 0) {
		if (v.mv_size > 4 && /* not a tombstone */
		    cb(arg, (const uint8_t *)k.mv_data + STORE_ID, (const uint8_t *)v.mv_data + 4,
		       v.mv_size - 4) != 0)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	cursor_end(txn, c);
	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK : lmdb_fail("mailbox", rc);
}

int store_mailbox_page(store *s, const uint8_t mailbox[STORE_ID], const uint8_t *after,
		       unsigned scan, int (*cb)(void *, const uint8_t *, const uint8_t *, size_t),
		       void *arg, uint8_t last[STORE_ID], int *more)
{
	MDB_txn *txn;
	MDB_cursor *c;
	uint8_t kb[2 * STORE_ID] = {0};
	memcpy(kb, mailbox, STORE_ID);
	if (after != NULL)
		memcpy(kb + STORE_ID, after, STORE_ID);
	MDB_val k = {sizeof kb, kb}, v;
	int rc = cursor_begin(s, s->mail, &txn, &c), full = 0;
	if (rc != STORE_OK)
		return rc;
	*more = 0;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && after != NULL && k.mv_size == sizeof kb &&
	    memcmp(k.mv_data, kb, sizeof kb) == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT); /* strictly after the cursor */
	for (unsigned seen = 0;
	     rc == 0 && k.mv_size == 2 * STORE_ID && memcmp(k.mv_data, mailbox, STORE_ID) == 0;
	     seen++) {
		int t = seen == scan || full ? -1
			: v.mv_size > 4      ? cb(arg, (const uint8_t *)k.mv_data + STORE_ID,
						  (const uint8_t *)v.mv_data + 4, v.mv_size - 4)
					     : 0; /* a tombstone: passed */
		if (t == -1) {
			*more = 1; /* this one and the rest on the next page */
			break;
		}
		memcpy(last, (const uint8_t *)k.mv_data + STORE_ID, STORE_ID);
		full = t == 1;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	cursor_end(txn, c);
	return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK : lmdb_fail("mailbox", rc);
}

int store_token_check(store *s, const uint8_t hash[STORE_HASH], char *name, size_t cap)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	int found = 0;
	int rc = cursor_begin(s, s->tokens, &txn, &c);
	if (rc != STORE_OK)
		return rc;
	/* Every entry is compared, in constant time, whether or not one matched already. */
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		int match =
			v.mv_size == STORE_HASH && sodium_memcmp(v.mv_data, hash, STORE_HASH) == 0;
		if (match && !found && name != NULL && k.mv_size < cap) {
			memcpy(name, k.mv_data, k.mv_size);
			name[k.mv_size] = '\0';
		}
		found |= match;
	}
	cursor_end(txn, c);
	return found ? STORE_OK : STORE_NOT_FOUND;
}

int store_token_list(store *s, int (*cb)(void *, const char *), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	char name[256];
	int rc = cursor_begin(s, s->tokens, &txn, &c);
	if (rc != STORE_OK)
		return rc;
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		if (k.mv_size >= sizeof name)
			continue;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		if (cb(arg, name) != 0)
			break;
	}
	cursor_end(txn, c);
	return STORE_OK;
}

int store_backup(store *s, const char *path)
{
	int rc = mdb_env_copy2(s->env, path, MDB_CP_COMPACT);
	return rc == 0 ? STORE_OK : lmdb_fail("backup", rc);
}
