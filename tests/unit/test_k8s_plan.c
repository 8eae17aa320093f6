/* Plan-time behaviour of k8s_cluster and k8s_machine_pool: the generic
 * planner followed by each resource's modify_plan hook, without a
 * management cluster (ctx.client NULL). Checks defaults, validation
 * errors on the right attribute, the one-minor upgrade rule, replacement
 * when the control plane is gone, template names computed at plan time
 * and the autoscaler rules. */
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
#include "provider/resource.h"
#include "schema/codec.h"
#include "schema/plan.h"
#include "schema/tf_err.h"

extern const tfp_resource k8s_cluster_resource;
extern const tfp_resource k8s_machine_pool_resource;

static tf_schema *cs, *ps;

static int setup(void **state)
{
	char err[256];

	(void)state;
	if (tf_schema_compile(k8s_cluster_resource.schema, 0, &cs, err,
			      sizeof(err)) ||
	    tf_schema_compile(k8s_machine_pool_resource.schema, 0, &ps, err,
			      sizeof(err))) {
		fprintf(stderr, "schema: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tf_schema_free(cs);
	tf_schema_free(ps);
	return 0;
}

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

/* Terraform's proposed new state, enough for these schemas: config, with
 * computed attributes the config leaves null taken from prior. */
static tf_value *proposed(const tf_schema *s, const tf_value *prior,
			  const tf_value *config)
{
	const tf_block_def *def = tf_schema_def(s);
	tf_value *p = tf_value_mut(tf_value_ref((tf_value *)config));

	for (size_t i = 0; i < def->nattrs; i++) {
		const char *n = def->attrs[i].name;
		if ((def->attrs[i].flags & TF_COMPUTED) &&
		    tf_value_is_null(tf_value_attr(config, n)) &&
		    !tf_value_is_null(prior))
			tf_value_object_set(p, n,
					    tf_value_ref(
						    tf_value_attr(prior, n)));
	}
	return p;
}

struct plan_out {
	tf_value *planned;
	tf_paths replace;
	tf_diags d;
};

static void plan(const tfp_resource *r, const tf_schema *s, const char *prior_j,
		 const char *config_j, struct plan_out *o)
{
	tfp_ctx ctx = { .schema = s, .type_name = r->type_name };
	tf_value *prior = prior_j ? val(s, prior_j) :
				    tf_value_null(tf_schema_type(s));
	tf_value *config = val(s, config_j);
	tf_value *prop = proposed(s, prior, config);

	memset(o, 0, sizeof(*o));
	assert_int_equal(tf_plan_resource(s, prior, prop, config, &o->planned,
					  &o->replace, &o->d),
			 TF_OK);
	r->modify_plan(&ctx, prior, config, &o->planned, &o->replace, &o->d);
	tf_value_unref(prior);
	tf_value_unref(config);
	tf_value_unref(prop);
}

static void plan_done(struct plan_out *o)
{
	tf_value_unref(o->planned);
	tf_paths_done(&o->replace);
	tf_diags_done(&o->d);
}

/* The error on top-level attribute `attr` whose summary contains `what`. */
static bool has_error(const tf_diags *d, const char *attr, const char *what)
{
	for (size_t i = 0; i < d->n; i++) {
		const tf_diag *g = &d->items[i];
		if (g->severity != TF_DIAG_ERROR || !strstr(g->summary, what))
			continue;
		if (!attr || (g->path.n == 1 &&
			      strcmp(g->path.steps[0].name, attr) == 0))
			return true;
	}
	return false;
}

#define CLUSTER_CFG                                                            \
	"{'name':'prod','kubernetes_version':'v1.33.1',"                       \
	"'lxd_server_url':'https://192.0.2.10:8443',"                          \
	"'lxd_client_certificate':'C','lxd_client_key':'K'}"

/* `base` (a JSON object) with `extra` (",'k':v" members) added. */
static char *cfg(const char *base, const char *extra)
{
	char *s = NULL;
	assert_true(asprintf(&s, "%.*s%s}", (int)strlen(base) - 1, base,
			     extra) > 0);
	return s;
}

/* ---- k8s_cluster -------------------------------------------------------- */

static void test_cluster_create_defaults(void **state)
{
	char *c = cfg(CLUSTER_CFG, "");
	struct plan_out o;
	int64_t n;

	(void)state;
	plan(&k8s_cluster_resource, cs, NULL, c, &o);
	assert_false(tf_diags_has_error(&o.d));
	assert_string_equal(tf_value_attr_string(o.planned, "namespace"),
			    "default");
	assert_string_equal(tf_value_attr_string(o.planned,
						 "identity_secret_name"),
			    "prod-lxd-identity");
	assert_string_equal(tf_value_attr_string(o.planned, "load_balancer"),
			    "lxc");
	assert_string_equal(tf_value_attr_string(o.planned, "instance_type"),
			    "virtual-machine");
	assert_int_equal(
		tf_value_get_int(tf_value_attr(o.planned,
					       "control_plane_replicas"),
				 &n),
		0);
	assert_int_equal(n, 1);
	assert_true(tf_value_is_unknown(tf_value_attr(o.planned, "endpoint")));
	assert_null(
		tf_value_attr(o.planned, "kubeconfig")); /* not in the schema */
	plan_done(&o);
	free(c);
}

static void test_cluster_validation(void **state)
{
	static const struct {
		const char *extra, *attr, *what;
	} cases[] = {
		{ ",'control_plane_replicas':2", "control_plane_replicas",
		  "odd" },
		{ ",'load_balancer':'ovn'", "load_balancer_network",
		  "network" },
		{ ",'load_balancer_network':'n'", "load_balancer_network",
		  "ovn" },
		{ ",'load_balancer':'external'", "control_plane_host",
		  "address" },
		{ ",'control_plane_host':'198.51.100.1'", "control_plane_host",
		  "load balancer" },
		{ ",'identity_secret':'s'", "lxd_client_key", "Conflicting" },
	};
	struct plan_out o;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c = cfg(CLUSTER_CFG, cases[i].extra);
		plan(&k8s_cluster_resource, cs, NULL, c, &o);
		if (!has_error(&o.d, cases[i].attr, cases[i].what))
			fail_msg("case %zu (%s): no error on %s", i,
				 cases[i].extra, cases[i].attr);
		plan_done(&o);
		free(c);
	}
	/* No credentials and no existing Secret: one error per attribute. */
	plan(&k8s_cluster_resource, cs, NULL,
	     "{'name':'a','kubernetes_version':'v1.33.1'}", &o);
	assert_true(has_error(&o.d, "lxd_server_url", "identity"));
	assert_true(has_error(&o.d, "lxd_client_key", "identity"));
	plan_done(&o);
	/* An existing Secret is enough and becomes identity_secret_name. */
	plan(&k8s_cluster_resource, cs, NULL,
	     "{'name':'a','kubernetes_version':'v1.33.1','identity_secret':'mine'}",
	     &o);
	assert_false(tf_diags_has_error(&o.d));
	assert_string_equal(tf_value_attr_string(o.planned,
						 "identity_secret_name"),
			    "mine");
	plan_done(&o);
}

/* A prior state as create would have left it. */
static char *cluster_state(const char *version, int replicas)
{
	char *c = cfg(CLUSTER_CFG, ""), *s = NULL;
	struct plan_out o;
	tf_value *st;
	char *json = NULL;
	size_t len;

	plan(&k8s_cluster_resource, cs, NULL, c, &o);
	st = tf_value_mut(tf_value_ref(o.planned));
	tf_value_object_set(st, "kubernetes_version", tf_value_string(version));
	tf_value_object_set(st, "control_plane_replicas",
			    tf_value_int(replicas));
	tf_value_object_set(st, "endpoint",
			    tf_value_string("https://203.0.113.1:6443"));
	tf_value_object_set(st, "phase", tf_value_string("Provisioned"));
	{
		tf_type *mt = tf_type_map(tf_type_string());
		tf_value_object_set(st, "conditions", tf_value_map_new(mt));
		tf_type_unref(mt);
	}
	assert_int_equal(tf_json_encode(st, &json, &len), TF_OK);
	s = json;
	tf_value_unref(st);
	plan_done(&o);
	free(c);
	return s;
}

/* lxd_client_key is write-only: planned null, its digest planned instead;
 * the same key plans nothing, another one an update. */
static void test_cluster_client_key_digest(void **state)
{
	static const char k_digest[] =
		"86be9a55762d316a3026c2836d044f5fc76e34da10e1b45feee5f18be7edb177";
	char *prior = cluster_state("v1.33.1", 1), *c = cfg(CLUSTER_CFG, "");
	struct plan_out o;
	tf_value *pv;

	(void)state;
	plan(&k8s_cluster_resource, cs, NULL, c, &o);
	assert_false(tf_diags_has_error(&o.d));
	assert_true(
		tf_value_is_null(tf_value_attr(o.planned, "lxd_client_key")));
	assert_string_equal(tf_value_attr_string(o.planned,
						 "lxd_client_key_sha256"),
			    k_digest);
	plan_done(&o);
	pv = val(cs, prior);
	assert_true(tf_value_is_null(tf_value_attr(pv, "lxd_client_key")));
	plan(&k8s_cluster_resource, cs, prior, c, &o);
	assert_false(tf_diags_has_error(&o.d));
	assert_false(tf_plan_has_changes(pv, o.planned));
	plan_done(&o);
	free(c);
	c = strdup("{'name':'prod','kubernetes_version':'v1.33.1',"
		   "'lxd_server_url':'https://192.0.2.10:8443',"
		   "'lxd_client_certificate':'C','lxd_client_key':'K2'}");
	plan(&k8s_cluster_resource, cs, prior, c, &o);
	assert_false(tf_diags_has_error(&o.d));
	assert_int_equal(o.replace.n, 0);
	assert_true(tf_plan_has_changes(pv, o.planned));
	assert_string_not_equal(tf_value_attr_string(o.planned,
						     "lxd_client_key_sha256"),
				k_digest);
	plan_done(&o);
	/* An existing Secret: no key, no digest. */
	plan(&k8s_cluster_resource, cs, NULL,
	     "{'name':'a','kubernetes_version':'v1.33.1','identity_secret':'mine'}",
	     &o);
	assert_true(tf_value_is_null(
		tf_value_attr(o.planned, "lxd_client_key_sha256")));
	plan_done(&o);
	tf_value_unref(pv);
	free(c);
	free(prior);
}

static void test_cluster_upgrade_rules(void **state)
{
	char *prior = cluster_state("v1.33.1", 1);
	char *c;
	struct plan_out o;

	(void)state;
	/* No change: the plan equals the prior state (nothing unknown). */
	c = cfg(CLUSTER_CFG, "");
	plan(&k8s_cluster_resource, cs, prior, c, &o);
	assert_false(tf_diags_has_error(&o.d));
	{
		tf_value *p = val(cs, prior);
		assert_false(tf_plan_has_changes(p, o.planned));
		tf_value_unref(p);
	}
	plan_done(&o);
	free(c);

	/* One minor: accepted, phase/conditions unknown, endpoint kept. */
	c = strdup("{'name':'prod','kubernetes_version':'v1.34.0',"
		   "'lxd_server_url':'https://192.0.2.10:8443',"
		   "'lxd_client_certificate':'C','lxd_client_key':'K'}");
	plan(&k8s_cluster_resource, cs, prior, c, &o);
	assert_false(tf_diags_has_error(&o.d));
	assert_int_equal(o.replace.n, 0);
	assert_true(tf_value_is_unknown(tf_value_attr(o.planned, "phase")));
	assert_true(
		tf_value_is_unknown(tf_value_attr(o.planned, "conditions")));
	assert_string_equal(tf_value_attr_string(o.planned, "endpoint"),
			    "https://203.0.113.1:6443");
	plan_done(&o);
	free(c);

	/* Two minors or a downgrade: rejected on kubernetes_version. */
	c = strdup("{'name':'prod','kubernetes_version':'v1.35.0',"
		   "'lxd_server_url':'https://192.0.2.10:8443',"
		   "'lxd_client_certificate':'C','lxd_client_key':'K'}");
	plan(&k8s_cluster_resource, cs, prior, c, &o);
	assert_true(has_error(&o.d, "kubernetes_version", "version"));
	plan_done(&o);
	free(c);
	c = strdup("{'name':'prod','kubernetes_version':'v1.32.9',"
		   "'lxd_server_url':'https://192.0.2.10:8443',"
		   "'lxd_client_certificate':'C','lxd_client_key':'K'}");
	plan(&k8s_cluster_resource, cs, prior, c, &o);
	assert_true(has_error(&o.d, "kubernetes_version", "version"));
	plan_done(&o);
	free(c);

	/* A force-new change: replacement, every computed value unknown. */
	c = cfg(CLUSTER_CFG, ",'pod_cidrs':['10.50.0.0/16']");
	plan(&k8s_cluster_resource, cs, prior, c, &o);
	assert_true(o.replace.n >= 1);
	assert_true(tf_value_is_unknown(tf_value_attr(o.planned, "endpoint")));
	plan_done(&o);
	free(c);
	free(prior);
}

static void test_cluster_missing_control_plane_replaces(void **state)
{
	char *prior = cluster_state("v1.33.1", 0); /* read saw no KCP */
	char *c = cfg(CLUSTER_CFG, "");
	struct plan_out o;
	tf_path want = { 0 };

	(void)state;
	plan(&k8s_cluster_resource, cs, prior, c, &o);
	tf_path_push_attr(&want, "control_plane_replicas");
	assert_true(tf_paths_contains(&o.replace, &want));
	assert_true(tf_value_is_unknown(tf_value_attr(o.planned, "endpoint")));
	tf_path_done(&want);
	plan_done(&o);
	free(c);
	free(prior);
}

static void test_incomplete_replaces(void **state)
{
	char *prior = cluster_state("v1.33.1", 1);
	char *c = cfg(CLUSTER_CFG, "");
	tf_value *pv = val(cs, prior);
	tf_value *inc = tf_value_mut(tf_value_ref(pv));
	char *json = NULL;
	size_t len;
	struct plan_out o;
	tf_path want = { 0 };

	(void)state;
	/* What read records when the Cluster is gone but its objects remain. */
	tf_value_object_set(inc, "phase", tf_value_string("Incomplete"));
	assert_int_equal(tf_json_encode(inc, &json, &len), TF_OK);
	plan(&k8s_cluster_resource, cs, json, c, &o);
	tf_path_push_attr(&want, "phase");
	assert_true(tf_paths_contains(&o.replace, &want));
	plan_done(&o);
	/* A normal phase: no replacement. */
	plan(&k8s_cluster_resource, cs, prior, c, &o);
	assert_int_equal(o.replace.n, 0);
	plan_done(&o);
	tf_path_done(&want);
	tf_value_unref(inc);
	tf_value_unref(pv);
	free(json);
	free(prior);
	free(c);
}

/* A version-0 state (it stored the admin kubeconfig) upgrades to version
 * 1 without it; the result decodes into the current schema. Unknown
 * versions are refused with an error. */
static void test_cluster_state_upgrade(void **state)
{
	char *c = cfg(CLUSTER_CFG, ""), *text, err[256];
	struct plan_out o;
	json_t *j;
	tf_value *v = NULL;
	tf_diags d = TF_DIAGS_INIT;
	char *json = NULL;
	size_t len;

	(void)state;
	assert_int_equal(k8s_cluster_resource.version, 2);
	assert_non_null(k8s_cluster_resource.upgrade);
	assert_int_equal(tf_schema_attr_index(cs, "kubeconfig"), -1);
	plan(&k8s_cluster_resource, cs, NULL, c, &o);
	{
		tf_value *st = tf_value_mut(tf_value_ref(o.planned));
		tf_value_object_set(st, "endpoint", tf_value_string(""));
		tf_value_object_set(st, "phase", tf_value_string(""));
		tf_type *mt = tf_type_map(tf_type_string());
		tf_value_object_set(st, "conditions", tf_value_map_new(mt));
		tf_type_unref(mt);
		assert_int_equal(tf_json_encode(st, &json, &len), TF_OK);
		tf_value_unref(st);
	}
	j = json_loads(json, 0, NULL);
	assert_non_null(j);
	/* Version 0: the kubeconfig and the client key were stored, no
	 * digest. */
	json_object_set_new(j, "kubeconfig",
			    json_string("apiVersion: v1\nusers: [SECRET]"));
	json_object_set_new(j, "lxd_client_key", json_string("K-SECRET"));
	json_object_del(j, "lxd_client_key_sha256");
	assert_int_equal(k8s_cluster_resource.upgrade(0, j, &d), 0);
	assert_false(tf_diags_has_error(&d));
	assert_null(json_object_get(j, "kubeconfig"));
	text = json_dumps(j, JSON_COMPACT);
	assert_null(strstr(text, "SECRET"));
	assert_int_equal(tf_json_decode(text, strlen(text), tf_schema_type(cs),
					0, &v, err, sizeof(err)),
			 TF_OK);
	assert_string_equal(tf_value_attr_string(v, "name"), "prod");
	assert_true(tf_value_is_null(tf_value_attr(v, "lxd_client_key")));
	/* sha256("K-SECRET"): the key's digest replaces it. */
	assert_string_equal(
		tf_value_attr_string(v, "lxd_client_key_sha256"),
		"c2e21c86d25634ec9246caeda45c162c54c28c3441fc6ba8d22805cf3885ff23");
	tf_value_unref(v);
	free(text);

	/* Version 1: the key without the kubeconfig. */
	json_object_set_new(j, "lxd_client_key", json_string("K-SECRET"));
	assert_int_equal(k8s_cluster_resource.upgrade(1, j, &d), 0);
	text = json_dumps(j, JSON_COMPACT);
	assert_null(strstr(text, "SECRET"));
	assert_non_null(strstr(
		text,
		"c2e21c86d25634ec9246caeda45c162c54c28c3441fc6ba8d22805cf3885ff23"));
	free(text);

	/* Versions outside 0..1 and non-object states never reach the hook:
	 * rpc_upgrade_raw refuses them (test_rpc_identity). */
	json_decref(j);
	free(json);
	tf_diags_done(&d);
	plan_done(&o);
	free(c);
}

/* ---- k8s_machine_pool ----------------------------------------------------- */

#define POOL_CFG                                                               \
	"{'name':'web','cluster_name':'prod','kubernetes_version':'v1.33.1',"  \
	"'flavor':'c2-m4','labels':{'tier':'web'}}"

/* Version 0 had `taint` blocks; version 1 the `taints` attribute. */
static void test_pool_state_upgrade(void **state)
{
	static const char *const v0[] = {
		"{\"name\":\"web\",\"taint\":[{\"key\":\"k\",\"value\":null,"
		"\"effect\":\"NoSchedule\"}]}",
		"{\"name\":\"web\",\"taint\":[]}",
	};
	tf_diags d = TF_DIAGS_INIT;
	char err[256];

	(void)state;
	assert_int_equal(k8s_machine_pool_resource.version, 1);
	for (size_t i = 0; i < 2; i++) {
		json_t *j = json_loads(v0[i], 0, NULL);
		tf_value *v = NULL;
		char *text;

		assert_int_equal(k8s_machine_pool_resource.upgrade(0, j, &d),
				 0);
		assert_null(json_object_get(j, "taint"));
		text = json_dumps(j, JSON_COMPACT);
		assert_int_equal(tf_json_decode(text, strlen(text),
						tf_schema_type(ps), 1, &v, err,
						sizeof(err)),
				 TF_OK);
		if (i == 0)
			assert_string_equal(
				tf_value_attr_string(
					tf_value_index(tf_value_attr(v,
								     "taints"),
						       0),
					"effect"),
				"NoSchedule");
		else
			assert_true(
				tf_value_is_null(tf_value_attr(v, "taints")));
		tf_value_unref(v);
		free(text);
		json_decref(j);
	}
	assert_false(tf_diags_has_error(&d));
	/* Other versions and non-object states never reach the hook:
	 * rpc_upgrade_raw refuses them (test_rpc_identity). */
	tf_diags_done(&d);
}

static void test_pool_create_plan(void **state)
{
	char *c = cfg(POOL_CFG, "");
	struct plan_out o;
	tf_value *cv;
	json_t *ms, *bs;
	char *in, *bn;
	int64_t n;

	(void)state;
	plan(&k8s_machine_pool_resource, ps, NULL, c, &o);
	assert_false(tf_diags_has_error(&o.d));
	assert_int_equal(tf_value_get_int(tf_value_attr(o.planned, "replicas"),
					  &n),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(tf_value_attr_string(o.planned, "namespace"),
			    "default");
	/* Template names are known at plan time and follow the spec. */
	cv = val(ps, c);
	ms = k8s_machine_spec(o.planned);
	bs = k8s_bootstrap_spec(o.planned);
	in = k8s_template_name("web", ms);
	bn = k8s_template_name("web", bs);
	assert_string_equal(tf_value_attr_string(o.planned,
						 "infrastructure_template"),
			    in);
	assert_string_equal(tf_value_attr_string(o.planned,
						 "bootstrap_template"),
			    bn);
	assert_true(tf_value_is_unknown(
		tf_value_attr(o.planned, "ready_replicas")));
	free(in);
	free(bn);
	json_decref(ms);
	json_decref(bs);
	tf_value_unref(cv);
	plan_done(&o);
	free(c);
}

static void test_pool_autoscaler_rules(void **state)
{
	struct plan_out o;
	char *c;

	(void)state;
	c = cfg(POOL_CFG, ",'autoscaler_min':1,'autoscaler_max':4");
	plan(&k8s_machine_pool_resource, ps, NULL, c, &o);
	assert_false(tf_diags_has_error(&o.d));
	/* Left to the autoscaler: unknown until the object exists. */
	assert_true(tf_value_is_unknown(tf_value_attr(o.planned, "replicas")));
	plan_done(&o);
	free(c);

	c = cfg(POOL_CFG,
		",'autoscaler_min':1,'autoscaler_max':4,'replicas':2");
	plan(&k8s_machine_pool_resource, ps, NULL, c, &o);
	assert_true(has_error(&o.d, "replicas", "autoscaler"));
	plan_done(&o);
	free(c);

	c = cfg(POOL_CFG, ",'autoscaler_min':1");
	plan(&k8s_machine_pool_resource, ps, NULL, c, &o);
	assert_true(has_error(&o.d, "autoscaler_max", "autoscaler"));
	plan_done(&o);
	free(c);

	c = cfg(POOL_CFG, ",'autoscaler_min':5,'autoscaler_max':2");
	plan(&k8s_machine_pool_resource, ps, NULL, c, &o);
	assert_true(has_error(&o.d, "autoscaler_min", "autoscaler"));
	plan_done(&o);
	free(c);
}

static void test_pool_rotation_plan(void **state)
{
	char *c = cfg(POOL_CFG, ""), *prior = NULL, *c2;
	struct plan_out o, o2;
	tf_value *st;
	size_t len;

	(void)state;
	/* Prior: the create plan with its computed values filled. */
	plan(&k8s_machine_pool_resource, ps, NULL, c, &o);
	st = tf_value_mut(tf_value_ref(o.planned));
	tf_value_object_set(st, "ready_replicas", tf_value_int(1));
	tf_value_object_set(st, "available_replicas", tf_value_int(1));
	tf_value_object_set(st, "up_to_date_replicas", tf_value_int(1));
	tf_value_object_set(st, "phase", tf_value_string("Running"));
	assert_int_equal(tf_json_encode(st, &prior, &len), TF_OK);

	/* Flavor change: a new infrastructure template, same bootstrap one. */
	c2 = strdup(
		"{'name':'web','cluster_name':'prod','kubernetes_version':'v1.33.1',"
		"'flavor':'c4-m8','labels':{'tier':'web'}}");
	plan(&k8s_machine_pool_resource, ps, prior, c2, &o2);
	assert_false(tf_diags_has_error(&o2.d));
	assert_int_equal(o2.replace.n, 0);
	assert_string_not_equal(tf_value_attr_string(o2.planned,
						     "infrastructure_template"),
				tf_value_attr_string(st,
						     "infrastructure_template"));
	assert_string_equal(tf_value_attr_string(o2.planned,
						 "bootstrap_template"),
			    tf_value_attr_string(st, "bootstrap_template"));
	assert_true(tf_value_is_unknown(
		tf_value_attr(o2.planned, "up_to_date_replicas")));
	plan_done(&o2);
	free(c2);

	/* Label change: a new bootstrap template only. */
	c2 = strdup(
		"{'name':'web','cluster_name':'prod','kubernetes_version':'v1.33.1',"
		"'flavor':'c2-m4','labels':{'tier':'db'}}");
	plan(&k8s_machine_pool_resource, ps, prior, c2, &o2);
	assert_string_equal(tf_value_attr_string(o2.planned,
						 "infrastructure_template"),
			    tf_value_attr_string(st,
						 "infrastructure_template"));
	assert_string_not_equal(tf_value_attr_string(o2.planned,
						     "bootstrap_template"),
				tf_value_attr_string(st, "bootstrap_template"));
	plan_done(&o2);
	free(c2);

	/* Scaling only: templates unchanged. */
	c2 = cfg(POOL_CFG, ",'replicas':4");
	plan(&k8s_machine_pool_resource, ps, prior, c2, &o2);
	assert_string_equal(tf_value_attr_string(o2.planned,
						 "infrastructure_template"),
			    tf_value_attr_string(st,
						 "infrastructure_template"));
	assert_string_equal(tf_value_attr_string(o2.planned,
						 "bootstrap_template"),
			    tf_value_attr_string(st, "bootstrap_template"));
	plan_done(&o2);
	free(c2);

	/* No change at all: no diff. */
	plan(&k8s_machine_pool_resource, ps, prior, c, &o2);
	assert_false(tf_plan_has_changes(st, o2.planned));
	plan_done(&o2);

	tf_value_unref(st);
	free(prior);
	plan_done(&o);
	free(c);
}

/* What an import reads for a cluster made with clusterctl and kubectl: a
 * full state (no schema defaults: other CIDRs, 3 replicas, an identity
 * Secret of its own). */
#define IMPORTED_CLUSTER                                                           \
	"{'name':'c1','namespace':'default','kubernetes_version':'v1.33.1',"       \
	"'control_plane_replicas':3,'instance_type':'container',"                  \
	"'flavor':'c2-m4','profiles':['default'],"                                 \
	"'pod_cidrs':['192.168.0.0/16'],'service_cidrs':['10.128.0.0/12'],"        \
	"'load_balancer':'lxc','control_plane_port':6443,'lxd_project':'default'," \
	"'identity_secret':'lxc-secret','identity_secret_name':'lxc-secret',"      \
	"'endpoint':'https://203.0.113.10:6443','phase':'Provisioned','conditions':{}}"

/* "Unset means whatever the server says": the minimal configuration of an
 * imported cluster plans no change, no replacement, no unknown; a
 * configured value still wins. */
static void test_cluster_unset_keeps_server_values(void **state)
{
	const char *minimal =
		"{'name':'c1','kubernetes_version':'v1.33.1','identity_secret':'lxc-secret',"
		"'flavor':'c2-m4','profiles':['default']}";
	const char *pinned =
		"{'name':'c1','kubernetes_version':'v1.33.1','identity_secret':'lxc-secret',"
		"'flavor':'c2-m4','profiles':['default'],'pod_cidrs':['10.244.0.0/16'],"
		"'control_plane_replicas':1}";
	struct plan_out o;
	tf_value *prior;
	tf_path want = { 0 };

	(void)state;
	prior = val(cs, IMPORTED_CLUSTER);
	plan(&k8s_cluster_resource, cs, IMPORTED_CLUSTER, minimal, &o);
	assert_false(tf_diags_has_error(&o.d));
	assert_int_equal(o.replace.n, 0);
	assert_true(tf_value_is_wholly_known(o.planned));
	assert_false(tf_plan_has_changes(prior, o.planned));
	plan_done(&o);

	/* Set in the configuration: the configured value, replacement where
	 * the attribute forces it. */
	plan(&k8s_cluster_resource, cs, IMPORTED_CLUSTER, pinned, &o);
	tf_path_push_attr(&want, "pod_cidrs");
	assert_true(tf_paths_contains(&o.replace, &want));
	tf_path_done(&want);
	plan_done(&o);
	tf_value_unref(prior);
}

/* A prior that knows nothing (the template is gone: instance_type "")
 * keeps the default, so the plan shows the template coming back. */
static void test_cluster_missing_template_keeps_default(void **state)
{
	char *text = strdup(IMPORTED_CLUSTER), *p;
	struct plan_out o;

	(void)state;
	p = strstr(text, "'container'");
	memcpy(p, "''         ", 11);
	plan(&k8s_cluster_resource, cs, text,
	     "{'name':'c1','kubernetes_version':'v1.33.1','identity_secret':'lxc-secret',"
	     "'flavor':'c2-m4','profiles':['default']}",
	     &o);
	assert_string_equal(tf_value_attr_string(o.planned, "instance_type"),
			    "virtual-machine");
	plan_done(&o);
	free(text);
}

/* An imported pool: its templates keep their names (not <name>-<hash>)
 * while nothing that goes into them changes, and replicas stay what the
 * server says when unset; a machine change still rotates to hashed names. */
static void test_pool_imported_keeps_templates(void **state)
{
	static const char prior[] =
		"{'name':'c1-md-0','namespace':'default','cluster_name':'c1',"
		"'kubernetes_version':'v1.33.1','replicas':2,'instance_type':'container',"
		"'flavor':'c2-m4','rollout_strategy':'RollingUpdate','max_surge':'1',"
		"'max_unavailable':'0','infrastructure_template':'c1-md-0',"
		"'bootstrap_template':'c1-md-0','ready_replicas':2,'available_replicas':2,"
		"'up_to_date_replicas':2,'phase':'Running'}";
	struct plan_out o;
	tf_value *pv = val(ps, prior);

	(void)state;
	plan(&k8s_machine_pool_resource, ps, prior,
	     "{'name':'c1-md-0','cluster_name':'c1','kubernetes_version':'v1.33.1',"
	     "'flavor':'c2-m4'}",
	     &o);
	assert_false(tf_diags_has_error(&o.d));
	assert_string_equal(tf_value_attr_string(o.planned,
						 "infrastructure_template"),
			    "c1-md-0");
	assert_string_equal(tf_value_attr_string(o.planned,
						 "bootstrap_template"),
			    "c1-md-0");
	assert_false(tf_plan_has_changes(pv, o.planned));
	plan_done(&o);

	plan(&k8s_machine_pool_resource, ps, prior,
	     "{'name':'c1-md-0','cluster_name':'c1','kubernetes_version':'v1.33.1',"
	     "'flavor':'c4-m8'}",
	     &o);
	assert_string_not_equal(tf_value_attr_string(o.planned,
						     "infrastructure_template"),
				"c1-md-0");
	assert_non_null(strstr(tf_value_attr_string(o.planned,
						    "infrastructure_template"),
			       "c1-md-0-"));
	plan_done(&o);
	tf_value_unref(pv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster_create_defaults),
		cmocka_unit_test(test_cluster_validation),
		cmocka_unit_test(test_cluster_upgrade_rules),
		cmocka_unit_test(test_cluster_client_key_digest),
		cmocka_unit_test(test_cluster_missing_control_plane_replaces),
		cmocka_unit_test(test_incomplete_replaces),
		cmocka_unit_test(test_cluster_state_upgrade),
		cmocka_unit_test(test_cluster_unset_keeps_server_values),
		cmocka_unit_test(test_cluster_missing_template_keeps_default),
		cmocka_unit_test(test_pool_imported_keeps_templates),
		cmocka_unit_test(test_pool_state_upgrade),
		cmocka_unit_test(test_pool_create_plan),
		cmocka_unit_test(test_pool_autoscaler_rules),
		cmocka_unit_test(test_pool_rotation_plan),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
