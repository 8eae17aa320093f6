/* Kubernetes versions (see k8s_version.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_json.h"
#include "k8s_version.h"

void k8s_validate_version(const tf_value *v, const void *arg,
			  const tf_path *path, tf_diags *d)
{
	const char *s = tf_value_get_string(v);
	k8s_version kv;

	(void)arg;
	if (!s || k8s_version_parse(s, &kv) != 0)
		tf_diags_error(d, path, "Invalid Kubernetes version",
			       "\"%s\" is not a Kubernetes version; write it as "
			       "v1.33.1 (major.minor.patch).",
			       s ? s : "");
}

static int parse_num(const char **p)
{
	long n = 0;

	if (!isdigit((unsigned char)**p))
		return -1;
	while (isdigit((unsigned char)**p)) {
		n = n * 10 + (**p - '0');
		if (n > 100000)
			return -1;
		(*p)++;
	}
	return (int)n;
}

int k8s_version_parse(const char *s, k8s_version *out)
{
	k8s_version v;

	if (!s)
		return -1;
	if (*s == 'v')
		s++;
	if ((v.major = parse_num(&s)) < 0 || *s++ != '.' ||
	    (v.minor = parse_num(&s)) < 0 || *s++ != '.' ||
	    (v.patch = parse_num(&s)) < 0)
		return -1;
	if (*s && *s != '-' && *s != '+')
		return -1;
	*out = v;
	return 0;
}

int k8s_version_cmp(const char *a, const char *b)
{
	k8s_version x, y;

	if (k8s_version_parse(a, &x) || k8s_version_parse(b, &y))
		return 0;
	if (x.major != y.major)
		return x.major < y.major ? -1 : 1;
	if (x.minor != y.minor)
		return x.minor < y.minor ? -1 : 1;
	if (x.patch != y.patch)
		return x.patch < y.patch ? -1 : 1;
	return 0;
}

bool k8s_version_same(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	if (*a == 'v')
		a++;
	if (*b == 'v')
		b++;
	return strcmp(a, b) == 0;
}

char *k8s_version_canonical(const char *s)
{
	char *out = NULL;

	if (!s)
		return NULL;
	if (asprintf(&out, "%s%s", *s == 'v' ? "" : "v", s) < 0)
		return NULL;
	return out;
}

bool k8s_version_step_ok(const char *from, const char *to, char **why)
{
	k8s_version f, t;

	*why = NULL;
	if (k8s_version_parse(from, &f) || k8s_version_parse(to, &t))
		return true; /* the validators report malformed versions */
	if (t.major != f.major) {
		k8s_appendf(why, "cannot change the major version (%s to %s)",
			    from, to);
		return false;
	}
	if (t.minor < f.minor) {
		k8s_appendf(why, "cannot downgrade from %s to %s", from, to);
		return false;
	}
	if (t.minor > f.minor + 1) {
		k8s_appendf(why,
			    "%s to %s skips minor versions; upgrade one minor "
			    "version at a time (next: v%d.%d.x)",
			    from, to, f.major, f.minor + 1);
		return false;
	}
	if (t.minor == f.minor && t.patch < f.patch) {
		k8s_appendf(why, "cannot downgrade from %s to %s", from, to);
		return false;
	}
	return true;
}
