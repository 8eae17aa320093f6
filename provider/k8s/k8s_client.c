/* Kubernetes API client (stub; see k8s_client.h). */
#include <stdio.h>
#include <stdlib.h>

#include "k8s_client.h"

const k8s_gvr k8s_gvr_secret = { "", "v1", "secrets", "Secret", true };
const k8s_gvr k8s_gvr_namespace = { "", "v1", "namespaces", "Namespace", false };

int k8s_client_new(const k8s_client_opts *o, k8s_client **out, k8s_error *err)
{
	(void)o;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

void k8s_client_free(k8s_client *c)
{
	(void)c;
}

const char *k8s_client_namespace(const k8s_client *c)
{
	(void)c;
	return NULL;
}

const char *k8s_client_server(const k8s_client *c)
{
	(void)c;
	return NULL;
}

size_t k8s_client_nwarnings(const k8s_client *c)
{
	(void)c;
	return 0;
}

const char *k8s_client_warning(const k8s_client *c, size_t i)
{
	(void)c;
	(void)i;
	return NULL;
}

char *k8s_path(const k8s_gvr *r, const char *ns, const char *name,
	       const char *subresource)
{
	(void)r;
	(void)ns;
	(void)name;
	(void)subresource;
	return NULL;
}

const char *k8s_api_version(const k8s_gvr *r, char *buf, size_t len)
{
	(void)r;
	(void)buf;
	(void)len;
	return NULL;
}

int k8s_get(k8s_client *c, const k8s_gvr *r, const char *ns, const char *name,
	    json_t **out, k8s_error *err)
{
	(void)c;
	(void)r;
	(void)ns;
	(void)name;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_get_status(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, json_t **out, k8s_error *err)
{
	(void)c;
	(void)r;
	(void)ns;
	(void)name;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_list(k8s_client *c, const k8s_gvr *r, const char *ns,
	     const char *label_selector, json_t **items, k8s_error *err)
{
	(void)c;
	(void)r;
	(void)ns;
	(void)label_selector;
	(void)items;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_create(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const json_t *body, unsigned flags, json_t **out,
	       k8s_error *err)
{
	(void)c;
	(void)r;
	(void)ns;
	(void)body;
	(void)flags;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_replace(k8s_client *c, const k8s_gvr *r, const char *ns,
		const char *name, const json_t *body, unsigned flags,
		json_t **out, k8s_error *err)
{
	(void)c;
	(void)r;
	(void)ns;
	(void)name;
	(void)body;
	(void)flags;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_merge_patch(k8s_client *c, const k8s_gvr *r, const char *ns,
		    const char *name, const json_t *patch, unsigned flags,
		    json_t **out, k8s_error *err)
{
	(void)c;
	(void)r;
	(void)ns;
	(void)name;
	(void)patch;
	(void)flags;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_json_patch(k8s_client *c, const k8s_gvr *r, const char *ns,
		   const char *name, const json_t *ops, unsigned flags,
		   json_t **out, k8s_error *err)
{
	(void)c;
	(void)r;
	(void)ns;
	(void)name;
	(void)ops;
	(void)flags;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_patch_status(k8s_client *c, const k8s_gvr *r, const char *ns,
		     const char *name, const json_t *patch, json_t **out,
		     k8s_error *err)
{
	(void)c;
	(void)r;
	(void)ns;
	(void)name;
	(void)patch;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_delete(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const char *name, const char *propagation, k8s_error *err)
{
	(void)c;
	(void)r;
	(void)ns;
	(void)name;
	(void)propagation;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_update(k8s_client *c, const k8s_gvr *r, const char *ns,
	       const char *name, k8s_mutate_fn mutate, void *arg,
	       json_t **out, k8s_error *err)
{
	(void)c;
	(void)r;
	(void)ns;
	(void)name;
	(void)mutate;
	(void)arg;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_request(k8s_client *c, const char *method, const char *path,
		const char *content_type, const json_t *body, json_t **out,
		k8s_error *err)
{
	(void)c;
	(void)method;
	(void)path;
	(void)content_type;
	(void)body;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_group_versions(k8s_client *c, const char *group, json_t **versions,
		       k8s_error *err)
{
	(void)c;
	(void)group;
	(void)versions;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_resolve(k8s_client *c, const char *group, const char *kind,
		const char *const *prefer, k8s_gvr *out, k8s_error *err)
{
	(void)c;
	(void)group;
	(void)kind;
	(void)prefer;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

int k8s_capi_discover(k8s_client *c, const k8s_capi **out, k8s_error *err)
{
	(void)c;
	(void)out;
	(void)err;
	return K8S_E_CONFIG;
}

const char *k8s_code_str(int code)
{
	(void)code;
	return NULL;
}

const char *k8s_error_text(const k8s_error *err, char *buf, size_t len)
{
	(void)err;
	(void)buf;
	(void)len;
	return NULL;
}

void k8s_diag(tf_diags *d, const tf_path *path, const char *summary,
	      const k8s_error *err)
{
	(void)d;
	(void)path;
	(void)summary;
	(void)err;
}
