/* Shared plumbing of the k8s_* resources (see k8s_res.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../schema/plan.h"
#include "../duration.h"
#include "../log.h"
#include "../util/text.h"
#include "k8s_objects.h"
#include "k8s_res.h"

#define DEFAULT_TIMEOUT_S (30L * 60)

k8s_client *k8s_res_client(tfp_ctx *ctx, const k8s_capi **capi, tf_diags *d)
{
	k8s_client *c = ctx->client;
	tfp_error err = { 0 };

	if (!c) {
		tf_diags_error(d, NULL, "Provider not configured",
			       "The k8s provider has no management cluster "
			       "connection yet; check the provider block "
			       "(kubeconfig_path, kubeconfig, context).");
		return NULL;
	}
	/* Until the handler bounds it by its timeouts block. */
	k8s_retry_budget_set(0);
	if (k8s_capi_discover(c, capi, &err) != TFP_OK) {
		k8s_diag(d, NULL, "Cluster API not available", &err);
		return NULL;
	}
	if (strcmp((*capi)->capi_version, "v1beta2") != 0) {
		tf_diags_error(
			d, NULL, "Cluster API too old",
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
	return code == TFP_E_UNAVAILABLE || code == TFP_E_SERVER;
}

int k8s_res_poll(tfp_ctx *ctx, long timeout_s, k8s_check_fn check, void *arg,
		 tfp_error *err)
{
	double deadline = now_s() + (double)timeout_s;
	long sleep_ms = 250;

	for (;;) {
		int rc = check(arg, err);

		if (rc == TFP_E_TIMEOUT) {
			/* A request timed out: the server stopped answering (the
			 * client fails the rest at once). Not this wait's own
			 * deadline, so not reported as one. */
			err->code = TFP_E_UNAVAILABLE;
			return TFP_E_UNAVAILABLE;
		}
		if (rc < 0 && !k8s_res_transient(rc))
			return rc;
		if (rc > 0)
			return TFP_OK;
		if (now_s() >= deadline) {
			if (rc < 0)
				return rc; /* still unreachable: say so */
			err->code = TFP_E_TIMEOUT;
			return TFP_E_TIMEOUT;
		}
		if (rc < 0)
			tfp_debug(
				"k8s: still waiting after a transient error: %s",
				err->message);
		/* Sleep in 100 ms slices so StopProvider is honoured. */
		for (long slept = 0; slept < sleep_ms && now_s() < deadline;
		     slept += 100) {
			struct timespec ts = { 0, 100 * 1000000L };
			if (ctx->stop && atomic_load(ctx->stop)) {
				err->code = TFP_E_CANCELLED;
				snprintf(err->message, sizeof(err->message),
					 "%s", K8S_CANCELLED_MSG);
				return TFP_E_CANCELLED;
			}
			nanosleep(&ts, NULL);
		}
		if (sleep_ms < 5000)
			sleep_ms = sleep_ms * 2 > 5000 ? 5000 : sleep_ms * 2;
	}
}

int k8s_res_create(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const json_t *obj, tfp_error *err)
{
	char *base = k8s_path(r, ns, NULL, NULL), *path = NULL;
	int rc;

	if (!base ||
	    asprintf(&path, "%s?fieldManager=%s&fieldValidation=Strict", base,
		     K8S_FIELD_MANAGER) < 0) {
		free(base);
		err->code = TFP_E_NOMEM;
		snprintf(err->message, sizeof(err->message), "out of memory");
		return TFP_E_NOMEM;
	}
	rc = k8s_request(c, "POST", path, NULL, obj, NULL, err);
	free(base);
	free(path);
	return rc;
}

static bool hash_suffix(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') ||
		      (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 10;
}

char **k8s_res_stale_templates(k8s_client *c, const k8s_gvr *r, const char *ns,
			       const char *cluster, const char *base,
			       const char *keep)
{
	char sel[400], **out = NULL;
	json_t *items = NULL, *it;
	tfp_error err = { 0 };
	size_t i, n = 0, blen = base ? strlen(base) : 0;

	if (!base || !cluster)
		return NULL;
	snprintf(sel, sizeof(sel),
		 K8S_LABEL_CLUSTER "=%s," K8S_LABEL_MANAGED "=%s", cluster,
		 K8S_MANAGER);
	if (k8s_list(c, r, ns, sel, &items, &err) != TFP_OK)
		return NULL;
	json_array_foreach (items, i, it) {
		const char *name = k8s_jstr(it, "metadata.name");
		char **grown;

		if (!name || strncmp(name, base, blen) != 0 ||
		    name[blen] != '-' || !hash_suffix(name + blen + 1) ||
		    (keep && strcmp(name, keep) == 0))
			continue;
		grown = realloc(out, (n + 2) * sizeof(*out));
		if (!grown)
			break;
		out = grown;
		out[n] = strdup(name);
		if (out[n])
			n++;
		out[n] = NULL;
	}
	json_decref(items);
	return out;
}

int k8s_res_delete_stale(k8s_client *c, const k8s_gvr *r, const char *ns,
			 const char *cluster, const char *base,
			 const char *keep, bool only_count)
{
	char **stale = k8s_res_stale_templates(c, r, ns, cluster, base, keep);
	tfp_error err = { 0 };
	int n = 0;

	for (; stale && stale[n]; n++)
		if (!only_count && k8s_res_delete(c, r, ns, stale[n], &err))
			tfp_warn("cannot delete the unused %s %s/%s: %s",
				 r->kind, ns, stale[n], err.message);
	k8s_res_free_names(stale);
	return n;
}

int k8s_res_get_opt(k8s_client *c, const k8s_gvr *r, const char *ns,
		    const char *name, json_t **out, tfp_error *err)
{
	int rc;

	*out = NULL;
	if (!name || !*name)
		return TFP_OK;
	rc = k8s_get(c, r, ns, name, out, err);
	return rc == TFP_E_NOTFOUND ? TFP_OK : rc;
}

void k8s_res_free_names(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

int k8s_res_delete(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, tfp_error *err)
{
	int rc;

	if (!name || !*name)
		return TFP_OK;
	rc = k8s_delete(c, r, ns, name, "Background", err);
	return rc == TFP_E_NOTFOUND ? TFP_OK : rc;
}

static bool dns_label(const char *s, size_t n)
{
	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
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
			       "import %s default/prod` (got \"%s\").",
			       example, id ? id : "");
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
			tf_value_object_set(*out, "namespace",
					    tf_value_string(ns));
			tf_value_object_set(*out, "name",
					    tf_value_string(name));
		}
	}
	free(ns);
	free(name);
}

/* Remove the one-step path `attr` from ps. */
static void drop_path(tf_paths *ps, const char *attr)
{
	size_t i = 0;

	while (i < ps->n) {
		tf_path *p = &ps->items[i];

		if (p->n == 1 && p->steps[0].kind == TF_STEP_ATTR &&
		    strcmp(p->steps[0].name, attr) == 0) {
			tf_path_done(p);
			memmove(p, p + 1, (ps->n - i - 1) * sizeof(*p));
			ps->n--;
		} else {
			i++;
		}
	}
}

void k8s_res_unset_keeps_live(const tf_schema *s, const tf_value *prior,
			      const tf_value *config, tf_value *planned,
			      tf_paths *replace)
{
	const tf_block_def *def = tf_schema_def(s);
	bool replacing = replace->n > 0;

	if (tf_value_is_null(prior))
		return;
	for (size_t i = 0; i < def->nattrs; i++) {
		const tf_attr_def *a = &def->attrs[i];
		const tf_value *pv = tf_value_attr(prior, a->name);
		const char *ps;

		if ((a->flags & (TF_OPTIONAL | TF_COMPUTED)) !=
			    (TF_OPTIONAL | TF_COMPUTED) ||
		    !tf_schema_attr_default(s, i) ||
		    !tf_value_is_null(tf_value_attr(config, a->name)) || !pv ||
		    !tf_value_is_known(pv) || tf_value_is_null(pv))
			continue;
		ps = tf_value_get_string(pv);
		if (ps && !*ps)
			continue;
		tf_plan_set(planned, a->name, tf_value_ref((tf_value *)pv));
		drop_path(replace, a->name);
	}
	/* The planner made every computed attribute unknown because of a
	 * replacement that no longer happens: they keep their values. */
	if (replacing && replace->n == 0)
		for (size_t i = 0; i < def->nattrs; i++) {
			const tf_attr_def *a = &def->attrs[i];
			const tf_value *pv = tf_value_attr(prior, a->name);

			if ((a->flags & TF_COMPUTED) && pv &&
			    tf_value_is_null(tf_value_attr(config, a->name)) &&
			    tf_value_is_unknown(
				    tf_value_attr(planned, a->name)))
				tf_plan_set(planned, a->name,
					    tf_value_ref((tf_value *)pv));
		}
}

const char *k8s_res_default_ns(tfp_ctx *ctx)
{
	const char *ns = ctx->client ? k8s_client_namespace(ctx->client) : NULL;
	return ns && *ns ? ns : "default";
}

void k8s_res_plan_begin(tfp_ctx *ctx, const tf_value *prior,
			const tf_value *config, tf_value *planned,
			tf_paths *replace)
{
	k8s_retry_budget_set(0);
	k8s_res_unset_keeps_live(ctx->schema, prior, config, planned, replace);
	if (tf_value_is_unknown(tf_value_attr(planned, "namespace")) &&
	    tf_value_is_null(tf_value_attr(config, "namespace")))
		tf_plan_set(planned, "namespace",
			    tf_value_string(k8s_res_default_ns(ctx)));
}

void k8s_res_explain(k8s_client *c, const json_t *obj, const k8s_gvr *r,
		     const char *ns, const char *selector, char **buf)
{
	json_t *items = NULL, *it;
	tfp_error err = { 0 };
	size_t i;

	if (obj)
		k8s_false_conditions(obj, NULL, buf);
	if (!r || k8s_list(c, r, ns, selector, &items, &err) != TFP_OK)
		return;
	json_array_foreach (items, i, it) {
		/* Items of a list carry no kind: name it for the message. */
		if (!json_object_get(it, "kind"))
			json_object_set_new(it, "kind", json_string(r->kind));
		k8s_false_conditions(it, NULL, buf);
	}
	json_decref(items);
}

void k8s_res_wait_failed(tf_diags *d, const k8s_wait_words *w, int rc,
			 const tfp_error *err, const char *ns, const char *name,
			 const char *which, long timeout_s, const char *why,
			 const char *conditions)
{
	char summary[128];

	if (!why)
		why = "not ready";
	if (rc == TFP_E_TIMEOUT) {
		snprintf(summary, sizeof(summary), "%s not ready in time",
			 w->title);
		tf_diags_error(d, NULL, summary,
			       "%s %s/%s did not become ready within "
			       "timeouts.%s (%lds): %s.\nFalse conditions:%s\n"
			       "The objects are kept; fix the cause%s and "
			       "apply again, or raise timeouts.%s.",
			       w->kind, ns, name, which, timeout_s, why,
			       conditions ? conditions : " none reported",
			       w->fix, which);
	} else if (rc == TFP_E_CANCELLED) {
		snprintf(summary, sizeof(summary),
			 "Stopped while waiting for the %s", w->noun);
		tf_diags_error(d, NULL, summary,
			       "Terraform asked the provider to stop (Ctrl-C) "
			       "while %s %s/%s was not ready yet (%s). What "
			       "exists is kept in the state; %s",
			       w->stopped, ns, name, why, w->resume);
	} else if (rc) {
		snprintf(summary, sizeof(summary), "Cannot wait for the %s",
			 w->noun);
		k8s_diag(d, NULL, summary, err);
	}
}

bool k8s_phase_incomplete(const tf_value *state)
{
	const char *ph = tf_value_attr_string(state, "phase");
	return ph && strcmp(ph, K8S_PHASE_INCOMPLETE) == 0;
}

/* ---- errors as diagnostics ------------------------------------------------- */

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*off += (size_t)n;
	if (*off >= len)
		*off = len - 1;
}

/* What to do about it, for the codes a user can act on. */
static const char *hint_for(const tfp_error *e)
{
	switch (e->code) {
	case TFP_E_UNAUTHORIZED:
		return "The management cluster rejected the credentials: check the "
		       "user of the kubeconfig context (token, client certificate "
		       "or exec plugin) and that it has not expired.";
	case TFP_E_FORBIDDEN:
		return "The credentials are valid but not allowed to do this: grant "
		       "the user RBAC permissions on the Cluster API objects, "
		       "Secrets and Namespaces.";
	case TFP_E_UNAVAILABLE:
		return "The management cluster is unreachable or overloaded: check "
		       "the kubeconfig server URL and that the API server is up, "
		       "then retry.";
	case TFP_E_TLS:
		return "Check certificate-authority(-data) and tls-server-name of the "
		       "kubeconfig cluster.";
	case TFP_E_TIMEOUT:
		return "The request did not finish in time; retry, or check the "
		       "API server's health.";
	case TFP_E_CANCELLED:
		return "Terraform asked the provider to stop (Ctrl-C).";
	default: return NULL;
	}
}

const char *k8s_error_text(const tfp_error *e, char *buf, size_t len)
{
	size_t off = 0, i;
	const char *hint;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!e) {
		append(buf, len, &off, "unknown error");
		return buf;
	}
	append(buf, len, &off, "%s",
	       e->message[0] ? e->message : tfp_code_str(e->code));
	if (e->http_status && e->reason[0])
		append(buf, len, &off, " (reason %s, HTTP %d)", e->reason,
		       e->http_status);
	else if (e->http_status)
		append(buf, len, &off, " (HTTP %d)", e->http_status);
	for (i = 0; i < e->ncauses; i++) {
		const tfp_cause *kc = &e->causes[i];

		if (!kc->message[0] && !kc->field[0])
			continue;
		/* The message usually repeats the cause; show distinct ones. */
		if (kc->message[0] && strstr(e->message, kc->message) &&
		    !kc->field[0])
			continue;
		append(buf, len, &off, "\n  - %s%s%s", kc->field,
		       kc->field[0] ? ": " : "",
		       kc->message[0] ? kc->message : kc->reason);
	}
	if (e->request[0])
		append(buf, len, &off, "\nRequest: %s", e->request);
	hint = hint_for(e);
	if (hint)
		append(buf, len, &off, "\n%s", hint);
	util_utf8_trim(buf, len - 1);
	return buf;
}

void k8s_diag(tf_diags *d, const tf_path *path, const char *summary,
	      const tfp_error *err)
{
	char text[4096];

	k8s_error_text(err, text, sizeof(text));
	tf_diags_add(d, TF_DIAG_ERROR, path, summary, "%s", text);
}
