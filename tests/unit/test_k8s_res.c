/* Unit tests for provider/k8s/k8s_res.c: bounded polling (deadline, stop
 * flag, errors), timeouts blocks, import IDs, the Incomplete marker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "provider/k8s/k8s_objects.h"
#include "provider/k8s/k8s_res.h"
#include "schema/codec.h"
#include "schema/tf_err.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct counter {
	int calls;
	int done_at;           /* return 1 on this call (0: never) */
	int fail_at;           /* return an error on this call (0: never) */
	int fail_code;         /* that error (0: TFP_E_FORBIDDEN) */
	int flaky_until;       /* TFP_E_UNAVAILABLE on calls up to this one */
	atomic_int *stop_at_2; /* raise this flag on the 2nd call */
};

static int check(void *argv, tfp_error *err)
{
	struct counter *c = argv;

	c->calls++;
	if (c->stop_at_2 && c->calls == 2)
		atomic_store(c->stop_at_2, 1);
	if (c->fail_at && c->calls == c->fail_at) {
		err->code = c->fail_code ? c->fail_code : TFP_E_FORBIDDEN;
		return err->code;
	}
	if (c->calls <= c->flaky_until) {
		err->code = TFP_E_UNAVAILABLE;
		snprintf(err->message, sizeof(err->message),
			 "connection refused");
		return TFP_E_UNAVAILABLE;
	}
	return c->done_at && c->calls >= c->done_at ? 1 : 0;
}

static void test_poll_done(void **state)
{
	tfp_ctx ctx = { 0 };
	struct counter c = { .done_at = 3 };
	tfp_error err = { 0 };

	(void)state;
	assert_int_equal(k8s_res_poll(&ctx, 30, check, &c, &err), TFP_OK);
	assert_int_equal(c.calls, 3);
}

static void test_poll_deadline(void **state)
{
	tfp_ctx ctx = { 0 };
	struct counter c = { 0 };
	tfp_error err = { 0 };
	double t0 = now_s(), dt;

	(void)state;
	assert_int_equal(k8s_res_poll(&ctx, 1, check, &c, &err), TFP_E_TIMEOUT);
	dt = now_s() - t0;
	assert_true(dt >= 0.9 && dt < 3.0);
	assert_true(c.calls >= 2);
	assert_int_equal(err.code, TFP_E_TIMEOUT);
}

static void test_poll_stop(void **state)
{
	atomic_int stop = 0;
	tfp_ctx ctx = { .stop = &stop };
	struct counter c = { .stop_at_2 = &stop };
	tfp_error err = { 0 };
	double t0 = now_s();

	(void)state;
	assert_int_equal(k8s_res_poll(&ctx, 600, check, &c, &err),
			 TFP_E_CANCELLED);
	assert_true(now_s() - t0 < 3.0); /* not the 600 s deadline */
	assert_non_null(strstr(err.message, "stop"));
}

static void test_poll_error(void **state)
{
	tfp_ctx ctx = { 0 };
	struct counter c = { .fail_at = 2 };
	tfp_error err = { 0 };

	(void)state;
	assert_int_equal(k8s_res_poll(&ctx, 30, check, &c, &err),
			 TFP_E_FORBIDDEN);
	assert_int_equal(c.calls, 2);
}

/* The management cluster unreachable for a while (a restart): the wait
 * goes on; unreachable until the deadline: that error, not a timeout; a
 * server that stopped answering ends the wait at once. */
static void test_poll_transient(void **state)
{
	tfp_ctx ctx = { 0 };
	struct counter c = { .flaky_until = 3, .done_at = 5 };
	struct counter down = { .flaky_until = 1000 };
	struct counter dead = { .fail_at = 2, .fail_code = TFP_E_TIMEOUT };
	tfp_error err = { 0 };
	double t0;

	(void)state;
	assert_int_equal(k8s_res_poll(&ctx, 30, check, &c, &err), TFP_OK);
	assert_int_equal(c.calls, 5);
	t0 = now_s();
	assert_int_equal(k8s_res_poll(&ctx, 1, check, &down, &err),
			 TFP_E_UNAVAILABLE);
	assert_true(now_s() - t0 >= 0.9);
	assert_string_equal(err.message, "connection refused");
	/* Reported as unreachable, not as this wait's deadline. */
	assert_int_equal(k8s_res_poll(&ctx, 30, check, &dead, &err),
			 TFP_E_UNAVAILABLE);
	assert_int_equal(err.code, TFP_E_UNAVAILABLE);
	assert_int_equal(dead.calls, 2);
	assert_true(k8s_res_transient(TFP_E_SERVER));
	assert_false(k8s_res_transient(TFP_E_TIMEOUT));
	assert_false(k8s_res_transient(TFP_E_CANCELLED));
	assert_false(k8s_res_transient(TFP_E_INVALID));
}

static void test_timeouts_and_marker(void **state)
{
	tf_schema *s = NULL;
	char errbuf[256];
	tf_value *v = NULL;
	static const char js[] =
		"{\"name\":\"a\",\"phase\":\"Incomplete\","
		"\"timeouts\":{\"create\":\"90s\",\"update\":null,\"delete\":\"1h30m\"}}";

	(void)state;
	assert_int_equal(tf_schema_compile(&k8s_cluster_schema_def, 0, &s,
					   errbuf, sizeof(errbuf)),
			 TF_OK);
	assert_int_equal(tf_json_decode(js, strlen(js), tf_schema_type(s), 1,
					&v, errbuf, sizeof(errbuf)),
			 TF_OK);
	assert_int_equal(k8s_res_timeout(v, "create"), 90);
	assert_int_equal(k8s_res_timeout(v, "update"), 30 * 60); /* default */
	assert_int_equal(k8s_res_timeout(v, "delete"), 5400);
	assert_true(k8s_phase_incomplete(v));
	tf_value_unref(v);
	v = NULL;
	assert_int_equal(tf_json_decode("{\"phase\":\"Provisioned\"}", 23,
					tf_schema_type(s), 1, &v, errbuf,
					sizeof(errbuf)),
			 TF_OK);
	assert_false(k8s_phase_incomplete(v));
	assert_int_equal(k8s_res_timeout(v, "create"), 30 * 60); /* no block */
	tf_value_unref(v);
	tf_schema_free(s);
}

static void test_import_ids(void **state)
{
	static const char *const bad[] = {
		"prod",         "/prod",         "default/", "a/b/c",
		"Default/prod", "default/pr_od", "",
	};
	char *ns = NULL, *name = NULL;

	(void)state;
	{
		tf_diags d = TF_DIAGS_INIT;
		assert_true(k8s_res_import_id("capi-system/prod-1",
					      "k8s_cluster.x", &ns, &name, &d));
		assert_string_equal(ns, "capi-system");
		assert_string_equal(name, "prod-1");
		assert_false(tf_diags_has_error(&d));
		free(ns);
		free(name);
		tf_diags_done(&d);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tf_diags d = TF_DIAGS_INIT;
		ns = name = NULL;
		if (k8s_res_import_id(bad[i], "k8s_cluster.x", &ns, &name, &d))
			fail_msg("\"%s\" accepted", bad[i]);
		assert_true(tf_diags_has_error(&d));
		assert_non_null(strstr(d.items[0].detail, "namespace/name"));
		assert_null(ns);
		tf_diags_done(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll_done),
		cmocka_unit_test(test_poll_deadline),
		cmocka_unit_test(test_poll_stop),
		cmocka_unit_test(test_poll_error),
		cmocka_unit_test(test_poll_transient),
		cmocka_unit_test(test_timeouts_and_marker),
		cmocka_unit_test(test_import_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
