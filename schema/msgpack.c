/* Terraform's msgpack value encoding (DynamicValue.msgpack), on msgpack-c.
 *
 * Decoding runs in three steps:
 *  1. prescan(): a bounds-only walk over the msgpack headers (no values are
 *     built). msgpack-c's C unpacker allocates `count * sizeof(object)` as
 *     soon as it sees an array/map header, so a 5-byte "array of 4 billion"
 *     would make it allocate ~100 GB; it also has a fixed 32-level container
 *     stack. prescan() rejects any container whose declared count exceeds the
 *     bytes left (each element takes at least one byte) or TF_MAX_ELEMS, any
 *     nesting beyond MP_MAX_NEST, truncated items and trailing bytes. After
 *     it, msgpack-c's allocations are bounded by a small multiple of len.
 *  2. msgpack_unpack_next() builds the msgpack_object tree.
 *  3. dec_value() walks the tree against the expected type.
 *
 * Sets: duplicates on input are accepted; wholly known duplicates merge
 * (Terraform's sets have no duplicates), unknown-containing elements are
 * all kept. Maps: for a duplicated key the last entry wins (as go-cty). */
#include "codec.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "tf_err.h"
#include "value_internal.h"

/* msgpack-c (MSGPACK_EMBED_STACK_SIZE, compiled into libmsgpackc) cannot
 * nest containers deeper than this; it is below TF_MAX_DEPTH. */
#define MP_MAX_NEST 32
/* Terraform refuses longer refinement payloads; cty caps prefixes at 256. */
#define MAX_PREFIX 256
#define EXT_UNKNOWN 0
#define EXT_REFINED 12

enum {
	REF_NULLNESS = 1,
	REF_PREFIX = 2,
	REF_LOWER = 3,
	REF_UPPER = 4,
	REF_LEN_MIN = 5,
	REF_LEN_MAX = 6,
};

/* ---- step 1: bounds pre-scan ------------------------------------------ */

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Check that buf holds exactly one well-framed msgpack object within the
 * bounds described above. Returns TF_OK, TF_E_INVALID or TF_E_LIMIT. */
/* What a msgpack type byte announces: `skip` bytes that follow it; or a
 * length in the next `lenbytes` big-endian bytes (added to skip, or for a
 * container its element count); or, for a fix container, `count`
 * elements (a map's pairs counted as two). */
struct mp_head {
	uint64_t count, skip;
	size_t lenbytes;
	bool container;
};

/* A table in switch form: one case per type byte. */
static int classify(uint8_t c, struct mp_head *h)
{
	memset(h, 0, sizeof(*h));
	if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
		return TF_OK;
	if (c >= 0x80 && c <= 0x8f) {
		h->container = true;
		h->count = 2ull * (c & 0x0f);
		return TF_OK;
	}
	if (c >= 0x90 && c <= 0x9f) {
		h->container = true;
		h->count = c & 0x0f;
		return TF_OK;
	}
	if (c >= 0xa0 && c <= 0xbf) {
		h->skip = c & 0x1f;
		return TF_OK;
	}
	switch (c) {
	case 0xc4:
	case 0xd9: h->lenbytes = 1; break; /* bin8 str8 */
	case 0xc5:
	case 0xda: h->lenbytes = 2; break;
	case 0xc6:
	case 0xdb: h->lenbytes = 4; break;
	case 0xc7:
		h->lenbytes = 1;
		h->skip = 1;
		break; /* ext8 + type */
	case 0xc8:
		h->lenbytes = 2;
		h->skip = 1;
		break;
	case 0xc9:
		h->lenbytes = 4;
		h->skip = 1;
		break;
	case 0xca: h->skip = 4; break;
	case 0xcb: h->skip = 8; break;
	case 0xcc:
	case 0xd0: h->skip = 1; break;
	case 0xcd:
	case 0xd1: h->skip = 2; break;
	case 0xce:
	case 0xd2: h->skip = 4; break;
	case 0xcf:
	case 0xd3: h->skip = 8; break;
	case 0xd4: h->skip = 2; break; /* fixext */
	case 0xd5: h->skip = 3; break;
	case 0xd6: h->skip = 5; break;
	case 0xd7: h->skip = 9; break;
	case 0xd8: h->skip = 17; break;
	case 0xdc:
	case 0xde:
		h->container = true;
		h->lenbytes = 2;
		break;
	case 0xdd:
	case 0xdf:
		h->container = true;
		h->lenbytes = 4;
		break;
	default: return TF_E_INVALID; /* 0xc1 never used */
	}
	return TF_OK;
}

static int prescan(const uint8_t *buf, size_t len)
{
	uint64_t pending[MP_MAX_NEST + 1];
	size_t off = 0;
	int top = 0;

	pending[0] = 1; /* the root object */
	while (top >= 0) {
		struct mp_head h;
		uint8_t c;

		if (pending[top] == 0) {
			top--;
			continue;
		}
		pending[top]--;
		if (off >= len)
			return TF_E_INVALID;
		c = buf[off++];
		if (classify(c, &h) != TF_OK)
			return TF_E_INVALID;
		if (h.lenbytes) {
			uint64_t n;

			if (len - off < h.lenbytes)
				return TF_E_INVALID;
			n = be(buf + off, h.lenbytes);
			off += h.lenbytes;
			if (h.container)
				h.count = c >= 0xde ? 2 * n : n;
			else
				h.skip += n;
		}
		if (!h.container) {
			if (h.skip > len - off)
				return TF_E_INVALID;
			off += (size_t)h.skip;
			continue;
		}
		if (h.count > 2ull * TF_MAX_ELEMS)
			return TF_E_LIMIT;
		if (h.count > len - off)
			return TF_E_INVALID;
		if (h.count == 0)
			continue;
		if (top + 1 > MP_MAX_NEST)
			return TF_E_LIMIT;
		pending[++top] = h.count;
	}
	return off == len ? TF_OK : TF_E_INVALID;
}

/* Run prescan + msgpack-c on buf; on success `u` holds the tree. */
static int unpack(const uint8_t *buf, size_t len, msgpack_unpacked *u)
{
	msgpack_unpack_return r;
	size_t off = 0;
	int rc;

	if (len == 0)
		return TF_E_INVALID;
	rc = prescan(buf, len);
	if (rc)
		return rc;
	msgpack_unpacked_init(u);
	r = msgpack_unpack_next(u, (const char *)buf, len, &off);
	if (r == MSGPACK_UNPACK_SUCCESS && off == len)
		return TF_OK;
	msgpack_unpacked_destroy(u);
	return r == MSGPACK_UNPACK_NOMEM_ERROR ? TF_E_NOMEM : TF_E_INVALID;
}

/* ---- step 3: typed decoding ------------------------------------------- */

struct dctx {
	tfv__where w;
};

/* "attribute \"a.b[key][0]" (or "element \"..." when the path does not
 * start at an attribute): keys in brackets, cut at 64 bytes, with
 * unprintable bytes and quotes as '?'. */
static void render(tfv__buf *b, const tfv__step *path, int n)
{
	tfv__buf_str(b, path[0].kind == TFV__STEP_ATTR ? "attribute \"" :
							 "element \"");
	for (int i = 0; i < n; i++) {
		const tfv__step *s = &path[i];

		if (s->kind == TFV__STEP_ATTR) {
			if (i)
				tfv__buf_str(b, ".");
			tfv__buf_str(b, s->s);
		} else if (s->kind == TFV__STEP_KEY) {
			size_t k, m = s->len < 64 ? s->len : 64;

			tfv__buf_str(b, "[");
			for (k = 0; k < m; k++) {
				char ch = s->s[k];

				tfv__buf_add(b,
					     ch >= 0x20 && ch < 0x7f &&
							     ch != '"' ?
						     &ch :
						     "?",
					     1);
			}
			tfv__buf_str(b, m < s->len ? "...]" : "]");
		} else {
			tfv__buf_printf(b, "[%zu]", s->idx);
		}
	}
}

static int nomem(struct dctx *c)
{
	return tfv__fail(&c->w, TF_E_NOMEM, "out of memory");
}

static const char *mp_name(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: return "nil";
	case MSGPACK_OBJECT_BOOLEAN: return "bool";
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "integer";
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: return "float";
	case MSGPACK_OBJECT_STR: return "str";
	case MSGPACK_OBJECT_ARRAY: return "array";
	case MSGPACK_OBJECT_MAP: return "map";
	case MSGPACK_OBJECT_BIN: return "bin";
	case MSGPACK_OBJECT_EXT: return "ext";
	}
	return "?";
}

static int mismatch(struct dctx *c, const msgpack_object *o, tf_type *t)
{
	return tfv__fail(&c->w, TF_E_INVALID, "expected %s, got msgpack %s",
			 tft__kind_name(tf_type_kind_of(t)), mp_name(o));
}

/* str or bin payload (never a NULL pointer: msgpack-c uses NULL for an
 * empty body). */
static bool str_of(const msgpack_object *o, const char **s, size_t *len)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		*s = o->via.str.ptr;
		*len = o->via.str.size;
	} else if (o->type == MSGPACK_OBJECT_BIN) {
		*s = o->via.bin.ptr;
		*len = o->via.bin.size;
	} else {
		return false;
	}
	if (!*s)
		*s = "";
	return true;
}

static int dec_value(struct dctx *c, const msgpack_object *o, tf_type *t,
		     int depth, tf_value **out);

static int dec_number(struct dctx *c, const msgpack_object *o, tf_value **out)
{
	char buf[32];
	const char *s;
	size_t len;
	tf_value *v;
	bool bad = false;

	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 <= INT64_MAX) {
			v = tf_value_int((int64_t)o->via.u64);
		} else {
			snprintf(buf, sizeof(buf), "%" PRIu64, o->via.u64);
			v = tfv__decimal_n(buf, strlen(buf), &bad);
		}
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v = tf_value_int(o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (isnan(o->via.f64))
			return tfv__fail(&c->w, TF_E_INVALID,
					 "NaN is not a valid number");
		v = tf_value_double(o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		str_of(o, &s, &len);
		v = tfv__decimal_n(s, len, &bad);
		break;
	default: return mismatch(c, o, tf_type_number());
	}
	if (!v)
		return bad ? tfv__fail(&c->w, TF_E_INVALID,
				       "malformed number") :
			     nomem(c);
	*out = v;
	return TF_OK;
}

/* Parse the ext 12 payload into r (owned parts: prefix, lower, upper). */
#define REF_MALFORMED 1 /* a refinement entry of the wrong shape */

/* A number bound [value] or [value, inclusive]. */
static int dec_bound(struct dctx *c, const msgpack_object *v, tf_value **bound,
		     bool *inclusive)
{
	if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size < 1 ||
	    v->via.array.size > 2)
		return REF_MALFORMED;
	if (v->via.array.size == 2 &&
	    v->via.array.ptr[1].type != MSGPACK_OBJECT_BOOLEAN)
		return REF_MALFORMED;
	tf_value_unref(*bound);
	*bound = NULL;
	*inclusive = v->via.array.size == 2 && v->via.array.ptr[1].via.boolean;
	return dec_number(c, &v->via.array.ptr[0], bound);
}

/* A length bound: a non-negative int64. */
static int dec_len(const msgpack_object *v, bool *has, int64_t *n)
{
	if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    v->via.u64 > INT64_MAX)
		return REF_MALFORMED;
	*has = true;
	*n = (int64_t)v->via.u64;
	return TF_OK;
}

/* One entry of the refinements map (unknown keys are ignored). Returns
 * TF_OK, REF_MALFORMED, or a failure already recorded with tfv__fail(). */
static int dec_refine_entry(struct dctx *c, uint64_t key,
			    const msgpack_object *v, tf_refinement *r)
{
	const char *s;
	size_t slen;

	switch (key) {
	case REF_NULLNESS:
		if (v->type != MSGPACK_OBJECT_BOOLEAN)
			return REF_MALFORMED;
		r->has_nullness = true;
		r->not_null = !v->via.boolean;
		return TF_OK;
	case REF_PREFIX:
		if (!str_of(v, &s, &slen))
			return REF_MALFORMED;
		free(r->prefix);
		r->prefix = strndup(s, slen); /* stops at a NUL */
		return r->prefix ? TF_OK : nomem(c);
	case REF_LOWER: return dec_bound(c, v, &r->lower, &r->lower_inclusive);
	case REF_UPPER: return dec_bound(c, v, &r->upper, &r->upper_inclusive);
	case REF_LEN_MIN: return dec_len(v, &r->has_len_min, &r->len_min);
	case REF_LEN_MAX: return dec_len(v, &r->has_len_max, &r->len_max);
	default: return TF_OK;
	}
}

static int dec_refinement(struct dctx *c, const char *p, size_t len,
			  tf_refinement *r)
{
	msgpack_unpacked u;
	const msgpack_object *m;
	int rc;

	rc = unpack((const uint8_t *)p, len, &u);
	if (rc)
		return tfv__fail(&c->w, rc,
				 "malformed unknown-value refinements");
	m = &u.data;
	if (m->type != MSGPACK_OBJECT_MAP) {
		rc = tfv__fail(&c->w, TF_E_INVALID,
			       "unknown-value refinements must be a map");
		goto out;
	}
	for (size_t i = 0; rc == TF_OK && i < m->via.map.size; i++) {
		const msgpack_object *k = &m->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			rc = dec_refine_entry(c, k->via.u64,
					      &m->via.map.ptr[i].val, r);
	}
	if (rc == REF_MALFORMED)
		rc = tfv__fail(&c->w, TF_E_INVALID,
			       "malformed unknown-value refinements");
out:
	msgpack_unpacked_destroy(&u);
	return rc;
}

static int dec_unknown(struct dctx *c, const msgpack_object *o, tf_type *t,
		       tf_value **out)
{
	tf_refinement r = { 0 };
	tf_value *v;
	int rc;

	if (o->via.ext.type != EXT_REFINED || o->via.ext.size == 0) {
		v = tf_value_unknown(t);
	} else {
		rc = dec_refinement(c, o->via.ext.ptr, o->via.ext.size, &r);
		v = rc ? NULL : tf_value_unknown_refined(t, &r);
		free(r.prefix);
		tf_value_unref(r.lower);
		tf_value_unref(r.upper);
		if (rc)
			return rc;
	}
	if (!v)
		return nomem(c);
	*out = v;
	return TF_OK;
}

static int dec_dynamic(struct dctx *c, const msgpack_object *o, int depth,
		       tf_value **out)
{
	const char *s;
	size_t len;
	tf_type *t;
	int rc;

	if (o->type == MSGPACK_OBJECT_NIL) {
		*out = tf_value_null(tf_type_dynamic());
		return *out ? TF_OK : nomem(c);
	}
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2 ||
	    !str_of(&o->via.array.ptr[0], &s, &len))
		return tfv__fail(
			&c->w, TF_E_INVALID,
			"dynamic value must be [type JSON, value], got msgpack %s",
			mp_name(o));
	rc = tf_type_from_json(s, len, &t);
	if (rc)
		return tfv__fail(&c->w, rc,
				 "invalid type JSON in dynamic value");
	rc = dec_value(c, &o->via.array.ptr[1], t, depth + 1, out);
	tf_type_unref(t);
	return rc;
}

/* tfv__elem_fn over a msgpack array. */
struct mseq {
	struct dctx *c;
	const msgpack_object *o;
};

static int dec_elem(void *ctx, size_t i, tf_type *et, int depth, tf_value **out)
{
	struct mseq *s = ctx;

	return dec_value(s->c, &s->o->via.array.ptr[i], et, depth, out);
}

static int dec_seq(struct dctx *c, const msgpack_object *o, tf_type *t,
		   int depth, tf_value **out)
{
	struct mseq s = { c, o };

	if (o->type != MSGPACK_OBJECT_ARRAY)
		return mismatch(c, o, t);
	return tfv__decode_seq(&c->w, t, o->via.array.size, dec_elem, &s, depth,
			       out);
}

/* A map key: a str or bin payload holding UTF-8 text without NULs. */
static int map_key(struct dctx *c, const msgpack_object *key, const char **s,
		   size_t *len)
{
	if (!str_of(key, s, len))
		return tfv__fail(&c->w, TF_E_INVALID,
				 "map key must be a string, got msgpack %s",
				 mp_name(key));
	if (memchr(*s, '\0', *len) || !tfv__utf8_valid(*s, *len))
		return tfv__fail(&c->w, TF_E_INVALID,
				 "map key is not valid UTF-8 text");
	return TF_OK;
}

static int dec_map(struct dctx *c, const msgpack_object *o, tf_type *t,
		   int depth, tf_value **out)
{
	tfv__coll col;
	size_t n;
	int rc;

	if (o->type != MSGPACK_OBJECT_MAP)
		return mismatch(c, o, t);
	n = o->via.map.size;
	rc = tfv__coll_init(&col, n, true) ? nomem(c) : TF_OK;
	for (size_t i = 0; rc == TF_OK && i < n; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];
		tf_value *v = NULL;
		const char *s = NULL;
		size_t len = 0;

		if ((rc = map_key(c, &kv->key, &s, &len)))
			break;
		tfv__where_push(&c->w, TFV__STEP_KEY, s, len, 0);
		rc = dec_value(c, &kv->val, tf_type_elem(t), depth + 1, &v);
		tfv__where_pop(&c->w);
		if (rc == TF_OK && tfv__coll_add(&col, v, s, len))
			rc = nomem(c);
	}
	return tfv__coll_finish(&c->w, &col, t, rc, out);
}

static int dec_object(struct dctx *c, const msgpack_object *o, tf_type *t,
		      int depth, tf_value **out)
{
	size_t n = tf_type_attr_count(t);
	tfv__coll col;
	int rc;

	if (o->type != MSGPACK_OBJECT_MAP)
		return mismatch(c, o, t);
	rc = tfv__coll_slots(&col, n) ? nomem(c) : TF_OK;
	for (size_t i = 0; rc == TF_OK && i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];
		const char *s;
		size_t len;
		long idx;

		if (!str_of(&kv->key, &s, &len)) {
			rc = tfv__fail(
				&c->w, TF_E_INVALID,
				"object key must be a string, got msgpack %s",
				mp_name(&kv->key));
			break;
		}
		idx = tft__attr_index_n(t, s, len);
		if (idx < 0) {
			rc = tfv__fail(&c->w, TF_E_INVALID,
				       "unsupported attribute \"%.*s\"",
				       (int)(len < 64 ? len : 64), s);
			break;
		}
		if (col.vals[idx]) {
			rc = tfv__fail(&c->w, TF_E_INVALID,
				       "duplicate attribute \"%s\"",
				       tf_type_attr_name(t, (size_t)idx));
			break;
		}
		tfv__where_push(&c->w, TFV__STEP_ATTR,
				tf_type_attr_name(t, (size_t)idx), 0, 0);
		rc = dec_value(c, &kv->val, tf_type_attr_type(t, (size_t)idx),
			       depth + 1, &col.vals[idx]);
		tfv__where_pop(&c->w);
	}
	for (size_t i = 0; rc == TF_OK && i < n; i++)
		if (!col.vals[i])
			rc = tfv__fail(
				&c->w, TF_E_INVALID,
				"missing attribute \"%s\" (an object with %zu attributes is required, %" PRIu32
				" given)",
				tf_type_attr_name(t, i), n, o->via.map.size);
	return tfv__coll_finish(&c->w, &col, t, rc, out);
}

static int dec_value(struct dctx *c, const msgpack_object *o, tf_type *t,
		     int depth, tf_value **out)
{
	const char *s;
	size_t len;

	if (depth > TF_MAX_DEPTH)
		return tfv__fail(&c->w, TF_E_LIMIT, "value nested too deeply");
	if (o->type == MSGPACK_OBJECT_EXT)
		return dec_unknown(c, o, t, out);
	if (tf_type_kind_of(t) == TF_T_DYNAMIC)
		return dec_dynamic(c, o, depth, out);
	if (o->type == MSGPACK_OBJECT_NIL) {
		*out = tf_value_null(t);
		return *out ? TF_OK : nomem(c);
	}
	switch (tf_type_kind_of(t)) {
	case TF_T_BOOL:
		if (o->type != MSGPACK_OBJECT_BOOLEAN)
			return mismatch(c, o, t);
		*out = tf_value_bool(o->via.boolean);
		break;
	case TF_T_NUMBER: return dec_number(c, o, out);
	case TF_T_STRING:
		if (!str_of(o, &s, &len))
			return mismatch(c, o, t);
		if (!tfv__utf8_valid(s, len))
			return tfv__fail(&c->w, TF_E_INVALID,
					 "string is not valid UTF-8");
		*out = tf_value_string_n(s, len);
		break;
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_TUPLE: return dec_seq(c, o, t, depth, out);
	case TF_T_MAP: return dec_map(c, o, t, depth, out);
	case TF_T_OBJECT: return dec_object(c, o, t, depth, out);
	default: return mismatch(c, o, t);
	}
	return *out ? TF_OK : nomem(c);
}

int tf_msgpack_decode(const uint8_t *buf, size_t len, tf_type *type,
		      tf_value **out, char *err, size_t errlen)
{
	struct dctx c = {
		.w = { .err = err, .errlen = errlen, .render = render }
	};
	msgpack_unpacked u;
	tf_value *v = NULL;
	int rc;

	if ((rc = tfv__decode_begin(&c.w, buf, len, type, out)))
		return rc;
	rc = unpack(buf, len, &u);
	if (rc == TF_E_LIMIT)
		return tfv__fail(
			&c.w, rc,
			"msgpack nesting or element count exceeds limits");
	if (rc == TF_E_NOMEM)
		return tfv__fail(&c.w, rc, "out of memory");
	if (rc)
		return tfv__fail(&c.w, rc, "malformed or truncated msgpack");
	rc = dec_value(&c, &u.data, type, 0, &v);
	msgpack_unpacked_destroy(&u);
	if (rc)
		return rc;
	*out = v;
	return TF_OK;
}

/* ---- encoding ---------------------------------------------------------- */

#define CK(x)                                                                  \
	do {                                                                   \
		if ((x) != 0)                                                  \
			return TF_E_NOMEM;                                     \
	} while (0)

static int enc_value(msgpack_packer *pk, const tf_value *v, tf_type *decl,
		     int depth);

static int enc_number(msgpack_packer *pk, const tf_value *v)
{
	const char *text;
	int64_t i;
	double d;

	switch (tfv__num_kind(v, &i, &d)) {
	case TFV_NUM_INT: CK(msgpack_pack_int64(pk, i)); return TF_OK;
	case TFV_NUM_DOUBLE: CK(msgpack_pack_double(pk, d)); return TF_OK;
	case TFV_NUM_DECIMAL:
		text = tf_value_number_text(v);
		CK(msgpack_pack_str_with_body(pk, text, strlen(text)));
		return TF_OK;
	default: return TF_E_INVALID;
	}
}

static int enc_refinements(msgpack_packer *pk, const tf_refinement *r)
{
	size_t plen = r->prefix ? strlen(r->prefix) : 0;
	size_t n = 0;

	if (plen > MAX_PREFIX) {
		/* cut on a UTF-8 character boundary */
		plen = MAX_PREFIX;
		while (plen > 0 &&
		       ((unsigned char)r->prefix[plen] & 0xc0) == 0x80)
			plen--;
	}
	n = (size_t)r->has_nullness + (plen > 0) + (r->lower != NULL) +
	    (r->upper != NULL) + (size_t)r->has_len_min +
	    (size_t)r->has_len_max;
	CK(msgpack_pack_map(pk, n));
	if (r->has_nullness) {
		CK(msgpack_pack_int(pk, REF_NULLNESS));
		CK(r->not_null ? msgpack_pack_false(pk) :
				 msgpack_pack_true(pk));
	}
	if (plen > 0) {
		CK(msgpack_pack_int(pk, REF_PREFIX));
		CK(msgpack_pack_str_with_body(pk, r->prefix, plen));
	}
	if (r->lower) {
		CK(msgpack_pack_int(pk, REF_LOWER));
		CK(msgpack_pack_array(pk, 2));
		CK(enc_number(pk, r->lower));
		CK(r->lower_inclusive ? msgpack_pack_true(pk) :
					msgpack_pack_false(pk));
	}
	if (r->upper) {
		CK(msgpack_pack_int(pk, REF_UPPER));
		CK(msgpack_pack_array(pk, 2));
		CK(enc_number(pk, r->upper));
		CK(r->upper_inclusive ? msgpack_pack_true(pk) :
					msgpack_pack_false(pk));
	}
	if (r->has_len_min) {
		CK(msgpack_pack_int(pk, REF_LEN_MIN));
		CK(msgpack_pack_int64(pk, r->len_min));
	}
	if (r->has_len_max) {
		CK(msgpack_pack_int(pk, REF_LEN_MAX));
		CK(msgpack_pack_int64(pk, r->len_max));
	}
	return n ? TF_OK : TF_E_NOTFOUND;
}

static int enc_unknown(msgpack_packer *pk, const tf_value *v)
{
	const tf_refinement *r = tf_value_refinement(v);
	msgpack_sbuffer sb;
	msgpack_packer sub;
	int rc = TF_E_NOTFOUND;

	if (r) {
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&sub, &sb, msgpack_sbuffer_write);
		rc = enc_refinements(&sub, r);
		if (rc == TF_OK) {
			if (msgpack_pack_ext(pk, sb.size, EXT_REFINED) ||
			    msgpack_pack_ext_body(pk, sb.data, sb.size))
				rc = TF_E_NOMEM;
		}
		msgpack_sbuffer_destroy(&sb);
		if (rc != TF_E_NOTFOUND)
			return rc;
	}
	/* plain unknown: fixext1 type 0, d4 00 00 */
	CK(msgpack_pack_ext(pk, 1, EXT_UNKNOWN));
	CK(msgpack_pack_ext_body(pk, "", 1));
	return TF_OK;
}

static int enc_dynamic(msgpack_packer *pk, const tf_value *v, int depth)
{
	char *json = tf_type_to_json(tf_value_type(v));
	int rc;

	if (!json)
		return TF_E_NOMEM;
	rc = msgpack_pack_array(pk, 2) ||
			     msgpack_pack_bin_with_body(pk, json,
							strlen(json)) ?
		     TF_E_NOMEM :
		     TF_OK;
	free(json);
	if (rc)
		return rc;
	return enc_value(pk, v, tf_value_type(v), depth + 1);
}

static int enc_value(msgpack_packer *pk, const tf_value *v, tf_type *decl,
		     int depth)
{
	tf_type_kind k = tf_type_kind_of(decl);
	const char *s;
	size_t i, n;
	int rc;

	if (depth > 4 * TF_MAX_DEPTH)
		return TF_E_LIMIT;
	if (k == TF_T_DYNAMIC &&
	    tf_type_kind_of(tf_value_type(v)) != TF_T_DYNAMIC)
		return enc_dynamic(pk, v, depth);
	if (tf_value_is_unknown(v))
		return enc_unknown(pk, v);
	if (tf_value_is_null(v)) {
		CK(msgpack_pack_nil(pk));
		return TF_OK;
	}
	if (tf_type_kind_of(tf_value_type(v)) != k)
		return TF_E_INVALID;
	n = tf_value_len(v);
	switch (k) {
	case TF_T_BOOL:
		CK(tf_value_get_bool(v) ? msgpack_pack_true(pk) :
					  msgpack_pack_false(pk));
		return TF_OK;
	case TF_T_NUMBER: return enc_number(pk, v);
	case TF_T_STRING:
		s = tf_value_get_string(v);
		CK(msgpack_pack_str_with_body(pk, s, tf_value_string_len(v)));
		return TF_OK;
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_TUPLE:
		if (k == TF_T_TUPLE && n != tf_type_tuple_len(decl))
			return TF_E_INVALID;
		CK(msgpack_pack_array(pk, n));
		for (i = 0; i < n; i++) {
			rc = enc_value(pk, tf_value_index(v, i),
				       tf_type_seq_elem(decl, i), depth + 1);
			if (rc)
				return rc;
		}
		return TF_OK;
	case TF_T_MAP:
		CK(msgpack_pack_map(pk, n));
		for (i = 0; i < n; i++) {
			s = tf_value_map_key(v, i);
			CK(msgpack_pack_str_with_body(pk, s, strlen(s)));
			rc = enc_value(pk, tf_value_map_value(v, i),
				       tf_type_elem(decl), depth + 1);
			if (rc)
				return rc;
		}
		return TF_OK;
	case TF_T_OBJECT:
		if (n != tf_type_attr_count(decl))
			return TF_E_INVALID;
		CK(msgpack_pack_map(pk, n));
		for (i = 0; i < n; i++) {
			s = tf_type_attr_name(decl, i);
			CK(msgpack_pack_str_with_body(pk, s, strlen(s)));
			rc = enc_value(pk, tf_value_index(v, i),
				       tf_type_attr_type(decl, i), depth + 1);
			if (rc)
				return rc;
		}
		return TF_OK;
	default: return TF_E_INVALID;
	}
}

int tf_msgpack_encode_as(const tf_value *v, tf_type *type, uint8_t **out,
			 size_t *outlen)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	if (!v || !type || !out || !outlen)
		return TF_E_INVALID;
	if (!tf_value_conforms(v, type))
		return TF_E_TYPE;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	rc = enc_value(&pk, v, type, 0);
	if (rc) {
		msgpack_sbuffer_destroy(&sb);
		return rc;
	}
	*outlen = sb.size;
	*out = (uint8_t *)msgpack_sbuffer_release(&sb);
	return TF_OK;
}

int tf_msgpack_encode(const tf_value *v, uint8_t **out, size_t *outlen)
{
	if (!v)
		return TF_E_INVALID;
	return tf_msgpack_encode_as(v, tf_value_type(v), out, outlen);
}
