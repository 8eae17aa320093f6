/* Kubeconfig loading (stub; see kubeconfig.h). */
#include <stdio.h>
#include <stdlib.h>

#include "kubeconfig.h"

int kubeconfig_load(const kubeconfig_source *src, kubeconfig **out,
		    char *errbuf, size_t errlen)
{
	(void)src;
	(void)out;
	if (errlen)
		snprintf(errbuf, errlen, "kubeconfig loading is not implemented yet");
	return -1;
}

void kubeconfig_free(kubeconfig *kc)
{
	free(kc);
}

const char *kubeconfig_default_path(char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return NULL;
}
