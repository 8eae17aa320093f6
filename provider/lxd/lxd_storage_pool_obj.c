/* The lxd_storage_pool object (see lxd_storage_pool.h): which config keys
 * are member-specific or immutable, paths and reads, the state built from
 * the live pool, the record of the server's keys and the read-merge-write
 * of its config. A leaf below lxd_storage_pool.c (handlers) and
 * lxd_storage_pool_create.c (create). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxd_kit.h"
#include "lxd_server_keys.h"
#include "lxd_storage_pool.h"

/* ---- keys ------------------------------------------------------- */

const char *const pool_drivers[] = {
	"dir",    "zfs",        "btrfs",      "lvm", "ceph",
	"cephfs", "cephobject", "lvmcluster", NULL,
};

/* LXD 5.0.2 NodeSpecificStorageConfig plus the keys later releases add. */
static const char *const member_keys[] = {
	"source",
	"size",
	"zfs.pool_name",
	"lvm.thinpool_name",
	"lvm.vg_name",
	"volatile.initial_source",
	"source.wipe",
	"source.recover",
	NULL,
};

/* Keys LXD refuses to change once the pool exists: a change replaces it. */
static const char *const immutable_keys[] = {
	"source",
	"zfs.pool_name",
	"lvm.use_thinpool",
	"lvm.thinpool_metadata_size",
	NULL,
};

bool pool_is_member_key(const char *k)
{
	return lxd_in_list(k, member_keys);
}

bool pool_is_immutable_key(const char *k)
{
	return lxd_in_list(k, immutable_keys);
}

bool pool_member_key_filter(const char *k, const json_t *v, void *arg)
{
	(void)v;
	(void)arg;
	return pool_is_member_key(k);
}

/* ---- paths and small helpers ----------------------------------------- */

char *pool_path(const char *name, const char *target)
{
	return lxd_url("/1.0/storage-pools/", name, NULL, "target", target);
}

int pool_get(lxd_client *c, const char *name, const char *target, json_t **pool,
	     char **etag, tfp_error *err)
{
	return lxd_get_at(c, pool_path(name, target), pool, etag, err);
}

tf_value *pool_state(const tf_schema *s, const tf_value *planned,
		     const tf_value *config, const tf_value *member_config,
		     const json_t *pool)
{
	tf_value *st = tf_schema_empty_object(s);
	const char *status = json_string_value(json_object_get(pool, "status"));
	const char *driver = tf_value_attr_string(planned, "driver");
	const char *desc = tf_value_attr_string(planned, "description");
	const tf_value *ign = tf_value_attr(planned, "ignore_unmanaged_keys");

	if (!st)
		return NULL;
	tf_value_object_set(st, "name",
			    tf_value_string(
				    tf_value_attr_string(planned, "name")));
	tf_value_object_set(st, "driver",
			    tf_value_string(driver ? driver : ""));
	tf_value_object_set(st, "description",
			    tf_value_string(desc ? desc : ""));
	if (config)
		tf_value_object_set(st, "config",
				    tf_value_ref((tf_value *)config));
	if (member_config)
		tf_value_object_set(st, "member_config",
				    tf_value_ref((tf_value *)member_config));
	if (ign && tf_value_is_known(ign))
		tf_value_object_set(st, "ignore_unmanaged_keys",
				    tf_value_ref((tf_value *)ign));
	tf_value_object_set(st, "status",
			    tf_value_string(status ? status : "Unknown"));
	tf_value_object_set(st, "locations",
			    lxd_strings(json_object_get(pool, "locations"),
					&(lxd_strings_opts){ .sorted = true }));
	return st;
}

/* The user's attributes as the server reports them (read and import):
 * name, driver and description from `pool`, the opt-in from `state`. */
/* ---- server keys ------------------------------------------------------- */

int pool_record_server_keys(lxd_client *c, const char *name, json_t *priv,
			    const json_t *pool, const tf_value *planned,
			    const json_t *prior_priv, const tf_value *prior,
			    const json_t *only_members, tfp_error *err)
{
	const tf_value *mc = tf_value_attr(planned, "member_config");
	const tf_value *pm = prior ? tf_value_attr(prior, "member_config") :
				     NULL;
	json_t *cand = NULL;
	int rc = TFP_OK;

	/* An update's candidates; none (every unset key) without a record. */
	if (prior &&
	    lxd_server_keys_candidates(prior_priv, "",
				       tf_value_attr(prior, "config"), &cand))
		return TFP_E_NOMEM;
	if (lxd_server_keys_record(priv, "", json_object_get(pool, "config"),
				   tf_value_attr(planned, "config"), cand, NULL,
				   NULL))
		rc = TFP_E_NOMEM;
	json_decref(cand);
	cand = NULL;
	for (size_t i = 0;
	     rc == TFP_OK && tf_value_is_known(mc) && i < tf_value_len(mc);
	     i++) {
		const char *m = tf_value_map_key(mc, i);
		json_t *mp = NULL;

		if (only_members && !json_object_get(only_members, m))
			continue;
		if (prior &&
		    lxd_server_keys_candidates(prior_priv, m,
					       tf_value_is_known(pm) ?
						       tf_value_map_get(pm, m) :
						       NULL,
					       &cand))
			return TFP_E_NOMEM;
		rc = pool_get(c, name, m, &mp, NULL, err);
		if (rc == TFP_OK &&
		    lxd_server_keys_record(priv, m,
					   json_object_get(mp, "config"),
					   tf_value_map_value(mc, i), cand,
					   pool_member_key_filter, NULL))
			rc = TFP_E_NOMEM;
		json_decref(mp);
		json_decref(cand);
		cand = NULL;
	}
	lxd_server_keys_prune(priv, mc);
	return rc;
}

/* ---- writes ------------------------------------------------------------- */

/* Build the PUT body: live config minus keys the user stopped managing,
 * plus the planned keys. Keys the server owns are preserved. */
static int merge_mutate(json_t *current, void *argv, json_t **body,
			tfp_error *err)
{
	const pool_merge *a = argv;
	json_t *cfg = json_deep_copy(json_object_get(current, "config"));
	const char *cur_desc = json_string_value(
		json_object_get(current, "description"));
	const char *desc = a->description ?
				   tf_value_get_string(a->description) :
				   NULL;

	(void)err;
	if (!cfg)
		cfg = json_object();
	for (size_t i = 0; tf_value_is_known(a->prior_keys) &&
			   i < tf_value_len(a->prior_keys);
	     i++) {
		const char *k = tf_value_map_key(a->prior_keys, i);
		if (tf_value_is_known(a->planned_keys) &&
		    tf_value_map_get(a->planned_keys, k))
			continue;
		if (lxd_in_list(k, immutable_keys))
			continue; /* cannot be removed: just stop managing it */
		json_object_del(cfg, k);
	}
	for (size_t i = 0; tf_value_is_known(a->planned_keys) &&
			   i < tf_value_len(a->planned_keys);
	     i++) {
		const char *s = tf_value_get_string(
			tf_value_map_value(a->planned_keys, i));
		json_object_set_new(cfg, tf_value_map_key(a->planned_keys, i),
				    json_string(s ? s : ""));
	}
	*body = json_pack("{s:o, s:s}", "config", cfg, "description",
			  desc ? desc : (cur_desc ? cur_desc : ""));
	return *body ? TFP_OK : TFP_E_NOMEM;
}

int pool_set_description(lxd_client *c, const char *name,
			 const tf_value *planned, tfp_error *err)
{
	pool_merge a = { .prior_keys = tf_value_attr(planned, "config"),
			 .planned_keys = tf_value_attr(planned, "config"),
			 .description = tf_value_attr(planned, "description") };

	return lxd_update_at(c, pool_path(name, NULL), merge_mutate, &a, err);
}

int pool_merge_write(lxd_client *c, const char *name, const char *target,
		     const pool_merge *a, tfp_error *err)
{
	return lxd_update_at(c, pool_path(name, target), merge_mutate,
			     (void *)a, err);
}
