/* lxd_storage_pool: an LXD storage pool, standalone or clustered.
 *
 * State model:
 *  - `config` is authoritative: refresh reports the live value of every key
 *    except those the server owns (recorded in private state when the pool
 *    was created or imported: lxd_server_keys.h) and `volatile.*`. A key
 *    added outside Terraform therefore shows in the next plan as a removal;
 *    `ignore_unmanaged_keys = true` opts out (only listed keys are managed).
 *  - On a cluster, member-specific keys (`source`, `size`, `zfs.pool_name`,
 *    ...) live in `member_config[<member>]`, read with ?target=. A member
 *    not listed, or a key not set, means "whatever the server has".
 *  - Create (lxd_storage_pool_create.c) never loses what it made: a failure
 *    after a request may have reached the server returns partial state with
 *    the error (Terraform taints it), and a half-finished create of the same
 *    definition left on the server is resumed rather than refused.
 *  - Updates merge into the live config (GET + PUT with If-Match, retried on
 *    412): removed keys are deleted, the server's keys are kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/plan.h"
#include "../log.h"
#include "../resource.h"
#include "client.h"
#include "lxd_common.h"
#include "lxd_identity.h"
#include "lxd_kit.h"
#include "lxd_migrate.h"
#include "lxd_name.h"
#include "lxd_server_keys.h"
#include "lxd_storage_pool.h"

static const tf_attr_def pool_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL,
	  "Name of the storage pool. Changing it replaces the pool.",
	  lxd_validate_name },
	{ "driver", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL,
	  "Storage driver: `dir`, `zfs`, `btrfs`, `lvm`, `ceph`, `cephfs`, "
	  "`cephobject` or `lvmcluster` (Incus only: API extension "
	  "`storage_lvm_cluster`). Must be supported by the server (checked "
	  "at plan time). Changing it replaces the pool.",
	  tf_validate_one_of, pool_drivers },
	{ "description", "\"string\"", TF_OPTIONAL | TF_COMPUTED, "\"\"",
	  "Description of the pool." },
	{ "config", "[\"map\",\"string\"]", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "Pool configuration (for example `rsync.bwlimit` or `volume.size`). "
	  "When set, it is authoritative: a key set on the server outside "
	  "Terraform shows in the plan as a removal. Keys the server fills in "
	  "itself (`source` of a `dir` pool, driver defaults, `volatile.*`) are "
	  "never reported unless you set them. Left unset, it is whatever the "
	  "server has (an imported pool plans empty); set `config = {}` to "
	  "remove every key. "
	  "On a cluster, member-specific keys belong in `member_config`. "
	  "Changing `source`, `zfs.pool_name`, `lvm.use_thinpool` or "
	  "`lvm.thinpool_metadata_size` replaces the pool." },
	{ "member_config", "[\"map\",[\"map\",\"string\"]]",
	  TF_OPTIONAL | TF_COMPUTED, NULL,
	  "Clustered servers only: member-specific keys (`source`, `size`, "
	  "`zfs.pool_name`, `lvm.vg_name`, `lvm.thinpool_name`) per cluster "
	  "member name, e.g. `{ node1 = { source = \"/srv/pool\" } }`. Members "
	  "not listed get LXD's defaults on create and are then whatever the "
	  "server has. Left unset, the whole map is whatever the server has." },
	{ "ignore_unmanaged_keys", "\"bool\"", TF_OPTIONAL, NULL,
	  "Set to `true` to manage only the keys listed in `config` and "
	  "`member_config`: keys set on the server outside Terraform are then "
	  "neither reported as drift nor removed. Default: `false`." },
	{ "status", "\"string\"", TF_COMPUTED, NULL,
	  "Cluster-wide status reported by LXD: `Created`, `Pending`, "
	  "`Errored`, `Unknown` or `Unavailable`." },
	{ "locations", "[\"list\",\"string\"]", TF_COMPUTED, NULL,
	  "Cluster members on which the pool exists (sorted); empty on a "
	  "standalone server. Known after apply when `member_config` names a "
	  "new member or depends on a member joining in the same apply." },
};

static const tf_block_def pool_schema = {
	.attrs = pool_attrs,
	.nattrs = TF_COUNT(pool_attrs),
	.description = "Manages an LXD storage pool, including clustered pools "
		       "with per-member configuration. Import with the pool "
		       "name: `terraform import lxd_storage_pool.example NAME`.",
};

static tf_value *live_identity(const tf_schema *s, const char *name,
			       const json_t *pool, const tf_value *state)
{
	tf_value *v = tf_schema_empty_object(s);
	const tf_value *ign = state ? tf_value_attr(state,
						    "ignore_unmanaged_keys") :
				      NULL;

	if (!v)
		return NULL;
	tf_value_object_set(v, "name", tf_value_string(name));
	tf_value_object_set(v, "driver",
			    tf_value_string(lxd_jstr(pool, "driver")));
	tf_value_object_set(v, "description",
			    tf_value_string(lxd_jstr(pool, "description")));
	if (ign && tf_value_is_known(ign))
		tf_value_object_set(v, "ignore_unmanaged_keys",
				    tf_value_ref((tf_value *)ign));
	return v;
}

/* ---- read --------------------------------------------------------------- */

/* Refresh member_config: each listed member's keys, read with ?target=.
 * Members that left the cluster are dropped. */
static tf_value *refresh_members(lxd_client *c, const char *name,
				 const tf_value *prior_mc, json_t *priv,
				 bool only_managed, bool *changed, tf_diags *d)
{
	tf_value *out;
	bool failed = false;

	if (!prior_mc || !tf_value_is_known(prior_mc))
		return NULL;
	out = tf_value_map_new(tf_value_type(prior_mc));
	for (size_t i = 0; out && !failed && i < tf_value_len(prior_mc); i++) {
		const char *m = tf_value_map_key(prior_mc, i);
		const tf_value *managed = tf_value_map_value(prior_mc, i);
		const json_t *live, *rec;
		json_t *pool = NULL;
		tfp_error err = { 0 };
		tf_value *keys;
		int rc = pool_get(c, name, m, &pool, NULL, &err);

		if (rc == TFP_E_NOTFOUND || rc == TFP_E_INVALID)
			continue; /* member gone: the plan shows it re-added */
		if (rc) {
			lxd_diag(d, NULL, "Cannot read storage pool", &err,
				 "Reading storage pool \"%s\" on member \"%s\"",
				 name, m);
			tf_value_unref(out);
			return NULL;
		}
		live = json_object_get(pool, "config");
		rec = lxd_server_keys_ensure(priv, m, live, managed,
					     pool_member_key_filter, changed);
		keys = lxd_refresh_config(managed, live, rec, only_managed,
					  pool_member_key_filter, NULL,
					  &failed);
		if (!keys && !failed) {
			tf_type *kt = tf_type_map(tf_type_string());
			keys = tf_value_map_new(kt);
			tf_type_unref(kt);
		}
		if (keys)
			tf_value_map_set(out, m, keys);
		json_decref(pool);
	}
	if (failed) {
		tf_diags_error(d, NULL, "Out of memory",
			       "Refreshing storage pool \"%s\"", name);
		tf_value_unref(out);
		return NULL;
	}
	return out;
}

static tf_value *first_members(lxd_client *c, const char *name,
			       const json_t *pool, json_t *priv, tf_diags *d);

/* member_config of a refresh: the members in state, or on the first
 * refresh of a state with no record and no member_config, what an import
 * puts there (*changed: the record grew). */
static tf_value *read_members(lxd_client *c, const char *name,
			      const tf_value *state, const json_t *pool,
			      json_t *priv, bool first, bool *changed,
			      tf_diags *d)
{
	const tf_value *prior = tf_value_attr(state, "member_config");
	bool only = tf_value_get_bool(
		tf_value_attr(state, "ignore_unmanaged_keys"));

	if (first && prior && tf_value_is_null(prior)) {
		*changed = true;
		return first_members(c, name, pool, priv, d);
	}
	return refresh_members(c, name, prior, priv, only, changed, d);
}

static void pool_read(tfp_ctx *ctx, const tf_value *state, tf_value **out,
		      tf_diags *d)
{
	const char *name = NULL;
	lxd_client *c = lxd_ctx_named(ctx, state, &name, d);
	const tf_value *managed = tf_value_attr(state, "config");
	bool only = tf_value_get_bool(
		tf_value_attr(state, "ignore_unmanaged_keys"));
	tf_value *cfg = NULL, *mc = NULL, *ident = NULL;
	json_t *pool = NULL, *priv = NULL;
	const json_t *live, *rec;
	tfp_error err = { 0 };
	bool changed = false, failed = false, first;
	int rc;

	if (!c)
		return;
	rc = pool_get(c, name, NULL, &pool, NULL, &err);
	if (rc == TFP_E_NOTFOUND) {
		tfp_info("Storage pool \"%s\" no longer exists", name);
		return; /* *out stays NULL: gone */
	}
	if (rc) {
		lxd_diag(d, NULL, "Cannot read storage pool", &err,
			 "Reading storage pool \"%s\"", name);
		return;
	}
	priv = lxd_private_load(ctx);
	if (!priv)
		goto nomem;
	live = json_object_get(pool, "config");
	first = lxd_server_keys_get(priv, "") == NULL;
	rec = lxd_server_keys_ensure(priv, "", live, managed, NULL, &changed);
	cfg = lxd_refresh_config(managed, live, rec, only, NULL, NULL, &failed);
	if (failed)
		goto nomem;
	mc = read_members(c, name, state, pool, priv, first, &changed, d);
	if (tf_diags_has_error(d))
		goto done;
	ident = live_identity(ctx->schema, name, pool, state);
	*out = ident ? pool_state(ctx->schema, ident, cfg, mc, pool) : NULL;
	if (!*out || (changed && lxd_private_save(ctx, priv)))
		goto nomem;
	goto done;
nomem:
	tf_diags_error(d, NULL, "Out of memory",
		       "Refreshing storage pool \"%s\"", name);
done:
	tf_value_unref(ident);
	tf_value_unref(cfg);
	tf_value_unref(mc);
	json_decref(pool);
	json_decref(priv);
}

/* ---- import ------------------------------------------------------------- */

/* Import only (a create records what the server filled in, exactly): keys
 * a server fills in by itself, per driver, as LXD 5.0-6.x do. */
static bool is_server_filled(const char *driver, const char *k)
{
	/* Server-filled keys per driver, one row each. */
	static const struct {
		const char *driver;
		const char *const keys[6];
	} filled[] = {
		{ "dir", { "source", NULL } },
		{ "zfs", { "source", "size", "zfs.pool_name", NULL } },
		{ "btrfs", { "source", "size", NULL } },
		{ "lvm",
		  { "source", "size", "lvm.vg_name", "lvm.thinpool_name",
		    "lvm.thinpool_metadata_size", NULL } },
		{ "ceph",
		  { "source", "ceph.cluster_name", "ceph.osd.pg_num",
		    "ceph.osd.pool_name", "ceph.user.name", NULL } },
		{ "cephfs",
		  { "source", "cephfs.cluster_name", "cephfs.path",
		    "cephfs.user.name", NULL } },
		{ "cephobject",
		  { "cephobject.cluster_name", "cephobject.user.name", NULL } },
		{ "lvmcluster", { "source", "lvm.vg_name", NULL } },
	};

	if (strncmp(k, "volatile.", 9) == 0)
		return true;
	for (size_t i = 0; driver && i < TF_COUNT(filled); i++)
		if (strcmp(driver, filled[i].driver) == 0)
			return lxd_in_list(k, filled[i].keys);
	return false;
}

struct filter_arg {
	const char *driver;
	const char *name; /* pool name, to recognise default sources */
	bool member_only; /* keep only member-specific keys */
	bool global_only; /* keep only global keys */
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lf = strlen(suffix);
	return ls >= lf && strcmp(s + ls - lf, suffix) == 0;
}

/* Is `source` what LXD picks when the user gives none? (dir:
 * $LXD_DIR/storage-pools/<name>; loop-backed drivers: .../disks/<name>.img;
 * zfs/lvm may also use the pool name itself.) */
static bool is_default_source(const char *driver, const char *name,
			      const char *value)
{
	char suffix[320];

	if (!driver || !name || !value || !*value)
		return true;
	snprintf(suffix, sizeof(suffix), "/storage-pools/%s", name);
	if (strcmp(driver, "dir") == 0)
		return ends_with(value, suffix);
	snprintf(suffix, sizeof(suffix), "/disks/%s.img", name);
	if (ends_with(value, suffix))
		return true;
	return (strcmp(driver, "zfs") == 0 || strcmp(driver, "lvm") == 0) &&
	       strcmp(value, name) == 0;
}

/* Which live keys an import puts in state: the user-set ones. Server-filled
 * keys are left out, except a `source` that is not LXD's default. */
static bool import_filter(const char *k, const json_t *v, void *argv)
{
	struct filter_arg *a = argv;

	if (strncmp(k, "volatile.", 9) == 0)
		return false;
	if (a->member_only && !pool_is_member_key(k))
		return false;
	if (a->global_only && pool_is_member_key(k))
		return false;
	if (strcmp(k, "source") == 0)
		return !is_default_source(a->driver, a->name,
					  json_string_value(v));
	return !is_server_filled(a->driver, k);
}

/* The keys of `pool` an import puts in state (NULL when none), recording
 * the others as the server's under `scope`. */
static tf_value *import_scope(json_t *priv, const char *scope,
			      const json_t *pool, struct filter_arg *fa,
			      bool *failed)
{
	const json_t *live = json_object_get(pool, "config");
	tf_value *keys = lxd_config_to_map(live, import_filter, fa);

	if (!keys ||
	    lxd_server_keys_record(priv, scope, live, keys, NULL,
				   fa->member_only ? pool_member_key_filter :
						     NULL,
				   NULL)) {
		tf_value_unref(keys);
		*failed = true;
		return NULL;
	}
	if (tf_value_len(keys) == 0) {
		tf_value_unref(keys);
		return NULL;
	}
	return keys;
}

/* member_config of an imported clustered pool: each member's own keys. */
static int import_members(lxd_client *c, const char *id, const json_t *pool,
			  json_t *priv, struct filter_arg *fa, tf_value **out,
			  bool *failed, tfp_error *err)
{
	tf_type *inner = tf_type_map(tf_type_string());
	tf_type *mt = inner ? tf_type_map(inner) : NULL;
	tf_value *mc = mt ? tf_value_map_new(mt) : NULL;
	size_t i;
	json_t *l;

	tf_type_unref(mt);
	tf_type_unref(inner);
	if (!mc) {
		*failed = true;
		return TFP_E_NOMEM;
	}
	fa->global_only = false;
	fa->member_only = true;
	json_array_foreach (json_object_get(pool, "locations"), i, l) {
		const char *m = json_string_value(l);
		json_t *mp = NULL;
		tf_value *keys;
		int rc;

		if (!m)
			continue;
		rc = pool_get(c, id, m, &mp, NULL, err);
		if (rc) {
			tf_value_unref(mc);
			return rc;
		}
		keys = import_scope(priv, m, mp, fa, failed);
		json_decref(mp);
		if (keys)
			tf_value_map_set(mc, m, keys);
	}
	if (tf_value_len(mc) == 0) {
		tf_value_unref(mc);
		mc = NULL;
	}
	*out = mc;
	return TFP_OK;
}

/* member_config on the first refresh of a state that has none and no
 * record of the server's keys (taken over from terraform-provider-lxd,
 * lxd_migrate.h, or written before records existed): each member's own
 * keys as an import puts them, the others recorded as the server's. NULL
 * (null) on a standalone server or when no member has keys of its own. */
static tf_value *first_members(lxd_client *c, const char *name,
			       const json_t *pool, json_t *priv, tf_diags *d)
{
	struct filter_arg fa = {
		.driver = json_string_value(json_object_get(pool, "driver")),
		.name = name,
	};
	tf_value *mc = NULL;
	tfp_error err = { 0 };
	bool clustered = false, failed = false;
	int rc = lxd_is_clustered(c, &clustered, &err);

	if (rc == TFP_OK && clustered)
		rc = import_members(c, name, pool, priv, &fa, &mc, &failed,
				    &err);
	if (failed)
		tf_diags_error(d, NULL, "Out of memory",
			       "Refreshing storage pool \"%s\"", name);
	else if (rc)
		lxd_diag(d, NULL, "Cannot read storage pool", &err,
			 "Reading storage pool \"%s\" on its members", name);
	return mc;
}

/* What an import puts in state is what the pool has that a user would
 * have set (server-filled keys and default sources are left out and
 * recorded as the server's). `config` and `member_config` are
 * optional+computed, so a minimal configuration (name and driver) plans
 * empty, and so does one that spells the keys out. */
static void pool_import(tfp_ctx *ctx, const char *id, tf_value **out,
			tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	struct filter_arg fa = { 0 };
	tf_value *ident = NULL, *cfg = NULL, *mc = NULL;
	json_t *pool = NULL, *priv = NULL;
	tfp_error err = { 0 };
	bool clustered = false, failed = false;
	int rc;

	if (!c)
		return;
	if (!*id || strchr(id, '/')) {
		tf_diags_error(
			d, NULL, "Invalid import ID",
			"Import a storage pool by its name, e.g. "
			"`terraform import lxd_storage_pool.example default` "
			"(got \"%s\"). Storage pools are not project-scoped.",
			id);
		return;
	}
	rc = pool_get(c, id, NULL, &pool, NULL, &err);
	if (rc == TFP_E_NOTFOUND) {
		/* ReadResource reports it: Terraform then says "Cannot import
		 * non-existent remote object". */
		ident = live_identity(ctx->schema, id, NULL, NULL);
		*out = ident ? pool_state(ctx->schema, ident, NULL, NULL,
					  NULL) :
			       NULL;
		goto done;
	}
	if (rc == TFP_OK)
		rc = lxd_is_clustered(c, &clustered, &err);
	if (rc) {
		lxd_diag(d, NULL, "Cannot import storage pool", &err,
			 "Reading storage pool \"%s\"", id);
		goto done;
	}
	priv = json_object();
	fa.driver = json_string_value(json_object_get(pool, "driver"));
	fa.name = id;
	fa.global_only = clustered;
	if (!priv)
		failed = true;
	else
		cfg = import_scope(priv, "", pool, &fa, &failed);
	if (!failed && clustered &&
	    (rc = import_members(c, id, pool, priv, &fa, &mc, &failed, &err)) &&
	    !failed) {
		lxd_diag(d, NULL, "Cannot import storage pool", &err,
			 "Reading storage pool \"%s\" on its members", id);
		goto done;
	}
	ident = failed ? NULL : live_identity(ctx->schema, id, pool, NULL);
	if (ident && lxd_private_save(ctx, priv) == 0)
		*out = pool_state(ctx->schema, ident, cfg, mc, pool);
done:
	if (!*out && !tf_diags_has_error(d))
		tf_diags_error(d, NULL, "Out of memory",
			       "Importing storage pool \"%s\"", id);
	tf_value_unref(ident);
	tf_value_unref(cfg);
	tf_value_unref(mc);
	json_decref(priv);
	json_decref(pool);
}

/* ---- plan --------------------------------------------------------------- */

/* Immutable keys whose value changes between prior and planned force a
 * replacement (reported at config["k"] / member_config["m"]["k"]). */
static bool check_immutable(const tf_value *prior_map,
			    const tf_value *planned_map, const char *attr,
			    const char *member, tf_paths *replace)
{
	bool any = false;

	if (!tf_value_is_known(prior_map) || !tf_value_is_known(planned_map))
		return false;
	for (size_t i = 0; i < tf_value_len(planned_map); i++) {
		const char *k = tf_value_map_key(planned_map, i);
		const tf_value *nv = tf_value_map_value(planned_map, i);
		const tf_value *ov = tf_value_map_get(prior_map, k);

		if (!pool_is_immutable_key(k) || !ov)
			continue;
		if (tf_value_is_unknown(nv) || !tf_value_equal(ov, nv)) {
			tf_path p = { 0 };
			tf_path_attr_keys(&p, attr, member ? member : k,
					  member ? k : NULL);
			tf_paths_add(replace, &p);
			tf_path_done(&p);
			any = true;
		}
	}
	return any;
}

/* Plan-time checks the server can answer: driver support, clustering and
 * member names, key placement. */
/* The driver against what the server offers. Returns false when the rest
 * of the plan-time checks should not run (the server cannot be asked, or
 * lacks the driver's API extension); the diagnostic is added. */
static bool check_driver(lxd_client *c, const char *driver, tf_diags *d)
{
	tfp_error err = { 0 };
	bool ok = false;
	char *supported = NULL, who[96];

	if (!driver)
		return true;
	if (strcmp(driver, "lvmcluster") == 0 &&
	    !lxd_require_extension(c, "storage_lvm_cluster", "driver",
				   "The `lvmcluster` storage driver", d))
		return false;
	if (lxd_driver_supported(c, driver, &ok, &supported, &err)) {
		lxd_diag(d, NULL, "Cannot reach LXD", &err,
			 "Checking storage drivers");
		return false;
	}
	if (!ok)
		tf_diags_attr_error(d, "driver", "Unsupported storage driver",
				    "%s does not support the \"%s\" storage "
				    "driver (its tools are missing or the "
				    "kernel lacks support). Supported here: %s.",
				    lxd_server_describe(c, who, sizeof(who)),
				    driver, supported ? supported : "none");
	free(supported);
	return true;
}

static void check_against_server(lxd_client *c, const tf_value *config,
				 tf_diags *d)
{
	const char *driver = tf_value_attr_string(config, "driver");
	const tf_value *cfg = tf_value_attr(config, "config");
	const tf_value *mc = tf_value_attr(config, "member_config");
	json_t *members = NULL;
	tfp_error err = { 0 };
	bool clustered = false;

	if (!check_driver(c, driver, d))
		return;
	if (lxd_is_clustered(c, &clustered, &err)) {
		lxd_diag(d, NULL, "Cannot reach LXD", &err,
			 "Reading server info");
		return;
	}
	if (!clustered) {
		if (tf_value_is_known(mc) && tf_value_len(mc) > 0)
			tf_diags_attr_error(
				d, "member_config",
				"member_config needs a cluster",
				"This LXD server is not clustered. Put "
				"keys such as `source` in `config` "
				"instead of `member_config`.");
		return;
	}
	for (size_t i = 0; tf_value_is_known(cfg) && i < tf_value_len(cfg);
	     i++) {
		const char *k = tf_value_map_key(cfg, i);
		if (pool_is_member_key(k))
			tf_diags_key_error(
				d, "config", k, NULL,
				"Member-specific key in config",
				"\"%s\" is specific to each cluster member. "
				"Set it per member in `member_config`, e.g. "
				"member_config = { node1 = { %s = \"...\" } }.",
				k, k);
	}
	if (!tf_value_is_known(mc) || tf_value_len(mc) == 0)
		return;
	if (lxd_member_names(c, &members, &err)) {
		lxd_diag(d, NULL, "Cannot list cluster members", &err,
			 "Listing cluster members");
		return;
	}
	for (size_t i = 0; i < tf_value_len(mc); i++) {
		const char *m = tf_value_map_key(mc, i);
		const tf_value *keys = tf_value_map_value(mc, i);

		if (!lxd_json_has(members, m)) {
			char *all = lxd_join(members, NULL);
			tf_diags_key_error(
				d, "member_config", m, NULL,
				"Unknown cluster member",
				"The LXD cluster has no member named \"%s\" "
				"(members: %s).",
				m, all ? all : "");
			free(all);
			continue;
		}
		for (size_t j = 0;
		     tf_value_is_known(keys) && j < tf_value_len(keys); j++) {
			const char *k = tf_value_map_key(keys, j);
			if (!pool_is_member_key(k))
				tf_diags_key_error(
					d, "member_config", m, k,
					"Not a member-specific key",
					"\"%s\" applies to the whole cluster; "
					"set it in `config` instead.",
					k);
		}
	}
	json_decref(members);
}

/* Whether an update may change the members the pool is on: member_config
 * not wholly known yet (e.g. derived from a member that joins in the same
 * apply) or naming a member the prior state did not. `locations` is then
 * unknown in the plan (LXD reports the joined member after the update). */
static bool members_may_change(const tf_value *pm, const tf_value *nm)
{
	if (!nm || !tf_value_is_wholly_known(nm))
		return true;
	for (size_t i = 0; tf_value_is_known(nm) && i < tf_value_len(nm); i++)
		if (!tf_value_is_known(pm) ||
		    !tf_value_map_get(pm, tf_value_map_key(nm, i)))
			return true;
	return false;
}

static void pool_modify_plan(tfp_ctx *ctx, const tf_value *prior,
			     const tf_value *config, tf_value **planned,
			     tf_paths *replace, tf_diags *d)
{
	bool repl = false;

	if (ctx->client)
		check_against_server(ctx->client, config, d);
	if (tf_value_is_null(prior))
		return;
	repl |= check_immutable(tf_value_attr(prior, "config"),
				tf_value_attr(*planned, "config"), "config",
				NULL, replace);
	{
		const tf_value *pm = tf_value_attr(prior, "member_config");
		const tf_value *nm = tf_value_attr(*planned, "member_config");
		for (size_t i = 0;
		     tf_value_is_known(nm) && i < tf_value_len(nm); i++) {
			const char *m = tf_value_map_key(nm, i);
			const tf_value *pv = tf_value_is_known(pm) ?
						     tf_value_map_get(pm, m) :
						     NULL;
			if (pv)
				repl |= check_immutable(pv,
							tf_value_map_value(nm,
									   i),
							"member_config", m,
							replace);
		}
	}
	if (repl || replace->n ||
	    members_may_change(tf_value_attr(prior, "member_config"),
			       tf_value_attr(*planned, "member_config"))) {
		tf_plan_mark_unknown(ctx->schema, *planned, "status");
		tf_plan_mark_unknown(ctx->schema, *planned, "locations");
	}
}

/* ---- update ------------------------------------------------------------- */

/* Members dropped from member_config: stop managing their mutable keys.
 * Returns false (diagnostic added) on failure. */
static bool release_members(lxd_client *c, const char *name,
			    const tf_value *pmc, const tf_value *nmc,
			    tf_diags *d)
{
	for (size_t i = 0; tf_value_is_known(pmc) && i < tf_value_len(pmc);
	     i++) {
		const char *m = tf_value_map_key(pmc, i);
		pool_merge a = { .prior_keys = tf_value_map_value(pmc, i),
				 .planned_keys = NULL };
		bool has_mutable = false;
		tfp_error err = { 0 };

		if (tf_value_is_known(nmc) && tf_value_map_get(nmc, m))
			continue;
		for (size_t j = 0; j < tf_value_len(a.prior_keys); j++)
			if (!pool_is_immutable_key(
				    tf_value_map_key(a.prior_keys, j)))
				has_mutable = true;
		if (has_mutable && pool_merge_write(c, name, m, &a, &err)) {
			lxd_diag(d, NULL, "Cannot update storage pool", &err,
				 "Removing settings of storage pool \"%s\" on member \"%s\"",
				 name, m);
			return false;
		}
	}
	return true;
}

static void pool_update(tfp_ctx *ctx, const tf_value *prior,
			const tf_value *planned, const tf_value *config,
			tf_value **out, tf_diags *d)
{
	const char *name = NULL;
	lxd_client *c = lxd_ctx_named(ctx, prior, &name, d);
	const tf_value *pmc = tf_value_attr(prior, "member_config");
	const tf_value *nmc = tf_value_attr(planned, "member_config");
	json_t *pool = NULL, *priv = NULL, *new_priv = NULL,
	       *touched = json_object();
	tfp_error err = { 0 };

	(void)config;
	if (!c || !touched)
		goto partial;
	if (tf_plan_attr_changed(prior, planned, "description") ||
	    tf_plan_attr_changed(prior, planned, "config")) {
		pool_merge a = {
			.prior_keys = tf_value_attr(prior, "config"),
			.planned_keys = tf_value_attr(planned, "config"),
			.description = tf_value_attr(planned, "description"),
		};
		if (pool_merge_write(c, name, NULL, &a, &err)) {
			lxd_diag(d, NULL, "Cannot update storage pool", &err,
				 "Updating storage pool \"%s\"", name);
			goto partial;
		}
	}
	for (size_t i = 0; tf_value_is_known(nmc) && i < tf_value_len(nmc);
	     i++) {
		const char *m = tf_value_map_key(nmc, i);
		const tf_value *nv = tf_value_map_value(nmc, i);
		const tf_value *pv = tf_value_is_known(pmc) ?
					     tf_value_map_get(pmc, m) :
					     NULL;
		pool_merge a = { .prior_keys = pv, .planned_keys = nv };

		if (pv && tf_value_equal(pv, nv))
			continue;
		json_object_set_new(touched, m, json_true());
		if (pool_merge_write(c, name, m, &a, &err)) {
			tf_path p = { 0 };
			tf_path_attr_keys(&p, "member_config", m, NULL);
			lxd_diag(d, &p, "Cannot update storage pool", &err,
				 "Updating storage pool \"%s\" on member \"%s\"",
				 name, m);
			tf_path_done(&p);
			goto partial;
		}
	}
	if (!release_members(c, name, pmc, nmc, d))
		goto partial;
	if (pool_get(c, name, NULL, &pool, NULL, &err) != TFP_OK) {
		lxd_diag(d, NULL, "Cannot read storage pool", &err,
			 "Reading storage pool \"%s\" after updating it", name);
		goto partial;
	}
	/* The record of the members not touched stays as it was. */
	priv = lxd_private_load(ctx);
	new_priv = priv ? json_deep_copy(priv) : NULL;
	if (!new_priv ||
	    pool_record_server_keys(c, name, new_priv, pool, planned, priv,
				    prior, touched, &err) ||
	    lxd_private_save(ctx, new_priv)) {
		lxd_diag(d, NULL, "Cannot read storage pool", &err,
			 "Reading storage pool \"%s\" after updating it", name);
		goto partial;
	}
	*out = pool_state(ctx->schema, planned,
			  tf_value_attr(planned, "config"), nmc, pool);
	goto done;
partial:
	/* Record what is true now: the prior keys at their live values. The
	 * next plan shows whatever is still to do. Without an answer the RPC
	 * layer keeps the prior state. */
	if (c)
		tfp_reread(pool_read, ctx, prior, out);
done:
	json_decref(pool);
	json_decref(priv);
	json_decref(new_priv);
	json_decref(touched);
}

/* ---- delete ------------------------------------------------------------- */

static void pool_delete(tfp_ctx *ctx, const tf_value *prior, tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *name = tf_value_attr_string(prior, "name");
	tfp_error err = { 0 };
	int rc;

	if (!c)
		return;
	/* Recorded half-created (a create that failed, tainted): finish it
	 * first, so the delete removes the storage on every member. */
	if (strcmp(tf_value_attr_string(prior, "status") ?: "Created",
		   "Created") != 0)
		pool_finish_half_created(ctx, c, prior);
	rc = lxd_send_at(c, "DELETE", pool_path(name, NULL), NULL, &err);
	if (rc == TFP_OK || rc == TFP_E_NOTFOUND)
		return;
	if (strstr(err.message, "in use"))
		tf_diags_error(
			d, NULL, "Storage pool is in use",
			"LXD refused to delete storage pool \"%s\": %s. "
			"Remove the instances, profiles and custom volumes "
			"that use it (see `lxc storage show %s`, used_by) "
			"and apply again.",
			name, err.message, name);
	else
		lxd_diag(d, NULL, "Cannot delete storage pool", &err,
			 "Deleting storage pool \"%s\"", name);
}

/* ---- list --------------------------------------------------------------- */

static const tf_block_def pool_list_schema = {
	.description = "Lists every storage pool of the server (or cluster). "
		       "The `config` block takes no arguments.",
};

/* One GET with recursion (the names, and nothing else, are used unless
 * include_resource: then each pool is imported and read as
 * `terraform import` would). */
static void pool_list(tfp_ctx *ctx, const tf_value *config, tfp_lister *l,
		      tf_diags *d)
{
	lxd_name_lister a = {
		.ctx = ctx,
		.l = l,
		.d = d,
		.key = "name",
		.what = "Listing storage pools",
		.import = pool_import,
		.read = pool_read,
	};
	lxd_client *c = lxd_ctx_client(ctx, d);
	tfp_error err = { 0 };

	(void)config;
	if (!c)
		return;
	if (lxd_each_at(c, strdup("/1.0/storage-pools?recursion=1"),
			lxd_list_by_name, &a, &err))
		lxd_diag(d, NULL, "Cannot list storage pools", &err,
			 "Listing storage pools");
}

/* ---- generated configuration ------------------------------------------ */

/* A config map (state) without the keys LXD fills in itself, as an import
 * leaves them out; NULL when none is left. */
static tf_value *user_keys(const tf_value *map, struct filter_arg *fa)
{
	json_t *obj;
	tf_value *out;

	if (!tf_value_is_known(map))
		return NULL;
	obj = lxd_map_to_config(map);
	out = obj ? lxd_config_to_map(obj, import_filter, fa) : NULL;
	json_decref(obj);
	if (out && tf_value_len(out) == 0) {
		tf_value_unref(out);
		out = NULL;
	}
	return out;
}

/* Set attribute `name` of cfg (refcount 1) to `take`, or to a null of
 * its type when take is NULL. */
static void set_or_null(tf_value *cfg, const char *name, tf_value *take)
{
	if (!take)
		take = tf_value_null(tf_value_type(tf_value_attr(cfg, name)));
	tf_value_object_set(cfg, name, take);
}

/* GenerateResourceConfig: the generic answer, with `config` and each
 * member's keys filtered like an import (no `volatile.*`, no key the
 * driver fills in, no default `source`). */
static void pool_generate_config(tfp_ctx *ctx, const tf_value *state,
				 tf_value **config, tf_diags *d)
{
	struct filter_arg fa = {
		.driver = tf_value_attr_string(state, "driver"),
		.name = tf_value_attr_string(state, "name"),
	};
	const tf_value *mc = tf_value_attr(state, "member_config");
	tf_value *cfg = tf_schema_config_of_state(ctx->schema, state);
	tf_value *members = NULL;

	(void)d;
	*config = cfg;
	if (!cfg || !tf_value_is_known(cfg))
		return;
	cfg = *config = tf_value_mut(cfg);
	set_or_null(cfg, "config",
		    user_keys(tf_value_attr(state, "config"), &fa));
	if (tf_value_is_known(mc) && tf_value_len(mc) > 0)
		members = tf_value_map_new(tf_value_type(mc));
	for (size_t i = 0; members && i < tf_value_len(mc); i++) {
		tf_value *keys = user_keys(tf_value_map_value(mc, i), &fa);

		if (keys)
			tf_value_map_set(members, tf_value_map_key(mc, i),
					 keys);
	}
	if (members && tf_value_len(members) == 0) {
		tf_value_unref(members);
		members = NULL;
	}
	set_or_null(cfg, "member_config", members);
}

const tfp_resource lxd_storage_pool_resource = {
	.type_name = "lxd_storage_pool",
	.version = 1, /* see lxd_migrate.h */
	.schema = &pool_schema,
	.modify_plan = pool_modify_plan,
	.create = pool_create,
	.read = pool_read,
	.update = pool_update,
	.remove = pool_delete,
	.import = pool_import,
	.list_schema = &pool_list_schema,
	.list = pool_list,
	.adopt = lxd_migrate_pool, /* terraform-lxd states */
	.upgrade = lxd_migrate_own_v0,
	.identity_schema = &lxd_identity_name_def,
	.identity = lxd_identity_name,
	.generate_config = pool_generate_config,
};
