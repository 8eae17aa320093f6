/* States written by terraform-provider-lxd (terraform-lxd/lxd 2.x and
 * 3.0.x) taken over by this provider: `lxd_storage_pool` into
 * lxd_storage_pool, `lxd_network` of type `ovn` into lxd_ovn_network.
 * The facts these rely on (attributes, nulls, computed keys per version)
 * are in docs/internals/terraform-lxd-states.md; the user's side is
 * docs/guides/migrate-from-terraform-provider-lxd.md.
 *
 * Both functions are tfp_resource.adopt hooks (provider/resource.h): pure
 * JSON rewrites, no LXD call (a move runs on an unconfigured provider).
 * The state they write carries the keys the user managed through
 * terraform-lxd; the first refresh then reads the live object, fills the
 * computed attributes and records every other live key as the server's in
 * private state, as after an import (lxd_server_keys.h), so an equivalent
 * configuration plans empty.
 *
 * A shape is recognised by src->type_name and the attributes present
 * (`remote`, which every terraform-lxd release writes and this provider
 * does not have, and the like), never by the provider address: OpenTofu
 * 1.10 sends its local name. What cannot be taken over is refused with an
 * error naming the attribute and what to do: a member instance of a 2.x
 * clustered pool (`target`), a `remote`, a driver or network type this
 * provider does not manage, an attribute no known release writes, a
 * schema version other than 0. */
#ifndef LXD_MIGRATE_H
#define LXD_MIGRATE_H

#include <jansson.h>

#include "../../schema/diag.h"
#include "../resource.h"

/* Both resources are at schema version 1, which changed nothing but the
 * number: Terraform strips the attributes the current schema lacks from a
 * state whose version equals the current one before UpgradeResourceState
 * (internal/terraform/upgrade_resource_state.go), and terraform-provider-
 * lxd writes version 0, so at 0 a `target` or `remote` would be gone
 * before anyone could refuse it. Their upgrade hook: version 0 (this
 * provider's own) needs no rewrite. Returns 0. */
int lxd_migrate_own_v0(int64_t from_version, json_t *state, tf_diags *d);

/* lxd_storage_pool's adopt hook. */
int lxd_migrate_pool(const tfp_foreign *src, json_t *state, tf_diags *d);

/* lxd_ovn_network's adopt hook: `lxd_network` states (a move, or an
 * upgrade after the type was edited in the state file). */
int lxd_migrate_ovn(const tfp_foreign *src, json_t *state, tf_diags *d);

#endif
