/* Kubernetes client set-up: the kubeconfig context onto provider/http (CA,
 * client certificate, tls-server-name, proxy, the retry settings of
 * k8s_client.h), the credentials (k8s_creds.c), the test transport. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/secret.h"
#include "../util/url.h"
#include "k8s_internal.h"

#define DEFAULT_TIMEOUT_MS 30000L

/* ---- the test transport, behind the HTTP layer ------------------------ */

/* The Authorization value among a request's header lines, or NULL. */
static const char *authorization(const http_request *req)
{
	static const char name[] = "Authorization: ";
	const char *const *h;

	for (h = req->headers; h && *h; h++)
		if (strncmp(*h, name, sizeof(name) - 1) == 0)
			return *h + sizeof(name) - 1;
	return NULL;
}

static int transport(void *ud, const http_request *req, http_response *resp)
{
	k8s_client *c = ud;
	k8s_http_reply r = { 0 };
	int rc;

	rc = c->transport(c->transport_ud, req->method, req->path,
			  req->body ? (req->content_type ? req->content_type :
							   "application/json") :
				      NULL,
			  req->body, authorization(req), &r);
	if (rc != 0) {
		free(r.body);
		free(r.retry_after);
		return rc;
	}
	resp->status = r.status;
	resp->body = r.body;
	resp->body_len = r.body_len;
	resp->retry_after = r.retry_after;
	return HTTP_OK;
}

/* ---- set-up ---------------------------------------------------------- */

static char *xdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The strings the client keeps; false when out of memory. */
static bool copy_settings(k8s_client *c, const k8s_client_opts *o,
			  const kubeconfig *kc)
{
	c->server = xdup(kc->server);
	c->tls_server_name = xdup(kc->tls_server_name);
	if (kc->ca_pem && (c->ca_pem = malloc(kc->ca_pem_len + 1))) {
		memcpy(c->ca_pem, kc->ca_pem, kc->ca_pem_len);
		c->ca_pem[kc->ca_pem_len] = '\0';
		c->ca_len = kc->ca_pem_len;
	}
	c->insecure = kc->insecure_skip_tls_verify;
	c->source = xdup(kc->source ? kc->source : "kubeconfig");
	c->context = xdup(kc->context ? kc->context : "");
	c->user_name = xdup(kc->user_name ? kc->user_name : "");
	c->namespace = xdup(o->namespace && *o->namespace   ? o->namespace :
			    kc->namespace && *kc->namespace ? kc->namespace :
							      "default");
	c->field_manager = xdup(o->field_manager ? o->field_manager :
						   "terraform-lxdcapi");
	c->stop = o->stop;
	c->transport = o->transport;
	c->transport_ud = o->transport_ud;
	c->gv_lists = json_object();
	c->strings = json_array();
	return c->server && (!kc->tls_server_name || c->tls_server_name) &&
	       (!kc->ca_pem || c->ca_pem) && c->source && c->context &&
	       c->user_name && c->namespace && c->field_manager &&
	       c->gv_lists && c->strings;
}

static void copy_warnings(k8s_client *c, const kubeconfig *kc)
{
	size_t i;

	if (!kc->nwarnings)
		return;
	c->warnings = calloc(kc->nwarnings, sizeof(char *));
	for (i = 0; c->warnings && i < kc->nwarnings; i++)
		if ((c->warnings[c->nwarnings] = xdup(kc->warnings[i])))
			c->nwarnings++;
}

/* The HTTP client: where, TLS, the one retry policy with the settings
 * k8s_client.h states, and the breaker (cooldown: one request timeout). */
static int http_setup(k8s_client *c, const k8s_client_opts *o,
		      const kubeconfig *kc, tfp_error *err)
{
	http_client_opts ho = { 0 };
	_cleanup_free_ char *label = NULL;
	int rc;

	if (asprintf(&label,
		     "the management cluster at %s (%s, context \"%s\")",
		     c->server, c->source, c->context) < 0) {
		label = NULL;
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	}
	ho.base_url = c->server;
	ho.label = label;
	ho.log_name = "Kubernetes";
	ho.user_agent = o->user_agent;
	ho.ca_pem = c->ca_pem;
	ho.ca_len = c->ca_len;
	ho.client_cert_pem = kc->client_cert_pem;
	ho.client_key_pem = kc->client_key_pem;
	ho.tls_server_name = c->tls_server_name;
	ho.proxy = kc->proxy_url;
	ho.insecure = c->insecure;
	ho.request_timeout_ms = o->request_timeout_ms > 0 ?
					o->request_timeout_ms :
					DEFAULT_TIMEOUT_MS;
	ho.retry_budget_ms = K8S_RETRY_BUDGET_S * 1000L;
	ho.max_retries = K8S_MAX_RETRIES;
	ho.backoff_base_ms = K8S_RETRY_BASE_MS;
	ho.backoff_cap_ms = K8S_RETRY_CAP_MS;
	ho.jitter = HTTP_JITTER_EQUAL;
	ho.max_retry_after_ms = K8S_MAX_RETRY_AFTER_S * 1000L;
	ho.retry_after_capped = true;
	ho.max_response = K8S_MAX_RESPONSE;
	ho.stop = o->stop;
	ho.classify = k8s__classify;
	if (o->transport) {
		ho.transport = transport;
		ho.transport_ud = c;
	}
	rc = http_client_new(&ho, &c->http, err);
	if (rc == TFP_E_INVALID)
		return tfp_err_set(err, TFP_E_CONFIG, 0,
				   "%s, context \"%s\": %s", c->source,
				   c->context, err ? err->message : "");
	return rc;
}

/* The checks that need no copy: which server, and a usable key pair. */
static int check_kubeconfig(const kubeconfig *kc, tfp_error *err)
{
	if (!kc || !kc->server)
		return tfp_err_set(err, TFP_E_CONFIG, 0,
				   "no kubeconfig context given");
	if (!util_url_is_http(kc->server))
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s, context \"%s\": server \"%.200s\" is not an "
			"https:// URL",
			kc->source, kc->context, kc->server);
	if (!kc->client_cert_pem != !kc->client_key_pem)
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s, context \"%s\": a client certificate needs its key",
			kc->source, kc->context);
	return TFP_OK;
}

DEFINE_CLEANUP_FUNC(k8s_client, k8s_client_free)

int k8s_client_new(const k8s_client_opts *o, k8s_client **out, tfp_error *err)
{
	_cleanup_(k8s_client_freep) k8s_client *c = NULL;
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	rc = check_kubeconfig(o->kc, err);
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	pthread_mutex_init(&c->disc_lock, NULL);
	if (!copy_settings(c, o, o->kc))
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	rc = k8s__creds_init(c, o->kc, err);
	if (!rc)
		rc = http_setup(c, o, o->kc, err);
	if (rc)
		return rc;
	copy_warnings(c, o->kc);
	*out = TAKE_PTR(c);
	return TFP_OK;
}

void k8s_client_free(k8s_client *c)
{
	size_t i;

	if (!c)
		return;
	http_client_free(c->http);
	k8s__creds_done(&c->creds);
	free(c->server);
	free(c->tls_server_name);
	free(c->ca_pem);
	free(c->source);
	free(c->context);
	free(c->user_name);
	free(c->namespace);
	free(c->field_manager);
	for (i = 0; i < c->nwarnings; i++)
		free(c->warnings[i]);
	free(c->warnings);
	json_decref(c->apis);
	json_decref(c->gv_lists);
	json_decref(c->strings);
	pthread_mutex_destroy(&c->disc_lock);
	free(c);
}

const char *k8s_client_namespace(const k8s_client *c)
{
	return c->namespace;
}

const char *k8s_client_server(const k8s_client *c)
{
	return c->server;
}

size_t k8s_client_nwarnings(const k8s_client *c)
{
	return c->nwarnings;
}

const char *k8s_client_warning(const k8s_client *c, size_t i)
{
	return i < c->nwarnings ? c->warnings[i] : NULL;
}
