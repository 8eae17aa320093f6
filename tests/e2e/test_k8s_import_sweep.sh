#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # write_tf reads stdin; helpers run through check
# Import sweep: a cluster made by hand with kubectl "in the usual way" — the
# objects a clusterctl-generated CAPN template creates, named the way
# clusterctl names them (KubeadmControlPlane <name>-control-plane, pool
# objects <name>-md-0, an identity Secret of its own) — is imported into
# k8s_cluster and k8s_machine_pool, once with `terraform import` and once
# with `import {}` blocks, and plans empty with the minimal configuration
# that names it: values the server filled or defaulted are "unset =
# whatever the server says", only what the manifests chose is written.
# After the import a change through Terraform does not rewrite what it did
# not change (scaling the pool keeps its templates). The ephemeral
# k8s_cluster_kubeconfig gives exactly what
# `kubectl get secret <name>-kubeconfig -o jsonpath='{.data.value}'` holds.
# Destroy removes the cluster and leaves the borrowed identity Secret.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=k8s_emu_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s_emu_lib.sh"

e2e_begin k8s_import_sweep
command -v kubectl >/dev/null || {
	echo "FAIL: $E2E_SCENARIO: kubectl is missing (Debian: kubernetes-client)"
	exit 1
}
emu_up emu
k() { timeout 120 kubectl --kubeconfig "$EMU_DIR/kubeconfig" "$@"; }
# kubectl < 1.27 validates against /openapi/v2, which the emulator does
# not serve; newer ones validate on the server.
kminor=$(kubectl version --client -o json 2>/dev/null | jq -r '.clientVersion.minor // "0"' | tr -dc '0-9')
VALIDATE=()
((${kminor:-0} >= 27)) || VALIDATE=(--validate=false)

G_CAPI=/apis/cluster.x-k8s.io/v1beta2/namespaces/default
G_INFRA=/apis/infrastructure.cluster.x-k8s.io/v1alpha2/namespaces/default
G_BOOT=/apis/bootstrap.cluster.x-k8s.io/v1beta2/namespaces/default

cat >"$E2E_WORK/c1.yaml" <<'EOF'
# What `clusterctl generate cluster c1 --infrastructure incus` gives, in the
# v1beta2 / v1alpha2 shapes the management cluster serves.
apiVersion: v1
kind: Secret
metadata:
  name: lxc-secret
  labels:
    clusterctl.cluster.x-k8s.io/move: "true"
stringData:
  server: https://192.0.2.10:8443
  server-crt: "-----BEGIN CERTIFICATE-----\nc2VydmVy\n-----END CERTIFICATE-----\n"
  client-crt: "-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n"
  client-key: "-----BEGIN EC PRIVATE KEY-----\na2V5\n-----END EC PRIVATE KEY-----\n"
  project: default
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata:
  name: c1
spec:
  clusterNetwork:
    pods:
      cidrBlocks: [192.168.0.0/16]
    services:
      cidrBlocks: [10.128.0.0/12]
  controlPlaneRef:
    apiGroup: controlplane.cluster.x-k8s.io
    kind: KubeadmControlPlane
    name: c1-control-plane
  infrastructureRef:
    apiGroup: infrastructure.cluster.x-k8s.io
    kind: LXCCluster
    name: c1
---
apiVersion: infrastructure.cluster.x-k8s.io/v1alpha2
kind: LXCCluster
metadata:
  name: c1
spec:
  secretRef:
    name: lxc-secret
  loadBalancer:
    lxc: {}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlane
metadata:
  name: c1-control-plane
spec:
  replicas: 1
  version: v1.33.1
  machineTemplate:
    spec:
      infrastructureRef:
        apiGroup: infrastructure.cluster.x-k8s.io
        kind: LXCMachineTemplate
        name: c1-control-plane
  kubeadmConfigSpec:
    initConfiguration:
      nodeRegistration:
        kubeletExtraArgs:
          - name: provider-id
            value: "lxc:///{{ v1.local_hostname }}"
          - name: fail-swap-on
            value: "false"
    joinConfiguration:
      nodeRegistration:
        kubeletExtraArgs:
          - name: provider-id
            value: "lxc:///{{ v1.local_hostname }}"
          - name: fail-swap-on
            value: "false"
---
apiVersion: infrastructure.cluster.x-k8s.io/v1alpha2
kind: LXCMachineTemplate
metadata:
  name: c1-control-plane
spec:
  template:
    spec:
      instanceType: virtual-machine
      flavor: c2-m4
      profiles: [default]
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: MachineDeployment
metadata:
  name: c1-md-0
spec:
  clusterName: c1
  replicas: 2
  selector:
    matchLabels: {}
  template:
    spec:
      clusterName: c1
      version: v1.33.1
      bootstrap:
        configRef:
          apiGroup: bootstrap.cluster.x-k8s.io
          kind: KubeadmConfigTemplate
          name: c1-md-0
      infrastructureRef:
        apiGroup: infrastructure.cluster.x-k8s.io
        kind: LXCMachineTemplate
        name: c1-md-0
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KubeadmConfigTemplate
metadata:
  name: c1-md-0
spec:
  template:
    spec:
      joinConfiguration:
        nodeRegistration:
          kubeletExtraArgs:
            - name: provider-id
              value: "lxc:///{{ v1.local_hostname }}"
            - name: fail-swap-on
              value: "false"
---
apiVersion: infrastructure.cluster.x-k8s.io/v1alpha2
kind: LXCMachineTemplate
metadata:
  name: c1-md-0
spec:
  template:
    spec:
      instanceType: virtual-machine
      flavor: c2-m4
      profiles: [default]
EOF
require "kubectl apply the hand-made cluster" k apply "${VALIDATE[@]}" -f "$E2E_WORK/c1.yaml"
require "it becomes Available" k wait --for=condition=Available cluster/c1 --timeout=120s
md_ready() { [[ $(k get machinedeployment c1-md-0 -o jsonpath='{.status.readyReplicas}') == 2 ]]; }
wait_md() {
	local i
	for ((i = 0; i < 300; i++)); do md_ready && return 0; sleep 0.2; done
	return 1
}
require "its pool has 2 ready machines" wait_md

# The minimal configuration: what the manifests chose (names, version,
# identity Secret, machine settings); everything the server filled or
# defaulted (replicas, CIDRs, load balancer, rollout) is left unset.
minimal_hcl() {
	cat <<EOF
terraform {
  required_providers {
    k8s = { source = "lxdcapi/k8s" }
  }
}

provider "k8s" {
  kubeconfig_path = "$EMU_DIR/kubeconfig"
}

resource "k8s_cluster" "c1" {
  name               = "c1"
  kubernetes_version = "v1.33.1"
  identity_secret    = "lxc-secret"
  flavor             = "c2-m4"
  profiles           = ["default"]
  ${CLUSTER_EXTRA:-}
}

resource "k8s_machine_pool" "md0" {
  name               = "c1-md-0"
  cluster_name       = k8s_cluster.c1.name
  kubernetes_version = "v1.33.1"
  flavor             = "c2-m4"
  profiles           = ["default"]
  ${POOL_EXTRA:-}
}
EOF
}

# ---- terraform import ------------------------------------------------------------
tf_workdir cli
minimal_hcl | write_tf
require "cli: init" tf init -input=false -no-color
check "cli: terraform import k8s_cluster" tf_show_on_fail import -input=false -no-color k8s_cluster.c1 default/c1
check "cli: terraform import k8s_machine_pool" tf_show_on_fail import -input=false -no-color k8s_machine_pool.md0 default/c1-md-0
check "cli: plan after import is empty" expect_exit 0 plan_exit
check "cli: the state borrows the identity Secret" \
	jq -e '.resources[] | select(.type == "k8s_cluster") | .instances[0].attributes.identity_secret == "lxc-secret"' "$TF_DIR/terraform.tfstate"
check "cli: the state keeps the server's CIDRs" \
	jq -e '.resources[] | select(.type == "k8s_cluster") | .instances[0].attributes.pod_cidrs == ["192.168.0.0/16"]' "$TF_DIR/terraform.tfstate"
check "cli: the state keeps the pool's own template names" \
	jq -e '.resources[] | select(.type == "k8s_machine_pool") | .instances[0].attributes | .infrastructure_template == "c1-md-0" and .bootstrap_template == "c1-md-0"' "$TF_DIR/terraform.tfstate"
check "cli: the state has the pool's 2 replicas" \
	jq -e '.resources[] | select(.type == "k8s_machine_pool") | .instances[0].attributes.replicas == 2' "$TF_DIR/terraform.tfstate"
# This state is only for the check above: forget it (the next one manages).
rm -f "$TF_DIR/terraform.tfstate" "$TF_DIR/terraform.tfstate.backup"

# ---- import {} blocks ------------------------------------------------------------
tf_workdir blocks
{
	minimal_hcl
	cat <<'EOF'

import {
  to = k8s_cluster.c1
  id = "default/c1"
}

import {
  to = k8s_machine_pool.md0
  id = "default/c1-md-0"
}
EOF
} | write_tf
require "blocks: init" tf init -input=false -no-color
check "blocks: plan imports and changes nothing" expect_exit 2 plan_exit
check "blocks: 2 to import, nothing to add/change/destroy" \
	out_has 'Plan: 2 to import, 0 to add, 0 to change, 0 to destroy'
check "blocks: apply the import" apply_ok
check "blocks: plan after import is empty" expect_exit 0 plan_exit

# A change through Terraform touches what it changes only: scaling the
# pool keeps its templates (no rollout) and does not rewrite them.
kct_rv=$(emu_curl GET "$G_BOOT/kubeadmconfigtemplates/c1-md-0" | jq -r .metadata.resourceVersion)
lmt_rv=$(emu_curl GET "$G_INFRA/lxcmachinetemplates/c1-md-0" | jq -r .metadata.resourceVersion)
POOL_EXTRA='replicas = 3'
{ minimal_hcl; } | write_tf
check "blocks: scale the imported pool to 3" apply_ok
check "blocks: 3 replicas" test "$(k get machinedeployment c1-md-0 -o jsonpath='{.spec.replicas}')" == 3
check "blocks: same templates (no rotation)" \
	test "$(k get machinedeployment c1-md-0 -o jsonpath='{.spec.template.spec.infrastructureRef.name}/{.spec.template.spec.bootstrap.configRef.name}')" == "c1-md-0/c1-md-0"
check "blocks: the templates were not rewritten" test \
	"$(emu_curl GET "$G_BOOT/kubeadmconfigtemplates/c1-md-0" | jq -r .metadata.resourceVersion)/$(emu_curl GET "$G_INFRA/lxcmachinetemplates/c1-md-0" | jq -r .metadata.resourceVersion)" \
	== "$kct_rv/$lmt_rv"
check "blocks: plan after the scale is empty" expect_exit 0 plan_exit
# The same for the control plane: its own KubeadmControlPlane
# (c1-control-plane) is scaled, its template kept and not rewritten.
cpt_rv=$(emu_curl GET "$G_INFRA/lxcmachinetemplates/c1-control-plane" | jq -r .metadata.resourceVersion)
CLUSTER_EXTRA='control_plane_replicas = 3'
{ minimal_hcl; } | write_tf
check "blocks: scale the imported control plane to 3" apply_ok
check "blocks: KubeadmControlPlane c1-control-plane has 3 replicas" \
	test "$(k get kubeadmcontrolplane c1-control-plane -o jsonpath='{.spec.replicas}')" == 3
check "blocks: same control-plane template (no rollout)" \
	test "$(k get kubeadmcontrolplane c1-control-plane -o jsonpath='{.spec.machineTemplate.spec.infrastructureRef.name}')" == c1-control-plane
check "blocks: the control-plane template was not rewritten" \
	test "$(emu_curl GET "$G_INFRA/lxcmachinetemplates/c1-control-plane" | jq -r .metadata.resourceVersion)" == "$cpt_rv"
check "blocks: plan after the control-plane scale is empty" expect_exit 0 plan_exit

# ---- the ephemeral kubeconfig is the Secret's ----------------------------------------
tf_workdir ephemeral
want_sha=$(k get secret c1-kubeconfig -o jsonpath='{.data.value}' | base64 -d | sha256sum | cut -d' ' -f1)
check "kubectl reads the kubeconfig Secret" test -n "$want_sha"
write_tf <<EOF
terraform {
  required_providers {
    k8s = { source = "lxdcapi/k8s" }
  }
}

provider "k8s" {
  kubeconfig_path = "$EMU_DIR/kubeconfig"
}

variable "want_sha256" {
  type = string
}

ephemeral "k8s_cluster_kubeconfig" "c1" {
  name = "c1"
  lifecycle {
    postcondition {
      condition     = sha256(self.kubeconfig) == var.want_sha256
      error_message = "The kubeconfig differs from the Secret's."
    }
  }
}
EOF
require "ephemeral: init" tf init -input=false -no-color
check "ephemeral: equal to kubectl get secret ... -o jsonpath" \
	tf_show_on_fail plan -input=false -no-color -var "want_sha256=$want_sha"
check "ephemeral: (the check can fail) a different value is refused" \
	expect_exit 1 tf plan -input=false -no-color -var "want_sha256=0000"
check "ephemeral: (the check can fail) with the postcondition's message" \
	out_has "differs from the Secret"

# ---- destroy -----------------------------------------------------------------------------
tf_workdir blocks
check "destroy the imported cluster" tf_show_on_fail destroy -auto-approve -input=false -no-color
absent() { [[ $(emu_curl GET "$1" | jq -r '.metadata.uid // "none"') == none ]]; }
check "Cluster c1 is gone" absent "$G_CAPI/clusters/c1"
check "MachineDeployment c1-md-0 is gone" absent "$G_CAPI/machinedeployments/c1-md-0"
check "the pool's templates are gone" absent "$G_INFRA/lxcmachinetemplates/c1-md-0"
check "the borrowed identity Secret stays" \
	test "$(emu_curl GET /api/v1/namespaces/default/secrets/lxc-secret | jq -r .metadata.name)" == lxc-secret

e2e_end
