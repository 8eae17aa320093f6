/* Unit tests for provider/lxd/lxd_name.c: the LXD object name rule. Its use
 * in a schema table (path and summary through tf_schema_validate) is
 * checked by tests/unit/test_schema.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/lxd/lxd_name.h"
#include "schema/schema.h"
#include "schema/tf_err.h"
#include "schema/value.h"

/* Run validator `fn` on `v` (taken) at path "attr"; the first
 * diagnostic's detail goes to `detail`. Returns the number of diagnostics. */
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

static void test_lxd_validate_name(void **state)
{
	static const char *const good[] = {
		"default",
		"pool1",
		"my-pool",
		"my_pool",
		"lxdbr0",
		"a",
		"0abc",
		"Pool.V2",
		"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123",
	};
	static const struct {
		const char *name, *why;
	} bad[] = {
		{ "", "must not be empty" },
		{ "-pool", "must start with an ASCII letter or digit" },
		{ ".", "must start with" },
		{ "..", "must start with" },
		{ ".hidden", "must start with" },
		{ "a/b", "must not contain '/'" },
		{ "a b", "must not contain whitespace" },
		{ "tab\there", "must not contain whitespace" },
		{ "caf\xc3\xa9", "may contain only ASCII letters" },
		{ "semi;colon", "may contain only ASCII letters" },
		{ "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234",
		  "at most 63 characters" },
	};
	char detail[512];

	(void)state;
	for (size_t i = 0; i < TF_COUNT(good); i++) {
		if (run_validator(lxd_validate_name, NULL,
				  tf_value_string(good[i]), detail,
				  sizeof(detail)) != 0) {
			print_error("\"%s\" rejected: %s\n", good[i], detail);
			fail();
		}
	}
	for (size_t i = 0; i < TF_COUNT(bad); i++) {
		if (run_validator(lxd_validate_name, NULL,
				  tf_value_string(bad[i].name), detail,
				  sizeof(detail)) != 1 ||
		    !strstr(detail, bad[i].why)) {
			print_error("\"%s\": got \"%s\", want \"%s\"\n",
				    bad[i].name, detail, bad[i].why);
			fail();
		}
		assert_non_null(strstr(detail, "not a valid name for attr"));
	}
	/* Embedded NUL is caught through the length. */
	assert_int_equal(run_validator(lxd_validate_name, NULL,
				       tf_value_string_n("ab\0c", 4), NULL, 0),
			 1);
	/* Non-strings are ignored. */
	assert_int_equal(run_validator(lxd_validate_name, NULL, tf_value_int(1),
				       NULL, 0),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lxd_validate_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
