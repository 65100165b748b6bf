/* Integration tests (issue 16, 3): an interrupted upload waits for its worker. The real
 * ghostdropd on 127.0.0.1 keeps an idle upload's chunks for upload_keep_idle_minutes while
 * nobody needs its room, and still gives its slot and its reserved space to a newcomer at once
 * when room is short (idle for upload_idle_seconds, §11.3). Uploads are expired every 10 s.
 * The daemon runs with the timeshift shim: drop_jump moves its wall clock ten minutes ahead,
 * drop_advance all its clocks (and so the expiry tick, body_timeout) by seconds, instead of
 * waiting real seconds for them. */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "testutil.h"

#define CS 65536                  /* chunk_size_kb = 64, set by drop_create */
#define CONF "pow_max_bits = 4\n" /* a difficulty that does not rise between challenge and use */

static gd_source_keys *src;

/* Once per run (Argon2id at 256 MiB): an unchecked fixture runs in this process, per case. */
static void setup(void)
{
	uint8_t nr[32] = {4};
	if (src == NULL)
		src = test_source("zoom abacus yo-yo able ablaze abide zoologist felt-tip", nr);
}

/* POST /v1/uploads for a submission id and size; the status, the upload id into up. */
static int up_create(const drop *d, const uint8_t id[16], uint64_t size, char up[32])
{
	char pow[256], hdr[512], body[128], idb[32];
	resp r;
	pow_header(d->port, "upload", size, pow, sizeof pow);
	snprintf(hdr, sizeof hdr, "X-Ghostdrop-PoW: %s\r\n", pow);
	test_b64(idb, sizeof idb, id, 16);
	snprintf(body, sizeof body, "{\"id\":\"%s\",\"size\":%llu}", idb, (unsigned long long)size);
	ck_assert_int_eq(http_do(d->port, "POST", "/v1/uploads", hdr, body, strlen(body), &r), 0);
	int st = r.status;
	if (st == 201) {
		json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
		snprintf(up, 32, "%s", json_string_value(json_object_get(o, "upload")));
		json_decref(o);
	}
	resp_free(&r);
	return st;
}

static size_t chunk_len(const membuf *env, uint32_t i)
{
	size_t off = (size_t)i * CS;
	return env->len - off < CS ? env->len - off : CS;
}

/* PUT chunk i of env; the status, its error code into err (if any). */
static int up_chunk(const drop *d, const char *up, const membuf *env, uint32_t i, char err[64])
{
	char path[128];
	resp r;
	snprintf(path, sizeof path, "/v1/uploads/%s/chunks/%u", up, i);
	ck_assert_int_eq(http_do(d->port, "PUT", path, "Content-Type: application/octet-stream\r\n",
				 env->buf + (size_t)i * CS, chunk_len(env, i), &r),
			 0);
	int st = r.status;
	if (err != NULL)
		snprintf(err, 64, "%s", r.error);
	resp_free(&r);
	return st;
}

/* GET /v1/uploads/U: the status, and how many chunks it lists as received (or -1). */
static int up_get(const drop *d, const char *up, int *received)
{
	char path[128];
	resp r;
	snprintf(path, sizeof path, "/v1/uploads/%s", up);
	ck_assert_int_eq(http_do(d->port, "GET", path, NULL, NULL, 0, &r), 0);
	int st = r.status;
	*received = -1;
	if (st == 200) {
		json_t *o = json_loadb((char *)r.body, r.len, 0, NULL);
		*received = (int)json_array_size(json_object_get(o, "received"));
		json_decref(o);
	} else {
		ck_assert_str_eq(r.error, "upload_not_found");
	}
	resp_free(&r);
	return st;
}

static int up_commit(const drop *d, const char *up, const membuf *env)
{
	uint32_t n = (uint32_t)((env->len + CS - 1) / CS);
	uint8_t(*h)[32] = calloc(n, 32), dg[32];
	char body[128], dgb[64], path[128];
	resp r;
	for (uint32_t i = 0; i < n; i++)
		crypto_generichash(h[i], 32, env->buf + (size_t)i * CS, chunk_len(env, i), NULL, 0);
	gd_upload_digest(dg, env->len, (const uint8_t(*)[32])h, n);
	free(h);
	test_b64(dgb, sizeof dgb, dg, 32);
	snprintf(body, sizeof body, "{\"hash\":\"%s\"}", dgb);
	snprintf(path, sizeof path, "/v1/uploads/%s/commit", up);
	ck_assert_int_eq(http_do(d->port, "POST", path, NULL, body, strlen(body), &r), 0);
	int st = r.status;
	resp_free(&r);
	return st;
}

/* A drop with the timeshift shim. */
static void start(drop *d, const char *config)
{
	drop_create(d, config);
	d->preload = TIMESHIFT;
	drop_start(d);
}

/* The daemon's clock `steps` times ten minutes ahead, then long enough for one expiry tick. */
static void later(const drop *d, int steps)
{
	drop_jump(d, steps);
	drop_advance(d, 11);
}

/* The upload is gone within two expiry ticks (after the clock moved): 1, or 0 if still there. */
static int gone_soon(const drop *d, const char *up)
{
	int got;
	for (int i = 0; i < 2; i++) {
		drop_advance(d, 11);
		if (up_get(d, up, &got) == 404)
			return 1;
	}
	return 0;
}

/* Idle far past upload_idle_seconds (an hour, 2 s set) but within the keep time (the
 * default): the upload answers with its chunks, the rest is sent, the commit stores it. */
START_TEST(idle_upload_is_kept)
{
	drop d;
	membuf env;
	uint8_t id[16];
	char up[32], err[64];
	int got;
	start(&d, "upload_idle_seconds = 2\n" CONF);
	drop_envelope(&d, src, "idle", 200000, &env, NULL); /* several chunks */
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, env.len, up), 201);
	ck_assert_int_eq(up_chunk(&d, up, &env, 0, err), 201);
	ck_assert_int_eq(up_chunk(&d, up, &env, 1, err), 201);
	later(&d, 6); /* an hour: the laptop slept, or Ctrl-C before lunch and again after it */
	ck_assert_int_eq(up_get(&d, up, &got), 200);
	ck_assert_int_eq(got, 2);
	for (uint32_t i = 2; i < (uint32_t)((env.len + CS - 1) / CS); i++)
		ck_assert_int_eq(up_chunk(&d, up, &env, i, err), 201);
	ck_assert_int_eq(up_commit(&d, up, &env), 201);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

/* Past upload_keep_idle_minutes without a stored chunk it is gone: status, chunks alike. */
START_TEST(gone_after_keep_time)
{
	drop d;
	membuf env;
	uint8_t id[16];
	char up[32], err[64];
	int got;
	start(&d, "upload_keep_idle_minutes = 15\n" CONF);
	drop_envelope(&d, src, "keep", 100000, &env, NULL);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, env.len, up), 201);
	ck_assert_int_eq(up_chunk(&d, up, &env, 0, err), 201);
	later(&d, 1);
	ck_assert_int_eq(up_get(&d, up, &got), 200); /* 10 minutes */
	drop_jump(&d, 1);                            /* 20 */
	ck_assert(gone_soon(&d, up));
	ck_assert_int_eq(up_chunk(&d, up, &env, 1, err), 404);
	ck_assert_str_eq(err, "upload_not_found");
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

/* The keep time never outlasts the upload's deadline, upload_hours from its creation. */
START_TEST(deadline_bounds_keep_time)
{
	drop d;
	membuf env;
	uint8_t id[16];
	char up[32], err[64];
	start(&d, "upload_hours = 1\nupload_keep_idle_minutes = 600\n" CONF);
	drop_envelope(&d, src, "deadline", 100000, &env, NULL);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, env.len, up), 201);
	ck_assert_int_eq(up_chunk(&d, up, &env, 0, err), 201);
	drop_jump(&d, 7); /* 70 minutes */
	ck_assert(gone_soon(&d, up));
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

/* The laptop slept in the middle of a chunk: its body stops arriving, an expiry tick passes
 * with it still open past upload_idle_seconds, then body_timeout cuts it. The upload is not
 * dropped for that slow body (its connection's matter): it is kept, and the chunk sent again. */
START_TEST(slow_chunk_keeps_upload)
{
	drop d;
	membuf env;
	uint8_t id[16];
	char up[32], err[64], h[256];
	int got;
	start(&d, "upload_idle_seconds = 2\nbody_timeout = 20\n" CONF);
	drop_envelope(&d, src, "slept", 100000, &env, NULL);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, env.len, up), 201);
	ck_assert_int_eq(up_chunk(&d, up, &env, 0, err), 201);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(d.port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	int n = snprintf(h, sizeof h,
			 "PUT /v1/uploads/%s/chunks/1 HTTP/1.1\r\nContent-Type: "
			 "application/octet-stream\r\nContent-Length: %zu\r\n\r\n",
			 up, chunk_len(&env, 1));
	ck_assert_int_eq(write(fd, h, (size_t)n), n);
	ck_assert_int_eq(write(fd, env.buf + CS, 1000), 1000);
	drop_advance(&d, 13); /* a tick saw the body arriving for longer than upload_idle_seconds */
	ck_assert_int_eq(up_get(&d, up, &got), 200);
	drop_advance(&d, 9); /* body_timeout cut it */
	close(fd);
	ck_assert_int_eq(up_get(&d, up, &got), 200);
	ck_assert_int_eq(got, 1);
	for (uint32_t i = 1; i < (uint32_t)((env.len + CS - 1) / CS); i++)
		ck_assert_int_eq(up_chunk(&d, up, &env, i, err), 201);
	ck_assert_int_eq(up_commit(&d, up, &env), 201);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

/* Every slot taken: an upload idle for upload_idle_seconds still gives its slot to a newcomer
 * at once, however long it could otherwise be kept. */
START_TEST(slot_still_yields)
{
	drop d;
	membuf env;
	uint8_t id[16];
	char a[32], b[32], err[64];
	int got;
	start(&d, "max_uploads = 1\nupload_idle_seconds = 2\n" CONF);
	drop_envelope(&d, src, "slot", 100000, &env, NULL);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, env.len, a), 201);
	ck_assert_int_eq(up_chunk(&d, a, &env, 0, err), 201);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, env.len, b), 503); /* not idle yet */
	drop_advance(&d, 3);
	ck_assert_int_eq(up_create(&d, id, env.len, b), 201);
	ck_assert_int_eq(up_get(&d, a, &got), 404);
	ck_assert_int_eq(up_get(&d, b, &got), 200);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

/* The room below the mark taken by an idle upload's reservation: it gives it at once too. */
START_TEST(space_still_yields)
{
	drop d;
	uint8_t id[16];
	char a[32], b[32];
	int got;
	start(&d, "map_size_mb = 16\nhigh_water_percent = 50\nupload_idle_seconds = 2\n" CONF);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 5ULL << 20, a), 201); /* no chunk yet: Tor went */
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 5ULL << 20, b), 507); /* not idle yet */
	drop_advance(&d, 3);
	ck_assert_int_eq(up_create(&d, id, 5ULL << 20, b), 201);
	ck_assert_int_eq(up_get(&d, a, &got), 404);
	ck_assert_int_eq(up_get(&d, b, &got), 200);
	drop_destroy(&d);
}
END_TEST

/* The review's W4: a newcomer with far more work (128 MiB declared: 5 size bits more) no longer
 * evicts a worker's upload idle for 8 s, upload_idle_seconds >> 4 (default 120). The grace
 * never drops below 120 s: the worker's own wait for a lost circuit (100 s) and a new one. */
START_TEST(grace_floor_against_more_work)
{
	drop d;
	membuf env;
	uint8_t id[16];
	char a[32], b[32], err[64];
	int got;
	start(&d, "max_uploads = 1\nmax_envelope_mb = 256\n" CONF);
	drop_envelope(&d, src, "floor", 100000, &env, NULL);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, env.len, a), 201);
	ck_assert_int_eq(up_chunk(&d, a, &env, 0, err), 201);
	drop_advance(&d, 8); /* Tor lost its circuit; the worker's client waits up to 100 s */
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 128ULL << 20, b), 503);
	ck_assert_int_eq(up_get(&d, a, &got), 200);
	ck_assert_int_eq(up_chunk(&d, a, &env, 1, err), 201); /* connected again */
	ck_assert_int_eq(up_commit(&d, a, &env), 201);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

/* Below 120 s the grace is upload_idle_seconds itself, whatever the newcomer's work: an
 * attacker's idle uploads keep a worker out no longer than that (the anti-holding property). */
START_TEST(grace_is_idle_seconds_below_floor)
{
	drop d;
	membuf env;
	uint8_t id[16];
	char a[32], b[32], err[64];
	int got;
	start(&d, "max_uploads = 1\nupload_idle_seconds = 4\nmax_envelope_mb = 64\n" CONF);
	drop_envelope(&d, src, "short", 100000, &env, NULL);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, env.len, a), 201);
	ck_assert_int_eq(up_chunk(&d, a, &env, 0, err), 201);
	drop_advance(&d, 1);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 64ULL << 20, b), 503); /* 4 bits more: 4 >> 4 was 0 s */
	ck_assert_int_eq(up_get(&d, a, &got), 200);
	drop_advance(&d, 3);
	ck_assert_int_eq(up_create(&d, id, 64ULL << 20, b), 201);
	ck_assert_int_eq(up_get(&d, a, &got), 404);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

/* Room short: the newcomer evicts only what it needs. 32 MiB mark, uploads get 28 MiB of it;
 * A and B (4 MiB each) and C (12 MiB) idle, A the most idle. A 16 MiB newcomer needs more than
 * A and B give: C alone is evicted, not A, B and C in turn; a 3 MiB one then takes just A. */
START_TEST(evicts_only_what_is_needed)
{
	drop d;
	uint8_t id[16];
	char a[32], b[32], c[32], n[32];
	int got;
	start(&d, "map_size_mb = 64\nhigh_water_percent = 50\nmax_envelope_mb = 64\n"
		  "upload_idle_seconds = 2\n" CONF);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 4ULL << 20, a), 201);
	usleep(100000);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 4ULL << 20, b), 201);
	usleep(100000);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 12ULL << 20, c), 201);
	drop_advance(&d, 3);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 16ULL << 20, n), 201);
	ck_assert_int_eq(up_get(&d, c, &got), 404);
	ck_assert_int_eq(up_get(&d, a, &got), 200);
	ck_assert_int_eq(up_get(&d, b, &got), 200);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 3ULL << 20, n), 201); /* the loop stops once it fits */
	ck_assert_int_eq(up_get(&d, a, &got), 404);
	ck_assert_int_eq(up_get(&d, b, &got), 200);
	drop_destroy(&d);
}
END_TEST

/* A newcomer that would not fit even with every idle upload gone evicts none of them. */
START_TEST(evicts_nothing_for_nothing)
{
	drop d;
	membuf env;
	uint8_t id[16];
	char a[32], b[32], n[32], err[64];
	int got;
	start(&d, "map_size_mb = 64\nhigh_water_percent = 50\nmax_envelope_mb = 64\n"
		  "upload_idle_seconds = 2\n" CONF);
	drop_envelope(&d, src, "busy", 100000, &env, NULL);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 12ULL << 20, a), 201); /* idle */
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 12ULL << 20, b), 201); /* a worker busy sending */
	drop_advance(&d, 3);
	int fd = socket(AF_INET, SOCK_STREAM, 0); /* B's chunk arriving: activity */
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(d.port)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	char h[256];
	int k = snprintf(h, sizeof h,
			 "PUT /v1/uploads/%s/chunks/1 HTTP/1.1\r\nContent-Type: "
			 "application/octet-stream\r\nContent-Length: %d\r\n\r\n",
			 b, CS);
	ck_assert_int_eq(write(fd, h, (size_t)k), k);
	ck_assert_int_eq(write(fd, env.buf, 1000), 1000);
	usleep(300000);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 20ULL << 20, n), 507); /* needs A and B */
	ck_assert_int_eq(up_get(&d, a, &got), 200);
	ck_assert_int_eq(up_get(&d, b, &got), 200);
	close(fd);
	(void)err;
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

/* A newcomer evicts an upload that stored more than it declares only when nothing else gives
 * room: here the chunkless B goes first though the worker's A (3 chunks of 4 in) idled longer;
 * alone, A still yields (else its stored junk would hold a slot for 12 h). */
START_TEST(stored_work_goes_last)
{
	drop d;
	membuf env;
	uint8_t id[16];
	char a[32], b[32], n[32], err[64];
	int got;
	start(&d, "max_uploads = 2\nupload_idle_seconds = 2\n" CONF);
	drop_envelope(&d, src, "most", 200000, &env, NULL); /* 4 chunks */
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, env.len, a), 201);
	for (uint32_t i = 0; i < 3; i++)
		ck_assert_int_eq(up_chunk(&d, a, &env, i, err), 201);
	usleep(200000);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 20000, b), 201);
	drop_advance(&d, 3);
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 20000, n), 201);
	ck_assert_int_eq(up_get(&d, b, &got), 404);
	ck_assert_int_eq(up_get(&d, a, &got), 200);
	ck_assert_int_eq(got, 3);
	membuf small;
	drop_envelope(&d, src, "next", 1000, &small, NULL); /* 1 chunk */
	drop_advance(&d, 3); /* the newcomer idles too, but A stored more than the next declares */
	char c[32];
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, small.len, c), 201);
	ck_assert_int_eq(up_get(&d, n, &got), 404);
	ck_assert_int_eq(up_get(&d, a, &got), 200);
	ck_assert_int_eq(up_chunk(&d, c, &small, 0, err), 201); /* C busy, A the only idle one */
	randombytes_buf(id, 16);
	ck_assert_int_eq(up_create(&d, id, 20000, n), 201);
	ck_assert_int_eq(up_get(&d, a, &got), 404);
	ck_assert_int_eq(up_get(&d, c, &got), 200);
	membuf_free(&small);
	membuf_free(&env);
	drop_destroy(&d);
}
END_TEST

/* One case per test: CK_RUN_CASE=name runs one alone. */
#define CASE(fn)                                                                                   \
	do {                                                                                       \
		TCase *tc = tcase_create(#fn);                                                     \
		tcase_add_unchecked_fixture(tc, setup, NULL);                                      \
		tcase_set_timeout(tc, 120);                                                        \
		tcase_add_test(tc, fn);                                                            \
		suite_add_tcase(s, tc);                                                            \
	} while (0)

static Suite *suite(void)
{
	Suite *s = suite_create("idle16");
	CASE(idle_upload_is_kept);
	CASE(gone_after_keep_time);
	CASE(deadline_bounds_keep_time);
	CASE(slow_chunk_keeps_upload);
	CASE(slot_still_yields);
	CASE(space_still_yields);
	CASE(grace_floor_against_more_work);
	CASE(grace_is_idle_seconds_below_floor);
	CASE(evicts_only_what_is_needed);
	CASE(evicts_nothing_for_nothing);
	CASE(stored_work_goes_last);
	return s;
}
GD_CHECK_MAIN(suite)
