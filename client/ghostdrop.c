/* ghostdrop: the worker's command line. Sends a testimony to a newsroom's drop, end-to-end
 * encrypted to the journalists of a bundle checked against the pinned newsroom key, and reads
 * the newsroom's replies. Writes nothing to disk it was not asked to write. docs/ghostdrop.1. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "fileio.h"
#include "progress.h"
#include "prompt.h"
#include "attach.h"
#include "strip.h"
#include "textenc.h"
#include "gdcrypto.h"
#include "drop.h"
#include "upload.h"
#include "resume.h"

enum {
	EX_OK = 0,
	EX_FAIL = 1,
	EX_USAGE = 2,
	EX_VERIFY = 3,
	EX_NET = 4,
	EX_REFUSED = 5,
	EX_FILE = 6
};

#define MAX_MESSAGE GD_ENV_MAX_TEXT
#define MAX_FILES 64
/* --codename given a value: the codename may now be in the shell's history. */
#define CODENAME_TYPED_HERE                                                                        \
	_("--codename takes no value: type the codename at its prompt. If it was your codename, "  \
	  "it is now in this terminal's history: run history -c and close the terminal")

typedef struct {
	const char *server, *newsroom, *message_file, *codename_out, *codename_file, *proxy,
		*state_dir;
	int codename_prompt, no_reply, clearnet, unlisted, json, ack, yes;
	attach_opts attach; /* --keep-metadata [FILE], --keep-names */
	uint64_t min_version;
	char **files;
	int n_files;
	const char *newsroom_file, *cmd; /* --newsroom-file F; the command (for verify_drop) */
} opts;

static drop_conn dc;
static uint8_t newsroom_pk[32];
static gd_bundle *bundle;

/* Help texts: each line within 80 columns (check_flow and tests/i18n assert it, in every
 * language), one msgid each. */
static const char *const USAGE =
	/* TRANSLATORS: ghostdrop's help. Every line at most 80 columns. Keep ghostdrop, the
	   commands (submit, replies, help), the options (--server...), URL, KEY, COMMAND, FILE and
	   the exit codes as they are; translate the descriptions. */
	N_("ghostdrop: send a testimony to a newsroom, anonymously, and read its replies.\n"
	   "\n"
	   "usage: ghostdrop submit --server URL --newsroom KEY [options] [FILE...]\n"
	   "       ghostdrop replies --server URL --newsroom KEY --codename [options]\n"
	   "       ghostdrop help [COMMAND]\n"
	   "       ghostdrop --version\n"
	   "\n"
	   "commands:\n"
	   "  submit   send a testimony (typed, from a file or standard input) and files\n"
	   "  replies  read the newsroom's replies to your codename\n"
	   "  help     this text; a command's options: ghostdrop help COMMAND\n"
	   "\n"
	   "exit: 0 ok, 1 failure, 2 usage, 3 newsroom key or bundle did not verify,\n"
	   "      4 Tor or network unreachable, 5 the drop refused, 6 a local file problem,\n"
	   "      7 not confirmed at \"Send these?\", 130 interrupted (Ctrl-C stops at once).\n"
	   "      See ghostdrop(1).\n");

/* The languages of --lang, each by its own name, under the usage: not translated, so that a
 * worker who reads no English finds theirs in the English help (a computer in English, as
 * Tails starts by default). */
static const char LANGUAGES_LINES[] =
	"\n"
	"--lang  en English, es Español, pt_BR Português (Brasil), fil Filipino,\n"
	"        sw Kiswahili, fr Français\n";

static const char *const HELP_COMMON =
	/* TRANSLATORS: the options of both commands (end of "ghostdrop help submit" and "help
	   replies"). Every line at most 80 columns; keep the options, F, IP:PORT, N, D and the
	   addresses; the descriptions start in column 23 (align them with spaces as in English). */
	N_("  --newsroom-file F   read the newsroom key from the first line of file F\n"
	   "  --proxy IP:PORT     Tor's SOCKS port (default 127.0.0.1:9050; Tor Browser:\n"
	   "                      127.0.0.1:9150)\n"
	   "  --clearnet          a server that is not an onion address, without Tor (tests)\n"
	   "  --unlisted-server   a server the newsroom's bundle does not list\n"
	   "  --min-bundle-version N  refuse a bundle older than version N\n"
	   "  --state-dir D       a folder of yours (not on a work computer) where an\n"
	   "                      interrupted upload is kept to continue, encrypted, and the\n"
	   "                      newest bundle version seen\n");

static const char *const HELP_SUBMIT =
	/* TRANSLATORS: "ghostdrop help submit". Every line at most 80 columns; keep the command
	   line of "usage:", the options and F as they are; descriptions start in column 23. */
	N_("usage: ghostdrop submit --server URL --newsroom KEY [options] [FILE...]\n"
	   "Send a testimony, encrypted on this computer to the newsroom's journalists.\n"
	   "Type it when asked, or give --message-file F or standard input; FILEs are\n"
	   "attached. With --codename, the codename is asked for first.\n"
	   "\n"
	   "codename (how the newsroom can answer you; at most one of these):\n"
	   "  (none)              a new codename, shown once on this terminal\n"
	   "  --codename-out F    a new codename, written to the new file F\n"
	   "  --codename          type your codename (not shown): a follow-up\n"
	   "  --codename-file F   your codename from file F: a follow-up\n"
	   "  --no-reply          no codename: the newsroom cannot answer\n"
	   "\n"
	   "options:\n"
	   "  --message-file F    the testimony from file F (text, at most 128 KiB)\n"
	   "  --keep-metadata F   send F as it is if it cannot be cleaned (once per file);\n"
	   "                      files that can be cleaned always are\n"
	   "  --keep-names        send the files' real names (default: attachment-1.jpg...)\n"
	   "  --yes               send without asking (the files are still listed)\n"
	   "  --json              one line of JSON on standard output\n");

static const char *const HELP_REPLIES =
	/* TRANSLATORS: "ghostdrop help replies". Every line at most 80 columns; keep the command
	   line of "usage:", the options, F and YYYY-MM-DD as they are. */
	N_("usage: ghostdrop replies --server URL --newsroom KEY --codename [options]\n"
	   "Read the newsroom's replies to your codename. Only replies written by a\n"
	   "journalist of the newsroom's signed bundle are shown.\n"
	   "\n"
	   "options:\n"
	   "  --codename          type your codename when asked (not shown)\n"
	   "  --codename-file F   your codename from file F\n"
	   "  --ack               delete the replies shown from the drop\n"
	   "  --json              one line of JSON on standard output (days as YYYY-MM-DD)\n");

/* ---- talking to the drop ---- */

/* Not an exit code: the drop no longer knows an upload (it restarted, or a new circuit reached
 * another daemon behind the same onion address); cmd_submit sends the testimony again. */
#define LOST_UPLOAD 100

/* A call that failed: said on stderr, with its documented exit code (drop.h), except a lost
 * upload, which cmd_submit sends again. */
static int drop_failed(const drop_err *e)
{
	if (e->http_status == 404 && drop_refused_with(e, "upload_not_found"))
		return LOST_UPLOAD;
	return drop_die(e);
}

static int state_path(const opts *o, char *out, size_t cap)
{
	char hex[17];
	uint8_t h[8];
	crypto_generichash(h, sizeof h, newsroom_pk, 32, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	return snprintf(out, cap, "%s/bundle-version-%s", o->state_dir, hex) >= (int)cap ? -1 : 0;
}

/* A file name where the key goes: one that exists, has a '/', or a file's extension. */
static int looks_like_file(const char *s)
{
	static const char *const ext[] = {".txt", ".pub", ".key", ".asc", ".pem", ".md", ".text"};
	size_t n = strlen(s);
	if (access(s, F_OK) == 0 || strchr(s, '/') != NULL)
		return 1;
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
		if (n > strlen(ext[i]) && strcasecmp(s + n - strlen(ext[i]), ext[i]) == 0)
			return 1;
	return 0;
}

/* The pinned newsroom key: --newsroom KEY, or the first line of --newsroom-file F. */
static int newsroom_key(const opts *o)
{
	if (o->newsroom != NULL && o->newsroom_file != NULL)
		return cli_die(EX_USAGE, _("give --newsroom KEY or --newsroom-file F, not both"));
	if (o->newsroom_file != NULL) {
		uint8_t *f;
		size_t n;
		if (gd_file_read(o->newsroom_file, 4096, &f, &n) != 0)
			return cli_die(EX_FILE, _("--newsroom-file %s: %s"), o->newsroom_file,
				       errno == EFBIG ? _("too large to be a newsroom key")
						      : cli_strerror(errno));
		char *k = (char *)f + strspn((char *)f, " \t\r\n"), *e = k + strcspn(k, "\r\n");
		while (e > k && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		int ok = gd_keystring_decode(newsroom_pk, k) == GD_OK;
		free(f);
		return ok ? EX_OK
			  : cli_die(EX_USAGE,
				    _("--newsroom-file %s: its first line is not a newsroom key "
				      "(check that you saved the key the newsroom published)"),
				    o->newsroom_file);
	}
	if (gd_keystring_decode(newsroom_pk, o->newsroom) == GD_OK)
		return EX_OK;
	if (looks_like_file(o->newsroom))
		return cli_die(EX_USAGE,
			       _("--newsroom takes the key itself, and %s looks like a file name: "
				 "to read the key from a file, use --newsroom-file %s"),
			       o->newsroom, o->newsroom);
	return cli_die(EX_USAGE, _("--newsroom: not a valid newsroom key (check it for typos)"));
}

/* Fetch the bundle, verify it against the pinned key, check the server is one of its own. */
static int verify_drop(const opts *o)
{
	gd_response r;
	drop_err de;
	char err[256];
	uint64_t min = o->min_version;
	int rc = newsroom_key(o);
	if (rc != EX_OK)
		return rc;
	if (drop_open(&dc, o->server, o->proxy, o->clearnet, err, sizeof err) != 0)
		return cli_die(EX_USAGE, "%s", err);
	char spath[4096];
	if (o->state_dir != NULL) {
		uint8_t *v;
		size_t vl;
		if (state_path(o, spath, sizeof spath) != 0)
			return cli_die(EX_USAGE, _("--state-dir: path too long"));
		if (gd_file_read(spath, 64, &v, &vl) == 0) {
			uint64_t known = strtoull((char *)v, NULL, 10);
			min = known > min ? known : min;
			free(v);
		}
	}
	if (drop_get_bundle(&dc, &r, &de) != DROP_OK)
		return drop_die(&de);
	if ((bundle = calloc(1, sizeof *bundle)) == NULL) {
		gd_response_free(&r);
		return cli_die(EX_FAIL, _("out of memory"));
	}
	int64_t now = (int64_t)time(NULL);
	rc = gd_bundle_verify(bundle, r.body, r.len, newsroom_pk, now, min);
	gd_response_free(&r);
	/* replies are not read with an expired (or too old) bundle either: it may list a
	 * journalist key the newsroom has since withdrawn (lost, or a journalist who left), and
	 * whoever holds such a key, serving the old bundle, could write replies as the newsroom
	 * ("send the rest to ...") that this worker would take for real. The replies wait on the
	 * drop (reply_days) for a new bundle; ghostdrop(1), THREAT_MODEL.md. */
	int reading = o->cmd != NULL && strcmp(o->cmd, "replies") == 0;
	if (rc == GD_ERR_EXPIRED) {
		/* signed by the newsroom (checked first), only out of its dates: not an attack on
		 * this worker, and the way out is to wait or fix the clock, never another key */
		char signed_on[16], until[16], clock[32];
		time_t c = (time_t)bundle->created, e = (time_t)bundle->expires, t = (time_t)now;
		strftime(signed_on, sizeof signed_on, "%Y-%m-%d", gmtime(&c));
		strftime(until, sizeof until, "%Y-%m-%d", gmtime(&e));
		strftime(clock, sizeof clock, "%Y-%m-%d %H:%M UTC", gmtime(&t));
		if (now < bundle->created - GD_CLOCK_SKEW)
			return cli_die(EX_VERIFY,
				       _("the newsroom's key bundle was signed on %s, after this "
					 "computer's clock (%s): correct this computer's date and "
					 "time, then try again. %s"),
				       signed_on, clock,
				       reading ? _("No replies were read") : _("Nothing was sent"));
		int expired = now > bundle->expires + GD_CLOCK_SKEW;
		return cli_die(
			EX_VERIFY,
			/* TRANSLATORS: the last %s is "nothing was sent" or "replies are not read
			   with an expired or too old bundle, ..." (translated separately). */
			expired ? _("the newsroom's key bundle on this drop expired on %s "
				    "(signed on %s; refused after %d days); this "
				    "computer's clock says %s. Either this computer's "
				    "clock is wrong (correct its date and time) or the "
				    "newsroom must publish a new bundle (try again in a "
				    "few days); your newsroom key is fine, and %s. Do not "
				    "use another key or server found elsewhere")
				/* TRANSLATORS: as the message before, for a bundle still
				   valid but older than the client accepts. */
				: _("the newsroom's key bundle on this drop is too old, "
				    "valid until %s (signed on %s; refused after %d days); "
				    "this computer's clock says %s. Either this computer's "
				    "clock is wrong (correct its date and time) or the "
				    "newsroom must publish a new bundle (try again in a "
				    "few days); your newsroom key is fine, and %s. Do not "
				    "use another key or server found elsewhere"),
			until, signed_on, GD_BUNDLE_MAX_AGE / 86400, clock,
			reading ? _("replies are not read with an expired or too old "
				    "bundle, which may list a journalist key the newsroom "
				    "has since withdrawn (replies wait on the drop for weeks, "
				    "30 days by default: read them when the new bundle is out)")
				: _("nothing was sent"));
	}
	if (rc == GD_ERR_SIGNATURE)
		return cli_die(EX_VERIFY,
			       _("the drop's key bundle does not verify against this newsroom key "
				 "(another key signed it): check that you copied the newsroom key "
				 "correctly, from a place the newsroom published it. If it is "
				 "right, this drop is not the newsroom's: do not send anything"));
	if (rc != GD_OK)
		return cli_die(
			EX_VERIFY,
			_("the drop's key bundle does not verify against the newsroom key: %s"),
			_(gd_strerror(rc)));
	char self[300], plain[300];
	snprintf(self, sizeof self, strchr(dc.url.host, ':') ? "http://[%s]:%u" : "http://%s:%u",
		 dc.url.host, dc.url.port);
	snprintf(plain, sizeof plain, strchr(dc.url.host, ':') ? "http://[%s]" : "http://%s",
		 dc.url.host);
	/* port 80 is also listed without it (a bare NAME.onion, or http://NAME.onion) */
	if (!gd_bundle_lists_server(bundle, self) &&
	    !(dc.url.port == 80 && (gd_bundle_lists_server(bundle, plain) ||
				    gd_bundle_lists_server(bundle, o->server))) &&
	    !o->unlisted)
		return cli_die(EX_VERIFY,
			       _("%s is not one of the newsroom's servers in its signed bundle; "
				 "use --unlisted-server only if the newsroom told you so"),
			       o->server);
	if (o->state_dir != NULL) {
		char v[32];
		int n = snprintf(v, sizeof v, "%llu\n", (unsigned long long)bundle->version);
		if (mkdir(o->state_dir, 0700) != 0 && errno != EEXIST)
			return cli_die(EX_FILE, "%s: %s", o->state_dir, cli_strerror(errno));
		if (gd_file_write_atomic(spath, (const uint8_t *)v, (size_t)n, 0600, 0) != 0)
			return cli_die(EX_FILE, "%s: %s", spath, cli_strerror(errno));
	}
	return EX_OK;
}

/* --json: the answer on one line of stdout; j (taken) NULL when it could not be built, said
 * with oom (an "out of memory" message). */
static int print_json(json_t *j, const char *oom)
{
	char *js = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (js == NULL)
		return cli_die(EX_FAIL, "%s", oom);
	printf("%s\n", js);
	free(js);
	return EX_OK;
}

/* ---- codenames ---- */

#define CODENAME_TRIES 3

/* What is wrong with a codename as typed: the number of words, and every word not in the list
 * by its position with the nearest list word; never the typed word itself. */
static void say_bad_codename(const char *raw, size_t len)
{
	int n;
	unsigned bad = gd_codename_bad_words(raw, len, &n);
	if (n != GD_CODENAME_WORDS)
		cli_die(0, _("a codename is exactly %d words; this has %d"), GD_CODENAME_WORDS, n);
	for (int i = 0; i < GD_CODENAME_WORDS; i++) {
		const char *near = bad & (1u << i) ? gd_codename_suggest(raw, len, i) : NULL;
		if (near != NULL)
			/* TRANSLATORS: the last %s is an English word of the codename list: keep
			   it in the straight quotes or your language's quotes. */
			cli_die(0,
				_("codename word %d is not in the word list; did you mean \"%s\"?"),
				i + 1, near);
	}
}

/* The worker's codename, canonical, into canon: from --codename-file, or typed at its prompt
 * (CODENAME_TRIES tries). sending: submit (the last words say that nothing was sent). */
static int load_codename(const opts *o, char *canon, int sending)
{
	char *raw = sodium_malloc(1024);
	size_t len = 0;
	int bad, rc = EX_USAGE;
	if (raw == NULL)
		return cli_die(EX_FAIL, _("out of memory"));
	for (int tries = 1; rc == EX_USAGE; tries++) {
		if (o->codename_file != NULL) {
			uint8_t *f;
			if (gd_file_read(o->codename_file, 1000, &f, &len) != 0) {
				rc = cli_die(EX_FILE, "%s: %s", o->codename_file,
					     cli_strerror(errno));
				break;
			}
			memcpy(raw, f, len);
			sodium_memzero(f, len);
			free(f);
		} else {
			int p = gd_prompt_secret(_("Codename (not shown as you type): "), raw,
						 1024);
			if (p != 0) {
				rc = p == -2 ? cli_die(EX_FAIL, "%s",
						       sending ? _("interrupted; nothing was sent")
							       : _("interrupted"))
					     : cli_die(EX_USAGE, _("--codename needs a terminal to "
								   "type it on"));
				break;
			}
			len = strlen(raw);
		}
		if (gd_codename_normalise(canon, GD_CODENAME_MAX, raw, len, &bad) == GD_OK) {
			rc = EX_OK;
			break;
		}
		say_bad_codename(raw, len);
		sodium_memzero(raw, 1024);
		if (o->codename_file != NULL)
			rc = cli_die(EX_USAGE,
				     sending ? _("check the codename in %s; nothing was sent")
					     : _("check the codename in %s"),
				     o->codename_file);
		else if (tries == CODENAME_TRIES)
			rc = cli_die(EX_USAGE,
				     sending ? _("the codename was not accepted after %d tries; "
						 "nothing was sent")
					     : _("the codename was not accepted after %d tries"),
				     CODENAME_TRIES);
		else
			cli_die(0,
				P_("try again (%d try left)", "try again (%d tries left)",
				   (unsigned long)(CODENAME_TRIES - tries)),
				CODENAME_TRIES - tries);
		if (o->codename_file != NULL || tries == CODENAME_TRIES)
			break;
	}
	sodium_free(raw);
	return rc;
}

/* ---- the testimony ---- */

/* The message, from --message-file or standard input, into *text (sodium_malloc'ed), made
 * UTF-8 (textenc.h: Windows editors save UTF-16). Read up to twice the limit, the size of the
 * longest UTF-16 form of a message within it. */
#define MESSAGE_RAW_MAX (2 * MAX_MESSAGE + 2)

static int read_message(const opts *o, char **text, size_t *len)
{
	const char *name = o->message_file != NULL ? o->message_file : _("standard input");
	uint8_t *buf, *u;
	size_t n = 0, ul;
	const char *why;
	if (o->message_file != NULL) {
		if (gd_file_read(o->message_file, MESSAGE_RAW_MAX, &buf, &n) != 0)
			return errno == ENOMEM
				       ? cli_die(EX_FAIL, _("out of memory"))
				       : cli_die(EX_FILE, "%s: %s", o->message_file,
						 errno == EFBIG ? _("longer than 128 KiB: "
								    "send it as an attachment")
								: cli_strerror(errno));
	} else {
		if (isatty(0))
			cli_say(stderr, _("Type your testimony; end it with Ctrl-D on a line of "
					  "its own.\n"));
		size_t cap = MESSAGE_RAW_MAX + 1;
		ssize_t k;
		if ((buf = malloc(cap)) == NULL)
			return cli_die(EX_FAIL, _("out of memory"));
		while (n < cap && (k = read(0, buf + n, cap - n)) > 0)
			n += (size_t)k;
		if (n > MESSAGE_RAW_MAX) {
			sodium_memzero(buf, n);
			free(buf);
			return cli_die(
				EX_FILE,
				_("the message is longer than 128 KiB: send it as an attachment"));
		}
	}
	int rc = gd_text_to_utf8(buf, n, &u, &ul, &why);
	sodium_memzero(buf, n);
	free(buf);
	if (rc != 0 && why == NULL)
		return cli_die(EX_FAIL, _("out of memory"));
	if (rc != 0)
		return cli_die(
			EX_FILE,
			/* TRANSLATORS: the first %s is a file name (or "standard input"), the
			   second what is wrong with its text (translated separately). */
			_("%s %s: open it in your text editor and save it as UTF-8 (often "
			  "\"Save as\", then Encoding: UTF-8), then try again; nothing was sent"),
			name, _(why));
	if (ul > MAX_MESSAGE) {
		sodium_memzero(u, ul);
		free(u);
		return cli_die(EX_FILE, _("%s: longer than 128 KiB: send it as an attachment"),
			       name);
	}
	*text = sodium_malloc(ul + 1);
	if (*text != NULL)
		memcpy(*text, u, ul + 1);
	*len = ul;
	sodium_memzero(u, ul);
	free(u);
	return *text != NULL ? EX_OK : cli_die(EX_FAIL, _("out of memory"));
}

/* Where the sealed envelope goes: a buffer for a one-request submission, or the chunks of
 * an upload, each handed to the senders as soon as it is full. */
typedef struct {
	uint8_t *buf; /* the whole envelope, or the chunk being filled */
	size_t len, cap;
	gd_uploader *upl; /* an upload */
	int failed;       /* an exit code (or LOST_UPLOAD) said already */
	int resumed;      /* the upload continues one of an earlier run */
} outbox;

/* Chunks in flight at once, each on a kept connection: while the drop stores one, the next
 * travels and the one after is sealed (docs/BENCHMARKS.md measures 1 to 4). */
#define SENDERS 3

/* Not an exit code: a resumed upload's bytes sealed again are not those the drop holds (a
 * chunk or the digest disagrees); submit_send starts a new upload. */
#define RESEAL_MISMATCH 101

static volatile sig_atomic_t sig_resumable;
/* What Ctrl-C during an upload says (upload_signals), before every chunk is in and after, in
 * the worker's language: looked up beforehand (gettext is not signal-safe). */
static const char *volatile sig_msg_part, *volatile sig_msg_stored;

static int upload_failed(const outbox *ob, const drop_err *e)
{
	if (ob->resumed && ((e->http_status == 400 && drop_refused_with(e, "hash_mismatch")) ||
			    (e->http_status == 409 && drop_refused_with(e, "chunk_conflict"))))
		return RESEAL_MISMATCH;
	/* every chunk was in: the connection broke on the commit, which the drop may have
	 * carried out: say so, as Ctrl-C there does (never "nothing was stored") */
	if (e->kind == DROP_NET && ob->upl != NULL &&
	    gd_uploader_acked(ob->upl) == gd_uploader_total(ob->upl) && sig_msg_stored != NULL)
		return cli_die(drop_exit_code(e), "%s; %s", e->message, sig_msg_stored);
	if (e->kind == DROP_NET && ob->upl != NULL) /* Tor stayed away: say how to go on */
		return cli_die(
			drop_exit_code(e),
			/* TRANSLATORS: the first %s is why (translated elsewhere), the
			   last what to do (translated separately). */
			_("%s; the upload stopped at %.1f of %.1f MiB, nothing was stored: %s"),
			e->message, (double)gd_uploader_acked(ob->upl) / 1048576.0,
			(double)gd_uploader_total(ob->upl) / 1048576.0,
			sig_resumable ? _("run the same command again to continue")
				      : _("the same command would start again from the "
					  "beginning (with --state-dir DIR it continues)"));
	return drop_failed(e);
}

static int outbox_write(void *arg, const uint8_t *b, size_t n)
{
	outbox *ob = arg;
	size_t chunk = ob->upl != NULL ? gd_uploader_chunk_size(ob->upl) : 0;
	while (n > 0) {
		if (ob->upl != NULL && ob->buf == NULL &&
		    (ob->buf = gd_uploader_buffer(ob->upl)) == NULL) {
			drop_err e; /* a chunk failed: said once, here */
			ob->failed = gd_uploader_wait(ob->upl, &e) != DROP_OK
					     ? upload_failed(ob, &e)
					     : EX_FAIL;
			return -1;
		}
		if (ob->upl == NULL && ob->len + n > ob->cap) {
			size_t cap = (ob->len + n) * 2;
			uint8_t *nb = realloc(ob->buf, cap);
			if (nb == NULL) {
				ob->failed = cli_die(EX_FAIL, _("out of memory"));
				return -1;
			}
			ob->buf = nb;
			ob->cap = cap;
		}
		size_t room = ob->upl != NULL ? chunk - ob->len : n;
		size_t k = room < n ? room : n;
		memcpy(ob->buf + ob->len, b, k);
		ob->len += k;
		b += k;
		n -= k;
		if (ob->upl != NULL && ob->len == chunk) {
			gd_uploader_send(ob->upl, ob->buf, ob->len);
			ob->buf = NULL;
			ob->len = 0;
		}
	}
	return 0;
}

/* The sealed envelope's last bytes are in: send it (one request) or commit the upload. */
static int outbox_finish(outbox *ob, const uint8_t id[16], int *already)
{
	drop_err e;
	int rc;
	if (ob->upl == NULL) {
		rc = drop_submit(&dc, id, ob->buf, ob->len, already, &e);
	} else {
		if (ob->len > 0)
			gd_uploader_send(ob->upl, ob->buf, ob->len);
		ob->buf = NULL;
		ob->len = 0;
		rc = gd_uploader_end(ob->upl, already, &e);
	}
	return rc == DROP_OK ? EX_OK : upload_failed(ob, &e);
}

static void outbox_reset(outbox *ob)
{
	if (ob->upl != NULL)
		gd_uploader_free(ob->upl); /* owns the chunk buffers */
	else
		free(ob->buf);
	memset(ob, 0, sizeof *ob);
}

static int seal_sink(void *arg, const uint8_t *b, size_t n)
{
	return gd_seal_write(arg, b, n) == GD_OK ? 0 : -1;
}

/* On the terminal, never on stdout or stderr (which may be a file); then, once the worker says it
 * is written down, the screen and its scrollback are cleared: a shared computer's next user
 * does not find it there. */
static int show_codename_once(const char *codename)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	FILE *tty = fd >= 0 ? fdopen(fd, "r+") : NULL;
	if (tty == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fputc('\n', tty);
	cli_say(tty, _("Your codename (shown only this once):"));
	/* one word a line, numbered as on the web page: a narrow terminal never cuts one */
	fputs("\n\n", tty);
	for (int i = 1; *codename != '\0'; i++) {
		size_t n = strcspn(codename, " ");
		fprintf(tty, "    %d. %.*s\n", i, (int)n, codename);
		codename += n;
		codename += strspn(codename, " ");
	}
	fputc('\n', tty);
	/* TRANSLATORS: shown under the new codename, whose 8 words stay English: say that they
	   are English words to copy exactly, letter for letter. Lines at most 80 columns (a
	   narrower terminal rewraps each paragraph between words). */
	cli_say_para(
		tty,
		_("Copy the words exactly, letter for letter. Write them down on paper and keep\n"
		  "them where nobody at work can find them. With the codename you can read the\n"
		  "newsroom's replies and send more; anyone who finds it can read those replies\n"
		  "too. Do not keep it on a work device or in a cloud notes app.\n\n"
		  "Press Enter when it is written down: the screen is then cleared."));
	fflush(tty);
	int c;
	while ((c = fgetc(tty)) != EOF && c != '\n' && c != '\r')
		;
	/* home, clear the screen, clear the scrollback: straight to the terminal (a stream that
	 * was read from is not written without repositioning, which a terminal cannot do); after
	 * a line end, for an Enter typed ahead (echoed before the prompt) */
	static const char clear[] = "\n\033[H\033[2J\033[3J";
	int bad = write(fd, clear, sizeof clear - 1) != (ssize_t)(sizeof clear - 1);
	fclose(tty);
	return bad ? -1 : 0;
}

/* One submission on its way: what cmd_submit's steps share. */
typedef struct {
	const opts *o;
	int fresh;          /* a new codename: a testimony, not a follow-up */
	int wrote_codename; /* --codename-out written (removed again if nothing was sent) */
	int already;        /* the drop had it stored before */
	char *text;         /* the message (sodium_malloc) */
	size_t text_len;
	attach_set as;        /* the attachments, checked and cleaned (attach.c) */
	gd_attachment *atts;  /* as's: the manifest's entries */
	strip_kind *kinds;    /* as's */
	const char **sources; /* as's: what is sealed, the file or its cleaned copy */
	uint64_t att_total;
	char *codename;
	gd_source_keys *keys;
	gd_manifest m;
	uint8_t (*pks)[32]; /* the recipients */
	unsigned n;
	uint64_t total, max_submit; /* the envelope's size, and the largest one request takes */
	unsigned checks;            /* the upload chunk checks the drop takes (drop_get_limits) */
	outbox ob;
	gd_resume *rs; /* --state-dir: the resume record (sodium_malloc), or NULL */
	int rs_found;  /* rs was read from an earlier run */
} submission;

/* Seal attachment i into s: the bytes checked (attach.c holds the file, or its cleaned copy,
 * open since its check, and refuses one changed since, every time it is sealed). */
static int seal_attachment(submission *sub, gd_seal *s, int i)
{
	int rc = attach_stream(&sub->as, i, seal_sink, s);
	if (rc == EX_OK)
		return GD_OK;
	if (rc > 0 && !sub->ob.failed)
		sub->ob.failed = rc; /* said */
	return GD_ERR_IO;
}

/* ---- an interrupted upload (PROTOCOL.md §11.3, "Resuming") ---- */

/* Read by the signal handler: the upload under way, and whether a record lets it continue. */
static gd_uploader *volatile sig_upload;
static struct sigaction sig_old[3];
static const int sig_nums[3] = {SIGINT, SIGTERM, SIGHUP};

static size_t put_str(char *b, size_t at, const char *s)
{
	while (*s != '\0' && at < 511)
		b[at++] = *s++;
	return at;
}

/* fmt, each %s (or %1$s, %2$s) the MiB of a or t: a translation, without stdio. */
static size_t put_mibs(char *b, size_t at, const char *fmt, uint64_t a, uint64_t t);

/* n bytes as MiB with one decimal, without stdio (async-signal-safe). */
static size_t put_mib(char *b, size_t at, uint64_t n)
{
	uint64_t tenths = (n * 10 + 524288) / 1048576;
	char d[24];
	int k = 0;
	uint64_t whole = tenths / 10;
	do
		d[k++] = (char)('0' + whole % 10);
	while ((whole /= 10) > 0 && k < 20);
	while (k > 0 && at < 511)
		b[at++] = d[--k];
	if (at < 509) {
		b[at++] = '.';
		b[at++] = (char)('0' + tenths % 10);
	}
	return at;
}

static size_t put_mibs(char *b, size_t at, const char *fmt, uint64_t a, uint64_t t)
{
	int next = 0;
	while (*fmt != '\0' && at < 511) {
		if (fmt[0] == '%' && fmt[1] == 's') {
			at = put_mib(b, at, next++ == 0 ? a : t);
			fmt += 2;
		} else if (fmt[0] == '%' && (fmt[1] == '1' || fmt[1] == '2') && fmt[2] == '$' &&
			   fmt[3] == 's') {
			at = put_mib(b, at, fmt[1] == '1' ? a : t);
			fmt += 4;
		} else if (fmt[0] == '%' && fmt[1] == '%') {
			b[at++] = '%';
			fmt += 2;
		} else {
			b[at++] = *fmt++;
		}
	}
	return at;
}

/* Ctrl-C (or SIGTERM, SIGHUP) during an upload: say where it stopped and what running the
 * same command again will do, then go on as before (attach.c's cleanup, then the signal's
 * default action: killed by it, status 130 for Ctrl-C). Async-signal-safe: write(2) only. */
static void upload_signal(int sig)
{
	char b[512];
	size_t at = 0;
	gd_uploader *g = sig_upload;
	int i = sig == SIGINT ? 0 : sig == SIGTERM ? 1 : 2;
	if (g != NULL) {
		uint64_t a = gd_uploader_acked(g), t = gd_uploader_total(g);
		at = put_str(b, at, "\n");
		at = put_str(b, at, cli_name);
		at = put_str(b, at, ": ");
		if (a < t)
			at = put_mibs(b, at, sig_msg_part, a, t);
		else
			at = put_str(b, at, sig_msg_stored);
		at = put_str(b, at, "\n");
		/* the senders' progress bar goes nowhere from now on: the line stays the last */
		int tty = dup(2), null = open("/dev/null", O_WRONLY);
		if (tty >= 0 && null >= 0)
			dup2(null, 2);
		ssize_t w = write(tty >= 0 ? tty : 2, b, at);
		(void)w;
	}
	if (sig_old[i].sa_handler != SIG_DFL && sig_old[i].sa_handler != SIG_IGN &&
	    !(sig_old[i].sa_flags & SA_SIGINFO))
		sig_old[i].sa_handler(sig); /* attach.c's: removes the cleaned copies */
	/* to the process, not this thread (which blocks sig until the handler returns): another
	 * thread takes it at once, so no sender draws the progress bar again under the line */
	signal(sig, SIG_DFL);
	kill(getpid(), sig);
}

static void upload_signals(gd_uploader *g, int resumable)
{
	sig_resumable = resumable;
	/* TRANSLATORS: after Ctrl-C during an upload. The two %s are sizes ("1.5", "12.0"),
	   in this order (or %1$s, %2$s); no other % conversion may be used here. */
	sig_msg_part = resumable ? _("interrupted at %s of %s MiB; nothing was stored yet; run the "
				     "same command again to continue")
				 /* TRANSLATORS: as the message before. */
				 : _("interrupted at %s of %s MiB; nothing was stored; the same "
				     "command would start again from the beginning (with "
				     "--state-dir DIR it continues where it stopped)");
	sig_msg_stored = resumable ? _("interrupted while the drop stored the testimony; run the "
				       "same command again to make sure it is stored (it is never "
				       "stored twice)")
				   : _("interrupted while the drop stored the testimony: it may or "
				       "may not be stored, and the same command would send it a "
				       "second time");
	sig_upload = g;
	if (g != NULL) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = upload_signal;
		sigemptyset(&sa.sa_mask);
		for (int i = 0; i < 3; i++)
			sigaction(sig_nums[i], &sa, &sig_old[i]);
	} else {
		for (int i = 0; i < 3; i++)
			sigaction(sig_nums[i], &sig_old[i], NULL);
	}
}

static int hash_sink(void *arg, const uint8_t *b, size_t n)
{
	return crypto_generichash_update(arg, b, n);
}

static int pk_order(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* --state-dir: find the record of an earlier run of the same command, before the submission id
 * and a new codename are chosen. The record's name and key, and the seal's seed with it, come
 * from everything that goes into the envelope: the newsroom, the server, the recipients'
 * keys, the kind and a given codename's public identity, the text, and each attachment's
 * bytes as sealed (the cleaned ones), so one seed never seals other bytes (see resume.h). */
static int resume_find(submission *sub)
{
	const opts *o = sub->o;
	crypto_generichash_state st;
	uint8_t(*pks)[32];
	if (o->state_dir == NULL)
		return EX_OK;
	if ((sub->rs = sodium_malloc(sizeof *sub->rs)) == NULL)
		return cli_die(EX_FAIL, _("out of memory"));
	memset(sub->rs, 0, sizeof *sub->rs);
	gd_resume_sweep(o->state_dir, GD_RESUME_MAX_AGE);
	gd_resume_init(&st);
	gd_resume_part(&st, newsroom_pk, sizeof newsroom_pk);
	uint8_t port[2] = {(uint8_t)(dc.url.port >> 8), (uint8_t)dc.url.port};
	gd_resume_part(&st, dc.url.host, strlen(dc.url.host)); /* however --server was spelt */
	gd_resume_part(&st, port, sizeof port);
	/* the recipients, sorted: a bundle with another key is another testimony */
	if ((pks = malloc((size_t)sub->n * 32 + 1)) == NULL)
		return cli_die(EX_FAIL, _("out of memory"));
	memcpy(pks, sub->pks, (size_t)sub->n * 32);
	qsort(pks, sub->n, 32, pk_order);
	gd_resume_part(&st, pks, (size_t)sub->n * 32);
	free(pks);
	gd_resume_part(&st, sub->fresh ? "new" : o->no_reply ? "none" : "given", 3 + !sub->fresh);
	if (!sub->fresh && !o->no_reply) { /* which codename: its public keys, never itself */
		gd_resume_part(&st, sub->keys->identity_pk, sizeof sub->keys->identity_pk);
		gd_resume_part(&st, sub->keys->reply_pk, sizeof sub->keys->reply_pk);
	}
	gd_resume_part(&st, sub->text, sub->text_len);
	for (int i = 0; i < o->n_files; i++) {
		const gd_attachment *a = &sub->atts[i];
		uint8_t size[8];
		for (int k = 0; k < 8; k++)
			size[k] = (uint8_t)(a->size >> (8 * k));
		gd_resume_part(&st, a->name, strlen(a->name));
		gd_resume_part(&st, a->type, strlen(a->type));
		gd_resume_part(&st, size, sizeof size);
		/* the bytes sealed: cleaned as they will be sealed, read from what attach.c
		 * checked (a cleaned copy mat2 makes again next run may differ: another record) */
		crypto_generichash_state f;
		uint8_t h[32];
		crypto_generichash_init(&f, NULL, 0, sizeof h);
		int rc = attach_stream(&sub->as, i, hash_sink, &f);
		crypto_generichash_final(&f, h, sizeof h);
		if (rc != EX_OK)
			return rc > 0 ? rc : cli_die(EX_FILE, _("%s: cannot be read"), o->files[i]);
		gd_resume_part(&st, h, sizeof h);
	}
	if (gd_resume_locate(sub->rs, o->state_dir, &st) != 0)
		return cli_die(EX_USAGE, _("--state-dir: path too long"));
	int r = gd_resume_read(sub->rs);
	if (r < 0 && errno != EBADMSG)
		return cli_die(EX_FILE, "%s: %s", sub->rs->path, cli_strerror(errno));
	if (r < 0) {
		cli_die(0,
			_("%s does not open (damaged, altered, or from another version): not "
			  "used; sending from the beginning"),
			sub->rs->path);
		gd_resume_remove(sub->rs); /* its fields were not touched: a new upload */
	}
	sub->rs_found = r == 1;
	if (!sub->rs_found)
		randombytes_buf(sub->rs->seed, sizeof sub->rs->seed);
	return EX_OK;
}

/* Create the upload, or continue the record's; with --state-dir the record is written (the
 * new upload id) before the first chunk is sent. */
static int upload_open(submission *sub)
{
	outbox *ob = &sub->ob;
	gd_resume *rs = sub->rs;
	drop_err e;
	uint8_t key[GD_CHUNK_KEY_BYTES]; /* the chunk key K (§11.3): the drop's and ours only */
	int rc;
	if (rs != NULL && sub->rs_found && rs->total != sub->total) {
		/* not what the record was sealed for: never the same seed for other bytes */
		randombytes_buf(rs->seed, sizeof rs->seed);
		rs->up[0] = '\0';
	}
	/* with a record, from its seed: a later run sends the same K; without, random per run */
	if (rs != NULL)
		gd_resume_chunk_key(rs, key);
	else
		randombytes_buf(key, sizeof key);
	if (rs != NULL && rs->up[0] != '\0' && rs->total == sub->total) {
		uint64_t held;
		rc = gd_uploader_resume(&dc, rs->up, sub->total, key, SENDERS, &ob->upl, &held, &e);
		if (rc == DROP_OK) {
			sodium_memzero(key, sizeof key);
			ob->resumed = 1;
			cli_die(0,
				_("continuing the interrupted upload: the drop holds %.1f of "
				  "%.1f MiB"),
				(double)held / 1048576.0, (double)sub->total / 1048576.0);
			return EX_OK;
		}
		if (!(e.http_status == 404 && drop_refused_with(&e, "upload_not_found"))) {
			sodium_memzero(key, sizeof key);
			return drop_die(&e);
		}
		cli_die(0, _("the drop no longer holds the interrupted upload (it drops one left "
			     "idle for a few minutes, and when it restarts): sending from the "
			     "beginning"));
	}
	/* Poly1305 chunk checks when the drop takes them (§11.3: a sixth of BLAKE2b's cost) */
	gd_check want =
		sub->checks & (1u << GD_CHECK_POLY1305) ? GD_CHECK_POLY1305 : GD_CHECK_BLAKE2B;
	rc = gd_uploader_begin(&dc, sub->m.submission_id, sub->total, want, key, SENDERS, &ob->upl,
			       &e);
	sodium_memzero(key, sizeof key);
	if (rc != DROP_OK)
		return drop_failed(&e);
	if (rs != NULL) {
		snprintf(rs->up, sizeof rs->up, "%s", gd_uploader_id(ob->upl));
		memcpy(rs->sub_id, sub->m.submission_id, sizeof rs->sub_id);
		rs->total = sub->total;
		if (sub->fresh)
			snprintf(rs->codename, sizeof rs->codename, "%s", sub->codename);
		if (gd_resume_write(rs) != 0)
			return cli_die(EX_FILE, "%s: %s", rs->path, cli_strerror(errno));
	}
	return EX_OK;
}

/* Seal the testimony and send it: in one request, or as a resumable upload. */
static int seal_and_send(submission *sub)
{
	outbox *ob = &sub->ob;
	int rc, upload = sub->total > sub->max_submit;
	if (upload && (rc = upload_open(sub)) != EX_OK)
		return rc;
	if (upload)
		upload_signals(ob->upl, sub->rs != NULL);
	gd_seal *s;
	/* with a record, the seal is made from its seed and everything the record was found by
	 * (gd_resume_seal_seed): the same bytes as the earlier run's, only for the same input */
	uint8_t seed[GD_SEAL_SEED_BYTES];
	if (upload && sub->rs != NULL)
		gd_resume_seal_seed(sub->rs, seed);
	rc = upload && sub->rs != NULL
		     ? gd_seal_new_seeded(&s, (const uint8_t(*)[32])sub->pks, sub->n, &sub->m,
					  sub->keys, outbox_write, ob, seed)
		     : gd_seal_new(&s, (const uint8_t(*)[32])sub->pks, sub->n, &sub->m, sub->keys,
				   outbox_write, ob);
	sodium_memzero(seed, sizeof seed);
	if (rc != GD_OK)
		return ob->failed ? ob->failed
				  : cli_die(EX_FAIL, _("sealing failed: %s"), _(gd_strerror(rc)));
	for (int i = 0; i < sub->o->n_files && rc == GD_OK; i++)
		rc = seal_attachment(sub, s, i);
	if (rc == GD_OK)
		rc = gd_seal_finish(s);
	gd_seal_free(s);
	if (rc != GD_OK)
		return ob->failed ? ob->failed
				  : cli_die(EX_FAIL, _("sealing failed: %s"), _(gd_strerror(rc)));
	return outbox_finish(ob, sub->m.submission_id, &sub->already);
}

/* seal_and_send, with the signal handlers of an upload removed again after it. */
static int seal_and_send_once(submission *sub)
{
	int rc = seal_and_send(sub);
	if (sig_upload != NULL)
		upload_signals(NULL, 0);
	return rc;
}

/* The options' combinations, before anything is read or sent. */
static int submit_check_options(submission *sub)
{
	const opts *o = sub->o;
	if (o->no_reply + (o->codename_file != NULL) + o->codename_prompt +
		    (o->codename_out != NULL) >
	    1)
		return cli_die(
			EX_USAGE,
			_("choose one of --no-reply, --codename-file, --codename, --codename-out"));
	sub->fresh = !o->no_reply && o->codename_file == NULL && !o->codename_prompt;
	if (sub->fresh && o->codename_out == NULL) {
		int tty = open("/dev/tty", O_WRONLY | O_CLOEXEC);
		if (tty < 0)
			return cli_die(
				EX_USAGE,
				_("no terminal to show the new codename on: use --codename-out F "
				  "or --no-reply"));
		close(tty);
		if (o->json)
			return cli_die(EX_USAGE,
				       _("--json with a new codename needs --codename-out F"));
	}
	/* with --state-dir, an interrupted run's file may be there: submit_write_codename */
	if (o->codename_out != NULL && o->state_dir == NULL && access(o->codename_out, F_OK) == 0)
		return cli_die(EX_FILE, _("%s exists: ghostdrop never overwrites a codename"),
			       o->codename_out);
	if (o->n_files > MAX_FILES)
		return cli_die(EX_USAGE, _("at most %d attachments"), MAX_FILES);
	if (o->codename_prompt && o->n_files > 0 && access(o->files[0], F_OK) != 0)
		/* "--codename WORDS": never echo what may be the codename */
		return cli_die(EX_USAGE, CODENAME_TYPED_HERE);
	return EX_OK;
}

/* Attachments: checked, cleaned and measured (attach.c) before anything is sent. */
static int submit_attachments(submission *sub)
{
	const opts *o = sub->o;
	int rc = attach_prepare(&sub->as, o->files, o->n_files, &o->attach);
	sub->atts = sub->as.atts;
	sub->kinds = sub->as.kinds;
	sub->sources = sub->as.sources;
	sub->att_total = sub->as.total;
	return rc;
}

/* The manifest, the source's keys (a new codename, or the one given) and the recipients. */
static int submit_manifest(submission *sub)
{
	const opts *o = sub->o;
	gd_manifest *m = &sub->m;
	m->kind = sub->fresh || o->no_reply ? GD_KIND_TESTIMONY : GD_KIND_FOLLOWUP;
	m->text = sub->text;
	m->text_len = sub->text_len;
	m->attachments = sub->atts;
	m->n_attachments = (size_t)o->n_files;
	/* Recipients: every valid encryption key of the verified bundle. */
	if ((sub->pks = calloc(bundle->n_journalists + 1, 32)) == NULL)
		return cli_die(EX_FAIL, _("out of memory"));
	for (size_t i = 0; i < bundle->n_journalists; i++)
		if (bundle->valid[i])
			memcpy(sub->pks[sub->n++], bundle->journalists[i].pk, 32);
	int rrc = resume_find(sub);
	if (rrc != EX_OK)
		return rrc;
	if (sub->rs_found) /* the same id and codename as the interrupted run's */
		memcpy(m->submission_id, sub->rs->sub_id, sizeof m->submission_id);
	else
		randombytes_buf(m->submission_id, sizeof m->submission_id);
	if (!o->no_reply && sub->fresh) { /* a given codename: submit_codename, beforehand */
		sub->codename = sodium_malloc(GD_CODENAME_MAX);
		sub->keys = sodium_malloc(sizeof *sub->keys);
		if (sub->codename == NULL || sub->keys == NULL)
			return cli_die(EX_FAIL, _("out of memory"));
		if (sub->fresh && sub->rs_found && sub->rs->codename[0] != '\0')
			snprintf(sub->codename, GD_CODENAME_MAX, "%s", sub->rs->codename);
		else if (sub->fresh)
			gd_codename_generate(sub->codename, GD_CODENAME_MAX);
		if (gd_codename_derive(sub->keys, sub->codename, newsroom_pk) != GD_OK)
			return cli_die(EX_FAIL, _("could not derive the keys (out of memory?)"));
	}
	if (!o->no_reply)
		gd_manifest_set_source(m, sub->keys);
	uint8_t *mj;
	size_t mlen;
	if (gd_manifest_encode(&mj, &mlen, m) != GD_OK)
		return cli_die(EX_FILE, _("the message must be UTF-8 text without NUL bytes"));
	sodium_memzero(mj, mlen);
	free(mj);
	sub->total = gd_envelope_size_for(sub->n, mlen, sub->att_total);
	return EX_OK;
}

/* The drop's limits: one request, an upload, or too large for this drop. */
static int submit_limits(submission *sub)
{
	drop_err e;
	uint64_t max_env;
	if (drop_get_limits(&dc, &sub->max_submit, &max_env, &sub->checks, &e) != DROP_OK)
		return drop_die(&e);
	if (sub->total > max_env)
		return cli_die(EX_REFUSED,
			       _("this drop takes at most %llu MiB; the testimony is %llu MiB"),
			       (unsigned long long)(max_env >> 20),
			       (unsigned long long)(sub->total >> 20));
	return EX_OK;
}

/* --codename-out: written before anything is sent, so a crash cannot lose it. */
static int submit_write_codename(submission *sub)
{
	const opts *o = sub->o;
	char line[GD_CODENAME_MAX + 2];
	if (o->codename_out == NULL)
		return EX_OK;
	int ln = snprintf(line, sizeof line, "%s\n", sub->codename);
	if (o->state_dir != NULL && access(o->codename_out, F_OK) == 0) {
		/* kept from the interrupted run of this testimony (the record's codename) */
		uint8_t *f;
		size_t fl;
		int same = sub->rs_found && gd_file_read(o->codename_out, 1000, &f, &fl) == 0;
		if (same) {
			same = fl == (size_t)ln && sodium_memcmp(f, line, fl) == 0;
			sodium_memzero(f, fl);
			free(f);
		}
		sodium_memzero(line, sizeof line);
		if (!same)
			return cli_die(EX_FILE,
				       _("%s exists: ghostdrop never overwrites a codename"),
				       o->codename_out);
		sub->wrote_codename = 1;
		return EX_OK;
	}
	int bad = gd_file_write_atomic(o->codename_out, (const uint8_t *)line, (size_t)ln, 0600,
				       1) != 0;
	sodium_memzero(line, sizeof line);
	if (bad)
		return cli_die(EX_FILE, "%s: %s", o->codename_out, cli_strerror(errno));
	sub->wrote_codename = 1;
	return EX_OK;
}

/* Seal and send, again as a new upload when the drop lost one (at most three times). */
static int submit_send(submission *sub)
{
	for (int attempt = 1;; attempt++) {
		int rc = seal_and_send_once(sub);
		if (sub->rs != NULL && (rc == EX_OK || rc == LOST_UPLOAD || rc == RESEAL_MISMATCH))
			gd_resume_remove(sub->rs); /* stored, or its upload is gone */
		if (rc == RESEAL_MISMATCH) {
			/* a file cleaned to other bytes than in the earlier run (mat2 may not be
			 * reproducible), or another version: a new upload of these bytes */
			progress_end();
			outbox_reset(&sub->ob);
			randombytes_buf(sub->rs->seed, sizeof sub->rs->seed);
			sub->rs->up[0] = '\0';
			cli_die(0,
				_("sealed again, the testimony does not match what the drop "
				  "holds from the interrupted run: sending it from the beginning"));
			continue;
		}
		if (rc != LOST_UPLOAD)
			return rc;
		if (sub->rs != NULL)
			sub->rs->up[0] = '\0';
		progress_end();
		outbox_reset(&sub->ob);
		if (attempt == 3)
			return cli_die(EX_REFUSED,
				       _("the drop lost the upload three times; try again later"));
		cli_die(0,
			_("the drop no longer knows this upload (it restarted, or the connection "
			  "reached another of its servers): sending it again"));
		/* another server (an older drop behind the same onion?) may take other chunk
		 * checks or sizes: its limits, read again, decide the new upload */
		if ((rc = submit_limits(sub)) != EX_OK)
			return rc;
	}
}

/* "Your testimony (follow-up) reached the drop (SIZE, ...)." on stderr. */
static void say_reached(const submission *sub)
{
	const gd_manifest *m = &sub->m;
	char size[32];
	progress_size(size, sizeof size, (double)sub->total);
	cli_sayf(stderr,
		 m->kind == GD_KIND_FOLLOWUP
			 /* TRANSLATORS: %s is a size ("1.2 KiB"), %u how many keys. */
			 ? P_("Your follow-up reached the drop (%s, encrypted to %u "
			      "journalist key).\n",
			      "Your follow-up reached the drop (%s, encrypted to %u "
			      "journalist keys).\n",
			      sub->n)
			 /* TRANSLATORS: as the message before, for a first testimony. */
			 : P_("Your testimony reached the drop (%s, encrypted to %u "
			      "journalist key).\n",
			      "Your testimony reached the drop (%s, encrypted to %u "
			      "journalist keys).\n",
			      sub->n),
		 size, sub->n);
}

static int submit_print(const submission *sub)
{
	const opts *o = sub->o;
	const gd_manifest *m = &sub->m;
	if (!o->json) {
		say_reached(sub);
		if (sub->fresh && !sub->wrote_codename) {
			if (show_codename_once(sub->codename) == 0)
				say_reached(sub); /* on the cleared screen: it worked */
		} else if (sub->wrote_codename)
			cli_sayf(stderr, _("Your codename is in %s: move it somewhere safe.\n"),
				 o->codename_out);
		return EX_OK;
	}
	char idb[32];
	gd_b64_encode(idb, sizeof idb, m->submission_id, 16);
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:b}", "status",
			      sub->already ? "already_stored" : "stored", "kind",
			      m->kind == GD_KIND_FOLLOWUP ? "followup" : "testimony", "id", idb,
			      "bytes", (json_int_t)sub->total, "replies_possible", !o->no_reply);
	if (j != NULL && sub->wrote_codename &&
	    json_object_set_new(j, "codename_file", json_string(o->codename_out)) != 0) {
		json_decref(j);
		j = NULL;
	}
	if (j != NULL && json_object_set_new(j, "attachments", attach_json(&sub->as)) != 0) {
		json_decref(j);
		j = NULL;
	}
	return print_json(j, _("out of memory (the testimony was sent)"));
}

static void submission_free(submission *sub, int rc)
{
	if (rc != EX_OK && sub->wrote_codename)
		unlink(sub->o->codename_out); /* nothing was sent under it */
	if (sub->text != NULL)
		sodium_free(sub->text);
	if (sub->codename != NULL)
		sodium_free(sub->codename);
	if (sub->keys != NULL)
		sodium_free(sub->keys);
	outbox_reset(&sub->ob);
	if (sub->rs != NULL)
		sodium_free(sub->rs);
	attach_free(&sub->as);
	free(sub->pks);
}

/* A given codename and its keys, before the testimony is typed: at its prompt first, so it is
 * never typed where the testimony goes (or from --codename-file). A new one: submit_manifest. */
static int submit_codename(submission *sub)
{
	const opts *o = sub->o;
	int rc;
	if (o->no_reply || sub->fresh)
		return EX_OK;
	sub->codename = sodium_malloc(GD_CODENAME_MAX);
	sub->keys = sodium_malloc(sizeof *sub->keys);
	if (sub->codename == NULL || sub->keys == NULL)
		return cli_die(EX_FAIL, _("out of memory"));
	if ((rc = load_codename(o, sub->codename, 1)) != EX_OK)
		return rc;
	if (gd_codename_derive(sub->keys, sub->codename, newsroom_pk) != GD_OK)
		return cli_die(EX_FAIL, _("could not derive the keys (out of memory?)"));
	return EX_OK;
}

/* Codename words in a testimony from which it is refused: whoever reads it could read the
 * newsroom's replies and write as the worker (gd_codename_words_in_text counts them). */
#define CODENAME_IN_TEXT 4

/* The testimony, refused while it holds the worker's codename; typed again on a terminal. */
static int submit_testimony(submission *sub)
{
	const opts *o = sub->o;
	int typed = o->message_file == NULL && isatty(0);
	for (int tries = 1;; tries++) {
		int rc = read_message(o, &sub->text, &sub->text_len), k = 0;
		if (rc != EX_OK)
			return rc;
		if (!sub->fresh && sub->codename != NULL)
			k = gd_codename_words_in_text(sub->codename, sub->text, sub->text_len);
		if (k < 0)
			return cli_die(EX_FAIL, _("out of memory"));
		if (k < CODENAME_IN_TEXT)
			break;
		sodium_free(sub->text); /* wiped */
		sub->text = NULL;
		char warn[1024];
		/* TRANSLATORS: two lines: the first after "ghostdrop: " (at most 69 columns), the
		   second at most 80. */
		snprintf(warn, sizeof warn,
			 _("the testimony contains %d of your codename's words: whoever\n"
			   "reads it could read the newsroom's replies to you and write as you.\n"),
			 k);
		cli_sayf(stderr, "%s: %s", cli_name, warn);
		if (!typed || tries == CODENAME_TRIES)
			return cli_die(
				EX_USAGE,
				_("take the codename out of the testimony; nothing was sent"));
		cli_say(stderr,
			_("Type it again without them (Ctrl-C stops; nothing was sent).\n"));
	}
	if (sub->text_len == 0 && o->n_files == 0)
		return cli_die(EX_USAGE,
			       _("nothing to send: the message is empty and there are no files"));
	return EX_OK;
}

static int cmd_submit(const opts *o)
{
	submission sub;
	memset(&sub, 0, sizeof sub);
	sub.o = o;
	int rc = submit_check_options(&sub);
	if (rc != EX_OK)
		return rc;
	/* the drop and its bundle, then the codename, then the testimony */
	if ((rc = submit_attachments(&sub)) == EX_OK && (rc = verify_drop(o)) == EX_OK &&
	    (rc = submit_codename(&sub)) == EX_OK &&
	    (sub.codename == NULL || sub.fresh ||
	     (rc = attach_codename_check(&sub.as, sub.codename, CODENAME_IN_TEXT)) == EX_OK))
		rc = submit_testimony(&sub);
	if (rc == EX_OK && (rc = submit_manifest(&sub)) == EX_OK &&
	    (rc = submit_limits(&sub)) == EX_OK &&
	    (rc = attach_confirm(&sub.as, sub.text_len, o->yes)) == EX_OK &&
	    (rc = submit_write_codename(&sub)) == EX_OK && (rc = submit_send(&sub)) == EX_OK)
		rc = submit_print(&sub);
	submission_free(&sub, rc);
	return rc;
}

/* ---- replies ---- */

#define REPLY_PAGES 256 /* fetch pages read at most (the drop holds max_mailbox_replies) */
#define REPLY_KEEP 100  /* authentic replies shown at most: the newest by their signed day */
#define ACK_MAX 10000   /* drop reply ids remembered for --ack */

typedef struct {
	uint8_t id[16];
	uint32_t day;
	size_t journalist;
	int older_key;
	char *text;
} shown_reply;

typedef struct {
	shown_reply keep[REPLY_KEEP];
	size_t n_keep;
	uint8_t (*ack)[16]; /* drop ids of everything read, junk included: --ack clears junk too */
	size_t n_ack;
	int forged, malformed, dropped;
} reply_reader;

/* Keep an opened reply if it is new and among the REPLY_KEEP newest; takes rep's text. */
static void reply_keep(reply_reader *rr, gd_reply *rep)
{
	size_t oldest = 0;
	for (size_t i = 0; i < rr->n_keep; i++) {
		if (sodium_memcmp(rr->keep[i].id, rep->reply_id, 16) == 0)
			return; /* the same reply twice (several backends, or pushed twice) */
		if (rr->keep[i].day < rr->keep[oldest].day)
			oldest = i;
	}
	shown_reply *s = &rr->keep[rr->n_keep];
	if (rr->n_keep == REPLY_KEEP) {
		rr->dropped++;
		if (rr->keep[oldest].day >= rep->day)
			return;
		s = &rr->keep[oldest];
		sodium_memzero(s->text, strlen(s->text));
		free(s->text);
	} else {
		rr->n_keep++;
	}
	memcpy(s->id, rep->reply_id, 16);
	s->day = rep->day;
	s->journalist = rep->journalist;
	s->older_key = rep->older_key;
	s->text = rep->text;
	rep->text = NULL;
}

/* One page of the fetch answer: every entry is verified; junk is counted, never kept.
 * EX_OK, or EX_FAIL out of memory (said). */
static int reply_page_read(reply_reader *rr, json_t *list, const gd_source_keys *keys)
{
	json_t *v;
	size_t i;
	json_array_foreach (list, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *bl = json_string_value(json_object_get(v, "reply"));
		if (id != NULL && rr->n_ack < ACK_MAX &&
		    gd_b64_decode_exact(rr->ack[rr->n_ack], 16, id) == GD_OK)
			rr->n_ack++;
		size_t cap = bl ? strlen(bl) : 0, len = 0;
		uint8_t *blob = malloc(cap + 1);
		gd_reply rep;
		if (blob == NULL)
			return cli_die(EX_FAIL, _("out of memory"));
		if (bl == NULL || gd_b64_decode(blob, cap, &len, bl, cap) != GD_OK) {
			rr->malformed++;
			free(blob);
			continue;
		}
		int r = gd_reply_open(&rep, blob, len, keys, bundle);
		free(blob);
		if (r == GD_ERR_FORGED) {
			rr->forged++;
			continue;
		}
		if (r != GD_OK) {
			rr->malformed++;
			continue;
		}
		reply_keep(rr, &rep);
		gd_reply_clear(&rep);
	}
	return EX_OK;
}

static int by_day(const void *a, const void *b)
{
	const shown_reply *x = a, *y = b;
	return x->day < y->day ? -1 : x->day > y->day;
}

/* --ack: every id read, 100 per request (the drop's limit). */
static int reply_ack_all(const reply_reader *rr, const gd_source_keys *keys)
{
	drop_err e;
	for (size_t i = 0; i < rr->n_ack; i += 100)
		if (drop_mailbox_ack(&dc, keys, (const uint8_t(*)[16])rr->ack + i,
				     rr->n_ack - i < 100 ? rr->n_ack - i : 100, &e) != DROP_OK)
			return drop_die(&e);
	return EX_OK;
}

/* Page through the whole mailbox (§11.3): junk pushed with a stolen courier token can neither
 * hide the newsroom's replies nor make one answer too large to read. */
static int replies_fetch(reply_reader *rr, const gd_source_keys *keys)
{
	char cursor[32] = "";
	for (int pages = 0;;) {
		json_t *res;
		drop_err e;
		if (drop_mailbox_fetch(&dc, keys, cursor[0] ? cursor : NULL, &res, &e) != DROP_OK)
			return drop_die(&e);
		int rc = reply_page_read(rr, json_object_get(res, "replies"), keys);
		const char *next = json_string_value(json_object_get(res, "next"));
		int last = rc != EX_OK || next == NULL || strlen(next) > 24;
		if (!last && ++pages == REPLY_PAGES) {
			cli_die(0, _("warning: the mailbox holds more than could be read"));
			last = 1;
		}
		if (!last)
			snprintf(cursor, sizeof cursor, "%s", next);
		json_decref(res);
		if (last)
			return rc;
	}
}

/* The replies kept, oldest first, on stdout (or into shown, for --json); warnings on stderr. */
static int replies_show(const opts *o, reply_reader *rr, json_t *shown)
{
	qsort(rr->keep, rr->n_keep, sizeof rr->keep[0], by_day);
	for (size_t i = 0; i < rr->n_keep; i++) {
		const shown_reply *sr = &rr->keep[i];
		const gd_journalist *j = &bundle->journalists[sr->journalist];
		time_t t = (time_t)sr->day * 86400;
		char day[16];
		strftime(day, sizeof day, "%Y-%m-%d", gmtime(&t)); /* ISO, as the desk says days */
		if (o->json) {
			if (json_array_append_new(shown,
						  json_pack("{s:s, s:b, s:s, s:s}", "journalist",
							    j->name, "older_key", sr->older_key,
							    "day", day, "text", sr->text)) != 0)
				return cli_die(EX_FAIL, _("out of memory"));
			continue;
		}
		/* TRANSLATORS: the line above a reply: %s a journalist's name, then the day. */
		cli_sayf(stdout,
			 sr->older_key ? _("--- from %s (older key), %s\n")
				       : _("--- from %s, %s\n"),
			 j->name, day);
		printf("%s\n", sr->text);
	}
	if (o->json)
		return EX_OK;
	if (rr->n_keep == 0) /* true also after --ack, which deletes the replies read */
		cli_say(stderr,
			_("No replies are waiting. Acknowledged replies (--ack) are deleted "
			  "from the drop.\n"));
	else
		cli_say(stderr,
			_("To answer, send a follow-up: ghostdrop submit, with --codename.\n"));
	if (rr->dropped > 0)
		cli_die(0, _("warning: only the %d newest replies are shown"), REPLY_KEEP);
	if (rr->forged > 0)
		cli_die(0,
			P_("warning: %d reply did not come from a journalist of the newsroom's "
			   "bundle and was not shown (forged?)",
			   "warning: %d replies did not come from a journalist of the newsroom's "
			   "bundle and were not shown (forged?)",
			   (unsigned long)rr->forged),
			rr->forged);
	if (rr->malformed > 0)
		cli_die(0,
			P_("warning: %d reply could not be read (damaged or junk) and was not "
			   "shown",
			   "warning: %d replies could not be read (damaged or junk) and were not "
			   "shown",
			   (unsigned long)rr->malformed),
			rr->malformed);
	return EX_OK;
}

static int replies_print_json(const reply_reader *rr, json_t *shown, int acked)
{
	json_t *j = json_pack("{s:O, s:i, s:i, s:b}", "replies", shown, "forged", rr->forged,
			      "malformed", rr->malformed, "acknowledged", acked);
	return print_json(j, _("out of memory"));
}

static int cmd_replies(const opts *o)
{
	if (o->codename_file == NULL && !o->codename_prompt)
		return cli_die(EX_USAGE,
			       _("replies need your codename: --codename-file F or --codename"));
	char *codename = sodium_malloc(GD_CODENAME_MAX);
	gd_source_keys *keys = sodium_malloc(sizeof *keys);
	json_t *shown = json_array();
	reply_reader *rr = calloc(1, sizeof *rr);
	int rc, acked = 0;
	if (codename == NULL || keys == NULL || shown == NULL || rr == NULL ||
	    (rr->ack = malloc(ACK_MAX * sizeof *rr->ack)) == NULL) {
		rc = cli_die(EX_FAIL, _("out of memory"));
		goto out;
	}
	if ((rc = verify_drop(o)) != EX_OK || (rc = load_codename(o, codename, 0)) != EX_OK)
		goto out;
	if (gd_codename_derive(keys, codename, newsroom_pk) != GD_OK) {
		rc = cli_die(EX_FAIL, _("could not derive the keys (out of memory?)"));
		goto out;
	}
	if ((rc = replies_fetch(rr, keys)) != EX_OK || (rc = replies_show(o, rr, shown)) != EX_OK)
		goto out;
	if (o->ack && rr->n_ack > 0) {
		if ((rc = reply_ack_all(rr, keys)) != EX_OK)
			goto out;
		acked = 1;
		if (!o->json && rr->n_keep > 0) /* the only copy was the drop's: say it is gone */
			cli_sayf(
				stderr,
				P_("%zu reply was deleted from the drop (--ack): keep a copy if "
				   "you need one.\n",
				   "%zu replies were deleted from the drop (--ack): keep a copy if "
				   "you need them.\n",
				   rr->n_keep),
				rr->n_keep);
	}
	rc = o->json ? replies_print_json(rr, shown, acked) : EX_OK;
out:
	json_decref(shown);
	if (rr != NULL) {
		for (size_t i = 0; i < rr->n_keep; i++) {
			sodium_memzero(rr->keep[i].text, strlen(rr->keep[i].text));
			free(rr->keep[i].text);
		}
		free(rr->ack);
		free(rr);
	}
	if (codename != NULL)
		sodium_free(codename);
	if (keys != NULL)
		sodium_free(keys);
	return rc;
}

/* Levenshtein distance of two short words (at most 31 bytes each are compared). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, 31), lb = strnlen(b, 31), row[32];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			best = up + 1 < best ? up + 1 : best;
			best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* An unknown command, not repeated (it may be anything the worker typed): the nearest one. */
static int unknown_command(const char *cmd)
{
	static const char *const known[] = {"submit", "replies", "help"};
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (edit_distance(cmd, known[i]) <= 2)
			return cli_die(
				EX_USAGE,
				_("unknown command; did you mean \"%s\"? (see ghostdrop help)"),
				known[i]);
	return cli_die(EX_USAGE, _("unknown command: the commands are submit, replies and help"));
}

/* ghostdrop help [COMMAND], --help, COMMAND --help: on standard output. */
static int help(const char *cmd)
{
	if (cmd == NULL || strcmp(cmd, "help") == 0)
		printf("%s%s", _(USAGE), LANGUAGES_LINES);
	else if (strcmp(cmd, "submit") == 0)
		printf("%s%s", _(HELP_SUBMIT), _(HELP_COMMON));
	else if (strcmp(cmd, "replies") == 0)
		printf("%s%s", _(HELP_REPLIES), _(HELP_COMMON));
	else
		return unknown_command(cmd);
	return EX_OK;
}

/* An option getopt_long did not take: named (up to any '=', never its value), with the nearest
 * known option when one is close. */
static int bad_option(const struct option *lo, const char *arg, int val, const char *cmd)
{
	if (arg == NULL || strncmp(arg, "--", 2) != 0 || val == 'c')
		return val == 'c'
			       ? cli_die(EX_USAGE, CODENAME_TYPED_HERE)
			       : cli_die(EX_USAGE, _("unknown option -%c (see ghostdrop help %s)"),
					 val > 32 && val < 127 ? val : '?', cmd);
	int n = (int)strcspn(arg, "=");
	if (val != 0)
		return cli_die(EX_USAGE, _("%.*s takes no value (see ghostdrop help %s)"),
			       n < 40 ? n : 40, arg, cmd);
	char name[48];
	snprintf(name, sizeof name, "%.*s", n - 2 < 40 ? n - 2 : 40, arg + 2);
	for (const struct option *p = lo; p->name != NULL; p++)
		if (edit_distance(name, p->name) <= 2)
			return cli_die(EX_USAGE,
				       _("unknown option --%s; did you mean --%s? (see ghostdrop "
					 "help %s)"),
				       name, p->name, cmd);
	return cli_die(EX_USAGE, _("unknown option %.*s (see ghostdrop help %s)"), n < 40 ? n : 40,
		       arg, cmd);
}

/* An option of one command given to the other (by the val of its long option). */
static int wrong_command(const struct option *lo, const unsigned char *seen, const char *cmd)
{
	static const char submit_only[] = "mORkLY", replies_only[] = "a";
	int replies = strcmp(cmd, "replies") == 0;
	const char *other = replies ? submit_only : replies_only;
	for (const struct option *p = lo; p->name != NULL; p++)
		if (p->val > 0 && p->val < 128 && seen[p->val] && strchr(other, p->val) != NULL)
			return cli_die(EX_USAGE, _("--%s is for %s, not %s"), p->name,
				       replies ? "submit" : "replies", cmd);
	return EX_OK;
}

/* The positional arguments hold CODENAME_IN_TEXT or more words of the codename list (each
 * argument split at white space, as a codename is): a codename typed where files go. */
static int codename_in_args(char **args, int n)
{
	int found = 0;
	for (int i = 0; i < n; i++) {
		int words = 0;
		unsigned bad = gd_codename_bad_words(args[i], strlen(args[i]), &words);
		if (words > GD_CODENAME_WORDS)
			words = GD_CODENAME_WORDS;
		found += words - __builtin_popcount(bad & ((1u << words) - 1));
	}
	return found >= CODENAME_IN_TEXT;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"server", required_argument, NULL, 's'},
					   {"newsroom", required_argument, NULL, 'n'},
					   {"newsroom-file", required_argument, NULL, 'N'},
					   {"message-file", required_argument, NULL, 'm'},
					   {"codename-out", required_argument, NULL, 'O'},
					   {"codename-file", required_argument, NULL, 'C'},
					   {"codename", no_argument, NULL, 'c'},
					   {"no-reply", no_argument, NULL, 'R'},
					   {"proxy", required_argument, NULL, 'p'},
					   {"clearnet", no_argument, NULL, 'K'},
					   {"unlisted-server", no_argument, NULL, 'U'},
					   {"min-bundle-version", required_argument, NULL, 'V'},
					   {"state-dir", required_argument, NULL, 'S'},
					   {"json", no_argument, NULL, 'j'},
					   {"ack", no_argument, NULL, 'a'},
					   {"keep-metadata", optional_argument, NULL, 'k'},
					   {"keep-names", no_argument, NULL, 'L'},
					   {"yes", no_argument, NULL, 'Y'},
					   {"help", no_argument, NULL, 'h'},
					   {NULL, 0, NULL, 0}};
	opts o;
	int c;
	char *end;
	const char *lang;
	/* the language first, so every message is in it (--lang anywhere: taken out of argv) */
	if (i18n_take_lang(&argc, argv, &lang) != 0) {
		i18n_init(NULL);
		return cli_die(EX_USAGE, _("--lang needs a language: %s"), GD_LANGUAGES);
	}
	if (i18n_init(lang) != 0)
		/* TRANSLATORS: %s is the list of codes "en es pt_BR fil sw fr" (keep them). */
		return cli_die(EX_USAGE,
			       _("--lang: not a language of ghostdrop; the languages are %s"),
			       GD_LANGUAGES);
	if (cli_harden() != 0)
		return cli_die(EX_FAIL, _("cannot turn core dumps off: %s"), cli_strerror(errno));
	memset(&o, 0, sizeof o);
	if (argc < 2) {
		fprintf(stderr, "%s%s", _(USAGE), LANGUAGES_LINES);
		return EX_USAGE;
	}
	/* the command and the options are checked first, before what they need */
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0) {
		puts("ghostdrop " GD_VERSION);
		return EX_OK;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
		return help(argc > 2 ? argv[2] : NULL);
	if (cmd[0] == '-')
		return cli_die(EX_USAGE, _("the command comes first: ghostdrop submit ... or "
					   "ghostdrop replies ... (see ghostdrop help)"));
	if (strcmp(cmd, "submit") != 0 && strcmp(cmd, "replies") != 0)
		return unknown_command(cmd);
	unsigned char seen[128] = {0};
	opterr = 0; /* said here, without repeating a value */
	optind = 2;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (c > 0 && c < 128)
			seen[c] = 1;
		switch (c) {
		case 's':
			o.server = optarg;
			break;
		case 'n':
			o.newsroom = optarg;
			break;
		case 'N':
			o.newsroom_file = optarg;
			break;
		case 'm':
			o.message_file = optarg;
			break;
		case 'O':
			o.codename_out = optarg;
			break;
		case 'C':
			o.codename_file = optarg;
			break;
		case 'c':
			o.codename_prompt = 1;
			break;
		case 'R':
			o.no_reply = 1;
			break;
		case 'p':
			o.proxy = optarg;
			break;
		case 'K':
			o.clearnet = 1;
			break;
		case 'U':
			o.unlisted = 1;
			break;
		case 'S':
			o.state_dir = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'a':
			o.ack = 1;
			break;
		case 'k': /* --keep-metadata=F, --keep-metadata F (F stays a file to send), bare */
			if (optarg == NULL && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind];
			if (optarg == NULL)
				o.attach.keep_any = 1;
			else if (o.attach.n_keep == ATTACH_MAX)
				return cli_die(EX_USAGE, _("at most %d --keep-metadata files"),
					       ATTACH_MAX);
			else
				o.attach.keep[o.attach.n_keep++] = optarg;
			break;
		case 'L':
			o.attach.keep_names = 1;
			break;
		case 'Y':
			o.yes = 1;
			break;
		case 'V':
			errno = 0;
			o.min_version = strtoull(optarg, &end, 10);
			if (errno || *end != '\0' || optarg[0] == '-')
				return cli_die(EX_USAGE, _("--min-bundle-version takes a number"));
			break;
		case 'h':
			return help(cmd);
		case ':':
			return cli_die(EX_USAGE, _("%s needs a value (see ghostdrop help %s)"),
				       argv[optind - 1], cmd);
		default:
			return bad_option(lo, argv[optind - 1], optopt, cmd);
		}
	}
	o.files = argv + optind;
	o.n_files = argc - optind;
	if ((c = wrong_command(lo, seen, cmd)) != EX_OK)
		return c;
	/* "--codename WORDS": never echo what may be the codename, a file named like its first
	 * word there or not */
	if (o.codename_prompt && o.n_files > 0 &&
	    (strcmp(cmd, "replies") == 0 || access(o.files[0], F_OK) != 0 ||
	     codename_in_args(o.files, o.n_files)))
		return cli_die(EX_USAGE, CODENAME_TYPED_HERE);
	if (codename_in_args(o.files, o.n_files))
		return cli_die(EX_USAGE,
			       _("the command line holds %d or more words of the codename list: "
				 "never type a codename on a command line (--codename asks for it "
				 "at a prompt); nothing was sent. If it was your codename, it is "
				 "now in this terminal's history: run history -c and close the "
				 "terminal"),
			       CODENAME_IN_TEXT);
	if (strcmp(cmd, "replies") == 0 && o.n_files > 0)
		return cli_die(EX_USAGE, _("replies takes no files"));
	if (gd_init() != GD_OK)
		return cli_die(EX_FAIL, _("libsodium failed to initialise"));
	o.cmd = cmd;
	if (o.server == NULL || (o.newsroom == NULL && o.newsroom_file == NULL))
		return cli_die(EX_USAGE, _("--server URL and --newsroom KEY are required"));
	attach_sweep(); /* cleaned copies a killed run left in RAM */
	o.n_files = attach_unique(o.files, o.n_files, &o.attach);
	return strcmp(cmd, "submit") == 0 ? cmd_submit(&o) : cmd_replies(&o);
}
