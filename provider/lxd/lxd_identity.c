/* Resource identities of the lxd_* resources (see lxd_identity.h). */
#include "../identity.h"
#include "lxd_identity.h"

static const tf_attr_def name_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED, NULL,
	  "Name of the object in LXD (the resource's `name`)." },
};

const tf_block_def lxd_identity_name_def = {
	.attrs = name_attrs,
	.nattrs = TF_COUNT(name_attrs),
	.description = "Identified by its name.",
};

static const tf_attr_def project_name_attrs[] = {
	{ "project", "\"string\"", TF_OPTIONAL | TF_COMPUTED, "\"default\"",
	  "LXD project of the object (the resource's `project`). Optional "
	  "when importing: `default` when left out." },
	{ "name", "\"string\"", TF_REQUIRED, NULL,
	  "Name of the object in its project (the resource's `name`)." },
};

const tf_block_def lxd_identity_project_name_def = {
	.attrs = project_name_attrs,
	.nattrs = TF_COUNT(project_name_attrs),
	.description = "Identified by its project and name.",
};

void lxd_identity_name(tfp_ctx *ctx, const tf_value *state, tf_value **identity,
		       tf_diags *d)
{
	*identity = tfp_identity_from_state(&lxd_identity_name_def, NULL,
					    ctx->type_name, state, d);
}

void lxd_identity_project_name(tfp_ctx *ctx, const tf_value *state,
			       tf_value **identity, tf_diags *d)
{
	static const char *const defaults[] = { "default", NULL };

	*identity = tfp_identity_from_state(&lxd_identity_project_name_def,
					    defaults, ctx->type_name, state, d);
}
