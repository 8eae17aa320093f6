/* provider/rpc: resource identity (Terraform 1.12+). The identity of a
 * resource's state on Read/Plan/Apply/Import (rpc_identity.h), and the
 * handlers GetResourceIdentitySchemas and UpgradeResourceIdentity
 * (rpc_handlers.h; rows in rpc_table.c).
 *
 * What Terraform checks (internal/terraform/node_resource_abstract_
 * instance.go, validateIdentityKnown / validateIdentity): an identity it
 * receives must be of the identity schema's type and wholly known, except
 * in the plan of a create or a replacement; an import by identity must
 * answer with an identity (node_resource_plan_instance.go). Terraform
 * core does not itself compare an identity with the one before; the rule
 * that identity never changes for the life of an object is enforced here
 * (RPC_ID_CHECK), so a provider bug shows as a clear error instead of a
 * silently rewritten state. */
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../server/server.h"
#include "rpc_handlers.h"
#include "rpc_identity.h"
#include "rpc_schema.h"

/* Does `now` differ from `prior` on an attribute known in both? The
 * first such attribute's index, else -1. */
static long changed_attr(const tf_value *prior, const tf_value *now)
{
	tf_type *t = tf_value_type(now);

	if (!tf_value_is_known(prior))
		return -1;
	for (size_t i = 0; i < tf_type_attr_count(t); i++) {
		const char *name = tf_type_attr_name(t, i);
		const tf_value *p = tf_value_attr(prior, name);
		const tf_value *n = tf_value_attr(now, name);

		if (tf_value_is_known(p) && tf_value_is_known(n) &&
		    !tf_value_equal(p, n))
			return (long)i;
	}
	return -1;
}

static void report_change(const struct rpc_res *r, const tf_value *prior,
			  const tf_value *now, size_t i, tf_diags *d)
{
	const char *name = tf_type_attr_name(tf_value_type(now), i);
	_cleanup_free_ char *was = tf_value_debug_string(
		tf_value_attr(prior, name));
	_cleanup_free_ char *is = tf_value_debug_string(
		tf_value_attr(now, name));

	tf_diags_error(d, NULL, "Resource identity changed",
		       "The identity of this %s changed its \"%s\" from %s to "
		       "%s. An identity never changes for the life of an "
		       "object; this is a provider bug, please report it.",
		       r->def->type_name, name, was ? was : "?", is ? is : "?");
}

/* Build and check the identity value (new ref) or NULL. */
static tf_value *identity_value(const struct rpc_res *r, tfp_ctx *ctx,
				const tf_value *state,
				const Tfplugin6__ResourceIdentityData *prior,
				unsigned flags, tf_diags *d)
{
	tf_type *t = tf_schema_type(r->identity);
	tf_value *id = NULL;
	long i;

	r->def->identity(ctx, state, &id, d);
	if (!id)
		return NULL;
	if (!tf_value_conforms(id, t) ||
	    (!(flags & RPC_ID_UNKNOWN_OK) && !tf_value_is_wholly_known(id))) {
		tf_diags_error(d, NULL, "Provider built an invalid identity",
			       "The identity of this %s is not a wholly known "
			       "object of its identity schema; this is a "
			       "provider bug, please report it.",
			       r->def->type_name);
		tf_value_unref(id);
		return NULL;
	}
	if ((flags & RPC_ID_CHECK) && prior && prior->identity_data) {
		_cleanup_(tf_value_unrefp)
			tf_value *p = rpc_decode_dv(prior->identity_data, t,
						    "prior identity", d);

		i = p ? changed_attr(p, id) : -1;
		if (!p || i >= 0) {
			if (p)
				report_change(r, p, id, (size_t)i, d);
			tf_value_unref(id);
			return NULL;
		}
	}
	return id;
}

Tfplugin6__ResourceIdentityData *rpc_identity_put(
	rpc_arena *ar, const struct rpc_res *r, tfp_ctx *ctx,
	const tf_value *state, const Tfplugin6__ResourceIdentityData *prior,
	unsigned flags, tf_diags *d)
{
	_cleanup_(tf_value_unrefp) tf_value *id = NULL;
	Tfplugin6__ResourceIdentityData *out;

	if (!r->identity || !r->def->identity || !state ||
	    tf_value_is_null(state))
		return NULL;
	id = identity_value(r, ctx, state, prior, flags, d);
	if (!id)
		return NULL;
	out = rpc_alloc(ar, sizeof(*out));
	tfplugin6__resource_identity_data__init(out);
	out->identity_data = rpc_encode_dv(ar, id, tf_schema_type(r->identity),
					   d);
	return out;
}

/* One identity attribute's part of an import id into buf (at *len): its
 * value, or when null its schema default (`dflt`, may be NULL: then no
 * part). */
static int id_part(const tf_attr_def *a, const tf_value *v,
		   const tf_value *dflt, char *buf, size_t cap, size_t *len,
		   tf_diags *d)
{
	const char *s;
	size_t n;

	if (v && tf_value_is_null(v) && !(a->flags & TF_REQUIRED)) {
		if (!dflt || tf_value_is_null(dflt))
			return 0;
		v = dflt;
	}
	s = tf_value_is_known(v) ? tf_value_get_string(v) : NULL;
	n = s ? strlen(s) : 0;
	if (!s || !*s || strchr(s, '/') || n + 2 > cap - *len) {
		tf_diags_error(d, NULL, "Invalid import identity",
			       "The identity attribute \"%s\" must be a known, "
			       "non-empty name without '/' (at most %zu "
			       "characters)%s.",
			       a->name, cap - 2,
			       (a->flags & TF_REQUIRED) ? " and is required" :
							  "");
		return -1;
	}
	if (*len)
		buf[(*len)++] = '/';
	memcpy(buf + *len, s, n + 1);
	*len += n;
	return 0;
}

char *rpc_identity_import_id(const struct rpc_res *r,
			     const Tfplugin6__ResourceIdentityData *ident,
			     tf_diags *d)
{
	const tf_block_def *ids = r->def->identity_schema;
	_cleanup_(tf_value_unrefp) tf_value *v = NULL;
	char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	if (!r->identity) {
		tf_diags_error(d, NULL, "Import by identity not supported",
			       "%s has no resource identity; import it by ID.",
			       r->def->type_name);
		return NULL;
	}
	v = rpc_decode_dv(ident->identity_data, tf_schema_type(r->identity),
			  "import identity", d);
	if (!v)
		return NULL;
	if (!tf_value_is_known(v)) {
		tf_diags_error(d, NULL, "Invalid import identity",
			       "The import identity of %s must be a known "
			       "object.",
			       r->def->type_name);
		return NULL;
	}
	for (size_t i = 0; i < ids->nattrs; i++)
		if (id_part(&ids->attrs[i],
			    tf_value_attr(v, ids->attrs[i].name),
			    tf_schema_attr_default(r->identity, i), buf,
			    sizeof(buf), &len, d))
			return NULL;
	return strdup(buf);
}

/* ---- GetResourceIdentitySchemas --------------------------------------- */

static Tfplugin6__ResourceIdentitySchema *put_identity_schema(
	rpc_arena *ar, const struct rpc_res *r)
{
	const tf_block_def *def = tf_schema_def(r->identity);
	Tfplugin6__ResourceIdentitySchema *s = rpc_alloc(ar, sizeof(*s));

	tfplugin6__resource_identity_schema__init(s);
	s->version = r->def->identity_version;
	RPC_PUT_TYPES(
		ar, s, identity_attributes, def->nattrs,
		Tfplugin6__ResourceIdentitySchema__IdentityAttribute,
		tfplugin6__resource_identity_schema__identity_attribute__init,
		(m->name = (char *)def->attrs[i].name,
		 m->type.data = (uint8_t *)def->attrs[i].type,
		 m->type.len = strlen(def->attrs[i].type),
		 m->required_for_import = (def->attrs[i].flags & TF_REQUIRED) !=
					  0,
		 m->optional_for_import = (def->attrs[i].flags & TF_OPTIONAL) !=
					  0,
		 m->description = (char *)(def->attrs[i].description ?: "")));
	return s;
}

int rpc_identity_schemas(rpc_call *c, const void *req, void *resp)
{
	Tfplugin6__GetResourceIdentitySchemas__Response *rs = resp;
	const rpc_app *app = c->app;
	size_t n = 0, k = 0;

	(void)req;
	for (size_t i = 0; i < app->nres; i++)
		n += app->res[i].identity != NULL;
	rs->n_identity_schemas = n;
	rs->identity_schemas = rpc_alloc(&c->arena,
					 n * sizeof(*rs->identity_schemas));
	for (size_t i = 0; i < app->nres; i++) {
		Tfplugin6__GetResourceIdentitySchemas__Response__IdentitySchemasEntry
			*e;

		if (!app->res[i].identity)
			continue;
		e = rpc_alloc(&c->arena, sizeof(*e));
		tfplugin6__get_resource_identity_schemas__response__identity_schemas_entry__init(
			e);
		e->key = (char *)app->res[i].def->type_name;
		e->value = put_identity_schema(&c->arena, &app->res[i]);
		rs->identity_schemas[k++] = e;
	}
	return SRV_STATUS_OK;
}

/* ---- UpgradeResourceIdentity ------------------------------------------ */

/* A stored identity lacking a required attribute cannot name its object:
 * reported (and dropped) here rather than sent on to Read. */
static tf_value *require_attrs(const struct rpc_res *r, tf_value *take,
			       tf_diags *d)
{
	const tf_block_def *def = tf_schema_def(r->identity);

	for (size_t i = 0; take && !tf_value_is_null(take) && i < def->nattrs;
	     i++) {
		if (!(def->attrs[i].flags & TF_REQUIRED) ||
		    !tf_value_is_null(tf_value_attr(take, def->attrs[i].name)))
			continue;
		tf_diags_error(d, NULL, "Corrupt state",
			       "The stored identity of this %s has no \"%s\". "
			       "Remove it with `terraform state rm` and import "
			       "the object again.",
			       r->def->type_name, def->attrs[i].name);
		tf_value_unref(take);
		return NULL;
	}
	return take;
}

int rpc_upgrade_identity(rpc_call *c, const void *req, void *resp)
{
	const Tfplugin6__UpgradeResourceIdentity__Request *rq = req;
	Tfplugin6__UpgradeResourceIdentity__Response *rs = resp;
	_cleanup_(tf_diags_done) tf_diags d = TF_DIAGS_INIT;
	_cleanup_(tf_value_unrefp) tf_value *v = NULL;
	const struct rpc_res *r = rpc_res_of(c->app, rq->type_name, &d);

	if (r && !r->identity)
		tf_diags_error(&d, NULL, "Resource has no identity",
			       "%s has no resource identity in this provider "
			       "version, so a stored identity cannot be "
			       "upgraded.",
			       r->def->type_name);
	if (!r || !r->identity)
		return RPC_REPLY(c, &d, rs);
	if (!rq->raw_identity || rq->raw_identity->json.len == 0)
		v = tf_value_null(tf_schema_type(r->identity));
	else
		v = rpc_upgrade_raw(r->def->type_name, "identity", rq->version,
				    r->def->identity_version,
				    r->def->upgrade_identity,
				    tf_schema_type(r->identity),
				    &rq->raw_identity->json, &d);
	v = require_attrs(r, v, &d);
	if (v) {
		rs->upgraded_identity =
			rpc_alloc(&c->arena, sizeof(*rs->upgraded_identity));
		tfplugin6__resource_identity_data__init(rs->upgraded_identity);
		rs->upgraded_identity->identity_data =
			rpc_encode_dv(&c->arena, v, tf_schema_type(r->identity),
				      &d);
	}
	return RPC_REPLY(c, &d, rs);
}
