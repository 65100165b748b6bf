/* libghostdrop envelope: one testimony, sealed to every journalist key of a bundle and
 * streamed in constant memory. PROTOCOL.md §6. */
#include <stdlib.h>

#include "internal.h"

static const uint8_t ENV_MAGIC[4] = {'G', 'D', 'E', 'V'};
#define ENV_VERSION 1
#define SS_HEADER crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SS_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define MAC_BYTES 32
#define CT_CHUNK (GD_ENV_CHUNK + SS_ABYTES)

enum { SUB_MAC = 1, SUB_PAYLOAD = 2, SUB_ACK = 3 };

#define FIXED 14 /* magic, version, recipient count, padded length */

size_t gd_envelope_header_size(unsigned n)
{
	return FIXED + (size_t)n * GD_ENV_STANZA_BYTES + SS_HEADER + GD_ACK_HASH_BYTES + MAC_BYTES;
}

static int padded_valid(uint64_t padded)
{
	return padded >= GD_PAD_FLOOR && padded <= gd_pad_envelope(GD_ENV_MAX_PLAINTEXT) &&
	       gd_pad_envelope(padded) == padded;
}

uint64_t gd_envelope_size(unsigned n, uint64_t padded)
{
	uint64_t chunks = (padded + GD_ENV_CHUNK - 1) / GD_ENV_CHUNK;
	return gd_envelope_header_size(n) + padded + chunks * SS_ABYTES;
}

struct gd_upload_hasher {
	crypto_generichash_state st;
	size_t check_len; /* bytes of each chunk's check: 32 (BLAKE2b-256) or 16 (a tag) */
};

static const char *const CHECK_NAMES[] = {
	[GD_CHECK_BLAKE2B] = "blake2b", [GD_CHECK_POLY1305] = "poly1305"};

const char *gd_check_name(gd_check c)
{
	return c == GD_CHECK_POLY1305 ? CHECK_NAMES[GD_CHECK_POLY1305] : CHECK_NAMES[0];
}

int gd_check_parse(const char *name, gd_check *out)
{
	for (size_t i = 0; name != NULL && i < sizeof CHECK_NAMES / sizeof *CHECK_NAMES; i++)
		if (strcmp(name, CHECK_NAMES[i]) == 0) {
			*out = (gd_check)i;
			return 0;
		}
	return -1;
}

void gd_chunk_mac_key(uint8_t k[32], const uint8_t key[GD_CHUNK_KEY_BYTES],
		      const uint8_t upload_id[16], uint32_t idx)
{
	crypto_generichash_state st;
	uint8_t ib[4];
	gd_put_u32(ib, idx);
	crypto_generichash_init(&st, key, GD_CHUNK_KEY_BYTES, 32);
	crypto_generichash_update(&st, (const uint8_t *)GD_CTX_CHUNK_MAC, sizeof GD_CTX_CHUNK_MAC);
	crypto_generichash_update(&st, upload_id, 16);
	crypto_generichash_update(&st, ib, sizeof ib);
	crypto_generichash_final(&st, k, 32);
	sodium_memzero(&st, sizeof st); /* it held K */
}

void gd_chunk_mac(uint8_t tag[GD_CHUNK_TAG_BYTES], const uint8_t *chunk, size_t len,
		  const uint8_t key[GD_CHUNK_KEY_BYTES], const uint8_t upload_id[16], uint32_t idx)
{
	uint8_t k[crypto_onetimeauth_KEYBYTES];
	gd_chunk_mac_key(k, key, upload_id, idx);
	crypto_onetimeauth(tag, chunk, len, k);
	sodium_memzero(k, sizeof k);
}

size_t gd_chunk_check(uint8_t out[32], gd_check c, const uint8_t *chunk, size_t len,
		      const uint8_t *key, const uint8_t upload_id[16], uint32_t idx)
{
	if (c != GD_CHECK_POLY1305) {
		crypto_generichash(out, 32, chunk, len, NULL, 0);
		return 32;
	}
	memset(out + GD_CHUNK_TAG_BYTES, 0, 32 - GD_CHUNK_TAG_BYTES);
	gd_chunk_mac(out, chunk, len, key, upload_id, idx);
	return GD_CHUNK_TAG_BYTES;
}

gd_upload_hasher *gd_upload_hasher_new_check(uint64_t size, gd_check c)
{
	uint8_t sz[8];
	/* libsodium's state is declared 64-byte aligned: more than malloc promises */
	gd_upload_hasher *h = aligned_alloc(64, (sizeof *h + 63) / 64 * 64);
	if (h == NULL)
		return NULL;
	gd_put_u64(sz, size);
	crypto_generichash_init(&h->st, NULL, 0, 32);
	if (c == GD_CHECK_POLY1305) {
		h->check_len = GD_CHUNK_TAG_BYTES;
		crypto_generichash_update(&h->st, (const uint8_t *)GD_CTX_UPLOAD_MAC,
					  sizeof GD_CTX_UPLOAD_MAC);
	} else {
		h->check_len = 32;
		crypto_generichash_update(&h->st, (const uint8_t *)GD_CTX_UPLOAD,
					  sizeof GD_CTX_UPLOAD);
	}
	crypto_generichash_update(&h->st, sz, sizeof sz);
	return h;
}

gd_upload_hasher *gd_upload_hasher_new(uint64_t size)
{
	return gd_upload_hasher_new_check(size, GD_CHECK_BLAKE2B);
}

void gd_upload_hasher_chunk(gd_upload_hasher *h, const uint8_t chunk_hash[32])
{
	crypto_generichash_update(&h->st, chunk_hash, h->check_len);
}

int gd_envelope_id(uint8_t out[32], uint64_t size, const uint8_t *buf, size_t len)
{
	unsigned n;
	uint64_t total;
	uint8_t ack[GD_ACK_HASH_BYTES], sz[8];
	int rc = gd_envelope_peek(buf, len, &n, &total, ack);
	if (rc != GD_OK)
		return rc;
	crypto_generichash_state st;
	gd_put_u64(sz, size);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)GD_CTX_ENVELOPE_ID,
				  sizeof GD_CTX_ENVELOPE_ID);
	crypto_generichash_update(&st, sz, sizeof sz);
	crypto_generichash_update(&st, buf, gd_envelope_header_size(n));
	crypto_generichash_final(&st, out, 32);
	return GD_OK;
}

void gd_upload_hasher_final(gd_upload_hasher *h, uint8_t out[32])
{
	crypto_generichash_final(&h->st, out, 32);
}

void gd_upload_hasher_free(gd_upload_hasher *h)
{
	free(h);
}

void gd_upload_digest(uint8_t out[32], uint64_t size, const uint8_t (*chunk_hashes)[32],
		      size_t n_chunks)
{
	gd_upload_digest_check(out, GD_CHECK_BLAKE2B, size, chunk_hashes, n_chunks);
}

void gd_upload_digest_check(uint8_t out[32], gd_check c, uint64_t size,
			    const uint8_t (*chunk_hashes)[32], size_t n_chunks)
{
	gd_upload_hasher *h = gd_upload_hasher_new_check(size, c);
	if (h == NULL) {
		memset(out, 0,
		       32); /* matches nothing: the commit is refused, never wrongly accepted */
		return;
	}
	for (size_t i = 0; i < n_chunks; i++)
		gd_upload_hasher_chunk(h, chunk_hashes[i]);
	gd_upload_hasher_final(h, out);
	gd_upload_hasher_free(h);
}

int gd_upload_digest_buf(uint8_t out[32], const uint8_t *buf, size_t len, uint32_t chunk_size)
{
	if (chunk_size == 0)
		return GD_ERR_INVAL;
	gd_upload_hasher *h = gd_upload_hasher_new(len);
	if (h == NULL)
		return GD_ERR_NOMEM;
	for (size_t off = 0; off < len; off += chunk_size) {
		uint8_t ch[32];
		crypto_generichash(ch, 32, buf + off,
				   len - off < chunk_size ? len - off : chunk_size, NULL, 0);
		gd_upload_hasher_chunk(h, ch);
	}
	gd_upload_hasher_final(h, out);
	gd_upload_hasher_free(h);
	return GD_OK;
}

uint64_t gd_envelope_size_for(unsigned n, size_t manifest_len, uint64_t attachments_len)
{
	uint64_t fixed = 4 + (uint64_t)manifest_len + GD_SIG_BYTES; /* as gd_seal_new frames it */
	if (attachments_len > (UINT64_MAX >> 2) - fixed) /* Padmé and the chunk tags fit below */
		return UINT64_MAX;
	return gd_envelope_size(n, gd_pad_envelope(fixed + attachments_len));
}

void gd_ack_hash(uint8_t hash[GD_ACK_HASH_BYTES], const uint8_t ack_key[GD_ACK_KEY_BYTES])
{
	gd_hash_ctx(hash, GD_ACK_HASH_BYTES, GD_CTX_ACK, ack_key, GD_ACK_KEY_BYTES);
}

/* Keyed BLAKE2b-256 over the header: key-committing, unlike Poly1305 (PROTOCOL.md §6.1). */
static void header_mac(uint8_t mac[MAC_BYTES], const uint8_t *hdr, size_t len,
		       const uint8_t key[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, key, 32, MAC_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)GD_CTX_HEADER_MAC,
				  sizeof GD_CTX_HEADER_MAC);
	crypto_generichash_update(&st, hdr, len);
	crypto_generichash_final(&st, mac, MAC_BYTES);
}

/* The file key's three subkeys, in one sodium_malloc'ed block. */
typedef struct {
	uint8_t mac[32];
	uint8_t payload[32];
	uint8_t ack[32];
} subkeys;

static int derive_subkeys(subkeys *k, const uint8_t file_key[32])
{
	if (crypto_kdf_derive_from_key(k->mac, 32, SUB_MAC, GD_KDF_ENVELOPE, file_key) != 0 ||
	    crypto_kdf_derive_from_key(k->payload, 32, SUB_PAYLOAD, GD_KDF_ENVELOPE, file_key) ||
	    crypto_kdf_derive_from_key(k->ack, 32, SUB_ACK, GD_KDF_ENVELOPE, file_key) != 0)
		return GD_ERR_CRYPTO;
	return GD_OK;
}

int gd_submission_sign(uint8_t sig[GD_SIG_BYTES], const uint8_t mac[32], const uint8_t *manifest,
		       size_t len, const uint8_t sk[GD_SIGN_SK_BYTES])
{
	uint8_t head[MAC_BYTES + 4];
	memcpy(head, mac, MAC_BYTES);
	gd_put_u32(head + MAC_BYTES, (uint32_t)len);
	return gd_sign_ctx(sig, GD_CTX_SUBMISSION, head, sizeof head, manifest, len, sk);
}

static int submission_verify(const uint8_t sig[GD_SIG_BYTES], const uint8_t mac[32],
			     const uint8_t *manifest, size_t len, const uint8_t pk[32])
{
	uint8_t head[MAC_BYTES + 4];
	memcpy(head, mac, MAC_BYTES);
	gd_put_u32(head + MAC_BYTES, (uint32_t)len);
	return gd_verify_ctx(sig, GD_CTX_SUBMISSION, head, sizeof head, manifest, len, pk);
}

/* ---- sealing ---- */

struct gd_seal {
	crypto_secretstream_xchacha20poly1305_state ss;
	subkeys keys;
	uint8_t pt[GD_ENV_CHUNK];
	uint8_t ct[CT_CHUNK];
	size_t fill;
	uint64_t pushed;  /* plaintext bytes pushed, padding included */
	uint64_t content; /* length before padding */
	uint64_t padded;
	gd_write_fn out;
	void *out_arg;
	int failed;
};

static int seal_flush(gd_seal *s, uint8_t tag)
{
	unsigned long long clen = 0;
	if (crypto_secretstream_xchacha20poly1305_push(&s->ss, s->ct, &clen, s->pt, s->fill, NULL,
						       0, tag) != 0)
		return GD_ERR_CRYPTO;
	s->fill = 0;
	return s->out(s->out_arg, s->ct, (size_t)clen) == 0 ? GD_OK : GD_ERR_IO;
}

/* Append plaintext; full chunks go out, except the one that ends the stream (FINAL). */
static int seal_push(gd_seal *s, const uint8_t *buf, size_t len, int zeros)
{
	while (len > 0) {
		if (s->fill == GD_ENV_CHUNK) {
			int rc = seal_flush(s, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
			if (rc != GD_OK)
				return rc;
		}
		size_t n = GD_ENV_CHUNK - s->fill;
		if (n > len)
			n = len;
		if (zeros)
			memset(s->pt + s->fill, 0, n);
		else
			memcpy(s->pt + s->fill, buf, n);
		s->fill += n;
		s->pushed += n;
		if (!zeros)
			buf += n;
		len -= n;
	}
	return GD_OK;
}

void gd_seal_free(gd_seal *s)
{
	if (s != NULL)
		sodium_free(s); /* sodium_free wipes before unmapping */
}

const uint8_t *gd_seal_ack_key(const gd_seal *s)
{
	return s->keys.ack;
}

/* Seeded sealing (gd_seal_new_seeded): every value gd_seal_new draws at random is derived
 * from the seed instead, each under its own KDF subkey id. */
#define SEED_KDF "gdseal01"
enum { SEED_FILE_KEY = 1, SEED_STREAM_HEADER = 2, SEED_EPHEMERAL = 16 };

/* crypto_box_seal's exact construction (ephemeral key || crypto_box under the nonce
 * BLAKE2b-192(epk || pk)), with the ephemeral key pair made from eseed. */
static int box_seal_seeded(uint8_t *c, const uint8_t *m, size_t mlen,
			   const uint8_t pk[GD_BOX_PK_BYTES], const uint8_t eseed[32])
{
	uint8_t esk[crypto_box_SECRETKEYBYTES], nonce[crypto_box_NONCEBYTES];
	crypto_generichash_state st;
	int rc = crypto_box_seed_keypair(c, esk, eseed);
	crypto_generichash_init(&st, NULL, 0, sizeof nonce);
	crypto_generichash_update(&st, c, crypto_box_PUBLICKEYBYTES);
	crypto_generichash_update(&st, pk, crypto_box_PUBLICKEYBYTES);
	crypto_generichash_final(&st, nonce, sizeof nonce);
	if (rc == 0)
		rc = crypto_box_easy(c + crypto_box_PUBLICKEYBYTES, m, mlen, nonce, pk, esk);
	sodium_memzero(esk, sizeof esk);
	return rc;
}

static int seal_new(gd_seal **sp, const uint8_t (*rcpt)[GD_BOX_PK_BYTES], unsigned n,
		    const gd_manifest *m, const gd_source_keys *id, gd_write_fn out, void *out_arg,
		    const uint8_t *seed)
{
	uint8_t *manifest = NULL, *hdr = NULL, file_key[32], sig[GD_SIG_BYTES] = {0}, mlen_le[4];
	size_t mlen = 0, hlen = gd_envelope_header_size(n);
	gd_seal *s = NULL;
	int rc;
	*sp = NULL;
	if (n < 1 || n > GD_ENV_MAX_RECIPIENTS || out == NULL || (m->has_source && id == NULL))
		return GD_ERR_INVAL;
	if (m->has_source && (memcmp(m->identity_pk, id->identity_pk, GD_SIGN_PK_BYTES) != 0 ||
			      memcmp(m->reply_pk, id->reply_pk, GD_BOX_PK_BYTES) != 0 ||
			      memcmp(m->mailbox_id, id->mailbox_id, GD_MAILBOX_ID_BYTES) != 0))
		return GD_ERR_INVAL;
	if ((rc = gd_manifest_encode(&manifest, &mlen, m)) != GD_OK)
		return rc;
	rc = GD_ERR_NOMEM;
	if ((s = sodium_malloc(sizeof *s)) == NULL || (hdr = malloc(hlen)) == NULL)
		goto out;
	memset(s, 0, sizeof *s);
	s->out = out;
	s->out_arg = out_arg;
	s->content = 4 + mlen + GD_SIG_BYTES;
	for (size_t i = 0; i < m->n_attachments; i++)
		s->content += m->attachments[i].size;
	if (s->content > GD_ENV_MAX_PLAINTEXT) { /* would pad past the largest bucket (§6.4) */
		rc = GD_ERR_TOO_LARGE;
		goto out;
	}
	s->padded = gd_pad_envelope(s->content);

	if (seed == NULL)
		randombytes_buf(file_key, sizeof file_key);
	else if (crypto_kdf_derive_from_key(file_key, sizeof file_key, SEED_FILE_KEY, SEED_KDF,
					    seed) != 0)
		goto out;
	if ((rc = derive_subkeys(&s->keys, file_key)) != GD_OK)
		goto out;
	memcpy(hdr, ENV_MAGIC, 4);
	hdr[4] = ENV_VERSION;
	hdr[5] = (uint8_t)n;
	gd_put_u64(hdr + 6, s->padded);
	uint8_t *p = hdr + FIXED;
	rc = GD_ERR_CRYPTO;
	for (unsigned i = 0; i < n; i++, p += GD_ENV_STANZA_BYTES) {
		uint8_t eseed[32];
		int bad = seed == NULL ? crypto_box_seal(p, file_key, sizeof file_key, rcpt[i]) != 0
				       : crypto_kdf_derive_from_key(eseed, sizeof eseed,
								    SEED_EPHEMERAL + i, SEED_KDF,
								    seed) != 0 ||
						 box_seal_seeded(p, file_key, sizeof file_key,
								 rcpt[i], eseed) != 0;
		sodium_memzero(eseed, sizeof eseed);
		if (bad)
			goto out;
	}
	if (seed == NULL) {
		if (crypto_secretstream_xchacha20poly1305_init_push(&s->ss, p, s->keys.payload) !=
		    0)
			goto out;
	} else if (crypto_kdf_derive_from_key(p, SS_HEADER, SEED_STREAM_HEADER, SEED_KDF, seed) !=
			   0 ||
		   /* init_push draws the header and sets the state from it exactly as init_pull
		    * does from a given one: the same state, from a header of our choosing */
		   crypto_secretstream_xchacha20poly1305_init_pull(&s->ss, p, s->keys.payload) !=
			   0) {
		goto out;
	}
	p += SS_HEADER;
	gd_ack_hash(p, s->keys.ack);
	p += GD_ACK_HASH_BYTES;
	header_mac(p, hdr, (size_t)(p - hdr), s->keys.mac);
	if (m->has_source &&
	    (rc = gd_submission_sign(sig, p, manifest, mlen, id->identity_sk)) != GD_OK)
		goto out;
	if (out(out_arg, hdr, hlen) != 0) {
		rc = GD_ERR_IO;
		goto out;
	}
	gd_put_u32(mlen_le, (uint32_t)mlen);
	if ((rc = seal_push(s, mlen_le, 4, 0)) != GD_OK ||
	    (rc = seal_push(s, manifest, mlen, 0)) != GD_OK ||
	    (rc = seal_push(s, sig, sizeof sig, 0)) != GD_OK)
		goto out;
	*sp = s;
	s = NULL;
out:
	sodium_memzero(file_key, sizeof file_key);
	if (manifest != NULL) {
		sodium_memzero(manifest, mlen);
		free(manifest);
	}
	free(hdr);
	gd_seal_free(s);
	return rc;
}

int gd_seal_new(gd_seal **sp, const uint8_t (*rcpt)[GD_BOX_PK_BYTES], unsigned n,
		const gd_manifest *m, const gd_source_keys *id, gd_write_fn out, void *out_arg)
{
	return seal_new(sp, rcpt, n, m, id, out, out_arg, NULL);
}

int gd_seal_new_seeded(gd_seal **sp, const uint8_t (*rcpt)[GD_BOX_PK_BYTES], unsigned n,
		       const gd_manifest *m, const gd_source_keys *id, gd_write_fn out,
		       void *out_arg, const uint8_t seed[GD_SEAL_SEED_BYTES])
{
	return seed == NULL ? GD_ERR_INVAL : seal_new(sp, rcpt, n, m, id, out, out_arg, seed);
}

int gd_seal_write(gd_seal *s, const uint8_t *buf, size_t len)
{
	if (s->failed || len > s->content - s->pushed)
		return GD_ERR_INVAL; /* more than the manifest declared */
	int rc = seal_push(s, buf, len, 0);
	if (rc != GD_OK)
		s->failed = 1;
	return rc;
}

int gd_seal_finish(gd_seal *s)
{
	if (s->failed || s->pushed != s->content)
		return GD_ERR_INVAL; /* less than the manifest declared */
	int rc = seal_push(s, NULL, s->padded - s->pushed, 1);
	if (rc == GD_OK)
		rc = seal_flush(s, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	s->failed = 1; /* nothing more may be written */
	return rc;
}

/* ---- opening ---- */

/* 0 ok, 1 clean end of input before any byte, GD_ERR_TRUNCATED / GD_ERR_IO otherwise. */
static int read_full(gd_read_fn in, void *arg, uint8_t *buf, size_t len, size_t *got)
{
	size_t n = 0;
	while (n < len) {
		ssize_t r = in(arg, buf + n, len - n);
		if (r < 0)
			return GD_ERR_IO;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return GD_OK;
}

typedef struct {
	crypto_secretstream_xchacha20poly1305_state ss;
	subkeys keys;
	uint8_t pt[GD_ENV_CHUNK];
	uint8_t mlen_le[4];
	uint8_t sig[GD_SIG_BYTES];
	uint8_t mac[MAC_BYTES];
	uint8_t *manifest; /* sodium_malloc'ed, mlen bytes */
	uint32_t mlen;
	size_t have; /* bytes of the current field collected */
	int stage;   /* 0 length, 1 manifest, 2 signature, 3 attachments, 4 padding */
	gd_manifest m;
	size_t att; /* current attachment */
	uint64_t att_left;
	uint64_t content;
	uint64_t consumed; /* plaintext bytes seen */
	uint64_t padded;   /* from the authenticated header */
} opener;

static int open_manifest_ready(opener *o, const gd_open_sink *sink)
{
	int rc = gd_manifest_decode(&o->m, o->manifest, o->mlen);
	if (rc != GD_OK)
		return rc;
	if (o->m.has_source) {
		if ((rc = submission_verify(o->sig, o->mac, o->manifest, o->mlen,
					    o->m.identity_pk)) != GD_OK)
			return rc;
	} else {
		static const uint8_t zero[GD_SIG_BYTES];
		if (sodium_memcmp(o->sig, zero, GD_SIG_BYTES) != 0)
			return GD_ERR_FORMAT;
	}
	o->content = 4 + (uint64_t)o->mlen + GD_SIG_BYTES;
	for (size_t i = 0; i < o->m.n_attachments; i++)
		o->content += o->m.attachments[i].size;
	if (gd_pad_envelope(o->content) != o->padded)
		return GD_ERR_FORMAT; /* refused before a single attachment byte is handed out */
	if (sink != NULL && sink->on_manifest != NULL && sink->on_manifest(sink->arg, &o->m) != 0)
		return GD_ERR_IO;
	o->att = 0;
	o->att_left = o->m.n_attachments > 0 ? o->m.attachments[0].size : 0;
	o->stage = 3;
	return GD_OK;
}

/* Walk decrypted plaintext through the framing: length, manifest, signature, data, zeros. */
static int open_consume(opener *o, const uint8_t *p, size_t len, const gd_open_sink *sink)
{
	int rc;
	while (len > 0) {
		size_t n;
		switch (o->stage) {
		case 0:
			n = 4 - o->have < len ? 4 - o->have : len;
			memcpy(o->mlen_le + o->have, p, n);
			o->have += n;
			if (o->have == 4) {
				o->mlen = gd_get_u32(o->mlen_le);
				if (o->mlen == 0 || o->mlen > GD_ENV_MAX_MANIFEST)
					return GD_ERR_FORMAT;
				if ((o->manifest = sodium_malloc(o->mlen)) == NULL)
					return GD_ERR_NOMEM;
				o->have = 0;
				o->stage = 1;
			}
			break;
		case 1:
			n = o->mlen - o->have < len ? o->mlen - o->have : len;
			memcpy(o->manifest + o->have, p, n);
			o->have += n;
			if (o->have == o->mlen) {
				o->have = 0;
				o->stage = 2;
			}
			break;
		case 2:
			n = GD_SIG_BYTES - o->have < len ? GD_SIG_BYTES - o->have : len;
			memcpy(o->sig + o->have, p, n);
			o->have += n;
			if (o->have == GD_SIG_BYTES && (rc = open_manifest_ready(o, sink)) != GD_OK)
				return rc;
			break;
		case 3:
			while (o->att < o->m.n_attachments && o->att_left == 0) {
				o->att++;
				o->att_left = o->att < o->m.n_attachments
						      ? o->m.attachments[o->att].size
						      : 0;
			}
			if (o->att >= o->m.n_attachments) {
				o->stage = 4;
				continue;
			}
			n = o->att_left < len ? (size_t)o->att_left : len;
			if (sink != NULL && sink->on_data != NULL &&
			    sink->on_data(sink->arg, o->att, p, n) != 0)
				return GD_ERR_IO;
			o->att_left -= n;
			break;
		default:
			/* Padding is zeros and nothing else: one plaintext, one encoding. */
			n = len;
			for (size_t i = 0; i < n; i++)
				if (p[i] != 0)
					return GD_ERR_FORMAT;
			break;
		}
		p += n;
		len -= n;
		o->consumed += n;
	}
	return GD_OK;
}

/* Find our stanza; its file key must authenticate the header, else the header is forged. */
static int open_header(opener *o, const uint8_t *hdr, size_t hlen, unsigned n,
		       const uint8_t (*sks)[GD_BOX_SK_BYTES], const uint8_t (*pks)[GD_BOX_PK_BYTES],
		       unsigned n_keys, gd_open_result *res)
{
	uint8_t *file_key = sodium_malloc(32), mac[MAC_BYTES];
	int rc = GD_ERR_NOT_RECIPIENT;
	if (file_key == NULL)
		return GD_ERR_NOMEM;
	for (unsigned i = 0; i < n && rc == GD_ERR_NOT_RECIPIENT; i++) {
		const uint8_t *stanza = hdr + FIXED + (size_t)i * GD_ENV_STANZA_BYTES;
		for (unsigned k = 0; k < n_keys; k++) {
			if (crypto_box_seal_open(file_key, stanza, GD_ENV_STANZA_BYTES, pks[k],
						 sks[k]) != 0)
				continue;
			res->key_index = k;
			rc = derive_subkeys(&o->keys, file_key);
			if (rc == GD_OK) {
				header_mac(mac, hdr, hlen - MAC_BYTES, o->keys.mac);
				if (crypto_verify_32(mac, hdr + hlen - MAC_BYTES) != 0)
					rc = GD_ERR_HEADER;
			}
			break;
		}
	}
	sodium_free(file_key);
	if (rc != GD_OK)
		return rc;
	const uint8_t *ss_header = hdr + FIXED + (size_t)n * GD_ENV_STANZA_BYTES;
	uint8_t ack_hash[GD_ACK_HASH_BYTES];
	gd_ack_hash(ack_hash, o->keys.ack);
	if (sodium_memcmp(ack_hash, ss_header + SS_HEADER, GD_ACK_HASH_BYTES) != 0)
		return GD_ERR_HEADER; /* the sealer lied about the ack hash */
	memcpy(o->mac, hdr + hlen - MAC_BYTES, MAC_BYTES);
	if (crypto_secretstream_xchacha20poly1305_init_pull(&o->ss, ss_header, o->keys.payload))
		return GD_ERR_HEADER;
	memcpy(res->ack_key, o->keys.ack, GD_ACK_KEY_BYTES);
	memcpy(res->ack_hash, ack_hash, GD_ACK_HASH_BYTES);
	return GD_OK;
}

int gd_envelope_open(gd_read_fn in, void *in_arg, const uint8_t (*sks)[GD_BOX_SK_BYTES],
		     const uint8_t (*pks)[GD_BOX_PK_BYTES], unsigned n_keys,
		     const gd_open_sink *sink, gd_open_result *res)
{
	uint8_t first[FIXED], *hdr = NULL, *ct = NULL, probe;
	size_t got = 0, hlen;
	uint64_t padded;
	opener *o = NULL;
	int rc;
	memset(res, 0, sizeof *res);
	if (n_keys < 1)
		return GD_ERR_INVAL;
	if ((rc = read_full(in, in_arg, first, sizeof first, &got)) != GD_OK)
		return rc;
	if (got < 4 || memcmp(first, ENV_MAGIC, 4) != 0)
		return got < 4 ? GD_ERR_TRUNCATED : GD_ERR_FORMAT;
	if (got < FIXED)
		return GD_ERR_TRUNCATED;
	if (first[4] != ENV_VERSION)
		return GD_ERR_VERSION;
	if (first[5] < 1 || first[5] > GD_ENV_MAX_RECIPIENTS)
		return GD_ERR_FORMAT;
	hlen = gd_envelope_header_size(first[5]);
	rc = GD_ERR_NOMEM;
	if ((hdr = malloc(hlen)) == NULL || (ct = malloc(CT_CHUNK)) == NULL ||
	    (o = sodium_malloc(sizeof *o)) == NULL)
		goto out;
	memset(o, 0, sizeof *o);
	memcpy(hdr, first, sizeof first);
	if ((rc = read_full(in, in_arg, hdr + FIXED, hlen - FIXED, &got)) != GD_OK)
		goto out;
	if (got != hlen - FIXED) {
		rc = GD_ERR_TRUNCATED;
		goto out;
	}
	if ((rc = open_header(o, hdr, hlen, first[5], sks, pks, n_keys, res)) != GD_OK)
		goto out;
	/* The header (now authenticated) fixes the padded length, hence every chunk's size. */
	padded = gd_get_u64(hdr + 6);
	if (!padded_valid(padded)) {
		rc = GD_ERR_FORMAT;
		goto out;
	}
	o->padded = padded;
	res->envelope_size = hlen;

	for (;;) {
		unsigned long long plen = 0;
		uint8_t tag = 0;
		uint64_t left = padded - o->consumed;
		size_t want = (left < GD_ENV_CHUNK ? (size_t)left : GD_ENV_CHUNK) + SS_ABYTES;
		int last = left <= GD_ENV_CHUNK;
		if ((rc = read_full(in, in_arg, ct, want, &got)) != GD_OK)
			goto out;
		if (got < want) {
			/* Cut at a chunk boundary, or inside a chunk (which cannot authenticate).
			 */
			rc = got == 0 ? GD_ERR_TRUNCATED : GD_ERR_PAYLOAD;
			goto out;
		}
		if (crypto_secretstream_xchacha20poly1305_pull(&o->ss, o->pt, &plen, &tag, ct, got,
							       NULL, 0) != 0) {
			rc = GD_ERR_PAYLOAD;
			goto out;
		}
		res->envelope_size += got;
		if (tag != (last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
				 : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)) {
			rc = GD_ERR_PAYLOAD;
			goto out;
		}
		if ((rc = open_consume(o, o->pt, (size_t)plen, sink)) != GD_OK)
			goto out;
		if (last)
			break;
	}
	/* Framing complete and the padding exactly the bucket of the content. */
	if (o->stage < 3 || padded != gd_pad_envelope(o->content)) {
		rc = GD_ERR_FORMAT;
		goto out;
	}
	if ((rc = read_full(in, in_arg, &probe, 1, &got)) != GD_OK)
		goto out;
	if (got != 0) {
		rc = GD_ERR_TRAILING;
		goto out;
	}
	rc = GD_OK;
out:
	if (rc != GD_OK)
		sodium_memzero(res->ack_key, sizeof res->ack_key);
	if (o != NULL) {
		gd_manifest_clear(&o->m);
		if (o->manifest != NULL)
			sodium_free(o->manifest);
		sodium_free(o);
	}
	free(ct);
	free(hdr);
	return rc;
}

int gd_envelope_peek(const uint8_t *buf, size_t len, unsigned *n_recipients, uint64_t *total_size,
		     uint8_t ack_hash[GD_ACK_HASH_BYTES])
{
	if (len < FIXED)
		return len >= 4 && memcmp(buf, ENV_MAGIC, 4) != 0 ? GD_ERR_FORMAT
								  : GD_ERR_TRUNCATED;
	if (memcmp(buf, ENV_MAGIC, 4) != 0)
		return GD_ERR_FORMAT;
	if (buf[4] != ENV_VERSION)
		return GD_ERR_VERSION;
	uint64_t padded = gd_get_u64(buf + 6);
	if (buf[5] < 1 || buf[5] > GD_ENV_MAX_RECIPIENTS || !padded_valid(padded))
		return GD_ERR_FORMAT;
	size_t hlen = gd_envelope_header_size(buf[5]);
	if (len < hlen)
		return GD_ERR_TRUNCATED;
	*n_recipients = buf[5];
	*total_size = gd_envelope_size(buf[5], padded);
	memcpy(ack_hash, buf + hlen - MAC_BYTES - GD_ACK_HASH_BYTES, GD_ACK_HASH_BYTES);
	return GD_OK;
}
