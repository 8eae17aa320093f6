/* Unit tests for schema/type.c: construction, lookup, equality, type JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema/tf_err.h"
#include "schema/type.h"

static tf_type *parse(const char *json)
{
	tf_type *t = NULL;

	assert_int_equal(tf_type_from_json(json, strlen(json), &t), TF_OK);
	assert_non_null(t);
	return t;
}

static void test_type_primitives(void **state)
{
	(void)state;
	assert_int_equal(tf_type_kind_of(tf_type_bool()), TF_T_BOOL);
	assert_int_equal(tf_type_kind_of(tf_type_number()), TF_T_NUMBER);
	assert_int_equal(tf_type_kind_of(tf_type_string()), TF_T_STRING);
	assert_int_equal(tf_type_kind_of(tf_type_dynamic()), TF_T_DYNAMIC);
	assert_ptr_equal(tf_type_string(), tf_type_string());
	assert_true(tf_type_is_primitive(tf_type_bool()));
	assert_false(tf_type_is_primitive(tf_type_dynamic()));
	assert_false(tf_type_is_collection(tf_type_string()));
	/* singleton ref/unref are no-ops */
	tf_type_unref(tf_type_ref(tf_type_string()));
	tf_type_unref(tf_type_string());
	tf_type_unref(NULL);
	assert_null(tf_type_elem(tf_type_string()));
	assert_int_equal(tf_type_attr_count(tf_type_string()), 0);
}

static void test_type_collections(void **state)
{
	tf_type *l = tf_type_list(tf_type_string());
	tf_type *s = tf_type_set(l);
	tf_type *m = tf_type_map(tf_type_number());
	tf_type *l2 = tf_type_list(tf_type_string());

	(void)state;
	assert_int_equal(tf_type_kind_of(l), TF_T_LIST);
	assert_ptr_equal(tf_type_elem(l), tf_type_string());
	assert_ptr_equal(tf_type_elem(s), l);
	assert_true(tf_type_is_collection(m));
	assert_true(tf_type_equal(l, l2));
	assert_false(tf_type_equal(l, s));
	assert_false(tf_type_equal(l, m));
	assert_null(tf_type_list(NULL));
	tf_type_unref(l);
	/* s keeps its own reference to l */
	assert_int_equal(tf_type_kind_of(tf_type_elem(s)), TF_T_LIST);
	tf_type_unref(s);
	tf_type_unref(m);
	tf_type_unref(l2);
}

static void test_type_object(void **state)
{
	const char *names[] = { "zeta", "alpha", "mid" };
	tf_type *types[] = { tf_type_string(), tf_type_number(),
			     tf_type_bool() };
	const char *dup[] = { "a", "a" };
	tf_type *o = tf_type_object(3, names, types);
	tf_type *e;

	(void)state;
	assert_non_null(o);
	assert_int_equal(tf_type_attr_count(o), 3);
	assert_string_equal(tf_type_attr_name(o, 0), "alpha");
	assert_string_equal(tf_type_attr_name(o, 1), "mid");
	assert_string_equal(tf_type_attr_name(o, 2), "zeta");
	assert_ptr_equal(tf_type_attr_type(o, 0), tf_type_number());
	assert_ptr_equal(tf_type_attr_type(o, 2), tf_type_string());
	assert_int_equal(tf_type_attr_index(o, "mid"), 1);
	assert_int_equal(tf_type_attr_index(o, "zeta"), 2);
	assert_int_equal(tf_type_attr_index(o, "nope"), -1);
	assert_int_equal(tf_type_attr_index(o, ""), -1);
	assert_null(tf_type_attr_name(o, 3));
	assert_null(tf_type_object(2, dup, types));
	e = tf_type_object(0, NULL, NULL);
	assert_non_null(e);
	assert_int_equal(tf_type_attr_count(e), 0);
	assert_false(tf_type_equal(o, e));
	tf_type_unref(e);
	tf_type_unref(o);
}

static void test_type_tuple(void **state)
{
	tf_type *el[] = { tf_type_string(), tf_type_number() };
	tf_type *t = tf_type_tuple(2, el), *t1 = tf_type_tuple(1, el);

	(void)state;
	assert_int_equal(tf_type_tuple_len(t), 2);
	assert_ptr_equal(tf_type_tuple_elem(t, 1), tf_type_number());
	assert_null(tf_type_tuple_elem(t, 2));
	assert_false(tf_type_equal(t, t1));
	tf_type_unref(t);
	tf_type_unref(t1);
}

/* The declared type of a sequence's element i, whatever the sequence. */
static void test_type_seq_elem(void **state)
{
	tf_type *el[] = { tf_type_string(), tf_type_number() };
	tf_type *t = tf_type_tuple(2, el);
	tf_type *l = tf_type_list(tf_type_bool());
	tf_type *s = tf_type_set(tf_type_string());
	tf_type *m = tf_type_map(tf_type_string());

	(void)state;
	assert_ptr_equal(tf_type_seq_elem(t, 0), tf_type_string());
	assert_ptr_equal(tf_type_seq_elem(t, 1), tf_type_number());
	assert_null(tf_type_seq_elem(t, 2));
	assert_ptr_equal(tf_type_seq_elem(l, 7), tf_type_bool());
	assert_ptr_equal(tf_type_seq_elem(s, 0), tf_type_string());
	assert_null(tf_type_seq_elem(m, 0));
	assert_null(tf_type_seq_elem(tf_type_string(), 0));
	tf_type_unref(t);
	tf_type_unref(l);
	tf_type_unref(s);
	tf_type_unref(m);
}

static void test_type_equal_structural(void **state)
{
	tf_type *a = parse(
		"[\"object\",{\"a\":[\"list\",\"string\"],\"b\":\"dynamic\"}]");
	tf_type *b = parse(
		"[\"object\",{\"b\":\"dynamic\",\"a\":[\"list\",\"string\"]}]");
	tf_type *c = parse(
		"[\"object\",{\"a\":[\"list\",\"string\"],\"b\":\"string\"}]");
	tf_type *d = parse(
		"[\"object\",{\"a\":[\"list\",\"string\"],\"c\":\"dynamic\"}]");

	(void)state;
	assert_true(tf_type_equal(a, b));
	assert_false(tf_type_equal(a, c)); /* dynamic equals only dynamic */
	assert_false(tf_type_equal(a, d));
	tf_type_unref(a);
	tf_type_unref(b);
	tf_type_unref(c);
	tf_type_unref(d);
}

static void test_type_json_roundtrip(void **state)
{
	static const char *cases[] = {
		"\"string\"",
		"\"number\"",
		"\"bool\"",
		"\"dynamic\"",
		"[\"list\",\"string\"]",
		"[\"set\",[\"map\",\"number\"]]",
		"[\"map\",\"bool\"]",
		"[\"object\",{}]",
		"[\"object\",{\"a\":\"number\",\"b\":[\"list\",\"dynamic\"]}]",
		"[\"tuple\",[]]",
		"[\"tuple\",[\"string\",[\"object\",{\"x\":\"bool\"}]]]",
		"[\"object\",{\"quote\\\"d\":\"string\",\"\\u00e9\":\"number\"}]",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tf_type *t = parse(cases[i]), *u;
		char *s = tf_type_to_json(t);

		assert_non_null(s);
		u = parse(s);
		assert_true(tf_type_equal(t, u));
		/* escaped non-ASCII comes back raw; everything else identical */
		if (!strstr(cases[i], "\\u00e9"))
			assert_string_equal(s, cases[i]);
		free(s);
		tf_type_unref(u);
		tf_type_unref(t);
	}
}

static void test_type_json_sorted_output(void **state)
{
	tf_type *t = parse(
		" [ \"object\" , { \"z\" : \"string\", \"a\" : \"bool\" } ] ");
	char *s = tf_type_to_json(t);

	(void)state;
	assert_string_equal(s,
			    "[\"object\",{\"a\":\"bool\",\"z\":\"string\"}]");
	free(s);
	tf_type_unref(t);
}

static void test_type_json_optional_attrs(void **state)
{
	tf_type *t = parse(
		"[\"object\",{\"a\":\"string\",\"b\":\"number\"},[\"b\"]]");
	char *s = tf_type_to_json(t);

	(void)state;
	assert_int_equal(tf_type_attr_count(t), 2);
	assert_string_equal(s,
			    "[\"object\",{\"a\":\"string\",\"b\":\"number\"}]");
	free(s);
	tf_type_unref(t);
}

static void test_type_json_invalid(void **state)
{
	static const char *bad[] = {
		"",
		"null",
		"1",
		"\"str\"",
		"\"String\"",
		"[]",
		"[\"list\"]",
		"[\"list\",\"string\",\"extra\"]",
		"[\"list\",\"nope\"]",
		"[\"object\",[]]",
		"[\"object\",{\"a\":1}]",
		"[\"object\",{},[],1]",
		"[\"tuple\",{}]",
		"[\"tuple\",[1]]",
		"[\"frob\",\"string\"]",
		"[1,\"string\"]",
		"\"string\" x",
		"[\"object\",{\"a\":\"string\",\"a\":\"number\"}]",
		"{}",
		"[\"list\",",
	};
	size_t i;
	tf_type *t = (tf_type *)0x1;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tf_type_from_json(bad[i], strlen(bad[i]), &t) !=
		    TF_E_INVALID)
			fail_msg("accepted: %s", bad[i]);
	assert_ptr_equal(t, (tf_type *)0x1); /* untouched */
	assert_int_equal(tf_type_from_json(NULL, 0, &t), TF_E_INVALID);
}

static void test_type_json_depth_limit(void **state)
{
	char buf[4096], *p = buf;
	tf_type *t = NULL;
	int i, depth;

	(void)state;
	for (depth = TF_MAX_DEPTH - 1; depth <= TF_MAX_DEPTH + 1; depth++) {
		p = buf;
		for (i = 0; i < depth; i++)
			p += snprintf(p, sizeof(buf) - (size_t)(p - buf),
				      "[\"list\",");
		p += snprintf(p, sizeof(buf) - (size_t)(p - buf), "\"string\"");
		for (i = 0; i < depth; i++)
			p += snprintf(p, sizeof(buf) - (size_t)(p - buf), "]");
		if (depth < TF_MAX_DEPTH) {
			assert_int_equal(tf_type_from_json(buf, strlen(buf),
							   &t),
					 TF_OK);
			tf_type_unref(t);
		} else {
			assert_int_equal(tf_type_from_json(buf, strlen(buf),
							   &t),
					 TF_E_LIMIT);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_primitives),
		cmocka_unit_test(test_type_collections),
		cmocka_unit_test(test_type_object),
		cmocka_unit_test(test_type_tuple),
		cmocka_unit_test(test_type_seq_elem),
		cmocka_unit_test(test_type_equal_structural),
		cmocka_unit_test(test_type_json_roundtrip),
		cmocka_unit_test(test_type_json_sorted_output),
		cmocka_unit_test(test_type_json_optional_attrs),
		cmocka_unit_test(test_type_json_invalid),
		cmocka_unit_test(test_type_json_depth_limit),
	};

	return cmocka_run_group_tests_name("type", tests, NULL, NULL);
}
