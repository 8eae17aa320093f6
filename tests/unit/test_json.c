/* Unit tests for schema/json.c: state decoding (strict and lenient),
 * full-precision numbers, dynamic values, conversions, encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema/codec.h"
#include "schema/tf_err.h"
#include "schema/type.h"
#include "schema/value.h"

static tf_type *parse(const char *json)
{
	tf_type *t = NULL;

	assert_int_equal(tf_type_from_json(json, strlen(json), &t), TF_OK);
	return t;
}

static int dec(const char *type_json, const char *json, int lenient,
	       tf_value **out, char *err, size_t errlen)
{
	tf_type *t = parse(type_json);
	int rc = tf_json_decode(json, strlen(json), t, lenient, out, err,
				errlen);

	tf_type_unref(t);
	return rc;
}

static char *enc(const tf_value *v)
{
	char *s = NULL;
	size_t len = 0;

	assert_int_equal(tf_json_encode(v, &s, &len), TF_OK);
	assert_int_equal(strlen(s), len);
	return s;
}

static void assert_debug(const tf_value *v, const char *want)
{
	char *s = tf_value_debug_string(v);

	assert_string_equal(s, want);
	free(s);
}

#define STATE_T                                                                \
	"[\"object\",{\"id\":\"string\",\"size\":\"number\",\"on\":\"bool\","  \
	"\"tags\":[\"map\",\"string\"],\"ports\":[\"set\",\"number\"],"        \
	"\"dev\":[\"list\",[\"object\",{\"name\":\"string\",\"mtu\":\"number\"}]]}]"

static void test_json_state_strict(void **state)
{
	const char *in =
		"{\"id\":\"c1\",\"size\":3,\"on\":true,\"tags\":{\"b\":\"2\",\"a\":\"1\"},"
		"\"ports\":[443,80,443],\"dev\":[{\"name\":\"eth0\",\"mtu\":1500}]}";
	tf_value *v = NULL;
	char err[256], *out;

	(void)state;
	assert_int_equal(dec(STATE_T, in, 0, &v, err, sizeof(err)), TF_OK);
	assert_debug(
		v,
		"{ dev = [{ mtu = 1500, name = \"eth0\" }], id = \"c1\", on = true, "
		"ports = toset([80, 443]), size = 3, tags = { \"a\" = \"1\", \"b\" = \"2\" } }");
	out = enc(v);
	assert_string_equal(
		out,
		"{\"dev\":[{\"mtu\":1500,\"name\":\"eth0\"}],\"id\":\"c1\","
		"\"on\":true,\"ports\":[80,443],\"size\":3,"
		"\"tags\":{\"a\":\"1\",\"b\":\"2\"}}");
	free(out);
	tf_value_unref(v);
}

static void test_json_state_lenient(void **state)
{
	/* "gone" was removed from the schema, "on"/"dev"/... were added */
	const char *in =
		"{\n  \"id\": \"c1\",\n  \"gone\": {\"deep\": [1, 2]},\n"
		"  \"size\": 2,\n  \"dev\": [{\"name\": \"eth0\", \"old\": 1}]\n}";
	tf_value *v = NULL;
	char err[256];

	(void)state;
	assert_int_equal(dec(STATE_T, in, 1, &v, err, sizeof(err)), TF_OK);
	assert_debug(
		v,
		"{ dev = [{ mtu = null, name = \"eth0\" }], id = \"c1\", on = null, "
		"ports = null, size = 2, tags = null }");
	tf_value_unref(v);
	/* the same input is an error when strict */
	assert_int_equal(dec(STATE_T, in, 0, &v, err, sizeof(err)),
			 TF_E_INVALID);
	assert_non_null(strstr(err, "unsupported attribute \"gone\""));
	assert_int_equal(dec(STATE_T, "{\"id\":\"x\"}", 0, &v, err,
			     sizeof(err)),
			 TF_E_INVALID);
	assert_non_null(strstr(err, "missing attribute"));
	/* an empty object is fine when lenient */
	assert_int_equal(dec(STATE_T, "{}", 1, &v, err, sizeof(err)), TF_OK);
	assert_true(tf_value_is_known(v));
	tf_value_unref(v);
}

static void test_json_numbers_precision(void **state)
{
	static const struct {
		const char *in, *text;
	} cases[] = {
		{ "0", "0" },
		{ "-0", "0" },
		{ "42", "42" },
		{ "1.0", "1" },
		{ "0.1", "0.1" },
		{ "1E2", "100" },
		{ "9223372036854775807", "9223372036854775807" },
		{ "9223372036854775808", "9223372036854775808" },
		{ "123456789012345678901234567890",
		  "123456789012345678901234567890" },
		{ "0.30000000000000000000000000001",
		  "0.30000000000000000000000000001" },
		{ "1e400", "1e+400" },
		{ "-1.5e-400", "-1.5e-400" },
		{ "\"7\"", "7" }, /* string for a number */
		{ "\"1e400\"", "1e+400" },
	};
	tf_value *v = NULL;
	size_t i;
	char *out;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[128];

		if (dec("\"number\"", cases[i].in, 0, &v, err, sizeof(err)))
			fail_msg("%s: %s", cases[i].in, err);
		assert_string_equal(tf_value_number_text(v), cases[i].text);
		out = enc(v);
		assert_string_equal(out, cases[i].text);
		free(out);
		tf_value_unref(v);
	}
}

static void test_json_numbers_invalid(void **state)
{
	static const char *bad[] = { "01",       "1.",        ".5",
				     "+1",       "1e",        "-",
				     "1.2.3",    "0x1",       "NaN",
				     "Infinity", "-Infinity", "1e+",
				     "\"abc\"",  "true",      "[1]",
				     "--1",      "\"Inf\"",   "\"-infinity\"" };
	tf_value *v = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dec("\"number\"", bad[i], 0, &v, NULL, 0) != TF_E_INVALID)
			fail_msg("accepted %s", bad[i]);
}

static void test_json_conversions(void **state)
{
	tf_value *v = NULL;

	(void)state;
	assert_int_equal(dec("\"bool\"", "\"true\"", 0, &v, NULL, 0), TF_OK);
	assert_true(tf_value_get_bool(v));
	tf_value_unref(v);
	assert_int_equal(dec("\"bool\"", "\"false\"", 0, &v, NULL, 0), TF_OK);
	assert_false(tf_value_get_bool(v));
	tf_value_unref(v);
	assert_int_equal(dec("\"bool\"", "\"yes\"", 0, &v, NULL, 0),
			 TF_E_INVALID);
	assert_int_equal(dec("\"bool\"", "1", 0, &v, NULL, 0), TF_E_INVALID);
	/* numbers and bools as strings keep their source text */
	assert_int_equal(dec("\"string\"", "1.50", 0, &v, NULL, 0), TF_OK);
	assert_string_equal(tf_value_get_string(v), "1.50");
	tf_value_unref(v);
	assert_int_equal(dec("\"string\"", "false", 0, &v, NULL, 0), TF_OK);
	assert_string_equal(tf_value_get_string(v), "false");
	tf_value_unref(v);
	assert_int_equal(dec("\"string\"", "[]", 0, &v, NULL, 0), TF_E_INVALID);
	assert_int_equal(dec("\"string\"", "01", 0, &v, NULL, 0), TF_E_INVALID);
}

static void test_json_strings(void **state)
{
	tf_value *v = NULL;
	char *out;

	(void)state;
	assert_int_equal(dec("\"string\"",
			     "\"a\\u0000b\\n\\\"\\u00e9\\ud83d\\ude00\"", 0, &v,
			     NULL, 0),
			 TF_OK);
	assert_int_equal(tf_value_string_len(v), 11);
	out = enc(v);
	assert_string_equal(out,
			    "\"a\\u0000b\\n\\\"\xc3\xa9\xf0\x9f\x98\x80\"");
	free(out);
	tf_value_unref(v);
	/* lone surrogate, raw control character, bad UTF-8 */
	assert_int_equal(dec("\"string\"", "\"\\ud800\"", 0, &v, NULL, 0),
			 TF_E_INVALID);
	assert_int_equal(dec("\"string\"", "\"a\x01\"", 0, &v, NULL, 0),
			 TF_E_INVALID);
	assert_int_equal(dec("\"string\"", "\"\xff\"", 0, &v, NULL, 0),
			 TF_E_INVALID);
	/* strings that look like the rewrite's tags are plain strings */
	assert_int_equal(dec("[\"list\",\"string\"]", "[\"n1\",\"s\",\"\"]", 0,
			     &v, NULL, 0),
			 TF_OK);
	assert_debug(v, "[\"n1\", \"s\", \"\"]");
	tf_value_unref(v);
}

static void test_json_dynamic(void **state)
{
	const char *t = "[\"object\",{\"d\":\"dynamic\",\"e\":\"dynamic\"}]";
	const char *in =
		"{\"d\":{\"type\":[\"object\",{\"a\":[\"list\",\"number\"]}],"
		"\"value\":{\"a\":[1,2.5]}},\"e\":null}";
	tf_value *v = NULL, *back = NULL;
	tf_type *ty;
	char *out;

	(void)state;
	assert_int_equal(dec(t, in, 0, &v, NULL, 0), TF_OK);
	assert_debug(v, "{ d = { a = [1, 2.5] }, e = null }");
	assert_int_equal(tf_type_kind_of(tf_value_type(tf_value_attr(v, "d"))),
			 TF_T_OBJECT);
	assert_int_equal(tf_type_kind_of(tf_value_type(tf_value_attr(v, "e"))),
			 TF_T_DYNAMIC);
	out = enc(v);
	assert_string_equal(
		out,
		"{\"d\":{\"value\":{\"a\":[1,2.5]},"
		"\"type\":[\"object\",{\"a\":[\"list\",\"number\"]}]},\"e\":null}");
	ty = parse(t);
	assert_int_equal(tf_json_decode(out, strlen(out), ty, 0, &back, NULL,
					0),
			 TF_OK);
	assert_true(tf_value_equal(v, back));
	free(out);
	tf_value_unref(back);
	tf_value_unref(v);
	tf_type_unref(ty);
	/* malformed wrappers */
	assert_int_equal(dec("\"dynamic\"", "\"x\"", 0, &v, NULL, 0),
			 TF_E_INVALID);
	assert_int_equal(dec("\"dynamic\"", "{\"value\":1}", 0, &v, NULL, 0),
			 TF_E_INVALID);
	assert_int_equal(dec("\"dynamic\"",
			     "{\"value\":1,\"type\":\"number\",\"x\":1}", 0, &v,
			     NULL, 0),
			 TF_E_INVALID);
	assert_int_equal(dec("\"dynamic\"", "{\"value\":1,\"type\":\"nope\"}",
			     0, &v, NULL, 0),
			 TF_E_INVALID);
	assert_int_equal(dec("\"dynamic\"",
			     "{\"value\":\"x\",\"type\":\"number\"}", 0, &v,
			     NULL, 0),
			 TF_E_INVALID);
	/* a number where the type JSON wants a string */
	assert_int_equal(dec("\"dynamic\"",
			     "{\"value\":1,\"type\":[\"list\",1]}", 0, &v, NULL,
			     0),
			 TF_E_INVALID);
}

static void test_json_collections(void **state)
{
	tf_value *v = NULL;
	char err[128];

	(void)state;
	assert_int_equal(dec("[\"tuple\",[\"string\",\"number\"]]", "[\"a\",1]",
			     0, &v, NULL, 0),
			 TF_OK);
	tf_value_unref(v);
	assert_int_equal(dec("[\"tuple\",[\"string\",\"number\"]]", "[\"a\"]",
			     0, &v, err, sizeof(err)),
			 TF_E_INVALID);
	assert_int_equal(dec("[\"set\",\"string\"]", "[\"b\",\"a\",\"b\"]", 0,
			     &v, NULL, 0),
			 TF_OK);
	assert_debug(v, "toset([\"a\", \"b\"])");
	tf_value_unref(v);
	assert_int_equal(dec("[\"map\",\"number\"]", "{\"a\":1,\"a\":2}", 0, &v,
			     NULL, 0),
			 TF_E_INVALID); /* duplicate keys */
	assert_int_equal(dec("[\"list\",\"number\"]", "{}", 0, &v, err,
			     sizeof(err)),
			 TF_E_INVALID);
	assert_string_equal(err, "expected list, got object");
	assert_int_equal(dec("[\"list\",[\"object\",{\"a\":\"bool\"}]]",
			     "[{\"a\":true},{\"a\":3}]", 0, &v, err,
			     sizeof(err)),
			 TF_E_INVALID);
	assert_string_equal(err,
			    "attribute \"[1].a\": expected bool, got number");
}

static void test_json_malformed(void **state)
{
	static const char *bad[] = { "",
				     " ",
				     "{",
				     "[1,]",
				     "{\"id\":}",
				     "{\"id\":\"x\"} x",
				     "{1:2}",
				     "{\"id\" \"x\"}",
				     "'x'",
				     "nul",
				     "\"unterminated",
				     "{\"id\":\"x\\\"}",
				     "[\"a\" \"b\"]",
				     "[1 2]" };
	tf_value *v = (tf_value *)0x1;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dec("[\"map\",\"dynamic\"]", bad[i], 1, &v, NULL, 0) !=
		    TF_E_INVALID)
			fail_msg("accepted %s", bad[i]);
	assert_ptr_equal(v, (tf_value *)0x1);
}

static void test_json_depth_bomb(void **state)
{
	size_t n = 100000, i;
	char *buf = malloc(2 * n + 1);
	tf_value *v = NULL;
	tf_type *t = parse("\"dynamic\"");

	(void)state;
	for (i = 0; i < n; i++) {
		buf[i] = '[';
		buf[n + i] = ']';
	}
	buf[2 * n] = '\0';
	assert_int_equal(tf_json_decode(buf, 2 * n, t, 1, &v, NULL, 0),
			 TF_E_LIMIT);
	free(buf);
	tf_type_unref(t);
}

static void test_json_decode_tree(void **state)
{
	json_error_t je;
	json_t *j =
		json_loads("{\"a\":0.1,\"b\":12,\"c\":[1.5e300],\"d\":\"x\"}",
			   0, &je);
	tf_type *t = parse("[\"object\",{\"a\":\"number\",\"b\":\"number\","
			   "\"c\":[\"list\",\"number\"],\"d\":\"string\"}]");
	tf_value *v = NULL;

	(void)state;
	assert_non_null(j);
	assert_int_equal(tf_json_decode_tree(j, t, 0, &v, NULL, 0), TF_OK);
	/* reals become their shortest round-trip decimal */
	assert_string_equal(tf_value_number_text(tf_value_attr(v, "a")), "0.1");
	assert_string_equal(tf_value_number_text(tf_value_attr(v, "b")), "12");
	assert_string_equal(tf_value_number_text(
				    tf_value_index(tf_value_attr(v, "c"), 0)),
			    "1.5e+300");
	assert_string_equal(tf_value_attr_string(v, "d"), "x");
	tf_value_unref(v);
	json_decref(j);
	tf_type_unref(t);
}

static void test_json_encode_errors(void **state)
{
	tf_type *t = parse("[\"list\",\"number\"]");
	tf_value *l = tf_value_list_new(t), *inf = tf_value_decimal("Inf");
	tf_value *bad = tf_value_string_n("\xff", 1);
	char *out = NULL;
	size_t len;

	(void)state;
	assert_int_equal(tf_value_list_append(l, tf_value_unknown(
							 tf_type_number())),
			 TF_OK);
	assert_int_equal(tf_json_encode(l, &out, &len), TF_E_INVALID);
	assert_int_equal(tf_json_encode(inf, &out, &len), TF_E_INVALID);
	assert_int_equal(tf_json_encode(bad, &out, &len), TF_E_INVALID);
	assert_null(out);
	tf_value_unref(l);
	tf_value_unref(inf);
	tf_value_unref(bad);
	tf_type_unref(t);
}

static void test_json_null_and_roundtrip(void **state)
{
	tf_value *v = NULL, *back = NULL;
	tf_type *t = parse(STATE_T);
	char *out;

	(void)state;
	assert_int_equal(tf_json_decode("null", 4, t, 0, &v, NULL, 0), TF_OK);
	assert_true(tf_value_is_null(v));
	out = enc(v);
	assert_string_equal(out, "null");
	free(out);
	tf_value_unref(v);
	{
		const char *in = "{\"size\":1e400,\"ports\":[0.5,\"2\"]}";

		assert_int_equal(tf_json_decode(in, strlen(in), t, 1, &v, NULL,
						0),
				 TF_OK);
	}
	out = enc(v);
	assert_int_equal(tf_json_decode(out, strlen(out), t, 0, &back, NULL, 0),
			 TF_OK);
	assert_true(tf_value_equal(v, back));
	free(out);
	tf_value_unref(v);
	tf_value_unref(back);
	tf_type_unref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_state_strict),
		cmocka_unit_test(test_json_state_lenient),
		cmocka_unit_test(test_json_numbers_precision),
		cmocka_unit_test(test_json_numbers_invalid),
		cmocka_unit_test(test_json_conversions),
		cmocka_unit_test(test_json_strings),
		cmocka_unit_test(test_json_dynamic),
		cmocka_unit_test(test_json_collections),
		cmocka_unit_test(test_json_malformed),
		cmocka_unit_test(test_json_depth_bomb),
		cmocka_unit_test(test_json_decode_tree),
		cmocka_unit_test(test_json_encode_errors),
		cmocka_unit_test(test_json_null_and_roundtrip),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
