/* Integration tests: the worker's ghostdrop binary against a real ghostdropd on 127.0.0.1,
 * directly (--clearnet) and through a fake SOCKS5 proxy that behaves, or does not. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "store.h"
#include "testutil.h"

#ifndef GHOSTDROP
#error GHOSTDROP must name the worker binary
#endif

static char out[65536], err[65536];

/* Run ghostdrop with stdin from `in`; stdout/stderr into out/err; returns the exit code. */
static int gd(const drop *d, const char *in, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int gd(const drop *d, const char *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = drop_vrun(d, GHOSTDROP, in, out, err, sizeof out, fmt, ap);
	va_end(ap);
	return rc;
}

static char keystring[GD_KEYSTRING_LEN + 1];

#define SERVER "--server http://127.0.0.1:%u --newsroom %s"

START_TEST(submit_follow_up_and_open)
{
	drop d;
	char code[256];
	drop_up(&d, NULL, keystring);
	snprintf(code, sizeof code, "%s/code.txt", d.dir);
	ck_assert_int_eq(gd(&d, "We transcribe medical calls; the NDA forbids naming the client.",
			    "submit " SERVER " --clearnet --codename-out %s --json", d.port,
			    keystring, code),
			 0);
	json_t *o = json_loads(out, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(o, "status")), "stored");
	ck_assert_str_eq(json_string_value(json_object_get(o, "kind")), "testimony");
	json_decref(o);
	struct stat sb;
	ck_assert_int_eq(stat(code, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert(strstr(out, "codename") == NULL || strstr(out, "codename_file") != NULL);
	/* a follow-up under the same codename */
	ck_assert_int_eq(gd(&d, "Second part: shifts are 10 hours.",
			    "submit " SERVER " --clearnet --codename-file %s", d.port, keystring,
			    code),
			 0);
	ck_assert(strstr(err, "follow-up reached the drop") != NULL);
	/* its size in a person's units (a padded envelope is some KiB), not a count of bytes */
	ck_assert_msg(strstr(err, " KiB, encrypted to 1 journalist key).") != NULL, "%s", err);
	/* the journalist opens both: same identity key, the second a follow-up */
	gd_source_keys *src = source_of_codename_file(&d, code);
	drop_stored st;
	drop_fetch_all(&d, &st);
	ck_assert_uint_eq(st.n, 2);
	int testimony = 0, followup = 0;
	for (size_t i = 0; i < 2; i++) {
		ck_assert(st.s[i].m.has_source);
		ck_assert(memcmp(st.s[i].m.identity_pk, src->identity_pk, 32) == 0);
		if (st.s[i].m.kind == GD_KIND_TESTIMONY) {
			testimony++;
			ck_assert_str_eq(
				st.s[i].m.text,
				"We transcribe medical calls; the NDA forbids naming the client.");
		} else {
			followup++;
			ck_assert_str_eq(st.s[i].m.text, "Second part: shifts are 10 hours.");
		}
	}
	ck_assert(testimony == 1 && followup == 1);
	drop_stored_free(&st);
	sodium_free(src);
	/* --codename-out never overwrites */
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --codename-out %s", d.port,
			    keystring, code),
			 6);
	ck_assert_uint_eq(drop_count_stored(&d), 2);
	drop_destroy(&d);
}
END_TEST

START_TEST(large_attachment_via_upload)
{
	drop d;
	char file[256];
	drop_up(&d, NULL, keystring);
	snprintf(file, sizeof file, "%s/shift-recording.wav", d.dir);
	size_t len = 3 * 1024 * 1024 + 12345;
	uint8_t *data = malloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 12));
	FILE *f = fopen(file, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
	/* without --keep-metadata: refused, nothing leaves */
	ck_assert_int_eq(gd(&d, "recording", "submit " SERVER " --clearnet --no-reply %s", d.port,
			    keystring, file),
			 6);
	ck_assert(strstr(err, "metadata") != NULL);
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	ck_assert_int_eq(gd(&d, "recording attached",
			    "submit " SERVER " --clearnet --no-reply --keep-metadata %s", d.port,
			    keystring, file),
			 0);
	drop_stored st;
	drop_fetch_all(&d, &st);
	ck_assert_uint_eq(st.n, 1);
	ck_assert(!st.s[0].m.has_source);
	ck_assert_uint_eq(st.s[0].m.n_attachments, 1);
	ck_assert_str_eq(st.s[0].m.attachments[0].name, "attachment-1.wav"); /* a neutral name */
	ck_assert_str_eq(st.s[0].m.attachments[0].type, "audio/wav");
	ck_assert_uint_eq(st.s[0].data.len, len);
	ck_assert(memcmp(st.s[0].data.buf, data, len) == 0);
	drop_stored_free(&st);
	free(data);
	drop_destroy(&d);
}
END_TEST

START_TEST(refusals_send_nothing)
{
	drop d;
	char code[256];
	drop_up(&d, NULL, keystring);
	uint8_t pk[32], sk[64];
	char other[GD_KEYSTRING_LEN + 1];
	crypto_sign_keypair(pk, sk);
	gd_keystring_encode(other, pk);
	/* another newsroom's key: the bundle does not verify */
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply", d.port, other), 3);
	ck_assert(strstr(err, "does not verify") != NULL);
	/* rollback below a version the worker knows */
	ck_assert_int_eq(gd(&d, "x",
			    "submit " SERVER " --clearnet --no-reply --min-bundle-version 3",
			    d.port, keystring),
			 3);
	/* a mistyped key string */
	other[20] = other[20] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply", d.port, other), 2);
	/* not over Tor and not told --clearnet */
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --no-reply", d.port, keystring), 2);
	ck_assert(strstr(err, "only through Tor") != NULL);
	/* Tor not running */
	ck_assert_int_eq(
		gd(&d, "x", "submit " SERVER " --no-reply --proxy 127.0.0.1:1", d.port, keystring),
		4);
	/* a codename with a typo: a suggestion, never a new identity */
	snprintf(code, sizeof code, "%s/typo.txt", d.dir);
	FILE *f = fopen(code, "w");
	fputs("zoom abacus yo-yo able ablaze abide zoologst felt-tip\n", f);
	fclose(f);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --codename-file %s", d.port,
			    keystring, code),
			 2);
	ck_assert(strstr(err, "word 7") != NULL && strstr(err, "\"zoologist\"") != NULL);
	/* nothing to send; conflicting options; no terminal for a new codename */
	ck_assert_int_eq(gd(&d, "", "submit " SERVER " --clearnet --no-reply", d.port, keystring),
			 2);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply --codename", d.port,
			    keystring),
			 2);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet", d.port, keystring), 2);
	ck_assert(strstr(err, "no terminal") != NULL);
	ck_assert_int_eq(gd(&d, "x", "frobnicate " SERVER, d.port, keystring), 2);
	/* a codename typed on the command line is refused without being repeated */
	ck_assert_int_eq(gd(&d, "x",
			    "submit " SERVER " --clearnet --codename zoom abacus yo-yo able "
			    "ablaze abide zoologist felt-tip",
			    d.port, keystring),
			 2);
	ck_assert(strstr(err, "zoom") == NULL && strstr(err, "takes no value") != NULL);
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	/* a server the bundle does not list: the first bundle (v1) lists only :8080 */
	drop_destroy(&d);
	drop_create(&d, NULL);
	drop_start(&d);
	gd_keystring_encode(keystring, d.root_pk);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply", d.port, keystring),
			 3);
	ck_assert(strstr(err, "not one of the newsroom's servers") != NULL);
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply --unlisted-server",
			    d.port, keystring),
			 0);
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	drop_destroy(&d);
}
END_TEST

START_TEST(photos_arrive_without_metadata)
{
	drop d;
	char jpg[512], png[512];
	drop_up(&d, NULL, keystring);
	snprintf(jpg, sizeof jpg, "%s/exif-gps.jpg", SAMPLES);
	snprintf(png, sizeof png, "%s/text-exif.png", SAMPLES);
	ck_assert_int_eq(gd(&d, "screenshots of the task queue",
			    "submit " SERVER " --clearnet --no-reply %s %s", d.port, keystring, jpg,
			    png),
			 0);
	drop_stored st;
	drop_fetch_all(&d, &st);
	ck_assert_uint_eq(st.n, 1);
	ck_assert_uint_eq(st.s[0].m.n_attachments, 2);
	ck_assert_str_eq(st.s[0].m.attachments[0].type, "image/jpeg");
	ck_assert_str_eq(st.s[0].m.attachments[1].type, "image/png");
	membuf *data = &st.s[0].data;
	static const char *const gone[] = {"Jane Worker", "GhostCam", "SN-1234567",
					   "Exif",        "tEXt",     NULL};
	for (int i = 0; gone[i]; i++)
		for (size_t j = 0; j + strlen(gone[i]) <= data->len; j++)
			ck_assert_msg(memcmp(data->buf + j, gone[i], strlen(gone[i])) != 0,
				      "%s arrived", gone[i]);
	/* the JPEG still ends its scan: the image itself arrived */
	uint64_t jl = st.s[0].m.attachments[0].size;
	ck_assert(data->buf[0] == 0xff && data->buf[1] == 0xd8 && data->buf[jl - 1] == 0xd9);
	ck_assert(memcmp(data->buf + jl, "\x89PNG", 4) == 0);
	drop_stored_free(&st);
	drop_destroy(&d);
}
END_TEST

static int shm_leftovers(void)
{
	return system("ls -d /dev/shm/ghostdrop-* >/dev/null 2>&1") == 0;
}

/* Other file types go through mat2 on a private copy in RAM; without mat2, refused. */
START_TEST(documents_cleaned_by_mat2)
{
	drop d;
	char odt[512];
	drop_up(&d, NULL, keystring);
	snprintf(odt, sizeof odt, "%s/author.odt", SAMPLES);
	ck_assert(!shm_leftovers());
	ck_assert_int_eq(gd(&d, "the rate sheet", "submit " SERVER " --clearnet --no-reply %s",
			    d.port, keystring, odt),
			 0);
	ck_assert(!shm_leftovers()); /* the cleaned copy is gone */
	drop_stored st;
	drop_fetch_all(&d, &st);
	ck_assert_uint_eq(st.n, 1);
	ck_assert_str_eq(st.s[0].m.attachments[0].name, "attachment-1.odt");
	membuf *data = &st.s[0].data;
	static const char *const gone[] = {"Jane Worker", "VendorOffice", NULL};
	for (int i = 0; gone[i]; i++)
		for (size_t j = 0; j + strlen(gone[i]) <= data->len; j++)
			ck_assert_msg(memcmp(data->buf + j, gone[i], strlen(gone[i])) != 0,
				      "%s arrived", gone[i]);
	ck_assert(data->len > 100 && memcmp(data->buf, "PK", 2) == 0); /* still a document */
	drop_stored_free(&st);
	/* no mat2 on the PATH: refused, nothing sent, nothing left behind */
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "echo x | PATH=/nonexistent /usr/bin/setsid %s submit " SERVER
		 " --clearnet --no-reply %s >/dev/null 2>%s/err; test $? -eq 6 && grep -q 'install "
		 "mat2' %s/err",
		 GHOSTDROP, d.port, keystring, odt, d.dir, d.dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert(!shm_leftovers());
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	drop_destroy(&d);
}
END_TEST

static void push_reply(const drop *d, const gd_source_keys *src, const uint8_t jsk[32],
		       const char *text)
{
	uint8_t *blob;
	size_t blen;
	resp r;
	ck_assert_int_eq(gd_reply_seal(&blob, &blen, text, strlen(text), src->mailbox_id,
				       gd_day(time(NULL)), jsk, src->reply_pk),
			 GD_OK);
	char *bb = malloc(blen * 2), mb[32], *body = malloc(blen * 2 + 128);
	gd_b64_encode(bb, blen * 2, blob, blen);
	gd_b64_encode(mb, sizeof mb, src->mailbox_id, 16);
	snprintf(body, blen * 2 + 128, "{\"mailbox_id\":\"%s\",\"reply\":\"%s\"}", mb, bb);
	ck_assert_int_eq(http_do(d->port, "POST", "/v1/courier/replies", drop_auth(d), body,
				 strlen(body), &r),
			 0);
	ck_assert_int_eq(r.status, 201);
	resp_free(&r);
	free(bb);
	free(body);
	free(blob);
}

START_TEST(replies_verified_forged_acked)
{
	drop d;
	char code[256];
	drop_up(&d, NULL, keystring);
	snprintf(code, sizeof code, "%s/code.txt", d.dir);
	ck_assert_int_eq(gd(&d, "hello", "submit " SERVER " --clearnet --codename-out %s", d.port,
			    keystring, code),
			 0);
	gd_source_keys *src = source_of_codename_file(&d, code);
	ck_assert_int_eq(gd(&d, NULL, "replies " SERVER " --clearnet --codename-file %s", d.port,
			    keystring, code),
			 0);
	ck_assert(strstr(err, "No replies are waiting") != NULL);
	push_reply(&d, src, d.jsk, "Thank you. Which platform do you work on?");
	/* pushed with a valid courier token, but not written with a journalist key */
	uint8_t fpk[32], fsk[32];
	crypto_box_keypair(fpk, fsk);
	push_reply(&d, src, fsk, "Please send your badge photo.");
	ck_assert_int_eq(gd(&d, NULL, "replies " SERVER " --clearnet --codename-file %s", d.port,
			    keystring, code),
			 0);
	ck_assert(strstr(out, "--- from Ana") != NULL);
	ck_assert(strstr(out, "Which platform do you work on?") != NULL);
	ck_assert(strstr(out, "badge photo") == NULL);
	ck_assert(strstr(err, "1 reply did not come from a journalist") != NULL);
	ck_assert_int_eq(gd(&d, NULL,
			    "replies " SERVER " --clearnet --codename-file %s --json --ack", d.port,
			    keystring, code),
			 0);
	json_t *o = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(json_array_size(json_object_get(o, "replies")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "forged")), 1);
	ck_assert(json_is_true(json_object_get(o, "acknowledged")));
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(o, "replies"), 0), "journalist")),
			 "Ana");
	json_decref(o);
	ck_assert_int_eq(gd(&d, NULL, "replies " SERVER " --clearnet --codename-file %s --json",
			    d.port, keystring, code),
			 0);
	ck_assert(strstr(out, "\"replies\":[]") != NULL); /* deleted by --ack */
	sodium_free(src);
	drop_destroy(&d);
}
END_TEST

/* A submission leaves nothing behind: not in HOME, not in TMPDIR, not in the working
 * directory, not in RAM-backed storage; with a codename, a photo and a document (mat2). */
START_TEST(leaves_no_files)
{
	drop d;
	char cmd[4096], files[1024];
	drop_up(&d, NULL, keystring);
	snprintf(cmd, sizeof cmd, "mkdir %s/home %s/tmp %s/cwd %s/xdg && chmod 700 %s/xdg", d.dir,
		 d.dir, d.dir, d.dir, d.dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(files, sizeof files, "%s/exif-gps.jpg %s/author.odt", SAMPLES, SAMPLES);
	for (int follow = 0; follow < 2; follow++) {
		snprintf(cmd, sizeof cmd,
			 "cd %s/cwd && echo 'the shift log' | env -i PATH=/usr/bin:/bin "
			 "HOME=%s/home "
			 "TMPDIR=%s/tmp XDG_RUNTIME_DIR=%s/xdg /usr/bin/setsid %s submit " SERVER
			 " --clearnet %s %s/code %s >/dev/null 2>%s/err",
			 d.dir, d.dir, d.dir, d.dir, GHOSTDROP, d.port, keystring,
			 follow ? "--codename-file" : "--codename-out", d.dir, files, d.dir);
		ck_assert_msg(system(cmd) == 0, "submit failed: see %s/err", d.dir);
	}
	snprintf(cmd, sizeof cmd, "test -z \"$(find %s/home %s/tmp %s/cwd %s/xdg -mindepth 1)\"",
		 d.dir, d.dir, d.dir, d.dir);
	ck_assert_msg(system(cmd) == 0, "files left behind");
	ck_assert(!shm_leftovers());
	ck_assert_uint_eq(drop_count_stored(&d), 2);
	drop_destroy(&d);
}
END_TEST

/* ---- a fake SOCKS5 proxy ---- */

enum {
	P_GOOD,
	P_V4,
	P_NOAUTH,
	P_ONION_GONE,
	P_HANGUP,
	P_FLAKY,
	P_LOSE_SUBMIT,
	P_SWITCH,
	P_LOSE_COMMITS
};

/* Serves every connection in a thread of its own: the worker keeps several connections open
 * at once during an upload. Counts under mu. */
typedef struct {
	int mode, lfd;
	uint16_t port;
	volatile int stop;
	pthread_mutex_t mu;
	int active, max_active;        /* connection threads running now, and at most */
	int requests, domain_requests; /* SOCKS CONNECTs */
	int puts;                      /* chunk requests seen, over all connections */
	char user[64], host[256];
	int cut_mid_request, lost_answers, commits_swallowed; /* what P_FLAKY did */
	uint16_t other_port; /* P_SWITCH: from chunk request switch_at on, the other backend */
	int switch_at, switched;
} proxy;

typedef struct {
	proxy *px;
	int fd;
} proxy_conn;

static int rd(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = recv(fd, b + got, n - got, 0);
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

/* Relay client a <-> server b. A request's head always starts a read here: the worker sends
 * one request at a time per connection and waits for its answer. P_FLAKY breaks requests the
 * way Tor circuits break, whatever connection they travel on: the 10th chunk request in its
 * middle, and the answers of the 20th chunk request and of the first commit after the drop
 * acted on them. P_SWITCH: at chunk request switch_at every connection to the first backend
 * breaks (a new circuit), and new ones reach the other backend. */
static void relay(proxy *px, int a, int b, int on_first)
{
	uint8_t buf[65536];
	struct pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
	size_t in_request = 0;
	int put_no = 0, swallow = 0;
	while (poll(p, 2, 500) >= 0) {
		pthread_mutex_lock(&px->mu);
		int cut = (px->mode == P_SWITCH && on_first && px->switched) || px->stop;
		pthread_mutex_unlock(&px->mu);
		if (cut)
			return;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t k = recv(p[i].fd, buf, sizeof buf, 0);
			if (k <= 0)
				return;
			pthread_mutex_lock(&px->mu);
			if (i == 0 && memmem(buf, (size_t)k, "PUT /v1/uploads/", 16) == buf) {
				put_no = ++px->puts;
				in_request = 0;
				if (px->mode == P_SWITCH && put_no == px->switch_at)
					px->switched = cut = 1;
			}
			in_request += (size_t)k;
			if (px->mode == P_FLAKY && i == 0) {
				if (put_no == 10 && in_request > 30000 &&
				    px->cut_mid_request == 0) {
					px->cut_mid_request++;
					cut = 1;
				}
				if (memmem(buf, (size_t)k, "/commit HTTP", 12) != NULL &&
				    px->commits_swallowed++ == 0)
					swallow = 1;
				if (put_no == 20 && memcmp(buf, "PUT ", 4) == 0)
					swallow = 1;
			}
			if (px->mode == P_LOSE_COMMITS && i == 0 &&
			    memmem(buf, (size_t)k, "/commit HTTP", 12) != NULL) {
				px->commits_swallowed++;
				swallow = 1;
			}
			if (px->mode == P_LOSE_SUBMIT && i == 0 &&
			    memmem(buf, (size_t)k, "POST /v1/submissions", 20) != NULL &&
			    px->commits_swallowed++ == 0)
				swallow = 1;
			if (i == 1 && swallow) {
				px->lost_answers++;
				cut = 1; /* the drop answered; the worker never hears it */
			}
			pthread_mutex_unlock(&px->mu);
			if (cut || send(p[1 - i].fd, buf, (size_t)k, MSG_NOSIGNAL) != k)
				return;
		}
	}
}

static void serve_one(proxy *px, int c)
{
	uint8_t b[600];
	if (px->mode == P_HANGUP)
		return;
	if (rd(c, b, 3) != 0)
		return;
	if (px->mode == P_V4) {
		send(c, "\x04\x02", 2, MSG_NOSIGNAL);
		return;
	}
	if (px->mode == P_NOAUTH) {
		send(c, "\x05\xff", 2, MSG_NOSIGNAL);
		return;
	}
	send(c, "\x05\x02", 2, MSG_NOSIGNAL);
	if (rd(c, b, 2) != 0 || rd(c, b + 2, b[1] + 1u) != 0)
		return;
	size_t ul = b[1];
	if (rd(c, b + 3 + ul, b[2 + ul]) != 0)
		return;
	pthread_mutex_lock(&px->mu);
	memcpy(px->user, b + 2, ul);
	px->user[ul] = '\0';
	pthread_mutex_unlock(&px->mu);
	send(c, "\x01\x00", 2, MSG_NOSIGNAL);
	if (rd(c, b, 5) != 0)
		return;
	pthread_mutex_lock(&px->mu);
	px->requests++;
	pthread_mutex_unlock(&px->mu);
	if (b[3] != 3)
		return;
	size_t hl = b[4];
	if (rd(c, b + 5, hl + 2) != 0)
		return;
	pthread_mutex_lock(&px->mu);
	px->domain_requests++;
	memcpy(px->host, b + 5, hl);
	px->host[hl] = '\0';
	int on_first = !px->switched;
	uint16_t port = (uint16_t)(b[5 + hl] << 8 | b[6 + hl]);
	if (px->mode == P_SWITCH && px->switched)
		port = px->other_port; /* a new circuit reached another daemon behind the address */
	pthread_mutex_unlock(&px->mu);
	if (px->mode == P_ONION_GONE) {
		send(c, "\x05\xf0\x00\x01\x00\x00\x00\x00\x00\x00", 10, MSG_NOSIGNAL);
		return;
	}
	char host[256];
	memcpy(host, b + 5, hl);
	host[hl] = '\0';
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return; /* this fake proxy reaches only literal addresses */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(s);
		return;
	}
	send(c, "\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00", 10, MSG_NOSIGNAL);
	relay(px, c, s, on_first);
	close(s);
}

static void *conn_main(void *arg)
{
	proxy_conn *pc = arg;
	proxy *px = pc->px;
	serve_one(px, pc->fd);
	close(pc->fd);
	free(pc);
	pthread_mutex_lock(&px->mu);
	px->active--;
	pthread_mutex_unlock(&px->mu);
	return NULL;
}

static void *proxy_main(void *arg)
{
	proxy *px = arg;
	while (!px->stop) {
		struct pollfd p = {px->lfd, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		int c = accept(px->lfd, NULL, NULL);
		if (c < 0)
			continue;
		proxy_conn *pc = malloc(sizeof *pc);
		pthread_t t;
		pc->px = px;
		pc->fd = c;
		pthread_mutex_lock(&px->mu);
		if (++px->active > px->max_active)
			px->max_active = px->active;
		pthread_mutex_unlock(&px->mu);
		ck_assert_int_eq(pthread_create(&t, NULL, conn_main, pc), 0);
		pthread_detach(t);
	}
	return NULL;
}

static pthread_t proxy_start(proxy *px, int mode)
{
	pthread_t t;
	memset(px, 0, sizeof *px);
	pthread_mutex_init(&px->mu, NULL);
	px->mode = mode;
	px->lfd = test_listen(&px->port, 16);
	ck_assert_int_eq(pthread_create(&t, NULL, proxy_main, px), 0);
	return t;
}

/* The worker has exited: its connections are closed, so every relay ends at once. */
static void proxy_stop(proxy *px, pthread_t t)
{
	px->stop = 1;
	pthread_join(t, NULL);
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&px->mu);
		int active = px->active;
		pthread_mutex_unlock(&px->mu);
		if (active == 0)
			break;
		usleep(10000);
	}
	ck_assert_int_eq(px->active, 0);
	close(px->lfd);
	pthread_mutex_destroy(&px->mu);
}

START_TEST(through_socks5)
{
	drop d;
	proxy px;
	drop_up(&d, NULL, keystring);
	pthread_t t = proxy_start(&px, P_GOOD);
	ck_assert_int_eq(gd(&d, "over the proxy",
			    "submit " SERVER " --no-reply --proxy 127.0.0.1:%u", d.port, keystring,
			    px.port),
			 0);
	proxy_stop(&px, t);
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	ck_assert_int_ge(px.requests, 4); /* bundle, limits, challenge, submission */
	ck_assert_int_eq(px.domain_requests,
			 px.requests); /* always a name for the proxy to resolve */
	ck_assert_str_eq(px.host, "127.0.0.1");
	ck_assert_uint_eq(strlen(px.user), 12); /* random per run: a circuit of its own */
	static const struct {
		int mode;
		const char *says;
	} bad[] = {{P_V4, "did not answer as a SOCKS5 proxy"},
		   {P_NOAUTH, "refused username/password"},
		   {P_ONION_GONE, "descriptor not found"},
		   {P_HANGUP, "the connection to Tor at 127.0.0.1"}}; /* Tor restarting */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = proxy_start(&px, bad[i].mode);
		ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --no-reply --proxy 127.0.0.1:%u",
				    d.port, keystring, px.port),
				 4);
		ck_assert_msg(strstr(err, bad[i].says) != NULL, "mode %d: %s", bad[i].mode, err);
		proxy_stop(&px, t);
	}
	/* an onion the proxy cannot reach (Tor's F0): its whole address (62 characters) and what
	 * to do, not a cut ".oni" beside "a typo in the address" */
	static const char onion[] =
		"duskwoodx7q3mljfa2pnk4kzsqgv6yl5ihmwozrcx4b7ugbu3mkrbwyd.onion";
	t = proxy_start(&px, P_ONION_GONE);
	ck_assert_int_eq(gd(&d, "x",
			    "submit --server http://%s --newsroom %s --no-reply --proxy "
			    "127.0.0.1:%u",
			    onion, keystring, px.port),
			 4);
	proxy_stop(&px, t);
	ck_assert_msg(strstr(err, onion) != NULL && strstr(err, "Nothing was sent") != NULL &&
			      strstr(err, "Try again in a few minutes") != NULL &&
			      strchr(err, '\n') == err + strlen(err) - 1,
		      "%s", err);
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	drop_destroy(&d);
}
END_TEST

/* A file of len random bytes named recording.wav in the drop's folder, its path into file;
 * the bytes are returned (the caller frees them). */
static uint8_t *recording(const drop *d, size_t len, char *file, size_t cap)
{
	snprintf(file, cap, "%s/recording.wav", d->dir);
	uint8_t *data = malloc(len);
	ck_assert_ptr_nonnull(data);
	randombytes_buf(data, len);
	FILE *f = fopen(file, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return data;
}

/* Every answer to the commit is lost (the circuit breaks each time after the drop acted): the
 * worker gives up, and must not say that nothing was stored, since the drop stored it (seen
 * by a new user: "the upload stopped at 82.0 of 82.0 MiB, nothing was stored: run the same
 * command again", which without --state-dir sends a second copy). It says the testimony may be
 * stored, as Ctrl-C at that point does. */
START_TEST(lost_commit_answers_said_maybe_stored)
{
	drop d;
	proxy px;
	char file[256];
	drop_up(&d, NULL, keystring);
	free(recording(&d, 3u << 20, file, sizeof file));
	pthread_t t = proxy_start(&px, P_LOSE_COMMITS);
	int rc = gd(&d, "3 MiB, every commit answer lost",
		    "submit " SERVER " --no-reply --keep-metadata --proxy 127.0.0.1:%u %s", d.port,
		    keystring, px.port, file);
	proxy_stop(&px, t);
	ck_assert_int_ne(rc, 0);
	ck_assert_int_ge(px.commits_swallowed, 2); /* tried again before giving up */
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	ck_assert_msg(strstr(err, "nothing was stored") == NULL &&
			      strstr(err, "may or may not be stored") != NULL &&
			      strchr(err, '\n') == err + strlen(err) - 1,
		      "%s", err);
	drop_destroy(&d);
}
END_TEST

START_TEST(broken_connections_resume)
{
	drop d;
	proxy px;
	char file[256];
	drop_up(&d, NULL, keystring);
	size_t len = 50u << 20;
	uint8_t *data = recording(&d, len, file, sizeof file);
	pthread_t t = proxy_start(&px, P_FLAKY);
	ck_assert_int_eq(gd(&d, "50 MiB over a flaky circuit",
			    "submit " SERVER " --no-reply --keep-metadata --proxy 127.0.0.1:%u %s",
			    d.port, keystring, px.port, file),
			 0);
	proxy_stop(&px, t);
	ck_assert_int_eq(px.cut_mid_request, 1);
	ck_assert_int_ge(px.max_active, 3); /* chunks travel on several kept connections at once */
	ck_assert_int_lt(px.requests, 30);  /* not one connection per chunk (50 chunks) */
	ck_assert_int_eq(px.lost_answers, 2);      /* a chunk's answer and the commit's */
	ck_assert_int_ge(px.commits_swallowed, 2); /* the commit was sent again */
	drop_stored st;
	drop_fetch_all(&d, &st);
	ck_assert_uint_eq(st.n, 1); /* exactly once */
	ck_assert_uint_eq(st.s[0].data.len, len);
	ck_assert(memcmp(st.s[0].data.buf, data, len) == 0); /* whole */
	drop_stored_free(&st);
	free(data);
	drop_destroy(&d);
}
END_TEST

/* Two daemons behind one address (Onionbalance): the upload starts on one, a new circuit
 * lands on the other, which does not know the upload; the client starts it again there. */
START_TEST(upload_moves_to_another_backend)
{
	drop a, b;
	proxy px;
	char file[256], cmd[600];
	drop_create(&a, NULL);
	b = a;
	snprintf(b.dir, sizeof b.dir, "/tmp/gd-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(b.dir));
	snprintf(cmd, sizeof cmd, "cp -a %s/data %s/data", a.dir, b.dir); /* same newsroom, token */
	ck_assert_int_eq(system(cmd), 0);
	drop_start(&a);
	drop_start(&b);
	drop_publish_for_port(&a); /* the bundle lists a's address: the one onion address */
	snprintf(file, sizeof file, "%s/bundle2.gdkb", a.dir);
	ck_assert_int_eq(drop_cli(&b, NULL, 0, "keys publish --data %s/data %s", b.dir, file), 0);
	b.bundle = NULL; /* a's, freed with a */
	gd_keystring_encode(keystring, a.root_pk);
	snprintf(file, sizeof file, "%s/interview.mp3", a.dir);
	size_t len = 3u << 20;
	uint8_t *data = malloc(len);
	randombytes_buf(data, len);
	FILE *f = fopen(file, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
	pthread_t t = proxy_start(&px, P_SWITCH);
	px.other_port = b.port;
	px.switch_at = 2; /* after the upload was created on a, long before its commit */
	ck_assert_int_eq(gd(&a, "moved",
			    "submit " SERVER " --no-reply --keep-metadata --proxy 127.0.0.1:%u %s",
			    a.port, keystring, px.port, file),
			 0);
	proxy_stop(&px, t);
	ck_assert_msg(strstr(err, "sending it again") != NULL, "%s", err);
	ck_assert_uint_eq(drop_count_stored(&a), 0); /* nothing half-done committed on a */
	drop_stored st;
	drop_fetch_all(&b, &st);
	ck_assert_uint_eq(st.n, 1);
	ck_assert_uint_eq(st.s[0].data.len, len);
	ck_assert(memcmp(st.s[0].data.buf, data, len) == 0);
	drop_stored_free(&st);
	free(data);
	drop_destroy(&b);
	drop_destroy(&a);
}
END_TEST

/* Serve a given bundle: written straight into the stopped drop's database, as a compromised
 * or stale server would. */
static void serve_bundle(drop *d, gd_bundle *b)
{
	uint8_t *raw;
	size_t len;
	char path[256];
	ck_assert_int_eq(gd_bundle_sign(&raw, &len, b, d->root_sk), GD_OK);
	drop_stop(d, SIGTERM);
	store *st;
	snprintf(path, sizeof path, "%s/data/db", d->dir);
	ck_assert_int_eq(store_open(&st, path, 16ULL << 30, 90), STORE_OK);
	store_op *op = store_op_meta_put("bundle", raw, len);
	ck_assert_ptr_nonnull(op);
	ck_assert_int_eq(store_apply_sync(st, op), STORE_OK);
	store_op_free(op);
	store_close(st);
	drop_start(d);
}

START_TEST(stale_and_rolled_back_bundles)
{
	drop d;
	char state[256], home[256];
	drop_up(&d, NULL, keystring);
	snprintf(state, sizeof state, "%s/state", d.dir);
	snprintf(home, sizeof home, "%s/home", d.dir);
	ck_assert_int_eq(mkdir(home, 0700), 0);
	/* opting in: the newest version seen (2) is remembered */
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply --state-dir %s",
			    d.port, keystring, state),
			 0);
	/* without --state-dir nothing is written anywhere (HOME and the working directory) */
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "cd %s && echo x | HOME=%s setsid %s submit " SERVER " --clearnet "
		 "--no-reply >/dev/null 2>&1 && test -z \"$(ls -A %s)\"",
		 home, home, GHOSTDROP, d.port, keystring, home);
	ck_assert_int_eq(system(cmd), 0);
	/* a server that rolls back to bundle v1 (properly signed, but older) */
	gd_bundle *b = calloc(1, sizeof *b);
	ck_assert_int_eq(gd_bundle_verify(b, d.bundle, d.bundle_len, d.root_pk, time(NULL), 0),
			 GD_OK);
	b->version = 1;
	serve_bundle(&d, b);
	ck_assert_int_eq(gd(&d, "x",
			    "submit " SERVER
			    " --clearnet --no-reply --unlisted-server --state-dir %s",
			    d.port, keystring, state),
			 3);
	ck_assert(strstr(err, "older than the minimum") != NULL);
	/* an expired bundle */
	int64_t now = (int64_t)time(NULL);
	b->version = 3;
	b->created = now - 60 * 86400;
	b->expires = now - 86400;
	b->journalists[0].not_before = now - 59 * 86400;
	b->journalists[0].not_after = now - 2 * 86400;
	serve_bundle(&d, b);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply --unlisted-server",
			    d.port, keystring),
			 3);
	/* told apart from an attack: the newsroom key is fine, nothing was sent, wait or fix the
	 * clock, never another key */
	ck_assert_msg(strstr(err, "expired on") != NULL &&
			      strstr(err, "your newsroom key is fine") != NULL &&
			      strstr(err, "nothing was sent") != NULL &&
			      strstr(err, "Do not use another key") != NULL &&
			      strstr(err, "do not send anything") == NULL,
		      "%s", err);
	/* signed "tomorrow": this computer's clock is behind */
	b->created = now + 2 * 86400;
	b->expires = now + 30 * 86400;
	b->journalists[0].not_before = now;
	b->journalists[0].not_after = now + 30 * 86400;
	serve_bundle(&d, b);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply --unlisted-server",
			    d.port, keystring),
			 3);
	ck_assert_msg(strstr(err, "correct this computer's date") != NULL &&
			      strstr(err, "Nothing was sent") != NULL,
		      "%s", err);
	free(b);
	ck_assert_uint_eq(drop_count_stored(&d), 2); /* only the two before the rollback */
	/* an onion address always goes to Tor (here: not running on 127.0.0.1:9050) */
	ck_assert_int_eq(gd(&d, "x",
			    "submit --server http://%s.onion --newsroom %s --clearnet --no-reply",
			    "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx", keystring),
			 4);
	ck_assert(strstr(err, "127.0.0.1:9050") != NULL);
	drop_destroy(&d);
}
END_TEST

START_TEST(lost_submit_answer)
{
	drop d;
	proxy px;
	drop_up(&d, NULL, keystring);
	pthread_t t = proxy_start(&px, P_LOSE_SUBMIT);
	ck_assert_int_eq(gd(&d, "the answer gets lost",
			    "submit " SERVER " --no-reply --json --proxy 127.0.0.1:%u", d.port,
			    keystring, px.port),
			 0);
	proxy_stop(&px, t);
	ck_assert_int_eq(px.lost_answers, 1);
	ck_assert(strstr(out, "\"already_stored\"") != NULL); /* the retry found it stored */
	ck_assert_uint_eq(drop_count_stored(&d), 1);          /* once */
	drop_destroy(&d);
}
END_TEST

/* Without --state-dir or --min-bundle-version, and without writing anything: a validly signed
 * bundle that has not expired, but was signed more than GD_BUNDLE_MAX_AGE ago, is refused
 * (a drop rolling workers back to it); one signed recently is taken. */
START_TEST(old_bundle_refused_by_default)
{
	drop d;
	drop_up(&d, NULL, keystring);
	int64_t now = (int64_t)time(NULL);
	gd_bundle *b = calloc(1, sizeof *b);
	ck_assert_int_eq(gd_bundle_verify(b, d.bundle, d.bundle_len, d.root_pk, now, 0), GD_OK);
	b->version = 5;
	b->created = now - 40 * 86400;
	b->expires = now + 300 * 86400;
	b->journalists[0].not_before = now - 40 * 86400;
	b->journalists[0].not_after = now + 300 * 86400;
	serve_bundle(&d, b);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply --unlisted-server",
			    d.port, keystring),
			 3);
	ck_assert_msg(strstr(err, "too old") != NULL &&
			      strstr(err, "refused after 31 days") != NULL &&
			      strstr(err, "nothing was sent") != NULL,
		      "%s", err);
	ck_assert_uint_eq(drop_count_stored(&d), 0);
	b->created = now - 20 * 86400;
	serve_bundle(&d, b);
	ck_assert_int_eq(gd(&d, "x", "submit " SERVER " --clearnet --no-reply --unlisted-server",
			    d.port, keystring),
			 0);
	ck_assert_uint_eq(drop_count_stored(&d), 1);
	free(b);
	drop_destroy(&d);
}
END_TEST

/* The worker's process cannot dump core and cannot be read through /proc or ptrace by its
 * user: seen from outside while it waits for a drop that never answers. */
START_TEST(worker_process_not_dumpable)
{
	uint16_t port;
	int lfd = test_listen(&port, 4);
	uint8_t pk[32];
	char ks[GD_KEYSTRING_LEN + 1], server[64];
	randombytes_buf(pk, sizeof pk);
	gd_keystring_encode(ks, pk);
	snprintf(server, sizeof server, "http://127.0.0.1:%u", port);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		/* as root, run it as nobody: a dumpable process's /proc files belong to its user */
		if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(99);
		execl(GHOSTDROP, GHOSTDROP, "submit", "--server", server, "--clearnet",
		      "--newsroom", ks, "--no-reply", "--message-file", "/dev/null", (char *)NULL);
		_exit(98);
	}
	ck_assert_int_gt(pid, 0);
	struct pollfd p = {lfd, POLLIN, 0};
	ck_assert_int_eq(poll(&p, 1, 10000), 1); /* it connected: it is running, waiting */
	int conn = accept(lfd, NULL, NULL);
	assert_not_dumpable(pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(conn);
	close(lfd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ghostdrop");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, submit_follow_up_and_open);
	tcase_add_test(tc, large_attachment_via_upload);
	tcase_add_test(tc, photos_arrive_without_metadata);
	tcase_add_test(tc, documents_cleaned_by_mat2);
	tcase_add_test(tc, refusals_send_nothing);
	tcase_add_test(tc, replies_verified_forged_acked);
	tcase_add_test(tc, through_socks5);
	tcase_add_test(tc, broken_connections_resume);
	tcase_add_test(tc, lost_commit_answers_said_maybe_stored);
	tcase_add_test(tc, leaves_no_files);
	tcase_add_test(tc, upload_moves_to_another_backend);
	tcase_add_test(tc, stale_and_rolled_back_bundles);
	tcase_add_test(tc, lost_submit_answer);
	tcase_add_test(tc, worker_process_not_dumpable);
	tcase_add_test(tc, old_bundle_refused_by_default);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
