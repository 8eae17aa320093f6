/* Unit tests for the Kubernetes client (provider/k8s/k8s_client.c and
 * friends).
 *
 * Most cases use a scripted transport: canned replies served in order, each
 * request recorded (method, path, content type, body, Authorization). The
 * exec credential plugin is a real shell script that counts its runs. One
 * case goes through libcurl to a plain-HTTP loopback server run by this
 * file (headers: Authorization, Content-Type, Retry-After).
 *
 * The "k8s_client_live" group runs only when K8S_EMU_DIR names a running
 * k8s-emu work directory (tests/e2e/test_k8s_client_live.sh does that): TLS
 * with CA data, client certificates, tokens, tls-server-name, insecure
 * mode, discovery and CRUD against the emulator. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "provider/http/http_internal.h"
#include "provider/k8s/k8s_client.h"
#include "provider/k8s/k8s_internal.h"
#include "provider/k8s/k8s_res.h"
#include "provider/k8s/kubeconfig.h"
#include "provider/util/file.h"

/* ---- scripted transport ---------------------------------------------- */

typedef struct step {
	int status;
	const char *body;
	const char *retry_after;
	int rc;
} step;

#define MAX_RECS 128

typedef struct rec {
	char *method, *path, *ctype, *body, *auth;
} rec;

typedef struct script {
	const step *steps;
	size_t n;
	bool repeat_last;
	size_t calls;
	rec recs[MAX_RECS];
	pthread_mutex_t mu;
	atomic_int *raise_stop; /* raised at the first call when set */
} script;

static char *xstrdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	assert_non_null(d);
	return d;
}

static int scripted(void *ud, const char *method, const char *path,
		    const char *ctype, const char *body, const char *auth,
		    k8s_http_reply *reply)
{
	script *s = ud;
	const step *st;
	size_t i;

	pthread_mutex_lock(&s->mu);
	i = s->calls++;
	if (i < MAX_RECS) {
		s->recs[i].method = xstrdup(method);
		s->recs[i].path = xstrdup(path);
		s->recs[i].ctype = xstrdup(ctype);
		s->recs[i].body = xstrdup(body);
		s->recs[i].auth = xstrdup(auth);
	}
	if (s->raise_stop)
		atomic_store(s->raise_stop, 1);
	pthread_mutex_unlock(&s->mu);
	if (i >= s->n) {
		if (!s->repeat_last || s->n == 0)
			fail_msg("unexpected request %zu: %s %s", i + 1, method,
				 path);
		i = s->n - 1;
	}
	st = &s->steps[i];
	if (st->rc)
		return st->rc;
	reply->status = st->status;
	reply->body = xstrdup(st->body);
	reply->retry_after = xstrdup(st->retry_after);
	return 0;
}

static void script_init(script *s, const step *steps, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->steps = steps;
	s->n = n;
	pthread_mutex_init(&s->mu, NULL);
}

static void script_done(script *s)
{
	size_t i;

	for (i = 0; i < s->calls && i < MAX_RECS; i++) {
		free(s->recs[i].method);
		free(s->recs[i].path);
		free(s->recs[i].ctype);
		free(s->recs[i].body);
		free(s->recs[i].auth);
	}
	pthread_mutex_destroy(&s->mu);
}

/* ---- helpers ----------------------------------------------------------- */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct raise_arg {
	atomic_int *stop;
	long ms;
};

/* Thread body: raise the stop flag after ms milliseconds. */
static void *raise_later(void *p)
{
	struct raise_arg *a = p;
	struct timespec ts = { a->ms / 1000, (a->ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	atomic_store(a->stop, 1);
	return NULL;
}

static const char *KC_TOKEN =
	"apiVersion: v1\nkind: Config\ncurrent-context: c\n"
	"clusters:\n- name: k\n  cluster:\n    server: https://192.0.2.10:6443/\n"
	"users:\n- name: u\n  user:\n    token: tok-static\n"
	"contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\n"
	"    namespace: team\n";

static k8s_client *client_from(const char *yaml, script *s, atomic_int *stop)
{
	kubeconfig_source src = { .content = yaml };
	kubeconfig *kc = NULL;
	k8s_client_opts o = { 0 };
	k8s_client *c = NULL;
	tfp_error err;
	tfp_error kerr;

	if (kubeconfig_load(&src, &kc, &kerr) != TFP_OK)
		fail_msg("kubeconfig: %s", kerr.message);
	o.kc = kc;
	o.transport = s ? scripted : NULL;
	o.transport_ud = s;
	o.stop = stop;
	o.request_timeout_ms = 5000;
	if (k8s_client_new(&o, &c, &err) != TFP_OK)
		fail_msg("client: %s", err.message);
	kubeconfig_free(kc);
	return c;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char tmpdir[256];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/k8sclient.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int rm_tmpdir(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void write_file(const char *path, const char *content, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int read_count(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

/* ---- paths and basic requests ------------------------------------------ */

static void test_k8s_paths(void **state)
{
	k8s_gvr cl = { "cluster.x-k8s.io", "v1beta2", "clusters", "Cluster",
		       true };
	char *p;
	char buf[64];

	(void)state;
	p = k8s_path(&cl, "ns 1", "a/b", "status");
	assert_string_equal(
		p,
		"/apis/cluster.x-k8s.io/v1beta2/namespaces/ns%201/clusters/a%2Fb/status");
	free(p);
	p = k8s_path(&k8s_gvr_secret, "default", "x", NULL);
	assert_string_equal(p, "/api/v1/namespaces/default/secrets/x");
	free(p);
	p = k8s_path(&k8s_gvr_namespace, "ignored", "team", NULL);
	assert_string_equal(p, "/api/v1/namespaces/team");
	free(p);
	p = k8s_path(&cl, NULL, NULL, NULL);
	assert_string_equal(p, "/apis/cluster.x-k8s.io/v1beta2/clusters");
	free(p);
	assert_string_equal(k8s_api_version(&cl, buf, sizeof(buf)),
			    "cluster.x-k8s.io/v1beta2");
	assert_string_equal(k8s_api_version(&k8s_gvr_secret, buf, sizeof(buf)),
			    "v1");
}

static void test_k8s_get_default_namespace_and_token(void **state)
{
	static const step steps[] = {
		{ 200, "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"}}" },
	};
	script s;
	k8s_client *c;
	json_t *o = NULL;
	tfp_error e;

	(void)state;
	script_init(&s, steps, 1);
	c = client_from(KC_TOKEN, &s, NULL);
	assert_string_equal(k8s_client_namespace(c), "team");
	assert_string_equal(k8s_client_server(c), "https://192.0.2.10:6443");
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", &o, &e),
			 TFP_OK);
	assert_string_equal(json_string_value(json_object_get(o, "kind")),
			    "Secret");
	assert_string_equal(s.recs[0].method, "GET");
	assert_string_equal(s.recs[0].path,
			    "/api/v1/namespaces/team/secrets/s");
	assert_string_equal(s.recs[0].auth, "Bearer tok-static");
	json_decref(o);
	k8s_client_free(c);
	script_done(&s);
}

static void test_k8s_status_error_text(void **state)
{
	static const step steps[] = {
		{ 422,
		  "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
		  "\"message\":\"KubeadmControlPlane.controlplane.cluster.x-k8s.io \\\"cp\\\" is invalid: spec.replicas: Forbidden: must be odd\","
		  "\"reason\":\"Invalid\",\"code\":422,\"details\":{\"name\":\"cp\",\"causes\":["
		  "{\"reason\":\"FieldValueForbidden\",\"message\":\"Forbidden: must be odd\",\"field\":\"spec.replicas\"},"
		  "{\"reason\":\"FieldValueRequired\",\"message\":\"Required value\",\"field\":\"spec.version\"}]}}" },
		{ 409,
		  "{\"kind\":\"Status\",\"message\":\"secrets \\\"s\\\" already exists\",\"reason\":\"AlreadyExists\",\"code\":409}" },
		{ 409,
		  "{\"kind\":\"Status\",\"message\":\"the object has been modified\",\"reason\":\"Conflict\",\"code\":409}" },
		{ 404,
		  "{\"kind\":\"Status\",\"message\":\"secrets \\\"s\\\" not found\",\"reason\":\"NotFound\",\"code\":404}" },
		{ 403,
		  "{\"kind\":\"Status\",\"message\":\"forbidden: User cannot get\",\"reason\":\"Forbidden\",\"code\":403}" },
		{ 502, "<html>Bad Gateway</html>\nmore" },
	};
	script s;
	k8s_client *c;
	tfp_error e;
	char text[2048];
	tf_diags d = TF_DIAGS_INIT;
	json_t *body = json_pack("{s:{s:s}}", "metadata", "name", "cp");
	k8s_gvr kcp = { "controlplane.cluster.x-k8s.io", "v1beta2",
			"kubeadmcontrolplanes", "KubeadmControlPlane", true };

	(void)state;
	script_init(&s, steps, 6);
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_create(c, &kcp, "default", body, 0, NULL, &e),
			 TFP_E_INVALID);
	assert_int_equal(e.http_status, 422);
	assert_string_equal(e.reason, "Invalid");
	assert_int_equal(e.ncauses, 2);
	assert_string_equal(e.causes[0].field, "spec.replicas");
	k8s_error_text(&e, text, sizeof(text));
	assert_non_null(strstr(text, "must be odd"));
	assert_non_null(strstr(text, "(reason Invalid, HTTP 422)"));
	assert_non_null(strstr(text, "spec.version: Required value"));
	assert_non_null(strstr(
		text,
		"Request: POST /apis/controlplane.cluster.x-k8s.io/v1beta2/namespaces/default/kubeadmcontrolplanes?fieldManager="));
	k8s_diag(&d, NULL, "Cannot create KubeadmControlPlane default/cp", &e);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].severity, TF_DIAG_ERROR);
	assert_non_null(strstr(d.items[0].detail, "spec.replicas"));
	tf_diags_done(&d);

	assert_int_equal(k8s_create(c, &k8s_gvr_secret, NULL, body, 0, NULL,
				    &e),
			 TFP_E_EXISTS);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_CONFLICT);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_NOTFOUND);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_FORBIDDEN);
	k8s_error_text(&e, text, sizeof(text));
	assert_non_null(strstr(text, "RBAC"));
	/* 502 is retried (the last step repeats) until the 1 s budget runs out. */
	s.repeat_last = true;
	k8s_retry_budget_set(1);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_UNAVAILABLE);
	k8s_retry_budget_set(0);
	assert_string_equal(e.message, "HTTP 502: <html>Bad Gateway</html>");
	assert_true(s.calls > 6);
	/* The create body got apiVersion and kind. */
	assert_non_null(strstr(
		s.recs[0].body,
		"\"apiVersion\":\"controlplane.cluster.x-k8s.io/v1beta2\""));
	assert_non_null(
		strstr(s.recs[0].body, "\"kind\":\"KubeadmControlPlane\""));
	assert_null(
		json_object_get(body, "kind")); /* caller's body untouched */
	json_decref(body);
	k8s_client_free(c);
	script_done(&s);
}

static void test_k8s_write_queries_and_content_types(void **state)
{
	static const step steps[] = {
		{ 201, "{}" }, { 200, "{}" }, { 200, "{}" }, { 200, "{}" },
		{ 200, "{}" }, { 202, "{}" }, { 200, "" },
	};
	script s;
	k8s_client *c;
	tfp_error e;
	json_t *obj = json_pack("{s:{s:s,s:s}}", "metadata", "name", "a",
				"resourceVersion", "7");
	json_t *norv = json_pack("{s:{s:s}}", "metadata", "name", "a");
	json_t *ops = json_pack("[{s:s,s:s,s:i}]", "op", "replace", "path",
				"/spec/replicas", "value", 3);
	json_t *out = NULL;

	(void)state;
	script_init(&s, steps, 7);
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_create(c, &k8s_gvr_secret, "x", obj, K8S_DRY_RUN,
				    NULL, &e),
			 TFP_OK);
	assert_string_equal(
		s.recs[0].path,
		"/api/v1/namespaces/x/secrets?fieldManager=terraform-lxdcapi&dryRun=All");
	assert_int_equal(k8s_replace(c, &k8s_gvr_secret, "x", "a", norv, 0,
				     NULL, &e),
			 TFP_E_INVALID);
	assert_int_equal(s.calls, 1); /* refused without a request */
	assert_int_equal(k8s_replace(c, &k8s_gvr_secret, "x", "a", obj, 0, NULL,
				     &e),
			 TFP_OK);
	assert_string_equal(s.recs[1].method, "PUT");
	assert_string_equal(s.recs[1].ctype, "application/json");
	assert_int_equal(k8s_merge_patch(c, &k8s_gvr_secret, "x", "a", norv, 0,
					 NULL, &e),
			 TFP_OK);
	assert_string_equal(s.recs[2].ctype, "application/merge-patch+json");
	assert_int_equal(k8s_json_patch(c, &k8s_gvr_secret, "x", "a", ops, 0,
					NULL, &e),
			 TFP_OK);
	assert_string_equal(s.recs[3].ctype, "application/json-patch+json");
	assert_int_equal(k8s_json_patch(c, &k8s_gvr_secret, "x", "a", norv, 0,
					NULL, &e),
			 TFP_E_INVALID);
	assert_int_equal(k8s_patch_status(c, &k8s_gvr_secret, "x", "a", norv,
					  NULL, &e),
			 TFP_OK);
	assert_string_equal(
		s.recs[4].path,
		"/api/v1/namespaces/x/secrets/a/status?fieldManager=terraform-lxdcapi");
	assert_int_equal(k8s_delete(c, &k8s_gvr_secret, "x", "a", "Foreground",
				    &e),
			 TFP_OK);
	assert_string_equal(
		s.recs[5].path,
		"/api/v1/namespaces/x/secrets/a?propagationPolicy=Foreground");
	assert_int_equal(k8s_delete(c, &k8s_gvr_secret, "x", "a", "Sideways",
				    &e),
			 TFP_E_INVALID);
	/* An empty 2xx body is JSON null. */
	assert_int_equal(k8s_get_status(c, &k8s_gvr_secret, "x", "a", &out, &e),
			 TFP_OK);
	assert_true(json_is_null(out));
	assert_string_equal(s.recs[6].path,
			    "/api/v1/namespaces/x/secrets/a/status");
	assert_int_equal(s.calls, 7);
	json_decref(out);
	json_decref(obj);
	json_decref(norv);
	json_decref(ops);
	k8s_client_free(c);
	script_done(&s);
}

static void test_k8s_list_pages(void **state)
{
	static const step steps[] = {
		{ 200,
		  "{\"items\":[{\"a\":1},{\"a\":2}],\"metadata\":{\"continue\":\"tok+/=\"}}" },
		{ 200,
		  "{\"items\":[{\"a\":3}],\"metadata\":{\"continue\":\"\"}}" },
	};
	script s;
	k8s_client *c;
	tfp_error e;
	json_t *items = NULL;

	(void)state;
	script_init(&s, steps, 2);
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_list(c, &k8s_gvr_secret, "ns", "a=b,c in (d,e)",
				  &items, &e),
			 TFP_OK);
	assert_int_equal(json_array_size(items), 3);
	assert_string_equal(
		s.recs[0].path,
		"/api/v1/namespaces/ns/secrets?limit=500&labelSelector=a%3Db%2Cc%20in%20%28d%2Ce%29");
	assert_string_equal(
		s.recs[1].path,
		"/api/v1/namespaces/ns/secrets?limit=500&labelSelector=a%3Db%2Cc%20in%20%28d%2Ce%29&continue=tok%2B%2F%3D");
	json_decref(items);
	k8s_client_free(c);
	script_done(&s);
}

/* ---- retries ------------------------------------------------------------ */

static void test_k8s_retry_after_429_503(void **state)
{
	static const step steps[] = {
		{ 429,
		  "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"code\":429}",
		  "1" },
		{ 503, "", "0" },
		{ 500,
		  "{\"kind\":\"Status\",\"message\":\"Internal error occurred: failed calling webhook \\\"x\\\"\"}",
		  "0" },
		{ 200, "{\"ok\":true}" },
	};
	static const step always[] = { { 429, "{}", "0" } };
	script s;
	k8s_client *c;
	tfp_error e;
	json_t *o = NULL;
	long long t0;

	(void)state;
	script_init(&s, steps, 4);
	c = client_from(KC_TOKEN, &s, NULL);
	t0 = mono_ms();
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", &o, &e),
			 TFP_OK);
	assert_true(mono_ms() - t0 >= 950); /* honoured Retry-After: 1 */
	assert_true(mono_ms() - t0 < 4000);
	assert_int_equal(s.calls, 4);
	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);
	k8s_client_free(c);
	script_done(&s);

	/* Bounded: 1 + K8S_MAX_RETRIES attempts, then the 429 is the error. */
	script_init(&s, always, 1);
	s.repeat_last = true;
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_UNAVAILABLE);
	assert_int_equal(e.http_status, 429);
	assert_int_equal(s.calls, 1 + K8S_MAX_RETRIES);
	k8s_client_free(c);
	script_done(&s);
}

static void test_k8s_retry_cancelled_by_stop(void **state)
{
	static const step steps[] = { { 429, "{}", "30" } };
	script s;
	k8s_client *c;
	tfp_error e;
	atomic_int stop = 0;
	long long t0;

	(void)state;
	script_init(&s, steps, 1);
	s.raise_stop = &stop; /* StopProvider arrives during the first call */
	c = client_from(KC_TOKEN, &s, &stop);
	t0 = mono_ms();
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_CANCELLED);
	assert_true(mono_ms() - t0 < 2000);
	assert_int_equal(s.calls, 1);
	k8s_client_free(c);
	script_done(&s);
}

static int add_label(json_t *obj, void *arg, tfp_error *err)
{
	int *calls = arg;
	json_t *md = json_object_get(obj, "metadata");

	(void)err;
	(*calls)++;
	if (json_object_get(json_object_get(md, "labels"), "done"))
		return K8S_UNCHANGED;
	json_object_set_new(md, "labels", json_pack("{s:s}", "team", "a"));
	return TFP_OK;
}

static void test_k8s_update_conflict_retry(void **state)
{
	static const step steps[] = {
		{ 200,
		  "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}" },
		{ 409,
		  "{\"kind\":\"Status\",\"reason\":\"Conflict\",\"code\":409}" },
		{ 200,
		  "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"2\"}}" },
		{ 200,
		  "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"3\",\"labels\":{\"team\":\"a\"}}}" },
	};
	static const step conflicts[] = {
		{ 200,
		  "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}" },
		{ 409,
		  "{\"kind\":\"Status\",\"reason\":\"Conflict\",\"code\":409}" },
	};
	static const step unchanged[] = {
		{ 200,
		  "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\",\"labels\":{\"done\":\"y\"}}}" },
	};
	script s;
	k8s_client *c;
	tfp_error e;
	json_t *out = NULL;
	int calls = 0;
	size_t i;

	(void)state;
	script_init(&s, steps, 4);
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_update(c, &k8s_gvr_secret, "ns", "a", add_label,
				    &calls, &out, &e),
			 TFP_OK);
	assert_int_equal(calls, 2);
	assert_int_equal(s.calls, 4);
	assert_non_null(strstr(s.recs[1].body, "\"resourceVersion\":\"1\""));
	assert_non_null(strstr(s.recs[3].body, "\"resourceVersion\":\"2\""));
	assert_string_equal(s.recs[3].method, "PUT");
	assert_string_equal(json_string_value(
				    json_object_get(json_object_get(out,
								    "metadata"),
						    "resourceVersion")),
			    "3");
	json_decref(out);
	k8s_client_free(c);
	script_done(&s);

	/* Always conflicting: bounded attempts, conflict reported. Alternate
	 * GET/PUT replies by repeating the two-step script. */
	{
		step many[2 * (K8S_MAX_CONFLICT_RETRIES + 1)];

		for (i = 0; i < NELEM(many); i++)
			many[i] = conflicts[i % 2];
		script_init(&s, many, NELEM(many));
		c = client_from(KC_TOKEN, &s, NULL);
		calls = 0;
		assert_int_equal(k8s_update(c, &k8s_gvr_secret, "ns", "a",
					    add_label, &calls, NULL, &e),
				 TFP_E_CONFLICT);
		assert_int_equal(calls, K8S_MAX_CONFLICT_RETRIES + 1);
		assert_int_equal(s.calls, NELEM(many));
		k8s_client_free(c);
		script_done(&s);
	}

	script_init(&s, unchanged, 1);
	c = client_from(KC_TOKEN, &s, NULL);
	calls = 0;
	assert_int_equal(k8s_update(c, &k8s_gvr_secret, "ns", "a", add_label,
				    &calls, &out, &e),
			 TFP_OK);
	assert_int_equal(s.calls, 1); /* no PUT */
	assert_non_null(out);
	json_decref(out);
	k8s_client_free(c);
	script_done(&s);
}

static void test_k8s_transport_failures(void **state)
{
	static const step down[] = { { 0, NULL, NULL, HTTP_E_NOT_SENT } };
	static const step steps[] = { { 200, "not json" } };
	script s;
	k8s_client *c;
	tfp_error e;

	(void)state;
	/* Connection refused every time: retried within the budget, then the
	 * error names the server. */
	script_init(&s, down, 1);
	s.repeat_last = true;
	c = client_from(KC_TOKEN, &s, NULL);
	k8s_retry_budget_set(1);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_UNAVAILABLE);
	k8s_retry_budget_set(0);
	assert_non_null(strstr(e.message, "https://192.0.2.10:6443"));
	/* A transport failure keeps the request it concerns. */
	assert_string_equal(e.request, "GET /api/v1/namespaces/team/secrets/s");
	assert_true(s.calls >= 2);
	k8s_client_free(c);
	script_done(&s);

	script_init(&s, steps, 1);
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_PROTOCOL);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "", NULL, &e),
			 TFP_E_INVALID);
	k8s_client_free(c);
	script_done(&s);
}

/* ---- transient failures, creates, unresponsive server ---------------- */

/* The delay the client's retry policy gives a failed attempt of an
 * idempotent request (-1: not retried): an answer with `status` (a
 * Retry-After of `ra` seconds, -1 for none), or a transport failure of
 * class `cls` (status 0), at retry `attempt` with `left` ms of budget. The
 * policy is the HTTP layer's, with the settings the client gave it. */
static long delay_of(const k8s_client *c, int cls, int status, const char *body,
		     long ra, int attempt, long long left, uint64_t rnd)
{
	http_policy_cfg cfg = c->http->policy;
	http_response resp = { .status = status,
			       .body = (char *)body,
			       .body_len = body ? strlen(body) : 0 };
	http_request req = { .method = "GET", .path = "/api" };
	http_failure f;

	if (status) {
		if (status >= 200 && status < 300)
			return -1;
		switch (k8s__classify(NULL, &req, &resp)) {
		case HTTP_ANSWER_REJECTED: f = HTTP_F_REJECTED; break;
		case HTTP_ANSWER_TRANSIENT: f = HTTP_F_TRANSIENT; break;
		default: f = HTTP_F_FINAL; break;
		}
	} else {
		f = cls == HTTP_E_NOT_SENT  ? HTTP_F_NOT_SENT :
		    cls == HTTP_E_NO_ANSWER ? HTTP_F_NO_ANSWER :
		    cls == HTTP_E_TIMEOUT   ? HTTP_F_TIMEOUT :
					      HTTP_F_FINAL;
	}
	if (http_policy_action(HTTP_METHOD_IDEMPOTENT, f) != HTTP_ACT_RETRY)
		return -1;
	cfg.budget_ms = (long)left;
	return http_policy_delay(&cfg, (unsigned)attempt, 0,
				 ra >= 0 ? ra * 1000 : -1, rnd);
}

/* The policy alone: what is retried, the capped exponential backoff with
 * its jitter bounds, Retry-After, the attempt limit and the budget. */
static void test_k8s_retry_policy(void **state)
{
	static const int retried[] = { 429, 502, 503, 504 };
	static const int final[] = {
		400, 401, 403, 404, 409, 410, 422, 500, 501
	};
	k8s_client *c = client_from(KC_TOKEN, NULL, NULL);
	long d;
	size_t i;
	int a;

	(void)state;
	for (i = 0; i < NELEM(retried); i++)
		assert_true(delay_of(c, 0, retried[i], NULL, -1, 0, 60000, 7) >=
			    0);
	for (i = 0; i < NELEM(final); i++)
		assert_int_equal(delay_of(c, 0, final[i], NULL, -1, 0, 60000,
					  7),
				 -1);
	/* A webhook not up yet. */
	assert_true(delay_of(c, 0, 500,
			     "{\"message\":\"Internal error occurred: "
			     "failed calling webhook \\\"x\\\"\"}",
			     -1, 0, 60000, 7) >= 0);
	/* Transport: refused and reset yes; a timeout, a TLS failure or an
	 * answer that is not HTTP no. */
	assert_true(delay_of(c, HTTP_E_NOT_SENT, 0, NULL, -1, 0, 60000, 7) >=
		    0);
	assert_true(delay_of(c, HTTP_E_NO_ANSWER, 0, NULL, -1, 0, 60000, 7) >=
		    0);
	assert_int_equal(delay_of(c, HTTP_E_TIMEOUT, 0, NULL, -1, 0, 60000, 7),
			 -1);
	assert_int_equal(delay_of(c, HTTP_E_TLS, 0, NULL, -1, 0, 60000, 7), -1);
	assert_int_equal(delay_of(c, HTTP_E_PROTOCOL, 0, NULL, -1, 0, 60000, 7),
			 -1);
	/* Backoff: base * 2^attempt, capped, of which up to half is jitter. */
	for (a = 0; a < K8S_MAX_RETRIES; a++) {
		long full = K8S_RETRY_BASE_MS << a;

		if (full > K8S_RETRY_CAP_MS)
			full = K8S_RETRY_CAP_MS;
		assert_int_equal(delay_of(c, HTTP_E_NOT_SENT, 0, NULL, -1, a,
					  600000, 0),
				 full / 2);
		assert_int_equal(delay_of(c, HTTP_E_NOT_SENT, 0, NULL, -1, a,
					  600000, (uint64_t)(full / 2)),
				 full);
		for (unsigned r = 1; r < 2000; r += 97) {
			d = delay_of(c, HTTP_E_NOT_SENT, 0, NULL, -1, a, 600000,
				     r * 2654435761u);
			assert_true(d >= full / 2 && d <= full);
		}
	}
	assert_int_equal(delay_of(c, HTTP_E_NOT_SENT, 0, NULL, -1,
				  K8S_MAX_RETRIES, 600000, 0),
			 -1);
	/* Retry-After wins, capped; never past the budget. */
	assert_int_equal(delay_of(c, 0, 429, NULL, 3, 0, 60000, 12345), 3000);
	assert_int_equal(delay_of(c, 0, 503, NULL, 100, 0, 60000, 1),
			 K8S_MAX_RETRY_AFTER_S * 1000L);
	assert_int_equal(delay_of(c, 0, 429, NULL, 3, 0, 2999, 1), -1);
	assert_int_equal(delay_of(c, HTTP_E_NOT_SENT, 0, NULL, -1, 3, 100, 0),
			 -1);
	assert_int_equal(delay_of(c, HTTP_E_NOT_SENT, 0, NULL, -1, 0, 0, 0),
			 -1);
	k8s_client_free(c);
}

static const char *SECRET_PATH = "/api/v1/namespaces/team/secrets/s";

/* Refused, reset, then an answer: the request succeeds. */
static void test_k8s_retry_transient_then_ok(void **state)
{
	static const step steps[] = {
		{ 0, NULL, NULL, HTTP_E_NOT_SENT },
		{ 503, "" },
		{ 504, "" },
		{ 200, "{\"ok\":true}" },
	};
	script s;
	k8s_client *c;
	tfp_error e;

	(void)state;
	script_init(&s, steps, NELEM(steps));
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_OK);
	assert_int_equal(s.calls, 4);
	k8s_client_free(c);
	script_done(&s);
}

static json_t *secret_body(const char *create_id)
{
	json_t *b = json_pack("{s:{s:s}, s:{s:s}}", "metadata", "name", "s",
			      "data", "k", "dg==");

	if (create_id)
		json_object_set_new(json_object_get(b, "metadata"),
				    "annotations",
				    json_pack("{s:s}", K8S_ANN_CREATE_ID,
					      create_id));
	return b;
}

#define LIVE_S(id)                                                             \
	"{\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\",\"uid\":\"u1\","    \
	"\"annotations\":{\"" K8S_ANN_CREATE_ID "\":\"" id "\"}}}"

/* A create whose answer is lost is retried only after a GET shows the
 * object absent; the POST is sent again. */
static void test_k8s_create_verified_before_retry(void **state)
{
	static const step steps[] = {
		{ 0, NULL, NULL,
		  HTTP_E_NO_ANSWER }, /* POST: connection reset */
		{ 404,
		  "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"code\":404}" },
		{ 201, LIVE_S("op-1") }, /* POST again */
	};
	script s;
	k8s_client *c;
	tfp_error e;
	json_t *body = secret_body("op-1"), *out = NULL;

	(void)state;
	script_init(&s, steps, NELEM(steps));
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_create(c, &k8s_gvr_secret, NULL, body, 0, &out,
				    &e),
			 TFP_OK);
	assert_int_equal(s.calls, 3);
	assert_string_equal(s.recs[0].method, "POST");
	assert_string_equal(s.recs[1].method, "GET");
	assert_string_equal(s.recs[1].path, SECRET_PATH);
	assert_string_equal(s.recs[2].method, "POST");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(out, "metadata"), "uid")),
			    "u1");
	json_decref(out);
	json_decref(body);
	k8s_client_free(c);
	script_done(&s);
}

/* The first attempt landed (502 after the server stored it): the GET finds
 * the object with our create id, no second POST. */
static void test_k8s_create_first_attempt_landed(void **state)
{
	static const step steps[] = {
		{ 502, "<html>Bad Gateway</html>" },
		{ 200, LIVE_S("op-2") },
	};
	script s;
	k8s_client *c;
	tfp_error e;
	json_t *body = secret_body("op-2"), *out = NULL;

	(void)state;
	script_init(&s, steps, NELEM(steps));
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_create(c, &k8s_gvr_secret, NULL, body, 0, &out,
				    &e),
			 TFP_OK);
	assert_int_equal(s.calls, 2);
	assert_non_null(out);
	json_decref(out);
	json_decref(body);
	k8s_client_free(c);
	script_done(&s);
}

/* Something else holds the name (another create id, or none): never
 * adopted, TFP_E_EXISTS. Also when a retried POST meets a 409 and the
 * GET shows a foreign object; a 409 on a retry whose object is ours
 * succeeds. */
static void test_k8s_create_never_adopts_foreign(void **state)
{
	static const step foreign[] = {
		{ 0, NULL, NULL, HTTP_E_NO_ANSWER },
		{ 200, LIVE_S("someone-else") },
	};
	static const step nomarker[] = {
		{ 0, NULL, NULL, HTTP_E_NO_ANSWER },
		{ 200, "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"}}" },
	};
	static const step race_ours[] = {
		{ 503, "" },
		{ 404,
		  "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"code\":404}" },
		{ 409,
		  "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\",\"code\":409}" },
		{ 200, LIVE_S("op-3") },
	};
	static const step race_foreign[] = {
		{ 503, "" },
		{ 404,
		  "{\"kind\":\"Status\",\"reason\":\"NotFound\",\"code\":404}" },
		{ 409,
		  "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\",\"code\":409}" },
		{ 200, LIVE_S("other") },
	};
	script s;
	k8s_client *c;
	tfp_error e;
	json_t *body = secret_body("op-3"), *plain = secret_body(NULL);

	(void)state;
	script_init(&s, foreign, NELEM(foreign));
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_create(c, &k8s_gvr_secret, NULL, body, 0, NULL,
				    &e),
			 TFP_E_EXISTS);
	assert_non_null(strstr(e.message, "not created by this request"));
	assert_int_equal(s.calls, 2);
	k8s_client_free(c);
	script_done(&s);

	/* Without a create id nothing can be recognised as ours. */
	script_init(&s, nomarker, NELEM(nomarker));
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_create(c, &k8s_gvr_secret, NULL, plain, 0, NULL,
				    &e),
			 TFP_E_EXISTS);
	k8s_client_free(c);
	script_done(&s);

	script_init(&s, race_ours, NELEM(race_ours));
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_create(c, &k8s_gvr_secret, NULL, body, 0, NULL,
				    &e),
			 TFP_OK);
	assert_int_equal(s.calls, 4);
	k8s_client_free(c);
	script_done(&s);

	script_init(&s, race_foreign, NELEM(race_foreign));
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_create(c, &k8s_gvr_secret, NULL, body, 0, NULL,
				    &e),
			 TFP_E_EXISTS);
	k8s_client_free(c);
	script_done(&s);

	/* A 409 on the FIRST attempt is a plain AlreadyExists: no GET. */
	{
		static const step first[] = {
			{ 409,
			  "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\",\"code\":409}" },
		};
		script_init(&s, first, 1);
		c = client_from(KC_TOKEN, &s, NULL);
		assert_int_equal(k8s_create(c, &k8s_gvr_secret, NULL, body, 0,
					    NULL, &e),
				 TFP_E_EXISTS);
		assert_int_equal(s.calls, 1);
		k8s_client_free(c);
		script_done(&s);
	}
	json_decref(body);
	json_decref(plain);
}

/* 429: the server refused before acting, so the POST is repeated without
 * a GET. */
static void test_k8s_create_429_no_check(void **state)
{
	static const step steps[] = {
		{ 429, "{}", "0" },
		{ 201, LIVE_S("op-4") },
	};
	script s;
	k8s_client *c;
	tfp_error e;
	json_t *body = secret_body("op-4");

	(void)state;
	script_init(&s, steps, NELEM(steps));
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_create(c, &k8s_gvr_secret, NULL, body, 0, NULL,
				    &e),
			 TFP_OK);
	assert_int_equal(s.calls, 2);
	assert_string_equal(s.recs[1].method, "POST");
	json_decref(body);
	k8s_client_free(c);
	script_done(&s);
}

/* A request that times out marks the server unresponsive: the next ones
 * fail at once with the same error, without being sent. */
static void test_k8s_unresponsive_fails_fast(void **state)
{
	static const step steps[] = {
		{ 200, "{}" },
		{ 0, NULL, NULL, HTTP_E_TIMEOUT },
	};
	script s;
	k8s_client *c;
	tfp_error e, e2;
	json_t *body = secret_body("op-5");
	long long t0;

	(void)state;
	script_init(&s, steps, NELEM(steps));
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_OK);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_TIMEOUT);
	assert_non_null(strstr(e.message, "stopped answering"));
	assert_non_null(strstr(e.message, "https://192.0.2.10:6443"));
	assert_int_equal(s.calls, 2);
	t0 = mono_ms();
	assert_int_equal(k8s_get(c, &k8s_gvr_namespace, NULL, "x", NULL, &e2),
			 TFP_E_TIMEOUT);
	assert_string_equal(e2.message, e.message);
	assert_int_equal(k8s_create(c, &k8s_gvr_secret, NULL, body, 0, NULL,
				    &e2),
			 TFP_E_TIMEOUT);
	assert_string_equal(e2.message, e.message);
	assert_true(mono_ms() - t0 < 100);
	assert_int_equal(s.calls, 2); /* nothing more was sent */
	json_decref(body);
	k8s_client_free(c);
	script_done(&s);
}

/* ---- credentials -------------------------------------------------------- */

static void test_k8s_token_file_reread_on_401(void **state)
{
	static const step steps[] = {
		{ 200, "{}" },
		{ 401,
		  "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"code\":401}" },
		{ 200, "{}" },
		{ 401,
		  "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"code\":401}" },
		{ 401,
		  "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"code\":401}" },
	};
	char path[400], yaml[1024], text[1024];
	script s;
	k8s_client *c;
	tfp_error e;

	(void)state;
	snprintf(path, sizeof(path), "%s/token", tmpdir);
	write_file(path, "tok-one\n", 0600);
	snprintf(yaml, sizeof(yaml),
		 "current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://192.0.2.1\n"
		 "users:\n- name: u\n  user:\n    tokenFile: %s\n"
		 "contexts:\n- name: c\n  context: {cluster: k, user: u}\n",
		 path);
	script_init(&s, steps, 5);
	c = client_from(yaml, &s, NULL);
	assert_string_equal(k8s_client_namespace(c), "default");
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_OK);
	assert_string_equal(s.recs[0].auth, "Bearer tok-one");
	write_file(path, "tok-two", 0600); /* rotated; cached until a 401 */
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_OK);
	assert_string_equal(s.recs[1].auth, "Bearer tok-one");
	assert_string_equal(s.recs[2].auth, "Bearer tok-two");
	/* A second 401 after the refresh is final, and names what to check. */
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_UNAUTHORIZED);
	assert_int_equal(s.calls, 5);
	k8s_error_text(&e, text, sizeof(text));
	assert_non_null(strstr(text, "credentials"));
	assert_null(strstr(text, "tok-two"));
	/* A token that would inject a header is refused before any request. */
	write_file(path, "tok\r\nX-Evil: 1\n", 0600);
	k8s_client_free(c);
	script_done(&s);
	script_init(&s, steps, 5);
	c = client_from(yaml, &s, NULL);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_CREDENTIALS);
	assert_non_null(strstr(e.message, "control characters"));
	assert_null(strstr(e.message, "Evil"));
	assert_int_equal(s.calls, 0);
	k8s_client_free(c);
	script_done(&s);
}

/* A plugin that counts its runs in COUNT and answers with token tok-<n>;
 * EXPIRY sets the expirationTimestamp; it saves KUBERNETES_EXEC_INFO. */
static void write_plugin(const char *dir)
{
	char path[400], body[2400];

	snprintf(path, sizeof(path), "%s/plugin.sh", dir);
	snprintf(
		body, sizeof(body),
		"#!/bin/sh\n"
		"n=$(cat '%s/count' 2>/dev/null || echo 0)\n"
		"n=$((n + 1))\n"
		"echo $n > '%s/count'\n"
		"printf '%%s' \"$KUBERNETES_EXEC_INFO\" > '%s/info'\n"
		"echo \"$MY_VAR\" > '%s/env'\n"
		"if [ \"$1\" = fail ]; then echo 'login required: run sso-login' >&2; exit 3; fi\n"
		"if [ \"$1\" = hang ]; then exec sleep 30; fi\n"
		"if [ \"$1\" = detach ]; then exec >/dev/null 2>&1; exec sleep 30; fi\n"
		"if [ \"$1\" = junk ]; then echo 'not json with secret-stuff'; exit 0; fi\n"
		"exp=\"\"\n"
		"if [ -n \"$EXPIRY\" ]; then exp=\",\\\"expirationTimestamp\\\":\\\"$EXPIRY\\\"\"; fi\n"
		"printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-%%s\"%%s}}\\n' \"$n\" \"$exp\"\n",
		dir, dir, dir, dir);
	write_file(path, body, 0700);
}

static char *exec_yaml(const char *arg, const char *expiry)
{
	char *y;

	assert_true(
		asprintf(
			&y,
			"current-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://192.0.2.1:6443\n"
			"    certificate-authority-data: %s\n"
			"users:\n- name: u\n  user:\n    exec:\n"
			"      apiVersion: client.authentication.k8s.io/v1\n"
			"      command: %s/plugin.sh\n      args: [\"%s\"]\n"
			"      env:\n      - name: MY_VAR\n        value: hello\n"
			"      - name: EXPIRY\n        value: \"%s\"\n"
			"      interactiveMode: Never\n      provideClusterInfo: true\n"
			"      installHint: install the sso plugin\n"
			"contexts:\n- name: c\n  context: {cluster: k, user: u}\n",
			"Q0EtREFUQQ==", tmpdir, arg, expiry) > 0);
	return y;
}

static void test_k8s_exec_plugin_cache_and_401(void **state)
{
	static const step steps[] = {
		{ 200, "{}" },
		{ 200, "{}" },
		{ 401,
		  "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"code\":401}" },
		{ 200, "{}" },
	};
	char count[400], info[400], env[400];
	char *yaml, *buf = NULL;
	size_t len;
	script s;
	k8s_client *c;
	tfp_error e;
	json_t *j;
	json_error_t je;

	(void)state;
	snprintf(count, sizeof(count), "%s/count", tmpdir);
	snprintf(info, sizeof(info), "%s/info", tmpdir);
	snprintf(env, sizeof(env), "%s/env", tmpdir);
	unlink(count);
	write_plugin(tmpdir);
	yaml = exec_yaml("ok", "2999-01-01T00:00:00Z");
	script_init(&s, steps, 4);
	c = client_from(yaml, &s, NULL);
	assert_int_equal(read_count(count), 0); /* nothing runs at setup */
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_OK);
	assert_int_equal(read_count(count), 1);
	assert_string_equal(s.recs[0].auth, "Bearer tok-1");
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_OK);
	assert_int_equal(read_count(count), 1); /* cached until expiry */
	assert_string_equal(s.recs[1].auth, "Bearer tok-1");
	/* A 401 runs the plugin again, once, and retries with the new token. */
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_OK);
	assert_int_equal(read_count(count), 2);
	assert_string_equal(s.recs[3].auth, "Bearer tok-2");
	/* The ExecCredential input: v1, not interactive, cluster info. */
	assert_int_equal(util_read_file(info, 65536, &buf, &len), 0);
	j = json_loadb(buf, len, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")),
			    "ExecCredential");
	assert_string_equal(json_string_value(json_object_get(j, "apiVersion")),
			    "client.authentication.k8s.io/v1");
	assert_true(json_is_false(
		json_object_get(json_object_get(j, "spec"), "interactive")));
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(j, "spec"),
						    "cluster"),
				    "server")),
			    "https://192.0.2.1:6443");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(j, "spec"),
						    "cluster"),
				    "certificate-authority-data")),
			    "Q0EtREFUQQ==");
	json_decref(j);
	free(buf);
	assert_int_equal(util_read_file(env, 64, &buf, &len), 0);
	assert_string_equal(buf, "hello\n");
	free(buf);
	k8s_client_free(c);
	script_done(&s);
	free(yaml);
}

static void test_k8s_exec_plugin_expiry(void **state)
{
	static const step steps[] = { { 200, "{}" }, { 200, "{}" } };
	char count[400];
	char *yaml;
	script s;
	k8s_client *c;
	tfp_error e;

	(void)state;
	snprintf(count, sizeof(count), "%s/count", tmpdir);
	unlink(count);
	write_plugin(tmpdir);
	/* Already expired: every request runs the plugin. */
	yaml = exec_yaml("ok", "2001-01-01T00:00:00.5+01:00");
	script_init(&s, steps, 2);
	c = client_from(yaml, &s, NULL);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_OK);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_OK);
	assert_int_equal(read_count(count), 2);
	assert_string_equal(s.recs[1].auth, "Bearer tok-2");
	k8s_client_free(c);
	script_done(&s);
	free(yaml);
}

static void test_k8s_exec_plugin_failures(void **state)
{
	static const step none[] = { { 200, "{}" } };
	char *yaml;
	script s;
	k8s_client *c;
	tfp_error e;
	atomic_int stop = 0;
	long long t0;

	(void)state;
	write_plugin(tmpdir);
	yaml = exec_yaml("fail", "");
	script_init(&s, none, 1);
	c = client_from(yaml, &s, NULL);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_CREDENTIALS);
	assert_non_null(strstr(e.message, "exit status 3"));
	assert_non_null(strstr(e.message, "login required: run sso-login"));
	assert_non_null(strstr(e.message, "user \"u\""));
	assert_int_equal(s.calls, 0);
	k8s_client_free(c);
	free(yaml);

	/* Output is not an ExecCredential: the output is not quoted. */
	yaml = exec_yaml("junk", "");
	c = client_from(yaml, &s, NULL);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_CREDENTIALS);
	assert_null(strstr(e.message, "secret-stuff"));
	assert_non_null(strstr(e.message, "ExecCredential"));
	k8s_client_free(c);
	free(yaml);

	/* Missing command: the install hint is shown. */
	assert_true(
		asprintf(
			&yaml,
			"current-context: c\nclusters:\n- name: k\n  cluster: {server: https://192.0.2.1}\n"
			"users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
			"      command: no-such-plugin-k8s-test\n      installHint: apt install the-plugin\n"
			"contexts:\n- name: c\n  context: {cluster: k, user: u}\n") >
		0);
	c = client_from(yaml, &s, NULL);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL, &e),
			 TFP_E_CREDENTIALS);
	assert_non_null(strstr(e.message, "apt install the-plugin"));
	k8s_client_free(c);
	free(yaml);

	/* A hanging plugin is killed when StopProvider arrives. */
	yaml = exec_yaml("hang", "");
	c = client_from(yaml, &s, &stop);
	t0 = mono_ms();
	{
		pthread_t th;
		struct raise_arg a = { &stop, 300 };

		assert_int_equal(pthread_create(&th, NULL, raise_later, &a), 0);
		assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL,
					 &e),
				 TFP_E_CANCELLED);
		pthread_join(th, NULL);
	}
	assert_true(mono_ms() - t0 < 5000);
	k8s_client_free(c);
	free(yaml);

	/* Output closed but still running: the wait for its exit is bounded
	 * too. */
	atomic_store(&stop, 0);
	yaml = exec_yaml("detach", "");
	c = client_from(yaml, &s, &stop);
	t0 = mono_ms();
	{
		pthread_t th;
		struct raise_arg a = { &stop, 300 };

		assert_int_equal(pthread_create(&th, NULL, raise_later, &a), 0);
		assert_int_equal(k8s_get(c, &k8s_gvr_secret, NULL, "s", NULL,
					 &e),
				 TFP_E_CANCELLED);
		pthread_join(th, NULL);
	}
	assert_true(mono_ms() - t0 < 5000);
	k8s_client_free(c);
	free(yaml);
	assert_int_equal(s.calls, 0);
	script_done(&s);
}

/* Many threads share one client whose exec credential is cached: the
 * plugin runs once. */
struct conc {
	k8s_client *c;
	int ok;
};

static void *conc_main(void *p)
{
	struct conc *x = p;
	tfp_error e;
	int i;

	for (i = 0; i < 10; i++)
		if (k8s_get(x->c, &k8s_gvr_secret, NULL, "s", NULL, &e) ==
		    TFP_OK)
			x->ok++;
	return NULL;
}

static void test_k8s_concurrent_requests(void **state)
{
	static const step steps[] = { { 200, "{}" } };
	char count[400];
	char *yaml;
	script s;
	struct conc cs[4];
	pthread_t th[4];
	size_t i;

	(void)state;
	snprintf(count, sizeof(count), "%s/count", tmpdir);
	unlink(count);
	write_plugin(tmpdir);
	yaml = exec_yaml("ok", "");
	script_init(&s, steps, 1);
	s.repeat_last = true;
	cs[0].c = client_from(yaml, &s, NULL);
	for (i = 0; i < 4; i++) {
		cs[i].c = cs[0].c;
		cs[i].ok = 0;
		assert_int_equal(pthread_create(&th[i], NULL, conc_main,
						&cs[i]),
				 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(cs[i].ok, 10);
	}
	assert_int_equal(read_count(count), 1);
	assert_int_equal(s.calls, 40);
	k8s_client_free(cs[0].c);
	script_done(&s);
	free(yaml);
}

/* ---- discovery ---------------------------------------------------------- */

#define GROUP(n, pref, vs)                                                     \
	"{\"name\":\"" n "\",\"versions\":[" vs                                \
	"],\"preferredVersion\":{\"version\":\"" pref "\"}}"
#define V(v) "{\"groupVersion\":\"x/" v "\",\"version\":\"" v "\"}"
#define RES(plural, kind)                                                      \
	"{\"name\":\"" plural "\",\"kind\":\"" kind "\",\"namespaced\":true}"
#define RESLIST(...)                                                           \
	"{\"kind\":\"APIResourceList\",\"resources\":[" __VA_ARGS__ "]}"

static void test_k8s_discovery_capi(void **state)
{
	static const step steps[] = {
		{ 200,
		  "{\"kind\":\"APIGroupList\",\"groups\":[" GROUP("cluster.x-k8s.io", "v1beta2", V("v1beta2") "," V("v1beta1")) "," GROUP(
			  "controlplane.cluster.x-k8s.io", "v1beta2",
			  V("v1beta2")) "," GROUP("bootstrap.cluster.x-k8s.io",
						  "v1beta2",
						  V("v1beta2")) "," GROUP("infrastructure.cluster.x-k8s.io",
									  "v1alpha2",
									  V("v1alpha2")) "]}" },
		{ 200,
		  RESLIST(RES("clusters", "Cluster") "," RES("clusters/status", "Cluster") "," RES(
			  "machinedeployments",
			  "MachineDeployment") "," RES("machinesets",
						       "MachineSet") "," RES("machines",
									     "Machine")) },
		{ 200,
		  RESLIST(RES("kubeadmcontrolplanes", "KubeadmControlPlane")) },
		{ 200,
		  RESLIST(RES(
			  "kubeadmconfigtemplates",
			  "KubeadmConfigTemplate") "," RES("kubeadmconfigs",
							   "KubeadmConfig")) },
		{ 200, RESLIST(RES("lxcclusters", "LXCCluster") "," RES(
			       "lxcmachinetemplates",
			       "LXCMachineTemplate") "," RES("lxcmachines",
							     "LXCMachine")) },
	};
	script s;
	k8s_client *c;
	tfp_error e;
	const k8s_capi *capi = NULL, *again = NULL;
	json_t *vs = NULL;
	k8s_gvr g;
	static const char *const old[] = { "v1beta1", NULL };

	(void)state;
	script_init(&s, steps, 5);
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_capi_discover(c, &capi, &e), TFP_OK);
	assert_string_equal(capi->capi_version, "v1beta2");
	assert_string_equal(capi->cluster.resource, "clusters");
	assert_string_equal(capi->cluster.group, "cluster.x-k8s.io");
	assert_true(capi->cluster.namespaced);
	assert_string_equal(capi->kubeadm_control_plane.resource,
			    "kubeadmcontrolplanes");
	assert_string_equal(capi->kubeadm_config_template.version, "v1beta2");
	assert_string_equal(capi->lxc_machine_template.resource,
			    "lxcmachinetemplates");
	assert_string_equal(capi->lxc_machine_template.version, "v1alpha2");
	assert_int_equal(s.calls, 5);
	/* Cached: no more requests. */
	assert_int_equal(k8s_capi_discover(c, &again, &e), TFP_OK);
	assert_ptr_equal(capi, again);
	assert_int_equal(k8s_group_versions(c, "cluster.x-k8s.io", &vs, &e),
			 TFP_OK);
	assert_int_equal(json_array_size(vs), 2);
	assert_string_equal(json_string_value(json_array_get(vs, 0)),
			    "v1beta2");
	json_decref(vs);
	assert_int_equal(s.calls, 5);
	/* v1beta1 is listed but its resource list was never fetched. */
	{
		static step more[6];

		memcpy(more, steps, sizeof(steps));
		more[5] = (step){ 404, "{}" };
		s.steps = more;
		s.n = 6;
	}
	assert_int_equal(k8s_resolve(c, "cluster.x-k8s.io", "Cluster", old, &g,
				     &e),
			 TFP_E_NOTSERVED);
	assert_int_equal(s.calls, 6);
	assert_string_equal(s.recs[5].path, "/apis/cluster.x-k8s.io/v1beta1");
	assert_int_equal(k8s_resolve(c, "nope.example.com", "Thing", NULL, &g,
				     &e),
			 TFP_E_NOTSERVED);
	assert_int_equal(k8s_resolve(c, "cluster.x-k8s.io", "Machine", NULL, &g,
				     &e),
			 TFP_OK);
	assert_string_equal(g.resource, "machines");
	assert_int_equal(s.calls, 6);
	k8s_client_free(c);
	script_done(&s);
}

static void test_k8s_discovery_not_installed(void **state)
{
	static const step no_capi[] = {
		{ 200, "{\"kind\":\"APIGroupList\",\"groups\":[" GROUP(
			       "apps", "v1", V("v1")) "]}" },
	};
	static const step no_capn[] = {
		{ 200,
		  "{\"kind\":\"APIGroupList\",\"groups\":[" GROUP(
			  "cluster.x-k8s.io", "v1beta1",
			  V("v1beta1")) "," GROUP("controlplane.cluster.x-k8s.io",
						  "v1beta1",
						  V("v1beta1")) "," GROUP("bootstrap.cluster.x-k8s.io",
									  "v1beta1",
									  V("v1beta1")) "]}" },
		{ 200,
		  RESLIST(RES("clusters", "Cluster") "," RES(
			  "machinedeployments",
			  "MachineDeployment") "," RES("machinesets",
						       "MachineSet") "," RES("machines",
									     "Machine")) },
		{ 200,
		  RESLIST(RES("kubeadmcontrolplanes", "KubeadmControlPlane")) },
		{ 200,
		  RESLIST(RES(
			  "kubeadmconfigtemplates",
			  "KubeadmConfigTemplate") "," RES("kubeadmconfigs",
							   "KubeadmConfig")) },
	};
	static const step not_k8s[] = { { 200, "{\"hello\":1}" } };
	script s;
	k8s_client *c;
	tfp_error e;
	const k8s_capi *capi = NULL;
	char text[2048];

	(void)state;
	script_init(&s, no_capi, 1);
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_capi_discover(c, &capi, &e), TFP_E_NOTSERVED);
	k8s_error_text(&e, text, sizeof(text));
	assert_non_null(strstr(text, "https://192.0.2.10:6443"));
	assert_non_null(strstr(text, "does not serve cluster.x-k8s.io"));
	assert_non_null(strstr(text, "clusterctl init"));
	assert_non_null(strstr(text, "context \"c\""));
	k8s_client_free(c);
	script_done(&s);

	/* v1beta1-only CAPI (fallback) but no CAPN. */
	script_init(&s, no_capn, 4);
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_capi_discover(c, &capi, &e), TFP_E_NOTSERVED);
	assert_string_equal(
		e.message,
		"the management cluster at https://192.0.2.10:6443 does not "
		"serve the CAPN kinds (LXCCluster, LXCMachineTemplate) in "
		"infrastructure.cluster.x-k8s.io/v1alpha2: install the CAPN "
		"infrastructure provider, lxc/cluster-api-provider-incus v0.7 "
		"or later (`clusterctl init --infrastructure incus`)");
	k8s_client_free(c);
	script_done(&s);

	script_init(&s, not_k8s, 1);
	c = client_from(KC_TOKEN, &s, NULL);
	assert_int_equal(k8s_capi_discover(c, &capi, &e), TFP_E_PROTOCOL);
	assert_non_null(strstr(e.message, "APIGroupList"));
	k8s_client_free(c);
	script_done(&s);
}

/* ---- libcurl against a loopback HTTP server ------------------------------ */

typedef struct httpd {
	int lfd;
	int port;
	char req[2][4096];
} httpd;

static void *httpd_main(void *arg)
{
	httpd *h = arg;
	static const char *replies[2] = {
		"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Type: application/json\r\n"
		"Content-Length: 2\r\nConnection: close\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nWarning: 299 - \"deprecated\"\r\n"
		"Content-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}",
	};
	int i;

	for (i = 0; i < 2; i++) {
		int fd = accept(h->lfd, NULL, NULL);
		size_t got = 0;
		ssize_t n;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (fd < 0)
			return NULL;
		/* Read headers and the small body (until a pause). */
		while (got + 1 < sizeof(h->req[i]) && poll(&p, 1, 300) > 0) {
			n = read(fd, h->req[i] + got,
				 sizeof(h->req[i]) - 1 - got);
			if (n <= 0)
				break;
			got += (size_t)n;
			if (strstr(h->req[i], "\r\n\r\n") &&
			    strstr(h->req[i], "}"))
				break;
		}
		h->req[i][got] = '\0';
		if (write(fd, replies[i], strlen(replies[i])) < 0)
			break;
		close(fd);
	}
	return NULL;
}

static void httpd_start(httpd *h, pthread_t *th)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	memset(h, 0, sizeof(*h));
	h->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(h->lfd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(h->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(h->lfd, 4), 0);
	assert_int_equal(getsockname(h->lfd, (struct sockaddr *)&sa, &sl), 0);
	h->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(th, NULL, httpd_main, h), 0);
}

static void test_k8s_curl_http_loopback(void **state)
{
	httpd h;
	pthread_t th;
	char yaml[512];
	k8s_client *c;
	tfp_error e;
	json_t *out = NULL,
	       *patch = json_pack("{s:{s:s}}", "metadata", "name", "a");

	(void)state;
	httpd_start(&h, &th);
	snprintf(
		yaml, sizeof(yaml),
		"current-context: c\nclusters:\n- name: k\n  cluster: {server: \"http://127.0.0.1:%d\"}\n"
		"users:\n- name: u\n  user: {token: loop-token}\n"
		"contexts:\n- name: c\n  context: {cluster: k, user: u, namespace: ns}\n",
		h.port);
	c = client_from(yaml, NULL, NULL);
	assert_int_equal(k8s_merge_patch(c, &k8s_gvr_secret, NULL, "a", patch,
					 0, &out, &e),
			 TFP_OK);
	assert_true(json_is_true(json_object_get(out, "ok")));
	pthread_join(th, NULL);
	close(h.lfd);
	assert_non_null(strstr(
		h.req[0],
		"PATCH /api/v1/namespaces/ns/secrets/a?fieldManager=terraform-lxdcapi HTTP/1.1"));
	assert_non_null(strstr(h.req[0], "Authorization: Bearer loop-token"));
	assert_non_null(
		strstr(h.req[0], "Content-Type: application/merge-patch+json"));
	assert_non_null(strstr(h.req[0], "{\"metadata\":{\"name\":\"a\"}}"));
	assert_non_null(
		strstr(h.req[1],
		       "PATCH /api/v1/namespaces/ns/secrets/a")); /* retried */
	json_decref(out);
	json_decref(patch);
	k8s_client_free(c);
}

/* proxy-url: the request goes to the proxy with the absolute URL. */
static void test_k8s_curl_proxy_url(void **state)
{
	httpd h;
	pthread_t th;
	char yaml[512];
	k8s_client *c;
	tfp_error e;

	(void)state;
	httpd_start(&h, &th);
	snprintf(yaml, sizeof(yaml),
		 "current-context: c\nclusters:\n- name: k\n  cluster:\n"
		 "    server: http://192.0.2.77:6443\n    proxy-url: http://127.0.0.1:%d\n"
		 "contexts:\n- name: c\n  context: {cluster: k}\n",
		 h.port);
	c = client_from(yaml, NULL, NULL);
	assert_int_equal(k8s_get(c, &k8s_gvr_namespace, NULL, "default", NULL,
				 &e),
			 TFP_OK);
	pthread_join(th, NULL);
	close(h.lfd);
	assert_non_null(strstr(
		h.req[0],
		"GET http://192.0.2.77:6443/api/v1/namespaces/default HTTP/1.1"));
	assert_null(strstr(h.req[0], "Authorization:")); /* anonymous user */
	k8s_client_free(c);
}

static void test_k8s_client_new_errors(void **state)
{
	kubeconfig kc;
	k8s_client_opts o = { 0 };
	k8s_client *c = NULL;
	tfp_error e;

	(void)state;
	memset(&kc, 0, sizeof(kc));
	kc.source = (char *)"inline kubeconfig";
	kc.context = (char *)"c";
	kc.server = (char *)"ftp://192.0.2.1";
	o.kc = &kc;
	assert_int_equal(k8s_client_new(&o, &c, &e), TFP_E_CONFIG);
	assert_non_null(strstr(e.message, "is not an https:// URL"));
	kc.server = (char *)"https://[::1";
	assert_int_equal(k8s_client_new(&o, &c, &e), TFP_E_CONFIG);
	kc.server = (char *)"https://192.0.2.1:99999";
	assert_int_equal(k8s_client_new(&o, &c, &e), TFP_E_CONFIG);
	kc.server = (char *)"https://[2001:db8::1]:6443/prefix";
	assert_int_equal(k8s_client_new(&o, &c, &e), TFP_OK);
	assert_string_equal(k8s_client_namespace(c), "default");
	assert_null(k8s_client_warning(c, 0));
	assert_int_equal(k8s_client_nwarnings(c), 0);
	k8s_client_free(c);
}

/* ---- live group against k8s-emu ----------------------------------------- */

static char emu[512];

static char *emu_file(const char *name)
{
	char path[700], *buf = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", emu, name);
	assert_int_equal(util_read_file(path, 1 << 20, &buf, &len), 0);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return buf;
}

static k8s_client *emu_client_path(const char *file)
{
	char path[700];
	tfp_error kerr;
	kubeconfig_source src = { 0 };
	kubeconfig *kc = NULL;
	k8s_client_opts o = { 0 };
	k8s_client *c = NULL;
	tfp_error e;

	snprintf(path, sizeof(path), "%s/%s", emu, file);
	src.path = path;
	if (kubeconfig_load(&src, &kc, &kerr) != TFP_OK)
		fail_msg("%s", kerr.message);
	o.kc = kc;
	o.request_timeout_ms = 10000;
	assert_int_equal(k8s_client_new(&o, &c, &e), TFP_OK);
	kubeconfig_free(kc);
	return c;
}

/* A kubeconfig for the emulator with a chosen cluster/user section. */
static k8s_client *emu_client_yaml(const char *cluster_extra,
				   const char *server, const char *user)
{
	char *y;
	k8s_client *c;

	assert_true(
		asprintf(
			&y,
			"current-context: c\nclusters:\n- name: k\n  cluster:\n"
			"    server: %s\n%s\nusers:\n- name: u\n  user:\n%s\n"
			"contexts:\n- name: c\n  context: {cluster: k, user: u}\n",
			server, cluster_extra, user) > 0);
	c = client_from(y, NULL, NULL);
	free(y);
	return c;
}

static void test_live_cert_crud_discovery(void **state)
{
	k8s_client *c = emu_client_path("kubeconfig");
	const k8s_capi *capi = NULL;
	tfp_error e;
	json_t *sec = json_pack("{s:{s:s},s:{s:s}}", "metadata", "name",
				"live-a", "stringData", "k", "v");
	json_t *out = NULL, *patch = json_pack("{s:{s:{s:s}}}", "metadata",
					       "labels", "x", "y");
	json_t *cl;
	char text[2048];

	(void)state;
	assert_int_equal(k8s_capi_discover(c, &capi, &e), TFP_OK);
	assert_string_equal(capi->capi_version, "v1beta2");
	assert_string_equal(capi->machine_deployment.resource,
			    "machinedeployments");
	assert_string_equal(capi->lxc_cluster.resource, "lxcclusters");
	k8s_delete(c, &k8s_gvr_secret, "default", "live-a", NULL, &e);
	assert_int_equal(k8s_create(c, &k8s_gvr_secret, "default", sec, 0, &out,
				    &e),
			 TFP_OK);
	assert_non_null(json_object_get(json_object_get(out, "metadata"),
					"resourceVersion"));
	json_decref(out);
	assert_int_equal(k8s_create(c, &k8s_gvr_secret, "default", sec, 0, NULL,
				    &e),
			 TFP_E_EXISTS);
	assert_int_equal(k8s_merge_patch(c, &k8s_gvr_secret, "default",
					 "live-a", patch, 0, &out, &e),
			 TFP_OK);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(out,
								    "metadata"),
						    "labels"),
				    "x")),
			    "y");
	json_decref(out);
	assert_int_equal(k8s_delete(c, &k8s_gvr_secret, "default", "live-a",
				    "Background", &e),
			 TFP_OK);
	assert_int_equal(k8s_get(c, &k8s_gvr_secret, "default", "live-a", NULL,
				 &e),
			 TFP_E_NOTFOUND);
	/* Invalid custom resource: 422 with causes. */
	cl = json_pack("{s:{s:s},s:{s:i}}", "metadata", "name", "bad-kcp",
		       "spec", "replicas", 2);
	assert_int_equal(k8s_create(c, &capi->kubeadm_control_plane, "default",
				    cl, 0, NULL, &e),
			 TFP_E_INVALID);
	assert_int_equal(e.http_status, 422);
	k8s_error_text(&e, text, sizeof(text));
	assert_true(e.ncauses >= 1);
	assert_non_null(strstr(text, "spec."));
	json_decref(cl);
	json_decref(sec);
	json_decref(patch);
	k8s_client_free(c);
}

static void test_live_token_and_bad_token(void **state)
{
	k8s_client *c = emu_client_path("kubeconfig-token");
	char *ready = emu_file("ready");
	char ca[700];
	tfp_error e;
	char text[2048];

	(void)state;
	assert_int_equal(k8s_get(c, &k8s_gvr_namespace, NULL, "default", NULL,
				 &e),
			 TFP_OK);
	k8s_client_free(c);
	snprintf(ca, sizeof(ca), "    certificate-authority: %s/ca.crt", emu);
	c = emu_client_yaml(ca, ready, "    token: wrong-token");
	assert_int_equal(k8s_get(c, &k8s_gvr_namespace, NULL, "default", NULL,
				 &e),
			 TFP_E_UNAUTHORIZED);
	k8s_error_text(&e, text, sizeof(text));
	assert_null(strstr(text, "wrong-token"));
	k8s_client_free(c);
	free(ready);
}

static void test_live_tls_modes(void **state)
{
	char *ready = emu_file("ready");
	char *token = emu_file("token");
	char ca[700], extra[900], user[300], server[300];
	const char *port = strrchr(ready, ':');
	k8s_client *c;
	tfp_error e;

	(void)state;
	snprintf(user, sizeof(user), "    token: %s", token);
	snprintf(ca, sizeof(ca), "    certificate-authority: %s/ca.crt", emu);
	/* No CA: the system store does not know the test CA. */
	c = emu_client_yaml("", ready, user);
	assert_int_equal(k8s_get(c, &k8s_gvr_namespace, NULL, "default", NULL,
				 &e),
			 TFP_E_TLS);
	k8s_client_free(c);
	/* insecure-skip-tls-verify. */
	c = emu_client_yaml("    insecure-skip-tls-verify: true", ready, user);
	assert_int_equal(k8s_get(c, &k8s_gvr_namespace, NULL, "default", NULL,
				 &e),
			 TFP_OK);
	k8s_client_free(c);
	/* tls-server-name: the certificate names localhost, not 127.0.0.2
	 * (where nothing listens: refused, retried, so keep the budget short). */
	snprintf(server, sizeof(server), "https://127.0.0.2%s", port);
	c = emu_client_yaml(ca, server, user);
	k8s_retry_budget_set(1);
	assert_int_not_equal(k8s_get(c, &k8s_gvr_namespace, NULL, "default",
				     NULL, &e),
			     TFP_OK);
	k8s_retry_budget_set(0);
	k8s_client_free(c);
	snprintf(extra, sizeof(extra), "%s\n    tls-server-name: localhost",
		 ca);
	c = emu_client_yaml(extra, ready, user);
	assert_int_equal(k8s_get(c, &k8s_gvr_namespace, NULL, "default", NULL,
				 &e),
			 TFP_OK);
	k8s_client_free(c);
	snprintf(extra, sizeof(extra),
		 "%s\n    tls-server-name: wrong.example.com", ca);
	c = emu_client_yaml(extra, ready, user);
	assert_int_equal(k8s_get(c, &k8s_gvr_namespace, NULL, "default", NULL,
				 &e),
			 TFP_E_TLS);
	k8s_client_free(c);
	free(ready);
	free(token);
}

static void test_live_exec_client_cert(void **state)
{
	char *ready = emu_file("ready");
	char script_path[700], body[1400], ca[700], user[900];
	k8s_client *c;
	tfp_error e;

	(void)state;
	/* The plugin answers with the emulator's client certificate. */
	snprintf(script_path, sizeof(script_path), "%s/certplugin.sh", tmpdir);
	snprintf(
		body, sizeof(body),
		"#!/bin/sh\n"
		"crt=$(sed ':a;N;$!ba;s/\\n/\\\\n/g' '%s/client.crt')\n"
		"key=$(sed ':a;N;$!ba;s/\\n/\\\\n/g' '%s/client.key')\n"
		"printf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
		"\"status\":{\"clientCertificateData\":\"%%s\\\\n\",\"clientKeyData\":\"%%s\\\\n\"}}' \"$crt\" \"$key\"\n",
		emu, emu);
	write_file(script_path, body, 0700);
	snprintf(ca, sizeof(ca), "    certificate-authority: %s/ca.crt", emu);
	snprintf(user, sizeof(user),
		 "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
		 "      command: %s",
		 script_path);
	c = emu_client_yaml(ca, ready, user);
	assert_int_equal(k8s_get(c, &k8s_gvr_namespace, NULL, "default", NULL,
				 &e),
			 TFP_OK);
	k8s_client_free(c);
	free(ready);
}

static void test_live_429_fault(void **state)
{
	char path[700];
	k8s_client *c = emu_client_path("kubeconfig");
	tfp_error e;
	long long t0;

	(void)state;
	snprintf(path, sizeof(path), "%s/faults.json", emu);
	write_file(
		path,
		"{\"fail_requests\":[{\"method\":\"GET\",\"path_regex\":\"/namespaces/kube-public$\","
		"\"status\":429,\"count\":2,\"retry_after\":1,\"message\":\"slow down k8s-client\"}]}",
		0644);
	t0 = mono_ms();
	assert_int_equal(k8s_get(c, &k8s_gvr_namespace, NULL, "kube-public",
				 NULL, &e),
			 TFP_OK);
	assert_true(mono_ms() - t0 >= 1900);
	unlink(path);
	k8s_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_k8s_paths),
		cmocka_unit_test(test_k8s_get_default_namespace_and_token),
		cmocka_unit_test(test_k8s_status_error_text),
		cmocka_unit_test(test_k8s_write_queries_and_content_types),
		cmocka_unit_test(test_k8s_list_pages),
		cmocka_unit_test(test_k8s_retry_after_429_503),
		cmocka_unit_test(test_k8s_retry_cancelled_by_stop),
		cmocka_unit_test(test_k8s_update_conflict_retry),
		cmocka_unit_test(test_k8s_transport_failures),
		cmocka_unit_test(test_k8s_retry_policy),
		cmocka_unit_test(test_k8s_retry_transient_then_ok),
		cmocka_unit_test(test_k8s_create_verified_before_retry),
		cmocka_unit_test(test_k8s_create_first_attempt_landed),
		cmocka_unit_test(test_k8s_create_never_adopts_foreign),
		cmocka_unit_test(test_k8s_create_429_no_check),
		cmocka_unit_test(test_k8s_unresponsive_fails_fast),
		cmocka_unit_test(test_k8s_token_file_reread_on_401),
		cmocka_unit_test(test_k8s_exec_plugin_cache_and_401),
		cmocka_unit_test(test_k8s_exec_plugin_expiry),
		cmocka_unit_test(test_k8s_exec_plugin_failures),
		cmocka_unit_test(test_k8s_concurrent_requests),
		cmocka_unit_test(test_k8s_discovery_capi),
		cmocka_unit_test(test_k8s_discovery_not_installed),
		cmocka_unit_test(test_k8s_curl_http_loopback),
		cmocka_unit_test(test_k8s_curl_proxy_url),
		cmocka_unit_test(test_k8s_client_new_errors),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_live_cert_crud_discovery),
		cmocka_unit_test(test_live_token_and_bad_token),
		cmocka_unit_test(test_live_tls_modes),
		cmocka_unit_test(test_live_exec_client_cert),
		cmocka_unit_test(test_live_429_fault),
	};
	const char *dir = getenv("K8S_EMU_DIR");
	static const char *const proxies[] = { "http_proxy",  "https_proxy",
					       "HTTPS_PROXY", "all_proxy",
					       "ALL_PROXY",   NULL };
	int rc;
	size_t i;

	/* The loopback and emulator cases must not go through a proxy of the
	 * calling environment. */
	for (i = 0; proxies[i]; i++)
		unsetenv(proxies[i]);

	rc = cmocka_run_group_tests_name("k8s_client", tests, make_tmpdir,
					 rm_tmpdir);
	if (dir && *dir) {
		snprintf(emu, sizeof(emu), "%s", dir);
		rc |= cmocka_run_group_tests_name("k8s_client_live", live,
						  make_tmpdir, rm_tmpdir);
	}
	return rc;
}
