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

bytes=1048576 bidi=6 uni=2 conns=1 conclude=ex2 tmo=240 work=
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

sargs=(--count "$conns")
cargs=(--bytes "$bytes" --bidi "$bidi" --uni "$uni" --conns "$conns"
       --conclude "$conclude")
conf_run_pair run_mstream "$tmo" "$server" "$client"
