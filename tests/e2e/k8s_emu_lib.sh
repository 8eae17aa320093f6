# shellcheck shell=bash
# shellcheck disable=SC2034  # E2E_FAIL / E2E_ENDED belong to lib.sh
# k8s_emu_lib.sh — start/stop the k8s-emu API server for a scenario (source
# after lib.sh and e2e_begin). Not a scenario itself (no test_ prefix).
#
#   emu_up NAME      start tests/k8s-emu/emu.py in $E2E_WORK/NAME (bounded
#                    wait for its `ready` file); sets EMU_DIR and EMU_URL;
#                    stopped at exit (EXIT trap chained before lib.sh's).
#   emu_down         stop it (SIGTERM, then SIGKILL after 10 s); idempotent.
#   emu_kill         SIGKILL it (a crash): no chance to save or answer.
#   emu_restart      start it again in the same EMU_DIR (same URL, same
#                    objects: tests/k8s-emu/README.md "Restarts"); fails the
#                    scenario if the URL changed.
EMU_PID=""
EMU_DIR=""
EMU_URL=""

emu_down() {
	local i
	[[ -n $EMU_PID ]] || return 0
	# Runs from the EXIT trap, under set -e: nothing here may fail.
	kill -TERM "$EMU_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$EMU_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$EMU_PID" 2>/dev/null || true
	wait "$EMU_PID" 2>/dev/null || true
	EMU_PID=""
}

emu_kill() {
	[[ -n $EMU_PID ]] || return 0
	kill -KILL "$EMU_PID" 2>/dev/null || true
	wait "$EMU_PID" 2>/dev/null || true
	EMU_PID=""
}

# emu_spawn — start emu.py in EMU_DIR and wait (bounded) for its ready file.
emu_spawn() {
	local i
	rm -f "$EMU_DIR/ready"
	PYTHONDONTWRITEBYTECODE=1 python3 "$REPO_ROOT/tests/k8s-emu/emu.py" --dir "$EMU_DIR" \
		--controller-delay "${EMU_DELAY:-0.1}" >>"$EMU_DIR/emu.log" 2>&1 &
	EMU_PID=$!
	for ((i = 0; i < 300; i++)); do
		[[ -s $EMU_DIR/ready ]] && break
		kill -0 "$EMU_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [[ ! -s $EMU_DIR/ready ]]; then
		echo "FAIL: $E2E_SCENARIO: the k8s emulator did not start:"
		tail -20 "$EMU_DIR/emu.log"
		E2E_FAIL=$((E2E_FAIL + 1)); E2E_ENDED=1; exit 1
	fi
}

emu_up() {
	command -v python3 >/dev/null || {
		echo "FAIL: $E2E_SCENARIO: python3 is missing (needed by tests/k8s-emu)"
		E2E_FAIL=$((E2E_FAIL + 1)); E2E_ENDED=1; exit 1
	}
	EMU_DIR=$E2E_WORK/$1
	mkdir -p "$EMU_DIR"
	: >"$EMU_DIR/emu.log"
	# shellcheck disable=SC2154  # emu_rc is set inside the trap itself
	trap 'emu_rc=$?; emu_down; e2e_on_exit $emu_rc' EXIT
	emu_spawn
	EMU_URL=$(head -1 "$EMU_DIR/ready")
	e2e_say "k8s emulator at $EMU_URL ($EMU_DIR)"
}

emu_restart() {
	local url
	emu_spawn
	url=$(head -1 "$EMU_DIR/ready")
	if [[ $url != "$EMU_URL" ]]; then
		echo "FAIL: $E2E_SCENARIO: the restarted emulator is at $url, not $EMU_URL"
		E2E_FAIL=$((E2E_FAIL + 1)); E2E_ENDED=1; exit 1
	fi
	e2e_say "k8s emulator restarted at $EMU_URL"
}

# emu_curl METHOD PATH [BODY] — admin request with the emulator's token.
emu_curl() {
	local args=(--silent --show-error --max-time 30 --cacert "$EMU_DIR/ca.crt"
		-H "Authorization: Bearer $(cat "$EMU_DIR/token")" -X "$1")
	[[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/json' --data "$3")
	curl "${args[@]}" "$EMU_URL$2"
}
