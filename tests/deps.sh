#!/usr/bin/env bash
# deps.sh — install the Debian packages the build and the tests need (only
# when something is missing: one `apt-get update`, one `apt-get install`),
# then check that Terraform >= 1.11 is installed. Quiet when all is present.
# Exits non-zero on any failure.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config clang libclang-rt-14-dev clang-format cppcheck
	libgrpc-dev libprotobuf-c-dev protobuf-c-compiler
	libabsl-dev libre2-dev libc-ares-dev zlib1g-dev
	libcurl4-openssl-dev libjansson-dev libssl-dev libcmocka-dev
	libmsgpack-dev libyaml-dev
	lxd lxd-client iptables nftables
	openvswitch-switch ovn-central ovn-host
	iproute2 curl jq openssl procps bc python3
	python3-yaml
	python3-grpcio python3-protobuf python3-msgpack python3-cryptography
	protobuf-compiler
)
# kubectl for the k8s emulator's fidelity test: Debian's kubernetes-client,
# unless a kubectl is already installed (any source).
command -v kubectl >/dev/null 2>&1 || PACKAGES+=(kubernetes-client)
TF_MIN_MAJOR=1
TF_MIN_MINOR=11

die() {
	printf '\n*** deps.sh: ERROR: %s ***\n\n' "$*" >&2
	exit 1
}

missing=()
for p in "${PACKAGES[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $st == installed ]] || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
	[[ $(id -u) == 0 ]] || die "missing packages (${missing[*]}) and not root: cannot apt-get install"
	echo "deps.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Daemons in these packages must not be started at install time (no
	# systemd; the tests start private instances themselves).
	policy_rc=/usr/sbin/policy-rc.d
	created_policy=0
	if [[ ! -e $policy_rc ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
		chmod 0755 "$policy_rc"
		created_policy=1
	fi
	# shellcheck disable=SC2317  # called by the EXIT trap
	cleanup() { ((created_policy)) && rm -f "$policy_rc"; return 0; }
	trap cleanup EXIT
	timeout 900 apt-get update -q || die "apt-get update failed"
	timeout 1800 apt-get install -y -q "${missing[@]}" ||
		die "apt-get install ${missing[*]} failed"
	still=()
	for p in "${missing[@]}"; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[[ $st == installed ]] || still+=("$p")
	done
	((${#still[@]} == 0)) || die "still not installed after apt-get: ${still[*]}"
fi

# Commands the build and the tests call directly.
for c in cc clang pkg-config protoc-c lxd lxc ip curl jq openssl ovsdb-tool \
	ovs-vswitchd ovn-northd ovn-controller iptables setsid timeout kubectl protoc clang-format cppcheck; do
	command -v "$c" >/dev/null 2>&1 || die "command '$c' not found after installing packages"
done

# Terraform cannot be downloaded here: it must be preinstalled.
tf=""
if [[ -x /usr/local/bin/terraform ]]; then
	tf=/usr/local/bin/terraform
elif command -v terraform >/dev/null 2>&1; then
	tf=$(command -v terraform)
fi
[[ -n $tf ]] || die "Terraform >= $TF_MIN_MAJOR.$TF_MIN_MINOR is REQUIRED but not installed
    (looked at /usr/local/bin/terraform and PATH). It cannot be downloaded on
    these machines; it must be preinstalled at /usr/local/bin/terraform."
ver=$(CHECKPOINT_DISABLE=1 timeout 60 "$tf" version -json 2>/dev/null |
	jq -r '.terraform_version // empty' 2>/dev/null || true)
if [[ -z $ver ]]; then
	ver=$(CHECKPOINT_DISABLE=1 timeout 60 "$tf" version 2>/dev/null |
		sed -n '1s/^Terraform v\([0-9][0-9.]*\).*/\1/p' || true)
fi
[[ $ver =~ ^([0-9]+)\.([0-9]+) ]] || die "cannot read the version of $tf"
major=${BASH_REMATCH[1]}
minor=${BASH_REMATCH[2]}
if ((major < TF_MIN_MAJOR || (major == TF_MIN_MAJOR && minor < TF_MIN_MINOR))); then
	die "$tf is version $ver; Terraform >= $TF_MIN_MAJOR.$TF_MIN_MINOR is REQUIRED"
fi
exit 0
