/* libFuzzer target: kubeconfig_load on inline content (the YAML reader and
 * the context resolution), with and without a context override. Whatever
 * loads must have a context, a cluster and an http(s)-looking server; a
 * failure must leave a message and no result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provider/k8s/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const uint8_t *data, size_t size, const char *ctx)
{
	kubeconfig_source src = { 0 };
	kubeconfig *kc = NULL;
	tfp_error err;

	src.content = (const char *)data;
	src.content_len = size;
	src.context = ctx;
	memset(&err, 0, sizeof(err));
	if (kubeconfig_load(&src, &kc, &err) == TFP_OK) {
		if (!kc || !kc->context || !kc->cluster_name || !kc->server ||
		    !kc->source)
			abort();
		if (!kc->client_cert_pem != !kc->client_key_pem)
			abort();
		kubeconfig_free(kc);
	} else if (kc || err.message[0] == '\0' || err.code >= 0) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0; /* content_len 0 means strlen: needs a NUL */
	one(data, size, NULL);
	one(data, size, "c");
	return 0;
}
