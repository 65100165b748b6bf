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
	uint8_t id[16], h[32], *ids = malloc(16 * MAX_LIST + 1);
	mailbox_req m;
	uint64_t sz;
	size_t cnt = 0, len;
	switch (which % 8) {
	case 1:
		if (upload_new_fields(o, id, &sz) == 0 && sz < 1)
			abort();
		break;
	case 2: commit_fields(o, h); break;
	case 3: ack_fields(o, h); break;
	case 4:
		if (mailbox_fields(o, 0, &m) == 0 && (m.limit < 1 || m.limit > MAX_LIST))
			abort();
		break;
	case 5:
		if (mailbox_fields(o, 1, &m) == 0 && json_object_size(o) != 3)
			abort();
		if (mailbox_ids(o, ids, &cnt) == 0 && cnt > MAX_LIST)
			abort();
		break;
	default: {
		size_t cap = n + 1;
		uint8_t *out = malloc(cap);
		if (reply_fields(o, id, out, cap, &len) == 0 &&
		    (len > cap || len < GD_REPLY_PAD_FLOOR || memcmp(out, "GDRP", 4) != 0))
			abort();
		free(out);
	}
	}
	free(ids);
	json_decref(o);
	return 0;
}
