#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The fault matrix: for each setting, one multi-stream transfer between
# spoll_server and mstream_client (tests/conformance) through fault_relay,
# then a table of what went in, what came back and what the relay did.
#
#   run_matrix.sh --relay R --server S --client C [options]
#     --only NAME[,NAME]  run only these settings (the baselines they need run
#                         too); --list prints the settings
#     --seed N            base seed (default 1); setting i uses N + i
#     --timeout S         bound for the client (default 60: the connection
#                         idle timeout, 30 s, plus room); the server then has
#                         60 s more to see the connection end
#     --keep DIR          keep every log in DIR
#     --setting SPEC      run SPEC ("name|relay options|bytes|bidi|uni")
#                         instead of the built-in list; repeatable
#
# A setting passes when the client checked every byte (bidirectional echoes
# byte by byte, unidirectional streams by the server's count and digest) and
# both sides exit 0.  It fails on a hang (a process still running at its
# bound), a crash, a wrong byte, or an application-reported error.  The
# "extra" column counts the datagrams both endpoints sent beyond what a
# fault-free run of the same size sent: retransmissions, probes and the ACKs
# that recovery takes, as seen from the wire (the programs cannot read the
# connection's own packet counters through the OpenSSL API).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
conf=$here/../conformance
. "$conf/lib.sh"

relay= server= client= only= seed=1 tmo=60 keep= list= close_bound=60
custom=()
while [ $# -gt 0 ]; do
    case "$1" in
    --relay) relay=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --client) client=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --timeout) tmo=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --list) list=1; shift ;;
    --setting) custom+=("$2"); shift 2 ;;
    *) echo "run_matrix: unknown option $1" >&2; exit 2 ;;
    esac
done

# name | relay options | bytes per stream | bidi | uni
# Sizes shrink as the damage grows, so the whole matrix stays within a few
# minutes on a loaded two-core machine with sanitizers.
settings=(
    "loss1|--loss 1|1048576|3|1"
    "loss5|--loss 5|1048576|3|1"
    "loss15|--loss 15|524288|3|1"
    "loss30|--loss 30|262144|3|1"
    "burst|--burst 0.5 --burst-len 6|1048576|3|1"
    "reorder|--reorder 10 --reorder-gap 4 --reorder-max-ms 20|1048576|3|1"
    "dup5|--dup 5|1048576|3|1"
    "corrupt1|--corrupt 1|1048576|3|1"
    "delay50j20|--delay 50 --jitter 20|524288|3|1"
    "mtu1200|--mtu 1200|1048576|3|1"
    "rebind_every|--rebind-every-packets 300|1048576|3|1"
    "rebind_once|--rebind-after-ms 150|1048576|3|1"
)
[ ${#custom[@]} -gt 0 ] && settings=("${custom[@]}")

if [ -n "$list" ]; then
    for s in "${settings[@]}"; do
        IFS='|' read -r n o b bi u <<<"$s"
        printf '%-14s %-52s %s x (%s bidi + %s uni)\n' "$n" "$o" "$b" "$bi" "$u"
    done
    exit 0
fi
for x in "$relay" "$server" "$client"; do
    [ -n "$x" ] && [ -x "$x" ] || {
        echo "usage: $0 --relay R --server S --client C [--only N] [--seed N]" \
             "[--timeout S] [--keep DIR] | --list" >&2
        exit 2
    }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sslquic-faults.XXXXXX") || exit 1
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    exec 3>&- 4>&- 2>/dev/null
    if [ -n "$keep" ]; then
        mkdir -p "$keep" && cp -r "$work"/. "$keep"/
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

conf_make_certs "$work" || exit 1
mkfifo "$work/sport" "$work/rport" || exit 1
exec 3<>"$work/sport" 4<>"$work/rport"

# wait_port FD PID: the port a process announces through its FIFO.
wait_port() {
    local fd=$1 pid=$2 port= i
    for i in $(seq 60); do
        read -r -t 1 -u "$fd" port && break
        kill -0 "$pid" 2>/dev/null || break
    done
    echo "$port"
}

# field FILE KEY: KEY's value in the relay's counter line (0 if absent).
field() {
    local v
    v=$(grep -o "\b$2=[0-9]*" "$1" 2>/dev/null | head -n1 | cut -d= -f2)
    echo "${v:-0}"
}

now() { date +%s.%N; }

# how a bounded process ended: ok, hang (timeout's 124/137), crash (signal
# or sanitizer), or the application's own error exit
verdict() {
    case "$1" in
    0) echo ok ;;
    124 | 137) echo hang ;;
    1 | 2) echo error ;;
    *) echo "crash($1)" ;;
    esac
}

# run_one NAME "RELAY OPTIONS" BYTES BIDI UNI SEED: one transfer; leaves
# its logs in $work/NAME.* and one result line in $work/NAME.result.
run_one() {
    local name=$1 ropts=$2 bytes=$3 bidi=$4 uni=$5 rseed=$6
    local spid rpid sport rport crc src rrc t0 tc t1 res wd stuck first
    local log=$work/$name

    timeout -k 5 $((tmo + 45)) "$server" --cert "$work/cert.pem" \
        --key "$work/key.pem" --count 1 --port-file "$work/sport" \
        >"$log.server" 2>&1 &
    spid=$!
    pids+=("$spid")
    sport=$(wait_port 3 "$spid")
    [ -n "$sport" ] || { echo "setup: server gave no port" >"$log.result"; return 1; }

    # Bounded by its own --max-seconds rather than timeout(1), which signals
    # its whole process group: that second SIGTERM and the SIGCONTs after it
    # can stall LeakSanitizer's exit-time check in sanitizer builds.
    # shellcheck disable=SC2086 # ropts is a list of options
    "$relay" --max-seconds $((tmo + 120)) --server-port "$sport" \
        --port-file "$work/rport" --seed "$rseed" $ropts \
        >"$log.relay" 2>"$log.relay.err" &
    rpid=$!
    pids+=("$rpid")
    rport=$(wait_port 4 "$rpid")
    [ -n "$rport" ] || { echo "setup: relay gave no port" >"$log.result"; return 1; }

    t0=$(now)
    timeout -k 5 "$tmo" "$client" --port "$rport" --cafile "$work/ca.pem" \
        --bytes "$bytes" --bidi "$bidi" --uni "$uni" >"$log.client" 2>&1
    crc=$?
    tc=$(now)
    # The server's connection must end by its idle timeout after the
    # client's last word, even if the client's CONNECTION_CLOSE was lost:
    # 30 s, counted again from the keep-alive PING it sends 15 s into the
    # silence (RFC 9000 10.1), so up to 45 s; give it that and a margin,
    # then it is stuck.  A server that never
    # accepted a connection (the handshake failed) only waits for clients.
    sleep "$close_bound" &
    wd=$!
    first=
    wait -n -p first "$spid" "$wd"
    src=$?
    stuck=
    if [ "$first" = "$spid" ]; then
        # KILL: a TERM landing before the fork has exec'd sleep would run
        # this script's traps in the child
        kill -KILL "$wd" 2>/dev/null
        wait "$wd" 2>/dev/null
    else
        stuck=1
        kill "$spid" 2>/dev/null
        wait "$spid"
        src=$?
    fi
    t1=$(now)
    kill -TERM "$rpid" 2>/dev/null
    wait "$rpid"
    rrc=$?
    pids=()

    res=$(verdict "$crc")
    case "$res" in
    ok)
        # exit 0 must mean every byte: hold the client's own totals to it
        if ! grep -q "result=ok" "$log.client" ||
            [ "$(grep -o 'checked=[0-9]*' "$log.client" | cut -d= -f2)" != \
              "$(grep -o 'expected=[0-9]*' "$log.client" | cut -d= -f2)" ]; then
            res=SHORT
        fi ;;
    esac
    if [ -n "$stuck" ]; then
        # a hang past the idle timeout fails whatever the client saw
        grep -q "^conn 1: accepted" "$log.server" && res=server-hang
    elif [ "$res" = ok ] && [ "$src" -ne 0 ]; then
        res="server-$(verdict "$src")"
    fi
    [ "$res" = ok ] && [ "$rrc" -ne 0 ] && res="relay($rrc)"
    grep -q "ERROR: AddressSanitizer\|runtime error:" "$log.client" \
        "$log.server" 2>/dev/null && res=sanitizer
    printf '%s %s %s %s %s\n' "$res" "$crc" "$src" \
        "$(awk -v a="$t0" -v b="$tc" 'BEGIN { printf "%.1f", b - a }')" \
        "$(awk -v a="$tc" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" \
        >"$log.result"
    [ "$res" = ok ]
}

selected() {
    [ -z "$only" ] && return 0
    case ",$only," in *",$1,"*) return 0 ;; esac
    return 1
}

# One fault-free transfer per size, for the "extra" column.
declare -A base_dgrams
i=0
for s in "${settings[@]}"; do
    i=$((i + 1))
    IFS='|' read -r n o b bi u <<<"$s"
    selected "$n" || continue
    key="$b-$bi-$u"
    [ -n "${base_dgrams[$key]:-}" ] && continue
    if run_one "base-$key" "" "$b" "$bi" "$u" "$seed"; then
        base_dgrams[$key]=$(($(field "$work/base-$key.relay" c2s_in) +
                             $(field "$work/base-$key.relay" s2c_in)))
    else
        base_dgrams[$key]=-
        echo "run_matrix: fault-free baseline $key failed:" \
             "$(cat "$work/base-$key.result")" >&2
    fi
done

failed=0 ran=0
i=0
for s in "${settings[@]}"; do
    i=$((i + 1))
    IFS='|' read -r n o b bi u <<<"$s"
    selected "$n" || continue
    ran=$((ran + 1))
    if ! run_one "$n" "$o" "$b" "$bi" "$u" $((seed + i)); then
        failed=$((failed + 1))
        echo "=== $n FAILED ($(cat "$work/$n.result")); relay options: $o;" \
             "seed $((seed + i)); reproduce with --only $n --seed $seed"
        for part in client server relay relay.err; do
            echo "--- $part"
            tail -n 20 "$work/$n.$part"
        done
    fi
done

# The table.
hdr="%-13s %-10s %8s %8s %6s %6s %6s %7s %5s %5s %5s %4s %6s %6s %s\n"
echo
printf "$hdr" setting "streams" "app sent" "app rcvd" "c2s dg" "s2c dg" \
    "extra" dropped dup corr reord rebd "secs" "close" result
for s in "${settings[@]}"; do
    IFS='|' read -r n o b bi u <<<"$s"
    selected "$n" || continue
    r=$work/$n.relay
    c=$work/$n.client
    read -r res _ _ secs swait <"$work/$n.result" || res=setup
    sent=$(grep -o 'sent=[0-9]*' "$c" 2>/dev/null | head -n1 | cut -d= -f2)
    rcvd=$(grep -o 'checked=[0-9]*' "$c" 2>/dev/null | head -n1 | cut -d= -f2)
    in=$(($(field "$r" c2s_in) + $(field "$r" s2c_in)))
    base=${base_dgrams["$b-$bi-$u"]:-}
    if [ -n "$base" ] && [ "$base" != - ]; then
        extra=$((in - base))
    else
        extra=-
    fi
    printf "$hdr" "$n" "$((bi + u))x$((b / 1024))KiB" "${sent:--}" \
        "${rcvd:--}" "$(field "$r" c2s_in)" "$(field "$r" s2c_in)" "$extra" \
        $(($(field "$r" c2s_dropped) + $(field "$r" s2c_dropped))) \
        $(($(field "$r" c2s_dup) + $(field "$r" s2c_dup))) \
        $(($(field "$r" c2s_corrupt) + $(field "$r" s2c_corrupt))) \
        $(($(field "$r" c2s_reorder) + $(field "$r" s2c_reorder))) \
        "$(field "$r" rebinds)" "${secs:--}" "${swait:--}" "$res"
done
echo "app sent: payload the client wrote on all streams (the bidirectional"
echo "ones come back too); app rcvd: bytes the client read back and checked"
echo "plus unidirectional bytes the server's count and digest confirmed;"
echo "c2s/s2c dg: datagrams the endpoints sent into the relay; extra:"
echo "datagrams beyond the fault-free run of the same size (retransmissions,"
echo "probes, their ACKs); dropped/dup/corr/reord/rebd: what the relay did;"
echo "secs: the client's run; close: how long the server then took to see"
echo "the connection end (a lost CONNECTION_CLOSE leaves it to the idle"
echo "timeout: 30 s, restarted by the keep-alive PING at 15 s, so ~45 s)."
echo "$((ran - failed)) passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$ran" -gt 0 ]
