/* LXD object names (see lxd_name.h). */
#include <stdlib.h>

#include "lxd_name.h"

/* LXD object names (storage pools, networks, profiles, projects, cluster
 * members). The rule is the intersection of what LXD accepts for these
 * objects, so a name that passes is accepted by every one of them:
 *   - 1 to 63 bytes (a DNS label; LXD cluster member and instance names are
 *     host names);
 *   - only ASCII letters, digits, '-', '_' and '.';
 *   - the first character is a letter or a digit (so never "-x", ".",
 *     "..", or a leading dot, which LXD refuses or treats specially).
 * In particular '/' (which LXD rejects in every entity name because names
 * are URL path segments), whitespace and non-ASCII are refused. Resources with stricter rules (a bridge network's 15-character
 * interface name) add their own check. */
#define LXD_NAME_MAX 63

static const char *lxd_name_problem(const char *s, size_t len)
{
	if (len == 0)
		return "it must not be empty";
	if (len > LXD_NAME_MAX)
		return "it must be at most 63 characters long";
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return "it must start with an ASCII letter or digit";
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.')
			continue;
		if (ch == '/')
			return "it must not contain '/'";
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
		    ch == '\v' || ch == '\f')
			return "it must not contain whitespace";
		return "it may contain only ASCII letters, digits, '-', '_' and '.'";
	}
	return NULL;
}

void lxd_validate_name(const tf_value *v, const void *arg, const tf_path *path,
		       tf_diags *d)
{
	const char *s = tf_value_get_string(v);
	const char *problem;
	char *where;

	(void)arg;
	if (!s)
		return;
	problem = lxd_name_problem(s, tf_value_string_len(v));
	if (!problem)
		return;
	where = path && path->n ? tf_path_to_string(path) : NULL;
	/* The name is printed only when it is short and printable. */
	tf_diags_error(d, path, "Invalid LXD name",
		       "The value \"%.63s\" is not a valid name for %s: %s.", s,
		       where ? where : "this attribute", problem);
	free(where);
}
