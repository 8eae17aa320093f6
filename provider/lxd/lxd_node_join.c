/* lxd_node create: join a standalone server to the provider's cluster, or
 * bootstrap the cluster on the provider's own standalone server.
 *
 * Join (LXD's own `lxc cluster add` + `lxd init` sequence, over REST):
 *  1. reach the joining server through `join_target` (unix socket, or HTTPS
 *     with a client certificate, trusted first with `password` if needed)
 *     and make sure it is not clustered;
 *  2. collect the member_config the cluster asks for (GET /1.0/cluster)
 *     from the user's `member_config`; missing keys stop here, before
 *     anything changed;
 *  3. issue a join token on the cluster (POST /1.0/cluster/members);
 *  4. PUT /1.0/cluster on the joining server with the token, the cluster
 *     certificate and address, and the member config; wait for it;
 *  5. write the member's writable fields and evacuation state.
 * A failure after step 4 returns the member as partial state with the
 * error, so Terraform records it. A failed join cancels the token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../log.h"
#include "../resource.h"
#include "../util/b64.h"
#include "../util/cleanup.h"
#include "../util/secret.h"
#include "client.h"
#include "lxd_common.h"
#include "lxd_kit.h"
#include "lxd_node.h"
#include "lxd_server_keys.h"

/* The member_config array for PUT /1.0/cluster, or NULL (diagnostic added). */
static json_t *join_member_config(const json_t *required, const tf_value *mc,
				  const char *name, tf_diags *d)
{
	json_t *out = json_array();
	size_t i;
	const json_t *e;

	lxd_node_check_member_config(required, mc, name, d);
	if (tf_diags_has_error(d) || !out) {
		json_decref(out);
		return NULL;
	}
	json_array_foreach (required, i, e) {
		char *k = lxd_node_mc_key(e);
		const char *v =
			k ? tf_value_get_string(tf_value_map_get(mc, k)) : NULL;
		json_t *item = json_deep_copy(e);

		free(k);
		if (!item)
			continue;
		json_object_set_new(item, "value", json_string(v ? v : ""));
		json_array_append_new(out, item);
	}
	return out;
}

/* A client for the joining server, or NULL with a diagnostic. */
static lxd_client *open_target(tfp_ctx *ctx, const tf_value *jt, tf_diags *d)
{
	lxd_client_opts o = { 0 };
	lxd_client *jc = NULL;
	tfp_error err = { 0 };

	lxd_tls_opts(&o, jt);
	o.socket_path = tf_value_attr_string(jt, "socket");
	o.url = tf_value_attr_string(jt, "address");
	o.stop = ctx->stop;
	if (!o.socket_path && !o.url) {
		tf_diags_attr_error(
			d, "join_target", "Missing join_target",
			"Set `join_target.socket` or `join_target.address`.");
		return NULL;
	}
	if (lxd_client_new(&o, &jc, &err) != TFP_OK) {
		lxd_diag(d, NULL, "Cannot reach the joining server", &err,
			 "Connecting to %s", o.url ? o.url : o.socket_path);
		return NULL;
	}
	return jc;
}

/* GET /1.0 on the joining server (trusting our certificate first with the
 * password when it is untrusted). *info is new. */
static int target_info(lxd_client *jc, const tf_value *jt, json_t **info,
		       tfp_error *err)
{
	const char *pw = tf_value_attr_string(jt, "password");
	json_t *i = NULL, *body;
	int rc = lxd_get(jc, "/1.0", 0, &i, NULL, err);

	if (rc)
		return rc;
	if (pw && strcmp(json_string_value(json_object_get(i, "auth")) ?: "",
			 "trusted") != 0) {
		/* 5.x reads `password`, 5.21+ `trust_token`; unknown fields
		 * are ignored. */
		body = json_pack("{s:s, s:s, s:s}", "type", "client",
				 "password", pw, "trust_token", pw);
		rc = body ? lxd_request(jc, "POST", "/1.0/certificates", body,
					NULL, 0, NULL, err) :
			    TFP_E_NOMEM;
		json_decref(body);
		json_decref(i);
		i = NULL;
		if (rc == TFP_OK)
			rc = lxd_get(jc, "/1.0", 0, &i, NULL, err);
		if (rc)
			return rc;
	}
	*info = i;
	return TFP_OK;
}

/* The join token (base64 JSON, as `lxc cluster add` prints it) from the
 * token operation's metadata, malloc'd. */
static char *token_from_op(const json_t *op, const char **address)
{
	const json_t *md = json_object_get(op, "metadata");
	json_t *t = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "server_name",
			      json_object_get(md, "serverName"), "fingerprint",
			      json_object_get(md, "fingerprint"), "addresses",
			      json_object_get(md, "addresses"), "secret",
			      json_object_get(md, "secret"), "expires_at",
			      json_object_get(md, "expiresAt"));
	char *s = t ? json_dumps(t, JSON_COMPACT) : NULL, *b = NULL;

	*address = json_string_value(
		json_array_get(json_object_get(md, "addresses"), 0));
	if (s)
		b = util_b64_encode(s, strlen(s), false);
	util_secret_free(s); /* it carries the join secret */
	json_decref(t);
	return b;
}

static void cancel_token(lxd_client *c, const char *op_path)
{
	tfp_error err = { 0 };

	if (op_path &&
	    lxd_request(c, "DELETE", op_path, NULL, NULL, 0, NULL, &err))
		tfp_debug("cancelling join token %s: %s", op_path, err.message);
}

/* The join request failed (`err`). Find out what is true:
 *  - the member is listed and the joining server says it is that member:
 *    the join went through (its answer was lost): true, go on;
 *  - the member is listed at the joining server's address but the server
 *    is not clustered: a join that stopped half-way left a dangling member
 *    record; it is removed (?force=1) so the next apply can join again;
 *  - the cluster cannot be read: *unknown is set (the caller records
 *    partial state, which Terraform taints).
 * Adds the diagnostic; returns whether the server is now a member. */
static bool join_failed(lxd_client *c, lxd_client *jc, const char *name,
			const char *addr, const tfp_error *err, bool *unknown,
			tf_diags *d)
{
	json_t *m = NULL, *ti = NULL;
	tfp_error e2 = { 0 };
	const json_t *env;
	char url[300];
	int rc = lxd_node_get(c, name, &m, &e2);

	if (rc == TFP_OK) {
		bool joined = lxd_get(jc, "/1.0", 0, &ti, NULL, &e2) == TFP_OK;
		env = json_object_get(ti, "environment");
		joined =
			joined &&
			json_is_true(
				json_object_get(env, "server_clustered")) &&
			strcmp(json_string_value(json_object_get(env, "server_name")) ?:
				       "",
			       name) == 0;
		snprintf(url, sizeof(url), "https://%s", addr ? addr : "");
		if (joined) {
			tfp_info("lxd_node: the join of \"%s\" went through (%s)",
				 name, err->message);
			json_decref(m);
			json_decref(ti);
			return true;
		}
		if (ti &&
		    strcmp(json_string_value(json_object_get(m, "url")) ?: "",
			   url) == 0) {
			tfp_info("lxd_node: removing the record the half-way join of "
				 "\"%s\" left",
				 name);
			if (lxd_send_at(c, "DELETE",
					lxd_node_path(name, "?force=1"), NULL,
					&e2))
				tfp_warn("lxd_node: cannot remove the half-way member "
					 "\"%s\": %s",
					 name, e2.message);
		} else if (!ti) {
			*unknown =
				true; /* the joining server does not answer */
		}
	} else if (rc != TFP_E_NOTFOUND) {
		*unknown = true;
	}
	json_decref(m);
	json_decref(ti);
	lxd_diag(d, NULL, "Cannot join the cluster", err,
		 "Server \"%s\" could not join the cluster%s", name,
		 *unknown || lxd_outcome_unknown(err) ?
			 " (whether it joined is not known yet: it is recorded, and "
			 "the next apply replaces it)" :
			 "");
	*unknown = *unknown ||
		   (lxd_outcome_unknown(err) && rc != TFP_E_NOTFOUND);
	return false;
}

/* Step 1: the joining server answers (trusting us with the password if
 * needed), is not clustered, and has an address the cluster reaches it
 * on: server_address, else its core.https_address (*addr, borrowed from
 * `planned` or *tinfo, which the caller frees). */
static bool check_target(lxd_client *jc, const tf_value *planned,
			 const tf_value *jt, json_t **tinfo, const char **addr,
			 tf_diags *d)
{
	const char *name = tf_value_attr_string(planned, "name");
	tfp_error err = { 0 };

	if (target_info(jc, jt, tinfo, &err)) {
		lxd_diag(d, NULL, "Cannot reach the joining server", &err,
			 "Reading server info of the server that should join as \"%s\"",
			 name);
		return false;
	}
	if (json_is_true(json_object_get(json_object_get(*tinfo, "environment"),
					 "server_clustered"))) {
		tf_diags_attr_error(
			d, "join_target", "Server is already clustered",
			"The server at join_target is already a cluster "
			"member, so it cannot join as \"%s\". If it is a "
			"member of this cluster, import it instead.",
			name);
		return false;
	}
	*addr = tf_value_attr_string(planned, "server_address");
	if (!*addr)
		*addr = json_string_value(
			json_object_get(json_object_get(*tinfo, "config"),
					"core.https_address"));
	if (!*addr || !**addr) {
		tf_diags_attr_error(
			d, "server_address", "Missing server_address",
			"The joining server has no `core.https_address`; "
			"set `server_address` (e.g. \"203.0.113.3:8443\") "
			"to the address other members reach it on.");
		return false;
	}
	return true;
}

/* Step 2: the member_config the cluster asks for, from the user's (NULL,
 * diagnostic added, when keys are missing or the cluster cannot say). */
static json_t *member_config_for(lxd_client *c, const tf_value *planned,
				 tf_diags *d)
{
	_cleanup_(json_decrefp) json_t *req = NULL;
	tfp_error err = { 0 };

	if (lxd_node_required_config(c, &req, &err)) {
		lxd_diag(d, NULL, "Cannot read cluster join requirements", &err,
			 "GET /1.0/cluster");
		return NULL;
	}
	return join_member_config(req, tf_value_attr(planned, "member_config"),
				  tf_value_attr_string(planned, "name"), d);
}

/* What step 3 gets from the cluster. */
struct token {
	lxd_response op;         /* the token operation (cancels it) */
	json_t *info;            /* the cluster's GET /1.0 */
	char *secret;            /* the token (malloc'd, wiped on free) */
	const char *address;     /* borrowed from op */
	const char *certificate; /* borrowed from info */
};

static void token_done(struct token *t)
{
	lxd_response_done(&t->op);
	json_decref(t->info);
	util_secret_free(t->secret);
}

/* Step 3: a join token for `name` on the cluster, with the cluster's
 * certificate. */
static bool issue_token(lxd_client *c, const char *name, struct token *t,
			tf_diags *d)
{
	_cleanup_(json_decrefp) json_t *body = NULL;
	tfp_error err = { 0 };
	int rc;

	if (lxd_get(c, "/1.0", 0, &t->info, NULL, &err)) {
		lxd_diag(d, NULL, "Cannot read cluster certificate", &err,
			 "GET /1.0");
		return false;
	}
	t->certificate = json_string_value(
		json_object_get(json_object_get(t->info, "environment"),
				"certificate"));
	body = json_pack("{s:s}", "server_name", name);
	rc = body ? lxd_request(c, "POST", "/1.0/cluster/members", body, NULL,
				LXD_REQ_NO_WAIT, &t->op, &err) :
		    TFP_E_NOMEM;
	if (rc) {
		lxd_diag(d, NULL, "Cannot issue a join token", &err,
			 "Issuing a join token for \"%s\"", name);
		return false;
	}
	t->secret = token_from_op(t->op.metadata, &t->address);
	if (!t->secret || !t->address || !t->certificate) {
		tf_diags_error(d, NULL, "Cannot issue a join token",
			       "The cluster's token for \"%s\" lacks an address, "
			       "secret or certificate; check that the cluster "
			       "listens on `cluster.https_address`.",
			       name);
		cancel_token(c, t->op.operation);
		return false;
	}
	return true;
}

/* Step 4: PUT /1.0/cluster on the joining server (5.0 reads
 * cluster_password, 5.21+ cluster_token: both are sent). */
static int put_join(lxd_client *jc, const char *name, const char *addr,
		    const struct token *t, const json_t *mcfg, tfp_error *err)
{
	json_t *body = json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:O}",
				 "server_name", name, "enabled", 1,
				 "server_address", addr, "cluster_address",
				 t->address, "cluster_certificate",
				 t->certificate, "cluster_password", t->secret,
				 "cluster_token", t->secret, "member_config",
				 mcfg);
	int rc;

	if (!body)
		return TFP_E_NOMEM;
	tfp_info("lxd_node: joining \"%s\" (%s) to the cluster via %s", name,
		 addr, t->address);
	rc = lxd_request(jc, "PUT", "/1.0/cluster", body, NULL, 0, NULL, err);
	json_object_del(body, "cluster_password");
	json_object_del(body, "cluster_token");
	json_decref(body);
	return rc;
}

/* Steps 1-4. Returns true when the server is now a member. *unknown is
 * set when it may be one without the cluster saying so. `join_target` is
 * read from the configuration: its write-only `client_key` and `password`
 * are null in the plan. */
static bool join(tfp_ctx *ctx, lxd_client *c, const tf_value *planned,
		 const tf_value *config, bool *unknown, tf_diags *d)
{
	const char *name = tf_value_attr_string(planned, "name");
	const tf_value *jt = tf_value_attr(config, "join_target");
	lxd_client *jc = open_target(ctx, jt, d);
	_cleanup_(json_decrefp) json_t *tinfo = NULL, *mcfg = NULL;
	struct token t = { 0 };
	tfp_error err = { 0 };
	const char *addr = NULL;
	bool ok = false;

	if (jc && check_target(jc, planned, jt, &tinfo, &addr, d) &&
	    (mcfg = member_config_for(c, planned, d)) &&
	    issue_token(c, name, &t, d)) {
		ok = put_join(jc, name, addr, &t, mcfg, &err) == TFP_OK;
		if (!ok) {
			cancel_token(c, t.op.operation);
			ok = join_failed(c, jc, name, addr, &err, unknown, d);
		}
	}
	token_done(&t);
	lxd_client_free(jc);
	/* The member list changed (or may have): read it again when needed. */
	lxd_server_info_forget(c);
	return ok;
}

/* Bootstrap on the provider's own server. True when it is now clustered. */
static bool bootstrap(lxd_client *c, const tf_value *planned, tf_diags *d)
{
	const char *name = tf_value_attr_string(planned, "name");
	const char *addr = tf_value_attr_string(planned, "server_address");
	json_t *info = NULL, *body = NULL;
	const json_t *cfg;
	tfp_error err = { 0 };
	const char *cur;
	int rc;

	if ((rc = lxd_get(c, "/1.0", 0, &info, NULL, &err))) {
		lxd_diag(d, NULL, "Cannot bootstrap the cluster", &err,
			 "GET /1.0");
		return false;
	}
	cfg = json_object_get(info, "config");
	cur = json_string_value(json_object_get(cfg, "cluster.https_address"));
	if (!cur || !*cur)
		cur = json_string_value(
			json_object_get(cfg, "core.https_address"));
	if ((!cur || !*cur) && (!addr || !*addr)) {
		tf_diags_attr_error(
			d, "server_address", "Missing server_address",
			"The server has no `core.https_address`; set "
			"`server_address` (e.g. \"203.0.113.1:8443\") so "
			"the cluster has an address to listen on.");
		goto fail;
	}
	if (addr && (!cur || strcmp(cur, addr) != 0)) {
		body = json_pack("{s:{s:s}}", "config", "core.https_address",
				 addr);
		rc = body ? lxd_request(c, "PATCH", "/1.0", body, NULL, 0, NULL,
					&err) :
			    TFP_E_NOMEM;
		json_decref(body);
		if (rc) {
			lxd_diag(d, NULL, "Cannot bootstrap the cluster", &err,
				 "Setting core.https_address to \"%s\"", addr);
			goto fail;
		}
	}
	body = json_pack("{s:s, s:b}", "server_name", name, "enabled", 1);
	rc = body ? lxd_request(c, "PUT", "/1.0/cluster", body, NULL, 0, NULL,
				&err) :
		    TFP_E_NOMEM;
	json_decref(body);
	lxd_server_info_forget(c);
	if (rc) {
		lxd_diag(d, NULL, "Cannot bootstrap the cluster", &err,
			 "Enabling clustering as \"%s\"", name);
		goto fail;
	}
	json_decref(info);
	return true;
fail:
	json_decref(info);
	return false;
}

void lxd_node_create(tfp_ctx *ctx, const tf_value *planned,
		     const tf_value *config, tf_value **out, tf_diags *d)
{
	const char *name = NULL;
	lxd_client *c = lxd_ctx_named(ctx, planned, &name, d);
	const tf_value *ev = tf_value_attr(planned, "evacuated");
	bool is_bootstrap = tf_value_get_bool(
		tf_value_attr(planned, "bootstrap"));
	bool unknown = false;
	json_t *m = NULL;
	tfp_error err = { 0 };
	int rc;

	if (!c)
		return;
	if (!(is_bootstrap ? bootstrap(c, planned, d) :
			     join(ctx, c, planned, config, &unknown, d))) {
		if (!tf_diags_has_error(d))
			tf_diags_error(d, NULL, "Cannot create cluster member",
				       "Member \"%s\" was not created.", name);
		goto record;
	}
	if (tf_diags_has_error(d))
		goto record;
	/* Step 5: writable fields, then evacuation. */
	if ((rc = lxd_node_put(c, name, NULL, planned, ctx->stop, &err))) {
		lxd_diag(d, NULL, "Cannot configure cluster member", &err,
			 "Member \"%s\" %s, but setting its description, failure "
			 "domain, groups, roles or config failed",
			 name,
			 is_bootstrap ? "bootstrapped the cluster" : "joined");
		goto record;
	}
	if (tf_value_is_known(ev) && tf_value_get_bool(ev) &&
	    (rc = lxd_node_set_evacuated(c, name, true, &err)))
		lxd_diag(d, NULL, "Cannot evacuate cluster member", &err,
			 "Member \"%s\" joined, but evacuating it failed",
			 name);
record:
	/* Whatever happened: if the member exists, it goes into state. */
	rc = lxd_node_get(c, name, &m, &err);
	if (rc == TFP_OK) {
		*out = lxd_node_state_now(ctx, m, planned, NULL, true);
	} else if (unknown && rc != TFP_E_NOTFOUND) {
		/* It may exist: record it as planned (Terraform taints it). */
		const char *addr = tf_value_attr_string(planned,
							"server_address");
		char url[300];
		json_t *stub;

		snprintf(url, sizeof(url), "https://%s", addr ? addr : "");
		stub = json_pack("{s:s, s:s, s:s}", "server_name", name, "url",
				 url, "status", "Unknown");
		*out = stub ? lxd_node_state(ctx->schema, planned, stub, NULL) :
			      NULL;
		json_decref(stub);
	} else if (!tf_diags_has_error(d)) {
		lxd_diag(d, NULL, "Cannot read new cluster member", &err,
			 "Reading member \"%s\" after creating it", name);
	}
	json_decref(m);
}
