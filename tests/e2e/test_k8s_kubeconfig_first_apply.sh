#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # write_tf reads stdin; helpers run through check
# The example of docs/ephemeral-resources/k8s_cluster_kubeconfig.md, taken
# from the page as is, applied from an EMPTY state in ONE `terraform apply`
# against the k8s emulator: a k8s_cluster, the ephemeral kubeconfig of it
# (opened at plan time before the cluster exists: unknown + warning), a
# second k8s provider configured from that kubeconfig and a k8s_cluster
# created through it at apply. The emulator's kubeconfig Secrets point at
# the emulator itself (faults.json workload_kubeconfig), so the aliased
# provider really connects with the value read at apply.
#
# Then: the next plan is empty, no kubeconfig or token is in the state,
# `terraform show -json`, the saved plan or the provider logs, and destroy
# leaves nothing.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=k8s_emu_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s_emu_lib.sh"

e2e_begin k8s_kubeconfig_first_apply
emu_up emu
printf '{"workload_kubeconfig":"%s"}\n' "$EMU_DIR/kubeconfig-token" >"$EMU_DIR/faults.json"

DOC=$REPO_ROOT/docs/ephemeral-resources/k8s_cluster_kubeconfig.md
tf_workdir main
# The first ```terraform block after "## Example Usage".
extract_example() {
	awk '/^## Example Usage/ { sect = 1 }
	     sect && /^```terraform$/ && !done { inblk = 1; next }
	     inblk && /^```$/ { inblk = 0; done = 1 }
	     inblk { print }' "$DOC"
}
extract_example | write_tf
check "the page has an example" test -s "$TF_DIR/main.tf"
write_tf terraform.tfvars <<EOF
management_kubeconfig  = "$EMU_DIR/kubeconfig"
lxd_server_url         = "https://192.0.2.10:8443"
lxd_client_certificate = "test-certificate"
lxd_client_key         = "test-key"
EOF

require "init" tf_show_on_fail init -input=false -no-color
check "first apply from an empty state succeeds" apply_ok
check "the plan warned that prod does not exist yet" out_has 'Cluster does not exist yet'
# In the apply phase the ephemeral resource is opened after prod is created.
opened_after_create() {
	awk '/k8s_cluster\.prod: Creation complete/ && !c { c = NR }
	     c && /ephemeral\.k8s_cluster_kubeconfig\.prod: Opening/ { o = NR }
	     END { exit !(c && o > c) }' "$TF_LAST_LOG"
}
check "apply opened the kubeconfig after creating prod" opened_after_create
check "prod is in state" state_has k8s_cluster.prod
check "edge (through the ephemeral kubeconfig) is in state" state_has k8s_cluster.edge
cluster_ready() {
	emu_curl GET "/apis/cluster.x-k8s.io/v1beta2/namespaces/default/clusters/$1" |
		jq -e '[.status.conditions[] | select(.type == "ControlPlaneAvailable") | .status][0] == "True"' >/dev/null
}
check "prod is ready on the management cluster" cluster_ready prod
check "edge is ready (created through prod's kubeconfig)" cluster_ready edge
check "next plan is empty" expect_exit 0 plan_exit
check "that plan read the kubeconfig at plan time (no warning now)" out_lacks 'does not exist yet'

token=$(cat "$EMU_DIR/token")
kc_b64=$(base64 -w0 "$EMU_DIR/kubeconfig-token")
client_key=$(awk '/client-key-data:/ { print substr($2, 1, 60) }' "$EMU_DIR/kubeconfig")
no_secret_in() {
	local f
	for f in "$@"; do
		[[ -f $f ]] || {
			echo "  $f is missing"
			return 1
		}
		if grep -qF -e "$token" -e "$kc_b64" -e "$client_key" -e "current-context" "$f"; then
			echo "  $f contains (part of) a kubeconfig"
			return 1
		fi
	done
}
check "terraform.tfstate holds no kubeconfig" no_secret_in "$TF_DIR/terraform.tfstate"
show_json_clean() {
	(cd "$TF_DIR" && timeout 120 "$TERRAFORM" show -json) >"$TF_DIR/show.json" || return 1
	no_secret_in "$TF_DIR/show.json"
}
check "terraform show -json holds no kubeconfig" show_json_clean
state_has_no_kubeconfig_attr() {
	jq -e '[.resources[] | select(.type == "k8s_cluster") | .instances[].attributes | has("kubeconfig")] | any | not' \
		"$TF_DIR/terraform.tfstate" >/dev/null
}
check "k8s_cluster state has no kubeconfig attribute" state_has_no_kubeconfig_attr
saved_plan_clean() {
	tf plan -input=false -no-color -out=tfplan >/dev/null || return 1
	(cd "$TF_DIR" && timeout 120 "$TERRAFORM" show -json tfplan) >"$TF_DIR/plan.json" || return 1
	no_secret_in "$TF_DIR/tfplan" "$TF_DIR/plan.json"
}
check "saved plan holds no kubeconfig" saved_plan_clean
logs_clean() { compgen -G "$TF_DIR/logs/*.tflog" >/dev/null && no_secret_in "$TF_DIR"/logs/*.tflog "$TF_DIR"/logs/*.log; }
check "terraform and provider logs hold no kubeconfig or token" logs_clean

check "destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "state empty after destroy" state_empty
no_clusters() {
	emu_curl GET /apis/cluster.x-k8s.io/v1beta2/clusters | jq -e '.items | length == 0' >/dev/null
}
check "no Cluster left on the management cluster" no_clusters
no_owned_objects() {
	local p n total=0
	for p in /api/v1/secrets \
		/apis/infrastructure.cluster.x-k8s.io/v1alpha2/lxcmachinetemplates \
		/apis/infrastructure.cluster.x-k8s.io/v1alpha2/lxcclusters \
		/apis/controlplane.cluster.x-k8s.io/v1beta2/kubeadmcontrolplanes; do
		n=$(emu_curl GET "$p?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dterraform-provider-lxdcapi" | jq '.items | length')
		total=$((total + n))
	done
	((total == 0)) || {
		echo "  $total objects made by the provider are left"
		return 1
	}
}
check "nothing the provider made is left" no_owned_objects

e2e_end
