#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command inside the Debian 13 chroot made by scripts/mkchroot.sh, with
# the source tree bind-mounted read-only at /src and /proc, /dev, /sys and
# /dev/shm mounted; unmounts everything on exit.  The chroot shares the
# host's network, so its programs and the host's meet on loopback.
#
#   scripts/chroot-run.sh [--src DIR] [--bind HOSTDIR:DIR]... COMMAND [ARG ...]
#
# --bind mounts a host directory read-write inside the chroot (made if
# missing on both sides), e.g. a build directory whose programs the host's
# tests then run through this script again.
#
# Each call gets its own mount namespace (unshare -m), so parallel calls and
# interrupted runs never leave mounts behind on the host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
binds=()
while [ $# -gt 0 ]; do
    case "$1" in
    --src) src=$(cd "$2" && pwd); shift 2 ;;
    --bind) binds+=("$2"); shift 2 ;;
    *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--src DIR] [--bind HOSTDIR:DIR]... COMMAND [ARG ...]" >&2; exit 2; }
root=$("$here/mkchroot.sh")

if [ -z "${SSLQUIC_IN_MOUNTNS:-}" ]; then
    export SSLQUIC_IN_MOUNTNS=1
    bargs=()
    for b in "${binds[@]}"; do bargs+=(--bind "$b"); done
    exec unshare -m --propagation private "$0" --src "$src" "${bargs[@]}" "$@"
fi

mkdir -p "$root/src" "$root/proc" "$root/dev" "$root/sys" "$root/tmp"
mount --bind "$src" "$root/src"
mount -o remount,bind,ro "$root/src"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount -t tmpfs -o size=2g tmpfs "$root/tmp"
chmod 1777 "$root/tmp"
for b in "${binds[@]}"; do
    host=${b%%:*} inside=${b#*:}
    mkdir -p "$host" "$root$inside"
    mount --bind "$host" "$root$inside"
done
cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    TERM="${TERM:-dumb}" CI="${CI:-}" SSLQUIC_IN_CHROOT=1 "$@"
