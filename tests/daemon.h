/* ghostdrop integration-test helpers: a throwaway drop (real ghostdropd on 127.0.0.1) and a tiny
 * blocking HTTP client. */
#ifndef GD_TEST_DAEMON_H
#define GD_TEST_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* A solved PoW header value "CHALLENGE.COUNTER" for a purpose (and size, for uploads). */
void pow_header(uint16_t port, const char *purpose, uint64_t size, char *out, size_t cap);
/* The same without asserting (for threads racing a daemon that may be killed): 0 or -1. */
int pow_try(uint16_t port, const char *purpose, uint64_t size, char *out, size_t cap);

#endif
