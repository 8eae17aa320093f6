#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# A network cut to a remote member reached over HTTPS: a 2-member cluster;
# Terraform runs inside member 1's network namespace and the provider talks
# to member 2 (https://203.0.113.2:8443, pinned certificate, trusted client
# certificate) while it creates 8 pools. Once two pools exist, member 2's
# only link (eth0 in its namespace) goes down for LINK_DOWN seconds —
# longer than the provider's default request timeout — then up again.
# After the cluster is whole again: the invariants, over the same HTTPS path.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"
# shellcheck source=fault_inject.sh
source "$here/fault_inject.sh"

LINK_DOWN=${LINK_DOWN:-40}

e2e_begin lxd_link_faults
fault_rig_start falnk 2

# Terraform (and so the provider) in member 1's namespace.
wrapper=$E2E_WORK/terraform-in-netns
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$RIG_N1_NETNS" "$TERRAFORM" >"$wrapper"
chmod +x "$wrapper"
TERRAFORM=$wrapper

# A client certificate the cluster trusts, and member 2's certificate pin.
certs=$E2E_WORK/certs
mkdir -p "$certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$certs/client.key" -out "$certs/client.crt" -days 1 -subj /CN=e2e-faults \
	>/dev/null 2>&1
trust_body=$(jq -cn --arg c "$(sed '1d;$d' "$certs/client.crt" | tr -d '\n')" \
	'{type: "client", name: "e2e-faults", certificate: $c}')
require "setup: trust the client certificate" api_do POST /1.0/certificates "$trust_body"
fp2=$(curl --silent --max-time 30 --unix-socket "$RIG_N2_SOCKET" http://lxd/1.0 |
	jq -r .metadata.environment.certificate_fingerprint)

# link_tf PREFIX — 8 pools, through member 2 over HTTPS.
link_tf() {
	cat <<EOF | write_tf
terraform {
  required_providers {
    lxd = {
      source = "lxdcapi/lxd"
    }
  }
}

provider "lxd" {
  address            = "https://$RIG_N2_ADDRESS"
  client_certificate = file("$certs/client.crt")
  client_key         = file("$certs/client.key")
  server_fingerprint = "$fp2"
}

resource "lxd_storage_pool" "p" {
  count       = 8
  name        = format("$1-%02d", count.index)
  driver      = "dir"
  description = "over https"
}
EOF
}

pools_exist() {
	local n
	n=$(curl -s --max-time 2 --unix-socket "$RIG_N1_SOCKET" http://lxd/1.0/storage-pools |
		jq --arg re "$1" '[.metadata[] | split("/") | last | select(test($re))] | length') || return 1
	((n >= $2))
}

cut_link() {
	fault_rig link 2 down || return 1
	if fault_tf_pid >/dev/null; then
		fault_mark_fired "eth0 of member 2 down while terraform ran"
	fi
	sleep "$LINK_DOWN"
	fault_rig link 2 up
}

fault_begin link-cut "HTTPS to member 2: its link down ${LINK_DOWN}s while 8 pools are created, then up" \
	pools '^link-cut-[0-9]+$'
link_tf link-cut
fault_check "init" tf_show_on_fail init -input=false -no-color
fault_bg fault_when 60 pools_exist '^link-cut-[0-9]+$' 2 -- cut_link
fault_run apply -auto-approve -input=false -no-color -parallelism=4
fault_bg_wait
fault_injected
fault_check "the link is up again" fault_rig link 2 up
fault_check "LXD is back (both members Online)" fault_lxd_back 1 2
fault_invariants -parallelism=4
fault_end

e2e_end
