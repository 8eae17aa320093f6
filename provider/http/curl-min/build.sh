#!/usr/bin/env bash
# build.sh — the provider's minimal static libcurl, built from Debian's curl
# source package with Debian's patches (those of its OpenSSL flavour,
# libcurl4), configured with only what the provider uses.
#
#   provider/http/curl-min/build.sh SRC_DIR OUT_DIR
#
# SRC_DIR holds exactly one curl_*.dsc and the files it names (tests/deps.sh
# fetches them into /var/cache/lxdcapi/curl-src). On success OUT_DIR holds
# lib/libcurl.a, include/curl/*.h and, written last, `stamp`: the source
# package's name and this script's digest. Unpacks, configures and compiles
# in OUT_DIR-src (the log: OUT_DIR-src/build.log). Does nothing when the
# stamp already matches; concurrent runs (the ASan build's sub-make) wait for
# each other on OUT_DIR.lock. Runs make under the caller's jobserver when
# started from a make recipe marked `+`. Exits non-zero with a message on any
# failure.
#
# What the library has (tests/unit/test_curl_build.c checks it):
# - HTTP/1.1 and HTTPS, TLS by the system's shared OpenSSL, with Debian's
#   default CA bundle and path (as libcurl4);
# - unix sockets (LXD's local socket, CURLOPT_UNIX_SOCKET_PATH);
# - proxies (HTTP, HTTPS, SOCKS) from CURLOPT_PROXY or the proxy environment
#   variables, with Basic credentials only, as kubectl;
# - the threaded resolver, IPv6, and the verbose strings (they cost memory
#   only when CURLOPT_VERBOSE is on);
# and nothing else: no other protocol, no authentication but Basic (no
# Digest, NTLM, Kerberos), no HTTP/2, cookies, HSTS, alt-svc, DoH, netrc,
# MIME, content decoding (no zlib: the provider never sets
# CURLOPT_ACCEPT_ENCODING), IDN or public suffix list. A client that needs
# one of these adds it to CONFIGURE below and to that test.
set -euo pipefail

die() {
	printf '\n*** curl-min/build.sh: ERROR: %s ***\n\n' "$*" >&2
	exit 1
}

(($# == 2)) || die "usage: $0 SRC_DIR OUT_DIR"
src=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
script=$here/$(basename "$0")

shopt -s nullglob
dscs=("$src"/curl_*.dsc)
shopt -u nullglob
((${#dscs[@]} > 0)) || die "Debian's curl source package is not in $src:
    run tests/deps.sh (as root) to fetch it (or set CURL_SRC to a directory
    holding curl_*.dsc and its tarballs)"
((${#dscs[@]} == 1)) || die "several curl_*.dsc in $src (${dscs[*]##*/}): keep one"
dsc=${dscs[0]}

CONFIGURE=(
	--disable-shared --enable-static --disable-dependency-tracking
	--with-openssl
	--with-ca-bundle=/etc/ssl/certs/ca-certificates.crt
	--with-ca-path=/etc/ssl/certs
	--enable-http --enable-proxy --enable-unix-sockets --enable-ipv6
	--enable-threaded-resolver --disable-ares --enable-verbose
	--disable-ftp --disable-file --disable-ldap --disable-ldaps
	--disable-rtsp --disable-dict --disable-telnet --disable-tftp
	--disable-pop3 --disable-imap --disable-smtp --disable-smb
	--disable-gopher --disable-mqtt --disable-websockets
	--disable-crypto-auth --disable-ntlm --disable-ntlm-wb
	--disable-tls-srp --without-gssapi --without-libgsasl
	--disable-cookies --disable-doh --disable-mime --disable-netrc
	--disable-alt-svc --disable-hsts --disable-headers-api
	--disable-get-easy-options --disable-dateparse --disable-dnsshuffle
	--disable-progress-meter --disable-manual --disable-libcurl-option
	--without-zlib --without-brotli --without-zstd --without-libidn2
	--without-libpsl --without-nghttp2 --without-ngtcp2 --without-nghttp3
	--without-quiche --without-msh3 --without-hyper --without-librtmp
	--without-libssh2 --without-libssh --without-wolfssh
	--without-zsh-functions-dir --without-fish-functions-dir
)

want="${dsc##*/} $(sha256sum "$script" | cut -d' ' -f1)"
mkdir -p "${out%/*}"
exec 9>"$out.lock"
flock 9
if [[ -f $out/stamp && $(<"$out/stamp") == "$want" ]]; then
	exit 0
fi

t0=$(date +%s)
out_abs=$(cd "${out%/*}" && pwd)/${out##*/}
work=$out-src
tree=$work/curl
log=$work/build.log
rm -rf "$out" "$work"
mkdir -p "$work"

# step WHAT CMD... — run CMD with its output in the log; on failure show
# the log's end and stop.
step() {
	local what=$1
	shift
	if ! "$@" >>"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "$what failed (log: $log)"
	fi
}

echo "curl-min: building a minimal static libcurl from ${dsc##*/}"
# dpkg-source checks the tarballs against the .dsc and applies the whole
# patch series; the last two patches turn the tree into Debian's GnuTLS and
# NSS flavours: reversed here, as debian/rules does (`quilt pop`) for
# libcurl4.
step "dpkg-source -x $dsc" dpkg-source -x "$dsc" "$tree"
mapfile -t series < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' \
	-e 's/[[:space:]].*//' "$tree/debian/patches/series")
((${#series[@]} >= 2)) || die "unexpected debian/patches/series in ${dsc##*/}"
flavours=("${series[@]: -1}" "${series[@]: -2:1}")
[[ ${flavours[0]} == *nss* && ${flavours[1]} == *gnutls* ]] ||
	die "the last patches of ${dsc##*/} are not the NSS and GnuTLS flavour patches (${flavours[*]}): review build.sh"
for p in "${flavours[@]}"; do
	step "reversing $p" patch -d "$tree" -R -p1 -i "debian/patches/$p"
done

# The orig tarball's configure and Makefile.in are used as they are (no
# autoreconf; maintainer mode is off, so make does not regenerate them).
# That is right only as long as no applied patch changes an autotools input
# of lib/ or include/ beyond these, which concern GSS-API and LDAP (both
# disabled here): a new one stops the build, to be reviewed.
known="build-Divide-mit-krb5-gssapi-link-flags-between-LDFLAGS-a.patch:configure.ac
Use-OpenLDAP-specific-functionality.patch:configure.ac"
for p in "${series[@]:0:${#series[@]}-2}"; do
	while read -r f; do
		[[ $f =~ ^(configure\.ac|acinclude\.m4|m4/.*|(lib|include)/.*Makefile\.(am|inc))$ ]] ||
			continue
		grep -qxF "$p:$f" <<<"$known" ||
			die "Debian patch $p changes $f, which this build does not regenerate: review build.sh (autoreconf?)"
	done < <(sed -n 's|^+++ [^/[:space:]]*/\([^[:space:]]*\).*|\1|p' \
		"$tree/debian/patches/$p")
done

# Debian's hardening flags, as for its own build.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cflags=$(cd "$tree" && dpkg-buildflags --get CFLAGS)
cppflags=$(cd "$tree" && dpkg-buildflags --get CPPFLAGS)
step configure env -C "$tree" ./configure --prefix="$out_abs" \
	"${CONFIGURE[@]}" CFLAGS="$cflags" CPPFLAGS="$cppflags"

# Only the library and its headers, not the curl tool. Of the caller's
# MAKEFLAGS only the job slots are for curl's makefiles (not -n, -t, nor
# variables set on the caller's command line: BUILD=, SAN=, ...).
jobs=()
for w in ${MAKEFLAGS:-}; do
	[[ $w == -- ]] && break
	[[ $w == -j* || $w == --jobserver-auth=* || $w == --jobserver-fds=* ]] &&
		jobs+=("$w")
done
export MAKEFLAGS="${jobs[*]}"
step "make -C lib" make -C "$tree/lib"
step "make -C lib install" make -C "$tree/lib" install
step "make -C include install" make -C "$tree/include" install
[[ -f $out/lib/libcurl.a && -f $out/include/curl/curl.h ]] ||
	die "libcurl.a or curl.h missing in $out after make install"
printf '%s\n' "$want" >"$out/stamp"
echo "curl-min: $out/lib/libcurl.a built in $(($(date +%s) - t0)) s"
