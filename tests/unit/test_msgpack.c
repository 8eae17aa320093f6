/* Unit tests for schema/msgpack.c: byte-exact vectors, round trips,
 * refinements, dynamic values and hostile input. */
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

/* ---- helpers ------------------------------------------------------------ */

/* Parse hex (spaces ignored) into a malloc'd buffer. */
static uint8_t *unhex(const char *hex, size_t *len)
{
	size_t n = 0, cap = strlen(hex) / 2 + 1;
	uint8_t *b = malloc(cap);
	unsigned v;

	assert_non_null(b);
	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		b[n++] = (uint8_t)v;
		hex += 2;
	}
	*len = n;
	return b;
}

static char *tohex(const uint8_t *b, size_t len)
{
	char *s = malloc(len * 3 + 1);
	size_t i, pos = 0;

	assert_non_null(s);
	s[0] = '\0';
	for (i = 0; i < len; i++)
		pos += (size_t)snprintf(s + pos, len * 3 + 1 - pos,
					i ? " %02x" : "%02x", b[i]);
	return s;
}

static tf_type *ty(const char *json)
{
	tf_type *t = NULL;

	assert_int_equal(tf_type_from_json(json, strlen(json), &t), TF_OK);
	return t;
}

/* Decode hex against type JSON; returns the rc, value in *out on success. */
static int dec(const char *type_json, const char *hex, tf_value **out,
	       char *err, size_t errlen)
{
	tf_type *t = ty(type_json);
	size_t len;
	uint8_t *b = unhex(hex, &len);
	int rc = tf_msgpack_decode(b, len, t, out, err, errlen);

	free(b);
	tf_type_unref(t);
	return rc;
}

static char *enc_hex_as(const tf_value *v, tf_type *t)
{
	uint8_t *b = NULL;
	size_t len = 0;
	char *h;

	assert_int_equal(tf_msgpack_encode_as(v, t, &b, &len), TF_OK);
	h = tohex(b, len);
	free(b);
	return h;
}

static char *enc_hex(const tf_value *v)
{
	uint8_t *b = NULL;
	size_t len = 0;
	char *h;

	assert_int_equal(tf_msgpack_encode(v, &b, &len), TF_OK);
	h = tohex(b, len);
	free(b);
	return h;
}

static void assert_debug(const tf_value *v, const char *want)
{
	char *s = tf_value_debug_string(v);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

/* ---- canonical vectors: decode, check rendering, re-encode identically -- */

struct vec {
	const char *type;
	const char *hex;
	const char *debug;
};

static const struct vec canonical[] = {
	{ "\"string\"", "a2 68 69", "\"hi\"" },
	{ "\"string\"", "a0", "\"\"" },
	{ "\"string\"", "c0", "null" },
	{ "\"string\"", "d4 00 00", "(known after apply)" },
	{ "\"bool\"", "c3", "true" },
	{ "\"bool\"", "c2", "false" },
	{ "\"number\"", "00", "0" },
	{ "\"number\"", "7f", "127" },
	{ "\"number\"", "cc 80", "128" },
	{ "\"number\"", "cd 01 2c", "300" },
	{ "\"number\"", "ff", "-1" },
	{ "\"number\"", "e0", "-32" },
	{ "\"number\"", "d0 df", "-33" },
	{ "\"number\"", "d1 ff 00", "-256" },
	{ "\"number\"", "ce ff ff ff ff", "4294967295" },
	{ "\"number\"", "cf 7f ff ff ff ff ff ff ff", "9223372036854775807" },
	{ "\"number\"", "d3 80 00 00 00 00 00 00 00", "-9223372036854775808" },
	{ "\"number\"", "cb 3f e0 00 00 00 00 00 00", "0.5" },
	{ "\"number\"", "cb bf f8 00 00 00 00 00 00", "-1.5" },
	{ "\"number\"", "cb 7f f0 00 00 00 00 00 00", "+Inf" },
	{ "\"number\"", "cb ff f0 00 00 00 00 00 00", "-Inf" },
	/* 0.1 is not a float64: str holding the decimal */
	{ "\"number\"", "a3 30 2e 31", "0.1" },
	{ "\"number\"", "a6 31 65 2b 34 30 30", "1e+400" },
	/* 2^64 does not fit int64 but is exactly a float64 (as go-cty) */
	{ "\"number\"", "cb 43 f0 00 00 00 00 00 00", "18446744073709551616" },
	/* 2^64 + 1 is neither: decimal str */
	{ "\"number\"",
	  "b4 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31 37",
	  "18446744073709551617" },
	{ "[\"list\",\"string\"]", "92 a1 61 a1 62", "[\"a\", \"b\"]" },
	{ "[\"list\",\"string\"]", "90", "[]" },
	{ "[\"list\",\"string\"]", "92 d4 00 00 c0",
	  "[(known after apply), null]" },
	{ "[\"set\",\"number\"]", "93 01 02 03", "toset([1, 2, 3])" },
	{ "[\"map\",\"number\"]", "82 a1 61 01 a1 62 02",
	  "{ \"a\" = 1, \"b\" = 2 }" },
	{ "[\"map\",\"number\"]", "80", "{}" },
	{ "[\"tuple\",[\"string\",\"number\"]]", "92 a1 78 05", "[\"x\", 5]" },
	{ "[\"object\",{\"a\":\"string\",\"b\":\"string\"}]",
	  "82 a1 61 a1 78 a1 62 c0", "{ a = \"x\", b = null }" },
	{ "[\"object\",{}]", "80", "{}" },
	/* refined unknown: not null, prefix "pre-" */
	{ "\"string\"", "c7 09 0c 82 01 c2 02 a4 70 72 65 2d",
	  "(known after apply)" },
	/* dynamic: ["string", "hi"] with bin type JSON */
	{ "\"dynamic\"", "92 c4 08 22 73 74 72 69 6e 67 22 a2 68 69",
	  "\"hi\"" },
	/* dynamic null and unknown of unknown type: bare */
	{ "\"dynamic\"", "c0", "null" },
	{ "\"dynamic\"", "d4 00 00", "(known after apply)" },
	/* dynamic null of a known type */
	{ "\"dynamic\"", "92 c4 08 22 73 74 72 69 6e 67 22 c0", "null" },
	/* nested unknowns */
	{ "[\"object\",{\"l\":[\"list\",[\"map\",\"string\"]],\"n\":\"number\"}]",
	  "82 a1 6c 92 81 a1 6b d4 00 00 d4 00 00 a1 6e d4 00 00",
	  "{ l = [{ \"k\" = (known after apply) }, (known after apply)], n = (known after apply) }" },
};

static void test_msgpack_canonical_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++) {
		const struct vec *v = &canonical[i];
		tf_value *val = NULL, *again = NULL;
		char err[256];
		char *h;
		size_t len;
		uint8_t *b;
		tf_type *t;

		if (dec(v->type, v->hex, &val, err, sizeof(err)) != TF_OK)
			fail_msg("vector %zu (%s): %s", i, v->hex, err);
		assert_debug(val, v->debug);
		t = ty(v->type);
		h = enc_hex_as(val, t);
		if (strcmp(h, v->hex) != 0)
			fail_msg("vector %zu: encoded %s, want %s", i, h,
				 v->hex);
		/* and the re-encoding decodes to an equal value */
		b = unhex(h, &len);
		assert_int_equal(tf_msgpack_decode(b, len, t, &again, NULL, 0),
				 TF_OK);
		assert_true(tf_value_equal(val, again));
		free(b);
		tf_type_unref(t);
		free(h);
		tf_value_unref(again);
		tf_value_unref(val);
	}
}

/* ---- accepted non-canonical input -------------------------------------- */

static const struct vec lenient[] = {
	/* oversized int forms, uint64 input */
	{ "\"number\"", "cd 00 05", "5" },
	{ "\"number\"", "d3 00 00 00 00 00 00 01 2c", "300" },
	{ "\"number\"", "cf ff ff ff ff ff ff ff ff", "18446744073709551615" },
	/* float32, integral float64 */
	{ "\"number\"", "ca 3f 00 00 00", "0.5" },
	{ "\"number\"", "cb 40 14 00 00 00 00 00 00", "5" },
	/* numbers as strings */
	{ "\"number\"", "a1 37", "7" },
	{ "\"number\"", "a3 30 2e 35", "0.5" },
	{ "\"number\"", "a4 31 2e 35 30", "1.5" },
	/* string as bin */
	{ "\"string\"", "c4 02 68 69", "\"hi\"" },
	/* other ext codes and sizes are plain unknowns */
	{ "\"string\"", "d5 05 00 00", "(known after apply)" },
	{ "\"string\"", "c7 00 00", "(known after apply)" },
	{ "\"string\"", "c7 00 0c", "(known after apply)" },
	/* str type JSON in dynamic */
	{ "\"dynamic\"", "92 a8 22 73 74 72 69 6e 67 22 a2 68 69", "\"hi\"" },
	/* set with duplicates: wholly known duplicates merge */
	{ "[\"set\",\"string\"]", "93 a1 62 a1 61 a1 62",
	  "toset([\"a\", \"b\"])" },
	/* ...but unknown elements are kept */
	{ "[\"set\",\"string\"]", "92 d4 00 00 d4 00 00",
	  "toset([(known after apply), (known after apply)])" },
	/* map with duplicate key: last wins */
	{ "[\"map\",\"number\"]", "82 a1 61 01 a1 61 02", "{ \"a\" = 2 }" },
	/* object keys in any order */
	{ "[\"object\",{\"a\":\"string\",\"b\":\"string\"}]",
	  "82 a1 62 c0 a1 61 a1 78", "{ a = \"x\", b = null }" },
	/* refinement with unknown keys and a non-int key: ignored */
	{ "\"string\"", "c7 06 0c 82 09 c3 a1 78 01", "(known after apply)" },
};

static void test_msgpack_lenient_input(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lenient) / sizeof(lenient[0]); i++) {
		tf_value *val = NULL;
		char err[256];

		if (dec(lenient[i].type, lenient[i].hex, &val, err,
			sizeof(err)))
			fail_msg("vector %zu (%s): %s", i, lenient[i].hex, err);
		assert_debug(val, lenient[i].debug);
		tf_value_unref(val);
	}
}

/* Re-encoding of accepted input is canonical. */
static void test_msgpack_reencode_canonical(void **state)
{
	static const struct {
		const char *type, *in, *out;
	} cases[] = {
		{ "\"number\"", "cd 00 05", "05" },
		{ "\"number\"", "ca 3f 00 00 00",
		  "cb 3f e0 00 00 00 00 00 00" },
		{ "\"number\"", "cb 40 14 00 00 00 00 00 00", "05" },
		{ "\"number\"", "a3 30 2e 35", "cb 3f e0 00 00 00 00 00 00" },
		{ "\"number\"", "a4 31 2e 30 30", "01" },
		{ "\"string\"", "d5 05 00 00", "d4 00 00" },
		{ "\"dynamic\"", "92 a8 22 73 74 72 69 6e 67 22 a2 68 69",
		  "92 c4 08 22 73 74 72 69 6e 67 22 a2 68 69" },
		{ "[\"object\",{\"a\":\"string\",\"b\":\"string\"}]",
		  "82 a1 62 c0 a1 61 a1 78", "82 a1 61 a1 78 a1 62 c0" },
		{ "[\"set\",\"number\"]", "93 03 01 02", "93 01 02 03" },
		/* refinement keys irrelevant to the type are dropped */
		{ "\"number\"", "c7 05 0c 82 01 c2 02 a0",
		  "c7 03 0c 81 01 c2" },
		/* only unknown keys: plain unknown */
		{ "\"string\"", "c7 03 0c 81 09 c3", "d4 00 00" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tf_type *t = ty(cases[i].type);
		tf_value *v = NULL;
		char *h;

		assert_int_equal(dec(cases[i].type, cases[i].in, &v, NULL, 0),
				 TF_OK);
		h = enc_hex_as(v, t);
		tf_type_unref(t);
		if (strcmp(h, cases[i].out))
			fail_msg("case %zu: got %s want %s", i, h,
				 cases[i].out);
		free(h);
		tf_value_unref(v);
	}
}

/* ---- refinements --------------------------------------------------------- */

static void test_msgpack_refined_prefix(void **state)
{
	const tf_refinement *r;
	tf_value *v = NULL;
	char *h;

	(void)state;
	assert_int_equal(dec("\"string\"",
			     "c7 09 0c 82 01 c2 02 a4 70 72 65 2d", &v, NULL,
			     0),
			 TF_OK);
	assert_true(tf_value_is_unknown(v));
	r = tf_value_refinement(v);
	assert_non_null(r);
	assert_true(r->has_nullness);
	assert_true(r->not_null);
	assert_string_equal(r->prefix, "pre-");
	assert_null(r->lower);
	assert_false(r->has_len_min);
	h = enc_hex(v);
	assert_string_equal(h, "c7 09 0c 82 01 c2 02 a4 70 72 65 2d");
	free(h);
	tf_value_unref(v);
}

static void test_msgpack_refined_bounds(void **state)
{
	const tf_refinement *r;
	tf_value *v = NULL;
	int64_t n;
	char *h;
	/* {1: false, 3: [5, true], 4: [6.5, false]} */
	const char *hex =
		"c7 13 0c 83 01 c2 03 92 05 c3 04 92 cb 40 1a 00 00 00 00 00 00 c2";

	(void)state;
	assert_int_equal(dec("\"number\"", hex, &v, NULL, 0), TF_OK);
	r = tf_value_refinement(v);
	assert_non_null(r);
	assert_int_equal(tf_value_get_int(r->lower, &n), TF_OK);
	assert_int_equal(n, 5);
	assert_true(r->lower_inclusive);
	assert_string_equal(tf_value_number_text(r->upper), "6.5");
	assert_false(r->upper_inclusive);
	h = enc_hex(v);
	assert_string_equal(h, hex);
	free(h);
	tf_value_unref(v);

	/* collection length bounds: {5: 1, 6: 3} */
	hex = "c7 05 0c 82 05 01 06 03";
	assert_int_equal(dec("[\"list\",\"string\"]", hex, &v, NULL, 0), TF_OK);
	r = tf_value_refinement(v);
	assert_non_null(r);
	assert_true(r->has_len_min && r->len_min == 1);
	assert_true(r->has_len_max && r->len_max == 3);
	h = enc_hex(v);
	assert_string_equal(h, hex);
	free(h);
	tf_value_unref(v);
}

static void test_msgpack_refined_malformed(void **state)
{
	static const char *bad[] = {
		"c7 01 0c c1",          /* payload not msgpack */
		"c7 01 0c 01",          /* payload not a map */
		"c7 03 0c 81 01 01",    /* nullness not bool */
		"c7 03 0c 81 02 01",    /* prefix not str */
		"c7 03 0c 81 03 01",    /* bound not array */
		"c7 04 0c 81 03 91 c3", /* bound not a number */
		"c7 02 0c 81 01",       /* truncated payload */
	};
	size_t i;
	tf_value *v = NULL;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dec("\"string\"", bad[i], &v, NULL, 0),
				 TF_E_INVALID);
}

static void test_msgpack_refined_encode_long_prefix(void **state)
{
	tf_refinement r = { 0 };
	char prefix[400];
	tf_value *v, *back = NULL;
	uint8_t *b = NULL;
	size_t len = 0;

	(void)state;
	memset(prefix, 'x', sizeof(prefix) - 2);
	/* a 2-byte character straddling the 256-byte cut */
	prefix[255] = (char)0xc3;
	prefix[256] = (char)0xa9;
	prefix[sizeof(prefix) - 1] = '\0';
	r.prefix = prefix;
	v = tf_value_unknown_refined(tf_type_string(), &r);
	assert_non_null(v);
	assert_int_equal(tf_msgpack_encode(v, &b, &len), TF_OK);
	assert_true(len <= 1024 + 6);
	assert_int_equal(tf_msgpack_decode(b, len, tf_type_string(), &back,
					   NULL, 0),
			 TF_OK);
	assert_non_null(tf_value_refinement(back));
	assert_int_equal(strlen(tf_value_refinement(back)->prefix), 255);
	free(b);
	tf_value_unref(back);
	tf_value_unref(v);
}

/* ---- dynamic ------------------------------------------------------------- */

static void test_msgpack_dynamic(void **state)
{
	const char *tj =
		"[\"object\",{\"a\":\"dynamic\",\"b\":[\"list\",\"dynamic\"]}]";
	tf_type *t = ty(tj), *lt;
	tf_value *obj, *list, *back = NULL, *a;
	uint8_t *b = NULL;
	size_t len = 0;
	char *h;

	(void)state;
	lt = tf_type_list(tf_type_dynamic());
	obj = tf_value_object_new(t);
	list = tf_value_list_new(lt);
	assert_int_equal(tf_value_list_append(list, tf_value_int(1)), TF_OK);
	assert_int_equal(tf_value_list_append(list, tf_value_string("s")),
			 TF_OK);
	assert_int_equal(tf_value_list_append(list,
					      tf_value_null(tf_type_dynamic())),
			 TF_OK);
	assert_int_equal(tf_value_object_set(obj, "a", tf_value_bool(true)),
			 TF_OK);
	assert_int_equal(tf_value_object_set(obj, "b", list), TF_OK);
	h = enc_hex(obj);
	/* {a: ["bool", true], b: [["number",1], ["string","s"], nil]} */
	assert_string_equal(h, "82 a1 61 92 c4 06 22 62 6f 6f 6c 22 c3 "
			       "a1 62 93 92 c4 08 22 6e 75 6d 62 65 72 22 01 "
			       "92 c4 08 22 73 74 72 69 6e 67 22 a1 73 c0");
	free(h);
	assert_int_equal(tf_msgpack_encode(obj, &b, &len), TF_OK);
	assert_int_equal(tf_msgpack_decode(b, len, t, &back, NULL, 0), TF_OK);
	assert_true(tf_value_equal(obj, back));
	a = tf_value_attr(back, "a");
	assert_int_equal(tf_type_kind_of(tf_value_type(a)), TF_T_BOOL);
	free(b);
	tf_value_unref(back);
	tf_value_unref(obj);
	tf_type_unref(lt);
	tf_type_unref(t);
}

static void test_msgpack_dynamic_nested_types(void **state)
{
	/* ["object",{"x":"number"}] then value {x: 1} */
	const char *tjson = "[\"object\",{\"x\":\"number\"}]";
	char hex[512], *p = hex;
	tf_value *v = NULL;
	size_t i;

	(void)state;
	p += snprintf(p, sizeof(hex), "92 c4 %02zx", strlen(tjson));
	for (i = 0; tjson[i]; i++)
		p += snprintf(p, sizeof(hex) - (size_t)(p - hex), " %02x",
			      (unsigned char)tjson[i]);
	snprintf(p, sizeof(hex) - (size_t)(p - hex), " 81 a1 78 01");
	assert_int_equal(dec("\"dynamic\"", hex, &v, NULL, 0), TF_OK);
	assert_debug(v, "{ x = 1 }");
	assert_int_equal(tf_type_kind_of(tf_value_type(v)), TF_T_OBJECT);
	tf_value_unref(v);
	/* a bad type JSON or a non-array is rejected */
	assert_int_equal(dec("\"dynamic\"", "92 c4 03 22 78 22 01", &v, NULL,
			     0),
			 TF_E_INVALID);
	assert_int_equal(dec("\"dynamic\"", "a2 68 69", &v, NULL, 0),
			 TF_E_INVALID);
	assert_int_equal(dec("\"dynamic\"", "91 c4 08 22 73 74 72 69 6e 67 22",
			     &v, NULL, 0),
			 TF_E_INVALID);
}

/* ---- errors --------------------------------------------------------------- */

static void test_msgpack_object_errors(void **state)
{
	const char *t = "[\"object\",{\"a\":\"string\",\"b\":\"string\"}]";
	tf_value *v = (tf_value *)0x1;
	char err[256];

	(void)state;
	/* missing b */
	assert_int_equal(dec(t, "81 a1 61 a1 78", &v, err, sizeof(err)),
			 TF_E_INVALID);
	assert_non_null(strstr(err, "missing attribute \"b\""));
	assert_ptr_equal(v, (tf_value *)0x1); /* untouched on failure */
	/* extra c */
	assert_int_equal(dec(t, "83 a1 61 c0 a1 62 c0 a1 63 c0", &v, err,
			     sizeof(err)),
			 TF_E_INVALID);
	assert_non_null(strstr(err, "unsupported attribute \"c\""));
	/* empty map is not an object */
	assert_int_equal(dec(t, "80", &v, err, sizeof(err)), TF_E_INVALID);
	/* duplicate attribute */
	assert_int_equal(dec(t, "83 a1 61 c0 a1 61 c0 a1 62 c0", &v, err,
			     sizeof(err)),
			 TF_E_INVALID);
	/* wrong type, with a path in the message */
	assert_int_equal(dec(t, "82 a1 61 01 a1 62 c0", &v, err, sizeof(err)),
			 TF_E_INVALID);
	assert_string_equal(
		err, "attribute \"a\": expected string, got msgpack integer");
	/* nested path */
	assert_int_equal(
		dec("[\"object\",{\"l\":[\"list\",[\"object\",{\"n\":\"number\"}]]}]",
		    "81 a1 6c 92 81 a1 6e 01 81 a1 6e c3", &v, err,
		    sizeof(err)),
		TF_E_INVALID);
	assert_string_equal(
		err, "attribute \"l[1].n\": expected number, got msgpack bool");
	/* non-string key */
	assert_int_equal(dec(t, "82 01 c0 a1 62 c0", &v, err, sizeof(err)),
			 TF_E_INVALID);
	/* tiny error buffer is NUL-terminated and not overrun */
	err[4] = 'Z';
	assert_int_equal(dec(t, "80", &v, err, 4), TF_E_INVALID);
	assert_int_equal(err[3], '\0');
	assert_int_equal(err[4], 'Z');
}

static void test_msgpack_type_mismatch(void **state)
{
	static const struct {
		const char *type, *hex;
	} bad[] = {
		{ "\"string\"", "01" },
		{ "\"string\"", "a2 ff fe" }, /* invalid UTF-8 */
		{ "\"bool\"", "01" },
		{ "\"number\"", "c3" },
		{ "\"number\"", "a3 61 62 63" }, /* not a decimal */
		{ "\"number\"", "a0" },
		{ "\"number\"", "cb 7f f8 00 00 00 00 00 01" }, /* NaN */
		{ "[\"list\",\"string\"]", "a1 61" },
		{ "[\"list\",\"string\"]", "91 01" },
		{ "[\"map\",\"string\"]", "91 a1 61" },
		{ "[\"map\",\"string\"]", "81 01 a1 61" }, /* int key */
		{ "[\"map\",\"string\"]",
		  "81 a2 61 00 a1 61" }, /* NUL in key */
		{ "[\"tuple\",[\"string\",\"number\"]]", "91 a1 61" },
		{ "[\"tuple\",[\"string\",\"number\"]]", "93 a1 61 01 02" },
		{ "[\"object\",{\"a\":\"string\"}]", "91 a1 61" },
	};
	size_t i;
	tf_value *v = NULL;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dec(bad[i].type, bad[i].hex, &v, NULL, 0) != TF_E_INVALID)
			fail_msg("case %zu (%s) accepted", i, bad[i].hex);
}

static void test_msgpack_truncated(void **state)
{
	/* every proper prefix of a valid encoding must fail cleanly */
	const char *t =
		"[\"object\",{\"a\":\"string\",\"b\":[\"list\",\"number\"],\"c\":\"dynamic\"}]";
	const char *hex =
		"83 a1 61 a5 68 65 6c 6c 6f a1 62 93 01 cd 01 2c cb 3f e0 00 00 00 00 00 00 "
		"a1 63 92 c4 08 22 73 74 72 69 6e 67 22 a2 68 69";
	tf_type *ty_ = ty(t);
	size_t len, i;
	uint8_t *b = unhex(hex, &len);
	tf_value *v = NULL;

	(void)state;
	assert_int_equal(tf_msgpack_decode(b, len, ty_, &v, NULL, 0), TF_OK);
	tf_value_unref(v);
	for (i = 0; i < len; i++) {
		v = NULL;
		assert_int_equal(tf_msgpack_decode(b, i, ty_, &v, NULL, 0),
				 TF_E_INVALID);
		assert_null(v);
	}
	free(b);
	tf_type_unref(ty_);
}

static void test_msgpack_trailing_bytes(void **state)
{
	tf_value *v = NULL;
	char err[128];

	(void)state;
	assert_int_equal(dec("\"string\"", "a2 68 69 c0", &v, err, sizeof(err)),
			 TF_E_INVALID);
	assert_int_equal(dec("\"string\"", "c1", &v, err, sizeof(err)),
			 TF_E_INVALID);
	assert_int_equal(tf_msgpack_decode((const uint8_t *)"", 0,
					   tf_type_string(), &v, NULL, 0),
			 TF_E_INVALID);
}

static void test_msgpack_depth_bomb(void **state)
{
	tf_type *t = ty("[\"list\",\"dynamic\"]");
	uint8_t buf[100000];
	tf_value *v = NULL;
	int rc;

	(void)state;
	/* 100k nested fixarrays */
	memset(buf, 0x91, sizeof(buf));
	buf[sizeof(buf) - 1] = 0xc0;
	rc = tf_msgpack_decode(buf, sizeof(buf), t, &v, NULL, 0);
	assert_int_equal(rc, TF_E_LIMIT);
	/* 20 nested dynamic wrappers of lists is fine */
	tf_type_unref(t);
}

static void test_msgpack_depth_limit_values(void **state)
{
	/* list(list(...(string))) nested 40 deep: beyond msgpack-c's 32 */
	char tj[1024] = "", *p = tj;
	uint8_t buf[64];
	tf_type *t;
	tf_value *v = NULL;
	int i;

	(void)state;
	for (i = 0; i < 40; i++)
		p += snprintf(p, sizeof(tj) - (size_t)(p - tj), "[\"list\",");
	p += snprintf(p, sizeof(tj) - (size_t)(p - tj), "\"string\"");
	for (i = 0; i < 40; i++)
		p += snprintf(p, sizeof(tj) - (size_t)(p - tj), "]");
	t = ty(tj);
	memset(buf, 0x91, 40);
	buf[40] = 0xa0;
	assert_int_equal(tf_msgpack_decode(buf, 41, t, &v, NULL, 0),
			 TF_E_LIMIT);
	/* 30 deep is fine */
	tf_type_unref(t);
	t = tf_type_string();
	for (i = 0; i < 30; i++) {
		tf_type *l = tf_type_list(t);

		tf_type_unref(t);
		t = l;
	}
	memset(buf, 0x91, 30);
	buf[30] = 0xa0;
	assert_int_equal(tf_msgpack_decode(buf, 31, t, &v, NULL, 0), TF_OK);
	tf_value_unref(v);
	tf_type_unref(t);
}

static void test_msgpack_huge_declared_length(void **state)
{
	static const char *bombs[] = {
		"dd ff ff ff ff c0",       /* array32 of 4G */
		"df ff ff ff ff a1 61 c0", /* map32 of 4G */
		"dc ff ff 01",             /* array16 of 65535, 1 byte */
		"db ff ff ff ff 61",       /* str32 of 4G */
		"c6 ff ff ff ff 00",       /* bin32 */
		"c9 ff ff ff ff 0c 00",    /* ext32 */
	};
	tf_type *t = ty("[\"list\",\"string\"]");
	size_t i, len;
	tf_value *v = NULL;

	(void)state;
	for (i = 0; i < sizeof(bombs) / sizeof(bombs[0]); i++) {
		uint8_t *b = unhex(bombs[i], &len);
		int rc = tf_msgpack_decode(b, len, t, &v, NULL, 0);

		assert_true(rc == TF_E_INVALID || rc == TF_E_LIMIT);
		free(b);
	}
	tf_type_unref(t);
}

static void test_msgpack_encode_invalid(void **state)
{
	uint8_t *b = NULL;
	size_t len = 0;
	tf_value *s = tf_value_string("x");
	char *h;

	(void)state;
	assert_int_equal(tf_msgpack_encode(NULL, &b, &len), TF_E_INVALID);
	/* encode_as checks conformance */
	assert_int_equal(tf_msgpack_encode_as(s, tf_type_number(), &b, &len),
			 TF_E_TYPE);
	assert_null(b);
	/* top-level dynamic: wrapper vs. bare */
	h = enc_hex_as(s, tf_type_dynamic());
	assert_string_equal(h, "92 c4 08 22 73 74 72 69 6e 67 22 a1 78");
	free(h);
	h = enc_hex(s);
	assert_string_equal(h, "a1 78");
	free(h);
	tf_value_unref(s);
}

/* ---- round trip of a big built value ------------------------------------- */

static void test_msgpack_roundtrip_built(void **state)
{
	const char *tj =
		"[\"object\",{\"id\":\"string\",\"n\":\"number\","
		"\"tags\":[\"map\",\"string\"],\"ports\":[\"set\",\"number\"],"
		"\"nets\":[\"list\",[\"object\",{\"name\":\"string\",\"mtu\":\"number\"}]],"
		"\"t\":[\"tuple\",[\"bool\",\"string\"]],\"d\":\"dynamic\"}]";
	tf_type *t = ty(tj);
	tf_type *nets_t =
		tf_type_attr_type(t, (size_t)tf_type_attr_index(t, "nets"));
	tf_type *net_t = tf_type_elem(nets_t);
	tf_value *obj = tf_value_object_new(t), *tags, *ports, *nets, *net,
		 *tup, *back = NULL;
	tf_refinement r = { .has_nullness = true,
			    .not_null = true,
			    .prefix = (char *)"eth" };
	uint8_t *b = NULL;
	size_t len = 0;
	int i;

	(void)state;
	tags = tf_value_map_new(
		tf_type_attr_type(t, (size_t)tf_type_attr_index(t, "tags")));
	assert_int_equal(tf_value_map_set(tags, "z", tf_value_string("last")),
			 TF_OK);
	assert_int_equal(tf_value_map_set(tags, "a", tf_value_string("first")),
			 TF_OK);
	ports = tf_value_set_new(
		tf_type_attr_type(t, (size_t)tf_type_attr_index(t, "ports")));
	for (i = 0; i < 5; i++)
		assert_int_equal(tf_value_list_append(ports,
						      tf_value_int(8080 - i)),
				 TF_OK);
	assert_int_equal(tf_value_list_append(ports, tf_value_decimal("0.1")),
			 TF_OK);
	nets = tf_value_list_new(nets_t);
	net = tf_value_object_new(net_t);
	assert_int_equal(tf_value_object_set(net, "name",
					     tf_value_unknown_refined(
						     tf_type_string(), &r)),
			 TF_OK);
	assert_int_equal(tf_value_object_set(net, "mtu", tf_value_int(1500)),
			 TF_OK);
	assert_int_equal(tf_value_list_append(nets, net), TF_OK);
	tup = tf_value_tuple_new(
		tf_type_attr_type(t, (size_t)tf_type_attr_index(t, "t")));
	assert_int_equal(tf_value_tuple_set(tup, 0, tf_value_bool(false)),
			 TF_OK);
	assert_int_equal(tf_value_object_set(obj, "id", tf_value_string("i-1")),
			 TF_OK);
	assert_int_equal(tf_value_object_set(obj, "n",
					     tf_value_decimal("1e400")),
			 TF_OK);
	assert_int_equal(tf_value_object_set(obj, "tags", tags), TF_OK);
	assert_int_equal(tf_value_object_set(obj, "ports", ports), TF_OK);
	assert_int_equal(tf_value_object_set(obj, "nets", nets), TF_OK);
	assert_int_equal(tf_value_object_set(obj, "t", tup), TF_OK);
	assert_int_equal(tf_value_object_set(obj, "d", tf_value_double(0.25)),
			 TF_OK);

	assert_int_equal(tf_msgpack_encode(obj, &b, &len), TF_OK);
	assert_int_equal(tf_msgpack_decode(b, len, t, &back, NULL, 0), TF_OK);
	assert_true(tf_value_equal(obj, back));
	assert_false(tf_value_is_wholly_known(back));
	assert_string_equal(
		tf_value_refinement(
			tf_value_attr(tf_value_index(tf_value_attr(back, "nets"),
						     0),
				      "name"))
			->prefix,
		"eth");
	free(b);
	tf_value_unref(back);
	tf_value_unref(obj);
	tf_type_unref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msgpack_canonical_vectors),
		cmocka_unit_test(test_msgpack_lenient_input),
		cmocka_unit_test(test_msgpack_reencode_canonical),
		cmocka_unit_test(test_msgpack_refined_prefix),
		cmocka_unit_test(test_msgpack_refined_bounds),
		cmocka_unit_test(test_msgpack_refined_malformed),
		cmocka_unit_test(test_msgpack_refined_encode_long_prefix),
		cmocka_unit_test(test_msgpack_dynamic),
		cmocka_unit_test(test_msgpack_dynamic_nested_types),
		cmocka_unit_test(test_msgpack_object_errors),
		cmocka_unit_test(test_msgpack_type_mismatch),
		cmocka_unit_test(test_msgpack_truncated),
		cmocka_unit_test(test_msgpack_trailing_bytes),
		cmocka_unit_test(test_msgpack_depth_bomb),
		cmocka_unit_test(test_msgpack_depth_limit_values),
		cmocka_unit_test(test_msgpack_huge_declared_length),
		cmocka_unit_test(test_msgpack_encode_invalid),
		cmocka_unit_test(test_msgpack_roundtrip_built),
	};

	return cmocka_run_group_tests_name("msgpack", tests, NULL, NULL);
}
