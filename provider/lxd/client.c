/* LXD REST client: libcurl (unix socket or pinned HTTPS) + jansson.
 *
 * One curl easy handle per request, so a client is usable from many threads.
 * Every exchange is bounded: request timeout, response size, operation wait
 * time, and the caller's stop flag. Only method, path, status and duration
 * are logged (debug); bodies may hold certificates or tokens. */
#include "provider/lxd/client.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "provider/log.h"

#define FP_HEX_LEN 64                /* SHA-256 as lowercase hex */
#define WAIT_SLICE_S 5               /* longest single operation wait call */
#define WAIT_MIN_INTERVAL_MS 100     /* floor between polls of a running op */
#define UPDATE_ATTEMPTS 5            /* lxd_update_etag tries on 412 */
#define HEADER_VALUE_MAX 4096        /* ETag / Location longer: ignored */
#define DEFAULT_REQUEST_TIMEOUT_MS 30000L
#define DEFAULT_OPERATION_TIMEOUT_S 600L

struct lxd_client {
	char *socket_path;       /* unix socket, or NULL */
	char *base_url;          /* "http://lxd" or "https://host:port" */
	char *cert_pem;          /* client certificate, or NULL */
	char *key_pem;           /* client key (cleansed on free), or NULL */
	char pin[FP_HEX_LEN + 1]; /* expected server fingerprint, or "" */
	bool insecure;
	char *project;
	long request_timeout_ms;
	long operation_timeout_s;
	atomic_int *stop;
	lxd_transport_fn transport;
	void *transport_ud;

	pthread_mutex_t info_lock; /* guards info */
	json_t *info;              /* cached GET /1.0 metadata */
	json_t *info_retired;      /* forgotten infos, kept alive (borrowed
				    * pointers may still be in use) until
				    * lxd_client_free */
};

/* State of one curl exchange, shared with the curl callbacks. */
struct xfer {
	const lxd_client *c;
	char *buf;
	size_t len, cap;
	bool too_big;
	bool pin_checked;  /* the pin callback accepted the peer */
	bool pin_mismatch; /* the pin callback rejected the peer */
	char actual_fp[FP_HEX_LEN + 1];
	char *etag;
	char *location;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc = -1; /* CURLcode of curl_global_init */

static void global_init(void)
{
	global_rc = (int)curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- errors -------------------------------------------------------- */

/* Cut s back to at most max bytes without splitting a UTF-8 sequence:
 * messages end up in protobuf strings, which must be valid UTF-8. */
static void utf8_trim(char *s, size_t max)
{
	size_t n = strlen(s);
	size_t end, i;
	unsigned char lead;
	size_t need;

	if (n > max)
		n = max;
	end = n;
	/* Find the start of the last (possibly partial) sequence. */
	i = end;
	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && end - i < 3)
		i--;
	if (i > 0) {
		lead = (unsigned char)s[i - 1];
		if (lead >= 0xC0) {
			need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
			if (end - (i - 1) < need)
				end = i - 1;
		}
	}
	s[end] = '\0';
}

static int set_err(lxd_error *err, int code, int http_status, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));

/* Record a failure in the optional err and return code. */
static int set_err(lxd_error *err, int code, int http_status, const char *fmt,
		   ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->http_status = http_status;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	utf8_trim(err->message, sizeof(err->message) - 1);
	return code;
}

const char *lxd_code_str(int code)
{
	switch (code) {
	case LXD_OK: return "ok";
	case LXD_E_NOMEM: return "out of memory";
	case LXD_E_NOTFOUND: return "not found";
	case LXD_E_CONFLICT: return "conflict";
	case LXD_E_PRECONDITION: return "precondition failed";
	case LXD_E_INVALID: return "invalid request";
	case LXD_E_FORBIDDEN: return "forbidden";
	case LXD_E_UNAVAILABLE: return "unavailable";
	case LXD_E_SERVER: return "server error";
	case LXD_E_TIMEOUT: return "timeout";
	case LXD_E_CANCELLED: return "cancelled";
	case LXD_E_PROTOCOL: return "protocol error";
	case LXD_E_TLS: return "TLS error";
	default: return "unknown error";
	}
}

/* Map an HTTP (or LXD error_code) status and LXD's message to a code.
 * The message matters: "already exists" comes as 400, 409 or 500. */
static int code_for_status(int status, const char *msg)
{
	int code;

	switch (status) {
	case 404: code = LXD_E_NOTFOUND; break;
	case 409: code = LXD_E_CONFLICT; break;
	case 412: code = LXD_E_PRECONDITION; break;
	case 401:
	case 403: code = LXD_E_FORBIDDEN; break;
	case 503: code = LXD_E_UNAVAILABLE; break;
	default:
		if (status >= 400 && status < 500)
			code = LXD_E_INVALID;
		else
			code = LXD_E_SERVER;
		break;
	}
	if ((code == LXD_E_INVALID || code == LXD_E_SERVER) && msg &&
	    strstr(msg, "already exists"))
		code = LXD_E_CONFLICT;
	return code;
}

/* ---- small helpers -------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool stopped(const lxd_client *c)
{
	return c->stop && atomic_load(c->stop) != 0;
}

/* Sleep up to ms, waking early (false) when the stop flag is raised. */
static bool sleep_ms(const lxd_client *c, long ms)
{
	struct timespec ts;
	long step;

	while (ms > 0) {
		if (stopped(c))
			return false;
		step = ms < 20 ? ms : 20;
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return !stopped(c);
}

/* Free a secret after wiping it. */
static void free_secret(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static void reply_done(lxd_http_reply *r)
{
	free(r->body);
	free(r->etag);
	free(r->location);
	memset(r, 0, sizeof(*r));
}

/* Bytes allowed in a request path: printable ASCII, no space. */
static bool path_ok(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

/* Header values we send must not carry CR/LF (header injection). */
static bool header_value_ok(const char *v)
{
	for (; *v; v++)
		if (*v == '\r' || *v == '\n')
			return false;
	return true;
}

char *lxd_escape(const char *segment)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n, i, o = 0;
	char *out;
	unsigned char ch;

	if (!segment)
		return NULL;
	n = strlen(segment);
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(n * 3 + 1);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		ch = (unsigned char)segment[i];
		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' ||
		    ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 0x0F];
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- socket resolution ---------------------------------------------- */

static const char *put_path(char *buf, size_t len, const char *a,
			    const char *b)
{
	int n = snprintf(buf, len, "%s%s", a, b ? b : "");

	if (n < 0 || (size_t)n >= len)
		return NULL;
	return buf;
}

const char *lxd_socket_resolve(char *buf, size_t len)
{
	const char *env;
	const char *snap = "/var/snap/lxd/common/lxd/unix.socket";
	const char *deb = "/var/lib/lxd/unix.socket";

	if (!buf || len == 0)
		return NULL;
	/* An explicit choice is honoured even if the socket is not there
	 * yet: connecting then fails with a clear error instead of silently
	 * talking to another daemon. */
	env = getenv("LXD_SOCKET");
	if (env && *env)
		return put_path(buf, len, env, NULL);
	env = getenv("LXD_DIR");
	if (env && *env)
		return put_path(buf, len, env, "/unix.socket");
	if (access(snap, W_OK) == 0)
		return put_path(buf, len, snap, NULL);
	if (access(deb, F_OK) == 0)
		return put_path(buf, len, deb, NULL);
	return NULL;
}

/* ---- TLS pinning ------------------------------------------------------ */

static int cert_fingerprint(X509 *x, char out[FP_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned int i;

	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return -1;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[FP_HEX_LEN] = '\0';
	return 0;
}

static X509 *pem_cert(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x;

	if (!bio)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return x;
}

/* Normalise a fingerprint: lowercase, ':' separators dropped, exactly 64
 * hex digits. */
static int normalize_fp(const char *in, char out[FP_HEX_LEN + 1])
{
	size_t o = 0;

	for (; *in; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || o >= FP_HEX_LEN)
			return -1;
		out[o++] = (char)tolower((unsigned char)*in);
	}
	out[o] = '\0';
	return o == FP_HEX_LEN ? 0 : -1;
}

/* Replaces OpenSSL's chain verification: the peer is accepted iff the
 * SHA-256 of its leaf certificate equals the pin. Rejecting here aborts
 * the handshake before our certificate or any request is sent. */
static int pin_verify_cb(X509_STORE_CTX *xs, void *arg)
{
	struct xfer *x = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);

	if (!leaf || cert_fingerprint(leaf, x->actual_fp) < 0) {
		x->pin_mismatch = true;
		snprintf(x->actual_fp, sizeof(x->actual_fp), "%s", "(none)");
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	if (strcmp(x->actual_fp, x->c->pin) != 0) {
		x->pin_mismatch = true;
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	x->pin_checked = true;
	return 1;
}

static CURLcode ssl_ctx_cb(CURL *h, void *sslctx, void *arg)
{
	SSL_CTX *ctx = sslctx;

	(void)h;
	/* curl set VERIFY_NONE (verifypeer off); the peer must still pass
	 * our callback, so ask for verification and supply the check. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, pin_verify_cb, arg);
	return CURLE_OK;
}

/* ---- client ----------------------------------------------------------- */

static int check_client_keypair(const char *cert_pem, const char *key_pem,
				lxd_error *err)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	int rc = LXD_OK;

	x = pem_cert(cert_pem);
	if (!x) {
		rc = set_err(err, LXD_E_INVALID, 0,
			     "client certificate is not a PEM certificate");
		goto cleanup;
	}
	bio = BIO_new_mem_buf(key_pem, -1);
	if (!bio) {
		rc = set_err(err, LXD_E_NOMEM, 0, "out of memory");
		goto cleanup;
	}
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!k) {
		rc = set_err(err, LXD_E_INVALID, 0,
			     "client key is not an unencrypted PEM private key");
		goto cleanup;
	}
	if (X509_check_private_key(x, k) != 1) {
		rc = set_err(err, LXD_E_INVALID, 0,
			     "client key does not match the client certificate");
		goto cleanup;
	}
cleanup:
	EVP_PKEY_free(k);
	BIO_free(bio);
	X509_free(x);
	return rc;
}

static int setup_https(lxd_client *c, const lxd_client_opts *o,
		       lxd_error *err)
{
	const curl_version_info_data *vi;
	char fp[FP_HEX_LEN + 1];
	X509 *x;
	size_t n;
	int rc;

	if (strncmp(o->url, "https://", 8) != 0 || !o->url[8])
		return set_err(err, LXD_E_INVALID, 0,
			       "LXD url must start with https://");
	c->base_url = strdup(o->url);
	if (!c->base_url)
		return set_err(err, LXD_E_NOMEM, 0, "out of memory");
	n = strlen(c->base_url);
	while (n > 8 && c->base_url[n - 1] == '/')
		c->base_url[--n] = '\0';
	if (!path_ok(c->base_url))
		return set_err(err, LXD_E_INVALID, 0, "invalid LXD url");

	if (!o->client_cert_pem != !o->client_key_pem)
		return set_err(err, LXD_E_INVALID, 0,
			       "client certificate and key must be given together");
	if (o->client_cert_pem) {
		rc = check_client_keypair(o->client_cert_pem,
					  o->client_key_pem, err);
		if (rc)
			return rc;
		c->cert_pem = strdup(o->client_cert_pem);
		c->key_pem = strdup(o->client_key_pem);
		if (!c->cert_pem || !c->key_pem)
			return set_err(err, LXD_E_NOMEM, 0, "out of memory");
	}

	c->insecure = o->insecure_skip_verify;
	if (o->server_fingerprint && *o->server_fingerprint) {
		if (normalize_fp(o->server_fingerprint, c->pin) < 0)
			return set_err(err, LXD_E_INVALID, 0,
				       "server fingerprint must be 64 hex digits (SHA-256)");
	}
	if (o->server_cert_pem && *o->server_cert_pem) {
		x = pem_cert(o->server_cert_pem);
		if (!x)
			return set_err(err, LXD_E_INVALID, 0,
				       "server certificate is not a PEM certificate");
		rc = cert_fingerprint(x, fp);
		X509_free(x);
		if (rc < 0)
			return set_err(err, LXD_E_TLS, 0,
				       "cannot fingerprint the server certificate");
		if (c->pin[0] && strcmp(c->pin, fp) != 0)
			return set_err(err, LXD_E_INVALID, 0,
				       "server certificate (%s) does not match server fingerprint (%s)",
				       fp, c->pin);
		memcpy(c->pin, fp, sizeof(fp));
	}
	if (c->insecure)
		return LXD_OK;
	if (!c->pin[0])
		return set_err(err, LXD_E_INVALID, 0,
			       "no server certificate or fingerprint to verify %s against (set insecure_skip_verify to connect anyway)",
			       c->base_url);
	/* Pinning is implemented with OpenSSL callbacks. */
	vi = curl_version_info(CURLVERSION_NOW);
	if (!vi || !vi->ssl_version || !strstr(vi->ssl_version, "OpenSSL"))
		return set_err(err, LXD_E_TLS, 0,
			       "certificate pinning needs libcurl built with OpenSSL (have %s)",
			       vi && vi->ssl_version ? vi->ssl_version : "none");
	return LXD_OK;
}

int lxd_client_new(const lxd_client_opts *o, lxd_client **out, lxd_error *err)
{
	lxd_client *c = NULL;
	char sock[4096];
	const char *sp;
	int rc;

	if (!o || !out)
		return set_err(err, LXD_E_INVALID, 0, "missing client options");
	if (o->socket_path && o->url)
		return set_err(err, LXD_E_INVALID, 0,
			       "set either a unix socket or an https url, not both");
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return set_err(err, LXD_E_NOMEM, 0,
			       "libcurl initialisation failed");

	c = calloc(1, sizeof(*c));
	if (!c)
		return set_err(err, LXD_E_NOMEM, 0, "out of memory");
	if (pthread_mutex_init(&c->info_lock, NULL) != 0) {
		free(c);
		return set_err(err, LXD_E_NOMEM, 0, "cannot create mutex");
	}
	c->request_timeout_ms = o->request_timeout_ms > 0 ?
		o->request_timeout_ms : DEFAULT_REQUEST_TIMEOUT_MS;
	c->operation_timeout_s = o->operation_timeout_s > 0 ?
		o->operation_timeout_s : DEFAULT_OPERATION_TIMEOUT_S;
	c->stop = o->stop;
	c->project = strdup(o->project && *o->project ? o->project : "default");
	if (!c->project) {
		rc = set_err(err, LXD_E_NOMEM, 0, "out of memory");
		goto cleanup;
	}

	if (o->transport) {
		c->transport = o->transport;
		c->transport_ud = o->transport_ud;
		c->base_url = strdup("http://lxd");
		if (!c->base_url) {
			rc = set_err(err, LXD_E_NOMEM, 0, "out of memory");
			goto cleanup;
		}
	} else if (o->url) {
		rc = setup_https(c, o, err);
		if (rc)
			goto cleanup;
	} else {
		sp = o->socket_path;
		if (!sp || !*sp)
			sp = lxd_socket_resolve(sock, sizeof(sock));
		if (!sp) {
			rc = set_err(err, LXD_E_UNAVAILABLE, 0,
				     "no LXD unix socket found (set LXD_SOCKET or LXD_DIR)");
			goto cleanup;
		}
		c->socket_path = strdup(sp);
		c->base_url = strdup("http://lxd");
		if (!c->socket_path || !c->base_url) {
			rc = set_err(err, LXD_E_NOMEM, 0, "out of memory");
			goto cleanup;
		}
	}
	*out = c;
	return LXD_OK;
cleanup:
	lxd_client_free(c);
	return rc;
}

void lxd_client_free(lxd_client *c)
{
	if (!c)
		return;
	free(c->socket_path);
	free(c->base_url);
	free(c->cert_pem);
	free_secret(c->key_pem);
	free(c->project);
	json_decref(c->info);
	json_decref(c->info_retired);
	pthread_mutex_destroy(&c->info_lock);
	free(c);
}

const char *lxd_client_project(const lxd_client *c)
{
	return c ? c->project : NULL;
}

void lxd_response_done(lxd_response *r)
{
	if (!r)
		return;
	json_decref(r->metadata);
	free(r->etag);
	free(r->operation);
	memset(r, 0, sizeof(*r));
}

/* ---- one HTTP exchange over curl --------------------------------------- */

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	size_t ncap;
	char *nb;

	if (n > LXD_MAX_RESPONSE || x->len + n > LXD_MAX_RESPONSE) {
		x->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (x->len + n + 1 > x->cap) {
		ncap = x->cap ? x->cap : 4096;
		while (ncap < x->len + n + 1)
			ncap *= 2;
		if (ncap > (size_t)LXD_MAX_RESPONSE + 1)
			ncap = (size_t)LXD_MAX_RESPONSE + 1;
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

/* Keep a header value, whitespace-trimmed, replacing an earlier one. */
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
	if (n == 0 || n > HEADER_VALUE_MAX)
		return;
	s = strndup(v, n);
	if (!s)
		return;
	free(*slot);
	*slot = s;
}

static size_t header_cb(char *data, size_t size, size_t nitems, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nitems;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (e.g. after 100 Continue): start over. */
		free(x->etag);
		free(x->location);
		x->etag = x->location = NULL;
	} else if (n > 5 && strncasecmp(data, "ETag:", 5) == 0) {
		keep_header(&x->etag, data + 5, n - 5);
	} else if (n > 9 && strncasecmp(data, "Location:", 9) == 0) {
		keep_header(&x->location, data + 9, n - 9);
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
	return stopped(x->c) ? 1 : 0;
}

static int curl_code(lxd_client *c, CURLcode res, const struct xfer *x,
		     const char *errbuf, lxd_error *err)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(res);

	if (x->pin_mismatch)
		return set_err(err, LXD_E_TLS, 0,
			       "server certificate fingerprint mismatch for %s: expected %s, got %s",
			       c->base_url, c->pin, x->actual_fp);
	if (x->too_big)
		return set_err(err, LXD_E_PROTOCOL, 0,
			       "LXD response larger than %u bytes",
			       (unsigned)LXD_MAX_RESPONSE);
	switch (res) {
	case CURLE_ABORTED_BY_CALLBACK:
		return set_err(err, LXD_E_CANCELLED, 0, "request cancelled");
	case CURLE_OPERATION_TIMEDOUT:
		return set_err(err, LXD_E_TIMEOUT, 0, "LXD request timed out: %s",
			       detail);
	case CURLE_OUT_OF_MEMORY:
		return set_err(err, LXD_E_NOMEM, 0, "out of memory");
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_USE_SSL_FAILED:
		return set_err(err, LXD_E_TLS, 0, "TLS error talking to LXD: %s",
			       detail);
	case CURLE_WRITE_ERROR:
		return set_err(err, LXD_E_NOMEM, 0,
			       "cannot store the LXD response: %s", detail);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return set_err(err, LXD_E_UNAVAILABLE, 0,
			       "cannot reach LXD: %s", detail);
	default:
		return set_err(err, LXD_E_UNAVAILABLE, 0,
			       "LXD request failed: %s", detail);
	}
}

static int http_curl(lxd_client *c, const char *method, const char *path,
		     const char *body, const char *if_match, long timeout_ms,
		     lxd_http_reply *reply, lxd_error *err)
{
	struct xfer x;
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL, *nh;
	struct curl_blob blob;
	char *url = NULL, *ifm = NULL;
	CURL *h = NULL;
	CURLcode res;
	long status = 0;
	int rc;

	memset(&x, 0, sizeof(x));
	x.c = c;
	errbuf[0] = '\0';
	if (asprintf(&url, "%s%s", c->base_url, path) < 0) {
		url = NULL;
		rc = set_err(err, LXD_E_NOMEM, 0, "out of memory");
		goto cleanup;
	}
	h = curl_easy_init();
	if (!h) {
		rc = set_err(err, LXD_E_NOMEM, 0, "cannot create a curl handle");
		goto cleanup;
	}

#define SETOPT(opt, val)                                                     \
	do {                                                                 \
		res = curl_easy_setopt(h, opt, val);                         \
		if (res != CURLE_OK) {                                       \
			rc = set_err(err, LXD_E_INVALID, 0,                  \
				     "curl option " #opt ": %s",             \
				     curl_easy_strerror(res));               \
			goto cleanup;                                        \
		}                                                            \
	} while (0)

	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_TIMEOUT_MS, timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS,
	       timeout_ms < 10000 ? timeout_ms : 10000L);
	SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(CURLOPT_USERAGENT, "terraform-provider-lxdcapi");
	SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(CURLOPT_WRITEDATA, &x);
	SETOPT(CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(CURLOPT_HEADERDATA, &x);
	SETOPT(CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	SETOPT(CURLOPT_XFERINFODATA, &x);
	SETOPT(CURLOPT_NOPROGRESS, 0L);
	if (c->socket_path)
		SETOPT(CURLOPT_UNIX_SOCKET_PATH, c->socket_path);

	if (strncmp(c->base_url, "https://", 8) == 0) {
		/* LXD certificates are self-signed and rarely name the
		 * address, so libcurl's checks are off and the pin callback
		 * decides. No session reuse, so every handshake is checked. */
		SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
		SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
		SETOPT(CURLOPT_SSL_SESSIONID_CACHE, 0L);
		if (!c->insecure) {
			SETOPT(CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
			SETOPT(CURLOPT_SSL_CTX_DATA, &x);
		}
		if (c->cert_pem) {
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

	if (strcmp(method, "GET") != 0)
		SETOPT(CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		SETOPT(CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		SETOPT(CURLOPT_POSTFIELDS, body);
		nh = curl_slist_append(hdrs, "Content-Type: application/json");
		if (!nh)
			goto nomem;
		hdrs = nh;
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
		   strcmp(method, "PATCH") == 0) {
		SETOPT(CURLOPT_POSTFIELDSIZE, 0L);
		SETOPT(CURLOPT_POSTFIELDS, "");
	}
	nh = curl_slist_append(hdrs, "Expect:");
	if (!nh)
		goto nomem;
	hdrs = nh;
	if (if_match) {
		if (asprintf(&ifm, "If-Match: %s", if_match) < 0) {
			ifm = NULL;
			goto nomem;
		}
		nh = curl_slist_append(hdrs, ifm);
		if (!nh)
			goto nomem;
		hdrs = nh;
	}
	SETOPT(CURLOPT_HTTPHEADER, hdrs);
#undef SETOPT

	res = curl_easy_perform(h);
	if (res == CURLE_OK && c->pin[0] && !c->insecure &&
	    strncmp(c->base_url, "https://", 8) == 0 && !x.pin_checked) {
		/* Defensive: the callback must have run for this handshake. */
		rc = set_err(err, LXD_E_TLS, 0,
			     "server certificate of %s was not verified",
			     c->base_url);
		goto cleanup;
	}
	if (res != CURLE_OK) {
		rc = curl_code(c, res, &x, errbuf, err);
		goto cleanup;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	reply->status = (int)status;
	reply->body = x.buf;
	reply->body_len = x.len;
	reply->etag = x.etag;
	reply->location = x.location;
	x.buf = x.etag = x.location = NULL;
	rc = LXD_OK;
	goto cleanup;
nomem:
	rc = set_err(err, LXD_E_NOMEM, 0, "out of memory");
cleanup:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(ifm);
	free(url);
	free(x.buf);
	free(x.etag);
	free(x.location);
	return rc;
}

/* One exchange through curl or the test transport; logs at debug level
 * (method, path, status, duration only). */
static int http_do(lxd_client *c, const char *method, const char *path,
		   const char *body, const char *if_match, long timeout_ms,
		   lxd_http_reply *reply, lxd_error *err)
{
	long long t0;
	int rc;

	memset(reply, 0, sizeof(*reply));
	if (stopped(c))
		return set_err(err, LXD_E_CANCELLED, 0, "request cancelled");
	t0 = now_ms();
	if (c->transport) {
		rc = c->transport(c->transport_ud, method, path, body, if_match,
				  reply);
		if (rc != LXD_OK) {
			reply_done(reply);
			if (rc < LXD_E_TLS || rc > LXD_E_NOMEM)
				rc = LXD_E_UNAVAILABLE;
			rc = set_err(err, rc, 0, "transport failed: %s",
				     lxd_code_str(rc));
		} else if (reply->body && reply->body_len == 0) {
			reply->body_len = strlen(reply->body);
		}
	} else {
		rc = http_curl(c, method, path, body, if_match, timeout_ms,
			       reply, err);
	}
	if (rc == LXD_OK)
		tfp_debug("LXD %s %s: HTTP %d (%lld ms)", method, path,
			  reply->status, now_ms() - t0);
	else
		tfp_debug("LXD %s %s: failed, %s (%lld ms)", method, path,
			  lxd_code_str(rc), now_ms() - t0);
	return rc;
}

/* ---- envelopes --------------------------------------------------------- */

/* Parse a reply body into a JSON object. A non-JSON error reply is mapped
 * by HTTP status with the text as message. */
static int decode(const lxd_http_reply *r, json_t **root, lxd_error *err)
{
	json_error_t jerr;
	json_t *j;

	if (r->body_len > LXD_MAX_RESPONSE)
		return set_err(err, LXD_E_PROTOCOL, r->status,
			       "LXD response larger than %u bytes",
			       (unsigned)LXD_MAX_RESPONSE);
	if (!r->body || r->body_len == 0) {
		if (r->status >= 400)
			return set_err(err, code_for_status(r->status, NULL),
				       r->status, "HTTP %d with an empty body",
				       r->status);
		return set_err(err, LXD_E_PROTOCOL, r->status,
			       "empty LXD response (HTTP %d)", r->status);
	}
	j = json_loadb(r->body, r->body_len, 0, &jerr);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		if (r->status >= 400)
			return set_err(err, code_for_status(r->status, r->body),
				       r->status, "HTTP %d: %.*s", r->status,
				       (int)(r->body_len < 512 ? r->body_len : 512),
				       r->body);
		return set_err(err, LXD_E_PROTOCOL, r->status,
			       "malformed LXD response (HTTP %d): %s",
			       r->status, j ? "not a JSON object" : jerr.text);
	}
	*root = j;
	return LXD_OK;
}

static int error_envelope(const json_t *root, int http_status, lxd_error *err)
{
	const char *msg = json_string_value(json_object_get(root, "error"));
	json_int_t ec = json_integer_value(json_object_get(root, "error_code"));
	int status = ec >= 400 && ec < 600 ? (int)ec :
		     http_status >= 400 ? http_status : 500;

	if (!msg || !*msg)
		return set_err(err, code_for_status(status, NULL), status,
			       "LXD error (HTTP %d)", status);
	return set_err(err, code_for_status(status, msg), status, "%s", msg);
}

/* Classify an operation object: 1 still running, LXD_OK succeeded, or the
 * failure (err set). */
static int op_state(const json_t *op, int http_status, lxd_error *err)
{
	const json_t *sc = json_object_get(op, "status_code");
	const char *emsg = json_string_value(json_object_get(op, "err"));
	json_int_t code;

	if (!json_is_object(op) || !json_is_integer(sc))
		return set_err(err, LXD_E_PROTOCOL, http_status,
			       "LXD operation without status_code");
	code = json_integer_value(sc);
	if (code < 200 && !(emsg && *emsg))
		return 1;
	if (code >= 400 || (emsg && *emsg)) {
		if (emsg && *emsg)
			return set_err(err, strstr(emsg, "already exists") ?
				       LXD_E_CONFLICT : LXD_E_SERVER,
				       http_status, "%s", emsg);
		if (code == 401)
			return set_err(err, LXD_E_SERVER, http_status,
				       "LXD operation was cancelled");
		return set_err(err, LXD_E_SERVER, http_status,
			       "LXD operation failed (status %lld)",
			       (long long)code);
	}
	return LXD_OK;
}

/* Build "<op_path>/wait?timeout=N" keeping any query of op_path. */
static char *wait_path(const char *op_path, long slice)
{
	const char *q = strchr(op_path, '?');
	size_t base = q ? (size_t)(q - op_path) : strlen(op_path);
	char *p = NULL;

	if (asprintf(&p, "%.*s/wait%s%ctimeout=%ld", (int)base, op_path,
		     q ? q : "", q ? '&' : '?', slice) < 0)
		return NULL;
	return p;
}

int lxd_wait_operation(lxd_client *c, const char *op_path, long timeout_s,
		       json_t **op_out, lxd_error *err)
{
	lxd_http_reply r;
	json_t *root = NULL;
	const char *type;
	char *path = NULL;
	long long deadline, left, t0;
	long slice;
	int rc;

	memset(&r, 0, sizeof(r));
	if (!c || !op_path || strncmp(op_path, "/1.0/operations/", 16) != 0 ||
	    !path_ok(op_path))
		return set_err(err, LXD_E_INVALID, 0,
			       "invalid operation path");
	if (timeout_s <= 0)
		timeout_s = c->operation_timeout_s;
	deadline = now_ms() + (long long)timeout_s * 1000;
	for (;;) {
		if (stopped(c)) {
			rc = set_err(err, LXD_E_CANCELLED, 0,
				     "cancelled while waiting for %s", op_path);
			goto cleanup;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			rc = set_err(err, LXD_E_TIMEOUT, 0,
				     "LXD operation %s still running after %ld s",
				     op_path, timeout_s);
			goto cleanup;
		}
		slice = (long)((left + 999) / 1000);
		if (slice > WAIT_SLICE_S)
			slice = WAIT_SLICE_S;
		free(path);
		path = wait_path(op_path, slice);
		if (!path) {
			rc = set_err(err, LXD_E_NOMEM, 0, "out of memory");
			goto cleanup;
		}
		t0 = now_ms();
		rc = http_do(c, "GET", path, NULL, NULL,
			     slice * 1000 + c->request_timeout_ms, &r, err);
		if (rc == LXD_E_CANCELLED)
			rc = set_err(err, LXD_E_CANCELLED, 0,
				     "cancelled while waiting for %s", op_path);
		if (rc)
			goto cleanup;
		rc = decode(&r, &root, err);
		if (rc)
			goto cleanup;
		/* Switch on the body, not the status: main may send an
		 * error envelope under 200. */
		type = json_string_value(json_object_get(root, "type"));
		if (type && strcmp(type, "error") == 0) {
			rc = error_envelope(root, r.status, err);
			goto cleanup;
		}
		if (!type || strcmp(type, "sync") != 0) {
			rc = set_err(err, LXD_E_PROTOCOL, r.status,
				     "unexpected LXD reply type '%s' while waiting for an operation",
				     type ? type : "(none)");
			goto cleanup;
		}
		if (r.status >= 400) {
			rc = set_err(err, code_for_status(r.status, NULL),
				     r.status, "HTTP %d waiting for %s",
				     r.status, op_path);
			goto cleanup;
		}
		rc = op_state(json_object_get(root, "metadata"), r.status, err);
		if (rc <= 0) {
			if (rc == LXD_OK && op_out)
				*op_out = json_incref(
					json_object_get(root, "metadata"));
			goto cleanup;
		}
		/* Still running. A server that answers faster than asked
		 * is polled no more often than every WAIT_MIN_INTERVAL_MS. */
		json_decref(root);
		root = NULL;
		reply_done(&r);
		left = deadline - now_ms();
		if (now_ms() - t0 < WAIT_MIN_INTERVAL_MS && left > 0)
			sleep_ms(c, left < WAIT_MIN_INTERVAL_MS ?
				 (long)left : WAIT_MIN_INTERVAL_MS);
	}
cleanup:
	json_decref(root);
	reply_done(&r);
	free(path);
	return rc;
}

/* Append the project query to path. */
static char *with_project(const lxd_client *c, const char *path)
{
	char *esc = lxd_escape(c->project);
	char *p = NULL;

	if (!esc)
		return NULL;
	if (asprintf(&p, "%s%cproject=%s", path,
		     strchr(path, '?') ? '&' : '?', esc) < 0)
		p = NULL;
	free(esc);
	return p;
}

/* Operation path from an async reply: body "operation", else Location. */
static char *async_op_path(const json_t *root, const lxd_http_reply *r)
{
	const char *op = json_string_value(json_object_get(root, "operation"));
	const char *p;

	if (op && strncmp(op, "/1.0/operations/", 16) == 0)
		return strdup(op);
	if (r->location) {
		p = strstr(r->location, "/1.0/operations/");
		if (p)
			return strdup(p);
	}
	return NULL;
}

int lxd_request(lxd_client *c, const char *method, const char *path,
		const json_t *body, const char *if_match, unsigned flags,
		lxd_response *out, lxd_error *err)
{
	lxd_http_reply r;
	json_t *root = NULL, *meta = NULL, *op = NULL;
	char *full = NULL, *sbody = NULL, *op_path = NULL;
	const char *type;
	int rc;

	memset(&r, 0, sizeof(r));
	if (!c || !method || !path || strncmp(path, "/1.0", 4) != 0 ||
	    !path_ok(path) || !path_ok(method))
		return set_err(err, LXD_E_INVALID, 0,
			       "invalid LXD request path");
	if (if_match && !header_value_ok(if_match))
		return set_err(err, LXD_E_INVALID, 0, "invalid If-Match value");
	if (flags & LXD_REQ_PROJECT) {
		full = with_project(c, path);
		if (!full) {
			rc = set_err(err, LXD_E_NOMEM, 0, "out of memory");
			goto cleanup;
		}
		path = full;
	}
	if (body) {
		sbody = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!sbody) {
			rc = set_err(err, LXD_E_INVALID, 0,
				     "cannot serialise the request body");
			goto cleanup;
		}
	}

	rc = http_do(c, method, path, sbody, if_match, c->request_timeout_ms,
		     &r, err);
	if (rc)
		goto cleanup;
	rc = decode(&r, &root, err);
	if (rc)
		goto cleanup;

	type = json_string_value(json_object_get(root, "type"));
	if (!type) {
		rc = set_err(err, LXD_E_PROTOCOL, r.status,
			     "LXD response without a type");
		goto cleanup;
	}
	if (strcmp(type, "error") == 0 || r.status >= 400) {
		rc = error_envelope(root, r.status, err);
		goto cleanup;
	}
	if (strcmp(type, "sync") == 0) {
		meta = json_object_get(root, "metadata");
		meta = meta ? json_incref(meta) : json_null();
	} else if (strcmp(type, "async") == 0) {
		op_path = async_op_path(root, &r);
		if (!op_path || !path_ok(op_path)) {
			rc = set_err(err, LXD_E_PROTOCOL, r.status,
				     "async LXD response without an operation");
			goto cleanup;
		}
		if (flags & LXD_REQ_NO_WAIT) {
			meta = json_object_get(root, "metadata");
			meta = meta ? json_incref(meta) : json_null();
		} else {
			/* The operation may already be over. */
			op = json_object_get(root, "metadata");
			rc = json_is_object(op) ? op_state(op, r.status, err) : 1;
			if (rc < 0)
				goto cleanup;
			if (rc == 0) {
				meta = json_incref(op);
			} else {
				rc = lxd_wait_operation(c, op_path,
							c->operation_timeout_s,
							&meta, err);
				if (rc)
					goto cleanup;
			}
		}
	} else {
		rc = set_err(err, LXD_E_PROTOCOL, r.status,
			     "unknown LXD response type '%s'", type);
		goto cleanup;
	}

	if (out) {
		out->http_status = r.status;
		out->metadata = meta;
		out->etag = r.etag;
		out->operation = op_path;
		meta = NULL;
		r.etag = NULL;
		op_path = NULL;
	}
	rc = LXD_OK;
cleanup:
	json_decref(meta);
	json_decref(root);
	reply_done(&r);
	free(op_path);
	free(sbody);
	free(full);
	return rc;
}

int lxd_get(lxd_client *c, const char *path, unsigned flags, json_t **metadata,
	    char **etag, lxd_error *err)
{
	lxd_response r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = lxd_request(c, "GET", path, NULL, NULL, flags, &r, err);
	if (rc)
		return rc;
	if (metadata) {
		*metadata = r.metadata;
		r.metadata = NULL;
	}
	if (etag) {
		*etag = r.etag;
		r.etag = NULL;
	}
	lxd_response_done(&r);
	return LXD_OK;
}

int lxd_update_etag(lxd_client *c, const char *path, unsigned flags,
		    lxd_mutate_fn mutate, void *arg, lxd_error *err)
{
	json_t *cur = NULL, *body = NULL;
	char *etag = NULL;
	int attempt, rc = LXD_E_PRECONDITION;

	if (!c || !path || !mutate)
		return set_err(err, LXD_E_INVALID, 0, "invalid update request");
	for (attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
		rc = lxd_get(c, path, flags, &cur, &etag, err);
		if (rc)
			goto cleanup;
		if (!etag)
			tfp_debug("LXD GET %s returned no ETag; updating without If-Match",
				  path);
		rc = mutate(cur, arg, &body, err);
		if (rc)
			goto cleanup;
		if (!body) {
			rc = set_err(err, LXD_E_INVALID, 0,
				     "no body to PUT to %s", path);
			goto cleanup;
		}
		rc = lxd_request(c, "PUT", path, body, etag, flags, NULL, err);
		json_decref(cur);
		json_decref(body);
		free(etag);
		cur = body = NULL;
		etag = NULL;
		if (rc != LXD_E_PRECONDITION)
			goto cleanup;
		tfp_debug("LXD PUT %s: ETag changed (attempt %d of %d)", path,
			  attempt, UPDATE_ATTEMPTS);
	}
cleanup:
	json_decref(cur);
	json_decref(body);
	free(etag);
	return rc;
}

int lxd_server_info(lxd_client *c, const json_t **info, lxd_error *err)
{
	json_t *meta = NULL;
	int rc = LXD_OK;

	if (!c)
		return set_err(err, LXD_E_INVALID, 0, "no client");
	pthread_mutex_lock(&c->info_lock);
	if (!c->info) {
		rc = lxd_get(c, "/1.0", 0, &meta, NULL, err);
		if (rc == LXD_OK && !json_is_object(meta)) {
			json_decref(meta);
			meta = NULL;
			rc = set_err(err, LXD_E_PROTOCOL, 200,
				     "GET /1.0 returned no server information");
		}
		if (rc == LXD_OK)
			c->info = meta;
	}
	if (rc == LXD_OK && info)
		*info = c->info;
	pthread_mutex_unlock(&c->info_lock);
	return rc;
}

void lxd_server_info_forget(lxd_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->info_lock);
	if (c->info) {
		if (!c->info_retired)
			c->info_retired = json_array();
		/* Keep the old object alive: another thread may still read
		 * through a pointer lxd_server_info() returned. */
		if (c->info_retired)
			json_array_append_new(c->info_retired, c->info);
		else
			json_decref(c->info); /* out of memory: best effort */
		c->info = NULL;
	}
	pthread_mutex_unlock(&c->info_lock);
}

bool lxd_has_extension(lxd_client *c, const char *ext)
{
	const json_t *info = NULL;
	const json_t *exts, *v;
	const char *s;
	size_t i;

	if (!ext || lxd_server_info(c, &info, NULL) != LXD_OK)
		return false;
	exts = json_object_get(info, "api_extensions");
	json_array_foreach(exts, i, v) {
		s = json_string_value(v);
		if (s && strcmp(s, ext) == 0)
			return true;
	}
	return false;
}
