/* Go-style durations as Terraform users write them: "90s", "5m", "1h30m".
 * Shared by provider settings and `timeouts` blocks. */
#ifndef TFP_DURATION_H
#define TFP_DURATION_H

#include "../schema/diag.h"
#include "../schema/value.h"

/* Parse into whole seconds (fractions are rounded up). Returns 0 on success,
 * -1 on malformed text or a value above 30 days. */
int tfp_parse_duration(const char *text, long *seconds);

/* tf_validate_fn for duration strings. */
void tfp_validate_duration(const tf_value *v, const void *arg,
			   const tf_path *path, tf_diags *d);

#endif
