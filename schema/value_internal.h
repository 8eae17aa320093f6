/* Internals shared by type.c, value.c, msgpack.c and json.c. Not part of the
 * public API: only files of schema/'s value layer include this.
 *
 * Naming: tft__ (types), tfv__ (values), following the `mod__name` convention
 * for cross-file internals. */
#ifndef TF_VALUE_INTERNAL_H
#define TF_VALUE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "type.h"
#include "value.h"

/* ---- types ----------------------------------------------------------- */

/* Total order on types (kind, then structure); 0 iff tf_type_equal. */
int tft__cmp(const tf_type *a, const tf_type *b);

/* Build a type from a parsed type-JSON tree. When `prefixed` is set, every
 * JSON string (and object key) carries a one-byte 's' tag in front of its
 * text (the number-preserving rewrite done by json.c) and any other string is
 * rejected. `depth` is the nesting already consumed. */
int tft__from_tree(const json_t *j, int prefixed, int depth, tf_type **out);

/* ---- numbers --------------------------------------------------------- */

/* A known number is held in exactly one canonical representation, so two
 * numbers are numerically equal iff representation and payload are equal:
 *   INT     integral and fits int64
 *   DOUBLE  not INT, but exactly a finite double, or +-Inf
 *   DECIMAL anything else; the payload is the canonical decimal text. */
enum tfv_num_kind {
	TFV_NUM_INT = 1,
	TFV_NUM_DOUBLE = 2,
	TFV_NUM_DECIMAL = 3,
};

/* Representation of a known number; 0 if v is not a known number. */
int tfv__num_kind(const tf_value *v, int64_t *i, double *d);

/* Strict JSON number grammar check (RFC 8259). */
bool tfv__json_number_ok(const char *s, size_t len);

/* Number from text of exactly `len` bytes (decimal syntax as accepted by
 * tf_value_decimal). NULL on malformed text or allocation failure; *bad is
 * set when the text was malformed. */
tf_value *tfv__decimal_n(const char *s, size_t len, bool *bad);

/* Strict UTF-8 validation (no overlongs, surrogates or > U+10FFFF). */
bool tfv__utf8_valid(const char *s, size_t len);

/* ---- bulk constructors used by the decoders ---------------------------- */

/* Known list/set/tuple of type `t` from `n` elements. Takes ownership of the
 * malloc'd array `items` and of every element (also on failure). Elements
 * must already conform (decoders validate). Sets are put in canonical order
 * and wholly known duplicates are merged. NULL only on allocation failure. */
tf_value *tfv__seq_from(tf_type *t, tf_value **items, size_t n);

/* Known object of type `t`; `items` has tf_type_attr_count(t) elements in
 * attribute order. Ownership as tfv__seq_from. */
tf_value *tfv__object_from(tf_type *t, tf_value **items);

/* Known map of type `t`. Takes ownership of the malloc'd arrays and of every
 * key (malloc'd, NUL-terminated) and value. Keys are sorted; for duplicate
 * keys the LAST occurrence wins (like go-cty). */
tf_value *tfv__map_from(tf_type *t, char **keys, tf_value **vals, size_t n);

/* Total order on values consistent with tf_value_equal (0 iff equal). */
int tfv__cmp(const tf_value *a, const tf_value *b);

/* ---- growable string buffer ------------------------------------------ */

typedef struct tfv__buf {
	char *p;
	size_t len, cap;
	bool oom; /* sticky: an append failed */
} tfv__buf;

void tfv__buf_add(tfv__buf *b, const void *s, size_t n);
void tfv__buf_str(tfv__buf *b, const char *s);
void tfv__buf_printf(tfv__buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* JSON string literal (quotes included); non-ASCII passed through. */
void tfv__buf_json_string(tfv__buf *b, const char *s, size_t n);
/* Hand out the NUL-terminated contents (caller frees), or NULL after an
 * allocation failure. The buffer is reset either way. */
char *tfv__buf_take(tfv__buf *b, size_t *len);
void tfv__buf_done(tfv__buf *b);

#endif
