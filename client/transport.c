/* ghostdrop client transport: HTTP/1.1 requests to the drop, through Tor's SOCKS5 port by
 * default, with deadlines. Never resolves a host name itself. Not libevent's evhttp client:
 * in 2.1 it always (re)connects by itself, resolving the name locally, so it can neither use
 * a socket negotiated through SOCKS nor be kept from leaking DNS. */
#include "transport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "cli.h"
#include "gdcrypto.h"
#include "i18n.h"
#include "socks5.h"

#define HEAD_MAX 16384

/* As §5.2's listed-server check: lower-cased, without trailing '/', then the bundle's grammar
 * (gd_server_url_check: a port has no sign, space or leading zero, a label is never empty). */
int gd_url_parse(gd_url *u, const char *url, char *err, size_t cap)
{
	char canon[GD_SERVER_MAX + 1];
	size_t len = strlen(url);
	memset(u, 0, sizeof *u);
	while (len > 0 && url[len - 1] == '/')
		len--;
	if (len > GD_SERVER_MAX)
		goto bad;
	for (size_t i = 0; i < len; i++)
		canon[i] = gd_ascii_lower(url[i]);
	canon[len] = '\0';
	/* a bare NAME.onion[:PORT], as onion addresses are often written: http:// is meant */
	size_t hl0 = strcspn(canon, ":/");
	if (strstr(canon, "://") == NULL && hl0 > 6 && memcmp(canon + hl0 - 6, ".onion", 6) == 0) {
		if (len + 7 > GD_SERVER_MAX)
			goto bad;
		memmove(canon + 7, canon, len + 1);
		memcpy(canon, "http://", 7);
	}
	if (strncmp(canon, "http://", 7) != 0) {
		/* TRANSLATORS: http:// and TLS stay as they are */
		snprintf(err, cap, "%s",
			 _("the server URL must start with http:// (onion services need no TLS)"));
		return -1;
	}
	const char *h = canon + 7;
	size_t n = strcspn(h, "/");
	if (h[n] == '/') {
		/* TRANSLATORS: http://host[:port] stays as it is */
		snprintf(err, cap, "%s",
			 _("the server URL has a path; give only http://host[:port]"));
		return -1;
	}
	if (gd_server_url_check(canon) != GD_OK)
		goto bad;
	const char *colon = NULL;
	if (h[0] == '[') { /* [v6]:port */
		const char *close = memchr(h, ']', n);
		if (close == NULL)
			goto bad;
		if ((size_t)(close - h - 1) >= sizeof u->host)
			goto bad;
		memcpy(u->host, h + 1, (size_t)(close - h - 1));
		colon = close + 1 < h + n && close[1] == ':' ? close + 1 : NULL;
		if (close + 1 < h + n && colon == NULL)
			goto bad;
	} else {
		colon = memchr(h, ':', n);
		size_t hl = colon ? (size_t)(colon - h) : n;
		if (hl == 0 || hl >= sizeof u->host)
			goto bad;
		memcpy(u->host, h, hl);
	}
	u->port = 80;
	if (colon != NULL) {
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);
		if (end != h + n || colon[1] == '\0' || p == 0 || p > 65535)
			goto bad;
		u->port = (uint16_t)p;
	}
	for (char *p = u->host; *p; p++) {
		*p = gd_ascii_lower(*p);
		if (!gd_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != ':')
			goto bad;
	}
	size_t hl = strlen(u->host);
	u->onion = hl > 6 && strcmp(u->host + hl - 6, ".onion") == 0;
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, u->host, &a4) == 1) {
		u->literal = 1;
		u->loopback = (ntohl(a4.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, u->host, &a6) == 1) {
		u->literal = 1;
		u->loopback = IN6_IS_ADDR_LOOPBACK(&a6);
	}
	return 0;
bad:
	snprintf(err, cap, _("not a valid server URL: %s"), url);
	return -1;
}

int gd_transport_init(gd_transport *t, const gd_url *u, const char *proxy, int clearnet, char *err,
		      size_t cap)
{
	memset(t, 0, sizeof *t);
	t->timeout = 120;
	/* Random credentials: Tor puts streams with other credentials on other circuits. */
	uint8_t r[12];
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(t->user, sizeof t->user, r, 6);
	sodium_bin2hex(t->pass, sizeof t->pass, r + 6, 6);
	if (proxy == NULL && (u->onion || !clearnet)) {
		if (!u->onion) {
			/* TRANSLATORS: %s is a host name; ghostdrop and --proxy 127.0.0.1:9050 stay
			 */
			snprintf(
				err, cap,
				_("%s is not an onion address, and ghostdrop connects only through "
				  "Tor: use the newsroom's onion address, or --proxy "
				  "127.0.0.1:9050 "
				  "to reach this one through Tor"),
				u->host);
			return -1;
		}
		proxy = "127.0.0.1:9050";
	}
	if (proxy == NULL) {
		if (!u->literal) {
			snprintf(err, cap, "%s",
				 _("without a proxy the server must be an IP address "
				   "(ghostdrop never looks up names itself)"));
			return -1;
		}
		if (!u->loopback) /* said before the first connection, not after */
			/* TRANSLATORS: "ghostdrop:" stays; %s is the server's address */
			cli_sayf(stderr,
				 _("ghostdrop: warning: connecting to %s without Tor: your network "
				   "can see that you contact this server\n"),
				 u->host);
		return 0;
	}
	const char *colon = strrchr(proxy, ':');
	char *end;
	unsigned long p = colon ? strtoul(colon + 1, &end, 10) : 0;
	if (colon == NULL || *end != '\0' || p == 0 || p > 65535 ||
	    (size_t)(colon - proxy) >= sizeof t->proxy_ip) {
		/* TRANSLATORS: --proxy stays; IP and PORT may be translated */
		snprintf(err, cap, "%s", _("--proxy must be IP:PORT"));
		return -1;
	}
	memcpy(t->proxy_ip, proxy, (size_t)(colon - proxy));
	struct in_addr a;
	if (inet_pton(AF_INET, t->proxy_ip, &a) != 1) {
		snprintf(err, cap, "%s", _("--proxy must be an IPv4 address and a port"));
		return -1;
	}
	t->proxy_port = (uint16_t)p;
	t->use_proxy = 1;
	return 0;
}

/* ---- sockets with deadlines ---- */

static int wait_fd(int fd, short ev, time_t deadline)
{
	for (;;) {
		time_t left = deadline - time(NULL);
		if (left <= 0)
			return TR_ERR_TIMEOUT;
		struct pollfd p = {fd, ev, 0};
		int n = poll(&p, 1, (int)(left > 1000 ? 1000000 : left * 1000));
		if (n > 0)
			return TR_OK;
		if (n < 0 && errno != EINTR)
			return TR_ERR_CONNECT;
	}
}

static int dial(const char *ip, uint16_t port, time_t deadline)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sl = sizeof *s4;
	} else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sl = sizeof *s6;
	} else {
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	int soerr = 0;
	socklen_t el = sizeof soerr;
	if (wait_fd(fd, POLLOUT, deadline) != TR_OK ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) != 0 || soerr != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Everything in iov[0..cnt), in as few sends as the socket takes: a request's head and body
 * leave in one sendmsg, so the body never waits behind the head for the peer's delayed ACK
 * (Nagle's algorithm holds a small segment while one is unacknowledged: 40 ms a request). */
static int send_iov(int fd, struct iovec *iov, int cnt, time_t deadline)
{
	while (cnt > 0) {
		if (iov->iov_len == 0) {
			iov++;
			cnt--;
			continue;
		}
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n > 0) {
			for (size_t k = (size_t)n; k > 0 && cnt > 0;) {
				size_t t = k < iov->iov_len ? k : iov->iov_len;
				iov->iov_base = (uint8_t *)iov->iov_base + t;
				iov->iov_len -= t;
				k -= t;
				if (iov->iov_len == 0) {
					iov++;
					cnt--;
				}
			}
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return TR_ERR_CONNECT;
		int rc = wait_fd(fd, POLLOUT, deadline);
		if (rc != TR_OK)
			return rc;
	}
	return TR_OK;
}

static int send_all(int fd, const void *buf, size_t len, time_t deadline)
{
	struct iovec iov = {(void *)buf, len};
	return send_iov(fd, &iov, 1, deadline);
}

/* Read at most cap bytes; 0 bytes means the peer closed. */
static int recv_some(int fd, uint8_t *buf, size_t cap, size_t *got, time_t deadline)
{
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);
		if (n >= 0) {
			*got = (size_t)n;
			return TR_OK;
		}
		if (errno != EAGAIN && errno != EINTR)
			return TR_ERR_CONNECT;
		int rc = wait_fd(fd, POLLIN, deadline);
		if (rc != TR_OK)
			return rc;
	}
}

/* socks_read: the proxy closed the connection (or it broke) before its reply was whole: a
 * Tor that stops or restarts does that; it says nothing about how the proxy speaks SOCKS5. */
#define SOCKS_LOST (-100)

/* Read one SOCKS reply into buf, using parse() to know when it is complete. */
static int socks_read(int fd, uint8_t *buf, size_t cap, size_t *len, time_t deadline,
		      int (*parse)(const uint8_t *, size_t))
{
	*len = 0;
	for (;;) {
		int st = parse(buf, *len);
		if (st != SOCKS_MORE)
			return st;
		size_t got;
		if (*len == cap)
			return SOCKS_ERR_PROTOCOL;
		/* one byte at a time: never read past the reply into the HTTP stream */
		int rc = recv_some(fd, buf + *len, 1, &got, deadline);
		if (rc == TR_ERR_TIMEOUT)
			return SOCKS_ERR_PROTOCOL;
		if (rc != TR_OK || got == 0)
			return SOCKS_LOST;
		*len += got;
	}
}

static int parse_connect_any(const uint8_t *in, size_t len)
{
	size_t used;
	uint8_t code;
	return socks5_parse_connect(in, len, &used, &code);
}

static int socks_dial(gd_transport *t, const gd_url *u, time_t deadline, char *msg, size_t cap)
{
	uint8_t buf[600];
	size_t n, len;
	int fd = dial(t->proxy_ip, t->proxy_port, deadline), st = SOCKS_ERR_PROTOCOL;
	if (fd < 0) { /* the worker's and the desk's words: both have --proxy */
		/* TRANSLATORS: %s:%u is an address and port; --proxy 127.0.0.1:9050 stays */
		if (t->proxy_port == 9150)
			snprintf(
				msg, cap,
				_("cannot reach the Tor SOCKS proxy at %s:%u: Tor does not seem to "
				  "be running. Start Tor, or open Tor Browser and keep it open (or "
				  "use --proxy 127.0.0.1:9050 for the system's Tor)"),
				t->proxy_ip, t->proxy_port);
		else
			/* TRANSLATORS: %s:%u is an address and port; --proxy 127.0.0.1:9150 stays
			 */
			snprintf(
				msg, cap,
				_("cannot reach the Tor SOCKS proxy at %s:%u: Tor does not seem to "
				  "be running. Start Tor, or with Tor Browser open, add --proxy "
				  "127.0.0.1:9150"),
				t->proxy_ip, t->proxy_port);
		return TR_ERR_CONNECT;
	}
	n = socks5_greeting(buf);
	if ((st = send_all(fd, buf, n, deadline) == TR_OK ? SOCKS_OK : SOCKS_LOST) != SOCKS_OK ||
	    (st = socks_read(fd, buf, 2, &len, deadline, socks5_parse_method)) != SOCKS_OK)
		goto fail;
	n = socks5_auth(buf, sizeof buf, t->user, t->pass);
	if ((st = send_all(fd, buf, n, deadline) == TR_OK ? SOCKS_OK : SOCKS_LOST) != SOCKS_OK ||
	    (st = socks_read(fd, buf, 2, &len, deadline, socks5_parse_auth)) != SOCKS_OK)
		goto fail;
	n = socks5_connect(buf, sizeof buf, u->host, u->port);
	if (n == 0 || send_all(fd, buf, n, deadline) != TR_OK)
		goto fail_io;
	st = socks_read(fd, buf, sizeof buf, &len, deadline, parse_connect_any);
	if (st == SOCKS_ERR_REFUSED) {
		size_t used;
		uint8_t code = 0;
		socks5_parse_connect(buf, len, &used, &code);
		/* the host whole (a v3 onion's is 62 characters: cut, it looked mistyped), in
		 * printable ASCII, at most 100 characters */
		char host[101];
		size_t h = 0;
		for (const char *c = u->host; *c != '\0' && h < sizeof host - 1; c++)
			host[h++] = *c > 0x20 && *c < 0x7f ? *c : '?';
		host[h] = '\0';
		/* TRANSLATORS: the first %s is a host name, the second the proxy's reason */
		snprintf(msg, cap, _("the Tor proxy could not connect to %s: %s"), host,
			 _(socks5_reply_text(code)));
		close(fd);
		return TR_ERR_SOCKS;
	}
	if (st != SOCKS_OK)
		goto fail;
	return fd;
fail:
	if (st == SOCKS_LOST) {
		snprintf(msg, cap,
			 _("the connection to Tor at %s:%u was lost before Tor answered (is Tor "
			   "restarting? is that port Tor's SOCKS port?)"),
			 t->proxy_ip, t->proxy_port);
		close(fd);
		return TR_ERR_CONNECT;
	}
	if (st == SOCKS_ERR_AUTH)
		snprintf(msg, cap,
			 _("%s:%u did not answer as a SOCKS5 proxy should (it refused "
			   "username/password)"),
			 t->proxy_ip, t->proxy_port);
	else
		snprintf(msg, cap, _("%s:%u did not answer as a SOCKS5 proxy should"), t->proxy_ip,
			 t->proxy_port);
	close(fd);
	return TR_ERR_SOCKS;
fail_io:
	snprintf(msg, cap, _("the connection to Tor at %s:%u was lost"), t->proxy_ip,
		 t->proxy_port);
	close(fd);
	return TR_ERR_CONNECT;
}

void gd_response_free(gd_response *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

static int parse_head(gd_response *r, char *head, uint64_t *clen)
{
	if (strncmp(head, "HTTP/1.1 ", 9) != 0 && strncmp(head, "HTTP/1.0 ", 9) != 0)
		return TR_ERR_HTTP;
	if (!isdigit((unsigned char)head[9]) || !isdigit((unsigned char)head[10]) ||
	    !isdigit((unsigned char)head[11]) || head[12] != ' ')
		return TR_ERR_HTTP;
	r->status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
	int have = 0;
	for (char *line = strstr(head, "\r\n"); line != NULL && line[2] != '\r';
	     line = strstr(line + 2, "\r\n")) {
		char *l = line + 2;
		if (gd_ascii_ncasecmp(l, "Content-Length:", 15) == 0) {
			char *v = l + 15, *end;
			while (*v == ' ')
				v++;
			errno = 0;
			unsigned long long n = strtoull(v, &end, 10);
			if (errno || end == v || (*end != '\r' && *end != ' ') ||
			    (have && n != *clen))
				return TR_ERR_HTTP;
			*clen = n;
			have = 1;
		} else if (gd_ascii_ncasecmp(l, "Transfer-Encoding:", 18) == 0) {
			return TR_ERR_HTTP; /* the drop never sends it */
		} else if (gd_ascii_ncasecmp(l, "Connection:", 11) == 0) {
			const char *v = l + 11;
			while (*v == ' ')
				v++;
			if (gd_ascii_ncasecmp(v, "close", 5) == 0)
				r->closing = 1;
		}
	}
	return have ? TR_OK : TR_ERR_HTTP;
}

/* The buffered body of gd_request, or of an error answer to gd_request_stream. */
typedef struct {
	gd_response *r;
	size_t cap;
} body_buf;

static int buffer_body(void *arg, const uint8_t *buf, size_t len)
{
	body_buf *b = arg;
	if (b->r->len + len > b->cap)
		return -1;
	memcpy(b->r->body + b->r->len, buf, len);
	b->r->len += len;
	return 0;
}

/* The drop's words go to a terminal: its control bytes (C0, DEL, and C1 written as UTF-8,
 * U+0080..U+009F) become '?', so a hostile drop cannot retitle or clear the terminal nor
 * fake a line. The text is valid UTF-8 (Jansson checks it), capped by the buffer. */
static void inert(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++) {
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			*p++ = '?'; /* and its second byte below */
		else if (*p >= 0x20 && *p != 0x7f)
			continue;
		*p = '?';
	}
}

static void parse_error_body(gd_response *r)
{
	json_t *o = json_loadb((const char *)r->body, r->len, 0, NULL);
	const char *e = json_string_value(json_object_get(o, "error"));
	const char *m = json_string_value(json_object_get(o, "message"));
	snprintf(r->error, sizeof r->error, "%s", e ? e : "http_error");
	snprintf(r->message, sizeof r->message, "%s", m ? m : "");
	inert(r->error);
	inert(r->message);
	json_decref(o);
}

#define ERROR_BODY_MAX 65536

static int connect_to(gd_transport *t, const gd_url *u, time_t deadline, gd_response *r)
{
	int fd;
	if (t->use_proxy)
		return socks_dial(t, u, deadline, r->message, sizeof r->message);
	if ((fd = dial(u->host, u->port, deadline)) < 0) {
		snprintf(r->message, sizeof r->message, _("cannot connect to %.64s:%u"), u->host,
			 u->port);
		return TR_ERR_CONNECT;
	}
	return fd;
}

/* One request, as request_once makes it. */
typedef struct {
	const char *method, *path, *headers; /* headers: "Name: value\r\n" lines, or NULL */
	const uint8_t *body;
	size_t len, max_body;
	gd_body_fn sink; /* a 2xx body goes here as it arrives, or NULL: buffered in r */
	void *sink_arg;
	int *keep;    /* a kept connection, or NULL for one of its own (Connection: close) */
	int answered; /* set when any byte of an answer arrived */
} http_req;

/* The request line, the headers and the body. A failure to send is not the end: the drop may
 * have answered early (e.g. refused the PoW), and that answer is read. */
static int send_request(int fd, const gd_url *u, const http_req *q, time_t deadline)
{
	char head[HEAD_MAX + 1], hosthdr[300];
	snprintf(hosthdr, sizeof hosthdr, strchr(u->host, ':') ? "[%s]" : "%s", u->host);
	int rc, n = snprintf(head, sizeof head,
			     "%s %s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %zu\r\n%s\r\n",
			     q->method, q->path, hosthdr,
			     q->keep != NULL ? "" : "Connection: close\r\n", q->len,
			     q->headers ? q->headers : "");
	if (n < 0 || n >= (int)sizeof head)
		return TR_ERR_HTTP;
	/* No User-Agent, no Accept-Language: nothing that tells one worker from another. */
	struct iovec iov[2] = {{head, (size_t)n}, {(void *)q->body, q->len}};
	rc = send_iov(fd, iov, q->len > 0 ? 2 : 1, deadline);
	return rc == TR_ERR_TIMEOUT ? rc : TR_OK;
}

/* The answer's head into head (NUL-terminated); *hl: its length, *got: the bytes read. */
static int read_head(int fd, char *head, size_t *hl, size_t *got, http_req *q, gd_response *r,
		     time_t deadline)
{
	char *end = NULL;
	size_t k;
	int rc = TR_OK;
	*got = 0;
	while (end == NULL) {
		if (*got == HEAD_MAX ||
		    (rc = recv_some(fd, (uint8_t *)head + *got, HEAD_MAX - *got, &k, deadline)) !=
			    TR_OK ||
		    k == 0) {
			snprintf(r->message, sizeof r->message, "%s",
				 _("the connection broke before an answer"));
			return rc == TR_ERR_TIMEOUT ? rc
			       : *got == HEAD_MAX   ? TR_ERR_HTTP
						    : TR_ERR_CONNECT;
		}
		*got += k;
		q->answered = 1;
		head[*got] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	*hl = (size_t)(end + 4 - head);
	return TR_OK;
}

/* The body: streamed to q->sink (a 2xx answer to a streamed GET, the deadline then counted
 * from the last bytes received) or buffered in r; first the `have` bytes read with the head. */
static int read_body(const gd_transport *t, int fd, http_req *q, gd_response *r, char *head,
		     size_t hl, size_t got, time_t deadline)
{
	uint64_t clen = 0;
	size_t max_body = q->sink != NULL ? ERROR_BODY_MAX : q->max_body, have = got - hl, k;
	int streaming =
		q->sink != NULL && parse_head(r, head, &clen) == TR_OK && r->status / 100 == 2;
	gd_body_fn sink = q->sink;
	void *sink_arg = q->sink_arg;
	if (!streaming && (parse_head(r, head, &clen) != TR_OK || clen > max_body)) {
		snprintf(r->message, sizeof r->message, "%s",
			 _("the server's answer is malformed or too large"));
		return TR_ERR_HTTP;
	}
	r->content_length = clen;
	if (have > clen)
		return TR_ERR_HTTP;
	body_buf bb = {r, (size_t)clen};
	if (!streaming) {
		if ((r->body = malloc((size_t)clen + 1)) == NULL)
			return TR_ERR_HTTP;
		sink = buffer_body;
		sink_arg = &bb;
	}
	uint8_t *buf = malloc(65536);
	uint64_t done = have;
	int rc = buf == NULL || (have > 0 && sink(sink_arg, (const uint8_t *)head + hl, have) != 0)
			 ? TR_ERR_SINK
			 : TR_OK;
	while (rc == TR_OK && done < clen) {
		size_t want = clen - done < 65536 ? (size_t)(clen - done) : 65536;
		if ((rc = recv_some(fd, buf, want, &k, deadline)) != TR_OK || k == 0) {
			snprintf(r->message, sizeof r->message, "%s",
				 _("the connection broke mid-answer"));
			rc = rc == TR_ERR_TIMEOUT ? rc : TR_ERR_CONNECT;
			break;
		}
		if (streaming)
			deadline = time(NULL) + t->timeout; /* an idle limit, not a total one */
		if (sink(sink_arg, buf, k) != 0)
			rc = TR_ERR_SINK;
		done += k;
	}
	free(buf);
	if (rc == TR_OK && !streaming) {
		r->body[clen] = '\0';
		if (r->status >= 400)
			parse_error_body(r);
	}
	return rc;
}

/* One request on a kept connection (q->keep, given back after a whole answer) or a new one. */
static int request_once(gd_transport *t, const gd_url *u, http_req *q, gd_response *r)
{
	time_t deadline = time(NULL) + t->timeout;
	char head[HEAD_MAX + 1];
	size_t hl = 0, got = 0;
	int fd, rc;
	memset(r, 0, sizeof *r);
	q->answered = 0;
	if (q->keep != NULL && *q->keep >= 0) {
		fd = *q->keep;
		*q->keep = -1;
	} else if ((fd = connect_to(t, u, deadline, r)) < 0) {
		return fd;
	}
	if ((rc = send_request(fd, u, q, deadline)) == TR_OK &&
	    (rc = read_head(fd, head, &hl, &got, q, r, deadline)) == TR_OK)
		rc = read_body(t, fd, q, r, head, hl, got, deadline);
	if (rc == TR_OK && q->keep != NULL && !r->closing)
		*q->keep = fd; /* HTTP/1.1: the connection stays for the next request */
	else
		close(fd);
	if (rc != TR_OK) {
		if (rc == TR_ERR_SINK)
			snprintf(r->message, sizeof r->message, "%s",
				 _("could not store the answer"));
		gd_response_free(r);
	}
	return rc;
}

static int request(gd_transport *t, const gd_url *u, http_req *q, gd_response *r)
{
	int reused = q->keep != NULL && *q->keep >= 0;
	int rc = request_once(t, u, q, r);
	/* A kept connection the drop closed while it was idle (its header deadline, a restart):
	 * nothing was answered, so the same request goes once more, on a new connection. */
	if (reused && !q->answered && (rc == TR_ERR_CONNECT || rc == TR_ERR_HTTP))
		rc = request_once(t, u, q, r);
	return rc;
}

int gd_request(gd_transport *t, const gd_url *u, const char *method, const char *path,
	       const char *headers, const uint8_t *body, size_t len, size_t max_body,
	       gd_response *r)
{
	http_req q = {method, path, headers, body, len, max_body, NULL, NULL, NULL, 0};
	return request(t, u, &q, r);
}

int gd_request_keep(gd_transport *t, const gd_url *u, int *keep, const char *method,
		    const char *path, const char *headers, const uint8_t *body, size_t len,
		    size_t max_body, gd_response *r)
{
	http_req q = {method, path, headers, body, len, max_body, NULL, NULL, keep, 0};
	return request(t, u, &q, r);
}

void gd_keep_close(int *keep)
{
	if (*keep >= 0)
		close(*keep);
	*keep = -1;
}

int gd_request_stream(gd_transport *t, const gd_url *u, const char *path, const char *headers,
		      gd_body_fn sink, void *arg, gd_response *r)
{
	http_req q = {"GET", path, headers, NULL, 0, 0, sink, arg, NULL, 0};
	return request(t, u, &q, r);
}
