/* Integration tests: every JSON request body of the /v1 API refuses an unknown field and a
 * missing one the same way (PROTOCOL.md §1, §11.2: 400 bad_request, the field named), and a
 * proof of work made for one purpose is refused on the endpoints of the others (§9.3), against
 * the real ghostdropd on 127.0.0.1. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "daemon.h"
#include "testutil.h"

#define ID16 "AAAAAAAAAAAAAAAAAAAAAA"
#define KEY32 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define SIG64 KEY32 KEY32 "AA"
#define UPLOAD_SIZE 1000

/* A header block with a fresh proof of work for purpose (and size), then `more`. */
static void pow_hdr(const drop *d, const char *purpose, uint64_t size, const char *more, char *out,
		    size_t cap)
{
	char pow[256];
	pow_header(d->port, purpose, size, pow, sizeof pow);
	snprintf(out, cap, "X-Ghostdrop-PoW: %s\r\n%s", pow, more ? more : "");
}

/* An upload of UPLOAD_SIZE bytes, open: its id (base64url) into id. */
static void open_upload(const drop *d, char id[32])
{
	char hdr[512];
	resp r;
	pow_hdr(d, "upload", UPLOAD_SIZE, NULL, hdr, sizeof hdr);
	const char *body = "{\"id\":\"" ID16 "\",\"size\":1000}";
	ck_assert_int_eq(http_do(d->port, "POST", "/v1/uploads", hdr, body, strlen(body), &r), 0);
	ck_assert_int_eq(r.status, 201);
	json_t *o = json_loadb((const char *)r.body, r.len, 0, NULL);
	ck_assert_ptr_nonnull(o);
	snprintf(id, 32, "%s", json_string_value(json_object_get(o, "upload")));
	json_decref(o);
	resp_free(&r);
}

/* One request with a body: a fresh proof of work if the route takes one. */
static void send_body(const drop *d, const char *path, const char *body, resp *r)
{
	char hdr[512];
	if (strcmp(path, "/v1/uploads") == 0)
		pow_hdr(d, "upload", UPLOAD_SIZE, NULL, hdr, sizeof hdr);
	else if (strncmp(path, "/v1/mailbox/", 12) == 0)
		pow_hdr(d, "mailbox", 0, NULL, hdr, sizeof hdr);
	else if (strncmp(path, "/v1/courier/", 12) == 0)
		snprintf(hdr, sizeof hdr, "%s", drop_auth(d));
	else
		hdr[0] = '\0';
	ck_assert_int_eq(http_do(d->port, "POST", path, hdr, body, strlen(body), r), 0);
}

/* The refusal every malformed body gets: 400 bad_request, its message naming `field`. */
static void assert_refused(const char *path, const char *body, const resp *r, const char *field)
{
	char quoted[64];
	ck_assert_msg(r->status == 400 && strcmp(r->error, "bad_request") == 0,
		      "%s %s: %d %s (want 400 bad_request)", path, body, r->status, r->error);
	json_t *o = json_loadb((const char *)r->body, r->len, 0, NULL);
	const char *msg = json_string_value(json_object_get(o, "message"));
	snprintf(quoted, sizeof quoted, "\"%s\"", field);
	ck_assert_msg(msg != NULL && strstr(msg, quoted) != NULL,
		      "%s %s: message \"%s\" does not name %s", path, body, msg ? msg : "(none)",
		      quoted);
	json_decref(o);
}

/* Each body-taking route: its fields as a JSON object's inside, one of them required. */
typedef struct {
	const char *path;               /* NULL: the open upload's commit */
	const char *fields;             /* a body the route accepts as far as its fields go */
	const char *required, *without; /* a required field, and fields without it */
} body_route;

static const body_route routes[] = {
	{"/v1/uploads", "\"id\":\"" ID16 "\",\"size\":1000", "id", "\"size\":1000"},
	{NULL, "\"hash\":\"" KEY32 "\"", "hash", ""},
	{"/v1/mailbox/fetch", "\"mailbox_pk\":\"" KEY32 "\",\"signature\":\"" SIG64 "\"",
	 "mailbox_pk", "\"signature\":\"" SIG64 "\""},
	{"/v1/mailbox/ack", "\"mailbox_pk\":\"" KEY32 "\",\"signature\":\"" SIG64 "\",\"ids\":[]",
	 "ids", "\"mailbox_pk\":\"" KEY32 "\",\"signature\":\"" SIG64 "\""},
	{"/v1/courier/submissions/" ID16 "/ack", "\"ack_key\":\"" KEY32 "\"", "ack_key", ""},
	{"/v1/courier/replies", "\"mailbox_id\":\"" ID16 "\",\"reply\":\"R0RSUAE\"", "reply",
	 "\"mailbox_id\":\"" ID16 "\""},
};

START_TEST(unknown_and_missing_fields)
{
	drop d;
	char upload[32], path[128], body[512];
	resp r;
	drop_create(&d, NULL);
	drop_start(&d);
	open_upload(&d, upload);
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const body_route *b = &routes[i];
		if (b->path != NULL)
			snprintf(path, sizeof path, "%s", b->path);
		else
			snprintf(path, sizeof path, "/v1/uploads/%s/commit", upload);
		/* every field, and one more */
		snprintf(body, sizeof body, "{%s,\"also\":1}", b->fields);
		send_body(&d, path, body, &r);
		assert_refused(path, body, &r, "also");
		resp_free(&r);
		/* a required field missing */
		snprintf(body, sizeof body, "{%s}", b->without);
		send_body(&d, path, body, &r);
		assert_refused(path, body, &r, b->required);
		resp_free(&r);
		/* a required field misspelt: unknown and missing at once; the unknown one is named
		 */
		snprintf(body, sizeof body, "{%s%s\"%sx\":\"" KEY32 "\"}", b->without,
			 b->without[0] ? "," : "", b->required);
		send_body(&d, path, body, &r);
		char misspelt[64];
		snprintf(misspelt, sizeof misspelt, "%sx", b->required);
		assert_refused(path, body, &r, misspelt);
		resp_free(&r);
	}
	drop_destroy(&d);
}
END_TEST

/* A challenge issued for one purpose does not pass on another's endpoint (§9.3): submit,
 * upload and mailbox each refuse the other two with 403 pow_purpose. */
START_TEST(pow_purposes_not_interchangeable)
{
	drop d;
	char hdr[512];
	resp r;
	drop_create(&d, NULL);
	drop_start(&d);
	static const struct {
		const char *path, *more, *body, *wrong[2];
	} eps[] = {
		{"/v1/submissions",
		 "Content-Type: application/octet-stream\r\nX-Ghostdrop-Id: " ID16 "\r\n",
		 "x",
		 {"upload", "mailbox"}},
		{"/v1/uploads", NULL, "{\"id\":\"" ID16 "\",\"size\":1000}", {"submit", "mailbox"}},
		{"/v1/mailbox/fetch", NULL, "{}", {"submit", "upload"}},
		{"/v1/mailbox/ack", NULL, "{}", {"submit", "upload"}},
	};
	for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++)
		for (int w = 0; w < 2; w++) {
			pow_hdr(&d, eps[i].wrong[w], UPLOAD_SIZE, eps[i].more, hdr, sizeof hdr);
			ck_assert_int_eq(http_do(d.port, "POST", eps[i].path, hdr, eps[i].body,
						 strlen(eps[i].body), &r),
					 0);
			ck_assert_msg(r.status == 403 && strcmp(r.error, "pow_purpose") == 0,
				      "%s with a %s challenge: %d %s", eps[i].path, eps[i].wrong[w],
				      r.status, r.error);
			resp_free(&r);
		}
	drop_destroy(&d);
}
END_TEST

/* A field given twice is named: 400 bad_json (it is not JSON a strict parser takes), with the
 * message saying which field, not only "body must be a JSON object"; a body that is not an
 * object keeps that message. */
START_TEST(duplicate_field_named)
{
	drop d;
	resp r;
	drop_create(&d, NULL);
	drop_start(&d);
	static const struct {
		const char *body, *says;
	} cases[] = {
		{"{\"id\":\"" ID16 "\",\"size\":1000,\"id\":\"" ID16 "\"}",
		 "duplicate field \"id\""},
		{"{\"size\":1,\"size\":1000}", "duplicate field \"size\""},
		{"[1]", "body must be a JSON object"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		send_body(&d, "/v1/uploads", cases[i].body, &r);
		json_t *o = json_loadb((const char *)r.body, r.len, 0, NULL);
		const char *msg = json_string_value(json_object_get(o, "message"));
		ck_assert_msg(r.status == 400 && strcmp(r.error, "bad_json") == 0 && msg != NULL &&
				      strstr(msg, cases[i].says) != NULL,
			      "%s: %d %s \"%s\"", cases[i].body, r.status, r.error,
			      msg ? msg : "(none)");
		json_decref(o);
		resp_free(&r);
	}
	drop_destroy(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("api_bodies");
	TCase *tc = tcase_create("bodies");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, unknown_and_missing_fields);
	tcase_add_test(tc, pow_purposes_not_interchangeable);
	tcase_add_test(tc, duplicate_field_named);
	suite_add_tcase(s, tc);
	return s;
}
GD_CHECK_MAIN(suite)
