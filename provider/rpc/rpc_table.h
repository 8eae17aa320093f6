/* provider/rpc: the method table. One row per served RPC: its path, the
 * protobuf-c descriptors of its request and response (for a stream, of
 * each message), its kind and its handler. The rows are in rpc_table.c;
 * the list of methods the server registers is derived from them
 * (rpc_server_config in rpc.h), and the generic wrappers below run every
 * call: unpack -> handler -> pack -> free.
 *
 * Depends on the handler files (the rows point at them) and the helpers;
 * nothing but rpc.h's entry points and tests depend on it. */
#ifndef RPC_TABLE_H
#define RPC_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "../server/server.h"
#include "rpc_call.h"

typedef struct rpc_method {
	const char *name; /* "/tfplugin6.Provider/ReadResource" */
	const ProtobufCMessageDescriptor *req;
	const ProtobufCMessageDescriptor *resp; /* a stream's message type */
	srv_method_kind kind;
	union {
		rpc_unary_fn unary;   /* kind SRV_UNARY */
		rpc_stream_fn stream; /* kind SRV_SERVER_STREAM */
	} fn;
} rpc_method;

/* The row for a full method path, or NULL. Rows are static. */
const rpc_method *rpc_method_find(const char *name);

/* Run a unary row: unpack `req` (INVALID_ARGUMENT with a message when it
 * does not decode), call the handler with a fresh response, pack it on
 * OK. Returns the gRPC status; on OK *resp is a malloc'd buffer the caller
 * frees (never NULL), else *resp is untouched. *status_msg (may be NULL)
 * receives static details for a non-OK status. */
int rpc_unary_call(rpc_app *app, const rpc_method *m, const uint8_t *req,
		   size_t req_len, uint8_t **resp, size_t *resp_len,
		   const char **status_msg);

/* Where a stream's packed messages go, one call per message, in order.
 * Takes `msg` (malloc'd, `len` bytes) whatever it returns. Returns 0, or
 * a negative value once the stream is over (no further call is made). */
typedef int (*rpc_sink_fn)(void *sink, uint8_t *msg, size_t len);

/* Run a server-streaming row: unpack `req` as rpc_unary_call does, then
 * the handler, whose messages go to `sink`. Returns the status the stream
 * ends with; *status_msg as for rpc_unary_call. */
int rpc_stream_call(rpc_app *app, const rpc_method *m, const uint8_t *req,
		    size_t req_len, rpc_sink_fn sink, void *sink_ctx,
		    const char **status_msg);

#endif
