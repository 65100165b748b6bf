/* ghostdropd's submission page (issue 17; docs/OPERATOR.md "The web page"): GET / is the page
 * with the drop's newsroom key in it, GET /s/VERSION/NAME its assets, both embedded at build
 * time (webassets.h) and never read from disk. No proof of work, no token, no cookie: the
 * bytes are static and referenced, not copied, by every reply, so a page request costs the
 * drop no more than a 404 does. Anything else under / stays the API's 404. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_internal.h"
#include "webassets.h"

/* The headers of the page and of every asset (web17.md): only the drop's own scripts, styles
 * and connections, no framing, no referrer, no caching; the rest of them (no-store, nosniff,
 * no-referrer) http.c sends on every reply. */
#define WEB_HEADERS                                                                                \
	"Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "       \
	"img-src 'self'; connect-src 'self'; worker-src 'self'; base-uri 'none'; "                 \
	"form-action 'none'; frame-ancestors 'none'\r\n"                                           \
	"X-Frame-Options: DENY\r\n"                                                                \
	"Cross-Origin-Opener-Policy: same-origin\r\n"                                              \
	"Cross-Origin-Resource-Policy: same-origin\r\n"                                            \
	"Permissions-Policy: camera=(), microphone=(), geolocation=()\r\n"                         \
	"Vary: Accept-Encoding\r\n"

struct web {
	gd_web_asset page; /* index.html with the key in it, and its gzip: made at start-up */
	unsigned char *body, *gz;
};

#ifdef GD_WEB

int api_web_built(void)
{
	return 1;
}

static uint32_t crc32_gzip(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* The page's gzip: a header, the pieces' deflates with the key between each two as a stored
 * block (BFINAL 0, BTYPE 00, then LEN and its complement), an empty final block (fixed
 * Huffman: 03 00), the CRC-32 and the length of the page. */
static int make_page_gzip(web *w, const char *key, size_t klen)
{
	static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff};
	size_t cap = sizeof head + 2 + 8;
	for (size_t i = 0; i < gd_web_page_n; i++)
		cap += gd_web_page[i].deflate_len + (i + 1 < gd_web_page_n ? 5 + klen : 0);
	unsigned char *g = malloc(cap), *o = g;
	if (g == NULL)
		return -1;
	memcpy(o, head, sizeof head);
	o += sizeof head;
	for (size_t i = 0; i < gd_web_page_n; i++) {
		memcpy(o, gd_web_page[i].deflate, gd_web_page[i].deflate_len);
		o += gd_web_page[i].deflate_len;
		if (i + 1 == gd_web_page_n)
			break;
		*o++ = 0;
		*o++ = (unsigned char)(klen & 0xff);
		*o++ = (unsigned char)(klen >> 8);
		*o++ = (unsigned char)(~klen & 0xff);
		*o++ = (unsigned char)((~klen >> 8) & 0xff);
		memcpy(o, key, klen);
		o += klen;
	}
	*o++ = 3;
	*o++ = 0;
	put_le32(o, crc32_gzip(w->body, w->page.len));
	put_le32(o + 4, (uint32_t)w->page.len);
	o += 8;
	if ((size_t)(o - g) >= w->page.len) { /* gzip would not help */
		free(g);
		return 0;
	}
	w->gz = g;
	w->page.gz = g;
	w->page.gz_len = (size_t)(o - g);
	return 0;
}

web *web_new(const char *newsroom)
{
	size_t klen = strlen(newsroom);
	/* The key goes into HTML as is: only the characters a key string has (§3) may. */
	if (klen == 0 || klen > 0xffff ||
	    strspn(newsroom, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
		    klen)
		return NULL;
	web *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	size_t len = 0;
	for (size_t i = 0; i < gd_web_page_n; i++)
		len += gd_web_page[i].len + (i + 1 < gd_web_page_n ? klen : 0);
	if ((w->body = malloc(len > 0 ? len : 1)) == NULL) {
		free(w);
		return NULL;
	}
	unsigned char *o = w->body;
	for (size_t i = 0; i < gd_web_page_n; i++) {
		memcpy(o, gd_web_page[i].body, gd_web_page[i].len);
		o += gd_web_page[i].len;
		if (i + 1 < gd_web_page_n) {
			memcpy(o, newsroom, klen);
			o += klen;
		}
	}
	w->page.name = "index.html";
	w->page.ctype = "text/html; charset=utf-8";
	w->page.body = w->body;
	w->page.len = len;
	if (make_page_gzip(w, newsroom, klen) != 0) {
		web_free(w);
		return NULL;
	}
	return w;
}

#else /* built without the page (meson -Dweb=disabled, or web/node_modules missing) */

int api_web_built(void)
{
	return 0;
}

web *web_new(const char *newsroom)
{
	(void)newsroom;
	return NULL;
}

#endif

void web_free(web *w)
{
	if (w == NULL)
		return;
	free(w->body);
	free(w->gz);
	free(w);
}

/* Accept-Encoding (RFC 9110 §12.5.3): gzip is accepted when "gzip" or "x-gzip" has a q above
 * 0, else when "*" has one; q=0 (0, 0.0, 0.000) refuses it; a q that does not parse counts
 * as 0 (identity always works). Whether the parameters of one coding, from p up to end,
 * give it a q above 0 (none: q=1). */
static int qvalue_positive(const char *p, const char *end)
{
	while (p < end) {
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		const char *pe = p;
		while (pe < end && *pe != ';')
			pe++;
		const char *v = p;
		while (v < pe && *v != '=')
			v++;
		size_t nl = (size_t)(v - p);
		while (nl > 0 && (p[nl - 1] == ' ' || p[nl - 1] == '\t'))
			nl--;
		if (nl == 1 && (p[0] == 'q' || p[0] == 'Q')) {
			if (v == pe)
				return 0;
			v++;
			while (v < pe && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = pe;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			size_t vl = (size_t)(ve - v);
			if (vl == 0 || (v[0] != '0' && v[0] != '1'))
				return 0;
			if (vl > 1 && (v[1] != '.' || vl > 5))
				return 0;
			int nonzero = v[0] == '1';
			for (size_t i = 2; i < vl; i++) {
				/* after "1." only zeros: 1 is the highest qvalue */
				if (v[i] < '0' || v[i] > '9' || (v[0] == '1' && v[i] != '0'))
					return 0;
				nonzero |= v[i] != '0';
			}
			return nonzero;
		}
		p = pe;
	}
	return 1; /* no q: 1 */
}

/* One Accept-Encoding field's codings: gzip (or x-gzip) and '*' seen with a q above 0 (1) or
 * of 0 (0); -1 while not seen. */
static void scan_codings(const char *ae, int *gzip, int *star)
{
	for (const char *p = ae; *p != '\0';) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *e = p;
		while (*e != '\0' && *e != ',')
			e++;
		const char *ce = p;
		while (ce < e && *ce != ';' && *ce != ' ' && *ce != '\t')
			ce++;
		size_t cl = (size_t)(ce - p);
		int ok = qvalue_positive(ce, e);
		if ((cl == 4 && strncasecmp(p, "gzip", 4) == 0) ||
		    (cl == 6 && strncasecmp(p, "x-gzip", 6) == 0))
			*gzip = *gzip == 1 ? 1 : ok; /* listed twice: any positive one */
		else if (cl == 1 && *p == '*')
			*star = *star == 1 ? 1 : ok;
		p = e;
	}
}

/* Whether the request accepts gzip, all its Accept-Encoding lines together (one list). */
static int accepts_gzip(const http_req *r)
{
	int gzip = -1, star = -1;
	const char *ae;
	for (int i = 0; (ae = http_header_nth(r, "accept-encoding", i)) != NULL; i++)
		scan_codings(ae, &gzip, &star);
	return gzip >= 0 ? gzip : star == 1;
}

int web_head(web *w, rctx *x)
{
	http_req *r = x->r;
	const char *path = http_path(r);
	const gd_web_asset *found = NULL;
	if (w == NULL || http_has_query(r))
		return 0;
#ifdef GD_WEB
	size_t vl = strlen(gd_web_version);
	if (strcmp(path, "/") == 0) {
		found = &w->page;
	} else if (strncmp(path, "/s/", 3) == 0 && strncmp(path + 3, gd_web_version, vl) == 0 &&
		   path[3 + vl] == '/') {
		/* The name as a whole, byte for byte: nothing else (no "..", no "%2e", no "//")
		 * names an asset. */
		const char *name = path + 3 + vl + 1;
		for (size_t i = 0; i < gd_web_n_assets && found == NULL; i++)
			if (strcmp(name, gd_web_assets[i].name) == 0)
				found = &gd_web_assets[i];
	}
#else
	(void)path;
#endif
	if (found == NULL)
		return 0;
	/* HEAD where GET works (RFC 9110 9.3.2): web_reply sends GET's headers only */
	if (strcmp(http_method(r), "GET") != 0 && strcmp(http_method(r), "HEAD") != 0) {
		http_reply_error(r, 405, "method_not_allowed", "method not allowed here");
		return -1;
	}
	x->asset = found;
	return 1;
}

void web_reply(web *w, rctx *x)
{
	const gd_web_asset *s = x->asset;
	int head = strcmp(http_method(x->r), "HEAD") == 0;
	(void)w;
	if (s->gz != NULL && accepts_gzip(x->r))
		(head ? http_reply_static_head : http_reply_static)(
			x->r, 200, s->ctype, WEB_HEADERS "Content-Encoding: gzip\r\n", s->gz,
			s->gz_len);
	else
		(head ? http_reply_static_head : http_reply_static)(x->r, 200, s->ctype,
								    WEB_HEADERS, s->body, s->len);
}
