/* Config-key logic of lxd_ovn_network (see lxd_ovn_keys.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/tf_err.h"
#include "lxd_ovn_keys.h"

const ovn_attr_key ovn_attr_keys[] = {
	{ "ipv4_address", "ipv4.address", OVN_K_STRING },
	{ "ipv4_nat", "ipv4.nat", OVN_K_BOOL },
	{ "ipv6_address", "ipv6.address", OVN_K_STRING },
	{ "ipv6_nat", "ipv6.nat", OVN_K_BOOL },
	{ "dns_domain", "dns.domain", OVN_K_STRING },
	{ "mtu", "bridge.mtu", OVN_K_INT },
	{ "acls", "security.acls", OVN_K_LIST },
	{ NULL, NULL, OVN_K_STRING },
};

/* Filled in by LXD on create: kept (not deleted) when no longer managed,
 * and never imported. */
static const char *const server_filled[] = {
	"ipv4.address", "ipv6.address", "ipv4.nat", "ipv6.nat",
	"bridge.mtu",   "network",      NULL,
};

static bool in_list(const char *k, const char *const *l)
{
	for (; *l; l++)
		if (strcmp(k, *l) == 0)
			return true;
	return false;
}

const ovn_attr_key *ovn_attr_by_key(const char *key)
{
	for (const ovn_attr_key *a = ovn_attr_keys; a->attr; a++)
		if (strcmp(a->key, key) == 0)
			return a;
	return NULL;
}

bool ovn_is_auto_key(const char *key)
{
	return strcmp(key, "ipv4.address") == 0 ||
	       strcmp(key, "ipv6.address") == 0;
}

static void key_error(tf_diags *d, const char *key, const char *summary,
		      const char *detail)
{
	tf_path p = { 0 };

	tf_path_push_attr(&p, "config");
	tf_path_push_key(&p, key);
	tf_diags_error(d, &p, summary, "config[\"%s\"]: %s", key, detail);
	tf_path_done(&p);
}

void ovn_check_keys(const tf_value *config, tf_diags *d)
{
	const tf_value *cfg = tf_value_attr(config, "config");

	for (size_t i = 0; tf_value_is_known(cfg) && i < tf_value_len(cfg);
	     i++) {
		const char *k = tf_value_map_key(cfg, i);
		const ovn_attr_key *a = ovn_attr_by_key(k);
		char msg[256];

		if (strcmp(k, "network") == 0) {
			key_error(d, k, "Uplink set in config",
				  "the uplink network is the `uplink` attribute; "
				  "remove \"network\" from `config` and set "
				  "`uplink` instead.");
		} else if (strncmp(k, "volatile.", 9) == 0) {
			key_error(d, k, "Volatile key in config",
				  "volatile.* keys are written by LXD itself; "
				  "read them from the computed attributes "
				  "(uplink_ipv4_address, uplink_ipv6_address) "
				  "instead of setting them.");
		} else if (a &&
			   !tf_value_is_null(tf_value_attr(config, a->attr))) {
			snprintf(msg, sizeof(msg),
				 "this key is also set by the `%s` attribute. Set "
				 "it one way only: remove it from `config` or "
				 "remove `%s`.",
				 a->attr, a->attr);
			key_error(d, k, "Config key set twice", msg);
		}
	}
}

char *ovn_attr_to_string(const tf_value *v, ovn_kind kind)
{
	char *s = NULL;

	if (!tf_value_is_known(v))
		return NULL;
	switch (kind) {
	case OVN_K_STRING:
		return strdup(tf_value_get_string(v) ? tf_value_get_string(v) :
						       "");
	case OVN_K_BOOL: return strdup(tf_value_get_bool(v) ? "true" : "false");
	case OVN_K_INT:
		return strdup(
			tf_value_number_text(v) ? tf_value_number_text(v) : "");
	case OVN_K_LIST: {
		size_t len = 1, off = 0, n = tf_value_len(v);
		for (size_t i = 0; i < n; i++) {
			const char *e = tf_value_get_string(
				tf_value_index(v, i));
			len += (e ? strlen(e) : 0) + 1;
		}
		s = calloc(1, len);
		for (size_t i = 0; s && i < n; i++) {
			const char *e = tf_value_get_string(
				tf_value_index(v, i));
			off += (size_t)snprintf(s + off, len - off, "%s%s",
						i ? "," : "", e ? e : "");
		}
		return s;
	}
	}
	return NULL;
}

static tf_value *null_of(ovn_kind kind)
{
	tf_type *t;
	tf_value *v;

	switch (kind) {
	case OVN_K_BOOL: return tf_value_null(tf_type_bool());
	case OVN_K_INT: return tf_value_null(tf_type_number());
	case OVN_K_LIST:
		t = tf_type_list(tf_type_string());
		v = t ? tf_value_null(t) : NULL;
		tf_type_unref(t);
		return v;
	default: return tf_value_null(tf_type_string());
	}
}

tf_value *ovn_string_to_attr(const char *s, ovn_kind kind)
{
	if (!s)
		return null_of(kind);
	switch (kind) {
	case OVN_K_STRING: return tf_value_string(s);
	case OVN_K_BOOL:
		return tf_value_bool(
			strcmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
			strcmp(s, "yes") == 0 || strcmp(s, "on") == 0);
	case OVN_K_INT: {
		char *end = NULL;
		long long n;
		errno = 0;
		n = strtoll(s, &end, 10);
		if (!*s || errno || !end || *end)
			return null_of(kind);
		return tf_value_int(n);
	}
	case OVN_K_LIST: {
		tf_type *t = tf_type_list(tf_type_string());
		tf_value *l = t ? tf_value_list_new(t) : NULL;
		const char *p = s;

		tf_type_unref(t);
		while (l && *p) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			const char *b = p, *e = p + n;
			while (b < e && *b == ' ')
				b++;
			while (e > b && e[-1] == ' ')
				e--;
			if (e > b)
				tf_value_list_append(
					l,
					tf_value_string_n(b, (size_t)(e - b)));
			p = comma ? comma + 1 : p + n;
		}
		return l;
	}
	}
	return NULL;
}

json_t *ovn_managed_keys(const tf_value *obj)
{
	json_t *o = json_object();
	const tf_value *cfg = tf_value_attr(obj, "config");

	if (!o)
		return NULL;
	for (size_t i = 0; tf_value_is_known(cfg) && i < tf_value_len(cfg);
	     i++) {
		const char *s = tf_value_get_string(tf_value_map_value(cfg, i));
		if (s)
			json_object_set_new(o, tf_value_map_key(cfg, i),
					    json_string(s));
	}
	for (const ovn_attr_key *a = ovn_attr_keys; a->attr; a++) {
		char *s = ovn_attr_to_string(tf_value_attr(obj, a->attr),
					     a->kind);
		if (s)
			json_object_set_new(o, a->key, json_string(s));
		free(s);
	}
	return o;
}

static bool has_subnet(const char *live)
{
	return live && *live && strcmp(live, "none") != 0;
}

const char *ovn_refresh_value(const char *key, const char *state_val,
			      const char *live_val)
{
	if (state_val && strcmp(state_val, "auto") == 0 &&
	    ovn_is_auto_key(key) && has_subnet(live_val))
		return state_val;
	return live_val;
}

json_t *ovn_merge_config(const json_t *live, const json_t *prior,
			 const json_t *planned)
{
	json_t *out = live ? json_deep_copy(live) : json_object();
	const char *k;
	json_t *v;

	if (!out)
		return NULL;
	json_object_foreach ((json_t *)prior, k, v) {
		if (planned && json_object_get(planned, k))
			continue;
		if (in_list(k, server_filled))
			continue;
		json_object_del(out, k);
	}
	json_object_foreach ((json_t *)planned, k, v) {
		const char *s = json_string_value(v);
		const char *was = prior ? json_string_value(
						  json_object_get(prior, k)) :
					  NULL;
		const char *now = json_string_value(json_object_get(out, k));

		if (s && strcmp(s, "auto") == 0 && ovn_is_auto_key(k) && was &&
		    strcmp(was, "auto") == 0 && has_subnet(now))
			continue; /* keep the subnet LXD generated */
		json_object_set_new(out, k, json_string(s ? s : ""));
	}
	return out;
}

bool ovn_import_keep(const char *key)
{
	return strncmp(key, "volatile.", 9) != 0 &&
	       !in_list(key, server_filled);
}

int ovn_put_managed(tf_value *st, const json_t *values, const tf_value *shape)
{
	const tf_value *shape_cfg = shape ? tf_value_attr(shape, "config") :
					    NULL;
	tf_type *mt = tf_type_map(tf_type_string());
	tf_value *cfg = mt ? tf_value_map_new(mt) : NULL;
	const char *k;
	json_t *v;
	int rc = TF_OK;

	tf_type_unref(mt);
	if (!cfg)
		return TF_E_NOMEM;
	json_object_foreach ((json_t *)values, k, v) {
		const ovn_attr_key *a = ovn_attr_by_key(k);
		const char *s = json_string_value(v);

		if (!s)
			continue;
		if (a && (!shape ||
			  !tf_value_is_null(tf_value_attr(shape, a->attr)))) {
			rc = tf_value_object_set(st, a->attr,
						 ovn_string_to_attr(s,
								    a->kind));
		} else {
			rc = tf_value_map_set(cfg, k, tf_value_string(s));
		}
		if (rc)
			break;
	}
	if (rc == TF_OK &&
	    (tf_value_len(cfg) > 0 || tf_value_is_known(shape_cfg)))
		return tf_value_object_set(st, "config", cfg);
	tf_value_unref(cfg);
	return rc;
}
