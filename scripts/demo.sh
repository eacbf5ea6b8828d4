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
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    [ -n "${h3_pid:-}" ] && kill "$h3_pid" 2>/dev/null
    rm -rf "$tmp"
}
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

# --- HTTP/3: examples/h3-server serves a directory; examples/h3-client and
# Debian's ngtcp2/GnuTLS gtlsclient fetch from it, every body checked
# against sha256sum of the served file.
demo_h3() {
    local docroot=$tmp/htdocs dl=$tmp/dl urls=() h3port i f
    mkdir -p "$docroot" "$dl"
    printf '<!doctype html><title>sslquic</title><p>Hello over HTTP/3.</p>\n' \
        >"$docroot/index.html"
    head -c $((10 * 1024 * 1024)) /dev/urandom >"$docroot/big.bin"
    for i in $(seq 1 20); do head -c 10240 /dev/urandom >"$docroot/small$i.bin"; done
    (cd "$docroot" && sha256sum index.html big.bin small*.bin) >"$tmp/want.sha"

    "$build/examples/h3-server" -p 0 --port-file "$tmp/h3port" \
        "$tmp/cert.pem" "$tmp/key.pem" "$docroot" >"$tmp/h3.log" 2>&1 &
    h3_pid=$!
    for i in $(seq 1 100); do [ -s "$tmp/h3port" ] && break; sleep 0.1; done
    h3port=$(cat "$tmp/h3port" 2>/dev/null) || h3port=
    if [ -z "$h3port" ]; then
        step "h3-server starts" sh -c "cat '$tmp/h3.log'; exit 1"
        return
    fi
    for f in index.html big.bin $(seq -f small%g.bin 1 20); do
        urls+=("https://localhost:$h3port/$f")
    done
    # h3-client prints "sha256 HEX /path"; compare with the served files.
    check_h3_client() {
        "$build/examples/h3-client" --ca "$tmp/cert.pem" --sha256 "${urls[@]}" \
            >"$tmp/h3c.out" 2>&1 || { cat "$tmp/h3c.out"; return 1; }
        awk '$1 == "sha256" {sub("^/", "", $3); print $2 "  " $3}' \
            "$tmp/h3c.out" | sort -k2 | diff - <(sort -k2 "$tmp/want.sha") >/dev/null ||
            { cat "$tmp/h3c.out"; echo "bodies differ from the served files"; return 1; }
        echo "h3-client: 22 files (10 MiB + 20 x 10 KiB + index.html) in parallel on one connection, all SHA-256 equal"
    }
    step "HTTP/3: h3-client <- h3-server (22 files, one connection)" check_h3_client
    check_gtlsclient() {
        [ -x /usr/bin/gtlsclient ] || { echo "gtlsclient missing (package ngtcp2-client)"; return 1; }
        timeout 60 /usr/bin/gtlsclient --quiet --no-quic-dump --no-http-dump \
            --exit-on-all-streams-close --download="$dl" 127.0.0.1 "$h3port" \
            "${urls[@]}" >"$tmp/gtls.out" 2>&1 || { tail -n 20 "$tmp/gtls.out"; return 1; }
        (cd "$dl" && sha256sum -c "$tmp/want.sha" >/dev/null) ||
            { echo "bodies differ from the served files"; return 1; }
        echo "gtlsclient (ngtcp2 + GnuTLS): 22 files, all SHA-256 equal"
    }
    step "HTTP/3: Debian's gtlsclient (ngtcp2 + GnuTLS) <- h3-server" check_gtlsclient
    kill -TERM "$h3_pid" 2>/dev/null
    wait "$h3_pid"
    local h3rc=$?
    h3_pid=
    step "h3-server logged every request and stopped cleanly" sh -c \
        "grep -c '^h3-server: request GET .* 200 ' '$tmp/h3.log' | sed 's/\$/ requests served with 200/'; tail -n 1 '$tmp/h3.log'; exit $h3rc"
}
h3_pid=
demo_h3

# --- A real browser over HTTP/3 (tests/browser/run.sh): headless Chromium
# loads a page with style sheets, scripts and images twice and downloads
# 20 MiB from examples/h3-server, checking the SHA-256 in the page.  Only
# where Chromium is installed (scripts/deps.sh installs it on Debian 12).
demo_browser() {
    if [ ! -x "${SSLQUIC_CHROMIUM:-/usr/bin/chromium}" ]; then
        printf '\n--- no Chromium: skipping the browser step\n'
        return 0
    fi
    step "HTTP/3 to headless Chromium (h3-server: 2 CSS, 2 JS, 3 images, 20 MiB)" \
        "$top/tests/browser/run.sh" default "$build/examples/h3-server"
}
demo_browser

printf '\n===== demo summary =====\n'
rc=0
for i in "${!names[@]}"; do
    printf "%-5s %-75s %s\n" "${results[$i]}" "${names[$i]}" "${details[$i]}"
    [ "${results[$i]}" = pass ] || rc=1
done
exit $rc
