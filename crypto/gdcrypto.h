/* gdcrypto.h: the public API of ghostdrop's cryptography (keys, bundles, envelopes,
 * codenames, replies, proof-of-work). Byte layouts: docs/PROTOCOL.md. */
#ifndef GD_GDCRYPTO_H
#define GD_GDCRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------------------- */

typedef enum {
	GD_OK = 0,
	GD_ERR_INVAL = -1, /* bad argument from the caller */
	GD_ERR_NOMEM = -2,
	GD_ERR_CRYPTO = -3,         /* libsodium failed (init, RNG, internal) */
	GD_ERR_FORMAT = -4,         /* malformed input: bad magic, length, encoding, JSON */
	GD_ERR_VERSION = -5,        /* unsupported format version */
	GD_ERR_CHECKSUM = -6,       /* typo in a key string, or a corrupt file */
	GD_ERR_DECRYPT = -7,        /* wrong passphrase or tampered key file */
	GD_ERR_SIGNATURE = -8,      /* signature does not verify (wrong key or forged) */
	GD_ERR_EXPIRED = -9,        /* bundle or challenge out of its validity window */
	GD_ERR_ROLLBACK = -10,      /* bundle version below the known minimum */
	GD_ERR_NO_KEY = -11,        /* bundle has no valid encryption key */
	GD_ERR_NOT_RECIPIENT = -12, /* none of our keys opens any stanza */
	GD_ERR_HEADER = -13,        /* envelope header MAC fails or stanzas disagree */
	GD_ERR_PAYLOAD = -14,       /* envelope chunk fails authentication or is out of order */
	GD_ERR_TRUNCATED = -15,     /* input ended early */
	GD_ERR_TRAILING = -16,      /* bytes after the end */
	GD_ERR_TOO_LARGE = -17,     /* input over a documented limit */
	GD_ERR_IO = -18,            /* a read or write callback failed */
	GD_ERR_WORD = -19,          /* codename word not in the list, or wrong word count */
	GD_ERR_POW = -20,           /* proof-of-work: bad MAC, too few bits, wrong solution */
	GD_ERR_PURPOSE = -21,       /* proof-of-work or signature for another purpose */
	GD_ERR_FORGED = -22,        /* reply not from any journalist key of the bundle */
	GD_ERR_WEAK = -23,          /* key-file KDF parameters outside the accepted range */
} gd_err;

const char *gd_strerror(int err);

/* Call once before anything else (wraps sodium_init). */
int gd_init(void);

/* ---- sizes ---------------------------------------------------------------------------- */

#define GD_SIGN_PK_BYTES 32
#define GD_SIGN_SK_BYTES 64
#define GD_SIG_BYTES 64
#define GD_BOX_PK_BYTES 32
#define GD_BOX_SK_BYTES 32
#define GD_ACK_KEY_BYTES 32
#define GD_ACK_HASH_BYTES 32
#define GD_ID_BYTES 16
#define GD_MAILBOX_ID_BYTES 16
#define GD_SEED_BYTES 32

/* Allowed clock skew (seconds) when checking bundle and key validity windows. */
#define GD_CLOCK_SKEW 7200
/* A bundle is refused this long after it was signed (`created`), whatever its `expires`:
 * without state, a drop can roll a client back only to a bundle signed within it
 * (PROTOCOL.md §5.3). */
#define GD_BUNDLE_MAX_AGE (31 * 86400)

/* ---- small encodings (PROTOCOL.md §2) --------------------------------------------------- */

/* base64url without padding; strict (no whitespace, canonical). out_len receives the size. */
int gd_b64_encode(char *out, size_t out_cap, const uint8_t *in, size_t in_len);
int gd_b64_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t in_len);
/* A NUL-terminated string that decodes to exactly n bytes (NULL is GD_ERR_FORMAT too). */
int gd_b64_decode_exact(uint8_t *out, size_t n, const char *in);
/* Days since 1970-01-01 UTC: every time the server stores is at this granularity. */
uint32_t gd_day(int64_t unix_time);

/* ---- newsroom key string (PROTOCOL.md §3) ---------------------------------------------- */

#define GD_KEYSTRING_PREFIX "gdnk1"
#define GD_KEYSTRING_LEN 63 /* prefix + 58 base32 characters */

int gd_keystring_encode(char out[GD_KEYSTRING_LEN + 1], const uint8_t pk[GD_SIGN_PK_BYTES]);
int gd_keystring_decode(uint8_t pk[GD_SIGN_PK_BYTES], const char *s);

/* ---- key files (PROTOCOL.md §4) --------------------------------------------------------- */

typedef enum {
	GD_KEY_NEWSROOM_ROOT = 1, /* Ed25519 secret key, 64 bytes */
	GD_KEY_JOURNALIST = 2,    /* X25519 secret key, 32 bytes */
	GD_KEY_COURIER = 3,       /* reserved for courier secrets */
} gd_key_kind;

#define GD_KEYFILE_HEADER_BYTES 64
#define GD_KEYFILE_MAX_SECRET 1024
#define GD_KEYFILE_TRAILER_BYTES (16 + 16) /* AEAD tag + checksum */

typedef struct {
	uint64_t opslimit;
	uint64_t memlimit;
} gd_kdf_params;

/* Argon2id parameters: default (MODERATE) and the accepted range on open. */
extern const gd_kdf_params GD_KDF_DEFAULT;
#define GD_KDF_MIN_OPS 3ULL
#define GD_KDF_MIN_MEM (256ULL << 20)
#define GD_KDF_MAX_OPS 16ULL
#define GD_KDF_MAX_MEM (2048ULL << 20)

size_t gd_keyfile_size(size_t secret_len);
/* Seal secret (len bytes) under passphrase into out (gd_keyfile_size(len) bytes). */
int gd_keyfile_seal(uint8_t *out, size_t out_cap, size_t *out_len, gd_key_kind kind,
		    const uint8_t *secret, size_t len, const char *pass, size_t pass_len,
		    const gd_kdf_params *params);
/* How input becomes passphrase bytes (typed or from a file, the same rule): the bytes of the
 * first line, i.e. before the first CR, LF or NUL, as they are: no trimming, no Unicode
 * normalisation. The length of that prefix of line[0..len). */
size_t gd_passphrase_len(const char *line, size_t len);
/* The secret length a kind holds: 64 (newsroom root), 32 (journalist); 0 for courier (reserved:
 * 1..GD_KEYFILE_MAX_SECRET bytes) and unknown kinds. Seal refuses other lengths (GD_ERR_INVAL);
 * open refuses them as GD_ERR_FORMAT before running Argon2id. */
size_t gd_keyfile_secret_len(gd_key_kind kind);
/* Open a key file. secret must be sodium_malloc'ed by the caller (cap bytes).
 * GD_ERR_CHECKSUM: corrupt file; GD_ERR_DECRYPT: wrong passphrase or tampered. */
int gd_keyfile_open(uint8_t *secret, size_t cap, size_t *len, gd_key_kind *kind,
		    const uint8_t *file, size_t file_len, const char *pass, size_t pass_len);
/* The kind a key file says it holds, read without a passphrase and without checking anything
 * else (GD_ERR_FORMAT: not a key file): for naming a key of another kind before asking for a
 * passphrase. Opening it still checks everything. */
int gd_keyfile_kind(const uint8_t *file, size_t file_len, gd_key_kind *kind);
/* The same for a key of one kind: a file of another kind is GD_ERR_FORMAT, before Argon2id. */
int gd_keyfile_open_kind(uint8_t *secret, size_t cap, size_t *len, gd_key_kind want,
			 const uint8_t *file, size_t file_len, const char *pass, size_t pass_len);

/* Journalist public-key file (JSON text, PROTOCOL.md §4.2). */
typedef struct {
	char name[65];
	uint8_t pk[GD_BOX_PK_BYTES];
	int64_t not_before;
	int64_t not_after;
	int verify_only;
} gd_journalist;

/* Returns a malloc'ed NUL-terminated string or NULL. */
char *gd_pubfile_encode(const gd_journalist *j);
int gd_pubfile_decode(gd_journalist *j, const char *text, size_t len);
/* A journalist name: 1..64 bytes of [A-Za-z0-9 ._-], not starting with '.' or ' '. */
int gd_name_valid(const char *name);

/* ---- key bundle (PROTOCOL.md §5) ---------------------------------------------------------- */

#define GD_BUNDLE_MAX_JOURNALISTS 64
#define GD_BUNDLE_MAX_SERVERS 16
#define GD_BUNDLE_MAX_JSON (64 * 1024)
#define GD_SERVER_MAX 255

typedef struct {
	uint64_t version;
	int64_t created;
	int64_t expires;
	char newsroom[65];
	size_t n_servers;
	char servers[GD_BUNDLE_MAX_SERVERS][GD_SERVER_MAX + 1];
	size_t n_journalists;
	gd_journalist journalists[GD_BUNDLE_MAX_JOURNALISTS];
	/* Filled by gd_bundle_verify at `now` (with skew): valid, a key to encrypt to (inside its
	 * window and not verify_only); in_window, a key a reply may come from (inside its window,
	 * verify_only or not). */
	int valid[GD_BUNDLE_MAX_JOURNALISTS];
	int in_window[GD_BUNDLE_MAX_JOURNALISTS];
} gd_bundle;

/* Serialise and sign. out is malloc'ed. */
int gd_bundle_sign(uint8_t **out, size_t *out_len, const gd_bundle *b,
		   const uint8_t root_sk[GD_SIGN_SK_BYTES]);
/* Verify signature (before parsing), parse strictly, check validity at `now`.
 * min_version: reject bundles with a lower version (GD_ERR_ROLLBACK). */
int gd_bundle_verify(gd_bundle *b, const uint8_t *in, size_t len,
		     const uint8_t root_pk[GD_SIGN_PK_BYTES], int64_t now, uint64_t min_version);
/* GD_OK if url is a server as a bundle lists it (PROTOCOL.md §5.2), GD_ERR_FORMAT otherwise:
 * ("http" | "https") "://" host [":" port], at most GD_SERVER_MAX bytes, nothing after. host is
 * a name (dot-separated labels of 1..63 bytes of [a-z0-9-]; an IPv4 address is one) or "["
 * an IPv6 address in lower-case RFC 4291 text form, no zone "]"; port is 1..65535 in decimal
 * without a leading zero. The one grammar of gd_bundle_sign, gd_bundle_verify and
 * gd_bundle_lists_server. */
int gd_server_url_check(const char *url);
/* 1 if url, lower-cased and without trailing '/', passes gd_server_url_check and is listed in
 * the bundle (byte for byte). */
int gd_bundle_lists_server(const gd_bundle *b, const char *url);

/* ---- padding (PROTOCOL.md §6.4) ---------------------------------------------------------- */

#define GD_PAD_FLOOR 16384
#define GD_REPLY_PAD_FLOOR 1024
uint64_t gd_padme(uint64_t len);
uint64_t gd_pad_envelope(uint64_t len); /* max(16 KiB, Padmé(len)) */

/* ---- streams ---------------------------------------------------------------------------- */

/* Write all len bytes or fail (return 0 / -1). */
typedef int (*gd_write_fn)(void *arg, const uint8_t *buf, size_t len);
/* Read up to len bytes; return bytes read, 0 at end of input, -1 on error. */
typedef ssize_t (*gd_read_fn)(void *arg, uint8_t *buf, size_t len);

/* ---- codename (PROTOCOL.md §7) ----------------------------------------------------------- */

#define GD_CODENAME_WORDS 8
#define GD_WORDLIST_SIZE 7776
#define GD_CODENAME_MAX 160 /* 8 words of at most 9 characters + spaces, with room */

const char *gd_wordlist_word(unsigned idx);
int gd_wordlist_find(const char *word, size_t len); /* index or -1 */
/* Nearest list word by edit distance (for typo suggestions). */
const char *gd_wordlist_nearest(const char *word, size_t len);

/* Fresh random codename, canonical form, into out (sodium_malloc'ed, GD_CODENAME_MAX). */
int gd_codename_generate(char *out, size_t cap);
/* Normalise typed input into canonical form. On GD_ERR_WORD, *bad_word is the index of
 * the first unknown word (or -1 if the word count is wrong). */
int gd_codename_normalise(char *out, size_t cap, const char *in, size_t in_len, int *bad_word);
/* The list word nearest to word bad_word (as gd_codename_normalise reported it) of the same
 * input, split the same way (words end at space, \t, \n, \v, \f, \r); reads only in_len bytes,
 * so in need not be NUL-terminated. NULL if there is no such word. */
const char *gd_codename_suggest(const char *in, size_t in_len, int bad_word);
/* Every bad word of typed input at once: bit i set when word i (from 0, of the first
 * GD_CODENAME_WORDS) is not a list word; *n_words receives how many words in has. Reads only
 * in_len bytes, split as gd_codename_normalise splits. */
unsigned gd_codename_bad_words(const char *in, size_t in_len, int *n_words);
/* How many of a canonical codename's words (by position) a text holds, in any case, within
 * any 2 * GD_CODENAME_WORDS consecutive words of text (runs of ASCII letters: anything else
 * separates them): a word of text that is a codename word, or codename words run together
 * ("ZoomAbacus", "zoom-abacus", "yoyo" for "yo-yo"); never a codename word alone inside a
 * longer word ("zoomed"). 0 to GD_CODENAME_WORDS, -1 when out of memory; reads only len
 * bytes of text. */
int gd_codename_words_in_text(const char *canonical, const char *text, size_t len);
/* The same search over a text given in parts (a file read piece by piece), giving exactly
 * what one search of the whole text gives: gd_codename_scan_init, then gd_codename_scan_text
 * for each part in order, final = 1 for the last (it may be empty); each returns the words
 * found so far (never more than the whole text's count: a search may stop once it is enough),
 * or -1 when out of memory. s holds the last letters read: gd_codename_scan_wipe it after. */
enum { GD_SCAN_CARRY = 112 };
typedef struct {
	unsigned masks[2 * GD_CODENAME_WORDS];
	size_t last, p, tk, n, done;
	int gap, space, seen, best;
	char low[GD_SCAN_CARRY];
	size_t piece[GD_SCAN_CARRY], tok[GD_SCAN_CARRY];
} gd_codename_scan;
void gd_codename_scan_init(gd_codename_scan *s);
int gd_codename_scan_text(gd_codename_scan *s, const char *canonical, const char *text, size_t len,
			  int final);
void gd_codename_scan_wipe(gd_codename_scan *s);

typedef struct {
	uint8_t reply_pk[GD_BOX_PK_BYTES];
	uint8_t reply_sk[GD_BOX_SK_BYTES];
	uint8_t identity_pk[GD_SIGN_PK_BYTES];
	uint8_t identity_sk[GD_SIGN_SK_BYTES];
	uint8_t mailbox_pk[GD_SIGN_PK_BYTES];
	uint8_t mailbox_sk[GD_SIGN_SK_BYTES];
	uint8_t mailbox_id[GD_MAILBOX_ID_BYTES];
} gd_source_keys;

/* Derive a source's keys from a canonical codename and the newsroom root key.
 * keys should be sodium_malloc'ed; it is wiped on failure. */
int gd_codename_derive(gd_source_keys *keys, const char *canonical,
		       const uint8_t newsroom_pk[GD_SIGN_PK_BYTES]);
void gd_mailbox_id(uint8_t id[GD_MAILBOX_ID_BYTES], const uint8_t mailbox_pk[GD_SIGN_PK_BYTES]);

/* Mailbox challenge signatures (own context; never valid as submission signatures). */
int gd_mailbox_sign(uint8_t sig[GD_SIG_BYTES], const uint8_t *challenge, size_t len,
		    const uint8_t mailbox_sk[GD_SIGN_SK_BYTES]);
int gd_mailbox_verify(const uint8_t sig[GD_SIG_BYTES], const uint8_t *challenge, size_t len,
		      const uint8_t mailbox_pk[GD_SIGN_PK_BYTES]);

/* ---- envelope (PROTOCOL.md §6) -------------------------------------------------------------- */

#define GD_ENV_CHUNK 65536
#define GD_ENV_MAX_RECIPIENTS 32
#define GD_ENV_STANZA_BYTES 80
#define GD_ENV_MAX_MANIFEST (256 * 1024)
#define GD_ENV_MAX_ATTACHMENTS 256
#define GD_ENV_MAX_TEXT (128 * 1024)
#define GD_ENV_MAX_PLAINTEXT (64ULL << 30) /* 64 GiB */

size_t gd_envelope_header_size(unsigned n_recipients);
/* Total envelope size for a padded plaintext length. */
uint64_t gd_envelope_size(unsigned n_recipients, uint64_t padded_len);

typedef enum { GD_KIND_TESTIMONY = 1, GD_KIND_FOLLOWUP = 2 } gd_submission_kind;

typedef struct {
	char name[256]; /* as given by the source; the desk sanitises before use */
	char type[128]; /* media type, e.g. "image/jpeg" */
	uint64_t size;
} gd_attachment;

typedef struct {
	gd_submission_kind kind;
	uint8_t submission_id[GD_ID_BYTES];
	char *text; /* malloc'ed, NUL-terminated, may contain any UTF-8 */
	size_t text_len;
	size_t n_attachments;
	gd_attachment *attachments; /* malloc'ed array */
	int has_source;             /* 0 for --no-reply submissions */
	uint8_t reply_pk[GD_BOX_PK_BYTES];
	uint8_t identity_pk[GD_SIGN_PK_BYTES];
	uint8_t mailbox_id[GD_MAILBOX_ID_BYTES]; /* where the newsroom's replies go */
} gd_manifest;

void gd_manifest_clear(gd_manifest *m); /* frees and wipes fields; safe on zeroed struct */
/* Mark a manifest as sent by this source: its reply key, identity key and mailbox id. */
void gd_manifest_set_source(gd_manifest *m, const gd_source_keys *keys);
/* Encode the manifest to canonical JSON bytes (malloc'ed). */
int gd_manifest_encode(uint8_t **out, size_t *out_len, const gd_manifest *m);
int gd_manifest_decode(gd_manifest *m, const uint8_t *in, size_t len);

typedef struct gd_seal gd_seal;

/* Start an envelope to n recipient X25519 keys. The manifest's attachment sizes fix the
 * plaintext length; identity (NULL for --no-reply) signs it. Header and the first chunks are
 * written through out/out_arg as they are produced. */
int gd_seal_new(gd_seal **s, const uint8_t (*recipients)[GD_BOX_PK_BYTES], unsigned n,
		const gd_manifest *m, const gd_source_keys *identity, gd_write_fn out,
		void *out_arg);
/* The same, reproducibly: every value gd_seal_new draws at random (the file key, each
 * stanza's ephemeral key, the stream header) is derived from seed, so the same inputs and
 * seed give the same bytes (a resumed upload, PROTOCOL.md §11.3). A seed is secret like the
 * file key, and is used for one testimony only. */
#define GD_SEAL_SEED_BYTES 32
int gd_seal_new_seeded(gd_seal **s, const uint8_t (*recipients)[GD_BOX_PK_BYTES], unsigned n,
		       const gd_manifest *m, const gd_source_keys *identity, gd_write_fn out,
		       void *out_arg, const uint8_t seed[GD_SEAL_SEED_BYTES]);
/* Feed attachment bytes, in manifest order, exactly the declared sizes in total. */
int gd_seal_write(gd_seal *s, const uint8_t *buf, size_t len);
/* Pad, write the FINAL chunk. */
int gd_seal_finish(gd_seal *s);
/* The ack key of this envelope (for tests and for couriers that sealed it themselves). */
const uint8_t *gd_seal_ack_key(const gd_seal *s);
void gd_seal_free(gd_seal *s);

typedef struct {
	/* Called once with the verified-so-far manifest, before any attachment bytes. */
	int (*on_manifest)(void *arg, const gd_manifest *m);
	/* Attachment bytes, in order. Not authenticated as a whole until open returns GD_OK:
	 * callers write to temporary files and keep them only on success. */
	int (*on_data)(void *arg, size_t attachment, const uint8_t *buf, size_t len);
	void *arg;
} gd_open_sink;

typedef struct {
	uint8_t ack_key[GD_ACK_KEY_BYTES];
	uint8_t ack_hash[GD_ACK_HASH_BYTES];
	unsigned key_index;     /* which of the caller's keys opened it */
	uint64_t envelope_size; /* bytes consumed */
} gd_open_result;

/* Decrypt a whole envelope in constant memory. keys: the journalist's X25519 secret keys
 * (old and new), each with its public key. The signature is checked before on_manifest. */
int gd_envelope_open(gd_read_fn in, void *in_arg, const uint8_t (*sks)[GD_BOX_SK_BYTES],
		     const uint8_t (*pks)[GD_BOX_PK_BYTES], unsigned n_keys,
		     const gd_open_sink *sink, gd_open_result *res);
/* Parse only the header, unauthenticated (for the server: the ack hash to store, and the
 * total envelope size the header announces, to check an upload against). */
int gd_envelope_peek(const uint8_t *buf, size_t len, unsigned *n_recipients, uint64_t *total_size,
		     uint8_t ack_hash[GD_ACK_HASH_BYTES]);
void gd_ack_hash(uint8_t hash[GD_ACK_HASH_BYTES], const uint8_t ack_key[GD_ACK_KEY_BYTES]);

/* The digest a resumable upload is committed with (PROTOCOL.md §11.3): BLAKE2b-256 of
 * "ghostdrop/v1/upload" || 0x00 || u64 size || the BLAKE2b-256 of each chunk, in order. */
void gd_upload_digest(uint8_t out[32], uint64_t size, const uint8_t (*chunk_hashes)[32],
		      size_t n_chunks);
/* The same, chunk by chunk, for a sender that does not keep the hashes. */
typedef struct gd_upload_hasher gd_upload_hasher;
gd_upload_hasher *gd_upload_hasher_new(uint64_t size);
void gd_upload_hasher_chunk(gd_upload_hasher *h, const uint8_t chunk_hash[32]);

/* An upload's chunk check (§11.3): the unkeyed BLAKE2b-256 of each chunk (32 bytes, every
 * client), or a Poly1305 tag under a key from the upload's secret chunk key K (chosen by the
 * worker, sent only in the create body), the upload id and the index (16 bytes; what the drop
 * lists in "checks" and the upload was created with). */
typedef enum { GD_CHECK_BLAKE2B = 0, GD_CHECK_POLY1305 = 1 } gd_check;
#define GD_CHUNK_TAG_BYTES 16
/* "blake2b" or "poly1305" (the JSON names); parse: 0, or -1 for anything else. */
const char *gd_check_name(gd_check c);
int gd_check_parse(const char *name, gd_check *out);
#define GD_CHUNK_KEY_BYTES 32
/* k_i = BLAKE2b-256(key = K, "ghostdrop/v1/chunk-mac" || 0x00 || U || u32 idx). */
void gd_chunk_mac_key(uint8_t k[32], const uint8_t key[GD_CHUNK_KEY_BYTES],
		      const uint8_t upload_id[16], uint32_t idx);
/* t_i = Poly1305(chunk, k_i), k_i wiped. */
void gd_chunk_mac(uint8_t tag[GD_CHUNK_TAG_BYTES], const uint8_t *chunk, size_t len,
		  const uint8_t key[GD_CHUNK_KEY_BYTES], const uint8_t upload_id[16], uint32_t idx);
/* Chunk idx's check in mode c into out (32 bytes: a tag fills the first 16, the rest zero);
 * returns its length, 32 or 16. key (K) is read only for GD_CHECK_POLY1305 (NULL is fine for
 * blake2b). */
size_t gd_chunk_check(uint8_t out[32], gd_check c, const uint8_t *chunk, size_t len,
		      const uint8_t *key, const uint8_t upload_id[16], uint32_t idx);
/* The commit digest in mode c: for GD_CHECK_BLAKE2B as gd_upload_hasher_new; for
 * GD_CHECK_POLY1305 BLAKE2b-256("ghostdrop/v1/upload-mac" || 0x00 || u64 size || t_0 || ...).
 * gd_upload_hasher_chunk then takes each chunk's check as gd_chunk_check leaves it (its first
 * 16 bytes, for a tag). */
gd_upload_hasher *gd_upload_hasher_new_check(uint64_t size, gd_check c);
void gd_upload_digest_check(uint8_t out[32], gd_check c, uint64_t size, const uint8_t (*checks)[32],
			    size_t n_chunks);
/* The envelope id (§12.2) of an envelope of `size` bytes from its first bytes (at least its
 * header, §6.1): BLAKE2b-256("ghostdrop/v1/envelope-id" || 0x00 || u64 size || the header).
 * GD_ERR_FORMAT, GD_ERR_VERSION or GD_ERR_TRUNCATED as gd_envelope_peek. */
int gd_envelope_id(uint8_t out[32], uint64_t size, const uint8_t *buf, size_t len);
void gd_upload_hasher_final(gd_upload_hasher *h, uint8_t out[32]);
void gd_upload_hasher_free(gd_upload_hasher *h); /* NULL is fine */

/* The upload digest (§11.3) of a whole buffer cut into chunk_size chunks (the last may be
 * shorter): what the drop stores as a submission's envelope hash (§12.2), however it arrived.
 * GD_ERR_INVAL if chunk_size is 0, GD_ERR_NOMEM. */
int gd_upload_digest_buf(uint8_t out[32], const uint8_t *buf, size_t len, uint32_t chunk_size);
/* The size of the sealed envelope for a manifest of manifest_len bytes and attachments totalling
 * attachments_len bytes, for n recipients: the length prefix, manifest, signature and attachments,
 * padded (§6.4), in chunks, after the header. Sizes over the plaintext limit are computed
 * too (for a message saying how large); UINT64_MAX only if the sum would overflow. */
uint64_t gd_envelope_size_for(unsigned n_recipients, size_t manifest_len, uint64_t attachments_len);

/* Low-level helpers for vectors/tests (signature layout, PROTOCOL.md §6.3). */
int gd_submission_sign(uint8_t sig[GD_SIG_BYTES], const uint8_t header_mac[32],
		       const uint8_t *manifest, size_t len, const uint8_t sk[GD_SIGN_SK_BYTES]);

/* ---- replies (PROTOCOL.md §8) ------------------------------------------------------------ */

#define GD_REPLY_MAX_TEXT (64 * 1024)

typedef struct {
	uint8_t reply_id[GD_ID_BYTES];
	uint32_t day;
	uint8_t mailbox_id[GD_MAILBOX_ID_BYTES];
	char *text; /* malloc'ed, NUL-terminated */
	size_t text_len;
	size_t journalist; /* index into the bundle */
	int older_key;     /* opened with a verify_only key */
} gd_reply;

/* Seal a reply from a journalist to a source. out is malloc'ed. */
int gd_reply_seal(uint8_t **out, size_t *out_len, const char *text, size_t text_len,
		  const uint8_t mailbox_id[GD_MAILBOX_ID_BYTES], uint32_t day,
		  const uint8_t journalist_sk[GD_BOX_SK_BYTES],
		  const uint8_t source_reply_pk[GD_BOX_PK_BYTES]);
/* Open a reply with the source's keys, trying the journalist entries of a verified bundle that
 * are inside their window (in_window: current and verify_only keys), in bundle order (older_key
 * is set from that entry); the first whose box opens answers. GD_ERR_FORGED if none does: a key
 * outside its window, even in the bundle, does not speak for the newsroom. */
int gd_reply_open(gd_reply *r, const uint8_t *in, size_t len, const gd_source_keys *keys,
		  const gd_bundle *b);
void gd_reply_clear(gd_reply *r);
/* GD_OK if blob has the shape of a sealed reply (magic "GDRP", version 1, at least the smallest
 * sealed size: 5 + 24-byte nonce + 16-byte MAC + GD_REPLY_PAD_FLOOR); GD_ERR_FORMAT otherwise.
 * Opens nothing: what the drop checks of a reply it cannot read. */
int gd_reply_peek(const uint8_t *blob, size_t len);

/* ---- ids and names at the drop and the desk ---------------------------------------------- */

#define GD_COURIER_TOKEN_BYTES 32
#define GD_REPLY_ID_BYTES 16

/* BLAKE2b-256("ghostdrop/v1/courier-token" NUL || token): what the drop stores for a courier
 * token. */
void gd_courier_token_hash(uint8_t hash[32], const uint8_t token[GD_COURIER_TOKEN_BYTES]);
/* A reply's id at the drop: BLAKE2b-128("ghostdrop/v1/reply-id" NUL || blob) (§11.4). */
void gd_reply_id(uint8_t id[GD_REPLY_ID_BYTES], const uint8_t *blob, size_t len);
/* The desk's folder label for a source: three list words joined by '-', word i being the
 * little-endian u32 at bytes 4i..4i+3 of BLAKE2b-256("ghostdrop/v1/source-label" NUL ||
 * identity_pk), modulo GD_WORDLIST_SIZE. Truncated (NUL-terminated) to cap like snprintf. */
void gd_source_label(char *out, size_t cap, const uint8_t identity_pk[GD_SIGN_PK_BYTES]);
/* The desk's content MAC over an opened folder (§13.2): BLAKE2b-256 keyed with the submission's
 * ack key over "ghostdrop/v1/desk-content" NUL, then for each file in order u64le(index) ||
 * u64le(size) || its bytes. The caller reads the files; gd_content_mac_file starts the next one,
 * whose bytes then go through gd_content_mac_update. The state holds a secret key: _free wipes it.
 */
typedef struct gd_content_mac gd_content_mac;
gd_content_mac *gd_content_mac_new(const uint8_t ack_key[GD_ACK_KEY_BYTES]);
void gd_content_mac_file(gd_content_mac *m, uint64_t index, uint64_t size);
void gd_content_mac_update(gd_content_mac *m, const uint8_t *buf, size_t len);
void gd_content_mac_final(gd_content_mac *m, uint8_t out[32]);
void gd_content_mac_free(gd_content_mac *m); /* NULL is fine */

/* ---- proof of work (PROTOCOL.md §9) -----------------------------------------------------------
 */

#define GD_POW_CHALLENGE_BYTES 72
#define GD_POW_KEY_BYTES 32
#define GD_POW_MAX_BITS 40

typedef enum {
	GD_POW_SUBMIT = 1,
	GD_POW_UPLOAD = 2,
	GD_POW_MAILBOX = 3,
} gd_pow_purpose;

typedef struct {
	uint8_t purpose;
	uint8_t bits;
	uint16_t backend;
	uint8_t id[GD_ID_BYTES];
	uint64_t declared_size;
	int64_t expires;
} gd_pow_challenge;

int gd_pow_issue(uint8_t out[GD_POW_CHALLENGE_BYTES], const gd_pow_challenge *c,
		 const uint8_t key[GD_POW_KEY_BYTES]);
/* Parse without checking the MAC (the client does not know the key). */
int gd_pow_parse(gd_pow_challenge *c, const uint8_t in[GD_POW_CHALLENGE_BYTES]);
/* Find a counter (single thread). Returns GD_OK or GD_ERR_INVAL. */
int gd_pow_solve(uint64_t *counter, const uint8_t challenge[GD_POW_CHALLENGE_BYTES]);
/* Search counters start .. start + count - 1 in order: GD_OK with the first solution in
 * *counter, GD_ERR_POW when the range holds none, GD_ERR_INVAL for a malformed challenge. The
 * building block of a solver on several threads (client/powsolve.h): each searches its ranges. */
int gd_pow_search(uint64_t *counter, const uint8_t challenge[GD_POW_CHALLENGE_BYTES],
		  uint64_t start, uint64_t count);
/* Server check: MAC (constant time), purpose, expiry, at least min_bits, solution.
 * Spent-set bookkeeping is the caller's (keyed by c->id). */
int gd_pow_check(gd_pow_challenge *c, const uint8_t challenge[GD_POW_CHALLENGE_BYTES],
		 uint64_t counter, const uint8_t key[GD_POW_KEY_BYTES], uint8_t purpose,
		 unsigned min_bits, int64_t now);
unsigned gd_pow_leading_zeros(const uint8_t challenge[GD_POW_CHALLENGE_BYTES], uint64_t counter);

#ifdef __cplusplus
}
#endif
#endif
