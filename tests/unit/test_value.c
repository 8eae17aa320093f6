/* Unit tests for schema/value.c: constructors, canonical numbers, builders,
 * accessors, equality (sets as multisets, numbers by value), refinements,
 * conformance and debug rendering. */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "schema/tf_err.h"
#include "schema/type.h"
#include "schema/value.h"

static tf_type *parse(const char *json)
{
	tf_type *t = NULL;

	assert_int_equal(tf_type_from_json(json, strlen(json), &t), TF_OK);
	return t;
}

static void assert_debug(const tf_value *v, const char *want)
{
	char *s = tf_value_debug_string(v);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_value_primitives(void **state)
{
	tf_value *b = tf_value_bool(true), *s = tf_value_string("héllo");
	tf_value *n = tf_value_string_n("a\0b", 3);

	(void)state;
	assert_true(tf_value_is_known(b));
	assert_true(tf_value_get_bool(b));
	assert_ptr_equal(tf_value_type(b), tf_type_bool());
	assert_string_equal(tf_value_get_string(s), "héllo");
	assert_int_equal(tf_value_string_len(s), 6);
	assert_int_equal(tf_value_string_len(n), 3);
	assert_memory_equal(tf_value_get_string(n), "a\0b", 4);
	assert_null(tf_value_get_string(b));
	assert_false(tf_value_get_bool(s));
	assert_int_equal(tf_value_len(s), 0);
	assert_null(tf_value_string(NULL));
	tf_value_unref(b);
	tf_value_unref(s);
	tf_value_unref(n);
	tf_value_unref(NULL);
}

static void test_value_null_unknown(void **state)
{
	tf_type *l = tf_type_list(tf_type_string());
	tf_value *n = tf_value_null(l), *u = tf_value_unknown(l);
	tf_value *n2 = tf_value_null(tf_type_string());

	(void)state;
	assert_int_equal(tf_value_state_of(n), TF_V_NULL);
	assert_true(tf_value_is_null(n));
	assert_false(tf_value_is_known(n));
	assert_false(tf_value_is_known(NULL)); /* absent attribute or element */
	assert_true(tf_value_is_wholly_known(n));
	assert_int_equal(tf_value_state_of(u), TF_V_UNKNOWN);
	assert_false(tf_value_is_wholly_known(u));
	assert_null(tf_value_refinement(u));
	assert_false(tf_value_equal(n, u));
	assert_false(tf_value_equal(n, n2)); /* different types */
	assert_int_equal(tf_value_len(n), 0);
	assert_null(tf_value_index(u, 0));
	assert_debug(n, "null");
	assert_debug(u, "(known after apply)");
	tf_value_unref(n);
	tf_value_unref(u);
	tf_value_unref(n2);
	tf_type_unref(l);
}

/* Number representation and canonical text. */
static void test_value_numbers_text(void **state)
{
	static const struct {
		const char *in, *text;
	} cases[] = {
		{ "0", "0" },
		{ "-0", "0" },
		{ "0.000", "0" },
		{ "+7", "7" },
		{ "5", "5" },
		{ "5.0", "5" },
		{ "500e-2", "5" },
		{ "1e3", "1000" },
		{ "0.5", "0.5" },
		{ "-1.25", "-1.25" },
		{ ".5", "0.5" },
		{ "0.1", "0.1" },
		{ "123.456", "123.456" },
		{ "0.000001", "0.000001" },
		{ "1e-7", "0.0000001" },
		{ "1e-8", "1e-8" },
		{ "1.5e-30", "1.5e-30" },
		{ "1e400", "1e+400" },
		{ "-2.5E+400", "-2.5e+400" },
		{ "9223372036854775807", "9223372036854775807" },
		{ "-9223372036854775808", "-9223372036854775808" },
		{ "9223372036854775808", "9223372036854775808" },
		{ "123456789012345678901234567890",
		  "123456789012345678901234567890" },
		{ "1e20", "100000000000000000000" },
		{ "1e21", "1e+21" },
		{ "12345678901234567890123.5", "12345678901234567890123.5" },
		{ "Inf", "+Inf" },
		{ "-inf", "-Inf" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tf_value *v = tf_value_decimal(cases[i].in);

		if (!v)
			fail_msg("rejected %s", cases[i].in);
		if (strcmp(tf_value_number_text(v), cases[i].text))
			fail_msg("%s -> %s, want %s", cases[i].in,
				 tf_value_number_text(v), cases[i].text);
		tf_value_unref(v);
	}
}

static void test_value_numbers_invalid(void **state)
{
	static const char *bad[] = {
		"",      "-",    "+",  ".",  "e5",  "1e",  "1e+",
		"1.2.3", "0x10", "1 ", " 1", "abc", "--1", "1e99999999999",
		"nan",   "1,5"
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tf_value_decimal(bad[i]))
			fail_msg("accepted %s", bad[i]);
	assert_null(tf_value_decimal(NULL));
	assert_null(tf_value_double(NAN)); /* NaN is not a Terraform number */
}

static void test_value_numbers_exact(void **state)
{
	tf_value *i5 = tf_value_int(5), *d5 = tf_value_double(5.0);
	tf_value *t5 = tf_value_decimal("5.000"), *dh = tf_value_double(0.5);
	tf_value *th = tf_value_decimal("0.5"), *d01 = tf_value_double(0.1);
	tf_value *t01 = tf_value_decimal("0.1"),
		 *big = tf_value_decimal("1e400");
	tf_value *big2 = tf_value_decimal("10e399"),
		 *inf = tf_value_double(INFINITY);
	int64_t n = 0;

	(void)state;
	/* numeric equality across representations */
	assert_true(tf_value_equal(i5, d5));
	assert_true(tf_value_equal(i5, t5));
	assert_true(tf_value_equal(dh, th));
	assert_true(tf_value_equal(big, big2));
	/* 0.1 the decimal is not 0.1 the double */
	assert_false(tf_value_equal(d01, t01));
	assert_false(tf_value_equal(big, inf));
	assert_int_equal(tf_value_get_int(t5, &n), TF_OK);
	assert_int_equal(n, 5);
	assert_int_not_equal(tf_value_get_int(dh, &n), TF_OK);
	assert_int_not_equal(tf_value_get_int(big, &n), TF_OK);
	assert_int_equal(tf_value_get_int(t01, &n), TF_E_INVALID);
	assert_int_equal(tf_value_get_int(NULL, &n), TF_E_TYPE);
	assert_true(tf_value_get_double(dh) == 0.5);
	assert_true(tf_value_get_double(t01) == 0.1);
	assert_true(isinf(tf_value_get_double(big)));
	assert_true(isnan(tf_value_get_double(NULL)));
	/* the double 0.1 keeps its exact expansion */
	assert_string_equal(
		tf_value_number_text(d01),
		"0.1000000000000000055511151231257827021181583404541015625");
	assert_string_equal(tf_value_number_text(inf), "+Inf");
	/* ...which reads back as the same double */
	{
		tf_value *back = tf_value_decimal(tf_value_number_text(d01));

		assert_true(tf_value_equal(back, d01));
		tf_value_unref(back);
	}
	tf_value_unref(i5);
	tf_value_unref(d5);
	tf_value_unref(t5);
	tf_value_unref(dh);
	tf_value_unref(th);
	tf_value_unref(d01);
	tf_value_unref(t01);
	tf_value_unref(big);
	tf_value_unref(big2);
	tf_value_unref(inf);
}

static void test_value_int_extremes(void **state)
{
	tf_value *mn = tf_value_int(INT64_MIN), *mx = tf_value_int(INT64_MAX);
	tf_value *d = tf_value_double(-9223372036854775808.0);
	tf_value *d2 = tf_value_double(9223372036854775808.0);
	int64_t n;

	(void)state;
	assert_string_equal(tf_value_number_text(mn), "-9223372036854775808");
	assert_true(tf_value_equal(mn, d));
	assert_int_equal(tf_value_get_int(mx, &n), TF_OK);
	assert_true(n == INT64_MAX);
	/* 2^63 is a double, not an int */
	assert_int_not_equal(tf_value_get_int(d2, &n), TF_OK);
	assert_string_equal(tf_value_number_text(d2), "9223372036854775808");
	tf_value_unref(mn);
	tf_value_unref(mx);
	tf_value_unref(d);
	tf_value_unref(d2);
}

static void test_value_list_builder(void **state)
{
	tf_type *lt = tf_type_list(tf_type_string());
	tf_value *l = tf_value_list_new(lt), *wrong = tf_value_list_new(lt);

	(void)state;
	assert_int_equal(tf_value_len(l), 0);
	assert_int_equal(tf_value_list_append(l, tf_value_string("b")), TF_OK);
	assert_int_equal(tf_value_list_append(l, tf_value_string("a")), TF_OK);
	assert_int_equal(tf_value_list_append(l,
					      tf_value_null(tf_type_string())),
			 TF_OK);
	assert_int_equal(tf_value_list_append(l, tf_value_string("a")), TF_OK);
	/* wrong element type: consumed, TF_E_TYPE */
	assert_int_equal(tf_value_list_append(l, tf_value_int(1)), TF_E_TYPE);
	assert_int_equal(tf_value_len(l), 4);
	assert_string_equal(tf_value_get_string(tf_value_index(l, 0)), "b");
	assert_null(tf_value_index(l, 4));
	assert_true(tf_value_is_wholly_known(l));
	assert_int_equal(tf_value_list_append(l, tf_value_unknown(
							 tf_type_string())),
			 TF_OK);
	assert_false(tf_value_is_wholly_known(l));
	assert_debug(l, "[\"b\", \"a\", null, \"a\", (known after apply)]");
	/* not a list */
	assert_int_equal(tf_value_map_set(wrong, "k", tf_value_string("x")),
			 TF_E_TYPE);
	assert_null(tf_value_list_new(tf_type_string()));
	tf_value_unref(wrong);
	tf_value_unref(l);
	tf_type_unref(lt);
}

static void test_value_set_semantics(void **state)
{
	tf_type *st = tf_type_set(tf_type_number());
	tf_value *a = tf_value_set_new(st), *b = tf_value_set_new(st), *c;
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(tf_value_list_append(a, tf_value_int(i)),
				 TF_OK);
	for (i = 3; i >= 0; i--)
		assert_int_equal(tf_value_list_append(b, tf_value_int(i)),
				 TF_OK);
	/* order of insertion does not matter */
	assert_true(tf_value_equal(a, b));
	/* duplicates merge (also numerically equal ones) */
	assert_int_equal(tf_value_list_append(a, tf_value_decimal("2.0")),
			 TF_OK);
	assert_int_equal(tf_value_len(a), 4);
	assert_true(tf_value_equal(a, b));
	/* unknown elements are never merged */
	assert_int_equal(tf_value_list_append(a, tf_value_unknown(
							 tf_type_number())),
			 TF_OK);
	assert_int_equal(tf_value_list_append(a, tf_value_unknown(
							 tf_type_number())),
			 TF_OK);
	assert_int_equal(tf_value_len(a), 6);
	assert_false(tf_value_equal(a, b));
	c = tf_value_set_new(st);
	assert_int_equal(tf_value_list_append(c, tf_value_int(9)), TF_OK);
	assert_false(tf_value_equal(b, c));
	assert_debug(b, "toset([0, 1, 2, 3])");
	tf_value_unref(a);
	tf_value_unref(b);
	tf_value_unref(c);
	tf_type_unref(st);
}

static void test_value_nested_sets(void **state)
{
	tf_type *inner = tf_type_set(tf_type_string());
	tf_type *outer = tf_type_set(inner);
	tf_value *x = tf_value_set_new(outer), *y = tf_value_set_new(outer);
	const char *sets[3][2] = { { "a", "b" }, { "c", "d" }, { "e", "f" } };
	int i, j;

	(void)state;
	for (i = 0; i < 3; i++) {
		tf_value *sx = tf_value_set_new(inner),
			 *sy = tf_value_set_new(inner);

		for (j = 0; j < 2; j++) {
			tf_value_list_append(sx, tf_value_string(sets[i][j]));
			tf_value_list_append(sy, tf_value_string(
							 sets[2 - i][1 - j]));
		}
		assert_int_equal(tf_value_list_append(x, sx), TF_OK);
		assert_int_equal(tf_value_list_append(y, sy), TF_OK);
	}
	assert_true(tf_value_equal(x, y));
	tf_value_unref(x);
	tf_value_unref(y);
	tf_type_unref(outer);
	tf_type_unref(inner);
}

static void test_value_map_builder(void **state)
{
	tf_type *mt = tf_type_map(tf_type_number());
	tf_value *m = tf_value_map_new(mt), *m2 = tf_value_map_new(mt);

	(void)state;
	assert_int_equal(tf_value_map_set(m, "zeta", tf_value_int(1)), TF_OK);
	assert_int_equal(tf_value_map_set(m, "alpha", tf_value_int(2)), TF_OK);
	assert_int_equal(tf_value_map_set(m, "mid", tf_value_int(3)), TF_OK);
	assert_int_equal(tf_value_map_set(m, "mid", tf_value_int(4)),
			 TF_OK); /* replaces */
	assert_int_equal(tf_value_map_set(m, "x", tf_value_string("no")),
			 TF_E_TYPE);
	assert_int_equal(tf_value_map_set(m, NULL, tf_value_int(1)),
			 TF_E_INVALID);
	assert_int_equal(tf_value_len(m), 3);
	assert_string_equal(tf_value_map_key(m, 0), "alpha");
	assert_string_equal(tf_value_map_key(m, 2), "zeta");
	assert_string_equal(tf_value_number_text(tf_value_map_get(m, "mid")),
			    "4");
	assert_string_equal(tf_value_number_text(tf_value_map_value(m, 0)),
			    "2");
	assert_null(tf_value_map_get(m, "nope"));
	assert_null(tf_value_map_key(m, 3));
	assert_debug(m, "{ \"alpha\" = 2, \"mid\" = 4, \"zeta\" = 1 }");
	assert_int_equal(tf_value_map_set(m2, "mid", tf_value_int(4)), TF_OK);
	assert_int_equal(tf_value_map_set(m2, "zeta", tf_value_decimal("1.0")),
			 TF_OK);
	assert_int_equal(tf_value_map_set(m2, "alpha", tf_value_int(2)), TF_OK);
	assert_true(tf_value_equal(m, m2));
	tf_value_unref(m);
	tf_value_unref(m2);
	tf_type_unref(mt);
}

static void test_value_object_builder(void **state)
{
	tf_type *t = parse(
		"[\"object\",{\"name\":\"string\",\"size\":\"number\","
		"\"tags\":[\"list\",\"string\"]}]");
	tf_value *o = tf_value_object_new(t);

	(void)state;
	assert_int_equal(tf_value_len(o), 3);
	assert_true(tf_value_is_null(tf_value_attr(o, "name")));
	assert_int_equal(tf_value_object_set(o, "name", tf_value_string("web")),
			 TF_OK);
	assert_int_equal(tf_value_object_set(o, "size", tf_value_int(3)),
			 TF_OK);
	assert_int_equal(tf_value_object_set(o, "nope", tf_value_int(3)),
			 TF_E_NOTFOUND);
	assert_int_equal(tf_value_object_set(o, "size", tf_value_string("3")),
			 TF_E_TYPE);
	assert_string_equal(tf_value_attr_string(o, "name"), "web");
	assert_null(tf_value_attr_string(o, "size"));
	assert_null(tf_value_attr_string(o, "tags"));
	assert_null(tf_value_attr(o, "nope"));
	assert_string_equal(tf_value_get_string(tf_value_index(o, 0)), "web");
	assert_debug(o, "{ name = \"web\", size = 3, tags = null }");
	assert_int_equal(tf_value_object_set(o, "tags",
					     tf_value_unknown(
						     tf_type_attr_type(t, 2))),
			 TF_OK);
	assert_false(tf_value_is_wholly_known(o));
	assert_int_equal(tf_value_object_set(o, "tags",
					     tf_value_null(
						     tf_type_attr_type(t, 2))),
			 TF_OK);
	assert_true(tf_value_is_wholly_known(o));
	assert_true(tf_value_conforms(o, t));
	tf_value_unref(o);
	tf_type_unref(t);
}

static void test_value_tuple_builder(void **state)
{
	tf_type *t = parse("[\"tuple\",[\"string\",\"bool\"]]");
	tf_value *v = tf_value_tuple_new(t);

	(void)state;
	assert_int_equal(tf_value_len(v), 2);
	assert_int_equal(tf_value_tuple_set(v, 0, tf_value_string("x")), TF_OK);
	assert_int_equal(tf_value_tuple_set(v, 1, tf_value_string("x")),
			 TF_E_TYPE);
	assert_int_equal(tf_value_tuple_set(v, 2, tf_value_bool(true)),
			 TF_E_INVALID);
	assert_debug(v, "[\"x\", null]");
	tf_value_unref(v);
	tf_type_unref(t);
}

static void test_value_mut_and_sharing(void **state)
{
	tf_type *t = parse("[\"object\",{\"a\":\"string\"}]");
	tf_value *o = tf_value_object_new(t), *shared, *copy;

	(void)state;
	assert_int_equal(tf_value_object_set(o, "a", tf_value_string("one")),
			 TF_OK);
	shared = tf_value_ref(o);
	copy = tf_value_mut(shared); /* releases our extra reference */
	assert_ptr_not_equal(copy, o);
	assert_int_equal(tf_value_object_set(copy, "a", tf_value_string("two")),
			 TF_OK);
	assert_string_equal(tf_value_attr_string(o, "a"), "one");
	assert_string_equal(tf_value_attr_string(copy, "a"), "two");
	/* sole owner: mut returns the same value */
	assert_ptr_equal(tf_value_mut(copy), copy);
	tf_value_unref(copy);
	tf_value_unref(o);
	tf_type_unref(t);
}

static void test_value_builder_aborts_when_shared(void **state)
{
	tf_type *lt = tf_type_list(tf_type_string());
	tf_value *l = tf_value_list_new(lt);
	pid_t pid;
	int status = 0;

	(void)state;
	tf_value_ref(l);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* child: a builder on a shared value must abort */
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			dup2(fd, 2);
		tf_value_list_append(l, tf_value_string("x"));
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	tf_value_unref(l);
	tf_value_unref(l);
	tf_type_unref(lt);
}

static void test_value_refinements(void **state)
{
	tf_value *lo = tf_value_int(1), *hi = tf_value_decimal("9.5");
	tf_refinement r = {
		.has_nullness = true,
		.not_null = true,
		.prefix = (char *)"pre-",
		.lower = lo,
		.lower_inclusive = true,
		.upper = hi,
		.has_len_min = true,
		.len_min = 2,
	};
	tf_refinement empty = { 0 };
	tf_value *s = tf_value_unknown_refined(tf_type_string(), &r);
	tf_value *n = tf_value_unknown_refined(tf_type_number(), &r);
	tf_type *lt = tf_type_list(tf_type_string());
	tf_value *l = tf_value_unknown_refined(lt, &r);
	tf_value *p = tf_value_unknown_refined(tf_type_string(), &empty);
	tf_value *u = tf_value_unknown(tf_type_string());
	const tf_refinement *g;

	(void)state;
	tf_value_unref(lo);
	tf_value_unref(hi);
	/* string: nullness + prefix (deep copy), no bounds */
	g = tf_value_refinement(s);
	assert_non_null(g);
	assert_true(g->not_null);
	assert_string_equal(g->prefix, "pre-");
	assert_ptr_not_equal(g->prefix, r.prefix);
	assert_null(g->lower);
	assert_false(g->has_len_min);
	/* number: bounds, no prefix */
	g = tf_value_refinement(n);
	assert_null(g->prefix);
	assert_string_equal(tf_value_number_text(g->lower), "1");
	assert_string_equal(tf_value_number_text(g->upper), "9.5");
	assert_true(g->lower_inclusive);
	assert_false(g->upper_inclusive);
	/* list: length */
	g = tf_value_refinement(l);
	assert_true(g->has_len_min && g->len_min == 2);
	assert_null(g->prefix);
	/* no information: plain */
	assert_null(tf_value_refinement(p));
	/* refinements are ignored by equality */
	assert_true(tf_value_equal(s, u));
	assert_true(tf_value_equal(p, u));
	assert_false(tf_value_equal(s, n));
	tf_value_unref(s);
	tf_value_unref(n);
	tf_value_unref(l);
	tf_value_unref(p);
	tf_value_unref(u);
	tf_type_unref(lt);
}

static void test_value_conforms(void **state)
{
	tf_type *ls = tf_type_list(tf_type_string()),
		*ld = tf_type_list(tf_type_dynamic());
	tf_type *ln = tf_type_list(tf_type_number());
	tf_value *dl = tf_value_list_new(ld), *s = tf_value_string("x");
	tf_value *un = tf_value_unknown(tf_type_dynamic()),
		 *nl = tf_value_null(ld);

	(void)state;
	assert_true(tf_value_conforms(s, tf_type_string()));
	assert_true(tf_value_conforms(s, tf_type_dynamic()));
	assert_false(tf_value_conforms(s, tf_type_number()));
	/* elements of a dynamic-element list may be anything... */
	assert_int_equal(tf_value_list_append(dl, tf_value_string("a")), TF_OK);
	assert_int_equal(tf_value_list_append(dl, tf_value_string("b")), TF_OK);
	/* ...and the list conforms to list(string) by content */
	assert_true(tf_value_conforms(dl, ls));
	assert_false(tf_value_conforms(dl, ln));
	assert_int_equal(tf_value_list_append(dl, tf_value_int(1)), TF_OK);
	assert_false(tf_value_conforms(dl, ls));
	/* unknown of dynamic type / null list(dynamic) conform to anything of
	 * the right shape */
	assert_true(tf_value_conforms(un, ls));
	assert_true(tf_value_conforms(nl, ls));
	assert_false(tf_value_conforms(nl, tf_type_string()));
	assert_false(tf_value_conforms(NULL, ls));
	tf_value_unref(dl);
	tf_value_unref(s);
	tf_value_unref(un);
	tf_value_unref(nl);
	tf_type_unref(ls);
	tf_type_unref(ld);
	tf_type_unref(ln);
}

static void test_value_equal_deep(void **state)
{
	tf_type *t = parse(
		"[\"object\",{\"l\":[\"list\",[\"map\",\"string\"]],\"n\":\"number\"}]");
	tf_value *a = tf_value_object_new(t), *b = tf_value_object_new(t);
	tf_type *lt = tf_type_attr_type(t, 0);
	tf_value *la = tf_value_list_new(lt), *lb = tf_value_list_new(lt);
	tf_value *ma = tf_value_map_new(tf_type_elem(lt)),
		 *mb = tf_value_map_new(tf_type_elem(lt));

	(void)state;
	tf_value_map_set(ma, "k", tf_value_string("v"));
	tf_value_map_set(mb, "k", tf_value_string("v"));
	tf_value_list_append(la, ma);
	tf_value_list_append(lb, mb);
	tf_value_object_set(a, "l", la);
	tf_value_object_set(b, "l", lb);
	tf_value_object_set(a, "n", tf_value_double(2.5));
	tf_value_object_set(b, "n", tf_value_decimal("2.50"));
	assert_true(tf_value_equal(a, b));
	assert_true(tf_value_equal(a, a));
	assert_false(tf_value_equal(a, NULL));
	assert_true(tf_value_equal(NULL, NULL));
	b = tf_value_mut(b);
	tf_value_object_set(b, "n", tf_value_int(2));
	assert_false(tf_value_equal(a, b));
	tf_value_unref(a);
	tf_value_unref(b);
	tf_type_unref(t);
}

static void test_value_debug_escapes(void **state)
{
	tf_value *s = tf_value_string_n("a\"b\\c\n\x01", 7);

	(void)state;
	assert_debug(s, "\"a\\\"b\\\\c\\n\\u0001\"");
	tf_value_unref(s);
	{
		char *d = tf_value_debug_string(NULL);

		assert_non_null(d);
		free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_primitives),
		cmocka_unit_test(test_value_null_unknown),
		cmocka_unit_test(test_value_numbers_text),
		cmocka_unit_test(test_value_numbers_invalid),
		cmocka_unit_test(test_value_numbers_exact),
		cmocka_unit_test(test_value_int_extremes),
		cmocka_unit_test(test_value_list_builder),
		cmocka_unit_test(test_value_set_semantics),
		cmocka_unit_test(test_value_nested_sets),
		cmocka_unit_test(test_value_map_builder),
		cmocka_unit_test(test_value_object_builder),
		cmocka_unit_test(test_value_tuple_builder),
		cmocka_unit_test(test_value_mut_and_sharing),
		cmocka_unit_test(test_value_builder_aborts_when_shared),
		cmocka_unit_test(test_value_refinements),
		cmocka_unit_test(test_value_conforms),
		cmocka_unit_test(test_value_equal_deep),
		cmocka_unit_test(test_value_debug_escapes),
	};

	return cmocka_run_group_tests_name("value", tests, NULL, NULL);
}
