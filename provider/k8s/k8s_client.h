/* Kubernetes API client for the Cluster API management cluster: Kubernetes'
 * own protocol (Status objects, discovery, resourceVersion conflicts, 401
 * credential refresh, create-id verification) over the one HTTP transport
 * (provider/http/http.h: libcurl, retries, the "not answering" breaker).
 * Knows nothing about Terraform: the resources render its errors
 * (k8s_diag, k8s_res.h).
 *
 * THREAD SAFETY: one k8s_client is shared by all concurrent RPCs. Every
 * request uses its own curl handle; the credential cache (exec plugin
 * result, token file) and the discovery cache are guarded internally.
 *
 * RETURN CODES (provider/err.h): TFP_OK (0) or a negative tfp_code. On
 * failure the optional tfp_error receives the HTTP status, the Status
 * reason, a human message, the Status causes and the request ("PUT
 * /apis/..."). Statuses map through http_status_code, except that 409
 * reason AlreadyExists is TFP_E_EXISTS. Output parameters are written only
 * on success and are owned by the caller (json_decref). Input JSON is
 * borrowed.
 *
 * BOUNDS: every request has a timeout (request_timeout_ms), replies are
 * capped at K8S_MAX_RESPONSE, retries are bounded by K8S_MAX_RETRIES and
 * the calling thread's retry budget (k8s_retry_budget_set), the 409
 * read-modify-write loop at most K8S_MAX_CONFLICT_RETRIES times, and every
 * wait checks the stop flag (TFP_E_CANCELLED).
 *
 * TRANSIENT FAILURES (the HTTP layer's one policy, with these settings):
 * connections refused, reset or closed without a reply, and HTTP 429, 502,
 * 503, 504 and the "failed calling webhook" 500 are retried with capped
 * exponential backoff and equal jitter (K8S_RETRY_BASE_MS doubling up to
 * K8S_RETRY_CAP_MS; a Retry-After is waited for, up to
 * K8S_MAX_RETRY_AFTER_S). Requests that are not idempotent are not resent
 * blindly: a POST (create) whose outcome is unknown is repeated only after
 * a GET of the object shows it does not exist; if it exists and carries
 * the K8S_ANN_CREATE_ID annotation value the POST sent, the first attempt
 * landed and the create succeeds with that object; otherwise it is
 * TFP_E_EXISTS (never adopted). A 409 AlreadyExists answering a retried
 * POST is checked the same way. Without a name to check, the outcome is
 * unknown (tfp_error.outcome_unknown).
 *
 * UNRESPONSIVE SERVER: a request that times out (the server accepted the
 * connection, or not even that, and did not answer within
 * request_timeout_ms), or that spends all its retries on refused
 * connections, opens the client's breaker: later requests fail at once
 * with the same error (TFP_E_TIMEOUT "... stopped answering", or
 * TFP_E_UNAVAILABLE) instead of each waiting out its own timeout, until a
 * probe after one request timeout gets an answer.
 *
 * In the k8s provider, tfp_ctx.client is a k8s_client * (NULL before
 * ConfigureProvider); resources get API types from k8s_capi_discover().
 *
 * SECRETS: tokens, keys and kubeconfig content are never logged nor put in
 * error messages; the Authorization header line and request bodies (they
 * may be Secrets) are wiped after use. */
#ifndef K8S_CLIENT_H
#define K8S_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "../err.h"
#include "kubeconfig.h"

/* Message of a wait the stop flag ended (Terraform's StopProvider). */
#define K8S_CANCELLED_MSG                                                      \
	"Terraform asked the provider to stop (Ctrl-C); request cancelled"

/* Replies larger than this are TFP_E_PROTOCOL. */
#define K8S_MAX_RESPONSE (64u * 1024 * 1024)
/* Retries of one request. With the backoff below they span about half a
 * minute: an API server restart is ridden out. */
#define K8S_MAX_RETRIES 8
#define K8S_RETRY_BASE_MS 250
#define K8S_RETRY_CAP_MS 8000
#define K8S_MAX_RETRY_AFTER_S 30
/* Retry budget of a thread that set none (k8s_retry_budget_set). */
#define K8S_RETRY_BUDGET_S 120
#define K8S_MAX_CONFLICT_RETRIES 5

/* ---- test transport ---------------------------------------------------- */

/* One raw HTTP exchange, for unit tests (behind the HTTP layer, which
 * retries). `path` includes the query string; `authorization` is the
 * Authorization header value the client would send ("Bearer ...") or
 * NULL. The transport fills status, a malloc'd body (may be NULL) and
 * optionally a malloc'd Retry-After header value, and returns 0; or it
 * returns a negative http_class (provider/http/http.h) to simulate a
 * failed exchange: HTTP_E_NOT_SENT (refused), HTTP_E_NO_ANSWER (reset after
 * sending), HTTP_E_TIMEOUT, HTTP_E_TLS, ... */
typedef struct k8s_http_reply {
	int status;
	char *body;
	size_t body_len;
	char *retry_after;
} k8s_http_reply;

typedef int (*k8s_transport_fn)(void *ud, const char *method, const char *path,
				const char *content_type, const char *body,
				const char *authorization,
				k8s_http_reply *reply);

/* ---- retry budget ------------------------------------------------------- */

/* Bound the time the calling thread's requests spend retrying to `seconds`
 * from now (<= 0: K8S_RETRY_BUDGET_S from each request's first attempt).
 * Resource handlers set it from their timeouts block, so retries stay
 * within the resource's timeout. Thread-local; lasts until set again. */
void k8s_retry_budget_set(long seconds);

/* Annotation a create may carry to recognise its own object after a retry
 * (see TRANSIENT FAILURES above): a value unique to the operation. */
#define K8S_ANN_CREATE_ID "lxdcapi.terraform.io/create-id"

/* ---- client ------------------------------------------------------------ */

typedef struct k8s_client_opts {
	/* Resolved kubeconfig context (borrowed: everything needed is copied). */
	const kubeconfig *kc;
	/* Default namespace for callers that do not name one; NULL: the
	 * context's namespace, else "default". */
	const char *namespace;
	long request_timeout_ms; /* one HTTP exchange; default 30000 */
	const char *user_agent;  /* default "terraform-provider-lxdcapi" */
	const char *
		field_manager; /* sent on writes; default "terraform-lxdcapi" */
	atomic_int *stop;      /* abort promptly when non-zero; may be NULL */
	k8s_transport_fn transport; /* tests only: replaces libcurl */
	void *transport_ud;
} k8s_client_opts;

typedef struct k8s_client k8s_client;

/* Build a client. Does not contact the server. Fails with TFP_E_CONFIG
 * (message names the kubeconfig source/context) when the server URL is not
 * https:// or http:// or has no usable host and port, or a client
 * certificate comes without its key; TFP_E_NOMEM. */
int k8s_client_new(const k8s_client_opts *o, k8s_client **out, tfp_error *err);
void k8s_client_free(k8s_client *c); /* NULL-tolerant */

/* Effective default namespace (borrowed, lives with the client). */
const char *k8s_client_namespace(const k8s_client *c);
/* Server URL (borrowed), e.g. for messages. */
const char *k8s_client_server(const k8s_client *c);
/* Non-fatal setup findings from the kubeconfig, borrowed. */
size_t k8s_client_nwarnings(const k8s_client *c);
const char *k8s_client_warning(const k8s_client *c, size_t i);

/* ---- addressing -------------------------------------------------------- */

/* A resource type. Strings are borrowed (static or owned by the client's
 * discovery cache). */
typedef struct k8s_gvr {
	const char *group;    /* "" for the core group (/api/v1) */
	const char *version;  /* "v1", "v1beta2", ... */
	const char *resource; /* plural, lower case: "secrets", "clusters" */
	const char *kind;     /* "Secret", "Cluster": for bodies and messages */
	bool namespaced;
} k8s_gvr;

/* Well-known core types. */
extern const k8s_gvr k8s_gvr_secret;    /* v1 secrets */
extern const k8s_gvr k8s_gvr_namespace; /* v1 namespaces (cluster scope) */

/* Build the request path, e.g. "/apis/g/v/namespaces/ns/plural/name/status".
 * ns is ignored for cluster-scoped types (and may be NULL: all namespaces
 * for a list); name and subresource may be NULL. Segments are escaped.
 * Returns a malloc'd string or NULL (NOMEM). */
char *k8s_path(const k8s_gvr *r, const char *ns, const char *name,
	       const char *subresource);

/* ---- operations -------------------------------------------------------- */

/* Write flags. */
enum {
	K8S_DRY_RUN = 1u << 0, /* ?dryRun=All: validate without persisting */
};

/* The client's apiVersion string for r ("v1", "cluster.x-k8s.io/v1beta2"),
 * written into buf (returns buf). */
const char *k8s_api_version(const k8s_gvr *r, char *buf, size_t len);

/* GET one object. 404 -> TFP_E_NOTFOUND. */
int k8s_get(k8s_client *c, const k8s_gvr *r, const char *ns, const char *name,
	    json_t **out, tfp_error *err);
/* GET the /status subresource. */
int k8s_get_status(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, json_t **out, tfp_error *err);

/* LIST, following `continue` pages (limit 500 per page, at most 100 pages).
 * label_selector may be NULL (it is URL-encoded here). *items is a new JSON
 * array of the objects. ns NULL lists all namespaces. */
int k8s_list(k8s_client *c, const k8s_gvr *r, const char *ns,
	     const char *label_selector, json_t **items, tfp_error *err);

/* LIST one page at a time (`limit`=page_size, following `continue`),
 * calling fn on each item as its page arrives: only one page is held, so
 * memory does not grow with the collection. fn returns 0 to go on,
 * non-zero to stop (no error, no further request). More than max_pages
 * pages is TFP_E_PROTOCOL. label_selector and ns as for k8s_list. */
typedef int (*k8s_item_fn)(const json_t *item, void *arg);
int k8s_list_each(k8s_client *c, const k8s_gvr *r, const char *ns,
		  const char *label_selector, int page_size, int max_pages,
		  k8s_item_fn fn, void *arg, tfp_error *err);

/* POST. The body's apiVersion/kind are filled from r when absent (the body
 * itself is not modified: a copy is sent). 409 AlreadyExists ->
 * TFP_E_EXISTS. *out (may be NULL) is the created object. */
int k8s_create(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const json_t *body, unsigned flags, json_t **out,
	       tfp_error *err);

/* PUT. The body must carry metadata.resourceVersion (else TFP_E_INVALID
 * without a request: custom resources reject unconditional updates);
 * stale -> TFP_E_CONFLICT. PUT never creates: 404 -> TFP_E_NOTFOUND. */
int k8s_replace(k8s_client *c, const k8s_gvr *r, const char *ns,
		const char *name, const json_t *body, unsigned flags,
		json_t **out, tfp_error *err);

/* PATCH application/merge-patch+json (null deletes a key, arrays are
 * replaced; a metadata.resourceVersion in the patch is a precondition). */
int k8s_merge_patch(k8s_client *c, const k8s_gvr *r, const char *ns,
		    const char *name, const json_t *patch, unsigned flags,
		    json_t **out, tfp_error *err);
/* PATCH application/json-patch+json; `ops` is a JSON array of operations. */
int k8s_json_patch(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, const json_t *ops, unsigned flags,
		   json_t **out, tfp_error *err);
/* Merge patch on the /status subresource. */
int k8s_patch_status(k8s_client *c, const k8s_gvr *r, const char *ns,
		     const char *name, const json_t *patch, json_t **out,
		     tfp_error *err);

/* DELETE with propagationPolicy ("Background", "Foreground", "Orphan" or
 * NULL for the server default). 404 -> TFP_E_NOTFOUND (callers deleting
 * treat it as success). A 200/202 means accepted: finalizers may keep the
 * object; poll with k8s_get until TFP_E_NOTFOUND. */
int k8s_delete(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const char *name, const char *propagation, tfp_error *err);

/* Read-modify-write: GET, then `mutate` edits the object in place (it is
 * the caller's to change, but not to keep). mutate returns TFP_OK to PUT
 * it (with the resourceVersion just read), K8S_UNCHANGED to stop without a
 * write (success; *out gets the current object), or a negative code to
 * abort (returned as is; mutate fills err). On 409 Conflict the whole cycle
 * is repeated, at most K8S_MAX_CONFLICT_RETRIES times with backoff. */
#define K8S_UNCHANGED 1
typedef int (*k8s_mutate_fn)(json_t *obj, void *arg, tfp_error *err);
int k8s_update(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const char *name, k8s_mutate_fn mutate, void *arg, json_t **out,
	       tfp_error *err);

/* Raw request for anything else. `path` starts with '/' and may carry a
 * query string; body may be NULL; content_type NULL means
 * application/json. *out (may be NULL) is the parsed reply (JSON null for
 * an empty body). Same retry/error handling as the typed operations. */
int k8s_request(k8s_client *c, const char *method, const char *path,
		const char *content_type, const json_t *body, json_t **out,
		tfp_error *err);

/* ---- discovery --------------------------------------------------------- */

/* Served versions of `group` from GET /apis (cached for the client's life).
 * *versions is a new JSON array of strings in the server's order, the
 * preferred version first. Not served -> TFP_E_NOTSERVED. */
int k8s_group_versions(k8s_client *c, const char *group, json_t **versions,
		       tfp_error *err);

/* Resolve `kind` in `group` to a served version and plural via
 * GET /apis and /apis/{g}/{v} (cached). `prefer` is a NULL-terminated list
 * of versions in preference order (NULL: the server's preferred version,
 * then the others). Output strings are owned by the client. */
int k8s_resolve(k8s_client *c, const char *group, const char *kind,
		const char *const *prefer, k8s_gvr *out, tfp_error *err);

/* Everything the k8s_* resources use, discovered once (thread-safe, cached
 * on success). CAPI core/controlplane/bootstrap prefer v1beta2 then
 * v1beta1 (one version is used for all three: `capi_version`); CAPN must
 * serve v1alpha2. Fails with TFP_E_NOTSERVED and a message naming the
 * server URL and what to install, e.g. "the management cluster at URL does
 * not serve cluster.x-k8s.io: install Cluster API (clusterctl init
 * --infrastructure lxd) ...". */
typedef struct k8s_capi {
	const char *capi_version; /* "v1beta2" or "v1beta1" */
	k8s_gvr cluster;          /* cluster.x-k8s.io */
	k8s_gvr machine_deployment;
	k8s_gvr machine_set;
	k8s_gvr machine;
	k8s_gvr kubeadm_control_plane;   /* controlplane.cluster.x-k8s.io */
	k8s_gvr kubeadm_config_template; /* bootstrap.cluster.x-k8s.io */
	k8s_gvr kubeadm_config;
	k8s_gvr lxc_cluster; /* infrastructure.cluster.x-k8s.io */
	k8s_gvr lxc_machine_template;
	k8s_gvr lxc_machine;
} k8s_capi;
int k8s_capi_discover(k8s_client *c, const k8s_capi **out, tfp_error *err);

#endif
