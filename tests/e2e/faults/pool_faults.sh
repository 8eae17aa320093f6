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
#   pool_fault_proxy ID create|update|delete DESC RULE...
#       the command through the fault proxy (-parallelism=1, so the request
#       RULE 1 hits is the only one in flight), whose RULE 1 is the fault
# and, after each, besides the invariants: the server holds exactly the
# configured pools and values (pool_server_matches, no missed drift).

POOL_COUNT=${POOL_COUNT:-24}
POOL_ARGS=(-parallelism=10)

# pool_tf SOCKET PREFIX DESCRIPTION BWLIMIT — write main.tf.
POOL_DESC=""
POOL_BW=""
pool_tf() {
	POOL_DESC=$3 POOL_BW=$4
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
# reported progress (its output, polled every 50 ms): a few creates done,
# or the first update or delete started (they take a few ms each since
# connections are reused: waiting for one to finish lets the whole command
# end before the kill): mid-command, at no particular request.
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
			'Modifying\.\.\.' 1 -- fault_kill_restart "$k" 1
		fault_run apply -auto-approve -input=false -no-color "${POOL_ARGS[@]}"
		;;
	delete)
		fault_check "setup: create the pools" apply_ok "${POOL_ARGS[@]}"
		fault_bg fault_when 60 log_count_at_least "$(tf_next_log destroy)" \
			'Destroying\.\.\.' 1 -- fault_kill_restart "$k" 1
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

# pool_fault_proxy ID create|update|delete DESC RULE... — the command runs
# through the proxy; for update and delete the pools are made first
# directly (so setup requests do not count against the rule).
pool_fault_proxy() {
	local id=$1 phase=$2 desc=$3
	shift 3
	fault_begin "$id" "$desc" pools "$(pool_re "$id")"
	if ! fault_proxy_start "$RIG_N1_SOCKET" "$@"; then
		fail "$id: the fault proxy did not start"
		# shellcheck disable=SC2034  # read by fault_end
		FAULT_CONVERGED=0
		fault_end
		return 0
	fi
	# One request at a time: the rule's request is the only one in flight.
	case $phase in
	create)
		pool_tf "$FP_SOCK" "$id" first 10MB
		fault_check "init" tf_show_on_fail init -input=false -no-color
		fault_run apply -auto-approve -input=false -no-color -parallelism=1
		;;
	update)
		pool_tf "$RIG_N1_SOCKET" "$id" first 10MB
		fault_check "init" tf_show_on_fail init -input=false -no-color
		fault_check "setup: create the pools" apply_ok "${POOL_ARGS[@]}"
		pool_tf "$FP_SOCK" "$id" second 20MB
		fault_run apply -auto-approve -input=false -no-color -parallelism=1
		;;
	delete)
		pool_tf "$RIG_N1_SOCKET" "$id" first 10MB
		fault_check "init" tf_show_on_fail init -input=false -no-color
		fault_check "setup: create the pools" apply_ok "${POOL_ARGS[@]}"
		pool_tf "$FP_SOCK" "$id" first 10MB
		fault_run destroy -auto-approve -input=false -no-color -parallelism=1
		;;
	esac
	fault_proxy_fired 1
	fault_injected
	# shellcheck disable=SC2046  # one word per member
	fault_check "LXD is back" fault_lxd_back $(pool_members)
	# The invariants go through the proxy too (its rule has fired).
	fault_invariants "${POOL_ARGS[@]}"
	fault_proxy_stop
	fault_end
}

# pool_server_matches — no missed drift: after the converging apply and its
# empty plan, LXD holds exactly the configured pools with the configured
# description and rsync.bwlimit (what pool_tf wrote last).
pool_server_matches() {
	local out bad
	out=$(api_get '/1.0/storage-pools?recursion=1') || return 1
	bad=$(jq -r --arg re "$FAULT_NAMES" --arg d "$POOL_DESC" --arg bw "$POOL_BW" --argjson n "$POOL_COUNT" '
		[.[] | select(.name | test($re))] as $p
		| if ($p | length) != $n then "\($p | length) pools, expected \($n)"
		  else ($p[] | select(.description != $d or .config["rsync.bwlimit"] != $bw)
			| "\(.name): description \(.description | tojson), rsync.bwlimit \(.config["rsync.bwlimit"] | tojson)")
		  end' <<<"$out")
	[[ -z $bad ]] && return 0
	echo "  the server differs from the configuration (expected description \"$POOL_DESC\", rsync.bwlimit $POOL_BW):"
	head -n 5 <<<"$bad" | sed 's/^/    /'
	return 1
}
# shellcheck disable=SC2034  # read by fault_invariants (fault_lib.sh)
FAULT_MATCH_FN=pool_server_matches
