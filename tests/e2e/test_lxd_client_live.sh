#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2317  # helpers run indirectly through check
# The LXD client's live cmocka group against a real daemon: server info,
# extensions, ETag on GET, 404 mapping.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_begin lxd_client_live
rig_start e2e-lcl 1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
unit=$root/build/tests/test_lxd_client   # `make e2e` builds it first
live_group() {
	local out
	out=$(LXD_TEST_SOCKET=$LXD_SOCKET "$unit" "$root" 2>&1) || { echo "$out" | tail -20; return 1; }
	grep -q 'lxd_client_live' <<<"$out" && grep -qE '^\[  PASSED  \] 1 test' <<<"$out" ||
		{ echo "$out" | tail -20; return 1; }
}
check "client unit binary exists ($unit)" test -x "$unit"
check "live group passes against the rig" live_group

e2e_end
