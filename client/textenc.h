/* ghostdrop client: a testimony's text as the worker's editor saved it, made UTF-8. */
#ifndef GD_TEXTENC_H
#define GD_TEXTENC_H

#include <stddef.h>
#include <stdint.h>

/* UTF-8 (a leading byte-order mark dropped) is taken as it is; UTF-16 with a byte-order mark
 * (little or big endian, surrogate pairs) is converted. *out is malloc'ed and NUL-terminated
 * (the NUL not counted): the caller wipes and frees it. Returns 0, or -1 with *why saying in
 * plain words what the text is instead (not UTF-8, an unpaired surrogate, a NUL character), or
 * with *why NULL when out of memory. in is left as it was. */
int gd_text_to_utf8(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len,
		    const char **why);

#endif
