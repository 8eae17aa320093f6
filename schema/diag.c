/* Diagnostics accumulator and attribute paths.
 *
 * Allocation failure never loses the fact that something went wrong: a
 * diagnostic whose strings cannot be allocated becomes the static "Out of
 * memory" error below, and if even the item array cannot grow, the last item
 * is overwritten with it (or, on an empty accumulator, the accumulator
 * points at a static one-item array). The static strings are recognised and
 * never freed. */
#include "diag.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_err.h"

static char oom_summary[] = "Out of memory";
static char oom_detail[] =
	"The provider ran out of memory while reporting a diagnostic.";
/* Read-only fallback storage for an accumulator that could not allocate. */
static tf_diag oom_items[1] = {
	{ TF_DIAG_ERROR, oom_summary, oom_detail, { NULL, 0 } },
};

static bool is_static_str(const char *s)
{
	return s == oom_summary || s == oom_detail;
}

/* ---- paths ------------------------------------------------------------ */

static int push_step(tf_path *p, tf_step_kind kind, const char *name,
		     int64_t index)
{
	tf_path_step *steps;
	char *copy = NULL;

	if (name) {
		copy = strdup(name);
		if (!copy)
			return TF_E_NOMEM;
	}
	steps = realloc(p->steps, (p->n + 1) * sizeof(*steps));
	if (!steps) {
		free(copy);
		return TF_E_NOMEM;
	}
	p->steps = steps;
	p->steps[p->n] = (tf_path_step){ kind, copy, index };
	p->n++;
	return TF_OK;
}

int tf_path_push_attr(tf_path *p, const char *name)
{
	return name ? push_step(p, TF_STEP_ATTR, name, 0) : TF_E_INVALID;
}

int tf_path_push_key(tf_path *p, const char *key)
{
	return key ? push_step(p, TF_STEP_KEY_STRING, key, 0) : TF_E_INVALID;
}

int tf_path_push_index(tf_path *p, int64_t index)
{
	return push_step(p, TF_STEP_KEY_INT, NULL, index);
}

int tf_path_attr_keys(tf_path *p, const char *attr, const char *k1,
		      const char *k2)
{
	int rc = attr ? tf_path_push_attr(p, attr) : TF_OK;

	if (rc == TF_OK && attr && k1)
		rc = tf_path_push_key(p, k1);
	if (rc == TF_OK && attr && k1 && k2)
		rc = tf_path_push_key(p, k2);
	return rc;
}

void tf_path_pop(tf_path *p)
{
	if (!p || p->n == 0)
		return;
	p->n--;
	free(p->steps[p->n].name);
	p->steps[p->n].name = NULL;
}

/* dst's previous contents are NOT released (it is treated as
 * uninitialised); on failure dst is the empty path. */
int tf_path_copy(tf_path *dst, const tf_path *src)
{
	tf_path p = { 0 };
	size_t i;

	*dst = p;
	if (!src || src->n == 0)
		return TF_OK;
	p.steps = calloc(src->n, sizeof(*p.steps));
	if (!p.steps)
		return TF_E_NOMEM;
	for (i = 0; i < src->n; i++) {
		p.steps[i] = src->steps[i];
		if (src->steps[i].name) {
			p.steps[i].name = strdup(src->steps[i].name);
			if (!p.steps[i].name) {
				tf_path_done(&p);
				return TF_E_NOMEM;
			}
		}
		p.n = i + 1;
	}
	*dst = p;
	return TF_OK;
}

bool tf_path_equal(const tf_path *a, const tf_path *b)
{
	size_t na = a ? a->n : 0, nb = b ? b->n : 0, i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		const tf_path_step *x = &a->steps[i], *y = &b->steps[i];

		if (x->kind != y->kind)
			return false;
		if (x->kind == TF_STEP_KEY_INT ? x->index != y->index :
						 strcmp(x->name, y->name) != 0)
			return false;
	}
	return true;
}

/* Append to a malloc'd string; frees it and returns NULL on failure. */
__attribute__((format(printf, 2, 3))) static char *appendf(char *s,
							   const char *fmt, ...)
{
	char *add, *r;
	size_t len;
	va_list ap;
	int n;

	if (!s)
		return NULL;
	va_start(ap, fmt);
	n = vasprintf(&add, fmt, ap);
	va_end(ap);
	if (n < 0) {
		free(s);
		return NULL;
	}
	len = strlen(s);
	r = realloc(s, len + (size_t)n + 1);
	if (!r) {
		free(s);
		free(add);
		return NULL;
	}
	memcpy(r + len, add, (size_t)n + 1);
	free(add);
	return r;
}

char *tf_path_to_string(const tf_path *p)
{
	char *s = strdup("");
	size_t i;
	const char *c;

	for (i = 0; s && p && i < p->n; i++) {
		const tf_path_step *st = &p->steps[i];

		switch (st->kind) {
		case TF_STEP_ATTR:
			s = appendf(s, "%s%s", i ? "." : "", st->name);
			break;
		case TF_STEP_KEY_STRING:
			s = appendf(s, "[\"");
			for (c = st->name; s && *c; c++) {
				if (*c == '"' || *c == '\\')
					s = appendf(s, "\\%c", *c);
				else
					s = appendf(s, "%c", *c);
			}
			s = appendf(s, "\"]");
			break;
		case TF_STEP_KEY_INT:
			s = appendf(s, "[%" PRId64 "]", st->index);
			break;
		}
	}
	return s;
}

void tf_path_done(tf_path *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->steps[i].name);
	free(p->steps);
	p->steps = NULL;
	p->n = 0;
}

/* ---- diagnostics ------------------------------------------------------ */

static void diag_clear(tf_diag *g)
{
	if (!is_static_str(g->summary))
		free(g->summary);
	if (!is_static_str(g->detail))
		free(g->detail);
	tf_path_done(&g->path);
}

/* Make room for one more item. If the accumulator still lives in the static
 * fallback, move it to the heap first. */
static bool reserve(tf_diags *d)
{
	size_t cap;
	tf_diag *items;

	if (d->items == oom_items) {
		items = calloc(4, sizeof(*items));
		if (!items)
			return false;
		items[0] = oom_items[0];
		d->items = items;
		d->cap = 4;
		return true;
	}
	if (d->n < d->cap)
		return true;
	cap = d->cap ? d->cap * 2 : 4;
	items = realloc(d->items, cap * sizeof(*items));
	if (!items)
		return false;
	d->items = items;
	d->cap = cap;
	return true;
}

static void add_oom(tf_diags *d)
{
	if (reserve(d)) {
		d->items[d->n++] = oom_items[0];
	} else if (d->n > 0 && d->items != oom_items) {
		diag_clear(&d->items[d->n - 1]);
		d->items[d->n - 1] = oom_items[0];
	} else {
		d->items = oom_items;
		d->n = 1;
		d->cap = 0;
	}
}

__attribute__((format(printf, 5, 0))) static void vadd(
	tf_diags *d, tf_diag_severity sev, const tf_path *path,
	const char *summary, const char *fmt, va_list ap)
{
	tf_diag g = { sev, NULL, NULL, { NULL, 0 } };

	g.summary = strdup(summary ? summary : "");
	if (!fmt)
		g.detail = strdup("");
	else if (vasprintf(&g.detail, fmt, ap) < 0)
		g.detail = NULL;
	if (!g.summary || !g.detail || tf_path_copy(&g.path, path) ||
	    !reserve(d)) {
		diag_clear(&g);
		add_oom(d);
		return;
	}
	d->items[d->n++] = g;
}

void tf_diags_add(tf_diags *d, tf_diag_severity sev, const tf_path *path,
		  const char *summary, const char *detail_fmt, ...)
{
	va_list ap;

	if (!d)
		return;
	va_start(ap, detail_fmt);
	vadd(d, sev, path, summary, detail_fmt, ap);
	va_end(ap);
}

/* An error at attr["k1"]["k2"]. */
static void vadd_at(tf_diags *d, const char *attr, const char *k1,
		    const char *k2, const char *summary, const char *fmt,
		    va_list ap)
{
	tf_path p = { 0 };

	if (!d)
		return;
	if (tf_path_attr_keys(&p, attr, k1, k2))
		add_oom(d);
	else
		vadd(d, TF_DIAG_ERROR, &p, summary, fmt, ap);
	tf_path_done(&p);
}

void tf_diags_attr_error(tf_diags *d, const char *attr, const char *summary,
			 const char *detail_fmt, ...)
{
	va_list ap;

	va_start(ap, detail_fmt);
	vadd_at(d, attr, NULL, NULL, summary, detail_fmt, ap);
	va_end(ap);
}

void tf_diags_key_error(tf_diags *d, const char *attr, const char *k1,
			const char *k2, const char *summary,
			const char *detail_fmt, ...)
{
	va_list ap;

	va_start(ap, detail_fmt);
	vadd_at(d, attr, k1, k2, summary, detail_fmt, ap);
	va_end(ap);
}

bool tf_diags_has_error(const tf_diags *d)
{
	size_t i;

	for (i = 0; d && i < d->n; i++)
		if (d->items[i].severity == TF_DIAG_ERROR)
			return true;
	return false;
}

void tf_diags_move(tf_diags *dst, tf_diags *src)
{
	size_t i;

	if (!dst || !src || src == dst)
		return;
	for (i = 0; i < src->n; i++) {
		if (!reserve(dst)) {
			/* drop the rest, but say so */
			for (; i < src->n; i++)
				if (src->items != oom_items)
					diag_clear(&src->items[i]);
			add_oom(dst);
			break;
		}
		dst->items[dst->n++] = src->items[i];
	}
	if (src->items != oom_items)
		free(src->items);
	src->items = NULL;
	src->n = src->cap = 0;
}

void tf_diags_done(tf_diags *d)
{
	size_t i;

	if (!d)
		return;
	if (d->items != oom_items) {
		for (i = 0; i < d->n; i++)
			diag_clear(&d->items[i]);
		free(d->items);
	}
	d->items = NULL;
	d->n = d->cap = 0;
}
