/* API discovery: GET /apis and /apis/{group}/{version}, cached in the
 * client (disc_lock), and the Cluster API / CAPN type set. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "k8s_internal.h"

#define CAPI_GROUP "cluster.x-k8s.io"
#define CP_GROUP "controlplane.cluster.x-k8s.io"
#define BOOT_GROUP "bootstrap.cluster.x-k8s.io"
#define INFRA_GROUP "infrastructure.cluster.x-k8s.io"

/* GET /apis once; returns a borrowed reference valid for the client's life
 * (disc_lock must be held). */
static int apis_locked(k8s_client *c, json_t **apis, tfp_error *err)
{
	json_t *j = NULL;
	int rc;

	if (!c->apis) {
		rc = k8s_request(c, "GET", "/apis", NULL, NULL, &j, err);
		if (rc != TFP_OK)
			return rc;
		if (!json_is_array(json_object_get(j, "groups"))) {
			json_decref(j);
			return tfp_err_set(
				err, TFP_E_PROTOCOL, 0,
				"GET %s/apis did not return an APIGroupList; "
				"is this a Kubernetes API server?",
				c->server);
		}
		c->apis = j;
	}
	*apis = c->apis;
	return TFP_OK;
}

static json_t *find_group(json_t *apis, const char *group)
{
	json_t *g;
	size_t i;

	json_array_foreach (json_object_get(apis, "groups"), i, g) {
		const char *n = json_string_value(json_object_get(g, "name"));

		if (n && strcmp(n, group) == 0)
			return g;
	}
	return NULL;
}

static int versions_locked(k8s_client *c, const char *group, json_t **out,
			   tfp_error *err)
{
	json_t *apis = NULL, *g, *vs, *v, *res;
	const char *pref, *s;
	size_t i;
	int rc;

	rc = apis_locked(c, &apis, err);
	if (rc != TFP_OK)
		return rc;
	g = find_group(apis, group);
	if (!g)
		return tfp_err_set(
			err, TFP_E_NOTSERVED, 0,
			"the management cluster at %s does not serve the "
			"API group %s",
			c->server, group);
	res = json_array();
	if (!res)
		return tfp_err_set(err, TFP_E_NOMEM, 0, "out of memory");
	pref = json_string_value(
		json_object_get(json_object_get(g, "preferredVersion"),
				"version"));
	if (pref)
		json_array_append_new(res, json_string(pref));
	vs = json_object_get(g, "versions");
	json_array_foreach (vs, i, v) {
		s = json_string_value(json_object_get(v, "version"));
		if (s && (!pref || strcmp(s, pref) != 0))
			json_array_append_new(res, json_string(s));
	}
	*out = res;
	return TFP_OK;
}

int k8s_group_versions(k8s_client *c, const char *group, json_t **versions,
		       tfp_error *err)
{
	int rc;

	pthread_mutex_lock(&c->disc_lock);
	rc = versions_locked(c, group, versions, err);
	pthread_mutex_unlock(&c->disc_lock);
	return rc;
}

/* APIResourceList of group/version (borrowed, cached). */
static int resources_locked(k8s_client *c, const char *group,
			    const char *version, json_t **out, tfp_error *err)
{
	char key[512], path[600];
	json_t *j = NULL;
	int rc;

	snprintf(key, sizeof(key), "%s/%s", group, version);
	j = json_object_get(c->gv_lists, key);
	if (!j) {
		if (*group)
			snprintf(path, sizeof(path), "/apis/%s/%s", group,
				 version);
		else
			snprintf(path, sizeof(path), "/api/%s", version);
		rc = k8s_request(c, "GET", path, NULL, NULL, &j, err);
		if (rc == TFP_E_NOTFOUND)
			return tfp_err_set(
				err, TFP_E_NOTSERVED, 0,
				"the management cluster at %s does not serve "
				"%s",
				c->server, key);
		if (rc != TFP_OK)
			return rc;
		if (!json_is_array(json_object_get(j, "resources"))) {
			json_decref(j);
			return tfp_err_set(
				err, TFP_E_PROTOCOL, 0,
				"GET %s did not return an APIResourceList",
				path);
		}
		if (json_object_set_new(c->gv_lists, key, j) != 0)
			return tfp_err_set(err, TFP_E_NOMEM, 0,
					   "out of memory");
	}
	*out = j;
	return TFP_OK;
}

/* Keep a string alive for the client's life; returns it or NULL. */
static const char *keep(k8s_client *c, const char *s)
{
	json_t *j = json_string(s);

	if (!j || json_array_append_new(c->strings, j) != 0)
		return NULL;
	return json_string_value(j);
}

/* Look up kind in one group/version. TFP_E_NOTSERVED when absent. */
static int kind_in_locked(k8s_client *c, const char *group, const char *version,
			  const char *kind, k8s_gvr *out, tfp_error *err)
{
	json_t *list = NULL, *r;
	size_t i;
	int rc;

	rc = resources_locked(c, group, version, &list, err);
	if (rc != TFP_OK)
		return rc;
	json_array_foreach (json_object_get(list, "resources"), i, r) {
		const char *name = json_string_value(
			json_object_get(r, "name"));
		const char *k = json_string_value(json_object_get(r, "kind"));

		if (!name || !k || strchr(name, '/') || strcmp(k, kind) != 0)
			continue;
		out->group = keep(c, group);
		out->version = keep(c, version);
		out->resource = keep(c, name);
		out->kind = keep(c, kind);
		out->namespaced = json_is_true(
			json_object_get(r, "namespaced"));
		if (!out->group || !out->version || !out->resource ||
		    !out->kind)
			return tfp_err_set(err, TFP_E_NOMEM, 0,
					   "out of memory");
		return TFP_OK;
	}
	return tfp_err_set(
		err, TFP_E_NOTSERVED, 0,
		"the management cluster at %s serves %s/%s but not the "
		"kind %s",
		c->server, group, version, kind);
}

static int resolve_locked(k8s_client *c, const char *group, const char *kind,
			  const char *const *prefer, k8s_gvr *out,
			  tfp_error *err)
{
	json_t *vs = NULL, *v;
	size_t i, j;
	int rc;

	rc = versions_locked(c, group, &vs, err);
	if (rc != TFP_OK)
		return rc;
	rc = TFP_E_NOTSERVED;
	/* Preferred versions first (if served), then the server's order. */
	for (j = 0; prefer && prefer[j] && rc == TFP_E_NOTSERVED; j++)
		json_array_foreach (vs, i, v)
			if (strcmp(json_string_value(v), prefer[j]) == 0) {
				rc = kind_in_locked(c, group, prefer[j], kind,
						    out, err);
				break;
			}
	if (!prefer) {
		json_array_foreach (vs, i, v) {
			rc = kind_in_locked(c, group, json_string_value(v),
					    kind, out, err);
			if (rc != TFP_E_NOTSERVED)
				break;
		}
	}
	if (rc == TFP_E_NOTSERVED) {
		char served[256] = "";
		size_t off = 0;

		json_array_foreach (vs, i, v) {
			int n = snprintf(served + off, sizeof(served) - off,
					 "%s%s", off ? ", " : "",
					 json_string_value(v));
			if (n < 0 || (size_t)n >= sizeof(served) - off)
				break;
			off += (size_t)n;
		}
		tfp_err_set(err, TFP_E_NOTSERVED, 0,
			    "the management cluster at %s does not serve kind %s "
			    "in %s%s (served versions: %s)",
			    c->server, kind, group,
			    prefer ? " at a supported version" : "",
			    served[0] ? served : "none");
	}
	json_decref(vs);
	return rc;
}

int k8s_resolve(k8s_client *c, const char *group, const char *kind,
		const char *const *prefer, k8s_gvr *out, tfp_error *err)
{
	k8s_gvr tmp;
	int rc;

	pthread_mutex_lock(&c->disc_lock);
	rc = resolve_locked(c, group, kind, prefer, &tmp, err);
	pthread_mutex_unlock(&c->disc_lock);
	if (rc == TFP_OK)
		*out = tmp;
	return rc;
}

/* The kinds resolved after Cluster (whose version the CAPI groups must
 * share), in order. When a group does not serve one, the error says the
 * group is missing and what to install (missing, hint); without them the
 * resolver's own message stands. The infrastructure group (CAPN) is asked
 * for INFRA_VERSION instead. */
#define INFRA_VERSION "v1alpha2"
#define BOOT_MISSING "the kubeadm bootstrap kinds in "
#define BOOT_HINT                                                              \
	"install the kubeadm bootstrap provider (`clusterctl init` installs "  \
	"it by default)"
#define INFRA_MISSING "the CAPN kinds (LXCCluster, LXCMachineTemplate) in "
#define INFRA_HINT                                                             \
	"install the CAPN infrastructure provider, "                           \
	"lxc/cluster-api-provider-incus v0.7 or later (`clusterctl init "      \
	"--infrastructure incus`)"
#define STEP(grp, knd, field, infra, missing, hint)                            \
	{                                                                      \
		grp, knd, offsetof(k8s_capi, field), infra, missing, hint      \
	}

static const struct capi_step {
	const char *group, *kind;
	size_t off; /* of the k8s_gvr in k8s_capi */
	bool infra;
	const char *missing, *hint;
} capi_steps[] = {
	STEP(CAPI_GROUP, "MachineDeployment", machine_deployment, false, NULL,
	     NULL),
	STEP(CAPI_GROUP, "MachineSet", machine_set, false, NULL, NULL),
	STEP(CAPI_GROUP, "Machine", machine, false, NULL, NULL),
	STEP(CP_GROUP, "KubeadmControlPlane", kubeadm_control_plane, false,
	     "KubeadmControlPlane ",
	     "install the kubeadm control plane provider (`clusterctl init` "
	     "installs it by default) at the same version as Cluster API"),
	STEP(BOOT_GROUP, "KubeadmConfigTemplate", kubeadm_config_template,
	     false, BOOT_MISSING, BOOT_HINT),
	STEP(BOOT_GROUP, "KubeadmConfig", kubeadm_config, false, BOOT_MISSING,
	     BOOT_HINT),
	STEP(INFRA_GROUP, "LXCCluster", lxc_cluster, true, INFRA_MISSING,
	     INFRA_HINT),
	STEP(INFRA_GROUP, "LXCMachineTemplate", lxc_machine_template, true,
	     INFRA_MISSING, INFRA_HINT),
	STEP(INFRA_GROUP, "LXCMachine", lxc_machine, true, INFRA_MISSING,
	     INFRA_HINT),
};

/* Resolve the capi_steps into k (capi_version set). */
static int capi_kinds_locked(k8s_client *c, k8s_capi *k, tfp_error *err)
{
	const char *one[2] = { k->capi_version, NULL };
	const char *infra[2] = { INFRA_VERSION, NULL };

	for (size_t i = 0; i < sizeof(capi_steps) / sizeof(capi_steps[0]);
	     i++) {
		const struct capi_step *s = &capi_steps[i];
		k8s_gvr *out = (k8s_gvr *)((char *)k + s->off);
		int rc = resolve_locked(c, s->group, s->kind,
					s->infra ? infra : one, out, err);

		if (rc == TFP_E_NOTSERVED && s->missing)
			return tfp_err_set(
				err, TFP_E_NOTSERVED, 0,
				"the management cluster at %s does not serve "
				"%s%s/%s: %s",
				c->server, s->missing, s->group,
				s->infra ? INFRA_VERSION : k->capi_version,
				s->hint);
		if (rc != TFP_OK)
			return rc;
	}
	return TFP_OK;
}

static int capi_locked(k8s_client *c, tfp_error *err)
{
	static const char *const v2[] = { "v1beta2", "v1beta1", NULL };
	k8s_capi k;
	json_t *vs = NULL;
	int rc;

	memset(&k, 0, sizeof(k));
	rc = versions_locked(c, CAPI_GROUP, &vs, err);
	json_decref(vs);
	if (rc == TFP_E_NOTSERVED)
		return tfp_err_set(
			err, TFP_E_NOTSERVED, 0,
			"the management cluster at %s (%s, context \"%s\") "
			"does not serve %s: install Cluster API with the "
			"CAPN infrastructure provider (for example "
			"`clusterctl init --infrastructure incus`), or "
			"point the provider at the right cluster",
			c->server, c->source, c->context, CAPI_GROUP);
	if (rc != TFP_OK)
		return rc;
	rc = resolve_locked(c, CAPI_GROUP, "Cluster", v2, &k.cluster, err);
	if (rc != TFP_OK)
		return rc;
	/* One CAPI version for the core, control plane and bootstrap kinds. */
	k.capi_version = k.cluster.version;
	rc = capi_kinds_locked(c, &k, err);
	if (rc != TFP_OK)
		return rc;
	c->capi = k;
	c->have_capi = true;
	return TFP_OK;
}

int k8s_capi_discover(k8s_client *c, const k8s_capi **out, tfp_error *err)
{
	int rc = TFP_OK;

	pthread_mutex_lock(&c->disc_lock);
	if (!c->have_capi)
		rc = capi_locked(c, err);
	pthread_mutex_unlock(&c->disc_lock);
	if (rc == TFP_OK)
		*out = &c->capi;
	return rc;
}
