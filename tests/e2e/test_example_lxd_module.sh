#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# examples/lxd-seed (calling examples/modules/lxd-cluster) run as its README
# says, with the real terraform, against two rigs:
#   ovn   — a 1-member cluster with OVN and an uplink bridge the test makes:
#           storage pool + OVN network on the uplink;
#   join  — a 2-member cluster plus a standalone daemon 3 that the module
#           joins as node3 in the same apply that creates the pool with a
#           source on each of the three members (OVN disabled: only member
#           1 of a rig runs OVN).
# Each: init, apply, empty plan, an in-place change through a variable, empty
# plan, destroy — checking the LXD objects through the API after each step.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin example_lxd_module

# copy_example NAME — the example tree (lxd-seed + modules/) copied into the
# work dir; terraform runs in the copy of lxd-seed.
copy_example() {
	tf_workdir "$1/lxd-seed"
	cp -r "$REPO_ROOT/examples/lxd-seed/." "$TF_DIR/"
	mkdir -p "$E2E_WORK/$1/modules"
	cp -r "$REPO_ROOT/examples/modules/lxd-cluster" "$E2E_WORK/$1/modules/"
	rm -rf "$TF_DIR/.terraform" "$TF_DIR/.terraform.lock.hcl" "$TF_DIR"/terraform.tfstate*
}

# tfvars JSON — the example's variables (terraform.tfvars.json, auto-loaded).
tfvars() { printf '%s\n' "$1" >"$TF_DIR/terraform.tfvars.json"; }

# out_joined REGEX — the last terraform output matches with lines joined
# (Terraform wraps diagnostics).
out_joined() {
	tr '\n' ' ' <"$TF_LAST_LOG" | tr -s ' ' | grep -qE -- "$1" || {
		echo "  '$1' not found in $TF_LAST_LOG (lines joined)"
		return 1
	}
}

# no_output NAME — the root module has no (non-null) output NAME.
no_output() {
	local all
	all=$(cd "$TF_DIR" && timeout 120 "$TERRAFORM" output -json) || return 1
	jq -e --arg n "$1" 'has($n) | not' <<<"$all" >/dev/null || {
		echo "  output $1 present: $(jq -c --arg n "$1" '.[$n]' <<<"$all")"
		return 1
	}
}

net_absent() { [[ $(api_get "/1.0/networks/$1") == null ]]; }
member_absent() { [[ $(api_get "/1.0/cluster/members/$1") == null ]]; }

# ============================================================ OVN rig
rig_start mod1 1 --ovn
[[ -n ${RIG_OVN_NB:-} ]] || {
	fail "rig mod1 has no OVN northbound connection (RIG_OVN_NB)"
	e2e_end
}
require "ovn: uplink bridge with ipv4.ovn.ranges" lxc_n1 network create modup \
	ipv4.address=198.51.100.1/24 ipv6.address=none ipv4.nat=false \
	ipv4.dhcp.ranges=198.51.100.10-198.51.100.50 \
	ipv4.ovn.ranges=198.51.100.100-198.51.100.150
mkdir -p "$RIG_N1_POOLS/seed"

# ovn_vars DESCRIPTION
ovn_vars() {
	tfvars "$(jq -n --arg sock "$RIG_N1_SOCKET" --arg src "$RIG_N1_POOLS/seed" --arg d "$1" '{
	  lxd_socket: $sock,
	  storage_pool: { name: "seed", description: "seed pool", sources: { node1: $src } },
	  ovn: { network_name: "seednet", uplink: "modup", description: $d,
	         dns_domain: "seed.example.test", config: { "user.role": "seed" } }
	}')"
}

# in_ovn_range ADDR — inside modup's ipv4.ovn.ranges.
in_ovn_range() {
	local last=${1##*.}
	[[ $1 == 198.51.100.* && $last -ge 100 && $last -le 150 ]] || {
		echo "  '$1' is not inside 198.51.100.100-198.51.100.150"
		return 1
	}
}
tf_out_json() { (cd "$TF_DIR" && timeout 120 "$TERRAFORM" output -json "$1"); }

copy_example ovn
ovn_vars "seed network"
require "ovn: init" tf_show_on_fail init -input=false -no-color
check "example: terraform validate" tf_show_on_fail validate -no-color

# The README's terraform.tfvars.example fits the example's variables.
example_tfvars_ok() {
	local got
	got=$(cd "$TF_DIR" && echo 'jsonencode([keys(var.storage_pool.sources), var.joining_members.node3.failure_domain, var.ovn.uplink])' |
		timeout 120 "$TERRAFORM" console -no-color -var-file=terraform.tfvars.example 2>&1) || {
		echo "  terraform console -var-file=terraform.tfvars.example failed: $got"
		return 1
	}
	[[ $got == '"[[\"node1\",\"node2\",\"node3\"],\"rack-b\",\"lxdbr0\"]"' ]] || {
		echo "  unexpected values from terraform.tfvars.example: $got"
		return 1
	}
}
check "example: terraform.tfvars.example fits the variables" example_tfvars_ok

# The module's uplink check, at plan time, before anything is created.
lxc_n1 network create modbare ipv4.address=192.0.2.129/25 ipv6.address=none ipv4.nat=false >/dev/null
tfvars "$(jq '.ovn.uplink = "modbare"' "$TF_DIR/terraform.tfvars.json")"
check "ovn: plan with an uplink without OVN ranges fails" expect_exit 1 plan_exit
check "ovn: the error says to set ipv4.ovn.ranges" out_joined 'modbare.*has neither ipv4.ovn.ranges nor ipv6.ovn.ranges'
tfvars "$(jq '.ovn.uplink = "modmissing"' "$TF_DIR/terraform.tfvars.json")"
check "ovn: plan with a missing uplink fails" expect_exit 1 plan_exit
check "ovn: the error names the missing uplink" out_has 'modmissing'
check "ovn: nothing created by failed plans" pool_absent seed
ovn_vars "seed network"

check "ovn: apply" apply_ok
check "ovn: plan is empty" expect_exit 0 plan_exit
check "ovn: pool seed Created" api_eq /1.0/storage-pools/seed .status Created
check "ovn: pool source on node1" api_eq '/1.0/storage-pools/seed?target=node1' .config.source "$RIG_N1_POOLS/seed"
check "ovn: pool description" api_eq /1.0/storage-pools/seed .description "seed pool"
check "ovn: network seednet is ovn on modup" \
	api_eq /1.0/networks/seednet '"\(.type) \(.config.network) \(.status)"' "ovn modup Created"
check "ovn: network description" api_eq /1.0/networks/seednet .description "seed network"
check "ovn: network dns.domain and user key" \
	api_eq /1.0/networks/seednet '"\(.config["dns.domain"]) \(.config["user.role"])"' "seed.example.test seed"
check "ovn: output network_name" output_is network_name . seednet
check "ovn: output storage_pool" output_is storage_pool '"\(.name) \(.locations | join(","))"' "seed node1"
check "ovn: output members" output_is members 'to_entries | map("\(.key)=\(.value)") | join(",")' \
	"node1=https://$RIG_N1_ADDRESS"
check "ovn: output joined_members is empty" output_is joined_members 'length' 0
check "ovn: output ipv4_subnet is the network's ipv4.address" output_is network_addresses .ipv4_subnet \
	"$(api_get /1.0/networks/seednet | jq -r '.config["ipv4.address"]')"
up4=$(tf_out_json network_addresses | jq -r .uplink_ipv4_address)
check "ovn: output uplink_ipv4_address in the uplink's OVN range" in_ovn_range "$up4"
check "ovn: uplink address is the network's volatile address" \
	api_eq /1.0/networks/seednet '.config["volatile.network.ipv4.address"]' "$up4"
check "ovn: output ipv6_subnet is empty (ipv6 none)" output_is network_addresses .ipv6_subnet ""

ovn_vars "seed network, changed"
check "ovn: change description: plan has changes" expect_exit 2 plan_exit
check "ovn: change description: update in place, nothing replaced" out_has '0 to add, 1 to change, 0 to destroy'
check "ovn: change description: apply" apply_ok
check "ovn: change description: plan is empty" expect_exit 0 plan_exit
check "ovn: change description: on the server" api_eq /1.0/networks/seednet .description "seed network, changed"
check "ovn: change description: subnet unchanged" output_is network_addresses .uplink_ipv4_address "$up4"

check "ovn: destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "ovn: network gone" net_absent seednet
check "ovn: pool gone" pool_absent seed
check "ovn: uplink kept" api_eq /1.0/networks/modup .type bridge
check "ovn: state empty" state_empty

# ============================================================ join rig
rig_start mod2 2
if ! "$RIG" standalone mod2 3; then
	fail "could not start standalone daemon 3 of rig mod2"
	e2e_end
fi
eval "$(rig_standalone_env mod2 3)"
mkdir -p "$RIG_N1_POOLS/seed" "$RIG_N2_POOLS/seed" "$RIG_N3_POOLS/seed"

# join_vars FAILURE-DOMAIN [EXTRA-SOURCES-JQ]
join_vars() {
	tfvars "$(jq -n --arg sock "$RIG_N1_SOCKET" --arg s3 "$RIG_N3_SOCKET" --arg a3 "$RIG_N3_ADDRESS" \
		--arg p1 "$RIG_N1_POOLS/seed" --arg p2 "$RIG_N2_POOLS/seed" --arg p3 "$RIG_N3_POOLS/seed" \
		--arg fd "$1" '{
	  lxd_socket: $sock,
	  joining_members: { node3: { socket: $s3, server_address: $a3, failure_domain: $fd,
	                              description: "joined by the module" } },
	  storage_pool: { name: "seed", sources: { node1: $p1, node2: $p2, node3: $p3 } },
	  ovn: null
	}'"${2:+ | $2}")"
}

copy_example join
join_vars rack-a '.storage_pool.sources.node9 = "/nonexistent"'
require "join: init" tf_show_on_fail init -input=false -no-color
check "join: plan with a source for an unknown member fails" expect_exit 1 plan_exit
check "join: the error names it and the members" out_joined 'names node9, neither a cluster member \(node1, node2\) nor in joining_members'
join_vars rack-a '.joining_members.node3.socket = null'
check "join: plan with neither socket nor address fails" expect_exit 1 plan_exit
check "join: the error says so" out_joined 'exactly one of .socket. and .address.'
check "join: nothing joined by failed plans" member_absent node3

join_vars rack-a
check "join: plan (one apply: join + pool)" expect_exit 2 plan_exit
check "join: plan adds the member and the pool" out_has '2 to add, 0 to change, 0 to destroy'
check "join: the pool's member_config waits for the join" out_has 'member_config += \(known after apply\)'
check "join: apply" apply_ok
check "join: plan is empty" expect_exit 0 plan_exit
check "join: node3 is an online member" api_eq /1.0/cluster/members/node3 '"\(.status) \(.url)"' "Online https://$RIG_N3_ADDRESS"
check "join: node3 failure domain" api_eq /1.0/cluster/members/node3 .failure_domain rack-a
check "join: node3 description" api_eq /1.0/cluster/members/node3 .description "joined by the module"
check "join: pool seed on the three members" api_eq /1.0/storage-pools/seed '"\(.status) \(.locations | sort | join(","))"' "Created node1,node2,node3"
for k in 1 2 3; do
	src_var=RIG_N${k}_POOLS
	check "join: pool source on node$k" api_eq "/1.0/storage-pools/seed?target=node$k" .config.source "${!src_var}/seed"
done
check "join: output members" output_is members 'keys | join(",")' node1,node2,node3
check "join: output joined_members" output_is joined_members .node3 "https://$RIG_N3_ADDRESS"
check "join: output storage_pool locations" output_is storage_pool '.locations | join(",")' node1,node2,node3
check "join: no network outputs (ovn null)" no_output network_name

join_vars rack-b
check "join: change failure domain: plan has changes" expect_exit 2 plan_exit
check "join: change failure domain: update in place, nothing replaced" out_has '0 to add, 1 to change, 0 to destroy'
check "join: change failure domain: apply" apply_ok
check "join: change failure domain: plan is empty" expect_exit 0 plan_exit
check "join: change failure domain: on the server" api_eq /1.0/cluster/members/node3 .failure_domain rack-b
check "join: change failure domain: pool untouched" api_eq '/1.0/storage-pools/seed?target=node3' .config.source "$RIG_N3_POOLS/seed"

check "join: destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "join: pool gone" pool_absent seed
check "join: node3 removed" member_absent node3
check "join: members left" api_eq /1.0/cluster/members 'map(split("/") | last) | sort | join(",")' node1,node2
check "join: state empty" state_empty

# ------------------------------------------------------------ add a member later
# The README's second case: the pool exists first, a member joins later (the
# module passes the pool's source to the join; the pool adds the member's
# entry in the same apply).
api3_clustered() {
	curl --silent --max-time 30 --unix-socket "$RIG_N3_SOCKET" http://lxd/1.0 |
		jq -r .metadata.environment.server_clustered 2>/dev/null
}
wait_standalone3() {
	local i
	for ((i = 0; i < 60; i++)); do
		[[ $(api3_clustered) == false ]] && return 0
		sleep 0.5
	done
	echo "  daemon 3 still clustered (or not answering) after 30s"
	return 1
}
require "later: daemon 3 is standalone again" wait_standalone3
mkdir -p "$RIG_N1_POOLS/seed" "$RIG_N2_POOLS/seed" "$RIG_N3_POOLS/seed"
join_vars rack-a '.joining_members = {} | del(.storage_pool.sources.node3)'
check "later: apply without joining members" apply_ok
check "later: plan is empty" expect_exit 0 plan_exit
check "later: pool on node1,node2" api_eq /1.0/storage-pools/seed '.locations | sort | join(",")' node1,node2
check "later: output joined_members is empty" output_is joined_members 'length' 0
join_vars rack-a
check "later: adding node3: plan has changes" expect_exit 2 plan_exit
check "later: adding node3: join + pool update in place" out_has '1 to add, 1 to change, 0 to destroy'
check "later: adding node3: apply" apply_ok
check "later: adding node3: plan is empty" expect_exit 0 plan_exit
check "later: node3 online" api_eq /1.0/cluster/members/node3 .status Online
check "later: pool on the three members" api_eq /1.0/storage-pools/seed '"\(.status) \(.locations | sort | join(","))"' "Created node1,node2,node3"
check "later: pool source on node3" api_eq '/1.0/storage-pools/seed?target=node3' .config.source "$RIG_N3_POOLS/seed"
check "later: destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "later: pool gone" pool_absent seed
check "later: node3 removed" member_absent node3
check "later: state empty" state_empty

e2e_end
