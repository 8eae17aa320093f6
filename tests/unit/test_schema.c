/* Unit tests for schema/schema.c: compilation (Terraform's internal schema
 * rules), the implied type, generic validation and the stock validators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/lxd/lxd_name.h"
#include "schema/codec.h"
#include "schema/diag.h"
#include "schema/schema.h"
#include "schema/tf_err.h"
#include "schema/value.h"

#define STR "\"string\""
#define NUM "\"number\""

/* ---- a valid schema -------------------------------------------------------- */

static const char *const mode_values[] = { "fast", "slow", "auto", NULL };
static const tf_int_range size_range = { 1, 100 };

static const tf_attr_def inner_attrs[] = {
	{ .name = "name", .type = STR, .flags = TF_REQUIRED },
	{ .name = "mode",
	  .type = STR,
	  .flags = TF_OPTIONAL,
	  .validate = tf_validate_one_of,
	  .validate_arg = mode_values },
	{ .name = "id", .type = STR, .flags = TF_COMPUTED },
};
static const tf_block_def inner_block = {
	.attrs = inner_attrs,
	.nattrs = TF_COUNT(inner_attrs),
};
static const tf_attr_def single_attrs[] = {
	{ .name = "create", .type = STR, .flags = TF_OPTIONAL },
};
static const tf_block_def single_block = {
	.attrs = single_attrs,
	.nattrs = TF_COUNT(single_attrs),
};

static const tf_attr_def good_attrs[] = {
	{ .name = "name",
	  .type = STR,
	  .flags = TF_REQUIRED | TF_FORCE_NEW,
	  .validate = lxd_validate_name },
	{ .name = "description",
	  .type = STR,
	  .flags = TF_OPTIONAL | TF_COMPUTED,
	  .default_json = "\"\"" },
	{ .name = "size",
	  .type = NUM,
	  .flags = TF_OPTIONAL | TF_COMPUTED,
	  .default_json = "10",
	  .validate = tf_validate_int_range,
	  .validate_arg = &size_range },
	{ .name = "config",
	  .type = "[\"map\",\"string\"]",
	  .flags = TF_OPTIONAL },
	{ .name = "status", .type = STR, .flags = TF_COMPUTED },
	{ .name = "password",
	  .type = STR,
	  .flags = TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY },
	{ .name = "anything", .type = "\"dynamic\"", .flags = TF_OPTIONAL },
	{ .name = "tags",
	  .type = "[\"set\",\"string\"]",
	  .flags = TF_OPTIONAL,
	  .validate = tf_validate_one_of,
	  .validate_arg = mode_values },
	{ .name = "secret_mode",
	  .type = STR,
	  .flags = TF_OPTIONAL | TF_SENSITIVE,
	  .validate = tf_validate_one_of,
	  .validate_arg = mode_values },
};
static const tf_nested_block_def good_blocks[] = {
	{ .type_name = "timeouts",
	  .nesting = TF_NEST_SINGLE,
	  .block = &single_block },
	{ .type_name = "source",
	  .nesting = TF_NEST_SINGLE,
	  .block = &single_block,
	  .min_items = 1,
	  .max_items = 1 },
	{ .type_name = "member",
	  .nesting = TF_NEST_LIST,
	  .block = &inner_block,
	  .min_items = 1,
	  .max_items = 2 },
	{ .type_name = "rule",
	  .nesting = TF_NEST_SET,
	  .block = &inner_block,
	  .max_items = 2 },
	{ .type_name = "volume", .nesting = TF_NEST_MAP, .block = &inner_block },
	{ .type_name = "settings",
	  .nesting = TF_NEST_GROUP,
	  .block = &single_block },
};
static const tf_block_def good_def = {
	.attrs = good_attrs,
	.nattrs = TF_COUNT(good_attrs),
	.blocks = good_blocks,
	.nblocks = TF_COUNT(good_blocks),
};

static tf_schema *compile_ok(const tf_block_def *def)
{
	char err[256] = "";
	tf_schema *s = NULL;
	int rc = tf_schema_compile(def, 2, &s, err, sizeof(err));

	if (rc != TF_OK)
		print_error("compile failed: %s\n", err);
	assert_int_equal(rc, TF_OK);
	assert_non_null(s);
	return s;
}

static tf_type *type_of(const char *json)
{
	tf_type *t = NULL;

	assert_int_equal(tf_type_from_json(json, strlen(json), &t), TF_OK);
	return t;
}

/* Decode JSON as a value of the schema type (lenient: absent = null). */
static tf_value *config_of(const tf_schema *s, const char *json)
{
	char err[256] = "";
	tf_value *v = NULL;
	int rc = tf_json_decode(json, strlen(json), tf_schema_type(s), 1, &v,
				err, sizeof(err));

	if (rc != TF_OK)
		print_error("decode %s: %s\n", json, err);
	assert_int_equal(rc, TF_OK);
	return v;
}

static void test_compile_good(void **state)
{
	tf_schema *s = compile_ok(&good_def);
	tf_type *want = type_of(
		"[\"object\",{"
		"\"name\":\"string\",\"description\":\"string\",\"size\":\"number\","
		"\"config\":[\"map\",\"string\"],\"status\":\"string\","
		"\"password\":\"string\",\"anything\":\"dynamic\","
		"\"tags\":[\"set\",\"string\"],\"secret_mode\":\"string\","
		"\"timeouts\":[\"object\",{\"create\":\"string\"}],"
		"\"source\":[\"object\",{\"create\":\"string\"}],"
		"\"member\":[\"list\",[\"object\",{\"name\":\"string\",\"mode\":\"string\",\"id\":\"string\"}]],"
		"\"rule\":[\"set\",[\"object\",{\"name\":\"string\",\"mode\":\"string\",\"id\":\"string\"}]],"
		"\"volume\":[\"map\",[\"object\",{\"name\":\"string\",\"mode\":\"string\",\"id\":\"string\"}]],"
		"\"settings\":[\"object\",{\"create\":\"string\"}]}]");
	tf_type *inner = type_of(
		"[\"object\",{\"name\":\"string\",\"mode\":\"string\",\"id\":\"string\"}]");
	tf_type *cfg = type_of("[\"map\",\"string\"]");
	int64_t n;

	(void)state;
	assert_true(tf_type_equal(tf_schema_type(s), want));
	assert_ptr_equal(tf_schema_def(s), &good_def);
	assert_int_equal(tf_schema_version(s), 2);
	assert_int_equal(tf_schema_attr_index(s, "size"), 2);
	assert_int_equal(tf_schema_attr_index(s, "member"), -1); /* block */
	assert_int_equal(tf_schema_attr_index(s, "nope"), -1);
	assert_true(tf_type_equal(tf_schema_attr_type(s, 3), cfg));
	assert_null(tf_schema_attr_default(s, 0));
	assert_string_equal(tf_value_get_string(tf_schema_attr_default(s, 1)),
			    "");
	assert_int_equal(tf_value_get_int(tf_schema_attr_default(s, 2), &n),
			 TF_OK);
	assert_int_equal(n, 10);
	assert_true(
		tf_type_equal(tf_schema_type(tf_schema_block(s, 2)), inner));
	assert_ptr_equal(tf_schema_def(tf_schema_block(s, 2)), &inner_block);
	assert_null(tf_schema_block(s, 99));
	tf_type_unref(want);
	tf_type_unref(inner);
	tf_type_unref(cfg);
	tf_schema_free(s);
	tf_schema_free(NULL);
}

static void test_compile_empty_block(void **state)
{
	static const tf_block_def empty = { 0 };
	tf_schema *s = compile_ok(&empty);
	tf_type *want = type_of("[\"object\",{}]");

	(void)state;
	assert_true(tf_type_equal(tf_schema_type(s), want));
	tf_type_unref(want);
	tf_schema_free(s);
}

/* ---- invalid schemas ------------------------------------------------------ */

#define ONE_ATTR(var, ...)                                                     \
	static const tf_attr_def var##_a[] = { __VA_ARGS__ };                  \
	static const tf_block_def var = { .attrs = var##_a,                    \
					  .nattrs = TF_COUNT(var##_a) }
#define ONE_BLOCK(var, ...)                                                    \
	static const tf_nested_block_def var##_b[] = { __VA_ARGS__ };          \
	static const tf_block_def var = { .blocks = var##_b,                   \
					  .nblocks = TF_COUNT(var##_b) }

ONE_ATTR(req_opt,
	 { .name = "name", .type = STR, .flags = TF_REQUIRED | TF_OPTIONAL });
ONE_ATTR(req_comp,
	 { .name = "name", .type = STR, .flags = TF_REQUIRED | TF_COMPUTED });
ONE_ATTR(no_presence, { .name = "name", .type = STR, .flags = TF_SENSITIVE });
ONE_ATTR(bad_name, { .name = "Bad-Name", .type = STR, .flags = TF_OPTIONAL });
ONE_ATTR(empty_name, { .name = "", .type = STR, .flags = TF_OPTIONAL });
ONE_ATTR(default_not_computed, { .name = "description",
				 .type = STR,
				 .flags = TF_OPTIONAL,
				 .default_json = "\"\"" });
ONE_ATTR(default_computed_only, { .name = "description",
				  .type = STR,
				  .flags = TF_COMPUTED,
				  .default_json = "\"\"" });
ONE_ATTR(default_wrong_type, { .name = "description",
			       .type = STR,
			       .flags = TF_OPTIONAL | TF_COMPUTED,
			       .default_json = "{\"a\":1}" });
ONE_ATTR(default_bad_json, { .name = "description",
			     .type = STR,
			     .flags = TF_OPTIONAL | TF_COMPUTED,
			     .default_json = "\"unterminated" });
ONE_ATTR(default_null, { .name = "description",
			 .type = STR,
			 .flags = TF_OPTIONAL | TF_COMPUTED,
			 .default_json = "null" });
ONE_ATTR(default_invalid, { .name = "size",
			    .type = NUM,
			    .flags = TF_OPTIONAL | TF_COMPUTED,
			    .default_json = "1000",
			    .validate = tf_validate_int_range,
			    .validate_arg = &size_range });
ONE_ATTR(bad_type,
	 { .name = "tags", .type = "[\"list\"]", .flags = TF_OPTIONAL });
ONE_ATTR(no_type, { .name = "tags", .flags = TF_OPTIONAL });
ONE_ATTR(dup_attr, { .name = "name", .type = STR, .flags = TF_OPTIONAL },
	 { .name = "name", .type = NUM, .flags = TF_OPTIONAL });
ONE_ATTR(force_new_computed,
	 { .name = "id", .type = STR, .flags = TF_COMPUTED | TF_FORCE_NEW });
ONE_ATTR(write_only_computed,
	 { .name = "secret",
	   .type = STR,
	   .flags = TF_OPTIONAL | TF_COMPUTED | TF_WRITE_ONLY });
ONE_ATTR(unknown_flag,
	 { .name = "name", .type = STR, .flags = TF_OPTIONAL | (1u << 20) });

static const tf_attr_def wo_attrs[] = {
	{ .name = "token", .type = STR, .flags = TF_OPTIONAL | TF_WRITE_ONLY },
};
static const tf_block_def wo_block = { .attrs = wo_attrs, .nattrs = 1 };
static const tf_nested_block_def wo_deep_b[] = {
	{ .type_name = "inner", .nesting = TF_NEST_LIST, .block = &wo_block },
};
static const tf_block_def wo_deep = { .blocks = wo_deep_b, .nblocks = 1 };
static const tf_attr_def dyn_attrs[] = {
	{ .name = "value", .type = "\"dynamic\"", .flags = TF_OPTIONAL },
};
static const tf_block_def dyn_block = { .attrs = dyn_attrs, .nattrs = 1 };
static const tf_attr_def bad_inner_attrs[] = {
	{ .name = "Bad", .type = STR, .flags = TF_OPTIONAL },
};
static const tf_block_def bad_inner = { .attrs = bad_inner_attrs, .nattrs = 1 };

ONE_BLOCK(wo_in_set,
	  { .type_name = "rule", .nesting = TF_NEST_SET, .block = &wo_block });
ONE_BLOCK(wo_deep_in_set,
	  { .type_name = "rule", .nesting = TF_NEST_SET, .block = &wo_deep });
ONE_BLOCK(single_max2, { .type_name = "timeouts",
			 .nesting = TF_NEST_SINGLE,
			 .block = &single_block,
			 .max_items = 2 });
ONE_BLOCK(single_22, { .type_name = "timeouts",
		       .nesting = TF_NEST_SINGLE,
		       .block = &single_block,
		       .min_items = 2,
		       .max_items = 2 });
ONE_BLOCK(group_max, { .type_name = "settings",
		       .nesting = TF_NEST_GROUP,
		       .block = &single_block,
		       .max_items = 1 });
ONE_BLOCK(list_min_gt_max, { .type_name = "member",
			     .nesting = TF_NEST_LIST,
			     .block = &inner_block,
			     .min_items = 3,
			     .max_items = 2 });
ONE_BLOCK(map_min, { .type_name = "volume",
		     .nesting = TF_NEST_MAP,
		     .block = &inner_block,
		     .min_items = 1 });
ONE_BLOCK(negative_min, { .type_name = "member",
			  .nesting = TF_NEST_LIST,
			  .block = &inner_block,
			  .min_items = -1 });
ONE_BLOCK(bad_nesting, { .type_name = "member",
			 .nesting = (tf_nesting)0,
			 .block = &inner_block });
ONE_BLOCK(no_block, { .type_name = "member", .nesting = TF_NEST_LIST });
ONE_BLOCK(block_flag, { .type_name = "member",
			.nesting = TF_NEST_LIST,
			.block = &inner_block,
			.flags = TF_COMPUTED });
ONE_BLOCK(bad_block_name, { .type_name = "Bad-Block",
			    .nesting = TF_NEST_LIST,
			    .block = &inner_block });
ONE_BLOCK(dup_block,
	  { .type_name = "member",
	    .nesting = TF_NEST_LIST,
	    .block = &inner_block },
	  { .type_name = "member",
	    .nesting = TF_NEST_SET,
	    .block = &inner_block });
ONE_BLOCK(dyn_in_list, { .type_name = "item",
			 .nesting = TF_NEST_LIST,
			 .block = &dyn_block });
ONE_BLOCK(dyn_in_set,
	  { .type_name = "item", .nesting = TF_NEST_SET, .block = &dyn_block });
ONE_BLOCK(dyn_in_map,
	  { .type_name = "item", .nesting = TF_NEST_MAP, .block = &dyn_block });
ONE_BLOCK(bad_nested_attr, { .type_name = "member",
			     .nesting = TF_NEST_LIST,
			     .block = &bad_inner });

static const tf_attr_def clash_attrs[] = {
	{ .name = "member", .type = STR, .flags = TF_OPTIONAL },
};
static const tf_nested_block_def clash_blocks[] = {
	{ .type_name = "member",
	  .nesting = TF_NEST_LIST,
	  .block = &inner_block },
};
static const tf_block_def attr_block_clash = {
	.attrs = clash_attrs,
	.nattrs = 1,
	.blocks = clash_blocks,
	.nblocks = 1,
};

/* A block table that contains itself. */
static const tf_block_def loop_def;
static const tf_nested_block_def loop_blocks[] = {
	{ .type_name = "again", .nesting = TF_NEST_LIST, .block = &loop_def },
};
static const tf_block_def loop_def = { .blocks = loop_blocks, .nblocks = 1 };

static const tf_block_def null_table = { .nattrs = 2 };

typedef struct bad_case {
	const char *what;
	const tf_block_def *def;
	const char *msg; /* expected substring of the error */
} bad_case;

static const bad_case bad_cases[] = {
	{ "required+optional", &req_opt,
	  "attribute \"name\": cannot set both Required and Optional" },
	{ "required+computed", &req_comp,
	  "attribute \"name\": cannot set both Required and Computed" },
	{ "no presence flag", &no_presence,
	  "attribute \"name\": must set Optional, Required or Computed" },
	{ "bad name", &bad_name,
	  "attribute \"Bad-Name\": name may contain only lowercase" },
	{ "empty name", &empty_name, "name may contain only lowercase" },
	{ "default on non-computed", &default_not_computed,
	  "attribute \"description\": a default requires Optional and Computed" },
	{ "default on computed-only", &default_computed_only,
	  "attribute \"description\": a default requires Optional and Computed" },
	{ "default of wrong type", &default_wrong_type,
	  "attribute \"description\": invalid default" },
	{ "default not JSON", &default_bad_json,
	  "attribute \"description\": invalid default" },
	{ "default null", &default_null,
	  "attribute \"description\": the default must not be null" },
	{ "default fails validator", &default_invalid,
	  "attribute \"size\": the default 1000 fails validation" },
	{ "bad type JSON", &bad_type, "attribute \"tags\": invalid type JSON" },
	{ "no type", &no_type, "attribute \"tags\": no type" },
	{ "duplicate attribute", &dup_attr,
	  "attribute \"name\": defined more than once" },
	{ "force-new computed-only", &force_new_computed,
	  "attribute \"id\": ForceNew cannot" },
	{ "write-only computed", &write_only_computed,
	  "attribute \"secret\": WriteOnly attributes cannot be Computed" },
	{ "unknown flag", &unknown_flag,
	  "attribute \"name\": unknown flag bits" },
	{ "write-only inside SET", &wo_in_set,
	  "block \"rule\": SET blocks may not contain WriteOnly attributes" },
	{ "write-only deep inside SET", &wo_deep_in_set,
	  "block \"rule\": SET blocks may not contain WriteOnly attributes" },
	{ "SINGLE max_items 2", &single_max2,
	  "block \"timeouts\": MinItems and MaxItems must match in SINGLE mode" },
	{ "SINGLE 2/2", &single_22,
	  "block \"timeouts\": MinItems and MaxItems must be set to either 0 or 1" },
	{ "GROUP max_items", &group_max,
	  "block \"settings\": MinItems and MaxItems cannot be used in GROUP" },
	{ "LIST min > max", &list_min_gt_max,
	  "block \"member\": MinItems must be less than or equal to MaxItems in LIST mode" },
	{ "MAP min_items", &map_min,
	  "block \"volume\": MinItems and MaxItems must both be 0 in MAP mode" },
	{ "negative min_items", &negative_min,
	  "block \"member\": MinItems and MaxItems must both be greater" },
	{ "invalid nesting", &bad_nesting,
	  "block \"member\": invalid nesting mode 0" },
	{ "no block definition", &no_block,
	  "block \"member\": no block definition" },
	{ "flag on block", &block_flag, "block \"member\": only ForceNew" },
	{ "bad block name", &bad_block_name,
	  "block \"Bad-Block\": name may contain only lowercase" },
	{ "duplicate block", &dup_block,
	  "block \"member\": defined more than once" },
	{ "attribute/block clash", &attr_block_clash,
	  "block \"member\": name defined as both attribute and child block type" },
	{ "dynamic in LIST block", &dyn_in_list,
	  "block \"item\": LIST blocks may not contain attributes of dynamic type" },
	{ "dynamic in SET block", &dyn_in_set,
	  "block \"item\": SET blocks may not contain" },
	{ "dynamic in MAP block", &dyn_in_map,
	  "block \"item\": MAP blocks may not contain" },
	{ "bad nested attribute name", &bad_nested_attr,
	  "attribute \"member.Bad\": name may contain" },
	{ "self-referencing block", &loop_def, "nested more than 64 levels" },
	{ "NULL attribute table", &null_table, "table pointer is NULL" },
	{ "NULL definition", NULL, "no definition" },
};

static void test_compile_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < TF_COUNT(bad_cases); i++) {
		const bad_case *c = &bad_cases[i];
		char err[256] = "";
		tf_schema *s = NULL;
		int rc = tf_schema_compile(c->def, 0, &s, err, sizeof(err));

		if (rc == TF_OK || !strstr(err, c->msg)) {
			print_error(
				"case \"%s\": rc %d, error \"%s\", want \"%s\"\n",
				c->what, rc, err, c->msg);
			tf_schema_free(s);
			fail();
		}
		assert_true(rc == TF_E_INVALID || rc == TF_E_LIMIT);
		assert_null(s);
	}
}

static void test_compile_negative_version(void **state)
{
	char err[128] = "";
	tf_schema *s = NULL;

	(void)state;
	assert_int_equal(tf_schema_compile(&good_def, -1, &s, err, sizeof(err)),
			 TF_E_INVALID);
	assert_null(s);
	assert_non_null(strstr(err, "version"));
	/* A NULL error buffer is allowed. */
	assert_int_equal(tf_schema_compile(&req_opt, 0, &s, NULL, 0),
			 TF_E_INVALID);
	/* A tiny buffer truncates but stays terminated. */
	assert_int_equal(tf_schema_compile(&req_opt, 0, &s, err, 8),
			 TF_E_INVALID);
	assert_int_equal(strlen(err), 7);
}

/* ---- empty object ----------------------------------------------------------- */

static void test_empty_object(void **state)
{
	tf_schema *s = compile_ok(&good_def);
	tf_value *v = tf_schema_empty_object(s);
	tf_value *settings;

	(void)state;
	assert_non_null(v);
	assert_true(tf_value_conforms(v, tf_schema_type(s)));
	assert_true(tf_value_is_null(tf_value_attr(v, "name")));
	assert_true(tf_value_is_null(tf_value_attr(v, "description")));
	assert_true(tf_value_is_null(tf_value_attr(v, "timeouts")));
	assert_true(tf_value_is_known(tf_value_attr(v, "member")));
	assert_int_equal(tf_value_len(tf_value_attr(v, "member")), 0);
	assert_true(tf_value_is_known(tf_value_attr(v, "rule")));
	assert_int_equal(tf_type_kind_of(
				 tf_value_type(tf_value_attr(v, "rule"))),
			 TF_T_SET);
	assert_true(tf_value_is_known(tf_value_attr(v, "volume")));
	settings = tf_value_attr(v, "settings");
	assert_true(tf_value_is_known(settings));
	assert_true(tf_value_is_null(tf_value_attr(settings, "create")));
	tf_value_unref(v);
	tf_schema_free(s);
}

/* ---- generic validation ------------------------------------------------------ */

#define BASE_OK                                                                \
	"\"name\":\"pool1\",\"source\":{\"create\":\"x\"},"                    \
	"\"member\":[{\"name\":\"a\"}],\"rule\":[],\"volume\":{},"             \
	"\"settings\":{}"

typedef struct validate_case {
	const char *what;
	const char *config;  /* JSON */
	const char *summary; /* NULL: no diagnostics expected */
	const char *path;
	const char *detail; /* substring */
} validate_case;

static const validate_case validate_cases[] = {
	{ "valid", "{" BASE_OK "}", NULL, NULL, NULL },
	{ "valid with values",
	  "{" BASE_OK ",\"size\":100,\"tags\":[\"fast\",\"auto\"],"
	  "\"description\":\"d\",\"password\":\"p\"}",
	  NULL, NULL, NULL },
	{ "required missing",
	  "{\"source\":{},\"member\":[{\"name\":\"a\"}],\"rule\":[],\"volume\":{},\"settings\":{}}",
	  "Missing required argument", "name", "\"name\" is required" },
	{ "computed set in config", "{" BASE_OK ",\"status\":\"x\"}",
	  "Value for unconfigurable attribute", "status", "\"status\"" },
	{ "lxd name",
	  "{\"name\":\"bad/name\",\"source\":{},\"member\":[{\"name\":\"a\"}],"
	  "\"rule\":[],\"volume\":{},\"settings\":{}}",
	  "Invalid LXD name", "name", "must not contain '/'" },
	{ "int range", "{" BASE_OK ",\"size\":1000}", "Value out of range",
	  "size", "The value 1000 for size must be between 1 and 100" },
	{ "one_of in list block element",
	  "{\"name\":\"p\",\"source\":{},\"member\":[{\"name\":\"a\"},{\"name\":\"b\",\"mode\":\"warp\"}],"
	  "\"rule\":[],\"volume\":{},\"settings\":{}}",
	  "Invalid attribute value", "member[1].mode",
	  "The value \"warp\" is not valid for member[1].mode: expected one of \"fast\", \"slow\" or \"auto\"" },
	{ "one_of in map block element",
	  "{\"name\":\"p\",\"source\":{},\"member\":[{\"name\":\"a\"}],\"rule\":[],"
	  "\"volume\":{\"v\":{\"name\":\"n\",\"mode\":\"x\"}},\"settings\":{}}",
	  "Invalid attribute value", "volume[\"v\"].mode", "\"x\"" },
	{ "one_of in set block element",
	  "{\"name\":\"p\",\"source\":{},\"member\":[{\"name\":\"a\"}],"
	  "\"rule\":[{\"name\":\"n\",\"mode\":\"x\"}],\"volume\":{},\"settings\":{}}",
	  "Invalid attribute value", "rule.mode", "\"x\"" },
	{ "sensitive value never echoed",
	  "{" BASE_OK ",\"secret_mode\":\"hunter2\"}",
	  "Invalid attribute value", "secret_mode",
	  "The value of the sensitive attribute \"secret_mode\" is not valid" },
	{ "one_of on set of strings",
	  "{" BASE_OK ",\"tags\":[\"fast\",\"nope\"]}",
	  "Invalid attribute value", "tags", "\"nope\"" },
	{ "required inside block element",
	  "{\"name\":\"p\",\"source\":{},\"member\":[{\"mode\":\"fast\"}],\"rule\":[],"
	  "\"volume\":{},\"settings\":{}}",
	  "Missing required argument", "member[0].name", "\"name\"" },
	{ "list block too few",
	  "{\"name\":\"p\",\"source\":{},\"member\":[],\"rule\":[],\"volume\":{},\"settings\":{}}",
	  "Insufficient blocks", "member",
	  "At least 1 \"member\" blocks are required, 0 given" },
	{ "list block too many",
	  "{\"name\":\"p\",\"source\":{},\"member\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}],"
	  "\"rule\":[],\"volume\":{},\"settings\":{}}",
	  "Too many blocks", "member",
	  "No more than 2 \"member\" blocks are allowed, 3 given" },
	{ "set block too many",
	  "{\"name\":\"p\",\"source\":{},\"member\":[{\"name\":\"a\"}],"
	  "\"rule\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}],\"volume\":{},\"settings\":{}}",
	  "Too many blocks", "rule", "No more than 2" },
	{ "required single block missing",
	  "{\"name\":\"p\",\"member\":[{\"name\":\"a\"}],\"rule\":[],\"volume\":{},\"settings\":{}}",
	  "Missing required block", "source", "\"source\"" },
};

static void test_validate_table(void **state)
{
	tf_schema *s = compile_ok(&good_def);

	(void)state;
	for (size_t i = 0; i < TF_COUNT(validate_cases); i++) {
		const validate_case *c = &validate_cases[i];
		tf_value *config = config_of(s, c->config);
		tf_diags d = TF_DIAGS_INIT;
		char *path = NULL;
		bool ok;

		tf_schema_validate(s, config, &d);
		if (!c->summary) {
			ok = d.n == 0;
		} else {
			path = d.n ? tf_path_to_string(&d.items[0].path) : NULL;
			ok = d.n == 1 && d.items[0].severity == TF_DIAG_ERROR &&
			     strcmp(d.items[0].summary, c->summary) == 0 &&
			     path && strcmp(path, c->path) == 0 &&
			     strstr(d.items[0].detail, c->detail) != NULL;
		}
		for (size_t k = 0; k < d.n; k++)
			if (strstr(d.items[k].detail, "hunter2"))
				ok = false;
		if (!ok) {
			print_error("case \"%s\": %zu diagnostics\n", c->what,
				    d.n);
			for (size_t k = 0; k < d.n; k++) {
				char *p = tf_path_to_string(&d.items[k].path);

				print_error("  [%s] %s: %s\n", p ? p : "?",
					    d.items[k].summary,
					    d.items[k].detail);
				free(p);
			}
		}
		free(path);
		tf_diags_done(&d);
		tf_value_unref(config);
		assert_true(ok);
	}
	tf_schema_free(s);
}

static void test_validate_skips_unknown(void **state)
{
	tf_schema *s = compile_ok(&good_def);
	tf_value *config = config_of(s,
				     "{\"name\":\"bad/name\",\"size\":1000,"
				     "\"source\":{},\"member\":[],\"rule\":[],"
				     "\"volume\":{},\"settings\":{}}");
	tf_value *unk_list = tf_value_unknown(
		tf_type_attr_type(tf_schema_type(s),
				  (size_t)tf_type_attr_index(tf_schema_type(s),
							     "member")));
	tf_diags d = TF_DIAGS_INIT;

	(void)state;
	config = tf_value_mut(config);
	assert_int_equal(tf_value_object_set(config, "name",
					     tf_value_unknown(tf_type_string())),
			 TF_OK);
	assert_int_equal(tf_value_object_set(config, "size",
					     tf_value_unknown(tf_type_number())),
			 TF_OK);
	assert_int_equal(tf_value_object_set(config, "member", unk_list),
			 TF_OK);
	tf_schema_validate(s, config, &d);
	assert_int_equal(d.n, 0);
	/* Wholly unknown and null configs are skipped too. */
	tf_value_unref(config);
	config = tf_value_unknown(tf_schema_type(s));
	tf_schema_validate(s, config, &d);
	tf_value_unref(config);
	config = tf_value_null(tf_schema_type(s));
	tf_schema_validate(s, config, &d);
	assert_int_equal(d.n, 0);
	/* A value of the wrong type is reported, not crashed on. */
	tf_value_unref(config);
	config = tf_value_string("x");
	tf_schema_validate(s, config, &d);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].summary, "Invalid configuration");
	tf_value_unref(config);
	tf_diags_done(&d);
	tf_schema_free(s);
}

/* ---- stock validators ---------------------------------------------------------- */

/* Run validator fn on v at path `attr`; return the number of diagnostics and
 * copy the first detail into detail. */
static size_t run_validator(tf_validate_fn fn, const void *arg, tf_value *v,
			    char *detail, size_t len)
{
	tf_diags d = TF_DIAGS_INIT;
	tf_path p = { 0 };
	size_t n;

	assert_int_equal(tf_path_push_attr(&p, "attr"), TF_OK);
	fn(v, arg, &p, &d);
	n = d.n;
	if (detail && len) {
		detail[0] = '\0';
		if (n) {
			char *ps = tf_path_to_string(&d.items[0].path);

			assert_string_equal(ps, "attr");
			free(ps);
			snprintf(detail, len, "%s", d.items[0].detail);
		}
	}
	tf_diags_done(&d);
	tf_path_done(&p);
	tf_value_unref(v);
	return n;
}

static void test_validate_one_of(void **state)
{
	static const char *const one[] = { "only", NULL };
	static const char *const none[] = { NULL };
	char detail[512];
	tf_type *lt = type_of("[\"list\",\"string\"]");
	tf_value *list = tf_value_list_new(lt);
	tf_diags d = TF_DIAGS_INIT;
	tf_path p = { 0 };

	(void)state;
	assert_int_equal(run_validator(tf_validate_one_of, mode_values,
				       tf_value_string("slow"), detail,
				       sizeof(detail)),
			 0);
	assert_int_equal(run_validator(tf_validate_one_of, mode_values,
				       tf_value_string("Slow"), detail,
				       sizeof(detail)),
			 1);
	assert_string_equal(detail,
			    "The value \"Slow\" is not valid for attr: "
			    "expected one of \"fast\", \"slow\" or \"auto\".");
	assert_int_equal(run_validator(tf_validate_one_of, one,
				       tf_value_string("x"), detail,
				       sizeof(detail)),
			 1);
	assert_string_equal(
		detail,
		"The value \"x\" is not valid for attr: expected \"only\".");
	assert_int_equal(run_validator(tf_validate_one_of, none,
				       tf_value_string("x"), detail,
				       sizeof(detail)),
			 1);
	assert_non_null(strstr(detail, "no value is accepted"));
	/* Numbers compare by their text. */
	{
		static const char *const nums[] = { "1", "2", NULL };

		assert_int_equal(run_validator(tf_validate_one_of, nums,
					       tf_value_int(2), NULL, 0),
				 0);
		assert_int_equal(run_validator(tf_validate_one_of, nums,
					       tf_value_int(3), NULL, 0),
				 1);
	}
	/* A list is checked element by element with indexed paths. */
	assert_int_equal(tf_value_list_append(list, tf_value_string("fast")),
			 TF_OK);
	assert_int_equal(tf_value_list_append(list, tf_value_string("bad")),
			 TF_OK);
	assert_int_equal(tf_path_push_attr(&p, "modes"), TF_OK);
	tf_validate_one_of(list, mode_values, &p, &d);
	assert_int_equal(d.n, 1);
	{
		char *ps = tf_path_to_string(&d.items[0].path);

		assert_string_equal(ps, "modes[1]");
		free(ps);
	}
	/* The caller's path is untouched. */
	assert_int_equal(p.n, 1);
	tf_diags_done(&d);
	tf_path_done(&p);
	tf_value_unref(list);
	tf_type_unref(lt);
}

static void test_validate_int_range(void **state)
{
	static const tf_int_range r = { -5, 10 };
	char detail[512];

	(void)state;
	assert_int_equal(run_validator(tf_validate_int_range, &r,
				       tf_value_int(-5), NULL, 0),
			 0);
	assert_int_equal(run_validator(tf_validate_int_range, &r,
				       tf_value_int(10), NULL, 0),
			 0);
	assert_int_equal(run_validator(tf_validate_int_range, &r,
				       tf_value_int(0), NULL, 0),
			 0);
	assert_int_equal(run_validator(tf_validate_int_range, &r,
				       tf_value_int(11), detail,
				       sizeof(detail)),
			 1);
	assert_string_equal(detail,
			    "The value 11 for attr must be between -5 and 10.");
	assert_int_equal(run_validator(tf_validate_int_range, &r,
				       tf_value_int(-6), NULL, 0),
			 1);
	assert_int_equal(run_validator(tf_validate_int_range, &r,
				       tf_value_double(2.5), detail,
				       sizeof(detail)),
			 1);
	assert_non_null(
		strstr(detail, "must be a whole number between -5 and 10"));
	assert_int_equal(run_validator(tf_validate_int_range, &r,
				       tf_value_decimal("1e400"), detail,
				       sizeof(detail)),
			 1);
	assert_non_null(strstr(detail, "must be between -5 and 10"));
	/* Non-numbers are ignored. */
	assert_int_equal(run_validator(tf_validate_int_range, &r,
				       tf_value_string("3"), NULL, 0),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_good),
		cmocka_unit_test(test_compile_empty_block),
		cmocka_unit_test(test_compile_rejects),
		cmocka_unit_test(test_compile_negative_version),
		cmocka_unit_test(test_empty_object),
		cmocka_unit_test(test_validate_table),
		cmocka_unit_test(test_validate_skips_unknown),
		cmocka_unit_test(test_validate_one_of),
		cmocka_unit_test(test_validate_int_range),
	};

	return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
