/* Tests for crypto/bundle.c: the signed key bundle a worker pins against. */
#include <stdio.h>

#include "check_main.h"
#include "testutil.h"

#define NOW 1800000000LL
#define DAY 86400LL

static uint8_t root_pk[32], root_sk[64];

static void setup(void)
{
	crypto_sign_keypair(root_pk, root_sk);
}

static void make_bundle(gd_bundle *b)
{
	memset(b, 0, sizeof *b);
	b->version = 5;
	b->created = NOW - DAY;
	b->expires = NOW + 29 * DAY;
	snprintf(b->newsroom, sizeof b->newsroom, "The Daily Ledger");
	b->n_servers = 2;
	snprintf(b->servers[0], sizeof b->servers[0],
		 "http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstu.onion");
	snprintf(b->servers[1], sizeof b->servers[1], "http://127.0.0.1:8080");
	b->n_journalists = 2;
	for (int i = 0; i < 2; i++) {
		gd_journalist *j = &b->journalists[i];
		snprintf(j->name, sizeof j->name, i ? "Bea" : "Ana");
		randombytes_buf(j->pk, 32);
		j->not_before = NOW - 10 * DAY;
		j->not_after = NOW + 20 * DAY;
	}
}

/* The wire layout written out by hand: magic, format, LE32 length, JSON, signature. */
static uint8_t *raw_bundle(size_t *len, const char *json, const uint8_t *sk)
{
	size_t jl = strlen(json);
	uint8_t *b = malloc(9 + jl + 64), *msg = malloc(20 + 9 + jl);
	memcpy(b, "GDKB\x01", 5);
	b[5] = (uint8_t)jl;
	b[6] = (uint8_t)(jl >> 8);
	b[7] = (uint8_t)(jl >> 16);
	b[8] = (uint8_t)(jl >> 24);
	memcpy(b + 9, json, jl);
	memcpy(msg, "ghostdrop/v1/bundle", 20);
	memcpy(msg + 20, b, 9 + jl);
	crypto_sign_detached(b + 9 + jl, NULL, msg, 20 + 9 + jl, sk);
	free(msg);
	*len = 9 + jl + 64;
	return b;
}

START_TEST(sign_and_verify)
{
	gd_bundle b, v;
	uint8_t *out;
	size_t len;
	make_bundle(&b);
	b.journalists[1].verify_only = 1;
	ck_assert_int_eq(gd_bundle_sign(&out, &len, &b, root_sk), GD_OK);
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, NOW, 0), GD_OK);
	ck_assert_uint_eq(v.version, 5);
	ck_assert_str_eq(v.newsroom, "The Daily Ledger");
	ck_assert_uint_eq(v.n_journalists, 2);
	ck_assert(memcmp(v.journalists[0].pk, b.journalists[0].pk, 32) == 0);
	ck_assert(v.valid[0]);
	ck_assert(!v.valid[1]); /* verify_only: never an encryption key */
	/* but both may have written a reply */
	ck_assert(v.in_window[0] && v.in_window[1]);
	ck_assert(v.journalists[1].verify_only);
	ck_assert(gd_bundle_lists_server(&v, "http://127.0.0.1:8080/"));
	ck_assert(!gd_bundle_lists_server(&v, "http://127.0.0.1:8081"));
	ck_assert(!gd_bundle_lists_server(&v, "http://127.0.0.1:808"));
	/* The signature covers the exact bytes: nothing is re-serialised. */
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, NOW, 5), GD_OK);
	free(out);
}
END_TEST

START_TEST(refusals)
{
	gd_bundle b, v;
	uint8_t *out, other_pk[32], other_sk[64];
	size_t len;
	make_bundle(&b);
	ck_assert_int_eq(gd_bundle_sign(&out, &len, &b, root_sk), GD_OK);
	crypto_sign_keypair(other_pk, other_sk);
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, other_pk, NOW, 0), GD_ERR_SIGNATURE);
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, NOW, 6), GD_ERR_ROLLBACK);
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, NOW + 30 * DAY, 0),
			 GD_ERR_EXPIRED);
	/* within the documented skew: still fine */
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, b.expires + GD_CLOCK_SKEW - 1, 0),
			 GD_ERR_NO_KEY); /* bundle alive, but the keys ended 9 days earlier */
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, b.created - GD_CLOCK_SKEW - 1, 0),
			 GD_ERR_EXPIRED); /* not yet valid */
	for (size_t pos = 0; pos < len; pos += 7) {
		out[pos] ^= 4;
		ck_assert(gd_bundle_verify(&v, out, len, root_pk, NOW, 0) != GD_OK);
		out[pos] ^= 4;
	}
	ck_assert_int_eq(gd_bundle_verify(&v, out, len - 1, root_pk, NOW, 0), GD_ERR_TRUNCATED);
	uint8_t *longer = malloc(len + 1);
	memcpy(longer, out, len);
	longer[len] = 0;
	ck_assert_int_eq(gd_bundle_verify(&v, longer, len + 1, root_pk, NOW, 0), GD_ERR_TRAILING);
	free(longer);
	out[4] = 2;
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, NOW, 0), GD_ERR_VERSION);
	free(out);
}
END_TEST

START_TEST(key_windows)
{
	gd_bundle b, v;
	uint8_t *out;
	size_t len;
	make_bundle(&b);
	b.journalists[0].not_before = NOW + 2 * DAY; /* not yet */
	b.journalists[1].not_after = NOW - 2 * DAY;  /* retired */
	b.journalists[1].not_before = NOW - 9 * DAY;
	ck_assert_int_eq(gd_bundle_sign(&out, &len, &b, root_sk), GD_OK);
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, NOW, 0), GD_ERR_NO_KEY);
	free(out);
	b.journalists[0].not_before = NOW + GD_CLOCK_SKEW / 2; /* within skew: usable */
	ck_assert_int_eq(gd_bundle_sign(&out, &len, &b, root_sk), GD_OK);
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, NOW, 0), GD_OK);
	ck_assert(v.valid[0]);
	ck_assert(!v.valid[1]);
	ck_assert(v.in_window[0] && !v.in_window[1]); /* retired: its replies no longer open */
	free(out);
	/* The signer refuses a key that outlives the bundle, and a repeated key. */
	make_bundle(&b);
	b.journalists[0].not_after = b.expires + 1;
	ck_assert_int_eq(gd_bundle_sign(&out, &len, &b, root_sk), GD_ERR_FORMAT);
	make_bundle(&b);
	memcpy(b.journalists[1].pk, b.journalists[0].pk, 32);
	ck_assert_int_eq(gd_bundle_sign(&out, &len, &b, root_sk), GD_ERR_FORMAT);
	make_bundle(&b);
	snprintf(b.servers[1], sizeof b.servers[1], "http://127.0.0.1:8080/path");
	ck_assert_int_eq(gd_bundle_sign(&out, &len, &b, root_sk), GD_ERR_FORMAT);
}
END_TEST

/* Fill each "%s" of a template with the journalist entry (no printf on data templates). */
static void subst(char *out, size_t cap, const char *tmpl, const char *j)
{
	size_t o = 0;
	for (const char *p = tmpl; *p != '\0' && o + 1 < cap; p++) {
		if (p[0] == '%' && p[1] == 's') {
			size_t n = strlen(j);
			ck_assert(o + n < cap);
			memcpy(out + o, j, n);
			o += n;
			p++;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

/* Properly signed by the root, but malformed: the parser must still refuse. */
START_TEST(signed_but_malformed)
{
	static const char *J =
		"{\"name\":\"Ana\",\"x25519\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
		"\"not_before\":1799000000,\"not_after\":1800500000,\"verify_only\":false}";
	char json[2048];
	const char *fmts[] = {
		/* duplicate key: two parsers could disagree on which bundle_version counts */
		"{\"bundle_version\":3,\"bundle_version\":9,\"created\":1799900000,\"expires\":"
		"1801000000,"
		"\"newsroom\":\"x\",\"servers\":[\"http://a.onion\"],\"journalists\":[%s]}",
		/* unknown field */
		"{\"bundle_version\":3,\"created\":1799900000,\"expires\":1801000000,\"newsroom\":"
		"\"x\","
		"\"servers\":[\"http://a.onion\"],\"journalists\":[%s],\"extra\":1}",
		/* no servers */
		"{\"bundle_version\":3,\"created\":1799900000,\"expires\":1801000000,\"newsroom\":"
		"\"x\","
		"\"servers\":[],\"journalists\":[%s]}",
		/* version as a string */
		"{\"bundle_version\":\"3\",\"created\":1799900000,\"expires\":1801000000,"
		"\"newsroom\":\"x\","
		"\"servers\":[\"http://a.onion\"],\"journalists\":[%s]}",
		/* same journalist key twice */
		"{\"bundle_version\":3,\"created\":1799900000,\"expires\":1801000000,\"newsroom\":"
		"\"x\","
		"\"servers\":[\"http://a.onion\"],\"journalists\":[%s,%s]}",
		/* key outlives the bundle */
		"{\"bundle_version\":3,\"created\":1799900000,\"expires\":1800400000,\"newsroom\":"
		"\"x\","
		"\"servers\":[\"http://a.onion\"],\"journalists\":[%s]}",
		/* not an object */
		"[%s]",
		/* trailing garbage inside the signed JSON */
		"{\"bundle_version\":3,\"created\":1799900000,\"expires\":1801000000,\"newsroom\":"
		"\"x\","
		"\"servers\":[\"http://a.onion\"],\"journalists\":[%s]} x",
	};
	for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		subst(json, sizeof json, fmts[i], J);
		size_t len;
		uint8_t *raw = raw_bundle(&len, json, root_sk);
		gd_bundle v;
		ck_assert_msg(gd_bundle_verify(&v, raw, len, root_pk, NOW, 0) == GD_ERR_FORMAT,
			      "accepted #%zu", i);
		free(raw);
	}
	/* and the well-formed one passes, so the hand-made layout above is the real one */
	snprintf(json, sizeof json,
		 "{\"bundle_version\":3,\"created\":1799900000,\"expires\":1801000000,"
		 "\"newsroom\":\"x\",\"servers\":[\"http://a.onion\"],\"journalists\":[%s]}",
		 J);
	size_t len;
	uint8_t *raw = raw_bundle(&len, json, root_sk);
	gd_bundle v;
	ck_assert_int_eq(gd_bundle_verify(&v, raw, len, root_pk, NOW, 0), GD_OK);
	free(raw);
}
END_TEST

/* Issue 15: one grammar for a bundle's server URL, enforced by the signer, the verifier and the
 * client's check that its server is listed. */
static const char *const bad_servers[] = {
	"http://",              /* empty host */
	"http://:8080",         /* empty host, a port */
	"http://a.onion:",      /* empty port */
	"http://a.onion:0",     /* port 0 */
	"http://a.onion:65536", /* port over 65535 */
	"http://a.onion:99999",
	"http://a.onion:080", /* leading zero */
	"http://a.onion:+80",
	"http://a.onion:8080:80", /* two ports */
	"http://::1",             /* IPv6 without brackets */
	"http://[::1",            /* unclosed bracket */
	"http://::1]",
	"http://[]",     /* empty literal */
	"http://[::1]x", /* junk after the literal */
	"http://[:::1]", /* not an IPv6 address */
	"http://[1:2:3:4:5:6:7:8:9]",
	"http://[1::2::3]",  /* two "::" */
	"http://[12345::1]", /* group over 4 digits */
	"http://[::g]",
	"http://[::1%25eth0]",  /* zone id */
	"http://[fe80::1.2.3]", /* IPv4 tail cut short */
	"http://[::1.2.3.256]",
	"http://[a.onion]", /* a name in brackets */
	"http://.onion",    /* empty label */
	"http://a..onion",
	"http://a.onion.", /* trailing dot */
	"http://a_b.onion",
	"http://A.onion",  /* upper case: the canonical form is lower case */
	"http://a.onion/", /* a path, even "/" */
	"http://a.onion/x",
	"http://user@a.onion",
	"ftp://a.onion",
	"http:/a.onion",
	"a.onion",
	"",
};

static const char *const good_servers[] = {
	"http://a.onion",
	"https://a.onion:443",
	"http://127.0.0.1:1",
	"http://127.0.0.1:65535",
	"http://[::1]",
	"http://[::1]:8080",
	"http://[2001:db8::a:b]:80",
	"http://[::]",
	"http://[1:2:3:4:5:6:7:8]",
	"http://[::ffff:127.0.0.1]:9",
	"http://[1::]",
	"http://localhost",
	"http://x-y.example:443",
};

START_TEST(server_grammar)
{
	gd_bundle b, v;
	uint8_t *out;
	size_t len;
	static const char *J =
		"{\"name\":\"Ana\",\"x25519\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
		"\"not_before\":1799000000,\"not_after\":1800500000,\"verify_only\":false}";
	char json[4096];
	for (size_t i = 0; i < sizeof bad_servers / sizeof bad_servers[0]; i++) {
		const char *u = bad_servers[i];
		ck_assert_msg(gd_server_url_check(u) == GD_ERR_FORMAT, "accepted %s", u);
		make_bundle(&b);
		snprintf(b.servers[1], sizeof b.servers[1], "%s", u);
		ck_assert_msg(gd_bundle_sign(&out, &len, &b, root_sk) == GD_ERR_FORMAT, "signed %s",
			      u);
		snprintf(json, sizeof json,
			 "{\"bundle_version\":3,\"created\":1799900000,\"expires\":1801000000,"
			 "\"newsroom\":\"x\",\"servers\":[\"%s\"],\"journalists\":[%s]}",
			 u, J);
		uint8_t *raw = raw_bundle(&len, json, root_sk);
		ck_assert_msg(gd_bundle_verify(&v, raw, len, root_pk, NOW, 0) == GD_ERR_FORMAT,
			      "verified %s", u);
		free(raw);
	}
	for (size_t i = 0; i < sizeof good_servers / sizeof good_servers[0]; i++) {
		const char *u = good_servers[i];
		ck_assert_msg(gd_server_url_check(u) == GD_OK, "refused %s", u);
		make_bundle(&b);
		snprintf(b.servers[1], sizeof b.servers[1], "%s", u);
		ck_assert_msg(gd_bundle_sign(&out, &len, &b, root_sk) == GD_OK, "not signed %s", u);
		ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, NOW, 0), GD_OK);
		free(out);
		ck_assert(gd_bundle_lists_server(&v, u));
		/* what a client may add: upper case, trailing slashes */
		char loud[300];
		snprintf(loud, sizeof loud, "%s//", u);
		for (char *p = loud; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		ck_assert_msg(gd_bundle_lists_server(&v, loud), "%s", loud);
	}
	/* The client's side of the same grammar: a listed server plus junk is never listed. */
	make_bundle(&b);
	ck_assert_int_eq(gd_bundle_sign(&out, &len, &b, root_sk), GD_OK);
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, NOW, 0), GD_OK);
	free(out);
	static const char *const near[] = {"http://127.0.0.1:8080:", "http://127.0.0.1:8080/x",
					   "http://127.0.0.1:08080", "http://127.0.0.1:8080 ",
					   "http://127.0.0.1:8080?", ""};
	for (size_t i = 0; i < sizeof near / sizeof near[0]; i++)
		ck_assert_msg(!gd_bundle_lists_server(&v, near[i]), "%s", near[i]);
	/* 255 bytes is the longest */
	char longest[300] = "http://";
	memset(longest + 7, 'a', 255 - 7 - 6);
	memcpy(longest + 255 - 6, ".onion", 7);
	ck_assert_uint_eq(strlen(longest), 255);
	ck_assert_int_eq(gd_server_url_check(longest), GD_ERR_FORMAT); /* a 242-byte label */
	for (size_t k = 7 + 60; k < 255 - 6; k += 61)
		longest[k] = '.';
	ck_assert_int_eq(gd_server_url_check(longest), GD_OK);
	memcpy(longest + 255, "a", 2);
	ck_assert_int_eq(gd_server_url_check(longest), GD_ERR_FORMAT);
}
END_TEST

/* A bundle signed more than GD_BUNDLE_MAX_AGE ago is refused whatever its expiry says: the
 * stateless rollback bound (PROTOCOL.md §5.3). */
START_TEST(max_age)
{
	gd_bundle b, v;
	uint8_t *out;
	size_t len;
	make_bundle(&b);
	b.expires = NOW + 300 * DAY;
	for (int i = 0; i < 2; i++)
		b.journalists[i].not_after = NOW + 300 * DAY;
	ck_assert_int_eq(gd_bundle_sign(&out, &len, &b, root_sk), GD_OK);
	int64_t limit = b.created + GD_BUNDLE_MAX_AGE + GD_CLOCK_SKEW;
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, limit, 0), GD_OK);
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, limit + 1, 0), GD_ERR_EXPIRED);
	ck_assert_int_eq(gd_bundle_verify(&v, out, len, root_pk, NOW + 100 * DAY, 0),
			 GD_ERR_EXPIRED);
	free(out);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bundle");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, sign_and_verify);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, key_windows);
	tcase_add_test(tc, signed_but_malformed);
	tcase_add_test(tc, max_age);
	tcase_add_test(tc, server_grammar);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
