/* The protocol 6.10 messages of proto/tfplugin6.proto through protobuf-c:
 * one message of each new kind packed and compared with wire bytes written
 * out by hand from Terraform's field numbers (so a wrong number or type
 * fails), then unpacked again; and replies from a peer that knows the 6.10
 * parts we leave out (state stores, actions) decode with those fields
 * skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tfplugin6.pb-c.h"

/* Pack any message into a malloc'd buffer. */
static uint8_t *pack(const void *msg, size_t *len)
{
	const ProtobufCMessage *m = msg;
	uint8_t *b;

	*len = protobuf_c_message_get_packed_size(m);
	b = malloc(*len ? *len : 1);
	assert_non_null(b);
	assert_int_equal(protobuf_c_message_pack(m, b), *len);
	return b;
}

static void *unpack(const ProtobufCMessageDescriptor *d, const uint8_t *b,
		    size_t len)
{
	void *m = protobuf_c_message_unpack(d, NULL, len, b);

	assert_non_null(m);
	return m;
}

static void unpacked_free(void *m)
{
	protobuf_c_message_free_unpacked(m, NULL);
}

/* Pack `msg` and compare with the expected wire bytes. */
static void expect_wire(const void *msg, const uint8_t *want, size_t want_len)
{
	size_t len;
	uint8_t *b = pack(msg, &len);

	assert_int_equal(len, want_len);
	assert_memory_equal(b, want, want_len);
	free(b);
}

/* msgpack {"name": "x"}: an identity object. */
static const uint8_t ident_mp[] = { 0x81, 0xa4, 'n', 'a', 'm', 'e', 0xa1, 'x' };

static void test_list_resource_request(void **state)
{
	Tfplugin6__ListResource__Request rq =
		TFPLUGIN6__LIST_RESOURCE__REQUEST__INIT;
	Tfplugin6__DynamicValue cfg = TFPLUGIN6__DYNAMIC_VALUE__INIT;
	Tfplugin6__ListResource__Request *back;
	static const uint8_t cfg_mp[] = { 0x80 }; /* {} */
	static const uint8_t
		want[] = {
			/* type_name = 1 */
			0x0a, 0x0b, 'l',  'x',  'd', '_', 's',
			't',  'o',  'r',  'a',  'g', 'e', 0x12,
			0x03, 0x0a, 0x01, 0x80, /* config = 2 { msgpack = 1 } */
			0x18, 0x01,       /* include_resource_object = 3 */
			0x20, 0xe8, 0x07, /* limit = 4: 1000 */
		};
	uint8_t *b;
	size_t len;

	(void)state;
	rq.type_name = (char *)"lxd_storage";
	cfg.msgpack.data = (uint8_t *)cfg_mp;
	cfg.msgpack.len = sizeof(cfg_mp);
	rq.config = &cfg;
	rq.include_resource_object = 1;
	rq.limit = 1000;
	expect_wire(&rq, want, sizeof(want));

	b = pack(&rq, &len);
	back = unpack(&tfplugin6__list_resource__request__descriptor, b, len);
	assert_string_equal(back->type_name, "lxd_storage");
	assert_non_null(back->config);
	assert_int_equal(back->config->msgpack.len, 1);
	assert_true(back->include_resource_object);
	assert_int_equal(back->limit, 1000);
	unpacked_free(back);
	free(b);
}

static void test_list_resource_event(void **state)
{
	Tfplugin6__ListResource__Event ev =
		TFPLUGIN6__LIST_RESOURCE__EVENT__INIT;
	Tfplugin6__ResourceIdentityData id =
		TFPLUGIN6__RESOURCE_IDENTITY_DATA__INIT;
	Tfplugin6__DynamicValue idv = TFPLUGIN6__DYNAMIC_VALUE__INIT;
	Tfplugin6__DynamicValue obj = TFPLUGIN6__DYNAMIC_VALUE__INIT;
	Tfplugin6__Diagnostic dg = TFPLUGIN6__DIAGNOSTIC__INIT;
	Tfplugin6__Diagnostic *dgs[] = { &dg };
	Tfplugin6__ListResource__Event *back;
	static const uint8_t obj_mp[] = { 0xc0 }; /* nil */
	static const uint8_t want[] = {
		/* identity = 1 { identity_data = 1 { msgpack = 1 } } */
		0x0a,
		0x0c,
		0x0a,
		0x0a,
		0x0a,
		0x08,
		0x81,
		0xa4,
		'n',
		'a',
		'm',
		'e',
		0xa1,
		'x',
		0x12,
		0x02,
		'p',
		'1', /* display_name = 2 */
		0x1a,
		0x03,
		0x0a,
		0x01,
		0xc0, /* resource_object = 3 */
		/* diagnostic = 4 { severity = 1: WARNING, summary = 2 } */
		0x22,
		0x05,
		0x08,
		0x02,
		0x12,
		0x01,
		'w',
	};
	uint8_t *b;
	size_t len;

	(void)state;
	idv.msgpack.data = (uint8_t *)ident_mp;
	idv.msgpack.len = sizeof(ident_mp);
	id.identity_data = &idv;
	ev.identity = &id;
	ev.display_name = (char *)"p1";
	obj.msgpack.data = (uint8_t *)obj_mp;
	obj.msgpack.len = sizeof(obj_mp);
	ev.resource_object = &obj;
	dg.severity = TFPLUGIN6__DIAGNOSTIC__SEVERITY__WARNING;
	dg.summary = (char *)"w";
	ev.n_diagnostic = 1;
	ev.diagnostic = dgs;
	expect_wire(&ev, want, sizeof(want));

	b = pack(&ev, &len);
	back = unpack(&tfplugin6__list_resource__event__descriptor, b, len);
	assert_non_null(back->identity);
	assert_non_null(back->identity->identity_data);
	assert_int_equal(back->identity->identity_data->msgpack.len,
			 sizeof(ident_mp));
	assert_memory_equal(back->identity->identity_data->msgpack.data,
			    ident_mp, sizeof(ident_mp));
	assert_string_equal(back->display_name, "p1");
	assert_non_null(back->resource_object);
	assert_int_equal(back->n_diagnostic, 1);
	assert_int_equal(back->diagnostic[0]->severity,
			 TFPLUGIN6__DIAGNOSTIC__SEVERITY__WARNING);
	unpacked_free(back);
	free(b);

	/* An event without the optional object: resource_object stays absent
	 * (presence is what tells "not requested" from a null object). */
	ev.resource_object = NULL;
	b = pack(&ev, &len);
	back = unpack(&tfplugin6__list_resource__event__descriptor, b, len);
	assert_null(back->resource_object);
	unpacked_free(back);
	free(b);
}

static void test_validate_list_resource_config(void **state)
{
	Tfplugin6__ValidateListResourceConfig__Request rq =
		TFPLUGIN6__VALIDATE_LIST_RESOURCE_CONFIG__REQUEST__INIT;
	Tfplugin6__ValidateListResourceConfig__Response rs =
		TFPLUGIN6__VALIDATE_LIST_RESOURCE_CONFIG__RESPONSE__INIT;
	Tfplugin6__DynamicValue cfg = TFPLUGIN6__DYNAMIC_VALUE__INIT;
	Tfplugin6__DynamicValue inc = TFPLUGIN6__DYNAMIC_VALUE__INIT;
	Tfplugin6__DynamicValue lim = TFPLUGIN6__DYNAMIC_VALUE__INIT;
	Tfplugin6__Diagnostic dg = TFPLUGIN6__DIAGNOSTIC__INIT;
	Tfplugin6__Diagnostic *dgs[] = { &dg };
	Tfplugin6__ValidateListResourceConfig__Request *back;
	static const uint8_t t[] = { 0xc3 }, unknown[] = { 0xd4, 0x00, 0x00 };
	static const uint8_t empty_obj[] = { 0x80 };
	static const uint8_t want_rq[] = {
		0x0a, 0x01, 'n',              /* type_name = 1 */
		0x12, 0x03, 0x0a, 0x01, 0x80, /* config = 2 */
		0x1a, 0x03, 0x0a, 0x01, 0xc3, /* include_resource_object = 3 */
		0x22, 0x05, 0x0a, 0x03, 0xd4, 0x00, 0x00, /* limit = 4 */
	};
	static const uint8_t want_rs[] = {
		/* diagnostics = 1 { severity = 1: ERROR, summary = 2 } */
		0x0a, 0x05, 0x08, 0x01, 0x12, 0x01, 'e',
	};
	uint8_t *b;
	size_t len;

	(void)state;
	rq.type_name = (char *)"n";
	cfg.msgpack.data = (uint8_t *)empty_obj;
	cfg.msgpack.len = 1;
	inc.msgpack.data = (uint8_t *)t;
	inc.msgpack.len = 1;
	lim.msgpack.data = (uint8_t *)unknown;
	lim.msgpack.len = sizeof(unknown);
	rq.config = &cfg;
	rq.include_resource_object = &inc;
	rq.limit = &lim;
	expect_wire(&rq, want_rq, sizeof(want_rq));
	b = pack(&rq, &len);
	back = unpack(
		&tfplugin6__validate_list_resource_config__request__descriptor,
		b, len);
	assert_int_equal(back->limit->msgpack.len, 3);
	assert_int_equal(back->limit->msgpack.data[0], 0xd4);
	assert_int_equal(back->include_resource_object->msgpack.data[0], 0xc3);
	unpacked_free(back);
	free(b);

	dg.severity = TFPLUGIN6__DIAGNOSTIC__SEVERITY__ERROR;
	dg.summary = (char *)"e";
	rs.n_diagnostics = 1;
	rs.diagnostics = dgs;
	expect_wire(&rs, want_rs, sizeof(want_rs));
}

static void test_generate_resource_config(void **state)
{
	Tfplugin6__GenerateResourceConfig__Request rq =
		TFPLUGIN6__GENERATE_RESOURCE_CONFIG__REQUEST__INIT;
	Tfplugin6__GenerateResourceConfig__Response rs =
		TFPLUGIN6__GENERATE_RESOURCE_CONFIG__RESPONSE__INIT;
	Tfplugin6__ServerCapabilities caps =
		TFPLUGIN6__SERVER_CAPABILITIES__INIT;
	Tfplugin6__DynamicValue st = TFPLUGIN6__DYNAMIC_VALUE__INIT;
	static const uint8_t want_rq[] = {
		0x0a, 0x01, 'r',              /* type_name = 1 */
		0x12, 0x03, 0x0a, 0x01, 0xc0, /* state = 2 */
	};
	static const uint8_t want_rs[] = {
		0x0a, 0x03, 0x0a, 0x01, 0xc0, /* config = 1 */
	};
	static const uint8_t want_caps[] = { 0x20, 0x01 }; /* field 4 */
	static const uint8_t nil[] = { 0xc0 };

	(void)state;
	st.msgpack.data = (uint8_t *)nil;
	st.msgpack.len = 1;
	rq.type_name = (char *)"r";
	rq.state = &st;
	expect_wire(&rq, want_rq, sizeof(want_rq));
	rs.config = &st;
	expect_wire(&rs, want_rs, sizeof(want_rs));
	caps.generate_resource_config = 1;
	expect_wire(&caps, want_caps, sizeof(want_caps));
}

static void test_metadata_list_resources(void **state)
{
	Tfplugin6__GetMetadata__Response rs =
		TFPLUGIN6__GET_METADATA__RESPONSE__INIT;
	Tfplugin6__GetMetadata__ListResourceMetadata lm =
		TFPLUGIN6__GET_METADATA__LIST_RESOURCE_METADATA__INIT;
	Tfplugin6__GetMetadata__ListResourceMetadata *lms[] = { &lm };
	Tfplugin6__GetMetadata__Response *back;
	static const uint8_t want[] = {
		0x3a, 0x03, 0x0a, 0x01, 'l', /* list_resources = 7 */
	};
	/* A 6.10 peer's reply with state_stores = 8 and actions = 9 as
	 * well: they are skipped, the rest decodes. */
	static const uint8_t newer[] = {
		0x3a, 0x03, 0x0a, 0x01, 'l',  0x42, 0x03, 0x0a,
		0x01, 's',  0x4a, 0x03, 0x0a, 0x01, 'a',
	};

	(void)state;
	lm.type_name = (char *)"l";
	rs.n_list_resources = 1;
	rs.list_resources = lms;
	expect_wire(&rs, want, sizeof(want));
	back = unpack(&tfplugin6__get_metadata__response__descriptor, newer,
		      sizeof(newer));
	assert_int_equal(back->n_list_resources, 1);
	assert_string_equal(back->list_resources[0]->type_name, "l");
	unpacked_free(back);
}

static void test_schema_list_resource_schemas(void **state)
{
	Tfplugin6__GetProviderSchema__Response rs =
		TFPLUGIN6__GET_PROVIDER_SCHEMA__RESPONSE__INIT;
	Tfplugin6__GetProviderSchema__Response__ListResourceSchemasEntry e =
		TFPLUGIN6__GET_PROVIDER_SCHEMA__RESPONSE__LIST_RESOURCE_SCHEMAS_ENTRY__INIT;
	Tfplugin6__GetProviderSchema__Response__ListResourceSchemasEntry
		*es[] = { &e };
	Tfplugin6__Schema sc = TFPLUGIN6__SCHEMA__INIT;
	Tfplugin6__Schema__Block blk = TFPLUGIN6__SCHEMA__BLOCK__INIT;
	Tfplugin6__Schema__Attribute at = TFPLUGIN6__SCHEMA__ATTRIBUTE__INIT;
	Tfplugin6__Schema__Attribute *ats[] = { &at };
	Tfplugin6__GetProviderSchema__Response *back;
	static const uint8_t want[] = {
		/* list_resource_schemas = 9 { key = 1, value = 2 { block = 2 {
		 *   attributes = 2 { name = 1, type = 2, optional = 5,
		 *                    deprecation_message = 12 },
		 *   deprecation_message = 7 } } } */
		0x4a, 0x1c, 0x0a, 0x01, 'k',  0x12, 0x17, 0x12, 0x15, 0x12,
		0x0e, 0x0a, 0x01, 'p',  0x12, 0x03, '"',  's',  '"',  0x28,
		0x01, 0x62, 0x02, 'a',  'd',  0x3a, 0x03, 'b',  'd',  '!',
	};
	/* A 6.10 peer's reply with state_store_schemas = 10 and
	 * action_schemas = 11 entries: skipped, the rest decodes. */
	static const uint8_t newer[] = {
		0x4a, 0x04, 0x0a, 0x02, 'k', '2', /* list_resource_schemas */
		0x52, 0x03, 0x0a, 0x01, 's',      /* state_store_schemas */
		0x5a, 0x03, 0x0a, 0x01, 'a',      /* action_schemas */
	};

	(void)state;
	at.name = (char *)"p";
	at.type.data = (uint8_t *)"\"s\"";
	at.type.len = 3;
	at.optional = 1;
	at.deprecation_message = (char *)"ad";
	blk.n_attributes = 1;
	blk.attributes = ats;
	blk.deprecation_message = (char *)"bd!";
	sc.block = &blk;
	e.key = (char *)"k";
	e.value = &sc;
	rs.n_list_resource_schemas = 1;
	rs.list_resource_schemas = es;
	expect_wire(&rs, want, sizeof(want));

	back = unpack(&tfplugin6__get_provider_schema__response__descriptor,
		      want, sizeof(want));
	assert_int_equal(back->n_list_resource_schemas, 1);
	assert_string_equal(back->list_resource_schemas[0]->key, "k");
	assert_string_equal(back->list_resource_schemas[0]
				    ->value->block->deprecation_message,
			    "bd!");
	assert_string_equal(back->list_resource_schemas[0]
				    ->value->block->attributes[0]
				    ->deprecation_message,
			    "ad");
	unpacked_free(back);

	back = unpack(&tfplugin6__get_provider_schema__response__descriptor,
		      newer, sizeof(newer));
	assert_int_equal(back->n_list_resource_schemas, 1);
	assert_string_equal(back->list_resource_schemas[0]->key, "k2");
	assert_null(back->list_resource_schemas[0]->value);
	unpacked_free(back);
}

/* The service descriptor knows the two list RPCs (protoc-c drops the
 * streaming flag; the method names are what the server registers). */
static void test_service_methods(void **state)
{
	const ProtobufCServiceDescriptor *sd = &tfplugin6__provider__descriptor;
	int list = 0, validate = 0;

	(void)state;
	for (unsigned i = 0; i < sd->n_methods; i++) {
		if (strcmp(sd->methods[i].name, "ListResource") == 0) {
			list = 1;
			assert_ptr_equal(
				sd->methods[i].input,
				&tfplugin6__list_resource__request__descriptor);
			assert_ptr_equal(
				sd->methods[i].output,
				&tfplugin6__list_resource__event__descriptor);
		}
		if (strcmp(sd->methods[i].name, "ValidateListResourceConfig") ==
		    0)
			validate = 1;
	}
	assert_true(list);
	assert_true(validate);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_resource_request),
		cmocka_unit_test(test_list_resource_event),
		cmocka_unit_test(test_validate_list_resource_config),
		cmocka_unit_test(test_generate_resource_config),
		cmocka_unit_test(test_metadata_list_resources),
		cmocka_unit_test(test_schema_list_resource_schemas),
		cmocka_unit_test(test_service_methods),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
