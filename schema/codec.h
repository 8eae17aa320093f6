/* Wire codecs for tf_value: Terraform's msgpack encoding (DynamicValue) and
 * JSON encoding (RawState, DynamicValue.json).
 *
 * All decoders treat input as hostile: they enforce TF_MAX_DEPTH,
 * TF_MAX_INPUT and TF_MAX_ELEMS, never read past `len`, and validate every
 * value against the expected type.
 *
 * Return codes: TF_OK, TF_E_INVALID (malformed / type mismatch), TF_E_LIMIT,
 * TF_E_NOMEM. On failure *out is untouched and, when err is non-NULL, a
 * NUL-terminated message (at most errlen bytes, including the NUL) describes
 * the problem, e.g. "attribute \"name\": expected string". */
#ifndef TF_CODEC_H
#define TF_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "value.h"

/* Decode msgpack `buf` as a value of type `type`.
 * - nil -> null; ext type 0 (any payload <= 1 byte) -> plain unknown;
 *   ext type 12 -> refined unknown (keys 1..6, unknown keys ignored);
 *   any other ext -> plain unknown.
 * - objects must contain exactly the attributes of the type (missing or extra
 *   keys are errors); map keys are strings.
 * - numbers: any msgpack int (incl. uint64), float32/64, or str holding a
 *   decimal. Dynamic: [bin|str type JSON, value], or bare nil / ext.
 * - trailing bytes after the value are an error. */
int tf_msgpack_decode(const uint8_t *buf, size_t len, tf_type *type,
		      tf_value **out, char *err, size_t errlen);

/* Encode `v` as msgpack per Terraform's wire format: object attributes in
 * sorted order, ints in the smallest form, non-integral numbers as float64
 * when exact else as decimal str, unknown as fixext1 type 0 (d4 00 00) or
 * ext 12 with refinements, dynamic-typed values as [type JSON bin, value].
 * Returns TF_OK with a malloc'd buffer in *out / *outlen (caller frees). */
int tf_msgpack_encode(const tf_value *v, uint8_t **out, size_t *outlen);
/* Same, encoding `v` as a value of the declared type `type` (v must conform).
 * Needed when the declared type is dynamic at the top level (e.g. a function
 * result): tf_msgpack_encode uses v's own type, so it never emits the
 * [type JSON, value] wrapper at the top. */
int tf_msgpack_encode_as(const tf_value *v, tf_type *type, uint8_t **out,
			 size_t *outlen);

/* Decode Terraform's JSON value encoding (no unknowns possible).
 * `lenient_objects`: for state upgrade, missing object attributes decode as
 * null and unknown attributes are dropped; otherwise both are errors.
 * Dynamic values are {"value": ..., "type": <type JSON>}. Numbers are parsed
 * from their text with full precision. */
int tf_json_decode(const char *buf, size_t len, tf_type *type,
		   int lenient_objects, tf_value **out, char *err,
		   size_t errlen);
/* Same from an already-parsed jansson tree (borrowed). Note: jansson parses
 * numbers as int64/double; use tf_json_decode for full precision. */
int tf_json_decode_tree(const json_t *j, tf_type *type, int lenient_objects,
			tf_value **out, char *err, size_t errlen);

/* Encode a wholly known value as compact JSON (malloc'd, NUL-terminated).
 * Unknown values anywhere: TF_E_INVALID. */
int tf_json_encode(const tf_value *v, char **out, size_t *outlen);

/* The string elements of a list or set as a new JSON array (null, unknown:
 * empty; non-string elements skipped). NULL when out of memory. */
json_t *tf_json_strings(const tf_value *list);

#endif
