/* Builders and readers for the Cluster API objects (see k8s_objects.h). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../schema/codec.h"
#include "../util/b64.h"
#include "../util/digest.h"
#include "../util/secret.h"
#include "k8s_objects.h"

/* ---- small helpers ------------------------------------------------------ */

static json_t *ref(const char *group, const char *kind, const char *name)
{
	return json_pack("{s:s, s:s, s:s}", "apiGroup", group, "kind", kind,
			 "name", name ? name : "");
}

static json_t *metadata(const char *ns, const char *name, const char *cluster)
{
	json_t *m = json_pack("{s:s, s:s, s:{s:s}}", "name", name ? name : "",
			      "namespace", ns ? ns : "default", "labels",
			      K8S_LABEL_MANAGED, K8S_MANAGER);
	if (m && cluster)
		json_object_set_new(json_object_get(m, "labels"),
				    K8S_LABEL_CLUSTER, json_string(cluster));
	return m;
}

static json_t *object(const char *api_version, const char *kind, json_t *meta,
		      json_t *spec)
{
	return json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", api_version,
			 "kind", kind, "metadata", meta, "spec", spec);
}

static const char *attr_str(const tf_value *o, const char *name)
{
	const char *s = tf_value_attr_string(o, name);
	return s && *s ? s : NULL;
}

static long attr_int(const tf_value *o, const char *name, long dflt)
{
	int64_t n;
	return tf_value_get_int(tf_value_attr(o, name), &n) == 0 ? (long)n :
								   dflt;
}

/* ---- validators ---------------------------------------------------------- */

void k8s_validate_dns_label(const tf_value *v, const void *arg,
			    const tf_path *path, tf_diags *d)
{
	const char *s = tf_value_get_string(v);
	size_t n = s ? strlen(s) : 0;
	bool ok = n >= 1 && n <= 63 && isalnum((unsigned char)s[0]) &&
		  isalnum((unsigned char)s[n - 1]);

	(void)arg;
	for (size_t i = 0; ok && i < n; i++)
		ok = (islower((unsigned char)s[i]) ||
		      isdigit((unsigned char)s[i]) || s[i] == '-');
	if (!ok)
		tf_diags_error(
			d, path, "Invalid Kubernetes name",
			"\"%s\" is not a valid name: use 1 to 63 lowercase "
			"letters, digits and '-', starting and ending with a "
			"letter or digit.",
			s ? s : "");
}

/* ---- names ---------------------------------------------------------------- */

char *k8s_template_name(const char *base, const json_t *spec)
{
	char *text = json_dumps(spec, JSON_SORT_KEYS | JSON_COMPACT |
					      JSON_ENCODE_ANY);
	uint64_t h = 0xcbf29ce484222325ULL;
	char *out = NULL;

	if (!text)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	free(text);
	if (asprintf(&out, "%s-%010" PRIx64, base,
		     (uint64_t)(h & 0xffffffffffULL)) < 0)
		return NULL;
	return out;
}

char *k8s_identity_secret_name(const char *cluster)
{
	char *out = NULL;

	if (asprintf(&out, "%s-lxd-identity", cluster) < 0)
		return NULL;
	return out;
}

static void set_str(tf_value *st, const char *name, const char *s);
static void set_opt_str(tf_value *st, const char *name, const char *live);

/* ---- k8s_cluster builders -------------------------------------------------- */

json_t *k8s_machine_spec(const tf_value *plan)
{
	json_t *spec = json_object();
	const char *it = attr_str(plan, "instance_type");
	const char *s;
	const tf_value *profiles = tf_value_attr(plan, "profiles");

	if (!spec)
		return NULL;
	json_object_set_new(spec, "instanceType",
			    json_string(it ? it : "virtual-machine"));
	if ((s = attr_str(plan, "flavor")))
		json_object_set_new(spec, "flavor", json_string(s));
	if (tf_value_is_known(profiles) && tf_value_len(profiles) > 0)
		json_object_set_new(spec, "profiles",
				    tf_json_strings(profiles));
	if ((s = attr_str(plan, "image")))
		json_object_set_new(spec, "image",
				    json_pack("{s:s}", "name", s));
	if ((s = attr_str(plan, "target")))
		json_object_set_new(spec, "target", json_string(s));
	return spec;
}

json_t *k8s_lxc_machine_template(const char *ns, const char *name,
				 const char *cluster,
				 const json_t *machine_spec)
{
	json_t *spec = json_pack("{s:{s:O}}", "template", "spec", machine_spec);

	if (!spec)
		return NULL;
	return object(K8S_INFRA_VERSION, "LXCMachineTemplate",
		      metadata(ns, name, cluster), spec);
}

/* Identity Secret keys and the attributes they come from. */
static const struct {
	const char *attr, *key;
} identity_keys[] = {
	{ "lxd_server_url", "server" },
	{ "lxd_server_certificate", "server-crt" },
	{ "lxd_client_certificate", "client-crt" },
	{ "lxd_client_key", "client-key" },
	{ "lxd_project", "project" },
};
#define NIDENTITY (sizeof(identity_keys) / sizeof(identity_keys[0]))

json_t *k8s_identity_data(const tf_value *plan)
{
	json_t *data = json_object();

	for (size_t i = 0; data && i < NIDENTITY; i++) {
		const char *v = attr_str(plan, identity_keys[i].attr);
		char *b = v ? util_b64_encode(v, strlen(v), false) : NULL;
		if (b)
			json_object_set_new(data, identity_keys[i].key,
					    json_string(b));
		free(b);
	}
	return data;
}

json_t *k8s_identity_secret(const tf_value *plan, const char *secret_name)
{
	const char *ns = attr_str(plan, "namespace");
	json_t *meta, *data;

	if (attr_str(plan, "identity_secret") ||
	    !attr_str(plan, "lxd_server_url"))
		return NULL;
	meta = metadata(ns, secret_name, attr_str(plan, "name"));
	data = k8s_identity_data(plan);
	if (meta)
		json_object_set_new(json_object_get(meta, "labels"),
				    "clusterctl.cluster.x-k8s.io/move",
				    json_string("true"));
	return json_pack("{s:s, s:s, s:o, s:s, s:o}", "apiVersion", "v1",
			 "kind", "Secret", "metadata", meta, "type", "Opaque",
			 "data", data);
}

tf_value *k8s_client_key_digest(const char *key)
{
	char hex[65];

	if (!key || !*key || util_sha256_hex(key, strlen(key), hex) != 0)
		return tf_value_null(tf_type_string());
	return tf_value_string(hex);
}

void k8s_identity_read_into(tf_value *st, const json_t *secret)
{
	const json_t *data = json_object_get(secret, "data");

	for (size_t i = 0; i < NIDENTITY; i++) {
		const char *attr = identity_keys[i].attr;
		const char *b = json_string_value(
			json_object_get(data, identity_keys[i].key));
		size_t n = 0;
		char *v = b ? util_b64_decode(b, strlen(b), &n) : NULL;

		if (strcmp(attr, "lxd_project") == 0)
			set_str(st, "lxd_project", v && *v ? v : "default");
		else if (strcmp(attr, "lxd_client_key") == 0)
			tf_value_object_set(st, "lxd_client_key_sha256",
					    k8s_client_key_digest(v));
		else
			set_opt_str(st, attr, v);
		util_secret_free(v);
	}
}

json_t *k8s_lxc_cluster(const tf_value *plan, const char *secret_name)
{
	const char *lb = attr_str(plan, "load_balancer");
	const char *host = attr_str(plan, "control_plane_host");
	json_t *spec, *lbj;

	if (!lb)
		lb = "lxc";
	if (strcmp(lb, "ovn") == 0) {
		const char *net = attr_str(plan, "load_balancer_network");
		lbj = json_pack("{s:{s:s}}", "ovn", "networkName",
				net ? net : "");
	} else if (strcmp(lb, "external") == 0) {
		lbj = json_pack("{s:{}}", "external");
	} else {
		lbj = json_pack("{s:{}}", "lxc");
	}
	spec = json_pack("{s:{s:s}, s:o}", "secretRef", "name", secret_name,
			 "loadBalancer", lbj);
	if (spec && host && strcmp(lb, "lxc") != 0)
		json_object_set_new(
			spec, "controlPlaneEndpoint",
			json_pack("{s:s, s:I}", "host", host, "port",
				  (json_int_t)attr_int(plan,
						       "control_plane_port",
						       6443)));
	if (!spec)
		return NULL;
	return object(K8S_INFRA_VERSION, "LXCCluster",
		      metadata(attr_str(plan, "namespace"),
			       attr_str(plan, "name"), attr_str(plan, "name")),
		      spec);
}

/* The kubelet arguments every CAPN node needs: the provider ID (CAPN no
 * longer patches Nodes, so without it Machines never find their Node) and
 * swap tolerance. `labels` (map or NULL) adds node-labels. */
static json_t *kubelet_args(const tf_value *labels)
{
	json_t *a = json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "provider-id",
			      "value", K8S_PROVIDER_ID_ARG, "name",
			      "fail-swap-on", "value", "false");
	char *nl = NULL;

	for (size_t i = 0;
	     a && tf_value_is_known(labels) && i < tf_value_len(labels); i++) {
		const char *v = tf_value_get_string(
			tf_value_map_value(labels, i));
		k8s_appendf(&nl, "%s%s=%s", nl ? "," : "",
			    tf_value_map_key(labels, i), v ? v : "");
	}
	if (a && nl)
		json_array_append_new(a, json_pack("{s:s, s:s}", "name",
						   "node-labels", "value", nl));
	free(nl);
	return a;
}

json_t *k8s_kubeadm_control_plane(const tf_value *plan,
				  const char *template_name)
{
	const char *name = attr_str(plan, "name");
	char *version = k8s_version_canonical(
		attr_str(plan, "kubernetes_version"));
	json_t *spec = json_pack(
		"{s:I, s:s, s:{s:{s:o}}, s:{s:{s:{s:o}}, s:{s:{s:o}}}}",
		"replicas",
		(json_int_t)attr_int(plan, "control_plane_replicas", 1),
		"version", version ? version : "", "machineTemplate", "spec",
		"infrastructureRef",
		ref(K8S_INFRA_GROUP, "LXCMachineTemplate", template_name),
		"kubeadmConfigSpec", "initConfiguration", "nodeRegistration",
		"kubeletExtraArgs", kubelet_args(NULL), "joinConfiguration",
		"nodeRegistration", "kubeletExtraArgs", kubelet_args(NULL));

	free(version);
	if (!spec)
		return NULL;
	return object(K8S_KCP_VERSION, "KubeadmControlPlane",
		      metadata(attr_str(plan, "namespace"), name, name), spec);
}

json_t *k8s_cluster_object(const tf_value *plan)
{
	const char *name = attr_str(plan, "name");
	json_t *spec =
		json_pack("{s:{s:{s:o}, s:{s:o}}, s:o, s:o}", "clusterNetwork",
			  "pods", "cidrBlocks",
			  tf_json_strings(tf_value_attr(plan, "pod_cidrs")),
			  "services", "cidrBlocks",
			  tf_json_strings(tf_value_attr(plan, "service_cidrs")),
			  "controlPlaneRef",
			  ref(K8S_KCP_GROUP, "KubeadmControlPlane", name),
			  "infrastructureRef",
			  ref(K8S_INFRA_GROUP, "LXCCluster", name));

	if (!spec)
		return NULL;
	return object(K8S_CAPI_VERSION, "Cluster",
		      metadata(attr_str(plan, "namespace"), name, NULL), spec);
}

/* ---- reading back ----------------------------------------------------------- */

/* A Kubernetes IntOrString as text: the string, the integer printed into
 * buf, or dflt when it is neither (absent). */
static const char *int_or_string_text(const json_t *j, const char *dflt,
				      char *buf, size_t len)
{
	if (json_is_string(j))
		return json_string_value(j);
	if (!json_is_integer(j))
		return dflt;
	snprintf(buf, len, "%lld", (long long)json_integer_value(j));
	return buf;
}

static void set_str(tf_value *st, const char *name, const char *s)
{
	tf_value_object_set(st, name,
			    s ? tf_value_string(s) :
				tf_value_null(tf_type_string()));
}

/* Optional string field: live value, or the prior one when the live field is
 * absent and the prior was null or "" (the two mean the same on the wire). */
static void set_opt_str(tf_value *st, const char *name, const char *live)
{
	const char *prior = tf_value_attr_string(st, name);

	if (live && *live)
		set_str(st, name, live);
	else if (prior && *prior)
		set_str(st, name, NULL);
}

static void set_int(tf_value *st, const char *name, long n)
{
	tf_value_object_set(st, name, tf_value_int(n));
}

/* list(string) from a JSON array; an absent/empty live list keeps an empty
 * or null prior as it was. */
static void set_opt_list(tf_value *st, const char *name, const json_t *arr)
{
	const tf_value *prior = tf_value_attr(st, name);
	tf_type *lt;
	tf_value *l;
	size_t i;
	json_t *e;

	if (json_array_size(arr) == 0) {
		if (tf_value_is_known(prior) && tf_value_len(prior) > 0) {
			lt = tf_type_list(tf_type_string());
			tf_value_object_set(st, name, tf_value_null(lt));
			tf_type_unref(lt);
		}
		return;
	}
	lt = tf_type_list(tf_type_string());
	l = tf_value_list_new(lt);
	tf_type_unref(lt);
	json_array_foreach (arr, i, e)
		if (json_is_string(e))
			tf_value_list_append(l, tf_value_string(
							json_string_value(e)));
	tf_value_object_set(st, name, l);
}

/* Machine settings from an LXCMachineTemplate (NULL: missing, so empty them
 * and the plan re-creates the template). */
static void read_machine(tf_value *st, const json_t *tpl)
{
	const json_t *spec = k8s_jget(tpl, "spec.template.spec");
	const char *it = k8s_jstr(spec, "instanceType");

	if (!tpl) {
		set_str(st, "instance_type", "");
		set_opt_str(st, "flavor", NULL);
		set_opt_list(st, "profiles", NULL);
		set_opt_str(st, "image", NULL);
		set_opt_str(st, "target", NULL);
		return;
	}
	/* CAPN treats an empty instanceType as a container. */
	set_str(st, "instance_type", it && *it ? it : "container");
	set_opt_str(st, "flavor", k8s_jstr(spec, "flavor"));
	set_opt_list(st, "profiles", k8s_jget(spec, "profiles"));
	set_opt_str(st, "image", k8s_jstr(spec, "image.name"));
	set_opt_str(st, "target", k8s_jstr(spec, "target"));
}

/* The live version, keeping the user's spelling when equal modulo "v". */
static void read_version(tf_value *st, const char *live, const char *prior)
{
	if (!live)
		return;
	set_str(st, "kubernetes_version",
		prior && k8s_version_same(prior, live) ? prior : live);
}

void k8s_cluster_read_into(tf_value *st, const json_t *cluster,
			   const json_t *kcp, const json_t *lxc,
			   const json_t *tpl, const char *prior_version)
{
	const char *host = k8s_jstr(cluster, "spec.controlPlaneEndpoint.host");
	long port = k8s_jint(cluster, "spec.controlPlaneEndpoint.port", 0);
	const char *phase = k8s_jstr(cluster, "status.phase");

	if (cluster) {
		set_opt_list(st, "pod_cidrs",
			     k8s_jget(cluster,
				      "spec.clusterNetwork.pods.cidrBlocks"));
		set_opt_list(
			st, "service_cidrs",
			k8s_jget(cluster,
				 "spec.clusterNetwork.services.cidrBlocks"));
		if (host && *host) {
			char *ep = NULL;
			if (asprintf(&ep, "https://%s:%ld", host,
				     port ? port : 6443) >= 0) {
				set_str(st, "endpoint", ep);
				free(ep);
			}
		} else {
			set_str(st, "endpoint", "");
		}
		set_str(st, "phase", phase ? phase : "");
		tf_value_object_set(st, "conditions",
				    k8s_conditions_value(cluster));
	}
	if (kcp) {
		set_int(st, "control_plane_replicas",
			k8s_jint(kcp, "spec.replicas", 1));
		read_version(st, k8s_jstr(kcp, "spec.version"), prior_version);
	} else {
		/* Gone: 0 replicas is a difference the plan shows (and an
		 * invalid value, so modify_plan replaces the cluster). */
		set_int(st, "control_plane_replicas", 0);
	}
	if (lxc) {
		const json_t *lb = k8s_jget(lxc, "spec.loadBalancer");
		const char *ch = k8s_jstr(lxc,
					  "spec.controlPlaneEndpoint.host");

		if (json_object_get(lb, "ovn")) {
			set_str(st, "load_balancer", "ovn");
			set_opt_str(st, "load_balancer_network",
				    k8s_jstr(lb, "ovn.networkName"));
		} else if (json_object_get(lb, "external")) {
			set_str(st, "load_balancer", "external");
		} else if (json_object_get(lb, "lxc")) {
			set_str(st, "load_balancer", "lxc");
		} else {
			set_str(st, "load_balancer", "");
		}
		/* The LB controller writes the endpoint for `lxc`: only a
		 * user-managed host is read back. */
		if (tf_value_attr_string(st, "control_plane_host") &&
		    !json_object_get(lb, "lxc")) {
			set_opt_str(st, "control_plane_host", ch);
			if (ch)
				set_int(st, "control_plane_port",
					k8s_jint(lxc,
						 "spec.controlPlaneEndpoint.port",
						 6443));
		}
		if (!tf_value_attr_string(st, "identity_secret"))
			set_str(st, "identity_secret_name",
				k8s_jstr(lxc, "spec.secretRef.name"));
	} else {
		set_str(st, "load_balancer", "");
	}
	read_machine(st, tpl);
}

/* ---- k8s_machine_pool --------------------------------------------------------- */

json_t *k8s_bootstrap_spec(const tf_value *plan)
{
	const tf_value *taints = tf_value_attr(plan, "taints");
	json_t *nr = json_pack("{s:o}", "kubeletExtraArgs",
			       kubelet_args(tf_value_attr(plan, "labels")));
	json_t *tl = json_array();

	for (size_t i = 0;
	     tl && tf_value_is_known(taints) && i < tf_value_len(taints); i++) {
		const tf_value *t = tf_value_index(taints, i);
		json_t *o = json_pack("{s:s, s:s}", "key",
				      attr_str(t, "key") ? attr_str(t, "key") :
							   "",
				      "effect",
				      attr_str(t, "effect") ?
					      attr_str(t, "effect") :
					      "NoSchedule");
		const char *v = tf_value_attr_string(t, "value");
		if (o && v)
			json_object_set_new(o, "value", json_string(v));
		json_array_append_new(tl, o);
	}
	if (nr && tl && json_array_size(tl) > 0)
		json_object_set(nr, "taints", tl);
	json_decref(tl);
	return json_pack("{s:{s:o}}", "joinConfiguration", "nodeRegistration",
			 nr);
}

json_t *k8s_kubeadm_config_template(const tf_value *plan, const char *name)
{
	json_t *spec = json_pack("{s:{s:o}}", "template", "spec",
				 k8s_bootstrap_spec(plan));

	if (!spec)
		return NULL;
	return object(K8S_BOOT_VERSION, "KubeadmConfigTemplate",
		      metadata(attr_str(plan, "namespace"), name,
			       attr_str(plan, "cluster_name")),
		      spec);
}

/* int-or-string: digits become an integer. */
static json_t *int_or_string(const char *s)
{
	const char *p = s;

	if (!s || !*s)
		return json_integer(0);
	while (isdigit((unsigned char)*p))
		p++;
	if (!*p && p - s < 9)
		return json_integer(strtol(s, NULL, 10));
	return json_string(s);
}

long k8s_pool_replicas(const tf_value *plan, bool creating)
{
	const tf_value *r = tf_value_attr(plan, "replicas");
	bool autoscaled =
		tf_value_is_known(tf_value_attr(plan, "autoscaler_min")) ||
		tf_value_is_known(tf_value_attr(plan, "autoscaler_max"));
	int64_t n;

	if (autoscaled) {
		if (!creating)
			return -1;
		return attr_int(plan, "autoscaler_min", 1);
	}
	if (tf_value_get_int(r, &n) == 0)
		return (long)n;
	return 1;
}

json_t *k8s_machine_deployment(const tf_value *plan, const char *infra_tpl,
			       const char *boot_tpl, long replicas)
{
	const char *name = attr_str(plan, "name");
	const char *cluster = attr_str(plan, "cluster_name");
	const char *strategy = attr_str(plan, "rollout_strategy");
	char *version = k8s_version_canonical(
		attr_str(plan, "kubernetes_version"));
	json_t *meta = metadata(attr_str(plan, "namespace"), name, cluster);
	json_t *sel = json_pack("{s:s, s:s}", K8S_LABEL_CLUSTER,
				cluster ? cluster : "", K8S_LABEL_DEPLOYMENT,
				name ? name : "");
	json_t *rollout, *spec;

	if (!strategy)
		strategy = "RollingUpdate";
	if (strcmp(strategy, "OnDelete") == 0)
		rollout = json_pack("{s:{s:s}}", "strategy", "type", strategy);
	else
		rollout = json_pack(
			"{s:{s:s, s:{s:o, s:o}}}", "strategy", "type", strategy,
			"rollingUpdate", "maxSurge",
			int_or_string(attr_str(plan, "max_surge") ?
					      attr_str(plan, "max_surge") :
					      "1"),
			"maxUnavailable",
			int_or_string(attr_str(plan, "max_unavailable")));
	spec = json_pack(
		"{s:s, s:{s:O}, s:{s:{s:O}, s:{s:s, s:s, s:{s:o}, s:o}}, s:o}",
		"clusterName", cluster ? cluster : "", "selector",
		"matchLabels", sel, "template", "metadata", "labels", sel,
		"spec", "clusterName", cluster ? cluster : "", "version",
		version ? version : "", "bootstrap", "configRef",
		ref(K8S_BOOT_GROUP, "KubeadmConfigTemplate", boot_tpl),
		"infrastructureRef",
		ref(K8S_INFRA_GROUP, "LXCMachineTemplate", infra_tpl),
		"rollout", rollout);
	free(version);
	json_decref(sel);
	if (!spec || !meta) {
		json_decref(spec);
		json_decref(meta);
		return NULL;
	}
	if (replicas >= 0)
		json_object_set_new(spec, "replicas", json_integer(replicas));
	if (tf_value_is_known(tf_value_attr(plan, "autoscaler_min")) ||
	    tf_value_is_known(tf_value_attr(plan, "autoscaler_max"))) {
		char mn[24], mx[24];
		snprintf(mn, sizeof(mn), "%ld",
			 attr_int(plan, "autoscaler_min", 0));
		snprintf(mx, sizeof(mx), "%ld",
			 attr_int(plan, "autoscaler_max", 0));
		json_object_set_new(meta, "annotations",
				    json_pack("{s:s, s:s}", K8S_ANN_AS_MIN, mn,
					      K8S_ANN_AS_MAX, mx));
	}
	return object(K8S_CAPI_VERSION, "MachineDeployment", meta, spec);
}

/* node-labels "a=b,c=d" back into a map. */
static void read_labels(tf_value *st, const json_t *args)
{
	const tf_value *prior = tf_value_attr(st, "labels");
	const char *nl = NULL;
	tf_type *mt;
	tf_value *m;
	size_t i;
	json_t *a;

	json_array_foreach (args, i, a)
		if (strcmp(k8s_jstr(a, "name") ? k8s_jstr(a, "name") : "",
			   "node-labels") == 0)
			nl = k8s_jstr(a, "value");
	mt = tf_type_map(tf_type_string());
	if (!nl || !*nl) {
		if (tf_value_is_known(prior) && tf_value_len(prior) > 0)
			tf_value_object_set(st, "labels", tf_value_null(mt));
		tf_type_unref(mt);
		return;
	}
	m = tf_value_map_new(mt);
	tf_type_unref(mt);
	for (const char *p = nl; m && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char *kv = strndup(p, n), *eq = kv ? strchr(kv, '=') : NULL;

		if (eq) {
			*eq = '\0';
			tf_value_map_set(m, kv, tf_value_string(eq + 1));
		}
		free(kv);
		p += n + (comma ? 1 : 0);
	}
	tf_value_object_set(st, "labels", m);
}

/* `taints` from the live node registration. No live taint keeps the
 * state's "none" as it is: null (unset) or [] (set empty). */
static void read_taints(tf_value *st, const json_t *taints)
{
	const tf_value *prior = tf_value_attr(st, "taints");
	tf_type *lt = tf_value_type(prior);
	tf_type *ot = lt ? tf_type_elem(lt) : NULL;
	tf_value *l;
	size_t i;
	json_t *t;

	if (!ot)
		return;
	if (json_array_size(taints) == 0 &&
	    (tf_value_is_null(prior) ||
	     (tf_value_is_known(prior) && tf_value_len(prior) == 0)))
		return;
	l = tf_value_list_new(lt);
	json_array_foreach (taints, i, t) {
		tf_value *o = tf_value_object_new(ot);
		const char *v = k8s_jstr(t, "value");
		if (!o)
			continue;
		set_str(o, "key", k8s_jstr(t, "key"));
		set_str(o, "effect", k8s_jstr(t, "effect"));
		/* kubeadm omits an empty value; keep the user's "" */
		if (v && *v)
			set_str(o, "value", v);
		else if (tf_value_is_known(prior) && i < tf_value_len(prior) &&
			 tf_value_attr_string(tf_value_index(prior, i),
					      "value"))
			set_str(o, "value", "");
		tf_value_list_append(l, o);
	}
	tf_value_object_set(st, "taints", l);
}

void k8s_pool_read_into(tf_value *st, const json_t *md, const json_t *boot,
			const json_t *infra, const char *prior_version)
{
	const json_t *ann = k8s_jget(md, "metadata.annotations");
	const char *amin = json_string_value(
		json_object_get(ann, K8S_ANN_AS_MIN));
	const char *amax = json_string_value(
		json_object_get(ann, K8S_ANN_AS_MAX));
	const char *strategy = k8s_jstr(md, "spec.rollout.strategy.type");
	const json_t *ru = k8s_jget(md, "spec.rollout.strategy.rollingUpdate");
	const char *phase = k8s_jstr(md, "status.phase");

	set_str(st, "cluster_name", k8s_jstr(md, "spec.clusterName"));
	read_version(st, k8s_jstr(md, "spec.template.spec.version"),
		     prior_version);
	set_int(st, "replicas", k8s_jint(md, "spec.replicas", 1));
	if (amin || tf_value_is_known(tf_value_attr(st, "autoscaler_min")))
		tf_value_object_set(st, "autoscaler_min",
				    amin ? tf_value_int(
						   strtol(amin, NULL, 10)) :
					   tf_value_null(tf_type_number()));
	if (amax || tf_value_is_known(tf_value_attr(st, "autoscaler_max")))
		tf_value_object_set(st, "autoscaler_max",
				    amax ? tf_value_int(
						   strtol(amax, NULL, 10)) :
					   tf_value_null(tf_type_number()));
	set_str(st, "rollout_strategy", strategy ? strategy : "RollingUpdate");
	if (!strategy || strcmp(strategy, "RollingUpdate") == 0) {
		char buf[32];

		/* Webhook defaults: maxSurge 1, maxUnavailable 0. */
		set_str(st, "max_surge",
			int_or_string_text(json_object_get(ru, "maxSurge"), "1",
					   buf, sizeof(buf)));
		set_str(st, "max_unavailable",
			int_or_string_text(json_object_get(ru,
							   "maxUnavailable"),
					   "0", buf, sizeof(buf)));
	}
	set_str(st, "infrastructure_template",
		k8s_jstr(md, "spec.template.spec.infrastructureRef.name"));
	set_str(st, "bootstrap_template",
		k8s_jstr(md, "spec.template.spec.bootstrap.configRef.name"));
	set_int(st, "ready_replicas", k8s_jint(md, "status.readyReplicas", 0));
	set_int(st, "available_replicas",
		k8s_jint(md, "status.availableReplicas", 0));
	set_int(st, "up_to_date_replicas",
		k8s_jint(md, "status.upToDateReplicas", 0));
	set_str(st, "phase", phase ? phase : "");
	if (boot) {
		const json_t *nr =
			k8s_jget(boot, "spec.template.spec.joinConfiguration."
				       "nodeRegistration");
		read_labels(st, json_object_get(nr, "kubeletExtraArgs"));
		read_taints(st, json_object_get(nr, "taints"));
	} else {
		/* Missing bootstrap template: show a change so update
		 * re-creates it. */
		set_str(st, "bootstrap_template", "");
	}
	read_machine(st, infra);
}
