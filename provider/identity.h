/* Resource identity helpers for the resource files (provider/lxd,
 * provider/k8s): the identity object of a resource built from its state.
 * Depends on schema/ only. See resource.h (tfp_resource.identity). */
#ifndef TFP_IDENTITY_H
#define TFP_IDENTITY_H

#include "../schema/diag.h"
#include "../schema/schema.h"
#include "../schema/value.h"

/* The identity object of `ids` (attributes only) taken from `state`: each
 * identity attribute is the state's attribute of the same name. A null
 * string attribute takes defaults[i] when `defaults` and defaults[i] are
 * non-NULL (i indexes ids->attrs). Unknown values stay unknown (a plan of
 * a create). A null or unknown `state`, or an attribute missing from it,
 * gives NULL with an error naming the resource type (`type_name`).
 * Returns a new value. */
tf_value *tfp_identity_from_state(const tf_block_def *ids,
				  const char *const *defaults,
				  const char *type_name, const tf_value *state,
				  tf_diags *d);

/* The implied object type of `ids` (a new reference), NULL when an
 * attribute's type JSON does not parse. */
tf_type *tfp_identity_type(const tf_block_def *ids);

#endif
