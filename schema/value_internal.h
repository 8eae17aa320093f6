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

#include "tf_err.h"
#include "type.h"
#include "value.h"

/* ---- types ----------------------------------------------------------- */

/* Total order on types (kind, then structure); 0 iff tf_type_equal. */
int tft__cmp(const tf_type *a, const tf_type *b);
/* The kind's name in Terraform's type JSON ("string", "list", ...). */
const char *tft__kind_name(tf_type_kind k);
/* tf_type_attr_index for a name that is not NUL-terminated (s[0..len)). */
long tft__attr_index_n(const tf_type *t, const char *s, size_t len);

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
/* (declared first: the decoder position below renders into one) */

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

/* ---- decoders (decoding.c) --------------------------------------------- */

/* Where a decoder (json.c, msgpack.c) is inside the value it decodes, so
 * its first (innermost) failure reads `attribute "a.b[0]": message`. The
 * decoder pushes a step entering an attribute, map key or element and
 * pops it leaving; only TF_MAX_DEPTH steps are kept (deeper ones are
 * counted, and the depth limit fails the decode anyway). */
enum { TFV__STEP_ATTR, TFV__STEP_KEY, TFV__STEP_IDX };

typedef struct tfv__step {
	int kind;      /* TFV__STEP_* */
	const char *s; /* attribute name or key (borrowed) */
	size_t len;    /* key length (keys may hold NULs) */
	size_t idx;    /* element index */
} tfv__step;

typedef struct tfv__where {
	char *err; /* the message buffer (may be NULL: none kept) */
	size_t errlen;
	bool failed; /* a failure was recorded: later ones are not */
	/* The decoder's rendering of steps 0..n-1 (n > 0), opening quote
	 * included; the closing `": ` is added after it. */
	void (*render)(tfv__buf *b, const tfv__step *path, int n);
	tfv__step path[TF_MAX_DEPTH + 1];
	int npath;
} tfv__where;

/* A decoder's entry checks: err emptied; arguments present (buf may be
 * NULL only when len is 0); input within TF_MAX_INPUT. */
int tfv__decode_begin(tfv__where *w, const void *buf, size_t len,
		      const tf_type *type, tf_value **out);
void tfv__where_push(tfv__where *w, int kind, const char *s, size_t len,
		     size_t idx);
void tfv__where_pop(tfv__where *w);
/* Record the message (the first failure only) and return rc. */
int tfv__fail(tfv__where *w, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The elements of a list, set, tuple or map being decoded, collected in
 * order (with their keys, for a map), then built into the value at once
 * or released. */
typedef struct tfv__coll {
	tf_value **vals;
	char **keys; /* NULL unless keyed (a map) */
	size_t got;
} tfv__coll;

/* Room for n elements (keyed: with keys). TF_OK or TF_E_NOMEM (then
 * release with tfv__coll_done). */
int tfv__coll_init(tfv__coll *c, size_t n, bool keyed);
/* An object's attributes instead: n slots, NULL until the decoder sets
 * vals[i] (a NULL left at build time is the caller's to prevent). */
int tfv__coll_slots(tfv__coll *c, size_t n);
/* Append `take` (and, keyed, a copy of key[0..keylen)). TF_E_NOMEM, or
 * TF_E_INVALID for a keyed collection without a key: `take` was released. */
int tfv__coll_add(tfv__coll *c, tf_value *take, const char *key, size_t keylen);
/* The value of type t (tfv__seq_from / tfv__map_from), NULL when out of
 * memory; either way the collection is emptied. */
tf_value *tfv__coll_build(tfv__coll *c, tf_type *t);
/* Release what is collected. */
void tfv__coll_done(tfv__coll *c);
/* How a decoder ends a container: rc TF_OK, the value into *out (out of
 * memory is reported at w); otherwise the collection released and rc
 * returned. */
int tfv__coll_finish(tfv__where *w, tfv__coll *col, tf_type *t, int rc,
		     tf_value **out);

/* Decode element i of a sequence as type et into *out (the decoder's own
 * recursion, at depth). TF_OK or a TF_E_* code recorded at w. */
typedef int (*tfv__elem_fn)(void *ctx, size_t i, tf_type *et, int depth,
			    tf_value **out);
/* A list, set or tuple of type t with n elements, each decoded by elem
 * (at depth + 1) with its position in the error path: a tuple of another
 * length is TF_E_INVALID. The value into *out, or a TF_E_* code. */
int tfv__decode_seq(tfv__where *w, tf_type *t, size_t n, tfv__elem_fn elem,
		    void *ctx, int depth, tf_value **out);

#endif
