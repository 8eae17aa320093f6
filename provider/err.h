/* One error model for every layer below the resources: the HTTP transport
 * (provider/http), the LXD client (provider/lxd/client*.c), the Kubernetes
 * client and kubeconfig reader (provider/k8s/k8s_client*, kubeconfig.c).
 *
 * A function that can fail returns int: TFP_OK (0) or a negative tfp_code,
 * and, when the caller passes one, fills a tfp_error with what a user needs
 * (the server's own message verbatim, the HTTP status, Kubernetes Status
 * details). Output parameters are written only on success.
 *
 * Nothing below the resources builds a Terraform diagnostic: the resource
 * layer turns a tfp_error into one (lxd_diag in provider/lxd/lxd_common.c,
 * k8s_diag in provider/k8s/k8s_res.c), adding which resource and attribute
 * it concerns and what to do. schema/ keeps its own TF_E_* codes (it knows
 * nothing of servers); their numbers are the first five below. */
#ifndef TFP_ERR_H
#define TFP_ERR_H

#include <stdbool.h>
#include <stddef.h>

typedef enum tfp_code {
	TFP_OK = 0,
	TFP_E_NOMEM = -1, /* allocation failed */
	TFP_E_INVALID =
		-2,       /* bad request or input: 400, 415, 422, bad options */
	TFP_E_LIMIT = -3, /* a hard bound was exceeded */
	TFP_E_TYPE = -4,  /* (schema/ only) */
	TFP_E_NOTFOUND = -5, /* 404 */
	TFP_E_CONFLICT = -6, /* 409 write conflict (stale resourceVersion) */
	TFP_E_EXISTS =
		-7, /* already exists (409 AlreadyExists, LXD's message) */
	TFP_E_PRECONDITION = -8, /* 412: ETag / If-Match mismatch */
	TFP_E_UNAUTHORIZED = -9, /* 401 */
	TFP_E_FORBIDDEN = -10,   /* 403, or not trusted */
	TFP_E_UNAVAILABLE =
		-11,         /* cannot connect; 429/502/503/504 after retries */
	TFP_E_SERVER = -12,  /* 500 and failed server-side operations */
	TFP_E_TIMEOUT = -13, /* a request or wait bound was exceeded */
	TFP_E_CANCELLED = -14, /* the stop flag (Terraform's StopProvider) */
	TFP_E_PROTOCOL = -15,  /* malformed or oversized answer */
	TFP_E_TLS = -16,       /* certificate / pin verification failed */
	TFP_E_CONFIG = -17,    /* client settings unusable (kubeconfig, ...) */
	TFP_E_CREDENTIALS = -18, /* exec plugin or token file failed */
	TFP_E_GONE = -19,        /* 410 (expired list continue token) */
	TFP_E_NOTSERVED = -20, /* discovery: an API group/kind is not served */
} tfp_code;

#define TFP_ERRMSG_MAX 1024
#define TFP_MAX_CAUSES 8

/* One cause of a failure (Kubernetes Status details.causes[]). */
typedef struct tfp_cause {
	char field[160]; /* e.g. "spec.replicas"; "" when absent */
	char reason[64]; /* e.g. "FieldValueInvalid" */
	char message[256];
} tfp_cause;

typedef struct tfp_error {
	int code;             /* tfp_code */
	int http_status;      /* 0 when no HTTP answer came */
	bool outcome_unknown; /* the request may or may not have taken effect */
	char reason[64]; /* machine reason (Kubernetes Status.reason) or "" */
	char message[TFP_ERRMSG_MAX]; /* the server's message or the transport's */
	char request[256];            /* "METHOD PATH" for context, or "" */
	tfp_cause causes[TFP_MAX_CAUSES];
	size_t ncauses;
} tfp_error;

/* Record a failure in err (when not NULL): code, HTTP status (0: none)
 * and a printf-style message, cut to fit on a UTF-8 boundary. The reason,
 * the causes and outcome_unknown are cleared; `request` is kept (the
 * operation sets it first, see tfp_err_request). Returns code, so
 * `return tfp_err_set(err, TFP_E_INVALID, 0, "...");` reads as one step. */
int tfp_err_set(tfp_error *err, int code, int http_status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Start an operation: clear err (when not NULL) and set its request
 * context to "METHOD PATH" (cut on a UTF-8 boundary). */
void tfp_err_request(tfp_error *err, const char *method, const char *path);

/* Human name of a code, e.g. "not found". Never NULL. */
const char *tfp_code_str(int code);

/* Did the failed request perhaps take effect anyway? NULL-tolerant. */
bool tfp_err_outcome_unknown(const tfp_error *err);

#endif
