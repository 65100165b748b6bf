/* ghostdrop integration-test helpers: a throwaway drop (real ghostdropd on 127.0.0.1), a tiny
 * blocking HTTP client, and the requests and CLI runs the integration tests share. */
#ifndef GD_TEST_DAEMON_H
#define GD_TEST_DAEMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "testutil.h"

typedef struct {
	char dir[128];
	char token[64];
	uint16_t port;
	pid_t pid;
	uint8_t root_pk[32], root_sk[64];
	uint8_t jpk[32], jsk[32]; /* the one journalist */
	uint8_t *bundle;
	size_t bundle_len;
	const char *preload; /* an LD_PRELOAD shim for the daemon, or NULL */
	const char *env[4];  /* extra NAME=VALUE for the daemon */
} drop;

/* init + keys publish + token add; extra config lines appended (later lines win). */
void drop_create(drop *d, const char *extra_config);
void drop_start(drop *d);
/* Publish bundle v2 listing http://127.0.0.1:PORT (the running daemon serves it at once). */
void drop_publish_for_port(drop *d);
void drop_stop(drop *d, int sig); /* waits for exit */
void drop_destroy(drop *d);
/* Run the ghostdropd binary with arguments; returns its exit code, stdout into out. */
int drop_cli(const drop *d, char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

typedef struct {
	int status;
	uint8_t *body;
	size_t len;
	char error[64]; /* the "error" code of a JSON error body */
} resp;

/* One request on a fresh connection. headers: "\r\n"-terminated lines or NULL. */
int http_do(uint16_t port, const char *method, const char *path, const char *headers,
	    const void *body, size_t len, resp *r);
void resp_free(resp *r);

/* The bits the drop asks for now: POST /v1/pow?QUERY ("purpose=submit", ...), asserted 200. */
unsigned pow_bits(uint16_t port, const char *query);
/* A solved PoW header value "CHALLENGE.COUNTER" for a purpose (and size, for uploads). */
void pow_header(uint16_t port, const char *purpose, uint64_t size, char *out, size_t cap);
/* The same without asserting (for threads racing a daemon that may be killed): 0 or -1. */
int pow_try(uint16_t port, const char *purpose, uint64_t size, char *out, size_t cap);

/* The drop's clock, for a daemon started with the timeshift shim (d->preload = TIMESHIFT).
 * drop_now: its time(), read from a fresh challenge's expiry (§9.1). drop_jump: time() ten
 * minutes ahead `steps` times (SIGUSR1), each step seen by the daemon. drop_advance: every
 * clock of the daemon `seconds` ahead (SIGRTMIN, one second each), so its timers (the expiry
 * tick every 10 s, body_timeout) fire as they would that much later; returns once time() shows
 * it (at least seconds - 1 more on a finer clock) and the daemon has woken since, running the
 * timers then due. Instead of waiting real seconds. */
int64_t drop_now(const drop *d);
void drop_jump(const drop *d, int steps);
void drop_advance(const drop *d, unsigned seconds);

/* Requests as the clients make them, for tests that also make them wrong. */
/* "Authorization: Bearer TOKEN\r\n" for the drop's courier token (a static buffer). */
const char *drop_auth(const drop *d);
/* The courier's copy of submission id is exactly env (GET /v1/courier/submissions/ID). */
void drop_courier_copy_is(const drop *d, const uint8_t id[16], const membuf *env);
/* How many submissions the drop holds (its courier listing). */
size_t drop_count_stored(const drop *d);
/* Every stored submission, fetched as the courier does and opened with the journalist key (at
 * most 40), asserted; drop_stored_free frees them. */
typedef struct {
	size_t n;
	sink_state s[40];
} drop_stored;
void drop_fetch_all(const drop *d, drop_stored *st);
void drop_stored_free(drop_stored *st);
/* Base64 into out, asserted to fit. */
void test_b64(char *out, size_t cap, const uint8_t *b, size_t n);
/* An envelope from src to the drop's journalist: text, and att_len bytes of one attachment
 * when att_len > 0; ack (or NULL) receives the ack key. */
void drop_envelope(const drop *d, const gd_source_keys *src, const char *text, size_t att_len,
		   membuf *out, uint8_t ack[32]);
/* POST /v1/submissions of env under id, with the right hash; pow NULL: solve a fresh one;
 * ctype NULL: application/octet-stream. The answer into r. */
void post_submission(const drop *d, const uint8_t id[16], const membuf *env, const char *pow,
		     const char *ctype, resp *r);

/* The worker's side: a drop started with a bundle naming its port, and a CLI run against it. */
/* drop_create + drop_start + drop_publish_for_port; the newsroom key string into keystring. */
void drop_up(drop *d, const char *extra_config, char keystring[GD_KEYSTRING_LEN + 1]);
/* Run `BIN ARGS` without a controlling terminal (setsid, as a script does), stdin from `in`
 * (NULL: empty), in d->dir; stdout and stderr into out and err (each cap bytes, terminated).
 * Returns the exit code, -1 if killed. */
int drop_run(const drop *d, const char *bin, const char *in, char *out, char *err, size_t cap,
	     const char *fmt, ...) __attribute__((format(printf, 7, 8)));
int drop_vrun(const drop *d, const char *bin, const char *in, char *out, char *err, size_t cap,
	      const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));
/* The source keys of the codename in the first line of a file (as ghostdrop --codename-out
 * writes it), for the drop's newsroom. */
gd_source_keys *source_of_codename_file(const drop *d, const char *path);

#endif
