/* Names and text from a source, made safe for the journalist's disk and terminal (names.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "charclass.h"
#include "gdcrypto.h"
#include "names.h"

const char *const names_reserved[] = {"message.txt", "message-unsafe.txt", "manifest.json", NULL};

size_t names_utf8_next(const unsigned char *p, size_t len, uint32_t *cp)
{
	if (len == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	size_t n;
	uint32_t c, min;
	if ((p[0] & 0xE0) == 0xC0) {
		n = 2, c = p[0] & 0x1Fu, min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		n = 3, c = p[0] & 0x0Fu, min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		n = 4, c = p[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3Fu);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

int names_char_ok(uint32_t cp)
{
	size_t lo = 0, hi = sizeof gd_name_chars / sizeof gd_name_chars[0];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < gd_name_chars[mid][0])
			hi = mid;
		else if (cp > gd_name_chars[mid][1])
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static int reserved(const char *name)
{
	for (size_t i = 0; names_reserved[i] != NULL; i++)
		if (strcmp(name, names_reserved[i]) == 0)
			return 1;
	return 0;
}

void names_safe(char *out, size_t cap, const char *in, size_t index)
{
	const char *base = in;
	for (const char *p = in; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	const unsigned char *p = (const unsigned char *)base;
	size_t left = strlen(base), o = 0;
	while (left > 0 && o + 4 < cap) {
		uint32_t cp = 0;
		size_t n = names_utf8_next(p, left, &cp);
		if (n == 0 || !names_char_ok(cp) ||
		    (cp < 0x80 && strchr("/\\:*?\"<>|", (int)cp) != NULL)) {
			if (o + 1 > NAMES_MAX_BYTES)
				break;
			out[o++] = '_';
			n = n ? n : 1;
		} else {
			if (o + n > NAMES_MAX_BYTES)
				break;
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		left -= n;
	}
	out[o] = '\0';
	while (o > 0 && (out[o - 1] == '.' || out[o - 1] == ' '))
		out[--o] = '\0';
	size_t lead = 0;
	while (out[lead] == '.' || out[lead] == '-' || out[lead] == ' ')
		lead++;
	memmove(out, out + lead, o - lead + 1);
	if (out[0] == '\0' || reserved(out)) {
		char was[NAMES_MAX_BYTES + 1];
		snprintf(was, sizeof was, "%s", out);
		if (snprintf(out, cap, "attachment-%zu%s%s", index + 1, was[0] ? "-" : "", was) >=
		    (int)cap)
			snprintf(out, cap, "attachment-%zu", index + 1);
	}
}

int names_folder(char *out, size_t cap, const char *label, uint32_t day, const uint8_t hash[32],
		 unsigned attempt)
{
	char h[48], d[16], more[16] = "";
	struct tm tm;
	time_t t = (time_t)day * 86400;
	if (gd_b64_encode(h, sizeof h, hash, 32) != GD_OK || gmtime_r(&t, &tm) == NULL ||
	    strftime(d, sizeof d, "%Y-%m-%d", &tm) == 0)
		return -1;
	if (attempt > 1)
		snprintf(more, sizeof more, "-%u", attempt);
	int w = snprintf(out, cap, "%s/%s-%.*s%s", label, d, NAMES_HASH_CHARS, h, more);
	return w < 0 || (size_t)w >= cap ? -1 : 0;
}

/* Allowed in text besides the name allowlist: other spaces, and the invisible marks that
 * scripts need (ZWNJ, ZWJ, LRM, RLM). Never the overrides and isolates that reorder text. */
static int text_char_ok(uint32_t cp)
{
	return names_char_ok(cp) || cp == '\t' || cp == '\n' || cp == 0xA0 ||
	       (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F || cp == 0x3000 ||
	       (cp >= 0x200C && cp <= 0x200F);
}

char *names_clean_text(const uint8_t *in, size_t len, size_t *outlen, size_t *replaced)
{
	/* at worst every byte becomes U+FFFD (3 bytes) */
	char *out = malloc(len * 3 + 1);
	size_t o = 0, i = 0;
	*replaced = 0;
	if (out == NULL)
		return NULL;
	while (i < len) {
		uint32_t cp = 0;
		size_t n = names_utf8_next(in + i, len - i, &cp);
		if (n == 1 && cp == '\r' && i + 1 < len && in[i + 1] == '\n') {
			out[o++] = '\r';
		} else if (n == 0 || !text_char_ok(cp)) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			(*replaced)++;
			n = n ? n : 1;
		} else {
			memcpy(out + o, in + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* One UTF-16 unit as a JSON escape, "\uXXXX" (6 bytes), at out[*o]; cap is out's size. */
static void put_escape(char *out, size_t cap, size_t *o, unsigned unit)
{
	int w = snprintf(out + *o, cap - *o, "\\u%04x", unit);
	if (w > 0 && (size_t)w < cap - *o)
		*o += (size_t)w;
}

char *names_escape_json(const char *in)
{
	size_t len = strlen(in), o = 0, i = 0;
	/* at worst a 1-byte character (DEL) becomes a 6-byte escape */
	size_t cap = len * 6 + 1;
	char *out = malloc(cap);
	if (out == NULL)
		return NULL;
	while (i < len) {
		uint32_t cp = 0;
		size_t n = names_utf8_next((const unsigned char *)in + i, len - i, &cp);
		if (n == 0) { /* not from Jansson: never pass it on raw */
			put_escape(out, cap, &o, 0xFFFD);
			i++;
			continue;
		}
		if (cp == '\n' || names_char_ok(cp)) {
			memcpy(out + o, in + i, n);
			o += n;
		} else if (cp < 0x10000) {
			put_escape(out, cap, &o, (unsigned)cp);
		} else {
			uint32_t v = cp - 0x10000;
			put_escape(out, cap, &o, (unsigned)(0xD800 + (v >> 10)));
			put_escape(out, cap, &o, (unsigned)(0xDC00 + (v & 0x3FF)));
		}
		i += n;
	}
	out[o] = '\0';
	return out;
}
