/* Integration tests: the real ghostdropd on 127.0.0.1 with a throwaway data directory. */
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <time.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "store.h"
#include "testutil.h"

static gd_source_keys *src;

static void setup(void)
{
	uint8_t nr[32] = {4};
	src = test_source("zoom abacus yo-yo able ablaze abide zoologist felt-tip", nr);
}

static void envelope(const drop *d, const char *text, size_t att_len, membuf *out, uint8_t ack[32])
{
	drop_envelope(d, src, text, att_len, out, ack);
}

START_TEST(bundle_served)
{
	drop d;
	resp r;
	drop_create(&d, NULL);
	drop_start(&d);
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/limits", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(
		(char *)r.body,
		"{\"checks\":[\"blake2b\",\"poly1305\"],\"chunk_size\":65536,\"max_envelope\":"
		"4294967296,\"max_submit\":65536}\n");
	resp_free(&r);
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/bundle", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, d.bundle_len);
	ck_assert(memcmp(r.body, d.bundle, r.len) == 0);
	gd_bundle *b = calloc(1, sizeof *b);
	ck_assert_int_eq(gd_bundle_verify(b, r.body, r.len, d.root_pk, time(NULL), 1), GD_OK);
	free(b);
	resp_free(&r);
	/* a bundle signed by another key is refused, and the old one stays */
	char out[256], path[256];
	uint8_t pk[32], sk[64], *forged;
	size_t flen;
	crypto_sign_keypair(pk, sk);
	gd_bundle *fb = calloc(1, sizeof *fb);
	ck_assert_int_eq(gd_bundle_verify(fb, d.bundle, d.bundle_len, d.root_pk, time(NULL), 0),
			 GD_OK);
	fb->version = 2;
	ck_assert_int_eq(gd_bundle_sign(&forged, &flen, fb, sk), GD_OK);
	snprintf(path, sizeof path, "%s/forged.gdkb", d.dir);
	FILE *f = fopen(path, "wb");
	fwrite(forged, 1, flen, f);
	fclose(f);
	ck_assert_int_eq(
		drop_cli(&d, out, sizeof out, "keys publish --data %s/data %s", d.dir, path), 3);
	/* older than the current one: refused */
	fb->version = 1;
	fb->expires -= 1;
	free(forged);
	ck_assert_int_eq(gd_bundle_sign(&forged, &flen, fb, d.root_sk), GD_OK);
	f = fopen(path, "wb");
	fwrite(forged, 1, flen, f);
	fclose(f);
	ck_assert_int_eq(
		drop_cli(&d, out, sizeof out, "keys publish --data %s/data %s", d.dir, path), 3);
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/bundle", NULL, NULL, 0, &r), 0);
	ck_assert(r.len == d.bundle_len && memcmp(r.body, d.bundle, r.len) == 0);
	resp_free(&r);
	free(forged);
	free(fb);
	drop_destroy(&d);
}
END_TEST

START_TEST(submit_fetch_ack)
{
	drop d;
	resp r;
	membuf env;
	uint8_t id[16], ack[32];
	char idb[32], path[128], body[128];
	drop_create(&d, NULL);
	drop_start(&d);
	envelope(&d, "PLAINTEXT-MARKER-7f3a: we rate chatbot answers for $1.50/h", 3000, &env, ack);
	randombytes_buf(id, 16);
	test_b64(idb, sizeof idb, id, 16);
	post_submission(&d, id, &env, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 201);
	ck_assert(strstr((char *)r.body, "\"stored\"") != NULL);
	resp_free(&r);
	/* a retry after a lost answer: already stored, never a duplicate */
	post_submission(&d, id, &env, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr((char *)r.body, "already_stored") != NULL);
	resp_free(&r);
	/* the same id with another envelope */
	membuf other;
	envelope(&d, "something else", 10, &other, NULL);
	post_submission(&d, id, &other, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 409);
	ck_assert_str_eq(r.error, "id_conflict");
	resp_free(&r);
	membuf_free(&other);

	/* courier: list, download (the exact bytes), open, ack */
	ck_assert_int_eq(
		http_do(d.port, "GET", "/v1/courier/submissions", drop_auth(&d), NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr((char *)r.body, idb) != NULL);
	ck_assert(strstr((char *)r.body, "\"fetched\":false") != NULL);
	resp_free(&r);
	snprintf(path, sizeof path, "/v1/courier/submissions/%s", idb);
	ck_assert_int_eq(http_do(d.port, "GET", path, drop_auth(&d), NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, env.len);
	ck_assert(memcmp(r.body, env.buf, env.len) == 0);
	membuf got = {.buf = r.body, .len = r.len};
	boxkey k;
	memcpy(k.pk, d.jpk, 32);
	memcpy(k.sk, d.jsk, 32);
	gd_open_result res;
	ck_assert_int_eq(open_from(&got, &k, 1, NULL, &res), GD_OK);
	ck_assert(memcmp(res.ack_key, ack, 32) == 0);
	resp_free(&r);
	/* nobody without a token */
	ck_assert_int_eq(http_do(d.port, "GET", path, NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	ck_assert_int_eq(
		http_do(d.port, "GET", path,
			"Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n",
			NULL, 0, &r),
		0);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	/* a stolen token cannot delete unread testimony: the ack key is needed */
	char kb[64];
	uint8_t wrong[32];
	randombytes_buf(wrong, 32);
	test_b64(kb, sizeof kb, wrong, 32);
	snprintf(path, sizeof path, "/v1/courier/submissions/%s/ack", idb);
	snprintf(body, sizeof body, "{\"ack_key\":\"%s\"}", kb);
	ck_assert_int_eq(http_do(d.port, "POST", path, drop_auth(&d), body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "bad_ack_key");
	resp_free(&r);
	ck_assert_int_eq(
		http_do(d.port, "GET", "/v1/courier/submissions", drop_auth(&d), NULL, 0, &r), 0);
	ck_assert(strstr((char *)r.body, idb) != NULL);
	ck_assert(strstr((char *)r.body, "\"fetched\":true") != NULL); /* retention clock started */
	resp_free(&r);
	test_b64(kb, sizeof kb, ack, 32);
	snprintf(body, sizeof body, "{\"ack_key\":\"%s\"}", kb);
	ck_assert_int_eq(http_do(d.port, "POST", path, drop_auth(&d), body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	ck_assert_int_eq(
		http_do(d.port, "GET", "/v1/courier/submissions", drop_auth(&d), NULL, 0, &r), 0);
	ck_assert(strstr((char *)r.body, idb) == NULL);
	resp_free(&r);
	membuf_free(&env);
	drop_stop(&d, SIGTERM);
	/* metadata: the log never names the client (127.0.0.1) nor the plaintext */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "! grep -q -e 127.0.0.1 -e PLAINTEXT-MARKER %s/daemon.log",
		 d.dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "! grep -q -a PLAINTEXT-MARKER %s/data/db/data.mdb", d.dir);
	ck_assert_int_eq(system(cmd), 0);
	drop_destroy(&d);
}
END_TEST

/* ?offset=N resumes a courier download anywhere, across chunk boundaries. */
START_TEST(courier_download_offset)
{
	drop d;
	resp r;
	membuf env;
	uint8_t id[16];
	char idb[32], path[160];
	drop_create(&d, "max_submit_kb = 512"); /* three 64 KiB chunks */
	drop_start(&d);
	envelope(&d, "resume me", 150000, &env, NULL);
	randombytes_buf(id, 16);
	test_b64(idb, sizeof idb, id, 16);
	post_submission(&d, id, &env, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	const uint64_t offs[] = {0, 1, 65535, 65536, 65537, 140000, env.len - 1, env.len};
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		snprintf(path, sizeof path, "/v1/courier/submissions/%s?offset=%llu", idb,
			 (unsigned long long)offs[i]);
		ck_assert_int_eq(http_do(d.port, "GET", path, drop_auth(&d), NULL, 0, &r), 0);
		ck_assert_int_eq(r.status, 200);
		ck_assert_uint_eq(r.len, env.len - offs[i]);
		ck_assert(r.len == 0 || memcmp(r.body, env.buf + offs[i], r.len) == 0);
		resp_free(&r);
	}
	char past[32];
	snprintf(past, sizeof past, "%zu", env.len + 1);
	const char *bad[] = {past, "abc", "-1", "", "1x", "99999999999999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(path, sizeof path, "/v1/courier/submissions/%s?offset=%s", idb, bad[i]);
		ck_assert_int_eq(http_do(d.port, "GET", path, drop_auth(&d), NULL, 0, &r), 0);
		ck_assert_msg(r.status == 400, "offset=%s: %d", bad[i], r.status);
		ck_assert_str_eq(r.error, "bad_offset");
		resp_free(&r);
	}
	membuf_free(&env);
	drop_stop(&d, SIGTERM);
	drop_destroy(&d);
}
END_TEST

/* The value of a "Name:\t..." line of /proc/PID/status or /proc/PID/limits. */
static int proc_line(pid_t pid, const char *file, const char *name, char *out, size_t cap)
{
	char p[64], line[256];
	snprintf(p, sizeof p, "/proc/%d/%s", (int)pid, file);
	FILE *f = fopen(p, "r");
	ck_assert_ptr_nonnull(f);
	int found = 0;
	while (!found && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, name, strlen(name)) == 0) {
			const char *v = line + strlen(name);
			while (*v == ' ' || *v == '\t' || *v == ':')
				v++;
			snprintf(out, cap, "%s", v);
			out[strcspn(out, "\n")] = '\0';
			found = 1;
		}
	fclose(f);
	return found;
}

static int log_has(const drop *d, const char *file, const char *text)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "grep -q -- '%s' %s/%s", text, d->dir, file);
	return system(cmd) == 0;
}

/* A drop parses what strangers send: it never serves as root, it switches to the user it is
 * given right after binding, for good, and it leaves no core. */
START_TEST(privileges)
{
	drop d;
	resp r;
	char v[256];
	drop_create(&d, NULL);
	if (geteuid() == 0) {
		ck_assert_int_eq(drop_cli(&d, NULL, 0, "serve --data %s/data", d.dir), 2);
		ck_assert(log_has(&d, "cli.log", "refusing to serve as root"));
		ck_assert_int_eq(drop_cli(&d, NULL, 0, "serve --data %s/data --user root", d.dir),
				 2);
		ck_assert_int_eq(
			drop_cli(&d, NULL, 0, "serve --data %s/data --user no-such-user-gd", d.dir),
			2);
		drop_start(&d); /* with --user nobody */
		struct passwd *pw = getpwnam("nobody");
		ck_assert_ptr_nonnull(pw);
		char want[128];
		snprintf(want, sizeof want, "%u\t%u\t%u\t%u", pw->pw_uid, pw->pw_uid, pw->pw_uid,
			 pw->pw_uid);
		ck_assert(proc_line(d.pid, "status", "Uid", v, sizeof v));
		ck_assert_str_eq(v, want);
		snprintf(want, sizeof want, "%u\t%u\t%u\t%u", pw->pw_gid, pw->pw_gid, pw->pw_gid,
			 pw->pw_gid);
		ck_assert(proc_line(d.pid, "status", "Gid", v, sizeof v));
		ck_assert_str_eq(v, want);
		ck_assert(proc_line(d.pid, "status", "Groups", v, sizeof v));
		ck_assert_str_eq(v, ""); /* root's supplementary groups are gone */
		ck_assert(proc_line(d.pid, "status", "CapEff", v, sizeof v));
		ck_assert_str_eq(v, "0000000000000000");
		ck_assert(proc_line(d.pid, "status", "CapPrm", v, sizeof v));
		ck_assert_str_eq(v, "0000000000000000");
		ck_assert(proc_line(d.pid, "status", "NoNewPrivs", v, sizeof v));
		ck_assert_str_eq(v, "1");
		/* not dumpable: the kernel hands its /proc files to root, not to the user it runs
		 * as */
		char pf[64];
		struct stat sb;
		snprintf(pf, sizeof pf, "/proc/%d/status", (int)d.pid);
		ck_assert_int_eq(stat(pf, &sb), 0);
		ck_assert_uint_eq(sb.st_uid, 0);
	} else {
		ck_assert_int_eq(drop_cli(&d, NULL, 0, "serve --data %s/data --user nobody", d.dir),
				 2);
		ck_assert(log_has(&d, "cli.log", "--user needs root"));
		fprintf(stderr,
			"privileges: not root: --user is refused; switching users is checked when "
			"the suite runs as root\n");
		drop_start(&d);
		char want[64];
		snprintf(want, sizeof want, "%u", getuid());
		ck_assert(proc_line(d.pid, "status", "Uid", v, sizeof v));
		ck_assert(strncmp(v, want, strlen(want)) == 0);
	}
	ck_assert(proc_line(d.pid, "limits", "Max core file size", v, sizeof v));
	ck_assert(strncmp(v, "0", 1) == 0);
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/limits", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200); /* and it serves, from its own files */
	resp_free(&r);
	drop_stop(&d, SIGTERM);
	drop_destroy(&d);
}
END_TEST

/* --seccomp (every daemon test runs with it, tests/daemon.c): a system call outside the list
 * kills the drop with SIGSYS. */
START_TEST(seccomp_kills_forbidden_syscalls)
{
#if defined(__SANITIZE_ADDRESS__)
	fprintf(stderr,
		"seccomp: not checked under AddressSanitizer, whose runtime makes system calls "
		"of its own; the normal build checks it\n");
#else
	drop d;
	resp r;
	int st;
	drop_create(&d, NULL);
	d.preload = SIGSYS_SHIM;
	drop_start(&d);
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/limits", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "grep -q 'serving (port [0-9]*), sandboxed' %s/daemon.log",
		 d.dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(kill(d.pid, SIGUSR2), 0); /* the shim calls getppid() */
	ck_assert_int_eq(waitpid(d.pid, &st, 0), d.pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "not killed by SIGSYS (status %d)",
		      st);
	d.pid = 0;
	drop_destroy(&d);
#endif
}
END_TEST

/* A challenge solved too late is refused as expired (the drop's clock moved ten minutes on,
 * by a preloaded shim, within one run); a fresh one is accepted. */
START_TEST(pow_expires)
{
	drop d;
	resp r;
	membuf env;
	uint8_t id[16];
	char pow[256];
	drop_create(&d, NULL);
	d.preload = TIMESHIFT;
	drop_start(&d);
	envelope(&d, "late", 0, &env, NULL);
	randombytes_buf(id, 16);
	pow_header(d.port, "submit", 0, pow, sizeof pow);
	ck_assert_int_eq(kill(d.pid, SIGUSR1), 0); /* ten minutes later: past its 300 s */
	usleep(100000);
	post_submission(&d, id, &env, pow, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_expired");
	resp_free(&r);
	post_submission(&d, id, &env, NULL, NULL, &r); /* a fresh challenge */
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

START_TEST(pow_refusals)
{
	drop d;
	resp r;
	membuf env;
	uint8_t id[16];
	char pow[256], other[256];
	drop_create(&d, NULL);
	drop_start(&d);
	envelope(&d, "pow", 0, &env, NULL);
	randombytes_buf(id, 16);
	post_submission(&d, id, &env, "", NULL, &r); /* empty header value */
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	pow_header(d.port, "submit", 0, pow, sizeof pow);
	post_submission(&d, id, &env, pow, NULL, &r);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	/* replayed, for another envelope */
	randombytes_buf(id, 16);
	post_submission(&d, id, &env, pow, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_replayed");
	resp_free(&r);
	/* made for another endpoint */
	pow_header(d.port, "mailbox", 0, other, sizeof other);
	post_submission(&d, id, &env, other, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_purpose");
	resp_free(&r);
	/* a wrong counter */
	pow_header(d.port, "submit", 0, other, sizeof other);
	char *dot = strrchr(other, '.');
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	size_t n;
	gd_b64_decode(ch, sizeof ch, &n, other, (size_t)(dot - other));
	uint64_t bad = 0;
	while (gd_pow_leading_zeros(ch, bad) >= 4)
		bad++;
	snprintf(dot + 1, 24, "%llu", (unsigned long long)bad);
	post_submission(&d, id, &env, other, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_invalid");
	resp_free(&r);
	/* a challenge from before a restart dies with it (the key is RAM only) */
	pow_header(d.port, "submit", 0, other, sizeof other);
	drop_stop(&d, SIGTERM);
	drop_start(&d);
	post_submission(&d, id, &env, other, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_invalid");
	resp_free(&r);
	/* and none at all */
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/submissions",
				 "Content-Type: application/octet-stream\r\nX-Ghostdrop-Id: "
				 "AAAAAAAAAAAAAAAAAAAAAA\r\n",
				 env.buf, env.len, &r),
			 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_required");
	resp_free(&r);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

START_TEST(bad_input)
{
	drop d;
	resp r;
	membuf env;
	uint8_t id[16];
	drop_create(&d, NULL);
	drop_start(&d);
	envelope(&d, "bad input", 0, &env, NULL);
	randombytes_buf(id, 16);
	post_submission(&d, id, &env, NULL, "text/plain", &r);
	ck_assert_int_eq(r.status, 415);
	ck_assert_str_eq(r.error, "bad_content_type");
	resp_free(&r);
	/* truncated envelope (its hash header matches what was sent) */
	membuf cut = env;
	cut.len -= 100;
	post_submission(&d, id, &cut, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.error, "bad_envelope");
	resp_free(&r);
	/* oversize: max_submit_kb = 64 in tests */
	membuf big;
	envelope(&d, "big", 70000, &big, NULL);
	post_submission(&d, id, &big, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 413);
	ck_assert_str_eq(r.error, "body_too_large");
	resp_free(&r);
	membuf_free(&big);
	/* hash mismatch */
	char pow[256], hdr[1024];
	pow_header(d.port, "submit", 0, pow, sizeof pow);
	snprintf(hdr, sizeof hdr,
		 "Content-Type: application/octet-stream\r\nX-Ghostdrop-Id: "
		 "AAAAAAAAAAAAAAAAAAAAAA\r\n"
		 "X-Ghostdrop-Hash: "
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\nX-Ghostdrop-PoW: %s\r\n",
		 pow);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/submissions", hdr, env.buf, env.len, &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.error, "hash_mismatch");
	resp_free(&r);
	static const struct {
		const char *method, *path, *headers, *body;
		int status;
		const char *error;
	} cases[] = {
		{"GET", "/nope", NULL, NULL, 404, "not_found"},
		{"GET", "/v1/bundle/x", NULL, NULL, 404, "not_found"},
		{"DELETE", "/v1/bundle", NULL, NULL, 405, "method_not_allowed"},
		{"POST", "/v1/pow?purpose=coffee", NULL, NULL, 400, "bad_request"},
		{"POST", "/v1/pow?purpose=upload&size=-1", NULL, NULL, 400, "bad_size"},
		{"POST", "/v1/mailbox/fetch", NULL, "{not json", 403, "pow_required"},
		{"POST", "/v1/mailbox/challenge", NULL, NULL, 404, "not_found"},
		{"GET", "/v1/uploads/AAAAAAAAAAAAAAAAAAAAAA", NULL, NULL, 404, "upload_not_found"},
		{"GET", "/v1/uploads/not-base64!", NULL, NULL, 404, "upload_not_found"},
		{"GET", "/v1/courier/submissions/xyz", "Authorization: Bearer nope\r\n", NULL, 401,
		 "unauthorized"},
		{"POST", "/v1/submissions", "Transfer-Encoding: chunked\r\n", NULL, 501,
		 "unsupported_transfer_encoding"},
		{"POST", "/v1/submissions", "Content-Length: 5\r\n", NULL, 400, "bad_request"},
		{"GET", "/v1/bundle", "Bad Header\r\n", NULL, 400, "bad_request"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(http_do(d.port, cases[i].method, cases[i].path, cases[i].headers,
					 cases[i].body, cases[i].body ? strlen(cases[i].body) : 0,
					 &r),
				 0);
		ck_assert_msg(r.status == cases[i].status, "%s %s: %d", cases[i].method,
			      cases[i].path, r.status);
		ck_assert_str_eq(r.error, cases[i].error);
		resp_free(&r);
	}
	/* refused from its headers, its body unread: the connection closes, so a request hidden
	 * in that body is never served (no request smuggling) */
	{
		const char *hidden = "GET /v1/bundle HTTP/1.1\r\nHost: x\r\n\r\n";
		char req[512], got[8192] = {0};
		int n = snprintf(req, sizeof req,
				 "POST /v1/submissions HTTP/1.1\r\nContent-Type: "
				 "application/octet-stream\r\n"
				 "Content-Length: %zu\r\n\r\n%s",
				 strlen(hidden), hidden);
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(d.port)};
		inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
		ck_assert_int_eq(send(fd, req, (size_t)n, 0), n);
		size_t total = 0;
		ssize_t k;
		while ((k = recv(fd, got + total, sizeof got - 1 - total, 0)) > 0)
			total += (size_t)k;
		close(fd);
		ck_assert(strstr(got, "HTTP/1.1 400") == got);
		ck_assert(strstr(got, "Connection: close") != NULL);
		ck_assert(strstr(got + 5, "HTTP/1.1") == NULL); /* one answer only */
	}
	/* but a request read whole keeps the connection, also when the handler took its body
	 * (a submission): a second request on the same connection is answered */
	{
		membuf ok;
		uint8_t oid[16], h[32];
		char pw[256], idb[32], hb[64];
		envelope(&d, "keep-alive", 0, &ok, NULL);
		randombytes_buf(oid, 16);
		test_b64(idb, sizeof idb, oid, 16);
		crypto_generichash(h, 32, ok.buf, ok.len, NULL, 0);
		test_b64(hb, sizeof hb, h, 32);
		pow_header(d.port, "submit", 0, pw, sizeof pw);
		size_t cap = ok.len + 2048, n;
		char *req = malloc(cap), *got = calloc(1, 16384);
		n = (size_t)snprintf(
			req, cap,
			"POST /v1/submissions HTTP/1.1\r\nContent-Type: "
			"application/octet-stream\r\n"
			"Content-Length: %zu\r\nX-Ghostdrop-Id: %s\r\nX-Ghostdrop-Hash: %s\r\n"
			"X-Ghostdrop-PoW: %s\r\n\r\n",
			ok.len, idb, hb, pw);
		memcpy(req + n, ok.buf, ok.len);
		n += ok.len;
		n += (size_t)snprintf(req + n, cap - n,
				      "GET /v1/bundle HTTP/1.1\r\nConnection: close\r\n\r\n");
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(d.port)};
		inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
		ck_assert_int_eq(send(fd, req, n, 0), (ssize_t)n);
		size_t total = 0;
		ssize_t k;
		while ((k = recv(fd, got + total, 16383 - total, 0)) > 0)
			total += (size_t)k;
		close(fd);
		ck_assert(strstr(got, "HTTP/1.1 201") == got);
		ck_assert(strstr(got, "Connection: keep-alive") != NULL);
		ck_assert(strstr(got + 5, "HTTP/1.1 200") != NULL); /* the second request */
		free(req);
		free(got);
		membuf_free(&ok);
		/* the bad-input checks below expect an empty drop */
		ck_assert_int_eq(drop_cli(&d, NULL, 0, "purge --data %s/data --all --yes", d.dir),
				 0);
	}
	/* a courier reply that is not shaped like one */
	const char *rb = "{\"mailbox_id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"reply\":\"AAAA\"}";
	ck_assert_int_eq(
		http_do(d.port, "POST", "/v1/courier/replies", drop_auth(&d), rb, strlen(rb), &r),
		0);
	ck_assert_msg(r.status == 400, "status %d: %s", r.status, (char *)r.body);
	ck_assert_msg(strcmp(r.error, "bad_reply") == 0, "body: %s", (char *)r.body);
	resp_free(&r);
	/* nothing above changed anything */
	ck_assert_int_eq(
		http_do(d.port, "GET", "/v1/courier/submissions", drop_auth(&d), NULL, 0, &r), 0);
	ck_assert_str_eq((char *)r.body, "{\"submissions\":[]}\n");
	resp_free(&r);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

static int forge;

/* A mailbox request (PROTOCOL.md §11.3): the PoW header into hdr, the signed body into out. */
static char hdr_mb[512];
static void mailbox_auth_json(const drop *d, char *out, size_t cap, const char *extra,
			      const uint8_t *mailbox_sk)
{
	uint8_t ch[GD_POW_CHALLENGE_BYTES], sig[64];
	size_t n;
	char pow[256], pk[64], sigb[128];
	pow_header(d->port, "mailbox", 0, pow, sizeof pow);
	ck_assert_int_eq(gd_b64_decode(ch, sizeof ch, &n, pow, (size_t)(strchr(pow, '.') - pow)),
			 GD_OK);
	ck_assert_uint_eq(n, sizeof ch);
	if (forge) { /* a challenge the drop never issued: its MAC is wrong */
		char chb[128];
		randombytes_buf(ch + 40, 32);
		test_b64(chb, sizeof chb, ch, sizeof ch);
		snprintf(hdr_mb, sizeof hdr_mb, "X-Ghostdrop-PoW: %s%s\r\n", chb, strchr(pow, '.'));
	} else {
		snprintf(hdr_mb, sizeof hdr_mb, "X-Ghostdrop-PoW: %s\r\n", pow);
	}
	gd_mailbox_sign(sig, ch, sizeof ch, mailbox_sk);
	test_b64(pk, sizeof pk, src->mailbox_pk, 32);
	test_b64(sigb, sizeof sigb, sig, 64);
	snprintf(out, cap, "{\"mailbox_pk\":\"%s\",\"signature\":\"%s\"%s}", pk, sigb,
		 extra ? extra : "");
}

START_TEST(replies_and_mailbox)
{
	drop d;
	resp r;
	char body[4096], mb[32], *blobb;
	drop_create(&d, NULL);
	drop_start(&d);
	/* a journalist's reply, pushed by the courier */
	uint8_t *blob;
	size_t blen;
	ck_assert_int_eq(gd_reply_seal(&blob, &blen, "Thank you for writing.", 22, src->mailbox_id,
				       gd_day(time(NULL)), d.jsk, src->reply_pk),
			 GD_OK);
	blobb = malloc(blen * 2);
	test_b64(blobb, blen * 2, blob, blen);
	test_b64(mb, sizeof mb, src->mailbox_id, 16);
	char *push = malloc(blen * 2 + 128);
	snprintf(push, blen * 2 + 128, "{\"mailbox_id\":\"%s\",\"reply\":\"%s\"}", mb, blobb);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/courier/replies", drop_auth(&d), push,
				 strlen(push), &r),
			 0);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	ck_assert_int_eq(
		http_do(d.port, "POST", "/v1/courier/replies", NULL, push, strlen(push), &r), 0);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	/* the source fetches by signing a fresh challenge with its mailbox key */
	mailbox_auth_json(&d, body, sizeof body, NULL, src->mailbox_sk);
	ck_assert_int_eq(
		http_do(d.port, "POST", "/v1/mailbox/fetch", hdr_mb, body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 200);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
	json_t *list = json_object_get(o, "replies");
	ck_assert_uint_eq(json_array_size(list), 1);
	const char *rb = json_string_value(json_object_get(json_array_get(list, 0), "reply"));
	char rid[64];
	snprintf(rid, sizeof rid, "%s",
		 json_string_value(json_object_get(json_array_get(list, 0), "id")));
	uint8_t *got = malloc(strlen(rb));
	size_t glen;
	ck_assert_int_eq(gd_b64_decode(got, strlen(rb), &glen, rb, strlen(rb)), GD_OK);
	gd_bundle *b = calloc(1, sizeof *b);
	ck_assert_int_eq(gd_bundle_verify(b, d.bundle, d.bundle_len, d.root_pk, time(NULL), 0),
			 GD_OK);
	gd_reply rep;
	ck_assert_int_eq(gd_reply_open(&rep, got, glen, src, b), GD_OK);
	ck_assert_str_eq(rep.text, "Thank you for writing.");
	gd_reply_clear(&rep);
	json_decref(o);
	resp_free(&r);
	/* the challenge is single-use */
	ck_assert_int_eq(
		http_do(d.port, "POST", "/v1/mailbox/fetch", hdr_mb, body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_replayed");
	resp_free(&r);
	/* a challenge the drop did not issue (its MAC is wrong) */
	forge = 1;
	mailbox_auth_json(&d, body, sizeof body, NULL, src->mailbox_sk);
	forge = 0;
	ck_assert_int_eq(
		http_do(d.port, "POST", "/v1/mailbox/fetch", hdr_mb, body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_invalid");
	resp_free(&r);
	/* signed by the wrong key (the identity key, say) */
	mailbox_auth_json(&d, body, sizeof body, NULL, src->identity_sk);
	ck_assert_int_eq(
		http_do(d.port, "POST", "/v1/mailbox/fetch", hdr_mb, body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "bad_signature");
	resp_free(&r);
	/* ack deletes; then the mailbox answers exactly like a mailbox that never existed */
	char extra[128];
	snprintf(extra, sizeof extra, ",\"ids\":[\"%s\"]", rid);
	mailbox_auth_json(&d, body, sizeof body, extra, src->mailbox_sk);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/mailbox/ack", hdr_mb, body, strlen(body), &r),
			 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr((char *)r.body, "\"deleted\":1") != NULL);
	resp_free(&r);
	mailbox_auth_json(&d, body, sizeof body, NULL, src->mailbox_sk);
	ck_assert_int_eq(
		http_do(d.port, "POST", "/v1/mailbox/fetch", hdr_mb, body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq((char *)r.body, "{\"replies\":[]}\n");
	resp_free(&r);
	free(b);
	free(got);
	free(push);
	free(blobb);
	free(blob);
	drop_destroy(&d);
}
END_TEST

static void put_chunk(const drop *d, const char *up, uint32_t i, const uint8_t *data, size_t len,
		      resp *r)
{
	char path[128];
	snprintf(path, sizeof path, "/v1/uploads/%s/chunks/%u", up, i);
	ck_assert_int_eq(http_do(d->port, "PUT", path, "Content-Type: application/octet-stream\r\n",
				 data, len, r),
			 0);
}

START_TEST(resumable_upload)
{
	drop d;
	resp r;
	membuf env;
	uint8_t id[16], ack[32];
	char pow[256], hdr[512], body[256], idb[32], up[32], path[128];
	drop_create(&d, NULL);
	drop_start(&d);
	envelope(&d, "a recording of the training session", 300000, &env, ack); /* 5 chunks */
	const size_t cs = 65536;
	uint32_t n = (uint32_t)((env.len + cs - 1) / cs);
	randombytes_buf(id, 16);
	test_b64(idb, sizeof idb, id, 16);
	pow_header(d.port, "upload", env.len, pow, sizeof pow);
	snprintf(hdr, sizeof hdr, "X-Ghostdrop-PoW: %s\r\n", pow);
	snprintf(body, sizeof body, "{\"id\":\"%s\",\"size\":%zu}", idb, env.len);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/uploads", hdr, body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 201);
	json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
	snprintf(up, sizeof up, "%s", json_string_value(json_object_get(o, "upload")));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "chunks")), n);
	json_decref(o);
	resp_free(&r);
	/* a declared size other than the PoW's */
	pow_header(d.port, "upload", 1000, pow, sizeof pow);
	snprintf(hdr, sizeof hdr, "X-Ghostdrop-PoW: %s\r\n", pow);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/uploads", hdr, body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.error, "pow_size");
	resp_free(&r);
	/* chunks in any order, the last first */
	for (int j = (int)n - 1; j >= 1; j--) {
		size_t off = (size_t)j * cs, len = env.len - off < cs ? env.len - off : cs;
		put_chunk(&d, up, (uint32_t)j, env.buf + off, len, &r);
		ck_assert_int_eq(r.status, 201);
		resp_free(&r);
	}
	/* commit before all chunks */
	snprintf(path, sizeof path, "/v1/uploads/%s/commit", up);
	const char *early = "{\"hash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}";
	ck_assert_int_eq(http_do(d.port, "POST", path, NULL, early, strlen(early), &r), 0);
	ck_assert_int_eq(r.status, 409);
	ck_assert_str_eq(r.error, "upload_incomplete");
	resp_free(&r);
	/* what arrived */
	snprintf(path, sizeof path, "/v1/uploads/%s", up);
	ck_assert_int_eq(http_do(d.port, "GET", path, NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr((char *)r.body, "\"received\":[1,2,3,4]") != NULL);
	resp_free(&r);
	put_chunk(&d, up, 0, env.buf, cs, &r);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	/* the same chunk again (a broken circuit): fine; other bytes: conflict */
	put_chunk(&d, up, 2, env.buf + 2 * cs, cs, &r);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	put_chunk(&d, up, 2, env.buf + 3 * cs, cs, &r);
	ck_assert_int_eq(r.status, 409);
	ck_assert_str_eq(r.error, "chunk_conflict");
	resp_free(&r);
	put_chunk(&d, up, n, env.buf, cs, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.error, "bad_chunk_index");
	resp_free(&r);
	put_chunk(&d, up, 1, env.buf, cs - 1, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.error, "bad_chunk_size");
	resp_free(&r);
	/* commit with the digest of the chunk hashes (PROTOCOL.md §11.4) */
	crypto_generichash_state st;
	uint8_t dg[32], h[32], sz[8];
	for (int i = 0; i < 8; i++)
		sz[i] = (uint8_t)((uint64_t)env.len >> (8 * i));
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"ghostdrop/v1/upload", 20);
	crypto_generichash_update(&st, sz, 8);
	for (uint32_t j = 0; j < n; j++) {
		size_t off = (size_t)j * cs, len = env.len - off < cs ? env.len - off : cs;
		crypto_generichash(h, 32, env.buf + off, len, NULL, 0);
		crypto_generichash_update(&st, h, 32);
	}
	crypto_generichash_final(&st, dg, 32);
	char dgb[64];
	test_b64(dgb, sizeof dgb, dg, 32);
	snprintf(body, sizeof body, "{\"hash\":\"%s\"}", dgb);
	snprintf(path, sizeof path, "/v1/uploads/%s/commit", up);
	ck_assert_int_eq(http_do(d.port, "POST", path, NULL, body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	ck_assert_int_eq(http_do(d.port, "POST", path, NULL, body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 200); /* idempotent */
	resp_free(&r);
	/* it is a submission now: the courier gets the exact envelope, even after a restart */
	drop_stop(&d, SIGTERM);
	drop_start(&d);
	snprintf(path, sizeof path, "/v1/courier/submissions/%s", idb);
	ck_assert_int_eq(http_do(d.port, "GET", path, drop_auth(&d), NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, env.len);
	ck_assert(memcmp(r.body, env.buf, env.len) == 0);
	resp_free(&r);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

START_TEST(kill9_keeps_acknowledged)
{
	drop d;
	resp r;
	enum { N = 12 };
	uint8_t ids[N][16];
	membuf env[N];
	drop_create(&d, NULL);
	drop_start(&d);
	for (int i = 0; i < N; i++) {
		envelope(&d, "durable", (size_t)i * 1000, &env[i], NULL);
		randombytes_buf(ids[i], 16);
		post_submission(&d, ids[i], &env[i], NULL, NULL, &r);
		ck_assert_int_eq(r.status, 201);
		resp_free(&r);
	}
	drop_stop(&d, SIGKILL); /* no chance to flush anything: 201 meant committed */
	drop_start(&d);
	for (int i = 0; i < N; i++) {
		char idb[32], path[128];
		test_b64(idb, sizeof idb, ids[i], 16);
		snprintf(path, sizeof path, "/v1/courier/submissions/%s", idb);
		ck_assert_int_eq(http_do(d.port, "GET", path, drop_auth(&d), NULL, 0, &r), 0);
		ck_assert_int_eq(r.status, 200);
		ck_assert(r.len == env[i].len && memcmp(r.body, env[i].buf, r.len) == 0);
		resp_free(&r);
		membuf_free(&env[i]);
	}
	drop_destroy(&d);
}
END_TEST

START_TEST(limits_and_deadlines)
{
	drop d;
	resp r;
	drop_create(&d, "max_connections = 3\nheader_timeout = 1\n");
	drop_start(&d);
	/* a slow client (a header byte at a time, never finishing) is cut off after 1 s */
	int fds[3];
	for (int i = 0; i < 3; i++) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(d.port)};
		inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(fds[i], (struct sockaddr *)&sin, sizeof sin), 0);
		ck_assert_int_eq(send(fds[i], "GET /v1/bu", 10, 0), 10);
	}
	usleep(200000);
	/* the cap: a 4th connection takes the place of the slow one that waited longest (which
	 * is closed); the 503 when nothing can yield is in check_http_attack */
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/bundle", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	/* past the header deadline each other slow one gets 408 and is closed */
	for (int i = 0; i < 3; i++) {
		char buf[512] = {0};
		struct pollfd p = {fds[i], POLLIN, 0};
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		ssize_t k = recv(fds[i], buf, sizeof buf - 1, 0);
		if (i == 0) {
			ck_assert_int_le(k, 0); /* replaced */
			close(fds[i]);
			continue;
		}
		ck_assert_int_gt(k, 0);
		ck_assert(strstr(buf, "408") != NULL && strstr(buf, "\"timeout\"") != NULL);
		close(fds[i]);
	}
	usleep(100000);
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/bundle", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200); /* room again */
	resp_free(&r);
	drop_destroy(&d);
}
END_TEST

START_TEST(full_map)
{
	drop d;
	resp r;
	membuf env;
	/* a 16 MiB map, new data refused past 50% */
	drop_create(&d, "map_size_mb = 16\nhigh_water_percent = 50\nmax_submit_kb = 1024\n");
	drop_start(&d);
	envelope(&d, "filler", 900000, &env, NULL);
	int stored = 0, full = 0;
	uint8_t first[16], ack[32];
	for (int i = 0; i < 20 && !full; i++) {
		uint8_t id[16];
		randombytes_buf(id, 16);
		post_submission(&d, id, &env, NULL, NULL, &r);
		if (r.status == 201) {
			if (stored++ == 0)
				memcpy(first, id, 16);
		} else {
			ck_assert_int_eq(r.status, 507);
			ck_assert_str_eq(r.error, "storage_full");
			full = 1;
		}
		resp_free(&r);
	}
	ck_assert(full);
	ck_assert_int_ge(stored, 4);
	/* reads still work, and courier acks free room for writes */
	membuf_free(&env);
	envelope(&d, "after", 10, &env, ack);
	uint8_t id[16];
	randombytes_buf(id, 16);
	post_submission(&d, id, &env, NULL, NULL, &r);
	resp_free(&r);
	char out[256];
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "purge --data %s/data --all --yes", d.dir),
			 0);
	ck_assert(strstr(out, "purged") != NULL);
	randombytes_buf(id, 16);
	post_submission(&d, id, &env, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

START_TEST(operator_commands)
{
	drop d;
	char out[4096];
	drop_create(&d, NULL);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "token list --data %s/data", d.dir), 0);
	ck_assert_str_eq(out, "courier\n");
	ck_assert_int_eq(
		drop_cli(&d, out, sizeof out, "token add --data %s/data --name courier", d.dir), 4);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "stats --data %s/data", d.dir), 0);
	ck_assert(strstr(out, "submissions: 0") != NULL);
	ck_assert(strstr(out, "key bundle v1 expires in") != NULL);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "torrc --data %s/data", d.dir), 0);
	ck_assert(strstr(out, "HiddenServicePort 80 127.0.0.1:0") != NULL);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "backup --data %s/data %s/bk", d.dir, d.dir),
			 0);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "backup --data %s/data %s/bk", d.dir, d.dir),
			 4);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "purge --data %s/data", d.dir), 2);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "frobnicate"), 2);
	ck_assert_int_eq(
		drop_cli(&d, out, sizeof out, "init --data %s/x --newsroom gdnk1nope", d.dir), 2);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "serve --help"), 0);
	/* the token works until revoked */
	drop_start(&d);
	resp r;
	ck_assert_int_eq(
		http_do(d.port, "GET", "/v1/courier/submissions", drop_auth(&d), NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	ck_assert_int_eq(
		drop_cli(&d, out, sizeof out, "token revoke --data %s/data courier", d.dir), 0);
	ck_assert_int_eq(
		http_do(d.port, "GET", "/v1/courier/submissions", drop_auth(&d), NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	drop_destroy(&d);
}
END_TEST

/* init ends with the steps left (token add, torrc, keys publish, start). Run through sudo as
 * another user (SUDO_USER set, not root), each line is written with `sudo -u USER` and this
 * program's full path, so that it works when copied: /usr/sbin is not in a user's PATH. */
static void init_out(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
}

START_TEST(init_next_hint)
{
	char dir[] = "/tmp/gd-hint-XXXXXX", ks[GD_KEYSTRING_LEN + 1], cmd[1024], out[4096];
	char exe[PATH_MAX], want[PATH_MAX + 256], as[64] = "";
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	gd_keystring_encode(ks, pk);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(realpath(GHOSTDROPD, exe));
	snprintf(cmd, sizeof cmd, "env -u SUDO_USER %s init --data %s/a --newsroom %s", GHOSTDROPD,
		 dir, ks);
	init_out(cmd, out, sizeof out);
	snprintf(want, sizeof want, "ghostdropd token add --data %s/a --name", dir);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	snprintf(want, sizeof want, "ghostdropd keys publish --data %s/a BUNDLE", dir);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_msg(strstr(out, "torrc --data") != NULL && strstr(out, "sudo -u") == NULL, "%s",
		      out);
	/* through sudo: as root, the test becomes nobody as sudo -u nobody would */
	const char *user;
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");
		ck_assert_ptr_nonnull(pw);
		ck_assert_int_eq(chown(dir, pw->pw_uid, pw->pw_gid), 0);
		snprintf(as, sizeof as, "setpriv --reuid=%u --regid=%u --clear-groups",
			 (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
		user = "nobody";
	} else {
		user = getpwuid(geteuid())->pw_name;
	}
	snprintf(cmd, sizeof cmd, "env SUDO_USER=alice %s %s init --data %s/b --newsroom %s", as,
		 GHOSTDROPD, dir, ks);
	init_out(cmd, out, sizeof out);
	snprintf(want, sizeof want, "sudo -u %s %s token add --data %s/b --name", user, exe, dir);
	ck_assert_msg(strstr(out, want) != NULL, "want %s in: %s", want, out);
	snprintf(want, sizeof want, "sudo -u %s %s keys publish --data %s/b BUNDLE", user, exe,
		 dir);
	ck_assert_msg(strstr(out, want) != NULL, "want %s in: %s", want, out);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Difficulty grows with the declared size, rises with the write rate and falls back. */
START_TEST(difficulty_adapts)
{
	drop d;
	resp r;
	membuf env;
	drop_create(&d, "pow_max_bits = 12\n");
	d.preload = TIMESHIFT; /* the windows pass by drop_advance, not in real seconds */
	drop_start(&d);
	ck_assert_uint_eq(pow_bits(d.port, "purpose=submit"), 4);
	ck_assert_uint_eq(pow_bits(d.port, "purpose=upload&size=1048576"), 4);
	ck_assert_uint_eq(pow_bits(d.port, "purpose=upload&size=104857600"), 8); /* 100 MiB */
	envelope(&d, "load", 0, &env, NULL);
	for (int i = 0; i < 45; i++) { /* over 40 writes in one 10-second window */
		uint8_t id[16];
		randombytes_buf(id, 16);
		post_submission(&d, id, &env, NULL, NULL, &r);
		ck_assert_int_eq(r.status, 201);
		resp_free(&r);
	}
	unsigned bits = 4;
	for (int i = 0; i < 12 && bits == 4; i++) { /* the next window closes within 10 s */
		drop_advance(&d, 1);
		bits = pow_bits(d.port, "purpose=submit");
	}
	ck_assert_uint_gt(bits, 4);
	for (int i = 0; i < 12 && bits > 4; i++) { /* a quiet window: back to the floor */
		drop_advance(&d, 1);
		bits = pow_bits(d.port, "purpose=submit");
	}
	ck_assert_uint_eq(bits, 4);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

START_TEST(upload_and_body_limits)
{
	drop d;
	resp r;
	char pow[256], hdr[512], body[128];
	drop_create(&d, "max_uploads = 1\nbody_timeout = 1\n");
	drop_start(&d);
	for (int i = 0; i < 2; i++) {
		pow_header(d.port, "upload", 200000, pow, sizeof pow);
		snprintf(hdr, sizeof hdr, "X-Ghostdrop-PoW: %s\r\n", pow);
		snprintf(body, sizeof body, "{\"id\":\"AAAAAAAAAAAAAAAAAAAAA%c\",\"size\":200000}",
			 "AQ"[i]);
		ck_assert_int_eq(
			http_do(d.port, "POST", "/v1/uploads", hdr, body, strlen(body), &r), 0);
		ck_assert_int_eq(r.status, i == 0 ? 201 : 503);
		if (i == 1)
			ck_assert_str_eq(r.error, "too_many_uploads");
		resp_free(&r);
	}
	/* larger than the drop takes at all: no challenge is even issued for it */
	snprintf(body, sizeof body, "/v1/pow?purpose=upload&size=%llu",
		 (unsigned long long)(4ULL << 30) + 1);
	ck_assert_int_eq(http_do(d.port, "POST", body, NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.error, "bad_size");
	resp_free(&r);
	/* a body that never finishes arriving: 408 after body_timeout, however slow */
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(d.port)};
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	char head[512];
	pow_header(d.port, "mailbox", 0, pow, sizeof pow);
	snprintf(head, sizeof head,
		 "POST /v1/mailbox/fetch HTTP/1.1\r\nX-Ghostdrop-PoW: %s\r\nContent-Length: "
		 "100\r\n\r\n{\"a",
		 pow);
	ck_assert_int_eq(send(fd, head, strlen(head), 0), (ssize_t)strlen(head));
	char buf[512] = {0};
	struct pollfd p = {fd, POLLIN, 0};
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_gt(recv(fd, buf, sizeof buf - 1, 0), 0);
	ck_assert(strstr(buf, "408") != NULL && strstr(buf, "\"timeout\"") != NULL);
	close(fd);
	drop_destroy(&d);
}
END_TEST

/* A client that sends its submission and leaves at once: the commit still happens (the body
 * belongs to the queued operation) and the daemon stays up (under ASan: no use-after-free). */
START_TEST(client_leaves_before_commit)
{
	drop d;
	resp r;
	membuf env;
	uint8_t id[16], h[32];
	char pow[256], head[1024], idb[32], hb[64];
	drop_create(&d, NULL);
	d.preload = SLOWSYNC;
	d.env[0] = "GD_SLOW_SYNC_MS=300";
	drop_start(&d);
	envelope(&d, "gone", 1000, &env, NULL);
	randombytes_buf(id, 16);
	test_b64(idb, sizeof idb, id, 16);
	crypto_generichash(h, 32, env.buf, env.len, NULL, 0);
	test_b64(hb, sizeof hb, h, 32);
	pow_header(d.port, "submit", 0, pow, sizeof pow);
	int n = snprintf(
		head, sizeof head,
		"POST /v1/submissions HTTP/1.1\r\nContent-Type: application/octet-stream\r\n"
		"Content-Length: %zu\r\nX-Ghostdrop-Id: %s\r\nX-Ghostdrop-Hash: %s\r\n"
		"X-Ghostdrop-PoW: %s\r\n\r\n",
		env.len, idb, hb, pow);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(d.port)};
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(send(fd, head, (size_t)n, 0), n);
	ck_assert_int_eq(send(fd, env.buf, env.len, 0), (ssize_t)env.len);
	struct linger lg = {1, 0}; /* close with a reset, while the commit is under way */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	usleep(50000);
	close(fd);
	usleep(700000);
	char path[128];
	snprintf(path, sizeof path, "/v1/courier/submissions/%s", idb);
	ck_assert_int_eq(http_do(d.port, "GET", path, drop_auth(&d), NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert(r.len == env.len && memcmp(r.body, env.buf, r.len) == 0);
	resp_free(&r);
	membuf_free(&env);
	drop_stop(&d, SIGTERM); /* exits 0: nothing crashed */
	drop_destroy(&d);
}
END_TEST

/* Mutated and random requests: the daemon answers each with a status line or closes, and
 * stays up (under ASan: without a memory error). A short taste of issue 7's fuzzing. */
START_TEST(garbage_requests)
{
	drop d;
	resp r;
	static const char *const seeds[] = {
		"GET /v1/bundle HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /v1/submissions HTTP/1.1\r\nContent-Type: application/octet-stream\r\n"
		"Content-Length: 4\r\nX-Ghostdrop-Id: AAAAAAAAAAAAAAAAAAAAAA\r\n\r\nGDEV",
		"PUT /v1/uploads/AAAAAAAAAAAAAAAAAAAAAA/chunks/0 HTTP/1.1\r\nContent-Length: "
		"2\r\n\r\nxy",
		"POST /v1/mailbox/fetch HTTP/1.1\r\nContent-Length: 11\r\n\r\n{\"a\":\"b\"}\r\n",
	};
	drop_create(&d, "header_timeout = 1\nbody_timeout = 1\n");
	drop_start(&d);
	uint8_t buf[2048];
	for (int i = 0; i < 500; i++) {
		size_t n;
		if (i % 5 == 4) { /* random bytes */
			n = 1 + randombytes_uniform(sizeof buf - 1);
			randombytes_buf(buf, n);
		} else { /* a valid request with a few bytes changed, cut or repeated */
			const char *seed = seeds[i % 4];
			n = strlen(seed);
			memcpy(buf, seed, n);
			for (int k = 0; k < 3; k++)
				buf[randombytes_uniform((uint32_t)n)] =
					(uint8_t)randombytes_uniform(256);
			if (i % 3 == 0)
				n = 1 + randombytes_uniform((uint32_t)n);
		}
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(d.port)};
		inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct timeval tv = {5, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
		send(fd, buf, n, MSG_NOSIGNAL);
		shutdown(fd, SHUT_WR);
		char got[512] = {0};
		ssize_t k = recv(fd, got, sizeof got - 1, 0);
		if (k > 0)
			ck_assert_msg(strncmp(got, "HTTP/1.1 ", 9) == 0, "answer %d: %.40s", i,
				      got);
		close(fd);
	}
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/bundle", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200); /* still serving */
	resp_free(&r);
	drop_stop(&d, SIGTERM); /* and stops cleanly */
	drop_destroy(&d);
}
END_TEST

typedef struct {
	uint32_t today;
	int n;
} scan_state;

static void no_precise_time(const uint8_t *p, size_t len)
{
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i + 4 <= len; i++) {
		uint32_t v32 = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
			       (uint32_t)p[i + 3] << 24;
		/* a stored time would be within seconds of now; random bytes land in this
		 * 600-second window with odds of about 1 in 7 million per position */
		ck_assert_msg(llabs((int64_t)v32 - now) > 300, "a precise time at offset %zu", i);
	}
}

static int scan_sub(void *arg, const store_submission *s)
{
	scan_state *st = arg;
	ck_assert_uint_eq(s->received_day, st->today); /* a day, never a time */
	ck_assert(s->fetched_day == 0 || s->fetched_day == st->today);
	no_precise_time((const uint8_t *)s, sizeof *s);
	st->n++;
	return 0;
}

static int scan_reply(void *arg, const uint8_t *id, const uint8_t *blob, size_t len)
{
	(void)id;
	(void)blob;
	(void)len;
	(*(int *)arg)++;
	return 0;
}

/* After a run of submissions, a fetch and a reply: every stored time is a day. */
START_TEST(metadata_is_day_granular)
{
	drop d;
	resp r;
	membuf env;
	uint8_t id[16];
	char path[256], idb[32];
	drop_create(&d, NULL);
	drop_start(&d);
	for (int i = 0; i < 5; i++) {
		envelope(&d, "metadata", 100, &env, NULL);
		randombytes_buf(id, 16);
		post_submission(&d, id, &env, NULL, NULL, &r);
		ck_assert_int_eq(r.status, 201);
		resp_free(&r);
		membuf_free(&env);
	}
	test_b64(idb, sizeof idb, id, 16);
	snprintf(path, sizeof path, "/v1/courier/submissions/%s", idb);
	ck_assert_int_eq(http_do(d.port, "GET", path, drop_auth(&d), NULL, 0, &r), 0);
	resp_free(&r);
	uint8_t *blob;
	size_t blen;
	ck_assert_int_eq(
		gd_reply_seal(&blob, &blen, "r", 1, src->mailbox_id, 1, d.jsk, src->reply_pk),
		GD_OK);
	char *push = malloc(blen * 2 + 128), mb[32], *bb = malloc(blen * 2);
	test_b64(mb, sizeof mb, src->mailbox_id, 16);
	test_b64(bb, blen * 2, blob, blen);
	snprintf(push, blen * 2 + 128, "{\"mailbox_id\":\"%s\",\"reply\":\"%s\"}", mb, bb);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/courier/replies", drop_auth(&d), push,
				 strlen(push), &r),
			 0);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	usleep(100000); /* the first-fetch mark is committed without anyone waiting for it */
	drop_stop(&d, SIGTERM);
	store *st;
	snprintf(path, sizeof path, "%s/data/db", d.dir);
	ck_assert_int_eq(store_open(&st, path, 16ULL << 30, 90), STORE_OK);
	scan_state ss = {gd_day(time(NULL)), 0};
	ck_assert_int_eq(store_submission_list(st, scan_sub, &ss), STORE_OK);
	ck_assert_int_eq(ss.n, 5);
	store_submission sub;
	ck_assert_int_eq(store_submission_get(st, id, &sub), STORE_OK);
	ck_assert_uint_eq(sub.fetched_day, gd_day(time(NULL))); /* the retention clock started */
	int replies = 0;
	ck_assert_int_eq(store_mailbox_list(st, src->mailbox_id, scan_reply, &replies), STORE_OK);
	ck_assert_int_eq(replies, 1);
	store_close(st);
	free(push);
	free(bb);
	free(blob);
	drop_destroy(&d);
}
END_TEST

typedef struct {
	const drop *d;
	uint8_t id[16];
	membuf env;
	char pow[256];
	int status;
	atomic_int done;
} submit_job;

static void *submit_thread(void *arg)
{
	submit_job *j = arg;
	resp r;
	post_submission(j->d, j->id, &j->env, j->pow, NULL, &r);
	j->status = r.status;
	resp_free(&r);
	atomic_store(&j->done, 1);
	return NULL;
}

static void job_init(submit_job *j, const drop *d)
{
	memset(j, 0, sizeof *j);
	j->d = d;
	randombytes_buf(j->id, 16);
	envelope(d, "job", 100, &j->env, NULL);
	pow_header(d->port, "submit", 0, j->pow,
		   sizeof j->pow); /* solved here, not in the thread */
}

/* Every commit's fsync takes 1.5 s; reads and challenges are answered meanwhile. */
START_TEST(slow_commit_does_not_block)
{
	drop d;
	resp r;
	submit_job j;
	pthread_t t;
	drop_create(&d, NULL);
	d.preload = SLOWSYNC;
	d.env[0] = "GD_SLOW_SYNC_MS=1500";
	drop_start(&d);
	job_init(&j, &d);
	ck_assert_int_eq(pthread_create(&t, NULL, submit_thread, &j), 0);
	usleep(200000);
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/bundle", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	ck_assert_int_eq(http_do(d.port, "POST", "/v1/pow?purpose=submit", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	ck_assert_msg(!atomic_load(&j.done), "the submission was acknowledged before its commit");
	pthread_join(t, NULL);
	ck_assert_int_eq(j.status, 201); /* acknowledged only after the (slow) commit */
	membuf_free(&j.env);
	drop_destroy(&d);
}
END_TEST

/* Concurrent submissions share commits: fewer fsyncs than acknowledgements. */
START_TEST(group_commit)
{
	enum { N = 16 };
	drop d;
	static submit_job jobs[N];
	pthread_t t[N];
	char env2[300], path[256];
	drop_create(&d, NULL);
	snprintf(path, sizeof path, "%s/syncs", d.dir);
	snprintf(env2, sizeof env2, "GD_SYNC_COUNT_FILE=%s", path);
	d.preload = SLOWSYNC;
	d.env[0] = "GD_SLOW_SYNC_MS=200";
	d.env[1] = env2;
	drop_start(&d);
	for (int i = 0; i < N; i++)
		job_init(&jobs[i], &d);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, submit_thread, &jobs[i]), 0);
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(jobs[i].status, 201);
		membuf_free(&jobs[i].env);
	}
	drop_stop(&d, SIGTERM);
	FILE *f = fopen(path, "r");
	unsigned long syncs = 0;
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%lu", &syncs), 1);
	fclose(f);
	fprintf(stderr, "group_commit: %d acknowledged submissions, %lu fsyncs in all\n", N, syncs);
	ck_assert_uint_gt(syncs, 0);
	ck_assert_uint_lt(syncs, N);
	drop_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, bundle_served);
	tcase_add_test(tc, submit_fetch_ack);
	tcase_add_test(tc, courier_download_offset);
	tcase_add_test(tc, privileges);
	tcase_add_test(tc, seccomp_kills_forbidden_syscalls);
	tcase_add_test(tc, pow_refusals);
	tcase_add_test(tc, pow_expires);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, replies_and_mailbox);
	tcase_add_test(tc, resumable_upload);
	tcase_add_test(tc, kill9_keeps_acknowledged);
	tcase_add_test(tc, limits_and_deadlines);
	tcase_add_test(tc, full_map);
	tcase_add_test(tc, operator_commands);
	tcase_add_test(tc, init_next_hint);
	tcase_add_test(tc, slow_commit_does_not_block);
	tcase_add_test(tc, group_commit);
	tcase_add_test(tc, metadata_is_day_granular);
	tcase_add_test(tc, difficulty_adapts);
	tcase_add_test(tc, upload_and_body_limits);
	tcase_add_test(tc, client_leaves_before_commit);
	tcase_add_test(tc, garbage_requests);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
