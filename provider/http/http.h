/* HTTP transport shared by the REST clients (LXD and Kubernetes): one
 * request/response shape, one exchange over libcurl (bounded body sink,
 * ETag / Location / Retry-After capture, Warning headers logged, stop flag,
 * timeouts, TLS: CA, client certificate per client or per request, SHA-256
 * pin, tls-server-name, proxy), the one mapping of curl, TLS and HTTP
 * failures to the error model (provider/err.h), retries with capped
 * exponential backoff and jitter inside a retry budget, and a per-client
 * breaker that fails requests at once while the server is known not to
 * answer.
 *
 * Path of a request: http_send() -> breaker admission -> one exchange
 * (libcurl, or the test transport) -> failure class or answer class ->
 * policy (http_policy.h: retry, verify, give up) -> backoff sleep (stop
 * flag honoured) -> next exchange, until an answer, a final failure, or
 * the retry budget (or the retry count) is spent.
 *
 * Knows no protocol: what a 503 body means is the caller's classify hook,
 * whether a POST took effect is the caller's verify hook, what an error
 * answer says (an LXD envelope, a Kubernetes Status) is the caller's to
 * read; http_status_code() is the common HTTP status -> tfp_code table.
 *
 * THREAD SAFETY: an http_client may be used from many threads at once;
 * every exchange uses its own curl handle, the breaker and the counters are
 * internally synchronised. Hooks may run on any calling thread.
 *
 * RETURN CODES: TFP_OK when an answer arrived (any HTTP status; the caller
 * interprets it), or a negative tfp_code with the optional tfp_error
 * filled: TFP_E_UNAVAILABLE (not sent, or no answer), TFP_E_TIMEOUT,
 * TFP_E_TLS, TFP_E_PROTOCOL (not HTTP, or larger than the cap),
 * TFP_E_CANCELLED, TFP_E_INVALID, TFP_E_NOMEM. The optional http_fate says
 * what is known of the request's fate. Outputs are written only on success
 * and belong to the caller (http_response_done).
 *
 * SECRETS: bodies, header values and client keys are never logged nor put in
 * messages; extra header lines are wiped after use, keys on free. */
#ifndef TFP_HTTP_H
#define TFP_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "provider/err.h"

/* How one exchange failed: what is known about the request's fate. The
 * vocabulary of test transports (http_transport_fn) and of http_fate. */
typedef enum http_class {
	HTTP_OK = 0,
	HTTP_E_NOMEM = -1,    /* out of memory */
	HTTP_E_INVALID = -2,  /* bad request or client settings; nothing sent */
	HTTP_E_NOT_SENT = -3, /* never reached the server: connection refused,
				* no socket, name not resolved, connect
				* timeout, connection dropped during the TLS
				* handshake. Safe to retry for any method. */
	HTTP_E_NO_ANSWER = -4, /* sent (maybe partly), then reset / EOF /
				* partial answer: outcome unknown */
	HTTP_E_TIMEOUT = -5,   /* no complete answer within the request
				* timeout: outcome unknown if it was sent; the
				* server is frozen or overloaded */
	HTTP_E_TLS = -6,       /* handshake, certificate or pin failure;
				* nothing sent */
	HTTP_E_TOO_BIG = -7,   /* answer larger than the cap (it was
				* processed) */
	HTTP_E_CANCELLED = -8, /* the stop flag was raised */
	HTTP_E_PROTOCOL = -9,  /* the answer was not valid HTTP */
} http_class;

/* What is known about a failed request beyond its tfp_error. */
typedef struct http_fate {
	int cls;        /* http_class of the failure */
	bool sent;      /* the request may have reached the server */
	bool fast_fail; /* refused by the breaker without sending */
} http_fate;

typedef struct http_response {
	int status; /* HTTP status; 0 when `verified` */
	char *body; /* NUL-terminated, or NULL */
	size_t body_len;
	char *etag; /* raw header values (trimmed), or NULL */
	char *location;
	char *retry_after;
	bool verified; /* no answer: the verify hook found that the request
			    * took effect */
	bool outcome_unknown; /* the answer is a transient error to a request
			       * that is not idempotent and may have been
			       * processed */
	unsigned attempts;    /* exchanges made for this request */
} http_response;

/* Free the contents and zero *r (NULL-tolerant). */
void http_response_done(http_response *r);

/* What a non-2xx answer means for retrying (the classify hook). */
typedef enum http_answer {
	HTTP_ANSWER_FINAL = 0, /* definitive: success or a real error */
	HTTP_ANSWER_REJECTED,  /* transient and certainly not processed (e.g.
				* 429, LXD "daemon setup in progress"):
				* retried for any method */
	HTTP_ANSWER_TRANSIENT, /* transient, maybe processed (502/503/504, a
				* database not ready, a webhook not up):
				* retried when idempotent, verified otherwise */
} http_answer;

/* Did a request whose outcome is unknown take effect? (the verify hook;
 * typically a GET of what a POST creates). */
typedef enum http_verdict {
	HTTP_TOOK_EFFECT = 1,         /* done: do not send it again */
	HTTP_DID_NOT_TAKE_EFFECT = 2, /* send it again */
	HTTP_CANNOT_TELL = 3,         /* give up: outcome unknown */
} http_verdict;

typedef http_verdict (*http_verify_fn)(void *ud);

typedef struct http_request {
	const char *method; /* "GET", "PUT", ... (printable, no space) */
	const char *path;   /* appended to the base URL; starts with '/' */
	const char *body;   /* NUL-terminated, borrowed; NULL for none */
	const char *content_type; /* with a body; default "application/json" */
	const char *if_match;     /* If-Match value, or NULL */
	const char *const *headers; /* extra "Name: value" lines, NULL-ended;
				     * may hold secrets (never logged; the
				     * copies handed to libcurl are wiped) */
	/* A client certificate for this request only (both or neither),
	 * instead of the client's: credentials that rotate (Kubernetes exec
	 * plugins). Borrowed for the call. */
	const char *client_cert_pem;
	const char *client_key_pem;
	long timeout_ms;       /* one exchange; 0: the client's */
	long budget_ms;        /* retry budget; 0: the client's; < 0: none */
	http_verify_fn verify; /* for methods that are not idempotent */
	void *verify_ud;
} http_request;

typedef http_answer (*http_classify_fn)(void *ud, const http_request *req,
					const http_response *resp);

/* Stock classification: 502/503/504 transient, 429 rejected, else final. */
http_answer http_classify_default(const http_response *resp);

/* The common meaning of an HTTP error status: 400/415/422 TFP_E_INVALID,
 * 401 UNAUTHORIZED, 403 FORBIDDEN, 404 NOTFOUND, 409 CONFLICT, 410 GONE,
 * 412 PRECONDITION, 429/502/503 UNAVAILABLE, 504 TIMEOUT, other 5xx SERVER,
 * anything else INVALID. A protocol refines it from the body (Kubernetes:
 * 409 AlreadyExists is EXISTS; LXD: its messages). */
int http_status_code(int status);

/* Test transport, replacing libcurl: fill resp (malloc'd strings) and
 * return HTTP_OK, or return a negative http_class to simulate a failure
 * (HTTP_E_NOT_SENT, HTTP_E_NO_ANSWER, HTTP_E_TIMEOUT, ...). */
typedef int (*http_transport_fn)(void *ud, const http_request *req,
				 http_response *resp);

/* Backoff jitter (http_policy.h). */
typedef enum http_jitter {
	HTTP_JITTER_FULL = 0, /* uniform in [0, ceiling] */
	HTTP_JITTER_EQUAL,    /* half the ceiling, plus up to the other half */
} http_jitter;

typedef struct http_client_opts {
	const char *base_url; /* "http://lxd", "https://host:port[/prefix]" */
	const char *unix_socket; /* connect here instead of the URL's host */
	const char *label;       /* names the server in messages, e.g.
				  * "LXD at unix:/var/lib/lxd/unix.socket";
				  * default base_url */
	const char *log_name;    /* log prefix ("LXD GET /1.0: HTTP 200",
				  * "LXD API warning: ..."); default "HTTP" */
	const char *user_agent;  /* default "terraform-provider-lxdcapi" */
	/* TLS (https only). Strings are copied. */
	const char *ca_pem;          /* trust exactly these CAs; NULL: system */
	size_t ca_len;               /* 0: strlen(ca_pem) */
	const char *client_cert_pem; /* for every request that names none */
	const char *client_key_pem;  /* wiped on free */
	const char *pin_sha256; /* accept only the leaf certificate with this
				  * SHA-256 (64 lowercase hex); replaces
				  * chain and host name checks */
	const char *tls_server_name; /* verify and send SNI for this name while
				      * connecting to the URL's host */
	const char *proxy;           /* NULL: libcurl's proxy environment */
	bool insecure;               /* no server verification at all */
	/* Bounds; 0 picks the default. */
	long request_timeout_ms; /* one exchange; default 30000 */
	long connect_timeout_ms; /* default min(10000, request timeout) */
	long retry_budget_ms;    /* time for retries of one request, from its
				  * first attempt; default the request
				  * timeout; < 0: never retry */
	unsigned max_retries;    /* retries of one request; 0: only the budget
				  * bounds them */
	long backoff_base_ms;    /* default 250 */
	long backoff_cap_ms;     /* default 4000 */
	http_jitter jitter;      /* default full jitter */
	long max_retry_after_ms; /* longest Retry-After waited; default 30000 */
	bool retry_after_capped; /* a longer one: wait max_retry_after_ms
				  * (false: give up at once) */
	long breaker_cooldown_ms; /* breaker open this long before one probe;
				  * default the request timeout */
	size_t max_response;      /* default 64 MiB */
	atomic_int *stop; /* abort promptly when non-zero; may be NULL */
	http_classify_fn classify; /* default http_classify_default */
	void *classify_ud;
	http_transport_fn transport; /* tests only */
	void *transport_ud;
} http_client_opts;

typedef struct http_client http_client;

/* Validate and copy the options; contacts nothing. TFP_E_INVALID with a
 * message for bad settings (URL not http(s) or without a usable host and
 * port, certificate without key, bad pin), TFP_E_TLS when pinning is not
 * possible with this libcurl, TFP_E_NOMEM. */
int http_client_new(const http_client_opts *o, http_client **out,
		    tfp_error *err);
void http_client_free(http_client *c); /* NULL-tolerant */

long http_client_request_timeout_ms(const http_client *c);
const char *http_client_label(const http_client *c); /* borrowed */

/* One request with retries (see the top of this file and http_policy.h).
 * On TFP_OK, *resp holds the last answer (caller frees it), or
 * resp->verified when the verify hook said the request took effect. On
 * failure *err says what is known; err->outcome_unknown is set when a
 * request that is not idempotent may have taken effect. While the breaker
 * is open, fails at once (fate->fast_fail) with the code and message of
 * the failure that opened it. err and fate may be NULL. */
int http_send(http_client *c, const http_request *req, http_response *resp,
	      tfp_error *err);
int http_send_fate(http_client *c, const http_request *req, http_response *resp,
		   tfp_error *err, http_fate *fate);

/* Is the server currently considered answering? (false while the breaker
 * is open) */
bool http_client_answering(http_client *c);

/* Counters since creation, for tests and debug logs. */
typedef struct http_stats {
	unsigned long exchanges;  /* exchanges attempted (curl or transport) */
	unsigned long retries;    /* exchanges that were retries */
	unsigned long fast_fails; /* requests refused by the open breaker */
	unsigned long verifies;   /* verify hook calls */
	unsigned long trips;      /* times the breaker opened */
} http_stats;
void http_client_stats(http_client *c, http_stats *out);

/* "not sent", "timed out", ... */
const char *http_class_str(int cls);

#endif
