#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One conformance case: a server program and an echo client, run against
# each other on loopback.
#
#   run_pair.sh [options] SERVER CLIENT
#     --bytes N          bytes each client sends and expects back (default 1)
#     --parallel K       K clients at once; the server serves K connections
#     --conclude ex2|call  how the client ends its stream (default ex2)
#     --no-validate      server skips address validation (no Retry)
#     --work DIR         use DIR (must exist) instead of a private temp dir
#     --server-wrap CMD  command prefix for the server, e.g. a chroot runner
#     --client-wrap CMD  same for the client
#     --server-view DIR  where the server sees the work dir (default: DIR)
#     --client-view DIR  where the client sees it
#     --matrix PEER CASE record the result as that cell of the interop
#                        matrix (see conf_matrix_add in lib.sh)
#
# The server announces its port by writing it to a FIFO this script holds
# open (no sleeps, no polling); each process is bounded by timeout(1) and
# killed on exit.  Exit 0 iff both sides exit 0.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

bytes=1 parallel=1 conclude=ex2 novalidate= work= own_work=
server_wrap= client_wrap= server_view= client_view=
matrix_peer= matrix_case=
while [ $# -gt 2 ]; do
    case "$1" in
    --bytes) bytes=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --conclude) conclude=$2; shift 2 ;;
    --no-validate) novalidate=--no-validate; shift ;;
    --work) work=$2; shift 2 ;;
    --server-wrap) server_wrap=$2; shift 2 ;;
    --client-wrap) client_wrap=$2; shift 2 ;;
    --server-view) server_view=$2; shift 2 ;;
    --client-view) client_view=$2; shift 2 ;;
    --matrix) matrix_peer=$2 matrix_case=$3; shift 3 ;;
    *) echo "run_pair: unknown option $1" >&2; exit 2 ;;
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
tmo=$(conf_timeout "$bytes")

tag=$$.$RANDOM
fifo=$work/port.$tag
mkfifo "$fifo" || exit 1
exec 3<>"$fifo"   # read-write: neither side's open() ever blocks

read -ra swrap <<<"$server_wrap"
read -ra cwrap <<<"$client_wrap"
count=$parallel
cargs=(--bytes "$bytes" --conclude "$conclude" --cafile "$cv/ca.pem")
[ "$parallel" -gt 1 ] && cargs+=(--parallel "$parallel")

timeout -k 5 "$tmo" "${swrap[@]}" "$server" --cert "$sv/cert.pem" \
    --key "$sv/key.pem" --count "$count" --port-file "$sv/port.$tag" \
    $novalidate >"$work/server.$tag.log" 2>&1 &
spid=$!

# The port arrives through the FIFO; the one-second slices only notice a
# server that died before writing it.
port=
for _ in $(seq 60); do
    read -r -t 1 -u 3 port && break
    kill -0 "$spid" 2>/dev/null || break
done
if [ -z "$port" ]; then
    echo "run_pair: server never reported its port" >&2
    cat "$work/server.$tag.log" >&2
    exit 1
fi

timeout -k 5 "$tmo" "${cwrap[@]}" "$client" --port "$port" "${cargs[@]}" \
    >"$work/client.$tag.log" 2>&1
crc=$?
# A failed client may leave the server waiting for connections that never
# come; do not let it run into its timeout.
[ "$crc" -ne 0 ] && kill "$spid" 2>/dev/null
wait "$spid"
src=$?
spid=

echo "--- server ($src): $server"
tail -n 20 "$work/server.$tag.log"
echo "--- client ($crc): $client"
tail -n 20 "$work/client.$tag.log"
rm -f "$work/server.$tag.log" "$work/client.$tag.log"
[ "$src" -eq 0 ] && [ "$crc" -eq 0 ]
