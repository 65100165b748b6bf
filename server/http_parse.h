/* ghostdropd's HTTP/1.1 request-head parser: the request line and header fields, strictly
 * (PROTOCOL.md §11.1), parsed in place, with no state and no I/O (tests/fuzz/fuzz_http.c
 * runs it on anything). http.c feeds it the bytes up to the blank line. */
#ifndef GD_SERVER_HTTP_PARSE_H
#define GD_SERVER_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 64

typedef struct {
	const char *method, *target, *path, *query; /* path and query: the target split at '?' */
	const char *names[HTTP_MAX_HEADERS], *values[HTTP_MAX_HEADERS];
	int n_headers;
	uint64_t content_length;
	int keepalive; /* HTTP/1.1 without "Connection: close" */
} http_head;

/* Parse the len bytes at buf (ending "\r\n\r\n", NUL-terminated) into h, pointing into buf
 * (which it cuts with NULs). 0, or an HTTP status (400, 431, 501) with *code its error code. */
int http_parse_head(http_head *h, char *buf, size_t len, const char **code);
/* A header field's value (names case-insensitive), or NULL. */
const char *http_head_field(const http_head *h, const char *name);
/* A query parameter into out: 0; -1 absent; -2 longer than cap - 1. */
int http_head_query(const http_head *h, const char *name, char *out, size_t cap);

#endif
