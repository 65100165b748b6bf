/* Integration tests (issue 16, section 7): ghostdrop-desk on the journalist's path, with the
 * real binaries and a real ghostdropd on 127.0.0.1: passphrase tries and a new passphrase's
 * length on a terminal (a pseudo-terminal), reply from standard input, the nearest name for an
 * unknown one, open's summary, fetch's own flags, the courier token's refusal in words, ack
 * after a failed connection, a missing --out folder, --help and --version. */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "ptyrun.h"
#include "testutil.h"

#define PASS "correct horse battery staple"

static char out[65536], err[65536];
static drop d; /* the drop, and d.dir the test's directory */
static char desk[256], pass[256], srv[64], ks[128], tok[256], source[80];
/* newsroom(): a drop that stores a chunk at a time, slowly (64 KiB chunks, each commit's sync
 * made slow by the slowsync shim), so a worker can be stopped halfway through an upload */
static int slow_drop;

#define DESK(in, ...) drop_run(&d, DESK_BIN, in, out, err, sizeof out, __VA_ARGS__)
#define WORKER(in, ...) drop_run(&d, GHOSTDROP, in, out, err, sizeof out, __VA_ARGS__)

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Ledger's desk with journalist Ana (two Argon2id runs at 256 MiB), made once per run in this
 * process (an unchecked fixture: before the tests are forked) and copied for each test. */
static char tpl[64], tpl_ks[128];

static void make_desk(void)
{
	memset(&d, 0, sizeof d);
	snprintf(tpl, sizeof tpl, "/tmp/gd-desk16-tpl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tpl));
	snprintf(d.dir, sizeof d.dir, "%s", tpl);
	snprintf(desk, sizeof desk, "%s/desk", tpl);
	snprintf(pass, sizeof pass, "%s/pass", tpl);
	write_file(pass, PASS "\n");
	ck_assert_int_eq(
		DESK(NULL, "newsroom init --dir %s --name Ledger --passphrase-file %s", desk, pass),
		0);
	snprintf(tpl_ks, sizeof tpl_ks, "%.*s", GD_KEYSTRING_LEN, out);
	ck_assert_int_eq(DESK(NULL, "journalist add --dir %s Ana --passphrase-file %s", desk, pass),
			 0);
}

static void remove_desk(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tpl);
	ck_assert_int_eq(system(cmd), 0);
}

/* Newsroom Ledger with journalist Ana, a drop serving its bundle, a courier token. */
static void newsroom(void)
{
	char p[512];
	memset(&d, 0, sizeof d);
	snprintf(d.dir, sizeof d.dir, "/tmp/gd-desk16-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d.dir));
	snprintf(desk, sizeof desk, "%s/desk", d.dir);
	snprintf(pass, sizeof pass, "%s/pass", d.dir);
	write_file(pass, PASS "\n");
	snprintf(p, sizeof p, "cp -a %s/desk %s", tpl, desk);
	ck_assert_int_eq(system(p), 0);
	snprintf(ks, sizeof ks, "%s", tpl_ks);
	ck_assert_int_eq(drop_cli(&d, NULL, 0,
				  "init --data %s/data --newsroom %s --listen 127.0.0.1:0", d.dir,
				  ks),
			 0);
	snprintf(p, sizeof p, "%s/data/ghostdropd.conf", d.dir);
	FILE *f = fopen(p, "a");
	fputs("pow_min_bits = 4\npow_max_bits = 8\n", f);
	if (slow_drop)
		fputs("chunk_size_kb = 64\nmax_submit_kb = 64\n", f);
	fclose(f);
	ck_assert_int_eq(
		drop_cli(&d, d.token, sizeof d.token, "token add --data %s/data --name c", d.dir),
		0);
	d.token[strcspn(d.token, "\n")] = '\0';
	snprintf(tok, sizeof tok, "%s/token", d.dir);
	write_file(tok, d.token);
	if (slow_drop) {
		d.preload = SLOWSYNC;
		d.env[0] = "GD_SLOW_SYNC_MS=60";
	}
	drop_start(&d);
	snprintf(srv, sizeof srv, "http://127.0.0.1:%u", d.port);
	ck_assert_int_eq(
		DESK(NULL, "bundle sign --dir %s --server %s --out %s/bundle --passphrase-file %s",
		     desk, srv, d.dir, pass),
		0);
	ck_assert_int_eq(
		drop_cli(&d, NULL, 0, "keys publish --data %s/data %s/bundle", d.dir, d.dir), 0);
}

/* A testimony with a codename, fetched and opened: its source's name into `source`. */
static void one_source(void)
{
	ck_assert_int_eq(
		WORKER("testimony\n",
		       "submit --server %s --newsroom %s --clearnet --codename-out %s/code", srv,
		       ks, d.dir),
		0);
	ck_assert_int_eq(DESK(NULL, "fetch --server %s --token-file %s --clearnet --out %s/batch",
			      srv, tok, d.dir),
			 0);
	ck_assert_int_eq(DESK(NULL,
			      "open --dir %s %s/batch --out %s/opened --passphrase-file %s "
			      "--json",
			      desk, d.dir, d.dir, pass),
			 0);
	json_t *o = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(o);
	const char *folder = json_string_value(
		json_object_get(json_array_get(json_object_get(o, "submissions"), 0), "folder"));
	ck_assert_ptr_nonnull(folder);
	snprintf(source, sizeof source, "%.*s", (int)strcspn(folder, "/"), folder);
	json_decref(o);
}

static void done(void)
{
	drop_destroy(&d);
}

START_TEST(version_and_help)
{
	newsroom();
	ck_assert_int_eq(DESK(NULL, "--version"), 0);
	ck_assert_str_eq(out, "ghostdrop-desk " GD_VERSION "\n");
	ck_assert_int_eq(DESK(NULL, "fetch --version"), 0);
	ck_assert_str_eq(out, "ghostdrop-desk " GD_VERSION "\n");
	ck_assert_int_eq(DESK(NULL, "--help"), 0);
	ck_assert_msg(strstr(out, "8 the drop's answers contradicted its listing") != NULL, "%s",
		      out);
	for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n"))
		ck_assert_msg(strlen(line) <= 80, "longer than 80 columns: %s", line);
	done();
}
END_TEST

/* Three tries for a passphrase typed on a terminal; the third wrong one ends it (exit 3). */
START_TEST(three_passphrase_tries)
{
	char bundle[256], pout[16384];
	newsroom();
	snprintf(bundle, sizeof bundle, "%s/b2", d.dir);
	const char *argv[] = {DESK_BIN,   "bundle", "sign",  "--dir", desk,
			      "--server", srv,      "--out", bundle,  NULL};
	const char *right[] = {
		"(not shown): ", "wrong one\n", "(not shown): ", "wrong two\n", "(not shown): ",
		PASS "\n",       NULL};
	ck_assert_int_eq(pty_run(argv, NULL, right, pout, sizeof pout), 0);
	ck_assert_msg(strstr(pout, "wrong passphrase; try again (2 tries left)") != NULL &&
			      strstr(pout, "wrong passphrase; try again (1 try left)") != NULL,
		      "%s", pout);
	ck_assert_int_eq(access(bundle, F_OK), 0);
	unlink(bundle);
	const char *wrong[] = {
		"(not shown): ", "wrong one\n", "(not shown): ", "wrong two\n", "(not shown): ",
		"wrong three\n", NULL};
	ck_assert_int_eq(pty_run(argv, NULL, wrong, pout, sizeof pout), 3);
	/* on a terminal a long line is wrapped between words */
	ck_assert_msg(strstr(pout, "wrong passphrase (3") != NULL && strstr(pout, "tries)") != NULL,
		      "%s", pout);
	ck_assert(access(bundle, F_OK) != 0);
	done();
}
END_TEST

/* A new key's passphrase: its length is checked at the first entry, before "the same again",
 * and on a terminal it is asked again. */
START_TEST(new_passphrase_checked_at_first_entry)
{
	char pout[16384];
	newsroom();
	const char *argv[] = {DESK_BIN, "journalist", "add", "--dir", desk, "Bob", NULL};
	const char *script[] = {
		"(not shown): ", "short\n", "(not shown): ", PASS "\n", "The same again: ",
		PASS "\n",       NULL};
	ck_assert_int_eq(pty_run(argv, NULL, script, pout, sizeof pout), 0);
	char *len = strstr(pout, "a passphrase for a key is at least 12 characters");
	char *again = strstr(pout, "The same again");
	ck_assert_msg(len != NULL && again != NULL && len < again, "%s", pout);
	done();
}
END_TEST

/* reply takes its text on standard input; --message-file still works. */
START_TEST(reply_from_standard_input)
{
	newsroom();
	one_source();
	ck_assert_int_eq(
		DESK("Thank you: what does idle time mean?\n",
		     "reply --dir %s --as Ana --source %s --out %s/r1 --passphrase-file %s", desk,
		     source, d.dir, pass),
		0);
	ck_assert_int_eq(DESK("Second reply\n",
			      "reply --dir %s --as Ana --source %s --message-file - --out %s/r2 "
			      "--passphrase-file %s",
			      desk, source, d.dir, pass),
			 0);
	ck_assert_int_eq(DESK(NULL, "push --server %s --token-file %s --clearnet %s/r1 %s/r2", srv,
			      tok, d.dir, d.dir),
			 0);
	ck_assert_int_eq(WORKER(NULL,
				"replies --server %s --newsroom %s --clearnet --codename-file "
				"%s/code",
				srv, ks, d.dir),
			 0);
	ck_assert_msg(strstr(out, "Thank you: what does idle time mean?") != NULL &&
			      strstr(out, "Second reply") != NULL,
		      "%s", out);
	ck_assert_int_eq(DESK("",
			      "reply --dir %s --as Ana --source %s --out %s/r3 "
			      "--passphrase-file %s",
			      desk, source, d.dir, pass),
			 2);
	ck_assert_msg(strstr(err, "standard input: a reply is 1 to 65536 bytes of text") != NULL,
		      "%s", err);
	done();
}
END_TEST

/* An unknown source or journalist name gets the nearest known one (also in another case). */
START_TEST(unknown_names_get_the_nearest)
{
	char typo[80], upper[80];
	newsroom();
	one_source();
	snprintf(typo, sizeof typo, "%s", source);
	typo[strlen(typo) - 1] = typo[strlen(typo) - 1] == 'x' ? 'y' : 'x';
	ck_assert_int_eq(DESK("hi\n",
			      "reply --dir %s --as Ana --source %s --out %s/r "
			      "--passphrase-file %s",
			      desk, typo, d.dir, pass),
			 6);
	char want[1024];
	snprintf(want, sizeof want, "no source %s in %s/sources; did you mean %s?", typo, desk,
		 source);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	snprintf(upper, sizeof upper, "%s", source);
	upper[0] = (char)(upper[0] - 'a' + 'A');
	ck_assert_int_eq(DESK("hi\n",
			      "reply --dir %s --as Ana --source %s --out %s/r "
			      "--passphrase-file %s",
			      desk, upper, d.dir, pass),
			 6);
	snprintf(want, sizeof want, "did you mean %s?", source);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	ck_assert_int_eq(DESK("hi\n",
			      "reply --dir %s --as Anna --source %s --out %s/r "
			      "--passphrase-file %s",
			      desk, source, d.dir, pass),
			 2);
	ck_assert_msg(strstr(err, "no journalist 'Anna'; did you mean 'Ana'?") != NULL, "%s", err);
	ck_assert_int_eq(DESK(NULL,
			      "open --dir %s %s/batch --out %s/o2 --as ana "
			      "--passphrase-file %s",
			      desk, d.dir, d.dir, pass),
			 2);
	ck_assert_msg(strstr(err, "no journalist 'ana'; did you mean 'Ana'?") != NULL, "%s", err);
	done();
}
END_TEST

/* open's summary names the folders it made. */
START_TEST(open_summary_names_new_folders)
{
	newsroom();
	ck_assert_int_eq(WORKER("testimony\n",
				"submit --server %s --newsroom %s --clearnet "
				"--no-reply",
				srv, ks),
			 0);
	ck_assert_int_eq(DESK(NULL, "fetch --server %s --token-file %s --clearnet --out %s/batch",
			      srv, tok, d.dir),
			 0);
	ck_assert_int_eq(DESK(NULL,
			      "open --dir %s %s/batch --out %s/opened --passphrase-file %s "
			      "--json",
			      desk, d.dir, d.dir, pass),
			 0);
	json_t *o = json_loads(out, 0, NULL);
	const char *folder = json_string_value(
		json_object_get(json_array_get(json_object_get(o, "submissions"), 0), "folder"));
	char want[512];
	snprintf(want, sizeof want, "new: %s/opened/%s\n", d.dir, folder);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	json_decref(o);
	/* opened again: nothing new, no folder named */
	ck_assert_int_eq(DESK(NULL, "open --dir %s %s/batch --out %s/opened --passphrase-file %s",
			      desk, d.dir, d.dir, pass),
			 0);
	ck_assert_msg(strstr(err, "new: ") == NULL, "%s", err);
	done();
}
END_TEST

/* fetch refuses what belongs to the offline commands; GHOSTDROP_DESK_DIR is no flag. */
START_TEST(fetch_refuses_foreign_flags)
{
	newsroom();
	static const char *const foreign[][3] = {
		{"--dir", "/tmp", "--dir"},
		{"--as", "Ana", "--as"},
		{"--passphrase-file", "/tmp/p", "--passphrase-file"},
		{"-j", "2", "--jobs"},
		{"--ack-out", "/tmp/a", "--ack-out"}};
	for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
		ck_assert_int_eq(DESK(NULL,
				      "fetch --server %s --token-file %s --clearnet --out "
				      "%s/b %s %s",
				      srv, tok, d.dir, foreign[i][0], foreign[i][1]),
				 2);
		char want[200];
		snprintf(want, sizeof want, "fetch does not take %s (fetch takes ", foreign[i][2]);
		ck_assert_msg(strstr(err, want) != NULL, "%s: %s", foreign[i][0], err);
	}
	ck_assert_int_eq(drop_run(&d, "env GHOSTDROP_DESK_DIR=/tmp " DESK_BIN, NULL, out, err,
				  sizeof out,
				  "fetch --server %s --token-file %s --clearnet --out %s/b", srv,
				  tok, d.dir),
			 0);
	done();
}
END_TEST

/* A wrong or revoked courier token is named as such, with what to do. */
START_TEST(wrong_token_in_words)
{
	char p[256];
	newsroom();
	snprintf(p, sizeof p, "%s/short", d.dir);
	write_file(p, "abc\n");
	ck_assert_int_eq(DESK(NULL, "fetch --server %s --token-file %s --clearnet --out %s/b", srv,
			      p, d.dir),
			 5);
	char want[1024];
	snprintf(want, sizeof want,
		 "the drop refused the courier token in %s: it is wrong or was revoked; ask the "
		 "drop's operator for a new one (ghostdropd token add)",
		 p);
	ck_assert_msg(strstr(err, want) != NULL && strstr(err, "is required") == NULL, "%s", err);
	ck_assert_int_eq(drop_cli(&d, NULL, 0, "token revoke --data %s/data c", d.dir), 0);
	ck_assert_int_eq(DESK(NULL, "fetch --server %s --token-file %s --clearnet --out %s/b", srv,
			      tok, d.dir),
			 5);
	snprintf(want, sizeof want, "the drop refused the courier token in %s", tok);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	done();
}
END_TEST

/* ack after a failed connection says so, without a "0 deleted" line; fetch --out into a
 * missing folder says so before connecting. */
START_TEST(ack_and_fetch_fail_plainly)
{
	char p[256];
	newsroom();
	snprintf(p, sizeof p, "%s/ack", d.dir);
	write_file(p, "{\"ghostdrop_ack\":1,\"acks\":[{\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\","
		      "\"ack_key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}");
	ck_assert_int_eq(
		DESK(NULL, "ack --server http://127.0.0.1:1 --token-file %s --clearnet %s", tok, p),
		4);
	ck_assert_msg(strstr(err, "deleted") == NULL &&
			      strstr(err, "cannot connect to 127.0.0.1:1") != NULL,
		      "%s", err);
	ck_assert_int_eq(DESK(NULL,
			      "fetch --server http://127.0.0.1:1 --token-file %s --clearnet "
			      "--out %s/nowhere/batch",
			      tok, d.dir),
			 6);
	char want[1024];
	snprintf(want, sizeof want, "--out %s/nowhere/batch: the folder %s/nowhere does not exist",
		 d.dir, d.dir);
	ck_assert_msg(strstr(err, want) != NULL && strstr(err, "No such file") == NULL, "%s", err);
	done();
}
END_TEST

/* Issue 16, 3, at the journalist's desk: an upload killed (kill -9) halfway and continued by
 * the same command with --state-dir is fetched and opened by ghostdrop-desk, byte-identical. */
static int resume_records(const char *dir)
{
	int n = 0;
	DIR *dd = opendir(dir);
	struct dirent *e;
	while (dd != NULL && (e = readdir(dd)) != NULL)
		n += strncmp(e->d_name, "resume-", 7) == 0;
	if (dd != NULL)
		closedir(dd);
	return n;
}

START_TEST(resumed_upload_opens_at_the_desk)
{
	slow_drop = 1;
	newsroom();
	slow_drop = 0;
	char csv[512], msg[512], state[512], cmd[4096], got[512];
	snprintf(csv, sizeof csv, "%s/rates.csv", d.dir);
	snprintf(msg, sizeof msg, "%s/msg.txt", d.dir);
	snprintf(state, sizeof state, "%s/state", d.dir);
	write_file(msg, "The rates changed in November.\n");
	size_t len = 0, cap = 1u << 20;
	char *data = malloc(cap + 64);
	ck_assert_ptr_nonnull(data);
	for (unsigned i = 0; len < cap; i++)
		len += (size_t)snprintf(data + len, cap + 64 - len, "task-%u,0.%02u\n", i, i % 100);
	write_bytes(csv, data, len);
	snprintf(cmd, sizeof cmd,
		 "exec %s submit --server %s --newsroom %s --clearnet --no-reply --yes --state-dir "
		 "%s --message-file %s %s >/dev/null 2>&1 </dev/null",
		 GHOSTDROP, srv, ks, state, msg, csv);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* the record is written before the first chunk; a few chunks later, the process dies */
	for (int i = 0; i < 400 && resume_records(state) == 0; i++)
		usleep(25000);
	ck_assert_int_eq(resume_records(state), 1);
	usleep(400000);
	kill(pid, SIGKILL);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	/* the same command again continues what the drop holds, then forgets the record */
	ck_assert_int_eq(WORKER(NULL,
				"submit --server %s --newsroom %s --clearnet --no-reply --yes "
				"--state-dir %s --message-file %s %s",
				srv, ks, state, msg, csv),
			 0);
	ck_assert_msg(strstr(err, "continuing the interrupted upload: the drop holds ") != NULL,
		      "%s", err);
	ck_assert_int_eq(resume_records(state), 0);
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	/* the courier fetches it, the desk opens it: the file as the worker had it */
	ck_assert_int_eq(DESK(NULL, "fetch --server %s --token-file %s --clearnet --out %s/batch",
			      srv, tok, d.dir),
			 0);
	ck_assert_int_eq(DESK(NULL,
			      "open --dir %s %s/batch --out %s/opened --passphrase-file %s --json",
			      desk, d.dir, d.dir, pass),
			 0);
	json_t *o = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(o);
	json_t *subs = json_object_get(o, "submissions");
	ck_assert_uint_eq(json_array_size(subs), 1);
	const char *folder = json_string_value(json_object_get(json_array_get(subs, 0), "folder"));
	ck_assert_ptr_nonnull(folder);
	snprintf(got, sizeof got, "%s/opened/%s/attachment-1.csv", d.dir, folder);
	json_decref(o);
	FILE *f = fopen(got, "rb");
	ck_assert_msg(f != NULL, "%s", got);
	char *back = malloc(len + 1);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(fread(back, 1, len + 1, f), len);
	fclose(f);
	ck_assert(memcmp(back, data, len) == 0);
	free(back);
	free(data);
	done();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("desk16");
	TCase *tc = tcase_create("desk");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, make_desk, remove_desk);
	tcase_add_test(tc, version_and_help);
	tcase_add_test(tc, three_passphrase_tries);
	tcase_add_test(tc, new_passphrase_checked_at_first_entry);
	tcase_add_test(tc, reply_from_standard_input);
	tcase_add_test(tc, unknown_names_get_the_nearest);
	tcase_add_test(tc, open_summary_names_new_folders);
	tcase_add_test(tc, fetch_refuses_foreign_flags);
	tcase_add_test(tc, wrong_token_in_words);
	tcase_add_test(tc, ack_and_fetch_fail_plainly);
	tcase_add_test(tc, resumed_upload_opens_at_the_desk);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
