/* Provider functions of the k8s provider (provider::k8s::<name>):
 *  - kubeconfig_server(kubeconfig): the API server URL of a kubeconfig's
 *    current context (e.g. the ephemeral k8s_cluster_kubeconfig's result).
 * (provider/resource.h, tfp_function). Certificate files the kubeconfig
 * names are read as kubectl would; exec plugins are never run and token
 * files never read. */
#include <stdio.h>
#include <string.h>

#include "../resource.h"
#include "kubeconfig.h"

static const tfp_func_param ks_params[] = {
	{ "kubeconfig", "\"string\"",
	  "Kubeconfig YAML text, e.g. "
	  "`ephemeral.k8s_cluster_kubeconfig.prod.kubeconfig`. Sensitive values "
	  "in it are not returned.",
	  false },
};

static int kubeconfig_server_call(const tf_value *const *args,
				  tf_value **result, char *errbuf,
				  size_t errlen, int64_t *err_arg)
{
	const char *text = tf_value_get_string(args[0]);
	kubeconfig_source src = { .content = text,
				  .content_len = strlen(text) };
	kubeconfig *kc = NULL;
	tfp_error why = { 0 };

	if (kubeconfig_load(&src, &kc, &why) != TFP_OK) {
		snprintf(errbuf, errlen, "kubeconfig: %s", why.message);
		*err_arg = 0;
		return -1;
	}
	*result = tf_value_string(kc->server);
	kubeconfig_free(kc);
	return *result ? 0 : -1;
}

const tfp_function k8s_fn_kubeconfig_server = {
	.name = "kubeconfig_server",
	.summary = "API server URL of a kubeconfig",
	.description = "Returns the `server` of the cluster that the "
		       "kubeconfig's current context uses, e.g. "
		       "`https://203.0.113.10:6443`.",
	.params = ks_params,
	.nparams = 1,
	.return_type = "\"string\"",
	.call = kubeconfig_server_call,
};
