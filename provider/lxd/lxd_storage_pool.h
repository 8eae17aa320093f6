/* lxd_storage_pool internals shared by its files:
 *   lxd_storage_pool.c        schema, read, import, plan, update, delete
 *   lxd_storage_pool_create.c create, resuming a half-finished create,
 *                             partial state
 *   lxd_storage_pool_obj.c    what both use (declared first below; depends
 *                             on neither of the others)
 * Besides these, lxd_migrate.c (terraform-lxd states) uses the leaf's
 * key and driver lists. */
#ifndef LXD_STORAGE_POOL_H
#define LXD_STORAGE_POOL_H

#include <stdbool.h>

#include <jansson.h>

#include "../resource.h"
#include "client.h"
#include "lxd_common.h"

/* The drivers this resource manages (NULL-terminated). */
extern const char *const pool_drivers[];

/* Member-specific keys (LXD 5.0.2 NodeSpecificStorageConfig plus what later
 * releases add): set per member with ?target=, stripped from untargeted
 * reads. */
bool pool_is_member_key(const char *k);

/* Keys LXD refuses to change once the pool exists (a change replaces the
 * pool; an update never removes them, it stops managing them). */
bool pool_is_immutable_key(const char *k);

/* lxd_key_filter: keeps member-specific keys only. */
bool pool_member_key_filter(const char *k, const json_t *v, void *arg);

/* "/1.0/storage-pools/<name>[?target=<member>]", malloc'd or NULL. */
char *pool_path(const char *name, const char *target);

/* GET the pool (optionally as seen by one member). */
int pool_get(lxd_client *c, const char *name, const char *target, json_t **pool,
	     char **etag, tfp_error *err);

/* The whole state object. `planned` gives the user's attributes (name,
 * driver, description, ignore_unmanaged_keys); `config` and
 * `member_config` are the maps to record (NULL: null); `pool` (live
 * metadata, may be NULL) gives status and locations ("Unknown" and none
 * without it). All arguments are borrowed. */
tf_value *pool_state(const tf_schema *s, const tf_value *planned,
		     const tf_value *config, const tf_value *member_config,
		     const json_t *pool);

/* Record in `priv` the server's keys after a create or update:
 * scope "" from `pool` (untargeted live metadata) and one scope per member
 * of `members` (the planned member_config; each read with ?target=).
 * `prior_priv`/`prior` (may be NULL) give the candidates of an update: the
 * keys recorded or managed before. Returns TFP_OK or the failed read. */
int pool_record_server_keys(lxd_client *c, const char *name, json_t *priv,
			    const json_t *pool, const tf_value *planned,
			    const json_t *prior_priv, const tf_value *prior,
			    const json_t *only_members, tfp_error *err);

/* ---- lxd_storage_pool_create.c ----------------------------------------- */

/* One read-merge-write of the pool's config (GET, PUT with If-Match,
 * retried on 412): the live config minus the keys of prior_keys that
 * planned_keys no longer has (immutable ones are kept), plus planned_keys;
 * the description from `description` (NULL: kept). Keys the server owns
 * are preserved. */
typedef struct pool_merge {
	const tf_value *prior_keys;   /* map(string) or null */
	const tf_value *planned_keys; /* map(string) or null */
	const tf_value *description;  /* planned description, or NULL: keep */
} pool_merge;

/* The pool (target NULL) or its member `target`. */
int pool_merge_write(lxd_client *c, const char *name, const char *target,
		     const pool_merge *a, tfp_error *err);

/* Set the description of a clustered pool (LXD ignores it on the
 * clustered create). */
int pool_set_description(lxd_client *c, const char *name,
			 const tf_value *planned, tfp_error *err);

void pool_create(tfp_ctx *ctx, const tf_value *planned, const tf_value *config,
		 tf_value **out, tf_diags *d);

/* A pool of ours (`state`) left half-created (Pending/Errored) is finished
 * before it is deleted: LXD 5.0 deletes a half-created pool's database
 * rows but not the storage a member already made, which would then block
 * the next create ("Storage pool directory ... already exists"). Best
 * effort; true when the pool is now Created. */
bool pool_finish_half_created(tfp_ctx *ctx, lxd_client *c,
			      const tf_value *state);

#endif
