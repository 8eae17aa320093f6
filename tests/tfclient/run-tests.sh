#!/usr/bin/env bash
# run-tests.sh — the tfplugin6 test client's own tests (unittest:
# tests/tfclient/test_*.py): codec vectors, checker rules, the AutoMTLS
# recipe and checks, handshake parsing, schema types, and the whole client
# against fakeplugin.py (a go-plugin server in Python). The client against
# the real provider is tests/e2e/test_protocol_client.sh.
#
# Ends with exactly one line
#     tfclient unit: N passed, N failed
# Exits non-zero on any failure, when no test ran, or when a dependency is
# missing (never skips). Uses /usr/bin/python3 when present (Debian's
# modules; override: TFCLIENT_PYTHON).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=${TFCLIENT_PYTHON:-}
if [[ -z $py ]]; then
	if [[ -x /usr/bin/python3 ]]; then py=/usr/bin/python3; else py=$(command -v python3 || true); fi
fi
missing=""
[[ -n $py ]] || missing="python3"
if [[ -z $missing ]]; then
	for m in grpc google.protobuf msgpack cryptography; do
		"$py" -c "import $m" 2>/dev/null || missing+=" $m"
	done
fi
command -v protoc >/dev/null 2>&1 || missing+=" protoc"
if [[ -n $missing ]]; then
	echo "tfclient unit: ERROR: missing$missing (Debian: python3-grpcio python3-protobuf python3-msgpack python3-cryptography protobuf-compiler)" >&2
	echo "tfclient unit: 0 passed, 1 failed"
	exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/tfclient-unit.XXXXXX")
trap 'rm -f "$log"' EXIT
rc=0
(cd "$here" && timeout 600 "$py" -B -m unittest discover -v -s . -p 'test_*.py') >"$log" 2>&1 || rc=$?
cat "$log"
ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$log" | tail -n 1)
ran=${ran:-0}
bad=0
if line=$(grep -E '^FAILED \(' "$log" | tail -n 1); then
	f=$(sed -n 's/.*failures=\([0-9]*\).*/\1/p' <<<"$line")
	e=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$line")
	bad=$((${f:-0} + ${e:-0}))
fi
if ((rc != 0 && bad == 0)); then
	bad=1 # crashed or timed out without a unittest summary
fi
echo "tfclient unit: $((ran - bad < 0 ? 0 : ran - bad)) passed, $bad failed"
((rc == 0 && bad == 0 && ran > 0))
