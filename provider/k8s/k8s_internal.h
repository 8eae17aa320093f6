/* Private to the Kubernetes client. Files, each using only those below it
 * (make lint checks it):
 *   k8s_discovery.c  API discovery, the Cluster API / CAPN type set
 *   k8s_ops.c        typed operations, paths, LIST pages, update loop
 *   k8s_request.c    k8s_request: credentials attached, 401 refresh, the
 *                    create-id check, Status errors, JSON answers
 *   k8s_client.c     set-up (onto provider/http), the test transport
 *   k8s_creds.c      what a request authenticates with: token, token file,
 *                    exec plugin (cached), client certificate
 *   k8s_errors.c     what Kubernetes answers mean: Status -> tfp_error,
 *                    retryable answers
 *   k8s_exec.c       the exec plugin protocol (leaf) */
#ifndef K8S_INTERNAL_H
#define K8S_INTERNAL_H

#include <pthread.h>
#include <time.h>

#include "../http/http.h"
#include "k8s_client.h"
#include "k8s_exec.h"

/* Credentials and their caches, guarded by lock. exec_lock serialises
 * plugin runs (held while running; never taken while holding lock). */
typedef struct k8s_creds {
	bool ready;  /* k8s__creds_init got as far as its locks */
	char *token; /* SECRET: static token */
	char *token_file;
	kc_exec *exec;         /* deep copy, or NULL */
	k8s_exec_ctx exec_ctx; /* points into the client */
	const char *user_name; /* for messages (the client's) */
	const char *source;
	pthread_mutex_t lock;
	pthread_mutex_t exec_lock;
	k8s_exec_cred exec_cred;
	bool have_exec_cred;
	unsigned exec_generation; /* bumped on every plugin run */
	char *file_token;         /* SECRET: last read of token_file */
	time_t file_token_read;
} k8s_creds;

struct k8s_client {
	http_client *http;     /* transport: TLS, retries, breaker */
	char *server;          /* as in the kubeconfig, no trailing '/' */
	char *tls_server_name; /* these three for exec plugins' cluster info */
	char *ca_pem;
	size_t ca_len;
	bool insecure;
	char *source; /* kubeconfig source, for messages */
	char *context;
	char *user_name;
	char *namespace;
	char *field_manager;
	atomic_int *stop;
	k8s_transport_fn transport; /* tests only, behind the HTTP layer */
	void *transport_ud;
	char **warnings;
	size_t nwarnings;
	k8s_creds creds;

	/* Discovery cache, guarded by disc_lock. */
	pthread_mutex_t disc_lock;
	json_t *apis;     /* GET /apis reply */
	json_t *gv_lists; /* object: "group/version" -> APIResourceList */
	json_t *strings;  /* array keeping resolved strings alive */
	k8s_capi capi;
	bool have_capi;
};

/* ---- k8s_creds.c --------------------------------------------------------- */

/* What one request authenticates with: copies, wiped by k8s__auth_done. */
typedef struct k8s_auth {
	char *header;   /* "Authorization: Bearer ...", or NULL */
	char *cert_pem; /* an exec plugin's client certificate, or NULL */
	char *key_pem;
	unsigned generation; /* exec generation these came from */
	bool refreshable;    /* a 401 may be cured by reading them again */
} k8s_auth;

/* Set up c->creds from the kubeconfig (copies; contacts nothing), after
 * the client's strings. k8s__creds_done undoes it, also a failed one, and
 * does nothing for zeroed creds. */
int k8s__creds_init(k8s_client *c, const kubeconfig *kc, tfp_error *err);
void k8s__creds_done(k8s_creds *cr);

/* The credentials of the next request. `refresh`: the previous ones got a
 * 401 (the exec plugin runs again unless another thread already refreshed
 * generation `stale_gen`; the token file is read again).
 * TFP_E_CREDENTIALS naming the source; TFP_E_CANCELLED; TFP_E_NOMEM. */
int k8s__auth(k8s_client *c, bool refresh, unsigned stale_gen, k8s_auth *a,
	      tfp_error *err);
void k8s__auth_done(k8s_auth *a);

/* ---- k8s_errors.c -------------------------------------------------------- */

/* Fill err from a non-2xx answer (a Status body, or raw text) and return
 * the code: http_status_code, 409 AlreadyExists TFP_E_EXISTS. */
int k8s__status_error(int http_status, const char *body, size_t len,
		      tfp_error *err);

/* The retry classification of an answer (http_classify_fn): the stock one,
 * plus a 500 "failed calling webhook" (a webhook not up yet) transient. */
http_answer k8s__classify(void *ud, const http_request *req,
			  const http_response *resp);

#endif
