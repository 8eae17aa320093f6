/* The generic planner: Terraform's PlanResourceChange rules derived from a
 * compiled schema, so resources only add what is specific to them.
 *
 * Rules applied (objchange.AssertPlanValid must always pass):
 *  - destroy (proposed null): planned null.
 *  - attribute set in config (known or unknown): planned = config value.
 *  - write-only: planned null.
 *  - optional+computed with a default and null config: planned = default.
 *  - computed, null config: create -> unknown; update -> prior value
 *    (resources mark what will change with tf_plan_mark_unknown()).
 *  - optional non-computed with null config: null.
 *  - nested blocks: recursed by element (LIST by index, MAP by key, SINGLE /
 *    GROUP directly, SET taken from proposed with computed nulls unknown);
 *    LIST/SET/MAP blocks are never null.
 *  - FORCE_NEW attributes/blocks whose planned value differs from prior (or is
 *    unknown) are returned as requires-replace paths; then every computed
 *    attribute not set in config is planned unknown (the object is new).
 */
#ifndef TF_PLAN_H
#define TF_PLAN_H

#include "diag.h"
#include "schema.h"
#include "value.h"

typedef struct tf_paths {
	tf_path *items;
	size_t n, cap;
} tf_paths;

int tf_paths_add(tf_paths *ps, const tf_path *p);      /* copies p; dedupes */
int tf_paths_add_attr(tf_paths *ps, const char *attr); /* one-step path */
bool tf_paths_contains(const tf_paths *ps, const tf_path *p);
void tf_paths_done(tf_paths *ps);

/* Plan one resource instance.
 *  prior:    prior state (null value of the schema type on create), borrowed
 *  proposed: Terraform's proposed new state, borrowed
 *  config:   configuration (null on destroy), borrowed
 * On success returns TF_OK and a NEW planned value in *planned (refcount 1, so
 * resource hooks may modify it with tf_value_object_set) and appends
 * requires-replace paths to *replace. Errors (e.g. value does not conform) go
 * to d and return TF_E_INVALID. */
int tf_plan_resource(const tf_schema *s, const tf_value *prior,
		     const tf_value *proposed, const tf_value *config,
		     tf_value **planned, tf_paths *replace, tf_diags *d);

/* True when the plan changes the object: planned differs from prior. */
bool tf_plan_has_changes(const tf_value *prior, const tf_value *planned);

/* Resource-hook helpers operating on a planned object with refcount 1.
 * Set top-level attribute `name` to unknown / to `take`. */
int tf_plan_mark_unknown(const tf_schema *s, tf_value *planned,
			 const char *name);
int tf_plan_set(tf_value *planned, const char *name, tf_value *take);
/* tf_plan_mark_unknown for each of the NULL-terminated `names`. */
int tf_plan_mark_unknown_all(const tf_schema *s, tf_value *planned,
			     const char *const *names);

/* Did top-level attribute `name` change between prior and planned (unknown
 * in planned counts as a change)? False on create (prior null). */
bool tf_plan_attr_changed(const tf_value *prior, const tf_value *planned,
			  const char *name);
/* Did any of the NULL-terminated `names` change (tf_plan_attr_changed)? */
bool tf_plan_any_changed(const tf_value *prior, const tf_value *planned,
			 const char *const *names);

#endif
