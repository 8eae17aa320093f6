/* What the two decoders (json.c, msgpack.c) share: where they are inside
 * the value, for error messages, and the collection of a container's
 * elements (see value_internal.h, "decoders"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_err.h"
#include "value_internal.h"

void tfv__where_push(tfv__where *w, int kind, const char *s, size_t len,
		     size_t idx)
{
	if (w->npath < TF_MAX_DEPTH)
		w->path[w->npath] = (tfv__step){ kind, s, len, idx };
	w->npath++;
}

void tfv__where_pop(tfv__where *w)
{
	w->npath--;
}

int tfv__fail(tfv__where *w, int rc, const char *fmt, ...)
{
	tfv__buf b = { 0 };
	va_list ap;
	char *where;
	size_t used;
	int n;

	if (w->failed || !w->err || w->errlen == 0)
		goto out;
	n = w->npath < TF_MAX_DEPTH ? w->npath : TF_MAX_DEPTH;
	if (n) {
		w->render(&b, w->path, n);
		tfv__buf_str(&b, "\": ");
	}
	where = tfv__buf_take(&b, NULL);
	snprintf(w->err, w->errlen, "%s", where ? where : "");
	free(where);
	used = strlen(w->err);
	va_start(ap, fmt);
	vsnprintf(w->err + used, w->errlen - used, fmt, ap);
	va_end(ap);
out:
	w->failed = true;
	return rc;
}

int tfv__coll_init(tfv__coll *c, size_t n, bool keyed)
{
	memset(c, 0, sizeof(*c));
	c->vals = calloc(n ? n : 1, sizeof(*c->vals));
	c->keys = keyed ? malloc((n ? n : 1) * sizeof(*c->keys)) : NULL;
	return c->vals && (!keyed || c->keys) ? TF_OK : TF_E_NOMEM;
}

int tfv__coll_slots(tfv__coll *c, size_t n)
{
	int rc = tfv__coll_init(c, n, false);

	if (rc == TF_OK)
		c->got = n;
	return rc;
}

int tfv__coll_add(tfv__coll *c, tf_value *take, const char *key, size_t keylen)
{
	if (c->keys && !key) {
		tf_value_unref(take);
		return TF_E_INVALID;
	}
	if (c->keys && !(c->keys[c->got] = strndup(key, keylen))) {
		tf_value_unref(take);
		return TF_E_NOMEM;
	}
	c->vals[c->got++] = take;
	return TF_OK;
}

tf_value *tfv__coll_build(tfv__coll *c, tf_type *t)
{
	tf_value *v = c->keys ? tfv__map_from(t, c->keys, c->vals, c->got) :
				tfv__seq_from(t, c->vals, c->got);

	memset(c, 0, sizeof(*c)); /* the builders took everything */
	return v;
}

void tfv__coll_done(tfv__coll *c)
{
	while (c->got > 0) {
		c->got--;
		if (c->keys)
			free(c->keys[c->got]);
		tf_value_unref(c->vals[c->got]);
	}
	free(c->keys);
	free(c->vals);
	memset(c, 0, sizeof(*c));
}

int tfv__coll_finish(tfv__where *w, tfv__coll *col, tf_type *t, int rc,
		     tf_value **out)
{
	if (rc) {
		tfv__coll_done(col);
		return rc;
	}
	*out = tfv__coll_build(col, t);
	return *out ? TF_OK : tfv__fail(w, TF_E_NOMEM, "out of memory");
}

int tfv__decode_seq(tfv__where *w, tf_type *t, size_t n, tfv__elem_fn elem,
		    void *ctx, int depth, tf_value **out)
{
	tfv__coll col;
	int rc;

	if (tf_type_kind_of(t) == TF_T_TUPLE && n != tf_type_tuple_len(t))
		return tfv__fail(w, TF_E_INVALID,
				 "tuple needs %zu elements, got %zu",
				 tf_type_tuple_len(t), n);
	rc = tfv__coll_init(&col, n, false) ?
		     tfv__fail(w, TF_E_NOMEM, "out of memory") :
		     TF_OK;
	for (size_t i = 0; rc == TF_OK && i < n; i++) {
		tf_value *v = NULL;

		tfv__where_push(w, TFV__STEP_IDX, NULL, 0, i);
		rc = elem(ctx, i, tf_type_seq_elem(t, i), depth + 1, &v);
		tfv__where_pop(w);
		if (rc == TF_OK && tfv__coll_add(&col, v, NULL, 0))
			rc = tfv__fail(w, TF_E_NOMEM, "out of memory");
	}
	return tfv__coll_finish(w, &col, t, rc, out);
}

int tfv__decode_begin(tfv__where *w, const void *buf, size_t len,
		      const tf_type *type, tf_value **out)
{
	if (w->err && w->errlen)
		w->err[0] = '\0';
	if ((!buf && len) || !type || !out)
		return tfv__fail(w, TF_E_INVALID, "invalid arguments");
	if (len > TF_MAX_INPUT)
		return tfv__fail(w, TF_E_LIMIT, "input exceeds %u bytes",
				 TF_MAX_INPUT);
	return TF_OK;
}
