/* Write-only attributes (Terraform 1.11+): values that live only in the
 * configuration. Terraform rejects a provider that returns a non-null value
 * for one in a planned state, a new state (read, apply), an import result
 * or an upgraded state (internal/lang/ephemeral/validate.go, called from
 * internal/terraform), and a client that predates them cannot handle them
 * at all. These helpers walk a value along its compiled schema (attributes
 * and nested blocks of every nesting mode but SET, which may not contain
 * write-only attributes: tf_schema_compile refuses it). */
#ifndef TF_WRITE_ONLY_H
#define TF_WRITE_ONLY_H

#include <stddef.h>

#include "plan.h"
#include "schema.h"
#include "value.h"

/* Append to *out the path of every write-only attribute that is non-null
 * (known or unknown) in `v`, an object of the schema type (a configuration).
 * Returns TF_OK or TF_E_NOMEM. */
int tf_write_only_paths(const tf_schema *s, const tf_value *v, tf_paths *out);

/* `take` (consumed) with every write-only attribute null, as a new
 * reference; the same value when there was nothing to null. *nulled (may
 * be NULL) counts the attributes that were not null. NULL only when
 * memory ran out (take released). */
tf_value *tf_write_only_nulled(const tf_schema *s, tf_value *take,
			       size_t *nulled);

#endif
