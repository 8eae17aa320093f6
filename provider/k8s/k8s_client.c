/* Kubernetes API client: connection, credentials, requests with retries,
 * and the typed operations (see k8s_client.h). Exec plugins are in
 * k8s_exec.c, discovery in k8s_discovery.c, errors in k8s_errors.c. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "../log.h"
#include "../util/file.h"
#include "../util/secret.h"
#include "../util/text.h"
#include "k8s_internal.h"

#define HEADER_VALUE_MAX 4096
#define TOKEN_FILE_TTL_S 60
#define EXEC_EXPIRY_MARGIN_S 10
#define LIST_PAGE 500
#define LIST_MAX_PAGES 100

const k8s_gvr k8s_gvr_secret = { "", "v1", "secrets", "Secret", true };
const k8s_gvr k8s_gvr_namespace = { "", "v1", "namespaces", "Namespace", false };

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc = -1;

static void global_init(void)
{
	global_rc = (int)curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- small helpers --------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool k8s_stopped(const k8s_client *c)
{
	return c->stop && atomic_load(c->stop) != 0;
}

bool k8s_sleep(k8s_client *c, long ms)
{
	long long end = now_ms() + ms;
	long long left;
	struct timespec ts;

	while ((left = end - now_ms()) > 0) {
		if (k8s_stopped(c))
			return false;
		if (left > 50)
			left = 50;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
	}
	return !k8s_stopped(c);
}

static char *xdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *xdup_n(const char *s, size_t n)
{
	char *d;

	if (!s)
		return NULL;
	d = malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Percent-encode for a path segment or query value (malloc'd). */
static char *escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i, o = 0;
	char *r = malloc(n * 3 + 1);

	if (!r)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			r[o++] = (char)ch;
		} else {
			r[o++] = '%';
			r[o++] = hex[ch >> 4];
			r[o++] = hex[ch & 15];
		}
	}
	r[o] = '\0';
	return r;
}

/* ---- client ---------------------------------------------------------- */

/* Split "https://host:port/rest" into host (with IPv6 brackets), port and
 * rest. */
static int split_url(k8s_client *c)
{
	const char *p = c->base_url, *h, *e, *colon;
	bool https = strncmp(p, "https://", 8) == 0;

	h = p + (https ? 8 : 7);
	e = h + strcspn(h, "/");
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(e - h));

		if (!rb)
			return -1;
		colon = rb + 1 < e && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(e - h));
	}
	c->url_host = xdup_n(h, (size_t)((colon ? colon : e) - h));
	c->url_port = https ? 443 : 80;
	if (colon) {
		char *end;

		c->url_port = strtol(colon + 1, &end, 10);
		if (end != e || c->url_port <= 0 || c->url_port > 65535)
			return -1;
	}
	c->url_rest = xdup(e);
	return c->url_host && c->url_rest && *c->url_host ? 0 : -1;
}

int k8s_client_new(const k8s_client_opts *o, k8s_client **out, k8s_error *err)
{
	const kubeconfig *kc = o->kc;
	k8s_client *c;
	size_t i;

	if (err)
		memset(err, 0, sizeof(*err));
	pthread_once(&global_once, global_init);
	if (global_rc != 0)
		return k8s_set_err(err, K8S_E_NOMEM, 0, "libcurl initialisation failed");
	if (!kc || !kc->server)
		return k8s_set_err(err, K8S_E_CONFIG, 0, "no kubeconfig context given");
	if (strncmp(kc->server, "https://", 8) != 0 &&
	    strncmp(kc->server, "http://", 7) != 0)
		return k8s_set_err(err, K8S_E_CONFIG, 0,
				   "%s, context \"%s\": server \"%.200s\" is not an "
				   "https:// URL", kc->source, kc->context, kc->server);
	if (!kc->client_cert_pem != !kc->client_key_pem)
		return k8s_set_err(err, K8S_E_CONFIG, 0,
				   "%s, context \"%s\": a client certificate needs its key",
				   kc->source, kc->context);
	c = calloc(1, sizeof(*c));
	if (!c)
		return k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
	pthread_mutex_init(&c->cred_lock, NULL);
	pthread_mutex_init(&c->exec_lock, NULL);
	pthread_mutex_init(&c->disc_lock, NULL);
	pthread_mutex_init(&c->dead_lock, NULL);
	c->base_url = xdup(kc->server);
	c->tls_server_name = xdup(kc->tls_server_name);
	c->proxy_url = xdup(kc->proxy_url);
	c->ca_pem = kc->ca_pem ? xdup_n(kc->ca_pem, kc->ca_pem_len) : NULL;
	c->ca_len = kc->ca_pem_len;
	c->insecure = kc->insecure_skip_tls_verify;
	c->cert_pem = kc->client_cert_pem
			      ? xdup_n(kc->client_cert_pem, kc->client_cert_pem_len)
			      : NULL;
	c->key_pem = kc->client_key_pem
			     ? xdup_n(kc->client_key_pem, kc->client_key_pem_len)
			     : NULL;
	c->token = xdup(kc->token);
	c->token_file = xdup(kc->token_file);
	c->exec = kc->exec ? kc_exec_dup(kc->exec) : NULL;
	c->source = xdup(kc->source ? kc->source : "kubeconfig");
	c->context = xdup(kc->context ? kc->context : "");
	c->user_name = xdup(kc->user_name ? kc->user_name : "");
	c->namespace = xdup(o->namespace && *o->namespace ? o->namespace
			    : kc->namespace && *kc->namespace ? kc->namespace
							      : "default");
	c->user_agent = xdup(o->user_agent ? o->user_agent : "terraform-provider-lxdcapi");
	c->field_manager = xdup(o->field_manager ? o->field_manager : "terraform-lxdcapi");
	c->timeout_ms = o->request_timeout_ms > 0 ? o->request_timeout_ms : 30000;
	c->stop = o->stop;
	c->transport = o->transport;
	c->transport_ud = o->transport_ud;
	c->gv_lists = json_object();
	c->strings = json_array();
	if (!c->base_url || (kc->tls_server_name && !c->tls_server_name) ||
	    (kc->proxy_url && !c->proxy_url) ||
	    (kc->ca_pem && !c->ca_pem) || (kc->client_cert_pem && !c->cert_pem) ||
	    (kc->client_key_pem && !c->key_pem) || (kc->token && !c->token) ||
	    (kc->token_file && !c->token_file) ||
	    (kc->exec && !c->exec) ||
	    !c->source || !c->context || !c->user_name || !c->namespace ||
	    !c->user_agent || !c->field_manager || !c->gv_lists || !c->strings) {
		k8s_client_free(c);
		return k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
	}
	if (split_url(c) != 0) {
		k8s_set_err(err, K8S_E_CONFIG, 0,
			    "%s, context \"%s\": cannot parse the server URL \"%.200s\"",
			    c->source, c->context, c->base_url);
		k8s_client_free(c);
		return K8S_E_CONFIG;
	}
	if (kc->nwarnings) {
		c->warnings = calloc(kc->nwarnings, sizeof(char *));
		for (i = 0; c->warnings && i < kc->nwarnings; i++)
			if ((c->warnings[c->nwarnings] = xdup(kc->warnings[i])))
				c->nwarnings++;
	}
	*out = c;
	return K8S_OK;
}

void k8s_client_free(k8s_client *c)
{
	size_t i;

	if (!c)
		return;
	free(c->base_url);
	free(c->url_host);
	free(c->url_rest);
	free(c->tls_server_name);
	free(c->proxy_url);
	free(c->ca_pem);
	free(c->cert_pem);
	util_secret_free(c->key_pem);
	util_secret_free(c->token);
	free(c->token_file);
	kc_exec_free(c->exec);
	free(c->source);
	free(c->context);
	free(c->user_name);
	free(c->namespace);
	free(c->user_agent);
	free(c->field_manager);
	for (i = 0; i < c->nwarnings; i++)
		free(c->warnings[i]);
	free(c->warnings);
	k8s_exec_cred_done(&c->exec_cred);
	util_secret_free(c->file_token);
	json_decref(c->apis);
	json_decref(c->gv_lists);
	json_decref(c->strings);
	pthread_mutex_destroy(&c->cred_lock);
	pthread_mutex_destroy(&c->exec_lock);
	pthread_mutex_destroy(&c->disc_lock);
	pthread_mutex_destroy(&c->dead_lock);
	free(c);
}

const char *k8s_client_namespace(const k8s_client *c)
{
	return c->namespace;
}

const char *k8s_client_server(const k8s_client *c)
{
	return c->base_url;
}

size_t k8s_client_nwarnings(const k8s_client *c)
{
	return c->nwarnings;
}

const char *k8s_client_warning(const k8s_client *c, size_t i)
{
	return i < c->nwarnings ? c->warnings[i] : NULL;
}

/* ---- credentials ----------------------------------------------------- */

/* What one request authenticates with; copies, wiped by creds_done. */
typedef struct creds {
	char *authorization; /* "Bearer ..." or NULL */
	char *cert_pem;
	char *key_pem;
	unsigned generation; /* exec generation these came from */
	bool refreshable;    /* a 401 may be cured by re-reading */
} creds;

static void creds_done(creds *cr)
{
	util_secret_free(cr->authorization);
	free(cr->cert_pem);
	util_secret_free(cr->key_pem);
	memset(cr, 0, sizeof(*cr));
}

/* A token may only hold visible ASCII (it goes into an HTTP header). */
static bool token_ok(const char *tok)
{
	const unsigned char *p;

	if (!*tok)
		return false;
	for (p = (const unsigned char *)tok; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

static char *bearer(const char *tok)
{
	char *s;

	if (asprintf(&s, "Bearer %s", tok) < 0)
		return NULL;
	return s;
}

static int bad_token(k8s_client *c, const char *where, k8s_error *err)
{
	return k8s_set_err(err, K8S_E_CREDENTIALS, 0,
			   "the bearer token from %s of user \"%s\" (%s) is empty "
			   "or contains spaces or control characters",
			   where, c->user_name, c->source);
}

static bool exec_cred_fresh(const k8s_client *c)
{
	return c->have_exec_cred &&
	       (c->exec_cred.expires == 0 ||
		time(NULL) + EXEC_EXPIRY_MARGIN_S < c->exec_cred.expires);
}

/* Fill cr from the exec cache, running the plugin when the cache is empty,
 * expired, or (refresh) still the generation that just got a 401. */
static int exec_creds(k8s_client *c, bool refresh, unsigned stale_gen,
		      creds *cr, k8s_error *err)
{
	k8s_exec_cred fresh;
	int rc;

	pthread_mutex_lock(&c->exec_lock);
	pthread_mutex_lock(&c->cred_lock);
	if (!exec_cred_fresh(c) || (refresh && c->exec_generation == stale_gen)) {
		pthread_mutex_unlock(&c->cred_lock);
		rc = k8s_exec_run(c, &fresh, err);
		if (rc != K8S_OK) {
			pthread_mutex_unlock(&c->exec_lock);
			return rc;
		}
		pthread_mutex_lock(&c->cred_lock);
		k8s_exec_cred_done(&c->exec_cred);
		c->exec_cred = fresh;
		c->have_exec_cred = true;
		c->exec_generation++;
	}
	cr->generation = c->exec_generation;
	cr->refreshable = true;
	if (c->exec_cred.token && !token_ok(c->exec_cred.token)) {
		rc = bad_token(c, "the exec plugin", err);
		pthread_mutex_unlock(&c->cred_lock);
		pthread_mutex_unlock(&c->exec_lock);
		return rc;
	}
	if (c->exec_cred.token)
		cr->authorization = bearer(c->exec_cred.token);
	if (c->exec_cred.cert_pem) {
		cr->cert_pem = xdup(c->exec_cred.cert_pem);
		cr->key_pem = xdup(c->exec_cred.key_pem);
	}
	rc = (c->exec_cred.token && !cr->authorization) ||
	     (c->exec_cred.cert_pem && (!cr->cert_pem || !cr->key_pem))
		     ? k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory")
		     : K8S_OK;
	pthread_mutex_unlock(&c->cred_lock);
	pthread_mutex_unlock(&c->exec_lock);
	return rc;
}

static int file_creds(k8s_client *c, bool refresh, creds *cr, k8s_error *err)
{
	char *buf;
	size_t len;
	int rc = K8S_OK;

	pthread_mutex_lock(&c->cred_lock);
	if (!c->file_token || refresh ||
	    time(NULL) - c->file_token_read >= TOKEN_FILE_TTL_S) {
		if (util_read_file(c->token_file, KC_MAX_FILE, &buf, &len) != 0) {
			rc = k8s_set_err(err, K8S_E_CREDENTIALS, 0,
					 "cannot read tokenFile \"%s\" of user \"%s\" "
					 "(%s): %s", c->token_file, c->user_name,
					 c->source, strerror(errno));
			goto out;
		}
		while (len && isspace((unsigned char)buf[len - 1]))
			buf[--len] = '\0';
		if (!token_ok(buf)) {
			util_secret_free_n(buf, len);
			rc = bad_token(c, "tokenFile", err);
			goto out;
		}
		util_secret_free(c->file_token);
		c->file_token = buf;
		c->file_token_read = time(NULL);
	}
	cr->authorization = bearer(c->file_token);
	cr->refreshable = true;
	if (!cr->authorization)
		rc = k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
out:
	pthread_mutex_unlock(&c->cred_lock);
	return rc;
}

static int get_creds(k8s_client *c, bool refresh, unsigned stale_gen,
		     creds *cr, k8s_error *err)
{
	int rc = K8S_OK;

	memset(cr, 0, sizeof(*cr));
	if (c->exec)
		rc = exec_creds(c, refresh, stale_gen, cr, err);
	else if (c->token_file)
		rc = file_creds(c, refresh, cr, err);
	else if (c->token && !token_ok(c->token))
		rc = bad_token(c, "the kubeconfig", err);
	else if (c->token && !(cr->authorization = bearer(c->token)))
		rc = k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
	if (rc == K8S_OK && !cr->cert_pem && c->cert_pem) {
		cr->cert_pem = xdup(c->cert_pem);
		cr->key_pem = xdup(c->key_pem);
		if (!cr->cert_pem || !cr->key_pem)
			rc = k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
	}
	if (rc != K8S_OK)
		creds_done(cr);
	return rc;
}

/* ---- one HTTP exchange over curl ------------------------------------- */

struct xfer {
	k8s_client *c;
	char *buf;
	size_t len, cap;
	bool too_big;
	char *retry_after;
};

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb, ncap;
	char *nb;

	if (n > K8S_MAX_RESPONSE || x->len + n > K8S_MAX_RESPONSE) {
		x->too_big = true;
		return 0;
	}
	if (x->len + n + 1 > x->cap) {
		ncap = x->cap ? x->cap : 4096;
		while (ncap < x->len + n + 1)
			ncap *= 2;
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

static char *header_value(const char *v, size_t n)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	if (n == 0 || n > HEADER_VALUE_MAX)
		return NULL;
	return xdup_n(v, n);
}

static size_t header_cb(char *data, size_t size, size_t nitems, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nitems;
	char *v;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		free(x->retry_after);
		x->retry_after = NULL;
	} else if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		free(x->retry_after);
		x->retry_after = header_value(data + 12, n - 12);
	} else if (n > 8 && strncasecmp(data, "Warning:", 8) == 0) {
		v = header_value(data + 8, n - 8);
		if (v)
			tfp_warn("Kubernetes API warning: %.512s", v);
		free(v);
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
	return k8s_stopped(x->c) ? 1 : 0;
}

/* Map a libcurl failure. *transient: a retry may cure it (the server
 * refused or dropped the connection, or closed it without a reply, e.g.
 * while restarting). */
static int curl_code(k8s_client *c, CURLcode res, const struct xfer *x,
		     const char *errbuf, bool *transient, k8s_error *err)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(res);

	*transient = false;
	if (x->too_big)
		return k8s_set_err(err, K8S_E_PROTOCOL, 0,
				   "reply from %s larger than %u bytes", c->base_url,
				   (unsigned)K8S_MAX_RESPONSE);
	switch (res) {
	case CURLE_ABORTED_BY_CALLBACK:
		return k8s_set_err(err, K8S_E_CANCELLED, 0, K8S_CANCELLED_MSG);
	case CURLE_OPERATION_TIMEDOUT:
		return k8s_set_err(err, K8S_E_TIMEOUT, 0,
				   "request to %s timed out: %s", c->base_url, detail);
	case CURLE_OUT_OF_MEMORY:
		return k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
	case CURLE_SSL_CONNECT_ERROR:
		/* A connection reset or closed during the handshake (a
		 * server going down) is not a TLS problem. */
		if (strcasestr(detail, "reset") || strcasestr(detail, "SSL_ERROR_SYSCALL") ||
		    strcasestr(detail, "unexpected eof")) {
			*transient = true;
			return k8s_set_err(err, K8S_E_UNAVAILABLE, 0,
					   "cannot reach the management cluster at %s "
					   "(%s, context \"%s\"): %s", c->base_url,
					   c->source, c->context, detail);
		}
		/* fall through */
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_USE_SSL_FAILED:
		return k8s_set_err(err, K8S_E_TLS, 0,
				   "TLS error talking to %s (%s, context \"%s\"): %s",
				   c->base_url, c->source, c->context, detail);
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		*transient = true;
		/* fall through */
	default:
		return k8s_set_err(err, K8S_E_UNAVAILABLE, 0,
				   "cannot reach the management cluster at %s (%s, "
				   "context \"%s\"): %s",
				   c->base_url, c->source, c->context, detail);
	}
}

static int http_curl(k8s_client *c, const char *method, const char *path,
		     const char *ctype, const char *body, const creds *cr,
		     k8s_http_reply *reply, bool *transient, k8s_error *err)
{
	struct xfer x;
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL, *conn = NULL, *nh;
	struct curl_blob blob;
	char *url = NULL, *hdr = NULL, *auth = NULL, *connect_to = NULL;
	CURL *h = NULL;
	CURLcode res;
	long status = 0;
	int rc;
	bool https = strncmp(c->base_url, "https://", 8) == 0;

	memset(&x, 0, sizeof(x));
	x.c = c;
	errbuf[0] = '\0';
	if (https && c->tls_server_name) {
		/* Verify and send SNI for tls-server-name while connecting
		 * to the URL's host: rewrite the URL's host and pin the
		 * connection with CONNECT_TO. */
		if (asprintf(&url, "https://%s:%ld%s%s", c->tls_server_name,
			     c->url_port, c->url_rest, path) < 0 ||
		    asprintf(&connect_to, "%s:%ld:%s:%ld", c->tls_server_name,
			     c->url_port, c->url_host, c->url_port) < 0) {
			url = connect_to = NULL;
			goto nomem;
		}
		conn = curl_slist_append(NULL, connect_to);
		if (!conn)
			goto nomem;
	} else if (asprintf(&url, "%s%s", c->base_url, path) < 0) {
		url = NULL;
		goto nomem;
	}
	h = curl_easy_init();
	if (!h)
		goto nomem;

#define SETOPT(opt, val)                                                     \
	do {                                                                 \
		res = curl_easy_setopt(h, opt, val);                         \
		if (res != CURLE_OK) {                                       \
			rc = k8s_set_err(err, K8S_E_CONFIG, 0,               \
					 "curl option " #opt ": %s",         \
					 curl_easy_strerror(res));           \
			goto cleanup;                                        \
		}                                                            \
	} while (0)

	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms < 10000 ? c->timeout_ms : 10000L);
	SETOPT(CURLOPT_USERAGENT, c->user_agent);
	SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(CURLOPT_WRITEDATA, &x);
	SETOPT(CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(CURLOPT_HEADERDATA, &x);
	SETOPT(CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	SETOPT(CURLOPT_XFERINFODATA, &x);
	SETOPT(CURLOPT_NOPROGRESS, 0L);
	/* proxy-url wins; without it libcurl follows the proxy environment
	 * variables (https_proxy, no_proxy), as kubectl does. */
	if (c->proxy_url)
		SETOPT(CURLOPT_PROXY, c->proxy_url);
	if (conn)
		SETOPT(CURLOPT_CONNECT_TO, conn);
	if (https) {
		if (c->insecure) {
			SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
			SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
		} else if (c->ca_pem) {
			blob.data = c->ca_pem;
			blob.len = c->ca_len;
			blob.flags = CURL_BLOB_NOCOPY;
			SETOPT(CURLOPT_CAINFO_BLOB, &blob);
		}
		if (cr->cert_pem && cr->key_pem) {
			blob.data = cr->cert_pem;
			blob.len = strlen(cr->cert_pem);
			blob.flags = CURL_BLOB_COPY;
			SETOPT(CURLOPT_SSLCERT_BLOB, &blob);
			SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
			blob.data = cr->key_pem;
			blob.len = strlen(cr->key_pem);
			blob.flags = CURL_BLOB_COPY;
			SETOPT(CURLOPT_SSLKEY_BLOB, &blob);
			SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
		}
	}
	if (strcmp(method, "GET") != 0)
		SETOPT(CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		SETOPT(CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		SETOPT(CURLOPT_POSTFIELDS, body);
		if (asprintf(&hdr, "Content-Type: %s", ctype) < 0) {
			hdr = NULL;
			goto nomem;
		}
		if (!(nh = curl_slist_append(hdrs, hdr)))
			goto nomem;
		hdrs = nh;
	}
	if (!(nh = curl_slist_append(hdrs, "Accept: application/json")))
		goto nomem;
	hdrs = nh;
	if (conn) {
		/* tls-server-name changes only SNI and verification: the Host
		 * header stays the server URL's, as with kubectl. */
		free(hdr);
		if (asprintf(&hdr, "Host: %s:%ld", c->url_host, c->url_port) < 0) {
			hdr = NULL;
			goto nomem;
		}
		if (!(nh = curl_slist_append(hdrs, hdr)))
			goto nomem;
		hdrs = nh;
	}
	if (!(nh = curl_slist_append(hdrs, "Expect:")))
		goto nomem;
	hdrs = nh;
	if (cr->authorization) {
		if (asprintf(&auth, "Authorization: %s", cr->authorization) < 0) {
			auth = NULL;
			goto nomem;
		}
		if (!(nh = curl_slist_append(hdrs, auth)))
			goto nomem;
		hdrs = nh;
	}
	SETOPT(CURLOPT_HTTPHEADER, hdrs);
#undef SETOPT

	res = curl_easy_perform(h);
	if (res != CURLE_OK) {
		rc = curl_code(c, res, &x, errbuf, transient, err);
		goto cleanup;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	reply->status = (int)status;
	reply->body = x.buf;
	reply->body_len = x.len;
	reply->retry_after = x.retry_after;
	x.buf = x.retry_after = NULL;
	rc = K8S_OK;
	goto cleanup;
nomem:
	rc = k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
cleanup:
	/* The header list holds the token: wipe before freeing. */
	for (nh = hdrs; nh; nh = nh->next)
		explicit_bzero(nh->data, strlen(nh->data));
	curl_slist_free_all(hdrs);
	curl_slist_free_all(conn);
	curl_easy_cleanup(h);
	free(hdr);
	util_secret_free(auth);
	free(connect_to);
	free(url);
	free(x.buf);
	free(x.retry_after);
	return rc;
}

static void reply_done(k8s_http_reply *r)
{
	free(r->body);
	free(r->retry_after);
	memset(r, 0, sizeof(*r));
}

/* The server stopped answering: remember the error, so every later
 * request fails at once with it (first one wins). */
static void mark_dead(k8s_client *c, const char *method, const char *path,
		      const k8s_error *err)
{
	pthread_mutex_lock(&c->dead_lock);
	if (!atomic_load(&c->dead)) {
		snprintf(c->dead_msg, sizeof(c->dead_msg),
			 "the management cluster at %.200s stopped answering "
			 "(%.16s %.200s: %.300s); the provider gives up on it "
			 "for the rest of this "
			 "run, later requests fail at once. Check that the API "
			 "server is up and reachable, then run Terraform again.",
			 c->base_url, method, path, err ? err->message : "timed out");
		util_utf8_trim(c->dead_msg, sizeof(c->dead_msg) - 1);
		atomic_store(&c->dead, 1);
	}
	pthread_mutex_unlock(&c->dead_lock);
}

/* One exchange via curl or the test transport. Logs method, path, status
 * and duration at debug level (never bodies or headers). *transient: see
 * curl_code; a test transport's K8S_E_UNAVAILABLE counts as transient. */
static int http_do(k8s_client *c, const char *method, const char *path,
		   const char *ctype, const char *body, const creds *cr,
		   k8s_http_reply *reply, bool *transient, k8s_error *err)
{
	long long t0 = now_ms();
	int rc;

	memset(reply, 0, sizeof(*reply));
	*transient = false;
	if (k8s_stopped(c))
		return k8s_set_err(err, K8S_E_CANCELLED, 0, K8S_CANCELLED_MSG);
	if (atomic_load(&c->dead)) {
		pthread_mutex_lock(&c->dead_lock);
		rc = k8s_set_err(err, K8S_E_TIMEOUT, 0, "%s", c->dead_msg);
		pthread_mutex_unlock(&c->dead_lock);
		tfp_debug("k8s %s %s: not sent, the server stopped answering", method, path);
		return rc;
	}
	if (c->transport) {
		rc = c->transport(c->transport_ud, method, path, body ? ctype : NULL,
				  body, cr->authorization, reply);
		if (rc != K8S_OK) {
			reply_done(reply);
			if (rc < K8S_E_TLS || rc > K8S_E_NOMEM)
				rc = K8S_E_UNAVAILABLE;
			*transient = rc == K8S_E_UNAVAILABLE;
			rc = rc == K8S_E_TIMEOUT
				? k8s_set_err(err, rc, 0, "request to %s timed out",
					      c->base_url)
				: k8s_set_err(err, rc, 0, "cannot reach the management "
					      "cluster at %s: %s", c->base_url,
					      k8s_code_str(rc));
		} else if (reply->body && reply->body_len == 0) {
			reply->body_len = strlen(reply->body);
		}
		if (rc == K8S_OK && reply->body_len > K8S_MAX_RESPONSE) {
			reply_done(reply);
			rc = k8s_set_err(err, K8S_E_PROTOCOL, 0,
					 "reply from %s larger than %u bytes",
					 c->base_url, (unsigned)K8S_MAX_RESPONSE);
		}
	} else {
		rc = http_curl(c, method, path, ctype, body, cr, reply, transient, err);
	}
	if (rc == K8S_E_TIMEOUT) {
		mark_dead(c, method, path, err);
		if (err) {
			pthread_mutex_lock(&c->dead_lock);
			k8s_set_err(err, K8S_E_TIMEOUT, 0, "%s", c->dead_msg);
			pthread_mutex_unlock(&c->dead_lock);
		}
	}
	if (rc == K8S_OK)
		tfp_debug("k8s %s %s: HTTP %d (%lld ms)", method, path, reply->status,
			  now_ms() - t0);
	else
		tfp_debug("k8s %s %s: failed, %s (%lld ms): %s", method, path,
			  k8s_code_str(rc), now_ms() - t0, err ? err->message : "");
	return rc;
}

/* ---- requests with retries ------------------------------------------- */

/* Seconds from a Retry-After header (delta-seconds only; an HTTP date or
 * garbage gives -1). */
static long retry_after_s(const char *v)
{
	char *end;
	long s;

	if (!v)
		return -1;
	errno = 0;
	s = strtol(v, &end, 10);
	if (errno || end == v || *end || s < 0)
		return -1;
	return s;
}

long k8s_retry_delay(const k8s_retry_in *in)
{
	long long d;

	if (in->attempt >= K8S_MAX_RETRIES)
		return -1;
	if (in->rc != K8S_OK) {
		if (!in->transient)
			return -1;
	} else if (!(in->status == 429 || in->status == 502 || in->status == 503 ||
		     in->status == 504 || (in->status == 500 && in->webhook_500))) {
		return -1;
	}
	if (in->rc == K8S_OK && in->retry_after_s >= 0) {
		d = (long long)(in->retry_after_s > K8S_MAX_RETRY_AFTER_S
					? K8S_MAX_RETRY_AFTER_S : in->retry_after_s) * 1000;
	} else {
		d = K8S_RETRY_BASE_MS;
		for (int i = 0; i < in->attempt && d < K8S_RETRY_CAP_MS; i++)
			d *= 2;
		if (d > K8S_RETRY_CAP_MS)
			d = K8S_RETRY_CAP_MS;
		/* Equal jitter: keep half, randomise the other half. */
		d = d / 2 + (long long)(in->random % (unsigned)(d / 2 + 1));
	}
	if (d > in->left_ms)
		return -1;
	return (long)d;
}

/* The calling thread's retry deadline (monotonic ms; 0: none set). */
static _Thread_local long long tl_retry_deadline;
static _Thread_local unsigned tl_rand;

void k8s_retry_budget_set(long seconds)
{
	tl_retry_deadline = seconds > 0 ? now_ms() + (long long)seconds * 1000 : 0;
}

/* xorshift32, seeded per thread: only for spreading retries. */
static unsigned jitter_bits(void)
{
	unsigned x = tl_rand;

	if (!x) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (unsigned)ts.tv_nsec ^ (unsigned)(uintptr_t)&tl_rand ^ 0x9e3779b9u;
		if (!x)
			x = 1;
	}
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return tl_rand = x;
}

static void set_request(k8s_error *err, const char *method, const char *path)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	snprintf(err->request, sizeof(err->request), "%s %s", method, path);
	util_utf8_trim(err->request, sizeof(err->request) - 1);
}

/* What a create (POST) needs to check, after an unknown outcome, whether
 * its object exists: the object's path and the create id it carries. */
struct create_check {
	char *path;            /* GET path of the object, malloc'd */
	const char *create_id; /* K8S_ANN_CREATE_ID value sent, or NULL */
};

static int do_text(k8s_client *c, const char *method, const char *path,
		   const char *ctype, const char *body, json_t **out,
		   k8s_error *err, const struct create_check *cc);

/* After a POST whose outcome is unknown: K8S_OK with *out = the object
 * when it exists and is ours (same create id), K8S_E_NOTFOUND when it does
 * not exist (the POST may be retried), K8S_E_EXISTS when something else
 * holds the name, or the GET's error. */
static int create_landed(k8s_client *c, const struct create_check *cc,
			 json_t **out, k8s_error *err)
{
	json_t *live = NULL;
	const char *id;
	int rc = do_text(c, "GET", cc->path, NULL, NULL, &live, err, NULL);

	if (rc != K8S_OK)
		return rc;
	id = json_string_value(json_object_get(json_object_get(
		json_object_get(live, "metadata"), "annotations"), K8S_ANN_CREATE_ID));
	if (cc->create_id && id && strcmp(id, cc->create_id) == 0) {
		tfp_debug("k8s POST: the earlier attempt created %s", cc->path);
		if (out)
			*out = live;
		else
			json_decref(live);
		return K8S_OK;
	}
	json_decref(live);
	return k8s_set_err(err, K8S_E_EXISTS, 409,
			   "%s already exists and was not created by this request "
			   "(a retried create found it after an unanswered first "
			   "attempt)", cc->path);
}

/* The core: body text in, parsed JSON out (JSON null for an empty 2xx).
 * cc: this is a create (see create_landed); NULL otherwise. */
static int do_text(k8s_client *c, const char *method, const char *path,
		   const char *ctype, const char *body, json_t **out,
		   k8s_error *err, const struct create_check *cc)
{
	k8s_http_reply r;
	creds cr;
	json_error_t jerr;
	json_t *root;
	bool refresh = false, refreshed = false, transient;
	unsigned gen = 0;
	int attempt = 0, rc;
	long long t0 = now_ms(), left;
	long delay;
	k8s_retry_in in;

	set_request(err, method, path);
	for (;;) {
		rc = get_creds(c, refresh, gen, &cr, err);
		if (rc != K8S_OK)
			return rc;
		gen = cr.generation;
		rc = http_do(c, method, path, ctype ? ctype : "application/json",
			     body, &cr, &r, &transient, err);
		if (rc == K8S_OK && r.status == 401 && cr.refreshable && !refreshed) {
			tfp_debug("k8s: 401, refreshing credentials once");
			creds_done(&cr);
			reply_done(&r);
			refresh = refreshed = true;
			continue;
		}
		creds_done(&cr);
		refresh = false;
		if (rc == K8S_OK && cc && attempt > 0 && r.status == 409) {
			/* AlreadyExists on a retry: maybe our first attempt. */
			reply_done(&r);
			return create_landed(c, cc, out, err);
		}
		memset(&in, 0, sizeof(in));
		in.rc = rc;
		in.transient = transient;
		in.status = rc == K8S_OK ? r.status : 0;
		in.webhook_500 = rc == K8S_OK && r.status == 500 && r.body &&
				 strstr(r.body, "failed calling webhook") != NULL;
		in.retry_after_s = rc == K8S_OK ? retry_after_s(r.retry_after) : -1;
		in.attempt = attempt;
		left = tl_retry_deadline ? tl_retry_deadline - now_ms()
					 : K8S_RETRY_BUDGET_S * 1000LL - (now_ms() - t0);
		in.left_ms = left > 0 ? left : 0;
		in.random = jitter_bits();
		if ((rc != K8S_OK || r.status < 200 || r.status > 299) &&
		    (delay = k8s_retry_delay(&in)) >= 0) {
			if (rc == K8S_OK)
				tfp_debug("k8s %s %s: HTTP %d, retry %d in %ld ms", method,
					  path, r.status, attempt + 1, delay);
			else
				tfp_debug("k8s %s %s: %s, retry %d in %ld ms", method, path,
					  k8s_code_str(rc), attempt + 1, delay);
			reply_done(&r);
			attempt++;
			if (!k8s_sleep(c, delay))
				return k8s_set_err(err, K8S_E_CANCELLED, 0,
						   K8S_CANCELLED_MSG);
			/* A create that may have landed (anything but a 429,
			 * which the server refused before acting) is retried
			 * only once a GET shows it did not. */
			if (cc && !(in.rc == K8S_OK && in.status == 429)) {
				rc = create_landed(c, cc, out, err);
				if (rc != K8S_E_NOTFOUND)
					return rc;
				set_request(err, method, path);
			}
			continue;
		}
		if (rc != K8S_OK)
			return rc;
		break;
	}
	if (r.status < 200 || r.status > 299) {
		rc = k8s_status_error(r.status, r.body, r.body_len, err);
		reply_done(&r);
		return rc;
	}
	if (!r.body || r.body_len == 0) {
		root = json_null();
	} else {
		root = json_loadb(r.body, r.body_len, 0, &jerr);
		if (!root) {
			reply_done(&r);
			return k8s_set_err(err, K8S_E_PROTOCOL, r.status,
					   "the server at %s returned invalid JSON "
					   "(line %d: %s)", c->base_url, jerr.line,
					   jerr.text);
		}
	}
	reply_done(&r);
	if (out)
		*out = root;
	else
		json_decref(root);
	return K8S_OK;
}

/* For a POST of an object with a name: where it will live (the path
 * without its query, plus the escaped name) and its create id. */
static bool create_check_for(const char *method, const char *path,
			     const json_t *body, struct create_check *cc)
{
	const json_t *md = json_object_get(body, "metadata");
	const char *name = json_string_value(json_object_get(md, "name"));
	size_t plen = strcspn(path, "?");
	char *ename;

	memset(cc, 0, sizeof(*cc));
	if (strcmp(method, "POST") != 0 || !name || !*name)
		return false;
	ename = escape(name);
	if (!ename || asprintf(&cc->path, "%.*s/%s", (int)plen, path, ename) < 0)
		cc->path = NULL;
	free(ename);
	cc->create_id = json_string_value(json_object_get(
		json_object_get(md, "annotations"), K8S_ANN_CREATE_ID));
	return cc->path != NULL;
}

int k8s_request(k8s_client *c, const char *method, const char *path,
		const char *content_type, const json_t *body, json_t **out,
		k8s_error *err)
{
	struct create_check cc;
	char *text = NULL;
	int rc;

	if (!path || path[0] != '/')
		return k8s_set_err(err, K8S_E_INVALID, 0, "invalid request path");
	if (body) {
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!text)
			return k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
	}
	if (create_check_for(method, path, body, &cc)) {
		rc = do_text(c, method, path, content_type, text, out, err, &cc);
		free(cc.path);
	} else {
		rc = do_text(c, method, path, content_type, text, out, err, NULL);
	}
	/* Bodies may be Secrets. */
	util_secret_free(text);
	return rc;
}

/* ---- paths ----------------------------------------------------------- */

char *k8s_path(const k8s_gvr *r, const char *ns, const char *name,
	       const char *subresource)
{
	char *ens = NULL, *ename = NULL, *p = NULL;
	const char *g = r->group && *r->group ? r->group : NULL;
	int n;

	if ((ns && r->namespaced && !(ens = escape(ns))) ||
	    (name && !(ename = escape(name)))) {
		free(ens);
		return NULL;
	}
	n = asprintf(&p, "%s%s%s/%s%s%s/%s%s%s%s%s", g ? "/apis/" : "/api",
		     g ? g : "", g ? "" : "", r->version,
		     ens ? "/namespaces/" : "", ens ? ens : "", r->resource,
		     ename ? "/" : "", ename ? ename : "",
		     subresource ? "/" : "", subresource ? subresource : "");
	free(ens);
	free(ename);
	return n < 0 ? NULL : p;
}

const char *k8s_api_version(const k8s_gvr *r, char *buf, size_t len)
{
	if (r->group && *r->group)
		snprintf(buf, len, "%s/%s", r->group, r->version);
	else
		snprintf(buf, len, "%s", r->version);
	return buf;
}

/* Path plus the write query (fieldManager, dryRun). */
static char *write_path(k8s_client *c, const k8s_gvr *r, const char *ns,
			const char *name, const char *sub, unsigned flags)
{
	char *p = k8s_path(r, ns, name, sub), *fm, *q = NULL;

	if (!p)
		return NULL;
	fm = escape(c->field_manager);
	if (!fm || asprintf(&q, "%s?fieldManager=%s%s", p, fm,
			    (flags & K8S_DRY_RUN) ? "&dryRun=All" : "") < 0)
		q = NULL;
	free(fm);
	free(p);
	return q;
}

static const char *ns_or_default(k8s_client *c, const k8s_gvr *r, const char *ns)
{
	if (!r->namespaced)
		return NULL;
	return ns && *ns ? ns : c->namespace;
}

/* ---- typed operations ------------------------------------------------ */

static int simple(k8s_client *c, const char *method, const k8s_gvr *r,
		  const char *ns, const char *name, const char *sub,
		  const char *ctype, const json_t *body, unsigned flags,
		  bool write, json_t **out, k8s_error *err)
{
	char *path;
	int rc;

	if (!name || !*name)
		return k8s_set_err(err, K8S_E_INVALID, 0, "%s needs a name", r->kind);
	path = write ? write_path(c, r, ns_or_default(c, r, ns), name, sub, flags)
		     : k8s_path(r, ns_or_default(c, r, ns), name, sub);
	if (!path)
		return k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
	rc = k8s_request(c, method, path, ctype, body, out, err);
	free(path);
	return rc;
}

int k8s_get(k8s_client *c, const k8s_gvr *r, const char *ns, const char *name,
	    json_t **out, k8s_error *err)
{
	return simple(c, "GET", r, ns, name, NULL, NULL, NULL, 0, false, out, err);
}

int k8s_get_status(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, json_t **out, k8s_error *err)
{
	return simple(c, "GET", r, ns, name, "status", NULL, NULL, 0, false, out, err);
}

int k8s_list(k8s_client *c, const k8s_gvr *r, const char *ns,
	     const char *label_selector, json_t **items, k8s_error *err)
{
	json_t *all = json_array(), *page = NULL, *arr, *it;
	char *base = k8s_path(r, r->namespaced && ns && *ns ? ns : NULL, NULL, NULL);
	char *sel = label_selector ? escape(label_selector) : NULL;
	char *cont = NULL, *path = NULL;
	const char *next;
	int pages, rc = K8S_OK;
	size_t i;

	if (!all || !base || (label_selector && !sel)) {
		rc = k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
		goto out;
	}
	for (pages = 0;; pages++) {
		if (pages >= LIST_MAX_PAGES) {
			rc = k8s_set_err(err, K8S_E_PROTOCOL, 0,
					 "listing %s returned more than %d pages",
					 r->resource, LIST_MAX_PAGES);
			goto out;
		}
		free(path);
		if (asprintf(&path, "%s?limit=%d%s%s%s%s", base, LIST_PAGE,
			     sel ? "&labelSelector=" : "", sel ? sel : "",
			     cont ? "&continue=" : "", cont ? cont : "") < 0) {
			path = NULL;
			rc = k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
			goto out;
		}
		rc = k8s_request(c, "GET", path, NULL, NULL, &page, err);
		if (rc != K8S_OK)
			goto out;
		arr = json_object_get(page, "items");
		if (!json_is_array(arr) && !json_is_null(arr) && arr) {
			rc = k8s_set_err(err, K8S_E_PROTOCOL, 0,
					 "list of %s has no items array", r->resource);
			goto out;
		}
		json_array_foreach(arr, i, it)
			json_array_append(all, it);
		next = json_string_value(json_object_get(
			json_object_get(page, "metadata"), "continue"));
		free(cont);
		cont = next && *next ? escape(next) : NULL;
		json_decref(page);
		page = NULL;
		if (!cont)
			break;
	}
out:
	json_decref(page);
	free(cont);
	free(path);
	free(sel);
	free(base);
	if (rc == K8S_OK)
		*items = all;
	else
		json_decref(all);
	return rc;
}

int k8s_create(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const json_t *body, unsigned flags, json_t **out, k8s_error *err)
{
	json_t *b;
	char av[256], *path;
	int rc;

	if (!json_is_object(body))
		return k8s_set_err(err, K8S_E_INVALID, 0, "create needs an object body");
	b = json_deep_copy(body);
	if (!b)
		return k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
	if (!json_object_get(b, "apiVersion"))
		json_object_set_new(b, "apiVersion",
				    json_string(k8s_api_version(r, av, sizeof(av))));
	if (!json_object_get(b, "kind"))
		json_object_set_new(b, "kind", json_string(r->kind));
	path = write_path(c, r, ns_or_default(c, r, ns), NULL, NULL, flags);
	if (!path) {
		json_decref(b);
		return k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
	}
	rc = k8s_request(c, "POST", path, NULL, b, out, err);
	free(path);
	json_decref(b);
	return rc;
}

int k8s_replace(k8s_client *c, const k8s_gvr *r, const char *ns,
		const char *name, const json_t *body, unsigned flags,
		json_t **out, k8s_error *err)
{
	const char *rv = json_string_value(json_object_get(
		json_object_get(body, "metadata"), "resourceVersion"));

	if (!rv || !*rv)
		return k8s_set_err(err, K8S_E_INVALID, 0,
				   "replacing %s \"%s\" needs metadata.resourceVersion",
				   r->kind, name ? name : "");
	return simple(c, "PUT", r, ns, name, NULL, NULL, body, flags, true, out, err);
}

int k8s_merge_patch(k8s_client *c, const k8s_gvr *r, const char *ns,
		    const char *name, const json_t *patch, unsigned flags,
		    json_t **out, k8s_error *err)
{
	return simple(c, "PATCH", r, ns, name, NULL, "application/merge-patch+json",
		      patch, flags, true, out, err);
}

int k8s_json_patch(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, const json_t *ops, unsigned flags,
		   json_t **out, k8s_error *err)
{
	if (!json_is_array(ops))
		return k8s_set_err(err, K8S_E_INVALID, 0, "a JSON patch is an array");
	return simple(c, "PATCH", r, ns, name, NULL, "application/json-patch+json",
		      ops, flags, true, out, err);
}

int k8s_patch_status(k8s_client *c, const k8s_gvr *r, const char *ns,
		     const char *name, const json_t *patch, json_t **out,
		     k8s_error *err)
{
	return simple(c, "PATCH", r, ns, name, "status",
		      "application/merge-patch+json", patch, 0, true, out, err);
}

int k8s_delete(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const char *name, const char *propagation, k8s_error *err)
{
	char *path, *q = NULL;
	int rc;

	if (!name || !*name)
		return k8s_set_err(err, K8S_E_INVALID, 0, "%s needs a name", r->kind);
	path = k8s_path(r, ns_or_default(c, r, ns), name, NULL);
	if (!path)
		return k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
	if (propagation && *propagation) {
		if (strcmp(propagation, "Background") != 0 &&
		    strcmp(propagation, "Foreground") != 0 &&
		    strcmp(propagation, "Orphan") != 0) {
			free(path);
			return k8s_set_err(err, K8S_E_INVALID, 0,
					   "invalid propagationPolicy \"%.32s\"",
					   propagation);
		}
		if (asprintf(&q, "%s?propagationPolicy=%s", path, propagation) < 0) {
			free(path);
			return k8s_set_err(err, K8S_E_NOMEM, 0, "out of memory");
		}
		free(path);
		path = q;
	}
	rc = k8s_request(c, "DELETE", path, NULL, NULL, NULL, err);
	free(path);
	return rc;
}

int k8s_update(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const char *name, k8s_mutate_fn mutate, void *arg,
	       json_t **out, k8s_error *err)
{
	json_t *obj = NULL;
	int attempt, rc = K8S_E_CONFLICT;

	for (attempt = 0; attempt <= K8S_MAX_CONFLICT_RETRIES; attempt++) {
		if (attempt > 0 && !k8s_sleep(c, 100L << (attempt - 1)))
			return k8s_set_err(err, K8S_E_CANCELLED, 0, K8S_CANCELLED_MSG);
		rc = k8s_get(c, r, ns, name, &obj, err);
		if (rc != K8S_OK)
			return rc;
		rc = mutate(obj, arg, err);
		if (rc == K8S_UNCHANGED) {
			if (out)
				*out = obj;
			else
				json_decref(obj);
			return K8S_OK;
		}
		if (rc != K8S_OK) {
			json_decref(obj);
			return rc;
		}
		rc = k8s_replace(c, r, ns, name, obj, 0, out, err);
		json_decref(obj);
		obj = NULL;
		if (rc != K8S_E_CONFLICT)
			return rc;
		tfp_debug("k8s: conflict updating %s %s, retrying", r->kind, name);
	}
	return rc;
}
