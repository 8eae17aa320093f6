#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# lxd_node faults: a 1-member cluster and two standalone daemons (2, 3)
# that lxd_node joins through their unix sockets — each behind the fault
# proxy. Right after the joining daemon accepted the join request
# (PUT /1.0/cluster answered), the joiner itself (daemon 2) or, in a second
# fault, the cluster leader (member 1, joining daemon 3) is SIGKILLed and
# restarted 1 s later, while the provider waits for the join operation;
# then daemon 2 again, after its join operation finished but before the
# provider got that answer.
# After each: the invariants on cluster members (no member missing from
# state, apply converges, empty plan, destroy removes the member).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"
# shellcheck source=fault_inject.sh
source "$here/fault_inject.sh"

e2e_begin lxd_join_faults
fault_rig_start fajn 1
for k in 2 3; do
	require "setup: standalone daemon $k" "$RIG" standalone fajn "$k"
	eval "$(rig_standalone_env "$RIG_NAME" "$k")"
done

# node_tf K JOIN-SOCKET — lxd_node nodeK joining daemon K.
node_tf() {
	local addr_var="RIG_N$1_ADDRESS"
	{
		provider_hcl "$RIG_N1_SOCKET"
		cat <<EOF
resource "lxd_node" "n" {
  name           = "node$1"
  server_address = "${!addr_var}"
  join_target {
    socket = "$2"
  }
}
EOF
	} | write_tf
}

PUT_CLUSTER='nth=1 method=PUT path=^/1\.0/cluster$ when=after action=exec'

# join_fault ID K VICTIM DESC — nodeK joins; VICTIM is killed.
join_fault() {
	local id=$1 k=$2 victim=$3 desc=$4 sock_var="RIG_N$2_SOCKET"
	fault_begin "$id" "$desc" members "^node$k\$"
	if ! fault_proxy_start "${!sock_var}" "$PUT_CLUSTER cmd=$(fault_cmd_kill_restart "$victim" async)"; then
		fail "$id: the fault proxy did not start"
		FAULT_CONVERGED=0
		fault_end
		return 0
	fi
	node_tf "$k" "$FP_SOCK"
	fault_check "init" tf_show_on_fail init -input=false -no-color
	fault_run apply -auto-approve -input=false -no-color
	fault_proxy_fired 1
	fault_injected
	fault_check "LXD is back" fault_lxd_back --daemons-only 1 "$k"
	fault_invariants
	fault_proxy_stop
	fault_end
}

join_fault join-kill-joiner 2 2 \
	"join: the joining daemon SIGKILLed right after it accepted the join (back after 1s)"
join_fault join-kill-leader 3 1 \
	"join: the cluster leader SIGKILLed right after the joiner accepted the join (back after 1s)"

# (ii) for a join: the join operation finished on daemon 2 (reset to
# standalone by the first fault's destroy), then daemon 2 is killed before
# the provider hears so (restarted at once).
fault_begin join-done-lost \
	"join: the joining daemon SIGKILLed after the join finished, before the provider heard (restarted at once)" \
	members '^node2$'
if fault_proxy_start "$RIG_N2_SOCKET" \
	"nth=1 method=GET path=^/1\.0/operations/[^/]+/wait when=after action=exec then=drop cmd=$(fault_cmd_kill_restart 2 sync)"; then
	node_tf 2 "$FP_SOCK"
	fault_check "init" tf_show_on_fail init -input=false -no-color
	fault_run apply -auto-approve -input=false -no-color
	fault_proxy_fired 1
	fault_injected
	fault_check "LXD is back" fault_lxd_back --daemons-only 1 2
	fault_invariants
	fault_proxy_stop
else
	fail "join-done-lost: the fault proxy did not start"
	FAULT_CONVERGED=0
fi
fault_end

e2e_end
