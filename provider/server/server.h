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
 *  4. serve: each registered unary call runs on its own thread so blocking
 *     handlers never stall each other; any other method is answered
 *     UNIMPLEMENTED at once; plugin.GRPCController/Shutdown ends the loop;
 *  5. shut down in gRPC's order, remove the socket, return the exit code.
 * SIGINT is ignored (Terraform sends StopProvider instead). */
#ifndef SRV_SERVER_H
#define SRV_SERVER_H

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

/* Unary handler, called on a worker thread, concurrently with others.
 * `method` is the full path, e.g. "/tfplugin6.Provider/ReadResource".
 * On SRV_STATUS_OK, *resp must be a malloc'd serialized response (may be
 * NULL with *resp_len 0 for an empty message); the server frees it. Other
 * statuses send no message; `*status_msg` may point to a static string. */
typedef int (*srv_unary_fn)(void *app, const char *method, const uint8_t *req,
			    size_t req_len, uint8_t **resp, size_t *resp_len,
			    const char **status_msg);

typedef struct srv_config {
	const char *const *methods; /* NULL-terminated full method paths */
	srv_unary_fn handler;
	void *app;
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
/* Unpadded standard base64 of `len` bytes into a malloc'd string. */
char *srv_base64_unpadded(const uint8_t *der, size_t len);

#endif
