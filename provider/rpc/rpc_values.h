/* provider/rpc helper (leaf: depends on schema/ and the generated
 * tfplugin6 code only): the per-call arena that response messages are
 * built in, packing, and the conversions between tfplugin6 messages and
 * the schema/ types (DynamicValue <-> tf_value, tf_diags -> Diagnostic,
 * tf_path -> AttributePath).
 *
 * Allocation failure while building a response aborts the process with a
 * log line: responses are bounded by the schema, and a half-built reply
 * would be worse than a crash Terraform reports. */
#ifndef RPC_VALUES_H
#define RPC_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include "tfplugin6.pb-c.h"

#include "../../schema/codec.h"
#include "../../schema/diag.h"
#include "../../schema/schema.h"

/* A per-call arena: every allocation made while building a response is
 * released at once by rpc_arena_done(). The zero value {0} is an empty
 * arena; rpc_arena_done() leaves it empty and reusable. */
typedef struct rpc_arena {
	void **ptrs;
	size_t n, cap;
} rpc_arena;

void *rpc_alloc(rpc_arena *ar, size_t size);    /* zeroed */
char *rpc_strdup(rpc_arena *ar, const char *s); /* NULL -> "" */
void *rpc_own(rpc_arena *ar, void *malloced);   /* takes ownership */
void rpc_arena_done(rpc_arena *ar);

/* Pack `m` into a new malloc'd buffer (*out, never NULL, the caller frees
 * it) of *out_len bytes (0 for an empty message). */
void rpc_pack(const ProtobufCMessage *m, uint8_t **out, size_t *out_len);

/* Decode a DynamicValue (msgpack preferred, JSON accepted; absent -> null
 * of the type). On failure adds an error diagnostic naming `what` and
 * returns NULL. The value is a new reference. */
tf_value *rpc_decode_dv(const Tfplugin6__DynamicValue *dv, tf_type *type,
			const char *what, tf_diags *d);
/* Encode as a msgpack DynamicValue allocated in the arena. NULL value ->
 * a null of `type`. On an encoding failure adds an error diagnostic and
 * returns an empty DynamicValue. */
Tfplugin6__DynamicValue *rpc_encode_dv(rpc_arena *ar, const tf_value *v,
				       tf_type *type, tf_diags *d);

/* Convert accumulated diagnostics into a repeated Diagnostic field
 * (arena-allocated; *out is NULL when there are none). */
void rpc_put_diags(rpc_arena *ar, const tf_diags *d, size_t *n_out,
		   Tfplugin6__Diagnostic ***out);
Tfplugin6__AttributePath *rpc_put_path(rpc_arena *ar, const tf_path *p);

/* Convenience for tests and one-off packing: pack a message with the
 * generic protobuf-c functions (the `prefix` argument is documentation
 * only), unpack one of message type `prefix` (NULL when it does not
 * decode; protobuf-c bounds-checks the input) and free it again. */
#define RPC_PACK(prefix, msgp, resp, resp_len)                                 \
	rpc_pack((const ProtobufCMessage *)(msgp), (resp), (resp_len))
#define RPC_UNPACK(prefix, len, data)                                          \
	((void *)protobuf_c_message_unpack(&prefix##__descriptor, NULL, (len), \
					   (data)))
#define RPC_FREE(msg)                                                          \
	protobuf_c_message_free_unpacked((ProtobufCMessage *)(msg), NULL)

/* `take` (a state going back to Terraform: planned, new, imported,
 * upgraded, moved) with every write-only attribute null, as Terraform
 * requires; a value found anyway is dropped and logged by name only.
 * Consumes `take`; returns the new reference (NULL only if take was). */
tf_value *rpc_wo_nulled(const tf_schema *s, const char *type_name,
			tf_value *take, const char *what);

#endif
