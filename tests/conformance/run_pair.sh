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

bytes=1 parallel=1 conclude=ex2 novalidate= work=
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

sargs=(--count "$parallel")
[ -n "$novalidate" ] && sargs+=("$novalidate")
cargs=(--bytes "$bytes" --conclude "$conclude")
[ "$parallel" -gt 1 ] && cargs+=(--parallel "$parallel")
conf_run_pair run_pair "$(conf_timeout "$bytes")" "$server" "$client"
