/* Tests for crypto/pow.c: stateless challenges, solutions, and every refusal. */
#include "check_main.h"
#include "testutil.h"

#define NOW 1800000000LL

static void issue(uint8_t ch[GD_POW_CHALLENGE_BYTES], const uint8_t key[32], uint8_t purpose,
		  uint8_t bits, int64_t expires)
{
	gd_pow_challenge c = {.purpose = purpose,
			      .bits = bits,
			      .backend = 3,
			      .declared_size = 5 << 20,
			      .expires = expires};
	randombytes_buf(c.id, sizeof c.id);
	ck_assert_int_eq(gd_pow_issue(ch, &c, key), GD_OK);
}

START_TEST(solve_and_check)
{
	uint8_t key[32], ch[GD_POW_CHALLENGE_BYTES];
	uint64_t ctr;
	gd_pow_challenge c;
	randombytes_buf(key, 32);
	issue(ch, key, GD_POW_UPLOAD, 12, NOW + 60);
	ck_assert_int_eq(gd_pow_solve(&ctr, ch), GD_OK);
	ck_assert_uint_ge(gd_pow_leading_zeros(ch, ctr), 12);
	ck_assert_int_eq(gd_pow_check(&c, ch, ctr, key, GD_POW_UPLOAD, 12, NOW), GD_OK);
	ck_assert_uint_eq(c.declared_size, 5 << 20);
	ck_assert_uint_eq(c.backend, 3);
	ck_assert_uint_eq(c.bits, 12);
}
END_TEST

START_TEST(refusals)
{
	uint8_t key[32], other[32], ch[GD_POW_CHALLENGE_BYTES];
	uint64_t ctr;
	gd_pow_challenge c;
	randombytes_buf(key, 32);
	randombytes_buf(other, 32);
	issue(ch, key, GD_POW_SUBMIT, 10, NOW + 60);
	ck_assert_int_eq(gd_pow_solve(&ctr, ch), GD_OK);
	/* another server's key (or one from before a restart) */
	ck_assert_int_eq(gd_pow_check(&c, ch, ctr, other, GD_POW_SUBMIT, 10, NOW), GD_ERR_POW);
	/* another endpoint */
	ck_assert_int_eq(gd_pow_check(&c, ch, ctr, key, GD_POW_MAILBOX, 10, NOW), GD_ERR_PURPOSE);
	/* expired */
	ck_assert_int_eq(gd_pow_check(&c, ch, ctr, key, GD_POW_SUBMIT, 10, NOW + 61),
			 GD_ERR_EXPIRED);
	/* the server now wants more bits than this challenge was issued with */
	ck_assert_int_eq(gd_pow_check(&c, ch, ctr, key, GD_POW_SUBMIT, 11, NOW), GD_ERR_POW);
	/* a counter that does not solve it */
	uint64_t bad = ctr + 1;
	while (gd_pow_leading_zeros(ch, bad) >= 10)
		bad++;
	ck_assert_int_eq(gd_pow_check(&c, ch, bad, key, GD_POW_SUBMIT, 10, NOW), GD_ERR_POW);
	/* any edited byte of the challenge: the MAC fails (lowering the bits, say) */
	for (size_t i = 0; i < GD_POW_CHALLENGE_BYTES; i++) {
		ch[i] ^= 1;
		ck_assert_int_eq(gd_pow_check(&c, ch, ctr, key, GD_POW_SUBMIT, 0, NOW), GD_ERR_POW);
		ch[i] ^= 1;
	}
	ck_assert_int_eq(gd_pow_check(&c, ch, ctr, key, GD_POW_SUBMIT, 10, NOW), GD_OK);
	gd_pow_challenge too_hard = {.purpose = GD_POW_SUBMIT, .bits = GD_POW_MAX_BITS + 1};
	ck_assert_int_eq(gd_pow_issue(ch, &too_hard, key), GD_ERR_INVAL);
}
END_TEST

START_TEST(difficulty_is_real)
{
	/* With 8 bits, about 1 counter in 256 solves: count over a range. */
	uint8_t key[32], ch[GD_POW_CHALLENGE_BYTES];
	randombytes_buf(key, 32);
	issue(ch, key, GD_POW_SUBMIT, 8, NOW + 60);
	unsigned hits = 0;
	for (uint64_t i = 0; i < 65536; i++)
		hits += gd_pow_leading_zeros(ch, i) >= 8;
	ck_assert_uint_gt(hits, 150); /* expected 256, sd 16 */
	ck_assert_uint_lt(hits, 370);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pow");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, solve_and_check);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, difficulty_is_real);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
