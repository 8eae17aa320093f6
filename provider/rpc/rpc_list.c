/* provider/rpc handler for ListResource (tfplugin6 6.10, `terraform
 * query`), a server stream: one Event per object found, then status OK.
 * Contract: rpc_call.h; row: rpc_table.c.
 *
 * Problems travel as an event carrying error diagnostics, then OK: that
 * is how Terraform reads them (internal/plugin6/grpc_provider.go
 * ListResource in 1.14 turns each event's diagnostics into its own and
 * stops at the first error; a non-OK status would only surface as a raw
 * gRPC error). Terraform itself only lists types the schema declares in
 * list_resource_schemas.
 *
 * No list resources are declared yet (the schema advertises none), so
 * every type is unknown: one error event, then OK. When list resources
 * arrive, a known type streams its events here (checking ctx.stop between
 * objects, stopping when rpc_stream_send reports the end) and ends OK. */
#include "../server/server.h"
#include "rpc_app.h"
#include "rpc_handlers.h"

int rpc_list_resource(rpc_call *c, const void *req, rpc_stream *out)
{
	const Tfplugin6__ListResource__Request *rq = req;
	Tfplugin6__ListResource__Event *ev = out->msg;
	tf_diags d = TF_DIAGS_INIT;

	tf_diags_error(&d, NULL, "Unsupported list resource type",
		       "The %s provider cannot list \"%s\": it has no list "
		       "resources yet, so `list` blocks and `terraform query` "
		       "are not supported for any of its types.",
		       c->app->provider->type,
		       rq->type_name ? rq->type_name : "");
	rpc_put_diags(&out->arena, &d, &ev->n_diagnostic, &ev->diagnostic);
	tf_diags_done(&d);
	if (rpc_stream_send(out) != 0)
		return SRV_STATUS_CANCELLED;
	return SRV_STATUS_OK;
}
