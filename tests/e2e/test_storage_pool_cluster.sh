#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# lxd_storage_pool on a 2-member LXD cluster: clustered dir pool with
# per-member sources, import, unknown member at plan time, partial failure
# (state kept, fix, converge), destroy.
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
