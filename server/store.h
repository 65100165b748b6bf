/* ghostdropd storage: every LMDB call, and the one writer thread that owns write transactions
 * (group commit). Speaks in submissions, chunks, mailboxes and tokens. PROTOCOL.md §12. */
#ifndef GD_SERVER_STORE_H
#define GD_SERVER_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store;

enum {
	STORE_OK = 0,
	STORE_EXISTS = 1,    /* already stored, identical */
	STORE_CONFLICT = -1, /* already stored, different */
	STORE_NOT_FOUND = -2,
	STORE_FULL = -3,    /* past the high-water mark, or the map is full */
	STORE_BAD_KEY = -4, /* ack key does not match the stored ack hash */
	STORE_BUSY = -5,    /* the write queue is full */
	STORE_ERROR = -6,   /* LMDB failed; logged */
	STORE_LIMIT = -7,   /* a mailbox holds its most replies already */
};

#define STORE_ID 16
#define STORE_HASH 32    /* BLAKE2b-256: an ack hash, an envelope hash, a courier token hash */
#define STORE_ACK_KEY 32 /* GD_ACK_KEY_BYTES: what a courier proves deletion with */

typedef struct {
	uint8_t id[STORE_ID];
	uint32_t received_day;
	uint32_t fetched_day; /* 0: no courier fetched it yet */
	uint64_t size;
	uint32_t n_chunks;
	uint32_t chunk_size;
	uint8_t blob[STORE_ID]; /* where its chunks are */
	uint8_t ack_hash[STORE_HASH];
	uint8_t env_hash[STORE_HASH];
	/* Not stored: a newcomer's, for a record already under its id (§12.2). env_id: its
	 * envelope id E; digest_unknown: env_hash is E too (a poly1305 upload), so the stored
	 * record's own E is compared as well. An equal E is no proof: the bytes then decide. */
	uint8_t env_id[STORE_HASH];
	int digest_unknown;
} store_submission;

typedef enum {
	OP_SUBMIT,    /* u.submit: a whole envelope in one request; data: the envelope */
	OP_FETCHED,   /* u.fetched: start the retention clock once */
	OP_ACK,       /* u.ack: delete if BLAKE2b(ack key) matches */
	OP_REPLY_PUT, /* u.reply_put; data: the reply blob */
	OP_REPLY_DEL, /* u.reply_del */
	OP_CHUNK_PUT, /* u.chunk_put; data: the chunk */
	OP_COMMIT,    /* u.commit: an upload's record, its chunks stored already */
	OP_BLOB_DEL,  /* u.blob_del: drop an abandoned upload's chunks */
	OP_EXPIRE,    /* u.expire: retention */
	OP_PURGE,     /* u.purge: the operator's purge */
	OP_META_PUT,  /* u.meta_put; data: the value */
	OP_TOKEN_PUT, /* u.token */
	OP_TOKEN_DEL, /* u.token (name only) */
	OP_GC,        /* drop chunks no submission refers to (uploads of a previous run) */
} store_op_kind;

#define STORE_META_KEY_MAX 63   /* bytes of a meta key name */
#define STORE_TOKEN_NAME_MAX 64 /* bytes of a courier token name */

/* One write, built by its constructor below and read back by its done callback. Every field
 * means one thing whatever the kind; what only one kind has is in its member of u. */
typedef struct store_op {
	store_op_kind kind;
	int result;     /* out: STORE_* */
	uint64_t count; /* out: entries deleted (EXPIRE, PURGE, REPLY_DEL, GC) */
	uint8_t *data;  /* the bytes this write stores (see the kinds), owned by the op */
	size_t len;
	uint64_t reserved; /* bytes of store_reserve()'d space this write uses (0: must fit) */
	union {
		store_submission submit; /* fetched_day 0; size, n_chunks: the envelope's */
		store_submission commit; /* fetched_day 0 */
		struct {
			uint8_t id[STORE_ID];
			uint32_t day;
		} fetched;
		struct {
			uint8_t id[STORE_ID];
			uint8_t ack_key[STORE_ACK_KEY]; /* wiped by store_op_free */
		} ack;
		struct {
			uint8_t mailbox[STORE_ID], reply_id[STORE_ID];
			uint32_t expiry_day, max_live;
		} reply_put;
		struct {
			uint8_t mailbox[STORE_ID];
			uint8_t (*ids)[STORE_ID]; /* owned by the op */
			size_t n;
		} reply_del;
		struct {
			uint8_t blob[STORE_ID];
			uint32_t idx;
		} chunk_put;
		struct {
			uint8_t blob[STORE_ID];
		} blob_del;
		struct {
			uint32_t today, days_after_fetch, days_unfetched;
		} expire;
		struct {
			int one; /* 1: the submission id; 0: all received before before_day */
			uint8_t id[STORE_ID];
			uint32_t before_day; /* 0: all */
		} purge;
		struct {
			char key[STORE_META_KEY_MAX + 1];
		} meta_put;
		struct {
			char name[STORE_TOKEN_NAME_MAX + 1];
			uint8_t hash[STORE_HASH]; /* TOKEN_PUT */
		} token;
	} u;
	uint64_t charged, drawn; /* the writer's own: space taken, and from the reservation */
	void (*done)(struct store_op *op, void *arg); /* on the event loop, after commit */
	void *arg;
	struct store_op *next;
} store_op;

void store_op_free(store_op *op);

/* One constructor per operation. What a constructor is given by const pointer it copies; the
 * bytes it is given as `uint8_t *data` (malloc'ed) it takes over: the op frees them, and so
 * does the constructor when it fails, so `store_op_meta_put(key, copy, n)` needs no check of
 * the copy. NULL: out of memory, or bad input (NULL data with len > 0, a meta key or token
 * name empty or too long, a chunk size of 0). The caller sets done and arg, then enqueues. */
/* rec: id, blob, received_day, chunk_size, ack_hash, env_hash; size and n_chunks follow from
 * the envelope (data), which is cut into chunks of chunk_size. */
store_op *store_op_submit(const store_submission *rec, uint8_t *data, size_t len);
/* Chunks stored already under rec->blob: write the record (rec->fetched_day is ignored).
 * reserved: the record's share of the upload's reservation. */
store_op *store_op_commit(const store_submission *rec, uint64_t reserved);
store_op *store_op_chunk_put(const uint8_t blob[STORE_ID], uint32_t idx, uint64_t reserved,
			     uint8_t *data, size_t len);
store_op *store_op_blob_del(const uint8_t blob[STORE_ID]); /* an abandoned upload's chunks */
store_op *store_op_fetched(const uint8_t id[STORE_ID], uint32_t day); /* retention clock, once */
/* Delete the submission if BLAKE2b(ack_key) is its ack hash; STORE_BAD_KEY if not. */
store_op *store_op_ack(const uint8_t id[STORE_ID], const uint8_t ack_key[STORE_ACK_KEY]);
/* A reply blob into a mailbox until expiry_day: STORE_EXISTS if stored, STORE_CONFLICT if
 * acknowledged, STORE_LIMIT if the mailbox holds max_live replies (0: no limit). */
store_op *store_op_reply_put(const uint8_t mailbox[STORE_ID], const uint8_t reply_id[STORE_ID],
			     uint32_t expiry_day, uint32_t max_live, uint8_t *data, size_t len);
/* n reply ids (STORE_ID bytes each, back to back): each stored one becomes a tombstone (its
 * expiry day only) until it expires, so it cannot come back. count: how many. */
store_op *store_op_reply_del(const uint8_t mailbox[STORE_ID], const uint8_t *ids, size_t n);
/* Retention on `today`: a fetched submission goes days_after_fetch days after its fetch, an
 * unfetched one days_unfetched days after it was received (0: kept); expired replies go.
 * count: how many. */
store_op *store_op_expire(uint32_t today, uint32_t days_after_fetch, uint32_t days_unfetched);
store_op *store_op_purge_one(const uint8_t id[STORE_ID]); /* STORE_NOT_FOUND if absent */
store_op *store_op_purge_before(uint32_t day); /* received before day; 0: all. count: how many */
store_op *store_op_meta_put(const char *key, uint8_t *data, size_t len);
store_op *store_op_token_put(const char *name, const uint8_t hash[STORE_HASH]); /* STORE_EXISTS */
store_op *store_op_token_del(const char *name); /* STORE_NOT_FOUND */
store_op *store_op_gc(void); /* chunks no submission refers to (uploads of a previous run) */

int store_open(store **s, const char *dir, uint64_t map_size, unsigned high_water_percent);
void store_close(store *s); /* commits what is queued, then stops the writer */
const char *store_strerror(int rc);

/* The writer thread. notify() is called from it after each commit; the event loop then
 * calls store_drain(), which runs the done callbacks of the committed operations. */
int store_writer_start(store *s, void (*notify)(void *arg), void *arg);
int store_enqueue(store *s, store_op *op); /* STORE_BUSY when the bounded queue is full */
void store_drain(store *s);
size_t store_pending(store *s); /* queued or committing, not yet drained */
/* Without a writer (CLI): apply one operation in its own transaction. */
int store_apply_sync(store *s, store_op *op);

/* Reads: short read-only transactions, never held across I/O. */
int store_get_meta(store *s, const char *key, uint8_t **val, size_t *len);
int store_submission_get(store *s, const uint8_t id[STORE_ID], store_submission *out);
int store_submission_list(store *s, int (*cb)(void *arg, const store_submission *sub), void *arg);
int store_chunk_read(store *s, const uint8_t blob[STORE_ID], uint32_t idx, uint8_t *buf, size_t cap,
		     size_t *len);
int store_mailbox_list(store *s, const uint8_t mailbox[STORE_ID],
		       int (*cb)(void *arg, const uint8_t reply_id[STORE_ID], const uint8_t *blob,
				 size_t len),
		       void *arg);
/* One page of a mailbox's replies (tombstones skipped), in reply-id order after `after` (NULL:
 * from the start), looking at no more than `scan` stored entries. cb: 0 took it, 1 took it and
 * the page is full, -1 did not take it (full). *last: the id of the last entry taken or passed
 * (the next page starts after it); *more: 1 if entries may follow. */
int store_mailbox_page(store *s, const uint8_t mailbox[STORE_ID], const uint8_t *after,
		       unsigned scan,
		       int (*cb)(void *arg, const uint8_t reply_id[STORE_ID], const uint8_t *blob,
				 size_t len),
		       void *arg, uint8_t last[STORE_ID], int *more);
/* Constant-time over every stored token hash; the name of the match into name. */
int store_token_check(store *s, const uint8_t hash[STORE_HASH], char *name, size_t cap);
int store_token_list(store *s, int (*cb)(void *arg, const char *name), void *arg);
/* Bytes in use (pages in use, free pages excluded), the map size, and the high-water mark. */
int store_usage(store *s, uint64_t *used, uint64_t *map, uint64_t *high_water);
/* Space promised to an upload at its creation (PROTOCOL.md §12.3), so that every chunk and the
 * commit fit: every check against the mark counts it as used. STORE_FULL if it would leave less
 * than an eighth of the mark's room free (kept for one-request submissions). A chunk or commit
 * write turns its share (op->reserved) into data; what an abandoned upload did not use goes
 * back with store_unreserve. */
int store_reserve(store *s, uint64_t bytes);
/* STORE_OK if a write of `bytes` would fit below the mark now (nothing reserved). */
int store_fits(store *s, uint64_t bytes);
void store_unreserve(store *s, uint64_t bytes);
/* Would store_reserve (if `reserve`) or store_fits of `bytes` succeed with `freed` bytes of
 * reservations given back first? Nothing changes: for choosing what to give back. */
int store_fits_after(store *s, uint64_t bytes, uint64_t freed, int reserve);
uint64_t store_chunk_growth(size_t len); /* at most what a write of len bytes adds */
uint64_t store_upload_growth(uint64_t size, uint32_t chunk_size); /* chunks and the record */
int store_backup(store *s, const char *path); /* compacting copy, safe while serving */

#endif
