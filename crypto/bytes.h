/* libghostdrop bytes: every integer in ghostdrop's formats is little-endian (PROTOCOL.md §1),
 * and text in them is classified and lower-cased as ASCII, whatever the process's locale (the
 * worker CLI sets LC_CTYPE from the user's: tolower() there may map 'I' to 0xFD or 0xC9 to 0xE9,
 * and isalnum() accept 0xC9). Shared by the library, the drop's store and the desk's batch files.
 */
#ifndef GD_BYTES_H
#define GD_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline void gd_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void gd_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void gd_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t gd_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t gd_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static inline uint64_t gd_get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static inline char gd_ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}
static inline int gd_ascii_isalnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
/* The six white-space bytes of C's isspace in the "C" locale. */
static inline int gd_ascii_isspace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
/* strncasecmp over ASCII letters only: 0 when the first n bytes match. */
static inline int gd_ascii_ncasecmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int d = (unsigned char)gd_ascii_lower(a[i]) - (unsigned char)gd_ascii_lower(b[i]);
		if (d != 0 || a[i] == '\0')
			return d;
	}
	return 0;
}
/* strcasecmp over ASCII letters only. */
static inline int gd_ascii_casecmp(const char *a, const char *b)
{
	return gd_ascii_ncasecmp(a, b, (size_t)-1);
}

#endif
