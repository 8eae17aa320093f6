/* The RPC layer against a fake provider: protobuf in, protobuf out, with
 * the invariants Terraform relies on (schema reply, state upgrades across
 * versions, private state round trip, failed delete keeps the object,
 * vanished objects read as null, requires-replace paths, UNIMPLEMENTED). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

static const tf_attr_def thing_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL, "Name." },
	{ "size", "\"number\"", TF_OPTIONAL, NULL, "Size." },
	{ "id", "\"string\"", TF_COMPUTED, NULL, "Server id." },
};
static const tf_block_def thing_schema = { thing_attrs, TF_COUNT(thing_attrs) };

static tf_value *thing_state(const tfp_ctx *ctx, const tf_value *from)
{
	tf_value *st = tf_schema_empty_object(ctx->schema);
	const char *name = tf_value_attr_string(from, "name");
	char id[128];

	snprintf(id, sizeof(id), "id-%s", name);
	tf_value_object_set(st, "name", tf_value_string(name));
	tf_value_object_set(st, "size",
			    tf_value_ref(tf_value_attr(from, "size")));
	tf_value_object_set(st, "id", tf_value_string(id));
	return st;
}

static void thing_create(tfp_ctx *ctx, const tf_value *planned,
			 const tf_value *config, tf_value **out, tf_diags *d)
{
	(void)config;
	(void)d;
	*out = thing_state(ctx, planned);
	ctx->private_out = (uint8_t *)strdup("created");
	ctx->private_out_len = strlen("created");
}

static void thing_read(tfp_ctx *ctx, const tf_value *state, tf_value **out,
		       tf_diags *d)
{
	(void)d;
	if (strcmp(tf_value_attr_string(state, "name"), "gone") == 0)
		return;
	*out = thing_state(ctx, state);
}

static void thing_update(tfp_ctx *ctx, const tf_value *prior,
			 const tf_value *planned, const tf_value *config,
			 tf_value **out, tf_diags *d)
{
	(void)prior;
	(void)config;
	(void)d;
	*out = thing_state(ctx, planned);
}

static void thing_remove(tfp_ctx *ctx, const tf_value *prior, tf_diags *d)
{
	(void)ctx;
	if (strcmp(tf_value_attr_string(prior, "name"), "stuck") == 0)
		tf_diags_error(d, NULL, "Cannot delete thing", "It is in use.");
}

static void thing_import(tfp_ctx *ctx, const char *id, tf_value **out,
			 tf_diags *d)
{
	(void)d;
	*out = tf_schema_empty_object(ctx->schema);
	tf_value_object_set(*out, "name", tf_value_string(id));
}

/* v0 called the name "label"; v1 had the same shape as v2. */
static int thing_upgrade(int64_t from, json_t *state, tf_diags *d)
{
	(void)d;
	if (from == 0) {
		json_t *label = json_object_get(state, "label");
		json_object_set(state, "name", label);
		json_object_del(state, "label");
	}
	return 0;
}

/* Another provider's shape: "title" for "name"; "bad" is refused. The
 * last origin seen is kept for the tests (strings copied: the request is
 * freed after the call). */
static tfp_foreign adopted_from;
static char adopted_provider[64], adopted_type[64];

static int thing_adopt(const tfp_foreign *src, json_t *state, tf_diags *d)
{
	adopted_from = *src;
	snprintf(adopted_provider, sizeof(adopted_provider), "%s",
		 src->provider ? src->provider : "(null)");
	snprintf(adopted_type, sizeof(adopted_type), "%s", src->type_name);
	if (!json_object_get(state, "title"))
		return TFP_ADOPT_NOT_FOREIGN;
	if (json_object_get(state, "bad")) {
		tf_diags_error(d, NULL, "Cannot move", "attribute `bad`");
		return TFP_ADOPT_REFUSED;
	}
	json_object_set(state, "name", json_object_get(state, "title"));
	json_object_del(state, "title");
	return TFP_ADOPT_DONE;
}

static const tfp_resource thing = {
	.type_name = "fake_thing",
	.version = 2,
	.schema = &thing_schema,
	.create = thing_create,
	.read = thing_read,
	.update = thing_update,
	.remove = thing_remove,
	.import = thing_import,
	.upgrade = thing_upgrade,
	.adopt = thing_adopt,
};

static const tf_attr_def fake_provider_attrs[] = {
	{ "endpoint", "\"string\"", TF_OPTIONAL, NULL, "Endpoint." },
};
static const tf_block_def fake_provider_schema = {
	fake_provider_attrs, TF_COUNT(fake_provider_attrs)
};

static const tfp_resource *const fake_resources[] = { &thing };

static const tfp_provider fake = {
	.type = "fake",
	.source_address = "registry.terraform.io/test/fake",
	.schema = &fake_provider_schema,
	.configure = rpcfx_configure,
	.resources = fake_resources,
	.nresources = 1,
};

/* ---- helpers ------------------------------------------------------------ */

#define M "/tfplugin6.Provider/"

static rpc_app *app;
static tf_type *thing_type;

static int setup(void **state)
{
	(void)state;
	app = rpcfx_app(&fake, true); /* a null endpoint */
	thing_type = tf_schema_type(app->res[0].schema);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rpc_app_free(app);
	return 0;
}

/* An object of the thing type: name, size (or null when < 0), id (or null). */
static tf_value *thing_value(const char *name, int64_t size, const char *id)
{
	tf_value *v = tf_value_object_new(thing_type);

	tf_value_object_set(v, "name", tf_value_string(name));
	if (size >= 0)
		tf_value_object_set(v, "size", tf_value_int(size));
	if (id)
		tf_value_object_set(v, "id", tf_value_string(id));
	return v;
}

static tf_value *undv(const Tfplugin6__DynamicValue *d)
{
	return rpcfx_undv(d, thing_type);
}

/* Call `method` with a packed message; return the reply bytes. */
static uint8_t *call(const char *method, const ProtobufCMessage *rq,
		     size_t *rlen)
{
	return rpcfx_call(app, method, rq, rlen);
}

/* Call `method` with a packed message; return the reply bytes. */

/* ---- tests ------------------------------------------------------------- */

static void test_rpc_schema_reply(void **state)
{
	Tfplugin6__GetProviderSchema__Request rq =
		TFPLUGIN6__GET_PROVIDER_SCHEMA__REQUEST__INIT;
	Tfplugin6__GetProviderSchema__Response *rs;
	size_t rlen;
	uint8_t *b = call(M "GetProviderSchema", &rq.base, &rlen);
	Tfplugin6__Schema *s;

	(void)state;
	rs = RPC_UNPACK(tfplugin6__get_provider_schema__response, rlen, b);
	assert_non_null(rs);
	assert_non_null(rs->provider);
	assert_non_null(rs->provider->block); /* every schema has a block */
	assert_true(rs->server_capabilities->plan_destroy);
	assert_true(rs->server_capabilities->get_provider_schema_optional);
	assert_int_equal(rs->n_resource_schemas, 1);
	assert_string_equal(rs->resource_schemas[0]->key, "fake_thing");
	s = rs->resource_schemas[0]->value;
	assert_int_equal(s->version, 2);
	assert_int_equal(s->block->n_attributes, 3);
	for (size_t i = 0; i < s->block->n_attributes; i++) {
		Tfplugin6__Schema__Attribute *a = s->block->attributes[i];
		if (strcmp(a->name, "name") == 0) {
			assert_true(a->required);
			assert_memory_equal(a->type.data, "\"string\"",
					    a->type.len);
		}
		if (strcmp(a->name, "id") == 0)
			assert_true(a->computed && !a->optional &&
				    !a->required);
	}
	RPC_FREE(rs);
	free(b);
}

static Tfplugin6__UpgradeResourceState__Response *upgrade(int64_t version,
							  const char *json,
							  uint8_t **bytes)
{
	Tfplugin6__UpgradeResourceState__Request rq =
		TFPLUGIN6__UPGRADE_RESOURCE_STATE__REQUEST__INIT;
	Tfplugin6__RawState raw = TFPLUGIN6__RAW_STATE__INIT;
	size_t rlen;

	raw.json.data = (uint8_t *)json;
	raw.json.len = strlen(json);
	rq.type_name = (char *)"fake_thing";
	rq.version = version;
	rq.raw_state = &raw;
	*bytes = call(M "UpgradeResourceState", &rq.base, &rlen);
	return RPC_UNPACK(tfplugin6__upgrade_resource_state__response, rlen,
			  *bytes);
}

static void test_rpc_upgrade_from_every_version(void **state)
{
	static const char *const raw[] = {
		"{\"label\":\"a\",\"size\":1,\"id\":\"x\"}", /* v0 */
		"{\n  \"name\": \"a\",\n  \"size\": 1,\n  \"id\": \"x\"\n}", /* v1 pretty */
		"{\"name\":\"a\",\"size\":1}", /* v2, id missing */
	};

	(void)state;
	for (int v = 0; v < 3; v++) {
		uint8_t *b;
		Tfplugin6__UpgradeResourceState__Response *rs =
			upgrade(v, raw[v], &b);
		tf_value *got;

		assert_non_null(rs);
		assert_int_equal(rs->n_diagnostics, 0);
		got = undv(rs->upgraded_state);
		assert_string_equal(tf_value_attr_string(got, "name"), "a");
		assert_true(tf_value_is_wholly_known(got));
		tf_value_unref(got);
		RPC_FREE(rs);
		free(b);
	}
}

static void test_rpc_upgrade_rejects_newer_version(void **state)
{
	uint8_t *b;
	Tfplugin6__UpgradeResourceState__Response *rs =
		upgrade(3, "{\"name\":\"a\",\"size\":null,\"id\":null}", &b);

	(void)state;
	assert_int_equal(rs->n_diagnostics, 1);
	assert_int_equal(rs->diagnostics[0]->severity,
			 TFPLUGIN6__DIAGNOSTIC__SEVERITY__ERROR);
	assert_non_null(strstr(rs->diagnostics[0]->detail, "version 3"));
	RPC_FREE(rs);
	free(b);
}

/* A foreign shape through UpgradeResourceState (after replace-provider):
 * the adopt hook rewrites it, whatever the version, before the version
 * checks; no provider address is known. */
static void test_rpc_upgrade_adopts_foreign(void **state)
{
	uint8_t *b;
	Tfplugin6__UpgradeResourceState__Response *rs =
		upgrade(0, "{\"title\":\"t\",\"size\":3}", &b);
	tf_value *got;

	(void)state;
	assert_int_equal(rs->n_diagnostics, 0);
	got = undv(rs->upgraded_state);
	assert_string_equal(tf_value_attr_string(got, "name"), "t");
	assert_false(adopted_from.moved);
	assert_string_equal(adopted_provider, "(null)");
	assert_string_equal(adopted_type, "fake_thing");
	tf_value_unref(got);
	RPC_FREE(rs);
	free(b);
}

static Tfplugin6__MoveResourceState__Response *move(const char *src_type,
						    int64_t version,
						    const char *json,
						    const char *private_,
						    uint8_t **bytes)
{
	Tfplugin6__MoveResourceState__Request rq =
		TFPLUGIN6__MOVE_RESOURCE_STATE__REQUEST__INIT;
	Tfplugin6__RawState raw = TFPLUGIN6__RAW_STATE__INIT;
	size_t rlen;

	raw.json.data = (uint8_t *)json;
	raw.json.len = strlen(json);
	rq.source_provider_address = (char *)"lxd"; /* OpenTofu: local name */
	rq.source_type_name = (char *)src_type;
	rq.source_schema_version = version;
	rq.source_state = &raw;
	rq.target_type_name = (char *)"fake_thing";
	rq.source_private.data = (uint8_t *)private_;
	rq.source_private.len = strlen(private_);
	*bytes = call(M "MoveResourceState", &rq.base, &rlen);
	return RPC_UNPACK(tfplugin6__move_resource_state__response, rlen,
			  *bytes);
}

/* MoveResourceState: a foreign state adopted (its private state dropped),
 * refused (no state), this resource's own state from another address
 * (upgraded, private kept), and a cross-type move nobody adopts. */
static void test_rpc_move_state(void **state)
{
	uint8_t *b;
	Tfplugin6__MoveResourceState__Response *rs;
	tf_value *got;

	(void)state;
	rs = move("other_thing", 0, "{\"title\":\"m\"}", "theirs", &b);
	assert_int_equal(rs->n_diagnostics, 0);
	got = undv(rs->target_state);
	assert_string_equal(tf_value_attr_string(got, "name"), "m");
	assert_true(adopted_from.moved);
	assert_string_equal(adopted_provider, "lxd");
	assert_string_equal(adopted_type, "other_thing");
	assert_int_equal(rs->target_private.len, 0);
	tf_value_unref(got);
	RPC_FREE(rs);
	free(b);

	rs = move("other_thing", 0, "{\"title\":\"m\",\"bad\":1}", "", &b);
	assert_int_equal(rs->n_diagnostics, 1);
	assert_null(rs->target_state);
	RPC_FREE(rs);
	free(b);

	rs = move("fake_thing", 0, "{\"label\":\"own\",\"size\":1}", "ours",
		  &b);
	assert_int_equal(rs->n_diagnostics, 0);
	got = undv(rs->target_state);
	assert_string_equal(tf_value_attr_string(got, "name"), "own");
	assert_int_equal(rs->target_private.len, 4);
	tf_value_unref(got);
	RPC_FREE(rs);
	free(b);

	rs = move("other_kind", 2, "{\"name\":\"x\"}", "", &b);
	assert_int_equal(rs->n_diagnostics, 1);
	assert_string_equal(rs->diagnostics[0]->summary, "Unsupported move");
	assert_null(rs->target_state);
	RPC_FREE(rs);
	free(b);
}

static void test_rpc_plan_create_and_replace(void **state)
{
	Tfplugin6__PlanResourceChange__Request rq =
		TFPLUGIN6__PLAN_RESOURCE_CHANGE__REQUEST__INIT;
	Tfplugin6__PlanResourceChange__Response *rs;
	tf_value *null = tf_value_null(thing_type);
	tf_value *cfg = thing_value("a", 3, NULL);
	tf_value *prior = thing_value("old", 3, "id-old");
	tf_value *planned;
	size_t rlen;
	uint8_t *b;

	(void)state;
	/* Create: the computed id is planned unknown. */
	rq.type_name = (char *)"fake_thing";
	rq.prior_state = rpcfx_dv(null);
	rq.proposed_new_state = rpcfx_dv(cfg);
	rq.config = rpcfx_dv(cfg);
	b = call(M "PlanResourceChange", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__plan_resource_change__response, rlen, b);
	assert_int_equal(rs->n_diagnostics, 0);
	planned = undv(rs->planned_state);
	assert_true(tf_value_is_unknown(tf_value_attr(planned, "id")));
	assert_int_equal(rs->n_requires_replace, 0);
	tf_value_unref(planned);
	RPC_FREE(rs);
	free(b);
	rpcfx_dv_free(rq.prior_state);

	/* Rename: requires replacement at ["name"], private carried over. */
	rq.prior_state = rpcfx_dv(prior);
	rq.prior_private.data = (uint8_t *)"keep";
	rq.prior_private.len = 4;
	b = call(M "PlanResourceChange", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__plan_resource_change__response, rlen, b);
	assert_int_equal(rs->n_requires_replace, 1);
	assert_int_equal(rs->requires_replace[0]->n_steps, 1);
	assert_string_equal(rs->requires_replace[0]->steps[0]->attribute_name,
			    "name");
	assert_int_equal(rs->planned_private.len, 4);
	assert_memory_equal(rs->planned_private.data, "keep", 4);
	RPC_FREE(rs);
	free(b);

	rpcfx_dv_free(rq.prior_state);
	rpcfx_dv_free(rq.proposed_new_state);
	rpcfx_dv_free(rq.config);
	tf_value_unref(null);
	tf_value_unref(cfg);
	tf_value_unref(prior);
}

static Tfplugin6__ApplyResourceChange__Response *apply(const tf_value *prior,
						       const tf_value *planned,
						       const tf_value *config,
						       uint8_t **bytes)
{
	Tfplugin6__ApplyResourceChange__Request rq =
		TFPLUGIN6__APPLY_RESOURCE_CHANGE__REQUEST__INIT;
	Tfplugin6__ApplyResourceChange__Response *rs;
	size_t rlen;

	rq.type_name = (char *)"fake_thing";
	rq.prior_state = rpcfx_dv(prior);
	rq.planned_state = rpcfx_dv(planned);
	rq.config = rpcfx_dv(config);
	*bytes = call(M "ApplyResourceChange", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__apply_resource_change__response, rlen,
			*bytes);
	rpcfx_dv_free(rq.prior_state);
	rpcfx_dv_free(rq.planned_state);
	rpcfx_dv_free(rq.config);
	return rs;
}

static void test_rpc_apply_create_and_failed_delete(void **state)
{
	tf_value *null = tf_value_null(thing_type);
	tf_value *cfg = thing_value("stuck", -1, NULL);
	tf_value *planned = thing_value("stuck", -1, NULL);
	tf_value *got;
	uint8_t *b;
	Tfplugin6__ApplyResourceChange__Response *rs;

	(void)state;
	planned = tf_value_mut(planned);
	tf_value_object_set(planned, "id", tf_value_unknown(tf_type_string()));
	rs = apply(null, planned, cfg, &b);
	assert_int_equal(rs->n_diagnostics, 0);
	got = undv(rs->new_state);
	assert_string_equal(tf_value_attr_string(got, "id"), "id-stuck");
	assert_int_equal(rs->private_.len, strlen("created"));
	RPC_FREE(rs);
	free(b);

	/* Delete refused: the object stays in state. */
	rs = apply(got, null, null, &b);
	assert_int_equal(rs->n_diagnostics, 1);
	{
		tf_value *kept = undv(rs->new_state);
		assert_true(tf_value_equal(kept, got));
		tf_value_unref(kept);
	}
	RPC_FREE(rs);
	free(b);
	tf_value_unref(got);
	tf_value_unref(null);
	tf_value_unref(cfg);
	tf_value_unref(planned);
}

static void test_rpc_read_gone_and_private_echo(void **state)
{
	Tfplugin6__ReadResource__Request rq =
		TFPLUGIN6__READ_RESOURCE__REQUEST__INIT;
	Tfplugin6__ReadResource__Response *rs;
	tf_value *cur = thing_value("gone", -1, "id-gone");
	size_t rlen;
	uint8_t *b;

	(void)state;
	rq.type_name = (char *)"fake_thing";
	rq.current_state = rpcfx_dv(cur);
	rq.private_.data = (uint8_t *)"opaque";
	rq.private_.len = 6;
	b = call(M "ReadResource", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__read_resource__response, rlen, b);
	assert_int_equal(rs->n_diagnostics, 0);
	{
		tf_value *got = undv(rs->new_state);
		assert_true(tf_value_is_null(got)); /* object vanished */
		tf_value_unref(got);
	}
	assert_int_equal(rs->private_.len, 6);
	assert_memory_equal(rs->private_.data, "opaque", 6);
	RPC_FREE(rs);
	free(b);
	rpcfx_dv_free(rq.current_state);
	tf_value_unref(cur);
}

static void test_rpc_import(void **state)
{
	Tfplugin6__ImportResourceState__Request rq =
		TFPLUGIN6__IMPORT_RESOURCE_STATE__REQUEST__INIT;
	Tfplugin6__ImportResourceState__Response *rs;
	size_t rlen;
	uint8_t *b;

	(void)state;
	rq.type_name = (char *)"fake_thing";
	rq.id = (char *)"imported";
	b = call(M "ImportResourceState", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__import_resource_state__response, rlen, b);
	assert_int_equal(rs->n_imported_resources, 1);
	assert_string_equal(rs->imported_resources[0]->type_name, "fake_thing");
	{
		tf_value *got = undv(rs->imported_resources[0]->state);
		assert_string_equal(tf_value_attr_string(got, "name"),
				    "imported");
		tf_value_unref(got);
	}
	RPC_FREE(rs);
	free(b);
}

static void test_rpc_unknown_type_and_bad_requests(void **state)
{
	Tfplugin6__ValidateResourceConfig__Request rq =
		TFPLUGIN6__VALIDATE_RESOURCE_CONFIG__REQUEST__INIT;
	Tfplugin6__ValidateResourceConfig__Response *rs;
	static const uint8_t garbage[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f };
	uint8_t *resp = NULL, *b;
	size_t rlen = 0;
	const char *msg = NULL;

	(void)state;
	rq.type_name = (char *)"fake_nothing";
	b = call(M "ValidateResourceConfig", &rq.base, &rlen);
	rs = RPC_UNPACK(tfplugin6__validate_resource_config__response, rlen, b);
	assert_int_equal(rs->n_diagnostics, 1);
	assert_non_null(strstr(rs->diagnostics[0]->detail, "fake_nothing"));
	RPC_FREE(rs);
	free(b);

	assert_int_equal(rpc_handle(app, M "ReadResource", garbage,
				    sizeof(garbage), &resp, &rlen, &msg),
			 SRV_STATUS_INVALID_ARGUMENT);
	assert_null(resp);
	assert_int_equal(rpc_handle(app, M "NoSuchMethod", NULL, 0, &resp,
				    &rlen, &msg),
			 SRV_STATUS_UNIMPLEMENTED);
	assert_null(resp);
}

static void test_rpc_stop_raises_flag(void **state)
{
	Tfplugin6__StopProvider__Request rq =
		TFPLUGIN6__STOP_PROVIDER__REQUEST__INIT;
	size_t rlen;
	uint8_t *b;

	(void)state;
	assert_int_equal(atomic_load(&app->stop), 0);
	b = call(M "StopProvider", &rq.base, &rlen);
	assert_int_equal(atomic_load(&app->stop), 1);
	free(b);
}

/* ---- the method table -------------------------------------------------- */

/* Every registered method has its row, with descriptors of its own
 * messages (Name.Request -> Name.Response, or a stream's Name.Event), and
 * the served set is the one before the table plus the two list RPCs. */
static void test_rpc_table_rows(void **state)
{
	static const char *const served[] = {
		"GetProviderSchema",
		"GetMetadata",
		"ValidateProviderConfig",
		"ValidateResourceConfig",
		"ValidateDataResourceConfig",
		"UpgradeResourceState",
		"MoveResourceState",
		"ConfigureProvider",
		"ReadResource",
		"PlanResourceChange",
		"ApplyResourceChange",
		"ImportResourceState",
		"ReadDataSource",
		"StopProvider",
		"GetFunctions",
		"CallFunction",
		"GetResourceIdentitySchemas",
		"UpgradeResourceIdentity",
		"GenerateResourceConfig",
		"ValidateEphemeralResourceConfig",
		"OpenEphemeralResource",
		"RenewEphemeralResource",
		"CloseEphemeralResource",
		"ValidateListResourceConfig",
		"ListResource",
	};
	srv_config cfg = { 0 };
	char want[128];
	size_t i, j;

	(void)state;
	rpc_server_config(app, &cfg);
	assert_ptr_equal(cfg.app, app);
	assert_ptr_equal(cfg.stop, &app->stop);
	assert_non_null(cfg.unary);
	assert_non_null(cfg.stream);
	assert_int_equal(cfg.n_methods, TF_COUNT(served));
	for (i = 0; i < TF_COUNT(served); i++) {
		const rpc_method *m;
		const srv_method *sm = NULL;

		snprintf(want, sizeof(want), M "%s", served[i]);
		for (j = 0; j < cfg.n_methods; j++)
			if (strcmp(cfg.methods[j].path, want) == 0)
				sm = &cfg.methods[j];
		assert_non_null(sm);
		m = rpc_method_find(want);
		assert_non_null(m);
		assert_ptr_equal(sm->data, m);
		assert_int_equal(sm->kind, m->kind);
		assert_int_equal(m->kind,
				 strcmp(served[i], "ListResource") == 0 ?
					 SRV_SERVER_STREAM :
					 SRV_UNARY);
		snprintf(want, sizeof(want), "tfplugin6.%s.Request", served[i]);
		assert_string_equal(m->req->name, want);
		snprintf(want, sizeof(want), "tfplugin6.%s.%s", served[i],
			 m->kind == SRV_UNARY ? "Response" : "Event");
		assert_string_equal(m->resp->name, want);
	}
	assert_null(rpc_method_find(M "NoSuchMethod"));
	assert_null(rpc_method_find(NULL));
}

/* A sink that keeps every message, or refuses them all. */
typedef struct sink {
	uint8_t *msgs[16];
	size_t lens[16];
	size_t n, calls;
	int refuse;
} sink;

static int sink_take(void *ctx, uint8_t *msg, size_t len)
{
	sink *k = ctx;

	k->calls++;
	if (k->refuse || k->n == TF_COUNT(k->msgs)) {
		free(msg);
		return -1;
	}
	k->msgs[k->n] = msg;
	k->lens[k->n++] = len;
	return 0;
}

static void sink_done(sink *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->msgs[i]);
}

static int list(const char *type, sink *k, const char **msg)
{
	Tfplugin6__ListResource__Request rq =
		TFPLUGIN6__LIST_RESOURCE__REQUEST__INIT;
	uint8_t *req;
	size_t len;
	int st;

	rq.type_name = (char *)type;
	rq.limit = 10;
	RPC_PACK(x, &rq, &req, &len);
	st = rpc_stream_call(app, rpc_method_find(M "ListResource"), req, len,
			     sink_take, k, msg);
	free(req);
	return st;
}

/* No type has a list resource: one event with an error diagnostic naming
 * the type, then OK (what Terraform reads as a diagnostic). A stream
 * whose client is gone ends CANCELLED; ListResource is no unary call. */
static void test_rpc_list_resource_unknown_type(void **state)
{
	Tfplugin6__ListResource__Event *ev;
	const char *msg = NULL;
	uint8_t *resp = NULL;
	size_t rlen = 0;
	sink k = { 0 };

	(void)state;
	assert_int_equal(list("fake_thing", &k, &msg), SRV_STATUS_OK);
	assert_int_equal(k.n, 1);
	ev = RPC_UNPACK(tfplugin6__list_resource__event, k.lens[0], k.msgs[0]);
	assert_non_null(ev);
	assert_null(ev->identity);
	assert_null(ev->resource_object);
	assert_int_equal(ev->n_diagnostic, 1);
	assert_int_equal(ev->diagnostic[0]->severity,
			 TFPLUGIN6__DIAGNOSTIC__SEVERITY__ERROR);
	assert_string_equal(ev->diagnostic[0]->summary,
			    "Unsupported list resource type");
	assert_non_null(strstr(ev->diagnostic[0]->detail, "\"fake_thing\""));
	RPC_FREE(ev);
	sink_done(&k);

	memset(&k, 0, sizeof(k));
	k.refuse = 1;
	assert_int_equal(list("fake_thing", &k, &msg), SRV_STATUS_CANCELLED);
	assert_int_equal(k.calls, 1);

	assert_int_equal(rpc_stream_call(app, rpc_method_find(M "ListResource"),
					 (const uint8_t *)"\x0a\xff", 2,
					 sink_take, &k, &msg),
			 SRV_STATUS_INVALID_ARGUMENT);
	assert_string_equal(msg, "request could not be decoded");
	assert_int_equal(k.calls, 1);

	assert_int_equal(rpc_handle(app, M "ListResource", NULL, 0, &resp,
				    &rlen, &msg),
			 SRV_STATUS_UNIMPLEMENTED);
	assert_null(resp);
}

/* The generic stream wrapper: each send packs the message, then empties
 * the per-message arena and re-initialises the message, so a long stream
 * holds one message at a time. A handler made for this test sends 10,000
 * events, each with arena-allocated strings and a diagnostic. */
static size_t counted;

static int count_sink(void *ctx, uint8_t *msg, size_t len)
{
	Tfplugin6__ListResource__Event *ev =
		RPC_UNPACK(tfplugin6__list_resource__event, len, msg);
	char want[32];

	snprintf(want, sizeof(want), "object-%zu", counted);
	assert_non_null(ev);
	assert_string_equal(ev->display_name, want);
	assert_int_equal(ev->n_diagnostic, 1);
	RPC_FREE(ev);
	free(msg);
	(void)ctx;
	counted++;
	return 0;
}

static int many_events(rpc_call *c, const void *req, rpc_stream *out)
{
	tf_diags d = TF_DIAGS_INIT;
	char name[32];

	(void)req;
	rpc_strdup(&c->arena, "per call");
	tf_diags_warn(&d, NULL, "Slow listing", "Still listing.");
	for (int i = 0; i < 10000; i++) {
		Tfplugin6__ListResource__Event *ev = out->msg;

		snprintf(name, sizeof(name), "object-%d", i);
		ev->display_name = rpc_strdup(&out->arena, name);
		rpc_put_diags(&out->arena, &d, &ev->n_diagnostic,
			      &ev->diagnostic);
		assert_int_equal(rpc_stream_send(out), 0);
		assert_int_equal(out->arena.n, 0);
		assert_string_equal(ev->display_name, "");
		assert_int_equal(ev->n_diagnostic, 0);
		assert_int_equal(c->arena.n, 1);
	}
	tf_diags_done(&d);
	return SRV_STATUS_OK;
}

static void test_rpc_stream_writer_resets(void **state)
{
	const rpc_method row = {
		"/test/Many",
		&tfplugin6__list_resource__request__descriptor,
		&tfplugin6__list_resource__event__descriptor,
		SRV_SERVER_STREAM,
		{ .stream = many_events },
	};

	(void)state;
	counted = 0;
	assert_int_equal(rpc_stream_call(app, &row, NULL, 0, count_sink, NULL,
					 NULL),
			 SRV_STATUS_OK);
	assert_int_equal(counted, 10000);
}

/* The generic unary wrapper: a handler's non-OK status and details pass
 * through without a reply; what it allocated in the arena is freed. */
static int refuse(rpc_call *c, const void *req, void *resp)
{
	(void)req;
	rpc_strdup(&c->arena, "scratch");
	((Tfplugin6__StopProvider__Response *)resp)->error =
		rpc_strdup(&c->arena, "never sent");
	c->status_msg = "refused";
	return SRV_STATUS_INTERNAL;
}

static void test_rpc_unary_wrapper_status(void **state)
{
	const rpc_method row = {
		"/test/Refuse",
		&tfplugin6__stop_provider__request__descriptor,
		&tfplugin6__stop_provider__response__descriptor,
		SRV_UNARY,
		{ .unary = refuse },
	};
	uint8_t *resp = NULL;
	size_t rlen = 0;
	const char *msg = NULL;

	(void)state;
	assert_int_equal(rpc_unary_call(app, &row, NULL, 0, &resp, &rlen, &msg),
			 SRV_STATUS_INTERNAL);
	assert_string_equal(msg, "refused");
	assert_null(resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rpc_schema_reply),
		cmocka_unit_test(test_rpc_upgrade_from_every_version),
		cmocka_unit_test(test_rpc_upgrade_rejects_newer_version),
		cmocka_unit_test(test_rpc_plan_create_and_replace),
		cmocka_unit_test(test_rpc_apply_create_and_failed_delete),
		cmocka_unit_test(test_rpc_read_gone_and_private_echo),
		cmocka_unit_test(test_rpc_import),
		cmocka_unit_test(test_rpc_unknown_type_and_bad_requests),
		cmocka_unit_test(test_rpc_table_rows),
		cmocka_unit_test(test_rpc_upgrade_adopts_foreign),
		cmocka_unit_test(test_rpc_move_state),
		cmocka_unit_test(test_rpc_list_resource_unknown_type),
		cmocka_unit_test(test_rpc_stream_writer_resets),
		cmocka_unit_test(test_rpc_unary_wrapper_status),
		cmocka_unit_test(test_rpc_stop_raises_flag),
	};
	return cmocka_run_group_tests_name("rpc", tests, setup, teardown);
}
