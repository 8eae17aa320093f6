#!/usr/bin/env bash
# docs.sh BIN write|check — the schema parts of docs/ from the provider's
# own schema (tests/docs/gen_docs.py says what is generated and how).
#
# Installs BIN as lxdcapi/lxd and lxdcapi/k8s in a private implied local
# mirror, runs `terraform init` and `terraform providers schema -json`
# offline, then rewrites the marked parts of docs/ (write) or fails listing
# the stale pages (check). Needs Terraform >= 1.11 (fails loudly without).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-}
mode=${2:-check}
version=0.1.0

die() {
	echo "docs.sh: ERROR: $*" >&2
	exit 2
}
[[ -x $bin ]] || die "usage: $0 PROVIDER-BINARY write|check (binary '$bin' missing; run make)"
[[ $mode == write || $mode == check ]] || die "mode must be write or check"
tf=/usr/local/bin/terraform
[[ -x $tf ]] || tf=$(command -v terraform) || die "terraform is not installed (need >= 1.11)"

work=$(mktemp -d /tmp/docs.XXXXXX)
trap 'rm -rf "$work"' EXIT
for t in lxd k8s; do
	d="$work/home/.terraform.d/plugins/registry.terraform.io/lxdcapi/$t/$version/linux_amd64"
	mkdir -p "$d"
	install -m 0755 "$bin" "$d/terraform-provider-${t}_v$version"
done
cat >"$work/main.tf" <<'HCL'
terraform {
  required_providers {
    lxd = { source = "lxdcapi/lxd" }
    k8s = { source = "lxdcapi/k8s" }
  }
}
HCL
export HOME=$work/home TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
: >"$work/terraformrc"
export TF_CLI_CONFIG_FILE=$work/terraformrc
unset TF_PLUGIN_CACHE_DIR TF_CLI_ARGS TF_DATA_DIR TF_LOG
(cd "$work" && timeout 120 "$tf" init -input=false -no-color >"$work/init.log" 2>&1) ||
	{ cat "$work/init.log" >&2; die "terraform init failed"; }
(cd "$work" && timeout 120 "$tf" providers schema -json >"$work/schema.json") ||
	die "terraform providers schema -json failed"
if [[ $mode == check ]]; then
	python3 "$here/gen_docs.py" --check "$work/schema.json" "$repo/docs"
	echo "docs: up to date with the schema"
else
	python3 "$here/gen_docs.py" "$work/schema.json" "$repo/docs"
fi
