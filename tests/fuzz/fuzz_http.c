/* Fuzz: the drop's request-head parser and its header and query lookups (server/http_parse.c,
 * linked), on the bytes up to the first blank line, as server/http.c hands them over. */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	/* what conn_read_cb hands over: everything up to and including "\r\n\r\n" */
	char *h = malloc(size + 5);
	memcpy(h, data, size);
	memcpy(h + size, "\r\n\r\n", 5);
	size_t hlen = (size_t)((char *)memmem(h, size + 4, "\r\n\r\n", 4) - h) + 4;
	h[hlen] = '\0';
	http_head *r = calloc(1, sizeof *r);
	const char *code;
	if (http_parse_head(r, h, hlen, &code) == 0) {
		char v[64];
		http_head_field(r, "content-type");
		http_head_field(r, "authorization");
		http_head_query(r, "offset", v, sizeof v);
		http_head_query(r, "purpose", v, sizeof v);
		http_head_query(r, "size", v, 2);
		if (r->path == NULL || r->path[0] != '/')
			abort();
	} else if (code == NULL) {
		abort(); /* every refusal names its error code */
	}
	free(r);
	free(h);
	return 0;
}
