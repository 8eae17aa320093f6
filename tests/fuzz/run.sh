#!/bin/sh
# Build and run the libFuzzer targets for the value codecs, the
# kubeconfig reader and the HTTP layer's Retry-After parser.
#   tests/fuzz/run.sh [seconds-per-target]   (default 60)
# Builds into build-fuzz/, seeds a working corpus from tests/fuzz/corpus/<t>/
# and exits non-zero if any target crashes, leaks or fails to build.
set -u
SECS=${1:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build-fuzz
CC=${FUZZ_CC:-clang}
# Only the value layer: other schema/ files may not compile yet.
SRCS="schema/type.c schema/value.c schema/decoding.c schema/msgpack.c schema/json.c schema/diag.c"
TARGETS="fuzz_msgpack fuzz_json_state fuzz_kubeconfig fuzz_retry_after"

cd "$ROOT" || exit 2
mkdir -p "$OUT"
status=0
for t in $TARGETS; do
	echo "== $t: build"
	case $t in
	fuzz_kubeconfig)
		tsrcs="provider/k8s/kubeconfig.c provider/k8s/kc_yaml.c provider/util/file.c provider/util/b64.c provider/util/secret.c provider/util/text.c provider/err.c"
		tpkgs="yaml-0.1 libcrypto" ;;
	fuzz_retry_after) tsrcs="provider/http/retry_after.c" tpkgs="" ;;
	*) tsrcs=$SRCS tpkgs="jansson msgpack" ;;
	esac
	# shellcheck disable=SC2086
	if ! $CC -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -D_GNU_SOURCE -I. \
		"tests/fuzz/$t.c" $tsrcs \
		$([ -n "$tpkgs" ] && pkg-config --cflags --libs $tpkgs) -lm -o "$OUT/$t"; then
		echo "== $t: BUILD FAILED"
		status=1
		continue
	fi
	corpus=$OUT/corpus/$t
	mkdir -p "$corpus" "$OUT/artifacts/$t"
	if [ -d "tests/fuzz/corpus/$t" ]; then
		cp -n tests/fuzz/corpus/$t/* "$corpus/" 2>/dev/null || true
	fi
	echo "== $t: run ${SECS}s"
	if ! "$OUT/$t" -max_total_time="$SECS" -max_len=4096 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$OUT/artifacts/$t/" "$corpus" \
		>"$OUT/$t.log" 2>&1; then
		echo "== $t: FAILED (see $OUT/$t.log, artifacts in $OUT/artifacts/$t/)"
		tail -40 "$OUT/$t.log"
		status=1
	else
		grep -E "stat::number_of_executed_units|cov:" "$OUT/$t.log" | tail -2
		echo "== $t: ok"
	fi
done
exit $status
