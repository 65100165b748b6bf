/* libghostdrop internals shared by the crypto/ modules: byte order, context strings. */
#ifndef GD_INTERNAL_H
#define GD_INTERNAL_H

#include <sodium.h>
#include <string.h>

#include "bytes.h"
#include "gdcrypto.h"

/* Context strings (PROTOCOL.md §1): each signature and MAC has its own. */
#define GD_CTX_BUNDLE "ghostdrop/v1/bundle"
#define GD_CTX_SUBMISSION "ghostdrop/v1/submission"
#define GD_CTX_MAILBOX_AUTH "ghostdrop/v1/mailbox-auth"
#define GD_CTX_HEADER_MAC "ghostdrop/v1/envelope-header"
#define GD_CTX_ACK "ghostdrop/v1/ack"
#define GD_CTX_POW_MAC "ghostdrop/v1/pow-challenge"
#define GD_CTX_POW_WORK "ghostdrop/v1/pow-work"
#define GD_CTX_KEYSTRING "ghostdrop/v1/newsroom-key"
#define GD_CTX_CODENAME_SALT "ghostdrop/v1/codename-salt"
#define GD_CTX_MAILBOX_ID "ghostdrop/v1/mailbox-id"
#define GD_CTX_UPLOAD "ghostdrop/v1/upload"
#define GD_CTX_UPLOAD_MAC "ghostdrop/v1/upload-mac"
#define GD_CTX_CHUNK_MAC "ghostdrop/v1/chunk-mac"
#define GD_CTX_ENVELOPE_ID "ghostdrop/v1/envelope-id"
#define GD_CTX_COURIER_TOKEN "ghostdrop/v1/courier-token"
#define GD_CTX_REPLY_ID "ghostdrop/v1/reply-id"
#define GD_CTX_SOURCE_LABEL "ghostdrop/v1/source-label"
#define GD_CTX_DESK_CONTENT "ghostdrop/v1/desk-content"
/* crypto_kdf contexts are exactly 8 bytes. */
#define GD_KDF_ENVELOPE "gdenvel1"
#define GD_KDF_CODENAME "gdcodnm1"

/* Ed25519 over ctx || 0x00 || msg, streamed through Ed25519ph is avoided: messages are small
 * and assembled in a buffer by the caller of these helpers. */
int gd_sign_ctx(uint8_t sig[GD_SIG_BYTES], const char *ctx, const uint8_t *a, size_t alen,
		const uint8_t *b, size_t blen, const uint8_t sk[GD_SIGN_SK_BYTES]);
int gd_verify_ctx(const uint8_t sig[GD_SIG_BYTES], const char *ctx, const uint8_t *a, size_t alen,
		  const uint8_t *b, size_t blen, const uint8_t pk[GD_SIGN_PK_BYTES]);

/* Unkeyed BLAKE2b of ctx || 0x00 || data, out_len bytes (16..64). */
void gd_hash_ctx(uint8_t *out, size_t out_len, const char *ctx, const uint8_t *data, size_t len);

/* Strict JSON helpers shared by manifest, bundle and public-key files. */
#include <jansson.h>
json_t *gd_json_parse(const uint8_t *in, size_t len);
/* 0 if every key of obj is in the NULL-terminated allowed list. */
int gd_json_only_keys(json_t *obj, const char *const *allowed);
int gd_json_get_b64(json_t *obj, const char *key, uint8_t *out, size_t want);
int gd_json_get_int(json_t *obj, const char *key, int64_t *out, int64_t min, int64_t max);
int gd_json_set_b64(json_t *obj, const char *key, const uint8_t *in, size_t len);
/* Canonical serialisation: sorted keys, compact, UTF-8 as is. */
int gd_json_dump(json_t *obj, uint8_t **out, size_t *out_len);

#endif
