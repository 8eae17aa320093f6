/* Server-owned config keys in private state (see lxd_server_keys.h). */
#include <stdlib.h>
#include <string.h>

#include "../../schema/tf_err.h"
#include "../log.h"
#include "lxd_server_keys.h"

#define PRIVATE_MAX (1u << 20) /* a private blob larger than this is not ours */

json_t *lxd_private_load(const tfp_ctx *ctx)
{
	json_t *j = NULL;

	if (ctx->private_in && ctx->private_in_len > 0 &&
	    ctx->private_in_len <= PRIVATE_MAX)
		j = json_loadb((const char *)ctx->private_in, ctx->private_in_len,
			       0, NULL);
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

static bool array_has(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
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
	json_object_foreach((json_t *)live, k, v) {
		if (is_volatile(k) || managed_has(managed, k) ||
		    (keep && !keep(k, v, arg)) ||
		    (candidates && !array_has(candidates, k)))
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

	json_object_foreach_safe(all, tmp, k, v) {
		if (*k && !managed_has(scopes, k))
			json_object_del(all, k);
	}
}

json_t *lxd_key_union(const json_t *a, const tf_value *m)
{
	json_t *out = a ? json_deep_copy(a) : json_array();

	for (size_t i = 0; out && m && tf_value_is_known(m) && i < tf_value_len(m); i++) {
		const char *k = tf_value_map_key(m, i);
		if (!array_has(out, k) && json_array_append_new(out, json_string(k))) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* A live config value as state text: strings as they are, anything else
 * (LXD 5.0 sends only strings, but be lenient) as compact JSON. */
static tf_value *live_value(const json_t *v)
{
	char *t;
	tf_value *out;

	if (json_is_string(v))
		return tf_value_string(json_string_value(v));
	t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	out = tf_value_string(t ? t : "");
	free(t);
	return out;
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
		if (v && !json_is_null(v) && tf_value_map_set(out, k, live_value(v)))
			goto nomem;
	}
	if (!only_managed && server_keys) {
		json_object_foreach((json_t *)live, k, v) {
			if (is_volatile(k) || json_is_null(v) ||
			    managed_has(managed, k) ||
			    array_has(server_keys, k) || (keep && !keep(k, v, arg)))
				continue;
			if (tf_value_map_set(out, k, live_value(v)))
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
