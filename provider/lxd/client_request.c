/* LXD's protocol over the HTTP layer: which answers mean "LXD is not ready
 * yet" (retry), the sync / async / error envelopes, waiting for operations,
 * ETag read-modify-write, and verified POSTs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provider/log.h"
#include "provider/lxd/client_internal.h"

#define WAIT_SLICE_S 5           /* longest single operation wait call */
#define WAIT_MIN_INTERVAL_MS 100 /* floor between polls of a running op */
#define UPDATE_ATTEMPTS 5        /* lxd_update_etag tries on 412 */
#define CLASSIFY_MAX_BODY 65536  /* bigger error bodies are not inspected */

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
	json_t *j;

	(void)ud;
	(void)req;
	if (resp->status < 400 || !resp->body ||
	    resp->body_len > CLASSIFY_MAX_BODY)
		return a;
	j = json_loadb(resp->body, resp->body_len, 0, NULL);
	msg = json_string_value(json_object_get(j, "error"));
	if (msg && has_any(msg, lxd_rejected,
			   sizeof(lxd_rejected) / sizeof(lxd_rejected[0])))
		a = HTTP_ANSWER_REJECTED;
	else if (msg && has_any(msg, lxd_transient,
				sizeof(lxd_transient) / sizeof(lxd_transient[0])))
		a = HTTP_ANSWER_TRANSIENT;
	json_decref(j);
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

/* ---- one HTTP request --------------------------------------------------- */

/* Map an HTTP (or LXD error_code) status and LXD's message to a code.
 * The message matters: "already exists" comes as 400, 409 or 500. */
static int code_for_status(int status, const char *msg)
{
	int code;

	switch (status) {
	case 404: code = LXD_E_NOTFOUND; break;
	case 409: code = LXD_E_CONFLICT; break;
	case 412: code = LXD_E_PRECONDITION; break;
	case 401:
	case 403: code = LXD_E_FORBIDDEN; break;
	case 503: code = LXD_E_UNAVAILABLE; break;
	default:
		if (status >= 400 && status < 500)
			code = LXD_E_INVALID;
		else
			code = LXD_E_SERVER;
		break;
	}
	if ((code == LXD_E_INVALID || code == LXD_E_SERVER) && msg &&
	    strstr(msg, "already exists"))
		code = LXD_E_CONFLICT;
	return code;
}

static int code_for_tfp(int code)
{
	switch (code) {
	case TFP_E_NOMEM: return LXD_E_NOMEM;
	case TFP_E_INVALID: return LXD_E_INVALID;
	case TFP_E_UNAVAILABLE: return LXD_E_UNAVAILABLE;
	case TFP_E_TIMEOUT: return LXD_E_TIMEOUT;
	case TFP_E_TLS: return LXD_E_TLS;
	case TFP_E_CANCELLED: return LXD_E_CANCELLED;
	default: return LXD_E_PROTOCOL;
	}
}

struct verify_ctx {
	lxd_client *c;
	lxd_verify_fn fn;
	void *arg;
};

static http_verdict verify_tramp(void *ud)
{
	struct verify_ctx *v = ud;

	switch (v->fn(v->c, v->arg)) {
	case LXD_TOOK_EFFECT: return HTTP_TOOK_EFFECT;
	case LXD_DID_NOT_TAKE_EFFECT: return HTTP_DID_NOT_TAKE_EFFECT;
	default: return HTTP_CANNOT_TELL;
	}
}

/* One request through the HTTP layer (retries, breaker). HTTP_OK with
 * *resp, or the transport failure as an LXD error. */
static int send_http(lxd_client *c, const char *method, const char *path,
		     const char *body, const char *if_match, long timeout_ms,
		     struct verify_ctx *vc, http_response *resp, lxd_error *err)
{
	http_request hr;
	tfp_error he;
	int rc;

	memset(&hr, 0, sizeof(hr));
	memset(&he, 0, sizeof(he));
	hr.method = method;
	hr.path = path;
	hr.body = body;
	hr.if_match = if_match;
	hr.timeout_ms = timeout_ms;
	if (vc && vc->fn) {
		hr.verify = verify_tramp;
		hr.verify_ud = vc;
	}
	rc = http_send(c->http, &hr, resp, &he);
	if (rc == TFP_OK)
		return LXD_OK;
	rc = lxd__set_err(err, code_for_tfp(he.code), 0, "%s", he.message);
	if (err)
		err->outcome_unknown = he.outcome_unknown;
	return rc;
}

/* Bytes allowed in a request path: printable ASCII, no space. */
static bool path_ok(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

/* Header values we send must not carry CR/LF (header injection). */
static bool header_value_ok(const char *v)
{
	for (; *v; v++)
		if (*v == '\r' || *v == '\n')
			return false;
	return true;
}

/* ---- envelopes --------------------------------------------------------- */

/* Parse a reply body into a JSON object. A non-JSON error reply is mapped
 * by HTTP status with the text as message. */
static int decode(const http_response *r, json_t **root, lxd_error *err)
{
	json_error_t jerr;
	json_t *j;

	if (r->body_len > LXD_MAX_RESPONSE)
		return lxd__set_err(err, LXD_E_PROTOCOL, r->status,
				    "LXD response larger than %u bytes",
				    (unsigned)LXD_MAX_RESPONSE);
	if (!r->body || r->body_len == 0) {
		if (r->status >= 400)
			return lxd__set_err(err, code_for_status(r->status, NULL),
					    r->status, "HTTP %d with an empty body",
					    r->status);
		return lxd__set_err(err, LXD_E_PROTOCOL, r->status,
				    "empty LXD response (HTTP %d)", r->status);
	}
	j = json_loadb(r->body, r->body_len, 0, &jerr);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		if (r->status >= 400)
			return lxd__set_err(err, code_for_status(r->status, r->body),
					    r->status, "HTTP %d: %.*s", r->status,
					    (int)(r->body_len < 512 ? r->body_len : 512),
					    r->body);
		return lxd__set_err(err, LXD_E_PROTOCOL, r->status,
				    "malformed LXD response (HTTP %d): %s",
				    r->status, j ? "not a JSON object" : jerr.text);
	}
	*root = j;
	return LXD_OK;
}

static int error_envelope(const json_t *root, int http_status, lxd_error *err)
{
	const char *msg = json_string_value(json_object_get(root, "error"));
	json_int_t ec = json_integer_value(json_object_get(root, "error_code"));
	int status = ec >= 400 && ec < 600 ? (int)ec :
		     http_status >= 400 ? http_status : 500;

	if (!msg || !*msg)
		return lxd__set_err(err, code_for_status(status, NULL), status,
				    "LXD error (HTTP %d)", status);
	return lxd__set_err(err, code_for_status(status, msg), status, "%s", msg);
}

/* Classify an operation object: 1 still running, LXD_OK succeeded, or the
 * failure (err set). */
static int op_state(const json_t *op, int http_status, lxd_error *err)
{
	const json_t *sc = json_object_get(op, "status_code");
	const char *emsg = json_string_value(json_object_get(op, "err"));
	json_int_t code;

	if (!json_is_object(op) || !json_is_integer(sc))
		return lxd__set_err(err, LXD_E_PROTOCOL, http_status,
				    "LXD operation without status_code");
	code = json_integer_value(sc);
	if (code < 200 && !(emsg && *emsg))
		return 1;
	if (code >= 400 || (emsg && *emsg)) {
		if (emsg && *emsg)
			return lxd__set_err(err, strstr(emsg, "already exists") ?
					    LXD_E_CONFLICT : LXD_E_SERVER,
					    http_status, "%s", emsg);
		if (code == 401)
			return lxd__set_err(err, LXD_E_SERVER, http_status,
					    "LXD operation was cancelled");
		return lxd__set_err(err, LXD_E_SERVER, http_status,
				    "LXD operation failed (status %lld)",
				    (long long)code);
	}
	return LXD_OK;
}

/* ---- operations -------------------------------------------------------- */

/* Build "<op_path>/wait?timeout=N" keeping any query of op_path. */
static char *wait_path(const char *op_path, long slice)
{
	const char *q = strchr(op_path, '?');
	size_t base = q ? (size_t)(q - op_path) : strlen(op_path);
	char *p = NULL;

	if (asprintf(&p, "%.*s/wait%s%ctimeout=%ld", (int)base, op_path,
		     q ? q : "", q ? '&' : '?', slice) < 0)
		return NULL;
	return p;
}

/* Sleep up to ms, waking early when the stop flag is raised. */
static void nap_ms(const lxd_client *c, long ms)
{
	struct timespec ts;
	long step;

	while (ms > 0 && !lxd__stopped(c)) {
		step = ms < 20 ? ms : 20;
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lxd_wait_operation(lxd_client *c, const char *op_path, long timeout_s,
		       json_t **op_out, lxd_error *err)
{
	http_response r;
	json_t *root = NULL;
	const char *type;
	char *path = NULL;
	long long deadline, left, t0;
	long slice;
	bool op_failed = false; /* the operation's own result is known */
	int rc;

	memset(&r, 0, sizeof(r));
	if (!c || !op_path || strncmp(op_path, "/1.0/operations/", 16) != 0 ||
	    !path_ok(op_path))
		return lxd__set_err(err, LXD_E_INVALID, 0,
				    "invalid operation path");
	if (timeout_s <= 0)
		timeout_s = c->operation_timeout_s;
	deadline = mono_ms() + (long long)timeout_s * 1000;
	for (;;) {
		if (lxd__stopped(c)) {
			rc = lxd__set_err(err, LXD_E_CANCELLED, 0,
					  "cancelled while waiting for %s",
					  op_path);
			goto cleanup;
		}
		left = deadline - mono_ms();
		if (left <= 0) {
			rc = lxd__set_err(err, LXD_E_TIMEOUT, 0,
					  "LXD operation %s still running after %ld s",
					  op_path, timeout_s);
			goto cleanup;
		}
		slice = (long)((left + 999) / 1000);
		if (slice > WAIT_SLICE_S)
			slice = WAIT_SLICE_S;
		free(path);
		path = wait_path(op_path, slice);
		if (!path) {
			rc = lxd__set_err(err, LXD_E_NOMEM, 0, "out of memory");
			goto cleanup;
		}
		t0 = mono_ms();
		rc = send_http(c, "GET", path, NULL, NULL,
			       slice * 1000 + c->request_timeout_ms, NULL, &r,
			       err);
		if (rc == LXD_E_CANCELLED)
			rc = lxd__set_err(err, LXD_E_CANCELLED, 0,
					  "cancelled while waiting for %s",
					  op_path);
		if (rc)
			goto cleanup;
		rc = decode(&r, &root, err);
		if (rc)
			goto cleanup;
		/* Switch on the body, not the status: main may send an
		 * error envelope under 200. */
		type = json_string_value(json_object_get(root, "type"));
		if (type && strcmp(type, "error") == 0) {
			rc = error_envelope(root, r.status, err);
			if (rc == LXD_E_NOTFOUND)
				/* The operation existed: LXD restarted and
				 * forgot it. Never "not found" (that reads
				 * as "already deleted" to callers). */
				rc = lxd__set_err(err, LXD_E_UNAVAILABLE,
						  r.status,
						  "LXD no longer knows operation %s (it restarted?): its outcome is unknown",
						  op_path);
			goto cleanup;
		}
		if (!type || strcmp(type, "sync") != 0) {
			rc = lxd__set_err(err, LXD_E_PROTOCOL, r.status,
					  "unexpected LXD reply type '%s' while waiting for an operation",
					  type ? type : "(none)");
			goto cleanup;
		}
		if (r.status >= 400) {
			rc = lxd__set_err(err, code_for_status(r.status, NULL),
					  r.status, "HTTP %d waiting for %s",
					  r.status, op_path);
			goto cleanup;
		}
		rc = op_state(json_object_get(root, "metadata"), r.status, err);
		if (rc <= 0) {
			if (rc == LXD_OK && op_out)
				*op_out = json_incref(
					json_object_get(root, "metadata"));
			op_failed = rc != LXD_OK && rc != LXD_E_PROTOCOL;
			goto cleanup;
		}
		/* Still running. A server that answers faster than asked
		 * is polled no more often than every WAIT_MIN_INTERVAL_MS. */
		json_decref(root);
		root = NULL;
		http_response_done(&r);
		left = deadline - mono_ms();
		if (mono_ms() - t0 < WAIT_MIN_INTERVAL_MS && left > 0)
			nap_ms(c, left < WAIT_MIN_INTERVAL_MS ?
			       (long)left : WAIT_MIN_INTERVAL_MS);
	}
cleanup:
	/* The wait failed, not the operation: it may still finish (or have
	 * finished) on the server. */
	if (rc != LXD_OK && !op_failed && err)
		err->outcome_unknown = true;
	json_decref(root);
	http_response_done(&r);
	free(path);
	return rc;
}

/* ---- requests ---------------------------------------------------------- */

/* Append the project query to path. */
static char *with_project(const lxd_client *c, const char *path)
{
	char *esc = lxd_escape(c->project);
	char *p = NULL;

	if (!esc)
		return NULL;
	if (asprintf(&p, "%s%cproject=%s", path,
		     strchr(path, '?') ? '&' : '?', esc) < 0)
		p = NULL;
	free(esc);
	return p;
}

/* Operation path from an async reply: body "operation", else Location. */
static char *async_op_path(const json_t *root, const http_response *r)
{
	const char *op = json_string_value(json_object_get(root, "operation"));
	const char *p;

	if (op && strncmp(op, "/1.0/operations/", 16) == 0)
		return strdup(op);
	if (r->location) {
		p = strstr(r->location, "/1.0/operations/");
		if (p)
			return strdup(p);
	}
	return NULL;
}

static int request(lxd_client *c, const char *method, const char *path,
		   const json_t *body, const char *if_match, unsigned flags,
		   struct verify_ctx *vc, lxd_response *out, lxd_error *err)
{
	http_response r;
	json_t *root = NULL, *meta = NULL, *op = NULL;
	char *full = NULL, *sbody = NULL, *op_path = NULL;
	const char *type;
	int rc;

	memset(&r, 0, sizeof(r));
	if (!c || !method || !path || strncmp(path, "/1.0", 4) != 0 ||
	    !path_ok(path) || !path_ok(method))
		return lxd__set_err(err, LXD_E_INVALID, 0,
				    "invalid LXD request path");
	if (if_match && !header_value_ok(if_match))
		return lxd__set_err(err, LXD_E_INVALID, 0,
				    "invalid If-Match value");
	if (flags & LXD_REQ_PROJECT) {
		full = with_project(c, path);
		if (!full) {
			rc = lxd__set_err(err, LXD_E_NOMEM, 0, "out of memory");
			goto cleanup;
		}
		path = full;
	}
	if (body) {
		sbody = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!sbody) {
			rc = lxd__set_err(err, LXD_E_INVALID, 0,
					  "cannot serialise the request body");
			goto cleanup;
		}
	}

	rc = send_http(c, method, path, sbody, if_match, 0, vc, &r, err);
	if (rc)
		goto cleanup;
	if (r.verified) {
		meta = json_null();
		goto done;
	}
	rc = decode(&r, &root, err);
	if (rc)
		goto answered;

	type = json_string_value(json_object_get(root, "type"));
	if (!type) {
		rc = lxd__set_err(err, LXD_E_PROTOCOL, r.status,
				  "LXD response without a type");
		goto answered;
	}
	if (strcmp(type, "error") == 0 || r.status >= 400) {
		rc = error_envelope(root, r.status, err);
		goto answered;
	}
	if (strcmp(type, "sync") == 0) {
		meta = json_object_get(root, "metadata");
		meta = meta ? json_incref(meta) : json_null();
	} else if (strcmp(type, "async") == 0) {
		op_path = async_op_path(root, &r);
		if (!op_path || !path_ok(op_path)) {
			rc = lxd__set_err(err, LXD_E_PROTOCOL, r.status,
					  "async LXD response without an operation");
			goto cleanup;
		}
		if (flags & LXD_REQ_NO_WAIT) {
			meta = json_object_get(root, "metadata");
			meta = meta ? json_incref(meta) : json_null();
		} else {
			/* The operation may already be over. */
			op = json_object_get(root, "metadata");
			rc = json_is_object(op) ? op_state(op, r.status, err) : 1;
			if (rc < 0)
				goto cleanup;
			if (rc == 0) {
				meta = json_incref(op);
			} else {
				rc = lxd_wait_operation(c, op_path,
							c->operation_timeout_s,
							&meta, err);
				if (rc)
					goto cleanup;
			}
		}
	} else {
		rc = lxd__set_err(err, LXD_E_PROTOCOL, r.status,
				  "unknown LXD response type '%s'", type);
		goto cleanup;
	}
done:
	if (out) {
		out->http_status = r.status;
		out->metadata = meta;
		out->etag = r.etag;
		out->operation = op_path;
		out->verified = r.verified;
		meta = NULL;
		r.etag = NULL;
		op_path = NULL;
	}
	rc = LXD_OK;
	goto cleanup;
answered:
	/* An error answer: a transient one (LXD not ready) to a POST that
	 * may have been processed leaves its outcome unknown. */
	if (err)
		err->outcome_unknown = r.outcome_unknown;
cleanup:
	json_decref(meta);
	json_decref(root);
	http_response_done(&r);
	free(op_path);
	free(sbody);
	free(full);
	return rc;
}

int lxd_request(lxd_client *c, const char *method, const char *path,
		const json_t *body, const char *if_match, unsigned flags,
		lxd_response *out, lxd_error *err)
{
	return request(c, method, path, body, if_match, flags, NULL, out, err);
}

int lxd_request_verify(lxd_client *c, const char *method, const char *path,
		       const json_t *body, unsigned flags, lxd_verify_fn verify,
		       void *verify_arg, lxd_response *out, lxd_error *err)
{
	struct verify_ctx vc = { c, verify, verify_arg };

	return request(c, method, path, body, NULL, flags, &vc, out, err);
}

void lxd_response_done(lxd_response *r)
{
	if (!r)
		return;
	json_decref(r->metadata);
	free(r->etag);
	free(r->operation);
	memset(r, 0, sizeof(*r));
}

int lxd_get(lxd_client *c, const char *path, unsigned flags, json_t **metadata,
	    char **etag, lxd_error *err)
{
	lxd_response r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = lxd_request(c, "GET", path, NULL, NULL, flags, &r, err);
	if (rc)
		return rc;
	if (metadata) {
		*metadata = r.metadata;
		r.metadata = NULL;
	}
	if (etag) {
		*etag = r.etag;
		r.etag = NULL;
	}
	lxd_response_done(&r);
	return LXD_OK;
}

int lxd_update_etag(lxd_client *c, const char *path, unsigned flags,
		    lxd_mutate_fn mutate, void *arg, lxd_error *err)
{
	json_t *cur = NULL, *body = NULL;
	char *etag = NULL;
	int attempt, rc = LXD_E_PRECONDITION;

	if (!c || !path || !mutate)
		return lxd__set_err(err, LXD_E_INVALID, 0,
				    "invalid update request");
	for (attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
		rc = lxd_get(c, path, flags, &cur, &etag, err);
		if (rc)
			goto cleanup;
		if (!etag)
			tfp_debug("LXD GET %s returned no ETag; updating without If-Match",
				  path);
		rc = mutate(cur, arg, &body, err);
		if (rc)
			goto cleanup;
		if (!body) {
			rc = lxd__set_err(err, LXD_E_INVALID, 0,
					  "no body to PUT to %s", path);
			goto cleanup;
		}
		rc = lxd_request(c, "PUT", path, body, etag, flags, NULL, err);
		json_decref(cur);
		json_decref(body);
		free(etag);
		cur = body = NULL;
		etag = NULL;
		if (rc != LXD_E_PRECONDITION)
			goto cleanup;
		tfp_debug("LXD PUT %s: ETag changed (attempt %d of %d)", path,
			  attempt, UPDATE_ATTEMPTS);
	}
cleanup:
	json_decref(cur);
	json_decref(body);
	free(etag);
	return rc;
}
