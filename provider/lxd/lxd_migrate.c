/* terraform-provider-lxd states taken over by lxd_storage_pool and
 * lxd_ovn_network (see lxd_migrate.h; facts in
 * docs/internals/terraform-lxd-states.md). Pure JSON rewrites. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxd_kit.h"
#include "lxd_migrate.h"
#include "lxd_ovn_keys.h"
#include "lxd_storage_pool.h"

/* What a terraform-lxd state of one type may hold (2.x and 3.0.x
 * together), and the attributes only such a state has: one of them present
 * makes a state foreign (this provider's own states never have them). */
typedef struct mig_shape {
	const char *const *attrs;
	const char *const *marks;
} mig_shape;

static const char *const pool_attrs[] = {
	"name",   "description", "driver", "source",           "project",
	"target", "remote",      "config", "member_overrides", "members",
	NULL,
};
static const char *const pool_marks[] = {
	"source",           "project", "target", "remote",
	"member_overrides", "members", NULL,
};
static const mig_shape pool_shape = { pool_attrs, pool_marks };

static const char *const net_attrs[] = {
	"name",    "description",  "type",         "project",
	"remote",  "target",       "config",       "managed",
	"members", "ipv4_address", "ipv6_address", "member_overrides",
	NULL,
};
static const char *const net_marks[] = {
	"type",    "managed",          "remote", "target",
	"members", "member_overrides", NULL,
};
static const mig_shape net_shape = { net_attrs, net_marks };

/* Helpers return MIG_OK or TFP_ADOPT_REFUSED (-1, after the error). */
#define MIG_OK 0

/* ---- refusals ----------------------------------------------------------- */

/* What to do with the object: import it here, leave it with
 * terraform-provider-lxd, or just drop this instance (a 2.x member
 * instance: its pool moves with the cluster-wide instance). */
typedef enum mig_advice { MIG_IMPORT, MIG_KEEP, MIG_DROP } mig_advice;

static const char *advice(const tfp_foreign *src, mig_advice a)
{
	static const char *const moved[] = {
		[MIG_IMPORT] = "Remove this `moved` block. To manage the object "
			       "with this provider instead, drop it from the "
			       "state without destroying it (a `removed` block "
			       "with `lifecycle { destroy = false }`, or "
			       "`terraform state rm`) and import it (an "
			       "`import` block).",
		[MIG_KEEP] = "Remove this `moved` block: the object stays with "
			     "terraform-provider-lxd.",
		[MIG_DROP] = "Remove this `moved` block and drop this instance "
			     "from the state without destroying anything (a "
			     "`removed` block with `lifecycle { destroy = false "
			     "}`, or `terraform state rm`).",
	};
	static const char *const upgraded[] = {
		[MIG_IMPORT] =
			"Remove it from the state without destroying it "
			"(`terraform state rm ADDRESS`) and import it (an "
			"`import` block or `terraform import`).",
		[MIG_KEEP] =
			"This provider cannot manage it: remove it from the "
			"state without destroying it (`terraform state rm "
			"ADDRESS`) and keep managing it with "
			"terraform-provider-lxd in another configuration.",
		[MIG_DROP] = "Drop this instance from the state, which destroys "
			     "nothing: `terraform state rm ADDRESS`.",
	};

	return src->moved ? moved[a] : upgraded[a];
}

/* An error naming the object, the attribute and what to do (`hint`, may be
 * NULL, before the advice). Returns TFP_ADOPT_REFUSED. */
static int vrefuse(tf_diags *d, const tfp_foreign *src, const json_t *st,
		   const char *attr, const char *hint, mig_advice a,
		   const char *fmt, va_list ap)
{
	const char *name = json_string_value(json_object_get(st, "name"));
	char why[512];

	vsnprintf(why, sizeof(why), fmt, ap);
	tf_diags_error(d, NULL,
		       src->moved ? "Cannot move this resource" :
				    "Cannot take over this resource state",
		       "The terraform-provider-lxd state of %s \"%s\"%s%s%s "
		       "cannot become this provider's: attribute `%s` %s. "
		       "%s%s%s",
		       src->type_name, name ? name : "?",
		       src->provider ? " (provider " : "",
		       src->provider ? src->provider : "",
		       src->provider ? ")" : "", attr, why, hint ? hint : "",
		       hint ? " " : "", advice(src, a));
	return TFP_ADOPT_REFUSED;
}

static int refuse(tf_diags *d, const tfp_foreign *src, const json_t *st,
		  const char *attr, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int refuse(tf_diags *d, const tfp_foreign *src, const json_t *st,
		  const char *attr, const char *hint, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrefuse(d, src, st, attr, hint, MIG_IMPORT, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- shape -------------------------------------------------------------- */

/* TFP_ADOPT_DONE when `st` is a terraform-lxd state of `sh` that may be
 * taken over as far as its shape goes, TFP_ADOPT_NOT_FOREIGN when it has
 * none of the marks (and `must` is false), else a refusal. */
static int check_shape(const tfp_foreign *src, const json_t *st,
		       const mig_shape *sh, bool must, tf_diags *d)
{
	const char *k;
	json_t *v;
	bool marked = false;

	for (size_t i = 0; sh->marks[i]; i++)
		marked = marked || json_object_get(st, sh->marks[i]);
	if (!marked && !must)
		return TFP_ADOPT_NOT_FOREIGN;
	if (!json_is_object(st) || !marked)
		return refuse(d, src, st, "type", NULL,
			      "is missing: this is not a state that "
			      "terraform-provider-lxd 2.x or 3.0.x writes");
	json_object_foreach ((json_t *)st, k, v) {
		if (!lxd_in_list(k, sh->attrs))
			return refuse(d, src, st, k, NULL,
				      "is not one terraform-provider-lxd 2.x "
				      "or 3.0.x writes (a newer release?)");
	}
	if (src->version != 0)
		return refuse(d, src, st, "schema_version",
			      "terraform-provider-lxd 2.x and 3.0.x write 0.",
			      "is %lld", (long long)src->version);
	if (!json_is_string(json_object_get(st, "name")))
		return refuse(d, src, st, "name", NULL, "is not a string");
	return TFP_ADOPT_DONE;
}

/* Through vrefuse with a va_list built here. */
static int refuse_as(tf_diags *d, const tfp_foreign *src, const json_t *st,
		     const char *attr, const char *hint, mig_advice a,
		     const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static int refuse_as(tf_diags *d, const tfp_foreign *src, const json_t *st,
		     const char *attr, const char *hint, mig_advice a,
		     const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrefuse(d, src, st, attr, hint, a, fmt, ap);
	va_end(ap);
	return rc;
}

/* `attr` must be null or absent: the attribute has no equivalent here. */
static int want_null(tf_diags *d, const tfp_foreign *src, const json_t *st,
		     const char *attr, const char *hint, mig_advice a)
{
	const json_t *v = json_object_get(st, attr);
	const char *s = json_string_value(v);

	if (!v || json_is_null(v))
		return MIG_OK;
	if (s)
		return refuse_as(d, src, st, attr, hint, a, "is \"%s\"", s);
	return refuse_as(d, src, st, attr, hint, a, "is set");
}

/* The string attribute `attr` (NULL when null or absent); *bad when it is
 * something else (refused). */
static const char *opt_string(tf_diags *d, const tfp_foreign *src,
			      const json_t *st, const char *attr, bool *bad)
{
	const json_t *v = json_object_get(st, attr);

	if (v && !json_is_null(v) && !json_is_string(v)) {
		refuse(d, src, st, attr, NULL, "is not a string");
		*bad = true;
	}
	return json_string_value(v);
}

/* A map(string) attribute as a new object without its null values
 * (terraform-lxd keeps a key the user set to null); NULL with *out NULL
 * when null or absent. Returns MIG_OK or a refusal. */
static int string_map(tf_diags *d, const tfp_foreign *src, const json_t *st,
		      const json_t *m, const char *attr, json_t **out)
{
	const char *k;
	json_t *v;

	*out = NULL;
	if (!m || json_is_null(m))
		return MIG_OK;
	if (!json_is_object(m))
		return refuse(d, src, st, attr, NULL, "is not a map");
	*out = json_object();
	if (!*out)
		abort();
	json_object_foreach ((json_t *)m, k, v) {
		if (json_is_null(v))
			continue;
		if (!json_is_string(v)) {
			json_decref(*out);
			*out = NULL;
			return refuse(d, src, st, attr, NULL,
				      "holds a non-string value at \"%s\"", k);
		}
		json_object_set(*out, k, v);
	}
	return MIG_OK;
}

/* Replace the attributes of `st` by those of `with` (taken). */
static void replace_object(json_t *st, json_t *with)
{
	json_object_clear(st);
	json_object_update(st, with);
	json_decref(with);
}

static void set_or_null(json_t *o, const char *k, json_t *take)
{
	json_object_set_new(o, k, take ? take : json_null());
}

int lxd_migrate_own_v0(int64_t from_version, json_t *state, tf_diags *d)
{
	(void)from_version;
	(void)state;
	(void)d;
	return 0;
}

/* ---- lxd_storage_pool --------------------------------------------------- */

#define POOL_TARGET_HINT                                                       \
	"terraform-provider-lxd 2.x made a clustered pool from one instance "  \
	"per member (with `target`) and one without; here one "                \
	"lxd_storage_pool is the whole pool: the instance without `target` "   \
	"takes it over, and its first refresh reads every member's own keys "  \
	"into `member_config`."
#define REMOTE_HINT                                                            \
	"This provider has no remotes (one provider configuration is one "     \
	"server), and cannot tell whether that remote is the server this "     \
	"resource's provider configuration points at."

/* 3.0.x `members` (member -> {config = map}) as member_config (member ->
 * map), NULL when empty or null: the pool is then not clustered. */
static int pool_members(tf_diags *d, const tfp_foreign *src, const json_t *st,
			json_t **out)
{
	const json_t *m = json_object_get(st, "members");
	const char *member;
	json_t *v, *keys;

	*out = NULL;
	if (!m || json_is_null(m) || json_object_size(m) == 0)
		return MIG_OK;
	if (!json_is_object(m))
		return refuse(d, src, st, "members", NULL, "is not a map");
	*out = json_object();
	if (!*out)
		abort();
	json_object_foreach ((json_t *)m, member, v) {
		if (string_map(d, src, st, json_object_get(v, "config"),
			       "members", &keys) != MIG_OK) {
			json_decref(*out);
			*out = NULL;
			return TFP_ADOPT_REFUSED;
		}
		if (keys)
			json_object_set_new(*out, member, keys);
	}
	return MIG_OK;
}

/* The pool's `config`: terraform-lxd's (user's keys and live keys that are
 * not computed), plus 2.x's `source` attribute; on a cluster (`members`
 * not empty) without the member-specific keys, which are in
 * member_config. */
static int pool_config(tf_diags *d, const tfp_foreign *src, const json_t *st,
		       bool clustered, json_t **out)
{
	bool bad = false;
	const char *source = opt_string(d, src, st, "source", &bad);
	const char *k;
	json_t *v;
	void *tmp;

	if (bad || string_map(d, src, st, json_object_get(st, "config"),
			      "config", out) != MIG_OK)
		return TFP_ADOPT_REFUSED;
	if (source && !*out)
		*out = json_object();
	if (source && !json_object_get(*out, "source"))
		json_object_set_new(*out, "source", json_string(source));
	if (clustered && *out) {
		json_object_foreach_safe (*out, tmp, k, v) {
			if (pool_is_member_key(k))
				json_object_del(*out, k);
		}
	}
	return MIG_OK;
}

/* Checks of the attributes that have no equivalent here. */
static int pool_check(tf_diags *d, const tfp_foreign *src, const json_t *st)
{
	bool bad = false;
	const char *driver = opt_string(d, src, st, "driver", &bad);

	if (bad)
		return TFP_ADOPT_REFUSED;
	if (want_null(d, src, st, "target", POOL_TARGET_HINT, MIG_DROP) ||
	    want_null(d, src, st, "remote", REMOTE_HINT, MIG_IMPORT))
		return TFP_ADOPT_REFUSED;
	if (!driver || !lxd_in_list(driver, pool_drivers))
		return refuse_as(d, src, st, "driver",
				 "lxd_storage_pool manages dir, zfs, btrfs, "
				 "lvm, ceph, cephfs and cephobject pools.",
				 MIG_KEEP, "is \"%s\"",
				 driver ? driver : "null");
	/* `project` is dropped: LXD storage pools are not project-scoped. */
	return MIG_OK;
}

int lxd_migrate_pool(const tfp_foreign *src, json_t *st, tf_diags *d)
{
	json_t *cfg = NULL, *mc = NULL, *out;
	const char *desc;
	bool bad = false;
	int rc;

	if (strcmp(src->type_name, "lxd_storage_pool") != 0)
		return TFP_ADOPT_NOT_FOREIGN;
	rc = check_shape(src, st, &pool_shape, false, d);
	if (rc != TFP_ADOPT_DONE)
		return rc;
	desc = opt_string(d, src, st, "description", &bad);
	if (bad || pool_check(d, src, st) || pool_members(d, src, st, &mc) ||
	    pool_config(d, src, st, mc != NULL, &cfg)) {
		json_decref(mc);
		return TFP_ADOPT_REFUSED;
	}
	out = json_pack("{s:O,s:O,s:s}", "name", json_object_get(st, "name"),
			"driver", json_object_get(st, "driver"), "description",
			desc ? desc : "");
	if (!out)
		abort();
	set_or_null(out, "config", cfg);
	set_or_null(out, "member_config", mc);
	json_object_set_new(out, "ignore_unmanaged_keys", json_null());
	/* Filled in by the first refresh. */
	json_object_set_new(out, "status", json_string("Unknown"));
	json_object_set_new(out, "locations", json_array());
	replace_object(st, out);
	return TFP_ADOPT_DONE;
}

/* ---- lxd_network (type ovn) -> lxd_ovn_network -------------------------- */

/* LXD's string for a first-class attribute as its JSON state value, or
 * NULL when this provider's attribute cannot hold it. */
static json_t *ovn_json_value(const char *s, ovn_kind kind)
{
	json_t *list;
	char *end;
	long long n;

	switch (kind) {
	case OVN_K_BOOL:
		if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
			return json_boolean(strcmp(s, "true") == 0);
		return NULL;
	case OVN_K_INT:
		errno = 0;
		n = strtoll(s, &end, 10);
		return (*s && !*end && !errno) ? json_integer(n) : NULL;
	case OVN_K_LIST:
		list = json_array();
		for (const char *p = s; list && *p;) {
			size_t len = strcspn(p, ",");
			size_t lead = strspn(p, " ");

			if (len > lead)
				json_array_append_new(list,
						      json_stringn(p + lead,
								   len - lead));
			p += len + (p[len] == ',');
		}
		return list;
	case OVN_K_STRING:
	default: return json_string(s);
	}
}

/* Sort terraform-lxd's `config` into this resource's attributes: `network`
 * -> uplink, keys with a first-class attribute -> it, the rest -> config
 * (null when none is left, as after an import). */
static int ovn_keys(tf_diags *d, const tfp_foreign *src, const json_t *st,
		    json_t *out)
{
	json_t *cfg, *v, *rest;
	const char *k;
	int rc = string_map(d, src, st, json_object_get(st, "config"), "config",
			    &cfg);

	if (rc != MIG_OK)
		return rc;
	if (!json_is_string(json_object_get(cfg, "network"))) {
		json_decref(cfg);
		return refuse(d, src, st, "config",
			      "lxd_ovn_network needs the uplink network.",
			      "has no \"network\" key");
	}
	rest = json_object();
	if (!rest)
		abort();
	json_object_foreach (cfg, k, v) {
		const ovn_attr_key *ak = ovn_attr_by_key(k);
		json_t *jv;

		if (strcmp(k, "network") == 0) {
			json_object_set(out, "uplink", v);
		} else if (!ak) {
			json_object_set(rest, k, v);
		} else if ((jv = ovn_json_value(json_string_value(v),
						ak->kind))) {
			json_object_set_new(out, ak->attr, jv);
		} else {
			rc = refuse(d, src, st, "config",
				    "Set it to a value of that type with "
				    "terraform-provider-lxd first.",
				    "holds \"%s\" = \"%s\", which this "
				    "provider's `%s` cannot hold",
				    k, json_string_value(v), ak->attr);
			break;
		}
	}
	json_decref(cfg);
	set_or_null(out, "config", json_object_size(rest) ? rest : NULL);
	if (!json_object_size(rest))
		json_decref(rest);
	return rc;
}

/* Checks of the attributes that have no equivalent here. */
static int ovn_check(tf_diags *d, const tfp_foreign *src, const json_t *st)
{
	const char *type = json_string_value(json_object_get(st, "type"));
	const json_t *ov = json_object_get(st, "member_overrides");

	if (!type || strcmp(type, "ovn") != 0)
		return refuse_as(d, src, st, "type",
				 "lxd_ovn_network manages OVN networks only "
				 "(the lxd_network data source can refer to "
				 "this one).",
				 MIG_KEEP, "is \"%s\"", type ? type : "null");
	if (want_null(d, src, st, "target", NULL, MIG_IMPORT) ||
	    want_null(d, src, st, "remote", REMOTE_HINT, MIG_IMPORT))
		return TFP_ADOPT_REFUSED;
	if (ov && !json_is_null(ov) && json_object_size(ov) != 0)
		return refuse(d, src, st, "member_overrides", NULL,
			      "is set (OVN networks have no member-specific "
			      "configuration)");
	return MIG_OK;
}

static const char *const ovn_read_only[] = {
	"ipv4_subnet",         "ipv6_subnet", "uplink_ipv4_address",
	"uplink_ipv6_address", NULL,
};

int lxd_migrate_ovn(const tfp_foreign *src, json_t *st, tf_diags *d)
{
	bool from_network = strcmp(src->type_name, "lxd_network") == 0;
	bool bad = false;
	const char *desc, *project;
	json_t *out;
	int rc;

	if (!from_network && strcmp(src->type_name, "lxd_ovn_network") != 0)
		return TFP_ADOPT_NOT_FOREIGN;
	rc = check_shape(src, st, &net_shape, from_network, d);
	if (rc != TFP_ADOPT_DONE)
		return rc;
	desc = opt_string(d, src, st, "description", &bad);
	project = opt_string(d, src, st, "project", &bad);
	if (bad || ovn_check(d, src, st))
		return TFP_ADOPT_REFUSED;
	/* 2.x wrote null for "the default project" (3.x writes it). */
	out = json_pack("{s:O,s:s,s:s}", "name", json_object_get(st, "name"),
			"project", project ? project : "default", "description",
			desc ? desc : "");
	if (!out)
		abort();
	for (size_t i = 0; ovn_attr_keys[i].attr; i++)
		json_object_set_new(out, ovn_attr_keys[i].attr, json_null());
	if (ovn_keys(d, src, st, out) != MIG_OK) {
		json_decref(out);
		return TFP_ADOPT_REFUSED;
	}
	json_object_set_new(out, "ignore_unmanaged_keys", json_null());
	/* Filled in by the first refresh. */
	for (size_t i = 0; ovn_read_only[i]; i++)
		json_object_set_new(out, ovn_read_only[i], json_string(""));
	json_object_set_new(out, "status", json_string("Unknown"));
	replace_object(st, out);
	return TFP_ADOPT_DONE;
}
