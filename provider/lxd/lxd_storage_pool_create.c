/* lxd_storage_pool create: never lose what was made, finish what was
 * started.
 *
 * Shapes of a create:
 *  - direct: one POST /1.0/storage-pools with the global keys (plus the
 *    member's own keys on a one-member cluster). Standalone servers and
 *    one-member clusters.
 *  - two-step (clusters of several members, or resuming): a pending
 *    definition per member (POST ?target=<member>, member-specific keys
 *    only), then the global POST (no config when the pool is Errored: LXD
 *    refuses global config on a retry).
 *
 * After any failed step the pool is read back to learn what happened:
 *  - a step whose outcome is unknown (no answer: connection lost, LXD
 *    restarted, timeout) that did take effect is counted as done; one that
 *    did not is sent again (bounded), so a POST is never repeated blindly;
 *  - a pool that existed before this create (the first POST was refused
 *    because of it) is taken over only when it is half-created (Pending or
 *    Errored) with exactly the definition this configuration sends;
 *    otherwise the error says to import it or delete it. It is never put in
 *    state, so a later destroy cannot remove somebody else's pool;
 *  - on a failure after a request may have reached the server, the state
 *    that exists is returned with the error (read back, or, when LXD does
 *    not answer, the planned values with status "Unknown"), so Terraform
 *    records it as tainted and the next apply converges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../log.h"
#include "../util/cleanup.h"
#include "lxd_kit.h"
#include "lxd_server_keys.h"
#include "lxd_storage_pool.h"

#define UNCERTAIN_RETRIES 3 /* steps re-sent after an unknown outcome */

struct run {
	tfp_ctx *ctx;
	lxd_client *c;
	const tf_value *planned;
	const char *name;
	const char *driver;
	const tf_value *mc; /* planned member_config */
	json_t *members;    /* cluster member names, or NULL standalone */
	json_t *defined;    /* members with a pending definition (object) */
	bool two_step;      /* otherwise the direct POST */
	bool errored; /* the pool is Errored: global POST without config */
	bool sent;    /* a mutating request may have reached LXD */
	bool foreign; /* the pool existed before and is not ours */
	int retries;
};

static const tf_value *member_keys_of(const struct run *r, const char *m)
{
	return tf_value_is_known(r->mc) ? tf_value_map_get(r->mc, m) : NULL;
}

/* The direct POST's config: global keys plus, on a one-member cluster, that
 * member's own keys. New reference, or NULL when out of memory. */
static json_t *direct_config(const struct run *r)
{
	json_t *cfg = lxd_map_to_config(tf_value_attr(r->planned, "config"));
	const char *only = json_string_value(json_array_get(r->members, 0));
	json_t *mk = only ? lxd_map_to_config(member_keys_of(r, only)) : NULL;

	if (cfg && mk)
		json_object_update(cfg, mk);
	json_decref(mk);
	return cfg;
}

/* POST /1.0/storage-pools[?target=<member>] {name, driver, config,
 * description if not NULL}. `cfg` is borrowed. */
static int pool_post(lxd_client *c, const char *target, const char *name,
		     const char *driver, const char *description,
		     const json_t *cfg, tfp_error *err)
{
	_cleanup_(json_decrefp)
		json_t *body = json_pack("{s:s, s:s, s:O}", "name", name,
					 "driver", driver, "config", cfg);

	if (!body ||
	    (description && json_object_set_new(body, "description",
						json_string(description))))
		return TFP_E_NOMEM;
	return lxd_send_at(c, "POST",
			   lxd_url("/1.0/storage-pools", NULL, NULL, "target",
				   target),
			   body, err);
}

/* One step (target NULL: the global POST). Notes whether it may have
 * reached LXD. */
static int step_post(struct run *r, const char *target, tfp_error *err)
{
	const char *desc = tf_value_attr_string(r->planned, "description");
	json_t *cfg;
	int rc;

	if (target)
		cfg = lxd_map_to_config(member_keys_of(r, target));
	else if (r->errored)
		cfg = json_object();
	else if (!r->two_step)
		cfg = direct_config(r);
	else
		cfg = lxd_map_to_config(tf_value_attr(r->planned, "config"));
	if (!cfg)
		return TFP_E_NOMEM;
	rc = pool_post(r->c, target, r->name, r->driver,
		       r->two_step ? NULL : desc, cfg, err);
	json_decref(cfg);
	if (rc == TFP_OK || lxd_outcome_unknown(err))
		r->sent = true;
	return rc;
}

/* Does the live `config` object (filtered by `keep`) hold exactly the
 * planned map `want` (none when want is NULL or not known)? 1 yes, 0 no,
 * -1 out of memory. */
static int config_is(const json_t *config, lxd_key_filter keep,
		     const tf_value *want)
{
	_cleanup_(tf_value_unrefp)
		tf_value *live = lxd_config_to_map(config, keep, NULL);

	if (!live)
		return -1;
	return want && tf_value_is_known(want) ? tf_value_equal(live, want) :
						 tf_value_len(live) == 0;
}

/* A member's own keys, without volatile.initial_source (LXD's own record
 * of `source`). */
static bool member_key_not_record(const char *k, const json_t *v, void *arg)
{
	return pool_member_key_filter(k, v, arg) &&
	       strcmp(k, "volatile.initial_source") != 0;
}

static bool not_volatile(const char *k, const json_t *v, void *arg)
{
	(void)v;
	(void)arg;
	return strncmp(k, "volatile.", 9) != 0;
}

/* A member's pending definition as LXD holds it equals what we send? */
static bool member_matches(const struct run *r, const char *m, tfp_error *err,
			   int *rc)
{
	_cleanup_(json_decrefp) json_t *mp = NULL;
	int same;

	*rc = pool_get(r->c, r->name, m, &mp, NULL, err);
	if (*rc)
		return false;
	same = config_is(json_object_get(mp, "config"), member_key_not_record,
			 member_keys_of(r, m));
	if (same < 0)
		*rc = TFP_E_NOMEM;
	return same > 0;
}

/* An Errored pool keeps the global config of the failed create: it must
 * be the planned one. */
static bool global_matches(const struct run *r, const json_t *pool)
{
	return config_is(json_object_get(pool, "config"), not_volatile,
			 tf_value_attr(r->planned, "config")) > 0;
}

static void import_it(const struct run *r, const char *status, tf_diags *d)
{
	tf_diags_attr_error(
		d, "name", "Storage pool already exists",
		"A storage pool named \"%s\" already exists on the LXD "
		"server (status %s) and is not in this Terraform state. "
		"Import it to manage it (`terraform import "
		"lxd_storage_pool.<name> %s`, or an `import` block), or "
		"choose another name.",
		r->name, status, r->name);
}

static void not_ours(const struct run *r, const char *status, const char *why,
		     tf_diags *d)
{
	tf_diags_attr_error(
		d, "name", "Half-created storage pool is in the way",
		"A storage pool named \"%s\" is half-created on the LXD "
		"server (status %s) with a definition that differs from "
		"this configuration: %s. It was not made by this "
		"configuration, so it is left alone. Remove it with "
		"`lxc storage delete %s` and apply again, or change this "
		"configuration to match it.",
		r->name, status, why, r->name);
}

/* What resync found. */
enum { RESYNC_CREATED = 0, RESYNC_HALF = 1, RESYNC_ABSENT = 2 };

/* Learn from the live pool what is done. `before_us`: nothing of this
 * create can have reached LXD yet, so a pool there is somebody else's and
 * is taken over only when it is half-created with our definition.
 * Returns RESYNC_* or a negative code (diagnostic added, or *err set when
 * the read itself failed). */
static int resync(struct run *r, bool before_us, tfp_error *err, tf_diags *d)
{
	json_t *pool = NULL, *loc;
	const char *status, *drv;
	size_t i;
	int rc = pool_get(r->c, r->name, NULL, &pool, NULL, err);

	if (rc == TFP_E_NOTFOUND) {
		json_object_clear(r->defined);
		r->errored = false;
		return RESYNC_ABSENT;
	}
	if (rc)
		return rc;
	status = json_string_value(json_object_get(pool, "status"));
	drv = json_string_value(json_object_get(pool, "driver"));
	status = status ? status : "Unknown";
	rc = RESYNC_HALF;
	if (drv && strcmp(drv, r->driver) != 0) {
		char why[160];
		snprintf(why, sizeof(why), "its driver is \"%s\"", drv);
		if (strcmp(status, "Created") == 0)
			import_it(r, status, d);
		else
			not_ours(r, status, why, d);
		r->foreign = before_us;
		rc = TFP_E_EXISTS;
	} else if (strcmp(status, "Created") == 0) {
		if (before_us) {
			import_it(r, status, d);
			r->foreign = true;
			rc = TFP_E_EXISTS;
		} else {
			rc = RESYNC_CREATED; /* our global POST took effect */
		}
	} else if (strcmp(status, "Pending") != 0 &&
		   strcmp(status, "Errored") != 0) {
		import_it(r, status, d);
		r->foreign = before_us;
		rc = TFP_E_EXISTS;
	}
	if (rc != RESYNC_HALF)
		goto out;
	/* Pending or Errored: which members hold a definition? */
	r->two_step = true;
	r->errored = strcmp(status, "Errored") == 0;
	json_object_clear(r->defined);
	json_array_foreach (json_object_get(pool, "locations"), i, loc) {
		const char *m = json_string_value(loc);
		int mrc = TFP_OK;

		if (!m)
			continue;
		if (before_us && !member_matches(r, m, err, &mrc)) {
			char why[200];
			if (mrc) {
				rc = mrc;
				goto out;
			}
			snprintf(why, sizeof(why),
				 "member \"%s\" has other member-specific keys",
				 m);
			not_ours(r, status, why, d);
			r->foreign = true;
			rc = TFP_E_EXISTS;
			goto out;
		}
		json_object_set_new(r->defined, m, json_true());
	}
	if (before_us && r->errored && !global_matches(r, pool)) {
		not_ours(r, status, "its global config differs", d);
		r->foreign = true;
		rc = TFP_E_EXISTS;
		goto out;
	}
	if (before_us)
		tfp_info("Resuming the half-finished creation of storage pool "
			 "\"%s\" (status %s, defined on %zu member(s))",
			 r->name, status, json_object_size(r->defined));
out:
	json_decref(pool);
	return rc;
}

/* The steps not done yet, in order; stops at the first failure. */
static int remaining_steps(struct run *r, tfp_error *err)
{
	size_t i;
	json_t *m;
	int rc;

	if (r->two_step) {
		json_array_foreach (r->members, i, m) {
			const char *mn = json_string_value(m);
			if (!mn || json_object_get(r->defined, mn))
				continue;
			if ((rc = step_post(r, mn, err)))
				return rc;
			json_object_set_new(r->defined, mn, json_true());
		}
	}
	return step_post(r, NULL, err);
}

/* Sleep `seconds`, in steps that watch the stop flag. False when
 * stopped. */
static bool pause_s(const struct run *r, int seconds)
{
	struct timespec ts = { 0, 100 * 1000000L };

	for (int i = 0; i < seconds * 10; i++) {
		if (r->ctx->stop && atomic_load(r->ctx->stop))
			return false;
		nanosleep(&ts, NULL);
	}
	return true;
}

/* Run the create to the end. Returns TFP_OK, or a code with a diagnostic
 * in d or with *err set for the caller to report. */
static int run_steps(struct run *r, tfp_error *err, tf_diags *d)
{
	int rc, s;

	/* Several members: look first, a pool in the way would otherwise be
	 * half-joined by our first targeted POST. */
	if (r->two_step) {
		s = resync(r, !r->sent, err, d);
		if (s < 0)
			return s;
	}
	for (int attempt = 0;; attempt++) {
		tfp_error rerr = { 0 };
		bool unknown;

		rc = remaining_steps(r, err);
		if (rc == TFP_OK || rc == TFP_E_CANCELLED ||
		    rc == TFP_E_NOMEM || attempt >= UNCERTAIN_RETRIES)
			return rc;
		/* Read back what happened: a step with an unknown outcome
		 * may have taken effect; a refusal may be a pool in the way. */
		unknown = lxd_outcome_unknown(err);
		s = resync(r, !r->sent, &rerr, d);
		if (s == RESYNC_CREATED)
			return TFP_OK;
		if (s < 0) {
			if (!tf_diags_has_error(d))
				*err = rerr;
			return s;
		}
		if (!unknown && s == RESYNC_ABSENT)
			return rc; /* refused, and nothing in the way: report it */
		tfp_debug("storage pool \"%s\": %s; continuing (attempt %d)",
			  r->name,
			  unknown ? "outcome of a request unknown" :
				    "pool half-created",
			  attempt + 2);
		/* A half-created pool refused again is usually a member that
		 * is restarting ("failed to notify peer"): give it a moment
		 * (1, 2, 4 s), as Terraform's stop allows. */
		if (!unknown && !pause_s(r, 1 << attempt))
			return TFP_E_CANCELLED;
	}
}

/* State after a failed create: what LXD now holds, or, when it cannot be
 * read, the planned values with status "Unknown" (Terraform taints it; a
 * later destroy of a pool that turns out not to exist succeeds). */
static void partial_state(struct run *r, tf_value **out)
{
	json_t *pool = NULL;
	tfp_error err = { 0 };
	int rc = pool_get(r->c, r->name, NULL, &pool, NULL, &err);

	if (rc == TFP_E_NOTFOUND)
		return; /* nothing was created */
	*out = pool_state(r->ctx->schema, r->planned,
			  lxd_known_or_null(
				  tf_value_attr(r->planned, "config")),
			  lxd_known_or_null(r->mc), rc == TFP_OK ? pool : NULL);
	json_decref(pool);
}

static int start(struct run *r, tfp_error *err)
{
	bool clustered = false;
	int rc = lxd_is_clustered(r->c, &clustered, err);

	if (rc == TFP_OK && clustered)
		rc = lxd_member_names(r->c, &r->members, err);
	r->two_step = clustered && json_array_size(r->members) > 1;
	return rc;
}

/* The member list is cached per process (lxd_cluster_members). When the
 * direct POST of a one-member cluster was refused because the pool is
 * "not pending on any node", members joined since it was read: LXD wrote
 * nothing (the check precedes every write), so read the members again and
 * start over with the two-step create. True when it is worth a second
 * run (r reset, *err cleared). */
static bool members_grew(struct run *r, tfp_error *err, tf_diags *d)
{
	tfp_error serr = { 0 };

	if (r->two_step || !r->members || r->sent || tf_diags_has_error(d) ||
	    !strstr(err->message, "not pending on any"))
		return false;
	tfp_debug("storage pool \"%s\": the cluster has more members than "
		  "when they were read; reading them again",
		  r->name);
	lxd_server_info_forget(r->c);
	json_decref(r->members);
	r->members = NULL;
	if (start(r, &serr) || !r->two_step)
		return false;
	json_object_clear(r->defined);
	r->errored = false;
	*err = (tfp_error){ 0 };
	return true;
}

/* The pool exists: its state, with the server's keys recorded. */
static void finish(struct run *r, tf_value **out, tf_diags *d)
{
	json_t *pool = NULL, *priv = json_object();
	tfp_error err = { 0 };
	int rc = TFP_E_NOMEM;

	if (priv)
		rc = pool_get(r->c, r->name, NULL, &pool, NULL, &err);
	if (rc == TFP_OK)
		rc = pool_record_server_keys(r->c, r->name, priv, pool,
					     r->planned, NULL, NULL, NULL,
					     &err);
	if (rc == TFP_OK && lxd_private_save(r->ctx, priv))
		rc = TFP_E_NOMEM;
	if (rc)
		lxd_diag(d, NULL, "Cannot read new storage pool", &err,
			 "Reading storage pool \"%s\" after creating it",
			 r->name);
	/* Exists either way: record it (without a read, as planned). */
	*out = pool_state(r->ctx->schema, r->planned,
			  lxd_known_or_null(
				  tf_value_attr(r->planned, "config")),
			  lxd_known_or_null(r->mc), rc == TFP_OK ? pool : NULL);
	json_decref(pool);
	json_decref(priv);
}

/* LXD refuses the create because a member still has the pool's directory
 * from an earlier create of the same name that its daemon did not live to
 * finish (killed mid-create: LXD's own clean-up never ran). LXD 5.0 has no
 * API to remove it, so say exactly what to do. True when that is the
 * error (diagnostic added). */
static bool leftover_dir(const struct run *r, const tfp_error *err, tf_diags *d)
{
	const char *m = err->message,
		   *p = strstr(m, "Storage pool directory \"");
	const char *peer = strstr(m, "failed to notify peer ");
	char path[512] = "", where[128] = "the server";
	const char *q;

	if (!p || !strstr(p, "already exists"))
		return false;
	p += strlen("Storage pool directory \"");
	q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= sizeof(path))
		return false;
	memcpy(path, p, (size_t)(q - p));
	if (peer) {
		peer += strlen("failed to notify peer ");
		q = strchr(peer, ':');
		snprintf(where, sizeof(where), "the member at %.*s",
			 q ? (int)(q - peer) : 64, peer);
	}
	tf_diags_attr_error(
		d, "name", "Leftover storage pool directory",
		"Creating storage pool \"%s\": %s. LXD on %s still has "
		"the directory %s from an earlier create of this pool "
		"that its daemon did not live to finish (it was stopped "
		"mid-create), and LXD has no API to remove it. On that "
		"machine, check that no storage pool uses it (`lxc "
		"storage list`) and remove it (`rm -r %s`), then apply "
		"again.",
		r->name, err->message, where, path, path);
	return true;
}

void pool_create(tfp_ctx *ctx, const tf_value *planned, const tf_value *config,
		 tf_value **out, tf_diags *d)
{
	struct run r = {
		.ctx = ctx,
		.c = lxd_ctx_client(ctx, d),
		.planned = planned,
		.name = tf_value_attr_string(planned, "name"),
		.driver = tf_value_attr_string(planned, "driver"),
		.mc = tf_value_attr(planned, "member_config"),
		.defined = json_object(),
	};
	const char *desc = tf_value_attr_string(planned, "description");
	tfp_error err = { 0 };
	int rc;

	(void)config;
	if (!r.c || !r.defined)
		goto done;
	if ((rc = start(&r, &err))) {
		lxd_diag(d, NULL, "Cannot create storage pool", &err,
			 "Reading the server before creating storage pool \"%s\"",
			 r.name);
		goto done;
	}
	rc = run_steps(&r, &err, d);
	if (rc && members_grew(&r, &err, d))
		rc = run_steps(&r, &err, d);
	if (rc == TFP_OK && r.two_step && desc && *desc)
		rc = pool_set_description(r.c, r.name, planned, &err);
	if (rc) {
		if (!tf_diags_has_error(d) && !leftover_dir(&r, &err, d))
			lxd_diag(d, NULL, "Cannot create storage pool", &err,
				 "Creating storage pool \"%s\"%s", r.name,
				 r.members ? " on the cluster" : "");
		if (r.sent && !r.foreign)
			partial_state(&r, out);
		goto done;
	}
	finish(&r, out, d);
done:
	json_decref(r.members);
	json_decref(r.defined);
}

bool pool_finish_half_created(tfp_ctx *ctx, lxd_client *c,
			      const tf_value *state)
{
	struct run r = {
		.ctx = ctx,
		.c = c,
		.planned = state,
		.name = tf_value_attr_string(state, "name"),
		.driver = tf_value_attr_string(state, "driver"),
		.mc = tf_value_attr(state, "member_config"),
		.defined = json_object(),
		.sent = true, /* in our state: ours, whatever it holds */
	};
	tf_diags ignore = TF_DIAGS_INIT;
	tfp_error err = { 0 };
	int s = TFP_E_NOMEM;

	if (r.name && r.driver && r.defined && start(&r, &err) == TFP_OK) {
		s = resync(&r, false, &err, &ignore);
		if (s == RESYNC_HALF)
			s = run_steps(&r, &err, &ignore) == TFP_OK ?
				    RESYNC_CREATED :
				    -1;
	}
	if (s != RESYNC_CREATED && s != RESYNC_ABSENT)
		tfp_info("storage pool \"%s\": could not finish the half-created "
			 "pool before deleting it: %s",
			 r.name ? r.name : "?",
			 err.message[0] ? err.message :
					  "see the diagnostics above");
	tf_diags_done(&ignore);
	json_decref(r.members);
	json_decref(r.defined);
	return s == RESYNC_CREATED;
}
