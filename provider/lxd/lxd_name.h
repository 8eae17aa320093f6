/* The name rule of LXD objects (storage pools, networks, projects, cluster
 * members), as a schema validator (tf_validate_fn) for the lxd_* tables. */
#ifndef LXD_NAME_H
#define LXD_NAME_H

#include "../../schema/diag.h"
#include "../../schema/value.h"

/* 1..63 bytes of ASCII letters, digits, '-', '_', '.', starting with a
 * letter or digit (so no '/', whitespace, ".", "..", leading '-'). Adds an
 * error "Invalid LXD name" at `path` naming the rule broken; non-strings
 * and null/unknown values pass. `arg` is unused. */
void lxd_validate_name(const tf_value *v, const void *arg, const tf_path *path,
		       tf_diags *d);

#endif
