/* Shared plumbing of the RPC unit suites (test_rpc*.c): an app over a
 * suite's fake provider, and requests that reach rpc_handle exactly as the
 * gRPC server's do. Header-only (static inline): each suite is its own
 * binary. The includer has included <cmocka.h> (and what it needs first).
 * Every helper asserts instead of returning an error. */
#ifndef TEST_RPC_FIXTURE_H
#define TEST_RPC_FIXTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "provider/rpc/rpc_app.h"
#include "provider/rpc/rpc_table.h"
#include "provider/rpc/rpc_values.h"
#include "provider/server/server.h"
#include "schema/codec.h"

#define RPCFX_M "/tfplugin6.Provider/"

/* The `configure` hook of a fake provider: accepts any configuration and
 * returns a token client (never dereferenced by the RPC layer). */
static inline void *rpcfx_configure(const tf_value *config, const char *v,
				    atomic_int *stop, tf_diags *d)
{
	static int token;

	(void)config;
	(void)v;
	(void)stop;
	(void)d;
	return &token;
}

/* Call `method` of `a` with a message; the reply bytes (malloc'd). */
static inline uint8_t *rpcfx_call(rpc_app *a, const char *method,
				  const ProtobufCMessage *rq, size_t *rlen)
{
	uint8_t *req, *resp = NULL;
	size_t len;
	const char *msg = NULL;

	RPC_PACK(x, rq, &req, &len);
	assert_int_equal(rpc_handle(a, method, req, len, &resp, rlen, &msg),
			 SRV_STATUS_OK);
	free(req);
	return resp;
}

/* An app serving `p`, configured with an empty ConfigureProvider request
 * when `configure`. Free with rpc_app_free. */
static inline rpc_app *rpcfx_app(const tfp_provider *p, bool configure)
{
	Tfplugin6__ConfigureProvider__Request rq =
		TFPLUGIN6__CONFIGURE_PROVIDER__REQUEST__INIT;
	char err[256];
	size_t rlen;
	rpc_app *a = rpc_app_new(p, err, sizeof(err));

	assert_non_null(a);
	if (configure)
		free(rpcfx_call(a, RPCFX_M "ConfigureProvider", &rq.base,
				&rlen));
	return a;
}

/* `v` as a msgpack DynamicValue; free with rpcfx_dv_free. */
static inline Tfplugin6__DynamicValue *rpcfx_dv(const tf_value *v)
{
	Tfplugin6__DynamicValue *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	tfplugin6__dynamic_value__init(d);
	assert_int_equal(tf_msgpack_encode(v, &d->msgpack.data,
					   &d->msgpack.len),
			 TF_OK);
	return d;
}

static inline void rpcfx_dv_free(Tfplugin6__DynamicValue *d)
{
	if (d)
		free(d->msgpack.data);
	free(d);
}

/* The value of type `t` in a msgpack DynamicValue (a new reference). */
static inline tf_value *rpcfx_undv(const Tfplugin6__DynamicValue *d,
				   const tf_type *t)
{
	tf_value *v = NULL;
	char err[128];

	assert_non_null(d);
	assert_int_equal(tf_msgpack_decode(d->msgpack.data, d->msgpack.len,
					   (tf_type *)t, &v, err, sizeof(err)),
			 TF_OK);
	return v;
}

#endif
