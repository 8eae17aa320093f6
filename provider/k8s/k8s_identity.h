/* Resource identity of k8s_cluster and k8s_machine_pool (Terraform
 * 1.12+), version 0: {namespace, name} of the Cluster API object,
 * namespace optional for an import (default "default"). Built from the
 * state's force-new attributes of the same names, so it never changes
 * for the life of an object. */
#ifndef K8S_IDENTITY_H
#define K8S_IDENTITY_H

#include "../resource.h"

extern const tf_block_def k8s_identity_def;

/* tfp_resource.identity hook of both resources. */
void k8s_identity(tfp_ctx *ctx, const tf_value *state, tf_value **identity,
		  tf_diags *d);

#endif
