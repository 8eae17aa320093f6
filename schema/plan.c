/* The generic planner (see plan.h for the rules).
 *
 * Planning is two passes over the schema:
 *   1. plan_object() builds the planned object from config, prior and
 *      proposed, attribute by attribute and block by block;
 *   2. on update, collect_replace() compares prior and planned at every
 *      FORCE_NEW attribute/block. If anything forces a replacement, the
 *      object is planned again as a create (no prior), so every computed
 *      value not set in config becomes unknown (or its default).
 *
 * FORCE_NEW inside nested blocks follows SDK ForceNew semantics: LIST
 * elements are compared by index and MAP elements by key, so adding or
 * removing an element whose force-new attribute is non-null also forces a
 * replacement; SET elements cannot be addressed in a path, so any change of
 * a SET block containing a force-new attribute is reported on the block.
 * A block collection planned unknown (dynamic block, unknown for_each) that
 * contains force-new attributes forces a replacement too.
 *
 * Every planned value is either the config value, the prior value (computed
 * attributes only), a default (optional+computed with null config), unknown
 * (computed only) or null, which is exactly what objchange.AssertPlanValid
 * accepts. */
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "tf_err.h"

/* ---- tf_paths --------------------------------------------------------- */

int tf_paths_add_attr(tf_paths *ps, const char *attr)
{
	tf_path p = { 0 };
	int rc = tf_path_push_attr(&p, attr);

	if (rc == TF_OK)
		rc = tf_paths_add(ps, &p);
	tf_path_done(&p);
	return rc;
}

bool tf_paths_contains(const tf_paths *ps, const tf_path *p)
{
	for (size_t i = 0; i < ps->n; i++)
		if (tf_path_equal(&ps->items[i], p))
			return true;
	return false;
}

int tf_paths_add(tf_paths *ps, const tf_path *p)
{
	tf_path copy = { 0 };
	int rc;

	if (tf_paths_contains(ps, p))
		return TF_OK;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 4;
		tf_path *items = realloc(ps->items, cap * sizeof(*items));

		if (!items)
			return TF_E_NOMEM;
		ps->items = items;
		ps->cap = cap;
	}
	rc = tf_path_copy(&copy, p);
	if (rc != TF_OK)
		return rc;
	ps->items[ps->n++] = copy;
	return TF_OK;
}

void tf_paths_done(tf_paths *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n; i++)
		tf_path_done(&ps->items[i]);
	free(ps->items);
	ps->items = NULL;
	ps->n = ps->cap = 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* `v` if it is a known value, else NULL (absent, null and unknown objects
 * contribute nothing). */
static const tf_value *known_or_absent(const tf_value *v)
{
	return v && tf_value_is_known(v) ? v : NULL;
}

static const tf_value *attr_of(const tf_value *obj, const char *name)
{
	return obj ? tf_value_attr(obj, name) : NULL;
}

/* Element k of a known list, or NULL. */
static const tf_value *list_elem(const tf_value *list, size_t k)
{
	if (!list || !tf_value_is_known(list) || k >= tf_value_len(list))
		return NULL;
	return tf_value_index(list, k);
}

static const tf_value *map_elem(const tf_value *map, const char *key)
{
	if (!map || !tf_value_is_known(map))
		return NULL;
	return tf_value_map_get(map, key);
}

/* Does a known set contain an element equal to `e`? */
static bool set_has(const tf_value *set, const tf_value *e)
{
	if (!set || !tf_value_is_known(set))
		return false;
	for (size_t i = 0; i < tf_value_len(set); i++)
		if (tf_value_equal(tf_value_index(set, i), e))
			return true;
	return false;
}

/* Builders consume their argument and report TF_E_TYPE only when a value
 * does not conform, which after the conformance checks is a bug here. */
static int builder_rc(int rc)
{
	return rc == TF_E_TYPE ? TF_E_INVALID : rc;
}

/* ---- pass 1: planned values ------------------------------------------- */

static int plan_object(const tf_schema *s, const tf_value *prior,
		       const tf_value *proposed, const tf_value *config,
		       tf_value **out);

static int plan_indexed(const tf_schema *inner, tf_type *bt, bool by_key,
			const tf_value *pv, const tf_value *ppv,
			const tf_value *cv, tf_value **out);
static int plan_set(const tf_schema *inner, tf_type *bt, const tf_value *pv,
		    const tf_value *ppv, const tf_value *cv, bool update,
		    tf_value **out);

/* A known, non-null nested attribute value `cv` of type `t`: as configured
 * when its objects have no computed attribute (Terraform then requires the
 * planned value to be the configuration's); otherwise each object is
 * planned like a block of `inner` (LIST by index, MAP by key, SET taken
 * from the configuration), so computed attributes get their prior value
 * or unknown. `pv` is the prior value or NULL. NULL on failure. */
static tf_value *plan_nested(const tf_schema *inner, tf_nesting nest,
			     tf_type *t, const tf_value *pv, const tf_value *cv,
			     bool update)
{
	tf_value *out = NULL;
	int rc;

	if (!tf_block_has_flag(tf_schema_def(inner), TF_COMPUTED))
		return tf_value_ref((tf_value *)cv);
	switch (nest) {
	case TF_NEST_LIST:
		rc = plan_indexed(inner, t, false, pv, NULL, cv, &out);
		break;
	case TF_NEST_MAP:
		rc = plan_indexed(inner, t, true, pv, NULL, cv, &out);
		break;
	case TF_NEST_SET:
		rc = plan_set(inner, t, pv, NULL, cv, update, &out);
		break;
	default: rc = plan_object(inner, known_or_absent(pv), NULL, cv, &out);
	}
	return rc == TF_OK ? out : NULL;
}

/* Planned value of attribute i. `prior` is the prior object or NULL on
 * create; `config` a known object. Returns NULL only on allocation failure. */
static tf_value *plan_attr(const tf_schema *s, size_t i, const tf_value *prior,
			   const tf_value *config)
{
	const tf_attr_def *a = &tf_schema_def(s)->attrs[i];
	tf_type *t = tf_schema_attr_type(s, i);
	const tf_value *cv = attr_of(config, a->name);
	const tf_value *pv;
	tf_value *dflt;

	if (a->flags & TF_WRITE_ONLY)
		return tf_value_null(t);
	if (cv && tf_value_is_known(cv) && !tf_value_is_null(cv) && a->nested)
		return plan_nested(tf_schema_attr_nested(s, i),
				   a->nested->nesting, t,
				   attr_of(prior, a->name), cv, prior != NULL);
	if (cv && !tf_value_is_null(cv))
		return tf_value_ref(
			(tf_value *)cv); /* known or unknown, as is */
	dflt = tf_schema_attr_default(s, i);
	if (dflt)
		return tf_value_ref(dflt);
	if (!(a->flags & TF_COMPUTED))
		return tf_value_null(t);
	if (!prior)
		return tf_value_unknown(t);
	pv = attr_of(prior, a->name);
	return pv ? tf_value_ref((tf_value *)pv) : tf_value_null(t);
}

/* Planned element of a LIST/MAP/SET block: unknown config elements (never
 * sent by Terraform) are kept as they are. */
static int plan_elem(const tf_schema *inner, const tf_value *prior,
		     const tf_value *proposed, const tf_value *ce,
		     tf_value **out)
{
	if (!tf_value_is_known(ce)) {
		*out = tf_value_ref((tf_value *)ce);
		return *out ? TF_OK : TF_E_NOMEM;
	}
	return plan_object(inner, prior, proposed, ce, out);
}

/* LIST and MAP blocks: each configured element is planned against the
 * prior and proposed elements at the same index (LIST, as Terraform's
 * ProposedNew correlates them) or key (MAP). */
static int plan_indexed(const tf_schema *inner, tf_type *bt, bool by_key,
			const tf_value *pv, const tf_value *ppv,
			const tf_value *cv, tf_value **out)
{
	tf_value *res = by_key ? tf_value_map_new(bt) : tf_value_list_new(bt);
	size_t n = tf_value_is_known(cv) ? tf_value_len(cv) : 0;
	int rc = res ? TF_OK : TF_E_NOMEM;

	for (size_t k = 0; rc == TF_OK && k < n; k++) {
		const char *key = by_key ? tf_value_map_key(cv, k) : NULL;
		tf_value *e = NULL;

		rc = by_key ? plan_elem(inner, map_elem(pv, key),
					map_elem(ppv, key),
					tf_value_map_value(cv, k), &e) :
			      plan_elem(inner, list_elem(pv, k),
					list_elem(ppv, k),
					tf_value_index(cv, k), &e);
		if (rc == TF_OK)
			rc = builder_rc(by_key ? tf_value_map_set(res, key, e) :
						 tf_value_list_append(res, e));
	}
	if (rc == TF_OK) {
		*out = res;
		res = NULL;
	}
	tf_value_unref(res);
	return rc;
}

/* SET blocks: elements have no identity, so they are taken from proposed on
 * update (Terraform has already correlated them with prior elements and
 * copied computed values) and from config on create. An element identical
 * to a prior element is unchanged and kept as is; any other element is
 * planned as new, so its computed nulls become unknown (or defaults). */
static int plan_set(const tf_schema *inner, tf_type *bt, const tf_value *pv,
		    const tf_value *ppv, const tf_value *cv, bool update,
		    tf_value **out)
{
	const tf_value *src = cv;
	tf_value *res = tf_value_set_new(bt), *e = NULL;
	size_t n;
	int rc = TF_OK;

	if (!res)
		return TF_E_NOMEM;
	if (update && ppv && tf_value_is_known(ppv))
		src = ppv;
	n = tf_value_is_known(src) ? tf_value_len(src) : 0;
	for (size_t k = 0; k < n; k++) {
		const tf_value *se = tf_value_index(src, k);

		if (update && set_has(pv, se)) {
			e = tf_value_ref((tf_value *)se);
			rc = e ? TF_OK : TF_E_NOMEM;
		} else {
			rc = plan_elem(inner, NULL, NULL, se, &e);
		}
		if (rc != TF_OK)
			goto cleanup;
		rc = builder_rc(tf_value_list_append(res, e));
		if (rc != TF_OK)
			goto cleanup;
	}
	*out = res;
	res = NULL;
cleanup:
	tf_value_unref(res);
	return rc;
}

/* Planned value of nested block i of `s`. */
static int plan_block(const tf_schema *s, size_t i, const tf_value *prior,
		      const tf_value *proposed, const tf_value *config,
		      tf_value **out)
{
	const tf_nested_block_def *nb = &tf_schema_def(s)->blocks[i];
	const tf_schema *inner = tf_schema_block(s, i);
	tf_type *bt =
		tf_type_attr_type(tf_schema_type(s),
				  (size_t)tf_type_attr_index(tf_schema_type(s),
							     nb->type_name));
	const tf_value *cv = attr_of(config, nb->type_name);
	const tf_value *pv = attr_of(prior, nb->type_name);
	const tf_value *ppv = attr_of(proposed, nb->type_name);

	if (!cv)
		return TF_E_INVALID;
	/* An unknown block collection comes from a dynamic block whose
	 * for_each is unknown: the provider may not alter it. */
	if (tf_value_is_unknown(cv)) {
		*out = tf_value_ref((tf_value *)cv);
		return *out ? TF_OK : TF_E_NOMEM;
	}
	switch (nb->nesting) {
	case TF_NEST_LIST:
		return plan_indexed(inner, bt, false, pv, ppv, cv, out);
	case TF_NEST_MAP:
		return plan_indexed(inner, bt, true, pv, ppv, cv, out);
	case TF_NEST_SET:
		return plan_set(inner, bt, pv, ppv, cv, prior != NULL, out);
	default:
		/* SINGLE / GROUP: absent in config means absent in plan. */
		if (tf_value_is_null(cv)) {
			*out = tf_value_null(bt);
			return *out ? TF_OK : TF_E_NOMEM;
		}
		return plan_object(inner, known_or_absent(pv),
				   known_or_absent(ppv), cv, out);
	}
}

/* Plan one block object. `prior` / `proposed` are known objects or NULL
 * (NULL prior = the object is new); `config` is a known object. */
static int plan_object(const tf_schema *s, const tf_value *prior,
		       const tf_value *proposed, const tf_value *config,
		       tf_value **out)
{
	const tf_block_def *def = tf_schema_def(s);
	tf_value *obj, *v = NULL;
	int rc = TF_OK;

	prior = known_or_absent(prior);
	proposed = known_or_absent(proposed);
	obj = tf_value_object_new(tf_schema_type(s));
	if (!obj)
		return TF_E_NOMEM;
	for (size_t i = 0; i < def->nattrs; i++) {
		v = plan_attr(s, i, prior, config);
		if (!v) {
			rc = TF_E_NOMEM;
			goto cleanup;
		}
		rc = builder_rc(
			tf_value_object_set(obj, def->attrs[i].name, v));
		if (rc != TF_OK)
			goto cleanup;
	}
	for (size_t i = 0; i < def->nblocks; i++) {
		rc = plan_block(s, i, prior, proposed, config, &v);
		if (rc != TF_OK)
			goto cleanup;
		rc = builder_rc(
			tf_value_object_set(obj, def->blocks[i].type_name, v));
		if (rc != TF_OK)
			goto cleanup;
	}
	*out = obj;
	obj = NULL;
cleanup:
	tf_value_unref(obj);
	return rc;
}

/* ---- pass 2: requires-replace paths ------------------------------------ */

/* Record `path` when the value there changed between prior (`a`) and
 * planned (`b`). NULL means the path does not exist on that side (its
 * parent is null or absent); it then compares as null, and a path absent on
 * both sides is never recorded (Terraform rejects those). An unknown
 * planned value always counts as a change. */
static int emit_if_changed(const tf_path *path, const tf_value *a,
			   const tf_value *b, tf_paths *out)
{
	bool changed;

	if (!a && !b)
		return TF_OK;
	if (a && b)
		changed = !tf_value_is_wholly_known(b) || !tf_value_equal(a, b);
	else
		changed = !tf_value_is_null(a ? a : b);
	return changed ? tf_paths_add(out, path) : TF_OK;
}

static int collect_replace(const tf_schema *s, const tf_value *prior,
			   const tf_value *planned, tf_path *path,
			   tf_paths *out);

/* FORCE_NEW paths below nested block i (its flag itself is handled by the
 * caller). `pv` / `nv`: the block value in prior / planned, or NULL. */
static int collect_block(const tf_schema *s, size_t i, const tf_value *pv,
			 const tf_value *nv, tf_path *path, tf_paths *out)
{
	const tf_nested_block_def *nb = &tf_schema_def(s)->blocks[i];
	const tf_schema *inner = tf_schema_block(s, i);
	int rc = TF_OK;
	size_t n;

	/* A wholly unknown planned block (dynamic block, unknown for_each) or
	 * a SET (elements cannot be addressed in a path) is compared whole. */
	if ((nv && tf_value_is_unknown(nv)) || nb->nesting == TF_NEST_SET)
		return emit_if_changed(path, pv, nv, out);
	switch (nb->nesting) {
	case TF_NEST_LIST:
		n = 0;
		if (pv && tf_value_is_known(pv))
			n = tf_value_len(pv);
		if (nv && tf_value_is_known(nv) && tf_value_len(nv) > n)
			n = tf_value_len(nv);
		for (size_t k = 0; k < n && rc == TF_OK; k++) {
			rc = tf_path_push_index(path, (int64_t)k);
			if (rc != TF_OK)
				break;
			rc = collect_replace(inner, list_elem(pv, k),
					     list_elem(nv, k), path, out);
			tf_path_pop(path);
		}
		return rc;
	case TF_NEST_MAP:
		/* Keys of prior, then keys only in planned. */
		for (int side = 0; side < 2 && rc == TF_OK; side++) {
			const tf_value *m = side == 0 ? pv : nv;

			if (!m || !tf_value_is_known(m))
				continue;
			for (size_t k = 0; k < tf_value_len(m) && rc == TF_OK;
			     k++) {
				const char *key = tf_value_map_key(m, k);

				if (side == 1 && map_elem(pv, key))
					continue;
				rc = tf_path_push_key(path, key);
				if (rc != TF_OK)
					break;
				rc = collect_replace(inner, map_elem(pv, key),
						     map_elem(nv, key), path,
						     out);
				tf_path_pop(path);
			}
		}
		return rc;
	default: return collect_replace(inner, pv, nv, path, out);
	}
}

/* Append to `out` every FORCE_NEW path of block `s` whose value differs
 * between the prior and planned objects (either NULL/null = absent). */
static int collect_replace(const tf_schema *s, const tf_value *prior,
			   const tf_value *planned, tf_path *path,
			   tf_paths *out)
{
	const tf_block_def *def = tf_schema_def(s);
	int rc = TF_OK;

	prior = known_or_absent(prior);
	planned = known_or_absent(planned);
	if (!prior && !planned)
		return TF_OK;
	for (size_t i = 0; i < def->nattrs && rc == TF_OK; i++) {
		const tf_attr_def *a = &def->attrs[i];

		if (!(a->flags & TF_FORCE_NEW))
			continue;
		rc = tf_path_push_attr(path, a->name);
		if (rc != TF_OK)
			break;
		rc = emit_if_changed(path, attr_of(prior, a->name),
				     attr_of(planned, a->name), out);
		tf_path_pop(path);
	}
	for (size_t i = 0; i < def->nblocks && rc == TF_OK; i++) {
		const tf_nested_block_def *nb = &def->blocks[i];
		const tf_value *pv = attr_of(prior, nb->type_name);
		const tf_value *nv = attr_of(planned, nb->type_name);

		if (!(nb->flags & TF_FORCE_NEW) &&
		    !tf_block_has_flag(nb->block, TF_FORCE_NEW))
			continue;
		rc = tf_path_push_attr(path, nb->type_name);
		if (rc != TF_OK)
			break;
		if (nb->flags & TF_FORCE_NEW)
			rc = emit_if_changed(path, pv, nv, out);
		else
			rc = collect_block(s, i, pv, nv, path, out);
		tf_path_pop(path);
	}
	return rc;
}

/* ---- entry points ------------------------------------------------------- */

static const char *rc_text(int rc)
{
	switch (rc) {
	case TF_E_NOMEM: return "out of memory";
	case TF_E_LIMIT: return "a size limit was exceeded";
	default: return "the values do not match the resource schema";
	}
}

int tf_plan_resource(const tf_schema *s, const tf_value *prior,
		     const tf_value *proposed, const tf_value *config,
		     tf_value **planned, tf_paths *replace, tf_diags *d)
{
	tf_type *t = tf_schema_type(s);
	tf_value *p = NULL, *fresh = NULL;
	tf_paths found = { 0 };
	tf_path path = { 0 };
	bool update;
	int rc;

	if (!prior || !proposed || !config || !tf_value_conforms(prior, t) ||
	    !tf_value_conforms(proposed, t) || !tf_value_conforms(config, t)) {
		tf_diags_error(d, NULL, "Invalid plan request",
			       "The prior state, proposed new state or "
			       "configuration does not match the resource "
			       "schema. This is a bug in the provider or in "
			       "Terraform.");
		return TF_E_INVALID;
	}
	if (tf_value_is_unknown(prior) || !tf_value_is_wholly_known(prior)) {
		tf_diags_error(d, NULL, "Invalid plan request",
			       "The prior state contains unknown values.");
		return TF_E_INVALID;
	}
	if (tf_value_is_null(proposed)) {
		/* Destroy. */
		p = tf_value_null(t);
		rc = p ? TF_OK : TF_E_NOMEM;
		goto done;
	}
	if (tf_value_is_null(config)) {
		tf_diags_error(d, NULL, "Invalid plan request",
			       "The configuration is null but the proposed new "
			       "state is not.");
		return TF_E_INVALID;
	}
	if (tf_value_is_unknown(config)) {
		p = tf_value_unknown(t);
		rc = p ? TF_OK : TF_E_NOMEM;
		goto done;
	}
	update = !tf_value_is_null(prior);
	rc = plan_object(s, update ? prior : NULL, proposed, config, &p);
	if (rc != TF_OK || !update)
		goto done;
	rc = collect_replace(s, prior, p, &path, &found);
	if (rc != TF_OK || found.n == 0)
		goto done;
	/* Replacement: plan the new object as a create. */
	rc = plan_object(s, NULL, NULL, config, &fresh);
	if (rc != TF_OK)
		goto done;
	tf_value_unref(p);
	p = fresh;
	fresh = NULL;
	for (size_t i = 0; i < found.n && rc == TF_OK; i++)
		rc = tf_paths_add(replace, &found.items[i]);
done:
	if (rc == TF_OK) {
		*planned = p;
		p = NULL;
	} else {
		tf_diags_error(d, NULL, "Failed to plan resource change",
			       "The generic planner failed: %s.", rc_text(rc));
		rc = rc == TF_E_NOMEM ? rc : TF_E_INVALID;
	}
	tf_value_unref(p);
	tf_value_unref(fresh);
	tf_paths_done(&found);
	tf_path_done(&path);
	return rc;
}

bool tf_plan_has_changes(const tf_value *prior, const tf_value *planned)
{
	if (!prior || !planned)
		return prior != planned;
	return !tf_value_equal(prior, planned);
}

int tf_plan_mark_unknown(const tf_schema *s, tf_value *planned,
			 const char *name)
{
	long i = tf_schema_attr_index(s, name);
	tf_value *u;

	if (i < 0)
		return TF_E_NOTFOUND;
	/* Only computed attributes may be planned unknown by the provider;
	 * the caller must not mark one that is set in config. */
	if (!(tf_schema_def(s)->attrs[i].flags & TF_COMPUTED) || !planned ||
	    !tf_value_is_known(planned))
		return TF_E_INVALID;
	u = tf_value_unknown(tf_schema_attr_type(s, (size_t)i));
	if (!u)
		return TF_E_NOMEM;
	return tf_value_object_set(planned, name, u);
}

int tf_plan_mark_unknown_all(const tf_schema *s, tf_value *planned,
			     const char *const *names)
{
	int rc = TF_OK;

	for (; *names; names++) {
		int r = tf_plan_mark_unknown(s, planned, *names);

		rc = rc ? rc : r;
	}
	return rc;
}

int tf_plan_set(tf_value *planned, const char *name, tf_value *take)
{
	if (!planned || !name || !tf_value_is_known(planned) ||
	    tf_type_kind_of(tf_value_type(planned)) != TF_T_OBJECT ||
	    tf_type_attr_index(tf_value_type(planned), name) < 0) {
		tf_value_unref(take);
		return TF_E_NOTFOUND;
	}
	return tf_value_object_set(planned, name, take);
}

bool tf_plan_attr_changed(const tf_value *prior, const tf_value *planned,
			  const char *name)
{
	const tf_value *a, *b;

	if (!prior || !planned || !tf_value_is_known(prior) ||
	    !tf_value_is_known(planned))
		return false;
	a = tf_value_attr(prior, name);
	b = tf_value_attr(planned, name);
	if (!a || !b)
		return false;
	return !tf_value_is_wholly_known(b) || !tf_value_equal(a, b);
}

bool tf_plan_any_changed(const tf_value *prior, const tf_value *planned,
			 const char *const *names)
{
	for (; *names; names++)
		if (tf_plan_attr_changed(prior, planned, *names))
			return true;
	return false;
}
