/* provider/rpc: the method table and the generic wrappers that run every
 * call (see rpc_table.h). Adding an RPC is one row here plus a handler
 * declared in rpc_handlers.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/tf_err.h"
#include "../log.h"
#include "rpc_app.h"
#include "rpc_handlers.h"
#include "rpc_table.h"

#define P "/tfplugin6.Provider/"

/* UNARY(Name, msg, handler): Name.Request -> Name.Response, where msg is
 * the generated lower-case name of message Name. STREAM(Name, msg, Each,
 * handler): Name.Request -> stream Name.Each. */
#define UNARY(Name, msg, handler)                                              \
	{                                                                      \
		P #Name, &tfplugin6__##msg##__request__descriptor,             \
			&tfplugin6__##msg##__response__descriptor, SRV_UNARY,  \
		{                                                              \
			.unary = handler                                       \
		}                                                              \
	}
#define STREAM(Name, msg, each, handler)                                       \
	{                                                                      \
		P #Name, &tfplugin6__##msg##__request__descriptor,             \
			&tfplugin6__##msg##__##each##__descriptor,             \
			SRV_SERVER_STREAM,                                     \
		{                                                              \
			.stream = handler                                      \
		}                                                              \
	}

static const rpc_method table[] = {
	UNARY(GetProviderSchema, get_provider_schema, rpc_get_schema),
	UNARY(GetMetadata, get_metadata, rpc_get_metadata),
	UNARY(ValidateProviderConfig, validate_provider_config,
	      rpc_validate_provider),
	UNARY(ValidateResourceConfig, validate_resource_config,
	      rpc_validate_resource),
	UNARY(ValidateDataResourceConfig, validate_data_resource_config,
	      rpc_validate_data_source),
	UNARY(UpgradeResourceState, upgrade_resource_state, rpc_upgrade_state),
	UNARY(ConfigureProvider, configure_provider, rpc_configure),
	UNARY(ReadResource, read_resource, rpc_read_resource),
	UNARY(PlanResourceChange, plan_resource_change, rpc_plan_change),
	UNARY(ApplyResourceChange, apply_resource_change, rpc_apply_change),
	UNARY(ImportResourceState, import_resource_state, rpc_import_state),
	UNARY(ReadDataSource, read_data_source, rpc_read_data_source),
	UNARY(StopProvider, stop_provider, rpc_stop),
	UNARY(GetFunctions, get_functions, rpc_get_functions),
	UNARY(CallFunction, call_function, rpc_call_function),
	UNARY(GetResourceIdentitySchemas, get_resource_identity_schemas,
	      rpc_identity_schemas),
	UNARY(UpgradeResourceIdentity, upgrade_resource_identity,
	      rpc_upgrade_identity),
	UNARY(GenerateResourceConfig, generate_resource_config,
	      rpc_generate_config),
	UNARY(ValidateEphemeralResourceConfig,
	      validate_ephemeral_resource_config, rpc_validate_ephemeral),
	UNARY(OpenEphemeralResource, open_ephemeral_resource,
	      rpc_open_ephemeral),
	UNARY(RenewEphemeralResource, renew_ephemeral_resource,
	      rpc_renew_ephemeral),
	UNARY(CloseEphemeralResource, close_ephemeral_resource,
	      rpc_close_ephemeral),
	STREAM(ListResource, list_resource, event, rpc_list_resource),
};

const rpc_method *rpc_method_find(const char *name)
{
	for (size_t i = 0; name && i < TF_COUNT(table); i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

/* ---- the generic wrappers ---------------------------------------------- */

/* A new response message of descriptor `d`, initialised. */
static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = malloc(d->sizeof_message);

	if (!m) {
		tfp_error("Out of memory building a response");
		abort();
	}
	protobuf_c_message_init(d, m);
	return m;
}

/* Unpack the request of row m, or NULL (status INVALID_ARGUMENT). */
static ProtobufCMessage *unpack(const rpc_method *m, const uint8_t *req,
				size_t len, const char **status_msg)
{
	ProtobufCMessage *rq = protobuf_c_message_unpack(m->req, NULL, len,
							 req);

	if (!rq && status_msg)
		*status_msg = "request could not be decoded";
	return rq;
}

int rpc_unary_call(rpc_app *app, const rpc_method *m, const uint8_t *req,
		   size_t req_len, uint8_t **resp, size_t *resp_len,
		   const char **status_msg)
{
	rpc_call c = { .app = app, .method = m->name };
	ProtobufCMessage *rq, *rs;
	int status;

	tfp_trace("RPC %s", m->name + sizeof(P) - 1);
	rq = unpack(m, req, req_len, status_msg);
	if (!rq)
		return SRV_STATUS_INVALID_ARGUMENT;
	rs = new_message(m->resp);
	status = m->fn.unary(&c, rq, rs);
	if (status == SRV_STATUS_OK)
		rpc_pack(rs, resp, resp_len);
	else if (status_msg)
		*status_msg = c.status_msg;
	free(rs); /* its fields are in the arena, the request or static */
	rpc_arena_done(&c.arena);
	protobuf_c_message_free_unpacked(rq, NULL);
	return status;
}

/* The writer handed to streaming handlers. */
typedef struct stream_writer {
	rpc_stream pub; /* first: handlers see only this */
	const ProtobufCMessageDescriptor *desc;
	rpc_sink_fn sink;
	void *sink_ctx;
	int ended;
} stream_writer;

static int stream_send(rpc_stream *s)
{
	stream_writer *w = (stream_writer *)s;
	uint8_t *buf;
	size_t len;
	int rc;

	if (w->ended) {
		rc = -1;
	} else {
		rpc_pack(s->msg, &buf, &len);
		rc = w->sink(w->sink_ctx, buf, len);
	}
	/* Whatever happened, the next message starts from scratch: memory
	 * stays bounded by one message however long the stream is. */
	rpc_arena_done(&s->arena);
	protobuf_c_message_init(w->desc, s->msg);
	if (rc < 0) {
		w->ended = 1;
		return RPC_STREAM_ENDED;
	}
	return 0;
}

int rpc_stream_call(rpc_app *app, const rpc_method *m, const uint8_t *req,
		    size_t req_len, rpc_sink_fn sink, void *sink_ctx,
		    const char **status_msg)
{
	rpc_call c = { .app = app, .method = m->name };
	stream_writer w = { .desc = m->resp,
			    .sink = sink,
			    .sink_ctx = sink_ctx };
	ProtobufCMessage *rq;
	int status;

	tfp_trace("RPC %s (stream)", m->name + sizeof(P) - 1);
	rq = unpack(m, req, req_len, status_msg);
	if (!rq)
		return SRV_STATUS_INVALID_ARGUMENT;
	w.pub.msg = new_message(m->resp);
	w.pub.send = stream_send;
	status = m->fn.stream(&c, rq, &w.pub);
	if (status != SRV_STATUS_OK && status_msg)
		*status_msg = c.status_msg;
	free(w.pub.msg);
	rpc_arena_done(&w.pub.arena); /* a message built but never sent */
	rpc_arena_done(&c.arena);
	protobuf_c_message_free_unpacked(rq, NULL);
	return status;
}

/* ---- the server's view -------------------------------------------------- */

static srv_method srv_methods[TF_COUNT(table)];
static pthread_once_t srv_methods_once = PTHREAD_ONCE_INIT;

static void srv_methods_init(void)
{
	for (size_t i = 0; i < TF_COUNT(table); i++)
		srv_methods[i] = (srv_method){ .path = table[i].name,
					       .kind = table[i].kind,
					       .data = &table[i] };
}

static int serve_unary(void *app, const srv_method *sm, const uint8_t *req,
		       size_t req_len, uint8_t **resp, size_t *resp_len,
		       const char **status_msg)
{
	return rpc_unary_call(app, sm->data, req, req_len, resp, resp_len,
			      status_msg);
}

static int sink_to_server(void *st, uint8_t *msg, size_t len)
{
	return srv_stream_send(st, msg, len);
}

static int serve_stream(void *app, const srv_method *sm, const uint8_t *req,
			size_t req_len, srv_stream *out,
			const char **status_msg)
{
	return rpc_stream_call(app, sm->data, req, req_len, sink_to_server, out,
			       status_msg);
}

void rpc_server_config(rpc_app *app, srv_config *cfg)
{
	pthread_once(&srv_methods_once, srv_methods_init);
	cfg->methods = srv_methods;
	cfg->n_methods = TF_COUNT(srv_methods);
	cfg->unary = serve_unary;
	cfg->stream = serve_stream;
	cfg->app = app;
	cfg->stop = &app->stop;
}

int rpc_handle(rpc_app *app, const char *method, const uint8_t *req,
	       size_t req_len, uint8_t **resp, size_t *resp_len,
	       const char **status_msg)
{
	const rpc_method *m = rpc_method_find(method);

	if (!m || m->kind != SRV_UNARY) {
		if (status_msg)
			*status_msg = "method not implemented by this provider";
		return SRV_STATUS_UNIMPLEMENTED;
	}
	return rpc_unary_call(app, m, req, req_len, resp, resp_len, status_msg);
}
