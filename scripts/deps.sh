#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages sslquic needs to build, test and demo, when
# they are missing.  Idempotent and quiet: apt-get update runs only when
# something has to be installed.
#
#   scripts/deps.sh           build + test + demo packages
#   scripts/deps.sh --build   only what building the library needs
set -euo pipefail

BUILD="gcc make cmake pkg-config libssl-dev libngtcp2-dev libnghttp3-dev"
TEST="libcmocka-dev openssl debootstrap ngtcp2-server ngtcp2-client iproute2 \
valgrind man-db groff-base clang libclang-rt-14-dev chromium"
want="$BUILD"
[ "${1:-}" = "--build" ] || want="$want $TEST"

missing=()
for p in $want; do
    s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$s" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
