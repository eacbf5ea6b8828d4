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

cleanup() {
    local rc=$? p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
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
