#!/usr/bin/env bash
# run-tests.sh — the k8s-emu Python unit tests (unittest: test_*.py here).
# Prints unittest's verbose output and ends with exactly one line
#     k8s-emu unit: N passed, N failed
# Exits non-zero on any failure, when no test ran, or when python3/yaml is
# missing (never skips). Uses /usr/bin/python3 when present (override:
# EMU_PYTHON).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=${EMU_PYTHON:-}
if [[ -z $py ]]; then
	if [[ -x /usr/bin/python3 ]]; then py=/usr/bin/python3; else py=$(command -v python3 || true); fi
fi
if [[ -z $py ]] || ! "$py" -c 'import yaml' 2>/dev/null; then
	echo "k8s-emu unit: ERROR: python3 with the yaml module is required (Debian: python3 python3-yaml)" >&2
	echo "k8s-emu unit: 0 passed, 1 failed"
	exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/k8s-emu-unit.XXXXXX")
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
echo "k8s-emu unit: $((ran - bad < 0 ? 0 : ran - bad)) passed, $bad failed"
((rc == 0 && bad == 0 && ran > 0))
