/* The shared error model (see err.h). */
#include "provider/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "provider/util/text.h"

int tfp_err_set(tfp_error *err, int code, int http_status, const char *fmt, ...)
{
	char request[sizeof(((tfp_error *)0)->request)];
	char message[sizeof(((tfp_error *)0)->message)];
	va_list ap;

	if (!err)
		return code;
	/* Format first: the arguments may point into *err. */
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	util_utf8_trim(message, sizeof(message) - 1);
	memcpy(request, err->request, sizeof(request));
	memset(err, 0, sizeof(*err));
	memcpy(err->message, message, sizeof(message));
	memcpy(err->request, request, sizeof(request));
	err->request[sizeof(err->request) - 1] = '\0';
	err->code = code;
	err->http_status = http_status;
	return code;
}

void tfp_err_request(tfp_error *err, const char *method, const char *path)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	snprintf(err->request, sizeof(err->request), "%s %s", method, path);
	util_utf8_trim(err->request, sizeof(err->request) - 1);
}

const char *tfp_code_str(int code)
{
	switch (code) {
	case TFP_OK: return "ok";
	case TFP_E_NOMEM: return "out of memory";
	case TFP_E_INVALID: return "invalid request";
	case TFP_E_LIMIT: return "limit exceeded";
	case TFP_E_TYPE: return "wrong type";
	case TFP_E_NOTFOUND: return "not found";
	case TFP_E_CONFLICT: return "conflict";
	case TFP_E_EXISTS: return "already exists";
	case TFP_E_PRECONDITION: return "precondition failed";
	case TFP_E_UNAUTHORIZED: return "unauthorized";
	case TFP_E_FORBIDDEN: return "forbidden";
	case TFP_E_UNAVAILABLE: return "unavailable";
	case TFP_E_SERVER: return "server error";
	case TFP_E_TIMEOUT: return "timed out";
	case TFP_E_CANCELLED: return "cancelled";
	case TFP_E_PROTOCOL: return "protocol error";
	case TFP_E_TLS: return "TLS error";
	case TFP_E_CONFIG: return "unusable configuration";
	case TFP_E_CREDENTIALS: return "credentials unavailable";
	case TFP_E_GONE: return "gone";
	case TFP_E_NOTSERVED: return "not served";
	default: return "unknown error";
	}
}

bool tfp_err_outcome_unknown(const tfp_error *err)
{
	return err && err->outcome_unknown;
}
