/* Per-client breaker (see http_breaker.h). */
#include "provider/http/http_breaker.h"
#include "provider/http/http_internal.h"

#include <stdio.h>
#include <string.h>

int http_breaker_init(http_breaker *b, long cooldown_ms)
{
	memset(b, 0, sizeof(*b));
	b->cooldown_ms = cooldown_ms > 0 ? cooldown_ms : 0;
	return pthread_mutex_init(&b->lock, NULL) == 0 ? 0 : -1;
}

void http_breaker_destroy(http_breaker *b)
{
	if (b)
		pthread_mutex_destroy(&b->lock);
}

bool http_breaker_admit(http_breaker *b, long long now_ms, bool *probe,
			tfp_error *err, http_fate *fate)
{
	bool go = true;

	*probe = false;
	pthread_mutex_lock(&b->lock);
	switch (b->state) {
	case HTTP_BREAKER_CLOSED: break;
	case HTTP_BREAKER_OPEN:
		if (now_ms - b->opened_at_ms >= b->cooldown_ms) {
			b->state = HTTP_BREAKER_PROBING;
			*probe = true;
			break;
		}
		go = false;
		break;
	case HTTP_BREAKER_PROBING: go = false; break;
	}
	if (!go) {
		b->fast_fails++;
		http__fail(err, fate, b->cls, false, "%s", b->message);
		if (fate)
			fate->fast_fail = true;
	}
	pthread_mutex_unlock(&b->lock);
	return go;
}

void http_breaker_answered(http_breaker *b)
{
	pthread_mutex_lock(&b->lock);
	b->state = HTTP_BREAKER_CLOSED;
	pthread_mutex_unlock(&b->lock);
}

void http_breaker_trip(http_breaker *b, long long now_ms, int cls,
		       const char *message)
{
	pthread_mutex_lock(&b->lock);
	/* Requests in flight when it opened end one after another: keep the
	 * first failure's text so every fast failure repeats it. */
	if (b->state != HTTP_BREAKER_OPEN) {
		b->trips++;
		b->cls = cls;
		snprintf(b->message, sizeof(b->message), "%s",
			 message ? message : "");
	}
	b->state = HTTP_BREAKER_OPEN;
	b->opened_at_ms = now_ms;
	pthread_mutex_unlock(&b->lock);
}

void http_breaker_release(http_breaker *b, bool probe)
{
	if (!probe)
		return;
	pthread_mutex_lock(&b->lock);
	if (b->state == HTTP_BREAKER_PROBING)
		b->state = HTTP_BREAKER_OPEN;
	pthread_mutex_unlock(&b->lock);
}

http_breaker_state http_breaker_get(http_breaker *b)
{
	http_breaker_state s;

	pthread_mutex_lock(&b->lock);
	s = b->state;
	pthread_mutex_unlock(&b->lock);
	return s;
}

/* *counter of b, read under its lock. */
static unsigned long locked_count(http_breaker *b, const unsigned long *counter)
{
	unsigned long n;

	pthread_mutex_lock(&b->lock);
	n = *counter;
	pthread_mutex_unlock(&b->lock);
	return n;
}

unsigned long http_breaker_trips(http_breaker *b)
{
	return locked_count(b, &b->trips);
}

unsigned long http_breaker_fast_fails(http_breaker *b)
{
	return locked_count(b, &b->fast_fails);
}
