/* The kubeconfig YAML reader (see kc_yaml.h). */
#include "kc_yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

void kc_yaml_free(ytree *t)
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

	if (t->nall >= KC_YAML_MAX_NODES)
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

	if (parent->n >= KC_YAML_MAX_NODES)
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
	if (t->nanchors >= KC_YAML_MAX_ANCHORS)
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

/* The tree under construction: the open sequences and mappings. */
typedef struct builder {
	ytree *t;
	yn *stack[KC_YAML_MAX_DEPTH + 1];
	size_t depth;
} builder;

static int too_big(tfp_error *err)
{
	return tfp_err_set(err, TFP_E_LIMIT, 0,
			   "YAML too large or out of memory (limit %d nodes)",
			   KC_YAML_MAX_NODES);
}

/* A new scalar node with the event's value and anchor. */
static int scalar_node(builder *b, const yaml_event_t *ev, yn **node,
		       tfp_error *err)
{
	yn *n = yn_new(b->t, YN_SCALAR);

	if (!n)
		return too_big(err);
	n->str = malloc(ev->data.scalar.length + 1);
	if (!n->str)
		return too_big(err);
	memcpy(n->str, ev->data.scalar.value, ev->data.scalar.length);
	n->str[ev->data.scalar.length] = '\0';
	n->len = ev->data.scalar.length;
	if (add_anchor(b->t, (const char *)ev->data.scalar.anchor, n))
		return too_big(err);
	*node = n;
	return TFP_OK;
}

/* A new sequence or mapping node (opened), with its anchor. */
static int collection_node(builder *b, const yaml_event_t *ev, yn **node,
			   tfp_error *err)
{
	bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
	yn *n;

	if (b->depth >= KC_YAML_MAX_DEPTH)
		return tfp_err_set(err, TFP_E_LIMIT, 0,
				   "YAML nested deeper than %d levels",
				   KC_YAML_MAX_DEPTH);
	n = yn_new(b->t, seq ? YN_SEQ : YN_MAP);
	if (!n ||
	    add_anchor(b->t,
		       (const char *)(seq ? ev->data.sequence_start.anchor :
					    ev->data.mapping_start.anchor),
		       n))
		return too_big(err);
	*node = n;
	return TFP_OK;
}

/* Apply one event: 1 at the end of the document, TFP_OK to go on, or an
 * error. */
static int on_event(builder *b, const yaml_event_t *ev, tfp_error *err)
{
	yn *node = NULL;
	int rc = TFP_OK;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT: return 1;
	case YAML_SCALAR_EVENT: rc = scalar_node(b, ev, &node, err); break;
	case YAML_ALIAS_EVENT:
		node = find_anchor(b->t, (const char *)ev->data.alias.anchor);
		if (!node)
			return tfp_err_set(
				err, TFP_E_CONFIG, 0,
				"invalid YAML at line %zu: unknown alias",
				ev->start_mark.line + 1);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		rc = collection_node(b, ev, &node, err);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return TFP_OK;
	default: return TFP_OK;
	}
	if (rc || !node)
		return rc;
	if (b->depth == 0) {
		if (!b->t->root)
			b->t->root = node;
	} else if (yn_push(b->stack[b->depth - 1], node)) {
		return too_big(err);
	}
	if (ev->type == YAML_SEQUENCE_START_EVENT ||
	    ev->type == YAML_MAPPING_START_EVENT)
		b->stack[b->depth++] = node;
	return TFP_OK;
}

int kc_yaml_parse(const char *in, size_t len, ytree *t, tfp_error *err)
{
	builder b = { .t = t };
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = TFP_OK;

	memset(t, 0, sizeof(*t));
	if (!yaml_parser_initialize(&p))
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)in, len);
	while (rc == TFP_OK) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = tfp_err_set(
				err, TFP_E_CONFIG, 0,
				"invalid YAML at line %zu column %zu: %s",
				p.problem_mark.line + 1,
				p.problem_mark.column + 1,
				p.problem ? p.problem : "syntax error");
			break;
		}
		rc = on_event(&b, &ev, err);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc < 0) {
		kc_yaml_free(t);
		return rc;
	}
	return TFP_OK;
}

const yn *kc_yget(const yn *m, const char *key)
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

const char *kc_ystr(const yn *m, const char *key)
{
	const yn *v = kc_yget(m, key);

	if (!v || v->kind != YN_SCALAR || v->len == 0 ||
	    strcmp(v->str, "null") == 0 || strcmp(v->str, "~") == 0)
		return NULL;
	return v->str;
}

int kc_ybool(const yn *m, const char *key, bool *out)
{
	const char *s = kc_ystr(m, key);
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
