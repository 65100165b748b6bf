/* Integration tests: ghostdrop-desk's keys and bundles, published to a real ghostdropd, used by
 * the real ghostdrop worker CLI, opened with the desk's sealed keys. */
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "check_main.h"
#include "daemon.h"
#include "names.h"
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
	ck_assert_int_eq(
		gd_keyfile_open(sk, 64, &sl, &kind, raw, len, "correct horse battery staple", 28),
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
	ck_assert_int_eq(run(GHOSTDROP,
			     "submit --server http://127.0.0.1:%u --newsroom %s --clearnet "
			     "--no-reply --json",
			     d->port, ks),
			 0);
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

	ck_assert_int_eq(
		DESK("newsroom init --dir %s --name 'The Ledger' --passphrase-file %s", desk, pass),
		0);
	snprintf(ks, sizeof ks, "%.*s", GD_KEYSTRING_LEN, out);
	uint8_t root[32];
	ck_assert_int_eq(gd_keystring_decode(root, ks), GD_OK);
	struct stat sb;
	char f2[256];
	snprintf(f2, sizeof f2, "%s/newsroom.key", desk);
	ck_assert_int_eq(stat(f2, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(DESK("newsroom init --dir %s --name X --passphrase-file %s", desk, pass),
			 6);
	ck_assert_int_eq(DESK("journalist add --dir %s Ana --passphrase-file %s", desk, pass), 0);
	ck_assert_int_eq(
		DESK("journalist add --dir %s Bea --days 30 --passphrase-file %s", desk, pass), 0);
	ck_assert_int_eq(DESK("journalist add --dir %s Ana --passphrase-file %s", desk, pass), 6);
	ck_assert_int_eq(DESK("journalist add --dir %s Cat --passphrase-file %s", desk, shortp), 2);
	ck_assert_int_eq(DESK("journalist add --dir %s ../x --passphrase-file %s", desk, pass), 2);
	ck_assert_int_eq(DESK("journalist rotate --dir %s Zed --passphrase-file %s", desk, pass),
			 2);
	ck_assert_int_eq(
		DESK("journalist add --dir %s Cat --passphrase 'on the command line'", desk), 2);

	/* a drop for this newsroom */
	snprintf(d.dir, sizeof d.dir, "%s", T);
	ck_assert_int_eq(drop_cli(&d, NULL, 0,
				  "init --data %s/data --newsroom %s --listen 127.0.0.1:0", T, ks),
			 0);
	snprintf(f2, sizeof f2, "%s/data/ghostdropd.conf", T);
	f = fopen(f2, "a");
	fputs("pow_min_bits = 4\npow_max_bits = 8\n", f);
	fclose(f);
	ck_assert_int_eq(
		drop_cli(&d, d.token, sizeof d.token, "token add --data %s/data --name c", T), 0);
	d.token[strcspn(d.token, "\n")] = '\0';
	drop_start(&d);

	/* sign, publish, submit, open with each journalist's sealed key */
	snprintf(b1, sizeof b1, "%s/b1", T);
	ck_assert_int_eq(DESK("bundle sign --dir %s --server http://127.0.0.1:%u --out %s "
			      "--passphrase-file %s",
			      desk, d.port, b1, shortp),
			 3); /* the wrong passphrase */
	ck_assert(access(b1, F_OK) != 0);
	ck_assert_int_eq(DESK("bundle sign --dir %s --server http://127.0.0.1:%u/path --out %s "
			      "--passphrase-file %s",
			      desk, d.port, b1, pass),
			 2);
	ck_assert_int_eq(DESK("bundle sign --dir %s --server http://127.0.0.1:%u --out %s "
			      "--passphrase-file %s",
			      desk, d.port, b1, pass),
			 0);
	ck_assert_int_eq(drop_cli(&d, NULL, 0, "keys publish --data %s/data %s", T, b1), 0);
	submit_id(&d, ks, id1);
	boxkey ana1, bea, ana2;
	journalist_key(desk, "Ana", 1, &ana1);
	journalist_key(desk, "Bea", 1, &bea);
	ck_assert(opens_with(&d, id1, &ana1));
	ck_assert(opens_with(&d, id1, &bea));

	/* rotation: Ana's new key for new submissions, her old one still opens old ones */
	ck_assert_int_eq(DESK("journalist rotate --dir %s Ana --passphrase-file %s", desk, pass),
			 0);
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
	ck_assert_int_eq(DESK("bundle sign --dir %s --server http://127.0.0.1:%u --out %s "
			      "--passphrase-file %s",
			      desk, d.port, b1, pass),
			 0);
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
	ck_assert(opens_with(&d, id1, &ana1));  /* but still opens what it was sent */

	/* a journalist whose key was made on another machine: --pub */
	char desk2[128], pub[256];
	snprintf(desk2, sizeof desk2, "%s/desk2", T);
	ck_assert_int_eq(DESK("journalist add --dir %s Dana --passphrase-file %s", desk2, pass), 0);
	snprintf(pub, sizeof pub, "%s/journalists/Dana/key-1.pub", desk2);
	ck_assert_int_eq(DESK("bundle sign --dir %s --server http://127.0.0.1:%u --out %s --pub %s "
			      "--passphrase-file %s",
			      desk, d.port, b1, pub, pass),
			 0);
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
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(l, 1), "state")),
			 "current");
	json_decref(l);
	drop_destroy(&d); /* removes T */
}
END_TEST

/* ---- the whole loop: desk, drop, worker, courier, offline machine, and back ---- */

static json_t *out_json(void)
{
	json_t *o = json_loads(out, 0, NULL);
	ck_assert_msg(o != NULL, "not JSON: %s", out);
	return o;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s missing", path);
	uint8_t *b = malloc(64 << 20);
	*len = fread(b, 1, 64 << 20, f);
	fclose(f);
	b[*len] = '\0';
	return b;
}

static int file_is(const char *path, const char *want)
{
	size_t n;
	uint8_t *b = slurp(path, &n);
	int ok = n == strlen(want) && memcmp(b, want, n) == 0;
	free(b);
	return ok;
}

static int count_files(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "find %s -type f -not -path '*/.desk/*' | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	ck_assert_int_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static size_t stored_count(const drop *d)
{
	char h[128];
	resp r;
	snprintf(h, sizeof h, "Authorization: Bearer %s\r\n", d->token);
	ck_assert_int_eq(http_do(d->port, "GET", "/v1/courier/submissions", h, NULL, 0, &r), 0);
	json_t *o = json_loadb((const char *)r.body, r.len, 0, NULL);
	size_t n = json_array_size(json_object_get(o, "submissions"));
	json_decref(o);
	resp_free(&r);
	return n;
}

/* Newsroom Ledger's desk with journalist Ana (two Argon2id runs at 256 MiB), made once per
 * case in this process (an unchecked fixture: before the tests are forked), copied for each
 * test that needs one. */
static char ledger[64], ledger_ks[GD_KEYSTRING_LEN + 1];

static void make_ledger(void)
{
	char desk[128], pass[128];
	snprintf(ledger, sizeof ledger, "/tmp/gd-desk-ledger-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(ledger));
	snprintf(T, sizeof T, "%s", ledger);
	snprintf(desk, sizeof desk, "%s/desk", T);
	snprintf(pass, sizeof pass, "%s/pass", T);
	write_bytes(pass, "correct horse battery staple\n", 29);
	ck_assert_int_eq(
		DESK("newsroom init --dir %s --name Ledger --passphrase-file %s", desk, pass), 0);
	snprintf(ledger_ks, sizeof ledger_ks, "%.*s", GD_KEYSTRING_LEN, out);
	ck_assert_int_eq(DESK("journalist add --dir %s Ana --passphrase-file %s", desk, pass), 0);
}

static void remove_ledger(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", ledger);
	ck_assert_int_eq(system(cmd), 0);
}

/* A new T with a copy of Ledger's desk (T/desk) and its passphrase file (T/pass). */
static void ledger_copy(char *desk, char *pass)
{
	char cmd[256];
	snprintf(T, sizeof T, "/tmp/gd-desk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T));
	snprintf(desk, 128, "%s/desk", T);
	snprintf(pass, 128, "%s/pass", T);
	write_bytes(pass, "correct horse battery staple\n", 29);
	snprintf(cmd, sizeof cmd, "cp -a %s/desk %s", ledger, desk);
	ck_assert_int_eq(system(cmd), 0);
}

/* A newsroom with journalist Ana, a running drop serving its signed bundle. */
static void newsroom_and_drop(drop *d, char *desk, char *ks, char *pass, char *srv)
{
	memset(d, 0, sizeof *d);
	ledger_copy(desk, pass);
	snprintf(ks, 128, "%s", ledger_ks);
	snprintf(d->dir, sizeof d->dir, "%s", T);
	ck_assert_int_eq(drop_cli(d, NULL, 0,
				  "init --data %s/data --newsroom %s --listen 127.0.0.1:0", T, ks),
			 0);
	char conf[256];
	snprintf(conf, sizeof conf, "%s/data/ghostdropd.conf", T);
	FILE *f = fopen(conf, "a");
	fputs("pow_min_bits = 4\npow_max_bits = 8\n", f);
	fclose(f);
	ck_assert_int_eq(
		drop_cli(d, d->token, sizeof d->token, "token add --data %s/data --name c", T), 0);
	d->token[strcspn(d->token, "\n")] = '\0';
	char tf[256];
	snprintf(tf, sizeof tf, "%s/token", T);
	write_bytes(tf, d->token, strlen(d->token));
	drop_start(d);
	snprintf(srv, 64, "http://127.0.0.1:%u", d->port);
	ck_assert_int_eq(
		DESK("bundle sign --dir %s --server %s --out %s/bundle --passphrase-file %s", desk,
		     srv, T, pass),
		0);
	ck_assert_int_eq(drop_cli(d, NULL, 0, "keys publish --data %s/data %s/bundle", T, T), 0);
}

START_TEST(full_loop)
{
	drop d;
	char desk[128], ks[128], pass[128], srv[64], p[512];
	newsroom_and_drop(&d, desk, ks, pass, srv);
	/* the worker: a testimony with an attachment, a follow-up, and one without a codename */
	snprintf(p, sizeof p, "%s/shift-log.txt", T);
	write_bytes(p, "date,hours,paid\n2026-11-02,9,6\n", 31);
	ck_assert_int_eq(
		run(GHOSTDROP,
		    "submit --server %s --newsroom %s --clearnet --codename-out %s/code %s", srv,
		    ks, T, p),
		0);
	ck_assert_int_eq(run(GHOSTDROP,
			     "submit --server %s --newsroom %s --clearnet --codename-file %s/code",
			     srv, ks, T),
			 0);
	ck_assert_int_eq(
		run(GHOSTDROP, "submit --server %s --newsroom %s --clearnet --no-reply", srv, ks),
		0);
	ck_assert_uint_eq(stored_count(&d), 3);

	/* online: fetch (no key directory needed); never over an existing batch */
	ck_assert_int_eq(
		DESK("fetch --server %s --token-file %s/token --clearnet --out %s/batch --json",
		     srv, T, T),
		0);
	json_t *o = out_json();
	ck_assert_int_eq(json_integer_value(json_object_get(o, "submissions")), 3);
	json_decref(o);
	snprintf(p, sizeof p, "%s/batch.part", T);
	ck_assert(access(p, F_OK) != 0);
	ck_assert_int_eq(DESK("fetch --server %s --token-file %s/token --clearnet --out %s/batch",
			      srv, T, T),
			 6);
	/* a wrong token: refused, nothing written */
	snprintf(p, sizeof p, "%s/badtoken", T);
	write_bytes(p, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 44);
	ck_assert_int_eq(
		DESK("fetch --server %s --token-file %s --clearnet --out %s/b2", srv, p, T), 5);
	/* the offline commands refuse anything of the network, the online ones need a proxy or
	 * --clearnet for a non-onion address */
	ck_assert_int_eq(DESK("open --dir %s %s/batch --out %s/o --server %s", desk, T, T, srv), 2);
	ck_assert_int_eq(DESK("fetch --server %s --token-file %s/token --out %s/b3", srv, T, T), 2);

	/* offline: open on all cores */
	ck_assert_int_eq(DESK("open --dir %s %s/batch --out %s/opened --passphrase-file %s --json",
			      desk, T, T, pass),
			 0);
	o = out_json();
	ck_assert_int_eq(json_integer_value(json_object_get(o, "opened")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "failed")), 0);
	char source[80] = "";
	json_t *v;
	size_t i;
	int with_att = 0;
	json_array_foreach (json_object_get(o, "submissions"), i, v) {
		const char *folder = json_string_value(json_object_get(v, "folder"));
		ck_assert_ptr_nonnull(folder);
		snprintf(p, sizeof p, "%s/opened/%s/message.txt", T, folder);
		ck_assert(file_is(p, "testimony\n"));
		/* shift-log.txt travelled under a neutral name, saved as such */
		snprintf(p, sizeof p, "%s/opened/%s/attachment-1.txt", T, folder);
		if (access(p, F_OK) == 0) {
			with_att++;
			ck_assert(file_is(p, "date,hours,paid\n2026-11-02,9,6\n"));
		}
		if (strncmp(folder, "no-reply/", 9) != 0)
			snprintf(source, sizeof source, "%.*s", (int)(strchr(folder, '/') - folder),
				 folder);
	}
	ck_assert_int_eq(with_att, 1);
	json_decref(o);
	char od[256];
	snprintf(od, sizeof od, "%s/opened", T);
	/* a source folder: the testimony (message, manifest, attachment) and the follow-up;
	 * no-reply: one; and the ack file */
	ck_assert_int_eq(count_files(od), 2 * 2 + 1 + 2 + 1);
	snprintf(p, sizeof p, "%s/opened/%s", T, source);
	ck_assert_int_eq(count_files(p), 5);
	/* again into the same folder: nothing new, nothing doubled */
	ck_assert_int_eq(
		DESK("open --dir %s %s/batch --out %s/opened --passphrase-file %s --json -j 1",
		     desk, T, T, pass),
		0);
	o = out_json();
	ck_assert_int_eq(json_integer_value(json_object_get(o, "opened")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "opened_before")), 3);
	json_decref(o);
	ck_assert_int_eq(count_files(od), 8);

	/* a reply, written offline, pushed online, read by the worker */
	snprintf(p, sizeof p, "%s/reply.txt", T);
	write_bytes(p, "Thank you. Which client was it?\n", 32);
	ck_assert_int_eq(DESK("reply --dir %s --as Ana --source %s --message-file %s --out %s/r1 "
			      "--passphrase-file %s",
			      desk, source, p, T, pass),
			 0);
	ck_assert_int_eq(DESK("reply --dir %s --as Ana --source no-such-source --message-file %s "
			      "--out %s/r2 "
			      "--passphrase-file %s",
			      desk, p, T, pass),
			 6);
	ck_assert_int_eq(
		DESK("reply --dir %s --as Ana --source ../sources/x --message-file %s --out %s/r2 "
		     "--passphrase-file %s",
		     desk, p, T, pass),
		2);
	ck_assert_int_eq(DESK("push --server %s --token-file %s/token --clearnet %s/r1", srv, T, T),
			 0);
	snprintf(p, sizeof p, "%s/pass", T);
	ck_assert_int_eq(DESK("push --server %s --token-file %s/token --clearnet %s", srv, T, p),
			 6);
	ck_assert_int_eq(run(GHOSTDROP,
			     "replies --server %s --newsroom %s --clearnet --codename-file %s/code",
			     srv, ks, T),
			 0);
	ck_assert_msg(strstr(out, "Thank you. Which client was it?") != NULL, "%s", out);
	ck_assert(strstr(out, "from Ana") != NULL);

	/* ack: a wrong key deletes nothing; a malformed file sends nothing; the real one empties */
	size_t alen;
	snprintf(p, sizeof p, "%s/opened/ack", T);
	char *ack = (char *)slurp(p, &alen);
	json_t *a = json_loads(ack, 0, NULL);
	ck_assert_uint_eq(json_array_size(json_object_get(a, "acks")), 3);
	json_t *wrong = json_deep_copy(a);
	json_object_set_new(json_array_get(json_object_get(wrong, "acks"), 0), "ack_key",
			    json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	json_array_remove(json_object_get(wrong, "acks"), 2);
	json_array_remove(json_object_get(wrong, "acks"), 1);
	snprintf(p, sizeof p, "%s/ack-wrong", T);
	json_dump_file(wrong, p, 0);
	ck_assert_int_eq(DESK("ack --server %s --token-file %s/token --clearnet %s", srv, T, p), 5);
	ck_assert_uint_eq(stored_count(&d), 3);
	json_object_del(json_array_get(json_object_get(wrong, "acks"), 0), "ack_key");
	json_dump_file(wrong, p, 0);
	ck_assert_int_eq(DESK("ack --server %s --token-file %s/token --clearnet %s", srv, T, p), 6);
	ck_assert_uint_eq(stored_count(&d), 3);
	json_decref(wrong);
	json_decref(a);
	free(ack);

	/* resumable fetch: a batch cut in the middle of its second envelope is completed */
	ck_assert_int_eq(DESK("fetch --server %s --token-file %s/token --clearnet --out %s/whole",
			      srv, T, T),
			 0);
	size_t wl, cut;
	snprintf(p, sizeof p, "%s/whole", T);
	uint8_t *whole = slurp(p, &wl);
	batch_index ix;
	char e[160];
	int fd = open(p, O_RDONLY);
	ck_assert_int_eq(batch_scan(fd, &ix, e, sizeof e), 0);
	close(fd);
	ck_assert(ix.complete && ix.n == 3);
	cut = (size_t)ix.e[1].offset + 5000;
	batch_index_free(&ix);
	snprintf(p, sizeof p, "%s/resumed.part", T);
	write_bytes(p, whole, cut);
	ck_assert_int_eq(DESK("fetch --server %s --token-file %s/token --clearnet --out %s/resumed",
			      srv, T, T),
			 0);
	ck_assert_msg(strstr(err, "resuming") != NULL, "%s", err);
	size_t rl;
	snprintf(p, sizeof p, "%s/resumed", T);
	uint8_t *resumed = slurp(p, &rl);
	ck_assert_uint_eq(rl, wl);
	ck_assert(memcmp(resumed, whole, wl) == 0);
	free(resumed);
	free(whole);

	ck_assert_int_eq(
		DESK("ack --server %s --token-file %s/token --clearnet %s/opened/ack --json", srv,
		     T, T),
		0);
	o = out_json();
	ck_assert_int_eq(json_integer_value(json_object_get(o, "deleted")), 3);
	json_decref(o);
	ck_assert_uint_eq(stored_count(&d), 0);
	/* acked twice: already gone, fine */
	ck_assert_int_eq(
		DESK("ack --server %s --token-file %s/token --clearnet %s/opened/ack", srv, T, T),
		0);
	drop_stop(&d, SIGTERM);
	/* after the whole loop, the drop's files and log hold nothing of it in the clear: no
	 * content, no attachment name, no reply; and its log no client address (the files do
	 * hold the drop's own, in its config and in the published bundle's server list) */
	{
		char cmd[512];
		snprintf(cmd, sizeof cmd, "%s/daemon.log", T);
		ck_assert_int_eq(access(cmd, R_OK), 0); /* (grep on a missing file would pass) */
		snprintf(cmd, sizeof cmd, "%s/data/db/data.mdb", T);
		ck_assert_int_eq(access(cmd, R_OK), 0);
		snprintf(cmd, sizeof cmd, "grep -q -F 127.0.0.1 %s/daemon.log", T);
		ck_assert_msg(system(cmd) != 0, "an address in the drop's log");
	}
	static const char *const leaks[] = {"date,hours,paid", "shift-log", "Which client was it",
					    "testimony", NULL};
	for (int l = 0; leaks[l] != NULL; l++) {
		char cmd[512];
		snprintf(cmd, sizeof cmd, "grep -r -a -q -F '%s' %s/data %s/daemon.log", leaks[l],
			 T, T);
		ck_assert_msg(system(cmd) != 0, "'%s' found in the drop's files or log", leaks[l]);
	}
	drop_destroy(&d);
}
END_TEST

/* ---- open: what a hostile source, a broken USB stick or a wrong key does ---- */

typedef struct {
	membuf env[8];
	uint8_t id[8][16];
	int n;
} batch_parts;

static void add_env(batch_parts *b, const uint8_t pk[32], gd_manifest *m, const gd_source_keys *src,
		    const char *data, size_t dlen)
{
	memset(&b->env[b->n], 0, sizeof b->env[b->n]);
	ck_assert_int_eq(seal_to(&b->env[b->n], (const uint8_t(*)[32])pk, 1, m, src,
				 (const uint8_t *)data, dlen, NULL),
			 GD_OK);
	memcpy(b->id[b->n], m->submission_id, 16);
	b->n++;
}

/* header, a record per envelope, the end mark; the file cut at `cut` bytes if non-zero */
static void write_batch(const char *path, const batch_parts *b, size_t cut)
{
	membuf f = {0};
	uint8_t h[BATCH_RECORD_BYTES];
	batch_header(h);
	membuf_write(&f, h, BATCH_HEADER_BYTES);
	for (int i = 0; i < b->n; i++) {
		batch_record(h, b->id[i], gd_day(time(NULL)), b->env[i].len);
		membuf_write(&f, h, sizeof h);
		membuf_write(&f, b->env[i].buf, b->env[i].len);
	}
	batch_end(h, (uint64_t)b->n);
	membuf_write(&f, h, sizeof h);
	write_bytes(path, f.buf, cut ? cut : f.len);
	membuf_free(&f);
}

static void pub_of(const char *desk, const char *name, int n, gd_journalist *j)
{
	char p[256];
	size_t len;
	snprintf(p, sizeof p, "%s/journalists/%s/key-%d.pub", desk, name, n);
	uint8_t *t = slurp(p, &len);
	ck_assert_int_eq(gd_pubfile_decode(j, (const char *)t, len), GD_OK);
	free(t);
}

static json_t *open_json(const char *desk, const char *batch, const char *outdir, const char *pass,
			 int want)
{
	int rc = DESK("open --dir %s %s --out %s --passphrase-file %s --json", desk, batch, outdir,
		      pass);
	ck_assert_msg(rc == want, "open: exit %d, wanted %d: %s", rc, want, err);
	return out_json();
}

static const char *result_of(json_t *rep, int i, const char **folder)
{
	json_t *v = json_array_get(json_object_get(rep, "submissions"), (size_t)i);
	if (folder != NULL)
		*folder = json_string_value(json_object_get(v, "folder"));
	return json_string_value(json_object_get(v, "result"));
}

START_TEST(open_refuses_and_reports)
{
	char desk[128], other[128], pass[128], p[512], bp[256], od[256];
	snprintf(T, sizeof T, "/tmp/gd-desk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T));
	snprintf(desk, sizeof desk, "%s/desk", T);
	snprintf(other, sizeof other, "%s/other", T);
	snprintf(pass, sizeof pass, "%s/pass", T);
	write_bytes(pass, "correct horse battery staple\n", 29);
	ck_assert_int_eq(
		DESK("newsroom init --dir %s --name Ledger --passphrase-file %s", desk, pass), 0);
	uint8_t root[32];
	char ks[GD_KEYSTRING_LEN + 1];
	snprintf(ks, sizeof ks, "%.*s", GD_KEYSTRING_LEN, out);
	ck_assert_int_eq(gd_keystring_decode(root, ks), GD_OK);
	ck_assert_int_eq(DESK("journalist add --dir %s Ana --passphrase-file %s", desk, pass), 0);
	ck_assert_int_eq(DESK("journalist add --dir %s Bob --passphrase-file %s", other, pass), 0);
	gd_journalist ana, bob;
	pub_of(desk, "Ana", 1, &ana);
	pub_of(other, "Bob", 1, &bob);
	gd_source_keys *src =
		test_source("abacus abdomen abdominal abide abiding ability ablaze able", root);

	/* 0: hostile attachment names; 1: fine; 2: for another newsroom; 3: fine */
	batch_parts b = {0};
	gd_attachment atts[8] = {{"../../etc/passwd", "text/plain", 2},
				 {".bashrc", "text/plain", 2},
				 {"a\nb.txt", "text/plain", 2},
				 {"message.txt", "text/plain", 2},
				 {"\xe2\x80\xaegpj.exe", "text/plain", 2},
				 {"dup.txt", "text/plain", 2},
				 {"dup.txt", "text/plain", 2},
				 {"...", "text/plain", 2}};
	gd_manifest m;
	test_manifest(&m, "names", src);
	m.attachments = atts;
	m.n_attachments = 8;
	add_env(&b, ana.pk, &m, src, "a1a2a3a4a5a6a7a8", 16);
	test_manifest(&m, "second", src);
	add_env(&b, ana.pk, &m, src, NULL, 0);
	test_manifest(&m, "for another newsroom", NULL);
	add_env(&b, bob.pk, &m, NULL, NULL, 0);
	test_manifest(&m, "fourth", NULL);
	add_env(&b, ana.pk, &m, NULL, NULL, 0);

	snprintf(bp, sizeof bp, "%s/good", T);
	write_batch(bp, &b, 0);
	/* wrong passphrase: exit 3, nothing written */
	snprintf(p, sizeof p, "%s/wrong", T);
	write_bytes(p, "not the passphrase at all\n", 26);
	snprintf(od, sizeof od, "%s/o-wrong", T);
	ck_assert_int_eq(DESK("open --dir %s %s --out %s --passphrase-file %s", desk, bp, od, p),
			 3);
	ck_assert(access(od, F_OK) != 0);
	/* not a batch */
	ck_assert_int_eq(
		DESK("open --dir %s %s --out %s --passphrase-file %s", desk, pass, od, pass), 6);

	/* the names: nothing outside the folder, nothing hidden, nothing overwritten */
	snprintf(od, sizeof od, "%s/o1", T);
	json_t *rep = open_json(desk, bp, od, pass, 7);
	const char *folder;
	ck_assert_str_eq(result_of(rep, 0, &folder), "opened");
	ck_assert_str_eq(result_of(rep, 1, NULL), "opened");
	ck_assert_str_eq(result_of(rep, 2, NULL), "failed");
	ck_assert_str_eq(result_of(rep, 3, NULL), "opened");
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "failed")), 1);
	ck_assert_msg(strstr(err, "not addressed to any key here") != NULL, "%s", err);
	static const char *const names[][2] = {
		{"passwd", "a1"},      {"bashrc", "a2"},
		{"a_b.txt", "a3"},     {"attachment-4-message.txt", "a4"},
		{"_gpj.exe", "a5"},    {"dup.txt", "a6"},
		{"dup (2).txt", "a7"}, {"attachment-8", "a8"}};
	for (size_t i = 0; i < 8; i++) {
		snprintf(p, sizeof p, "%s/%s/%s", od, folder, names[i][0]);
		ck_assert_msg(file_is(p, names[i][1]), "%s", p);
	}
	snprintf(p, sizeof p, "%s/%s/message.txt", od, folder);
	ck_assert(file_is(p, "names"));
	snprintf(p, sizeof p, "%s/%s", od, folder);
	ck_assert_int_eq(count_files(p), 10); /* 8 attachments, message, manifest */
	snprintf(p, sizeof p, "%s/etc", T);
	ck_assert(access(p, F_OK) != 0);
	ck_assert(access("/etc/passwd", F_OK) == 0);
	json_decref(rep);
	/* the ack file holds exactly the three that opened */
	size_t al;
	snprintf(p, sizeof p, "%s/ack", od);
	char *ack = (char *)slurp(p, &al);
	json_t *a = json_loads(ack, 0, NULL);
	ck_assert_uint_eq(json_array_size(json_object_get(a, "acks")), 3);
	json_decref(a);
	free(ack);

	/* the same batch on one core gives the same tree */
	char od1[256], cmd[1024];
	snprintf(od1, sizeof od1, "%s/o-j1", T);
	ck_assert_int_eq(
		DESK("open --dir %s %s --out %s --passphrase-file %s -j 1", desk, bp, od1, pass),
		7);
	snprintf(cmd, sizeof cmd, "diff -r -x .desk -x ack %s %s >/dev/null", od, od1);
	ck_assert_int_eq(system(cmd), 0);

	/* tampered: one byte of the second envelope's ciphertext; the others still open */
	b.env[1].buf[b.env[1].len - 100] ^= 0x01;
	snprintf(bp, sizeof bp, "%s/tampered", T);
	write_batch(bp, &b, 0);
	b.env[1].buf[b.env[1].len - 100] ^= 0x01;
	snprintf(od, sizeof od, "%s/o2", T);
	rep = open_json(desk, bp, od, pass, 7);
	ck_assert_str_eq(result_of(rep, 0, NULL), "opened");
	ck_assert_str_eq(result_of(rep, 1, NULL), "failed");
	ck_assert_str_eq(result_of(rep, 3, NULL), "opened");
	ck_assert_msg(strstr(err, "tampered with or corrupt") != NULL, "%s", err);
	json_decref(rep);

	/* truncated: cut inside the last envelope; and cut exactly before the end mark */
	size_t total = BATCH_HEADER_BYTES + BATCH_RECORD_BYTES;
	for (int i = 0; i < b.n; i++)
		total += BATCH_RECORD_BYTES + b.env[i].len;
	snprintf(bp, sizeof bp, "%s/cut", T);
	write_batch(bp, &b, total - BATCH_RECORD_BYTES - 1000);
	snprintf(od, sizeof od, "%s/o3", T);
	rep = open_json(desk, bp, od, pass, 7);
	ck_assert_uint_eq(json_array_size(json_object_get(rep, "submissions")), 3);
	ck_assert_str_eq(result_of(rep, 0, NULL), "opened");
	ck_assert_msg(strstr(err, "cut short inside submission 4") != NULL, "%s", err);
	json_decref(rep);
	write_batch(bp, &b, total - BATCH_RECORD_BYTES);
	rep = open_json(desk, bp, od, pass, 7);
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "opened_before")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "opened")),
			 1); /* the fourth, whole now */
	ck_assert_msg(strstr(err, "no end mark") != NULL, "%s", err);
	json_decref(rep);

	/* another newsroom's desk opens none of ours */
	snprintf(bp, sizeof bp, "%s/good", T);
	snprintf(od, sizeof od, "%s/o4", T);
	rep = open_json(other, bp, od, pass, 7);
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "opened")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "failed")), 3);
	json_decref(rep);

	/* an expired key still opens what was sent to it; a rotated one opens the new */
	gd_journalist old = ana;
	old.not_before -= 400 * 86400;
	old.not_after = time(NULL) - 86400;
	char *pub = gd_pubfile_encode(&old);
	snprintf(p, sizeof p, "%s/journalists/Ana/key-1.pub", desk);
	write_bytes(p, pub, strlen(pub));
	free(pub);
	ck_assert_int_eq(DESK("journalist rotate --dir %s Ana --passphrase-file %s", desk, pass),
			 0);
	gd_journalist ana2;
	pub_of(desk, "Ana", 2, &ana2);
	batch_parts c = {0};
	test_manifest(&m, "to the old key", NULL);
	add_env(&c, ana.pk, &m, NULL, NULL, 0);
	test_manifest(&m, "to the new key", NULL);
	add_env(&c, ana2.pk, &m, NULL, NULL, 0);
	snprintf(bp, sizeof bp, "%s/rotated", T);
	write_batch(bp, &c, 0);
	snprintf(od, sizeof od, "%s/o5", T);
	rep = open_json(desk, bp, od, pass, 0);
	for (int i = 0; i < 2; i++) {
		result_of(rep, i, &folder);
		snprintf(p, sizeof p, "%s/%s/manifest.json", od, folder);
		json_t *mj = json_load_file(p, 0, NULL);
		ck_assert_int_eq(json_integer_value(json_object_get(
					 json_object_get(mj, "opened_with"), "key")),
				 i + 1);
		json_decref(mj);
	}
	json_decref(rep);

	/* the same source with another reply key: flagged, and replies keep the first key */
	batch_parts d2 = {0};
	gd_source_keys *changed = sodium_malloc(sizeof *changed);
	*changed = *src; /* the same identity key (a modified client), another reply key */
	changed->reply_pk[0] ^= 1;
	test_manifest(&m, "my new reply key", changed);
	add_env(&d2, ana2.pk, &m, changed, NULL, 0);
	sodium_free(changed);
	snprintf(bp, sizeof bp, "%s/changed", T);
	write_batch(bp, &d2, 0);
	snprintf(od, sizeof od, "%s/o6", T);
	rep = open_json(desk, bp, od, pass, 0);
	ck_assert_msg(strstr(err, "another reply key") != NULL, "%s", err);
	result_of(rep, 0, &folder);
	snprintf(p, sizeof p, "%s/%s/manifest.json", od, folder);
	json_t *mj = json_load_file(p, 0, NULL);
	ck_assert_ptr_nonnull(json_object_get(mj, "warning"));
	json_decref(mj);
	char label[80];
	snprintf(label, sizeof label, "%.*s", (int)(strchr(folder, '/') - folder), folder);
	snprintf(p, sizeof p, "%s/sources/%s.json", desk, label);
	json_t *sj = json_load_file(p, 0, NULL);
	char rk[64];
	gd_b64_encode(rk, sizeof rk, src->reply_pk, 32);
	ck_assert_str_eq(json_string_value(json_object_get(sj, "reply_pk")), rk);
	json_decref(sj);
	json_decref(rep);

	for (int i = 0; i < b.n; i++)
		membuf_free(&b.env[i]);
	for (int i = 0; i < c.n; i++)
		membuf_free(&c.env[i]);
	membuf_free(&d2.env[0]);
	sodium_free(src);
	snprintf(cmd, sizeof cmd, "rm -rf %s", T);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The attack of issue 14 played whole: a thief with a courier token reads the victim's drop id
 * in the listing and submits a decoy, the same day, whose manifest id shares the victim's first
 * 8 base64 characters and sorts first. The victim must still be opened, and acked only once
 * its own files are on disk. */
START_TEST(stolen_token_cannot_delete_unread)
{
	drop d;
	char desk[128], ks[128], pass[128], srv[64], p[512], vid[32];
	newsroom_and_drop(&d, desk, ks, pass, srv);
	gd_journalist ana;
	pub_of(desk, "Ana", 1, &ana);
	submit_id(&d, ks, vid); /* the victim: "testimony", no reply */
	uint8_t victim[16], h[32];
	ck_assert_int_eq(gd_b64_decode_exact(victim, 16, vid), GD_OK);

	gd_manifest m;
	test_manifest(&m, "decoy", NULL);
	memcpy(m.submission_id, victim, 6);
	memset(m.submission_id + 6, 0, 10);
	membuf env = {0};
	ck_assert_int_eq(seal_to(&env, (const uint8_t(*)[32])ana.pk, 1, &m, NULL, NULL, 0, NULL),
			 GD_OK);
	char idb[32], hb[64], pow[256], hdr[1024];
	gd_b64_encode(idb, sizeof idb, m.submission_id, 16);
	ck_assert_int_eq(strncmp(idb, vid, 8), 0);
	crypto_generichash(h, 32, env.buf, env.len, NULL, 0);
	gd_b64_encode(hb, sizeof hb, h, 32);
	pow_header(d.port, "submit", 0, pow, sizeof pow);
	snprintf(hdr, sizeof hdr,
		 "Content-Type: application/octet-stream\r\nX-Ghostdrop-Id: %s\r\n"
		 "X-Ghostdrop-Hash: %s\r\nX-Ghostdrop-PoW: %s\r\n",
		 idb, hb, pow);
	resp r;
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/submissions", hdr, env.buf, env.len, &r), 0);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	membuf_free(&env);
	ck_assert_uint_eq(stored_count(&d), 2);

	ck_assert_int_eq(DESK("fetch --server %s --token-file %s/token --clearnet --out %s/batch",
			      srv, T, T),
			 0);
	char bp[256], od[256];
	snprintf(bp, sizeof bp, "%s/batch", T);
	snprintf(od, sizeof od, "%s/opened", T);
	json_t *rep = open_json(desk, bp, od, pass, 0);
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "opened")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "opened_before")), 0);
	/* each in a folder of its own, holding its own text */
	const char *f0, *f1;
	result_of(rep, 0, &f0);
	result_of(rep, 1, &f1);
	ck_assert_str_ne(f0, f1);
	int victim_seen = 0;
	for (int i = 0; i < 2; i++) {
		const char *f = i ? f1 : f0;
		snprintf(p, sizeof p, "%s/%s/message.txt", od, f);
		victim_seen += file_is(p, "testimony\n");
	}
	ck_assert_int_eq(victim_seen, 1);
	json_decref(rep);
	/* the ack deletes both: each was opened, and is on this disk */
	ck_assert_int_eq(
		DESK("ack --server %s --token-file %s/token --clearnet %s/ack --json", srv, T, od),
		0);
	ck_assert_uint_eq(stored_count(&d), 0);
	drop_destroy(&d);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", T);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A copy of Ledger's desk with journalist Ana in a new T, and her public key. */
static void desk_with_ana(char *desk, char *pass, gd_journalist *ana, uint8_t root[32])
{
	ledger_copy(desk, pass);
	ck_assert_int_eq(gd_keystring_decode(root, ledger_ks), GD_OK);
	pub_of(desk, "Ana", 1, ana);
}

static size_t acks_in(const char *od)
{
	char p[512];
	snprintf(p, sizeof p, "%s/ack", od);
	json_t *a = json_load_file(p, 0, NULL);
	size_t n = json_array_size(json_object_get(a, "acks"));
	json_decref(a);
	return n;
}

/* "Opened before" means: what is on disk is that very submission. Not its drop id (a new
 * envelope under an id opened before), not its folder's name (a folder already there), not a
 * folder damaged since. */
START_TEST(open_trusts_only_what_is_on_disk)
{
	char desk[128], pass[128], bp[256], od[256], p[512];
	gd_journalist ana;
	uint8_t root[32];
	desk_with_ana(desk, pass, &ana, root);
	gd_manifest m;
	batch_parts b1 = {0}, b2 = {0}, b3 = {0};
	test_manifest(&m, "first", NULL);
	add_env(&b1, ana.pk, &m, NULL, NULL, 0);
	test_manifest(&m, "second", NULL);
	add_env(&b2, ana.pk, &m, NULL, NULL, 0);
	memcpy(b2.id[0], b1.id[0], 16); /* another envelope under the same drop id */
	test_manifest(&m, "third", NULL);
	add_env(&b3, ana.pk, &m, NULL, NULL, 0);
	snprintf(od, sizeof od, "%s/o", T);

	snprintf(bp, sizeof bp, "%s/b1", T);
	write_batch(bp, &b1, 0);
	json_t *rep = open_json(desk, bp, od, pass, 0);
	const char *f;
	ck_assert_str_eq(result_of(rep, 0, &f), "opened");
	char first[128];
	snprintf(first, sizeof first, "%s", f);
	json_decref(rep);

	/* the same drop id, another envelope: opened, not "opened before" */
	snprintf(bp, sizeof bp, "%s/b2", T);
	write_batch(bp, &b2, 0);
	rep = open_json(desk, bp, od, pass, 0);
	ck_assert_str_eq(result_of(rep, 0, &f), "opened");
	snprintf(p, sizeof p, "%s/%s/message.txt", od, f);
	ck_assert(file_is(p, "second"));
	json_decref(rep);

	/* a folder already under the name the third would get, holding something else */
	uint8_t h[32];
	char folder[128];
	crypto_generichash(h, 32, b3.env[0].buf, b3.env[0].len, NULL, 0);
	ck_assert_int_eq(names_folder(folder, sizeof folder, "no-reply", gd_day(time(NULL)), h, 1),
			 0);
	snprintf(p, sizeof p, "%s/%s", od, folder);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/%s/manifest.json", od, folder);
	write_bytes(
		p,
		"{\"envelope_hash\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\", \"message\": "
		"\"message.txt\", \"attachments\": []}",
		99);
	snprintf(p, sizeof p, "%s/%s/message.txt", od, folder);
	write_bytes(p, "planted", 7);
	snprintf(bp, sizeof bp, "%s/b3", T);
	write_batch(bp, &b3, 0);
	rep = open_json(desk, bp, od, pass, 0);
	ck_assert_str_eq(result_of(rep, 0, &f), "opened");
	ck_assert_str_ne(f, folder);
	snprintf(p, sizeof p, "%s/%s/message.txt", od, f);
	ck_assert(file_is(p, "third"));
	snprintf(p, sizeof p, "%s/%s/message.txt", od, folder);
	ck_assert(file_is(p, "planted"));
	ck_assert_uint_eq(acks_in(od), 1);
	json_decref(rep);

	/* the first, opened again after its message was deleted: opened anew, whole */
	snprintf(p, sizeof p, "%s/%s/message.txt", od, first);
	ck_assert_int_eq(unlink(p), 0);
	snprintf(bp, sizeof bp, "%s/b1", T);
	rep = open_json(desk, bp, od, pass, 0);
	ck_assert_str_eq(result_of(rep, 0, &f), "opened");
	snprintf(p, sizeof p, "%s/%s/message.txt", od, f);
	ck_assert(file_is(p, "first"));
	char anew[128];
	snprintf(anew, sizeof anew, "%s", f);
	json_decref(rep);
	/* and once more, untouched: opened before, the same folder */
	rep = open_json(desk, bp, od, pass, 0);
	ck_assert_str_eq(result_of(rep, 0, &f), "opened_before");
	ck_assert_str_eq(f, anew);
	json_decref(rep);

	membuf_free(&b1.env[0]);
	membuf_free(&b2.env[0]);
	membuf_free(&b3.env[0]);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", T);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A symbolic link planted as OUTDIR/no-reply: nothing is written through it, nothing acked. */
START_TEST(open_never_follows_a_planted_link)
{
	char desk[128], pass[128], bp[256], p[512];
	gd_journalist ana;
	uint8_t root[32];
	desk_with_ana(desk, pass, &ana, root);
	gd_manifest m;
	batch_parts b = {0};
	test_manifest(&m, "first", NULL);
	add_env(&b, ana.pk, &m, NULL, NULL, 0);
	snprintf(bp, sizeof bp, "%s/b", T);
	write_batch(bp, &b, 0);
	json_t *rep;
	char od2[256], elsewhere[256];
	snprintf(od2, sizeof od2, "%s/o2", T);
	snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", T);
	ck_assert_int_eq(mkdir(od2, 0700), 0);
	ck_assert_int_eq(mkdir(elsewhere, 0700), 0);
	snprintf(p, sizeof p, "%s/no-reply", od2);
	ck_assert_int_eq(symlink(elsewhere, p), 0);
	rep = open_json(desk, bp, od2, pass, 7);
	ck_assert_str_eq(result_of(rep, 0, NULL), "failed");
	ck_assert_msg(strstr(err, "symbolic link") != NULL, "%s", err);
	ck_assert_int_eq(count_files(elsewhere), 0);
	ck_assert_uint_eq(acks_in(od2), 0);
	json_decref(rep);

	membuf_free(&b.env[0]);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", T);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Nothing planted in OUTDIR passes for a submission opened before, even by someone holding
 * the envelope (its hash) but not a journalist key: a folder under its name with its real
 * hash, a message emptied since (a power cut before syncfs), an index line with a key of its
 * own. Each time the envelope is decrypted again, its text lands on disk, and only its true ack
 * key is written. A folder others can write is refused. */
START_TEST(open_believes_no_planted_proof)
{
	char desk[128], pass[128], bp[256], od[256], p[1024], folder[128], hb[64], ib[32];
	gd_journalist ana;
	uint8_t root[32], h[32];
	desk_with_ana(desk, pass, &ana, root);
	gd_manifest m;
	batch_parts b = {0};
	test_manifest(&m, "the victim's testimony", NULL);
	add_env(&b, ana.pk, &m, NULL, NULL, 0);
	snprintf(od, sizeof od, "%s/o", T);
	snprintf(bp, sizeof bp, "%s/b", T);
	write_batch(bp, &b, 0);
	crypto_generichash(h, 32, b.env[0].buf, b.env[0].len, NULL, 0);
	gd_b64_encode(hb, sizeof hb, h, 32);
	gd_b64_encode(ib, sizeof ib, b.id[0], 16);
	ck_assert_int_eq(names_folder(folder, sizeof folder, "no-reply", gd_day(time(NULL)), h, 1),
			 0);

	/* a folder under its name, with its real hash */
	snprintf(p, sizeof p, "mkdir -p %s/%s", od, folder);
	ck_assert_int_eq(system(p), 0);
	char mj[256];
	int n = snprintf(mj, sizeof mj,
			 "{\"envelope_hash\": \"%s\", \"content_mac\": \"%s\", \"message\": "
			 "\"message.txt\", \"attachments\": []}",
			 hb, hb);
	snprintf(p, sizeof p, "%s/%s/manifest.json", od, folder);
	write_bytes(p, mj, (size_t)n);
	snprintf(p, sizeof p, "%s/%s/message.txt", od, folder);
	write_bytes(p, "planted", 7);
	json_t *rep = open_json(desk, bp, od, pass, 0);
	const char *f;
	ck_assert_str_eq(result_of(rep, 0, &f), "opened");
	ck_assert_str_ne(f, folder);
	char real[128];
	snprintf(real, sizeof real, "%s", f);
	snprintf(p, sizeof p, "%s/%s/message.txt", od, real);
	ck_assert(file_is(p, "the victim's testimony"));
	json_decref(rep);
	/* the ack key written is the one the header commits to */
	unsigned nr;
	uint64_t total;
	uint8_t want[32], got[32], ak[32];
	ck_assert_int_eq(gd_envelope_peek(b.env[0].buf, b.env[0].len, &nr, &total, want), GD_OK);
	snprintf(p, sizeof p, "%s/ack", od);
	json_t *a = json_load_file(p, 0, NULL);
	ck_assert_int_eq(gd_b64_decode_exact(ak, 32,
					     json_string_value(json_object_get(
						     json_array_get(json_object_get(a, "acks"), 0),
						     "ack_key"))),
			 GD_OK);
	json_decref(a);
	gd_ack_hash(got, ak);
	ck_assert(memcmp(got, want, 32) == 0);

	/* its message emptied since: by the index, and by the folder alone */
	snprintf(p, sizeof p, "%s/%s/message.txt", od, real);
	ck_assert_int_eq(truncate(p, 0), 0);
	rep = open_json(desk, bp, od, pass, 0);
	ck_assert_str_eq(result_of(rep, 0, &f), "opened");
	ck_assert_str_ne(f, real);
	json_decref(rep);
	snprintf(p, sizeof p, "rm -rf %s", od);
	ck_assert_int_eq(system(p), 0);
	rep = open_json(desk, bp, od, pass, 0);
	result_of(rep, 0, &f);
	snprintf(real, sizeof real, "%s", f);
	json_decref(rep);
	snprintf(p, sizeof p, "%s/%s/message.txt", od, real);
	ck_assert_int_eq(truncate(p, 0), 0);
	snprintf(p, sizeof p, "%s/.desk/opened", od);
	ck_assert_int_eq(truncate(p, 0), 0);
	rep = open_json(desk, bp, od, pass, 0);
	ck_assert_str_eq(result_of(rep, 0, &f), "opened");
	snprintf(p, sizeof p, "%s/%s/message.txt", od, f);
	ck_assert(file_is(p, "the victim's testimony"));
	json_decref(rep);

	/* an index line with its drop id and hash, a key of its own and a folder named with a
	 * terminal escape */
	snprintf(p, sizeof p,
		 "rm -rf %s && mkdir -p %s/.desk '%s/no-reply/\xc2\x9b"
		 "2J'",
		 od, od, od);
	ck_assert_int_eq(system(p), 0);
	snprintf(p, sizeof p,
		 "%s/no-reply/\xc2\x9b"
		 "2J/manifest.json",
		 od);
	write_bytes(p, mj, (size_t)n);
	snprintf(p, sizeof p,
		 "%s/no-reply/\xc2\x9b"
		 "2J/message.txt",
		 od);
	write_bytes(p, "planted", 7);
	char line[512];
	n = snprintf(line, sizeof line,
		     "%s\tno-reply/\xc2\x9b"
		     "2J\tAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\t%s\n"
		     "%s\tno-reply/%s\tAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\t%s\n",
		     ib, hb, ib, folder + 9, hb);
	snprintf(p, sizeof p, "%s/.desk/opened", od);
	write_bytes(p, line, (size_t)n);
	ck_assert_int_eq(chmod(p, 0600), 0);
	snprintf(p, sizeof p, "chmod 700 %s %s/.desk", od, od);
	ck_assert_int_eq(system(p), 0);
	rep = open_json(desk, bp, od, pass, 0);
	ck_assert_str_eq(result_of(rep, 0, &f), "opened");
	ck_assert(strstr(out, "\xc2\x9b") == NULL);
	json_decref(rep);
	snprintf(p, sizeof p, "%s/ack", od);
	a = json_load_file(p, 0, NULL);
	ck_assert_int_eq(gd_b64_decode_exact(ak, 32,
					     json_string_value(json_object_get(
						     json_array_get(json_object_get(a, "acks"), 0),
						     "ack_key"))),
			 GD_OK);
	json_decref(a);
	gd_ack_hash(got, ak);
	ck_assert(memcmp(got, want, 32) == 0);

	/* an output folder others can write: refused, nothing opened */
	char od2[256];
	snprintf(od2, sizeof od2, "%s/shared", T);
	ck_assert_int_eq(mkdir(od2, 0700), 0);
	ck_assert_int_eq(chmod(od2, 0777), 0);
	ck_assert_int_eq(
		DESK("open --dir %s %s --out %s --passphrase-file %s", desk, bp, od2, pass), 6);
	ck_assert_msg(strstr(err, "others can write") != NULL, "%s", err);
	snprintf(p, sizeof p, "%s/no-reply", od2);
	ck_assert(access(p, F_OK) != 0);

	membuf_free(&b.env[0]);
	snprintf(p, sizeof p, "rm -rf %s", T);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

/* A USB stick (FAT: no owners, no permissions, no hard links; tests/fakefat.c plays one): the
 * batch, the ack file and a codename can be written there, but decrypted testimony never is,
 * and open says so before it asks for a passphrase. A folder others can write is named. */
START_TEST(desk_on_a_usb_stick)
{
	drop d;
	char desk[128], ks[128], pass[128], srv[64], p[512], vid[32], fat[512];
	newsroom_and_drop(&d, desk, ks, pass, srv);
	submit_id(&d, ks, vid);
	snprintf(p, sizeof p, "%s/stick", T);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(fat, sizeof fat,
		 "env ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD=%s FAKEFAT_DIR=%s/stick %s",
		 FAKEFAT, T, DESK_BIN);
	ck_assert_int_eq(
		run(fat, "fetch --server %s --token-file %s/token --clearnet --out %s/stick/batch",
		    srv, T, T),
		0);
	snprintf(p, sizeof p, "%s/stick/batch", T);
	ck_assert(access(p, F_OK) == 0);
	snprintf(p, sizeof p, "%s/stick/batch.part", T);
	ck_assert(access(p, F_OK) != 0);
	/* decrypted testimony onto the stick: refused, before the passphrase, nothing created */
	ck_assert_int_eq(run(fat,
			     "open --dir %s %s/stick/batch --out %s/stick/testimonies "
			     "--passphrase-file /nonexistent",
			     desk, T, T),
			 6);
	ck_assert_msg(strstr(err, "USB stick") != NULL && strstr(err, "offline machine") != NULL,
		      "%s", err);
	snprintf(p, sizeof p, "%s/stick/testimonies", T);
	ck_assert(access(p, F_OK) != 0);
	/* on the machine's disk, with the ack file for the online machine on the stick */
	ck_assert_int_eq(run(fat,
			     "open --dir %s %s/stick/batch --out %s/opened --ack-out %s/stick/ack "
			     "--passphrase-file %s",
			     desk, T, T, T, pass),
			 0);
	snprintf(p, sizeof p, "%s/stick/ack", T);
	ck_assert(access(p, F_OK) == 0);
	/* the worker's codename file on a stick */
	snprintf(fat, sizeof fat,
		 "env ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD=%s FAKEFAT_DIR=%s/stick %s",
		 FAKEFAT, T, GHOSTDROP);
	ck_assert_int_eq(
		run(fat, "submit --server %s --newsroom %s --clearnet --codename-out %s/stick/code",
		    srv, ks, T),
		0);
	snprintf(p, sizeof p, "%s/stick/code", T);
	ck_assert(access(p, F_OK) == 0);
	/* a folder others can write: named, with what to do */
	snprintf(p, sizeof p, "%s/shared", T);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(chmod(p, 0777), 0);
	ck_assert_int_eq(
		DESK("open --dir %s %s/stick/batch --out %s --passphrase-file /nonexistent", desk,
		     T, p),
		6);
	ck_assert_msg(strstr(err, "others can write") != NULL && strstr(err, "chmod 700") != NULL,
		      "%s", err);
	drop_destroy(&d);
	snprintf(p, sizeof p, "rm -rf %s", T);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

/* What a source names and writes cannot drive the journalist's terminal: attachment names keep
 * only letters, marks, numbers, punctuation, symbols and spaces; message.txt and manifest.json
 * hold no escape sequence, control or invisible character, and message-unsafe.txt keeps the
 * exact text. */
START_TEST(open_names_and_text_are_terminal_safe)
{
	char desk[128], pass[128], bp[256], od[256], p[512];
	gd_journalist ana;
	uint8_t root[32];
	desk_with_ana(desk, pass, &ana, root);
	static const char *const hostile[][2] = {
		{"a\xc2\x9b"
		 "31mred.txt",
		 "a_31mred.txt"}, /* C1 CSI */
		{"line\xe2\x80\xa8"
		 "break.txt",
		 "line_break.txt"}, /* U+2028 */
		{"\xd8\x9c"
		 "alm.txt",
		 "_alm.txt"},                      /* U+061C */
		{"wj\xe2\x81\xa0.txt", "wj_.txt"}, /* U+2060 */
		{"soft\xc2\xad"
		 "hyphen.txt",
		 "soft_hyphen.txt"},                     /* U+00AD */
		{"tag\xf3\xa0\x81\x81.txt", "tag_.txt"}, /* U+E0041 */
		{"esc\x1b]0;x\x07.txt", "esc_]0;x_.txt"},
		{"se\xc3\xb1"
		 "al \xe6\x97\xa5.png",
		 "se\xc3\xb1"
		 "al \xe6\x97\xa5.png"}, /* kept */
	};
	gd_attachment atts[8];
	memset(atts, 0, sizeof atts);
	for (int i = 0; i < 8; i++) {
		snprintf(atts[i].name, sizeof atts[i].name, "%s", hostile[i][0]);
		snprintf(atts[i].type, sizeof atts[i].type, "text/plain");
		atts[i].size = 1;
	}
	const char text[] = "pay \x1b[2J\x1b[31mcleared\xc2\x9b\r\nline two \xe2\x80\xae"
			    "evil\n";
	gd_manifest m;
	test_manifest(&m, text, NULL);
	m.attachments = atts;
	m.n_attachments = 8;
	batch_parts b = {0};
	add_env(&b, ana.pk, &m, NULL, "12345678", 8);
	snprintf(bp, sizeof bp, "%s/b", T);
	write_batch(bp, &b, 0);
	snprintf(od, sizeof od, "%s/o", T);
	json_t *rep = open_json(desk, bp, od, pass, 0);
	const char *f;
	ck_assert_str_eq(result_of(rep, 0, &f), "opened");
	ck_assert_msg(strstr(err, "never print it in a terminal") != NULL, "%s", err);
	for (int i = 0; i < 8; i++) {
		snprintf(p, sizeof p, "%s/%s/%s", od, f, hostile[i][1]);
		ck_assert_msg(access(p, F_OK) == 0, "%s", p);
	}
	size_t n;
	snprintf(p, sizeof p, "%s/%s/message-unsafe.txt", od, f);
	uint8_t *exact = slurp(p, &n);
	ck_assert_uint_eq(n, strlen(text));
	ck_assert(memcmp(exact, text, n) == 0);
	free(exact);
	snprintf(p, sizeof p, "%s/%s/message.txt", od, f);
	ck_assert(file_is(p, "pay \xef\xbf\xbd[2J\xef\xbf\xbd[31mcleared\xef\xbf\xbd\r\nline two "
			     "\xef\xbf\xbd"
			     "evil\n"));
	snprintf(p, sizeof p, "%s/%s/manifest.json", od, f);
	uint8_t *mj = slurp(p, &n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(mj[i] >= 0x20 || mj[i] == '\n',
			      "raw control byte 0x%02x in manifest.json", mj[i]);
	for (size_t i = 0; i + 1 < n; i++) /* no C1 control (CSI), no U+2028 */
		ck_assert(!(mj[i] == 0xc2 && mj[i + 1] >= 0x80 && mj[i + 1] < 0xa0) &&
			  !(mj[i] == 0xe2 && mj[i + 1] == 0x80 && i + 2 < n && mj[i + 2] == 0xa8));
	json_t *o = json_loadb((const char *)mj, n, 0, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "message_unsafe")),
			 "message-unsafe.txt");
	for (int i = 0; i < 8; i++) /* the exact names survive, escaped */
		ck_assert_str_eq(
			json_string_value(json_object_get(
				json_array_get(json_object_get(o, "attachments"), (size_t)i),
				"name")),
			hostile[i][0]);
	json_decref(o);
	free(mj);
	json_decref(rep);
	membuf_free(&b.env[0]);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", T);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- messages a new user reads: each names what is wrong and what to do ---- */

/* A key file of another kind (the newsroom's root key where Ana's key goes, Ana's key as
 * newsroom.key) is named as such before any passphrase is asked for (the passphrase file does
 * not even exist here): exit 6, not "malformed input", which reads as a damaged key. */
START_TEST(key_of_another_kind_named_first)
{
	char desk[128], pass[128], p[1024], q[512], batch[256];
	gd_journalist ana;
	uint8_t root[32];
	desk_with_ana(desk, pass, &ana, root);
	batch_parts b = {0};
	snprintf(batch, sizeof batch, "%s/batch", T);
	write_batch(batch, &b, 0);
	snprintf(p, sizeof p,
		 "cp %s/journalists/Ana/key-1.key %s/ana.key && cp %s/newsroom.key "
		 "%s/journalists/Ana/key-1.key",
		 desk, T, desk, desk);
	ck_assert_int_eq(system(p), 0);
	ck_assert_int_eq(
		DESK("open --dir %s %s --out %s/o --passphrase-file /nonexistent", desk, batch, T),
		6);
	snprintf(q, sizeof q,
		 "%s/journalists/Ana/key-1.key is the newsroom's root key, not a "
		 "journalist key",
		 desk);
	ck_assert_msg(strstr(err, q) != NULL && strstr(err, "Ana's") != NULL &&
			      strstr(err, "malformed") == NULL,
		      "%s", err);
	ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "one line: %s", err);
	/* and Ana's key as newsroom.key, for bundle sign */
	snprintf(p, sizeof p, "cp %s/ana.key %s/newsroom.key", T, desk);
	ck_assert_int_eq(system(p), 0);
	ck_assert_int_eq(DESK("bundle sign --dir %s --server http://x.onion --out %s/b "
			      "--passphrase-file /nonexistent",
			      desk, T),
			 6);
	snprintf(q, sizeof q, "%s/newsroom.key is a journalist key, not the newsroom's root key",
		 desk);
	ck_assert_msg(strstr(err, q) != NULL, "%s", err);
	snprintf(p, sizeof p, "rm -rf %s", T);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

/* reply --as ana when the journalist is Ana: names are exact (they are identities), and the
 * message says which spelling exists. */
START_TEST(reply_as_suggests_the_spelling)
{
	char desk[128], pass[128], p[512];
	gd_journalist ana;
	uint8_t root[32];
	desk_with_ana(desk, pass, &ana, root);
	snprintf(p, sizeof p, "%s/sources", desk);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/sources/crust-exes-malt.json", desk);
	const char *src = "{\"reply_pk\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
			  "\"mailbox_id\":\"AAAAAAAAAAAAAAAAAAAAAA\"}";
	write_bytes(p, src, strlen(src));
	snprintf(p, sizeof p, "%s/msg", T);
	write_bytes(p, "hello\n", 6);
	ck_assert_int_eq(DESK("reply --dir %s --as ana --source crust-exes-malt --message-file %s "
			      "--out %s/r --passphrase-file %s",
			      desk, p, T, pass),
			 2);
	ck_assert_msg(strstr(err, "no journalist 'ana'") != NULL &&
			      strstr(err, "did you mean 'Ana'?") != NULL &&
			      strstr(err, "case-sensitive") != NULL,
		      "%s", err);
	snprintf(p, sizeof p, "rm -rf %s", T);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

/* A token file that is not one (a .pub file, too long for a token) gets the message a
 * malformed token file gets, not "File too large". */
START_TEST(token_file_that_is_not_a_token)
{
	char desk[128], pass[128], p[512];
	gd_journalist ana;
	uint8_t root[32];
	desk_with_ana(desk, pass, &ana, root);
	ck_assert_int_eq(DESK("fetch --server http://127.0.0.1:1 --clearnet --token-file "
			      "%s/journalists/Ana/key-1.pub --out %s/batch",
			      desk, T),
			 2);
	ck_assert_msg(strstr(err, "does not hold a courier token (one line") != NULL &&
			      strstr(err, "too large") == NULL,
		      "%s", err);
	snprintf(p, sizeof p, "rm -rf %s", T);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

/* bundle sign --server says what is wrong with the URL, before asking for the passphrase. */
START_TEST(server_url_says_what_is_wrong)
{
	char desk[128], pass[128], p[512];
	gd_journalist ana;
	uint8_t root[32];
	desk_with_ana(desk, pass, &ana, root);
	static const char *const cases[][2] = {
		{"http://Localhost:18431", "lower case only (http://localhost:18431)"},
		{"http://localhost:99999", "port must be 1..65535"},
		{"http://localhost:0", "port must be 1..65535"},
		{"http://localhost/drop", "no path"},
		{"localhost:8080", "http:// or https://"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(DESK("bundle sign --dir %s --server %s --out %s/b "
				      "--passphrase-file /nonexistent",
				      desk, cases[i][0], T),
				 2);
		ck_assert_msg(strstr(err, cases[i][1]) != NULL && strstr(err, cases[i][0]) != NULL,
			      "%s: %s", cases[i][0], err);
	}
	snprintf(p, sizeof p, "rm -rf %s", T);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("desk");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, make_ledger, remove_ledger);
	tcase_add_test(tc, keys_bundles_rotation);
	tcase_add_test(tc, full_loop);
	tcase_add_test(tc, open_refuses_and_reports);
	tcase_add_test(tc, stolen_token_cannot_delete_unread);
	tcase_add_test(tc, open_trusts_only_what_is_on_disk);
	tcase_add_test(tc, open_never_follows_a_planted_link);
	tcase_add_test(tc, open_believes_no_planted_proof);
	tcase_add_test(tc, desk_on_a_usb_stick);
	tcase_add_test(tc, open_names_and_text_are_terminal_safe);
	suite_add_tcase(s, tc);
	TCase *msg = tcase_create("messages");
	tcase_set_timeout(msg, 120);
	tcase_add_unchecked_fixture(msg, make_ledger, remove_ledger);
	tcase_add_test(msg, key_of_another_kind_named_first);
	tcase_add_test(msg, reply_as_suggests_the_spelling);
	tcase_add_test(msg, token_file_that_is_not_a_token);
	tcase_add_test(msg, server_url_says_what_is_wrong);
	suite_add_tcase(s, msg);
	return s;
}
GD_CHECK_MAIN(suite)
