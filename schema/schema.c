/* Schema compilation, generic configuration validation and the stock
 * validators.
 *
 * tf_schema_compile() mirrors Terraform's configschema internal_validate.go
 * (the rules in docs "3. Schema") and adds a few rules of our own that keep
 * the generic planner (plan.c) sound:
 *   - FORCE_NEW is refused on computed-only attributes (the planner would
 *     otherwise request a replacement whenever a resource marks the value
 *     unknown);
 *   - WRITE_ONLY attributes may not be computed and may not have a default
 *     (write-only values are planned and stored as null);
 *   - a default must not be JSON null and must satisfy the attribute's own
 *     validator;
 *   - dynamic-typed attributes are refused inside LIST, SET and MAP blocks:
 *     Terraform gives such blocks a tuple/object/dynamic implied type, which
 *     this module does not model (SET is refused by Terraform itself);
 *   - nested block definitions may nest at most TF_MAX_DEPTH levels (this
 *     also catches a block table that refers to itself).
 * Every message names the offending attribute with its dotted path, e.g.
 * `attribute "timeouts.create": ...`. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "schema.h"
#include "tf_err.h"

struct tf_schema {
	const tf_block_def *def;
	int64_t version;
	tf_type *type;         /* implied object type */
	tf_type **attr_types;  /* def->nattrs entries */
	tf_value **defaults;   /* def->nattrs entries, NULL when none */
	tf_schema **blocks;    /* def->nblocks compiled nested blocks */
	tf_type **block_types; /* def->nblocks: object / list / set / map */
	/* def->nattrs entries, NULL for plain attributes: the object schema
	 * of a nested attribute and the block definition it was compiled
	 * from (owned: made from the attribute's tf_nested_attr_def). */
	tf_schema **attr_nested;
	tf_block_def **nested_defs;
};

/* ---- compile ------------------------------------------------------------ */

/* Error reporting during compile: the dotted prefix of the block being
 * compiled plus the caller's buffer. */
typedef struct compile_ctx {
	char *err;
	size_t errlen;
} compile_ctx;

static void cerr(compile_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void cerr(compile_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->err || c->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

/* Terraform's validName: ^[a-z0-9_]+$ */
static bool valid_name(const char *name)
{
	if (!name || !*name)
		return false;
	for (const char *p = name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return false;
	}
	return true;
}

/* Does the type contain "dynamic" anywhere? */
static bool type_has_dynamic(const tf_type *t)
{
	switch (tf_type_kind_of(t)) {
	case TF_T_DYNAMIC: return true;
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_MAP: return type_has_dynamic(tf_type_elem(t));
	case TF_T_OBJECT:
		for (size_t i = 0; i < tf_type_attr_count(t); i++)
			if (type_has_dynamic(tf_type_attr_type(t, i)))
				return true;
		return false;
	case TF_T_TUPLE:
		for (size_t i = 0; i < tf_type_tuple_len(t); i++)
			if (type_has_dynamic(tf_type_tuple_elem(t, i)))
				return true;
		return false;
	default: return false;
	}
}

/* Does one of the attributes, or (recursively) of their nested
 * attributes, carry `flag`? */
static bool attrs_have_flag(const tf_attr_def *attrs, size_t n, unsigned flag)
{
	for (size_t i = 0; i < n; i++) {
		const tf_nested_attr_def *na = attrs[i].nested;

		if ((attrs[i].flags & flag) ||
		    (na && na->attrs &&
		     attrs_have_flag(na->attrs, na->nattrs, flag)))
			return true;
	}
	return false;
}

bool tf_block_has_flag(const tf_block_def *b, unsigned flag)
{
	if (attrs_have_flag(b->attrs, b->nattrs, flag))
		return true;
	for (size_t i = 0; i < b->nblocks; i++)
		if ((b->blocks[i].flags & flag) ||
		    (b->blocks[i].block &&
		     tf_block_has_flag(b->blocks[i].block, flag)))
			return true;
	return false;
}

static const char *nesting_name(tf_nesting n)
{
	static const char *const names[] = {
		[TF_NEST_SINGLE] = "SINGLE", [TF_NEST_LIST] = "LIST",
		[TF_NEST_SET] = "SET",       [TF_NEST_MAP] = "MAP",
		[TF_NEST_GROUP] = "GROUP",
	};

	return n >= TF_NEST_SINGLE && n <= TF_NEST_GROUP ? names[n] : "INVALID";
}

#define KNOWN_ATTR_FLAGS                                                       \
	(TF_REQUIRED | TF_OPTIONAL | TF_COMPUTED | TF_SENSITIVE |              \
	 TF_FORCE_NEW | TF_WRITE_ONLY | TF_DEPRECATED)

/* Check the flag rules of attribute `a`; `where` is its dotted name. */
static int check_attr_flags(compile_ctx *c, const tf_attr_def *a,
			    const char *where)
{
	unsigned f = a->flags;
	bool req = f & TF_REQUIRED, opt = f & TF_OPTIONAL,
	     comp = f & TF_COMPUTED;

	if (f & ~KNOWN_ATTR_FLAGS) {
		cerr(c, "attribute \"%s\": unknown flag bits 0x%x", where,
		     f & ~KNOWN_ATTR_FLAGS);
		return TF_E_INVALID;
	}
	if (req && opt) {
		cerr(c,
		     "attribute \"%s\": cannot set both Required and Optional",
		     where);
		return TF_E_INVALID;
	}
	if (req && comp) {
		cerr(c,
		     "attribute \"%s\": cannot set both Required and Computed",
		     where);
		return TF_E_INVALID;
	}
	if (!req && !opt && !comp) {
		cerr(c,
		     "attribute \"%s\": must set Optional, Required or Computed",
		     where);
		return TF_E_INVALID;
	}
	if ((f & TF_FORCE_NEW) && comp && !opt) {
		cerr(c,
		     "attribute \"%s\": ForceNew cannot be set on a computed-only "
		     "attribute",
		     where);
		return TF_E_INVALID;
	}
	if ((f & TF_WRITE_ONLY) && comp) {
		cerr(c,
		     "attribute \"%s\": WriteOnly attributes cannot be Computed",
		     where);
		return TF_E_INVALID;
	}
	if (a->default_json && !(opt && comp)) {
		cerr(c,
		     "attribute \"%s\": a default requires Optional and Computed",
		     where);
		return TF_E_INVALID;
	}
	return TF_OK;
}

/* Decode and check the default of attribute `a` of type `t`. */
static int compile_default(compile_ctx *c, const tf_attr_def *a, tf_type *t,
			   const char *where, tf_value **out)
{
	char msg[256] = "";
	tf_value *v = NULL;
	tf_diags d = TF_DIAGS_INIT;
	tf_path p = { 0 };
	int rc;

	rc = tf_json_decode(a->default_json, strlen(a->default_json), t, 0, &v,
			    msg, sizeof(msg));
	if (rc == TF_E_NOMEM)
		return rc;
	if (rc != TF_OK) {
		cerr(c, "attribute \"%s\": invalid default %s: %s", where,
		     a->default_json, msg);
		return TF_E_INVALID;
	}
	if (tf_value_is_null(v)) {
		cerr(c, "attribute \"%s\": the default must not be null",
		     where);
		rc = TF_E_INVALID;
		goto cleanup;
	}
	if (a->validate) {
		rc = tf_path_push_attr(&p, a->name);
		if (rc != TF_OK)
			goto cleanup;
		a->validate(v, a->validate_arg, &p, &d);
		if (tf_diags_has_error(&d)) {
			size_t i;

			for (i = 0;
			     i < d.n && d.items[i].severity != TF_DIAG_ERROR;
			     i++)
				;
			cerr(c,
			     "attribute \"%s\": the default %s fails validation: %s",
			     where, a->default_json, d.items[i].detail);
			rc = TF_E_INVALID;
			goto cleanup;
		}
	}
	*out = v;
	v = NULL;
	rc = TF_OK;
cleanup:
	tf_value_unref(v);
	tf_diags_done(&d);
	tf_path_done(&p);
	return rc;
}

static int compile_block(compile_ctx *c, const tf_block_def *def,
			 int64_t version, const char *prefix, int depth,
			 tf_schema **out);

/* Check nested block `nb` of a block; `where` is its dotted name. */
static int check_nested(compile_ctx *c, const tf_nested_block_def *nb,
			const char *where)
{
	if (nb->flags & ~(unsigned)TF_FORCE_NEW) {
		cerr(c,
		     "block \"%s\": only ForceNew may be set on a nested block",
		     where);
		return TF_E_INVALID;
	}
	if (!nb->block) {
		cerr(c, "block \"%s\": no block definition", where);
		return TF_E_INVALID;
	}
	if (nb->min_items < 0 || nb->max_items < 0) {
		cerr(c,
		     "block \"%s\": MinItems and MaxItems must both be greater "
		     "than or equal to zero",
		     where);
		return TF_E_INVALID;
	}
	switch (nb->nesting) {
	case TF_NEST_SINGLE:
		if (nb->min_items != nb->max_items) {
			cerr(c,
			     "block \"%s\": MinItems and MaxItems must match in "
			     "SINGLE mode",
			     where);
			return TF_E_INVALID;
		}
		if (nb->min_items > 1) {
			cerr(c,
			     "block \"%s\": MinItems and MaxItems must be set to "
			     "either 0 or 1 in SINGLE mode",
			     where);
			return TF_E_INVALID;
		}
		break;
	case TF_NEST_GROUP:
		if (nb->min_items || nb->max_items) {
			cerr(c,
			     "block \"%s\": MinItems and MaxItems cannot be used in "
			     "GROUP mode",
			     where);
			return TF_E_INVALID;
		}
		break;
	case TF_NEST_LIST:
	case TF_NEST_SET:
		if (nb->max_items != 0 && nb->min_items > nb->max_items) {
			cerr(c,
			     "block \"%s\": MinItems must be less than or equal to "
			     "MaxItems in %s mode",
			     where, nesting_name(nb->nesting));
			return TF_E_INVALID;
		}
		if (nb->nesting == TF_NEST_SET &&
		    tf_block_has_flag(nb->block, TF_WRITE_ONLY)) {
			cerr(c,
			     "block \"%s\": SET blocks may not contain WriteOnly "
			     "attributes",
			     where);
			return TF_E_INVALID;
		}
		break;
	case TF_NEST_MAP:
		if (nb->min_items || nb->max_items) {
			cerr(c,
			     "block \"%s\": MinItems and MaxItems must both be 0 in "
			     "MAP mode",
			     where);
			return TF_E_INVALID;
		}
		break;
	default:
		cerr(c, "block \"%s\": invalid nesting mode %d", where,
		     (int)nb->nesting);
		return TF_E_INVALID;
	}
	return TF_OK;
}

/* Wrap the element object type of a nested block in its collection type. */
static tf_type *block_wrap_type(tf_nesting n, tf_type *obj)
{
	switch (n) {
	case TF_NEST_LIST: return tf_type_list(obj);
	case TF_NEST_SET: return tf_type_set(obj);
	case TF_NEST_MAP: return tf_type_map(obj);
	default: return tf_type_ref(obj);
	}
}

/* Is `name` already used by an attribute or block before position (ai, bi)? */
static bool name_taken(const tf_block_def *def, const char *name, size_t ai,
		       size_t bi)
{
	for (size_t i = 0; i < ai && i < def->nattrs; i++)
		if (def->attrs[i].name && strcmp(def->attrs[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < bi && i < def->nblocks; i++)
		if (def->blocks[i].type_name &&
		    strcmp(def->blocks[i].type_name, name) == 0)
			return true;
	return false;
}

/* Compile nested attribute i (`a`, named `where`) of `s`: its object
 * schema and its implied type. */
static int compile_nested_attr(compile_ctx *c, const tf_attr_def *a,
			       const char *where, int depth, tf_schema *s,
			       size_t i)
{
	const tf_nested_attr_def *na = a->nested;
	char sub[520];
	tf_block_def *def;
	int rc;

	if (a->type || a->default_json) {
		cerr(c,
		     "attribute \"%s\": a nested attribute has neither a type "
		     "nor a default",
		     where);
		return TF_E_INVALID;
	}
	if (na->nesting < TF_NEST_SINGLE || na->nesting > TF_NEST_MAP ||
	    !na->attrs || !na->nattrs) {
		cerr(c,
		     "attribute \"%s\": a nested attribute needs attributes "
		     "and a nesting mode of SINGLE, LIST, SET or MAP",
		     where);
		return TF_E_INVALID;
	}
	if (attrs_have_flag(na->attrs, na->nattrs,
			    TF_FORCE_NEW | TF_WRITE_ONLY)) {
		cerr(c,
		     "attribute \"%s\": ForceNew and WriteOnly are not "
		     "supported inside a nested attribute; set them on the "
		     "attribute itself",
		     where);
		return TF_E_INVALID;
	}
	def = calloc(1, sizeof(*def));
	if (!def)
		return TF_E_NOMEM;
	def->attrs = na->attrs;
	def->nattrs = na->nattrs;
	def->description = a->description;
	s->nested_defs[i] = def;
	snprintf(sub, sizeof(sub), "%s.", where);
	rc = compile_block(c, def, 0, sub, depth + 1, &s->attr_nested[i]);
	if (rc != TF_OK)
		return rc;
	if (na->nesting != TF_NEST_SINGLE &&
	    type_has_dynamic(s->attr_nested[i]->type)) {
		cerr(c,
		     "attribute \"%s\": %s nested attributes may not contain "
		     "attributes of dynamic type",
		     where, nesting_name(na->nesting));
		return TF_E_INVALID;
	}
	s->attr_types[i] = block_wrap_type(na->nesting,
					   s->attr_nested[i]->type);
	return s->attr_types[i] ? TF_OK : TF_E_NOMEM;
}

static int compile_attrs(compile_ctx *c, const tf_block_def *def,
			 const char *prefix, int depth, tf_schema *s)
{
	char where[512];
	int rc;

	for (size_t i = 0; i < def->nattrs; i++) {
		const tf_attr_def *a = &def->attrs[i];

		snprintf(where, sizeof(where), "%s%s", prefix,
			 a->name ? a->name : "(null)");
		if (!valid_name(a->name)) {
			cerr(c,
			     "attribute \"%s\": name may contain only lowercase "
			     "letters, digits and underscores",
			     where);
			return TF_E_INVALID;
		}
		if (name_taken(def, a->name, i, 0)) {
			cerr(c, "attribute \"%s\": defined more than once",
			     where);
			return TF_E_INVALID;
		}
		rc = check_attr_flags(c, a, where);
		if (rc != TF_OK)
			return rc;
		if (a->nested) {
			rc = compile_nested_attr(c, a, where, depth, s, i);
			if (rc != TF_OK)
				return rc;
			continue;
		}
		if (!a->type) {
			cerr(c, "attribute \"%s\": no type", where);
			return TF_E_INVALID;
		}
		rc = tf_type_from_json(a->type, strlen(a->type),
				       &s->attr_types[i]);
		if (rc == TF_E_NOMEM)
			return rc;
		if (rc != TF_OK) {
			cerr(c, "attribute \"%s\": invalid type JSON %s", where,
			     a->type);
			return TF_E_INVALID;
		}
		if (a->default_json) {
			rc = compile_default(c, a, s->attr_types[i], where,
					     &s->defaults[i]);
			if (rc != TF_OK)
				return rc;
		}
	}
	return TF_OK;
}

static int compile_blocks(compile_ctx *c, const tf_block_def *def,
			  int64_t version, const char *prefix, int depth,
			  tf_schema *s)
{
	char where[512], sub[sizeof(where) + 2];
	int rc;

	for (size_t i = 0; i < def->nblocks; i++) {
		const tf_nested_block_def *nb = &def->blocks[i];

		snprintf(where, sizeof(where), "%s%s", prefix,
			 nb->type_name ? nb->type_name : "(null)");
		if (nb->type_name &&
		    name_taken(def, nb->type_name, def->nattrs, 0)) {
			cerr(c,
			     "block \"%s\": name defined as both attribute and "
			     "child block type",
			     where);
			return TF_E_INVALID;
		}
		if (!valid_name(nb->type_name)) {
			cerr(c,
			     "block \"%s\": name may contain only lowercase "
			     "letters, digits and underscores",
			     where);
			return TF_E_INVALID;
		}
		if (name_taken(def, nb->type_name, 0, i)) {
			cerr(c, "block \"%s\": defined more than once", where);
			return TF_E_INVALID;
		}
		rc = check_nested(c, nb, where);
		if (rc != TF_OK)
			return rc;
		snprintf(sub, sizeof(sub), "%s.", where);
		rc = compile_block(c, nb->block, version, sub, depth + 1,
				   &s->blocks[i]);
		if (rc != TF_OK)
			return rc;
		if (nb->nesting != TF_NEST_SINGLE &&
		    nb->nesting != TF_NEST_GROUP &&
		    type_has_dynamic(s->blocks[i]->type)) {
			cerr(c,
			     "block \"%s\": %s blocks may not contain attributes of "
			     "dynamic type",
			     where, nesting_name(nb->nesting));
			return TF_E_INVALID;
		}
		s->block_types[i] = block_wrap_type(nb->nesting,
						    s->blocks[i]->type);
		if (!s->block_types[i])
			return TF_E_NOMEM;
	}
	return TF_OK;
}

static int compile_block(compile_ctx *c, const tf_block_def *def,
			 int64_t version, const char *prefix, int depth,
			 tf_schema **out)
{
	tf_schema *s = NULL;
	const char **names = NULL;
	tf_type **types = NULL;
	size_t n;
	int rc;

	if (!def) {
		cerr(c, "block \"%s\": no definition", prefix);
		return TF_E_INVALID;
	}
	if (depth > TF_MAX_DEPTH) {
		cerr(c,
		     "block definitions nested more than %d levels deep "
		     "(at \"%.60s...\")",
		     TF_MAX_DEPTH, prefix);
		return TF_E_LIMIT;
	}
	if ((def->nattrs && !def->attrs) || (def->nblocks && !def->blocks)) {
		cerr(c, "block \"%s\": table pointer is NULL", prefix);
		return TF_E_INVALID;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return TF_E_NOMEM;
	s->def = def;
	s->version = version;
	s->attr_types = calloc(def->nattrs ? def->nattrs : 1,
			       sizeof(*s->attr_types));
	s->defaults = calloc(def->nattrs ? def->nattrs : 1,
			     sizeof(*s->defaults));
	s->blocks = calloc(def->nblocks ? def->nblocks : 1, sizeof(*s->blocks));
	s->block_types = calloc(def->nblocks ? def->nblocks : 1,
				sizeof(*s->block_types));
	s->attr_nested = calloc(def->nattrs ? def->nattrs : 1,
				sizeof(*s->attr_nested));
	s->nested_defs = calloc(def->nattrs ? def->nattrs : 1,
				sizeof(*s->nested_defs));
	if (!s->attr_types || !s->defaults || !s->blocks || !s->block_types ||
	    !s->attr_nested || !s->nested_defs) {
		rc = TF_E_NOMEM;
		goto cleanup;
	}
	rc = compile_attrs(c, def, prefix, depth, s);
	if (rc != TF_OK)
		goto cleanup;
	rc = compile_blocks(c, def, version, prefix, depth, s);
	if (rc != TF_OK)
		goto cleanup;

	n = def->nattrs + def->nblocks;
	names = calloc(n ? n : 1, sizeof(*names));
	types = calloc(n ? n : 1, sizeof(*types));
	if (!names || !types) {
		rc = TF_E_NOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < def->nattrs; i++) {
		names[i] = def->attrs[i].name;
		types[i] = s->attr_types[i];
	}
	for (size_t i = 0; i < def->nblocks; i++) {
		names[def->nattrs + i] = def->blocks[i].type_name;
		types[def->nattrs + i] = s->block_types[i];
	}
	s->type = tf_type_object(n, names, (tf_type *const *)types);
	if (!s->type) {
		/* Names were checked for duplicates above. */
		rc = TF_E_NOMEM;
		goto cleanup;
	}
	*out = s;
	s = NULL;
	rc = TF_OK;
cleanup:
	if (rc == TF_E_NOMEM)
		cerr(c, "out of memory compiling schema");
	free(names);
	free(types);
	tf_schema_free(s);
	return rc;
}

int tf_schema_compile(const tf_block_def *def, int64_t version, tf_schema **out,
		      char *err, size_t errlen)
{
	compile_ctx c = { err, errlen };

	if (err && errlen)
		err[0] = '\0';
	if (version < 0) {
		cerr(&c, "schema version must be >= 0, got %lld",
		     (long long)version);
		return TF_E_INVALID;
	}
	return compile_block(&c, def, version, "", 0, out);
}

void tf_schema_free(tf_schema *s)
{
	if (!s)
		return;
	if (s->attr_types) {
		for (size_t i = 0; i < s->def->nattrs; i++)
			tf_type_unref(s->attr_types[i]);
	}
	if (s->defaults) {
		for (size_t i = 0; i < s->def->nattrs; i++)
			tf_value_unref(s->defaults[i]);
	}
	/* A nested attribute's schema before the definition it points to. */
	for (size_t i = 0; s->attr_nested && i < s->def->nattrs; i++)
		tf_schema_free(s->attr_nested[i]);
	for (size_t i = 0; s->nested_defs && i < s->def->nattrs; i++)
		free(s->nested_defs[i]);
	free(s->attr_nested);
	free(s->nested_defs);
	if (s->blocks) {
		for (size_t i = 0; i < s->def->nblocks; i++)
			tf_schema_free(s->blocks[i]);
	}
	if (s->block_types) {
		for (size_t i = 0; i < s->def->nblocks; i++)
			tf_type_unref(s->block_types[i]);
	}
	free(s->attr_types);
	free(s->defaults);
	free(s->blocks);
	free(s->block_types);
	tf_type_unref(s->type);
	free(s);
}

/* ---- accessors ------------------------------------------------------------ */

const tf_block_def *tf_schema_def(const tf_schema *s)
{
	return s->def;
}

int64_t tf_schema_version(const tf_schema *s)
{
	return s->version;
}

tf_type *tf_schema_type(const tf_schema *s)
{
	return s->type;
}

tf_type *tf_schema_attr_type(const tf_schema *s, size_t i)
{
	return i < s->def->nattrs ? s->attr_types[i] : NULL;
}

tf_value *tf_schema_attr_default(const tf_schema *s, size_t i)
{
	return i < s->def->nattrs ? s->defaults[i] : NULL;
}

const tf_schema *tf_schema_block(const tf_schema *s, size_t i)
{
	return i < s->def->nblocks ? s->blocks[i] : NULL;
}

const tf_schema *tf_schema_attr_nested(const tf_schema *s, size_t i)
{
	return i < s->def->nattrs ? s->attr_nested[i] : NULL;
}

long tf_schema_attr_index(const tf_schema *s, const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < s->def->nattrs; i++)
		if (strcmp(s->def->attrs[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* ---- empty object --------------------------------------------------------- */

/* Value of nested block i when the configuration has none of it: null for
 * SINGLE, an empty collection for LIST/SET/MAP, a null-filled object for
 * GROUP (Terraform never sends a null GROUP block). */
static tf_value *empty_block_value(const tf_schema *s, size_t i)
{
	tf_type *bt = s->block_types[i];

	switch (s->def->blocks[i].nesting) {
	case TF_NEST_LIST: return tf_value_list_new(bt);
	case TF_NEST_SET: return tf_value_set_new(bt);
	case TF_NEST_MAP: return tf_value_map_new(bt);
	case TF_NEST_GROUP: return tf_schema_empty_object(s->blocks[i]);
	default: return tf_value_null(bt);
	}
}

tf_value *tf_schema_empty_object(const tf_schema *s)
{
	tf_value *obj = tf_value_object_new(s->type);

	if (!obj)
		return NULL;
	for (size_t i = 0; i < s->def->nblocks; i++) {
		tf_value *b;

		if (s->def->blocks[i].nesting == TF_NEST_SINGLE)
			continue; /* already null */
		b = empty_block_value(s, i);
		if (!b || tf_value_object_set(obj, s->def->blocks[i].type_name,
					      b) != TF_OK) {
			tf_value_unref(obj);
			return NULL;
		}
	}
	return obj;
}

/* ---- generic validation --------------------------------------------------- */

/* Render a path for a message; never NULL. The caller frees. */
static char *path_text(const tf_path *p)
{
	char *s = (p && p->n) ? tf_path_to_string(p) : NULL;

	return s ? s : strdup("this attribute");
}

static void validate_object(const tf_schema *s, const tf_value *obj,
			    tf_path *path, tf_diags *d);

/* Run the nested-block checks of block i of `s` on value `v`. */
static void validate_block(const tf_schema *s, size_t i, const tf_value *v,
			   tf_path *path, tf_diags *d)
{
	const tf_nested_block_def *nb = &s->def->blocks[i];
	const tf_schema *inner = s->blocks[i];
	size_t n;

	if (tf_value_is_unknown(v))
		return;
	switch (nb->nesting) {
	case TF_NEST_SINGLE:
	case TF_NEST_GROUP:
		if (tf_value_is_null(v)) {
			if (nb->nesting == TF_NEST_SINGLE && nb->min_items == 1)
				tf_diags_error(
					d, path, "Missing required block",
					"A \"%s\" block is required here.",
					nb->type_name);
			return;
		}
		validate_object(inner, v, path, d);
		return;
	case TF_NEST_LIST:
	case TF_NEST_SET:
		n = tf_value_len(v);
		/* A set holding unknowns may still collapse: only its upper
		 * bound is certain. */
		if ((int64_t)n < nb->min_items &&
		    (nb->nesting == TF_NEST_LIST ||
		     tf_value_is_wholly_known(v)))
			tf_diags_error(
				d, path, "Insufficient blocks",
				"At least %lld \"%s\" blocks are required, "
				"%zu given.",
				(long long)nb->min_items, nb->type_name, n);
		if (nb->max_items > 0 && (int64_t)n > nb->max_items)
			tf_diags_error(
				d, path, "Too many blocks",
				"No more than %lld \"%s\" blocks are allowed, "
				"%zu given.",
				(long long)nb->max_items, nb->type_name, n);
		for (size_t k = 0; k < n; k++) {
			bool indexed = nb->nesting == TF_NEST_LIST;

			/* Set elements have no addressable key: errors point
			 * at the block itself. */
			if (indexed &&
			    tf_path_push_index(path, (int64_t)k) != TF_OK) {
				tf_diags_error(d, NULL, "Out of memory", "%s",
					       "");
				return;
			}
			validate_object(inner, tf_value_index(v, k), path, d);
			if (indexed)
				tf_path_pop(path);
		}
		return;
	case TF_NEST_MAP:
		n = tf_value_len(v);
		for (size_t k = 0; k < n; k++) {
			if (tf_path_push_key(path, tf_value_map_key(v, k)) !=
			    TF_OK) {
				tf_diags_error(d, NULL, "Out of memory", "%s",
					       "");
				return;
			}
			validate_object(inner, tf_value_map_value(v, k), path,
					d);
			tf_path_pop(path);
		}
		return;
	}
}

/* The objects of a known nested attribute value `v`, each validated as a
 * block of `inner` (required attributes, validators) at its path. */
static void validate_nested(const tf_schema *inner, tf_nesting nesting,
			    const tf_value *v, tf_path *path, tf_diags *d)
{
	size_t n = tf_value_len(v);
	int rc = TF_OK;

	if (nesting == TF_NEST_SINGLE) {
		validate_object(inner, v, path, d);
		return;
	}
	for (size_t k = 0; k < n && rc == TF_OK; k++) {
		/* Set elements have no addressable key: errors point at
		 * the attribute itself. */
		bool step = nesting != TF_NEST_SET;

		if (nesting == TF_NEST_MAP)
			rc = tf_path_push_key(path, tf_value_map_key(v, k));
		else if (step)
			rc = tf_path_push_index(path, (int64_t)k);
		if (rc != TF_OK)
			break;
		validate_object(inner,
				nesting == TF_NEST_MAP ?
					tf_value_map_value(v, k) :
					tf_value_index(v, k),
				path, d);
		if (step)
			tf_path_pop(path);
	}
	if (rc != TF_OK)
		tf_diags_error(d, NULL, "Out of memory", "%s", "");
}

/* Run the validator of attribute `a`. Validators quote the offending value
 * in their details; for a sensitive attribute those details are replaced so
 * that secrets never reach the user's terminal or logs. */
static void run_validator(const tf_attr_def *a, const tf_value *v,
			  tf_path *path, tf_diags *d)
{
	tf_diags tmp = TF_DIAGS_INIT;

	if (!(a->flags & TF_SENSITIVE)) {
		a->validate(v, a->validate_arg, path, d);
		return;
	}
	a->validate(v, a->validate_arg, path, &tmp);
	for (size_t i = 0; i < tmp.n; i++)
		tf_diags_add(
			d, tmp.items[i].severity, &tmp.items[i].path,
			tmp.items[i].summary,
			"The value of the sensitive attribute \"%s\" is not "
			"valid. It is not shown here; check it against the "
			"attribute's documentation.",
			a->name);
	tf_diags_done(&tmp);
}

static void validate_object(const tf_schema *s, const tf_value *obj,
			    tf_path *path, tf_diags *d)
{
	if (!tf_value_is_known(obj))
		return;
	for (size_t i = 0; i < s->def->nattrs; i++) {
		const tf_attr_def *a = &s->def->attrs[i];
		tf_value *v = tf_value_attr(obj, a->name);

		if (!v)
			continue;
		if (tf_path_push_attr(path, a->name) != TF_OK) {
			tf_diags_error(d, NULL, "Out of memory", "%s", "");
			return;
		}
		if ((a->flags & TF_REQUIRED) && tf_value_is_null(v))
			tf_diags_error(d, path, "Missing required argument",
				       "The argument \"%s\" is required, but no "
				       "definition was found.",
				       a->name);
		else if ((a->flags & (TF_COMPUTED | TF_OPTIONAL)) ==
				 TF_COMPUTED &&
			 !tf_value_is_null(v))
			tf_diags_error(
				d, path, "Value for unconfigurable attribute",
				"Can't configure a value for \"%s\": its value "
				"will be decided automatically based on the "
				"result of applying this configuration.",
				a->name);
		else if (a->validate && tf_value_is_known(v))
			run_validator(a, v, path, d);
		if (s->attr_nested[i] && tf_value_is_known(v))
			validate_nested(s->attr_nested[i], a->nested->nesting,
					v, path, d);
		tf_path_pop(path);
	}
	for (size_t i = 0; i < s->def->nblocks; i++) {
		tf_value *v = tf_value_attr(obj, s->def->blocks[i].type_name);

		if (!v)
			continue;
		if (tf_path_push_attr(path, s->def->blocks[i].type_name) !=
		    TF_OK) {
			tf_diags_error(d, NULL, "Out of memory", "%s", "");
			return;
		}
		validate_block(s, i, v, path, d);
		tf_path_pop(path);
	}
}

void tf_schema_validate(const tf_schema *s, const tf_value *config, tf_diags *d)
{
	tf_path path = { 0 };

	if (!config || !tf_value_is_known(config))
		return;
	if (!tf_value_conforms(config, s->type)) {
		tf_diags_error(d, NULL, "Invalid configuration",
			       "The configuration does not match the schema of "
			       "this object. This is a bug in the provider.");
		return;
	}
	validate_object(s, config, &path, d);
	tf_path_done(&path);
}

/* ---- stock validators ----------------------------------------------------- */

/* Append `s` to a growing message buffer; on failure the buffer is freed
 * and set to NULL (later appends are no-ops). */
static void buf_append(char **buf, size_t *len, const char *s)
{
	size_t n;
	char *nb;

	if (!*buf)
		return;
	n = strlen(s);
	nb = realloc(*buf, *len + n + 1);
	if (!nb) {
		free(*buf);
		*buf = NULL;
		return;
	}
	memcpy(nb + *len, s, n + 1);
	*buf = nb;
	*len += n;
}

/* Text of a primitive value for comparison and messages, or NULL. */
static const char *primitive_text(const tf_value *v)
{
	switch (tf_type_kind_of(tf_value_type(v))) {
	case TF_T_STRING: return tf_value_get_string(v);
	case TF_T_NUMBER: return tf_value_number_text(v);
	case TF_T_BOOL: return tf_value_get_bool(v) ? "true" : "false";
	default: return NULL;
	}
}

static void one_of_check(const tf_value *v, const char *const *allowed,
			 tf_path *path, tf_diags *d)
{
	const char *got;
	char *list, *where;
	size_t len = 0, n = 0;

	if (!tf_value_is_known(v))
		return;
	switch (tf_type_kind_of(tf_value_type(v))) {
	case TF_T_LIST:
	case TF_T_SET:
	case TF_T_MAP: {
		/* Check each element; list elements and map values get their
		 * own path, set elements report on the set. */
		tf_type_kind k = tf_type_kind_of(tf_value_type(v));

		for (size_t i = 0; i < tf_value_len(v); i++) {
			int rc = TF_OK;

			if (k == TF_T_LIST)
				rc = tf_path_push_index(path, (int64_t)i);
			else if (k == TF_T_MAP)
				rc = tf_path_push_key(path,
						      tf_value_map_key(v, i));
			if (rc != TF_OK)
				return;
			one_of_check(k == TF_T_MAP ? tf_value_map_value(v, i) :
						     tf_value_index(v, i),
				     allowed, path, d);
			if (k != TF_T_SET)
				tf_path_pop(path);
		}
		return;
	}
	default: break;
	}
	got = primitive_text(v);
	if (!got)
		return;
	for (const char *const *a = allowed; a && *a; a++) {
		if (strcmp(*a, got) == 0)
			return;
		n++;
	}
	list = strdup("");
	for (size_t i = 0; allowed && allowed[i]; i++) {
		if (i > 0)
			buf_append(&list, &len, i + 1 == n ? " or " : ", ");
		buf_append(&list, &len, "\"");
		buf_append(&list, &len, allowed[i]);
		buf_append(&list, &len, "\"");
	}
	where = path_text(path);
	if (n == 0)
		tf_diags_error(d, path, "Invalid attribute value",
			       "The value \"%s\" is not valid for %s: no value "
			       "is accepted.",
			       got, where ? where : "this attribute");
	else
		tf_diags_error(d, path, "Invalid attribute value",
			       "The value \"%s\" is not valid for %s: expected "
			       "%s%s.",
			       got, where ? where : "this attribute",
			       n == 1 ? "" : "one of ",
			       list ? list : "one of the documented values");
	free(where);
	free(list);
}

void tf_validate_one_of(const tf_value *v, const void *arg, const tf_path *path,
			tf_diags *d)
{
	tf_path p = { 0 };

	if (path && tf_path_copy(&p, path) != TF_OK) {
		tf_diags_error(d, NULL, "Out of memory", "%s", "");
		return;
	}
	one_of_check(v, (const char *const *)arg, &p, d);
	tf_path_done(&p);
}

void tf_validate_int_range(const tf_value *v, const void *arg,
			   const tf_path *path, tf_diags *d)
{
	const tf_int_range *r = arg;
	int64_t n;
	double x;
	char *where;

	if (!r || !tf_value_is_known(v) ||
	    tf_type_kind_of(tf_value_type(v)) != TF_T_NUMBER)
		return;
	if (tf_value_get_int(v, &n) == TF_OK && n >= r->min && n <= r->max)
		return;
	where = path_text(path);
	if (tf_value_get_int(v, &n) == TF_OK) {
		tf_diags_error(d, path, "Value out of range",
			       "The value %lld for %s must be between %lld and "
			       "%lld.",
			       (long long)n, where ? where : "this attribute",
			       (long long)r->min, (long long)r->max);
		goto cleanup;
	}
	/* Not an int64: either a fraction or an integer beyond int64. */
	x = tf_value_get_double(v);
	if (isfinite(x) && x != floor(x))
		tf_diags_error(d, path, "Invalid number",
			       "The value %s for %s must be a whole number "
			       "between %lld and %lld.",
			       tf_value_number_text(v),
			       where ? where : "this attribute",
			       (long long)r->min, (long long)r->max);
	else
		tf_diags_error(d, path, "Value out of range",
			       "The value %s for %s must be between %lld and "
			       "%lld.",
			       tf_value_number_text(v),
			       where ? where : "this attribute",
			       (long long)r->min, (long long)r->max);
cleanup:
	free(where);
}
