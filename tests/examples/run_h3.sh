#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# h3-server and h3-client end to end, as the CLI contract describes them:
# one 5 MiB and twenty 10 KiB files fetched in parallel on one connection,
# byte-exact (sha256 and the saved copies); HEAD, 404, 405 and path
# traversal (.., %2e%2e, a symlink out of the docroot); hostile requests
# (no :path, an unknown pseudo-header, a request reset mid-frame, a 64 KiB
# header) beside a client fetching the 5 MiB file, which must still get it;
# Retry, ChaCha20 forced (and refused when the client offers only AES),
# session resumption, a key update mid-transfer; the server's log lines;
# SIGTERM (and SIGINT) exit 0 with no sanitizer report; malformed arguments
# exit 2.
#
#   run_h3.sh H3_SERVER H3_CLIENT H3_PROBE
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../conformance/lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 H3_SERVER H3_CLIENT H3_PROBE" >&2; exit 2; }
server=$1 client=$2 probe=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/sslquic-h3.XXXXXX") || exit 1
spids=()
cleanup() {
    for p in "${spids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
failed=0
fail() {
    echo "FAIL: $*" >&2
    failed=1
}
# Runs a client or probe bounded in time, output to $work/$1.out.
run() {
    local name=$1
    shift
    timeout -k 5 300 "$@" >"$work/$name.out" 2>"$work/$name.err"
}
show() { echo "---- $1 ----" >&2; cat "$work/$1.out" "$work/$1.err" >&2; }

# start_server NAME ARGS...: sets $port, remembers the pid in $pid_NAME.
start_server() {
    local name=$1 i
    shift
    "$server" -p 0 --port-file "$work/$name.port" "$@" "$work/cert.pem" \
        "$work/key.pem" "$work/root" >"$work/$name.log" 2>"$work/$name.errlog" &
    local p=$!
    spids+=("$p")
    eval "pid_$name=$p"
    for ((i = 0; i < 3000; i++)); do
        [ -s "$work/$name.port" ] && break
        kill -0 "$p" 2>/dev/null || { cat "$work/$name.errlog" >&2; return 1; }
        sleep 0.01
    done
    port=$(cat "$work/$name.port")
}

conf_make_certs "$work" || exit 1
mkdir -p "$work/root/sub" "$work/out" "$work/secret"
head -c 5242880 /dev/urandom >"$work/root/big.bin"
for i in $(seq 1 20); do head -c 10240 /dev/urandom >"$work/root/f$i.txt"; done
echo '<html>hello</html>' >"$work/root/index.html"
echo 'secret' >"$work/secret/passwd"
ln -s "$work/secret" "$work/root/escape"
ca=(--ca "$work/ca.pem")

start_server main || { echo "FAIL: h3-server did not start" >&2; exit 1; }
url=https://127.0.0.1:$port

# 1. One 5 MiB and twenty 10 KiB files in parallel, byte-exact.
urls=("$url/big.bin")
for i in $(seq 1 20); do urls+=("$url/f$i.txt"); done
if run par "$client" "${ca[@]}" --sha256 -o "$work/out" "${urls[@]}"; then
    for f in big.bin $(seq -f 'f%g.txt' 1 20); do
        want=$(sha256sum "$work/root/$f" | cut -d' ' -f1)
        grep -qx "sha256 $want /$f" "$work/par.out" || fail "sha256 of /$f"
        grep -qx "status 200 $(stat -c %s "$work/root/$f") /$f" "$work/par.out" ||
            fail "status line of /$f"
        cmp -s "$work/root/$f" "$work/out/$f" || fail "saved /$f differs"
    done
else
    fail "parallel fetch exited $?"; show par
fi

# 1b. 100 requests on one connection, and 8 clients at once.
urls=()
for i in $(seq 0 99); do urls+=("$url/f$((i % 20 + 1)).txt"); done
run hundred "$client" "${ca[@]}" "${urls[@]}" || { fail "100 requests exited $?"; show hundred; }
[ "$(grep -c '^status 200 10240 ' "$work/hundred.out")" -eq 100 ] || fail "100 requests: not all 200"
cpids=()
for i in $(seq 1 8); do
    "$client" "${ca[@]}" --sha256 "$url/big.bin" "$url/f$i.txt" >"$work/multi$i.out" 2>&1 &
    cpids+=($!)
done
for i in $(seq 1 8); do
    wait "${cpids[i - 1]}" || { fail "concurrent client $i exited $?"; cat "$work/multi$i.out" >&2; }
    grep -qx "sha256 $(sha256sum "$work/root/big.bin" | cut -d' ' -f1) /big.bin" \
        "$work/multi$i.out" || fail "concurrent client $i: file differs"
done

# 2. HEAD, 404, 405, traversal; the probe decodes the raw responses.
run probe "$probe" "$port" head:/big.bin get:/ get:/f1.txt get:/missing delete:/f1.txt \
    get:/../secret/passwd get:/%2e%2e/secret/passwd get:/sub/%2E%2E/../secret/passwd \
    get:/escape/passwd || { fail "probe exited $?"; show probe; }
for want in "head:/big.bin 200 5242880 0 application/octet-stream" \
    "get:/ 200 19 19 text/html" "get:/f1.txt 200 10240 10240 text/plain" \
    "get:/missing 404 0 0 text/plain" "delete:/f1.txt 405 0 0 text/plain"; do
    grep -qx "$want" "$work/probe.out" || { fail "probe: want '$want'"; show probe; }
done
for p in /../secret/passwd /%2e%2e/secret/passwd /sub/%2E%2E/../secret/passwd /escape/passwd; do
    grep -Eqx "get:$p (403|404) 0 0 text/plain" "$work/probe.out" ||
        { fail "traversal $p not refused"; show probe; }
done
if run miss "$client" "${ca[@]}" "$url/missing" "$url/../secret/passwd"; then
    fail "h3-client exited 0 for a 404"
fi
grep -qx "status 404 0 /missing" "$work/miss.out" || { fail "client 404"; show miss; }
grep -Eqx "status (403|404) 0 /../secret/passwd" "$work/miss.out" || { fail "client traversal"; show miss; }

# 3. Hostile requests on one connection while another fetches 5 MiB.
"$client" "${ca[@]}" --sha256 "$url/big.bin" >"$work/good.out" 2>"$work/good.err" &
good=$!
run hostile "$probe" "$port" nopath badpseudo reset huge get:/f1.txt ||
    { fail "hostile probe exited $?"; show hostile; }
grep -Eqx "nopath (reset|status 400)" "$work/hostile.out" || { fail "nopath"; show hostile; }
grep -Eqx "badpseudo (reset|status 400)" "$work/hostile.out" || { fail "badpseudo"; show hostile; }
grep -Eqx "huge (reset|closed|status 431)" "$work/hostile.out" || { fail "huge"; show hostile; }
grep -Eqx "get:/f1.txt 200 10240 10240 text/plain|get:/f1.txt closed" \
    "$work/hostile.out" ||
    { fail "request after the hostile ones"; show hostile; }
wait "$good" || { fail "good client beside the hostile one exited $?"; show good; }
grep -qx "sha256 $(sha256sum "$work/root/big.bin" | cut -d' ' -f1) /big.bin" \
    "$work/good.out" || fail "good client's file differs"

# 4. Resumption and a key update mid-transfer of the 5 MiB file.
run s1 "$client" "${ca[@]}" --session "$work/sess.pem" "$url/f2.txt" || { fail "session 1"; show s1; }
grep -qx "resumed no" "$work/s1.out" || { fail "first connection resumed?"; show s1; }
run s2 "$client" "${ca[@]}" --session "$work/sess.pem" "$url/f2.txt" || { fail "session 2"; show s2; }
grep -qx "resumed yes" "$work/s2.out" || { fail "second connection did not resume"; show s2; }
run ku "$client" "${ca[@]}" --key-update --sha256 "$url/big.bin" || { fail "key update"; show ku; }
grep -qx "sha256 $(sha256sum "$work/root/big.bin" | cut -d' ' -f1) /big.bin" \
    "$work/ku.out" || fail "file after the key update differs"

# 5. Retry, and ChaCha20 forced on the server.
start_server retry --retry || fail "h3-server --retry did not start"
run retry "$client" "${ca[@]}" --sha256 "https://127.0.0.1:$port/f3.txt" ||
    { fail "fetch through Retry"; show retry; }
start_server chacha --ciphersuites TLS_CHACHA20_POLY1305_SHA256 ||
    fail "h3-server --ciphersuites did not start"
run cc "$client" "${ca[@]}" --ciphersuites TLS_CHACHA20_POLY1305_SHA256 \
    "https://127.0.0.1:$port/f4.txt" || { fail "ChaCha20 fetch"; show cc; }
if run aes "$client" "${ca[@]}" --ciphersuites TLS_AES_128_GCM_SHA256 \
    "https://127.0.0.1:$port/f4.txt"; then
    fail "an AES-only client got through a ChaCha20-only server"
fi

# 6. The log lines, then SIGTERM: exit 0, a summary, no sanitizer report.
for name in main retry chacha; do
    eval "p=\$pid_$name"
    sig=TERM
    [ $name = chacha ] && sig=INT
    kill -$sig "$p"
    wait "$p" || fail "$name server exited $? on SIG$sig"
    grep -Eqx 'h3-server: [0-9]+ connections, [0-9]+ requests' "$work/$name.log" ||
        fail "$name: no summary line"
    if grep -Evx 'h3-server: (connection accepted|request [A-Z]+ [^ ]+ [0-9]{3} [0-9]+|[0-9]+ connections, [0-9]+ requests)' \
        "$work/$name.log" >&2; then
        fail "$name: log lines outside the contract (above)"
    fi
    if grep -E 'Sanitizer|runtime error' "$work/$name.errlog" >&2; then
        fail "$name: sanitizer report"
    fi
done
spids=()
for want in "request GET /big.bin 200 5242880" "request HEAD /big.bin 200 0" \
    "request GET /missing 404 0" "request DELETE /f1.txt 405 0" \
    "request GET /f20.txt 200 10240"; do
    grep -qx "h3-server: $want" "$work/main.log" || fail "log lacks '$want'"
done
grep -qx 'h3-server: connection accepted' "$work/main.log" || fail "no 'connection accepted'"

# 7. Malformed arguments exit 2.
for args in "" "a b" "-p 70000 c k d" "-p x c k d" "--max-conns 0 c k d" \
    "--bogus c k d" "-a not-an-address c k d"; do
    # shellcheck disable=SC2086
    "$server" $args >/dev/null 2>&1
    [ $? -eq 2 ] || fail "h3-server '$args' did not exit 2"
done
for args in "" "http://localhost:1/" "https://a:1/ https://b:1/" \
    "--ca x --insecure https://a:1/" "--bogus https://a:1/" "https://a:99999/"; do
    # shellcheck disable=SC2086
    "$client" $args >/dev/null 2>&1
    [ $? -eq 2 ] || fail "h3-client '$args' did not exit 2"
done

[ $failed -eq 0 ] && echo "run_h3: all checks passed"
# One interop matrix cell when CMake names the pairing (H3_MATRIX_PEER).
conf_matrix_add "${H3_MATRIX_PEER:-}" "h3 examples_suite" "$failed"
exit $failed
