/* provider/rpc helper: the compiled schema tables rendered as tfplugin6
 * Schema messages, and the GetProviderSchema reply (see rpc_schema.h).
 * The reply is built once per process, on first use (rpc_provider.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_function.h"
#include "rpc_schema.h"

static Tfplugin6__Schema__Block *put_block(rpc_arena *ar, const tf_schema *s,
					   int64_t version);

static Tfplugin6__Schema__Attribute *put_attr(rpc_arena *ar,
					      const tf_attr_def *a,
					      tf_type *type,
					      const tf_schema *nested);

/* A nested attribute's Schema.Object: its attributes and nesting (the
 * type field stays empty: Terraform derives the type from these). */
static Tfplugin6__Schema__Object *put_object(rpc_arena *ar, tf_nesting nest,
					     const tf_schema *inner)
{
	static const Tfplugin6__Schema__Object__NestingMode modes[] = {
		[TF_NEST_SINGLE] =
			TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__SINGLE,
		[TF_NEST_LIST] = TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__LIST,
		[TF_NEST_SET] = TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__SET,
		[TF_NEST_MAP] = TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__MAP,
	};
	const tf_block_def *def = tf_schema_def(inner);
	Tfplugin6__Schema__Object *po = rpc_alloc(ar, sizeof(*po));

	tfplugin6__schema__object__init(po);
	if (nest >= TF_NEST_SINGLE && nest <= TF_NEST_MAP)
		po->nesting = modes[nest];
	po->n_attributes = def->nattrs;
	po->attributes = rpc_alloc(ar, def->nattrs * sizeof(*po->attributes));
	for (size_t i = 0; i < def->nattrs; i++)
		po->attributes[i] = put_attr(ar, &def->attrs[i],
					     tf_schema_attr_type(inner, i),
					     tf_schema_attr_nested(inner, i));
	return po;
}

static Tfplugin6__Schema__Attribute *put_attr(rpc_arena *ar,
					      const tf_attr_def *a,
					      tf_type *type,
					      const tf_schema *nested)
{
	Tfplugin6__Schema__Attribute *pa = rpc_alloc(ar, sizeof(*pa));

	tfplugin6__schema__attribute__init(pa);
	pa->name = (char *)a->name;
	if (nested) {
		pa->nested_type = put_object(ar, a->nested->nesting, nested);
	} else {
		char *tj = tf_type_to_json(type);

		pa->type.data = (uint8_t *)rpc_own(ar, tj);
		pa->type.len = strlen(tj);
	}
	pa->description = (char *)(a->description ? a->description : "");
	pa->description_kind = TFPLUGIN6__STRING_KIND__MARKDOWN;
	pa->required = (a->flags & TF_REQUIRED) != 0;
	pa->optional = (a->flags & TF_OPTIONAL) != 0;
	pa->computed = (a->flags & TF_COMPUTED) != 0;
	pa->sensitive = (a->flags & TF_SENSITIVE) != 0;
	pa->write_only = (a->flags & TF_WRITE_ONLY) != 0;
	pa->deprecated = (a->flags & TF_DEPRECATED) != 0;
	return pa;
}

/* tf_nesting -> the protocol's nesting mode. */
static const Tfplugin6__Schema__NestedBlock__NestingMode nesting_modes[] = {
	[TF_NEST_SINGLE] = TFPLUGIN6__SCHEMA__NESTED_BLOCK__NESTING_MODE__SINGLE,
	[TF_NEST_LIST] = TFPLUGIN6__SCHEMA__NESTED_BLOCK__NESTING_MODE__LIST,
	[TF_NEST_SET] = TFPLUGIN6__SCHEMA__NESTED_BLOCK__NESTING_MODE__SET,
	[TF_NEST_MAP] = TFPLUGIN6__SCHEMA__NESTED_BLOCK__NESTING_MODE__MAP,
	[TF_NEST_GROUP] = TFPLUGIN6__SCHEMA__NESTED_BLOCK__NESTING_MODE__GROUP,
};

static Tfplugin6__Schema__NestedBlock *put_nested(rpc_arena *ar,
						  const tf_nested_block_def *nb,
						  const tf_schema *inner)
{
	Tfplugin6__Schema__NestedBlock *pn = rpc_alloc(ar, sizeof(*pn));

	tfplugin6__schema__nested_block__init(pn);
	pn->type_name = (char *)nb->type_name;
	pn->block = put_block(ar, inner, 0);
	if (nb->nesting >= TF_NEST_SINGLE && nb->nesting <= TF_NEST_GROUP)
		pn->nesting = nesting_modes[nb->nesting];
	pn->min_items = nb->min_items;
	pn->max_items = nb->max_items;
	return pn;
}

static Tfplugin6__Schema__Block *put_block(rpc_arena *ar, const tf_schema *s,
					   int64_t version)
{
	const tf_block_def *def = tf_schema_def(s);
	Tfplugin6__Schema__Block *pb = rpc_alloc(ar, sizeof(*pb));

	tfplugin6__schema__block__init(pb);
	pb->version = version;
	pb->description = (char *)(def->description ? def->description : "");
	pb->description_kind = TFPLUGIN6__STRING_KIND__MARKDOWN;
	pb->deprecated = def->deprecated;
	pb->n_attributes = def->nattrs;
	pb->attributes = rpc_alloc(ar, def->nattrs * sizeof(*pb->attributes));
	for (size_t i = 0; i < def->nattrs; i++)
		pb->attributes[i] = put_attr(ar, &def->attrs[i],
					     tf_schema_attr_type(s, i),
					     tf_schema_attr_nested(s, i));
	pb->n_block_types = def->nblocks;
	pb->block_types = rpc_alloc(ar,
				    def->nblocks * sizeof(*pb->block_types));
	for (size_t i = 0; i < def->nblocks; i++)
		pb->block_types[i] = put_nested(ar, &def->blocks[i],
						tf_schema_block(s, i));
	return pb;
}

Tfplugin6__Schema *rpc_put_schema(rpc_arena *ar, const tf_schema *s)
{
	Tfplugin6__Schema *ps = rpc_alloc(ar, sizeof(*ps));

	tfplugin6__schema__init(ps);
	ps->version = tf_schema_version(s);
	ps->block = put_block(ar, s, tf_schema_version(s));
	return ps;
}

Tfplugin6__GetProviderSchema__Response *rpc_schema_reply(rpc_arena *ar,
							 const rpc_app *app)
{
	Tfplugin6__GetProviderSchema__Response *rs = rpc_alloc(ar, sizeof(*rs));

	tfplugin6__get_provider_schema__response__init(rs);
	rs->server_capabilities = rpc_server_capabilities(ar);
	rs->provider = rpc_put_schema(ar, app->provider_schema);
	rpc_put_functions(ar, app, &rs->n_functions, &rs->functions);
	/* One row per kind: the response field, the app's list, the entry. */
	RPC_PUT_TYPES(
		ar, rs, resource_schemas, app->nres,
		Tfplugin6__GetProviderSchema__Response__ResourceSchemasEntry,
		tfplugin6__get_provider_schema__response__resource_schemas_entry__init,
		(m->key = (char *)app->res[i].def->type_name,
		 m->value = rpc_put_schema(ar, app->res[i].schema)));
	RPC_PUT_TYPES(
		ar, rs, data_source_schemas, app->nds,
		Tfplugin6__GetProviderSchema__Response__DataSourceSchemasEntry,
		tfplugin6__get_provider_schema__response__data_source_schemas_entry__init,
		(m->key = (char *)app->ds[i].def->type_name,
		 m->value = rpc_put_schema(ar, app->ds[i].schema)));
	RPC_PUT_TYPES(
		ar, rs, ephemeral_resource_schemas, app->neph,
		Tfplugin6__GetProviderSchema__Response__EphemeralResourceSchemasEntry,
		tfplugin6__get_provider_schema__response__ephemeral_resource_schemas_entry__init,
		(m->key = (char *)app->eph[i].def->type_name,
		 m->value = rpc_put_schema(ar, app->eph[i].schema)));
	RPC_PUT_TYPES(
		ar, rs, list_resource_schemas, rpc_nlisted(app),
		Tfplugin6__GetProviderSchema__Response__ListResourceSchemasEntry,
		tfplugin6__get_provider_schema__response__list_resource_schemas_entry__init,
		(m->key = (char *)rpc_listed(app, i)->def->type_name,
		 m->value = rpc_put_schema(ar,
					   rpc_listed(app, i)->list_schema)));
	return rs;
}

Tfplugin6__ServerCapabilities *rpc_server_capabilities(rpc_arena *ar)
{
	Tfplugin6__ServerCapabilities *caps = rpc_alloc(ar, sizeof(*caps));

	tfplugin6__server_capabilities__init(caps);
	caps->plan_destroy = 1;
	caps->get_provider_schema_optional = 1;
	caps->move_resource_state = 1; /* rpc_state.c */
	caps->generate_resource_config = 1;
	return caps;
}
