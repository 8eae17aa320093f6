#!/usr/bin/env bash
# fault_table.sh LOG... — the closing table of the fault suites: one row per
# "FAULT-RESULT: id=ID converged=yes|manual|no orphans=N desc=TEXT" line
# found in the LOGs (in order), then the totals. `manual`: converged after
# the one step the provider's error documents for a known LXD limit (a pool
# directory a killed daemon left behind). Prints nothing when there is none.
set -euo pipefail
(($# > 0)) || exit 0
lines=$(grep -h '^FAULT-RESULT: ' "$@" 2>/dev/null || true)
[[ -n $lines ]] || exit 0
total=0 conv=0 manual=0 orph=0 with=0
rows=()
re='^FAULT-RESULT: id=([^ ]+) converged=(yes|manual|no) orphans=([0-9]+) desc=(.*)$'
while IFS= read -r l; do
	if [[ $l =~ $re ]]; then
		total=$((total + 1))
		[[ ${BASH_REMATCH[2]} == yes ]] && conv=$((conv + 1))
		[[ ${BASH_REMATCH[2]} == manual ]] && manual=$((manual + 1))
		orph=$((orph + BASH_REMATCH[3]))
		((BASH_REMATCH[3] > 0)) && with=$((with + 1))
		rows+=("$(printf '%-26s %-9s %7s  %s' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" \
			"${BASH_REMATCH[3]}" "${BASH_REMATCH[4]}")")
	else
		rows+=("$(printf '%-26s %-9s %7s  %s' '?' '?' '?' "unparsable: $l")")
	fi
done <<<"$lines"
echo "e2e: fault injection: $total fault(s) injected, $conv converged, $manual after the documented manual step, $((total - conv - manual)) did not; $orph orphan(s) found in $with fault(s)"
printf '  %-26s %-9s %7s  %s\n' FAULT CONVERGED ORPHANS DESCRIPTION
printf '  %s\n' "${rows[@]}"
