# shellcheck shell=bash
# pool_faults.sh — storage-pool faults shared by the 1- and 2-member suites
# (source after fault_lib.sh and fault_inject.sh, once the rig is up).
#
# Every fault works on POOL_COUNT `lxd_storage_pool` (count) named
# <fault-id>-NN, applied with -parallelism=10, and ends with the invariants.
#
#   pool_fault_timed ID create|update|delete K DESC
#       a purely timed SIGKILL of daemon K (restarted 1 s later) once the
#       command is visibly under way (terraform reported a few pools done)
#   pool_fault_proxy ID DESC RULE...
#       a create through the fault proxy (-parallelism=1, so the request
#       RULE 1 hits is the only one in flight), whose RULE 1 is the fault

POOL_COUNT=${POOL_COUNT:-24}
POOL_ARGS=(-parallelism=10)

# pool_tf SOCKET PREFIX DESCRIPTION BWLIMIT — write main.tf.
pool_tf() {
	{
		provider_hcl "$1"
		cat <<EOF
resource "lxd_storage_pool" "p" {
  count       = $POOL_COUNT
  name        = format("$2-%02d", count.index)
  driver      = "dir"
  description = "$3"
  config = {
    "rsync.bwlimit" = "$4"
  }
}
EOF
	} | write_tf
}

pool_re() { printf '^%s-[0-9]+$' "$1"; }

pool_members() { seq 1 "$RIG_MEMBERS"; }

# pool_fault_timed ID PHASE K DESC — the kill comes when terraform has
# reported pools done (its output, polled every 50 ms: a few creates, the
# first update or delete, which are much faster): mid-command, at no
# particular request.
pool_fault_timed() {
	local id=$1 phase=$2 k=$3 desc=$4 re few=$((POOL_COUNT / 8))
	re=$(pool_re "$id")
	fault_begin "$id" "$desc" pools "$re"
	pool_tf "$RIG_N1_SOCKET" "$id" first 10MB
	fault_check "init" tf_show_on_fail init -input=false -no-color
	case $phase in
	create)
		fault_bg fault_when 60 log_count_at_least "$(tf_next_log apply)" \
			'Creation complete' "$few" -- fault_kill_restart "$k" 1
		fault_run apply -auto-approve -input=false -no-color "${POOL_ARGS[@]}"
		;;
	update)
		fault_check "setup: create the pools" apply_ok "${POOL_ARGS[@]}"
		pool_tf "$RIG_N1_SOCKET" "$id" second 20MB
		fault_bg fault_when 60 log_count_at_least "$(tf_next_log apply)" \
			'Modifications complete' 1 -- fault_kill_restart "$k" 1
		fault_run apply -auto-approve -input=false -no-color "${POOL_ARGS[@]}"
		;;
	delete)
		fault_check "setup: create the pools" apply_ok "${POOL_ARGS[@]}"
		fault_bg fault_when 60 log_count_at_least "$(tf_next_log destroy)" \
			'Destruction complete' 1 -- fault_kill_restart "$k" 1
		fault_run destroy -auto-approve -input=false -no-color "${POOL_ARGS[@]}"
		;;
	esac
	fault_bg_wait
	fault_injected
	# shellcheck disable=SC2046  # one word per member
	fault_check "LXD is back" fault_lxd_back $(pool_members)
	fault_invariants "${POOL_ARGS[@]}"
	fault_end
}

# pool_fault_proxy ID DESC RULE... — create through the proxy.
pool_fault_proxy() {
	local id=$1 desc=$2
	shift 2
	fault_begin "$id" "$desc" pools "$(pool_re "$id")"
	if ! fault_proxy_start "$RIG_N1_SOCKET" "$@"; then
		fail "$id: the fault proxy did not start"
		# shellcheck disable=SC2034  # read by fault_end
		FAULT_CONVERGED=0
		fault_end
		return 0
	fi
	pool_tf "$FP_SOCK" "$id" first 10MB
	fault_check "init" tf_show_on_fail init -input=false -no-color
	# One request at a time: the rule's request is the only one in flight.
	fault_run apply -auto-approve -input=false -no-color -parallelism=1
	fault_proxy_fired 1
	fault_injected
	# shellcheck disable=SC2046  # one word per member
	fault_check "LXD is back" fault_lxd_back $(pool_members)
	# The invariants go through the proxy too (its rule has fired).
	fault_invariants "${POOL_ARGS[@]}"
	fault_proxy_stop
	fault_end
}
