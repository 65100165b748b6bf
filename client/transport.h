/* ghostdrop client transport: HTTP/1.1 requests to the drop, through Tor's SOCKS5 port by
 * default, with deadlines. Never resolves a host name itself. */
#ifndef GD_TRANSPORT_H
#define GD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	char host[256];
	uint16_t port;
	int onion;    /* a .onion address: only ever through the proxy */
	int loopback; /* 127.0.0.0/8 or ::1 */
	int literal;  /* an IP address, not a name */
} gd_url;

typedef struct {
	int use_proxy;
	char proxy_ip[64];
	uint16_t proxy_port;
	char user[24], pass[24]; /* random per run: a fresh Tor circuit (IsolateSOCKSAuth) */
	unsigned timeout;        /* seconds per request, connection included */
} gd_transport;

enum {
	TR_OK = 0,
	TR_ERR_CONNECT = -1, /* proxy or server unreachable */
	TR_ERR_SOCKS = -2,   /* the proxy refused (message says why) */
	TR_ERR_HTTP = -3,    /* not a well-formed HTTP answer, or too large */
	TR_ERR_TIMEOUT = -4,
	TR_ERR_SINK = -5, /* the caller's sink refused the bytes (e.g. disk full) */
};

typedef struct {
	int status;
	uint8_t *body;
	size_t len;
	char error[64];    /* the drop's JSON error code, if any */
	char message[256]; /* its message, or the transport's */
	uint64_t content_length;
	int closing; /* the drop said Connection: close */
} gd_response;

/* Where a streamed answer's body goes; 0, or -1 to abort. */
typedef int (*gd_body_fn)(void *arg, const uint8_t *buf, size_t len);

/* http://host[:port] with an optional trailing '/'. */
int gd_url_parse(gd_url *u, const char *url, char *err, size_t cap);
/* The Tor rules: .onion always via proxy (default 127.0.0.1:9050); anything else needs a
 * proxy or clearnet (warned on stderr unless loopback); a proxy must be an IP literal.
 * 0, or -1 with a message in err. */
int gd_transport_init(gd_transport *t, const gd_url *u, const char *proxy, int clearnet, char *err,
		      size_t cap);
/* One request on a fresh connection. headers: "Name: value\r\n" lines or NULL. */
int gd_request(gd_transport *t, const gd_url *u, const char *method, const char *path,
	       const char *headers, const uint8_t *body, size_t len, size_t max_body,
	       gd_response *r);
/* The same on a kept connection: *keep is its socket, or -1 to open one; after the answer it
 * holds the socket for the next request (or -1 if the drop closed it). A kept connection
 * the drop had closed while idle is replaced once, before anything was answered. Within one
 * run this links nothing Tor did not link already: every connection of a run goes through
 * the same circuit (the same SOCKS credentials). */
int gd_request_keep(gd_transport *t, const gd_url *u, int *keep, const char *method,
		    const char *path, const char *headers, const uint8_t *body, size_t len,
		    size_t max_body, gd_response *r);
void gd_keep_close(int *keep);
/* A GET whose 2xx body is handed to sink as it arrives (r->content_length tells the size
 * before the first bytes); the timeout then counts from the last bytes received. Any other
 * answer is buffered in r as with gd_request. */
int gd_request_stream(gd_transport *t, const gd_url *u, const char *path, const char *headers,
		      gd_body_fn sink, void *arg, gd_response *r);
void gd_response_free(gd_response *r);

#endif
