/* provider/rpc handlers for the provider-level RPCs: schema and metadata,
 * provider validation and configuration and StopProvider. Contract:
 * rpc_call.h; rows: rpc_table.c. */
#include <stdlib.h>
#include <string.h>

#include "../log.h"
#include "../util/cleanup.h"
#include "../server/server.h"
#include "rpc_app.h"
#include "rpc_handlers.h"
#include "rpc_schema.h"

/* GetProviderSchema: the reply never changes; it is built on first use and
 * kept by the app (see rpc_app.h). The response borrows its fields. */
int rpc_get_schema(rpc_call *c, const void *req, void *resp)
{
	Tfplugin6__GetProviderSchema__Response *rs = resp;
	rpc_app *app = c->app;

	(void)req;
	pthread_mutex_lock(&app->lock);
	if (!app->schema_msg)
		app->schema_msg = rpc_schema_reply(&app->schema_arena, app);
	*rs = *app->schema_msg;
	pthread_mutex_unlock(&app->lock);
	return SRV_STATUS_OK;
}

int rpc_get_metadata(rpc_call *c, const void *req, void *resp)
{
	Tfplugin6__GetMetadata__Response *rs = resp;
	const rpc_app *app = c->app;
	rpc_arena *ar = &c->arena;

	(void)req;
	rs->server_capabilities = rpc_server_capabilities(ar);
	/* One row per kind: the response field, the app's list, the message. */
	RPC_PUT_TYPES(ar, rs, resources, app->nres,
		      Tfplugin6__GetMetadata__ResourceMetadata,
		      tfplugin6__get_metadata__resource_metadata__init,
		      m->type_name = (char *)app->res[i].def->type_name);
	RPC_PUT_TYPES(ar, rs, data_sources, app->nds,
		      Tfplugin6__GetMetadata__DataSourceMetadata,
		      tfplugin6__get_metadata__data_source_metadata__init,
		      m->type_name = (char *)app->ds[i].def->type_name);
	RPC_PUT_TYPES(ar, rs, ephemeral_resources, app->neph,
		      Tfplugin6__GetMetadata__EphemeralMetadata,
		      tfplugin6__get_metadata__ephemeral_metadata__init,
		      m->type_name = (char *)app->eph[i].def->type_name);
	RPC_PUT_TYPES(ar, rs, functions, app->provider->nfunctions,
		      Tfplugin6__GetMetadata__FunctionMetadata,
		      tfplugin6__get_metadata__function_metadata__init,
		      m->name = (char *)app->provider->functions[i]->name);
	return SRV_STATUS_OK;
}

int rpc_validate_provider(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__ValidateProviderConfig__Request *rq = req;
	Tfplugin6__ValidateProviderConfig__Response *rs = resp;
	rpc_app *app = c->app;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *config =
		rpc_decode_dv(rq->config, tf_schema_type(app->provider_schema),
			      "provider configuration", &d);

	if (config) {
		tf_schema_validate(app->provider_schema, config, &d);
		if (app->provider->validate)
			app->provider->validate(config, &d);
	}
	return RPC_REPLY(c, &d, rs);
}

int rpc_configure(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__ConfigureProvider__Request *rq = req;
	Tfplugin6__ConfigureProvider__Response *rs = resp;
	rpc_app *app = c->app;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *config =
		rpc_decode_dv(rq->config, tf_schema_type(app->provider_schema),
			      "provider configuration", &d);
	void *client = NULL;

	if (config && !tf_value_is_wholly_known(config)) {
		/* Values that depend on resources not yet created: plan without
		 * server checks; the apply walk configures with known values. */
		pthread_mutex_lock(&app->lock);
		app->config_unknown = 1;
		pthread_mutex_unlock(&app->lock);
		tfp_info("Provider configuration is not fully known yet; "
			 "server-side plan checks are skipped");
	} else if (config) {
		client = app->provider->configure(config, rq->terraform_version,
						  &app->stop, &d);
		if (client) {
			pthread_mutex_lock(&app->lock);
			if (app->client) {
				void **nr = realloc(app->retired,
						    (app->nretired + 1) *
							    sizeof(*nr));
				if (!nr)
					abort();
				app->retired = nr;
				app->retired[app->nretired++] = app->client;
			}
			app->client = client;
			app->config_unknown = 0;
			pthread_mutex_unlock(&app->lock);
		}
	}
	return RPC_REPLY(c, &d, rs);
}

int rpc_stop(rpc_call *c, const void *req, void *resp)
{
	Tfplugin6__StopProvider__Response *rs = resp;

	(void)req;
	atomic_store(&c->app->stop, 1);
	tfp_info("StopProvider received: cancelling in-flight operations");
	rs->error = (char *)"";
	return SRV_STATUS_OK;
}
