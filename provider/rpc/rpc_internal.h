/* Private to provider/rpc: the per-process application state, the per-call
 * arena for building protobuf-c responses, and value/diagnostic conversion. */
#ifndef RPC_INTERNAL_H
#define RPC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "tfplugin6.pb-c.h"

#include "../../schema/codec.h"
#include "../../schema/diag.h"
#include "../resource.h"
#include "rpc.h"

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
	/* GetProviderSchema never changes: packed once at start-up. */
	uint8_t *schema_reply;
	size_t schema_reply_len;
	/* Configured client: written once by ConfigureProvider under `lock`,
	 * read by resource RPCs afterwards. Older clients (a second Configure)
	 * are retired, not freed, until rpc_app_free: handlers may hold them. */
	pthread_mutex_t lock;
	void *client;
	void **retired;
	size_t nretired;
	int config_unknown; /* provider config held unknowns at Configure */
	atomic_int stop;    /* raised by StopProvider */
};

/* A per-call arena: every allocation made while building a response is
 * released at once by rpc_arena_done(). Allocation failure aborts the
 * process with a log line (responses are bounded by the schema). */
typedef struct rpc_arena {
	void **ptrs;
	size_t n, cap;
} rpc_arena;

void *rpc_alloc(rpc_arena *ar, size_t size);         /* zeroed */
char *rpc_strdup(rpc_arena *ar, const char *s);
void *rpc_own(rpc_arena *ar, void *malloced);         /* takes ownership */
void rpc_arena_done(rpc_arena *ar);

/* Decode a DynamicValue (msgpack preferred, JSON accepted; absent -> null
 * of the type). On failure adds an error diagnostic naming `what` and
 * returns NULL. */
tf_value *rpc_decode_dv(const Tfplugin6__DynamicValue *dv, tf_type *type,
			const char *what, tf_diags *d);
/* Encode as a msgpack DynamicValue allocated in the arena. NULL value ->
 * a null of `type`. */
Tfplugin6__DynamicValue *rpc_encode_dv(rpc_arena *ar, const tf_value *v,
				       tf_type *type, tf_diags *d);

/* Convert accumulated diagnostics into the repeated field. */
void rpc_put_diags(rpc_arena *ar, const tf_diags *d, size_t *n_out,
		   Tfplugin6__Diagnostic ***out);
Tfplugin6__AttributePath *rpc_put_path(rpc_arena *ar, const tf_path *p);

/* Lookup by type name. NULL when unknown (caller reports it). */
const struct rpc_res *rpc_find_res(const rpc_app *app, const char *name);
const struct rpc_ds *rpc_find_ds(const rpc_app *app, const char *name);
const struct rpc_eph *rpc_find_eph(const rpc_app *app, const char *name);

/* Build the GetProviderSchema reply (called once by rpc_app_new). */
int rpc_build_schema_reply(rpc_app *app, char *err, size_t errlen);

/* Prepare a handler context for one call. */
void rpc_ctx_init(tfp_ctx *ctx, rpc_app *app, const tf_schema *schema,
		  const char *type_name, const ProtobufCBinaryData *private_in);

/* The resource RPC handlers (rpc_resource.c). Each unpacks its request,
 * returns a gRPC status and on OK a malloc'd packed reply. */
typedef int (*rpc_fn)(rpc_app *app, const uint8_t *req, size_t len,
		      uint8_t **resp, size_t *resp_len);
int rpc_validate_resource(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
int rpc_validate_data_source(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
int rpc_upgrade_state(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
int rpc_read_resource(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
int rpc_plan_change(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
int rpc_apply_change(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
int rpc_import_state(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
int rpc_read_data_source(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
/* The ephemeral resource RPC handlers (rpc_ephemeral.c). */
int rpc_validate_ephemeral(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
int rpc_open_ephemeral(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
int rpc_renew_ephemeral(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
int rpc_close_ephemeral(rpc_app *, const uint8_t *, size_t, uint8_t **, size_t *);
/* Schema messages shared with rpc_ephemeral.c's GetMetadata part. */
Tfplugin6__Schema *rpc_put_schema(rpc_arena *ar, const tf_schema *s);

/* Pack helper: allocate and pack with the generated functions. */
#define RPC_PACK(prefix, msgp, resp, resp_len)                               \
	do {                                                                 \
		const ProtobufCMessage *m__ = (const ProtobufCMessage *)(msgp); \
		size_t sz__ = protobuf_c_message_get_packed_size(m__);       \
		uint8_t *b__ = malloc(sz__ ? sz__ : 1);                      \
		if (!b__)                                                    \
			abort();                                             \
		protobuf_c_message_pack(m__, b__);                           \
		*(resp) = b__;                                               \
		*(resp_len) = sz__;                                          \
	} while (0)

/* Unpack a request of message type `prefix` (NULL when it does not decode;
 * protobuf-c bounds-checks the input) and free it again. */
#define RPC_UNPACK(prefix, len, data) \
	((void *)protobuf_c_message_unpack(&prefix##__descriptor, NULL, (len), (data)))
#define RPC_FREE(msg) \
	protobuf_c_message_free_unpacked((ProtobufCMessage *)(msg), NULL)

#endif
