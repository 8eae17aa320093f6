#!/usr/bin/env bash
# demo.sh — `make demo` (after `make install`): a sandboxed 1-member LXD in
# its own network namespace, examples/quickstart applied against it, an empty
# follow-up plan, a short summary, then everything is torn down again. Then
# the same for the k8s provider: examples/k8s-emulator applied against the
# Kubernetes API emulator (a SIMULATED management cluster, tests/k8s-emu).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
rig=$here/lxd-rig.sh
name=demo-$$
name=${name:0:12}

die() {
	printf '\n*** demo: ERROR: %s ***\n\n' "$*" >&2
	exit 1
}
step() { printf '\n==> %s\n' "$*"; }

tf=""
if [[ -x /usr/local/bin/terraform ]]; then
	tf=/usr/local/bin/terraform
elif command -v terraform >/dev/null 2>&1; then
	tf=$(command -v terraform)
fi
[[ -n $tf ]] || die "terraform (>= 1.11) is not installed"
plugin=${HOME}/.terraform.d/plugins/registry.terraform.io/lxdcapi/lxd
[[ -d $plugin ]] || die "the provider is not installed in $plugin: run 'make install' first"

work=$(mktemp -d /tmp/lxdcapi-demo.XXXXXX)
cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	step "tearing down the sandbox"
	[[ -f $work/emu/pid ]] && bash "$repo/tests/k8s-emu/emu.sh" stop "$work/emu"
	"$rig" down "$name"
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

step "starting a sandboxed LXD (namespace $name-n1, state in /tmp/lxdrig/$name)"
t0=$SECONDS
"$rig" up "$name" 1 || die "LXD did not start"
eval "$("$rig" env "$name")"
echo "LXD is up in $((SECONDS - t0))s; socket $LXD_SOCKET"

cp -r "$repo/examples/quickstart/." "$work/"
rm -rf "$work/.terraform" "$work/.terraform.lock.hcl" "$work"/terraform.tfstate*
cd "$work"

step "terraform init"
"$tf" init -input=false -no-color || die "terraform init failed"

step "terraform apply"
t1=$SECONDS
"$tf" apply -auto-approve -input=false -no-color -var "lxd_socket=$LXD_SOCKET" ||
	die "terraform apply failed"
apply_s=$((SECONDS - t1))

step "terraform plan -detailed-exitcode (must be empty)"
rc=0
"$tf" plan -detailed-exitcode -input=false -no-color -var "lxd_socket=$LXD_SOCKET" || rc=$?
case $rc in
0) echo "plan: no changes (exit 0)" ;;
2) die "the plan after apply is NOT empty (exit 2)" ;;
*) die "terraform plan failed (exit $rc)" ;;
esac

step "summary"
echo "Terraform ${tf} created, in ${apply_s}s, on the sandboxed LXD:"
"$tf" output -json pools | jq -r 'to_entries[] |
	"  pool \(.key): driver \(.value.driver), status \(.value.status), on \(.value.locations | join(", "))"'
echo "LXD itself reports:"
curl --silent --max-time 30 --unix-socket "$LXD_SOCKET" 'http://lxd/1.0/storage-pools?recursion=1' |
	jq -r '.metadata[] | "  \(.name): \(.driver), \(.status), \(.description)\(
		if .config["rsync.bwlimit"] then ", rsync.bwlimit=\(.config["rsync.bwlimit"])" else "" end)"'
echo "A second plan is empty: the provider reads back exactly what it wrote."

step "terraform destroy"
"$tf" destroy -auto-approve -input=false -no-color -var "lxd_socket=$LXD_SOCKET" ||
	die "terraform destroy failed"
left=$(curl --silent --max-time 30 --unix-socket "$LXD_SOCKET" http://lxd/1.0/storage-pools | jq '.metadata | length')
[[ $left == 0 ]] || die "$left storage pool(s) left after destroy"

# ---- Kubernetes half: against a SIMULATED management cluster --------------
# There is no real Cluster API here: tests/k8s-emu emulates the Kubernetes API
# with the Cluster API / CAPN CRDs and simulated controllers, so no machines
# are created. It shows the k8s provider's workflow end to end.
[[ -d ${HOME}/.terraform.d/plugins/registry.terraform.io/lxdcapi/k8s ]] ||
	die "the k8s provider is not installed: run 'make install' first"
step "starting the k8s API emulator: a SIMULATED management cluster (tests/k8s-emu)"
bash "$repo/tests/k8s-emu/emu.sh" start "$work/emu" --controller-delay 0.05 ||
	die "the emulator did not start"
echo "simulated management cluster at $(cat "$work/emu/ready")"
mkdir -p "$work/k8s"
cp -r "$repo/examples/k8s-emulator" "$repo/examples/modules" "$work/k8s/"
cd "$work/k8s/k8s-emulator"
rm -rf .terraform .terraform.lock.hcl terraform.tfstate*
kvar=(-var "kubeconfig=$work/emu/kubeconfig")

step "terraform init (examples/k8s-emulator, simulated management cluster)"
"$tf" init -input=false -no-color || die "terraform init failed"

step "terraform apply: k8s_cluster + 2 k8s_machine_pool (simulated management cluster)"
t1=$SECONDS
"$tf" apply -auto-approve -input=false -no-color "${kvar[@]}" || die "terraform apply failed"
apply_s=$((SECONDS - t1))

step "terraform plan -detailed-exitcode (must be empty; simulated management cluster)"
rc=0
"$tf" plan -detailed-exitcode -input=false -no-color "${kvar[@]}" || rc=$?
case $rc in
0) echo "plan: no changes (exit 0)" ;;
2) die "the plan after apply is NOT empty (exit 2)" ;;
*) die "terraform plan failed (exit $rc)" ;;
esac

step "summary (simulated management cluster)"
echo "In ${apply_s}s, waiting on Cluster API conditions, Terraform created:"
kget() {
	curl --silent --max-time 30 --cacert "$work/emu/ca.crt" \
		-H "Authorization: Bearer $(cat "$work/emu/token")" "$(cat "$work/emu/ready")$1"
}
kget /apis/cluster.x-k8s.io/v1beta2/namespaces/default/clusters | jq -r '.items[] |
	"  Cluster \(.metadata.name): phase \(.status.phase), endpoint \(.spec.controlPlaneEndpoint.host):\(.spec.controlPlaneEndpoint.port)"'
kget /apis/controlplane.cluster.x-k8s.io/v1beta2/namespaces/default/kubeadmcontrolplanes | jq -r '.items[] |
	"  KubeadmControlPlane \(.metadata.name): \(.status.readyReplicas)/\(.spec.replicas) ready, \(.spec.version)"'
kget /apis/cluster.x-k8s.io/v1beta2/namespaces/default/machinedeployments | jq -r '.items[] |
	"  MachineDeployment \(.metadata.name): \(.status.readyReplicas)/\(.spec.replicas) ready\(
		if .metadata.annotations then " (autoscaler bounds set)" else "" end)"'
echo "A second plan is empty: controller-set fields never show as drift."

step "terraform destroy (simulated management cluster)"
"$tf" destroy -auto-approve -input=false -no-color "${kvar[@]}" || die "terraform destroy failed"
left=$(kget /apis/cluster.x-k8s.io/v1beta2/namespaces/default/clusters | jq '.items | length')
[[ $left == 0 ]] || die "$left Cluster(s) left after destroy"
bash "$repo/tests/k8s-emu/emu.sh" stop "$work/emu"

echo "demo: OK"
