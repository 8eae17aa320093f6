/* Resource identity of the k8s_* resources (see k8s_identity.h). */
#include "../identity.h"
#include "k8s_identity.h"

static const tf_attr_def attrs[] = {
	{ "namespace", "\"string\"", TF_OPTIONAL | TF_COMPUTED, "\"default\"",
	  "Namespace of the Cluster API object (the resource's `namespace`). "
	  "Optional when importing: `default` when left out." },
	{ "name", "\"string\"", TF_REQUIRED, NULL,
	  "Name of the Cluster API object (the resource's `name`)." },
};

const tf_block_def k8s_identity_def = {
	.attrs = attrs,
	.nattrs = TF_COUNT(attrs),
	.description = "Identified by namespace and name.",
};

void k8s_identity(tfp_ctx *ctx, const tf_value *state, tf_value **identity,
		  tf_diags *d)
{
	static const char *const defaults[] = { "default", NULL };

	*identity = tfp_identity_from_state(&k8s_identity_def, defaults,
					    ctx->type_name, state, d);
}
