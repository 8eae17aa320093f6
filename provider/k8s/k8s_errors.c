/* What the Kubernetes API's answers mean: Status bodies as tfp_error, and
 * which answers are worth retrying (see k8s_internal.h). */
#include <stdio.h>
#include <string.h>

#include "../util/text.h"
#include "k8s_internal.h"

#define CLASSIFY_MAX_BODY 65536 /* bigger error bodies are not inspected */

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
	util_utf8_trim(dst, len - 1);
}

/* The Status's details.causes[], bounded by TFP_MAX_CAUSES. */
static void copy_causes(const json_t *root, tfp_error *err)
{
	const json_t *causes = json_object_get(json_object_get(root, "details"),
					       "causes");
	const json_t *cause;
	tfp_cause *tc;
	size_t i;

	json_array_foreach (causes, i, cause) {
		if (err->ncauses >= TFP_MAX_CAUSES)
			break;
		tc = &err->causes[err->ncauses++];
		copy_str(tc->field, sizeof(tc->field),
			 json_string_value(json_object_get(cause, "field")));
		copy_str(tc->reason, sizeof(tc->reason),
			 json_string_value(json_object_get(cause, "reason")));
		copy_str(tc->message, sizeof(tc->message),
			 json_string_value(json_object_get(cause, "message")));
	}
}

int k8s__status_error(int http_status, const char *body, size_t len,
		      tfp_error *err)
{
	json_auto_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *reason = NULL, *msg = NULL;
	int code, n;

	if (root && !json_is_object(root)) {
		json_decref(root);
		root = NULL;
		body = NULL; /* JSON, but not a Status: no text worth quoting */
	}
	if (root) {
		reason = json_string_value(json_object_get(root, "reason"));
		msg = json_string_value(json_object_get(root, "message"));
	}
	code = http_status_code(http_status);
	if (http_status == 409 && reason &&
	    strcmp(reason, "AlreadyExists") == 0)
		code = TFP_E_EXISTS;
	if (msg && *msg) {
		tfp_err_set(err, code, http_status, "%s", msg);
	} else if (body && len && !root) {
		/* A proxy or non-Kubernetes server: quote a bounded first line. */
		n = (int)strcspn(body, "\r\n");
		tfp_err_set(err, code, http_status, "HTTP %d: %.*s",
			    http_status, n > 200 ? 200 : n, body);
	} else {
		tfp_err_set(err, code, http_status, "HTTP %d (%s)", http_status,
			    tfp_code_str(code));
	}
	if (err && root) {
		copy_str(err->reason, sizeof(err->reason), reason);
		copy_causes(root, err);
	}
	return code;
}

http_answer k8s__classify(void *ud, const http_request *req,
			  const http_response *resp)
{
	(void)ud;
	(void)req;
	/* A validating or mutating webhook whose service is not up yet (a
	 * controller restarting): the API server answers 500 "failed calling
	 * webhook"; the request was not admitted. */
	if (resp->status == 500 && resp->body &&
	    resp->body_len <= CLASSIFY_MAX_BODY &&
	    strstr(resp->body, "failed calling webhook"))
		return HTTP_ANSWER_TRANSIENT;
	return http_classify_default(resp);
}
