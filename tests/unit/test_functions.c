/* Unit tests for the provider functions (provider/lxd/lxd_functions.c,
 * provider/k8s/k8s_functions.c): results, and argument errors naming the
 * argument. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/resource.h"

extern const tfp_function lxd_fn_cert_fingerprint;
extern const tfp_function lxd_fn_member_config;
extern const tfp_function k8s_fn_kubeconfig_server;

/* A self-signed certificate and its fingerprint (openssl x509 -noout
 * -fingerprint -sha256, separators dropped, lowercased). */
static const char cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBgjCCASmgAwIBAgIUShbci+YGQQhEGKl1Zu2gz9iPu3MwCgYIKoZIzj0EAwIw\n"
	"FzEVMBMGA1UEAwwMdGVzdC5leGFtcGxlMB4XDTI2MTIwMTA4MDE0OFoXDTM2MTEy\n"
	"ODA4MDE0OFowFzEVMBMGA1UEAwwMdGVzdC5leGFtcGxlMFkwEwYHKoZIzj0CAQYI\n"
	"KoZIzj0DAQcDQgAEwTgrxMaNFfCztfbysAlwNzjnJavQxWS6iy9KC9JPOfFWPYBq\n"
	"NzsDBQZWdYcoeqzcjtL5wujYoxERa7iXKUMfxaNTMFEwHQYDVR0OBBYEFJlFCmjX\n"
	"SrbGd/RVLrwM/tSRUZ50MB8GA1UdIwQYMBaAFJlFCmjXSrbGd/RVLrwM/tSRUZ50\n"
	"MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgfCTNuiubadTI1n9H\n"
	"SlUFPvupAyHbrX8sj2Bq60xu9bYCIG701kIkHOm63ZTRAVEEOCRchoZDuKTiaL5W\n"
	"Sn0d3+hM\n"
	"-----END CERTIFICATE-----\n";
static const char cert_fp[] =
	"e0b9c0923771c4e197da2919bdaf7bd5045eb02d97b89f2a05dcbc77005dbb98";

static int call1(const tfp_function *f, tf_value *arg, tf_value **res,
		 char *err, size_t errlen, int64_t *err_arg)
{
	const tf_value *args[1] = { arg };
	int rc;

	*err_arg = -1;
	err[0] = '\0';
	rc = f->call(args, res, err, errlen, err_arg);
	tf_value_unref(arg);
	return rc;
}

static void test_cert_fingerprint(void **state)
{
	tf_value *res = NULL;
	char err[256];
	int64_t ea;
	const char *fp;

	(void)state;
	assert_int_equal(call1(&lxd_fn_cert_fingerprint,
			       tf_value_string(cert_pem), &res, err,
			       sizeof(err), &ea),
			 0);
	fp = tf_value_get_string(res);
	assert_non_null(fp);
	assert_string_equal(fp, cert_fp);
	tf_value_unref(res);
	res = NULL;
	assert_int_equal(call1(&lxd_fn_cert_fingerprint,
			       tf_value_string("not a pem"), &res, err,
			       sizeof(err), &ea),
			 -1);
	assert_int_equal(ea, 0);
	assert_non_null(strstr(err, "pem:"));
	assert_null(res);
}

/* { storage-pool = { local = { source = "/srv" } }, network = { up = {
 * parent = "eth1" } } } as an object (what HCL gives). */
static tf_value *nested(bool bad_leaf)
{
	tf_type *s = tf_type_string();
	const char *k1[] = { "source" }, *k2[] = { "parent" };
	tf_type *o1 = tf_type_object(1, k1, &s),
		*o2 = tf_type_object(1, k2, &s);
	const char *n1[] = { "local" }, *n2[] = { "up" };
	tf_type *l1 = tf_type_object(1, n1, &o1),
		*l2 = tf_type_object(1, n2, &o2);
	const char *top_names[] = { "network", "storage-pool" };
	tf_type *tt[2] = { l2, l1 };
	tf_type *top = tf_type_object(2, top_names, tt);
	tf_value *v2, *w1, *w2, *t;

	{
		tf_value *leaf = bad_leaf ? tf_value_null(s) :
					    tf_value_string("/srv");
		tf_value *obj = tf_value_object_new(o1);
		tf_value_object_set(obj, "source", leaf);
		w1 = tf_value_object_new(l1);
		tf_value_object_set(w1, "local", obj);
	}
	v2 = tf_value_object_new(o2);
	tf_value_object_set(v2, "parent", tf_value_string("eth1"));
	w2 = tf_value_object_new(l2);
	tf_value_object_set(w2, "up", v2);
	t = tf_value_object_new(top);
	tf_value_object_set(t, "network", w2);
	tf_value_object_set(t, "storage-pool", w1);
	tf_type_unref(o1);
	tf_type_unref(o2);
	tf_type_unref(l1);
	tf_type_unref(l2);
	tf_type_unref(top);
	tf_type_unref(s);
	return t;
}

static void test_member_config(void **state)
{
	tf_value *res = NULL;
	char err[256];
	int64_t ea;

	(void)state;
	assert_int_equal(call1(&lxd_fn_member_config, nested(false), &res, err,
			       sizeof(err), &ea),
			 0);
	assert_int_equal(tf_value_len(res), 2);
	assert_string_equal(tf_value_get_string(tf_value_map_get(
				    res, "storage-pool/local/source")),
			    "/srv");
	assert_string_equal(tf_value_get_string(
				    tf_value_map_get(res, "network/up/parent")),
			    "eth1");
	tf_value_unref(res);
	res = NULL;
	assert_int_equal(call1(&lxd_fn_member_config, nested(true), &res, err,
			       sizeof(err), &ea),
			 -1);
	assert_int_equal(ea, 0);
	assert_non_null(strstr(err, "must be a string"));
	assert_int_equal(call1(&lxd_fn_member_config, tf_value_string("x"),
			       &res, err, sizeof(err), &ea),
			 -1);
	assert_non_null(strstr(err, "must be an object"));
}

static void test_kubeconfig_server(void **state)
{
	static const char kc[] =
		"apiVersion: v1\nkind: Config\ncurrent-context: c\n"
		"clusters:\n- name: k\n  cluster:\n    server: https://203.0.113.10:6443\n"
		"contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\n"
		"users:\n- name: u\n  user:\n    token: secret-token\n";
	tf_value *res = NULL;
	char err[512];
	int64_t ea;

	(void)state;
	assert_int_equal(call1(&k8s_fn_kubeconfig_server, tf_value_string(kc),
			       &res, err, sizeof(err), &ea),
			 0);
	assert_string_equal(tf_value_get_string(res),
			    "https://203.0.113.10:6443");
	tf_value_unref(res);
	res = NULL;
	assert_int_equal(call1(&k8s_fn_kubeconfig_server,
			       tf_value_string("a: [b"), &res, err, sizeof(err),
			       &ea),
			 -1);
	assert_int_equal(ea, 0);
	assert_null(strstr(err, "secret-token"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_fingerprint),
		cmocka_unit_test(test_member_config),
		cmocka_unit_test(test_kubeconfig_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
