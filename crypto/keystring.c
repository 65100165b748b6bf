/* libghostdrop newsroom key string: "gdnk1" + base32(pk || checksum), PROTOCOL.md §3. */

#include "internal.h"

static const char B32[] = "abcdefghijklmnopqrstuvwxyz234567";
#define KS_RAW (GD_SIGN_PK_BYTES + 4)
#define KS_B32 58

static void keystring_checksum(uint8_t sum[4], const uint8_t pk[GD_SIGN_PK_BYTES])
{
	uint8_t h[32];
	gd_hash_ctx(h, sizeof h, GD_CTX_KEYSTRING, pk, GD_SIGN_PK_BYTES);
	memcpy(sum, h, 4);
}

int gd_keystring_encode(char out[GD_KEYSTRING_LEN + 1], const uint8_t pk[GD_SIGN_PK_BYTES])
{
	uint8_t raw[KS_RAW];
	memcpy(raw, pk, GD_SIGN_PK_BYTES);
	keystring_checksum(raw + GD_SIGN_PK_BYTES, pk);
	memcpy(out, GD_KEYSTRING_PREFIX, 5);
	unsigned bits = 0, acc = 0, o = 5;
	for (size_t i = 0; i < KS_RAW; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = B32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = B32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return GD_OK;
}

int gd_keystring_decode(uint8_t pk[GD_SIGN_PK_BYTES], const char *s)
{
	size_t len = strlen(s);
	/* Copy-paste friendly: surrounding whitespace and upper case are accepted. */
	while (len > 0 && gd_ascii_isspace(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && gd_ascii_isspace(s[len - 1]))
		len--;
	if (len != GD_KEYSTRING_LEN || gd_ascii_ncasecmp(s, GD_KEYSTRING_PREFIX, 5) != 0)
		return GD_ERR_FORMAT;
	uint8_t raw[KS_RAW];
	unsigned bits = 0, acc = 0;
	size_t o = 0;
	for (size_t i = 5; i < len; i++) {
		const char *p = strchr(B32, gd_ascii_lower(s[i]));
		if (p == NULL || s[i] == '\0')
			return GD_ERR_FORMAT;
		acc = (acc << 5) | (unsigned)(p - B32);
		bits += 5;
		if (bits >= 8) {
			raw[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
			acc &= (1u << bits) - 1;
		}
	}
	if (o != KS_RAW || acc != 0) /* leftover bits must be zero: one string per key */
		return GD_ERR_FORMAT;
	uint8_t sum[4];
	keystring_checksum(sum, raw);
	if (sodium_memcmp(sum, raw + GD_SIGN_PK_BYTES, 4) != 0)
		return GD_ERR_CHECKSUM;
	memcpy(pk, raw, GD_SIGN_PK_BYTES);
	return GD_OK;
}
