/* provider/rpc: provider function definitions for the schema replies
 * (rpc_function.c). */
#ifndef RPC_FUNCTION_H
#define RPC_FUNCTION_H

#include "rpc_app.h"
#include "rpc_values.h"

/* The GetProviderSchema `functions` map of the app's provider
 * (arena-allocated). */
void rpc_put_functions(
	rpc_arena *ar, const rpc_app *app, size_t *n,
	Tfplugin6__GetProviderSchema__Response__FunctionsEntry ***out);

#endif
