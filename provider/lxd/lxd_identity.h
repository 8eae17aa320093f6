/* Resource identities of the lxd_* resources (Terraform 1.12+), version 0:
 *  - {name} for lxd_storage_pool and lxd_node (neither is project-scoped);
 *  - {project, name} for lxd_ovn_network, project optional for an import
 *    (default "default").
 * Both are built from the state's attributes of the same names, which are
 * force-new: an identity never changes for the life of an object. */
#ifndef LXD_IDENTITY_H
#define LXD_IDENTITY_H

#include "../resource.h"

extern const tf_block_def lxd_identity_name_def;
extern const tf_block_def lxd_identity_project_name_def;

/* tfp_resource.identity hooks for the two shapes above. */
void lxd_identity_name(tfp_ctx *ctx, const tf_value *state, tf_value **identity,
		       tf_diags *d);
void lxd_identity_project_name(tfp_ctx *ctx, const tf_value *state,
			       tf_value **identity, tf_diags *d);

#endif
