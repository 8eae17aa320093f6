/* provider/rpc: the handlers the method table points at, one per row
 * (see rpc_call.h for the contract). Each takes the unpacked request of
 * its row and fills the response; the comment on each row in rpc_table.c
 * names the messages. Declared here so the table is the only file that
 * needs them all. */
#ifndef RPC_HANDLERS_H
#define RPC_HANDLERS_H

#include "rpc_call.h"

/* Provider-level (rpc_provider.c). */
int rpc_get_schema(rpc_call *c, const void *req, void *resp);
int rpc_get_metadata(rpc_call *c, const void *req, void *resp);
int rpc_validate_provider(rpc_call *c, const void *req, void *resp);
int rpc_configure(rpc_call *c, const void *req, void *resp);
int rpc_stop(rpc_call *c, const void *req, void *resp);
/* Provider functions (rpc_function.c). */
int rpc_get_functions(rpc_call *c, const void *req, void *resp);
int rpc_call_function(rpc_call *c, const void *req, void *resp);

/* Managed resources and data sources (rpc_resource.c). */
int rpc_validate_resource(rpc_call *c, const void *req, void *resp);
int rpc_validate_data_source(rpc_call *c, const void *req, void *resp);
int rpc_upgrade_state(rpc_call *c, const void *req, void *resp);
int rpc_read_resource(rpc_call *c, const void *req, void *resp);
int rpc_plan_change(rpc_call *c, const void *req, void *resp);
int rpc_apply_change(rpc_call *c, const void *req, void *resp);
int rpc_import_state(rpc_call *c, const void *req, void *resp);
int rpc_read_data_source(rpc_call *c, const void *req, void *resp);

/* Resource identity (rpc_identity.c) and generated configuration
 * (rpc_genconfig.c). */
int rpc_identity_schemas(rpc_call *c, const void *req, void *resp);
int rpc_upgrade_identity(rpc_call *c, const void *req, void *resp);
int rpc_generate_config(rpc_call *c, const void *req, void *resp);

/* Ephemeral resources (rpc_ephemeral.c). */
int rpc_validate_ephemeral(rpc_call *c, const void *req, void *resp);
int rpc_open_ephemeral(rpc_call *c, const void *req, void *resp);
int rpc_renew_ephemeral(rpc_call *c, const void *req, void *resp);
int rpc_close_ephemeral(rpc_call *c, const void *req, void *resp);

/* List resources (rpc_list.c): a server stream. */
int rpc_list_resource(rpc_call *c, const void *req, rpc_stream *out);

#endif
