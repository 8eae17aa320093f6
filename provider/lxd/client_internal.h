/* Internals of the LXD client. Files, each using only those below it
 * (make lint checks it):
 *   client_info.c       the cached GET /1.0 and member list
 *   client_request.c    requests: project, sync/async envelopes, verified
 *                       POSTs, ETag read-modify-write
 *   client_operation.c  waiting for async operations
 *   client.c            set-up: unix socket or pinned HTTPS, path escaping
 *   client_http.c       LXD over provider/http: one request, which answers
 *                       mean "not ready", the test transport, answers to
 *                       codes, envelopes, operation states */
#ifndef LXD_CLIENT_INTERNAL_H
#define LXD_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <jansson.h>

#include "provider/http/http.h"
#include "provider/lxd/client.h"

struct lxd_client {
	http_client *http; /* transport: retries, breaker, TLS */
	char *project;
	long request_timeout_ms;
	long operation_timeout_s;
	atomic_int *stop;
	lxd_transport_fn transport; /* tests only, behind the HTTP layer */
	void *transport_ud;

	pthread_mutex_t info_lock; /* guards info and members */
	json_t *info;              /* cached GET /1.0 metadata */
	json_t *members;           /* cached GET /1.0/cluster/members */
	json_t *info_retired;      /* forgotten infos, kept alive (borrowed
				    * pointers may still be in use) until
				    * lxd_client_free */
};

/* Is the stop flag raised? */
static inline bool lxd__stopped(const lxd_client *c)
{
	return c->stop && atomic_load(c->stop) != 0;
}

/* Printable ASCII without spaces: what a request path may hold. */
static inline bool lxd__path_ok(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

/* ---- client_http.c ------------------------------------------------------ */

/* The LXD answer classification for the HTTP layer's retry policy
 * (http_classify_fn; ud unused). */
http_answer lxd__classify(void *ud, const http_request *req,
			  const http_response *resp);

/* The test transport behind the HTTP layer (http_transport_fn; ud is the
 * lxd_client). */
int lxd__transport(void *ud, const http_request *req, http_response *resp);

/* A verify callback of lxd_request_verify, for the HTTP layer. */
typedef struct lxd_verify {
	lxd_client *c;
	lxd_verify_fn fn;
	void *arg;
} lxd_verify;

/* One request through the HTTP layer (retries, breaker): TFP_OK with
 * *resp, or the transport's failure in err (outcome_unknown included).
 * timeout_ms 0: the client's; vc may be NULL. */
int lxd__send(lxd_client *c, const char *method, const char *path,
	      const char *body, const char *if_match, long timeout_ms,
	      lxd_verify *vc, http_response *resp, tfp_error *err);

/* The code of an LXD error (an HTTP status, or an envelope's error_code)
 * and its message (may be NULL). */
int lxd__status_code(int status, const char *msg);

/* Parse a reply body into a JSON object (*root, new reference). A non-JSON
 * error reply is mapped by its HTTP status with the text as message. */
int lxd__decode(const http_response *r, json_t **root, tfp_error *err);

/* The failure an error envelope describes (always negative). */
int lxd__error_envelope(const json_t *root, int http_status, tfp_error *err);

/* An operation object: 1 still running, TFP_OK succeeded, or its failure
 * (err set). */
int lxd__op_state(const json_t *op, int http_status, tfp_error *err);

#endif
