/* Ephemeral resource k8s_cluster_kubeconfig: the admin kubeconfig of a
 * workload cluster, read from the Secret `<name>-kubeconfig` (data.value,
 * base64) that Cluster API's control plane provider writes. Ephemeral, so
 * it never lands in plan or state files. The value is never logged.
 *
 * Open, in the order things exist:
 *  - the Secret exists: the result, wholly known;
 *  - the Cluster does not exist: the result with `kubeconfig` and `server`
 *    UNKNOWN plus a warning. Terraform 1.11 opens an ephemeral resource
 *    during plan whenever its configuration is known (a k8s_cluster's
 *    name is), sends no client capabilities, so plan and apply cannot be
 *    told apart; it checks the result like a plan against a null prior
 *    (objchange.AssertPlanValid), which accepts unknown computed
 *    attributes. At apply the k8s_cluster that creates the Cluster has
 *    waited for its kubeconfig Secret, and the open reads it;
 *  - the Cluster exists but not yet its Secret (control plane not
 *    initialised): poll for the Secret until timeouts.open (default 10m)
 *    or StopProvider; a timeout is an error listing the False conditions
 *    of the Cluster and its control plane. A Cluster being deleted or
 *    removed meanwhile counts as "does not exist"; a paused one is an
 *    error at once (it will not progress). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../duration.h"
#include "../log.h"
#include "../resource.h"
#include "../util/b64.h"
#include "../util/secret.h"
#include "../util/text.h"
#include "k8s_client.h"
#include "k8s_objects.h"
#include "k8s_res.h"
#include "kubeconfig.h"

#define OPEN_TIMEOUT_S (10L * 60)

static const tf_attr_def timeouts_attrs[] = {
	{ "open", "\"string\"", TF_OPTIONAL, NULL,
	  "How long to wait for the kubeconfig Secret of a Cluster that exists "
	  "but whose control plane is not initialised yet (default `10m`).",
	  tfp_validate_duration },
};

static const tf_block_def timeouts_block = {
	.attrs = timeouts_attrs,
	.nattrs = TF_COUNT(timeouts_attrs),
	.description = "Bound on the wait done by open.",
};

static const tf_nested_block_def blocks[] = {
	{ "timeouts", TF_NEST_SINGLE, &timeouts_block, 0, 0, 0 },
};

static const tf_attr_def attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED, NULL,
	  "Name of the Cluster API `Cluster` (for example "
	  "`k8s_cluster.example.name`)." },
	{ "namespace", "\"string\"", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "Namespace of the Cluster. Defaults to the provider's `namespace`, "
	  "then the kubeconfig context's namespace, then `default`; the "
	  "namespace read is reported back." },
	{ "kubeconfig", "\"string\"", TF_COMPUTED | TF_SENSITIVE, NULL,
	  "The workload cluster's admin kubeconfig (YAML), exactly as Cluster "
	  "API wrote it in the Secret `<name>-kubeconfig`. Unknown while the "
	  "Cluster does not exist." },
	{ "server", "\"string\"", TF_COMPUTED, NULL,
	  "API server URL of the kubeconfig's current context "
	  "(null if it cannot be parsed; unknown while the Cluster does not "
	  "exist)." },
};

static const tf_block_def schema = {
	.attrs = attrs,
	.nattrs = TF_COUNT(attrs),
	.blocks = blocks,
	.nblocks = TF_COUNT(blocks),
	.description =
		"Reads the admin kubeconfig of a Cluster API workload "
		"cluster (the `<name>-kubeconfig` Secret) without storing "
		"it in the plan or state.",
};

/* Outcomes of looking for the kubeconfig. */
enum { KC_ERROR = -1, KC_NO_CLUSTER = 0, KC_FOUND = 1 };

struct wait_arg {
	k8s_client *c;
	const k8s_capi *capi;
	const char *ns, *name, *sname;
	json_t *secret;  /* set when found */
	json_t *cluster; /* last Cluster read (for the timeout report) */
	bool gone;       /* the Cluster vanished or is being deleted */
};

static bool deleting(const json_t *obj)
{
	return k8s_jstr(obj, "metadata.deletionTimestamp") != NULL;
}

/* k8s_check_fn: 1 when the Secret exists (or the Cluster is gone), 0 to
 * keep waiting, a negative k8s_code on an API error. */
static int check_secret(void *argv, tfp_error *err)
{
	struct wait_arg *a = argv;
	json_t *cl = NULL;
	int rc = k8s_get(a->c, &k8s_gvr_secret, a->ns, a->sname, &a->secret,
			 err);

	if (rc != TFP_E_NOTFOUND)
		return rc == TFP_OK ? 1 : rc;
	rc = k8s_get(a->c, &a->capi->cluster, a->ns, a->name, &cl, err);
	if (rc == TFP_E_NOTFOUND || (rc == TFP_OK && deleting(cl))) {
		json_decref(cl);
		a->gone = true;
		return 1;
	}
	if (rc != TFP_OK)
		return rc;
	json_decref(a->cluster);
	a->cluster = cl;
	return 0;
}

static void no_cluster_warning(k8s_client *c, const char *ns, const char *name,
			       bool being_deleted, tf_diags *d)
{
	tf_path p = { 0 };

	tf_path_push_attr(&p, "name");
	tf_diags_warn(
		d, &p,
		being_deleted ? "Cluster is being deleted" :
				"Cluster does not exist yet",
		"There is %s Cluster API Cluster \"%s\" in namespace \"%s\" on "
		"%s, so its kubeconfig cannot be read now: `kubeconfig` and "
		"`server` stay unknown until it exists. When a k8s_cluster in "
		"this configuration creates it, apply reads the kubeconfig once "
		"that cluster is ready; otherwise check `name` and `namespace`.",
		being_deleted ? "only a deleting" : "no", name, ns,
		k8s_client_server(c));
	tf_path_done(&p);
}

/* The Secret is missing: decide between "no Cluster (yet)" and waiting for
 * the Cluster's control plane to write it. On KC_FOUND *secret is set. */
static int wait_for_secret(tfp_ctx *ctx, k8s_client *c, const tf_value *config,
			   const char *ns, const char *name, const char *sname,
			   json_t **secret, tf_diags *d)
{
	struct wait_arg a = { .c = c, .ns = ns, .name = name, .sname = sname };
	long timeout = k8s_res_timeout_or(config, "open", OPEN_TIMEOUT_S);
	tfp_error err = { 0 };
	char *why = NULL;
	int rc;

	rc = k8s_capi_discover(c, &a.capi, &err);
	if (rc == TFP_OK)
		rc = k8s_get(c, &a.capi->cluster, ns, name, &a.cluster, &err);
	if (rc == TFP_E_NOTFOUND || (rc == TFP_OK && deleting(a.cluster))) {
		no_cluster_warning(c, ns, name, rc == TFP_OK, d);
		json_decref(a.cluster);
		return KC_NO_CLUSTER;
	}
	if (rc != TFP_OK) {
		k8s_diag(d, NULL, "Cannot read the Cluster", &err);
		return KC_ERROR;
	}
	if (k8s_cluster_paused(a.cluster)) {
		tf_diags_attr_error(
			d, "name", "Kubeconfig not available: cluster paused",
			"Cluster \"%s/%s\" exists but its kubeconfig Secret "
			"\"%s\" does not, and the Cluster is paused (spec.paused "
			"or the cluster.x-k8s.io/paused annotation), so Cluster "
			"API will not write it. Unpause the cluster.",
			ns, name, sname);
		json_decref(a.cluster);
		return KC_ERROR;
	}
	tfp_debug("k8s_cluster_kubeconfig: waiting up to %lds for Secret %s/%s",
		  timeout, ns, sname);
	rc = k8s_res_poll(ctx, timeout, check_secret, &a, &err);
	if (rc == TFP_OK && a.gone) {
		no_cluster_warning(c, ns, name, true, d);
		rc = KC_NO_CLUSTER;
	} else if (rc == TFP_OK) {
		*secret = a.secret;
		a.secret = NULL;
		rc = KC_FOUND;
	} else if (rc == TFP_E_TIMEOUT) {
		json_t *kcp = NULL;
		tfp_error e2 = { 0 };

		k8s_res_explain(c, a.cluster, NULL, ns, NULL, &why);
		if (k8s_get(c, &a.capi->kubeadm_control_plane, ns, name, &kcp,
			    &e2) == TFP_OK)
			k8s_res_explain(c, kcp, NULL, ns, NULL, &why);
		json_decref(kcp);
		tf_diags_attr_error(
			d, "name", "Kubeconfig not available in time",
			"Cluster \"%s/%s\" exists but its kubeconfig Secret "
			"\"%s\" was still missing after timeouts.open (%lds): "
			"its control plane is not initialised.\nFalse "
			"conditions:%s\nFix the cause (see the conditions; "
			"often the LXD side), or raise timeouts.open.",
			ns, name, sname, timeout, why ? why : " none reported");
		rc = KC_ERROR;
	} else {
		char summary[400];

		snprintf(summary, sizeof(summary),
			 "Cannot wait for Secret %s/%s", ns, sname);
		k8s_diag(d, NULL, summary, &err);
		rc = KC_ERROR;
	}
	free(why);
	json_decref(a.secret);
	json_decref(a.cluster);
	return rc;
}

/* The result with the Secret's kubeconfig, or NULL with an error. */
static tf_value *result_from(tfp_ctx *ctx, const json_t *secret, const char *ns,
			     const char *name, const char *sname, tf_diags *d)
{
	const char *b64 = json_string_value(
		json_object_get(json_object_get(secret, "data"), "value"));
	kubeconfig_source src = { 0 };
	kubeconfig *kc = NULL;
	tf_value *out = NULL;
	char *text = NULL;
	size_t len = 0;

	if (!b64 || !(text = util_b64_decode(b64, strlen(b64), &len)) ||
	    !util_utf8_valid(text, len)) {
		tf_diags_attr_error(
			d, "name", "Invalid kubeconfig Secret",
			"Secret %s/%s has no base64 `data.value` holding "
			"a UTF-8 kubeconfig. Cluster API writes it there; "
			"was the Secret replaced by something else?",
			ns, sname);
		goto out;
	}
	out = tf_value_object_new(tf_schema_type(ctx->schema));
	tf_value_object_set(out, "name", tf_value_string(name));
	tf_value_object_set(out, "namespace", tf_value_string(ns));
	tf_value_object_set(out, "kubeconfig", tf_value_string_n(text, len));
	src.content = text;
	src.content_len = len;
	if (kubeconfig_load(&src, &kc, NULL) == TFP_OK && kc->server)
		tf_value_object_set(out, "server", tf_value_string(kc->server));
	kubeconfig_free(kc);
out:
	util_secret_free_n(text, len);
	return out;
}

static void open_kc(tfp_ctx *ctx, const tf_value *config, tf_value **result,
		    int64_t *renew_at, tf_diags *d)
{
	k8s_client *c = ctx->client;
	const char *name = tf_value_attr_string(config, "name");
	const char *ns = tf_value_attr_string(config, "namespace");
	char sname[300], summary[400];
	tfp_error err = { 0 };
	json_t *secret = NULL;
	tf_value *out;
	int rc;

	(void)renew_at;
	k8s_retry_budget_set(
		k8s_res_timeout_or(config, "open", OPEN_TIMEOUT_S));
	if (!ns || !*ns)
		ns = k8s_client_namespace(c);
	if (!name || !*name) {
		tf_diags_attr_error(
			d, "name", "Missing cluster name",
			"Set `name` to the Cluster API Cluster's name.");
		return;
	}
	snprintf(sname, sizeof(sname), "%s-kubeconfig", name);
	rc = k8s_get(c, &k8s_gvr_secret, ns, sname, &secret, &err);
	if (rc == TFP_E_NOTFOUND) {
		rc = wait_for_secret(ctx, c, config, ns, name, sname, &secret,
				     d);
		if (rc == KC_ERROR)
			return;
		if (rc == KC_NO_CLUSTER) {
			/* Not readable yet: computed attributes unknown (see the
			 * comment at the top). */
			out = tf_value_object_new(tf_schema_type(ctx->schema));
			tf_value_object_set(out, "name", tf_value_string(name));
			tf_value_object_set(out, "namespace",
					    tf_value_string(ns));
			tf_value_object_set(out, "kubeconfig",
					    tf_value_unknown(tf_type_string()));
			tf_value_object_set(out, "server",
					    tf_value_unknown(tf_type_string()));
			tf_value_object_set(
				out, "timeouts",
				tf_value_ref(
					(tf_value *)tf_value_attr(config,
								  "timeouts")));
			*result = out;
			return;
		}
	} else if (rc != TFP_OK) {
		snprintf(summary, sizeof(summary), "Cannot read Secret %s/%s",
			 ns, sname);
		k8s_diag(d, NULL, summary, &err);
		return;
	}
	out = result_from(ctx, secret, ns, name, sname, d);
	if (out)
		tf_value_object_set(out, "timeouts",
				    tf_value_ref((tf_value *)tf_value_attr(
					    config, "timeouts")));
	*result = out;
	json_decref(secret);
}

const tfp_ephemeral k8s_cluster_kubeconfig_ephemeral = {
	.type_name = "k8s_cluster_kubeconfig",
	.schema = &schema,
	.open = open_kc,
};
