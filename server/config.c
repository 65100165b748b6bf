/* ghostdropd configuration: DIR/ghostdropd.conf, "key = value" lines, every setting commented. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdcrypto.h"

void config_defaults(gd_config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
	c->listen_port = 8080;
	c->map_size = 16ULL << 30;
	c->high_water_percent = 90;
	c->max_envelope = 4ULL << 30;
	c->max_submit = (1u << 20) + 65536;
	c->chunk_size = 1u << 20;
	c->max_uploads = 32;
	c->upload_hours = 24;
	c->upload_stall_minutes = 30;
	c->upload_idle_seconds = 120;
	c->upload_keep_idle_minutes = 720;
	c->max_connections = 256;
	c->header_timeout = 20;
	c->first_byte_timeout = 10;
	c->body_memory = 64ULL << 20;
	c->body_timeout = 120;
	c->retention_days = 30;
	c->unfetched_retention_days = 0;
	c->reply_days = 30;
	c->max_mailbox_replies = 100;
	c->pow_min_bits = 18;
	c->pow_max_bits = 28;
	c->backend_id = 0;
	c->web_page = 1;
}

int config_set_listen(gd_config *c, const char *hp)
{
	const char *colon = strrchr(hp, ':');
	char *end;
	if (colon == NULL || colon == hp || (size_t)(colon - hp) >= sizeof c->listen_host)
		return -1;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || *end != '\0' || colon[1] == '\0' || port > 65535)
		return -1;
	memcpy(c->listen_host, hp, (size_t)(colon - hp));
	c->listen_host[colon - hp] = '\0';
	c->listen_port = (uint16_t)port;
	return 0;
}

typedef struct {
	const char *key;
	char kind; /* u unsigned, U 64-bit, z size_t, m megabytes (U), k kibibytes (z) */
	size_t off;
	uint64_t min, max;
	const char *help;
} setting;

#define F(f) offsetof(gd_config, f)
static const setting SETTINGS[] = {
	{"map_size_mb", 'm', F(map_size), 16, 1 << 24,
	 "Size of the LMDB map (the most the database can hold), in MiB. A sparse file: disk is\n"
	 "# used only as data arrives. Can be raised later, never lowered below the data."},
	{"high_water_percent", 'u', F(high_water_percent), 10, 99,
	 "Past this share of the map, new data is refused with 507; the rest is kept free so\n"
	 "# that deletions (courier acks, expiry, purge) always work."},
	{"max_envelope_mb", 'm', F(max_envelope), 1, 1 << 20,
	 "Largest envelope accepted, through resumable uploads, in MiB."},
	{"max_submit_kb", 'k', F(max_submit), 17, 1 << 16,
	 "Largest envelope accepted in one POST, in KiB (larger ones use uploads)."},
	{"chunk_size_kb", 'k', F(chunk_size), 64, 1 << 14, "Upload chunk size, in KiB."},
	{"max_uploads", 'u', F(max_uploads), 1, 100000,
	 "Uploads open at once; their declared sizes count against the high-water mark."},
	{"upload_hours", 'u', F(upload_hours), 1, 24 * 30,
	 "An upload must be committed within this."},
	{"upload_stall_minutes", 'u', F(upload_stall_minutes), 1, 24 * 60,
	 "An upload with no new chunk stored for this long while chunks arrive is dropped."},
	{"upload_idle_seconds", 'u', F(upload_idle_seconds), 1, 24 * 3600,
	 "Seconds an upload may go without storing a chunk (or its commit) while none arrives\n"
	 "# and still keep its room: when every upload slot, or the space below the mark, is\n"
	 "# taken, one that stored nothing for this long (half as long per bit of proof of work\n"
	 "# it has less) gives its slot and its reserved space to a new one at once."},
	{"upload_keep_idle_minutes", 'u', F(upload_keep_idle_minutes), 0, 24 * 30 * 60,
	 "Minutes an idle upload (no chunk stored, none arriving) keeps its chunks while nobody\n"
	 "# needs its room, so that an interrupted worker continues it (within upload_hours of\n"
	 "# its start, and this daemon run). 0: dropped after upload_idle_seconds."},
	{"max_connections", 'u', F(max_connections), 1, 1000000,
	 "Connections open at once; past it new ones get 503 and are closed, unless one still\n"
	 "# waiting for its headers can make room."},
	{"header_timeout", 'u', F(header_timeout), 1, 3600,
	 "Seconds, absolute, for a request's headers to arrive (slow clients are cut off)."},
	{"first_byte_timeout", 'u', F(first_byte_timeout), 1, 3600,
	 "Seconds for a new (or kept idle) connection to send its first byte. At the connection\n"
	 "# cap a new connection also replaces the one waiting longest for its headers."},
	{"body_timeout", 'u', F(body_timeout), 1, 86400,
	 "Seconds, absolute, for a request's body to arrive after its headers."},
	{"body_memory_mb", 'm', F(body_memory), 1, 1 << 20,
	 "Request bodies held in memory at once, all connections together, in MiB (raised to\n"
	 "# the largest body a route accepts). Past it the body moving slowest gives way to a new\n"
	 "# one, else the new one gets 503 overloaded before its body is read."},
	{"retention_days", 'u', F(retention_days), 1, 100000,
	 "Days a submission is kept after a courier first fetched it."},
	{"unfetched_retention_days", 'u', F(unfetched_retention_days), 0, 100000,
	 "Days an unfetched submission is kept; 0 keeps it until a courier fetched it."},
	{"reply_days", 'u', F(reply_days), 1, 100000, "Days a reply waits in its mailbox."},
	{"max_mailbox_replies", 'u', F(max_mailbox_replies), 1, 100000,
	 "Replies one mailbox holds at most; past it a push is refused (409 mailbox_full)."},
	{"pow_min_bits", 'u', F(pow_min_bits), 0, GD_POW_MAX_BITS,
	 "Proof-of-work difficulty when idle, in leading zero bits (each bit doubles the work)."},
	{"pow_max_bits", 'u', F(pow_max_bits), 0, GD_POW_MAX_BITS,
	 "Highest difficulty under load (an upload's size bits still count past it)."},
	{"backend_id", 'u', F(backend_id), 0, 65535,
	 "Distinct id of this daemon when several sit behind one onion address."},
};

static int set_value(gd_config *c, const setting *s, uint64_t v)
{
	if (v < s->min || v > s->max)
		return -1;
	char *base = (char *)c + s->off;
	switch (s->kind) {
	case 'u':
		*(unsigned *)(void *)base = (unsigned)v;
		break;
	case 'U':
		*(uint64_t *)(void *)base = v;
		break;
	case 'm':
		*(uint64_t *)(void *)base = v << 20;
		break;
	case 'z':
		*(size_t *)(void *)base = (size_t)v;
		break;
	case 'k':
		*(size_t *)(void *)base = (size_t)v << 10;
		break;
	}
	return 0;
}

static uint64_t get_value(const gd_config *c, const setting *s)
{
	const char *base = (const char *)c + s->off;
	switch (s->kind) {
	case 'u':
		return *(const unsigned *)(const void *)base;
	case 'm':
		return *(const uint64_t *)(const void *)base >> 20;
	case 'k':
		return *(const size_t *)(const void *)base >> 10;
	case 'z':
		return *(const size_t *)(const void *)base;
	default:
		return *(const uint64_t *)(const void *)base;
	}
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load(gd_config *c, const char *path, char *err, size_t cap)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;
	config_defaults(c);
	if (f == NULL) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		n++;
		char *p = trim(line), *eq, *key, *val, *end;
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			snprintf(err, cap, "%s:%d: expected key = value", path, n);
			goto fail;
		}
		*eq = '\0';
		key = trim(p);
		val = trim(eq + 1);
		if (strcmp(key, "listen") == 0) {
			if (config_set_listen(c, val) != 0) {
				snprintf(err, cap, "%s:%d: listen must be HOST:PORT", path, n);
				goto fail;
			}
			continue;
		}
		if (strcmp(key, "newsroom") == 0) {
			uint8_t pk[GD_SIGN_PK_BYTES];
			if (gd_keystring_decode(pk, val) != GD_OK ||
			    strlen(val) >= sizeof c->newsroom) {
				snprintf(err, cap, "%s:%d: newsroom is not a valid newsroom key",
					 path, n);
				goto fail;
			}
			snprintf(c->newsroom, sizeof c->newsroom, "%s", val);
			continue;
		}
		if (strcmp(key, "web_page") == 0) {
			if (strcmp(val, "on") != 0 && strcmp(val, "off") != 0) {
				snprintf(err, cap, "%s:%d: web_page must be on or off", path, n);
				goto fail;
			}
			c->web_page = strcmp(val, "on") == 0;
			continue;
		}
		const setting *s = NULL;
		for (size_t i = 0; i < sizeof SETTINGS / sizeof SETTINGS[0]; i++)
			if (strcmp(key, SETTINGS[i].key) == 0)
				s = &SETTINGS[i];
		if (s == NULL) {
			snprintf(err, cap, "%s:%d: unknown setting '%s'", path, n, key);
			goto fail;
		}
		errno = 0;
		unsigned long long v = strtoull(val, &end, 10);
		if (errno || end == val || *end != '\0' || val[0] == '-' ||
		    set_value(c, s, v) != 0) {
			snprintf(err, cap, "%s:%d: %s must be a number from %llu to %llu", path, n,
				 key, (unsigned long long)s->min, (unsigned long long)s->max);
			goto fail;
		}
	}
	fclose(f);
	if (c->newsroom[0] == '\0') {
		snprintf(err, cap, "%s: no newsroom key", path);
		return -1;
	}
	if (c->pow_max_bits < c->pow_min_bits) {
		snprintf(err, cap, "%s: pow_max_bits is below pow_min_bits", path);
		return -1;
	}
	if (c->max_submit > c->max_envelope) {
		snprintf(err, cap, "%s: max_submit_kb is above max_envelope_mb", path);
		return -1;
	}
	return 0;
fail:
	fclose(f);
	return -1;
}

char *config_render(const gd_config *c)
{
	size_t cap = 8192, o = 0;
	char *out = malloc(cap);
	if (out == NULL)
		return NULL;
	o += (size_t)snprintf(
		out + o, cap - o,
		"# ghostdropd configuration. Lines are \"key = value\"; # starts a "
		"comment.\n\n# The newsroom key (ghostdrop-desk newsroom init). Key "
		"bundles are\n# published only if signed by it.\nnewsroom = %s\n\n"
		"# Address to listen on. Keep it on loopback and publish it as a Tor\n"
		"# onion service (ghostdropd torrc).\nlisten = %s:%u\n\n"
		"# The submission page for Tor Browser at / (on or off; docs/OPERATOR.md,\n"
		"# \"The web page\"). Off: only the API under /v1 is served. The page's\n"
		"# code comes from this drop: a compromised drop could serve one that\n"
		"# leaks, which the ghostdrop command line cannot suffer.\nweb_page = %s\n",
		c->newsroom, c->listen_host, c->listen_port, c->web_page ? "on" : "off");
	for (size_t i = 0; i < sizeof SETTINGS / sizeof SETTINGS[0] && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "\n# %s\n%s = %llu\n", SETTINGS[i].help,
				      SETTINGS[i].key,
				      (unsigned long long)get_value(c, &SETTINGS[i]));
	return out;
}
