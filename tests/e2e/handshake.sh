#!/usr/bin/env bash
# End-to-end check of the go-plugin handshake, run against the built
# provider binary exactly as Terraform would start it.
#
#   tests/e2e/handshake.sh build/terraform-provider-lxdcapi
#
# Prints one "PASS: ..." or "FAIL: ..." line per check; exits 1 if any
# check failed, 2 on bad usage. Needs bash, openssl, base64, timeout.
set -u

bin=${1:-}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	echo "usage: $0 PROVIDER_BINARY" >&2
	exit 2
fi

COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2
LINE_RE='^1\|6\|unix\|[^|]+\|grpc\|[A-Za-z0-9+/]+$'
RUNS=20

tmp=$(mktemp -d "${TMPDIR:-/tmp}/handshake-test.XXXXXX") || exit 2
cur="" # the provider we started and have not reaped yet
cleanup() {
	[ -n "$cur" ] && kill -KILL "$cur" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# Background jobs of a non-interactive shell start with SIGINT ignored,
# which would make the SIGINT check meaningless; restore the default
# disposition so the provider itself must ignore it.
launcher=()
if env --default-signal=INT true 2>/dev/null; then
	launcher=(env --default-signal=INT)
fi

# Terraform's side of AutoMTLS: a client certificate passed in the env.
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-nodes -keyout "$tmp/client.key" -out "$tmp/client.pem" -days 1 \
	-subj "/O=HashiCorp/CN=localhost" \
	-addext "subjectAltName=DNS:localhost" >/dev/null 2>&1; then
	echo "FAIL: cannot create a client certificate with openssl"
	exit 1
fi
CLIENT_PEM=$(cat "$tmp/client.pem")

# start OUT ERR: launch the provider as Terraform does; sets $pid.
start() {
	TF_PLUGIN_MAGIC_COOKIE=$COOKIE PLUGIN_PROTOCOL_VERSIONS=5,6 \
		PLUGIN_CLIENT_CERT=$CLIENT_PEM \
		"${launcher[@]}" "$bin" >"$1" 2>"$2" </dev/null &
	pid=$!
	cur=$pid
}

# wait_line FILE: wait up to 5 s for a complete first line; prints it.
# FILE must be fresh for each process (the redirection happens in the
# background job, possibly after we start looking).
wait_line() {
	local i n
	for ((i = 0; i < 500; i++)); do
		n=$(wc -l 2>/dev/null <"$1") || n=0
		if [ "${n:-0}" -ge 1 ]; then
			head -n 1 "$1"
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# wait_exit PID MS: wait up to MS milliseconds for PID to exit; sets $rc.
wait_exit() {
	local i
	for ((i = 0; i < $2 / 10; i++)); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			rc=$?
			cur=""
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# check_cert B64: the unpadded base64 DER has SAN DNS:localhost.
check_cert() {
	local b64=$1 pad
	pad=$(((4 - ${#b64} % 4) % 4))
	[ "$pad" -ne 3 ] || return 1 # impossible length for base64
	printf '%s%.*s' "$b64" "$pad" "==" | base64 -d >"$tmp/cert.der" 2>/dev/null ||
		return 1
	openssl x509 -inform DER -in "$tmp/cert.der" -noout \
		-ext subjectAltName 2>/dev/null | grep -q 'DNS:localhost'
}

# 1. The handshake line, 20 fresh processes (DER lengths vary).
line_ok=0 cert_ok=0 lens=""
for ((run = 1; run <= RUNS; run++)); do
	start "$tmp/out.$run" "$tmp/err.$run"
	line=$(wait_line "$tmp/out.$run") || line=""
	if [[ $line =~ $LINE_RE ]]; then
		line_ok=$((line_ok + 1))
		b64=${line##*|}
		lens="$lens ${#b64}"
		check_cert "$b64" && cert_ok=$((cert_ok + 1))
		sock=$(echo "$line" | cut -d'|' -f4)
		if [ "$run" -eq 1 ]; then
			if [ -S "$sock" ]; then
				pass "socket $sock exists before the line is read"
			else
				fail "socket $sock missing"
			fi
			mode=$(stat -c %a "$(dirname "$sock")")
			if [ "$mode" = 700 ]; then
				pass "socket directory is private (0700)"
			else
				fail "socket directory mode is $mode, want 700"
			fi
		fi
	else
		echo "  run $run: line '${line}' stderr: $(head -c 300 "$tmp/err.$run")"
	fi
	kill -TERM "$pid" 2>/dev/null
	if ! wait_exit "$pid" 2000; then
		fail "run $run: still alive 2 s after SIGTERM"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		cur=""
	fi
	if [ "$run" -eq 1 ] && [ -n "${sock:-}" ]; then
		if [ ! -e "$(dirname "$sock")" ]; then
			pass "socket directory removed on exit"
		else
			fail "socket directory $(dirname "$sock") left behind"
		fi
	fi
done
if [ "$line_ok" -eq "$RUNS" ]; then
	pass "handshake line matches $LINE_RE ($RUNS/$RUNS runs)"
else
	fail "handshake line matched in $line_ok/$RUNS runs"
fi
if [ "$cert_ok" -eq "$RUNS" ]; then
	pass "certificate decodes with SAN DNS:localhost ($RUNS/$RUNS; base64 lengths:$lens)"
else
	fail "certificate valid in $cert_ok/$RUNS runs"
fi

# 2. Without the cookie: exit 1, a human message, nothing on stdout.
env -u TF_PLUGIN_MAGIC_COOKIE PLUGIN_PROTOCOL_VERSIONS=5,6 \
	PLUGIN_CLIENT_CERT="$CLIENT_PEM" \
	timeout 5 "$bin" >"$tmp/nc.out" 2>"$tmp/nc.err" </dev/null
rc=$?
if [ "$rc" -eq 1 ]; then
	pass "no cookie: exit status 1"
else
	fail "no cookie: exit status $rc, want 1"
fi
if [ ! -s "$tmp/nc.out" ]; then
	pass "no cookie: nothing on stdout"
else
	fail "no cookie: stdout has '$(head -c 200 "$tmp/nc.out")'"
fi
if [ -s "$tmp/nc.err" ] && ! head -c 1 "$tmp/nc.err" | grep -q '{'; then
	pass "no cookie: human message on stderr: $(head -n 1 "$tmp/nc.err")"
else
	fail "no cookie: no human-readable message on stderr"
fi

# 3. SIGINT is ignored (Terraform sends StopProvider instead); SIGTERM
#    ends the process within 2 s.
start "$tmp/sig.out" "$tmp/sig.err"
if wait_line "$tmp/sig.out" >/dev/null; then
	kill -INT "$pid"
	sleep 0.5
	if kill -0 "$pid" 2>/dev/null; then
		pass "SIGINT ignored"
	else
		fail "SIGINT ended the process"
	fi
	t0=$(date +%s%N)
	if ! kill -TERM "$pid" 2>/dev/null; then
		fail "SIGTERM not testable: the process was already gone"
	elif wait_exit "$pid" 2000; then
		ms=$((($(date +%s%N) - t0) / 1000000))
		pass "SIGTERM ended the process in ${ms} ms (status $rc)"
	else
		fail "still alive 2 s after SIGTERM"
	fi
else
	fail "no handshake line for the signal test"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
exit 0
