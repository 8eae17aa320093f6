/* provider/rpc handlers for stored states: UpgradeResourceState (a state
 * of an older schema version, or one another provider wrote and
 * `terraform state replace-provider` handed over) and MoveResourceState
 * (`moved` blocks across resource types and providers, Terraform 1.8+;
 * advertised in rpc_server_capabilities). Both go through one path: the
 * resource's adopt hook for foreign shapes (provider/resource.h), else
 * rpc_upgrade_raw (rpc_upgrade.c: its upgrade hook for its own older
 * versions, the decode against the current schema). A move also answers
 * the target's identity (Terraform 1.12+). Neither RPC runs with a configured client; Terraform
 * refreshes the result (ReadResource) before it plans. Contract:
 * rpc_call.h; rows: rpc_table.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../schema/tf_err.h"
#include "../log.h"
#include "../util/cleanup.h"
#include "rpc_app.h"
#include "rpc_handlers.h"
#include "rpc_identity.h"

/* A state the adopt hook rewrote, decoded against the current schema. */
static tf_value *decode_tree(const struct rpc_res *r, const json_t *j,
			     tf_diags *d)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
	char err[256] = "";
	tf_value *v = NULL;

	if (!text)
		abort();
	if (tf_json_decode(text, strlen(text), tf_schema_type(r->schema), 1, &v,
			   err, sizeof(err)) != TF_OK)
		tf_diags_error(d, NULL, "Provider bug",
			       "The %s state taken over from another provider "
			       "does not match the schema: %s.",
			       r->def->type_name, err);
	return v;
}

/* A cross-type move this resource has no adopt rule for. */
static void refuse_move(const struct rpc_res *r, const tfp_foreign *src,
			tf_diags *d)
{
	tf_diags_error(d, NULL, "Unsupported move",
		       "This provider cannot turn a %s state (provider %s) "
		       "into %s. Remove the `moved` block; see the %s "
		       "documentation for the states it can take over.",
		       src->type_name, src->provider ? src->provider : "?",
		       r->def->type_name, r->def->type_name);
}

/* The stored state `raw` (JSON) as a value of the resource's current
 * schema, NULL after an error. *own says it was the resource's own shape
 * (then its private state still applies): that goes through
 * rpc_upgrade_raw (version checks, the upgrade hook, the decode), which
 * decodes the JSON text as is when nothing rewrites it. */
static tf_value *state_of_raw(const struct rpc_res *r, const tfp_foreign *src,
			      const ProtobufCBinaryData *raw, bool *own,
			      tf_diags *d)
{
	_cleanup_(json_decrefp) json_t *j = NULL;
	int rc = TFP_ADOPT_NOT_FOREIGN;

	*own = false;
	if (r->def->adopt)
		j = json_loadb((const char *)raw->data, raw->len, 0, NULL);
	if (j)
		rc = r->def->adopt(src, j, d);
	if (rc == TFP_ADOPT_REFUSED || tf_diags_has_error(d))
		return NULL;
	if (rc == TFP_ADOPT_DONE) {
		tfp_info("%s: took over a %s state written by %s",
			 r->def->type_name, src->type_name,
			 src->provider ? src->provider : "another provider");
		return decode_tree(r, j, d);
	}
	if (src->moved && strcmp(src->type_name, r->def->type_name) != 0) {
		refuse_move(r, src, d);
		return NULL;
	}
	*own = true;
	return rpc_upgrade_raw(r->def->type_name, "state", src->version,
			       r->def->version, r->def->upgrade,
			       tf_schema_type(r->schema), raw, d);
}

/* ---- UpgradeResourceState --------------------------------------------- */

int rpc_upgrade_state(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__UpgradeResourceState__Request *rq = req;
	Tfplugin6__UpgradeResourceState__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *v = NULL;
	const struct rpc_res *r = rpc_res_of(c->app, rq->type_name, &d);
	tfp_foreign src = { .type_name = rq->type_name,
			    .version = rq->version };
	bool own;

	if (!r) {
		/* reported */
	} else if (!rq->raw_state || rq->raw_state->json.len == 0) {
		if (rq->raw_state && rq->raw_state->n_flatmap)
			tf_diags_error(
				&d, NULL, "Unsupported legacy state",
				"This %s state is in the pre-0.12 flatmap "
				"format, which this provider never wrote.",
				rq->type_name);
		else
			v = tf_value_null(tf_schema_type(r->schema));
	} else {
		v = state_of_raw(r, &src, &rq->raw_state->json, &own, &d);
	}
	if (r && v)
		v = rpc_wo_nulled(r->schema, r->def->type_name, v,
				  "upgraded state");
	if (r && v)
		rs->upgraded_state = rpc_encode_dv(&c->arena, v,
						   tf_schema_type(r->schema),
						   &d);
	return RPC_REPLY(c, &d, rs);
}

/* ---- MoveResourceState ------------------------------------------------ */

int rpc_move_state(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__MoveResourceState__Request *rq = req;
	Tfplugin6__MoveResourceState__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *v = NULL;
	const struct rpc_res *r = rpc_res_of(c->app, rq->target_type_name, &d);
	tfp_foreign src = {
		.provider = rq->source_provider_address,
		.type_name = rq->source_type_name,
		.version = rq->source_schema_version,
		.moved = true,
	};
	bool own = false;
	tfp_ctx ctx = { 0 };

	if (!r)
		return RPC_REPLY(c, &d, rs);
	if (!rq->source_state || rq->source_state->json.len == 0)
		tf_diags_error(&d, NULL, "Unsupported move",
			       "The %s state to move into %s is empty or in "
			       "the pre-0.12 flatmap format; this provider "
			       "only takes over JSON states.",
			       rq->source_type_name, rq->target_type_name);
	else
		v = state_of_raw(r, &src, &rq->source_state->json, &own, &d);
	if (v)
		v = rpc_wo_nulled(r->schema, r->def->type_name, v,
				  "moved state");
	if (v) {
		rs->target_state = rpc_encode_dv(&c->arena, v,
						 tf_schema_type(r->schema), &d);
		/* Terraform 1.12+ stores the target's identity with it. */
		rpc_ctx_init(&ctx, c->app, r->schema, r->def->type_name, NULL);
		rs->target_identity = rpc_identity_put(&c->arena, r, &ctx, v,
						       NULL, 0, &d);
	}
	/* Our own state keeps its private state; another provider's is not
	 * ours to read, and the first refresh writes ours. */
	if (v && own)
		rs->target_private = rq->source_private;
	return RPC_REPLY(c, &d, rs);
}
