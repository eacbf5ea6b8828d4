#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command inside the Debian 13 chroot made by scripts/mkchroot.sh, with
# the source tree bind-mounted read-only at /src and /proc, /dev, /sys and
# /dev/shm mounted; unmounts everything on exit.  The chroot shares the
# host's network, so its programs and the host's meet on loopback.
#
#   scripts/chroot-run.sh [--src DIR] COMMAND [ARG ...]
#
# Each call gets its own mount namespace (unshare -m), so parallel calls and
# interrupted runs never leave mounts behind on the host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
if [ "${1:-}" = "--src" ]; then src=$(cd "$2" && pwd); shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [--src DIR] COMMAND [ARG ...]" >&2; exit 2; }
root=$("$here/mkchroot.sh")

if [ -z "${SSLQUIC_IN_MOUNTNS:-}" ]; then
    export SSLQUIC_IN_MOUNTNS=1
    exec unshare -m --propagation private "$0" --src "$src" "$@"
fi

mkdir -p "$root/src" "$root/proc" "$root/dev" "$root/sys" "$root/tmp"
mount --bind "$src" "$root/src"
mount -o remount,bind,ro "$root/src"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount -t tmpfs -o size=2g tmpfs "$root/tmp"
chmod 1777 "$root/tmp"
cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    TERM="${TERM:-dumb}" CI="${CI:-}" SSLQUIC_IN_CHROOT=1 "$@"
