/* libghostdrop replies: crypto_box from a journalist's key to a source's reply key, padded,
 * accepted only from a journalist key of the verified bundle. PROTOCOL.md §8. */
#include <stdlib.h>

#include "internal.h"

static const uint8_t RP_MAGIC[4] = {'G', 'D', 'R', 'P'};
#define RP_VERSION 1
#define RP_PREFIX (5 + crypto_box_NONCEBYTES)
#define RP_INNER_FIXED (GD_ID_BYTES + 4 + GD_MAILBOX_ID_BYTES + 4)
#define RP_MAX_PADDED (2 * GD_REPLY_MAX_TEXT)

static uint64_t reply_bucket(uint64_t len)
{
	return len <= GD_REPLY_PAD_FLOOR ? GD_REPLY_PAD_FLOOR : gd_padme(len);
}

void gd_reply_clear(gd_reply *r)
{
	if (r->text != NULL) {
		sodium_memzero(r->text, r->text_len);
		free(r->text);
	}
	sodium_memzero(r, sizeof *r);
}

int gd_reply_peek(const uint8_t *blob, size_t len)
{
	return blob != NULL && len >= RP_PREFIX + crypto_box_MACBYTES + GD_REPLY_PAD_FLOOR &&
			       memcmp(blob, RP_MAGIC, 4) == 0 && blob[4] == RP_VERSION
		       ? GD_OK
		       : GD_ERR_FORMAT;
}

int gd_reply_seal(uint8_t **out, size_t *out_len, const char *text, size_t text_len,
		  const uint8_t mailbox_id[GD_MAILBOX_ID_BYTES], uint32_t day,
		  const uint8_t jsk[GD_BOX_SK_BYTES], const uint8_t spk[GD_BOX_PK_BYTES])
{
	if (text_len > GD_REPLY_MAX_TEXT || memchr(text, '\0', text_len) != NULL)
		return GD_ERR_TOO_LARGE;
	size_t plen = (size_t)reply_bucket(RP_INNER_FIXED + text_len);
	size_t total = RP_PREFIX + crypto_box_MACBYTES + plen;
	uint8_t *pt = sodium_malloc(plen), *buf = malloc(total);
	int rc = GD_ERR_NOMEM;
	if (pt == NULL || buf == NULL)
		goto out;
	memset(pt, 0, plen);
	randombytes_buf(pt, GD_ID_BYTES);
	gd_put_u32(pt + GD_ID_BYTES, day);
	memcpy(pt + GD_ID_BYTES + 4, mailbox_id, GD_MAILBOX_ID_BYTES);
	gd_put_u32(pt + GD_ID_BYTES + 4 + GD_MAILBOX_ID_BYTES, (uint32_t)text_len);
	memcpy(pt + RP_INNER_FIXED, text, text_len);
	memcpy(buf, RP_MAGIC, 4);
	buf[4] = RP_VERSION;
	randombytes_buf(buf + 5, crypto_box_NONCEBYTES);
	if (crypto_box_easy(buf + RP_PREFIX, pt, plen, buf + 5, spk, jsk) != 0) {
		rc = GD_ERR_CRYPTO;
		goto out;
	}
	*out = buf;
	*out_len = total;
	buf = NULL;
	rc = GD_OK;
out:
	if (pt != NULL)
		sodium_free(pt);
	free(buf);
	return rc;
}

int gd_reply_open(gd_reply *r, const uint8_t *in, size_t len, const gd_source_keys *keys,
		  const gd_bundle *b)
{
	uint8_t *pt = NULL;
	size_t plen;
	int rc;
	memset(r, 0, sizeof *r);
	if (len < 4 || memcmp(in, RP_MAGIC, 4) != 0)
		return GD_ERR_FORMAT;
	if (len < RP_PREFIX + crypto_box_MACBYTES + GD_REPLY_PAD_FLOOR)
		return GD_ERR_TRUNCATED;
	if (in[4] != RP_VERSION)
		return GD_ERR_VERSION;
	plen = len - RP_PREFIX - crypto_box_MACBYTES;
	if (plen > RP_MAX_PADDED)
		return GD_ERR_TOO_LARGE;
	if ((pt = sodium_malloc(plen)) == NULL)
		return GD_ERR_NOMEM;
	rc = GD_ERR_FORGED;
	for (size_t i = 0; i < b->n_journalists; i++) {
		if (!b->in_window[i])
			continue;
		if (crypto_box_open_easy(pt, in + RP_PREFIX, len - RP_PREFIX, in + 5,
					 b->journalists[i].pk, keys->reply_sk) == 0) {
			r->journalist = i;
			r->older_key = b->journalists[i].verify_only;
			rc = GD_OK;
			break;
		}
	}
	if (rc != GD_OK)
		goto out;
	rc = GD_ERR_FORMAT;
	uint32_t tlen = gd_get_u32(pt + GD_ID_BYTES + 4 + GD_MAILBOX_ID_BYTES);
	if (tlen > GD_REPLY_MAX_TEXT || RP_INNER_FIXED + (size_t)tlen > plen ||
	    reply_bucket(RP_INNER_FIXED + tlen) != plen ||
	    memchr(pt + RP_INNER_FIXED, '\0', tlen) != NULL)
		goto out;
	for (size_t i = RP_INNER_FIXED + tlen; i < plen; i++)
		if (pt[i] != 0)
			goto out;
	/* A reply boxed for this key but addressed to another mailbox is not ours to show. */
	if (sodium_memcmp(pt + GD_ID_BYTES + 4, keys->mailbox_id, GD_MAILBOX_ID_BYTES) != 0)
		goto out;
	if ((r->text = malloc((size_t)tlen + 1)) == NULL) {
		rc = GD_ERR_NOMEM;
		goto out;
	}
	memcpy(r->reply_id, pt, GD_ID_BYTES);
	r->day = gd_get_u32(pt + GD_ID_BYTES);
	memcpy(r->mailbox_id, pt + GD_ID_BYTES + 4, GD_MAILBOX_ID_BYTES);
	memcpy(r->text, pt + RP_INNER_FIXED, tlen);
	r->text[tlen] = '\0';
	r->text_len = tlen;
	rc = GD_OK;
out:
	if (rc != GD_OK)
		gd_reply_clear(r);
	sodium_free(pt);
	return rc;
}
