/* Write-only attributes: finding them in a configuration, nulling them in
 * what goes back to Terraform (see write_only.h). */
#include "write_only.h"
#include "tf_err.h"

static bool nested_has_wo(const tf_schema *s, size_t i)
{
	return tf_block_has_flag(tf_schema_def(s)->blocks[i].block,
				 TF_WRITE_ONLY);
}

/* ---- paths ------------------------------------------------------------ */

static int paths_in_object(const tf_schema *s, const tf_value *obj,
			   tf_path *path, tf_paths *out);

/* Elements of a known LIST or MAP block (or one SINGLE/GROUP object). */
static int paths_in_block(const tf_schema *s, size_t i, const tf_value *v,
			  tf_path *path, tf_paths *out)
{
	const tf_nested_block_def *nb = &tf_schema_def(s)->blocks[i];
	const tf_schema *inner = tf_schema_block(s, i);
	int rc = TF_OK;

	if (!tf_value_is_known(v))
		return TF_OK;
	if (nb->nesting == TF_NEST_SINGLE || nb->nesting == TF_NEST_GROUP)
		return paths_in_object(inner, v, path, out);
	for (size_t k = 0; rc == TF_OK && k < tf_value_len(v); k++) {
		bool map = nb->nesting == TF_NEST_MAP;

		rc = map ? tf_path_push_key(path, tf_value_map_key(v, k)) :
			   tf_path_push_index(path, (int64_t)k);
		if (rc != TF_OK)
			break;
		rc = paths_in_object(inner,
				     map ? tf_value_map_value(v, k) :
					   tf_value_index(v, k),
				     path, out);
		tf_path_pop(path);
	}
	return rc;
}

static int paths_in_object(const tf_schema *s, const tf_value *obj,
			   tf_path *path, tf_paths *out)
{
	const tf_block_def *def = tf_schema_def(s);
	int rc = TF_OK;

	if (!tf_value_is_known(obj))
		return TF_OK;
	for (size_t i = 0; rc == TF_OK && i < def->nattrs; i++) {
		const tf_value *v = tf_value_attr(obj, def->attrs[i].name);

		if (!(def->attrs[i].flags & TF_WRITE_ONLY) || !v ||
		    tf_value_is_null(v))
			continue;
		rc = tf_path_push_attr(path, def->attrs[i].name);
		if (rc == TF_OK)
			rc = tf_paths_add(out, path);
		tf_path_pop(path);
	}
	for (size_t i = 0; rc == TF_OK && i < def->nblocks; i++) {
		const char *name = def->blocks[i].type_name;

		if (!nested_has_wo(s, i))
			continue;
		rc = tf_path_push_attr(path, name);
		if (rc == TF_OK)
			rc = paths_in_block(s, i, tf_value_attr(obj, name),
					    path, out);
		tf_path_pop(path);
	}
	return rc;
}

int tf_write_only_paths(const tf_schema *s, const tf_value *v, tf_paths *out)
{
	tf_path path = { 0 };
	int rc;

	if (!v)
		return TF_OK;
	rc = paths_in_object(s, v, &path, out);
	tf_path_done(&path);
	return rc;
}

/* ---- nulling ---------------------------------------------------------- */

static tf_value *null_object(const tf_schema *s, tf_value *take, size_t *n);

/* A known LIST or MAP block value rebuilt with its elements nulled; `take`
 * itself when no element changed. */
static tf_value *null_collection(const tf_schema *inner, bool map,
				 tf_value *take, size_t *n)
{
	size_t before = *n, len = tf_value_len(take);
	tf_type *t = tf_value_type(take);
	tf_value *res = map ? tf_value_map_new(t) : tf_value_list_new(t);
	int rc = res ? TF_OK : TF_E_NOMEM;

	for (size_t k = 0; rc == TF_OK && k < len; k++) {
		tf_value *e = map ? tf_value_map_value(take, k) :
				    tf_value_index(take, k);

		e = null_object(inner, tf_value_ref(e), n);
		if (!e)
			rc = TF_E_NOMEM;
		else if (map)
			rc = tf_value_map_set(res, tf_value_map_key(take, k),
					      e);
		else
			rc = tf_value_list_append(res, e);
	}
	if (rc != TF_OK || *n == before) {
		tf_value_unref(res);
		if (rc != TF_OK) {
			tf_value_unref(take);
			return NULL;
		}
		return take;
	}
	tf_value_unref(take);
	return res;
}

static tf_value *null_block(const tf_schema *s, size_t i, tf_value *take,
			    size_t *n)
{
	tf_nesting nest = tf_schema_def(s)->blocks[i].nesting;
	const tf_schema *inner = tf_schema_block(s, i);

	if (!tf_value_is_known(take))
		return take;
	if (nest == TF_NEST_SINGLE || nest == TF_NEST_GROUP)
		return null_object(inner, take, n);
	if (nest == TF_NEST_LIST || nest == TF_NEST_MAP)
		return null_collection(inner, nest == TF_NEST_MAP, take, n);
	return take; /* SET: no write-only inside (compile rule) */
}

/* Replace attribute `name` of *obj by `take`, making *obj mutable first. */
static int replace_attr(tf_value **obj, const char *name, tf_value *take)
{
	*obj = tf_value_mut(*obj);
	if (!*obj) {
		tf_value_unref(take);
		return TF_E_NOMEM;
	}
	return tf_value_object_set(*obj, name, take);
}

static tf_value *null_object(const tf_schema *s, tf_value *take, size_t *n)
{
	const tf_block_def *def = tf_schema_def(s);
	int rc = TF_OK;

	if (!take || !tf_value_is_known(take))
		return take;
	for (size_t i = 0; rc == TF_OK && i < def->nattrs; i++) {
		const tf_value *v = tf_value_attr(take, def->attrs[i].name);

		if (!(def->attrs[i].flags & TF_WRITE_ONLY) || !v ||
		    tf_value_is_null(v))
			continue;
		(*n)++;
		rc = replace_attr(&take, def->attrs[i].name,
				  tf_value_null(tf_schema_attr_type(s, i)));
	}
	for (size_t i = 0; rc == TF_OK && i < def->nblocks; i++) {
		const char *name = def->blocks[i].type_name;
		tf_value *v = tf_value_attr(take, name);
		size_t before = *n;

		if (!v || !nested_has_wo(s, i))
			continue;
		v = null_block(s, i, tf_value_ref(v), n);
		if (!v)
			rc = TF_E_NOMEM;
		else if (*n == before)
			tf_value_unref(v);
		else
			rc = replace_attr(&take, name, v);
	}
	if (rc != TF_OK) {
		tf_value_unref(take);
		return NULL;
	}
	return take;
}

tf_value *tf_write_only_nulled(const tf_schema *s, tf_value *take,
			       size_t *nulled)
{
	size_t n = 0;
	tf_value *v = null_object(s, take, &n);

	if (nulled)
		*nulled = n;
	return v;
}
