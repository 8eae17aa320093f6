#!/usr/bin/env bash
# demo.sh — `make demo` (after `make install`): a sandboxed 1-member LXD in
# its own network namespace, examples/quickstart applied against it, an empty
# follow-up plan, a short summary, then everything is torn down again.
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
echo "demo: OK"
