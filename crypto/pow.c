/* libghostdrop proof of work: stateless MAC'd challenges and their solutions. PROTOCOL.md §9. */
#include "internal.h"

#define POW_VERSION 1
#define POW_BODY 40 /* bytes covered by the MAC */
#define POW_HASH 32

static void pow_mac(uint8_t mac[32], const uint8_t body[POW_BODY], const uint8_t key[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, key, GD_POW_KEY_BYTES, 32);
	crypto_generichash_update(&st, (const uint8_t *)GD_CTX_POW_MAC, sizeof GD_CTX_POW_MAC);
	crypto_generichash_update(&st, body, POW_BODY);
	crypto_generichash_final(&st, mac, 32);
}

int gd_pow_issue(uint8_t out[GD_POW_CHALLENGE_BYTES], const gd_pow_challenge *c,
		 const uint8_t key[GD_POW_KEY_BYTES])
{
	if (c->purpose < GD_POW_SUBMIT || c->purpose > GD_POW_MAILBOX ||
	    c->bits > GD_POW_MAX_BITS || c->expires < 0)
		return GD_ERR_INVAL;
	out[0] = POW_VERSION;
	out[1] = c->purpose;
	out[2] = c->bits;
	out[3] = 0;
	gd_put_u16(out + 4, c->backend);
	gd_put_u16(out + 6, 0);
	memcpy(out + 8, c->id, GD_ID_BYTES);
	gd_put_u64(out + 24, c->declared_size);
	gd_put_u64(out + 32, (uint64_t)c->expires);
	pow_mac(out + POW_BODY, out, key);
	return GD_OK;
}

int gd_pow_parse(gd_pow_challenge *c, const uint8_t in[GD_POW_CHALLENGE_BYTES])
{
	if (in[0] != POW_VERSION)
		return GD_ERR_VERSION;
	if (in[3] != 0 || gd_get_u16(in + 6) != 0 || in[2] > GD_POW_MAX_BITS ||
	    gd_get_u64(in + 32) > (uint64_t)INT64_MAX)
		return GD_ERR_FORMAT;
	c->purpose = in[1];
	c->bits = in[2];
	c->backend = gd_get_u16(in + 4);
	memcpy(c->id, in + 8, GD_ID_BYTES);
	c->declared_size = gd_get_u64(in + 24);
	c->expires = (int64_t)gd_get_u64(in + 32);
	return GD_OK;
}

static unsigned leading_zeros(const uint8_t h[POW_HASH])
{
	unsigned n = 0;
	for (size_t i = 0; i < POW_HASH; i++) {
		if (h[i] == 0) {
			n += 8;
			continue;
		}
		for (uint8_t b = h[i]; !(b & 0x80); b = (uint8_t)(b << 1))
			n++;
		break;
	}
	return n;
}

static void work_prefix(crypto_generichash_state *st, const uint8_t ch[GD_POW_CHALLENGE_BYTES])
{
	crypto_generichash_init(st, NULL, 0, POW_HASH);
	crypto_generichash_update(st, (const uint8_t *)GD_CTX_POW_WORK, sizeof GD_CTX_POW_WORK);
	crypto_generichash_update(st, ch, GD_POW_CHALLENGE_BYTES);
}

static unsigned work_zeros(const crypto_generichash_state *prefix, uint64_t counter)
{
	crypto_generichash_state st = *prefix;
	uint8_t c[8], h[POW_HASH];
	gd_put_u64(c, counter);
	crypto_generichash_update(&st, c, sizeof c);
	crypto_generichash_final(&st, h, sizeof h);
	return leading_zeros(h);
}

unsigned gd_pow_leading_zeros(const uint8_t ch[GD_POW_CHALLENGE_BYTES], uint64_t counter)
{
	crypto_generichash_state st;
	work_prefix(&st, ch);
	return work_zeros(&st, counter);
}

int gd_pow_search(uint64_t *counter, const uint8_t ch[GD_POW_CHALLENGE_BYTES], uint64_t start,
		  uint64_t count)
{
	gd_pow_challenge c;
	crypto_generichash_state st;
	if (gd_pow_parse(&c, ch) != GD_OK)
		return GD_ERR_INVAL;
	work_prefix(&st, ch);
	for (uint64_t i = 0; i < count; i++) {
		if (work_zeros(&st, start + i) >= c.bits) {
			*counter = start + i;
			return GD_OK;
		}
	}
	return GD_ERR_POW;
}

int gd_pow_solve(uint64_t *counter, const uint8_t ch[GD_POW_CHALLENGE_BYTES])
{
	int rc;
	for (uint64_t i = 0;; i += 1u << 20)
		if ((rc = gd_pow_search(counter, ch, i, 1u << 20)) != GD_ERR_POW)
			return rc;
}

int gd_pow_check(gd_pow_challenge *c, const uint8_t ch[GD_POW_CHALLENGE_BYTES], uint64_t counter,
		 const uint8_t key[GD_POW_KEY_BYTES], uint8_t purpose, unsigned min_bits,
		 int64_t now)
{
	uint8_t mac[32];
	int rc = gd_pow_parse(c, ch);
	if (rc != GD_OK)
		return GD_ERR_POW;
	pow_mac(mac, ch, key);
	if (crypto_verify_32(mac, ch + POW_BODY) != 0)
		return GD_ERR_POW;
	if (c->purpose != purpose)
		return GD_ERR_PURPOSE;
	if (now > c->expires)
		return GD_ERR_EXPIRED;
	if (c->bits < min_bits || gd_pow_leading_zeros(ch, counter) < c->bits)
		return GD_ERR_POW;
	return GD_OK;
}
