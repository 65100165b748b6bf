/* libghostdrop key files: secrets sealed under Argon2id(passphrase) + XChaCha20-Poly1305,
 * with an unkeyed checksum that tells corruption from a wrong passphrase. PROTOCOL.md §4. */
#include "internal.h"

static const uint8_t KF_MAGIC[4] = {'G', 'D', 'K', 'F'};
#define KF_VERSION 1
#define KF_ALG_ARGON2ID13 2
#define KF_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KF_SUM 16

const gd_kdf_params GD_KDF_DEFAULT = {crypto_pwhash_argon2id_OPSLIMIT_MODERATE,
				      crypto_pwhash_argon2id_MEMLIMIT_MODERATE};

size_t gd_keyfile_size(size_t secret_len)
{
	return GD_KEYFILE_HEADER_BYTES + secret_len + KF_TAG + KF_SUM;
}

static int kind_valid(unsigned k)
{
	return k == GD_KEY_NEWSROOM_ROOT || k == GD_KEY_JOURNALIST || k == GD_KEY_COURIER;
}

size_t gd_passphrase_len(const char *line, size_t len)
{
	size_t n = 0;
	while (n < len && line[n] != '\r' && line[n] != '\n' && line[n] != '\0')
		n++;
	return n;
}

size_t gd_keyfile_secret_len(gd_key_kind kind)
{
	return kind == GD_KEY_NEWSROOM_ROOT ? GD_SIGN_SK_BYTES
	       : kind == GD_KEY_JOURNALIST  ? GD_BOX_SK_BYTES
					    : 0;
}

/* The lengths a kind may hold: its fixed size, or 1..GD_KEYFILE_MAX_SECRET for courier. */
static int length_valid(unsigned kind, size_t len)
{
	size_t want = gd_keyfile_secret_len((gd_key_kind)kind);
	return want != 0 ? len == want : len >= 1 && len <= GD_KEYFILE_MAX_SECRET;
}

static int derive(uint8_t *key, const char *pass, size_t pass_len, const uint8_t *salt,
		  uint64_t ops, uint64_t mem)
{
	if (crypto_pwhash(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, pass, pass_len, salt,
			  ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return GD_ERR_NOMEM; /* Argon2 fails only when it cannot get its memory */
	return GD_OK;
}

int gd_keyfile_seal(uint8_t *out, size_t out_cap, size_t *out_len, gd_key_kind kind,
		    const uint8_t *secret, size_t len, const char *pass, size_t pass_len,
		    const gd_kdf_params *params)
{
	const gd_kdf_params *p = params ? params : &GD_KDF_DEFAULT;
	size_t total = gd_keyfile_size(len);
	int rc;
	if (!kind_valid(kind) || !length_valid(kind, len) || out_cap < total)
		return GD_ERR_INVAL;
	if (p->opslimit < GD_KDF_MIN_OPS || p->memlimit < GD_KDF_MIN_MEM ||
	    p->opslimit > GD_KDF_MAX_OPS || p->memlimit > GD_KDF_MAX_MEM)
		return GD_ERR_WEAK;
	uint8_t *h = out;
	memcpy(h, KF_MAGIC, 4);
	h[4] = KF_VERSION;
	h[5] = (uint8_t)kind;
	h[6] = KF_ALG_ARGON2ID13;
	h[7] = 0;
	gd_put_u64(h + 8, p->opslimit);
	gd_put_u64(h + 16, p->memlimit);
	randombytes_buf(h + 24, 16);
	randombytes_buf(h + 40, 24);

	uint8_t *key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	if (key == NULL)
		return GD_ERR_NOMEM;
	if ((rc = derive(key, pass, pass_len, h + 24, p->opslimit, p->memlimit)) != GD_OK)
		goto out;
	unsigned long long clen = 0;
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + GD_KEYFILE_HEADER_BYTES, &clen, secret,
						       len, h, GD_KEYFILE_HEADER_BYTES, NULL,
						       h + 40, key) != 0) {
		rc = GD_ERR_CRYPTO;
		goto out;
	}
	crypto_generichash(out + total - KF_SUM, KF_SUM, out, total - KF_SUM, NULL, 0);
	*out_len = total;
	rc = GD_OK;
out:
	sodium_free(key);
	return rc;
}

/* want 0: any kind. Everything but the AEAD is checked before Argon2id runs. */
static int keyfile_open(uint8_t *secret, size_t cap, size_t *len, gd_key_kind *kind,
			gd_key_kind want, const uint8_t *file, size_t file_len, const char *pass,
			size_t pass_len)
{
	const size_t overhead = GD_KEYFILE_HEADER_BYTES + KF_TAG + KF_SUM;
	uint8_t sum[KF_SUM];
	int rc;
	if (file_len < 4 || memcmp(file, KF_MAGIC, 4) != 0)
		return GD_ERR_FORMAT;
	if (file_len <= overhead || file_len > overhead + GD_KEYFILE_MAX_SECRET)
		return GD_ERR_CHECKSUM; /* cut short or grown: the file is damaged */
	crypto_generichash(sum, sizeof sum, file, file_len - KF_SUM, NULL, 0);
	if (sodium_memcmp(sum, file + file_len - KF_SUM, KF_SUM) != 0)
		return GD_ERR_CHECKSUM;
	if (file[4] != KF_VERSION)
		return GD_ERR_VERSION;
	if (!kind_valid(file[5]) || file[6] != KF_ALG_ARGON2ID13 || file[7] != 0)
		return GD_ERR_FORMAT;
	/* A secret of the wrong length for its kind, or a key of another kind than asked for, is
	 * not a file this reader can use, whatever the passphrase: format, before the KDF. */
	if (!length_valid(file[5], file_len - overhead) || (want != 0 && file[5] != want))
		return GD_ERR_FORMAT;
	uint64_t ops = gd_get_u64(file + 8), mem = gd_get_u64(file + 16);
	/* Too weak would let a tamperer downgrade; too strong would let a file exhaust memory. */
	if (ops < GD_KDF_MIN_OPS || mem < GD_KDF_MIN_MEM || ops > GD_KDF_MAX_OPS ||
	    mem > GD_KDF_MAX_MEM)
		return GD_ERR_WEAK;
	size_t slen = file_len - overhead;
	if (cap < slen)
		return GD_ERR_INVAL;
	uint8_t *key = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	if (key == NULL)
		return GD_ERR_NOMEM;
	if ((rc = derive(key, pass, pass_len, file + 24, ops, mem)) != GD_OK)
		goto out;
	unsigned long long mlen = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    secret, &mlen, NULL, file + GD_KEYFILE_HEADER_BYTES, slen + KF_TAG, file,
		    GD_KEYFILE_HEADER_BYTES, file + 40, key) != 0) {
		sodium_memzero(secret, cap);
		rc = GD_ERR_DECRYPT;
		goto out;
	}
	*len = (size_t)mlen;
	*kind = (gd_key_kind)file[5];
	rc = GD_OK;
out:
	sodium_free(key);
	return rc;
}

int gd_keyfile_kind(const uint8_t *file, size_t file_len, gd_key_kind *kind)
{
	if (file_len < 8 || memcmp(file, KF_MAGIC, 4) != 0 || !kind_valid(file[5]))
		return GD_ERR_FORMAT;
	*kind = (gd_key_kind)file[5];
	return GD_OK;
}

int gd_keyfile_open(uint8_t *secret, size_t cap, size_t *len, gd_key_kind *kind,
		    const uint8_t *file, size_t file_len, const char *pass, size_t pass_len)
{
	return keyfile_open(secret, cap, len, kind, 0, file, file_len, pass, pass_len);
}

int gd_keyfile_open_kind(uint8_t *secret, size_t cap, size_t *len, gd_key_kind want,
			 const uint8_t *file, size_t file_len, const char *pass, size_t pass_len)
{
	gd_key_kind kind;
	if (!kind_valid(want))
		return GD_ERR_INVAL;
	return keyfile_open(secret, cap, len, &kind, want, file, file_len, pass, pass_len);
}
