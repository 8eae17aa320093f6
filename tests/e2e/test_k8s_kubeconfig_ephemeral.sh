#!/usr/bin/env bash
# shellcheck disable=SC2317  # helpers run indirectly through check
# The k8s_cluster_kubeconfig ephemeral resource with the real terraform CLI
# against the k8s emulator: plan and apply open it, its kubeconfig
# configures a second provider instance (which opens another one through
# it), nothing of it reaches the plan or state files; a missing cluster is
# a warning with unknown values, a paused cluster without its Secret an
# error at once, and one whose Secret never comes an error after
# timeouts.open that carries the cluster's conditions.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=k8s_emu_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s_emu_lib.sh"

e2e_begin k8s_kubeconfig_ephemeral
emu_up emu

# The "workload" kubeconfig is the emulator's token kubeconfig itself, so a
# provider configured from it can reach a server.
kc_b64=$(base64 -w0 "$EMU_DIR/kubeconfig-token")
secret() {
	emu_curl POST /api/v1/namespaces/default/secrets \
		"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"$1\"},\"type\":\"cluster.x-k8s.io/secret\",\"data\":{\"value\":\"$2\"}}" |
		jq -e '.metadata.uid' >/dev/null
}
cluster() {
	emu_curl POST /apis/cluster.x-k8s.io/v1beta2/namespaces/default/clusters \
		"{\"apiVersion\":\"cluster.x-k8s.io/v1beta2\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"$1\"},\"spec\":{\"paused\":${2:-true}}}" |
		jq -e '.metadata.uid' >/dev/null
}
check "kubeconfig Secret demo-kubeconfig created" secret demo-kubeconfig "$kc_b64"
check "kubeconfig Secret inner-kubeconfig created" secret inner-kubeconfig "$(printf 'not-used: true\n' | base64 -w0)"
check "Cluster 'pending' created (paused, no kubeconfig Secret)" cluster pending
check "Cluster 'stuck' created (no control plane: never gets a kubeconfig)" cluster stuck false

tf_workdir main
write_tf <<EOF
terraform {
  required_providers {
    k8s = {
      source = "lxdcapi/k8s"
    }
  }
}

provider "k8s" {
  kubeconfig_path = "$EMU_DIR/kubeconfig"
}

ephemeral "k8s_cluster_kubeconfig" "demo" {
  name = "demo"
}

# A second provider instance configured from the ephemeral kubeconfig.
provider "k8s" {
  alias      = "workload"
  kubeconfig = ephemeral.k8s_cluster_kubeconfig.demo.kubeconfig
  namespace  = "default"
}

ephemeral "k8s_cluster_kubeconfig" "inner" {
  provider = k8s.workload
  name     = "inner"
}

locals {
  server = ephemeral.k8s_cluster_kubeconfig.demo.server
}

resource "terraform_data" "marker" {
  input      = "kept"
  depends_on = [ephemeral.k8s_cluster_kubeconfig.inner]
}
EOF

check "init" tf_show_on_fail init -input=false -no-color
check "plan succeeds" tf_show_on_fail plan -input=false -no-color -out=tfplan
check "plan opened the ephemeral resources" out_has 'ephemeral.k8s_cluster_kubeconfig.inner: Opening'
check "apply succeeds" apply_ok
check "apply opened and closed them" out_has 'ephemeral.k8s_cluster_kubeconfig.demo: Closing'
check "the marker resource is in state" state_has terraform_data.marker
# What would leak: the token, the kubeconfig (raw or base64), its CA data.
token=$(cat "$EMU_DIR/token")
ca_data=$(awk '/certificate-authority-data:/ { print substr($2, 1, 60) }' "$EMU_DIR/kubeconfig-token")
no_secret_in() {
	local f
	for f in "$@"; do
		[[ -f $f ]] || continue
		if grep -qF -e "$token" -e "$kc_b64" -e "$ca_data" -e "current-context" "$f"; then
			echo "  $f contains (part of) the kubeconfig"
			return 1
		fi
	done
}
check "state file holds no kubeconfig" no_secret_in "$TF_DIR/terraform.tfstate"
only_managed() {
	jq -e '[.resources[] | select(.mode != "managed")] | length == 0' "$1" >/dev/null
}
check "state file holds only the managed resource (no ephemeral one)" \
	only_managed "$TF_DIR/terraform.tfstate"
plan_has_nothing() {
	(cd "$TF_DIR" && timeout 120 "$TERRAFORM" show -json tfplan) >"$TF_DIR/plan.json" || return 1
	no_secret_in "$TF_DIR/plan.json" "$TF_DIR/tfplan"
}
check "saved plan holds no kubeconfig" plan_has_nothing
check "second plan is empty" expect_exit 0 plan_exit
logs_clean() { no_secret_in "$TF_DIR"/logs/*.tflog && compgen -G "$TF_DIR/logs/*.tflog" >/dev/null; }
check "provider debug logs hold no kubeconfig or token" logs_clean

# Values known only after apply: the cluster name comes from a resource
# created in the same run, and a provider is configured from the result.
# Planning answers with unknowns; apply opens them for real.
tf_workdir late
write_tf <<EOF
terraform {
  required_providers {
    k8s = {
      source = "lxdcapi/k8s"
    }
  }
}

provider "k8s" {
  kubeconfig_path = "$EMU_DIR/kubeconfig"
}

resource "terraform_data" "name" {
  input = "demo"
}

ephemeral "k8s_cluster_kubeconfig" "late" {
  name = terraform_data.name.output
}

provider "k8s" {
  alias      = "late"
  kubeconfig = ephemeral.k8s_cluster_kubeconfig.late.kubeconfig
}

ephemeral "k8s_cluster_kubeconfig" "via_late" {
  provider  = k8s.late
  name      = "inner"
  namespace = "default"
}

resource "terraform_data" "after" {
  input      = "x"
  depends_on = [ephemeral.k8s_cluster_kubeconfig.via_late]
}
EOF
check "init (late)" tf_show_on_fail init -input=false -no-color
check "plan with unknown name and provider settings succeeds" tf_show_on_fail plan -input=false -no-color
check "apply opens both once known" apply_ok
check "apply opened the one behind the late provider" out_has 'ephemeral.k8s_cluster_kubeconfig.via_late: Opening'
check "late state holds no kubeconfig" no_secret_in "$TF_DIR/terraform.tfstate"

# Error cases: a missing cluster, a cluster without its Secret.
tf_workdir errors
write_tf <<EOF
terraform {
  required_providers {
    k8s = {
      source = "lxdcapi/k8s"
    }
  }
}

provider "k8s" {
  kubeconfig_path = "$EMU_DIR/kubeconfig"
}

variable "name" {
  type = string
}

ephemeral "k8s_cluster_kubeconfig" "x" {
  name = var.name
  timeouts {
    open = "3s"
  }
}

provider "k8s" {
  alias      = "w"
  kubeconfig = ephemeral.k8s_cluster_kubeconfig.x.kubeconfig
}
EOF
check "init (errors)" tf_show_on_fail init -input=false -no-color
# A Cluster that does not exist is not an error: it may be created by this
# very apply (see test_k8s_kubeconfig_first_apply.sh). Unknown + a warning.
check "missing cluster: plan succeeds" expect_exit 0 tf plan -input=false -no-color -var name=ghost
check "missing cluster: warning names it" out_has 'no Cluster API Cluster "ghost" in namespace'
check "missing cluster: warning says so" out_has 'Warning: Cluster does not exist yet'
check "paused cluster without Secret: plan fails at once" expect_exit 1 tf plan -input=false -no-color -var name=pending
check "paused cluster: clear message" out_has 'Kubeconfig not available: cluster paused'
check "cluster without Secret: plan waits, then fails" expect_exit 1 tf plan -input=false -no-color -var name=stuck
check "cluster without Secret: message names the Secret" out_has 'kubeconfig Secret "stuck-kubeconfig"'
check "cluster without Secret: message names the timeout" out_has 'after timeouts.open \(3s\)'
check "cluster without Secret: message carries Cluster API's conditions" out_has 'False conditions:'

e2e_end
