/* Fuzz: a codename as the worker gives it, typed or from a file, and the "did you mean" hint.
 * The first byte picks the way in: even, a file (exactly its bytes, no NUL after them, at most
 * 1000 as ghostdrop reads); odd, typed (the line up to the first CR, LF or NUL). What
 * normalises is 8 list words that normalise to themselves; a bad word always has a suggestion
 * that is a list word; nothing is read past the input. */
#include "fuzz.h"

static void check(const char *in, size_t len)
{
	char out[GD_CODENAME_MAX], again[GD_CODENAME_MAX];
	int bad, bad2;
	int rc = gd_codename_normalise(out, sizeof out, in, len, &bad);
	if (rc == GD_OK) {
		size_t words = 1;
		for (const char *p = out; *p; p++)
			words += *p == ' ';
		if (words != GD_CODENAME_WORDS ||
		    gd_codename_normalise(again, sizeof again, out, strlen(out), &bad2) != GD_OK ||
		    strcmp(out, again) != 0)
			abort();
	} else if (rc == GD_ERR_WORD) {
		if (bad >= GD_CODENAME_WORDS)
			abort();
		if (bad >= 0) {
			const char *s = gd_codename_suggest(in, len, bad);
			if (s == NULL || gd_wordlist_find(s, strlen(s)) < 0)
				abort();
		}
	} else {
		abort(); /* no other answer: the output always has room for 8 list words */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int typed = data[0] & 1;
	data++;
	size--;
	if (typed) {
		char *line = malloc(1024);
		size_t n = 0;
		while (n + 1 < 1024 && n < size && data[n] != '\n')
			n++;
		memcpy(line, data, n);
		line[gd_passphrase_len(line, n)] = '\0'; /* as gd_prompt_secret */
		check(line, strlen(line));
		free(line);
	} else if (size <= 1000) {
		char *file = malloc(size ? size : 1);
		memcpy(file, data, size);
		check(file, size);
		free(file);
	}
	return 0;
}
