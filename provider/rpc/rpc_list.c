/* provider/rpc handlers for list resources (tfplugin6 6.10, `terraform
 * query`): ValidateListResourceConfig, and ListResource, a server stream
 * of one Event per object found, then status OK. Contract: rpc_call.h;
 * rows: rpc_table.c; the resources' side: tfp_lister in resource.h.
 *
 * What Terraform (1.14, internal/plugin6/grpc_provider.go) does with the
 * stream, and so what is sent:
 *  - it reads at most `limit` events, then cancels the call: the lister
 *    stops the resource's enumeration once `limit` objects went out (and
 *    sends nothing for a limit of 0);
 *  - every event that is not only warnings must carry identity data
 *    ("missing identity data in ListResource event"): the identity is
 *    built by the resource's `identity` hook from the object's state;
 *  - resource_object is decoded against the managed resource's schema,
 *    and only read when include_resource_object was asked for;
 *  - the first error diagnostic ends its reading. Problems travel as an
 *    event carrying diagnostics, then OK (a non-OK status would only
 *    surface as a raw gRPC error).
 * StopProvider, server shutdown and a client that went away end the
 * stream (rpc_stream_send fails; the stop flag is also checked before
 * each object): the resource's enumeration stops at its next object. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../server/server.h"
#include "rpc_app.h"
#include "rpc_handlers.h"

/* One ListResource call: the lister handed to the resource. */
struct list_run {
	tfp_lister pub; /* first: the resource sees only this */
	rpc_stream *out;
	const struct rpc_res *r;
	tfp_ctx *ctx;
	int64_t limit;
	int64_t sent;
	int ended;  /* the stream is over (client gone, stop): send nothing */
	int failed; /* an error event went out: Terraform reads no further */
};

/* The listable types, comma-separated, for error messages (arena). */
static char *listable_names(rpc_arena *ar, const rpc_app *app)
{
	size_t n = rpc_nlisted(app), len = 1, at = 0;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(rpc_listed(app, i)->def->type_name) + 2;
	s = rpc_alloc(ar, len);
	for (size_t i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(s + at, len - at, "%s%s", i ? ", " : "",
				       rpc_listed(app, i)->def->type_name);
	return s;
}

/* The listable resource `name`, or NULL with the error the user sees. */
static const struct rpc_res *list_res_of(rpc_call *c, const char *name,
					 tf_diags *d)
{
	const struct rpc_res *r = rpc_find_res(c->app, name);

	if (r && r->list_schema)
		return r;
	tf_diags_error(d, NULL, "Unsupported list resource type",
		       "The %s provider cannot list \"%s\". Types it can list "
		       "in a `list` block: %s.",
		       c->app->provider->type, name ? name : "",
		       listable_names(&c->arena, c->app));
	return NULL;
}

/* The list block's config object: Terraform sends an object of the list
 * schema (all-null attributes for an absent block); a null is taken as
 * that too. NULL with an error when it does not decode. */
static tf_value *list_config(const struct rpc_res *r,
			     const Tfplugin6__DynamicValue *dv, tf_diags *d)
{
	tf_value *v = rpc_decode_dv(dv, tf_schema_type(r->list_schema),
				    "list configuration", d);

	if (v && tf_value_is_null(v)) {
		tf_value_unref(v);
		v = tf_schema_empty_object(r->list_schema);
	}
	return v;
}

int rpc_validate_list(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__ValidateListResourceConfig__Request *rq = req;
	Tfplugin6__ValidateListResourceConfig__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	const struct rpc_res *r = list_res_of(c, rq->type_name, &d);
	_cleanup_(tf_value_unrefp)
		tf_value *config = r ? list_config(r, rq->config, &d) : NULL;

	if (config)
		tf_schema_validate(r->list_schema, config, &d);
	return RPC_REPLY(c, &d, rs);
}

/* Send the event being built with the diagnostics of d; marks the run
 * failed when d holds an error, ended when the stream is over. */
static int send_event(struct list_run *run, const tf_diags *d)
{
	Tfplugin6__ListResource__Event *ev = run->out->msg;

	rpc_put_diags(&run->out->arena, d, &ev->n_diagnostic, &ev->diagnostic);
	if (tf_diags_has_error(d))
		run->failed = 1;
	if (rpc_stream_send(run->out) != 0) {
		run->ended = 1;
		return 1;
	}
	return run->failed;
}

/* The object's identity from the resource's hook, checked: NULL with an
 * error (a provider bug) when there is none or it is not wholly known. */
static tf_value *object_identity(struct list_run *run, const tf_value *state,
				 tf_diags *d)
{
	const tfp_resource *def = run->r->def;
	tf_value *id = NULL;

	if (!tf_value_conforms(state, tf_schema_type(run->r->schema))) {
		tf_diags_error(d, NULL, "Provider listed a malformed object",
			       "The %s list returned an object that does not "
			       "match the resource schema; this is a provider "
			       "bug.",
			       def->type_name);
		return NULL;
	}
	def->identity(run->ctx, state, &id, d);
	if (tf_diags_has_error(d)) {
		tf_value_unref(id);
		return NULL;
	}
	if (!id || tf_value_is_null(id) || !tf_value_is_wholly_known(id) ||
	    !tf_value_conforms(id, tf_schema_type(run->r->identity))) {
		tf_diags_error(d, NULL,
			       "Provider listed an object without "
			       "identity",
			       "The %s list found an object whose identity "
			       "is missing, not known or not of the identity "
			       "schema; this is a provider bug.",
			       def->type_name);
		tf_value_unref(id);
		return NULL;
	}
	return id;
}

/* tfp_lister.emit: one event per object (see resource.h). */
static int list_emit(tfp_lister *l, const char *display_name,
		     const tf_value *state)
{
	struct list_run *run = (struct list_run *)l;
	Tfplugin6__ListResource__Event *ev = run->out->msg;
	rpc_arena *ar = &run->out->arena;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *id = NULL;

	if (run->ended || run->failed || run->sent >= run->limit)
		return 1;
	if (atomic_load(run->ctx->stop)) {
		run->ended = 1;
		return 1;
	}
	id = state ? object_identity(run, state, &d) : NULL;
	if (!id) {
		if (!tf_diags_has_error(&d))
			tf_diags_error(&d, NULL, "Provider listed nothing",
				       "The %s list emitted no object; this "
				       "is a provider bug.",
				       run->r->def->type_name);
		return send_event(run, &d);
	}
	ev->identity = rpc_alloc(ar, sizeof(*ev->identity));
	tfplugin6__resource_identity_data__init(ev->identity);
	ev->identity->identity_data =
		rpc_encode_dv(ar, id, tf_schema_type(run->r->identity), &d);
	ev->display_name = rpc_strdup(ar, display_name);
	if (run->pub.include_resource)
		ev->resource_object =
			rpc_encode_dv(ar, state, tf_schema_type(run->r->schema),
				      &d);
	if (send_event(run, &d))
		return 1;
	run->sent++;
	return run->sent >= run->limit;
}

/* Run the resource's list for a decoded request; diagnostics in d. */
static void run_list(rpc_call *c, const Tfplugin6__ListResource__Request *rq,
		     const struct rpc_res *r, struct list_run *run, tf_diags *d)
{
	_cleanup_(tf_value_unrefp)
		tf_value *config = list_config(r, rq->config, d);
	tfp_ctx ctx;

	if (!config)
		return;
	tf_schema_validate(r->list_schema, config, d);
	if (!r->def->identity || !r->identity)
		tf_diags_error(d, NULL, "List resource without identity",
			       "%s declares a list resource but no identity; "
			       "this is a provider bug.",
			       r->def->type_name);
	if (tf_diags_has_error(d))
		return;
	rpc_ctx_init(&ctx, c->app, r->schema, r->def->type_name, NULL);
	if (!ctx.client) {
		tf_diags_error(d, NULL, "Provider is not configured",
			       "Listing %s needs a known provider "
			       "configuration.",
			       r->def->type_name);
		return;
	}
	if (rq->limit <= 0)
		return; /* Terraform reads no event */
	run->ctx = &ctx;
	r->def->list(&ctx, config, &run->pub, d);
	free(ctx.private_out);
	run->ctx = NULL;
}

int rpc_list_resource(rpc_call *c, const void *req, rpc_stream *out)
{
	const Tfplugin6__ListResource__Request *rq = req;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	const struct rpc_res *r = list_res_of(c, rq->type_name, &d);
	struct list_run run = {
		.pub = { .include_resource = rq->include_resource_object != 0,
			 .limit = rq->limit,
			 .emit = list_emit },
		.out = out,
		.r = r,
		.limit = rq->limit,
	};

	if (r)
		run_list(c, rq, r, &run, &d);
	/* What the list reported after its objects (an error, warnings),
	 * unless the stream is over or Terraform stopped reading. */
	if (d.n > 0 && !run.ended && !run.failed)
		send_event(&run, &d);
	return run.ended ? SRV_STATUS_CANCELLED : SRV_STATUS_OK;
}
