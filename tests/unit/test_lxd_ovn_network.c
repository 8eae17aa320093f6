/* Unit tests for provider/lxd/lxd_ovn_keys.c: the config-key logic of
 * lxd_ovn_network (key conflicts, managed-key rendering, `auto` refresh,
 * the PUT merge, import filtering, splitting keys back into attributes).
 * Objects are built from the resource's real schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/lxd/lxd_ovn_keys.h"
#include "provider/resource.h"
#include "schema/schema.h"
#include "schema/tf_err.h"

extern const tfp_resource lxd_ovn_network_resource;

static tf_schema *schema;

static int setup(void **state)
{
	char err[256];

	(void)state;
	return tf_schema_compile(lxd_ovn_network_resource.schema, 0, &schema,
				 err, sizeof(err)) == TF_OK ?
		       0 :
		       -1;
}

static int teardown(void **state)
{
	(void)state;
	tf_schema_free(schema);
	return 0;
}

/* map(string) from "k", "v", ..., NULL. */
static tf_value *smap(const char *k, ...)
{
	tf_type *t = tf_type_map(tf_type_string());
	tf_value *m = tf_value_map_new(t);
	va_list ap;

	tf_type_unref(t);
	va_start(ap, k);
	for (; k; k = va_arg(ap, const char *))
		tf_value_map_set(m, k,
				 tf_value_string(va_arg(ap, const char *)));
	va_end(ap);
	return m;
}

static tf_value *slist(const char *a, const char *b)
{
	tf_type *t = tf_type_list(tf_type_string());
	tf_value *l = tf_value_list_new(t);

	tf_type_unref(t);
	if (a)
		tf_value_list_append(l, tf_value_string(a));
	if (b)
		tf_value_list_append(l, tf_value_string(b));
	return l;
}

static tf_value *obj(void)
{
	tf_value *o = tf_schema_empty_object(schema);
	assert_non_null(o);
	return o;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_check_keys(void **state)
{
	tf_value *o = obj();
	tf_diags d = TF_DIAGS_INIT;
	char *p;

	(void)state;
	tf_value_object_set(o, "dns_domain", tf_value_string("a.test"));
	tf_value_object_set(o, "config",
			    smap("dns.domain", "b.test", "network", "up",
				 "volatile.x", "1", "user.ok", "1",
				 "ipv4.address", "auto", NULL));
	ovn_check_keys(o, &d);
	/* dns.domain twice, network, volatile.x; ipv4.address is fine since
	 * ipv4_address is null. */
	assert_int_equal(d.n, 3);
	assert_true(tf_diags_has_error(&d));
	p = tf_path_to_string(&d.items[0].path);
	assert_string_equal(p, "config[\"dns.domain\"]");
	free(p);
	assert_non_null(strstr(d.items[0].detail, "dns_domain"));
	assert_string_equal(d.items[1].summary, "Uplink set in config");
	assert_string_equal(d.items[2].summary, "Volatile key in config");
	tf_diags_done(&d);
	tf_value_unref(o);

	/* No config map, or an unknown one: nothing to say. */
	o = obj();
	ovn_check_keys(o, &d);
	assert_int_equal(d.n, 0);
	{
		tf_type *t = tf_type_map(tf_type_string());
		tf_value_object_set(o, "config", tf_value_unknown(t));
		tf_type_unref(t);
	}
	ovn_check_keys(o, &d);
	assert_int_equal(d.n, 0);
	tf_value_unref(o);
}

static void test_managed_keys(void **state)
{
	tf_value *o = obj();
	json_t *m;

	(void)state;
	tf_value_object_set(o, "config", smap("user.a", "1", NULL));
	tf_value_object_set(o, "ipv4_address", tf_value_string("auto"));
	tf_value_object_set(o, "ipv4_nat", tf_value_bool(false));
	tf_value_object_set(o, "mtu", tf_value_int(1400));
	tf_value_object_set(o, "acls", slist("web", "db"));
	tf_value_object_set(o, "dns_domain",
			    tf_value_unknown(tf_type_string()));
	m = ovn_managed_keys(o);
	assert_non_null(m);
	assert_int_equal(json_object_size(m), 5);
	assert_string_equal(jstr(m, "user.a"), "1");
	assert_string_equal(jstr(m, "ipv4.address"), "auto");
	assert_string_equal(jstr(m, "ipv4.nat"), "false");
	assert_string_equal(jstr(m, "bridge.mtu"), "1400");
	assert_string_equal(jstr(m, "security.acls"), "web,db");
	assert_null(json_object_get(m, "dns.domain")); /* unknown: left out */
	json_decref(m);
	tf_value_unref(o);
}

static void test_attr_conversions(void **state)
{
	tf_value *v;
	char *s;

	(void)state;
	v = ovn_string_to_attr(" web , db,,", OVN_K_LIST);
	assert_int_equal(tf_value_len(v), 2);
	assert_string_equal(tf_value_get_string(tf_value_index(v, 0)), "web");
	assert_string_equal(tf_value_get_string(tf_value_index(v, 1)), "db");
	s = ovn_attr_to_string(v, OVN_K_LIST);
	assert_string_equal(s, "web,db");
	free(s);
	tf_value_unref(v);

	v = ovn_string_to_attr("1442", OVN_K_INT);
	s = ovn_attr_to_string(v, OVN_K_INT);
	assert_string_equal(s, "1442");
	free(s);
	tf_value_unref(v);
	v = ovn_string_to_attr("big", OVN_K_INT);
	assert_true(tf_value_is_null(v));
	tf_value_unref(v);

	v = ovn_string_to_attr("true", OVN_K_BOOL);
	assert_true(tf_value_get_bool(v));
	tf_value_unref(v);
	v = ovn_string_to_attr("false", OVN_K_BOOL);
	assert_false(tf_value_get_bool(v));
	assert_true(tf_value_is_known(v));
	tf_value_unref(v);

	v = ovn_string_to_attr(NULL, OVN_K_LIST);
	assert_true(tf_value_is_null(v));
	assert_null(ovn_attr_to_string(v, OVN_K_LIST));
	tf_value_unref(v);
}

static void test_refresh_auto(void **state)
{
	(void)state;
	/* auto stays auto while a subnet exists */
	assert_string_equal(ovn_refresh_value("ipv4.address", "auto",
					      "10.1.2.1/24"),
			    "auto");
	assert_string_equal(ovn_refresh_value("ipv6.address", "auto",
					      "fd42::1/64"),
			    "auto");
	/* ... but not when IPv4 was turned off or the key is gone */
	assert_string_equal(ovn_refresh_value("ipv4.address", "auto", "none"),
			    "none");
	assert_null(ovn_refresh_value("ipv4.address", "auto", NULL));
	/* a fixed address reports the live value (drift shows) */
	assert_string_equal(ovn_refresh_value("ipv4.address", "192.0.2.1/26",
					      "192.0.2.9/26"),
			    "192.0.2.9/26");
	/* auto is only special for address keys */
	assert_string_equal(ovn_refresh_value("user.mode", "auto", "manual"),
			    "manual");
}

static void test_merge_config(void **state)
{
	json_t *live = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
				 "ipv4.address", "10.1.2.1/24", "ipv4.nat",
				 "true", "bridge.mtu", "1442", "network", "up",
				 "user.gone", "x", "user.foreign", "keep",
				 "volatile.network.ipv4.address",
				 "198.51.100.100");
	json_t *prior = json_pack("{s:s, s:s, s:s, s:s}", "ipv4.address",
				  "auto", "ipv4.nat", "true", "user.gone", "x",
				  "bridge.mtu", "1400");
	json_t *planned = json_pack("{s:s, s:s}", "ipv4.address", "auto",
				    "dns.domain", "d.test");
	json_t *out;

	(void)state;
	out = ovn_merge_config(live, prior, planned);
	assert_non_null(out);
	/* auto -> auto: the generated subnet is kept, never re-sent */
	assert_string_equal(jstr(out, "ipv4.address"), "10.1.2.1/24");
	/* no longer managed: removed, except server-filled keys */
	assert_null(json_object_get(out, "user.gone"));
	assert_string_equal(jstr(out, "ipv4.nat"), "true");
	assert_string_equal(jstr(out, "bridge.mtu"), "1442");
	/* new and foreign keys */
	assert_string_equal(jstr(out, "dns.domain"), "d.test");
	assert_string_equal(jstr(out, "user.foreign"), "keep");
	assert_string_equal(jstr(out, "volatile.network.ipv4.address"),
			    "198.51.100.100");
	assert_string_equal(jstr(out, "network"), "up");
	/* live is not modified */
	assert_non_null(json_object_get(live, "user.gone"));
	json_decref(out);

	/* fixed address -> auto: auto is sent (the user asks for a new subnet) */
	json_object_set_new(prior, "ipv4.address", json_string("192.0.2.1/26"));
	out = ovn_merge_config(live, prior, planned);
	assert_string_equal(jstr(out, "ipv4.address"), "auto");
	json_decref(out);

	/* create-like: no prior, no live */
	out = ovn_merge_config(NULL, NULL, planned);
	assert_int_equal(json_object_size(out), 2);
	assert_string_equal(jstr(out, "ipv4.address"), "auto");
	json_decref(out);
	json_decref(live);
	json_decref(prior);
	json_decref(planned);
}

static void test_import_keep(void **state)
{
	(void)state;
	assert_true(ovn_import_keep("dns.domain"));
	assert_true(ovn_import_keep("user.x"));
	assert_true(ovn_import_keep("security.acls"));
	assert_false(ovn_import_keep("volatile.network.ipv4.address"));
	assert_false(ovn_import_keep("network"));
	assert_false(ovn_import_keep("ipv4.address"));
	assert_false(ovn_import_keep("ipv6.nat"));
	assert_false(ovn_import_keep("bridge.mtu"));
}

static void test_put_managed(void **state)
{
	json_t *values = json_pack("{s:s, s:s, s:s}", "dns.domain", "a.test",
				   "user.x", "1", "bridge.mtu", "1400");
	tf_value *shape = obj(), *st = obj();
	const tf_value *cfg;

	(void)state;
	/* Shape: dns.domain managed through config, mtu through its attribute. */
	tf_value_object_set(shape, "config",
			    smap("dns.domain", "old", "user.x", "0", NULL));
	tf_value_object_set(shape, "mtu", tf_value_int(1300));
	assert_int_equal(ovn_put_managed(st, values, shape), TF_OK);
	cfg = tf_value_attr(st, "config");
	assert_int_equal(tf_value_len(cfg), 2);
	assert_string_equal(tf_value_get_string(
				    tf_value_map_get(cfg, "dns.domain")),
			    "a.test");
	assert_true(tf_value_is_null(tf_value_attr(st, "dns_domain")));
	{
		int64_t n = 0;
		assert_int_equal(tf_value_get_int(tf_value_attr(st, "mtu"), &n),
				 TF_OK);
		assert_int_equal(n, 1400);
	}
	tf_value_unref(st);

	/* Import (no shape): first-class attributes win. */
	st = obj();
	assert_int_equal(ovn_put_managed(st, values, NULL), TF_OK);
	assert_string_equal(tf_value_attr_string(st, "dns_domain"), "a.test");
	cfg = tf_value_attr(st, "config");
	assert_int_equal(tf_value_len(cfg), 1);
	assert_non_null(tf_value_map_get(cfg, "user.x"));
	tf_value_unref(st);

	/* A null config with no keys for it stays null; a known empty one
	 * stays an empty map. */
	json_decref(values);
	values = json_pack("{s:s}", "bridge.mtu", "1400");
	tf_value_unref(shape);
	shape = obj();
	tf_value_object_set(shape, "mtu", tf_value_int(1400));
	st = obj();
	assert_int_equal(ovn_put_managed(st, values, shape), TF_OK);
	assert_true(tf_value_is_null(tf_value_attr(st, "config")));
	tf_value_unref(st);
	tf_value_object_set(shape, "config", smap(NULL));
	st = obj();
	assert_int_equal(ovn_put_managed(st, values, shape), TF_OK);
	assert_true(tf_value_is_known(tf_value_attr(st, "config")));
	assert_int_equal(tf_value_len(tf_value_attr(st, "config")), 0);
	tf_value_unref(st);
	tf_value_unref(shape);
	json_decref(values);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test(test_managed_keys),
		cmocka_unit_test(test_attr_conversions),
		cmocka_unit_test(test_refresh_auto),
		cmocka_unit_test(test_merge_config),
		cmocka_unit_test(test_import_keep),
		cmocka_unit_test(test_put_managed),
	};

	return cmocka_run_group_tests_name("lxd_ovn_network", tests, setup,
					   teardown);
}
