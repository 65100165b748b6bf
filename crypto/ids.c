/* libghostdrop ids and names derived by hashing: what the drop stores for a courier token, a
 * reply's id at the drop, the desk's folder label for a source, and the desk's MAC over an opened
 * folder. PROTOCOL.md §1, §11.4, §13. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

void gd_courier_token_hash(uint8_t hash[32], const uint8_t token[GD_COURIER_TOKEN_BYTES])
{
	gd_hash_ctx(hash, 32, GD_CTX_COURIER_TOKEN, token, GD_COURIER_TOKEN_BYTES);
}

void gd_reply_id(uint8_t id[GD_REPLY_ID_BYTES], const uint8_t *blob, size_t len)
{
	gd_hash_ctx(id, GD_REPLY_ID_BYTES, GD_CTX_REPLY_ID, blob, len);
}

void gd_source_label(char *out, size_t cap, const uint8_t identity_pk[GD_SIGN_PK_BYTES])
{
	uint8_t h[32];
	unsigned w[3];
	gd_hash_ctx(h, sizeof h, GD_CTX_SOURCE_LABEL, identity_pk, GD_SIGN_PK_BYTES);
	for (int i = 0; i < 3; i++)
		w[i] = (unsigned)(gd_get_u32(h + 4 * i) % GD_WORDLIST_SIZE);
	snprintf(out, cap, "%s-%s-%s", gd_wordlist_word(w[0]), gd_wordlist_word(w[1]),
		 gd_wordlist_word(w[2]));
}

struct gd_content_mac {
	crypto_generichash_state st;
};

gd_content_mac *gd_content_mac_new(const uint8_t ack_key[GD_ACK_KEY_BYTES])
{
	/* libsodium's state is declared 64-byte aligned: more than malloc promises */
	gd_content_mac *m = aligned_alloc(64, (sizeof *m + 63) / 64 * 64);
	if (m == NULL)
		return NULL;
	crypto_generichash_init(&m->st, ack_key, GD_ACK_KEY_BYTES, 32);
	crypto_generichash_update(&m->st, (const uint8_t *)GD_CTX_DESK_CONTENT,
				  sizeof GD_CTX_DESK_CONTENT);
	return m;
}

void gd_content_mac_file(gd_content_mac *m, uint64_t index, uint64_t size)
{
	uint8_t le[8];
	gd_put_u64(le, index);
	crypto_generichash_update(&m->st, le, sizeof le);
	gd_put_u64(le, size);
	crypto_generichash_update(&m->st, le, sizeof le);
}

void gd_content_mac_update(gd_content_mac *m, const uint8_t *buf, size_t len)
{
	crypto_generichash_update(&m->st, buf, len);
}

void gd_content_mac_final(gd_content_mac *m, uint8_t out[32])
{
	crypto_generichash_final(&m->st, out, 32);
}

void gd_content_mac_free(gd_content_mac *m)
{
	if (m == NULL)
		return;
	sodium_memzero(m, sizeof *m);
	free(m);
}
