/* Private to the k8s client files (k8s_client.c, k8s_exec.c,
 * k8s_discovery.c, k8s_errors.c). */
#ifndef K8S_INTERNAL_H
#define K8S_INTERNAL_H

#include <pthread.h>
#include <time.h>

#include "k8s_client.h"

/* A credential produced by an exec plugin. Secret fields are wiped. */
typedef struct k8s_exec_cred {
	char *token;
	char *cert_pem;
	char *key_pem;
	time_t expires; /* 0: no expiry */
} k8s_exec_cred;

void k8s_exec_cred_done(k8s_exec_cred *ec);

struct k8s_client {
	char *base_url;        /* as in the kubeconfig, no trailing '/' */
	char *url_host;        /* for tls-server-name: host and port parsed */
	long url_port;
	char *url_rest;        /* path prefix after host:port, may be "" */
	char *tls_server_name;
	char *proxy_url;
	char *ca_pem;
	size_t ca_len;
	bool insecure;
	char *cert_pem;        /* static client certificate (kubeconfig) */
	char *key_pem;         /* SECRET */
	char *token;           /* SECRET: static token */
	char *token_file;
	kc_exec *exec;         /* deep copy, or NULL */
	char *source;          /* kubeconfig source, for messages */
	char *context;
	char *user_name;
	char *namespace;
	char *user_agent;
	char *field_manager;
	long timeout_ms;
	atomic_int *stop;
	k8s_transport_fn transport;
	void *transport_ud;
	char **warnings;
	size_t nwarnings;

	/* Credential cache, guarded by cred_lock. exec_lock serialises plugin
	 * runs (held while running; never while holding cred_lock). */
	pthread_mutex_t cred_lock;
	pthread_mutex_t exec_lock;
	k8s_exec_cred exec_cred;
	bool have_exec_cred;
	unsigned exec_generation; /* bumped on every plugin run */
	char *file_token;         /* SECRET: last read of token_file */
	time_t file_token_read;

	/* Set once a request timed out (the server stopped answering):
	 * later requests fail at once with dead_msg (guarded by dead_lock). */
	atomic_int dead;
	pthread_mutex_t dead_lock;
	char dead_msg[K8S_ERRMSG_MAX];

	/* Discovery cache, guarded by disc_lock. */
	pthread_mutex_t disc_lock;
	json_t *apis;          /* GET /apis reply */
	json_t *gv_lists;      /* object: "group/version" -> APIResourceList */
	json_t *strings;       /* array keeping resolved strings alive */
	k8s_capi capi;
	bool have_capi;
};

/* Record a failure in the optional err and return code. */
int k8s_set_err(k8s_error *err, int code, int http_status, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));
/* Fill err from a non-2xx reply (a Status body or raw text). Returns the
 * mapped code. */
int k8s_status_error(int http_status, const char *body, size_t len,
		     k8s_error *err);

/* Sleep up to ms, waking early (returning false) when the stop flag rises. */
bool k8s_sleep(k8s_client *c, long ms);
bool k8s_stopped(const k8s_client *c);

/* Run the exec plugin once (bounded by K8S_EXEC_TIMEOUT_S and the stop
 * flag). Returns K8S_OK with *out filled, or K8S_E_CREDENTIALS (message
 * names the command and what to do, never the output). */
int k8s_exec_run(k8s_client *c, k8s_exec_cred *out, k8s_error *err);
/* RFC 3339 timestamp -> time_t (UTC); -1 on error. */
time_t k8s_parse_time(const char *s);


#endif
