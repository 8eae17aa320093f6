/* The lxdcapi/k8s provider type: settings for the Cluster API management
 * cluster and the table of k8s_* resources and ephemeral resources. */
#include <stdlib.h>

#include "../log.h"
#include "../resource.h"
#include "k8s_client.h"
#include "kubeconfig.h"

/* The types of this provider, one row each (see resource.h): a new
 * resource is its file plus a row here. */
#define K8S_RESOURCES(X)                                                       \
	X(k8s_cluster_resource)                                                \
	X(k8s_machine_pool_resource)
#define K8S_EPHEMERALS(X) X(k8s_cluster_kubeconfig_ephemeral)

K8S_RESOURCES(TFP_EXTERN_RESOURCE)
K8S_EPHEMERALS(TFP_EXTERN_EPHEMERAL)

static const tfp_resource *const k8s_resources[] = { K8S_RESOURCES(
	TFP_ADDRESS_OF) };

static const tfp_ephemeral *const k8s_ephemerals[] = { K8S_EPHEMERALS(
	TFP_ADDRESS_OF) };

static const tf_attr_def k8s_provider_attrs[] = {
	{ "kubeconfig_path", "\"string\"", TF_OPTIONAL, NULL,
	  "Path to a kubeconfig file for the management cluster. Defaults to "
	  "the first entry of `$KUBECONFIG`, then `~/.kube/config`." },
	{ "kubeconfig", "\"string\"", TF_OPTIONAL | TF_SENSITIVE, NULL,
	  "Inline kubeconfig content (YAML). Takes precedence over "
	  "`kubeconfig_path`; relative file references in it are relative to "
	  "the working directory." },
	{ "context", "\"string\"", TF_OPTIONAL, NULL,
	  "Kubeconfig context to use. Defaults to the kubeconfig's "
	  "`current-context`." },
	{ "namespace", "\"string\"", TF_OPTIONAL, NULL,
	  "Default namespace for resources that do not set one. Defaults to "
	  "the context's namespace, then `default`." },
};

static const tf_block_def k8s_provider_schema = {
	.attrs = k8s_provider_attrs,
	.nattrs = TF_COUNT(k8s_provider_attrs),
	.description = "Manages Kubernetes clusters on LXD through Cluster API "
		       "(the CAPN infrastructure provider).",
};

static void k8s_provider_validate(const tf_value *config, tf_diags *d)
{
	const char *path = tf_value_attr_string(config, "kubeconfig_path");
	const char *ctx = tf_value_attr_string(config, "context");
	const char *ns = tf_value_attr_string(config, "namespace");

	if (path && tf_value_attr_string(config, "kubeconfig"))
		tf_diags_warn(
			d, NULL, "Both kubeconfig and kubeconfig_path are set",
			"The inline `kubeconfig` is used; `kubeconfig_path` "
			"(%s) is ignored. Remove one of them.",
			path);
	if (path && !*path)
		tf_diags_attr_error(
			d, "kubeconfig_path", "Empty kubeconfig path",
			"Set a file path, or remove `kubeconfig_path` to "
			"use $KUBECONFIG or ~/.kube/config.");
	if (ctx && !*ctx)
		tf_diags_attr_error(d, "context", "Empty context name",
				    "Set a context of the kubeconfig, or remove "
				    "`context` to use its current-context.");
	if (ns && !*ns)
		tf_diags_attr_error(
			d, "namespace", "Empty namespace",
			"Set a namespace, or remove `namespace` to use the "
			"context's namespace (else `default`).");
}

/* Build the client from the settings. Offline: nothing is contacted here
 * (the management cluster may not exist yet at plan time); resources run
 * discovery (k8s_capi_discover) when they first need the API. Unknown
 * settings never reach this function: the RPC layer defers configuration
 * until they are known. */
static void *k8s_configure(const tf_value *config, const char *tf_version,
			   atomic_int *stop, tf_diags *d)
{
	const char *inline_kc = tf_value_attr_string(config, "kubeconfig");
	const char *path = tf_value_attr_string(config, "kubeconfig_path");
	const char *attr = inline_kc ? "kubeconfig" : "kubeconfig_path";
	char defpath[4096];
	tfp_error kerr;
	kubeconfig_source src = { 0 };
	kubeconfig *kc = NULL;
	k8s_client_opts o = { 0 };
	k8s_client *c = NULL;
	tfp_error err = { 0 };
	size_t i;

	(void)tf_version;
	if (inline_kc) {
		src.content = inline_kc;
		src.content_len = tf_value_string_len(
			tf_value_attr(config, "kubeconfig"));
	} else if (path && *path) {
		src.path = path;
	} else {
		src.path = kubeconfig_default_path(defpath, sizeof(defpath));
		if (!src.path) {
			tf_diags_error(
				d, NULL,
				"No kubeconfig for the management cluster",
				"Set the provider's `kubeconfig_path` or "
				"`kubeconfig`, or the KUBECONFIG environment "
				"variable (HOME is not set, so ~/.kube/config "
				"cannot be used).");
			return NULL;
		}
	}
	src.context = tf_value_attr_string(config, "context");
	if (kubeconfig_load(&src, &kc, &kerr) != TFP_OK) {
		if (inline_kc || (path && *path))
			tf_diags_attr_error(d, attr,
					    "Cannot load the kubeconfig", "%s",
					    kerr.message);
		else
			tf_diags_error(d, NULL, "Cannot load the kubeconfig",
				       "%s", kerr.message);
		return NULL;
	}
	for (i = 0; i < kc->nwarnings; i++)
		tf_diags_warn(d, NULL, "Kubeconfig setting ignored", "%s",
			      kc->warnings[i]);
	o.kc = kc;
	o.namespace = tf_value_attr_string(config, "namespace");
	o.stop = stop;
	if (k8s_client_new(&o, &c, &err) != TFP_OK) {
		tf_diags_error(d, NULL,
			       "Cannot set up the management cluster client",
			       "%s", err.message);
		kubeconfig_free(kc);
		return NULL;
	}
	tfp_debug(
		"k8s client configured: %s, context %s, server %s, namespace %s",
		kc->source, kc->context, kc->server, k8s_client_namespace(c));
	kubeconfig_free(kc);
	return c;
}

static void k8s_client_release(void *client)
{
	k8s_client_free(client);
}

extern const tfp_function k8s_fn_kubeconfig_server;

static const tfp_function *const k8s_functions[] = {
	&k8s_fn_kubeconfig_server,
};

static const tfp_provider k8s_provider = {
	.type = "k8s",
	.source_address = "registry.terraform.io/lxdcapi/k8s",
	.schema = &k8s_provider_schema,
	.validate = k8s_provider_validate,
	.configure = k8s_configure,
	.client_free = k8s_client_release,
	.resources = k8s_resources,
	.nresources = TF_COUNT(k8s_resources),
	.ephemerals = k8s_ephemerals,
	.nephemerals = TF_COUNT(k8s_ephemerals),
	.functions = k8s_functions,
	.nfunctions = TF_COUNT(k8s_functions),
};

const tfp_provider *tfp_provider_k8s(void)
{
	return &k8s_provider;
}
