/* k8s_machine_pool: worker machines of a k8s_cluster, as a Cluster API
 * MachineDeployment <name> with a KubeadmConfigTemplate and an
 * LXCMachineTemplate, each named <name>-<hash of its spec> (an imported
 * pool's keep their own names until their settings change).
 *
 *  - Template names are computed at plan time, so a machine or label/taint
 *    change shows as a rotation: update creates the new templates, repoints
 *    the MachineDeployment (version and references in one patch), waits
 *    until every replica is up to date and available, then deletes the old
 *    templates (and any an unfinished rotation left, which also make the
 *    plan an update). Templates in use whose settings did not change are
 *    never rewritten.
 *  - create goes through k8s_op (ownership marker, resume of our own
 *    orphans, foreign MachineDeployments refused); partial state (the
 *    templates) when it fails after making something.
 *  - Replicas scale in place. With autoscaler_min/max the bounds go into the
 *    autoscaler annotations and `replicas` is left to the autoscaler: it is
 *    written once at create (the lower bound) and only reported afterwards.
 *  - The pool's version may never be newer than the control plane's
 *    (checked at plan time against the live KubeadmControlPlane, and again
 *    before the patch).
 *  - delete removes the MachineDeployment, waits until it and its Machines
 *    are gone, then deletes the templates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/plan.h"
#include "../log.h"
#include "../util/cleanup.h"
#include "k8s_identity.h"
#include "k8s_objects.h"
#include "k8s_op.h"
#include "k8s_res.h"

static bool autoscaled(const tf_value *v)
{
	return !tf_value_is_null(tf_value_attr(v, "autoscaler_min")) ||
	       !tf_value_is_null(tf_value_attr(v, "autoscaler_max"));
}

static bool on_delete(const tf_value *v)
{
	const char *s = tf_value_attr_string(v, "rollout_strategy");
	return s && strcmp(s, "OnDelete") == 0;
}

/* The attributes the templates are made from. */
static const char *const template_inputs[] = {
	"name",  "instance_type", "flavor", "profiles",
	"image", "target",        "labels", "taints",
};
#define NINPUTS (sizeof(template_inputs) / sizeof(template_inputs[0]))

/* Are the template inputs of `plan` those of `prior`, whose templates
 * exist (names known and not empty)? */
static bool same_template_inputs(const tf_value *prior, const tf_value *plan)
{
	const char *in = tf_value_attr_string(prior, "infrastructure_template");
	const char *bn = tf_value_attr_string(prior, "bootstrap_template");

	if (!in || !*in || !bn || !*bn)
		return false;
	for (size_t i = 0; i < NINPUTS; i++) {
		const tf_value *a = tf_value_attr(prior, template_inputs[i]);
		const tf_value *b = tf_value_attr(plan, template_inputs[i]);

		if (!tf_value_is_wholly_known(b) || !tf_value_equal(a, b))
			return false;
	}
	return true;
}

/* Template names of `plan`; false when an input is still unknown. */
static bool template_names(const tf_value *plan, char **infra, char **boot)
{
	const char *name = tf_value_attr_string(plan, "name");
	json_t *ms, *bs;

	*infra = *boot = NULL;
	for (size_t i = 0; i < NINPUTS; i++)
		if (!tf_value_is_wholly_known(
			    tf_value_attr(plan, template_inputs[i])))
			return false;
	ms = k8s_machine_spec(plan);
	bs = k8s_bootstrap_spec(plan);
	if (ms && bs && name) {
		*infra = k8s_template_name(name, ms);
		*boot = k8s_template_name(name, bs);
	}
	json_decref(ms);
	json_decref(bs);
	return *infra && *boot;
}

/* Delete this pool's templates other than the current infra/boot ones
 * (NULL: all of them) that a rotation left behind, or all after the
 * MachineDeployment is gone (see k8s_res_stale_templates). Returns how
 * many there were (with only_count, nothing is deleted). */
static int stale_templates(k8s_client *c, const k8s_capi *capi, const char *ns,
			   const char *cluster, const char *pool,
			   const char *infra, const char *boot, bool only_count)
{
	return k8s_res_delete_stale(c, &capi->lxc_machine_template, ns, cluster,
				    pool, infra, only_count) +
	       k8s_res_delete_stale(c, &capi->kubeadm_config_template, ns,
				    cluster, pool, boot, only_count);
}

/* The template names the plan settled on (see pool_modify_plan), else the
 * hashed names of its settings. */
static bool planned_templates(const tf_value *plan, char **infra, char **boot)
{
	const char *in = tf_value_attr_string(plan, "infrastructure_template");
	const char *bn = tf_value_attr_string(plan, "bootstrap_template");

	if (in && *in && bn && *bn) {
		*infra = strdup(in);
		*boot = strdup(bn);
		if (*infra && *boot)
			return true;
		free(*infra);
		free(*boot);
	}
	return template_names(plan, infra, boot);
}

/* spec.version of the cluster's KubeadmControlPlane (malloc'd) or NULL. */
static char *control_plane_version(k8s_client *c, const k8s_capi *capi,
				   const char *ns, const char *cluster)
{
	json_t *kcp = NULL, *cl = NULL;
	tfp_error err = { 0 };
	const char *kname = cluster;
	char *v = NULL;

	/* The Cluster names its control plane (clusterctl-made clusters call
	 * it <cluster>-control-plane; ours, like the Cluster). */
	if (k8s_get(c, &capi->cluster, ns, cluster, &cl, &err) == TFP_OK &&
	    k8s_jstr(cl, "spec.controlPlaneRef.name") &&
	    *k8s_jstr(cl, "spec.controlPlaneRef.name"))
		kname = k8s_jstr(cl, "spec.controlPlaneRef.name");
	if (k8s_get(c, &capi->kubeadm_control_plane, ns, kname, &kcp, &err) ==
		    TFP_OK &&
	    k8s_jstr(kcp, "spec.version"))
		v = strdup(k8s_jstr(kcp, "spec.version"));
	json_decref(kcp);
	json_decref(cl);
	return v;
}

/* The pool's version against its control plane's: an error when it is
 * newer. Returns whether d holds no error. */
static bool check_version(k8s_client *c, const k8s_capi *capi,
			  const tf_value *plan, tf_diags *d)
{
	const char *v = tf_value_attr_string(plan, "kubernetes_version");
	_cleanup_(freep) char *cp =
		control_plane_version(c, capi,
				      tf_value_attr_string(plan, "namespace"),
				      tf_value_attr_string(plan,
							   "cluster_name"));

	if (cp && v && k8s_version_cmp(v, cp) > 0)
		tf_diags_attr_error(
			d, "kubernetes_version",
			"Pool version newer than the control plane",
			"Pool \"%s\" asks for Kubernetes %s but the "
			"control plane of cluster \"%s\" runs %s. "
			"Upgrade the k8s_cluster first (apply), then "
			"the pool.",
			tf_value_attr_string(plan, "name"), v,
			tf_value_attr_string(plan, "cluster_name"), cp);
	return !tf_diags_has_error(d);
}

/* ---- plan --------------------------------------------------------------- */

/* A RollingUpdate pool whose templates of an interrupted rotation remain:
 * the plan then shows an update, which waits for the rollout and removes
 * them (OnDelete pools keep old templates on purpose). */
static bool pending_cleanup(tfp_ctx *ctx, const tf_value *p)
{
	const k8s_capi *capi = NULL;
	tfp_error err = { 0 };
	const char *infra = tf_value_attr_string(p, "infrastructure_template");
	const char *boot = tf_value_attr_string(p, "bootstrap_template");
	int n;

	if (!ctx->client || on_delete(p) || !infra || !boot ||
	    !tf_value_attr_string(p, "namespace") ||
	    k8s_capi_discover(ctx->client, &capi, &err) != TFP_OK)
		return false;
	n = stale_templates(ctx->client, capi,
			    tf_value_attr_string(p, "namespace"),
			    tf_value_attr_string(p, "cluster_name"),
			    tf_value_attr_string(p, "name"), infra, boot, true);
	if (n > 0)
		tfp_info("pool %s: %d unused templates of an unfinished rotation "
			 "remain; planning an update",
			 tf_value_attr_string(p, "name"), n);
	return n > 0;
}

/* The planned template names: the ones in use when nothing that goes
 * into the templates changed (whatever their names: an imported pool's
 * need not be <name>-<hash>), else the names of the new contents, or
 * unknown while those are not known. */
static void plan_templates(tfp_ctx *ctx, const tf_value *prior, tf_value *p)
{
	char *infra = NULL, *boot = NULL;

	if (!tf_value_is_null(prior) && same_template_inputs(prior, p)) {
		tf_plan_set(p, "infrastructure_template",
			    tf_value_ref((tf_value *)tf_value_attr(
				    prior, "infrastructure_template")));
		tf_plan_set(p, "bootstrap_template",
			    tf_value_ref((tf_value *)tf_value_attr(
				    prior, "bootstrap_template")));
	} else if (template_names(p, &infra, &boot)) {
		tf_plan_set(p, "infrastructure_template",
			    tf_value_string(infra));
		tf_plan_set(p, "bootstrap_template", tf_value_string(boot));
	} else {
		tf_plan_mark_unknown(ctx->schema, p, "infrastructure_template");
		tf_plan_mark_unknown(ctx->schema, p, "bootstrap_template");
	}
	free(infra);
	free(boot);
}

static void pool_modify_plan(tfp_ctx *ctx, const tf_value *prior,
			     const tf_value *config, tf_value **planned,
			     tf_paths *replace, tf_diags *d)
{
	tf_value *p = *planned;
	const tf_value *amin = tf_value_attr(p, "autoscaler_min");
	const tf_value *amax = tf_value_attr(p, "autoscaler_max");
	int64_t lo, hi;

	k8s_res_plan_begin(ctx, prior, config, p, replace);
	if (tf_value_is_null(amin) != tf_value_is_null(amax))
		tf_diags_attr_error(d,
				    tf_value_is_null(amin) ? "autoscaler_min" :
							     "autoscaler_max",
				    "Incomplete autoscaler bounds",
				    "Set both autoscaler_min and autoscaler_max, "
				    "or neither.");
	if (tf_value_get_int(amin, &lo) == 0 &&
	    tf_value_get_int(amax, &hi) == 0 && lo > hi)
		tf_diags_attr_error(
			d, "autoscaler_min", "Invalid autoscaler bounds",
			"autoscaler_min (%lld) is above autoscaler_max "
			"(%lld).",
			(long long)lo, (long long)hi);
	if (autoscaled(p)) {
		if (!tf_value_is_null(tf_value_attr(config, "replicas")))
			tf_diags_attr_error(
				d, "replicas",
				"replicas conflicts with the autoscaler",
				"With autoscaler_min/max the cluster "
				"autoscaler owns the replica count: "
				"remove `replicas`.");
		else if (!tf_value_is_null(prior) && !autoscaled(prior))
			tf_plan_set(p, "replicas",
				    tf_value_ref(
					    tf_value_attr(prior, "replicas")));
	} else if (tf_value_is_null(tf_value_attr(config, "replicas")) &&
		   (tf_value_is_null(prior) ||
		    tf_value_is_null(tf_value_attr(prior, "replicas")))) {
		/* 1 at creation; afterwards unset keeps the server's count. */
		tf_plan_set(p, "replicas", tf_value_int(1));
	}
	plan_templates(ctx, prior, p);
	if (ctx->client &&
	    tf_value_is_known(tf_value_attr(p, "cluster_name")) &&
	    tf_value_is_known(tf_value_attr(p, "namespace")) &&
	    tf_value_is_known(tf_value_attr(p, "kubernetes_version"))) {
		const k8s_capi *capi = NULL;
		tfp_error err = { 0 };
		if (k8s_capi_discover(ctx->client, &capi, &err) == TFP_OK)
			check_version(ctx->client, capi, p, d);
	}
	/* The MachineDeployment is missing (see pool_read). */
	if (k8s_phase_incomplete(prior))
		tf_paths_add_attr(replace, "phase");
	if (!tf_value_is_null(prior) &&
	    (replace->n || tf_plan_has_changes(prior, p) ||
	     pending_cleanup(ctx, p))) {
		static const char *const comp[] = {
			"ready_replicas",
			"available_replicas",
			"up_to_date_replicas",
			"phase",
			NULL,
		};
		tf_plan_mark_unknown_all(ctx->schema, p, comp);
		if (autoscaled(p) && replace->n)
			tf_plan_mark_unknown(ctx->schema, p, "replicas");
	}
}

/* ---- waiting -------------------------------------------------------------- */

struct ready_arg {
	k8s_client *c;
	const k8s_capi *capi;
	const char *ns, *name;
	long replicas; /* -1: the live spec.replicas (autoscaler) */
	char *why;
	json_t *md; /* last MachineDeployment read */
};

static int check_ready(void *argv, tfp_error *err)
{
	struct ready_arg *a = argv;
	int rc;

	free(a->why);
	a->why = NULL;
	json_decref(a->md);
	a->md = NULL;
	rc = k8s_get(a->c, &a->capi->machine_deployment, a->ns, a->name, &a->md,
		     err);
	if (rc)
		return rc;
	return k8s_pool_ready(a->md, a->replicas, &a->why) ? 1 : 0;
}

/* The words of wait_ready's errors. */
static const k8s_wait_words ready_words = {
	.title = "Machine pool",
	.noun = "machine pool",
	.kind = "MachineDeployment",
	.stopped = "MachineDeployment",
	.fix = "",
	.resume = "the next apply goes on from there.",
};

static bool wait_ready(tfp_ctx *ctx, k8s_client *c, const k8s_capi *capi,
		       const tf_value *plan, long replicas, const char *which,
		       tf_diags *d)
{
	struct ready_arg a = {
		.c = c,
		.capi = capi,
		.replicas = replicas,
		.ns = tf_value_attr_string(plan, "namespace"),
		.name = tf_value_attr_string(plan, "name"),
	};
	long timeout = k8s_res_timeout(plan, which);
	tfp_error err = { 0 };
	int rc = k8s_res_poll(ctx, timeout, check_ready, &a, &err);
	_cleanup_(freep) char *buf = NULL;

	if (rc == TFP_E_TIMEOUT) {
		char sel[300];

		snprintf(sel, sizeof(sel), K8S_LABEL_DEPLOYMENT "=%s", a.name);
		k8s_res_explain(c, a.md, &capi->machine, a.ns, sel, &buf);
		k8s_res_explain(c, NULL, &capi->lxc_machine, a.ns, sel, &buf);
	}
	k8s_res_wait_failed(d, &ready_words, rc, &err, a.ns, a.name, which,
			    timeout, a.why, buf);
	free(a.why);
	json_decref(a.md);
	return rc == TFP_OK;
}

/* ---- state ------------------------------------------------------------------ */

/* Planned value with unknown computed attributes filled from the live
 * MachineDeployment (NULL: zeros). */
static tf_value *state_from_plan(k8s_client *c, const k8s_capi *capi,
				 const tf_value *planned)
{
	tf_value *st = tf_value_mut(tf_value_ref((tf_value *)planned));
	json_t *md = NULL;
	tfp_error err = { 0 };
	static const struct {
		const char *attr, *path;
	} counters[] = {
		{ "ready_replicas", "status.readyReplicas" },
		{ "available_replicas", "status.availableReplicas" },
		{ "up_to_date_replicas", "status.upToDateReplicas" },
		{ "replicas", "spec.replicas" },
	};

	if (!st)
		return NULL;
	if (c)
		k8s_get(c, &capi->machine_deployment,
			tf_value_attr_string(st, "namespace"),
			tf_value_attr_string(st, "name"), &md, &err);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		if (tf_value_is_unknown(tf_value_attr(st, counters[i].attr)))
			tf_value_object_set(st, counters[i].attr,
					    tf_value_int(
						    k8s_jint(md,
							     counters[i].path,
							     0)));
	if (tf_value_is_unknown(tf_value_attr(st, "phase"))) {
		const char *ph = k8s_jstr(md, "status.phase");
		tf_value_object_set(st, "phase", tf_value_string(ph ? ph : ""));
	}
	{
		static const char *const names[] = {
			"infrastructure_template",
			"bootstrap_template",
			"namespace",
		};
		for (size_t i = 0; i < 3; i++)
			if (tf_value_is_unknown(tf_value_attr(st, names[i])))
				tf_value_object_set(st, names[i],
						    tf_value_string(""));
	}
	json_decref(md);
	return st;
}

/* ---- create --------------------------------------------------------------- */

/* Create or repair both templates of `plan` (recorded in op). */
static int ensure_templates(k8s_op *op, k8s_client *c, const k8s_capi *capi,
			    const tf_value *plan, const char *infra,
			    const char *boot, bool repair, char *summary,
			    size_t slen, tfp_error *err)
{
	const char *ns = tf_value_attr_string(plan, "namespace");
	json_t *ms = k8s_machine_spec(plan);
	json_t *it = ms ? k8s_lxc_machine_template(
				  ns, infra,
				  tf_value_attr_string(plan, "cluster_name"),
				  ms) :
			  NULL;
	json_t *bt = k8s_kubeadm_config_template(plan, boot);
	int rc = TFP_E_NOMEM;

	snprintf(summary, slen, "Cannot create KubeadmConfigTemplate %s/%s", ns,
		 boot);
	if (bt && (rc = k8s_op_ensure(op, c, &capi->kubeadm_config_template, ns,
				      bt, repair, err)) == 0) {
		snprintf(summary, slen,
			 "Cannot create LXCMachineTemplate %s/%s", ns, infra);
		rc = it ? k8s_op_ensure(op, c, &capi->lxc_machine_template, ns,
					it, repair, err) :
			  TFP_E_NOMEM;
	}
	json_decref(ms);
	json_decref(it);
	json_decref(bt);
	return rc;
}

static void report(tf_diags *d, const char *summary, const tfp_error *err,
		   int rc)
{
	if (err->code)
		k8s_diag(d, NULL, summary, err);
	else
		tf_diags_error(d, NULL, summary, "Failed: %s.",
			       tfp_code_str(rc));
}

static void pool_create(tfp_ctx *ctx, const tf_value *planned,
			const tf_value *config, tf_value **out, tf_diags *d)
{
	const k8s_capi *capi = NULL;
	k8s_client *c = k8s_res_client(ctx, &capi, d);
	const char *ns = tf_value_attr_string(planned, "namespace");
	const char *name = tf_value_attr_string(planned, "name");
	char *infra = NULL, *boot = NULL, summary[200];
	json_t *md = NULL;
	tfp_error err = { 0 };
	k8s_op op;
	int rc;

	(void)config;
	if (!c)
		return;
	k8s_op_begin(&op);
	k8s_res_budget(planned, "create");
	if (!check_version(c, capi, planned, d))
		goto done;
	if (!template_names(planned, &infra, &boot)) {
		tf_diags_error(
			d, NULL, "Cannot create machine pool",
			"Pool \"%s\": out of memory naming its templates.",
			name);
		goto done;
	}
	rc = ensure_templates(&op, c, capi, planned, infra, boot, true, summary,
			      sizeof(summary), &err);
	if (rc == TFP_E_NOTFOUND && !k8s_op_made_any(&op)) {
		tf_diags_error(
			d, NULL, summary,
			"The namespace \"%s\" does not exist on the management "
			"cluster; use the namespace of cluster \"%s\".",
			ns, tf_value_attr_string(planned, "cluster_name"));
		goto done;
	}
	if (rc)
		goto partial;
	md = k8s_machine_deployment(planned, infra, boot,
				    k8s_pool_replicas(planned, true));
	snprintf(summary, sizeof(summary),
		 "Cannot create MachineDeployment %s/%s", ns, name);
	rc = md ? k8s_op_create(&op, c, &capi->machine_deployment, ns, md, NULL,
				&err) :
		  TFP_E_NOMEM;
	if (rc == TFP_E_EXISTS) {
		/* Someone else's MachineDeployment: never adopted; the
		 * templates this create made go again. */
		tf_diags_error(d, NULL, summary,
			       "%s. Import it instead (`terraform import "
			       "k8s_machine_pool.<name> %s/%s`, or an `import` "
			       "block) or pick another name.",
			       err.message, ns, name);
		k8s_op_undo(&op, c, ns);
		goto done;
	}
	if (rc)
		goto partial;
	wait_ready(ctx, c, capi, planned,
		   autoscaled(planned) ? -1 : k8s_pool_replicas(planned, true),
		   "create", d);
	*out = state_from_plan(c, capi, planned);
	k8s_op_release(&op, c, ns);
	goto done;
partial:
	report(d, summary, &err, rc);
	/* The templates made so far are in the state (tainted); the next
	 * apply replaces the pool and removes them. */
	if (k8s_op_made_any(&op)) {
		*out = state_from_plan(NULL, capi, planned);
		k8s_op_release(&op, c, ns);
	}
done:
	k8s_op_done(&op);
	json_decref(md);
	free(infra);
	free(boot);
}

/* ---- read ------------------------------------------------------------------ */

/* Does either template named in `state` exist? */
static bool templates_left(k8s_client *c, const k8s_capi *capi,
			   const tf_value *state)
{
	const char *ns = tf_value_attr_string(state, "namespace");
	const char *in = tf_value_attr_string(state, "infrastructure_template");
	const char *bn = tf_value_attr_string(state, "bootstrap_template");
	tfp_error err = { 0 };
	json_t *o = NULL;
	bool left = false;

	if (in && *in &&
	    k8s_get(c, &capi->lxc_machine_template, ns, in, &o, &err) == TFP_OK)
		left = true;
	json_decref(o);
	o = NULL;
	if (!left && bn && *bn &&
	    k8s_get(c, &capi->kubeadm_config_template, ns, bn, &o, &err) ==
		    TFP_OK)
		left = true;
	json_decref(o);
	return left;
}

static void pool_read(tfp_ctx *ctx, const tf_value *state, tf_value **out,
		      tf_diags *d)
{
	const k8s_capi *capi = NULL;
	k8s_client *c = k8s_res_client(ctx, &capi, d);
	const char *ns = tf_value_attr_string(state, "namespace");
	const char *name = tf_value_attr_string(state, "name");
	json_t *md = NULL, *boot = NULL, *infra = NULL;
	tfp_error err = { 0 };
	char summary[200];
	tf_value *st;
	int rc;

	if (!c || !ns || !name)
		return;
	snprintf(summary, sizeof(summary), "Cannot read machine pool %s/%s", ns,
		 name);
	rc = k8s_get(c, &capi->machine_deployment, ns, name, &md, &err);
	if (rc == TFP_E_NOTFOUND) {
		/* Templates of a create that failed half-way stay in state,
		 * marked Incomplete, so the plan replaces the pool. */
		if (templates_left(c, capi, state)) {
			st = tf_value_mut(tf_value_ref((tf_value *)state));
			tf_value_object_set(st, "phase",
					    tf_value_string(
						    K8S_PHASE_INCOMPLETE));
			*out = st;
			return;
		}
		tfp_info("MachineDeployment %s/%s no longer exists", ns, name);
		return;
	}
	if (rc == TFP_OK) {
		const char *bn =
			k8s_jstr(md,
				 "spec.template.spec.bootstrap.configRef.name");
		const char *in =
			k8s_jstr(md,
				 "spec.template.spec.infrastructureRef.name");
		rc = k8s_get(c, &capi->kubeadm_config_template, ns,
			     bn ? bn : "", &boot, &err);
		if (rc == TFP_E_NOTFOUND || !bn)
			rc = TFP_OK;
		if (rc == TFP_OK) {
			rc = k8s_get(c, &capi->lxc_machine_template, ns,
				     in ? in : "", &infra, &err);
			if (rc == TFP_E_NOTFOUND || !in)
				rc = TFP_OK;
		}
	}
	if (rc) {
		k8s_diag(d, NULL, summary, &err);
		goto done;
	}
	st = tf_value_mut(tf_value_ref((tf_value *)state));
	k8s_pool_read_into(st, md, boot, infra,
			   tf_value_attr_string(state, "kubernetes_version"));
	*out = st;
done:
	json_decref(md);
	json_decref(boot);
	json_decref(infra);
}

static void pool_import(tfp_ctx *ctx, const char *id, tf_value **out,
			tf_diags *d)
{
	k8s_res_import(ctx, id, "k8s_machine_pool.workers", out, d);
}

/* ---- update ----------------------------------------------------------------- */

/* The merge patch taking the MachineDeployment to `plan`. */
static json_t *md_patch(const tf_value *prior, const tf_value *plan,
			const char *infra, const char *boot)
{
	json_t *want = k8s_machine_deployment(plan, infra, boot, -1);
	json_t *spec = json_object_get(want, "spec");
	json_t *patch = json_object(), *pspec = json_object();
	json_t *ann = json_object();
	int64_t r;

	if (!want || !patch || !pspec || !ann) {
		json_decref(want);
		json_decref(patch);
		json_decref(pspec);
		json_decref(ann);
		return NULL;
	}
	json_object_set(pspec, "template", json_object_get(spec, "template"));
	json_object_set(pspec, "rollout", json_object_get(spec, "rollout"));
	/* OnDelete: drop the rollingUpdate settings of a former RollingUpdate. */
	if (!json_object_get(k8s_jget(spec, "rollout.strategy"),
			     "rollingUpdate"))
		json_object_set_new(json_object_get(json_object_get(pspec,
								    "rollout"),
						    "strategy"),
				    "rollingUpdate", json_null());
	if (!autoscaled(plan) &&
	    tf_value_get_int(tf_value_attr(plan, "replicas"), &r) == 0)
		json_object_set_new(pspec, "replicas", json_integer(r));
	if (autoscaled(plan)) {
		json_object_update(ann, k8s_jget(want, "metadata.annotations"));
	} else if (autoscaled(prior)) {
		json_object_set_new(ann, K8S_ANN_AS_MIN, json_null());
		json_object_set_new(ann, K8S_ANN_AS_MAX, json_null());
	}
	json_object_set_new(patch, "spec", pspec);
	if (json_object_size(ann))
		json_object_set_new(patch, "metadata",
				    json_pack("{s:o}", "annotations", ann));
	else
		json_decref(ann);
	json_decref(want);
	return patch;
}

/* Rolled out: the old templates are unused now, and so are those of an
 * earlier rotation that never finished. Not with OnDelete: machines of the
 * old MachineSet remain until someone deletes them, so their templates
 * stay (Cluster API's ownerReference removes them with the cluster). */
static void retire_templates(k8s_client *c, const k8s_capi *capi,
			     const tf_value *plan, const char *old_infra,
			     const char *old_boot, const char *infra,
			     const char *boot)
{
	const char *ns = tf_value_attr_string(plan, "namespace");
	tfp_error err = { 0 };

	if (on_delete(plan))
		return;
	if (*old_infra && strcmp(old_infra, infra) != 0)
		k8s_res_delete(c, &capi->lxc_machine_template, ns, old_infra,
			       &err);
	if (*old_boot && strcmp(old_boot, boot) != 0)
		k8s_res_delete(c, &capi->kubeadm_config_template, ns, old_boot,
			       &err);
	stale_templates(c, capi, ns, tf_value_attr_string(plan, "cluster_name"),
			tf_value_attr_string(plan, "name"), infra, boot, false);
}

/* strdup of s, "" for NULL. */
static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static void pool_update(tfp_ctx *ctx, const tf_value *prior,
			const tf_value *planned, const tf_value *config,
			tf_value **out, tf_diags *d)
{
	const k8s_capi *capi = NULL;
	k8s_client *c = k8s_res_client(ctx, &capi, d);
	const char *ns = tf_value_attr_string(planned, "namespace");
	const char *name = tf_value_attr_string(planned, "name");
	_cleanup_(freep) char *infra = NULL, *boot = NULL;
	_cleanup_(freep) char *old_infra = NULL, *old_boot = NULL;
	_cleanup_(json_decrefp) json_t *md = NULL, *patch = NULL;
	char summary[200];
	tfp_error err = { 0 };
	bool repair;
	k8s_op op;
	int rc;

	(void)config;
	if (!c)
		return;
	k8s_op_begin(&op);
	k8s_res_budget(planned, "update");
	if (!check_version(c, capi, planned, d)) {
		tfp_reread(pool_read, ctx, prior, out);
		goto done;
	}
	snprintf(summary, sizeof(summary),
		 "Cannot read MachineDeployment %s/%s", ns, name);
	if ((rc = k8s_get(c, &capi->machine_deployment, ns, name, &md, &err)))
		goto fail;
	old_infra = dup_or_empty(
		k8s_jstr(md, "spec.template.spec.infrastructureRef.name"));
	old_boot = dup_or_empty(
		k8s_jstr(md, "spec.template.spec.bootstrap.configRef.name"));
	rc = TFP_E_NOMEM;
	if (!old_infra || !old_boot ||
	    !planned_templates(planned, &infra, &boot))
		goto fail;
	/* A rotation (new names), or the same templates with settings put
	 * back (edited by hand): create or repair them. The same templates
	 * and settings: only re-create one that went missing, never rewrite
	 * one in use (an imported pool's may hold more than ours). */
	repair = strcmp(infra, old_infra) != 0 || strcmp(boot, old_boot) != 0 ||
		 !same_template_inputs(prior, planned);
	if ((rc = ensure_templates(&op, c, capi, planned, infra, boot, repair,
				   summary, sizeof(summary), &err)))
		goto fail;
	patch = md_patch(prior, planned, infra, boot);
	snprintf(summary, sizeof(summary),
		 "Cannot update MachineDeployment %s/%s", ns, name);
	if (!patch || (rc = k8s_merge_patch(c, &capi->machine_deployment, ns,
					    name, patch, 0, NULL, &err)))
		goto fail;
	if (wait_ready(ctx, c, capi, planned,
		       autoscaled(planned) ? -1 :
					     k8s_pool_replicas(planned, false),
		       "update", d)) {
		retire_templates(c, capi, planned, old_infra, old_boot, infra,
				 boot);
		*out = state_from_plan(c, capi, planned);
	} else {
		tfp_reread(pool_read, ctx, prior, out);
	}
	goto done;
fail:
	report(d, summary, &err, rc);
	tfp_reread(pool_read, ctx, prior, out);
done:
	k8s_op_release(&op, c, ns);
	k8s_op_done(&op);
}

/* ---- delete ------------------------------------------------------------------ */

struct gone_arg {
	k8s_client *c;
	const k8s_capi *capi;
	const char *ns, *name;
	long left; /* Machines still there */
};

static int check_gone(void *argv, tfp_error *err)
{
	struct gone_arg *a = argv;
	json_t *obj = NULL, *items = NULL;
	char sel[300];
	int rc = k8s_get(a->c, &a->capi->machine_deployment, a->ns, a->name,
			 &obj, err);

	json_decref(obj);
	if (rc == TFP_OK)
		return 0;
	if (rc != TFP_E_NOTFOUND)
		return rc;
	snprintf(sel, sizeof(sel), K8S_LABEL_DEPLOYMENT "=%s", a->name);
	rc = k8s_list(a->c, &a->capi->machine, a->ns, sel, &items, err);
	if (rc)
		return rc;
	a->left = (long)json_array_size(items);
	json_decref(items);
	return a->left == 0 ? 1 : 0;
}

/* After the MachineDeployment and its Machines are gone: its templates
 * (those in state and those it last used, live_*: may be NULL), and the
 * templates of rotations that never finished, since nothing uses them
 * any more. Failures are added to d. */
static void delete_templates(k8s_client *c, const k8s_capi *capi,
			     const tf_value *prior, const char *live_infra,
			     const char *live_boot, tf_diags *d)
{
	const char *ns = tf_value_attr_string(prior, "namespace");
	const char *tpl_names[4] = {
		tf_value_attr_string(prior, "infrastructure_template"),
		tf_value_attr_string(prior, "bootstrap_template"),
		live_infra,
		live_boot,
	};
	tfp_error err = { 0 };
	char summary[200];

	stale_templates(c, capi, ns,
			tf_value_attr_string(prior, "cluster_name"),
			tf_value_attr_string(prior, "name"), NULL, NULL, false);
	for (int i = 0; i < 4; i++) {
		const k8s_gvr *r = (i % 2 == 0) ?
					   &capi->lxc_machine_template :
					   &capi->kubeadm_config_template;
		if (tpl_names[i] && *tpl_names[i] &&
		    k8s_res_delete(c, r, ns, tpl_names[i], &err)) {
			snprintf(summary, sizeof(summary),
				 "Cannot delete %s %s/%s", r->kind, ns,
				 tpl_names[i]);
			k8s_diag(d, NULL, summary, &err);
		}
	}
}

static void pool_delete(tfp_ctx *ctx, const tf_value *prior, tf_diags *d)
{
	const k8s_capi *capi = NULL;
	k8s_client *c = k8s_res_client(ctx, &capi, d);
	const char *ns = tf_value_attr_string(prior, "namespace");
	const char *name = tf_value_attr_string(prior, "name");
	struct gone_arg ga = {
		.c = c, .capi = capi, .ns = ns, .name = name, .left = -1
	};
	long timeout = k8s_res_timeout(prior, "delete");
	json_t *md = NULL;
	tfp_error err = { 0 };
	char summary[200];
	char *live_infra = NULL, *live_boot = NULL;
	int rc;

	if (!c || !ns || !name)
		return;
	k8s_res_budget(prior, "delete");
	snprintf(summary, sizeof(summary),
		 "Cannot delete MachineDeployment %s/%s", ns, name);
	if (k8s_get(c, &capi->machine_deployment, ns, name, &md, &err) ==
	    TFP_OK) {
		const char *in =
			k8s_jstr(md,
				 "spec.template.spec.infrastructureRef.name");
		const char *bn =
			k8s_jstr(md,
				 "spec.template.spec.bootstrap.configRef.name");
		live_infra = in ? strdup(in) : NULL;
		live_boot = bn ? strdup(bn) : NULL;
	}
	json_decref(md);
	rc = k8s_delete(c, &capi->machine_deployment, ns, name, "Background",
			&err);
	if (rc && rc != TFP_E_NOTFOUND) {
		k8s_diag(d, NULL, summary, &err);
		goto done;
	}
	rc = k8s_res_poll(ctx, timeout, check_gone, &ga, &err);
	if (rc == TFP_E_TIMEOUT) {
		tf_diags_error(
			d, NULL, "Machine pool deletion did not finish",
			"MachineDeployment %s/%s %s after timeouts.delete "
			"(%lds). Cluster API is still draining and deleting "
			"them; the provider never removes finalizers. Check "
			"the Machines (label %s=%s) and run destroy again.",
			ns, name,
			ga.left < 0 ? "still exists" :
				      "is gone but its Machines remain",
			timeout, K8S_LABEL_DEPLOYMENT, name);
		goto done;
	}
	if (rc) {
		k8s_diag(d, NULL, summary, &err);
		goto done;
	}
	delete_templates(c, capi, prior, live_infra, live_boot, d);
done:
	free(live_infra);
	free(live_boot);
}

/* ---- list ------------------------------------------------------------------- */

static void pool_list(tfp_ctx *ctx, const tf_value *config, tfp_lister *l,
		      tf_diags *d)
{
	const k8s_capi *capi = NULL;
	k8s_client *c = k8s_res_client(ctx, &capi, d);

	if (c)
		k8s_res_list(ctx, config, l, &capi->machine_deployment,
			     pool_import, pool_read, d);
}

/* Version 0 had `taint` blocks (a list, [] when none); version 1 has the
 * `taints` nested attribute (null when unset). Same objects, renamed; an
 * empty list becomes null, as a configuration without `taints` plans. */
static int pool_upgrade(int64_t from_version, json_t *state, tf_diags *d)
{
	json_t *t;

	(void)from_version; /* 0: the only older version */
	(void)d;
	t = json_incref(json_object_get(state, "taint"));
	json_object_del(state, "taint");
	if (json_is_array(t) && json_array_size(t) > 0)
		json_object_set(state, "taints", t);
	else
		json_object_set_new(state, "taints", json_null());
	json_decref(t);
	return 0;
}

const tfp_resource k8s_machine_pool_resource = {
	.type_name = "k8s_machine_pool",
	.version = 1,
	.schema = &k8s_pool_schema_def,
	.modify_plan = pool_modify_plan,
	.create = pool_create,
	.read = pool_read,
	.update = pool_update,
	.remove = pool_delete,
	.import = pool_import,
	.list_schema = &k8s_res_list_schema,
	.list = pool_list,
	.upgrade = pool_upgrade,
	.identity_schema = &k8s_identity_def,
	.identity = k8s_identity,
};
