/* One HTTP exchange over libcurl (loaded lazily by curl_lazy.c), and the
 * one mapping from libcurl results to http_class.
 *
 * A fresh easy handle per exchange: no shared state between threads, no
 * connection or TLS session reuse (so the pin is checked on every
 * handshake). Bounded: total and connect timeouts, the body cap, header
 * value length, and the stop flag checked by the progress callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "provider/http/http_internal.h"

/* State of one exchange, shared with the curl callbacks. */
struct xfer {
	const http_client *c;
	char *buf;
	size_t len, cap;
	bool too_big;
	bool sent; /* the pre-request callback ran */
	http_pin_state pin;
	char *etag;
	char *location;
	char *retry_after;
};

int http__curl_class(int curl_code, bool sent, bool too_big, bool pin_mismatch,
		     bool stopped)
{
	if (pin_mismatch)
		return HTTP_E_TLS;
	if (too_big)
		return HTTP_E_TOO_BIG;
	switch ((CURLcode)curl_code) {
	case CURLE_OK:
		return HTTP_OK;
	case CURLE_ABORTED_BY_CALLBACK:
		return stopped ? HTTP_E_CANCELLED : HTTP_E_PROTOCOL;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_E_TIMEOUT;
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR: /* the sink failed without hitting the cap */
		return HTTP_E_NOMEM;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return HTTP_E_NOT_SENT;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		/* Before the request was handed over, nothing was sent. */
		return sent ? HTTP_E_NO_ANSWER : HTTP_E_NOT_SENT;
	case CURLE_SSL_CONNECT_ERROR:
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
	case CURLE_USE_SSL_FAILED:
		return HTTP_E_TLS;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
	case CURLE_NOT_BUILT_IN:
	case CURLE_FAILED_INIT:
		return HTTP_E_INVALID;
	default:
		/* WEIRD_SERVER_REPLY and the rest: not a usable answer. */
		return HTTP_E_PROTOCOL;
	}
}

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

/* Keep a header value, whitespace-trimmed, replacing an earlier one;
 * empty or longer than HTTP_HEADER_VALUE_MAX: ignored. */
static void keep_header(char **slot, const char *v, size_t n)
{
	char *s;

	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' ||
		     v[n - 1] == '\t'))
		n--;
	if (n == 0 || n > HTTP_HEADER_VALUE_MAX)
		return;
	s = strndup(v, n);
	if (!s)
		return;
	free(*slot);
	*slot = s;
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

int http__timeout_err(const http_client *c, long timeout_ms, bool sent,
		      http_error *err)
{
	char t[32];

	/* The same text for every request that hits it: the breaker
	 * repeats it for the requests it fails at once. */
	http__fmt_ms(timeout_ms, t, sizeof(t));
	return http__set_err(err, HTTP_E_TIMEOUT, sent,
			     "%s did not answer within %s (request timeout): it is frozen, overloaded or unreachable",
			     c->label, t);
}

/* Message for a failed exchange; names the server, never the body. */
static int fail(const http_client *c, struct xfer *x, int cls, CURLcode res,
		const char *errbuf, long timeout_ms, http_error *err)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(res);

	switch (cls) {
	case HTTP_E_TLS:
		if (x->pin.mismatch)
			return http__set_err(err, cls, false,
					     "server certificate fingerprint mismatch for %s: expected %s, got %s",
					     c->label, c->pin, x->pin.actual);
		return http__set_err(err, cls, false,
				     "TLS error talking to %s: %s", c->label,
				     detail);
	case HTTP_E_TOO_BIG:
		return http__set_err(err, cls, true,
				     "answer from %s larger than %zu bytes",
				     c->label, c->max_response);
	case HTTP_E_CANCELLED:
		return http__set_err(err, cls, x->sent, "request cancelled");
	case HTTP_E_TIMEOUT:
		return http__timeout_err(c, timeout_ms, x->sent, err);
	case HTTP_E_NOT_SENT:
		return http__set_err(err, cls, false, "cannot connect to %s: %s",
				     c->label, detail);
	case HTTP_E_NO_ANSWER:
		return http__set_err(err, cls, true,
				     "connection to %s lost before a complete answer: %s",
				     c->label, detail);
	case HTTP_E_NOMEM:
		return http__set_err(err, cls, x->sent, "out of memory");
	case HTTP_E_INVALID:
		return http__set_err(err, cls, false, "cannot send to %s: %s",
				     c->label, detail);
	default:
		return http__set_err(err, cls, x->sent,
				     "invalid answer from %s: %s", c->label,
				     detail);
	}
}

static struct curl_slist *add_header(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (n)
		*l = n;
	return n;
}

int http__curl_exchange(http_client *c, const http_request *req,
			long timeout_ms, http_response *resp, http_error *err)
{
	struct xfer x;
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL, *conn = NULL, *nh;
	struct curl_blob blob;
	char *url = NULL, *line = NULL, *connect_to = NULL;
	const char *const *hp;
	CURL *h = NULL;
	CURLcode res;
	long status = 0;
	int rc;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.pin.pin = c->pin;
	errbuf[0] = '\0';
	if (c->https && c->tls_server_name) {
		/* Verify and send SNI for tls_server_name while connecting
		 * to the URL's host: rewrite the URL's host and pin the
		 * connection with CONNECT_TO. */
		if (asprintf(&url, "https://%s:%ld%s%s", c->tls_server_name,
			     c->url_port, c->url_rest, req->path) < 0 ||
		    asprintf(&connect_to, "%s:%ld:%s:%ld", c->tls_server_name,
			     c->url_port, c->url_host, c->url_port) < 0) {
			url = connect_to = NULL;
			goto nomem;
		}
		if (!add_header(&conn, connect_to))
			goto nomem;
	} else if (asprintf(&url, "%s%s", c->base_url, req->path) < 0) {
		url = NULL;
		goto nomem;
	}
	h = curl_easy_init();
	if (!h) {
		rc = http__set_err(err, HTTP_E_NOMEM, false,
				   "cannot create a curl handle: %s",
				   curl_easy_strerror(CURLE_FAILED_INIT));
		goto cleanup;
	}

#define SETOPT(opt, val)                                                     \
	do {                                                                 \
		res = curl_easy_setopt(h, opt, val);                         \
		if (res != CURLE_OK) {                                       \
			rc = http__set_err(err, HTTP_E_INVALID, false,       \
					   "curl option " #opt ": %s",       \
					   curl_easy_strerror(res));         \
			goto cleanup;                                        \
		}                                                            \
	} while (0)

	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_TIMEOUT_MS, timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms < timeout_ms ?
					   c->connect_timeout_ms : timeout_ms);
	SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(CURLOPT_USERAGENT, c->user_agent);
	SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(CURLOPT_WRITEDATA, &x);
	SETOPT(CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(CURLOPT_HEADERDATA, &x);
	SETOPT(CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	SETOPT(CURLOPT_XFERINFODATA, &x);
	SETOPT(CURLOPT_NOPROGRESS, 0L);
	SETOPT(CURLOPT_PREREQFUNCTION, prereq_cb);
	SETOPT(CURLOPT_PREREQDATA, &x);
	if (c->unix_socket)
		SETOPT(CURLOPT_UNIX_SOCKET_PATH, c->unix_socket);
	/* proxy wins; without it libcurl follows the proxy environment
	 * variables (https_proxy, no_proxy), as kubectl does. */
	if (c->proxy)
		SETOPT(CURLOPT_PROXY, c->proxy);
	if (conn)
		SETOPT(CURLOPT_CONNECT_TO, conn);

	if (c->https) {
		SETOPT(CURLOPT_SSL_SESSIONID_CACHE, 0L);
		if (c->insecure || c->pin[0]) {
			/* The pin replaces chain and name checks. */
			SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
			SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
		}
		if (c->pin[0] && !c->insecure) {
			SETOPT(CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
			SETOPT(CURLOPT_SSL_CTX_DATA, &x);
		} else if (c->ca_pem && !c->insecure) {
			blob.data = c->ca_pem;
			blob.len = c->ca_len;
			blob.flags = CURL_BLOB_NOCOPY;
			SETOPT(CURLOPT_CAINFO_BLOB, &blob);
		}
		if (c->cert_pem && c->key_pem) {
			blob.data = c->cert_pem;
			blob.len = strlen(c->cert_pem);
			blob.flags = CURL_BLOB_NOCOPY;
			SETOPT(CURLOPT_SSLCERT_BLOB, &blob);
			SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
			blob.data = c->key_pem;
			blob.len = strlen(c->key_pem);
			blob.flags = CURL_BLOB_NOCOPY;
			SETOPT(CURLOPT_SSLKEY_BLOB, &blob);
			SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
		}
	}

	if (strcmp(req->method, "GET") != 0)
		SETOPT(CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body) {
		SETOPT(CURLOPT_POSTFIELDSIZE, (long)strlen(req->body));
		SETOPT(CURLOPT_POSTFIELDS, req->body);
		if (asprintf(&line, "Content-Type: %s",
			     req->content_type ? req->content_type :
						 "application/json") < 0) {
			line = NULL;
			goto nomem;
		}
		if (!add_header(&hdrs, line))
			goto nomem;
	} else if (strcmp(req->method, "POST") == 0 ||
		   strcmp(req->method, "PUT") == 0 ||
		   strcmp(req->method, "PATCH") == 0) {
		SETOPT(CURLOPT_POSTFIELDSIZE, 0L);
		SETOPT(CURLOPT_POSTFIELDS, "");
	}
	if (!add_header(&hdrs, "Expect:"))
		goto nomem;
	if (conn) {
		/* tls_server_name changes only SNI and verification: the
		 * Host header stays the server URL's, as with kubectl. */
		free(line);
		if (asprintf(&line, "Host: %s:%ld", c->url_host,
			     c->url_port) < 0) {
			line = NULL;
			goto nomem;
		}
		if (!add_header(&hdrs, line))
			goto nomem;
	}
	if (req->if_match) {
		free(line);
		if (asprintf(&line, "If-Match: %s", req->if_match) < 0) {
			line = NULL;
			goto nomem;
		}
		if (!add_header(&hdrs, line))
			goto nomem;
	}
	for (hp = req->headers; hp && *hp; hp++)
		if (!add_header(&hdrs, *hp))
			goto nomem;
	SETOPT(CURLOPT_HTTPHEADER, hdrs);
#undef SETOPT

	res = curl_easy_perform(h);
	if (res == CURLE_OK && c->https && c->pin[0] && !c->insecure &&
	    !x.pin.checked) {
		/* Defensive: the pin callback must have run for this
		 * handshake. */
		rc = http__set_err(err, HTTP_E_TLS, false,
				   "server certificate of %s was not verified",
				   c->label);
		goto cleanup;
	}
	if (res != CURLE_OK) {
		rc = fail(c, &x,
			  http__curl_class(res, x.sent, x.too_big,
					   x.pin.mismatch, http__stopped(c)),
			  res, errbuf, timeout_ms, err);
		goto cleanup;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	resp->status = (int)status;
	resp->body = x.buf;
	resp->body_len = x.len;
	resp->etag = x.etag;
	resp->location = x.location;
	resp->retry_after = x.retry_after;
	x.buf = x.etag = x.location = x.retry_after = NULL;
	rc = HTTP_OK;
	goto cleanup;
nomem:
	rc = http__set_err(err, HTTP_E_NOMEM, false, "out of memory");
cleanup:
	/* Extra header lines may hold tokens: wipe before freeing. */
	for (nh = hdrs; nh; nh = nh->next)
		explicit_bzero(nh->data, strlen(nh->data));
	curl_slist_free_all(hdrs);
	curl_slist_free_all(conn);
	curl_easy_cleanup(h);
	free(line);
	free(connect_to);
	free(url);
	free(x.buf);
	free(x.etag);
	free(x.location);
	free(x.retry_after);
	return rc;
}
