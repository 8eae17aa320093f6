#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# k8s_cluster + k8s_machine_pool end to end: the real terraform CLI against
# the Kubernetes API emulator (tests/k8s-emu, a simulated management cluster
# with Cluster API / CAPN controllers). Every step is followed by
# `terraform plan -detailed-exitcode` with the expected code.
#
# create a cluster and two pools (from a saved plan; the write-only LXD
# client key absent from the plan and the state, a new key or one edited
# in the Secret applied through its digest) -> scale -> upgrade (one minor step; bigger
# steps and pools newer than the control plane rejected at plan) -> template
# rotation -> drift (managed fields edited / objects deleted: exit 2;
# controller-set fields: exit 0) -> import -> a cluster that never becomes
# ready (fault injection) fails with its conditions -> destroy.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin k8s_cluster

EMU=$E2E_WORK/emu
EMU_SH=$REPO_ROOT/tests/k8s-emu/emu.sh
[[ -x $EMU_SH || -f $EMU_SH ]] || {
	echo "FAIL: k8s_cluster: $EMU_SH is missing (the emulator is required)"
	exit 1
}
command -v python3 >/dev/null || {
	echo "FAIL: k8s_cluster: python3 is required by the emulator"
	exit 1
}

# Stop the emulator whatever happens: by its pid file, and by the pid read
# at start in case the work dir is gone by then.
EMU_PID=""
emu_stop() {
	bash "$EMU_SH" stop "$EMU" >/dev/null 2>&1 || true
	if [[ -n $EMU_PID ]] && kill -0 "$EMU_PID" 2>/dev/null; then
		kill -TERM "$EMU_PID" 2>/dev/null || true
	fi
}
on_exit() {
	local rc=$?
	emu_stop
	e2e_on_exit "$rc"
}
trap on_exit EXIT

require "emulator starts" bash "$EMU_SH" start "$EMU" --controller-delay 0.05
EMU_PID=$(cat "$EMU/pid")
URL=$(cat "$EMU/ready")
TOKEN=$(cat "$EMU/token")

CAPI=/apis/cluster.x-k8s.io/v1beta2/namespaces/default
KCPS=/apis/controlplane.cluster.x-k8s.io/v1beta2/namespaces/default/kubeadmcontrolplanes
BOOT=/apis/bootstrap.cluster.x-k8s.io/v1beta2/namespaces/default/kubeadmconfigtemplates
INFRA=/apis/infrastructure.cluster.x-k8s.io/v1alpha2/namespaces/default
SECRETS=/api/v1/namespaces/default/secrets

# k METHOD PATH [BODY] [CONTENT-TYPE] — a request to the emulator; prints
# the body; fails on HTTP >= 400 (except a GET 404, which prints "null").
k() {
	local method=$1 path=$2 body=${3:-} ct=${4:-application/merge-patch+json} out code
	local args=(--silent --show-error --max-time 30 --cacert "$EMU/ca.crt"
		-H "Authorization: Bearer $TOKEN" -X "$method" -w '\n%{http_code}')
	[[ -n $body ]] && args+=(-H "Content-Type: $ct" --data-binary "$body")
	out=$(curl "${args[@]}" "$URL$path") || return 1
	code=${out##*$'\n'}
	out=${out%$'\n'*}
	if [[ $method == GET && $code == 404 ]]; then
		echo null
		return 0
	fi
	if ((code >= 400)); then
		echo "  $method $path -> $code: $out" >&2
		return 1
	fi
	printf '%s\n' "$out"
}

# k_eq PATH JQ EXPECTED — GET PATH and compare jq -r output.
k_eq() {
	local got
	got=$(k GET "$1" | jq -r "$2") || return 1
	[[ $got == "$3" ]] || {
		echo "  $1 | $2 = '$got', expected '$3'"
		return 1
	}
}

k_do() { k "$@" >/dev/null; }

k_absent() { [[ $(k GET "$1") == null ]] || { echo "  $1 still exists"; return 1; }; }

# Configuration: one cluster (OVN load balancer on a named network, as an
# lxd_ovn_network would give) and two pools.
CP_REPLICAS=1
CP_VERSION=v1.33.1
WEB_REPLICAS=2
WEB_VERSION=v1.33.1
WEB_FLAVOR=c2-m4
POD_CIDR=10.244.0.0/16
BATCH_STRATEGY=RollingUpdate
BATCH_FLAVOR=c2-m4
EXTRA=""

write_main() {
	write_tf <<EOF
terraform {
  required_providers {
    k8s = { source = "lxdcapi/k8s" }
  }
}

provider "k8s" {
  kubeconfig_path = "$EMU/kubeconfig"
}

variable "ovn_network" {
  default = "k8s-prod"
}

resource "k8s_cluster" "prod" {
  name                   = "prod"
  kubernetes_version     = "$CP_VERSION"
  control_plane_replicas = $CP_REPLICAS
  flavor                 = "c2-m4"
  profiles               = ["default"]
  pod_cidrs              = ["$POD_CIDR"]
  load_balancer          = "ovn"
  load_balancer_network  = var.ovn_network
  lxd_server_url         = "https://192.0.2.10:8443"
  lxd_client_certificate = "test-certificate"
  lxd_client_key         = var.lxd_client_key
}

variable "lxd_client_key" {
  type      = string
  ephemeral = true
  sensitive = true
}

resource "k8s_machine_pool" "web" {
  name               = "web"
  namespace          = k8s_cluster.prod.namespace
  cluster_name       = k8s_cluster.prod.name
  kubernetes_version = "$WEB_VERSION"
  replicas           = $WEB_REPLICAS
  flavor             = "$WEB_FLAVOR"
  labels             = { tier = "web" }
  taints             = [{ key = "dedicated", value = "web", effect = "NoSchedule" }]
}

resource "k8s_machine_pool" "batch" {
  name               = "batch"
  namespace          = k8s_cluster.prod.namespace
  cluster_name       = k8s_cluster.prod.name
  kubernetes_version = "v1.33.1"
  autoscaler_min     = 1
  autoscaler_max     = 3
  rollout_strategy   = "$BATCH_STRATEGY"
  flavor             = "$BATCH_FLAVOR"
  timeouts {
    update = "2m"
  }
}

output "endpoint" {
  value = k8s_cluster.prod.endpoint
}
$EXTRA
EOF
}

# The LXD client key is write-only (Terraform 1.11+), given through an
# ephemeral variable so that neither the configuration text nor a saved
# plan's variables hold it: what is checked is what Terraform and the
# provider store.
KEY1=e2e-lxd-client-key-one-7f3a
KEY2=e2e-lxd-client-key-two-91c4
export TF_VAR_lxd_client_key=$KEY1
sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
# no_key_in FILE... — neither key anywhere in the files.
no_key_in() {
	local f
	for f in "$@"; do
		if grep -qF -e "$KEY1" -e "$KEY2" "$f"; then
			echo "  $f holds the LXD client key"
			return 1
		fi
	done
}
key_state() {
	jq -e --arg d "$(sha "$1")" '.resources[] | select(.type == "k8s_cluster" and .name == "prod")
		| .instances[0] | .schema_version == 2 and .attributes.lxd_client_key == null
		and .attributes.lxd_client_key_sha256 == $d' "$TF_DIR/terraform.tfstate"
}
# The saved plan as `terraform show -json` renders it, and every file of it.
saved_plan_clean() {
	(cd "$TF_DIR" && timeout 120 "$TERRAFORM" show -json "$1") >"$TF_DIR/$1.json" || return 1
	python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
sys.stdout.buffer.write(b"".join(z.read(n) for n in z.namelist()))' \
		"$TF_DIR/$1" >"$TF_DIR/$1.unzipped" || return 1
	no_key_in "$TF_DIR/$1.json" "$TF_DIR/$1.unzipped"
}

tf_workdir main
check "examples (seed, module, k8s-emulator) are well-formed HCL" \
	"$TERRAFORM" fmt -check -recursive "$REPO_ROOT/examples"
write_main
require "init" tf init -no-color

# ---- create ---------------------------------------------------------------
check "saved plan of the create" tf_show_on_fail plan -input=false -no-color -out=create.tfplan
check "the saved plan holds no client key (show -json, plan file)" saved_plan_clean create.tfplan
check "the saved plan has the key's digest, not the key" jq -e --arg d "$(sha "$KEY1")" \
	'.resource_changes[] | select(.address == "k8s_cluster.prod") | .change.after
	 | .lxd_client_key == null and .lxd_client_key_sha256 == $d' "$TF_DIR/create.tfplan.json"
require "create a cluster and two pools (the saved plan)" tf_show_on_fail apply -input=false -no-color create.tfplan
check "plan after create: empty" expect_exit 0 plan_exit
check "the identity Secret holds the key" k_eq "$SECRETS/prod-lxd-identity" '.data["client-key"] | @base64d' "$KEY1"
check "terraform.tfstate holds no client key" no_key_in "$TF_DIR/terraform.tfstate"
check "the state holds its digest (schema version 2)" key_state "$KEY1"
check "Cluster is v1beta2 with apiGroup references" \
	k_eq "$CAPI/clusters/prod" .spec.controlPlaneRef.apiGroup controlplane.cluster.x-k8s.io
check "KCP kubelet provider-id (init)" k_eq "$KCPS/prod" \
	'.spec.kubeadmConfigSpec.initConfiguration.nodeRegistration.kubeletExtraArgs[] | select(.name=="provider-id") | .value' \
	'lxc:///{{ v1.local_hostname }}'
check "KCP kubelet provider-id (join)" k_eq "$KCPS/prod" \
	'.spec.kubeadmConfigSpec.joinConfiguration.nodeRegistration.kubeletExtraArgs[] | select(.name=="provider-id") | .value' \
	'lxc:///{{ v1.local_hostname }}'
check "control plane runs virtual machines" k_eq "$INFRA/lxcmachinetemplates/$(k GET "$KCPS/prod" | jq -r .spec.machineTemplate.spec.infrastructureRef.name)" \
	.spec.template.spec.instanceType virtual-machine
check "OVN load balancer on the named network" k_eq "$INFRA/lxcclusters/prod" \
	.spec.loadBalancer.ovn.networkName k8s-prod
check "identity Secret created" k_eq "$SECRETS/prod-lxd-identity" '.data.server | @base64d' https://192.0.2.10:8443
check "LXCCluster uses it" k_eq "$INFRA/lxcclusters/prod" .spec.secretRef.name prod-lxd-identity
check "cluster ready by conditions" k_eq "$CAPI/clusters/prod" \
	'[.status.conditions[] | select(.type=="ControlPlaneAvailable") | .status][0]' True
check "web pool: 2 machines" k_eq "$CAPI/machinedeployments/web" .status.readyReplicas 2
web_boot=$(k GET "$CAPI/machinedeployments/web" | jq -r .spec.template.spec.bootstrap.configRef.name)
check "web pool: the taint of its taints attribute is registered" k_eq "$BOOT/$web_boot" \
	'.spec.template.spec.joinConfiguration.nodeRegistration.taints[0] | "\(.key)=\(.value):\(.effect)"' \
	dedicated=web:NoSchedule
check "web pool: schema version 1, taints in the state" jq -e \
	'.resources[] | select(.type == "k8s_machine_pool" and .name == "web") | .instances[0]
	 | .schema_version == 1 and .attributes.taints == [{"key":"dedicated","value":"web","effect":"NoSchedule"}]' \
	"$TF_DIR/terraform.tfstate"
check "batch pool: no taints attribute set: null in the state" jq -e \
	'.resources[] | select(.type == "k8s_machine_pool" and .name == "batch") | .instances[0].attributes.taints == null' \
	"$TF_DIR/terraform.tfstate"
check "batch pool: autoscaler annotations, replicas at the lower bound" k_eq "$CAPI/machinedeployments/batch" \
	'[.metadata.annotations["cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"], .spec.replicas] | join(",")' 3,1
check "endpoint output" bash -c "cd '$TF_DIR' && '$TERRAFORM' output -raw endpoint | grep -qE '^https://203\\.0\\.113\\.[0-9]+:6443\$'"

# ---- scale ----------------------------------------------------------------
CP_REPLICAS=3
WEB_REPLICAS=3
write_main
check "scale plan: in place" expect_exit 2 plan_exit
check "scale plan has no replacement" out_lacks "must be replaced"
check "scale apply" apply_ok
check "plan after scale: empty" expect_exit 0 plan_exit
check "control plane has 3 ready machines" k_eq "$KCPS/prod" .status.readyReplicas 3
check "web has 3 ready machines" k_eq "$CAPI/machinedeployments/web" .status.readyReplicas 3

# ---- immutable fields ---------------------------------------------------------
POD_CIDR=10.250.0.0/16
write_main
check "pod CIDR change: plan exit 2" expect_exit 2 plan_exit
check "pod CIDR change forces replacement" out_has "pod_cidrs.*# forces replacement"
POD_CIDR=10.244.0.0/16
write_main
check "back to the applied configuration: plan exit 0" expect_exit 0 plan_exit

# ---- upgrade --------------------------------------------------------------
CP_VERSION=v1.35.0
write_main
check "upgrade by two minors rejected at plan" expect_exit 1 plan_exit
check "message says one minor at a time" out_has "skips minor versions"
CP_VERSION=v1.34.2
WEB_VERSION=v1.34.2
write_main
check "pool newer than the control plane rejected at plan" expect_exit 1 plan_exit
check "message names the control plane version" out_has "runs v1.33.1"
WEB_VERSION=v1.33.1
write_main
check "control plane upgrade" apply_ok
check "every control-plane machine on v1.34.2" k_eq "$KCPS/prod" '[.status.versions[].version] | unique | join(",")' v1.34.2
check "plan after upgrade: empty" expect_exit 0 plan_exit
WEB_VERSION=v1.34.2
write_main
check "pool upgrade" apply_ok
check "plan after pool upgrade: empty" expect_exit 0 plan_exit

# ---- template rotation ----------------------------------------------------
old_tpl=$(k GET "$CAPI/machinedeployments/web" | jq -r .spec.template.spec.infrastructureRef.name)
WEB_FLAVOR=c4-m8
write_main
check "rotation plan shows a new template" expect_exit 2 plan_exit
check "rotation plan: infrastructure_template changes" out_has 'infrastructure_template += "web-'
check "rotation apply" apply_ok
new_tpl=$(k GET "$CAPI/machinedeployments/web" | jq -r .spec.template.spec.infrastructureRef.name)
check "MachineDeployment points at a new template" test "$new_tpl" != "$old_tpl"
check "new template has the new flavor" k_eq "$INFRA/lxcmachinetemplates/$new_tpl" .spec.template.spec.flavor c4-m8
check "old template deleted" k_absent "$INFRA/lxcmachinetemplates/$old_tpl"
check "all web machines up to date" k_eq "$CAPI/machinedeployments/web" .status.upToDateReplicas 3
check "plan after rotation: empty" expect_exit 0 plan_exit

# OnDelete: a rotation does not replace machines; the apply must not wait
# for them to be up to date, and the old template stays for them.
BATCH_STRATEGY=OnDelete
write_main
check "batch to OnDelete" apply_ok
old_batch=$(k GET "$CAPI/machinedeployments/batch" | jq -r .spec.template.spec.infrastructureRef.name)
BATCH_FLAVOR=c4-m8
write_main
check "OnDelete rotation applies without waiting for replacements" apply_ok
check "OnDelete keeps the old template" k_eq "$INFRA/lxcmachinetemplates/$old_batch" .metadata.name "$old_batch"
check "plan after OnDelete rotation: empty" expect_exit 0 plan_exit

# ---- drift ----------------------------------------------------------------
check "controller-style writes: labels and annotations" \
	k_do PATCH "$KCPS/prod" '{"metadata":{"labels":{"example.com/added-by":"controller"},"annotations":{"controlplane.cluster.x-k8s.io/note":"x"}}}'
check "autoscaler changes batch replicas" k_do PATCH "$CAPI/machinedeployments/batch" '{"spec":{"replicas":2}}'
check "plan ignores controller-set fields: exit 0" expect_exit 0 plan_exit
check "scale web outside Terraform" k_do PATCH "$CAPI/machinedeployments/web" '{"spec":{"replicas":5}}'
check "plan shows the managed-field drift: exit 2" expect_exit 2 plan_exit
check "drift names replicas" out_has '~ replicas += 5 -> 3'
check "apply restores it" apply_ok
check "plan after restore: empty" expect_exit 0 plan_exit
cp_tpl=$(k GET "$KCPS/prod" | jq -r .spec.machineTemplate.spec.infrastructureRef.name)
check "edit the control-plane template in place" k_do PATCH "$INFRA/lxcmachinetemplates/$cp_tpl" \
	'{"spec":{"template":{"spec":{"flavor":"c16-m64"}}}}'
check "plan shows the template drift: exit 2" expect_exit 2 plan_exit
check "apply repairs the template" apply_ok
check "template flavor restored" k_eq "$INFRA/lxcmachinetemplates/$cp_tpl" .spec.template.spec.flavor c2-m4
check "plan after template repair: empty" expect_exit 0 plan_exit
check "delete the identity Secret" k_do DELETE "$SECRETS/prod-lxd-identity"
check "plan shows the deleted Secret: exit 2" expect_exit 2 plan_exit
check "apply re-creates the Secret" apply_ok
check "Secret back" k_eq "$SECRETS/prod-lxd-identity" '.data["client-key"] | @base64d' "$KEY1"
check "plan after Secret re-create: empty" expect_exit 0 plan_exit

# ---- a new client key (write-only) -------------------------------------------
export TF_VAR_lxd_client_key=$KEY2
check "new key: saved plan shows an update" expect_exit 2 \
	tf plan -input=false -no-color -detailed-exitcode -out=rotate.tfplan
check "new key: the update is the digest" out_has '~ lxd_client_key_sha256 += '
check "new key: the saved plan holds neither key" saved_plan_clean rotate.tfplan
check "new key: apply the saved plan" tf_show_on_fail apply -input=false -no-color rotate.tfplan
check "new key: the Secret holds it" k_eq "$SECRETS/prod-lxd-identity" '.data["client-key"] | @base64d' "$KEY2"
check "new key: plan empty" expect_exit 0 plan_exit
check "new key: terraform.tfstate holds neither key" no_key_in "$TF_DIR/terraform.tfstate"
check "new key: the state holds the new digest" key_state "$KEY2"
# The key changed in the Secret by hand: its digest shows the drift.
check "key edited in the Secret" k_do PATCH "$SECRETS/prod-lxd-identity" \
	"{\"data\":{\"client-key\":\"$(printf %s "$KEY1" | base64 -w0)\"}}"
check "edited key: plan shows it: exit 2" expect_exit 2 plan_exit
check "edited key: apply rewrites the Secret" apply_ok
check "edited key: the configured key is back" k_eq "$SECRETS/prod-lxd-identity" '.data["client-key"] | @base64d' "$KEY2"
check "edited key: plan empty" expect_exit 0 plan_exit
check "no client key in the provider logs" bash -c "! grep -rqF -e '$KEY1' -e '$KEY2' '$TF_DIR'/logs/"
boot=$(k GET "$CAPI/machinedeployments/batch" | jq -r .spec.template.spec.bootstrap.configRef.name)
check "delete a pool's bootstrap template" k_do DELETE "$BOOT/$boot"
check "plan shows the deleted template: exit 2" expect_exit 2 plan_exit
check "apply re-creates it" apply_ok
check "bootstrap template back" test "$(k GET "$BOOT/$boot" | jq -r .metadata.name)" == "$boot"
check "plan after template re-create: empty" expect_exit 0 plan_exit

# wait_absent PATH — until GET PATH is 404 (Cluster API finishes deleting).
wait_absent() {
	local i
	for ((i = 0; i < 300; i++)); do
		[[ $(k GET "$1") == null ]] && return 0
		sleep 0.2
	done
	echo "  $1 still exists after 60s"
	return 1
}
check "delete the batch MachineDeployment outside Terraform" k_do DELETE "$CAPI/machinedeployments/batch"
check "Cluster API finishes deleting it" wait_absent "$CAPI/machinedeployments/batch"
check "plan shows the pool must come back: exit 2" expect_exit 2 plan_exit
check "plan replaces it (its templates remain)" out_has 'k8s_machine_pool.batch must be replaced'
check "apply re-creates the pool" apply_ok
check "plan after pool re-create: empty" expect_exit 0 plan_exit

# ---- import ---------------------------------------------------------------
check "forget the web pool" tf state rm -no-color k8s_machine_pool.web
check "forget the cluster" tf state rm -no-color k8s_cluster.prod
check "import the cluster" tf import -no-color k8s_cluster.prod default/prod
check "import the web pool" tf import -no-color k8s_machine_pool.web default/web
check "plan after import: empty" expect_exit 0 plan_exit
check "bad import ID rejected" expect_exit 1 tf import -no-color k8s_machine_pool.web web
check "bad import ID message" out_has "namespace/name"

# ---- a create that fails half-way ---------------------------------------------
# The API refuses the control plane once: the objects already made are kept
# in state (tainted), and the replacement cleans them up.
printf '{"fail_requests":[{"method":"POST","path_regex":"/kubeadmcontrolplanes$","status":422,"reason":"Invalid","message":"injected: admission webhook denied the request","count":1}]}\n' >"$EMU/faults.json"
EXTRA='
resource "k8s_cluster" "part" {
  name                   = "part"
  kubernetes_version     = "v1.34.2"
  lxd_server_url         = "https://192.0.2.20:8443"
  lxd_client_certificate = "c"
  lxd_client_key         = "k"
}'
write_main
check "half-way create fails" expect_exit 1 tf apply -auto-approve -no-color
check "error names the refused object" out_has "Cannot create KubeadmControlPlane default/part"
check "error carries the API message" out_has "admission webhook denied"
check "partial cluster kept in state" state_has k8s_cluster.part
check "its LXCCluster exists" k_eq "$INFRA/lxcclusters/part" .metadata.name part
check "plan replaces the partial cluster" expect_exit 2 plan_exit
check "plan says tainted" out_has "k8s_cluster.part is tainted"
rm -f "$EMU/faults.json"
check "replacement succeeds" apply_ok
check "replacement Cluster exists" k_eq "$CAPI/clusters/part" .metadata.name part
check "plan after replacement: empty" expect_exit 0 plan_exit
EXTRA=""
write_main
check "remove the second cluster" apply_ok
check "its Cluster is gone" k_absent "$CAPI/clusters/part"
check "its identity Secret is gone" k_absent "$SECRETS/part-lxd-identity"
check "its templates are gone" k_eq "$INFRA/lxcmachinetemplates" '[.items[].metadata.name | select(startswith("part-"))] | length' 0

# ---- a cluster that never becomes ready --------------------------------------
printf '{"never_ready":["default/broken"],"condition_message":"LXD: instance start failed: not enough memory"}\n' >"$EMU/faults.json"
EXTRA='
resource "k8s_cluster" "broken" {
  name               = "broken"
  kubernetes_version = "v1.33.1"
  identity_secret    = "prod-lxd-identity"
  timeouts {
    create = "15s"
    delete = "20s"
  }
}'
write_main
check "failing create: apply fails" expect_exit 1 tf apply -auto-approve -no-color
check "error names the timeout" out_has "did not become ready within timeouts.create"
check "error carries the condition message" out_has "not enough memory"
check "failed cluster kept in state (tainted)" state_has k8s_cluster.broken
check "plan replaces the tainted cluster" expect_exit 2 plan_exit
check "plan says tainted" out_has "tainted"
# A deletion Cluster API cannot finish: the provider reports it and never
# strips finalizers.
printf '{"stall_delete":["default/broken"]}\n' >"$EMU/faults.json"
check "stalled delete: destroy of the cluster fails" expect_exit 1 tf destroy -auto-approve -no-color -target k8s_cluster.broken
check "error says the deletion did not finish" out_has "deletion did not finish"
check "error says finalizers are left alone" out_has "finalizers"
check "error carries Cluster API's Deleting message" out_has "Deleting \\(InternalError\\): deletion stalled"
check "Cluster still there with its finalizer" k_eq "$CAPI/clusters/broken" '.metadata.finalizers | index("cluster.cluster.x-k8s.io") != null' true
rm -f "$EMU/faults.json"
EXTRA=""
write_main
check "remove the broken cluster" apply_ok
check "broken Cluster gone" k_absent "$CAPI/clusters/broken"
check "the borrowed identity Secret is not deleted" k_eq "$SECRETS/prod-lxd-identity" .metadata.name prod-lxd-identity
check "plan after removing it: empty" expect_exit 0 plan_exit

# ---- destroy ----------------------------------------------------------------
check "destroy" tf_show_on_fail destroy -auto-approve -no-color
check "state empty" state_empty
check "Cluster gone" k_absent "$CAPI/clusters/prod"
check "MachineDeployments gone" k_eq "$CAPI/machinedeployments" '.items | length' 0
check "Machines gone" k_eq "$CAPI/machines" '.items | length' 0
check "templates gone" k_eq "$INFRA/lxcmachinetemplates" '.items | length' 0
check "bootstrap templates gone" k_eq "$BOOT" '.items | length' 0
check "identity Secret deleted after the cluster" k_absent "$SECRETS/prod-lxd-identity"
check "plan after destroy: everything to create" expect_exit 2 plan_exit

e2e_end
