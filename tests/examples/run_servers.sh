#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The example echo servers under load: 30 echo-client runs at once, of mixed
# sizes from 0 bytes to 1 MiB (echo-client checks every byte it gets back
# and the length), and for poll-server also the conformance suite's
# mstream_client with several streams per connection on several
# connections.  Then SIGTERM: the server must exit 0 (under ASan, with no
# leak) and say it stopped.
#
#   run_servers.sh SERVER ECHO_CLIENT [MSTREAM_CLIENT]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../conformance/lib.sh"

[ $# -ge 2 ] || { echo "usage: $0 SERVER ECHO_CLIENT [MSTREAM_CLIENT]" >&2; exit 2; }
server=$1 client=$2 mstream=${3:-}
name=$(basename "$server")
work=$(mktemp -d "${TMPDIR:-/tmp}/sslquic-examples.XXXXXX") || exit 1
spid=
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
    echo "FAIL: $*" >&2
    for f in "$work"/*.log; do
        [ -s "$f" ] && { echo "---- $(basename "$f") ----" >&2; tail -n 20 "$f" >&2; }
    done
    exit 1
}

conf_make_certs "$work" || exit 1
"$server" -p 0 --port-file "$work/port" "$work/cert.pem" "$work/key.pem" \
    >"$work/server.log" 2>&1 &
spid=$!
# Written once the server listens (to a .tmp first, then renamed).
for ((i = 0; i < 1000; i++)); do
    [ -s "$work/port" ] && break
    kill -0 "$spid" 2>/dev/null || fail "$name exited before listening"
    sleep 0.01
done
port=$(cat "$work/port" 2>/dev/null) || fail "$name never wrote its port"

sizes=(0 1 1000 65535 65536 65537 250000 1048576)
cpids=()
for ((i = 0; i < 30; i++)); do
    b=${sizes[i % ${#sizes[@]}]}
    timeout -k 5 120 "$client" --cafile "$work/ca.pem" -b "$b" 127.0.0.1 "$port" \
        >"$work/client.$i.log" 2>&1 &
    cpids+=($!)
done
bad=0
for ((i = 0; i < 30; i++)); do
    if ! wait "${cpids[i]}"; then
        echo "echo-client $i (${sizes[i % ${#sizes[@]}]} bytes) failed:" >&2
        cat "$work/client.$i.log" >&2
        bad=$((bad + 1))
    else
        b=${sizes[i % ${#sizes[@]}]}
        grep -q "^echo-client: OK $b bytes sent, $b echoed intact " "$work/client.$i.log" ||
            { cat "$work/client.$i.log" >&2; bad=$((bad + 1)); }
    fi
done
[ "$bad" -eq 0 ] || fail "$bad of 30 echo-client runs failed against $name"
echo "$name: 30 concurrent echo-client runs, 0 B to 1 MiB, all intact"

if [ -n "$mstream" ]; then
    # 4 connections at once, 8 bidirectional streams of 256 KiB each.
    timeout -k 5 120 "$mstream" --port "$port" --cafile "$work/ca.pem" \
        --bytes 262144 --bidi 8 --uni 0 --conns 4 >"$work/mstream.log" 2>&1 ||
        fail "mstream_client against $name"
    grep -q '^clients: 4 bidi=8 uni=0 bytes=262144 ok=4 failed=0$' "$work/mstream.log" ||
        fail "mstream_client did not report 4 clean connections"
    echo "$name: mstream_client 4 connections x 8 streams x 256 KiB, all intact"
fi

kill -TERM "$spid"
rc=0
wait "$spid" || rc=$?
spid=
[ "$rc" -eq 0 ] || fail "$name exited with $rc after SIGTERM"
grep -q "^$name: stopped\$" "$work/server.log" || fail "$name did not report stopping"
echo "$name: clean exit on SIGTERM"
