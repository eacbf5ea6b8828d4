#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cross-platform conformance: the Debian 12 build's sslquic programs (OpenSSL
# 3.0 + sslquic) against the Debian 13 build's native programs (OpenSSL 3.5
# alone), over loopback, in both roles, then the listener probe of each side
# compared line for line.  Needs both legs of scripts/test.sh built (BUILD/
# bookworm on the host, BUILD/trixie for the chroot, mounted there at /build)
# and root for the chroot.  Prints a table; exits non-zero on any failure.
# With SSLQUIC_MATRIX_FILE set, each pairing is also a cell of the interop
# matrix scripts/test.sh prints (run_pair.sh --matrix).
#
#   scripts/cross.sh [BUILD_DIR]      default: $SSLQUIC_BUILD_DIR or build/test
#   SSLQUIC_CROSS_SIZES="1 1048576" scripts/cross.sh   fewer echo sizes
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-${SSLQUIC_BUILD_DIR:-$top/build/test}}" 2>/dev/null && pwd) || {
    echo "cross: build directory ${1:-${SSLQUIC_BUILD_DIR:-$top/build/test}} missing" >&2
    exit 1
}
conf=$top/tests/conformance
. "$conf/lib.sh"
sizes=${SSLQUIC_CROSS_SIZES:-1 1048576 104857600}

host=$build/bookworm/tests/conformance           # run on the host
tri=/build/tests/conformance                     # run in the chroot
missing=0
for p in echo_server echo_client poll_server probe_listener; do
    [ -x "$host/$p-sslquic" ] || { echo "cross: missing $host/$p-sslquic" >&2; missing=1; }
    [ -x "$build/trixie/tests/conformance/$p-native" ] ||
        { echo "cross: missing $build/trixie/tests/conformance/$p-native" >&2; missing=1; }
done
for p in spoll_server mstream_client; do
    [ -x "$host/$p-sslquic" ] || { echo "cross: missing $host/$p-sslquic" >&2; missing=1; }
    [ -x "$build/trixie/tests/conformance/$p-native" ] ||
        { echo "cross: missing $build/trixie/tests/conformance/$p-native" >&2; missing=1; }
done
[ $missing -eq 0 ] || exit 1
[ "$(id -u)" = 0 ] || { echo "cross: needs root (chroot)" >&2; exit 1; }

# The work dir lives in the trixie build tree so the chroot sees it too.
work=$(mktemp -d "$build/trixie/cross.XXXXXX") || exit 1
inside=/build/$(basename "$work")
logs=$build/cross-logs
rm -rf "$logs" && mkdir -p "$logs"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
conf_make_certs "$work" || exit 1
chroot_wrap="$top/scripts/chroot-run.sh --bind $build/trixie:/build"

declare -a rows
fails=0
case_start=$SECONDS
record() { # record NAME SERVER CLIENT SIZE RC LOG
    local r=pass secs=$((SECONDS - case_start))
    case_start=$SECONDS
    if [ "$5" -ne 0 ]; then
        r=FAIL
        fails=$((fails + 1))
        echo "----- $1: $2 server, $3 client, $4 -----"
        cat "$6"
    fi
    rows+=("$(printf '%-7s %-18s %-18s %-10s %-6s %ss' "$1" "$2" "$3" "$4" "$r" "$secs")")
}
human() {
    case "$1" in
    104857600) echo 100MiB ;; 1048576) echo 1MiB ;; 65536) echo 64KiB ;; *) echo "${1}B" ;;
    esac
}

S30="sslquic/3.0" N35="native/3.5"
for bytes in $sizes; do
    h=$(human "$bytes")
    log=$logs/echo-$h-sslquic-native.log
    "$conf/run_pair.sh" --work "$work" --bytes "$bytes" \
        --client-wrap "$chroot_wrap" --client-view "$inside" \
        --matrix native-cli@3.0 "conf echo_$h" \
        "$host/echo_server-sslquic" "$tri/echo_client-native" >"$log" 2>&1
    record echo "$S30" "$N35" "$h" $? "$log"
    log=$logs/echo-$h-native-sslquic.log
    "$conf/run_pair.sh" --work "$work" --bytes "$bytes" \
        --server-wrap "$chroot_wrap" --server-view "$inside" \
        --matrix native-srv@3.0 "conf echo_$h" \
        "$tri/echo_server-native" "$host/echo_client-sslquic" >"$log" 2>&1
    record echo "$N35" "$S30" "$h" $? "$log"
done

log=$logs/poll50-sslquic-native.log
"$conf/run_pair.sh" --work "$work" --bytes 65536 --parallel 50 \
    --client-wrap "$chroot_wrap" --client-view "$inside" \
    --matrix native-cli@3.0 "conf poll50_64KiB" \
    "$host/poll_server-sslquic" "$tri/echo_client-native" >"$log" 2>&1
record poll50 "$S30" "$N35" "50x64KiB" $? "$log"
log=$logs/poll50-native-sslquic.log
"$conf/run_pair.sh" --work "$work" --bytes 65536 --parallel 50 \
    --server-wrap "$chroot_wrap" --server-view "$inside" \
    --matrix native-srv@3.0 "conf poll50_64KiB" \
    "$tri/poll_server-native" "$host/echo_client-sslquic" >"$log" 2>&1
record poll50 "$N35" "$S30" "50x64KiB" $? "$log"

# 20 connections of 6 bidirectional + 2 unidirectional 1 MiB streams each,
# through the SSL_poll-driven server, both ways (see tests/conformance/
# CMakeLists.txt on the native server's occasional 30 s wait for a lost
# close).
log=$logs/mstream-sslquic-native.log
"$conf/run_mstream.sh" --work "$work" --bytes 1048576 --conns 20 \
    --client-wrap "$chroot_wrap" --client-view "$inside" \
    --matrix native-cli@3.0 "conf mstream_8x1MiB_x20" \
    "$host/spoll_server-sslquic" "$tri/mstream_client-native" >"$log" 2>&1
record mstream "$S30" "$N35" "20x8x1MiB" $? "$log"
log=$logs/mstream-native-sslquic.log
"$conf/run_mstream.sh" --work "$work" --bytes 1048576 --conns 20 \
    --server-wrap "$chroot_wrap" --server-view "$inside" \
    --matrix native-srv@3.0 "conf mstream_8x1MiB_x20" \
    "$tri/spoll_server-native" "$host/mstream_client-sslquic" >"$log" 2>&1
record mstream "$N35" "$S30" "20x8x1MiB" $? "$log"

log=$logs/probe.log
"$conf/run_probe.sh" --work "$work" --wrap-ref "$chroot_wrap" --view-ref "$inside" \
    "$tri/probe_listener-native" "$host/probe_listener-sslquic" >"$log" 2>&1
record probe "$N35 (ref)" "$S30" "-" $? "$log"

echo
printf '%-7s %-18s %-18s %-10s %-6s %s\n' case server client size result time
for r in "${rows[@]}"; do echo "$r"; done
echo "cross: ${#rows[@]} cases, $fails failed (logs: $logs)"
[ $fails -eq 0 ]
