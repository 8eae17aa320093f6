/* client-go exec credential plugins (users[].user.exec of a kubeconfig):
 * run the command with KUBERNETES_EXEC_INFO, read an ExecCredential from
 * its stdout. A leaf of the Kubernetes client: it knows the plugin protocol
 * and nothing of the client (k8s_creds.c caches what it returns).
 *
 * Bounds: K8S_EXEC_TIMEOUT_S wall time (the plugin is killed after it, or
 * when the stop flag rises), K8S_EXEC_MAX_OUTPUT bytes of stdout, 1 KiB of
 * stderr kept for the message. stdin is /dev/null: providers are never
 * interactive. The plugin's stdout holds secrets: it is wiped, never
 * logged, never quoted in errors. */
#ifndef K8S_EXEC_H
#define K8S_EXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../err.h"
#include "kubeconfig.h"

#define K8S_EXEC_TIMEOUT_S 60
#define K8S_EXEC_MAX_OUTPUT (1u * 1024 * 1024)

/* What a plugin run needs; everything is borrowed. */
typedef struct k8s_exec_ctx {
	const kc_exec *exec;
	/* spec.cluster when exec->provide_cluster_info */
	const char *server;
	const char *tls_server_name; /* may be NULL */
	const char *ca_pem;          /* may be NULL */
	size_t ca_len;
	bool insecure;
	/* for messages */
	const char *user_name;
	const char *source;
	atomic_int *stop; /* may be NULL */
} k8s_exec_ctx;

/* A credential the plugin printed. Secret fields; k8s_exec_cred_done
 * wipes them. */
typedef struct k8s_exec_cred {
	char *token;
	char *cert_pem;
	char *key_pem;
	time_t expires; /* 0: no expiry */
} k8s_exec_cred;

void k8s_exec_cred_done(k8s_exec_cred *ec);

/* Run the plugin once. TFP_OK with *out filled; TFP_E_CREDENTIALS (the
 * message names the command, the user and what to do, never the output),
 * TFP_E_CANCELLED (the stop flag), TFP_E_NOMEM. */
int k8s_exec_run(const k8s_exec_ctx *x, k8s_exec_cred *out, tfp_error *err);

/* RFC 3339 timestamp -> time_t (UTC); -1 on error. */
time_t k8s_parse_time(const char *s);

#endif
