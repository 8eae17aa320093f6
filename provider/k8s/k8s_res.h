/* Shared plumbing of the k8s_cluster and k8s_machine_pool handlers, on top
 * of the public client API (k8s_client.h): client/discovery lookup, timeouts,
 * bounded polling, template creation and "namespace/name" import IDs. */
#ifndef K8S_RES_H
#define K8S_RES_H

#include <stdbool.h>

#include "../../schema/diag.h"
#include "../err.h"
#include "../resource.h"
#include "k8s_client.h"

/* The configured client and the discovered Cluster API types, or NULL with
 * an error diagnostic (provider not configured, CAPI/CAPN not served, or a
 * management cluster that only serves v1beta1). Resets the calling
 * thread's retry budget to the default (k8s_retry_budget_set(0)); handlers
 * with a timeouts block then bound it with k8s_res_budget. */
k8s_client *k8s_res_client(tfp_ctx *ctx, const k8s_capi **capi, tf_diags *d);

/* Seconds from timeouts.<which> of `obj`, or the 30-minute default
 * (k8s_res_timeout_or: or `dflt`). */
long k8s_res_timeout(const tf_value *obj, const char *which);
long k8s_res_timeout_or(const tf_value *obj, const char *which, long dflt);
/* k8s_retry_budget_set(k8s_res_timeout(obj, which)): the client's retries
 * of this operation stay within the resource's timeout. Returns it. */
long k8s_res_budget(const tf_value *obj, const char *which);

/* Poll until `check` returns true (done), a negative k8s_code (error: its
 * err is filled), the deadline passes (TFP_E_TIMEOUT) or the stop flag is
 * raised (TFP_E_CANCELLED). Sleeps 250 ms doubling to 5 s between checks.
 * Transient errors (k8s_res_transient: the management cluster unreachable
 * or failing, after the client's own retries) do not end the wait: it
 * goes on until the deadline, then returns that error (not TFP_E_TIMEOUT)
 * so the caller can say the server was unreachable. A server that stopped
 * answering (TFP_E_TIMEOUT from the client) ends it at once, returned as
 * TFP_E_UNAVAILABLE with the client's message: TFP_E_TIMEOUT always means
 * this wait's own deadline. */
bool k8s_res_transient(int code);
typedef int (*k8s_check_fn)(void *arg, tfp_error *err);
int k8s_res_poll(tfp_ctx *ctx, long timeout_s, k8s_check_fn check, void *arg,
		 tfp_error *err);

/* Field manager recorded on our writes (the client's default). */
#define K8S_FIELD_MANAGER "terraform-lxdcapi"

/* POST `obj` with fieldValidation=Strict: a field the served CRD does not
 * know is an error (TFP_E_INVALID naming it) instead of being pruned
 * silently. 409 AlreadyExists -> TFP_E_EXISTS. Handlers create through
 * k8s_op_create / k8s_op_ensure (k8s_op.h), which add the ownership
 * marker and resolve conflicts. */
int k8s_res_create(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const json_t *obj, tfp_error *err);

/* Templates of kind `r` in ns that this provider made for `base` (labels
 * managed-by and cluster-name=`cluster`, name "<base>-<10 hex digits>")
 * other than `keep` (may be NULL): left behind by a rotation that did not
 * finish (the apply failed or was killed after the owner was repointed).
 * A NULL-terminated malloc'd array (free with k8s_res_free_names), or NULL
 * when there are none or the list failed. */
char **k8s_res_stale_templates(k8s_client *c, const k8s_gvr *r, const char *ns,
			       const char *cluster, const char *base,
			       const char *keep);
void k8s_res_free_names(char **names);

/* Delete the templates of k8s_res_stale_templates (a warning is logged for
 * each that cannot be deleted); with only_count nothing is deleted.
 * Returns how many there were. */
int k8s_res_delete_stale(k8s_client *c, const k8s_gvr *r, const char *ns,
			 const char *cluster, const char *base,
			 const char *keep, bool only_count);

/* GET that maps 404 (and an empty or NULL name) to *out = NULL, TFP_OK. */
int k8s_res_get_opt(k8s_client *c, const k8s_gvr *r, const char *ns,
		    const char *name, json_t **out, tfp_error *err);

/* DELETE treating 404 as success. */
int k8s_res_delete(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, tfp_error *err);

/* Split "namespace/name" (both DNS labels). Returns false with an error
 * diagnostic naming `example` otherwise. Outputs are malloc'd. */
bool k8s_res_import_id(const char *id, const char *example, char **ns,
		       char **name, tf_diags *d);

/* The whole ImportResourceState handler of a k8s resource: *out is the
 * resource's empty object with `namespace` and `name` set from
 * "namespace/name" (left NULL with an error naming `example` otherwise). */
void k8s_res_import(tfp_ctx *ctx, const char *id, const char *example,
		    tf_value **out, tf_diags *d);

/* "Unset means whatever the server says": on an update (prior not null),
 * an optional+computed attribute with a schema default that the
 * configuration leaves unset keeps its prior value (read from the server:
 * an imported object's setting, or a change made with kubectl) instead of
 * the default the generic planner put there, and is dropped from
 * `replace`. Defaults apply at creation only. A prior null or "" (nothing
 * known, e.g. the object is missing) keeps the default. */
void k8s_res_unset_keeps_live(const tf_schema *s, const tf_value *prior,
			      const tf_value *config, tf_value *planned,
			      tf_paths *replace);

/* Namespace for a plan whose namespace is unset: the client's default. */
const char *k8s_res_default_ns(tfp_ctx *ctx);

/* What every k8s modify_plan does first: the default retry budget (plan
 * time has no timeouts block), k8s_res_unset_keeps_live, and an unset
 * `namespace` planned as k8s_res_default_ns. */
void k8s_res_plan_begin(tfp_ctx *ctx, const tf_value *prior,
			const tf_value *config, tf_value *planned,
			tf_paths *replace);

/* "Kind name: Type=False (Reason): message" lines for `obj` and for every
 * object of `r` matching `selector` in ns, appended to *buf. */
void k8s_res_explain(k8s_client *c, const json_t *obj, const k8s_gvr *r,
		     const char *ns, const char *selector, char **buf);

/* The words of the errors of a wait for readiness (k8s_res_wait_failed),
 * e.g. for a cluster: title "Cluster", noun "cluster", kind "Cluster". */
typedef struct {
	const char *title;   /* "<title> not ready in time" */
	const char *noun;    /* "Stopped while waiting for the <noun>" */
	const char *kind;    /* "<kind> ns/name did not become ready ..." */
	const char *stopped; /* "... while <stopped> ns/name was not ready" */
	const char *fix;     /* after "fix the cause": "" or " (often ...)" */
	const char *resume;  /* after a stop: what the next apply does */
} k8s_wait_words;

/* Diagnostics for how k8s_res_poll of a readiness wait on ns/name ended
 * (rc): none for TFP_OK; for TFP_E_TIMEOUT (timeouts.`which`, `timeout_s`)
 * an error giving `why` (NULL: "not ready") and the False `conditions`
 * (NULL: none reported); for TFP_E_CANCELLED a stop error; otherwise
 * k8s_diag of err. */
void k8s_res_wait_failed(tf_diags *d, const k8s_wait_words *w, int rc,
			 const tfp_error *err, const char *ns, const char *name,
			 const char *which, long timeout_s, const char *why,
			 const char *conditions);

/* `phase` value read records when the main object (Cluster,
 * MachineDeployment) is missing but other objects of the resource exist:
 * the plan then replaces the resource, so they are cleaned up. */
#define K8S_PHASE_INCOMPLETE "Incomplete"
bool k8s_phase_incomplete(const tf_value *state);

/* Render a client error as diagnostic detail text: the message, "(reason
 * Invalid, HTTP 422)", one line per cause ("spec.replicas: must be odd"),
 * the request, and a hint for the codes a user can act on (credentials,
 * RBAC, reachability, TLS, timeouts, a stop). Writes into buf (always
 * NUL-terminated when len > 0); returns buf. */
const char *k8s_error_text(const tfp_error *err, char *buf, size_t len);

/* Add an error diagnostic with `summary` (e.g. "Cannot create Cluster
 * default/a") and k8s_error_text() as detail. path may be NULL. */
void k8s_diag(tf_diags *d, const tf_path *path, const char *summary,
	      const tfp_error *err);

#endif
