/* The lxd_* resource kit (see lxd_kit.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "lxd_kit.h"

char *lxd_url(const char *prefix, const char *segment, const char *suffix,
	      const char *qkey, const char *qval)
{
	_cleanup_(freep) char *seg = segment ? lxd_escape(segment) : NULL;
	_cleanup_(freep) char *val = qval ? lxd_escape(qval) : NULL;
	char *url = NULL;

	if ((segment && !seg) || (qval && !val))
		return NULL;
	if (asprintf(&url, "%s%s%s%s%s%s%s", prefix, seg ? seg : "",
		     suffix ? suffix : "", val ? "?" : "", val ? qkey : "",
		     val ? "=" : "", val ? val : "") < 0)
		return NULL;
	return url;
}

/* A path that could not be built: TFP_E_NOMEM, reported like a failed
 * request. */
static int no_path(tfp_error *err)
{
	if (err) {
		err->code = TFP_E_NOMEM;
		snprintf(err->message, sizeof(err->message), "out of memory");
	}
	return TFP_E_NOMEM;
}

int lxd_get_at(lxd_client *c, char *take_path, json_t **metadata, char **etag,
	       tfp_error *err)
{
	_cleanup_(freep) char *path = take_path;

	if (!path)
		return no_path(err);
	return lxd_get(c, path, 0, metadata, etag, err);
}

int lxd_each_at(lxd_client *c, char *take_path,
		int (*fn)(const json_t *item, void *arg), void *arg,
		tfp_error *err)
{
	_cleanup_(json_decrefp) json_t *all = NULL;
	int rc = lxd_get_at(c, take_path, &all, NULL, err);

	if (rc)
		return rc;
	if (!json_is_array(all))
		return tfp_err_set(err, TFP_E_PROTOCOL, 0,
				   "LXD answered a collection with something "
				   "other than an array");
	for (size_t i = 0; i < json_array_size(all); i++) {
		if (fn(json_array_get(all, i), arg))
			break;
		json_array_set_new(all, i, json_null()); /* done with it */
	}
	return TFP_OK;
}

int lxd_send_at(lxd_client *c, const char *method, char *take_path,
		const json_t *body, tfp_error *err)
{
	_cleanup_(freep) char *path = take_path;

	if (!path)
		return no_path(err);
	return lxd_request(c, method, path, body, NULL, 0, NULL, err);
}

int lxd_update_at(lxd_client *c, char *take_path, lxd_mutate_fn mutate,
		  void *arg, tfp_error *err)
{
	_cleanup_(freep) char *path = take_path;

	if (!path)
		return no_path(err);
	return lxd_update_etag(c, path, 0, mutate, arg, err);
}

void lxd_tls_opts(lxd_client_opts *o, const tf_value *obj)
{
	o->client_cert_pem = tf_value_attr_string(obj, "client_certificate");
	o->client_key_pem = tf_value_attr_string(obj, "client_key");
	o->server_cert_pem = tf_value_attr_string(obj, "server_certificate");
	o->server_fingerprint = tf_value_attr_string(obj, "server_fingerprint");
	o->insecure_skip_verify = tf_value_get_bool(
		tf_value_attr(obj, "insecure_skip_verify"));
}

const char *lxd_jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

tf_value *lxd_config_value(const json_t *v)
{
	_cleanup_(freep) char *text = NULL;

	if (json_is_string(v))
		return tf_value_string(json_string_value(v));
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	return tf_value_string(text ? text : "");
}

/* The string at arr[i] (its member `field` when field is not NULL). */
static const char *string_at(const json_t *arr, size_t i, const char *field)
{
	const json_t *v = json_array_get(arr, i);

	return json_string_value(field ? json_object_get(v, field) : v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

tf_value *lxd_strings(const json_t *arr, const lxd_strings_opts *o)
{
	static const lxd_strings_opts plain = { 0 };
	size_t n = json_array_size(arr), m = 0;
	_cleanup_(freep) const char **s = calloc(n + 1, sizeof(*s));
	tf_type *t = NULL;
	tf_value *out;

	o = o ? o : &plain;
	t = o->set ? tf_type_set(tf_type_string()) :
		     tf_type_list(tf_type_string());
	out = !t ? NULL : o->set ? tf_value_set_new(t) : tf_value_list_new(t);
	tf_type_unref(t);
	if (!out || !s) {
		tf_value_unref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *v = string_at(arr, i, o->field);

		if (v && (!o->keep || o->keep(v)))
			s[m++] = v;
	}
	if (o->sorted)
		qsort(s, m, sizeof(*s), cmp_str);
	for (size_t i = 0; i < m; i++)
		tf_value_list_append(out, tf_value_string(s[i]));
	return out;
}

bool lxd_in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

bool lxd_json_has(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach (arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

char *lxd_join(const json_t *arr, const char *field)
{
	size_t n = json_array_size(arr), len = 1, off = 0;
	const char *s;
	char *out;

	for (size_t i = 0; i < n; i++)
		if ((s = string_at(arr, i, field)))
			len += strlen(s) + 2;
	out = calloc(1, len);
	/* len counts every string plus its ", " separator */
	for (size_t i = 0; out && i < n; i++)
		if ((s = string_at(arr, i, field)))
			off += (size_t)snprintf(out + off, len - off, "%s%s",
						off ? ", " : "", s);
	return out;
}

const tf_value *lxd_known_or_null(const tf_value *v)
{
	return v && tf_value_is_known(v) ? v : NULL;
}
