/* Kubeconfig loading (see kubeconfig.h).
 *
 * The YAML is read with libyaml's event parser into a small tree (every
 * node kept in one arena, aliases pointing at their anchor's node, so
 * nothing is copied and lookups never walk an alias graph). Only the paths
 * a kubeconfig uses are looked up. Bounds: KC_MAX_INPUT bytes, KC_MAX_DEPTH
 * nesting, KC_MAX_NODES nodes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "../util/b64.h"
#include "../util/secret.h"
#include "kubeconfig.h"

#define KC_MAX_DEPTH 64
#define KC_MAX_NODES 200000
#define KC_MAX_ANCHORS 1024
#define KC_MAX_ITEMS 10000 /* args, env, warnings */

/* ---- small YAML tree ------------------------------------------------- */

enum { YN_SCALAR = 1, YN_SEQ, YN_MAP };

typedef struct yn {
	int kind;
	char *str;          /* scalar value */
	size_t len;
	struct yn **items;  /* seq: n items; map: 2n (key, value) */
	size_t n, cap;
} yn;

typedef struct ytree {
	yn **all;           /* arena: every node */
	size_t nall, capall;
	char **anchor_names;
	yn **anchor_nodes;
	size_t nanchors;
	yn *root;
} ytree;

static void ytree_free(ytree *t)
{
	size_t i;

	for (i = 0; i < t->nall; i++) {
		free(t->all[i]->str);
		free(t->all[i]->items);
		free(t->all[i]);
	}
	free(t->all);
	for (i = 0; i < t->nanchors; i++)
		free(t->anchor_names[i]);
	free(t->anchor_names);
	free(t->anchor_nodes);
	memset(t, 0, sizeof(*t));
}

static yn *yn_new(ytree *t, int kind)
{
	yn *n;
	yn **na;

	if (t->nall >= KC_MAX_NODES)
		return NULL;
	if (t->nall == t->capall) {
		size_t nc = t->capall ? t->capall * 2 : 64;

		na = realloc(t->all, nc * sizeof(*na));
		if (!na)
			return NULL;
		t->all = na;
		t->capall = nc;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	t->all[t->nall++] = n;
	return n;
}

static int yn_push(yn *parent, yn *child)
{
	yn **ni;

	if (parent->n >= KC_MAX_NODES)
		return -1;
	if (parent->n == parent->cap) {
		size_t nc = parent->cap ? parent->cap * 2 : 8;

		ni = realloc(parent->items, nc * sizeof(*ni));
		if (!ni)
			return -1;
		parent->items = ni;
		parent->cap = nc;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static int add_anchor(ytree *t, const char *name, yn *node)
{
	char **nn;
	yn **nd;

	if (!name)
		return 0;
	if (t->nanchors >= KC_MAX_ANCHORS)
		return -1;
	nn = realloc(t->anchor_names, (t->nanchors + 1) * sizeof(*nn));
	if (!nn)
		return -1;
	t->anchor_names = nn;
	nd = realloc(t->anchor_nodes, (t->nanchors + 1) * sizeof(*nd));
	if (!nd)
		return -1;
	t->anchor_nodes = nd;
	nn[t->nanchors] = strdup(name);
	if (!nn[t->nanchors])
		return -1;
	nd[t->nanchors++] = node;
	return 0;
}

static yn *find_anchor(const ytree *t, const char *name)
{
	size_t i = t->nanchors;

	/* The latest definition wins (YAML allows redefinition). */
	while (i-- > 0)
		if (strcmp(t->anchor_names[i], name) == 0)
			return t->anchor_nodes[i];
	return NULL;
}

/* Parse the first document of `in` into t->root. Returns 0, or -1 with a
 * message in err (parser position, never the content). */
static int yaml_to_tree(const char *in, size_t len, ytree *t, char *err,
			size_t errlen)
{
	yaml_parser_t p;
	yaml_event_t ev;
	yn *stack[KC_MAX_DEPTH + 1];
	size_t depth = 0;
	int done = 0, rc = -1;
	yn *node;

	memset(t, 0, sizeof(*t));
	if (!yaml_parser_initialize(&p)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)in, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			snprintf(err, errlen, "invalid YAML at line %zu column %zu: %s",
				 p.problem_mark.line + 1, p.problem_mark.column + 1,
				 p.problem ? p.problem : "syntax error");
			goto out;
		}
		node = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			done = 1;
			break;
		case YAML_SCALAR_EVENT:
			node = yn_new(t, YN_SCALAR);
			if (!node)
				goto limit;
			node->str = malloc(ev.data.scalar.length + 1);
			if (!node->str)
				goto limit;
			memcpy(node->str, ev.data.scalar.value, ev.data.scalar.length);
			node->str[ev.data.scalar.length] = '\0';
			node->len = ev.data.scalar.length;
			if (add_anchor(t, (const char *)ev.data.scalar.anchor, node))
				goto limit;
			break;
		case YAML_ALIAS_EVENT:
			node = find_anchor(t, (const char *)ev.data.alias.anchor);
			if (!node) {
				snprintf(err, errlen, "invalid YAML at line %zu: unknown alias",
					 ev.start_mark.line + 1);
				goto out_ev;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= KC_MAX_DEPTH) {
				snprintf(err, errlen, "YAML nested deeper than %d levels",
					 KC_MAX_DEPTH);
				goto out_ev;
			}
			node = yn_new(t, ev.type == YAML_SEQUENCE_START_EVENT ? YN_SEQ
									 : YN_MAP);
			if (!node)
				goto limit;
			if (add_anchor(t, (const char *)(ev.type == YAML_SEQUENCE_START_EVENT
							 ? ev.data.sequence_start.anchor
							 : ev.data.mapping_start.anchor),
				       node))
				goto limit;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		if (node) {
			if (depth == 0) {
				if (!t->root)
					t->root = node;
			} else if (yn_push(stack[depth - 1], node)) {
				goto limit;
			}
			if ((ev.type == YAML_SEQUENCE_START_EVENT ||
			     ev.type == YAML_MAPPING_START_EVENT))
				stack[depth++] = node;
		}
		yaml_event_delete(&ev);
	}
	rc = 0;
	goto out;
limit:
	snprintf(err, errlen, "YAML too large or out of memory (limit %d nodes)",
		 KC_MAX_NODES);
out_ev:
	yaml_event_delete(&ev);
out:
	yaml_parser_delete(&p);
	if (rc)
		ytree_free(t);
	return rc;
}

/* Value for scalar key `key` in map m, or NULL. */
static const yn *yget(const yn *m, const char *key)
{
	size_t i;

	if (!m || m->kind != YN_MAP)
		return NULL;
	for (i = 0; i + 1 < m->n; i += 2)
		if (m->items[i]->kind == YN_SCALAR &&
		    strcmp(m->items[i]->str, key) == 0)
			return m->items[i + 1];
	return NULL;
}

/* Scalar string at key, or NULL (absent, not a scalar, or "" / "null"). */
static const char *ystr(const yn *m, const char *key)
{
	const yn *v = yget(m, key);

	if (!v || v->kind != YN_SCALAR || v->len == 0 ||
	    strcmp(v->str, "null") == 0 || strcmp(v->str, "~") == 0)
		return NULL;
	return v->str;
}

/* YAML 1.1 booleans, as sigs.k8s.io/yaml accepts them. */
static int ybool(const yn *m, const char *key, bool *out)
{
	const char *s = ystr(m, key);
	static const char *const yes[] = { "true", "yes", "on", "y" };
	static const char *const no[] = { "false", "no", "off", "n" };
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* In list `key` of root, the element whose `name` equals name; returns its
 * `field` map (e.g. "cluster"). *found tells if the named entry exists. */
static const yn *named_entry(const yn *root, const char *key, const char *name,
			     const char *field, bool *found)
{
	const yn *list = yget(root, key);
	const char *n;
	size_t i;

	*found = false;
	if (!list || list->kind != YN_SEQ)
		return NULL;
	for (i = 0; i < list->n; i++) {
		n = ystr(list->items[i], "name");
		if (n && strcmp(n, name) == 0) {
			*found = true;
			return yget(list->items[i], field);
		}
	}
	return NULL;
}

/* Comma-separated names of list `key` (bounded), for error messages. */
static void list_names(const yn *root, const char *key, char *buf, size_t len)
{
	const yn *list = yget(root, key);
	size_t i, off = 0;
	const char *n;

	buf[0] = '\0';
	if (!list || list->kind != YN_SEQ || len == 0)
		return;
	for (i = 0; i < list->n && off + 1 < len; i++) {
		n = ystr(list->items[i], "name");
		if (!n)
			continue;
		int w = snprintf(buf + off, len - off, "%s\"%.64s\"",
				 off ? ", " : "", n);
		if (w < 0 || (size_t)w >= len - off) {
			buf[off] = '\0';
			break;
		}
		off += (size_t)w;
	}
}

/* ---- helpers --------------------------------------------------------- */

static void kc_err(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void kc_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

int kc_read_file(const char *path, size_t max, char **out, size_t *outlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t n = 0, cap;
	ssize_t r;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -1;
	}
	for (;;) {
		if (n + 1 >= cap) {
			/* The file grew: read up to max. */
			char *nb;

			if (cap > max) {
				util_secret_free_n(buf, n);
				close(fd);
				errno = EFBIG;
				return -1;
			}
			nb = realloc(buf, cap * 2 > max + 1 ? max + 1 : cap * 2);
			if (!nb) {
				util_secret_free_n(buf, n);
				close(fd);
				return -1;
			}
			buf = nb;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			util_secret_free_n(buf, n);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

/* Resolve a path relative to dir (NULL: as is). malloc'd. */
static char *resolve_path(const char *dir, const char *p)
{
	char *r;

	if (!dir || p[0] == '/')
		return strdup(p);
	if (asprintf(&r, "%s/%s", dir, p) < 0)
		return NULL;
	return r;
}

static int add_warning(kubeconfig *kc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int add_warning(kubeconfig *kc, const char *fmt, ...)
{
	va_list ap;
	char *s;
	char **nw;
	int r;

	if (kc->nwarnings >= 32)
		return 0;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	nw = realloc(kc->warnings, (kc->nwarnings + 1) * sizeof(*nw));
	if (!nw) {
		free(s);
		return -1;
	}
	kc->warnings = nw;
	kc->warnings[kc->nwarnings++] = s;
	return 0;
}

static char *xdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Load a PEM from `<key>-data` (base64) or the file `<key>`. Returns 0
 * (also when neither is set), -1 with a message. */
static int load_pem(const yn *m, const char *key, const char *dir,
		    const char *what, const kubeconfig *kc, char **out,
		    size_t *outlen, char *err, size_t errlen)
{
	char dkey[64];
	const char *data, *file;
	char *path;

	snprintf(dkey, sizeof(dkey), "%s-data", key);
	data = ystr(m, dkey);
	file = ystr(m, key);
	if (data) {
		*out = util_b64_decode(data, strlen(data), outlen);
		if (!*out) {
			kc_err(err, errlen,
			       "%s, context \"%s\": %s of %s is not valid base64. "
			       "Re-encode the PEM with `base64 -w0`.",
			       kc->source, kc->context, dkey, what);
			return -1;
		}
		return 0;
	}
	if (!file)
		return 0;
	path = resolve_path(dir, file);
	if (!path) {
		kc_err(err, errlen, "out of memory");
		return -1;
	}
	if (kc_read_file(path, KC_MAX_FILE, out, outlen) != 0) {
		kc_err(err, errlen,
		       "%s, context \"%s\": cannot read %s file \"%s\" of %s: %s",
		       kc->source, kc->context, key, path, what, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static char **str_list(const yn *seq, size_t *n, int *bad)
{
	char **v;
	size_t i;

	*n = 0;
	*bad = 0;
	if (!seq)
		return NULL;
	if (seq->kind != YN_SEQ || seq->n > KC_MAX_ITEMS) {
		*bad = 1;
		return NULL;
	}
	if (!seq->n)
		return NULL;
	v = calloc(seq->n, sizeof(*v));
	if (!v) {
		*bad = 1;
		return NULL;
	}
	for (i = 0; i < seq->n; i++) {
		if (seq->items[i]->kind != YN_SCALAR) {
			*bad = 1;
			break;
		}
		v[i] = strdup(seq->items[i]->str);
		if (!v[i]) {
			*bad = 1;
			break;
		}
		(*n)++;
	}
	if (*bad) {
		for (i = 0; i < *n; i++)
			free(v[i]);
		free(v);
		*n = 0;
		return NULL;
	}
	return v;
}

static void exec_free(kc_exec *e)
{
	size_t i;

	if (!e)
		return;
	free(e->api_version);
	free(e->command);
	for (i = 0; i < e->nargs; i++)
		free(e->args[i]);
	free(e->args);
	for (i = 0; i < e->nenv; i++) {
		free(e->env_names[i]);
		util_secret_free(e->env_values[i]);
	}
	free(e->env_names);
	free(e->env_values);
	free(e->install_hint);
	free(e->interactive_mode);
	free(e);
}

static int load_exec(const yn *ex, const char *dir, kubeconfig *kc, char *err,
		     size_t errlen)
{
	kc_exec *e = calloc(1, sizeof(*e));
	const char *av, *cmd, *mode;
	const yn *env;
	size_t i;
	int bad;

	if (!e)
		goto nomem;
	kc->exec = e;
	av = ystr(ex, "apiVersion");
	if (!av || (strcmp(av, "client.authentication.k8s.io/v1") != 0 &&
		    strcmp(av, "client.authentication.k8s.io/v1beta1") != 0)) {
		kc_err(err, errlen,
		       "%s, user \"%s\": exec plugin apiVersion %s%s%s is not "
		       "supported; use client.authentication.k8s.io/v1 or v1beta1.",
		       kc->source, kc->user_name, av ? "\"" : "(missing)",
		       av ? av : "", av ? "\"" : "");
		return -1;
	}
	e->api_version = strdup(av);
	cmd = ystr(ex, "command");
	if (!cmd) {
		kc_err(err, errlen, "%s, user \"%s\": exec plugin has no command.",
		       kc->source, kc->user_name);
		return -1;
	}
	/* A relative command with a '/' is relative to the kubeconfig file;
	 * a bare name is looked up in PATH. */
	e->command = strchr(cmd, '/') ? resolve_path(dir, cmd) : strdup(cmd);
	e->args = str_list(yget(ex, "args"), &e->nargs, &bad);
	if (bad) {
		kc_err(err, errlen, "%s, user \"%s\": exec args must be a list of strings.",
		       kc->source, kc->user_name);
		return -1;
	}
	env = yget(ex, "env");
	if (env && env->kind == YN_SEQ && env->n <= KC_MAX_ITEMS && env->n) {
		e->env_names = calloc(env->n, sizeof(char *));
		e->env_values = calloc(env->n, sizeof(char *));
		if (!e->env_names || !e->env_values)
			goto nomem;
		for (i = 0; i < env->n; i++) {
			const char *n = ystr(env->items[i], "name");
			const yn *vn = yget(env->items[i], "value");

			if (!n || strchr(n, '=') || (vn && vn->kind != YN_SCALAR)) {
				kc_err(err, errlen,
				       "%s, user \"%s\": exec env entry %zu needs a name "
				       "(without '=') and a string value.",
				       kc->source, kc->user_name, i);
				return -1;
			}
			e->env_names[e->nenv] = strdup(n);
			e->env_values[e->nenv] = strdup(vn ? vn->str : "");
			e->nenv++;
			if (!e->env_names[e->nenv - 1] || !e->env_values[e->nenv - 1])
				goto nomem;
		}
	} else if (env && env->kind != YN_SCALAR) {
		kc_err(err, errlen, "%s, user \"%s\": exec env must be a list of "
		       "{name, value}.", kc->source, kc->user_name);
		return -1;
	}
	e->install_hint = xdup(ystr(ex, "installHint"));
	mode = ystr(ex, "interactiveMode");
	if (mode && strcmp(mode, "Never") != 0 && strcmp(mode, "IfAvailable") != 0 &&
	    strcmp(mode, "Always") != 0) {
		kc_err(err, errlen, "%s, user \"%s\": exec interactiveMode \"%.32s\" "
		       "is not Never, IfAvailable or Always.",
		       kc->source, kc->user_name, mode);
		return -1;
	}
	if (mode && strcmp(mode, "Always") == 0) {
		kc_err(err, errlen, "%s, user \"%s\": the exec plugin needs an "
		       "interactive terminal (interactiveMode: Always), which "
		       "Terraform providers do not have. Use a non-interactive "
		       "credential.", kc->source, kc->user_name);
		return -1;
	}
	e->interactive_mode = xdup(mode);
	if (ybool(ex, "provideClusterInfo", &e->provide_cluster_info) != 0) {
		kc_err(err, errlen, "%s, user \"%s\": exec provideClusterInfo is not a boolean.",
		       kc->source, kc->user_name);
		return -1;
	}
	if (!e->api_version || !e->command)
		goto nomem;
	return 0;
nomem:
	kc_err(err, errlen, "out of memory");
	return -1;
}

static int resolve(const yn *root, const char *dir, const char *ctx_override,
		   kubeconfig *kc, char *err, size_t errlen)
{
	const char *ctxname = ctx_override && *ctx_override ? ctx_override
							     : ystr(root, "current-context");
	const yn *ctx, *cl, *us = NULL;
	const char *s;
	char names[256];
	bool found;

	if (!root || root->kind != YN_MAP) {
		kc_err(err, errlen, "%s is not a kubeconfig (expected a YAML mapping "
		       "with clusters, users and contexts).", kc->source);
		return -1;
	}
	if (!ctxname) {
		list_names(root, "contexts", names, sizeof(names));
		kc_err(err, errlen, "%s has no current-context. Set the provider's "
		       "`context`%s%s.", kc->source,
		       names[0] ? " to one of " : "", names);
		return -1;
	}
	kc->context = strdup(ctxname);
	if (!kc->context)
		goto nomem;
	ctx = named_entry(root, "contexts", ctxname, "context", &found);
	if (!found || !ctx || ctx->kind != YN_MAP) {
		list_names(root, "contexts", names, sizeof(names));
		kc_err(err, errlen, "%s: context \"%.128s\" %s. Available contexts: %s.",
		       kc->source, ctxname, found ? "has no context map" : "not found",
		       names[0] ? names : "(none)");
		return -1;
	}
	s = ystr(ctx, "cluster");
	if (!s) {
		kc_err(err, errlen, "%s: context \"%s\" names no cluster.", kc->source,
		       kc->context);
		return -1;
	}
	kc->cluster_name = strdup(s);
	kc->namespace = xdup(ystr(ctx, "namespace"));
	s = ystr(ctx, "user");
	kc->user_name = xdup(s);
	if (!kc->cluster_name)
		goto nomem;

	cl = named_entry(root, "clusters", kc->cluster_name, "cluster", &found);
	if (!found || !cl || cl->kind != YN_MAP) {
		list_names(root, "clusters", names, sizeof(names));
		kc_err(err, errlen, "%s: cluster \"%.128s\" of context \"%s\" %s. "
		       "Available clusters: %s.", kc->source, kc->cluster_name,
		       kc->context, found ? "has no cluster map" : "not found",
		       names[0] ? names : "(none)");
		return -1;
	}
	s = ystr(cl, "server");
	if (!s) {
		kc_err(err, errlen, "%s: cluster \"%s\" (context \"%s\") has no "
		       "server URL.", kc->source, kc->cluster_name, kc->context);
		return -1;
	}
	kc->server = strdup(s);
	if (!kc->server)
		goto nomem;
	while (strlen(kc->server) > 8 && kc->server[strlen(kc->server) - 1] == '/')
		kc->server[strlen(kc->server) - 1] = '\0';
	if (ybool(cl, "insecure-skip-tls-verify", &kc->insecure_skip_tls_verify)) {
		kc_err(err, errlen, "%s: insecure-skip-tls-verify of cluster \"%s\" "
		       "is not a boolean.", kc->source, kc->cluster_name);
		return -1;
	}
	kc->tls_server_name = xdup(ystr(cl, "tls-server-name"));
	s = ystr(cl, "proxy-url");
	if (s && strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0 &&
	    strncmp(s, "socks5://", 9) != 0) {
		kc_err(err, errlen, "%s: proxy-url of cluster \"%s\" must start with "
		       "http://, https:// or socks5://.", kc->source, kc->cluster_name);
		return -1;
	}
	kc->proxy_url = xdup(s);
	if (s && !kc->proxy_url)
		goto nomem;
	if (load_pem(cl, "certificate-authority", dir, "the cluster", kc,
		     &kc->ca_pem, &kc->ca_pem_len, err, errlen))
		return -1;
	if (kc->ca_pem && kc->insecure_skip_tls_verify &&
	    add_warning(kc, "%s: cluster \"%s\" sets both a certificate "
			"authority and insecure-skip-tls-verify; the server "
			"certificate is not verified.",
			kc->source, kc->cluster_name))
		goto nomem;

	if (kc->user_name) {
		us = named_entry(root, "users", kc->user_name, "user", &found);
		if (!found) {
			list_names(root, "users", names, sizeof(names));
			kc_err(err, errlen, "%s: user \"%.128s\" of context \"%s\" not "
			       "found. Available users: %s.", kc->source,
			       kc->user_name, kc->context, names[0] ? names : "(none)");
			return -1;
		}
	}
	if (us && us->kind == YN_MAP) {
		if (yget(us, "auth-provider")) {
			kc_err(err, errlen, "%s: user \"%s\" uses the legacy "
			       "auth-provider mechanism, which is not supported. Use "
			       "an exec credential plugin (users[].user.exec) instead.",
			       kc->source, kc->user_name);
			return -1;
		}
		if (ystr(us, "username") || ystr(us, "password")) {
			kc_err(err, errlen, "%s: user \"%s\" uses basic authentication "
			       "(username/password), which Kubernetes no longer "
			       "supports. Use a client certificate, a token or an "
			       "exec plugin.", kc->source, kc->user_name);
			return -1;
		}
		if (load_pem(us, "client-certificate", dir, "the user", kc,
			     &kc->client_cert_pem, &kc->client_cert_pem_len, err,
			     errlen) ||
		    load_pem(us, "client-key", dir, "the user", kc,
			     &kc->client_key_pem, &kc->client_key_pem_len, err,
			     errlen))
			return -1;
		if (!kc->client_cert_pem != !kc->client_key_pem) {
			kc_err(err, errlen, "%s: user \"%s\" has a client %s but no "
			       "client %s; set both client-certificate(-data) and "
			       "client-key(-data).", kc->source, kc->user_name,
			       kc->client_cert_pem ? "certificate" : "key",
			       kc->client_cert_pem ? "key" : "certificate");
			return -1;
		}
		kc->token = xdup(ystr(us, "token"));
		s = ystr(us, "tokenFile");
		if (s && !(kc->token_file = resolve_path(dir, s)))
			goto nomem;
		if (yget(us, "exec") && load_exec(yget(us, "exec"), dir, kc, err, errlen))
			return -1;
	}
	return 0;
nomem:
	kc_err(err, errlen, "out of memory");
	return -1;
}

int kubeconfig_load(const kubeconfig_source *src, kubeconfig **out,
		    char *errbuf, size_t errlen)
{
	kubeconfig *kc;
	char *file = NULL, *dir = NULL, *slash;
	const char *in;
	size_t len = 0;
	ytree t;
	char perr[256];
	int rc = -1;

	if (errlen)
		errbuf[0] = '\0';
	kc = calloc(1, sizeof(*kc));
	if (!kc) {
		kc_err(errbuf, errlen, "out of memory");
		return -1;
	}
	if (src->content) {
		in = src->content;
		len = src->content_len ? src->content_len : strlen(src->content);
		kc->source = strdup("inline kubeconfig");
	} else if (src->path && *src->path) {
		if (asprintf(&kc->source, "kubeconfig file %s", src->path) < 0)
			kc->source = NULL;
		if (kc_read_file(src->path, KC_MAX_INPUT, &file, &len) != 0) {
			kc_err(errbuf, errlen, "cannot read kubeconfig file %s: %s%s",
			       src->path, errno == EFBIG ? "larger than 4 MiB" : strerror(errno),
			       errno == ENOENT ? ". Set the provider's kubeconfig_path, "
						 "kubeconfig, or KUBECONFIG." : "");
			goto out;
		}
		in = file;
		dir = strdup(src->path);
		if (dir) {
			slash = strrchr(dir, '/');
			if (slash && slash != dir)
				*slash = '\0';
			else if (slash)
				slash[1] = '\0';
			else {
				free(dir);
				dir = NULL;
			}
		}
	} else {
		kc_err(errbuf, errlen, "no kubeconfig given: set the provider's "
		       "kubeconfig_path or kubeconfig, or KUBECONFIG.");
		goto out;
	}
	if (!kc->source) {
		kc_err(errbuf, errlen, "out of memory");
		goto out;
	}
	if (len > KC_MAX_INPUT) {
		kc_err(errbuf, errlen, "%s is larger than 4 MiB.", kc->source);
		goto out;
	}
	if (yaml_to_tree(in, len, &t, perr, sizeof(perr)) != 0) {
		kc_err(errbuf, errlen, "%s: %s", kc->source, perr);
		goto out;
	}
	rc = resolve(t.root, dir, src->context, kc, errbuf, errlen);
	ytree_free(&t);
out:
	if (file)
		util_secret_free_n(file, len);
	free(dir);
	if (rc == 0)
		*out = kc;
	else
		kubeconfig_free(kc);
	return rc;
}

void kubeconfig_free(kubeconfig *kc)
{
	size_t i;

	if (!kc)
		return;
	free(kc->source);
	free(kc->context);
	free(kc->cluster_name);
	free(kc->user_name);
	free(kc->namespace);
	free(kc->server);
	free(kc->ca_pem);
	free(kc->tls_server_name);
	free(kc->proxy_url);
	free(kc->client_cert_pem);
	util_secret_free_n(kc->client_key_pem, kc->client_key_pem_len);
	util_secret_free(kc->token);
	free(kc->token_file);
	exec_free(kc->exec);
	for (i = 0; i < kc->nwarnings; i++)
		free(kc->warnings[i]);
	free(kc->warnings);
	free(kc);
}

const char *kubeconfig_default_path(char *buf, size_t len)
{
	const char *env = getenv("KUBECONFIG");
	const char *home;
	int n;

	if (env && *env) {
		size_t l = strcspn(env, ":");

		if (l > 0) {
			if (l >= len)
				return NULL;
			memcpy(buf, env, l);
			buf[l] = '\0';
			return buf;
		}
	}
	home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	n = snprintf(buf, len, "%s/.kube/config", home);
	if (n < 0 || (size_t)n >= len)
		return NULL;
	return buf;
}
