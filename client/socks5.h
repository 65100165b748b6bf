/* ghostdrop SOCKS5 (RFC 1928, RFC 1929) for reaching the drop through Tor: remote name
 * resolution only, username/password for circuit isolation. Pure encode/parse functions. */
#ifndef GD_SOCKS5_H
#define GD_SOCKS5_H

#include <stddef.h>
#include <stdint.h>

enum {
	SOCKS_OK = 0,
	SOCKS_MORE = 1,          /* the reply is not complete yet: read more */
	SOCKS_ERR_PROTOCOL = -1, /* not a SOCKS5 answer, or one we did not ask for */
	SOCKS_ERR_AUTH = -2,     /* the proxy refused our credentials or all our methods */
	SOCKS_ERR_REFUSED = -3,  /* the proxy answered with an error code (see reply_code) */
};

/* Greeting offering username/password (0x02) only: Tor isolates circuits by credentials. */
size_t socks5_greeting(uint8_t out[3]);
int socks5_parse_method(const uint8_t *in, size_t len);
/* RFC 1929 username/password request; user and pass are 1..255 bytes. */
size_t socks5_auth(uint8_t *out, size_t cap, const char *user, const char *pass);
int socks5_parse_auth(const uint8_t *in, size_t len);
/* CONNECT to a host name (ATYP 3): the proxy resolves it, never us. */
size_t socks5_connect(uint8_t *out, size_t cap, const char *host, uint16_t port);
/* *used: bytes of the reply (when SOCKS_OK); *code: the REP byte when SOCKS_ERR_REFUSED. */
int socks5_parse_connect(const uint8_t *in, size_t len, size_t *used, uint8_t *code);
const char *socks5_reply_text(uint8_t code);

#endif
