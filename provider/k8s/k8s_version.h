/* Kubernetes versions: parsing, ordering, the upgrade step rule, and the
 * schema validator. Pure. */
#ifndef K8S_VERSION_H
#define K8S_VERSION_H

#include <stdbool.h>

#include "../../schema/diag.h"
#include "../../schema/value.h"

/* Validator (tf_validate_fn): "[v]MAJOR.MINOR.PATCH[-pre][+build]". */
void k8s_validate_version(const tf_value *v, const void *arg,
			  const tf_path *path, tf_diags *d);

typedef struct k8s_version {
	int major, minor, patch;
} k8s_version;

/* Parse "v1.33.2" or "1.33.2" (pre-release/build suffixes ignored).
 * Returns 0 or -1 when malformed. */
int k8s_version_parse(const char *s, k8s_version *out);
/* <0, 0, >0 like strcmp; malformed versions compare as equal (0). */
int k8s_version_cmp(const char *a, const char *b);
/* Equal modulo the optional "v" prefix. */
bool k8s_version_same(const char *a, const char *b);
/* The version with a "v" prefix, as the webhooks store it (malloc'd). */
char *k8s_version_canonical(const char *s);
/* Is `to` a valid control-plane upgrade from `from`: same major, minor at
 * most one higher, never lower. On false, *why (malloc'd) explains. */
bool k8s_version_step_ok(const char *from, const char *to, char **why);

#endif
