# shellcheck shell=bash
# lib.sh — helpers for the end-to-end scenarios (source it; do not run it).
#
# A scenario looks like:
#
#   #!/usr/bin/env bash
#   set -euo pipefail
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   e2e_begin storage_pool_single
#   rig_start sps 1                       # a 1-member LXD cluster rig
#   tf_workdir main                       # terraform runs in this dir
#   write_tf <<EOF ... EOF                # writes main.tf
#   check "init" tf init
#   check "plan is empty" expect_exit 0 plan_exit
#   e2e_end
#
# check NAME CMD... prints "PASS: scenario: NAME" or "FAIL: scenario: NAME";
# tests/e2e/run.sh counts those lines. Every terraform command's output is
# kept in $E2E_ROOT/work/<scenario>/<dir>/logs/ (with TF_LOG_PROVIDER=debug
# logs beside it), scanned for provider-bug messages, and followed by a check
# that no provider process is left running.
#
# Run standalone too: `bash tests/e2e/test_x.sh` (uses build/ binary, makes a
# private $E2E_ROOT that is removed at the end unless E2E_KEEP=1).

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=${REPO_ROOT:-$(cd "$E2E_LIB_DIR/../.." && pwd)}
RIG=${RIG:-$REPO_ROOT/tests/rig/lxd-rig.sh}
PROVIDER_VERSION=${PROVIDER_VERSION:-0.1.0}
E2E_TF_TIMEOUT=${E2E_TF_TIMEOUT:-600} # seconds per terraform command

# The rig's API helpers (rig_api, rig_wait_op, ...), functions only.
# shellcheck source=../rig/lxd-rig.sh
source "$RIG"

# Messages that always mean a provider bug, whatever the command's exit code.
# Sanitizer (ASan, LSan, UBSan) reports from a provider built with them.
E2E_SANITIZER_PATTERN='AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer'
E2E_BUG_PATTERNS=(
	'Provider produced invalid plan'
	'Provider produced inconsistent result after apply'
	'Provider produced inconsistent final plan'
	'inconsistent result after apply'
	'inconsistent final plan'
	'Provider produced invalid object'
	'Provider returned invalid result object after apply'
	'plugin failed to exit gracefully'
	'The plugin encountered an error, and failed to respond'
	'panic:'
)

e2e_say() { printf '[e2e %(%H:%M:%S)T] %s\n' -1 "$*"; }

# ---------------------------------------------------------------- environment

# e2e_find_terraform — sets TERRAFORM or fails loudly.
e2e_find_terraform() {
	if [[ -n ${TERRAFORM:-} && -x $TERRAFORM ]]; then
		return 0
	elif [[ -x /usr/local/bin/terraform ]]; then
		TERRAFORM=/usr/local/bin/terraform
	elif command -v terraform >/dev/null 2>&1; then
		TERRAFORM=$(command -v terraform)
	else
		echo "e2e: ERROR: terraform is not installed (need >= 1.11 at /usr/local/bin/terraform)" >&2
		return 1
	fi
	export TERRAFORM
}

# e2e_install_provider BIN ROOT — implied local mirror in ROOT/home (used as
# HOME) for both provider addresses, a private CLI config, no checkpoint.
e2e_install_provider() {
	local bin=$1 root=$2 t d
	[[ -x $bin ]] || {
		echo "e2e: ERROR: provider binary '$bin' does not exist or is not executable (run make)" >&2
		return 1
	}
	for t in lxd k8s; do
		d="$root/home/.terraform.d/plugins/registry.terraform.io/lxdcapi/$t/$PROVIDER_VERSION/linux_amd64"
		mkdir -p "$d" || return 1
		install -m 0755 "$bin" "$d/terraform-provider-${t}_v$PROVIDER_VERSION" || return 1
	done
	: >"$root/terraformrc"
	mkdir -p "$root/work" "$root/home/.lxc-conf" || return 1
}

# e2e_export_env ROOT — the environment every terraform command runs in.
e2e_export_env() {
	local root=$1
	export E2E_ROOT=$root
	export HOME=$root/home
	export TF_CLI_CONFIG_FILE=$root/terraformrc
	export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
	export LXD_CONF=$root/home/.lxc-conf
	unset TF_PLUGIN_CACHE_DIR TF_CLI_ARGS TF_CLI_ARGS_plan TF_CLI_ARGS_apply \
		TF_LOG TF_LOG_CORE TF_LOG_PATH TF_REATTACH_PROVIDERS XDG_DATA_HOME TF_DATA_DIR
}

# ---------------------------------------------------------------- scenario

E2E_SCENARIO=""
E2E_PASS=0
E2E_FAIL=0
E2E_ENDED=0
E2E_OWN_ROOT=0
E2E_RIGS=()
TF_DIR=""
TF_LAST_LOG=""
TF_SEQ=0

# e2e_begin NAME — set up (or reuse run.sh's) environment, install traps.
e2e_begin() {
	E2E_SCENARIO=$1
	e2e_find_terraform || {
		echo "FAIL: $E2E_SCENARIO: terraform missing"
		exit 1
	}
	if [[ -z ${E2E_ROOT:-} ]]; then
		# Standalone run.
		E2E_OWN_ROOT=1
		local root
		root=$(mktemp -d "${TMPDIR:-/tmp}/e2e-standalone.XXXXXX")
		e2e_install_provider "${E2E_BIN:-$REPO_ROOT/build/terraform-provider-lxdcapi}" "$root" || {
			echo "FAIL: $E2E_SCENARIO: provider binary missing"
			rm -rf "$root"
			exit 1
		}
		e2e_export_env "$root"
	fi
	E2E_WORK=$E2E_ROOT/work/$E2E_SCENARIO
	rm -rf "$E2E_WORK"
	mkdir -p "$E2E_WORK"
	trap 'e2e_on_exit $?' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	e2e_say "scenario $E2E_SCENARIO (work dir $E2E_WORK)"
}

# shellcheck disable=SC2317  # runs from the EXIT trap
e2e_on_exit() {
	local rc=$1 r
	trap - EXIT
	set +e
	# A suite's own last words (fault suites report an unfinished fault).
	declare -F e2e_exit_hook >/dev/null && e2e_exit_hook
	if ((E2E_ENDED == 0)); then
		echo "FAIL: $E2E_SCENARIO: aborted (exit $rc) before the end of the scenario"
		[[ -n $TF_LAST_LOG && -f $TF_LAST_LOG ]] && {
			echo "----- last terraform output ($TF_LAST_LOG) -----"
			tail -n 40 "$TF_LAST_LOG"
		}
		rc=1
	fi
	e2e_kill_providers quiet
	for r in "${E2E_RIGS[@]}"; do
		"$RIG" down "$r" >/dev/null 2>&1 || "$RIG" down "$r"
	done
	if ((E2E_OWN_ROOT)) && [[ ${E2E_KEEP:-0} != 1 ]]; then
		rm -rf "$E2E_ROOT"
	fi
	exit "$rc"
}

# e2e_end — print the scenario summary; exit 1 if any check failed.
e2e_end() {
	E2E_ENDED=1
	e2e_say "scenario $E2E_SCENARIO: $E2E_PASS passed, $E2E_FAIL failed"
	((E2E_FAIL == 0)) || exit 1
	exit 0
}

pass() {
	E2E_PASS=$((E2E_PASS + 1))
	echo "PASS: $E2E_SCENARIO: $*"
}

fail() {
	E2E_FAIL=$((E2E_FAIL + 1))
	echo "FAIL: $E2E_SCENARIO: $*"
}

# check NAME CMD... — run CMD; print a PASS/FAIL line. Always returns 0 (a
# failed check does not stop the scenario, even under set -e); the result is
# in E2E_LAST_OK (1 or 0).
E2E_LAST_OK=1
check() {
	local name=$1
	shift
	if "$@"; then
		E2E_LAST_OK=1
		pass "$name"
		return 0
	fi
	E2E_LAST_OK=0
	fail "$name"
	if [[ -n $TF_LAST_LOG && -f $TF_LAST_LOG && ${E2E_CHECK_QUIET:-0} != 1 ]]; then
		echo "  ----- last terraform output: $TF_LAST_LOG -----"
		tail -n 25 "$TF_LAST_LOG" | sed 's/^/  | /'
	fi
	return 0
}

# require NAME CMD... — like check, but ends the scenario on failure (for
# steps every later step depends on).
require() {
	check "$@"
	((E2E_LAST_OK)) && return 0
	echo "FAIL: $E2E_SCENARIO: stopping: later steps depend on '$1'"
	E2E_FAIL=$((E2E_FAIL + 1))
	E2E_ENDED=1
	exit 1
}

# expect_exit CODE CMD... — succeed iff CMD exits with CODE.
expect_exit() {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	if ((rc != want)); then
		echo "  expected exit $want, got $rc from: $*"
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------- rigs

# rig_start NAME MEMBERS [--ovn] — an LXD rig for this scenario (torn down at
# exit); exports its env (LXD_SOCKET, RIG_N1_SOCKET, RIG_N1_POOLS, ...).
rig_start() {
	local name=$1
	shift
	E2E_RIGS+=("$name")
	[[ -n ${E2E_ROOT:-} ]] && printf '%s\n' "$name" >>"$E2E_ROOT/rigs"
	local t0=$SECONDS
	if ! "$RIG" up "$name" "$@"; then
		echo "FAIL: $E2E_SCENARIO: could not start the LXD rig '$name' ($*): LXD cannot start"
		E2E_FAIL=$((E2E_FAIL + 1))
		E2E_ENDED=1
		exit 1
	fi
	eval "$("$RIG" env "$name")"
	export LXD_CONF=$E2E_ROOT/home/.lxc-conf
	e2e_say "rig $name up in $((SECONDS - t0))s"
}

# lxc_n1 ARGS... — the server's own CLI against member 1: `lxc` (LXD) or
# `incus` (Incus), whose subcommands the scenarios use alike.
lxc_n1() {
	if [[ ${RIG_SERVER:-lxd} == incus ]]; then
		INCUS_DIR=$RIG_N1_LXD_DIR INCUS_CONF=$LXD_CONF INCUS_SOCKET='' timeout 120 incus "$@"
	else
		LXD_DIR=$RIG_N1_LXD_DIR timeout 120 lxc "$@"
	fi
}

# api METHOD PATH [BODY] — LXD REST call on member 1, prints JSON.
api() { rig_api "$RIG_N1_SOCKET" "$@"; }

# api_do METHOD PATH [BODY] — like api, output discarded (errors still shown).
api_do() { api "$@" >/dev/null; }

# api_get PATH — prints the "metadata" of a GET on member 1 ("null" on 404).
api_get() {
	local out code
	out=$(curl --silent --max-time 60 --unix-socket "$RIG_N1_SOCKET" "http://lxd$1") || return 1
	code=$(jq -r '.error_code // 0' <<<"$out")
	if [[ $code == 404 ]]; then
		echo null
		return 0
	fi
	[[ $code == 0 ]] || {
		echo "  GET $1: $out" >&2
		return 1
	}
	jq -c '.metadata' <<<"$out"
}

# api_eq PATH JQ-EXPR EXPECTED — GET PATH, compare jq output (raw) to EXPECTED.
api_eq() {
	local got
	got=$(api_get "$1" | jq -r "$2") || return 1
	if [[ $got != "$3" ]]; then
		echo "  $1 | $2 = '$got', expected '$3'"
		return 1
	fi
}

# pool_exists NAME / pool_absent NAME — via the REST API on member 1.
pool_exists() { [[ $(api_get "/1.0/storage-pools/$1") != null ]]; }
pool_absent() { [[ $(api_get "/1.0/storage-pools/$1") == null ]]; }

# pool_count — number of storage pools on the server.
pool_count() { api_get /1.0/storage-pools | jq 'length'; }

# ---------------------------------------------------------------- terraform

# tf_workdir NAME — (create and) select the terraform working directory.
tf_workdir() {
	TF_DIR=$E2E_WORK/$1
	mkdir -p "$TF_DIR/logs"
}

# write_tf [FILE] — write stdin to FILE (default main.tf) in the work dir.
write_tf() {
	cat >"$TF_DIR/${1:-main.tf}"
}

# provider_hcl [SOCKET] — terraform{} + provider "lxd" blocks for the rig.
provider_hcl() {
	cat <<EOF
terraform {
  required_providers {
    lxd = {
      source = "lxdcapi/lxd"
    }
  }
}

provider "lxd" {
  socket = "${1:-$RIG_N1_SOCKET}"
}

EOF
}

# tf ARGS... — run terraform in $TF_DIR. Output goes to a numbered log (and
# TF_LAST_LOG); provider debug logs to the same name + .tflog. Returns
# terraform's exit code. A provider-bug message or a leftover provider process
# records a FAIL (even when the command itself was expected to fail).
tf() {
	[[ -n $TF_DIR ]] || {
		echo "tf: call tf_workdir first" >&2
		return 1
	}
	TF_SEQ=$((TF_SEQ + 1))
	local base rc=0
	base=$(printf '%s/logs/%03d-%s' "$TF_DIR" "$TF_SEQ" "${1:-none}")
	TF_LAST_LOG=$base.log
	printf '$ terraform %s\n' "$*" >"$TF_LAST_LOG"
	(cd "$TF_DIR" && TF_LOG_PROVIDER=debug TF_LOG_PATH=$base.tflog \
		timeout --kill-after=15 "$E2E_TF_TIMEOUT" "$TERRAFORM" "$@" </dev/null >>"$TF_LAST_LOG" 2>&1) || rc=$?
	printf '[exit %s]\n' "$rc" >>"$TF_LAST_LOG"
	if ((rc == 124 || rc == 137)); then
		fail "terraform $1 timed out after ${E2E_TF_TIMEOUT}s ($TF_LAST_LOG)"
	fi
	local pat
	for pat in "${E2E_BUG_PATTERNS[@]}"; do
		if grep -qF -- "$pat" "$TF_LAST_LOG"; then
			fail "terraform $* reported a provider bug: '$pat' (see $TF_LAST_LOG)"
			grep -F -B2 -A8 -- "$pat" "$TF_LAST_LOG" | head -30 | sed 's/^/  | /'
		fi
	done
	# The provider's stderr (sanitizer reports included) is in the debug log.
	if [[ -f $base.tflog ]] && grep -qE -- "$E2E_SANITIZER_PATTERN" "$base.tflog"; then
		fail "terraform $* : the provider reported a sanitizer error (see $base.tflog)"
		grep -E -A12 -- "$E2E_SANITIZER_PATTERN" "$base.tflog" | head -40 | sed 's/^/  | /'
	fi
	if [[ -f $base.tflog ]] && grep -qE -- 'plugin process exited.*(signal|exit status [1-9])' "$base.tflog"; then
		fail "terraform $* : the provider exited abnormally (see $base.tflog)"
	fi
	e2e_kill_providers check
	return "$rc"
}

# tf_quiet ARGS... — tf, and prints the output on failure.
tf_show_on_fail() {
	local rc=0
	tf "$@" || rc=$?
	if ((rc != 0)); then
		echo "  terraform $* exited $rc:"
		tail -n 30 "$TF_LAST_LOG" | sed 's/^/  | /'
	fi
	return "$rc"
}

# plan_exit [ARGS...] — terraform plan -detailed-exitcode; returns 0/1/2.
plan_exit() {
	tf plan -detailed-exitcode -input=false -no-color "$@"
}

# apply_ok [ARGS...] — terraform apply -auto-approve, success expected.
apply_ok() { tf_show_on_fail apply -auto-approve -input=false -no-color "$@"; }

# out_has REGEX — the last terraform output matches (extended regex).
out_has() {
	grep -qE -- "$1" "$TF_LAST_LOG" || {
		echo "  '$1' not found in $TF_LAST_LOG"
		return 1
	}
}

# out_lacks REGEX — the last terraform output does not match.
out_lacks() {
	! grep -qE -- "$1" "$TF_LAST_LOG" || {
		echo "  '$1' unexpectedly found in $TF_LAST_LOG"
		return 1
	}
}

# output_is NAME JQ-EXPR EXPECTED — `terraform output -json NAME | jq -r`.
output_is() {
	local got
	got=$(cd "$TF_DIR" && timeout 120 "$TERRAFORM" output -json "$1" 2>&1 | jq -r "$2" 2>&1) || true
	[[ $got == "$3" ]] || {
		echo "  output $1 | $2 = '$got', expected '$3'"
		return 1
	}
}

# state_has ADDR / state_lacks ADDR / state_empty — `terraform state list`.
state_list() { (cd "$TF_DIR" && timeout 120 "$TERRAFORM" state list 2>/dev/null); }
state_has() { state_list | grep -xF -- "$1" >/dev/null; }  # no -q: SIGPIPE + pipefail
state_lacks() { ! state_list | grep -xF -- "$1" >/dev/null; }
state_empty() { [[ -z $(state_list) ]]; }

# e2e_provider_pids — provider processes started from this test's files.
e2e_provider_pids() {
	local p exe
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		case $exe in
		"$E2E_ROOT"/*terraform-provider-*) ;;
		*) continue ;;
		esac
		# Skip zombies (exited, not yet reaped).
		[[ $(awk '{ print $3 }' "$p/stat" 2>/dev/null) == Z ]] && continue
		printf '%s\n' "${p#/proc/}"
	done
}

# e2e_kill_providers check|quiet — after a terraform command no provider may be
# left running (grace of 3 s); leftovers are a FAIL and are killed by pid.
e2e_kill_providers() {
	local pids i pid
	for ((i = 0; i < 15; i++)); do
		pids=$(e2e_provider_pids)
		[[ -z $pids ]] && return 0
		sleep 0.2
	done
	if [[ $1 != quiet ]]; then
		fail "provider process(es) left running after terraform exited: $(echo "$pids" | tr '\n' ' ')"
	fi
	for pid in $pids; do
		kill -KILL "$pid" 2>/dev/null || true
	done
}
