/* The ephemeral resource RPCs against a fake provider: schema and metadata
 * listing, validation, Open (result invariants, renew_at, private),
 * Renew/Close private round trip, unconfigured provider (error or
 * deferral), unknown types, and method registration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "provider/rpc/rpc_app.h"
#include "provider/rpc/rpc_values.h"
#include "provider/server/server.h"
#include "schema/codec.h"
#include "schema/tf_err.h"

#include "rpc_fixture.h"

/* ---- the fake provider ------------------------------------------------ */

static const tf_attr_def secret_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED, NULL, "Name." },
	{ "value", "\"string\"", TF_COMPUTED | TF_SENSITIVE, NULL, "Secret." },
	{ "scope", "\"string\"", TF_OPTIONAL | TF_COMPUTED, NULL, "Scope." },
};
static const tf_block_def secret_schema = { secret_attrs,
					    TF_COUNT(secret_attrs) };

static char closed_with[64];
static int close_calls;

static void secret_validate(tfp_ctx *ctx, const tf_value *config, tf_diags *d)
{
	const char *n = tf_value_attr_string(config, "name");

	(void)ctx;
	if (n && strcmp(n, "forbidden") == 0)
		tf_diags_attr_error(d, "name", "Forbidden name",
				    "Pick another.");
}

static void secret_open(tfp_ctx *ctx, const tf_value *config, tf_value **out,
			int64_t *renew_at, tf_diags *d)
{
	const char *n = tf_value_attr_string(config, "name");
	tf_value *v = tf_value_object_new(tf_schema_type(ctx->schema));
	char buf[64];

	/* "bad": a required attribute unknown; "later": the object does not
	 * exist yet, computed attributes unknown (as the k8s kubeconfig does
	 * at plan time); "scope?": scope unknown whatever the config says. */
	tf_value_object_set(v, "name",
			    strcmp(n, "bad") == 0 ?
				    tf_value_unknown(tf_type_string()) :
				    tf_value_string(n));
	tf_value_object_set(v, "scope",
			    tf_value_ref((tf_value *)tf_value_attr(config,
								   "scope")));
	if (strcmp(n, "later") == 0 || strcmp(n, "scope?") == 0) {
		tf_value_object_set(v, "value",
				    tf_value_unknown(tf_type_string()));
		if (tf_value_is_null(tf_value_attr(config, "scope")) ||
		    strcmp(n, "scope?") == 0)
			tf_value_object_set(v, "scope",
					    tf_value_unknown(tf_type_string()));
	} else {
		snprintf(buf, sizeof(buf), "s3cret-%s", n);
		tf_value_object_set(v, "value", tf_value_string(buf));
	}
	if (strcmp(n, "fail") == 0)
		tf_diags_error(d, NULL, "Cannot open", "Injected.");
	if (strcmp(n, "norenew") != 0)
		*renew_at = 2000000000;
	snprintf(buf, sizeof(buf), "priv-%s", n);
	ctx->private_out = (uint8_t *)strdup(buf);
	ctx->private_out_len = strlen(buf);
	*out = v;
}

static void secret_renew(tfp_ctx *ctx, int64_t *renew_at, tf_diags *d)
{
	(void)d;
	if (ctx->private_in_len == 9 &&
	    memcmp(ctx->private_in, "priv-keep", 9) == 0)
		return; /* keep the private, stop renewing */
	ctx->private_out = (uint8_t *)strdup("renewed");
	ctx->private_out_len = 7;
	*renew_at = 2000000600;
}

static void secret_close(tfp_ctx *ctx, tf_diags *d)
{
	(void)d;
	close_calls++;
	snprintf(closed_with, sizeof(closed_with), "%.*s",
		 (int)ctx->private_in_len, (const char *)ctx->private_in);
}

static const tfp_ephemeral secret_eph = {
	.type_name = "fake_secret",
	.schema = &secret_schema,
	.validate = secret_validate,
	.open = secret_open,
	.renew = secret_renew,
	.close = secret_close,
};

static const tf_block_def fake_provider_schema = { NULL, 0 };

static const tfp_ephemeral *const fake_ephemerals[] = { &secret_eph };

/* No resources at all: an initialiser without the new fields still works. */
static const tfp_provider fake = {
	.type = "fake",
	.source_address = "registry.terraform.io/test/fake",
	.schema = &fake_provider_schema,
	.configure = rpcfx_configure,
	.ephemerals = fake_ephemerals,
	.nephemerals = 1,
};

/* ---- helpers ------------------------------------------------------------ */

#define M "/tfplugin6.Provider/"

static rpc_app *app;
static tf_type *secret_type;

static int setup(void **state)
{
	(void)state;
	app = rpcfx_app(&fake, true);
	secret_type = tf_schema_type(app->eph[0].schema);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rpc_app_free(app);
	return 0;
}

/* Config with name = `name`, null when NULL, unknown when "?"; scope set
 * when `scope` is not NULL. */
static Tfplugin6__DynamicValue *dv_cfg(const char *name, const char *scope)
{
	Tfplugin6__DynamicValue *d = calloc(1, sizeof(*d));
	tf_value *v = tf_value_object_new(secret_type);

	tf_value_object_set(v, "name",
			    !name ? tf_value_null(tf_type_string()) :
			    strcmp(name, "?") == 0 ?
				    tf_value_unknown(tf_type_string()) :
				    tf_value_string(name));
	if (scope)
		tf_value_object_set(v, "scope", tf_value_string(scope));
	tfplugin6__dynamic_value__init(d);
	assert_int_equal(tf_msgpack_encode(v, &d->msgpack.data,
					   &d->msgpack.len),
			 TF_OK);
	tf_value_unref(v);
	return d;
}

static Tfplugin6__DynamicValue *dv_name(const char *name)
{
	return dv_cfg(name, NULL);
}

static Tfplugin6__OpenEphemeralResource__Response *open_cfg(rpc_app *a,
							    const char *type,
							    const char *name,
							    const char *scope,
							    bool deferral)
{
	Tfplugin6__OpenEphemeralResource__Request rq =
		TFPLUGIN6__OPEN_EPHEMERAL_RESOURCE__REQUEST__INIT;
	Tfplugin6__ClientCapabilities caps =
		TFPLUGIN6__CLIENT_CAPABILITIES__INIT;
	Tfplugin6__OpenEphemeralResource__Response *rs;
	size_t rlen;
	uint8_t *b;

	rq.type_name = (char *)type;
	rq.config = dv_cfg(name, scope);
	caps.deferral_allowed = deferral;
	rq.client_capabilities = &caps;
	b = rpcfx_call(a, M "OpenEphemeralResource", &rq.base, &rlen);
	rpcfx_dv_free(rq.config);
	rs = RPC_UNPACK(tfplugin6__open_ephemeral_resource__response, rlen, b);
	free(b);
	assert_non_null(rs);
	return rs;
}

static Tfplugin6__OpenEphemeralResource__Response *open_name(rpc_app *a,
							     const char *type,
							     const char *name,
							     bool deferral)
{
	return open_cfg(a, type, name, NULL, deferral);
}

/* ---- tests ------------------------------------------------------------- */

static void test_eph_schema_and_metadata(void **state)
{
	Tfplugin6__GetProviderSchema__Request rq =
		TFPLUGIN6__GET_PROVIDER_SCHEMA__REQUEST__INIT;
	Tfplugin6__GetMetadata__Request mq =
		TFPLUGIN6__GET_METADATA__REQUEST__INIT;
	Tfplugin6__GetProviderSchema__Response *rs;
	Tfplugin6__GetMetadata__Response *ms;
	Tfplugin6__Schema__Block *blk;
	size_t rlen, i;
	uint8_t *b;
	bool sensitive_value = false;

	(void)state;
	b = rpcfx_call(app, M "GetProviderSchema", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__get_provider_schema__response, rlen, b);
	free(b);
	assert_non_null(rs);
	assert_int_equal(rs->n_resource_schemas, 0);
	assert_int_equal(rs->n_ephemeral_resource_schemas, 1);
	assert_string_equal(rs->ephemeral_resource_schemas[0]->key,
			    "fake_secret");
	blk = rs->ephemeral_resource_schemas[0]->value->block;
	assert_non_null(blk);
	assert_int_equal(blk->n_attributes, 3);
	for (i = 0; i < blk->n_attributes; i++)
		if (strcmp(blk->attributes[i]->name, "value") == 0)
			sensitive_value = blk->attributes[i]->sensitive &&
					  blk->attributes[i]->computed;
	assert_true(sensitive_value);
	RPC_FREE(rs);

	b = rpcfx_call(app, M "GetMetadata", &mq.base, &rlen);
	ms = RPC_UNPACK(tfplugin6__get_metadata__response, rlen, b);
	free(b);
	assert_non_null(ms);
	assert_int_equal(ms->n_ephemeral_resources, 1);
	assert_string_equal(ms->ephemeral_resources[0]->type_name,
			    "fake_secret");
	RPC_FREE(ms);
}

static void test_eph_methods_registered(void **state)
{
	static const char *const want[] = {
		M "ValidateEphemeralResourceConfig",
		M "OpenEphemeralResource",
		M "RenewEphemeralResource",
		M "CloseEphemeralResource",
	};
	srv_config cfg = { 0 };
	size_t i, j;
	bool found;

	(void)state;
	rpc_server_config(app, &cfg);
	for (i = 0; i < 4; i++) {
		found = false;
		for (j = 0; j < cfg.n_methods; j++)
			if (strcmp(cfg.methods[j].path, want[i]) == 0)
				found = cfg.methods[j].kind == SRV_UNARY;
		assert_true(found);
	}
}

static void test_eph_validate(void **state)
{
	Tfplugin6__ValidateEphemeralResourceConfig__Request rq =
		TFPLUGIN6__VALIDATE_EPHEMERAL_RESOURCE_CONFIG__REQUEST__INIT;
	Tfplugin6__ValidateEphemeralResourceConfig__Response *rs;
	const char *names[] = { "ok", NULL, "forbidden" };
	size_t want[] = { 0, 1, 1 };
	size_t rlen, i;
	uint8_t *b;

	(void)state;
	for (i = 0; i < 3; i++) {
		rq.type_name = (char *)"fake_secret";
		rq.config = dv_name(names[i]);
		b = rpcfx_call(app, M "ValidateEphemeralResourceConfig",
			       &rq.base, &rlen);
		rpcfx_dv_free(rq.config);
		rs = RPC_UNPACK(
			tfplugin6__validate_ephemeral_resource_config__response,
			rlen, b);
		free(b);
		assert_non_null(rs);
		assert_int_equal(rs->n_diagnostics, want[i]);
		if (want[i])
			assert_int_equal(rs->diagnostics[0]->severity,
					 TFPLUGIN6__DIAGNOSTIC__SEVERITY__ERROR);
		RPC_FREE(rs);
	}
	/* Unknown type. */
	rq.type_name = (char *)"fake_nope";
	rq.config = NULL;
	b = rpcfx_call(app, M "ValidateEphemeralResourceConfig", &rq.base,
		       &rlen);
	rs = RPC_UNPACK(tfplugin6__validate_ephemeral_resource_config__response,
			rlen, b);
	free(b);
	assert_int_equal(rs->n_diagnostics, 1);
	assert_non_null(strstr(rs->diagnostics[0]->detail, "fake_nope"));
	RPC_FREE(rs);
}

static void test_eph_open_result_renew_private(void **state)
{
	Tfplugin6__OpenEphemeralResource__Response *rs;
	tf_value *v = NULL;
	char err[128];

	(void)state;
	rs = open_name(app, "fake_secret", "a", false);
	assert_int_equal(rs->n_diagnostics, 0);
	assert_non_null(rs->result);
	assert_int_equal(tf_msgpack_decode(rs->result->msgpack.data,
					   rs->result->msgpack.len, secret_type,
					   &v, err, sizeof(err)),
			 TF_OK);
	assert_string_equal(tf_value_attr_string(v, "value"), "s3cret-a");
	tf_value_unref(v);
	assert_non_null(rs->renew_at);
	assert_int_equal(rs->renew_at->seconds, 2000000000);
	assert_int_equal(rs->private_.len, 6);
	assert_memory_equal(rs->private_.data, "priv-a", 6);
	assert_null(rs->deferred);
	RPC_FREE(rs);

	rs = open_name(app, "fake_secret", "norenew", false);
	assert_non_null(rs->result);
	assert_null(rs->renew_at);
	RPC_FREE(rs);
}

static void test_eph_open_invalid_and_failed(void **state)
{
	Tfplugin6__OpenEphemeralResource__Response *rs;

	(void)state;
	/* An unknown in a non-computed attribute is a provider bug: error,
	 * no result, no private. */
	rs = open_name(app, "fake_secret", "bad", false);
	assert_null(rs->result);
	assert_int_equal(rs->n_diagnostics, 1);
	assert_non_null(strstr(rs->diagnostics[0]->summary,
			       "invalid ephemeral result"));
	assert_int_equal(rs->private_.len, 0);
	RPC_FREE(rs);

	/* So is an unknown in a computed attribute the configuration sets
	 * (Terraform requires the configured value there). */
	rs = open_cfg(app, "fake_secret", "scope?", "team", false);
	assert_null(rs->result);
	assert_int_equal(rs->n_diagnostics, 1);
	assert_non_null(strstr(rs->diagnostics[0]->summary,
			       "invalid ephemeral result"));
	RPC_FREE(rs);

	/* A handler error drops the result and the private. */
	rs = open_name(app, "fake_secret", "fail", false);
	assert_null(rs->result);
	assert_null(rs->renew_at);
	assert_int_equal(rs->private_.len, 0);
	assert_int_equal(rs->n_diagnostics, 1);
	assert_string_equal(rs->diagnostics[0]->summary, "Cannot open");
	RPC_FREE(rs);

	rs = open_name(app, "fake_other", "a", false);
	assert_null(rs->result);
	assert_int_equal(rs->n_diagnostics, 1);
	RPC_FREE(rs);
}

static tf_value *result_of(const Tfplugin6__OpenEphemeralResource__Response *rs)
{
	tf_value *v = NULL;
	char err[128];

	assert_non_null(rs->result);
	assert_int_equal(tf_msgpack_decode(rs->result->msgpack.data,
					   rs->result->msgpack.len, secret_type,
					   &v, err, sizeof(err)),
			 TF_OK);
	return v;
}

/* Before the provider is configured (its settings unknown at plan time),
 * Open answers with the config and unknown computed attributes, or a
 * deferral when allowed; the handler is not called. */
static void test_eph_open_unconfigured(void **state)
{
	Tfplugin6__OpenEphemeralResource__Response *rs;
	char err[256];
	rpc_app *a = rpc_app_new(&fake, err, sizeof(err));
	tf_value *v;

	(void)state;
	assert_non_null(a);
	rs = open_name(a, "fake_secret", "a", false);
	assert_null(rs->deferred);
	assert_int_equal(rs->n_diagnostics, 0);
	assert_int_equal(rs->private_.len, 0);
	assert_null(rs->renew_at);
	v = result_of(rs);
	assert_string_equal(tf_value_attr_string(v, "name"), "a");
	assert_true(tf_value_is_unknown(tf_value_attr(v, "value")));
	tf_value_unref(v);
	RPC_FREE(rs);

	rs = open_name(a, "fake_secret", "a", true);
	assert_null(rs->result);
	assert_int_equal(rs->n_diagnostics, 0);
	assert_non_null(rs->deferred);
	assert_int_equal(rs->deferred->reason,
			 TFPLUGIN6__DEFERRED__REASON__PROVIDER_CONFIG_UNKNOWN);
	RPC_FREE(rs);
	rpc_app_free(a);
}

/* Unknowns in the configuration: same placeholder, handler not called
 * (secret_open would dereference a NULL name). */
static void test_eph_open_unknown_config(void **state)
{
	Tfplugin6__OpenEphemeralResource__Response *rs;
	tf_value *v;

	(void)state;
	rs = open_name(app, "fake_secret", "?", false);
	assert_int_equal(rs->n_diagnostics, 0);
	assert_null(rs->deferred);
	assert_int_equal(rs->private_.len, 0);
	v = result_of(rs);
	assert_true(tf_value_is_unknown(tf_value_attr(v, "name")));
	assert_true(tf_value_is_unknown(tf_value_attr(v, "value")));
	tf_value_unref(v);
	RPC_FREE(rs);

	rs = open_name(app, "fake_secret", "?", true);
	assert_null(rs->result);
	assert_non_null(rs->deferred);
	assert_int_equal(rs->deferred->reason,
			 TFPLUGIN6__DEFERRED__REASON__RESOURCE_CONFIG_UNKNOWN);
	RPC_FREE(rs);
}

/* A handler that cannot read the object yet (it is created at apply)
 * answers with its computed attributes unknown: accepted as is, the
 * configured values kept, the handler's private passed on. */
static void test_eph_open_unknown_computed(void **state)
{
	Tfplugin6__OpenEphemeralResource__Response *rs;
	tf_value *v;

	(void)state;
	rs = open_name(app, "fake_secret", "later", false);
	assert_int_equal(rs->n_diagnostics, 0);
	assert_null(rs->deferred);
	v = result_of(rs);
	assert_string_equal(tf_value_attr_string(v, "name"), "later");
	assert_true(tf_value_is_unknown(tf_value_attr(v, "value")));
	assert_true(tf_value_is_unknown(tf_value_attr(v, "scope")));
	tf_value_unref(v);
	assert_int_equal(rs->private_.len, 10);
	RPC_FREE(rs);

	/* scope set in the configuration stays known; value unknown. */
	rs = open_cfg(app, "fake_secret", "later", "team", false);
	assert_int_equal(rs->n_diagnostics, 0);
	v = result_of(rs);
	assert_string_equal(tf_value_attr_string(v, "scope"), "team");
	assert_true(tf_value_is_unknown(tf_value_attr(v, "value")));
	tf_value_unref(v);
	RPC_FREE(rs);
}

static void test_eph_renew_and_close(void **state)
{
	Tfplugin6__RenewEphemeralResource__Request rq =
		TFPLUGIN6__RENEW_EPHEMERAL_RESOURCE__REQUEST__INIT;
	Tfplugin6__RenewEphemeralResource__Response *rs;
	Tfplugin6__CloseEphemeralResource__Request cq =
		TFPLUGIN6__CLOSE_EPHEMERAL_RESOURCE__REQUEST__INIT;
	Tfplugin6__CloseEphemeralResource__Response *cs;
	size_t rlen;
	uint8_t *b;

	(void)state;
	rq.type_name = (char *)"fake_secret";
	rq.private_.data = (uint8_t *)"priv-a";
	rq.private_.len = 6;
	b = rpcfx_call(app, M "RenewEphemeralResource", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__renew_ephemeral_resource__response, rlen, b);
	free(b);
	assert_non_null(rs);
	assert_int_equal(rs->n_diagnostics, 0);
	assert_int_equal(rs->private_.len, 7);
	assert_memory_equal(rs->private_.data, "renewed", 7);
	assert_non_null(rs->renew_at);
	assert_int_equal(rs->renew_at->seconds, 2000000600);
	RPC_FREE(rs);

	/* A renew that sets no private keeps the old one. */
	rq.private_.data = (uint8_t *)"priv-keep";
	rq.private_.len = 9;
	b = rpcfx_call(app, M "RenewEphemeralResource", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__renew_ephemeral_resource__response, rlen, b);
	free(b);
	assert_int_equal(rs->private_.len, 9);
	assert_memory_equal(rs->private_.data, "priv-keep", 9);
	assert_null(rs->renew_at);
	RPC_FREE(rs);

	close_calls = 0;
	cq.type_name = (char *)"fake_secret";
	cq.private_.data = (uint8_t *)"renewed";
	cq.private_.len = 7;
	b = rpcfx_call(app, M "CloseEphemeralResource", &cq.base, &rlen);
	cs = RPC_UNPACK(tfplugin6__close_ephemeral_resource__response, rlen, b);
	free(b);
	assert_non_null(cs);
	assert_int_equal(cs->n_diagnostics, 0);
	assert_int_equal(close_calls, 1);
	assert_string_equal(closed_with, "renewed");
	RPC_FREE(cs);

	cq.type_name = (char *)"fake_nope";
	b = rpcfx_call(app, M "CloseEphemeralResource", &cq.base, &rlen);
	cs = RPC_UNPACK(tfplugin6__close_ephemeral_resource__response, rlen, b);
	free(b);
	assert_int_equal(cs->n_diagnostics, 1);
	assert_int_equal(close_calls, 1);
	RPC_FREE(cs);
}

static void test_eph_bad_request_bytes(void **state)
{
	uint8_t junk[] = { 0xff, 0xff, 0xff };
	uint8_t *resp = NULL;
	size_t rlen;
	const char *msg = NULL;

	(void)state;
	assert_int_equal(rpc_handle(app, M "OpenEphemeralResource", junk,
				    sizeof(junk), &resp, &rlen, &msg),
			 SRV_STATUS_INVALID_ARGUMENT);
	free(resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eph_schema_and_metadata),
		cmocka_unit_test(test_eph_methods_registered),
		cmocka_unit_test(test_eph_validate),
		cmocka_unit_test(test_eph_open_result_renew_private),
		cmocka_unit_test(test_eph_open_invalid_and_failed),
		cmocka_unit_test(test_eph_open_unconfigured),
		cmocka_unit_test(test_eph_open_unknown_config),
		cmocka_unit_test(test_eph_open_unknown_computed),
		cmocka_unit_test(test_eph_renew_and_close),
		cmocka_unit_test(test_eph_bad_request_bytes),
	};

	return cmocka_run_group_tests_name("rpc_ephemeral", tests, setup,
					   teardown);
}
