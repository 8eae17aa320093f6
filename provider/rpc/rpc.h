/* The RPC layer: tfplugin6 for the server. Unpacks protobuf-c requests,
 * decodes DynamicValues into tf_values against the compiled schemas, runs
 * validation / the generic planner / resource handlers, and packs the
 * responses with diagnostics. Knows nothing about LXD or k8s.
 *
 * Files (each says its role in its header comment):
 *   rpc_table.c    the method table and the generic unpack/pack wrappers
 *   rpc_provider.c, rpc_resource.c, rpc_ephemeral.c, rpc_list.c
 *                  the handlers (rpc_handlers.h), one per row
 *   rpc_app.c, rpc_schema.c, rpc_values.c
 *                  helpers the handlers use; they never call back up
 * Dependencies run one way: table -> handlers -> helpers. */
#ifndef RPC_RPC_H
#define RPC_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "../resource.h"
#include "../server/server.h"

typedef struct rpc_app rpc_app;

/* Compile every schema of provider `p` (borrowed, static). Returns NULL with
 * a message in err on failure (a schema table bug). */
rpc_app *rpc_app_new(const tfp_provider *p, char *err, size_t errlen);
void rpc_app_free(rpc_app *app);

/* Fill the server's view of the method table: the methods to register
 * with their kinds (static storage), the unary and streaming entry
 * points, `app`, and the StopProvider flag that ends streams. Other
 * members of *cfg are left alone. */
void rpc_server_config(rpc_app *app, srv_config *cfg);

/* Call a unary method by its full path (tests, tools): as the server
 * would, with the same status codes; UNIMPLEMENTED for an unknown path
 * or a streaming method. On SRV_STATUS_OK *resp is malloc'd (the caller
 * frees it); *status_msg (may be NULL) gets static details otherwise. */
int rpc_handle(rpc_app *app, const char *method, const uint8_t *req,
	       size_t req_len, uint8_t **resp, size_t *resp_len,
	       const char **status_msg);

#endif
