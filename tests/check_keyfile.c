/* Tests for crypto/keyfile.c: sealed secret keys; corrupt file vs wrong passphrase. */
#include <time.h>

#include "check_main.h"
#include "testutil.h"

static uint8_t file[256];
static size_t file_len;
static uint8_t secret[64];

/* One Argon2id seal in the parent, shared by the forked tests. */
static void setup(void)
{
	randombytes_buf(secret, sizeof secret);
	ck_assert_int_eq(gd_keyfile_seal(file, sizeof file, &file_len, GD_KEY_NEWSROOM_ROOT, secret,
					 sizeof secret, "correct horse", 13, NULL),
			 GD_OK);
}

static int try_open(const uint8_t *f, size_t len, const char *pass)
{
	uint8_t *out = sodium_malloc(GD_KEYFILE_MAX_SECRET);
	size_t n = 0;
	gd_key_kind kind;
	int rc = gd_keyfile_open(out, GD_KEYFILE_MAX_SECRET, &n, &kind, f, len, pass, strlen(pass));
	if (rc == GD_OK) {
		ck_assert_uint_eq(n, sizeof secret);
		ck_assert(memcmp(out, secret, n) == 0);
		ck_assert_int_eq(kind, GD_KEY_NEWSROOM_ROOT);
	}
	sodium_free(out);
	return rc;
}

static void fix_checksum(uint8_t *f, size_t len)
{
	crypto_generichash(f + len - 16, 16, f, len - 16, NULL, 0);
}

START_TEST(roundtrip)
{
	ck_assert_uint_eq(file_len, gd_keyfile_size(sizeof secret));
	ck_assert(memcmp(file, "GDKF\x01\x01\x02\x00", 8) == 0);
	ck_assert_int_eq(try_open(file, file_len, "correct horse"), GD_OK);
}
END_TEST

START_TEST(wrong_passphrase)
{
	ck_assert_int_eq(try_open(file, file_len, "correct hors"), GD_ERR_DECRYPT);
}
END_TEST

START_TEST(corrupt_anywhere)
{
	/* Any flipped bit after the magic is corruption, found without running Argon2. */
	uint8_t f[256];
	for (size_t pos = 4; pos < file_len; pos++) {
		memcpy(f, file, file_len);
		f[pos] ^= 0x01;
		ck_assert_int_eq(try_open(f, file_len, "correct horse"), GD_ERR_CHECKSUM);
	}
	ck_assert_int_eq(try_open(file, file_len - 1, "correct horse"), GD_ERR_CHECKSUM);
	ck_assert_int_eq(try_open(file, 40, "correct horse"), GD_ERR_CHECKSUM);
	memcpy(f, file, file_len);
	f[0] = 'X';
	ck_assert_int_eq(try_open(f, file_len, "correct horse"), GD_ERR_FORMAT);
}
END_TEST

START_TEST(tampered_with_valid_checksum)
{
	/* A deliberate edit that also fixes the checksum is told apart from corruption. */
	uint8_t f[256];
	memcpy(f, file, file_len);
	f[GD_KEYFILE_HEADER_BYTES + 3] ^= 0x80;
	fix_checksum(f, file_len);
	ck_assert_int_eq(try_open(f, file_len, "correct horse"), GD_ERR_DECRYPT);
	memcpy(f, file, file_len);
	f[5] = GD_KEY_COURIER; /* the kind is authenticated too (courier: any length) */
	fix_checksum(f, file_len);
	ck_assert_int_eq(try_open(f, file_len, "correct horse"), GD_ERR_DECRYPT);
}
END_TEST

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Issue 15: a key file whose secret has the wrong length for its kind is `format`, found before
 * Argon2id runs, whatever the passphrase; it used to be "wrong passphrase" after a full KDF. */
START_TEST(kind_length_before_kdf)
{
	uint8_t f[256];
	memcpy(f, file, file_len);
	f[5] = GD_KEY_JOURNALIST; /* a journalist key is 32 bytes, this one holds 64 */
	fix_checksum(f, file_len);
	double t0 = now_s();
	ck_assert_int_eq(try_open(f, file_len, "correct horse"), GD_ERR_FORMAT);
	double fast = now_s() - t0;
	t0 = now_s();
	ck_assert_int_eq(try_open(file, file_len, "wrong horse"),
			 GD_ERR_DECRYPT); /* runs the KDF */
	double slow = now_s() - t0;
	ck_assert_msg(fast * 20 < slow, "format took %.3f s, the KDF %.3f s", fast, slow);
	/* A 32-byte secret labelled as a root key (64 bytes): format too. */
	uint8_t j[256];
	size_t jl;
	ck_assert_int_eq(
		gd_keyfile_seal(j, sizeof j, &jl, GD_KEY_JOURNALIST, secret, 32, "p", 1, NULL),
		GD_OK);
	j[5] = GD_KEY_NEWSROOM_ROOT;
	fix_checksum(j, jl);
	ck_assert_int_eq(try_open(j, jl, "p"), GD_ERR_FORMAT);
	ck_assert_int_eq(try_open(j, jl, "not p"), GD_ERR_FORMAT);
	/* A key of another kind than the one asked for: format, whatever the passphrase. */
	uint8_t *out = sodium_malloc(GD_KEYFILE_MAX_SECRET);
	size_t n;
	ck_assert_int_eq(gd_keyfile_open_kind(out, GD_KEYFILE_MAX_SECRET, &n, GD_KEY_JOURNALIST,
					      file, file_len, "wrong horse", 11),
			 GD_ERR_FORMAT);
	ck_assert_int_eq(gd_keyfile_open_kind(out, GD_KEYFILE_MAX_SECRET, &n, GD_KEY_NEWSROOM_ROOT,
					      file, file_len, "correct horse", 13),
			 GD_OK);
	ck_assert(n == 64 && memcmp(out, secret, 64) == 0);
	ck_assert_int_eq(gd_keyfile_open_kind(out, GD_KEYFILE_MAX_SECRET, &n, 9, file, file_len,
					      "correct horse", 13),
			 GD_ERR_INVAL);
	sodium_free(out);
	ck_assert_uint_eq(gd_keyfile_secret_len(GD_KEY_NEWSROOM_ROOT), 64);
	ck_assert_uint_eq(gd_keyfile_secret_len(GD_KEY_JOURNALIST), 32);
	ck_assert_uint_eq(gd_keyfile_secret_len(GD_KEY_COURIER), 0);
	/* The writer refuses what the reader would refuse. */
	ck_assert_int_eq(
		gd_keyfile_seal(j, sizeof j, &jl, GD_KEY_NEWSROOM_ROOT, secret, 32, "p", 1, NULL),
		GD_ERR_INVAL);
	ck_assert_int_eq(
		gd_keyfile_seal(j, sizeof j, &jl, GD_KEY_JOURNALIST, secret, 64, "p", 1, NULL),
		GD_ERR_INVAL);
}
END_TEST

START_TEST(version_and_weak_parameters)
{
	uint8_t f[256];
	memcpy(f, file, file_len);
	f[4] = 2;
	fix_checksum(f, file_len);
	ck_assert_int_eq(try_open(f, file_len, "correct horse"), GD_ERR_VERSION);
	memcpy(f, file, file_len);
	f[8] = 1; /* opslimit 1: a downgrade */
	fix_checksum(f, file_len);
	ck_assert_int_eq(try_open(f, file_len, "correct horse"), GD_ERR_WEAK);
	memcpy(f, file, file_len);
	f[23] = 0x10; /* memlimit huge: a memory bomb */
	fix_checksum(f, file_len);
	ck_assert_int_eq(try_open(f, file_len, "correct horse"), GD_ERR_WEAK);
	gd_kdf_params weak = {2, 64ULL << 20};
	size_t n;
	ck_assert_int_eq(
		gd_keyfile_seal(f, sizeof f, &n, GD_KEY_JOURNALIST, secret, 32, "p", 1, &weak),
		GD_ERR_WEAK);
	ck_assert_int_eq(gd_keyfile_seal(f, 10, &n, GD_KEY_JOURNALIST, secret, 32, "p", 1, NULL),
			 GD_ERR_INVAL);
}
END_TEST

/* The kind a key file says it holds, read without a passphrase: what a CLI names when it was
 * given a key of another kind, before it asks for the passphrase. */
START_TEST(kind_peek)
{
	gd_key_kind kind = 0;
	ck_assert_int_eq(gd_keyfile_kind(file, file_len, &kind), GD_OK);
	ck_assert_int_eq(kind, GD_KEY_NEWSROOM_ROOT);
	uint8_t f[256];
	memcpy(f, file, file_len);
	f[5] = GD_KEY_JOURNALIST;
	ck_assert_int_eq(gd_keyfile_kind(f, file_len, &kind), GD_OK);
	ck_assert_int_eq(kind, GD_KEY_JOURNALIST);
	f[5] = 9;
	ck_assert_int_eq(gd_keyfile_kind(f, file_len, &kind), GD_ERR_FORMAT);
	ck_assert_int_eq(gd_keyfile_kind(file, 5, &kind), GD_ERR_FORMAT);
	ck_assert_int_eq(gd_keyfile_kind((const uint8_t *)"gdnk1AAAAAAA", 12, &kind),
			 GD_ERR_FORMAT);
}
END_TEST

START_TEST(pubfile)
{
	gd_journalist j = {.name = "Ana Lima", .not_before = 1700000000, .not_after = 1800000000};
	randombytes_buf(j.pk, 32);
	char *text = gd_pubfile_encode(&j);
	ck_assert_ptr_nonnull(text);
	gd_journalist back;
	ck_assert_int_eq(gd_pubfile_decode(&back, text, strlen(text)), GD_OK);
	ck_assert_str_eq(back.name, "Ana Lima");
	ck_assert(memcmp(back.pk, j.pk, 32) == 0);
	ck_assert_int_eq(back.not_after, 1800000000);
	free(text);
	static const char *bad[] = {
		"{}",
		"not json",
		"{\"format\":\"ghostdrop-journalist-key\",\"version\":2,\"name\":\"a\"}",
		"{\"format\":\"other\",\"version\":1}",
		"{\"format\":\"ghostdrop-journalist-key\",\"version\":1,\"name\":\"../x\","
		"\"x25519\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"not_before\":1,"
		"\"not_after\":2}",
		"{\"format\":\"ghostdrop-journalist-key\",\"version\":1,\"name\":\"a\","
		"\"x25519\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"not_before\":5,"
		"\"not_after\":2}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(gd_pubfile_decode(&back, bad[i], strlen(bad[i])) != GD_OK, "%s",
			      bad[i]);
	j.name[0] = '.';
	ck_assert_ptr_null(gd_pubfile_encode(&j));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("keyfile");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, wrong_passphrase);
	tcase_add_test(tc, corrupt_anywhere);
	tcase_add_test(tc, tampered_with_valid_checksum);
	tcase_add_test(tc, version_and_weak_parameters);
	tcase_add_test(tc, kind_length_before_kdf);
	tcase_add_test(tc, kind_peek);
	tcase_add_test(tc, pubfile);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
