/* Retry policy: pure functions (see http_policy.h for the table). */
#include "provider/http/http_policy.h"

#include <string.h>

http_method_kind http_method_kind_of(const char *method)
{
	static const char *const idempotent[] = {
		"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE",
	};
	size_t i;

	if (!method)
		return HTTP_METHOD_UNSAFE;
	for (i = 0; i < sizeof(idempotent) / sizeof(idempotent[0]); i++)
		if (strcmp(method, idempotent[i]) == 0)
			return HTTP_METHOD_IDEMPOTENT;
	return HTTP_METHOD_UNSAFE;
}

http_action http_policy_action(http_method_kind m, http_failure f)
{
	switch (f) {
	case HTTP_F_NOT_SENT:
	case HTTP_F_REJECTED: return HTTP_ACT_RETRY;
	case HTTP_F_TRANSIENT:
	case HTTP_F_NO_ANSWER:
		return m == HTTP_METHOD_IDEMPOTENT ? HTTP_ACT_RETRY :
						     HTTP_ACT_VERIFY;
	case HTTP_F_TIMEOUT:
	case HTTP_F_FINAL:
	default: return HTTP_ACT_GIVE_UP;
	}
}

/* min(cap_ms, base_ms << retry), saturating without overflowing; 0 for
 * degenerate settings. */
static long backoff_ceiling(long base_ms, long cap_ms, unsigned retry)
{
	long ceil = base_ms;
	unsigned i;

	if (base_ms <= 0 || cap_ms <= 0)
		return 0;
	for (i = 0; i < retry && ceil < cap_ms; i++)
		ceil = ceil > cap_ms / 2 ? cap_ms : ceil * 2;
	return ceil > cap_ms ? cap_ms : ceil;
}

long http_backoff_ms(long base_ms, long cap_ms, unsigned retry, uint64_t rnd)
{
	long ceil = backoff_ceiling(base_ms, cap_ms, retry);

	return (long)(rnd % ((uint64_t)ceil + 1));
}

long http_backoff_equal_ms(long base_ms, long cap_ms, unsigned retry,
			   uint64_t rnd)
{
	long half = backoff_ceiling(base_ms, cap_ms, retry) / 2;

	return half + (long)(rnd % ((uint64_t)half + 1));
}

long http_policy_delay(const http_policy_cfg *cfg, unsigned retry,
		       long elapsed_ms, long retry_after_ms, uint64_t rnd)
{
	long delay;

	if (!cfg || cfg->budget_ms < 0)
		return -1;
	if (cfg->max_retries && retry >= cfg->max_retries)
		return -1;
	if (retry_after_ms > cfg->max_retry_after_ms) {
		if (!cfg->retry_after_capped)
			return -1;
		retry_after_ms = cfg->max_retry_after_ms;
	}
	if (retry_after_ms >= 0)
		delay = retry_after_ms;
	else if (cfg->jitter == HTTP_JITTER_EQUAL)
		delay = http_backoff_equal_ms(cfg->backoff_base_ms,
					      cfg->backoff_cap_ms, retry, rnd);
	else
		delay = http_backoff_ms(cfg->backoff_base_ms,
					cfg->backoff_cap_ms, retry, rnd);
	if (elapsed_ms < 0)
		elapsed_ms = 0;
	if (elapsed_ms >= cfg->budget_ms ||
	    delay >= cfg->budget_ms - elapsed_ms)
		return -1;
	return delay;
}
