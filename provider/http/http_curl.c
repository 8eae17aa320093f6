/* One HTTP exchange over libcurl (the static minimal build, curl-min/).
 *
 * Each exchange takes an easy handle from the client's idle list
 * (http_handles.h) and sets every option anew; a handle is never shared
 * between threads. Its open connection is reused by the next exchange of
 * the same client (keep-alive), except for a request that carries its own
 * client certificate, which gets a fresh connection. libcurl silently
 * sends a request again on a new connection when a reused one turns out
 * closed; for a request that is not idempotent that second copy is
 * refused (prereq_cb) and the exchange fails as "sent, no answer", whose
 * outcome the caller verifies (http_send.c). No TLS session reuse: every
 * handshake is a full one, so the pin is checked on every new connection,
 * and a reused connection is one this client pinned. Bounded: total and
 * connect timeouts, the body cap, header value length, and the stop flag
 * checked by the progress callback. What a libcurl result means is
 * http__curl_class (http_errors.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "provider/http/http_internal.h"
#include "provider/log.h"
#include "provider/util/cleanup.h"

#define WARNING_LOG_MAX 512   /* bytes of a Warning header logged */
#define UNSAFE_REUSE_MAX_S 5L /* idle age of a connection a POST may reuse */

/* State of one exchange, shared with the curl callbacks; owns what the
 * handle points at until curl_easy_cleanup. */
struct xfer {
	const http_client *c;
	char *buf;
	size_t len, cap;
	bool too_big;
	bool sent;        /* the pre-request callback ran */
	bool once;        /* not idempotent: may be sent only once */
	bool resend_seen; /* libcurl's own resend was refused */
	http_pin_state pin;
	char *etag;
	char *location;
	char *retry_after;
	char *url;
	char *connect_to;
	struct curl_slist *conn;
	struct curl_slist *hdrs; /* may hold tokens: wiped */
	char errbuf[CURL_ERROR_SIZE];
};

static void xfer_done(struct xfer *x)
{
	struct curl_slist *nh;

	/* Extra header lines may hold tokens: wipe before freeing. */
	for (nh = x->hdrs; nh; nh = nh->next)
		OPENSSL_cleanse(nh->data, strlen(nh->data));
	curl_slist_free_all(x->hdrs);
	curl_slist_free_all(x->conn);
	free(x->url);
	free(x->connect_to);
	free(x->buf);
	free(x->etag);
	free(x->location);
	free(x->retry_after);
}

/* ---- callbacks ------------------------------------------------------------ */

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb, max = x->c->max_response, ncap;
	char *nb;

	if (n > max || x->len + n > max) {
		x->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (x->len + n + 1 > x->cap) {
		ncap = x->cap ? x->cap : 4096;
		while (ncap < x->len + n + 1)
			ncap *= 2;
		if (ncap > max + 1)
			ncap = max + 1;
		nb = realloc(x->buf, ncap);
		if (!nb)
			return 0;
		x->buf = nb;
		x->cap = ncap;
	}
	memcpy(x->buf + x->len, data, n);
	x->len += n;
	x->buf[x->len] = '\0';
	return n;
}

/* A header value, whitespace-trimmed (malloc'd); NULL when empty or longer
 * than HTTP_HEADER_VALUE_MAX. */
static char *header_value(const char *v, size_t n)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' ||
		     v[n - 1] == '\t'))
		n--;
	if (n == 0 || n > HTTP_HEADER_VALUE_MAX)
		return NULL;
	return strndup(v, n);
}

/* Keep a header value, replacing an earlier one. */
static void keep_header(char **slot, const char *v, size_t n)
{
	char *s = header_value(v, n);

	if (s) {
		free(*slot);
		*slot = s;
	}
}

static bool header_is(const char *data, size_t n, const char *name,
		      size_t *vlen)
{
	size_t k = strlen(name);

	if (n <= k || strncasecmp(data, name, k) != 0)
		return false;
	*vlen = n - k;
	return true;
}

static size_t header_cb(char *data, size_t size, size_t nitems, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nitems, v;
	_cleanup_free_ char *warning = NULL;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (e.g. after 100 Continue): start over. */
		free(x->etag);
		free(x->location);
		free(x->retry_after);
		x->etag = x->location = x->retry_after = NULL;
	} else if (header_is(data, n, "ETag:", &v)) {
		keep_header(&x->etag, data + n - v, v);
	} else if (header_is(data, n, "Location:", &v)) {
		keep_header(&x->location, data + n - v, v);
	} else if (header_is(data, n, "Retry-After:", &v)) {
		keep_header(&x->retry_after, data + n - v, v);
	} else if (header_is(data, n, "Warning:", &v)) {
		/* Kubernetes: deprecated APIs, fields the server dropped. */
		warning = header_value(data + n - v, v);
		if (warning)
			tfp_warn("%s API warning: %.*s", x->c->log_name,
				 WARNING_LOG_MAX, warning);
	}
	return n;
}

static int xferinfo_cb(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	const struct xfer *x = ud;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return http__stopped(x->c) ? 1 : 0;
}

/* Called once the connection (TLS included) is up, just before the
 * request goes out: from here on the server may see it. */
static int prereq_cb(void *ud, char *conn_primary_ip, char *conn_local_ip,
		     int conn_primary_port, int conn_local_port)
{
	struct xfer *x = ud;

	(void)conn_primary_ip;
	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	if (x->sent && x->once) {
		/* libcurl's automatic resend after a reused connection
		 * closed: the first copy may have reached the server. */
		x->resend_seen = true;
		return CURL_PREREQFUNC_ABORT;
	}
	x->sent = true;
	return CURL_PREREQFUNC_OK;
}

static CURLcode ssl_ctx_cb(CURL *h, void *sslctx, void *arg)
{
	struct xfer *x = arg;

	(void)h;
	http__pin_ssl_ctx(sslctx, &x->pin);
	return CURLE_OK;
}

/* ---- setting the handle up ---------------------------------------------- */

/* Set a curl option or fail the exchange as HTTP_E_INVALID. Used by
 * functions returning an http_class with `err` and `fate` in scope. */
#define SETOPT(h, opt, val)                                                    \
	do {                                                                   \
		CURLcode res_ = curl_easy_setopt(h, opt, val);                 \
		if (res_ != CURLE_OK)                                          \
			return http__fail(err, fate, HTTP_E_INVALID, false,    \
					  "curl option " #opt ": %s",          \
					  curl_easy_strerror(res_));           \
	} while (0)

static int nomem(tfp_error *err, http_fate *fate)
{
	return http__fail(err, fate, HTTP_E_NOMEM, false, "out of memory");
}

/* Append a header line; false when out of memory. */
static bool add_header(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (n)
		*l = n;
	return n != NULL;
}

/* The URL; with tls_server_name, the URL names that host and CONNECT_TO
 * sends the connection to the real one (SNI and verification then use
 * the name). */
static int set_url(CURL *h, struct xfer *x, const http_request *req,
		   tfp_error *err, http_fate *fate)
{
	const http_client *c = x->c;

	if (c->https && c->tls_server_name) {
		if (asprintf(&x->url, "https://%s:%ld%s%s", c->tls_server_name,
			     c->url_port, c->url_rest, req->path) < 0 ||
		    asprintf(&x->connect_to, "%s:%ld:%s:%ld",
			     c->tls_server_name, c->url_port, c->url_host,
			     c->url_port) < 0) {
			x->url = x->connect_to = NULL;
			return nomem(err, fate);
		}
		if (!add_header(&x->conn, x->connect_to))
			return nomem(err, fate);
		SETOPT(h, CURLOPT_CONNECT_TO, x->conn);
	} else if (asprintf(&x->url, "%s%s", c->base_url, req->path) < 0) {
		x->url = NULL;
		return nomem(err, fate);
	}
	SETOPT(h, CURLOPT_URL, x->url);
	return HTTP_OK;
}

/* Protocol, bounds, callbacks, where to connect. */
static int set_transfer(CURL *h, struct xfer *x, long timeout_ms,
			tfp_error *err, http_fate *fate)
{
	const http_client *c = x->c;

	SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_ERRORBUFFER, x->errbuf);
	SETOPT(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS,
	       c->connect_timeout_ms < timeout_ms ? c->connect_timeout_ms :
						    timeout_ms);
	SETOPT(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(h, CURLOPT_MAXCONNECTS, 1L); /* one kept connection a handle */
	SETOPT(h, CURLOPT_USERAGENT, c->user_agent);
	SETOPT(h, CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(h, CURLOPT_WRITEDATA, x);
	SETOPT(h, CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(h, CURLOPT_HEADERDATA, x);
	SETOPT(h, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	SETOPT(h, CURLOPT_XFERINFODATA, x);
	SETOPT(h, CURLOPT_NOPROGRESS, 0L);
	SETOPT(h, CURLOPT_PREREQFUNCTION, prereq_cb);
	SETOPT(h, CURLOPT_PREREQDATA, x);
	if (c->unix_socket)
		SETOPT(h, CURLOPT_UNIX_SOCKET_PATH, c->unix_socket);
	/* proxy wins; without it libcurl follows the proxy environment
	 * variables (https_proxy, no_proxy), as kubectl does. */
	if (c->proxy)
		SETOPT(h, CURLOPT_PROXY, c->proxy);
	return HTTP_OK;
}

/* Server verification (pin, CA, or none) and the client certificate: the
 * request's own, else the client's. Blobs point at memory that outlives
 * the exchange. */
static int set_tls(CURL *h, struct xfer *x, const http_request *req,
		   tfp_error *err, http_fate *fate)
{
	const http_client *c = x->c;
	const char *cert = req->client_cert_pem ? req->client_cert_pem :
						  c->cert_pem;
	const char *key = req->client_cert_pem ? req->client_key_pem :
						 c->key_pem;
	struct curl_blob blob = { .flags = CURL_BLOB_NOCOPY };

	SETOPT(h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	if (c->insecure || c->pin[0]) {
		/* The pin replaces chain and name checks. */
		SETOPT(h, CURLOPT_SSL_VERIFYPEER, 0L);
		SETOPT(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->pin[0] && !c->insecure) {
		SETOPT(h, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
		SETOPT(h, CURLOPT_SSL_CTX_DATA, x);
	} else if (c->ca_pem && !c->insecure) {
		blob.data = c->ca_pem;
		blob.len = c->ca_len;
		SETOPT(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (cert && key) {
		blob.data = (void *)cert;
		blob.len = strlen(cert);
		SETOPT(h, CURLOPT_SSLCERT_BLOB, &blob);
		SETOPT(h, CURLOPT_SSLCERTTYPE, "PEM");
		blob.data = (void *)key;
		blob.len = strlen(key);
		SETOPT(h, CURLOPT_SSLKEY_BLOB, &blob);
		SETOPT(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	return HTTP_OK;
}

/* Append a printf-formatted header line; false when out of memory. */
static bool add_headerf(struct curl_slist **l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool add_headerf(struct curl_slist **l, const char *fmt, ...)
{
	_cleanup_free_ char *line = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0) {
		line = NULL;
		return false;
	}
	return add_header(l, line);
}

/* Method, body and header lines. */
static int set_request(CURL *h, struct xfer *x, const http_request *req,
		       tfp_error *err, http_fate *fate)
{
	const http_client *c = x->c;
	const char *const *hp;
	bool ok = true;

	if (strcmp(req->method, "GET") != 0)
		SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);
	/* A request that must not be repeated blindly may use a kept
	 * connection (prereq_cb refuses libcurl's resend), but only one idle
	 * for less than UNSAFE_REUSE_MAX_S: the longer a connection sat idle,
	 * the likelier the server (or a proxy) closes it just as the request
	 * goes out. A request with its own client certificate is not mixed
	 * with others. */
	x->once = http_method_kind_of(req->method) != HTTP_METHOD_IDEMPOTENT;
	if (x->once)
		SETOPT(h, CURLOPT_MAXAGE_CONN, UNSAFE_REUSE_MAX_S);
	if (req->client_cert_pem)
		SETOPT(h, CURLOPT_FRESH_CONNECT, 1L);
	if (req->body) {
		SETOPT(h, CURLOPT_POSTFIELDSIZE, (long)strlen(req->body));
		SETOPT(h, CURLOPT_POSTFIELDS, req->body);
		ok = add_headerf(&x->hdrs, "Content-Type: %s",
				 req->content_type ? req->content_type :
						     "application/json");
	} else if (strcmp(req->method, "POST") == 0 ||
		   strcmp(req->method, "PUT") == 0 ||
		   strcmp(req->method, "PATCH") == 0) {
		SETOPT(h, CURLOPT_POSTFIELDSIZE, 0L);
		SETOPT(h, CURLOPT_POSTFIELDS, "");
	}
	ok = ok && add_header(&x->hdrs, "Expect:");
	if (ok && x->conn) {
		/* tls_server_name changes only SNI and verification: the
		 * Host header stays the server URL's, as with kubectl. */
		ok = add_headerf(&x->hdrs, "Host: %s:%ld", c->url_host,
				 c->url_port);
	}
	if (ok && req->if_match)
		ok = add_headerf(&x->hdrs, "If-Match: %s", req->if_match);
	for (hp = req->headers; ok && hp && *hp; hp++)
		ok = add_header(&x->hdrs, *hp);
	if (!ok)
		return nomem(err, fate);
	SETOPT(h, CURLOPT_HTTPHEADER, x->hdrs);
	return HTTP_OK;
}

#undef SETOPT

/* ---- outcome ---------------------------------------------------------- */

/* Message for a failed exchange; names the server, never the body. */
static int fail(const struct xfer *x, int cls, CURLcode res, long timeout_ms,
		tfp_error *err, http_fate *fate)
{
	const http_client *c = x->c;
	const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(res);

	switch (cls) {
	case HTTP_E_TLS:
		if (x->pin.mismatch)
			return http__fail(
				err, fate, cls, false,
				"server certificate fingerprint mismatch for %s: expected %s, got %s",
				c->label, c->pin, x->pin.actual);
		return http__fail(err, fate, cls, false,
				  "TLS error talking to %s: %s", c->label,
				  detail);
	case HTTP_E_TOO_BIG:
		return http__fail(err, fate, cls, true,
				  "answer from %s larger than %zu bytes",
				  c->label, c->max_response);
	case HTTP_E_CANCELLED:
		return http__fail(err, fate, cls, x->sent, "request cancelled");
	case HTTP_E_TIMEOUT:
		return http__timeout_fail(c, timeout_ms, x->sent, err, fate);
	case HTTP_E_NOT_SENT:
		return http__fail(err, fate, cls, false,
				  "cannot connect to %s: %s", c->label, detail);
	case HTTP_E_NO_ANSWER:
		return http__fail(
			err, fate, cls, true,
			"connection to %s lost before a complete answer: %s",
			c->label, detail);
	case HTTP_E_NOMEM:
		return http__fail(err, fate, cls, x->sent, "out of memory");
	case HTTP_E_INVALID:
		return http__fail(err, fate, cls, false,
				  "cannot send to %s: %s", c->label, detail);
	default:
		return http__fail(err, fate, cls, x->sent,
				  "invalid answer from %s: %s", c->label,
				  detail);
	}
}

/* Run the prepared handle; HTTP_OK moves the answer into resp. */
static int perform(CURL *h, struct xfer *x, long timeout_ms,
		   http_response *resp, tfp_error *err, http_fate *fate)
{
	const http_client *c = x->c;
	CURLcode res = curl_easy_perform(h);
	long status = 0, connects = 0;

	if (res == CURLE_ABORTED_BY_CALLBACK && x->resend_seen) {
		/* The kept connection closed after the request went out:
		 * sent, no answer. */
		res = CURLE_GOT_NOTHING;
		snprintf(x->errbuf, sizeof(x->errbuf), "%s",
			 "connection closed before an answer came");
	}
	if (res != CURLE_OK)
		return fail(x,
			    http__curl_class(res, x->sent, x->too_big,
					     x->pin.mismatch, http__stopped(c),
					     x->errbuf[0] ?
						     x->errbuf :
						     curl_easy_strerror(res)),
			    res, timeout_ms, err, fate);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
	if (c->https && c->pin[0] && !c->insecure && !x->pin.checked &&
	    connects > 0)
		/* Defensive: the pin callback must have run for this new
		 * connection's handshake (a reused one was pinned when this
		 * client opened it). */
		return http__fail(err, fate, HTTP_E_TLS, false,
				  "server certificate of %s was not verified",
				  c->label);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	resp->status = (int)status;
	resp->body_len = x->len;
	resp->body = TAKE_PTR(x->buf);
	resp->etag = TAKE_PTR(x->etag);
	resp->location = TAKE_PTR(x->location);
	resp->retry_after = TAKE_PTR(x->retry_after);
	return HTTP_OK;
}

int http__curl_exchange(http_client *c, const http_request *req,
			long timeout_ms, http_response *resp, tfp_error *err,
			http_fate *fate)
{
	struct xfer x;
	CURL *h;
	int rc;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.pin.pin = c->pin;
	h = http_handles_get(&c->handles);
	if (!h)
		rc = http__fail(err, fate, HTTP_E_NOMEM, false,
				"cannot create a curl handle: %s",
				curl_easy_strerror(CURLE_FAILED_INIT));
	else if ((rc = set_url(h, &x, req, err, fate)) == HTTP_OK &&
		 (rc = set_transfer(h, &x, timeout_ms, err, fate)) == HTTP_OK &&
		 (!c->https ||
		  (rc = set_tls(h, &x, req, err, fate)) == HTTP_OK) &&
		 (rc = set_request(h, &x, req, err, fate)) == HTTP_OK)
		rc = perform(h, &x, timeout_ms, resp, err, fate);
	/* The handle refers to x's lists and buffers: reset or clean it up
	 * first. Only a handle whose exchange ended with a complete answer
	 * keeps its connection for the next one. */
	http_handles_put(&c->handles, h, rc == HTTP_OK);
	xfer_done(&x);
	return rc;
}
