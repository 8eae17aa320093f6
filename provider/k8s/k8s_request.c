/* k8s_request: one Kubernetes API request over the HTTP layer (which
 * retries and keeps the breaker), with what Kubernetes adds: credentials
 * attached and refreshed once on a 401, the create-id check of a POST
 * whose outcome is unknown, Status errors, JSON answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../log.h"
#include "../util/cleanup.h"
#include "../util/clock.h"
#include "../util/secret.h"
#include "../util/url.h"
#include "k8s_internal.h"

/* The calling thread's retry deadline (monotonic ms; 0: none set). */
static _Thread_local long long tl_retry_deadline;

void k8s_retry_budget_set(long seconds)
{
	tl_retry_deadline = seconds > 0 ?
				    util_now_ms() + (long long)seconds * 1000 :
				    0;
}

/* The retry budget of a request starting now: what is left of the
 * thread's deadline (-1: spent, no retries), or 0 for the client's. */
static long request_budget_ms(void)
{
	long long left;

	if (!tl_retry_deadline)
		return 0;
	left = tl_retry_deadline - util_now_ms();
	return left > 0 ? (long)left : -1;
}

/* ---- the create-id check --------------------------------------------------- */

/* What a create (POST) needs to check, after an unknown outcome, whether
 * its object exists: the object's path and the create id it carries; and
 * what the last check found. */
typedef struct create_check {
	k8s_client *c;
	char *path;            /* GET path of the object, malloc'd */
	const char *create_id; /* K8S_ANN_CREATE_ID value sent, or NULL */
	http_verdict verdict;  /* of the last check (0: none made) */
	int rc;                /* its result, see create_landed */
	json_t *found;         /* our object, when rc is TFP_OK */
	tfp_error err;         /* why, when rc is an error */
} create_check;

static int do_request(k8s_client *c, const char *method, const char *path,
		      const char *ctype, const char *body, create_check *cc,
		      json_t **out, tfp_error *err);

/* TFP_OK with cc->found = the object when it exists and is ours (same
 * create id), TFP_E_NOTFOUND when it does not exist (the POST may be
 * sent again), TFP_E_EXISTS when something else holds the name, or the
 * GET's error; cc->err says why. */
static int create_landed(create_check *cc)
{
	json_auto_t *live = NULL;
	const char *id;
	int rc;

	json_decref(cc->found);
	cc->found = NULL;
	rc = do_request(cc->c, "GET", cc->path, NULL, NULL, NULL, &live,
			&cc->err);
	if (rc != TFP_OK)
		return cc->rc = rc;
	id = json_string_value(
		json_object_get(json_object_get(json_object_get(live,
								"metadata"),
						"annotations"),
				K8S_ANN_CREATE_ID));
	if (cc->create_id && id && strcmp(id, cc->create_id) == 0) {
		tfp_debug("k8s POST: the earlier attempt created %s", cc->path);
		cc->found = TAKE_PTR(live);
		return cc->rc = TFP_OK;
	}
	return cc->rc = tfp_err_set(
		       &cc->err, TFP_E_EXISTS, 409,
		       "%s already exists and was not created by this "
		       "request (a retried create found it after an "
		       "unanswered first attempt)",
		       cc->path);
}

/* The HTTP layer's verify hook for a create. */
static http_verdict verify_create(void *ud)
{
	create_check *cc = ud;
	int rc = create_landed(cc);

	cc->verdict = rc == TFP_OK         ? HTTP_TOOK_EFFECT :
		      rc == TFP_E_NOTFOUND ? HTTP_DID_NOT_TAKE_EFFECT :
					     HTTP_CANNOT_TELL;
	return cc->verdict;
}

/* For a POST of an object with a name: where it will live (the path
 * without its query, plus the escaped name) and its create id. */
static bool create_check_for(k8s_client *c, const char *method,
			     const char *path, const json_t *body,
			     create_check *cc)
{
	const json_t *md = json_object_get(body, "metadata");
	const char *name = json_string_value(json_object_get(md, "name"));
	_cleanup_free_ char *ename = NULL;

	memset(cc, 0, sizeof(*cc));
	cc->c = c;
	if (strcmp(method, "POST") != 0 || !name || !*name)
		return false;
	ename = util_url_escape(name);
	if (!ename || asprintf(&cc->path, "%.*s/%s", (int)strcspn(path, "?"),
			       path, ename) < 0)
		cc->path = NULL;
	cc->create_id = json_string_value(
		json_object_get(json_object_get(md, "annotations"),
				K8S_ANN_CREATE_ID));
	return cc->path != NULL;
}

/* ---- one request ------------------------------------------------------------- */

/* One request with these credentials through the HTTP layer. */
static int send_with(k8s_client *c, const char *method, const char *path,
		     const char *ctype, const char *body, const k8s_auth *a,
		     create_check *cc, http_response *resp, tfp_error *err)
{
	const char *headers[3] = { "Accept: application/json", a->header,
				   NULL };
	http_request hr = { 0 };

	hr.method = method;
	hr.path = path;
	hr.body = body;
	hr.content_type = ctype ? ctype : "application/json";
	hr.headers = headers;
	hr.client_cert_pem = a->cert_pem;
	hr.client_key_pem = a->key_pem;
	hr.budget_ms = request_budget_ms();
	if (cc && cc->path) {
		hr.verify = verify_create;
		hr.verify_ud = cc;
	}
	return http_send(c->http, &hr, resp, err);
}

/* Send, and once more with fresh credentials after a 401. */
static int send_authenticated(k8s_client *c, const char *method,
			      const char *path, const char *ctype,
			      const char *body, create_check *cc,
			      http_response *resp, tfp_error *err)
{
	bool refresh = false, refreshable;
	unsigned gen = 0;
	k8s_auth a;
	int rc;

	for (;;) {
		rc = k8s__auth(c, refresh, gen, &a, err);
		if (rc)
			return rc;
		gen = a.generation;
		refreshable = a.refreshable;
		rc = send_with(c, method, path, ctype, body, &a, cc, resp, err);
		k8s__auth_done(&a);
		if (rc || resp->status != 401 || !refreshable || refresh)
			return rc;
		tfp_debug("k8s: 401, refreshing credentials once");
		http_response_done(resp);
		refresh = true;
	}
}

/* A successful answer's body: JSON null when empty. */
static int parse_answer(k8s_client *c, const http_response *r, json_t **out,
			tfp_error *err)
{
	json_error_t jerr;
	json_t *root;

	if (!r->body || r->body_len == 0) {
		root = json_null();
	} else {
		root = json_loadb(r->body, r->body_len, 0, &jerr);
		if (!root)
			return tfp_err_set(
				err, TFP_E_PROTOCOL, r->status,
				"the server at %s returned invalid JSON "
				"(line %d: %s)",
				c->server, jerr.line, jerr.text);
	}
	if (out)
		*out = root;
	else
		json_decref(root);
	return TFP_OK;
}

#define READ_ANSWER 1

/* What a create's check decides instead of the HTTP layer's result: it
 * took effect (TFP_OK, *out: our object), or the check could not tell
 * (its error: a foreign object, or the GET's failure). READ_ANSWER: no
 * decision, the result stands. */
static int create_decided(create_check *cc, int rc, const http_response *r,
			  json_t **out, tfp_error *err)
{
	if (cc->verdict != HTTP_CANNOT_TELL) {
		if (rc != TFP_OK)
			return READ_ANSWER;
		/* AlreadyExists on a retry: maybe our first attempt. */
		if (r->status == 409 && r->attempts > 1)
			create_landed(cc);
		else if (!r->verified)
			return READ_ANSWER;
	}
	if (cc->rc != TFP_OK) {
		if (err)
			*err = cc->err;
		return cc->rc;
	}
	if (out)
		*out = TAKE_PTR(cc->found);
	return TFP_OK;
}

static int do_request(k8s_client *c, const char *method, const char *path,
		      const char *ctype, const char *body, create_check *cc,
		      json_t **out, tfp_error *err)
{
	http_response r = { 0 };
	int rc, decided = READ_ANSWER;

	tfp_err_request(err, method, path);
	rc = send_authenticated(c, method, path, ctype, body, cc, &r, err);
	if (cc && cc->path)
		decided = create_decided(cc, rc, &r, out, err);
	if (decided != READ_ANSWER)
		rc = decided;
	else if (rc == TFP_OK && (r.status < 200 || r.status > 299))
		rc = k8s__status_error(r.status, r.body, r.body_len, err);
	else if (rc == TFP_OK)
		rc = parse_answer(c, &r, out, err);
	http_response_done(&r);
	return rc;
}

int k8s_request(k8s_client *c, const char *method, const char *path,
		const char *content_type, const json_t *body, json_t **out,
		tfp_error *err)
{
	_cleanup_secret_ char *text = NULL; /* bodies may be Secrets */
	create_check cc;
	int rc;

	if (!path || path[0] != '/')
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "invalid request path");
	if (body && !(text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY)))
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	create_check_for(c, method, path, body, &cc);
	rc = do_request(c, method, path, content_type, text, &cc, out, err);
	free(cc.path);
	json_decref(cc.found);
	return rc;
}
