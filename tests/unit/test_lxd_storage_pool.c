/* Unit tests for lxd_storage_pool's modify_plan without a server
 * (ctx->client NULL skips the server checks): `locations` and `status` stay
 * known for an update that keeps the pool's members, and become unknown
 * when member_config is not known yet (a member that joins in the same
 * apply) or names a new member. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "provider/resource.h"
#include "schema/plan.h"
#include "schema/schema.h"
#include "schema/tf_err.h"

extern const tfp_resource lxd_storage_pool_resource;

static tf_schema *pool_schema(void)
{
	tf_schema *s = NULL;
	char err[256];

	assert_int_equal(tf_schema_compile(lxd_storage_pool_resource.schema, 0,
					   &s, err, sizeof(err)),
			 TF_OK);
	return s;
}

/* map(map(string)) with one {source = SRC} entry per member name. */
static tf_value *members(const char *const *names, size_t n)
{
	tf_type *inner = tf_type_map(tf_type_string());
	tf_type *outer = tf_type_map(inner);
	tf_value *m = tf_value_map_new(outer);

	for (size_t i = 0; i < n; i++) {
		tf_value *keys = tf_value_map_new(inner);
		tf_value_map_set(keys, "source", tf_value_string("/srv/seed"));
		tf_value_map_set(m, names[i], keys);
	}
	tf_type_unref(outer);
	tf_type_unref(inner);
	return m;
}

/* A pool object (state or plan) with known status and locations. */
static tf_value *pool(const tf_schema *sc, tf_value *member_config)
{
	tf_value *v = tf_schema_empty_object(sc);
	tf_type *lt = tf_type_list(tf_type_string());
	tf_value *loc = tf_value_list_new(lt);

	tf_type_unref(lt);
	tf_value_list_append(loc, tf_value_string("node1"));
	tf_value_list_append(loc, tf_value_string("node2"));
	tf_value_object_set(v, "name", tf_value_string("seed"));
	tf_value_object_set(v, "driver", tf_value_string("dir"));
	tf_value_object_set(v, "description", tf_value_string(""));
	tf_value_object_set(v, "status", tf_value_string("Created"));
	tf_value_object_set(v, "locations", loc);
	tf_value_object_set(v, "member_config", member_config);
	return v;
}

/* Run modify_plan(prior, planned); returns whether `locations` stayed known
 * (asserts `status` follows it and no diagnostic or replacement). */
static bool locations_known_after(tf_value *prior_mc, tf_value *planned_mc)
{
	tf_schema *sc = pool_schema();
	tf_value *prior = pool(sc, prior_mc);
	tf_value *planned = pool(sc, planned_mc);
	tfp_ctx ctx = { 0 };
	tf_paths replace = { 0 };
	tf_diags d = TF_DIAGS_INIT;
	bool known;

	ctx.schema = sc;
	ctx.type_name = "lxd_storage_pool";
	lxd_storage_pool_resource.modify_plan(&ctx, prior, planned, &planned,
					      &replace, &d);
	assert_int_equal(d.n, 0);
	assert_int_equal(replace.n, 0);
	known = tf_value_is_known(tf_value_attr(planned, "locations"));
	assert_int_equal(known,
			 tf_value_is_known(tf_value_attr(planned, "status")));
	tf_paths_done(&replace);
	tf_diags_done(&d);
	tf_value_unref(prior);
	tf_value_unref(planned);
	tf_schema_free(sc);
	return known;
}

static void test_pool_plan_locations(void **state)
{
	static const char *const two[] = { "node1", "node2" };
	static const char *const three[] = { "node1", "node2", "node3" };
	static const char *const one[] = { "node1" };
	tf_type *inner = tf_type_map(tf_type_string());
	tf_type *outer = tf_type_map(inner);

	(void)state;
	/* same members: no change to locations */
	assert_true(locations_known_after(members(two, 2), members(two, 2)));
	/* fewer members listed: LXD keeps the pool where it is */
	assert_true(locations_known_after(members(two, 2), members(one, 1)));
	/* no member_config before and after */
	assert_true(locations_known_after(tf_value_null(outer),
					  tf_value_null(outer)));
	/* a new member, or member_config unknown until a join: unknown */
	assert_false(locations_known_after(members(two, 2), members(three, 3)));
	assert_false(locations_known_after(members(two, 2),
					   tf_value_unknown(outer)));
	assert_false(
		locations_known_after(tf_value_null(outer), members(two, 2)));
	tf_type_unref(outer);
	tf_type_unref(inner);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_plan_locations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
