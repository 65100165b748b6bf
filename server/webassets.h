/* The submission page embedded at build time by scripts/gen-webassets.py (web/meson.build):
 * its assets, and the page itself in pieces around the newsroom key. Only server/api_web.c
 * reads them; a daemon built without the page (meson -Dweb=disabled) has none of this. */
#ifndef GD_SERVER_WEBASSETS_H
#define GD_SERVER_WEBASSETS_H

#include <stddef.h>

/* An asset served at /s/VERSION/NAME: its bytes (@GD_VERSION@ replaced) and their gzip, or
 * gz NULL when gzip would not make them smaller. */
typedef struct {
	const char *name, *ctype;
	const unsigned char *body;
	size_t len;
	const unsigned char *gz;
	size_t gz_len;
} gd_web_asset;

extern const gd_web_asset gd_web_assets[];
extern const size_t gd_web_n_assets;

/* index.html cut at each @GD_NEWSROOM@: piece i's bytes and their raw deflate (level 9, no
 * header, ending with a full flush: byte-aligned, not final). The page is the pieces with the
 * key between each two; its gzip, the deflates with the key between each two as a stored
 * block, then an empty final block. */
typedef struct {
	const unsigned char *body;
	size_t len;
	const unsigned char *deflate;
	size_t deflate_len;
} gd_web_piece;

extern const gd_web_piece gd_web_page[];
extern const size_t gd_web_page_n;
extern const char gd_web_version[];

#endif
