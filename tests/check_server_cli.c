/* Integration tests: ghostdropd's operator commands (the real binary on a throwaway drop). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_main.h"
#include "daemon.h"
#include "store.h"
#include "testutil.h"

/* Store a bundle as the drop's published one, bypassing `keys publish` (which refuses an
 * expired one): what a drop holds once its bundle runs out. */
static void put_bundle(const drop *d, int64_t expires)
{
	char path[256];
	uint8_t *bytes;
	size_t len;
	store *st;
	gd_bundle *b = calloc(1, sizeof *b);
	ck_assert_ptr_nonnull(b);
	b->version = 2;
	b->created = expires - 30 * 86400;
	b->expires = expires;
	b->n_servers = 1;
	snprintf(b->servers[0], sizeof b->servers[0], "http://127.0.0.1:8080");
	b->n_journalists = 1;
	snprintf(b->journalists[0].name, sizeof b->journalists[0].name, "Ana");
	memcpy(b->journalists[0].pk, d->jpk, 32);
	b->journalists[0].not_before = b->created;
	b->journalists[0].not_after = expires - 86400;
	ck_assert_int_eq(gd_bundle_sign(&bytes, &len, b, d->root_sk), GD_OK);
	free(b);
	snprintf(path, sizeof path, "%s/data/db", d->dir);
	ck_assert_int_eq(store_open(&st, path, 64 << 20, 90), STORE_OK);
	store_op *op = store_op_meta_put("bundle", bytes, len); /* takes the bytes */
	ck_assert_ptr_nonnull(op);
	ck_assert_int_eq(store_apply_sync(st, op), STORE_OK);
	store_op_free(op);
	store_close(st);
}

/* stats says the bundle has expired and exits 3 (verification failed): a script or monitor
 * running it daily sees that sources can no longer submit. */
START_TEST(stats_fails_on_expired_bundle)
{
	drop d;
	char out[4096];
	drop_create(&d, NULL);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "stats --data %s/data", d.dir), 0);
	put_bundle(&d, (int64_t)time(NULL) - 86400);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "stats --data %s/data", d.dir), 3);
	ck_assert_msg(strstr(out, "EXPIRED") != NULL, "%s", out);
	ck_assert(strstr(out, "submissions: 0") != NULL); /* the counts are printed all the same */
	drop_destroy(&d);
}
END_TEST

/* stats says the next step: on an expired bundle, who makes a new one and the command that
 * publishes it; with days left, that the newsroom signs it (the operator cannot). */
START_TEST(stats_says_the_next_step)
{
	drop d;
	char out[4096], want[512];
	drop_create(&d, NULL);
	snprintf(want, sizeof want, "then: ghostdropd keys publish --data %s/data FILE", d.dir);
	put_bundle(&d, (int64_t)time(NULL) - 86400);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "stats --data %s/data", d.dir), 3);
	ck_assert_msg(strstr(out, "ask the newsroom for a new signed bundle") != NULL &&
			      strstr(out, want) != NULL,
		      "%s", out);
	put_bundle(&d, (int64_t)time(NULL) + 3 * 86400 - 3600);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "stats --data %s/data", d.dir), 5);
	ck_assert_msg(strstr(out, "expires in 2 day(s)") != NULL &&
			      strstr(out, "the newsroom signs a new one") != NULL &&
			      strstr(out, want) != NULL,
		      "%s", out);
	drop_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("server_cli");
	TCase *tc = tcase_create("cli");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, stats_fails_on_expired_bundle);
	tcase_add_test(tc, stats_says_the_next_step);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
