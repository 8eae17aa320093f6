/* Shared plumbing of the k8s_* resources (see k8s_res.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../duration.h"
#include "../log.h"
#include "k8s_objects.h"
#include "k8s_res.h"

#define DEFAULT_TIMEOUT_S (30L * 60)

k8s_client *k8s_res_client(tfp_ctx *ctx, const k8s_capi **capi, tf_diags *d)
{
	k8s_client *c = ctx->client;
	k8s_error err = {0};

	if (!c) {
		tf_diags_error(d, NULL, "Provider not configured",
			       "The k8s provider has no management cluster "
			       "connection yet; check the provider block "
			       "(kubeconfig_path, kubeconfig, context).");
		return NULL;
	}
	/* Until the handler bounds it by its timeouts block. */
	k8s_retry_budget_set(0);
	if (k8s_capi_discover(c, capi, &err) != K8S_OK) {
		k8s_diag(d, NULL, "Cluster API not available", &err);
		return NULL;
	}
	if (strcmp((*capi)->capi_version, "v1beta2") != 0) {
		tf_diags_error(d, NULL, "Cluster API too old",
			       "The management cluster at %s serves Cluster API "
			       "%s only; %s needs v1beta2 (Cluster API v1.11 or "
			       "newer). Upgrade with `clusterctl upgrade apply`.",
			       k8s_client_server(c), (*capi)->capi_version,
			       ctx->type_name);
		return NULL;
	}
	return c;
}

long k8s_res_timeout_or(const tf_value *obj, const char *which, long dflt)
{
	const tf_value *t = tf_value_attr(obj, "timeouts");
	const char *s = tf_value_attr_string(t, which);
	long secs;

	if (s && tfp_parse_duration(s, &secs) == 0 && secs > 0)
		return secs;
	return dflt;
}

long k8s_res_timeout(const tf_value *obj, const char *which)
{
	return k8s_res_timeout_or(obj, which, DEFAULT_TIMEOUT_S);
}

long k8s_res_budget(const tf_value *obj, const char *which)
{
	long t = k8s_res_timeout(obj, which);

	k8s_retry_budget_set(t);
	return t;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

bool k8s_res_transient(int code)
{
	return code == K8S_E_UNAVAILABLE || code == K8S_E_SERVER;
}

int k8s_res_poll(tfp_ctx *ctx, long timeout_s, k8s_check_fn check, void *arg,
		 k8s_error *err)
{
	double deadline = now_s() + (double)timeout_s;
	long sleep_ms = 250;

	for (;;) {
		int rc = check(arg, err);

		if (rc < 0 && !k8s_res_transient(rc))
			return rc;
		if (rc > 0)
			return K8S_OK;
		if (now_s() >= deadline) {
			if (rc < 0)
				return rc; /* still unreachable: say so */
			err->code = K8S_E_TIMEOUT;
			return K8S_E_TIMEOUT;
		}
		if (rc < 0)
			tfp_debug("k8s: still waiting after a transient error: %s",
				  err->message);
		/* Sleep in 100 ms slices so StopProvider is honoured. */
		for (long slept = 0; slept < sleep_ms && now_s() < deadline; slept += 100) {
			struct timespec ts = { 0, 100 * 1000000L };
			if (ctx->stop && atomic_load(ctx->stop)) {
				err->code = K8S_E_CANCELLED;
				snprintf(err->message, sizeof(err->message),
					 "Terraform asked the provider to stop");
				return K8S_E_CANCELLED;
			}
			nanosleep(&ts, NULL);
		}
		if (sleep_ms < 5000)
			sleep_ms = sleep_ms * 2 > 5000 ? 5000 : sleep_ms * 2;
	}
}

int k8s_res_create(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const json_t *obj, k8s_error *err)
{
	char *base = k8s_path(r, ns, NULL, NULL), *path = NULL;
	int rc;

	if (!base || asprintf(&path, "%s?fieldManager=%s&fieldValidation=Strict",
			      base, K8S_FIELD_MANAGER) < 0) {
		free(base);
		err->code = K8S_E_NOMEM;
		snprintf(err->message, sizeof(err->message), "out of memory");
		return K8S_E_NOMEM;
	}
	rc = k8s_request(c, "POST", path, NULL, obj, NULL, err);
	free(base);
	free(path);
	return rc;
}

int k8s_res_ensure(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const json_t *obj, k8s_error *err)
{
	const char *name = k8s_jstr(obj, "metadata.name");
	json_t *live = NULL;
	int rc = k8s_res_create(c, r, ns, obj, err);

	if (rc != K8S_E_EXISTS)
		return rc;
	rc = k8s_get(c, r, ns, name, &live, err);
	if (rc)
		return rc;
	if (!json_equal(json_object_get(live, "spec"), json_object_get(obj, "spec"))) {
		json_object_set(live, "spec", json_object_get(obj, "spec"));
		rc = k8s_replace(c, r, ns, name, live, 0, NULL, err);
	}
	json_decref(live);
	return rc;
}

int k8s_res_delete(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, k8s_error *err)
{
	int rc;

	if (!name || !*name)
		return K8S_OK;
	rc = k8s_delete(c, r, ns, name, "Background", err);
	return rc == K8S_E_NOTFOUND ? K8S_OK : rc;
}

static bool dns_label(const char *s, size_t n)
{
	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-'))
			return false;
	return true;
}

bool k8s_res_import_id(const char *id, const char *example, char **ns,
		       char **name, tf_diags *d)
{
	const char *slash = id ? strchr(id, '/') : NULL;

	if (!slash || !dns_label(id, (size_t)(slash - id)) ||
	    !dns_label(slash + 1, strlen(slash + 1))) {
		tf_diags_error(d, NULL, "Invalid import ID",
			       "Import with `namespace/name`, e.g. `terraform "
			       "import %s default/prod` (got \"%s\").", example,
			       id ? id : "");
		return false;
	}
	*ns = strndup(id, (size_t)(slash - id));
	*name = strdup(slash + 1);
	return *ns && *name;
}

void k8s_res_import(tfp_ctx *ctx, const char *id, const char *example,
		    tf_value **out, tf_diags *d)
{
	char *ns = NULL, *name = NULL;

	if (k8s_res_import_id(id, example, &ns, &name, d)) {
		*out = tf_schema_empty_object(ctx->schema);
		if (*out) {
			tf_value_object_set(*out, "namespace", tf_value_string(ns));
			tf_value_object_set(*out, "name", tf_value_string(name));
		}
	}
	free(ns);
	free(name);
}

const char *k8s_res_default_ns(tfp_ctx *ctx)
{
	const char *ns = ctx->client ? k8s_client_namespace(ctx->client) : NULL;
	return ns && *ns ? ns : "default";
}

void k8s_res_explain(k8s_client *c, const json_t *obj, const k8s_gvr *r,
		     const char *ns, const char *selector, char **buf)
{
	json_t *items = NULL, *it;
	k8s_error err = {0};
	size_t i;

	if (obj)
		k8s_false_conditions(obj, NULL, buf);
	if (!r || k8s_list(c, r, ns, selector, &items, &err) != K8S_OK)
		return;
	json_array_foreach(items, i, it) {
		/* Items of a list carry no kind: name it for the message. */
		if (!json_object_get(it, "kind"))
			json_object_set_new(it, "kind", json_string(r->kind));
		k8s_false_conditions(it, NULL, buf);
	}
	json_decref(items);
}

bool k8s_phase_incomplete(const tf_value *state)
{
	const char *ph = tf_value_attr_string(state, "phase");
	return ph && strcmp(ph, K8S_PHASE_INCOMPLETE) == 0;
}
