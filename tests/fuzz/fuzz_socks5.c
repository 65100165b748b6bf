/* Fuzz: what a SOCKS5 proxy answers (the worker's client parses it byte by byte). */
#include "fuzz.h"
#include "socks5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t used;
	uint8_t code;
	socks5_parse_method(data, size);
	socks5_parse_auth(data, size);
	int rc = socks5_parse_connect(data, size, &used, &code);
	if (rc == SOCKS_OK && (used > size || used < 7)) /* 7: an empty bound name */
		abort();
	if (rc == SOCKS_ERR_REFUSED)
		(void)socks5_reply_text(code);
	/* every prefix: "need more" or an answer, never a read past the end */
	for (size_t n = 0; n < size && n < 300; n++)
		socks5_parse_connect(data, n, &used, &code);
	return 0;
}
