/* Tests for client/cli.c: the process set-up of the client programs (no core dumps, not
 * dumpable, Jansson's memory wiped on free). */
#include <jansson.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "check_main.h"
#include "cli.h"
#include "testutil.h"

START_TEST(wipe_zeroes_the_whole_block)
{
	for (size_t len = 1; len < 5000; len = len * 3 + 1) {
		uint8_t *p = malloc(len);
		ck_assert_ptr_nonnull(p);
		memset(p, 0x5a, len);
		size_t n = cli_wipe(p);
		ck_assert_uint_ge(n, len); /* the usable size, slack included */
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(p[i] == 0, "byte %zu of %zu left", i, n);
		free(p);
	}
	ck_assert_uint_eq(cli_wipe(NULL), 0);
	cli_wipe_free(NULL);
}
END_TEST

START_TEST(harden_sets_the_process_up)
{
	ck_assert_int_eq(cli_harden(), 0);
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_CORE, &rl), 0);
	ck_assert_uint_eq(rl.rlim_cur, 0);
	ck_assert_uint_eq(rl.rlim_max, 0);
	ck_assert_int_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	/* Jansson's blocks now go through the wiping free; what json_dumps returns is still an
	 * ordinary malloc block (callers free it with free) */
	json_malloc_t m;
	json_free_t f;
	json_get_alloc_funcs(&m, &f);
	ck_assert(f == cli_wipe_free);
	json_t *o = json_pack("{s:s}", "text", "the testimony");
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	ck_assert_str_eq(s, "{\"text\":\"the testimony\"}");
	free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, wipe_zeroes_the_whole_block);
	tcase_add_test(tc, harden_sets_the_process_up);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
