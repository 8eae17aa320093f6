/* k8s_cluster: a Cluster API cluster on LXD (CAPN).
 *
 * Objects (all in `namespace`, see k8s_objects.h for their shape):
 *   Secret <name>-lxd-identity (unless identity_secret names one),
 *   LXCMachineTemplate <name>-control-plane-<hash of its spec>,
 *   LXCCluster <name>, KubeadmControlPlane <name>, Cluster <name>.
 * An imported cluster may name them otherwise (clusterctl: <name>-control-
 * plane): the KubeadmControlPlane and LXCCluster are always found through
 * the Cluster's references.
 *
 * Lifecycle:
 *  - create POSTs them in dependency order through k8s_op (ownership
 *    marker: our own orphans of an interrupted create are resumed, foreign
 *    objects refused and what this create made undone), then waits
 *    (timeouts.create) until the Cluster and control plane are ready by
 *    conditions; a failure after something was made returns the partial
 *    state with the error so Terraform keeps (and taints) what exists.
 *    The admin kubeconfig is never state (k8s_cluster_kubeconfig reads it;
 *    schema version 1, the upgrade hook drops it from version-0 states).
 *    Neither is lxd_client_key (write-only, schema version 2): create and
 *    update take it from the configuration; the state holds its digest,
 *    lxd_client_key_sha256, read back from the Secret, so a changed key
 *    plans an update that rewrites the Secret.
 *  - update rewrites the identity Secret, rotates the machine template when
 *    the machine settings change (new name, repoint, wait for the rollout,
 *    delete the old one and any left by an unfinished rotation; otherwise
 *    the template in use is kept) and patches replicas/version of the
 *    KubeadmControlPlane in one patch, then waits (timeouts.update).
 *  - plan: unset optional attributes keep the server's value after
 *    creation (k8s_res_unset_keeps_live); templates left by an unfinished
 *    rotation make the plan an update.
 *  - delete removes only the Cluster and waits for it to disappear (Cluster
 *    API deletes the rest in order); then removes leftovers of a partial
 *    create and finally our identity Secret. Finalizers are never touched.
 *  - read reports the managed fields of the live objects only (see
 *    k8s_cluster_read_into), so controller-set fields never show as drift. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/plan.h"
#include "../log.h"
#include "../util/cleanup.h"
#include "../util/digest.h"
#include "k8s_identity.h"
#include "k8s_objects.h"
#include "k8s_op.h"
#include "k8s_res.h"

/* ---- live objects ------------------------------------------------------- */

struct live {
	json_t *cluster, *kcp, *lxc, *tpl, *secret, *kubeconfig;
};
/* (kubeconfig is only read by the readiness check: its content never goes
 * into the state.) */

static void live_done(struct live *l)
{
	json_decref(l->cluster);
	json_decref(l->kcp);
	json_decref(l->lxc);
	json_decref(l->tpl);
	json_decref(l->secret);
	json_decref(l->kubeconfig);
	memset(l, 0, sizeof(*l));
}

/* The name of the object a Cluster references (`path` is its ref field):
 * our clusters name the KubeadmControlPlane and LXCCluster like the
 * Cluster, but ones made with clusterctl (then imported) call them
 * <name>-control-plane and so on, so follow the reference when there is
 * one. Borrowed from `cluster`, or `name`. */
static const char *ref_name(const json_t *cluster, const char *path,
			    const char *name)
{
	const char *r = k8s_jstr(cluster, path);

	return r && *r ? r : name;
}

#define KCP_OF(cl, name) ref_name((cl), "spec.controlPlaneRef.name", (name))
#define LXC_OF(cl, name) ref_name((cl), "spec.infrastructureRef.name", (name))

/* Everything read needs. `secret` names our identity Secret (NULL: none). */
static int fetch(k8s_client *c, const k8s_capi *capi, const char *ns,
		 const char *name, const char *secret, struct live *l,
		 tfp_error *err)
{
	int rc;

	if ((rc = k8s_res_get_opt(c, &capi->cluster, ns, name, &l->cluster,
				  err)) ||
	    (rc = k8s_res_get_opt(c, &capi->kubeadm_control_plane, ns,
				  KCP_OF(l->cluster, name), &l->kcp, err)) ||
	    (rc = k8s_res_get_opt(c, &capi->lxc_cluster, ns,
				  LXC_OF(l->cluster, name), &l->lxc, err)) ||
	    (rc = k8s_res_get_opt(
		     c, &capi->lxc_machine_template, ns,
		     k8s_jstr(l->kcp,
			      "spec.machineTemplate.spec.infrastructureRef.name"),
		     &l->tpl, err)) ||
	    (rc = k8s_res_get_opt(c, &k8s_gvr_secret, ns, secret, &l->secret,
				  err)))
		return rc;
	return TFP_OK;
}

/* Our identity Secret's name, or NULL when the user supplied one. */
static char *own_secret(const tf_value *v)
{
	const char *name = tf_value_attr_string(v, "name");

	if (tf_value_attr_string(v, "identity_secret") || !name)
		return NULL;
	return k8s_identity_secret_name(name);
}

/* Set computed attributes from live objects. only_unknown: leave values
 * the plan already fixed (apply must return what was planned). */
static void fill_computed(tf_value *st, const struct live *l, bool only_unknown)
{
	const char *host = k8s_jstr(l->cluster,
				    "spec.controlPlaneEndpoint.host");
	long port = k8s_jint(l->cluster, "spec.controlPlaneEndpoint.port",
			     6443);
	const char *phase = k8s_jstr(l->cluster, "status.phase");
	char *ep = NULL;
	const char *sec = tf_value_attr_string(st, "identity_secret");
	char *own = own_secret(st);

#define WANT(attr)                                                             \
	(!only_unknown || tf_value_is_unknown(tf_value_attr(st, attr)))
	if (host && *host && asprintf(&ep, "https://%s:%ld", host, port) < 0)
		ep = NULL;
	if (WANT("endpoint"))
		tf_value_object_set(st, "endpoint",
				    tf_value_string(ep ? ep : ""));
	if (WANT("phase"))
		tf_value_object_set(st, "phase",
				    tf_value_string(phase ? phase : ""));
	if (WANT("conditions"))
		tf_value_object_set(st, "conditions",
				    k8s_conditions_value(l->cluster));
	if (WANT("identity_secret_name"))
		tf_value_object_set(st, "identity_secret_name",
				    tf_value_string(sec ? sec :
						    own ? own :
							  ""));
	if (WANT("namespace") && !tf_value_attr_string(st, "namespace"))
		tf_value_object_set(st, "namespace",
				    tf_value_string("default"));
#undef WANT
	free(ep);
	free(own);
}

/* ---- plan --------------------------------------------------------------- */

/* ---- templates ----------------------------------------------------------- */

static char *cp_template_base(const char *name)
{
	char *b = NULL;

	if (asprintf(&b, "%s-control-plane", name) < 0)
		return NULL;
	return b;
}

/* The control-plane LXCMachineTemplate for `plan`; *tname gets its name. */
static json_t *cp_template(const tf_value *plan, char **tname)
{
	const char *name = tf_value_attr_string(plan, "name");
	json_t *spec = k8s_machine_spec(plan), *tpl = NULL;
	char *base = cp_template_base(name);

	*tname = base && spec ? k8s_template_name(base, spec) : NULL;
	if (*tname)
		tpl = k8s_lxc_machine_template(tf_value_attr_string(plan,
								    "namespace"),
					       *tname, name, spec);
	json_decref(spec);
	free(base);
	return tpl;
}

/* Delete the control-plane templates of `name` other than `keep` that a
 * rotation left behind (see k8s_res_stale_templates). */
static void delete_stale_templates(k8s_client *c, const k8s_capi *capi,
				   const char *ns, const char *name,
				   const char *keep)
{
	_cleanup_(freep) char *base = cp_template_base(name);

	k8s_res_delete_stale(c, &capi->lxc_machine_template, ns, name, base,
			     keep, false);
}

/* Control-plane templates a rotation left behind (it was interrupted after
 * the control plane was repointed): the plan then shows an update, which
 * waits for the rollout and removes them. */
static bool stale_templates(tfp_ctx *ctx, const tf_value *p)
{
	const k8s_capi *capi = NULL;
	const char *ns = tf_value_attr_string(p, "namespace");
	const char *name = tf_value_attr_string(p, "name");
	char *base, **stale, *keep = NULL, *tname = NULL;
	json_t *kcp = NULL, *tpl;
	tfp_error err = { 0 };
	bool any;

	if (!ctx->client || !ns || !name ||
	    k8s_capi_discover(ctx->client, &capi, &err) != TFP_OK)
		return false;
	if (k8s_get(ctx->client, &capi->kubeadm_control_plane, ns, name, &kcp,
		    &err) == TFP_OK &&
	    k8s_jstr(kcp, "spec.machineTemplate.spec.infrastructureRef.name"))
		keep = strdup(k8s_jstr(
			kcp,
			"spec.machineTemplate.spec.infrastructureRef.name"));
	json_decref(kcp);
	/* The planned template counts as current too. */
	tpl = tf_value_is_wholly_known(p) ? cp_template(p, &tname) : NULL;
	json_decref(tpl);
	base = cp_template_base(name);
	stale = k8s_res_stale_templates(ctx->client,
					&capi->lxc_machine_template, ns, name,
					base, keep);
	any = false;
	for (size_t i = 0; stale && stale[i]; i++)
		if (!tname || strcmp(stale[i], tname) != 0)
			any = true;
	if (any)
		tfp_info("cluster %s/%s: unused control-plane templates of an "
			 "unfinished rotation remain; planning an update",
			 ns, name);
	k8s_res_free_names(stale);
	free(base);
	free(keep);
	free(tname);
	return any;
}

/* Load balancer, control-plane address and replicas: errors on
 * combinations that cannot work. */
static void check_placement(const tf_value *p, tf_diags *d)
{
	const char *lb = tf_value_attr_string(p, "load_balancer");
	const tf_value *net = tf_value_attr(p, "load_balancer_network");
	const tf_value *host = tf_value_attr(p, "control_plane_host");
	int64_t reps;

	if (lb && strcmp(lb, "ovn") == 0 && tf_value_is_null(net))
		tf_diags_attr_error(
			d, "load_balancer_network",
			"OVN load balancer needs a network",
			"load_balancer = \"ovn\" places the control-plane "
			"load balancer on an OVN network: set "
			"load_balancer_network (e.g. "
			"lxd_ovn_network.k8s.name).");
	if (lb && strcmp(lb, "ovn") != 0 && tf_value_is_known(net))
		tf_diags_attr_error(
			d, "load_balancer_network",
			"load_balancer_network needs the ovn load balancer",
			"load_balancer_network is only used with "
			"load_balancer = \"ovn\" (here \"%s\").",
			lb);
	if (lb && strcmp(lb, "lxc") == 0 && tf_value_is_known(host))
		tf_diags_attr_error(
			d, "control_plane_host",
			"control_plane_host needs the ovn or external load balancer",
			"With load_balancer = \"lxc\" the haproxy instance "
			"gets its address from LXD and Cluster API records "
			"it; remove control_plane_host or choose \"ovn\" "
			"or \"external\".");
	if (lb && strcmp(lb, "external") == 0 && tf_value_is_null(host))
		tf_diags_attr_error(
			d, "control_plane_host",
			"External load balancer needs an address",
			"load_balancer = \"external\" (e.g. kube-vip) "
			"needs the fixed control-plane address in "
			"control_plane_host.");
	if (tf_value_get_int(tf_value_attr(p, "control_plane_replicas"),
			     &reps) == 0 &&
	    reps % 2 == 0)
		tf_diags_attr_error(
			d, "control_plane_replicas",
			"Control plane replicas must be odd",
			"%lld control-plane machines cannot keep an etcd "
			"quorum (stacked etcd): use 1, 3 or 5.",
			(long long)reps);
}

/* lxd_client_key_sha256: the digest of the configuration's key (unknown
 * while the key is), so a key changed in the configuration, or in the
 * Secret (refresh reads its digest), plans an update that rewrites it. */
static void plan_key_digest(tf_value *p, const tf_value *config)
{
	const tf_value *key = tf_value_attr(config, "lxd_client_key");

	if (tf_value_is_unknown(key))
		tf_plan_set(p, "lxd_client_key_sha256",
			    tf_value_unknown(tf_type_string()));
	else
		tf_plan_set(p, "lxd_client_key_sha256",
			    k8s_client_key_digest(tf_value_get_string(key)));
}

/* The LXD identity: either an existing Secret (identity_secret) or the
 * lxd_* credentials, never both; identity_secret_name planned when it can
 * be known. */
static void plan_identity(tf_value *p, const tf_value *config, tf_diags *d)
{
	static const char *const creds[] = {
		"lxd_server_url",
		"lxd_server_certificate",
		"lxd_client_certificate",
		"lxd_client_key",
	};
	const tf_value *is = tf_value_attr(p, "identity_secret");
	_cleanup_(freep) char *own = NULL;

	for (size_t i = 0; tf_value_is_known(is) && i < TF_COUNT(creds); i++)
		if (!tf_value_is_null(tf_value_attr(config, creds[i])))
			tf_diags_attr_error(
				d, creds[i], "Conflicting LXD identity",
				"identity_secret names an existing "
				"Secret, so %s would not be used: set "
				"either identity_secret or the lxd_* "
				"credentials.",
				creds[i]);
	/* The server certificate is optional; the other three are needed
	 * (read from the configuration: the key is write-only, so null in
	 * the plan). */
	for (size_t i = 0; tf_value_is_null(is) && i < TF_COUNT(creds); i++)
		if (i != 1 && tf_value_is_null(tf_value_attr(config, creds[i])))
			tf_diags_attr_error(d, creds[i],
					    "LXD identity incomplete",
					    "CAPN needs the LXD server URL, a "
					    "client certificate and its key: set "
					    "%s, or name an existing identity "
					    "Secret in identity_secret.",
					    creds[i]);
	plan_key_digest(p, config);
	if (!tf_value_is_unknown(tf_value_attr(p, "identity_secret_name")))
		return;
	own = own_secret(p);
	if (tf_value_is_known(is))
		tf_plan_set(p, "identity_secret_name",
			    tf_value_ref((tf_value *)is));
	else if (own && tf_value_is_known(tf_value_attr(p, "name")) &&
		 tf_value_is_null(is))
		tf_plan_set(p, "identity_secret_name", tf_value_string(own));
}

/* An update: the version step rule, what forces a new cluster, and the
 * computed attributes the change moves. */
static void plan_update(tfp_ctx *ctx, const tf_value *prior, tf_value *p,
			tf_paths *replace, tf_diags *d)
{
	static const char *const moving[] = { "endpoint", "phase", "conditions",
					      NULL };
	const char *from = tf_value_attr_string(prior, "kubernetes_version");
	const char *to = tf_value_attr_string(p, "kubernetes_version");
	const char *endpoint = tf_value_attr_string(prior, "endpoint");
	_cleanup_(freep) char *why = NULL;
	int64_t reps;

	if (from && to && !k8s_version_step_ok(from, to, &why))
		tf_diags_attr_error(d, "kubernetes_version",
				    "Unsupported Kubernetes version change",
				    "Cluster \"%s\": %s, and apply each "
				    "step separately (Cluster API rejects "
				    "bigger jumps).",
				    tf_value_attr_string(p, "name"), why);
	/* The KubeadmControlPlane is gone: only a new cluster helps. */
	if (tf_value_get_int(tf_value_attr(prior, "control_plane_replicas"),
			     &reps) == 0 &&
	    reps == 0)
		tf_paths_add_attr(replace, "control_plane_replicas");
	/* The Cluster object is missing (see cluster_read). */
	if (k8s_phase_incomplete(prior))
		tf_paths_add_attr(replace, "phase");
	if (replace->n) {
		tf_plan_mark_unknown_all(ctx->schema, p, moving);
	} else if (tf_plan_has_changes(prior, p) || stale_templates(ctx, p)) {
		/* The endpoint stays once known. */
		tf_plan_mark_unknown_all(ctx->schema, p,
					 endpoint && *endpoint ? moving + 1 :
								 moving);
	}
}

static void cluster_modify_plan(tfp_ctx *ctx, const tf_value *prior,
				const tf_value *config, tf_value **planned,
				tf_paths *replace, tf_diags *d)
{
	k8s_res_plan_begin(ctx, prior, config, *planned, replace);
	check_placement(*planned, d);
	plan_identity(*planned, config, d);
	if (!tf_value_is_null(prior))
		plan_update(ctx, prior, *planned, replace, d);
}

/* ---- waiting -------------------------------------------------------------- */

struct ready_arg {
	k8s_client *c;
	const k8s_capi *capi;
	const char *ns, *name, *version;
	long replicas;
	char *why; /* last reason it was not ready */
};

static int check_ready(void *argv, tfp_error *err)
{
	struct ready_arg *a = argv;
	struct live l = { 0 };
	char kc[300];
	int rc;
	bool ok;

	free(a->why);
	a->why = NULL;
	if ((rc = k8s_res_get_opt(a->c, &a->capi->cluster, a->ns, a->name,
				  &l.cluster, err)) ||
	    (rc = k8s_res_get_opt(a->c, &a->capi->kubeadm_control_plane, a->ns,
				  KCP_OF(l.cluster, a->name), &l.kcp, err))) {
		live_done(&l); /* the Cluster may have been read */
		return rc;
	}
	ok = k8s_cluster_ready(l.cluster, l.kcp, a->version, a->replicas,
			       &a->why);
	if (ok) {
		snprintf(kc, sizeof(kc), "%s-kubeconfig", a->name);
		rc = k8s_res_get_opt(a->c, &k8s_gvr_secret, a->ns, kc,
				     &l.kubeconfig, err);
		if (rc == TFP_OK && !l.kubeconfig) {
			ok = false;
			if (asprintf(&a->why,
				     "the Secret %s does not exist yet",
				     kc) < 0)
				a->why = NULL;
		}
	}
	live_done(&l);
	if (rc)
		return rc;
	return ok ? 1 : 0;
}

/* The words of wait_ready's errors. */
static const k8s_wait_words ready_words = {
	.title = "Cluster",
	.noun = "cluster",
	.kind = "Cluster",
	.stopped = "cluster",
	.fix = " (often the LXD side: images, KVM, quotas)",
	.resume = "if Terraform marks it tainted, the next apply "
		  "replaces it.",
};

/* Wait for readiness; on failure add an error that lists the False
 * conditions of every object of the cluster. Returns true when ready. */
static bool wait_ready(tfp_ctx *ctx, k8s_client *c, const k8s_capi *capi,
		       const tf_value *plan, const char *which, tf_diags *d)
{
	struct ready_arg a = {
		.c = c,
		.capi = capi,
		.ns = tf_value_attr_string(plan, "namespace"),
		.name = tf_value_attr_string(plan, "name"),
		.version = tf_value_attr_string(plan, "kubernetes_version"),
	};
	long timeout = k8s_res_timeout(plan, which);
	tfp_error err = { 0 };
	int64_t reps = 1;
	_cleanup_(freep) char *buf = NULL;
	int rc;

	tf_value_get_int(tf_value_attr(plan, "control_plane_replicas"), &reps);
	a.replicas = (long)reps;
	rc = k8s_res_poll(ctx, timeout, check_ready, &a, &err);
	if (rc == TFP_E_TIMEOUT) {
		struct live l = { 0 };
		char sel[300];
		tfp_error e2 = { 0 };

		fetch(c, capi, a.ns, a.name, NULL, &l, &e2);
		snprintf(sel, sizeof(sel), K8S_LABEL_CLUSTER "=%s", a.name);
		k8s_res_explain(c, l.cluster, NULL, a.ns, NULL, &buf);
		k8s_res_explain(c, l.kcp, NULL, a.ns, NULL, &buf);
		k8s_res_explain(c, l.lxc, &capi->machine, a.ns, sel, &buf);
		k8s_res_explain(c, NULL, &capi->lxc_machine, a.ns, sel, &buf);
		live_done(&l);
	}
	k8s_res_wait_failed(d, &ready_words, rc, &err, a.ns, a.name, which,
			    timeout, a.why, buf);
	free(a.why);
	return rc == TFP_OK;
}

/* ---- create --------------------------------------------------------------- */

/* Planned value with every unknown computed attribute resolved from live
 * objects (for success and partial states). */
static tf_value *state_from_plan(k8s_client *c, const k8s_capi *capi,
				 const tf_value *planned)
{
	tf_value *st = tf_value_mut(tf_value_ref((tf_value *)planned));
	struct live l = { 0 };
	tfp_error err = { 0 };

	if (!st)
		return NULL;
	if (c)
		fetch(c, capi, tf_value_attr_string(planned, "namespace"),
		      tf_value_attr_string(planned, "name"), NULL, &l, &err);
	fill_computed(st, &l, true);
	live_done(&l);
	tf_value_object_set(st, "lxd_client_key",
			    tf_value_null(tf_type_string()));
	return st;
}

/* `planned` as an apply uses it: with the configuration's write-only
 * client key (for the identity Secret; state_from_plan drops it again)
 * and its digest, known now. A new value, NULL when memory ran out. */
static tf_value *with_client_key(const tf_value *planned,
				 const tf_value *config)
{
	const char *key = tf_value_attr_string(config, "lxd_client_key");
	tf_value *v = tf_value_mut(tf_value_ref((tf_value *)planned));

	if (!v)
		return NULL;
	tf_value_object_set(v, "lxd_client_key",
			    key ? tf_value_string(key) :
				  tf_value_null(tf_type_string()));
	tf_value_object_set(v, "lxd_client_key_sha256",
			    k8s_client_key_digest(key));
	return v;
}

/* One create or update: what its steps share. `summary` names the step
 * that failed (the diagnostic's summary); err holds the failure when it
 * came from the server. */
struct run {
	k8s_client *c;
	const k8s_capi *capi;
	const char *ns, *name;
	k8s_op op;
	char summary[200];
	tfp_error err;
};

/* POST `obj` (taken; NULL: out of memory) under the ownership marker. */
static int create_step(struct run *r, const k8s_gvr *gvr, json_t *obj,
		       const char *name)
{
	_cleanup_(json_decrefp) json_t *o = obj;

	snprintf(r->summary, sizeof(r->summary), "Cannot create %s %s/%s",
		 gvr->kind, r->ns, name);
	return o ? k8s_op_create(&r->op, r->c, gvr, r->ns, o, NULL, &r->err) :
		   TFP_E_NOMEM;
}

/* The objects in dependency order: our identity Secret (`secret`, NULL
 * when the user names one), the control-plane template, the LXCCluster,
 * the KubeadmControlPlane, the Cluster. */
static int create_objects(struct run *r, const tf_value *planned,
			  const char *secret)
{
	_cleanup_(freep) char *tname = NULL;
	_cleanup_(json_decrefp) json_t *tpl = cp_template(planned, &tname);
	int rc;

	if (secret &&
	    (rc = create_step(r, &k8s_gvr_secret,
			      k8s_identity_secret(planned, secret), secret)))
		return rc;
	snprintf(r->summary, sizeof(r->summary),
		 "Cannot create LXCMachineTemplate %s/%s", r->ns,
		 tname ? tname : "");
	if (!tpl)
		return TFP_E_NOMEM;
	if ((rc = k8s_op_ensure(&r->op, r->c, &r->capi->lxc_machine_template,
				r->ns, tpl, true, &r->err)) ||
	    (rc = create_step(
		     r, &r->capi->lxc_cluster,
		     k8s_lxc_cluster(
			     planned,
			     secret ? secret :
				      tf_value_attr_string(planned,
							   "identity_secret")),
		     r->name)) ||
	    (rc = create_step(r, &r->capi->kubeadm_control_plane,
			      k8s_kubeadm_control_plane(planned, tname),
			      r->name)))
		return rc;
	return create_step(r, &r->capi->cluster, k8s_cluster_object(planned),
			   r->name);
}

/* Diagnose a failed create. Someone else's object holding one of our
 * names (TFP_E_EXISTS): what this create made is taken back. Anything
 * else: what was made stays, and goes into the state. Returns whether
 * there is such partial state. */
static bool create_failed(struct run *r, int rc, const char *secret,
			  tf_diags *d)
{
	const char *ns = r->ns, *name = r->name;

	if (rc == TFP_E_EXISTS && secret && !k8s_op_made_any(&r->op))
		tf_diags_error(d, NULL, "Identity Secret already exists",
			       "%s. If it holds the LXD credentials you "
			       "want, set identity_secret = \"%s\" instead "
			       "of the lxd_* attributes; if it belongs to "
			       "this cluster, import the cluster (`terraform "
			       "import k8s_cluster.<name> %s/%s`); otherwise "
			       "delete it or pick another cluster name.",
			       r->err.message, secret, ns, name);
	else if (rc == TFP_E_EXISTS)
		tf_diags_error(d, NULL, r->summary,
			       "%s. Import it instead (`terraform import "
			       "k8s_cluster.<name> %s/%s`, or an `import` "
			       "block) or pick another name. Nothing was "
			       "changed: what this apply had created for "
			       "the cluster is removed again.",
			       r->err.message, ns, name);
	else if (rc == TFP_E_NOTFOUND && !k8s_op_made_any(&r->op))
		tf_diags_error(
			d, NULL, r->summary,
			"The namespace \"%s\" does not exist on the management "
			"cluster. Create it (kubectl create namespace %s) or "
			"set namespace to an existing one.",
			ns, ns);
	else if (r->err.code)
		k8s_diag(d, NULL, r->summary, &r->err);
	else
		tf_diags_error(d, NULL, r->summary,
			       "Out of memory building the object.");
	if (rc == TFP_E_EXISTS) {
		k8s_op_undo(&r->op, r->c, ns);
		return false;
	}
	return k8s_op_made_any(&r->op);
}

static void cluster_create(tfp_ctx *ctx, const tf_value *plan_in,
			   const tf_value *config, tf_value **out, tf_diags *d)
{
	_cleanup_(tf_value_unrefp)
		tf_value *planned = with_client_key(plan_in, config);
	struct run r = {
		.ns = tf_value_attr_string(planned, "namespace"),
		.name = tf_value_attr_string(planned, "name"),
	};
	_cleanup_(freep) char *secret = NULL;
	int rc;

	r.c = planned ? k8s_res_client(ctx, &r.capi, d) : NULL;
	if (!r.c)
		return;
	k8s_op_begin(&r.op);
	k8s_res_budget(planned, "create");
	secret = own_secret(planned);
	rc = create_objects(&r, planned, secret);
	if (rc == TFP_OK)
		wait_ready(ctx, r.c, r.capi, planned, "create", d);
	/* What was made is in the state (tainted after an error): the next
	 * apply replaces it, so nothing is lost. */
	if (rc == TFP_OK || create_failed(&r, rc, secret, d)) {
		*out = state_from_plan(r.c, r.capi, planned);
		k8s_op_release(&r.op, r.c, r.ns);
	}
	k8s_op_done(&r.op);
}

/* ---- read ------------------------------------------------------------------ */

static void cluster_read(tfp_ctx *ctx, const tf_value *state, tf_value **out,
			 tf_diags *d)
{
	const k8s_capi *capi = NULL;
	k8s_client *c = k8s_res_client(ctx, &capi, d);
	const char *ns = tf_value_attr_string(state, "namespace");
	const char *name = tf_value_attr_string(state, "name");
	char *secret = own_secret(state);
	struct live l = { 0 };
	tfp_error err = { 0 };
	tf_value *st;
	int rc;

	if (!c || !ns || !name)
		goto done;
	rc = fetch(c, capi, ns, name, secret, &l, &err);
	if (rc) {
		char summary[200];
		snprintf(summary, sizeof(summary), "Cannot read cluster %s/%s",
			 ns, name);
		k8s_diag(d, NULL, summary, &err);
		goto done;
	}
	if (!l.cluster && !l.kcp && !l.lxc && !l.secret) {
		tfp_info("Cluster %s/%s no longer exists", ns, name);
		goto done;
	}
	/* No Cluster but some of our objects (a create that failed half-way,
	 * or a Cluster deleted by hand): keep them in state, marked
	 * Incomplete, so the plan replaces the cluster and nothing leaks. */
	st = tf_value_mut(tf_value_ref((tf_value *)state));
	k8s_cluster_read_into(st, l.cluster, l.kcp, l.lxc, l.kcp ? l.tpl : NULL,
			      tf_value_attr_string(state,
						   "kubernetes_version"));
	if (!tf_value_attr_string(st, "identity_secret")) {
		const char *ref = k8s_jstr(l.lxc, "spec.secretRef.name");
		if (ref && secret && strcmp(ref, secret) != 0) {
			/* Imported cluster using someone else's Secret. */
			tf_value_object_set(st, "identity_secret",
					    tf_value_string(ref));
		} else if (l.secret) {
			k8s_identity_read_into(st, l.secret);
		} else {
			/* Our Secret is gone: the plan shows it coming back. */
			tf_value_object_set(st, "lxd_server_url",
					    tf_value_null(tf_type_string()));
		}
	}
	if (tf_value_is_null(tf_value_attr(st, "lxd_project")))
		tf_value_object_set(st, "lxd_project",
				    tf_value_string("default"));
	if (tf_value_is_null(tf_value_attr(st, "control_plane_port")))
		tf_value_object_set(
			st, "control_plane_port",
			tf_value_int(k8s_jint(l.lxc,
					      "spec.controlPlaneEndpoint.port",
					      6443)));
	fill_computed(st, &l, false);
	if (!l.cluster)
		tf_value_object_set(st, "phase",
				    tf_value_string(K8S_PHASE_INCOMPLETE));
	*out = st;
done:
	live_done(&l);
	free(secret);
}

/* ---- import ------------------------------------------------------------------ */

static void cluster_import(tfp_ctx *ctx, const char *id, tf_value **out,
			   tf_diags *d)
{
	k8s_res_import(ctx, id, "k8s_cluster.prod", out, d);
}

/* ---- update ------------------------------------------------------------------- */

static int put_identity(json_t *obj, void *arg, tfp_error *err)
{
	const tf_value *planned = arg;

	(void)err;
	json_object_set_new(obj, "data", k8s_identity_data(planned));
	json_object_del(obj, "stringData");
	return TFP_OK;
}

/* Are the control-plane machine settings of `planned` those of `prior`? */
static bool same_machine(const tf_value *prior, const tf_value *planned)
{
	static const char *const attrs[] = {
		"instance_type", "flavor", "profiles", "image", "target", NULL,
	};

	return !tf_plan_any_changed(prior, planned, attrs);
}

static bool identity_changed(const tf_value *prior, const tf_value *planned)
{
	static const char *const attrs[] = {
		"lxd_server_url",
		"lxd_server_certificate",
		"lxd_client_certificate",
		"lxd_client_key_sha256",
		"lxd_project",
		NULL,
	};

	return tf_plan_any_changed(prior, planned, attrs);
}

/* Rewrite our identity Secret (re-created when it went missing). */
static int update_identity(struct run *u, const tf_value *planned,
			   const char *secret)
{
	int rc;

	snprintf(u->summary, sizeof(u->summary), "Cannot update Secret %s/%s",
		 u->ns, secret);
	rc = k8s_update(u->c, &k8s_gvr_secret, u->ns, secret, put_identity,
			(void *)planned, NULL, &u->err);
	if (rc == TFP_E_NOTFOUND) {
		_cleanup_(json_decrefp)
			json_t *s = k8s_identity_secret(planned, secret);

		rc = s ? k8s_op_create(&u->op, u->c, &k8s_gvr_secret, u->ns, s,
				       NULL, &u->err) :
			 TFP_E_NOMEM;
	}
	return rc;
}

/* The KubeadmControlPlane's name (*kcp_name, through the Cluster's
 * reference) and its template now (*old_tname, "" when none); the
 * template it should use (*tname): the one in use when the machine
 * settings did not change (an imported cluster's need not be named after
 * its hash; no rollout for a scale or version change alone), else the
 * planned one, created if needed. Outputs are malloc'd. */
static int control_plane_template(struct run *u, const tf_value *prior,
				  const tf_value *planned, char **kcp_name,
				  char **old_tname, char **tname)
{
	_cleanup_(json_decrefp) json_t *cl = NULL, *kcp = NULL, *tpl = NULL;
	const char *cur;
	int rc;

	snprintf(u->summary, sizeof(u->summary), "Cannot read Cluster %s/%s",
		 u->ns, u->name);
	if ((rc = k8s_get(u->c, &u->capi->cluster, u->ns, u->name, &cl,
			  &u->err)))
		return rc;
	*kcp_name = strdup(KCP_OF(cl, u->name));
	snprintf(u->summary, sizeof(u->summary),
		 "Cannot read KubeadmControlPlane %s/%s", u->ns,
		 *kcp_name ? *kcp_name : u->name);
	if (!*kcp_name)
		return TFP_E_NOMEM;
	if ((rc = k8s_get(u->c, &u->capi->kubeadm_control_plane, u->ns,
			  *kcp_name, &kcp, &u->err)))
		return rc;
	cur = k8s_jstr(kcp, "spec.machineTemplate.spec.infrastructureRef.name");
	if (!(*old_tname = strdup(cur ? cur : "")))
		return TFP_E_NOMEM;
	if (**old_tname && same_machine(prior, planned)) {
		*tname = strdup(*old_tname);
		return *tname ? TFP_OK : TFP_E_NOMEM;
	}
	tpl = cp_template(planned, tname);
	snprintf(u->summary, sizeof(u->summary),
		 "Cannot create LXCMachineTemplate %s/%s", u->ns,
		 *tname ? *tname : "");
	if (!tpl || !*tname)
		return TFP_E_NOMEM;
	return k8s_op_ensure(&u->op, u->c, &u->capi->lxc_machine_template,
			     u->ns, tpl, true, &u->err);
}

/* Replicas, version and template of the control plane in one patch: a
 * pinned image changes with the version (docs/cluster-api.md). */
static int patch_control_plane(struct run *u, const tf_value *planned,
			       const char *kcp_name, const char *tname)
{
	_cleanup_(freep) char *version = k8s_version_canonical(
		tf_value_attr_string(planned, "kubernetes_version"));
	_cleanup_(json_decrefp) json_t *patch = NULL;
	int64_t reps = 1;

	tf_value_get_int(tf_value_attr(planned, "control_plane_replicas"),
			 &reps);
	patch = json_pack("{s:{s:I, s:s, s:{s:{s:{s:s}}}}}", "spec", "replicas",
			  (json_int_t)reps, "version", version ? version : "",
			  "machineTemplate", "spec", "infrastructureRef",
			  "name", tname);
	snprintf(u->summary, sizeof(u->summary),
		 "Cannot update KubeadmControlPlane %s/%s", u->ns, kcp_name);
	if (!patch)
		return TFP_E_NOMEM;
	return k8s_merge_patch(u->c, &u->capi->kubeadm_control_plane, u->ns,
			       kcp_name, patch, 0, NULL, &u->err);
}

/* After the rollout: the template no longer used goes (a warning when it
 * cannot: the cluster is fine), and those of an earlier rotation that
 * never finished. */
static void retire_templates(struct run *u, const char *old_tname,
			     const char *tname, tf_diags *d)
{
	tfp_error e2 = { 0 };
	char text[2048];

	if (*old_tname && strcmp(old_tname, tname) != 0 &&
	    k8s_res_delete(u->c, &u->capi->lxc_machine_template, u->ns,
			   old_tname, &e2))
		tf_diags_warn(d, NULL, "Old machine template left behind",
			      "The control plane now uses %s; deleting the "
			      "unused LXCMachineTemplate %s/%s failed: %s",
			      tname, u->ns, old_tname,
			      k8s_error_text(&e2, text, sizeof(text)));
	delete_stale_templates(u->c, u->capi, u->ns, u->name, tname);
}

static void cluster_update(tfp_ctx *ctx, const tf_value *prior,
			   const tf_value *plan_in, const tf_value *config,
			   tf_value **out, tf_diags *d)
{
	_cleanup_(tf_value_unrefp)
		tf_value *planned = with_client_key(plan_in, config);
	struct run u = {
		.ns = tf_value_attr_string(planned, "namespace"),
		.name = tf_value_attr_string(planned, "name"),
	};
	_cleanup_(freep) char *secret = own_secret(planned), *kcp_name = NULL;
	_cleanup_(freep) char *old_tname = NULL, *tname = NULL;
	int rc = TFP_OK;

	u.c = planned ? k8s_res_client(ctx, &u.capi, d) : NULL;
	k8s_op_begin(&u.op);
	if (!u.c)
		goto done;
	k8s_res_budget(planned, "update");
	if ((secret && identity_changed(prior, planned) &&
	     (rc = update_identity(&u, planned, secret))) ||
	    (rc = control_plane_template(&u, prior, planned, &kcp_name,
					 &old_tname, &tname)) ||
	    (rc = patch_control_plane(&u, planned, kcp_name, tname))) {
		if (u.err.code)
			k8s_diag(d, NULL, u.summary, &u.err);
		else
			tf_diags_error(d, NULL, u.summary,
				       "Out of memory building the request.");
		tfp_reread(cluster_read, ctx, prior, out);
	} else if (!wait_ready(ctx, u.c, u.capi, planned, "update", d)) {
		tfp_reread(cluster_read, ctx, prior, out);
	} else {
		retire_templates(&u, old_tname, tname, d);
		*out = state_from_plan(u.c, u.capi, planned);
	}
	k8s_op_release(&u.op, u.c, u.ns);
done:
	k8s_op_done(&u.op);
}

/* ---- delete -------------------------------------------------------------------- */

struct gone_arg {
	k8s_client *c;
	const k8s_gvr *r;
	const char *ns, *name;
};

static int check_gone(void *argv, tfp_error *err)
{
	struct gone_arg *a = argv;
	json_t *obj = NULL;
	int rc = k8s_get(a->c, a->r, a->ns, a->name, &obj, err);

	json_decref(obj);
	if (rc == TFP_E_NOTFOUND)
		return 1;
	return rc < 0 ? rc : 0;
}

/* Objects a partial create may have left without a Cluster to own them. */
static void delete_leftovers(k8s_client *c, const k8s_capi *capi,
			     const char *ns, const char *name, tf_diags *d)
{
	tfp_error err = { 0 };

	k8s_res_delete(c, &capi->kubeadm_control_plane, ns, name, &err);
	k8s_res_delete(c, &capi->lxc_cluster, ns, name, &err);
	delete_stale_templates(c, capi, ns, name, NULL);
	(void)d;
}

/* The Cluster is still there after timeouts.delete: say why, from its
 * conditions (Cluster API says where the deletion is in its Deleting
 * condition, True while deleting) and whether it is paused. */
static void deletion_timed_out(k8s_client *c, const k8s_capi *capi,
			       const char *ns, const char *name, long timeout,
			       tf_diags *d)
{
	_cleanup_(json_decrefp) json_t *cl = NULL;
	_cleanup_(freep) char *buf = NULL;
	tfp_error e2 = { 0 };
	size_t i;
	json_t *cd;

	k8s_get(c, &capi->cluster, ns, name, &cl, &e2);
	k8s_res_explain(c, cl, NULL, ns, NULL, &buf);
	json_array_foreach (k8s_jget(cl, "status.conditions"), i, cd) {
		const char *t = k8s_jstr(cd, "type"),
			   *m = k8s_jstr(cd, "message");
		const char *reason = k8s_jstr(cd, "reason");

		if (t && strcmp(t, "Deleting") == 0 && m && *m)
			k8s_appendf(&buf, "\n  Deleting (%s): %s",
				    reason ? reason : "", m);
	}
	tf_diags_error(d, NULL, "Cluster deletion did not finish",
		       "Cluster %s/%s still exists after timeouts.delete "
		       "(%lds)%s.%s%s\nCluster API is still removing its "
		       "machines and load balancer; the provider never "
		       "removes finalizers (that would orphan LXD "
		       "instances). Fix the cause and run destroy again.",
		       ns, name, timeout,
		       k8s_cluster_paused(cl) ?
			       " because it is paused (unpause it: "
			       "spec.paused=false)" :
			       "",
		       buf ? "\nConditions:" : "", buf ? buf : "");
}

static void cluster_delete(tfp_ctx *ctx, const tf_value *prior, tf_diags *d)
{
	const k8s_capi *capi = NULL;
	k8s_client *c = k8s_res_client(ctx, &capi, d);
	const char *ns = tf_value_attr_string(prior, "namespace");
	const char *name = tf_value_attr_string(prior, "name");
	char *secret = own_secret(prior), summary[200];
	struct gone_arg ga = { .c = c, .ns = ns, .name = name };
	long timeout = k8s_res_timeout(prior, "delete");
	tfp_error err = { 0 };
	int rc;

	if (!c || !ns || !name)
		goto done;
	k8s_res_budget(prior, "delete");
	ga.r = &capi->cluster;
	snprintf(summary, sizeof(summary), "Cannot delete Cluster %s/%s", ns,
		 name);
	rc = k8s_delete(c, &capi->cluster, ns, name, "Background", &err);
	if (rc && rc != TFP_E_NOTFOUND) {
		k8s_diag(d, NULL, summary, &err);
		goto done;
	}
	rc = k8s_res_poll(ctx, timeout, check_gone, &ga, &err);
	if (rc == TFP_E_TIMEOUT) {
		deletion_timed_out(c, capi, ns, name, timeout, d);
		goto done;
	}
	if (rc) {
		k8s_diag(d, NULL, summary, &err);
		goto done;
	}
	delete_leftovers(c, capi, ns, name, d);
	/* CAPN needed the identity until now. */
	if (secret && k8s_res_delete(c, &k8s_gvr_secret, ns, secret, &err)) {
		snprintf(summary, sizeof(summary), "Cannot delete Secret %s/%s",
			 ns, secret);
		k8s_diag(d, NULL, summary, &err);
	}
done:
	free(secret);
}

/* ---- state upgrade -------------------------------------------------------------- */

/* Version 0 stored the admin kubeconfig (`kubeconfig`, credentials) in the
 * state; version 1 has no such attribute. Version 1 stored lxd_client_key;
 * from version 2 it is write-only and the state holds its digest
 * (lxd_client_key_sha256) instead, so an unchanged key plans nothing.
 * Each step drops the secret from old states, so the next apply (or
 * refresh) writes the state without it. */
static int cluster_upgrade(int64_t from_version, json_t *state, tf_diags *d)
{
	const char *key;

	if (from_version == 0 && json_object_get(state, "kubeconfig")) {
		json_object_del(state, "kubeconfig");
		tfp_info(
			"k8s_cluster state upgraded from version 0: the stored "
			"kubeconfig was dropped (use the k8s_cluster_kubeconfig "
			"ephemeral resource)");
	}
	key = json_string_value(json_object_get(state, "lxd_client_key"));
	if (key && *key) {
		char hex[65];

		if (util_sha256_hex(key, strlen(key), hex) != 0) {
			tf_diags_error(d, NULL,
				       "Cannot upgrade k8s_cluster state",
				       "Computing the digest of the stored "
				       "client key failed (OpenSSL).");
			return -1;
		}
		json_object_set_new(state, "lxd_client_key_sha256",
				    json_string(hex));
	} else {
		json_object_set_new(state, "lxd_client_key_sha256",
				    json_null());
	}
	json_object_set_new(state, "lxd_client_key", json_null());
	return 0;
}

/* ---- list ------------------------------------------------------------------- */

static void cluster_list(tfp_ctx *ctx, const tf_value *config, tfp_lister *l,
			 tf_diags *d)
{
	const k8s_capi *capi = NULL;
	k8s_client *c = k8s_res_client(ctx, &capi, d);

	if (c)
		k8s_res_list(ctx, config, l, &capi->cluster, cluster_import,
			     cluster_read, d);
}

const tfp_resource k8s_cluster_resource = {
	.type_name = "k8s_cluster",
	.version = 2,
	.schema = &k8s_cluster_schema_def,
	.modify_plan = cluster_modify_plan,
	.create = cluster_create,
	.read = cluster_read,
	.update = cluster_update,
	.remove = cluster_delete,
	.import = cluster_import,
	.identity_schema = &k8s_identity_def,
	.identity = k8s_identity,
	.upgrade = cluster_upgrade,
	.list_schema = &k8s_res_list_schema,
	.list = cluster_list,
};
