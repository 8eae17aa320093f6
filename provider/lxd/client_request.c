/* LXD requests: the project query, the sync / async / error envelopes (an
 * async answer is waited for), verified POSTs and ETag read-modify-write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/log.h"
#include "provider/lxd/client_internal.h"
#include "provider/util/cleanup.h"

#define UPDATE_ATTEMPTS 5 /* lxd_update_etag tries on 412 */

/* Append the project query to path. */
static char *with_project(const lxd_client *c, const char *path)
{
	_cleanup_free_ char *esc = lxd_escape(c->project);
	char *p = NULL;

	if (!esc || asprintf(&p, "%s%cproject=%s", path,
			     strchr(path, '?') ? '&' : '?', esc) < 0)
		return NULL;
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

static json_t *metadata_of(const json_t *root)
{
	json_t *meta = json_object_get(root, "metadata");

	return meta ? json_incref(meta) : json_null();
}

/* An async answer: the operation's path in *op_path, and in *meta its
 * metadata as first returned (LXD_REQ_NO_WAIT), or the finished
 * operation. */
static int async_answer(lxd_client *c, const json_t *root,
			const http_response *r, unsigned flags, char **op_path,
			json_t **meta, tfp_error *err)
{
	json_t *op;
	int rc;

	*op_path = async_op_path(root, r);
	if (!*op_path || !lxd__path_ok(*op_path))
		return tfp_err_set(err, TFP_E_PROTOCOL, r->status,
				   "async LXD response without an operation");
	if (flags & LXD_REQ_NO_WAIT) {
		*meta = metadata_of(root);
		return TFP_OK;
	}
	/* The operation may already be over. */
	op = json_object_get(root, "metadata");
	rc = json_is_object(op) ? lxd__op_state(op, r->status, err) : 1;
	if (rc < 0)
		return rc;
	if (rc == TFP_OK) {
		*meta = json_incref(op);
		return TFP_OK;
	}
	return lxd_wait_operation(c, *op_path, c->operation_timeout_s, meta,
				  err);
}

/* The answer's envelope: *meta (sync metadata, or the operation's) and
 * *op_path (async). An error answer leaves err->outcome_unknown as the
 * HTTP layer saw it: a transient one (LXD not ready) to a POST that may
 * have been processed. */
static int read_answer(lxd_client *c, const http_response *r, unsigned flags,
		       json_t **meta, char **op_path, tfp_error *err)
{
	json_auto_t *root = NULL;
	const char *type;
	int rc;

	if (r->verified) {
		*meta = json_null();
		return TFP_OK;
	}
	rc = lxd__decode(r, &root, err);
	type = rc ? NULL : json_string_value(json_object_get(root, "type"));
	if (!rc && !type)
		rc = tfp_err_set(err, TFP_E_PROTOCOL, r->status,
				 "LXD response without a type");
	else if (!rc && (strcmp(type, "error") == 0 || r->status >= 400))
		rc = lxd__error_envelope(root, r->status, err);
	if (rc) {
		if (err)
			err->outcome_unknown = r->outcome_unknown;
		return rc;
	}
	if (strcmp(type, "sync") == 0) {
		*meta = metadata_of(root);
		return TFP_OK;
	}
	if (strcmp(type, "async") == 0)
		return async_answer(c, root, r, flags, op_path, meta, err);
	return tfp_err_set(err, TFP_E_PROTOCOL, r->status,
			   "unknown LXD response type '%s'", type);
}

static int request(lxd_client *c, const char *method, const char *path,
		   const json_t *body, const char *if_match, unsigned flags,
		   lxd_verify *vc, lxd_response *out, tfp_error *err)
{
	http_response r = { 0 };
	_cleanup_free_ char *full = NULL, *op_path = NULL;
	_cleanup_secret_ char *sbody = NULL; /* may hold join secrets */
	json_t *meta = NULL;
	int rc;

	if (!c || !method || !path || strncmp(path, "/1.0", 4) != 0 ||
	    !lxd__path_ok(path) || !lxd__path_ok(method))
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "invalid LXD request path");
	if (if_match && strpbrk(if_match, "\r\n"))
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "invalid If-Match value");
	if ((flags & LXD_REQ_PROJECT) && !(path = full = with_project(c, path)))
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	if (body && !(sbody = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY)))
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "cannot serialise the request body");
	rc = lxd__send(c, method, path, sbody, if_match, 0, vc, &r, err);
	if (rc == TFP_OK)
		rc = read_answer(c, &r, flags, &meta, &op_path, err);
	if (rc == TFP_OK && out) {
		out->http_status = r.status;
		out->metadata = TAKE_PTR(meta);
		out->etag = TAKE_PTR(r.etag);
		out->operation = TAKE_PTR(op_path);
		out->verified = r.verified;
	}
	json_decref(meta);
	http_response_done(&r);
	return rc;
}

int lxd_request(lxd_client *c, const char *method, const char *path,
		const json_t *body, const char *if_match, unsigned flags,
		lxd_response *out, tfp_error *err)
{
	return request(c, method, path, body, if_match, flags, NULL, out, err);
}

int lxd_request_verify(lxd_client *c, const char *method, const char *path,
		       const json_t *body, unsigned flags, lxd_verify_fn verify,
		       void *verify_arg, lxd_response *out, tfp_error *err)
{
	lxd_verify vc = { c, verify, verify_arg };

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
	    char **etag, tfp_error *err)
{
	lxd_response r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = lxd_request(c, "GET", path, NULL, NULL, flags, &r, err);
	if (rc)
		return rc;
	if (metadata)
		*metadata = TAKE_PTR(r.metadata);
	if (etag)
		*etag = TAKE_PTR(r.etag);
	lxd_response_done(&r);
	return TFP_OK;
}

/* One GET-mutate-PUT round; TFP_E_PRECONDITION when the ETag changed. */
static int update_once(lxd_client *c, const char *path, unsigned flags,
		       lxd_mutate_fn mutate, void *arg, tfp_error *err)
{
	json_auto_t *cur = NULL, *body = NULL;
	_cleanup_free_ char *etag = NULL;
	int rc = lxd_get(c, path, flags, &cur, &etag, err);

	if (rc)
		return rc;
	if (!etag)
		tfp_debug(
			"LXD GET %s returned no ETag; updating without If-Match",
			path);
	rc = mutate(cur, arg, &body, err);
	if (rc)
		return rc;
	if (!body)
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "no body to PUT to %s", path);
	return lxd_request(c, "PUT", path, body, etag, flags, NULL, err);
}

int lxd_update_etag(lxd_client *c, const char *path, unsigned flags,
		    lxd_mutate_fn mutate, void *arg, tfp_error *err)
{
	int attempt, rc = TFP_E_PRECONDITION;

	if (!c || !path || !mutate)
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "invalid update request");
	for (attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
		rc = update_once(c, path, flags, mutate, arg, err);
		if (rc != TFP_E_PRECONDITION)
			break;
		tfp_debug("LXD PUT %s: ETag changed (attempt %d of %d)", path,
			  attempt, UPDATE_ATTEMPTS);
	}
	return rc;
}
