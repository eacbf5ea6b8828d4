# SPDX-License-Identifier: Apache-2.0
# Sourced by every interop test script (bash).  Gives it a private temp dir
# and a list of processes, both cleaned up however the script ends; a
# throwaway certificate; a quic_peer server started on a port of its own
# choosing; and checks that fail loudly with the evidence.
#
# The caller's environment: QUIC_PEER (the quic_peer binary), and for the
# native-client tests NATIVE_CLIENT (a native_client binary, or empty when
# it has to be built inside the Debian 13 chroot).
set -euo pipefail

interop_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src_dir=$(cd "$interop_dir/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sslquic-interop.XXXXXX")
pids=()

# The interop matrix that scripts/test.sh prints at the end: a script names
# its cell with `matrix_cell PEER CASE`; when it ends, the line
# "PEER@V<TAB>CASE<TAB>pass|FAIL" is appended to $SSLQUIC_MATRIX_FILE, if
# set (V: the OpenSSL sslquic runs on here, 3.0 or 3.5).
matrix_peer= matrix_case=
matrix_cell() {
    local v=${SSLQUIC_OPENSSL_VERSION:-$(openssl version | cut -d' ' -f2)}
    matrix_peer=$1@${v%.*} matrix_case=$2
}

cleanup() {
    local rc=$? p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
    if [ -n "$matrix_case" ] && [ -n "${SSLQUIC_MATRIX_FILE:-}" ]; then
        printf '%s\t%s\t%s\n' "$matrix_peer" "$matrix_case" \
            "$([ "$rc" = 0 ] && echo pass || echo FAIL)" >>"$SSLQUIC_MATRIX_FILE"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Shows a file's contents under a heading, for the failure report.
show() {
    echo "---- $1 ----" >&2
    cat "$2" >&2 2>/dev/null || true
}

# A self-signed EC certificate for localhost, 127.0.0.1 and ::1:
# $work/cert.pem, $work/key.pem.
make_cert() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -days 2 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
        -keyout "$work/key.pem" -out "$work/cert.pem" 2>"$work/openssl.err" ||
        { show "openssl req" "$work/openssl.err"; fail "making a certificate failed"; }
}

# Polls (no fixed sleep stands in for readiness) until $1 exists and is not
# empty, while process $2 lives; fails after 10 s.
wait_for_file() {
    local file=$1 pid=$2 i
    for ((i = 0; i < 500; i++)); do
        [ -s "$file" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.02
    done
    return 1
}

# Starts `quic_peer server ADDR 0 --cert --key ARGS...` in the background;
# sets server_pid and port.  Its stdout goes to $work/server.out.
start_quic_peer_server() {
    local addr=$1
    shift
    rm -f "$work/port"
    "$QUIC_PEER" server "$addr" 0 --cert "$work/cert.pem" --key "$work/key.pem" \
        --port-file "$work/port" --timeout-ms 15000 "$@" \
        >"$work/server.out" 2>"$work/server.err" &
    server_pid=$!
    pids+=("$server_pid")
    wait_for_file "$work/port" "$server_pid" ||
        { show "server stderr" "$work/server.err"; fail "quic_peer server did not start"; }
    port=$(cat "$work/port")
}

# Waits for the quic_peer server to end (it does after --max-conns
# connections, or at its own --timeout-ms) and checks that it succeeded.
finish_quic_peer_server() {
    local rc=0
    wait "$server_pid" || rc=$?
    if [ "$rc" != 0 ]; then
        show "server stdout" "$work/server.out"
        show "server stderr" "$work/server.err"
        fail "quic_peer server exited with $rc"
    fi
}

# expect FILE WORD...: every WORD (a grep -E pattern) occurs in FILE.
expect() {
    local file=$1 w
    shift
    for w in "$@"; do
        grep -Eq -- "$w" "$file" || { show "$file" "$file"; fail "'$w' missing from $(basename "$file")"; }
    done
}

# start_gtlsserver ADDR ARGS...: Debian's gtlsserver (package ngtcp2-server)
# on ADDR with $work/key.pem and $work/cert.pem; sets gtls_pid and port, and
# logs to $work/gtls.log.  It cannot take port 0: try free-looking ports
# below the ephemeral range until one binds.  Ready = its socket shows in
# /proc/net/udp*.
start_gtlsserver() {
    local addr=$1 proc=/proc/net/udp hexaddr=0100007F hexport attempt i started=0
    shift
    [ "$addr" = ::1 ] && proc=/proc/net/udp6 hexaddr=00000000000000000000000001000000
    for attempt in 1 2 3 4 5 6 7 8; do
        port=$((10000 + RANDOM % 20000))
        hexport=$(printf '%04X' "$port")
        grep -qi ":$hexport " /proc/net/udp /proc/net/udp6 && continue
        /usr/sbin/gtlsserver "$@" "$addr" "$port" "$work/key.pem" "$work/cert.pem" \
            >"$work/gtls.log" 2>&1 &
        gtls_pid=$!
        pids+=("$gtls_pid")
        for ((i = 0; i < 500; i++)); do
            if grep -qi "^ *[0-9]*: $hexaddr:$hexport " "$proc"; then
                started=1
                break
            fi
            kill -0 "$gtls_pid" 2>/dev/null || break
            sleep 0.02
        done
        [ "$started" = 1 ] && return 0
        kill "$gtls_pid" 2>/dev/null || true
        wait "$gtls_pid" 2>/dev/null || true
        grep -qi 'in use' "$work/gtls.log" || { show gtlsserver "$work/gtls.log"; fail "gtlsserver did not start"; }
    done
    fail "no free port for gtlsserver after 8 tries"
}
