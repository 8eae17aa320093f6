/* Ephemeral resource k8s_cluster_kubeconfig: the admin kubeconfig of a
 * workload cluster, read from the Secret `<name>-kubeconfig` (data.value,
 * base64) that Cluster API's control plane provider writes. Ephemeral, so
 * it never lands in plan or state files. The value is never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../resource.h"
#include "k8s_client.h"
#include "kubeconfig.h"

static const tf_attr_def attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED, NULL,
	  "Name of the Cluster API `Cluster` (for example "
	  "`k8s_cluster.example.name`)." },
	{ "namespace", "\"string\"", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "Namespace of the Cluster. Defaults to the provider's `namespace`, "
	  "then the kubeconfig context's namespace, then `default`." },
	{ "kubeconfig", "\"string\"", TF_COMPUTED | TF_SENSITIVE, NULL,
	  "The workload cluster's admin kubeconfig (YAML). Sensitive." },
	{ "server", "\"string\"", TF_COMPUTED, NULL,
	  "API server URL of the workload cluster, taken from the kubeconfig "
	  "(null if it cannot be parsed)." },
};

static const tf_block_def schema = {
	.attrs = attrs,
	.nattrs = TF_COUNT(attrs),
	.description = "Reads the admin kubeconfig of a Cluster API workload "
		       "cluster (the `<name>-kubeconfig` Secret) without storing "
		       "it in the plan or state.",
};

/* Is s valid UTF-8 without NULs (Terraform strings must be)? */
static bool utf8_ok(const char *s, size_t n)
{
	size_t i = 0, k, need;
	unsigned char c;

	while (i < n) {
		c = (unsigned char)s[i];
		if (c == 0)
			return false;
		need = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
			: (c & 0xF8) == 0xF0 ? 3 : 9;
		if (need == 9 || i + need >= n + (need ? 0 : 1))
			return false;
		for (k = 1; k <= need; k++)
			if (((unsigned char)s[i + k] & 0xC0) != 0x80)
				return false;
		i += need + 1;
	}
	return true;
}

/* The Secret is missing: say whether the Cluster itself exists. */
static void missing_secret(k8s_client *c, const char *ns, const char *name,
			   tf_diags *d)
{
	const k8s_capi *capi;
	k8s_error err = {0};
	json_t *cl = NULL;
	int rc;

	rc = k8s_capi_discover(c, &capi, &err);
	if (rc == K8S_OK)
		rc = k8s_get(c, &capi->cluster, ns, name, &cl, &err);
	json_decref(cl);
	if (rc == K8S_E_NOTFOUND) {
		tf_diags_attr_error(d, "name", "Cluster not found",
				    "There is no Cluster API Cluster \"%s\" in "
				    "namespace \"%s\" on %s. Check `name` and "
				    "`namespace`, or create the cluster first.",
				    name, ns, k8s_client_server(c));
	} else if (rc == K8S_OK) {
		tf_diags_attr_error(d, "name", "Kubeconfig not available yet",
				    "Cluster \"%s/%s\" exists but its kubeconfig "
				    "Secret \"%s-kubeconfig\" does not yet: the "
				    "control plane is not initialised. Make this "
				    "depend on a k8s_cluster that waits for "
				    "readiness, or retry later.", ns, name, name);
	} else {
		tf_diags_attr_error(d, "name", "Kubeconfig not found",
				    "The Secret \"%s-kubeconfig\" does not exist in "
				    "namespace \"%s\" on %s (the Cluster could not be "
				    "checked: %s).", name, ns, k8s_client_server(c),
				    err.message);
	}
}

static void open_kc(tfp_ctx *ctx, const tf_value *config, tf_value **result,
		    int64_t *renew_at, tf_diags *d)
{
	k8s_client *c = ctx->client;
	const char *name = tf_value_attr_string(config, "name");
	const char *ns = tf_value_attr_string(config, "namespace");
	char sname[300], summary[400], errbuf[256];
	k8s_error err = {0};
	json_t *secret = NULL;
	const char *b64;
	char *text = NULL;
	size_t len = 0;
	kubeconfig_source src = {0};
	kubeconfig *kc = NULL;
	tf_value *out;
	int rc;

	(void)renew_at;
	if (!ns || !*ns)
		ns = k8s_client_namespace(c);
	if (!name || !*name) {
		tf_diags_attr_error(d, "name", "Missing cluster name",
				    "Set `name` to the Cluster API Cluster's name.");
		return;
	}
	snprintf(sname, sizeof(sname), "%s-kubeconfig", name);
	rc = k8s_get(c, &k8s_gvr_secret, ns, sname, &secret, &err);
	if (rc == K8S_E_NOTFOUND) {
		missing_secret(c, ns, name, d);
		return;
	}
	if (rc != K8S_OK) {
		snprintf(summary, sizeof(summary), "Cannot read Secret %s/%s", ns, sname);
		k8s_diag(d, NULL, summary, &err);
		return;
	}
	b64 = json_string_value(json_object_get(json_object_get(secret, "data"), "value"));
	if (!b64 || kc_base64_decode(b64, strlen(b64), &text, &len) != 0 ||
	    !utf8_ok(text, len)) {
		tf_diags_attr_error(d, "name", "Invalid kubeconfig Secret",
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
	if (kubeconfig_load(&src, &kc, errbuf, sizeof(errbuf)) == 0 && kc->server)
		tf_value_object_set(out, "server", tf_value_string(kc->server));
	kubeconfig_free(kc);
	*result = out;
out:
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	json_decref(secret);
}

const tfp_ephemeral k8s_cluster_kubeconfig_ephemeral = {
	.type_name = "k8s_cluster_kubeconfig",
	.schema = &schema,
	.open = open_kc,
};
