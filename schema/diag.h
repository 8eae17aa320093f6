/* Diagnostics: what the user sees. An explicit accumulator owned by one RPC
 * (never global, never thread-local), turned into tfplugin6 Diagnostics by
 * the RPC layer.
 *
 * Messages: summary is one short sentence (capitalised, no trailing period);
 * detail says what went wrong, on which object, and what to do. Never put
 * secrets in either. */
#ifndef TF_DIAG_H
#define TF_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum tf_diag_severity {
	TF_DIAG_ERROR = 1,
	TF_DIAG_WARNING = 2,
} tf_diag_severity;

typedef enum tf_step_kind {
	TF_STEP_ATTR = 1,       /* attribute_name */
	TF_STEP_KEY_STRING = 2, /* element_key_string (map key) */
	TF_STEP_KEY_INT = 3,    /* element_key_int (list index) */
} tf_step_kind;

typedef struct tf_path_step {
	tf_step_kind kind;
	char *name;    /* ATTR / KEY_STRING, malloc'd */
	int64_t index; /* KEY_INT */
} tf_path_step;

/* An attribute path. The zero value {0} is the empty path (whole object).
 * A tf_path owns its steps; release with tf_path_done(). */
typedef struct tf_path {
	tf_path_step *steps;
	size_t n;
} tf_path;

/* Append a step; return TF_OK or TF_E_NOMEM. */
int tf_path_push_attr(tf_path *p, const char *name);
int tf_path_push_key(tf_path *p, const char *key);
int tf_path_push_index(tf_path *p, int64_t index);
void tf_path_pop(tf_path *p);
int tf_path_copy(tf_path *dst, const tf_path *src); /* dst is overwritten */
bool tf_path_equal(const tf_path *a, const tf_path *b);
/* attr, then the map keys k1 and k2 (each may be NULL to stop there):
 * config["source"], member_config["node1"]["size"]. Appended to p (attr
 * NULL: nothing, the whole object). */
int tf_path_attr_keys(tf_path *p, const char *attr, const char *k1,
		      const char *k2);
/* Render as `config["source"]` / `members[0].name`; malloc'd. */
char *tf_path_to_string(const tf_path *p);
void tf_path_done(tf_path *p);

typedef struct tf_diag {
	tf_diag_severity severity;
	char *summary; /* malloc'd */
	char *detail;  /* malloc'd, may be "" */
	tf_path path;  /* empty when not tied to an attribute */
} tf_diag;

typedef struct tf_diags {
	tf_diag *items;
	size_t n, cap;
} tf_diags;

#define TF_DIAGS_INIT                                                          \
	{                                                                      \
		0                                                              \
	}

/* Add a diagnostic. `path` may be NULL (copied otherwise). The detail is a
 * printf format. Allocation failure degrades to a fixed "out of memory"
 * diagnostic; these never fail. */
void tf_diags_add(tf_diags *d, tf_diag_severity sev, const tf_path *path,
		  const char *summary, const char *detail_fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Shorthands. */
#define tf_diags_error(d, path, summary, ...)                                  \
	tf_diags_add((d), TF_DIAG_ERROR, (path), (summary), __VA_ARGS__)
#define tf_diags_warn(d, path, summary, ...)                                   \
	tf_diags_add((d), TF_DIAG_WARNING, (path), (summary), __VA_ARGS__)
/* Error on a top-level attribute `attr` (a one-step path). */
void tf_diags_attr_error(tf_diags *d, const char *attr, const char *summary,
			 const char *detail_fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Error at attr["k1"]["k2"] (see tf_path_attr_keys). */
void tf_diags_key_error(tf_diags *d, const char *attr, const char *k1,
			const char *k2, const char *summary,
			const char *detail_fmt, ...)
	__attribute__((format(printf, 6, 7)));

bool tf_diags_has_error(const tf_diags *d);
/* Move all of src's items to the end of dst; src becomes empty. */
void tf_diags_move(tf_diags *dst, tf_diags *src);
void tf_diags_done(tf_diags *d);

#endif
