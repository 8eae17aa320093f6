#!/usr/bin/env bash
# run-unit.sh DIR — run every executable DIR/test_* (cmocka suites), show
# their output, and finish with exactly one line:
#     unit: N passed, N failed
# counting individual test cases from cmocka's "[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s)" summary lines. A binary that crashes, times out or
# exits non-zero without a FAILED summary counts as one failed case.
# Exits non-zero if anything failed or if no test ran at all.
#
# Environment: UNIT_TIMEOUT (seconds per binary, default 300).
set -euo pipefail

dir=${1:-}
if [[ -z $dir || ! -d $dir ]]; then
	echo "usage: $0 DIR (a directory holding test_* executables)" >&2
	echo "unit: 0 passed, 0 failed"
	exit 2
fi

timeout_s=${UNIT_TIMEOUT:-300}
passed=0
failed=0
binaries=0
log=$(mktemp "${TMPDIR:-/tmp}/run-unit.XXXXXX")
trap 'rm -f "$log"' EXIT

# Plain-text cmocka output on stdout, whatever the caller's environment says.
export CMOCKA_MESSAGE_OUTPUT=stdout
unset CMOCKA_XML_FILE

shopt -s nullglob
for t in "$dir"/test_*; do
	[[ -f $t && -x $t ]] || continue
	binaries=$((binaries + 1))
	name=${t##*/}
	echo "=== $name"
	rc=0
	# stdin from /dev/null: a test must never wait for input.
	timeout --kill-after=10 "$timeout_s" "$t" </dev/null >"$log" 2>&1 || rc=$?
	cat "$log"
	p=0
	f=0
	nf=0
	while IFS= read -r line; do
		if [[ $line =~ ^\[\ \ PASSED\ \ \]\ ([0-9]+)\ test ]]; then
			p=$((p + BASH_REMATCH[1]))
		elif [[ $line =~ ^\[\ \ FAILED\ \ \]\ ([0-9]+)\ test ]]; then
			f=$((f + BASH_REMATCH[1]))
			nf=$((nf + 1))
		fi
	done <"$log"
	if ((rc != 0 && nf == 0)); then
		case $rc in
		124 | 137) why="timed out after ${timeout_s}s" ;;
		*) why="exited with status $rc" ;;
		esac
		((rc > 128 && rc != 137)) && why="killed by signal $((rc - 128))"
		echo "=== $name: $why without a cmocka FAILED summary: counting 1 failed"
		f=$((f + 1))
	elif ((rc == 0 && p == 0 && f == 0)); then
		echo "=== $name: WARNING: no cmocka summary line (ran no tests?)"
	fi
	echo "=== $name: $p passed, $f failed (exit $rc)"
	passed=$((passed + p))
	failed=$((failed + f))
done

if ((binaries == 0)); then
	echo "run-unit: no executable test_* in $dir" >&2
fi
echo "unit: $passed passed, $failed failed"
if ((failed > 0 || passed == 0)); then
	exit 1
fi
exit 0
