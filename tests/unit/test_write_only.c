/* Unit tests for schema/write_only.c: the write-only attributes a
 * configuration sets (paths, at any depth of nested blocks), and values
 * with every write-only attribute nulled (what goes back to Terraform). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema/codec.h"
#include "schema/schema.h"
#include "schema/tf_err.h"
#include "schema/write_only.h"

#define STR "\"string\""

static const tf_attr_def leaf_attrs[] = {
	{ .name = "address", .type = STR, .flags = TF_OPTIONAL },
	{ .name = "password",
	  .type = STR,
	  .flags = TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY },
};
static const tf_block_def leaf_block = {
	.attrs = leaf_attrs,
	.nattrs = TF_COUNT(leaf_attrs),
};
static const tf_attr_def plain_attrs[] = {
	{ .name = "v", .type = STR, .flags = TF_OPTIONAL },
};
static const tf_block_def plain_block = {
	.attrs = plain_attrs,
	.nattrs = TF_COUNT(plain_attrs),
};
static const tf_nested_block_def top_blocks[] = {
	{ "target", TF_NEST_SINGLE, &leaf_block, 0, 0, 0 },
	{ "targets", TF_NEST_LIST, &leaf_block, 0, 0, 0 },
	{ "by_name", TF_NEST_MAP, &leaf_block, 0, 0, 0 },
	{ "tags", TF_NEST_SET, &plain_block, 0, 0, 0 },
};
static const tf_attr_def top_attrs[] = {
	{ .name = "name", .type = STR, .flags = TF_REQUIRED },
	{ .name = "key",
	  .type = STR,
	  .flags = TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY },
	{ .name = "id", .type = STR, .flags = TF_COMPUTED },
};
static const tf_block_def top = {
	.attrs = top_attrs,
	.nattrs = TF_COUNT(top_attrs),
	.blocks = top_blocks,
	.nblocks = TF_COUNT(top_blocks),
};

static tf_schema *s;

static int setup(void **state)
{
	char err[256] = "";

	(void)state;
	return tf_schema_compile(&top, 0, &s, err, sizeof(err)) == TF_OK ? 0 :
									   -1;
}

static int teardown(void **state)
{
	(void)state;
	tf_schema_free(s);
	return 0;
}

/* A value of the schema from JSON written with single quotes. */
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

#define FULL                                                                   \
	"{'name':'n','key':'K','id':'i',"                                      \
	"'target':{'address':'a','password':'P1'},"                            \
	"'targets':[{'address':'b','password':null},"                          \
	"{'address':'c','password':'P2'}],"                                    \
	"'by_name':{'x':{'address':'d','password':'P3'}},"                     \
	"'tags':[{'v':'t'}]}"

static void test_paths(void **state)
{
	static const char *const want[] = {
		"key",
		"target.password",
		"targets[1].password",
		"by_name[\"x\"].password",
	};
	tf_value *v = val(FULL);
	tf_paths ps = { 0 };

	(void)state;
	assert_int_equal(tf_write_only_paths(s, v, &ps), TF_OK);
	assert_int_equal(ps.n, TF_COUNT(want));
	for (size_t i = 0; i < ps.n; i++) {
		char *t = tf_path_to_string(&ps.items[i]);
		assert_string_equal(t, want[i]);
		free(t);
	}
	tf_paths_done(&ps);
	tf_value_unref(v);
}

static void test_paths_none_and_unknown(void **state)
{
	tf_value *v = val("{'name':'n','targets':[],'by_name':{},'tags':[]}");
	tf_value *u;
	tf_paths ps = { 0 };

	(void)state;
	assert_int_equal(tf_write_only_paths(s, v, &ps), TF_OK);
	assert_int_equal(ps.n, 0);
	/* An unknown value will be set: it counts. */
	u = tf_value_mut(tf_value_ref(v));
	tf_value_object_set(u, "key", tf_value_unknown(tf_type_string()));
	assert_int_equal(tf_write_only_paths(s, u, &ps), TF_OK);
	assert_int_equal(ps.n, 1);
	tf_paths_done(&ps);
	tf_value_unref(u);
	tf_value_unref(v);
}

static void test_nulled(void **state)
{
	tf_value *v = val(FULL), *keep = tf_value_ref(v), *out, *want;
	size_t n = 0;

	(void)state;
	out = tf_write_only_nulled(s, v, &n);
	assert_non_null(out);
	assert_int_equal(n, 4);
	want = val("{'name':'n','key':null,'id':'i',"
		   "'target':{'address':'a','password':null},"
		   "'targets':[{'address':'b','password':null},"
		   "{'address':'c','password':null}],"
		   "'by_name':{'x':{'address':'d','password':null}},"
		   "'tags':[{'v':'t'}]}");
	assert_true(tf_value_equal(out, want));
	/* The caller's other reference still sees the original. */
	assert_string_equal(tf_value_attr_string(keep, "key"), "K");
	assert_string_equal(tf_value_attr_string(tf_value_attr(keep, "target"),
						 "password"),
			    "P1");
	tf_value_unref(out);
	tf_value_unref(want);
	tf_value_unref(keep);
}

static void test_nulled_unchanged(void **state)
{
	tf_value *v = val(
		"{'name':'n','target':{'address':'a'},"
		"'targets':[{'address':'b'}],'by_name':{},'tags':[]}");
	tf_value *same = tf_value_ref(v), *out;
	size_t n = 7;

	(void)state;
	out = tf_write_only_nulled(s, v, &n);
	assert_int_equal(n, 0);
	assert_ptr_equal(out, same); /* nothing copied */
	tf_value_unref(out);
	tf_value_unref(same);
	/* Null and unknown objects pass through. */
	out = tf_write_only_nulled(s, tf_value_null(tf_schema_type(s)), NULL);
	assert_true(tf_value_is_null(out));
	tf_value_unref(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_paths_none_and_unknown),
		cmocka_unit_test(test_nulled),
		cmocka_unit_test(test_nulled_unchanged),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
