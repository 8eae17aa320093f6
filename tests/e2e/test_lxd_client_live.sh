#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# The LXD client's live cmocka group against a real daemon: server info,
# extensions, ETag on GET, 404 mapping; then faults: the daemon frozen
# (SIGSTOP) under a burst of 48 reads from 10 threads must fail them all in
# about one request timeout (2 s here) with one clear error, and recover
# once thawed; the daemon crashed (SIGKILL) and restarted while 4 threads
# keep reading must not fail a single read (retries carry them). Then the
# same through Terraform: 24 pools, `request_timeout = 3`, a plan at
# -parallelism=10 against the frozen daemon fails every resource with that
# error, and the plan after thawing is empty.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin lxd_client_live
rig_start e2e-lcl 1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
unit=$root/build/tests/test_lxd_client   # `make e2e` builds it first
pidfile=$RIG_STATE/n1/lxd.pid
# Whatever happens to the test, never leave the daemon stopped (then the
# usual teardown of lib.sh).
thaw() {
	if [[ -s $pidfile ]]; then
		kill -CONT "$(<"$pidfile")" 2>/dev/null || true
	fi
}
trap 'rc=$?; thaw; e2e_on_exit $rc' EXIT

live_out=""
live_group() {
	live_out=$(LXD_TEST_SOCKET=$LXD_SOCKET LXD_TEST_PIDFILE=$pidfile \
		LXD_TEST_RESTART="$RIG restart e2e-lcl 1" "$unit" "$root" 2>&1) || {
		thaw
		grep -v '"@level":"debug"' <<<"$live_out" | tail -40
		return 1
	}
	thaw
	if ! grep -q 'lxd_client_live' <<<"$live_out" ||
		! grep -qE '^\[  PASSED  \] 3 test' <<<"$live_out"; then
		grep -v '"@level":"debug"' <<<"$live_out" | tail -40
		return 1
	fi
}
figures() { grep -E '^(frozen|restarted) LXD:' <<<"$live_out"; }
daemon_ready() { rig_waitready "$RIG_NAME" 1 20; }

check "client unit binary exists ($unit)" test -x "$unit"
check "live group passes against the rig (frozen burst fails fast, restart is carried through)" live_group
figures || true
check "the restarted daemon is up" daemon_ready

# ---- the same through Terraform
# out_has_text REGEX — like out_has, with Terraform's line wrapping undone.
out_has_text() {
	tr '\n' ' ' <"$TF_LAST_LOG" | grep -qE -- "$1" || {
		echo "  '$1' not found in $TF_LAST_LOG"
		return 1
	}
}

tf_workdir bad_timeout
{
	provider_hcl | sed 's|^  socket = .*|&\n  request_timeout = 0|'
	printf 'resource "lxd_storage_pool" "never" {\n  name   = "never"\n  driver = "dir"\n}\n'
} | write_tf
check "init (request_timeout = 0)" tf_show_on_fail init -input=false -no-color
check "request_timeout = 0 is refused" expect_exit 1 plan_exit
check "the error says why" out_has_text 'Invalid request timeout.*from 1 to 3600'

tf_workdir frozen
{
	provider_hcl | sed 's|^  socket = .*|&\n  request_timeout = 3|'
	cat <<'EOF'
resource "lxd_storage_pool" "p" {
  count  = 24
  name   = "lcl${count.index}"
  driver = "dir"
}
EOF
} | write_tf
frozen_plan() {
	local rc=0 t0=$SECONDS
	kill -STOP "$(<"$pidfile")"
	tf plan -input=false -no-color -parallelism=10 || rc=$?
	thaw
	e2e_say "plan of 24 pools against the frozen daemon: exit $rc after $((SECONDS - t0)) s (request_timeout 3 s)"
	((rc == 1))
}
every_pool_failed() {
	local n
	n=$(grep -c '^Error: Cannot read storage pool' "$TF_LAST_LOG") || true
	[[ $n == 24 ]] || { echo "  $n of 24 resources reported the error"; return 1; }
}
require "init" tf_show_on_fail init -input=false -no-color
require "apply 24 pools" apply_ok -parallelism=10
check "plan with the daemon frozen fails" frozen_plan
check "every resource failed" every_pool_failed
check "the error names the server and the timeout" \
	out_has_text 'LXD at unix:[^ ]*/unix.socket did not answer within 3 s'
check "plan after thawing is empty" expect_exit 0 plan_exit -parallelism=10
check "destroy" tf_show_on_fail destroy -auto-approve -input=false -no-color -parallelism=10
check "no pool is left" pool_absent lcl0

e2e_end
