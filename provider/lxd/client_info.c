/* The LXD server info (GET /1.0) and the cluster member list, cached for
 * the client's life (see lxd_server_info in client.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "provider/lxd/client_internal.h"

int lxd_server_info(lxd_client *c, const json_t **info, tfp_error *err)
{
	json_t *meta = NULL;
	int rc = TFP_OK;

	if (!c)
		return tfp_err_set(err, TFP_E_INVALID, 0, "no client");
	pthread_mutex_lock(&c->info_lock);
	if (!c->info) {
		rc = lxd_get(c, "/1.0", 0, &meta, NULL, err);
		if (rc == TFP_OK && !json_is_object(meta)) {
			json_decref(meta);
			meta = NULL;
			rc = tfp_err_set(
				err, TFP_E_PROTOCOL, 200,
				"GET /1.0 returned no server information");
		}
		if (rc == TFP_OK)
			c->info = meta;
	}
	if (rc == TFP_OK && info)
		*info = c->info;
	pthread_mutex_unlock(&c->info_lock);
	return rc;
}

int lxd_cluster_members(lxd_client *c, json_t **list, tfp_error *err)
{
	json_t *meta = NULL;
	int rc = TFP_OK;

	if (!c)
		return tfp_err_set(err, TFP_E_INVALID, 0, "no client");
	pthread_mutex_lock(&c->info_lock);
	if (!c->members) {
		rc = lxd_get(c, "/1.0/cluster/members", 0, &meta, NULL, err);
		if (rc == TFP_OK && !json_is_array(meta)) {
			json_decref(meta);
			meta = NULL;
			rc = tfp_err_set(
				err, TFP_E_PROTOCOL, 200,
				"GET /1.0/cluster/members returned no list");
		}
		if (rc == TFP_OK)
			c->members = meta;
	}
	if (rc == TFP_OK)
		*list = json_incref(c->members);
	pthread_mutex_unlock(&c->info_lock);
	return rc;
}

void lxd_server_info_forget(lxd_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->info_lock);
	json_decref(c->members); /* handed out as new references */
	c->members = NULL;
	if (c->info) {
		if (!c->info_retired)
			c->info_retired = json_array();
		/* Keep the old object alive: another thread may still read
		 * through a pointer lxd_server_info() returned. */
		if (c->info_retired)
			json_array_append_new(c->info_retired, c->info);
		else
			json_decref(c->info); /* out of memory: best effort */
		c->info = NULL;
	}
	pthread_mutex_unlock(&c->info_lock);
}

bool lxd_has_extension(lxd_client *c, const char *ext)
{
	const json_t *info = NULL;
	const json_t *exts, *v;
	const char *s;
	size_t i;

	if (!ext || lxd_server_info(c, &info, NULL) != TFP_OK)
		return false;
	exts = json_object_get(info, "api_extensions");
	json_array_foreach (exts, i, v) {
		s = json_string_value(v);
		if (s && strcmp(s, ext) == 0)
			return true;
	}
	return false;
}

const char *lxd_server_describe(lxd_client *c, char *buf, size_t len)
{
	const json_t *info = NULL, *env;
	const char *kind, *ver;

	if (!buf || len == 0)
		return buf;
	snprintf(buf, len, "the server");
	if (lxd_server_info(c, &info, NULL) != TFP_OK)
		return buf;
	env = json_object_get(info, "environment");
	kind = json_string_value(json_object_get(env, "server"));
	ver = json_string_value(json_object_get(env, "server_version"));
	/* LXD 5.0 reports "lxd"; Incus "incus". Anything else is shown as
	 * it comes (bounded by len). */
	if (kind && strcmp(kind, "incus") == 0)
		kind = "Incus";
	else if (!kind || strcmp(kind, "lxd") == 0)
		kind = "LXD";
	snprintf(buf, len, "%s %s", kind, ver ? ver : "(version unknown)");
	return buf;
}
