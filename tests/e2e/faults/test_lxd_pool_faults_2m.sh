#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# Storage-pool faults on a 2-member LXD cluster (two-step clustered create:
# a pending definition per member, then the global POST). Timed SIGKILL and
# restart of member 1 (the member the provider talks to, database leader)
# during create, update and delete, and of member 2 during create; through
# the fault proxy: (iii) between the steps of one pool's create (member 1
# killed right after node2's definition was answered, back at once or
# still down), (ii) after the global POST created the pool on both
# members but before the answer, member 2 killed while the global POST
# runs, and after an update's PUT took effect but before the answer. After each: the invariants and the server holding
# exactly the configuration.
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

e2e_begin lxd_pool_faults_2m
fault_rig_start fap2 2

POST_GLOBAL='method=POST path=^/1\.0/storage-pools$'
POST_NODE2='method=POST path=^/1\.0/storage-pools\?target=node2$'

pool_fault_timed p2-create-kill create 1 \
	"2 members: SIGKILL+restart of member 1 while 24 pools are created (timed)"
pool_fault_timed p2-create-kill-m2 create 2 \
	"2 members: SIGKILL+restart of member 2 while 24 pools are created (timed)"
pool_fault_timed p2-update-kill update 1 \
	"2 members: SIGKILL+restart of member 1 while 24 pools are updated (timed)"
pool_fault_timed p2-delete-kill delete 1 \
	"2 members: SIGKILL+restart of member 1 while 24 pools are destroyed (timed)"
pool_fault_proxy p2-steps-back create \
	"2 members: member 1 killed between the steps of the 5th pool's create (restarted at once)" \
	"nth=5 $POST_NODE2 when=after action=exec cmd=$(fault_cmd_kill_restart 1 sync)"
pool_fault_proxy p2-steps-down create \
	"2 members: member 1 killed between the steps of the 5th pool's create (still down for 1s)" \
	"nth=5 $POST_NODE2 when=after action=exec cmd=$(fault_cmd_kill_restart 1 async)"
pool_fault_proxy p2-post-after create \
	"2 members: member 1 killed after the 5th global POST created the pool, before the answer" \
	"nth=5 $POST_GLOBAL when=after action=exec then=drop cmd=$(fault_cmd_kill_restart 1 sync)"
# Member 2 dies while it creates its part of the pool (the leader's global
# POST is ~70 ms; where member 2 is when it dies varies from run to run).
pool_fault_proxy p2-m2-during create \
	"2 members: member 2 killed while the leader creates the 5th pool across the cluster (60 ms in)" \
	"nth=5 $POST_GLOBAL when=during secs=0.06 action=exec cmd=$(fault_cmd_fastkill_restart 2)"
pool_fault_proxy p2-put-after update \
	"2 members: member 1 killed after the 5th pool update (PUT) took effect, before the answer" \
	"nth=5 method=PUT path=^/1\.0/storage-pools/ when=after action=exec then=drop cmd=$(fault_cmd_kill_restart 1 sync)"

e2e_end
