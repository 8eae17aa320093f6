/* provider/rpc: the handler contract, between the method table
 * (rpc_table.c, which unpacks, calls, packs and frees) and the handler
 * files (rpc_provider.c, rpc_resource.c, rpc_ephemeral.c, rpc_list.c).
 * Types and one inline function only, so a handler file depends on this
 * header and the helpers (rpc_app.h, rpc_values.h), never on the table.
 *
 * A handler receives the already unpacked request and fills a response
 * message that the table allocated and initialised from the row's
 * response descriptor. Both are plain protobuf-c messages of the row's
 * types: a handler assigns them to its concrete type
 * (`const Tfplugin6__ReadResource__Request *rq = req;`).
 *
 * Memory. Whatever a handler hangs on a response must outlive the
 * handler: allocate it from the arena (c->arena for a unary reply,
 * out->arena for a stream message), or point at the request, the app or
 * static data. The table packs the response and then frees the response
 * struct itself, the arena and the request; it never walks the response's
 * fields, so a handler never frees them either. */
#ifndef RPC_CALL_H
#define RPC_CALL_H

#include <stddef.h>

#include "rpc.h"
#include "rpc_values.h"

/* One call, set up by the table for the handler. */
typedef struct rpc_call {
	rpc_app *app;       /* borrowed: the process's state */
	const char *method; /* full method path, for logs */
	rpc_arena arena;    /* per call: emptied once the call is over */
	/* With a non-OK status: the status details, a static string (NULL:
	 * a generic one). */
	const char *status_msg;
} rpc_call;

/* A unary handler. `req` is the request (borrowed, valid until the reply
 * is packed), `resp` the response to fill. Returns a gRPC status
 * (SRV_STATUS_*): OK sends resp; any other sends no message, with
 * c->status_msg as details. Handlers answer OK with diagnostics for
 * everything the user can act on; a status is for protocol failures. */
typedef int (*rpc_unary_fn)(rpc_call *c, const void *req, void *resp);

/* How a unary handler ends: the diagnostics it gathered go into its
 * response's `diagnostics` field (arena-allocated), then status OK (the
 * file includes server/server.h). A handler declares its accumulator
 * with _cleanup_(tf_diags_done), so nothing else is left to free. */
#define RPC_REPLY(c, d, rs)                                                    \
	(rpc_put_diags(&(c)->arena, (d), &(rs)->n_diagnostics,                 \
		       &(rs)->diagnostics),                                    \
	 SRV_STATUS_OK)

/* The writer a server-streaming handler pushes its messages through. */
typedef struct rpc_stream rpc_stream;
struct rpc_stream {
	/* The message to fill next: the row's response type, initialised
	 * from its descriptor. */
	void *msg;
	/* For what msg points to; emptied by every send. */
	rpc_arena arena;
	/* Set by the table; call it through rpc_stream_send(). */
	int (*send)(rpc_stream *s);
};

/* Pack and send *s->msg, then reset it to its initial state and empty
 * s->arena, ready for the next message. Blocks until the transport has
 * taken the message (at most one in flight per call, so a stream's memory
 * does not grow with its length). Returns 0, or RPC_STREAM_ENDED once the
 * stream is over (the client went away, StopProvider, server shutdown):
 * the handler then stops producing and returns; its status is best
 * effort (the call is already ending). */
#define RPC_STREAM_ENDED (-1)

static inline int rpc_stream_send(rpc_stream *s)
{
	return s->send(s);
}

/* A server-streaming handler: `req` as for unary handlers; every message
 * goes through rpc_stream_send(out). Returns the gRPC status the stream
 * ends with (OK after the last message, or an error status). */
typedef int (*rpc_stream_fn)(rpc_call *c, const void *req, rpc_stream *out);

#endif
