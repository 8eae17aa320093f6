/* Internals shared by provider/lxd/client.c (setup, server info) and
 * provider/lxd/client_request.c (requests, envelopes, operations). */
#ifndef LXD_CLIENT_INTERNAL_H
#define LXD_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <jansson.h>

#include "provider/http/http.h"
#include "provider/lxd/client.h"

struct lxd_client {
	http_client *http;       /* transport: retries, breaker, TLS */
	char *project;
	long request_timeout_ms;
	long operation_timeout_s;
	atomic_int *stop;
	lxd_transport_fn transport; /* tests only, behind the HTTP layer */
	void *transport_ud;

	pthread_mutex_t info_lock; /* guards info */
	json_t *info;              /* cached GET /1.0 metadata */
	json_t *info_retired;      /* forgotten infos, kept alive (borrowed
				    * pointers may still be in use) until
				    * lxd_client_free */
};

/* Record a failure in the optional err (outcome_unknown cleared) and
 * return code. The message is cut on a UTF-8 boundary. */
int lxd__set_err(lxd_error *err, int code, int http_status, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

/* Is the stop flag raised? */
bool lxd__stopped(const lxd_client *c);

/* The LXD answer classification for the HTTP layer's retry policy
 * (http_classify_fn; ud unused). */
http_answer lxd__classify(void *ud, const http_request *req,
			  const http_response *resp);

/* The test transport behind the HTTP layer (http_transport_fn; ud is the
 * lxd_client). */
int lxd__transport(void *ud, const http_request *req, http_response *resp);

#endif
