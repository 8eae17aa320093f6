/* Unit tests for provider/k8s/kubeconfig.c: every auth form, file
 * references relative to the kubeconfig, context selection, the default
 * path, and the error cases (messages name the source and context, never
 * secrets), plus hostile inputs (aliases, depth, size). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "provider/k8s/kubeconfig.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/kubeconfig.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void write_file(const char *name, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static kubeconfig *load_ok(const char *yaml, const char *ctx)
{
	kubeconfig_source src = { .content = yaml, .context = ctx };
	kubeconfig *kc = NULL;
	tfp_error err;

	if (kubeconfig_load(&src, &kc, &err) != TFP_OK)
		fail_msg("unexpected error: %s", err.message);
	return kc;
}

/* Load expecting failure; returns the message (static buffer). */
static const char *load_err(const char *yaml, const char *ctx)
{
	static tfp_error err;
	kubeconfig_source src = { .content = yaml, .context = ctx };
	kubeconfig *kc = NULL;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = kubeconfig_load(&src, &kc, &err);
	/* Content problems are CONFIG, the reader's bounds LIMIT. */
	assert_true(rc == TFP_E_CONFIG || rc == TFP_E_LIMIT);
	assert_int_equal(err.code, rc);
	assert_null(kc);
	assert_true(err.message[0] != '\0');
	return err.message;
}

#define CLUSTERS                                                                         \
	"clusters:\n"                                                                    \
	"- name: prod\n"                                                                 \
	"  cluster:\n"                                                                   \
	"    server: https://203.0.113.5:6443/\n"                                        \
	"    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCg==\n" \
	"    tls-server-name: api.example.com\n"                                         \
	"- name: dev\n"                                                                  \
	"  cluster:\n"                                                                   \
	"    server: https://198.51.100.7\n"                                             \
	"    insecure-skip-tls-verify: yes\n"                                            \
	"    certificate-authority-data: Q0E=\n"                                         \
	"    proxy-url: http://192.0.2.1:3128\n"

static void test_kc_cert_data_and_context(void **state)
{
	const char *y =
		"apiVersion: v1\nkind: Config\ncurrent-context: admin@prod\n" CLUSTERS
		"users:\n"
		"- name: admin\n"
		"  user:\n"
		"    client-certificate-data: Q0VSVA==\n"
		"    client-key-data: S0VZ\n"
		"- name: dev-user\n"
		"  user:\n"
		"    token: sekrit-token\n"
		"contexts:\n"
		"- name: admin@prod\n"
		"  context: {cluster: prod, user: admin, namespace: capi}\n"
		"- name: dev\n"
		"  context:\n    cluster: dev\n    user: dev-user\n";
	kubeconfig *kc;

	(void)state;
	kc = load_ok(y, NULL);
	assert_string_equal(kc->source, "inline kubeconfig");
	assert_string_equal(kc->context, "admin@prod");
	assert_string_equal(kc->server, "https://203.0.113.5:6443");
	assert_string_equal(kc->namespace, "capi");
	assert_string_equal(kc->tls_server_name, "api.example.com");
	assert_string_equal(kc->ca_pem, "-----BEGIN CERTIFICATE-----\nCA\n");
	assert_int_equal(kc->ca_pem_len, strlen(kc->ca_pem));
	assert_string_equal(kc->client_cert_pem, "CERT");
	assert_string_equal(kc->client_key_pem, "KEY");
	assert_null(kc->token);
	assert_null(kc->exec);
	assert_false(kc->insecure_skip_tls_verify);
	assert_int_equal(kc->nwarnings, 0);
	kubeconfig_free(kc);

	/* Context override; YAML 1.1 boolean; CA + insecure warned about. */
	kc = load_ok(y, "dev");
	assert_string_equal(kc->context, "dev");
	assert_string_equal(kc->server, "https://198.51.100.7");
	assert_true(kc->insecure_skip_tls_verify);
	assert_string_equal(kc->token, "sekrit-token");
	assert_null(kc->namespace);
	assert_string_equal(kc->ca_pem, "CA");
	assert_string_equal(kc->proxy_url, "http://192.0.2.1:3128");
	assert_int_equal(kc->nwarnings, 1);
	assert_non_null(strstr(kc->warnings[0], "insecure-skip-tls-verify"));
	assert_non_null(strstr(kc->warnings[0], "\"dev\""));
	kubeconfig_free(kc);
}

static void test_kc_files_relative_to_kubeconfig(void **state)
{
	char path[512], yaml[1024];
	kubeconfig_source src = { 0 };
	kubeconfig *kc = NULL;
	tfp_error err;

	(void)state;
	snprintf(path, sizeof(path), "%s/pki", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	write_file("pki/ca.crt", "CA-FILE");
	write_file("pki/client.crt", "CRT-FILE");
	write_file("pki/client.key", "KEY-FILE");
	snprintf(yaml, sizeof(yaml),
		 "current-context: c\n"
		 "clusters:\n- name: k\n  cluster:\n    server: https://192.0.2.3:6443\n"
		 "    certificate-authority: pki/ca.crt\n"
		 "users:\n- name: u\n  user:\n    client-certificate: pki/client.crt\n"
		 "    client-key: %s/pki/client.key\n    tokenFile: tok\n"
		 "contexts:\n- name: c\n  context: {cluster: k, user: u}\n",
		 tmpdir);
	write_file("config", yaml);
	snprintf(path, sizeof(path), "%s/config", tmpdir);
	src.path = path;
	assert_int_equal(kubeconfig_load(&src, &kc, &err), TFP_OK);
	assert_non_null(strstr(kc->source, path));
	assert_string_equal(kc->ca_pem, "CA-FILE");
	assert_string_equal(kc->client_cert_pem, "CRT-FILE");
	assert_string_equal(kc->client_key_pem, "KEY-FILE");
	snprintf(path, sizeof(path), "%s/tok", tmpdir);
	assert_string_equal(kc->token_file, path);
	kubeconfig_free(kc);

	/* A missing referenced file names the file and the context. */
	snprintf(yaml, sizeof(yaml),
		 "current-context: c\n"
		 "clusters:\n- name: k\n  cluster:\n    server: https://192.0.2.3:6443\n"
		 "    certificate-authority: pki/nope.crt\n"
		 "contexts:\n- name: c\n  context: {cluster: k}\n");
	write_file("config2", yaml);
	snprintf(path, sizeof(path), "%s/config2", tmpdir);
	src.path = path;
	assert_int_equal(kubeconfig_load(&src, &kc, &err), TFP_E_CONFIG);
	assert_non_null(strstr(err.message, "pki/nope.crt"));
	assert_non_null(strstr(err.message, "context \"c\""));
	assert_non_null(strstr(err.message, "kubeconfig file"));

	/* A missing kubeconfig file. */
	snprintf(path, sizeof(path), "%s/absent", tmpdir);
	src.path = path;
	assert_int_equal(kubeconfig_load(&src, &kc, &err), TFP_E_CONFIG);
	assert_non_null(strstr(err.message, "cannot read kubeconfig file"));
	assert_non_null(strstr(err.message, "KUBECONFIG"));
}

static void test_kc_exec_forms(void **state)
{
	const char *y =
		"current-context: c\n"
		"clusters:\n- name: k\n  cluster: {server: https://192.0.2.9}\n"
		"users:\n- name: u\n  user:\n    exec:\n"
		"      apiVersion: client.authentication.k8s.io/v1\n"
		"      command: kubectl-oidc\n"
		"      args: [get-token, --issuer, https://issuer.example.com]\n"
		"      env:\n      - name: A\n        value: one\n      - name: B\n        value: \"\"\n"
		"      installHint: |\n        install it\n"
		"      interactiveMode: IfAvailable\n      provideClusterInfo: true\n"
		"- name: old\n  user:\n    exec:\n"
		"      apiVersion: client.authentication.k8s.io/v1beta1\n"
		"      command: ./bin/plugin\n"
		"contexts:\n- name: c\n  context: {cluster: k, user: u}\n"
		"- name: o\n  context: {cluster: k, user: old}\n";
	kubeconfig *kc;
	const kc_exec *e;

	(void)state;
	kc = load_ok(y, NULL);
	e = kc->exec;
	assert_non_null(e);
	assert_string_equal(e->api_version, "client.authentication.k8s.io/v1");
	assert_string_equal(e->command, "kubectl-oidc");
	assert_int_equal(e->nargs, 3);
	assert_string_equal(e->args[2], "https://issuer.example.com");
	assert_int_equal(e->nenv, 2);
	assert_string_equal(e->env_names[0], "A");
	assert_string_equal(e->env_values[0], "one");
	assert_string_equal(e->env_values[1], "");
	assert_string_equal(e->install_hint, "install it\n");
	assert_string_equal(e->interactive_mode, "IfAvailable");
	assert_true(e->provide_cluster_info);
	kubeconfig_free(kc);

	/* Inline content resolves a relative command against the cwd. */
	kc = load_ok(y, "o");
	assert_string_equal(kc->exec->api_version,
			    "client.authentication.k8s.io/v1beta1");
	assert_string_equal(kc->exec->command, "./bin/plugin");
	assert_false(kc->exec->provide_cluster_info);
	kubeconfig_free(kc);
}

/* The client keeps its own copy of the exec settings. */
static void test_kc_exec_dup(void **state)
{
	kubeconfig *kc = load_ok(
		"current-context: c\n"
		"clusters:\n- name: k\n  cluster: {server: https://192.0.2.9}\n"
		"users:\n- name: u\n  user:\n    exec:\n"
		"      apiVersion: client.authentication.k8s.io/v1\n"
		"      command: plugin\n      args: [a, b]\n"
		"      env: [{name: K, value: V}]\n      installHint: get it\n"
		"      provideClusterInfo: true\n"
		"contexts:\n- name: c\n  context: {cluster: k, user: u}\n",
		NULL);
	kc_exec *e;

	(void)state;
	e = kc_exec_dup(kc->exec);
	kubeconfig_free(kc);
	assert_non_null(e);
	assert_string_equal(e->api_version, "client.authentication.k8s.io/v1");
	assert_string_equal(e->command, "plugin");
	assert_int_equal(e->nargs, 2);
	assert_string_equal(e->args[1], "b");
	assert_int_equal(e->nenv, 1);
	assert_string_equal(e->env_names[0], "K");
	assert_string_equal(e->env_values[0], "V");
	assert_string_equal(e->install_hint, "get it");
	assert_null(e->interactive_mode);
	assert_true(e->provide_cluster_info);
	kc_exec_free(e);
	kc_exec_free(NULL);
}

#define ONE_USER(user_yaml)                                                    \
	"current-context: c\n"                                                 \
	"clusters:\n- name: k\n  cluster: {server: https://192.0.2.9}\n"       \
	"users:\n- name: u\n  user:\n" user_yaml                               \
	"contexts:\n- name: c\n  context: {cluster: k, user: u}\n"

static void test_kc_auth_errors(void **state)
{
	const char *m;

	(void)state;
	m = load_err(ONE_USER("    auth-provider:\n      name: oidc\n"), NULL);
	assert_non_null(strstr(m, "auth-provider"));
	assert_non_null(strstr(m, "exec"));
	assert_non_null(strstr(m, "user \"u\""));
	m = load_err(ONE_USER("    username: admin\n    password: hunter2\n"),
		     NULL);
	assert_non_null(strstr(m, "basic authentication"));
	assert_null(strstr(m, "hunter2"));
	m = load_err(
		ONE_USER(
			"    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n"
			"      command: x\n"),
		NULL);
	assert_non_null(strstr(m, "v1alpha1"));
	m = load_err(ONE_USER("    exec:\n      command: x\n"), NULL);
	assert_non_null(strstr(m, "(missing)"));
	m = load_err(
		ONE_USER(
			"    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"),
		NULL);
	assert_non_null(strstr(m, "no command"));
	m = load_err(
		ONE_USER(
			"    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
			"      command: x\n      interactiveMode: Always\n"),
		NULL);
	assert_non_null(strstr(m, "interactive"));
	m = load_err(
		ONE_USER(
			"    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
			"      command: x\n      args: {a: b}\n"),
		NULL);
	assert_non_null(strstr(m, "args"));
	m = load_err(
		ONE_USER(
			"    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
			"      command: x\n      env:\n      - value: v\n"),
		NULL);
	assert_non_null(strstr(m, "env"));
	m = load_err(
		ONE_USER(
			"    client-certificate-data: Q0VSVA==\n    token: tok-secret-1\n"),
		NULL);
	assert_non_null(strstr(m, "client-key"));
	assert_null(strstr(m, "tok-secret-1"));
	m = load_err(
		ONE_USER(
			"    client-key-data: 'not base64!'\n    client-certificate-data: Q0VSVA==\n"),
		NULL);
	assert_non_null(strstr(m, "client-key-data"));
	assert_non_null(strstr(m, "base64"));
	assert_null(strstr(m, "not base64!"));
}

static void test_kc_structure_errors(void **state)
{
	const char *m;

	(void)state;
	m = load_err(
		"clusters: []\ncontexts:\n- name: a\n  context: {cluster: k}\n",
		NULL);
	assert_non_null(strstr(m, "no current-context"));
	assert_non_null(strstr(m, "\"a\""));
	m = load_err(
		"current-context: x\ncontexts:\n- name: a\n  context: {cluster: k}\n"
		"- name: b\n  context: {cluster: k}\n",
		NULL);
	assert_non_null(strstr(m, "context \"x\" not found"));
	assert_non_null(strstr(m, "\"a\", \"b\""));
	m = load_err(
		"current-context: a\ncontexts:\n- name: a\n  context: {cluster: k}\n",
		"zz");
	assert_non_null(strstr(m, "context \"zz\" not found"));
	m = load_err(
		"current-context: a\ncontexts:\n- name: a\n  context: {user: u}\n",
		NULL);
	assert_non_null(strstr(m, "names no cluster"));
	m = load_err(
		"current-context: a\nclusters:\n- name: other\n  cluster: {server: https://x}\n"
		"contexts:\n- name: a\n  context: {cluster: k}\n",
		NULL);
	assert_non_null(strstr(m, "cluster \"k\""));
	assert_non_null(strstr(m, "\"other\""));
	m = load_err("current-context: a\nclusters:\n- name: k\n  cluster: {}\n"
		     "contexts:\n- name: a\n  context: {cluster: k}\n",
		     NULL);
	assert_non_null(strstr(m, "no server"));
	m = load_err(
		"current-context: a\nclusters:\n- name: k\n  cluster: {server: https://x}\n"
		"contexts:\n- name: a\n  context: {cluster: k, user: ghost}\n",
		NULL);
	assert_non_null(strstr(m, "user \"ghost\""));
	m = load_err(
		"current-context: a\nclusters:\n- name: k\n  cluster: {server: https://x, "
		"insecure-skip-tls-verify: maybe}\n"
		"contexts:\n- name: a\n  context: {cluster: k}\n",
		NULL);
	assert_non_null(strstr(m, "not a boolean"));
	m = load_err(
		"current-context: a\nclusters:\n- name: k\n  cluster: {server: https://x, "
		"proxy-url: ftp://192.0.2.1}\n"
		"contexts:\n- name: a\n  context: {cluster: k}\n",
		NULL);
	assert_non_null(strstr(m, "proxy-url"));
	m = load_err("- just\n- a list\n", NULL);
	assert_non_null(strstr(m, "is not a kubeconfig"));
	m = load_err("key: [unclosed\n", NULL);
	assert_non_null(strstr(m, "invalid YAML at line"));
	m = load_err("", NULL);
	assert_non_null(strstr(m, "not a kubeconfig"));
	m = load_err("a: *nope\n", NULL);
	assert_non_null(strstr(m, "alias"));
}

static void test_kc_anonymous_user_and_aliases(void **state)
{
	/* No user at all: anonymous; a YAML anchor shared by two clusters. */
	const char *y = "current-context: a\n"
			"base: &srv https://192.0.2.44:6443\n"
			"clusters:\n- name: k\n  cluster:\n    server: *srv\n"
			"contexts:\n- name: a\n  context: {cluster: k}\n";
	kubeconfig *kc = load_ok(y, NULL);

	(void)state;
	assert_string_equal(kc->server, "https://192.0.2.44:6443");
	assert_null(kc->user_name);
	assert_null(kc->token);
	assert_null(kc->client_cert_pem);
	kubeconfig_free(kc);
}

static void test_kc_hostile_inputs(void **state)
{
	char *big, *deep, *bomb;
	size_t i, off = 0;
	const char *m;
	kubeconfig_source src = { 0 };
	kubeconfig *kc = NULL;
	tfp_error err;

	(void)state;
	/* Larger than KC_MAX_INPUT: refused before parsing. */
	big = malloc(KC_MAX_INPUT + 2);
	assert_non_null(big);
	memset(big, 'a', KC_MAX_INPUT + 1);
	big[KC_MAX_INPUT + 1] = '\0';
	src.content = big;
	assert_int_equal(kubeconfig_load(&src, &kc, &err), TFP_E_CONFIG);
	assert_non_null(strstr(err.message, "4 MiB"));
	free(big);

	/* Nesting beyond the depth limit. */
	deep = malloc(20000);
	assert_non_null(deep);
	for (i = 0; i < 5000; i++)
		deep[off++] = '[';
	deep[off] = '\0';
	m = load_err(deep, NULL);
	assert_non_null(strstr(m, "nested deeper"));
	free(deep);

	/* Billion laughs: aliases are references, never expanded. */
	bomb = malloc(8192);
	assert_non_null(bomb);
	off = (size_t)snprintf(bomb, 8192,
			       "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 30; i++)
		off += (size_t)snprintf(
			bomb + off, 8192 - off,
			"a%zu: &a%zu [*a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu, *a%zu]\n",
			i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
			i - 1);
	snprintf(bomb + off, 8192 - off,
		 "current-context: c\nclusters:\n- name: k\n  cluster: {server: https://192.0.2.1}\n"
		 "contexts:\n- name: c\n  context: {cluster: k}\n");
	kc = load_ok(bomb, NULL);
	assert_string_equal(kc->server, "https://192.0.2.1");
	kubeconfig_free(kc);
	free(bomb);

	/* Embedded NUL and binary garbage. */
	src.content = "current-context: c\n\0\xff\xfe";
	src.content_len = 22;
	kc = NULL;
	assert_int_equal(kubeconfig_load(&src, &kc, &err), TFP_E_CONFIG);
	assert_null(kc);
}

static void test_kc_default_path(void **state)
{
	char buf[256];
	char *old_kc = getenv("KUBECONFIG") ? strdup(getenv("KUBECONFIG")) :
					      NULL;
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	(void)state;
	setenv("KUBECONFIG", "/a/first:/b/second", 1);
	assert_string_equal(kubeconfig_default_path(buf, sizeof(buf)),
			    "/a/first");
	assert_null(kubeconfig_default_path(buf, 5)); /* does not fit */
	setenv("KUBECONFIG", "", 1);
	setenv("HOME", "/home/tester", 1);
	assert_string_equal(kubeconfig_default_path(buf, sizeof(buf)),
			    "/home/tester/.kube/config");
	unsetenv("KUBECONFIG");
	unsetenv("HOME");
	assert_null(kubeconfig_default_path(buf, sizeof(buf)));
	if (old_kc)
		setenv("KUBECONFIG", old_kc, 1);
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_kc);
	free(old_home);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kc_cert_data_and_context),
		cmocka_unit_test(test_kc_files_relative_to_kubeconfig),
		cmocka_unit_test(test_kc_exec_forms),
		cmocka_unit_test(test_kc_exec_dup),
		cmocka_unit_test(test_kc_auth_errors),
		cmocka_unit_test(test_kc_structure_errors),
		cmocka_unit_test(test_kc_anonymous_user_and_aliases),
		cmocka_unit_test(test_kc_hostile_inputs),
		cmocka_unit_test(test_kc_default_path),
	};

	return cmocka_run_group_tests_name("kubeconfig", tests, setup,
					   teardown);
}
