/* ghostdropd /v1 API, proof of work: the challenges a client solves before a write (§9). */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

#define POW_TTL 300 /* seconds a challenge is valid */

void on_pow(api *a, rctx *x)
{
	http_req *r = x->r;
	char p[sizeof "mailbox"] = "", sz[24]; /* a purpose; a 64-bit size */
	gd_pow_challenge c = {0};
	uint8_t ch[GD_POW_CHALLENGE_BYTES];
	http_query(r, "purpose", p, sizeof p);
	if (strcmp(p, "submit") == 0)
		c.purpose = GD_POW_SUBMIT;
	else if (strcmp(p, "upload") == 0)
		c.purpose = GD_POW_UPLOAD;
	else if (strcmp(p, "mailbox") == 0)
		c.purpose = GD_POW_MAILBOX;
	else {
		http_reply_error(r, 400, "bad_request",
				 "purpose must be submit, upload or mailbox");
		return;
	}
	int have_size = http_query(r, "size", sz, sizeof sz) == 0;
	if (c.purpose == GD_POW_UPLOAD) {
		char *end = sz;
		errno = 0;
		c.declared_size = have_size ? strtoull(sz, &end, 10) : 0;
		if (!have_size || errno || *end != '\0' || sz[0] == '-' || c.declared_size == 0 ||
		    c.declared_size > a->cfg.max_envelope) {
			http_reply_error(r, 400, "bad_size", "size must be 1..max envelope size");
			return;
		}
	}
	c.bits = (uint8_t)pow_bits(a, c.purpose, c.declared_size, 1);
	c.backend = (uint16_t)a->cfg.backend_id;
	c.expires = (int64_t)now_s() + POW_TTL;
	randombytes_buf(c.id, sizeof c.id);
	gd_pow_issue(ch, &c, a->pow_key);
	json_t *o = json_object();
	json_object_set_new(o, "challenge", b64j(ch, sizeof ch));
	json_object_set_new(o, "bits", json_integer(c.bits));
	json_object_set_new(o, "expires_in", json_integer(POW_TTL));
	reply_json(r, 200, o);
}
