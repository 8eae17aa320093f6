/* Waiting for LXD's async operations: GET <op>/wait in slices, bounded by
 * a deadline and the stop flag (see lxd_wait_operation in client.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/lxd/client_internal.h"
#include "provider/util/cleanup.h"
#include "provider/util/clock.h"

#define WAIT_SLICE_S 5           /* longest single operation wait call */
#define WAIT_MIN_INTERVAL_MS 100 /* floor between polls of a running op */

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

/* The answer to one wait call: 1 still running, TFP_OK done (*op_out
 * set when asked for), or the failure. *op_failed tells whether the
 * failure is the operation's own result. */
static int wait_answer(const http_response *r, const char *op_path,
		       json_t **op_out, bool *op_failed, tfp_error *err)
{
	json_auto_t *root = NULL;
	const char *type;
	int rc = lxd__decode(r, &root, err);

	if (rc)
		return rc;
	/* Switch on the body, not the status: main may send an error
	 * envelope under 200. */
	type = json_string_value(json_object_get(root, "type"));
	if (type && strcmp(type, "error") == 0) {
		rc = lxd__error_envelope(root, r->status, err);
		if (rc == TFP_E_NOTFOUND)
			/* The operation existed: LXD restarted and forgot it.
			 * Never "not found" (that reads as "already deleted"
			 * to callers). */
			rc = tfp_err_set(
				err, TFP_E_UNAVAILABLE, r->status,
				"LXD no longer knows operation %s (it restarted?): its outcome is unknown",
				op_path);
		return rc;
	}
	if (!type || strcmp(type, "sync") != 0)
		return tfp_err_set(
			err, TFP_E_PROTOCOL, r->status,
			"unexpected LXD reply type '%s' while waiting for an operation",
			type ? type : "(none)");
	if (r->status >= 400)
		return tfp_err_set(err, lxd__status_code(r->status, NULL),
				   r->status, "HTTP %d waiting for %s",
				   r->status, op_path);
	rc = lxd__op_state(json_object_get(root, "metadata"), r->status, err);
	if (rc == TFP_OK && op_out)
		*op_out = json_incref(json_object_get(root, "metadata"));
	*op_failed = rc < 0 && rc != TFP_E_PROTOCOL;
	return rc;
}

/* One wait call of at most WAIT_SLICE_S within the deadline (see
 * wait_answer for the result). */
static int wait_slice(lxd_client *c, const char *op_path, long long deadline,
		      long timeout_s, json_t **op_out, bool *op_failed,
		      tfp_error *err)
{
	http_response r = { 0 };
	_cleanup_free_ char *path = NULL;
	long long left = deadline - util_now_ms(), t0;
	long slice;
	int rc;

	if (lxd__stopped(c))
		return tfp_err_set(err, TFP_E_CANCELLED, 0,
				   "cancelled while waiting for %s", op_path);
	if (left <= 0)
		return tfp_err_set(err, TFP_E_TIMEOUT, 0,
				   "LXD operation %s still running after %ld s",
				   op_path, timeout_s);
	slice = (long)((left + 999) / 1000);
	if (slice > WAIT_SLICE_S)
		slice = WAIT_SLICE_S;
	path = wait_path(op_path, slice);
	if (!path)
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	t0 = util_now_ms();
	rc = lxd__send(c, "GET", path, NULL, NULL,
		       slice * 1000 + c->request_timeout_ms, NULL, &r, err);
	if (rc == TFP_E_CANCELLED)
		return tfp_err_set(err, TFP_E_CANCELLED, 0,
				   "cancelled while waiting for %s", op_path);
	if (rc == TFP_OK)
		rc = wait_answer(&r, op_path, op_out, op_failed, err);
	http_response_done(&r);
	/* Still running. A server that answers faster than asked is polled
	 * no more often than every WAIT_MIN_INTERVAL_MS. */
	left = deadline - util_now_ms();
	if (rc == 1 && util_now_ms() - t0 < WAIT_MIN_INTERVAL_MS && left > 0)
		util_sleep_ms(left < WAIT_MIN_INTERVAL_MS ?
				      (long)left :
				      WAIT_MIN_INTERVAL_MS,
			      c->stop);
	return rc;
}

int lxd_wait_operation(lxd_client *c, const char *op_path, long timeout_s,
		       json_t **op_out, tfp_error *err)
{
	bool op_failed = false; /* the operation's own result is known */
	long long deadline;
	int rc;

	if (!c || !op_path || strncmp(op_path, "/1.0/operations/", 16) != 0 ||
	    !lxd__path_ok(op_path))
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "invalid operation path");
	if (timeout_s <= 0)
		timeout_s = c->operation_timeout_s;
	deadline = util_now_ms() + (long long)timeout_s * 1000;
	do
		rc = wait_slice(c, op_path, deadline, timeout_s, op_out,
				&op_failed, err);
	while (rc == 1);
	/* The wait failed, not the operation: it may still finish (or have
	 * finished) on the server. */
	if (rc != TFP_OK && !op_failed && err)
		err->outcome_unknown = true;
	return rc;
}
