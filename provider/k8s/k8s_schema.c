/* Schema tables of k8s_cluster and k8s_machine_pool. Kept apart from the
 * handlers so the pure object builders (k8s_objects.c) and their unit tests
 * can compile the same tables without a management cluster. */
#include "../duration.h"
#include "k8s_objects.h"

static const char *const instance_types[] = {
	"virtual-machine",
	"container",
	NULL,
};
static const char *const lb_types[] = { "lxc", "ovn", "external", NULL };
static const char *const strategies[] = { "RollingUpdate", "OnDelete", NULL };
static const char *const effects[] = {
	"NoSchedule",
	"PreferNoSchedule",
	"NoExecute",
	NULL,
};
static const tf_int_range replicas_range = { 0, 1000 };
static const tf_int_range cp_range = { 1, 15 };
static const tf_int_range port_range = { 1, 65535 };

static const tf_attr_def timeouts_attrs[] = {
	{ "create", "\"string\"", TF_OPTIONAL, NULL,
	  "How long to wait for the object to become ready after creating it "
	  "(default `30m`).",
	  tfp_validate_duration },
	{ "update", "\"string\"", TF_OPTIONAL, NULL,
	  "How long to wait for a scale, upgrade or rollout (default `30m`).",
	  tfp_validate_duration },
	{ "delete", "\"string\"", TF_OPTIONAL, NULL,
	  "How long to wait for the objects to disappear (default `30m`).",
	  tfp_validate_duration },
};

static const tf_block_def timeouts_block = {
	.attrs = timeouts_attrs,
	.nattrs = TF_COUNT(timeouts_attrs),
	.description = "Durations such as `30m` that bound the waits of "
		       "create, update and delete and the retries of their "
		       "transient failures.",
};

/* Machine settings shared by the control plane and the pools. */
#define MACHINE_ATTRS(what)                                                          \
	{ "instance_type",                                                           \
	  "\"string\"",                                                              \
	  TF_OPTIONAL | TF_COMPUTED,                                                 \
	  "\"virtual-machine\"",                                                     \
	  "LXD instance type of the " what " machines: `virtual-machine` "           \
	  "(default, needs KVM on the LXD hosts) or `container`. Changing it "       \
	  "rolls the machines onto a new template.",                                 \
	  tf_validate_one_of,                                                        \
	  instance_types },                                                          \
		{ "flavor", "\"string\"", TF_OPTIONAL, NULL,                         \
		  "LXD instance size of the " what                                   \
		  " machines, e.g. `c2-m4` (2 CPUs, "                                \
		  "4 GiB). Changing it rolls the machines onto a new template." },   \
		{ "profiles", "[\"list\",\"string\"]", TF_OPTIONAL, NULL,            \
		  "LXD profiles applied to the " what                                \
		  " machines, in order." },                                          \
		{ "image", "\"string\"", TF_OPTIONAL, NULL,                          \
		  "Image of the " what " machines. Empty uses CAPN's "               \
		  "`kubeadm/<version>` image; `VERSION` in the name is replaced by " \
		  "the Kubernetes version; `ubuntu:`, `debian:`, `images:` and "     \
		  "`capi:` prefixes pick a remote." },                               \
	{                                                                            \
		"target", "\"string\"", TF_OPTIONAL, NULL,                           \
			"Placement of the " what                                     \
			" machines on a clustered LXD: a member "                    \
			"name, or `@group` for a cluster group."                     \
	}

static const tf_attr_def cluster_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL,
	  "Name of the Cluster (also names its control plane and LXCCluster); "
	  "a DNS label. Changing it replaces the cluster.",
	  k8s_validate_dns_label },
	{ "namespace", "\"string\"", TF_OPTIONAL | TF_COMPUTED | TF_FORCE_NEW,
	  NULL,
	  "Namespace on the management cluster. Defaults to the provider's "
	  "`namespace`, then `default`. Changing it replaces the cluster.",
	  k8s_validate_dns_label },
	{ "kubernetes_version", "\"string\"", TF_REQUIRED, NULL,
	  "Kubernetes version of the control plane, e.g. `v1.33.1`. An upgrade "
	  "may move one minor version at a time (checked at plan time); the "
	  "control plane is rolled and the apply waits for it.",
	  k8s_validate_version },
	{ "control_plane_replicas", "\"number\"", TF_OPTIONAL | TF_COMPUTED,
	  "1",
	  "Number of control-plane machines; must be odd (stacked etcd). "
	  "Defaults to `1` at creation; left unset afterwards, the server's "
	  "value is kept. Scaled in place.",
	  tf_validate_int_range, &cp_range },
	MACHINE_ATTRS("control-plane"),
	{ "pod_cidrs", "[\"list\",\"string\"]",
	  TF_OPTIONAL | TF_COMPUTED | TF_FORCE_NEW, "[\"10.244.0.0/16\"]",
	  "Pod network CIDR blocks. Defaults to `[\"10.244.0.0/16\"]`. "
	  "Changing them replaces the cluster." },
	{ "service_cidrs", "[\"list\",\"string\"]",
	  TF_OPTIONAL | TF_COMPUTED | TF_FORCE_NEW, "[\"10.96.0.0/12\"]",
	  "Service network CIDR blocks. Defaults to `[\"10.96.0.0/12\"]`. "
	  "Changing them replaces the cluster." },
	{ "load_balancer", "\"string\"",
	  TF_OPTIONAL | TF_COMPUTED | TF_FORCE_NEW, "\"lxc\"",
	  "Control-plane load balancer: `lxc` (an haproxy instance, default), "
	  "`ovn` (an OVN load balancer on `load_balancer_network`) or "
	  "`external` (e.g. kube-vip; set `control_plane_host`). Changing it "
	  "replaces the cluster.",
	  tf_validate_one_of, lb_types },
	{ "load_balancer_network", "\"string\"", TF_OPTIONAL | TF_FORCE_NEW,
	  NULL,
	  "OVN network carrying the load balancer, required with "
	  "`load_balancer = \"ovn\"` (e.g. `lxd_ovn_network.k8s.name`). "
	  "Changing it replaces the cluster." },
	{ "control_plane_host", "\"string\"", TF_OPTIONAL | TF_FORCE_NEW, NULL,
	  "Fixed control-plane endpoint address; required with `external`, "
	  "optional with `ovn`, not allowed with `lxc` (LXD picks it). "
	  "Changing it replaces the cluster." },
	{ "control_plane_port", "\"number\"",
	  TF_OPTIONAL | TF_COMPUTED | TF_FORCE_NEW, "6443",
	  "Port of the control-plane endpoint. Defaults to `6443`. Changing it "
	  "replaces the cluster.",
	  tf_validate_int_range, &port_range },
	{ "lxd_server_url", "\"string\"", TF_OPTIONAL, NULL,
	  "HTTPS URL of the LXD server the machines run on (stored in the "
	  "identity Secret). Required unless `identity_secret` names an "
	  "existing Secret." },
	{ "lxd_server_certificate", "\"string\"", TF_OPTIONAL, NULL,
	  "PEM certificate of the LXD server, to verify it." },
	{ "lxd_client_certificate", "\"string\"", TF_OPTIONAL | TF_SENSITIVE,
	  NULL,
	  "PEM client certificate LXD trusts. Required unless "
	  "`identity_secret` is set." },
	{ "lxd_client_key", "\"string\"",
	  TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY, NULL,
	  "PEM private key of `lxd_client_certificate`. Required unless "
	  "`identity_secret` is set. Write-only (Terraform 1.11+): written to "
	  "the identity Secret, never stored in the plan or the state; it may "
	  "come from an ephemeral value. A changed key, in the configuration "
	  "or in the Secret, shows as a change of `lxd_client_key_sha256` and "
	  "the apply rewrites the Secret." },
	{ "lxd_client_key_sha256", "\"string\"", TF_COMPUTED, NULL,
	  "SHA-256 (hex) of the client key in the identity Secret: how a "
	  "changed `lxd_client_key` is noticed without storing it. Null when "
	  "`identity_secret` names an existing Secret." },
	{ "lxd_project", "\"string\"", TF_OPTIONAL | TF_COMPUTED, "\"default\"",
	  "LXD project of the machines. Defaults to `default`." },
	{ "identity_secret", "\"string\"", TF_OPTIONAL | TF_FORCE_NEW, NULL,
	  "Name of an existing identity Secret (keys `server`, `server-crt`, "
	  "`client-crt`, `client-key`, `project`) in `namespace`. It is never "
	  "modified or deleted; do not set the `lxd_*` credentials with it. "
	  "Changing it replaces the cluster." },
	{ "identity_secret_name", "\"string\"", TF_COMPUTED, NULL,
	  "The identity Secret in use: `identity_secret`, or "
	  "`<name>-lxd-identity` created and deleted by this resource." },
	{ "endpoint", "\"string\"", TF_COMPUTED, NULL,
	  "Control-plane endpoint, `https://host:port`, once known." },
	{ "phase", "\"string\"", TF_COMPUTED, NULL,
	  "Cluster phase reported by Cluster API (informational; readiness is "
	  "judged by conditions)." },
	{ "conditions", "[\"map\",\"string\"]", TF_COMPUTED, NULL,
	  "Cluster conditions by type: `True`, or `False: <message>`." },
	/* No kubeconfig: credentials stay out of the state (schema version 1;
	 * read it with the k8s_cluster_kubeconfig ephemeral resource). */
};

static const tf_nested_block_def cluster_blocks[] = {
	{ "timeouts", TF_NEST_SINGLE, &timeouts_block, 0, 0, 0 },
};

const tf_block_def k8s_cluster_schema_def = {
	.attrs = cluster_attrs,
	.nattrs = TF_COUNT(cluster_attrs),
	.blocks = cluster_blocks,
	.nblocks = TF_COUNT(cluster_blocks),
	.description =
		"A Kubernetes cluster on LXD managed through Cluster "
		"API and CAPN: the Cluster, its KubeadmControlPlane, "
		"LXCCluster, control-plane LXCMachineTemplate and (unless "
		"`identity_secret` is set) the LXD identity Secret. "
		"Import with `namespace/name`. Its admin kubeconfig is "
		"read with the `k8s_cluster_kubeconfig` ephemeral "
		"resource (never stored in the state).",
};

static const tf_attr_def taint_attrs[] = {
	{ "key", "\"string\"", TF_REQUIRED, NULL, "Taint key." },
	{ "value", "\"string\"", TF_OPTIONAL, NULL, "Taint value." },
	{ "effect", "\"string\"", TF_REQUIRED, NULL,
	  "`NoSchedule`, `PreferNoSchedule` or `NoExecute`.",
	  tf_validate_one_of, effects },
};

static const tf_nested_attr_def taints_def = {
	.nesting = TF_NEST_LIST,
	.attrs = taint_attrs,
	.nattrs = TF_COUNT(taint_attrs),
};

static const tf_attr_def pool_attrs[] = {
	{ "name", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL,
	  "Name of the MachineDeployment; a DNS label. Changing it replaces "
	  "the pool.",
	  k8s_validate_dns_label },
	{ "namespace", "\"string\"", TF_OPTIONAL | TF_COMPUTED | TF_FORCE_NEW,
	  NULL,
	  "Namespace of the pool: the cluster's. Defaults to the provider's "
	  "`namespace`, then `default`. Changing it replaces the pool.",
	  k8s_validate_dns_label },
	{ "cluster_name", "\"string\"", TF_REQUIRED | TF_FORCE_NEW, NULL,
	  "Name of the `k8s_cluster` the pool belongs to. Changing it replaces "
	  "the pool.",
	  k8s_validate_dns_label },
	{ "kubernetes_version", "\"string\"", TF_REQUIRED, NULL,
	  "Kubernetes version of the pool's machines. Never newer than the "
	  "control plane (checked at plan time).",
	  k8s_validate_version },
	{ "replicas", "\"number\"", TF_OPTIONAL | TF_COMPUTED, NULL,
	  "Number of machines (1 at creation; left unset afterwards, the "
	  "server's count is kept). Scaled in place. Leave unset with the "
	  "autoscaler bounds: then the autoscaler owns it and it is only "
	  "reported.",
	  tf_validate_int_range, &replicas_range },
	{ "autoscaler_min", "\"number\"", TF_OPTIONAL, NULL,
	  "Cluster autoscaler lower bound (annotation "
	  "`cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size`). Set "
	  "together with `autoscaler_max`.",
	  tf_validate_int_range, &replicas_range },
	{ "autoscaler_max", "\"number\"", TF_OPTIONAL, NULL,
	  "Cluster autoscaler upper bound.", tf_validate_int_range,
	  &replicas_range },
	MACHINE_ATTRS("pool"),
	{ "labels", "[\"map\",\"string\"]", TF_OPTIONAL, NULL,
	  "Node labels registered by the kubelet (`node-labels`). Changing "
	  "them rolls the machines onto a new bootstrap template." },
	{ .name = "taints",
	  .flags = TF_OPTIONAL,
	  .description = "Node taints registered by the kubelet, e.g. "
			 "`[{ key = \"dedicated\", value = \"gpu\", effect = "
			 "\"NoSchedule\" }]`. Changing them rolls the "
			 "machines onto a new bootstrap template. (Replaces "
			 "the `taint` blocks of schema version 0.)",
	  .nested = &taints_def },
	{ "rollout_strategy", "\"string\"", TF_OPTIONAL | TF_COMPUTED,
	  "\"RollingUpdate\"", "`RollingUpdate` (default) or `OnDelete`.",
	  tf_validate_one_of, strategies },
	{ "max_surge", "\"string\"", TF_OPTIONAL | TF_COMPUTED, "\"1\"",
	  "RollingUpdate: machines above `replicas` during a rollout (a number "
	  "or a percentage). Defaults to `1`." },
	{ "max_unavailable", "\"string\"", TF_OPTIONAL | TF_COMPUTED, "\"0\"",
	  "RollingUpdate: machines that may be unavailable during a rollout. "
	  "Defaults to `0`." },
	{ "infrastructure_template", "\"string\"", TF_COMPUTED, NULL,
	  "Name of the LXCMachineTemplate in use (`<name>-<hash>`)." },
	{ "bootstrap_template", "\"string\"", TF_COMPUTED, NULL,
	  "Name of the KubeadmConfigTemplate in use (`<name>-<hash>`)." },
	{ "ready_replicas", "\"number\"", TF_COMPUTED, NULL,
	  "Ready machines." },
	{ "available_replicas", "\"number\"", TF_COMPUTED, NULL,
	  "Available machines." },
	{ "up_to_date_replicas", "\"number\"", TF_COMPUTED, NULL,
	  "Machines on the current templates and version." },
	{ "phase", "\"string\"", TF_COMPUTED, NULL,
	  "MachineDeployment phase (informational)." },
};

static const tf_nested_block_def pool_blocks[] = {
	{ "timeouts", TF_NEST_SINGLE, &timeouts_block, 0, 0, 0 },
};

const tf_block_def k8s_pool_schema_def = {
	.attrs = pool_attrs,
	.nattrs = TF_COUNT(pool_attrs),
	.blocks = pool_blocks,
	.nblocks = TF_COUNT(pool_blocks),
	.description = "A pool of worker machines of a `k8s_cluster`: a "
		       "Cluster API MachineDeployment with its "
		       "KubeadmConfigTemplate and LXCMachineTemplate. Import "
		       "with `namespace/name`.",
};
