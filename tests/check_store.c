/* Tests for server/store.c: records, idempotency, ack keys, retention, garbage collection,
 * purge, and batches in which one member fails alone. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "check_main.h"
#include "store.h"
#include "testutil.h"

static char dir[64];
static store *st;

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/gd-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(store_open(&st, dir, 16ULL << 20, 50), STORE_OK);
}

static void teardown(void)
{
	char cmd[128];
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A submission of len bytes in chunks of 4 KiB, received on day. */
static store_op *sub_op_cs(const uint8_t id[16], size_t len, uint32_t day, uint8_t ack_key[32],
			   uint32_t chunk)
{
	store_submission rec = {0};
	uint8_t *data = malloc(len);
	ck_assert_ptr_nonnull(data);
	memcpy(rec.id, id, 16);
	randombytes_buf(rec.blob, 16);
	randombytes_buf(ack_key, 32);
	gd_ack_hash(rec.ack_hash, ack_key);
	randombytes_buf(data, len);
	crypto_generichash(rec.env_hash, 32, data, len, NULL, 0);
	rec.chunk_size = chunk;
	rec.received_day = day;
	store_op *op = store_op_submit(&rec, data, len);
	ck_assert_ptr_nonnull(op);
	return op;
}

static store_op *sub_op(const uint8_t id[16], size_t len, uint32_t day, uint8_t ack_key[32])
{
	return sub_op_cs(id, len, day, ack_key, 4096);
}

static int apply_free(store_op *op)
{
	ck_assert_ptr_nonnull(op);
	int rc = store_apply_sync(st, op);
	store_op_free(op);
	return rc;
}

START_TEST(submit_read_ack)
{
	uint8_t id[16], key[32], buf[4096];
	size_t len;
	randombytes_buf(id, 16);
	store_op *op = sub_op(id, 10000, 100, key);
	uint8_t *copy = malloc(10000);
	memcpy(copy, op->data, 10000);
	ck_assert_int_eq(store_apply_sync(st, op), STORE_OK);
	ck_assert_int_eq(store_apply_sync(st, op), STORE_EXISTS); /* same bytes: idempotent */
	op->u.submit.env_hash[0] ^= 1;
	ck_assert_int_eq(store_apply_sync(st, op), STORE_CONFLICT);
	store_op_free(op);
	store_submission s;
	ck_assert_int_eq(store_submission_get(st, id, &s), STORE_OK);
	ck_assert_uint_eq(s.n_chunks, 3);
	ck_assert_uint_eq(s.received_day, 100);
	ck_assert_uint_eq(s.fetched_day, 0);
	for (uint32_t i = 0; i < 3; i++) {
		ck_assert_int_eq(store_chunk_read(st, s.blob, i, buf, sizeof buf, &len), STORE_OK);
		ck_assert(memcmp(buf, copy + i * 4096, len) == 0);
	}
	ck_assert_uint_eq(len, 10000 - 2 * 4096);
	ck_assert_int_eq(store_chunk_read(st, s.blob, 3, buf, sizeof buf, &len), STORE_NOT_FOUND);
	/* ack: the wrong key changes nothing, the right one deletes record and chunks */
	uint8_t wrong[32];
	randombytes_buf(wrong, 32);
	ck_assert_int_eq(apply_free(store_op_ack(id, wrong)), STORE_BAD_KEY);
	ck_assert_int_eq(store_submission_get(st, id, &s), STORE_OK);
	ck_assert_int_eq(apply_free(store_op_ack(id, key)), STORE_OK);
	ck_assert_int_eq(store_submission_get(st, id, &s), STORE_NOT_FOUND);
	ck_assert_int_eq(store_chunk_read(st, s.blob, 0, buf, sizeof buf, &len), STORE_NOT_FOUND);
	free(copy);
}
END_TEST

static int count_subs(void *arg, const store_submission *s)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

static int nsubs(void)
{
	int n = 0;
	ck_assert_int_eq(store_submission_list(st, count_subs, &n), STORE_OK);
	return n;
}

START_TEST(retention)
{
	uint8_t a[16], b[16], key[32];
	randombytes_buf(a, 16);
	randombytes_buf(b, 16);
	ck_assert_int_eq(apply_free(sub_op(a, 100, 100, key)), STORE_OK); /* fetched on day 110 */
	ck_assert_int_eq(apply_free(sub_op(b, 100, 100, key)), STORE_OK); /* never fetched */
	ck_assert_int_eq(apply_free(store_op_fetched(a, 110)), STORE_OK);
	/* only the first fetch counts */
	ck_assert_int_eq(apply_free(store_op_fetched(a, 120)), STORE_OK);
	store_submission s;
	ck_assert_int_eq(store_submission_get(st, a, &s), STORE_OK);
	ck_assert_uint_eq(s.fetched_day, 110);
	/* retention 30 days after the fetch; unfetched kept forever (0) */
	for (uint32_t day = 120; day <= 1000; day += 20) {
		ck_assert_int_eq(apply_free(store_op_expire(day, 30, 0)), STORE_OK);
		ck_assert_int_eq(store_submission_get(st, a, &s),
				 day < 140 ? STORE_OK : STORE_NOT_FOUND);
		ck_assert_int_eq(store_submission_get(st, b, &s),
				 STORE_OK); /* the newsroom was away */
	}
	/* unless the operator sets a limit for unfetched ones */
	ck_assert_int_eq(apply_free(store_op_expire(1000, 30, 365)), STORE_OK);
	ck_assert_int_eq(store_submission_get(st, b, &s), STORE_NOT_FOUND);
}
END_TEST

static int count_reply(void *arg, const uint8_t *id, const uint8_t *blob, size_t len)
{
	(void)id;
	(void)blob;
	(void)len;
	(*(int *)arg)++;
	return 0;
}

START_TEST(replies_expire)
{
	uint8_t mb[16];
	randombytes_buf(mb, 16);
	for (uint32_t i = 0; i < 3; i++) {
		uint8_t rid[16], *blob = malloc(1100);
		ck_assert_ptr_nonnull(blob);
		randombytes_buf(rid, 16);
		memset(blob, 'r', 1100);
		/* expiry days 200, 210, 220 */
		store_op *op = store_op_reply_put(mb, rid, 200 + i * 10, 0, blob, 1100);
		ck_assert_int_eq(apply_free(op), STORE_OK);
	}
	store_op *e = store_op_expire(210, 30, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(store_apply_sync(st, e), STORE_OK);
	ck_assert_uint_eq(e->count, 2);
	store_op_free(e);
	int n = 0;
	ck_assert_int_eq(store_mailbox_list(st, mb, count_reply, &n), STORE_OK);
	ck_assert_int_eq(n, 1);
}
END_TEST

START_TEST(gc_and_purge)
{
	uint8_t keep[16], key[32], orphan[16], buf[64];
	size_t len;
	randombytes_buf(keep, 16);
	ck_assert_int_eq(apply_free(sub_op(keep, 9000, 50, key)), STORE_OK);
	/* chunks of an upload that never committed */
	randombytes_buf(orphan, 16);
	for (uint32_t i = 0; i < 4; i++) {
		uint8_t *data = malloc(10);
		ck_assert_ptr_nonnull(data);
		memset(data, 'c', 10);
		ck_assert_int_eq(apply_free(store_op_chunk_put(orphan, i, 0, data, 10)), STORE_OK);
	}
	store_op *gc = store_op_gc();
	ck_assert_ptr_nonnull(gc);
	ck_assert_int_eq(store_apply_sync(st, gc), STORE_OK);
	ck_assert_uint_eq(gc->count, 4);
	store_op_free(gc);
	ck_assert_int_eq(store_chunk_read(st, orphan, 0, buf, sizeof buf, &len), STORE_NOT_FOUND);
	store_submission s;
	ck_assert_int_eq(store_submission_get(st, keep, &s), STORE_OK);
	uint8_t big[4096];
	ck_assert_int_eq(store_chunk_read(st, s.blob, 2, big, sizeof big, &len), STORE_OK);
	/* purge by age, then everything */
	uint8_t newer[16];
	randombytes_buf(newer, 16);
	ck_assert_int_eq(apply_free(sub_op(newer, 100, 90, key)), STORE_OK);
	store_op *p = store_op_purge_before(60); /* received before day 60 */
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(store_apply_sync(st, p), STORE_OK);
	ck_assert_uint_eq(p->count, 1);
	store_op_free(p);
	ck_assert_int_eq(nsubs(), 1);
	p = store_op_purge_before(0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(store_apply_sync(st, p), STORE_OK);
	ck_assert_uint_eq(p->count, 1);
	store_op_free(p);
	ck_assert_int_eq(nsubs(), 0);
}
END_TEST

/* ---- batches through the writer thread ---- */

static int wake_fds[2];

static void notify(void *arg)
{
	(void)arg;
	ssize_t n = write(wake_fds[1], "x", 1);
	(void)n;
}

/* Drain until nothing is queued or committing (wake-up bytes can outnumber drains). */
static void wait_idle(store *s)
{
	while (store_pending(s) > 0) {
		char c;
		ck_assert_int_eq(read(wake_fds[0], &c, 1), 1);
		store_drain(s);
	}
}

static int done_count;
static void on_done(store_op *op, void *arg)
{
	((int *)arg)[0] = op->result;
	done_count++;
	store_op_free(op);
}

START_TEST(one_large_member_fails_alone)
{
	/* Fill the 16 MiB map to near its 50% mark, then queue in one go: small, large, small.
	 * The large one cannot fit and gets STORE_FULL; the small ones are stored. */
	uint8_t key[32];
	for (int i = 0; i < 6; i++) { /* about 6.3 MiB of the 8 MiB mark */
		uint8_t id[16];
		randombytes_buf(id, 16);
		ck_assert_int_eq(apply_free(sub_op_cs(id, 1 << 20, 1, key, 65536)), STORE_OK);
	}
	ck_assert_int_eq(pipe(wake_fds), 0);
	ck_assert_int_eq(store_writer_start(st, notify, NULL), STORE_OK);
	int results[5] = {99, 99, 99, 99, 99};
	done_count = 0;
	size_t sizes[5] = {2000, 3000, 3 << 20, 2500, 1000};
	uint8_t ids[5][16];
	for (int i = 0; i < 5; i++) {
		randombytes_buf(ids[i], 16);
		store_op *op = sub_op_cs(ids[i], sizes[i], 1, key, 65536);
		op->done = on_done;
		op->arg = &results[i];
		ck_assert_int_eq(store_enqueue(st, op), STORE_OK);
	}
	wait_idle(st);
	ck_assert_int_eq(done_count, 5);
	ck_assert_int_eq(results[2], STORE_FULL);
	for (int i = 0; i < 5; i++) {
		store_submission s;
		if (i == 2)
			continue;
		ck_assert_int_eq(results[i], STORE_OK);
		ck_assert_int_eq(store_submission_get(st, ids[i], &s), STORE_OK);
	}
	store_submission s;
	ck_assert_int_eq(store_submission_get(st, ids[2], &s), STORE_NOT_FOUND);
	/* deletes still work past the mark */
	store_op *p = store_op_purge_before(0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(store_enqueue(st, p), STORE_OK);
	wait_idle(st);
	ck_assert_int_eq(nsubs(), 0);
}
END_TEST

/* A real MDB_MAP_FULL (not the high-water estimate): 4 KiB values take two pages each, so a
 * 3 MiB member overflows a 4 MiB map whose mark (99%) it passes on paper. It fails alone;
 * its neighbours in the batch commit; the store keeps working. */
START_TEST(map_full_member_fails_alone)
{
	store *tiny;
	char d2[64], cmd[128];
	uint8_t key[32];
	snprintf(d2, sizeof d2, "/tmp/gd-tiny-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d2));
	ck_assert_int_eq(store_open(&tiny, d2, 4ULL << 20, 99), STORE_OK);
	ck_assert_int_eq(pipe(wake_fds), 0);
	ck_assert_int_eq(store_writer_start(tiny, notify, NULL), STORE_OK);
	int results[3] = {99, 99, 99};
	done_count = 0;
	size_t sizes[3] = {100000, 3 << 20, 100000};
	uint8_t ids[3][16];
	for (int i = 0; i < 3; i++) {
		randombytes_buf(ids[i], 16);
		store_op *op = sub_op(ids[i], sizes[i], 1, key); /* 4 KiB chunks */
		op->done = on_done;
		op->arg = &results[i];
		ck_assert_int_eq(store_enqueue(tiny, op), STORE_OK);
	}
	wait_idle(tiny);
	ck_assert_int_eq(done_count, 3);
	ck_assert_int_eq(results[1], STORE_FULL);
	ck_assert_int_eq(results[0], STORE_OK);
	ck_assert_int_eq(results[2], STORE_OK);
	store_submission s;
	ck_assert_int_eq(store_submission_get(tiny, ids[0], &s), STORE_OK);
	ck_assert_int_eq(store_submission_get(tiny, ids[1], &s), STORE_NOT_FOUND);
	ck_assert_int_eq(store_submission_get(tiny, ids[2], &s), STORE_OK);
	/* still usable: a delete, then a write that fits */
	store_op *p = store_op_purge_before(0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(store_enqueue(tiny, p), STORE_OK);
	wait_idle(tiny);
	store_close(tiny);
	ck_assert_int_eq(store_open(&tiny, d2, 4ULL << 20, 99), STORE_OK);
	uint8_t id[16];
	randombytes_buf(id, 16);
	store_op *w = sub_op(id, 200000, 1, key);
	ck_assert_int_eq(store_apply_sync(tiny, w), STORE_OK);
	store_op_free(w);
	store_close(tiny);
	snprintf(cmd, sizeof cmd, "rm -rf %s", d2);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- one constructor per operation ---- */

static uint8_t *bytes(size_t len, int c)
{
	uint8_t *p = malloc(len);
	ck_assert_ptr_nonnull(p);
	memset(p, c, len);
	return p;
}

/* Bad input fails cleanly: NULL, and what was handed over freed (ASan sees leaks). */
START_TEST(constructors_refuse_bad_input)
{
	uint8_t id[16] = {1}, hash[32] = {2};
	char long_name[STORE_TOKEN_NAME_MAX + 2], long_key[STORE_META_KEY_MAX + 2];
	store_submission rec = {0};
	rec.chunk_size = 4096;
	ck_assert_ptr_null(store_op_submit(&rec, NULL, 10));
	rec.chunk_size = 0;
	ck_assert_ptr_null(store_op_submit(&rec, bytes(10, 's'), 10));
	ck_assert_ptr_null(store_op_chunk_put(id, 0, 0, NULL, 10));
	ck_assert_ptr_null(store_op_reply_put(id, id, 1, 0, NULL, 10));
	ck_assert_ptr_null(store_op_reply_del(id, NULL, 3));
	ck_assert_ptr_null(store_op_meta_put("bundle", NULL, 10));
	ck_assert_ptr_null(store_op_meta_put("", bytes(4, 'm'), 4));
	memset(long_key, 'k', sizeof long_key - 1);
	long_key[sizeof long_key - 1] = '\0';
	ck_assert_ptr_null(store_op_meta_put(long_key, bytes(4, 'm'), 4));
	memset(long_name, 'n', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	ck_assert_ptr_null(store_op_token_put(long_name, hash));
	ck_assert_ptr_null(store_op_token_del(long_name));
	ck_assert_ptr_null(store_op_token_put("", hash));
	/* nothing was written */
	uint8_t *val;
	size_t len;
	ck_assert_int_eq(store_get_meta(st, "bundle", &val, &len), STORE_NOT_FOUND);
	/* the longest name fits */
	long_name[STORE_TOKEN_NAME_MAX] = '\0';
	ck_assert_int_eq(apply_free(store_op_token_put(long_name, hash)), STORE_OK);
	char name[STORE_TOKEN_NAME_MAX + 1];
	ck_assert_int_eq(store_token_check(st, hash, name, sizeof name), STORE_OK);
	ck_assert_str_eq(name, long_name);
	/* an empty value is data too */
	ck_assert_int_eq(apply_free(store_op_meta_put("empty", NULL, 0)), STORE_OK);
	ck_assert_int_eq(store_get_meta(st, "empty", &val, &len), STORE_OK);
	ck_assert_uint_eq(len, 0);
	free(val);
}
END_TEST

/* The two retention numbers are told apart: days after a fetch, days unfetched. */
START_TEST(expire_fetched_and_unfetched_apart)
{
	uint8_t f[16], u[16], key[32];
	store_submission s;
	for (int round = 0; round < 2; round++) {
		randombytes_buf(f, 16);
		randombytes_buf(u, 16);
		ck_assert_int_eq(apply_free(sub_op(f, 100, 100, key)), STORE_OK);
		ck_assert_int_eq(apply_free(sub_op(u, 100, 100, key)), STORE_OK);
		ck_assert_int_eq(apply_free(store_op_fetched(f, 100)), STORE_OK);
		store_op *e = round == 0 ? store_op_expire(110, 10, 1000)
					 : store_op_expire(110, 1000, 10);
		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(store_apply_sync(st, e), STORE_OK);
		ck_assert_uint_eq(e->count, 1);
		store_op_free(e);
		/* round 0: the fetched one went; round 1: the unfetched one */
		int f_rc = round == 0 ? STORE_NOT_FOUND : STORE_OK;
		int u_rc = round == 0 ? STORE_OK : STORE_NOT_FOUND;
		ck_assert_int_eq(store_submission_get(st, f, &s), f_rc);
		ck_assert_int_eq(store_submission_get(st, u, &s), u_rc);
		ck_assert_int_eq(apply_free(store_op_purge_before(0)), STORE_OK);
	}
}
END_TEST

/* A 40-byte reply of c's, kept until day 50, in a mailbox of at most 2 replies. */
static int put_reply(const uint8_t mb[16], const uint8_t rid[16], int c)
{
	return apply_free(store_op_reply_put(mb, rid, 50, 2, bytes(40, c), 40));
}

START_TEST(replies_put_delete_limit)
{
	uint8_t mb[16], r[3][16], ids[2][16];
	int n = 0;
	randombytes_buf(mb, 16);
	for (int i = 0; i < 3; i++)
		randombytes_buf(r[i], 16);
	ck_assert_int_eq(put_reply(mb, r[0], 'a'), STORE_OK);
	ck_assert_int_eq(put_reply(mb, r[1], 'b'), STORE_OK);
	ck_assert_int_eq(put_reply(mb, r[2], 'c'), STORE_LIMIT);
	ck_assert_int_eq(put_reply(mb, r[0], 'a'), STORE_EXISTS);
	memcpy(ids[0], r[0], 16);
	randombytes_buf(ids[1], 16); /* unknown: passed over */
	store_op *d = store_op_reply_del(mb, &ids[0][0], 2);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(store_apply_sync(st, d), STORE_OK);
	ck_assert_uint_eq(d->count, 1);
	store_op_free(d);
	ck_assert_int_eq(store_mailbox_list(st, mb, count_reply, &n), STORE_OK);
	ck_assert_int_eq(n, 1);
	/* acknowledged: it cannot come back; the room it left takes a new one */
	ck_assert_int_eq(put_reply(mb, r[0], 'a'), STORE_CONFLICT);
	ck_assert_int_eq(put_reply(mb, r[2], 'c'), STORE_OK);
	ck_assert_int_eq(apply_free(store_op_reply_del(mb, NULL, 0)), STORE_OK);
}
END_TEST

/* An upload: chunks, then the record; a second commit is idempotent; an abandoned upload's
 * chunks go with blob_del. */
START_TEST(upload_chunks_commit_blob_del)
{
	uint8_t buf[8];
	size_t len;
	store_submission rec = {0}, s;
	randombytes_buf(rec.id, 16);
	randombytes_buf(rec.blob, 16);
	randombytes_buf(rec.ack_hash, 32);
	randombytes_buf(rec.env_hash, 32);
	rec.received_day = 7;
	rec.fetched_day = 99; /* ignored: nobody fetched it yet */
	rec.size = 12;
	rec.n_chunks = 2;
	rec.chunk_size = 8;
	store_op *c0 = store_op_chunk_put(rec.blob, 0, 0, bytes(8, '0'), 8);
	store_op *c1 = store_op_chunk_put(rec.blob, 1, 0, bytes(4, '1'), 4);
	ck_assert_int_eq(apply_free(c0), STORE_OK);
	ck_assert_int_eq(apply_free(c1), STORE_OK);
	ck_assert_int_eq(apply_free(store_op_commit(&rec, 0)), STORE_OK);
	ck_assert_int_eq(apply_free(store_op_commit(&rec, 0)), STORE_EXISTS);
	ck_assert_int_eq(store_submission_get(st, rec.id, &s), STORE_OK);
	ck_assert_uint_eq(s.received_day, 7);
	ck_assert_uint_eq(s.fetched_day, 0);
	ck_assert_uint_eq(s.size, 12);
	ck_assert_uint_eq(s.n_chunks, 2);
	ck_assert_uint_eq(s.chunk_size, 8);
	ck_assert(memcmp(s.blob, rec.blob, 16) == 0);
	ck_assert(memcmp(s.ack_hash, rec.ack_hash, 32) == 0);
	ck_assert_int_eq(store_chunk_read(st, s.blob, 1, buf, sizeof buf, &len), STORE_OK);
	ck_assert_uint_eq(len, 4);
	rec.env_hash[0] ^= 1;
	ck_assert_int_eq(apply_free(store_op_commit(&rec, 0)), STORE_CONFLICT);
	/* abandoned */
	uint8_t other[16];
	randombytes_buf(other, 16);
	ck_assert_int_eq(apply_free(store_op_chunk_put(other, 0, 0, bytes(8, 'x'), 8)), STORE_OK);
	ck_assert_int_eq(apply_free(store_op_blob_del(other)), STORE_OK);
	ck_assert_int_eq(store_chunk_read(st, other, 0, buf, sizeof buf, &len), STORE_NOT_FOUND);
	ck_assert_int_eq(store_chunk_read(st, s.blob, 0, buf, sizeof buf, &len), STORE_OK);
}
END_TEST

/* An upload's chunks of `cs` bytes under blob, as its chunk puts store them. */
static void put_chunks(const uint8_t blob[16], const uint8_t *data, size_t len, uint32_t cs)
{
	for (size_t off = 0, i = 0; off < len; off += cs, i++) {
		size_t n = len - off < cs ? len - off : cs;
		uint8_t *c = malloc(n);
		memcpy(c, data + off, n);
		ck_assert_int_eq(apply_free(store_op_chunk_put(blob, (uint32_t)i, 0, c, n)),
				 STORE_OK);
	}
}

static store_submission as_commit(const store_submission *base, const uint8_t *data, size_t len,
				  uint32_t cs, const uint8_t e[32], int poly)
{
	store_submission r = *base;
	randombytes_buf(r.blob, 16);
	r.size = len;
	r.chunk_size = cs;
	r.n_chunks = (uint32_t)((len + cs - 1) / cs);
	memcpy(r.env_id, e, 32);
	if (poly)
		memcpy(r.env_hash, e, 32); /* a poly1305 upload's record holds E */
	else
		randombytes_buf(r.env_hash, 32); /* a D no other record holds */
	r.digest_unknown = poly;
	put_chunks(r.blob, data, len, cs);
	return r;
}

static int submit_copy(const store_submission *rec, const uint8_t *data, size_t len)
{
	uint8_t *c = malloc(len);
	memcpy(c, data, len);
	return apply_free(store_op_submit(rec, c, len));
}

/* Lane poly, §12.2 in the writer (commits, and one-request submissions racing a record). E (from
 * the stored record's chunk 0 when the newcomer is a poly1305 upload, or held by a poly1305
 * upload's record) only rules a match in: the bytes decide then, as streams (chunk sizes may
 * differ). Review F2: junk with the victim's header under its id must be a conflict. D stays
 * byte-exact otherwise. */
START_TEST(same_envelope_by_its_id)
{
	boxkey k;
	membuf env = {0};
	char text[1200];
	memset(text, 'p', sizeof text);
	gd_manifest m = {.kind = GD_KIND_TESTIMONY, .text = text, .text_len = sizeof text};
	uint8_t e[32], e2[32];
	boxkey_new(&k);
	randombytes_buf(m.submission_id, 16);
	ck_assert_int_eq(seal_to(&env, (const uint8_t(*)[32])k.pk, 1, &m, NULL, NULL, 0, NULL),
			 GD_OK);
	ck_assert_uint_gt(env.len, 2 * 700);
	ck_assert_int_eq(gd_envelope_id(e, env.len, env.buf, env.len), GD_OK);
	/* junk: the same header (so the same E), zeros after it; and one bit off at the end */
	uint8_t *junk = malloc(env.len), *last = malloc(env.len);
	memcpy(junk, env.buf, env.len);
	memset(junk + 200, 0, env.len - 200);
	memcpy(last, env.buf, env.len);
	last[env.len - 1] ^= 1;
	ck_assert_int_eq(gd_envelope_id(e2, env.len, junk, env.len), GD_OK);
	ck_assert(memcmp(e, e2, 32) == 0);
	/* a one-request record (its D), then poly1305 commits under its id */
	store_submission one = {0}, c;
	randombytes_buf(one.id, 16);
	randombytes_buf(one.blob, 16);
	randombytes_buf(one.env_hash, 32); /* its D: only its own bytes make it */
	memcpy(one.env_id, e, 32);
	one.chunk_size = 1024;
	ck_assert_int_eq(submit_copy(&one, env.buf, env.len), STORE_OK);
	c = as_commit(&one, env.buf, env.len, 1024, e, 1);
	ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_EXISTS);
	c = as_commit(&one, env.buf, env.len, 700, e, 1); /* other chunk sizes: the same stream */
	ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_EXISTS);
	c = as_commit(&one, env.buf, env.len, 2000, e, 1);
	ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_EXISTS);
	c = as_commit(&one, junk, env.len, 1024, e, 1);
	ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_CONFLICT);
	c = as_commit(&one, junk, env.len, 700, e, 1);
	ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_CONFLICT);
	c = as_commit(&one, last, env.len, 2000, e, 1);
	ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_CONFLICT);
	memcpy(e2, e, 32);
	e2[0] ^= 1; /* another header */
	c = as_commit(&one, env.buf, env.len, 1024, e2, 1);
	ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_CONFLICT);
	/* a blake2b newcomer with another D: byte-exact, whatever its header and bytes */
	c = as_commit(&one, env.buf, env.len, 1024, e, 0);
	ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_CONFLICT);
	/* a poly1305 record (its E), then one-request submissions and blake2b or poly1305 commits
	 */
	store_submission poly = as_commit(&one, env.buf, env.len, 700, e, 1);
	randombytes_buf(poly.id, 16);
	ck_assert_int_eq(apply_free(store_op_commit(&poly, 0)), STORE_OK);
	memcpy(one.id, poly.id, 16);
	ck_assert_int_eq(submit_copy(&one, env.buf, env.len), STORE_EXISTS);
	ck_assert_int_eq(submit_copy(&one, junk, env.len), STORE_CONFLICT);
	ck_assert_int_eq(submit_copy(&one, last, env.len), STORE_CONFLICT);
	for (int p = 0; p < 2; p++) {
		c = as_commit(&poly, env.buf, env.len, 1024, e, p);
		ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_EXISTS);
		c = as_commit(&poly, env.buf, env.len, 700, e, p);
		ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_EXISTS);
		c = as_commit(&poly, junk, env.len, 2000, e, p);
		ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_CONFLICT);
		c = as_commit(&poly, last, env.len, 700, e, p);
		ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_CONFLICT);
		c = as_commit(&poly, env.buf, env.len, 1024, e2, p);
		ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_CONFLICT);
	}
	/* a newcomer whose chunks are not all there is no proof of the same bytes */
	c = as_commit(&poly, env.buf, env.len, 1024, e, 1);
	ck_assert_int_eq(apply_free(store_op_blob_del(c.blob)), STORE_OK);
	ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_CONFLICT);
	/* junk first (a poly1305 record), then the real bytes: the junk stays, the worker is told
	 */
	store_submission bad = as_commit(&poly, junk, env.len, 1024, e, 1);
	randombytes_buf(bad.id, 16);
	ck_assert_int_eq(apply_free(store_op_commit(&bad, 0)), STORE_OK);
	memcpy(one.id, bad.id, 16);
	ck_assert_int_eq(submit_copy(&one, env.buf, env.len), STORE_CONFLICT);
	c = as_commit(&bad, env.buf, env.len, 1024, e, 1);
	ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_CONFLICT);
	c = as_commit(&bad, junk, env.len, 2000, e, 1);
	ck_assert_int_eq(apply_free(store_op_commit(&c, 0)), STORE_EXISTS);
	free(last);
	free(junk);
	membuf_free(&env);
}
END_TEST

START_TEST(tokens_meta_purge_one)
{
	uint8_t hash[32], a[16], b[16], key[32], *val;
	size_t len;
	char name[80];
	randombytes_buf(hash, 32);
	ck_assert_int_eq(apply_free(store_op_token_put("desk-1", hash)), STORE_OK);
	ck_assert_int_eq(apply_free(store_op_token_put("desk-1", hash)), STORE_EXISTS);
	ck_assert_int_eq(store_token_check(st, hash, name, sizeof name), STORE_OK);
	ck_assert_str_eq(name, "desk-1");
	ck_assert_int_eq(apply_free(store_op_token_del("desk-1")), STORE_OK);
	ck_assert_int_eq(apply_free(store_op_token_del("desk-1")), STORE_NOT_FOUND);
	ck_assert_int_eq(store_token_check(st, hash, name, sizeof name), STORE_NOT_FOUND);
	store_op *m = store_op_meta_put("newsroom_pk", bytes(32, 'p'), 32);
	ck_assert_int_eq(apply_free(m), STORE_OK);
	ck_assert_int_eq(store_get_meta(st, "newsroom_pk", &val, &len), STORE_OK);
	ck_assert_uint_eq(len, 32);
	ck_assert_uint_eq(val[31], 'p');
	free(val);
	randombytes_buf(a, 16);
	randombytes_buf(b, 16);
	ck_assert_int_eq(apply_free(sub_op(a, 100, 1, key)), STORE_OK);
	ck_assert_int_eq(apply_free(sub_op(b, 100, 1, key)), STORE_OK);
	store_op *p = store_op_purge_one(a);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(store_apply_sync(st, p), STORE_OK);
	ck_assert_uint_eq(p->count, 1);
	store_op_free(p);
	ck_assert_int_eq(apply_free(store_op_purge_one(a)), STORE_NOT_FOUND);
	ck_assert_int_eq(nsubs(), 1);
}
END_TEST

/* An id of sixteen zero bytes is an id like any other: purging it purges nothing else. */
START_TEST(purge_one_zero_id)
{
	static const uint8_t zero[16];
	uint8_t a[16], key[32];
	randombytes_buf(a, 16);
	ck_assert_int_eq(apply_free(sub_op(a, 100, 1, key)), STORE_OK);
	ck_assert_int_eq(apply_free(store_op_purge_one(zero)), STORE_NOT_FOUND);
	ck_assert_int_eq(nsubs(), 1);
	ck_assert_int_eq(apply_free(sub_op(zero, 100, 1, key)), STORE_OK);
	ck_assert_int_eq(apply_free(store_op_purge_one(zero)), STORE_OK);
	ck_assert_int_eq(nsubs(), 1);
}
END_TEST

/* A meta key is a name of its own, not squeezed into a 16-byte id. */
START_TEST(meta_key_longer_than_an_id)
{
	const char *k = "a_meta_key_of_31_bytes_in_total";
	uint8_t *val;
	size_t len;
	ck_assert_int_eq(apply_free(store_op_meta_put(k, bytes(3, 'v'), 3)), STORE_OK);
	ck_assert_int_eq(store_get_meta(st, k, &val, &len), STORE_OK);
	ck_assert_uint_eq(len, 3);
	free(val);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, submit_read_ack);
	tcase_add_test(tc, retention);
	tcase_add_test(tc, replies_expire);
	tcase_add_test(tc, gc_and_purge);
	tcase_add_test(tc, one_large_member_fails_alone);
	tcase_add_test(tc, map_full_member_fails_alone);
	tcase_add_test(tc, constructors_refuse_bad_input);
	tcase_add_test(tc, expire_fetched_and_unfetched_apart);
	tcase_add_test(tc, replies_put_delete_limit);
	tcase_add_test(tc, upload_chunks_commit_blob_del);
	tcase_add_test(tc, tokens_meta_purge_one);
	tcase_add_test(tc, same_envelope_by_its_id);
	tcase_add_test(tc, purge_one_zero_id);
	tcase_add_test(tc, meta_key_longer_than_an_id);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
