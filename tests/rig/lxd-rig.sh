#!/usr/bin/env bash
# lxd-rig.sh — real LXD or Incus daemons (optionally a cluster, optionally
# OVN) inside private network namespaces, for the end-to-end tests and the
# demo.
#
#   lxd-rig.sh up NAME MEMBERS [--ovn]   start MEMBERS (1..3) clustered daemons
#   lxd-rig.sh down NAME                 stop everything, remove all state
#   lxd-rig.sh env NAME                  print shell exports for the rig
#   lxd-rig.sh status NAME               print the cluster members (JSON)
#   lxd-rig.sh standalone NAME K         add an UNCLUSTERED daemon K (2..3) to
#                                        rig NAME (not yet a member; for join tests)
#   lxd-rig.sh restart NAME K            crash member K (SIGKILL) and start it
#                                        again, waiting until it is ready
# Fault injection (K is a member or standalone daemon of rig NAME):
#   lxd-rig.sh kill NAME K               SIGKILL daemon K, wait until it is gone
#   lxd-rig.sh start NAME K              start a stopped daemon K again (same
#                                        namespace, LXD_DIR and environment) and
#                                        wait until it is ready (bounded)
#   lxd-rig.sh freeze NAME K             SIGSTOP daemon K (it hangs, sockets open)
#   lxd-rig.sh thaw NAME K               SIGCONT daemon K
#   lxd-rig.sh link NAME K up|down       set eth0 in daemon K's namespace up/down
#   lxd-rig.sh pid NAME K                print daemon K's pid (fails if not running)
#   lxd-rig.sh waitready NAME K SECS     wait (bounded) until daemon K is ready
#
# Server: RIG_SERVER=lxd (default: Debian's lxd 5.0) or RIG_SERVER=incus
# (Incus 6.0 LTS: /usr/libexec/incus/incusd, LXDRIG_INCUSD overrides) at
# `up`; the choice is recorded in the rig (rig.conf) and every later command
# on the rig uses it. Both run the same way: the daemon's directory is
# nK/lxd (LXD_DIR or INCUS_DIR), waitready/shutdown through the server's
# own client (`lxd waitready` / `incus admin waitready`), REST calls with
# curl on the socket.
#
# Layout (state dir $LXDRIG_ROOT/NAME, default /tmp/lxdrig/NAME):
#   NAME-br        namespace holding bridge br0 that links the members
#   NAME-nK        namespace of member K (eth0 = 203.0.113.K/24), server nodeK
#   nK/lxd         LXD_DIR / INCUS_DIR of member K (REST API on
#                  nK/lxd/unix.socket)
#   nK/pools       a directory outside LXD_DIR for dir-pool sources
#   nK/lxd.log     the daemon's log; nK/lxd.pid its pid
#   n1/ovs         private OVS/OVN state with --ovn (one member only)
#
# LXDRIG_PREFIX, when set, is prepended to NAME (concurrent runs on one
# machine each use their own prefix).
#
# Only addresses inside the rig's own namespaces (203.0.113.0/24) and unix
# sockets are used. It can also be sourced: it then only defines functions
# (rig_up, rig_down, rig_env, rig_api, ...) and sets no shell options.

LXDRIG_ROOT=${LXDRIG_ROOT:-/tmp/lxdrig}
LXDRIG_START_TIMEOUT=${LXDRIG_START_TIMEOUT:-90}    # per daemon waitready
LXDRIG_JOIN_TIMEOUT=${LXDRIG_JOIN_TIMEOUT:-180}     # per member join
LXDRIG_ONLINE_TIMEOUT=${LXDRIG_ONLINE_TIMEOUT:-120} # all members ONLINE
LXDRIG_STOP_TIMEOUT=${LXDRIG_STOP_TIMEOUT:-30}      # per daemon shutdown
LXDRIG_SUBNET_PREFIX=203.0.113

LXDRIG_INCUSD=${LXDRIG_INCUSD:-/usr/libexec/incus/incusd}

rig_log() { printf '[lxd-rig %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

rig_fail() {
	printf '[lxd-rig] ERROR: %s\n' "$*" >&2
	return 1
}

# rig_run CMD... — run a command; on failure say which one (loudly).
rig_run() {
	local rc=0
	"$@" || rc=$?
	((rc == 0)) || rig_fail "command failed (exit $rc): $*"
	return "$rc"
}

rig_state() { printf '%s/%s' "$LXDRIG_ROOT" "$1"; }
rig_lxd_dir() { printf '%s/n%s/lxd' "$(rig_state "$1")" "$2"; }
rig_socket() { printf '%s/unix.socket' "$(rig_lxd_dir "$1" "$2")"; }

# rig_kind NAME — the server rig NAME runs: "lxd" or "incus" (recorded at
# `up`; before that, RIG_SERVER, default lxd).
rig_kind() {
	local conf k=""
	conf="$(rig_state "$1")/rig.conf"
	[[ -f $conf ]] && k=$(sed -n 's/^server=//p' "$conf")
	printf '%s\n' "${k:-${RIG_SERVER:-lxd}}"
}

# rig_dir_var KIND — the variable naming a daemon's directory.
rig_dir_var() { if [[ $1 == incus ]]; then echo INCUS_DIR; else echo LXD_DIR; fi; }

# rig_admin_cmd KIND DIR — set RIG_ADMIN to the server's own admin command
# (then waitready, shutdown ...) for the daemon whose directory is DIR.
rig_admin_cmd() {
	if [[ $1 == incus ]]; then
		RIG_ADMIN=(env INCUS_SOCKET= "INCUS_DIR=$2" incus admin)
	else
		RIG_ADMIN=(env LXD_SOCKET= "LXD_DIR=$2" lxd)
	fi
}

# rig_waitready NAME K SECS — wait until daemon K answers as ready (bounded).
rig_waitready() {
	local s=$3
	rig_admin_cmd "$(rig_kind "$1")" "$(rig_lxd_dir "$1" "$2")"
	timeout "$s" "${RIG_ADMIN[@]}" waitready --timeout $((s > 5 ? s - 5 : 1)) >/dev/null 2>&1
}

# Print the tail of member K's logs to stderr (used on every failure).
rig_show_log() {
	local name=$1 k=$2 dir
	dir="$(rig_state "$name")/n$k"
	local f
	for f in "$dir/lxd.log" "$dir/lxd.out"; do
		if [[ -s $f ]]; then
			printf -- '----- tail of %s -----\n' "$f" >&2
			tail -n 40 "$f" >&2 || true
		fi
	done
}

rig_show_all_logs() {
	local name=$1 k
	for k in 1 2 3; do
		[[ -d "$(rig_state "$name")/n$k" ]] && rig_show_log "$name" "$k"
	done
	return 0
}

# rig_api SOCKET METHOD PATH [JSON-BODY]
# Calls the LXD REST API over the unix socket. Prints the response JSON.
# Fails (loudly) on transport errors and on {"type":"error"}. For async
# responses it waits (bounded, RIG_OP_TIMEOUT) for the operation and prints
# the final operation JSON; a failed operation is an error too.
rig_api() {
	local sock=$1 method=$2 path=$3 body=${4:-} out rc
	local -a args=(--silent --show-error --max-time 120 --unix-socket "$sock" -X "$method")
	if [[ -n $body ]]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$body")
	fi
	rc=0
	out=$(curl "${args[@]}" "http://lxd$path" 2>&1) || rc=$?
	if ((rc != 0)); then
		rig_fail "$method $path on $sock: curl exit $rc: $out"
		return 1
	fi
	local type
	type=$(jq -r '.type // empty' <<<"$out" 2>/dev/null) || true
	case $type in
	sync) printf '%s\n' "$out" ;;
	async)
		# RIG_NOWAIT=1: print the operation as created (join tokens stay
		# "Running" until used).
		if [[ ${RIG_NOWAIT:-0} == 1 ]]; then
			printf '%s\n' "$out"
			return 0
		fi
		local op
		op=$(jq -r '.operation' <<<"$out")
		rig_wait_op "$sock" "$op" "${RIG_OP_TIMEOUT:-120}" || {
			rig_fail "$method $path: operation failed"
			return 1
		}
		;;
	error)
		rig_fail "$method $path: $(jq -r '"\(.error_code) \(.error)"' <<<"$out")"
		return 1
		;;
	*)
		rig_fail "$method $path: unexpected response: $out"
		return 1
		;;
	esac
}

# rig_wait_op SOCKET OPERATION-PATH TIMEOUT — prints the finished operation.
rig_wait_op() {
	local sock=$1 op=$2 timeout=$3 out status
	out=$(curl --silent --show-error --max-time $((timeout + 10)) --unix-socket "$sock" \
		"http://lxd$op/wait?timeout=$timeout") || {
		rig_fail "waiting for $op failed"
		return 1
	}
	status=$(jq -r '.metadata.status // empty' <<<"$out")
	if [[ $status != Success ]]; then
		rig_fail "operation $op ended as '${status:-?}': $(jq -c '{error, metadata: .metadata.err}' <<<"$out" 2>/dev/null || printf '%s' "$out")"
		return 1
	fi
	printf '%s\n' "$out"
}

# Run a command with all file descriptors above 2 closed, so the daemons we
# start never hold the caller's pipes (Terraform, make, tee ...) open.
rig_closefds_exec() {
	local fd
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		if [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)); then
			eval "exec $fd>&-" 2>/dev/null || true
		fi
	done
	exec "$@"
}

# rig_alive PID — running and not a zombie (an exited daemon stays a zombie
# until its parent, often pid 1, reaps it).
rig_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z && $st != X ]]
}

# rig_kill_pid PID [WHAT] — TERM, wait up to 10 s, then KILL.
rig_kill_pid() {
	local pid=$1 what=${2:-process} i
	[[ $pid =~ ^[0-9]+$ ]] || return 0
	rig_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		rig_alive "$pid" || return 0
		sleep 0.2
	done
	rig_log "$what (pid $pid) ignored SIGTERM; sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 25; i++)); do
		rig_alive "$pid" || return 0
		sleep 0.2
	done
	rig_log "WARNING: $what (pid $pid) still alive after SIGKILL"
}

rig_pid_alive() {
	local pidfile=$1 pid
	[[ -s $pidfile ]] || return 1
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] && rig_alive "$pid"
}

# ---------------------------------------------------------------- network

rig_netns_exists() { [[ -e /run/netns/$1 ]]; }

rig_net_up() {
	local name=$1 members=$2 k ns br="$1-br"
	rig_run ip netns add "$br" || return 1
	rig_run ip -n "$br" link set lo up || return 1
	rig_run ip -n "$br" link add br0 type bridge || return 1
	rig_run ip -n "$br" link set br0 up || return 1
	for ((k = 1; k <= members; k++)); do
		ns="$name-n$k"
		rig_run ip netns add "$ns" || return 1
		rig_run ip -n "$ns" link set lo up || return 1
		rig_run ip -n "$br" link add "p$k" type veth peer name eth0 netns "$ns" || return 1
		rig_run ip -n "$br" link set "p$k" master br0 up || return 1
		# No IPv6 on the link: nothing to wait for (DAD), nothing to leak.
		ip netns exec "$ns" sysctl -q -w net.ipv6.conf.eth0.disable_ipv6=1 >/dev/null 2>&1 || true
		rig_run ip -n "$ns" addr add "$LXDRIG_SUBNET_PREFIX.$k/24" dev eth0 || return 1
		rig_run ip -n "$ns" link set eth0 up || return 1
	done
}

# ---------------------------------------------------------------- OVS/OVN

rig_ovn_env() {
	local b=$1
	printf '%s\n' "OVS_RUNDIR=$b/run" "OVS_LOGDIR=$b/log" "OVS_DBDIR=$b/db" \
		"OVS_SYSCONFDIR=$b/etc" "OVN_RUNDIR=$b/run" "OVN_LOGDIR=$b/log" \
		"OVN_DBDIR=$b/db" "OVN_SYSCONFDIR=$b/etc"
}

# rig_ovn_daemon NS-ENV... -- CMD... : start one detaching OVS/OVN daemon.
rig_ovn_daemon() {
	local log=$1
	shift
	(rig_closefds_exec "$@" --detach </dev/null >>"$log" 2>&1) || {
		rig_fail "could not start: $*"
		tail -n 20 "$log" >&2 || true
		return 1
	}
}

# The OVS datapath the rig uses: "system" needs the openvswitch kernel
# module; without it (containers, minimal VMs) ovs-vswitchd cannot create any
# bridge, ovn-controller never reaches br-int, no chassis claims the OVN
# router's gateway port, and LXD's network state fails ("no row \"\" in table
# Chassis"). The userspace datapath ("netdev", tap devices) works anywhere.
# LXDRIG_OVS_DATAPATH=system|netdev overrides the choice.
rig_ovs_datapath() {
	if [[ -n ${LXDRIG_OVS_DATAPATH:-} ]]; then
		printf '%s\n' "$LXDRIG_OVS_DATAPATH"
	elif [[ -d /sys/module/openvswitch ]] || modprobe -q openvswitch 2>/dev/null; then
		printf 'system\n'
	else
		printf 'netdev\n'
	fi
}

# rig_ovs_vsctl_wrapper DIR REAL-OVS-VSCTL DATAPATH — an ovs-vsctl put first
# on LXD's PATH: every bridge LXD adds (the uplink bridge "lxdovnN") gets the
# rig's datapath type; all other calls pass through unchanged.
rig_ovs_vsctl_wrapper() {
	local dir=$1 real=$2 dp=$3
	mkdir -p "$dir" || return 1
	{
		printf '#!/usr/bin/env bash\n'
		printf '# Written by lxd-rig.sh: add-br also sets datapath_type=%s.\n' "$dp"
		printf 'real=%q dp=%q br=""\n' "$real" "$dp"
		cat <<'WRAP'
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	if [[ ${args[i]} == add-br ]]; then
		br=${args[i + 1]:-}
		break
	fi
done
if [[ -n $br ]]; then
	exec "$real" "$@" -- set bridge "$br" datapath_type="$dp"
fi
exec "$real" "$@"
WRAP
	} >"$dir/ovs-vsctl" || return 1
	chmod 0755 "$dir/ovs-vsctl"
}

# rig_ovs_datapath_fixer DIR DB DATAPATH — a script that watches the OVS
# database and gives every bridge added without a datapath type DATAPATH.
# Incus adds its bridges through the OVS database protocol, not ovs-vsctl,
# so the wrapper above never sees them; Incus then waits (a few seconds)
# for the bridge's interface, which the netdev datapath creates once the
# type is set. Event-driven: ovsdb-client reports each new row.
rig_ovs_datapath_fixer() {
	local dir=$1 db=$2 dp=$3
	mkdir -p "$dir" || return 1
	{
		printf '#!/usr/bin/env bash\n'
		printf '# Written by lxd-rig.sh: bridges without a datapath type get %s.\n' "$dp"
		printf 'db=%q dp=%q\n' "$db" "$dp"
		cat <<'FIX'
ovsdb-client monitor "$db" Open_vSwitch Bridge name datapath_type --format=csv |
	while IFS=, read -r _row action name type; do
		[[ $action == initial || $action == insert || $action == new ]] || continue
		[[ -n $name && $name != name && $type != "$dp" ]] || continue
		ovs-vsctl --timeout=10 --db="$db" set bridge "$name" datapath_type="$dp" ||
			echo "datapath fixer: cannot set $name to $dp" >&2
	done
FIX
	} >"$dir/ovs-datapath-fixer" || return 1
	chmod 0755 "$dir/ovs-datapath-fixer"
}

# rig_ovn_up NAME — OVS + OVN central + chassis for member 1, private dirs.
rig_ovn_up() {
	local name=$1 ns="$1-n1" b db p dp
	b="$(rig_state "$name")/n1/ovs"
	mkdir -p "$b"/{run,log,db,etc} || return 1
	dp=$(rig_ovs_datapath)
	rig_log "OVS datapath type: $dp"
	if [[ $dp != system ]]; then
		rig_ovs_vsctl_wrapper "$b/bin" "$(command -v ovs-vsctl)" "$dp" || return 1
	fi
	local -a e
	mapfile -t e < <(rig_ovn_env "$b")
	local -a x=(ip netns exec "$ns" env "${e[@]}")
	local start="$b/log/start.log"
	rig_log "starting OVS and OVN in $ns ($b)"
	rig_run ovsdb-tool create "$b/db/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
	rig_run ovsdb-tool create "$b/db/nb.db" /usr/share/ovn/ovn-nb.ovsschema || return 1
	rig_run ovsdb-tool create "$b/db/sb.db" /usr/share/ovn/ovn-sb.ovsschema || return 1
	rig_ovn_daemon "$start" "${x[@]}" ovsdb-server "$b/db/conf.db" \
		--remote="punix:$b/run/db.sock" --pidfile="$b/run/ovsdb-server.pid" \
		--log-file="$b/log/ovsdb-server.log" --unixctl="$b/run/ovsdb-server.ctl" || return 1
	rig_run timeout 30 ovs-vsctl --timeout=20 --db="unix:$b/run/db.sock" --no-wait init || return 1
	rig_ovn_daemon "$start" "${x[@]}" ovs-vswitchd "unix:$b/run/db.sock" \
		--pidfile="$b/run/ovs-vswitchd.pid" --log-file="$b/log/ovs-vswitchd.log" \
		--unixctl="$b/run/ovs-vswitchd.ctl" || return 1
	for db in nb sb; do
		rig_ovn_daemon "$start" "${x[@]}" ovsdb-server "$b/db/$db.db" \
			--remote="punix:$b/run/ovn${db}_db.sock" \
			--pidfile="$b/run/ovn${db}_db.pid" --log-file="$b/log/ovn${db}_db.log" \
			--unixctl="$b/run/ovn${db}_db.ctl" || return 1
	done
	rig_run timeout 30 ovn-nbctl --timeout=20 --db="unix:$b/run/ovnnb_db.sock" init || return 1
	rig_run timeout 30 ovn-sbctl --timeout=20 --db="unix:$b/run/ovnsb_db.sock" init || return 1
	rig_ovn_daemon "$start" "${x[@]}" ovn-northd --ovnnb-db="unix:$b/run/ovnnb_db.sock" \
		--ovnsb-db="unix:$b/run/ovnsb_db.sock" --pidfile="$b/run/ovn-northd.pid" \
		--log-file="$b/log/ovn-northd.log" --unixctl="$b/run/ovn-northd.ctl" || return 1
	rig_run timeout 30 ovs-vsctl --timeout=20 --db="unix:$b/run/db.sock" set open_vswitch . \
		external_ids:system-id=node1 \
		external_ids:ovn-remote="unix:$b/run/ovnsb_db.sock" \
		external_ids:ovn-encap-type=geneve external_ids:ovn-encap-ip=127.0.0.1 \
		external_ids:ovn-bridge-datapath-type="$dp" || return 1
	rig_ovn_daemon "$start" "${x[@]}" ovn-controller "unix:$b/run/db.sock" \
		--pidfile="$b/run/ovn-controller.pid" --log-file="$b/log/ovn-controller.log" || return 1
	if [[ $dp != system && $(rig_kind "$name") == incus ]]; then
		rig_ovs_datapath_fixer "$b/bin" "unix:$b/run/db.sock" "$dp" || return 1
		(rig_closefds_exec setsid ip netns exec "$ns" "$b/bin/ovs-datapath-fixer" \
			</dev/null >>"$b/log/datapath-fixer.log" 2>&1) &
		printf '%s\n' "$!" >"$b/run/datapath-fixer.pid"
	fi
	for p in ovsdb-server ovs-vswitchd ovnnb_db ovnsb_db ovn-northd ovn-controller; do
		rig_pid_alive "$b/run/$p.pid" || {
			tail -n 20 "$b/log/$p.log" >&2 2>/dev/null || true
			rig_fail "$p is not running after start"
			return 1
		}
	done
	printf 'unix:%s/run/ovnnb_db.sock\n' "$b" >"$b/nb-connection"
}

rig_ovn_down() {
	local name=$1 b p
	b="$(rig_state "$name")/n1/ovs"
	[[ -d $b/run ]] || return 0
	for p in datapath-fixer ovn-controller ovn-northd ovs-vswitchd ovnnb_db ovnsb_db ovsdb-server; do
		[[ -s $b/run/$p.pid ]] && rig_kill_pid "$(<"$b/run/$p.pid")" "$p"
	done
	return 0
}

# ---------------------------------------------------------------- daemons

# rig_start_daemon NAME K — start lxd for member K in its namespace, wait ready.
rig_start_daemon() {
	local name=$1 k=$2 ns="$1-n$2" dir lxddir
	dir="$(rig_state "$name")/n$k"
	lxddir="$dir/lxd"
	mkdir -p "$lxddir" "$dir/pools" || return 1
	chmod 0711 "$dir" "$lxddir"
	local kind dvar
	kind=$(rig_kind "$name")
	dvar=$(rig_dir_var "$kind")
	local -a envs=("$dvar=$lxddir" "PATH=$PATH")
	# --ovn without the kernel datapath: LXD must run the ovs-vsctl wrapper.
	[[ -d $dir/ovs/bin ]] && envs=("$dvar=$lxddir" "PATH=$dir/ovs/bin:$PATH")
	local -a daemon=(lxd)
	[[ $kind == incus ]] && daemon=("$LXDRIG_INCUSD")
	if [[ -d $dir/ovs ]]; then
		local -a e
		mapfile -t e < <(rig_ovn_env "$dir/ovs")
		envs+=("${e[@]}")
	fi
	rig_log "starting $kind member $k in namespace $ns ($dvar=$lxddir)"
	# setsid: its own session and process group, so a terminal ^C reaches
	# only the test, which then tears the rig down in order.
	(rig_closefds_exec setsid ip netns exec "$ns" env -u LXD_SOCKET -u INCUS_SOCKET \
		"${envs[@]}" "${daemon[@]}" --group root --logfile "$dir/lxd.log" \
		</dev/null >>"$dir/lxd.out" 2>&1) &
	local pid=$!
	printf '%s\n' "$pid" >"$dir/lxd.pid"
	local t0=$SECONDS deadline=$((SECONDS + LXDRIG_START_TIMEOUT))
	while :; do
		if ! rig_alive "$pid"; then
			rig_show_log "$name" "$k"
			rig_fail "$kind member $k (pid $pid) exited during startup: $kind cannot start here"
			return 1
		fi
		rig_admin_cmd "$kind" "$lxddir"
		if timeout 10 "${RIG_ADMIN[@]}" waitready --timeout 2 >/dev/null 2>&1; then
			break
		fi
		if ((SECONDS >= deadline)); then
			rig_show_log "$name" "$k"
			rig_fail "$kind member $k (pid $pid) not ready within ${LXDRIG_START_TIMEOUT}s"
			return 1
		fi
	done
	rig_log "member $k ready after $((SECONDS - t0))s (pid $pid)"
}

# rig_stop_daemon NAME K — graceful shutdown (bounded), then kill leftovers.
rig_stop_daemon() {
	local name=$1 k=$2 dir lxddir pidfile
	dir="$(rig_state "$name")/n$k"
	lxddir="$dir/lxd"
	pidfile="$dir/lxd.pid"
	if rig_pid_alive "$pidfile" && [[ -S $lxddir/unix.socket ]]; then
		rig_admin_cmd "$(rig_kind "$name")" "$lxddir"
		if ! timeout $((LXDRIG_STOP_TIMEOUT + 5)) "${RIG_ADMIN[@]}" shutdown \
			--timeout "$LXDRIG_STOP_TIMEOUT" >/dev/null 2>&1; then
			rig_log "member $k: shutdown did not finish in ${LXDRIG_STOP_TIMEOUT}s; killing"
		fi
	fi
	if [[ -s $pidfile ]]; then
		rig_kill_pid "$(<"$pidfile")" "lxd member $k"
	fi
}

# rig_restart_daemon NAME K — crash member K (SIGKILL, as a power cut or OOM
# kill would) and start it again on the same state; returns once it is ready.
rig_restart_daemon() {
	local name=$1 k=$2 pidfile pid i
	pidfile="$(rig_state "$name")/n$k/lxd.pid"
	[[ -s $pidfile ]] || {
		rig_fail "member $k of rig '$name' has no pid file ($pidfile)"
		return 1
	}
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || {
		rig_fail "bad pid '$pid' in $pidfile"
		return 1
	}
	rig_log "member $k: SIGKILL pid $pid"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		rig_alive "$pid" || break
		sleep 0.1
	done
	if rig_alive "$pid"; then
		rig_fail "member $k (pid $pid) still alive after SIGKILL"
		return 1
	fi
	rig_start_daemon "$name" "$k"
}

# Kill whatever still runs inside one of the rig's namespaces.
rig_kill_netns_pids() {
	local ns=$1 pid pids
	rig_netns_exists "$ns" || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null || true)
	for pid in $pids; do
		rig_log "leftover process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80)) in $ns"
		rig_kill_pid "$pid" "leftover in $ns"
	done
}

# ---------------------------------------------------------------- cluster

rig_cluster_bootstrap() {
	local name=$1 sock
	sock=$(rig_socket "$name" 1)
	rig_api "$sock" PATCH /1.0 \
		"{\"config\":{\"core.https_address\":\"$LXDRIG_SUBNET_PREFIX.1:8443\"}}" >/dev/null || return 1
	rig_api "$sock" PUT /1.0/cluster '{"server_name":"node1","enabled":true}' >/dev/null || return 1
	rig_log "member 1 bootstrapped as cluster node1 on $LXDRIG_SUBNET_PREFIX.1:8443"
}

# rig_cluster_join NAME K — issue a token on member 1, PUT /1.0/cluster on K.
rig_cluster_join() {
	local name=$1 k=$2 s1 sk state
	state=$(rig_state "$name")
	s1=$(rig_socket "$name" 1)
	sk=$(rig_socket "$name" "$k")
	local op token member_config cert body
	op=$(RIG_NOWAIT=1 rig_api "$s1" POST /1.0/cluster/members "{\"server_name\":\"node$k\"}") || return 1
	# The token is what `lxc cluster add` prints: base64 of this JSON.
	token=$(jq -cj '.metadata.metadata | {server_name: .serverName, fingerprint,
		addresses, secret, expires_at: .expiresAt}' <<<"$op" | base64 -w0)
	[[ -n $token ]] || {
		rig_fail "no join token in: $op"
		return 1
	}
	# Every member-specific key the cluster needs: dir-pool sources get a
	# fresh directory outside LXD_DIR, anything else the default ("").
	local need
	need=$(rig_api "$s1" GET /1.0/cluster) || return 1
	member_config=$(jq -c --arg pools "$state/n$k/pools" '[.metadata.member_config[]? |
		{entity, name, key, value: (if .entity == "storage-pool" and .key == "source"
			then "\($pools)/\(.name)" else "" end)}]' <<<"$need")
	local src
	for src in $(jq -r '.[] | select(.entity == "storage-pool" and .key == "source") | .value' <<<"$member_config"); do
		mkdir -p "$src"
	done
	cert=$(<"$(rig_lxd_dir "$name" 1)/cluster.crt")
	body=$(jq -cn --arg name "node$k" --arg self "$LXDRIG_SUBNET_PREFIX.$k:8443" \
		--arg leader "$LXDRIG_SUBNET_PREFIX.1:8443" --arg cert "$cert" \
		--arg token "$token" --argjson mc "$member_config" \
		'{server_name: $name, enabled: true, server_address: $self,
		  cluster_address: $leader, cluster_certificate: $cert,
		  cluster_password: $token, cluster_token: $token, member_config: $mc}')
	rig_log "joining member $k as node$k"
	RIG_OP_TIMEOUT=$LXDRIG_JOIN_TIMEOUT rig_api "$sk" PUT /1.0/cluster "$body" >/dev/null || {
		rig_show_log "$name" 1
		rig_show_log "$name" "$k"
		rig_fail "member $k could not join the cluster"
		return 1
	}
}

rig_wait_online() {
	local name=$1 members=$2 s1 deadline online out
	s1=$(rig_socket "$name" 1)
	deadline=$((SECONDS + LXDRIG_ONLINE_TIMEOUT))
	while :; do
		out=$(rig_api "$s1" GET '/1.0/cluster/members?recursion=1' 2>/dev/null) || out='{}'
		online=$(jq '[.metadata[]? | select(.status == "Online")] | length' <<<"$out")
		((online == members)) && return 0
		if ((SECONDS >= deadline)); then
			jq -c '[.metadata[]? | {server_name, status, message}]' <<<"$out" >&2 || true
			rig_show_all_logs "$name"
			rig_fail "only $online of $members members ONLINE after ${LXDRIG_ONLINE_TIMEOUT}s"
			return 1
		fi
		sleep 1
	done
}

# ---------------------------------------------------------------- standalone

# rig_standalone_net NAME K — namespace NAME-nK (eth0 = 203.0.113.K/24) on the
# rig's existing bridge; like one iteration of rig_net_up.
rig_standalone_net() {
	local name=$1 k=$2 ns="$1-n$2" br="$1-br"
	rig_run ip netns add "$ns" || return 1
	rig_run ip -n "$ns" link set lo up || return 1
	rig_run ip -n "$br" link add "p$k" type veth peer name eth0 netns "$ns" || return 1
	rig_run ip -n "$br" link set "p$k" master br0 up || return 1
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.eth0.disable_ipv6=1 >/dev/null 2>&1 || true
	rig_run ip -n "$ns" addr add "$LXDRIG_SUBNET_PREFIX.$k/24" dev eth0 || return 1
	rig_run ip -n "$ns" link set eth0 up || return 1
}

# rig_standalone_up NAME K — start daemon K of an existing rig WITHOUT joining
# it to the cluster (no core.https_address either): a server that a test (or
# the provider's lxd_node) can join. K must be above the rig's MEMBERS and at
# most 3 (rig_down stops members 3..1). Writes $state/nK/standalone and
# appends its exports to $state/env.
rig_standalone_up() {
	local name=${1:-} k=${2:-} state members
	rig_check_name "$name" || return 1
	state=$(rig_state "$name")
	[[ -f $state/rig.conf ]] || {
		rig_fail "no rig '$name': run 'up $name MEMBERS' first"
		return 1
	}
	members=$(sed -n 's/^members=//p' "$state/rig.conf")
	if ! [[ $k =~ ^[23]$ ]] || ((k <= members)); then
		rig_fail "standalone K must be in $((members + 1))..3 for rig '$name' (got '$k')"
		return 1
	fi
	if [[ -e $state/n$k ]] || rig_netns_exists "$name-n$k"; then
		rig_fail "daemon $k of rig '$name' already exists"
		return 1
	fi
	rig_standalone_net "$name" "$k" || return 1
	# The caller usually has the rig's env loaded: LXD_SOCKET (member 1's
	# socket) would make the new daemon listen there instead of in its
	# own LXD_DIR (and `lxd waitready` ask the wrong daemon).
	(unset LXD_SOCKET LXD_CONF INCUS_SOCKET INCUS_CONF && rig_start_daemon "$name" "$k") || return 1
	: >"$state/n$k/standalone"
	rig_standalone_env "$name" "$k" >>"$state/env"
	rig_log "standalone daemon $k of rig '$name' ready (not clustered)"
}

# rig_standalone_env NAME K — shell exports for standalone daemon K.
rig_standalone_env() {
	local name=$1 k=$2 state
	# Also called directly by sourcing scripts, with the name they gave
	# `up`: the same LXDRIG_PREFIX applies (once).
	if [[ -n ${LXDRIG_PREFIX:-} && $name != "$LXDRIG_PREFIX"* ]]; then
		name=$LXDRIG_PREFIX$name
	fi
	state=$(rig_state "$name")
	printf 'export RIG_N%s_SOCKET=%q\n' "$k" "$(rig_socket "$name" "$k")"
	printf 'export RIG_N%s_LXD_DIR=%q\n' "$k" "$(rig_lxd_dir "$name" "$k")"
	printf 'export RIG_N%s_POOLS=%q\n' "$k" "$state/n$k/pools"
	printf 'export RIG_N%s_NETNS=%q\n' "$k" "$name-n$k"
	printf 'export RIG_N%s_ADDRESS=%q\n' "$k" "$LXDRIG_SUBNET_PREFIX.$k:8443"
	printf 'export RIG_N%s_LOG=%q\n' "$k" "$state/n$k/lxd.log"
}

# ---------------------------------------------------------------- faults

# rig_daemon_dir NAME K — member K's state dir, failing loudly if it has none.
rig_daemon_dir() {
	local name=$1 k=$2 dir
	rig_check_name "$name" || return 1
	[[ $k =~ ^[1-3]$ ]] || {
		rig_fail "daemon number K must be 1..3 (got '$k')"
		return 1
	}
	dir="$(rig_state "$name")/n$k"
	[[ -d $dir/lxd ]] || {
		rig_fail "rig '$name' has no daemon $k ($dir)"
		return 1
	}
	printf '%s\n' "$dir"
}

# rig_daemon_pid NAME K — print the pid of running daemon K.
rig_daemon_pid() {
	local dir pid
	dir=$(rig_daemon_dir "$1" "$2") || return 1
	pid=$(cat "$dir/lxd.pid" 2>/dev/null) || pid=""
	if [[ ! $pid =~ ^[0-9]+$ ]] || ! rig_alive "$pid"; then
		rig_fail "daemon $2 of rig '$1' is not running"
		return 1
	fi
	printf '%s\n' "$pid"
}

# rig_kill_daemon NAME K — SIGKILL (no shutdown, as a crash would), then
# wait (bounded) until the process is gone.
rig_kill_daemon() {
	local pid i
	pid=$(rig_daemon_pid "$1" "$2") || return 1
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		rig_alive "$pid" || {
			rig_log "daemon $2 of '$1' (pid $pid) killed with SIGKILL"
			return 0
		}
		sleep 0.1
	done
	rig_fail "daemon $2 of '$1' (pid $pid) still alive 10s after SIGKILL"
}

# rig_start_again NAME K — start daemon K again after a kill, exactly as
# `up`/`standalone` started it (rig_start_daemon: namespace, LXD_DIR, OVS
# environment), and wait until it is ready (LXDRIG_START_TIMEOUT).
rig_start_again() {
	local dir pid
	dir=$(rig_daemon_dir "$1" "$2") || return 1
	pid=$(cat "$dir/lxd.pid" 2>/dev/null) || pid=""
	if [[ $pid =~ ^[0-9]+$ ]] && rig_alive "$pid"; then
		rig_fail "daemon $2 of '$1' is still running (pid $pid); kill it first"
		return 1
	fi
	(unset LXD_SOCKET LXD_CONF INCUS_SOCKET INCUS_CONF && rig_start_daemon "$1" "$2")
}

# rig_signal_daemon NAME K STOP|CONT — freeze or thaw daemon K.
rig_signal_daemon() {
	local pid
	pid=$(rig_daemon_pid "$1" "$2") || return 1
	kill "-$3" "$pid" || {
		rig_fail "cannot send SIG$3 to daemon $2 of '$1' (pid $pid)"
		return 1
	}
	rig_log "daemon $2 of '$1' (pid $pid): SIG$3"
}

# rig_link NAME K up|down — the namespace's only link to the rig's bridge.
rig_link() {
	local ns="$1-n$2"
	[[ $3 == up || $3 == down ]] || {
		rig_fail "link state must be up or down (got '$3')"
		return 1
	}
	rig_netns_exists "$ns" || {
		rig_fail "no namespace $ns"
		return 1
	}
	rig_run ip -n "$ns" link set eth0 "$3" || return 1
	rig_log "eth0 in $ns is $3"
}

# ---------------------------------------------------------------- commands

rig_check_name() {
	[[ $1 =~ ^[a-z][a-z0-9-]{0,11}$ ]] || {
		rig_fail "rig name '$1' must match ^[a-z][a-z0-9-]{0,11}\$"
		return 1
	}
}

rig_require_tools() {
	local t missing=()
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	((${#missing[@]} == 0)) || {
		rig_fail "missing tools: ${missing[*]} (run tests/deps.sh)"
		return 1
	}
}

# rig_up NAME MEMBERS [--ovn]
rig_up() {
	local name=${1:-} members=${2:-} ovn=0
	[[ ${3:-} == --ovn ]] && ovn=1
	rig_check_name "$name" || return 1
	[[ $members =~ ^[1-3]$ ]] || {
		rig_fail "MEMBERS must be 1, 2 or 3 (got '$members')"
		return 1
	}
	if ((ovn && members != 1)); then
		rig_fail "--ovn needs a 1-member rig (members would share one OVS chassis)"
		return 1
	fi
	[[ $(id -u) == 0 ]] || {
		rig_fail "the rig needs root (network namespaces, lxd)"
		return 1
	}
	local kind=${RIG_SERVER:-lxd}
	case $kind in
	lxd) rig_require_tools lxd lxc ip curl jq setsid timeout || return 1 ;;
	incus)
		rig_require_tools incus ip curl jq setsid timeout || return 1
		[[ -x $LXDRIG_INCUSD ]] || {
			rig_fail "Incus daemon $LXDRIG_INCUSD not found (run tests/deps.sh)"
			return 1
		}
		;;
	*)
		rig_fail "RIG_SERVER must be lxd or incus (got '$kind')"
		return 1
		;;
	esac
	((ovn)) && { rig_require_tools ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl \
		ovn-northd ovn-controller ovn-nbctl ovn-sbctl || return 1; }

	local state t0=$SECONDS k
	state=$(rig_state "$name")
	if [[ -e $state ]] || rig_netns_exists "$name-br" || rig_netns_exists "$name-n1"; then
		rig_log "rig '$name' already exists; tearing it down first"
		rig_down "$name" || return 1
	fi
	mkdir -p "$state" || return 1
	printf 'members=%s\novn=%s\nserver=%s\n' "$members" "$ovn" "$kind" >"$state/rig.conf"
	rig_log "up '$name': $kind, $members member(s)$( ((ovn)) && printf ' with OVN'), state in $state"

	rig_net_up "$name" "$members" || {
		rig_fail "could not create the namespaces"
		return 1
	}
	((ovn)) && { rig_ovn_up "$name" || {
		rig_fail "OVS/OVN did not start (logs in $state/n1/ovs/log)"
		return 1
	}; }
	for ((k = 1; k <= members; k++)); do
		rig_start_daemon "$name" "$k" || return 1
	done
	if ((ovn)); then
		# Incus talks to OVS itself (network.ovs.connection, default the
		# system socket); LXD 5.0 runs ovs-vsctl with OVS_RUNDIR.
		local ovs_conn=""
		[[ $kind == incus ]] && ovs_conn="unix:$state/n1/ovs/run/db.sock"
		rig_api "$(rig_socket "$name" 1)" PATCH /1.0 "$(jq -cn --arg c "$(<"$state/n1/ovs/nb-connection")" \
			--arg o "$ovs_conn" '{config: ({"network.ovn.northbound_connection": $c} +
				(if $o == "" then {} else {"network.ovs.connection": $o} end))}')" >/dev/null || return 1
	fi
	rig_cluster_bootstrap "$name" || {
		rig_show_log "$name" 1
		return 1
	}
	for ((k = 2; k <= members; k++)); do
		rig_cluster_join "$name" "$k" || return 1
	done
	rig_wait_online "$name" "$members" || return 1
	rig_env "$name" >"$state/env"
	rig_log "rig '$name' up: $members member(s) ONLINE in $((SECONDS - t0))s; env in $state/env"
}

# rig_down NAME — safe to repeat and after a partial up.
rig_down() {
	local name=${1:-} state k t0=$SECONDS
	rig_check_name "$name" || return 1
	state=$(rig_state "$name")
	# Joiners first, the bootstrap member last.
	for k in 3 2 1; do
		if [[ -d $state/n$k ]]; then
			rig_stop_daemon "$name" "$k"
		fi
	done
	rig_ovn_down "$name"
	for k in 3 2 1; do
		rig_kill_netns_pids "$name-n$k"
	done
	rig_kill_netns_pids "$name-br"
	# Mounts a daemon may have left behind in the host's mount table.
	if [[ -d $state ]]; then
		local m
		while read -r m; do
			[[ -n $m ]] || continue
			rig_log "unmounting leftover $m"
			umount -l "$m" 2>/dev/null || true
		done < <(awk -v p="$state/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r)
	fi
	for k in 1 2 3; do
		rig_netns_exists "$name-n$k" && ip netns delete "$name-n$k"
	done
	rig_netns_exists "$name-br" && ip netns delete "$name-br"
	if [[ -d $state ]]; then
		rm -rf --one-file-system "$state" || {
			rig_fail "could not remove $state"
			return 1
		}
	fi
	rig_log "down '$name' in $((SECONDS - t0))s"
}

rig_env() {
	local name=${1:-} state members k
	rig_check_name "$name" || return 1
	state=$(rig_state "$name")
	[[ -f $state/rig.conf ]] || {
		rig_fail "no rig '$name' (no $state/rig.conf)"
		return 1
	}
	members=$(sed -n 's/^members=//p' "$state/rig.conf")
	printf 'export RIG_NAME=%q\n' "$name"
	printf 'export RIG_STATE=%q\n' "$state"
	printf 'export RIG_MEMBERS=%q\n' "$members"
	printf 'export RIG_SERVER=%q\n' "$(rig_kind "$name")"
	# LXD_SOCKET names member 1's socket for either server (the scenarios'
	# convention); INCUS_SOCKET too on an Incus rig.
	printf 'export LXD_SOCKET=%q\n' "$(rig_socket "$name" 1)"
	printf 'export LXD_CONF=%q\n' "$state/lxc-conf"
	if [[ $(rig_kind "$name") == incus ]]; then
		printf 'export INCUS_SOCKET=%q\n' "$(rig_socket "$name" 1)"
		printf 'export INCUS_CONF=%q\n' "$state/lxc-conf"
	fi
	for ((k = 1; k <= members; k++)); do
		printf 'export RIG_N%s_SOCKET=%q\n' "$k" "$(rig_socket "$name" "$k")"
		printf 'export RIG_N%s_LXD_DIR=%q\n' "$k" "$(rig_lxd_dir "$name" "$k")"
		printf 'export RIG_N%s_POOLS=%q\n' "$k" "$state/n$k/pools"
		printf 'export RIG_N%s_NETNS=%q\n' "$k" "$name-n$k"
		printf 'export RIG_N%s_ADDRESS=%q\n' "$k" "$LXDRIG_SUBNET_PREFIX.$k:8443"
		printf 'export RIG_N%s_LOG=%q\n' "$k" "$state/n$k/lxd.log"
	done
	if [[ -s $state/n1/ovs/nb-connection ]]; then
		printf 'export RIG_OVN_NB=%q\n' "$(<"$state/n1/ovs/nb-connection")"
		printf 'export RIG_OVS_RUNDIR=%q\n' "$state/n1/ovs/run"
	fi
}

rig_main() {
	set -euo pipefail
	local cmd=${1:-}
	shift || true
	# LXDRIG_PREFIX (e.g. "w2-") is put before every rig NAME given on the
	# command line, so concurrent test runs on one machine (each with its own
	# prefix) never share a namespace or a state directory.
	if (($# > 0)) && [[ -n ${LXDRIG_PREFIX:-} ]]; then
		set -- "$LXDRIG_PREFIX$1" "${@:2}"
	fi
	case $cmd in
	up)
		[[ $# -ge 2 ]] || {
			echo "usage: $0 up NAME MEMBERS [--ovn]" >&2
			exit 2
		}
		local rc=0
		rig_up "$@" || rc=$?
		if ((rc != 0)); then
			rig_fail "'up $*' failed" || true
			if [[ ${LXDRIG_KEEP_ON_FAILURE:-0} == 1 ]]; then
				rig_log "LXDRIG_KEEP_ON_FAILURE=1: leaving the rig for inspection"
			else
				rig_down "$1" || true
			fi
			exit 1
		fi
		;;
	down)
		[[ $# -eq 1 ]] || {
			echo "usage: $0 down NAME" >&2
			exit 2
		}
		rig_down "$1"
		;;
	env)
		[[ $# -eq 1 ]] || {
			echo "usage: $0 env NAME" >&2
			exit 2
		}
		rig_env "$1"
		;;
	standalone)
		[[ $# -eq 2 ]] || {
			echo "usage: $0 standalone NAME K" >&2
			exit 2
		}
		rig_standalone_up "$1" "$2" || {
			rig_show_log "$1" "$2"
			exit 1
		}
		;;
	restart)
		[[ $# -eq 2 && $2 =~ ^[1-3]$ ]] || {
			echo "usage: $0 restart NAME K" >&2
			exit 2
		}
		rig_check_name "$1"
		rig_restart_daemon "$1" "$2"
		;;
	kill | start | freeze | thaw | pid)
		[[ $# -eq 2 ]] || {
			echo "usage: $0 $cmd NAME K" >&2
			exit 2
		}
		case $cmd in
		kill) rig_kill_daemon "$1" "$2" ;;
		start) rig_start_again "$1" "$2" ;;
		freeze) rig_signal_daemon "$1" "$2" STOP ;;
		thaw) rig_signal_daemon "$1" "$2" CONT ;;
		pid) rig_daemon_pid "$1" "$2" ;;
		esac
		;;
	waitready)
		[[ $# -eq 3 && $3 =~ ^[0-9]+$ ]] || {
			echo "usage: $0 waitready NAME K SECS" >&2
			exit 2
		}
		rig_daemon_dir "$1" "$2" >/dev/null
		rig_waitready "$1" "$2" "$3" || {
			rig_fail "daemon $2 of '$1' not ready within $3s"
			exit 1
		}
		;;
	link)
		[[ $# -eq 3 ]] || {
			echo "usage: $0 link NAME K up|down" >&2
			exit 2
		}
		rig_link "$1" "$2" "$3"
		;;
	status)
		[[ $# -eq 1 ]] || {
			echo "usage: $0 status NAME" >&2
			exit 2
		}
		rig_check_name "$1"
		rig_api "$(rig_socket "$1" 1)" GET '/1.0/cluster/members?recursion=1' |
			jq '[.metadata[] | {server_name, url, status, roles}]'
		;;
	*)
		sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//' >&2
		exit 2
		;;
	esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	rig_main "$@"
fi
