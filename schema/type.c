/* cty types: construction, comparison and type JSON. */
#include "type.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tf_err.h"
#include "value_internal.h"

struct tf_type {
	atomic_size_t refs;
	bool is_static; /* singleton: ref/unref are no-ops */
	tf_type_kind kind;
	tf_type *elem;   /* list/set/map */
	size_t n;        /* object attributes / tuple elements */
	char **names;    /* object: sorted attribute names */
	tf_type **types; /* object attribute types / tuple element types */
};

static tf_type t_dynamic = { .is_static = true, .kind = TF_T_DYNAMIC };
static tf_type t_bool = { .is_static = true, .kind = TF_T_BOOL };
static tf_type t_number = { .is_static = true, .kind = TF_T_NUMBER };
static tf_type t_string = { .is_static = true, .kind = TF_T_STRING };

tf_type *tf_type_bool(void)
{
	return &t_bool;
}
tf_type *tf_type_number(void)
{
	return &t_number;
}
tf_type *tf_type_string(void)
{
	return &t_string;
}
tf_type *tf_type_dynamic(void)
{
	return &t_dynamic;
}

static tf_type *type_alloc(tf_type_kind kind)
{
	tf_type *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	atomic_init(&t->refs, 1);
	t->kind = kind;
	return t;
}

static tf_type *collection(tf_type_kind kind, tf_type *elem)
{
	tf_type *t;

	if (!elem)
		return NULL;
	t = type_alloc(kind);
	if (!t)
		return NULL;
	t->elem = tf_type_ref(elem);
	return t;
}

tf_type *tf_type_list(tf_type *elem)
{
	return collection(TF_T_LIST, elem);
}
tf_type *tf_type_set(tf_type *elem)
{
	return collection(TF_T_SET, elem);
}
tf_type *tf_type_map(tf_type *elem)
{
	return collection(TF_T_MAP, elem);
}

struct name_type {
	const char *name;
	tf_type *type;
};

static int cmp_name_type(const void *a, const void *b)
{
	return strcmp(((const struct name_type *)a)->name,
		      ((const struct name_type *)b)->name);
}

tf_type *tf_type_object(size_t n, const char *const *names,
			tf_type *const *types)
{
	struct name_type *pairs = NULL;
	tf_type *t = NULL;
	size_t i;

	if (n > 0) {
		pairs = calloc(n, sizeof(*pairs));
		if (!pairs)
			return NULL;
		for (i = 0; i < n; i++) {
			if (!names[i] || !types[i])
				goto fail;
			pairs[i].name = names[i];
			pairs[i].type = types[i];
		}
		qsort(pairs, n, sizeof(*pairs), cmp_name_type);
		for (i = 1; i < n; i++)
			if (strcmp(pairs[i - 1].name, pairs[i].name) == 0)
				goto fail;
	}
	t = type_alloc(TF_T_OBJECT);
	if (!t)
		goto fail;
	if (n > 0) {
		t->names = calloc(n, sizeof(*t->names));
		t->types = calloc(n, sizeof(*t->types));
		if (!t->names || !t->types)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		t->names[i] = strdup(pairs[i].name);
		if (!t->names[i])
			goto fail;
		t->types[i] = tf_type_ref(pairs[i].type);
		t->n = i + 1;
	}
	free(pairs);
	return t;
fail:
	free(pairs);
	tf_type_unref(t); /* releases the t->n attributes set so far */
	return NULL;
}

tf_type *tf_type_tuple(size_t n, tf_type *const *elems)
{
	tf_type *t = type_alloc(TF_T_TUPLE);
	size_t i;

	if (!t)
		return NULL;
	if (n > 0) {
		t->types = calloc(n, sizeof(*t->types));
		if (!t->types)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		if (!elems[i])
			goto fail;
		t->types[i] = tf_type_ref(elems[i]);
		t->n = i + 1;
	}
	return t;
fail:
	tf_type_unref(t);
	return NULL;
}

tf_type *tf_type_ref(tf_type *t)
{
	if (t && !t->is_static)
		atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

void tf_type_unref(tf_type *t)
{
	size_t i;

	if (!t || t->is_static)
		return;
	if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
		return;
	tf_type_unref(t->elem);
	for (i = 0; i < t->n; i++) {
		if (t->names)
			free(t->names[i]);
		tf_type_unref(t->types[i]);
	}
	free(t->names);
	free(t->types);
	free(t);
}

tf_type_kind tf_type_kind_of(const tf_type *t)
{
	return t->kind;
}

bool tf_type_is_primitive(const tf_type *t)
{
	return t->kind == TF_T_BOOL || t->kind == TF_T_NUMBER ||
	       t->kind == TF_T_STRING;
}

bool tf_type_is_collection(const tf_type *t)
{
	return t->kind == TF_T_LIST || t->kind == TF_T_SET ||
	       t->kind == TF_T_MAP;
}

tf_type *tf_type_elem(const tf_type *t)
{
	return tf_type_is_collection(t) ? t->elem : NULL;
}

size_t tf_type_attr_count(const tf_type *t)
{
	return t->kind == TF_T_OBJECT ? t->n : 0;
}

const char *tf_type_attr_name(const tf_type *t, size_t i)
{
	return t->kind == TF_T_OBJECT && i < t->n ? t->names[i] : NULL;
}

tf_type *tf_type_attr_type(const tf_type *t, size_t i)
{
	return t->kind == TF_T_OBJECT && i < t->n ? t->types[i] : NULL;
}

long tft__attr_index_n(const tf_type *t, const char *s, size_t len)
{
	size_t lo = 0, hi = t->kind == TF_T_OBJECT ? t->n : 0;

	/* Binary search: names are sorted (byte order, as strcmp). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		size_t nl = strlen(t->names[mid]), m = nl < len ? nl : len;
		int c = memcmp(s, t->names[mid], m);

		if (c == 0)
			c = len < nl ? -1 : len > nl;
		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

long tf_type_attr_index(const tf_type *t, const char *name)
{
	return name ? tft__attr_index_n(t, name, strlen(name)) : -1;
}

size_t tf_type_tuple_len(const tf_type *t)
{
	return t->kind == TF_T_TUPLE ? t->n : 0;
}

tf_type *tf_type_tuple_elem(const tf_type *t, size_t i)
{
	return t->kind == TF_T_TUPLE && i < t->n ? t->types[i] : NULL;
}

tf_type *tf_type_seq_elem(const tf_type *t, size_t i)
{
	if (t->kind == TF_T_TUPLE)
		return tf_type_tuple_elem(t, i);
	return t->kind == TF_T_LIST || t->kind == TF_T_SET ? t->elem : NULL;
}

int tft__cmp(const tf_type *a, const tf_type *b)
{
	size_t i;
	int c;

	if (a == b)
		return 0;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	switch (a->kind) {
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_MAP: return tft__cmp(a->elem, b->elem);
	case TF_T_OBJECT:
	case TF_T_TUPLE:
		if (a->n != b->n)
			return a->n < b->n ? -1 : 1;
		for (i = 0; i < a->n; i++) {
			if (a->kind == TF_T_OBJECT) {
				c = strcmp(a->names[i], b->names[i]);
				if (c)
					return c < 0 ? -1 : 1;
			}
			c = tft__cmp(a->types[i], b->types[i]);
			if (c)
				return c;
		}
		return 0;
	default: return 0;
	}
}

bool tf_type_equal(const tf_type *a, const tf_type *b)
{
	if (!a || !b)
		return a == b;
	return tft__cmp(a, b) == 0;
}

/* ---- type JSON ------------------------------------------------------- */

static const char *const kind_names[] = {
	[TF_T_DYNAMIC] = "dynamic", [TF_T_BOOL] = "bool",
	[TF_T_NUMBER] = "number",   [TF_T_STRING] = "string",
	[TF_T_LIST] = "list",       [TF_T_SET] = "set",
	[TF_T_MAP] = "map",         [TF_T_OBJECT] = "object",
	[TF_T_TUPLE] = "tuple",
};

const char *tft__kind_name(tf_type_kind k)
{
	return (size_t)k < sizeof(kind_names) / sizeof(kind_names[0]) ?
		       kind_names[k] :
		       "?";
}

/* New jansson tree for t, or NULL on allocation failure (or an attribute
 * name that is not valid UTF-8, which jansson refuses). */
static json_t *type_tree(const tf_type *t)
{
	json_t *arr, *sub = NULL;
	size_t i;

	if (tf_type_is_primitive(t) || t->kind == TF_T_DYNAMIC)
		return json_string(tft__kind_name(t->kind));
	arr = json_array();
	if (!arr ||
	    json_array_append_new(arr, json_string(tft__kind_name(t->kind))))
		goto fail;
	switch (t->kind) {
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_MAP: sub = type_tree(t->elem); break;
	case TF_T_OBJECT:
		sub = json_object();
		for (i = 0; sub && i < t->n; i++)
			if (json_object_set_new(sub, t->names[i],
						type_tree(t->types[i])))
				goto fail;
		break;
	case TF_T_TUPLE:
		sub = json_array();
		for (i = 0; sub && i < t->n; i++)
			if (json_array_append_new(sub, type_tree(t->types[i])))
				goto fail;
		break;
	default: break;
	}
	if (!sub || json_array_append_new(arr, sub)) {
		sub = NULL;
		goto fail;
	}
	return arr;
fail:
	json_decref(sub);
	json_decref(arr);
	return NULL;
}

char *tf_type_to_json(const tf_type *t)
{
	json_t *j = type_tree(t);
	char *s;

	if (!j)
		return NULL;
	/* JSON_SORT_KEYS: attribute order is sorted anyway; be explicit. */
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(j);
	return s;
}

/* Text of a (possibly 's'-tagged) JSON string; NULL if not a proper string. */
static const char *tree_str(const json_t *j, int prefixed)
{
	const char *s;

	if (!json_is_string(j))
		return NULL;
	s = json_string_value(j);
	if (prefixed) {
		if (s[0] != 's')
			return NULL;
		s++;
	}
	return s;
}

static int from_tree(const json_t *j, int prefixed, int depth, tf_type **out);

static int object_from_tree(const json_t *attrs, int prefixed, int depth,
			    tf_type **out)
{
	size_t n = json_object_size(attrs), i = 0;
	const char **names = NULL;
	tf_type **types = NULL;
	const char *key;
	json_t *val;
	tf_type *t;
	int rc = TF_E_NOMEM;

	if (n > TF_MAX_ELEMS)
		return TF_E_LIMIT;
	names = calloc(n ? n : 1, sizeof(*names));
	types = calloc(n ? n : 1, sizeof(*types));
	if (!names || !types)
		goto out;
	json_object_foreach ((json_t *)attrs, key, val) {
		/* never advance `key` itself: jansson finds the iterator from it */
		if (prefixed && key[0] != 's') {
			rc = TF_E_INVALID;
			goto out;
		}
		names[i] = prefixed ? key + 1 : key;
		rc = from_tree(val, prefixed, depth + 1, &types[i]);
		if (rc)
			goto out;
		i++;
	}
	rc = TF_E_NOMEM;
	t = tf_type_object(n, names, types);
	if (t) {
		*out = t;
		rc = TF_OK;
	}
out:
	while (i > 0)
		tf_type_unref(types[--i]);
	free(names);
	free(types);
	return rc;
}

static int tuple_from_tree(const json_t *elems, int prefixed, int depth,
			   tf_type **out)
{
	size_t n = json_array_size(elems), i;
	tf_type **types;
	tf_type *t;
	int rc = TF_OK;

	if (n > TF_MAX_ELEMS)
		return TF_E_LIMIT;
	types = calloc(n ? n : 1, sizeof(*types));
	if (!types)
		return TF_E_NOMEM;
	for (i = 0; i < n; i++) {
		rc = from_tree(json_array_get(elems, i), prefixed, depth + 1,
			       &types[i]);
		if (rc)
			break;
	}
	if (!rc) {
		t = tf_type_tuple(n, types);
		if (t)
			*out = t;
		else
			rc = TF_E_NOMEM;
	}
	while (i > 0)
		tf_type_unref(types[--i]);
	free(types);
	return rc;
}

static int from_tree(const json_t *j, int prefixed, int depth, tf_type **out)
{
	const char *kind;
	const json_t *arg;
	size_t n;
	tf_type *elem, *t;
	int rc;

	if (depth >= TF_MAX_DEPTH)
		return TF_E_LIMIT;
	if (json_is_string(j)) {
		kind = tree_str(j, prefixed);
		if (!kind)
			return TF_E_INVALID;
		if (strcmp(kind, "string") == 0)
			*out = tf_type_string();
		else if (strcmp(kind, "number") == 0)
			*out = tf_type_number();
		else if (strcmp(kind, "bool") == 0)
			*out = tf_type_bool();
		else if (strcmp(kind, "dynamic") == 0)
			*out = tf_type_dynamic();
		else
			return TF_E_INVALID;
		return TF_OK;
	}
	if (!json_is_array(j))
		return TF_E_INVALID;
	n = json_array_size(j);
	kind = tree_str(json_array_get(j, 0), prefixed);
	if (!kind || n < 2)
		return TF_E_INVALID;
	arg = json_array_get(j, 1);
	if (strcmp(kind, "object") == 0) {
		/* Optional third element: optional-attribute names of a type
		 * constraint. Accepted and ignored. */
		if (n > 3 || !json_is_object(arg))
			return TF_E_INVALID;
		return object_from_tree(arg, prefixed, depth, out);
	}
	if (n != 2)
		return TF_E_INVALID;
	if (strcmp(kind, "tuple") == 0) {
		if (!json_is_array(arg))
			return TF_E_INVALID;
		return tuple_from_tree(arg, prefixed, depth, out);
	}
	if (strcmp(kind, "list") && strcmp(kind, "set") && strcmp(kind, "map"))
		return TF_E_INVALID;
	rc = from_tree(arg, prefixed, depth + 1, &elem);
	if (rc)
		return rc;
	if (kind[0] == 'l')
		t = tf_type_list(elem);
	else if (kind[0] == 's')
		t = tf_type_set(elem);
	else
		t = tf_type_map(elem);
	tf_type_unref(elem);
	if (!t)
		return TF_E_NOMEM;
	*out = t;
	return TF_OK;
}

int tft__from_tree(const json_t *j, int prefixed, int depth, tf_type **out)
{
	return from_tree(j, prefixed, depth, out);
}

int tf_type_from_json(const char *buf, size_t len, tf_type **out)
{
	json_error_t e;
	json_t *j;
	int rc;

	if (!buf)
		return TF_E_INVALID;
	if (len > TF_MAX_INPUT)
		return TF_E_LIMIT;
	j = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	if (!j)
		return json_error_code(&e) == json_error_out_of_memory ?
			       TF_E_NOMEM :
			       TF_E_INVALID;
	rc = from_tree(j, 0, 0, out);
	json_decref(j);
	return rc;
}
