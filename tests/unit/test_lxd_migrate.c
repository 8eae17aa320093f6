/* Unit tests for provider/lxd/lxd_migrate.c: every terraform-provider-lxd
 * fixture (tests/data/terraform-lxd/, facts in
 * docs/internals/terraform-lxd-states.md) taken over or refused, the
 * result decoded strictly against the resources' real schemas, and each
 * refused shape with the attribute it names.
 *
 * Usage: test_lxd_migrate [REPO_ROOT]   (default ".") */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/lxd/lxd_migrate.h"
#include "provider/resource.h"
#include "schema/codec.h"
#include "schema/schema.h"
#include "schema/tf_err.h"

extern const tfp_resource lxd_storage_pool_resource;
extern const tfp_resource lxd_ovn_network_resource;

static const char *data_root = ".";
static tf_schema *pool_schema, *ovn_schema;

#define TF_LXD "registry.terraform.io/terraform-lxd/lxd"

static int setup(void **state)
{
	char err[256];

	(void)state;
	if (tf_schema_compile(lxd_storage_pool_resource.schema, 0, &pool_schema,
			      err, sizeof(err)) != TF_OK)
		return -1;
	return tf_schema_compile(lxd_ovn_network_resource.schema, 0,
				 &ovn_schema, err, sizeof(err)) == TF_OK ?
		       0 :
		       -1;
}

static int teardown(void **state)
{
	(void)state;
	tf_schema_free(pool_schema);
	tf_schema_free(ovn_schema);
	return 0;
}

/* The attributes of instance 0 of resource entry `name` (NULL: the file's
 * only entry) in fixture `file`; a new reference. */
static json_t *fixture(const char *file, const char *name)
{
	char path[512];
	json_error_t e;
	json_t *f, *res, *entry = NULL, *attrs;
	size_t i;

	snprintf(path, sizeof(path), "%s/tests/data/terraform-lxd/%s",
		 data_root, file);
	f = json_load_file(path, 0, &e);
	if (!f)
		fail_msg("%s: %s", path, e.text);
	res = json_object_get(f, "resources");
	if (!res)
		entry = f;
	for (i = 0; res && i < json_array_size(res); i++)
		if (strcmp(json_string_value(
				   json_object_get(json_array_get(res, i),
						   "name")),
			   name) == 0)
			entry = json_array_get(res, i);
	assert_non_null(entry);
	attrs = json_deep_copy(json_object_get(
		json_array_get(json_object_get(entry, "instances"), 0),
		"attributes"));
	json_decref(f);
	assert_non_null(attrs);
	return attrs;
}

/* Run a hook on `st` as a move from terraform-lxd; the result code. */
static int run(int (*hook)(const tfp_foreign *, json_t *, tf_diags *),
	       const char *type, json_t *st, tf_diags *d)
{
	tfp_foreign src = { TF_LXD, type, 0, true };

	return hook(&src, st, d);
}

/* The taken-over state decodes STRICTLY (every attribute present, none
 * extra) against the schema; returns the value. */
static tf_value *decoded(json_t *st, tf_schema *s)
{
	char *text = json_dumps(st, JSON_COMPACT);
	char err[256] = "";
	tf_value *v = NULL;

	assert_non_null(text);
	if (tf_json_decode(text, strlen(text), tf_schema_type(s), 0, &v, err,
			   sizeof(err)) != TF_OK)
		fail_msg("does not decode: %s in %s", err, text);
	free(text);
	assert_true(tf_value_is_wholly_known(v));
	return v;
}

static void assert_jstr(const json_t *o, const char *path, const char *want)
{
	const json_t *v = o;
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, "/", &save); k;
	     k = strtok_r(NULL, "/", &save))
		v = json_object_get(v, k);
	if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
		fail_msg("%s: want \"%s\", got %s", path, want,
			 v ? (json_is_string(v) ? json_string_value(v) :
						  "a non-string") :
			     "nothing");
}

/* One error whose detail holds every string of the NULL-terminated list. */
static void assert_refused(tf_diags *d, ...)
{
	const char *s;
	va_list ap;

	assert_int_equal(d->n, 1);
	assert_int_equal(d->items[0].severity, TF_DIAG_ERROR);
	va_start(ap, d);
	while ((s = va_arg(ap, const char *)))
		if (!strstr(d->items[0].detail, s))
			fail_msg("\"%s\" not in: %s", s, d->items[0].detail);
	va_end(ap);
}

/* ---- storage pools taken over ----------------------------------------- */

/* A standalone dir pool, 2.x (`source` attribute) and 3.x (config.source):
 * `source` is managed in config, member_config stays null. */
static void test_pool_standalone(void **state)
{
	static const char *const files[] = {
		"storage_pool_dir_standalone_2.7.1.json",
		"storage_pool_dir_standalone_3.0.2.json",
	};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		tf_diags d = TF_DIAGS_INIT;
		json_t *st = fixture(files[i], NULL);
		tf_value *v;

		assert_int_equal(run(lxd_migrate_pool, "lxd_storage_pool", st,
				     &d),
				 TFP_ADOPT_DONE);
		assert_int_equal(d.n, 0);
		assert_jstr(st, "name", "data");
		assert_jstr(st, "driver", "dir");
		assert_jstr(st, "description", "Data pool");
		assert_jstr(st, "config/source", "/srv/lxd/data");
		assert_int_equal(json_object_size(
					 json_object_get(st, "config")),
				 1);
		assert_true(json_is_null(json_object_get(st, "member_config")));
		v = decoded(st, pool_schema);
		tf_value_unref(v);
		json_decref(st);
	}
}

/* 3.x on a cluster: the member-specific default leaves `config`, each
 * member's resolved keys (`members`, overrides applied) are member_config. */
static void test_pool_cluster_3x(void **state)
{
	tf_diags d = TF_DIAGS_INIT;
	json_t *st = fixture("storage_pool_dir_cluster_3.0.2.json", NULL);
	tf_value *v;

	(void)state;
	assert_int_equal(run(lxd_migrate_pool, "lxd_storage_pool", st, &d),
			 TFP_ADOPT_DONE);
	assert_int_equal(json_object_size(json_object_get(st, "config")), 0);
	assert_jstr(st, "member_config/node1/source", "/srv/lxd/shared");
	assert_jstr(st, "member_config/node2/source", "/srv/lxd/shared-n2");
	assert_jstr(st, "description", "Shared pool");
	v = decoded(st, pool_schema);
	tf_value_unref(v);
	json_decref(st);
}

/* 2.x on a cluster: the cluster-wide instance is taken over; the per-member
 * instances (`target`) are refused, naming the attribute and the member. */
static void test_pool_cluster_2x(void **state)
{
	static const char *const members[] = { "shared_node1", "shared_node2" };
	const char *file = "storage_pool_dir_cluster_2.7.1.json";
	tf_diags d = TF_DIAGS_INIT;
	json_t *st = fixture(file, "shared");
	tf_value *v;

	(void)state;
	assert_int_equal(run(lxd_migrate_pool, "lxd_storage_pool", st, &d),
			 TFP_ADOPT_DONE);
	assert_int_equal(json_object_size(json_object_get(st, "config")), 0);
	assert_true(json_is_null(json_object_get(st, "member_config")));
	v = decoded(st, pool_schema);
	tf_value_unref(v);
	json_decref(st);
	for (size_t i = 0; i < 2; i++) {
		tf_diags e = TF_DIAGS_INIT;
		json_t *m = fixture(file, members[i]);
		json_t *before = json_deep_copy(m);

		assert_int_equal(run(lxd_migrate_pool, "lxd_storage_pool", m,
				     &e),
				 TFP_ADOPT_REFUSED);
		assert_refused(&e, "`target`", i ? "\"node2\"" : "\"node1\"",
			       "member_config", "`removed` block", NULL);
		assert_true(json_equal(m, before)); /* left as it was */
		tf_diags_done(&e);
		json_decref(before);
		json_decref(m);
	}
}

/* ---- OVN networks taken over ------------------------------------------ */

static void test_ovn_network(void **state)
{
	static const char *const files[] = {
		"network_ovn_project_2.7.1.json",
		"network_ovn_project_3.0.2.json",
	};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		tf_diags d = TF_DIAGS_INIT;
		json_t *st = fixture(files[i], NULL);
		tf_value *v;

		assert_int_equal(run(lxd_migrate_ovn, "lxd_network", st, &d),
				 TFP_ADOPT_DONE);
		assert_int_equal(d.n, 0);
		assert_jstr(st, "name", "ovn1");
		assert_jstr(st, "project", "tenant-a");
		assert_jstr(st, "uplink", "UPLINK");
		assert_jstr(st, "description", "Tenant A network");
		assert_jstr(st, "ipv4_address", "198.51.100.1/24");
		assert_jstr(st, "ipv6_address", "none");
		assert_true(json_is_true(json_object_get(st, "ipv4_nat")));
		assert_true(json_is_null(json_object_get(st, "ipv6_nat")));
		assert_true(json_is_null(json_object_get(st, "mtu")));
		assert_true(json_is_null(json_object_get(st, "config")));
		v = decoded(st, ovn_schema);
		tf_value_unref(v);
		json_decref(st);
	}
}

/* Every first-class kind converted; other keys stay in config; a key set
 * to null is dropped; 2.x's null project is the default project. */
static void test_ovn_keys_and_defaults(void **state)
{
	tf_diags d = TF_DIAGS_INIT;
	json_t *st = fixture("network_ovn_project_2.7.1.json", NULL);
	json_t *cfg = json_object_get(st, "config");
	json_t *acls;
	tf_value *v;

	(void)state;
	json_object_set_new(st, "project", json_null());
	json_object_set_new(cfg, "bridge.mtu", json_string("1400"));
	json_object_set_new(cfg, "security.acls", json_string("a, b"));
	json_object_set_new(cfg, "dns.search", json_string("example.org"));
	json_object_set_new(cfg, "user.x", json_null());
	assert_int_equal(run(lxd_migrate_ovn, "lxd_network", st, &d),
			 TFP_ADOPT_DONE);
	assert_jstr(st, "project", "default");
	assert_int_equal(json_integer_value(json_object_get(st, "mtu")), 1400);
	acls = json_object_get(st, "acls");
	assert_int_equal(json_array_size(acls), 2);
	assert_string_equal(json_string_value(json_array_get(acls, 1)), "b");
	assert_jstr(st, "config/dns.search", "example.org");
	assert_int_equal(json_object_size(json_object_get(st, "config")), 1);
	v = decoded(st, ovn_schema);
	tf_value_unref(v);
	json_decref(st);
}

/* ---- what is not foreign ---------------------------------------------- */

/* This provider's own states (what an upgrade of its own gets) are left
 * alone; so is a type the hook does not know. */
static void test_own_states_not_foreign(void **state)
{
	json_t *pool = json_pack("{s:s,s:s,s:s,s:{},s:n,s:n,s:s,s:[s]}", "name",
				 "p", "driver", "dir", "description", "",
				 "config", "member_config",
				 "ignore_unmanaged_keys", "status", "Created",
				 "locations", "node1");
	json_t *net = json_pack("{s:s,s:s,s:s,s:s,s:n}", "name", "n", "project",
				"default", "uplink", "UP", "status", "Created",
				"config");
	json_t *p0 = json_deep_copy(pool), *n0 = json_deep_copy(net);
	tfp_foreign own = { NULL, "lxd_storage_pool", 0, false };
	tf_diags d = TF_DIAGS_INIT;

	(void)state;
	assert_int_equal(lxd_migrate_pool(&own, pool, &d),
			 TFP_ADOPT_NOT_FOREIGN);
	own.type_name = "lxd_ovn_network";
	assert_int_equal(lxd_migrate_ovn(&own, net, &d), TFP_ADOPT_NOT_FOREIGN);
	own.type_name = "lxd_instance";
	own.moved = true;
	assert_int_equal(lxd_migrate_pool(&own, pool, &d),
			 TFP_ADOPT_NOT_FOREIGN);
	assert_int_equal(lxd_migrate_ovn(&own, net, &d), TFP_ADOPT_NOT_FOREIGN);
	assert_int_equal(d.n, 0);
	assert_true(json_equal(pool, p0) && json_equal(net, n0));
	json_decref(pool);
	json_decref(net);
	json_decref(p0);
	json_decref(n0);
}

/* The shape decides, not the address: OpenTofu 1.10's local name, no
 * address at all (an upgrade after replace-provider), and an lxd_network
 * state whose type was edited to lxd_ovn_network. */
static void test_shape_not_address(void **state)
{
	static const char *const addrs[] = { "lxd", "", NULL };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		tfp_foreign src = { addrs[i], "lxd_storage_pool", 0, i == 0 };
		tf_diags d = TF_DIAGS_INIT;
		json_t *st = fixture("storage_pool_dir_standalone_3.0.2.json",
				     NULL);

		assert_int_equal(lxd_migrate_pool(&src, st, &d),
				 TFP_ADOPT_DONE);
		json_decref(st);
		st = fixture("network_ovn_project_3.0.2.json", NULL);
		src.type_name = i == 2 ? "lxd_ovn_network" : "lxd_network";
		assert_int_equal(lxd_migrate_ovn(&src, st, &d), TFP_ADOPT_DONE);
		assert_int_equal(d.n, 0);
		json_decref(st);
	}
}

/* ---- refused shapes ----------------------------------------------------- */

typedef struct refusal {
	const char *file;
	bool network;
	const char *attr;  /* set (or, with value NULL, deleted) */
	const char *value; /* JSON */
	int64_t version;
	bool moved;
	const char *want1, *want2; /* in the detail */
	bool keep; /* the object stays with terraform-provider-lxd */
} refusal;

#define POOL "storage_pool_dir_standalone_2.7.1.json"
#define POOL3 "storage_pool_dir_standalone_3.0.2.json"
#define NET "network_ovn_project_2.7.1.json"
#define NET3 "network_ovn_project_3.0.2.json"

static const refusal refusals[] = {
	{ POOL, false, "remote", "\"site2\"", 0, true, "`remote`",
	  "\"site2\"" },
	{ POOL3, false, "remote", "\"site2\"", 0, false, "`remote`",
	  "terraform state rm" },
	{ POOL, false, "driver", "\"pure\"", 0, true, "`driver`", "\"pure\"",
	  true },
	{ POOL, false, "volumes", "[]", 0, true, "`volumes`", "newer" },
	{ POOL, false, "config", "[\"x\"]", 0, true, "`config`", "not a map" },
	{ POOL, false, "config", "{\"a\":1}", 0, true, "`config`", "\"a\"" },
	{ POOL, false, NULL, NULL, 1, true, "`schema_version`", "is 1" },
	{ NET, true, "type", "\"bridge\"", 0, true, "`type`", "\"bridge\"",
	  true },
	{ NET3, true, "type", "\"physical\"", 0, false, "`type`",
	  "terraform state rm", true },
	{ NET, true, "remote", "\"site2\"", 0, true, "`remote`", "no remotes" },
	{ NET, true, "target", "\"node1\"", 0, true, "`target`", "\"node1\"" },
	{ NET3, true, "member_overrides",
	  "{\"node1\":{\"config\":{\"a\":\"b\"}}}", 0, true,
	  "`member_overrides`", "member-specific" },
	{ NET, true, "config", "{\"ipv4.nat\":\"yes\",\"network\":\"U\"}", 0,
	  true, "\"ipv4.nat\" = \"yes\"", "`ipv4_nat`" },
	{ NET, true, "config", "{\"bridge.mtu\":\"big\",\"network\":\"U\"}", 0,
	  true, "`mtu`", "\"big\"" },
	{ NET, true, "config", "{\"ipv4.nat\":\"true\"}", 0, true, "`config`",
	  "\"network\"" },
	{ NET, true, "config", "null", 0, true, "`config`", "\"network\"" },
};

static void check_refusal(const refusal *r)
{
	tf_diags d = TF_DIAGS_INIT;
	json_t *st = fixture(r->file, NULL);
	tfp_foreign src = { TF_LXD,
			    r->network ? "lxd_network" : "lxd_storage_pool",
			    r->version, r->moved };
	int rc;

	if (r->value)
		json_object_set_new(st, r->attr,
				    json_loads(r->value, JSON_DECODE_ANY,
					       NULL));
	else if (r->attr)
		json_object_del(st, r->attr);
	rc = r->network ? lxd_migrate_ovn(&src, st, &d) :
			  lxd_migrate_pool(&src, st, &d);
	assert_int_equal(rc, TFP_ADOPT_REFUSED);
	assert_refused(&d, r->want1, r->want2,
		       r->moved ? "Remove this `moved` block" :
				  "without destroying it",
		       r->keep ? "with terraform-provider-lxd" : "import",
		       NULL);
	tf_diags_done(&d);
	json_decref(st);
}

static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < TF_COUNT(refusals); i++)
		check_refusal(&refusals[i]);
}

/* An lxd_network move must look like terraform-lxd's: a state with none of
 * its attributes is refused, not read as this provider's own. */
static void test_network_shape_required(void **state)
{
	tfp_foreign src = { TF_LXD, "lxd_network", 0, true };
	tf_diags d = TF_DIAGS_INIT;
	json_t *st = json_pack("{s:s,s:s}", "name", "n", "uplink", "U");

	(void)state;
	assert_int_equal(lxd_migrate_ovn(&src, st, &d), TFP_ADOPT_REFUSED);
	assert_refused(&d, "terraform-provider-lxd 2.x or 3.0.x", NULL);
	tf_diags_done(&d);
	json_decref(st);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_standalone),
		cmocka_unit_test(test_pool_cluster_3x),
		cmocka_unit_test(test_pool_cluster_2x),
		cmocka_unit_test(test_ovn_network),
		cmocka_unit_test(test_ovn_keys_and_defaults),
		cmocka_unit_test(test_own_states_not_foreign),
		cmocka_unit_test(test_shape_not_address),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_network_shape_required),
	};

	if (argc > 1)
		data_root = argv[1];
	return cmocka_run_group_tests_name("lxd_migrate", tests, setup,
					   teardown);
}
