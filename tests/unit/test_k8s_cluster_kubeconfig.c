/* The k8s_cluster_kubeconfig ephemeral resource's open handler against a
 * scripted API server: the result (kubeconfig, server, namespace), the
 * namespace default, and the errors for a missing Cluster, a Cluster whose
 * Secret is not there yet, a Secret without a usable data.value and an
 * API failure. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/k8s/k8s_client.h"
#include "provider/k8s/kubeconfig.h"
#include "provider/resource.h"

extern const tfp_ephemeral k8s_cluster_kubeconfig_ephemeral;

typedef struct reply {
	const char *path; /* expected request path */
	int status;
	const char *body;
} reply;

typedef struct script {
	const reply *r;
	size_t n, calls;
} script;

static int scripted(void *ud, const char *method, const char *path,
		    const char *ctype, const char *body, const char *auth,
		    k8s_http_reply *out)
{
	script *s = ud;
	const reply *r;

	(void)ctype;
	(void)body;
	(void)auth;
	if (s->calls >= s->n)
		fail_msg("unexpected request %s %s", method, path);
	r = &s->r[s->calls++];
	assert_string_equal(method, "GET");
	assert_string_equal(path, r->path);
	out->status = r->status;
	out->body = strdup(r->body);
	return 0;
}

#define APIS                                                                    \
	"{\"kind\":\"APIGroupList\",\"groups\":["                             \
	"{\"name\":\"cluster.x-k8s.io\",\"versions\":[{\"version\":\"v1beta2\"}],"  \
	"\"preferredVersion\":{\"version\":\"v1beta2\"}},"                   \
	"{\"name\":\"controlplane.cluster.x-k8s.io\",\"versions\":[{\"version\":\"v1beta2\"}]," \
	"\"preferredVersion\":{\"version\":\"v1beta2\"}},"                   \
	"{\"name\":\"bootstrap.cluster.x-k8s.io\",\"versions\":[{\"version\":\"v1beta2\"}]," \
	"\"preferredVersion\":{\"version\":\"v1beta2\"}},"                   \
	"{\"name\":\"infrastructure.cluster.x-k8s.io\",\"versions\":[{\"version\":\"v1alpha2\"}]," \
	"\"preferredVersion\":{\"version\":\"v1alpha2\"}}]}"
#define RES(p, k) "{\"name\":\"" p "\",\"kind\":\"" k "\",\"namespaced\":true}"
#define DISCOVERY                                                               \
	{ "/apis", 200, APIS },                                               \
	{ "/apis/cluster.x-k8s.io/v1beta2", 200, "{\"resources\":[" RES("clusters", "Cluster") "," \
	  RES("machinedeployments", "MachineDeployment") "," RES("machinesets", "MachineSet") "," \
	  RES("machines", "Machine") "]}" },                                  \
	{ "/apis/controlplane.cluster.x-k8s.io/v1beta2", 200, "{\"resources\":[" \
	  RES("kubeadmcontrolplanes", "KubeadmControlPlane") "]}" },          \
	{ "/apis/bootstrap.cluster.x-k8s.io/v1beta2", 200, "{\"resources\":[" \
	  RES("kubeadmconfigtemplates", "KubeadmConfigTemplate") "," RES("kubeadmconfigs", "KubeadmConfig") "]}" }, \
	{ "/apis/infrastructure.cluster.x-k8s.io/v1alpha2", 200, "{\"resources\":[" \
	  RES("lxcclusters", "LXCCluster") "," RES("lxcmachinetemplates", "LXCMachineTemplate") "," \
	  RES("lxcmachines", "LXCMachine") "]}" }

#define NOTFOUND "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"code\":404,\"message\":\"not found\"}"

/* base64 of a small kubeconfig whose server is https://203.0.113.9:6443 */
static char wl_b64[1024];

static tf_schema *schema;

static int setup(void **state)
{
	static const char wl[] =
		"apiVersion: v1\nkind: Config\ncurrent-context: a\n"
		"clusters:\n- name: w\n  cluster: {server: \"https://203.0.113.9:6443\"}\n"
		"contexts:\n- name: a\n  context: {cluster: w}\n";
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0, n = sizeof(wl) - 1;
	char err[256];

	(void)state;
	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)wl[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)wl[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)wl[i + 2];
		wl_b64[o++] = tbl[(v >> 18) & 63];
		wl_b64[o++] = tbl[(v >> 12) & 63];
		wl_b64[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		wl_b64[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	wl_b64[o] = '\0';
	assert_int_equal(tf_schema_compile(k8s_cluster_kubeconfig_ephemeral.schema, 0,
					   &schema, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tf_schema_free(schema);
	return 0;
}

static k8s_client *client(script *s)
{
	static const char yaml[] =
		"current-context: c\nclusters:\n- name: k\n  cluster: {server: https://192.0.2.10:6443}\n"
		"users:\n- name: u\n  user: {token: t}\n"
		"contexts:\n- name: c\n  context: {cluster: k, user: u, namespace: team}\n";
	kubeconfig_source src = { .content = yaml };
	kubeconfig *kc = NULL;
	k8s_client_opts o = {0};
	k8s_client *c = NULL;
	char err[256];
	k8s_error e;

	assert_int_equal(kubeconfig_load(&src, &kc, err, sizeof(err)), 0);
	o.kc = kc;
	o.transport = scripted;
	o.transport_ud = s;
	assert_int_equal(k8s_client_new(&o, &c, &e), K8S_OK);
	kubeconfig_free(kc);
	return c;
}

/* Open with name (and optional namespace); returns the result or NULL. */
static tf_value *open_kc(k8s_client *c, const char *name, const char *ns,
			 tf_diags *d)
{
	tfp_ctx ctx = {0};
	tf_value *config = tf_schema_empty_object(schema);
	tf_value *result = NULL;
	int64_t renew_at = 0;

	config = tf_value_mut(config);
	tf_value_object_set(config, "name", tf_value_string(name));
	if (ns)
		tf_value_object_set(config, "namespace", tf_value_string(ns));
	ctx.client = c;
	ctx.schema = schema;
	ctx.type_name = "k8s_cluster_kubeconfig";
	k8s_cluster_kubeconfig_ephemeral.open(&ctx, config, &result, &renew_at, d);
	assert_null(ctx.private_out);
	assert_int_equal(renew_at, 0);
	tf_value_unref(config);
	return result;
}

static void test_open_reads_secret(void **state)
{
	char body[1400];
	reply r[1];
	script s = { r, 1, 0 };
	tf_diags d = TF_DIAGS_INIT;
	k8s_client *c;
	tf_value *v;

	(void)state;
	snprintf(body, sizeof(body), "{\"kind\":\"Secret\",\"data\":{\"value\":\"%s\"}}", wl_b64);
	r[0] = (reply){ "/api/v1/namespaces/team/secrets/dev-kubeconfig", 200, body };
	c = client(&s);
	v = open_kc(c, "dev", NULL, &d);
	assert_int_equal(d.n, 0);
	assert_non_null(v);
	assert_true(tf_value_is_wholly_known(v));
	assert_non_null(strstr(tf_value_attr_string(v, "kubeconfig"), "current-context: a"));
	assert_string_equal(tf_value_attr_string(v, "server"), "https://203.0.113.9:6443");
	assert_string_equal(tf_value_attr_string(v, "namespace"), "team");
	tf_value_unref(v);
	k8s_client_free(c);
}

static void test_open_cluster_missing_or_pending(void **state)
{
	static const reply missing[] = {
		{ "/api/v1/namespaces/ops/secrets/ghost-kubeconfig", 404, NOTFOUND },
		DISCOVERY,
		{ "/apis/cluster.x-k8s.io/v1beta2/namespaces/ops/clusters/ghost", 404, NOTFOUND },
	};
	static const reply pending[] = {
		{ "/api/v1/namespaces/team/secrets/dev-kubeconfig", 404, NOTFOUND },
		DISCOVERY,
		{ "/apis/cluster.x-k8s.io/v1beta2/namespaces/team/clusters/dev", 200, "{\"kind\":\"Cluster\"}" },
	};
	script s = { missing, sizeof(missing) / sizeof(missing[0]), 0 };
	tf_diags d = TF_DIAGS_INIT;
	k8s_client *c = client(&s);

	(void)state;
	assert_null(open_kc(c, "ghost", "ops", &d));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].summary, "Cluster not found");
	assert_non_null(strstr(d.items[0].detail, "\"ghost\" in namespace \"ops\""));
	assert_int_equal(d.items[0].path.n, 1);
	assert_string_equal(d.items[0].path.steps[0].name, "name");
	assert_int_equal(s.calls, s.n);
	tf_diags_done(&d);
	k8s_client_free(c);

	s = (script){ pending, sizeof(pending) / sizeof(pending[0]), 0 };
	c = client(&s);
	assert_null(open_kc(c, "dev", NULL, &d));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].summary, "Kubeconfig not available yet");
	assert_non_null(strstr(d.items[0].detail, "dev-kubeconfig"));
	assert_int_equal(s.calls, s.n);
	tf_diags_done(&d);
	k8s_client_free(c);
}

static void test_open_bad_secret_and_api_error(void **state)
{
	static const reply bad[] = {
		{ "/api/v1/namespaces/team/secrets/a-kubeconfig", 200, "{\"data\":{\"value\":\"@@@\"}}" },
		{ "/api/v1/namespaces/team/secrets/b-kubeconfig", 200, "{\"data\":{}}" },
		/* base64 of "\xff\xfe": not UTF-8 */
		{ "/api/v1/namespaces/team/secrets/c-kubeconfig", 200, "{\"data\":{\"value\":\"//4=\"}}" },
		{ "/api/v1/namespaces/team/secrets/d-kubeconfig", 403,
		  "{\"kind\":\"Status\",\"reason\":\"Forbidden\",\"code\":403,\"message\":\"secrets is forbidden\"}" },
	};
	script s = { bad, 4, 0 };
	tf_diags d = TF_DIAGS_INIT;
	k8s_client *c = client(&s);
	const char *names[] = { "a", "b", "c" };
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_null(open_kc(c, names[i], NULL, &d));
		assert_int_equal(d.n, 1);
		assert_string_equal(d.items[0].summary, "Invalid kubeconfig Secret");
		tf_diags_done(&d);
	}
	assert_null(open_kc(c, "d", NULL, &d));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].summary, "Cannot read Secret team/d-kubeconfig");
	assert_non_null(strstr(d.items[0].detail, "secrets is forbidden"));
	assert_non_null(strstr(d.items[0].detail, "RBAC"));
	tf_diags_done(&d);
	k8s_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_reads_secret),
		cmocka_unit_test(test_open_cluster_missing_or_pending),
		cmocka_unit_test(test_open_bad_secret_and_api_error),
	};

	return cmocka_run_group_tests_name("k8s_cluster_kubeconfig", tests, setup, teardown);
}
