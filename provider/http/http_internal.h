/* Internals shared by the files of provider/http/ (and its unit tests).
 * Not for the clients: they use http.h.
 *
 * Files, each depending only on those below it (make lint checks it):
 *   http_send.c     http_send(): the retry loop
 *   http_curl.c     one exchange over libcurl
 *   http_client.c   options, client set-up, counters
 *   http_errors.c   the failure model: class -> tfp_code, messages, the
 *                   HTTP status table, libcurl results -> classes
 *   http_breaker.c, http_policy.c, retry_after.c, http_tls.c,
 *   http_handles.c
 */
#ifndef TFP_HTTP_INTERNAL_H
#define TFP_HTTP_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "provider/http/http.h"
#include "provider/http/http_breaker.h"
#include "provider/http/http_handles.h"
#include "provider/http/http_policy.h"
#include "provider/http/http_tls.h"
#include "provider/util/clock.h"

#define HTTP_HEADER_VALUE_MAX 4096 /* longer ETag/Location/...: ignored */

struct http_client {
	char *base_url;
	char *unix_socket;
	char *label;
	char *log_name;
	char *user_agent;
	char *ca_pem;
	size_t ca_len;
	char *cert_pem;
	char *key_pem;                 /* wiped on free */
	char pin[HTTP_FP_HEX_LEN + 1]; /* "" for none */
	char *tls_server_name;
	char *proxy;
	char *url_host; /* the URL split (CONNECT_TO for tls_server_name) */
	long url_port;
	char *url_rest;
	bool insecure;
	bool https;
	long request_timeout_ms;
	long connect_timeout_ms;
	http_policy_cfg policy;
	size_t max_response;
	atomic_int *stop;
	http_classify_fn classify;
	void *classify_ud;
	http_transport_fn transport;
	void *transport_ud;
	http_breaker breaker;
	http_handles handles; /* idle easy handles: connection reuse */
	atomic_ulong exchanges;
	atomic_ulong retries;
	atomic_ulong verifies;
};

static inline bool http__stopped(const http_client *c)
{
	return c->stop && atomic_load(c->stop) != 0;
}

/* ---- http_errors.c ------------------------------------------------------ */

/* The tfp_code a failure class is reported as: NOT_SENT and NO_ANSWER
 * TFP_E_UNAVAILABLE, TOO_BIG and PROTOCOL TFP_E_PROTOCOL, the others their
 * namesakes. */
int http__class_code(int cls);

/* Record a failed exchange: err (if not NULL) gets the class's code and the
 * message (cut on a UTF-8 boundary; outcome_unknown cleared), fate (if not
 * NULL) the class and `sent`. Returns cls. */
int http__fail(tfp_error *err, http_fate *fate, int cls, bool sent,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The HTTP_E_TIMEOUT failure of this client for a timeout of timeout_ms:
 * one text for every request (the breaker repeats it), naming the server
 * and the timeout. */
int http__timeout_fail(const http_client *c, long timeout_ms, bool sent,
		       tfp_error *err, http_fate *fate);

/* "30 s" for whole seconds, else "1500 ms". */
void http__fmt_ms(long ms, char *buf, size_t len);

/* The one mapping from a libcurl result to a class. `sent`: the request
 * was handed to the connection (libcurl's pre-request callback ran);
 * `too_big`: the body sink hit the cap; `pin_mismatch`: the pin callback
 * rejected the peer; `stopped`: the stop flag was raised; `detail`:
 * libcurl's error text (a TLS handshake cut by a reset or EOF is a dropped
 * connection, not a certificate problem), may be NULL. Pure. */
int http__curl_class(int curl_code, bool sent, bool too_big, bool pin_mismatch,
		     bool stopped, const char *detail);

/* ---- http_curl.c --------------------------------------------------------- */

/* Per-exchange pin state for the TLS callback. */
typedef struct http_pin_state {
	const char *pin; /* expected fingerprint */
	bool checked;    /* the callback accepted the peer */
	bool mismatch;   /* the callback rejected the peer */
	char actual[HTTP_FP_HEX_LEN + 1];
} http_pin_state;

/* Install the pin check on an OpenSSL SSL_CTX (from CURLOPT_SSL_CTX_*),
 * renegotiation off (p is used only during the connection's one
 * handshake). Returns 0. (http_tls.c) */
int http__pin_ssl_ctx(void *sslctx, http_pin_state *p);

/* One exchange over libcurl with the client's settings; timeout_ms bounds
 * it. HTTP_OK with *resp filled (status, body, captured headers), or a
 * class with err and fate filled (message naming the server). */
int http__curl_exchange(http_client *c, const http_request *req,
			long timeout_ms, http_response *resp, tfp_error *err,
			http_fate *fate);

#endif
