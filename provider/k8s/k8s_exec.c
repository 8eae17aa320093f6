/* client-go exec credential plugins (see k8s_exec.h): the ExecCredential
 * handed to the plugin, its environment, and the ExecCredential it
 * prints. Running it is util_run (provider/util/subprocess.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "../log.h"
#include "../util/b64.h"
#include "../util/cleanup.h"
#include "../util/secret.h"
#include "../util/subprocess.h"
#include "k8s_exec.h"

extern char **environ;

void k8s_exec_cred_done(k8s_exec_cred *ec)
{
	util_secret_free(ec->token);
	util_secret_free(ec->cert_pem);
	util_secret_free(ec->key_pem);
	memset(ec, 0, sizeof(*ec));
}

time_t k8s_parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	time_t t;
	int sign, oh, om;

	memset(&tm, 0, sizeof(tm));
	if (!s)
		return -1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 ||
		    om > 59)
			return -1;
		t -= sign * (oh * 3600 + om * 60);
		p += 6;
	} else {
		return -1;
	}
	return *p ? -1 : t;
}

/* spec.cluster of the ExecCredential (provideClusterInfo). */
static json_t *cluster_info(const k8s_exec_ctx *x)
{
	json_t *cl = json_pack("{s:s}", "server", x->server);
	_cleanup_free_ char *ca = NULL;

	if (!cl)
		return NULL;
	if (x->tls_server_name)
		json_object_set_new(cl, "tls-server-name",
				    json_string(x->tls_server_name));
	if (x->insecure)
		json_object_set_new(cl, "insecure-skip-tls-verify",
				    json_true());
	if (x->ca_pem && (ca = util_b64_encode(x->ca_pem, x->ca_len, false)))
		json_object_set_new(cl, "certificate-authority-data",
				    json_string(ca));
	return cl;
}

/* The ExecCredential handed to the plugin (malloc'd JSON text). */
static char *exec_info(const k8s_exec_ctx *x)
{
	json_auto_t *root = json_pack("{s:s, s:s}", "apiVersion",
				      x->exec->api_version, "kind",
				      "ExecCredential");
	json_t *spec = json_pack("{s:b}", "interactive", 0);

	if (!root || !spec) {
		json_decref(spec);
		return NULL;
	}
	if (x->exec->provide_cluster_info)
		json_object_set_new(spec, "cluster", cluster_info(x));
	json_object_set_new(root, "spec", spec);
	return json_dumps(root, JSON_COMPACT);
}

/* The environment: environ, then the plugin's env (overriding), then
 * KUBERNETES_EXEC_INFO. Entries past *nborrowed are owned (wiped by
 * free_env); the others belong to environ. */
typedef struct plugin_env {
	char **v;
	size_t nborrowed;
} plugin_env;

static void free_env(plugin_env *pe)
{
	size_t i;

	if (!pe->v)
		return;
	for (i = pe->nborrowed; pe->v[i]; i++)
		util_secret_free(pe->v[i]);
	free(pe->v);
	pe->v = NULL;
}

static bool overridden(const kc_exec *e, const char *entry)
{
	size_t nl = strcspn(entry, "="), j;

	if (strncmp(entry, "KUBERNETES_EXEC_INFO=", 21) == 0)
		return true;
	for (j = 0; j < e->nenv; j++)
		if (strlen(e->env_names[j]) == nl &&
		    strncmp(entry, e->env_names[j], nl) == 0)
			return true;
	return false;
}

static bool build_env(const k8s_exec_ctx *x, const char *info, plugin_env *pe)
{
	const kc_exec *e = x->exec;
	size_t n = 0, i, k = 0;

	while (environ && environ[n])
		n++;
	pe->v = calloc(n + e->nenv + 2, sizeof(char *));
	if (!pe->v)
		return false;
	for (i = 0; i < n; i++)
		if (!overridden(e, environ[i]))
			pe->v[k++] = environ[i];
	pe->nborrowed = k;
	for (i = 0; i < e->nenv; i++, k++)
		if (asprintf(&pe->v[k], "%s=%s", e->env_names[i],
			     e->env_values[i]) < 0) {
			pe->v[k] = NULL;
			return false;
		}
	if (asprintf(&pe->v[k], "KUBERNETES_EXEC_INFO=%s", info) < 0) {
		pe->v[k] = NULL;
		return false;
	}
	return true;
}

/* "the exec credential plugin "cmd" (user "u" in source)" messages. */
#define PLUGIN_FMT "the exec credential plugin \"%s\" (user \"%s\" in %s)"
#define PLUGIN_ARGS(x)                                                         \
	(x)->exec->command, (x)->user_name ? (x)->user_name : "", (x)->source

static int parse_output(const k8s_exec_ctx *x, const char *out, size_t len,
			k8s_exec_cred *cred, tfp_error *err)
{
	json_auto_t *root = json_loadb(out, len, JSON_REJECT_DUPLICATES, NULL);
	const char *kind, *av, *tok, *crt, *key, *exp;
	const json_t *st;

	if (!json_is_object(root))
		return tfp_err_set(
			err, TFP_E_CREDENTIALS, 0,
			PLUGIN_FMT
			" did not print an ExecCredential JSON object on stdout",
			PLUGIN_ARGS(x));
	kind = json_string_value(json_object_get(root, "kind"));
	av = json_string_value(json_object_get(root, "apiVersion"));
	st = json_object_get(root, "status");
	if (!kind || strcmp(kind, "ExecCredential") != 0 || !av ||
	    strcmp(av, x->exec->api_version) != 0 || !json_is_object(st))
		return tfp_err_set(
			err, TFP_E_CREDENTIALS, 0,
			PLUGIN_FMT
			" printed %s; expected kind ExecCredential, apiVersion "
			"%s, with a status",
			PLUGIN_ARGS(x),
			(!kind || strcmp(kind, "ExecCredential") != 0) ?
				"an object of another kind" :
			(!av || strcmp(av, x->exec->api_version) != 0) ?
				"another apiVersion" :
				"no status",
			x->exec->api_version);
	tok = json_string_value(json_object_get(st, "token"));
	crt = json_string_value(json_object_get(st, "clientCertificateData"));
	key = json_string_value(json_object_get(st, "clientKeyData"));
	exp = json_string_value(json_object_get(st, "expirationTimestamp"));
	memset(cred, 0, sizeof(*cred));
	if ((tok && !*tok) || (!tok && (!crt || !key || !*crt || !*key)))
		return tfp_err_set(
			err, TFP_E_CREDENTIALS, 0,
			PLUGIN_FMT
			" returned neither status.token nor both "
			"status.clientCertificateData and status.clientKeyData",
			PLUGIN_ARGS(x));
	if (exp && (cred->expires = k8s_parse_time(exp)) == (time_t)-1)
		return tfp_err_set(
			err, TFP_E_CREDENTIALS, 0,
			"the exec credential plugin \"%s\" returned an "
			"invalid status.expirationTimestamp \"%.40s\" "
			"(want RFC 3339)",
			x->exec->command, exp);
	cred->token = tok ? strdup(tok) : NULL;
	cred->cert_pem = crt ? strdup(crt) : NULL;
	cred->key_pem = key ? strdup(key) : NULL;
	if ((tok && !cred->token) || (crt && !cred->cert_pem) ||
	    (key && !cred->key_pem)) {
		k8s_exec_cred_done(cred);
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	}
	return TFP_OK;
}

/* The outcome of a run as a credential or an error. */
static int result(const k8s_exec_ctx *x, const util_run_result *r,
		  k8s_exec_cred *out, tfp_error *err)
{
	const kc_exec *e = x->exec;
	int st = r->status;
	bool missing = WIFEXITED(st) && WEXITSTATUS(st) == 127 &&
		       e->install_hint;

	if (r->cancelled)
		return tfp_err_set(
			err, TFP_E_CANCELLED, 0,
			"cancelled while running the exec credential plugin");
	if (r->timed_out)
		return tfp_err_set(
			err, TFP_E_CREDENTIALS, 0,
			"the exec credential plugin \"%s\" of user \"%s\" (%s) "
			"did not finish within %d s (is it waiting for input? "
			"Providers cannot answer prompts)",
			PLUGIN_ARGS(x), K8S_EXEC_TIMEOUT_S);
	if (r->too_big)
		return tfp_err_set(
			err, TFP_E_CREDENTIALS, 0,
			"the exec credential plugin \"%s\" printed more than %u bytes",
			e->command, (unsigned)K8S_EXEC_MAX_OUTPUT);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return tfp_err_set(
			err, TFP_E_CREDENTIALS, 0,
			"the exec credential plugin \"%s\" of user \"%s\" (%s) "
			"failed (%s %d)%s%s%s%s",
			PLUGIN_ARGS(x),
			WIFEXITED(st) ? "exit status" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
			r->err[0] ? ": " : "", r->err, missing ? ". " : "",
			missing ? e->install_hint : "");
	return parse_output(x, r->out ? r->out : "", r->out_len, out, err);
}

int k8s_exec_run(const k8s_exec_ctx *x, k8s_exec_cred *out, tfp_error *err)
{
	const kc_exec *e = x->exec;
	_cleanup_secret_ char *info = exec_info(x);
	_cleanup_free_ char **argv = calloc(e->nargs + 2, sizeof(char *));
	plugin_env env = { 0 };
	util_run_opts o = { 0 };
	util_run_result r;
	int rc;

	if (!info || !argv || !build_env(x, info, &env)) {
		free_env(&env);
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	}
	argv[0] = e->command;
	for (size_t i = 0; i < e->nargs; i++)
		argv[i + 1] = e->args[i];
	o.file = e->command;
	o.argv = argv;
	o.envp = env.v;
	o.timeout_ms = K8S_EXEC_TIMEOUT_S * 1000L;
	o.max_stdout = K8S_EXEC_MAX_OUTPUT;
	o.stop = x->stop;
	rc = util_run(&o, &r);
	free_env(&env);
	if (rc)
		return tfp_err_set(
			err, TFP_E_CREDENTIALS, 0,
			"cannot run the exec credential plugin \"%s\" of user "
			"\"%s\" (%s): %s.%s%s",
			PLUGIN_ARGS(x), strerror(rc),
			e->install_hint ? " " : "",
			e->install_hint ? e->install_hint : "");
	tfp_debug("k8s: ran exec credential plugin %s", e->command);
	rc = result(x, &r, out, err);
	util_run_result_done(&r);
	return rc;
}
