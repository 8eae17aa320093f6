# shellcheck shell=bash
# fault_inject.sh — ways to inject a fault (source after ../lib.sh and
# fault_lib.sh). Every wait here is bounded.
#
# Daemons (through tests/rig/lxd-rig.sh; K is a daemon of this scenario's rig):
#   fault_rig_start NAME MEMBERS [--ovn]   rig_start, remembering NAME
#   fault_rig SUB K...                     "$RIG" SUB NAME K... (kill, start,
#                                          freeze, thaw, link, pid), logged
#   fault_kill_restart K [DOWN-SECONDS]    SIGKILL daemon K, start it again
#   fault_lxd_back [--daemons-only] K...   wait until daemons K... answer
#                                          (starting a dead one) and every
#                                          cluster member is Online
# Timed triggers (in the background while terraform runs in the foreground):
#   fault_bg FN ARGS...                    run FN in the background
#   fault_bg_wait                          wait for it (bounded)
#   fault_when SECS COND... -- ACTION...   poll COND every 50 ms for at most
#                                          SECS, then run ACTION (once)
#   log_count_at_least FILE RE N           N lines of terraform's output
#                                          (tf_next_log CMD names the file)
#   pools_at_least RE N, pools_at_most RE N, pools_described_at_least RE D N
# Deterministic triggers: the fault proxy (faultproxy.py) in front of
# member 1's socket:
#   fault_proxy_start UPSTREAM RULE...     exports FP_SOCK (give it to the
#                                          provider) and FP_LOG
#   fault_proxy_stop, fault_proxy_fired K
#   fault_cmd_kill_restart K sync|async    a shell command for exec rules
#   fault_cmd_fastkill_restart K           the same, killing within ms
# Terraform:
#   fault_tf_pid, fault_tf_signal SIG      the terraform running in $TF_DIR

FAULT_RIG=""
FAULT_BG_PID=""
FP_PID=""
FP_SOCK=""
FP_LOG=""
FAULT_TF_EXE=$(readlink -f "$TERRAFORM")
FAULT_STARTUP_TIMEOUT=${FAULT_STARTUP_TIMEOUT:-90}

fault_rig_start() {
	FAULT_RIG=$1
	rig_start "$@"
}

fault_log() { printf '%s/logs/inject.log' "$TF_DIR"; }

fault_rig() {
	local sub=$1
	shift
	"$RIG" "$sub" "$FAULT_RIG" "$@" >>"$(fault_log)" 2>&1
}

# fault_kill_restart K [DOWN] — LXD down for DOWN seconds (default 1). The
# fault counts as injected only if terraform was still running.
fault_kill_restart() {
	local k=$1 down=${2:-1} running=no
	# Looked up just before the kill (the kill waits for the daemon to be
	# gone, by which time a failing terraform may have ended).
	fault_tf_pid >/dev/null && running=yes
	if fault_rig kill "$k"; then
		if [[ $running == yes ]]; then
			fault_mark_fired "SIGKILL daemon $k while terraform ran"
		else
			echo "fault_kill_restart: terraform had already ended: the kill came too late"
		fi
	fi
	sleep "$down"
	fault_rig start "$k"
}

# fault_lxd_back [--daemons-only] K... — every daemon K running and
# answering and (unless --daemons-only) every cluster member Online. A
# daemon an injector restarts in the background gets 20 s to show up before
# it is started here.
fault_lxd_back() {
	local k sock deadline out online total i only=0
	[[ ${1:-} == --daemons-only ]] && { only=1; shift; }
	# shellcheck disable=SC2153  # FAULT_ID: set by fault_begin (fault_lib.sh)
	for k in "$@"; do
		for ((i = 0; i < 100; i++)); do
			fault_rig pid "$k" && break
			sleep 0.2
		done
		if ! fault_rig pid "$k"; then
			e2e_say "fault $FAULT_ID: daemon $k is not running; starting it"
			fault_rig start "$k" || {
				echo "  daemon $k of the rig could not be started again"
				return 1
			}
		fi
		sock=$(rig_socket "$RIG_NAME" "$k")
		rig_waitready "$RIG_NAME" "$k" "$FAULT_STARTUP_TIMEOUT" || {
			echo "  daemon $k ($sock) not ready after ${FAULT_STARTUP_TIMEOUT}s"
			return 1
		}
	done
	((only)) && return 0
	deadline=$((SECONDS + FAULT_STARTUP_TIMEOUT))
	while :; do
		out=$(curl -s --max-time 10 --unix-socket "$RIG_N1_SOCKET" \
			'http://lxd/1.0/cluster/members?recursion=1' 2>/dev/null) || out='{}'
		total=$(jq '.metadata | length? // 0' <<<"$out" 2>/dev/null || echo 0)
		online=$(jq '[.metadata[]? | select(.status == "Online")] | length' <<<"$out" 2>/dev/null || echo 0)
		((total > 0 && online == total)) && return 0
		if ((SECONDS >= deadline)); then
			echo "  cluster members not all Online after ${FAULT_STARTUP_TIMEOUT}s:" \
				"$(jq -c '[.metadata[]? | {server_name, status}]' <<<"$out" 2>/dev/null)"
			return 1
		fi
		sleep 0.5
	done
}

# ------------------------------------------------------------ triggers

fault_bg() {
	("$@") >>"$(fault_log)" 2>&1 &
	FAULT_BG_PID=$!
}

# fault_bg_wait — the injector's own waits are bounded; this one too.
fault_bg_wait() {
	local i
	[[ -n $FAULT_BG_PID ]] || return 0
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$FAULT_BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$FAULT_BG_PID" 2>/dev/null; then
		echo "  the injector (pid $FAULT_BG_PID) still runs after 120s; killing it"
		kill -KILL "$FAULT_BG_PID" 2>/dev/null || true
	fi
	wait "$FAULT_BG_PID" 2>/dev/null || true
	FAULT_BG_PID=""
}

# fault_when SECS COND... -- ACTION...
fault_when() {
	local secs=$1 deadline
	shift
	local -a cond=()
	while (($# > 0)) && [[ $1 != -- ]]; do
		cond+=("$1")
		shift
	done
	shift
	deadline=$((SECONDS + secs))
	until "${cond[@]}" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			echo "fault_when: '${cond[*]}' never held within ${secs}s; no fault injected"
			return 1
		fi
		sleep 0.05
	done
	echo "fault_when: '${cond[*]}' holds; injecting: $*"
	"$@"
}

# tf_next_log CMD — the log the next `tf CMD ...` writes (lib.sh's naming).
tf_next_log() { printf '%s/logs/%03d-%s.log' "$TF_DIR" $((TF_SEQ + 1)) "$1"; }

# log_count_at_least FILE REGEX N — terraform's progress lines so far.
log_count_at_least() {
	local n
	n=$(grep -cE -- "$2" "$1" 2>/dev/null) || n=0
	((n >= $3))
}

# Pool counts on the server, read from member 1's own socket.
fault_pools_json() {
	curl -s --max-time 2 --unix-socket "$RIG_N1_SOCKET" "http://lxd/1.0/storage-pools$1"
}
pools_at_least() {
	local n
	n=$(fault_pools_json "" | jq --arg re "$1" '[.metadata[] | split("/") | last | select(test($re))] | length') || return 1
	((n >= $2))
}
pools_at_most() {
	local n
	n=$(fault_pools_json "" | jq --arg re "$1" '[.metadata[] | split("/") | last | select(test($re))] | length') || return 1
	((n <= $2))
}
pools_described_at_least() {
	local n
	n=$(fault_pools_json '?recursion=1' | jq --arg re "$1" --arg d "$2" \
		'[.metadata[] | select((.name | test($re)) and .description == $d)] | length') || return 1
	((n >= $3))
}

# ------------------------------------------------------------ fault proxy

# fault_proxy_start UPSTREAM RULE... — a proxy for this fault in $TF_DIR.
fault_proxy_start() {
	local up=$1 i
	shift
	local -a args=()
	for r in "$@"; do
		args+=(--rule "$r")
	done
	FP_SOCK=$TF_DIR/proxy.sock
	FP_LOG=$TF_DIR/logs/proxy.log
	rm -f "$FP_SOCK"
	# Its own log is --log; stdout/stderr (start-up errors) beside it.
	python3 "$FAULT_LIB_DIR/faultproxy.py" --listen "$FP_SOCK" --upstream "$up" \
		--log "$FP_LOG" --parent $$ --max-time 900 --io-timeout 120 "${args[@]}" \
		</dev/null >>"$FP_LOG.out" 2>&1 &
	FP_PID=$!
	for ((i = 0; i < 100; i++)); do
		[[ -S $FP_SOCK ]] && return 0
		kill -0 "$FP_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "  the fault proxy did not start (see $FP_LOG.out)"
	tail -n 5 "$FP_LOG.out" 2>/dev/null | sed 's/^/  | /'
	return 1
}

fault_proxy_stop() {
	local i
	[[ -n $FP_PID ]] || return 0
	kill -TERM "$FP_PID" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$FP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$FP_PID" 2>/dev/null || true
	wait "$FP_PID" 2>/dev/null || true
	FP_PID=""
	return 0
}

# fault_proxy_fired K — rule K fired (then the fault counts as injected).
fault_proxy_fired() {
	grep -q "FIRED rule=$1 " "$FP_LOG" 2>/dev/null || return 1
	fault_mark_fired "proxy rule $1"
}

# fault_cmd_kill_restart K sync|async — for `action=exec`: SIGKILL daemon
# K, then start it again (sync: before the proxy goes on; async: in the
# background, so the provider meets a dead LXD first).
fault_cmd_kill_restart() {
	local k=$1 mode=$2 kill start
	kill=$(printf '%q kill %q %q' "$RIG" "$FAULT_RIG" "$k")
	start=$(printf '%q start %q %q' "$RIG" "$FAULT_RIG" "$k")
	if [[ $mode == sync ]]; then
		printf '%s; %s' "$kill" "$start"
	else
		printf '%s; (sleep 1; %s) >/dev/null 2>&1 &' "$kill" "$start"
	fi
}

# fault_cmd_fastkill_restart K — like fault_cmd_kill_restart K sync, but the
# SIGKILL comes within a few milliseconds (no rig script start-up first):
# for `when=during`, while LXD is in the middle of a request.
fault_cmd_fastkill_restart() {
	local k=$1 pidfile
	pidfile="$RIG_STATE/n$k/lxd.pid"
	# shellcheck disable=SC2016  # $(cat ...) runs in the proxy's shell
	printf 'kill -KILL "$(cat %q)"; %q kill %q %q >/dev/null 2>&1; %q start %q %q' \
		"$pidfile" "$RIG" "$FAULT_RIG" "$k" "$RIG" "$FAULT_RIG" "$k"
}

# ------------------------------------------------------------ terraform

# fault_tf_pid — pid of the terraform process working in $TF_DIR.
fault_tf_pid() {
	local p
	for p in $(ps -C "${FAULT_TF_EXE##*/}" -o pid= 2>/dev/null); do
		[[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$FAULT_TF_EXE" ]] || continue
		[[ $(readlink "/proc/$p/cwd" 2>/dev/null) == "$TF_DIR" ]] || continue
		printf '%s\n' "$p"
		return 0
	done
	return 1
}

# fault_tf_signal SIG — signal that terraform; records the time in
# $TF_DIR/signal-time (seconds since the epoch).
fault_tf_signal() {
	local pid
	pid=$(fault_tf_pid) || {
		echo "fault_tf_signal: no terraform running in $TF_DIR"
		return 1
	}
	kill "-$1" "$pid" || return 1
	date +%s >"$TF_DIR/signal-time"
	fault_mark_fired "SIG$1 to terraform (pid $pid)"
}
