/* The RPC layer: application state, dispatch, and the provider-level RPCs
 * (schema, provider validation and configuration, stop). Resource and data
 * source RPCs are in rpc_resource.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/tf_err.h"
#include "../log.h"
#include "../server/server.h"
#include "rpc_internal.h"

/* ---- arena ------------------------------------------------------------ */

void *rpc_own(rpc_arena *ar, void *p)
{
	if (!p) {
		tfp_error("Out of memory building a response");
		abort();
	}
	if (ar->n == ar->cap) {
		size_t cap = ar->cap ? ar->cap * 2 : 32;
		void **np = realloc(ar->ptrs, cap * sizeof(*np));
		if (!np) {
			tfp_error("Out of memory building a response");
			abort();
		}
		ar->ptrs = np;
		ar->cap = cap;
	}
	ar->ptrs[ar->n++] = p;
	return p;
}

void *rpc_alloc(rpc_arena *ar, size_t size)
{
	return rpc_own(ar, calloc(1, size ? size : 1));
}

char *rpc_strdup(rpc_arena *ar, const char *s)
{
	return rpc_own(ar, strdup(s ? s : ""));
}

void rpc_arena_done(rpc_arena *ar)
{
	for (size_t i = 0; i < ar->n; i++)
		free(ar->ptrs[i]);
	free(ar->ptrs);
	memset(ar, 0, sizeof(*ar));
}

/* ---- values and diagnostics ------------------------------------------- */

tf_value *rpc_decode_dv(const Tfplugin6__DynamicValue *dv, tf_type *type,
			const char *what, tf_diags *d)
{
	char err[256] = "";
	tf_value *v = NULL;
	int rc;

	if (!dv || (dv->msgpack.len == 0 && dv->json.len == 0))
		return tf_value_null(type);
	if (dv->msgpack.len > 0)
		rc = tf_msgpack_decode(dv->msgpack.data, dv->msgpack.len, type,
				       &v, err, sizeof(err));
	else
		rc = tf_json_decode((const char *)dv->json.data, dv->json.len,
				    type, 0, &v, err, sizeof(err));
	if (rc != TF_OK) {
		tf_diags_error(d, NULL, "Invalid value from Terraform",
			       "The %s sent by Terraform could not be decoded: %s. "
			       "This is a bug in the provider or a Terraform/provider "
			       "version mismatch; please report it.",
			       what, err);
		return NULL;
	}
	return v;
}

Tfplugin6__DynamicValue *rpc_encode_dv(rpc_arena *ar, const tf_value *v,
				       tf_type *type, tf_diags *d)
{
	Tfplugin6__DynamicValue *dv = rpc_alloc(ar, sizeof(*dv));
	tf_value *null_v = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	tfplugin6__dynamic_value__init(dv);
	if (!v)
		v = null_v = tf_value_null(type);
	if (tf_msgpack_encode(v, &buf, &len) != TF_OK) {
		tf_diags_error(d, NULL, "Provider could not encode a value",
			       "Encoding a value for Terraform failed; this is a "
			       "provider bug, please report it.");
	} else {
		dv->msgpack.data = rpc_own(ar, buf);
		dv->msgpack.len = len;
	}
	tf_value_unref(null_v);
	return dv;
}

Tfplugin6__AttributePath *rpc_put_path(rpc_arena *ar, const tf_path *p)
{
	Tfplugin6__AttributePath *ap = rpc_alloc(ar, sizeof(*ap));

	tfplugin6__attribute_path__init(ap);
	ap->n_steps = p->n;
	ap->steps = rpc_alloc(ar, p->n * sizeof(*ap->steps));
	for (size_t i = 0; i < p->n; i++) {
		Tfplugin6__AttributePath__Step *s = rpc_alloc(ar, sizeof(*s));
		tfplugin6__attribute_path__step__init(s);
		switch (p->steps[i].kind) {
		case TF_STEP_ATTR:
			s->selector_case = TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ATTRIBUTE_NAME;
			s->attribute_name = rpc_strdup(ar, p->steps[i].name);
			break;
		case TF_STEP_KEY_STRING:
			s->selector_case = TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ELEMENT_KEY_STRING;
			s->element_key_string = rpc_strdup(ar, p->steps[i].name);
			break;
		case TF_STEP_KEY_INT:
			s->selector_case = TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ELEMENT_KEY_INT;
			s->element_key_int = p->steps[i].index;
			break;
		}
		ap->steps[i] = s;
	}
	return ap;
}

void rpc_put_diags(rpc_arena *ar, const tf_diags *d, size_t *n_out,
		   Tfplugin6__Diagnostic ***out)
{
	*n_out = d->n;
	*out = d->n ? rpc_alloc(ar, d->n * sizeof(**out)) : NULL;
	for (size_t i = 0; i < d->n; i++) {
		Tfplugin6__Diagnostic *g = rpc_alloc(ar, sizeof(*g));
		tfplugin6__diagnostic__init(g);
		g->severity = d->items[i].severity == TF_DIAG_WARNING
				      ? TFPLUGIN6__DIAGNOSTIC__SEVERITY__WARNING
				      : TFPLUGIN6__DIAGNOSTIC__SEVERITY__ERROR;
		g->summary = rpc_strdup(ar, d->items[i].summary);
		g->detail = rpc_strdup(ar, d->items[i].detail);
		if (d->items[i].path.n)
			g->attribute = rpc_put_path(ar, &d->items[i].path);
		(*out)[i] = g;
		if (d->items[i].severity == TF_DIAG_ERROR)
			tfp_debug("Diagnostic: %s: %s", d->items[i].summary,
				  d->items[i].detail);
	}
}

const struct rpc_res *rpc_find_res(const rpc_app *app, const char *name)
{
	for (size_t i = 0; name && i < app->nres; i++)
		if (strcmp(app->res[i].def->type_name, name) == 0)
			return &app->res[i];
	return NULL;
}

const struct rpc_ds *rpc_find_ds(const rpc_app *app, const char *name)
{
	for (size_t i = 0; name && i < app->nds; i++)
		if (strcmp(app->ds[i].def->type_name, name) == 0)
			return &app->ds[i];
	return NULL;
}

const struct rpc_eph *rpc_find_eph(const rpc_app *app, const char *name)
{
	for (size_t i = 0; name && i < app->neph; i++)
		if (strcmp(app->eph[i].def->type_name, name) == 0)
			return &app->eph[i];
	return NULL;
}

void rpc_ctx_init(tfp_ctx *ctx, rpc_app *app, const tf_schema *schema,
		  const char *type_name, const ProtobufCBinaryData *private_in)
{
	memset(ctx, 0, sizeof(*ctx));
	pthread_mutex_lock(&app->lock);
	ctx->client = app->client;
	pthread_mutex_unlock(&app->lock);
	ctx->schema = schema;
	ctx->type_name = type_name;
	ctx->stop = &app->stop;
	if (private_in && private_in->len) {
		ctx->private_in = private_in->data;
		ctx->private_in_len = private_in->len;
	}
}

/* ---- application ------------------------------------------------------ */

static int compile_one(const tf_block_def *def, int64_t version,
		       const char *what, tf_schema **out, char *err,
		       size_t errlen)
{
	char msg[256] = "";

	if (tf_schema_compile(def, version, out, msg, sizeof(msg)) != TF_OK) {
		snprintf(err, errlen, "%s: %s", what, msg);
		return -1;
	}
	return 0;
}

rpc_app *rpc_app_new(const tfp_provider *p, char *err, size_t errlen)
{
	rpc_app *app = calloc(1, sizeof(*app));

	if (!app) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	app->provider = p;
	pthread_mutex_init(&app->lock, NULL);
	atomic_init(&app->stop, 0);
	if (compile_one(p->schema, 0, "provider schema", &app->provider_schema,
			err, errlen))
		goto fail;
	app->res = calloc(p->nresources + 1, sizeof(*app->res));
	app->ds = calloc(p->ndata_sources + 1, sizeof(*app->ds));
	app->eph = calloc(p->nephemerals + 1, sizeof(*app->eph));
	if (!app->res || !app->ds || !app->eph) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < p->nresources; i++) {
		app->res[i].def = p->resources[i];
		if (compile_one(p->resources[i]->schema, p->resources[i]->version,
				p->resources[i]->type_name, &app->res[i].schema,
				err, errlen))
			goto fail;
		app->nres++;
	}
	for (size_t i = 0; i < p->ndata_sources; i++) {
		app->ds[i].def = p->data_sources[i];
		if (compile_one(p->data_sources[i]->schema, 0,
				p->data_sources[i]->type_name, &app->ds[i].schema,
				err, errlen))
			goto fail;
		app->nds++;
	}
	for (size_t i = 0; i < p->nephemerals; i++) {
		app->eph[i].def = p->ephemerals[i];
		if (compile_one(p->ephemerals[i]->schema, 0,
				p->ephemerals[i]->type_name, &app->eph[i].schema,
				err, errlen))
			goto fail;
		app->neph++;
	}
	if (rpc_build_schema_reply(app, err, errlen))
		goto fail;
	return app;
fail:
	rpc_app_free(app);
	return NULL;
}

void rpc_app_free(rpc_app *app)
{
	if (!app)
		return;
	if (app->client && app->provider->client_free)
		app->provider->client_free(app->client);
	for (size_t i = 0; i < app->nretired; i++)
		if (app->provider->client_free)
			app->provider->client_free(app->retired[i]);
	free(app->retired);
	for (size_t i = 0; i < app->nres; i++)
		tf_schema_free(app->res[i].schema);
	for (size_t i = 0; i < app->nds; i++)
		tf_schema_free(app->ds[i].schema);
	for (size_t i = 0; i < app->neph; i++)
		tf_schema_free(app->eph[i].schema);
	free(app->res);
	free(app->ds);
	free(app->eph);
	tf_schema_free(app->provider_schema);
	free(app->schema_reply);
	pthread_mutex_destroy(&app->lock);
	free(app);
}

/* ---- provider-level RPCs ---------------------------------------------- */

static int rpc_get_schema(rpc_app *app, const uint8_t *req, size_t len,
			  uint8_t **resp, size_t *resp_len)
{
	(void)req;
	(void)len;
	*resp = malloc(app->schema_reply_len ? app->schema_reply_len : 1);
	if (!*resp)
		abort();
	memcpy(*resp, app->schema_reply, app->schema_reply_len);
	*resp_len = app->schema_reply_len;
	return SRV_STATUS_OK;
}

static int rpc_get_metadata(rpc_app *app, const uint8_t *req, size_t len,
			    uint8_t **resp, size_t *resp_len)
{
	Tfplugin6__GetMetadata__Response rs = TFPLUGIN6__GET_METADATA__RESPONSE__INIT;
	Tfplugin6__ServerCapabilities caps = TFPLUGIN6__SERVER_CAPABILITIES__INIT;
	rpc_arena ar = {0};

	(void)req;
	(void)len;
	caps.plan_destroy = 1;
	caps.get_provider_schema_optional = 1;
	rs.server_capabilities = &caps;
	rs.n_resources = app->nres;
	rs.resources = rpc_alloc(&ar, app->nres * sizeof(*rs.resources));
	for (size_t i = 0; i < app->nres; i++) {
		Tfplugin6__GetMetadata__ResourceMetadata *m = rpc_alloc(&ar, sizeof(*m));
		tfplugin6__get_metadata__resource_metadata__init(m);
		m->type_name = (char *)app->res[i].def->type_name;
		rs.resources[i] = m;
	}
	rs.n_data_sources = app->nds;
	rs.data_sources = rpc_alloc(&ar, app->nds * sizeof(*rs.data_sources));
	for (size_t i = 0; i < app->nds; i++) {
		Tfplugin6__GetMetadata__DataSourceMetadata *m = rpc_alloc(&ar, sizeof(*m));
		tfplugin6__get_metadata__data_source_metadata__init(m);
		m->type_name = (char *)app->ds[i].def->type_name;
		rs.data_sources[i] = m;
	}
	rs.n_ephemeral_resources = app->neph;
	rs.ephemeral_resources = rpc_alloc(&ar, app->neph * sizeof(*rs.ephemeral_resources));
	for (size_t i = 0; i < app->neph; i++) {
		Tfplugin6__GetMetadata__EphemeralMetadata *m = rpc_alloc(&ar, sizeof(*m));
		tfplugin6__get_metadata__ephemeral_metadata__init(m);
		m->type_name = (char *)app->eph[i].def->type_name;
		rs.ephemeral_resources[i] = m;
	}
	RPC_PACK(tfplugin6__get_metadata__response, &rs, resp, resp_len);
	rpc_arena_done(&ar);
	return SRV_STATUS_OK;
}

static int rpc_validate_provider(rpc_app *app, const uint8_t *req, size_t len,
				 uint8_t **resp, size_t *resp_len)
{
	Tfplugin6__ValidateProviderConfig__Request *rq;
	Tfplugin6__ValidateProviderConfig__Response rs =
		TFPLUGIN6__VALIDATE_PROVIDER_CONFIG__RESPONSE__INIT;
	tf_diags d = TF_DIAGS_INIT;
	rpc_arena ar = {0};
	tf_value *config;

	rq = RPC_UNPACK(tfplugin6__validate_provider_config__request, len, req);
	if (!rq)
		return SRV_STATUS_INVALID_ARGUMENT;
	config = rpc_decode_dv(rq->config, tf_schema_type(app->provider_schema),
			       "provider configuration", &d);
	if (config) {
		tf_schema_validate(app->provider_schema, config, &d);
		if (app->provider->validate)
			app->provider->validate(config, &d);
	}
	rpc_put_diags(&ar, &d, &rs.n_diagnostics, &rs.diagnostics);
	RPC_PACK(tfplugin6__validate_provider_config__response, &rs, resp, resp_len);
	tf_value_unref(config);
	tf_diags_done(&d);
	rpc_arena_done(&ar);
	RPC_FREE(rq);
	return SRV_STATUS_OK;
}

static int rpc_configure(rpc_app *app, const uint8_t *req, size_t len,
			 uint8_t **resp, size_t *resp_len)
{
	Tfplugin6__ConfigureProvider__Request *rq;
	Tfplugin6__ConfigureProvider__Response rs =
		TFPLUGIN6__CONFIGURE_PROVIDER__RESPONSE__INIT;
	tf_diags d = TF_DIAGS_INIT;
	rpc_arena ar = {0};
	tf_value *config;
	void *client = NULL;

	rq = RPC_UNPACK(tfplugin6__configure_provider__request, len, req);
	if (!rq)
		return SRV_STATUS_INVALID_ARGUMENT;
	config = rpc_decode_dv(rq->config, tf_schema_type(app->provider_schema),
			       "provider configuration", &d);
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
						    (app->nretired + 1) * sizeof(*nr));
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
	rpc_put_diags(&ar, &d, &rs.n_diagnostics, &rs.diagnostics);
	RPC_PACK(tfplugin6__configure_provider__response, &rs, resp, resp_len);
	tf_value_unref(config);
	tf_diags_done(&d);
	rpc_arena_done(&ar);
	RPC_FREE(rq);
	return SRV_STATUS_OK;
}

static int rpc_stop(rpc_app *app, const uint8_t *req, size_t len,
		    uint8_t **resp, size_t *resp_len)
{
	Tfplugin6__StopProvider__Response rs = TFPLUGIN6__STOP_PROVIDER__RESPONSE__INIT;

	(void)req;
	(void)len;
	atomic_store(&app->stop, 1);
	tfp_info("StopProvider received: cancelling in-flight operations");
	rs.error = (char *)"";
	RPC_PACK(tfplugin6__stop_provider__response, &rs, resp, resp_len);
	return SRV_STATUS_OK;
}

static int rpc_get_functions(rpc_app *app, const uint8_t *req, size_t len,
			     uint8_t **resp, size_t *resp_len)
{
	Tfplugin6__GetFunctions__Response rs = TFPLUGIN6__GET_FUNCTIONS__RESPONSE__INIT;

	(void)app;
	(void)req;
	(void)len;
	RPC_PACK(tfplugin6__get_functions__response, &rs, resp, resp_len);
	return SRV_STATUS_OK;
}

static int rpc_identity_schemas(rpc_app *app, const uint8_t *req, size_t len,
				uint8_t **resp, size_t *resp_len)
{
	Tfplugin6__GetResourceIdentitySchemas__Response rs =
		TFPLUGIN6__GET_RESOURCE_IDENTITY_SCHEMAS__RESPONSE__INIT;

	(void)app;
	(void)req;
	(void)len;
	RPC_PACK(tfplugin6__get_resource_identity_schemas__response, &rs, resp,
		 resp_len);
	return SRV_STATUS_OK;
}

/* ---- dispatch --------------------------------------------------------- */

#define P "/tfplugin6.Provider/"

static const struct {
	const char *method;
	rpc_fn fn;
} dispatch[] = {
	{P "GetProviderSchema", rpc_get_schema},
	{P "GetMetadata", rpc_get_metadata},
	{P "ValidateProviderConfig", rpc_validate_provider},
	{P "ValidateResourceConfig", rpc_validate_resource},
	{P "ValidateDataResourceConfig", rpc_validate_data_source},
	{P "UpgradeResourceState", rpc_upgrade_state},
	{P "ConfigureProvider", rpc_configure},
	{P "ReadResource", rpc_read_resource},
	{P "PlanResourceChange", rpc_plan_change},
	{P "ApplyResourceChange", rpc_apply_change},
	{P "ImportResourceState", rpc_import_state},
	{P "ReadDataSource", rpc_read_data_source},
	{P "StopProvider", rpc_stop},
	{P "GetFunctions", rpc_get_functions},
	{P "GetResourceIdentitySchemas", rpc_identity_schemas},
	{P "ValidateEphemeralResourceConfig", rpc_validate_ephemeral},
	{P "OpenEphemeralResource", rpc_open_ephemeral},
	{P "RenewEphemeralResource", rpc_renew_ephemeral},
	{P "CloseEphemeralResource", rpc_close_ephemeral},
};

const char *const rpc_methods[] = {
	P "GetProviderSchema",
	P "GetMetadata",
	P "ValidateProviderConfig",
	P "ValidateResourceConfig",
	P "ValidateDataResourceConfig",
	P "UpgradeResourceState",
	P "ConfigureProvider",
	P "ReadResource",
	P "PlanResourceChange",
	P "ApplyResourceChange",
	P "ImportResourceState",
	P "ReadDataSource",
	P "StopProvider",
	P "GetFunctions",
	P "GetResourceIdentitySchemas",
	P "ValidateEphemeralResourceConfig",
	P "OpenEphemeralResource",
	P "RenewEphemeralResource",
	P "CloseEphemeralResource",
	NULL,
};

int rpc_handle(void *appv, const char *method, const uint8_t *req,
	       size_t req_len, uint8_t **resp, size_t *resp_len,
	       const char **status_msg)
{
	rpc_app *app = appv;

	for (size_t i = 0; i < TF_COUNT(dispatch); i++) {
		if (strcmp(method, dispatch[i].method) == 0) {
			int rc;
			tfp_trace("RPC %s", method + sizeof(P) - 1);
			rc = dispatch[i].fn(app, req, req_len, resp, resp_len);
			if (rc == SRV_STATUS_INVALID_ARGUMENT && status_msg)
				*status_msg = "request could not be decoded";
			return rc;
		}
	}
	if (status_msg)
		*status_msg = "method not implemented by this provider";
	return SRV_STATUS_UNIMPLEMENTED;
}
