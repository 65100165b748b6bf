/* libghostdrop submission manifest: the JSON at the head of an envelope's plaintext.
 * PROTOCOL.md §6.2. */
#include <stdlib.h>

#include "internal.h"

#define SIZE_MAX_JSON 9007199254740991LL

void gd_manifest_clear(gd_manifest *m)
{
	if (m->text != NULL) {
		sodium_memzero(m->text, m->text_len);
		free(m->text);
	}
	if (m->attachments != NULL) {
		sodium_memzero(m->attachments, m->n_attachments * sizeof *m->attachments);
		free(m->attachments);
	}
	sodium_memzero(m, sizeof *m);
}

void gd_manifest_set_source(gd_manifest *m, const gd_source_keys *keys)
{
	m->has_source = 1;
	memcpy(m->reply_pk, keys->reply_pk, GD_BOX_PK_BYTES);
	memcpy(m->identity_pk, keys->identity_pk, GD_SIGN_PK_BYTES);
	memcpy(m->mailbox_id, keys->mailbox_id, GD_MAILBOX_ID_BYTES);
}

static const char *kind_name(gd_submission_kind k)
{
	return k == GD_KIND_TESTIMONY ? "testimony" : k == GD_KIND_FOLLOWUP ? "followup" : NULL;
}

static int manifest_check(const gd_manifest *m)
{
	if (kind_name(m->kind) == NULL || m->text_len > GD_ENV_MAX_TEXT ||
	    m->n_attachments > GD_ENV_MAX_ATTACHMENTS ||
	    (m->kind == GD_KIND_FOLLOWUP && !m->has_source) ||
	    (m->text_len > 0 && (m->text == NULL || memchr(m->text, '\0', m->text_len) != NULL)))
		return GD_ERR_FORMAT;
	uint64_t total = 0;
	for (size_t i = 0; i < m->n_attachments; i++) {
		const gd_attachment *a = &m->attachments[i];
		if (a->name[0] == '\0' || memchr(a->name, '\0', sizeof a->name) == NULL ||
		    memchr(a->type, '\0', sizeof a->type) == NULL || a->size > GD_ENV_MAX_PLAINTEXT)
			return GD_ERR_FORMAT;
		total += a->size;
		if (total > GD_ENV_MAX_PLAINTEXT)
			return GD_ERR_TOO_LARGE;
	}
	return GD_OK;
}

int gd_manifest_encode(uint8_t **out, size_t *out_len, const gd_manifest *m)
{
	int rc = manifest_check(m);
	json_t *o = NULL, *atts, *a;
	if (rc != GD_OK)
		return rc;
	rc = GD_ERR_NOMEM;
	if ((o = json_object()) == NULL || (atts = json_array()) == NULL ||
	    json_object_set_new(o, "attachments", atts) != 0)
		goto out;
	json_t *text = json_stringn(m->text ? m->text : "", m->text_len);
	if (text == NULL) { /* invalid UTF-8 */
		rc = GD_ERR_FORMAT;
		goto out;
	}
	if (json_object_set_new(o, "text", text) != 0 ||
	    json_object_set_new(o, "v", json_integer(1)) != 0 ||
	    json_object_set_new(o, "kind", json_string(kind_name(m->kind))) != 0 ||
	    gd_json_set_b64(o, "id", m->submission_id, GD_ID_BYTES) != GD_OK)
		goto out;
	if (m->has_source && (gd_json_set_b64(o, "reply_pk", m->reply_pk, GD_BOX_PK_BYTES) ||
			      gd_json_set_b64(o, "identity_pk", m->identity_pk, GD_SIGN_PK_BYTES) ||
			      gd_json_set_b64(o, "mailbox_id", m->mailbox_id, GD_MAILBOX_ID_BYTES)))
		goto out;
	for (size_t i = 0; i < m->n_attachments; i++) {
		json_t *name = json_string(m->attachments[i].name),
		       *type = json_string(m->attachments[i].type);
		if (name == NULL || type == NULL || (a = json_object()) == NULL) {
			json_decref(name);
			json_decref(type);
			rc = GD_ERR_FORMAT;
			goto out;
		}
		if (json_array_append_new(atts, a) != 0 ||
		    json_object_set_new(a, "name", name) != 0 ||
		    json_object_set_new(a, "type", type) != 0 ||
		    json_object_set_new(a, "size",
					json_integer((json_int_t)m->attachments[i].size)))
			goto out;
	}
	rc = gd_json_dump(o, out, out_len);
	if (rc == GD_OK && *out_len > GD_ENV_MAX_MANIFEST) {
		sodium_memzero(*out, *out_len);
		free(*out);
		*out = NULL;
		rc = GD_ERR_TOO_LARGE;
	}
out:
	json_decref(o);
	return rc;
}

static const char *const MANIFEST_KEYS[] = {
	"v", "kind", "id", "text", "attachments", "reply_pk", "identity_pk", "mailbox_id", NULL};
static const char *const ATTACHMENT_KEYS[] = {"name", "type", "size", NULL};

static int copy_string(char *dst, size_t cap, json_t *v)
{
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return GD_ERR_FORMAT;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return GD_OK;
}

int gd_manifest_decode(gd_manifest *m, const uint8_t *in, size_t len)
{
	json_t *o = gd_json_parse(in, len), *v;
	int64_t ver = 0, size = 0;
	size_t i;
	int rc = GD_ERR_FORMAT;
	memset(m, 0, sizeof *m);
	if (o == NULL)
		return GD_ERR_FORMAT;
	if (gd_json_only_keys(o, MANIFEST_KEYS) != GD_OK)
		goto out;
	if (gd_json_get_int(o, "v", &ver, 0, 1000) != GD_OK)
		goto out;
	if (ver != 1) {
		rc = GD_ERR_VERSION;
		goto out;
	}
	json_t *kind = json_object_get(o, "kind"), *text = json_object_get(o, "text"),
	       *atts = json_object_get(o, "attachments");
	if (!json_is_string(kind) || !json_is_string(text) || !json_is_array(atts) ||
	    json_array_size(atts) > GD_ENV_MAX_ATTACHMENTS ||
	    json_string_length(text) > GD_ENV_MAX_TEXT)
		goto out;
	if (strcmp(json_string_value(kind), "testimony") == 0)
		m->kind = GD_KIND_TESTIMONY;
	else if (strcmp(json_string_value(kind), "followup") == 0)
		m->kind = GD_KIND_FOLLOWUP;
	else
		goto out;
	if (gd_json_get_b64(o, "id", m->submission_id, GD_ID_BYTES) != GD_OK)
		goto out;
	int has_reply = json_object_get(o, "reply_pk") != NULL,
	    has_id = json_object_get(o, "identity_pk") != NULL,
	    has_mb = json_object_get(o, "mailbox_id") != NULL;
	if (has_reply != has_id || has_reply != has_mb)
		goto out;
	if (has_reply &&
	    (gd_json_get_b64(o, "reply_pk", m->reply_pk, GD_BOX_PK_BYTES) != GD_OK ||
	     gd_json_get_b64(o, "identity_pk", m->identity_pk, GD_SIGN_PK_BYTES) != GD_OK ||
	     gd_json_get_b64(o, "mailbox_id", m->mailbox_id, GD_MAILBOX_ID_BYTES) != GD_OK))
		goto out;
	m->has_source = has_reply;
	m->text_len = json_string_length(text);
	if ((m->text = malloc(m->text_len + 1)) == NULL) {
		rc = GD_ERR_NOMEM;
		goto out;
	}
	memcpy(m->text, json_string_value(text), m->text_len + 1);
	m->n_attachments = json_array_size(atts);
	if (m->n_attachments > 0 &&
	    (m->attachments = calloc(m->n_attachments, sizeof *m->attachments)) == NULL) {
		rc = GD_ERR_NOMEM;
		goto out;
	}
	json_array_foreach (atts, i, v) {
		gd_attachment *a = &m->attachments[i];
		if (!json_is_object(v) || gd_json_only_keys(v, ATTACHMENT_KEYS) != GD_OK ||
		    copy_string(a->name, sizeof a->name, json_object_get(v, "name")) != GD_OK ||
		    copy_string(a->type, sizeof a->type, json_object_get(v, "type")) != GD_OK ||
		    gd_json_get_int(v, "size", &size, 0, SIZE_MAX_JSON) != GD_OK)
			goto out;
		a->size = (uint64_t)size;
	}
	rc = manifest_check(m);
out:
	json_decref(o);
	if (rc != GD_OK)
		gd_manifest_clear(m);
	return rc;
}
