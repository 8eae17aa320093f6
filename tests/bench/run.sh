#!/usr/bin/env bash
# make bench — this provider against the Go baseline provider
# (go-plugin + grpc-go + go-cty, ../shared/bench/go-baseline), side by side
# and interleaved (ours, Go, ours, Go, ...), on a real 1-member LXD cluster
# in a private network namespace (tests/rig). Per BENCH_N pool count:
#   - exec -> handshake line with AutoMTLS, and what an idle provider holds;
#   - peak RSS / PSS / USS of the largest provider process of a command,
#     sampled from /proc/PID/smaps_rollup (memsample.c), for apply and plan;
#   - wall time of terraform apply (create N), plan (refresh N),
#     plan -refresh=false and destroy, at -parallelism=10, and the providers'
#     CPU time per resource;
#   - LXD requests and connections per resource (a counting proxy on the
#     unix socket, lxdproxy.py; a separate untimed run of BENCH_COUNT_N);
#   - the floors: the same POST/GET/DELETE made by one curl process, 10 at
#     a time, and Terraform's own cost with no provider at all (the built-in
#     terraform_data resource, same count).
# Figures are medians over BENCH_ROUNDS interleaved rounds; compare the
# ratios of one run, never absolute figures across runs on a shared machine.
# Goals are reported, never asserted by a timer in a test.
#
# env: BENCH_N (pool counts, default "20"; e.g. "20 200 1000"),
#      BENCH_ROUNDS (3), BENCH_STARTS (handshake starts per round, 30),
#      BENCH_COUNT_N (pools of the request-counting run, 20),
#      GO_BASELINE (the baseline's sources; without `go` on PATH or without
#      them, only this provider is measured: `make bench-deps` installs Go),
#      LXDRIG_PREFIX (keeps this rig apart from concurrent ones),
#      BENCH_SAMPLES (a file: every sample is appended as it is taken).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(readlink -f "${1:?usage: run.sh PROVIDER-BINARY}")
sizes=${BENCH_N:-20}
rounds=${BENCH_ROUNDS:-3}
starts=${BENCH_STARTS:-30}
count_n=${BENCH_COUNT_N:-20}
go_src=${GO_BASELINE:-$root/../shared/bench/go-baseline}
rig=$root/tests/rig/lxd-rig.sh
PAR=10
command -v terraform >/dev/null || {
	echo "bench: terraform not found on PATH" >&2
	exit 1
}

work=$(mktemp -d /tmp/tfp-bench.XXXXXX)
proxy_pid=
cleanup() {
	[[ -z $proxy_pid ]] || kill "$proxy_pid" 2>/dev/null || true
	"$rig" down bench >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# ---- the two providers ------------------------------------------------------
provs=(c)
declare -A BIN=([c]=$bin) SRC=([c]=lxdcapi/lxd) NAME=([c]=lxdcapi)
if command -v go >/dev/null && [[ -x $go_src/build.sh ]]; then
	log "building the Go baseline from $go_src"
	# Built next to this provider's binary: Go's build cache is kept there.
	gout=$(dirname "$bin")/go-baseline
	if OUT=$gout "$go_src/build.sh" >"$work/gobuild.log" 2>&1; then
		provs+=(go)
		BIN[go]=$gout/terraform-provider-lxd SRC[go]=lxdgo/lxd
		NAME[go]="Go baseline"
	else
		log "Go baseline build failed (see below); measuring this provider only"
		tail -5 "$work/gobuild.log" >&2
	fi
else
	log "no Go toolchain or baseline sources: this provider only (make bench-deps)"
fi
cc -O2 -o "$work/memsample" "$here/memsample.c"

log "starting a 1-member LXD rig"
"$rig" up bench 1 >/dev/null
# shellcheck disable=SC1090
source <("$rig" env bench)
sock=$LXD_SOCKET
export HOME=$work/home TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
unset TF_PLUGIN_CACHE_DIR TF_LOG TF_LOG_PATH TF_LOG_CORE TF_LOG_PROVIDER

# Each provider in a private filesystem mirror, behind a wrapper that runs
# it under memsample (or directly with BENCH_LOG unset).
setup_provider() { # setup_provider KEY
	local k=$1 src=${SRC[$1]} type=lxd m=$work/$1/mirror
	local d=$m/registry.terraform.io/$src/0.1.0/linux_amd64
	mkdir -p "$d" "$work/$k/tf"
	cp "${BIN[$k]}" "$work/$k/terraform-provider-lxd"
	cat >"$d/terraform-provider-${type}_v0.1.0" <<EOF
#!/bin/sh
[ -n "\${BENCH_LOG:-}" ] || exec "$work/$k/terraform-provider-lxd" "\$@"
exec "$work/memsample" "\$BENCH_LOG" "$work/$k/terraform-provider-lxd" "\$@"
EOF
	chmod +x "$d/terraform-provider-${type}_v0.1.0"
	cat >"$work/$k/tf.rc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$m"
    include = ["registry.terraform.io/$src"]
  }
}
EOF
}
for k in "${provs[@]}"; do setup_provider "$k"; done

write_tf() { # write_tf KEY N SOCKET
	local k=$1 n=$2 s=$3 pcfg=""
	[[ $k == c ]] && pcfg="provider \"lxd\" { socket = \"$s\" }"
	cat >"$work/$k/tf/main.tf" <<EOF
terraform {
  required_providers {
    lxd = { source = "${SRC[$k]}" }
  }
}
$pcfg
resource "lxd_storage_pool" "p" {
  count  = $n
  name   = "b$k-\${count.index}"
  driver = "dir"
}
EOF
}
tfk() { # tfk KEY ARGS... (in KEY's directory, LXD_SOCKET for the Go one)
	local k=$1
	shift
	(cd "$work/$k/tf" && TF_CLI_CONFIG_FILE=$work/$k/tf.rc terraform "$@" \
		-no-color >>"$work/$k/tf.log" 2>&1)
}
for k in "${provs[@]}"; do
	write_tf "$k" 1 "$sock"
	tfk "$k" init || {
		tail -20 "$work/$k/tf.log" >&2
		exit 1
	}
done

# ---- measurements -------------------------------------------------------------
declare -A V=() # V[key] = space-separated samples
add() {
	V[$1]="${V[$1]:-} $2"
	echo "$1 $2" >>"${BENCH_SAMPLES:-/dev/null}"
}
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
# peaks LOG -> "rss pss uss hwm cpu": largest process per column, CPU summed
peaks() {
	awk '{ for (i = 1; i <= 4; i++) if ($i > m[i]) m[i] = $i; cpu += $5 }
	     END { printf "%d %d %d %d %.4f\n", m[1], m[2], m[3], m[4], cpu }' "$1"
}

# timed KEY N WHAT EXPECTED-RC ARGS...: wall time, peaks and CPU of one command
timed() {
	local k=$1 n=$2 what=$3 want=$4 t0 rc=0 rss pss uss hwm cpu
	shift 4
	: >"$work/$k/mem.log"
	t0=$(now)
	BENCH_LOG=$work/$k/mem.log LXD_SOCKET=$sock tfk "$k" "$@" || rc=$?
	add "$k.$n.$what.wall" "$(since "$t0")"
	if [[ $rc != "$want" ]]; then
		tail -30 "$work/$k/tf.log" >&2
		echo "bench: $k: terraform $* exited $rc, expected $want" >&2
		exit 1
	fi
	read -r rss pss uss hwm cpu < <(peaks "$work/$k/mem.log")
	add "$k.$n.$what.rss" "$hwm"
	add "$k.$n.$what.pss" "$pss"
	add "$k.$n.$what.uss" "$uss"
	add "$k.$n.$what.cpu" "$(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.3f", 1000 * c / n }')"
}

lxd_pools() {
	curl -sf --unix-socket "$sock" http://lxd/1.0/storage-pools |
		python3 -c 'import json,sys; [print(u.rsplit("/",1)[1]) for u in json.load(sys.stdin)["metadata"]]'
}

cycle() { # cycle KEY N: apply, plan, plan -refresh=false, destroy
	local k=$1 n=$2
	write_tf "$k" "$n" "$sock"
	timed "$k" "$n" apply 0 apply -auto-approve -parallelism=$PAR
	[[ $(lxd_pools | grep -c "^b$k-") == "$n" ]] || {
		echo "bench: $k: apply did not create $n pools" >&2
		exit 1
	}
	timed "$k" "$n" plan 0 plan -detailed-exitcode -parallelism=$PAR
	timed "$k" "$n" plannr 0 plan -detailed-exitcode -refresh=false \
		-parallelism=$PAR
	timed "$k" "$n" destroy 0 destroy -auto-approve -parallelism=$PAR
	[[ $(lxd_pools | grep -c "^b$k-" || true) == 0 ]] || {
		echo "bench: $k: destroy left pools behind" >&2
		exit 1
	}
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-521 -nodes -days 1 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost \
	-keyout "$work/client.key" -out "$work/client.pem" 2>/dev/null
handshake() { # handshake KEY
	local med rest rss pss uss
	read -r med _ _ rest < <(python3 "$here/handshake.py" "$work/$1/terraform-provider-lxd" \
		"$starts" "$work/client.pem" --idle)
	add "$1.hs" "$med"
	read -r rss pss uss <<<"$rest"
	add "$1.idle.rss" "$rss"
	add "$1.idle.pss" "$pss"
	add "$1.idle.uss" "$uss"
}

curl_batch() { # curl_batch N METHOD: one curl process, 10 at a time
	local n=$1 m=$2 i args=(--no-progress-meter --parallel --parallel-max $PAR) codes
	for ((i = 0; i < n; i++)); do
		((i == 0)) || args+=(--next)
		args+=(-s --unix-socket "$sock" -o /dev/null -w '%{http_code}\n')
		case $m in
		POST) args+=(-X POST -H 'Content-Type: application/json'
			-d "{\"name\":\"bf-$i\",\"driver\":\"dir\"}"
			http://lxd/1.0/storage-pools) ;;
		GET) args+=("http://lxd/1.0/storage-pools/bf-$i") ;;
		DELETE) args+=(-X DELETE "http://lxd/1.0/storage-pools/bf-$i") ;;
		esac
	done
	codes=$(curl "${args[@]}" 2>/dev/null)
	[[ $(grep -c '^2' <<<"$codes") == "$n" ]] || {
		echo "bench: curl $m failed: $(sort <<<"$codes" | uniq -c | tr '\n' ' ')" >&2
		exit 1
	}
}
floor() { # floor N
	local n=$1 m t0
	for m in POST GET DELETE; do
		t0=$(now)
		curl_batch "$n" "$m"
		add "floor.$n.$m" "$(since "$t0")"
	done
}

tf_only() { # tf_only N: Terraform's own cost, no provider process
	local n=$1 d=$work/tfonly t0 what
	mkdir -p "$d"
	cat >"$d/main.tf" <<EOF
resource "terraform_data" "p" {
  count = $n
  input = "bt-\${count.index}"
}
EOF
	for what in apply plan plannr destroy; do
		local args=()
		case $what in
		apply) args=(apply -auto-approve) ;;
		plan) args=(plan -detailed-exitcode) ;;
		plannr) args=(plan -detailed-exitcode -refresh=false) ;;
		destroy) args=(destroy -auto-approve) ;;
		esac
		t0=$(now)
		(cd "$d" && TF_CLI_CONFIG_FILE=/dev/null terraform "${args[@]}" \
			-parallelism=$PAR -no-color >>"$d/tf.log" 2>&1)
		add "tf.$n.$what" "$(since "$t0")"
	done
}

# Requests per resource: the same cycle, untimed, through the proxy.
count_requests() { # count_requests KEY N
	local k=$1 n=$2 what psock=$work/proxy.sock
	if [[ -z $proxy_pid ]]; then
		python3 "$here/lxdproxy.py" "$psock" "$sock" "$work/counts" &
		proxy_pid=$!
		for _ in $(seq 100); do [[ -S $psock ]] && break || sleep 0.1; done
	fi
	write_tf "$k" "$n" "$psock"
	for what in apply plan destroy; do
		local args=(apply -auto-approve)
		[[ $what == plan ]] && args=(plan -detailed-exitcode)
		[[ $what == destroy ]] && args=(destroy -auto-approve)
		rm -f "$work/counts"
		kill -USR1 "$proxy_pid" # reset
		for _ in $(seq 50); do [[ -f $work/counts ]] && break || sleep 0.1; done
		rm -f "$work/counts"
		LXD_SOCKET=$psock tfk "$k" "${args[@]}" -parallelism=$PAR
		kill -USR1 "$proxy_pid"
		for _ in $(seq 50); do [[ -f $work/counts ]] && break || sleep 0.1; done
		cp "$work/counts" "$work/$k.counts.$what"
	done
}

for ((r = 1; r <= rounds; r++)); do
	for k in "${provs[@]}"; do
		log "round $r/$rounds: $k handshake ($starts starts)"
		handshake "$k"
	done
	for n in $sizes; do
		for k in "${provs[@]}"; do
			log "round $r/$rounds: $k, $n pools"
			cycle "$k" "$n"
		done
		log "round $r/$rounds: floors, $n pools"
		floor "$n"
		tf_only "$n"
	done
done
for k in "${provs[@]}"; do
	log "counting LXD requests: $k, $count_n pools"
	count_requests "$k" "$count_n"
done

# ---- report ---------------------------------------------------------------------
med() { # med KEY -> median of the samples, or "-"
	local s=${V[$1]:-}
	[[ -n ${s// /} ]] || {
		echo -
		return
	}
	tr ' ' '\n' <<<"$s" | grep . | sort -g |
		awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m }'
}
mb() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f×", a / b }'; }
row() { # row LABEL OURS GO [UNIT]
	printf '| %-44s | %10s | %10s | %7s |\n' "$1" "$2 ${4:-}" "$3 ${4:-}" "$(ratio "$2" "$3")"
}
g() { if [[ ${#provs[@]} -gt 1 ]]; then med "go.$1"; else echo -; fi; }
reqs() { # reqs KEY WHAT -> "requests/resource (connections)"
	local f=$work/$1.counts.$2
	[[ -f $f ]] || {
		echo -
		return
	}
	awk -v n="$count_n" '$1 == "connections" { c = $2; next } { t += $NF }
	     END { printf "%.2f (%d conn)", t / n, c }' "$f"
}

echo
echo "== make bench ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(TF_CLI_CONFIG_FILE=/dev/null terraform version | head -1)) =="
echo "medians of $rounds interleaved rounds; ratio = ${NAME[c]} / Go baseline (below 1: ours smaller or faster)"
echo
printf '| %-44s | %10s | %10s | %7s |\n' figure "${NAME[c]}" "Go" ratio
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" ------------ ------------ ---------
row "start -> handshake line, mTLS" "$(med c.hs)" "$(g hs)" ms
for m in rss pss uss; do
	row "idle after handshake, ${m^^}" "$(mb "$(med c.idle.$m)")" "$(mb "$(g idle.$m)")" MB
done
for n in $sizes; do
	for what in plan apply; do
		for m in rss pss uss; do
			row "peak ${m^^} of a provider process, $what $n" \
				"$(mb "$(med "c.$n.$what.$m")")" "$(mb "$(g "$n.$what.$m")")" MB
		done
	done
	row "terraform apply, create $n" "$(med "c.$n.apply.wall")" "$(g "$n.apply.wall")" s
	row "terraform plan (refresh) $n" "$(med "c.$n.plan.wall")" "$(g "$n.plan.wall")" s
	row "terraform plan -refresh=false $n" "$(med "c.$n.plannr.wall")" "$(g "$n.plannr.wall")" s
	row "terraform destroy $n" "$(med "c.$n.destroy.wall")" "$(g "$n.destroy.wall")" s
	for what in apply plan destroy; do
		row "provider CPU per resource, $what $n" "$(med "c.$n.$what.cpu")" "$(g "$n.$what.cpu")" ms
	done
	printf '| %-44s | %23s |\n' "floor: curl, $n POST / GET / DELETE, $PAR at a time" \
		"$(med "floor.$n.POST") / $(med "floor.$n.GET") / $(med "floor.$n.DELETE") s"
	printf '| %-44s | %23s |\n' "Terraform alone: terraform_data apply/plan/plan-nr/destroy $n" \
		"$(med "tf.$n.apply") / $(med "tf.$n.plan") / $(med "tf.$n.plannr") / $(med "tf.$n.destroy") s"
done
for what in apply plan destroy; do
	printf '| %-44s | %23s | %23s |\n' "LXD requests per resource, $what $count_n" \
		"$(reqs c $what)" "$(if [[ ${#provs[@]} -gt 1 ]]; then reqs go $what; else echo -; fi)"
done
echo
for k in "${provs[@]}"; do
	echo "requests of ${NAME[$k]} (apply / plan / destroy of $count_n pools):"
	for what in apply plan destroy; do
		sed "s/^/  $what: /" "$work/$k.counts.$what"
	done
done
