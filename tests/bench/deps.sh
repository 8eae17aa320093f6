#!/usr/bin/env bash
# make bench-deps — install Debian 12's Go packages that build the Go
# baseline provider (/work/shared/bench/go-baseline, see its README), only
# when one is missing. `make test` never needs them: `make bench` measures
# the baseline only when they are present.
set -euo pipefail

PACKAGES=(
	golang-go golang-google-grpc-dev golang-google-protobuf-dev
	golang-github-golang-protobuf-1-5-dev protoc-gen-go protoc-gen-go-grpc
	protobuf-compiler golang-github-zclconf-go-cty-dev
	golang-github-hashicorp-go-plugin-dev
)
missing=()
for p in "${PACKAGES[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $st == installed ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
[[ $(id -u) == 0 ]] || {
	echo "bench-deps: missing ${missing[*]} and not root" >&2
	exit 1
}
echo "bench-deps: installing ${missing[*]}"
# Debian's golang-go from bookworm, not backports: the baseline's README
# pins the versions it was measured with (Go 1.19, grpc-go 1.33).
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	"${missing[@]}" || {
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends "${missing[@]}"
}
