/* libghostdrop ids and names derived by hashing: what the drop stores for a courier token, a
 * reply's id at the drop, and the desk's folder label for a source. PROTOCOL.md §1, §11.4, §13. */
#include <stdio.h>

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
