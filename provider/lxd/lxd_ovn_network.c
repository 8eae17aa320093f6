/* lxd_ovn_network: an LXD network of type `ovn`, optionally in a project
 * with features.networks.
 *
 * State model (key logic in lxd_ovn_keys.c):
 *  - Managed keys are `config` plus the first-class attributes. Refresh
 *    reads their live values and, unless `ignore_unmanaged_keys`, every other
 *    live key that is not the server's (recorded in private state at create
 *    or import: lxd_server_keys.h), so a key set by hand shows in the plan
 *    as a removal. An `auto` address stays `auto` while LXD holds a
 *    generated subnet; server-filled keys (volatile.*, derived bridge.mtu,
 *    generated subnets) never cause a diff.
 *  - `config` and the first-class attributes are optional+computed: unset,
 *    they are whatever the server has, so an imported network plans empty
 *    with a minimal configuration (and with one that spells the values
 *    out). Removing one from the configuration leaves the server's value;
 *    set `""` / `[]` to clear it.
 *  - Create never adopts a network it did not make: one that exists is
 *    refused with "import it", except a half-created one (Pending/Errored)
 *    with this very definition, which is removed and created again. A POST
 *    whose answer was lost is read back before it is ever sent again, and a
 *    failure after a request may have landed returns partial state.
 *  - The generated subnets and the router's addresses on the uplink are
 *    computed attributes, planned unknown when a change may move them.
 *  - OVN networks have no member-specific keys: one POST creates them on
 *    every cluster member. Create and update wait (bounded) until LXD reports
 *    status Created and an active OVN chassis for the router; a timeout
 *    returns the state that exists together with the error.
 *  - Updates are GET + PUT with If-Match (retried on 412), preserving keys
 *    the user does not manage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../schema/plan.h"
#include "../../schema/tf_err.h"
#include "../log.h"
#include "../resource.h"
#include "../util/cleanup.h"
#include "client.h"
#include "lxd_common.h"
#include "lxd_identity.h"
#include "lxd_kit.h"
#include "lxd_name.h"
#include "lxd_ovn_keys.h"
#include "lxd_server_keys.h"

/* Upper bound for "the network is usable" after create/update. */
#define OVN_READY_TIMEOUT_S 60
/* POSTs re-sent after a lost answer showed they did not take effect. */
#define OVN_CREATE_RETRIES 3

static const tf_attr_def ovn_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL,
	  "Name of the network. Changing it replaces the network.",
	  lxd_validate_name },
	{ "project", "\"string\"", TF_OPTIONAL | TF_COMPUTED | TF_FORCE_NEW,
	  NULL,
	  "Project of the network (it needs `features.networks=true`). Defaults "
	  "to the provider's `project`. Changing it replaces the network.",
	  lxd_validate_name },
	{ "uplink", "\"string\"", TF_REQUIRED, NULL,
	  "Uplink network (LXD's `network` key): a managed `bridge` or "
	  "`physical` network in the `default` project with `ipv4.ovn.ranges` "
	  "and/or `ipv6.ovn.ranges` set (checked at plan time). Changing it "
	  "moves the router in place and allocates new uplink addresses.",
	  lxd_validate_name },
	{ "description", "\"string\"", TF_OPTIONAL | TF_COMPUTED, "\"\"",
	  "Description of the network." },
	{ "config", "[\"map\",\"string\"]", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "Other network configuration keys (for example `dns.search` or "
	  "`user.*`). When set, authoritative: a key set on the server outside "
	  "Terraform shows in the plan as a removal. Keys LXD fills in "
	  "(`volatile.*`, the derived `bridge.mtu`, generated subnets) are never "
	  "reported unless you set them. Left unset, it is whatever the server "
	  "has (an imported network plans empty). `network` is the `uplink` "
	  "attribute; a key may not be set both here and through its attribute." },
	{ "ignore_unmanaged_keys", "\"bool\"", TF_OPTIONAL, NULL,
	  "Set to `true` to manage only the keys listed in `config` and the "
	  "first-class attributes: keys set on the server outside Terraform are "
	  "then neither reported as drift nor removed. Default: `false`." },
	{ "ipv4_address", "\"string\"", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "`ipv4.address`: the router address in CIDR form, `auto` (LXD picks a "
	  "free subnet once; `auto` stays in state and is never sent again) or "
	  "`none`." },
	{ "ipv4_nat", "\"bool\"", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "`ipv4.nat`: masquerade IPv4 traffic leaving through the uplink." },
	{ "ipv6_address", "\"string\"", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "`ipv6.address`: CIDR, `auto` or `none` (as `ipv4_address`)." },
	{ "ipv6_nat", "\"bool\"", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "`ipv6.nat`: masquerade IPv6 traffic leaving through the uplink." },
	{ "dns_domain", "\"string\"", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "`dns.domain`: DNS domain announced to instances." },
	{ "mtu", "\"number\"", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "`bridge.mtu`: MTU of the network. Unset, LXD derives it from the "
	  "underlay (typically 1442 with Geneve) and that value is not "
	  "reported." },
	{ "acls", "[\"list\",\"string\"]", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "`security.acls`: names of network ACLs applied to the network." },
	{ "ipv4_subnet", "\"string\"", TF_COMPUTED, NULL,
	  "The IPv4 router address and subnet in use (e.g. `10.47.12.1/24`, "
	  "also when `ipv4_address` is `auto`); empty without IPv4." },
	{ "ipv6_subnet", "\"string\"", TF_COMPUTED, NULL,
	  "The IPv6 router address and subnet in use; empty without IPv6." },
	{ "uplink_ipv4_address", "\"string\"", TF_COMPUTED, NULL,
	  "IPv4 address of the router on the uplink, allocated from the "
	  "uplink's `ipv4.ovn.ranges` (`volatile.network.ipv4.address`)." },
	{ "uplink_ipv6_address", "\"string\"", TF_COMPUTED, NULL,
	  "IPv6 address of the router on the uplink "
	  "(`volatile.network.ipv6.address`)." },
	{ "status", "\"string\"", TF_COMPUTED, NULL,
	  "Status reported by LXD: `Created`, `Pending`, `Errored`, `Unknown` "
	  "or `Unavailable`." },
};

static const tf_block_def ovn_schema = {
	.attrs = ovn_attrs,
	.nattrs = TF_COUNT(ovn_attrs),
	.description = "Manages an LXD OVN network, also on clusters and in "
		       "projects with `features.networks`. Import with "
		       "`NAME` or `PROJECT/NAME`.",
};

/* "/1.0/networks/<name>[<suffix>]?project=<project>", malloc'd or NULL. */
static char *net_path(const char *project, const char *name, const char *suffix)
{
	return lxd_url("/1.0/networks/", name, suffix, "project",
		       project ? project : "default");
}

static int get_net(lxd_client *c, const char *project, const char *name,
		   const char *suffix, json_t **out, tfp_error *err)
{
	return lxd_get_at(c, net_path(project, name, suffix), out, NULL, err);
}

/* GET a managed network; an unmanaged interface of that name counts as
 * absent (TFP_E_NOTFOUND). */
static int get_managed(lxd_client *c, const char *project, const char *name,
		       json_t **out, tfp_error *err)
{
	int rc = get_net(c, project, name, NULL, out, err);

	if (rc == TFP_OK && !json_is_true(json_object_get(*out, "managed"))) {
		json_decref(*out);
		*out = NULL;
		return TFP_E_NOTFOUND;
	}
	return rc;
}

/* The network's `type` ("?" when it has none), for messages and checks. */
static const char *net_type(const json_t *net)
{
	return json_string_value(json_object_get(net, "type")) ?: "?";
}

static bool is_ovn(const json_t *net)
{
	return strcmp(net_type(net), "ovn") == 0;
}

static const char *live_key(const json_t *net, const char *key)
{
	return json_string_value(
		json_object_get(json_object_get(net, "config"), key));
}

/* CIDR value of an address key, "" when none. */
static const char *subnet_of(const json_t *net, const char *key)
{
	const char *s = live_key(net, key);
	return s && strchr(s, '/') ? s : "";
}

/* Computed attributes from the live network (borrowed). */
static void put_computed(tf_value *st, const json_t *net)
{
	const char *status = json_string_value(json_object_get(net, "status"));
	const char *u4 = live_key(net, "volatile.network.ipv4.address");
	const char *u6 = live_key(net, "volatile.network.ipv6.address");

	tf_value_object_set(st, "ipv4_subnet",
			    tf_value_string(subnet_of(net, "ipv4.address")));
	tf_value_object_set(st, "ipv6_subnet",
			    tf_value_string(subnet_of(net, "ipv6.address")));
	tf_value_object_set(st, "uplink_ipv4_address",
			    tf_value_string(u4 ? u4 : ""));
	tf_value_object_set(st, "uplink_ipv6_address",
			    tf_value_string(u6 ? u6 : ""));
	tf_value_object_set(st, "status",
			    tf_value_string(status ? status : "Unknown"));
}

/* State after create/update: the planned (user) values as planned, the
 * computed ones from the live network (NULL: empty strings). */
static tf_value *state_from_plan(lxd_client *c, const tf_value *planned,
				 const json_t *net)
{
	tf_value *st = tf_value_mut(tf_value_ref((tf_value *)planned));

	if (!st)
		return NULL;
	if (!tf_value_is_known(
		    tf_value_attr(st,
				  "project"))) /* provider unknown at plan */
		tf_value_object_set(st, "project",
				    tf_value_string(lxd_client_project(c)));
	/* Optional+computed attributes left unset are planned unknown on
	 * create: nothing beyond the server's own keys (all recorded as
	 * such) was set, so they are null. */
	if (!tf_value_is_known(tf_value_attr(st, "config"))) {
		tf_type *mt = tf_type_map(tf_type_string());
		tf_value_object_set(st, "config", tf_value_null(mt));
		tf_type_unref(mt);
	}
	for (const ovn_attr_key *k = ovn_attr_keys; k->attr; k++) {
		const tf_value *v = tf_value_attr(st, k->attr);
		if (v && tf_value_is_unknown(v))
			tf_value_object_set(st, k->attr,
					    tf_value_null(tf_value_type(v)));
	}
	put_computed(st, net);
	return st;
}

/* ---- refresh -------------------------------------------------------- */

/* Live keys that are neither managed, nor the server's (`rec`), nor the
 * uplink, nor volatile: set by hand, reported so the plan removes them.
 * Added to `values` (an LXD key -> string object). */
static void add_unmanaged(json_t *values, const json_t *live,
			  const json_t *managed, const json_t *rec)
{
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)live, k, v) {
		if (!json_is_string(v) || json_object_get(managed, k) ||
		    strcmp(k, "network") == 0 ||
		    strncmp(k, "volatile.", 9) == 0)
			continue;
		if (!lxd_json_has(rec, k))
			json_object_set(values, k, v);
	}
}

/* New state from the live network. `shape` is the prior state (managed keys
 * and where they live), or NULL for import (importable keys, all in
 * `config`, which is optional+computed, so a minimal configuration plans
 * empty). `rec` is the record of the server's keys (NULL: none, only the
 * managed keys are reported). */
static tf_value *state_from_live(const tf_schema *s, const char *project,
				 const json_t *net, const tf_value *shape,
				 const json_t *rec)
{
	tf_value *st = tf_schema_empty_object(s);
	const json_t *live = json_object_get(net, "config");
	json_t *values = json_object();
	const char *uplink = live_key(net, "network");
	const char *k;
	json_t *v;

	if (!st || !values) {
		tf_value_unref(st);
		json_decref(values);
		return NULL;
	}
	if (shape) {
		json_t *managed = ovn_managed_keys(shape);
		json_object_foreach (managed, k, v) {
			const char *r = ovn_refresh_value(
				k, json_string_value(v),
				json_string_value(json_object_get(live, k)));
			if (r)
				json_object_set_new(values, k, json_string(r));
		}
		if (rec && managed &&
		    !tf_value_get_bool(
			    tf_value_attr(shape, "ignore_unmanaged_keys")))
			add_unmanaged(values, live, managed, rec);
		json_decref(managed);
	} else {
		json_object_foreach ((json_t *)live, k, v) {
			if (ovn_import_keep(k) && json_is_string(v))
				json_object_set(values, k, v);
		}
	}
	tf_value_object_set(st, "name",
			    tf_value_string(json_string_value(
				    json_object_get(net, "name"))));
	tf_value_object_set(st, "project", tf_value_string(project));
	tf_value_object_set(st, "uplink",
			    tf_value_string(uplink ? uplink : ""));
	tf_value_object_set(st, "description",
			    tf_value_string(lxd_jstr(net, "description")));
	if (ovn_put_managed(st, values, shape) != 0) {
		tf_value_unref(st);
		st = NULL;
	} else {
		const tf_value *ign =
			shape ? tf_value_attr(shape, "ignore_unmanaged_keys") :
				NULL;
		if (ign && tf_value_is_known(ign))
			tf_value_object_set(st, "ignore_unmanaged_keys",
					    tf_value_ref((tf_value *)ign));
		put_computed(st, net);
	}
	json_decref(values);
	return st;
}

static const char *project_of(lxd_client *c, const tf_value *obj)
{
	const char *p = tf_value_attr_string(obj, "project");
	return p ? p : lxd_client_project(c);
}

/* Record in `priv` the live keys of `net` that are the server's: not in
 * `managed` (an LXD key -> string object), not the uplink, not volatile,
 * and, for an update, among `cand` (NULL: any). */
static int record_server_keys(json_t *priv, const json_t *net,
			      const json_t *managed, const json_t *cand)
{
	const json_t *live = json_object_get(net, "config");
	json_t *keep = json_deep_copy(live);
	const char *k;
	json_t *v;
	void *tmp;
	int rc;

	if (!keep)
		return TF_E_NOMEM;
	json_object_foreach_safe (keep, tmp, k, v) {
		if (json_object_get(managed, k) || strcmp(k, "network") == 0)
			json_object_del(keep, k);
	}
	rc = lxd_server_keys_record(priv, "", keep, NULL, cand, NULL, NULL);
	json_decref(keep);
	return rc;
}

/* The record for a read: the one in private state, or (state of an older
 * version) every live key not managed now, recorded once. */
static const json_t *read_record(tfp_ctx *ctx, json_t *priv, const json_t *net,
				 const tf_value *state)
{
	const json_t *rec = lxd_server_keys_get(priv, "");
	json_t *managed;

	if (rec)
		return rec;
	managed = ovn_managed_keys(state);
	if (!managed || record_server_keys(priv, net, managed, NULL) ||
	    lxd_private_save(ctx, priv)) {
		json_decref(managed);
		return NULL;
	}
	json_decref(managed);
	return lxd_server_keys_get(priv, "");
}

static void ovn_read(tfp_ctx *ctx, const tf_value *state, tf_value **out,
		     tf_diags *d)
{
	const char *name = NULL;
	lxd_client *c = lxd_ctx_named(ctx, state, &name, d);
	const char *project;
	json_t *net = NULL;
	tfp_error err = { 0 };
	int rc;

	if (!c)
		return;
	project = project_of(c, state);
	rc = get_managed(c, project, name, &net, &err);
	if (rc == TFP_E_NOTFOUND) {
		tfp_info("OVN network \"%s\" (project %s) no longer exists",
			 name, project);
		return; /* gone */
	}
	if (rc) {
		lxd_diag(d, NULL, "Cannot read OVN network", &err,
			 "Reading network \"%s\" in project \"%s\"", name,
			 project);
		return;
	}
	if (!is_ovn(net)) {
		tf_diags_error(
			d, NULL, "Network is no longer an OVN network",
			"Network \"%s\" in project \"%s\" now has type \"%s\". "
			"Delete it (or remove it from the state with "
			"`terraform state rm`) so Terraform can create the "
			"OVN network again.",
			name, project, net_type(net));
		json_decref(net);
		return;
	}
	{
		json_t *priv = lxd_private_load(ctx);
		const json_t *rec = priv ? read_record(ctx, priv, net, state) :
					   NULL;

		*out = state_from_live(ctx->schema, project, net, state, rec);
		json_decref(priv);
	}
	if (!*out)
		tf_diags_error(d, NULL, "Out of memory",
			       "Refreshing network \"%s\"", name);
	json_decref(net);
}

/* ---- import --------------------------------------------------------- */

static void ovn_import(tfp_ctx *ctx, const char *id, tf_value **out,
		       tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *slash = strchr(id, '/');
	char project[128] = "", name[128] = "";
	json_t *net = NULL;
	tfp_error err = { 0 };
	int rc;

	if (!c)
		return;
	if (slash) {
		snprintf(project, sizeof(project), "%.*s", (int)(slash - id),
			 id);
		snprintf(name, sizeof(name), "%s", slash + 1);
	} else {
		snprintf(project, sizeof(project), "%s", lxd_client_project(c));
		snprintf(name, sizeof(name), "%s", id);
	}
	if (!*name || !*project || strchr(name, '/') || strlen(id) >= 127) {
		tf_diags_error(
			d, NULL, "Invalid import ID",
			"Import an OVN network as NAME or PROJECT/NAME, e.g. "
			"`terraform import lxd_ovn_network.example my-ovn` "
			"or `... tenant-a/my-ovn` (got \"%s\").",
			id);
		return;
	}
	rc = get_managed(c, project, name, &net, &err);
	if (rc == TFP_E_NOTFOUND) {
		tf_value *st = tf_schema_empty_object(ctx->schema);
		/* ReadResource then reports "Cannot import non-existent remote
		 * object". */
		if (st) {
			tf_value_object_set(st, "name", tf_value_string(name));
			tf_value_object_set(st, "project",
					    tf_value_string(project));
		}
		*out = st;
		return;
	}
	if (rc) {
		lxd_diag(d, NULL, "Cannot import OVN network", &err,
			 "Reading network \"%s\" in project \"%s\"", name,
			 project);
		return;
	}
	if (!is_ovn(net)) {
		tf_diags_error(
			d, NULL, "Not an OVN network",
			"Network \"%s\" in project \"%s\" has type \"%s\"; "
			"lxd_ovn_network only manages `ovn` networks. Use the "
			"lxd_network data source to refer to it instead.",
			name, project, net_type(net));
		json_decref(net);
		return;
	}
	*out = state_from_live(ctx->schema, project, net, NULL, NULL);
	{
		/* Everything not put in state is the server's. */
		json_t *priv = json_object();
		json_t *managed = *out ? ovn_managed_keys(*out) : NULL;

		if (!priv || !managed ||
		    record_server_keys(priv, net, managed, NULL) ||
		    lxd_private_save(ctx, priv)) {
			tf_value_unref(*out);
			*out = NULL;
			tf_diags_error(d, NULL, "Out of memory",
				       "Importing network \"%s\"", name);
		}
		json_decref(priv);
		json_decref(managed);
	}
	json_decref(net);
}

/* ---- plan ----------------------------------------------------------- */

static void ovn_validate(tfp_ctx *ctx, const tf_value *config, tf_diags *d)
{
	(void)ctx;
	ovn_check_keys(config, d);
}

/* The uplink must exist in `default`, be a bridge or physical network and
 * have OVN ranges. */
static void check_uplink(lxd_client *c, const char *uplink, tf_diags *d)
{
	json_t *net = NULL;
	tfp_error err = { 0 };
	const char *type, *r4, *r6;
	int rc = get_managed(c, "default", uplink, &net, &err);

	if (rc == TFP_E_NOTFOUND) {
		tf_diags_attr_error(
			d, "uplink", "Uplink network not found",
			"There is no managed network \"%s\" in the "
			"`default` project. Create a bridge (or "
			"physical) network with `ipv4.ovn.ranges` or "
			"`ipv6.ovn.ranges` first, e.g. `lxc network "
			"create %s ipv4.address=192.0.2.1/24 "
			"ipv4.ovn.ranges=192.0.2.100-192.0.2.150`, or "
			"set `uplink` to an existing one.",
			uplink, uplink);
		return;
	}
	if (rc) {
		lxd_diag(d, NULL, "Cannot check the uplink network", &err,
			 "Reading network \"%s\"", uplink);
		return;
	}
	type = json_string_value(json_object_get(net, "type"));
	r4 = live_key(net, "ipv4.ovn.ranges");
	r6 = live_key(net, "ipv6.ovn.ranges");
	if (!type ||
	    (strcmp(type, "bridge") != 0 && strcmp(type, "physical") != 0)) {
		tf_diags_attr_error(
			d, "uplink", "Unsuitable uplink network",
			"Network \"%s\" has type \"%s\"; an OVN uplink "
			"must be a `bridge` or `physical` network.",
			uplink, type ? type : "?");
	} else if (!(r4 && *r4) && !(r6 && *r6)) {
		tf_diags_attr_error(
			d, "uplink", "Uplink network has no OVN ranges",
			"The %s network \"%s\" has neither "
			"`ipv4.ovn.ranges` nor `ipv6.ovn.ranges`, so LXD "
			"cannot give the OVN router an address on it. "
			"Set a range of free addresses inside its subnet "
			"that does not overlap its DHCP range, e.g. `lxc "
			"network set %s ipv4.ovn.ranges=<first>-<last>`.",
			type, uplink, uplink);
	}
	json_decref(net);
}

static void check_project(lxd_client *c, const char *project, tf_diags *d)
{
	json_t *p = NULL;
	tfp_error err = { 0 };
	int rc;

	if (strcmp(project, "default") == 0)
		return;
	rc = lxd_get_at(c, lxd_url("/1.0/projects/", project, NULL, NULL, NULL),
			&p, NULL, &err);
	if (rc == TFP_E_NOTFOUND) {
		tf_diags_attr_error(d, "project", "Project not found",
				    "LXD has no project \"%s\". Create it with "
				    "`features.networks=true` first.",
				    project);
	} else if (rc) {
		lxd_diag(d, NULL, "Cannot check the project", &err,
			 "Reading project \"%s\"", project);
	} else if (
		strcmp(json_string_value(json_object_get(json_object_get(p, "config"), "features.networks")) ?:
			       "",
		       "true") != 0) {
		tf_diags_attr_error(
			d, "project", "Project has no own networks",
			"Project \"%s\" does not have "
			"`features.networks=true`, so its networks are "
			"those of `default`. Set it (`lxc project set %s "
			"features.networks=true`, only possible while the "
			"project has no instances) or use the `default` "
			"project.",
			project, project);
	}
	json_decref(p);
}

/* Did a key that decides addresses change between prior and planned? */
static bool addresses_may_move(const tf_value *prior, const tf_value *planned)
{
	static const char *const keys[] = {
		"ipv4.address",     "ipv6.address", "ipv4.nat.address",
		"ipv6.nat.address", NULL,
	};
	json_t *a, *b;
	bool moved = false;

	if (tf_plan_attr_changed(prior, planned, "uplink") ||
	    !tf_value_is_wholly_known(tf_value_attr(planned, "config")))
		return true;
	a = ovn_managed_keys(prior);
	b = ovn_managed_keys(planned);
	for (const char *const *k = keys; *k && a && b; k++) {
		json_t *x = json_object_get(a, *k), *y = json_object_get(b, *k);
		if ((x || y) && !(x && y && json_equal(x, y)))
			moved = true;
	}
	for (const ovn_attr_key *k = ovn_attr_keys; k->attr; k++)
		if (tf_value_is_unknown(tf_value_attr(planned, k->attr)))
			moved = true;
	json_decref(a);
	json_decref(b);
	return moved || !a || !b;
}

static void ovn_modify_plan(tfp_ctx *ctx, const tf_value *prior,
			    const tf_value *config, tf_value **planned,
			    tf_paths *replace, tf_diags *d)
{
	lxd_client *c = ctx->client;
	const tf_value *uplink = tf_value_attr(config, "uplink");
	bool create = tf_value_is_null(prior);

	(void)replace;
	if (c && create && tf_value_is_null(tf_value_attr(config, "project")))
		tf_plan_set(*planned, "project",
			    tf_value_string(lxd_client_project(c)));
	if (c && create && tf_value_attr_string(*planned, "project"))
		check_project(c, tf_value_attr_string(*planned, "project"), d);
	if (c && tf_value_is_known(uplink) &&
	    (create || tf_plan_attr_changed(prior, *planned, "uplink")))
		check_uplink(c, tf_value_get_string(uplink), d);
	if (!create && tf_plan_has_changes(prior, *planned)) {
		const char *status = tf_value_attr_string(prior, "status");
		if (!status || strcmp(status, "Created") != 0)
			tf_plan_mark_unknown(ctx->schema, *planned, "status");
		if (addresses_may_move(prior, *planned)) {
			tf_plan_mark_unknown(ctx->schema, *planned,
					     "ipv4_subnet");
			tf_plan_mark_unknown(ctx->schema, *planned,
					     "ipv6_subnet");
			tf_plan_mark_unknown(ctx->schema, *planned,
					     "uplink_ipv4_address");
			tf_plan_mark_unknown(ctx->schema, *planned,
					     "uplink_ipv6_address");
		}
	}
}

/* ---- waiting -------------------------------------------------------- */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Wait until the network is Created and its router has an active chassis.
 * Returns TFP_OK, TFP_E_TIMEOUT / TFP_E_CANCELLED (message in err), or a
 * read error. */
static int wait_ready(tfp_ctx *ctx, lxd_client *c, const char *project,
		      const char *name, tfp_error *err)
{
	time_t deadline = time(NULL) + OVN_READY_TIMEOUT_S;
	char last[256] = "no reply yet";

	for (;;) {
		json_t *net = NULL, *st = NULL;
		tfp_error e = { 0 };
		const char *status = NULL, *chassis = NULL;
		int rc = get_net(c, project, name, NULL, &net, &e);

		if (rc) {
			json_decref(net);
			*err = e;
			return rc;
		}
		status = json_string_value(json_object_get(net, "status"));
		if (status && strcmp(status, "Created") == 0) {
			if (get_net(c, project, name, "/state", &st, &e) ==
			    TFP_OK)
				chassis = json_string_value(
					json_object_get(json_object_get(st,
									"ovn"),
							"chassis"));
			if (chassis && *chassis) {
				tfp_debug(
					"OVN network \"%s\" active on chassis %s",
					name, chassis);
				json_decref(net);
				json_decref(st);
				return TFP_OK;
			}
			snprintf(last, sizeof(last),
				 "status Created, no active OVN "
				 "chassis (%.160s)",
				 e.message[0] ? e.message : "state has none");
		} else {
			snprintf(last, sizeof(last), "status %s",
				 status ? status : "unknown");
		}
		json_decref(net);
		json_decref(st);
		if (ctx->stop && atomic_load(ctx->stop)) {
			err->code = TFP_E_CANCELLED;
			snprintf(err->message, sizeof(err->message),
				 "stopped while waiting for the network (%s)",
				 last);
			return TFP_E_CANCELLED;
		}
		if (time(NULL) >= deadline) {
			err->code = TFP_E_TIMEOUT;
			snprintf(err->message, sizeof(err->message),
				 "not usable after %ds: %s. Check that ovn-controller "
				 "runs on the cluster members (OVS external_ids "
				 "ovn-remote, system-id) and that "
				 "network.ovn.northbound_connection is right",
				 OVN_READY_TIMEOUT_S, last);
			return TFP_E_TIMEOUT;
		}
		sleep_ms(500);
	}
}

/* ---- create --------------------------------------------------------- */

/* State after a failed create/update: what the server now holds, or, when
 * it cannot be read, the planned values with status "Unknown" (Terraform
 * taints it; destroying it when it turns out not to exist succeeds). */
static void partial_state(lxd_client *c, const tf_value *planned,
			  tf_value **out)
{
	const char *name = tf_value_attr_string(planned, "name");
	const char *project = project_of(c, planned);
	json_t *net = NULL;
	tfp_error err = { 0 };
	int rc = get_net(c, project, name, NULL, &net, &err);

	if (rc == TFP_E_NOTFOUND)
		return; /* nothing there */
	*out = state_from_plan(c, planned, rc == TFP_OK ? net : NULL);
	json_decref(net);
}

/* Is `net` a half-created OVN network (Pending/Errored) of exactly the
 * planned definition, i.e. left by an interrupted create of this one? */
static bool half_created_ours(const json_t *net, const tf_value *planned,
			      const json_t *managed)
{
	const char *status = json_string_value(json_object_get(net, "status"));
	const char *type = json_string_value(json_object_get(net, "type"));
	const char *uplink = tf_value_attr_string(planned, "uplink");
	const char *k;
	json_t *v;

	if (!status ||
	    (strcmp(status, "Pending") && strcmp(status, "Errored")) || !type ||
	    strcmp(type, "ovn") || !uplink ||
	    strcmp(live_key(net, "network") ?: "", uplink))
		return false;
	json_object_foreach ((json_t *)managed, k, v) {
		const char *want = json_string_value(v);
		const char *got = ovn_refresh_value(k, want, live_key(net, k));
		if (!got || strcmp(got, want))
			return false;
	}
	return true;
}

/* Before the first POST: a network in the way is refused, unless it is a
 * half-created one of ours, which is removed to start again. Returns true
 * to go on. */
static bool clear_the_way(lxd_client *c, const char *project, const char *name,
			  const tf_value *planned, const json_t *managed,
			  tf_diags *d)
{
	json_t *net = NULL;
	tfp_error err = { 0 };
	int rc = get_net(c, project, name, NULL, &net, &err);

	if (rc == TFP_E_NOTFOUND)
		return true;
	if (rc) {
		lxd_diag(d, NULL, "Cannot create OVN network", &err,
			 "Reading network \"%s\" in project \"%s\" before creating it",
			 name, project);
		return false;
	}
	if (!half_created_ours(net, planned, managed)) {
		/* Never adopt a network someone else made: it would be
		 * recorded as ours and destroyed by a later apply. */
		tf_diags_attr_error(
			d, "name", "Network already exists",
			"Project \"%s\" already has a network \"%s\" "
			"(type %s, status %s). Import it (`terraform "
			"import <address> %s/%s`) or choose another name.",
			project, name, net_type(net),
			json_string_value(json_object_get(net, "status")) ?:
									    "?",
			project, name);
		json_decref(net);
		return false;
	}
	tfp_info("OVN network \"%s\" is half-created (status %s) with this "
		 "definition: removing it to create it again",
		 name, json_string_value(json_object_get(net, "status")));
	json_decref(net);
	rc = lxd_send_at(c, "DELETE", net_path(project, name, NULL), NULL,
			 &err);
	if (rc && rc != TFP_E_NOTFOUND) {
		lxd_diag(d, NULL, "Cannot create OVN network", &err,
			 "Removing the half-created network \"%s\" to start again",
			 name);
		return false;
	}
	return true;
}

/* POST the network; an answer that was lost is read back before the POST
 * is ever sent again. *sent: a request may have reached LXD. */
static int post_network(lxd_client *c, const char *path, const json_t *body,
			const char *project, const char *name, bool *sent,
			tfp_error *err)
{
	for (int attempt = 0;; attempt++) {
		json_t *net = NULL;
		tfp_error rerr = { 0 };
		int rc = lxd_request(c, "POST", path, body, NULL, 0, NULL, err);

		if (rc == TFP_OK) {
			*sent = true;
			return rc;
		}
		if (!lxd_outcome_unknown(err) || rc == TFP_E_CANCELLED ||
		    attempt >= OVN_CREATE_RETRIES) {
			*sent = *sent || lxd_outcome_unknown(err);
			return rc;
		}
		*sent = true;
		rc = get_net(c, project, name, NULL, &net, &rerr);
		json_decref(net);
		if (rc == TFP_OK) {
			tfp_info("OVN network \"%s\": the create's answer was lost, "
				 "but the network exists",
				 name);
			return TFP_OK;
		}
		if (rc != TFP_E_NOTFOUND)
			return rc == TFP_E_CANCELLED ? rc : TFP_E_UNAVAILABLE;
		tfp_debug(
			"OVN network \"%s\": create did not take effect; again",
			name);
	}
}

/* Record the server's keys of the new network in private state. */
static void save_record(tfp_ctx *ctx, const json_t *net, const json_t *managed,
			const json_t *cand, json_t *priv)
{
	if (record_server_keys(priv, net, managed, cand) == 0)
		lxd_private_save(ctx, priv);
}

static void ovn_create(tfp_ctx *ctx, const tf_value *planned,
		       const tf_value *config, tf_value **out, tf_diags *d)
{
	const char *name = NULL;
	lxd_client *c = lxd_ctx_named(ctx, planned, &name, d);
	const char *desc = tf_value_attr_string(planned, "description");
	const char *uplink = tf_value_attr_string(planned, "uplink");
	const char *project;
	json_t *cfg = NULL, *body = NULL, *net = NULL, *priv = NULL;
	char *path = NULL;
	tfp_error err = { 0 };
	bool sent = false;
	int rc;

	(void)config;
	if (!c)
		return;
	project = project_of(c, planned);
	cfg = ovn_managed_keys(planned);
	priv = json_object();
	/* The body's config: the managed keys plus the uplink (cfg itself
	 * stays the managed keys, for the record). */
	body = cfg ? json_pack("{s:s, s:s, s:s, s:o}", "name", name, "type",
			       "ovn", "description", desc ? desc : "", "config",
			       json_deep_copy(cfg)) :
		     NULL;
	if (body && uplink)
		json_object_set_new(json_object_get(body, "config"), "network",
				    json_string(uplink));
	path = lxd_url("/1.0/networks", NULL, NULL, "project", project);
	if (!body || !priv || !path) {
		tf_diags_error(d, NULL, "Out of memory",
			       "Creating network \"%s\"", name);
		goto done;
	}
	if (!clear_the_way(c, project, name, planned, cfg, d))
		goto done;
	rc = post_network(c, path, body, project, name, &sent, &err);
	if (rc) {
		lxd_diag(d, NULL, "Cannot create OVN network", &err,
			 "Creating OVN network \"%s\" on uplink \"%s\" in project \"%s\"",
			 name, uplink ? uplink : "?", project);
		if (sent)
			partial_state(c, planned, out);
		goto done;
	}
	if ((rc = wait_ready(ctx, c, project, name, &err))) {
		lxd_diag(d, NULL, "OVN network is not usable", &err,
			 "Network \"%s\" was created", name);
		partial_state(c, planned, out);
		goto done;
	}
	if (get_net(c, project, name, NULL, &net, &err)) {
		lxd_diag(d, NULL, "Cannot read new OVN network", &err,
			 "Reading network \"%s\" after creating it", name);
		*out = state_from_plan(c, planned, NULL);
		goto done;
	}
	save_record(ctx, net, cfg, NULL, priv);
	*out = state_from_plan(c, planned, net);
done:
	json_decref(cfg);
	json_decref(body);
	json_decref(net);
	json_decref(priv);
	free(path);
}

/* ---- update --------------------------------------------------------- */

struct merge_arg {
	json_t *prior;   /* managed keys before */
	json_t *planned; /* managed keys after */
	const char *uplink;
	const char *description;
};

static int merge_mutate(json_t *current, void *argv, json_t **body,
			tfp_error *err)
{
	struct merge_arg *a = argv;
	json_t *cfg = ovn_merge_config(json_object_get(current, "config"),
				       a->prior, a->planned);

	(void)err;
	if (!cfg)
		return TFP_E_NOMEM;
	if (a->uplink)
		json_object_set_new(cfg, "network", json_string(a->uplink));
	*body = json_pack("{s:o, s:s}", "config", cfg, "description",
			  a->description ? a->description : "");
	return *body ? TFP_OK : TFP_E_NOMEM;
}

static void ovn_update(tfp_ctx *ctx, const tf_value *prior,
		       const tf_value *planned, const tf_value *config,
		       tf_value **out, tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *name = tf_value_attr_string(prior, "name");
	const char *project;
	struct merge_arg a = { 0 };
	json_t *net = NULL;
	tfp_error err = { 0 };

	(void)config;
	if (!c)
		return;
	project = project_of(c, prior);
	a.prior = ovn_managed_keys(prior);
	a.planned = ovn_managed_keys(planned);
	a.uplink = tf_value_attr_string(planned, "uplink");
	a.description = tf_value_attr_string(planned, "description");
	if (!a.prior || !a.planned ||
	    lxd_update_at(c, net_path(project, name, NULL), merge_mutate, &a,
			  &err)) {
		lxd_diag(d, NULL, "Cannot update OVN network", &err,
			 "Updating network \"%s\" in project \"%s\"", name,
			 project);
		goto partial;
	}
	if (wait_ready(ctx, c, project, name, &err)) {
		lxd_diag(d, NULL, "OVN network is not usable", &err,
			 "Network \"%s\" was updated", name);
		goto partial;
	}
	if (get_net(c, project, name, NULL, &net, &err)) {
		lxd_diag(d, NULL, "Cannot read OVN network", &err,
			 "Reading network \"%s\" after updating it", name);
		goto partial;
	}
	{
		json_t *priv = lxd_private_load(ctx);
		json_t *next = priv ? json_object() : NULL;
		const json_t *rec = priv ? lxd_server_keys_get(priv, "") : NULL;
		json_t *cand = rec ? json_deep_copy(rec) : NULL;
		const char *k;
		json_t *v;

		/* Candidates: the keys recorded or managed before. */
		json_object_foreach (a.prior, k, v)
			if (cand)
				json_array_append_new(cand, json_string(k));
		if (next)
			save_record(ctx, net, a.planned, cand, next);
		json_decref(cand);
		json_decref(next);
		json_decref(priv);
	}
	*out = state_from_plan(c, planned, net);
	goto done;
partial:
	/* What is true now: the prior keys at their live values. */
	tfp_reread(ovn_read, ctx, prior, out);
done:
	json_decref(a.prior);
	json_decref(a.planned);
	json_decref(net);
}

/* ---- delete --------------------------------------------------------- */

/* ", "-joined used_by of the network (malloc'd), or NULL. */
static char *used_by_list(lxd_client *c, const char *project, const char *name)
{
	_cleanup_(json_decrefp) json_t *net = NULL;
	tfp_error err = { 0 };

	if (get_net(c, project, name, NULL, &net, &err) != TFP_OK)
		return NULL;
	return lxd_join(json_object_get(net, "used_by"), NULL);
}

static void ovn_delete(tfp_ctx *ctx, const tf_value *prior, tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *name = tf_value_attr_string(prior, "name");
	const char *project;
	tfp_error err = { 0 };
	int rc;

	if (!c)
		return;
	project = project_of(c, prior);
	rc = lxd_send_at(c, "DELETE", net_path(project, name, NULL), NULL,
			 &err);
	if (rc == TFP_OK || rc == TFP_E_NOTFOUND)
		return;
	if (strstr(err.message, "in use")) {
		char *users = used_by_list(c, project, name);
		tf_diags_error(
			d, NULL, "OVN network is in use",
			"LXD refused to delete network \"%s\" (project "
			"\"%s\"): %s. Used by: %s. Remove or reconfigure "
			"those instances and profiles (see `lxc network show "
			"%s --project %s`) and apply again.",
			name, project, err.message,
			users && *users ? users : "(unknown)", name, project);
		free(users);
	} else {
		lxd_diag(d, NULL, "Cannot delete OVN network", &err,
			 "Deleting network \"%s\" in project \"%s\"", name,
			 project);
	}
}

/* ---- generated configuration ------------------------------------------ */

static bool user_key(const char *k, const json_t *v, void *arg)
{
	(void)v;
	(void)arg;
	return ovn_import_keep(k);
}

/* GenerateResourceConfig: the generic answer, with `config` filtered like
 * an import (no `volatile.*`, no key LXD fills in on create). */
static void ovn_generate_config(tfp_ctx *ctx, const tf_value *state,
				tf_value **config, tf_diags *d)
{
	const tf_value *m = tf_value_attr(state, "config");
	tf_value *cfg = tf_schema_config_of_state(ctx->schema, state);
	json_t *obj = NULL;
	tf_value *keys = NULL;

	(void)d;
	*config = cfg;
	if (!cfg || !tf_value_is_known(cfg) || !tf_value_is_known(m))
		return;
	obj = lxd_map_to_config(m);
	keys = obj ? lxd_config_to_map(obj, user_key, NULL) : NULL;
	json_decref(obj);
	if (keys && tf_value_len(keys) == 0) {
		tf_value_unref(keys);
		keys = NULL;
	}
	cfg = *config = tf_value_mut(cfg);
	tf_value_object_set(cfg, "config",
			    keys ? keys :
				   tf_value_null(tf_value_type(
					   tf_value_attr(cfg, "config"))));
}

const tfp_resource lxd_ovn_network_resource = {
	.type_name = "lxd_ovn_network",
	.version = 0,
	.schema = &ovn_schema,
	.validate = ovn_validate,
	.modify_plan = ovn_modify_plan,
	.create = ovn_create,
	.read = ovn_read,
	.update = ovn_update,
	.remove = ovn_delete,
	.import = ovn_import,
	.identity_schema = &lxd_identity_project_name_def,
	.identity = lxd_identity_project_name,
	.generate_config = ovn_generate_config,
};
