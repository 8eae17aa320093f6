/* The typed Kubernetes operations (see k8s_client.h) on k8s_request:
 * paths, write queries, LIST pages, the 409 read-modify-write loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../log.h"
#include "../util/cleanup.h"
#include "../util/clock.h"
#include "../util/url.h"
#include "k8s_internal.h"

#define LIST_PAGE 500
#define LIST_MAX_PAGES 100

const k8s_gvr k8s_gvr_secret = { "", "v1", "secrets", "Secret", true };
const k8s_gvr k8s_gvr_namespace = { "", "v1", "namespaces", "Namespace",
				    false };

char *k8s_path(const k8s_gvr *r, const char *ns, const char *name,
	       const char *subresource)
{
	char *ens = NULL, *ename = NULL, *p = NULL;
	const char *g = r->group && *r->group ? r->group : NULL;
	int n;

	if ((ns && r->namespaced && !(ens = util_url_escape(ns))) ||
	    (name && !(ename = util_url_escape(name)))) {
		free(ens);
		return NULL;
	}
	n = asprintf(&p, "%s%s%s/%s%s%s/%s%s%s%s%s", g ? "/apis/" : "/api",
		     g ? g : "", g ? "" : "", r->version,
		     ens ? "/namespaces/" : "", ens ? ens : "", r->resource,
		     ename ? "/" : "", ename ? ename : "",
		     subresource ? "/" : "", subresource ? subresource : "");
	free(ens);
	free(ename);
	return n < 0 ? NULL : p;
}

const char *k8s_api_version(const k8s_gvr *r, char *buf, size_t len)
{
	if (r->group && *r->group)
		snprintf(buf, len, "%s/%s", r->group, r->version);
	else
		snprintf(buf, len, "%s", r->version);
	return buf;
}

/* Path plus the write query (fieldManager, dryRun). */
static char *write_path(k8s_client *c, const k8s_gvr *r, const char *ns,
			const char *name, const char *sub, unsigned flags)
{
	char *p = k8s_path(r, ns, name, sub), *fm, *q = NULL;

	if (!p)
		return NULL;
	fm = util_url_escape(c->field_manager);
	if (!fm || asprintf(&q, "%s?fieldManager=%s%s", p, fm,
			    (flags & K8S_DRY_RUN) ? "&dryRun=All" : "") < 0)
		q = NULL;
	free(fm);
	free(p);
	return q;
}

static const char *ns_or_default(k8s_client *c, const k8s_gvr *r,
				 const char *ns)
{
	if (!r->namespaced)
		return NULL;
	return ns && *ns ? ns : c->namespace;
}

/* ---- typed operations ------------------------------------------------ */

static int simple(k8s_client *c, const char *method, const k8s_gvr *r,
		  const char *ns, const char *name, const char *sub,
		  const char *ctype, const json_t *body, unsigned flags,
		  bool write, json_t **out, tfp_error *err)
{
	char *path;
	int rc;

	if (!name || !*name)
		return tfp_err_set(err, TFP_E_INVALID, 0, "%s needs a name",
				   r->kind);
	path = write ? write_path(c, r, ns_or_default(c, r, ns), name, sub,
				  flags) :
		       k8s_path(r, ns_or_default(c, r, ns), name, sub);
	if (!path)
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	rc = k8s_request(c, method, path, ctype, body, out, err);
	free(path);
	return rc;
}

int k8s_get(k8s_client *c, const k8s_gvr *r, const char *ns, const char *name,
	    json_t **out, tfp_error *err)
{
	return simple(c, "GET", r, ns, name, NULL, NULL, NULL, 0, false, out,
		      err);
}

int k8s_get_status(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, json_t **out, tfp_error *err)
{
	return simple(c, "GET", r, ns, name, "status", NULL, NULL, 0, false,
		      out, err);
}

/* One LIST page: GET base?limit=N[&labelSelector=][&continue=]; *page is
 * the answer, *items its items array (borrowed, NULL when none). */
static int list_page(k8s_client *c, const k8s_gvr *r, const char *base,
		     const char *sel, const char *cont, int limit,
		     json_t **page, json_t **items, tfp_error *err)
{
	_cleanup_(freep) char *path = NULL;
	json_t *arr;
	int rc;

	if (asprintf(&path, "%s?limit=%d%s%s%s%s", base, limit,
		     sel ? "&labelSelector=" : "", sel ? sel : "",
		     cont ? "&continue=" : "", cont ? cont : "") < 0) {
		path = NULL;
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	}
	rc = k8s_request(c, "GET", path, NULL, NULL, page, err);
	if (rc != TFP_OK)
		return rc;
	arr = json_object_get(*page, "items");
	if (arr && !json_is_array(arr) && !json_is_null(arr))
		return tfp_err_set(err, TFP_E_PROTOCOL, 0,
				   "list of %s has no items array",
				   r->resource);
	*items = json_is_array(arr) ? arr : NULL;
	return TFP_OK;
}

int k8s_list_each(k8s_client *c, const k8s_gvr *r, const char *ns,
		  const char *label_selector, int page_size, int max_pages,
		  k8s_item_fn fn, void *arg, tfp_error *err)
{
	_cleanup_(freep) char *base =
		k8s_path(r, r->namespaced && ns && *ns ? ns : NULL, NULL, NULL);
	_cleanup_(freep) char *sel = label_selector ?
					     util_url_escape(label_selector) :
					     NULL;
	_cleanup_(freep) char *cont = NULL;
	const char *next;
	json_t *page = NULL, *items, *it;
	int rc = TFP_OK, stop = 0;
	size_t i;

	if (!base || (label_selector && !sel))
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	for (int pages = 0; !stop; pages++) {
		if (pages >= max_pages)
			return tfp_err_set(
				err, TFP_E_PROTOCOL, 0,
				"listing %s returned more than %d pages",
				r->resource, max_pages);
		items = NULL;
		rc = list_page(c, r, base, sel, cont, page_size, &page, &items,
			       err);
		json_array_foreach (items, i, it)
			if (rc == TFP_OK && (stop = fn(it, arg)) != 0)
				break;
		next = json_string_value(
			json_object_get(json_object_get(page, "metadata"),
					"continue"));
		free(cont);
		cont = rc == TFP_OK && next && *next ? util_url_escape(next) :
						       NULL;
		json_decref(page);
		page = NULL;
		if (rc != TFP_OK || !cont)
			break;
	}
	return rc;
}

struct gather {
	json_t *all;
	bool nomem;
};

static int append_item(const json_t *item, void *arg)
{
	struct gather *g = arg;

	g->nomem = json_array_append(g->all, (json_t *)item) != 0;
	return g->nomem;
}

int k8s_list(k8s_client *c, const k8s_gvr *r, const char *ns,
	     const char *label_selector, json_t **items, tfp_error *err)
{
	struct gather g = { .all = json_array() };
	int rc;

	if (!g.all)
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	rc = k8s_list_each(c, r, ns, label_selector, LIST_PAGE, LIST_MAX_PAGES,
			   append_item, &g, err);
	if (rc == TFP_OK && g.nomem)
		rc = tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	if (rc != TFP_OK) {
		json_decref(g.all);
		return rc;
	}
	*items = g.all;
	return TFP_OK;
}

int k8s_create(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const json_t *body, unsigned flags, json_t **out, tfp_error *err)
{
	json_t *b;
	char av[256], *path;
	int rc;

	if (!json_is_object(body))
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "create needs an object body");
	b = json_deep_copy(body);
	if (!b)
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	if (!json_object_get(b, "apiVersion"))
		json_object_set_new(b, "apiVersion",
				    json_string(k8s_api_version(r, av,
								sizeof(av))));
	if (!json_object_get(b, "kind"))
		json_object_set_new(b, "kind", json_string(r->kind));
	path = write_path(c, r, ns_or_default(c, r, ns), NULL, NULL, flags);
	if (!path) {
		json_decref(b);
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	}
	rc = k8s_request(c, "POST", path, NULL, b, out, err);
	free(path);
	json_decref(b);
	return rc;
}

int k8s_replace(k8s_client *c, const k8s_gvr *r, const char *ns,
		const char *name, const json_t *body, unsigned flags,
		json_t **out, tfp_error *err)
{
	const char *rv = json_string_value(
		json_object_get(json_object_get(body, "metadata"),
				"resourceVersion"));

	if (!rv || !*rv)
		return tfp_err_set(
			err, TFP_E_INVALID, 0,
			"replacing %s \"%s\" needs metadata.resourceVersion",
			r->kind, name ? name : "");
	return simple(c, "PUT", r, ns, name, NULL, NULL, body, flags, true, out,
		      err);
}

int k8s_merge_patch(k8s_client *c, const k8s_gvr *r, const char *ns,
		    const char *name, const json_t *patch, unsigned flags,
		    json_t **out, tfp_error *err)
{
	return simple(c, "PATCH", r, ns, name, NULL,
		      "application/merge-patch+json", patch, flags, true, out,
		      err);
}

int k8s_json_patch(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, const json_t *ops, unsigned flags,
		   json_t **out, tfp_error *err)
{
	if (!json_is_array(ops))
		return tfp_err_set(err, TFP_E_INVALID, 0,
				   "a JSON patch is an array");
	return simple(c, "PATCH", r, ns, name, NULL,
		      "application/json-patch+json", ops, flags, true, out,
		      err);
}

int k8s_patch_status(k8s_client *c, const k8s_gvr *r, const char *ns,
		     const char *name, const json_t *patch, json_t **out,
		     tfp_error *err)
{
	return simple(c, "PATCH", r, ns, name, "status",
		      "application/merge-patch+json", patch, 0, true, out, err);
}

int k8s_delete(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const char *name, const char *propagation, tfp_error *err)
{
	char *path, *q = NULL;
	int rc;

	if (!name || !*name)
		return tfp_err_set(err, TFP_E_INVALID, 0, "%s needs a name",
				   r->kind);
	path = k8s_path(r, ns_or_default(c, r, ns), name, NULL);
	if (!path)
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	if (propagation && *propagation) {
		if (strcmp(propagation, "Background") != 0 &&
		    strcmp(propagation, "Foreground") != 0 &&
		    strcmp(propagation, "Orphan") != 0) {
			free(path);
			return tfp_err_set(err, TFP_E_INVALID, 0,
					   "invalid propagationPolicy \"%.32s\"",
					   propagation);
		}
		if (asprintf(&q, "%s?propagationPolicy=%s", path, propagation) <
		    0) {
			free(path);
			return tfp_err_set(err, TFP_E_NOMEM, 0,
					   "out of memory");
		}
		free(path);
		path = q;
	}
	rc = k8s_request(c, "DELETE", path, NULL, NULL, NULL, err);
	free(path);
	return rc;
}

int k8s_update(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const char *name, k8s_mutate_fn mutate, void *arg, json_t **out,
	       tfp_error *err)
{
	json_t *obj = NULL;
	int attempt, rc = TFP_E_CONFLICT;

	for (attempt = 0; attempt <= K8S_MAX_CONFLICT_RETRIES; attempt++) {
		if (attempt > 0 &&
		    !util_sleep_ms(100L << (attempt - 1), c->stop))
			return tfp_err_set(err, TFP_E_CANCELLED, 0,
					   "request cancelled");
		rc = k8s_get(c, r, ns, name, &obj, err);
		if (rc != TFP_OK)
			return rc;
		rc = mutate(obj, arg, err);
		if (rc == K8S_UNCHANGED) {
			if (out)
				*out = obj;
			else
				json_decref(obj);
			return TFP_OK;
		}
		if (rc != TFP_OK) {
			json_decref(obj);
			return rc;
		}
		rc = k8s_replace(c, r, ns, name, obj, 0, out, err);
		json_decref(obj);
		obj = NULL;
		if (rc != TFP_E_CONFLICT)
			return rc;
		tfp_debug("k8s: conflict updating %s %s, retrying", r->kind,
			  name);
	}
	return rc;
}
