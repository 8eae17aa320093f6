/* Pure translation between Terraform values and the Cluster API / CAPN
 * objects of k8s_cluster and k8s_machine_pool. No I/O: everything here is
 * unit-tested without a management cluster (tests/unit/test_k8s_objects.c).
 *
 * Kinds written (one API version each, never mixed):
 *   cluster.x-k8s.io/v1beta2              Cluster, MachineDeployment
 *   controlplane.cluster.x-k8s.io/v1beta2 KubeadmControlPlane
 *   bootstrap.cluster.x-k8s.io/v1beta2    KubeadmConfigTemplate
 *   infrastructure.cluster.x-k8s.io/v1alpha2 LXCCluster, LXCMachineTemplate
 *   v1 Secret (the LXD identity)
 *
 * Ownership: builders return NEW json_t references (json_decref them) or
 * NULL on allocation failure; tf_value arguments are borrowed. Strings
 * returned as char * are malloc'd. */
#ifndef K8S_OBJECTS_H
#define K8S_OBJECTS_H

#include <stdbool.h>

#include <jansson.h>

#include "../../schema/diag.h"
#include "../../schema/schema.h"
#include "../../schema/value.h"
#include "k8s_json.h"
#include "k8s_status.h"
#include "k8s_version.h"

#define K8S_CAPI_GROUP "cluster.x-k8s.io"
#define K8S_CAPI_VERSION "cluster.x-k8s.io/v1beta2"
#define K8S_KCP_GROUP "controlplane.cluster.x-k8s.io"
#define K8S_KCP_VERSION "controlplane.cluster.x-k8s.io/v1beta2"
#define K8S_BOOT_GROUP "bootstrap.cluster.x-k8s.io"
#define K8S_BOOT_VERSION "bootstrap.cluster.x-k8s.io/v1beta2"
#define K8S_INFRA_GROUP "infrastructure.cluster.x-k8s.io"
#define K8S_INFRA_VERSION "infrastructure.cluster.x-k8s.io/v1alpha2"

#define K8S_LABEL_CLUSTER "cluster.x-k8s.io/cluster-name"
#define K8S_LABEL_DEPLOYMENT "cluster.x-k8s.io/deployment-name"
#define K8S_ANN_AS_MIN                                                         \
	"cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size"
#define K8S_ANN_AS_MAX                                                         \
	"cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"
#define K8S_LABEL_MANAGED "app.kubernetes.io/managed-by"
#define K8S_MANAGER "terraform-provider-lxdcapi"
#define K8S_PROVIDER_ID_ARG "lxc:///{{ v1.local_hostname }}"

/* Schema tables (k8s_schema.c). */
extern const tf_block_def k8s_cluster_schema_def;
extern const tf_block_def k8s_pool_schema_def;

/* The vocabulary the resources use with these objects is included here:
 * JSON path reads (k8s_json.h), versions (k8s_version.h), conditions and
 * readiness (k8s_status.h). */

/* Validators (tf_validate_fn). DNS-1123 label: 1..63 of [a-z0-9-], starting
 * and ending alphanumeric. (Versions: k8s_validate_version.) */
void k8s_validate_dns_label(const tf_value *v, const void *arg,
			    const tf_path *path, tf_diags *d);

/* ---- names -------------------------------------------------------------- */

/* "<base>-<10 hex digits>" where the digits are a hash (FNV-1a 64) of the
 * canonical JSON of `spec` (sorted keys): equal specs, equal names. */
char *k8s_template_name(const char *base, const json_t *spec);
/* "<cluster>-lxd-identity". */
char *k8s_identity_secret_name(const char *cluster);

/* ---- k8s_cluster -------------------------------------------------------- */

/* `plan` is a k8s_cluster object value (planned or state) with name and
 * namespace known. */

/* LXCMachineTemplate spec.template.spec from instance_type, flavor,
 * profiles, image and target of `plan` (cluster or pool: same names). */
json_t *k8s_machine_spec(const tf_value *plan);
/* A whole LXCMachineTemplate. */
json_t *k8s_lxc_machine_template(const char *ns, const char *name,
				 const char *cluster,
				 const json_t *machine_spec);
/* The identity Secret (stringData) or NULL when plan names an existing one
 * (identity_secret) or lacks lxd_server_url. `plan` must carry
 * `lxd_client_key`, which is write-only (null in plans and states): the
 * handlers pass the planned value with the configuration's key set. */
json_t *k8s_identity_secret(const tf_value *plan, const char *secret_name);
/* The identity Secret's `data` as it should read back (base64 values);
 * the same `plan` as above. */
json_t *k8s_identity_data(const tf_value *plan);
/* lxd_* attributes of `st` from a live identity Secret we created; the
 * client key only as `lxd_client_key_sha256` (lxd_client_key stays null). */
void k8s_identity_read_into(tf_value *st, const json_t *secret);
/* `lxd_client_key_sha256` of a client key: SHA-256 of the PEM text in
 * hex, or null for a NULL or empty key. A new value. */
tf_value *k8s_client_key_digest(const char *key);
json_t *k8s_lxc_cluster(const tf_value *plan, const char *secret_name);
json_t *k8s_kubeadm_control_plane(const tf_value *plan,
				  const char *template_name);
json_t *k8s_cluster_object(const tf_value *plan);

/* Fill the managed attributes of a k8s_cluster state (`st`, refcount 1)
 * from live objects (borrowed, each may be NULL when missing):
 *  - cluster: pod/service CIDRs, endpoint, phase, conditions;
 *  - kcp: control_plane_replicas, kubernetes_version (the prior value
 *    `prior_version` is kept when equal modulo "v");
 *  - lxc: load balancer, network, host/port when user-set;
 *  - tpl: LXCMachineTemplate referenced by the KCP (machine settings; a
 *    missing template empties them so the plan re-creates it).
 * Fields set by controllers or webhooks (controlPlaneEndpoint chosen by the
 * LB, ownerReferences, labels, defaults) are never read into managed
 * attributes. */
void k8s_cluster_read_into(tf_value *st, const json_t *cluster,
			   const json_t *kcp, const json_t *lxc,
			   const json_t *tpl, const char *prior_version);

/* ---- k8s_machine_pool --------------------------------------------------- */

json_t *k8s_kubeadm_config_template(const tf_value *plan, const char *name);
/* spec.template.spec of the KubeadmConfigTemplate (hashed for its name). */
json_t *k8s_bootstrap_spec(const tf_value *plan);
/* The MachineDeployment. `replicas` < 0 leaves spec.replicas out (the
 * autoscaler owns it). */
json_t *k8s_machine_deployment(const tf_value *plan, const char *infra_tpl,
			       const char *boot_tpl, long replicas);
/* Replicas to write for `plan`: planned replicas, or autoscaler_min when
 * the autoscaler bounds are set and nothing is known yet; -1 to leave the
 * field out (autoscaler with a live value). */
long k8s_pool_replicas(const tf_value *plan, bool creating);
/* Read the pool's managed attributes back (see k8s_cluster_read_into). */
void k8s_pool_read_into(tf_value *st, const json_t *md, const json_t *boot,
			const json_t *infra, const char *prior_version);

#endif
