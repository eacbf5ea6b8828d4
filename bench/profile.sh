#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Where the sslquic server's CPU goes in one benchmark workload: runs the
# Debian 12 qbench_server-sslquic under perf (DWARF call stacks) against the
# native OpenSSL 3.5 client in the chroot, then prints
#
#   - the share of samples per library (libssl, libcrypto, ngtcp2, libc, the
#     kernel, sslquic itself), and
#   - the share per "deepest sslquic frame": each sample is charged to the
#     innermost function of sslquic (or the benchmark program) on its stack,
#     so libssl's work inside the TLS shim shows as the shim's caller.
#
#   bench/profile.sh [handshakes|bulk] [N]
#       handshakes: N connections (default 1500); bulk: N bytes each way
#       (default 268435456)
#
# Uses the build trees and certificates bench/run.sh leaves in build/bench
# (run it first).  Needs root (the chroot) and perf (Debian: linux-perf).
# Sampling costs the server a little CPU; the shares, not the totals, are the
# result.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${QBENCH_BUILD_DIR:-$top/build/bench}
workload=${1:-handshakes}
srv=$build/bookworm/bench/qbench_server-sslquic
work=$build/trixie/work

usage() {
    echo "usage: bench/profile.sh [handshakes|bulk] [N]" >&2
    exit 2
}
case $workload in
handshakes) n=${2:-1500} ;;
bulk) n=${2:-268435456} ;;
*) usage ;;
esac
case $n in '' | *[!0-9]*) usage ;; esac
[ "$(id -u)" = 0 ] || { echo "profile: needs root (the chroot)" >&2; exit 1; }
command -v perf >/dev/null || { echo "profile: needs perf (apt-get install linux-perf)" >&2; exit 1; }
[ -x "$srv" ] && [ -f "$work/cert.pem" ] && [ -x "$build/trixie/bench/qbench_client-native" ] ||
    { echo "profile: run bench/run.sh first (no build trees in $build)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/port"
exec 3<>"$tmp/port"
if [ "$workload" = handshakes ]; then
    sargs=(--count "$n")
    cargs=(--workload handshakes --conns "$n" --workers 2 --inflight 16)
else
    sargs=(--count 1)
    cargs=(--workload bulk --bytes "$n")
fi
perf record -q -F 1000 --call-graph dwarf,16384 -o "$tmp/perf.data" -- \
    "$srv" --cert "$work/cert.pem" --key "$work/key.pem" \
    --port-file "$tmp/port" "${sargs[@]}" >"$tmp/server.log" 2>&1 &
spid=$!
read -r -t 60 -u 3 port || { echo "profile: server did not start" >&2; cat "$tmp/server.log" >&2; exit 1; }
exec 3>&-
timeout -k 5 300 "$top/scripts/chroot-run.sh" --bind "$build/trixie:/build" \
    /build/bench/qbench_client-native --cafile /build/work/ca.pem \
    --port "$port" "${cargs[@]}" >"$tmp/client.log" 2>&1
crc=$?
[ $crc -ne 0 ] && kill "$spid" 2>/dev/null
wait "$spid"
src=$?
if [ $crc -ne 0 ] || [ $src -ne 0 ]; then
    echo "profile: the $workload run failed" >&2
    tail -n 20 "$tmp/server.log" "$tmp/client.log" >&2
    exit 1
fi
grep -h '^server:' "$tmp/server.log"

# perf script: one block per sample, a header line, then "ip symbol (dso)"
# frames innermost first, a blank line between blocks.
perf script -i "$tmp/perf.data" -F ip,sym,dso 2>/dev/null | awk -v prog="$(basename "$srv")" '
    function flush() {
        if (!nf) return
        total++
        lib[leaf]++
        own[mine == "" ? "(no sslquic frame)" : mine]++
        nf = 0; mine = ""; leaf = ""
    }
    /^$/ { flush(); next }
    {
        dso = $NF; gsub(/[()]/, "", dso); sub(/.*\//, "", dso)
        sym = $2
        if (leaf == "" && dso != "inlined") {
            leaf = dso
            if (dso ~ /^libssl/) leaf = "libssl"
            else if (dso ~ /^libcrypto/) leaf = "libcrypto"
            else if (dso ~ /^libngtcp2/) leaf = "ngtcp2"
            else if (dso ~ /^libc[.-]/) leaf = "libc"
            else if (dso ~ /kernel/) leaf = "kernel"
            else if (dso == prog) leaf = "sslquic + benchmark"
        }
        if (mine == "" && dso == prog && sym != "[unknown]") mine = sym
        nf++
    }
    END {
        flush()
        printf "\n%d samples\n\nshare by library (where the sample landed):\n", total
        for (k in lib) printf "  %5.1f %%  %s\n", 100 * lib[k] / total, k | "sort -rn"
        close("sort -rn")
        printf "\nshare by deepest sslquic frame (libraries charged to their caller):\n"
        for (k in own) if (100 * own[k] / total >= 0.5) printf "  %5.1f %%  %s\n", 100 * own[k] / total, k | "sort -rn | head -25"
        close("sort -rn | head -25")
    }'
