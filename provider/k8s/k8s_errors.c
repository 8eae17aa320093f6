/* k8s client errors: Status bodies -> k8s_error, and k8s_error -> text and
 * diagnostics. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/text.h"
#include "k8s_internal.h"

int k8s_set_err(k8s_error *err, int code, int http_status, const char *fmt, ...)
{
	va_list ap;
	char request[sizeof(err->request)];

	if (!err)
		return code;
	/* Keep the request context an operation may have recorded. */
	memcpy(request, err->request, sizeof(request));
	memset(err, 0, sizeof(*err));
	memcpy(err->request, request, sizeof(request));
	err->request[sizeof(err->request) - 1] = '\0';
	err->code = code;
	err->http_status = http_status;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	util_utf8_trim(err->message, sizeof(err->message) - 1);
	return code;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
	util_utf8_trim(dst, len - 1);
}

static int code_for(int status, const char *reason)
{
	switch (status) {
	case 400:
	case 415:
	case 422:
		return K8S_E_INVALID;
	case 401:
		return K8S_E_UNAUTHORIZED;
	case 403:
		return K8S_E_FORBIDDEN;
	case 404:
		return K8S_E_NOTFOUND;
	case 409:
		return reason && strcmp(reason, "AlreadyExists") == 0 ? K8S_E_EXISTS
								      : K8S_E_CONFLICT;
	case 410:
		return K8S_E_GONE;
	case 429:
	case 502:
	case 503:
		return K8S_E_UNAVAILABLE;
	case 504:
		return K8S_E_TIMEOUT;
	default:
		return status >= 500 ? K8S_E_SERVER : K8S_E_INVALID;
	}
}

int k8s_status_error(int http_status, const char *body, size_t len,
		     k8s_error *err)
{
	json_error_t jerr;
	json_t *root = NULL, *causes, *cause;
	const char *reason = NULL, *msg = NULL;
	size_t i;
	int code;

	if (body && len)
		root = json_loadb(body, len, 0, &jerr);
	if (root && json_is_object(root)) {
		reason = json_string_value(json_object_get(root, "reason"));
		msg = json_string_value(json_object_get(root, "message"));
	}
	code = code_for(http_status, reason);
	if (msg && *msg) {
		k8s_set_err(err, code, http_status, "%s", msg);
	} else if (body && len && !root) {
		/* A proxy or non-Kubernetes server: quote a bounded first line. */
		int n = (int)strcspn(body, "\r\n");

		k8s_set_err(err, code, http_status, "HTTP %d: %.*s", http_status,
			    n > 200 ? 200 : n, body);
	} else {
		k8s_set_err(err, code, http_status, "HTTP %d (%s)", http_status,
			    k8s_code_str(code));
	}
	if (err && root) {
		copy_str(err->reason, sizeof(err->reason), reason);
		causes = json_object_get(json_object_get(root, "details"), "causes");
		json_array_foreach(causes, i, cause) {
			k8s_cause *kc;

			if (err->ncauses >= K8S_MAX_CAUSES)
				break;
			kc = &err->causes[err->ncauses++];
			copy_str(kc->field, sizeof(kc->field),
				 json_string_value(json_object_get(cause, "field")));
			copy_str(kc->reason, sizeof(kc->reason),
				 json_string_value(json_object_get(cause, "reason")));
			copy_str(kc->message, sizeof(kc->message),
				 json_string_value(json_object_get(cause, "message")));
		}
	}
	json_decref(root);
	return code;
}

const char *k8s_code_str(int code)
{
	switch (code) {
	case K8S_OK: return "ok";
	case K8S_E_NOMEM: return "out of memory";
	case K8S_E_NOTFOUND: return "not found";
	case K8S_E_CONFLICT: return "conflict";
	case K8S_E_EXISTS: return "already exists";
	case K8S_E_INVALID: return "invalid request";
	case K8S_E_UNAUTHORIZED: return "unauthorized";
	case K8S_E_FORBIDDEN: return "forbidden";
	case K8S_E_UNAVAILABLE: return "unavailable";
	case K8S_E_SERVER: return "server error";
	case K8S_E_TIMEOUT: return "timed out";
	case K8S_E_CANCELLED: return "cancelled";
	case K8S_E_PROTOCOL: return "protocol error";
	case K8S_E_CONFIG: return "configuration error";
	case K8S_E_CREDENTIALS: return "credentials error";
	case K8S_E_GONE: return "gone";
	case K8S_E_NOTSERVED: return "not served";
	case K8S_E_TLS: return "TLS error";
	default: return "unknown error";
	}
}

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*off += (size_t)n;
	if (*off >= len)
		*off = len - 1;
}

static const char *hint_for(const k8s_error *e)
{
	switch (e->code) {
	case K8S_E_UNAUTHORIZED:
		return "The management cluster rejected the credentials: check the "
		       "user of the kubeconfig context (token, client certificate "
		       "or exec plugin) and that it has not expired.";
	case K8S_E_FORBIDDEN:
		return "The credentials are valid but not allowed to do this: grant "
		       "the user RBAC permissions on the Cluster API objects, "
		       "Secrets and Namespaces.";
	case K8S_E_UNAVAILABLE:
		return "The management cluster is unreachable or overloaded: check "
		       "the kubeconfig server URL and that the API server is up, "
		       "then retry.";
	case K8S_E_TLS:
		return "Check certificate-authority(-data) and tls-server-name of the "
		       "kubeconfig cluster.";
	case K8S_E_TIMEOUT:
		return "The request did not finish in time; retry, or check the "
		       "API server's health.";
	default:
		return NULL;
	}
}

const char *k8s_error_text(const k8s_error *e, char *buf, size_t len)
{
	size_t off = 0, i;
	const char *hint;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!e) {
		append(buf, len, &off, "unknown error");
		return buf;
	}
	append(buf, len, &off, "%s", e->message[0] ? e->message : k8s_code_str(e->code));
	if (e->http_status && e->reason[0])
		append(buf, len, &off, " (reason %s, HTTP %d)", e->reason, e->http_status);
	else if (e->http_status)
		append(buf, len, &off, " (HTTP %d)", e->http_status);
	for (i = 0; i < e->ncauses; i++) {
		const k8s_cause *kc = &e->causes[i];

		if (!kc->message[0] && !kc->field[0])
			continue;
		/* The message usually repeats the cause; show distinct ones. */
		if (kc->message[0] && strstr(e->message, kc->message) && !kc->field[0])
			continue;
		append(buf, len, &off, "\n  - %s%s%s", kc->field, kc->field[0] ? ": " : "",
		       kc->message[0] ? kc->message : kc->reason);
	}
	if (e->request[0])
		append(buf, len, &off, "\nRequest: %s", e->request);
	hint = hint_for(e);
	if (hint)
		append(buf, len, &off, "\n%s", hint);
	util_utf8_trim(buf, len - 1);
	return buf;
}

void k8s_diag(tf_diags *d, const tf_path *path, const char *summary,
	      const k8s_error *err)
{
	char text[4096];

	k8s_error_text(err, text, sizeof(text));
	tf_diags_add(d, TF_DIAG_ERROR, path, summary, "%s", text);
}
