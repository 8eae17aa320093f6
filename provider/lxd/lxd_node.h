/* Internal contract between the files of the lxd_node resource:
 *   lxd_node.c        schema, plan, read, update, delete, import
 *   lxd_node_join.c   create: join an existing cluster or bootstrap one
 *   lxd_node_member.c what both use: the member's reads, state, writes,
 *                     key record and join requirements (depends on
 *                     neither of the others)
 * Not used by other resources. Return codes are lxd_code values; JSON and
 * strings returned through out-parameters are owned by the caller. */
#ifndef LXD_NODE_H
#define LXD_NODE_H

#include <stdatomic.h>
#include <stdbool.h>

#include <jansson.h>

#include "../../schema/diag.h"
#include "../../schema/value.h"
#include "../resource.h"
#include "client.h"

/* "/1.0/cluster/members/<name><suffix>" (name escaped), malloc'd or NULL. */
char *lxd_node_path(const char *name, const char *suffix);

/* Roles LXD assigns by itself (database*). They are never sent as changes
 * and are reported in `database_roles`, not in `roles`. */
bool lxd_node_auto_role(const char *role);

/* GET the member (metadata). TFP_E_NOTFOUND when it is not a member. */
int lxd_node_get(lxd_client *c, const char *name, json_t **member,
		 tfp_error *err);

/* The resource state from a live member object. `keep` (borrowed, may be
 * NULL on import) supplies what the server does not report: join_target,
 * member_config, bootstrap, force, the managed `config` keys and a
 * user-given server_address. `rec` is the record of the server's config
 * keys (lxd_server_keys.h; NULL: report only the managed keys); on import
 * every key goes to `config`. Returns a new value or NULL (out of memory). */
tf_value *lxd_node_state(const tf_schema *s, const tf_value *keep,
			 const json_t *member, const json_t *rec);

/* The state after a create or update, from the live member `m`: when the
 * member was `written`, its server keys are recorded anew (`prior` NULL on
 * create); otherwise (a failed write) the prior record stands. `keep` as
 * for lxd_node_state. NULL when out of memory. */
tf_value *lxd_node_state_now(tfp_ctx *ctx, const json_t *m,
			     const tf_value *keep, const tf_value *prior,
			     bool written);

/* Write the member's writable fields from `planned`: description,
 * failure_domain, groups, user roles and managed config keys (`prior`,
 * may be NULL, says which keys were managed before). Automatic roles are
 * echoed as they are on the server. Unknown planned values keep the live
 * value. GET + PUT with If-Match, retried on 412 and on role races. */
int lxd_node_put(lxd_client *c, const char *name, const tf_value *prior,
		 const tf_value *planned, atomic_int *stop, tfp_error *err);

/* Evacuate (want=true) or restore the member; no-op when the member is
 * already in that state ("already evacuated/restored" counts as done). */
int lxd_node_set_evacuated(lxd_client *c, const char *name, bool want,
			   tfp_error *err);

/* Keys the cluster needs from a joining server: GET /1.0/cluster on the
 * cluster, member_config as a new JSON array of {entity, name, key, ...}. */
int lxd_node_required_config(lxd_client *c, json_t **required, tfp_error *err);

/* "ENTITY/NAME/KEY", the `member_config` map key of one required entry,
 * malloc'd or NULL. */
char *lxd_node_mc_key(const json_t *entry);

/* Plan/apply check: every required key present in `mc` (map(string), may
 * be null). Adds one error on `member_config` naming all missing keys. */
void lxd_node_check_member_config(const json_t *required, const tf_value *mc,
				  const char *name, tf_diags *d);

/* CreateResource (lxd_node_join.c; the rest above is lxd_node_member.c). */
void lxd_node_create(tfp_ctx *ctx, const tf_value *planned,
		     const tf_value *config, tf_value **out, tf_diags *d);

#endif
