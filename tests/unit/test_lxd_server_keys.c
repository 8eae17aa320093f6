/* Unit tests for provider/lxd/lxd_server_keys.c: what refresh reports of a
 * config map (managed keys, keys added outside Terraform, the server's own
 * keys, the opt-in) and how records are made and carried in private
 * state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/lxd/lxd_server_keys.h"

static tf_value *smap(const char *const *kv)
{
	tf_type *mt = tf_type_map(tf_type_string());
	tf_value *m = tf_value_map_new(mt);

	tf_type_unref(mt);
	for (; kv && kv[0]; kv += 2)
		tf_value_map_set(m, kv[0], tf_value_string(kv[1]));
	return m;
}

static const char *get(const tf_value *m, const char *k)
{
	const tf_value *v = m ? tf_value_map_get(m, k) : NULL;
	return v ? tf_value_get_string(v) : NULL;
}

static json_t *live(void)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "source", "/var/lib/lxd/p",
			 "rsync.bwlimit", "10", "rsync.compression", "false",
			 "volatile.initial_source", "/x");
}

/* Keys added by hand are reported; recorded server keys and volatile.* are
 * not; managed keys carry their live values. */
static void test_refresh_reports_unmanaged(void **state)
{
	static const char *const managed_kv[] = { "rsync.bwlimit", "5", NULL };
	tf_value *managed = smap(managed_kv);
	json_t *l = live(), *rec = json_pack("[s]", "source");
	bool failed = false;
	tf_value *out = lxd_refresh_config(managed, l, rec, false, NULL, NULL,
					   &failed);

	(void)state;
	assert_false(failed);
	assert_non_null(out);
	assert_int_equal(tf_value_len(out), 2);
	assert_string_equal(get(out, "rsync.bwlimit"), "10");
	assert_string_equal(get(out, "rsync.compression"), "false");
	assert_null(get(out, "source"));
	assert_null(get(out, "volatile.initial_source"));
	tf_value_unref(out);

	/* The opt-in: only the managed keys. */
	out = lxd_refresh_config(managed, l, rec, true, NULL, NULL, &failed);
	assert_int_equal(tf_value_len(out), 1);
	assert_string_equal(get(out, "rsync.bwlimit"), "10");
	tf_value_unref(out);

	/* Without a record (older state): only the managed keys. */
	out = lxd_refresh_config(managed, l, NULL, false, NULL, NULL, &failed);
	assert_int_equal(tf_value_len(out), 1);
	tf_value_unref(out);
	tf_value_unref(managed);
	json_decref(l);
	json_decref(rec);
}

/* A managed key gone from the server is left out (the plan re-adds it); an
 * unset config with nothing to report stays null. */
static void test_refresh_gone_and_null(void **state)
{
	static const char *const managed_kv[] = { "size", "5GiB", NULL };
	tf_value *managed = smap(managed_kv);
	json_t *l = json_pack("{s:s}", "source", "/p"),
	       *rec = json_pack("[s]", "source");
	bool failed = false;
	tf_value *out = lxd_refresh_config(managed, l, rec, false, NULL, NULL,
					   &failed);

	(void)state;
	assert_non_null(out);
	assert_int_equal(tf_value_len(out), 0);
	tf_value_unref(out);
	out = lxd_refresh_config(NULL, l, rec, false, NULL, NULL, &failed);
	assert_null(out);
	assert_false(failed);
	tf_value_unref(managed);
	json_decref(l);
	json_decref(rec);
}

static bool only_rsync(const char *k, const json_t *v, void *arg)
{
	(void)v;
	(void)arg;
	return strncmp(k, "rsync.", 6) == 0;
}

/* A create records every live key the plan did not set; an update only
 * the candidates; a filter limits the scope; volatile.* is never
 * recorded. */
static void test_record(void **state)
{
	static const char *const planned_kv[] = { "rsync.bwlimit", "10", NULL };
	tf_value *planned = smap(planned_kv);
	json_t *priv = json_object(), *l = live(),
	       *cand = json_pack("[s]", "source");
	const json_t *rec;

	(void)state;
	assert_int_equal(lxd_server_keys_record(priv, "", l, planned, NULL,
						NULL, NULL),
			 0);
	rec = lxd_server_keys_get(priv, "");
	assert_non_null(rec);
	assert_int_equal(json_array_size(rec),
			 2); /* source, rsync.compression */

	assert_int_equal(lxd_server_keys_record(priv, "", l, planned, cand,
						NULL, NULL),
			 0);
	rec = lxd_server_keys_get(priv, "");
	assert_int_equal(json_array_size(rec), 1);
	assert_string_equal(json_string_value(json_array_get(rec, 0)),
			    "source");

	assert_int_equal(lxd_server_keys_record(priv, "node1", l, NULL, NULL,
						only_rsync, NULL),
			 0);
	assert_int_equal(json_array_size(lxd_server_keys_get(priv, "node1")),
			 2);
	assert_null(lxd_server_keys_get(priv, "node2"));
	tf_value_unref(planned);
	json_decref(priv);
	json_decref(l);
	json_decref(cand);
}

/* Records of members no longer listed are dropped; "" stays. */
static void test_prune_and_union(void **state)
{
	static const char *const members_kv[] = { "node1", "x", NULL };
	static const char *const keys_kv[] = { "a", "1", "b", "2", NULL };
	tf_value *members = smap(members_kv), *keys = smap(keys_kv);
	json_t *priv = json_object(), *l = live(), *u,
	       *a = json_pack("[s,s]", "b", "c");

	(void)state;
	lxd_server_keys_record(priv, "", l, NULL, NULL, NULL, NULL);
	lxd_server_keys_record(priv, "node1", l, NULL, NULL, NULL, NULL);
	lxd_server_keys_record(priv, "node2", l, NULL, NULL, NULL, NULL);
	lxd_server_keys_prune(priv, members);
	assert_non_null(lxd_server_keys_get(priv, ""));
	assert_non_null(lxd_server_keys_get(priv, "node1"));
	assert_null(lxd_server_keys_get(priv, "node2"));
	lxd_server_keys_prune(priv, NULL);
	assert_null(lxd_server_keys_get(priv, "node1"));

	u = lxd_key_union(a, keys);
	assert_int_equal(json_array_size(u), 3); /* b, c, a */
	json_decref(u);
	tf_value_unref(members);
	tf_value_unref(keys);
	json_decref(priv);
	json_decref(l);
	json_decref(a);
}

/* Private state round-trips; garbage or none is an empty object. */
static void test_private_roundtrip(void **state)
{
	tfp_ctx ctx = { .type_name = "lxd_storage_pool" };
	json_t *priv = json_object(), *back;
	json_t *l = live();

	(void)state;
	back = lxd_private_load(&ctx);
	assert_true(json_is_object(back) && json_object_size(back) == 0);
	json_decref(back);
	ctx.private_in = (const uint8_t *)"[1,2";
	ctx.private_in_len = 4;
	back = lxd_private_load(&ctx);
	assert_int_equal(json_object_size(back), 0);
	json_decref(back);

	lxd_server_keys_record(priv, "", l, NULL, NULL, NULL, NULL);
	assert_int_equal(lxd_private_save(&ctx, priv), 0);
	assert_int_equal(lxd_private_save(&ctx, priv),
			 0); /* replaces, no leak */
	ctx.private_in = ctx.private_out;
	ctx.private_in_len = ctx.private_out_len;
	back = lxd_private_load(&ctx);
	assert_int_equal(json_array_size(lxd_server_keys_get(back, "")), 3);
	json_decref(back);
	free(ctx.private_out);
	json_decref(priv);
	json_decref(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refresh_reports_unmanaged),
		cmocka_unit_test(test_refresh_gone_and_null),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_prune_and_union),
		cmocka_unit_test(test_private_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
