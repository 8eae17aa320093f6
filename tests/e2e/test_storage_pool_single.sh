#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# lxd_storage_pool against a 1-member LXD cluster: create, in-place update,
# forced replacement, drift (changed, a key added by hand, deleted), the
# ignore_unmanaged_keys opt-in, import (CLI, block, minimal configuration),
# missing import, parallelism, unsupported driver at plan time, destroy.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin storage_pool_single
rig_start e2e-sps 1

# main_tf NAME DESCRIPTION BWLIMIT [EXTRA-HCL] [ignore]
main_tf() {
	local ign=""
	[[ ${5:-} == ignore ]] && ign='  ignore_unmanaged_keys = true'
	{
		provider_hcl
		cat <<EOF
resource "lxd_storage_pool" "p" {
  name        = "$1"
  driver      = "dir"
  description = "$2"
  config = {
    "rsync.bwlimit" = "$3"
  }
$ign
}

output "status" {
  value = lxd_storage_pool.p.status
}

output "locations" {
  value = lxd_storage_pool.p.locations
}
EOF
		printf '%s\n' "${4:-}"
	} | write_tf
}

# output_is NAME JQ EXPECTED — terraform output -json NAME | jq.

# ------------------------------------------------------------ create
tf_workdir main
main_tf tfp-one first 10MB
require "init" tf_show_on_fail init -input=false -no-color
require "create: apply" apply_ok
check "create: pool on server with description" api_eq /1.0/storage-pools/tfp-one .description first
check "create: pool on server with rsync.bwlimit" api_eq /1.0/storage-pools/tfp-one '.config["rsync.bwlimit"]' 10MB
check "create: server status Created" api_eq /1.0/storage-pools/tfp-one .status Created
check "create: computed status output" output_is status . Created
check "create: computed locations output" output_is locations 'join(",")' node1
check "create: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ in-place update
main_tf tfp-one second 20MB
check "update: plan shows changes" expect_exit 2 plan_exit
check "update: plan says update in-place" out_has 'will be updated in-place'
check "update: plan does not replace" out_lacks 'must be replaced'
check "update: apply" apply_ok
check "update: server description" api_eq /1.0/storage-pools/tfp-one .description second
check "update: server rsync.bwlimit" api_eq /1.0/storage-pools/tfp-one '.config["rsync.bwlimit"]' 20MB
check "update: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ forced replacement
main_tf tfp-two second 20MB
check "replace: plan shows changes" expect_exit 2 plan_exit
check "replace: plan says must be replaced" out_has 'must be replaced'
check "replace: plan says forces replacement" out_has 'forces replacement'
check "replace: apply" apply_ok
check "replace: new pool exists" pool_exists tfp-two
check "replace: old pool is gone" pool_absent tfp-one
check "replace: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ drift: changed
check "drift: change rsync.bwlimit outside terraform" \
	api_do PATCH /1.0/storage-pools/tfp-two '{"config":{"rsync.bwlimit":"99MB"}}'
check "drift: plan detects it" expect_exit 2 plan_exit
check "drift: apply -refresh-only" apply_ok -refresh-only
check "drift: plan -refresh-only is then empty" expect_exit 0 plan_exit -refresh-only
check "drift: normal plan wants the value back" expect_exit 2 plan_exit
check "drift: ... as an in-place update" out_has 'will be updated in-place'
check "drift: apply restores it" apply_ok
check "drift: server rsync.bwlimit restored" api_eq /1.0/storage-pools/tfp-two '.config["rsync.bwlimit"]' 20MB
check "drift: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ drift: a key added outside terraform
# `config` is authoritative: a key set by hand shows as a removal (it used
# to be invisible, and plan -detailed-exitcode exited 0).
check "unmanaged key: lxc storage set rsync.compression outside terraform" \
	lxc_n1 storage set tfp-two rsync.compression false
check "unmanaged key: plan -detailed-exitcode reports it (exit 2)" expect_exit 2 plan_exit
check "unmanaged key: ... as a removal of rsync.compression" out_has 'rsync.compression'
check "unmanaged key: plan -refresh-only reports it too (exit 2)" expect_exit 2 plan_exit -refresh-only
check "unmanaged key: apply removes it" apply_ok
check "unmanaged key: gone from the server" api_eq /1.0/storage-pools/tfp-two '.config["rsync.compression"] // "absent"' absent
check "unmanaged key: the server's own source is kept" api_eq '/1.0/storage-pools/tfp-two?target=node1' '.config.source | length > 0' true
check "unmanaged key: plan is empty" expect_exit 0 plan_exit
main_tf tfp-two second 20MB '' ignore
check "opt-in ignore_unmanaged_keys: apply" apply_ok
check "opt-in: lxc storage set rsync.compression again" lxc_n1 storage set tfp-two rsync.compression false
check "opt-in: plan is empty (key left alone)" expect_exit 0 plan_exit
check "opt-in: the key is still on the server" api_eq /1.0/storage-pools/tfp-two '.config["rsync.compression"]' false
# Turning the opt-in off changes nothing on the server by itself; the next
# plan then shows the key set by hand as a removal, as any drift.
main_tf tfp-two second 20MB
check "opt-in off: apply" apply_ok
check "opt-in off: the key is still there" api_eq /1.0/storage-pools/tfp-two '.config["rsync.compression"]' false
check "opt-in off: the next plan shows it (exit 2)" expect_exit 2 plan_exit
check "opt-in off: ... as a removal of rsync.compression" out_has '"rsync.compression" = "false" -> null'
check "opt-in off: apply removes it" apply_ok
check "opt-in off: gone from the server" api_eq /1.0/storage-pools/tfp-two '.config["rsync.compression"] // "absent"' absent
check "opt-in off: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ drift: deleted
check "vanished: delete the pool outside terraform" api_do DELETE /1.0/storage-pools/tfp-two
check "vanished: plan detects it" expect_exit 2 plan_exit
check "vanished: plan will create it" out_has 'will be created'
check "vanished: apply re-creates it" apply_ok
check "vanished: pool is back" api_eq /1.0/storage-pools/tfp-two .description second
check "vanished: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ import (CLI)
check "import: create a pool outside terraform" api_do POST /1.0/storage-pools \
	'{"name":"tfp-imp","driver":"dir","description":"made outside","config":{"rsync.bwlimit":"5MB"}}'
imp_hcl='
resource "lxd_storage_pool" "imp" {
  name        = "tfp-imp"
  driver      = "dir"
  description = "made outside"
  config = {
    "rsync.bwlimit" = "5MB"
  }
}'
main_tf tfp-two second 20MB "$imp_hcl"
check "import: terraform import" tf_show_on_fail import -input=false -no-color lxd_storage_pool.imp tfp-imp
check "import: state has it" state_has lxd_storage_pool.imp
check "import: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ import {} block
check "import block: create a pool outside terraform" api_do POST /1.0/storage-pools \
	'{"name":"tfp-imp2","driver":"dir","description":"block import"}'
imp2_hcl='
import {
  to = lxd_storage_pool.imp2
  id = "tfp-imp2"
}

resource "lxd_storage_pool" "imp2" {
  name        = "tfp-imp2"
  driver      = "dir"
  description = "block import"
}'
main_tf tfp-two second 20MB "$imp_hcl
$imp2_hcl"
check "import block: plan shows the import" expect_exit 2 plan_exit
check "import block: plan says 1 to import" out_has '1 to import'
check "import block: nothing else changes" out_has '0 to add, 0 to change, 0 to destroy'
check "import block: apply" apply_ok
check "import block: state has it" state_has lxd_storage_pool.imp2
check "import block: plan is empty" expect_exit 0 plan_exit

# ------------------------------------------------------------ import with a minimal configuration
# A pool made by hand as users do (`lxc storage create NAME dir source=...`),
# imported, plans empty with only name and driver in the configuration.
mkdir -p "$RIG_N1_POOLS/byhand"
check "minimal import: lxc storage create byhand dir source=..." \
	lxc_n1 storage create tfp-byhand dir "source=$RIG_N1_POOLS/byhand" rsync.bwlimit=7MB
tf_workdir minimal
{
	provider_hcl
	cat <<'EOF'
resource "lxd_storage_pool" "byhand" {
  name   = "tfp-byhand"
  driver = "dir"
}
EOF
} | write_tf
require "minimal import: init" tf_show_on_fail init -input=false -no-color
check "minimal import: terraform import" tf_show_on_fail import -input=false -no-color lxd_storage_pool.byhand tfp-byhand
check "minimal import: plan is empty" expect_exit 0 plan_exit
check "minimal import: a key added later still shows in -refresh-only" \
	lxc_n1 storage set tfp-byhand rsync.compression false
check "minimal import: ... plan -refresh-only exit 2" expect_exit 2 plan_exit -refresh-only
check "minimal import: state rm (the pool is left alone)" tf_show_on_fail state rm lxd_storage_pool.byhand
check "minimal import: delete the pool" lxc_n1 storage delete tfp-byhand

# ------------------------------------------------------------ import of a missing pool
tf_workdir ghost
{
	provider_hcl
	cat <<'EOF'
resource "lxd_storage_pool" "ghost" {
  name   = "tfp-ghost"
  driver = "dir"
}
EOF
} | write_tf
require "ghost: init" tf_show_on_fail init -input=false -no-color
check "ghost: import of a missing pool fails" expect_exit 1 tf import -input=false -no-color lxd_storage_pool.ghost tfp-ghost
check "ghost: ... with 'Cannot import non-existent remote object'" out_has 'Cannot import non-existent remote object'
check "ghost: state stays empty" state_empty
check "ghost: nothing created" pool_absent tfp-ghost

# ------------------------------------------------------------ parallelism
tf_workdir many
{
	provider_hcl
	cat <<'EOF'
resource "lxd_storage_pool" "many" {
  count       = 12
  name        = "tfp-many-${count.index}"
  driver      = "dir"
  description = "pool ${count.index}"
  config = {
    "rsync.bwlimit" = "${count.index + 1}MB"
  }
}
EOF
} | write_tf
many_on_server() {
	local n
	n=$(api_get /1.0/storage-pools | jq '[.[] | select(test("/tfp-many-[0-9]+$"))] | length')
	[[ $n == "$1" ]] || {
		echo "  $n tfp-many-* pools on the server, expected $1"
		return 1
	}
}
require "parallel: init" tf_show_on_fail init -input=false -no-color
check "parallel: apply 12 pools with -parallelism=10" apply_ok -parallelism=10
check "parallel: 12 pools on the server" many_on_server 12
check "parallel: pool 11 has its own config" api_eq /1.0/storage-pools/tfp-many-11 '.config["rsync.bwlimit"]' 12MB
check "parallel: plan is empty" expect_exit 0 plan_exit -parallelism=10
check "parallel: destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color -parallelism=10
check "parallel: no pools left" many_on_server 0
check "parallel: state empty" state_empty

# ------------------------------------------------------------ unsupported driver
supported=$(api_get /1.0 | jq -r '[.environment.storage_supported_drivers[]?.Name] | join(" ")')
bad=""
for d in zfs lvm btrfs ceph cephfs cephobject; do
	[[ " $supported " == *" $d "* ]] || {
		bad=$d
		break
	}
done
if [[ -z $bad ]]; then
	fail "unsupported driver: every driver is supported here ($supported); cannot test"
else
	e2e_say "supported drivers: $supported; testing unsupported '$bad'"
	tf_workdir baddriver
	{
		provider_hcl
		cat <<EOF
resource "lxd_storage_pool" "bad" {
  name   = "tfp-bad"
  driver = "$bad"
}
EOF
	} | write_tf
	require "bad driver: init" tf_show_on_fail init -input=false -no-color
	check "bad driver: plan fails" expect_exit 1 plan_exit
	check "bad driver: error names the driver" out_has "$bad"
	check "bad driver: error is a plan-time diagnostic" out_has 'Error'
	check "bad driver: nothing created" pool_absent tfp-bad
	check "bad driver: state empty" state_empty
fi

# ------------------------------------------------------------ destroy
tf_workdir main
check "destroy: terraform destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color
check "destroy: state is empty" state_empty
check "destroy: no pools left on the server" api_eq /1.0/storage-pools length 0

e2e_end
