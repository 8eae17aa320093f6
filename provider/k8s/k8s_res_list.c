/* The list hook of the k8s resources (Terraform 1.14+ `list` blocks):
 * see k8s_res_list in k8s_res.h. Objects come from paged LISTs
 * (k8s_list_each), so a namespace of thousands of objects is never held
 * at once: one page of at most K8S_LIST_PAGE objects, fewer when the
 * request's limit is smaller. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_objects.h"
#include "k8s_res.h"

#define K8S_LIST_PAGE 500
/* A collection of more pages than this is not a real one (a server that
 * keeps answering `continue`): 10,000 pages of 500 objects. */
#define K8S_LIST_MAX_PAGES 10000

static const tf_attr_def list_attrs[] = {
	{ "namespace", "\"string\"", TF_OPTIONAL, NULL,
	  "Namespace on the management cluster to list. Defaults to the "
	  "provider's `namespace`, then `default`.",
	  k8s_validate_dns_label },
	{ "label_selector", "\"string\"", TF_OPTIONAL, NULL,
	  "Kubernetes label selector the objects must match, e.g. "
	  "`env=prod,tier!=test` (the API server's syntax)." },
};

const tf_block_def k8s_res_list_schema = {
	.attrs = list_attrs,
	.nattrs = TF_COUNT(list_attrs),
	.description = "Lists the objects of one namespace of the "
		       "management cluster, optionally filtered by labels.",
};

struct k8s_lister {
	tfp_ctx *ctx;
	tfp_lister *l;
	void (*import)(tfp_ctx *, const char *, tf_value **, tf_diags *);
	void (*read)(tfp_ctx *, const tf_value *, tf_value **, tf_diags *);
	tf_diags *d;
};

static int list_one(const json_t *obj, void *arg)
{
	struct k8s_lister *a = arg;
	const char *ns = k8s_jstr(obj, "metadata.namespace");
	const char *name = k8s_jstr(obj, "metadata.name");
	char id[320];
	tf_value *stub;
	int rc;

	if (!ns || !name || !*ns || !*name ||
	    (size_t)snprintf(id, sizeof(id), "%s/%s", ns, name) >= sizeof(id))
		return 0; /* not an object this provider can import */
	stub = tf_schema_empty_object(a->ctx->schema);
	if (!stub) {
		tf_diags_error(a->d, NULL, "Out of memory", "Listing %s",
			       a->ctx->type_name);
		return 1;
	}
	tf_value_object_set(stub, "namespace", tf_value_string(ns));
	tf_value_object_set(stub, "name", tf_value_string(name));
	rc = tfp_list_object(a->l, a->ctx, a->import, a->read, id, id, stub,
			     a->d);
	tf_value_unref(stub);
	return rc;
}

void k8s_res_list(
	tfp_ctx *ctx, const tf_value *config, tfp_lister *l, const k8s_gvr *r,
	void (*import)(tfp_ctx *, const char *, tf_value **, tf_diags *),
	void (*read)(tfp_ctx *, const tf_value *, tf_value **, tf_diags *),
	tf_diags *d)
{
	struct k8s_lister a = {
		.ctx = ctx, .l = l, .import = import, .read = read, .d = d
	};
	const char *ns = tf_value_attr_string(config, "namespace");
	const char *sel = tf_value_attr_string(config, "label_selector");
	int page = l->limit > 0 && l->limit < K8S_LIST_PAGE ? (int)l->limit :
							      K8S_LIST_PAGE;
	tfp_error err = { 0 };
	char what[200];

	if (!ns || !*ns)
		ns = k8s_res_default_ns(ctx);
	if (sel && !*sel)
		sel = NULL;
	if (k8s_list_each(ctx->client, r, ns, sel, page, K8S_LIST_MAX_PAGES,
			  list_one, &a, &err) == TFP_OK)
		return;
	snprintf(what, sizeof(what), "Cannot list %s objects in namespace %s",
		 r->kind, ns);
	k8s_diag(d, NULL, what, &err);
}
