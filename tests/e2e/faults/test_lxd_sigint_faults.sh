#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# Terraform interrupted (SIGINT, as ^C does) in the middle of an apply of 24
# pools on a 1-member cluster. Through the fault proxy, LXD has just created
# the 8th pool but its answer is held back for 45 s; the SIGINT comes then.
# Terraform must stop the provider (StopProvider cancels the held request)
# and exit within SIGINT_BOUND seconds, far less than the 45 s, with every
# pool LXD made recorded in the partial state; no provider may be left
# running. Then the invariants.
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

SIGINT_BOUND=${SIGINT_BOUND:-15}
HOLD=45

e2e_begin lxd_sigint_faults
fault_rig_start fasig 1

# sigint_when_fired — once the proxy holds the answer, interrupt terraform.
sigint_when_fired() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q 'FIRED rule=1 ' "$FP_LOG" 2>/dev/null && {
			sleep 0.5
			fault_tf_signal INT
			return
		}
		sleep 0.1
	done
	echo "sigint_when_fired: the proxy rule never fired; no SIGINT sent"
}

# tf_exited_within SECS — the interrupted command ended SECS after SIGINT.
tf_exited_within() {
	local sent took
	sent=$(cat "$TF_DIR/signal-time" 2>/dev/null) || {
		echo "  no SIGINT was sent"
		return 1
	}
	took=$(($(stat -c %Y "$TF_LAST_LOG") - sent))
	echo "  terraform ended ${took}s after SIGINT (bound ${1}s, answer held ${HOLD}s)"
	((took <= $1))
}

fault_begin tf-sigint "terraform SIGINT while LXD's answer to the 8th pool create is held (StopProvider, partial state)" \
	pools "$(pool_re tf-sigint)"
if fault_proxy_start "$RIG_N1_SOCKET" \
	"nth=8 method=POST path=^/1\.0/storage-pools$ when=after action=delay secs=$HOLD"; then
	pool_tf "$FP_SOCK" tf-sigint first 10MB
	fault_check "init" tf_show_on_fail init -input=false -no-color
	fault_bg sigint_when_fired
	fault_run apply -auto-approve -input=false -no-color "${POOL_ARGS[@]}"
	fault_bg_wait
	fault_injected
	fault_check "the interrupted apply fails" test "$FAULT_RC" -ne 0
	fault_check "terraform saw the interrupt" out_has 'Interrupt received'
	fault_check "terraform exits within ${SIGINT_BOUND}s of SIGINT" tf_exited_within "$SIGINT_BOUND"
	fault_check "LXD is back" fault_lxd_back 1
	fault_invariants "${POOL_ARGS[@]}"
	fault_proxy_stop
else
	fail "tf-sigint: the fault proxy did not start"
	FAULT_CONVERGED=0
fi
fault_end

e2e_end
