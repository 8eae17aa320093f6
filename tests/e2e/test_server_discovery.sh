#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# Which server the provider finds and says it talks to, on LXD and on Incus
# (RIG_SERVER): with an empty provider block, the socket comes from the
# server's own variable (LXD_DIR on LXD, INCUS_SOCKET and INCUS_DIR on
# Incus, nothing else set); data.lxd_server reports the kind and version
# GET /1.0 gives; a feature the server lacks fails the plan with an error
# naming the server and its version.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin server_discovery
rig_start disc 1
version=$(api_get /1.0 | jq -r .environment.server_version)
case $RIG_SERVER in
incus) kind=Incus ;;
*) kind=LXD ;;
esac
e2e_say "server: $RIG_SERVER $version"

tf_workdir main
write_tf <<'EOF'
terraform {
  required_providers {
    lxd = { source = "lxdcapi/lxd" }
  }
}

provider "lxd" {}

data "lxd_server" "s" {}

output "server" {
  value = data.lxd_server.s.server
}
output "version" {
  value = data.lxd_server.s.server_version
}
EOF

# with_only VAR VALUE ARGS... — tf ARGS with VAR=VALUE the only socket
# variable set (LXD_SOCKET, LXD_DIR, INCUS_SOCKET, INCUS_DIR).
with_only() {
	local var=$1 val=$2 v rc=0
	shift 2
	local -A saved=()
	for v in LXD_SOCKET LXD_DIR INCUS_SOCKET INCUS_DIR; do
		[[ -n ${!v+x} ]] && saved[$v]=${!v}
		unset "$v"
	done
	export "$var=$val"
	tf_show_on_fail "$@" || rc=$?
	unset "$var"
	for v in "${!saved[@]}"; do export "$v=${saved[$v]}"; done
	return "$rc"
}

require "init" tf init -input=false -no-color
if [[ $RIG_SERVER == incus ]]; then
	check "empty provider block, INCUS_SOCKET only: apply" \
		with_only INCUS_SOCKET "$RIG_N1_SOCKET" apply -auto-approve -input=false -no-color
	check "INCUS_SOCKET: data.lxd_server.server = incus" output_is server . incus
	check "empty provider block, INCUS_DIR only: apply" \
		with_only INCUS_DIR "$RIG_N1_LXD_DIR" apply -auto-approve -input=false -no-color
	check "INCUS_DIR: data.lxd_server.server = incus" output_is server . incus
else
	check "empty provider block, LXD_DIR only: apply" \
		with_only LXD_DIR "$RIG_N1_LXD_DIR" apply -auto-approve -input=false -no-color
	check "LXD_DIR: data.lxd_server.server = lxd" output_is server . lxd
fi
check "data.lxd_server.server_version = GET /1.0 ($version)" output_is version . "$version"

# out_text REGEX — the last output matches, Terraform's line wrapping undone
# (diagnostics are wrapped at word boundaries).
out_text() {
	tr '\n' ' ' <"$TF_LAST_LOG" | sed 's/ *│ */ /g; s/  */ /g' | grep -qE -- "$1" || {
		echo "  '$1' not found in $TF_LAST_LOG"
		return 1
	}
}

# A driver the server cannot offer: the plan names the server.
tf_workdir driver
{
	provider_hcl
	cat <<'EOF'
resource "lxd_storage_pool" "p" {
  name   = "tfdisc"
  driver = "lvmcluster"
}
EOF
} | write_tf
require "driver: init" tf init -input=false -no-color
check "lvmcluster: plan fails" expect_exit 1 tf plan -input=false -no-color
check "lvmcluster: the error names the server ($kind $version)" out_text "$kind $version"
if [[ $RIG_SERVER == incus ]]; then
	# Incus has the extension; this machine has no lvmlockd, so the
	# driver is not among the supported ones.
	check "lvmcluster on Incus: not a supported driver here" out_text 'does not support the "lvmcluster"'
else
	check "lvmcluster on LXD: the missing API extension is named" out_text 'storage_lvm_cluster'
fi
check "lvmcluster: nothing was created" pool_absent tfdisc

e2e_end
