#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/h3-server under an Initial flood from spoofed 127.0.0.0/8
# addresses (tests/flood/flood, ALPN h3, no Retry on the server): one second
# into the flood h3-client fetches a 5 MiB file and 20 small ones in
# parallel, and again after the flood; every body must match sha256sum of
# the served file, and the server must then stop cleanly on SIGTERM (exit 0,
# no sanitizer report).
#   run_h3.sh FLOOD H3_SERVER H3_CLIENT
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../conformance/lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 FLOOD H3_SERVER H3_CLIENT" >&2; exit 2; }
flood=$1 server=$2 client=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/sslquic-flood-h3.XXXXXX") || exit 1
spid= fpid=
cleanup() {
    [ -n "$fpid" ] && kill "$fpid" 2>/dev/null
    [ -n "$spid" ] && kill "$spid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
    exit 1
}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
conf_make_certs "$work" || fail "certificates"
mkdir "$work/htdocs"
head -c $((5 * 1024 * 1024)) /dev/urandom >"$work/htdocs/big.bin"
for i in $(seq 1 20); do head -c 10240 /dev/urandom >"$work/htdocs/s$i.bin"; done

"$server" -p 0 --port-file "$work/port" "$work/cert.pem" "$work/key.pem" \
    "$work/htdocs" >"$work/server.log" 2>&1 &
spid=$!
for _ in $(seq 200); do
    [ -s "$work/port" ] && break
    kill -0 "$spid" 2>/dev/null || fail "h3-server did not start"
    sleep 0.05
done
port=$(cat "$work/port") || fail "no port"
urls=("https://127.0.0.1:$port/big.bin")
for i in $(seq 1 20); do urls+=("https://127.0.0.1:$port/s$i.bin"); done

fetch() { # TAG
    timeout -k 5 120 "$client" --ca "$work/ca.pem" --sha256 "${urls[@]}" \
        >"$work/client-$1.log" 2>&1 || return 1
    local p want got
    for p in big.bin $(seq -f s%g.bin 1 20); do
        want=$(sha256sum "$work/htdocs/$p" | cut -d' ' -f1)
        got=$(awk -v p="/$p" '$1 == "sha256" && $3 == p {print $2}' "$work/client-$1.log")
        [ "$got" = "$want" ] || { echo "$p: sha256 '$got', want $want" >>"$work/client-$1.log"; return 1; }
    done
}

"$flood" --port "$port" --seconds 6 --sources 20000 --alpn h3 >"$work/flood.log" 2>&1 &
fpid=$!
sleep 1
t0=$(date +%s%N)
fetch during || fail "h3-client during the flood"
t1=$(date +%s%N)
wait "$fpid" || fail "flood tool failed"
fpid=
fetch after || fail "h3-client after the flood"
kill -TERM "$spid"
wait "$spid" || fail "h3-server did not stop cleanly"
spid=
cat "$work/flood.log"
echo "h3-client during the flood: 21 files, 5.2 MiB, in $(((t1 - t0) / 1000000)) ms, all SHA-256 equal"
echo "h3-client after the flood: all SHA-256 equal"
tail -n 1 "$work/server.log"
echo "PASS flood h3-server"
