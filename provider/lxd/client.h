/* LXD REST client: LXD's protocol (envelopes, async operations, ETags,
 * which answers mean "not ready yet") over the HTTP layer
 * (provider/http/http.h: one exchange, retries, the "not answering"
 * breaker). Knows nothing about Terraform: returns parsed JSON and typed
 * errors that resources turn into diagnostics.
 *
 * Thread safety: one lxd_client may be used from many threads at once (each
 * exchange uses its own curl easy handle); the cached server info is guarded.
 *
 * Retries (see docs/internals/architecture.md): GET, PUT, PATCH and DELETE
 * are retried on connection failures and transient answers (502/503/504,
 * LXD starting or its cluster database not ready) within a retry budget
 * (default: the request timeout); POST only when it was provably not sent
 * or refused unprocessed, or after a verify callback says it did not take
 * effect (lxd_request_verify). Once a request times out with the
 * connection open (a frozen LXD), or a whole budget is spent on refused
 * connections, later requests fail at once with the same message until
 * the server answers a probe again.
 *
 * Return codes (provider/err.h): TFP_OK (0) or a negative tfp_code. On
 * failure the optional tfp_error receives the HTTP status and LXD's own
 * message (kept verbatim: HTTP codes are not a reliable classifier, the
 * message is what users need), and outcome_unknown (see
 * tfp_err_outcome_unknown): a request that is not idempotent (POST) was
 * sent and no answer, or only a transient one, came back and no verify
 * callback settled it; or waiting for an async operation failed without
 * the operation itself failing (LXD restarted and forgot it, the wait
 * timed out, was cancelled, or LXD stopped answering). A resource then
 * records what it can see as partial state instead of assuming nothing
 * happened. LXD's answers map through the common status table
 * (http_status_code) except that 401 is TFP_E_FORBIDDEN like 403 (not
 * trusted), 502/504 (a proxy in front of LXD) are TFP_E_SERVER, and
 * "already exists" in LXD's message is TFP_E_EXISTS whatever the status;
 * failed operations are TFP_E_SERVER. Output parameters are written only
 * on success, and are owned by the caller (json_decref / free). */
#ifndef LXD_CLIENT_H
#define LXD_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "provider/err.h"
#include "provider/http/http.h"

/* Replies larger than this are rejected with TFP_E_PROTOCOL. */
#define LXD_MAX_RESPONSE (64u * 1024 * 1024)

/* A raw HTTP exchange, for the pluggable transport used by unit tests.
 * The transport fills status, a malloc'd body (may be NULL) and optional
 * malloc'd etag / location header values, and returns 0; or it returns a
 * negative http_class to simulate a failed exchange: HTTP_E_NOT_SENT
 * (connection refused, no socket), HTTP_E_NO_ANSWER (sent, then reset or
 * EOF), HTTP_E_TIMEOUT (sent, no answer in time), HTTP_E_TLS, ... */
typedef struct lxd_http_reply {
	int status;
	char *body;
	size_t body_len;
	char *etag;
	char *location;
} lxd_http_reply;

typedef int (*lxd_transport_fn)(void *ud, const char *method, const char *path,
				const char *body, const char *if_match,
				lxd_http_reply *reply);

typedef struct lxd_client_opts {
	/* Exactly one way to reach the server: a unix socket (socket_path, or
	 * resolved with lxd_socket_resolve() when both are NULL), an HTTPS url
	 * ("https://203.0.113.1:8443"), or a test transport. */
	const char *socket_path;
	const char *url;
	/* HTTPS: client certificate and key (PEM contents, not paths) and the
	 * server pin: either its certificate PEM or its SHA-256 fingerprint
	 * (lowercase hex of the DER). Without a pin the connection is refused
	 * unless insecure_skip_verify is set. */
	const char *client_cert_pem;
	const char *client_key_pem;
	const char *server_cert_pem;
	const char *server_fingerprint;
	bool insecure_skip_verify;
	const char *project;      /* default "default" */
	long request_timeout_ms;  /* one HTTP exchange; default 30000 */
	long retry_budget_ms;     /* retries of one request; 0: the request
				   * timeout; < 0: no retries */
	long backoff_cap_ms;      /* longest pause between retries; default
				   * 4000 (the first pause is at most 250) */
	long operation_timeout_s; /* one async operation; default 600 */
	atomic_int *stop; /* abort promptly when non-zero; may be NULL */
	lxd_transport_fn transport; /* tests only */
	void *transport_ud;
} lxd_client_opts;

typedef struct lxd_client lxd_client;

/* Resolve the unix socket path of a local LXD or Incus server, first
 * match wins: $LXD_SOCKET, $LXD_DIR/unix.socket, $INCUS_SOCKET,
 * $INCUS_DIR/unix.socket (a set variable is used whether or not the socket
 * exists), then /var/snap/lxd/common/lxd/unix.socket (if writable),
 * /var/lib/lxd/unix.socket, /var/lib/incus/unix.socket (if present).
 * Writes into buf; returns buf, or NULL if none applies or buf is too
 * small. */
const char *lxd_socket_resolve(char *buf, size_t len);

int lxd_client_new(const lxd_client_opts *o, lxd_client **out, tfp_error *err);
void lxd_client_free(lxd_client *c); /* NULL-tolerant */
const char *lxd_client_project(const lxd_client *c);

/* Request flags. */
enum {
	LXD_REQ_PROJECT = 1u << 0, /* append project=<project> to the query */
	LXD_REQ_NO_WAIT = 1u << 1, /* do not wait for an async operation */
};

typedef struct lxd_response {
	int http_status;
	json_t *metadata; /* sync metadata, or for async the finished
			    * operation's metadata (the operation object);
			    * JSON null when `verified` */
	char *etag;       /* ETag header without changes, or NULL */
	char *operation;  /* "/1.0/operations/<id>" for async, or NULL */
	bool verified;    /* no answer to show: the verify callback found
			    * that the request took effect */
} lxd_response;

void lxd_response_done(lxd_response *r);

/* One request. `path` starts with "/1.0" and may carry a query string;
 * `body` is borrowed (NULL for none); `if_match` may be NULL.
 * Handles sync, async and error envelopes. An async reply is waited for
 * (bounded by operation_timeout_s, checking the stop flag) unless
 * LXD_REQ_NO_WAIT (then metadata is the operation as first returned); a
 * failed operation (status_code >= 400 or err set) is TFP_E_SERVER, or
 * TFP_E_EXISTS when err says "already exists", with err as message.
 * `out` may be NULL; it is written only on success (start from {0}). */
int lxd_request(lxd_client *c, const char *method, const char *path,
		const json_t *body, const char *if_match, unsigned flags,
		lxd_response *out, tfp_error *err);

/* Did a request whose outcome is unknown take effect? Called (on the
 * requesting thread, possibly more than once, at most 3 times) after a POST
 * got no answer or only a transient one; typically a GET of what the POST
 * creates, through the same client. */
typedef enum lxd_verdict {
	LXD_TOOK_EFFECT = HTTP_TOOK_EFFECT, /* success: not resent */
	LXD_DID_NOT_TAKE_EFFECT = HTTP_DID_NOT_TAKE_EFFECT, /* resent */
	LXD_CANNOT_TELL = HTTP_CANNOT_TELL, /* error, outcome unknown */
} lxd_verdict;
typedef lxd_verdict (*lxd_verify_fn)(lxd_client *c, void *arg);

/* lxd_request with a verify callback (for POSTs; `verify` may be NULL).
 * When the callback says the request took effect, returns TFP_OK with
 * out->verified set and out->metadata JSON null: callers that need the
 * answer's metadata (an operation's secret, say) must not use this. */
int lxd_request_verify(lxd_client *c, const char *method, const char *path,
		       const json_t *body, unsigned flags, lxd_verify_fn verify,
		       void *verify_arg, lxd_response *out, tfp_error *err);

/* GET convenience: metadata and (optionally) ETag. */
int lxd_get(lxd_client *c, const char *path, unsigned flags, json_t **metadata,
	    char **etag, tfp_error *err);

/* Wait for an operation ("/1.0/operations/<id>") up to timeout_s. A wait
 * that ends without the operation's own result (LXD forgot it: 404 after a
 * restart; LXD unreachable or not answering; the deadline; the stop flag)
 * sets err->outcome_unknown; a 404 is then TFP_E_UNAVAILABLE, never
 * TFP_E_NOTFOUND. */
int lxd_wait_operation(lxd_client *c, const char *op_path, long timeout_s,
		       json_t **op_out, tfp_error *err);

/* Read-modify-write with ETag/If-Match, retried on 412 (up to 5 times):
 * GET path, hand the metadata to `mutate` which builds the PUT body (new
 * reference in *body; return TFP_OK, or an error to stop), PUT with If-Match.
 * A GET without ETag (5.0.2 storage pools never send one) is PUT without
 * If-Match. */
typedef int (*lxd_mutate_fn)(json_t *current, void *arg, json_t **body,
			     tfp_error *err);
int lxd_update_etag(lxd_client *c, const char *path, unsigned flags,
		    lxd_mutate_fn mutate, void *arg, tfp_error *err);

/* GET /1.0, cached for the client's life time (borrowed). */
int lxd_server_info(lxd_client *c, const json_t **info, tfp_error *err);
/* GET /1.0/cluster/members (the list of member URLs), cached for the
 * client's life time like GET /1.0: one request per provider process, not
 * one per resource. *list is a new reference. */
int lxd_cluster_members(lxd_client *c, json_t **list, tfp_error *err);
/* Drop the cached GET /1.0 and member list (after a change that alters
 * them, e.g. clustering was enabled, a member joined or left); the next
 * call fetches them again. Pointers previously returned by
 * lxd_server_info() stay valid until lxd_client_free(). */
void lxd_server_info_forget(lxd_client *c);
/* Is the API extension present? (false if the server is unreachable) */
bool lxd_has_extension(lxd_client *c, const char *ext);
/* The server's kind and version from GET /1.0 (environment.server and
 * server_version), e.g. "LXD 5.0.2" or "Incus 6.0.4", written into buf;
 * "the server" when it cannot be read. Returns buf. For messages only:
 * features are chosen by API extension (lxd_has_extension), never by the
 * version. */
const char *lxd_server_describe(lxd_client *c, char *buf, size_t len);

/* Is LXD considered answering? (false once a request timed out with the
 * connection open, or a retry budget was spent on refused connections,
 * until LXD answers again) */
bool lxd_client_answering(lxd_client *c);
/* Transport counters (exchanges, retries, fast failures, ...). */
void lxd_client_stats(lxd_client *c, http_stats *out);

/* Percent-encode one path segment (malloc'd). */
char *lxd_escape(const char *segment);

#endif
