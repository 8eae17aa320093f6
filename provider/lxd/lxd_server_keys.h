/* Which config keys belong to the server, recorded in private state.
 *
 * An lxd_* `config` map is authoritative: a key added on the server outside
 * Terraform is reported by refresh and shows in the next plan as a removal.
 * Keys the server filled in itself (dir `source`, driver defaults, ...) and
 * keys that were already there when the object was imported must never show
 * up that way. Rather than guessing them from a list per driver, the
 * resource records them when it learns them, in the resource's private
 * state (a JSON object Terraform keeps beside the state and hands back):
 *
 *   {"server_keys": {"<scope>": ["key", ...], ...}}
 *
 * Scope "" is the object's own config; clustered pools add one scope per
 * member (member-specific keys). When:
 *   - create: every live key the plan did not set;
 *   - import: every live key (a minimal configuration then plans empty);
 *   - update: the recorded keys and the keys the user stopped managing that
 *     are still there (e.g. immutable ones), minus what the plan now sets;
 *   - refresh of a state without a record (written by an older version of
 *     the provider, or recorded from a failed create): every live key not in
 *     state, once, so an upgrade never shows a false diff.
 * `volatile.*` keys are always the server's and never recorded.
 *
 * Return codes: 0 or TF_E_NOMEM. */
#ifndef LXD_SERVER_KEYS_H
#define LXD_SERVER_KEYS_H

#include <stdbool.h>

#include <jansson.h>

#include "../../schema/value.h"
#include "../resource.h"
#include "lxd_common.h"

/* The private state handed to this call (ctx->private_in) as a new JSON
 * object: empty when there is none or it is not a JSON object. NULL only
 * when out of memory. */
json_t *lxd_private_load(const tfp_ctx *ctx);

/* Serialise `priv` into ctx->private_out (replacing an earlier one). */
int lxd_private_save(tfp_ctx *ctx, const json_t *priv);

/* The keys recorded for `scope` (borrowed array of strings), or NULL when
 * nothing was recorded for it. */
const json_t *lxd_server_keys_get(const json_t *priv, const char *scope);

/* Record for `scope` every key of `live` (an LXD config object) that
 * passes `keep` (NULL: all), is not `volatile.*`, is not a key of
 * `managed` (map(string), may be NULL/null/unknown: nothing managed) and,
 * when `candidates` is not NULL, is in it (an array of strings). Replaces
 * an earlier record of the scope. */
int lxd_server_keys_record(json_t *priv, const char *scope, const json_t *live,
			   const tf_value *managed, const json_t *candidates,
			   lxd_key_filter keep, void *arg);

/* Drop the record of every scope not named in `scopes` (a map value whose
 * keys are the scopes to keep, besides ""; NULL keeps only ""). */
void lxd_server_keys_prune(json_t *priv, const tf_value *scopes);

/* The scope's record; when there is none (a state written before records
 * existed, or by a failed create), every live key that passes `keep` and is
 * not managed is recorded now as the server's, once, and *changed is set
 * (the caller saves priv). NULL only when out of memory. */
const json_t *lxd_server_keys_ensure(json_t *priv, const char *scope,
				     const json_t *live,
				     const tf_value *managed,
				     lxd_key_filter keep, bool *changed);

/* An update's candidates for the scope's new record: the keys recorded in
 * `prior_priv` plus the keys the prior state managed (`prior_managed`, a
 * map, may be NULL/null). *cand is NULL when the scope has no record (any
 * unset key then counts); returns 0 or TF_E_NOMEM. */
int lxd_server_keys_candidates(const json_t *prior_priv, const char *scope,
			       const tf_value *prior_managed, json_t **cand);

/* New array: the strings of `a` plus the keys of the map `m` (either may
 * be NULL). NULL only when out of memory. */
json_t *lxd_key_union(const json_t *a, const tf_value *m);

/* Refresh of a config map.
 *   managed      the keys in state (map(string); NULL/null = none);
 *   live         the live config object;
 *   server_keys  the scope's record, or NULL when there is none;
 *   only_managed the user's opt-in to ignore keys set outside Terraform.
 * Returns the map to put in state: the managed keys at their live values
 * (a key gone from the server is left out, so the plan re-adds it) plus,
 * unless only_managed or server_keys is NULL, every other live key that
 * passes `keep`, is not volatile and is not recorded. Returns NULL (null in
 * state) when `managed` is null and nothing else is reported, so an unset
 * `config` stays unset. Non-string live values are rendered as JSON text.
 * *failed is set on allocation failure. */
tf_value *lxd_refresh_config(const tf_value *managed, const json_t *live,
			     const json_t *server_keys, bool only_managed,
			     lxd_key_filter keep, void *arg, bool *failed);

#endif
