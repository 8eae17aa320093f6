/* provider/rpc helper: the per-call arena, packing, and the tfplugin6 <->
 * schema/ conversions declared in rpc_values.h. Depends on schema/ and
 * the generated tfplugin6 code only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/tf_err.h"
#include "../../schema/write_only.h"
#include "../log.h"
#include "rpc_values.h"

/* ---- arena ------------------------------------------------------------ */

void *rpc_own(rpc_arena *ar, void *p)
{
	if (!p) {
		tfp_error("Out of memory building a response");
		abort();
	}
	if (ar->n == ar->cap) {
		size_t cap = ar->cap ? ar->cap * 2 : 32;
		void **np = realloc(ar->ptrs, cap * sizeof(*np));
		if (!np) {
			tfp_error("Out of memory building a response");
			abort();
		}
		ar->ptrs = np;
		ar->cap = cap;
	}
	ar->ptrs[ar->n++] = p;
	return p;
}

void *rpc_alloc(rpc_arena *ar, size_t size)
{
	return rpc_own(ar, calloc(1, size ? size : 1));
}

char *rpc_strdup(rpc_arena *ar, const char *s)
{
	return rpc_own(ar, strdup(s ? s : ""));
}

void rpc_arena_done(rpc_arena *ar)
{
	for (size_t i = 0; i < ar->n; i++)
		free(ar->ptrs[i]);
	free(ar->ptrs);
	memset(ar, 0, sizeof(*ar));
}

void rpc_pack(const ProtobufCMessage *m, uint8_t **out, size_t *out_len)
{
	size_t sz = protobuf_c_message_get_packed_size(m);
	uint8_t *b = malloc(sz ? sz : 1);

	if (!b) {
		tfp_error("Out of memory packing a response");
		abort();
	}
	protobuf_c_message_pack(m, b);
	*out = b;
	*out_len = sz;
}

/* ---- values and diagnostics ------------------------------------------- */

tf_value *rpc_decode_dv(const Tfplugin6__DynamicValue *dv, tf_type *type,
			const char *what, tf_diags *d)
{
	char err[256] = "";
	tf_value *v = NULL;
	int rc;

	if (!dv || (dv->msgpack.len == 0 && dv->json.len == 0))
		return tf_value_null(type);
	if (dv->msgpack.len > 0)
		rc = tf_msgpack_decode(dv->msgpack.data, dv->msgpack.len, type,
				       &v, err, sizeof(err));
	else
		rc = tf_json_decode((const char *)dv->json.data, dv->json.len,
				    type, 0, &v, err, sizeof(err));
	if (rc != TF_OK) {
		tf_diags_error(
			d, NULL, "Invalid value from Terraform",
			"The %s sent by Terraform could not be decoded: %s. "
			"This is a bug in the provider or a Terraform/provider "
			"version mismatch; please report it.",
			what, err);
		return NULL;
	}
	return v;
}

Tfplugin6__DynamicValue *rpc_encode_dv(rpc_arena *ar, const tf_value *v,
				       tf_type *type, tf_diags *d)
{
	Tfplugin6__DynamicValue *dv = rpc_alloc(ar, sizeof(*dv));
	tf_value *null_v = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	tfplugin6__dynamic_value__init(dv);
	if (!v)
		v = null_v = tf_value_null(type);
	if (tf_msgpack_encode(v, &buf, &len) != TF_OK) {
		tf_diags_error(d, NULL, "Provider could not encode a value",
			       "Encoding a value for Terraform failed; this is a "
			       "provider bug, please report it.");
	} else {
		dv->msgpack.data = rpc_own(ar, buf);
		dv->msgpack.len = len;
	}
	tf_value_unref(null_v);
	return dv;
}

Tfplugin6__AttributePath *rpc_put_path(rpc_arena *ar, const tf_path *p)
{
	Tfplugin6__AttributePath *ap = rpc_alloc(ar, sizeof(*ap));

	tfplugin6__attribute_path__init(ap);
	ap->n_steps = p->n;
	ap->steps = rpc_alloc(ar, p->n * sizeof(*ap->steps));
	for (size_t i = 0; i < p->n; i++) {
		Tfplugin6__AttributePath__Step *s = rpc_alloc(ar, sizeof(*s));
		tfplugin6__attribute_path__step__init(s);
		switch (p->steps[i].kind) {
		case TF_STEP_ATTR:
			s->selector_case =
				TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ATTRIBUTE_NAME;
			s->attribute_name = rpc_strdup(ar, p->steps[i].name);
			break;
		case TF_STEP_KEY_STRING:
			s->selector_case =
				TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ELEMENT_KEY_STRING;
			s->element_key_string = rpc_strdup(ar,
							   p->steps[i].name);
			break;
		case TF_STEP_KEY_INT:
			s->selector_case =
				TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ELEMENT_KEY_INT;
			s->element_key_int = p->steps[i].index;
			break;
		}
		ap->steps[i] = s;
	}
	return ap;
}

void rpc_put_diags(rpc_arena *ar, const tf_diags *d, size_t *n_out,
		   Tfplugin6__Diagnostic ***out)
{
	*n_out = d->n;
	*out = d->n ? rpc_alloc(ar, d->n * sizeof(**out)) : NULL;
	for (size_t i = 0; i < d->n; i++) {
		Tfplugin6__Diagnostic *g = rpc_alloc(ar, sizeof(*g));
		tfplugin6__diagnostic__init(g);
		g->severity = d->items[i].severity == TF_DIAG_WARNING ?
				      TFPLUGIN6__DIAGNOSTIC__SEVERITY__WARNING :
				      TFPLUGIN6__DIAGNOSTIC__SEVERITY__ERROR;
		g->summary = rpc_strdup(ar, d->items[i].summary);
		g->detail = rpc_strdup(ar, d->items[i].detail);
		if (d->items[i].path.n)
			g->attribute = rpc_put_path(ar, &d->items[i].path);
		(*out)[i] = g;
		if (d->items[i].severity == TF_DIAG_ERROR)
			tfp_debug("Diagnostic: %s: %s", d->items[i].summary,
				  d->items[i].detail);
	}
}

/* What goes back to Terraform as a planned, new, imported or upgraded
 * state has every write-only attribute null (Terraform rejects anything
 * else). The planner and the resources already leave them null; a value
 * found here anyway is dropped, and logged by name only. */
tf_value *rpc_wo_nulled(const tf_schema *s, const char *type_name,
			tf_value *take, const char *what)
{
	size_t n = 0;
	tf_value *v = take ? tf_write_only_nulled(s, take, &n) : NULL;

	if (n)
		tfp_warn("%s: %zu write-only value(s) removed from the %s",
			 type_name, n, what);
	return v;
}
