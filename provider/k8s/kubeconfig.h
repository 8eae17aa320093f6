/* Kubeconfig loading: parse a kubeconfig (YAML, with libyaml) and resolve
 * one context into everything the HTTP client needs.
 *
 * Contract:
 *  - Input is bounded (KC_MAX_INPUT bytes, nesting depth, element counts);
 *    hostile input yields an error, never a crash or unbounded allocation.
 *  - Relative file paths inside a kubeconfig file (certificate-authority,
 *    client-certificate, client-key, tokenFile, a relative exec command
 *    containing '/') are resolved against the directory of that file;
 *    inline content resolves them against the current directory.
 *  - Referenced certificate/key files are read at load time (bounded);
 *    tokenFile is only recorded: the client re-reads it.
 *  - Errors (provider/err.h) are TFP_E_CONFIG with a message naming the
 *    kubeconfig source and the context/cluster/user concerned, and what to
 *    do; TFP_E_LIMIT past a bound of the YAML reader; TFP_E_NOMEM. They
 *    never contain secret values (tokens, keys, file contents).
 *  - Secret fields (token, client_key_pem) are wiped when freed. */
#ifndef K8S_KUBECONFIG_H
#define K8S_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "../err.h"

/* Largest kubeconfig accepted (file or inline). */
#define KC_MAX_INPUT (4u * 1024 * 1024)
/* Largest referenced certificate/key/token file. */
#define KC_MAX_FILE (1u * 1024 * 1024)

/* users[].user.exec: a client-go credential plugin. */
typedef struct kc_exec {
	char *api_version; /* client.authentication.k8s.io/v1 or v1beta1 */
	char *command;     /* as written, or resolved against the file dir */
	char **args;       /* nargs strings */
	size_t nargs;
	char **env_names; /* nenv name/value pairs added to the env */
	char **env_values;
	size_t nenv;
	char *install_hint; /* may be NULL; shown when the command is missing */
	char *interactive_mode; /* "Never", "IfAvailable", "Always" or NULL */
	bool provide_cluster_info;
} kc_exec;

/* One resolved context. Strings are malloc'd NUL-terminated, NULL when not
 * set. PEM blobs are the decoded *-data or the referenced file contents. */
typedef struct kubeconfig {
	char *source;  /* "kubeconfig file /path" or "inline kubeconfig" */
	char *context; /* resolved context name */
	char *cluster_name;
	char *user_name;
	char *namespace; /* contexts[].context.namespace, or NULL */

	/* clusters[].cluster */
	char *server; /* https://host:port[/prefix], no trailing '/' */
	char *ca_pem; /* certificate-authority(-data) */
	size_t ca_pem_len;
	bool insecure_skip_tls_verify;
	char *tls_server_name;
	char *proxy_url; /* http://, https:// or socks5:// proxy, or NULL:
				 * then the usual proxy environment variables
				 * (https_proxy, no_proxy, ...) apply */

	/* users[].user (a user may have none of these: anonymous) */
	char *client_cert_pem; /* client-certificate(-data) */
	size_t client_cert_pem_len;
	char *client_key_pem; /* client-key(-data); SECRET */
	size_t client_key_pem_len;
	char *token;      /* SECRET */
	char *token_file; /* absolute or as given */
	kc_exec *exec;    /* NULL when no exec plugin */

	/* Non-fatal findings (e.g. a CA together with
	 * insecure-skip-tls-verify). Never contain secrets. */
	char **warnings;
	size_t nwarnings;
} kubeconfig;

/* Where to read from. Exactly one of `path` / `content` (content wins if
 * both are set). `context` overrides current-context when non-NULL/empty. */
typedef struct kubeconfig_source {
	const char *path;
	const char *content;
	size_t content_len; /* 0: strlen(content) */
	const char *context;
} kubeconfig_source;

/* Load and resolve. TFP_OK and *out (caller frees with kubeconfig_free),
 * or an error (see the top of this file) with a one-paragraph message in
 * err (may be NULL). Fails when the context, its cluster, or the cluster's
 * server is missing, when a referenced file cannot be read, when *-data is
 * not valid base64, when the user uses the legacy auth-provider or basic
 * auth, or when the exec apiVersion is not v1/v1beta1. */
int kubeconfig_load(const kubeconfig_source *src, kubeconfig **out,
		    tfp_error *err);

void kubeconfig_free(kubeconfig *kc); /* NULL-tolerant; wipes secrets */

/* The default kubeconfig path: the first entry of $KUBECONFIG (':'
 * separated), else $HOME/.kube/config. Writes into buf; returns buf, or
 * NULL when neither is available (no HOME) or it does not fit. Does not
 * check that the file exists. */
const char *kubeconfig_default_path(char *buf, size_t len);

/* A deep copy of an exec plugin's settings (NULL when out of memory),
 * and its destructor (NULL-tolerant; wipes the env values). */
kc_exec *kc_exec_dup(const kc_exec *e);
void kc_exec_free(kc_exec *e);

#endif
