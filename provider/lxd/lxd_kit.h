/* The lxd_* resource kit: what the lxd_* resource and data source files
 * share, written once. A new resource needs its own file (schema table,
 * handlers, the tfp_resource row) and one row in lxd_provider.c; these
 * helpers cover the rest:
 *  - request paths with escaped segments (lxd_url) and requests whose path
 *    is built on the spot (lxd_get_at, lxd_send_at, lxd_update_at);
 *  - LXD JSON -> tf_value (lxd_jstr, lxd_strings, lxd_config_value);
 *  - small list/array helpers (lxd_in_list, lxd_json_has, lxd_join);
 *  - planned values as state (lxd_known_or_null).
 * Ownership: char *, json_t * and tf_value * results are new (free,
 * json_decref, tf_value_unref); arguments are borrowed unless named `take`.
 * No function here adds diagnostics. */
#ifndef LXD_KIT_H
#define LXD_KIT_H

#include <stdbool.h>

#include <jansson.h>

#include "../../schema/value.h"
#include "client.h"

/* ---- paths and requests ----------------------------------------------- */

/* prefix + escaped `segment` (NULL: none) + suffix (NULL: none), then
 * "?<qkey>=<escaped qval>" when qval is not NULL:
 *   lxd_url("/1.0/storage-pools/", name, NULL, "target", member)
 *   lxd_url("/1.0/cluster/members/", name, "/state", NULL, NULL)
 * prefix and suffix are copied as they are. NULL when out of memory. */
char *lxd_url(const char *prefix, const char *segment, const char *suffix,
	      const char *qkey, const char *qval);

/* lxd_get / lxd_request / lxd_update_etag on a path that is `take`n (freed
 * here; NULL means it could not be built: TFP_E_NOMEM in the return value
 * and *err, nothing sent).
 * lxd_send_at discards the answer (a DELETE, a PUT, a POST whose answer is
 * not needed); `body` may be NULL. */
int lxd_get_at(lxd_client *c, char *take_path, json_t **metadata, char **etag,
	       tfp_error *err);
int lxd_send_at(lxd_client *c, const char *method, char *take_path,
		const json_t *body, tfp_error *err);
int lxd_update_at(lxd_client *c, char *take_path, lxd_mutate_fn mutate,
		  void *arg, tfp_error *err);

/* GET a collection with ?recursion=1 (`take_path` carries the query) and
 * call fn on each element in the server's order; each element is freed
 * once fn returned, so only the parsed answer is held, never anything
 * built from it. fn returns 0 to go on, non-zero to stop (no error).
 * An answer that is not an array is TFP_E_PROTOCOL. */
int lxd_each_at(lxd_client *c, char *take_path,
		int (*fn)(const json_t *item, void *arg), void *arg,
		tfp_error *err);

/* The HTTPS settings of `o` from an object with the attributes
 * client_certificate, client_key, server_certificate, server_fingerprint
 * and insecure_skip_verify (the provider block, lxd_node's join_target).
 * Strings are borrowed from `obj`. */
void lxd_tls_opts(lxd_client_opts *o, const tf_value *obj);

/* ---- LXD JSON -> values ------------------------------------------------ */

/* The string member `k` of `o`, or "" when absent or not a string
 * (borrowed). */
const char *lxd_jstr(const json_t *o, const char *k);

/* A config value as state text: strings as they are, anything else (LXD
 * 5.0 sends only strings; be lenient) as compact JSON. */
tf_value *lxd_config_value(const json_t *v);

/* How lxd_strings reads and builds. */
typedef struct lxd_strings_opts {
	const char *field; /* elements are objects: take this member */
	bool sorted;       /* byte order; otherwise the array's order */
	bool set;          /* set(string) instead of list(string) */
	/* Keep only the strings this accepts (NULL: all). */
	bool (*keep)(const char *s);
} lxd_strings_opts;

/* list(string) (or set) of the strings of a JSON array (non-strings are
 * skipped); `o` may be NULL for a plain list. NULL when out of memory. */
tf_value *lxd_strings(const json_t *arr, const lxd_strings_opts *o);

/* ---- lists ------------------------------------------------------------- */

/* Is `s` one of the NULL-terminated `list`? */
bool lxd_in_list(const char *s, const char *const *list);

/* Does the JSON array hold the string `s`? */
bool lxd_json_has(const json_t *arr, const char *s);

/* The strings of a JSON array joined by ", " (elements that are objects:
 * their member `field`, when field is not NULL; non-strings skipped).
 * Malloc'd ("" for none), NULL when out of memory. */
char *lxd_join(const json_t *arr, const char *field);

/* ---- planned values ---------------------------------------------------- */

/* `v` when it is known, else NULL (null in the state): an optional+computed
 * attribute the configuration left unset is planned unknown; a state
 * written from the plan records it as null. */
const tf_value *lxd_known_or_null(const tf_value *v);

#endif
