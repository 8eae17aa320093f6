/* provider/rpc handlers for the ephemeral resource RPCs (tfplugin6 6.7+,
 * Terraform 1.10+; contract: rpc_call.h, rows: rpc_table.c):
 * ValidateEphemeralResourceConfig, OpenEphemeralResource,
 * RenewEphemeralResource, CloseEphemeralResource.
 *
 * Invariants enforced here: Open's result is a non-null object of the
 * schema type whose only unknowns are top-level computed attributes that
 * the configuration leaves null (else an error and no result). Terraform
 * checks the result like a plan against a null prior
 * (objchange.AssertPlanValid in node_resource_ephemeral.go), which accepts
 * exactly those unknowns; a handler uses them when the object cannot be
 * read yet (it will exist at apply). Before the values it needs are known
 * (provider not configured, or unknowns in its configuration) Open answers
 * without calling the handler, with the configuration and unknown computed
 * attributes, or a deferral when Terraform allows one. Private bytes
 * are passed through to Renew/Close (a handler that sets none keeps the
 * previous ones on Renew). Results are never logged: they are usually
 * secrets. */
#include <stdlib.h>
#include <string.h>

#include "../log.h"
#include "../util/cleanup.h"
#include "../server/server.h"
#include "rpc_app.h"
#include "rpc_handlers.h"

static Google__Protobuf__Timestamp *put_time(rpc_arena *ar, int64_t secs)
{
	Google__Protobuf__Timestamp *ts;

	if (secs <= 0)
		return NULL;
	ts = rpc_alloc(ar, sizeof(*ts));
	google__protobuf__timestamp__init(ts);
	ts->seconds = secs;
	return ts;
}

/* Hand ctx->private_out (or, when keep_in, private_in) to the reply. */
static void put_private(rpc_arena *ar, tfp_ctx *ctx, ProtobufCBinaryData *out,
			bool keep_in)
{
	if (ctx->private_out) {
		out->data = rpc_own(ar, ctx->private_out);
		out->len = ctx->private_out_len;
		ctx->private_out = NULL;
	} else if (keep_in && ctx->private_in) {
		out->data = (uint8_t *)ctx->private_in;
		out->len = ctx->private_in_len;
	}
}

/* The configuration with each computed top-level attribute that the
 * configuration leaves null set to unknown (the plan-time placeholder). */
static tf_value *unknown_result(const tf_schema *schema, const tf_value *config)
{
	const tf_block_def *def = tf_schema_def(schema);
	tf_value *v;
	size_t i;

	if (!tf_value_is_known(config))
		return tf_value_unknown(tf_schema_type(schema));
	v = tf_value_mut(tf_value_ref((tf_value *)config));

	for (i = 0; i < def->nattrs; i++) {
		const tf_attr_def *a = &def->attrs[i];

		if ((a->flags & TF_COMPUTED) &&
		    tf_value_is_null(tf_value_attr(v, a->name)))
			tf_value_object_set(v, a->name,
					    tf_value_unknown(
						    tf_schema_attr_type(schema,
									i)));
	}
	return v;
}

/* Are the unknowns of `result` only where a handler may leave them:
 * top-level computed attributes that `config` leaves null? Nested blocks
 * and every other attribute must be wholly known. */
static bool unknowns_allowed(const tf_schema *schema, const tf_value *config,
			     const tf_value *result)
{
	const tf_block_def *def = tf_schema_def(schema);
	size_t i;

	for (i = 0; i < def->nattrs; i++) {
		const tf_attr_def *a = &def->attrs[i];

		if (tf_value_is_wholly_known(tf_value_attr(result, a->name)))
			continue;
		if (!(a->flags & TF_COMPUTED) ||
		    !tf_value_is_null(tf_value_attr(config, a->name)))
			return false;
	}
	for (i = 0; i < def->nblocks; i++)
		if (!tf_value_is_wholly_known(
			    tf_value_attr(result, def->blocks[i].type_name)))
			return false;
	return true;
}

int rpc_validate_ephemeral(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__ValidateEphemeralResourceConfig__Request *rq = req;
	Tfplugin6__ValidateEphemeralResourceConfig__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	const struct rpc_eph *e = rpc_eph_of(c->app, rq->type_name, &d);

	if (e)
		rpc_validate_config(c->app, e->schema, e->def->type_name,
				    e->def->validate, rq->config,
				    "ephemeral resource configuration", true,
				    &d);
	return RPC_REPLY(c, &d, rs);
}

int rpc_open_ephemeral(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__OpenEphemeralResource__Request *rq = req;
	Tfplugin6__OpenEphemeralResource__Response *rs = resp;
	rpc_arena *ar = &c->arena;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *config = NULL, *result = NULL;
	const struct rpc_eph *e = rpc_eph_of(c->app, rq->type_name, &d);
	tfp_ctx ctx = { 0 };
	int64_t renew_at = 0;
	tf_type *t;

	if (!e)
		goto reply;
	t = tf_schema_type(e->schema);
	rpc_ctx_init(&ctx, c->app, e->schema, e->def->type_name, NULL);
	config = rpc_decode_dv(rq->config, t,
			       "ephemeral resource configuration", &d);
	if (!config)
		goto reply;
	if (!ctx.client || !tf_value_is_wholly_known(config)) {
		/* Nothing can be read yet: the provider's settings or this
		 * configuration depend on values known only after apply.
		 * Terraform checks Open's result like a plan, so answer with
		 * the configuration and every computed attribute unknown
		 * (or defer, when Terraform allows it). */
		if (rq->client_capabilities &&
		    rq->client_capabilities->deferral_allowed) {
			Tfplugin6__Deferred *deferred =
				rpc_alloc(ar, sizeof(*deferred));

			tfplugin6__deferred__init(deferred);
			deferred->reason =
				ctx.client ?
					TFPLUGIN6__DEFERRED__REASON__RESOURCE_CONFIG_UNKNOWN :
					TFPLUGIN6__DEFERRED__REASON__PROVIDER_CONFIG_UNKNOWN;
			rs->deferred = deferred;
		} else {
			result = unknown_result(e->schema, config);
			rs->result = rpc_encode_dv(ar, result, t, &d);
		}
		tfp_debug("%s not opened: %s not known yet", e->def->type_name,
			  ctx.client ? "configuration" :
				       "provider configuration");
		goto reply;
	}
	e->def->open(&ctx, config, &result, &renew_at, &d);
	if (tf_diags_has_error(&d))
		goto reply; /* result and private state dropped on the way out */
	if (!result || !tf_value_is_known(result) || tf_value_is_null(result) ||
	    !tf_value_conforms(result, t) ||
	    !unknowns_allowed(e->schema, config, result)) {
		tf_diags_error(&d, NULL,
			       "Provider produced an invalid ephemeral result",
			       "%s returned a result that is null, not of its "
			       "schema type, or unknown outside the computed "
			       "attributes the configuration leaves unset. This "
			       "is a provider bug; please report it.",
			       e->def->type_name);
		goto reply;
	}
	rs->result = rpc_encode_dv(ar, result, t, &d);
	rs->renew_at = put_time(ar, renew_at);
	put_private(ar, &ctx, &rs->private_, false);
reply:
	free(ctx.private_out);
	return RPC_REPLY(c, &d, rs);
}

int rpc_renew_ephemeral(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__RenewEphemeralResource__Request *rq = req;
	Tfplugin6__RenewEphemeralResource__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	const struct rpc_eph *e = rpc_eph_of(c->app, rq->type_name, &d);
	tfp_ctx ctx = { 0 };
	int64_t renew_at = 0;

	if (e) {
		rpc_ctx_init(&ctx, c->app, e->schema, e->def->type_name,
			     &rq->private_);
		if (e->def->renew)
			e->def->renew(&ctx, &renew_at, &d);
		rs->renew_at = put_time(&c->arena, renew_at);
		put_private(&c->arena, &ctx, &rs->private_, true);
	}
	free(ctx.private_out);
	return RPC_REPLY(c, &d, rs);
}

int rpc_close_ephemeral(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__CloseEphemeralResource__Request *rq = req;
	Tfplugin6__CloseEphemeralResource__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	const struct rpc_eph *e = rpc_eph_of(c->app, rq->type_name, &d);
	tfp_ctx ctx = { 0 };

	if (e) {
		rpc_ctx_init(&ctx, c->app, e->schema, e->def->type_name,
			     &rq->private_);
		if (e->def->close)
			e->def->close(&ctx, &d);
		free(ctx.private_out); /* nothing follows a close */
	}
	return RPC_REPLY(c, &d, rs);
}
