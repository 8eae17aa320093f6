/* Nested attributes (tf_attr_def.nested, tfplugin6 Schema.Object): their
 * compile rules and implied types, validation per object, the planner
 * (as configured without computed attributes inside; per object with
 * them), msgpack round trips, and the GetProviderSchema encoding. */
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
#include "schema/plan.h"
#include "schema/schema.h"
#include "schema/tf_err.h"

#define STR "\"string\""

static const char *const effects[] = { "NoSchedule", "NoExecute", NULL };

/* Like a taint: no computed attribute inside. */
static const tf_attr_def taint_attrs[] = {
	{ "key", STR, TF_REQUIRED, NULL, "Key." },
	{ "value", STR, TF_OPTIONAL, NULL, "Value." },
	{ "effect", STR, TF_REQUIRED, NULL, "Effect.", tf_validate_one_of,
	  effects },
};
static const tf_nested_attr_def taints_def = { TF_NEST_LIST, taint_attrs,
					       TF_COUNT(taint_attrs) };

/* With a computed attribute inside. */
static const tf_attr_def port_attrs[] = {
	{ "number", "\"number\"", TF_REQUIRED, NULL, "Port." },
	{ "uid", STR, TF_COMPUTED, NULL, "Server id." },
};
static const tf_nested_attr_def ports_def = { TF_NEST_MAP, port_attrs,
					      TF_COUNT(port_attrs) };
static const tf_nested_attr_def owner_def = { TF_NEST_SINGLE, port_attrs,
					      TF_COUNT(port_attrs) };

static const tf_attr_def res_attrs[] = {
	{ "name", STR, TF_REQUIRED, NULL, "Name." },
	{ .name = "taints",
	  .flags = TF_OPTIONAL,
	  .description = "Taints.",
	  .nested = &taints_def },
	{ .name = "ports", .flags = TF_OPTIONAL, .nested = &ports_def },
	{ .name = "owner",
	  .flags = TF_OPTIONAL | TF_COMPUTED,
	  .nested = &owner_def },
};
static const tf_block_def res_def = { res_attrs, TF_COUNT(res_attrs) };

static tf_schema *s;

static int setup(void **state)
{
	char err[256] = "";

	(void)state;
	if (tf_schema_compile(&res_def, 0, &s, err, sizeof(err)) != TF_OK)
		fail_msg("compile: %s", err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tf_schema_free(s);
	return 0;
}

static tf_value *val(const char *relaxed)
{
	char *text = strdup(relaxed), err[256] = "";
	tf_value *v = NULL;

	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	if (tf_json_decode(text, strlen(text), tf_schema_type(s), 1, &v, err,
			   sizeof(err)) != TF_OK)
		fail_msg("decode %s: %s", relaxed, err);
	free(text);
	return v;
}

static void test_implied_type(void **state)
{
	char *t = tf_type_to_json(tf_schema_type(s));

	(void)state;
	assert_string_equal(
		t,
		"[\"object\",{\"name\":\"string\",\"owner\":[\"object\",{"
		"\"number\":\"number\",\"uid\":\"string\"}],\"ports\":[\"map\","
		"[\"object\",{\"number\":\"number\",\"uid\":\"string\"}]],"
		"\"taints\":[\"list\",[\"object\",{\"effect\":\"string\","
		"\"key\":\"string\",\"value\":\"string\"}]]}]");
	free(t);
	assert_null(tf_schema_attr_nested(s, 0));
	assert_non_null(tf_schema_attr_nested(s, 1));
	assert_int_equal(tf_schema_def(tf_schema_attr_nested(s, 1))->nattrs, 3);
}

static void test_compile_rules(void **state)
{
	static const tf_attr_def wo_inside[] = {
		{ "k", STR, TF_OPTIONAL | TF_WRITE_ONLY, NULL, "" },
	};
	static const tf_nested_attr_def wo_def = { TF_NEST_LIST, wo_inside, 1 };
	static const tf_nested_attr_def group_def = { TF_NEST_GROUP,
						      taint_attrs, 3 };
	static const tf_attr_def bad[][1] = {
		{ { .name = "a",
		    .type = STR,
		    .flags = TF_OPTIONAL,
		    .nested = &taints_def } },
		{ { .name = "a", .flags = TF_OPTIONAL, .nested = &wo_def } },
		{ { .name = "a", .flags = TF_OPTIONAL, .nested = &group_def } },
		{ { .name = "a",
		    .flags = TF_OPTIONAL | TF_COMPUTED,
		    .default_json = "[]",
		    .nested = &taints_def } },
	};
	static const char *const why[] = { "neither a type", "WriteOnly",
					   "nesting mode", "neither a type" };

	(void)state;
	for (size_t i = 0; i < TF_COUNT(bad); i++) {
		tf_block_def def = { bad[i], 1 };
		tf_schema *x = NULL;
		char err[256] = "";

		assert_int_equal(tf_schema_compile(&def, 0, &x, err,
						   sizeof(err)),
				 TF_E_INVALID);
		if (!strstr(err, why[i]) || !strstr(err, "attribute \"a\""))
			fail_msg("case %zu: %s", i, err);
	}
}

static void test_validate_per_object(void **state)
{
	tf_value *c = val(
		"{'name':'n','taints':[{'key':'a','effect':'NoSchedule'},"
		"{'key':null,'effect':'Sometimes'}],"
		"'ports':{'http':{'number':null}}}");
	tf_diags d = TF_DIAGS_INIT;
	bool key = false, effect = false, number = false;

	(void)state;
	tf_schema_validate(s, c, &d);
	for (size_t i = 0; i < d.n; i++) {
		char *p = tf_path_to_string(&d.items[i].path);

		key |= strcmp(p, "taints[1].key") == 0;
		effect |= strcmp(p, "taints[1].effect") == 0;
		number |= strcmp(p, "ports[\"http\"].number") == 0;
		free(p);
	}
	assert_int_equal(d.n, 3);
	assert_true(key && effect && number);
	tf_diags_done(&d);
	tf_value_unref(c);
}

/* Plan `config_j` over `prior_j` (NULL: create). */
static tf_value *plan(const char *prior_j, const char *config_j)
{
	tf_value *prior = prior_j ? val(prior_j) :
				    tf_value_null(tf_schema_type(s));
	tf_value *config = val(config_j), *planned = NULL;
	tf_paths rep = { 0 };
	tf_diags d = TF_DIAGS_INIT;

	assert_int_equal(tf_plan_resource(s, prior, config, config, &planned,
					  &rep, &d),
			 TF_OK);
	assert_false(tf_diags_has_error(&d));
	tf_diags_done(&d);
	tf_paths_done(&rep);
	tf_value_unref(prior);
	tf_value_unref(config);
	return planned;
}

static void test_plan(void **state)
{
	static const char cfg[] =
		"{'name':'n','taints':[{'key':'a','value':null,'effect':'NoSchedule'}],"
		"'ports':{'http':{'number':80}},'owner':null}";
	tf_value *p, *want;

	(void)state;
	/* Create: taints as configured, computed uid unknown, owner
	 * (optional+computed, unset) unknown. */
	p = plan(NULL, cfg);
	want = val("{'name':'n','taints':[{'key':'a','value':null,'effect':"
		   "'NoSchedule'}],'ports':{'http':{'number':80}}}");
	assert_true(tf_value_equal(tf_value_attr(p, "taints"),
				   tf_value_attr(want, "taints")));
	assert_true(tf_value_is_unknown(tf_value_attr(
		tf_value_map_get(tf_value_attr(p, "ports"), "http"), "uid")));
	assert_true(tf_value_is_unknown(tf_value_attr(p, "owner")));
	tf_value_unref(p);
	tf_value_unref(want);
	/* Update: the prior uid and owner kept, so nothing changes. */
	want = val("{'name':'n','taints':[{'key':'a','value':null,'effect':"
		   "'NoSchedule'}],'ports':{'http':{'number':80,'uid':'u1'}},"
		   "'owner':{'number':1,'uid':'o'}}");
	p = plan("{'name':'n','taints':[{'key':'a','value':null,'effect':"
		 "'NoSchedule'}],'ports':{'http':{'number':80,'uid':'u1'}},"
		 "'owner':{'number':1,'uid':'o'}}",
		 cfg);
	assert_true(tf_value_equal(p, want));
	tf_value_unref(p);
	tf_value_unref(want);
	/* Unset optional nested attribute: null, not an empty list. */
	p = plan(NULL, "{'name':'n'}");
	assert_true(tf_value_is_null(tf_value_attr(p, "taints")));
	assert_true(tf_value_is_null(tf_value_attr(p, "ports")));
	tf_value_unref(p);
}

static void test_msgpack_round_trip(void **state)
{
	tf_value *v = val(
		"{'name':'n','taints':[{'key':'a','value':'b','effect':"
		"'NoExecute'}],'ports':{'x':{'number':1,'uid':'u'}},"
		"'owner':{'number':2,'uid':null}}");
	tf_value *back = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[128];

	(void)state;
	assert_int_equal(tf_msgpack_encode(v, &buf, &len), TF_OK);
	assert_int_equal(tf_msgpack_decode(buf, len, tf_schema_type(s), &back,
					   err, sizeof(err)),
			 TF_OK);
	assert_true(tf_value_equal(v, back));
	free(buf);
	tf_value_unref(v);
	tf_value_unref(back);
}

/* ---- GetProviderSchema ------------------------------------------------ */

static void noop_remove(tfp_ctx *ctx, const tf_value *prior, tf_diags *d)
{
	(void)ctx;
	(void)prior;
	(void)d;
}

static const tfp_resource nres = {
	.type_name = "fake_nested",
	.schema = &res_def,
	.remove = noop_remove,
};
static const tfp_resource *const nres_list[] = { &nres };
static const tf_block_def empty_provider = { 0 };
static const tfp_provider fake = {
	.type = "fake",
	.source_address = "registry.terraform.io/test/fake",
	.schema = &empty_provider,
	.resources = nres_list,
	.nresources = 1,
};

static void test_schema_encoding(void **state)
{
	Tfplugin6__GetProviderSchema__Request rq =
		TFPLUGIN6__GET_PROVIDER_SCHEMA__REQUEST__INIT;
	Tfplugin6__GetProviderSchema__Response *rs;
	Tfplugin6__Schema__Block *b = NULL;
	uint8_t *req, *resp = NULL;
	size_t len, rlen;
	const char *msg = NULL;
	char err[256];
	rpc_app *app = rpc_app_new(&fake, err, sizeof(err));

	(void)state;
	assert_non_null(app);
	RPC_PACK(x, &rq, &req, &len);
	assert_int_equal(rpc_handle(app,
				    "/tfplugin6.Provider/GetProviderSchema",
				    req, len, &resp, &rlen, &msg),
			 SRV_STATUS_OK);
	rs = RPC_UNPACK(tfplugin6__get_provider_schema__response, rlen, resp);
	assert_int_equal(rs->n_resource_schemas, 1);
	b = rs->resource_schemas[0]->value->block;
	for (size_t i = 0; i < b->n_attributes; i++) {
		Tfplugin6__Schema__Attribute *a = b->attributes[i];

		if (strcmp(a->name, "taints") != 0)
			continue;
		assert_int_equal(a->type.len, 0);
		assert_non_null(a->nested_type);
		assert_int_equal(a->nested_type->nesting,
				 TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__LIST);
		assert_int_equal(a->nested_type->n_attributes, 3);
		assert_string_equal(a->nested_type->attributes[0]->name, "key");
		assert_true(a->nested_type->attributes[0]->required);
		assert_memory_equal(a->nested_type->attributes[0]->type.data,
				    STR, strlen(STR));
		assert_true(a->optional);
		b = NULL;
		break;
	}
	assert_null(b); /* found */
	RPC_FREE(rs);
	free(req);
	free(resp);
	rpc_app_free(app);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_implied_type),
		cmocka_unit_test(test_compile_rules),
		cmocka_unit_test(test_validate_per_object),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_msgpack_round_trip),
		cmocka_unit_test(test_schema_encoding),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
