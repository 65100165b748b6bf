/* ghostdrop client: the resume record. See resume.h. */
#include "resume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

#define CTX "ghostdrop/v1/resume-record"
#define MAGIC "GDRS"
#define VERSION 1
/* seed, submission id, total, upload id, codename, zeros: one size whatever it holds */
#define PLAIN 256
#define FILE_LEN (4 + 1 + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + PLAIN)

_Static_assert(GD_SEAL_SEED_BYTES + 16 + 8 + 32 + GD_CODENAME_MAX <= PLAIN, "record layout");

void gd_resume_init(crypto_generichash_state *st)
{
	crypto_generichash_init(st, NULL, 0, 64);
	crypto_generichash_update(st, (const uint8_t *)CTX, sizeof CTX);
}

static void put_len(crypto_generichash_state *st, uint64_t n)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(n >> (8 * i));
	crypto_generichash_update(st, b, sizeof b);
}

void gd_resume_part(crypto_generichash_state *st, const void *p, size_t n)
{
	put_len(st, n);
	crypto_generichash_update(st, p, n);
}

int gd_resume_locate(gd_resume *r, const char *dir, crypto_generichash_state *st)
{
	uint8_t h[64];
	char hex[33];
	crypto_generichash_final(st, h, sizeof h);
	sodium_bin2hex(hex, sizeof hex, h, 16); /* the name: half of the hash */
	memcpy(r->key, h + 32, 32);             /* the key: the other half */
	memcpy(r->content, h, sizeof r->content);
	sodium_memzero(h, sizeof h);
	return snprintf(r->path, sizeof r->path, "%s/resume-%s", dir, hex) >= (int)sizeof r->path
		       ? -1
		       : 0;
}

void gd_resume_seal_seed(const gd_resume *r, uint8_t out[GD_SEAL_SEED_BYTES])
{
	static const char ctx[] = "ghostdrop/v1/resume-seal";
	crypto_generichash_state st;
	crypto_generichash_init(&st, r->seed, sizeof r->seed, GD_SEAL_SEED_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof ctx);
	crypto_generichash_update(&st, r->content, sizeof r->content);
	crypto_generichash_final(&st, out, GD_SEAL_SEED_BYTES);
}

void gd_resume_chunk_key(const gd_resume *r, uint8_t out[32])
{
	static const char ctx[] = "ghostdrop/v1/resume-chunk-key";
	crypto_generichash_state st;
	crypto_generichash_init(&st, r->seed, sizeof r->seed, 32);
	crypto_generichash_update(&st, (const uint8_t *)ctx, sizeof ctx);
	crypto_generichash_update(&st, r->content, sizeof r->content);
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof st);
}

int gd_resume_read(gd_resume *r)
{
	uint8_t *f, plain[PLAIN];
	size_t len;
	if (gd_file_read(r->path, FILE_LEN, &f, &len) != 0)
		return errno == ENOENT ? 0 : (errno == EFBIG ? (errno = EBADMSG, -1) : -1);
	const uint8_t *n = f + 5;
	int ok = len == FILE_LEN && memcmp(f, MAGIC, 4) == 0 && f[4] == VERSION &&
		 crypto_secretbox_open_easy(plain, n + crypto_secretbox_NONCEBYTES,
					    PLAIN + crypto_secretbox_MACBYTES, n, r->key) == 0;
	free(f);
	if (!ok) {
		errno = EBADMSG;
		return -1;
	}
	const uint8_t *p = plain;
	memcpy(r->seed, p, sizeof r->seed);
	p += sizeof r->seed;
	memcpy(r->sub_id, p, 16);
	p += 16;
	r->total = 0;
	for (int i = 0; i < 8; i++)
		r->total |= (uint64_t)p[i] << (8 * i);
	p += 8;
	memcpy(r->up, p, sizeof r->up);
	p += sizeof r->up;
	memcpy(r->codename, p, sizeof r->codename);
	sodium_memzero(plain, sizeof plain);
	r->up[sizeof r->up - 1] = '\0';
	r->codename[sizeof r->codename - 1] = '\0';
	return 1;
}

int gd_resume_write(const gd_resume *r)
{
	uint8_t plain[PLAIN] = {0}, f[FILE_LEN];
	uint8_t *p = plain;
	memcpy(p, r->seed, sizeof r->seed);
	p += sizeof r->seed;
	memcpy(p, r->sub_id, 16);
	p += 16;
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(r->total >> (8 * i));
	p += 8;
	memcpy(p, r->up, strnlen(r->up, sizeof r->up - 1));
	p += sizeof r->up;
	memcpy(p, r->codename, strnlen(r->codename, sizeof r->codename - 1));
	memcpy(f, MAGIC, 4);
	f[4] = VERSION;
	randombytes_buf(f + 5, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(f + 5 + crypto_secretbox_NONCEBYTES, plain, PLAIN, f + 5, r->key);
	sodium_memzero(plain, sizeof plain);
	return gd_file_write_atomic(r->path, f, sizeof f, 0600, 0);
}

void gd_resume_remove(const gd_resume *r)
{
	if (r->path[0] != '\0')
		unlink(r->path);
}

void gd_resume_sweep(const char *dir, long max_age)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (strncmp(e->d_name, "resume-", 7) == 0 &&
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && now - st.st_mtime > max_age)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}
