/* cty types: the type system of Terraform values.
 *
 * A tf_type is immutable and reference counted (atomically, so a type may be
 * shared between threads). The primitive types are static singletons whose
 * ref/unref are no-ops.
 *
 * Ownership rule (the same as in value.h):
 *   - A function that returns tf_type * returns a NEW reference; the caller
 *     releases it with tf_type_unref().
 *   - A function taking tf_type * BORROWS it; constructors that store a type
 *     take their own reference.
 *   - Accessors named *_at / *_elem / *_attr_type return BORROWED pointers,
 *     valid as long as the parent type is alive. */
#ifndef TF_TYPE_H
#define TF_TYPE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum tf_type_kind {
	TF_T_DYNAMIC = 0, /* "dynamic": the type is carried with the value */
	TF_T_BOOL,
	TF_T_NUMBER,
	TF_T_STRING,
	TF_T_LIST,
	TF_T_SET,
	TF_T_MAP,
	TF_T_OBJECT,
	TF_T_TUPLE,
} tf_type_kind;

typedef struct tf_type tf_type;

/* Static singletons (never NULL, never need unref). */
tf_type *tf_type_bool(void);
tf_type *tf_type_number(void);
tf_type *tf_type_string(void);
tf_type *tf_type_dynamic(void);

/* Collection constructors. Return NULL only on allocation failure. */
tf_type *tf_type_list(tf_type *elem);
tf_type *tf_type_set(tf_type *elem);
tf_type *tf_type_map(tf_type *elem);

/* Object type from n (name, type) pairs. Names are copied; the attribute
 * order is normalised to ascending strcmp order (Terraform sorts keys).
 * Duplicate names: returns NULL. */
tf_type *tf_type_object(size_t n, const char *const *names,
			tf_type *const *types);

/* Tuple type of n element types (copied references). */
tf_type *tf_type_tuple(size_t n, tf_type *const *elems);

tf_type *tf_type_ref(tf_type *t);
void tf_type_unref(tf_type *t); /* NULL-tolerant */

tf_type_kind tf_type_kind_of(const tf_type *t);
bool tf_type_is_primitive(const tf_type *t);  /* bool, number, string */
bool tf_type_is_collection(const tf_type *t); /* list, set, map */

/* list/set/map element type (borrowed); NULL for other kinds. */
tf_type *tf_type_elem(const tf_type *t);

/* Object attributes in sorted order. */
size_t tf_type_attr_count(const tf_type *t);
const char *tf_type_attr_name(const tf_type *t, size_t i);
tf_type *tf_type_attr_type(const tf_type *t, size_t i);
/* Index of attribute `name`, or -1 if absent (binary search). */
long tf_type_attr_index(const tf_type *t, const char *name);

/* Tuple elements. */
size_t tf_type_tuple_len(const tf_type *t);
tf_type *tf_type_tuple_elem(const tf_type *t, size_t i);
/* Declared type of element i of a sequence (borrowed): a tuple's i-th
 * type, a list's or set's element type; NULL for other kinds. */
tf_type *tf_type_seq_elem(const tf_type *t, size_t i);

/* Structural equality (dynamic equals only dynamic). */
bool tf_type_equal(const tf_type *a, const tf_type *b);

/* Type JSON as used in schemas and in the dynamic encoding:
 * "string", ["list","string"], ["object",{"a":"number"}], ...
 * tf_type_to_json returns a malloc'd NUL-terminated string (caller frees),
 * or NULL on allocation failure. */
char *tf_type_to_json(const tf_type *t);

/* Parse type JSON. Returns TF_OK and a new reference in *out, or
 * TF_E_INVALID / TF_E_LIMIT / TF_E_NOMEM. The optional third element of an
 * ["object", {...}, [optional names]] constraint is accepted and ignored. */
int tf_type_from_json(const char *buf, size_t len, tf_type **out);

#endif
