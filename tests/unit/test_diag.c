/* Unit tests for schema/diag.c: attribute paths and the diagnostics
 * accumulator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema/diag.h"
#include "schema/tf_err.h"

static void assert_path(const tf_path *p, const char *want)
{
	char *s = tf_path_to_string(p);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_diag_path_render(void **state)
{
	tf_path p = { 0 };

	(void)state;
	assert_path(&p, "");
	assert_int_equal(tf_path_push_attr(&p, "config"), TF_OK);
	assert_int_equal(tf_path_push_key(&p, "source"), TF_OK);
	assert_path(&p, "config[\"source\"]");
	tf_path_pop(&p);
	tf_path_pop(&p);
	assert_int_equal(p.n, 0);
	tf_path_pop(&p); /* popping an empty path is harmless */
	assert_int_equal(tf_path_push_attr(&p, "members"), TF_OK);
	assert_int_equal(tf_path_push_index(&p, 0), TF_OK);
	assert_int_equal(tf_path_push_attr(&p, "name"), TF_OK);
	assert_path(&p, "members[0].name");
	assert_int_equal(tf_path_push_key(&p, "we\"ird\\"), TF_OK);
	assert_int_equal(tf_path_push_index(&p, -3), TF_OK);
	assert_path(&p, "members[0].name[\"we\\\"ird\\\\\"][-3]");
	assert_int_equal(tf_path_push_attr(&p, NULL), TF_E_INVALID);
	assert_int_equal(tf_path_push_key(&p, NULL), TF_E_INVALID);
	tf_path_done(&p);
	assert_null(p.steps);
	assert_int_equal(p.n, 0);
	tf_path_done(&p);
	tf_path_done(NULL);
}

static void test_diag_path_copy_equal(void **state)
{
	tf_path a = { 0 }, b = { 0 }, c = { 0 }, e = { 0 };

	(void)state;
	tf_path_push_attr(&a, "devices");
	tf_path_push_key(&a, "eth0");
	tf_path_push_index(&a, 2);
	assert_int_equal(tf_path_copy(&b, &a), TF_OK);
	assert_true(tf_path_equal(&a, &b));
	assert_ptr_not_equal(a.steps[0].name, b.steps[0].name);
	tf_path_push_attr(&c, "devices");
	tf_path_push_attr(&c, "eth0"); /* attr vs key differ */
	tf_path_push_index(&c, 2);
	assert_false(tf_path_equal(&a, &c));
	tf_path_pop(&b);
	assert_false(tf_path_equal(&a, &b));
	tf_path_push_index(&b, 3);
	assert_false(tf_path_equal(&a, &b));
	assert_true(tf_path_equal(&e, NULL));
	assert_int_equal(tf_path_copy(&e, NULL), TF_OK);
	assert_int_equal(e.n, 0);
	tf_path_done(&a);
	tf_path_done(&b);
	tf_path_done(&c);
}

static void test_diag_add_and_has_error(void **state)
{
	tf_diags d = TF_DIAGS_INIT;
	tf_path p = { 0 };

	(void)state;
	assert_false(tf_diags_has_error(&d));
	tf_diags_warn(&d, NULL, "Deprecated attribute", "Use %s instead",
		      "\"size\"");
	assert_false(tf_diags_has_error(&d));
	tf_path_push_attr(&p, "name");
	tf_diags_error(&d, &p, "Invalid name",
		       "The name %s is %d characters long", "x", 1);
	tf_path_done(&p); /* the diagnostic holds its own copy */
	assert_true(tf_diags_has_error(&d));
	assert_int_equal(d.n, 2);
	assert_int_equal(d.items[0].severity, TF_DIAG_WARNING);
	assert_string_equal(d.items[0].detail, "Use \"size\" instead");
	assert_int_equal(d.items[0].path.n, 0);
	assert_string_equal(d.items[1].summary, "Invalid name");
	assert_string_equal(d.items[1].detail,
			    "The name x is 1 characters long");
	assert_int_equal(d.items[1].path.n, 1);
	assert_string_equal(d.items[1].path.steps[0].name, "name");
	tf_diags_add(&d, TF_DIAG_ERROR, NULL, "Empty detail", "%s", "");
	assert_string_equal(d.items[2].detail, "");
	tf_diags_done(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.items);
	tf_diags_done(&d);
}

static void test_diag_attr_error(void **state)
{
	tf_diags d = TF_DIAGS_INIT;
	char *s;

	(void)state;
	tf_diags_attr_error(&d, "image", "Missing image", "Set %s.", "image");
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].severity, TF_DIAG_ERROR);
	s = tf_path_to_string(&d.items[0].path);
	assert_string_equal(s, "image");
	free(s);
	tf_diags_done(&d);
}

static void test_diag_many(void **state)
{
	tf_diags d = TF_DIAGS_INIT;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		tf_diags_warn(&d, NULL, "Warning", "number %d", i);
	assert_int_equal(d.n, 1000);
	assert_string_equal(d.items[999].detail, "number 999");
	assert_false(tf_diags_has_error(&d));
	tf_diags_done(&d);
}

static void test_diag_move(void **state)
{
	tf_diags a = TF_DIAGS_INIT, b = TF_DIAGS_INIT;

	(void)state;
	tf_diags_warn(&a, NULL, "A1", "a");
	tf_diags_error(&b, NULL, "B1", "b");
	tf_diags_warn(&b, NULL, "B2", "b");
	tf_diags_move(&a, &b);
	assert_int_equal(a.n, 3);
	assert_int_equal(b.n, 0);
	assert_null(b.items);
	assert_string_equal(a.items[1].summary, "B1");
	assert_string_equal(a.items[2].summary, "B2");
	assert_true(tf_diags_has_error(&a));
	assert_false(tf_diags_has_error(&b));
	tf_diags_move(&a, &b); /* moving nothing */
	tf_diags_move(&a, &a); /* self-move is a no-op */
	assert_int_equal(a.n, 3);
	tf_diags_done(&a);
	tf_diags_done(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diag_path_render),
		cmocka_unit_test(test_diag_path_copy_equal),
		cmocka_unit_test(test_diag_add_and_has_error),
		cmocka_unit_test(test_diag_attr_error),
		cmocka_unit_test(test_diag_many),
		cmocka_unit_test(test_diag_move),
	};

	return cmocka_run_group_tests_name("diag", tests, NULL, NULL);
}
