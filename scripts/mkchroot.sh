#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes (or reuses) a Debian 13 (trixie) chroot holding OpenSSL 3.5, ngtcp2 1.x,
# nghttp3 1.x, cmocka, a compiler and CMake.  Prints the chroot's path.
#
#   scripts/mkchroot.sh            make or reuse, print the path
#   scripts/mkchroot.sh --rebuild  throw the old one away first
#
# The chroot lives outside the source tree (SSLQUIC_CHROOT_DIR, default
# /var/cache/sslquic/trixie).  A marker file records the package list it was
# made with; a chroot whose marker differs, or whose tools do not run, is
# rebuilt.  This script mounts nothing: scripts/chroot-run.sh does, per call,
# and unmounts on exit.
set -euo pipefail

DIR=${SSLQUIC_CHROOT_DIR:-/var/cache/sslquic/trixie}
SUITE=trixie
MIRROR=${SSLQUIC_MIRROR:-http://deb.debian.org/debian}
PKGS="ca-certificates gcc g++ make cmake pkg-config openssl libssl-dev man-db groff-base \
libngtcp2-dev libnghttp3-dev libcmocka-dev iproute2 procps"
MARK="$DIR/.sslquic-chroot"
WANT="$SUITE $PKGS v3"

say() { echo "mkchroot: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
    say "must run as root (debootstrap and chroot need it)"
    exit 77
fi

if [ "${1:-}" = "--rebuild" ]; then
    rm -rf --one-file-system "$DIR"
fi

healthy() {
    [ -f "$MARK" ] && [ "$(cat "$MARK")" = "$WANT" ] &&
        chroot "$DIR" /usr/bin/openssl version 2>/dev/null | grep -q '^OpenSSL 3\.[5-9]' &&
        chroot "$DIR" /usr/bin/cmake --version >/dev/null 2>&1
}

if healthy; then
    echo "$DIR"
    exit 0
fi

command -v debootstrap >/dev/null || {
    say "installing debootstrap"
    apt-get install -y -q debootstrap >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q debootstrap >/dev/null; }
}

say "creating Debian 13 chroot in $DIR (about a minute)"
rm -rf --one-file-system "$DIR"
mkdir -p "$(dirname "$DIR")"
tmp="$DIR.tmp.$$"
rm -rf --one-file-system "$tmp"
trap 'rm -rf --one-file-system "$tmp"' EXIT
debootstrap --variant=minbase --include="$(echo $PKGS | tr ' ' ',')" \
    "$SUITE" "$tmp" "$MIRROR" >"$tmp.log" 2>&1 || {
    say "debootstrap failed; last lines of its log:"
    tail -20 "$tmp.log" >&2
    exit 1
}
rm -f "$tmp.log"
rm -rf "$tmp/var/cache/apt/archives/"*.deb
echo "$WANT" >"$tmp/.sslquic-chroot"
mv "$tmp" "$DIR"
trap - EXIT
healthy || { say "chroot made but its tools do not run"; exit 1; }
say "$(chroot "$DIR" openssl version)"
echo "$DIR"
