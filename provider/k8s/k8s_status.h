/* Conditions and readiness of Cluster API objects (k8s_status.c): condition
 * lookups, the condition report shown on timeouts, and the wait predicates
 * of docs/cluster-api.md section 2. Pure, no I/O. */
#ifndef K8S_STATUS_H
#define K8S_STATUS_H

#include <stdbool.h>

#include <jansson.h>

#include "../../schema/value.h"

/* Status of condition `type` in status.conditions: 1 True, 0 False,
 * -1 Unknown or absent. */
int k8s_condition(const json_t *obj, const char *type);
/* map(string) value: type -> "True" / "False: message" / "Unknown". */
tf_value *k8s_conditions_value(const json_t *obj);
/* Append "Kind name: Type=False (Reason): message" lines for every False
 * condition of obj (types in `skip` ignored, NULL-terminated list or NULL)
 * to *buf (malloc'd, grows). Returns the number appended. */
int k8s_false_conditions(const json_t *obj, const char *const *skip,
			 char **buf);

/* Is the Cluster paused (spec.paused, or the cluster.x-k8s.io/paused
 * annotation)? Cluster API then leaves it as it is. */
bool k8s_cluster_paused(const json_t *cluster);

/* Readiness predicates (docs/cluster-api.md section 2). On false, *why
 * (malloc'd) says what is still missing. */
bool k8s_cluster_ready(const json_t *cluster, const json_t *kcp,
		       const char *version, long replicas, char **why);
bool k8s_pool_ready(const json_t *md, long replicas, char **why);

#endif
