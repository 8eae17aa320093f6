/* LXD over the HTTP layer: which answers mean "LXD is not ready yet"
 * (retry), the test transport, one request, and what LXD's answers mean:
 * statuses and messages as codes, the error envelope, operation states. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/lxd/client_internal.h"

#define CLASSIFY_MAX_BODY 65536 /* bigger error bodies are not inspected */

/* ---- LXD answers that mean "not ready, try again" -------------------- */

/* Messages of LXD 5.0.2 (canonical/lxd lxd/daemon.go, lxd/db, go-dqlite)
 * and later, seen while it starts, stops, or has no cluster database
 * leader (a voter restarting, a member cut off):
 *  - refused before any handler ran (safe to resend any request): */
static const char *const lxd_rejected[] = {
	"LXD daemon setup in progress", /* 503 while starting */
	"LXD is shutting down",         /* 503 to non-GET while stopping */
	"LXD daemon is shutting down",  /* 503, later releases */
};
/*  - the database was not reachable; a handler may have done part of its
 *    work (resent only when idempotent or verified): */
static const char *const lxd_transient[] = {
	"no available dqlite leader server found", /* 503 GET, 500 POST */
	"Failed to begin transaction",             /* 500 "...: context
						    * deadline exceeded" */
};

static bool has_any(const char *msg, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strstr(msg, list[i]))
			return true;
	return false;
}

http_answer lxd__classify(void *ud, const http_request *req,
			  const http_response *resp)
{
	http_answer a = http_classify_default(resp);
	const char *msg;
	json_auto_t *j = NULL;

	(void)ud;
	(void)req;
	if (resp->status < 400 || !resp->body ||
	    resp->body_len > CLASSIFY_MAX_BODY)
		return a;
	j = json_loadb(resp->body, resp->body_len, 0, NULL);
	msg = json_string_value(json_object_get(j, "error"));
	if (msg && has_any(msg, lxd_rejected,
			   sizeof(lxd_rejected) / sizeof(lxd_rejected[0])))
		return HTTP_ANSWER_REJECTED;
	if (msg && has_any(msg, lxd_transient,
			   sizeof(lxd_transient) / sizeof(lxd_transient[0])))
		return HTTP_ANSWER_TRANSIENT;
	return a;
}

/* ---- the test transport, behind the HTTP layer ------------------------ */

int lxd__transport(void *ud, const http_request *req, http_response *resp)
{
	lxd_client *c = ud;
	lxd_http_reply r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = c->transport(c->transport_ud, req->method, req->path, req->body,
			  req->if_match, &r);
	if (rc != 0) {
		free(r.body);
		free(r.etag);
		free(r.location);
		return rc;
	}
	resp->status = r.status;
	resp->body = r.body;
	resp->body_len = r.body_len;
	resp->etag = r.etag;
	resp->location = r.location;
	return HTTP_OK;
}

/* ---- one request ---------------------------------------------------------- */

static http_verdict verify_tramp(void *ud)
{
	lxd_verify *v = ud;

	switch (v->fn(v->c, v->arg)) {
	case LXD_TOOK_EFFECT: return HTTP_TOOK_EFFECT;
	case LXD_DID_NOT_TAKE_EFFECT: return HTTP_DID_NOT_TAKE_EFFECT;
	default: return HTTP_CANNOT_TELL;
	}
}

int lxd__send(lxd_client *c, const char *method, const char *path,
	      const char *body, const char *if_match, long timeout_ms,
	      lxd_verify *vc, http_response *resp, tfp_error *err)
{
	http_request hr;

	memset(&hr, 0, sizeof(hr));
	hr.method = method;
	hr.path = path;
	hr.body = body;
	hr.if_match = if_match;
	hr.timeout_ms = timeout_ms;
	if (vc && vc->fn) {
		hr.verify = verify_tramp;
		hr.verify_ud = vc;
	}
	return http_send(c->http, &hr, resp, err);
}

/* ---- answers ------------------------------------------------------------ */

int lxd__status_code(int status, const char *msg)
{
	int code;

	switch (status) {
	case 401: /* LXD answers an untrusted client with 401 or 403 */
		code = TFP_E_FORBIDDEN;
		break;
	case 502:
	case 504: /* from a proxy in front of LXD: LXD's own failure */
		code = TFP_E_SERVER;
		break;
	default: code = http_status_code(status); break;
	}
	/* LXD sends "already exists" as 400, 409 or 500. */
	if ((code == TFP_E_INVALID || code == TFP_E_SERVER ||
	     code == TFP_E_CONFLICT) &&
	    msg && strstr(msg, "already exists"))
		code = TFP_E_EXISTS;
	return code;
}

int lxd__decode(const http_response *r, json_t **root, tfp_error *err)
{
	json_error_t jerr;
	json_t *j;

	if (r->body_len > LXD_MAX_RESPONSE)
		return tfp_err_set(err, TFP_E_PROTOCOL, r->status,
				   "LXD response larger than %u bytes",
				   (unsigned)LXD_MAX_RESPONSE);
	if (!r->body || r->body_len == 0) {
		if (r->status >= 400)
			return tfp_err_set(err,
					   lxd__status_code(r->status, NULL),
					   r->status,
					   "HTTP %d with an empty body",
					   r->status);
		return tfp_err_set(err, TFP_E_PROTOCOL, r->status,
				   "empty LXD response (HTTP %d)", r->status);
	}
	j = json_loadb(r->body, r->body_len, 0, &jerr);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		if (r->status >= 400)
			return tfp_err_set(err,
					   lxd__status_code(r->status, r->body),
					   r->status, "HTTP %d: %.*s",
					   r->status,
					   (int)(r->body_len < 512 ?
							 r->body_len :
							 512),
					   r->body);
		return tfp_err_set(err, TFP_E_PROTOCOL, r->status,
				   "malformed LXD response (HTTP %d): %s",
				   r->status,
				   j ? "not a JSON object" : jerr.text);
	}
	*root = j;
	return TFP_OK;
}

int lxd__error_envelope(const json_t *root, int http_status, tfp_error *err)
{
	const char *msg = json_string_value(json_object_get(root, "error"));
	json_int_t ec = json_integer_value(json_object_get(root, "error_code"));
	int status = ec >= 400 && ec < 600 ? (int)ec :
		     http_status >= 400    ? http_status :
					     500;

	if (!msg || !*msg)
		return tfp_err_set(err, lxd__status_code(status, NULL), status,
				   "LXD error (HTTP %d)", status);
	return tfp_err_set(err, lxd__status_code(status, msg), status, "%s",
			   msg);
}

int lxd__op_state(const json_t *op, int http_status, tfp_error *err)
{
	const json_t *sc = json_object_get(op, "status_code");
	const char *emsg = json_string_value(json_object_get(op, "err"));
	json_int_t code;

	if (!json_is_object(op) || !json_is_integer(sc))
		return tfp_err_set(err, TFP_E_PROTOCOL, http_status,
				   "LXD operation without status_code");
	code = json_integer_value(sc);
	if (code < 200 && !(emsg && *emsg))
		return 1;
	if (emsg && *emsg)
		return tfp_err_set(err,
				   strstr(emsg, "already exists") ?
					   TFP_E_EXISTS :
					   TFP_E_SERVER,
				   http_status, "%s", emsg);
	if (code == 401)
		return tfp_err_set(err, TFP_E_SERVER, http_status,
				   "LXD operation was cancelled");
	if (code >= 400)
		return tfp_err_set(err, TFP_E_SERVER, http_status,
				   "LXD operation failed (status %lld)",
				   (long long)code);
	return TFP_OK;
}
