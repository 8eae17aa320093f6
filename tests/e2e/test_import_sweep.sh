#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# Import sweep: objects made by hand with `lxc` the way users make them (a
# cluster member, a dir pool with its own source and a key, a bridge uplink
# and an OVN network with keys), imported with `import {}` blocks and then
# again with `terraform import`, each time with the minimal configuration
# that names them: the plan after the import must be empty. The three data
# sources must read what `lxc` shows. Nothing is created or destroyed by
# Terraform here; the objects stay the user's (state rm at the end).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin import_sweep
rig_start sweep 1 --ovn

# ------------------------------------------------------------ by hand
mkdir -p "$RIG_N1_POOLS/hand"
require "by hand: lxc storage create" lxc_n1 storage create sw-pool dir \
	"source=$RIG_N1_POOLS/hand" rsync.bwlimit=3MB
require "by hand: lxc network create (bridge uplink)" lxc_n1 network create sw-up \
	ipv4.address=198.51.100.1/24 ipv6.address=none ipv4.nat=false \
	ipv4.dhcp.ranges=198.51.100.10-198.51.100.50 \
	ipv4.ovn.ranges=198.51.100.100-198.51.100.150
require "by hand: lxc network create --type=ovn" lxc_n1 network create sw-ovn --type=ovn \
	network=sw-up dns.domain=sweep.example.test user.owner=ops
require "by hand: lxc cluster set node1 (a member key)" lxc_n1 cluster set node1 user.rack=a

minimal_hcl='
resource "lxd_storage_pool" "pool" {
  name   = "sw-pool"
  driver = "dir"
}

resource "lxd_ovn_network" "ovn" {
  name   = "sw-ovn"
  uplink = "sw-up"
}

resource "lxd_node" "n1" {
  name = "node1"
}'

blocks_hcl='
import {
  to = lxd_storage_pool.pool
  id = "sw-pool"
}

import {
  to = lxd_ovn_network.ovn
  id = "sw-ovn"
}

import {
  to = lxd_node.n1
  id = "node1"
}'

# ------------------------------------------------------------ import {} blocks
tf_workdir blocks
{
	provider_hcl
	printf '%s\n%s\n' "$minimal_hcl" "$blocks_hcl"
} | write_tf
require "blocks: init" tf_show_on_fail init -input=false -no-color
check "blocks: plan imports 3 and changes nothing" expect_exit 2 plan_exit
check "blocks: ... 3 to import, 0 to add, 0 to change, 0 to destroy" \
	out_has '3 to import, 0 to add, 0 to change, 0 to destroy'
check "blocks: apply" apply_ok
check "blocks: plan is empty" expect_exit 0 plan_exit
check "blocks: a key set by hand later shows in -refresh-only" \
	lxc_n1 storage set sw-pool rsync.compression false
check "blocks: ... exit 2" expect_exit 2 plan_exit -refresh-only
check "blocks: state rm (objects stay)" tf_show_on_fail state rm \
	lxd_storage_pool.pool lxd_ovn_network.ovn lxd_node.n1
check "blocks: lxc storage unset" lxc_n1 storage unset sw-pool rsync.compression

# ------------------------------------------------------------ terraform import
tf_workdir cli
{
	provider_hcl
	printf '%s\n' "$minimal_hcl"
} | write_tf
require "cli: init" tf_show_on_fail init -input=false -no-color
check "cli: import the pool" tf_show_on_fail import -input=false -no-color lxd_storage_pool.pool sw-pool
check "cli: import the OVN network" tf_show_on_fail import -input=false -no-color lxd_ovn_network.ovn sw-ovn
check "cli: import the member" tf_show_on_fail import -input=false -no-color lxd_node.n1 node1
check "cli: plan is empty" expect_exit 0 plan_exit
check "cli: state rm (objects stay)" tf_show_on_fail state rm \
	lxd_storage_pool.pool lxd_ovn_network.ovn lxd_node.n1

# ------------------------------------------------------------ data sources = lxc
tf_workdir data
{
	provider_hcl
	cat <<'EOF'
data "lxd_cluster" "c" {}
data "lxd_server" "s" {}
data "lxd_network" "ovn" {
  name = "sw-ovn"
}
data "lxd_network" "up" {
  name = "sw-up"
}

output "cluster" {
  value = data.lxd_cluster.c
}
output "server" {
  value = data.lxd_server.s
}
output "ovn" {
  value = data.lxd_network.ovn
}
output "up" {
  value = data.lxd_network.up
}
EOF
} | write_tf
require "data: init" tf_show_on_fail init -input=false -no-color
check "data: apply" apply_ok
# same VALUE-JQ(terraform output) LXC-JQ(lxc json) LXC-ARGS... — equal.
same() {
	local out_jq=$1 lxc_jq=$2 a b
	shift 2
	a=$(cd "$TF_DIR" && timeout 60 "$TERRAFORM" output -json | jq -cS "$out_jq") || return 1
	b=$(lxc_n1 "$@" | jq -cS "$lxc_jq") || return 1
	[[ $a == "$b" ]] || {
		echo "  terraform: $a"
		echo "  lxc:       $b"
		return 1
	}
}
check "data lxd_cluster: members and their status = lxc cluster list" \
	same '[.cluster.value.members[] | {name, status}] | sort_by(.name)' \
	'[.[] | {name: .server_name, status}] | sort_by(.name)' cluster list --format json
check "data lxd_cluster: member url = lxc" \
	same '[.cluster.value.members[] | .url] | sort' '[.[] | .url] | sort' cluster list --format json
check "data lxd_server: name, version, kernel = lxc query /1.0" \
	same '.server.value | [.server_name, .server_version, .kernel_version, .clustered]' \
	'.environment | [.server_name, .server_version, .kernel_version, .server_clustered]' query /1.0
check "data lxd_server: fingerprint and extensions = lxc query /1.0" \
	same '.server.value | [.certificate_fingerprint, (.api_extensions | length)]' \
	'[.environment.certificate_fingerprint, (.api_extensions | length)]' query /1.0
check "data lxd_network (ovn): type and config = lxc network show" \
	same '.ovn.value | [.type, .config["dns.domain"], .config["user.owner"], .config.network]' \
	'[.type, .config["dns.domain"], .config["user.owner"], .config.network]' \
	query /1.0/networks/sw-ovn
check "data lxd_network (bridge): ovn ranges = lxc network show" \
	same '.up.value.config["ipv4.ovn.ranges"]' '.config["ipv4.ovn.ranges"]' query /1.0/networks/sw-up
check "data: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ clean up by hand
check "cleanup: lxc network delete sw-ovn" lxc_n1 network delete sw-ovn
check "cleanup: lxc network delete sw-up" lxc_n1 network delete sw-up
check "cleanup: lxc storage delete sw-pool" lxc_n1 storage delete sw-pool

e2e_end
