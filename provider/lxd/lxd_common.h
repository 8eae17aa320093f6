/* Helpers shared by the lxd_* resources: LXD errors as diagnostics, server
 * facts (clustered, members, drivers) and jansson <-> tf_value for the
 * string maps LXD uses for config. */
#ifndef LXD_COMMON_H
#define LXD_COMMON_H

#include <stdbool.h>

#include <jansson.h>

#include "../../schema/diag.h"
#include "../../schema/value.h"
#include "../resource.h"
#include "client.h"

/* Add an error diagnostic for a failed LXD call: summary as given, detail
 * "<what>: <LXD's message>" plus a hint for common codes. `path` may be
 * NULL. */
void lxd_diag(tf_diags *d, const tf_path *path, const char *summary,
	      const tfp_error *err, const char *what_fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Could the failed request have taken effect anyway (no answer came
 * back)? The transport's verdict (tfp_err_outcome_unknown), and a request
 * cancelled by StopProvider while in flight. Resources then read back what
 * happened, and record partial state when they cannot. */
bool lxd_outcome_unknown(const tfp_error *err);

/* The client from a handler context, or NULL with an error diagnostic. */
lxd_client *lxd_ctx_client(tfp_ctx *ctx, tf_diags *d);
/* The client for a handler and the `name` of `obj` (borrowed): NULL when
 * the provider is not configured (error added) or the name is missing
 * (nothing to do). */
lxd_client *lxd_ctx_named(tfp_ctx *ctx, const tf_value *obj, const char **name,
			  tf_diags *d);

/* environment.server_clustered from GET /1.0. */
int lxd_is_clustered(lxd_client *c, bool *clustered, tfp_error *err);
/* Names of the cluster members (new JSON array of strings). */
int lxd_member_names(lxd_client *c, json_t **names, tfp_error *err);
/* Is `driver` listed in environment.storage_supported_drivers? On success
 * *supported_list is a malloc'd ", "-joined list of supported names. */
int lxd_driver_supported(lxd_client *c, const char *driver, bool *ok,
			 char **supported_list, tfp_error *err);

/* Does the server have API extension `ext`, which `feature` (on attribute
 * `attr`, may be NULL) needs? When it does not, adds a plan-time error
 * naming the server (kind and version), the feature and the extension,
 * and returns false. An unreachable server returns true: the plan's other
 * reads report that. */
bool lxd_require_extension(lxd_client *c, const char *ext, const char *attr,
			   const char *feature, tf_diags *d);

/* LXD config object -> map(string) value (non-string values are rendered
 * as JSON text). `keep(key, arg)` filters keys (NULL keeps all). */
typedef bool (*lxd_key_filter)(const char *key, const json_t *value, void *arg);
tf_value *lxd_config_to_map(const json_t *obj, lxd_key_filter keep, void *arg);
/* map(string) value -> new JSON object (NULL/null/unknown map -> empty
 * object). */
json_t *lxd_map_to_config(const tf_value *map);
/* The last segment of "/1.0/xxx/<name>" (borrowed pointer into url). */
const char *lxd_url_basename(const char *url);

/* Listing (tfp_resource.list) a collection whose elements are objects of
 * a resource keyed by name alone (import ID = name): pass
 * lxd_list_by_name and a filled lxd_name_lister to lxd_each_at. Each
 * element with a non-empty string member `key` goes to tfp_list_object
 * with a stub holding only `name`; `what` ("Listing storage pools")
 * names the work in an out-of-memory error. Everything is borrowed. */
typedef struct lxd_name_lister {
	tfp_ctx *ctx;
	tfp_lister *l;
	tf_diags *d;
	const char *key;
	const char *what;
	void (*import)(tfp_ctx *, const char *, tf_value **, tf_diags *);
	void (*read)(tfp_ctx *, const tf_value *, tf_value **, tf_diags *);
} lxd_name_lister;

int lxd_list_by_name(const json_t *item, void *arg);

#endif
