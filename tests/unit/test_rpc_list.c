/* List resources through the RPC layer (provider/rpc/rpc_list.c) against a
 * fake provider whose resource lists `count` objects: the schema and
 * metadata replies, ValidateListResourceConfig, and the ListResource
 * stream's rules — identity and display name on every event, the full
 * state (import then read, private state passed along) only with
 * include_resource_object, `limit` honoured by stopping the enumeration,
 * an error ends the stream as an event, StopProvider and a client that
 * went away stop the enumeration between objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provider/rpc/rpc_app.h"
#include "provider/rpc/rpc_table.h"
#include "provider/rpc/rpc_values.h"
#include "provider/server/server.h"
#include "schema/codec.h"
#include "schema/tf_err.h"

#include "rpc_fixture.h"

/* ---- the fake provider ------------------------------------------------ */

static const tf_attr_def item_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED, NULL, "Name." },
	{ "size", "\"number\"", TF_COMPUTED, NULL, "Size." },
	{ "via", "\"string\"", TF_COMPUTED, NULL, "Private seen by read." },
};
static const tf_block_def item_schema = { item_attrs, TF_COUNT(item_attrs) };

static const tf_attr_def id_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED, NULL, "Name." },
};
static const tf_block_def id_schema = { id_attrs, TF_COUNT(id_attrs) };

static const tf_attr_def list_attrs[] = {
	{ "count", "\"number\"", TF_OPTIONAL, NULL, "How many objects." },
	{ "fail_after", "\"number\"", TF_OPTIONAL, NULL, "Error after N." },
};
static const tf_block_def list_schema = { list_attrs, TF_COUNT(list_attrs) };

static int enumerated; /* objects the fake list reached */

static tf_type *type_of(const char *json)
{
	tf_type *t = NULL;

	assert_int_equal(tf_type_from_json(json, strlen(json), &t), TF_OK);
	return t;
}

static void item_import(tfp_ctx *ctx, const char *id, tf_value **out,
			tf_diags *d)
{
	char priv[64];

	(void)d;
	*out = tf_schema_empty_object(ctx->schema);
	tf_value_object_set(*out, "name", tf_value_string(id));
	snprintf(priv, sizeof(priv), "imported:%s", id);
	ctx->private_out = (uint8_t *)strdup(priv);
	ctx->private_out_len = strlen(priv);
}

static void item_read(tfp_ctx *ctx, const tf_value *state, tf_value **out,
		      tf_diags *d)
{
	const char *name = tf_value_attr_string(state, "name");
	char via[64] = "";

	(void)d;
	if (strcmp(name, "item-3") == 0)
		return; /* vanished between the list and the read */
	if (ctx->private_in)
		snprintf(via, sizeof(via), "%.*s", (int)ctx->private_in_len,
			 (const char *)ctx->private_in);
	*out = tf_schema_empty_object(ctx->schema);
	tf_value_object_set(*out, "name", tf_value_string(name));
	tf_value_object_set(*out, "size", tf_value_int((int64_t)strlen(name)));
	tf_value_object_set(*out, "via", tf_value_string(via));
}

static void item_identity(tfp_ctx *ctx, const tf_value *state,
			  tf_value **identity, tf_diags *d)
{
	tf_type *t = type_of("[\"object\",{\"name\":\"string\"}]");

	(void)ctx;
	(void)d;
	*identity = tf_value_object_new(t);
	tf_value_object_set(*identity, "name",
			    tf_value_ref(
				    (tf_value *)tf_value_attr(state, "name")));
	tf_type_unref(t);
}

static int64_t attr_int(const tf_value *o, const char *k, int64_t dflt)
{
	int64_t n;
	const tf_value *v = tf_value_attr(o, k);

	return v && !tf_value_is_null(v) && tf_value_get_int(v, &n) == 0 ? n :
									   dflt;
}

static void item_list(tfp_ctx *ctx, const tf_value *config, tfp_lister *l,
		      tf_diags *d)
{
	int64_t n = attr_int(config, "count", 5);
	int64_t fail = attr_int(config, "fail_after", -1);
	char name[32];

	for (int64_t i = 0; i < n; i++) {
		tf_value *stub = tf_schema_empty_object(ctx->schema);
		int rc;

		if (i == fail) {
			tf_value_unref(stub);
			tf_diags_error(d, NULL, "Listing failed", "At %d.",
				       (int)i);
			return;
		}
		enumerated++;
		snprintf(name, sizeof(name), "item-%d", (int)i);
		tf_value_object_set(stub, "name", tf_value_string(name));
		rc = tfp_list_object(l, ctx, item_import, item_read, name, name,
				     stub, d);
		tf_value_unref(stub);
		if (rc)
			return;
	}
}

static const tfp_resource item = {
	.type_name = "fake_item",
	.schema = &item_schema,
	.read = item_read,
	.import = item_import,
	.identity_schema = &id_schema,
	.identity = item_identity,
	.list_schema = &list_schema,
	.list = item_list,
};

/* Listable but without identity: a provider bug reported as such. */
static const tfp_resource bare = {
	.type_name = "fake_bare",
	.schema = &item_schema,
	.read = item_read,
	.import = item_import,
	.list_schema = &list_schema,
	.list = item_list,
};

static const tfp_resource plain = {
	.type_name = "fake_plain",
	.schema = &item_schema,
	.read = item_read,
};

static const tf_block_def provider_schema = { NULL, 0 };
static const tfp_resource *const resources[] = { &plain, &item, &bare };

static const tfp_provider fake = {
	.type = "fake",
	.source_address = "registry.terraform.io/test/fake",
	.schema = &provider_schema,
	.configure = rpcfx_configure,
	.resources = resources,
	.nresources = TF_COUNT(resources),
};

/* ---- helpers ------------------------------------------------------------ */

#define M "/tfplugin6.Provider/"

static rpc_app *app;

static void configure(void)
{
	Tfplugin6__ConfigureProvider__Request rq =
		TFPLUGIN6__CONFIGURE_PROVIDER__REQUEST__INIT;
	size_t rlen;

	free(rpcfx_call(app, M "ConfigureProvider", &rq.base, &rlen));
}

static int setup(void **state)
{
	(void)state;
	app = rpcfx_app(&fake, false); /* some tests list unconfigured */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rpc_app_free(app);
	return 0;
}

/* A sink keeping every event decoded; it refuses messages once `refuse_at`
 * were taken (0: never), and raises the stop flag once `stop_at` were. */
typedef struct sink {
	Tfplugin6__ListResource__Event *ev[64];
	size_t n;
	size_t refuse_at, stop_at;
} sink;

static int sink_take(void *ctx, uint8_t *msg, size_t len)
{
	sink *k = ctx;

	if ((k->refuse_at && k->n >= k->refuse_at) || k->n == TF_COUNT(k->ev)) {
		free(msg);
		return -1;
	}
	k->ev[k->n] = RPC_UNPACK(tfplugin6__list_resource__event, len, msg);
	assert_non_null(k->ev[k->n]);
	k->n++;
	free(msg);
	if (k->stop_at && k->n == k->stop_at)
		atomic_store(&app->stop, 1);
	return 0;
}

static void sink_done(sink *k)
{
	for (size_t i = 0; i < k->n; i++)
		RPC_FREE(k->ev[i]);
	memset(k, 0, sizeof(*k));
}

/* The list config {count, fail_after} (negative: null) as msgpack. */
static void config_dv(Tfplugin6__DynamicValue *dv, int64_t count,
		      int64_t fail_after)
{
	tf_schema *s = NULL;
	tf_value *v;
	char err[128];

	assert_int_equal(tf_schema_compile(&list_schema, 0, &s, err,
					   sizeof(err)),
			 TF_OK);
	v = tf_schema_empty_object(s);
	if (count >= 0)
		tf_value_object_set(v, "count", tf_value_int(count));
	if (fail_after >= 0)
		tf_value_object_set(v, "fail_after", tf_value_int(fail_after));
	tfplugin6__dynamic_value__init(dv);
	assert_int_equal(tf_msgpack_encode(v, &dv->msgpack.data,
					   &dv->msgpack.len),
			 TF_OK);
	tf_value_unref(v);
	tf_schema_free(s);
}

static int list(const char *type, int64_t count, int64_t fail_after,
		int64_t limit, int include, sink *k)
{
	Tfplugin6__ListResource__Request rq =
		TFPLUGIN6__LIST_RESOURCE__REQUEST__INIT;
	Tfplugin6__DynamicValue cfg;
	const char *msg = NULL;
	uint8_t *req;
	size_t len;
	int st;

	config_dv(&cfg, count, fail_after);
	rq.type_name = (char *)type;
	rq.config = &cfg;
	rq.limit = limit;
	rq.include_resource_object = include;
	RPC_PACK(x, &rq, &req, &len);
	free(cfg.msgpack.data);
	enumerated = 0;
	st = rpc_stream_call(app, rpc_method_find(M "ListResource"), req, len,
			     sink_take, k, &msg);
	free(req);
	return st;
}

static tf_value *decode(const Tfplugin6__DynamicValue *dv, const char *type)
{
	tf_type *t = type_of(type);
	tf_value *v = NULL;
	char err[128];

	assert_non_null(dv);
	assert_int_equal(tf_msgpack_decode(dv->msgpack.data, dv->msgpack.len, t,
					   &v, err, sizeof(err)),
			 TF_OK);
	tf_type_unref(t);
	return v;
}

#define ID_T "[\"object\",{\"name\":\"string\"}]"
#define ITEM_T                                                                 \
	"[\"object\",{\"name\":\"string\",\"size\":\"number\","                \
	"\"via\":\"string\"}]"

/* The one error event of k, with its summary. */
static void assert_error_event(const sink *k, size_t i, const char *summary)
{
	assert_true(k->n > i);
	assert_null(k->ev[i]->identity);
	assert_int_equal(k->ev[i]->n_diagnostic, 1);
	assert_int_equal(k->ev[i]->diagnostic[0]->severity,
			 TFPLUGIN6__DIAGNOSTIC__SEVERITY__ERROR);
	assert_string_equal(k->ev[i]->diagnostic[0]->summary, summary);
}

/* ---- tests -------------------------------------------------------------- */

/* Before ConfigureProvider: an error event, then OK (first test). */
static void test_list_not_configured(void **state)
{
	sink k = { 0 };

	(void)state;
	assert_int_equal(list("fake_item", 3, -1, 10, 0, &k), SRV_STATUS_OK);
	assert_int_equal(k.n, 1);
	assert_error_event(&k, 0, "Provider is not configured");
	assert_int_equal(enumerated, 0);
	sink_done(&k);
	configure();
}

/* GetProviderSchema has list_resource_schemas for the listable types only,
 * keyed by the managed resource type; GetMetadata names them. */
static void test_list_schema_and_metadata(void **state)
{
	uint8_t *resp = NULL;
	size_t rlen = 0;
	const char *msg = NULL;
	Tfplugin6__GetProviderSchema__Response *rs;
	Tfplugin6__GetMetadata__Response *md;

	(void)state;
	assert_int_equal(rpc_handle(app, M "GetProviderSchema", NULL, 0, &resp,
				    &rlen, &msg),
			 SRV_STATUS_OK);
	rs = RPC_UNPACK(tfplugin6__get_provider_schema__response, rlen, resp);
	assert_int_equal(rs->n_list_resource_schemas, 2);
	assert_string_equal(rs->list_resource_schemas[0]->key, "fake_item");
	assert_string_equal(rs->list_resource_schemas[1]->key, "fake_bare");
	assert_int_equal(
		rs->list_resource_schemas[0]->value->block->n_attributes, 2);
	RPC_FREE(rs);
	free(resp);
	assert_int_equal(rpc_handle(app, M "GetMetadata", NULL, 0, &resp, &rlen,
				    &msg),
			 SRV_STATUS_OK);
	md = RPC_UNPACK(tfplugin6__get_metadata__response, rlen, resp);
	assert_int_equal(md->n_list_resources, 2);
	assert_string_equal(md->list_resources[0]->type_name, "fake_item");
	RPC_FREE(md);
	free(resp);
}

static size_t validate(const char *type, const char *config_json)
{
	Tfplugin6__ValidateListResourceConfig__Request rq =
		TFPLUGIN6__VALIDATE_LIST_RESOURCE_CONFIG__REQUEST__INIT;
	Tfplugin6__DynamicValue cfg = TFPLUGIN6__DYNAMIC_VALUE__INIT;
	Tfplugin6__ValidateListResourceConfig__Response *rs;
	uint8_t *req, *resp = NULL;
	size_t len, rlen, n;
	const char *msg = NULL;

	rq.type_name = (char *)type;
	if (config_json) {
		cfg.json.data = (uint8_t *)config_json;
		cfg.json.len = strlen(config_json);
		rq.config = &cfg;
	}
	RPC_PACK(x, &rq, &req, &len);
	assert_int_equal(rpc_handle(app, M "ValidateListResourceConfig", req,
				    len, &resp, &rlen, &msg),
			 SRV_STATUS_OK);
	rs = RPC_UNPACK(tfplugin6__validate_list_resource_config__response,
			rlen, resp);
	n = rs->n_diagnostics;
	RPC_FREE(rs);
	free(req);
	free(resp);
	return n;
}

static void test_list_validate(void **state)
{
	(void)state;
	assert_int_equal(validate("fake_item", "{\"count\":3,"
					       "\"fail_after\":null}"),
			 0);
	assert_int_equal(validate("fake_item", NULL), 0); /* absent block */
	assert_int_equal(validate("fake_item", "{\"count\":\"many\"}"), 1);
	assert_int_equal(validate("fake_plain", "{}"), 1); /* not listable */
	assert_int_equal(validate("nope", "{}"), 1);
}

/* Every event: identity {name}, display name; no resource object unless
 * asked for; all objects when under the limit; then OK. */
static void test_list_events_carry_identity(void **state)
{
	sink k = { 0 };

	(void)state;
	assert_int_equal(list("fake_item", 5, -1, 100, 0, &k), SRV_STATUS_OK);
	assert_int_equal(k.n, 5);
	for (size_t i = 0; i < k.n; i++) {
		char want[32];
		tf_value *id;

		snprintf(want, sizeof(want), "item-%zu", i);
		assert_string_equal(k.ev[i]->display_name, want);
		assert_non_null(k.ev[i]->identity);
		id = decode(k.ev[i]->identity->identity_data, ID_T);
		assert_string_equal(tf_value_attr_string(id, "name"), want);
		tf_value_unref(id);
		assert_null(k.ev[i]->resource_object);
		assert_int_equal(k.ev[i]->n_diagnostic, 0);
	}
	sink_done(&k);
}

/* include_resource_object: the state of import then read, with import's
 * private state handed to read; an object that vanished (item-3) is left
 * out. */
static void test_list_include_resource(void **state)
{
	sink k = { 0 };

	(void)state;
	assert_int_equal(list("fake_item", 5, -1, 100, 1, &k), SRV_STATUS_OK);
	assert_int_equal(k.n, 4);
	for (size_t i = 0; i < k.n; i++) {
		tf_value *obj = decode(k.ev[i]->resource_object, ITEM_T);
		const char *name = tf_value_attr_string(obj, "name");
		char via[64];
		int64_t size = 0;

		assert_string_equal(name, k.ev[i]->display_name);
		assert_string_not_equal(name, "item-3");
		snprintf(via, sizeof(via), "imported:%s", name);
		assert_string_equal(tf_value_attr_string(obj, "via"), via);
		assert_int_equal(tf_value_get_int(tf_value_attr(obj, "size"),
						  &size),
				 0);
		assert_int_equal(size, (int64_t)strlen(name));
		tf_value_unref(obj);
	}
	sink_done(&k);
}

/* `limit`: exactly that many events, the enumeration stopped right there
 * (not run to the end and dropped); limit 0 sends nothing. */
static void test_list_limit(void **state)
{
	sink k = { 0 };

	(void)state;
	assert_int_equal(list("fake_item", 50, -1, 7, 0, &k), SRV_STATUS_OK);
	assert_int_equal(k.n, 7);
	assert_int_equal(enumerated, 7);
	sink_done(&k);
	assert_int_equal(list("fake_item", 50, -1, 0, 0, &k), SRV_STATUS_OK);
	assert_int_equal(k.n, 0);
	assert_int_equal(enumerated, 0);
}

/* An error after some objects: those events, then one error event (what
 * Terraform reports, and where it stops reading), then OK. */
static void test_list_error_ends_stream(void **state)
{
	sink k = { 0 };

	(void)state;
	assert_int_equal(list("fake_item", 10, 4, 100, 0, &k), SRV_STATUS_OK);
	assert_int_equal(k.n, 5);
	assert_non_null(k.ev[3]->identity);
	assert_error_event(&k, 4, "Listing failed");
	sink_done(&k);
}

/* Unknown, unlistable and identity-less types: one error event. */
static void test_list_bad_types(void **state)
{
	sink k = { 0 };

	(void)state;
	assert_int_equal(list("nope", 3, -1, 10, 0, &k), SRV_STATUS_OK);
	assert_int_equal(k.n, 1);
	assert_error_event(&k, 0, "Unsupported list resource type");
	assert_non_null(
		strstr(k.ev[0]->diagnostic[0]->detail, "fake_item, fake_bare"));
	sink_done(&k);
	assert_int_equal(list("fake_plain", 3, -1, 10, 0, &k), SRV_STATUS_OK);
	assert_error_event(&k, 0, "Unsupported list resource type");
	sink_done(&k);
	assert_int_equal(list("fake_bare", 3, -1, 10, 0, &k), SRV_STATUS_OK);
	assert_int_equal(k.n, 1);
	assert_error_event(&k, 0, "List resource without identity");
	assert_int_equal(enumerated, 0);
	sink_done(&k);
}

/* The client went away after 3 events: the enumeration stops at the next
 * object, the call ends CANCELLED. */
static void test_list_client_gone(void **state)
{
	sink k = { .refuse_at = 3 };

	(void)state;
	assert_int_equal(list("fake_item", 40, -1, 100, 0, &k),
			 SRV_STATUS_CANCELLED);
	assert_int_equal(k.n, 3);
	assert_int_equal(enumerated, 4); /* the 4th could not be sent */
	sink_done(&k);
}

/* StopProvider during a list: the enumeration stops before the next
 * object (last test: the flag is never lowered). */
static void test_list_stop(void **state)
{
	sink k = { .stop_at = 2 };

	(void)state;
	assert_int_equal(list("fake_item", 40, -1, 100, 0, &k),
			 SRV_STATUS_CANCELLED);
	assert_int_equal(k.n, 2);
	assert_int_equal(enumerated, 3);
	sink_done(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_not_configured),
		cmocka_unit_test(test_list_schema_and_metadata),
		cmocka_unit_test(test_list_validate),
		cmocka_unit_test(test_list_events_carry_identity),
		cmocka_unit_test(test_list_include_resource),
		cmocka_unit_test(test_list_limit),
		cmocka_unit_test(test_list_error_ends_stream),
		cmocka_unit_test(test_list_bad_types),
		cmocka_unit_test(test_list_client_gone),
		cmocka_unit_test(test_list_stop),
	};
	return cmocka_run_group_tests_name("rpc_list", tests, setup, teardown);
}
