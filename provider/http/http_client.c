/* http_client: settings, and http_send(), the retry loop (see http.h for the
 * path of a request and http_policy.h for the policy). */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "provider/http/http_internal.h"
#include "provider/log.h"
#include "provider/util/secret.h"
#include "provider/util/text.h"

#define DEFAULT_REQUEST_TIMEOUT_MS 30000L
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_BACKOFF_BASE_MS 250L
#define DEFAULT_BACKOFF_CAP_MS 4000L
#define DEFAULT_MAX_RETRY_AFTER_MS 30000L
#define DEFAULT_MAX_RESPONSE (64u * 1024 * 1024)
#define MAX_VERIFIES 3       /* verify-and-resend rounds per request */
#define SLEEP_STEP_MS 20     /* stop flag checked this often while waiting */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc = -1; /* CURLcode of curl_global_init */

static void global_init(void)
{
	global_rc = (int)curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- small helpers ---------------------------------------------------- */

long long http__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool http__stopped(const http_client *c)
{
	return c->stop && atomic_load(c->stop) != 0;
}

int http__set_err(http_error *err, int cls, bool sent, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return cls;
	err->cls = cls;
	err->sent = sent;
	err->fast_fail = false;
	err->outcome_unknown = false;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	util_utf8_trim(err->message, sizeof(err->message) - 1);
	return cls;
}

void http__fmt_ms(long ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%ld s", ms / 1000);
	else
		snprintf(buf, len, "%ld ms", ms);
}

/* Sleep up to ms, waking early (false) when the stop flag is raised. */
static bool sleep_ms(const http_client *c, long ms)
{
	struct timespec ts;
	long step;

	while (ms > 0) {
		if (http__stopped(c))
			return false;
		step = ms < SLEEP_STEP_MS ? ms : SLEEP_STEP_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return !http__stopped(c);
}

/* Per-thread xorshift64*, seeded from the clock and the thread: only
 * spreads retries apart, nothing depends on its quality. */
static uint64_t jitter_rand(void)
{
	static __thread uint64_t s;
	struct timespec ts;

	if (!s) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
		    (uint64_t)(uintptr_t)&s;
		if (!s)
			s = 0x9E3779B97F4A7C15ull;
	}
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return s * 0x2545F4914F6CDD1Dull;
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

void http_response_done(http_response *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->etag);
	free(r->location);
	free(r->retry_after);
	memset(r, 0, sizeof(*r));
}

http_answer http_classify_default(const http_response *resp)
{
	switch (resp->status) {
	case 429:
		return HTTP_ANSWER_REJECTED;
	case 502:
	case 503:
	case 504:
		return HTTP_ANSWER_TRANSIENT;
	default:
		return HTTP_ANSWER_FINAL;
	}
}

/* ---- client ----------------------------------------------------------- */

static char *dup_opt(const char *s, bool *ok)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

/* Split "https://host:port/rest" for CONNECT_TO (tls_server_name). */
static int split_url(http_client *c)
{
	const char *h = c->base_url + 8, *e, *colon, *rb;
	char *end;

	e = h + strcspn(h, "/");
	if (*h == '[') {
		rb = memchr(h, ']', (size_t)(e - h));
		if (!rb)
			return -1;
		colon = rb + 1 < e && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(e - h));
	}
	c->url_host = strndup(h, (size_t)((colon ? colon : e) - h));
	c->url_port = 443;
	if (colon) {
		c->url_port = strtol(colon + 1, &end, 10);
		if (end != e || c->url_port <= 0 || c->url_port > 65535)
			return -1;
	}
	c->url_rest = strdup(e);
	return c->url_host && c->url_rest && *c->url_host ? 0 : -1;
}

static bool url_ok(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

int http_client_new(const http_client_opts *o, http_client **out,
		    http_error *err)
{
	http_client *c;
	bool ok = true;
	size_t n;

	if (!o || !out || !o->base_url)
		return http__set_err(err, HTTP_E_INVALID, false,
				     "missing HTTP client options");
	if (strncmp(o->base_url, "https://", 8) != 0 &&
	    strncmp(o->base_url, "http://", 7) != 0)
		return http__set_err(err, HTTP_E_INVALID, false,
				     "server URL must start with https:// or http://");
	if (!url_ok(o->base_url))
		return http__set_err(err, HTTP_E_INVALID, false,
				     "invalid server URL");
	if (!o->client_cert_pem != !o->client_key_pem)
		return http__set_err(err, HTTP_E_INVALID, false,
				     "client certificate and key must be given together");
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK && !o->transport)
		return http__set_err(err, HTTP_E_INVALID, false,
				     "libcurl initialisation failed: %s",
				     curl_easy_strerror(CURLE_FAILED_INIT));

	c = calloc(1, sizeof(*c));
	if (!c)
		return http__set_err(err, HTTP_E_NOMEM, false, "out of memory");
	c->request_timeout_ms = o->request_timeout_ms > 0 ?
		o->request_timeout_ms : DEFAULT_REQUEST_TIMEOUT_MS;
	if (http_breaker_init(&c->breaker, o->breaker_cooldown_ms > 0 ?
			      o->breaker_cooldown_ms : c->request_timeout_ms)) {
		free(c);
		return http__set_err(err, HTTP_E_NOMEM, false,
				     "cannot create a mutex");
	}
	c->base_url = dup_opt(o->base_url, &ok);
	c->https = strncmp(o->base_url, "https://", 8) == 0;
	c->unix_socket = dup_opt(o->unix_socket, &ok);
	c->label = dup_opt(o->label ? o->label : o->base_url, &ok);
	c->log_name = dup_opt(o->log_name ? o->log_name : "HTTP", &ok);
	c->user_agent = dup_opt(o->user_agent ? o->user_agent :
				"terraform-provider-lxdcapi", &ok);
	if (o->ca_pem) {
		c->ca_len = o->ca_len ? o->ca_len : strlen(o->ca_pem);
		c->ca_pem = malloc(c->ca_len + 1);
		if (c->ca_pem) {
			memcpy(c->ca_pem, o->ca_pem, c->ca_len);
			c->ca_pem[c->ca_len] = '\0';
		} else {
			ok = false;
		}
	}
	c->cert_pem = dup_opt(o->client_cert_pem, &ok);
	c->key_pem = dup_opt(o->client_key_pem, &ok);
	c->tls_server_name = dup_opt(o->tls_server_name, &ok);
	c->proxy = dup_opt(o->proxy, &ok);
	c->insecure = o->insecure;
	c->connect_timeout_ms = o->connect_timeout_ms > 0 ?
		o->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	c->policy.budget_ms = o->retry_budget_ms ? o->retry_budget_ms :
						   c->request_timeout_ms;
	c->policy.backoff_base_ms = o->backoff_base_ms > 0 ?
		o->backoff_base_ms : DEFAULT_BACKOFF_BASE_MS;
	c->policy.backoff_cap_ms = o->backoff_cap_ms > 0 ?
		o->backoff_cap_ms : DEFAULT_BACKOFF_CAP_MS;
	c->policy.max_retry_after_ms = o->max_retry_after_ms > 0 ?
		o->max_retry_after_ms : DEFAULT_MAX_RETRY_AFTER_MS;
	c->max_response = o->max_response ? o->max_response :
					    DEFAULT_MAX_RESPONSE;
	c->stop = o->stop;
	c->classify = o->classify;
	c->classify_ud = o->classify_ud;
	c->transport = o->transport;
	c->transport_ud = o->transport_ud;
	if (!ok) {
		http_client_free(c);
		return http__set_err(err, HTTP_E_NOMEM, false, "out of memory");
	}
	n = strlen(c->base_url);
	while (n > 8 && c->base_url[n - 1] == '/')
		c->base_url[--n] = '\0';
	if (o->pin_sha256 && *o->pin_sha256 &&
	    http_fp_normalize(o->pin_sha256, c->pin) < 0) {
		http_client_free(c);
		return http__set_err(err, HTTP_E_INVALID, false,
				     "server fingerprint must be 64 hex digits (SHA-256)");
	}
	if (c->https && c->pin[0] && !c->insecure && !c->transport) {
		/* Pinning is implemented with OpenSSL callbacks. */
		const curl_version_info_data *vi =
			curl_version_info(CURLVERSION_NOW);

		if (!vi || !vi->ssl_version ||
		    !strstr(vi->ssl_version, "OpenSSL")) {
			http__set_err(err, HTTP_E_TLS, false,
				      "certificate pinning needs libcurl built with OpenSSL (have %s)",
				      vi && vi->ssl_version ? vi->ssl_version :
							      "none");
			http_client_free(c);
			return HTTP_E_TLS;
		}
	}
	if (c->https && c->tls_server_name && split_url(c) < 0) {
		http_client_free(c);
		return http__set_err(err, HTTP_E_INVALID, false,
				     "cannot split the server URL into host and port");
	}
	*out = c;
	return HTTP_OK;
}

void http_client_free(http_client *c)
{
	if (!c)
		return;
	free(c->base_url);
	free(c->unix_socket);
	free(c->label);
	free(c->log_name);
	free(c->user_agent);
	free(c->ca_pem);
	free(c->cert_pem);
	util_secret_free(c->key_pem);
	free(c->tls_server_name);
	free(c->proxy);
	free(c->url_host);
	free(c->url_rest);
	http_breaker_destroy(&c->breaker);
	free(c);
}

long http_client_request_timeout_ms(const http_client *c)
{
	return c ? c->request_timeout_ms : 0;
}

const char *http_client_label(const http_client *c)
{
	return c ? c->label : NULL;
}

bool http_client_answering(http_client *c)
{
	return c && http_breaker_get(&c->breaker) == HTTP_BREAKER_CLOSED;
}

void http_client_stats(http_client *c, http_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	out->exchanges = atomic_load(&c->exchanges);
	out->retries = atomic_load(&c->retries);
	out->verifies = atomic_load(&c->verifies);
	out->fast_fails = http_breaker_fast_fails(&c->breaker);
	out->trips = http_breaker_trips(&c->breaker);
}

/* ---- one exchange ----------------------------------------------------- */

/* Through the test transport or libcurl; logs method, path, outcome and
 * duration at debug level (never bodies or headers). */
static int exchange(http_client *c, const http_request *req, long timeout_ms,
		    http_response *resp, http_error *err)
{
	long long t0 = http__now_ms();
	int rc;

	memset(resp, 0, sizeof(*resp));
	atomic_fetch_add(&c->exchanges, 1);
	if (c->transport) {
		rc = c->transport(c->transport_ud, req, resp);
		if (rc != HTTP_OK) {
			http_response_done(resp);
			if (rc < HTTP_E_PROTOCOL || rc > HTTP_E_NOMEM)
				rc = HTTP_E_PROTOCOL;
			if (rc == HTTP_E_TIMEOUT)
				http__timeout_err(c, timeout_ms, true, err);
			else
				http__set_err(err, rc,
					      rc == HTTP_E_NO_ANSWER ||
					      rc == HTTP_E_TOO_BIG ||
					      rc == HTTP_E_PROTOCOL,
					      "%s: transport failed: %s",
					      c->label, http_class_str(rc));
		} else {
			if (resp->body && resp->body_len == 0)
				resp->body_len = strlen(resp->body);
			if (resp->body_len > c->max_response) {
				http_response_done(resp);
				rc = http__set_err(err, HTTP_E_TOO_BIG, true,
						   "answer from %s larger than %zu bytes",
						   c->label, c->max_response);
			}
		}
	} else {
		rc = http__curl_exchange(c, req, timeout_ms, resp, err);
	}
	if (rc == HTTP_OK)
		tfp_debug("%s %s %s: HTTP %d (%lld ms)", c->log_name,
			  req->method, req->path, resp->status,
			  http__now_ms() - t0);
	else
		tfp_debug("%s %s %s: %s (%lld ms)", c->log_name, req->method,
			  req->path, http_class_str(rc), http__now_ms() - t0);
	return rc;
}

static http_failure failure_of(int cls)
{
	switch (cls) {
	case HTTP_E_NOT_SENT: return HTTP_F_NOT_SENT;
	case HTTP_E_NO_ANSWER: return HTTP_F_NO_ANSWER;
	case HTTP_E_TIMEOUT: return HTTP_F_TIMEOUT;
	default: return HTTP_F_FINAL;
	}
}

static http_failure answer_failure(http_client *c, const http_request *req,
				   const http_response *resp)
{
	http_answer a;

	if (resp->status >= 200 && resp->status < 300)
		return HTTP_F_FINAL;
	a = c->classify ? c->classify(c->classify_ud, req, resp) :
			  http_classify_default(resp);
	switch (a) {
	case HTTP_ANSWER_REJECTED: return HTTP_F_REJECTED;
	case HTTP_ANSWER_TRANSIENT: return HTTP_F_TRANSIENT;
	default: return HTTP_F_FINAL;
	}
}

/* ---- the retry loop ---------------------------------------------------- */

int http_send(http_client *c, const http_request *req, http_response *resp,
	      http_error *err)
{
	http_method_kind kind;
	http_policy_cfg cfg;
	http_response r;
	http_error e;
	http_failure f;
	http_action act;
	http_verdict v;
	long long start;
	long timeout_ms, delay, ra;
	unsigned retry = 0, verifies = 0, attempts = 0;
	bool probe, unknown = false;
	char t[32], msg[HTTP_ERRMSG_MAX];
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	if (!c || !req || !req->method || !req->path || req->path[0] != '/' ||
	    !url_ok(req->method) || !url_ok(req->path) || !resp)
		return http__set_err(err, HTTP_E_INVALID, false,
				     "invalid HTTP request");
	if (req->if_match && strpbrk(req->if_match, "\r\n"))
		return http__set_err(err, HTTP_E_INVALID, false,
				     "invalid If-Match value");
	kind = http_method_kind_of(req->method);
	cfg = c->policy;
	if (req->budget_ms)
		cfg.budget_ms = req->budget_ms;
	timeout_ms = req->timeout_ms > 0 ? req->timeout_ms :
					   c->request_timeout_ms;
	start = http__now_ms();
	for (;;) {
		if (http__stopped(c)) {
			rc = http__set_err(&e, HTTP_E_CANCELLED, false,
					   "request cancelled");
			goto failed;
		}
		if (!http_breaker_admit(&c->breaker, http__now_ms(), &probe,
					&e)) {
			tfp_debug("%s %s %s: failing at once (server marked as not answering)",
				  c->log_name, req->method, req->path);
			rc = e.cls;
			goto failed;
		}
		if (attempts++)
			atomic_fetch_add(&c->retries, 1);
		http_response_done(&r);
		rc = exchange(c, req, timeout_ms, &r, &e);
		if (rc == HTTP_OK) {
			http_breaker_answered(&c->breaker);
			f = answer_failure(c, req, &r);
		} else {
			f = failure_of(rc);
			if (rc == HTTP_E_TIMEOUT) {
				/* Frozen: no one else should wait for it. */
				http_breaker_trip(&c->breaker, http__now_ms(),
						  rc, e.message);
			} else {
				http_breaker_release(&c->breaker, probe);
			}
			/* A request that may have been sent may have taken
			 * effect, whatever comes next. */
			if (e.sent && kind == HTTP_METHOD_UNSAFE)
				unknown = true;
		}
		if (f == HTTP_F_TRANSIENT && kind == HTTP_METHOD_UNSAFE)
			unknown = true;
		if (f == HTTP_F_FINAL && rc == HTTP_OK)
			goto answered;
		act = http_policy_action(kind, f);
		if (act == HTTP_ACT_VERIFY) {
			if (!req->verify || verifies >= MAX_VERIFIES)
				goto give_up;
			verifies++;
			atomic_fetch_add(&c->verifies, 1);
			v = req->verify(req->verify_ud);
			tfp_debug("%s %s %s: outcome unknown; verified: %s",
				  c->log_name, req->method, req->path,
				  v == HTTP_TOOK_EFFECT ? "took effect" :
				  v == HTTP_DID_NOT_TAKE_EFFECT ? "did not take effect" :
				  "cannot tell");
			if (v == HTTP_TOOK_EFFECT) {
				http_response_done(&r);
				r.verified = true;
				unknown = false;
				goto answered;
			}
			if (v != HTTP_DID_NOT_TAKE_EFFECT)
				goto give_up;
			/* Known not to have taken effect: send it again
			 * (inside the budget, like any retry). */
			unknown = false;
			act = HTTP_ACT_RETRY;
		}
		if (act != HTTP_ACT_RETRY)
			goto give_up;
		ra = rc == HTTP_OK ? http_retry_after_ms(r.retry_after,
							 time(NULL)) : -1;
		delay = http_policy_delay(&cfg, retry,
					  (long)(http__now_ms() - start), ra,
					  jitter_rand());
		if (delay < 0) {
			if (f == HTTP_F_NOT_SENT && cfg.budget_ms >= 0) {
				/* Refused for a whole budget: the server is
				 * down; later requests fail at once. */
				http__fmt_ms(cfg.budget_ms, t, sizeof(t));
				snprintf(msg, sizeof(msg), "%s", e.message);
				http__set_err(&e, rc, false,
					      "%.400s (retried for %s)", msg, t);
				http_breaker_trip(&c->breaker, http__now_ms(),
						  rc, e.message);
			}
			goto give_up;
		}
		tfp_debug("%s %s %s: retry %u in %ld ms", c->log_name,
			  req->method, req->path, retry + 1, delay);
		retry++;
		if (!sleep_ms(c, delay)) {
			http_response_done(&r);
			rc = http__set_err(&e, HTTP_E_CANCELLED, false,
					   "request cancelled");
			goto failed;
		}
	}

give_up:
	if (rc != HTTP_OK)
		goto failed;
	/* The last answer is the caller's to interpret (an LXD error
	 * envelope, say); it may leave the outcome unknown. */
answered:
	r.outcome_unknown = unknown;
	r.attempts = attempts;
	*resp = r;
	return HTTP_OK;
failed:
	http_response_done(&r);
	e.outcome_unknown = unknown;
	if (err)
		*err = e;
	return rc;
}
