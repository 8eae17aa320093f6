#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# LXD frozen with SIGSTOP (it accepts connections and never answers) on a
# 1-member cluster, with the provider's `request_timeout = 5`:
#  - during `terraform plan` (the refresh of 4 pools): the plan must fail
#    within request_timeout + 30 s, with an error naming the server;
#  - during an apply of 6 pools (-parallelism=3), just before the 2nd
#    create reaches LXD (through the fault proxy): the apply must fail
#    within the same bound after the freeze, naming the server.
# A command still running 5 s past the bound gets a SIGINT (as a user's
# ^C), so that the provider can record what it did; then SIGCONT and the
# invariants. A provider without `request_timeout` is a FAIL; the faults
# then still run with the provider's default request timeout (30 s) and a
# bound of 30 + 30 s, so that the rest is measured.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"
# shellcheck source=fault_inject.sh
source "$here/fault_inject.sh"

REQUEST_TIMEOUT=5
DEFAULT_REQUEST_TIMEOUT=30

e2e_begin lxd_freeze_faults
fault_rig_start fafrz 1

# The provider's schema: does it have request_timeout?
tf_workdir schema
provider_hcl | write_tf
require "schema: init" tf_show_on_fail init -input=false -no-color
has_request_timeout() {
	(cd "$TF_DIR" && timeout 120 "$TERRAFORM" providers schema -json) |
		jq -e '.provider_schemas["registry.terraform.io/lxdcapi/lxd"].provider.block.attributes
			| has("request_timeout")' >/dev/null
}
check "the lxd provider has a request_timeout setting" has_request_timeout
if ((E2E_LAST_OK)); then
	TIMEOUT_HCL="request_timeout = $REQUEST_TIMEOUT"
	BOUND=$((REQUEST_TIMEOUT + 30))
else
	echo "  running the freeze faults with the default request timeout (${DEFAULT_REQUEST_TIMEOUT}s) instead"
	TIMEOUT_HCL=""
	BOUND=$((DEFAULT_REQUEST_TIMEOUT + 30))
fi

# freeze_tf PREFIX COUNT SOCKET — COUNT pools, the provider with
# request_timeout.
freeze_tf() {
	cat <<EOF | write_tf
terraform {
  required_providers {
    lxd = {
      source = "lxdcapi/lxd"
    }
  }
}

provider "lxd" {
  socket = "$3"
  $TIMEOUT_HCL
}

resource "lxd_storage_pool" "p" {
  count  = $2
  name   = format("$1-%02d", count.index)
  driver = "dir"
}
EOF
}

# ended_within SECS FROM — the last command's log was closed SECS after FROM.
ended_within() {
	local took
	took=$(($(stat -c %Y "$TF_LAST_LOG") - $2))
	echo "  ended ${took}s after the freeze (bound ${1}s)"
	((took <= $1))
}

# names_the_server SOCKET — the error says which LXD did not answer.
names_the_server() {
	tr '\n' ' ' <"$TF_LAST_LOG" | grep -qF -- "$1" || {
		echo "  the output does not name the server ($1)"
		return 1
	}
}

freeze_now() {
	fault_rig freeze 1 && date +%s >"$TF_DIR/freeze-time" && fault_mark_fired "SIGSTOP LXD"
}

# interrupt_after SECS — a user's ^C when the command overruns its bound:
# SIGINT to terraform SECS after the freeze (it stops the provider, which
# records what it did), rather than the hard kill of the whole command.
interrupt_after() {
	local i
	for ((i = 0; i < 600; i++)); do
		[[ -s $TF_DIR/freeze-time ]] && break
		sleep 0.1
	done
	[[ -s $TF_DIR/freeze-time ]] || return 0
	while (($(date +%s) < $(cat "$TF_DIR/freeze-time") + $1)); do
		fault_tf_pid >/dev/null || return 0
		sleep 0.5
	done
	if fault_tf_pid >/dev/null; then
		echo "interrupt_after: terraform still runs ${1}s after the freeze: SIGINT"
		fault_tf_signal INT
	fi
}

# ------------------------------------------------------------ plan
fault_begin freeze-plan "LXD frozen (SIGSTOP) during terraform plan; must fail within ${BOUND}s naming the server" \
	pools '^frz-plan-[0-9]+$'
freeze_tf frz-plan 4 "$RIG_N1_SOCKET"
fault_check "init" tf_show_on_fail init -input=false -no-color
fault_check "setup: create the pools" apply_ok
freeze_now
# Past the bound, a SIGINT; past that, the hard cut-off: a hang is a FAIL,
# not a stuck suite.
fault_bg interrupt_after $((BOUND + 5))
E2E_TF_TIMEOUT=$((BOUND + 30)) fault_run plan -detailed-exitcode -input=false -no-color
fault_bg_wait
fault_injected
fault_check "the plan fails" test "$FAULT_RC" -eq 1
fault_check "the plan ends within ${BOUND}s" ended_within "$BOUND" "$(cat "$TF_DIR/freeze-time")"
fault_check "the error names the server" names_the_server "$RIG_N1_SOCKET"
fault_rig thaw 1
fault_check "LXD is back" fault_lxd_back 1
fault_invariants
fault_end

# ------------------------------------------------------------ apply
# Deterministic: the proxy freezes LXD just before the 2nd create reaches
# it (which then hangs in LXD's socket, as do the others in flight).
fault_begin freeze-apply "LXD frozen (SIGSTOP) during an apply of 6 pools; must fail within ${BOUND}s naming the server" \
	pools '^frz-apply-[0-9]+$'
freeze_cmd=$(printf '%q freeze %q 1 && date +%%s >%q' "$RIG" "$FAULT_RIG" "$TF_DIR/freeze-time")
if fault_proxy_start "$RIG_N1_SOCKET" \
	"nth=2 method=POST path=^/1\.0/storage-pools$ when=before action=exec cmd=$freeze_cmd"; then
	freeze_tf frz-apply 6 "$FP_SOCK"
	fault_check "init" tf_show_on_fail init -input=false -no-color
	fault_bg interrupt_after $((BOUND + 5))
	E2E_TF_TIMEOUT=$((BOUND + 30)) fault_run apply -auto-approve -input=false -no-color -parallelism=3
	fault_bg_wait
	fault_proxy_fired 1
	fault_injected
	fault_check "the apply fails" test "$FAULT_RC" -ne 0
	if [[ -s $TF_DIR/freeze-time ]]; then
		fault_check "the apply ends within ${BOUND}s of the freeze" \
			ended_within "$BOUND" "$(cat "$TF_DIR/freeze-time")"
	fi
	fault_check "the error names the server" names_the_server "$FP_SOCK"
	fault_rig thaw 1
	fault_check "LXD is back" fault_lxd_back 1
	fault_invariants -parallelism=3
	fault_proxy_stop
else
	fail "freeze-apply: the fault proxy did not start"
	FAULT_CONVERGED=0
fi
fault_end

e2e_end
