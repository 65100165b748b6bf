/* Fuzz: the drop's request bodies and paths, with the very parsers the drop runs (linked from
 * server/api_parse.c): the path's segments, a chunk index, and each JSON body: upload
 * creation and commit, courier ack, mailbox fetch and ack, courier reply. The first input byte
 * picks the parser; the rest is the body. */
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "gdcrypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 300000)
		return 0;
	uint8_t which = data[0];
	const uint8_t *b = data + 1;
	size_t n = size - 1;
	if (which % 8 == 0) { /* a path, as api_head splits it; then a chunk index in it */
		char *path = malloc(n + 1), seg[6][64];
		memcpy(path, b, n);
		path[n] = '\0';
		int k = segments(path, seg);
		if (k > 6)
			abort();
		uint32_t idx;
		for (int i = 0; i < k; i++)
			if (chunk_index(seg[i], 1000, &idx) == 0 && idx >= 1000)
				abort();
		free(path);
		return 0;
	}
	json_t *o = parse_object(b, n);
	if (o == NULL)
		return 0;
	uint8_t id[GD_ID_BYTES], h[HASH_BYTES], key[GD_CHUNK_KEY_BYTES];
	gd_check check;
	mailbox_req m;
	body_why why;
	uint64_t sz;
	size_t len;
	int rc = 0;
	switch (which % 8) {
	case 1:
		if ((rc = upload_new_fields(o, id, &sz, &check, key, &why)) == 0 && sz < 1)
			abort();
		break;
	case 2:
		rc = commit_fields(o, h, &why);
		break;
	case 3:
		rc = ack_fields(o, h, &why);
		break;
	case 4:
		if ((rc = mailbox_fields(o, 0, &m, &why)) == 0 &&
		    (m.limit < 1 || m.limit > MAX_LIST))
			abort();
		break;
	case 5:
		if ((rc = mailbox_fields(o, 1, &m, &why)) == 0 &&
		    (json_object_size(o) != 3 || m.n_ids > MAX_LIST))
			abort();
		break;
	default: {
		size_t cap = n + 1;
		uint8_t *out = malloc(cap);
		if ((rc = reply_fields(o, id, out, cap, &len, &why)) == 0 &&
		    (len > cap || len < GD_REPLY_PAD_FLOOR || memcmp(out, "GDRP", 4) != 0))
			abort();
		free(out);
	}
	}
	/* a refusal says why, in a message that fits */
	if (rc != 0 && (memchr(why.text, '\0', sizeof why.text) == NULL || why.text[0] == '\0'))
		abort();
	json_decref(o);
	return 0;
}
