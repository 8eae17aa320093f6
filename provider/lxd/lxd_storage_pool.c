/* lxd_storage_pool: an LXD storage pool, standalone or clustered.
 *
 * State model:
 *  - `config` holds only the keys the user manages. Refresh reports the live
 *    value of exactly those keys (a key deleted on the server disappears, so
 *    the plan shows it coming back); server-filled keys (dir `source`,
 *    `volatile.*`, driver defaults) never show up unless the user set them.
 *  - On a cluster, member-specific keys (`source`, `size`, `zfs.pool_name`,
 *    ...) live in `member_config[<member>]` and are read with ?target=.
 *  - Create on a cluster is LXD's two-step create: a pending definition per
 *    member (POST ?target=<member>) then the global POST. A failure after the
 *    first step returns the partial state with the error, so Terraform keeps
 *    the pool (tainted) and the next apply replaces it cleanly.
 *  - Updates merge into the live config (GET + PUT with If-Match, retried on
 *    412) so keys the user does not manage are preserved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/plan.h"
#include "../log.h"
#include "../resource.h"
#include "client.h"
#include "lxd_common.h"

static const char *const pool_drivers[] = {
	"dir", "zfs", "btrfs", "lvm", "ceph", "cephfs", "cephobject", NULL,
};

static const tf_attr_def pool_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL,
	  "Name of the storage pool. Changing it replaces the pool.",
	  tf_validate_lxd_name },
	{ "driver", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL,
	  "Storage driver: `dir`, `zfs`, `btrfs`, `lvm`, `ceph`, `cephfs` or "
	  "`cephobject`. Must be supported by the server (checked at plan "
	  "time). Changing it replaces the pool.",
	  tf_validate_one_of, pool_drivers },
	{ "description", "\"string\"", TF_OPTIONAL | TF_COMPUTED, "\"\"",
	  "Description of the pool." },
	{ "config", "[\"map\",\"string\"]", TF_OPTIONAL, NULL,
	  "Pool configuration keys managed by Terraform (for example "
	  "`rsync.bwlimit` or `volume.size`). Keys the server fills in "
	  "(`source` of a `dir` pool, `volatile.*`, driver defaults) are not "
	  "reported unless you set them. On a cluster, member-specific keys "
	  "belong in `member_config`. Changing `source`, `zfs.pool_name`, "
	  "`lvm.use_thinpool` or `lvm.thinpool_metadata_size` replaces the pool." },
	{ "member_config", "[\"map\",[\"map\",\"string\"]]", TF_OPTIONAL, NULL,
	  "Clustered servers only: member-specific keys (`source`, `size`, "
	  "`zfs.pool_name`, `lvm.vg_name`, `lvm.thinpool_name`) per cluster "
	  "member name, e.g. `{ node1 = { source = \"/srv/pool\" } }`. Members "
	  "not listed get LXD's defaults." },
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

/* ---- key tables ------------------------------------------------------- */

static bool in_list(const char *k, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(k, *list) == 0)
			return true;
	return false;
}

/* LXD 5.0.2 NodeSpecificStorageConfig plus the keys later releases add. */
static const char *const member_keys[] = {
	"source", "size", "zfs.pool_name", "lvm.thinpool_name", "lvm.vg_name",
	"volatile.initial_source", "source.wipe", "source.recover", NULL,
};

/* Keys LXD refuses to change once the pool exists: a change replaces it. */
static const char *const immutable_keys[] = {
	"source", "zfs.pool_name", "lvm.use_thinpool",
	"lvm.thinpool_metadata_size", NULL,
};

static bool is_member_key(const char *k)
{
	return in_list(k, member_keys);
}

/* Keys the server fills in by itself, per driver. They are reported only
 * when the user manages them. */
static bool is_server_filled(const char *driver, const char *k)
{
	static const char *const dir_k[] = { "source", NULL };
	static const char *const zfs_k[] = { "source", "size", "zfs.pool_name", NULL };
	static const char *const btrfs_k[] = { "source", "size", NULL };
	static const char *const lvm_k[] = {
		"source", "size", "lvm.vg_name", "lvm.thinpool_name",
		"lvm.thinpool_metadata_size", NULL };
	static const char *const ceph_k[] = {
		"source", "ceph.cluster_name", "ceph.osd.pg_num",
		"ceph.osd.pool_name", "ceph.user.name", NULL };
	static const char *const cephfs_k[] = {
		"source", "cephfs.cluster_name", "cephfs.path", "cephfs.user.name",
		NULL };
	static const char *const cephobject_k[] = {
		"cephobject.cluster_name", "cephobject.user.name", NULL };

	if (strncmp(k, "volatile.", 9) == 0)
		return true;
	if (!driver)
		return false;
	if (strcmp(driver, "dir") == 0)
		return in_list(k, dir_k);
	if (strcmp(driver, "zfs") == 0)
		return in_list(k, zfs_k);
	if (strcmp(driver, "btrfs") == 0)
		return in_list(k, btrfs_k);
	if (strcmp(driver, "lvm") == 0)
		return in_list(k, lvm_k);
	if (strcmp(driver, "ceph") == 0)
		return in_list(k, ceph_k);
	if (strcmp(driver, "cephfs") == 0)
		return in_list(k, cephfs_k);
	if (strcmp(driver, "cephobject") == 0)
		return in_list(k, cephobject_k);
	return false;
}

/* ---- paths and small helpers ----------------------------------------- */

/* "/1.0/storage-pools/<name>[?target=<member>]", malloc'd or NULL. */
static char *pool_path(const char *name, const char *target)
{
	char *en = lxd_escape(name), *et = target ? lxd_escape(target) : NULL;
	char *p = NULL;

	if (en && (!target || et)) {
		if (asprintf(&p, "/1.0/storage-pools/%s%s%s", en,
			     target ? "?target=" : "", target ? et : "") < 0)
			p = NULL;
	}
	free(en);
	free(et);
	return p;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted list(string) of the pool's `locations`. */
static tf_value *locations_value(const json_t *pool)
{
	tf_type *lt = tf_type_list(tf_type_string());
	tf_value *l = tf_value_list_new(lt);
	const json_t *locs = json_object_get(pool, "locations");
	size_t n = json_array_size(locs), i;
	const char **names = calloc(n + 1, sizeof(*names));

	tf_type_unref(lt);
	if (!l || !names) {
		free(names);
		return l;
	}
	for (i = 0; i < n; i++)
		names[i] = json_string_value(json_array_get(locs, i));
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++)
		if (names[i])
			tf_value_list_append(l, tf_value_string(names[i]));
	free(names);
	return l;
}

/* The whole state object. Every value argument is borrowed; NULL values
 * become null. `pool` (live metadata) gives status and locations. */
static tf_value *build_state(const tf_schema *s, const char *name,
			     const char *driver, const char *description,
			     const tf_value *config, const tf_value *member_config,
			     const json_t *pool)
{
	tf_value *st = tf_schema_empty_object(s);
	const char *status = json_string_value(json_object_get(pool, "status"));

	if (!st)
		return NULL;
	tf_value_object_set(st, "name", tf_value_string(name));
	tf_value_object_set(st, "driver", tf_value_string(driver ? driver : ""));
	tf_value_object_set(st, "description",
			    tf_value_string(description ? description : ""));
	if (config)
		tf_value_object_set(st, "config", tf_value_ref((tf_value *)config));
	if (member_config)
		tf_value_object_set(st, "member_config",
				    tf_value_ref((tf_value *)member_config));
	tf_value_object_set(st, "status", tf_value_string(status ? status : "Unknown"));
	tf_value_object_set(st, "locations", locations_value(pool));
	return st;
}

/* Live value of each key of `managed` (a map(string) value); keys gone from
 * `live` are dropped. A null `managed` stays null (returns NULL). */
static tf_value *refresh_keys(const tf_value *managed, const json_t *live)
{
	tf_value *out;

	if (!managed || !tf_value_is_known(managed))
		return NULL;
	out = tf_value_map_new(tf_value_type(managed));
	for (size_t i = 0; out && i < tf_value_len(managed); i++) {
		const char *k = tf_value_map_key(managed, i);
		const json_t *v = json_object_get(live, k);
		if (json_is_string(v))
			tf_value_map_set(out, k, tf_value_string(json_string_value(v)));
		else if (v && !json_is_null(v)) {
			char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			tf_value_map_set(out, k, tf_value_string(t ? t : ""));
			free(t);
		}
	}
	return out;
}

struct filter_arg {
	const char *driver;
	const char *name;  /* pool name, to recognise default sources */
	bool member_only;  /* keep only member-specific keys */
	bool global_only;  /* keep only global keys */
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
	if (a->member_only && !is_member_key(k))
		return false;
	if (a->global_only && is_member_key(k))
		return false;
	if (strcmp(k, "source") == 0)
		return !is_default_source(a->driver, a->name, json_string_value(v));
	return !is_server_filled(a->driver, k);
}

static int get_pool(lxd_client *c, const char *name, const char *target,
		    json_t **pool, char **etag, lxd_error *err)
{
	char *path = pool_path(name, target);
	int rc;

	if (!path)
		return LXD_E_NOMEM;
	rc = lxd_get(c, path, 0, pool, etag, err);
	free(path);
	return rc;
}

/* ---- read --------------------------------------------------------------- */

/* Refresh member_config: each listed member's managed keys, read with
 * ?target=. Members that left the cluster are dropped. */
static tf_value *refresh_members(lxd_client *c, const char *name,
				 const tf_value *prior_mc, tf_diags *d)
{
	tf_value *out;

	if (!prior_mc || !tf_value_is_known(prior_mc))
		return NULL;
	out = tf_value_map_new(tf_value_type(prior_mc));
	for (size_t i = 0; out && i < tf_value_len(prior_mc); i++) {
		const char *m = tf_value_map_key(prior_mc, i);
		json_t *pool = NULL;
		lxd_error err = {0};
		int rc = get_pool(c, name, m, &pool, NULL, &err);

		if (rc == LXD_E_NOTFOUND || rc == LXD_E_INVALID)
			continue; /* member gone: the plan shows it re-added */
		if (rc) {
			lxd_diag(d, NULL, "Cannot read storage pool", &err,
				 "Reading storage pool \"%s\" on member \"%s\"",
				 name, m);
			tf_value_unref(out);
			return NULL;
		}
		tf_value_map_set(out, m, refresh_keys(tf_value_map_value(prior_mc, i),
						      json_object_get(pool, "config")));
		json_decref(pool);
	}
	return out;
}

static void pool_read(tfp_ctx *ctx, const tf_value *state, tf_value **out,
		      tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *name = tf_value_attr_string(state, "name");
	tf_value *cfg = NULL, *mc = NULL;
	json_t *pool = NULL;
	lxd_error err = {0};
	int rc;

	if (!c || !name)
		return;
	rc = get_pool(c, name, NULL, &pool, NULL, &err);
	if (rc == LXD_E_NOTFOUND) {
		tfp_info("Storage pool \"%s\" no longer exists", name);
		return; /* *out stays NULL: gone */
	}
	if (rc) {
		lxd_diag(d, NULL, "Cannot read storage pool", &err,
			 "Reading storage pool \"%s\"", name);
		return;
	}
	cfg = refresh_keys(tf_value_attr(state, "config"),
			   json_object_get(pool, "config"));
	mc = refresh_members(c, name, tf_value_attr(state, "member_config"), d);
	if (!tf_diags_has_error(d))
		*out = build_state(ctx->schema, name,
				   json_string_value(json_object_get(pool, "driver")),
				   json_string_value(json_object_get(pool, "description")),
				   cfg, mc, pool);
	tf_value_unref(cfg);
	tf_value_unref(mc);
	json_decref(pool);
}

/* ---- import ------------------------------------------------------------- */

static void pool_import(tfp_ctx *ctx, const char *id, tf_value **out,
			tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	struct filter_arg fa = {0};
	tf_value *cfg = NULL, *mc = NULL;
	json_t *pool = NULL;
	lxd_error err = {0};
	bool clustered = false;
	int rc;

	if (!c)
		return;
	if (!*id || strchr(id, '/')) {
		tf_diags_error(d, NULL, "Invalid import ID",
			       "Import a storage pool by its name, e.g. "
			       "`terraform import lxd_storage_pool.example default` "
			       "(got \"%s\"). Storage pools are not project-scoped.",
			       id);
		return;
	}
	rc = get_pool(c, id, NULL, &pool, NULL, &err);
	if (rc == LXD_E_NOTFOUND) {
		/* Let ReadResource report it: Terraform then says "Cannot
		 * import non-existent remote object". */
		*out = build_state(ctx->schema, id, NULL, NULL, NULL, NULL, NULL);
		return;
	}
	if (rc == LXD_OK)
		rc = lxd_is_clustered(c, &clustered, &err);
	if (rc) {
		lxd_diag(d, NULL, "Cannot import storage pool", &err,
			 "Reading storage pool \"%s\"", id);
		return;
	}
	fa.driver = json_string_value(json_object_get(pool, "driver"));
	fa.name = id;
	fa.global_only = clustered;
	cfg = lxd_config_to_map(json_object_get(pool, "config"), import_filter, &fa);
	if (cfg && tf_value_len(cfg) == 0) {
		tf_value_unref(cfg);
		cfg = NULL;
	}
	if (clustered) {
		const json_t *locs = json_object_get(pool, "locations");
		tf_type *mt = tf_type_map(tf_type_map(tf_type_string()));
		size_t i;
		json_t *l;

		/* tf_type_map took its own reference of the inner map type. */
		tf_type_unref(tf_type_elem(mt));
		mc = tf_value_map_new(mt);
		tf_type_unref(mt);
		fa.global_only = false;
		fa.member_only = true;
		json_array_foreach(locs, i, l) {
			json_t *mp = NULL;
			tf_value *keys;
			const char *m = json_string_value(l);

			if (!m || get_pool(c, id, m, &mp, NULL, &err) != LXD_OK)
				continue;
			keys = lxd_config_to_map(json_object_get(mp, "config"),
						 import_filter, &fa);
			if (keys && tf_value_len(keys) > 0)
				tf_value_map_set(mc, m, keys);
			else
				tf_value_unref(keys);
			json_decref(mp);
		}
		if (mc && tf_value_len(mc) == 0) {
			tf_value_unref(mc);
			mc = NULL;
		}
	}
	*out = build_state(ctx->schema, id, fa.driver,
			   json_string_value(json_object_get(pool, "description")),
			   cfg, mc, pool);
	tf_value_unref(cfg);
	tf_value_unref(mc);
	json_decref(pool);
}

/* ---- plan --------------------------------------------------------------- */

static void path_key(tf_path *p, const char *attr, const char *k1, const char *k2)
{
	tf_path_push_attr(p, attr);
	if (k1)
		tf_path_push_key(p, k1);
	if (k2)
		tf_path_push_key(p, k2);
}

/* Immutable keys whose value changes between prior and planned force a
 * replacement (reported at config["k"] / member_config["m"]["k"]). */
static bool check_immutable(const tf_value *prior_map, const tf_value *planned_map,
			    const char *attr, const char *member, tf_paths *replace)
{
	bool any = false;

	if (!tf_value_is_known(prior_map) || !tf_value_is_known(planned_map))
		return false;
	for (size_t i = 0; i < tf_value_len(planned_map); i++) {
		const char *k = tf_value_map_key(planned_map, i);
		const tf_value *nv = tf_value_map_value(planned_map, i);
		const tf_value *ov = tf_value_map_get(prior_map, k);

		if (!in_list(k, immutable_keys) || !ov)
			continue;
		if (tf_value_is_unknown(nv) || !tf_value_equal(ov, nv)) {
			tf_path p = {0};
			path_key(&p, attr, member, member ? k : NULL);
			if (!member)
				tf_path_push_key(&p, k);
			tf_paths_add(replace, &p);
			tf_path_done(&p);
			any = true;
		}
	}
	return any;
}

static bool json_array_has(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static char *join_names(const json_t *arr)
{
	size_t i, len = 1, off = 0;
	json_t *v;
	char *s;

	json_array_foreach(arr, i, v)
		len += strlen(json_string_value(v)) + 2;
	s = calloc(1, len);
	if (!s)
		return NULL;
	json_array_foreach(arr, i, v)
		off += (size_t)snprintf(s + off, len - off, "%s%s", off ? ", " : "",
					json_string_value(v));
	return s;
}

/* Plan-time checks the server can answer: driver support, clustering and
 * member names, key placement. */
static void check_against_server(lxd_client *c, const tf_value *config,
				 tf_diags *d)
{
	const char *driver = tf_value_attr_string(config, "driver");
	const tf_value *cfg = tf_value_attr(config, "config");
	const tf_value *mc = tf_value_attr(config, "member_config");
	json_t *members = NULL;
	lxd_error err = {0};
	bool clustered = false, ok = false;
	char *supported = NULL;

	if (driver) {
		if (lxd_driver_supported(c, driver, &ok, &supported, &err)) {
			lxd_diag(d, NULL, "Cannot reach LXD", &err,
				 "Checking storage drivers");
			return;
		}
		if (!ok)
			tf_diags_attr_error(d, "driver", "Unsupported storage driver",
					    "The LXD server does not support the "
					    "\"%s\" storage driver (its tools are "
					    "missing or the kernel lacks support). "
					    "Supported here: %s.",
					    driver, supported ? supported : "none");
		free(supported);
	}
	if (lxd_is_clustered(c, &clustered, &err)) {
		lxd_diag(d, NULL, "Cannot reach LXD", &err, "Reading server info");
		return;
	}
	if (!clustered) {
		if (tf_value_is_known(mc) && tf_value_len(mc) > 0)
			tf_diags_attr_error(d, "member_config",
					    "member_config needs a cluster",
					    "This LXD server is not clustered. Put "
					    "keys such as `source` in `config` "
					    "instead of `member_config`.");
		return;
	}
	for (size_t i = 0; tf_value_is_known(cfg) && i < tf_value_len(cfg); i++) {
		const char *k = tf_value_map_key(cfg, i);
		if (is_member_key(k)) {
			tf_path p = {0};
			path_key(&p, "config", k, NULL);
			tf_diags_error(d, &p, "Member-specific key in config",
				       "\"%s\" is specific to each cluster member. "
				       "Set it per member in `member_config`, e.g. "
				       "member_config = { node1 = { %s = \"...\" } }.",
				       k, k);
			tf_path_done(&p);
		}
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

		if (!json_array_has(members, m)) {
			char *all = join_names(members);
			tf_path p = {0};
			path_key(&p, "member_config", m, NULL);
			tf_diags_error(d, &p, "Unknown cluster member",
				       "The LXD cluster has no member named \"%s\" "
				       "(members: %s).", m, all ? all : "");
			tf_path_done(&p);
			free(all);
			continue;
		}
		for (size_t j = 0; tf_value_is_known(keys) && j < tf_value_len(keys); j++) {
			const char *k = tf_value_map_key(keys, j);
			if (!is_member_key(k)) {
				tf_path p = {0};
				path_key(&p, "member_config", m, k);
				tf_diags_error(d, &p, "Not a member-specific key",
					       "\"%s\" applies to the whole cluster; "
					       "set it in `config` instead.", k);
				tf_path_done(&p);
			}
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
		if (!tf_value_is_known(pm) || !tf_value_map_get(pm, tf_value_map_key(nm, i)))
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
				tf_value_attr(*planned, "config"), "config", NULL,
				replace);
	{
		const tf_value *pm = tf_value_attr(prior, "member_config");
		const tf_value *nm = tf_value_attr(*planned, "member_config");
		for (size_t i = 0; tf_value_is_known(nm) && i < tf_value_len(nm); i++) {
			const char *m = tf_value_map_key(nm, i);
			const tf_value *pv = tf_value_is_known(pm) ? tf_value_map_get(pm, m) : NULL;
			if (pv)
				repl |= check_immutable(pv, tf_value_map_value(nm, i),
							"member_config", m, replace);
		}
	}
	if (repl || replace->n ||
	    members_may_change(tf_value_attr(prior, "member_config"),
			       tf_value_attr(*planned, "member_config"))) {
		tf_plan_mark_unknown(ctx->schema, *planned, "status");
		tf_plan_mark_unknown(ctx->schema, *planned, "locations");
	}
}

/* ---- create ------------------------------------------------------------- */

struct merge_arg {
	const tf_value *prior_keys;   /* map(string) or null */
	const tf_value *planned_keys; /* map(string) or null */
	const char *description;      /* NULL: keep the current one */
	bool member;                  /* targeted update: skip immutable removals */
};

static int merge_mutate(json_t *current, void *argv, json_t **body, lxd_error *err);

/* Verify callback of the global create (a POST whose outcome is unknown
 * after a dropped connection or a transient answer): the pool exists and
 * is Created: it took effect; no such pool: it did not; anything else
 * (Pending, Errored, LXD unreachable): cannot tell. */
static lxd_verdict pool_created(lxd_client *c, void *arg)
{
	const char *name = arg;
	json_t *pool = NULL;
	lxd_error err = {0};
	lxd_verdict v = LXD_CANNOT_TELL;
	const char *status;
	int rc = get_pool(c, name, NULL, &pool, NULL, &err);

	if (rc == LXD_E_NOTFOUND) {
		v = LXD_DID_NOT_TAKE_EFFECT;
	} else if (rc == LXD_OK) {
		status = json_string_value(json_object_get(pool, "status"));
		if (status && strcmp(status, "Created") == 0)
			v = LXD_TOOK_EFFECT;
	}
	json_decref(pool);
	return v;
}

static int post_pool(lxd_client *c, const char *target, const char *name,
		     const char *driver, const char *description, json_t *cfg,
		     lxd_error *err)
{
	json_t *body = json_pack("{s:s, s:s, s:O}", "name", name, "driver", driver,
				 "config", cfg);
	char *path = NULL, *et = target ? lxd_escape(target) : NULL;
	lxd_response r = {0};
	int rc = LXD_E_NOMEM;

	if (!body || (target && !et))
		goto out;
	if (description)
		json_object_set_new(body, "description", json_string(description));
	if (asprintf(&path, "/1.0/storage-pools%s%s", target ? "?target=" : "",
		     target ? et : "") < 0) {
		path = NULL;
		goto out;
	}
	/* The targeted (pending) definitions are not verified: resending one
	 * that was made fails with "already defined", which the caller
	 * reports. */
	rc = lxd_request_verify(c, "POST", path, body, 0,
				target ? NULL : pool_created, (void *)name, &r,
				err);
	lxd_response_done(&r);
out:
	json_decref(body);
	free(path);
	free(et);
	return rc;
}

/* State after a failed create: what LXD now holds (tainted by Terraform). */
static void partial_state(tfp_ctx *ctx, lxd_client *c, const tf_value *planned,
			  tf_value **out)
{
	const char *name = tf_value_attr_string(planned, "name");
	json_t *pool = NULL;
	lxd_error err = {0};

	if (get_pool(c, name, NULL, &pool, NULL, &err) != LXD_OK)
		return; /* nothing was created */
	*out = build_state(ctx->schema, name, tf_value_attr_string(planned, "driver"),
			   tf_value_attr_string(planned, "description"),
			   tf_value_attr(planned, "config"),
			   tf_value_attr(planned, "member_config"), pool);
	json_decref(pool);
}

static void pool_create(tfp_ctx *ctx, const tf_value *planned,
			const tf_value *config, tf_value **out, tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *name = tf_value_attr_string(planned, "name");
	const char *driver = tf_value_attr_string(planned, "driver");
	const char *desc = tf_value_attr_string(planned, "description");
	const tf_value *mc = tf_value_attr(planned, "member_config");
	json_t *cfg = NULL, *members = NULL, *pool = NULL;
	lxd_error err = {0};
	bool clustered = false;
	size_t i;
	json_t *m;
	int rc;

	(void)config;
	if (!c)
		return;
	if ((rc = lxd_is_clustered(c, &clustered, &err))) {
		lxd_diag(d, NULL, "Cannot create storage pool", &err,
			 "Reading server info before creating \"%s\"", name);
		return;
	}
	if (clustered) {
		if ((rc = lxd_member_names(c, &members, &err))) {
			lxd_diag(d, NULL, "Cannot create storage pool", &err,
				 "Listing cluster members for \"%s\"", name);
			return;
		}
		/* Step 1: a pending definition on every member. */
		json_array_foreach(members, i, m) {
			const char *mn = json_string_value(m);
			const tf_value *keys = tf_value_is_known(mc) ? tf_value_map_get(mc, mn) : NULL;
			json_t *mcfg = lxd_map_to_config(keys);

			rc = post_pool(c, mn, name, driver, NULL, mcfg, &err);
			json_decref(mcfg);
			if (rc) {
				tf_path p = {0};
				path_key(&p, "member_config", mn, NULL);
				lxd_diag(d, keys ? &p : NULL, "Cannot create storage pool",
					 &err, "Defining storage pool \"%s\" on member "
					 "\"%s\"", name, mn);
				tf_path_done(&p);
				partial_state(ctx, c, planned, out);
				goto done;
			}
		}
	}
	/* Step 2 (or the only step): the global create. */
	cfg = lxd_map_to_config(tf_value_attr(planned, "config"));
	rc = post_pool(c, NULL, name, driver, desc, cfg, &err);
	if (rc) {
		lxd_diag(d, NULL, "Cannot create storage pool", &err,
			 "Creating storage pool \"%s\"%s", name,
			 clustered ? " across the cluster" : "");
		partial_state(ctx, c, planned, out);
		goto done;
	}
	if (clustered && desc && *desc) {
		/* LXD ignores the description of the final clustered POST. */
		struct merge_arg a = { .planned_keys = tf_value_attr(planned, "config"),
				       .description = desc };
		char *path = pool_path(name, NULL);
		rc = path ? lxd_update_etag(c, path, 0, merge_mutate, &a, &err) : LXD_E_NOMEM;
		free(path);
		if (rc) {
			lxd_diag(d, NULL, "Cannot set storage pool description", &err,
				 "Setting the description of storage pool \"%s\"", name);
			partial_state(ctx, c, planned, out);
			goto done;
		}
	}
	if ((rc = get_pool(c, name, NULL, &pool, NULL, &err))) {
		lxd_diag(d, NULL, "Cannot read new storage pool", &err,
			 "Reading storage pool \"%s\" after creating it", name);
		/* It exists: record it with what we know. */
		*out = build_state(ctx->schema, name, driver, desc,
				   tf_value_attr(planned, "config"), mc, NULL);
		goto done;
	}
	*out = build_state(ctx->schema, name, driver, desc,
			   tf_value_attr(planned, "config"), mc, pool);
done:
	json_decref(cfg);
	json_decref(members);
	json_decref(pool);
}

/* ---- update ------------------------------------------------------------- */

/* Build the PUT body: live config minus keys the user stopped managing,
 * plus the planned keys. Keys the user never managed are preserved. */
static int merge_mutate(json_t *current, void *argv, json_t **body, lxd_error *err)
{
	struct merge_arg *a = argv;
	json_t *cfg = json_deep_copy(json_object_get(current, "config"));
	const char *cur_desc = json_string_value(json_object_get(current, "description"));

	(void)err;
	if (!cfg)
		cfg = json_object();
	for (size_t i = 0; tf_value_is_known(a->prior_keys) && i < tf_value_len(a->prior_keys); i++) {
		const char *k = tf_value_map_key(a->prior_keys, i);
		if (tf_value_is_known(a->planned_keys) && tf_value_map_get(a->planned_keys, k))
			continue;
		if (a->member && in_list(k, immutable_keys))
			continue; /* cannot be removed: just stop managing it */
		json_object_del(cfg, k);
	}
	for (size_t i = 0; tf_value_is_known(a->planned_keys) && i < tf_value_len(a->planned_keys); i++) {
		const char *s = tf_value_get_string(tf_value_map_value(a->planned_keys, i));
		json_object_set_new(cfg, tf_value_map_key(a->planned_keys, i),
				    json_string(s ? s : ""));
	}
	*body = json_pack("{s:o, s:s}", "config", cfg, "description",
			  a->description ? a->description : (cur_desc ? cur_desc : ""));
	return *body ? LXD_OK : LXD_E_NOMEM;
}

static void pool_update(tfp_ctx *ctx, const tf_value *prior,
			const tf_value *planned, const tf_value *config,
			tf_value **out, tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *name = tf_value_attr_string(prior, "name");
	const tf_value *pmc = tf_value_attr(prior, "member_config");
	const tf_value *nmc = tf_value_attr(planned, "member_config");
	json_t *pool = NULL;
	lxd_error err = {0};
	char *path = NULL;

	(void)config;
	if (!c)
		return;
	if (tf_plan_attr_changed(prior, planned, "description") ||
	    tf_plan_attr_changed(prior, planned, "config")) {
		struct merge_arg a = {
			.prior_keys = tf_value_attr(prior, "config"),
			.planned_keys = tf_value_attr(planned, "config"),
			.description = tf_value_attr_string(planned, "description"),
		};
		path = pool_path(name, NULL);
		if (!path || lxd_update_etag(c, path, 0, merge_mutate, &a, &err)) {
			lxd_diag(d, NULL, "Cannot update storage pool", &err,
				 "Updating storage pool \"%s\"", name);
			goto partial;
		}
		free(path);
		path = NULL;
	}
	for (size_t i = 0; tf_value_is_known(nmc) && i < tf_value_len(nmc); i++) {
		const char *m = tf_value_map_key(nmc, i);
		const tf_value *nv = tf_value_map_value(nmc, i);
		const tf_value *pv = tf_value_is_known(pmc) ? tf_value_map_get(pmc, m) : NULL;
		struct merge_arg a = { .prior_keys = pv, .planned_keys = nv, .member = true };

		if (pv && tf_value_equal(pv, nv))
			continue;
		path = pool_path(name, m);
		if (!path || lxd_update_etag(c, path, 0, merge_mutate, &a, &err)) {
			tf_path p = {0};
			path_key(&p, "member_config", m, NULL);
			lxd_diag(d, &p, "Cannot update storage pool", &err,
				 "Updating storage pool \"%s\" on member \"%s\"", name, m);
			tf_path_done(&p);
			goto partial;
		}
		free(path);
		path = NULL;
	}
	/* Members dropped from member_config: stop managing their mutable keys. */
	for (size_t i = 0; tf_value_is_known(pmc) && i < tf_value_len(pmc); i++) {
		const char *m = tf_value_map_key(pmc, i);
		struct merge_arg a = { .prior_keys = tf_value_map_value(pmc, i),
				       .planned_keys = NULL, .member = true };
		bool has_mutable = false;

		if (tf_value_is_known(nmc) && tf_value_map_get(nmc, m))
			continue;
		for (size_t j = 0; j < tf_value_len(a.prior_keys); j++)
			if (!in_list(tf_value_map_key(a.prior_keys, j), immutable_keys))
				has_mutable = true;
		if (!has_mutable)
			continue;
		path = pool_path(name, m);
		if (!path || lxd_update_etag(c, path, 0, merge_mutate, &a, &err)) {
			lxd_diag(d, NULL, "Cannot update storage pool", &err,
				 "Removing settings of storage pool \"%s\" on member \"%s\"",
				 name, m);
			goto partial;
		}
		free(path);
		path = NULL;
	}
	if (get_pool(c, name, NULL, &pool, NULL, &err) != LXD_OK) {
		lxd_diag(d, NULL, "Cannot read storage pool", &err,
			 "Reading storage pool \"%s\" after updating it", name);
		goto partial;
	}
	*out = build_state(ctx->schema, name, tf_value_attr_string(planned, "driver"),
			   tf_value_attr_string(planned, "description"),
			   tf_value_attr(planned, "config"), nmc, pool);
	json_decref(pool);
	return;
partial:
	free(path);
	/* Record what is true now: the prior keys at their live values. The
	 * next plan shows whatever is still to do. */
	{
		tf_diags ignore = TF_DIAGS_INIT;
		pool_read(ctx, prior, out, &ignore);
		tf_diags_done(&ignore);
	}
}

/* ---- delete ------------------------------------------------------------- */

static void pool_delete(tfp_ctx *ctx, const tf_value *prior, tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *name = tf_value_attr_string(prior, "name");
	char *path;
	lxd_response r = {0};
	lxd_error err = {0};
	int rc;

	if (!c || !name)
		return;
	path = pool_path(name, NULL);
	if (!path) {
		tf_diags_error(d, NULL, "Out of memory", "Deleting \"%s\"", name);
		return;
	}
	rc = lxd_request(c, "DELETE", path, NULL, NULL, 0, &r, &err);
	lxd_response_done(&r);
	free(path);
	if (rc == LXD_OK || rc == LXD_E_NOTFOUND)
		return;
	if (strstr(err.message, "in use"))
		tf_diags_error(d, NULL, "Storage pool is in use",
			       "LXD refused to delete storage pool \"%s\": %s. "
			       "Remove the instances, profiles and custom volumes "
			       "that use it (see `lxc storage show %s`, used_by) "
			       "and apply again.", name, err.message, name);
	else
		lxd_diag(d, NULL, "Cannot delete storage pool", &err,
			 "Deleting storage pool \"%s\"", name);
}

const tfp_resource lxd_storage_pool_resource = {
	.type_name = "lxd_storage_pool",
	.version = 0,
	.schema = &pool_schema,
	.modify_plan = pool_modify_plan,
	.create = pool_create,
	.read = pool_read,
	.update = pool_update,
	.remove = pool_delete,
	.import = pool_import,
};
