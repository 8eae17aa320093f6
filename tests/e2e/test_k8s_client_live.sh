#!/usr/bin/env bash
# The k8s client's live cmocka group against the k8s emulator: TLS with CA
# data and files, client certificates, tokens, tls-server-name, insecure
# mode, an exec plugin returning a client certificate, discovery, CRUD,
# Status errors and a 429 with Retry-After injected by faults.json.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=k8s_emu_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s_emu_lib.sh"

e2e_begin k8s_client_live
emu_up emu

unit=$REPO_ROOT/build/tests/test_k8s_client   # `make e2e` builds it first
live_group() {
	local out
	out=$(K8S_EMU_DIR=$EMU_DIR CMOCKA_MESSAGE_OUTPUT=stdout timeout 300 "$unit" 2>&1) ||
		{ grep -v '"@level"' <<<"$out" | tail -30; return 1; }
	if ! grep -q 'OK ] test_live_tls_modes' <<<"$out" ||
		! grep -qE '^\[  PASSED  \] 5 test' <<<"$out"; then
		grep -v '"@level"' <<<"$out" | tail -30
		return 1
	fi
}
check "client unit binary exists ($unit)" test -x "$unit"
check "live group passes against the emulator (5 cases)" live_group

e2e_end
