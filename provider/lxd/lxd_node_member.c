/* One LXD cluster member as the lxd_node files use it (see lxd_node.h):
 * paths and reads, the state built from a live member, writes of its
 * settings and evacuation, the record of its server keys, and the
 * member_config a join needs. A leaf below lxd_node.c (handlers) and
 * lxd_node_join.c (create). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../schema/codec.h"
#include "../../schema/tf_err.h"
#include "../log.h"
#include "../util/cleanup.h"
#include "lxd_common.h"
#include "lxd_kit.h"
#include "lxd_node.h"
#include "lxd_server_keys.h"

/* ---- the member --------------------------------------------------------- */

bool lxd_node_auto_role(const char *role)
{
	static const char *const auto_roles[] = {
		"database",
		"database-leader",
		"database-standby",
		"database-voter",
		NULL,
	};
	return role && lxd_in_list(role, auto_roles);
}

char *lxd_node_path(const char *name, const char *suffix)
{
	return lxd_url("/1.0/cluster/members/", name, suffix, NULL, NULL);
}

int lxd_node_get(lxd_client *c, const char *name, json_t **member,
		 tfp_error *err)
{
	int rc = lxd_get_at(c, lxd_node_path(name, NULL), member, NULL, err);

	/* A server that is not clustered has no members at all. */
	if (rc && err && strstr(err->message, "isn't part of a cluster"))
		rc = TFP_E_NOTFOUND;
	return rc;
}

static bool user_role(const char *role)
{
	return !lxd_node_auto_role(role);
}

/* set(string) of the roles in `arr` that are (automatic) or are not
 * automatic. */
static tf_value *roles_value(const json_t *arr, bool automatic)
{
	return lxd_strings(arr, &(lxd_strings_opts){
					.set = true,
					.keep = automatic ? lxd_node_auto_role :
							    user_role });
}

static void set_bool_default(tf_value *st, const tf_value *keep, const char *n)
{
	const tf_value *v = keep ? tf_value_attr(keep, n) : NULL;
	tf_value_object_set(st, n,
			    tf_value_bool(tf_value_is_known(v) &&
					  tf_value_get_bool(v)));
}

tf_value *lxd_node_state(const tf_schema *s, const tf_value *keep,
			 const json_t *m, const json_t *rec)
{
	tf_value *st = tf_schema_empty_object(s);
	const char *url = lxd_jstr(m, "url");
	const char *addr = keep ? tf_value_attr_string(keep, "server_address") :
				  NULL;
	const tf_value *v;
	tf_value *cfg;

	if (!st)
		return NULL;
	tf_value_object_set(st, "name",
			    tf_value_string(lxd_jstr(m, "server_name")));
	set_bool_default(st, keep, "bootstrap");
	set_bool_default(st, keep, "force");
	if (!addr)
		addr = strncmp(url, "https://", 8) == 0 ? url + 8 : url;
	tf_value_object_set(st, "server_address", tf_value_string(addr));
	if (keep && (v = tf_value_attr(keep, "join_target")) &&
	    !tf_value_is_unknown(v))
		tf_value_object_set(st, "join_target",
				    tf_value_ref((tf_value *)v));
	if (keep && (v = tf_value_attr(keep, "member_config")) &&
	    !tf_value_is_unknown(v))
		tf_value_object_set(st, "member_config",
				    tf_value_ref((tf_value *)v));
	tf_value_object_set(st, "description",
			    tf_value_string(lxd_jstr(m, "description")));
	tf_value_object_set(st, "failure_domain",
			    tf_value_string(lxd_jstr(m, "failure_domain")));
	tf_value_object_set(st, "groups",
			    lxd_strings(json_object_get(m, "groups"),
					&(lxd_strings_opts){ .set = true }));
	tf_value_object_set(st, "roles",
			    roles_value(json_object_get(m, "roles"), false));
	tf_value_object_set(st, "database_roles",
			    roles_value(json_object_get(m, "roles"), true));
	if (keep) {
		bool failed = false;
		cfg = lxd_refresh_config(tf_value_attr(keep, "config"),
					 json_object_get(m, "config"), rec,
					 false, NULL, NULL, &failed);
		if (failed) {
			tf_value_unref(st);
			return NULL;
		}
	} else {
		/* Import: every key of a member is user-set. */
		cfg = lxd_config_to_map(json_object_get(m, "config"), NULL,
					NULL);
		if (cfg && tf_value_len(cfg) == 0) {
			tf_value_unref(cfg);
			cfg = NULL;
		}
	}
	if (cfg)
		tf_value_object_set(st, "config", cfg);
	tf_value_object_set(st, "evacuated",
			    tf_value_bool(strcmp(lxd_jstr(m, "status"),
						 "Evacuated") == 0));
	tf_value_object_set(st, "url", tf_value_string(url));
	tf_value_object_set(st, "status",
			    tf_value_string(lxd_jstr(m, "status")));
	tf_value_object_set(st, "message",
			    tf_value_string(lxd_jstr(m, "message")));
	tf_value_object_set(st, "architecture",
			    tf_value_string(lxd_jstr(m, "architecture")));
	tf_value_object_set(st, "database",
			    tf_value_bool(json_is_true(
				    json_object_get(m, "database"))));
	return st;
}

/* ---- writes ------------------------------------------------------------- */

struct put_arg {
	const tf_value *prior;
	const tf_value *planned;
};

/* Build the PUT body from the live member and the plan. */
static int put_mutate(json_t *cur, void *argv, json_t **body, tfp_error *err)
{
	struct put_arg *a = argv;
	const tf_value *desc = tf_value_attr(a->planned, "description");
	const tf_value *fd = tf_value_attr(a->planned, "failure_domain");
	const tf_value *groups = tf_value_attr(a->planned, "groups");
	const tf_value *roles = tf_value_attr(a->planned, "roles");
	const tf_value *pcfg = a->prior ? tf_value_attr(a->prior, "config") :
					  NULL;
	const tf_value *ncfg = tf_value_attr(a->planned, "config");
	json_t *cfg = json_deep_copy(json_object_get(cur, "config"));
	json_t *out_roles = json_array(), *out_groups, *r;
	size_t i;

	(void)err;
	if (!cfg)
		cfg = json_object();
	/* Automatic roles exactly as they are; user roles from the plan. */
	json_array_foreach (json_object_get(cur, "roles"), i, r) {
		const char *n = json_string_value(r);
		if (n && (lxd_node_auto_role(n) || !tf_value_is_known(roles)))
			json_array_append_new(out_roles, json_string(n));
	}
	if (tf_value_is_known(roles))
		for (i = 0; i < tf_value_len(roles); i++) {
			const char *n = tf_value_get_string(
				tf_value_index(roles, i));
			if (n && !lxd_node_auto_role(n))
				json_array_append_new(out_roles,
						      json_string(n));
		}
	if (tf_value_is_known(groups) && tf_value_len(groups) > 0)
		out_groups = tf_json_strings(groups);
	else
		out_groups = json_deep_copy(json_object_get(cur, "groups"));
	for (i = 0; tf_value_is_known(pcfg) && i < tf_value_len(pcfg); i++) {
		const char *k = tf_value_map_key(pcfg, i);
		if (!tf_value_is_known(ncfg) || !tf_value_map_get(ncfg, k))
			json_object_del(cfg, k);
	}
	for (i = 0; tf_value_is_known(ncfg) && i < tf_value_len(ncfg); i++) {
		const char *s = tf_value_get_string(
			tf_value_map_value(ncfg, i));
		json_object_set_new(cfg, tf_value_map_key(ncfg, i),
				    json_string(s ? s : ""));
	}
	*body = json_pack("{s:s, s:s, s:o, s:o, s:o}", "description",
			  tf_value_is_known(desc) ?
				  tf_value_get_string(desc) :
				  lxd_jstr(cur, "description"),
			  "failure_domain",
			  tf_value_is_known(fd) ?
				  tf_value_get_string(fd) :
				  lxd_jstr(cur, "failure_domain"),
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
		    strstr(err->message, "nvalid") ||
		    strstr(err->message, "nknown"))
			break;
		tfp_debug("lxd_node %s: role race (attempt %d): %s", name,
			  attempt, err->message);
		if (!wait_ms(stop, 1000L * attempt))
			break;
	}
	free(path);
	return rc;
}

int lxd_node_set_evacuated(lxd_client *c, const char *name, bool want,
			   tfp_error *err)
{
	_cleanup_(json_decrefp) json_t *m = NULL, *body = NULL;
	bool is_evac;
	int rc = lxd_node_get(c, name, &m, err);

	if (rc)
		return rc;
	is_evac = strcmp(lxd_jstr(m, "status"), "Evacuated") == 0;
	if (is_evac == want)
		return TFP_OK;
	body = json_pack("{s:s}", "action", want ? "evacuate" : "restore");
	if (!body)
		return TFP_E_NOMEM;
	rc = lxd_send_at(c, "POST", lxd_node_path(name, "/state"), body, err);
	if (rc && err &&
	    (strstr(err->message, "already evacuated") ||
	     strstr(err->message, "already restored")))
		rc = TFP_OK;
	return rc;
}

/* ---- server keys ------------------------------------------------------- */

/* Record the server's config keys of the member `m` after a create
 * (`prior` NULL) or an update in ctx's private state. Returns the new
 * private state (caller json_decref) or NULL on failure. */
static json_t *record_keys(tfp_ctx *ctx, const json_t *m,
			   const tf_value *planned, const tf_value *prior)
{
	json_t *priv = json_object(), *old = NULL, *cand = NULL;
	int rc = TF_E_NOMEM;

	if (!priv)
		return NULL;
	/* An update's candidates: recorded or managed before. */
	if (prior && (old = lxd_private_load(ctx)) &&
	    lxd_server_keys_candidates(old, "", tf_value_attr(prior, "config"),
				       &cand))
		goto out;
	rc = lxd_server_keys_record(priv, "", json_object_get(m, "config"),
				    tf_value_attr(planned, "config"), cand,
				    NULL, NULL);
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

tf_value *lxd_node_state_now(tfp_ctx *ctx, const json_t *m,
			     const tf_value *keep, const tf_value *prior,
			     bool written)
{
	json_t *priv = written ? record_keys(ctx, m, keep, prior) :
				 lxd_private_load(ctx);
	tf_value *st = lxd_node_state(ctx->schema, keep, m,
				      priv ? lxd_server_keys_get(priv, "") :
					     NULL);

	json_decref(priv);
	return st;
}

/* ---- joining: what the cluster asks for --------------------------------- */

int lxd_node_required_config(lxd_client *c, json_t **required, tfp_error *err)
{
	json_t *cl = NULL, *mc;
	int rc = lxd_get(c, "/1.0/cluster", 0, &cl, NULL, err);

	if (rc)
		return rc;
	mc = json_object_get(cl, "member_config");
	*required = json_is_array(mc) ? json_incref(mc) : json_array();
	json_decref(cl);
	return *required ? TFP_OK : TFP_E_NOMEM;
}

char *lxd_node_mc_key(const json_t *e)
{
	char *k = NULL;
	const char *ent = json_string_value(json_object_get(e, "entity"));
	const char *name = json_string_value(json_object_get(e, "name"));
	const char *key = json_string_value(json_object_get(e, "key"));

	if (asprintf(&k, "%s/%s/%s", ent ? ent : "", name ? name : "",
		     key ? key : "") < 0)
		k = NULL;
	return k;
}

void lxd_node_check_member_config(const json_t *required, const tf_value *mc,
				  const char *name, tf_diags *d)
{
	size_t i, len = 1, off = 0;
	const json_t *e;
	char *missing;

	json_array_foreach (required, i, e) {
		char *k = lxd_node_mc_key(e);
		if (k && !(tf_value_is_known(mc) && tf_value_map_get(mc, k)))
			len += strlen(k) + 4;
		free(k);
	}
	if (len == 1)
		return;
	missing = calloc(1, len);
	if (!missing) {
		tf_diags_attr_error(d, "member_config", "Out of memory", "%s",
				    "");
		return;
	}
	json_array_foreach (required, i, e) {
		char *k = lxd_node_mc_key(e);
		if (k && !(tf_value_is_known(mc) && tf_value_map_get(mc, k)))
			off += (size_t)snprintf(missing + off, len - off,
						"%s\"%s\"", off ? ", " : "", k);
		free(k);
	}
	tf_diags_attr_error(d, "member_config", "Missing member_config keys",
			    "To join member \"%s\", the cluster needs these "
			    "member-specific settings in `member_config`: %s. "
			    "Add them (an empty value takes LXD's default, e.g. "
			    "the default path for a dir pool `source`).",
			    name ? name : "", missing);
	free(missing);
}
