/* ghostdrop client: a testimony's text as the worker's editor saved it, made UTF-8. */
#include "textenc.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF), or 0. */
static size_t utf8_seq(const uint8_t *p, size_t left)
{
	uint8_t c = p[0];
	size_t n;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static size_t put_utf8(uint8_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xC0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xE0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (uint8_t)(0xF0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

static int fail(uint8_t *buf, size_t cap, const char **why, const char *what)
{
	sodium_memzero(buf, cap);
	free(buf);
	*why = what;
	return -1;
}

/* The reasons (*why) are marked only, and said after the file's name ("notes.txt is not UTF-8
 * text"): the caller translates them. */
static int from_utf16(const uint8_t *in, size_t len, int be, uint8_t **out, size_t *out_len,
		      const char **why)
{
	/* each 2-byte unit gives at most 3 bytes, each 4-byte pair 4 */
	size_t cap = len / 2 * 3 + 1, n = 0;
	uint8_t *o = malloc(cap);
	if (o == NULL)
		return -1;
	if (len % 2 != 0)
		/* TRANSLATORS: said after a file name, as "notes.txt is UTF-16 text cut...";
		 * UTF-16, UTF-8, NUL and the encodings' names stay */
		return fail(o, cap, why, N_("is UTF-16 text cut in the middle of a character"));
	for (size_t i = 0; i < len; i += 2) {
		uint32_t u = be ? (uint32_t)(in[i] << 8 | in[i + 1])
				: (uint32_t)(in[i + 1] << 8 | in[i]);
		if (u >= 0xDC00 && u <= 0xDFFF)
			return fail(o, cap, why, N_("is UTF-16 text with an unpaired surrogate"));
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (i + 3 >= len)
				return fail(o, cap, why,
					    N_("is UTF-16 text with an unpaired surrogate"));
			uint32_t l = be ? (uint32_t)(in[i + 2] << 8 | in[i + 3])
					: (uint32_t)(in[i + 3] << 8 | in[i + 2]);
			if (l < 0xDC00 || l > 0xDFFF)
				return fail(o, cap, why,
					    N_("is UTF-16 text with an unpaired surrogate"));
			u = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
			i += 2;
		}
		if (u == 0)
			return fail(o, cap, why, N_("holds NUL characters, which text never does"));
		n += put_utf8(o + n, u);
	}
	o[n] = '\0';
	*out = o;
	*out_len = n;
	return 0;
}

int gd_text_to_utf8(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, const char **why)
{
	*why = NULL;
	*out = NULL;
	*out_len = 0;
	if (len >= 2 && in[0] == 0xFF && in[1] == 0xFE)
		return from_utf16(in + 2, len - 2, 0, out, out_len, why);
	if (len >= 2 && in[0] == 0xFE && in[1] == 0xFF)
		return from_utf16(in + 2, len - 2, 1, out, out_len, why);
	if (len >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF)
		in += 3, len -= 3;
	int nul = memchr(in, 0, len) != NULL;
	for (size_t i = 0, k; i < len && !nul; i += k)
		if ((k = utf8_seq(in + i, len - i)) == 0) {
			*why = N_("is not UTF-8 text (perhaps Latin-1 or Windows-1252)");
			return -1;
		}
	if (nul) {
		*why = N_("holds NUL bytes (perhaps UTF-16 saved without a byte-order mark)");
		return -1;
	}
	if ((*out = malloc(len + 1)) == NULL)
		return -1;
	memcpy(*out, in, len);
	(*out)[len] = '\0';
	*out_len = len;
	return 0;
}
