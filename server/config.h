/* ghostdropd configuration: DIR/ghostdropd.conf, "key = value" lines, every setting commented. */
#ifndef GD_SERVER_CONFIG_H
#define GD_SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	char listen_host[64];
	uint16_t listen_port;
	char newsroom[80]; /* the newsroom key string (PROTOCOL.md §3) */
	uint64_t map_size; /* bytes */
	unsigned high_water_percent;
	uint64_t max_envelope; /* bytes, through uploads */
	size_t max_submit;     /* bytes, one-request submissions */
	size_t chunk_size;     /* upload chunk size */
	unsigned max_uploads;
	unsigned upload_hours;         /* deadline of an upload */
	unsigned upload_stall_minutes; /* minimum progress: a chunk at least this often */
	unsigned upload_idle_seconds;  /* no chunk yet, or all in and no commit; slot yielding */
	unsigned upload_keep_idle_minutes; /* an idle upload kept while its room is not needed */
	unsigned max_connections;
	unsigned header_timeout; /* seconds, absolute, from connection or previous reply */
	uint64_t body_memory; /* bytes of request bodies in memory at once (PROTOCOL.md §11.1) */
	unsigned first_byte_timeout; /* seconds from connection or previous reply to a first byte */
	unsigned body_timeout;       /* seconds, absolute, from the end of the header */
	unsigned retention_days;     /* after the first courier fetch */
	unsigned unfetched_retention_days; /* 0: never expire unfetched submissions */
	unsigned reply_days;
	unsigned max_mailbox_replies; /* live replies per mailbox (PROTOCOL.md §11.4) */
	unsigned pow_min_bits;
	unsigned pow_max_bits;
	unsigned backend_id;
	int web_page; /* serve the submission page at / (docs/OPERATOR.md "The web page") */
} gd_config;

void config_defaults(gd_config *c);
/* Parse a config file. On error returns -1 and writes one line into err. */
int config_load(gd_config *c, const char *path, char *err, size_t err_cap);
/* The default file, every setting commented, for `init`. malloc'ed. */
char *config_render(const gd_config *c);
/* "host:port" into c; -1 if malformed. */
int config_set_listen(gd_config *c, const char *hostport);

#endif
