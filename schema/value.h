/* cty values: what Terraform sends and receives for configs, plans and states.
 *
 * A tf_value always carries its tf_type. It is null, unknown (optionally with
 * refinements) or known. Known collections and objects may contain null and
 * unknown values at any depth.
 *
 * OWNERSHIP RULE (stated once, never broken):
 *   - Every function returning tf_value * returns a NEW reference; the caller
 *     releases it with tf_value_unref(). NULL is returned only on allocation
 *     failure or where a function documents it (lookups).
 *   - Every tf_value * argument is BORROWED, except parameters named
 *     `take` / `take_*`, whose reference is CONSUMED (also on failure).
 *   - Accessors (tf_value_attr, tf_value_index, tf_value_map_get, ...) return
 *     BORROWED pointers valid while the parent is alive.
 *
 * MUTATION: values are immutable once shared. The builder functions
 * (tf_value_object_set, tf_value_list_append, tf_value_map_set) may only be
 * used on a value whose reference count is 1 (the caller just created it or
 * obtained it with tf_value_mut()); they abort() otherwise, since violating
 * this is a programming error.
 *
 * Refcounts are atomic: a finished value may be read from several threads. */
#ifndef TF_VALUE_H
#define TF_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "type.h"

typedef struct tf_value tf_value;

typedef enum tf_value_state {
	TF_V_NULL = 0,
	TF_V_UNKNOWN,
	TF_V_KNOWN,
} tf_value_state;

/* Refinements of an unknown value (msgpack extension 12). Only the fields
 * flagged `has_*` carry information. Number bounds are kept as number values
 * (owned by the refinement, may be NULL). */
typedef struct tf_refinement {
	bool has_nullness;
	bool not_null;   /* meaningful when has_nullness */
	char *prefix;    /* string prefix, malloc'd, or NULL */
	tf_value *lower; /* number lower bound or NULL */
	bool lower_inclusive;
	tf_value *upper; /* number upper bound or NULL */
	bool upper_inclusive;
	bool has_len_min;
	int64_t len_min; /* collection length lower bound */
	bool has_len_max;
	int64_t len_max;
} tf_refinement;

/* ---- constructors ---------------------------------------------------- */

tf_value *tf_value_null(tf_type *t);
tf_value *tf_value_unknown(tf_type *t);
/* Refined unknown; `r` is deep-copied. A refinement with no information
 * yields a plain unknown. */
tf_value *tf_value_unknown_refined(tf_type *t, const tf_refinement *r);

tf_value *tf_value_bool(bool b);
tf_value *tf_value_string(const char *s); /* NUL-terminated UTF-8 */
tf_value *tf_value_string_n(const char *s, size_t len);
tf_value *tf_value_int(int64_t n);
tf_value *tf_value_double(double d); /* also +-Inf; NaN: NULL */
/* Arbitrary-precision decimal text, e.g. "1e400" or "0.1"; validated.
 * Returns NULL on malformed text. Integral values that fit int64 are
 * normalised to the int representation (values exactly equal to a double,
 * e.g. "0.5", to the double one). Also accepts "Inf"/"-Inf". */
tf_value *tf_value_decimal(const char *text);

/* Empty known collections of the given collection TYPE (not element type).
 * Fill with the builders below. */
tf_value *tf_value_list_new(tf_type *list_type);
tf_value *tf_value_set_new(tf_type *set_type);
tf_value *tf_value_map_new(tf_type *map_type);
tf_value *tf_value_tuple_new(tf_type *tuple_type); /* elements start null */
/* Known object of `obj_type` with every attribute null. */
tf_value *tf_value_object_new(tf_type *obj_type);

/* Builders (refcount must be 1, see MUTATION). Return TF_OK or TF_E_TYPE when
 * the element's type does not conform (the element reference is consumed
 * either way). Elements of a dynamic-element collection may have any type.
 * Also: TF_E_NOTFOUND (no such attribute), TF_E_INVALID (tuple index out of
 * range, NULL key), TF_E_LIMIT (TF_MAX_ELEMS), TF_E_NOMEM (also for a NULL
 * `take`). Sets keep their elements in canonical order (tf_value_index order
 * is not insertion order) and merge wholly known duplicates. */
int tf_value_list_append(tf_value *list_or_set, tf_value *take);
int tf_value_map_set(tf_value *map, const char *key,
		     tf_value *take); /* replaces */
int tf_value_object_set(tf_value *obj, const char *name, tf_value *take);
int tf_value_tuple_set(tf_value *tuple, size_t i, tf_value *take);

/* Returns a value the caller may mutate: `take` itself if its refcount is 1,
 * otherwise a shallow copy (children shared) and `take` is released. */
tf_value *tf_value_mut(tf_value *take);

tf_value *tf_value_ref(tf_value *v);
void tf_value_unref(tf_value *v); /* NULL-tolerant */
/* For scope-bound cleanup (provider/util/cleanup.h):
 * _cleanup_(tf_value_unrefp) tf_value *v = NULL; */
static inline void tf_value_unrefp(tf_value **p)
{
	tf_value_unref(*p);
}

/* ---- inspection ------------------------------------------------------- */

tf_type *tf_value_type(const tf_value *v); /* borrowed */
tf_value_state tf_value_state_of(const tf_value *v);
bool tf_value_is_null(const tf_value *v);
bool tf_value_is_unknown(const tf_value *v);
/* Neither null nor unknown. NULL (an absent attribute or map element, as
 * tf_value_attr / tf_value_map_get return) counts as not known. */
bool tf_value_is_known(const tf_value *v);
bool tf_value_is_wholly_known(const tf_value *v); /* no unknown at any depth */
/* Refinement of an unknown value (borrowed), or NULL if plain/not unknown. */
const tf_refinement *tf_value_refinement(const tf_value *v);

bool tf_value_get_bool(const tf_value *v); /* false unless known bool */
/* Known string contents (NUL-terminated; may contain NULs, see _len) or NULL
 * if v is not a known string. */
const char *tf_value_get_string(const tf_value *v);
size_t tf_value_string_len(const tf_value *v);
/* Numbers: TF_OK if v is a known number exactly representable as int64. */
int tf_value_get_int(const tf_value *v, int64_t *out);
/* Nearest double of a known number (NaN if not a number). */
double tf_value_get_double(const tf_value *v);
/* Canonical decimal text of a known number (borrowed, lives with v):
 * "5", "-0.25", "0.0000001", "1e-8", "1e+400"; a double's exact expansion;
 * "+Inf"/"-Inf". */
const char *tf_value_number_text(const tf_value *v);

/* Length of a known list/set/map/tuple/object (object: attribute count);
 * 0 for null/unknown/primitive. */
size_t tf_value_len(const tf_value *v);
/* Element i of a known list/set/tuple, or attribute i of an object. */
tf_value *tf_value_index(const tf_value *v, size_t i);
/* Map entries, sorted by key. */
const char *tf_value_map_key(const tf_value *v, size_t i);
tf_value *tf_value_map_value(const tf_value *v, size_t i);
tf_value *tf_value_map_get(const tf_value *v,
			   const char *key); /* NULL if absent */
/* Object attribute by name; NULL if v is not a known object or lacks it. */
tf_value *tf_value_attr(const tf_value *v, const char *name);

/* Convenience for resource code: attribute string or NULL if the attribute
 * is null/unknown/absent. */
const char *tf_value_attr_string(const tf_value *obj, const char *name);

/* ---- comparison ------------------------------------------------------- */

/* Deep equality: same type, same state; known values equal (sets compare
 * as multisets, numbers by numeric value). Two unknowns are equal when their
 * types are equal (refinements ignored). */
bool tf_value_equal(const tf_value *a, const tf_value *b);

/* Does `v` conform to type `t`? (Dynamic accepts anything; unknown/null of
 * any conforming type accepted.) */
bool tf_value_conforms(const tf_value *v, const tf_type *t);

/* Debug rendering (HCL-ish, unknown as "(known after apply)"), malloc'd.
 * Sensitive handling is the caller's business: never log secrets. */
char *tf_value_debug_string(const tf_value *v);

#endif
