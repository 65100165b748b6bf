/* Tests for crypto/padding.c: buckets, Padmé overhead, monotonicity. */
#include "check_main.h"
#include "testutil.h"

START_TEST(known_values)
{
	ck_assert_uint_eq(gd_pad_envelope(0), 16384);
	ck_assert_uint_eq(gd_pad_envelope(1), 16384);
	ck_assert_uint_eq(gd_pad_envelope(16384), 16384);
	/* 16385: E=14, S=4, 10 low bits cleared: next multiple of 1024 */
	ck_assert_uint_eq(gd_pad_envelope(16385), 17408);
	ck_assert_uint_eq(gd_padme(1000000), 1015808); /* E=19, S=5, 2^14 */
	ck_assert_uint_eq(gd_padme(1ULL << 30), 1ULL << 30);
	ck_assert_uint_eq(gd_padme((1ULL << 30) + 1), (1ULL << 30) + (1ULL << 25));
}
END_TEST

START_TEST(monotone_and_bounded)
{
	uint64_t prev = 0;
	for (uint64_t len = 1; len < (1ULL << 36); len = len * 9 / 8 + 13) {
		uint64_t p = gd_pad_envelope(len);
		ck_assert(p >= len);
		ck_assert(p >= prev);
		if (len > GD_PAD_FLOOR) /* Padmé's overhead stays under about 12% */
			ck_assert_msg((double)(p - len) / (double)len < 0.12, "len %llu",
				      (unsigned long long)len);
		ck_assert_uint_eq(gd_pad_envelope(p), p); /* buckets are fixed points */
		prev = p;
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("padding");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, known_values);
	tcase_add_test(tc, monotone_and_bounded);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
