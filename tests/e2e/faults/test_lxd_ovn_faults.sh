#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# lxd_ovn_network faults on a 1-member cluster with real OVS/OVN: LXD
# SIGKILLed and restarted while three OVN networks are created — timed (as
# soon as the first network shows up on the server, while the provider
# waits for its chassis) and, through the fault proxy, right after LXD
# created the second network but before the answer reached the provider.
# After each: the invariants (no orphan networks, apply converges, empty
# plan, clean destroy).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"
# shellcheck source=fault_inject.sh
source "$here/fault_inject.sh"

e2e_begin lxd_ovn_faults
fault_rig_start faovn 1 --ovn
require "setup: uplink bridge with ipv4.ovn.ranges" lxc_n1 network create faup \
	ipv4.address=198.51.100.1/24 ipv6.address=none ipv4.nat=false \
	ipv4.dhcp.ranges=198.51.100.10-198.51.100.50 \
	ipv4.ovn.ranges=198.51.100.100-198.51.100.150

# ovn_tf SOCKET PREFIX — three OVN networks PREFIX-0..2 on the uplink.
ovn_tf() {
	{
		provider_hcl "$1"
		cat <<EOF
resource "lxd_ovn_network" "n" {
  count        = 3
  name         = "$2-\${count.index}"
  uplink       = "faup"
  ipv4_address = format("192.0.2.%d/28", count.index * 16 + 1)
  ipv4_nat     = true
  ipv6_address = "none"
  config = {
    "user.fault" = "$2"
  }
}
EOF
	} | write_tf
}

net_exists() {
	[[ $(curl -s --max-time 2 --unix-socket "$RIG_N1_SOCKET" \
		"http://lxd/1.0/networks/$1" | jq -r '.metadata.managed // false') == true ]]
}

# ------------------------------------------------------------ timed
fault_begin ovn-kill "OVN: SIGKILL+restart of LXD once the first of 3 OVN networks exists (timed)" \
	networks '^ovn-kill-[0-9]+$'
ovn_tf "$RIG_N1_SOCKET" ovn-kill
fault_check "init" tf_show_on_fail init -input=false -no-color
fault_bg fault_when 60 net_exists ovn-kill-0 -- fault_kill_restart 1 1
fault_run apply -auto-approve -input=false -no-color
fault_bg_wait
fault_injected
fault_check "LXD is back" fault_lxd_back 1
fault_invariants
fault_end

# ------------------------------------------------------------ proxy
fault_begin ovn-post-after "OVN: LXD killed after creating the 2nd OVN network, before the answer (restarted at once)" \
	networks '^ovn-after-[0-9]+$'
if fault_proxy_start "$RIG_N1_SOCKET" \
	"nth=2 method=POST path=^/1\.0/networks(\?|$) when=after action=exec then=drop cmd=$(fault_cmd_kill_restart 1 sync)"; then
	ovn_tf "$FP_SOCK" ovn-after
	fault_check "init" tf_show_on_fail init -input=false -no-color
	fault_run apply -auto-approve -input=false -no-color -parallelism=1
	fault_proxy_fired 1
	fault_injected
	fault_check "LXD is back" fault_lxd_back 1
	fault_invariants
	fault_proxy_stop
else
	fail "ovn-post-after: the fault proxy did not start"
	FAULT_CONVERGED=0
fi
fault_end

e2e_end
