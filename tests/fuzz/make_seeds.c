/* ghostdrop fuzz seeds: writes a starting corpus for every target into OUT/<target>/, from
 * the known-answer vectors (tests/vectors) and from fresh objects made with the fuzz keys, so
 * that the targets begin with inputs that get past their first checks.
 * Usage: make_seeds VECTORS_DIR OUT */
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>

#include "batch.h"
#include "fuzz.h"

static const char *outdir;

static void put(const char *target, const char *name, const void *data, size_t len)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", outdir, target);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/%s/%s", outdir, target, name);
	FILE *f = fopen(p, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "make_seeds: cannot write %s\n", p);
		exit(1);
	}
}

static uint8_t *unhex(const char *s, size_t *n)
{
	size_t l = strlen(s) / 2;
	uint8_t *b = malloc(l + 1);
	if (sodium_hex2bin(b, l + 1, s, strlen(s), NULL, n, NULL) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

/* Every hex field `field` of a vector file, as seeds of `target`. */
static void from_vectors(const char *dir, const char *module, const char *field, const char *target)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s.json", dir, module);
	json_t *doc = json_load_file(p, 0, NULL), *v;
	size_t i;
	if (doc == NULL) {
		fprintf(stderr, "make_seeds: cannot read %s\n", p);
		exit(1);
	}
	json_array_foreach (json_object_get(doc, "vectors"), i, v) {
		const char *h = json_string_value(json_object_get(v, field));
		size_t n;
		uint8_t *b = h ? unhex(h, &n) : NULL;
		if (b == NULL)
			continue;
		snprintf(p, sizeof p, "vector-%s-%zu", module, i);
		put(target, p, b, n);
		free(b);
	}
	json_decref(doc);
}

typedef struct {
	uint8_t *buf;
	size_t len, cap;
} mem;

static int mem_write(void *arg, const uint8_t *b, size_t n)
{
	mem *m = arg;
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		m->buf = realloc(m->buf, m->cap);
	}
	memcpy(m->buf + m->len, b, n);
	m->len += n;
	return 0;
}

static mem seal(const uint8_t pk[32], gd_manifest *m, const gd_source_keys *src, size_t att)
{
	mem out = {0};
	gd_seal *s;
	if (gd_seal_new(&s, (const uint8_t(*)[32])pk, 1, m, src, mem_write, &out) != GD_OK)
		exit(1);
	uint8_t *fill = calloc(1, att + 1);
	if (att > 0 && gd_seal_write(s, fill, att) != GD_OK)
		exit(1);
	if (gd_seal_finish(s) != GD_OK)
		exit(1);
	gd_seal_free(s);
	free(fill);
	return out;
}

int main(int argc, char **argv)
{
	if (argc != 3 || gd_init() != GD_OK) {
		fprintf(stderr, "usage: make_seeds VECTORS_DIR OUT\n");
		return 2;
	}
	outdir = argv[2];
	mkdir(outdir, 0755);
	from_vectors(argv[1], "envelope", "envelope", "envelope");
	from_vectors(argv[1], "bundle", "bundle", "bundle");
	from_vectors(argv[1], "reply", "reply", "reply");

	uint8_t jpk[32], jsk[32], rpk[32], rsk[64];
	fuzz_box_key(FUZZ_JOURNALIST, jpk, jsk);
	fuzz_sign_key(FUZZ_ROOT, rpk, rsk);
	gd_source_keys *src = sodium_malloc(sizeof *src);
	if (gd_codename_derive(src, FUZZ_CODENAME, rpk) != GD_OK)
		return 1;

	/* manifests and envelopes: plain, signed by a source, with attachments over chunks */
	gd_attachment atts[2] = {{"photo.jpg", "image/jpeg", 70000},
				 {"../notes.txt", "text/plain", 30000}};
	gd_manifest m;
	memset(&m, 0, sizeof m);
	m.kind = GD_KIND_TESTIMONY;
	m.text = "We label 900 images an hour.";
	m.text_len = strlen(m.text);
	randombytes_buf(m.submission_id, 16);
	mem envs[3];
	for (int k = 0; k < 3; k++) {
		if (k == 1)
			gd_manifest_set_source(&m, src);
		if (k == 2) {
			m.kind = GD_KIND_FOLLOWUP;
			m.attachments = atts;
			m.n_attachments = 2;
		}
		uint8_t *mj;
		size_t ml;
		char name[32];
		if (gd_manifest_encode(&mj, &ml, &m) != GD_OK)
			return 1;
		snprintf(name, sizeof name, "made-%d", k);
		put("manifest", name, mj, ml);
		free(mj);
		envs[k] = seal(jpk, &m, k ? src : NULL, k == 2 ? 100000 : 0);
		put("envelope", name, envs[k].buf, envs[k].len);
	}

	/* batches: two records and the end mark; the same cut short */
	mem b = {0};
	uint8_t h[BATCH_RECORD_BYTES];
	batch_header(h);
	mem_write(&b, h, BATCH_HEADER_BYTES);
	for (int k = 0; k < 2; k++) {
		batch_record(h, m.submission_id, 20000, envs[k].len);
		mem_write(&b, h, sizeof h);
		mem_write(&b, envs[k].buf, envs[k].len);
	}
	batch_end(h, 2);
	mem_write(&b, h, sizeof h);
	put("batch", "made-complete", b.buf, b.len);
	put("batch", "made-cut", b.buf, b.len - 1000);

	/* names: a hash, a day and an attempt (36 bytes), then a name or text */
	static const char *const names[] = {"Captura de pantalla (se\xc3\xb1"
					    "al).png",
					    "../..\\x\x1b[31m\xc2\x9b\xe2\x80\xae"
					    "gpj.exe",
					    "message.txt", "a\r\nb\tc\xf3\xa0\x81\x81\xd8\x9c"};
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		mem nb = {0};
		uint8_t pre[36];
		memset(pre, (int)k * 37, sizeof pre);
		pre[35] = (uint8_t)k;
		mem_write(&nb, pre, sizeof pre);
		mem_write(&nb, (const uint8_t *)names[k], strlen(names[k]));
		char nm[16];
		snprintf(nm, sizeof nm, "made-%zu", k);
		put("names", nm, nb.buf, nb.len);
		free(nb.buf);
	}
	free(b.buf);
	for (int k = 0; k < 3; k++)
		free(envs[k].buf);

	/* a bundle: whole, and its JSON (fuzz_bundle signs that itself) */
	gd_bundle *bd = calloc(1, sizeof *bd);
	bd->version = 3;
	bd->created = FUZZ_NOW - 3600;
	bd->expires = FUZZ_NOW + 86400 * 30;
	snprintf(bd->newsroom, sizeof bd->newsroom, "Fuzz Ledger");
	bd->n_servers = 1;
	snprintf(bd->servers[0], sizeof bd->servers[0], "http://fuzzfuzzfuzz.onion");
	bd->n_journalists = 1;
	snprintf(bd->journalists[0].name, sizeof bd->journalists[0].name, "Ana");
	memcpy(bd->journalists[0].pk, jpk, 32);
	bd->journalists[0].not_before = FUZZ_NOW - 86400;
	bd->journalists[0].not_after = FUZZ_NOW + 86400 * 20;
	uint8_t *bb;
	size_t bl;
	if (gd_bundle_sign(&bb, &bl, bd, rsk) != GD_OK)
		return 1;
	put("bundle", "made-whole", bb, bl);
	put("bundle", "made-json", bb + 9, bl - 9 - 64);
	free(bb);
	free(bd);

	/* codenames: from a file (first byte even) and typed (odd); one with a typo, one with
	 * vertical tab and form feed between words, one file without its final newline */
	static const char *const codes[] = {
		("\0" FUZZ_CODENAME "\n"), ("\1" FUZZ_CODENAME),
		"\0abacus abdomen abdominal abide abidng ability ablaze able",
		"\1abacus\vabdomen\fABDOMINAL\tabide\r abiding ability ablaze able"};
	for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++) {
		char nm[16];
		snprintf(nm, sizeof nm, "made-%zu", k);
		put("codename", nm, codes[k], 1 + strlen(codes[k] + 1));
	}

	/* key strings, proof of work, replies */
	char ks[GD_KEYSTRING_LEN + 1];
	gd_keystring_encode(ks, rpk);
	put("keystring", "made", ks, strlen(ks));
	uint8_t key[32], ch[GD_POW_CHALLENGE_BYTES + 8];
	crypto_generichash(key, 32, (const uint8_t *)FUZZ_POW_KEY, strlen(FUZZ_POW_KEY), NULL, 0);
	gd_pow_challenge c = {.purpose = GD_POW_SUBMIT, .bits = 8, .expires = FUZZ_NOW + 300};
	randombytes_buf(c.id, sizeof c.id);
	uint64_t ctr;
	gd_pow_issue(ch, &c, key);
	gd_pow_solve(&ctr, ch);
	for (int i = 0; i < 8; i++)
		ch[GD_POW_CHALLENGE_BYTES + i] = (uint8_t)(ctr >> (8 * i));
	put("pow", "made", ch, sizeof ch);
	uint8_t *rb;
	size_t rl;
	const char *text = "Thank you. Which client was it?";
	if (gd_reply_seal(&rb, &rl, text, strlen(text), src->mailbox_id, 20000, jsk,
			  src->reply_pk) != GD_OK)
		return 1;
	put("reply", "made", rb, rl);
	free(rb);

	/* SOCKS5 answers: method, auth, CONNECT with each address type, refusals */
	static const struct {
		const char *name;
		const char *b;
		size_t n;
	} socks[] = {
		{"method", "\x05\x02", 2},
		{"auth", "\x01\x00", 2},
		{"connect-v4", "\x05\x00\x00\x01\x7f\x00\x00\x01\x1f\x90", 10},
		{"connect-v6",
		 "\x05\x00\x00\x04"
		 "0123456789abcdef"
		 "\x00\x50",
		 22},
		{"connect-name",
		 "\x05\x00\x00\x03\x05"
		 "hello"
		 "\x00\x50",
		 12},
		{"onion-gone", "\x05\xf0\x00\x01\x00\x00\x00\x00\x00\x00", 10},
	};
	for (size_t i = 0; i < sizeof socks / sizeof socks[0]; i++)
		put("socks5", socks[i].name, socks[i].b, socks[i].n);

	/* request heads as the drop sees them */
	static const char *heads[] = {
		("POST /v1/submissions HTTP/1.1\r\nHost: x.onion\r\nContent-Type: "
		 "application/octet-stream\r\n"
		 "Content-Length: 16583\r\nX-Ghostdrop-Id: AAAAAAAAAAAAAAAAAAAAAA\r\n"
		 "X-Ghostdrop-PoW: AQEM.12\r\n\r\n"),
		("GET /v1/courier/submissions/AAAAAAAAAAAAAAAAAAAAAA?offset=65536 HTTP/1.1\r\n"
		 "Authorization: Bearer abc\r\nConnection: close\r\n\r\n"),
		"POST /v1/pow?purpose=upload&size=1048576 HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
		"PUT /v1/uploads/abc/chunks/7 HTTP/1.1\r\nContent-Length: 10\r\nContent-Length: "
		"10\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		char name[16];
		snprintf(name, sizeof name, "head-%zu", i);
		put("http", name, heads[i], strlen(heads[i]));
	}
	/* scripts for fuzz_conn: "S" sends the next string, other letters are events (see
	 * fuzz_conn.c: t a loop turn, d the deadline, f a deferred reply, r the client reads,
	 * e the client shuts its side) */
	static const char *const scripts[][8] = {
		{"SGET /a HTTP/1.1\r\n\r\nGET /a HTTP/1.1\r\n\r\nGET /stream HTTP/1.1\r\n\r\n",
		 "trtrtr"},
		{"SPOST /b HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello", "t",
		 "SGET /defer HTTP/1.1\r\n\r\nGET /a HTTP/1.0\r\n\r\n", "tftrtr"},
		{"SPOST /refuse HTTP/1.1\r\nContent-Length: 9999\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxxxx",
		 "tr", "Sxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "tre"},
		{"SGET /a HTTP/1.1\r\n\r\nGET /a HTTP/1.1\r\n\r\nBAD\x01\r\n\r\n", "t",
		 "Sxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "tt"},
		{"SGET /a HTTP/1.1\r\nHost: x", "tdtr"},
		{"SPOST /b HTTP/1.1\r\nContent-Length: 200\r\n\r\nabc", "tdtr"},
	};
	for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
		mem sc = {0};
		for (int k = 0; k < 8 && scripts[i][k] != NULL; k++) {
			const char *p = scripts[i][k];
			if (p[0] == 'S') {
				size_t rest = strlen(++p);
				while (rest > 0) { /* op (k << 3) sends k * 16 + 1 bytes */
					size_t q = (rest - 1) / 16 > 31 ? 31 : (rest - 1) / 16,
					       n = q * 16 + 1;
					uint8_t op = (uint8_t)(q << 3);
					mem_write(&sc, &op, 1);
					mem_write(&sc, (const uint8_t *)p, n);
					p += n;
					rest -= n;
				}
				continue;
			}
			for (; *p; p++) {
				uint8_t op = *p == 't'   ? 4
					     : *p == 'd' ? 5
					     : *p == 'f' ? 6
					     : *p == 'r' ? 7
							 : 0x87;
				mem_write(&sc, &op, 1);
			}
		}
		char name[16];
		snprintf(name, sizeof name, "script-%zu", i);
		put("conn", name, sc.buf, sc.len);
		free(sc.buf);
	}
	/* request bodies for fuzz_api: the first byte picks the parser (see fuzz_api.c) */
	static const char *bodies[] = {
		"\x00/v1/uploads/AAAAAAAAAAAAAAAAAAAAAA/chunks/7",
		"\x01{\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"size\":1048576}",
		"\x02{\"hash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
		"\x03{\"ack_key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
		("\x04{\"mailbox_pk\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
		 "\"challenge\":"
		 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
		 "\"signature\":"
		 "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		 "AAAAAAAA\"}"),
		"\x05{\"ids\":[\"AAAAAAAAAAAAAAAAAAAAAA\",\"BBBBBBBBBBBBBBBBBBBBBB\"]}",
	};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		char name[16];
		snprintf(name, sizeof name, "body-%zu", i);
		/* the first one starts with its selector byte 0x00: count from after it */
		put("api", name, bodies[i], i == 0 ? 1 + strlen(bodies[i] + 1) : strlen(bodies[i]));
	}
	/* a courier reply body around a real reply */
	uint8_t *rb2;
	size_t rl2;
	if (gd_reply_seal(&rb2, &rl2, "x", 1, src->mailbox_id, 20000, jsk, src->reply_pk) != GD_OK)
		return 1;
	char *b64r = malloc(rl2 * 2 + 8), mbb[32], *body = malloc(rl2 * 2 + 128);
	gd_b64_encode(b64r, rl2 * 2 + 8, rb2, rl2);
	gd_b64_encode(mbb, sizeof mbb, src->mailbox_id, 16);
	int bodylen = snprintf(body, rl2 * 2 + 128, "\x06{\"mailbox_id\":\"%s\",\"reply\":\"%s\"}",
			       mbb, b64r);
	put("api", "body-reply", body, (size_t)bodylen);
	free(b64r);
	free(body);
	free(rb2);
	sodium_free(src);
	return 0;
}
