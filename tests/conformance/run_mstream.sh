#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One multi-stream case: spoll_server (or any server that serves the same
# protocol) against mstream_client, on loopback.  run_pair.sh's sibling for
# the client's stream options and a size-independent time bound.
#
#   run_mstream.sh [options] SERVER CLIENT
#     --bytes B          bytes per stream (default 1048576)
#     --bidi N --uni M   streams per connection (default 6 and 2)
#     --conns K          concurrent connections (default 1)
#     --conclude ex2|call  how the client ends its streams (default ex2)
#     --timeout S        bound for each process (default 240)
#     --work DIR, --server-wrap CMD, --client-wrap CMD, --server-view DIR,
#     --client-view DIR  as for run_pair.sh
#     --matrix PEER CASE as for run_pair.sh
#
# Exit 0 iff both sides exit 0.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

bytes=1048576 bidi=6 uni=2 conns=1 conclude=ex2 tmo=240 work= own_work=
server_wrap= client_wrap= server_view= client_view=
matrix_peer= matrix_case=
while [ $# -gt 2 ]; do
    case "$1" in
    --bytes) bytes=$2; shift 2 ;;
    --bidi) bidi=$2; shift 2 ;;
    --uni) uni=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --conclude) conclude=$2; shift 2 ;;
    --timeout) tmo=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --server-wrap) server_wrap=$2; shift 2 ;;
    --client-wrap) client_wrap=$2; shift 2 ;;
    --server-view) server_view=$2; shift 2 ;;
    --client-view) client_view=$2; shift 2 ;;
    --matrix) matrix_peer=$2 matrix_case=$3; shift 3 ;;
    *) echo "run_mstream: unknown option $1" >&2; exit 2 ;;
    esac
done
[ $# -eq 2 ] || { echo "usage: $0 [options] SERVER CLIENT" >&2; exit 2; }
server=$1 client=$2

spid=
fifo=
cleanup() {
    local rc=$?
    conf_matrix_add "$matrix_peer" "$matrix_case" "$rc"
    [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
    exec 3>&- 2>/dev/null
    [ -n "$fifo" ] && rm -f "$fifo"
    [ -n "$own_work" ] && rm -rf "$own_work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$work" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/sslquic-conf.XXXXXX") || exit 1
    own_work=$work
fi
sv=${server_view:-$work} cv=${client_view:-$work}
[ -f "$work/ca.pem" ] || conf_make_certs "$work" || exit 1

tag=$$.$RANDOM
fifo=$work/port.$tag
mkfifo "$fifo" || exit 1
exec 3<>"$fifo"   # read-write: neither side's open() ever blocks

read -ra swrap <<<"$server_wrap"
read -ra cwrap <<<"$client_wrap"

timeout -k 5 "$tmo" "${swrap[@]}" "$server" --cert "$sv/cert.pem" \
    --key "$sv/key.pem" --count "$conns" --port-file "$sv/port.$tag" \
    >"$work/server.$tag.log" 2>&1 &
spid=$!

# The port arrives through the FIFO; the one-second slices only notice a
# server that died before writing it.
port=
for _ in $(seq 60); do
    read -r -t 1 -u 3 port && break
    kill -0 "$spid" 2>/dev/null || break
done
if [ -z "$port" ]; then
    echo "run_mstream: server never reported its port" >&2
    cat "$work/server.$tag.log" >&2
    exit 1
fi

timeout -k 5 "$tmo" "${cwrap[@]}" "$client" --port "$port" \
    --cafile "$cv/ca.pem" --bytes "$bytes" --bidi "$bidi" --uni "$uni" \
    --conns "$conns" --conclude "$conclude" >"$work/client.$tag.log" 2>&1
crc=$?
# A failed client may leave the server waiting for connections that never
# come; do not let it run into its timeout.
[ "$crc" -ne 0 ] && kill "$spid" 2>/dev/null
wait "$spid"
src=$?
spid=

echo "--- server ($src): $server"
tail -n 30 "$work/server.$tag.log"
echo "--- client ($crc): $client"
tail -n 30 "$work/client.$tag.log"
rm -f "$work/server.$tag.log" "$work/client.$tag.log"
[ "$src" -eq 0 ] && [ "$crc" -eq 0 ]
