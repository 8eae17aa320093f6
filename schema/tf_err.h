/* Error codes shared by the schema/ module (values, codecs, planner).
 *
 * Every function in schema/ that can fail returns int: TF_OK (0) on success
 * or one of the negative codes below. Output parameters are written only on
 * success. Human-readable detail goes into an explicit error buffer or a
 * tf_diags accumulator, never into a global. */
#ifndef TF_ERR_H
#define TF_ERR_H

enum {
	TF_OK = 0,
	TF_E_NOMEM = -1, /* allocation failed */
	TF_E_INVALID =
		-2,      /* malformed input or value does not conform to type */
	TF_E_LIMIT = -3, /* input exceeds a hard bound (depth, size, count) */
	TF_E_TYPE = -4,  /* operation applied to a value of the wrong type */
	TF_E_NOTFOUND = -5, /* named attribute/key does not exist */
};

/* Hard bounds applied by every decoder in schema/. Hostile input beyond these
 * is rejected with TF_E_LIMIT instead of exhausting memory or stack. */
#define TF_MAX_DEPTH 64                   /* nesting of types and values */
#define TF_MAX_INPUT (256u * 1024 * 1024) /* bytes in one encoded value */
#define TF_MAX_ELEMS (16u * 1024 * 1024)  /* elements in one collection */

#endif
