/* Kubeconfig loading (see kubeconfig.h): the YAML tree (kc_yaml.c) of one
 * kubeconfig, resolved for one context. Only the paths a kubeconfig uses
 * are looked up. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/b64.h"
#include "../util/cleanup.h"
#include "../util/file.h"
#include "../util/secret.h"
#include "kc_yaml.h"
#include "kubeconfig.h"

#define KC_MAX_ITEMS 10000 /* args, env */
#define KC_MAX_WARNINGS 32

/* ---- lists of the tree ------------------------------------------------- */

/* In list `key` of root, the element whose `name` equals name; returns its
 * `field` map (e.g. "cluster"). *found tells if the named entry exists. */
static const yn *named_entry(const yn *root, const char *key, const char *name,
			     const char *field, bool *found)
{
	const yn *list = kc_yget(root, key);
	const char *n;
	size_t i;

	*found = false;
	if (!list || list->kind != YN_SEQ)
		return NULL;
	for (i = 0; i < list->n; i++) {
		n = kc_ystr(list->items[i], "name");
		if (n && strcmp(n, name) == 0) {
			*found = true;
			return kc_yget(list->items[i], field);
		}
	}
	return NULL;
}

/* Comma-separated names of list `key` (bounded), for error messages. */
static void list_names(const yn *root, const char *key, char *buf, size_t len)
{
	const yn *list = kc_yget(root, key);
	size_t i, off = 0;
	const char *n;
	int w;

	buf[0] = '\0';
	if (!list || list->kind != YN_SEQ || len == 0)
		return;
	for (i = 0; i < list->n && off + 1 < len; i++) {
		n = kc_ystr(list->items[i], "name");
		if (!n)
			continue;
		w = snprintf(buf + off, len - off, "%s\"%.64s\"",
			     off ? ", " : "", n);
		if (w < 0 || (size_t)w >= len - off) {
			buf[off] = '\0';
			break;
		}
		off += (size_t)w;
	}
}

/* The strings of a sequence (*n of them, malloc'd), or NULL with *n 0:
 * none. TFP_E_CONFIG when seq is not a sequence of scalars. */
static int str_list(const yn *seq, char ***out, size_t *n)
{
	char **v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!seq)
		return TFP_OK;
	if (seq->kind != YN_SEQ || seq->n > KC_MAX_ITEMS)
		return TFP_E_CONFIG;
	if (!seq->n)
		return TFP_OK;
	v = calloc(seq->n, sizeof(*v));
	if (!v)
		return TFP_E_NOMEM;
	for (i = 0; i < seq->n; i++) {
		if (seq->items[i]->kind != YN_SCALAR ||
		    !(v[i] = strdup(seq->items[i]->str))) {
			int rc = seq->items[i]->kind != YN_SCALAR ?
					 TFP_E_CONFIG :
					 TFP_E_NOMEM;

			while (i-- > 0)
				free(v[i]);
			free(v);
			return rc;
		}
	}
	*out = v;
	*n = seq->n;
	return TFP_OK;
}

/* ---- helpers --------------------------------------------------------- */

static int nomem(tfp_error *err)
{
	return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
}

/* Resolve a path relative to dir (NULL: as is). malloc'd. */
static char *resolve_path(const char *dir, const char *p)
{
	char *r;

	if (!dir || p[0] == '/')
		return strdup(p);
	if (asprintf(&r, "%s/%s", dir, p) < 0)
		return NULL;
	return r;
}

static int add_warning(kubeconfig *kc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int add_warning(kubeconfig *kc, const char *fmt, ...)
{
	va_list ap;
	char *s;
	char **nw;
	int r;

	if (kc->nwarnings >= KC_MAX_WARNINGS)
		return 0;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	nw = realloc(kc->warnings, (kc->nwarnings + 1) * sizeof(*nw));
	if (!nw) {
		free(s);
		return -1;
	}
	kc->warnings = nw;
	kc->warnings[kc->nwarnings++] = s;
	return 0;
}

static char *xdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Load a PEM from `<key>-data` (base64) or the file `<key>`: TFP_OK (also
 * when neither is set), or TFP_E_CONFIG naming what to fix. */
static int load_pem(const yn *m, const char *key, const char *dir,
		    const char *what, const kubeconfig *kc, char **out,
		    size_t *outlen, tfp_error *err)
{
	_cleanup_free_ char *path = NULL;
	const char *data, *file;
	char dkey[64];

	snprintf(dkey, sizeof(dkey), "%s-data", key);
	data = kc_ystr(m, dkey);
	file = kc_ystr(m, key);
	if (data) {
		*out = util_b64_decode(data, strlen(data), outlen);
		if (!*out)
			return tfp_err_set(
				err, TFP_E_CONFIG, 0,
				"%s, context \"%s\": %s of %s is not valid base64. "
				"Re-encode the PEM with `base64 -w0`.",
				kc->source, kc->context, dkey, what);
		return TFP_OK;
	}
	if (!file)
		return TFP_OK;
	path = resolve_path(dir, file);
	if (!path)
		return nomem(err);
	if (util_read_file(path, KC_MAX_FILE, out, outlen) != 0)
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s, context \"%s\": cannot read %s file \"%s\" of %s: %s",
			kc->source, kc->context, key, path, what,
			strerror(errno));
	return TFP_OK;
}

/* ---- exec plugins ------------------------------------------------------- */

void kc_exec_free(kc_exec *e)
{
	size_t i;

	if (!e)
		return;
	free(e->api_version);
	free(e->command);
	for (i = 0; e->args && i < e->nargs; i++)
		free(e->args[i]);
	free(e->args);
	for (i = 0; i < e->nenv; i++) {
		free(e->env_names ? e->env_names[i] : NULL);
		util_secret_free(e->env_values ? e->env_values[i] : NULL);
	}
	free(e->env_names);
	free(e->env_values);
	free(e->install_hint);
	free(e->interactive_mode);
	free(e);
}

static bool dup_strings(char ***dst, char *const *src, size_t n)
{
	size_t i;

	if (!n)
		return true;
	*dst = calloc(n, sizeof(char *));
	if (!*dst)
		return false;
	for (i = 0; i < n; i++)
		if (!((*dst)[i] = strdup(src[i])))
			return false;
	return true;
}

DEFINE_CLEANUP_FUNC(kc_exec, kc_exec_free)

kc_exec *kc_exec_dup(const kc_exec *e)
{
	_cleanup_(kc_exec_freep) kc_exec *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	/* Counts first: kc_exec_free frees what the arrays hold so far. */
	n->nargs = e->nargs;
	n->nenv = e->nenv;
	n->provide_cluster_info = e->provide_cluster_info;
	if (!(n->api_version = xdup(e->api_version)) ||
	    !(n->command = xdup(e->command)) ||
	    (e->install_hint && !(n->install_hint = xdup(e->install_hint))) ||
	    (e->interactive_mode &&
	     !(n->interactive_mode = xdup(e->interactive_mode))) ||
	    !dup_strings(&n->args, e->args, e->nargs) ||
	    !dup_strings(&n->env_names, e->env_names, e->nenv) ||
	    !dup_strings(&n->env_values, e->env_values, e->nenv))
		return NULL;
	return TAKE_PTR(n);
}

/* exec.apiVersion, command (a relative one with a '/' is relative to the
 * kubeconfig file; a bare name is looked up in PATH) and args. */
static int exec_command(const yn *ex, const char *dir, const kubeconfig *kc,
			kc_exec *e, tfp_error *err)
{
	const char *av = kc_ystr(ex, "apiVersion"), *cmd;
	int rc;

	if (!av || (strcmp(av, "client.authentication.k8s.io/v1") != 0 &&
		    strcmp(av, "client.authentication.k8s.io/v1beta1") != 0))
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s, user \"%s\": exec plugin apiVersion %s%s%s is not "
			"supported; use client.authentication.k8s.io/v1 or v1beta1.",
			kc->source, kc->user_name, av ? "\"" : "(missing)",
			av ? av : "", av ? "\"" : "");
	cmd = kc_ystr(ex, "command");
	if (!cmd)
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s, user \"%s\": exec plugin has no command.",
			kc->source, kc->user_name);
	e->api_version = strdup(av);
	e->command = strchr(cmd, '/') ? resolve_path(dir, cmd) : strdup(cmd);
	if (!e->api_version || !e->command)
		return nomem(err);
	rc = str_list(kc_yget(ex, "args"), &e->args, &e->nargs);
	if (rc == TFP_E_CONFIG)
		return tfp_err_set(
			err, rc, 0,
			"%s, user \"%s\": exec args must be a list of strings.",
			kc->source, kc->user_name);
	return rc ? nomem(err) : TFP_OK;
}

/* exec.env: {name, value} pairs added to the plugin's environment. */
static int exec_env(const yn *env, const kubeconfig *kc, kc_exec *e,
		    tfp_error *err)
{
	const char *n;
	const yn *vn;
	size_t i;

	if (!env || env->kind == YN_SCALAR) /* absent, or null */
		return TFP_OK;
	if (env->kind != YN_SEQ || env->n > KC_MAX_ITEMS || !env->n)
		return tfp_err_set(err, TFP_E_CONFIG, 0,
				   "%s, user \"%s\": exec env must be a list of "
				   "{name, value}.",
				   kc->source, kc->user_name);
	e->env_names = calloc(env->n, sizeof(char *));
	e->env_values = calloc(env->n, sizeof(char *));
	if (!e->env_names || !e->env_values)
		return nomem(err);
	for (i = 0; i < env->n; i++) {
		n = kc_ystr(env->items[i], "name");
		vn = kc_yget(env->items[i], "value");
		if (!n || strchr(n, '=') || (vn && vn->kind != YN_SCALAR))
			return tfp_err_set(
				err, TFP_E_CONFIG, 0,
				"%s, user \"%s\": exec env entry %zu needs a name "
				"(without '=') and a string value.",
				kc->source, kc->user_name, i);
		e->env_names[e->nenv] = strdup(n);
		e->env_values[e->nenv] = strdup(vn ? vn->str : "");
		e->nenv++;
		if (!e->env_names[e->nenv - 1] || !e->env_values[e->nenv - 1])
			return nomem(err);
	}
	return TFP_OK;
}

/* exec.installHint, interactiveMode (never Always: providers have no
 * terminal) and provideClusterInfo. */
static int exec_mode(const yn *ex, const kubeconfig *kc, kc_exec *e,
		     tfp_error *err)
{
	const char *mode = kc_ystr(ex, "interactiveMode");

	e->install_hint = xdup(kc_ystr(ex, "installHint"));
	if (mode && strcmp(mode, "Never") != 0 &&
	    strcmp(mode, "IfAvailable") != 0 && strcmp(mode, "Always") != 0)
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s, user \"%s\": exec interactiveMode \"%.32s\" "
			"is not Never, IfAvailable or Always.",
			kc->source, kc->user_name, mode);
	if (mode && strcmp(mode, "Always") == 0)
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s, user \"%s\": the exec plugin needs an "
			"interactive terminal (interactiveMode: Always), which "
			"Terraform providers do not have. Use a non-interactive "
			"credential.",
			kc->source, kc->user_name);
	e->interactive_mode = xdup(mode);
	if (kc_ybool(ex, "provideClusterInfo", &e->provide_cluster_info) != 0)
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s, user \"%s\": exec provideClusterInfo is not a boolean.",
			kc->source, kc->user_name);
	if ((kc_ystr(ex, "installHint") && !e->install_hint) ||
	    (mode && !e->interactive_mode))
		return nomem(err);
	return TFP_OK;
}

static int load_exec(const yn *ex, const char *dir, kubeconfig *kc,
		     tfp_error *err)
{
	int rc;

	kc->exec = calloc(1, sizeof(*kc->exec));
	if (!kc->exec)
		return nomem(err);
	rc = exec_command(ex, dir, kc, kc->exec, err);
	if (!rc)
		rc = exec_env(kc_yget(ex, "env"), kc, kc->exec, err);
	if (!rc)
		rc = exec_mode(ex, kc, kc->exec, err);
	return rc;
}

/* ---- resolving a context ------------------------------------------------ */

/* The context: its name, cluster, user and namespace. */
static int resolve_context(const yn *root, const char *ctx_override,
			   kubeconfig *kc, tfp_error *err)
{
	const char *ctxname = ctx_override && *ctx_override ?
				      ctx_override :
				      kc_ystr(root, "current-context");
	const yn *ctx;
	const char *s;
	char names[256];
	bool found;

	if (!ctxname) {
		list_names(root, "contexts", names, sizeof(names));
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s has no current-context. Set the provider's "
			"`context`%s%s.",
			kc->source, names[0] ? " to one of " : "", names);
	}
	kc->context = strdup(ctxname);
	if (!kc->context)
		return nomem(err);
	ctx = named_entry(root, "contexts", ctxname, "context", &found);
	if (!found || !ctx || ctx->kind != YN_MAP) {
		list_names(root, "contexts", names, sizeof(names));
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s: context \"%.128s\" %s. Available contexts: %s.",
			kc->source, ctxname,
			found ? "has no context map" : "not found",
			names[0] ? names : "(none)");
	}
	s = kc_ystr(ctx, "cluster");
	if (!s)
		return tfp_err_set(err, TFP_E_CONFIG, 0,
				   "%s: context \"%s\" names no cluster.",
				   kc->source, kc->context);
	kc->cluster_name = strdup(s);
	kc->namespace = xdup(kc_ystr(ctx, "namespace"));
	kc->user_name = xdup(kc_ystr(ctx, "user"));
	if (!kc->cluster_name ||
	    (kc_ystr(ctx, "namespace") && !kc->namespace) ||
	    (kc_ystr(ctx, "user") && !kc->user_name))
		return nomem(err);
	return TFP_OK;
}

/* The cluster's server and TLS settings. */
static int cluster_settings(const yn *cl, const char *dir, kubeconfig *kc,
			    tfp_error *err)
{
	const char *s = kc_ystr(cl, "server");
	size_t n;

	if (!s)
		return tfp_err_set(err, TFP_E_CONFIG, 0,
				   "%s: cluster \"%s\" (context \"%s\") has no "
				   "server URL.",
				   kc->source, kc->cluster_name, kc->context);
	kc->server = strdup(s);
	if (!kc->server)
		return nomem(err);
	n = strlen(kc->server);
	while (n > 8 && kc->server[n - 1] == '/')
		kc->server[--n] = '\0';
	if (kc_ybool(cl, "insecure-skip-tls-verify",
		     &kc->insecure_skip_tls_verify))
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s: insecure-skip-tls-verify of cluster \"%s\" "
			"is not a boolean.",
			kc->source, kc->cluster_name);
	kc->tls_server_name = xdup(kc_ystr(cl, "tls-server-name"));
	s = kc_ystr(cl, "proxy-url");
	if (s && strncmp(s, "http://", 7) != 0 &&
	    strncmp(s, "https://", 8) != 0 && strncmp(s, "socks5://", 9) != 0)
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s: proxy-url of cluster \"%s\" must start with "
			"http://, https:// or socks5://.",
			kc->source, kc->cluster_name);
	kc->proxy_url = xdup(s);
	if ((s && !kc->proxy_url) ||
	    (kc_ystr(cl, "tls-server-name") && !kc->tls_server_name))
		return nomem(err);
	return load_pem(cl, "certificate-authority", dir, "the cluster", kc,
			&kc->ca_pem, &kc->ca_pem_len, err);
}

static int resolve_cluster(const yn *root, const char *dir, kubeconfig *kc,
			   tfp_error *err)
{
	const yn *cl;
	char names[256];
	bool found;
	int rc;

	cl = named_entry(root, "clusters", kc->cluster_name, "cluster", &found);
	if (!found || !cl || cl->kind != YN_MAP) {
		list_names(root, "clusters", names, sizeof(names));
		return tfp_err_set(err, TFP_E_CONFIG, 0,
				   "%s: cluster \"%.128s\" of context \"%s\" %s. "
				   "Available clusters: %s.",
				   kc->source, kc->cluster_name, kc->context,
				   found ? "has no cluster map" : "not found",
				   names[0] ? names : "(none)");
	}
	rc = cluster_settings(cl, dir, kc, err);
	if (rc)
		return rc;
	if (kc->ca_pem && kc->insecure_skip_tls_verify &&
	    add_warning(kc,
			"%s: cluster \"%s\" sets both a certificate "
			"authority and insecure-skip-tls-verify; the server "
			"certificate is not verified.",
			kc->source, kc->cluster_name))
		return nomem(err);
	return TFP_OK;
}

/* The user's credentials: client certificate, token, token file, exec. */
static int user_settings(const yn *us, const char *dir, kubeconfig *kc,
			 tfp_error *err)
{
	const char *s;
	int rc;

	if (kc_yget(us, "auth-provider"))
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s: user \"%s\" uses the legacy auth-provider "
			"mechanism, which is not supported. Use an exec "
			"credential plugin (users[].user.exec) instead.",
			kc->source, kc->user_name);
	if (kc_ystr(us, "username") || kc_ystr(us, "password"))
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s: user \"%s\" uses basic authentication "
			"(username/password), which Kubernetes no longer "
			"supports. Use a client certificate, a token or an "
			"exec plugin.",
			kc->source, kc->user_name);
	rc = load_pem(us, "client-certificate", dir, "the user", kc,
		      &kc->client_cert_pem, &kc->client_cert_pem_len, err);
	if (!rc)
		rc = load_pem(us, "client-key", dir, "the user", kc,
			      &kc->client_key_pem, &kc->client_key_pem_len,
			      err);
	if (rc)
		return rc;
	if (!kc->client_cert_pem != !kc->client_key_pem)
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s: user \"%s\" has a client %s but no "
			"client %s; set both client-certificate(-data) and "
			"client-key(-data).",
			kc->source, kc->user_name,
			kc->client_cert_pem ? "certificate" : "key",
			kc->client_cert_pem ? "key" : "certificate");
	kc->token = xdup(kc_ystr(us, "token"));
	s = kc_ystr(us, "tokenFile");
	if ((kc_ystr(us, "token") && !kc->token) ||
	    (s && !(kc->token_file = resolve_path(dir, s))))
		return nomem(err);
	return kc_yget(us, "exec") ?
		       load_exec(kc_yget(us, "exec"), dir, kc, err) :
		       TFP_OK;
}

static int resolve_user(const yn *root, const char *dir, kubeconfig *kc,
			tfp_error *err)
{
	const yn *us;
	char names[256];
	bool found;

	if (!kc->user_name)
		return TFP_OK; /* anonymous */
	us = named_entry(root, "users", kc->user_name, "user", &found);
	if (!found) {
		list_names(root, "users", names, sizeof(names));
		return tfp_err_set(err, TFP_E_CONFIG, 0,
				   "%s: user \"%.128s\" of context \"%s\" not "
				   "found. Available users: %s.",
				   kc->source, kc->user_name, kc->context,
				   names[0] ? names : "(none)");
	}
	return us && us->kind == YN_MAP ? user_settings(us, dir, kc, err) :
					  TFP_OK;
}

static int resolve(const yn *root, const char *dir, const char *ctx_override,
		   kubeconfig *kc, tfp_error *err)
{
	int rc;

	if (!root || root->kind != YN_MAP)
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"%s is not a kubeconfig (expected a YAML mapping "
			"with clusters, users and contexts).",
			kc->source);
	rc = resolve_context(root, ctx_override, kc, err);
	if (!rc)
		rc = resolve_cluster(root, dir, kc, err);
	if (!rc)
		rc = resolve_user(root, dir, kc, err);
	return rc;
}

/* ---- loading ------------------------------------------------------------- */

/* The directory of a file path (for relative references), or NULL. */
static char *dir_of(const char *path)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
	} else if (slash) {
		slash[1] = '\0';
	} else {
		free(dir);
		dir = NULL;
	}
	return dir;
}

/* Read the kubeconfig file into *file (wiped on free by the caller). */
static int read_kubeconfig(const char *path, kubeconfig *kc, char **file,
			   size_t *len, tfp_error *err)
{
	if (asprintf(&kc->source, "kubeconfig file %s", path) < 0) {
		kc->source = NULL;
		return nomem(err);
	}
	if (util_read_file(path, KC_MAX_INPUT, file, len) != 0)
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"cannot read kubeconfig file %s: %s%s", path,
			errno == EFBIG ? "larger than 4 MiB" : strerror(errno),
			errno == ENOENT ?
				". Set the provider's kubeconfig_path, "
				"kubeconfig, or KUBECONFIG." :
				"");
	return TFP_OK;
}

/* Parse and resolve `in` into kc. */
static int parse(const char *in, size_t len, const char *dir,
		 const char *context, kubeconfig *kc, tfp_error *err)
{
	ytree t;
	int rc;

	if (len > KC_MAX_INPUT)
		return tfp_err_set(err, TFP_E_CONFIG, 0,
				   "%s is larger than 4 MiB.", kc->source);
	rc = kc_yaml_parse(in, len, &t, err);
	if (rc)
		return tfp_err_set(err, rc, 0, "%s: %s", kc->source,
				   err ? err->message : "");
	rc = resolve(t.root, dir, context, kc, err);
	kc_yaml_free(&t);
	return rc;
}

DEFINE_CLEANUP_FUNC(kubeconfig, kubeconfig_free)

int kubeconfig_load(const kubeconfig_source *src, kubeconfig **out,
		    tfp_error *err)
{
	_cleanup_(kubeconfig_freep) kubeconfig *kc = calloc(1, sizeof(*kc));
	_cleanup_free_ char *dir = NULL;
	char *file = NULL;
	size_t len = 0;
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!kc)
		return nomem(err);
	if (src->content) {
		kc->source = strdup("inline kubeconfig");
		if (!kc->source)
			return nomem(err);
		len = src->content_len ? src->content_len :
					 strlen(src->content);
		rc = parse(src->content, len, NULL, src->context, kc, err);
	} else if (src->path && *src->path) {
		rc = read_kubeconfig(src->path, kc, &file, &len, err);
		if (!rc && !(dir = dir_of(src->path)) && strchr(src->path, '/'))
			rc = nomem(err);
		if (!rc)
			rc = parse(file, len, dir, src->context, kc, err);
		util_secret_free_n(file, len);
	} else {
		return tfp_err_set(
			err, TFP_E_CONFIG, 0,
			"no kubeconfig given: set the provider's "
			"kubeconfig_path or kubeconfig, or KUBECONFIG.");
	}
	if (rc)
		return rc;
	*out = TAKE_PTR(kc);
	return TFP_OK;
}

void kubeconfig_free(kubeconfig *kc)
{
	size_t i;

	if (!kc)
		return;
	free(kc->source);
	free(kc->context);
	free(kc->cluster_name);
	free(kc->user_name);
	free(kc->namespace);
	free(kc->server);
	free(kc->ca_pem);
	free(kc->tls_server_name);
	free(kc->proxy_url);
	free(kc->client_cert_pem);
	util_secret_free_n(kc->client_key_pem, kc->client_key_pem_len);
	util_secret_free(kc->token);
	free(kc->token_file);
	kc_exec_free(kc->exec);
	for (i = 0; i < kc->nwarnings; i++)
		free(kc->warnings[i]);
	free(kc->warnings);
	free(kc);
}

const char *kubeconfig_default_path(char *buf, size_t len)
{
	const char *env = getenv("KUBECONFIG");
	const char *home;
	size_t l;
	int n;

	if (env && *env) {
		l = strcspn(env, ":");
		if (l > 0) {
			if (l >= len)
				return NULL;
			memcpy(buf, env, l);
			buf[l] = '\0';
			return buf;
		}
	}
	home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	n = snprintf(buf, len, "%s/.kube/config", home);
	if (n < 0 || (size_t)n >= len)
		return NULL;
	return buf;
}
