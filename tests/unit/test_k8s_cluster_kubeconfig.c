/* The k8s_cluster_kubeconfig ephemeral resource's open handler against a
 * scripted API server: the result (kubeconfig, server, namespace), the
 * namespace default; a missing or deleting Cluster answers with unknown
 * computed attributes and a warning (Terraform opens it at plan time,
 * before a k8s_cluster of the same configuration exists); a Cluster whose
 * Secret is not there yet is waited for (found later, timeouts.open
 * exceeded with the conditions reported, StopProvider, paused); a Secret
 * without a usable data.value and an API failure are errors. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "provider/k8s/k8s_client.h"
#include "provider/k8s/kubeconfig.h"
#include "provider/resource.h"

extern const tfp_ephemeral k8s_cluster_kubeconfig_ephemeral;

typedef struct reply {
	const char *path; /* expected request path */
	int status;
	const char *body;
	int times; /* by_path scripts: uses allowed, 0 = unlimited */
} reply;

#define MAX_REPLIES 16

/* In order (each reply once, paths checked), or by_path: the first reply
 * for the path with uses left. stop_at: raise *stop at that call (1-based). */
typedef struct script {
	const reply *r;
	size_t n, calls;
	bool by_path;
	int used[MAX_REPLIES];
	size_t stop_at;
	atomic_int *stop;
} script;

static int scripted(void *ud, const char *method, const char *path,
		    const char *ctype, const char *body, const char *auth,
		    k8s_http_reply *out)
{
	script *s = ud;
	const reply *r = NULL;
	size_t i;

	(void)ctype;
	(void)body;
	(void)auth;
	assert_string_equal(method, "GET");
	s->calls++;
	if (s->stop && s->calls == s->stop_at)
		atomic_store(s->stop, 1);
	if (s->by_path) {
		for (i = 0; i < s->n && !r; i++)
			if (strcmp(s->r[i].path, path) == 0 &&
			    (s->r[i].times == 0 ||
			     s->used[i] < s->r[i].times)) {
				s->used[i]++;
				r = &s->r[i];
			}
		if (!r)
			fail_msg("unexpected request %s %s", method, path);
	} else {
		if (s->calls > s->n)
			fail_msg("unexpected request %s %s", method, path);
		r = &s->r[s->calls - 1];
		assert_string_equal(path, r->path);
	}
	out->status = r->status;
	out->body = strdup(r->body);
	return 0;
}

#define APIS                                                                                       \
	"{\"kind\":\"APIGroupList\",\"groups\":["                                                  \
	"{\"name\":\"cluster.x-k8s.io\",\"versions\":[{\"version\":\"v1beta2\"}],"                 \
	"\"preferredVersion\":{\"version\":\"v1beta2\"}},"                                         \
	"{\"name\":\"controlplane.cluster.x-k8s.io\",\"versions\":[{\"version\":\"v1beta2\"}],"    \
	"\"preferredVersion\":{\"version\":\"v1beta2\"}},"                                         \
	"{\"name\":\"bootstrap.cluster.x-k8s.io\",\"versions\":[{\"version\":\"v1beta2\"}],"       \
	"\"preferredVersion\":{\"version\":\"v1beta2\"}},"                                         \
	"{\"name\":\"infrastructure.cluster.x-k8s.io\",\"versions\":[{\"version\":\"v1alpha2\"}]," \
	"\"preferredVersion\":{\"version\":\"v1alpha2\"}}]}"
#define RES(p, k) "{\"name\":\"" p "\",\"kind\":\"" k "\",\"namespaced\":true}"
#define DISCOVERY                                                                               \
	{ "/apis", 200, APIS },                                                                 \
		{ "/apis/cluster.x-k8s.io/v1beta2", 200,                                        \
		  "{\"resources\":[" RES("clusters", "Cluster") "," RES(                        \
			  "machinedeployments",                                                 \
			  "MachineDeployment") "," RES("machinesets",                           \
						       "MachineSet") "," RES("machines",        \
									     "Machine") "]}" }, \
		{ "/apis/controlplane.cluster.x-k8s.io/v1beta2", 200,                           \
		  "{\"resources\":[" RES("kubeadmcontrolplanes",                                \
					 "KubeadmControlPlane") "]}" },                         \
		{ "/apis/bootstrap.cluster.x-k8s.io/v1beta2", 200,                              \
		  "{\"resources\":[" RES(                                                       \
			  "kubeadmconfigtemplates",                                             \
			  "KubeadmConfigTemplate") "," RES("kubeadmconfigs",                    \
							   "KubeadmConfig") "]}" },             \
	{                                                                                       \
		"/apis/infrastructure.cluster.x-k8s.io/v1alpha2", 200,                          \
			"{\"resources\":[" RES("lxcclusters", "LXCCluster") "," RES(            \
				"lxcmachinetemplates",                                          \
				"LXCMachineTemplate") "," RES("lxcmachines",                    \
							      "LXCMachine") "]}"                \
	}

#define NOTFOUND                                                               \
	"{\"kind\":\"Status\",\"reason\":\"NotFound\",\"code\":404,\"message\":\"not found\"}"

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
	assert_int_equal(tf_schema_compile(k8s_cluster_kubeconfig_ephemeral
						   .schema,
					   0, &schema, err, sizeof(err)),
			 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tf_schema_free(schema);
	return 0;
}

static k8s_client *client_stop(script *s, atomic_int *stop)
{
	static const char yaml[] =
		"current-context: c\nclusters:\n- name: k\n  cluster: {server: https://192.0.2.10:6443}\n"
		"users:\n- name: u\n  user: {token: t}\n"
		"contexts:\n- name: c\n  context: {cluster: k, user: u, namespace: team}\n";
	kubeconfig_source src = { .content = yaml };
	kubeconfig *kc = NULL;
	k8s_client_opts o = { 0 };
	k8s_client *c = NULL;
	tfp_error e;

	assert_int_equal(kubeconfig_load(&src, &kc, NULL), TFP_OK);
	o.kc = kc;
	o.transport = scripted;
	o.transport_ud = s;
	o.stop = stop;
	assert_int_equal(k8s_client_new(&o, &c, &e), TFP_OK);
	kubeconfig_free(kc);
	return c;
}

static k8s_client *client(script *s)
{
	return client_stop(s, NULL);
}

/* Open with name (and optional namespace and timeouts.open); returns the
 * result or NULL. */
static tf_value *open_kc_t(k8s_client *c, const char *name, const char *ns,
			   const char *open_timeout, atomic_int *stop,
			   tf_diags *d)
{
	tfp_ctx ctx = { 0 };
	tf_value *config = tf_schema_empty_object(schema);
	tf_value *result = NULL, *t;
	int64_t renew_at = 0;

	config = tf_value_mut(config);
	tf_value_object_set(config, "name", tf_value_string(name));
	if (ns)
		tf_value_object_set(config, "namespace", tf_value_string(ns));
	if (open_timeout) {
		t = tf_value_object_new(
			tf_value_type(tf_value_attr(config, "timeouts")));
		tf_value_object_set(t, "open", tf_value_string(open_timeout));
		tf_value_object_set(config, "timeouts", t);
	}
	ctx.client = c;
	ctx.stop = stop;
	ctx.schema = schema;
	ctx.type_name = "k8s_cluster_kubeconfig";
	k8s_cluster_kubeconfig_ephemeral.open(&ctx, config, &result, &renew_at,
					      d);
	assert_null(ctx.private_out);
	assert_int_equal(renew_at, 0);
	tf_value_unref(config);
	return result;
}

static tf_value *open_kc(k8s_client *c, const char *name, const char *ns,
			 tf_diags *d)
{
	return open_kc_t(c, name, ns, NULL, NULL, d);
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
	snprintf(body, sizeof(body),
		 "{\"kind\":\"Secret\",\"data\":{\"value\":\"%s\"}}", wl_b64);
	r[0] = (reply){ "/api/v1/namespaces/team/secrets/dev-kubeconfig", 200,
			body };
	c = client(&s);
	v = open_kc(c, "dev", NULL, &d);
	assert_int_equal(d.n, 0);
	assert_non_null(v);
	assert_true(tf_value_is_wholly_known(v));
	assert_non_null(strstr(tf_value_attr_string(v, "kubeconfig"),
			       "current-context: a"));
	assert_string_equal(tf_value_attr_string(v, "server"),
			    "https://203.0.113.9:6443");
	assert_string_equal(tf_value_attr_string(v, "namespace"), "team");
	tf_value_unref(v);
	k8s_client_free(c);
}

/* No Cluster (or one being deleted): not an error. The result keeps the
 * configuration, `kubeconfig` and `server` are unknown, and a warning on
 * `name` says why. */
static void test_open_cluster_missing_is_unknown(void **state)
{
	static const reply missing[] = {
		{ "/api/v1/namespaces/ops/secrets/ghost-kubeconfig", 404,
		  NOTFOUND },
		DISCOVERY,
		{ "/apis/cluster.x-k8s.io/v1beta2/namespaces/ops/clusters/ghost",
		  404, NOTFOUND },
	};
	static const reply deleting[] = {
		{ "/api/v1/namespaces/team/secrets/old-kubeconfig", 404,
		  NOTFOUND },
		DISCOVERY,
		{ "/apis/cluster.x-k8s.io/v1beta2/namespaces/team/clusters/old",
		  200,
		  "{\"kind\":\"Cluster\",\"metadata\":{\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"}}" },
	};
	script s = { missing, sizeof(missing) / sizeof(missing[0]), 0 };
	tf_diags d = TF_DIAGS_INIT;
	k8s_client *c = client(&s);
	tf_value *v;

	(void)state;
	v = open_kc(c, "ghost", "ops", &d);
	assert_non_null(v);
	assert_false(tf_diags_has_error(&d));
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].severity, TF_DIAG_WARNING);
	assert_string_equal(d.items[0].summary, "Cluster does not exist yet");
	assert_non_null(
		strstr(d.items[0].detail, "\"ghost\" in namespace \"ops\""));
	assert_non_null(
		strstr(d.items[0].detail, "apply reads the kubeconfig"));
	assert_int_equal(d.items[0].path.n, 1);
	assert_string_equal(d.items[0].path.steps[0].name, "name");
	assert_string_equal(tf_value_attr_string(v, "name"), "ghost");
	assert_string_equal(tf_value_attr_string(v, "namespace"), "ops");
	assert_true(tf_value_is_unknown(tf_value_attr(v, "kubeconfig")));
	assert_true(tf_value_is_unknown(tf_value_attr(v, "server")));
	assert_true(tf_value_is_null(tf_value_attr(v, "timeouts")));
	assert_int_equal(s.calls, s.n);
	tf_value_unref(v);
	tf_diags_done(&d);
	k8s_client_free(c);

	s = (script){ deleting, sizeof(deleting) / sizeof(deleting[0]), 0 };
	c = client(&s);
	v = open_kc(c, "old", NULL, &d);
	assert_non_null(v);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].severity, TF_DIAG_WARNING);
	assert_string_equal(d.items[0].summary, "Cluster is being deleted");
	assert_true(tf_value_is_unknown(tf_value_attr(v, "kubeconfig")));
	assert_int_equal(s.calls, s.n);
	tf_value_unref(v);
	tf_diags_done(&d);
	k8s_client_free(c);
}

#define CLUSTER_DEV                                                            \
	"/apis/cluster.x-k8s.io/v1beta2/namespaces/team/clusters/dev"
#define SECRET_DEV "/api/v1/namespaces/team/secrets/dev-kubeconfig"
#define KCP_DEV                                                                \
	"/apis/controlplane.cluster.x-k8s.io/v1beta2/namespaces/team/kubeadmcontrolplanes/dev"
#define COND_FALSE                                                                           \
	"{\"kind\":\"Cluster\",\"metadata\":{\"name\":\"dev\"},\"status\":{\"conditions\":[" \
	"{\"type\":\"ControlPlaneInitialized\",\"status\":\"False\",\"reason\":\"Waiting\"," \
	"\"message\":\"LXD: instance start failed\"}]}}"

/* The Cluster exists, its Secret comes two polls later: the open waits and
 * returns it. */
static void test_open_waits_for_secret(void **state)
{
	char body[1400];
	reply r[] = {
		{ SECRET_DEV, 404, NOTFOUND, 0 },
		DISCOVERY,
		{ CLUSTER_DEV, 200, "{\"kind\":\"Cluster\"}", 0 },
		{ SECRET_DEV, 404, NOTFOUND, 0 },
		{ CLUSTER_DEV, 200, "{\"kind\":\"Cluster\"}", 0 },
		{ SECRET_DEV, 200, body, 0 },
	};
	script s = { r, sizeof(r) / sizeof(r[0]), 0 };
	tf_diags d = TF_DIAGS_INIT;
	k8s_client *c;
	tf_value *v;

	(void)state;
	snprintf(body, sizeof(body),
		 "{\"kind\":\"Secret\",\"data\":{\"value\":\"%s\"}}", wl_b64);
	c = client(&s);
	v = open_kc(c, "dev", NULL, &d);
	assert_int_equal(d.n, 0);
	assert_non_null(v);
	assert_true(tf_value_is_wholly_known(v));
	assert_string_equal(tf_value_attr_string(v, "server"),
			    "https://203.0.113.9:6443");
	assert_int_equal(s.calls, s.n);
	tf_value_unref(v);
	k8s_client_free(c);
}

/* Never written: after timeouts.open an error naming the Secret, the
 * timeout and the False conditions of the Cluster and its control plane. */
static void test_open_wait_times_out(void **state)
{
	static const reply r[] = {
		{ SECRET_DEV, 404, NOTFOUND, 0 },
		DISCOVERY,
		{ CLUSTER_DEV, 200, COND_FALSE, 0 },
		{ KCP_DEV, 200,
		  "{\"kind\":\"KubeadmControlPlane\",\"metadata\":{\"name\":\"dev\"},"
		  "\"status\":{\"conditions\":[{\"type\":\"Available\",\"status\":\"False\","
		  "\"reason\":\"NoMachines\",\"message\":\"0 of 1 machines ready\"}]}}",
		  0 },
	};
	script s = { r, sizeof(r) / sizeof(r[0]), 0, .by_path = true };
	tf_diags d = TF_DIAGS_INIT;
	k8s_client *c;
	long long t0;
	struct timespec ts;

	(void)state;
	c = client(&s);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
	assert_null(open_kc_t(c, "dev", NULL, "1s", NULL, &d));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	assert_true(ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 - t0 >= 900);
	assert_true(tf_diags_has_error(&d));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].summary,
			    "Kubeconfig not available in time");
	assert_non_null(strstr(d.items[0].detail, "\"dev-kubeconfig\""));
	assert_non_null(strstr(d.items[0].detail, "timeouts.open (1s)"));
	assert_non_null(
		strstr(d.items[0].detail, "LXD: instance start failed"));
	assert_non_null(strstr(d.items[0].detail, "0 of 1 machines ready"));
	assert_string_equal(d.items[0].path.steps[0].name, "name");
	tf_diags_done(&d);
	k8s_client_free(c);
}

/* StopProvider during the wait ends it promptly with an error. */
static void test_open_wait_stopped(void **state)
{
	static const reply r[] = {
		{ SECRET_DEV, 404, NOTFOUND, 0 },
		DISCOVERY,
		{ CLUSTER_DEV, 200, "{\"kind\":\"Cluster\"}", 0 },
	};
	atomic_int stop = 0;
	script s = { r, sizeof(r) / sizeof(r[0]), 0, .by_path = true };
	tf_diags d = TF_DIAGS_INIT;
	k8s_client *c;
	struct timespec ts;
	long long t0;

	(void)state;
	s.stop = &stop;
	s.stop_at = 9; /* during the first poll */
	c = client_stop(&s, &stop);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
	assert_null(open_kc_t(c, "dev", NULL, "10m", &stop, &d));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	assert_true(ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 - t0 < 3000);
	assert_true(tf_diags_has_error(&d));
	assert_non_null(strstr(d.items[0].summary,
			       "Cannot wait for Secret team/dev-kubeconfig"));
	tf_diags_done(&d);
	k8s_client_free(c);
}

/* A paused Cluster never gets its Secret: error at once, no wait. */
static void test_open_paused_cluster(void **state)
{
	static const reply r[] = {
		{ SECRET_DEV, 404, NOTFOUND },
		DISCOVERY,
		{ CLUSTER_DEV, 200,
		  "{\"kind\":\"Cluster\",\"spec\":{\"paused\":true}}" },
	};
	script s = { r, sizeof(r) / sizeof(r[0]), 0 };
	tf_diags d = TF_DIAGS_INIT;
	k8s_client *c = client(&s);

	(void)state;
	assert_null(open_kc(c, "dev", NULL, &d));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].summary,
			    "Kubeconfig not available: cluster paused");
	assert_non_null(strstr(d.items[0].detail, "Unpause"));
	assert_int_equal(s.calls, s.n);
	tf_diags_done(&d);
	k8s_client_free(c);
}

static void test_open_bad_secret_and_api_error(void **state)
{
	static const reply bad[] = {
		{ "/api/v1/namespaces/team/secrets/a-kubeconfig", 200,
		  "{\"data\":{\"value\":\"@@@\"}}" },
		{ "/api/v1/namespaces/team/secrets/b-kubeconfig", 200,
		  "{\"data\":{}}" },
		/* base64 of "\xff\xfe": not UTF-8 */
		{ "/api/v1/namespaces/team/secrets/c-kubeconfig", 200,
		  "{\"data\":{\"value\":\"//4=\"}}" },
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
		assert_string_equal(d.items[0].summary,
				    "Invalid kubeconfig Secret");
		tf_diags_done(&d);
	}
	assert_null(open_kc(c, "d", NULL, &d));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.items[0].summary,
			    "Cannot read Secret team/d-kubeconfig");
	assert_non_null(strstr(d.items[0].detail, "secrets is forbidden"));
	assert_non_null(strstr(d.items[0].detail, "RBAC"));
	tf_diags_done(&d);
	k8s_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_reads_secret),
		cmocka_unit_test(test_open_cluster_missing_is_unknown),
		cmocka_unit_test(test_open_waits_for_secret),
		cmocka_unit_test(test_open_wait_times_out),
		cmocka_unit_test(test_open_wait_stopped),
		cmocka_unit_test(test_open_paused_cluster),
		cmocka_unit_test(test_open_bad_secret_and_api_error),
	};

	return cmocka_run_group_tests_name("k8s_cluster_kubeconfig", tests,
					   setup, teardown);
}
