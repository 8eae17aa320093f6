/* Resource identity helpers (see identity.h). */
#include <string.h>

#include "identity.h"

tf_type *tfp_identity_type(const tf_block_def *ids)
{
	const char *names[16] = { 0 };
	tf_type *types[16] = { 0 };
	tf_type *t = NULL;
	size_t n = ids->nattrs;

	if (n > 16)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		names[i] = ids->attrs[i].name;
		if (tf_type_from_json(ids->attrs[i].type,
				      strlen(ids->attrs[i].type),
				      &types[i]) != 0)
			goto out;
	}
	t = tf_type_object(n, names, types);
out:
	for (size_t i = 0; i < n; i++)
		tf_type_unref(types[i]);
	return t;
}

/* One identity attribute's value from the state (new reference). */
static tf_value *attr_value(const tf_value *state, const char *name,
			    const char *dflt)
{
	tf_value *v = tf_value_attr(state, name);

	if (!v)
		return NULL;
	if (dflt && tf_value_is_null(v))
		return tf_value_string(dflt);
	return tf_value_ref(v);
}

tf_value *tfp_identity_from_state(const tf_block_def *ids,
				  const char *const *defaults,
				  const char *type_name, const tf_value *state,
				  tf_diags *d)
{
	tf_type *t = tfp_identity_type(ids);
	tf_value *id = NULL;

	if (!t || !state || tf_value_is_null(state) ||
	    tf_value_is_unknown(state))
		goto fail;
	id = tf_value_object_new(t);
	for (size_t i = 0; id && i < ids->nattrs; i++) {
		tf_value *v = attr_value(state, ids->attrs[i].name,
					 defaults ? defaults[i] : NULL);

		if (!v || tf_value_object_set(id, ids->attrs[i].name, v) != 0) {
			tf_value_unref(id);
			id = NULL;
		}
	}
	tf_type_unref(t);
	if (id)
		return id;
	t = NULL;
fail:
	tf_type_unref(t);
	tf_diags_error(d, NULL, "Cannot build resource identity",
		       "The %s state has no value for its identity; this is a "
		       "provider bug.",
		       type_name ? type_name : "resource");
	return NULL;
}
