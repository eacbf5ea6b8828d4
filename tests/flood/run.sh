#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An Initial flood from spoofed source addresses against a server that is
# busy with an accepted connection (issue 8):
#   1. a baseline: client A moves its streams with nobody else around;
#   2. the server again, A again, and while A runs, tests/flood/flood sends
#      genuine client Initials from thousands of 127.0.0.0/8 addresses that
#      never answer; one second into the flood a new client B connects.
# Passes when A and B both complete byte-exact (mstream_client checks every
# byte) and the server's RSS grows by less than the bound below.  Prints the
# flood's size, A's throughput with and without the flood, and the server's
# RSS growth.
#   run.sh validate|novalidate FLOOD SERVER CLIENT
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../conformance/lib.sh"

[ $# -eq 4 ] || { echo "usage: $0 validate|novalidate FLOOD SERVER CLIENT" >&2; exit 2; }
mode=$1 flood=$2 server=$3 client=$4
case $mode in
validate) sargs=() ;;
novalidate) sargs=(--no-validate) ;;
*) echo "usage: $0 validate|novalidate FLOOD SERVER CLIENT" >&2; exit 2 ;;
esac
bytes=$((4 * 1024 * 1024)) streams=4
flood_secs=8 sources=20000
# The bound on what the flood adds to the server's peak RSS over the
# baseline's: 256 pending handshakes (the listener's default cap) at ~100 KiB
# each, plus the allocator's slack.
max_growth_kb=$((64 * 1024))
# Under AddressSanitizer freed memory sits in a quarantine of 256 MiB by
# default, which would read as growth here; keep it small.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"

work=$(mktemp -d "${TMPDIR:-/tmp}/sslquic-flood.XXXXXX") || exit 1
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done; exit 1; }
conf_make_certs "$work" || fail "certificates"

start_server() { # COUNT TAG
    rm -f "$work/port"
    "$server" --cert "$work/cert.pem" --key "$work/key.pem" --count "$1" \
        --port-file "$work/port" "${sargs[@]}" >"$work/server-$2.log" 2>&1 &
    spid=$!
    pids+=("$spid")
    for _ in $(seq 200); do
        [ -s "$work/port" ] && break
        kill -0 "$spid" 2>/dev/null || fail "server did not start"
        sleep 0.05
    done
    port=$(cat "$work/port") || fail "no port"
}

run_client() { # TAG: also leaves the end time in $work/end-TAG
    "$client" --port "$port" --cafile "$work/ca.pem" --bytes "$bytes" \
        --bidi "$streams" --uni 0 --conns 1 >"$work/client-$1.log" 2>&1
    local rc=$?
    date +%s%N >"$work/end-$1"
    return $rc
}

# Peak RSS of process $1 while process $2 runs, sampled every 0.1 s.
peak_rss() {
    local peak=0 r
    while kill -0 "$2" 2>/dev/null; do
        r=$(rss_kb "$1")
        [ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r
        sleep 0.1
    done
    echo "$peak"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# 1. baseline
start_server 1 base
base_rss0=$(rss_kb "$spid")
t0=$(date +%s%N)
run_client base &
cpid=$!
base_peak=$(peak_rss "$spid" "$cpid")
wait "$cpid" || fail "baseline client failed"
wait "$spid" || fail "baseline server failed"
base_ms=$((($(cat "$work/end-base") - t0) / 1000000))

# 2. under flood
start_server 2 flood
rss0=$(rss_kb "$spid")
t0=$(date +%s%N)
run_client A &
apid=$!
"$flood" --port "$port" --seconds "$flood_secs" --sources "$sources" \
    >"$work/flood.log" 2>&1 &
fpid=$!
pids+=("$fpid")
sleep 1
run_client B &
bpid=$!
peak=$(peak_rss "$spid" "$fpid")
wait "$fpid" || fail "flood tool failed"
wait "$apid" || fail "client A (accepted before the flood) failed"
wait "$bpid" || fail "client B (connecting during the flood) failed"
wait "$spid" || fail "server failed under the flood"
flood_ms=$((($(cat "$work/end-A") - t0) / 1000000))
growth=$(((peak - rss0) - (base_peak - base_rss0)))

cat "$work/flood.log"
mib=$((bytes * streams * 2 / 1048576))
echo "client A: ${mib} MiB echoed in ${base_ms} ms alone, ${flood_ms} ms under the flood"
echo "client B: connected during the flood and completed"
echo "server RSS: +$((base_peak - base_rss0)) KiB at peak serving A alone; +$((peak - rss0)) KiB at peak under the flood; the flood's share ${growth} KiB (bound ${max_growth_kb})"
[ "$growth" -le "$max_growth_kb" ] || fail "server memory grew by ${growth} KiB"
echo "PASS flood $mode"
