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
	store_op *op = store_op_new(OP_SUBMIT);
	memcpy(op->id, id, 16);
	randombytes_buf(op->blob, 16);
	randombytes_buf(ack_key, 32);
	gd_ack_hash(op->hash, ack_key);
	op->data = malloc(len);
	randombytes_buf(op->data, len);
	op->len = op->size = len;
	crypto_generichash(op->hash2, 32, op->data, len, NULL, 0);
	op->chunk_size = chunk;
	op->n = (uint32_t)((len + chunk - 1) / chunk);
	op->day = day;
	return op;
}

static store_op *sub_op(const uint8_t id[16], size_t len, uint32_t day, uint8_t ack_key[32])
{
	return sub_op_cs(id, len, day, ack_key, 4096);
}

static int apply_free(store_op *op)
{
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
	op->hash2[0] ^= 1;
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
	store_op *ack = store_op_new(OP_ACK);
	memcpy(ack->id, id, 16);
	randombytes_buf(ack->hash, 32);
	ck_assert_int_eq(store_apply_sync(st, ack), STORE_BAD_KEY);
	ck_assert_int_eq(store_submission_get(st, id, &s), STORE_OK);
	memcpy(ack->hash, key, 32);
	ck_assert_int_eq(apply_free(ack), STORE_OK);
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
	store_op *f = store_op_new(OP_FETCHED);
	memcpy(f->id, a, 16);
	f->day = 110;
	ck_assert_int_eq(store_apply_sync(st, f), STORE_OK);
	f->day = 120; /* only the first fetch counts */
	ck_assert_int_eq(apply_free(f), STORE_OK);
	store_submission s;
	ck_assert_int_eq(store_submission_get(st, a, &s), STORE_OK);
	ck_assert_uint_eq(s.fetched_day, 110);
	/* retention 30 days after the fetch; unfetched kept forever (0) */
	for (uint32_t day = 120; day <= 1000; day += 20) {
		store_op *e = store_op_new(OP_EXPIRE);
		e->day = day;
		e->idx = 30;
		e->n = 0;
		ck_assert_int_eq(apply_free(e), STORE_OK);
		ck_assert_int_eq(store_submission_get(st, a, &s), day < 140 ? STORE_OK : STORE_NOT_FOUND);
		ck_assert_int_eq(store_submission_get(st, b, &s), STORE_OK); /* the newsroom was away */
	}
	/* unless the operator sets a limit for unfetched ones */
	store_op *e = store_op_new(OP_EXPIRE);
	e->day = 1000;
	e->idx = 30;
	e->n = 365;
	ck_assert_int_eq(apply_free(e), STORE_OK);
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
		store_op *op = store_op_new(OP_REPLY_PUT);
		memcpy(op->id, mb, 16);
		randombytes_buf(op->blob, 16);
		op->day = 200 + i * 10; /* expiry days 200, 210, 220 */
		op->data = malloc(1100);
		op->len = 1100;
		memset(op->data, 'r', op->len);
		ck_assert_int_eq(apply_free(op), STORE_OK);
	}
	store_op *e = store_op_new(OP_EXPIRE);
	e->day = 210;
	e->idx = 30;
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
		store_op *c = store_op_new(OP_CHUNK_PUT);
		memcpy(c->blob, orphan, 16);
		c->idx = i;
		c->data = malloc(10);
		c->len = 10;
		memset(c->data, 'c', 10);
		ck_assert_int_eq(apply_free(c), STORE_OK);
	}
	store_op *gc = store_op_new(OP_GC);
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
	store_op *p = store_op_new(OP_PURGE);
	p->day = 60; /* received before day 60 */
	ck_assert_int_eq(store_apply_sync(st, p), STORE_OK);
	ck_assert_uint_eq(p->count, 1);
	store_op_free(p);
	ck_assert_int_eq(nsubs(), 1);
	p = store_op_new(OP_PURGE);
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
	store_op *p = store_op_new(OP_PURGE);
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
	store_op *p = store_op_new(OP_PURGE);
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
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
