/* provider/rpc handlers for managed resources and data sources: decode
 * DynamicValues, call the generic machinery and the resource's handlers,
 * enforce Terraform's invariants on what we return, encode. Every handler
 * answers with gRPC OK and diagnostics (the table answers a request that
 * does not decode with INVALID_ARGUMENT). Contract: rpc_call.h; rows:
 * rpc_table.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../schema/tf_err.h"
#include "../log.h"
#include "../util/cleanup.h"
#include "../server/server.h"
#include "rpc_app.h"
#include "rpc_handlers.h"
#include "rpc_identity.h"

/* Private state to return: the handler's replacement, else the input. */
static void put_private(rpc_arena *ar, tfp_ctx *ctx, ProtobufCBinaryData *out,
			const ProtobufCBinaryData *in)
{
	if (ctx->private_out) {
		out->data = rpc_own(ar, ctx->private_out);
		out->len = ctx->private_out_len;
		ctx->private_out = NULL;
	} else if (in) {
		*out = *in;
	}
}

/* A state returned by a handler must be non-null, wholly known and of the
 * schema type; anything else is a provider bug reported clearly here rather
 * than as Terraform's generic error. Returns the value to send (new ref). */
static tf_value *checked_state(const tfp_ctx *ctx, tf_value *take, tf_diags *d)
{
	tf_type *t = tf_schema_type(ctx->schema);

	if (!take)
		return NULL;
	if (!tf_value_conforms(take, t)) {
		tf_diags_error(d, NULL, "Provider returned a malformed state",
			       "The %s handler returned a value that does not "
			       "match its schema; this is a provider bug.",
			       ctx->type_name);
		tf_value_unref(take);
		return NULL;
	}
	if (!tf_value_is_wholly_known(take)) {
		tf_diags_error(d, NULL, "Provider returned an incomplete state",
			       "The %s handler left a value unknown in the new "
			       "state; this is a provider bug.",
			       ctx->type_name);
		tf_value_unref(take);
		return NULL;
	}
	return take;
}

static int no_client(const tfp_ctx *ctx)
{
	return ctx->client == NULL;
}

/* ---- ValidateResourceConfig / ValidateDataResourceConfig -------------- */

int rpc_validate_resource(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__ValidateResourceConfig__Request *rq = req;
	Tfplugin6__ValidateResourceConfig__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	const struct rpc_res *r = rpc_res_of(c->app, rq->type_name, &d);

	/* Terraform 1.11+ announces write-only support in the capabilities
	 * of every request; validation, which every plan goes through, is
	 * where a client without it is stopped. */
	bool wo_ok = rq->client_capabilities &&
		     rq->client_capabilities->write_only_attributes_allowed;

	if (r)
		rpc_validate_config(c->app, r->schema, r->def->type_name,
				    r->def->validate, rq->config,
				    "resource configuration", wo_ok, &d);
	return RPC_REPLY(c, &d, rs);
}

int rpc_validate_data_source(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__ValidateDataResourceConfig__Request *rq = req;
	Tfplugin6__ValidateDataResourceConfig__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	const struct rpc_ds *s = rpc_ds_of(c->app, rq->type_name, &d);

	if (s)
		rpc_validate_config(c->app, s->schema, s->def->type_name,
				    s->def->validate, rq->config,
				    "data source configuration", true, &d);
	return RPC_REPLY(c, &d, rs);
}

/* ---- ReadResource ----------------------------------------------------- */

int rpc_read_resource(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__ReadResource__Request *rq = req;
	Tfplugin6__ReadResource__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *cur = NULL, *next = NULL;
	const struct rpc_res *r = rpc_res_of(c->app, rq->type_name, &d);
	tfp_ctx ctx = { 0 };

	if (!r)
		return RPC_REPLY(c, &d, rs);
	rpc_ctx_init(&ctx, c->app, r->schema, r->def->type_name, &rq->private_);
	cur = rpc_decode_dv(rq->current_state, tf_schema_type(r->schema),
			    "current state", &d);
	if (!cur || tf_value_is_null(cur)) {
		next = cur ? tf_value_ref(cur) : NULL;
	} else if (no_client(&ctx)) {
		/* Provider config not known yet: keep what we have. */
		next = tf_value_ref(cur);
	} else {
		r->def->read(&ctx, cur, &next, &d);
		if (next)
			next = checked_state(&ctx, next, &d);
		else if (tf_diags_has_error(&d))
			next = tf_value_ref(
				cur); /* failed read never drops the object */
		next = rpc_wo_nulled(r->schema, r->def->type_name, next,
				     "refreshed state");
	}
	if (cur)
		rs->new_state = rpc_encode_dv(&c->arena, next,
					      tf_schema_type(r->schema), &d);
	rs->new_identity = rpc_identity_put(&c->arena, r, &ctx, next,
					    rq->current_identity, RPC_ID_CHECK,
					    &d);
	put_private(&c->arena, &ctx, &rs->private_, &rq->private_);
	return RPC_REPLY(c, &d, rs);
}

/* ---- PlanResourceChange ----------------------------------------------- */

int rpc_plan_change(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__PlanResourceChange__Request *rq = req;
	Tfplugin6__PlanResourceChange__Response *rs = resp;
	rpc_arena *ar = &c->arena;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_paths_done) tf_paths replace = { 0 };
	_cleanup_(tf_value_unrefp) tf_value *prior = NULL, *proposed = NULL;
	_cleanup_(tf_value_unrefp) tf_value *config = NULL, *planned = NULL;
	const struct rpc_res *r = rpc_res_of(c->app, rq->type_name, &d);
	tfp_ctx ctx = { 0 };
	tf_type *t;

	if (!r)
		return RPC_REPLY(c, &d, rs);
	t = tf_schema_type(r->schema);
	rpc_ctx_init(&ctx, c->app, r->schema, r->def->type_name,
		     &rq->prior_private);
	prior = rpc_decode_dv(rq->prior_state, t, "prior state", &d);
	proposed = rpc_decode_dv(rq->proposed_new_state, t,
				 "proposed new state", &d);
	config = rpc_decode_dv(rq->config, t, "configuration", &d);
	if (!prior || !proposed || !config)
		goto encode;
	if (tf_value_is_null(proposed)) {
		planned = tf_value_null(t); /* destroy */
		rs->planned_identity = rq->prior_identity;
		goto encode;
	}
	if (tf_plan_resource(r->schema, prior, proposed, config, &planned,
			     &replace, &d) != TF_OK)
		goto encode;
	if (r->def->modify_plan)
		r->def->modify_plan(&ctx, prior, config, &planned, &replace,
				    &d);
	if (tf_diags_has_error(&d)) {
		tf_value_unref(planned);
		planned = NULL;
	}
	planned = rpc_wo_nulled(r->schema, r->def->type_name, planned,
				"planned state");
	rs->n_requires_replace = replace.n;
	rs->requires_replace =
		rpc_alloc(ar, replace.n * sizeof(*rs->requires_replace));
	for (size_t i = 0; i < replace.n; i++)
		rs->requires_replace[i] = rpc_put_path(ar, &replace.items[i]);
	/* An update keeps the identity; a create or replacement gets a new
	 * one, possibly unknown until apply. */
	rs->planned_identity =
		rpc_identity_put(ar, r, &ctx, planned, rq->prior_identity,
				 replace.n == 0 && !tf_value_is_null(prior) ?
					 RPC_ID_CHECK :
					 RPC_ID_UNKNOWN_OK,
				 &d);
encode:
	if (planned)
		rs->planned_state = rpc_encode_dv(ar, planned, t, &d);
	put_private(ar, &ctx, &rs->planned_private, &rq->prior_private);
	return RPC_REPLY(c, &d, rs);
}

/* ---- ApplyResourceChange ---------------------------------------------- */

int rpc_apply_change(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__ApplyResourceChange__Request *rq = req;
	Tfplugin6__ApplyResourceChange__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *prior = NULL, *planned = NULL;
	_cleanup_(tf_value_unrefp) tf_value *config = NULL, *next = NULL;
	const struct rpc_res *r = rpc_res_of(c->app, rq->type_name, &d);
	tfp_ctx ctx = { 0 };
	tf_type *t;

	if (!r)
		return RPC_REPLY(c, &d, rs);
	t = tf_schema_type(r->schema);
	rpc_ctx_init(&ctx, c->app, r->schema, r->def->type_name,
		     &rq->planned_private);
	prior = rpc_decode_dv(rq->prior_state, t, "prior state", &d);
	planned = rpc_decode_dv(rq->planned_state, t, "planned state", &d);
	config = rpc_decode_dv(rq->config, t, "configuration", &d);
	if (!prior || !planned || !config) {
		next = prior ? tf_value_ref(prior) : NULL;
		goto encode;
	}
	if (no_client(&ctx)) {
		tf_diags_error(&d, NULL, "Provider is not configured",
			       "The %s provider configuration was not known when "
			       "this %s was applied. Make sure the provider "
			       "block's values are known at apply time.",
			       c->app->provider->type, r->def->type_name);
		next = tf_value_ref(prior);
		goto encode;
	}
	if (tf_value_is_null(planned)) {
		r->def->remove(&ctx, prior, &d);
		/* A failed delete keeps the object in state. */
		next = tf_diags_has_error(&d) ? tf_value_ref(prior) : NULL;
	} else if (tf_value_is_null(prior)) {
		r->def->create(&ctx, planned, config, &next, &d);
		next = checked_state(&ctx, next, &d);
	} else {
		r->def->update(&ctx, prior, planned, config, &next, &d);
		next = checked_state(&ctx, next, &d);
		if (!next && tf_diags_has_error(&d))
			next = tf_value_ref(prior);
	}
	next = rpc_wo_nulled(r->schema, r->def->type_name, next, "new state");
	if (next && !tf_diags_has_error(&d) && !tf_value_equal(next, planned) &&
	    tf_value_is_wholly_known(planned))
		tfp_warn("%s: applied state differs from a wholly known plan",
			 r->def->type_name);
encode:
	rs->new_state = rpc_encode_dv(&c->arena, next, t, &d);
	rs->new_identity = rpc_identity_put(&c->arena, r, &ctx, next,
					    rq->planned_identity, RPC_ID_CHECK,
					    &d);
	put_private(&c->arena, &ctx, &rs->private_, &rq->planned_private);
	return RPC_REPLY(c, &d, rs);
}

/* ---- ImportResourceState ---------------------------------------------- */

/* Run the resource's import for an import by ID or, when the request
 * carries one, by identity (Terraform 1.12+; resource.h says how an
 * identity becomes an ID). *state as import leaves it. */
static void run_import(const struct rpc_res *r, tfp_ctx *ctx,
		       const Tfplugin6__ImportResourceState__Request *rq,
		       tf_value **state, tf_diags *d)
{
	_cleanup_free_ char *id = NULL;
	bool by_identity = rq->identity && rq->identity->identity_data;

	if (!r->def->import) {
		tf_diags_error(d, NULL, "Import not supported",
			       "%s cannot be imported.", r->def->type_name);
		return;
	}
	if (no_client(ctx)) {
		tf_diags_error(
			d, NULL, "Provider is not configured",
			"Importing needs a known provider configuration.");
		return;
	}
	if (by_identity) {
		id = rpc_identity_import_id(r, rq->identity, d);
		if (!id)
			return;
	}
	r->def->import(ctx, id ? id : rq->id ? rq->id : "", state, d);
}

int rpc_import_state(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__ImportResourceState__Request *rq = req;
	Tfplugin6__ImportResourceState__Response *rs = resp;
	rpc_arena *ar = &c->arena;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *state = NULL;
	const struct rpc_res *r = rpc_res_of(c->app, rq->type_name, &d);
	Tfplugin6__ImportResourceState__ImportedResource *ir;
	tfp_ctx ctx = { 0 };

	if (!r)
		return RPC_REPLY(c, &d, rs);
	rpc_ctx_init(&ctx, c->app, r->schema, r->def->type_name, NULL);
	run_import(r, &ctx, rq, &state, &d);
	state = rpc_wo_nulled(r->schema, r->def->type_name, state,
			      "imported state");
	if (state && !tf_diags_has_error(&d)) {
		ir = rpc_alloc(ar, sizeof(*ir));
		tfplugin6__import_resource_state__imported_resource__init(ir);
		ir->type_name = rq->type_name;
		ir->state = rpc_encode_dv(ar, state, tf_schema_type(r->schema),
					  &d);
		/* Also for an import by ID; by identity, it must agree with
		 * what was asked (optional attributes filled in). */
		ir->identity = rpc_identity_put(ar, r, &ctx, state,
						rq->identity, RPC_ID_CHECK, &d);
		put_private(ar, &ctx, &ir->private_, NULL);
		rs->n_imported_resources = 1;
		rs->imported_resources =
			rpc_alloc(ar, sizeof(*rs->imported_resources));
		rs->imported_resources[0] = ir;
	}
	free(ctx.private_out);
	return RPC_REPLY(c, &d, rs);
}

/* ---- ReadDataSource --------------------------------------------------- */

int rpc_read_data_source(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__ReadDataSource__Request *rq = req;
	Tfplugin6__ReadDataSource__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *config = NULL, *state = NULL;
	const struct rpc_ds *s = rpc_ds_of(c->app, rq->type_name, &d);
	tfp_ctx ctx = { 0 };

	if (!s)
		return RPC_REPLY(c, &d, rs);
	rpc_ctx_init(&ctx, c->app, s->schema, s->def->type_name, NULL);
	config = rpc_decode_dv(rq->config, tf_schema_type(s->schema),
			       "data source configuration", &d);
	if (config && no_client(&ctx))
		tf_diags_error(
			&d, NULL, "Provider is not configured",
			"Reading %s needs a known provider configuration.",
			s->def->type_name);
	else if (config)
		s->def->read(&ctx, config, &state, &d);
	free(ctx.private_out);
	if (state)
		state = checked_state(&ctx, state, &d);
	if (state && !tf_diags_has_error(&d))
		rs->state = rpc_encode_dv(&c->arena, state,
					  tf_schema_type(s->schema), &d);
	return RPC_REPLY(c, &d, rs);
}
