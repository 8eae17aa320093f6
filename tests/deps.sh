#!/usr/bin/env bash
# deps.sh — install the Debian packages the build and the tests need (only
# when something is missing: one `apt-get update`, one `apt-get install`),
# fetch Debian's curl source package (only when not yet fetched: see
# CURL_SRC_CACHE), then check that Terraform >= 1.11 is installed. Quiet
# when all is present. Exits non-zero on any failure.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config clang libclang-rt-14-dev clang-format cppcheck
	libgrpc-dev libprotobuf-c-dev protobuf-c-compiler
	libabsl-dev libre2-dev libc-ares-dev zlib1g-dev
	libjansson-dev libssl-dev libcmocka-dev
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

# Debian's curl source package, from which the build makes the minimal
# static libcurl the binary links (provider/http/curl-min/build.sh unpacks
# it with dpkg-source, so Debian's patches apply; build-essential brings
# dpkg-dev). Kept outside the repository, in CURL_SRC_CACHE (the Makefile's
# CURL_SRC must name the same directory): the version of the installed
# libcurl4, so that the static copy follows Debian's security updates of
# curl (then the build rebuilds it), or the newest one the archive has if
# it no longer has that version. Nothing is fetched while the cache holds
# the installed version. Remove the directory to fetch again.
CURL_SRC_CACHE=${CURL_SRC_CACHE:-/var/cache/lxdcapi/curl-src}
curl_src_updated=0

# has_deb_src CODENAME — 0 when some apt source has deb-src for CODENAME
# (one-line .list style or a deb822 .sources paragraph).
has_deb_src() {
	local codename=$1 f
	grep -Eqs "^[[:space:]]*deb-src([[:space:]]+\[[^]]*\])?[[:space:]]+[^[:space:]]+[[:space:]]+$codename([[:space:]]|\$)" \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 0
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		awk -v s="$codename" 'BEGIN { RS = ""; found = 1 }
			$0 ~ /(^|\n)Types:[^\n]*deb-src/ &&
			$0 ~ ("(^|\n)Suites:[^\n]*[[:space:]]" s "([[:space:]]|\n|$)") { found = 0 }
			END { exit found }' "$f" && return 0
	done
	return 1
}

# fetch_curl_source [VERSION] — (root) replace CURL_SRC_CACHE with the curl
# source package of VERSION (default: the newest); adds deb-src for this
# release to the apt sources when none exists. Non-zero when apt cannot get
# it (the cache is then unchanged); dies on anything else.
fetch_curl_source() {
	local dir=$CURL_SRC_CACHE codename="" tmp f=/etc/apt/sources.list.d/lxdcapi-src.sources
	echo "deps.sh: fetching Debian's curl source package${1:+ $1} into $dir"
	if ((!curl_src_updated)); then
		# shellcheck disable=SC1091
		[[ -r /etc/os-release ]] && codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
		[[ -n $codename ]] || die "cannot read the Debian release name from /etc/os-release"
		if ! has_deb_src "$codename"; then
			echo "deps.sh: adding deb-src for $codename to the apt sources ($f)"
			printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" \
				"Suites: $codename $codename-updates" "Components: main" \
				"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" "" \
				"Types: deb-src" "URIs: http://deb.debian.org/debian-security" \
				"Suites: $codename-security" "Components: main" \
				"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" >"$f" ||
				die "cannot write $f"
		fi
		timeout 900 apt-get update -q || die "apt-get update failed"
		curl_src_updated=1
	fi
	mkdir -p "${dir%/*}" || die "cannot create ${dir%/*}"
	tmp=$(mktemp -d "${dir%/*}/.curl-src.XXXXXX") || die "cannot create a directory in ${dir%/*}"
	# Downloaded as root into tmp (the _apt user cannot write there); apt
	# checks every file against the signed archive index.
	if ! (cd "$tmp" && timeout 900 apt-get source -q --download-only \
		-o APT::Sandbox::User=root "curl${1:+=$1}") ||
		! compgen -G "$tmp/curl_*.dsc" >/dev/null; then
		rm -rf "$tmp"
		return 1
	fi
	if ! { chmod 0755 "$tmp" && rm -rf "$dir" && mv "$tmp" "$dir"; }; then
		die "cannot move the curl source into $dir"
	fi
}

# ensure_curl_source — make CURL_SRC_CACHE hold the curl source package
# (see above). When the installed libcurl4 changed but the archive does not
# have its source, the cache is kept, with one warning per version (a
# marker file in the cache remembers it).
ensure_curl_source() {
	local dir=$CURL_SRC_CACHE want have="" dsc
	want=$(dpkg-query -W -f='${Version}' libcurl4 2>/dev/null || true)
	dsc=$(compgen -G "$dir/curl_*.dsc" | head -n 1 || true)
	if [[ -n $dsc ]]; then
		have=$(sed -n 's/^Version: //p' "$dsc")
		[[ -z $want || $have == "$want" || -e $dir/.unavailable-$want ]] && return 0
		[[ $(id -u) == 0 ]] || {
			echo "deps.sh: WARNING: curl source $have in $dir, installed libcurl4 is $want (not root: not fetching)" >&2
			return 0
		}
		if ! fetch_curl_source "$want"; then
			echo "deps.sh: WARNING: the archive has no curl source $want: keeping $have in $dir" >&2
			: >"$dir/.unavailable-$want"
		fi
		return 0
	fi
	[[ $(id -u) == 0 ]] || die "Debian's curl source package is not in $dir and not root: cannot fetch it"
	{ [[ -n $want ]] && fetch_curl_source "$want"; } || fetch_curl_source ||
		die "apt-get source curl failed (deb-src sources: /etc/apt/sources.list.d/lxdcapi-src.sources)"
}
ensure_curl_source

# Commands the build and the tests call directly.
for c in cc clang pkg-config protoc-c lxd lxc ip curl jq openssl ovsdb-tool \
	ovs-vswitchd ovn-northd ovn-controller iptables setsid timeout kubectl protoc clang-format cppcheck \
	dpkg-source dpkg-buildflags; do
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
