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

/* A type the provider serves, with its compiled schema. */
#define RPC_TYPE_OF(def_type)                                                  \
	{                                                                      \
		const def_type *def;                                           \
		tf_schema *schema;                                             \
	}
/* A resource also has its list resource's schema (NULL: not listable). */
struct rpc_res {
	const tfp_resource *def;
	tf_schema *schema;
	tf_schema *list_schema;
	tf_schema *identity; /* def->identity_schema compiled; NULL: none */
};
struct rpc_ds RPC_TYPE_OF(tfp_data_source);
struct rpc_eph RPC_TYPE_OF(tfp_ephemeral);

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
	atomic_int stop; /* raised by StopProvider, never lowered */
};

/* Lookup by type name (NULL name allowed). NULL when unknown: the caller
 * reports it as a diagnostic. The result is borrowed from the app. */
const struct rpc_res *rpc_find_res(const rpc_app *app, const char *name);
const struct rpc_ds *rpc_find_ds(const rpc_app *app, const char *name);
const struct rpc_eph *rpc_find_eph(const rpc_app *app, const char *name);
/* The resources with a list resource: how many, and the k-th of them (k <
 * rpc_nlisted(app)) in the provider's order. */
size_t rpc_nlisted(const rpc_app *app);
const struct rpc_res *rpc_listed(const rpc_app *app, size_t k);

/* The same for a handler: an unknown name adds the error the user sees
 * (no such type in this provider) to d. */
const struct rpc_res *rpc_res_of(const rpc_app *app, const char *name,
				 tf_diags *d);
const struct rpc_ds *rpc_ds_of(const rpc_app *app, const char *name,
			       tf_diags *d);
const struct rpc_eph *rpc_eph_of(const rpc_app *app, const char *name,
				 tf_diags *d);

/* Validate<Kind>Config for any kind: decode `dv` as a configuration of
 * `schema` (`what` names it in errors), validate it against the schema,
 * then with the type's own hook (NULL: none; it runs without a client).
 * Unless `write_only_allowed` (the client's capability), every write-only
 * attribute the configuration sets is an error naming it. */
void rpc_validate_config(rpc_app *app, const tf_schema *schema,
			 const char *type_name,
			 void (*hook)(tfp_ctx *, const tf_value *, tf_diags *),
			 const Tfplugin6__DynamicValue *dv, const char *what,
			 bool write_only_allowed, tf_diags *d);

/* Prepare a handler context for one call: the configured client (read
 * under the lock), the schema and type name (borrowed), the stop flag,
 * and private_in borrowed from `private_in` (may be NULL). A handler's
 * private_out is the caller's to take or free. */
void rpc_ctx_init(tfp_ctx *ctx, rpc_app *app, const tf_schema *schema,
		  const char *type_name, const ProtobufCBinaryData *private_in);

#endif
