/* Idle libcurl easy handles of one HTTP client (http_handles.c).
 *
 * An exchange takes a handle, sets it up from scratch (curl_easy_reset
 * keeps the handle's open connection) and gives it back when the answer was
 * complete, so the next exchange of the same client reuses the connection
 * (HTTP/1.1 keep-alive, no new TLS handshake) instead of opening one per
 * request. A handle is used by one thread at a time; the list is guarded by
 * a mutex. At most HTTP_IDLE_MAX handles are kept, each holding at most one
 * connection (CURLOPT_MAXCONNECTS 1). */
#ifndef TFP_HTTP_HANDLES_H
#define TFP_HTTP_HANDLES_H

#include <pthread.h>
#include <stdbool.h>

#define HTTP_IDLE_MAX 16 /* Terraform's default parallelism is 10 */

typedef struct http_handles {
	pthread_mutex_t lock;
	void *idle[HTTP_IDLE_MAX]; /* CURL * */
	int n;
} http_handles;

/* 0, or -1 when the mutex cannot be made. */
int http_handles_init(http_handles *p);

/* An idle handle (options at libcurl's defaults, its connection kept), or
 * a new one; NULL when libcurl cannot make one. The caller owns it until
 * http_handles_put. */
void *http_handles_get(http_handles *p);

/* Give a handle back: kept for reuse when `keep` (the exchange ended with a
 * complete answer) and there is room, with its options reset, else cleaned
 * up (its connection closed). h may be NULL. */
void http_handles_put(http_handles *p, void *h, bool keep);

/* Clean up every idle handle and the mutex. */
void http_handles_destroy(http_handles *p);

#endif
