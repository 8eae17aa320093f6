#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# Storage-pool faults on a 1-member LXD cluster: LXD SIGKILLed and restarted
# during create, update and delete (timed), and at exact points of a create
# through the fault proxy: (i) before a POST reaches LXD, while LXD works on
# it (2 ms in), (ii) after LXD created the pool but before the answer
# reaches the provider (LXD back at once, and LXD still down), and an
# answer lost with LXD alive; and LXD killed after it deleted a pool,
# before the answer. After each: the invariants of fault_lib.sh (no
# orphans, apply converges, empty plan, clean destroy) and the server
# holding exactly the configuration.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"
# shellcheck source=fault_inject.sh
source "$here/fault_inject.sh"
# shellcheck source=pool_faults.sh
source "$here/pool_faults.sh"

e2e_begin lxd_pool_faults_1m
fault_rig_start fap1 1

POST_GLOBAL='method=POST path=^/1\.0/storage-pools$'

pool_fault_timed p1-create-kill create 1 \
	"1 member: SIGKILL+restart of LXD while 24 pools are created (timed)"
pool_fault_timed p1-update-kill update 1 \
	"1 member: SIGKILL+restart of LXD while 24 pools are updated (timed)"
pool_fault_timed p1-delete-kill delete 1 \
	"1 member: SIGKILL+restart of LXD while 24 pools are destroyed (timed)"
pool_fault_proxy p1-post-before create \
	"1 member: LXD killed before the 5th pool POST reaches it (restarted at once)" \
	"nth=5 $POST_GLOBAL when=before action=exec then=drop cmd=$(fault_cmd_kill_restart 1 sync)"
# Where LXD is when it dies varies from run to run here (nothing yet, a
# database row only, a Pending pool with its directory, or Created).
pool_fault_proxy p1-post-during create \
	"1 member: LXD killed while it creates the 5th pool (2 ms in; restarted at once)" \
	"nth=5 $POST_GLOBAL when=during secs=0.002 action=exec cmd=$(fault_cmd_fastkill_restart 1)"
pool_fault_proxy p1-post-after create \
	"1 member: LXD killed after creating the 5th pool, before the answer (restarted at once)" \
	"nth=5 $POST_GLOBAL when=after action=exec then=drop cmd=$(fault_cmd_kill_restart 1 sync)"
pool_fault_proxy p1-post-after-down create \
	"1 member: LXD killed after creating the 5th pool, before the answer (still down for 1s)" \
	"nth=5 $POST_GLOBAL when=after action=exec then=drop cmd=$(fault_cmd_kill_restart 1 async)"
pool_fault_proxy p1-answer-lost create \
	"1 member: the answer to the 5th pool POST is lost, LXD stays up" \
	"nth=5 $POST_GLOBAL when=after action=drop"
pool_fault_proxy p1-delete-after delete \
	"1 member: LXD killed after deleting the 5th pool, before the answer (restarted at once)" \
	"nth=5 method=DELETE path=^/1\.0/storage-pools/ when=after action=exec then=drop cmd=$(fault_cmd_kill_restart 1 sync)"

e2e_end
