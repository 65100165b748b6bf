/* libghostdrop key bundle and journalist public-key files: signed over opaque bytes, verified
 * before the JSON is parsed, parsed strictly. PROTOCOL.md §4.2 and §5. */
#include <stdlib.h>

#include "internal.h"

static const uint8_t KB_MAGIC[4] = {'G', 'D', 'K', 'B'};
#define KB_FORMAT 1
#define KB_PREFIX 9 /* magic, format, json length */
/* JSON integers are exact up to 2^53; times are seconds since 1970, before year 10000. */
#define TIME_MAX 253402300799LL
#define VERSION_MAX 9007199254740991LL

int gd_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64 || name[0] == '.' || name[0] == ' ' || name[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!gd_ascii_isalnum(c) && c != ' ' && c != '.' && c != '_' && c != '-')
			return 0;
	}
	return 1;
}

/* ---- server URLs (PROTOCOL.md §5.2): one grammar for the signer, the verifier and the
 * client's "is my server listed" ---- */

static int is_lhex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal number, no leading zero, 1..5 digits, within lo..hi: its length, or 0. */
static size_t dec(const char *s, size_t n, unsigned lo, unsigned hi)
{
	size_t i = 0;
	unsigned v = 0;
	while (i < n && i < 6 && is_digit(s[i]))
		v = v * 10 + (unsigned)(s[i++] - '0');
	if (i == 0 || i > 5 || (i > 1 && s[0] == '0') || v < lo || v > hi)
		return 0;
	return i;
}

/* Dotted-quad IPv4, exactly s[0..n). */
static int ipv4_valid(const char *s, size_t n)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0 && (i >= n || s[i++] != '.'))
			return 0;
		size_t k = dec(s + i, n - i, 0, 255);
		if (k == 0)
			return 0;
		i += k;
	}
	return i == n;
}

/* An IPv6 address in RFC 4291 text form, lower-case hex, no zone: exactly s[0..n). */
static int ipv6_valid(const char *s, size_t n)
{
	size_t i = 0;
	unsigned groups = 0;
	int gap = 0;
	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 1;
		i = 2;
		if (i == n)
			return 1; /* "::" */
	}
	for (;;) {
		size_t k = 0;
		while (i + k < n && k < 5 && is_lhex(s[i + k]))
			k++;
		if (i + k < n && s[i + k] == '.') { /* an IPv4 tail: the last 32 bits */
			if (!ipv4_valid(s + i, n - i))
				return 0;
			groups += 2;
			break;
		}
		if (k == 0 || k > 4)
			return 0;
		groups++;
		i += k;
		if (i == n)
			break;
		if (s[i++] != ':' || i == n)
			return 0;
		if (s[i] == ':') {
			if (gap)
				return 0;
			gap = 1;
			if (++i == n)
				break;
		}
	}
	return gap ? groups <= 7 : groups == 8;
}

/* A host name: dot-separated labels of [a-z0-9-], each 1..63 bytes (an IPv4 address is one). */
static int name_valid(const char *s, size_t n)
{
	size_t label = 0;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || is_digit(c) || c == '-') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

/* ("http" | "https") "://" (name | "[" IPv6 "]") [":" port 1..65535], lower case, at most
 * GD_SERVER_MAX bytes: no user info, path (not even "/"), query or fragment. */
int gd_server_url_check(const char *url)
{
	/* indexes into url, not a pointer past the scheme: GCC 12 at -O2 with ASan mistook
	 * strlen(url + 7) for a read of a zero-sized region (-Wstringop-overread) */
	size_t len, start, end;
	if (url == NULL || (len = strnlen(url, GD_SERVER_MAX + 1)) > GD_SERVER_MAX)
		return GD_ERR_FORMAT;
	if (strncmp(url, "http://", 7) == 0)
		start = 7;
	else if (strncmp(url, "https://", 8) == 0)
		start = 8;
	else
		return GD_ERR_FORMAT;
	if (start < len && url[start] == '[') {
		const char *close = memchr(url + start, ']', len - start);
		if (close == NULL ||
		    !ipv6_valid(url + start + 1, (size_t)(close - url) - start - 1))
			return GD_ERR_FORMAT;
		end = (size_t)(close - url) + 1;
	} else {
		end = start;
		while (end < len && url[end] != ':')
			end++;
		if (!name_valid(url + start, end - start))
			return GD_ERR_FORMAT;
	}
	if (end == len)
		return GD_OK;
	if (url[end] != ':' || end + 1 == len ||
	    dec(url + end + 1, len - end - 1, 1, 65535) != len - end - 1)
		return GD_ERR_FORMAT;
	return GD_OK;
}

static const char *const JOURNALIST_KEYS[] = {"name",      "x25519",      "not_before",
					      "not_after", "verify_only", NULL};

static int journalist_from_json(gd_journalist *j, json_t *o)
{
	json_t *name = json_object_get(o, "name"), *vo = json_object_get(o, "verify_only");
	if (!json_is_object(o) || gd_json_only_keys(o, JOURNALIST_KEYS) != GD_OK ||
	    !json_is_string(name) || json_string_length(name) >= sizeof j->name ||
	    (vo != NULL && !json_is_boolean(vo)))
		return GD_ERR_FORMAT;
	memset(j, 0, sizeof *j);
	memcpy(j->name, json_string_value(name), json_string_length(name));
	if (strlen(j->name) != json_string_length(name) || !gd_name_valid(j->name) ||
	    gd_json_get_b64(o, "x25519", j->pk, sizeof j->pk) != GD_OK ||
	    gd_json_get_int(o, "not_before", &j->not_before, 0, TIME_MAX) != GD_OK ||
	    gd_json_get_int(o, "not_after", &j->not_after, 0, TIME_MAX) != GD_OK ||
	    j->not_after <= j->not_before)
		return GD_ERR_FORMAT;
	j->verify_only = vo != NULL && json_is_true(vo);
	return GD_OK;
}

static json_t *journalist_to_json(const gd_journalist *j)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "name", json_string(j->name)) != 0 ||
	    gd_json_set_b64(o, "x25519", j->pk, sizeof j->pk) != GD_OK ||
	    json_object_set_new(o, "not_before", json_integer(j->not_before)) != 0 ||
	    json_object_set_new(o, "not_after", json_integer(j->not_after)) != 0 ||
	    json_object_set_new(o, "verify_only", json_boolean(j->verify_only)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *gd_pubfile_encode(const gd_journalist *j)
{
	if (!gd_name_valid(j->name) || j->not_after <= j->not_before)
		return NULL;
	json_t *o = journalist_to_json(j);
	uint8_t *out = NULL;
	size_t n = 0;
	if (o == NULL)
		return NULL;
	if (json_object_set_new(o, "format", json_string("ghostdrop-journalist-key")) != 0 ||
	    json_object_set_new(o, "version", json_integer(1)) != 0 ||
	    gd_json_dump(o, &out, &n) != GD_OK)
		out = NULL;
	json_decref(o);
	return (char *)out;
}

int gd_pubfile_decode(gd_journalist *j, const char *text, size_t len)
{
	json_t *o = gd_json_parse((const uint8_t *)text, len);
	int rc = GD_ERR_FORMAT;
	if (o == NULL)
		return GD_ERR_FORMAT;
	json_t *fmt = json_object_get(o, "format"), *ver = json_object_get(o, "version");
	if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "ghostdrop-journalist-key"))
		goto out;
	if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
		rc = GD_ERR_VERSION;
		goto out;
	}
	json_object_del(o, "format");
	json_object_del(o, "version");
	rc = journalist_from_json(j, o);
out:
	json_decref(o);
	return rc;
}

/* Rules shared by signing and verifying (PROTOCOL.md §5.2). */
static int bundle_check(const gd_bundle *b)
{
	if (b->version < 1 || b->version > (uint64_t)VERSION_MAX || b->expires <= b->created ||
	    b->n_servers < 1 || b->n_servers > GD_BUNDLE_MAX_SERVERS || b->n_journalists < 1 ||
	    b->n_journalists > GD_BUNDLE_MAX_JOURNALISTS ||
	    (b->newsroom[0] != '\0' && !gd_name_valid(b->newsroom)))
		return GD_ERR_FORMAT;
	for (size_t i = 0; i < b->n_servers; i++) {
		if (gd_server_url_check(b->servers[i]) != GD_OK)
			return GD_ERR_FORMAT;
		for (size_t k = 0; k < i; k++)
			if (strcmp(b->servers[i], b->servers[k]) == 0)
				return GD_ERR_FORMAT;
	}
	for (size_t i = 0; i < b->n_journalists; i++) {
		const gd_journalist *j = &b->journalists[i];
		if (!gd_name_valid(j->name) || j->not_after <= j->not_before ||
		    j->not_after > b->expires)
			return GD_ERR_FORMAT;
		for (size_t k = 0; k < i; k++)
			if (memcmp(j->pk, b->journalists[k].pk, GD_BOX_PK_BYTES) == 0)
				return GD_ERR_FORMAT;
	}
	return GD_OK;
}

int gd_bundle_sign(uint8_t **out, size_t *out_len, const gd_bundle *b,
		   const uint8_t root_sk[GD_SIGN_SK_BYTES])
{
	json_t *o = NULL, *servers, *js;
	uint8_t *json = NULL, *buf = NULL;
	size_t jlen = 0;
	int rc = bundle_check(b);
	if (rc != GD_OK)
		return rc;
	rc = GD_ERR_NOMEM;
	if ((o = json_object()) == NULL || (servers = json_array()) == NULL ||
	    json_object_set_new(o, "servers", servers) != 0 || (js = json_array()) == NULL ||
	    json_object_set_new(o, "journalists", js) != 0)
		goto out;
	if (json_object_set_new(o, "bundle_version", json_integer((json_int_t)b->version)) ||
	    json_object_set_new(o, "created", json_integer(b->created)) ||
	    json_object_set_new(o, "expires", json_integer(b->expires)) ||
	    json_object_set_new(o, "newsroom", json_string(b->newsroom)))
		goto out;
	for (size_t i = 0; i < b->n_servers; i++)
		if (json_array_append_new(servers, json_string(b->servers[i])) != 0)
			goto out;
	for (size_t i = 0; i < b->n_journalists; i++)
		if (json_array_append_new(js, journalist_to_json(&b->journalists[i])) != 0)
			goto out;
	if ((rc = gd_json_dump(o, &json, &jlen)) != GD_OK)
		goto out;
	if (jlen > GD_BUNDLE_MAX_JSON) {
		rc = GD_ERR_TOO_LARGE;
		goto out;
	}
	size_t total = KB_PREFIX + jlen + GD_SIG_BYTES;
	if ((buf = malloc(total)) == NULL) {
		rc = GD_ERR_NOMEM;
		goto out;
	}
	memcpy(buf, KB_MAGIC, 4);
	buf[4] = KB_FORMAT;
	gd_put_u32(buf + 5, (uint32_t)jlen);
	memcpy(buf + KB_PREFIX, json, jlen);
	if ((rc = gd_sign_ctx(buf + KB_PREFIX + jlen, GD_CTX_BUNDLE, buf, KB_PREFIX + jlen, NULL, 0,
			      root_sk)) != GD_OK)
		goto out;
	*out = buf;
	*out_len = total;
	buf = NULL;
out:
	free(buf);
	free(json);
	json_decref(o);
	return rc;
}

static const char *const BUNDLE_KEYS[] = {"bundle_version", "created",     "expires", "newsroom",
					  "servers",        "journalists", NULL};

static int bundle_parse(gd_bundle *b, const uint8_t *json, size_t len)
{
	json_t *o = gd_json_parse(json, len), *v;
	int64_t ver = 0;
	size_t i;
	int rc = GD_ERR_FORMAT;
	if (o == NULL)
		return GD_ERR_FORMAT;
	json_t *servers = json_object_get(o, "servers"), *js = json_object_get(o, "journalists"),
	       *nr = json_object_get(o, "newsroom");
	if (gd_json_only_keys(o, BUNDLE_KEYS) != GD_OK ||
	    gd_json_get_int(o, "bundle_version", &ver, 1, VERSION_MAX) != GD_OK ||
	    gd_json_get_int(o, "created", &b->created, 0, TIME_MAX) != GD_OK ||
	    gd_json_get_int(o, "expires", &b->expires, 0, TIME_MAX) != GD_OK ||
	    !json_is_string(nr) || json_string_length(nr) >= sizeof b->newsroom ||
	    !json_is_array(servers) || json_array_size(servers) > GD_BUNDLE_MAX_SERVERS ||
	    !json_is_array(js) || json_array_size(js) > GD_BUNDLE_MAX_JOURNALISTS)
		goto out;
	b->version = (uint64_t)ver;
	memcpy(b->newsroom, json_string_value(nr), json_string_length(nr));
	if (strlen(b->newsroom) != json_string_length(nr))
		goto out;
	json_array_foreach (servers, i, v) {
		if (!json_is_string(v) || json_string_length(v) > GD_SERVER_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v))
			goto out;
		memcpy(b->servers[i], json_string_value(v), json_string_length(v) + 1);
	}
	b->n_servers = json_array_size(servers);
	json_array_foreach (js, i, v) {
		if ((rc = journalist_from_json(&b->journalists[i], v)) != GD_OK)
			goto out;
	}
	b->n_journalists = json_array_size(js);
	rc = bundle_check(b);
out:
	json_decref(o);
	return rc;
}

int gd_bundle_verify(gd_bundle *b, const uint8_t *in, size_t len,
		     const uint8_t root_pk[GD_SIGN_PK_BYTES], int64_t now, uint64_t min_version)
{
	int rc;
	memset(b, 0, sizeof *b);
	if (len < 4 || memcmp(in, KB_MAGIC, 4) != 0)
		return GD_ERR_FORMAT;
	if (len < KB_PREFIX + GD_SIG_BYTES)
		return GD_ERR_TRUNCATED;
	if (in[4] != KB_FORMAT)
		return GD_ERR_VERSION;
	uint32_t jlen = gd_get_u32(in + 5);
	if (jlen > GD_BUNDLE_MAX_JSON)
		return GD_ERR_TOO_LARGE;
	if (len < KB_PREFIX + (size_t)jlen + GD_SIG_BYTES)
		return GD_ERR_TRUNCATED;
	if (len > KB_PREFIX + (size_t)jlen + GD_SIG_BYTES)
		return GD_ERR_TRAILING;
	/* The signature is checked before a single JSON byte is parsed. */
	if ((rc = gd_verify_ctx(in + KB_PREFIX + jlen, GD_CTX_BUNDLE, in, KB_PREFIX + jlen, NULL, 0,
				root_pk)) != GD_OK)
		return rc;
	if ((rc = bundle_parse(b, in + KB_PREFIX, jlen)) != GD_OK)
		return rc;
	if (b->version < min_version)
		return GD_ERR_ROLLBACK;
	if (now > b->expires + GD_CLOCK_SKEW || now < b->created - GD_CLOCK_SKEW ||
	    now > b->created + GD_BUNDLE_MAX_AGE + GD_CLOCK_SKEW)
		return GD_ERR_EXPIRED;
	int usable = 0;
	for (size_t i = 0; i < b->n_journalists; i++) {
		const gd_journalist *j = &b->journalists[i];
		b->in_window[i] =
			now >= j->not_before - GD_CLOCK_SKEW && now <= j->not_after + GD_CLOCK_SKEW;
		b->valid[i] = !j->verify_only && b->in_window[i];
		usable |= b->valid[i];
	}
	return usable ? GD_OK : GD_ERR_NO_KEY;
}

int gd_bundle_lists_server(const gd_bundle *b, const char *url)
{
	/* What a person may add to a listed URL: upper case, trailing slashes. The rest must be
	 * the grammar the bundle's entries were signed and verified under. */
	char canon[GD_SERVER_MAX + 1];
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n > GD_SERVER_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		canon[i] = gd_ascii_lower(url[i]);
	canon[n] = '\0';
	if (gd_server_url_check(canon) != GD_OK)
		return 0;
	for (size_t i = 0; i < b->n_servers; i++)
		if (strcmp(b->servers[i], canon) == 0)
			return 1;
	return 0;
}
