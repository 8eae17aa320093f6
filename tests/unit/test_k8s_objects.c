/* Unit tests for provider/k8s/k8s_objects.c: the Cluster API objects built
 * from k8s_cluster / k8s_machine_pool values, and the state read back from
 * live objects (controller-set fields never drift, managed fields do),
 * versions, template names, base64, conditions and readiness predicates.
 *
 * Values are written as Terraform's JSON state encoding and decoded with the
 * real schema, so a table/builder mismatch fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "provider/k8s/k8s_objects.h"
#include "provider/util/b64.h"
#include "schema/codec.h"
#include "schema/plan.h"
#include "schema/tf_err.h"

static tf_schema *cluster_schema, *pool_schema;

static int setup(void **state)
{
	char err[256];

	(void)state;
	if (tf_schema_compile(&k8s_cluster_schema_def, 0, &cluster_schema, err,
			      sizeof(err)) != TF_OK) {
		fprintf(stderr, "k8s_cluster schema: %s\n", err);
		return -1;
	}
	if (tf_schema_compile(&k8s_pool_schema_def, 0, &pool_schema, err,
			      sizeof(err)) != TF_OK) {
		fprintf(stderr, "k8s_machine_pool schema: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tf_schema_free(cluster_schema);
	tf_schema_free(pool_schema);
	return 0;
}

/* A value of the schema from relaxed JSON (single quotes become double
 * quotes; absent attributes are null). */
static tf_value *val(const tf_schema *s, const char *relaxed)
{
	char *text = strdup(relaxed), err[256] = "";
	tf_value *v = NULL;

	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	if (tf_json_decode(text, strlen(text), tf_schema_type(s), 1, &v, err,
			   sizeof(err)) != TF_OK)
		fail_msg("decode %s: %s", relaxed, err);
	free(text);
	return v;
}

static json_t *js(const char *relaxed)
{
	char *text = strdup(relaxed);
	json_error_t e;
	json_t *j;

	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(text, 0, &e);
	if (!j)
		fail_msg("json %s: %s", relaxed, e.text);
	free(text);
	return j;
}

#define CLUSTER_PLAN                                                           \
	"{'name':'prod','namespace':'capi','kubernetes_version':'v1.33.1',"    \
	"'control_plane_replicas':3,'instance_type':'virtual-machine',"        \
	"'flavor':'c2-m4','profiles':['default','k8s'],'image':'',"            \
	"'target':'@compute','pod_cidrs':['10.244.0.0/16'],"                   \
	"'service_cidrs':['10.96.0.0/12'],'load_balancer':'ovn',"              \
	"'load_balancer_network':'k8s-net','control_plane_port':6443,"         \
	"'lxd_server_url':'https://192.0.2.10:8443','lxd_client_certificate':" \
	"'CERT','lxd_client_key':'KEY','lxd_project':'default',"               \
	"'identity_secret_name':'prod-lxd-identity','endpoint':'',"            \
	"'phase':'','conditions':{}}"

/* ---- schemas and validators ------------------------------------------ */

static void test_schemas_compile(void **state)
{
	(void)state;
	assert_non_null(cluster_schema);
	assert_non_null(pool_schema);
	/* The admin kubeconfig is not state (k8s_cluster_kubeconfig reads it). */
	assert_int_equal(tf_schema_attr_index(cluster_schema, "kubeconfig"),
			 -1);
	assert_true(k8s_cluster_schema_def
			    .attrs[tf_schema_attr_index(cluster_schema,
							"lxd_client_key")]
			    .flags &
		    TF_SENSITIVE);
	/* Nor the LXD client key: write-only, its digest is. */
	assert_true(k8s_cluster_schema_def
			    .attrs[tf_schema_attr_index(cluster_schema,
							"lxd_client_key")]
			    .flags &
		    TF_WRITE_ONLY);
	assert_true(
		k8s_cluster_schema_def
			.attrs[tf_schema_attr_index(cluster_schema,
						    "lxd_client_key_sha256")]
			.flags &
		TF_COMPUTED);
}

static void test_validators(void **state)
{
	static const char *const good[] = { "prod", "a", "k8s-1", NULL };
	static const char *const bad[] = {
		"",
		"Prod",
		"-a",
		"a-",
		"a_b",
		"a.b",
		"a234567890123456789012345678901234567890123456789012345678901234",
		NULL
	};
	tf_path p = { 0 };

	(void)state;
	for (int i = 0; good[i]; i++) {
		tf_diags d = TF_DIAGS_INIT;
		tf_value *v = tf_value_string(good[i]);
		k8s_validate_dns_label(v, NULL, &p, &d);
		assert_false(tf_diags_has_error(&d));
		tf_value_unref(v);
		tf_diags_done(&d);
	}
	for (int i = 0; bad[i]; i++) {
		tf_diags d = TF_DIAGS_INIT;
		tf_value *v = tf_value_string(bad[i]);
		k8s_validate_dns_label(v, NULL, &p, &d);
		assert_true(tf_diags_has_error(&d));
		tf_value_unref(v);
		tf_diags_done(&d);
	}
	{
		tf_diags d = TF_DIAGS_INIT;
		tf_value *v = tf_value_string("1.33");
		k8s_validate_version(v, NULL, &p, &d);
		assert_true(tf_diags_has_error(&d));
		assert_non_null(strstr(d.items[0].detail, "v1.33.1"));
		tf_value_unref(v);
		tf_diags_done(&d);
	}
}

/* ---- versions ------------------------------------------------------------ */

static void test_versions(void **state)
{
	k8s_version v;
	char *why = NULL, *c;

	(void)state;
	assert_int_equal(k8s_version_parse("v1.33.2", &v), 0);
	assert_int_equal(v.major, 1);
	assert_int_equal(v.minor, 33);
	assert_int_equal(v.patch, 2);
	assert_int_equal(k8s_version_parse("1.30.0-rc.1", &v), 0);
	assert_int_equal(k8s_version_parse("1.30", &v), -1);
	assert_int_equal(k8s_version_parse("v1.30.x", &v), -1);
	assert_true(k8s_version_cmp("v1.33.0", "1.34.0") < 0);
	assert_true(k8s_version_cmp("v1.33.10", "1.33.9") > 0);
	assert_int_equal(k8s_version_cmp("1.33.1", "v1.33.1"), 0);
	assert_true(k8s_version_same("1.33.1", "v1.33.1"));
	assert_false(k8s_version_same("1.33.1", "v1.33.2"));
	c = k8s_version_canonical("1.33.1");
	assert_string_equal(c, "v1.33.1");
	free(c);
	c = k8s_version_canonical("v1.33.1");
	assert_string_equal(c, "v1.33.1");
	free(c);

	assert_true(k8s_version_step_ok("v1.33.1", "v1.34.0", &why));
	assert_null(why);
	assert_true(k8s_version_step_ok("v1.33.1", "v1.33.4", &why));
	assert_false(k8s_version_step_ok("v1.32.1", "v1.34.0", &why));
	assert_non_null(strstr(why, "one minor version at a time"));
	assert_non_null(strstr(why, "v1.33.x"));
	free(why);
	assert_false(k8s_version_step_ok("v1.33.1", "v1.32.9", &why));
	assert_non_null(strstr(why, "downgrade"));
	free(why);
	assert_false(k8s_version_step_ok("v1.33.1", "v2.0.0", &why));
	free(why);
}

/* ---- names and base64 ------------------------------------------------------ */

static void test_template_names(void **state)
{
	json_t *a = js("{'instanceType':'virtual-machine','flavor':'c2-m4'}");
	json_t *b = js("{'flavor':'c2-m4','instanceType':'virtual-machine'}");
	json_t *c = js("{'flavor':'c4-m8','instanceType':'virtual-machine'}");
	char *na = k8s_template_name("prod-control-plane", a);
	char *nb = k8s_template_name("prod-control-plane", b);
	char *nc = k8s_template_name("prod-control-plane", c);

	(void)state;
	assert_string_equal(na, nb); /* key order does not matter */
	assert_string_not_equal(na, nc);
	assert_int_equal(strlen(na), strlen("prod-control-plane-") + 10);
	assert_memory_equal(na, "prod-control-plane-", 19);
	free(na);
	free(nb);
	free(nc);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	na = k8s_identity_secret_name("prod");
	assert_string_equal(na, "prod-lxd-identity");
	free(na);
}

/* ---- k8s_cluster builders ------------------------------------------------- */

static bool has_arg(const json_t *args, const char *name, const char *value)
{
	size_t i;
	json_t *a;

	json_array_foreach (args, i, a)
		if (strcmp(k8s_jstr(a, "name"), name) == 0 &&
		    strcmp(k8s_jstr(a, "value"), value) == 0)
			return true;
	return false;
}

static void test_cluster_objects(void **state)
{
	tf_value *plan = val(cluster_schema, CLUSTER_PLAN);
	json_t *cl = k8s_cluster_object(plan);
	json_t *kcp =
		k8s_kubeadm_control_plane(plan,
					  "prod-control-plane-0123456789");
	json_t *lxc = k8s_lxc_cluster(plan, "prod-lxd-identity");
	json_t *ms = k8s_machine_spec(plan);
	json_t *tpl = k8s_lxc_machine_template("capi", "t1", "prod", ms);
	json_t *sec = k8s_identity_secret(plan, "prod-lxd-identity");
	size_t n;
	char *dec;

	(void)state;
	/* Cluster: v1beta2 references carry apiGroup, not apiVersion. */
	assert_string_equal(k8s_jstr(cl, "apiVersion"),
			    "cluster.x-k8s.io/v1beta2");
	assert_string_equal(k8s_jstr(cl, "metadata.namespace"), "capi");
	assert_string_equal(k8s_jstr(cl, "spec.controlPlaneRef.apiGroup"),
			    "controlplane.cluster.x-k8s.io");
	assert_string_equal(k8s_jstr(cl, "spec.controlPlaneRef.kind"),
			    "KubeadmControlPlane");
	assert_string_equal(k8s_jstr(cl, "spec.infrastructureRef.kind"),
			    "LXCCluster");
	assert_string_equal(k8s_jstr(cl, "spec.infrastructureRef.apiGroup"),
			    "infrastructure.cluster.x-k8s.io");
	assert_null(k8s_jget(cl, "spec.controlPlaneRef.apiVersion"));
	assert_string_equal(
		json_string_value(json_array_get(
			k8s_jget(cl, "spec.clusterNetwork.pods.cidrBlocks"),
			0)),
		"10.244.0.0/16");
	assert_null(k8s_jget(cl, "spec.controlPlaneEndpoint"));

	/* KCP: provider-id in both init and join, v-prefixed version. */
	assert_string_equal(k8s_jstr(kcp, "apiVersion"),
			    "controlplane.cluster.x-k8s.io/v1beta2");
	assert_int_equal(k8s_jint(kcp, "spec.replicas", 0), 3);
	assert_string_equal(k8s_jstr(kcp, "spec.version"), "v1.33.1");
	assert_string_equal(
		k8s_jstr(kcp,
			 "spec.machineTemplate.spec.infrastructureRef.name"),
		"prod-control-plane-0123456789");
	assert_string_equal(
		k8s_jstr(kcp,
			 "spec.machineTemplate.spec.infrastructureRef.kind"),
		"LXCMachineTemplate");
	assert_true(has_arg(k8s_jget(kcp,
				     "spec.kubeadmConfigSpec.initConfiguration."
				     "nodeRegistration.kubeletExtraArgs"),
			    "provider-id", "lxc:///{{ v1.local_hostname }}"));
	assert_true(has_arg(k8s_jget(kcp,
				     "spec.kubeadmConfigSpec.joinConfiguration."
				     "nodeRegistration.kubeletExtraArgs"),
			    "provider-id", "lxc:///{{ v1.local_hostname }}"));
	assert_string_equal(json_string_value(
				    json_object_get(k8s_jget(kcp,
							     "metadata.labels"),
						    K8S_LABEL_MANAGED)),
			    K8S_MANAGER);

	/* LXCCluster with OVN load balancer on the named network. */
	assert_string_equal(k8s_jstr(lxc, "apiVersion"),
			    "infrastructure.cluster.x-k8s.io/v1alpha2");
	assert_string_equal(k8s_jstr(lxc, "spec.loadBalancer.ovn.networkName"),
			    "k8s-net");
	assert_null(k8s_jget(lxc, "spec.loadBalancer.lxc"));
	assert_string_equal(k8s_jstr(lxc, "spec.secretRef.name"),
			    "prod-lxd-identity");
	assert_null(k8s_jget(lxc, "spec.controlPlaneEndpoint"));

	/* Machine template: virtual machines, flavor, profiles, target;
	 * empty image left out (CAPN's default kubeadm image). */
	assert_string_equal(k8s_jstr(tpl, "spec.template.spec.instanceType"),
			    "virtual-machine");
	assert_string_equal(k8s_jstr(tpl, "spec.template.spec.flavor"),
			    "c2-m4");
	assert_string_equal(k8s_jstr(tpl, "spec.template.spec.target"),
			    "@compute");
	assert_int_equal(json_array_size(
				 k8s_jget(tpl, "spec.template.spec.profiles")),
			 2);
	assert_null(k8s_jget(tpl, "spec.template.spec.image"));
	assert_string_equal(json_string_value(
				    json_object_get(k8s_jget(tpl,
							     "metadata.labels"),
						    K8S_LABEL_CLUSTER)),
			    "prod");

	/* Identity Secret: base64 data, the clusterctl move label. */
	assert_string_equal(k8s_jstr(sec, "kind"), "Secret");
	dec = util_b64_decode(k8s_jstr(sec, "data.server"),
			      strlen(k8s_jstr(sec, "data.server")), &n);
	assert_string_equal(dec, "https://192.0.2.10:8443");
	free(dec);
	dec = util_b64_decode(k8s_jstr(sec, "data.client-key"),
			      strlen(k8s_jstr(sec, "data.client-key")), &n);
	assert_string_equal(dec, "KEY");
	free(dec);
	assert_null(k8s_jget(sec, "data.server-crt"));
	assert_string_equal(json_string_value(json_object_get(
				    k8s_jget(sec, "metadata.labels"),
				    "clusterctl.cluster.x-k8s.io/move")),
			    "true");

	json_decref(cl);
	json_decref(kcp);
	json_decref(lxc);
	json_decref(ms);
	json_decref(tpl);
	json_decref(sec);
	tf_value_unref(plan);
}

static void test_cluster_lb_variants(void **state)
{
	tf_value *lxcp =
		val(cluster_schema,
		    "{'name':'a','namespace':'default',"
		    "'load_balancer':'lxc','control_plane_host':'198.51.100.5',"
		    "'control_plane_port':6443}");
	tf_value *ext = val(
		cluster_schema,
		"{'name':'a','namespace':'default',"
		"'load_balancer':'external','control_plane_host':'198.51.100.5',"
		"'control_plane_port':7443,'identity_secret':'mine',"
		"'lxd_server_url':'https://192.0.2.1:8443'}");
	json_t *a = k8s_lxc_cluster(lxcp, "s");
	json_t *b = k8s_lxc_cluster(ext, "mine");

	(void)state;
	assert_non_null(k8s_jget(a, "spec.loadBalancer.lxc"));
	/* lxc: the controller picks the endpoint, a host is not sent. */
	assert_null(k8s_jget(a, "spec.controlPlaneEndpoint"));
	assert_non_null(k8s_jget(b, "spec.loadBalancer.external"));
	assert_string_equal(k8s_jstr(b, "spec.controlPlaneEndpoint.host"),
			    "198.51.100.5");
	assert_int_equal(k8s_jint(b, "spec.controlPlaneEndpoint.port", 0),
			 7443);
	/* An existing Secret is never written. */
	assert_null(k8s_identity_secret(ext, "x"));
	json_decref(a);
	json_decref(b);
	tf_value_unref(lxcp);
	tf_value_unref(ext);
}

/* Live objects as the controllers leave them: everything the builders
 * sent plus status, ownerReferences, labels, finalizers, endpoint. */
static void live_cluster(const tf_value *plan, json_t **cl, json_t **kcp,
			 json_t **lxc, json_t **tpl)
{
	json_t *ms = k8s_machine_spec(plan);

	*cl = k8s_cluster_object(plan);
	*kcp = k8s_kubeadm_control_plane(plan, "prod-control-plane-0123456789");
	*lxc = k8s_lxc_cluster(plan, "prod-lxd-identity");
	*tpl = k8s_lxc_machine_template("capi", "prod-control-plane-0123456789",
					"prod", ms);
	json_decref(ms);
	json_object_set_new(json_object_get(*cl, "spec"),
			    "controlPlaneEndpoint",
			    js("{'host':'203.0.113.7','port':6443}"));
	json_object_set_new(
		*cl, "status",
		js("{'phase':'Provisioned','conditions':["
		   "{'type':'Available','status':'True'},"
		   "{'type':'WorkersAvailable','status':'False','reason':'X',"
		   "'message':'no workers yet'}]}"));
	json_object_set_new(json_object_get(*kcp, "metadata"),
			    "ownerReferences",
			    js("[{'kind':'Cluster','name':'prod'}]"));
	json_object_set_new(json_object_get(*kcp, "metadata"), "finalizers",
			    js("['kubeadm.controlplane.cluster.x-k8s.io']"));
	json_object_set_new(json_object_get(*lxc, "spec"),
			    "controlPlaneEndpoint",
			    js("{'host':'203.0.113.7','port':6443}"));
}

static void test_cluster_read_no_drift(void **state)
{
	tf_value *plan = val(cluster_schema, CLUSTER_PLAN);
	tf_value *st = tf_value_mut(tf_value_ref(plan));
	json_t *cl, *kcp, *lxc, *tpl;

	(void)state;
	live_cluster(plan, &cl, &kcp, &lxc, &tpl);
	k8s_cluster_read_into(st, cl, kcp, lxc, tpl, "v1.33.1");
	/* Managed attributes equal; computed ones reflect the live objects. */
	{
		static const char *const managed[] = {
			"name",
			"namespace",
			"kubernetes_version",
			"control_plane_replicas",
			"instance_type",
			"flavor",
			"profiles",
			"image",
			"target",
			"pod_cidrs",
			"service_cidrs",
			"load_balancer",
			"load_balancer_network",
			"control_plane_host",
			"control_plane_port",
		};
		for (size_t i = 0; i < sizeof(managed) / sizeof(managed[0]);
		     i++)
			if (!tf_value_equal(tf_value_attr(plan, managed[i]),
					    tf_value_attr(st, managed[i])))
				fail_msg("attribute %s drifted", managed[i]);
	}
	assert_string_equal(tf_value_attr_string(st, "endpoint"),
			    "https://203.0.113.7:6443");
	assert_string_equal(tf_value_attr_string(st, "phase"), "Provisioned");
	assert_string_equal(tf_value_get_string(tf_value_map_get(
				    tf_value_attr(st, "conditions"),
				    "WorkersAvailable")),
			    "False: no workers yet");
	assert_string_equal(tf_value_get_string(tf_value_map_get(
				    tf_value_attr(st, "conditions"),
				    "Available")),
			    "True");

	/* The webhook's "v" prefix never shows as a change. */
	{
		tf_value *p2 = val(cluster_schema,
				   "{'name':'prod','namespace':'capi',"
				   "'kubernetes_version':'1.33.1'}");
		tf_value *s2 = tf_value_mut(tf_value_ref(p2));
		k8s_cluster_read_into(s2, cl, kcp, lxc, tpl, "1.33.1");
		assert_string_equal(tf_value_attr_string(s2,
							 "kubernetes_version"),
				    "1.33.1");
		tf_value_unref(s2);
		tf_value_unref(p2);
	}
	json_decref(cl);
	json_decref(kcp);
	json_decref(lxc);
	json_decref(tpl);
	tf_value_unref(st);
	tf_value_unref(plan);
}

static void test_cluster_read_drift(void **state)
{
	tf_value *plan = val(cluster_schema, CLUSTER_PLAN);
	tf_value *st;
	json_t *cl, *kcp, *lxc, *tpl;

	(void)state;
	live_cluster(plan, &cl, &kcp, &lxc, &tpl);
	/* Someone scaled the control plane and changed the flavor in place. */
	json_object_set_new(json_object_get(kcp, "spec"), "replicas",
			    json_integer(5));
	json_object_set_new(k8s_jget(tpl, "spec.template.spec"), "flavor",
			    json_string("c8-m16"));
	json_object_del(k8s_jget(tpl, "spec.template.spec"), "profiles");
	st = tf_value_mut(tf_value_ref(plan));
	k8s_cluster_read_into(st, cl, kcp, lxc, tpl, "v1.33.1");
	assert_true(tf_plan_has_changes(plan, st));
	{
		int64_t n;
		assert_int_equal(
			tf_value_get_int(tf_value_attr(st,
						       "control_plane_replicas"),
					 &n),
			0);
		assert_int_equal(n, 5);
	}
	assert_string_equal(tf_value_attr_string(st, "flavor"), "c8-m16");
	assert_true(tf_value_is_null(tf_value_attr(st, "profiles")));
	tf_value_unref(st);

	/* Deleted objects show: the template (machine settings emptied), the
	 * KCP (0 replicas), the LXCCluster (no load balancer). */
	st = tf_value_mut(tf_value_ref(plan));
	k8s_cluster_read_into(st, cl, NULL, NULL, NULL, "v1.33.1");
	assert_string_equal(tf_value_attr_string(st, "instance_type"), "");
	assert_true(tf_value_is_null(tf_value_attr(st, "flavor")));
	assert_string_equal(tf_value_attr_string(st, "load_balancer"), "");
	{
		int64_t n;
		tf_value_get_int(tf_value_attr(st, "control_plane_replicas"),
				 &n);
		assert_int_equal(n, 0);
	}
	tf_value_unref(st);
	json_decref(cl);
	json_decref(kcp);
	json_decref(lxc);
	json_decref(tpl);
	tf_value_unref(plan);
}

static void test_identity_roundtrip(void **state)
{
	tf_value *plan = val(cluster_schema, CLUSTER_PLAN);
	json_t *sec = k8s_identity_secret(plan, "prod-lxd-identity");
	tf_value *st = tf_value_mut(tf_value_ref(plan));

	(void)state;
	/* A state as Terraform holds it: no key (write-only). */
	tf_value_object_set(st, "lxd_client_key",
			    tf_value_null(tf_type_string()));
	k8s_identity_read_into(st, sec);
	/* The key is never read back: its digest is (sha256 of "KEY"). */
	assert_true(tf_value_is_null(tf_value_attr(st, "lxd_client_key")));
	assert_string_equal(
		tf_value_attr_string(st, "lxd_client_key_sha256"),
		"5ca24005b740717ba4f3f6bc48a230700e68c2a4b11ecedb96f169f4efaf1f21");
	tf_value_object_set(st, "lxd_client_key", tf_value_string("KEY"));
	tf_value_object_set(st, "lxd_client_key_sha256",
			    tf_value_null(tf_type_string()));
	assert_true(tf_value_equal(st, plan));
	/* Key rotated by hand: its digest changes. */
	json_object_set_new(json_object_get(sec, "data"), "client-key",
			    json_string("T1RIRVI=")); /* "OTHER" */
	k8s_identity_read_into(st, sec);
	assert_string_equal(
		tf_value_attr_string(st, "lxd_client_key_sha256"),
		"1c55d9b826e8dfa994370e306ae8dc2e849f3e003381dc848a0b95f782c0c0e3");
	json_decref(sec);
	tf_value_unref(st);
	tf_value_unref(plan);
}

/* ---- k8s_machine_pool ------------------------------------------------------ */

#define POOL_PLAN                                                              \
	"{'name':'workers','namespace':'capi','cluster_name':'prod',"          \
	"'kubernetes_version':'v1.33.1','replicas':2,"                         \
	"'instance_type':'virtual-machine','flavor':'c2-m4',"                  \
	"'target':'node2','labels':{'tier':'web','zone':'a'},"                 \
	"'taints':[{'key':'dedicated','value':'web','effect':'NoSchedule'}],"  \
	"'rollout_strategy':'RollingUpdate','max_surge':'1',"                  \
	"'max_unavailable':'0'}"

static void test_pool_objects(void **state)
{
	tf_value *plan = val(pool_schema, POOL_PLAN);
	json_t *md = k8s_machine_deployment(plan, "workers-i", "workers-b", 2);
	json_t *kct = k8s_kubeadm_config_template(plan, "workers-b");
	const json_t *nr;

	(void)state;
	assert_string_equal(k8s_jstr(md, "apiVersion"),
			    "cluster.x-k8s.io/v1beta2");
	assert_string_equal(k8s_jstr(md, "spec.clusterName"), "prod");
	assert_string_equal(k8s_jstr(md, "spec.template.spec.clusterName"),
			    "prod");
	assert_int_equal(k8s_jint(md, "spec.replicas", -1), 2);
	assert_string_equal(k8s_jstr(md, "spec.template.spec.version"),
			    "v1.33.1");
	assert_string_equal(
		k8s_jstr(md, "spec.template.spec.bootstrap.configRef.kind"),
		"KubeadmConfigTemplate");
	assert_string_equal(
		k8s_jstr(md, "spec.template.spec.bootstrap.configRef.apiGroup"),
		"bootstrap.cluster.x-k8s.io");
	assert_string_equal(
		k8s_jstr(md, "spec.template.spec.infrastructureRef.name"),
		"workers-i");
	assert_string_equal(k8s_jstr(md, "spec.rollout.strategy.type"),
			    "RollingUpdate");
	assert_int_equal(k8s_jint(md,
				  "spec.rollout.strategy.rollingUpdate.maxSurge",
				  -1),
			 1);
	/* The selector matches the template labels (the webhook requires it). */
	assert_true(json_equal(k8s_jget(md, "spec.selector.matchLabels"),
			       k8s_jget(md, "spec.template.metadata.labels")));
	assert_null(k8s_jget(md, "metadata.annotations"));

	nr = k8s_jget(kct,
		      "spec.template.spec.joinConfiguration.nodeRegistration");
	assert_true(has_arg(json_object_get(nr, "kubeletExtraArgs"),
			    "provider-id", "lxc:///{{ v1.local_hostname }}"));
	assert_true(has_arg(json_object_get(nr, "kubeletExtraArgs"),
			    "node-labels", "tier=web,zone=a"));
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(nr, "taints"),
						   0),
				    "effect")),
			    "NoSchedule");
	json_decref(md);
	json_decref(kct);
	tf_value_unref(plan);
}

static void test_pool_autoscaler(void **state)
{
	tf_value *plan = val(pool_schema,
			     "{'name':'w','namespace':'default',"
			     "'cluster_name':'c','kubernetes_version':'1.33.0',"
			     "'autoscaler_min':2,'autoscaler_max':6,"
			     "'rollout_strategy':'OnDelete'}");
	json_t *md;

	(void)state;
	assert_int_equal(k8s_pool_replicas(plan, true), 2);
	assert_int_equal(k8s_pool_replicas(plan, false), -1);
	md = k8s_machine_deployment(plan, "i", "b", -1);
	assert_null(k8s_jget(md, "spec.replicas"));
	assert_string_equal(json_string_value(json_object_get(
				    k8s_jget(md, "metadata.annotations"),
				    K8S_ANN_AS_MIN)),
			    "2");
	assert_string_equal(json_string_value(json_object_get(
				    k8s_jget(md, "metadata.annotations"),
				    K8S_ANN_AS_MAX)),
			    "6");
	assert_string_equal(k8s_jstr(md, "spec.rollout.strategy.type"),
			    "OnDelete");
	assert_null(k8s_jget(md, "spec.rollout.strategy.rollingUpdate"));
	json_decref(md);
	tf_value_unref(plan);
}

static void test_pool_read(void **state)
{
	tf_value *plan = val(pool_schema, POOL_PLAN);
	json_t *md = k8s_machine_deployment(plan, "workers-i", "workers-b", 2);
	json_t *kct = k8s_kubeadm_config_template(plan, "workers-b");
	json_t *ms = k8s_machine_spec(plan);
	json_t *it = k8s_lxc_machine_template("capi", "workers-i", "prod", ms);
	tf_value *st;
	static const char *const managed[] = {
		"name",
		"namespace",
		"cluster_name",
		"kubernetes_version",
		"replicas",
		"instance_type",
		"flavor",
		"profiles",
		"image",
		"target",
		"labels",
		"taints",
		"rollout_strategy",
		"max_surge",
		"max_unavailable",
		"autoscaler_min",
		"autoscaler_max",
	};

	(void)state;
	/* What the webhook and controller add. */
	json_object_set_new(md, "status",
			    js("{'readyReplicas':2,'availableReplicas':2,"
			       "'upToDateReplicas':1,'phase':'Running'}"));
	json_object_set_new(json_object_get(json_object_get(md, "metadata"),
					    "labels"),
			    K8S_LABEL_CLUSTER, json_string("prod"));
	st = tf_value_mut(tf_value_ref(plan));
	k8s_pool_read_into(st, md, kct, it, "v1.33.1");
	for (size_t i = 0; i < sizeof(managed) / sizeof(managed[0]); i++)
		if (!tf_value_equal(tf_value_attr(plan, managed[i]),
				    tf_value_attr(st, managed[i])))
			fail_msg("pool attribute %s drifted", managed[i]);
	assert_string_equal(tf_value_attr_string(st, "infrastructure_template"),
			    "workers-i");
	assert_string_equal(tf_value_attr_string(st, "phase"), "Running");
	tf_value_unref(st);

	/* Scaled by hand and taint removed: both show. */
	json_object_set_new(json_object_get(md, "spec"), "replicas",
			    json_integer(4));
	json_object_del(
		k8s_jget(kct,
			 "spec.template.spec.joinConfiguration.nodeRegistration"),
		"taints");
	st = tf_value_mut(tf_value_ref(plan));
	k8s_pool_read_into(st, md, kct, it, "v1.33.1");
	{
		int64_t n;
		tf_value_get_int(tf_value_attr(st, "replicas"), &n);
		assert_int_equal(n, 4);
	}
	assert_int_equal(tf_value_len(tf_value_attr(st, "taints")), 0);
	assert_false(tf_value_is_null(tf_value_attr(st, "taints")));
	tf_value_unref(st);
	/* No taint configured and none live: stays unset (null). */
	st = tf_value_mut(tf_value_ref(plan));
	tf_value_object_set(st, "taints",
			    tf_value_null(tf_value_type(
				    tf_value_attr(plan, "taints"))));
	k8s_pool_read_into(st, md, kct, it, "v1.33.1");
	assert_true(tf_value_is_null(tf_value_attr(st, "taints")));
	tf_value_unref(st);

	/* Missing bootstrap template: a change the update repairs. */
	st = tf_value_mut(tf_value_ref(plan));
	k8s_pool_read_into(st, md, NULL, it, "v1.33.1");
	assert_string_equal(tf_value_attr_string(st, "bootstrap_template"), "");
	tf_value_unref(st);

	json_decref(md);
	json_decref(kct);
	json_decref(ms);
	json_decref(it);
	tf_value_unref(plan);
}

static void test_pool_template_names_follow_spec(void **state)
{
	tf_value *a = val(pool_schema, POOL_PLAN);
	tf_value *b = val(
		pool_schema,
		"{'name':'workers','namespace':'capi',"
		"'cluster_name':'prod','kubernetes_version':'v1.34.0',"
		"'replicas':5,'instance_type':'virtual-machine','flavor':'c2-m4',"
		"'target':'node2','labels':{'tier':'web','zone':'a'},"
		"'taints':[{'key':'dedicated','value':'web','effect':'NoSchedule'}]}");
	tf_value *c =
		val(pool_schema,
		    "{'name':'workers','namespace':'capi',"
		    "'cluster_name':'prod','instance_type':'virtual-machine',"
		    "'flavor':'c4-m8','target':'node2','labels':{'tier':'db'}}");
	json_t *ma = k8s_machine_spec(a), *mb = k8s_machine_spec(b),
	       *mc = k8s_machine_spec(c);
	json_t *ba = k8s_bootstrap_spec(a), *bb = k8s_bootstrap_spec(b),
	       *bc = k8s_bootstrap_spec(c);

	(void)state;
	/* Version and replicas do not rotate templates; machine settings and
	 * labels do. */
	assert_true(json_equal(ma, mb));
	assert_true(json_equal(ba, bb));
	assert_false(json_equal(ma, mc));
	assert_false(json_equal(ba, bc));
	json_decref(ma);
	json_decref(mb);
	json_decref(mc);
	json_decref(ba);
	json_decref(bb);
	json_decref(bc);
	tf_value_unref(a);
	tf_value_unref(b);
	tf_value_unref(c);
}

/* ---- conditions and readiness ------------------------------------------------ */

#define READY_CLUSTER                                                          \
	"{'kind':'Cluster','metadata':{'name':'prod','generation':2},"         \
	"'status':{'observedGeneration':2,'conditions':["                      \
	"{'type':'InfrastructureReady','status':'True'},"                      \
	"{'type':'ControlPlaneAvailable','status':'True'},"                    \
	"{'type':'RemoteConnectionProbe','status':'True'},"                    \
	"{'type':'RollingOut','status':'False'}]}}"
#define READY_KCP                                                                  \
	"{'kind':'KubeadmControlPlane','metadata':{'name':'prod','generation':3}," \
	"'spec':{'replicas':3},'status':{'observedGeneration':3,'replicas':3,"     \
	"'readyReplicas':3,'upToDateReplicas':3,'versions':[{'version':'v1.33.1'," \
	"'replicas':3}],'conditions':[{'type':'RollingOut','status':'False'}]}}"

static void test_cluster_ready(void **state)
{
	json_t *cl = js(READY_CLUSTER), *kcp = js(READY_KCP);
	char *why = NULL;

	(void)state;
	assert_true(k8s_cluster_ready(cl, kcp, "1.33.1", 3, &why));
	assert_null(why);
	/* Upgrade in progress: one machine still on the old version. */
	json_array_append_new(k8s_jget(kcp, "status.versions"),
			      js("{'version':'v1.32.4','replicas':1}"));
	assert_false(k8s_cluster_ready(cl, kcp, "v1.33.1", 3, &why));
	assert_non_null(strstr(why, "v1.32.4"));
	free(why);
	json_decref(kcp);
	kcp = js(READY_KCP);
	/* Spec not observed yet. */
	json_object_set_new(json_object_get(cl, "metadata"), "generation",
			    json_integer(3));
	assert_false(k8s_cluster_ready(cl, kcp, "v1.33.1", 3, &why));
	assert_non_null(strstr(why, "observed"));
	free(why);
	json_object_set_new(json_object_get(cl, "metadata"), "generation",
			    json_integer(2));
	/* Phase is irrelevant; a False condition is what counts. */
	json_object_set_new(json_array_get(k8s_jget(cl, "status.conditions"),
					   1),
			    "status", json_string("False"));
	assert_false(k8s_cluster_ready(cl, kcp, "v1.33.1", 3, &why));
	assert_non_null(strstr(why, "ControlPlaneAvailable"));
	free(why);
	json_decref(cl);
	/* Scaling: the counters lag behind the wanted replica count. */
	cl = js(READY_CLUSTER);
	assert_false(k8s_cluster_ready(cl, kcp, "v1.33.1", 5, &why));
	assert_non_null(strstr(why, "want 5"));
	free(why);
	json_decref(cl);
	json_decref(kcp);
}

static void test_pool_ready(void **state)
{
	json_t *md = js(
		"{'metadata':{'generation':4},'spec':{'replicas':2},"
		"'status':{'observedGeneration':4,'replicas':2,'readyReplicas':2,"
		"'availableReplicas':2,'upToDateReplicas':2,'conditions':["
		"{'type':'Available','status':'True'},"
		"{'type':'RollingOut','status':'False'}]}}");
	char *why = NULL;

	(void)state;
	assert_true(k8s_pool_ready(md, 2, &why));
	assert_true(k8s_pool_ready(md, -1, &why)); /* autoscaler: live spec */
	assert_false(k8s_pool_ready(md, 3, &why));
	assert_non_null(strstr(why, "want 3"));
	free(why);
	json_object_set_new(json_array_get(k8s_jget(md, "status.conditions"),
					   1),
			    "status", json_string("True"));
	assert_false(k8s_pool_ready(md, 2, &why));
	assert_non_null(strstr(why, "RollingOut"));
	free(why);
	assert_false(k8s_pool_ready(NULL, 2, &why));
	free(why);
	/* OnDelete: a template change leaves machines out of date until
	 * someone deletes them; that is ready, not a rollout to wait for. */
	json_object_set_new(
		md, "spec",
		js("{'replicas':2,'rollout':{'strategy':{'type':'OnDelete'}}}"));
	json_object_set_new(json_object_get(md, "status"), "upToDateReplicas",
			    json_integer(0));
	assert_true(k8s_pool_ready(md, 2, &why));
	json_object_set_new(json_object_get(md, "spec"), "rollout",
			    js("{'strategy':{'type':'RollingUpdate'}}"));
	assert_false(k8s_pool_ready(md, 2, &why));
	assert_non_null(strstr(why, "up to date"));
	free(why);
	json_decref(md);
}

static void test_false_conditions(void **state)
{
	json_t *o = js(
		"{'kind':'LXCMachine','metadata':{'name':'prod-cp-x'},"
		"'status':{'conditions':["
		"{'type':'InstanceProvisioned','status':'False','reason':'LaunchFailed',"
		"'message':'LXD: instance start failed: out of memory'},"
		"{'type':'RollingOut','status':'False'},"
		"{'type':'Ready','status':'True'}]}}");
	char *buf = NULL;

	(void)state;
	assert_int_equal(k8s_false_conditions(o, NULL, &buf), 1);
	assert_non_null(strstr(
		buf,
		"LXCMachine prod-cp-x: InstanceProvisioned=False "
		"(LaunchFailed): LXD: instance start failed: out of memory"));
	assert_null(strstr(buf, "RollingOut"));
	assert_int_equal(k8s_condition(o, "Ready"), 1);
	assert_int_equal(k8s_condition(o, "InstanceProvisioned"), 0);
	assert_int_equal(k8s_condition(o, "Missing"), -1);
	free(buf);
	json_decref(o);
	/* Summary conditions carry "* Type: message" lines: one line here. */
	o = js("{'kind':'Cluster','metadata':{'name':'c'},'status':{'conditions':["
	       "{'type':'Available','status':'False','reason':'NotAvailable',"
	       "'message':'* ControlPlaneAvailable: no\\n* RemoteConnectionProbe: down'}]}}");
	buf = NULL;
	assert_int_equal(k8s_false_conditions(o, NULL, &buf), 1);
	assert_non_null(strstr(
		buf,
		"Available=False (NotAvailable): ControlPlaneAvailable: no; "
		"RemoteConnectionProbe: down"));
	assert_null(strchr(buf + 1, '\n'));
	free(buf);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemas_compile),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_template_names),
		cmocka_unit_test(test_cluster_objects),
		cmocka_unit_test(test_cluster_lb_variants),
		cmocka_unit_test(test_cluster_read_no_drift),
		cmocka_unit_test(test_cluster_read_drift),
		cmocka_unit_test(test_identity_roundtrip),
		cmocka_unit_test(test_pool_objects),
		cmocka_unit_test(test_pool_autoscaler),
		cmocka_unit_test(test_pool_read),
		cmocka_unit_test(test_pool_template_names_follow_spec),
		cmocka_unit_test(test_cluster_ready),
		cmocka_unit_test(test_pool_ready),
		cmocka_unit_test(test_false_conditions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
