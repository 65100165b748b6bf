/* ghostdrop: a submission's attachments made ready to seal, on the worker's machine, before
 * anything is sent: each file checked, its metadata removed (JPEG and PNG by strip.c, other
 * formats by mat2 on a private copy in RAM-backed storage, plain text checked to be text) and
 * its size as sent measured; then shown to the worker, who confirms. */
#ifndef GD_ATTACH_H
#define GD_ATTACH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "gdcrypto.h"
#include "strip.h"

#define ATTACH_MAX 64      /* attachments in one submission */
#define ATTACH_CANCELLED 7 /* ghostdrop's exit code for a "no" at the question */

/* The worker's choices (ghostdrop submit's options). */
typedef struct {
	int keep_names; /* --keep-names: the real file names travel */
	/* --keep-metadata FILE (repeatable): FILE goes as it is, but only when it cannot be
	 * cleaned (mat2 missing, a format nothing here knows, damaged, not the text its name
	 * says). The bare --keep-metadata (keep_any): the same for every such file. A file
	 * that can be cleaned is always cleaned. */
	const char *keep[ATTACH_MAX];
	int n_keep, keep_any;
} attach_opts;

typedef enum {
	ATTACH_STRIPPED = 1, /* JPEG or PNG, cleaned here (strip.c) */
	ATTACH_MAT2,         /* cleaned by mat2 */
	ATTACH_TEXT,         /* plain text, checked: no hidden metadata, marks or escapes */
	ATTACH_AS_IS         /* could not be cleaned, named by --keep-metadata: as it is */
} attach_how;

/* What the worker is shown about one file. */
typedef struct {
	const char *file; /* as given */
	attach_how how;
	unsigned found;  /* ATTACH_STRIPPED: STRIP_F_ bits removed */
	char mat2[256];  /* ATTACH_MAT2: what mat2 --show listed, ", " between */
	const char *why; /* ATTACH_AS_IS: why it could not be cleaned; ATTACH_MAT2: a note */
} attach_info;

typedef struct {
	int n;
	int keep_names;
	gd_attachment *atts;  /* the manifest's entries (name, type, size as sent), n + 1 */
	strip_kind *kinds;    /* STRIP_OTHER: sealed from sources[i] as it is */
	const char **sources; /* what is sealed: the file, or its cleaned copy */
	char (*cleaned)[512]; /* the cleaned copies' paths */
	attach_info *info;
	/* what is sealed, held open since it was checked (the file, or its cleaned copy), never
	 * opened again by its name: a file replaced after its check is not what gets sent; and
	 * its fstat then (size, mtime, ctime), to refuse one written over in place */
	int *fds;
	struct stat *st;
	uint64_t total; /* the attachments' bytes as sent */
} attach_set;

/* Before anything else: remove the scratch directories that runs killed before they could
 * (kill -9, a power cut) left in $XDG_RUNTIME_DIR or /dev/shm with cleaned copies of files
 * in them; only those provably abandoned (ghostdrop-PID-XXXXXX of this user's, mode 0700, no
 * process PID, its lock free), never through a symbolic link. One line on stderr if any. */
void attach_sweep(void);
/* The same file named twice (the same path, or two names of one file: st_dev and st_ino) is
 * sent once: files[] keeps each file's first naming, in order; returns their number. Said on
 * stderr, except for --keep-metadata F F (F named again among the files, as documented). */
int attach_unique(char **files, int n, const attach_opts *ao);
/* Check files[0..n-1], find each one's kind, clean and measure it. An exit code of ghostdrop
 * (0, or 1, 2, 6 with the message said on stderr). Installs a SIGINT/SIGTERM/SIGHUP handler
 * that removes the cleaned copies. */
int attach_prepare(attach_set *as, char **files, int n, const attach_opts *ao);
/* On a terminal (/dev/tty), when files are attached: show what will be sent (the message's
 * size, each file's name as sent, size, and what was removed), then, unless yes, ask
 * "Send these? [y/N]". 0 to go on; ATTACH_CANCELLED (said on stderr) for anything but yes.
 * Without a terminal: 0, nothing shown. */
int attach_confirm(const attach_set *as, size_t text_len, int yes);
/* The per-file information as a JSON array (name, size, kind, removed, note, and original
 * only with --keep-names); NULL when out of memory. */
json_t *attach_json(const attach_set *as);
/* "43 bytes", "14.2 KiB", "2.1 MiB": into out. */
const char *attach_human_size(uint64_t n, char *out, size_t cap);
/* The text files (plain text, or named like text and sent as they are) checked for the
 * worker's codename: EX_OK, or 6 (said, naming the file) when one holds limit or more of its
 * words, however written (gd_codename_words_in_text). */
int attach_codename_check(const attach_set *as, const char *codename, int limit);
/* name as it may be shown on a terminal: control characters (C0, DEL, C1), bidirectional
 * controls and bytes that are not UTF-8 made '?'; into out, returned. */
const char *attach_safe_name(const char *name, char *out, size_t cap);
/* Attachment i's bytes as sealed (cleaned by strip.c, or as they are), read from the
 * descriptor held since the check, to out. EX_OK; EX_FILE, said on stderr ("FILE changed
 * after it was checked"), when it changed since (size, mtime or ctime, before or after the
 * reading) or does not give exactly the size measured then; -1 when out failed (not said). */
int attach_stream(const attach_set *as, int i, int (*out)(void *arg, const uint8_t *b, size_t n),
		  void *arg);
/* Remove the cleaned copies, close the held files and free the set (a zeroed set is fine). */
void attach_free(attach_set *as);

#endif
