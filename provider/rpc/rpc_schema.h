/* provider/rpc helper: compiled schemas rendered as tfplugin6 Schema
 * messages, and the GetProviderSchema reply built from an app's schemas.
 * Depends on rpc_values.h (the arena) and reads rpc_app.h's lists; calls
 * nothing in rpc_app.c. */
#ifndef RPC_SCHEMA_H
#define RPC_SCHEMA_H

#include "tfplugin6.pb-c.h"

#include "../../schema/schema.h"
#include "rpc_app.h"
#include "rpc_values.h"

/* One schema as a Schema message, allocated in the arena; names and
 * descriptions are borrowed from the static schema tables. */
Tfplugin6__Schema *rpc_put_schema(rpc_arena *ar, const tf_schema *s);

/* The whole GetProviderSchema reply for `app` (provider, resource, data
 * source and ephemeral schemas, server capabilities), allocated in the
 * arena. Never fails (allocation failure aborts, see rpc_values.h). */
Tfplugin6__GetProviderSchema__Response *rpc_schema_reply(rpc_arena *ar,
							 const rpc_app *app);

/* What this server can do (GetProviderSchema and GetMetadata): plan
 * destroy, GetProviderSchema optional, GenerateResourceConfig. */
Tfplugin6__ServerCapabilities *rpc_server_capabilities(rpc_arena *ar);

/* rs-><field> and rs->n_<field>: `n` messages of type T (one per type of
 * a kind of the app), each initialised with `init` and then filled by
 * `fill`, an expression on `m` (the message) and `i` (its index); all
 * arena-allocated. */
#define RPC_PUT_TYPES(ar, rs, field, n, T, init, fill)                         \
	do {                                                                   \
		(rs)->n_##field = (n);                                         \
		(rs)->field = rpc_alloc((ar), (n) * sizeof(*(rs)->field));     \
		for (size_t i = 0; i < (n); i++) {                             \
			T *m = rpc_alloc((ar), sizeof(*m));                    \
			init(m);                                               \
			fill;                                                  \
			(rs)->field[i] = m;                                    \
		}                                                              \
	} while (0)

#endif
