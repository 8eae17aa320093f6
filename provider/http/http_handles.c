/* Idle libcurl easy handles of one client: see http_handles.h. */
#include <curl/curl.h>

#include "provider/http/http_handles.h"

int http_handles_init(http_handles *p)
{
	p->n = 0;
	return pthread_mutex_init(&p->lock, NULL) ? -1 : 0;
}

void *http_handles_get(http_handles *p)
{
	CURL *h = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->n > 0)
		h = p->idle[--p->n];
	pthread_mutex_unlock(&p->lock);
	return h ? h : curl_easy_init();
}

void http_handles_put(http_handles *p, void *h, bool keep)
{
	if (!h)
		return;
	if (keep) {
		/* Options back to the defaults: nothing left pointing at the
		 * finished exchange's buffers; the connection stays open. */
		curl_easy_reset(h);
		pthread_mutex_lock(&p->lock);
		if (p->n < HTTP_IDLE_MAX) {
			p->idle[p->n++] = h;
			h = NULL;
		}
		pthread_mutex_unlock(&p->lock);
	}
	curl_easy_cleanup(h); /* a no-op for NULL */
}

void http_handles_destroy(http_handles *p)
{
	while (p->n > 0)
		curl_easy_cleanup(p->idle[--p->n]);
	pthread_mutex_destroy(&p->lock);
}
