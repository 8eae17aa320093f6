/* LXD client: setup (unix socket or pinned HTTPS, over provider/http),
 * errors, socket resolution, path escaping and the cached server info.
 * Requests, envelopes and operations are in client_request.c.
 *
 * Only method, path, status and duration are logged (debug, by the HTTP
 * layer); bodies may hold certificates or tokens. */
#include "provider/lxd/client.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provider/http/http_tls.h"
#include "provider/log.h"
#include "provider/lxd/client_internal.h"
#include "provider/util/text.h"

#define DEFAULT_REQUEST_TIMEOUT_MS 30000L
#define DEFAULT_OPERATION_TIMEOUT_S 600L
#define SOCKET_PATH_MAX 4096

/* ---- errors -------------------------------------------------------- */

int lxd__set_err(lxd_error *err, int code, int http_status, const char *fmt,
		 ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->http_status = http_status;
	err->outcome_unknown = false;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	util_utf8_trim(err->message, sizeof(err->message) - 1);
	return code;
}

bool lxd_error_outcome_unknown(const lxd_error *err)
{
	return err && err->outcome_unknown;
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

/* ---- small helpers -------------------------------------------------- */

bool lxd__stopped(const lxd_client *c)
{
	return c->stop && atomic_load(c->stop) != 0;
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

/* ---- client ----------------------------------------------------------- */

/* HTTPS settings: the client key pair and the server pin (from a
 * fingerprint and/or a certificate, which must agree). */
static int https_opts(const lxd_client_opts *o, http_client_opts *ho,
		      char pin[HTTP_FP_HEX_LEN + 1], lxd_error *err)
{
	char fp[HTTP_FP_HEX_LEN + 1], why[128];

	if (strncmp(o->url, "https://", 8) != 0 || !o->url[8])
		return lxd__set_err(err, LXD_E_INVALID, 0,
				    "LXD url must start with https://");
	if (!o->client_cert_pem != !o->client_key_pem)
		return lxd__set_err(err, LXD_E_INVALID, 0,
				    "client certificate and key must be given together");
	if (o->client_cert_pem &&
	    http_check_keypair(o->client_cert_pem, o->client_key_pem, why,
			       sizeof(why)) < 0)
		return lxd__set_err(err, LXD_E_INVALID, 0, "%s", why);
	pin[0] = '\0';
	if (o->server_fingerprint && *o->server_fingerprint &&
	    http_fp_normalize(o->server_fingerprint, pin) < 0)
		return lxd__set_err(err, LXD_E_INVALID, 0,
				    "server fingerprint must be 64 hex digits (SHA-256)");
	if (o->server_cert_pem && *o->server_cert_pem) {
		if (http_pem_fingerprint(o->server_cert_pem, fp) < 0)
			return lxd__set_err(err, LXD_E_INVALID, 0,
					    "server certificate is not a PEM certificate");
		if (pin[0] && strcmp(pin, fp) != 0)
			return lxd__set_err(err, LXD_E_INVALID, 0,
					    "server certificate (%s) does not match server fingerprint (%s)",
					    fp, pin);
		memcpy(pin, fp, sizeof(fp));
	}
	if (!o->insecure_skip_verify && !pin[0])
		return lxd__set_err(err, LXD_E_INVALID, 0,
				    "no server certificate or fingerprint to verify %s against (set insecure_skip_verify to connect anyway)",
				    o->url);
	ho->base_url = o->url;
	ho->client_cert_pem = o->client_cert_pem;
	ho->client_key_pem = o->client_key_pem;
	ho->pin_sha256 = pin[0] ? pin : NULL;
	ho->insecure = o->insecure_skip_verify;
	return LXD_OK;
}

/* An HTTP layer setup failure as an LXD error. */
static int http_setup_err(const tfp_error *he, lxd_error *err)
{
	int code = he->code == TFP_E_NOMEM ? LXD_E_NOMEM :
		   he->code == TFP_E_TLS ? LXD_E_TLS : LXD_E_INVALID;

	return lxd__set_err(err, code, 0, "%s", he->message);
}

int lxd_client_new(const lxd_client_opts *o, lxd_client **out, lxd_error *err)
{
	http_client_opts ho;
	tfp_error he;
	lxd_client *c = NULL;
	char sock[SOCKET_PATH_MAX], pin[HTTP_FP_HEX_LEN + 1], *label = NULL;
	const char *sp;
	int rc;

	if (!o || !out)
		return lxd__set_err(err, LXD_E_INVALID, 0,
				    "missing client options");
	if (o->socket_path && o->url)
		return lxd__set_err(err, LXD_E_INVALID, 0,
				    "set either a unix socket or an https url, not both");
	memset(&ho, 0, sizeof(ho));
	memset(&he, 0, sizeof(he));
	c = calloc(1, sizeof(*c));
	if (!c)
		return lxd__set_err(err, LXD_E_NOMEM, 0, "out of memory");
	if (pthread_mutex_init(&c->info_lock, NULL) != 0) {
		free(c);
		return lxd__set_err(err, LXD_E_NOMEM, 0, "cannot create mutex");
	}
	c->request_timeout_ms = o->request_timeout_ms > 0 ?
		o->request_timeout_ms : DEFAULT_REQUEST_TIMEOUT_MS;
	c->operation_timeout_s = o->operation_timeout_s > 0 ?
		o->operation_timeout_s : DEFAULT_OPERATION_TIMEOUT_S;
	c->stop = o->stop;
	c->project = strdup(o->project && *o->project ? o->project : "default");
	if (!c->project) {
		rc = lxd__set_err(err, LXD_E_NOMEM, 0, "out of memory");
		goto cleanup;
	}

	if (o->transport) {
		c->transport = o->transport;
		c->transport_ud = o->transport_ud;
		ho.base_url = "http://lxd";
		ho.transport = lxd__transport;
		ho.transport_ud = c;
	} else if (o->url) {
		rc = https_opts(o, &ho, pin, err);
		if (rc)
			goto cleanup;
	} else {
		sp = o->socket_path;
		if (!sp || !*sp)
			sp = lxd_socket_resolve(sock, sizeof(sock));
		if (!sp) {
			rc = lxd__set_err(err, LXD_E_UNAVAILABLE, 0,
					  "no LXD unix socket found (set LXD_SOCKET or LXD_DIR)");
			goto cleanup;
		}
		ho.base_url = "http://lxd";
		ho.unix_socket = sp;
	}
	if (asprintf(&label, "LXD at %s%s", ho.unix_socket ? "unix:" : "",
		     ho.unix_socket ? ho.unix_socket : ho.base_url) < 0) {
		label = NULL;
		rc = lxd__set_err(err, LXD_E_NOMEM, 0, "out of memory");
		goto cleanup;
	}
	ho.label = label;
	ho.log_name = "LXD";
	ho.request_timeout_ms = c->request_timeout_ms;
	ho.retry_budget_ms = o->retry_budget_ms;
	ho.backoff_cap_ms = o->backoff_cap_ms;
	ho.max_response = LXD_MAX_RESPONSE;
	ho.stop = o->stop;
	ho.classify = lxd__classify;
	if (http_client_new(&ho, &c->http, &he) != TFP_OK) {
		rc = http_setup_err(&he, err);
		goto cleanup;
	}
	free(label);
	*out = c;
	return LXD_OK;
cleanup:
	free(label);
	lxd_client_free(c);
	return rc;
}

void lxd_client_free(lxd_client *c)
{
	if (!c)
		return;
	http_client_free(c->http);
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

bool lxd_client_answering(lxd_client *c)
{
	return c && http_client_answering(c->http);
}

void lxd_client_stats(lxd_client *c, http_stats *out)
{
	http_client_stats(c ? c->http : NULL, out);
}

/* ---- server info -------------------------------------------------------- */

int lxd_server_info(lxd_client *c, const json_t **info, lxd_error *err)
{
	json_t *meta = NULL;
	int rc = LXD_OK;

	if (!c)
		return lxd__set_err(err, LXD_E_INVALID, 0, "no client");
	pthread_mutex_lock(&c->info_lock);
	if (!c->info) {
		rc = lxd_get(c, "/1.0", 0, &meta, NULL, err);
		if (rc == LXD_OK && !json_is_object(meta)) {
			json_decref(meta);
			meta = NULL;
			rc = lxd__set_err(err, LXD_E_PROTOCOL, 200,
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
