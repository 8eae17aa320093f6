/* The configuration a user would write for a state (GenerateResourceConfig's
 * generic part): see tf_schema_config_of_state in schema.h. */
#include <string.h>

#include "schema.h"

static tf_value *block_config(const tf_schema *s, const tf_value *state);

/* Is `v` something a user leaves out: null, unknown, "" or an empty
 * collection? */
static bool is_empty(const tf_value *v)
{
	tf_type_kind k;

	if (!tf_value_is_known(v))
		return true;
	k = tf_type_kind_of(tf_value_type(v));
	if (k == TF_T_STRING)
		return tf_value_string_len(v) == 0;
	if (k == TF_T_LIST || k == TF_T_SET || k == TF_T_MAP)
		return tf_value_len(v) == 0;
	return false;
}

/* The value of attribute i in the generated configuration (new ref, a
 * null of its type when a user would not write it). */
static tf_value *attr_config(const tf_schema *s, size_t i, const tf_value *v)
{
	const tf_attr_def *a = &tf_schema_def(s)->attrs[i];
	tf_value *dflt = tf_schema_attr_default(s, i);
	unsigned f = a->flags;

	if (!v || (f & (TF_SENSITIVE | TF_WRITE_ONLY | TF_DEPRECATED)) ||
	    !(f & (TF_REQUIRED | TF_OPTIONAL)))
		return NULL;
	if (f & TF_REQUIRED)
		return tf_value_is_wholly_known(v) ?
			       tf_value_ref((tf_value *)v) :
			       NULL;
	if (is_empty(v) || !tf_value_is_wholly_known(v) ||
	    (dflt && tf_value_equal(v, dflt)))
		return NULL;
	return tf_value_ref((tf_value *)v);
}

/* A nested block's value: each item's own configuration. */
static tf_value *nested_config(const tf_schema *inner, const tf_value *v)
{
	tf_type_kind k = tf_type_kind_of(tf_value_type(v));
	tf_value *out;

	if (!tf_value_is_known(v))
		return NULL;
	if (k == TF_T_OBJECT)
		return block_config(inner, v);
	out = k == TF_T_MAP ? tf_value_map_new(tf_value_type(v)) :
	      k == TF_T_SET ? tf_value_set_new(tf_value_type(v)) :
			      tf_value_list_new(tf_value_type(v));
	for (size_t j = 0; out && j < tf_value_len(v); j++) {
		tf_value *item = k == TF_T_MAP ? tf_value_map_value(v, j) :
						 tf_value_index(v, j);
		tf_value *c = block_config(inner, item);
		int rc = !c ? -1 :
			 k == TF_T_MAP ?
			      tf_value_map_set(out, tf_value_map_key(v, j), c) :
			      tf_value_list_append(out, c);

		if (rc != 0) {
			tf_value_unref(out);
			out = NULL;
		}
	}
	return out;
}

static tf_value *block_config(const tf_schema *s, const tf_value *state)
{
	const tf_block_def *def = tf_schema_def(s);
	tf_value *out;

	if (!state || !tf_value_is_known(state))
		return NULL;
	out = tf_value_object_new(tf_schema_type(s));
	for (size_t i = 0; out && i < def->nattrs; i++) {
		tf_value *c = attr_config(s, i,
					  tf_value_attr(state,
							def->attrs[i].name));

		if (c && tf_value_object_set(out, def->attrs[i].name, c) != 0)
			goto fail;
	}
	for (size_t i = 0; out && i < def->nblocks; i++) {
		const char *name = def->blocks[i].type_name;
		const tf_value *v = tf_value_attr(state, name);
		tf_value *c = v ? nested_config(tf_schema_block(s, i), v) :
				  NULL;

		if (c && tf_value_object_set(out, name, c) != 0)
			goto fail;
	}
	return out;
fail:
	tf_value_unref(out);
	return NULL;
}

tf_value *tf_schema_config_of_state(const tf_schema *s, const tf_value *state)
{
	tf_value *out;

	if (!state || !tf_value_is_known(state))
		return tf_value_null(tf_schema_type(s));
	out = block_config(s, state);
	return out ? out : tf_value_null(tf_schema_type(s));
}
