/* lxd_node: one member of an LXD cluster.
 *
 * State model:
 *  - Create joins a standalone server to the provider's cluster, or with
 *    `bootstrap` turns the provider's standalone server into the first
 *    member (lxd_node_join.c). `join_target` and `member_config` are only
 *    used then; later changes to them are recorded without any server call.
 *  - description, failure_domain, groups, user roles and `config` are
 *    updated in place (GET + PUT with If-Match). `config`, when set, is
 *    authoritative: a key set by hand shows as a removal (keys the server
 *    had before are recorded in private state: lxd_server_keys.h); unset,
 *    it is whatever the server has, so an imported member plans empty with
 *    a minimal configuration. Automatic
 *    roles (database, database-leader, database-standby, database-voter) are
 *    echoed untouched, reported in `database_roles`, and never diff.
 *  - `evacuated` is state: true maps to POST .../state action=evacuate,
 *    false to action=restore; refresh reads it from status "Evacuated".
 *  - Delete removes the member (?force=1 with `force`). */
#include <stdlib.h>
#include <string.h>

#include "../../schema/plan.h"
#include "../log.h"
#include "../resource.h"
#include "../util/cleanup.h"
#include "client.h"
#include "lxd_common.h"
#include "lxd_identity.h"
#include "lxd_kit.h"
#include "lxd_name.h"
#include "lxd_node.h"
#include "lxd_server_keys.h"

static const char *const user_roles[] = {
	"event-hub",
	"ovn-chassis",
	"control-plane",
	NULL,
};

static const tf_attr_def join_target_attrs[] = {
	{ "socket", "\"string\"", TF_OPTIONAL, NULL,
	  "Unix socket of the joining server's LXD, e.g. "
	  "`/var/lib/lxd/unix.socket` on that machine. Exactly one of `socket` "
	  "and `address`." },
	{ "address", "\"string\"", TF_OPTIONAL, NULL,
	  "HTTPS URL of the joining server, e.g. `https://203.0.113.3:8443`. "
	  "Needs `client_certificate`, `client_key` and a pin "
	  "(`server_certificate` or `server_fingerprint`)." },
	{ "client_certificate", "\"string\"", TF_OPTIONAL, NULL,
	  "PEM client certificate for `address`." },
	{ "client_key", "\"string\"",
	  TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY, NULL,
	  "PEM private key of `client_certificate`. Write-only (Terraform "
	  "1.11+): used by the join and never stored in the plan or the "
	  "state; it may come from an ephemeral value." },
	{ "server_certificate", "\"string\"", TF_OPTIONAL, NULL,
	  "PEM certificate the joining server presents before it joins." },
	{ "server_fingerprint", "\"string\"", TF_OPTIONAL, NULL,
	  "SHA-256 fingerprint (hex) of the joining server's certificate." },
	{ "insecure_skip_verify", "\"bool\"", TF_OPTIONAL, NULL,
	  "Do not verify the joining server's certificate (test servers only)." },
	{ "password", "\"string\"", TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY,
	  NULL,
	  "Trust password (LXD 5.x) or trust token (5.21+) of the joining "
	  "server, used to get `client_certificate` trusted when it is not "
	  "yet. Write-only (Terraform 1.11+): used by the join and never "
	  "stored in the plan or the state; it may come from an ephemeral "
	  "value." },
};

static const tf_block_def join_target_block = {
	.attrs = join_target_attrs,
	.nattrs = TF_COUNT(join_target_attrs),
	.description = "How to reach the server that joins (create only). "
		       "`client_key` and `password` are write-only: a later "
		       "change to them plans nothing, as they are only used "
		       "when joining.",
};

static const tf_nested_block_def node_blocks[] = {
	{ "join_target", TF_NEST_SINGLE, &join_target_block, 0, 0, 0 },
};

static const tf_attr_def node_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL,
	  "Member name (`server_name`). Changing it replaces the member.",
	  lxd_validate_name },
	{ "bootstrap", "\"bool\"", TF_OPTIONAL | TF_COMPUTED, "false",
	  "Create the cluster: enable clustering on the provider's standalone "
	  "server, which becomes the first member `name`. Default `false` "
	  "(join the provider's cluster through `join_target`)." },
	{ "server_address", "\"string\"",
	  TF_OPTIONAL | TF_COMPUTED | TF_FORCE_NEW, NULL,
	  "Address (`host:port`) the member serves the cluster on. Defaults to "
	  "the server's `core.https_address`. Changing it replaces the member." },
	{ "member_config", "[\"map\",\"string\"]", TF_OPTIONAL, NULL,
	  "Member-specific settings the cluster asks a joining server for "
	  "(`GET /1.0/cluster`), keyed `ENTITY/NAME/KEY`, e.g. "
	  "`\"storage-pool/local/source\" = \"/srv/local\"` or "
	  "`\"network/uplink/parent\" = \"eth1\"`. Every key the cluster needs "
	  "must be present (checked at plan time); an empty value takes LXD's "
	  "default. Only used when joining." },
	{ "description", "\"string\"", TF_OPTIONAL | TF_COMPUTED, "\"\"",
	  "Description of the member." },
	{ "failure_domain", "\"string\"", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "Failure domain of the member (LXD's default is `default`)." },
	{ "groups", "[\"set\",\"string\"]", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "Cluster groups of the member. The groups must exist. Not empty "
	  "(LXD puts members in `default`)." },
	{ "roles", "[\"set\",\"string\"]", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "Roles set by the user (`event-hub`, `ovn-chassis`, `control-plane`, "
	  "depending on the LXD version). Automatic database roles are not "
	  "listed here; see `database_roles`." },
	{ "config", "[\"map\",\"string\"]", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "Member configuration: `scheduler.instance` (`all`, `group` or "
	  "`manual`) and `user.*`. When set, authoritative: a key set on the "
	  "server outside Terraform shows in the plan as a removal. Left unset, "
	  "it is whatever the server has." },
	{ "evacuated", "\"bool\"", TF_OPTIONAL | TF_COMPUTED, "false",
	  "Whether the member is evacuated. `true` evacuates it, `false` "
	  "restores it. Default `false`." },
	{ "force", "\"bool\"", TF_OPTIONAL | TF_COMPUTED, "false",
	  "Remove the member with `?force=1` on destroy, without contacting it "
	  "(for a dead member; the server must be wiped before it can join "
	  "again). Default `false`." },
	{ "url", "\"string\"", TF_COMPUTED, NULL, "URL of the member." },
	{ "status", "\"string\"", TF_COMPUTED, NULL,
	  "Status: `Online`, `Evacuated`, `Offline` or `Blocked`." },
	{ "message", "\"string\"", TF_COMPUTED, NULL, "Status message." },
	{ "architecture", "\"string\"", TF_COMPUTED, NULL,
	  "Architecture of the member, e.g. `x86_64`." },
	{ "database", "\"bool\"", TF_COMPUTED, NULL,
	  "Whether the member holds a copy of the cluster database." },
	{ "database_roles", "[\"set\",\"string\"]", TF_COMPUTED, NULL,
	  "Automatic roles LXD assigned (e.g. `database`, `database-leader`, "
	  "`database-standby`). They change as LXD rebalances the cluster." },
};

static const tf_block_def node_schema = {
	.attrs = node_attrs,
	.nattrs = TF_COUNT(node_attrs),
	.blocks = node_blocks,
	.nblocks = TF_COUNT(node_blocks),
	.description = "Manages a member of an LXD cluster: joins a server "
		       "(or bootstraps the cluster), updates its settings, "
		       "evacuates and restores it, and removes it. Import with "
		       "the member name: `terraform import lxd_node.n2 node2`.",
};

/* ---- validate / plan ---------------------------------------------------- */

static void node_validate(tfp_ctx *ctx, const tf_value *config, tf_diags *d)
{
	const tf_value *cfg = tf_value_attr(config, "config");
	const tf_value *roles = tf_value_attr(config, "roles");
	const tf_value *groups = tf_value_attr(config, "groups");
	const tf_value *jt = tf_value_attr(config, "join_target");

	(void)ctx;
	for (size_t i = 0; tf_value_is_known(cfg) && i < tf_value_len(cfg);
	     i++) {
		const char *k = tf_value_map_key(cfg, i);
		if (strcmp(k, "scheduler.instance") != 0 &&
		    strncmp(k, "user.", 5) != 0)
			tf_diags_key_error(
				d, "config", k, NULL,
				"Unsupported member config key",
				"\"%s\" is not a cluster member setting. Members "
				"accept `scheduler.instance` and `user.*` keys; "
				"server settings belong elsewhere.",
				k);
	}
	for (size_t i = 0; tf_value_is_known(roles) && i < tf_value_len(roles);
	     i++) {
		const char *r = tf_value_get_string(tf_value_index(roles, i));
		if (r && lxd_node_auto_role(r))
			tf_diags_attr_error(
				d, "roles", "Automatic role in roles",
				"\"%s\" is assigned by LXD itself and "
				"cannot be set. List only user roles (%s, "
				"depending on the LXD version); automatic "
				"roles are reported in `database_roles`.",
				r, "event-hub, ovn-chassis, control-plane");
		else if (r && !lxd_in_list(r, user_roles))
			tf_diags_attr_error(
				d, "roles", "Unknown member role",
				"\"%s\" is not an LXD member role. User "
				"roles are event-hub, ovn-chassis and "
				"control-plane (by LXD version).",
				r);
	}
	if (tf_value_is_known(groups) && tf_value_len(groups) == 0)
		tf_diags_attr_error(
			d, "groups", "Empty groups",
			"A cluster member must be in at least one "
			"group; use [\"default\"] or leave `groups` unset.");
	if (tf_value_is_known(jt)) {
		const tf_value *sock = tf_value_attr(jt, "socket");
		const tf_value *addr = tf_value_attr(jt, "address");
		bool has_s = !tf_value_is_null(sock),
		     has_a = !tf_value_is_null(addr);
		/* Unknown (e.g. from a module's for_each at validate time):
		 * decided later, checked once known. */
		bool decided = !tf_value_is_unknown(sock) &&
			       !tf_value_is_unknown(addr);
		const char *a = tf_value_get_string(addr);

		if (decided && has_s == has_a)
			tf_diags_attr_error(
				d, "join_target", "Invalid join_target",
				"Set exactly one of `socket` (local "
				"unix socket of the joining server) and "
				"`address` (its HTTPS URL).");
		if (a && strncmp(a, "https://", 8) != 0)
			tf_diags_attr_error(d, "join_target",
					    "Invalid join_target address",
					    "\"%s\" is not an HTTPS URL; use "
					    "https://<host>:8443.",
					    a);
		if (tf_value_is_known(addr) &&
		    tf_value_is_null(tf_value_attr(jt, "client_certificate")))
			tf_diags_attr_error(
				d, "join_target",
				"Missing join_target client certificate",
				"Reaching the joining server over HTTPS needs "
				"`client_certificate` and `client_key`.");
	}
}

/* Create-time checks against the provider's server. */
static void check_create(lxd_client *c, const tf_value *config, tf_diags *d)
{
	const char *name = tf_value_attr_string(config, "name");
	const tf_value *bs = tf_value_attr(config, "bootstrap");
	const tf_value *jt = tf_value_attr(config, "join_target");
	const tf_value *mc = tf_value_attr(config, "member_config");
	bool bootstrap = tf_value_is_known(bs) && tf_value_get_bool(bs);
	bool clustered = false;
	json_t *m = NULL, *req = NULL;
	tfp_error err = { 0 };
	int rc;

	if (bootstrap && jt && !tf_value_is_null(jt))
		tf_diags_attr_error(
			d, "join_target", "join_target with bootstrap",
			"A bootstrapped member is the provider's own "
			"server; remove `join_target` or set "
			"`bootstrap = false` to join another server.");
	if (!bootstrap && (!jt || tf_value_is_null(jt)))
		tf_diags_attr_error(
			d, "join_target", "Missing join_target",
			"Joining member \"%s\" needs `join_target` (its "
			"unix socket or HTTPS address). To make the "
			"provider's standalone server the first member, "
			"set `bootstrap = true`.",
			name ? name : "");
	if (!c || !name)
		return;
	/* Fresh facts: the cached GET /1.0 may predate a bootstrap. */
	lxd_server_info_forget(c);
	if ((rc = lxd_is_clustered(c, &clustered, &err))) {
		lxd_diag(d, NULL, "Cannot reach LXD", &err,
			 "Reading server info");
		return;
	}
	if (bootstrap) {
		if (clustered)
			tf_diags_attr_error(
				d, "bootstrap", "Server is already clustered",
				"The provider's server is already a cluster "
				"member, so it cannot bootstrap a new cluster. "
				"Manage an existing member by importing it: "
				"`terraform import lxd_node.<name> <member>`.");
		return;
	}
	if (!clustered) {
		tf_diags_attr_error(
			d, "bootstrap", "Server is not clustered",
			"The provider's server is not a cluster, so "
			"\"%s\" cannot join it. Create the cluster first "
			"with an lxd_node that has `bootstrap = true`.",
			name);
		return;
	}
	rc = lxd_node_get(c, name, &m, &err);
	json_decref(m);
	if (rc == TFP_OK) {
		tf_diags_attr_error(
			d, "name", "Member already exists",
			"The cluster already has a member named \"%s\". "
			"Import it with `terraform import lxd_node.<name> "
			"%s` instead of joining it.",
			name, name);
		return;
	}
	if (rc != TFP_E_NOTFOUND) {
		lxd_diag(d, NULL, "Cannot read cluster member", &err,
			 "Reading member \"%s\"", name);
		return;
	}
	if (mc && tf_value_is_unknown(mc))
		return; /* checked again at apply */
	if ((rc = lxd_node_required_config(c, &req, &err))) {
		lxd_diag(d, NULL, "Cannot read cluster join requirements", &err,
			 "GET /1.0/cluster");
		return;
	}
	lxd_node_check_member_config(req, mc, name, d);
	json_decref(req);
}

/* User roles whose support the server announces by an API extension; a
 * role without one (control-plane, LXD 6.8+) is left to the server's own
 * answer at apply. */
static void check_roles(lxd_client *c, const tf_value *config, tf_diags *d)
{
	static const struct {
		const char *role, *ext, *feature;
	} role_ext[] = {
		{ "event-hub", "event_hub", "The member role `event-hub`" },
		{ "ovn-chassis", "cluster_ovn_chassis",
		  "The member role `ovn-chassis`" },
	};
	const tf_value *roles = tf_value_attr(config, "roles");

	for (size_t i = 0; c && tf_value_is_known(roles) &&
			   !tf_value_is_null(roles) && i < tf_value_len(roles);
	     i++) {
		const char *r = tf_value_get_string(tf_value_index(roles, i));
		for (size_t j = 0; r && j < TF_COUNT(role_ext); j++)
			if (strcmp(r, role_ext[j].role) == 0)
				lxd_require_extension(c, role_ext[j].ext,
						      "roles",
						      role_ext[j].feature, d);
	}
}

static void node_modify_plan(tfp_ctx *ctx, const tf_value *prior,
			     const tf_value *config, tf_value **planned,
			     tf_paths *replace, tf_diags *d)
{
	static const char *const moving[] = {
		"status", "message", "database", "database_roles", NULL,
	};

	check_roles(ctx->client, config, d);
	if (tf_value_is_null(prior)) {
		check_create(ctx->client, config, d);
		return;
	}
	/* Any write may move status and automatic roles (evacuation,
	 * rebalancing): the result is known after apply. */
	if (replace->n == 0 && tf_plan_has_changes(prior, *planned))
		tf_plan_mark_unknown_all(ctx->schema, *planned, moving);
}

/* ---- read / import ------------------------------------------------------ */

static void node_read(tfp_ctx *ctx, const tf_value *state, tf_value **out,
		      tf_diags *d)
{
	const char *name = NULL;
	lxd_client *c = lxd_ctx_named(ctx, state, &name, d);
	json_t *m = NULL;
	tfp_error err = { 0 };
	int rc;

	if (!c)
		return;
	rc = lxd_node_get(c, name, &m, &err);
	if (rc == TFP_E_NOTFOUND) {
		tfp_info("Cluster member \"%s\" no longer exists", name);
		return;
	}
	if (rc) {
		lxd_diag(d, NULL, "Cannot read cluster member", &err,
			 "Reading member \"%s\"", name);
		return;
	}
	{
		json_t *priv = lxd_private_load(ctx);
		bool changed = false;
		const json_t *rec =
			priv ? lxd_server_keys_ensure(priv, "",
						      json_object_get(m,
								      "config"),
						      tf_value_attr(state,
								    "config"),
						      NULL, &changed) :
			       NULL;

		if (changed && lxd_private_save(ctx, priv))
			rec = NULL;
		*out = lxd_node_state(ctx->schema, state, m, rec);
		json_decref(priv);
	}
	if (!*out)
		tf_diags_error(d, NULL, "Out of memory",
			       "Refreshing member \"%s\"", name);
	json_decref(m);
}

static void node_import(tfp_ctx *ctx, const char *id, tf_value **out,
			tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	json_t *m = NULL;
	tfp_error err = { 0 };
	int rc;

	if (!c)
		return;
	if (!*id || strchr(id, '/')) {
		tf_diags_error(
			d, NULL, "Invalid import ID",
			"Import a cluster member by its name, e.g. "
			"`terraform import lxd_node.n2 node2` (got \"%s\").",
			id);
		return;
	}
	rc = lxd_node_get(c, id, &m, &err);
	if (rc == TFP_E_NOTFOUND) {
		/* ReadResource then reports "Cannot import non-existent
		 * remote object". */
		json_t *stub = json_pack("{s:s}", "server_name", id);
		*out = lxd_node_state(ctx->schema, NULL, stub, NULL);
		json_decref(stub);
		return;
	}
	if (rc) {
		lxd_diag(d, NULL, "Cannot import cluster member", &err,
			 "Reading member \"%s\"", id);
		return;
	}
	/* Every key is put in state (member config holds only user keys):
	 * nothing is the server's. */
	{
		json_t *priv = json_pack("{s:{s:[]}}", "server_keys", "");
		if (priv && lxd_private_save(ctx, priv) == 0)
			*out = lxd_node_state(ctx->schema, NULL, m, NULL);
		json_decref(priv);
	}
	if (!*out)
		tf_diags_error(d, NULL, "Out of memory",
			       "Importing member \"%s\"", id);
	json_decref(m);
}

/* ---- update / delete ------------------------------------------------------ */

static bool writable_changed(const tf_value *prior, const tf_value *planned)
{
	static const char *const w[] = {
		"description", "failure_domain", "groups",
		"roles",       "config",         NULL,
	};
	return tf_plan_any_changed(prior, planned, w);
}

static void node_update(tfp_ctx *ctx, const tf_value *prior,
			const tf_value *planned, const tf_value *config,
			tf_value **out, tf_diags *d)
{
	const char *name = NULL;
	lxd_client *c = lxd_ctx_named(ctx, prior, &name, d);
	const tf_value *ev = tf_value_attr(planned, "evacuated");
	const tf_value *keep = planned;
	_cleanup_(json_decrefp) json_t *m = NULL;
	tfp_error err = { 0 };
	int rc;

	(void)config;
	if (!c)
		return;
	if (writable_changed(prior, planned) &&
	    (rc = lxd_node_put(c, name, prior, planned, ctx->stop, &err))) {
		lxd_diag(d, NULL, "Cannot update cluster member", &err,
			 "Updating member \"%s\"", name);
		keep = prior;
		goto reread;
	}
	if (tf_value_is_known(ev) &&
	    tf_plan_attr_changed(prior, planned, "evacuated") &&
	    (rc = lxd_node_set_evacuated(c, name, tf_value_get_bool(ev),
					 &err))) {
		lxd_diag(d, NULL,
			 tf_value_get_bool(ev) ?
				 "Cannot evacuate cluster member" :
				 "Cannot restore cluster member",
			 &err, "%s member \"%s\"",
			 tf_value_get_bool(ev) ? "Evacuating" : "Restoring",
			 name);
	}
reread:
	/* Record what is true now (also after a failure). */
	if (lxd_node_get(c, name, &m, &err) != TFP_OK) {
		if (!tf_diags_has_error(d))
			lxd_diag(d, NULL, "Cannot read cluster member", &err,
				 "Reading member \"%s\" after updating it",
				 name);
		return;
	}
	*out = lxd_node_state_now(ctx, m, keep, prior, keep == planned);
}

/* The last member (the bootstrapped one) cannot be removed; the reverse of
 * bootstrapping is disabling clustering on it: PUT /1.0/cluster
 * {enabled:false} makes it a standalone server again (it keeps its
 * pools and networks). Only done on the provider's own server. */
static void disable_clustering(lxd_client *c, const char *name, tfp_error *why,
			       tf_diags *d)
{
	json_t *cl = NULL, *body = json_pack("{s:b}", "enabled", 0);
	tfp_error err = { 0 };
	const char *self;
	int rc = lxd_get(c, "/1.0/cluster", 0, &cl, NULL, &err);

	self = json_string_value(json_object_get(cl, "server_name"));
	if (rc || !self || strcmp(self, name) != 0 || !body) {
		tf_diags_error(
			d, NULL, "Cannot remove cluster member",
			"LXD refused to remove member \"%s\": %s. It is the "
			"last member; point the provider at it to turn it "
			"back into a standalone server on destroy.",
			name, why->message);
		goto out;
	}
	tfp_info("lxd_node: \"%s\" is the last member: disabling clustering",
		 name);
	rc = lxd_request(c, "PUT", "/1.0/cluster", body, NULL, 0, NULL, &err);
	lxd_server_info_forget(c);
	if (rc)
		lxd_diag(d, NULL, "Cannot remove cluster member", &err,
			 "\"%s\" is the last member of its cluster; disabling "
			 "clustering on it failed",
			 name);
out:
	json_decref(cl);
	json_decref(body);
}

static void node_delete(tfp_ctx *ctx, const tf_value *prior, tf_diags *d)
{
	const char *name = NULL;
	lxd_client *c = lxd_ctx_named(ctx, prior, &name, d);
	bool force = tf_value_get_bool(tf_value_attr(prior, "force"));
	tfp_error err = { 0 };
	int rc;

	if (!c)
		return;
	rc = lxd_send_at(c, "DELETE",
			 lxd_node_path(name, force ? "?force=1" : NULL), NULL,
			 &err);
	lxd_server_info_forget(c); /* the member list changed */
	if (rc == TFP_OK || rc == TFP_E_NOTFOUND ||
	    strstr(err.message, "isn't part of a cluster"))
		return;
	if (strstr(err.message, "only member")) {
		disable_clustering(c, name, &err, d);
		return;
	}
	{
		/* LXD may drop the member from the cluster and then fail to
		 * reset the server itself (it is unreachable): the member is
		 * gone, which is what destroy asked for. */
		json_t *m = NULL;
		tfp_error e2 = { 0 };
		if (lxd_node_get(c, name, &m, &e2) == TFP_E_NOTFOUND) {
			tf_diags_warn(
				d, NULL,
				"Cluster member removed, server not reset",
				"Member \"%s\" was removed from the cluster, but "
				"LXD could not reset the server itself: %s. Wipe "
				"that server before it joins a cluster again.",
				name, err.message);
			return;
		}
		json_decref(m);
	}
	tf_diags_error(d, NULL, "Cannot remove cluster member",
		       "LXD refused to remove member \"%s\": %s. %s", name,
		       err.message[0] ? err.message : tfp_code_str(rc),
		       force ? "" :
			       "Move or delete its instances and custom "
			       "volumes first, or, for a dead member, set "
			       "`force = true`, apply, then destroy.");
}

/* ---- list --------------------------------------------------------------- */

static const tf_block_def node_list_schema = {
	.description = "Lists the members of the LXD cluster (none on a "
		       "server that is not clustered). The `config` block "
		       "takes no arguments.",
};

static void node_list(tfp_ctx *ctx, const tf_value *config, tfp_lister *l,
		      tf_diags *d)
{
	lxd_name_lister a = {
		.ctx = ctx,
		.l = l,
		.d = d,
		.key = "server_name",
		.what = "Listing cluster members",
		.import = node_import,
		.read = node_read,
	};
	lxd_client *c = lxd_ctx_client(ctx, d);
	tfp_error err = { 0 };
	bool clustered = false;

	(void)config;
	if (!c)
		return;
	if (lxd_is_clustered(c, &clustered, &err) ||
	    (clustered &&
	     lxd_each_at(c, strdup("/1.0/cluster/members?recursion=1"),
			 lxd_list_by_name, &a, &err)))
		lxd_diag(d, NULL, "Cannot list cluster members", &err,
			 "Listing cluster members");
}

/* Version 0 stored join_target.client_key and join_target.password in the
 * state; from version 1 they are write-only. The upgrade nulls them, so
 * the secrets leave the state at the next apply (or refresh). */
static int node_upgrade(int64_t from_version, json_t *state, tf_diags *d)
{
	json_t *jt = json_object_get(state, "join_target");

	(void)from_version; /* 0: the only older version */
	(void)d;
	if (json_is_object(jt)) {
		json_object_set_new(jt, "client_key", json_null());
		json_object_set_new(jt, "password", json_null());
	}
	return 0;
}

const tfp_resource lxd_node_resource = {
	.type_name = "lxd_node",
	.version = 1,
	.schema = &node_schema,
	.validate = node_validate,
	.modify_plan = node_modify_plan,
	.create = lxd_node_create,
	.read = node_read,
	.update = node_update,
	.remove = node_delete,
	.import = node_import,
	.list_schema = &node_list_schema,
	.list = node_list,
	.upgrade = node_upgrade,
	.identity_schema = &lxd_identity_name_def,
	.identity = lxd_identity_name,
};
