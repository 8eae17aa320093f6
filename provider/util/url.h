/* URL pieces. */
#ifndef UTIL_URL_H
#define UTIL_URL_H

#include <stdbool.h>

/* Percent-encode s for a path segment or a query value: every byte but the
 * unreserved ones (RFC 3986: ALPHA DIGIT - . _ ~) becomes %XX. Malloc'd;
 * NULL when out of memory. */
char *util_url_escape(const char *s);

/* Whether s starts with "https://" or "http://" (nothing else checked). */
bool util_url_is_http(const char *s);

#endif
