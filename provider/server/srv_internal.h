/* Private to provider/server: the split between handshake.c (process
 * set-up, environment, socket directory, handshake line) and grpc_server.c
 * (the gRPC core server and its completion-queue loop). */
#ifndef SRV_INTERNAL_H
#define SRV_INTERNAL_H

#include <signal.h>

#include "provider/server/server.h"
#include "provider/server/tls.h"

/* Set from signal handlers (SIGTERM; SIGINT in debug mode); the loop polls
 * it at least every SRV__POLL_MS. */
extern volatile sig_atomic_t srv__stop_requested;

#define SRV__POLL_MS 100

typedef struct srv_grpc srv_grpc;

/* Create and start a gRPC server listening on `addr` (e.g.
 * "unix:/tmp/plugin123/plugin.sock"). With `cert` and `client_pem` both
 * non-NULL it serves TLS requiring a client certificate that chains to
 * `client_pem` only; otherwise plaintext. Calls grpc_init() itself.
 * The strings are copied; cfg must outlive the server.
 * Returns 0 and *out, or -1 (with everything undone, grpc_shutdown
 * called, a message logged). */
int srv__grpc_start(srv_grpc **out, const srv_config *cfg, const char *addr,
		    const srv_cert *cert, const char *client_pem);

/* Serve until GRPCController/Shutdown or srv__stop_requested, then shut
 * the server down in gRPC's order and free it (including grpc_shutdown).
 * Returns 0 after an orderly shutdown. Returns -1 when handler threads
 * did not finish within the shutdown bound: the server is then left
 * alive (it cannot be destroyed under running handlers) and the caller
 * should remove its socket and _exit(). Must be called on the thread that
 * called srv__grpc_start. */
int srv__grpc_serve(srv_grpc *s);

#endif
