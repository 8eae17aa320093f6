/* Retry policy of the HTTP layer, as pure functions (no clock, no I/O,
 * no randomness of their own): unit-tested directly, used by http_send().
 *
 * Which failures are retried for which methods:
 *
 *   failure of one attempt       safe/idempotent      not idempotent (POST)
 *   ---------------------------  -------------------  ----------------------
 *   never sent (refused, ...)    retry                retry
 *   rejected answer (429, LXD    retry                retry
 *     "setup in progress")
 *   transient answer (502/503/   retry                verify, else give up
 *     504, database not ready)                        (outcome unknown)
 *   sent, no answer (reset/EOF)  retry                verify, else give up
 *                                                     (outcome unknown)
 *   timed out                    give up (the server is frozen: the
 *                                breaker opens, retrying would only wait)
 *   anything else                give up
 *
 * Safe/idempotent methods: GET, HEAD, OPTIONS, PUT, PATCH, DELETE (LXD's
 * PATCH merges keys, so repeating it converges). Anything else, POST
 * included, is not idempotent.
 *
 * Delays: a ceiling of min(cap, base * 2^retry) with full jitter (uniform
 * in [0, ceiling]; LXD) or equal jitter (half the ceiling plus up to the
 * other half; Kubernetes, as client-go). A Retry-After replaces the backoff
 * (the server said when); one above max_retry_after_ms gives up, or with
 * retry_after_capped waits max_retry_after_ms. The next attempt must start
 * within the retry budget (counted from the first attempt) and, with
 * max_retries, be at most the max_retries-th retry; else the request gives
 * up. Each client states its settings once (its http_client_opts). */
#ifndef TFP_HTTP_POLICY_H
#define TFP_HTTP_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "provider/http/http.h"

typedef enum http_method_kind {
	HTTP_METHOD_IDEMPOTENT = 0, /* GET HEAD OPTIONS PUT PATCH DELETE */
	HTTP_METHOD_UNSAFE,         /* POST and anything unknown */
} http_method_kind;

http_method_kind http_method_kind_of(const char *method);

/* What one attempt ended with, as the policy sees it. */
typedef enum http_failure {
	HTTP_F_NOT_SENT = 0,
	HTTP_F_REJECTED,
	HTTP_F_TRANSIENT,
	HTTP_F_NO_ANSWER,
	HTTP_F_TIMEOUT,
	HTTP_F_FINAL,
} http_failure;

typedef enum http_action {
	HTTP_ACT_GIVE_UP = 0,
	HTTP_ACT_RETRY,
	HTTP_ACT_VERIFY, /* ask the verify hook; without one, give up with the
			  * outcome unknown */
} http_action;

http_action http_policy_action(http_method_kind m, http_failure f);

/* Full-jitter backoff before retry number `retry` (0 for the first retry):
 * a value in [0, min(cap_ms, base_ms << retry)] drawn from `rnd` (any
 * 64-bit value, e.g. from a PRNG). Never negative; base/cap <= 0 give 0. */
long http_backoff_ms(long base_ms, long cap_ms, unsigned retry, uint64_t rnd);
/* Equal-jitter backoff: in [ceiling / 2, ceiling] for the same ceiling;
 * rnd 0 gives ceiling / 2, rnd ceiling / 2 gives the ceiling. */
long http_backoff_equal_ms(long base_ms, long cap_ms, unsigned retry,
			   uint64_t rnd);

typedef struct http_policy_cfg {
	long budget_ms;       /* < 0: no retries at all */
	unsigned max_retries; /* 0: no limit but the budget */
	long backoff_base_ms;
	long backoff_cap_ms;
	http_jitter jitter;
	long max_retry_after_ms; /* a longer Retry-After gives up at once... */
	bool retry_after_capped; /* ...or, when set, waits this long */
} http_policy_cfg;

/* Delay before retry number `retry` (0 for the first), or -1 to give up:
 * when the budget is negative, when retry reaches max_retries (when set),
 * when a Retry-After (retry_after_ms >= 0; -1 for none) exceeds
 * max_retry_after_ms and is not capped, or when elapsed_ms + delay would
 * reach budget_ms. The delay is the Retry-After when there is one, else
 * the jittered backoff. */
long http_policy_delay(const http_policy_cfg *cfg, unsigned retry,
		       long elapsed_ms, long retry_after_ms, uint64_t rnd);

/* Milliseconds to wait from a Retry-After header value, relative to `now`
 * (seconds since the epoch): delta-seconds ("120") or an IMF-fixdate
 * ("Sun, 06 Nov 1994 08:49:37 GMT"); a past date gives 0. Returns -1 for
 * NULL, anything longer than 64 bytes, signs, inner spaces, other date
 * formats, out-of-range fields, or a delay above one day. Leading and
 * trailing spaces/tabs are ignored. Total on any input. */
long http_retry_after_ms(const char *value, time_t now);

#endif
