/* ghostdrop-demo: a demo newsroom in one directory and one testimony's whole cryptographic
 * journey through it (keys, bundle, codename, envelope, ack key, reply). */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fileio.h"
#include "gdcrypto.h"

#define DAY 86400

static const char *prog = "ghostdrop-demo";
static char dir[2048];
static const char *server = "http://127.0.0.1:8080";

static void die(const char *what, int rc)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, rc ? gd_strerror(rc) : strerror(errno));
	exit(1);
}

static const char *path(const char *name)
{
	static char p[4][2200];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static void put(const char *name, const void *data, size_t len, int mode)
{
	if (gd_file_write_atomic(path(name), data, len, mode, 1) != 0)
		die(path(name), 0);
}

typedef struct {
	FILE *f;
} file_sink;

static int to_file(void *arg, const uint8_t *buf, size_t len)
{
	return fwrite(buf, 1, len, ((file_sink *)arg)->f) == len ? 0 : -1;
}

static ssize_t from_file(void *arg, uint8_t *buf, size_t len)
{
	size_t n = fread(buf, 1, len, ((file_sink *)arg)->f);
	return n == 0 && ferror(((file_sink *)arg)->f) ? -1 : (ssize_t)n;
}

static int show_manifest(void *arg, const gd_manifest *m)
{
	(void)arg;
	printf("   message: \"%s\"\n", m->text);
	for (size_t i = 0; i < m->n_attachments; i++)
		printf("   attachment: %s (%s, %llu bytes)\n", m->attachments[i].name,
		       m->attachments[i].type, (unsigned long long)m->attachments[i].size);
	if (m->has_source) /* gd_envelope_open verified it before calling us */
		printf("   signature by the source's identity key: verified\n");
	else
		printf("   sent without a codename (--no-reply): unsigned, no replies possible\n");
	return 0;
}

static int show_data(void *arg, size_t att, const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)att;
	printf("   attachment content: %.*s", (int)len, (const char *)buf);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s --dir DIR [--server URL] [--passphrase-file F]\n"
		"Creates a demo newsroom in DIR (which must not exist) and runs one\n"
		"testimony through it.\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
					     {"passphrase-file", required_argument, NULL, 'p'},
					     {"server", required_argument, NULL, 's'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *passfile = NULL;
	int c, rc;
	dir[0] = '\0';
	while ((c = getopt_long(argc, argv, "d:p:s:h", opts, NULL)) != -1) {
		if (c == 'd')
			snprintf(dir, sizeof dir, "%s", optarg);
		else if (c == 's')
			server = optarg;
		else if (c == 'p')
			passfile = optarg;
		else
			usage();
	}
	if (dir[0] == '\0' || optind != argc)
		usage();
	if (gd_init() != GD_OK)
		die("libsodium", GD_ERR_CRYPTO);
	if (mkdir(dir, 0700) != 0)
		die(dir, 0);
	put(".ghostdrop-demo", "demo newsroom made by ghostdrop-demo\n", 37, 0600);
	char *pass;
	size_t pass_len;
	if (passfile != NULL) {
		uint8_t *p;
		if (gd_file_read(passfile, 1024, &p, &pass_len) != 0)
			die(passfile, 0);
		while (pass_len > 0 && (p[pass_len - 1] == '\n' || p[pass_len - 1] == '\r'))
			p[--pass_len] = '\0';
		pass = (char *)p;
	} else {
		/* Demo only: a random passphrase kept next to the keys it protects. */
		char words[GD_CODENAME_MAX];
		gd_codename_generate(words, sizeof words);
		pass = strdup(words);
		pass_len = strlen(pass);
		put("PASSPHRASE-demo-only", pass, pass_len, 0600);
	}
	time_t now = time(NULL);

	printf("1. Newsroom root key (Ed25519), sealed with Argon2id + XChaCha20-Poly1305\n");
	uint8_t root_pk[32], *root_sk = sodium_malloc(64), file[512];
	size_t flen;
	char ks[GD_KEYSTRING_LEN + 1];
	crypto_sign_keypair(root_pk, root_sk);
	if ((rc = gd_keyfile_seal(file, sizeof file, &flen, GD_KEY_NEWSROOM_ROOT, root_sk, 64, pass,
				  pass_len, NULL)) != GD_OK)
		die("seal root key", rc);
	put("newsroom.key", file, flen, 0600);
	gd_keystring_encode(ks, root_pk);
	put("newsroom.pub", ks, strlen(ks), 0644);
	printf("   %s  <- publish this; workers pin it\n", ks);

	printf("2. Journalist key (X25519) for \"Ana\", valid 30 days\n");
	gd_journalist ana = {.name = "Ana", .not_before = now - 60, .not_after = now + 30 * DAY};
	uint8_t *ana_sk = sodium_malloc(32);
	crypto_box_keypair(ana.pk, ana_sk);
	if ((rc = gd_keyfile_seal(file, sizeof file, &flen, GD_KEY_JOURNALIST, ana_sk, 32, pass,
				  pass_len, NULL)) != GD_OK)
		die("seal journalist key", rc);
	put("ana.key", file, flen, 0600);
	char *pub = gd_pubfile_encode(&ana);
	put("ana.pub", pub, strlen(pub), 0644);
	free(pub);
	sodium_memzero(ana_sk, 32);

	printf("3. Key bundle v1, signed by the root key, expires in 30 days\n");
	gd_bundle *b = calloc(1, sizeof *b);
	b->version = 1;
	b->created = now - 60;
	b->expires = now + 30 * DAY;
	snprintf(b->newsroom, sizeof b->newsroom, "Demo Newsroom");
	b->n_servers = 1;
	snprintf(b->servers[0], sizeof b->servers[0], "%s", server);
	b->n_journalists = 1;
	b->journalists[0] = ana;
	uint8_t *bundle;
	size_t blen;
	if ((rc = gd_bundle_sign(&bundle, &blen, b, root_sk)) != GD_OK)
		die("sign bundle", rc);
	put("bundle.gdkb", bundle, blen, 0644);
	sodium_free(root_sk);

	printf("4. Worker: verifies the bundle against the pinned key string\n");
	uint8_t pinned[32];
	if ((rc = gd_keystring_decode(pinned, ks)) != GD_OK ||
	    (rc = gd_bundle_verify(b, bundle, blen, pinned, now, 0)) != GD_OK)
		die("verify bundle", rc);
	printf("   bundle v%llu of \"%s\": %zu journalist key(s), server %s\n",
	       (unsigned long long)b->version, b->newsroom, b->n_journalists, b->servers[0]);
	char *codename = sodium_malloc(GD_CODENAME_MAX);
	gd_codename_generate(codename, GD_CODENAME_MAX);
	gd_source_keys *src = sodium_malloc(sizeof *src);
	if ((rc = gd_codename_derive(src, codename, pinned)) != GD_OK)
		die("derive codename", rc);
	printf("   codename (shown once, written down by the worker): %s\n", codename);

	printf("5. Worker: seals a testimony with an attachment to every valid key\n");
	static const char note[] = "Shift log: 9h, paid for 6h of 'active' time.\n";
	gd_attachment att = {"shift-log.txt", "text/plain", sizeof note - 1};
	gd_manifest m = {.kind = GD_KIND_TESTIMONY,
			 .n_attachments = 1,
			 .attachments = &att,
			 .has_source = 1};
	m.text = "We moderate 900 videos a shift. Nobody told us who the client is.";
	m.text_len = strlen(m.text);
	randombytes_buf(m.submission_id, sizeof m.submission_id);
	gd_manifest_set_source(&m, src);
	file_sink fs = {fopen(path("testimony.gde"), "wx")};
	if (fs.f == NULL)
		die(path("testimony.gde"), 0);
	gd_seal *s;
	uint8_t pks[1][32];
	memcpy(pks[0], ana.pk, 32);
	if ((rc = gd_seal_new(&s, (const uint8_t(*)[32])pks, 1, &m, src, to_file, &fs)) != GD_OK ||
	    (rc = gd_seal_write(s, (const uint8_t *)note, sizeof note - 1)) != GD_OK ||
	    (rc = gd_seal_finish(s)) != GD_OK)
		die("seal testimony", rc);
	gd_seal_free(s);
	if (fclose(fs.f) != 0)
		die("write testimony", 0);
	struct stat st;
	stat(path("testimony.gde"), &st);
	printf("   %s: %lld bytes of ciphertext (padded to a 16 KiB bucket)\n",
	       path("testimony.gde"), (long long)st.st_size);

	printf("6. Journalist (offline): unseals Ana's key with the passphrase, opens it\n");
	uint8_t *kf, *sk = sodium_malloc(GD_KEYFILE_MAX_SECRET);
	size_t kflen, sklen;
	gd_key_kind kind;
	if (gd_file_read(path("ana.key"), 4096, &kf, &kflen) != 0)
		die(path("ana.key"), 0);
	if ((rc = gd_keyfile_open(sk, GD_KEYFILE_MAX_SECRET, &sklen, &kind, kf, kflen, pass,
				  pass_len)) != GD_OK)
		die("open ana.key", rc);
	free(kf);
	fs.f = fopen(path("testimony.gde"), "r");
	gd_open_sink sink = {show_manifest, show_data, NULL};
	gd_open_result res;
	uint8_t sks[1][32];
	memcpy(sks[0], sk, 32);
	rc = gd_envelope_open(from_file, &fs, (const uint8_t(*)[32])sks, (const uint8_t(*)[32])pks,
			      1, &sink, &res);
	sodium_memzero(sks, sizeof sks);
	fclose(fs.f);
	if (rc != GD_OK)
		die("open testimony", rc);
	printf("   ack key derived: the proof that lets a courier delete it from the server\n");

	printf("7. Journalist: replies; worker opens it with the codename\n");
	uint8_t *reply;
	size_t rlen;
	static const char answer[] = "Thank you. Please only contact us from a personal device.";
	if ((rc = gd_reply_seal(&reply, &rlen, answer, sizeof answer - 1, src->mailbox_id,
				gd_day(now), sk, src->reply_pk)) != GD_OK)
		die("seal reply", rc);
	sodium_free(sk);
	gd_reply r;
	if ((rc = gd_reply_open(&r, reply, rlen, src, b)) != GD_OK)
		die("open reply", rc);
	printf("   %s replied: \"%s\" (%zu bytes on the wire)\n", b->journalists[r.journalist].name,
	       r.text, rlen);
	gd_reply_clear(&r);
	free(reply);
	free(bundle);
	free(b);
	sodium_free(src);
	sodium_free(codename);
	sodium_memzero(pass, pass_len);
	free(pass);
	printf("\nThe demo newsroom is in %s/\n", dir);
	return 0;
}
