/* provider/rpc helper: the per-process application state every handler
 * reads (the provider definition, its compiled schemas, the configured
 * client, the StopProvider flag), lookup by type name, and the handler
 * context (tfp_ctx) for one call. rpc_app_new/rpc_app_free are declared
 * in rpc.h. Depends on rpc_values.h and schema/ only; never on a handler
 * file or the method table. */
#ifndef RPC_APP_H
#define RPC_APP_H

#include <pthread.h>
#include <stdatomic.h>

#include "tfplugin6.pb-c.h"

#include "../resource.h"
#include "rpc.h"
#include "rpc_values.h"

struct rpc_res {
	const tfp_resource *def;
	tf_schema *schema;
};

struct rpc_ds {
	const tfp_data_source *def;
	tf_schema *schema;
};

struct rpc_eph {
	const tfp_ephemeral *def;
	tf_schema *schema;
};

struct rpc_app {
	const tfp_provider *provider;
	tf_schema *provider_schema;
	struct rpc_res *res;
	size_t nres;
	struct rpc_ds *ds;
	size_t nds;
	struct rpc_eph *eph;
	size_t neph;
	/* Configured client: written once by ConfigureProvider under `lock`,
	 * read by resource RPCs afterwards. Older clients (a second Configure)
	 * are retired, not freed, until rpc_app_free: handlers may hold them. */
	pthread_mutex_t lock;
	void *client;
	void **retired;
	size_t nretired;
	int config_unknown; /* provider config held unknowns at Configure */
	/* The GetProviderSchema reply never changes: built on first use
	 * under `lock` (processes that skip GetProviderSchema never pay for
	 * it), kept in schema_arena until rpc_app_free. */
	Tfplugin6__GetProviderSchema__Response *schema_msg;
	rpc_arena schema_arena;
	atomic_int stop;    /* raised by StopProvider, never lowered */
};

/* Lookup by type name (NULL name allowed). NULL when unknown: the caller
 * reports it as a diagnostic. The result is borrowed from the app. */
const struct rpc_res *rpc_find_res(const rpc_app *app, const char *name);
const struct rpc_ds *rpc_find_ds(const rpc_app *app, const char *name);
const struct rpc_eph *rpc_find_eph(const rpc_app *app, const char *name);

/* Prepare a handler context for one call: the configured client (read
 * under the lock), the schema and type name (borrowed), the stop flag,
 * and private_in borrowed from `private_in` (may be NULL). A handler's
 * private_out is the caller's to take or free. */
void rpc_ctx_init(tfp_ctx *ctx, rpc_app *app, const tf_schema *schema,
		  const char *type_name, const ProtobufCBinaryData *private_in);

#endif
