/* ghostdrop test helpers: in-memory streams, throwaway keys, the reference envelope builder. */
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

int test_listen(uint16_t *port, int backlog)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof sin;
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

int membuf_write(void *arg, const uint8_t *buf, size_t len)
{
	membuf *m = arg;
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		while (cap < m->len + len)
			cap *= 2;
		uint8_t *nb = realloc(m->buf, cap);
		if (nb == NULL)
			return -1;
		m->buf = nb;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

ssize_t membuf_read(void *arg, uint8_t *buf, size_t len)
{
	membuf *m = arg;
	size_t n = m->len - m->pos;
	if (n > len)
		n = len;
	if (m->max_read && n > m->max_read)
		n = m->max_read;
	memcpy(buf, m->buf + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

void membuf_free(membuf *m)
{
	free(m->buf);
	memset(m, 0, sizeof *m);
}

void boxkey_new(boxkey *k)
{
	crypto_box_keypair(k->pk, k->sk);
}

int seal_to(membuf *out, const uint8_t (*pks)[32], unsigned n, const gd_manifest *m,
	    const gd_source_keys *id, const uint8_t *atts, size_t atts_len, uint8_t ack[32])
{
	gd_seal *s = NULL;
	int rc = gd_seal_new(&s, pks, n, m, id, membuf_write, out);
	if (rc != GD_OK)
		return rc;
	/* Uneven pieces, to cross chunk boundaries at odd places. */
	size_t off = 0, step = 7777;
	while (rc == GD_OK && off < atts_len) {
		size_t k = atts_len - off < step ? atts_len - off : step;
		rc = gd_seal_write(s, atts + off, k);
		off += k;
		step = step * 3 % 100003 + 1;
	}
	if (rc == GD_OK)
		rc = gd_seal_finish(s);
	if (rc == GD_OK && ack != NULL)
		memcpy(ack, gd_seal_ack_key(s), 32);
	gd_seal_free(s);
	return rc;
}

static int sink_manifest(void *arg, const gd_manifest *m)
{
	sink_state *s = arg;
	s->got_manifest = 1;
	s->m = *m;
	/* deep-copy the owned parts */
	s->m.text = strdup(m->text);
	s->m.attachments = NULL;
	if (m->n_attachments) {
		s->m.attachments = malloc(m->n_attachments * sizeof *m->attachments);
		memcpy(s->m.attachments, m->attachments, m->n_attachments * sizeof *m->attachments);
	}
	return 0;
}

static int sink_data(void *arg, size_t att, const uint8_t *buf, size_t len)
{
	sink_state *s = arg;
	if (att < s->last_att)
		return -1; /* attachments must arrive in order */
	s->last_att = att;
	return membuf_write(&s->data, buf, len);
}

const gd_open_sink *sink_for(sink_state *s)
{
	static __thread gd_open_sink sk;
	memset(s, 0, sizeof *s);
	sk.on_manifest = sink_manifest;
	sk.on_data = sink_data;
	sk.arg = s;
	return &sk;
}

void sink_free(sink_state *s)
{
	gd_manifest_clear(&s->m);
	membuf_free(&s->data);
}

int open_from(const membuf *env, const boxkey *keys, unsigned n, sink_state *s, gd_open_result *res)
{
	uint8_t(*sks)[32] = malloc(n * 32), (*pks)[32] = malloc(n * 32);
	for (unsigned i = 0; i < n; i++) {
		memcpy(sks[i], keys[i].sk, 32);
		memcpy(pks[i], keys[i].pk, 32);
	}
	membuf in = *env;
	in.pos = 0;
	const gd_open_sink *sink = s ? sink_for(s) : NULL;
	int rc = gd_envelope_open(membuf_read, &in, (const uint8_t(*)[32])sks,
				  (const uint8_t(*)[32])pks, n, sink, res);
	free(sks);
	free(pks);
	return rc;
}

void envref_header(envref *e, const uint8_t file_key[32], const uint8_t (*stanza_keys)[32],
		   const uint8_t (*pks)[32], unsigned n, int corrupt_ack_hash, uint64_t padded)
{
	uint8_t mac_key[32], payload[32], hdr[14 + 32 * 80 + 24 + 32 + 32], *p = hdr;
	crypto_kdf_derive_from_key(mac_key, 32, 1, "gdenvel1", file_key);
	crypto_kdf_derive_from_key(payload, 32, 2, "gdenvel1", file_key);
	crypto_kdf_derive_from_key(e->ack, 32, 3, "gdenvel1", file_key);
	memcpy(p, "GDEV\x01", 5);
	p[5] = (uint8_t)n;
	for (int i = 0; i < 8; i++) /* padded plaintext length, little-endian */
		p[6 + i] = (uint8_t)(padded >> (8 * i));
	p += 14;
	for (unsigned i = 0; i < n; i++, p += 80)
		crypto_box_seal(p, stanza_keys ? stanza_keys[i] : file_key, 32, pks[i]);
	crypto_secretstream_xchacha20poly1305_init_push(&e->ss, p, payload);
	p += 24;
	/* ack hash = BLAKE2b-256("ghostdrop/v1/ack" 0x00 || ack key) */
	uint8_t ackmsg[17 + 32];
	memcpy(ackmsg, "ghostdrop/v1/ack", 17);
	memcpy(ackmsg + 17, e->ack, 32);
	crypto_generichash(p, 32, ackmsg, sizeof ackmsg, NULL, 0);
	if (corrupt_ack_hash)
		p[0] ^= 1;
	p += 32;
	/* MAC = BLAKE2b-256(key = mac key, "ghostdrop/v1/envelope-header" 0x00 || header) */
	size_t hlen = (size_t)(p - hdr);
	uint8_t *macmsg = malloc(29 + hlen);
	memcpy(macmsg, "ghostdrop/v1/envelope-header", 29);
	memcpy(macmsg + 29, hdr, hlen);
	crypto_generichash(p, 32, macmsg, 29 + hlen, mac_key, 32);
	free(macmsg);
	memcpy(e->mac, p, 32);
	p += 32;
	memset(&e->out, 0, sizeof e->out);
	membuf_write(&e->out, hdr, (size_t)(p - hdr));
}

void envref_body(envref *e, const uint8_t *pt, size_t len)
{
	uint8_t ct[65536 + 17];
	size_t off = 0;
	do {
		size_t n = len - off > 65536 ? 65536 : len - off;
		int final = off + n == len;
		unsigned long long clen;
		crypto_secretstream_xchacha20poly1305_push(
			&e->ss, ct, &clen, pt + off, n, NULL, 0,
			final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
			      : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
		membuf_write(&e->out, ct, (size_t)clen);
		off += n;
	} while (off < len);
}

uint8_t *envref_frame(size_t *len, const uint8_t *manifest, size_t mlen, const uint8_t sig[64],
		      const uint8_t *data, size_t dlen, size_t padded)
{
	size_t content = 4 + mlen + 64 + dlen;
	if (padded == 0)
		padded = (size_t)gd_pad_envelope(content);
	uint8_t *pt = calloc(1, padded > content ? padded : content);
	pt[0] = (uint8_t)mlen;
	pt[1] = (uint8_t)(mlen >> 8);
	pt[2] = (uint8_t)(mlen >> 16);
	pt[3] = (uint8_t)(mlen >> 24);
	memcpy(pt + 4, manifest, mlen);
	memcpy(pt + 4 + mlen, sig, 64);
	if (dlen)
		memcpy(pt + 4 + mlen + 64, data, dlen);
	*len = padded;
	return pt;
}

void test_manifest(gd_manifest *m, const char *text, const gd_source_keys *src)
{
	memset(m, 0, sizeof *m);
	m->kind = GD_KIND_TESTIMONY;
	randombytes_buf(m->submission_id, sizeof m->submission_id);
	m->text = (char *)text;
	m->text_len = strlen(text);
	if (src != NULL) {
		gd_manifest_set_source(m, src);
	}
}

gd_source_keys *test_source(const char *codename, const uint8_t newsroom_pk[32])
{
	gd_source_keys *k = sodium_malloc(sizeof *k);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(gd_codename_derive(k, codename, newsroom_pk), GD_OK);
	return k;
}

char *hex_of(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);
	sodium_bin2hex(s, 2 * n + 1, b, n);
	return s;
}

uint8_t *unhex(const char *s, size_t *n)
{
	size_t cap = strlen(s) / 2 + 1;
	uint8_t *b = malloc(cap);
	if (sodium_hex2bin(b, cap, s, strlen(s), NULL, n, NULL) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

void vec_apply_edits(membuf *m, json_t *edits)
{
	json_t *e;
	size_t i;
	json_array_foreach (edits, i, e) {
		const char *op = json_string_value(json_object_get(e, "op"));
		size_t at = (size_t)json_integer_value(json_object_get(e, "at"));
		size_t len = (size_t)json_integer_value(json_object_get(e, "len"));
		ck_assert_ptr_nonnull(op);
		if (strcmp(op, "xor") == 0) {
			ck_assert_uint_lt(at, m->len);
			m->buf[at] ^= (uint8_t)json_integer_value(json_object_get(e, "value"));
		} else if (strcmp(op, "set") == 0) {
			ck_assert_uint_lt(at, m->len);
			m->buf[at] = (uint8_t)json_integer_value(json_object_get(e, "value"));
		} else if (strcmp(op, "truncate") == 0) {
			ck_assert_uint_le(len, m->len);
			m->len = len;
		} else if (strcmp(op, "delete") == 0) {
			ck_assert_uint_le(at + len, m->len);
			memmove(m->buf + at, m->buf + at + len, m->len - at - len);
			m->len -= len;
		} else if (strcmp(op, "swap") == 0) {
			size_t a = (size_t)json_integer_value(json_object_get(e, "a"));
			size_t b = (size_t)json_integer_value(json_object_get(e, "b"));
			ck_assert_uint_le(b + len, m->len);
			for (size_t j = 0; j < len; j++) {
				uint8_t t = m->buf[a + j];
				m->buf[a + j] = m->buf[b + j];
				m->buf[b + j] = t;
			}
		} else if (strcmp(op, "append") == 0) {
			size_t n;
			uint8_t *x = unhex(json_string_value(json_object_get(e, "hex")), &n);
			ck_assert_ptr_nonnull(x);
			membuf_write(m, x, n);
			free(x);
		} else {
			ck_abort_msg("unknown edit %s", op);
		}
	}
}

static int unhex_exact(const char *s, uint8_t *dst, size_t n)
{
	size_t got = 0;
	uint8_t *b = s != NULL ? unhex(s, &got) : NULL;
	int ok = b != NULL && got == n;
	if (ok)
		memcpy(dst, b, n);
	free(b);
	return ok ? GD_OK : GD_ERR_FORMAT;
}

int vec_seal_seeded(membuf *out, json_t *seal)
{
	enum { MAX_ATT = 8 };
	json_t *rcpt = json_object_get(seal, "recipients"),
	       *atts = json_object_get(seal, "attachments");
	json_t *v;
	const char *kind = json_string_value(json_object_get(seal, "kind"));
	const char *text = json_string_value(json_object_get(seal, "text"));
	const char *iseed_hex = json_string_value(json_object_get(seal, "identity_seed"));
	uint8_t pks[GD_ENV_MAX_RECIPIENTS][32], seed[GD_SEAL_SEED_BYTES], iseed[32];
	gd_attachment a[MAX_ATT];
	uint8_t *data[MAX_ATT] = {0};
	size_t dlen[MAX_ATT] = {0}, i, n = json_array_size(rcpt), na = json_array_size(atts);
	gd_source_keys *src = sodium_malloc(sizeof *src);
	gd_seal *s = NULL;
	gd_manifest m;
	int rc = GD_ERR_FORMAT;
	memset(&m, 0, sizeof m);
	memset(a, 0, sizeof a);
	if (src == NULL || kind == NULL || text == NULL || n < 1 || n > GD_ENV_MAX_RECIPIENTS ||
	    na > MAX_ATT ||
	    unhex_exact(json_string_value(json_object_get(seal, "seed")), seed, sizeof seed) ||
	    unhex_exact(json_string_value(json_object_get(seal, "id")), m.submission_id,
			GD_ID_BYTES))
		goto out;
	json_array_foreach (rcpt, i, v)
		if (unhex_exact(json_string_value(v), pks[i], 32) != GD_OK)
			goto out;
	m.kind = strcmp(kind, "followup") == 0 ? GD_KIND_FOLLOWUP : GD_KIND_TESTIMONY;
	m.text = (char *)text;
	m.text_len = strlen(text);
	if (iseed_hex != NULL) {
		memset(src, 0, sizeof *src);
		if (unhex_exact(iseed_hex, iseed, sizeof iseed) != GD_OK ||
		    crypto_sign_seed_keypair(src->identity_pk, src->identity_sk, iseed) != 0 ||
		    unhex_exact(json_string_value(json_object_get(seal, "reply_pk")), src->reply_pk,
				32) != GD_OK ||
		    unhex_exact(json_string_value(json_object_get(seal, "mailbox_id")),
				src->mailbox_id, GD_MAILBOX_ID_BYTES) != GD_OK)
			goto out;
		gd_manifest_set_source(&m, src);
	}
	json_array_foreach (atts, i, v) {
		const char *name = json_string_value(json_object_get(v, "name")),
			   *type = json_string_value(json_object_get(v, "type")),
			   *hex = json_string_value(json_object_get(v, "data"));
		if (name == NULL || type == NULL || hex == NULL ||
		    (data[i] = unhex(hex, &dlen[i])) == NULL)
			goto out;
		snprintf(a[i].name, sizeof a[i].name, "%s", name);
		snprintf(a[i].type, sizeof a[i].type, "%s", type);
		a[i].size = dlen[i];
	}
	m.attachments = a;
	m.n_attachments = na;
	rc = gd_seal_new_seeded(&s, (const uint8_t(*)[32])pks, (unsigned)n, &m,
				iseed_hex != NULL ? src : NULL, membuf_write, out, seed);
	for (i = 0; rc == GD_OK && i < na; i++) /* in pieces of 1000 bytes */
		for (size_t off = 0; rc == GD_OK && off < dlen[i]; off += 1000)
			rc = gd_seal_write(s, data[i] + off,
					   dlen[i] - off < 1000 ? dlen[i] - off : 1000);
	if (rc == GD_OK)
		rc = gd_seal_finish(s);
out:
	gd_seal_free(s);
	for (i = 0; i < MAX_ATT; i++)
		free(data[i]);
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(iseed, sizeof iseed);
	sodium_free(src);
	return rc;
}

void assert_not_dumpable(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	int found = 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "Max core file size", 18) == 0) {
			char soft[32], hard[32];
			ck_assert_int_eq(sscanf(line + 18, " %31s %31s", soft, hard), 2);
			ck_assert_str_eq(soft, "0");
			ck_assert_str_eq(hard, "0");
			found = 1;
		}
	fclose(f);
	ck_assert(found);
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, 0); /* not dumpable: /proc/PID belongs to root */
}

void write_bytes(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b, 1, n, f), n);
	fclose(f);
}

void write_file_mode(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

long proc_status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long kib = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':' &&
		    sscanf(line + n + 1, " %ld kB", &kib) == 1)
			break;
	fclose(f);
	ck_assert_msg(kib >= 0, "no %s in %s", field, path);
	return kib;
}

long proc_rss_kib(pid_t pid)
{
	long kib = proc_status_kib(pid, "VmRSS");
	ck_assert_int_gt(kib, 0);
	return kib;
}
