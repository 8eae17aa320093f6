#!/usr/bin/env bash
# emu.sh — start/stop the k8s API emulator in the background.
#
#   emu.sh start WORKDIR [emu.py options...]   # waits for WORKDIR/ready
#   emu.sh stop WORKDIR                         # SIGTERM, then SIGKILL; bounded
#   emu.sh url WORKDIR                          # prints the URL
#
# start fails (exit 1, log shown) if the emulator does not answer within
# EMU_START_TIMEOUT seconds (default 30) or exits early. Output goes to
# WORKDIR/emu.log. Uses /usr/bin/python3 when present (CI: Debian 12),
# else python3 from PATH; override with EMU_PYTHON.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
	echo "emu.sh: ERROR: $*" >&2
	exit 1
}

pick_python() {
	if [[ -n ${EMU_PYTHON:-} ]]; then
		echo "$EMU_PYTHON"
	elif [[ -x /usr/bin/python3 ]]; then
		echo /usr/bin/python3
	elif command -v python3 >/dev/null 2>&1; then
		command -v python3
	else
		die "python3 is not installed (need python3 and python3-yaml; see tests/deps.sh)"
	fi
}

cmd=${1:-}
dir=${2:-}
[[ -n $cmd && -n $dir ]] || die "usage: $0 start|stop|url WORKDIR [options]"
shift 2

case $cmd in
start)
	py=$(pick_python)
	"$py" -c 'import yaml' 2>/dev/null || die "$py cannot import yaml (install python3-yaml)"
	command -v openssl >/dev/null 2>&1 || die "openssl is not installed"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [[ -f $dir/pid ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
		die "an emulator is already running for $dir (pid $(cat "$dir/pid"))"
	fi
	rm -f "$dir/ready"
	# setsid: its own process group, so the test's signals do not race ours.
	setsid "$py" "$here/emu.py" --dir "$dir" "$@" >>"$dir/emu.log" 2>&1 </dev/null &
	pid=$!
	timeout=${EMU_START_TIMEOUT:-30}
	deadline=$((SECONDS + timeout))
	while [[ ! -s $dir/ready ]]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "emu.sh: ERROR: the emulator exited before it was ready; its log ($dir/emu.log):" >&2
			tail -n 40 "$dir/emu.log" >&2
			exit 1
		fi
		if ((SECONDS >= deadline)); then
			echo "emu.sh: ERROR: the emulator was not ready after ${timeout}s; its log:" >&2
			tail -n 40 "$dir/emu.log" >&2
			kill -KILL "$pid" 2>/dev/null || true
			exit 1
		fi
		sleep 0.1
	done
	# pid file is written by emu.py; keep ours too in case it differs (it must not).
	echo "$pid" >"$dir/emu.pid"
	cat "$dir/ready"
	;;
stop)
	[[ -d $dir ]] || exit 0
	pid=""
	[[ -f $dir/emu.pid ]] && pid=$(cat "$dir/emu.pid")
	[[ -z $pid && -f $dir/pid ]] && pid=$(cat "$dir/pid")
	[[ -n $pid ]] || exit 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "emu.sh: the emulator (pid $pid) ignored SIGTERM for 10s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$dir/emu.pid" "$dir/pid" "$dir/ready"
	;;
url)
	[[ -s $dir/ready ]] || die "no emulator is ready in $dir"
	cat "$dir/ready"
	;;
*)
	die "unknown command '$cmd' (start, stop, url)"
	;;
esac
