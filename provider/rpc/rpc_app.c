/* provider/rpc helper: application state (rpc_app_new compiles every
 * schema of the provider once at start-up), lookup by type name and the
 * per-call handler context. See rpc_app.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/tf_err.h"
#include "../../schema/write_only.h"
#include "../util/cleanup.h"
#include "rpc_app.h"

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

size_t rpc_nlisted(const rpc_app *app)
{
	size_t n = 0;

	for (size_t i = 0; i < app->nres; i++)
		n += app->res[i].list_schema != NULL;
	return n;
}

const struct rpc_res *rpc_listed(const rpc_app *app, size_t k)
{
	for (size_t i = 0; i < app->nres; i++)
		if (app->res[i].list_schema && k-- == 0)
			return &app->res[i];
	return NULL;
}

static void unknown_type(tf_diags *d, const char *kind, const char *name)
{
	tf_diags_error(d, NULL, "Unsupported type",
		       "This provider has no %s named \"%s\". Check the type "
		       "name and that the right provider (lxdcapi/lxd for lxd_*, "
		       "lxdcapi/k8s for k8s_*) is configured.",
		       kind, name ? name : "");
}

const struct rpc_res *rpc_res_of(const rpc_app *app, const char *name,
				 tf_diags *d)
{
	const struct rpc_res *r = rpc_find_res(app, name);

	if (!r)
		unknown_type(d, "resource type", name);
	return r;
}

const struct rpc_ds *rpc_ds_of(const rpc_app *app, const char *name,
			       tf_diags *d)
{
	const struct rpc_ds *s = rpc_find_ds(app, name);

	if (!s)
		unknown_type(d, "data source", name);
	return s;
}

const struct rpc_eph *rpc_eph_of(const rpc_app *app, const char *name,
				 tf_diags *d)
{
	const struct rpc_eph *e = rpc_find_eph(app, name);

	if (!e)
		tf_diags_error(
			d, NULL, "Unknown ephemeral resource type",
			"This provider has no ephemeral resource \"%s\". Check "
			"the type name and the provider version.",
			name ? name : "");
	return e;
}

/* A client that did not announce write-only support (Terraform before
 * 1.11, OpenTofu without it) would store the value or reject our plan with
 * a confusing "invalid plan": name each write-only attribute it sets. */
static void write_only_refused(const tf_schema *schema, const char *type_name,
			       const tf_value *config, tf_diags *d)
{
	_cleanup_(tf_paths_done) tf_paths set = { 0 };

	if (tf_write_only_paths(schema, config, &set) != TF_OK) {
		tf_diags_error(d, NULL, "Out of memory", "%s", "");
		return;
	}
	for (size_t i = 0; i < set.n; i++) {
		_cleanup_(freep) char *p = tf_path_to_string(&set.items[i]);

		tf_diags_error(
			d, &set.items[i], "Write-only attribute not supported",
			"\"%s\" of %s is a write-only attribute: its value "
			"is used but never stored in the plan or the state. "
			"This Terraform (or OpenTofu) does not support "
			"write-only attributes; Terraform 1.11 or later does. "
			"Upgrade it, or leave \"%s\" unset.",
			p ? p : "?", type_name, p ? p : "?");
	}
}

void rpc_validate_config(rpc_app *app, const tf_schema *schema,
			 const char *type_name,
			 void (*hook)(tfp_ctx *, const tf_value *, tf_diags *),
			 const Tfplugin6__DynamicValue *dv, const char *what,
			 bool write_only_allowed, tf_diags *d)
{
	_cleanup_(tf_value_unrefp)
		tf_value *config = rpc_decode_dv(dv, tf_schema_type(schema),
						 what, d);
	tfp_ctx ctx;

	if (!config)
		return;
	tf_schema_validate(schema, config, d);
	if (!write_only_allowed)
		write_only_refused(schema, type_name, config, d);
	if (!hook)
		return;
	rpc_ctx_init(&ctx, app, schema, type_name, NULL);
	hook(&ctx, config, d);
	free(ctx.private_out);
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

/* ---- application ------------------------------------------------------- */

/* Compile one schema. Write-only attributes exist for managed resources
 * only (`resource`): a provider configuration is never stored anyway and
 * already accepts ephemeral values, and data sources and ephemeral
 * resources have no state to keep a value out of; so everything else
 * (`resource` false) is refused with one. */
static int compile_one(const tf_block_def *def, int64_t version,
		       const char *what, bool resource, tf_schema **out,
		       char *err, size_t errlen)
{
	char msg[256] = "";

	if (!resource && tf_block_has_flag(def, TF_WRITE_ONLY)) {
		snprintf(err, errlen,
			 "%s: write-only attributes are for managed resources "
			 "only",
			 what);
		return -1;
	}
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
	if (compile_one(p->schema, 0, "provider schema", false,
			&app->provider_schema, err, errlen))
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
		if (compile_one(p->resources[i]->schema,
				p->resources[i]->version,
				p->resources[i]->type_name, true,
				&app->res[i].schema, err, errlen))
			goto fail;
		app->nres++;
		if (p->resources[i]->list &&
		    compile_one(p->resources[i]->list_schema, 0,
				p->resources[i]->type_name, false,
				&app->res[i].list_schema, err, errlen))
			goto fail;
		if (p->resources[i]->identity_schema &&
		    compile_one(p->resources[i]->identity_schema,
				p->resources[i]->identity_version,
				p->resources[i]->type_name, false,
				&app->res[i].identity, err, errlen))
			goto fail;
	}
	for (size_t i = 0; i < p->ndata_sources; i++) {
		app->ds[i].def = p->data_sources[i];
		if (compile_one(p->data_sources[i]->schema, 0,
				p->data_sources[i]->type_name, false,
				&app->ds[i].schema, err, errlen))
			goto fail;
		app->nds++;
	}
	for (size_t i = 0; i < p->nephemerals; i++) {
		app->eph[i].def = p->ephemerals[i];
		if (compile_one(p->ephemerals[i]->schema, 0,
				p->ephemerals[i]->type_name, false,
				&app->eph[i].schema, err, errlen))
			goto fail;
		app->neph++;
	}
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
	for (size_t i = 0; i < app->nres; i++) {
		tf_schema_free(app->res[i].schema);
		tf_schema_free(app->res[i].list_schema);
		tf_schema_free(app->res[i].identity);
	}
	for (size_t i = 0; i < app->nds; i++)
		tf_schema_free(app->ds[i].schema);
	for (size_t i = 0; i < app->neph; i++)
		tf_schema_free(app->eph[i].schema);
	free(app->res);
	free(app->ds);
	free(app->eph);
	tf_schema_free(app->provider_schema);
	rpc_arena_done(&app->schema_arena);
	pthread_mutex_destroy(&app->lock);
	free(app);
}
