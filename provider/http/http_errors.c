/* The failure model of the HTTP layer: the one place where libcurl results,
 * TLS failures and HTTP statuses become the error model (provider/err.h).
 * Pure functions and message formatting; a leaf of provider/http. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "provider/http/http_internal.h"

int http__class_code(int cls)
{
	switch (cls) {
	case HTTP_OK: return TFP_OK;
	case HTTP_E_NOMEM: return TFP_E_NOMEM;
	case HTTP_E_INVALID: return TFP_E_INVALID;
	case HTTP_E_NOT_SENT:
	case HTTP_E_NO_ANSWER: return TFP_E_UNAVAILABLE;
	case HTTP_E_TIMEOUT: return TFP_E_TIMEOUT;
	case HTTP_E_TLS: return TFP_E_TLS;
	case HTTP_E_CANCELLED: return TFP_E_CANCELLED;
	case HTTP_E_TOO_BIG:
	case HTTP_E_PROTOCOL:
	default: return TFP_E_PROTOCOL;
	}
}

const char *http_class_str(int cls)
{
	switch (cls) {
	case HTTP_OK: return "ok";
	case HTTP_E_NOMEM: return "out of memory";
	case HTTP_E_INVALID: return "invalid request";
	case HTTP_E_NOT_SENT: return "not sent";
	case HTTP_E_NO_ANSWER: return "no answer";
	case HTTP_E_TIMEOUT: return "timed out";
	case HTTP_E_TLS: return "TLS error";
	case HTTP_E_TOO_BIG: return "answer too big";
	case HTTP_E_CANCELLED: return "cancelled";
	case HTTP_E_PROTOCOL: return "invalid answer";
	default: return "unknown error";
	}
}

int http_status_code(int status)
{
	switch (status) {
	case 400:
	case 415:
	case 422: return TFP_E_INVALID;
	case 401: return TFP_E_UNAUTHORIZED;
	case 403: return TFP_E_FORBIDDEN;
	case 404: return TFP_E_NOTFOUND;
	case 409: return TFP_E_CONFLICT;
	case 410: return TFP_E_GONE;
	case 412: return TFP_E_PRECONDITION;
	case 429:
	case 502:
	case 503: return TFP_E_UNAVAILABLE;
	case 504: return TFP_E_TIMEOUT;
	default: return status >= 500 ? TFP_E_SERVER : TFP_E_INVALID;
	}
}

int http__fail(tfp_error *err, http_fate *fate, int cls, bool sent,
	       const char *fmt, ...)
{
	char msg[TFP_ERRMSG_MAX];
	va_list ap;

	if (fate) {
		fate->cls = cls;
		fate->sent = sent;
		fate->fast_fail = false;
	}
	if (!err)
		return cls;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tfp_err_set(err, http__class_code(cls), 0, "%s", msg);
	return cls;
}

void http__fmt_ms(long ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%ld s", ms / 1000);
	else
		snprintf(buf, len, "%ld ms", ms);
}

int http__timeout_fail(const http_client *c, long timeout_ms, bool sent,
		       tfp_error *err, http_fate *fate)
{
	char t[32];

	/* The same text for every request that hits it: the breaker
	 * repeats it for the requests it fails at once. */
	http__fmt_ms(timeout_ms, t, sizeof(t));
	return http__fail(
		err, fate, HTTP_E_TIMEOUT, sent,
		"%s did not answer within %s (request timeout): it "
		"stopped answering (frozen, overloaded or unreachable)",
		c->label, t);
}

/* A TLS handshake that failed because the connection was reset or closed
 * (a server going down or restarting), not because of a certificate: the
 * OpenSSL texts libcurl reports for it. */
static bool handshake_dropped(const char *detail)
{
	return detail && (strcasestr(detail, "reset") ||
			  strcasestr(detail, "SSL_ERROR_SYSCALL") ||
			  strcasestr(detail, "unexpected eof"));
}

/* A table of libcurl results by what they say about the request: a switch
 * reads better whole than split. */
int http__curl_class(int curl_code, bool sent, bool too_big, bool pin_mismatch,
		     bool stopped, const char *detail)
{
	if (pin_mismatch)
		return HTTP_E_TLS;
	if (too_big)
		return HTTP_E_TOO_BIG;
	switch ((CURLcode)curl_code) {
	case CURLE_OK: return HTTP_OK;
	case CURLE_ABORTED_BY_CALLBACK:
		return stopped ? HTTP_E_CANCELLED : HTTP_E_PROTOCOL;
	case CURLE_OPERATION_TIMEDOUT: return HTTP_E_TIMEOUT;
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR: /* the sink failed without hitting the cap */
		return HTTP_E_NOMEM;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT: return HTTP_E_NOT_SENT;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		/* Before the request was handed over, nothing was sent. */
		return sent ? HTTP_E_NO_ANSWER : HTTP_E_NOT_SENT;
	case CURLE_SSL_CONNECT_ERROR:
		if (handshake_dropped(detail))
			return sent ? HTTP_E_NO_ANSWER : HTTP_E_NOT_SENT;
		return HTTP_E_TLS;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_USE_SSL_FAILED: return HTTP_E_TLS;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
	case CURLE_NOT_BUILT_IN:
	case CURLE_FAILED_INIT: return HTTP_E_INVALID;
	default:
		/* WEIRD_SERVER_REPLY and the rest: not a usable answer. */
		return HTTP_E_PROTOCOL;
	}
}
