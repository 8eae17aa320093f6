#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# The LXD client's live cmocka group against a real daemon: server info,
# extensions, ETag on GET, 404 mapping; then faults: the daemon frozen
# (SIGSTOP) under a burst of 48 reads from 10 threads must fail them all in
# about one request timeout (2 s here) with one clear error, and recover
# once thawed; the daemon crashed (SIGKILL) and restarted while 4 threads
# keep reading must not fail a single read (retries carry them).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin lxd_client_live
rig_start e2e-lcl 1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
unit=$root/build/tests/test_lxd_client   # `make e2e` builds it first
pidfile=$RIG_STATE/n1/lxd.pid
# Whatever happens to the test, never leave the daemon stopped.
thaw() { [[ -s $pidfile ]] && kill -CONT "$(<"$pidfile")" 2>/dev/null || true; }
trap thaw EXIT

live_out=""
live_group() {
	live_out=$(LXD_TEST_SOCKET=$LXD_SOCKET LXD_TEST_PIDFILE=$pidfile \
		LXD_TEST_RESTART="$RIG restart e2e-lcl 1" "$unit" "$root" 2>&1) || {
		thaw
		grep -v '"@level":"debug"' <<<"$live_out" | tail -40
		return 1
	}
	thaw
	grep -q 'lxd_client_live' <<<"$live_out" && grep -qE '^\[  PASSED  \] 3 test' <<<"$live_out" ||
		{ grep -v '"@level":"debug"' <<<"$live_out" | tail -40; return 1; }
}
figures() { grep -E '^(frozen|restarted) LXD:' <<<"$live_out"; }
daemon_ready() { LXD_DIR=$RIG_N1_LXD_DIR timeout 20 lxd waitready --timeout 15; }

check "client unit binary exists ($unit)" test -x "$unit"
check "live group passes against the rig (frozen burst fails fast, restart is carried through)" live_group
figures || true
check "the restarted daemon is up" daemon_ready

e2e_end
