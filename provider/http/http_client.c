/* http_client: options, set-up and counters (see http.h). Requests are in
 * http_send.c, exchanges in http_curl.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "provider/http/http_internal.h"
#include "provider/util/cleanup.h"
#include "provider/util/url.h"

#define DEFAULT_REQUEST_TIMEOUT_MS 30000L
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_BACKOFF_BASE_MS 250L
#define DEFAULT_BACKOFF_CAP_MS 4000L
#define DEFAULT_MAX_RETRY_AFTER_MS 30000L
#define DEFAULT_MAX_RESPONSE (64u * 1024 * 1024)

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc = -1; /* CURLcode of curl_global_init */

static void global_init(void)
{
	global_rc = (int)curl_global_init(CURL_GLOBAL_DEFAULT);
}

static bool printable(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

/* Split "scheme://host[:port]/rest" into host (IPv6 in brackets), port
 * (default 443 or 80) and rest ("" or "/..."). 0, or -1 when the host is
 * empty, a bracket is not closed or the port is not 1..65535. */
static int split_url(http_client *c)
{
	const char *h = c->base_url + (c->https ? 8 : 7), *e, *colon, *rb;
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
	c->url_port = c->https ? 443 : 80;
	if (colon) {
		c->url_port = strtol(colon + 1, &end, 10);
		if (end != e || c->url_port <= 0 || c->url_port > 65535)
			return -1;
	}
	c->url_rest = strdup(e);
	return c->url_host && c->url_rest && *c->url_host ? 0 : -1;
}

/* The checks that need no copy. */
static int check_opts(const http_client_opts *o, tfp_error *err)
{
	if (!o || !o->base_url)
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "missing HTTP client options");
	if (!util_url_is_http(o->base_url))
		return tfp_err_set(
			err, TFP_E_INVALID, 0,
			"server URL must start with https:// or http://");
	if (!printable(o->base_url))
		return tfp_err_set(err, TFP_E_INVALID, 0, "invalid server URL");
	if (!o->client_cert_pem != !o->client_key_pem)
		return tfp_err_set(
			err, TFP_E_INVALID, 0,
			"client certificate and key must be given together");
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK && !o->transport)
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "libcurl initialisation failed: %s",
				   curl_easy_strerror(CURLE_FAILED_INIT));
	return TFP_OK;
}

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

/* Copy the strings; false when out of memory (c is then half-filled, for
 * http_client_free). */
static bool copy_strings(http_client *c, const http_client_opts *o)
{
	bool ok = true;
	size_t n;

	c->base_url = dup_opt(o->base_url, &ok);
	c->unix_socket = dup_opt(o->unix_socket, &ok);
	c->label = dup_opt(o->label ? o->label : o->base_url, &ok);
	c->log_name = dup_opt(o->log_name ? o->log_name : "HTTP", &ok);
	c->user_agent = dup_opt(o->user_agent ? o->user_agent :
						"terraform-provider-lxdcapi",
				&ok);
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
	if (ok) {
		n = strlen(c->base_url);
		while (n > 8 && c->base_url[n - 1] == '/')
			c->base_url[--n] = '\0';
	}
	return ok;
}

static long or_default(long v, long dflt)
{
	return v > 0 ? v : dflt;
}

static void set_bounds(http_client *c, const http_client_opts *o)
{
	c->request_timeout_ms = or_default(o->request_timeout_ms,
					   DEFAULT_REQUEST_TIMEOUT_MS);
	c->connect_timeout_ms = or_default(o->connect_timeout_ms,
					   DEFAULT_CONNECT_TIMEOUT_MS);
	c->policy.budget_ms = o->retry_budget_ms ? o->retry_budget_ms :
						   c->request_timeout_ms;
	c->policy.max_retries = o->max_retries;
	c->policy.backoff_base_ms = or_default(o->backoff_base_ms,
					       DEFAULT_BACKOFF_BASE_MS);
	c->policy.backoff_cap_ms = or_default(o->backoff_cap_ms,
					      DEFAULT_BACKOFF_CAP_MS);
	c->policy.jitter = o->jitter;
	c->policy.max_retry_after_ms = or_default(o->max_retry_after_ms,
						  DEFAULT_MAX_RETRY_AFTER_MS);
	c->policy.retry_after_capped = o->retry_after_capped;
	c->max_response = o->max_response ? o->max_response :
					    DEFAULT_MAX_RESPONSE;
	c->insecure = o->insecure;
	c->stop = o->stop;
	c->classify = o->classify;
	c->classify_ud = o->classify_ud;
	c->transport = o->transport;
	c->transport_ud = o->transport_ud;
}

/* Pin and URL checks on the copied settings. */
static int check_copied(http_client *c, const http_client_opts *o,
			tfp_error *err)
{
	const curl_version_info_data *vi;

	if (o->pin_sha256 && *o->pin_sha256 &&
	    http_fp_normalize(o->pin_sha256, c->pin) < 0)
		return tfp_err_set(
			err, TFP_E_INVALID, 0,
			"server fingerprint must be 64 hex digits (SHA-256)");
	if (c->https && c->pin[0] && !c->insecure && !c->transport) {
		/* Pinning is implemented with OpenSSL callbacks. */
		vi = curl_version_info(CURLVERSION_NOW);
		if (!vi || !vi->ssl_version ||
		    !strstr(vi->ssl_version, "OpenSSL"))
			return tfp_err_set(
				err, TFP_E_TLS, 0,
				"certificate pinning needs libcurl built with OpenSSL (have %s)",
				vi && vi->ssl_version ? vi->ssl_version :
							"none");
	}
	if (split_url(c) < 0)
		return tfp_err_set(
			err, TFP_E_INVALID, 0,
			"cannot split the server URL into host and port");
	return TFP_OK;
}

DEFINE_CLEANUP_FUNC(http_client, http_client_free)

int http_client_new(const http_client_opts *o, http_client **out,
		    tfp_error *err)
{
	_cleanup_(http_client_freep) http_client *c = NULL;
	int rc = check_opts(o, err);

	if (rc)
		return rc;
	if (!out)
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "missing HTTP client options");
	c = calloc(1, sizeof(*c));
	if (!c)
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	c->https = strncmp(o->base_url, "https://", 8) == 0;
	set_bounds(c, o);
	if (http_breaker_init(&c->breaker, or_default(o->breaker_cooldown_ms,
						      c->request_timeout_ms))) {
		free(TAKE_PTR(c));
		return tfp_err_set(err, TFP_E_NOMEM, 0,
				   "cannot create a mutex");
	}
	if (!copy_strings(c, o))
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	rc = check_copied(c, o, err);
	if (rc)
		return rc;
	*out = TAKE_PTR(c);
	return TFP_OK;
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
