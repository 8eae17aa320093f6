#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# lxd_storage_pool on a 2-member LXD cluster: clustered dir pool with
# per-member sources, import (full and minimal configuration), half-created
# pools (resumed when ours, refused otherwise), unknown member at plan time,
# partial failure (state kept, fix, converge), destroy.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin storage_pool_cluster
rig_start e2e-spc 2

# Pool sources: empty directories outside each member's LXD_DIR.
src1=$RIG_N1_POOLS/tfc
src2=$RIG_N2_POOLS/tfc
mkdir -p "$src1" "$src2"

# pool_tf NAME SOURCE1 SOURCE2 [MEMBER2-NAME]
pool_tf() {
	{
		provider_hcl
		cat <<EOF
resource "lxd_storage_pool" "c" {
  name        = "$1"
  driver      = "dir"
  description = "clustered"
  config = {
    "rsync.bwlimit" = "10MB"
  }
  member_config = {
    node1 = {
      source = "$2"
    }
    ${4:-node2} = {
      source = "$3"
    }
  }
}

output "status" {
  value = lxd_storage_pool.c.status
}

output "locations" {
  value = lxd_storage_pool.c.locations
}
EOF
	} | write_tf
}

# ------------------------------------------------------------ create
tf_workdir main
pool_tf tfc "$src1" "$src2"
require "init" tf_show_on_fail init -input=false -no-color
require "create: apply" apply_ok
check "create: plan is empty" expect_exit 0 plan_exit
check "create: cluster-wide status Created" api_eq /1.0/storage-pools/tfc .status Created
check "create: locations node1,node2" api_eq /1.0/storage-pools/tfc '.locations | sort | join(",")' node1,node2
check "create: node1 source" api_eq '/1.0/storage-pools/tfc?target=node1' .config.source "$src1"
check "create: node2 source" api_eq '/1.0/storage-pools/tfc?target=node2' .config.source "$src2"
check "create: node2 status Created" api_eq '/1.0/storage-pools/tfc?target=node2' .status Created
check "create: global key kept" api_eq /1.0/storage-pools/tfc '.config["rsync.bwlimit"]' 10MB
check "create: description" api_eq /1.0/storage-pools/tfc .description clustered
check "create: computed status" output_is status . Created
check "create: computed locations" output_is locations 'sort | join(",")' node1,node2

# ------------------------------------------------------------ import
tf_workdir imp
pool_tf tfc "$src1" "$src2"
require "import: init" tf_show_on_fail init -input=false -no-color
check "import: terraform import of the clustered pool" \
	tf_show_on_fail import -input=false -no-color lxd_storage_pool.c tfc
check "import: plan is empty (member_config read back per member)" expect_exit 0 plan_exit
# Two states must not both own the pool: forget it here.
check "import: state rm" tf_show_on_fail state rm lxd_storage_pool.c
check "import: pool untouched" api_eq /1.0/storage-pools/tfc .status Created

# ------------------------------------------------------------ import with a minimal configuration
# Made by hand the usual way on a cluster (one definition per member, then
# the create), imported, planned with only name and driver: empty (the
# member-specific sources are "whatever the server has").
mkdir -p "$RIG_N1_POOLS/hand" "$RIG_N2_POOLS/hand"
check "minimal import: lxc storage create --target node1" \
	lxc_n1 storage create tfp-hand dir "source=$RIG_N1_POOLS/hand" --target node1
check "minimal import: lxc storage create --target node2" \
	lxc_n1 storage create tfp-hand dir "source=$RIG_N2_POOLS/hand" --target node2
check "minimal import: lxc storage create" lxc_n1 storage create tfp-hand dir
tf_workdir minimal
{
	provider_hcl
	cat <<'EOF'
resource "lxd_storage_pool" "hand" {
  name   = "tfp-hand"
  driver = "dir"
}
EOF
} | write_tf
require "minimal import: init" tf_show_on_fail init -input=false -no-color
check "minimal import: terraform import" tf_show_on_fail import -input=false -no-color lxd_storage_pool.hand tfp-hand
check "minimal import: plan is empty (no member_config diff)" expect_exit 0 plan_exit
check "minimal import: state has node2's source" \
	bash -c "cd '$TF_DIR' && '$TERRAFORM' show -json | jq -e '.values.root_module.resources[0].values.member_config.node2.source == \"$RIG_N2_POOLS/hand\"'"
check "minimal import: destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "minimal import: pool gone" pool_absent tfp-hand

# ------------------------------------------------------------ half-created pools
# A pool left Pending by an interrupted create of the same definition is
# finished; one with another definition, or a finished pool not in state,
# is never adopted.
mkdir -p "$RIG_N1_POOLS/half" "$RIG_N2_POOLS/half" "$RIG_N2_POOLS/other"
tf_workdir half
pool_tf tfp-half "$RIG_N1_POOLS/half" "$RIG_N2_POOLS/half"
require "half: init" tf_show_on_fail init -input=false -no-color
check "half: a pending definition on node1 (as an interrupted create leaves it)" \
	api_do POST '/1.0/storage-pools?target=node1' \
	"{\"name\":\"tfp-half\",\"driver\":\"dir\",\"config\":{\"source\":\"$RIG_N1_POOLS/half\"}}"
check "half: apply finishes it" apply_ok
check "half: status Created" api_eq /1.0/storage-pools/tfp-half .status Created
check "half: node2 got its source" api_eq '/1.0/storage-pools/tfp-half?target=node2' .config.source "$RIG_N2_POOLS/half"
check "half: plan is empty" expect_exit 0 plan_exit
check "half: destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "half: a pending definition with another source on node2" \
	api_do POST '/1.0/storage-pools?target=node2' \
	"{\"name\":\"tfp-half\",\"driver\":\"dir\",\"config\":{\"source\":\"$RIG_N2_POOLS/other\"}}"
check "half: apply refuses it" expect_exit 1 tf apply -auto-approve -input=false -no-color
check "half: ... saying it is in the way" out_has 'Half-created storage pool is in the way'
check "half: ... naming the member" out_has 'node2'
check "half: nothing in state" state_empty
check "half: the foreign definition is untouched" api_eq '/1.0/storage-pools/tfp-half?target=node2' .config.source "$RIG_N2_POOLS/other"
check "half: delete it by hand" lxc_n1 storage delete tfp-half
check "half: a finished pool not in state" lxc_n1 storage create tfp-half dir "source=$RIG_N1_POOLS/half" --target node1
check "half: ... (node2)" lxc_n1 storage create tfp-half dir "source=$RIG_N2_POOLS/half" --target node2
check "half: ... (create)" lxc_n1 storage create tfp-half dir
check "half: apply refuses to adopt it" expect_exit 1 tf apply -auto-approve -input=false -no-color
check "half: ... and says to import it" out_has 'terraform import'
check "half: nothing in state (a destroy cannot remove it)" state_empty
check "half: delete it by hand" lxc_n1 storage delete tfp-half

# ------------------------------------------------------------ unknown member
tf_workdir node9
mkdir -p "$RIG_N1_POOLS/tfn9"
pool_tf tfp-node9 "$RIG_N1_POOLS/tfn9" /nonexistent/never node9
require "unknown member: init" tf_show_on_fail init -input=false -no-color
check "unknown member: plan fails" expect_exit 1 plan_exit
check "unknown member: error names node9" out_has 'node9'
check "unknown member: nothing created" pool_absent tfp-node9
check "unknown member: state empty" state_empty

# ------------------------------------------------------------ partial failure
tf_workdir partial
mkdir -p "$RIG_N1_POOLS/part" "$RIG_N2_POOLS/part-busy" "$RIG_N2_POOLS/part-ok"
echo "not empty" >"$RIG_N2_POOLS/part-busy/keep"
pool_tf tfp-part "$RIG_N1_POOLS/part" "$RIG_N2_POOLS/part-busy"
require "partial: init" tf_show_on_fail init -input=false -no-color
check "partial: apply with a non-empty node2 source fails" \
	expect_exit 1 tf apply -auto-approve -input=false -no-color
check "partial: the error is reported" out_has 'Error'
check "partial: state recorded the pool" state_has lxd_storage_pool.c
pool_tf tfp-part "$RIG_N1_POOLS/part" "$RIG_N2_POOLS/part-ok"
check "partial: apply with a fixed path converges" apply_ok
check "partial: plan is empty" expect_exit 0 plan_exit
check "partial: server status Created" api_eq /1.0/storage-pools/tfp-part .status Created
check "partial: node2 uses the fixed source" api_eq '/1.0/storage-pools/tfp-part?target=node2' .config.source "$RIG_N2_POOLS/part-ok"
check "partial: destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "partial: pool gone" pool_absent tfp-part

# ------------------------------------------------------------ destroy
tf_workdir main
check "destroy: terraform destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "destroy: state is empty" state_empty
check "destroy: no pools left on the server" api_eq /1.0/storage-pools length 0

e2e_end
