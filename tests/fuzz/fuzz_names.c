/* Fuzz: what the desk makes of a source's names and text (client/names.c), with the safety
 * property asserted on every output: only allowlisted characters reach the journalist's disk
 * and terminal, names stay inside their folder, folder names have one shape. */
#include <jansson.h>
#include <stdio.h>

#include "fuzz.h"
#include "names.h"

/* Well-formed UTF-8 whose every character passes ok(). */
static int all_ok(const char *s, size_t len, int (*ok)(uint32_t, const char *, size_t))
{
	size_t i = 0;
	while (i < len) {
		uint32_t cp = 0;
		size_t n = names_utf8_next((const unsigned char *)s + i, len - i, &cp);
		if (n == 0 || !ok(cp, s + i, len - i))
			return 0;
		i += n;
	}
	return 1;
}

static int name_ok(uint32_t cp, const char *at, size_t left)
{
	(void)at, (void)left;
	return names_char_ok(cp) && (cp >= 0x80 || strchr("/\\:*?\"<>|", (int)cp) == NULL);
}

static int text_ok(uint32_t cp, const char *at, size_t left)
{
	if (cp == '\r')
		return left > 1 && at[1] == '\n';
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return cp == '\t' || cp == '\n';
	/* never what reorders or hides text */
	return !(cp >= 0x202A && cp <= 0x202E) && !(cp >= 0x2066 && cp <= 0x2069) && cp != 0x2028 &&
	       cp != 0x2029 && cp != 0x061C && cp != 0x00AD && cp != 0xFEFF &&
	       !(cp >= 0xE0000 && cp <= 0xE007F);
}

static int json_ok(uint32_t cp, const char *at, size_t left)
{
	(void)at, (void)left;
	return cp == '\n' || names_char_ok(cp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 36)
		return 0;
	const uint8_t *hash = data;
	uint32_t day = (uint32_t)data[32] | (uint32_t)data[33] << 8 | (uint32_t)data[34] << 16 |
		       (uint32_t)data[35] << 24;
	unsigned attempt = data[34]; /* also a few bits of the day: no matter */
	data += 36, size -= 36;

	/* attachment names */
	char *in = malloc(size + 1), out[NAMES_MAX_BYTES + 32];
	if (in == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	names_safe(out, sizeof out, in, attempt);
	size_t len = strlen(out);
	if (len == 0 || len > NAMES_MAX_BYTES + 20 || !all_ok(out, len, name_ok) || out[0] == '.' ||
	    out[0] == '-' || out[0] == ' ' || out[len - 1] == '.' || out[len - 1] == ' ')
		abort();
	for (size_t i = 0; names_reserved[i] != NULL; i++)
		if (strcmp(out, names_reserved[i]) == 0)
			abort();

	/* folder names: LABEL/YEAR-MM-DD-HASH12, then -N after the first attempt; nothing else
	 * (the day comes from the batch: any u32) */
	char folder[128];
	if (names_folder(folder, sizeof folder, "no-reply", day, hash, attempt) != 0)
		abort();
	int y, mo, d, tail = 0;
	char h12[NAMES_HASH_CHARS + 1];
	if (sscanf(folder, "no-reply/%d-%2d-%2d-%12[A-Za-z0-9_-]%n", &y, &mo, &d, h12, &tail) !=
		    4 ||
	    strlen(h12) != NAMES_HASH_CHARS || strstr(folder, "..") != NULL ||
	    strchr(folder + 9, '/') != NULL)
		abort();
	if (attempt > 1 ? atoi(folder + tail + 1) != (int)attempt || folder[tail] != '-'
			: folder[tail] != '\0')
		abort();

	/* text for the terminal */
	size_t clen = 0, replaced = 0;
	char *clean = names_clean_text(data, size, &clen, &replaced);
	if (clean == NULL || strlen(clean) != clen || !all_ok(clean, clen, text_ok))
		abort();
	if (replaced == 0 && (clen != size || memcmp(clean, data, size) != 0))
		abort();
	free(clean);

	/* manifest.json: the same value, nothing raw but what the allowlist keeps */
	json_t *s = json_stringn(in, size);
	if (s != NULL) {
		json_t *o = json_pack("{s:o}", "name", s);
		char *raw = json_dumps(o, JSON_INDENT(2));
		char *esc = raw ? names_escape_json(raw) : NULL;
		if (esc == NULL || !all_ok(esc, strlen(esc), json_ok))
			abort();
		json_t *back = json_loads(esc, JSON_ALLOW_NUL, NULL);
		if (back == NULL || !json_equal(back, o))
			abort();
		json_decref(back);
		free(esc);
		free(raw);
		json_decref(o);
	}
	free(in);
	return 0;
}
