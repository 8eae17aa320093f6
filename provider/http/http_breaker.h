/* The "server not answering" breaker of one http_client.
 *
 * CLOSED: every attempt goes ahead. trip() (a request timed out with the
 * connection open, or a request spent its whole retry budget on refused
 * connections) opens it with the class and message of that failure; while
 * OPEN, admission fails at once with exactly that class and message, so a
 * burst of requests to a frozen server costs one request timeout, not one
 * per request. Requests already in flight are not interrupted: they end at
 * their own timeout. After `cooldown_ms` one attempt is let through as a
 * probe (PROBING; the others still fail fast): an answer closes the
 * breaker, another trip re-opens it for a new cooldown, anything else
 * (cancelled, out of memory) lets the next attempt probe.
 *
 * Any answer from the server, from any attempt, closes it.
 *
 * Thread-safe (one mutex); time is passed in, so tests drive it directly.
 * Functions return nothing that needs freeing. */
#ifndef TFP_HTTP_BREAKER_H
#define TFP_HTTP_BREAKER_H

#include <pthread.h>
#include <stdbool.h>

#include "provider/http/http.h"

typedef enum http_breaker_state {
	HTTP_BREAKER_CLOSED = 0,
	HTTP_BREAKER_OPEN,
	HTTP_BREAKER_PROBING,
} http_breaker_state;

typedef struct http_breaker {
	pthread_mutex_t lock;
	http_breaker_state state;
	long long opened_at_ms;
	long cooldown_ms;
	int cls;                      /* http_class that opened it */
	char message[TFP_ERRMSG_MAX]; /* its message, repeated verbatim */
	unsigned long trips;
	unsigned long fast_fails;
} http_breaker;

/* 0, or -1 when the mutex cannot be created. */
int http_breaker_init(http_breaker *b, long cooldown_ms);
void http_breaker_destroy(http_breaker *b);

/* May an attempt start at now_ms? true: go ahead (*probe tells whether it
 * is the half-open probe; pass it to release()). false: fail fast; err (if
 * not NULL) receives the opening failure's code and message (outcome
 * unknown cleared), fate (if not NULL) its class, fast_fail set and sent
 * cleared. */
bool http_breaker_admit(http_breaker *b, long long now_ms, bool *probe,
			tfp_error *err, http_fate *fate);
/* The server answered (any HTTP status): close. */
void http_breaker_answered(http_breaker *b);
/* Open (or re-open) with this failure; message is copied (truncated). */
void http_breaker_trip(http_breaker *b, long long now_ms, int cls,
		       const char *message);
/* A probe ended without an answer and without a trip: let another attempt
 * probe. No-op unless probe is true and the state is PROBING. */
void http_breaker_release(http_breaker *b, bool probe);

http_breaker_state http_breaker_get(http_breaker *b);
unsigned long http_breaker_trips(http_breaker *b);
unsigned long http_breaker_fast_fails(http_breaker *b);

#endif
