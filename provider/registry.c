/* Provider-type registry: which table of resources this process serves is
 * decided once, from the name Terraform runs the binary under. */
#include <string.h>

#include "resource.h"

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Terraform runs "terraform-provider-<type>" optionally followed by "_" or
 * "." and a version; "terraform-provider-lxdcapi" (the build output) serves
 * lxd as well. */
const tfp_provider *tfp_provider_for_argv0(const char *argv0)
{
	static const char prefix[] = "terraform-provider-";
	const char *name;

	if (!argv0)
		return NULL;
	name = base_name(argv0);
	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	name += sizeof(prefix) - 1;
	if (strncmp(name, "k8s", 3) == 0 &&
	    (name[3] == '\0' || name[3] == '_' || name[3] == '.'))
		return tfp_provider_k8s();
	if (strncmp(name, "lxd", 3) == 0)
		return tfp_provider_lxd();
	return NULL;
}
