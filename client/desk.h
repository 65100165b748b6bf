/* ghostdrop-desk: what its commands share. desk.c holds the key commands and main(),
 * desk_courier.c the online ones (fetch, ack, push: never a secret key), desk_open.c the
 * offline ones (open, reply: never a network connection). */
#ifndef GD_DESK_H
#define GD_DESK_H

#include <stddef.h>
#include <stdint.h>

#include "gdcrypto.h"

enum {
	EX_OK = 0,
	EX_FAIL = 1,
	EX_USAGE = 2,
	EX_VERIFY = 3,  /* wrong passphrase, a key or bundle that does not verify */
	EX_NET = 4,     /* the drop or the proxy could not be reached */
	EX_REFUSED = 5, /* the drop refused (token, ack key) */
	EX_FILE = 6,
	EX_PARTIAL = 7,  /* open: some submissions could not be opened (the rest were) */
	EX_MISMATCH = 8, /* fetch: the drop's answers contradicted its listing (the rest fetched) */
};

#define DESK_MAX_SERVERS GD_BUNDLE_MAX_SERVERS
#define DESK_MAX_PUBS 32
#define DESK_MAX_KEYS 64
#define DESK_TRIES 3 /* a passphrase typed on a terminal */

typedef struct {
	const char *dir, *name, *out, *passfile;
	long days, expires_days;
	const char *servers[DESK_MAX_SERVERS];
	int n_servers;
	const char *pubs[DESK_MAX_PUBS];
	int n_pubs;
	int json;
	/* courier */
	const char *token_file, *proxy;
	int clearnet;
	/* open, reply */
	const char *ack_out, *as, *source, *message_file;
	long jobs;
	char **args;
	int n_args;
} opts;

typedef struct {
	gd_journalist j;
	int number;      /* key-N */
	int64_t retired; /* 0: the current key */
} jkey;

void desk_path(char *out, size_t cap, const char *dir, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Every key of every journalist in o->dir, sorted by name and number. */
int desk_load_keys(const opts *o, jkey *keys, int *n);
/* A passphrase in sodium_malloc'ed memory (from --passphrase-file, or typed). */
char *desk_passphrase(const opts *o, const char *what, int is_new, int *rc);
/* Open a sealed key file with a passphrase already read; *out is sodium_malloc'ed.
 * Returns EX_OK, or prints the error and returns the exit code. */
int desk_open_key_with(const char *file, gd_key_kind want, const char *pass, uint8_t **out,
		       size_t *len);
/* Open a sealed key, asking for its passphrase (three tries on a terminal, one with
 * --passphrase-file); *out is sodium_malloc'ed; with pass_out, the passphrase that opened it
 * too (sodium_malloc'ed). EX_OK, or the error printed and its exit code. */
int desk_unlock(const opts *o, const char *file, gd_key_kind want, const char *what,
		char **pass_out, uint8_t **out, size_t *len);
/* A known name nearest to name (the same in another case, or a typo of it), or NULL. */
const char *desk_nearest(const char *name, const char *const *known, size_t n);
/* "no journalist 'X'" with the nearest name of keys (or what to do), printed; EX_USAGE. */
int desk_no_journalist(const opts *o, const char *name, const jkey *keys, int n);
/* Before asking for a passphrase: a key file of another kind than want is named as such, with
 * what to do (EX_FILE, printed); anything else (unreadable, damaged) is left to the open. */
int desk_key_kind_check(const char *file, gd_key_kind want, const char *what_to_do);

int cmd_fetch(const opts *o);
int cmd_ack(const opts *o);
int cmd_push(const opts *o);
int cmd_open(const opts *o);
int cmd_reply(const opts *o);

#endif
