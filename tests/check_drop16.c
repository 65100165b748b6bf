/* Integration tests (issue 16, section 7): ghostdropd's operator commands as a monitor, a
 * script and a person at a terminal meet them: stats --json and its exit codes, purge --all's
 * confirmation, what serve says at start, plain words for a directory that is not a drop and a
 * file that is not a bundle, --version; and scripts/run refusing to touch a demo that serves. */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "ptyrun.h"
#include "store.h"
#include "testutil.h"

static char out[65536], err[65536];

#define D(...) drop_run(&d, GHOSTDROPD, NULL, out, err, sizeof out, __VA_ARGS__)

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Store a bundle as the drop's published one, bypassing `keys publish` (which refuses an
 * expired one). */
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
	store_op *op = store_op_meta_put("bundle", bytes, len);
	ck_assert_ptr_nonnull(op);
	ck_assert_int_eq(store_apply_sync(st, op), STORE_OK);
	store_op_free(op);
	store_close(st);
}

static json_t *stats_json(drop *dp, int want_rc)
{
	drop d = *dp;
	ck_assert_int_eq(D("stats --data %s/data --json", d.dir), want_rc);
	json_t *o = json_loads(out, 0, NULL);
	ck_assert_msg(o != NULL, "not JSON: %s", out);
	return o;
}

static const char *bundle_state(json_t *o)
{
	return json_string_value(json_object_get(json_object_get(o, "bundle"), "state"));
}

START_TEST(version_of_the_daemon)
{
	drop d;
	drop_create(&d, NULL);
	ck_assert_int_eq(D("--version"), 0);
	ck_assert_str_eq(out, "ghostdropd " GD_VERSION "\n");
	ck_assert_int_eq(D("stats --version"), 0);
	ck_assert_str_eq(out, "ghostdropd " GD_VERSION "\n");
	drop_destroy(&d);
}
END_TEST

/* stats --json: the counts, the space and the bundle's state, for a monitor. */
START_TEST(stats_json_for_a_monitor)
{
	drop d;
	drop_create(&d, NULL);
	json_t *o = stats_json(&d, 0);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "submissions")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "unfetched")), 0);
	ck_assert(json_is_integer(json_object_get(json_object_get(o, "storage"), "used_bytes")));
	json_t *b = json_object_get(o, "bundle");
	ck_assert_str_eq(bundle_state(o), "ok");
	ck_assert_int_eq(json_integer_value(json_object_get(b, "version")), 1);
	const char *exp = json_string_value(json_object_get(b, "expires"));
	ck_assert_msg(exp != NULL && strlen(exp) == 10 && exp[4] == '-', "%s", out);
	ck_assert_int_ge(json_integer_value(json_object_get(b, "days_left")), 29);
	ck_assert_int_eq(json_integer_value(json_object_get(b, "warn_days")), 7);
	json_decref(o);
	drop_destroy(&d);
}
END_TEST

/* A bundle that expires within the warning days exits 5 (the newsroom must sign a new one
 * soon), one that has expired exits 3; --warn-days sets what "soon" is. */
START_TEST(stats_exit_code_when_the_bundle_expires_soon)
{
	drop d;
	drop_create(&d, NULL);
	put_bundle(&d, (int64_t)time(NULL) + 3 * 86400 - 3600);
	ck_assert_int_eq(D("stats --data %s/data", d.dir), 5);
	ck_assert_msg(strstr(out, "expires in 2 day(s)") != NULL &&
			      strstr(out, "(within 7 days: exit 5)") != NULL,
		      "%s", out);
	json_t *o = stats_json(&d, 5);
	ck_assert_str_eq(bundle_state(o), "expires_soon");
	json_decref(o);
	ck_assert_int_eq(D("stats --data %s/data --warn-days 2", d.dir), 0);
	ck_assert_int_eq(D("stats --data %s/data --warn-days 3", d.dir), 5);
	ck_assert_int_eq(D("stats --data %s/data --warn-days x", d.dir), 2);
	ck_assert_msg(strstr(err, "--warn-days") != NULL, "%s", err);
	put_bundle(&d, (int64_t)time(NULL) - 86400);
	o = stats_json(&d, 3);
	ck_assert_str_eq(bundle_state(o), "expired");
	json_decref(o);
	drop_destroy(&d);
}
END_TEST

static void one_submission(drop *d)
{
	uint8_t nr[32] = {4}, id[16], ack[32];
	gd_source_keys *src =
		test_source("zoom abacus yo-yo able ablaze abide zoologist felt-tip", nr);
	membuf env = {0};
	resp r;
	drop_start(d);
	drop_envelope(d, src, "hello", 0, &env, ack);
	randombytes_buf(id, 16);
	post_submission(d, id, &env, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	free(env.buf);
	sodium_free(src);
	drop_stop(d, SIGTERM);
}

static json_int_t count(drop *d)
{
	json_t *o = stats_json(d, 0);
	json_int_t n = json_integer_value(json_object_get(o, "submissions"));
	json_decref(o);
	return n;
}

/* purge --all without a terminal and without --yes touches nothing; on a terminal it asks;
 * --yes is the script's way. */
START_TEST(purge_all_asks_first)
{
	drop d;
	char data[256], pout[8192];
	drop_create(&d, NULL);
	one_submission(&d);
	ck_assert_int_eq(count(&d), 1);
	ck_assert_int_eq(D("purge --data %s/data --all", d.dir), 2);
	ck_assert_msg(strstr(err, "purge --all deletes every submission: run it on a terminal to "
				  "confirm, or add --yes; nothing was deleted") != NULL,
		      "%s", err);
	ck_assert_int_eq(count(&d), 1);

	snprintf(data, sizeof data, "%s/data", d.dir);
	const char *argv[] = {GHOSTDROPD, "purge", "--data", data, "--all", NULL};
	const char *no[] = {"Delete all 1 submission(s)", "no\n", NULL};
	ck_assert_int_eq(pty_run(argv, NULL, no, pout, sizeof pout), 1);
	ck_assert_msg(strstr(pout, "not confirmed: nothing was deleted") != NULL, "%s", pout);
	ck_assert_int_eq(count(&d), 1);
	const char *yes[] = {"Type yes to delete them: ", "yes\n", NULL};
	ck_assert_int_eq(pty_run(argv, NULL, yes, pout, sizeof pout), 0);
	ck_assert_msg(strstr(pout, "purged 1 submission(s)") != NULL, "%s", pout);
	ck_assert_int_eq(count(&d), 0);

	one_submission(&d);
	ck_assert_int_eq(D("purge --data %s/data --all --yes", d.dir), 0);
	ck_assert_msg(strstr(out, "purged 1 submission(s)") != NULL, "%s", out);
	ck_assert_int_eq(count(&d), 0);
	drop_destroy(&d);
}
END_TEST

/* serve says where it listens and until when sources can submit, on stdout (its log holds no
 * address). */
START_TEST(serve_says_address_and_expiry)
{
	drop d;
	char want[200], day[16], cmd[512];
	drop_create(&d, NULL);
	if (geteuid() == 0) { /* as drop_start does: the user the drop becomes owns its files */
		snprintf(cmd, sizeof cmd, "chown -R nobody:nogroup %s", d.dir);
		ck_assert_int_eq(system(cmd), 0);
	}
	ck_assert_int_eq(drop_run(&d, "timeout --preserve-status -s TERM 3 " GHOSTDROPD, NULL, out,
				  err, sizeof out, "serve --data %s/data --listen 127.0.0.1:0%s",
				  d.dir, geteuid() == 0 ? " --user nobody" : ""),
			 0);
	time_t exp = time(NULL) + 30 * 86400;
	strftime(day, sizeof day, "%Y-%m-%d", gmtime(&exp));
	snprintf(want, sizeof want, "; key bundle v1 expires %s\n", day);
	ck_assert_msg(strncmp(out, "ghostdropd: listening on http://127.0.0.1:", 42) == 0 &&
			      strstr(out, want) != NULL,
		      "%s", out);
	ck_assert_msg(strstr(err, "127.0.0.1") == NULL, "%s", err);
	drop_destroy(&d);
}
END_TEST

/* A port in use is said once. */
START_TEST(serve_port_in_use_said_once)
{
	drop d;
	drop_create(&d, NULL);
	drop_start(&d);
	ck_assert_int_eq(D("serve --data %s/data --listen 127.0.0.1:%u%s", d.dir, d.port,
			   geteuid() == 0 ? " --user nobody" : ""),
			 1);
	char *first = strstr(err, "cannot listen");
	ck_assert_msg(first != NULL && strstr(first + 1, "cannot listen") == NULL &&
			      strstr(err, "in use") != NULL,
		      "%s", err);
	drop_stop(&d, SIGTERM);
	drop_destroy(&d);
}
END_TEST

/* A directory that is not a drop, and a file that is not a bundle, are named as such. */
START_TEST(not_a_drop_not_a_bundle)
{
	drop d;
	char p[256];
	drop_create(&d, NULL);
	ck_assert_int_eq(D("stats --data %s", d.dir), 1);
	ck_assert_msg(strstr(err, "not a drop: run ghostdropd init") != NULL, "%s", err);
	ck_assert_int_eq(
		D("serve --data %s/nothing%s", d.dir, geteuid() == 0 ? " --user nobody" : ""), 1);
	ck_assert_msg(strstr(err, "not a drop: run ghostdropd init") != NULL, "%s", err);
	snprintf(p, sizeof p, "%s/notes.txt", d.dir);
	write_file(p, "meeting notes\n");
	ck_assert_int_eq(D("keys publish --data %s/data %s", d.dir, p), 3);
	ck_assert_msg(strstr(err, "is not a key bundle (ghostdrop-desk bundle sign makes one)") !=
			      NULL,
		      "%s", err);
	drop_destroy(&d);
}
END_TEST

/* scripts/run refuses to start while its demo serves, and touches nothing. */
START_TEST(run_refuses_while_the_demo_serves)
{
	drop d;
	char root[256], cmd[1024], p[512];
	drop_create(&d, NULL);
	drop_start(&d);
	snprintf(root, sizeof root, "%s/tree", d.dir);
	snprintf(cmd, sizeof cmd, "mkdir -p %s/scripts %s/demo && cp %s %s/scripts/run", root, root,
		 RUN_SCRIPT, root);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(p, sizeof p, "%s/demo/.ghostdrop-demo", root);
	write_file(p, "demo newsroom made by scripts/run\n");
	snprintf(p, sizeof p, "%s/demo/drop.pid", root);
	snprintf(cmd, sizeof cmd, "%d\n", (int)d.pid);
	write_file(p, cmd);
	snprintf(p, sizeof p, "%s/demo/keep", root);
	write_file(p, "data of the running demo\n");
	ck_assert_int_eq(drop_run(&d, "sh", NULL, out, err, sizeof out, "%s/scripts/run", root), 1);
	ck_assert_msg(strstr(err, "the demo is already serving (ghostdropd, pid ") != NULL &&
			      strstr(err, "stop it first (Ctrl-C where scripts/run runs)") != NULL,
		      "%s", err);
	ck_assert_int_eq(access(p, F_OK), 0);
	snprintf(p, sizeof p, "%s/build", root);
	ck_assert(access(p, F_OK) != 0);
	ck_assert_int_eq(kill(d.pid, 0), 0);
	drop_stop(&d, SIGTERM);
	drop_destroy(&d);
}
END_TEST

/* scripts/run says what it does while it builds (a fake dpkg-query, ss and meson: meson
 * fails at once, so nothing is built or installed), and with no demo serving it goes on. */
START_TEST(run_says_what_it_builds)
{
	drop d = {0};
	char root[256], cmd[2048], p[512];
	snprintf(d.dir, sizeof d.dir, "/tmp/gd-run-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d.dir));
	snprintf(root, sizeof root, "%s/tree", d.dir);
	snprintf(cmd, sizeof cmd,
		 "mkdir -p %s/scripts %s/demo %s/bin && cp %s %s/scripts/run && "
		 "cp $(dirname %s)/deps.sh %s/scripts/",
		 root, root, d.dir, RUN_SCRIPT, root, RUN_SCRIPT, root);
	ck_assert_int_eq(system(cmd), 0);
	static const char *const fakes[][2] = {
		{"dpkg-query", "echo 'install ok installed'"},
		{"ss", "exit 0"},
		{"meson", "echo \"fake meson $*\" >&2; exit 1"},
	};
	for (size_t i = 0; i < sizeof fakes / sizeof fakes[0]; i++) {
		snprintf(p, sizeof p, "%s/bin/%s", d.dir, fakes[i][0]);
		snprintf(cmd, sizeof cmd, "#!/bin/sh\n%s\n", fakes[i][1]);
		write_file(p, cmd);
		chmod(p, 0755);
	}
	snprintf(p, sizeof p, "%s/demo/drop.pid", root);
	write_file(p, "999999999\n"); /* a demo that stopped: no process */
	snprintf(cmd, sizeof cmd, "env PATH=%s/bin:/usr/bin:/bin sh", d.dir);
	ck_assert_int_eq(drop_run(&d, cmd, NULL, out, err, sizeof out, "%s/scripts/run", root), 1);
	ck_assert_msg(strstr(out, "== checking the packages ghostdrop needs (scripts/deps.sh)\n"
				  "== configuring the build in ./build (meson setup)\n") != NULL &&
			      strstr(err, "fake meson setup build") != NULL,
		      "%s\n%s", out, err);
	drop_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("drop16");
	TCase *tc = tcase_create("operator");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, version_of_the_daemon);
	tcase_add_test(tc, stats_json_for_a_monitor);
	tcase_add_test(tc, stats_exit_code_when_the_bundle_expires_soon);
	tcase_add_test(tc, purge_all_asks_first);
	tcase_add_test(tc, serve_says_address_and_expiry);
	tcase_add_test(tc, serve_port_in_use_said_once);
	tcase_add_test(tc, not_a_drop_not_a_bundle);
	tcase_add_test(tc, run_refuses_while_the_demo_serves);
	tcase_add_test(tc, run_says_what_it_builds);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
