/* Names and text the desk writes from what a source sent: attachment file names, submission
 * folder names, and text that is safe to show in a terminal. The source is not trusted: every
 * function here keeps only characters of an allowlist (client/charclass.h). */
#ifndef GD_NAMES_H
#define GD_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define NAMES_MAX_BYTES 120 /* an attachment's file name, in bytes */
#define NAMES_HASH_CHARS 12 /* base64url characters of the envelope hash in a folder name */

/* The desk's own file names in a submission folder: never given to an attachment. */
extern const char *const names_reserved[];

/* The next code point of UTF-8 text: its length in bytes (1-4), or 0 if the bytes at p are
 * not well-formed UTF-8 (overlong, surrogate, past U+10FFFF, cut short). */
size_t names_utf8_next(const unsigned char *p, size_t len, uint32_t *cp);

/* A code point a name may keep: a letter, mark, number, punctuation, symbol or U+0020. */
int names_char_ok(uint32_t cp);

/* A file name for attachment number `index` named `in` by the source: the last path component,
 * every character outside the allowlist and each of /\:*?"<>| replaced by '_', no leading dot,
 * dash or space, no trailing dot or space, at most NAMES_MAX_BYTES bytes (cut on a character
 * boundary), never empty and never one of names_reserved. cap >= NAMES_MAX_BYTES + 32. */
void names_safe(char *out, size_t cap, const char *in, size_t index);

/* A submission's folder, relative to OUTDIR: "LABEL/DAY-HASH" where HASH is the first
 * NAMES_HASH_CHARS base64url characters of the envelope's BLAKE2b-256, and "-N" after it for
 * attempt N > 1. Nobody can choose a hash prefix another submission has, so nobody can make
 * two submissions meet in one folder. -1 if it does not fit. */
int names_folder(char *out, size_t cap, const char *label, uint32_t day, const uint8_t hash[32],
		 unsigned attempt);

/* Text safe in a terminal: `in` with U+FFFD for malformed UTF-8 and for every code point
 * outside the allowlist, except tab, newline, CR before LF, other spaces, ZWJ/ZWNJ and
 * LRM/RLM, which are kept. Returns a malloc'ed NUL-terminated copy (its length in *outlen) and how
 * many characters were replaced in *replaced; NULL when out of memory. */
char *names_clean_text(const uint8_t *in, size_t len, size_t *outlen, size_t *replaced);

/* JSON text (as Jansson writes it) with every code point outside the allowlist written as a
 * \uXXXX escape instead: the same JSON value, nothing a terminal would act on. `in` is valid
 * UTF-8 and holds no raw control character but '\n'. malloc'ed; NULL when out of memory. */
char *names_escape_json(const char *in);

#endif
