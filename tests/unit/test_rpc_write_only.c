/* Write-only attributes through the RPC layer, against a fake resource
 * whose handlers (wrongly) hand the secret back everywhere: validation
 * refuses a set write-only attribute unless the client announced
 * write_only_attributes_allowed, and every planned, applied, refreshed,
 * imported and upgraded state reaches Terraform with it null (Terraform
 * 1.11 rejects anything else: internal/lang/ephemeral/validate.go). Also:
 * write-only attributes are refused outside managed resources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/rpc/rpc_app.h"
#include "provider/rpc/rpc_values.h"
#include "provider/server/server.h"
#include "schema/codec.h"
#include "schema/tf_err.h"

#include "rpc_fixture.h"

#define M "/tfplugin6.Provider/"

static const tf_attr_def vault_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED, NULL, "Name." },
	{ "token", "\"string\"", TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY,
	  NULL, "Token." },
	{ "id", "\"string\"", TF_COMPUTED, NULL, "Id." },
};
static const tf_block_def vault_schema = { vault_attrs, TF_COUNT(vault_attrs) };

/* Every handler leaks "LEAK" into the token. */
static tf_value *leaky(const tfp_ctx *ctx, const char *name)
{
	tf_value *st = tf_schema_empty_object(ctx->schema);

	tf_value_object_set(st, "name", tf_value_string(name ? name : "?"));
	tf_value_object_set(st, "token", tf_value_string("LEAK"));
	tf_value_object_set(st, "id", tf_value_string("id-1"));
	return st;
}

static void vault_modify_plan(tfp_ctx *ctx, const tf_value *prior,
			      const tf_value *config, tf_value **planned,
			      tf_paths *replace, tf_diags *d)
{
	(void)ctx;
	(void)prior;
	(void)replace;
	(void)d;
	tf_value_object_set(*planned, "token",
			    tf_value_ref(tf_value_attr(config, "token")));
}

static void vault_create(tfp_ctx *ctx, const tf_value *planned,
			 const tf_value *config, tf_value **out, tf_diags *d)
{
	(void)d;
	/* The secret is only in the configuration. */
	assert_true(tf_value_is_null(tf_value_attr(planned, "token")));
	assert_string_equal(tf_value_attr_string(config, "token"), "S3CRET");
	*out = leaky(ctx, tf_value_attr_string(planned, "name"));
}

static void vault_read(tfp_ctx *ctx, const tf_value *state, tf_value **out,
		       tf_diags *d)
{
	(void)d;
	*out = leaky(ctx, tf_value_attr_string(state, "name"));
}

static void vault_import(tfp_ctx *ctx, const char *id, tf_value **out,
			 tf_diags *d)
{
	(void)d;
	*out = leaky(ctx, id);
}

static void vault_remove(tfp_ctx *ctx, const tf_value *prior, tf_diags *d)
{
	(void)ctx;
	(void)prior;
	(void)d;
}

/* Version 0 stored the token; this hook forgets to drop it. */
static int vault_upgrade(int64_t from, json_t *state, tf_diags *d)
{
	(void)from;
	(void)state;
	(void)d;
	return 0;
}

static const tfp_resource vault = {
	.type_name = "fake_vault",
	.version = 1,
	.schema = &vault_schema,
	.modify_plan = vault_modify_plan,
	.create = vault_create,
	.read = vault_read,
	.remove = vault_remove,
	.import = vault_import,
	.upgrade = vault_upgrade,
};

static const tf_attr_def prov_attrs[] = {
	{ "key", "\"string\"", TF_OPTIONAL | TF_SENSITIVE, NULL, "Key." },
};
static const tf_block_def prov_schema = { prov_attrs, TF_COUNT(prov_attrs) };

static const tfp_resource *const resources[] = { &vault };

static const tfp_provider fake = {
	.type = "fake",
	.source_address = "registry.terraform.io/test/fake",
	.schema = &prov_schema,
	.configure = rpcfx_configure,
	.resources = resources,
	.nresources = 1,
};

static rpc_app *app;
static tf_type *vt;

static uint8_t *call(const char *method, const ProtobufCMessage *rq,
		     size_t *rlen)
{
	return rpcfx_call(app, method, rq, rlen);
}

static int setup(void **state)
{
	(void)state;
	app = rpcfx_app(&fake, true);
	vt = tf_schema_type(app->res[0].schema);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rpc_app_free(app);
	return 0;
}

static tf_value *vault_value(const char *token, const char *id)
{
	tf_value *v = tf_value_object_new(vt);

	tf_value_object_set(v, "name", tf_value_string("v"));
	if (token)
		tf_value_object_set(v, "token", tf_value_string(token));
	if (id)
		tf_value_object_set(v, "id", tf_value_string(id));
	return v;
}

/* The token of a returned state: must be null. */
static void assert_token_null(const Tfplugin6__DynamicValue *d)
{
	tf_value *v = rpcfx_undv(d, vt);

	assert_false(tf_value_is_null(v));
	assert_true(tf_value_is_null(tf_value_attr(v, "token")));
	assert_string_equal(tf_value_attr_string(v, "name"), "v");
	tf_value_unref(v);
}

/* ValidateResourceConfig with `caps` (NULL: none sent); returns the number
 * of error diagnostics, checking each names the token. */
static size_t validate(const tf_value *config,
		       Tfplugin6__ClientCapabilities *caps)
{
	Tfplugin6__ValidateResourceConfig__Request rq =
		TFPLUGIN6__VALIDATE_RESOURCE_CONFIG__REQUEST__INIT;
	Tfplugin6__ValidateResourceConfig__Response *rs;
	size_t rlen, n;
	uint8_t *b;

	rq.type_name = (char *)"fake_vault";
	rq.config = rpcfx_dv(config);
	rq.client_capabilities = caps;
	b = call(M "ValidateResourceConfig", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__validate_resource_config__response, rlen, b);
	n = rs->n_diagnostics;
	for (size_t i = 0; i < n; i++) {
		Tfplugin6__Diagnostic *g = rs->diagnostics[i];
		assert_int_equal(g->severity,
				 TFPLUGIN6__DIAGNOSTIC__SEVERITY__ERROR);
		assert_string_equal(g->summary,
				    "Write-only attribute not supported");
		assert_non_null(strstr(g->detail, "\"token\" of fake_vault"));
		assert_non_null(strstr(g->detail, "Terraform 1.11"));
		assert_null(strstr(g->detail, "S3CRET"));
		assert_non_null(g->attribute);
		assert_int_equal(g->attribute->n_steps, 1);
		assert_string_equal(g->attribute->steps[0]->attribute_name,
				    "token");
	}
	RPC_FREE(rs);
	free(b);
	rpcfx_dv_free(rq.config);
	return n;
}

static void test_validate_needs_capability(void **state)
{
	Tfplugin6__ClientCapabilities yes =
		TFPLUGIN6__CLIENT_CAPABILITIES__INIT;
	Tfplugin6__ClientCapabilities no = TFPLUGIN6__CLIENT_CAPABILITIES__INIT;
	tf_value *set = vault_value("S3CRET", NULL);
	tf_value *unset = vault_value(NULL, NULL);
	tf_value *unknown = tf_value_mut(tf_value_ref(unset));

	(void)state;
	yes.write_only_attributes_allowed = true;
	no.deferral_allowed = true; /* an older client's capabilities */
	tf_value_object_set(unknown, "token",
			    tf_value_unknown(tf_type_string()));
	assert_int_equal(validate(set, &yes), 0);
	assert_int_equal(validate(set, &no), 1);
	assert_int_equal(validate(set, NULL), 1);
	assert_int_equal(validate(unknown, NULL), 1);
	/* Left unset, an older client is fine. */
	assert_int_equal(validate(unset, NULL), 0);
	tf_value_unref(set);
	tf_value_unref(unset);
	tf_value_unref(unknown);
}

static void test_plan_and_apply_null(void **state)
{
	Tfplugin6__PlanResourceChange__Request pq =
		TFPLUGIN6__PLAN_RESOURCE_CHANGE__REQUEST__INIT;
	Tfplugin6__ApplyResourceChange__Request aq =
		TFPLUGIN6__APPLY_RESOURCE_CHANGE__REQUEST__INIT;
	Tfplugin6__PlanResourceChange__Response *ps;
	Tfplugin6__ApplyResourceChange__Response *as;
	tf_value *null = tf_value_null(vt), *cfg = vault_value("S3CRET", NULL);
	tf_value *planned = tf_value_object_new(vt);
	size_t rlen;
	uint8_t *b;

	(void)state;
	pq.type_name = (char *)"fake_vault";
	pq.prior_state = rpcfx_dv(null);
	pq.proposed_new_state = rpcfx_dv(cfg);
	pq.config = rpcfx_dv(cfg);
	b = call(M "PlanResourceChange", &pq.base, &rlen);
	ps = RPC_UNPACK(tfplugin6__plan_resource_change__response, rlen, b);
	assert_int_equal(ps->n_diagnostics, 0);
	assert_token_null(ps->planned_state);
	RPC_FREE(ps);
	free(b);

	tf_value_object_set(planned, "name", tf_value_string("v"));
	tf_value_object_set(planned, "id", tf_value_unknown(tf_type_string()));
	aq.type_name = (char *)"fake_vault";
	aq.prior_state = rpcfx_dv(null);
	aq.planned_state = rpcfx_dv(planned);
	aq.config = rpcfx_dv(cfg);
	b = call(M "ApplyResourceChange", &aq.base, &rlen);
	as = RPC_UNPACK(tfplugin6__apply_resource_change__response, rlen, b);
	assert_int_equal(as->n_diagnostics, 0);
	assert_token_null(as->new_state);
	RPC_FREE(as);
	free(b);
	rpcfx_dv_free(pq.prior_state);
	rpcfx_dv_free(pq.proposed_new_state);
	rpcfx_dv_free(pq.config);
	rpcfx_dv_free(aq.prior_state);
	rpcfx_dv_free(aq.planned_state);
	rpcfx_dv_free(aq.config);
	tf_value_unref(null);
	tf_value_unref(cfg);
	tf_value_unref(planned);
}

static void test_read_import_upgrade_null(void **state)
{
	Tfplugin6__ReadResource__Request rq =
		TFPLUGIN6__READ_RESOURCE__REQUEST__INIT;
	Tfplugin6__ImportResourceState__Request iq =
		TFPLUGIN6__IMPORT_RESOURCE_STATE__REQUEST__INIT;
	Tfplugin6__UpgradeResourceState__Request uq =
		TFPLUGIN6__UPGRADE_RESOURCE_STATE__REQUEST__INIT;
	Tfplugin6__RawState raw = TFPLUGIN6__RAW_STATE__INIT;
	Tfplugin6__ReadResource__Response *rs;
	Tfplugin6__ImportResourceState__Response *is;
	Tfplugin6__UpgradeResourceState__Response *us;
	static const char v0[] =
		"{\"name\":\"v\",\"token\":\"S3CRET\",\"id\":\"id-1\"}";
	tf_value *cur = vault_value(NULL, "id-1");
	size_t rlen;
	uint8_t *b;

	(void)state;
	rq.type_name = (char *)"fake_vault";
	rq.current_state = rpcfx_dv(cur);
	b = call(M "ReadResource", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__read_resource__response, rlen, b);
	assert_token_null(rs->new_state);
	RPC_FREE(rs);
	free(b);

	iq.type_name = (char *)"fake_vault";
	iq.id = (char *)"v";
	b = call(M "ImportResourceState", &iq.base, &rlen);
	is = RPC_UNPACK(tfplugin6__import_resource_state__response, rlen, b);
	assert_int_equal(is->n_imported_resources, 1);
	assert_token_null(is->imported_resources[0]->state);
	RPC_FREE(is);
	free(b);

	raw.json.data = (uint8_t *)v0;
	raw.json.len = strlen(v0);
	uq.type_name = (char *)"fake_vault";
	uq.version = 0;
	uq.raw_state = &raw;
	b = call(M "UpgradeResourceState", &uq.base, &rlen);
	us = RPC_UNPACK(tfplugin6__upgrade_resource_state__response, rlen, b);
	assert_int_equal(us->n_diagnostics, 0);
	assert_token_null(us->upgraded_state);
	RPC_FREE(us);
	free(b);
	rpcfx_dv_free(rq.current_state);
	tf_value_unref(cur);
}

/* Write-only is for managed resources: a provider schema with one does
 * not start. */
static void test_write_only_outside_resources_refused(void **state)
{
	static const tf_attr_def bad_attrs[] = {
		{ "key", "\"string\"", TF_OPTIONAL | TF_WRITE_ONLY, NULL,
		  "Key." },
	};
	static const tf_block_def bad_schema = { bad_attrs,
						 TF_COUNT(bad_attrs) };
	tfp_provider bad = fake;
	char err[256] = "";

	(void)state;
	bad.schema = &bad_schema;
	assert_null(rpc_app_new(&bad, err, sizeof(err)));
	assert_non_null(strstr(err, "provider schema"));
	assert_non_null(strstr(err, "write-only"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_needs_capability),
		cmocka_unit_test(test_plan_and_apply_null),
		cmocka_unit_test(test_read_import_upgrade_null),
		cmocka_unit_test(test_write_only_outside_resources_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
