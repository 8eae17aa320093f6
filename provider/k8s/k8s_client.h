/* Kubernetes API client for the Cluster API management cluster, over
 * libcurl + jansson. Knows nothing about Terraform except k8s_diag(), which
 * renders an error as a diagnostic.
 *
 * THREAD SAFETY: one k8s_client is shared by all concurrent RPCs. Every
 * request uses its own curl handle; the credential cache (exec plugin
 * result, token file) and the discovery cache are guarded internally.
 *
 * RETURN CODES: K8S_OK (0) or a negative k8s_code. On failure the optional
 * k8s_error receives the HTTP status, the Status reason, a human message
 * and the Status causes. Output parameters are written only on success and
 * are owned by the caller (json_decref). Input JSON is borrowed.
 *
 * BOUNDS: every request has a timeout (request_timeout_ms), replies are
 * capped at K8S_MAX_RESPONSE, transient failures are retried by
 * k8s_retry_delay() (at most K8S_MAX_RETRIES times, within the calling
 * thread's retry budget, see k8s_retry_budget_set), the 409
 * read-modify-write loop at most K8S_MAX_CONFLICT_RETRIES times, and every
 * wait checks the stop flag (K8S_E_CANCELLED).
 *
 * TRANSIENT FAILURES: connection refused/reset (or closed without a reply)
 * and HTTP 429, 502, 503, 504 and "failed calling webhook" 500 are retried
 * with capped exponential backoff and jitter (Retry-After honoured). A POST
 * (create) whose outcome is unknown is retried only after a GET of the
 * object shows it does not exist; if it exists and carries the
 * K8S_ANN_CREATE_ID annotation value the POST sent, the first attempt
 * landed and the create succeeds with that object; otherwise it is
 * K8S_E_EXISTS (never adopted). A 409 AlreadyExists answering a retried
 * POST is checked the same way.
 *
 * UNRESPONSIVE SERVER: when a request times out (the server accepted the
 * connection, or not even that, and did not answer within
 * request_timeout_ms), the client stops talking to that server: every
 * later request fails at once with the same K8S_E_TIMEOUT error and
 * message, instead of each waiting out its own timeout.
 *
 * In the k8s provider, tfp_ctx.client is a k8s_client * (NULL before
 * ConfigureProvider); resources get API types from k8s_capi_discover().
 *
 * SECRETS: tokens, keys and kubeconfig content are never logged nor put in
 * error messages. Request bodies are not logged (they may hold Secrets). */
#ifndef K8S_CLIENT_H
#define K8S_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "../../schema/diag.h"
#include "kubeconfig.h"

typedef enum k8s_code {
	K8S_OK = 0,
	K8S_E_NOMEM = -1,
	K8S_E_NOTFOUND = -2,     /* 404 */
	K8S_E_CONFLICT = -3,     /* 409 reason Conflict (stale resourceVersion) */
	K8S_E_EXISTS = -4,       /* 409 reason AlreadyExists */
	K8S_E_INVALID = -5,      /* 400, 415, 422 (schema or webhook) */
	K8S_E_UNAUTHORIZED = -6, /* 401 (after one credential refresh) */
	K8S_E_FORBIDDEN = -7,    /* 403 (RBAC) */
	K8S_E_UNAVAILABLE = -8,  /* cannot connect; 429/503 after retries */
	K8S_E_SERVER = -9,       /* 500 and other server errors */
	K8S_E_TIMEOUT = -10,     /* a request or wait bound was exceeded */
	K8S_E_CANCELLED = -11,   /* the stop flag was raised */
	K8S_E_PROTOCOL = -12,    /* malformed or oversized reply */
	K8S_E_CONFIG = -13,      /* kubeconfig / client options unusable */
	K8S_E_CREDENTIALS = -14, /* exec plugin or token file failed */
	K8S_E_GONE = -15,        /* 410: expired list continue token */
	K8S_E_NOTSERVED = -16,   /* discovery: group/version/kind not served */
	K8S_E_TLS = -17,         /* certificate verification failed */
} k8s_code;

#define K8S_ERRMSG_MAX 1024
/* Message of K8S_E_CANCELLED (the stop flag: Terraform's StopProvider). */
#define K8S_CANCELLED_MSG "Terraform asked the provider to stop (Ctrl-C); request cancelled"
#define K8S_MAX_CAUSES 8

/* One Status details.causes[] entry (truncated to fit). */
typedef struct k8s_cause {
	char field[160];   /* e.g. "spec.replicas"; "" when absent */
	char reason[64];   /* e.g. "FieldValueInvalid" */
	char message[256];
} k8s_cause;

typedef struct k8s_error {
	int code;                  /* k8s_code */
	int http_status;           /* 0 when no HTTP reply */
	char reason[64];           /* Status.reason, e.g. "AlreadyExists" */
	char message[K8S_ERRMSG_MAX]; /* Status.message or transport error */
	k8s_cause causes[K8S_MAX_CAUSES];
	size_t ncauses;
	/* Context for messages, filled by the operation: "PUT
	 * /apis/cluster.x-k8s.io/v1beta2/namespaces/default/clusters/a". */
	char request[256];
} k8s_error;

/* Replies larger than this are K8S_E_PROTOCOL. */
#define K8S_MAX_RESPONSE (64u * 1024 * 1024)
/* Retries of one request (see k8s_retry_delay). With the backoff below they
 * span about half a minute: an API server restart is ridden out. */
#define K8S_MAX_RETRIES 8
#define K8S_RETRY_BASE_MS 250
#define K8S_RETRY_CAP_MS 8000
#define K8S_MAX_RETRY_AFTER_S 30
/* Retry budget of a thread that set none (k8s_retry_budget_set). */
#define K8S_RETRY_BUDGET_S 120
#define K8S_MAX_CONFLICT_RETRIES 5
/* Exec credential plugin bounds. */
#define K8S_EXEC_TIMEOUT_S 60
#define K8S_EXEC_MAX_OUTPUT (1u * 1024 * 1024)

/* ---- test transport ---------------------------------------------------- */

/* One raw HTTP exchange, for unit tests. `path` includes the query string;
 * `authorization` is the Authorization header value the client would send
 * ("Bearer ...") or NULL. The transport fills status, a malloc'd body (may
 * be NULL) and optionally a malloc'd Retry-After header value. Return 0, or
 * a negative k8s_code for a transport failure. */
typedef struct k8s_http_reply {
	int status;
	char *body;
	size_t body_len;
	char *retry_after;
} k8s_http_reply;

typedef int (*k8s_transport_fn)(void *ud, const char *method, const char *path,
				const char *content_type, const char *body,
				const char *authorization, k8s_http_reply *reply);

/* ---- retry policy -------------------------------------------------------- */

/* One failed attempt, as the retry policy sees it. */
typedef struct k8s_retry_in {
	int rc;             /* K8S_OK: an HTTP reply came (status); else the
			     * transport failure code */
	bool transient;     /* transport failure that a retry may cure
			     * (refused, reset, closed without a reply) */
	int status;         /* HTTP status when rc == K8S_OK */
	bool webhook_500;   /* a 500 saying "failed calling webhook" */
	long retry_after_s; /* Retry-After delta-seconds, -1 when absent */
	int attempt;        /* retries already made (0 after the first try) */
	long long left_ms;  /* what is left of the retry budget */
	unsigned random;    /* random bits for the jitter */
} k8s_retry_in;

/* Milliseconds to wait before the next attempt, or -1: do not retry, the
 * failure is the answer. Retried: transient transport failures, HTTP 429,
 * 502, 503, 504 and the webhook 500, at most K8S_MAX_RETRIES times. The
 * wait is Retry-After when given (capped at K8S_MAX_RETRY_AFTER_S), else
 * K8S_RETRY_BASE_MS * 2^attempt capped at K8S_RETRY_CAP_MS, of which a
 * random part (up to half) is dropped so clients do not retry in step.
 * Never a wait that ends past left_ms (then -1). Pure: no I/O, no clock. */
long k8s_retry_delay(const k8s_retry_in *in);

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
	long request_timeout_ms;   /* one HTTP exchange; default 30000 */
	const char *user_agent;    /* default "terraform-provider-lxdcapi" */
	const char *field_manager; /* sent on writes; default "terraform-lxdcapi" */
	atomic_int *stop;          /* abort promptly when non-zero; may be NULL */
	k8s_transport_fn transport; /* tests only: replaces libcurl */
	void *transport_ud;
} k8s_client_opts;

typedef struct k8s_client k8s_client;

/* Build a client. Does not contact the server. Fails with K8S_E_CONFIG
 * (message names the kubeconfig source/context) when the server URL is not
 * https:// or http://, or a client certificate comes without its key. */
int k8s_client_new(const k8s_client_opts *o, k8s_client **out, k8s_error *err);
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

/* GET one object. 404 -> K8S_E_NOTFOUND. */
int k8s_get(k8s_client *c, const k8s_gvr *r, const char *ns, const char *name,
	    json_t **out, k8s_error *err);
/* GET the /status subresource. */
int k8s_get_status(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, json_t **out, k8s_error *err);

/* LIST, following `continue` pages (limit 500 per page, at most 100 pages).
 * label_selector may be NULL (it is URL-encoded here). *items is a new JSON
 * array of the objects. ns NULL lists all namespaces. */
int k8s_list(k8s_client *c, const k8s_gvr *r, const char *ns,
	     const char *label_selector, json_t **items, k8s_error *err);

/* POST. The body's apiVersion/kind are filled from r when absent (the body
 * itself is not modified: a copy is sent). 409 AlreadyExists ->
 * K8S_E_EXISTS. *out (may be NULL) is the created object. */
int k8s_create(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const json_t *body, unsigned flags, json_t **out,
	       k8s_error *err);

/* PUT. The body must carry metadata.resourceVersion (else K8S_E_INVALID
 * without a request: custom resources reject unconditional updates);
 * stale -> K8S_E_CONFLICT. PUT never creates: 404 -> K8S_E_NOTFOUND. */
int k8s_replace(k8s_client *c, const k8s_gvr *r, const char *ns,
		const char *name, const json_t *body, unsigned flags,
		json_t **out, k8s_error *err);

/* PATCH application/merge-patch+json (null deletes a key, arrays are
 * replaced; a metadata.resourceVersion in the patch is a precondition). */
int k8s_merge_patch(k8s_client *c, const k8s_gvr *r, const char *ns,
		    const char *name, const json_t *patch, unsigned flags,
		    json_t **out, k8s_error *err);
/* PATCH application/json-patch+json; `ops` is a JSON array of operations. */
int k8s_json_patch(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, const json_t *ops, unsigned flags,
		   json_t **out, k8s_error *err);
/* Merge patch on the /status subresource. */
int k8s_patch_status(k8s_client *c, const k8s_gvr *r, const char *ns,
		     const char *name, const json_t *patch, json_t **out,
		     k8s_error *err);

/* DELETE with propagationPolicy ("Background", "Foreground", "Orphan" or
 * NULL for the server default). 404 -> K8S_E_NOTFOUND (callers deleting
 * treat it as success). A 200/202 means accepted: finalizers may keep the
 * object; poll with k8s_get until K8S_E_NOTFOUND. */
int k8s_delete(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const char *name, const char *propagation, k8s_error *err);

/* Read-modify-write: GET, then `mutate` edits the object in place (it is
 * the caller's to change, but not to keep). mutate returns K8S_OK to PUT
 * it (with the resourceVersion just read), K8S_UNCHANGED to stop without a
 * write (success; *out gets the current object), or a negative code to
 * abort (returned as is; mutate fills err). On 409 Conflict the whole cycle
 * is repeated, at most K8S_MAX_CONFLICT_RETRIES times with backoff. */
#define K8S_UNCHANGED 1
typedef int (*k8s_mutate_fn)(json_t *obj, void *arg, k8s_error *err);
int k8s_update(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const char *name, k8s_mutate_fn mutate, void *arg,
	       json_t **out, k8s_error *err);

/* Raw request for anything else. `path` starts with '/' and may carry a
 * query string; body may be NULL; content_type NULL means
 * application/json. *out (may be NULL) is the parsed reply (JSON null for
 * an empty body). Same retry/error handling as the typed operations. */
int k8s_request(k8s_client *c, const char *method, const char *path,
		const char *content_type, const json_t *body, json_t **out,
		k8s_error *err);

/* ---- discovery --------------------------------------------------------- */

/* Served versions of `group` from GET /apis (cached for the client's life).
 * *versions is a new JSON array of strings in the server's order, the
 * preferred version first. Not served -> K8S_E_NOTSERVED. */
int k8s_group_versions(k8s_client *c, const char *group, json_t **versions,
		       k8s_error *err);

/* Resolve `kind` in `group` to a served version and plural via
 * GET /apis and /apis/{g}/{v} (cached). `prefer` is a NULL-terminated list
 * of versions in preference order (NULL: the server's preferred version,
 * then the others). Output strings are owned by the client. */
int k8s_resolve(k8s_client *c, const char *group, const char *kind,
		const char *const *prefer, k8s_gvr *out, k8s_error *err);

/* Everything the k8s_* resources use, discovered once (thread-safe, cached
 * on success). CAPI core/controlplane/bootstrap prefer v1beta2 then
 * v1beta1 (one version is used for all three: `capi_version`); CAPN must
 * serve v1alpha2. Fails with K8S_E_NOTSERVED and a message naming the
 * server URL and what to install, e.g. "the management cluster at URL does
 * not serve cluster.x-k8s.io: install Cluster API (clusterctl init
 * --infrastructure lxd) ...". */
typedef struct k8s_capi {
	const char *capi_version;     /* "v1beta2" or "v1beta1" */
	k8s_gvr cluster;              /* cluster.x-k8s.io */
	k8s_gvr machine_deployment;
	k8s_gvr machine_set;
	k8s_gvr machine;
	k8s_gvr kubeadm_control_plane; /* controlplane.cluster.x-k8s.io */
	k8s_gvr kubeadm_config_template; /* bootstrap.cluster.x-k8s.io */
	k8s_gvr kubeadm_config;
	k8s_gvr lxc_cluster;          /* infrastructure.cluster.x-k8s.io */
	k8s_gvr lxc_machine_template;
	k8s_gvr lxc_machine;
} k8s_capi;
int k8s_capi_discover(k8s_client *c, const k8s_capi **out, k8s_error *err);

/* ---- errors ------------------------------------------------------------ */

/* Human name of a code, e.g. "not found". */
const char *k8s_code_str(int code);

/* Render err as diagnostic detail text: the message, "(reason Invalid,
 * HTTP 422)", one line per cause ("spec.replicas: must be odd"), the
 * request, and a hint for 401/403/unavailable/not-served. Writes into buf
 * (always NUL-terminated when len > 0); returns buf. */
const char *k8s_error_text(const k8s_error *err, char *buf, size_t len);

/* Add an error diagnostic with `summary` (e.g. "Cannot create Cluster
 * default/a") and k8s_error_text() as detail. path may be NULL. */
void k8s_diag(tf_diags *d, const tf_path *path, const char *summary,
	      const k8s_error *err);

#endif
