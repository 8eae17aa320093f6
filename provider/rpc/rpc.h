/* The RPC layer: one function per tfplugin6 RPC. Unpacks protobuf-c
 * requests, decodes DynamicValues into tf_values against the compiled
 * schemas, runs validation / the generic planner / resource handlers, and
 * packs the response with diagnostics. Knows nothing about LXD or k8s. */
#ifndef RPC_RPC_H
#define RPC_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "../resource.h"

typedef struct rpc_app rpc_app;

/* Compile every schema of provider `p` (borrowed, static). Returns NULL with
 * a message in err on failure (a schema table bug). */
rpc_app *rpc_app_new(const tfp_provider *p, char *err, size_t errlen);
void rpc_app_free(rpc_app *app);

/* srv_unary_fn-compatible entry point (see provider/server/server.h). */
int rpc_handle(void *app, const char *method, const uint8_t *req,
	       size_t req_len, uint8_t **resp, size_t *resp_len,
	       const char **status_msg);

/* NULL-terminated list of the full method paths served by rpc_handle. */
extern const char *const rpc_methods[];

#endif
