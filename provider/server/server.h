/* The plugin server: go-plugin handshake, AutoMTLS, the gRPC C-core
 * completion-queue loop and dispatch. It knows method names and bytes only;
 * protobuf decoding and Terraform semantics live in provider/rpc.
 *
 * Life cycle (srv_run):
 *  1. check TF_PLUGIN_MAGIC_COOKIE (else a human message on stderr, exit 1)
 *     and that PLUGIN_PROTOCOL_VERSIONS (a set) contains 6;
 *  2. create a fresh self-signed certificate (when PLUGIN_CLIENT_CERT is set)
 *     and listen on a unix socket in a private temp directory;
 *  3. print and flush "1|6|unix|<path>|grpc|<unpadded base64 DER>";
 *  4. serve: each registered call (unary or server-streaming) runs on its
 *     own worker thread (kept between calls) so blocking handlers never
 *     stall each other; any other method is answered UNIMPLEMENTED at
 *     once;
 *     plugin.GRPCController/Shutdown ends the loop;
 *  5. shut down in gRPC's order, remove the socket, return the exit code.
 * SIGINT is ignored (Terraform sends StopProvider instead). */
#ifndef SRV_SERVER_H
#define SRV_SERVER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* gRPC status codes used by handlers. */
enum {
	SRV_STATUS_OK = 0,
	SRV_STATUS_CANCELLED = 1,
	SRV_STATUS_INVALID_ARGUMENT = 3,
	SRV_STATUS_UNIMPLEMENTED = 12,
	SRV_STATUS_INTERNAL = 13,
};

/* How a method answers: one message, or a stream of them. Every method
 * takes exactly one request message. */
typedef enum srv_method_kind {
	SRV_UNARY = 0,
	SRV_SERVER_STREAM = 1,
} srv_method_kind;

/* A method to register. */
typedef struct srv_method {
	const char *path; /* "/tfplugin6.Provider/ReadResource" */
	srv_method_kind kind;
	const void *data; /* the application's, handed back untouched */
} srv_method;

/* Unary handler, called on a worker thread, concurrently with others.
 * `m` is the registered method. On SRV_STATUS_OK, *resp must be a
 * malloc'd serialized response (may be NULL with *resp_len 0 for an empty
 * message); the server frees it. Other statuses send no message;
 * `*status_msg` may point to a static string. */
typedef int (*srv_unary_fn)(void *app, const srv_method *m, const uint8_t *req,
			    size_t req_len, uint8_t **resp, size_t *resp_len,
			    const char **status_msg);

/* A server-streaming call in progress; valid only during the handler. */
typedef struct srv_stream srv_stream;

/* Server-streaming handler, on a worker thread like unary ones. It sends
 * each message with srv_stream_send() as it is produced and returns the
 * status the call ends with (`*status_msg` as for unary handlers). If the
 * stream already ended (srv_stream_send returned < 0) the status is not
 * delivered: the call was cancelled. */
typedef int (*srv_stream_fn)(void *app, const srv_method *m, const uint8_t *req,
			     size_t req_len, srv_stream *out,
			     const char **status_msg);

/* srv_stream_send results besides 0. */
enum {
	SRV_STREAM_CLOSED = -1,  /* the client cancelled or went away, or the
				  * message could not be sent */
	SRV_STREAM_STOPPED = -2, /* stop flag or server shutdown: the call was
				  * ended with CANCELLED */
	SRV_STREAM_STALLED = -3, /* the client took no message for the stall
				  * bound: ended with DEADLINE_EXCEEDED */
};

/* Send one serialized message on `st`, taking `msg` (malloc'd, `len`
 * bytes; freed by the server whatever the result). Flow control: at most
 * one message per call is in flight; this returns once gRPC has taken it
 * (the client's HTTP/2 window had room), so memory stays bounded by one
 * message however long the stream. While waiting it watches the stop
 * flag and server shutdown (and ends the call with CANCELLED at once) and
 * the stall bound. Returns 0 or one of SRV_STREAM_*; once negative, every
 * later call returns the same without sending. Handler thread only. */
int srv_stream_send(srv_stream *st, uint8_t *msg, size_t len);

/* Process-wide counters of the streaming path, for tests and debugging:
 * bytes of stream messages held by the server (given to
 * srv_stream_send, not yet released by gRPC) now and at most, and the
 * most sends ever in flight on one call (1 by design). */
typedef struct srv_stream_stats {
	size_t live_bytes;
	size_t max_live_bytes;
	unsigned max_in_flight;
} srv_stream_stats;
void srv_stream_stats_get(srv_stream_stats *out);

/* Default stall bound: a client that takes no message for this long ends
 * its stream (Terraform reads as fast as events come). */
#define SRV_STREAM_STALL_MS_DEFAULT (5 * 60 * 1000)

typedef struct srv_config {
	const srv_method *methods; /* n_methods entries */
	size_t n_methods;
	srv_unary_fn unary;   /* for SRV_UNARY methods */
	srv_stream_fn stream; /* for SRV_SERVER_STREAM methods */
	void *app;
	/* Optional: the application's stop flag (StopProvider). Once it is
	 * non-zero, streams in progress end with CANCELLED (srv_stream_send
	 * returns SRV_STREAM_STOPPED); unary calls are the handlers' to stop. */
	const atomic_int *stop;
	unsigned stream_stall_ms; /* 0: SRV_STREAM_STALL_MS_DEFAULT */
	/* Debug mode (-debug): no cookie needed, plaintext, print the
	 * TF_REATTACH_PROVIDERS value for `reattach_address` instead of the
	 * handshake, and keep serving until SIGTERM/Ctrl-C. */
	int debug;
	const char *reattach_address; /* "registry.terraform.io/lxdcapi/lxd" */
} srv_config;

/* Run the server; returns the process exit code. */
int srv_run(const srv_config *cfg);

/* Pure helpers, exposed for unit tests. */
/* Does the comma-separated PLUGIN_PROTOCOL_VERSIONS value contain 6? */
int srv_protocol_versions_ok(const char *env);

#endif
