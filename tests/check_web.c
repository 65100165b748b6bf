/* Integration tests: the submission page served by the real ghostdropd on 127.0.0.1 (issue 17,
 * docs/OPERATOR.md "The web page"): the page and every asset of the design with exactly its
 * headers, their bytes those of web/src and web/node_modules, gzip only when accepted and
 * then the same bytes; every other path, a query, another version or another method the
 * API's JSON refusal, never another file; web_page = off; the page of a full drop. */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "daemon.h"
#include "testutil.h"

#define V "/s/" GD_VERSION "/"
#define CSP                                                                                        \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                \
	"connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'; "             \
	"frame-ancestors 'none'"

/* The assets of the design (web17.md) and where their bytes come from: web/src (with
 * @GD_VERSION@ replaced), web/node_modules, or NULL (wordlist.js, made from the EFF list). */
static const struct {
	const char *name, *from;
} ASSETS[] = {
	{"app.js", "src/app.js"},
	{"gdproto.js", "src/gdproto.js"},
	{"client.js", "src/client.js"},
	{"strings.js", "src/strings.js"},
	{"strip.js", "src/strip.js"},
	{"powworker.js", "src/powworker.js"},
	{"kdfworker.js", "src/kdfworker.js"},
	{"style.css", "src/style.css"},
	{"lang-es.js", "src/lang-es.js"},
	{"lang-pt_BR.js", "src/lang-pt_BR.js"},
	{"lang-fil.js", "src/lang-fil.js"},
	{"lang-sw.js", "src/lang-sw.js"},
	{"lang-fr.js", "src/lang-fr.js"},
	{"wordlist.js", NULL},
	{"vendor/libsodium-sumo.js",
	 "node_modules/libsodium-sumo/dist/modules-sumo/libsodium-sumo.js"},
	{"vendor/libsodium-wrappers.js",
	 "node_modules/libsodium-wrappers-sumo/dist/modules-sumo/libsodium-wrappers.js"},
	{"vendor/noble/argon2.js", "node_modules/@noble/hashes/argon2.js"},
	{"vendor/noble/blake2.js", "node_modules/@noble/hashes/blake2.js"},
	{"vendor/noble/_blake.js", "node_modules/@noble/hashes/_blake.js"},
	{"vendor/noble/_md.js", "node_modules/@noble/hashes/_md.js"},
	{"vendor/noble/_u64.js", "node_modules/@noble/hashes/_u64.js"},
	{"vendor/noble/utils.js", "node_modules/@noble/hashes/utils.js"},
};
#define N_ASSETS (sizeof ASSETS / sizeof ASSETS[0])

typedef struct {
	int status;
	char head[4096]; /* the header lines, after the status line */
	uint8_t *body;
	size_t len;
} wresp;

static void wresp_free(wresp *r)
{
	free(r->body);
	r->body = NULL;
}

static int dial(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {20, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return fd;
}

/* Everything the drop sends until it closes (at most `cap` bytes, asserted). */
static uint8_t *read_all(int fd, size_t *got)
{
	size_t cap = 4u << 20;
	uint8_t *buf = malloc(cap);
	ssize_t k;
	*got = 0;
	while ((k = recv(fd, buf + *got, cap - *got, 0)) > 0)
		*got += (size_t)k;
	ck_assert_uint_lt(*got, cap);
	return buf;
}

/* A header's value (the first), or NULL; names case-insensitive. */
static const char *header(const wresp *r, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *p = r->head; *p != '\0';) {
		const char *e = strstr(p, "\r\n");
		ck_assert_ptr_nonnull(e);
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':' && p[nl + 1] == ' ') {
			snprintf(out, cap, "%.*s", (int)(e - p - nl - 2), p + nl + 2);
			return out;
		}
		p = e + 2;
	}
	return NULL;
}

/* Split one response at the start of buf: its status, header lines and Content-Length bytes of
 * body. Returns the bytes it took. */
static size_t parse_resp(const uint8_t *buf, size_t got, wresp *r)
{
	const uint8_t *end = NULL;
	for (size_t i = 0; i + 4 <= got && end == NULL; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
			end = buf + i + 4;
	ck_assert_ptr_nonnull(end);
	ck_assert_int_eq(sscanf((const char *)buf, "HTTP/1.1 %d", &r->status), 1);
	const uint8_t *eol = memchr(buf, '\n', got);
	size_t hl = (size_t)(end - 2 - (eol + 1));
	ck_assert_uint_lt(hl, sizeof r->head);
	memcpy(r->head, eol + 1, hl);
	r->head[hl] = '\0';
	char cl[32];
	ck_assert_ptr_nonnull(header(r, "Content-Length", cl, sizeof cl));
	r->len = strtoul(cl, NULL, 10);
	ck_assert_uint_le((size_t)(end - buf) + r->len, got);
	r->body = malloc(r->len + 1);
	memcpy(r->body, end, r->len);
	r->body[r->len] = '\0';
	return (size_t)(end - buf) + r->len;
}

/* One request on a fresh connection; more: header lines ending "\r\n" or NULL. */
static void fetch(uint16_t port, const char *method, const char *path, const char *more, wresp *r)
{
	char req[2048];
	int fd = dial(port);
	int n = snprintf(req, sizeof req,
			 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n", method,
			 path, more ? more : "");
	ck_assert(n > 0 && (size_t)n < sizeof req);
	ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
	size_t got;
	uint8_t *buf = read_all(fd, &got);
	close(fd);
	memset(r, 0, sizeof *r);
	ck_assert_uint_eq(parse_resp(buf, got, r), got);
	free(buf);
}

/* Exactly the headers of the design, nothing else (no Set-Cookie, no Date, no Server). */
static void assert_page_headers(const wresp *r, const char *ctype, int gz)
{
	static const char *const names[] = {"Content-Type",
					    "Content-Length",
					    "Cache-Control",
					    "X-Content-Type-Options",
					    "Referrer-Policy",
					    "Connection",
					    "Content-Security-Policy",
					    "X-Frame-Options",
					    "Cross-Origin-Opener-Policy",
					    "Cross-Origin-Resource-Policy",
					    "Permissions-Policy",
					    "Vary",
					    "Content-Encoding"};
	char v[512];
	ck_assert_str_eq(header(r, "Content-Type", v, sizeof v), ctype);
	ck_assert_str_eq(header(r, "Content-Security-Policy", v, sizeof v), CSP);
	ck_assert_str_eq(header(r, "Cache-Control", v, sizeof v), "no-store");
	ck_assert_str_eq(header(r, "X-Content-Type-Options", v, sizeof v), "nosniff");
	ck_assert_str_eq(header(r, "Referrer-Policy", v, sizeof v), "no-referrer");
	ck_assert_str_eq(header(r, "X-Frame-Options", v, sizeof v), "DENY");
	ck_assert_str_eq(header(r, "Cross-Origin-Opener-Policy", v, sizeof v), "same-origin");
	ck_assert_str_eq(header(r, "Cross-Origin-Resource-Policy", v, sizeof v), "same-origin");
	ck_assert_str_eq(header(r, "Permissions-Policy", v, sizeof v),
			 "camera=(), microphone=(), geolocation=()");
	ck_assert_str_eq(header(r, "Vary", v, sizeof v), "Accept-Encoding");
	if (gz)
		ck_assert_str_eq(header(r, "Content-Encoding", v, sizeof v), "gzip");
	else
		ck_assert_ptr_null(header(r, "Content-Encoding", v, sizeof v));
	/* every line is one of those, once */
	int lines = 0;
	for (const char *p = r->head; *p != '\0'; lines++) {
		const char *e = strstr(p, "\r\n"), *colon = strchr(p, ':');
		int known = 0;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			known |= (size_t)(colon - p) == strlen(names[i]) &&
				 strncasecmp(p, names[i], strlen(names[i])) == 0;
		ck_assert_msg(known, "unexpected header: %.*s", (int)(e - p), p);
		p = e + 2;
	}
	ck_assert_int_eq(lines, gz ? 13 : 12);
	ck_assert_ptr_null(header(r, "Set-Cookie", v, sizeof v));
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b[n] = '\0';
	*len = (size_t)n;
	return b;
}

/* b with every `from` replaced by `to` (b is freed). */
static uint8_t *replace(uint8_t *b, size_t *len, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	uint8_t *out = malloc(*len * (tl > fl ? tl : 1) + 1);
	for (size_t i = 0; i < *len;)
		if (i + fl <= *len && memcmp(b + i, from, fl) == 0) {
			memcpy(out + n, to, tl);
			n += tl;
			i += fl;
		} else {
			out[n++] = b[i++];
		}
	out[n] = '\0';
	free(b);
	*len = n;
	return out;
}

/* What the drop must serve for an asset, from the source tree. */
static uint8_t *expected(const char *from, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", WEB_DIR, from);
	uint8_t *b = slurp(path, len);
	if (strncmp(from, "src/", 4) == 0)
		b = replace(b, len, "@GD_VERSION@", GD_VERSION);
	return b;
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* gz is a gzip of id: its magic, its trailer (CRC-32 and length of id), and gzip -dc gives id
 * back (when gzip is installed: the tests assume no zlib). */
static void assert_gunzips_to(const drop *d, const uint8_t *gz, size_t gl, const uint8_t *id,
			      size_t il)
{
	ck_assert_uint_gt(gl, 18);
	ck_assert_uint_lt(gl, il);
	ck_assert(gz[0] == 0x1f && gz[1] == 0x8b && gz[2] == 8);
	ck_assert_uint_eq(le32(gz + gl - 4), (uint32_t)il);
	ck_assert_uint_eq(le32(gz + gl - 8), crc32_of(id, il));
	if (access("/usr/bin/gzip", X_OK) != 0 && access("/bin/gzip", X_OK) != 0)
		return;
	char path[256], cmd[600];
	snprintf(path, sizeof path, "%s/asset.gz", d->dir);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(gz, 1, gl, f), gl);
	fclose(f);
	snprintf(cmd, sizeof cmd, "gzip -dc < %s", path);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	uint8_t *out = malloc(il + 1);
	size_t n = fread(out, 1, il + 1, p);
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_uint_eq(n, il);
	ck_assert(memcmp(out, id, il) == 0);
	free(out);
}

/* A path's identity and gzip replies: the headers, the identity bytes `want`, the gzip of
 * them. */
static void assert_served(const drop *d, const char *path, const char *ctype, const uint8_t *want,
			  size_t want_len)
{
	wresp r, z;
	fetch(d->port, "GET", path, NULL, &r);
	ck_assert_msg(r.status == 200, "%s: %d", path, r.status);
	assert_page_headers(&r, ctype, 0);
	ck_assert_msg(r.len == want_len && memcmp(r.body, want, want_len) == 0,
		      "%s: not the expected bytes", path);
	fetch(d->port, "GET", path, "Accept-Encoding: gzip, deflate, br\r\n", &z);
	ck_assert_int_eq(z.status, 200);
	assert_page_headers(&z, ctype, 1);
	assert_gunzips_to(d, z.body, z.len, r.body, r.len);
	wresp_free(&r);
	wresp_free(&z);
}

static void assert_not_found(uint16_t port, const char *method, const char *path)
{
	wresp r;
	char v[128];
	fetch(port, method, path, "Accept-Encoding: gzip\r\n", &r);
	ck_assert_msg(r.status == 404, "%s %s: %d", method, path, r.status);
	ck_assert_str_eq(header(&r, "Content-Type", v, sizeof v), "application/json");
	ck_assert_ptr_null(header(&r, "Content-Security-Policy", v, sizeof v));
	json_t *o = json_loadb((const char *)r.body, r.len, 0, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "error")), "not_found");
	json_decref(o);
	wresp_free(&r);
}

START_TEST(page_and_every_asset)
{
	drop d;
	char ks[GD_KEYSTRING_LEN + 1];
	drop_create(&d, NULL);
	drop_start(&d);
	gd_keystring_encode(ks, d.root_pk);
	size_t len;
	uint8_t *page = expected("src/index.html", &len);
	ck_assert_ptr_nonnull(strstr((char *)page, "@GD_NEWSROOM@"));
	page = replace(page, &len, "@GD_NEWSROOM@", ks);
	assert_served(&d, "/", "text/html; charset=utf-8", page, len);
	free(page);
	/* the key is in the page's meta element */
	wresp r;
	char meta[160];
	snprintf(meta, sizeof meta, "<meta name=\"ghostdrop-newsroom\" content=\"%s\">", ks);
	fetch(d.port, "GET", "/", NULL, &r);
	ck_assert_ptr_nonnull(strstr((char *)r.body, meta));
	ck_assert_ptr_null(strstr((char *)r.body, "@GD_"));
	wresp_free(&r);

	for (size_t i = 0; i < N_ASSETS; i++) {
		char path[128];
		snprintf(path, sizeof path, V "%s", ASSETS[i].name);
		const char *ct = strstr(ASSETS[i].name, ".css") ? "text/css; charset=utf-8"
								: "text/javascript; charset=utf-8";
		if (ASSETS[i].from == NULL)
			continue;
		uint8_t *want = expected(ASSETS[i].from, &len);
		assert_served(&d, path, ct, want, len);
		free(want);
	}
	/* wordlist.js: the 7776 words of the EFF list, in its order */
	uint8_t *list = slurp(WORDLIST, &len);
	size_t cap = len * 2 + 64, at = 0;
	char *js = malloc(cap);
	ck_assert_ptr_nonnull(js);
	at += (size_t)snprintf(js, cap, "export const WORDS = [\n");
	for (char *line = strtok((char *)list, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		at += (size_t)snprintf(js + at, cap - at, "\"%s\",\n", strchr(line, '\t') + 1);
		ck_assert_uint_lt(at, cap);
	}
	snprintf(js + at - 2, cap - at + 2, "\n];\n");
	assert_served(&d, V "wordlist.js", "text/javascript; charset=utf-8", (uint8_t *)js,
		      strlen(js));
	free(js);
	free(list);
	drop_destroy(&d);
}
END_TEST

/* The page's weight budget (docs/BENCHMARKS.md): everything a worker's browser may load from
 * the drop, the page and every asset, as sent to a browser that accepts gzip, within 600 KiB:
 * about 2.5 s through Tor at 2 Mbit/s, 20 s on a 256 kbit/s mobile link. A new dependency or
 * asset that breaks it must be weighed, and the budget changed here and there, on purpose. */
#define PAGE_BUDGET (600 * 1024)
START_TEST(page_within_budget)
{
	drop d;
	drop_create(&d, NULL);
	drop_start(&d);
	size_t total = 0;
	for (size_t i = 0; i <= N_ASSETS; i++) {
		char path[128];
		wresp r;
		snprintf(path, sizeof path, i == N_ASSETS ? "/" : V "%s",
			 i == N_ASSETS ? "" : ASSETS[i].name);
		fetch(d.port, "GET", path, "Accept-Encoding: gzip\r\n", &r);
		ck_assert_msg(r.status == 200, "%s: %d", path, r.status);
		total += r.len + strlen(r.head);
		wresp_free(&r);
	}
	ck_assert_msg(total <= PAGE_BUDGET,
		      "the page and its assets weigh %zu bytes with gzip, over "
		      "the budget of %d",
		      total, PAGE_BUDGET);
	drop_destroy(&d);
}
END_TEST

/* Accept-Encoding parsed as RFC 9110 says: q=0 refuses, '*' counts when gzip is not named. */
START_TEST(gzip_only_when_accepted)
{
	static const struct {
		const char *ae;
		int gz;
	} cases[] = {
		{NULL, 0},
		{"gzip", 1},
		{"GZip", 1},
		{"x-gzip", 1},
		{"br, gzip;q=0.5", 1},
		{"gzip ; q=1.0", 1},
		{"gzip;q=0.001", 1},
		{"*", 1},
		{"identity", 0},
		{"deflate, br", 0},
		{"gzip;q=0", 0},
		{"gzip; q=0.000", 0},
		{"gzip;q=0, *", 0},
		{"*;q=0", 0},
		{"gzipx", 0},
		{"gzip;q=2", 0},
		{"gzip;q=0.0000", 0},
		{"gzip;q=1.5", 0}, /* qvalue: after "1." only zeros (RFC 9110 12.4.2) */
		{"gzip;q=1.001", 0},
		{"gzip;q=1.000", 1},
		{"gzip;q=1.", 1},
		{"", 0},
		{"br\r\nAccept-Encoding: gzip", 1},    /* two lines: one list */
		{"gzip;q=0\r\nAccept-Encoding: *", 0}, /* gzip refused on the first */
		{"identity\r\nAccept-Encoding: *;q=0", 0},
	};
	drop d;
	drop_create(&d, NULL);
	drop_start(&d);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char more[128], v[64];
		wresp r;
		snprintf(more, sizeof more, "Accept-Encoding: %s\r\n", cases[i].ae);
		fetch(d.port, "GET", V "app.js", cases[i].ae ? more : NULL, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_msg((header(&r, "Content-Encoding", v, sizeof v) != NULL) == cases[i].gz,
			      "Accept-Encoding: %s", cases[i].ae ? cases[i].ae : "(none)");
		wresp_free(&r);
	}
	drop_destroy(&d);
}
END_TEST

/* Nothing but the exact names: traversal, encodings, queries, other versions, index.html
 * itself, and other methods are the API's refusals. */
START_TEST(only_the_listed_paths)
{
	static const char *const paths[] = {"/s/0.0.0/app.js",
					    "/s/" GD_VERSION "x/app.js",
					    "/s/app.js",
					    "/s//app.js",
					    "/app.js",
					    V "../" GD_VERSION "/app.js",
					    V "./app.js",
					    V "%2e%2e/" GD_VERSION "/app.js",
					    V "%61pp.js",
					    V "/app.js",
					    V "app.js/",
					    V "APP.JS",
					    V "app.js%00",
					    V "app.js?v=1",
					    V "app.js?",
					    "/?",
					    "/?lang=en",
					    "//",
					    "/index.html",
					    V "index.html",
					    V,
					    "/s/" GD_VERSION,
					    "/s/",
					    "/s",
					    V "vendor/../app.js",
					    V "vendor/noble/../../app.js",
					    V "vendor/noble/",
					    V "vendor/libsodium-sumo.js/..",
					    V "../../web/vendor.sha256",
					    V "node_modules/@noble/hashes/argon2.js",
					    V "vendor/noble/argon2",
					    V "src/app.js",
					    "/v1",
					    "/v1/",
					    "/favicon.ico"};
	drop d;
	drop_create(&d, NULL);
	drop_start(&d);
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		assert_not_found(d.port, "GET", paths[i]);
	/* another method: 405 as under /v1 (HEAD: head_like_get); a body: too large */
	static const char *const methods[] = {"POST", "PUT", "DELETE", "OPTIONS"};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		resp r;
		ck_assert_int_eq(
			http_do(d.port, methods[i], i % 2 ? "/" : V "app.js", NULL, NULL, 0, &r),
			0);
		ck_assert_int_eq(r.status, 405);
		ck_assert_str_eq(r.error, "method_not_allowed");
		resp_free(&r);
	}
	resp r;
	ck_assert_int_eq(http_do(d.port, "GET", "/", NULL, "hello", 5, &r), 0);
	ck_assert_int_eq(r.status, 413);
	ck_assert_str_eq(r.error, "body_too_large");
	resp_free(&r);
	drop_destroy(&d);
}
END_TEST

/* The page's requests keep the connection: a browser fetches the page and its assets on one. */
START_TEST(one_connection_for_the_page)
{
	drop d;
	drop_create(&d, NULL);
	drop_start(&d);
	int fd = dial(d.port);
	const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
			  "GET " V "style.css HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"
			  "GET /v1/limits HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	size_t got, off = 0;
	uint8_t *buf = read_all(fd, &got);
	close(fd);
	wresp r[3];
	char v[128];
	for (int i = 0; i < 3; i++)
		off += parse_resp(buf + off, got - off, &r[i]);
	ck_assert_uint_eq(off, got);
	ck_assert_int_eq(r[0].status, 200);
	assert_page_headers(&r[0], "text/html; charset=utf-8", 0);
	ck_assert_str_eq(header(&r[0], "Connection", v, sizeof v), "keep-alive");
	ck_assert_int_eq(r[1].status, 200);
	assert_page_headers(&r[1], "text/css; charset=utf-8", 1);
	ck_assert_int_eq(r[2].status, 200);
	for (int i = 0; i < 3; i++)
		wresp_free(&r[i]);
	free(buf);
	drop_destroy(&d);
}
END_TEST

/* The status and header lines of a reply without a body (HEAD's) at the start of buf. Returns
 * the bytes it took. */
static size_t parse_head_only(const uint8_t *buf, size_t got, wresp *r)
{
	const uint8_t *end = NULL;
	for (size_t i = 0; i + 4 <= got && end == NULL; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
			end = buf + i + 4;
	ck_assert_ptr_nonnull(end);
	memset(r, 0, sizeof *r);
	ck_assert_int_eq(sscanf((const char *)buf, "HTTP/1.1 %d", &r->status), 1);
	const uint8_t *eol = memchr(buf, '\n', got);
	size_t hl = (size_t)(end - 2 - (eol + 1));
	ck_assert_uint_lt(hl, sizeof r->head);
	memcpy(r->head, eol + 1, hl);
	r->head[hl] = '\0';
	return (size_t)(end - buf);
}

/* HEAD where GET works (RFC 9110 9.3.2): GET's headers, its Content-Length for that
 * Accept-Encoding, no body, and the connection goes on (keep-alive) to the next request. */
START_TEST(head_like_get)
{
	drop d;
	drop_create(&d, NULL);
	drop_start(&d);
	wresp g[2];
	fetch(d.port, "GET", "/", NULL, &g[0]);
	fetch(d.port, "GET", V "app.js", "Accept-Encoding: gzip\r\n", &g[1]);
	int fd = dial(d.port);
	const char *req = "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
			  "HEAD " V "app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"
			  "GET /v1/limits HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	size_t got, off = 0;
	uint8_t *buf = read_all(fd, &got);
	close(fd);
	wresp h[2], last;
	char v[128], w[128];
	for (int i = 0; i < 2; i++) {
		off += parse_head_only(buf + off, got - off, &h[i]);
		ck_assert_int_eq(h[i].status, 200);
		const char *ct =
			i == 0 ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8";
		assert_page_headers(&h[i], ct, i);
		ck_assert_str_eq(header(&h[i], "Content-Length", v, sizeof v),
				 header(&g[i], "Content-Length", w, sizeof w));
		ck_assert_str_eq(header(&h[i], "Connection", v, sizeof v), "keep-alive");
	}
	/* the next bytes are the third reply's, not a body */
	off += parse_resp(buf + off, got - off, &last);
	ck_assert_uint_eq(off, got);
	ck_assert_int_eq(last.status, 200);
	ck_assert_ptr_nonnull(strstr((char *)last.body, "max_submit"));
	wresp_free(&last);
	wresp_free(&g[0]);
	wresp_free(&g[1]);
	free(buf);
	drop_destroy(&d);
}
END_TEST

/* /v1 is as it was: its replies carry none of the page's headers. */
START_TEST(api_unchanged)
{
	drop d;
	drop_create(&d, NULL);
	drop_start(&d);
	wresp r;
	char v[128];
	fetch(d.port, "GET", "/v1/limits", "Accept-Encoding: gzip\r\n", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(header(&r, "Content-Type", v, sizeof v), "application/json");
	ck_assert_ptr_null(header(&r, "Content-Security-Policy", v, sizeof v));
	ck_assert_ptr_null(header(&r, "Vary", v, sizeof v));
	ck_assert_ptr_null(header(&r, "Content-Encoding", v, sizeof v));
	json_t *o = json_loadb((const char *)r.body, r.len, 0, NULL);
	ck_assert_ptr_nonnull(o);
	json_decref(o);
	wresp_free(&r);
	/* stats says the page is served */
	char out[2048];
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "stats --data %s/data --json", d.dir), 0);
	o = json_loads(out, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(o, "web_page")), "on");
	json_decref(o);
	drop_destroy(&d);
}
END_TEST

START_TEST(web_page_off)
{
	drop d;
	char conf[256], out[64];
	drop_create(&d, "web_page = off\n");
	drop_start(&d);
	assert_not_found(d.port, "GET", "/");
	for (size_t i = 0; i < N_ASSETS; i++) {
		char path[128];
		snprintf(path, sizeof path, V "%s", ASSETS[i].name);
		assert_not_found(d.port, "GET", path);
	}
	resp r;
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/limits", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	drop_stop(&d, SIGTERM);
	/* init writes the setting, on, with its comment; a value other than on or off is refused */
	snprintf(conf, sizeof conf, "%s/data/ghostdropd.conf", d.dir);
	size_t len;
	uint8_t *c = slurp(conf, &len);
	ck_assert_ptr_nonnull(strstr((char *)c, "\"The web page\")"));
	ck_assert_ptr_nonnull(strstr((char *)c, "\nweb_page = on\n"));
	free(c);
	char stats[2048];
	ck_assert_int_eq(drop_cli(&d, stats, sizeof stats, "stats --data %s/data", d.dir), 0);
	ck_assert_ptr_nonnull(strstr(stats, "\nweb page: off (web_page = off)\n"));
	FILE *f = fopen(conf, "a");
	fputs("web_page = yes\n", f);
	fclose(f);
	ck_assert_int_eq(drop_cli(&d, out, sizeof out, "stats --data %s/data", d.dir), 1);
	drop_destroy(&d);
}
END_TEST

/* A full drop still serves its page (the page writes nothing). */
START_TEST(served_while_storage_full)
{
	drop d;
	resp r;
	drop_create(&d, "map_size_mb = 16\nhigh_water_percent = 10\nmax_submit_kb = 1024\n"
			"pow_min_bits = 0\npow_max_bits = 0\n");
	drop_start(&d);
	gd_source_keys *src =
		test_source("zoom abacus yo-yo able ablaze abide zoologist felt-tip", d.root_pk);
	membuf env;
	drop_envelope(&d, src, "filler", 900000, &env, NULL);
	int full = 0;
	for (int i = 0; i < 10 && !full; i++) {
		uint8_t id[16];
		randombytes_buf(id, 16);
		post_submission(&d, id, &env, NULL, NULL, &r);
		full = r.status == 507 && strcmp(r.error, "storage_full") == 0;
		ck_assert(full || r.status == 201);
		resp_free(&r);
	}
	ck_assert(full);
	membuf_free(&env);
	sodium_free(src);
	wresp w;
	fetch(d.port, "GET", "/", "Accept-Encoding: gzip\r\n", &w);
	ck_assert_int_eq(w.status, 200);
	assert_page_headers(&w, "text/html; charset=utf-8", 1);
	wresp_free(&w);
	fetch(d.port, "GET", V "vendor/libsodium-sumo.js", NULL, &w);
	ck_assert_int_eq(w.status, 200);
	wresp_free(&w);
	drop_destroy(&d);
}
END_TEST

/* Many clients asking for the largest asset and not reading it cost the drop no copy of it
 * each: the reply references the embedded bytes (64 copies would be 75 MiB). */
START_TEST(big_assets_not_copied_per_request)
{
	enum { CONNS = 64 };
	drop d;
	int fds[CONNS];
	drop_create(&d, NULL);
	drop_start(&d);
	wresp w;
	fetch(d.port, "GET", V "vendor/libsodium-sumo.js", NULL, &w); /* its pages touched once */
	ck_assert_uint_gt(w.len, 1u << 20);
	wresp_free(&w);
	long before = proc_rss_kib(d.pid);
	const char *req = "GET " V "vendor/libsodium-sumo.js HTTP/1.1\r\nHost: x\r\n\r\n";
	for (int i = 0; i < CONNS; i++) {
		fds[i] = dial(d.port);
		int small = 4096;
		setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
		ck_assert_int_eq(send(fds[i], req, strlen(req), MSG_NOSIGNAL),
				 (ssize_t)strlen(req));
	}
	for (int i = 0; i < CONNS; i++) { /* each answered: its reply is queued whole */
		char head[16];
		ck_assert_int_eq(recv(fds[i], head, sizeof head, MSG_WAITALL),
				 (ssize_t)sizeof head);
		ck_assert(memcmp(head, "HTTP/1.1 200 OK\r\n", 16) == 0);
	}
	long after = proc_rss_kib(d.pid);
	ck_assert_msg(after - before < 24 * 1024, "the daemon grew by %ld KiB", after - before);
	for (int i = 0; i < CONNS; i++)
		close(fds[i]);
	resp r;
	ck_assert_int_eq(http_do(d.port, "GET", "/v1/limits", NULL, NULL, 0, &r), 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	drop_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("web");
	TCase *tc = tcase_create("web");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, page_and_every_asset);
	tcase_add_test(tc, gzip_only_when_accepted);
	tcase_add_test(tc, only_the_listed_paths);
	tcase_add_test(tc, one_connection_for_the_page);
	tcase_add_test(tc, head_like_get);
	tcase_add_test(tc, api_unchanged);
	tcase_add_test(tc, web_page_off);
	tcase_add_test(tc, served_while_storage_full);
	tcase_add_test(tc, big_assets_not_copied_per_request);
	tcase_add_test(tc, page_within_budget);
	suite_add_tcase(s, tc);
	return s;
}

GD_CHECK_MAIN(suite)
