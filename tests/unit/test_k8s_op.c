/* provider/k8s/k8s_op.c: the ownership marker of creates. Pure parts
 * (k8s_json_subset, k8s_op_ownership) and the operations against a
 * scripted API server: a create carries the operation's id; a conflict
 * with our own orphan (marker of an interrupted create, matching the
 * configuration) resumes it; anything else is refused, never adopted;
 * release drops only our marker; undo deletes only what was POSTed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/k8s/k8s_client.h"
#include "provider/k8s/k8s_objects.h"
#include "provider/k8s/k8s_op.h"
#include "provider/k8s/kubeconfig.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static json_t *J(const char *relaxed)
{
	char *t = strdup(relaxed);
	json_error_t e;
	json_t *j;

	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(t, 0, &e);
	if (!j)
		fail_msg("json %s: %s", relaxed, e.text);
	free(t);
	return j;
}

/* ---- pure ---------------------------------------------------------------- */

static void test_subset(void **state)
{
	static const struct {
		const char *want, *live;
		bool ok;
	} cases[] = {
		{ "{}", "{'a':1}", true },
		{ "{'a':1}", "{'a':1,'b':2}", true },
		{ "{'a':1}", "{'a':2}", false },
		{ "{'a':1}", "{}", false },
		{ "{'a':{'b':[1,{'c':'x'}]}}",
		  "{'a':{'b':[1,{'c':'x','d':0}],'e':1}}", true },
		{ "{'a':[1,2]}", "{'a':[1,2,3]}",
		  false }, /* lists: same length */
		{ "{'a':[1,2]}", "{'a':[2,1]}", false }, /* and order */
		{ "{'a':'1'}", "{'a':1}", false },       /* types matter */
		{ "{'a':null}", "{}", false },
		{ "[]", "[]", true },
	};
	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		json_t *w = J(cases[i].want), *l = J(cases[i].live);
		if (k8s_json_subset(w, l) != cases[i].ok)
			fail_msg("subset(%s, %s) != %d", cases[i].want,
				 cases[i].live, cases[i].ok);
		json_decref(w);
		json_decref(l);
	}
}

#define WANT                                                                                      \
	"{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s','labels':{'" K8S_LABEL_MANAGED \
	"':'" K8S_MANAGER                                                                         \
	"','team':'a'}},'type':'Opaque','data':{'k':'dg=='}}"

static json_t *live_obj(const char *labels, const char *id, const char *data)
{
	char buf[1024];

	snprintf(
		buf, sizeof(buf),
		"{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s','uid':'u',"
		"'resourceVersion':'9','labels':%s%s%s%s},'type':'Opaque','data':%s}",
		labels, id ? ",'annotations':{'" K8S_ANN_CREATE_ID "':'" : "",
		id ? id : "", id ? "'}" : "", data);
	return J(buf);
}

static void test_ownership(void **state)
{
	json_t *want = J(WANT), *l;
	const char *why;
	const char *ours = "{'" K8S_LABEL_MANAGED "':'" K8S_MANAGER
			   "','team':'a','extra':'x'}";

	(void)state;
	/* This operation's own object (a retried POST that landed). */
	l = live_obj(ours, "op-1", "{'k':'dg=='}");
	assert_int_equal(k8s_op_ownership(want, l, "op-1", &why), K8S_OWN_OURS);
	/* An orphan of an interrupted create, same content (plus fields the
	 * server added): resumed. */
	assert_int_equal(k8s_op_ownership(want, l, "op-2", &why),
			 K8S_OWN_RESUME);
	json_decref(l);
	/* Orphan whose content differs now: refused. */
	l = live_obj(ours, "op-1", "{'k':'b3RoZXI='}");
	assert_int_equal(k8s_op_ownership(want, l, "op-2", &why),
			 K8S_OWN_FOREIGN);
	assert_non_null(strstr(why, "no longer matches"));
	json_decref(l);
	/* Ours but recorded in a state (no marker): refused. */
	l = live_obj(ours, NULL, "{'k':'dg=='}");
	assert_int_equal(k8s_op_ownership(want, l, "op-2", &why),
			 K8S_OWN_FOREIGN);
	assert_non_null(strstr(why, "recorded in a Terraform state"));
	json_decref(l);
	/* Made by hand (no managed-by label), even with the same content
	 * and a stray marker: refused. */
	l = live_obj("{'team':'a'}", "op-1", "{'k':'dg=='}");
	assert_int_equal(k8s_op_ownership(want, l, "op-2", &why),
			 K8S_OWN_FOREIGN);
	assert_non_null(strstr(why, "not made by this provider"));
	json_decref(l);
	/* Our orphan, but being deleted: not resumed. */
	l = live_obj(ours, "op-1", "{'k':'dg=='}");
	json_object_set_new(json_object_get(l, "metadata"), "deletionTimestamp",
			    json_string("2026-01-01T00:00:00Z"));
	assert_int_equal(k8s_op_ownership(want, l, "op-2", &why),
			 K8S_OWN_FOREIGN);
	assert_non_null(strstr(why, "being deleted"));
	json_decref(l);
	/* Labels we set missing: refused. */
	l = live_obj("{'" K8S_LABEL_MANAGED "':'" K8S_MANAGER "'}", "op-1",
		     "{'k':'dg=='}");
	assert_int_equal(k8s_op_ownership(want, l, "op-2", &why),
			 K8S_OWN_FOREIGN);
	json_decref(l);
	json_decref(want);
}

/* ---- against a scripted server --------------------------------------------- */

typedef struct step {
	const char *method; /* expected */
	const char *path;   /* expected prefix */
	int status;
	const char *body;
} step;

typedef struct script {
	const step *steps;
	size_t n, calls;
	char *bodies[16];
} script;

static int scripted(void *ud, const char *method, const char *path,
		    const char *ctype, const char *body, const char *auth,
		    k8s_http_reply *reply)
{
	script *s = ud;
	const step *st;

	(void)ctype;
	(void)auth;
	if (s->calls >= s->n)
		fail_msg("unexpected request %s %s", method, path);
	st = &s->steps[s->calls];
	if (s->calls < 16)
		s->bodies[s->calls] = body ? strdup(body) : NULL;
	s->calls++;
	assert_string_equal(method, st->method);
	if (strncmp(path, st->path, strlen(st->path)) != 0)
		fail_msg("request %zu: %s %s, expected %s %s", s->calls, method,
			 path, st->method, st->path);
	reply->status = st->status;
	reply->body = strdup(st->body);
	return 0;
}

static void script_done(script *s)
{
	for (size_t i = 0; i < s->calls && i < 16; i++)
		free(s->bodies[i]);
}

static k8s_client *client(script *s)
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
	assert_int_equal(k8s_client_new(&o, &c, &e), TFP_OK);
	kubeconfig_free(kc);
	return c;
}

#define SECRETS "/api/v1/namespaces/team/secrets"
#define EXISTS "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\",\"code\":409}"
#define ORPHAN                                                                     \
	"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"," \
	"\"labels\":{\"" K8S_LABEL_MANAGED "\":\"" K8S_MANAGER                     \
	"\",\"team\":\"a\"},"                                                      \
	"\"annotations\":{\"" K8S_ANN_CREATE_ID "\":\"old-op\"}},"                 \
	"\"type\":\"Opaque\",\"data\":{\"k\":\"dg==\"}}"
#define HANDMADE                                                                    \
	"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"}," \
	"\"type\":\"Opaque\",\"data\":{\"k\":\"dg==\"}}"

static void test_create_marks_and_records(void **state)
{
	static const step steps[] = {
		{ "POST", SECRETS "?fieldManager=", 201, "{}" },
		{ "PATCH", SECRETS "/s?", 200, "{}" }, /* release */
	};
	script s = { steps, NELEM(steps), 0, { 0 } };
	k8s_client *c = client(&s);
	json_t *want = J(WANT), *sent;
	tfp_error err = { 0 };
	bool resumed = true;
	k8s_op op;

	(void)state;
	k8s_op_begin(&op);
	assert_int_equal(strlen(op.id), 32);
	assert_int_equal(k8s_op_create(&op, c, &k8s_gvr_secret, "team", want,
				       &resumed, &err),
			 TFP_OK);
	assert_false(resumed);
	assert_true(k8s_op_made_any(&op));
	sent = json_loads(s.bodies[0], 0, NULL);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(sent,
								    "metadata"),
						    "annotations"),
				    K8S_ANN_CREATE_ID)),
			    op.id);
	assert_null(json_object_get(json_object_get(want, "metadata"),
				    "annotations"));
	json_decref(sent);
	/* Release: a JSON patch that removes the marker only if still ours. */
	k8s_op_release(&op, c, "team");
	assert_non_null(strstr(s.bodies[1], "\"op\":\"test\""));
	assert_non_null(strstr(s.bodies[1], op.id));
	assert_non_null(strstr(s.bodies[1], "\"op\":\"remove\""));
	assert_non_null(strstr(s.bodies[1], "lxdcapi.terraform.io~1create-id"));
	assert_int_equal(s.calls, 2);
	k8s_op_done(&op);
	json_decref(want);
	k8s_client_free(c);
	script_done(&s);
}

static void test_create_resumes_own_orphan(void **state)
{
	static const step steps[] = {
		{ "POST", SECRETS "?", 409, EXISTS },
		{ "GET", SECRETS "/s", 200, ORPHAN },
		{ "PATCH", SECRETS "/s?", 200, "{}" }, /* marker -> our id */
	};
	script s = { steps, NELEM(steps), 0, { 0 } };
	k8s_client *c = client(&s);
	json_t *want = J(WANT);
	tfp_error err = { 0 };
	bool resumed = false;
	k8s_op op;

	(void)state;
	k8s_op_begin(&op);
	assert_int_equal(k8s_op_create(&op, c, &k8s_gvr_secret, "team", want,
				       &resumed, &err),
			 TFP_OK);
	assert_true(resumed);
	assert_non_null(strstr(s.bodies[2], op.id));
	assert_int_equal(s.calls, 3);
	/* A resumed object is not ours to undo. */
	k8s_op_undo(&op, c, "team");
	assert_int_equal(s.calls, 3);
	k8s_op_done(&op);
	json_decref(want);
	k8s_client_free(c);
	script_done(&s);
}

static void test_create_refuses_foreign(void **state)
{
	static const step steps[] = {
		{ "POST", SECRETS "?", 409, EXISTS },
		{ "GET", SECRETS "/s", 200, HANDMADE },
	};
	script s = { steps, NELEM(steps), 0, { 0 } };
	k8s_client *c = client(&s);
	json_t *want = J(WANT);
	tfp_error err = { 0 };
	k8s_op op;

	(void)state;
	k8s_op_begin(&op);
	assert_int_equal(k8s_op_create(&op, c, &k8s_gvr_secret, "team", want,
				       NULL, &err),
			 TFP_E_EXISTS);
	assert_non_null(strstr(err.message,
			       "Secret team/s already exists and this "
			       "configuration did not create it"));
	assert_non_null(strstr(err.message, "not made by this provider"));
	assert_false(k8s_op_made_any(&op));
	assert_int_equal(s.calls, 2); /* no write to the foreign object */
	k8s_op_done(&op);
	json_decref(want);
	k8s_client_free(c);
	script_done(&s);
}

/* undo deletes what this operation POSTed, newest first; ensure adopts a
 * template of the same spec without recording it (no marker). */
static void test_undo_and_ensure(void **state)
{
	static const step steps[] = {
		{ "POST", SECRETS "?", 201, "{}" },
		{ "POST", "/api/v1/namespaces/team/configmaps?", 409, EXISTS },
		{ "GET", "/api/v1/namespaces/team/configmaps/t", 200,
		  "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"t\"},\"spec\":{\"a\":1}}" },
		{ "POST", "/api/v1/namespaces/team/configmaps?", 201, "{}" },
		{ "DELETE", "/api/v1/namespaces/team/configmaps/u", 200, "{}" },
		{ "DELETE", SECRETS "/s", 200, "{}" },
	};
	static const k8s_gvr cm = { "", "v1", "configmaps", "ConfigMap", true };
	script s = { steps, NELEM(steps), 0, { 0 } };
	k8s_client *c = client(&s);
	json_t *want = J(WANT);
	json_t *t = J(
		"{'kind':'ConfigMap','metadata':{'name':'t'},'spec':{'a':1}}");
	json_t *u = J(
		"{'kind':'ConfigMap','metadata':{'name':'u'},'spec':{'a':2}}");
	tfp_error err = { 0 };
	k8s_op op;

	(void)state;
	k8s_op_begin(&op);
	assert_int_equal(k8s_op_create(&op, c, &k8s_gvr_secret, "team", want,
				       NULL, &err),
			 TFP_OK);
	assert_int_equal(k8s_op_ensure(&op, c, &cm, "team", t, true, &err),
			 TFP_OK);
	assert_int_equal(op.n, 1); /* the existing template is not ours */
	assert_int_equal(k8s_op_ensure(&op, c, &cm, "team", u, true, &err),
			 TFP_OK);
	assert_int_equal(op.n, 2);
	k8s_op_undo(&op, c, "team");
	assert_int_equal(s.calls, NELEM(steps));
	k8s_op_done(&op);
	json_decref(want);
	json_decref(t);
	json_decref(u);
	k8s_client_free(c);
	script_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subset),
		cmocka_unit_test(test_ownership),
		cmocka_unit_test(test_create_marks_and_records),
		cmocka_unit_test(test_create_resumes_own_orphan),
		cmocka_unit_test(test_create_refuses_foreign),
		cmocka_unit_test(test_undo_and_ensure),
	};

	return cmocka_run_group_tests_name("k8s_op", tests, NULL, NULL);
}
