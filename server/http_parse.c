/* ghostdropd's HTTP/1.1 request-head parser (http_parse.h): strict, in place, no I/O. */
#include "http_parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int tchar(int ch)
{
	return isalnum(ch) || (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

int http_parse_head(http_head *hd, char *buf, size_t len, const char **code)
{
	char *line = buf, *end = buf + len, *eol;
	*code = "bad_request";
	/* request line */
	if ((eol = strstr(line, "\r\n")) == NULL)
		return 400;
	*eol = '\0';
	char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || strchr(sp2 + 1, ' ') != NULL)
		return 400;
	*sp1 = *sp2 = '\0';
	hd->method = line;
	hd->target = sp1 + 1;
	for (const char *p = hd->method; *p; p++)
		if (!isupper((unsigned char)*p))
			return 400;
	if (hd->method[0] == '\0' || strlen(hd->method) > 7)
		return 400;
	if (hd->target[0] != '/' || strlen(hd->target) > 1024)
		return 400;
	for (const char *p = hd->target; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return 400;
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		hd->keepalive = 1;
	else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		hd->keepalive = 0;
	else {
		*code = "unsupported_version";
		return 400;
	}
	char *q = strchr((char *)hd->target, '?');
	hd->path = hd->target;
	hd->query = "";
	if (q != NULL) {
		*q = '\0';
		hd->query = q + 1;
	}
	/* header fields */
	int have_length = 0;
	for (line = eol + 2; line < end; line = eol + 2) {
		if ((eol = strstr(line, "\r\n")) == NULL)
			return 400;
		*eol = '\0';
		if (line[0] == '\0')
			break; /* the blank line */
		if (line[0] == ' ' || line[0] == '\t')
			return 400; /* obsolete line folding */
		char *colon = strchr(line, ':');
		if (colon == NULL || colon == line)
			return 400;
		*colon = '\0';
		for (const char *p = line; *p; p++)
			if (!tchar((unsigned char)*p))
				return 400;
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		char *ve = v + strlen(v);
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			*--ve = '\0';
		for (const char *p = v; *p; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
				return 400;
		if (hd->n_headers == HTTP_MAX_HEADERS) {
			*code = "header_too_large";
			return 431;
		}
		hd->names[hd->n_headers] = line;
		hd->values[hd->n_headers++] = v;
		if (strcasecmp(line, "content-length") == 0) {
			char *e;
			if (*v == '\0' || strlen(v) > 18 || strspn(v, "0123456789") != strlen(v))
				return 400;
			uint64_t n = strtoull(v, &e, 10);
			if (have_length && n != hd->content_length)
				return 400; /* two different lengths: request smuggling */
			have_length = 1;
			hd->content_length = n;
		} else if (strcasecmp(line, "transfer-encoding") == 0) {
			*code = "unsupported_transfer_encoding";
			return 501;
		} else if (strcasecmp(line, "connection") == 0 && strcasecmp(v, "close") == 0) {
			hd->keepalive = 0;
		}
	}
	*code = NULL;
	return 0;
}

const char *http_head_field(const http_head *hd, const char *name)
{
	for (int i = 0; i < hd->n_headers; i++)
		if (strcasecmp(hd->names[i], name) == 0)
			return hd->values[i];
	return NULL;
}

int http_head_query(const http_head *hd, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	const char *p = hd->query;
	while (p != NULL && *p != '\0') {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
		if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			size_t vl = (size_t)(end - p) - n - 1;
			if (vl >= cap)
				return -2;
			memcpy(out, p + n + 1, vl);
			out[vl] = '\0';
			return 0;
		}
		p = amp ? amp + 1 : NULL;
	}
	return -1;
}
