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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../schema/plan.h"
#include "../../schema/tf_err.h"
#include "../log.h"
#include "../resource.h"
#include "client.h"
#include "lxd_common.h"
#include "lxd_node.h"
#include "lxd_server_keys.h"

static const char *const user_roles[] = {
	"event-hub", "ovn-chassis", "control-plane", NULL,
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
	{ "client_key", "\"string\"", TF_OPTIONAL | TF_SENSITIVE, NULL,
	  "PEM private key of `client_certificate`. Sensitive." },
	{ "server_certificate", "\"string\"", TF_OPTIONAL, NULL,
	  "PEM certificate the joining server presents before it joins." },
	{ "server_fingerprint", "\"string\"", TF_OPTIONAL, NULL,
	  "SHA-256 fingerprint (hex) of the joining server's certificate." },
	{ "insecure_skip_verify", "\"bool\"", TF_OPTIONAL, NULL,
	  "Do not verify the joining server's certificate (test servers only)." },
	{ "password", "\"string\"", TF_OPTIONAL | TF_SENSITIVE, NULL,
	  "Trust password (LXD 5.x) or trust token (5.21+) of the joining "
	  "server, used to get `client_certificate` trusted when it is not "
	  "yet. Sensitive." },
};

static const tf_block_def join_target_block = {
	.attrs = join_target_attrs,
	.nattrs = TF_COUNT(join_target_attrs),
	.description = "How to reach the server that joins (create only).",
};

static const tf_nested_block_def node_blocks[] = {
	{ "join_target", TF_NEST_SINGLE, &join_target_block, 0, 0, 0 },
};

static const tf_attr_def node_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL,
	  "Member name (`server_name`). Changing it replaces the member.",
	  tf_validate_lxd_name },
	{ "bootstrap", "\"bool\"", TF_OPTIONAL | TF_COMPUTED, "false",
	  "Create the cluster: enable clustering on the provider's standalone "
	  "server, which becomes the first member `name`. Default `false` "
	  "(join the provider's cluster through `join_target`)." },
	{ "server_address", "\"string\"", TF_OPTIONAL | TF_COMPUTED | TF_FORCE_NEW, NULL,
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

/* ---- helpers ------------------------------------------------------------ */

static bool in_list(const char *k, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(k, *list) == 0)
			return true;
	return false;
}

bool lxd_node_auto_role(const char *role)
{
	static const char *const auto_roles[] = {
		"database", "database-leader", "database-standby",
		"database-voter", NULL,
	};
	return role && in_list(role, auto_roles);
}

char *lxd_node_path(const char *name, const char *suffix)
{
	char *en = lxd_escape(name), *p = NULL;

	if (en && asprintf(&p, "/1.0/cluster/members/%s%s", en,
			   suffix ? suffix : "") < 0)
		p = NULL;
	free(en);
	return p;
}

int lxd_node_get(lxd_client *c, const char *name, json_t **member,
		 tfp_error *err)
{
	char *path = lxd_node_path(name, NULL);
	int rc;

	if (!path)
		return TFP_E_NOMEM;
	rc = lxd_get(c, path, 0, member, NULL, err);
	free(path);
	/* A server that is not clustered has no members at all. */
	if (rc && err && strstr(err->message, "isn't part of a cluster"))
		rc = TFP_E_NOTFOUND;
	return rc;
}

/* set(string) of the roles in `arr` that are (auto=true) or are not
 * automatic. */
static tf_value *roles_value(const json_t *arr, bool automatic)
{
	tf_type *st = tf_type_set(tf_type_string());
	tf_value *s = tf_value_set_new(st);
	size_t i;
	json_t *r;

	tf_type_unref(st);
	json_array_foreach(arr, i, r) {
		const char *n = json_string_value(r);
		if (s && n && lxd_node_auto_role(n) == automatic)
			tf_value_list_append(s, tf_value_string(n));
	}
	return s;
}

static tf_value *strings_set(const json_t *arr)
{
	tf_type *st = tf_type_set(tf_type_string());
	tf_value *s = tf_value_set_new(st);
	size_t i;
	json_t *r;

	tf_type_unref(st);
	json_array_foreach(arr, i, r)
		if (s && json_is_string(r))
			tf_value_list_append(s, tf_value_string(json_string_value(r)));
	return s;
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void set_bool_default(tf_value *st, const tf_value *keep, const char *n)
{
	const tf_value *v = keep ? tf_value_attr(keep, n) : NULL;
	tf_value_object_set(st, n, tf_value_bool(tf_value_is_known(v) && tf_value_get_bool(v)));
}

tf_value *lxd_node_state(const tf_schema *s, const tf_value *keep,
			 const json_t *m, const json_t *rec)
{
	tf_value *st = tf_schema_empty_object(s);
	const char *url = jstr(m, "url");
	const char *addr = keep ? tf_value_attr_string(keep, "server_address") : NULL;
	const tf_value *v;
	tf_value *cfg;

	if (!st)
		return NULL;
	tf_value_object_set(st, "name", tf_value_string(jstr(m, "server_name")));
	set_bool_default(st, keep, "bootstrap");
	set_bool_default(st, keep, "force");
	if (!addr)
		addr = strncmp(url, "https://", 8) == 0 ? url + 8 : url;
	tf_value_object_set(st, "server_address", tf_value_string(addr));
	if (keep && (v = tf_value_attr(keep, "join_target")) && !tf_value_is_unknown(v))
		tf_value_object_set(st, "join_target", tf_value_ref((tf_value *)v));
	if (keep && (v = tf_value_attr(keep, "member_config")) && !tf_value_is_unknown(v))
		tf_value_object_set(st, "member_config", tf_value_ref((tf_value *)v));
	tf_value_object_set(st, "description", tf_value_string(jstr(m, "description")));
	tf_value_object_set(st, "failure_domain", tf_value_string(jstr(m, "failure_domain")));
	tf_value_object_set(st, "groups", strings_set(json_object_get(m, "groups")));
	tf_value_object_set(st, "roles", roles_value(json_object_get(m, "roles"), false));
	tf_value_object_set(st, "database_roles",
			    roles_value(json_object_get(m, "roles"), true));
	if (keep) {
		bool failed = false;
		cfg = lxd_refresh_config(tf_value_attr(keep, "config"),
					 json_object_get(m, "config"), rec, false,
					 NULL, NULL, &failed);
		if (failed) {
			tf_value_unref(st);
			return NULL;
		}
	} else {
		/* Import: every key of a member is user-set. */
		cfg = lxd_config_to_map(json_object_get(m, "config"), NULL, NULL);
		if (cfg && tf_value_len(cfg) == 0) {
			tf_value_unref(cfg);
			cfg = NULL;
		}
	}
	if (cfg)
		tf_value_object_set(st, "config", cfg);
	tf_value_object_set(st, "evacuated",
			    tf_value_bool(strcmp(jstr(m, "status"), "Evacuated") == 0));
	tf_value_object_set(st, "url", tf_value_string(url));
	tf_value_object_set(st, "status", tf_value_string(jstr(m, "status")));
	tf_value_object_set(st, "message", tf_value_string(jstr(m, "message")));
	tf_value_object_set(st, "architecture", tf_value_string(jstr(m, "architecture")));
	tf_value_object_set(st, "database",
			    tf_value_bool(json_is_true(json_object_get(m, "database"))));
	return st;
}

/* ---- update ------------------------------------------------------------- */

struct put_arg {
	const tf_value *prior;
	const tf_value *planned;
};

static json_t *set_to_json(const tf_value *set)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < tf_value_len(set); i++) {
		const char *s = tf_value_get_string(tf_value_index(set, i));
		if (s)
			json_array_append_new(a, json_string(s));
	}
	return a;
}

/* Build the PUT body from the live member and the plan. */
static int put_mutate(json_t *cur, void *argv, json_t **body, tfp_error *err)
{
	struct put_arg *a = argv;
	const tf_value *desc = tf_value_attr(a->planned, "description");
	const tf_value *fd = tf_value_attr(a->planned, "failure_domain");
	const tf_value *groups = tf_value_attr(a->planned, "groups");
	const tf_value *roles = tf_value_attr(a->planned, "roles");
	const tf_value *pcfg = a->prior ? tf_value_attr(a->prior, "config") : NULL;
	const tf_value *ncfg = tf_value_attr(a->planned, "config");
	json_t *cfg = json_deep_copy(json_object_get(cur, "config"));
	json_t *out_roles = json_array(), *out_groups, *r;
	size_t i;

	(void)err;
	if (!cfg)
		cfg = json_object();
	/* Automatic roles exactly as they are; user roles from the plan. */
	json_array_foreach(json_object_get(cur, "roles"), i, r) {
		const char *n = json_string_value(r);
		if (n && (lxd_node_auto_role(n) || !tf_value_is_known(roles)))
			json_array_append_new(out_roles, json_string(n));
	}
	if (tf_value_is_known(roles))
		for (i = 0; i < tf_value_len(roles); i++) {
			const char *n = tf_value_get_string(tf_value_index(roles, i));
			if (n && !lxd_node_auto_role(n))
				json_array_append_new(out_roles, json_string(n));
		}
	if (tf_value_is_known(groups) && tf_value_len(groups) > 0)
		out_groups = set_to_json(groups);
	else
		out_groups = json_deep_copy(json_object_get(cur, "groups"));
	for (i = 0; tf_value_is_known(pcfg) && i < tf_value_len(pcfg); i++) {
		const char *k = tf_value_map_key(pcfg, i);
		if (!tf_value_is_known(ncfg) || !tf_value_map_get(ncfg, k))
			json_object_del(cfg, k);
	}
	for (i = 0; tf_value_is_known(ncfg) && i < tf_value_len(ncfg); i++) {
		const char *s = tf_value_get_string(tf_value_map_value(ncfg, i));
		json_object_set_new(cfg, tf_value_map_key(ncfg, i), json_string(s ? s : ""));
	}
	*body = json_pack("{s:s, s:s, s:o, s:o, s:o}",
			  "description", tf_value_is_known(desc) ? tf_value_get_string(desc)
						     : jstr(cur, "description"),
			  "failure_domain", tf_value_is_known(fd) ? tf_value_get_string(fd)
						      : jstr(cur, "failure_domain"),
			  "groups", out_groups ? out_groups : json_array(),
			  "roles", out_roles ? out_roles : json_array(),
			  "config", cfg);
	return *body ? TFP_OK : TFP_E_NOMEM;
}

static bool wait_ms(atomic_int *stop, long ms)
{
	struct timespec ts = { 0, 100 * 1000000L };

	for (long t = 0; t < ms; t += 100) {
		if (stop && atomic_load(stop))
			return false;
		nanosleep(&ts, NULL);
	}
	return true;
}

int lxd_node_put(lxd_client *c, const char *name, const tf_value *prior,
		 const tf_value *planned, atomic_int *stop, tfp_error *err)
{
	struct put_arg a = { prior, planned };
	char *path = lxd_node_path(name, NULL);
	int rc = TFP_E_NOMEM;

	if (!path)
		return rc;
	/* Automatic roles move while LXD rebalances (a member just joined or
	 * left); LXD then refuses the PUT. Re-read and retry, bounded. */
	for (int attempt = 1; attempt <= 5; attempt++) {
		rc = lxd_update_etag(c, path, 0, put_mutate, &a, err);
		if (rc == TFP_OK || !err || !strstr(err->message, "role") ||
		    strstr(err->message, "nvalid") || strstr(err->message, "nknown"))
			break;
		tfp_debug("lxd_node %s: role race (attempt %d): %s", name, attempt,
			  err->message);
		if (!wait_ms(stop, 1000L * attempt))
			break;
	}
	free(path);
	return rc;
}

int lxd_node_set_evacuated(lxd_client *c, const char *name, bool want,
			   tfp_error *err)
{
	json_t *m = NULL, *body;
	char *path;
	lxd_response r = {0};
	bool is_evac;
	int rc = lxd_node_get(c, name, &m, err);

	if (rc)
		return rc;
	is_evac = strcmp(jstr(m, "status"), "Evacuated") == 0;
	json_decref(m);
	if (is_evac == want)
		return TFP_OK;
	path = lxd_node_path(name, "/state");
	body = json_pack("{s:s}", "action", want ? "evacuate" : "restore");
	if (!path || !body) {
		free(path);
		json_decref(body);
		return TFP_E_NOMEM;
	}
	rc = lxd_request(c, "POST", path, body, NULL, 0, &r, err);
	lxd_response_done(&r);
	free(path);
	json_decref(body);
	if (rc && err && (strstr(err->message, "already evacuated") ||
			  strstr(err->message, "already restored")))
		rc = TFP_OK;
	return rc;
}

/* ---- validate / plan ---------------------------------------------------- */

static void node_validate(tfp_ctx *ctx, const tf_value *config, tf_diags *d)
{
	const tf_value *cfg = tf_value_attr(config, "config");
	const tf_value *roles = tf_value_attr(config, "roles");
	const tf_value *groups = tf_value_attr(config, "groups");
	const tf_value *jt = tf_value_attr(config, "join_target");

	(void)ctx;
	for (size_t i = 0; tf_value_is_known(cfg) && i < tf_value_len(cfg); i++) {
		const char *k = tf_value_map_key(cfg, i);
		if (strcmp(k, "scheduler.instance") != 0 && strncmp(k, "user.", 5) != 0) {
			tf_path p = {0};
			tf_path_push_attr(&p, "config");
			tf_path_push_key(&p, k);
			tf_diags_error(d, &p, "Unsupported member config key",
				       "\"%s\" is not a cluster member setting. Members "
				       "accept `scheduler.instance` and `user.*` keys; "
				       "server settings belong elsewhere.", k);
			tf_path_done(&p);
		}
	}
	for (size_t i = 0; tf_value_is_known(roles) && i < tf_value_len(roles); i++) {
		const char *r = tf_value_get_string(tf_value_index(roles, i));
		if (r && lxd_node_auto_role(r))
			tf_diags_attr_error(d, "roles", "Automatic role in roles",
					    "\"%s\" is assigned by LXD itself and "
					    "cannot be set. List only user roles (%s, "
					    "depending on the LXD version); automatic "
					    "roles are reported in `database_roles`.",
					    r, "event-hub, ovn-chassis, control-plane");
		else if (r && !in_list(r, user_roles))
			tf_diags_attr_error(d, "roles", "Unknown member role",
					    "\"%s\" is not an LXD member role. User "
					    "roles are event-hub, ovn-chassis and "
					    "control-plane (by LXD version).", r);
	}
	if (tf_value_is_known(groups) && tf_value_len(groups) == 0)
		tf_diags_attr_error(d, "groups", "Empty groups",
				    "A cluster member must be in at least one "
				    "group; use [\"default\"] or leave `groups` unset.");
	if (tf_value_is_known(jt)) {
		const tf_value *sock = tf_value_attr(jt, "socket");
		const tf_value *addr = tf_value_attr(jt, "address");
		bool has_s = !tf_value_is_null(sock), has_a = !tf_value_is_null(addr);
		/* Unknown (e.g. from a module's for_each at validate time):
		 * decided later, checked once known. */
		bool decided = !tf_value_is_unknown(sock) && !tf_value_is_unknown(addr);
		const char *a = tf_value_get_string(addr);

		if (decided && has_s == has_a)
			tf_diags_attr_error(d, "join_target", "Invalid join_target",
					    "Set exactly one of `socket` (local "
					    "unix socket of the joining server) and "
					    "`address` (its HTTPS URL).");
		if (a && strncmp(a, "https://", 8) != 0)
			tf_diags_attr_error(d, "join_target", "Invalid join_target address",
					    "\"%s\" is not an HTTPS URL; use "
					    "https://<host>:8443.", a);
		if (tf_value_is_known(addr) && tf_value_is_null(tf_value_attr(jt, "client_certificate")))
			tf_diags_attr_error(d, "join_target",
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
	tfp_error err = {0};
	int rc;

	if (bootstrap && jt && !tf_value_is_null(jt))
		tf_diags_attr_error(d, "join_target", "join_target with bootstrap",
				    "A bootstrapped member is the provider's own "
				    "server; remove `join_target` or set "
				    "`bootstrap = false` to join another server.");
	if (!bootstrap && (!jt || tf_value_is_null(jt)))
		tf_diags_attr_error(d, "join_target", "Missing join_target",
				    "Joining member \"%s\" needs `join_target` (its "
				    "unix socket or HTTPS address). To make the "
				    "provider's standalone server the first member, "
				    "set `bootstrap = true`.", name ? name : "");
	if (!c || !name)
		return;
	/* Fresh facts: the cached GET /1.0 may predate a bootstrap. */
	lxd_server_info_forget(c);
	if ((rc = lxd_is_clustered(c, &clustered, &err))) {
		lxd_diag(d, NULL, "Cannot reach LXD", &err, "Reading server info");
		return;
	}
	if (bootstrap) {
		if (clustered)
			tf_diags_attr_error(d, "bootstrap", "Server is already clustered",
					    "The provider's server is already a cluster "
					    "member, so it cannot bootstrap a new cluster. "
					    "Manage an existing member by importing it: "
					    "`terraform import lxd_node.<name> <member>`.");
		return;
	}
	if (!clustered) {
		tf_diags_attr_error(d, "bootstrap", "Server is not clustered",
				    "The provider's server is not a cluster, so "
				    "\"%s\" cannot join it. Create the cluster first "
				    "with an lxd_node that has `bootstrap = true`.", name);
		return;
	}
	rc = lxd_node_get(c, name, &m, &err);
	json_decref(m);
	if (rc == TFP_OK) {
		tf_diags_attr_error(d, "name", "Member already exists",
				    "The cluster already has a member named \"%s\". "
				    "Import it with `terraform import lxd_node.<name> "
				    "%s` instead of joining it.", name, name);
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

static void node_modify_plan(tfp_ctx *ctx, const tf_value *prior,
			     const tf_value *config, tf_value **planned,
			     tf_paths *replace, tf_diags *d)
{
	if (tf_value_is_null(prior)) {
		check_create(ctx->client, config, d);
		return;
	}
	if (replace->n == 0 && tf_plan_has_changes(prior, *planned)) {
		/* Any write may move status and automatic roles (evacuation,
		 * rebalancing): the result is known after apply. */
		tf_plan_mark_unknown(ctx->schema, *planned, "status");
		tf_plan_mark_unknown(ctx->schema, *planned, "message");
		tf_plan_mark_unknown(ctx->schema, *planned, "database");
		tf_plan_mark_unknown(ctx->schema, *planned, "database_roles");
	}
}

/* ---- read / import ------------------------------------------------------ */

static void node_read(tfp_ctx *ctx, const tf_value *state, tf_value **out,
		      tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *name = tf_value_attr_string(state, "name");
	json_t *m = NULL;
	tfp_error err = {0};
	int rc;

	if (!c || !name)
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
		const tf_value *managed = tf_value_attr(state, "config");
		const json_t *rec = priv ? lxd_server_keys_get(priv, "") : NULL;

		/* State of an older version: what is there now is the
		 * server's, once. */
		if (priv && !rec &&
		    lxd_server_keys_record(priv, "", json_object_get(m, "config"),
					   managed, NULL, NULL, NULL) == 0 &&
		    lxd_private_save(ctx, priv) == 0)
			rec = lxd_server_keys_get(priv, "");
		*out = lxd_node_state(ctx->schema, state, m, rec);
		json_decref(priv);
	}
	if (!*out)
		tf_diags_error(d, NULL, "Out of memory", "Refreshing member \"%s\"", name);
	json_decref(m);
}

json_t *lxd_node_record_keys(tfp_ctx *ctx, const json_t *m,
			     const tf_value *planned, const tf_value *prior)
{
	json_t *priv = json_object(), *old = NULL, *cand = NULL;
	const json_t *rec;
	int rc = TF_E_NOMEM;

	if (!priv)
		return NULL;
	if (prior) {
		old = lxd_private_load(ctx);
		rec = old ? lxd_server_keys_get(old, "") : NULL;
		/* An update's candidates: recorded or managed before. */
		if (rec && !(cand = lxd_key_union(rec, tf_value_attr(prior, "config"))))
			goto out;
	}
	rc = lxd_server_keys_record(priv, "", json_object_get(m, "config"),
				    tf_value_attr(planned, "config"), cand, NULL, NULL);
	if (rc == 0)
		rc = lxd_private_save(ctx, priv);
out:
	json_decref(old);
	json_decref(cand);
	if (rc) {
		json_decref(priv);
		return NULL;
	}
	return priv;
}

static void node_import(tfp_ctx *ctx, const char *id, tf_value **out,
			tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	json_t *m = NULL;
	tfp_error err = {0};
	int rc;

	if (!c)
		return;
	if (!*id || strchr(id, '/')) {
		tf_diags_error(d, NULL, "Invalid import ID",
			       "Import a cluster member by its name, e.g. "
			       "`terraform import lxd_node.n2 node2` (got \"%s\").", id);
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
		tf_diags_error(d, NULL, "Out of memory", "Importing member \"%s\"", id);
	json_decref(m);
}

/* ---- update / delete ------------------------------------------------------ */

static bool writable_changed(const tf_value *prior, const tf_value *planned)
{
	static const char *const w[] = {
		"description", "failure_domain", "groups", "roles", "config", NULL,
	};
	for (const char *const *n = w; *n; n++)
		if (tf_plan_attr_changed(prior, planned, *n))
			return true;
	return false;
}

static void node_update(tfp_ctx *ctx, const tf_value *prior,
			const tf_value *planned, const tf_value *config,
			tf_value **out, tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *name = tf_value_attr_string(prior, "name");
	const tf_value *ev = tf_value_attr(planned, "evacuated");
	const tf_value *keep = planned;
	json_t *m = NULL;
	tfp_error err = {0};
	int rc;

	(void)config;
	if (!c || !name)
		return;
	if (writable_changed(prior, planned) &&
	    (rc = lxd_node_put(c, name, prior, planned, ctx->stop, &err))) {
		lxd_diag(d, NULL, "Cannot update cluster member", &err,
			 "Updating member \"%s\"", name);
		keep = prior;
		goto reread;
	}
	if (tf_value_is_known(ev) && tf_plan_attr_changed(prior, planned, "evacuated") &&
	    (rc = lxd_node_set_evacuated(c, name, tf_value_get_bool(ev), &err))) {
		lxd_diag(d, NULL, tf_value_get_bool(ev) ? "Cannot evacuate cluster member"
							: "Cannot restore cluster member",
			 &err, "%s member \"%s\"",
			 tf_value_get_bool(ev) ? "Evacuating" : "Restoring", name);
	}
reread:
	/* Record what is true now (also after a failure). */
	if (lxd_node_get(c, name, &m, &err) != TFP_OK) {
		if (!tf_diags_has_error(d))
			lxd_diag(d, NULL, "Cannot read cluster member", &err,
				 "Reading member \"%s\" after updating it", name);
		return;
	}
	{
		/* After a write, the server's keys are recorded anew; after a
		 * failed one, the prior record stands. */
		json_t *priv = keep == planned ? lxd_node_record_keys(ctx, m, planned, prior)
					       : lxd_private_load(ctx);
		*out = lxd_node_state(ctx->schema, keep, m,
				      priv ? lxd_server_keys_get(priv, "") : NULL);
		json_decref(priv);
	}
	json_decref(m);
}

/* The last member (the bootstrapped one) cannot be removed; the reverse of
 * bootstrapping is disabling clustering on it: PUT /1.0/cluster
 * {enabled:false} makes it a standalone server again (it keeps its
 * pools and networks). Only done on the provider's own server. */
static void disable_clustering(lxd_client *c, const char *name,
			       tfp_error *why, tf_diags *d)
{
	json_t *cl = NULL, *body = json_pack("{s:b}", "enabled", 0);
	lxd_response r = {0};
	tfp_error err = {0};
	const char *self;
	int rc = lxd_get(c, "/1.0/cluster", 0, &cl, NULL, &err);

	self = json_string_value(json_object_get(cl, "server_name"));
	if (rc || !self || strcmp(self, name) != 0 || !body) {
		tf_diags_error(d, NULL, "Cannot remove cluster member",
			       "LXD refused to remove member \"%s\": %s. It is the "
			       "last member; point the provider at it to turn it "
			       "back into a standalone server on destroy.",
			       name, why->message);
		goto out;
	}
	tfp_info("lxd_node: \"%s\" is the last member: disabling clustering", name);
	rc = lxd_request(c, "PUT", "/1.0/cluster", body, NULL, 0, &r, &err);
	lxd_response_done(&r);
	lxd_server_info_forget(c);
	if (rc)
		lxd_diag(d, NULL, "Cannot remove cluster member", &err,
			 "\"%s\" is the last member of its cluster; disabling "
			 "clustering on it failed", name);
out:
	json_decref(cl);
	json_decref(body);
}

static void node_delete(tfp_ctx *ctx, const tf_value *prior, tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);
	const char *name = tf_value_attr_string(prior, "name");
	bool force = tf_value_get_bool(tf_value_attr(prior, "force"));
	lxd_response r = {0};
	tfp_error err = {0};
	char *path;
	int rc;

	if (!c || !name)
		return;
	path = lxd_node_path(name, force ? "?force=1" : NULL);
	if (!path) {
		tf_diags_error(d, NULL, "Out of memory", "Removing member \"%s\"", name);
		return;
	}
	rc = lxd_request(c, "DELETE", path, NULL, NULL, 0, &r, &err);
	lxd_response_done(&r);
	free(path);
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
		tfp_error e2 = {0};
		if (lxd_node_get(c, name, &m, &e2) == TFP_E_NOTFOUND) {
			tf_diags_warn(d, NULL, "Cluster member removed, server not reset",
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
		       force ? "" : "Move or delete its instances and custom "
				    "volumes first, or, for a dead member, set "
				    "`force = true`, apply, then destroy.");
}

const tfp_resource lxd_node_resource = {
	.type_name = "lxd_node",
	.version = 0,
	.schema = &node_schema,
	.validate = node_validate,
	.modify_plan = node_modify_plan,
	.create = lxd_node_create,
	.read = node_read,
	.update = node_update,
	.remove = node_delete,
	.import = node_import,
};
