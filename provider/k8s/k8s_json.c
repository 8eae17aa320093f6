/* JSON path reads and growing text (see k8s_json.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_json.h"

json_t *k8s_jget(const json_t *obj, const char *dotted)
{
	char key[128];
	const char *p = dotted;
	json_t *cur = (json_t *)obj;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		cur = json_object_get(cur, key);
		p += n + (dot ? 1 : 0);
	}
	return cur;
}

const char *k8s_jstr(const json_t *obj, const char *dotted)
{
	return json_string_value(k8s_jget(obj, dotted));
}

long k8s_jint(const json_t *obj, const char *dotted, long dflt)
{
	json_t *v = k8s_jget(obj, dotted);
	return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

/* Appends printf text to a malloc'd, growing buffer. */
void k8s_appendf(char **buf, const char *fmt, ...)
{
	char *add = NULL, *joined = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&add, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	if (!*buf) {
		*buf = add;
		return;
	}
	if (asprintf(&joined, "%s%s", *buf, add) >= 0) {
		free(*buf);
		*buf = joined;
	}
	free(add);
}
