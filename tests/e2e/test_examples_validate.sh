#!/usr/bin/env bash
# Every example under examples/ (each directory with a terraform{} block, i.e.
# a root module) passes `terraform init` and `terraform validate` with this
# provider's real schemas, so no example refers to an attribute or resource
# the provider does not have. Modules under examples/modules/ are validated
# through the roots that call them. No LXD or management cluster is needed:
# validate never configures the providers.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin examples_validate

roots=()
for d in "$REPO_ROOT"/examples/*/; do
	d=${d%/}
	[[ $(basename "$d") == modules ]] && continue
	grep -qs '^terraform {' "$d"/*.tf && roots+=("$(basename "$d")")
done
check "found the example root modules (${roots[*]})" test "${#roots[@]}" -ge 4

for r in "${roots[@]}"; do
	# The whole examples/ tree, so relative module sources resolve.
	tf_workdir "tree-$r"
	cp -r "$REPO_ROOT/examples/." "$E2E_WORK/tree-$r/"
	tf_workdir "tree-$r/$r"
	rm -rf "$TF_DIR/.terraform" "$TF_DIR/.terraform.lock.hcl"
	check "$r: init" tf init -no-color -backend=false
	check "$r: validate" tf validate -no-color
done

e2e_end
