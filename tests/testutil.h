/* ghostdrop test helpers: in-memory streams, throwaway keys, the reference envelope builder. */
#ifndef GD_TESTUTIL_H
#define GD_TESTUTIL_H

#include <check.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "gdcrypto.h"

typedef struct {
	uint8_t *buf;
	size_t len, cap, pos;
	size_t max_read; /* 0: any; else at most this per read call (exercises short reads) */
} membuf;

int membuf_write(void *arg, const uint8_t *buf, size_t len);
ssize_t membuf_read(void *arg, uint8_t *buf, size_t len);
void membuf_free(membuf *m);

typedef struct {
	uint8_t pk[GD_BOX_PK_BYTES];
	uint8_t sk[GD_BOX_SK_BYTES];
} boxkey;
void boxkey_new(boxkey *k);

/* Seal an envelope with the library into a membuf. atts: concatenated attachment bytes. */
int seal_to(membuf *out, const uint8_t (*pks)[32], unsigned n, const gd_manifest *m,
	    const gd_source_keys *id, const uint8_t *atts, size_t atts_len, uint8_t ack[32]);

/* Collects what gd_envelope_open hands to its sink. */
typedef struct {
	gd_manifest m;
	int got_manifest;
	membuf data;
	size_t last_att;
} sink_state;
extern const gd_open_sink *sink_for(sink_state *s);
void sink_free(sink_state *s);
int open_from(const membuf *env, const boxkey *keys, unsigned n, sink_state *s,
	      gd_open_result *res);

/* Reference builder (PROTOCOL.md §6, straight from the spec with raw libsodium). Stanza i
 * seals stanza_keys[i] (normally all the same file key) to pks[i]. */
typedef struct {
	crypto_secretstream_xchacha20poly1305_state ss;
	uint8_t mac[32];
	uint8_t ack[32];
	membuf out;
} envref;
void envref_header(envref *e, const uint8_t file_key[32], const uint8_t (*stanza_keys)[32],
		   const uint8_t (*pks)[32], unsigned n, int corrupt_ack_hash, uint64_t padded);
/* Encrypt a raw plaintext (already framed and padded) in 64 KiB chunks, FINAL last. */
void envref_body(envref *e, const uint8_t *pt, size_t len);
/* Frame: len || manifest || sig || data || zeros up to padded (0: the canonical bucket). */
uint8_t *envref_frame(size_t *len, const uint8_t *manifest, size_t mlen, const uint8_t sig[64],
		      const uint8_t *data, size_t dlen, size_t padded);

void test_manifest(gd_manifest *m, const char *text, const gd_source_keys *src);
gd_source_keys *test_source(const char *codename, const uint8_t newsroom_pk[32]);

/* Vectors: apply a list of byte edits (PROTOCOL.md-independent, see tests/vectors/README). */
#include <jansson.h>
void vec_apply_edits(membuf *m, json_t *edits);
/* Vectors: seal an envelope case's "seal" object (tests/vectors/README.md) again with
 * gd_seal_new_seeded into out: GD_OK or the error (no Check asserts: gen_vectors uses it). */
int vec_seal_seeded(membuf *out, json_t *seal);

/* Vectors: hex helpers. */
char *hex_of(const uint8_t *b, size_t n);
uint8_t *unhex(const char *s, size_t *n);

/* A listening TCP socket on 127.0.0.1 on a free port (the port in *port). */
int test_listen(uint16_t *port, int backlog);
/* Process pid cannot dump core (RLIMIT_CORE 0) and is not dumpable (/proc/PID is root's;
 * the tests that call it run the process as another user). */
void assert_not_dumpable(pid_t pid);
/* A file of exactly these n bytes (created or replaced), asserted. */
void write_bytes(const char *path, const void *b, size_t n);
/* path holds the string s, with the permission bits mode (fchmod: whatever the umask). */
void write_file_mode(const char *path, const char *s, mode_t mode);
/* A process's resident memory now (VmRSS of /proc/PID/status), in KiB; fails the test if
 * it cannot be read. */
/* A "Field: N kB" line of /proc/PID/status (VmRSS, RssAnon, VmHWM...), asserted present. */
long proc_status_kib(pid_t pid, const char *field);
long proc_rss_kib(pid_t pid);

#endif
