/* Reading Kubernetes objects (jansson trees) along dotted paths, and
 * growing malloc'd text (condition reports, "why not ready" reasons).
 * Pure; a leaf of provider/k8s. */
#ifndef K8S_JSON_H
#define K8S_JSON_H

#include <jansson.h>

/* JSON helpers: json_object_get along a dotted path ("spec.template.spec"). */
json_t *k8s_jget(const json_t *obj, const char *dotted);
const char *k8s_jstr(const json_t *obj, const char *dotted);
/* Integer at path or `dflt`. */
long k8s_jint(const json_t *obj, const char *dotted, long dflt);

/* Append printf text to *buf (malloc'd, grown; NULL starts a new one). On
 * allocation failure *buf is left as it was. */
void k8s_appendf(char **buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
