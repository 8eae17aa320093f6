/* Resource identity and GenerateResourceConfig through the RPC layer, on a
 * fake provider: the identity schema reply, identity on Read/Plan/Apply/
 * Import, import by identity (the id it becomes, defaults, refusals), a
 * changed identity reported, UpgradeResourceIdentity across versions, and
 * the generated configuration (computed-only, defaults, empty values and
 * sensitive values left out; the null state Terraform 1.14.0 sends). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/identity.h"
#include "provider/rpc/rpc_app.h"
#include "provider/rpc/rpc_table.h"
#include "provider/rpc/rpc_values.h"
#include "provider/server/server.h"
#include "schema/codec.h"
#include "schema/tf_err.h"

#include "rpc_fixture.h"

/* ---- the fake provider ------------------------------------------------ */

static const tf_attr_def net_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL, "Name." },
	{ "scope", "\"string\"", TF_OPTIONAL | TF_COMPUTED | TF_FORCE_NEW, NULL,
	  "Scope." },
	{ "mode", "\"string\"", TF_OPTIONAL | TF_COMPUTED, "\"auto\"",
	  "Mode." },
	{ "note", "\"string\"", TF_OPTIONAL, NULL, "Note." },
	{ "token", "\"string\"", TF_OPTIONAL | TF_SENSITIVE, NULL, "Token." },
	{ "id", "\"string\"", TF_COMPUTED, NULL, "Server id." },
};
static const tf_block_def net_schema = { net_attrs, TF_COUNT(net_attrs) };

static const tf_attr_def net_id_attrs[] = {
	{ "scope", "\"string\"", TF_OPTIONAL | TF_COMPUTED, "\"default\"",
	  "Scope." },
	{ "name", "\"string\"", TF_REQUIRED, NULL, "Name." },
};
static const tf_block_def net_id_schema = { net_id_attrs,
					    TF_COUNT(net_id_attrs) };

/* What the last import was asked for. */
static char last_import_id[256];

static tf_value *net_state(const tfp_ctx *ctx, const char *scope,
			   const char *name)
{
	tf_value *st = tf_schema_empty_object(ctx->schema);
	char id[300];

	snprintf(id, sizeof(id), "id-%s-%s", scope, name);
	tf_value_object_set(st, "name", tf_value_string(name));
	tf_value_object_set(st, "scope", tf_value_string(scope));
	tf_value_object_set(st, "mode", tf_value_string("auto"));
	tf_value_object_set(st, "note", tf_value_string(""));
	tf_value_object_set(st, "id", tf_value_string(id));
	return st;
}

static void net_create(tfp_ctx *ctx, const tf_value *planned,
		       const tf_value *config, tf_value **out, tf_diags *d)
{
	const char *scope = tf_value_attr_string(planned, "scope");

	(void)config;
	(void)d;
	*out = net_state(ctx, scope ? scope : "default",
			 tf_value_attr_string(planned, "name"));
}

/* A read of "renamed" answers with another name: an identity change. */
static void net_read(tfp_ctx *ctx, const tf_value *state, tf_value **out,
		     tf_diags *d)
{
	const char *name = tf_value_attr_string(state, "name");

	(void)d;
	*out = net_state(ctx, tf_value_attr_string(state, "scope"),
			 strcmp(name, "renamed") == 0 ? "other" : name);
}

static void net_update(tfp_ctx *ctx, const tf_value *prior,
		       const tf_value *planned, const tf_value *config,
		       tf_value **out, tf_diags *d)
{
	(void)prior;
	(void)config;
	net_read(ctx, planned, out, d);
}

static void net_remove(tfp_ctx *ctx, const tf_value *prior, tf_diags *d)
{
	(void)ctx;
	(void)prior;
	(void)d;
}

static void net_import(tfp_ctx *ctx, const char *id, tf_value **out,
		       tf_diags *d)
{
	const char *slash = strchr(id, '/');
	char scope[128] = "default";

	(void)d;
	snprintf(last_import_id, sizeof(last_import_id), "%s", id);
	if (slash)
		snprintf(scope, sizeof(scope), "%.*s", (int)(slash - id), id);
	*out = tf_schema_empty_object(ctx->schema);
	tf_value_object_set(*out, "scope", tf_value_string(scope));
	tf_value_object_set(*out, "name",
			    tf_value_string(slash ? slash + 1 : id));
}

static void net_identity(tfp_ctx *ctx, const tf_value *state,
			 tf_value **identity, tf_diags *d)
{
	*identity = tfp_identity_from_state(&net_id_schema, NULL,
					    ctx->type_name, state, d);
}

/* v0 identities called the name "label". */
static int net_upgrade_identity(int64_t from, json_t *ident, tf_diags *d)
{
	(void)d;
	if (from == 0) {
		json_object_set(ident, "name", json_object_get(ident, "label"));
		json_object_del(ident, "label");
	}
	return 0;
}

static const tfp_resource net = {
	.type_name = "fake_net",
	.schema = &net_schema,
	.create = net_create,
	.read = net_read,
	.update = net_update,
	.remove = net_remove,
	.import = net_import,
	.identity_schema = &net_id_schema,
	.identity_version = 1,
	.identity = net_identity,
	.upgrade_identity = net_upgrade_identity,
};

/* A resource without identity. */
static const tfp_resource plain = {
	.type_name = "fake_plain",
	.schema = &net_schema,
	.create = net_create,
	.read = net_read,
	.update = net_update,
	.remove = net_remove,
	.import = net_import,
};

static const tf_block_def fake_provider_schema = { NULL, 0 };
static const tfp_resource *const fake_resources[] = { &net, &plain };

static const tfp_provider fake = {
	.type = "fake",
	.source_address = "registry.terraform.io/test/fake",
	.schema = &fake_provider_schema,
	.configure = rpcfx_configure,
	.resources = fake_resources,
	.nresources = 2,
};

/* ---- helpers ------------------------------------------------------------ */

#define M "/tfplugin6.Provider/"

static rpc_app *app;
static tf_type *net_type, *id_type;

/* Call `method` with a message; return the reply bytes. */
static uint8_t *call(const char *method, const ProtobufCMessage *rq,
		     size_t *rlen)
{
	return rpcfx_call(app, method, rq, rlen);
}

static int setup(void **state)
{
	(void)state;
	app = rpcfx_app(&fake, true);
	net_type = tf_schema_type(app->res[0].schema);
	id_type = tf_schema_type(app->res[0].identity);
	assert_null(app->res[1].identity);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rpc_app_free(app);
	return 0;
}

/* Identity data for a request (free with ident_free). */
static Tfplugin6__ResourceIdentityData *ident(const char *scope,
					      const char *name)
{
	Tfplugin6__ResourceIdentityData *r = calloc(1, sizeof(*r));
	tf_value *v = tf_value_object_new(id_type);

	tfplugin6__resource_identity_data__init(r);
	if (scope)
		tf_value_object_set(v, "scope", tf_value_string(scope));
	if (name)
		tf_value_object_set(v, "name", tf_value_string(name));
	r->identity_data = rpcfx_dv(v);
	tf_value_unref(v);
	return r;
}

static void ident_free(Tfplugin6__ResourceIdentityData *r)
{
	if (r)
		rpcfx_dv_free(r->identity_data);
	free(r);
}

/* The identity in a reply: "scope/name", "<unknown>" parts, or "" when
 * absent. */
static const char *ident_text(const Tfplugin6__ResourceIdentityData *r)
{
	static char buf[256];
	tf_value *v;
	const tf_value *s, *n;

	if (!r || !r->identity_data)
		return "";
	v = rpcfx_undv(r->identity_data, id_type);
	s = tf_value_attr(v, "scope");
	n = tf_value_attr(v, "name");
	snprintf(buf, sizeof(buf), "%s/%s",
		 tf_value_is_unknown(s) ? "<unknown>" :
					  tf_value_attr_string(v, "scope"),
		 tf_value_is_unknown(n) ? "<unknown>" :
					  tf_value_attr_string(v, "name"));
	tf_value_unref(v);
	return buf;
}

static tf_value *state_of(const char *scope, const char *name)
{
	tf_value *v = tf_value_object_new(net_type);

	tf_value_object_set(v, "name", tf_value_string(name));
	tf_value_object_set(v, "scope", tf_value_string(scope));
	tf_value_object_set(v, "mode", tf_value_string("auto"));
	tf_value_object_set(v, "note", tf_value_string(""));
	tf_value_object_set(v, "id", tf_value_string("x"));
	return v;
}

static bool has_error(Tfplugin6__Diagnostic **ds, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (ds[i]->severity == TFPLUGIN6__DIAGNOSTIC__SEVERITY__ERROR &&
		    strstr(ds[i]->summary, s))
			return true;
	return false;
}

/* ---- tests ------------------------------------------------------------- */

static void test_identity_schemas(void **state)
{
	Tfplugin6__GetResourceIdentitySchemas__Request rq =
		TFPLUGIN6__GET_RESOURCE_IDENTITY_SCHEMAS__REQUEST__INIT;
	Tfplugin6__GetResourceIdentitySchemas__Response *rs;
	Tfplugin6__ResourceIdentitySchema *s;
	size_t rlen;
	uint8_t *b = call(M "GetResourceIdentitySchemas", &rq.base, &rlen);

	(void)state;
	rs = RPC_UNPACK(tfplugin6__get_resource_identity_schemas__response,
			rlen, b);
	assert_int_equal(rs->n_identity_schemas, 1); /* not fake_plain */
	assert_string_equal(rs->identity_schemas[0]->key, "fake_net");
	s = rs->identity_schemas[0]->value;
	assert_int_equal(s->version, 1);
	assert_int_equal(s->n_identity_attributes, 2);
	assert_string_equal(s->identity_attributes[0]->name, "scope");
	assert_true(s->identity_attributes[0]->optional_for_import);
	assert_false(s->identity_attributes[0]->required_for_import);
	assert_string_equal(s->identity_attributes[1]->name, "name");
	assert_true(s->identity_attributes[1]->required_for_import);
	assert_memory_equal(s->identity_attributes[1]->type.data, "\"string\"",
			    s->identity_attributes[1]->type.len);
	RPC_FREE(rs);
	free(b);
}

static void test_capability_generate_config(void **state)
{
	Tfplugin6__GetProviderSchema__Request rq =
		TFPLUGIN6__GET_PROVIDER_SCHEMA__REQUEST__INIT;
	Tfplugin6__GetProviderSchema__Response *rs;
	size_t rlen;
	uint8_t *b = call(M "GetProviderSchema", &rq.base, &rlen);

	(void)state;
	rs = RPC_UNPACK(tfplugin6__get_provider_schema__response, rlen, b);
	assert_true(rs->server_capabilities->generate_resource_config);
	assert_true(
		rs->server_capabilities->move_resource_state); /* rpc_state.c */
	RPC_FREE(rs);
	free(b);
}

/* ReadResource: the identity of the new state; checked against the
 * current one. */
static const char *read_identity(const char *name,
				 Tfplugin6__ResourceIdentityData *cur,
				 bool *error)
{
	Tfplugin6__ReadResource__Request rq =
		TFPLUGIN6__READ_RESOURCE__REQUEST__INIT;
	Tfplugin6__ReadResource__Response *rs;
	tf_value *st = state_of("s1", name);
	size_t rlen;
	uint8_t *b;
	const char *out;

	rq.type_name = (char *)"fake_net";
	rq.current_state = rpcfx_dv(st);
	rq.current_identity = cur;
	b = call(M "ReadResource", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__read_resource__response, rlen, b);
	out = ident_text(rs->new_identity);
	*error = has_error(rs->diagnostics, rs->n_diagnostics,
			   "Resource identity changed");
	RPC_FREE(rs);
	free(b);
	rpcfx_dv_free(rq.current_state);
	tf_value_unref(st);
	return out;
}

static void test_read_identity(void **state)
{
	Tfplugin6__ResourceIdentityData *cur = ident("s1", "a");
	bool err;

	(void)state;
	/* No stored identity yet (state from before identities). */
	assert_string_equal(read_identity("a", NULL, &err), "s1/a");
	assert_false(err);
	assert_string_equal(read_identity("a", cur, &err), "s1/a");
	assert_false(err);
	ident_free(cur);
	/* The object now answers with another name: reported, not sent. */
	cur = ident("s1", "renamed");
	assert_string_equal(read_identity("renamed", cur, &err), "");
	assert_true(err);
	ident_free(cur);
}

/* PlanResourceChange from `prior` (NULL: create) to `proposed` (NULL:
 * destroy). Returns the planned identity as text. */
static const char *plan_identity(tf_value *prior, tf_value *proposed,
				 Tfplugin6__ResourceIdentityData *prior_id,
				 bool *error)
{
	Tfplugin6__PlanResourceChange__Request rq =
		TFPLUGIN6__PLAN_RESOURCE_CHANGE__REQUEST__INIT;
	Tfplugin6__PlanResourceChange__Response *rs;
	tf_value *null = tf_value_null(net_type);
	size_t rlen;
	uint8_t *b;
	const char *out;

	rq.type_name = (char *)"fake_net";
	rq.prior_state = rpcfx_dv(prior ? prior : null);
	rq.proposed_new_state = rpcfx_dv(proposed ? proposed : null);
	rq.config = rpcfx_dv(proposed ? proposed : null);
	rq.prior_identity = prior_id;
	b = call(M "PlanResourceChange", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__plan_resource_change__response, rlen, b);
	out = ident_text(rs->planned_identity);
	*error = rs->n_diagnostics > 0;
	RPC_FREE(rs);
	free(b);
	rpcfx_dv_free(rq.prior_state);
	rpcfx_dv_free(rq.proposed_new_state);
	rpcfx_dv_free(rq.config);
	tf_value_unref(null);
	return out;
}

static void test_plan_identity(void **state)
{
	tf_value *cfg = tf_value_object_new(net_type);
	tf_value *prior = state_of("s1", "a");
	tf_value *renamed = state_of("s1", "b");
	Tfplugin6__ResourceIdentityData *pid = ident("s1", "a");
	bool err;

	(void)state;
	/* Create: the scope is computed, so unknown in the identity. */
	tf_value_object_set(cfg, "name", tf_value_string("a"));
	tf_value_object_set(cfg, "scope", tf_value_unknown(tf_type_string()));
	assert_string_equal(plan_identity(NULL, cfg, NULL, &err),
			    "<unknown>/a");
	assert_false(err);
	/* Update: the prior identity, wholly known. */
	assert_string_equal(plan_identity(prior, prior, pid, &err), "s1/a");
	assert_false(err);
	/* Replacement (name is force-new): a new identity is fine. */
	assert_string_equal(plan_identity(prior, renamed, pid, &err), "s1/b");
	assert_false(err);
	/* Destroy: the prior identity is echoed. */
	assert_string_equal(plan_identity(prior, NULL, pid, &err), "s1/a");
	assert_false(err);
	ident_free(pid);
	tf_value_unref(cfg);
	tf_value_unref(prior);
	tf_value_unref(renamed);
}

static void test_apply_identity(void **state)
{
	Tfplugin6__ApplyResourceChange__Request rq =
		TFPLUGIN6__APPLY_RESOURCE_CHANGE__REQUEST__INIT;
	Tfplugin6__ApplyResourceChange__Response *rs;
	tf_value *null = tf_value_null(net_type);
	tf_value *planned = tf_value_object_new(net_type);
	tf_value *pid_v = tf_value_object_new(id_type);
	Tfplugin6__ResourceIdentityData pid =
		TFPLUGIN6__RESOURCE_IDENTITY_DATA__INIT;
	size_t rlen;
	uint8_t *b;

	(void)state;
	tf_value_object_set(planned, "name", tf_value_string("a"));
	tf_value_object_set(planned, "scope", tf_value_string("s2"));
	/* The plan of the create had an unknown scope. */
	tf_value_object_set(pid_v, "name", tf_value_string("a"));
	tf_value_object_set(pid_v, "scope", tf_value_unknown(tf_type_string()));
	pid.identity_data = rpcfx_dv(pid_v);
	rq.type_name = (char *)"fake_net";
	rq.prior_state = rpcfx_dv(null);
	rq.planned_state = rpcfx_dv(planned);
	rq.config = rpcfx_dv(planned);
	rq.planned_identity = &pid;
	b = call(M "ApplyResourceChange", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__apply_resource_change__response, rlen, b);
	assert_int_equal(rs->n_diagnostics, 0);
	assert_string_equal(ident_text(rs->new_identity), "s2/a");
	RPC_FREE(rs);
	free(b);
	rpcfx_dv_free(rq.prior_state);
	rpcfx_dv_free(rq.planned_state);
	rpcfx_dv_free(rq.config);
	rpcfx_dv_free(pid.identity_data);
	tf_value_unref(null);
	tf_value_unref(planned);
	tf_value_unref(pid_v);
}

/* ImportResourceState by `id` or by identity; the returned identity as
 * text, or "ERROR: <summary>". */
static const char *import_identity(const char *type, const char *id,
				   Tfplugin6__ResourceIdentityData *by)
{
	Tfplugin6__ImportResourceState__Request rq =
		TFPLUGIN6__IMPORT_RESOURCE_STATE__REQUEST__INIT;
	Tfplugin6__ImportResourceState__Response *rs;
	static char buf[300];
	size_t rlen;
	uint8_t *b;

	rq.type_name = (char *)type;
	rq.id = (char *)(id ? id : "");
	rq.identity = by;
	last_import_id[0] = '\0';
	b = call(M "ImportResourceState", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__import_resource_state__response, rlen, b);
	if (rs->n_diagnostics > 0)
		snprintf(buf, sizeof(buf), "ERROR: %s",
			 rs->diagnostics[0]->summary);
	else if (rs->n_imported_resources == 1)
		snprintf(buf, sizeof(buf), "%s",
			 ident_text(rs->imported_resources[0]->identity));
	else
		snprintf(buf, sizeof(buf), "NOTHING");
	RPC_FREE(rs);
	free(b);
	return buf;
}

static void test_import_by_identity(void **state)
{
	Tfplugin6__ResourceIdentityData *full = ident("s1", "a");
	Tfplugin6__ResourceIdentityData *minimal = ident(NULL, "a");
	Tfplugin6__ResourceIdentityData *slash = ident("s1", "a/b");
	Tfplugin6__ResourceIdentityData *noname = ident("s1", NULL);
	Tfplugin6__ResourceIdentityData *empty = ident("", "a");

	(void)state;
	assert_string_equal(import_identity("fake_net", NULL, full), "s1/a");
	assert_string_equal(last_import_id, "s1/a");
	/* The optional scope takes its identity-schema default. */
	assert_string_equal(import_identity("fake_net", NULL, minimal),
			    "default/a");
	assert_string_equal(last_import_id, "default/a");
	/* By ID: an identity is returned too. */
	assert_string_equal(import_identity("fake_net", "s3/c", NULL), "s3/c");
	/* Refused before the resource sees them. */
	assert_string_equal(import_identity("fake_net", NULL, slash),
			    "ERROR: Invalid import identity");
	assert_string_equal(import_identity("fake_net", NULL, noname),
			    "ERROR: Invalid import identity");
	assert_string_equal(import_identity("fake_net", NULL, empty),
			    "ERROR: Invalid import identity");
	assert_string_equal(last_import_id, "");
	/* No identity schema: import by identity is refused; by ID there is
	 * no identity. */
	assert_string_equal(import_identity("fake_plain", NULL, full),
			    "ERROR: Import by identity not supported");
	assert_string_equal(import_identity("fake_plain", "x", NULL), "");
	ident_free(full);
	ident_free(minimal);
	ident_free(slash);
	ident_free(noname);
	ident_free(empty);
}

/* UpgradeResourceIdentity of `json` at `version`: "scope/name" or
 * "ERROR: <summary>". */
static const char *upgrade_identity(const char *type, int64_t version,
				    const char *json)
{
	Tfplugin6__UpgradeResourceIdentity__Request rq =
		TFPLUGIN6__UPGRADE_RESOURCE_IDENTITY__REQUEST__INIT;
	Tfplugin6__UpgradeResourceIdentity__Response *rs;
	Tfplugin6__RawState raw = TFPLUGIN6__RAW_STATE__INIT;
	static char buf[300];
	size_t rlen;
	uint8_t *b;

	raw.json.data = (uint8_t *)json;
	raw.json.len = strlen(json);
	rq.type_name = (char *)type;
	rq.version = version;
	rq.raw_identity = &raw;
	b = call(M "UpgradeResourceIdentity", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__upgrade_resource_identity__response, rlen,
			b);
	if (rs->n_diagnostics > 0)
		snprintf(buf, sizeof(buf), "ERROR: %s",
			 rs->diagnostics[0]->summary);
	else
		snprintf(buf, sizeof(buf), "%s",
			 ident_text(rs->upgraded_identity));
	RPC_FREE(rs);
	free(b);
	return buf;
}

static void test_upgrade_identity(void **state)
{
	(void)state;
	assert_string_equal(
		upgrade_identity("fake_net", 0,
				 "{\"scope\":\"s\",\"label\":\"a\"}"),
		"s/a");
	assert_string_equal(upgrade_identity("fake_net", 1,
					     "{\"scope\":\"s\",\"name\":\"a\"}"),
			    "s/a");
	assert_string_equal(upgrade_identity("fake_net", 2,
					     "{\"scope\":\"s\",\"name\":\"a\"}"),
			    "ERROR: State written by a newer provider");
	assert_string_equal(upgrade_identity("fake_net", 1, "{\"name\":"),
			    "ERROR: Corrupt state");
	/* The hook only ever sees 0 <= version < current and an object. */
	assert_string_equal(upgrade_identity("fake_net", -1, "{}"),
			    "ERROR: Unsupported state version");
	assert_string_equal(upgrade_identity("fake_net", 0, "[\"s\",\"a\"]"),
			    "ERROR: Corrupt state");
	assert_string_equal(upgrade_identity("fake_net", 1,
					     "{\"scope\":\"s\",\"x\":\"a\"}"),
			    "ERROR: Corrupt state");
	assert_string_equal(upgrade_identity("fake_plain", 0, "{}"),
			    "ERROR: Resource has no identity");
}

/* GenerateResourceConfig of `st` (NULL: an absent DynamicValue). Returns
 * the config (a new value, NULL when the reply has none) and the number
 * of diagnostics in *ndiags. */
static tf_value *generate(const tf_value *st, size_t *ndiags)
{
	Tfplugin6__GenerateResourceConfig__Request rq =
		TFPLUGIN6__GENERATE_RESOURCE_CONFIG__REQUEST__INIT;
	Tfplugin6__GenerateResourceConfig__Response *rs;
	tf_value *out = NULL;
	size_t rlen;
	uint8_t *b;

	rq.type_name = (char *)"fake_net";
	rq.state = st ? rpcfx_dv(st) : NULL;
	b = call(M "GenerateResourceConfig", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__generate_resource_config__response, rlen, b);
	*ndiags = rs->n_diagnostics;
	if (rs->config)
		out = rpcfx_undv(rs->config, net_type);
	RPC_FREE(rs);
	free(b);
	rpcfx_dv_free(rq.state);
	return out;
}

static void test_generate_config(void **state)
{
	tf_value *st = state_of("s1", "a"), *cfg, *null;
	size_t n;

	(void)state;
	st = tf_value_mut(st);
	tf_value_object_set(st, "token", tf_value_string("secret"));
	cfg = generate(st, &n);
	assert_int_equal(n, 0);
	assert_non_null(cfg);
	assert_string_equal(tf_value_attr_string(cfg, "name"), "a");
	assert_string_equal(tf_value_attr_string(cfg, "scope"), "s1");
	/* Computed-only, equal to its default, empty, sensitive: left out. */
	assert_true(tf_value_is_null(tf_value_attr(cfg, "id")));
	assert_true(tf_value_is_null(tf_value_attr(cfg, "mode")));
	assert_true(tf_value_is_null(tf_value_attr(cfg, "note")));
	assert_true(tf_value_is_null(tf_value_attr(cfg, "token")));
	tf_value_unref(cfg);
	/* The null state of Terraform 1.14.0, and no state at all. */
	null = tf_value_null(net_type);
	cfg = generate(null, &n);
	assert_int_equal(n, 0);
	assert_true(cfg && tf_value_is_null(cfg));
	tf_value_unref(cfg);
	cfg = generate(NULL, &n);
	assert_int_equal(n, 0);
	assert_true(cfg && tf_value_is_null(cfg));
	tf_value_unref(cfg);
	tf_value_unref(null);
	tf_value_unref(st);
}

/* The generic part on a schema with nested blocks. */
static const tf_attr_def rule_attrs[] = {
	{ "port", "\"number\"", TF_REQUIRED, NULL, "Port." },
	{ "hits", "\"number\"", TF_COMPUTED, NULL, "Hits." },
	{ "tags", "[\"list\",\"string\"]", TF_OPTIONAL, NULL, "Tags." },
};
static const tf_block_def rule_block = { rule_attrs, TF_COUNT(rule_attrs) };
static const tf_nested_block_def fw_blocks[] = {
	{ "rule", TF_NEST_LIST, &rule_block, 0, 0, 0 },
};
static const tf_attr_def fw_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED, NULL, "Name." },
};
static const tf_block_def fw_schema = { fw_attrs, TF_COUNT(fw_attrs), fw_blocks,
					TF_COUNT(fw_blocks) };

static void test_config_of_state_nested(void **state)
{
	tf_schema *s = NULL;
	char err[256];
	tf_value *st, *out, *rule, *rules;
	const tf_value *r0;

	(void)state;
	assert_int_equal(tf_schema_compile(&fw_schema, 0, &s, err, sizeof(err)),
			 TF_OK);
	st = tf_schema_empty_object(s);
	tf_value_object_set(st, "name", tf_value_string("fw"));
	rule = tf_schema_empty_object(tf_schema_block(s, 0));
	tf_value_object_set(rule, "port", tf_value_int(22));
	tf_value_object_set(rule, "hits", tf_value_int(7));
	rules = tf_value_list_new(
		tf_type_attr_type(tf_schema_type(s),
				  (size_t)tf_type_attr_index(tf_schema_type(s),
							     "rule")));
	tf_value_list_append(rules, rule);
	tf_value_object_set(st, "rule", rules);
	out = tf_schema_config_of_state(s, st);
	assert_string_equal(tf_value_attr_string(out, "name"), "fw");
	assert_int_equal(tf_value_len(tf_value_attr(out, "rule")), 1);
	r0 = tf_value_index(tf_value_attr(out, "rule"), 0);
	assert_true(tf_value_is_null(tf_value_attr(r0, "hits")));
	assert_true(tf_value_is_null(tf_value_attr(r0, "tags")));
	assert_true(tf_value_conforms(out, tf_schema_type(s)));
	tf_value_unref(out);
	tf_value_unref(st);
	tf_schema_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_schemas),
		cmocka_unit_test(test_capability_generate_config),
		cmocka_unit_test(test_read_identity),
		cmocka_unit_test(test_plan_identity),
		cmocka_unit_test(test_apply_identity),
		cmocka_unit_test(test_import_by_identity),
		cmocka_unit_test(test_upgrade_identity),
		cmocka_unit_test(test_generate_config),
		cmocka_unit_test(test_config_of_state_nested),
	};
	return cmocka_run_group_tests_name("rpc_identity", tests, setup,
					   teardown);
}
