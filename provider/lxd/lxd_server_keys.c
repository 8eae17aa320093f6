/* Server-owned config keys in private state (see lxd_server_keys.h). */
#include <stdlib.h>
#include <string.h>

#include "../../schema/tf_err.h"
#include "../log.h"
#include "lxd_kit.h"
#include "lxd_server_keys.h"

#define PRIVATE_MAX (1u << 20) /* a private blob larger than this is not ours */

json_t *lxd_private_load(const tfp_ctx *ctx)
{
	json_t *j = NULL;

	if (ctx->private_in && ctx->private_in_len > 0 &&
	    ctx->private_in_len <= PRIVATE_MAX)
		j = json_loadb((const char *)ctx->private_in,
			       ctx->private_in_len, 0, NULL);
	if (j && json_is_object(j))
		return j;
	if (j)
		tfp_debug("%s: private state is not a JSON object; ignored",
			  ctx->type_name);
	json_decref(j);
	return json_object();
}

int lxd_private_save(tfp_ctx *ctx, const json_t *priv)
{
	char *s = json_dumps(priv, JSON_COMPACT | JSON_SORT_KEYS);

	if (!s)
		return TF_E_NOMEM;
	free(ctx->private_out);
	ctx->private_out = (uint8_t *)s;
	ctx->private_out_len = strlen(s);
	return TF_OK;
}

const json_t *lxd_server_keys_get(const json_t *priv, const char *scope)
{
	const json_t *v = json_object_get(json_object_get(priv, "server_keys"),
					  scope);
	return json_is_array(v) ? v : NULL;
}

static bool is_volatile(const char *k)
{
	return strncmp(k, "volatile.", 9) == 0;
}

static bool managed_has(const tf_value *managed, const char *k)
{
	return managed && tf_value_is_known(managed) &&
	       tf_value_map_get(managed, k) != NULL;
}

int lxd_server_keys_record(json_t *priv, const char *scope, const json_t *live,
			   const tf_value *managed, const json_t *candidates,
			   lxd_key_filter keep, void *arg)
{
	json_t *all = json_object_get(priv, "server_keys");
	json_t *keys = json_array();
	const char *k;
	json_t *v;

	if (!keys)
		return TF_E_NOMEM;
	json_object_foreach ((json_t *)live, k, v) {
		if (is_volatile(k) || managed_has(managed, k) ||
		    (keep && !keep(k, v, arg)) ||
		    (candidates && !lxd_json_has(candidates, k)))
			continue;
		if (json_array_append_new(keys, json_string(k))) {
			json_decref(keys);
			return TF_E_NOMEM;
		}
	}
	if (!json_is_object(all)) {
		all = json_object();
		if (!all || json_object_set_new(priv, "server_keys", all)) {
			json_decref(keys);
			return TF_E_NOMEM;
		}
	}
	return json_object_set_new(all, scope, keys) ? TF_E_NOMEM : TF_OK;
}

void lxd_server_keys_prune(json_t *priv, const tf_value *scopes)
{
	json_t *all = json_object_get(priv, "server_keys");
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe (all, tmp, k, v) {
		if (*k && !managed_has(scopes, k))
			json_object_del(all, k);
	}
}

json_t *lxd_key_union(const json_t *a, const tf_value *m)
{
	json_t *out = a ? json_deep_copy(a) : json_array();

	for (size_t i = 0;
	     out && m && tf_value_is_known(m) && i < tf_value_len(m); i++) {
		const char *k = tf_value_map_key(m, i);
		if (!lxd_json_has(out, k) &&
		    json_array_append_new(out, json_string(k))) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

const json_t *lxd_server_keys_ensure(json_t *priv, const char *scope,
				     const json_t *live,
				     const tf_value *managed,
				     lxd_key_filter keep, bool *changed)
{
	const json_t *rec = lxd_server_keys_get(priv, scope);

	if (rec)
		return rec;
	if (lxd_server_keys_record(priv, scope, live, managed, NULL, keep,
				   NULL))
		return NULL;
	*changed = true;
	return lxd_server_keys_get(priv, scope);
}

int lxd_server_keys_candidates(const json_t *prior_priv, const char *scope,
			       const tf_value *prior_managed, json_t **cand)
{
	const json_t *rec = lxd_server_keys_get(prior_priv, scope);

	*cand = NULL;
	if (!rec)
		return TF_OK;
	*cand = lxd_key_union(rec, prior_managed);
	return *cand ? TF_OK : TF_E_NOMEM;
}

tf_value *lxd_refresh_config(const tf_value *managed, const json_t *live,
			     const json_t *server_keys, bool only_managed,
			     lxd_key_filter keep, void *arg, bool *failed)
{
	bool have_managed = managed && tf_value_is_known(managed);
	tf_type *mt = tf_type_map(tf_type_string());
	tf_value *out = mt ? tf_value_map_new(mt) : NULL;
	const char *k;
	json_t *v;

	tf_type_unref(mt);
	if (!out)
		goto nomem;
	for (size_t i = 0; have_managed && i < tf_value_len(managed); i++) {
		k = tf_value_map_key(managed, i);
		v = json_object_get(live, k);
		if (v && !json_is_null(v) &&
		    tf_value_map_set(out, k, lxd_config_value(v)))
			goto nomem;
	}
	if (!only_managed && server_keys) {
		json_object_foreach ((json_t *)live, k, v) {
			if (is_volatile(k) || json_is_null(v) ||
			    managed_has(managed, k) ||
			    lxd_json_has(server_keys, k) ||
			    (keep && !keep(k, v, arg)))
				continue;
			if (tf_value_map_set(out, k, lxd_config_value(v)))
				goto nomem;
		}
	}
	if (!have_managed && tf_value_len(out) == 0) {
		tf_value_unref(out);
		return NULL;
	}
	return out;
nomem:
	tf_value_unref(out);
	*failed = true;
	return NULL;
}
