/* Integration tests: ghostdrop-desk's keys and bundles, published to a real ghostdropd, used by
 * the real ghostdrop worker CLI, opened with the desk's sealed keys. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "testutil.h"

static char out[65536], err[65536], T[64];

static int run(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(const char *prog, const char *fmt, ...)
{
	char args[2048], cmd[4096], po[128], pe[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(po, sizeof po, "%s/out", T);
	snprintf(pe, sizeof pe, "%s/err", T);
	snprintf(cmd, sizeof cmd, "echo testimony | setsid %s %s >%s 2>%s", prog, args, po, pe);
	int st = system(cmd);
	FILE *f = fopen(po, "r");
	out[fread(out, 1, sizeof out - 1, f)] = '\0';
	fclose(f);
	f = fopen(pe, "r");
	err[fread(err, 1, sizeof err - 1, f)] = '\0';
	fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define DESK(...) run(DESK_BIN, __VA_ARGS__)

/* A journalist's sealed key, opened the way the offline machine will. */
static void journalist_key(const char *desk, const char *name, int n, boxkey *k)
{
	char f[256];
	uint8_t *raw, *sk = sodium_malloc(64);
	size_t len, sl;
	gd_key_kind kind;
	snprintf(f, sizeof f, "%s/journalists/%s/key-%d.key", desk, name, n);
	FILE *fp = fopen(f, "rb");
	ck_assert_ptr_nonnull(fp);
	raw = malloc(4096);
	len = fread(raw, 1, 4096, fp);
	fclose(fp);
	ck_assert_int_eq(gd_keyfile_open(sk, 64, &sl, &kind, raw, len, "correct horse battery staple", 28),
			 GD_OK);
	ck_assert_int_eq(kind, GD_KEY_JOURNALIST);
	memcpy(k->sk, sk, 32);
	crypto_scalarmult_base(k->pk, k->sk);
	sodium_free(sk);
	free(raw);
}

static int opens_with(const drop *d, const char *id, const boxkey *k)
{
	char path[128], h[128];
	resp r;
	snprintf(path, sizeof path, "/v1/courier/submissions/%s", id);
	snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", d->token);
	ck_assert_int_eq(http_do(d->port, "GET", path, h, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	membuf env = {.buf = r.body, .len = r.len};
	gd_open_result res;
	int rc = open_from(&env, k, 1, NULL, &res);
	resp_free(&r);
	return rc == GD_OK;
}

static void submit_id(const drop *d, const char *ks, char *id)
{
	ck_assert_int_eq(run(GHOSTDROP, "submit --server http://127.0.0.1:%u --newsroom %s --clearnet "
				      "--no-reply --json", d->port, ks), 0);
	json_t *o = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(o);
	snprintf(id, 32, "%s", json_string_value(json_object_get(o, "id")));
	json_decref(o);
}

START_TEST(keys_bundles_rotation)
{
	char desk[128], pass[128], shortp[128], ks[128], b1[128], id1[32], id2[32];
	drop d;
	memset(&d, 0, sizeof d);
	snprintf(T, sizeof T, "/tmp/gd-desk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T));
	snprintf(desk, sizeof desk, "%s/desk", T);
	snprintf(pass, sizeof pass, "%s/pass", T);
	snprintf(shortp, sizeof shortp, "%s/short", T);
	FILE *f = fopen(pass, "w");
	fputs("correct horse battery staple\n", f);
	fclose(f);
	f = fopen(shortp, "w");
	fputs("short\n", f);
	fclose(f);

	ck_assert_int_eq(DESK("newsroom init --dir %s --name 'The Ledger' --passphrase-file %s", desk, pass), 0);
	snprintf(ks, sizeof ks, "%.*s", GD_KEYSTRING_LEN, out);
	uint8_t root[32];
	ck_assert_int_eq(gd_keystring_decode(root, ks), GD_OK);
	struct stat sb;
	char f2[256];
	snprintf(f2, sizeof f2, "%s/newsroom.key", desk);
	ck_assert_int_eq(stat(f2, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(DESK("newsroom init --dir %s --name X --passphrase-file %s", desk, pass), 6);
	ck_assert_int_eq(DESK("journalist add --dir %s Ana --passphrase-file %s", desk, pass), 0);
	ck_assert_int_eq(DESK("journalist add --dir %s Bea --days 30 --passphrase-file %s", desk, pass), 0);
	ck_assert_int_eq(DESK("journalist add --dir %s Ana --passphrase-file %s", desk, pass), 6);
	ck_assert_int_eq(DESK("journalist add --dir %s Cat --passphrase-file %s", desk, shortp), 2);
	ck_assert_int_eq(DESK("journalist add --dir %s ../x --passphrase-file %s", desk, pass), 2);
	ck_assert_int_eq(DESK("journalist rotate --dir %s Zed --passphrase-file %s", desk, pass), 2);
	ck_assert_int_eq(DESK("journalist add --dir %s Cat --passphrase 'on the command line'", desk), 2);

	/* a drop for this newsroom */
	snprintf(d.dir, sizeof d.dir, "%s", T);
	ck_assert_int_eq(drop_cli(&d, NULL, 0, "init --data %s/data --newsroom %s --listen 127.0.0.1:0", T, ks), 0);
	snprintf(f2, sizeof f2, "%s/data/ghostdropd.conf", T);
	f = fopen(f2, "a");
	fputs("pow_min_bits = 4\npow_max_bits = 8\n", f);
	fclose(f);
	ck_assert_int_eq(drop_cli(&d, d.token, sizeof d.token, "token add --data %s/data --name c", T), 0);
	d.token[strcspn(d.token, "\n")] = '\0';
	drop_start(&d);

	/* sign, publish, submit, open with each journalist's sealed key */
	snprintf(b1, sizeof b1, "%s/b1", T);
	ck_assert_int_eq(DESK("bundle sign --dir %s --server http://127.0.0.1:%u --out %s --passphrase-file %s",
			      desk, d.port, b1, shortp), 3); /* the wrong passphrase */
	ck_assert(access(b1, F_OK) != 0);
	ck_assert_int_eq(DESK("bundle sign --dir %s --server http://127.0.0.1:%u/path --out %s "
			      "--passphrase-file %s", desk, d.port, b1, pass), 2);
	ck_assert_int_eq(DESK("bundle sign --dir %s --server http://127.0.0.1:%u --out %s --passphrase-file %s",
			      desk, d.port, b1, pass), 0);
	ck_assert_int_eq(drop_cli(&d, NULL, 0, "keys publish --data %s/data %s", T, b1), 0);
	submit_id(&d, ks, id1);
	boxkey ana1, bea, ana2;
	journalist_key(desk, "Ana", 1, &ana1);
	journalist_key(desk, "Bea", 1, &bea);
	ck_assert(opens_with(&d, id1, &ana1));
	ck_assert(opens_with(&d, id1, &bea));

	/* rotation: Ana's new key for new submissions, her old one still opens old ones */
	ck_assert_int_eq(DESK("journalist rotate --dir %s Ana --passphrase-file %s", desk, pass), 0);
	/* the old public file now says it is retired, for a root-key holder elsewhere */
	{
		char pf[256];
		uint8_t buf[4096];
		gd_journalist old;
		snprintf(pf, sizeof pf, "%s/journalists/Ana/key-1.pub", desk);
		FILE *pfh = fopen(pf, "r");
		size_t pl = fread(buf, 1, sizeof buf, pfh);
		fclose(pfh);
		ck_assert_int_eq(gd_pubfile_decode(&old, (const char *)buf, pl), GD_OK);
		ck_assert(old.verify_only);
		ck_assert_int_le(old.not_after, (int64_t)time(NULL) + 30 * 86400);
	}
	ck_assert_int_eq(DESK("bundle sign --dir %s --server http://127.0.0.1:%u --out %s --passphrase-file %s",
			      desk, d.port, b1, pass), 0);
	ck_assert_int_eq(drop_cli(&d, NULL, 0, "keys publish --data %s/data %s", T, b1), 0);
	gd_bundle *b = calloc(1, sizeof *b);
	f = fopen(b1, "rb");
	uint8_t raw[8192];
	size_t rl = fread(raw, 1, sizeof raw, f);
	fclose(f);
	ck_assert_int_eq(gd_bundle_verify(b, raw, rl, root, time(NULL), 2), GD_OK);
	ck_assert_str_eq(b->newsroom, "The Ledger");
	ck_assert_uint_eq(b->n_journalists, 3);
	int ana_current = 0, ana_old = 0;
	for (size_t i = 0; i < b->n_journalists; i++)
		if (strcmp(b->journalists[i].name, "Ana") == 0) {
			ana_current += !b->journalists[i].verify_only;
			ana_old += b->journalists[i].verify_only &&
				   memcmp(b->journalists[i].pk, ana1.pk, 32) == 0;
		}
	ck_assert(ana_current == 1 && ana_old == 1);
	submit_id(&d, ks, id2);
	journalist_key(desk, "Ana", 2, &ana2);
	ck_assert(opens_with(&d, id2, &ana2));
	ck_assert(!opens_with(&d, id2, &ana1)); /* the retired key is no recipient any more */
	ck_assert(opens_with(&d, id1, &ana1)); /* but still opens what it was sent */

	/* a journalist whose key was made on another machine: --pub */
	char desk2[128], pub[256];
	snprintf(desk2, sizeof desk2, "%s/desk2", T);
	ck_assert_int_eq(DESK("journalist add --dir %s Dana --passphrase-file %s", desk2, pass), 0);
	snprintf(pub, sizeof pub, "%s/journalists/Dana/key-1.pub", desk2);
	ck_assert_int_eq(DESK("bundle sign --dir %s --server http://127.0.0.1:%u --out %s --pub %s "
			      "--passphrase-file %s", desk, d.port, b1, pub, pass), 0);
	f = fopen(b1, "rb");
	rl = fread(raw, 1, sizeof raw, f);
	fclose(f);
	ck_assert_int_eq(gd_bundle_verify(b, raw, rl, root, time(NULL), 3), GD_OK);
	ck_assert_uint_eq(b->n_journalists, 4);
	ck_assert_str_eq(b->journalists[3].name, "Dana");
	free(b);

	/* the listing */
	ck_assert_int_eq(DESK("journalist list --dir %s --json", desk), 0);
	json_t *l = json_loads(out, 0, NULL);
	ck_assert_uint_eq(json_array_size(l), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(l, 0), "state")),
			 "retired (verifies replies)");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(l, 1), "state")), "current");
	json_decref(l);
	drop_destroy(&d); /* removes T */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("desk");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, keys_bundles_rotation);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
