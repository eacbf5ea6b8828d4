#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The QUIC benchmark run: builds the benchmark programs (Release, no
# sanitizers) on Debian 12 (OpenSSL 3.0 + sslquic) and in the Debian 13 chroot
# (native OpenSSL 3.5), then runs every workload against both servers in the
# same run, with the same client (the native OpenSSL 3.5 qbench_client, in the
# chroot), interleaved rep by rep, each rep starting with another server:
#
#   sslquic/3.0   bench/qbench_server-sslquic, Debian 12 build, on the host
#   native/3.5    bench/qbench_server-native, Debian 13 build, in the chroot
#   sslquic/3.5   bench/qbench_server-sslquic, Debian 13 build, in the chroot
#                 (not for the hold workload)
#
# plus each implementation's own client for the bulk pair, and an HTTP/3
# download by Debian's gtlsclient from examples/h3-server (sslquic and
# native builds) and from ngtcp2's gtlsserver.
# Prints a table and one "ratio WORKLOAD sslquic/native35 X" line per metric,
# and writes bench/results.md.  Exits non-zero if any run failed (a failed
# run gives no figure).  Needs root (the chroot).
#
#   bench/run.sh                 defaults: about 5 minutes on 2 cores
#   bench/run.sh --full          1 GiB bulk, 1000 x 4 streams, 10000 idle
#   QB_REPS=5 bench/run.sh       repetitions (median taken; default 3)
#   QB_HS_CONNS, QB_BULK_BYTES, QB_MANY_CONNS, QB_IDLE_CONNS, QB_HOLD_CONNS
#                                override sizes
#   QB_WORKLOADS="bulk idle"     a subset (handshakes bulk many idle hold h3)
#   QBENCH_BUILD_DIR=DIR         build trees (default build/bench)
#   QB_RESULTS=FILE              where the report goes (default bench/results.md)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${QBENCH_BUILD_DIR:-$top/build/bench}
results=${QB_RESULTS:-$top/bench/results.md}
reps=${QB_REPS:-3}
hs_conns=${QB_HS_CONNS:-1500}
bulk_bytes=${QB_BULK_BYTES:-268435456}
many_conns=${QB_MANY_CONNS:-200}
idle_conns=${QB_IDLE_CONNS:-2000}
hold_conns=${QB_HOLD_CONNS:-10000}
workloads=${QB_WORKLOADS:-handshakes bulk many idle hold h3}
case "${1:-}" in
"") ;;
--full)
    bulk_bytes=${QB_BULK_BYTES:-1073741824}
    many_conns=${QB_MANY_CONNS:-1000}
    idle_conns=${QB_IDLE_CONNS:-10000}
    ;;
*) echo "usage: $0 [--full]" >&2; exit 2 ;;
esac
for w in $workloads; do
    case $w in handshakes | bulk | many | idle | hold | h3) ;;
    *) echo "run: unknown workload '$w'" >&2; exit 2 ;;
    esac
done
for v in "$reps" "$hs_conns" "$bulk_bytes" "$many_conns" "$idle_conns" "$hold_conns"; do
    [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "run: bad size '$v'" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run: needs root (the Debian 13 chroot)" >&2; exit 1; }
jobs=$(nproc 2>/dev/null || echo 2)
# Tests and examples are configured (h3-server-native is a test target) but
# only the benchmark targets and h3-server are built.
cmake_args="-DCMAKE_BUILD_TYPE=Release -DSSLQUIC_SANITIZE=OFF -DSSLQUIC_TESTS=ON -DSSLQUIC_EXAMPLES=ON"
chroot_run="$top/scripts/chroot-run.sh --bind $build/trixie:/build"
t_start=$SECONDS

echo "== build: Debian 12 (OpenSSL $(openssl version | cut -d' ' -f2), sslquic)"
mkdir -p "$build"
{ cmake -S "$top" -B "$build/bookworm" $cmake_args &&
  cmake --build "$build/bookworm" -j"$jobs" --target qbench_server-sslquic qbench_client-sslquic h3-server
} >"$build/bookworm.log" 2>&1 || { cat "$build/bookworm.log"; echo "run: build failed" >&2; exit 1; }
echo "== build: Debian 13 chroot (native OpenSSL 3.5, and sslquic on it)"
$chroot_run sh -c "cmake -S /src -B /build $cmake_args &&
    cmake --build /build -j$jobs --target qbench_server-native qbench_client-native h3-server-native qbench_server-sslquic &&
    echo \"\$(openssl version | cut -d' ' -f1-2), ngtcp2 \$(pkg-config --modversion libngtcp2), gcc \$(gcc -dumpversion)\" >/build/versions.txt" \
    >"$build/trixie.log" 2>&1 || { cat "$build/trixie.log"; echo "run: chroot build failed" >&2; exit 1; }

# The work dir lives in the trixie tree so the chroot sees it at /build/work.
work=$build/trixie/work
rm -rf "$work" && mkdir -p "$work" || exit 1
logs=$build/logs
rm -rf "$logs" && mkdir -p "$logs"
. "$top/tests/conformance/lib.sh"
conf_make_certs "$work" || exit 1

host_srv=$build/bookworm/bench/qbench_server-sslquic
client=(timeout -k 5 300 $chroot_run /build/bench/qbench_client-native
        --cafile /build/work/ca.pem)
fails=0
spid= fifo= gpid=
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    [ -n "$gpid" ] && kill "$gpid" 2>/dev/null && wait "$gpid" 2>/dev/null
    exec 3>&- 2>/dev/null
    [ -n "$fifo" ] && rm -f "$fifo"
    rm -rf "$work/htdocs" "$work/dl"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server IMPL LOG ARGS...: the server in the background ($spid), its
# port in $port, announced through a FIFO held open here.
start_server() {
    local impl=$1 log=$2
    shift 2
    fifo=$work/port.$$
    rm -f "$fifo" && mkfifo "$fifo" || return 1
    exec 3<>"$fifo"
    case $impl in
    sslquic)
        timeout -k 5 300 "$host_srv" --cert "$work/cert.pem" --key "$work/key.pem" \
            --port-file "$fifo" "$@" >"$log" 2>&1 & ;;
    *) # native, or sslquic35: sslquic built in the chroot
        timeout -k 5 300 $chroot_run "/build/bench/qbench_server-${impl/sslquic35/sslquic}" \
            --cert /build/work/cert.pem --key /build/work/key.pem \
            --port-file "/build/work/port.$$" "$@" >"$log" 2>&1 & ;;
    esac
    spid=$!
    conf_read_port "$spid"
    exec 3>&-
    rm -f "$fifo"
    fifo=
    [ -n "$port" ] || { echo "run: server never reported its port" >&2; cat "$log" >&2; return 1; }
}

# kv KEY FILE: the value of KEY=... on the first line that has it.
kv() { grep -o "\b$1=[^ ]*" "$2" | head -n1 | cut -d= -f2; }

declare -A val # val[metric,impl] = space-separated values, one per rep
add() { val[$1,$2]="${val[$1,$2]:-} $3"; }
failed_run() { # failed_run NAME LOG...
    fails=$((fails + 1))
    echo "----- FAILED: $1 -----"
    shift
    for f in "$@"; do echo "--- $f"; tail -n 30 "$f"; done
}

run_handshakes() { # IMPL REP
    local s=$logs/hs-$1-$2.server c=$logs/hs-$1-$2.client crc src
    start_server "$1" "$s" --count "$hs_conns" || { failed_run "handshakes $1" "$s"; return; }
    "${client[@]}" --port "$port" --workload handshakes --conns "$hs_conns" \
        --workers 2 --inflight 16 >"$c" 2>&1
    crc=$?
    [ $crc -ne 0 ] && kill "$spid" 2>/dev/null
    wait "$spid"; src=$?; spid=
    if [ $crc -ne 0 ] || [ $src -ne 0 ]; then run_failed "$1" "handshakes, rep $2" "$s" "$c"; return; fi
    add hs_per_cpu "$1" "$(awk -v n="$(kv conns "$s")" -v c="$(kv cpu "$s")" 'BEGIN{printf "%.1f", n/c}')"
    add hs_wall "$1" "$(kv conns_per_s "$c")"
    add hs_unclosed "$1" "$(kv unclosed "$s")"
}

# run_bulk IMPL REP [e2e]: the native client by default; with e2e the
# server's own implementation on both ends (sslquic: the host's client).
# The native pair is both, so its e2e figures are its ordinary ones.
run_bulk() {
    local s=$logs/bulk-$1-$2${3:+-$3}.server c=$logs/bulk-$1-$2${3:+-$3}.client crc src sfx=
    local cl=("${client[@]}")
    if [ "${3:-}" = e2e ]; then
        sfx=_e2e
        cl=(timeout -k 5 300 "$build/bookworm/bench/qbench_client-sslquic" --cafile "$work/ca.pem")
    fi
    start_server "$1" "$s" --count 1 || { failed_run "bulk $1" "$s"; return; }
    "${cl[@]}" --port "$port" --workload bulk --bytes "$bulk_bytes" >"$c" 2>&1
    crc=$?
    [ $crc -ne 0 ] && kill "$spid" 2>/dev/null
    wait "$spid"; src=$?; spid=
    if [ $crc -ne 0 ] || [ $src -ne 0 ]; then run_failed "$1" "bulk${3:+ $3}, rep $2" "$s" "$c"; return; fi
    if [ -n "$sfx" ] || [ "$1" = native ]; then
        add bulk_up_mbps_e2e "$1" "$(kv up_mbps "$c")"
        add bulk_down_mbps_e2e "$1" "$(kv down_mbps "$c")"
        add bulk_cpu_e2e "$1" "$(awk -v a="$(kv up_cpu_s_per_gb "$c")" -v b="$(kv down_cpu_s_per_gb "$c")" \
            -v u="$(kv up_cpu "$s")" -v d="$(kv down_cpu "$s")" -v x="$(kv up_bytes "$s")" -v y="$(kv down_bytes "$s")" \
            'BEGIN{printf "%.3f", (a + b) / 2 + (u + d) / ((x + y) / 1e9)}')"
        [ -n "$sfx" ] && return
    fi
    add bulk_up_mbps "$1" "$(kv up_mbps "$c")"
    add bulk_down_mbps "$1" "$(kv down_mbps "$c")"
    add bulk_client_up_cpu "$1" "$(kv up_cpu_s_per_gb "$c")"
    add bulk_client_down_cpu "$1" "$(kv down_cpu_s_per_gb "$c")"
    add bulk_server_cpu "$1" "$(awk -v u="$(kv up_cpu "$s")" -v d="$(kv down_cpu "$s")" \
        -v x="$(kv up_bytes "$s")" -v y="$(kv down_bytes "$s")" 'BEGIN{printf "%.3f", (u + d) / ((x + y) / 1e9)}')"
    add bulk_server_up_cpu "$1" "$(awk -v c="$(kv up_cpu "$s")" -v b="$(kv up_bytes "$s")" 'BEGIN{printf "%.3f", c/(b/1e9)}')"
    add bulk_server_down_cpu "$1" "$(awk -v c="$(kv down_cpu "$s")" -v b="$(kv down_bytes "$s")" 'BEGIN{printf "%.3f", c/(b/1e9)}')"
}

run_many() { # IMPL REP
    local s=$logs/many-$1-$2.server c=$logs/many-$1-$2.client crc src
    start_server "$1" "$s" --count "$many_conns" || { failed_run "many $1" "$s"; return; }
    "${client[@]}" --port "$port" --workload many --conns "$many_conns" \
        --workers 2 --streams 4 --bytes 262144 >"$c" 2>&1
    crc=$?
    [ $crc -ne 0 ] && kill "$spid" 2>/dev/null
    wait "$spid"; src=$?; spid=
    if [ $crc -ne 0 ] || [ $src -ne 0 ]; then run_failed "$1" "many, rep $2" "$s" "$c"; return; fi
    add many_mbps "$1" "$(kv mbps "$c")"
    add many_p50 "$1" "$(kv p50_ms "$c")"
    add many_p99 "$1" "$(kv p99_ms "$c")"
    add many_server_cpu "$1" "$(kv cpu "$s")"
    add many_unclosed "$1" "$(kv unclosed "$s")"
}

# hold: N idle connections held on the listener (native client, its idle
# workload), then the bulk transfer on one more connection; the server CPU
# per GB against the same server's plain bulk figure is the growth in
# per-packet cost.
run_hold() { # IMPL REP
    local s=$logs/hold-$1-$2.server c=$logs/hold-$1-$2.client i=$logs/hold-$1-$2.idle
    local ipid crc src t0
    start_server "$1" "$s" --idle "$hold_conns" --count 1 || { failed_run "hold $1" "$s"; return; }
    "${client[@]}" --port "$port" --workload idle --conns "$hold_conns" \
        --inflight 32 --hold-secs 300 >"$i" 2>&1 &
    ipid=$!
    t0=$SECONDS
    until grep -q '^held:' "$s"; do
        if ! kill -0 "$spid" 2>/dev/null || ! kill -0 "$ipid" 2>/dev/null ||
           [ $((SECONDS - t0)) -gt 240 ]; then
            kill "$spid" "$ipid" 2>/dev/null; wait "$spid" "$ipid" 2>/dev/null; spid=
            run_failed "$1" "hold: $hold_conns connections never all held" "$s" "$i"; return
        fi
        sleep 0.5
    done
    sleep 2 # the last handshakes' acknowledgements settle
    "${client[@]}" --port "$port" --workload bulk --bytes "$bulk_bytes" --timeout 60 >"$c" 2>&1
    crc=$?
    [ $crc -ne 0 ] && kill "$spid" 2>/dev/null
    wait "$spid"; src=$?; spid=
    kill "$ipid" 2>/dev/null; wait "$ipid" 2>/dev/null
    if [ $crc -ne 0 ] || [ $src -ne 0 ]; then run_failed "$1" "hold: the bulk transfer" "$s" "$c"; return; fi
    add hold_secs "$1" "$(sed -n 's/^held [0-9]* connections in \([0-9.]*\) s$/\1/p' "$i" | head -n1)"
    add hold_bulk_cpu "$1" "$(awk -v u="$(kv up_cpu "$s")" -v d="$(kv down_cpu "$s")" \
        -v x="$(kv up_bytes "$s")" -v y="$(kv down_bytes "$s")" 'BEGIN{printf "%.3f", (u + d) / ((x + y) / 1e9)}')"
    add hold_bulk_mbps "$1" "$(awk -v a="$(kv up_mbps "$c")" -v b="$(kv down_mbps "$c")" 'BEGIN{printf "%.1f", (a + b) / 2}')"
}

# A failed run of an sslquic server fails the benchmark.  The native
# server's is a finding about the reference: results.md lists it, the rep
# gives no figure (the median is of the others; a one-rep workload's cells
# read FAILED), and the run still counts as passed.
native_findings=
run_failed() { # IMPL WHAT LOG...
    local impl=$1 what=$2
    shift 2
    if [ "$impl" != native ]; then failed_run "$what, $impl server" "$@"; return; fi
    echo "----- native server, $what: failed (recorded, not a benchmark failure) -----"
    for f in "$@"; do echo "--- $f"; tail -n 5 "$f"; done
    native_findings="$native_findings
- $what, native/3.5 server: $(grep -h -m1 -E 'error|stuck|FAILED' "$@" | head -n1)"
}

run_idle() { # IMPL REP
    local s=$logs/idle-$1-$2.server c=$logs/idle-$1-$2.client cpid crc src
    start_server "$1" "$s" --idle "$idle_conns" || { failed_run "idle $1" "$s"; return; }
    "${client[@]}" --port "$port" --workload idle --conns "$idle_conns" \
        --inflight 32 --hold-secs 120 >"$c" 2>&1 &
    cpid=$!
    wait "$spid"; src=$?; spid=
    kill "$cpid" 2>/dev/null
    wait "$cpid"; crc=$?
    if [ $crc -ne 0 ] || [ $src -ne 0 ]; then run_failed "$1" "idle, rep $2" "$s" "$c"; return; fi
    add mem_per_conn "$1" "$(awk -v a="$(kv rss_first_kb "$s")" -v b="$(kv rss_end_kb "$s")" \
        -v n="$idle_conns" 'BEGIN{printf "%.2f", (b-a)/(n-1)}')"
    add mem_rss_end "$1" "$(kv rss_end_kb "$s")"
}

# HTTP/3 download: Debian's gtlsclient fetches one file of the bulk size
# from a server serving it: ngtcp2's gtlsserver (GnuTLS), our h3-server on
# sslquic (host) or the same h3-server built natively (chroot).  Server CPU
# from /proc (clock ticks).  IMPL: gtls | sslquic | native.
run_h3() { # IMPL REP
    local g=$logs/h3-$1-$2.server c=$logs/h3-$1-$2.client p0 p1 t0 t1 rc
    local hport= pf=$work/h3port.$$ cpid tck
    tck=$(getconf CLK_TCK)
    mkdir -p "$work/htdocs" "$work/dl"
    [ -f "$work/htdocs/blob" ] || head -c "$bulk_bytes" /dev/zero | tr '\0' 'q' >"$work/htdocs/blob"
    rm -f "$work/dl/blob" "$pf"
    case $1 in
    gtls)
        hport=$((20000 + RANDOM % 20000))
        gtlsserver -q -d "$work/htdocs" 127.0.0.1 "$hport" "$work/key.pem" "$work/cert.pem" >"$g" 2>&1 &
        gpid=$! ;;
    sslquic)
        "$build/bookworm/examples/h3-server" -p 0 --port-file "$pf" \
            "$work/cert.pem" "$work/key.pem" "$work/htdocs" >"$g" 2>&1 &
        gpid=$! ;;
    native)
        $chroot_run /build/tests/examples/h3-server-native -p 0 \
            --port-file "/build/work/h3port.$$" /build/work/cert.pem \
            /build/work/key.pem /build/work/htdocs >"$g" 2>&1 &
        gpid=$! ;;
    esac
    for _ in $(seq 100); do
        if [ "$1" = gtls ]; then
            ss -Huln "sport = :$hport" | grep -q . && break
        else
            [ -s "$pf" ] && hport=$(cat "$pf") && break
        fi
        kill -0 "$gpid" 2>/dev/null || break
        sleep 0.05
    done
    # the server process itself (under the chroot wrapper for native)
    cpid=$gpid
    [ "$1" = native ] && cpid=$(pgrep -n -f /build/tests/examples/h3-server-native)
    p0=$(awk '{print $14 + $15}' "/proc/$cpid/stat" 2>/dev/null)
    t0=$(date +%s.%N)
    rc=1
    [ -n "$hport" ] && timeout 120 gtlsclient -q --exit-on-all-streams-close --download "$work/dl" \
        127.0.0.1 "$hport" "https://localhost:$hport/blob" >"$c" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    p1=$(awk '{print $14 + $15}' "/proc/$cpid/stat" 2>/dev/null)
    kill "$cpid" "$gpid" 2>/dev/null; wait "$gpid" 2>/dev/null; gpid=
    rm -f "$pf"
    if [ $rc -ne 0 ] || [ -z "$p0" ] || [ -z "$p1" ] ||
       [ "$(stat -c %s "$work/dl/blob" 2>/dev/null)" != "$bulk_bytes" ]; then
        failed_run "HTTP/3 download from $1" "$g" "$c"; return
    fi
    add h3_down_mbps "$1" "$(awk -v b="$bulk_bytes" -v t="$(echo "$t1 - $t0" | bc)" 'BEGIN{printf "%.1f", b/1e6/t}')"
    add h3_server_cpu "$1" "$(awk -v b="$bulk_bytes" -v c="$((p1 - p0))" -v k="$tck" 'BEGIN{printf "%.3f", c/k/(b/1e9)}')"
    rm -f "$work/dl/blob"
}

# rotate REP WORD...: the words, the first REP-1 of them moved to the end.
# Each rep starts with another server, so that none always runs first after
# the previous workload (whose leftovers, such as a 256 MiB file written by
# the h3 client, can slow the next run).
rotate() {
    local r=$((($1 - 1) % ($# - 1)))
    shift
    echo "${@:r+1}" "${@:1:r}"
}

for rep in $(seq "$reps"); do
    for w in $workloads; do
        if [ "$w" = h3 ]; then
            for impl in $(rotate "$rep" sslquic native gtls); do
                echo "== rep $rep/$reps: HTTP/3 download, gtlsclient <- $impl server ($((SECONDS - t_start)) s)"
                run_h3 "$impl" "$rep"
            done
            continue
        fi
        # holding 10000 connections is slow to set up: one rep only
        [ "$w" = hold ] && [ "$rep" -gt 1 ] && continue
        impls="sslquic native"
        [ "$w" = hold ] || impls="$impls sslquic35"
        for impl in $(rotate "$rep" $impls); do
            echo "== rep $rep/$reps: $w, $impl server ($((SECONDS - t_start)) s)"
            "run_$w" "$impl" "$rep"
        done
        if [ "$w" = bulk ]; then
            echo "== rep $rep/$reps: bulk, sslquic server and sslquic client ($((SECONDS - t_start)) s)"
            run_bulk sslquic "$rep" e2e
        fi
    done
done

# median of the values (the lower middle one for an even count)
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{if (NR) print a[int((NR+1)/2)]}'; }
get() { echo "${val[$1,$2]:-}" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a/b}'; }
for impl in sslquic native; do
    g=$(ratio "$(get hold_bulk_cpu "$impl")" "$(get bulk_server_cpu "$impl")")
    [ "$g" != n/a ] && val[hold_growth,$impl]=$g
done

# ran KEY: whether this run had the workload that measures metric KEY (a
# metric of a workload left out by QB_WORKLOADS reads "not run", not FAILED)
ran() {
    local w
    case $1 in
    hs_*) w=handshakes ;; bulk_*) w=bulk ;; many_*) w=many ;;
    mem_*) w=idle ;; hold_*) w=hold ;; h3_*) w=h3 ;; *) return 0 ;;
    esac
    case " $workloads " in *" $w "*) return 0 ;; esac
    return 1
}

# measured35 KEY: whether sslquic35 (sslquic on the chroot's OpenSSL 3.5 and
# ngtcp2 1.x) runs the workload of metric KEY: not hold, h3 or the pairs.
measured35() {
    case $1 in hold_* | h3_* | *_e2e) return 1 ;; esac
    return 0
}

# metric  label  unit  better
metrics=(
"hs_per_cpu|handshakes|handshakes per server CPU s|higher"
"hs_wall|handshakes_wall|connections/s (wall, client-bound)|higher"
"hs_unclosed|handshakes_unclosed|connections whose close never reached the server|lower"
"bulk_up_mbps|bulk_upload|MB/s|higher"
"bulk_down_mbps|bulk_download|MB/s|higher"
"bulk_server_up_cpu|bulk_server_cpu_upload|server CPU s/GB|lower"
"bulk_server_down_cpu|bulk_server_cpu_download|server CPU s/GB|lower"
"bulk_client_up_cpu|bulk_client_cpu_upload|client CPU s/GB (same client)|lower"
"bulk_client_down_cpu|bulk_client_cpu_download|client CPU s/GB (same client)|lower"
"bulk_up_mbps_e2e|bulk_upload_pair|MB/s, own client (sslquic-sslquic, native-native)|higher"
"bulk_down_mbps_e2e|bulk_download_pair|MB/s, own client (sslquic-sslquic, native-native)|higher"
"bulk_cpu_e2e|bulk_cpu_pair|CPU s per GB, client + server, own client|lower"
"many_mbps|many_conns|MB/s echoed|higher"
"many_p50|many_conns_p50|ms to complete|lower"
"many_p99|many_conns_p99|ms to complete|lower"
"many_server_cpu|many_conns_server_cpu|server CPU s|lower"
"many_unclosed|many_conns_unclosed|connections whose close never reached the server|lower"
"mem_per_conn|mem_per_conn|KiB RSS per idle connection|lower"
"mem_rss_end|mem_rss_total|KiB RSS with all connections|lower"
"hold_secs|hold_establish|s to open the held idle connections (client-bound)|lower"
"hold_bulk_mbps|hold_bulk|MB/s, bulk (mean of up and down) beside the held connections|higher"
"hold_bulk_cpu|hold_bulk_server_cpu|server CPU s/GB, bulk beside the held connections|lower"
"hold_growth|hold_cost_growth|hold_bulk_server_cpu / the same server's plain bulk CPU s/GB|lower"
"h3_down_mbps|h3_download|MB/s, gtlsclient fetching one file (h3-server)|higher"
"h3_server_cpu|h3_server_cpu|server CPU s/GB (h3-server)|lower"
)
table=$(
    printf '| metric | unit | better | sslquic/3.0 | native/3.5 | sslquic/native35 | sslquic/3.5 | sslquic35/native35 | ngtcp2 gtlsserver (h3) |\n'
    printf '|---|---|---|---|---|---|---|---|---|\n'
    for m in "${metrics[@]}"; do
        IFS='|' read -r key label unit better <<<"$m"
        a=$(get "$key" sslquic) b=$(get "$key" native) c=$(get "$key" sslquic35) g=$(get "$key" gtls)
        missing=FAILED
        ran "$key" || missing="not run"
        c35=${c:-$missing} r35=$(ratio "$c" "$b")
        measured35 "$key" || c35=- r35=-
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$unit" "$better" \
            "${a:-$missing}" "${b:-$missing}" "$(ratio "$a" "$b")" "$c35" "$r35" "${g:--}"
    done
)
ratios=$(
    for m in "${metrics[@]}"; do
        IFS='|' read -r key label unit better <<<"$m"
        echo "ratio $label sslquic/native35 $(ratio "$(get "$key" sslquic)" "$(get "$key" native)")"
    done
    for m in "${metrics[@]}"; do
        IFS='|' read -r key label unit better <<<"$m"
        measured35 "$key" &&
            echo "ratio $label sslquic35/native35 $(ratio "$(get "$key" sslquic35)" "$(get "$key" native)")"
    done
    for key in h3_down_mbps h3_server_cpu; do
        echo "ratio ${key/_mbps/} sslquic/gtlsserver $(ratio "$(get "$key" sslquic)" "$(get "$key" gtls)")"
    done
)
echo
echo "$table"
echo
echo "$ratios"

tri_versions=$(cat "$build/trixie/versions.txt" 2>/dev/null)
{
    echo "<!-- SPDX-License-Identifier: Apache-2.0 -->"
    echo "# QUIC benchmark results"
    echo
    echo "Produced by \`bench/run.sh${1:+ $1}\` (bench/README.md says what each workload does)."
    echo "Numbers from one 2-core machine where client and server share the CPUs;"
    echo "expect a few percent of noise between runs, more for the many-connection"
    echo "latencies."
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
    echo "- sslquic/3.0: Debian 12 host, $(openssl version | cut -d' ' -f1-2), ngtcp2 $(pkg-config --modversion libngtcp2), gcc $(gcc -dumpversion), Release"
    echo "- native/3.5: Debian 13 chroot, $tri_versions (ngtcp2 unused by native), Release"
    echo "- sslquic/3.5: sslquic built in the same chroot ($tri_versions), Release: what a Debian 13 user of sslquic gets"
    echo "- HTTP/3 reference: Debian 12 ngtcp2-server/-client $(dpkg-query -W -f '${Version}' ngtcp2-server 2>/dev/null) (gtlsserver/gtlsclient, GnuTLS $(dpkg-query -W -f '${Version}' libgnutls30 2>/dev/null))"
    echo "- client: qbench_client-native (OpenSSL 3.5, in the chroot) for every qbench run, except the *_pair rows, where each server has its own implementation's client (sslquic: qbench_client-sslquic on the host); the h3 rows use Debian's gtlsclient against each server; all on the same loopback, one at a time"
    echo "- sizes: handshakes $hs_conns connections (2 workers x 16 in flight, 1 byte each way); bulk $bulk_bytes bytes up then down on one stream; many $many_conns connections x 4 streams x 256 KiB echo, all at once (2 workers); idle $idle_conns connections; hold $hold_conns idle connections then the bulk transfer (one rep); $reps reps, median shown"
    echo
    echo "$table"
    echo
    echo "The ratio is sslquic/3.0 divided by native/3.5: above 1 is better for"
    echo "sslquic where higher is better, below 1 where lower is better."
    echo "sslquic35/native35 compares the two on the same Debian 13 libraries"
    echo "(not for the hold, pair and h3 rows, marked -)."
    echo
    echo '```'
    echo "$ratios"
    echo '```'
    echo
    echo "The h3 rows: Debian's gtlsclient (ngtcp2 0.12 + GnuTLS) downloads one"
    echo "file of the bulk size from examples/h3-server on sslquic (host), the"
    echo "same h3-server built against OpenSSL 3.5 (chroot), and Debian's"
    echo "gtlsserver (ngtcp2 example server, its default CUBIC congestion"
    echo "control; sslquic uses BBR, see sslquic.7).  The client writes the file"
    echo "to disk; the servers read it from disk."
    echo
    echo "The hold rows (one rep): the server holds $hold_conns idle connections"
    echo "opened by the native client, then serves the bulk transfer on one more;"
    echo "hold_cost_growth divides that transfer's server CPU per GB by the same"
    echo "server's plain bulk figure, so 1.0 means no growth in per-packet cost."
    echo
    echo "\"unclosed\": the client closed after a complete exchange but its"
    echo "CONNECTION_CLOSE never reached the server (UDP loss on a saturated"
    echo "loopback; a server waiting for the peer sends nothing that would make"
    echo "the client repeat it).  The server gives such a connection 10 s, then"
    echo "counts it; this delays the server's exit, not the measured figures."
    if [ -n "$native_findings" ]; then
        echo
        echo "Native server findings (runs of the reference that did not complete;"
        echo "the median is of its other reps, a one-rep workload's cells read FAILED):"
        echo "$native_findings"
    fi
    [ $fails -eq 0 ] || { echo; echo "**$fails run(s) FAILED; their figures are missing.**"; }
} >"$results"
echo
echo "run: wrote $results ($((SECONDS - t_start)) s, $fails failed runs)"
[ $fails -eq 0 ]
