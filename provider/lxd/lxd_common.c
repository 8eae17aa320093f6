/* Shared lxd_* helpers (see lxd_common.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/plan.h"
#include "lxd_common.h"
#include "lxd_kit.h"

static const char *hint_for(int code)
{
	switch (code) {
	case TFP_E_UNAVAILABLE:
		return " Check that LXD is running and that the provider's "
		       "`socket` or `address` points at it.";
	case TFP_E_FORBIDDEN:
		return " The client certificate is not trusted by this LXD "
		       "server; add it with `lxc config trust add`.";
	case TFP_E_TLS:
		return " The server certificate does not match "
		       "`server_certificate`/`server_fingerprint`.";
	case TFP_E_TIMEOUT:
		return " LXD did not answer or finish in time: check that the "
		       "daemon is responsive. The provider's `request_timeout` "
		       "bounds one request, `operation_timeout` one operation.";
	case TFP_E_CANCELLED: return " Terraform asked the provider to stop.";
	default: return "";
	}
}

void lxd_diag(tf_diags *d, const tf_path *path, const char *summary,
	      const tfp_error *err, const char *what_fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, what_fmt);
	vsnprintf(what, sizeof(what), what_fmt, ap);
	va_end(ap);
	tf_diags_add(
		d, TF_DIAG_ERROR, path, summary, "%s: %s.%s%s", what,
		err && err->message[0] ? err->message :
					 tfp_code_str(err ? err->code : 0),
		hint_for(err ? err->code : 0),
		tfp_err_outcome_unknown(err) ?
			" The request may or may not have taken effect on the "
			"server; the next plan shows what it holds." :
			"");
}

bool lxd_outcome_unknown(const tfp_error *err)
{
	return tfp_err_outcome_unknown(err) ||
	       (err && err->code == TFP_E_CANCELLED && err->http_status == 0);
}

lxd_client *lxd_ctx_client(tfp_ctx *ctx, tf_diags *d)
{
	if (!ctx->client)
		tf_diags_error(d, NULL, "Provider is not configured",
			       "The lxd provider has no connection yet; its "
			       "configuration must be known before %s can be "
			       "managed.",
			       ctx->type_name);
	return ctx->client;
}

lxd_client *lxd_ctx_named(tfp_ctx *ctx, const tf_value *obj, const char **name,
			  tf_diags *d)
{
	lxd_client *c = lxd_ctx_client(ctx, d);

	*name = tf_value_attr_string(obj, "name");
	return *name ? c : NULL;
}

int lxd_is_clustered(lxd_client *c, bool *clustered, tfp_error *err)
{
	const json_t *info;
	int rc = lxd_server_info(c, &info, err);

	if (rc)
		return rc;
	*clustered = json_is_true(
		json_object_get(json_object_get(info, "environment"),
				"server_clustered"));
	return TFP_OK;
}

const char *lxd_url_basename(const char *url)
{
	const char *s = strrchr(url, '/');
	return s ? s + 1 : url;
}

int lxd_member_names(lxd_client *c, json_t **names, tfp_error *err)
{
	json_t *list = NULL, *out;
	size_t i;
	json_t *u;
	int rc = lxd_cluster_members(c, &list, err);

	if (rc)
		return rc;
	out = json_array();
	json_array_foreach (list, i, u) {
		if (json_is_string(u))
			json_array_append_new(out,
					      json_string(lxd_url_basename(
						      json_string_value(u))));
	}
	json_decref(list);
	*names = out;
	return TFP_OK;
}

int lxd_driver_supported(lxd_client *c, const char *driver, bool *ok,
			 char **supported_list, tfp_error *err)
{
	const json_t *info, *drivers, *dj;
	char *list;
	size_t i;
	int rc = lxd_server_info(c, &info, err);

	if (rc)
		return rc;
	drivers = json_object_get(json_object_get(info, "environment"),
				  "storage_supported_drivers");
	*ok = false;
	json_array_foreach (drivers, i, dj)
		if (strcmp(lxd_jstr(dj, "Name"), driver) == 0)
			*ok = true;
	list = lxd_join(drivers, "Name");
	if (!list)
		return TFP_E_NOMEM;
	*supported_list = list;
	return TFP_OK;
}

tf_value *lxd_config_to_map(const json_t *obj, lxd_key_filter keep, void *arg)
{
	tf_type *mt = tf_type_map(tf_type_string());
	tf_value *m = tf_value_map_new(mt);
	const char *k;
	json_t *v;

	tf_type_unref(mt);
	if (!m)
		return NULL;
	json_object_foreach ((json_t *)obj, k, v) {
		if (!keep || keep(k, v, arg))
			tf_value_map_set(m, k, lxd_config_value(v));
	}
	return m;
}

json_t *lxd_map_to_config(const tf_value *map)
{
	json_t *o = json_object();

	if (!map || !tf_value_is_known(map))
		return o;
	for (size_t i = 0; i < tf_value_len(map); i++) {
		const char *s = tf_value_get_string(tf_value_map_value(map, i));
		json_object_set_new(o, tf_value_map_key(map, i),
				    json_string(s ? s : ""));
	}
	return o;
}

bool lxd_require_extension(lxd_client *c, const char *ext, const char *attr,
			   const char *feature, tf_diags *d)
{
	const json_t *info = NULL;
	char who[96];

	if (!c || !ext || lxd_server_info(c, &info, NULL) != TFP_OK)
		return true;
	if (lxd_has_extension(c, ext))
		return true;
	lxd_server_describe(c, who, sizeof(who));
	if (attr)
		tf_diags_attr_error(d, attr, "Not supported by this server",
				    "%s needs the API extension `%s`, which %s "
				    "does not have. See the \"Servers\" notes in "
				    "the documentation of this resource.",
				    feature, ext, who);
	else
		tf_diags_error(d, NULL, "Not supported by this server",
			       "%s needs the API extension `%s`, which %s does "
			       "not have.",
			       feature, ext, who);
	return false;
}

int lxd_list_by_name(const json_t *item, void *arg)
{
	lxd_name_lister *a = arg;
	const char *name = json_string_value(json_object_get(item, a->key));
	tf_value *stub;
	int rc;

	if (!name || !*name)
		return 0;
	stub = tf_schema_empty_object(a->ctx->schema);
	if (!stub) {
		tf_diags_error(a->d, NULL, "Out of memory", "%s", a->what);
		return 1;
	}
	tf_value_object_set(stub, "name", tf_value_string(name));
	rc = tfp_list_object(a->l, a->ctx, a->import, a->read, name, name, stub,
			     a->d);
	tf_value_unref(stub);
	return rc;
}
