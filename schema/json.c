/* Terraform's JSON value encoding (RawState, DynamicValue.json).
 *
 * Full-precision numbers: jansson stores numbers as int64/double (and
 * rejects integers beyond int64), so tf_json_decode first rewrites the text
 * with a small lexer that only tracks string and number tokens:
 *   every string  "abc"  becomes  "sabc"   (object keys included)
 *   every number  1e400  becomes  "n1e400"
 * and lets jansson parse (and validate) the result. The walker then knows
 * for every JSON string whether it was a string or a number, and numbers keep
 * their exact source text, which is checked against the strict JSON number
 * grammar and held exactly (int64, exact double, or decimal text). Nothing
 * the rewrite produces can turn invalid JSON into a value: a number used as
 * an object key ("n..." key) and a tag-less string are rejected.
 *
 * tf_json_decode_tree works on a caller's untagged tree; there integers are
 * exact and reals are taken as the shortest decimal that reads back as the
 * same double (so 0.1 stays 0.1, not 0.1000000000000000055...).
 *
 * Conversions accepted on input, as go-cty's JSON decoder: a string for a
 * number ("5"), a string "true"/"false" for a bool, and a number or bool for
 * a string (its text). */
#include "codec.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_err.h"
#include "value_internal.h"

/* JSON bracket nesting accepted by the rewrite: every value level plus the
 * {"value":..,"type":..} wrappers and type JSON of dynamic values. */
#define JSON_MAX_NEST (2 * TF_MAX_DEPTH)

/* ---- number-preserving rewrite ---------------------------------------- */

static bool is_num_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
	       c == 'e' || c == 'E';
}

static int rewrite(const char *in, size_t len, char **out, size_t *outlen)
{
	tfv__buf b = { 0 };
	size_t i = 0, j;
	int depth = 0;

	while (i < len) {
		char c = in[i];

		if (c == '"') {
			/* copy the string, tagging it; stop at the closing
			 * quote (an unterminated string is left for jansson
			 * to reject) */
			tfv__buf_add(&b, "\"s", 2);
			for (j = i + 1; j < len; j++) {
				if (in[j] == '\\') {
					j++;
					continue;
				}
				if (in[j] == '"')
					break;
			}
			if (j >= len) {
				tfv__buf_add(&b, in + i + 1, len - i - 1);
				i = len;
			} else {
				tfv__buf_add(&b, in + i + 1, j - i);
				i = j + 1;
			}
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			for (j = i; j < len && is_num_char(in[j]); j++)
				;
			tfv__buf_add(&b, "\"n", 2);
			tfv__buf_add(&b, in + i, j - i);
			tfv__buf_add(&b, "\"", 1);
			i = j;
		} else {
			if (c == '[' || c == '{') {
				if (++depth > JSON_MAX_NEST) {
					tfv__buf_done(&b);
					return TF_E_LIMIT;
				}
			} else if ((c == ']' || c == '}') && depth > 0) {
				depth--;
			}
			tfv__buf_add(&b, &c, 1);
			i++;
		}
	}
	*out = tfv__buf_take(&b, outlen);
	return *out ? TF_OK : TF_E_NOMEM;
}

/* ---- typed walk -------------------------------------------------------- */

struct jctx {
	int prefixed;
	int lenient;
	tfv__where w; /* attribute/key names or indices, for messages */
};

/* "attribute \"a.b[0]": names (attributes and map keys alike, each cut
 * at 64 bytes) after dots, indices in brackets. */
static void render(tfv__buf *b, const tfv__step *path, int n)
{
	tfv__buf_str(b, "attribute \"");
	for (int i = 0; i < n; i++) {
		if (path[i].kind == TFV__STEP_IDX)
			tfv__buf_printf(b, "[%zu]", path[i].idx);
		else
			tfv__buf_printf(b, "%s%.64s", i ? "." : "", path[i].s);
	}
}

enum jkind { J_BAD, J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

/* What j is, with the text of strings and numbers in *s / *len. `numbuf`
 * (>= 32 bytes) holds the rendering of untagged jansson numbers. */
static enum jkind classify(const struct jctx *c, const json_t *j,
			   const char **s, size_t *len, char *numbuf)
{
	const char *v;
	double d;
	int p;

	switch (json_typeof(j)) {
	case JSON_NULL: return J_NULL;
	case JSON_TRUE:
	case JSON_FALSE: return J_BOOL;
	case JSON_ARRAY: return J_ARR;
	case JSON_OBJECT: return J_OBJ;
	case JSON_STRING:
		v = json_string_value(j);
		*len = json_string_length(j);
		if (!c->prefixed) {
			*s = v;
			return J_STR;
		}
		if (*len == 0 || (v[0] != 's' && v[0] != 'n'))
			return J_BAD;
		*s = v + 1;
		(*len)--;
		return v[0] == 's' ? J_STR : J_NUM;
	case JSON_INTEGER:
		if (c->prefixed)
			return J_BAD;
		snprintf(numbuf, 32, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(j));
		break;
	case JSON_REAL:
		if (c->prefixed)
			return J_BAD;
		d = json_real_value(j);
		if (!isfinite(d))
			return J_BAD;
		for (p = 1; p <= 17; p++) {
			snprintf(numbuf, 32, "%.*e", p - 1, d);
			if (strtod(numbuf, NULL) == d)
				break;
		}
		break;
	default: return J_BAD;
	}
	*s = numbuf;
	*len = strlen(numbuf);
	return J_NUM;
}

static const char *jkind_name(enum jkind k)
{
	switch (k) {
	case J_NULL: return "null";
	case J_BOOL: return "bool";
	case J_NUM: return "number";
	case J_STR: return "string";
	case J_ARR: return "array";
	case J_OBJ: return "object";
	default: return "invalid token";
	}
}

/* Object key text (tag stripped), or NULL when the key is not a string. */
static const char *key_text(const struct jctx *c, const char *key)
{
	if (!c->prefixed)
		return key;
	return key[0] == 's' ? key + 1 : NULL;
}

static int jdec(struct jctx *c, const json_t *j, tf_type *t, int depth,
		tf_value **out);

static int nomem(struct jctx *c)
{
	return tfv__fail(&c->w, TF_E_NOMEM, "out of memory");
}

static int jdec_dynamic(struct jctx *c, const json_t *j, int depth,
			tf_value **out)
{
	const json_t *tj = NULL, *vj = NULL, *val;
	const char *key, *k;
	tf_type *t;
	int rc;

	if (!json_is_object(j))
		return tfv__fail(
			&c->w, TF_E_INVALID,
			"dynamic value must be {\"value\":...,\"type\":...}");
	json_object_foreach ((json_t *)j, key, val) {
		k = key_text(c, key);
		if (k && strcmp(k, "type") == 0)
			tj = val;
		else if (k && strcmp(k, "value") == 0)
			vj = val;
		else
			return tfv__fail(&c->w, TF_E_INVALID,
					 "invalid key in dynamic value");
	}
	if (!tj || !vj)
		return tfv__fail(
			&c->w, TF_E_INVALID,
			"dynamic value needs both \"value\" and \"type\"");
	rc = tft__from_tree(tj, c->prefixed, 0, &t);
	if (rc)
		return tfv__fail(&c->w, rc, "invalid type in dynamic value");
	rc = jdec(c, vj, t, depth + 1, out);
	tf_type_unref(t);
	return rc;
}

/* tfv__elem_fn over a JSON array. */
struct jseq {
	struct jctx *c;
	const json_t *j;
};

static int jdec_elem(void *ctx, size_t i, tf_type *et, int depth,
		     tf_value **out)
{
	struct jseq *s = ctx;

	return jdec(s->c, json_array_get(s->j, i), et, depth, out);
}

static int jdec_seq(struct jctx *c, const json_t *j, tf_type *t, int depth,
		    tf_value **out)
{
	struct jseq s = { c, j };
	size_t n = json_array_size(j);

	if (n > TF_MAX_ELEMS)
		return tfv__fail(&c->w, TF_E_LIMIT, "too many elements");
	return tfv__decode_seq(&c->w, t, n, jdec_elem, &s, depth, out);
}

static int jdec_map(struct jctx *c, const json_t *j, tf_type *t, int depth,
		    tf_value **out)
{
	size_t n = json_object_size(j);
	const char *key, *k;
	tfv__coll col;
	json_t *val;
	int rc;

	if (n > TF_MAX_ELEMS)
		return tfv__fail(&c->w, TF_E_LIMIT, "too many elements");
	rc = tfv__coll_init(&col, n, true) ? nomem(c) : TF_OK;
	json_object_foreach ((json_t *)j, key, val) {
		tf_value *v = NULL;

		if (rc)
			break;
		k = key_text(c, key);
		if (!k) {
			rc = tfv__fail(&c->w, TF_E_INVALID,
				       "map key must be a string");
			break;
		}
		tfv__where_push(&c->w, TFV__STEP_KEY, k, 0, 0);
		rc = jdec(c, val, tf_type_elem(t), depth + 1, &v);
		tfv__where_pop(&c->w);
		if (rc == TF_OK && tfv__coll_add(&col, v, k, strlen(k)))
			rc = nomem(c);
	}
	return tfv__coll_finish(&c->w, &col, t, rc, out);
}

static int jdec_object(struct jctx *c, const json_t *j, tf_type *t, int depth,
		       tf_value **out)
{
	size_t n = tf_type_attr_count(t);
	const char *key, *k;
	tfv__coll col;
	json_t *val;
	long idx;
	int rc = tfv__coll_slots(&col, n) ? nomem(c) : TF_OK;

	json_object_foreach ((json_t *)j, key, val) {
		if (rc)
			break;
		k = key_text(c, key);
		if (!k) {
			rc = tfv__fail(&c->w, TF_E_INVALID,
				       "object key must be a string");
			break;
		}
		idx = tf_type_attr_index(t, k);
		if (idx < 0) {
			if (c->lenient)
				continue; /* removed attribute: dropped */
			rc = tfv__fail(&c->w, TF_E_INVALID,
				       "unsupported attribute \"%.64s\"", k);
			break;
		}
		tfv__where_push(&c->w, TFV__STEP_ATTR,
				tf_type_attr_name(t, (size_t)idx), 0, 0);
		rc = jdec(c, val, tf_type_attr_type(t, (size_t)idx), depth + 1,
			  &col.vals[idx]);
		tfv__where_pop(&c->w);
	}
	/* Missing attributes: an error, or (lenient) null. */
	for (size_t i = 0; rc == TF_OK && i < n; i++) {
		if (col.vals[i])
			continue;
		if (!c->lenient)
			rc = tfv__fail(&c->w, TF_E_INVALID,
				       "missing attribute \"%s\"",
				       tf_type_attr_name(t, i));
		else if (!(col.vals[i] = tf_value_null(tf_type_attr_type(t, i))))
			rc = nomem(c);
	}
	return tfv__coll_finish(&c->w, &col, t, rc, out);
}

static int jdec_number(struct jctx *c, enum jkind jk, const char *s, size_t len,
		       tf_value **out)
{
	bool bad = false;
	double d;

	/* tagged numbers come straight from the lexer: enforce JSON syntax */
	if (jk == J_NUM && c->prefixed && !tfv__json_number_ok(s, len))
		return tfv__fail(&c->w, TF_E_INVALID, "malformed number");
	*out = tfv__decimal_n(s, len, &bad);
	if (!*out)
		return bad ? tfv__fail(&c->w, TF_E_INVALID,
				       "malformed number") :
			     nomem(c);
	/* "Inf" in a string: JSON can never carry it back out, so refuse it */
	if (tfv__num_kind(*out, NULL, &d) == TFV_NUM_DOUBLE && isinf(d)) {
		tf_value_unref(*out);
		*out = NULL;
		return tfv__fail(&c->w, TF_E_INVALID,
				 "infinity is not a valid JSON number");
	}
	return TF_OK;
}

static int jdec(struct jctx *c, const json_t *j, tf_type *t, int depth,
		tf_value **out)
{
	char numbuf[32];
	const char *s = NULL;
	size_t len = 0;
	enum jkind jk;
	tf_type_kind k = tf_type_kind_of(t);

	if (depth > TF_MAX_DEPTH)
		return tfv__fail(&c->w, TF_E_LIMIT, "value nested too deeply");
	jk = classify(c, j, &s, &len, numbuf);
	if (jk == J_BAD)
		return tfv__fail(&c->w, TF_E_INVALID, "invalid JSON token");
	if (jk == J_NULL) {
		*out = tf_value_null(t);
		return *out ? TF_OK : nomem(c);
	}
	switch (k) {
	case TF_T_DYNAMIC: return jdec_dynamic(c, j, depth, out);
	case TF_T_BOOL:
		if (jk == J_BOOL)
			*out = tf_value_bool(json_is_true(j));
		else if (jk == J_STR && len == 4 && memcmp(s, "true", 4) == 0)
			*out = tf_value_bool(true);
		else if (jk == J_STR && len == 5 && memcmp(s, "false", 5) == 0)
			*out = tf_value_bool(false);
		else
			break;
		return *out ? TF_OK : nomem(c);
	case TF_T_NUMBER:
		if (jk != J_NUM && jk != J_STR)
			break;
		return jdec_number(c, jk, s, len, out);
	case TF_T_STRING:
		if (jk == J_NUM && c->prefixed && !tfv__json_number_ok(s, len))
			return tfv__fail(&c->w, TF_E_INVALID,
					 "malformed number");
		if (jk == J_BOOL) {
			s = json_is_true(j) ? "true" : "false";
			len = strlen(s);
		} else if (jk != J_STR && jk != J_NUM) {
			break;
		}
		*out = tf_value_string_n(s, len);
		return *out ? TF_OK : nomem(c);
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_TUPLE:
		if (jk != J_ARR)
			break;
		return jdec_seq(c, j, t, depth, out);
	case TF_T_MAP:
		if (jk != J_OBJ)
			break;
		return jdec_map(c, j, t, depth, out);
	case TF_T_OBJECT:
		if (jk != J_OBJ)
			break;
		return jdec_object(c, j, t, depth, out);
	}
	return tfv__fail(&c->w, TF_E_INVALID, "expected %s, got %s",
			 tft__kind_name(tf_type_kind_of(t)), jkind_name(jk));
}

int tf_json_decode_tree(const json_t *j, tf_type *type, int lenient_objects,
			tf_value **out, char *err, size_t errlen)
{
	struct jctx c = {
		.lenient = lenient_objects,
		.w = { .err = err, .errlen = errlen, .render = render }
	};
	tf_value *v = NULL;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!j || !type || !out)
		return tfv__fail(&c.w, TF_E_INVALID, "invalid arguments");
	rc = jdec(&c, j, type, 0, &v);
	if (rc)
		return rc;
	*out = v;
	return TF_OK;
}

int tf_json_decode(const char *buf, size_t len, tf_type *type,
		   int lenient_objects, tf_value **out, char *err,
		   size_t errlen)
{
	struct jctx c = {
		.prefixed = 1,
		.lenient = lenient_objects,
		.w = { .err = err, .errlen = errlen, .render = render }
	};
	char *text = NULL;
	size_t tlen = 0;
	json_error_t je;
	json_t *j;
	tf_value *v = NULL;
	int rc;

	if ((rc = tfv__decode_begin(&c.w, buf, len, type, out)))
		return rc;
	rc = rewrite(buf ? buf : "", len, &text, &tlen);
	if (rc == TF_E_LIMIT)
		return tfv__fail(&c.w, rc, "JSON nested more than %d levels",
				 JSON_MAX_NEST);
	if (rc)
		return nomem(&c);
	j = json_loadb(text, tlen,
		       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
			       JSON_ALLOW_NUL,
		       &je);
	free(text);
	if (!j) {
		if (json_error_code(&je) == json_error_out_of_memory)
			return nomem(&c);
		/* positions refer to the rewritten text: report only the kind */
		return tfv__fail(&c.w, TF_E_INVALID, "malformed JSON");
	}
	rc = jdec(&c, j, type, 0, &v);
	json_decref(j);
	if (rc)
		return rc;
	*out = v;
	return TF_OK;
}

/* ---- encoding ---------------------------------------------------------- */

static int jenc(tfv__buf *b, const tf_value *v, tf_type *decl, int depth);

static int jenc_dynamic(tfv__buf *b, const tf_value *v, int depth)
{
	char *tj;
	int rc;

	tfv__buf_str(b, "{\"value\":");
	rc = jenc(b, v, tf_value_type(v), depth + 1);
	if (rc)
		return rc;
	tj = tf_type_to_json(tf_value_type(v));
	if (!tj)
		return TF_E_NOMEM;
	tfv__buf_str(b, ",\"type\":");
	tfv__buf_str(b, tj);
	tfv__buf_str(b, "}");
	free(tj);
	return TF_OK;
}

static int jenc_string(tfv__buf *b, const char *s, size_t len)
{
	if (!tfv__utf8_valid(s, len))
		return TF_E_INVALID;
	tfv__buf_json_string(b, s, len);
	return TF_OK;
}

static int jenc(tfv__buf *b, const tf_value *v, tf_type *decl, int depth)
{
	tf_type_kind k = tf_type_kind_of(decl);
	size_t i, n;
	double d;
	int rc;

	if (depth > 4 * TF_MAX_DEPTH)
		return TF_E_LIMIT;
	if (k == TF_T_DYNAMIC &&
	    tf_type_kind_of(tf_value_type(v)) != TF_T_DYNAMIC)
		return jenc_dynamic(b, v, depth);
	if (tf_value_is_unknown(v))
		return TF_E_INVALID; /* JSON cannot carry unknowns */
	if (tf_value_is_null(v)) {
		tfv__buf_str(b, "null");
		return TF_OK;
	}
	if (tf_type_kind_of(tf_value_type(v)) != k)
		return TF_E_INVALID;
	n = tf_value_len(v);
	switch (k) {
	case TF_T_BOOL:
		tfv__buf_str(b, tf_value_get_bool(v) ? "true" : "false");
		return TF_OK;
	case TF_T_NUMBER:
		if (tfv__num_kind(v, NULL, &d) == TFV_NUM_DOUBLE && isinf(d))
			return TF_E_INVALID; /* JSON has no infinity */
		tfv__buf_str(b, tf_value_number_text(v));
		return TF_OK;
	case TF_T_STRING:
		return jenc_string(b, tf_value_get_string(v),
				   tf_value_string_len(v));
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_TUPLE:
		if (k == TF_T_TUPLE && n != tf_type_tuple_len(decl))
			return TF_E_INVALID;
		tfv__buf_str(b, "[");
		for (i = 0; i < n; i++) {
			if (i)
				tfv__buf_str(b, ",");
			rc = jenc(b, tf_value_index(v, i),
				  tf_type_seq_elem(decl, i), depth + 1);
			if (rc)
				return rc;
		}
		tfv__buf_str(b, "]");
		return TF_OK;
	case TF_T_MAP:
	case TF_T_OBJECT:
		if (k == TF_T_OBJECT && n != tf_type_attr_count(decl))
			return TF_E_INVALID;
		tfv__buf_str(b, "{");
		for (i = 0; i < n; i++) {
			const char *key = k == TF_T_MAP ?
						  tf_value_map_key(v, i) :
						  tf_type_attr_name(decl, i);

			if (i)
				tfv__buf_str(b, ",");
			rc = jenc_string(b, key, strlen(key));
			if (rc)
				return rc;
			tfv__buf_str(b, ":");
			rc = jenc(b,
				  k == TF_T_MAP ? tf_value_map_value(v, i) :
						  tf_value_index(v, i),
				  k == TF_T_MAP ? tf_type_elem(decl) :
						  tf_type_attr_type(decl, i),
				  depth + 1);
			if (rc)
				return rc;
		}
		tfv__buf_str(b, "}");
		return TF_OK;
	default: return TF_E_INVALID;
	}
}

int tf_json_encode(const tf_value *v, char **out, size_t *outlen)
{
	tfv__buf b = { 0 };
	size_t len = 0;
	char *s;
	int rc;

	if (!v || !out)
		return TF_E_INVALID;
	rc = jenc(&b, v, tf_value_type(v), 0);
	if (rc) {
		tfv__buf_done(&b);
		return rc;
	}
	s = tfv__buf_take(&b, &len);
	if (!s)
		return TF_E_NOMEM;
	*out = s;
	if (outlen)
		*outlen = len;
	return TF_OK;
}

json_t *tf_json_strings(const tf_value *list)
{
	json_t *a = json_array();
	size_t n = tf_value_is_known(list) ? tf_value_len(list) : 0;

	for (size_t i = 0; a && i < n; i++) {
		const char *s = tf_value_get_string(tf_value_index(list, i));

		if (s)
			json_array_append_new(a, json_string(s));
	}
	return a;
}
