/* Schema tables: resources, data sources and providers declare their
 * attributes as const tables; tf_schema_compile() turns a table into a
 * runtime tf_schema (types parsed, defaults decoded, rules checked) from which
 * GetProviderSchema, validation and the generic planner are derived. */
#ifndef TF_SCHEMA_H
#define TF_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "value.h"

/* Attribute flags. Exactly one of REQUIRED / OPTIONAL / COMPUTED /
 * OPTIONAL|COMPUTED must describe the attribute's presence. */
enum {
	TF_REQUIRED = 1u << 0,
	TF_OPTIONAL = 1u << 1,
	TF_COMPUTED = 1u << 2,
	TF_SENSITIVE = 1u << 3,  /* display only; never log the value either */
	TF_FORCE_NEW = 1u << 4,  /* a change requires replacement */
	TF_WRITE_ONLY = 1u << 5, /* only in config; always null in plan/state */
	TF_DEPRECATED = 1u << 6,
};

/* Validator: called only on KNOWN, non-null values (unknowns are deferred to
 * plan/apply). `path` points at the value. Append errors to `d`. */
typedef void (*tf_validate_fn)(const tf_value *v, const void *arg,
			       const tf_path *path, tf_diags *d);

typedef enum tf_nesting {
	TF_NEST_SINGLE = 1,
	TF_NEST_LIST = 2,
	TF_NEST_SET = 3,
	TF_NEST_MAP = 4,
	TF_NEST_GROUP = 5,
} tf_nesting;

struct tf_nested_attr_def;

typedef struct tf_attr_def {
	const char *name;
	const char *
		type; /* type JSON, e.g. "\"string\"" or "[\"map\",\"string\"]" */
	unsigned flags;
	const char *default_json; /* JSON value used when config is null; requires
				   * OPTIONAL|COMPUTED. NULL for none. */
	const char *description; /* Markdown */
	tf_validate_fn validate; /* optional */
	const void *validate_arg;
	/* A nested attribute (tfplugin6 Schema.Object, Terraform 1.3+): an
	 * object, or a list / set / map of objects, of these attributes,
	 * written `name = { ... }` / `name = [{ ... }]` in configurations.
	 * `type` must then be NULL. NULL for a plain attribute. */
	const struct tf_nested_attr_def *nested;
} tf_attr_def;

/* The attributes of a nested attribute and how its objects nest: SINGLE
 * (one object), LIST, SET or MAP (GROUP is for blocks only). Inside, no
 * FORCE_NEW or WRITE_ONLY (the planner and the write-only helpers do not
 * descend into nested attributes; flag the nested attribute itself). */
typedef struct tf_nested_attr_def {
	tf_nesting nesting;
	const tf_attr_def *attrs;
	size_t nattrs;
} tf_nested_attr_def;

typedef struct tf_block_def tf_block_def;

typedef struct tf_nested_block_def {
	const char *type_name;
	tf_nesting nesting;
	const tf_block_def *block;
	int64_t min_items, max_items; /* LIST/SET only; max 0 = unlimited */
	unsigned flags;               /* TF_FORCE_NEW allowed */
} tf_nested_block_def;

struct tf_block_def {
	const tf_attr_def *attrs;
	size_t nattrs;
	const tf_nested_block_def *blocks;
	size_t nblocks;
	const char *description; /* Markdown */
	bool deprecated;
};

#define TF_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A compiled block. Immutable after compile; safe to share between threads. */
typedef struct tf_schema tf_schema;

/* Compile `def` (borrowed; must outlive the schema, normally static const).
 * Enforces Terraform's internal schema rules (names ^[a-z0-9_]+$, presence
 * flag combinations, nesting min/max, no write-only in SET, defaults only on
 * optional+computed, default conforms to type) plus the planner's own:
 * no FORCE_NEW on computed-only, no computed write-only, non-null defaults
 * that pass the attribute's validator, no dynamic types in LIST/SET/MAP
 * blocks, nesting depth <= TF_MAX_DEPTH. Returns TF_OK, TF_E_INVALID or
 * TF_E_LIMIT (message naming the attribute, e.g. `attribute
 * "timeouts.create": ...`, in err) or TF_E_NOMEM. */
int tf_schema_compile(const tf_block_def *def, int64_t version, tf_schema **out,
		      char *err, size_t errlen);
void tf_schema_free(tf_schema *s); /* NULL-tolerant */

const tf_block_def *tf_schema_def(const tf_schema *s);
int64_t tf_schema_version(const tf_schema *s);
/* The implied object type: one attribute per attribute and per block type. */
tf_type *tf_schema_type(const tf_schema *s);                /* borrowed */
tf_type *tf_schema_attr_type(const tf_schema *s, size_t i); /* borrowed */
tf_value *tf_schema_attr_default(const tf_schema *s,
				 size_t i); /* borrowed or NULL */
const tf_schema *tf_schema_block(const tf_schema *s,
				 size_t i); /* nested block i */
/* The object schema of nested attribute i (its attributes, as a block
 * without nested blocks), or NULL when attribute i is not nested. */
const tf_schema *tf_schema_attr_nested(const tf_schema *s, size_t i);
/* Index of attribute `name` in def->attrs, or -1. */
long tf_schema_attr_index(const tf_schema *s, const char *name);

/* Generic configuration validation: runs validators on known values, checks
 * block item counts, write-only rules. Unknown values are skipped. Required
 * attributes are checked by Terraform itself, but are re-checked here when
 * known null. */
void tf_schema_validate(const tf_schema *s, const tf_value *config,
			tf_diags *d);

/* Does an attribute of block `b`, or a nested block (its own flags or,
 * recursively, its contents), carry `flag` (TF_FORCE_NEW, TF_WRITE_ONLY,
 * ...)? */
bool tf_block_has_flag(const tf_block_def *b, unsigned flag);

/* A null value of the schema type and an object with every attribute null
 * (nested LIST/SET/MAP blocks as empty collections, as Terraform requires). */
tf_value *tf_schema_empty_object(const tf_schema *s);

/* The configuration a user would write for `state` (GenerateResourceConfig,
 * Terraform 1.14+): an object of the schema type keeping the required and
 * optional attributes of `state` and leaving null the ones a user would
 * not write: computed-only, sensitive, write-only and deprecated ones,
 * optional ones that are null, unknown, "" or an empty collection, and
 * optional+computed ones equal to their default. Nested blocks are
 * treated item by item. A null or unknown `state` (Terraform 1.14.0 sends
 * a null one for list results without their resource) gives a null of
 * the schema type. Returns a new value; NULL only on allocation failure. */
tf_value *tf_schema_config_of_state(const tf_schema *s, const tf_value *state);

/* Stock validators. Diagnostics carry `path` and name it in the detail;
 * for TF_SENSITIVE attributes tf_schema_validate replaces the detail so the
 * value is never echoed.
 *  - tf_validate_one_of: strings (numbers/bools by their text) must be one
 *    of the listed values; lists/sets/maps of those are checked per element.
 *  - tf_validate_int_range: a whole number in [min, max]. */
void tf_validate_one_of(const tf_value *v,
			const void *arg /* NULL-terminated const char *[] */,
			const tf_path *path, tf_diags *d);
typedef struct tf_int_range {
	int64_t min, max;
} tf_int_range;
void tf_validate_int_range(const tf_value *v,
			   const void *arg /* tf_int_range */,
			   const tf_path *path, tf_diags *d);

#endif
