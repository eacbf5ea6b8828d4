#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real browser over HTTP/3: headless Chromium, forced onto QUIC for the
# test origin, loads pages from examples/h3-server (sslquic on this
# machine's libssl).  There is no TCP listener anywhere in the test, so
# whatever Chromium shows came over sslquic.
#
#   run.sh VARIANT H3_SERVER
#     default   one browser process loads index.html (2 style sheets,
#               2 scripts, 3 images) twice and fetch()es the 20 MiB
#               /big.bin, checking its SHA-256; then a second, fresh process
#               does the same
#     retry     the same with the server's --retry (address validation)
#     chacha20  the same with the server limited to TLS_CHACHA20_POLY1305_SHA256
#     killed    a browser is killed (SIGKILL, whole process group) while
#               /big.bin is half sent; a new browser must then be served as
#               if nothing happened, and the server must still exit cleanly
#
# Each check reads both sides: the markers the pages write into their DOM
# (printed with --dump-dom) and the server's log, where every expected path
# must appear as `h3-server: request GET <path> 200 <size>`.
# Environment: SSLQUIC_CHROMIUM overrides /usr/bin/chromium.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../conformance/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 default|retry|chacha20|killed H3_SERVER" >&2; exit 2; }
variant=$1 server=$2
chromium=${SSLQUIC_CHROMIUM:-/usr/bin/chromium}
server_args=()
case "$variant" in
default | killed) ;;
retry) server_args+=(--retry) ;;
chacha20) server_args+=(--ciphersuites TLS_CHACHA20_POLY1305_SHA256) ;;
*) echo "run.sh: unknown variant $variant" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/sslquic-browser.XXXXXX")
server_pid=
browser_pgids=()
cleanup() {
    local rc=$? g
    for g in "${browser_pgids[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
show() {
    echo "---- $1 ----" >&2
    cat "$2" >&2 2>/dev/null || true
}
t_start=$(date +%s)
note() {
    echo "[$(($(date +%s) - t_start)) s] $*"
}

[ -x "$chromium" ] ||
    fail "$chromium is missing: the browser test needs Debian's chromium (scripts/deps.sh installs it)"
[ -x "$server" ] || fail "no h3-server at $server"

# --- certificate, and the hash Chromium is told to accept it by -----------
conf_make_certs "$work" || fail "could not make a certificate"
spki=$(openssl x509 -in "$work/cert.pem" -pubkey -noout |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
[ -n "$spki" ] || fail "could not hash the certificate's public key"

# --- the document root ----------------------------------------------------
site=$work/site
mkdir "$site"
# padded FILE BYTES COMMENT-OPEN COMMENT-CLOSE: FILE with about BYTES of
# comment lines in place of its @PADDING@ line.
padded() {
    awk -v n="$2" -v op="$3" -v cl="$4" '
        /@PADDING@/ {
            for (i = 0; i * 64 < n; i++)
                printf "%s padding %06d ..................................... %s\n", op, i, cl
            next
        }
        { print }' "$here/site/$1" >"$site/$1"
}
padded a.css 65536 '/*' '*/'
padded one.js 262144 '//' ''
cp "$here/site/b.css" "$here/site/two.js" "$here/site/shape.svg" \
    "$here/site/index.html" "$here/site/stall.html" "$site/"
"$here/png.pl" noise 256 256 >"$site/noise.png"
"$here/png.pl" gradient 24 16 >"$site/small.png"
head -c 20971520 /dev/urandom >"$site/big.bin"
big_sha=$(sha256sum "$site/big.bin" | cut -d' ' -f1)
sed "s/@BIG_SHA256@/$big_sha/" "$here/site/run.html" >"$site/run.html"
page_paths=(/index.html /a.css /b.css /one.js /two.js /noise.png /small.png
    /shape.svg)
run_paths=(/run.html "${page_paths[@]}" /big.bin)

# --- the server -----------------------------------------------------------
log=$work/server.log
"$server" -p 0 --port-file "$work/port" "${server_args[@]}" \
    "$work/cert.pem" "$work/key.pem" "$site" >"$log" 2>"$work/server.err" &
server_pid=$!
for ((i = 0; i < 1500; i++)); do
    [ -s "$work/port" ] && break
    kill -0 "$server_pid" 2>/dev/null ||
        { show "server stderr" "$work/server.err"; fail "h3-server exited before listening"; }
    sleep 0.02
done
[ -s "$work/port" ] || { show "server stderr" "$work/server.err"; fail "h3-server wrote no port file in 30 s"; }
port=$(cat "$work/port")
note "h3-server${server_args[*]:+ ${server_args[*]}} listening on UDP port $port"

# --- the browser ----------------------------------------------------------
origin=https://localhost:$port
profiles=0
# browser NAME URL [extra chromium flags...]: starts Chromium in a session
# of its own (so the whole tree can be killed) on a fresh profile, with its
# DOM dump in $work/NAME.dom and its stderr in $work/NAME.err; sets
# browser_pid.  Not waited for here.
browser() {
    local name=$1 url=$2
    shift 2
    profiles=$((profiles + 1))
    mkdir -p "$work/home"
    HOME=$work/home XDG_CONFIG_HOME=$work/home/.config \
        XDG_CACHE_HOME=$work/home/.cache XDG_DATA_HOME=$work/home/.local \
        setsid timeout -k 10 90 "$chromium" --headless=new --no-sandbox \
        --disable-gpu --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync \
        --user-data-dir="$work/profile$profiles" \
        --enable-quic --origin-to-force-quic-on="localhost:$port" \
        --ignore-certificate-errors-spki-list="$spki" \
        --host-resolver-rules="MAP localhost 127.0.0.1" \
        --enable-logging=stderr --v=0 \
        "$@" "$url" >"$work/$name.dom" 2>"$work/$name.err" </dev/null &
    browser_pid=$!
    browser_pgids+=("$browser_pid")
}

# browser_report NAME: what a failed browser run left behind: its DOM, its
# network errors, how its QUIC connections were closed (from the net log,
# when it kept one) and the server's side.
browser_report() {
    show "$1: DOM" "$work/$1.dom"
    echo "---- $1: chromium stderr, less D-Bus noise ----" >&2
    grep -v -e dbus -e 'unexpected operator' "$work/$1.err" | tail -n 30 >&2 || true
    if [ -f "$work/$1.netlog" ]; then
        echo "---- $1: QUIC connection closes in the net log ----" >&2
        grep -Eo '\{[^{}]*"quic_error"[^{}]*\}' "$work/$1.netlog" | sort | uniq -c >&2 || true
    fi
    show "server log" "$log"
    show "server stderr" "$work/server.err"
}

# load_run_page NAME: one browser process loads run.html to the end and its
# DOM must show both rounds of index.html and the 20 MiB download correct.
load_run_page() {
    local name=$1 rc=0
    shift
    # The virtual time budget is what --dump-dom waits for; run.html keeps
    # a timer ticking until it is done, see there.
    browser "$name" "$origin/run.html" --virtual-time-budget=3000000 \
        --dump-dom "$@"
    wait "$browser_pid" || rc=$?
    [ "$rc" != 124 ] || { browser_report "$name"; fail "$name: chromium did not finish within 90 s"; }
    [ "$rc" = 0 ] || { browser_report "$name"; fail "$name: chromium exited with $rc (could it start at all?)"; }
    grep -q '<p id="status">' "$work/$name.dom" || {
        browser_report "$name"
        fail "$name: the browser could not load $origin/run.html:$(grep -o ' net::ERR_[A-Z_]*' "$work/$name.err" | sort -u | tr '\n' ' ')"
    }
    local want
    for want in '<p id="round1">round1 page-ok protocols=h3(,h3){7}</p>' \
        '<p id="round2">round2 page-ok protocols=h3(,h3)*</p>' \
        '<p id="sha256">sha256-ok bytes=20971520 protocol=h3</p>' \
        '<p id="status">all-done</p>'; do
        grep -Eq "$want" "$work/$name.dom" ||
            { browser_report "$name"; fail "$name: the page does not show $want"; }
    done
    note "$name: $(sed -n 's/^<p id="[a-z0-9]*">\(.*\)<\/p>$/\1;/p' "$work/$name.dom" | tr '\n' ' ')"
}

# log_count PATH STATUS: how many completed requests the server has logged
# for PATH with STATUS.
log_count() {
    grep -c "^h3-server: request GET $1 $2 " "$log" || true
}

# Every request the server logged must be one of ours, and every 200 must
# have carried the whole file.
check_log_lines() {
    local method path status bytes extra cut_short=0
    while read -r method path status bytes extra; do
        case "$path" in
        /favicon.ico | /beacon-stalled)
            [ "$status" = 404 ] || fail "server answered $path with $status, not 404" ;;
        *)
            [ -f "$site$path" ] || { show "server log" "$log"; fail "the browser asked for $path, which the test never offered"; }
            if [ "$variant" = killed ] && [ "$path" = /big.bin ] &&
                [ "$bytes" != "$(stat -c %s "$site$path")" ] &&
                [ "$cut_short" = 0 ]; then
                # the killed browser's download, if the server logs it at
                # all: whatever status and byte count it got to, once
                cut_short=1
            elif [ "$status" != 200 ]; then
                show "server log" "$log"
                fail "server answered GET $path with $status"
            elif [ "$bytes" != "$(stat -c %s "$site$path")" ]; then
                show "server log" "$log"
                fail "server logged $path 200 with $bytes bytes, not $(stat -c %s "$site$path")"
            fi ;;
        esac
        [ "$method" = GET ] || fail "unexpected method $method in the server log"
    done < <(sed -n 's/^h3-server: request //p' "$log")
}

# wait_for_log PATH MIN: the server logs a request once it has sent the last
# byte, which may be a moment after the browser has everything; poll (30 s).
wait_for_log() {
    local i
    for ((i = 0; i < 1500; i++)); do
        [ "$(log_count "$1" 200)" -ge "$2" ] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.02
    done
    show "server log" "$log"
    fail "server logged $(log_count "$1" 200) completed GET $1 (200), expected at least $2"
}

# stop_server: SIGTERM must end it with status 0 and its summary line.
stop_server() {
    local rc=0
    kill -TERM "$server_pid"
    wait "$server_pid" || rc=$?
    server_pid=
    [ "$rc" = 0 ] || { show "server log" "$log"; show "server stderr" "$work/server.err"; fail "h3-server exited with $rc after SIGTERM"; }
    grep -Eq '^h3-server: [0-9]+ connections, [0-9]+ requests$' "$log" ||
        { show "server log" "$log"; fail "h3-server printed no summary line"; }
}

if [ "$variant" = killed ]; then
    # The stalled browser reads one chunk of /big.bin, then asks for
    # /beacon-stalled; from the moment that 404 is logged it holds a
    # half-sent stream the server cannot finish.
    browser stalled "$origin/stall.html" --log-net-log="$work/stalled.netlog"
    stalled_pid=$browser_pid
    for ((i = 0; i < 1500; i++)); do
        [ "$(log_count /beacon-stalled 404)" -ge 1 ] && break
        kill -0 "$stalled_pid" 2>/dev/null || { browser_report stalled; fail "the stalling browser ended by itself"; }
        sleep 0.02
    done
    [ "$(log_count /beacon-stalled 404)" -ge 1 ] || { browser_report stalled; fail "the stalling browser did not get /big.bin going in 30 s"; }
    [ "$(log_count /big.bin 200)" = 0 ] || fail "/big.bin was sent whole to a browser that stopped reading it"
    kill -KILL -- "-$stalled_pid"
    wait "$stalled_pid" 2>/dev/null || true
    for ((i = 0; i < 500; i++)); do
        kill -0 -- "-$stalled_pid" 2>/dev/null || break
        sleep 0.02
    done
    ! kill -0 -- "-$stalled_pid" 2>/dev/null || fail "the killed browser's processes did not go away"
    note "killed the browser mid-way through /big.bin"
    kill -0 "$server_pid" 2>/dev/null || { show "server stderr" "$work/server.err"; fail "h3-server died with the browser"; }
    load_run_page after-kill
    for p in "${run_paths[@]}"; do wait_for_log "$p" 1; done
    [ "$(grep -c "^h3-server: request GET /big.bin 200 20971520\$" "$log")" = 1 ] ||
        { show "server log" "$log"; fail "/big.bin went out whole other than to the browser after the kill"; }
else
    # The first browser also keeps a net log: the transport parameters it
    # accepted show whether the handshake went through a Retry.
    load_run_page first --log-net-log="$work/first.netlog"
    grep -q '"quic_transport_parameters":"\[Server ' "$work/first.netlog" ||
        fail "first: the browser's net log shows no QUIC handshake"
    if [ "$variant" = retry ]; then
        grep -q 'retry_source_connection_id' "$work/first.netlog" ||
            fail "first: with --retry the browser saw no Retry (no retry_source_connection_id)"
        note "first: the handshake went through a Retry"
    else
        ! grep -q 'retry_source_connection_id' "$work/first.netlog" ||
            fail "first: the browser saw a Retry the server was not asked for"
    fi
    load_run_page second
    # Each fresh profile fetches everything at least once; the second round
    # of index.html in a process may be served from the browser's cache
    # (with no validators from the server, Chromium asks again).
    for p in "${run_paths[@]}"; do wait_for_log "$p" 2; done
    for p in /run.html /big.bin; do
        [ "$(log_count "$p" 200)" = 2 ] || { show "server log" "$log"; fail "server logged $p $(log_count "$p" 200) times, not once per browser"; }
    done
fi
counts=
for p in "${run_paths[@]}"; do counts="$counts $p:$(log_count "$p" 200)"; done
note "completed GETs per path:$counts"
check_log_lines
stop_server
note "server: $(grep -E '^h3-server: [0-9]+ connections' "$log")"
note "$(grep -c '^h3-server: request GET' "$log") requests logged, all as expected"
echo "browser test ($variant) passed"
