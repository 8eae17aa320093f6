/* Unit tests for the lxd_node helpers (provider/lxd/lxd_node*.c) against a
 * scripted LXD transport: the PUT body keeps automatic roles and unmanaged
 * config keys, role races and 412s are retried, evacuation is idempotent,
 * missing join keys are named, and state is built from a member object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "provider/lxd/client.h"
#include "provider/lxd/lxd_common.h"
#include "provider/lxd/lxd_node.h"
#include "provider/resource.h"
#include "schema/schema.h"
#include "schema/tf_err.h"

extern const tfp_resource lxd_node_resource;

/* ---- scripted transport --------------------------------------------- */

typedef struct reply {
	int status;
	const char *body;
	const char *etag;
} reply;

#define MAXCALLS 16
typedef struct script {
	const reply *r;
	size_t n, calls;
	char *method[MAXCALLS], *path[MAXCALLS], *body[MAXCALLS],
		*if_match[MAXCALLS];
} script;

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int scripted(void *ud, const char *method, const char *path,
		    const char *body, const char *if_match, lxd_http_reply *out)
{
	script *s = ud;
	size_t i = s->calls++;

	assert_true(i < s->n && i < MAXCALLS);
	s->method[i] = dup_or_null(method);
	s->path[i] = dup_or_null(path);
	s->body[i] = dup_or_null(body);
	s->if_match[i] = dup_or_null(if_match);
	out->status = s->r[i].status;
	out->body = dup_or_null(s->r[i].body);
	out->body_len = out->body ? strlen(out->body) : 0;
	out->etag = dup_or_null(s->r[i].etag);
	return 0;
}

static void script_done(script *s)
{
	for (size_t i = 0; i < s->calls && i < MAXCALLS; i++) {
		free(s->method[i]);
		free(s->path[i]);
		free(s->body[i]);
		free(s->if_match[i]);
	}
}

static lxd_client *client_for(script *s)
{
	lxd_client_opts o = { 0 };
	lxd_client *c = NULL;
	tfp_error err = { 0 };

	o.transport = scripted;
	o.transport_ud = s;
	assert_int_equal(lxd_client_new(&o, &c, &err), TFP_OK);
	return c;
}

#define SYNC(meta)                                                             \
	"{\"type\":\"sync\",\"status_code\":200,\"metadata\":" meta "}"
#define ERR(code, msg)                                                         \
	"{\"type\":\"error\",\"error_code\":" #code ",\"error\":\"" msg "\"}"

static const char member_json[] =
	"{\"server_name\":\"node3\",\"url\":\"https://203.0.113.3:8443\","
	"\"roles\":[\"database\",\"event-hub\"],\"failure_domain\":\"default\","
	"\"description\":\"\",\"config\":{\"user.keep\":\"x\",\"user.old\":\"1\"},"
	"\"groups\":[\"default\"],\"database\":true,\"status\":\"Online\","
	"\"message\":\"Fully operational\",\"architecture\":\"x86_64\"}";

/* ---- values ------------------------------------------------------------ */

static tf_schema *node_schema(void)
{
	tf_schema *s = NULL;
	char err[256];

	assert_int_equal(tf_schema_compile(lxd_node_resource.schema, 0, &s, err,
					   sizeof(err)),
			 TF_OK);
	return s;
}

static tf_value *str_set(const char *a, const char *b)
{
	tf_type *t = tf_type_set(tf_type_string());
	tf_value *s = tf_value_set_new(t);

	tf_type_unref(t);
	if (a)
		tf_value_list_append(s, tf_value_string(a));
	if (b)
		tf_value_list_append(s, tf_value_string(b));
	return s;
}

static tf_value *str_map1(const char *k, const char *v)
{
	tf_type *t = tf_type_map(tf_type_string());
	tf_value *m = tf_value_map_new(t);

	tf_type_unref(t);
	tf_value_map_set(m, k, tf_value_string(v));
	return m;
}

/* ---- cases ---------------------------------------------------------- */

static void test_lxd_node_put_body(void **state)
{
	static const reply r[] = {
		{ 200, NULL, "\"e1\"" },
		{ 200, SYNC("{}"), NULL },
	};
	char get[sizeof(member_json) + 64];
	reply rr[2];
	script s = { .r = rr, .n = 2 };
	tf_schema *sc = node_schema();
	tf_value *prior = tf_schema_empty_object(sc);
	tf_value *planned = tf_schema_empty_object(sc);
	lxd_client *c;
	tfp_error err = { 0 };
	json_t *body;

	(void)state;
	snprintf(get, sizeof(get), SYNC("%s"), member_json);
	rr[0] = r[0];
	rr[0].body = get;
	rr[1] = r[1];
	c = client_for(&s);
	tf_value_object_set(prior, "config", str_map1("user.old", "1"));
	tf_value_object_set(planned, "description", tf_value_string("third"));
	tf_value_object_set(planned, "failure_domain",
			    tf_value_string("rack-b"));
	tf_value_object_set(planned, "groups", str_set("default", "rack"));
	tf_value_object_set(planned, "roles", str_set("ovn-chassis", NULL));
	tf_value_object_set(planned, "config", str_map1("user.new", "2"));

	assert_int_equal(lxd_node_put(c, "node3", prior, planned, NULL, &err),
			 TFP_OK);
	assert_int_equal(s.calls, 2);
	assert_string_equal(s.method[1], "PUT");
	assert_string_equal(s.path[1], "/1.0/cluster/members/node3");
	assert_string_equal(s.if_match[1], "\"e1\"");
	body = json_loads(s.body[1], 0, NULL);
	assert_non_null(body);
	assert_string_equal(json_string_value(
				    json_object_get(body, "description")),
			    "third");
	assert_string_equal(json_string_value(
				    json_object_get(body, "failure_domain")),
			    "rack-b");
	/* automatic "database" kept, user role "event-hub" replaced by the plan */
	{
		char *roles = json_dumps(json_object_get(body, "roles"),
					 JSON_COMPACT);
		assert_string_equal(roles, "[\"database\",\"ovn-chassis\"]");
		free(roles);
	}
	assert_int_equal(json_array_size(json_object_get(body, "groups")), 2);
	/* unmanaged key kept, dropped managed key removed, new key added */
	{
		json_t *cfg = json_object_get(body, "config");
		assert_string_equal(json_string_value(
					    json_object_get(cfg, "user.keep")),
				    "x");
		assert_null(json_object_get(cfg, "user.old"));
		assert_string_equal(json_string_value(
					    json_object_get(cfg, "user.new")),
				    "2");
	}
	json_decref(body);
	tf_value_unref(prior);
	tf_value_unref(planned);
	tf_schema_free(sc);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_node_put_unknown_keeps_live(void **state)
{
	char get[sizeof(member_json) + 64];
	reply rr[2] = { { 200, NULL, NULL }, { 200, SYNC("{}"), NULL } };
	script s = { .r = rr, .n = 2 };
	tf_schema *sc = node_schema();
	tf_value *planned = tf_schema_empty_object(sc);
	tf_type *st = tf_type_set(tf_type_string());
	lxd_client *c;
	tfp_error err = { 0 };
	json_t *body;

	(void)state;
	snprintf(get, sizeof(get), SYNC("%s"), member_json);
	rr[0].body = get;
	c = client_for(&s);
	tf_value_object_set(planned, "failure_domain",
			    tf_value_unknown(tf_type_string()));
	tf_value_object_set(planned, "roles", tf_value_unknown(st));
	tf_value_object_set(planned, "groups", tf_value_unknown(st));
	tf_type_unref(st);
	assert_int_equal(lxd_node_put(c, "node3", NULL, planned, NULL, &err),
			 TFP_OK);
	body = json_loads(s.body[1], 0, NULL);
	assert_non_null(body);
	assert_string_equal(json_string_value(
				    json_object_get(body, "failure_domain")),
			    "default");
	{
		char *roles = json_dumps(json_object_get(body, "roles"),
					 JSON_COMPACT);
		assert_string_equal(roles, "[\"database\",\"event-hub\"]");
		free(roles);
	}
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(body, "groups"), 0)),
			    "default");
	/* no If-Match without an ETag */
	assert_null(s.if_match[1]);
	json_decref(body);
	tf_value_unref(planned);
	tf_schema_free(sc);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_node_put_role_race_retried(void **state)
{
	char get[sizeof(member_json) + 64];
	reply rr[4] = {
		{ 200, NULL, "\"e1\"" },
		{ 400,
		  ERR(400, "The database role cannot be changed at this time"),
		  NULL },
		{ 200, NULL, "\"e2\"" },
		{ 200, SYNC("{}"), NULL },
	};
	script s = { .r = rr, .n = 4 };
	tf_schema *sc = node_schema();
	tf_value *planned = tf_schema_empty_object(sc);
	lxd_client *c;
	tfp_error err = { 0 };

	(void)state;
	snprintf(get, sizeof(get), SYNC("%s"), member_json);
	rr[0].body = rr[2].body = get;
	c = client_for(&s);
	assert_int_equal(lxd_node_put(c, "node3", NULL, planned, NULL, &err),
			 TFP_OK);
	assert_int_equal(s.calls, 4);
	assert_string_equal(s.if_match[3], "\"e2\"");
	tf_value_unref(planned);
	tf_schema_free(sc);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_node_put_other_error_not_retried(void **state)
{
	char get[sizeof(member_json) + 64];
	reply rr[2] = {
		{ 200, NULL, NULL },
		{ 400, ERR(400, "Cluster group not found"), NULL },
	};
	script s = { .r = rr, .n = 2 };
	tf_schema *sc = node_schema();
	tf_value *planned = tf_schema_empty_object(sc);
	lxd_client *c;
	tfp_error err = { 0 };

	(void)state;
	snprintf(get, sizeof(get), SYNC("%s"), member_json);
	rr[0].body = get;
	c = client_for(&s);
	assert_int_equal(lxd_node_put(c, "node3", NULL, planned, NULL, &err),
			 TFP_E_INVALID);
	assert_non_null(strstr(err.message, "Cluster group not found"));
	assert_int_equal(s.calls, 2);
	tf_value_unref(planned);
	tf_schema_free(sc);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_node_evacuate_idempotent(void **state)
{
	reply rr[1] = {
		{ 200, SYNC("{\"server_name\":\"n\",\"status\":\"Evacuated\"}"),
		  NULL }
	};
	script s = { .r = rr, .n = 1 };
	lxd_client *c = client_for(&s);
	tfp_error err = { 0 };

	(void)state;
	/* already evacuated: one GET, no POST */
	assert_int_equal(lxd_node_set_evacuated(c, "n", true, &err), TFP_OK);
	assert_int_equal(s.calls, 1);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_node_restore_posts_and_tolerates_repeat(void **state)
{
	reply rr[2] = {
		{ 200, SYNC("{\"server_name\":\"n\",\"status\":\"Evacuated\"}"),
		  NULL },
		{ 400, ERR(400, "Cluster member is already restored"), NULL },
	};
	script s = { .r = rr, .n = 2 };
	lxd_client *c = client_for(&s);
	tfp_error err = { 0 };
	json_t *b;

	(void)state;
	assert_int_equal(lxd_node_set_evacuated(c, "n", false, &err), TFP_OK);
	assert_int_equal(s.calls, 2);
	assert_string_equal(s.method[1], "POST");
	assert_string_equal(s.path[1], "/1.0/cluster/members/n/state");
	b = json_loads(s.body[1], 0, NULL);
	assert_string_equal(json_string_value(json_object_get(b, "action")),
			    "restore");
	json_decref(b);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_node_missing_member_config(void **state)
{
	json_t *req = json_loads(
		"[{\"entity\":\"storage-pool\",\"name\":\"pre\",\"key\":\"source\"},"
		" {\"entity\":\"network\",\"name\":\"up\",\"key\":\"parent\"}]",
		0, NULL);
	tf_value *mc = str_map1("storage-pool/pre/source", "/srv/pre");
	tf_diags d = TF_DIAGS_INIT;
	char *k;

	(void)state;
	k = lxd_node_mc_key(json_array_get(req, 1));
	assert_string_equal(k, "network/up/parent");
	free(k);
	lxd_node_check_member_config(req, mc, "node3", &d);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.items[0].detail, "\"network/up/parent\""));
	assert_null(strstr(d.items[0].detail, "storage-pool/pre/source"));
	assert_int_equal(d.items[0].path.n, 1);
	assert_string_equal(d.items[0].path.steps[0].name, "member_config");
	tf_diags_done(&d);
	/* all present: no diagnostic; a null map misses both */
	tf_value_unref(mc);
	{
		tf_type *t = tf_type_map(tf_type_string());
		tf_value *nul = tf_value_null(t);
		tf_type_unref(t);
		lxd_node_check_member_config(req, nul, "node3", &d);
		assert_int_equal(d.n, 1);
		assert_non_null(
			strstr(d.items[0].detail, "storage-pool/pre/source"));
		tf_value_unref(nul);
	}
	tf_diags_done(&d);
	json_decref(req);
}

/* A feature the server lacks is a plan error naming the server (kind and
 * version from GET /1.0), the feature and the extension; a server with the
 * extension passes without a diagnostic. */
static void test_lxd_node_require_extension_names_server(void **state)
{
	static const reply incus[] = {
		{ 200,
		  "{\"type\":\"sync\",\"status_code\":200,\"metadata\":"
		  "{\"api_extensions\":[\"cluster_ovn_chassis\"],"
		  "\"environment\":{\"server\":\"incus\","
		  "\"server_version\":\"6.0.4\"}}}",
		  NULL },
	};
	script s = { .r = incus, .n = 1 };
	lxd_client *c = client_for(&s);
	tf_diags d = TF_DIAGS_INIT;

	(void)state;
	assert_true(lxd_require_extension(c, "cluster_ovn_chassis", "roles",
					  "The member role `ovn-chassis`", &d));
	assert_int_equal(d.n, 0);
	assert_false(lxd_require_extension(c, "event_hub", "roles",
					   "The member role `event-hub`", &d));
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.items[0].detail, "Incus 6.0.4"));
	assert_non_null(strstr(d.items[0].detail, "`event_hub`"));
	assert_non_null(strstr(d.items[0].detail, "`event-hub`"));
	assert_string_equal(d.items[0].path.steps[0].name, "roles");
	assert_int_equal(s.calls, 1); /* GET /1.0 once, cached */
	tf_diags_done(&d);
	lxd_client_free(c);
	script_done(&s);
}

static void test_lxd_node_state_import(void **state)
{
	tf_schema *sc = node_schema();
	json_t *m = json_loads(member_json, 0, NULL);
	tf_value *st;
	const tf_value *v;

	(void)state;
	st = lxd_node_state(sc, NULL, m, NULL);
	assert_non_null(st);
	assert_true(tf_value_is_wholly_known(st));
	assert_string_equal(tf_value_attr_string(st, "name"), "node3");
	assert_string_equal(tf_value_attr_string(st, "server_address"),
			    "203.0.113.3:8443");
	v = tf_value_attr(st, "roles");
	assert_int_equal(tf_value_len(v), 1);
	assert_string_equal(tf_value_get_string(tf_value_index(v, 0)),
			    "event-hub");
	v = tf_value_attr(st, "database_roles");
	assert_int_equal(tf_value_len(v), 1);
	assert_string_equal(tf_value_get_string(tf_value_index(v, 0)),
			    "database");
	assert_int_equal(tf_value_len(tf_value_attr(st, "config")), 2);
	assert_false(tf_value_get_bool(tf_value_attr(st, "evacuated")));
	assert_false(tf_value_get_bool(tf_value_attr(st, "force")));
	assert_true(tf_value_is_null(tf_value_attr(st, "join_target")));
	assert_true(lxd_node_auto_role("database-voter"));
	assert_false(lxd_node_auto_role("ovn-chassis"));
	tf_value_unref(st);
	json_decref(m);
	tf_schema_free(sc);
}

/* validate(): join_target's socket/address may be unknown (a module's
 * for_each is unknown when Terraform validates it): no error then; with
 * known values exactly one of them is required. */
static size_t validate_jt(tf_value *sock, tf_value *addr, tf_value *cert)
{
	tf_schema *sc = node_schema();
	tf_value *cfg = tf_schema_empty_object(sc);
	tf_value *jt = tf_value_object_new(
		tf_value_type(tf_value_attr(cfg, "join_target")));
	tfp_ctx ctx = { 0 };
	tf_diags d = TF_DIAGS_INIT;
	size_t n;

	tf_value_object_set(jt, "socket", sock);
	tf_value_object_set(jt, "address", addr);
	tf_value_object_set(jt, "client_certificate", cert);
	tf_value_object_set(cfg, "name", tf_value_string("node3"));
	tf_value_object_set(cfg, "join_target", jt);
	ctx.schema = sc;
	ctx.type_name = "lxd_node";
	lxd_node_resource.validate(&ctx, cfg, &d);
	n = d.n;
	tf_diags_done(&d);
	tf_value_unref(cfg);
	tf_schema_free(sc);
	return n;
}

static void test_lxd_node_validate_unknown_join_target(void **state)
{
	(void)state;
	/* all unknown: nothing to say yet */
	assert_int_equal(validate_jt(tf_value_unknown(tf_type_string()),
				     tf_value_unknown(tf_type_string()),
				     tf_value_unknown(tf_type_string())),
			 0);
	/* socket unknown, address null: fine until known */
	assert_int_equal(validate_jt(tf_value_unknown(tf_type_string()),
				     tf_value_null(tf_type_string()),
				     tf_value_null(tf_type_string())),
			 0);
	/* known: neither, both */
	assert_int_equal(validate_jt(tf_value_null(tf_type_string()),
				     tf_value_null(tf_type_string()),
				     tf_value_null(tf_type_string())),
			 1);
	assert_int_equal(validate_jt(tf_value_string("/s"),
				     tf_value_string("https://h:8443"),
				     tf_value_string("PEM")),
			 1);
	/* known address without certificate: one error; unknown address: none */
	assert_int_equal(validate_jt(tf_value_null(tf_type_string()),
				     tf_value_string("https://h:8443"),
				     tf_value_null(tf_type_string())),
			 1);
	assert_int_equal(validate_jt(tf_value_null(tf_type_string()),
				     tf_value_unknown(tf_type_string()),
				     tf_value_null(tf_type_string())),
			 0);
	assert_int_equal(validate_jt(tf_value_string("/s"),
				     tf_value_null(tf_type_string()),
				     tf_value_null(tf_type_string())),
			 0);
}

/* remove(): a DELETE that fails after LXD dropped the member is a warning
 * (the member is gone); a refusal that leaves it is an error quoting LXD. */
static void run_delete(const reply *rr, size_t n, bool force, tf_diags *d,
		       script *s)
{
	tf_schema *sc = node_schema();
	tf_value *prior = tf_schema_empty_object(sc);
	tfp_ctx ctx = { 0 };

	s->r = rr;
	s->n = n;
	ctx.client = client_for(s);
	ctx.schema = sc;
	ctx.type_name = "lxd_node";
	tf_value_object_set(prior, "name", tf_value_string("node2"));
	tf_value_object_set(prior, "force", tf_value_bool(force));
	lxd_node_resource.remove(&ctx, prior, d);
	lxd_client_free(ctx.client);
	tf_value_unref(prior);
	tf_schema_free(sc);
}

static void test_lxd_node_delete_outcomes(void **state)
{
	static const reply gone[] = {
		{ 500,
		  ERR(500, "Failed to cleanup the member: connection refused"),
		  NULL },
		{ 404, ERR(404, "Cluster member not found"), NULL },
	};
	static const reply refused[] = {
		{ 400,
		  ERR(400, "Node still has the following custom volumes: v2"),
		  NULL },
		{ 200, SYNC("{\"server_name\":\"node2\"}"), NULL },
	};
	static const reply forced[] = { { 200, SYNC("{}"), NULL } };
	script s = { 0 };
	tf_diags d = TF_DIAGS_INIT;

	(void)state;
	run_delete(gone, 2, false, &d, &s);
	assert_false(tf_diags_has_error(&d));
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].severity, TF_DIAG_WARNING);
	assert_string_equal(s.path[0], "/1.0/cluster/members/node2");
	tf_diags_done(&d);
	script_done(&s);

	memset(&s, 0, sizeof(s));
	run_delete(refused, 2, false, &d, &s);
	assert_true(tf_diags_has_error(&d));
	assert_non_null(strstr(d.items[0].detail, "custom volumes: v2"));
	tf_diags_done(&d);
	script_done(&s);

	memset(&s, 0, sizeof(s));
	run_delete(forced, 1, true, &d, &s);
	assert_int_equal(d.n, 0);
	assert_string_equal(s.method[0], "DELETE");
	assert_string_equal(s.path[0], "/1.0/cluster/members/node2?force=1");
	tf_diags_done(&d);
	script_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lxd_node_put_body),
		cmocka_unit_test(test_lxd_node_put_unknown_keeps_live),
		cmocka_unit_test(test_lxd_node_put_role_race_retried),
		cmocka_unit_test(test_lxd_node_put_other_error_not_retried),
		cmocka_unit_test(test_lxd_node_evacuate_idempotent),
		cmocka_unit_test(
			test_lxd_node_restore_posts_and_tolerates_repeat),
		cmocka_unit_test(test_lxd_node_missing_member_config),
		cmocka_unit_test(test_lxd_node_require_extension_names_server),
		cmocka_unit_test(test_lxd_node_state_import),
		cmocka_unit_test(test_lxd_node_delete_outcomes),
		cmocka_unit_test(test_lxd_node_validate_unknown_join_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
