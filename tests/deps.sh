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
# Incus 6.0 LTS, the second server the lxd_* suites run against: on Debian 12
# it comes from bookworm-backports (added to the apt sources below when no
# source names it); later Debian releases carry it in main. incus-base holds
# the daemon (/usr/libexec/incus/incusd), incus-client the `incus` command;
# the `incus` package would add QEMU for virtual machines, which the tests
# do not use. Both coexist with Debian's lxd packages (no shared files).
INCUS_PACKAGES=(incus-base incus-client)
INCUSD=/usr/libexec/incus/incusd
# kubectl for the k8s emulator's fidelity test: Debian's kubernetes-client,
# unless a kubectl is already installed (any source).
command -v kubectl >/dev/null 2>&1 || PACKAGES+=(kubernetes-client)
TF_MIN_MAJOR=1
TF_MIN_MINOR=11

die() {
	printf '\n*** deps.sh: ERROR: %s ***\n\n' "$*" >&2
	exit 1
}

installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true) == installed ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done
missing_incus=()
for p in "${INCUS_PACKAGES[@]}"; do
	installed "$p" || missing_incus+=("$p")
done

# backports_release — print the backports suite Incus comes from on this
# Debian release ("" when the release's main archive has it).
backports_release() {
	local codename=""
	# shellcheck disable=SC1091
	[[ -r /etc/os-release ]] && codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[[ $codename == bookworm ]] && echo bookworm-backports
	return 0
}

# ensure_backports SUITE — add SUITE to the apt sources unless some source
# already names it (a deb822 file in sources.list.d, Debian's archive key).
ensure_backports() {
	local suite=$1 f=/etc/apt/sources.list.d/lxdcapi-backports.sources
	if grep -rqsw -- "$suite" /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	echo "deps.sh: adding $suite to the apt sources ($f)"
	printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$suite" >"$f" || die "cannot write $f"
}

if ((${#missing[@]} + ${#missing_incus[@]} > 0)); then
	[[ $(id -u) == 0 ]] || die "missing packages (${missing[*]}) and not root: cannot apt-get install"
	echo "deps.sh: installing${missing[*]:+ ${missing[*]}}${missing_incus[*]:+ ${missing_incus[*]}}"
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
	bpo=""
	((${#missing_incus[@]} == 0)) || bpo=$(backports_release)
	[[ -z $bpo ]] || ensure_backports "$bpo"
	timeout 900 apt-get update -q || die "apt-get update failed"
	if ((${#missing[@]} > 0)); then
		timeout 1800 apt-get install -y -q "${missing[@]}" ||
			die "apt-get install ${missing[*]} failed"
	fi
	if ((${#missing_incus[@]} > 0)); then
		timeout 1800 apt-get install -y -q --no-install-recommends \
			${bpo:+-t "$bpo"} "${missing_incus[@]}" ||
			die "apt-get install ${missing_incus[*]} ${bpo:+from $bpo }failed"
	fi
	still=()
	for p in "${missing[@]}" "${missing_incus[@]}"; do
		installed "$p" || still+=("$p")
	done
	((${#still[@]} == 0)) || die "still not installed after apt-get: ${still[*]}"
fi

# Commands the build and the tests call directly.
for c in cc clang pkg-config protoc-c lxd lxc ip curl jq openssl ovsdb-tool \
	ovs-vswitchd ovn-northd ovn-controller iptables setsid timeout kubectl protoc clang-format cppcheck; do
	command -v "$c" >/dev/null 2>&1 || die "command '$c' not found after installing packages"
done
for c in "$INCUSD" /usr/bin/incus; do
	[[ -x $c ]] || die "'$c' (Incus) not found after installing ${INCUS_PACKAGES[*]}"
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
