/* ghostdrop client: the resume record of an interrupted upload (--state-dir only; PROTOCOL.md
 * §11.3, THREAT_MODEL.md). Its file name and its key come from the testimony's own content,
 * so the record tells nothing to anyone who does not have that content already, and the same
 * command finds it again. Written before the first chunk is sent, removed when the upload is
 * stored. */
#ifndef GD_RESUME_H
#define GD_RESUME_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "gdcrypto.h"

typedef struct {
	char path[4096];
	uint8_t key[32];                  /* the record's key: from the content */
	uint8_t seed[GD_SEAL_SEED_BYTES]; /* gd_seal_new_seeded's: the same envelope again */
	uint8_t sub_id[16];               /* the submission id */
	uint64_t total;                   /* the envelope's size */
	char up[32];                      /* the drop's upload id (the capability), or "" */
	char codename[GD_CODENAME_MAX];   /* a new codename made for this testimony, or "" */
	uint8_t content[64];              /* H, the hash it was found by (not written) */
} gd_resume;

/* The content's hash: what the record is named and keyed by. Feed every part with
 * gd_resume_part (length-prefixed; an attachment's bytes as sealed are fed through it too). */
void gd_resume_init(crypto_generichash_state *st);
void gd_resume_part(crypto_generichash_state *st, const void *p, size_t n);
/* The record's path in dir and its key, from the hash (finalised). 0, or -1: path too long. */
int gd_resume_locate(gd_resume *r, const char *dir, crypto_generichash_state *st);
/* The seal's seed: BLAKE2b keyed by the record's seed, of H (what the record was found by:
 * everything sealed). Even a record used for other input (a bug, a collision of names) seals
 * it under other keys: one seed never seals two plaintexts. */
void gd_resume_seal_seed(const gd_resume *r, uint8_t out[GD_SEAL_SEED_BYTES]);
/* The upload's Poly1305 chunk key K (PROTOCOL.md §11.3): BLAKE2b-256 keyed by the record's seed
 * of "ghostdrop/v1/resume-chunk-key" || 0x00 || H, so a later run sends the same K again. */
void gd_resume_chunk_key(const gd_resume *r, uint8_t out[32]);
/* 1: read into r; 0: there is none; -1: there is one that does not open (damaged, altered,
 * or made by another version), errno EBADMSG; or it could not be read (errno). */
int gd_resume_read(gd_resume *r);
/* Written (0600, fsync'd, atomically replacing an older one). 0, or -1 with errno. */
int gd_resume_write(const gd_resume *r);
void gd_resume_remove(const gd_resume *r);
/* Remove the records in dir last written more than max_age seconds ago: abandoned testimonies
 * (the file or text changed, or never sent again), whose uploads the drop dropped long ago. */
#define GD_RESUME_MAX_AGE (7 * 86400)
void gd_resume_sweep(const char *dir, long max_age);

#endif
