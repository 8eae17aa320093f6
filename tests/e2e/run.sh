#!/usr/bin/env bash
# run.sh BIN — end-to-end suites against real LXD daemons.
#
# Installs BIN as lxdcapi/lxd and lxdcapi/k8s 0.1.0 in a private implied
# local mirror (a temporary HOME), runs tests/e2e/handshake.sh, every
# tests/e2e/test_*.sh scenario and every fault suite tests/e2e/faults/test_*.sh.
#
# Servers: a scenario that starts a rig (calls rig_start) is an lxd_*
# scenario and runs once per server in E2E_SERVERS (default "lxd incus":
# Debian's LXD 5.0 and Incus 6.0 LTS; the rig gets RIG_SERVER). Fault suites
# run on LXD, and on Incus those matching E2E_INCUS_FAULTS (a regex on the
# file name; default: one suite per kind of fault, see
# docs/internals/testing.md). The other scenarios (k8s, protocol) run once.
#
# Ends with the results per server and then exactly one line
#     e2e: N passed, N failed
# (all runs together) counting the PASS:/FAIL: lines the scenarios print.
# Before them: the time each suite took and, when fault suites ran, a table
# with one row per "FAULT-RESULT: id=.. converged=.. orphans=.. desc=.."
# line they printed. Exits non-zero on any failure or when nothing ran.
# Rigs are always torn down.
#
# Environment: E2E_ONLY (regex on scenario file names), E2E_SERVERS,
# E2E_INCUS_FAULTS, E2E_KEEP=1 (keep the work dir), E2E_SCENARIO_TIMEOUT
# (seconds per scenario, default 1500).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$here/../.." && pwd)
export REPO_ROOT
export RIG=$REPO_ROOT/tests/rig/lxd-rig.sh
scenario_timeout=${E2E_SCENARIO_TIMEOUT:-1500}

passed=0
failed=0
durations=()
read -r -a servers <<<"${E2E_SERVERS:-lxd incus}"
incus_faults=${E2E_INCUS_FAULTS:-^test_lxd_(pool_faults_1m|join_faults|freeze_faults)\.sh$}
declare -A s_passed=() s_failed=() s_label=()
summary() {
	local k line="" l
	for k in "${servers[@]}" any; do
		[[ -n ${s_passed[$k]:-}${s_failed[$k]:-} ]] || continue
		l=${s_label[$k]:-$k}
		[[ $k == any ]] && l="server-independent"
		line+="${line:+, }$l ${s_passed[$k]:-0} passed, ${s_failed[$k]:-0} failed"
	done
	[[ -z $line ]] || echo "e2e: by server: $line"
	echo "e2e: $passed passed, $failed failed"
}

die() {
	printf '\n*** e2e: ERROR: %s ***\n\n' "$*" >&2
	failed=$((failed + 1))
	summary
	exit 1
}

bin=${1:-}
[[ -n $bin ]] || die "usage: $0 PROVIDER-BINARY"
[[ -f $bin && -x $bin ]] || die "provider binary '$bin' is missing or not executable (run make)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
export E2E_BIN=$bin

# shellcheck source=lib.sh
source "$here/lib.sh"

e2e_find_terraform || die "terraform is not installed: Terraform >= 1.11 is required at /usr/local/bin/terraform"
tfver=$(CHECKPOINT_DISABLE=1 timeout 60 "$TERRAFORM" version -json 2>/dev/null | jq -r '.terraform_version // empty' || true)
[[ -n $tfver ]] || die "$TERRAFORM does not run"
[[ $(id -u) == 0 ]] || die "the e2e suites need root (network namespaces, LXD)"

child=""
root=$(mktemp -d "${TMPDIR:-/tmp}/e2e.XXXXXX")
chmod 0755 "$root"
: >"$root/rigs"

# shellcheck disable=SC2317  # runs from the EXIT trap
cleanup() {
	local rc=$? r
	set +e
	trap - EXIT INT TERM
	# A suite still running (we were interrupted): stop it, bounded.
	if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
		echo "e2e: interrupted: stopping the running suite (pid $child)" >&2
		kill -TERM "$child" 2>/dev/null
		local i
		for ((i = 0; i < 120; i++)); do
			kill -0 "$child" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	# Every rig any scenario started, whatever state it is in.
	if [[ -s $root/rigs ]]; then
		while read -r r; do
			[[ -n $r ]] || continue
			"$RIG" down "$r" >/dev/null 2>&1 || "$RIG" down "$r"
		done < <(sort -u "$root/rigs")
	fi
	"$RIG" down e2epre >/dev/null 2>&1
	e2e_kill_providers quiet
	if [[ ${E2E_KEEP:-0} == 1 ]]; then
		echo "e2e: work dir kept: $root"
	else
		rm -rf "$root"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

e2e_install_provider "$bin" "$root" || die "could not install $bin into the local mirror"
e2e_export_env "$root"
echo "e2e: terraform $tfver ($TERRAFORM), provider $bin, work dir $root"

# server_label KIND — "lxd-5.0" / "incus-6.0": the daemon's own version.
server_label() {
	local v=""
	case $1 in
	lxd) v=$(timeout 20 lxd --version 2>/dev/null) ;;
	incus) v=$(timeout 20 "${LXDRIG_INCUSD:-/usr/libexec/incus/incusd}" --version 2>/dev/null) ;;
	esac
	[[ $v =~ ^([0-9]+\.[0-9]+) ]] && v=${BASH_REMATCH[1]}
	printf '%s-%s\n' "$1" "${v:-unknown}"
}

# Preflight: every server must start here. Failing is an error, never a
# skip.
for srv in "${servers[@]}"; do
	[[ $srv == lxd || $srv == incus ]] || die "E2E_SERVERS: unknown server '$srv' (lxd, incus)"
	s_label[$srv]=$(server_label "$srv")
	echo "e2e: preflight: starting a 1-member ${s_label[$srv]} rig"
	printf 'e2epre\n' >>"$root/rigs"
	if ! RIG_SERVER=$srv "$RIG" up e2epre 1 >"$root/preflight.log" 2>&1; then
		cat "$root/preflight.log" >&2
		die "$srv cannot start on this machine (see the rig log above)"
	fi
	"$RIG" down e2epre >>"$root/preflight.log" 2>&1 || {
		cat "$root/preflight.log" >&2
		die "the preflight $srv rig did not shut down cleanly"
	}
done

# run_one SERVER FILE [ARGS...] — run one suite (against SERVER's rigs, or
# "any" for a suite that starts none), show its output, count its lines.
run_one() {
	local srv=$1 file=$2 name rc=0 log p f
	shift 2
	name=$(basename "$file" .sh)
	[[ $srv == any ]] || name+="@${s_label[$srv]}"
	log=$root/logs/$name.log
	mkdir -p "$root/logs"
	echo "=== $name"
	local t0=$SECONDS
	# Output to a file, not a pipe: nothing a suite leaves behind can then
	# hold the runner's output open.
	# In the background + wait, so a signal to the runner is handled at once
	# (the cleanup trap stops the suite, then tears its rigs down).
	RIG_SERVER=${srv/any/lxd} timeout --kill-after=30 "$scenario_timeout" \
		bash "$file" "$@" </dev/null >"$log" 2>&1 &
	child=$!
	wait "$child" || rc=$?
	child=""
	cat "$log"
	p=$(grep -cE '^PASS:' "$log" || true)
	f=$(grep -cE '^FAIL:' "$log" || true)
	if ((rc == 124 || rc == 137)); then
		echo "FAIL: $name: timed out after ${scenario_timeout}s"
		f=$((f + 1))
	elif ((rc != 0 && f == 0)); then
		echo "FAIL: $name: exited with status $rc without a FAIL: line"
		f=$((f + 1))
	elif ((rc == 0 && p == 0 && f == 0)); then
		echo "FAIL: $name: printed no PASS:/FAIL: line"
		f=$((f + 1))
	fi
	echo "=== $name: $p passed, $f failed, exit $rc, $((SECONDS - t0))s"
	durations+=("$(printf '%6ss  %s' "$((SECONDS - t0))" "$name")")
	passed=$((passed + p))
	failed=$((failed + f))
	s_passed[$srv]=$((${s_passed[$srv]:-0} + p))
	s_failed[$srv]=$((${s_failed[$srv]:-0} + f))
}

# uses_rig FILE — does the suite start a server rig (an lxd_* scenario)?
uses_rig() { grep -qE '^[^#]*rig_start\b' "$1"; }

ran=0
if [[ -f $here/handshake.sh ]]; then
	run_one any "$here/handshake.sh" "$bin"
	ran=$((ran + 1))
else
	echo "FAIL: handshake: tests/e2e/handshake.sh does not exist"
	failed=$((failed + 1))
fi

shopt -s nullglob
for s in "$here"/test_*.sh "$here"/faults/test_*.sh; do
	if [[ -n ${E2E_ONLY:-} && ! $(basename "$s") =~ $E2E_ONLY ]]; then
		echo "=== $(basename "$s" .sh): not selected by E2E_ONLY=$E2E_ONLY"
		continue
	fi
	if ! uses_rig "$s"; then
		run_one any "$s"
		ran=$((ran + 1))
		continue
	fi
	for srv in "${servers[@]}"; do
		if [[ $srv == incus && $s == */faults/* && ! $(basename "$s") =~ $incus_faults ]]; then
			echo "=== $(basename "$s" .sh)@${s_label[$srv]}: not in E2E_INCUS_FAULTS=$incus_faults"
			continue
		fi
		run_one "$srv" "$s"
		ran=$((ran + 1))
	done
done

((ran > 0)) || echo "e2e: ERROR: no suite ran"
if ((${#durations[@]} > 0)); then
	echo "e2e: time per suite:"
	printf '  %s\n' "${durations[@]}"
fi
"$here/faults/fault_table.sh" "$root"/logs/*.log
summary
if ((failed > 0 || passed == 0 || ran == 0)); then
	exit 1
fi
exit 0
