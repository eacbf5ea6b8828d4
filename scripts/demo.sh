#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo: installs what is missing, builds sslquic (no sanitizers), runs
# what works today and prints a short summary.  Exits non-zero on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SSLQUIC_DEMO_BUILD_DIR:-$top/build/demo}
jobs=$(nproc 2>/dev/null || echo 2)

"$top/scripts/deps.sh" || exit 1
echo "demo: building in $build"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$build.log" 2>&1 &&
    cmake --build "$build" -j"$jobs" >>"$build.log" 2>&1 ||
    { cat "$build.log"; echo "demo: build failed" >&2; exit 1; }

declare -a names results details
step() { # step NAME COMMAND...: runs it, records pass/fail and its last line
    local name=$1 out rc t0 t1
    shift
    printf '\n--- %s\n' "$name"
    t0=$(date +%s.%N)
    out=$("$@" 2>&1)
    rc=$?
    t1=$(date +%s.%N)
    printf '%s\n' "$out"
    names+=("$name")
    results+=("$([ $rc = 0 ] && echo pass || echo FAIL)")
    details+=("$(printf '%.1f s' "$(echo "$t1 - $t0" | bc 2>/dev/null || echo 0)")")
}

tmp=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# A throwaway certificate for localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost >/dev/null 2>&1 ||
    { echo "demo: openssl could not make a certificate" >&2; exit 1; }

# A free UDP port: ask the kernel for one.
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 24433)

step "crypto: RFC 9001 / RFC 9369 vectors" "$build/tests/test_crypto"
step "crypto: packet protection rate vs raw AEAD" "$build/bench/bench_crypto" --seconds 0.1

"$build/examples/echo-server" -p "$port" -n 3 "$tmp/cert.pem" "$tmp/key.pem" \
    >"$tmp/server.log" 2>&1 &
server_pid=$!
for i in $(seq 1 50); do
    grep -q listening "$tmp/server.log" 2>/dev/null && break
    sleep 0.1
done
for bytes in 1 1048576 104857600; do
    step "QUIC echo of $bytes bytes (echo-client -> echo-server on OpenSSL $(openssl version | cut -d' ' -f2))" \
        "$build/examples/echo-client" --cafile "$tmp/cert.pem" -b "$bytes" localhost "$port"
done
wait "$server_pid"
server_rc=$?
server_pid=""
step "echo-server served 3 connections" sh -c "cat '$tmp/server.log'; exit $server_rc"

printf '\n===== demo summary =====\n'
rc=0
for i in "${!names[@]}"; do
    printf "%-5s %-75s %s\n" "${results[$i]}" "${names[$i]}" "${details[$i]}"
    [ "${results[$i]}" = pass ] || rc=1
done
exit $rc
