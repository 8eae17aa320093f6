/* provider/rpc handler for GenerateResourceConfig (tfplugin6 6.10,
 * Terraform 1.14+: `plan -generate-config-out` and `terraform query
 * -generate-config-out`), advertised by the server capability
 * generate_resource_config. Contract: rpc_call.h; row: rpc_table.c.
 *
 * Terraform writes every attribute of the returned object into HCL except
 * computed ones that are null and deprecated ones
 * (internal/genconfig/generate_config.go, writeConfigAttributesFromExisting),
 * so what must not be written is returned null: computed-only attributes,
 * server-filled keys, defaults. The resource's generate_config hook
 * decides (default: tf_schema_config_of_state). Terraform 1.14.0 sends a
 * null state for list results without their resource
 * (node_resource_plan_instance.go, generateHCLListResourceDef): the answer
 * is then a null config and no diagnostic. */
#include <stdlib.h>

#include "../util/cleanup.h"
#include "../server/server.h"
#include "rpc_app.h"
#include "rpc_handlers.h"

/* The configuration for a known, non-null state (new ref) or NULL. */
static tf_value *config_of(const struct rpc_res *r, tfp_ctx *ctx,
			   const tf_value *state, tf_diags *d)
{
	tf_type *t = tf_schema_type(r->schema);
	tf_value *cfg = NULL;

	if (!r->def->generate_config)
		return tf_schema_config_of_state(r->schema, state);
	r->def->generate_config(ctx, state, &cfg, d);
	if (cfg && !tf_value_conforms(cfg, t)) {
		tf_diags_error(d, NULL,
			       "Provider generated an invalid "
			       "configuration",
			       "The configuration generated for this %s does "
			       "not match its schema; this is a provider bug, "
			       "please report it.",
			       r->def->type_name);
		tf_value_unref(cfg);
		cfg = NULL;
	}
	return cfg;
}

int rpc_generate_config(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__GenerateResourceConfig__Request *rq = req;
	Tfplugin6__GenerateResourceConfig__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *state = NULL, *cfg = NULL;
	const struct rpc_res *r = rpc_res_of(c->app, rq->type_name, &d);
	tfp_ctx ctx = { 0 };
	tf_type *t;

	if (!r)
		return RPC_REPLY(c, &d, rs);
	t = tf_schema_type(r->schema);
	rpc_ctx_init(&ctx, c->app, r->schema, r->def->type_name, NULL);
	state = rpc_decode_dv(rq->state, t, "state", &d);
	if (state && tf_value_is_known(state))
		cfg = config_of(r, &ctx, state, &d);
	free(ctx.private_out);
	if (!tf_diags_has_error(&d))
		rs->config = rpc_encode_dv(&c->arena, cfg, t, &d);
	return RPC_REPLY(c, &d, rs);
}
