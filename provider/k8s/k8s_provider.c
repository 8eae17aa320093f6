/* The lxdcapi/k8s provider type: settings for the Cluster API management
 * cluster. Its resources (k8s_cluster, k8s_machine_pool) are added by the
 * Kubernetes half of the product; until then this serves the provider
 * block so configurations validate. */
#include <stdlib.h>

#include "../resource.h"

static const tf_attr_def k8s_provider_attrs[] = {
	{ "kubeconfig_path", "\"string\"", TF_OPTIONAL, NULL,
	  "Path to a kubeconfig file for the management cluster. Defaults to "
	  "`$KUBECONFIG`, then `~/.kube/config`." },
	{ "kubeconfig", "\"string\"", TF_OPTIONAL | TF_SENSITIVE, NULL,
	  "Inline kubeconfig content (YAML). Takes precedence over "
	  "`kubeconfig_path`." },
	{ "context", "\"string\"", TF_OPTIONAL, NULL,
	  "Kubeconfig context to use. Defaults to the current context." },
	{ "namespace", "\"string\"", TF_OPTIONAL, NULL,
	  "Default namespace for resources that do not set one." },
};

static const tf_block_def k8s_provider_schema = {
	.attrs = k8s_provider_attrs,
	.nattrs = TF_COUNT(k8s_provider_attrs),
	.description = "Manages Kubernetes clusters on LXD through Cluster API "
		       "(the CAPN infrastructure provider).",
};

static int k8s_placeholder_client;

static void *k8s_configure(const tf_value *config, const char *tf_version,
			   atomic_int *stop, tf_diags *d)
{
	(void)config;
	(void)tf_version;
	(void)stop;
	(void)d;
	return &k8s_placeholder_client;
}

static void k8s_client_free(void *client)
{
	(void)client;
}

/* Resources of this provider type (k8s_cluster.c, k8s_machine_pool.c). */
extern const tfp_resource k8s_cluster_resource;
extern const tfp_resource k8s_machine_pool_resource;
static const tfp_resource *const k8s_resources[] = {
	&k8s_cluster_resource,
	&k8s_machine_pool_resource,
};

static const tfp_provider k8s_provider = {
	.type = "k8s",
	.source_address = "registry.terraform.io/lxdcapi/k8s",
	.schema = &k8s_provider_schema,
	.configure = k8s_configure,
	.client_free = k8s_client_free,
	.resources = k8s_resources,
	.nresources = sizeof(k8s_resources) / sizeof(k8s_resources[0]),
};

const tfp_provider *tfp_provider_k8s(void)
{
	return &k8s_provider;
}
