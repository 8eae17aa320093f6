/* LXD client: set-up (unix socket or pinned HTTPS, over provider/http),
 * socket resolution and path escaping. Requests are in client_request.c,
 * operations in client_operation.c, the server info in client_info.c.
 *
 * Only method, path, status and duration are logged (debug, by the HTTP
 * layer); bodies may hold certificates or tokens. */
#include "provider/lxd/client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provider/http/http_tls.h"
#include "provider/log.h"
#include "provider/lxd/client_internal.h"
#include "provider/util/cleanup.h"
#include "provider/util/url.h"

#define DEFAULT_REQUEST_TIMEOUT_MS 30000L
#define DEFAULT_OPERATION_TIMEOUT_S 600L
#define SOCKET_PATH_MAX 4096

/* ---- small helpers -------------------------------------------------- */

char *lxd_escape(const char *segment)
{
	return segment ? util_url_escape(segment) : NULL;
}

/* ---- socket resolution ---------------------------------------------- */

static const char *put_path(char *buf, size_t len, const char *a, const char *b)
{
	int n = snprintf(buf, len, "%s%s", a, b ? b : "");

	if (n < 0 || (size_t)n >= len)
		return NULL;
	return buf;
}

/* Where a local server's socket may be, in order: an environment
 * variable naming the socket or the daemon's directory, or a system path
 * (W_OK: the snap's socket is only used when we may write to it). */
static const struct socket_source {
	const char *env;    /* variable to read, or NULL */
	const char *suffix; /* appended to the variable's value */
	const char *path;   /* system path (when env is NULL) */
	int mode;           /* access() mode the system path needs */
} socket_sources[] = {
	{ "LXD_SOCKET", NULL, NULL, 0 },
	{ "LXD_DIR", "/unix.socket", NULL, 0 },
	{ "INCUS_SOCKET", NULL, NULL, 0 },
	{ "INCUS_DIR", "/unix.socket", NULL, 0 },
	{ NULL, NULL, "/var/snap/lxd/common/lxd/unix.socket", W_OK },
	{ NULL, NULL, "/var/lib/lxd/unix.socket", F_OK },
	{ NULL, NULL, "/var/lib/incus/unix.socket", F_OK },
};

const char *lxd_socket_resolve(char *buf, size_t len)
{
	const struct socket_source *s;
	const char *env;

	if (!buf || len == 0)
		return NULL;
	for (size_t i = 0; i < sizeof(socket_sources) / sizeof(*s); i++) {
		s = &socket_sources[i];
		if (s->env) {
			/* An explicit choice is honoured even if the socket
			 * is not there yet: connecting then fails with a
			 * clear error instead of silently talking to another
			 * daemon. */
			env = getenv(s->env);
			if (env && *env)
				return put_path(buf, len, env, s->suffix);
		} else if (access(s->path, s->mode) == 0) {
			return put_path(buf, len, s->path, NULL);
		}
	}
	return NULL;
}

/* ---- client ----------------------------------------------------------- */

/* HTTPS settings: the client key pair and the server pin (from a
 * fingerprint and/or a certificate, which must agree). */
static int https_opts(const lxd_client_opts *o, http_client_opts *ho,
		      char pin[HTTP_FP_HEX_LEN + 1], tfp_error *err)
{
	char fp[HTTP_FP_HEX_LEN + 1], why[128];

	if (strncmp(o->url, "https://", 8) != 0 || !o->url[8])
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "LXD url must start with https://");
	if (!o->client_cert_pem != !o->client_key_pem)
		return tfp_err_set(
			err, TFP_E_INVALID, 0,
			"client certificate and key must be given together");
	if (o->client_cert_pem &&
	    http_check_keypair(o->client_cert_pem, o->client_key_pem, why,
			       sizeof(why)) < 0)
		return tfp_err_set(err, TFP_E_INVALID, 0, "%s", why);
	pin[0] = '\0';
	if (o->server_fingerprint && *o->server_fingerprint &&
	    http_fp_normalize(o->server_fingerprint, pin) < 0)
		return tfp_err_set(
			err, TFP_E_INVALID, 0,
			"server fingerprint must be 64 hex digits (SHA-256)");
	if (o->server_cert_pem && *o->server_cert_pem) {
		if (http_pem_fingerprint(o->server_cert_pem, fp) < 0)
			return tfp_err_set(
				err, TFP_E_INVALID, 0,
				"server certificate is not a PEM certificate");
		if (pin[0] && strcmp(pin, fp) != 0)
			return tfp_err_set(
				err, TFP_E_INVALID, 0,
				"server certificate (%s) does not match server fingerprint (%s)",
				fp, pin);
		memcpy(pin, fp, sizeof(fp));
	}
	if (!o->insecure_skip_verify && !pin[0])
		return tfp_err_set(
			err, TFP_E_INVALID, 0,
			"no server certificate or fingerprint to verify %s against (set insecure_skip_verify to connect anyway)",
			o->url);
	ho->base_url = o->url;
	ho->client_cert_pem = o->client_cert_pem;
	ho->client_key_pem = o->client_key_pem;
	ho->pin_sha256 = pin[0] ? pin : NULL;
	ho->insecure = o->insecure_skip_verify;
	return TFP_OK;
}

/* Where the client connects: the test transport, pinned HTTPS or the unix
 * socket (named, or resolved into sock[SOCKET_PATH_MAX]). */
static int endpoint_opts(lxd_client *c, const lxd_client_opts *o,
			 http_client_opts *ho, char *pin, char *sock,
			 tfp_error *err)
{
	if (o->transport) {
		c->transport = o->transport;
		c->transport_ud = o->transport_ud;
		ho->base_url = "http://lxd";
		ho->transport = lxd__transport;
		ho->transport_ud = c;
		return TFP_OK;
	}
	if (o->url)
		return https_opts(o, ho, pin, err);
	ho->base_url = "http://lxd";
	ho->unix_socket = o->socket_path && *o->socket_path ?
				  o->socket_path :
				  lxd_socket_resolve(sock, SOCKET_PATH_MAX);
	if (!ho->unix_socket)
		return tfp_err_set(
			err, TFP_E_UNAVAILABLE, 0,
			"no LXD or Incus unix socket found (set the provider's "
			"socket, or LXD_SOCKET, LXD_DIR, INCUS_SOCKET or "
			"INCUS_DIR)");
	return TFP_OK;
}

DEFINE_CLEANUP_FUNC(lxd_client, lxd_client_free)

int lxd_client_new(const lxd_client_opts *o, lxd_client **out, tfp_error *err)
{
	_cleanup_(lxd_client_freep) lxd_client *c = NULL;
	_cleanup_free_ char *label = NULL;
	char sock[SOCKET_PATH_MAX], pin[HTTP_FP_HEX_LEN + 1];
	http_client_opts ho = { 0 };
	int rc;

	if (!o || !out)
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "missing client options");
	if (o->socket_path && o->url)
		return tfp_err_set(
			err, TFP_E_INVALID, 0,
			"set either a unix socket or an https url, not both");
	c = calloc(1, sizeof(*c));
	if (!c)
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	if (pthread_mutex_init(&c->info_lock, NULL) != 0) {
		free(TAKE_PTR(c));
		return tfp_err_set(err, TFP_E_NOMEM, 0, "cannot create mutex");
	}
	c->request_timeout_ms = o->request_timeout_ms > 0 ?
					o->request_timeout_ms :
					DEFAULT_REQUEST_TIMEOUT_MS;
	c->operation_timeout_s = o->operation_timeout_s > 0 ?
					 o->operation_timeout_s :
					 DEFAULT_OPERATION_TIMEOUT_S;
	c->stop = o->stop;
	c->project = strdup(o->project && *o->project ? o->project : "default");
	if (!c->project)
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	rc = endpoint_opts(c, o, &ho, pin, sock, err);
	if (rc)
		return rc;
	if (asprintf(&label, "LXD at %s%s", ho.unix_socket ? "unix:" : "",
		     ho.unix_socket ? ho.unix_socket : ho.base_url) < 0) {
		label = NULL;
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	}
	ho.label = label;
	ho.log_name = "LXD";
	ho.request_timeout_ms = c->request_timeout_ms;
	ho.retry_budget_ms = o->retry_budget_ms;
	ho.backoff_cap_ms = o->backoff_cap_ms;
	ho.max_response = LXD_MAX_RESPONSE;
	ho.stop = o->stop;
	ho.classify = lxd__classify;
	rc = http_client_new(&ho, &c->http, err);
	if (rc)
		return rc;
	*out = TAKE_PTR(c);
	return TFP_OK;
}

void lxd_client_free(lxd_client *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	free(c->project);
	json_decref(c->info);
	json_decref(c->members);
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
